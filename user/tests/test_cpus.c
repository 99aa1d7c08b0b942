/*
 * test_cpus - every CPU is up, reported the same way everywhere, and runs
 * processes: the checks behind "make run SMP=N boots N CPUs".
 *
 *     test_cpus [N]
 *
 * With N (scripts/test's smp suite passes QEMU's -smp), the count must be
 * N; without it (runtests), the counts must agree with one another:
 *   - sysconf(_SC_NPROCESSORS_ONLN), which musl computes from
 *     sched_getaffinity, /proc/cpuinfo's "processor" blocks (numbered
 *     0..N-1) and /proc/stat's cpu0..cpuN-1 lines (and no cpuN);
 *   - sched_getaffinity's answer (the kernel's mask size, 8 bytes) and its
 *     errors, and sched_setaffinity's (EINVAL for an empty mask or one of
 *     offline CPUs only, EFAULT, ESRCH), as on Linux;
 *   - pinned to CPU i with sched_setaffinity, the process runs there
 *     (getcpu), and a fork child inherits the mask;
 *   - N children, each pinned to its own CPU, spin there until /proc/stat
 *     shows that CPU's user time grown by MIN_USER_TICKS: every CPU runs
 *     user code (spinning for a fixed time instead would fail whenever the
 *     host starves some of QEMU's CPU threads).
 * Runs on Linux too.
 * Runs on Linux: yes
 */
#include "tap.h"

#include <sched.h>
#include <sys/syscall.h>

#define MAX_CPUS 64
#define MIN_USER_TICKS 5		/* 50 ms at USER_HZ = 100 */
#define SPIN_DEADLINE_S 60
#define SPIN_CHUNK 1000000

/* The line after LINE in a NUL-terminated text, or NULL. */
static char *next_line(char *line)
{
	char *nl = strchr(line, '\n');

	return nl && nl[1] ? nl + 1 : NULL;
}

/* How many "processor\t: K" lines /proc/cpuinfo has, numbered 0, 1, ...
 * in order; -1 when unreadable or out of order. */
static int cpuinfo_processors(void)
{
	static char text[64 << 10];
	int n = 0, k;

	if (read_file("/proc/cpuinfo", text, sizeof text) < 0)
		return -1;
	for (char *line = text; line; line = next_line(line))
		if (sscanf(line, "processor : %d", &k) == 1 && k != n++)
			return -1;
	return n;
}

/* /proc/stat: the user ticks of each cpuK line into USER[K]; returns how
 * many cpuK lines there are (K = 0, 1, ... in order), -1 on a bad file. */
static int stat_cpus(long user[MAX_CPUS])
{
	char text[8192];
	int n = 0, k;
	long u;

	if (read_file("/proc/stat", text, sizeof text) < 0 || strncmp(text, "cpu ", 4))
		return -1;
	for (char *line = text; line; line = next_line(line)) {
		if (strncmp(line, "cpu", 3) || line[3] < '0' || line[3] > '9' ||
		    sscanf(line, "cpu%d %ld", &k, &u) != 2)
			continue;
		if (k != n || n == MAX_CPUS)
			return -1;
		user[n++] = u;
	}
	return n;
}

static void check_counts(int want)
{
	long user[MAX_CPUS];
	cpu_set_t set;

	tap_check_long(sysconf(_SC_NPROCESSORS_ONLN), want, "sysconf(_SC_NPROCESSORS_ONLN) counts every CPU");
	tap_check_long(cpuinfo_processors(), want, "/proc/cpuinfo has a processor block per CPU, 0..N-1");
	tap_check_long(stat_cpus(user), want, "/proc/stat has a cpuK line per CPU, 0..N-1");
	CPU_ZERO(&set);
	long size = syscall(SYS_sched_getaffinity, 0, sizeof set, &set);
	tap_check_long(size, running_on_linux() ? size : 8, "sched_getaffinity returns the kernel's mask size");
	tap_check_long(CPU_COUNT(&set), want, "sched_getaffinity's mask has every CPU");
}

static void check_errors(int ncpu)
{
	cpu_set_t set;
	long r;

	CPU_ZERO(&set);
	errno = 0, r = sched_setaffinity(0, sizeof set, &set);
	tap_check_errno(r, errno, EINVAL, "sched_setaffinity: an empty mask is EINVAL");
	if (ncpu < CPU_SETSIZE) {
		CPU_SET(ncpu, &set);
		errno = 0, r = sched_setaffinity(0, sizeof set, &set);
		tap_check_errno(r, errno, EINVAL, "sched_setaffinity: only offline CPUs is EINVAL");
	}
	errno = 0, r = syscall(SYS_sched_setaffinity, 0, sizeof set, (void *)8);
	tap_check_errno(r, errno, EFAULT, "sched_setaffinity: an unreadable mask is EFAULT");
	errno = 0, r = syscall(SYS_sched_getaffinity, 0, sizeof set, (void *)8);
	tap_check_errno(r, errno, EFAULT, "sched_getaffinity: an unwritable mask is EFAULT");
	errno = 0, r = syscall(SYS_sched_getaffinity, 0, 4, &set);
	tap_check_errno(r, errno, EINVAL, "sched_getaffinity: a length not a multiple of 8 is EINVAL");
	errno = 0, r = syscall(SYS_sched_getaffinity, 0, 0, &set);
	tap_check_errno(r, errno, EINVAL, "sched_getaffinity: length 0 is EINVAL");
	errno = 0, r = sched_getaffinity(999999, sizeof set, &set);
	tap_check_errno(r, errno, ESRCH, "sched_getaffinity: no such process is ESRCH");
	CPU_SET(0, &set);
	errno = 0, r = sched_setaffinity(999999, sizeof set, &set);
	tap_check_errno(r, errno, ESRCH, "sched_setaffinity: no such process is ESRCH");
}

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof set, &set);
}

static void unpin(int ncpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	for (int i = 0; i < ncpu; i++)
		CPU_SET(i, &set);
	if (sched_setaffinity(0, sizeof set, &set))
		tap_fail("sched_setaffinity back to every CPU", "%s", strerror(errno));
}

/* Pinned to each CPU in turn, the process runs there at once. */
static void check_migration(int ncpu)
{
	int wrong = -1, got = -1;

	for (int i = 0; i < ncpu && wrong < 0; i++)
		if (pin(i) || (got = sched_getcpu()) != i)
			wrong = i;
	if (wrong < 0)
		tap_pass("pinned to CPU i, the process runs on CPU i, for every i");
	else
		tap_fail("pinned to CPU i, the process runs on CPU i, for every i",
			 "pinned to %d, runs on %d (%s)", wrong, got, strerror(errno));
	unpin(ncpu);
}

static void child_mask(void *arg)
{
	cpu_set_t set;

	_exit(sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) == 1 &&
	      CPU_ISSET(*(int *)arg, &set) ? 0 : 1);
}

static void check_inherit(int ncpu)
{
	int last = ncpu - 1;

	if (pin(last)) {
		tap_fail("a fork child inherits the CPU mask", "pin: %s", strerror(errno));
		return;
	}
	int status = tap_run_child(child_mask, &last);
	tap_check(status == 0, "a fork child inherits the CPU mask", "child %s", tap_status_str(status));
	unpin(ncpu);
}

/* Pinned to CPU, spin until /proc/stat says that CPU ran MIN_USER_TICKS
 * of user time since; exits 0, or 2..4 for what went wrong. */
static void spin(int cpu)
{
	long user[MAX_CPUS], start;
	double deadline = now_s() + SPIN_DEADLINE_S;

	if (pin(cpu) || stat_cpus(user) <= cpu)
		_exit(2);
	start = user[cpu];
	while (stat_cpus(user) > cpu && user[cpu] - start < MIN_USER_TICKS) {
		if (now_s() > deadline)
			_exit(4);
		for (volatile int k = 0; k < SPIN_CHUNK; k++)
			;
	}
	_exit(sched_getcpu() == cpu ? 0 : 3);
}

static void check_parallel(int ncpu)
{
	static const char *const why[] = { "", "", "cannot pin or read /proc/stat",
					   "ended on another CPU", "its CPU ran no user time" };
	pid_t kids[MAX_CPUS];
	int status, bad = -1, bad_status = 0;

	for (int i = 0; i < ncpu; i++)
		if ((kids[i] = fork()) == 0)
			spin(i);
	for (int i = 0; i < ncpu; i++)
		if ((status = kids[i] < 0 ? -1 : tap_wait(kids[i])) != 0 && bad < 0)
			bad = i, bad_status = status;
	if (bad < 0)
		tap_pass("a child pinned to each CPU runs user code there");
	else if (WIFEXITED(bad_status) && WEXITSTATUS(bad_status) >= 2 && WEXITSTATUS(bad_status) <= 4)
		tap_fail("a child pinned to each CPU runs user code there", "CPU %d: %s", bad,
			 why[WEXITSTATUS(bad_status)]);
	else
		tap_fail("a child pinned to each CPU runs user code there", "CPU %d: child %s", bad,
			 tap_status_str(bad_status));
}

int main(int argc, char **argv)
{
	int want = argc > 1 ? atoi(argv[1]) : (int)sysconf(_SC_NPROCESSORS_ONLN);

	if (want < 1 || want > MAX_CPUS) {
		tap_fail("the expected CPU count", "%d is not in 1..%d", want, MAX_CPUS);
		return tap_done();
	}
	tap_diag("expecting %d CPUs\n", want);
	check_counts(want);
	check_errors(want);
	check_migration(want);
	check_inherit(want);
	check_parallel(want);
	return tap_done();
}
