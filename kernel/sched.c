/*
 * kernel/sched.c - the scheduler: round-robin over the process table, on
 * every CPU.
 *
 * One run queue for all CPUs, and it is the process table itself, scanned
 * under proc_lock (as xv6 does).  Per-CPU queues with stealing would spare
 * the CPUs some contention on proc_lock and keep a process near its cache,
 * but with NPROC = 64 slots a scan is short, and one queue keeps the rules
 * plain: a process is in exactly one state in one place, a RUNNABLE process
 * runs on the first allowed CPU that looks (no migration code, no balancing),
 * and sleep and wakeup need no cross-CPU hand-over.
 *
 * Each CPU runs scheduler() on its own stack (the boot stack, or the one
 * kernel/x86/smpboot.c gave it).  It picks the next RUNNABLE process after
 * the last one it ran that may run on it (p->cpus_allowed) and switch_to()s
 * it; the process comes back here through sched() when it sleeps, yields or
 * exits.  proc_lock is held across every switch, both ways: a process that
 * gives up its CPU is seen RUNNABLE or SLEEPING by other CPUs only once
 * switch_to has saved its registers, so it never runs on two CPUs at once
 * (xv6's rule).  Between two processes a CPU keeps the page tables of the
 * one it ran last (Linux's lazy TLB: the next may well be the same, and a
 * CR3 load empties the TLB); before it halts for want of work it loads the
 * kernel's own (switch_mm(NULL)), so that idle CPUs get no shootdowns.  An
 * address space freed while some CPU still holds it makes that CPU let go
 * first (tlb_release_mm, mm/tlb.c).
 *
 * With nothing to run a CPU halts (idle) until an interrupt; whoever makes a
 * process runnable sends a reschedule IPI to an idle CPU that may run it
 * (sched_make_runnable), so the process does not wait for that CPU's next
 * tick.  The kernel is not preemptive: the timer only sets need_resched, and
 * a process yields on its way back to user mode (syscall_dispatch, trap),
 * and long system calls call cond_resched() between chunks of work.
 */
#include "kernel/sched.h"
#include "kernel/errno.h"
#include "kernel/x86/apic.h"
#include "kernel/x86/cpu.h"
#include "kernel/x86/gdt.h"
#include "kernel/panic.h"
#include "kernel/proc.h"
#include "kernel/random.h"
#include "kernel/signal/signal.h"
#include "kernel/stop_machine.h"
#include "kernel/syscall.h"
#include "kernel/x86/time.h"
#include "kernel/x86/trap.h"
#include "kernel/uaccess.h"
#include "mm/tlb.h"
#include "mm/vm.h"
#include "mm/vmspace.h"

/* The kernel's CPU mask, as sched_getaffinity reports its size: one 64-bit
 * word (Linux: cpumask_size()). */
#define CPUMASK_BYTES sizeof(uint64_t)

void switch_to(struct context **save, struct context *next);

/*
 * The load average (/proc/loadavg, sysinfo): Linux's calc_load
 * (kernel/sched/loadavg.c).  Every LOAD_FREQ the number of active tasks
 * (runnable, running, or in an uninterruptible sleep) is folded into three
 * exponentially decaying averages, fixed point with FSHIFT fraction bits:
 * load = load * e + active * (1 - e), e = exp(-5 s / 1, 5, 15 min).
 */
#define LOAD_FREQ (5 * HZ + 1)
#define EXP_1 1884		/* 1 / exp(5 s / 1 min), fixed point */
#define EXP_5 2014
#define EXP_15 2037

static uint64_t avenrun[3];	/* written by CPU 0's tick only */

static uint64_t calc_load(uint64_t load, uint64_t exp, uint64_t active)
{
	uint64_t newload = load * exp + active * (FIXED_1 - exp);

	if (active >= load)
		newload += FIXED_1 - 1;		/* round up while rising, as Linux */
	return newload / FIXED_1;
}

/* Count the active tasks without proc_lock (a tick may not wait for it):
 * a racy snapshot, as Linux's per-CPU counts are. */
static void loadavg_update(void)
{
	uint64_t active = 0;

	for (struct proc *p = proc_table; p < proc_table + NPROC; p++) {
		enum proc_state s = __atomic_load_n(&p->state, __ATOMIC_RELAXED);
		active += s == P_RUNNABLE || s == P_RUNNING ||
			  (s == P_SLEEPING && __atomic_load_n(&p->sleep_uninterruptible,
							      __ATOMIC_RELAXED));
	}
	active *= FIXED_1;
	static const uint64_t exps[3] = { EXP_1, EXP_5, EXP_15 };
	for (int i = 0; i < 3; i++)
		__atomic_store_n(&avenrun[i], calc_load(avenrun[i], exps[i], active),
				 __ATOMIC_RELAXED);
}

void sched_loadavg(uint64_t loads[3])
{
	for (int i = 0; i < 3; i++)
		loads[i] = __atomic_load_n(&avenrun[i], __ATOMIC_RELAXED);
}

/* Charge the tick to what it interrupted: no process (the idle loop), a
 * process in user mode, or one in the kernel (/proc/stat), and to that
 * process's own user or system time (times(2), /proc/PID/stat). */
static void on_tick(bool from_user)
{
	struct cpu *c = this_cpu();

	if (!c->proc)
		c->ticks_idle++;
	else if (from_user)
		c->ticks_user++, c->proc->utime++;
	else
		c->ticks_system++, c->proc->stime++;
	c->need_resched = true;
	random_add_interrupt();
	if (c->id == 0 && time_ticks() % LOAD_FREQ == 0)
		loadavg_update();
}

void sched_init(void)
{
	time_set_tick_hook(on_tick);
}

static bool may_run_on(const struct proc *p, int cpu)
{
	return p->cpus_allowed & (1UL << cpu);
}

/* P is RUNNABLE: wake one idle CPU it may run on.  proc_lock held. */
static void kick_idle_cpu(struct proc *p)
{
	for (int i = 0; i < ncpu; i++) {
		struct cpu *c = &cpus[i];
		if (c->idle && may_run_on(p, i)) {
			c->idle = false;	/* idle_wait() will not halt, or ... */
			if (i != cpu_id())	/* ... this interrupt ends the halt */
				apic_send_ipi(i, T_RESCHEDULE);
			return;
		}
	}
}

void sched_make_runnable(struct proc *p)
{
	p->wake_at_ns = 0;
	p->state = P_RUNNABLE;
	kick_idle_cpu(p);
}

uint64_t sched_idle_cpus(void)
{
	uint64_t mask = 0;

	for (int i = 0; i < ncpu; i++)
		if (__atomic_load_n(&cpus[i].idle, __ATOMIC_RELAXED))
			mask |= 1UL << i;
	return mask;
}

/* Make timed sleepers whose deadline passed runnable, and send the alarms
 * that are due.  proc_lock held. */
static void wake_timed(void)
{
	uint64_t now = time_ns();

	signal_run_timers_locked(now);

	for (struct proc *p = proc_table; p < proc_table + NPROC; p++)
		if (p->state == P_SLEEPING && p->wake_at_ns && p->wake_at_ns <= now)
			sched_make_runnable(p);
}

static struct proc *pick_next(const struct cpu *c, struct proc *last)
{
	for (int i = 1; i <= NPROC; i++) {
		struct proc *p = proc_table + ((last - proc_table) + i) % NPROC;
		if (p->state == P_RUNNABLE && may_run_on(p, c->id))
			return p;
	}
	return NULL;
}

static void run(struct cpu *c, struct proc *p)
{
	p->state = P_RUNNING;
	p->cpu = c->id;
	c->proc = p;
	c->context_switches++;
	c->kernel_rsp = p->kstack_top;
	tss_set_kernel_stack(p->kstack_top);
	if (p->vm)
		switch_mm(p->vm);
	wrmsr(MSR_FS_BASE, p->fs_base);
	asm volatile("fxrstor %0" : : "m"(*p->fpu));
	switch_to(&c->scheduler, p->context);
	asm volatile("fxsave %0" : "=m"(*p->fpu));
	c->proc = NULL;
	proc_release(p);
}

/* Halt until an interrupt, unless a wakeup already cleared c->idle: the
 * check runs with interrupts off and `sti; hlt` leaves no gap for the
 * reschedule IPI to slip into (STI's one-instruction interrupt shadow,
 * Intel SDM Vol 2B, STI). */
static void idle_wait(struct cpu *c)
{
	cli();
	if (__atomic_load_n(&c->idle, __ATOMIC_ACQUIRE))
		safe_halt();
	sti();
}

void scheduler(void)
{
	struct cpu *c = this_cpu();
	struct proc *last = proc_table;

	for (;;) {
		/* Interrupts on between two processes (xv6's intr_on).  The
		 * spin_lock below records this state, and a new task's first
		 * spin_unlock(&proc_lock) (proc_first_run) restores it.  Left as
		 * the last task gave up the CPU - off when it yielded on its
		 * way back from an interrupt - a new kernel thread would run
		 * with interrupts off for good (each sched() gives it back its
		 * own state): ksmd then never sees a tick, scans whole passes
		 * at once, and the tick held pending is charged to the user
		 * task it switches to, which yields at once - no progress at
		 * one CPU once a pass outlasts a tick. */
		sti();
		stop_machine_park();	/* between two processes: a safe point */
		spin_lock(&proc_lock);
		c->idle = false;
		wake_timed();
		struct proc *p = pick_next(c, last);
		if (p) {
			c->need_resched = false;
			run(c, p);
			last = p;
		} else {
			c->idle = true;
		}
		spin_unlock(&proc_lock);
		if (!p) {
			switch_mm(NULL);
			idle_wait(c);
		}
	}
}

void sched(void)
{
	struct proc *p = current();
	struct cpu *c = this_cpu();

	if (lockdep_mode)
		lockdep_check_sleep();
	if (!spin_held(&proc_lock) || c->irq.depth != 1 || p->state == P_RUNNING)
		panic("sched: needs exactly proc_lock held and a state other than RUNNING");
	/* the interrupt state belongs to this process, not to the CPU: it may
	 * come back on another one */
	uint64_t enabled = c->irq.enabled_before;
	switch_to(&p->context, c->scheduler);
	this_cpu()->irq.enabled_before = enabled;
}

void yield(void)
{
	struct proc *p = current();

	spin_lock(&proc_lock);
	p->state = P_RUNNABLE;
	p->nivcsw++;
	if (!may_run_on(p, cpu_id()))
		kick_idle_cpu(p);
	sched();
	spin_unlock(&proc_lock);
}

void cond_resched(void)
{
	if (this_cpu()->need_resched)
		yield();
}

/* Sleep on CHAN with LOCK handed over to proc_lock; a pending signal cuts
 * the sleep short only when INTERRUPTIBLE. */
static void do_sleep(void *chan, struct spinlock *lock, uint64_t deadline_ns, bool interruptible)
{
	struct proc *p = current();

	if (lock != &proc_lock) {
		spin_lock(&proc_lock);
		spin_unlock(lock);
	}
	if (!interruptible || !task_signal_pending(p)) {
		p->wait_chan = chan;
		p->wake_at_ns = deadline_ns;
		p->state = P_SLEEPING;
		p->sleep_uninterruptible = !interruptible;
		p->nvcsw++;
		sched();
		p->wait_chan = NULL;
		p->wake_at_ns = 0;
	}
	if (lock != &proc_lock) {
		spin_unlock(&proc_lock);
		spin_lock(lock);
	}
}

void sleep_until(void *chan, struct spinlock *lock, uint64_t deadline_ns)
{
	do_sleep(chan, lock, deadline_ns, true);
}

void sleep_on_uninterruptible(void *chan, struct spinlock *lock)
{
	do_sleep(chan, lock, 0, false);
}

void sleep_on(void *chan, struct spinlock *lock)
{
	sleep_until(chan, lock, 0);
}

void wakeup_locked(void *chan)
{
	for (struct proc *p = proc_table; p < proc_table + NPROC; p++)
		if (p->state == P_SLEEPING && p->wait_chan == chan && chan)
			sched_make_runnable(p);
}

void wakeup(void *chan)
{
	spin_lock(&proc_lock);
	wakeup_locked(chan);
	spin_unlock(&proc_lock);
}

/* ---- system calls ---- */

/* The process PID names (0: the caller), or NULL.  proc_lock held. */
static struct proc *affinity_target(int pid)
{
	struct proc *p = pid == 0 ? current() : proc_find(pid);

	return p && p->state != P_EMBRYO ? p : NULL;
}

/*
 * sched_setaffinity(2): the CPUs PID may run on.  As Linux
 * (kernel/sched/core.c): LEN bytes of MASK are read, the rest taken as 0
 * and bytes past the kernel's mask ignored (-EFAULT if unreadable), then
 * -ESRCH for no such process, and -EINVAL when no online CPU is left in the
 * mask.  A process that may no longer run where it is moves at once if it
 * is the caller, else at its next reschedule (the next tick at the latest).
 */
long sys_sched_setaffinity(int pid, size_t len, uint64_t umask)
{
	uint64_t mask = 0;
	struct proc *p;

	if (copy_from_user(&mask, umask, MIN(len, CPUMASK_BYTES)))
		return -EFAULT;
	mask &= cpu_online_mask();
	spin_lock(&proc_lock);
	if (!(p = affinity_target(pid))) {
		spin_unlock(&proc_lock);
		return -ESRCH;
	}
	if (!mask) {
		spin_unlock(&proc_lock);
		return -EINVAL;
	}
	p->cpus_allowed = mask;
	if (p->state == P_RUNNABLE)
		kick_idle_cpu(p);
	spin_unlock(&proc_lock);
	if (p == current() && !may_run_on(p, cpu_id()))
		yield();
	return 0;
}

/*
 * sched_getaffinity(2): PID's CPU mask, online CPUs only, in the first
 * CPUMASK_BYTES of MASK; returns that size.  -EINVAL when LEN cannot hold
 * a bit for every CPU or is not a multiple of 8 (Linux's checks), -ESRCH,
 * -EFAULT.  musl's sysconf(_SC_NPROCESSORS_ONLN) counts these bits.
 */
long sys_sched_getaffinity(int pid, size_t len, uint64_t umask)
{
	uint64_t mask;
	struct proc *p;

	if (len * 8 < (size_t)ncpu || (len & (sizeof(long) - 1)))
		return -EINVAL;
	spin_lock(&proc_lock);
	if (!(p = affinity_target(pid))) {
		spin_unlock(&proc_lock);
		return -ESRCH;
	}
	mask = p->cpus_allowed & cpu_online_mask();
	spin_unlock(&proc_lock);
	if (copy_to_user(umask, &mask, CPUMASK_BYTES))
		return -EFAULT;
	return CPUMASK_BYTES;
}

/* getcpu(2): the CPU the caller runs on, and its NUMA node (always 0);
 * either pointer may be NULL; the third argument is unused since Linux
 * 2.6.24. */
long sys_getcpu(uint64_t ucpu, uint64_t unode, uint64_t cache)
{
	unsigned cpu = (unsigned)cpu_id(), node = 0;

	(void)cache;
	if ((ucpu && copy_to_user(ucpu, &cpu, sizeof(cpu))) ||
	    (unode && copy_to_user(unode, &node, sizeof(node))))
		return -EFAULT;
	return 0;
}
