/*
 * kernel/proc.h - processes, threads and kernel threads.
 *
 * A fixed table of NPROC slots; each slot is one schedulable task (Linux's
 * task_struct).  A user task has an address space (struct vmspace), a
 * descriptor table, a current directory, signal dispositions and a kernel
 * stack; a kernel thread has only the kernel stack.  clone() decides what a
 * new task shares with its creator (kernel/fork.c): the address space
 * (CLONE_VM), the descriptor table (CLONE_FILES, struct files_struct in
 * kernel/fs/file.h), the current directory (CLONE_FS, struct fs_struct), the
 * dispositions (CLONE_SIGHAND, struct sighand in kernel/signal/signal.h) and the
 * thread group (CLONE_THREAD).  A thread group is a process: its id (tgid)
 * is the pid of its first thread, the group leader, which holds the group's
 * state (the fields marked "leader" below) until the group is reaped.
 *
 * Lifecycle: EMBRYO (being built by clone/spawn) -> RUNNABLE <-> RUNNING
 * <-> SLEEPING -> ZOMBIE (a group leader that exited: waiting for wait4, and
 * for its other threads) -> UNUSED; a thread that is not the leader skips
 * the zombie: DEAD (exited; the scheduler frees the slot once it has
 * switched away from it, proc_release) -> UNUSED.  docs/userspace.md tells
 * the story; kernel/exit.c ends tasks and groups.
 */
#pragma once
#include "kernel/lib.h"
#include "kernel/signal/signal.h"
#include "kernel/spinlock.h"
#include "kernel/x86/trap.h"

#define NPROC 64		/* task slots (threads included, kernel threads too) */
#define NOFILE 32		/* descriptors per process */
#define PROC_NAME_LEN 16
#define KSTACK_PAGES 4		/* 16 KiB kernel stack, plus one guard page */

enum proc_state { P_UNUSED, P_EMBRYO, P_RUNNABLE, P_RUNNING, P_SLEEPING, P_ZOMBIE, P_DEAD };

/* getrlimit(2)'s resources (Linux include/uapi/asm-generic/resource.h) */
#define RLIMIT_CPU 0
#define RLIMIT_FSIZE 1
#define RLIMIT_DATA 2
#define RLIMIT_STACK 3
#define RLIMIT_CORE 4
#define RLIMIT_RSS 5
#define RLIMIT_NPROC 6
#define RLIMIT_NOFILE 7
#define RLIMIT_MEMLOCK 8
#define RLIMIT_AS 9
#define RLIMIT_SIGPENDING 11
#define RLIM_NLIMITS 16
#define RLIM_INFINITY (~0UL)
#define EXE_PATH_LEN 256	/* /proc/PID/exe's target: FS_PATH_MAX */

struct rlimit {
	uint64_t rlim_cur, rlim_max;
};

/* A thread group's limits and the times of its finished members
 * (kernel/sys_misc.c); the leader's copy is the group's. */
struct group_misc {
	struct rlimit rlim[RLIM_NLIMITS];	/* fork copies, exec keeps */
	uint64_t dead_utime, dead_stime;	/* ticks of its threads that have exited */
	uint64_t cutime, cstime;		/* ticks of its reaped children (and theirs) */
};

struct files_struct;
struct fs_struct;
struct sighand;
struct vmspace;

/* Callee-saved registers kept across switch_to() (kernel/x86/switch.asm). */
struct context {
	uint64_t r15, r14, r13, r12, rbx, rbp, rip;
};

struct proc {
	int pid;			/* thread id (gettid); the process id for a leader */
	int tgid;			/* thread group id: the process id (getpid) */
	enum proc_state state;
	char name[PROC_NAME_LEN];
	struct proc *parent;		/* the parent process (its group leader) */
	struct proc *group_leader;	/* the thread whose pid is tgid; itself for a leader */
	int pgid;			/* process group (job control, the tty's foreground) */
	int sid;			/* session: setsid(2) makes one, led by its caller */
	bool has_ctty;			/* the console tty is its controlling terminal (Linux
					 * signal->tty; kernel/fs/tty.c keeps it, fork copies it) */
	int exit_signal;		/* sent to the parent when the group ends (SIGCHLD,
					 * clone's low byte, 0 none); -1 for a thread */

	struct vmspace *vm;		/* NULL for kernel threads */
	struct proc *vfork_parent;	/* sleeping in vfork until we exec or exit */
	struct files_struct *files;	/* descriptors (CLONE_FILES shares them) */
	struct fs_struct *fs;		/* current directory (CLONE_FS shares it) */
	struct sighand *sighand;	/* signal dispositions (CLONE_SIGHAND shares them) */

	uint64_t kstack_top;		/* top of this process's kernel stack */
	struct context *context;	/* where switch_to() left it */
	struct trapframe *tf;		/* user registers, at the top of the kernel stack */
	uint64_t fs_base;		/* arch_prctl(ARCH_SET_FS) */
	uint64_t clear_child_tid;	/* set_tid_address, CLONE_CHILD_CLEARTID: zeroed and
					 * futex-woken when the thread exits */
	uint64_t robust_list;		/* set_robust_list's head (stored, not walked at exit) */
	uint8_t fpu[512] __attribute__((aligned(16)));	/* fxsave area */

	void *wait_chan;		/* what it sleeps on (P_SLEEPING) */
	bool sleep_uninterruptible;	/* a signal does not end this sleep (Linux's D state) */
	bool sleep_killable;		/* ... but SIGKILL does (Linux TASK_KILLABLE) */
	uint64_t wake_at_ns;		/* timed sleep deadline, 0 = none */
	/* signals (kernel/signal/signal.h), under proc_lock */
	struct sigpending pending;	/* sent to this thread, not yet taken */
	uint64_t blocked;		/* the signal mask (bit n-1) */
	uint64_t real_blocked;		/* rt_sigtimedwait: the mask before its wait */
	uint64_t saved_sigmask;		/* rt_sigsuspend, ppoll, pselect6: the mask to restore */
	bool restore_sigmask;		/* saved_sigmask is to be restored */
	struct sigaltstack altstack;	/* sigaltstack: ss_flags keeps only SS_AUTODISARM */
	bool stopped;			/* parked in a group stop ("T (stopped)") */
	bool in_syscall;		/* the restart rules apply to tf->rax ... */
	uint64_t syscall_nr;		/* ... of this call (Linux orig_ax) */
	uint64_t restart_deadline_ns;	/* restart_syscall: the interrupted nanosleep's */
	uint64_t restart_urem;		/* deadline and remaining-time pointer */
	int exit_status;		/* wait4 status word, valid in P_ZOMBIE */
	int oom_score_adj;		/* -1000..1000: kept by exec, inherited by fork (mm/oom_kill.c) */
	bool oom_victim;		/* chosen by the OOM killer, not yet exited */

	/* leader: the thread group's state, under proc_lock (kernel/exit.c) */
	int nr_threads;			/* threads of the group that have not exited */
	bool group_exiting;		/* exit_group or a fatal signal: every thread leaves */
	int group_exit_status;		/* the group's wait status once group_exiting */
	struct proc *group_exec;	/* execve from a thread: the one that stays (de_thread) */
	struct sigpending shared_pending;	/* signals sent to the process */
	bool group_stopping;		/* a stop signal was taken: threads park */
	bool group_stopped;		/* ... and all of them have */
	int group_stop_sig;		/* the signal that stopped it */
	int stop_report;		/* CLD_STOPPED/CLD_CONTINUED not yet told to wait4, or 0 */
	uint64_t alarm_ns;		/* alarm/ITIMER_REAL expiry (time_ns), 0 = off */
	uint64_t alarm_interval_ns;	/* ITIMER_REAL's reload interval */
	int cpu;			/* the CPU it runs on, or last ran on */
	uint64_t cpus_allowed;		/* CPUs it may run on (bit i = cpus[i]): sched_setaffinity */

	/* accounting and small settings (kernel/sys_misc.c, /proc/PID/stat) */
	uint64_t utime, stime;		/* timer ticks (HZ) charged to it in user / kernel mode */
	uint64_t start_ticks;		/* time_ticks() when it was created */
	uint64_t nvcsw, nivcsw;		/* context switches: it slept / its slice ended */
	int nice;			/* -20..19 (setpriority); the scheduler ignores it */
	int pdeath_signal;		/* prctl(PR_SET_PDEATHSIG): sent when its parent dies */
	int dumpable;			/* prctl(PR_SET_DUMPABLE): 1, or 0 */
	char exe[EXE_PATH_LEN];		/* the program it runs (exec): /proc/PID/exe */
	struct group_misc misc;		/* leader: the group's limits and times */
};

extern struct proc proc_table[NPROC];
extern struct spinlock proc_lock;

/* Set up the initial FPU image (after cpu_init). */
void proc_init(void);
/* Take a free slot (with its kernel stack), state EMBRYO; NULL with *err
 * set to -EAGAIN when the table is full. */
struct proc *proc_alloc(int *err);
/* Return a slot to the table with whatever it still holds (address space,
 * descriptors, directory, dispositions): a reaped zombie, a
 * DEAD thread, or an EMBRYO that failed.  The descriptors and directory must
 * already be gone when proc_lock is held (closing a file may sleep). */
void proc_free(struct proc *p);
/* The scheduler, holding proc_lock, has just switched away from P: free
 * P's slot if P was a thread that exited (DEAD), the one moment its kernel
 * stack is certainly no longer in use (Linux: finish_task_switch). */
void proc_release(struct proc *p);
/* The task running on this CPU.  Inline: every fault and system call asks,
 * and under QEMU's TCG each return from a call is a jump-cache lookup. */
static inline struct proc *current(void)
{
	return this_cpu()->proc;
}
/* The task with thread id PID, unless its slot is free, DEAD or an EMBRYO
 * still being built; NULL otherwise.  proc_lock held. */
struct proc *proc_find(int pid);
/* Iterate over the tasks of LEADER's thread group (zombies included, DEAD
 * threads not).  proc_lock held. */
#define for_each_thread(t, leader) \
	for (struct proc *t = proc_table; t < proc_table + NPROC; t++) \
		if (t->state != P_UNUSED && t->state != P_DEAD && t->group_leader == (leader))
/* POSIX's orphaned process group: no member has a parent in another group
 * of the same session (Linux will_become_orphaned_pgrp).  Stop signals from
 * the terminal are discarded for one (nobody could continue it), and the tty
 * answers EIO instead of SIGTTIN.  proc_lock held. */
bool pgrp_is_orphaned_locked(int pgid);
/* The session of process group PGID (a group never spans two), or 0 when
 * no process is in it.  proc_lock held. */
int pgrp_session_locked(int pgid);
/* Start a kernel thread running FN(ARG); NULL when no slot or memory. */
struct proc *kthread_create(const char *name, void (*fn)(void *), void *arg);
/* Start the first user program; panics if that is impossible. */
void proc_start_init(const char *path, char *const argv[]);
void proc_set_name(struct proc *p, const char *path);
/* The pid given out last (/proc/loadavg; pids are never reused, so it also
 * counts the tasks created since boot: /proc/stat's processes). */
int proc_last_pid(void);

/* ---- ending tasks and groups: kernel/exit.c ---- */

/* End the calling thread with wait status STATUS (exit(2)): clear and wake
 * its clear_child_tid, drop what it holds, and either leave a zombie for the
 * parent (the last thread of the group, or a leader) or vanish (DEAD).
 * The group's status is reported once its last thread is gone. */
__attribute__((noreturn)) void proc_exit(int status);
/* End every thread of the calling group with STATUS (exit_group(2), a fatal
 * signal): the first one to start a group exit sets the group's status. */
__attribute__((noreturn)) void proc_exit_group(int status);
/* execve from a thread: end the group's other threads and wait for them
 * (Linux de_thread); the caller then takes over the leader's pid.  0, or
 * -EINTR when a fatal signal (or another group exit) came first. */
int de_thread(void);
/* A vfork child stops using its parent's memory (exec or exit): wake the parent. */
void vfork_release(struct proc *p);
