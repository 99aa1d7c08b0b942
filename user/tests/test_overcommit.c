/*
 * test_overcommit - what the kernel promises (Committed_AS), how much it may
 * promise (CommitLimit), and the three /proc/sys/vm/overcommit_memory modes
 * (issue 11, item 6); MAP_POPULATE.
 *
 * Copy-on-write makes mmap and fork promises of memory that page faults must
 * keep later; mm/commit.c counts them.  Checked here: which mappings are
 * charged (private writable, not MAP_NORESERVE in modes 0 and 1), what
 * mprotect, munmap and fork do to the charge, which requests each mode
 * refuses, and that MAP_POPULATE faults the pages in at once.
 *
 * Runs the same on Linux (as root).
 * Runs on Linux: no - it writes /proc/sys/vm/overcommit_memory (the host's)
 */
#include "tap.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#define PAGE 4096UL
#define MIB (1UL << 20)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define RW (PROT_READ | PROT_WRITE)
#define HUGE_LEN (64UL << 40)	/* 64 TiB */
#define MODE "/proc/sys/vm/overcommit_memory"
#define RATIO "/proc/sys/vm/overcommit_ratio"
#define SLACK_KB 2048		/* other activity (Linux's per-CPU counter batches) */

static char saved_mode[16], saved_ratio[16];

static void restore(void)
{
	write_file(MODE, saved_mode);
	write_file(RATIO, saved_ratio);
}

static void set_mode(const char *m)
{
	if (write_file(MODE, m))
		tap_fail("set overcommit_memory", "%s: %s", m, strerror(errno));
}

/* Committed_AS of /proc/meminfo, in kB. */
static long committed_kb(void)
{
	return meminfo_kb("Committed_AS");
}

static bool near(long got, long want)
{
	return got >= want - SLACK_KB && got <= want + SLACK_KB;
}

static void test_meminfo(void)
{
	long total = meminfo_kb("MemTotal"), limit = meminfo_kb("CommitLimit");
	long ratio = strtol(saved_ratio, NULL, 10), swap = meminfo_kb("SwapTotal");
	long want = total * ratio / 100 + swap;

	tap_check(limit >= want - 4 && limit <= want + 4,
		  "CommitLimit = MemTotal * overcommit_ratio / 100 + SwapTotal",
		  "CommitLimit %ld kB, MemTotal %ld kB, ratio %ld", limit, total, ratio);
	tap_check(committed_kb() > 0, "Committed_AS is shown and counts this process",
		  "Committed_AS %ld", committed_kb());
}

/* Which mappings are charged, in mode 0. */
static void test_charging(void)
{
	long before = committed_kb();
	char *p = mmap(NULL, 64 * MIB, RW, ANON, -1, 0);
	long after = committed_kb();

	tap_check(p != MAP_FAILED && near(after - before, 64 * 1024),
		  "a private writable mapping of 64 MiB is charged 64 MiB before any touch",
		  "Committed_AS %+ld kB", after - before);
	munmap(p, 64 * MIB);
	tap_check(near(committed_kb() - before, 0), "munmap gives the charge back",
		  "Committed_AS %+ld kB", committed_kb() - before);

	p = mmap(NULL, 64 * MIB, PROT_READ, ANON, -1, 0);
	tap_check(near(committed_kb() - before, 0), "a read-only private mapping is not charged",
		  "Committed_AS %+ld kB", committed_kb() - before);
	mprotect(p, 64 * MIB, RW);
	tap_check(near(committed_kb() - before, 64 * 1024), "mprotect making it writable charges it",
		  "Committed_AS %+ld kB", committed_kb() - before);
	mprotect(p, 64 * MIB, PROT_READ);
	tap_check(near(committed_kb() - before, 64 * 1024),
		  "mprotect back to read-only keeps the charge (Linux's VM_ACCOUNT stays)",
		  "Committed_AS %+ld kB", committed_kb() - before);
	munmap(p, 64 * MIB);

	p = mmap(NULL, 64 * MIB, RW, ANON | MAP_NORESERVE, -1, 0);
	tap_check(p != MAP_FAILED && near(committed_kb() - before, 0),
		  "MAP_NORESERVE is not charged in mode 0", "Committed_AS %+ld kB",
		  committed_kb() - before);
	munmap(p, 64 * MIB);
}

static void check_huge(long prot, long flags, bool want_ok, const char *what)
{
	errno = 0;
	void *p = mmap(NULL, HUGE_LEN, prot, flags, -1, 0);

	if (want_ok)
		tap_check(p != MAP_FAILED, what, "%s", strerror(errno));
	else
		tap_check_errno(p == MAP_FAILED ? -1 : 0, errno, ENOMEM, what);
	if (p != MAP_FAILED)
		munmap(p, HUGE_LEN);
}

static void test_modes_0_and_1(void)
{
	set_mode("0");
	check_huge(RW, ANON, false, "mode 0: 64 TiB private writable -> ENOMEM");
	check_huge(RW, ANON | MAP_POPULATE, false, "mode 0: 64 TiB with MAP_POPULATE -> ENOMEM");
	check_huge(RW, ANON | MAP_NORESERVE, true, "mode 0: 64 TiB with MAP_NORESERVE is allowed");
	check_huge(PROT_READ, ANON, true, "mode 0: 64 TiB read-only is allowed (not charged)");
	set_mode("1");
	check_huge(RW, ANON, true, "mode 1: 64 TiB private writable is allowed");
	set_mode("0");
}

/* Room left under CommitLimit, in bytes (mode 2). */
static long room(void)
{
	return (meminfo_kb("CommitLimit") - committed_kb()) * 1024L;
}

static void child_exit0(void *arg)
{
	(void)arg;
}

static void test_mode_2(void)
{
	set_mode("2");
	long r = room();
	errno = 0;
	void *p = mmap(NULL, r + 16 * MIB, RW, ANON, -1, 0);
	tap_check_errno(p == MAP_FAILED ? -1 : 0, errno, ENOMEM,
			"mode 2: a mapping larger than CommitLimit - Committed_AS -> ENOMEM");
	if (p != MAP_FAILED)
		munmap(p, r + 16 * MIB);
	errno = 0;
	p = mmap(NULL, r + 16 * MIB, RW, ANON | MAP_NORESERVE, -1, 0);
	tap_check_errno(p == MAP_FAILED ? -1 : 0, errno, ENOMEM,
			"mode 2: MAP_NORESERVE is charged too -> ENOMEM");
	if (p != MAP_FAILED)
		munmap(p, r + 16 * MIB);

	/* fork charges the child for the parent's writable memory */
	size_t big = (size_t)(room() * 6 / 10) & ~(PAGE - 1);
	char *q = mmap(NULL, big, RW, ANON, -1, 0);
	tap_check(q != MAP_FAILED, "mode 2: 60% of the room can be promised", "%s", strerror(errno));
	int st = tap_run_child(child_exit0, NULL);
	tap_check(st == -1 && errno == ENOMEM,
		  "mode 2: fork that would promise that memory twice -> ENOMEM",
		  "fork gave %s (errno %d)", st == -1 ? "-1" : tap_status_str(st), errno);
	errno = 0;
	char *ro = mmap(NULL, big, PROT_READ, ANON, -1, 0);
	long m = ro == MAP_FAILED ? 0 : mprotect(ro, big, RW);
	tap_check_errno(m, errno, ENOMEM, "mode 2: mprotect making too much writable -> ENOMEM");
	if (ro != MAP_FAILED)
		munmap(ro, big);
	char *brk0 = (char *)syscall(SYS_brk, 0);
	char *brk1 = (char *)syscall(SYS_brk, brk0 + big);
	tap_check(brk1 == brk0, "mode 2: brk past the limit leaves the break where it was",
		  "break moved by %ld", (long)(brk1 - brk0));
	if (q != MAP_FAILED)
		munmap(q, big);
	st = tap_run_child(child_exit0, NULL);
	tap_check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "mode 2: after munmap, fork works again",
		  "%s", tap_status_str(st));
	set_mode("0");
}

/* Pages of [p, p + len) that /proc/self/pagemap shows present. */
static long present_pages(const void *p, size_t len)
{
	size_t n = len / PAGE;
	uint64_t *e = calloc(n, sizeof *e);
	long present = 0;

	if (e && pagemap_entries(getpid(), p, n, e) == 0)
		for (size_t i = 0; i < n; i++)
			present += (e[i] >> 63) & 1;
	free(e);
	return present;
}

static void test_populate(void)
{
	long free_before = meminfo_kb("MemFree");
	char *p = mmap(NULL, 4 * MIB, RW, ANON | MAP_POPULATE, -1, 0);

	tap_check(p != MAP_FAILED && present_pages(p, 4 * MIB) == (long)(4 * MIB / PAGE),
		  "MAP_POPULATE: every page is present before the first touch",
		  "%ld of %lu present", p == MAP_FAILED ? 0 : present_pages(p, 4 * MIB), 4 * MIB / PAGE);
	tap_check(free_before - meminfo_kb("MemFree") >= 4 * 1024 - SLACK_KB,
		  "MAP_POPULATE of writable memory takes the frames at once",
		  "MemFree fell by %ld kB", free_before - meminfo_kb("MemFree"));
	munmap(p, 4 * MIB);
	p = mmap(NULL, 4 * MIB, RW, ANON, -1, 0);
	tap_check(present_pages(p, 4 * MIB) == 0, "without MAP_POPULATE no page is present",
		  "%ld present", present_pages(p, 4 * MIB));
	munmap(p, 4 * MIB);
}

static void test_bad_values(void)
{
	errno = 0;
	tap_check(write_file(MODE, "3\n") && errno == EINVAL, "overcommit_memory=3 -> EINVAL",
		  "errno %d", errno);
	errno = 0;
	tap_check(write_file(RATIO, "-1\n") && errno == EINVAL, "overcommit_ratio=-1 -> EINVAL",
		  "errno %d", errno);
}

int main(void)
{
	if (read_file(MODE, saved_mode, sizeof saved_mode) <= 0 ||
	    read_file(RATIO, saved_ratio, sizeof saved_ratio) <= 0) {
		tap_fail("read /proc/sys/vm/overcommit_*", "%s", strerror(errno));
		return tap_done();
	}
	atexit(restore);
	test_meminfo();
	test_charging();
	test_modes_0_and_1();
	test_mode_2();
	test_populate();
	test_bad_values();
	restore();
	return tap_done();
}
