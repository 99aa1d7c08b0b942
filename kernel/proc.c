/*
 * kernel/proc.c - the task table: taking and freeing slots, kernel threads
 * and the first process.  clone and fork are in fork.c, exit and wait4 in
 * exit.c, kill in sys_proc.c, exec in exec.c.
 *
 * Each slot i owns a fixed kernel-stack window in the kernel stack area
 * (mm/layout.h): one unmapped guard page, then KSTACK_PAGES mapped pages, so
 * an overflow hits the guard page and double-faults into a clean panic
 * instead of corrupting a neighbour.  The stacks are mapped once, when the
 * first slot is taken, and kept for good (NPROC * KSTACK_PAGES frames, 1 MiB
 * at 64 slots; Linux caches freed stacks too): a stack is never unmapped,
 * so no CPU can keep a stale TLB entry for a slot's old stack when the slot
 * is taken again - threads come and go fast - and freeing a task, which
 * happens with proc_lock held (wait4, the scheduler's proc_release), never
 * waits for a TLB shootdown.  The stack's top holds the task's trap frame;
 * new tasks start with a context below it that "returns" into
 * proc_entry_user or proc_entry_kthread (kernel/x86/switch.asm).
 */
#include "kernel/proc.h"
#include "kernel/x86/cpu.h"
#include "kernel/errno.h"
#include "kernel/exec.h"
#include "kernel/fs/file.h"
#include "kernel/panic.h"
#include "kernel/sched.h"
#include "kernel/sys_misc.h"
#include "kernel/x86/time.h"
#include "kernel/signal/signal.h"
#include "mm/frame.h"
#include "mm/layout.h"
#include "mm/vm.h"
#include "mm/vmspace.h"

struct proc proc_table[NPROC];
struct spinlock proc_lock = SPINLOCK_INIT("proc");
static int next_pid = 1;
static uint8_t fpu_initial[512] __attribute__((aligned(16)));

extern char proc_entry_user[], proc_entry_kthread[];

struct proc *proc_find(int pid)
{
	for (struct proc *p = proc_table; p < proc_table + NPROC; p++)
		if (p->state != P_UNUSED && p->state != P_DEAD && p->state != P_EMBRYO &&
		    p->pid == pid)
			return p;
	return NULL;
}

int proc_last_pid(void)
{
	return __atomic_load_n(&next_pid, __ATOMIC_RELAXED) - 1;
}

void proc_set_name(struct proc *p, const char *path)
{
	const char *base = path;

	for (const char *s = path; *s; s++)
		if (*s == '/' && s[1])
			base = s + 1;
	strlcpy(p->name, base, sizeof(p->name));
}

static uint64_t kstack_base(const struct proc *p)
{
	return KSTACK_AREA_BASE + (uint64_t)(p - proc_table) * (KSTACK_PAGES + 1) * PAGE_SIZE;
}

static uint64_t kstack_top(const struct proc *p)
{
	return kstack_base(p) + (KSTACK_PAGES + 1) * PAGE_SIZE;
}

/* Map every slot's kernel stack (see the top of this file).  Run by the
 * first proc_alloc, at boot, before any other task can call it. */
static void kstacks_init(void)
{
	static bool done;

	if (done)
		return;
	for (struct proc *p = proc_table; p < proc_table + NPROC; p++) {
		for (uint64_t va = kstack_base(p) + PAGE_SIZE; va < kstack_top(p); va += PAGE_SIZE) {
			uint64_t pa = frame_alloc(FRAME_KSTACK);
			if (!pa || map_kernel_page(va, pa))
				panic("kstacks_init: no memory for the kernel stacks");
		}
	}
	done = true;
}

struct proc *proc_alloc(int *err)
{
	struct proc *p;

	kstacks_init();
	spin_lock(&proc_lock);
	for (p = proc_table; p < proc_table + NPROC && p->state != P_UNUSED; p++)
		;
	if (p == proc_table + NPROC) {
		spin_unlock(&proc_lock);
		*err = -EAGAIN;
		return NULL;
	}
	memset(p, 0, sizeof(*p));
	p->state = P_EMBRYO;
	p->cpus_allowed = ~0UL;
	p->pid = p->tgid = next_pid++;
	p->group_leader = p;
	p->nr_threads = 1;
	p->exit_signal = SIGCHLD;
	p->start_ticks = time_ticks();
	spin_unlock(&proc_lock);
	p->kstack_top = kstack_top(p);
	p->tf = (struct trapframe *)(p->kstack_top - sizeof(struct trapframe));
	p->context = (struct context *)p->tf - 1;
	memset(p->context, 0, sizeof(*p->context));
	p->context->rip = (uint64_t)proc_entry_user;
	memcpy(p->fpu, fpu_initial, sizeof(fpu_initial));
	return p;
}

void proc_free(struct proc *p)
{
	if (p->vm)
		vmspace_put(p->vm);
	p->vm = NULL;
	files_put(p->files);
	fs_put(p->fs);
	sighand_put(p->sighand);
	p->files = NULL;
	p->fs = NULL;
	p->sighand = NULL;
	p->state = P_UNUSED;
}

void proc_release(struct proc *p)
{
	if (p->state == P_DEAD)
		proc_free(p);
}

/* First code of every new process, still holding the scheduler's proc_lock. */
void proc_first_run(void);
void proc_first_run(void)
{
	spin_unlock(&proc_lock);
}

struct proc *kthread_create(const char *name, void (*fn)(void *), void *arg)
{
	int err;
	struct proc *p = proc_alloc(&err);

	if (!p)
		return NULL;
	strlcpy(p->name, name, sizeof(p->name));
	p->context->rip = (uint64_t)proc_entry_kthread;
	p->context->r12 = (uint64_t)fn;
	p->context->r13 = (uint64_t)arg;
	spin_lock(&proc_lock);
	sched_make_runnable(p);
	spin_unlock(&proc_lock);
	return p;
}

void kthread_exit(void);
void kthread_exit(void)
{
	proc_exit(0);
}

void proc_start_init(const char *path, char *const argv[])
{
	static char *const envp[] = { "HOME=/", "PATH=/bin", "TERM=vt100", NULL };
	int err;
	struct proc *p = proc_alloc(&err);

	if (!p)
		panic("proc_start_init: cannot create the first process (%d)", err);
	p->pgid = p->pid;
	p->sid = p->pid;
	misc_init_proc(p);
	if ((err = fd_open_console_in(p)))
		panic("proc_start_init: cannot open the console (%d)", err);
	if (!(p->sighand = sighand_alloc()))
		panic("proc_start_init: out of memory for the signal dispositions");
	err = exec_into(p, path, argv, envp);
	if (err)
		panic("proc_start_init: cannot run %s (error %d)", path, -err);
	spin_lock(&proc_lock);
	sched_make_runnable(p);
	spin_unlock(&proc_lock);
}

void proc_init(void)
{
	asm volatile("fxsave %0" : "=m"(fpu_initial));
}
