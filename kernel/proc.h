/*
 * kernel/proc.h - processes and kernel threads.
 *
 * A fixed table of NPROC slots.  A user process has an address space
 * (struct vmspace), a descriptor table and a kernel stack; a kernel thread
 * has only the kernel stack.  Lifecycle: EMBRYO (being built by fork/spawn)
 * -> RUNNABLE <-> RUNNING <-> SLEEPING -> ZOMBIE (exited, waiting for wait4)
 * -> UNUSED.  docs/userspace.md tells the story.
 */
#pragma once
#include "kernel/lib.h"
#include "kernel/spinlock.h"
#include "kernel/x86/trap.h"

#define NPROC 64		/* process table slots, including kernel threads */
#define NOFILE 32		/* descriptors per process */
#define PROC_NAME_LEN 16
#define KSTACK_PAGES 4		/* 16 KiB kernel stack, plus one guard page */

enum proc_state { P_UNUSED, P_EMBRYO, P_RUNNABLE, P_RUNNING, P_SLEEPING, P_ZOMBIE };

struct file;
struct vmspace;

/* Callee-saved registers kept across switch_to() (kernel/x86/switch.asm). */
struct context {
	uint64_t r15, r14, r13, r12, rbx, rbp, rip;
};

struct proc {
	int pid;
	enum proc_state state;
	char name[PROC_NAME_LEN];
	struct proc *parent;
	int pgid;			/* process group, for the tty's Ctrl-C */

	struct vmspace *vm;		/* NULL for kernel threads */
	struct proc *vfork_parent;	/* sleeping in vfork until we exec or exit */
	struct file *files[NOFILE];

	uint64_t kstack_top;		/* top of this process's kernel stack */
	struct context *context;	/* where switch_to() left it */
	struct trapframe *tf;		/* user registers, at the top of the kernel stack */
	uint64_t fs_base;		/* arch_prctl(ARCH_SET_FS) */
	uint64_t clear_child_tid;	/* set_tid_address */
	uint8_t fpu[512] __attribute__((aligned(16)));	/* fxsave area */

	void *wait_chan;		/* what it sleeps on (P_SLEEPING) */
	bool sleep_uninterruptible;	/* a signal does not end this sleep (Linux's D state) */
	uint64_t wake_at_ns;		/* timed sleep deadline, 0 = none */
	uint64_t pending;		/* signals sent, not yet acted on (bit n-1) */
	uint64_t ignored;		/* signals set to SIG_IGN (bit n-1) */
	int exit_status;		/* wait4 status word, valid in P_ZOMBIE */
	int oom_score_adj;		/* -1000..1000: kept by exec, inherited by fork (mm/oom_kill.c) */
	bool oom_victim;		/* chosen by the OOM killer, not yet exited */
};

extern struct proc proc_table[NPROC];
extern struct spinlock proc_lock;

/* Set up the initial FPU image (after cpu_init). */
void proc_init(void);
/* Take a free slot with a kernel stack, state EMBRYO; NULL with *err set
 * (-EAGAIN: table full, -ENOMEM). */
struct proc *proc_alloc(int *err);
/* Return a slot to the table: a reaped zombie, or an EMBRYO that failed. */
void proc_free(struct proc *p);
/* The process running on this CPU. */
struct proc *current(void);
struct proc *proc_find(int pid);
/* Start a kernel thread running FN(ARG); NULL when no slot or memory. */
struct proc *kthread_create(const char *name, void (*fn)(void *), void *arg);
/* Start the first user program; panics if that is impossible. */
void proc_start_init(const char *path, char *const argv[]);
/* Record STATUS (a wait4 status word), release resources, wake the parent, never return. */
__attribute__((noreturn)) void proc_exit(int status);
void proc_set_name(struct proc *p, const char *path);
/* A vfork child stops using its parent's memory (exec or exit): wake the parent. */
void vfork_release(struct proc *p);
