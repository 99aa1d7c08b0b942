/*
 * kernel/signal/sys_signal.c - the signal system calls: sending (kill, tkill,
 * tgkill, rt_sigqueueinfo, rt_tgsigqueueinfo), dispositions and masks
 * (rt_sigaction, rt_sigprocmask, rt_sigpending), waiting (rt_sigsuspend,
 * pause, rt_sigtimedwait) and the alarm timer (alarm, setitimer,
 * getitimer).  Each follows its Linux man page and kernel/signal/signal.c for
 * the errors; the state they change is described in kernel/signal/signal.h.
 * sigaltstack and rt_sigreturn are with the frame, kernel/signal/frame.c.
 */
#include "kernel/errno.h"
#include "kernel/proc.h"
#include "kernel/sched.h"
#include "kernel/signal/signal.h"
#include "kernel/syscall.h"
#include "kernel/uaccess.h"
#include "kernel/x86/time.h"

#define SIG_BLOCK 0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2
#define ITIMER_REAL 0
#define NS_PER_SEC 1000000000UL

/* ---- sending ---- */

static struct siginfo user_info(int sig, int code)
{
	return (struct siginfo){ .si_signo = sig, .si_code = code,
				 .proc.pid = current()->tgid };
}

/* kill(-1, SIG): every process but init and the caller's.  proc_lock held. */
static void kill_all(struct proc *me, const struct siginfo *info)
{
	for (struct proc *p = proc_table; p < proc_table + NPROC; p++)
		if (p->state != P_UNUSED && p->state != P_EMBRYO && p->group_leader == p &&
		    p->sighand && p != me->group_leader && p->pid != 1 && p->nr_threads)
			send_signal_info_locked(p, info->si_signo, info, true, true);
}

/* SIG with INFO to the process PID names (any of its thread ids does, as on
 * Linux): -ESRCH when there is none; kernel threads are not there for it;
 * a process whose threads have all exited takes it without effect. */
static long send_to_process(int pid, int sig, const struct siginfo *info)
{
	long err = 0;

	spin_lock(&proc_lock);
	struct proc *p = proc_find(pid);
	if (!p || !p->sighand)
		err = -ESRCH;
	else if (sig)
		send_signal_info_locked(p, sig, info, true, true);
	spin_unlock(&proc_lock);
	return err;
}

/* kill(2): a process (PID > 0), the caller's group (0), group -PID, or
 * everyone the caller may signal (-1). */
long sys_kill(int pid, int sig)
{
	struct siginfo info = user_info(sig, SI_USER);

	if (sig < 0 || sig > NSIG)
		return -EINVAL;
	if (pid == 0 || pid < -1)
		return signal_send_group_info(pid == 0 ? current()->pgid : -pid, sig, &info);
	if (pid > 0)
		return send_to_process(pid, sig, &info);
	if (sig) {
		spin_lock(&proc_lock);
		kill_all(current(), &info);
		spin_unlock(&proc_lock);
	}
	return 0;
}

/* SIG with INFO to thread TID, of process TGID unless TGID is 0.  As
 * Linux's do_send_specific: -ESRCH for no such thread before -EINVAL for a
 * bad signal; an exited thread not yet reaped takes it without effect. */
static long send_specific(int tgid, int tid, int sig, const struct siginfo *info)
{
	long err = 0;

	spin_lock(&proc_lock);
	struct proc *p = proc_find(tid);
	if (!p || (tgid && p->tgid != tgid) || !p->sighand)
		err = -ESRCH;
	else if (sig < 0 || sig > NSIG)
		err = -EINVAL;
	else if (sig)
		send_signal_info_locked(p, sig, info, false, true);
	spin_unlock(&proc_lock);
	return err;
}

/* tkill(2), tgkill(2): SIG to one thread (SI_TKILL); -EINVAL for an id <= 0. */
long sys_tkill(int tid, int sig)
{
	struct siginfo info = user_info(sig, SI_TKILL);

	return tid <= 0 ? -EINVAL : send_specific(0, tid, sig, &info);
}

long sys_tgkill(int tgid, int tid, int sig)
{
	struct siginfo info = user_info(sig, SI_TKILL);

	return tid <= 0 || tgid <= 0 ? -EINVAL : send_specific(tgid, tid, sig, &info);
}

/* The siginfo a sigqueue caller supplies, for target PID: -EPERM when it
 * claims to come from the kernel or kill/tkill (si_code >= 0 or SI_TKILL)
 * and the target is not the caller (Linux do_rt_sigqueueinfo). */
static long queueinfo_from_user(uint64_t uinfo, int sig, int pid, struct siginfo *info)
{
	if (copy_from_user(info, uinfo, sizeof(*info)))
		return -EFAULT;
	if ((info->si_code >= 0 || info->si_code == SI_TKILL) && pid != current()->pid)
		return -EPERM;
	info->si_signo = sig;
	return 0;
}

/* rt_sigqueueinfo(2), rt_tgsigqueueinfo(2): SIG with the caller's siginfo
 * at UINFO to a process, or to thread TID of TGID. */
long sys_rt_sigqueueinfo(int pid, int sig, uint64_t uinfo)
{
	struct siginfo info;
	long err = queueinfo_from_user(uinfo, sig, pid, &info);

	if (err)
		return err;
	if (sig < 0 || sig > NSIG)
		return -EINVAL;
	return pid <= 0 ? -ESRCH : send_to_process(pid, sig, &info);
}

long sys_rt_tgsigqueueinfo(int tgid, int tid, int sig, uint64_t uinfo)
{
	struct siginfo info;

	if (tgid <= 0 || tid <= 0)
		return -EINVAL;
	long err = queueinfo_from_user(uinfo, sig, tid, &info);
	return err ? err : send_specific(tgid, tid, sig, &info);
}

/* ---- dispositions and masks ---- */

/* rt_sigaction(2) with Linux's kernel struct sigaction (handler, flags,
 * restorer, mask): the old action to UOLD, then UACT installed.  -EINVAL
 * for SIGSETSIZE other than 8, a bad SIG, or a new action for SIGKILL or
 * SIGSTOP; -EFAULT. */
long sys_rt_sigaction(int sig, uint64_t uact, uint64_t uold, size_t sigsetsize)
{
	struct k_sigaction act, old;
	struct proc *me = current();

	if (sigsetsize != sizeof(uint64_t) || sig < 1 || sig > NSIG)
		return -EINVAL;
	if (uact && copy_from_user(&act, uact, sizeof(act)))
		return -EFAULT;
	if (uact && (SIG_UNBLOCKABLE & sigmask(sig)))
		return -EINVAL;
	spin_lock(&proc_lock);
	struct k_sigaction *ka = &me->sighand->action[sig - 1];
	old = *ka;
	if (uact) {
		act.mask &= ~SIG_UNBLOCKABLE;
		*ka = act;
		/* POSIX: setting SIG_IGN (or a default that ignores) discards a
		 * pending one, blocked or not (Linux do_sigaction) */
		if (act.handler == SIG_IGN ||
		    (act.handler == SIG_DFL && (IGNORED_BY_DEFAULT & sigmask(sig)))) {
			me->group_leader->shared_pending.set &= ~sigmask(sig);
			for_each_thread(t, me->group_leader)
				t->pending.set &= ~sigmask(sig);
		}
	}
	spin_unlock(&proc_lock);
	if (uold && copy_to_user(uold, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

/* rt_sigprocmask(2): the old mask to UOLD; USET blocked (SIG_BLOCK),
 * unblocked (SIG_UNBLOCK) or made the mask (SIG_SETMASK), never SIGKILL or
 * SIGSTOP.  -EINVAL for a bad HOW (with USET) or SIGSETSIZE, -EFAULT. */
long sys_rt_sigprocmask(int how, uint64_t uset, uint64_t uold, size_t sigsetsize)
{
	struct proc *me = current();
	uint64_t set, old;
	long err = 0;

	if (sigsetsize != sizeof(uint64_t))
		return -EINVAL;
	if (uset && copy_from_user(&set, uset, sizeof(set)))
		return -EFAULT;
	spin_lock(&proc_lock);
	old = me->blocked;
	if (uset) {
		if (how == SIG_BLOCK)
			set_current_blocked_locked(old | set);
		else if (how == SIG_UNBLOCK)
			set_current_blocked_locked(old & ~set);
		else if (how == SIG_SETMASK)
			set_current_blocked_locked(set);
		else
			err = -EINVAL;
	}
	spin_unlock(&proc_lock);
	if (!err && uold && copy_to_user(uold, &old, sizeof(old)))
		return -EFAULT;
	return err;
}

/* rt_sigpending(2): the pending signals the caller blocks, its own and its
 * process's. */
long sys_rt_sigpending(uint64_t uset, size_t sigsetsize)
{
	struct proc *me = current();

	if (sigsetsize > sizeof(uint64_t))
		return -EINVAL;
	spin_lock(&proc_lock);
	uint64_t set = (me->pending.set | me->group_leader->shared_pending.set) & me->blocked;
	spin_unlock(&proc_lock);
	return copy_to_user(uset, &set, sigsetsize) ? -EFAULT : 0;
}

/* ---- waiting for signals ---- */

/* Sleep until a signal is to be acted on; then restart or EINTR (Linux
 * ERESTARTNOHAND: restarted only when no handler ran). */
static long wait_for_signal(void)
{
	struct proc *me = current();

	spin_lock(&proc_lock);
	while (!task_signal_pending(me))
		sleep_on(&me->saved_sigmask, &proc_lock);
	spin_unlock(&proc_lock);
	return -ERESTARTNOHAND;
}

/* pause(2): sleep until a signal is acted on; -EINTR after a handler. */
long sys_pause(void)
{
	return wait_for_signal();
}

/* rt_sigsuspend(2): wait with mask UMASK; the old mask comes back once the
 * handler returns (it is the frame's uc_sigmask), or at once without one. */
long sys_rt_sigsuspend(uint64_t umask, size_t sigsetsize)
{
	long r;

	if (sigsetsize != sizeof(uint64_t))
		return -EINVAL;
	if (!umask)
		return -EFAULT;
	if ((r = set_user_sigmask(umask, sigsetsize)))
		return r;
	return wait_for_signal();
}

/* Wait (proc_lock held) until a signal of SET is pending, another one to
 * act on comes, or DEADLINE (time_ns, 0 none) passes; the signals of SET
 * are unblocked meanwhile so that a sender wakes us (Linux
 * do_sigtimedwait). */
static int sigtimedwait_sleep(uint64_t set, uint64_t deadline, struct siginfo *info)
{
	struct proc *me = current();

	me->real_blocked = me->blocked;
	me->blocked &= ~set;
	while (!task_signal_pending(me) && (!deadline || time_ns() < deadline))
		sleep_until(&me->real_blocked, &proc_lock, deadline);
	me->blocked = me->real_blocked;
	me->real_blocked = 0;
	return dequeue_signal(set, info);
}

/* rt_sigtimedwait(2): take a pending signal of USET, waiting up to UTS (NULL:
 * forever; zero: not at all).  Its number, with its siginfo in UINFO;
 * -EAGAIN when the time ran out, -EINTR for another signal. */
long sys_rt_sigtimedwait(uint64_t uset, uint64_t uinfo, uint64_t uts, size_t sigsetsize)
{
	struct siginfo info;
	uint64_t set, ns = 0, deadline = 0;

	if (sigsetsize != sizeof(uint64_t))
		return -EINVAL;
	if (copy_from_user(&set, uset, sizeof(set)))
		return -EFAULT;
	set &= ~SIG_UNBLOCKABLE;
	if (uts) {
		int err = timespec_from_user(uts, &ns);
		if (err)
			return err;
		deadline = time_ns() + ns;
	}
	spin_lock(&proc_lock);
	int sig = dequeue_signal(set, &info);
	if (!sig && (!uts || ns))
		sig = sigtimedwait_sleep(set, deadline, &info);
	spin_unlock(&proc_lock);
	if (!sig)
		return uts && time_ns() >= deadline ? -EAGAIN : -EINTR;
	if (uinfo && copy_to_user(uinfo, &info, sizeof(info)))
		return -EFAULT;
	return sig;
}

/* ---- the alarm timer (ITIMER_REAL) ---- */

struct timeval {
	int64_t tv_sec, tv_usec;
};

struct itimerval {
	struct timeval it_interval, it_value;
};

static struct timeval ns_to_timeval(uint64_t ns)
{
	return (struct timeval){ (int64_t)(ns / NS_PER_SEC), (int64_t)(ns % NS_PER_SEC / 1000) };
}

/* The caller's timer as getitimer reports it.  proc_lock held. */
static struct itimerval itimer_get(const struct proc *leader)
{
	uint64_t now = time_ns(), left = 0;

	if (leader->alarm_ns)
		left = leader->alarm_ns > now ? leader->alarm_ns - now : 1000;	/* due: 1 us */
	return (struct itimerval){ ns_to_timeval(leader->alarm_interval_ns),
				   ns_to_timeval(left) };
}

/* getitimer(2), ITIMER_REAL only (-EINVAL otherwise): time left and interval. */
long sys_getitimer(int which, uint64_t ucurr)
{
	if (which != ITIMER_REAL)
		return -EINVAL;
	spin_lock(&proc_lock);
	struct itimerval cur = itimer_get(current()->group_leader);
	spin_unlock(&proc_lock);
	return copy_to_user(ucurr, &cur, sizeof(cur)) ? -EFAULT : 0;
}

static int timeval_to_ns(const struct timeval *tv, uint64_t *ns)
{
	if (tv->tv_sec < 0 || tv->tv_usec < 0 || tv->tv_usec >= 1000000)
		return -EINVAL;
	*ns = time_to_ns(tv->tv_sec, tv->tv_usec * 1000);
	return 0;
}

/* setitimer(2), ITIMER_REAL only (the others: -EINVAL): SIGALRM when
 * it_value has passed, then every it_interval; a zero it_value (or no UNEW)
 * disarms.  The old setting goes to UOLD. */
long sys_setitimer(int which, uint64_t unew, uint64_t uold)
{
	struct itimerval new = { 0 };
	uint64_t value, interval;
	int err;

	if (which != ITIMER_REAL)
		return -EINVAL;
	if (unew && copy_from_user(&new, unew, sizeof(new)))
		return -EFAULT;
	if ((err = timeval_to_ns(&new.it_value, &value)) ||
	    (err = timeval_to_ns(&new.it_interval, &interval)))
		return err;
	struct proc *leader = current()->group_leader;
	spin_lock(&proc_lock);
	struct itimerval old = itimer_get(leader);
	leader->alarm_ns = value ? time_ns() + value : 0;
	leader->alarm_interval_ns = value ? interval : 0;
	spin_unlock(&proc_lock);
	return uold && copy_to_user(uold, &old, sizeof(old)) ? -EFAULT : 0;
}

/* alarm(2): SIGALRM in SECONDS (0: cancel); the seconds the previous alarm
 * had left, rounded to the nearest, at least 1 if it was armed (Linux). */
long sys_alarm(unsigned seconds)
{
	struct proc *leader = current()->group_leader;

	spin_lock(&proc_lock);
	struct itimerval old = itimer_get(leader);
	leader->alarm_ns = seconds ? time_ns() + seconds * NS_PER_SEC : 0;
	leader->alarm_interval_ns = 0;
	spin_unlock(&proc_lock);
	long left = old.it_value.tv_sec;
	if ((!left && old.it_value.tv_usec) || old.it_value.tv_usec >= 500000)
		left++;
	return left;
}
