/*
 * kernel/sys_proc.c - process system calls: fork, exit, wait4, kill, process
 * groups, and the small calls a musl program makes at start-up.
 */
#include "kernel/errno.h"
#include "kernel/file.h"
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

#define WNOHANG 1
#define WUNTRACED 2
#define WCONTINUED 8
#define WNOTHREAD 0x20000000	/* Linux: __WNOTHREAD, __WALL, __WCLONE */
#define WALL 0x40000000
#define WCLONE 0x80000000U
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define SIG_DFL 0
#define SIG_IGN 1

/*
 * fork: a new process with a copy of the caller's address space, registers
 * (rax = 0 in the child), descriptors and signal dispositions.  The address
 * space copy is vmspace_fork (mm/vmspace.c).  On failure nothing of the
 * child remains.
 */
static struct proc *fork_common(bool share_vm, int *err)
{
	struct proc *parent = current(), *child;

	if (!(child = proc_alloc(err)))
		return NULL;
	if (share_vm) {
		vmspace_get(parent->vm);
		child->vm = parent->vm;
		child->vfork_parent = parent;
	} else if (!(child->vm = vmspace_fork(parent->vm))) {
		proc_free(child);
		*err = -ENOMEM;
		return NULL;
	}
	*child->tf = *parent->tf;
	child->tf->rax = 0;
	asm volatile("fxsave %0" : "=m"(child->fpu));
	child->fs_base = parent->fs_base;
	child->pgid = parent->pgid;
	child->ignored = parent->ignored;
	child->oom_score_adj = parent->oom_score_adj;
	child->cpus_allowed = parent->cpus_allowed;
	memcpy(child->name, parent->name, sizeof(child->name));
	fd_copy_table(child->files, parent->files);
	spin_lock(&proc_lock);
	child->parent = parent;
	sched_make_runnable(child);
	spin_unlock(&proc_lock);
	return child;
}

long sys_fork(void)
{
	int err;
	struct proc *child = fork_common(false, &err);

	return child ? child->pid : err;
}

/*
 * vfork: the child borrows the parent's address space (no copy at all) and
 * the parent sleeps until the child calls execve or exits (vfork_release).
 */
long sys_vfork(void)
{
	struct proc *parent = current();
	int err;
	struct proc *child = fork_common(true, &err);

	if (!child)
		return err;
	int pid = child->pid;
	spin_lock(&proc_lock);
	while (child->vfork_parent == parent && !signal_pending())
		sleep_on(child, &proc_lock);
	spin_unlock(&proc_lock);
	return pid;
}

long sys_exit(int status)
{
	proc_exit((status & 0xff) << 8);
}

static bool wait_matches(const struct proc *me, const struct proc *c, int pid)
{
	if (c->parent != me || c->state == P_UNUSED)
		return false;
	if (pid > 0)
		return c->pid == pid;
	if (pid == 0)
		return c->pgid == me->pgid;
	if (pid < -1)
		return c->pgid == -pid;
	return true;
}

/* Reap zombie C: returns its pid and status.  proc_lock held. */
static int reap(struct proc *c, int *status)
{
	int pid = c->pid;

	*status = c->exit_status;
	proc_free(c);
	return pid;
}

long sys_wait4(int pid, uint64_t ustatus, int options, uint64_t rusage)
{
	struct proc *me = current();
	int status = 0;

	if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | WNOTHREAD | WALL | WCLONE))
		return -EINVAL;
	spin_lock(&proc_lock);
	for (;;) {
		bool have_children = false;
		for (struct proc *c = proc_table; c < proc_table + NPROC; c++) {
			if (!wait_matches(me, c, pid))
				continue;
			have_children = true;
			if (c->state != P_ZOMBIE)
				continue;
			int got = reap(c, &status);
			spin_unlock(&proc_lock);
			if (ustatus && copy_to_user(ustatus, &status, sizeof(status)))
				return -EFAULT;
			if (rusage) {
				static const uint8_t zero[144];
				if (copy_to_user(rusage, zero, sizeof(zero)))
					return -EFAULT;
			}
			return got;
		}
		if (!have_children || (options & WNOHANG)) {
			spin_unlock(&proc_lock);
			return have_children ? 0 : -ECHILD;
		}
		if (signal_pending()) {
			spin_unlock(&proc_lock);
			return -EINTR;
		}
		sleep_on(me, &proc_lock);
	}
}

long sys_kill(int pid, int sig)
{
	struct proc *me = current();

	if (sig < 0 || sig > NSIG)
		return -EINVAL;
	if (pid == 0 || pid < -1)
		return signal_send_group(pid == 0 ? me->pgid : -pid, sig);
	if (pid == -1) {
		for (struct proc *p = proc_table; p < proc_table + NPROC; p++)
			if (p->vm && p != me && p->pid != 1 && p->state != P_ZOMBIE && sig)
				signal_send(p, sig);
		return 0;
	}
	struct proc *p = proc_find(pid);
	if (p && p->state == P_ZOMBIE)
		return 0;	/* it exists until reaped; the signal has no effect (Linux) */
	if (!p || !p->vm)
		return -ESRCH;
	return sig && pid != 1 ? signal_send(p, sig) : 0;	/* init: kernel/signal.h */
}

long sys_getpid(void)
{
	return current()->pid;
}

long sys_getppid(void)
{
	struct proc *parent = current()->parent;
	return parent ? parent->pid : 0;
}

long sys_setpgid(int pid, int pgid)
{
	struct proc *me = current(), *p = pid ? proc_find(pid) : me;

	if (pgid < 0)
		return -EINVAL;
	if (!p || (p != me && p->parent != me))
		return -ESRCH;
	p->pgid = pgid ? pgid : p->pid;
	return 0;
}

long sys_getpgid(int pid)
{
	struct proc *p = pid ? proc_find(pid) : current();
	return p ? p->pgid : -ESRCH;
}

long sys_setsid(void)
{
	struct proc *me = current();
	me->pgid = me->pid;
	return me->pid;
}

long sys_sched_yield(void)
{
	yield();
	return 0;
}

struct timespec {
	int64_t tv_sec, tv_nsec;
};

static int read_timespec(uint64_t ureq, uint64_t *ns)
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
	int err = read_timespec(ureq, &ns);

	return err ? err : sleep_ns(time_ns() + ns, urem);
}

#define TIMER_ABSTIME 1

long sys_clock_nanosleep(int clock, int flags, uint64_t ureq, uint64_t urem)
{
	uint64_t ns;
	int err;

	if (clock != 0 && clock != 1 && clock != 7)
		return -EINVAL;
	if ((err = read_timespec(ureq, &ns)))
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

long sys_set_tid_address(uint64_t tidptr)
{
	current()->clear_child_tid = tidptr;
	return current()->pid;
}

struct k_sigaction {
	uint64_t handler, flags, restorer, mask;
};

long sys_rt_sigaction(int sig, uint64_t uact, uint64_t uold, size_t sigsetsize)
{
	struct proc *me = current();
	struct k_sigaction act, old = { 0 };

	if (sig < 1 || sig > NSIG || sigsetsize != 8)
		return -EINVAL;
	old.handler = me->ignored & (1UL << (sig - 1)) ? SIG_IGN : SIG_DFL;
	if (uact) {
		if (copy_from_user(&act, uact, sizeof(act)))
			return -EFAULT;
		if (sig == SIGKILL || sig == SIGSTOP)
			return -EINVAL;
		if (act.handler != SIG_DFL && act.handler != SIG_IGN)
			return -EINVAL;		/* no user handlers: see kernel/signal.h */
		if (act.handler == SIG_IGN)
			me->ignored |= 1UL << (sig - 1);
		else
			me->ignored &= ~(1UL << (sig - 1));
		me->pending &= ~me->ignored;
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

struct utsname {
	char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65];
};

long sys_uname(uint64_t ubuf)
{
	static const struct utsname u = {
		"cowos", "cowos", "0.1.0", "copy-on-write teaching kernel", "x86_64", "(none)",
	};
	return copy_to_user(ubuf, &u, sizeof(u));
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
