/*
 * kernel/sys_proc.c - process system calls: kill, tkill, tgkill, process
 * groups, sleeping, clocks, and the small calls a musl program makes at
 * start-up.  clone and fork are in fork.c, exit and wait4 in exit.c.
 */
#include "kernel/errno.h"
#include "kernel/fs/file.h"
#include "kernel/x86/power.h"
#include "kernel/printk.h"
#include "kernel/proc.h"
#include "kernel/sched.h"
#include "kernel/signal.h"
#include "kernel/syscall.h"
#include "kernel/x86/time.h"
#include "kernel/uaccess.h"
#include "mm/layout.h"
#include "mm/vmspace.h"

#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define SIG_DFL 0
#define SIG_IGN 1

/* kill(-1, SIG): every process but init and the caller's.  proc_lock held. */
static void kill_all(struct proc *me, int sig)
{
	for (struct proc *p = proc_table; p < proc_table + NPROC; p++)
		if (p->state != P_UNUSED && p->state != P_EMBRYO && p->group_leader == p &&
		    p->sighand && p != me->group_leader && p->pid != 1 && p->nr_threads)
			signal_send_process_locked(p, sig);
}

/* kill(2): PID names a process (any of its thread ids does, as on Linux);
 * one of its threads takes the signal.  Kernel threads (no dispositions)
 * are not there for it; a process whose threads have all exited exists
 * until reaped, and takes the signal without effect. */
long sys_kill(int pid, int sig)
{
	struct proc *me = current();
	long err = 0;

	if (sig < 0 || sig > NSIG)
		return -EINVAL;
	if (pid == 0 || pid < -1)
		return signal_send_group(pid == 0 ? me->pgid : -pid, sig);
	spin_lock(&proc_lock);
	if (pid == -1) {
		if (sig)
			kill_all(me, sig);
	} else {
		struct proc *p = proc_find(pid);
		if (!p || !p->sighand)
			err = -ESRCH;
		else if (sig && p->tgid != 1)	/* init: kernel/signal.h */
			signal_send_process_locked(p, sig);
	}
	spin_unlock(&proc_lock);
	return err;
}

/* tkill/tgkill: SIG to thread TID, of process TGID unless TGID is 0.  As
 * Linux's do_send_specific: -ESRCH for no such thread before -EINVAL for a
 * bad signal; an exited thread not yet reaped takes it without effect. */
static long send_specific(int tgid, int tid, int sig)
{
	long err = 0;

	spin_lock(&proc_lock);
	struct proc *p = proc_find(tid);
	if (!p || (tgid && p->tgid != tgid) || !p->sighand)
		err = -ESRCH;
	else if (sig < 0 || sig > NSIG)
		err = -EINVAL;
	else if (sig && p->tgid != 1)
		signal_send_locked(p, sig);
	spin_unlock(&proc_lock);
	return err;
}

long sys_tkill(int tid, int sig)
{
	return tid <= 0 ? -EINVAL : send_specific(0, tid, sig);
}

long sys_tgkill(int tgid, int tid, int sig)
{
	return tid <= 0 || tgid <= 0 ? -EINVAL : send_specific(tgid, tid, sig);
}

long sys_getpid(void)
{
	return current()->tgid;
}

long sys_getppid(void)
{
	spin_lock(&proc_lock);
	struct proc *parent = current()->group_leader->parent;
	int ppid = parent ? parent->pid : 0;
	spin_unlock(&proc_lock);
	return ppid;
}

int pgrp_session_locked(int pgid)
{
	for (struct proc *p = proc_table; p < proc_table + NPROC; p++)
		if (p->state != P_UNUSED && p->state != P_DEAD && p->state != P_EMBRYO &&
		    p->pgid == pgid)
			return p->sid;
	return 0;
}

/*
 * setpgid(2): put process PID (0: the caller) into group PGID (0: its own),
 * for the whole process, every thread.  As Linux (kernel/sys.c): -EINVAL
 * for PGID < 0 or a PID that names a thread but not a process; -ESRCH
 * unless PID is the caller or one of its children; -EPERM for a child in
 * another session, a session leader, or a group PGID that has no member in
 * the caller's session.  (Linux's -EACCES for a child that has already
 * called execve is not kept: nothing records it.)
 */
long sys_setpgid(int pid, int pgid)
{
	struct proc *me = current()->group_leader;
	long err = 0;

	if (pgid < 0)
		return -EINVAL;
	spin_lock(&proc_lock);
	struct proc *p = pid ? proc_find(pid) : me;
	if (!p || (p->group_leader != me && p->parent != me))
		err = -ESRCH;
	else if (p->group_leader != p)
		err = -EINVAL;
	else if (p->sid != me->sid || p->pid == p->sid)
		err = -EPERM;
	else if (pgid && pgid != p->pid && pgrp_session_locked(pgid) != me->sid)
		err = -EPERM;
	else
		for_each_thread(t, p)
			t->pgid = pgid ? pgid : p->pid;
	spin_unlock(&proc_lock);
	return err;
}

long sys_getpgid(int pid)
{
	spin_lock(&proc_lock);
	struct proc *p = pid ? proc_find(pid) : current();
	int pgid = p ? p->pgid : -ESRCH;
	spin_unlock(&proc_lock);
	return pgid;
}

/* getsid(2): the session of process PID (0: the caller), or -ESRCH. */
long sys_getsid(int pid)
{
	spin_lock(&proc_lock);
	struct proc *p = pid ? proc_find(pid) : current();
	int sid = p ? p->sid : -ESRCH;
	spin_unlock(&proc_lock);
	return sid;
}

/* setsid(2): EPERM for a process group leader (its group would span two
 * sessions), else the caller leads a new session and group, with no
 * controlling terminal (kernel/fs/tty.c). */
long sys_setsid(void)
{
	struct proc *leader = current()->group_leader;
	long ret = leader->pid;

	spin_lock(&proc_lock);
	for (struct proc *p = proc_table; p < proc_table + NPROC; p++)
		if (p->state != P_UNUSED && p->state != P_DEAD && p->pgid == leader->pid)
			ret = -EPERM;
	if (ret > 0)
		for_each_thread(t, leader) {
			t->pgid = t->sid = leader->pid;
			t->has_ctty = false;
		}
	spin_unlock(&proc_lock);
	return ret;
}

bool pgrp_is_orphaned_locked(int pgid)
{
	for (struct proc *p = proc_table; p < proc_table + NPROC; p++) {
		if (p->state == P_UNUSED || p->state == P_DEAD || p->state == P_ZOMBIE ||
		    p->group_leader != p || p->pgid != pgid || p->group_exiting)
			continue;
		struct proc *parent = p->parent;
		if (parent && parent->pgid != pgid && parent->sid == p->sid)
			return false;
	}
	return true;
}

long sys_sched_yield(void)
{
	yield();
	return 0;
}

struct timespec {
	int64_t tv_sec, tv_nsec;
};

int timespec_from_user(uint64_t ureq, uint64_t *ns)
{
	struct timespec ts;

	if (copy_from_user(&ts, ureq, sizeof(ts)))
		return -EFAULT;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
		return -EINVAL;
	*ns = (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
	return 0;
}

/* Sleep until DEADLINE; -EINTR (and the time left in REM) when a signal comes. */
static long sleep_ns(uint64_t deadline, uint64_t urem)
{
	struct proc *me = current();
	struct spinlock lock = SPINLOCK_INIT("nanosleep");

	spin_lock(&lock);
	while (time_ns() < deadline && !signal_pending())
		sleep_until(&me->wake_at_ns, &lock, deadline);
	spin_unlock(&lock);
	uint64_t now = time_ns();
	if (now >= deadline)
		return 0;
	if (urem) {
		struct timespec left = { (int64_t)((deadline - now) / 1000000000),
					 (int64_t)((deadline - now) % 1000000000) };
		if (copy_to_user(urem, &left, sizeof(left)))
			return -EFAULT;
	}
	return -EINTR;
}

long sys_nanosleep(uint64_t ureq, uint64_t urem)
{
	uint64_t ns;
	int err = timespec_from_user(ureq, &ns);

	return err ? err : sleep_ns(time_ns() + ns, urem);
}

#define TIMER_ABSTIME 1

long sys_clock_nanosleep(int clock, int flags, uint64_t ureq, uint64_t urem)
{
	uint64_t ns;
	int err;

	if (clock != 0 && clock != 1 && clock != 7)
		return -EINVAL;
	if ((err = timespec_from_user(ureq, &ns)))
		return err;
	return sleep_ns(flags & TIMER_ABSTIME ? ns : time_ns() + ns,
			flags & TIMER_ABSTIME ? 0 : urem);
}

long sys_clock_gettime(int clock, uint64_t utp)
{
	/* REALTIME, MONOTONIC, PROCESS/THREAD_CPUTIME, MONOTONIC_RAW, _COARSE, BOOTTIME:
	 * all read the monotonic clock (no RTC: the realtime clock starts at 0). */
	if (clock < 0 || clock > 7)
		return -EINVAL;
	uint64_t ns = time_ns();
	struct timespec ts = { (int64_t)(ns / 1000000000), (int64_t)(ns % 1000000000) };
	return copy_to_user(utp, &ts, sizeof(ts));
}

long sys_arch_prctl(int code, uint64_t addr)
{
	struct proc *me = current();

	if (code == ARCH_SET_FS) {
		if (addr >= USER_TOP)
			return -EPERM;
		me->fs_base = addr;
		wrmsr(MSR_FS_BASE, addr);
		return 0;
	}
	if (code == ARCH_GET_FS)
		return copy_to_user(addr, &me->fs_base, sizeof(me->fs_base));
	return -EINVAL;
}

struct k_sigaction {
	uint64_t handler, flags, restorer, mask;
};

long sys_rt_sigaction(int sig, uint64_t uact, uint64_t uold, size_t sigsetsize)
{
	struct k_sigaction act, old = { 0 };

	if (sig < 1 || sig > NSIG || sigsetsize != 8)
		return -EINVAL;
	if (uact) {
		if (copy_from_user(&act, uact, sizeof(act)))
			return -EFAULT;
		if (sig == SIGKILL || sig == SIGSTOP)
			return -EINVAL;
		if (act.handler != SIG_DFL && act.handler != SIG_IGN)
			return -EINVAL;		/* no user handlers: see kernel/signal.h */
		old.handler = signal_set_ignored(sig, act.handler == SIG_IGN) ? SIG_IGN : SIG_DFL;
	} else {
		old.handler = current()->sighand->ignored & (1UL << (sig - 1)) ? SIG_IGN : SIG_DFL;
	}
	if (uold && copy_to_user(uold, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

long sys_rt_sigprocmask(int how, uint64_t uset, uint64_t uold, size_t sigsetsize)
{
	uint64_t set, none = 0;

	if (sigsetsize != 8 || how < 0 || how > 2)
		return -EINVAL;
	if (uset && copy_from_user(&set, uset, sizeof(set)))
		return -EFAULT;
	/* Blocking is not implemented: the mask is always empty. */
	if (uold && copy_to_user(uold, &none, sizeof(none)))
		return -EFAULT;
	return 0;
}

#define REBOOT_MAGIC1 0xfee1dead
#define REBOOT_MAGIC2 672274793
#define REBOOT_CMD_RESTART 0x01234567
#define REBOOT_CMD_POWER_OFF 0x4321FEDC
#define REBOOT_CMD_HALT 0xCDEF0123
#define REBOOT_CMD_CAD_ON 0x89ABCDEF
#define REBOOT_CMD_CAD_OFF 0

long sys_reboot(unsigned magic1, unsigned magic2, unsigned cmd, uint64_t arg)
{
	(void)arg;
	if (magic1 != REBOOT_MAGIC1 || (magic2 != REBOOT_MAGIC2 && magic2 != 85072278 &&
					 magic2 != 369367448 && magic2 != 537993216))
		return -EINVAL;
	switch (cmd) {
	case REBOOT_CMD_POWER_OFF:
	case REBOOT_CMD_HALT:
	case REBOOT_CMD_RESTART:
		printk(LOG_INFO, "reboot: power off requested by pid %d (%s)\n", current()->pid,
		       current()->name);
		machine_exit(0);
	case REBOOT_CMD_CAD_ON:
	case REBOOT_CMD_CAD_OFF:
		return 0;
	default:
		return -EINVAL;
	}
}
