/*
 * bench - what copy-on-write buys: process creation and page faults, first
 * with copy-on-write fork (cow_fork=1), then with the eager copy
 * (cow_fork=0), in one run.  Each measurement prints one line
 *
 *     bench NAME VALUE UNIT
 *
 * with VALUE the median of the rounds, followed by a comment line
 * "# NAME min MIN max MAX rounds N".  Before each mode's lines:
 * "# mode cow_fork=1" or "# mode cow_fork=0" (on Linux, which has only
 * copy-on-write fork: "# mode linux", once).
 *
 *   fork_exit_wait_{0,1,16,64,256}MiB  us: fork, the child _exits, the parent
 *                                  waits; that much memory written before
 *   fork_exec_wait                 us: fork, the child execs /bin/true, wait
 *   cow_fault_per_page             ns per page: a child writing every page of
 *                                  64 MiB its parent wrote before the fork
 *   zero_read_fault_per_page       ns per page: first read of untouched memory
 *   write_after_zero_read_per_page ns per page: first write after that read
 *   first_write_fault_per_page     ns per page: first write of untouched memory
 *   fork_page_table_pages_256MiB   pages the fork of a process with 256 MiB
 *                                  written allocates (MemFree before and
 *                                  after, the child alive and blocked)
 *   fork_frames_64MiB              the same for 64 MiB (fits in every guest)
 *
 * A measurement whose memory does not fit in MemFree (twice the size for the
 * eager fork) prints "# skip NAME: ..." instead: give the guest 1 GiB for the
 * 256 MiB ones (scripts/bench does).
 *
 *     bench [-q] [-1] [NAME...]
 *
 * -q  quick: few rounds, 16 MiB for the per-page measurements, no 64 and
 *     256 MiB forks (a regression check: scripts/bench --check);
 * -1  the current mode only (do not touch /proc/sys/vm/cow_fork);
 * NAME... just these measurements.
 * cow_fork is put back to what it was at the end.  Exit status 0, or 1 when
 * something could not be measured (a fork failed...).
 * Env: BIN, directory holding "true" for fork_exec_wait (default /bin).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ulib.h"

#define MiB (1024L * 1024)
#define PAGE 4096L
#define MAX_ROUNDS 256

static int quick, failed;

/* ---- helpers ---------------------------------------------------------- */

static long sysctl_cow_fork(void)
{
	char buf[16];

	return read_file("/proc/sys/vm/cow_fork", buf, sizeof buf) > 0 ? strtol(buf, NULL, 10) : -1;
}

static int set_cow_fork(long value)
{
	char buf[16];
	int fd = open("/proc/sys/vm/cow_fork", O_WRONLY);

	if (fd < 0)
		return -1;
	int len = snprintf(buf, sizeof buf, "%ld\n", value);
	int ok = write(fd, buf, len) == len;
	close(fd);
	return ok ? 0 : -1;
}

/* Map len bytes of private memory (not touched). */
static char *map(long len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		say("# bench: mmap %ld MiB: %s\n", len / MiB, strerror(errno));
		return NULL;
	}
#ifdef MADV_NOHUGEPAGE
	madvise(p, len, MADV_NOHUGEPAGE);	/* Linux: count 4 KiB faults */
#endif
	return p;
}

/* Map mib MiB and write every page, so it is really there. */
static char *touch_memory(long mib)
{
	if (mib == 0)
		return NULL;
	char *p = map(mib * MiB);
	if (p)
		for (long off = 0; off < mib * MiB; off += PAGE)
			p[off] = (char)(off >> 12) | 1;
	return p;
}

static int wait_child(pid_t pid)
{
	int status = -1;

	if (pid < 0) {
		say("# bench: fork: %s\n", strerror(errno));
		return -1;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

static int compare(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The samples of one measurement: print the median line and the spread. */
static void report(const char *name, const char *unit, double *v, int n)
{
	if (n <= 0) {
		say("# bench: %s: no measurement\n", name);
		failed = 1;
		return;
	}
	qsort(v, n, sizeof *v, compare);
	double median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	say("bench %s %.1f %s\n", name, median, unit);
	say("# %s min %.1f max %.1f rounds %d\n", name, v[0], v[n - 1], n);
}

/* Does a measurement needing `need` bytes fit? If not, say so. */
static int fits(const char *name, long need)
{
	long free_kb = meminfo_kb("MemFree");

	if (free_kb < 0 || need / 1024 + 24 * 1024 <= free_kb)
		return 1;
	say("# skip %s: needs %ld MiB, MemFree is %ld MiB (more memory: MEM=1G)\n", name,
	    need / MiB, free_kb / 1024);
	return 0;
}

/* ---- the measurements -------------------------------------------------- */

struct bench {
	const char *name, *unit;
	void (*run)(const struct bench *b, int eager);
	long mib;		/* memory size the measurement uses */
	int rounds;		/* rounds in a normal run */
	int in_quick;		/* run with -q */
};

/* fork, the child _exits at once, the parent waits. */
static void fork_exit_wait(const struct bench *b, int eager)
{
	double v[MAX_ROUNDS];
	int rounds = quick ? 3 : b->rounds, n = 0;

	if (!fits(b->name, b->mib * MiB * (eager ? 2 : 1)))
		return;
	char *memory = touch_memory(b->mib);
	if (b->mib && !memory) {
		failed = 1;
		return;
	}
	for (int i = 0; i <= rounds; i++) {
		double start = now_ns();
		pid_t pid = fork();
		if (pid == 0)
			_exit(0);
		if (wait_child(pid) == -1) {
			failed = 1;
			break;
		}
		if (i > 0)	/* round 0 warms up */
			v[n++] = (now_ns() - start) / 1e3;
	}
	if (memory)
		munmap(memory, b->mib * MiB);
	report(b->name, b->unit, v, n);
}

/* fork, the child execs /bin/true, the parent waits. */
static void fork_exec_wait(const struct bench *b, int eager)
{
	const char *bin = getenv("BIN") ? getenv("BIN") : "/bin";
	char path[256];
	char *argv[] = { "true", NULL }, *envp[] = { NULL };
	double v[MAX_ROUNDS];
	int rounds = quick ? 3 : b->rounds, n = 0;

	(void)eager;
	snprintf(path, sizeof path, "%s/true", bin);
	for (int i = 0; i <= rounds; i++) {
		double start = now_ns();
		pid_t pid = fork();
		if (pid == 0) {
			execve(path, argv, envp);
			_exit(127);
		}
		int status = wait_child(pid);
		if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			say("# bench: %s: %s did not run\n", b->name, path);
			failed = 1;
			break;
		}
		if (i > 0)
			v[n++] = (now_ns() - start) / 1e3;
	}
	report(b->name, b->unit, v, n);
}

static long size_of(const struct bench *b)
{
	return (quick ? 16 : b->mib) * MiB;
}

/* A child writes every page its parent wrote before the fork. */
static void cow_fault_per_page(const struct bench *b, int eager)
{
	long len = size_of(b), pages = len / PAGE;
	double v[MAX_ROUNDS];
	int rounds = quick ? 2 : b->rounds, n = 0;

	(void)eager;	/* either way: the parent's memory and the child's copy */
	if (!fits(b->name, 2 * len))
		return;
	char *p = touch_memory(len / MiB);
	if (!p) {
		failed = 1;
		return;
	}
	for (int i = 0; i < rounds; i++) {
		int fd[2];
		double ns = 0;
		if (pipe(fd) < 0)
			break;
		pid_t pid = fork();
		if (pid == 0) {
			double start = now_ns();
			for (long off = 0; off < len; off += PAGE)
				p[off] = 2;
			double t = now_ns() - start;
			_exit(write(fd[1], &t, sizeof t) == sizeof t ? 0 : 1);
		}
		close(fd[1]);
		int got = pid > 0 && read(fd[0], &ns, sizeof ns) == sizeof ns;
		close(fd[0]);
		wait_child(pid);
		if (!got) {
			failed = 1;
			break;
		}
		v[n++] = ns / pages;
	}
	munmap(p, len);
	report(b->name, b->unit, v, n);
}

/* Fresh memory: read every page; then (write_after) write every page; or
 * (first_write) write every page without reading first. */
static void fault_per_page(const struct bench *b, int what)
{
	long len = size_of(b), pages = len / PAGE;
	double v[MAX_ROUNDS];
	int rounds = quick ? 2 : b->rounds, n = 0;

	if (!fits(b->name, len))
		return;
	for (int i = 0; i < rounds; i++) {
		volatile char *p = map(len);
		if (!p) {
			failed = 1;
			break;
		}
		double start = now_ns(), t = 0;
		if (what != 2) {
			unsigned sum = 0;
			for (long off = 0; off < len; off += PAGE)
				sum += p[off];
			t = now_ns() - start;
			if (sum)
				say("# bench: %s: fresh memory is not zero\n", b->name);
			start = now_ns();
		}
		if (what != 0) {
			for (long off = 0; off < len; off += PAGE)
				p[off] = 1;
			t = now_ns() - start;
		}
		munmap((void *)p, len);
		v[n++] = t / pages;
	}
	report(b->name, b->unit, v, n);
}

static void zero_read(const struct bench *b, int eager)
{
	(void)eager;
	fault_per_page(b, 0);
}

static void write_after_zero_read(const struct bench *b, int eager)
{
	(void)eager;
	fault_per_page(b, 1);
}

static void first_write(const struct bench *b, int eager)
{
	(void)eager;
	fault_per_page(b, 2);
}

/* Frames the fork itself allocates: MemFree before it and after it, in the
 * parent, while the child is alive (blocked reading a pipe). */
static void fork_frames(const struct bench *b, int eager)
{
	long len = b->mib * MiB;
	double v[MAX_ROUNDS];
	int rounds = quick ? 1 : b->rounds, n = 0;

	if (!fits(b->name, len * (eager ? 2 : 1)))
		return;
	char *p = touch_memory(b->mib);
	if (!p) {
		failed = 1;
		return;
	}
	for (int i = 0; i < rounds; i++) {
		int fd[2];
		char c;
		if (pipe(fd) < 0)
			break;
		meminfo_kb("MemFree");	/* make our own buffers present first */
		long before = meminfo_kb("MemFree");
		pid_t pid = fork();
		if (pid == 0) {
			close(fd[1]);
			_exit(read(fd[0], &c, 1) < 0);
		}
		long after = meminfo_kb("MemFree");
		close(fd[0]);
		close(fd[1]);
		if (wait_child(pid) == -1 || before < 0 || after < 0) {
			failed = 1;
			break;
		}
		v[n++] = (double)(before - after) / 4;	/* kB -> 4 KiB pages */
	}
	munmap(p, len);
	report(b->name, b->unit, v, n);
}

static const struct bench benches[] = {
	{ "fork_exit_wait_0MiB", "us", fork_exit_wait, 0, 200, 1 },
	{ "fork_exit_wait_1MiB", "us", fork_exit_wait, 1, 100, 1 },
	{ "fork_exit_wait_16MiB", "us", fork_exit_wait, 16, 30, 1 },
	{ "fork_exit_wait_64MiB", "us", fork_exit_wait, 64, 10, 0 },
	{ "fork_exit_wait_256MiB", "us", fork_exit_wait, 256, 5, 0 },
	{ "fork_exec_wait", "us", fork_exec_wait, 0, 50, 1 },
	{ "cow_fault_per_page", "ns", cow_fault_per_page, 64, 5, 1 },
	{ "zero_read_fault_per_page", "ns", zero_read, 64, 5, 1 },
	{ "write_after_zero_read_per_page", "ns", write_after_zero_read, 64, 5, 1 },
	{ "first_write_fault_per_page", "ns", first_write, 64, 5, 1 },
	{ "fork_page_table_pages_256MiB", "pages", fork_frames, 256, 3, 0 },
	{ "fork_frames_64MiB", "pages", fork_frames, 64, 3, 1 },
};

#define NBENCH (sizeof benches / sizeof benches[0])

/* ---- main ------------------------------------------------------------- */

static int wanted(const struct bench *b, int argc, char **argv, int first)
{
	if (first == argc)
		return !quick || b->in_quick;
	for (int i = first; i < argc; i++)
		if (!strcmp(argv[i], b->name))
			return 1;
	return 0;
}

static void run_mode(int eager, int argc, char **argv, int first)
{
	for (size_t i = 0; i < NBENCH; i++) {
		if (wanted(&benches[i], argc, argv, first))
			benches[i].run(&benches[i], eager);
		else if (first == argc)
			say("# skip %s: not in quick mode\n", benches[i].name);
	}
}

int main(int argc, char **argv)
{
	int first = 1, one_mode = 0;

	for (; first < argc && argv[first][0] == '-'; first++) {
		if (!strcmp(argv[first], "-q"))
			quick = 1;
		else if (!strcmp(argv[first], "-1"))
			one_mode = 1;
		else {
			say("usage: bench [-q] [-1] [NAME...]\n");
			return 2;
		}
	}
	for (int i = first; i < argc; i++) {
		size_t k = 0;
		while (k < NBENCH && strcmp(benches[k].name, argv[i]))
			k++;
		if (k == NBENCH) {
			say("# bench: unknown measurement %s\n", argv[i]);
			return 2;
		}
	}

	long total = meminfo_kb("MemTotal"), initial = sysctl_cow_fork();
	double t0 = now_ns();
	say("# bench%s: MemTotal %ld MiB\n", quick ? " -q" : "", total / 1024);
	if (running_on_linux() || initial < 0 || one_mode) {
		if (running_on_linux())
			say("# mode linux\n");
		else
			say("# mode cow_fork=%ld\n", initial);
		run_mode(initial == 0, argc, argv, first);
	} else {
		for (int eager = 0; eager <= 1; eager++) {
			if (set_cow_fork(!eager) < 0 || sysctl_cow_fork() != !eager) {
				say("# bench: cannot set /proc/sys/vm/cow_fork to %d\n", !eager);
				failed = 1;
				continue;
			}
			say("# mode cow_fork=%d\n", !eager);
			run_mode(eager, argc, argv, first);
		}
		set_cow_fork(initial);
	}
	say("# bench: done in %.1f s\n", (now_ns() - t0) / 1e9);
	return failed;
}
