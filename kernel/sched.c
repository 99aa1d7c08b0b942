/*
 * kernel/sched.c - the scheduler: round-robin over the process table.
 *
 * Each CPU runs scheduler() on its boot stack.  It picks the next RUNNABLE
 * process after the last one it ran and switch_to()s it; the process comes
 * back here through sched() when it sleeps, yields or exits.  With nothing to
 * run it halts until the next interrupt.  The kernel is not preemptive:
 * the timer only sets need_resched, and a process yields on its way back to
 * user mode (syscall_dispatch, trap), and long system calls call
 * cond_resched() between chunks of work.  proc_lock is held across every switch.
 */
#include "kernel/sched.h"
#include "kernel/x86/cpu.h"
#include "kernel/x86/gdt.h"
#include "kernel/panic.h"
#include "kernel/proc.h"
#include "kernel/x86/time.h"
#include "mm/tlb.h"
#include "mm/vm.h"
#include "mm/vmspace.h"

void switch_to(struct context **save, struct context *next);

static void on_tick(void)
{
	this_cpu()->need_resched = true;
}

void sched_init(void)
{
	time_set_tick_hook(on_tick);
}

/* Make timed sleepers whose deadline passed runnable.  proc_lock held. */
static void wake_timed(void)
{
	uint64_t now = time_ns();

	for (struct proc *p = proc_table; p < proc_table + NPROC; p++)
		if (p->state == P_SLEEPING && p->wake_at_ns && p->wake_at_ns <= now) {
			p->wake_at_ns = 0;
			p->state = P_RUNNABLE;
		}
}

static struct proc *pick_next(struct proc *last)
{
	for (int i = 1; i <= NPROC; i++) {
		struct proc *p = proc_table + ((last - proc_table) + i) % NPROC;
		if (p->state == P_RUNNABLE)
			return p;
	}
	return NULL;
}

static void run(struct cpu *c, struct proc *p)
{
	p->state = P_RUNNING;
	c->proc = p;
	c->kernel_rsp = p->kstack_top;
	tss_set_kernel_stack(p->kstack_top);
	if (p->vm)
		switch_mm(p->vm);
	wrmsr(MSR_FS_BASE, p->fs_base);
	asm volatile("fxrstor %0" : : "m"(*p->fpu));
	switch_to(&c->scheduler, p->context);
	asm volatile("fxsave %0" : "=m"(*p->fpu));
	c->proc = NULL;
}

void scheduler(void)
{
	struct cpu *c = this_cpu();
	struct proc *last = proc_table;

	for (;;) {
		spin_lock(&proc_lock);
		wake_timed();
		struct proc *p = pick_next(last);
		if (p) {
			c->need_resched = false;
			run(c, p);
			last = p;
		}
		spin_unlock(&proc_lock);
		if (!p) {
			sti();
			hlt();
		}
	}
}

void sched(void)
{
	struct proc *p = current();

	if (!spin_held(&proc_lock) || irq_nesting.depth != 1 || p->state == P_RUNNING)
		panic("sched: needs exactly proc_lock held and a state other than RUNNING");
	/* the interrupt state belongs to this process, not to the scheduler */
	struct irq_nesting saved = irq_nesting;
	switch_to(&p->context, this_cpu()->scheduler);
	irq_nesting = saved;
}

void yield(void)
{
	spin_lock(&proc_lock);
	current()->state = P_RUNNABLE;
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
	if (!interruptible || !(p->pending & ~p->ignored)) {
		p->wait_chan = chan;
		p->wake_at_ns = deadline_ns;
		p->state = P_SLEEPING;
		p->sleep_uninterruptible = !interruptible;
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
		if (p->state == P_SLEEPING && p->wait_chan == chan && chan) {
			p->wake_at_ns = 0;
			p->state = P_RUNNABLE;
		}
}

void wakeup(void *chan)
{
	spin_lock(&proc_lock);
	wakeup_locked(chan);
	spin_unlock(&proc_lock);
}
