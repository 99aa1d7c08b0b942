/*
 * kernel/sys_proc.c - process system calls: process groups, sessions,
 * sleeping, clocks, and the small calls a musl program makes at start-up.
 * clone and fork are in fork.c, exit and wait4 in exit.c, kill and the
 * other signal calls in sys_signal.c.
 */
#include "kernel/errno.h"
#include "kernel/fs/file.h"
#include "kernel/x86/power.h"
#include "kernel/printk.h"
#include "kernel/proc.h"
#include "kernel/sched.h"
#include "kernel/signal/signal.h"
#include "kernel/syscall.h"
#include "kernel/x86/time.h"
#include "kernel/uaccess.h"
#include "mm/layout.h"
#include "mm/vmspace.h"

#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003

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
	*ns = time_to_ns(ts.tv_sec, ts.tv_nsec);
	return 0;
}

/* Sleep until DEADLINE (time_ns).  A signal ends it early with the time
 * left written to UREM (unless 0) and -ERESTART_RESTARTBLOCK: a handler
 * makes that EINTR, otherwise restart_syscall sleeps on to the same
 * deadline (Linux hrtimer_nanosleep). */
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
	me->restart_deadline_ns = deadline;
	me->restart_urem = urem;
	return -ERESTART_RESTARTBLOCK;
}

/* restart_syscall(2): go on with the nanosleep a signal interrupted and no
 * handler took (the only call that leaves a restart block here); -EINTR
 * when there is none. */
long sys_restart_syscall(void)
{
	struct proc *me = current();
	uint64_t deadline = me->restart_deadline_ns;

	me->restart_deadline_ns = 0;
	return deadline ? sleep_ns(deadline, me->restart_urem) : -EINTR;
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
	if ((flags & TIMER_ABSTIME) && clock == 0)
		ns = time_realtime_to_boot(ns);
	return sleep_ns(flags & TIMER_ABSTIME ? ns : time_ns() + ns,
			flags & TIMER_ABSTIME ? 0 : urem);
}

long sys_clock_gettime(int clock, uint64_t utp)
{
	/* REALTIME (0) and REALTIME_COARSE (5) are the wall clock; MONOTONIC,
	 * PROCESS/THREAD_CPUTIME, MONOTONIC_RAW, _COARSE, BOOTTIME all read the
	 * monotonic clock. */
	if (clock < 0 || clock > 7)
		return -EINVAL;
	uint64_t ns = clock == 0 || clock == 5 ? time_realtime_ns() : time_ns();
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
