/*
 * kernel/signal.c - sending signals and acting on them (default actions).
 */
#include "kernel/signal.h"
#include "kernel/errno.h"
#include "kernel/proc.h"
#include "kernel/sched.h"

static uint64_t bit(int sig)
{
	return 1UL << (sig - 1);
}

/* Signals whose default action is to do nothing. */
static bool ignored_by_default(int sig)
{
	return sig == SIGCHLD || sig == SIGCONT || sig == SIGWINCH;
}

static void send_locked(struct proc *p, int sig)
{
	if (ignored_by_default(sig) || ((p->ignored & bit(sig)) && sig != SIGKILL))
		return;
	p->pending |= bit(sig);
	if (p->state == P_SLEEPING) {
		p->wake_at_ns = 0;
		p->state = P_RUNNABLE;
	}
}

int signal_send(struct proc *p, int sig)
{
	if (sig < 1 || sig > NSIG)
		return -EINVAL;
	spin_lock(&proc_lock);
	send_locked(p, sig);
	spin_unlock(&proc_lock);
	return 0;
}

int signal_send_group(int pgid, int sig)
{
	int found = 0;

	if (sig < 0 || sig > NSIG)
		return -EINVAL;
	spin_lock(&proc_lock);
	for (struct proc *p = proc_table; p < proc_table + NPROC; p++) {
		if (p->state == P_UNUSED || p->state == P_ZOMBIE || p->pgid != pgid || !p->vm)
			continue;
		found++;
		if (sig && p->pid != 1)	/* init: see signal.h */
			send_locked(p, sig);
	}
	spin_unlock(&proc_lock);
	return found ? 0 : -ESRCH;
}

bool signal_pending(void)
{
	struct proc *p = current();
	return p && (p->pending & ~p->ignored);
}

void signal_deliver(void)
{
	struct proc *p = current();

	if (!signal_pending())
		return;
	for (int sig = 1; sig <= NSIG; sig++)
		if (p->pending & ~p->ignored & bit(sig))
			proc_exit(sig);		/* wait status: killed by SIG */
}
