/*
 * kernel/signal/signal.c - sending signals, the pending sets, dispositions,
 * job-control stops, and what fork, exec and the alarm timer do to them
 * (Linux kernel/signal/signal.c).  Delivery to a handler and rt_sigreturn are in
 * kernel/signal/frame.c, the system calls in kernel/signal/sys_signal.c.
 *
 * A signal is sent in three steps, all under proc_lock, as Linux's
 * __send_signal_locked: prepare_signal() applies what sending it does at
 * once (SIGCONT resumes a stopped group, stop and continue signals cancel
 * each other) and drops a signal the target ignores; the signal is queued
 * with its siginfo on the thread or on the group (shared_pending, in the
 * leader); complete_signal() picks a thread that does not block it and
 * wakes it - or, for a signal whose action is to kill, starts the group's
 * exit at once (SIGKILL to every thread), as Linux does.  A stopped thread
 * takes only SIGKILL; SIGTERM to a stopped process waits for its SIGCONT.
 */
#include "kernel/signal/signal.h"
#include "kernel/errno.h"
#include "kernel/proc.h"
#include "kernel/sched.h"
#include "kernel/uaccess.h"
#include "mm/heap.h"

_Static_assert(SI_KEPT == offsetof(struct siginfo, raw[32]), "SI_KEPT ends after si_stime");

#define SYNCHRONOUS_SIGNALS (sigmask(SIGSEGV) | sigmask(SIGBUS) | sigmask(SIGILL) | \
			     sigmask(SIGTRAP) | sigmask(SIGFPE) | sigmask(SIGSYS))

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
		memcpy(copy->action, sh->action, sizeof(copy->action));
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

static bool exited(const struct proc *p)
{
	return p->state == P_ZOMBIE || p->state == P_DEAD || p->state == P_UNUSED ||
	       p->state == P_EMBRYO;
}

static uint64_t handler_of(const struct proc *p, int sig)
{
	return p->sighand ? p->sighand->action[sig - 1].handler : SIG_DFL;
}

/* The action is the default and it kills (neither ignore nor stop). */
static bool sig_fatal(const struct proc *p, int sig)
{
	return handler_of(p, sig) == SIG_DFL &&
	       !((IGNORED_BY_DEFAULT | STOP_SIGNALS) & sigmask(sig));
}

/* Would SIG sent to thread T be discarded at once (Linux sig_ignored)?
 * Never while blocked: the handler may change before it is unblocked. */
static bool sig_ignored(const struct proc *t, int sig, bool from_user)
{
	uint64_t handler = handler_of(t, sig);

	if (t->tgid == 1 && from_user && handler == SIG_DFL)
		return true;		/* init: see signal.h */
	if ((t->blocked | t->real_blocked) & sigmask(sig))
		return false;
	return handler == SIG_IGN || (handler == SIG_DFL && (IGNORED_BY_DEFAULT & sigmask(sig)));
}

bool signal_ignored_or_blocked(const struct proc *p, int sig)
{
	return handler_of(p, sig) == SIG_IGN || (p->blocked & sigmask(sig));
}

/* Drop the signals in MASK from the group of LEADER: its shared set and
 * every thread's. */
static void flush_group(struct proc *leader, uint64_t mask)
{
	leader->shared_pending.set &= ~mask;
	for_each_thread(t, leader)
		t->pending.set &= ~mask;
}

/* Wake thread T for a signal: from an interruptible sleep, and for SIGKILL
 * (KILL) also from a killable one (a group stop, vfork's wait). */
static void signal_wake_up(struct proc *t, bool kill)
{
	if (t->state == P_SLEEPING && (!t->sleep_uninterruptible || (kill && t->sleep_killable)))
		sched_make_runnable(t);
}

/* SIGCONT was sent to the group of LEADER: resume a stop, and tell the
 * parent when the group had stopped. */
static void group_continue(struct proc *leader)
{
	if (!leader->group_stopping)
		return;
	bool was_stopped = leader->group_stopped;
	leader->group_stopping = leader->group_stopped = false;
	for_each_thread(t, leader) {
		if (t->stopped) {
			t->stopped = false;
			wakeup_locked(&t->stopped);
		}
	}
	if (was_stopped) {
		leader->stop_report = CLD_CONTINUED;
		do_notify_parent(leader, CLD_CONTINUED, SIGCONT);
	}
}

/* What sending SIG to T does at once; false when the signal is then
 * dropped (Linux prepare_signal). */
static bool prepare_signal(struct proc *t, int sig, bool from_user)
{
	struct proc *leader = t->group_leader;

	if (leader->group_exiting)
		return sig == SIGKILL;
	if (STOP_SIGNALS & sigmask(sig)) {
		flush_group(leader, sigmask(SIGCONT));
	} else if (sig == SIGCONT) {
		flush_group(leader, STOP_SIGNALS);
		group_continue(leader);
	}
	return !sig_ignored(t, sig, from_user);
}

/* Can thread T take SIG now?  A stopped thread takes only SIGKILL: any
 * other waits for SIGCONT, even a fatal one (Linux wants_signal). */
static bool wants_signal(const struct proc *t, int sig)
{
	if (exited(t) || (t->blocked & sigmask(sig)))
		return false;
	return sig == SIGKILL || !t->stopped;
}

/* End the group of LEADER for fatal signal SIG: every thread gets SIGKILL
 * (Linux complete_signal's group exit). */
static void group_kill(struct proc *leader, int sig)
{
	leader->group_exiting = true;
	leader->group_exit_status = sig;
	for_each_thread(t, leader) {
		if (!exited(t)) {
			t->pending.set |= sigmask(SIGKILL);
			signal_wake_up(t, true);
		}
	}
}

/* SIG is queued for T (GROUP: for its process): wake a thread that takes
 * it, or end the group if its action is to kill (Linux complete_signal). */
static void complete_signal(struct proc *t, int sig, bool group)
{
	struct proc *leader = t->group_leader;

	if (!wants_signal(t, sig)) {
		if (!group)
			return;
		t = NULL;
		for_each_thread(u, leader) {
			if (wants_signal(u, sig)) {
				t = u;
				break;
			}
		}
		if (!t)
			return;		/* every thread blocks it: it waits */
	}
	if (sig_fatal(t, sig) && !leader->group_exiting && !leader->group_exec &&
	    !(t->real_blocked & sigmask(sig))) {
		group_kill(leader, sig);
		return;
	}
	signal_wake_up(t, sig == SIGKILL);
}

void send_signal_info_locked(struct proc *t, int sig, const struct siginfo *info,
			     bool group, bool from_user)
{
	if (!t->sighand || !prepare_signal(t, sig, from_user))
		return;
	struct sigpending *q = group ? &t->group_leader->shared_pending : &t->pending;
	if (!(q->set & sigmask(sig))) {		/* one instance of each: merged */
		q->set |= sigmask(sig);
		struct siginfo kept = { .si_code = SI_KERNEL };
		if (info)
			memcpy(&kept, info, SI_KEPT);
		kept.si_signo = sig;
		memcpy(q->info[sig - 1], &kept, SI_KEPT);
	}
	complete_signal(t, sig, group);
}

void signal_send_locked(struct proc *p, int sig)
{
	send_signal_info_locked(p, sig, NULL, false, false);
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

void signal_send_process_locked(struct proc *p, int sig)
{
	send_signal_info_locked(p, sig, NULL, true, false);
}

/* signal_send_group_info's work, proc_lock held. */
static int send_group_locked(int pgid, int sig, const struct siginfo *info)
{
	int found = 0;

	if (sig < 0 || sig > NSIG)
		return -EINVAL;
	for (struct proc *p = proc_table; p < proc_table + NPROC; p++) {
		if (p->state == P_UNUSED || p->state == P_EMBRYO || p->state == P_DEAD ||
		    p->group_leader != p || p->pgid != pgid || !p->sighand || !p->nr_threads)
			continue;
		found++;
		if (sig)
			send_signal_info_locked(p, sig, info, true, true);
	}
	return found ? 0 : -ESRCH;
}

int signal_send_group(int pgid, int sig)
{
	return signal_send_group_info(pgid, sig, NULL);
}

int signal_send_group_info(int pgid, int sig, const struct siginfo *info)
{
	spin_lock(&proc_lock);
	int r = send_group_locked(pgid, sig, info);
	spin_unlock(&proc_lock);
	return r;
}

int signal_send_group_locked(int pgid, int sig)
{
	return send_group_locked(pgid, sig, NULL);
}

void force_sig_fault(int sig, int code, uint64_t addr)
{
	struct proc *p = current();
	struct siginfo info = { .si_signo = sig, .si_code = code, .addr = addr };
	struct k_sigaction *ka = &p->sighand->action[sig - 1];

	spin_lock(&proc_lock);
	if (ka->handler == SIG_IGN || (p->blocked & sigmask(sig))) {
		p->blocked &= ~sigmask(sig);
		if (ka->handler == SIG_IGN)
			ka->handler = SIG_DFL;
	}
	send_signal_info_locked(p, sig, &info, false, false);
	spin_unlock(&proc_lock);
}

bool signal_unhandled(int sig)
{
	struct proc *p = current();

	spin_lock(&proc_lock);
	uint64_t handler = handler_of(p, sig);
	spin_unlock(&proc_lock);
	return handler == SIG_DFL || handler == SIG_IGN;
}

void force_sig(int sig)
{
	force_sig_fault(sig, SI_KERNEL, 0);
}

bool do_notify_parent(struct proc *leader, int why, int status)
{
	struct proc *parent = leader->parent;
	struct siginfo info = { .si_signo = SIGCHLD, .si_code = why };
	bool autoreap = false;
	int sig = SIGCHLD;

	if (!parent || !parent->sighand)
		return false;
	const struct k_sigaction *ka = &parent->sighand->action[SIGCHLD - 1];
	info.proc.pid = leader->pid;
	info.proc.status = status;
	if (why == CLD_STOPPED || why == CLD_CONTINUED) {
		if (ka->flags & SA_NOCLDSTOP)
			sig = 0;
	} else if ((sig = leader->exit_signal) == SIGCHLD &&
		   (ka->handler == SIG_IGN || (ka->flags & SA_NOCLDWAIT))) {
		autoreap = true;
		if (ka->handler == SIG_IGN)
			sig = 0;
	}
	info.si_signo = sig;
	if (sig > 0 && sig <= NSIG)
		send_signal_info_locked(parent, sig, &info, true, false);
	wakeup_locked(parent);
	return autoreap;
}

void set_current_blocked_locked(uint64_t set)
{
	struct proc *p = current(), *leader = p->group_leader;
	uint64_t newly = set & ~SIG_UNBLOCKABLE & ~p->blocked;

	p->blocked = set & ~SIG_UNBLOCKABLE;
	for (uint64_t m = leader->shared_pending.set & newly; m; m &= m - 1)
		complete_signal(p, __builtin_ctzl(m) + 1, true);
}

long set_user_sigmask(uint64_t umask, size_t size)
{
	struct proc *me = current();
	uint64_t set;

	if (!umask)
		return 0;
	if (size != sizeof(set))
		return -EINVAL;
	if (copy_from_user(&set, umask, sizeof(set)))
		return -EFAULT;
	spin_lock(&proc_lock);
	me->saved_sigmask = me->blocked;
	me->restore_sigmask = true;
	set_current_blocked_locked(set);
	spin_unlock(&proc_lock);
	return 0;
}

/* ---- the state of a thread ---- */

bool task_signal_pending(const struct proc *p)
{
	const struct proc *leader = p->group_leader;

	if ((p->pending.set | leader->shared_pending.set) & ~p->blocked)
		return true;
	return leader->group_exiting || (leader->group_stopping && !p->stopped);
}

bool signal_pending(void)
{
	struct proc *p = current();

	return p && p->vm && task_signal_pending(p);
}

bool fatal_signal_pending(void)
{
	struct proc *p = current();

	return p && ((p->pending.set & sigmask(SIGKILL)) || p->group_leader->group_exiting);
}

bool task_is_stopped(const struct proc *p)
{
	return p->stopped;
}

/* The lowest-numbered signal of Q in MASK, synchronous faults first (Linux
 * next_signal); 0 if none. */
static int next_signal(const struct sigpending *q, uint64_t mask)
{
	uint64_t m = q->set & mask;

	if (m & SYNCHRONOUS_SIGNALS)
		m &= SYNCHRONOUS_SIGNALS;
	return m ? __builtin_ctzl(m) + 1 : 0;
}

int dequeue_signal(uint64_t mask, struct siginfo *info)
{
	struct proc *p = current();
	struct sigpending *q = &p->pending;
	int sig = next_signal(q, mask);

	if (!sig) {
		q = &p->group_leader->shared_pending;
		if (!(sig = next_signal(q, mask)))
			return 0;
	}
	q->set &= ~sigmask(sig);
	memset(info, 0, sizeof(*info));
	memcpy(info, q->info[sig - 1], SI_KEPT);
	return sig;
}

/* Once every live thread of a stopping group is parked, the group has
 * stopped: wait4(WUNTRACED) may report it and the parent is told. */
static void check_group_stopped(struct proc *leader)
{
	int live = 0;

	if (!leader->group_stopping || leader->group_stopped)
		return;
	for_each_thread(t, leader) {
		if (exited(t))
			continue;
		if (!t->stopped)
			return;
		live++;
	}
	if (!live)
		return;
	leader->group_stopped = true;
	leader->stop_report = CLD_STOPPED;
	do_notify_parent(leader, CLD_STOPPED, leader->group_stop_sig);
}

void do_signal_stop(int sig)
{
	struct proc *p = current(), *leader = p->group_leader;

	if (!leader->group_stopping) {
		leader->group_stopping = true;
		leader->group_stopped = false;
		leader->group_stop_sig = sig;
		for_each_thread(t, leader)
			if (t != p && !exited(t))
				signal_wake_up(t, false);	/* to come and park */
	}
	p->stopped = true;
	check_group_stopped(leader);
	while (p->stopped && !(p->pending.set & sigmask(SIGKILL)))
		sleep_on_killable(&p->stopped, &proc_lock);
	p->stopped = false;
}

void sleep_on_killable(void *chan, struct spinlock *lock)
{
	struct proc *p = current();

	if (lock != &proc_lock) {
		spin_lock(&proc_lock);
		spin_unlock(lock);
	}
	p->sleep_killable = true;
	if (!fatal_signal_pending())
		sleep_on_uninterruptible(chan, &proc_lock);
	p->sleep_killable = false;
	if (lock != &proc_lock) {
		spin_unlock(&proc_lock);
		spin_lock(lock);
	}
}

void signal_thread_exit(struct proc *p)
{
	p->stopped = false;
	check_group_stopped(p->group_leader);
}

/* ---- fork, exec, timers ---- */

void signal_fork(struct proc *child, const struct proc *me, bool keep_altstack)
{
	child->blocked = me->blocked;
	if (keep_altstack)
		child->altstack = me->altstack;
}

int signal_exec(void)
{
	struct proc *p = current();
	struct sighand *sh = p->sighand;

	if (__atomic_load_n(&sh->refcount, __ATOMIC_ACQUIRE) > 1) {
		struct sighand *copy = sighand_copy(sh);
		if (!copy)
			return -ENOMEM;
		spin_lock(&proc_lock);
		p->sighand = copy;
		spin_unlock(&proc_lock);
		sighand_put(sh);
		sh = copy;
	}
	spin_lock(&proc_lock);
	for (int i = 0; i < NSIG; i++) {
		struct k_sigaction *ka = &sh->action[i];
		uint64_t handler = ka->handler == SIG_IGN ? SIG_IGN : SIG_DFL;
		*ka = (struct k_sigaction){ .handler = handler };
	}
	p->altstack = (struct sigaltstack){ 0 };
	spin_unlock(&proc_lock);
	return 0;
}

void signal_take_over_leader(struct proc *to, const struct proc *from)
{
	to->shared_pending = from->shared_pending;
	to->alarm_ns = from->alarm_ns;
	to->alarm_interval_ns = from->alarm_interval_ns;
}

void signal_run_timers_locked(uint64_t now_ns)
{
	for (struct proc *p = proc_table; p < proc_table + NPROC; p++) {
		if (p->state == P_UNUSED || p->group_leader != p || !p->alarm_ns ||
		    p->alarm_ns > now_ns)
			continue;
		if (p->alarm_interval_ns)
			p->alarm_ns = MAX(p->alarm_ns + p->alarm_interval_ns, now_ns + 1);
		else
			p->alarm_ns = 0;
		if (p->nr_threads)
			signal_send_process_locked(p, SIGALRM);
	}
}
