/*
 * kernel/signal.c - sending signals and acting on them (default actions).
 *
 * signal_send() marks a signal pending unless the process ignores it;
 * force_sig() is how a fault's signal is sent (Linux force_sig_fault): an
 * ignored fault signal is reset to its default action first, since returning
 * to the faulting instruction would only fault again.
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

void signal_send_locked(struct proc *p, int sig)
{
	if (ignored_by_default(sig) || ((p->ignored & bit(sig)) && sig != SIGKILL))
		return;
	p->pending |= bit(sig);
	if (p->state == P_SLEEPING && !p->sleep_uninterruptible) {
		p->wake_at_ns = 0;
		p->state = P_RUNNABLE;
	}
}

int signal_send(struct proc *p, int sig)
{
	if (sig < 1 || sig > NSIG)
		return -EINVAL;
	spin_lock(&proc_lock);
	signal_send_locked(p, sig);
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
			signal_send_locked(p, sig);
	}
	spin_unlock(&proc_lock);
	return found ? 0 : -ESRCH;
}

void force_sig(int sig)
{
	struct proc *p = current();

	spin_lock(&proc_lock);
	p->ignored &= ~bit(sig);	/* no blocking yet: ignoring is all to undo */
	signal_send_locked(p, sig);
	spin_unlock(&proc_lock);
}

/* With default actions only, every pending signal that is not ignored ends
 * the process (signal_send_locked() keeps none whose default is to ignore).  SIGKILL
 * is named on its own: it stays fatal once signals can have handlers. */
bool fatal_signal_pending(void)
{
	struct proc *p = current();

	return p && ((p->pending & bit(SIGKILL)) || (p->pending & ~p->ignored));
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
