/*
 * kernel/sys_misc.c - the small system calls ordinary programs (busybox,
 * glibc's start-up) ask for: resource limits, times and usage, sysinfo,
 * prctl, the kernel log (syslog), priorities, the host name and uname,
 * user and group ids, the time of day, getrandom; and the per-process
 * accounting behind them and /proc/PID/stat (kernel/sys_misc.h).
 *
 * Semantics and errors are Linux's (the man pages named at each call).
 * The one user is root with every capability: raising a hard limit, a
 * negative nice value, sethostname are allowed; ids other than 0 are not
 * (EPERM), there being no other user to become.  Times come from the
 * timer tick (kernel/sched.c charges each tick to the task it interrupts,
 * user or kernel mode), so they are exact to 1/HZ at best, as Linux's
 * tick-based accounting is.
 */
#include "kernel/sys_misc.h"
#include "kernel/errno.h"
#include "kernel/printk.h"
#include "kernel/proc.h"
#include "kernel/random.h"
#include "kernel/sched.h"
#include "kernel/signal/signal.h"
#include "kernel/syscall.h"
#include "kernel/uaccess.h"
#include "kernel/x86/time.h"
#include "mm/frame_info.h"
#include "mm/kvmalloc.h"
#include "mm/layout.h"
#include "mm/smaps.h"
#include "mm/vmspace.h"

/* ---- accounting (kernel/sys_misc.h) ---- */

void misc_init_proc(struct proc *p)
{
	for (int i = 0; i < RLIM_NLIMITS; i++)
		p->misc.rlim[i] = (struct rlimit){ RLIM_INFINITY, RLIM_INFINITY };
	p->misc.rlim[RLIMIT_STACK].rlim_cur = USER_STACK_SIZE;
	p->misc.rlim[RLIMIT_CORE].rlim_cur = 0;
	p->misc.rlim[RLIMIT_NPROC] = (struct rlimit){ NPROC, NPROC };
	p->misc.rlim[RLIMIT_NOFILE] = (struct rlimit){ NOFILE, NOFILE };
	p->misc.rlim[RLIMIT_MEMLOCK] = (struct rlimit){ 8 << 20, 8 << 20 };
	p->dumpable = 1;
}

void misc_fork(struct proc *child, struct proc *me, bool thread)
{
	child->nice = me->nice;
	child->dumpable = me->dumpable;
	memcpy(child->exe, me->exe, sizeof(child->exe));
	if (!thread)
		memcpy(child->misc.rlim, me->group_leader->misc.rlim, sizeof(child->misc.rlim));
}

void misc_exec(struct proc *p, const char *path)
{
	strlcpy(p->exe, path, sizeof(p->exe));
	p->dumpable = 1;
}

void acct_task_exit(struct proc *p)
{
	struct proc *leader = p->group_leader;

	leader->misc.dead_utime += p->utime;
	leader->misc.dead_stime += p->stime;
	p->utime = p->stime = 0;
}

void group_times(const struct proc *leader, uint64_t *utime, uint64_t *stime)
{
	*utime = leader->misc.dead_utime;
	*stime = leader->misc.dead_stime;
	for_each_thread(t, leader) {
		*utime += t->utime;
		*stime += t->stime;
	}
}

void acct_reap(struct proc *leader, struct proc *child)
{
	uint64_t ut, st;

	group_times(child, &ut, &st);
	leader->misc.cutime += ut + child->misc.cutime;
	leader->misc.cstime += st + child->misc.cstime;
}

void pdeath_signal_send(struct proc *child)
{
	if (child->pdeath_signal && child->state != P_ZOMBIE)
		signal_send_locked(child, child->pdeath_signal);
}

/* ---- resource limits: getrlimit(2) ---- */

uint64_t rlimit_cur(int resource)
{
	return __atomic_load_n(&current()->group_leader->misc.rlim[resource].rlim_cur,
			       __ATOMIC_RELAXED);
}

/* The largest RLIMIT_NOFILE the descriptor table allows (Linux's
 * sysctl_nr_open): above it even root gets EPERM. */
#define NR_OPEN NOFILE

/* Linux do_prlimit's checks of a new limit NEW against OLD. */
static int rlimit_check(int resource, const struct rlimit *new)
{
	if (new->rlim_cur > new->rlim_max)
		return -EINVAL;
	if (resource == RLIMIT_NOFILE && new->rlim_max > NR_OPEN)
		return -EPERM;
	return 0;	/* raising a hard limit needs CAP_SYS_RESOURCE: root has it */
}

/* Read and/or set limit RESOURCE of the process PID (0: the caller's). */
static long do_prlimit(int pid, int resource, const struct rlimit *new, struct rlimit *old)
{
	int err;

	if (resource < 0 || resource >= RLIM_NLIMITS)
		return -EINVAL;
	if (new && (err = rlimit_check(resource, new)))
		return err;
	spin_lock(&proc_lock);
	struct proc *p = pid ? proc_find(pid) : current();
	if (!p) {
		spin_unlock(&proc_lock);
		return -ESRCH;
	}
	struct rlimit *r = &p->group_leader->misc.rlim[resource];
	if (old)
		*old = *r;
	if (new)
		*r = *new;
	spin_unlock(&proc_lock);
	return 0;
}

long sys_prlimit64(int pid, int resource, uint64_t unew, uint64_t uold)
{
	struct rlimit new, old;

	if (pid < 0)
		return -EINVAL;
	if (unew && copy_from_user(&new, unew, sizeof(new)))
		return -EFAULT;
	long r = do_prlimit(pid, resource, unew ? &new : NULL, uold ? &old : NULL);
	if (!r && uold && copy_to_user(uold, &old, sizeof(old)))
		return -EFAULT;
	return r;
}

long sys_getrlimit(int resource, uint64_t ulim)
{
	return sys_prlimit64(0, resource, 0, ulim);
}

long sys_setrlimit(int resource, uint64_t ulim)
{
	return sys_prlimit64(0, resource, ulim, 0);
}

/* ---- times(2), getrusage(2) ---- */

struct tms {
	int64_t tms_utime, tms_stime, tms_cutime, tms_cstime;	/* USER_HZ ticks */
};

long sys_times(uint64_t ubuf)
{
	struct proc *leader = current()->group_leader;
	uint64_t ut, st;
	struct tms t;

	spin_lock(&proc_lock);
	group_times(leader, &ut, &st);
	t = (struct tms){ (int64_t)TICKS_TO_CLOCK_T(ut), (int64_t)TICKS_TO_CLOCK_T(st),
			  (int64_t)TICKS_TO_CLOCK_T(leader->misc.cutime),
			  (int64_t)TICKS_TO_CLOCK_T(leader->misc.cstime) };
	spin_unlock(&proc_lock);
	if (ubuf && copy_to_user(ubuf, &t, sizeof(t)))
		return -EFAULT;
	return (long)TICKS_TO_CLOCK_T(time_ticks());
}

#define RUSAGE_SELF 0
#define RUSAGE_CHILDREN (-1)
#define RUSAGE_THREAD 1

struct timeval {
	int64_t tv_sec, tv_usec;
};

/* Linux's struct rusage (144 bytes): two timevals, then 14 longs. */
struct rusage {
	struct timeval ru_utime, ru_stime;
	int64_t ru_maxrss, ru_ixrss, ru_idrss, ru_isrss, ru_minflt, ru_majflt, ru_nswap;
	int64_t ru_inblock, ru_oublock, ru_msgsnd, ru_msgrcv, ru_nsignals, ru_nvcsw, ru_nivcsw;
};

static struct timeval ticks_to_timeval(uint64_t ticks)
{
	uint64_t us = ticks * (1000000 / HZ);

	return (struct timeval){ (int64_t)(us / 1000000), (int64_t)(us % 1000000) };
}

/* The caller's resident set in KiB: ru_maxrss.  No high-water mark is kept,
 * so it is the size now (Linux: the largest it has been). */
static int64_t current_rss_kb(void)
{
	struct vmspace *vm = current()->vm;
	struct mm_rss rss;

	down_read(&vm->mmap_lock);
	get_mm_rss(vm, &rss);
	up_read(&vm->mmap_lock);
	return (int64_t)((rss.anon + rss.file) * (PAGE_SIZE / 1024));
}

/* Times and switches of WHO, under proc_lock. */
static void rusage_times(int who, struct rusage *ru)
{
	struct proc *me = current(), *leader = me->group_leader;
	uint64_t ut = me->utime, st = me->stime;

	ru->ru_nvcsw = (int64_t)me->nvcsw;
	ru->ru_nivcsw = (int64_t)me->nivcsw;
	if (who == RUSAGE_SELF) {
		group_times(leader, &ut, &st);
		ru->ru_nvcsw = ru->ru_nivcsw = 0;
		for_each_thread(t, leader) {
			ru->ru_nvcsw += (int64_t)t->nvcsw;
			ru->ru_nivcsw += (int64_t)t->nivcsw;
		}
	} else if (who == RUSAGE_CHILDREN) {
		ut = leader->misc.cutime;
		st = leader->misc.cstime;
		ru->ru_nvcsw = ru->ru_nivcsw = 0;
	}
	ru->ru_utime = ticks_to_timeval(ut);
	ru->ru_stime = ticks_to_timeval(st);
}

/* getrusage(2): RUSAGE_SELF, RUSAGE_CHILDREN (maxrss 0: a child's size is
 * not kept once it exits), RUSAGE_THREAD; -EINVAL for another WHO. */
long sys_getrusage(int who, uint64_t uru)
{
	struct rusage ru = { 0 };

	if (who != RUSAGE_SELF && who != RUSAGE_CHILDREN && who != RUSAGE_THREAD)
		return -EINVAL;
	spin_lock(&proc_lock);
	rusage_times(who, &ru);
	spin_unlock(&proc_lock);
	if (who != RUSAGE_CHILDREN)
		ru.ru_maxrss = current_rss_kb();
	return copy_to_user(uru, &ru, sizeof(ru)) ? -EFAULT : 0;
}

/* ---- sysinfo(2) ---- */

#define SI_LOAD_SHIFT 16

struct sysinfo {
	int64_t uptime;
	uint64_t loads[3];
	uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
	uint16_t procs, pad;
	uint64_t totalhigh, freehigh;
	uint32_t mem_unit;
};

/* Tasks that exist (Linux's nr_threads: threads count, zombies too). */
static int count_tasks(void)
{
	int n = 0;

	spin_lock(&proc_lock);
	for (struct proc *p = proc_table; p < proc_table + NPROC; p++)
		n += p->state != P_UNUSED && p->state != P_EMBRYO && p->state != P_DEAD;
	spin_unlock(&proc_lock);
	return n;
}

/* sysinfo(2): memory in bytes (mem_unit 1); sharedram is the page cache,
 * which is all file system memory (tmpfs) here. */
long sys_sysinfo(uint64_t uinfo)
{
	struct sysinfo si = { 0 };
	struct meminfo m;
	uint64_t ns = time_ns(), loads[3];

	meminfo_read(&m);
	sched_loadavg(loads);
	si.uptime = (int64_t)(ns / 1000000000 + (ns % 1000000000 != 0));
	for (int i = 0; i < 3; i++)
		si.loads[i] = loads[i] << (SI_LOAD_SHIFT - FSHIFT);
	si.totalram = m.total * PAGE_SIZE;
	si.freeram = m.free * PAGE_SIZE;
	si.sharedram = m.cached * PAGE_SIZE;
	si.procs = (uint16_t)count_tasks();
	si.mem_unit = 1;
	return copy_to_user(uinfo, &si, sizeof(si)) ? -EFAULT : 0;
}

/* ---- prctl(2) ---- */

#define PR_SET_PDEATHSIG 1
#define PR_GET_PDEATHSIG 2
#define PR_GET_DUMPABLE 3
#define PR_SET_DUMPABLE 4
#define PR_SET_NAME 15
#define PR_GET_NAME 16

static long prctl_set_name(uint64_t uname)
{
	char name[PROC_NAME_LEN];
	long n = strncpy_from_user(name, uname, sizeof(name));

	if (n < 0 && n != -ENAMETOOLONG)
		return n;
	name[sizeof(name) - 1] = 0;	/* longer names are cut, as Linux does */
	spin_lock(&proc_lock);
	strlcpy(current()->name, name, sizeof(current()->name));
	spin_unlock(&proc_lock);
	return 0;
}

static long prctl_get_name(uint64_t uname)
{
	char name[PROC_NAME_LEN];

	spin_lock(&proc_lock);
	memcpy(name, current()->name, sizeof(name));
	spin_unlock(&proc_lock);
	return copy_to_user(uname, name, sizeof(name)) ? -EFAULT : 0;
}

/* The options ps, shells and glibc use; every other option is -EINVAL, as
 * Linux answers an unknown one. */
long sys_prctl(int option, uint64_t arg2, uint64_t arg3, uint64_t arg4, uint64_t arg5)
{
	struct proc *me = current();

	(void)arg3, (void)arg4, (void)arg5;
	switch (option) {
	case PR_SET_PDEATHSIG:
		if (arg2 > NSIG)
			return -EINVAL;
		me->pdeath_signal = (int)arg2;
		return 0;
	case PR_GET_PDEATHSIG:
		return copy_to_user(arg2, &me->pdeath_signal, sizeof(int)) ? -EFAULT : 0;
	case PR_GET_DUMPABLE:
		return me->dumpable;
	case PR_SET_DUMPABLE:
		if (arg2 > 1)
			return -EINVAL;
		me->dumpable = (int)arg2;
		return 0;
	case PR_SET_NAME:
		return prctl_set_name(arg2);
	case PR_GET_NAME:
		return prctl_get_name(arg2);
	default:
		return -EINVAL;
	}
}

/* ---- syslog(2): the kernel log for dmesg ---- */

#define SYSLOG_ACTION_CLOSE 0
#define SYSLOG_ACTION_OPEN 1
#define SYSLOG_ACTION_READ_ALL 3
#define SYSLOG_ACTION_READ_CLEAR 4
#define SYSLOG_ACTION_CLEAR 5
#define SYSLOG_ACTION_CONSOLE_OFF 6
#define SYSLOG_ACTION_CONSOLE_ON 7
#define SYSLOG_ACTION_CONSOLE_LEVEL 8
#define SYSLOG_ACTION_SIZE_BUFFER 10

/* READ_ALL / READ_CLEAR: the newest whole lines, at most LEN bytes. */
static long syslog_read(uint64_t ubuf, int len, bool clear)
{
	if (!ubuf || len < 0)
		return -EINVAL;
	if (len == 0)
		return 0;
	if (!user_range_ok(ubuf, (size_t)len))
		return -EFAULT;
	size_t max = MIN((size_t)len, (size_t)LOG_BUF_LEN);
	char *buf = kvmalloc(LOG_BUF_LEN);
	if (!buf)
		return -ENOMEM;
	size_t n = printk_log_read(buf, max, clear);
	long r = copy_to_user(ubuf, buf, n) ? -EFAULT : (long)n;
	kvfree(buf);
	return r;
}

/* syslog(2) (klogctl): reading, clearing and sizing the log.  The blocking
 * SYSLOG_ACTION_READ (2) and SIZE_UNREAD (9), which only a syslog daemon
 * uses, are not implemented: -EINVAL.  The console switches (6, 7, 8) are
 * accepted and change nothing: the console shows the `log=` level. */
long sys_syslog(int type, uint64_t ubuf, int len)
{
	switch (type) {
	case SYSLOG_ACTION_CLOSE:
	case SYSLOG_ACTION_OPEN:
	case SYSLOG_ACTION_CONSOLE_OFF:
	case SYSLOG_ACTION_CONSOLE_ON:
		return 0;
	case SYSLOG_ACTION_READ_ALL:
	case SYSLOG_ACTION_READ_CLEAR:
		return syslog_read(ubuf, len, type == SYSLOG_ACTION_READ_CLEAR);
	case SYSLOG_ACTION_CLEAR:
		printk_log_read(NULL, 0, true);
		return 0;
	case SYSLOG_ACTION_CONSOLE_LEVEL:
		return len < 1 || len > 8 ? -EINVAL : 0;
	case SYSLOG_ACTION_SIZE_BUFFER:
		return LOG_BUF_LEN;
	default:
		return -EINVAL;
	}
}

/* ---- getpriority(2), setpriority(2) ---- */

#define PRIO_PROCESS 0
#define PRIO_PGRP 1
#define PRIO_USER 2
#define NICE_MIN (-20)
#define NICE_MAX 19

/* Does task P match WHICH/WHO (WHO already resolved: never 0 but for
 * PRIO_USER, where it is the uid)? */
static bool prio_matches(const struct proc *p, int which, int who)
{
	if (p->state == P_UNUSED || p->state == P_EMBRYO || p->state == P_DEAD)
		return false;
	if (which == PRIO_PROCESS)
		return p->pid == who;
	if (which == PRIO_PGRP)
		return p->group_leader->pgid == who;
	return who == 0;	/* every task belongs to root */
}

/* Apply to every match: set NICE (SET) or find the lowest nice value in
 * *NICE.  Matches found, or -EINVAL for a bad WHICH. */
static int prio_walk(int which, int who, bool set, int *nice)
{
	int found = 0;

	if (which < PRIO_PROCESS || which > PRIO_USER)
		return -EINVAL;
	spin_lock(&proc_lock);
	if (who == 0 && which == PRIO_PROCESS)
		who = current()->pid;
	else if (who == 0 && which == PRIO_PGRP)
		who = current()->group_leader->pgid;
	for (struct proc *p = proc_table; p < proc_table + NPROC; p++) {
		if (!prio_matches(p, which, who))
			continue;
		if (set)
			p->nice = *nice;
		else if (!found || p->nice < *nice)
			*nice = p->nice;
		found++;
	}
	spin_unlock(&proc_lock);
	return found;
}

/* The system call returns 20 - nice (1..40) so that no answer is negative
 * (man 2 getpriority, "C library/kernel differences"). */
long sys_getpriority(int which, int who)
{
	int nice = 0, found = prio_walk(which, who, false, &nice);

	return found < 0 ? found : found ? 20 - nice : -ESRCH;
}

/* The nice value is stored and shown (/proc/PID/stat, ps); the round-robin
 * scheduler gives every task the same slice whatever it is. */
long sys_setpriority(int which, int who, int prio)
{
	int nice = MAX(NICE_MIN, MIN(NICE_MAX, prio)), found = prio_walk(which, who, true, &nice);

	return found < 0 ? found : found ? 0 : -ESRCH;
}

/* ---- the host name: sethostname(2), uname(2) ---- */

static struct spinlock uts_lock = SPINLOCK_INIT("uts");
static char hostname[HOST_NAME_MAX + 1] = "cowos";

void hostname_get(char *buf)
{
	spin_lock(&uts_lock);
	memcpy(buf, hostname, sizeof(hostname));
	spin_unlock(&uts_lock);
}

int hostname_set(const char *s, size_t n)
{
	if (n > HOST_NAME_MAX)
		return -EINVAL;
	spin_lock(&uts_lock);
	memcpy(hostname, s, n);
	memset(hostname + n, 0, sizeof(hostname) - n);
	spin_unlock(&uts_lock);
	return 0;
}

long sys_sethostname(uint64_t uname, int len)
{
	char name[HOST_NAME_MAX];

	if (len < 0 || len > HOST_NAME_MAX)
		return -EINVAL;
	if (copy_from_user(name, uname, (size_t)len))
		return -EFAULT;
	return hostname_set(name, (size_t)len);
}

struct utsname {
	char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65];
};

long sys_uname(uint64_t ubuf)
{
	struct utsname u = {
		UTS_SYSNAME, "", UTS_RELEASE, UTS_VERSION, "x86_64", "(none)",
	};

	hostname_get(u.nodename);
	return copy_to_user(ubuf, &u, sizeof(u)) ? -EFAULT : 0;
}

/* ---- user and group ids: everything is root ---- */

/* An id argument of the set*id calls: 0 is root, -1 (where allowed)
 * leaves the id as it is; any other id would need another user. */
static long id_ok(uint32_t id, bool keep_allowed)
{
	if (id == 0 || (keep_allowed && id == (uint32_t)-1))
		return 0;
	return id == (uint32_t)-1 ? -EINVAL : -EPERM;
}

long sys_setuid(uint32_t uid)
{
	return id_ok(uid, false);
}

long sys_setreuid(uint32_t r, uint32_t e)
{
	long err = id_ok(r, true);

	return err ? err : id_ok(e, true);
}

long sys_setresuid(uint32_t r, uint32_t e, uint32_t s)
{
	long err = sys_setreuid(r, e);

	return err ? err : id_ok(s, true);
}

/* getresuid(2), getresgid(2): real, effective and saved ids, all 0. */
long sys_getresid(uint64_t ur, uint64_t ue, uint64_t us)
{
	uint32_t zero = 0;

	if (copy_to_user(ur, &zero, 4) || copy_to_user(ue, &zero, 4) || copy_to_user(us, &zero, 4))
		return -EFAULT;
	return 0;
}

/* setfsuid(2), setfsgid(2) answer the previous id: always 0. */
long sys_setfsid(uint32_t id)
{
	(void)id;
	return 0;
}

#define NGROUPS_MAX 65536

/* getgroups(2): no supplementary groups. */
long sys_getgroups(int size, uint64_t list)
{
	(void)list;
	return size < 0 ? -EINVAL : 0;
}

/* setgroups(2): only the empty list, or root's group, can be set. */
long sys_setgroups(int size, uint64_t ulist)
{
	uint32_t gid;

	if (size < 0 || size > NGROUPS_MAX)
		return -EINVAL;
	for (int i = 0; i < size; i++) {
		if (copy_from_user(&gid, ulist + (uint64_t)i * 4, 4))
			return -EFAULT;
		if (gid != 0)
			return -EPERM;
	}
	return 0;
}

/* ---- the time of day ---- */

#define CLOCK_REALTIME_COARSE 5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_MAX 7

struct timespec64 {
	int64_t tv_sec, tv_nsec;
};

/* clock_getres(2): the clocks clock_gettime knows; the TSC gives
 * nanoseconds, the _COARSE clocks tick (Linux: TICK_NSEC). */
long sys_clock_getres(int clock, uint64_t ures)
{
	struct timespec64 res = { 0, 1 };

	if (clock < 0 || clock > CLOCK_MAX)
		return -EINVAL;
	if (clock == CLOCK_REALTIME_COARSE || clock == CLOCK_MONOTONIC_COARSE)
		res.tv_nsec = 1000000000 / HZ;
	if (ures && copy_to_user(ures, &res, sizeof(res)))
		return -EFAULT;
	return 0;
}

/* gettimeofday(2): the realtime clock, as clock_gettime(CLOCK_REALTIME)
 * says; the time zone is UTC. */
long sys_gettimeofday(uint64_t utv, uint64_t utz)
{
	uint64_t ns = time_realtime_ns();
	struct timeval tv = { (int64_t)(ns / 1000000000), (int64_t)(ns / 1000 % 1000000) };
	int32_t tz[2] = { 0, 0 };	/* minutes west, dst type */

	if (utv && copy_to_user(utv, &tv, sizeof(tv)))
		return -EFAULT;
	if (utz && copy_to_user(utz, tz, sizeof(tz)))
		return -EFAULT;
	return 0;
}

long sys_time(uint64_t utloc)
{
	int64_t t = (int64_t)(time_realtime_ns() / 1000000000);

	if (utloc && copy_to_user(utloc, &t, sizeof(t)))
		return -EFAULT;
	return t;
}

/* ---- getrandom(2) ---- */

#define MAX_RW_COUNT (0x7fffffffUL & ~(PAGE_SIZE - 1))

/* The generator is seeded before user space starts, so nothing blocks and
 * the three flags change nothing, as on Linux once its CRNG is ready; but
 * GRND_INSECURE with GRND_RANDOM, or an unknown flag, is -EINVAL. */
long sys_getrandom(uint64_t ubuf, size_t n, unsigned flags)
{
	if (flags & ~(unsigned)(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
		return -EINVAL;
	if ((flags & (GRND_INSECURE | GRND_RANDOM)) == (GRND_INSECURE | GRND_RANDOM))
		return -EINVAL;
	return random_read_user(ubuf, MIN(n, MAX_RW_COUNT));
}
