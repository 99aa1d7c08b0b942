/*
 * bench - what copy-on-write and same-page merging cost and buy: process
 * creation, page faults and merging, in one run in each of the three fork
 * modes of this kernel: copy-on-write with shared page tables (cow_fork=1,
 * share_page_tables=1, the default), copy-on-write (cow_fork=1,
 * share_page_tables=0) and the eager copy (cow_fork=0).  Only Linux
 * interfaces are used, so the same binary runs on Linux (also as the /init
 * of an initramfs: scripts/bench-linux).  Each measurement prints one line
 *
 *     bench NAME VALUE UNIT
 *
 * with VALUE the median of the rounds, followed by a comment line
 * "# NAME min MIN max MAX rounds N".  Before each mode's lines:
 * "# mode cow_fork=1 share_page_tables=1", "# mode cow_fork=1
 * share_page_tables=0" or "# mode cow_fork=0".  Linux has one fork mode
 * and two page sizes: "# mode linux" (as shipped: transparent huge pages
 * give large anonymous mappings 2 MiB pages), then "# mode linux
 * nohugepage" (madvise(MADV_NOHUGEPAGE) on every buffer: 4 KiB pages).
 *
 *   fork_exit_wait_{0,1,16,64,256}MiB  us: fork, the child _exits, the parent
 *                                  waits; that much memory written before,
 *                                  then 1 s of untimed forks (settle_forks;
 *                                  -q: one)
 *   fork_exec_wait                 us: fork, the child execs /bin/true, wait
 *   cow_fault_per_page             ns per page: a child writing every page of
 *                                  64 MiB its parent wrote before the fork
 *   cow_fault_shared_table_per_table  ns per 2 MiB: the same child writing
 *                                  one page in each 2 MiB of it, the first
 *                                  write under each page table; with shared
 *                                  tables it copies the table, then the page
 *   zero_read_fault_per_page       ns per page: first read of untouched memory
 *   write_after_zero_read_per_page ns per page: first write after that read
 *   first_write_fault_per_page     ns per page: first write of untouched memory
 *   fork_page_table_pages_256MiB   pages the fork of a process with 256 MiB
 *                                  written allocates (MemFree before and
 *                                  after, the child alive and blocked)
 *   fork_frames_64MiB              the same for 64 MiB (fits in every guest)
 *                                  (on Linux both count the child's page
 *                                  tables, VmPTE: MemFree misses the pages
 *                                  on its per-CPU lists)
 *   ksm_merge_rate                 MiB/s: 64 MiB of 4 distinct page contents,
 *                                  from madvise(MADV_MERGEABLE) until
 *                                  pages_shared + pages_sharing cover it
 *   ksm_unshare_fault_per_page     ns per first write to a merged page
 *   ksm_scan_ns_per_page           ns per page visit of the merging scanner,
 *                                  64 MiB of pages that never merge
 *   region_mmap_per_mapping        ns per mmap while 40,000 one-page mappings
 *                                  (alternating protections: no region can
 *                                  merge, on Linux either) are made
 *   region_mprotect_40000          us: one mprotect across those 40,000
 *   region_maps_read_40000         us: reading /proc/self/maps of them
 *   cow_fault_per_page_{1,2,4}threads  ns per page of wall time: a forked
 *                                  child keeps 64 MiB shared, the parent's N
 *                                  threads write their own parts of it at once
 *   fork_exit_wait_64MiB_3threads_running  us: fork_exit_wait_64MiB while
 *                                  three other threads of the parent spin
 *                                  writing their own pages (on other CPUs)
 *   tlb_shootdowns_per_fork        /proc/vmstat nr_tlb_remote_flush per fork of
 *                                  a process with 16 MiB written whose three
 *                                  other threads spin on other CPUs (0 with
 *                                  one CPU; this kernel without the counter
 *                                  is a failure; a Linux built without
 *                                  CONFIG_DEBUG_TLBFLUSH, as Debian's is,
 *                                  has none: "# skip")
 *
 * The thread measurements need clone (pthread_create); they are meant for
 * several CPUs (SMP=2 or 4 for scripts/bench; at one CPU the threads take
 * turns).  The ksm_, region_, cow_fault_per_page_Nthreads and tlb_
 * measurements do not depend on the fork mode: they run once, in the first
 * mode (on Linux: as shipped).  The ksm_ ones run
 * at pages_to_scan=100000 and sleep_millisecs=0; everything merged is
 * unmerged (run=2) before and after, and the controls are put back.
 * A measurement whose memory does not fit in MemFree (twice the size for the
 * eager fork) prints "# skip NAME: ..." instead: give the guest 1 GiB for the
 * 256 MiB ones (scripts/bench does).
 *
 *     bench [-q] [-1] [-n] [NAME...]
 *
 * -q  quick: few rounds, 16 MiB for the per-page and merging measurements,
 *     no 64 and 256 MiB forks (a regression check: scripts/bench --check);
 * -1  the current mode only (do not touch /proc/sys/vm/cow_fork and
 *     share_page_tables; on Linux, one run as shipped, or with -n);
 * -n  madvise(MADV_NOHUGEPAGE) on every buffer (Linux: 4 KiB pages; this
 *     kernel has no others);
 * NAME... just these measurements.
 * cow_fork and share_page_tables are put back to what they were at the end.
 * A control that cannot be set (a kernel without share_page_tables) is
 * said ("# bench: cannot set ...") and its mode is not measured: exit
 * status 1.  Exit status 0, or 1 when
 * something could not be measured (a fork failed...).  As process 1 on
 * Linux, bench mounts /proc and /sys first and powers the machine off at the
 * end ("# bench: exit status N" tells the status).
 * Env: BIN, directory holding "true" for fork_exec_wait (default /bin).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ulib.h"

#define MiB (1024L * 1024)
#define PAGE 4096L
#define MAX_ROUNDS 256

static int quick, failed;
static int nohuge;		/* -n, or Linux's second run: madvise(MADV_NOHUGEPAGE) */

/* ---- helpers ---------------------------------------------------------- */

#define COW_FORK "/proc/sys/vm/cow_fork"
#define SHARE_PAGE_TABLES "/proc/sys/vm/share_page_tables"

/* The number in a control file (/proc/sys/vm/...); -1 when there is none. */
static long read_knob(const char *path)
{
	char buf[16];

	return read_file(path, buf, sizeof buf) > 0 ? strtol(buf, NULL, 10) : -1;
}

/* Write a number to a control file (/proc/sys/..., /sys/...); 0 or -1. */
static int write_number(const char *path, long value)
{
	char buf[32];

	snprintf(buf, sizeof buf, "%ld\n", value);
	return write_file(path, buf);
}

/* Map len bytes of private memory (not touched). */
static char *map(long len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		say("# bench: mmap %ld MiB: %s\n", len / MiB, strerror(errno));
		return NULL;
	}
	if (nohuge)
		madvise(p, len, MADV_NOHUGEPAGE);	/* Linux: 4 KiB pages */
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

/* ---- the table of measurements ----------------------------------------- */

struct bench {
	const char *name, *unit;
	void (*run)(const struct bench *b);
	long mib;		/* memory size the measurement uses */
	int rounds;		/* rounds in a normal run */
	int flags;
};

#define QUICK	1	/* run with -q too */
#define ONCE	2	/* independent of the fork mode: in the first mode only */

static int eager;		/* the mode being measured: cow_fork=0 */
static int later_mode;		/* not the first mode: no ONCE measurements */

static int rounds_of(const struct bench *b)
{
	return quick ? (b->rounds > 3 ? 3 : b->rounds) : b->rounds;
}

/* Bytes for the per-page and merging measurements. */
static long size_of(const struct bench *b)
{
	return (quick ? 16 : b->mib) * MiB;
}

/* ---- fork and exec ----------------------------------------------------- */

/* fork, the child _exits at once, the parent waits: the wait status or -1. */
static int fork_exit_wait_once(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	return wait_child(pid);
}

/* Fork and reap, untimed, for SETTLE_NS (quick: once only): the forks of a
 * process that has just written much memory are slower for a while under
 * QEMU's TCG, on this kernel and on Linux alike, for a reason outside the
 * page tables (docs/cow.md section 10: we believe it is QEMU's software
 * TLB, which grows with what the guest touches and costs more to empty at
 * every CR3 load until it shrinks again).  0, or -1 when a fork failed. */
#define SETTLE_NS 1000e6
static int settle_forks(void)
{
	double until = now_ns() + (quick ? 0 : SETTLE_NS);

	do {
		if (fork_exit_wait_once() == -1)
			return -1;
	} while (now_ns() < until);
	return 0;
}

/* fork, the child _exits at once, the parent waits. */
static void fork_exit_wait(const struct bench *b)
{
	double v[MAX_ROUNDS];
	int rounds = rounds_of(b), n = 0;

	if (!fits(b->name, b->mib * MiB * (eager ? 2 : 1)))
		return;
	char *memory = touch_memory(b->mib);
	if (b->mib && !memory) {
		failed = 1;
		return;
	}
	bool ok = settle_forks() == 0;
	for (int i = 0; i < rounds && ok; i++) {
		double start = now_ns();
		ok = fork_exit_wait_once() != -1;
		if (ok)
			v[n++] = (now_ns() - start) / 1e3;
	}
	if (!ok)
		failed = 1;
	if (memory)
		munmap(memory, b->mib * MiB);
	report(b->name, b->unit, v, n);
}

/* fork, the child execs /bin/true, the parent waits. */
static void fork_exec_wait(const struct bench *b)
{
	const char *bin = getenv("BIN") ? getenv("BIN") : "/bin";
	char path[256];
	char *argv[] = { "true", NULL }, *envp[] = { NULL };
	double v[MAX_ROUNDS];
	int rounds = rounds_of(b), n = 0;

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

/* A "Name:   N kB" field of /proc/PID/status, in kB; -1 if missing. */
static long status_kb(pid_t pid, const char *field)
{
	char path[64], buf[4096], *at;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if (read_file(path, buf, sizeof buf) <= 0 || !(at = strstr(buf, field)))
		return -1;
	return strtol(at + strlen(field) + 1, NULL, 10);
}

/* kB the fork that made child allocated, MemFree being free_before just
 * before it.  Linux keeps freed pages on per-CPU lists that MemFree does
 * not count, so there the child's page tables (VmPTE) stand for it. */
static long fork_cost_kb(pid_t child, long free_before)
{
	if (running_on_linux())
		return status_kb(child, "VmPTE:");
	long free_after = meminfo_kb("MemFree");
	return free_before < 0 || free_after < 0 ? -1 : free_before - free_after;
}

/* Frames the fork itself allocates, measured in the parent while the child
 * is alive (blocked reading a pipe). */
static void fork_frames(const struct bench *b)
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
	if (running_on_linux())
		say("# %s: Linux: the child's VmPTE, not MemFree\n", b->name);
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
		long kb = pid > 0 ? fork_cost_kb(pid, before) : -1;
		close(fd[0]);
		close(fd[1]);
		if (wait_child(pid) == -1 || kb < 0) {
			failed = 1;
			break;
		}
		v[n++] = kb / 4.0;	/* kB -> 4 KiB pages */
	}
	munmap(p, len);
	report(b->name, b->unit, v, n);
}

/* ---- page faults ------------------------------------------------------- */

#define TABLE_SPAN (2 * MiB)	/* what one last-level page table maps */

/* One round: a forked child writes one byte in every STRIDE bytes of the
 * LEN at P; the child's ns per write, or -1. */
static double child_write_round(char *p, long len, long stride)
{
	int fd[2];
	double ns = 0;

	if (pipe(fd) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		double start = now_ns();
		for (long off = 0; off < len; off += stride)
			p[off] = 2;
		double t = now_ns() - start;
		_exit(write(fd[1], &t, sizeof t) == sizeof t ? 0 : 1);
	}
	close(fd[1]);
	int got = pid > 0 && read(fd[0], &ns, sizeof ns) == sizeof ns;
	close(fd[0]);
	wait_child(pid);
	return got ? ns / (len / stride) : -1;
}

/* A child writes one byte in every STRIDE bytes of memory its parent wrote
 * before the fork.  The memory starts on a 2 MiB boundary (one more 2 MiB
 * is mapped and written to find one), so that each 2 MiB of it is one
 * whole page table, shared by the fork when the kernel shares tables. */
static void cow_child_writes(const struct bench *b, long stride)
{
	long len = size_of(b), mapped = len + TABLE_SPAN;
	double v[MAX_ROUNDS];
	int rounds = rounds_of(b), n = 0;

	if (!fits(b->name, 2 * mapped))	/* either mode: the memory and the child's copy */
		return;
	char *memory = touch_memory(mapped / MiB);
	if (!memory) {
		failed = 1;
		return;
	}
	char *p = (char *)(((uintptr_t)memory + TABLE_SPAN - 1) & ~(uintptr_t)(TABLE_SPAN - 1));
	for (int i = 0; i < rounds; i++) {
		double ns = child_write_round(p, len, stride);
		if (ns < 0) {
			failed = 1;
			break;
		}
		v[n++] = ns;
	}
	munmap(memory, mapped);
	report(b->name, b->unit, v, n);
}

/* A child writes every page its parent wrote before the fork. */
static void cow_fault_per_page(const struct bench *b)
{
	cow_child_writes(b, PAGE);
}

/* ... one page in each 2 MiB: the first write under each page table. */
static void cow_fault_shared_table(const struct bench *b)
{
	cow_child_writes(b, TABLE_SPAN);
}

enum touch { READ_ONLY, READ_THEN_WRITE, WRITE_ONLY };

/* Fresh memory: read every page, then (READ_THEN_WRITE) time the writes to
 * every page after it; or (WRITE_ONLY) time writes without reading first. */
static void fault_per_page(const struct bench *b, enum touch what)
{
	long len = size_of(b), pages = len / PAGE;
	double v[MAX_ROUNDS];
	int rounds = rounds_of(b), n = 0;

	if (!fits(b->name, len))
		return;
	for (int i = 0; i < rounds; i++) {
		volatile char *p = map(len);
		if (!p) {
			failed = 1;
			break;
		}
		double start = now_ns(), t = 0;
		if (what != WRITE_ONLY) {
			unsigned sum = 0;
			for (long off = 0; off < len; off += PAGE)
				sum += p[off];
			t = now_ns() - start;
			if (sum)
				say("# bench: %s: fresh memory is not zero\n", b->name);
			start = now_ns();
		}
		if (what != READ_ONLY) {
			for (long off = 0; off < len; off += PAGE)
				p[off] = 1;
			t = now_ns() - start;
		}
		munmap((void *)p, len);
		v[n++] = t / pages;
	}
	report(b->name, b->unit, v, n);
}

static void zero_read(const struct bench *b)
{
	fault_per_page(b, READ_ONLY);
}

static void write_after_zero_read(const struct bench *b)
{
	fault_per_page(b, READ_THEN_WRITE);
}

static void first_write(const struct bench *b)
{
	fault_per_page(b, WRITE_ONLY);
}

/* ---- threads: copy-on-write while the address space runs on several CPUs -- */

#define MAX_THREADS 4

/* Workers that wait together, then each run job(part) on their own part. */
static struct {
	atomic_int ready, go, stop;
	char *memory;
	long part;		/* bytes per worker */
} crew;

static void *write_part(void *arg)
{
	char *p = crew.memory + (long)(uintptr_t)arg * crew.part;

	atomic_fetch_add(&crew.ready, 1);
	while (!atomic_load(&crew.go))
		;
	for (long off = 0; off < crew.part; off += PAGE)
		p[off] = 3;
	return NULL;
}

/* Spin writing one's own page until told to stop: a thread that keeps its
 * CPU busy in this address space. */
static void *spin_on_own_page(void *arg)
{
	volatile long *counter = (volatile long *)(crew.memory + (long)(uintptr_t)arg * PAGE);

	atomic_fetch_add(&crew.ready, 1);
	while (!atomic_load_explicit(&crew.stop, memory_order_relaxed))
		(*counter)++;
	return NULL;
}

/* Start n threads running fn(i) and wait until each has started; the number
 * started (fewer: pthread_create failed, said on the console). */
static int start_crew(pthread_t *t, int n, void *(*fn)(void *), const char *name)
{
	int i;

	atomic_store(&crew.ready, 0);
	atomic_store(&crew.go, 0);
	atomic_store(&crew.stop, 0);
	for (i = 0; i < n; i++) {
		int err = pthread_create(&t[i], NULL, fn, (void *)(uintptr_t)i);
		if (err) {
			say("# bench: %s: pthread_create: %s\n", name, strerror(err));
			failed = 1;
			break;
		}
	}
	while (atomic_load(&crew.ready) < i)
		sched_yield();
	return i;
}

static void stop_crew(pthread_t *t, int n)
{
	atomic_store(&crew.stop, 1);
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
}

/* One round: a forked child keeps the len bytes at p shared (blocked on a
 * pipe) while the parent's threads write their parts of it at once; ns per
 * page of wall time, or -1. */
static double cow_threads_round(char *p, long len, int threads, const char *name)
{
	pthread_t t[MAX_THREADS];
	int fd[2];
	char c;

	if (pipe(fd) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		close(fd[1]);
		_exit(read(fd[0], &c, 1) < 0);
	}
	crew.memory = p;
	crew.part = len / threads;
	int started = start_crew(t, threads, write_part, name);
	double start = now_ns();
	atomic_store(&crew.go, 1);
	stop_crew(t, started);
	double ns = now_ns() - start;
	close(fd[0]);
	close(fd[1]);
	wait_child(pid);
	return pid > 0 && started == threads ? ns / (len / PAGE) : -1;
}

/* cow_fault_per_page_Nthreads: N taken from the name's digit. */
static void cow_fault_threads(const struct bench *b)
{
	int threads = b->name[strlen("cow_fault_per_page_")] - '0';
	long len = size_of(b);
	double v[MAX_ROUNDS];
	int rounds = rounds_of(b), n = 0;

	if (!fits(b->name, 2 * len))
		return;
	char *p = touch_memory(len / MiB);
	if (!p) {
		failed = 1;
		return;
	}
	for (int i = 0; i < rounds; i++) {
		double ns = cow_threads_round(p, len, threads, b->name);
		if (ns < 0) {
			failed = 1;
			break;
		}
		v[n++] = ns;
	}
	munmap(p, len);
	report(b->name, b->unit, v, n);
}

/* b->mib MiB written, then three threads T spinning on their own pages of
 * it: the memory, with the threads started in *STARTED (3 when all are), or
 * NULL (failed set).  crew_end undoes it. */
static char *crew_begin(const struct bench *b, pthread_t t[3], int *started)
{
	char *memory = touch_memory(b->mib);

	*started = 0;
	if (!memory) {
		failed = 1;
		return NULL;
	}
	crew.memory = memory;
	*started = start_crew(t, 3, spin_on_own_page, b->name);
	return memory;
}

static void crew_end(const struct bench *b, pthread_t t[3], int started, char *memory)
{
	stop_crew(t, started);
	munmap(memory, b->mib * MiB);
}

/* fork, _exit and wait while three other threads of the parent spin on
 * their own pages (the memory written before: b->mib). */
static void fork_exit_wait_threads(const struct bench *b)
{
	pthread_t t[3];
	double v[MAX_ROUNDS];
	int rounds = rounds_of(b), n = 0;

	if (!fits(b->name, b->mib * MiB * (eager ? 2 : 1)))
		return;
	int started;
	char *memory = crew_begin(b, t, &started);
	if (!memory)
		return;
	for (int i = 0; started == 3 && i <= rounds; i++) {
		double start = now_ns();
		if (fork_exit_wait_once() == -1) {
			failed = 1;
			break;
		}
		if (i > 0)
			v[n++] = (now_ns() - start) / 1e3;
	}
	crew_end(b, t, started, memory);
	report(b->name, b->unit, v, n);
}

/* Remote TLB flushes (Linux's nr_tlb_remote_flush) per fork of a process
 * with b->mib MiB written whose three other threads spin on other CPUs. */
static void tlb_shootdowns(const struct bench *b)
{
	pthread_t t[3];
	int forks = quick ? 20 : b->rounds;

	if (vmstat_get("nr_tlb_remote_flush") < 0) {
		if (running_on_linux()) {
			say("# skip %s: /proc/vmstat has no nr_tlb_remote_flush (a Linux built "
			    "without CONFIG_DEBUG_TLBFLUSH)\n", b->name);
			return;
		}
		say("# bench: %s: /proc/vmstat has no nr_tlb_remote_flush\n", b->name);
		failed = 1;
		return;
	}
	int started;
	char *memory = crew_begin(b, t, &started);
	if (!memory)
		return;
	long before = vmstat_get("nr_tlb_remote_flush");
	int done = 0;
	while (started == 3 && done < forks && fork_exit_wait_once() != -1)
		done++;
	long after = vmstat_get("nr_tlb_remote_flush");
	crew_end(b, t, started, memory);
	if (done < forks) {
		failed = 1;
		return;
	}
	double v[1] = { (double)(after - before) / forks };
	report(b->name, b->unit, v, 1);
}

/* ---- same-page merging (/sys/kernel/mm/ksm) ---------------------------- */

#define KSM_TIMEOUT_S 300.0

static const char *const ksm_knobs[] = { "run", "pages_to_scan", "sleep_millisecs" };

#define NKNOBS (sizeof ksm_knobs / sizeof ksm_knobs[0])

static void ksm_set(const char *name, long value)
{
	char path[128];

	snprintf(path, sizeof path, KSM_DIR "%s", name);
	if (write_number(path, value) < 0) {
		say("# bench: %s = %ld: %s\n", path, value, strerror(errno));
		failed = 1;
	}
}

static long ksm_merged(void)
{
	return ksm_get("pages_shared") + ksm_get("pages_sharing");
}

static long ksm_full_scans(void)
{
	return ksm_get("full_scans");
}

/* Unmerge everything and start again with nothing merged. */
static void ksm_restart(void)
{
	ksm_set("run", 2);
	ksm_set("run", 1);
}

/* Save the controls in saved[] and make the scanner run flat out;
 * 0, or -1 when this kernel has no merging. */
static int ksm_begin(const struct bench *b, long saved[NKNOBS])
{
	for (size_t i = 0; i < NKNOBS; i++)
		saved[i] = ksm_get(ksm_knobs[i]);
	if (saved[0] < 0) {
		say("# skip %s: no " KSM_DIR "\n", b->name);
		return -1;
	}
	ksm_set("run", 2);
	ksm_set("pages_to_scan", 100000);
	ksm_set("sleep_millisecs", 0);
	ksm_set("run", 1);
	return 0;
}

static void ksm_end(const long saved[NKNOBS])
{
	ksm_set("run", 2);
	for (size_t i = NKNOBS; i-- > 0;)
		ksm_set(ksm_knobs[i], saved[i]);
}

/* Poll until count() reaches n; seconds since t0, or -1 after the timeout. */
static double ksm_wait(long (*count)(void), long n, double t0)
{
	while (count() < n) {
		if (now_s() - t0 > KSM_TIMEOUT_S) {
			say("# bench: merging: still below %ld after %.0f s\n", n, KSM_TIMEOUT_S);
			return -1;
		}
		sleep_ms(2);
	}
	return now_s() - t0;
}

/* Map and fill len bytes: page i holds content i % kinds, or (kinds 0)
 * every page its own content. */
static char *filled(long len, long kinds)
{
	char *p = map(len);

	for (long i = 0; p && i < len / PAGE; i++) {
		unsigned long *w = (unsigned long *)(p + i * PAGE);
		unsigned long k = kinds ? (unsigned long)(i % kinds) : (unsigned long)i;
		for (size_t j = 0; j < PAGE / sizeof *w; j++)
			w[j] = (k + 1) * 0x9e3779b97f4a7c15UL + j;
	}
	return p;
}

/* Map len bytes of 4 page contents and have them all merged; the seconds
 * it took from madvise, or -1 (then nothing stays mapped). */
static double merge_area(char **area, long len)
{
	long base = ksm_merged();
	char *p = filled(len, 4);

	if (!p)
		return -1;
	double t0 = now_s();
	madvise(p, len, MADV_MERGEABLE);
	double s = ksm_wait(ksm_merged, base + len / PAGE, t0);
	if (s < 0)
		munmap(p, len);
	*area = s < 0 ? NULL : p;
	return s;
}

/* One round of each: a sample, or -1 when it could not be measured. */
static double merge_rate_round(long len)
{
	char *p;
	double s = merge_area(&p, len);

	if (s <= 0)
		return -1;
	munmap(p, len);
	return len / MiB / s;
}

static double unshare_round(long len)
{
	char *p;

	if (merge_area(&p, len) < 0)
		return -1;
	ksm_set("run", 0);	/* nothing merges them again while we write */
	double t0 = now_ns();
	for (long off = 0; off < len; off += PAGE)
		p[off] ^= 1;
	double ns = (now_ns() - t0) / (len / PAGE);
	munmap(p, len);
	return ns;
}

/* Two full scans over pages that never merge, counted from the first scan
 * that started after madvise. */
static double scan_round(long len)
{
	char *p = filled(len, 0);

	if (!p)
		return -1;
	double t0 = now_s();
	madvise(p, len, MADV_MERGEABLE);
	long scans = ksm_full_scans();
	double t1 = -1, t3 = -1;
	if (ksm_wait(ksm_full_scans, scans + 1, t0) >= 0) {
		t1 = now_s();
		t3 = ksm_wait(ksm_full_scans, scans + 3, t0) < 0 ? -1 : now_s();
	}
	munmap(p, len);
	return t3 < 0 ? -1 : (t3 - t1) * 1e9 / (2.0 * (len / PAGE));
}

static void ksm_rounds(const struct bench *b, double (*round)(long len))
{
	long len = size_of(b), saved[NKNOBS];
	double v[MAX_ROUNDS];
	int rounds = rounds_of(b), n = 0;

	if (!fits(b->name, len) || ksm_begin(b, saved) < 0)
		return;
	for (int i = 0; i < rounds; i++) {
		double sample = round(len);
		ksm_restart();
		if (sample < 0) {
			failed = 1;
			break;
		}
		v[n++] = sample;
	}
	ksm_end(saved);
	report(b->name, b->unit, v, n);
}

static void ksm_merge_rate(const struct bench *b)
{
	ksm_rounds(b, merge_rate_round);
}

static void ksm_unshare_fault(const struct bench *b)
{
	ksm_rounds(b, unshare_round);
}

static void ksm_scan_cost(const struct bench *b)
{
	ksm_rounds(b, scan_round);
}

/* ---- many regions ------------------------------------------------------ */

#define REGIONS 40000

/* One round: make REGIONS one-page mappings, re-protect and read them.
 * Fills T[0..2] (ns per mmap, us for mprotect, us for the maps read). */
static int region_round(double t[3])
{
	char *base = mmap(NULL, REGIONS * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char buf[4096];

	if (base == MAP_FAILED)
		return -1;
	double t0 = now_ns();
	for (long i = 1; i < REGIONS; i += 2)
		if (mmap(base + i * PAGE, PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
			return -1;
	double t1 = now_ns();
	int err = mprotect(base, REGIONS * PAGE, PROT_READ | PROT_WRITE);
	double t2 = now_ns();
	int fd = open("/proc/self/maps", O_RDONLY);
	while (fd >= 0 && read(fd, buf, sizeof buf) > 0)
		;
	double t3 = now_ns();
	close(fd);
	munmap(base, REGIONS * PAGE);
	t[0] = (t1 - t0) / (REGIONS / 2);
	t[1] = (t2 - t1) / 1000;
	t[2] = (t3 - t2) / 1000;
	return err || fd < 0 ? -1 : 0;
}

/* The three region measurements come from the same rounds: the first one
 * in the table runs them and prints all three. */
static void regions(const struct bench *b)
{
	double v[3][MAX_ROUNDS];
	int n = 0;

	for (int i = 0; i < rounds_of(b); i++) {
		double t[3];
		if (region_round(t) < 0) {
			say("# bench: %s: %s\n", b->name, strerror(errno));
			failed = 1;
			return;
		}
		for (int k = 0; k < 3; k++)
			v[k][n] = t[k];
		n++;
	}
	report("region_mmap_per_mapping", "ns", v[0], n);
	report("region_mprotect_40000", "us", v[1], n);
	report("region_maps_read_40000", "us", v[2], n);
}

static const struct bench benches[] = {
	{ "fork_exit_wait_0MiB", "us", fork_exit_wait, 0, 201, QUICK },
	{ "fork_exit_wait_1MiB", "us", fork_exit_wait, 1, 101, QUICK },
	{ "fork_exit_wait_16MiB", "us", fork_exit_wait, 16, 31, QUICK },
	{ "fork_exit_wait_64MiB", "us", fork_exit_wait, 64, 15, 0 },
	{ "fork_exit_wait_256MiB", "us", fork_exit_wait, 256, 31, 0 },
	{ "fork_exec_wait", "us", fork_exec_wait, 0, 101, QUICK },
	{ "cow_fault_per_page", "ns", cow_fault_per_page, 64, 9, QUICK },
	{ "cow_fault_shared_table_per_table", "ns", cow_fault_shared_table, 64, 9, QUICK },
	{ "zero_read_fault_per_page", "ns", zero_read, 64, 9, QUICK },
	{ "write_after_zero_read_per_page", "ns", write_after_zero_read, 64, 9, QUICK },
	{ "first_write_fault_per_page", "ns", first_write, 64, 9, QUICK },
	{ "fork_page_table_pages_256MiB", "pages", fork_frames, 256, 3, 0 },
	{ "fork_frames_64MiB", "pages", fork_frames, 64, 3, QUICK },
	{ "cow_fault_per_page_1threads", "ns", cow_fault_threads, 64, 9, QUICK | ONCE },
	{ "cow_fault_per_page_2threads", "ns", cow_fault_threads, 64, 9, QUICK | ONCE },
	{ "cow_fault_per_page_4threads", "ns", cow_fault_threads, 64, 9, QUICK | ONCE },
	{ "fork_exit_wait_64MiB_3threads_running", "us", fork_exit_wait_threads, 64, 15, QUICK },
	{ "tlb_shootdowns_per_fork", "flushes", tlb_shootdowns, 16, 100, QUICK | ONCE },
	{ "ksm_merge_rate", "MiB/s", ksm_merge_rate, 64, 5, QUICK | ONCE },
	{ "ksm_unshare_fault_per_page", "ns", ksm_unshare_fault, 64, 5, QUICK | ONCE },
	{ "ksm_scan_ns_per_page", "ns", ksm_scan_cost, 64, 5, QUICK | ONCE },
	{ "region_mmap_per_mapping", "ns", regions, 0, 5, QUICK | ONCE },
};

#define NBENCH (sizeof benches / sizeof benches[0])

/* ---- running as Linux's /init ------------------------------------------ */

/* The first process of a Linux initramfs finds nothing mounted.  (This
 * kernel always has /proc and /sys: no mount there.) */
static void mount_pseudo_files(void)
{
	if (access("/proc/meminfo", R_OK) != 0 && mount("proc", "/proc", "proc", 0, NULL) < 0)
		say("# bench: mount /proc: %s\n", strerror(errno));
	if (access("/sys/kernel", F_OK) != 0 && mount("sysfs", "/sys", "sysfs", 0, NULL) < 0)
		say("# bench: mount /sys: %s\n", strerror(errno));
}

/* Linux panics when process 1 exits: say the status and power off. */
static void power_off(int status)
{
	say("# bench: exit status %d\n", status);
	sync();
	if (reboot(RB_POWER_OFF) < 0)
		say("# bench: reboot: %s\n", strerror(errno));
}

/* ---- main ------------------------------------------------------------- */

static int wanted(const struct bench *b, int argc, char **argv, int first)
{
	if (first == argc)
		return !quick || (b->flags & QUICK);
	for (int i = first; i < argc; i++)
		if (!strcmp(argv[i], b->name))
			return 1;
	return 0;
}

static void run_mode(int argc, char **argv, int first)
{
	for (size_t i = 0; i < NBENCH; i++) {
		const struct bench *b = &benches[i];
		if (!wanted(b, argc, argv, first)) {
			if (first == argc)
				say("# skip %s: not in quick mode\n", b->name);
		} else if (later_mode && (b->flags & ONCE)) {
			say("# skip %s: measured in the first mode only\n", b->name);
		} else {
			b->run(b);
		}
	}
}

/* Set a control file to VALUE and read it back; false (said on the
 * console, and the run fails) when that is not possible, e.g. a kernel
 * without share_page_tables. */
static bool set_knob(const char *path, long value)
{
	if (write_number(path, value) == 0 && read_knob(path) == value)
		return true;
	say("# bench: cannot set %s to %ld: %s\n", path, value,
	    access(path, F_OK) ? "the file is missing" : "it does not take the value");
	failed = 1;
	return false;
}

/* This kernel's three fork modes, in the order measured. */
static const struct fork_mode {
	int cow_fork, share_page_tables;	/* -1: not set (no meaning with cow_fork=0) */
} fork_modes[] = { { 1, 1 }, { 1, 0 }, { 0, -1 } };

#define NMODES (sizeof fork_modes / sizeof fork_modes[0])

/* Say which mode the lines that follow belong to. */
static void say_mode(long cow_fork, long share)
{
	if (cow_fork != 0 && share >= 0)
		say("# mode cow_fork=%ld share_page_tables=%ld\n", cow_fork, share);
	else
		say("# mode cow_fork=%ld\n", cow_fork);
}

/* Every mode of this kernel in turn, the controls put back at the end. */
static void run_fork_modes(int argc, char **argv, int first)
{
	long cow_fork = read_knob(COW_FORK), share = read_knob(SHARE_PAGE_TABLES);

	for (size_t i = 0; i < NMODES; i++) {
		const struct fork_mode *m = &fork_modes[i];
		if (!set_knob(COW_FORK, m->cow_fork) ||
		    (m->share_page_tables >= 0 && !set_knob(SHARE_PAGE_TABLES, m->share_page_tables)))
			continue;
		eager = m->cow_fork == 0;
		say_mode(m->cow_fork, m->share_page_tables);
		run_mode(argc, argv, first);
		later_mode = 1;
	}
	write_number(COW_FORK, cow_fork);
	if (share >= 0)
		write_number(SHARE_PAGE_TABLES, share);
}

/* Linux: as shipped, then with MADV_NOHUGEPAGE (-n: that one only). */
static void run_linux(int argc, char **argv, int first, int one_mode)
{
	for (int pass = nohuge; pass <= (one_mode ? nohuge : 1); pass++) {
		nohuge = pass;
		say("# mode linux%s\n", nohuge ? " nohugepage" : "");
		run_mode(argc, argv, first);
		later_mode = 1;
	}
}

/* Every mode, one after the other, unless ONE_MODE or the controls are
 * missing: then the current one. */
static void run_modes(int argc, char **argv, int first, int one_mode)
{
	long cow_fork = read_knob(COW_FORK);

	if (running_on_linux()) {
		run_linux(argc, argv, first, one_mode);
	} else if (cow_fork < 0 || one_mode) {
		say_mode(cow_fork, read_knob(SHARE_PAGE_TABLES));
		eager = cow_fork == 0;
		run_mode(argc, argv, first);
	} else {
		run_fork_modes(argc, argv, first);
	}
}

/* Options and names; the index of the first name, or -1 after a usage error. */
static int parse_args(int argc, char **argv, int *one_mode)
{
	int first = 1;

	for (; first < argc && argv[first][0] == '-'; first++) {
		if (!strcmp(argv[first], "-q"))
			quick = 1;
		else if (!strcmp(argv[first], "-1"))
			*one_mode = 1;
		else if (!strcmp(argv[first], "-n"))
			nohuge = 1;
		else {
			say("usage: bench [-q] [-1] [-n] [NAME...]\n");
			return -1;
		}
	}
	for (int i = first; i < argc; i++) {
		size_t k = 0;
		while (k < NBENCH && strcmp(benches[k].name, argv[i]))
			k++;
		if (k == NBENCH) {
			say("# bench: unknown measurement %s\n", argv[i]);
			return -1;
		}
	}
	return first;
}

static int bench(int argc, char **argv)
{
	int one_mode = 0, first = parse_args(argc, argv, &one_mode);
	struct utsname u;

	if (first < 0)
		return 2;
	if (uname(&u) < 0)
		memset(&u, 0, sizeof u);
	double t0 = now_ns();
	say("# bench%s: %s %s, MemTotal %ld MiB\n", quick ? " -q" : "", u.sysname, u.release,
	    meminfo_kb("MemTotal") / 1024);
	run_modes(argc, argv, first, one_mode);
	say("# bench: done in %.1f s\n", (now_ns() - t0) / 1e9);
	return failed;
}

int main(int argc, char **argv)
{
	int linux_init = getpid() == 1 && running_on_linux();

	if (linux_init)
		mount_pseudo_files();
	int status = bench(argc, argv);
	if (linux_init)
		power_off(status);
	return status;
}
