/*
 * kernel/signal.c - sending signals and acting on them (default actions).
 *
 * signal_send() marks a signal pending on a thread unless its process
 * ignores it; signal_send_process_locked() picks the thread for a signal sent
 * to a whole process.  force_sig() is how a fault's signal is sent (Linux
 * force_sig_fault): an ignored fault signal is reset to its default action
 * first, since returning to the faulting instruction would only fault again.
 * Every signal that is acted on here is fatal, so acting on one ends the
 * process: proc_exit_group (kernel/exit.c) makes the other threads leave.
 */
#include "kernel/signal.h"
#include "kernel/errno.h"
#include "kernel/proc.h"
#include "kernel/sched.h"
#include "mm/heap.h"

static uint64_t bit(int sig)
{
	return 1UL << (sig - 1);
}

struct sighand *sighand_alloc(void)
{
	struct sighand *sh = kzalloc(sizeof(*sh));

	if (sh)
		sh->refcount = 1;
	return sh;
}

struct sighand *sighand_copy(const struct sighand *sh)
{
	struct sighand *copy = sighand_alloc();

	if (copy) {
		spin_lock(&proc_lock);
		copy->ignored = sh->ignored;
		spin_unlock(&proc_lock);
	}
	return copy;
}

struct sighand *sighand_get(struct sighand *sh)
{
	__atomic_add_fetch(&sh->refcount, 1, __ATOMIC_RELAXED);
	return sh;
}

void sighand_put(struct sighand *sh)
{
	if (sh && __atomic_sub_fetch(&sh->refcount, 1, __ATOMIC_ACQ_REL) == 0)
		kfree(sh);
}

/* Signals whose default action is to do nothing (man 7 signal: Ign). */
static bool ignored_by_default(int sig)
{
	return sig == SIGCHLD || sig == SIGCONT || sig == SIGURG || sig == SIGWINCH;
}

static uint64_t ignored_of(const struct proc *p)
{
	return p->sighand ? p->sighand->ignored : 0;
}

bool signal_ignored_or_blocked(const struct proc *p, int sig)
{
	return ignored_of(p) & bit(sig);
}

void signal_send_locked(struct proc *p, int sig)
{
	if (ignored_by_default(sig) || ((ignored_of(p) & bit(sig)) && sig != SIGKILL))
		return;
	p->pending |= bit(sig);
	if (p->state == P_SLEEPING && !p->sleep_uninterruptible)
		sched_make_runnable(p);
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

static bool exited(const struct proc *p)
{
	return p->state == P_ZOMBIE || p->state == P_DEAD || p->state == P_UNUSED;
}

void signal_send_process_locked(struct proc *p, int sig)
{
	if (exited(p)) {
		for_each_thread(t, p->group_leader) {
			if (!exited(t) && t->state != P_EMBRYO) {
				p = t;
				break;
			}
		}
	}
	if (!exited(p))
		signal_send_locked(p, sig);
}

int signal_send_group_locked(int pgid, int sig)
{
	int found = 0;

	if (sig < 0 || sig > NSIG)
		return -EINVAL;
	for (struct proc *p = proc_table; p < proc_table + NPROC; p++) {
		if (p->state == P_UNUSED || p->state == P_EMBRYO || p->state == P_DEAD ||
		    p->group_leader != p || p->pgid != pgid || !p->sighand || !p->nr_threads)
			continue;
		found++;
		if (sig && p->pid != 1)	/* init: see signal.h */
			signal_send_process_locked(p, sig);
	}
	return found ? 0 : -ESRCH;
}

int signal_send_group(int pgid, int sig)
{
	spin_lock(&proc_lock);
	int r = signal_send_group_locked(pgid, sig);
	spin_unlock(&proc_lock);
	return r;
}

void force_sig(int sig)
{
	struct proc *p = current();

	spin_lock(&proc_lock);
	p->sighand->ignored &= ~bit(sig);	/* no blocking yet: ignoring is all to undo */
	signal_send_locked(p, sig);
	spin_unlock(&proc_lock);
}

bool signal_set_ignored(int sig, bool ign)
{
	struct proc *me = current();
	struct sighand *sh = me->sighand;

	spin_lock(&proc_lock);
	bool was = sh->ignored & bit(sig);
	if (ign) {
		sh->ignored |= bit(sig);
		for (struct proc *p = proc_table; p < proc_table + NPROC; p++)
			if (p->state != P_UNUSED && p->sighand == sh)
				p->pending &= ~bit(sig);
	} else {
		sh->ignored &= ~bit(sig);
	}
	spin_unlock(&proc_lock);
	return was;
}

bool task_signal_pending(const struct proc *p)
{
	return p->pending & ~ignored_of(p);
}

/* With default actions only, every pending signal that is not ignored ends
 * the process (signal_send_locked() keeps none whose default is to ignore).  SIGKILL
 * is named on its own: it stays fatal once signals can have handlers. */
bool fatal_signal_pending(void)
{
	struct proc *p = current();

	return p && ((p->pending & bit(SIGKILL)) || task_signal_pending(p));
}

bool signal_pending(void)
{
	struct proc *p = current();
	return p && task_signal_pending(p);
}

void signal_deliver(void)
{
	struct proc *p = current();

	if (!signal_pending())
		return;
	for (int sig = 1; sig <= NSIG; sig++)
		if (p->pending & ~ignored_of(p) & bit(sig))
			proc_exit_group(sig);		/* wait status: killed by SIG */
}
