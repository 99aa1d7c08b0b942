/*
 * test_ksm - same-page merging (KSM), checked from user space through
 * Linux's own interfaces: madvise(MADV_MERGEABLE/MADV_UNMERGEABLE), the
 * files of /sys/kernel/mm/ksm, /proc/PID/pagemap (bit 63 present, bits 0-54
 * the frame number), /proc/meminfo and /proc/vmstat.  So the same program
 * checks this kernel and Linux (as root, with KSM built in):
 *
 *   - the control files read as numbers; bad writes give EINVAL and change
 *     nothing; statistics cannot be opened for writing (EACCES);
 *   - 32 MiB filled with 4 distinct page contents merge until pages_shared +
 *     pages_sharing covers them, and MemFree rises by at least 25 MiB;
 *   - pages with equal contents map one frame, different contents not;
 *   - a write to one merged page copies only that page (cow_ksm), the
 *     others keep their frame and contents;
 *   - a fork of a process with merged pages shares them; the child's write
 *     copies only its own page;
 *   - run=2 and MADV_UNMERGEABLE give private frames back, the counts go to 0;
 *   - pages of two different processes merge with each other, and so do
 *     pages that fork already shares copy-on-write;
 *   - processes exiting while their pages sit in the trees;
 *   - a page rewritten all the time by another process is never merged;
 *   - use_zero_pages=1 merges all-zero pages with the zero page;
 *   - at the end no frame is missing (MemFree back) and the controls are as
 *     they were at the start.
 *
 * On Linux: the checks that need exact counts (nothing else on the machine
 * merging) run only when KSM was idle at the start (run != 1, nothing
 * shared); run=2 is written only then; kernel-specific checks (defaults,
 * exact counts, the leak check) are skipped.  Without /sys/kernel/mm/ksm
 * or without root, everything is skipped.
 * Runs on Linux: no - it writes the KSM controls of /sys/kernel/mm/ksm (the host's)
 */
#include "tap.h"

#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>

#define PAGE 4096UL
#define MiB (1024UL * 1024)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define RW (PROT_READ | PROT_WRITE)
#ifndef MADV_NOHUGEPAGE
#define MADV_NOHUGEPAGE 15
#endif

#define BIG_PAGES 8192		/* 32 MiB */
#define BIG_CONTENTS 4
#define WAIT_SECONDS 120.0

static int on_linux;
static int exclusive;		/* nobody else merges: counts can be compared */
static int exact;		/* and this kernel: counts are exact at once */
static uint64_t seed;		/* makes this run's page contents unique */

/* ==== small helpers ===================================================== */

/* The number in KSM file NAME, read strictly (digits and a newline, as Linux
 * writes them, unlike ulib's ksm_get); -1 if it cannot be read so. */
static long ksm_number(const char *name)
{
	char path[128], buf[64], *end;

	snprintf(path, sizeof path, KSM_DIR "%s", name);
	if (read_file(path, buf, sizeof buf) <= 0)
		return -1;
	long v = strtol(buf, &end, 10);
	return end != buf && *end == '\n' ? v : -1;
}

static void ksm_set(const char *name, long value)
{
	char text[32];

	snprintf(text, sizeof text, "%ld", value);
	int err = ksm_write(name, text) ? errno : 0;
	if (err)
		tap_diag("writing %ld to %s: %s\n", value, name, strerror(err));
}

static long merged_pages(void)
{
	return ksm_number("pages_shared") + ksm_number("pages_sharing");
}

/* ==== page contents ===================================================== */

static uint64_t pattern_word(uint64_t k, size_t j)
{
	return (seed + k * 0x9e3779b97f4a7c15ULL) ^ (j * 0x100000001b3ULL);
}

static void fill_page(void *page, uint64_t k)
{
	uint64_t *w = page;

	for (size_t j = 0; j < PAGE / 8; j++)
		w[j] = pattern_word(k, j);
}

static int page_is(const void *page, uint64_t k)
{
	const uint64_t *w = page;

	for (size_t j = 0; j < PAGE / 8; j++)
		if (w[j] != pattern_word(k, j))
			return 0;
	return 1;
}

/* Page i of P gets contents BASE + i % N. */
static void fill_pages(char *p, size_t pages, uint64_t base, size_t n)
{
	for (size_t i = 0; i < pages; i++)
		fill_page(p + i * PAGE, base + i % n);
}

/* The first page of P that does not hold BASE + i % N, or -1. */
static long check_pages(const char *p, size_t pages, uint64_t base, size_t n)
{
	for (size_t i = 0; i < pages; i++)
		if (!page_is(p + i * PAGE, base + i % n))
			return (long)i;
	return -1;
}

static char *map_mergeable(size_t pages)
{
	char *p = mmap(NULL, pages * PAGE, RW, ANON, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	madvise(p, pages * PAGE, MADV_NOHUGEPAGE);	/* Linux: no THP; here: EINVAL, fine */
	return p;
}

/* ==== waiting for the scanner =========================================== */

/* Poll COND until it holds or SECONDS pass; 1 if it holds. */
static int wait_until(int (*cond)(long), long arg, double seconds)
{
	double end = now_s() + seconds;

	while (!cond(arg)) {
		if (now_s() > end)
			return 0;
		sleep_ms(20);
	}
	return 1;
}

static int merged_at_least(long n)
{
	return merged_pages() >= n;
}

static int merged_at_most(long n)
{
	return merged_pages() <= n;
}

static int scans_at_least(long n)
{
	return ksm_number("full_scans") >= n;
}

/* Wait for N more complete passes of the scanner. */
static int wait_scans(long n)
{
	return wait_until(scans_at_least, ksm_number("full_scans") + n, WAIT_SECONDS);
}

/* Wait until pages just made mergeable have surely been merged, if equal:
 * the pass under way at madvise may already be past them, the next one
 * records their checksums (a page is merged only once it held still for a
 * whole pass, as Linux's), and the one after merges them. */
static int wait_merge_passes(void)
{
	return wait_scans(3);
}

/* ==== the control files ================================================= */

static const char *const ksm_files[] = {
	"run", "pages_to_scan", "sleep_millisecs", "use_zero_pages", "pages_shared",
	"pages_sharing", "pages_unshared", "pages_volatile", "full_scans",
};

static void test_files_read(void)
{
	int bad = -1;

	for (size_t i = 0; i < sizeof ksm_files / sizeof *ksm_files; i++)
		if (ksm_number(ksm_files[i]) < 0)
			bad = (int)i;
	tap_check(bad < 0, "every /sys/kernel/mm/ksm file reads as a number",
		  "%s does not", bad < 0 ? "" : ksm_files[bad]);
	if (on_linux)
		return;
	tap_check(ksm_number("run") == 0 && ksm_number("pages_to_scan") == 100 &&
		  ksm_number("sleep_millisecs") == 20 && ksm_number("use_zero_pages") == 0,
		  "defaults: run 0, pages_to_scan 100, sleep_millisecs 20, use_zero_pages 0",
		  "run %ld pages_to_scan %ld sleep_millisecs %ld use_zero_pages %ld",
		  ksm_number("run"), ksm_number("pages_to_scan"), ksm_number("sleep_millisecs"),
		  ksm_number("use_zero_pages"));
}

static void check_bad_write(const char *name, const char *text)
{
	char what[128];
	long before = ksm_number(name);
	int err = ksm_write(name, text) ? errno : 0;

	snprintf(what, sizeof what, "writing \"%s\" to %s: EINVAL, value unchanged", text, name);
	tap_check(err == EINVAL && ksm_number(name) == before, what,
		  "error %d (%s), value %ld -> %ld", err, strerror(err), before, ksm_number(name));
}

static void test_files_write(void)
{
	static const char *const bad[][2] = {
		{ "run", "3" }, { "run", "abc" }, { "run", "-1" }, { "run", "1x" },
		{ "pages_to_scan", "-5" }, { "pages_to_scan", "4294967296" },
		{ "pages_to_scan", "12 34" }, { "sleep_millisecs", "4294967296" },
		{ "sleep_millisecs", "x" }, { "use_zero_pages", "2" },
		{ "use_zero_pages", "maybe" },
	};

	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		check_bad_write(bad[i][0], bad[i][1]);
	int fd = open(KSM_DIR "pages_shared", O_WRONLY);
	tap_check_errno(fd, errno, EACCES, "a statistic cannot be opened for writing");
	if (fd >= 0)
		close(fd);
	long old = ksm_number("pages_to_scan");
	int err = ksm_write("pages_to_scan", "1234\n") ? errno : 0;
	tap_check(err == 0 && ksm_number("pages_to_scan") == 1234,
		  "a number with a trailing newline is accepted", "error %d, value %ld", err,
		  ksm_number("pages_to_scan"));
	ksm_set("pages_to_scan", old);
}

/* ==== merging 32 MiB ==================================================== */

static char *big;		/* BIG_PAGES pages, contents 0..3 */
static long base_merged;	/* pages_shared + pages_sharing before the test */
static uint64_t big_pfn[BIG_PAGES];	/* BIG's frames once merged */

static void test_merge_big(void)
{
	long free_filled;

	big = map_mergeable(BIG_PAGES);
	if (!big) {
		tap_fail("map 32 MiB", "%s", strerror(errno));
		exit(tap_done());
	}
	fill_pages(big, BIG_PAGES, 0, BIG_CONTENTS);
	free_filled = meminfo_kb("MemFree");
	tap_check_long(madvise(big, BIG_PAGES * PAGE, MADV_MERGEABLE), 0,
		       "madvise(MADV_MERGEABLE) on 32 MiB");
	double t0 = now_s();
	int ok = wait_until(merged_at_least, base_merged + BIG_PAGES, WAIT_SECONDS);
	tap_check(ok, "32 MiB of 4 contents merge: pages_shared + pages_sharing covers them",
		  "after %.0f s: pages_shared %ld pages_sharing %ld (base %ld)", now_s() - t0,
		  ksm_number("pages_shared"), ksm_number("pages_sharing"), base_merged);
	tap_diag("merged in %.2f s\n", now_s() - t0);
	long gained = meminfo_kb("MemFree") - free_filled;
	if (on_linux)	/* MemFree there moves with the whole machine (and per-CPU lists) */
		tap_check(ksm_number("pages_sharing") * 4 >= 25 * 1024,
			  "pages_sharing says at least 25 MiB saved", "pages_sharing %ld",
			  ksm_number("pages_sharing"));
	else
		tap_check(gained >= 25 * 1024, "MemFree rises by at least 25 MiB",
			  "it rose by %ld kB", gained);
	if (exact)
		tap_check(ksm_number("pages_shared") == 4 && ksm_number("pages_sharing") == BIG_PAGES - 4,
			  "exactly 4 pages shared and 8188 sharing", "pages_shared %ld pages_sharing %ld",
			  ksm_number("pages_shared"), ksm_number("pages_sharing"));
}

/*
 * How many frames one content of BIG may occupy: 1 here.  Linux gives a
 * frame at most max_page_sharing users and chains further frames of the
 * same contents (stable_node_chains), so there: a few per content.
 */
static size_t frames_allowed(void)
{
	long max = on_linux ? ksm_number("max_page_sharing") : 0;
	size_t per = BIG_PAGES / BIG_CONTENTS;

	return max > 2 ? per / (size_t)(max / 2) + 1 : 1;
}

#define MAX_FRAMES 64

/* Add PFN to the set SET of *N frames (at most MAX_FRAMES); false when full. */
static int add_frame(uint64_t *set, size_t *n, uint64_t pfn)
{
	for (size_t i = 0; i < *n; i++)
		if (set[i] == pfn)
			return 1;
	if (*n == MAX_FRAMES)
		return 0;
	set[(*n)++] = pfn;
	return 1;
}

/* Frames of each content: present, few, and no frame holds two contents. */
static const char *check_frames(uint64_t sets[][MAX_FRAMES], size_t *count)
{
	static char why[160];
	size_t allowed = frames_allowed();

	for (size_t i = 0; i < BIG_PAGES; i++) {
		size_t k = i % BIG_CONTENTS;
		if (!big_pfn[i] || !add_frame(sets[k], &count[k], big_pfn[i]) || count[k] > allowed) {
			snprintf(why, sizeof why, "page %zu: frame %#llx; content %zu has %zu frames "
				 "(allowed %zu)", i, (unsigned long long)big_pfn[i], k, count[k],
				 allowed);
			return why;
		}
	}
	for (size_t k = 0; k < BIG_CONTENTS; k++)
		for (size_t j = 0; j < k; j++)
			for (size_t a = 0; a < count[k]; a++)
				for (size_t b = 0; b < count[j]; b++)
					if (sets[k][a] == sets[j][b])
						return "two different contents share a frame";
	return NULL;
}

static int big_frames_ok(const char *what)
{
	static uint64_t sets[BIG_CONTENTS][MAX_FRAMES];
	size_t count[BIG_CONTENTS] = { 0 };

	if (page_frames(0, big, BIG_PAGES, big_pfn)) {
		tap_fail(what, "cannot read /proc/self/pagemap: %s", strerror(errno));
		return 0;
	}
	const char *why = check_frames(sets, count);
	if (why)
		tap_fail(what, "%s", why);
	else
		tap_pass(what);
	return why == NULL;
}

static void test_write_copies_one(void)
{
	long cow_ksm = vmstat_get("cow_ksm"), sharing = ksm_number("pages_sharing");

	big[0] ^= 1;	/* now unlike any other page: it cannot merge again */
	uint64_t p0 = page_frame(0, big), p4 = page_frame(0, big + 4 * PAGE);
	tap_check(p0 && p0 != big_pfn[0] && p4 == big_pfn[4],
		  "a write to a merged page gives only that page a new frame",
		  "page 0: %#llx -> %#llx, page 4: %#llx -> %#llx", (unsigned long long)big_pfn[0],
		  (unsigned long long)p0, (unsigned long long)big_pfn[4], (unsigned long long)p4);
	if (cow_ksm >= 0)
		tap_check_long(vmstat_get("cow_ksm") - cow_ksm, 1, "/proc/vmstat cow_ksm counts it");
	if (exact)
		tap_check_long(ksm_number("pages_sharing"), sharing - 1, "pages_sharing drops by one");
	big[0] ^= 1;
	tap_check_long(check_pages(big, BIG_PAGES, 0, BIG_CONTENTS), -1,
		       "after the write every page holds its own contents (-1: all)");
}

/*
 * Read-only and PROT_NONE pages merge too.  The frame they end up sharing
 * must stay copy-on-write for every entry: after mprotect(PROT_WRITE), a
 * write to one page changes that page only (it once went into the shared
 * frame through the entry that kept the frame, so the other page saw it).
 * Two pairs, the first written through its first page, the second through
 * its second: whichever entry kept the frame, one write goes through it.
 */
static void read_only_merge(int prot, const char *name)
{
	char what[160];
	char *p = map_mergeable(4);
	uint64_t k = 1000 + 2 * prot;

	if (!p) {
		tap_fail("map 4 pages", "%s", strerror(errno));
		return;
	}
	fill_pages(p, 2, k, 1);
	fill_pages(p + 2 * PAGE, 2, k + 1, 1);
	mprotect(p, 4 * PAGE, prot);
	madvise(p, 4 * PAGE, MADV_MERGEABLE);
	wait_merge_passes();
	mprotect(p, 4 * PAGE, RW);
	uint64_t f[4];
	for (int i = 0; i < 4; i++)
		f[i] = page_frame(0, p + i * PAGE);
	snprintf(what, sizeof what, "two pairs of equal %s pages merge", name);
	if (on_linux && prot == PROT_NONE && (f[0] != f[1] || f[2] != f[3]))
		tap_skip(what, "Linux's ksmd does not visit PROT_NONE pages");
	else
		tap_check(f[0] && f[0] == f[1] && f[2] && f[2] == f[3], what,
			  "frames %#llx %#llx, %#llx %#llx", (unsigned long long)f[0],
			  (unsigned long long)f[1], (unsigned long long)f[2], (unsigned long long)f[3]);
	p[0] ^= 1;
	p[3 * PAGE] ^= 1;
	snprintf(what, sizeof what, "after mprotect(RW), a write to a merged %s page leaves "
		 "its twin as it was", name);
	tap_check(page_is(p + PAGE, k) && page_is(p + 2 * PAGE, k + 1), what,
		  "first pair's twin %s, second pair's twin %s",
		  page_is(p + PAGE, k) ? "intact" : "changed",
		  page_is(p + 2 * PAGE, k + 1) ? "intact" : "changed");
	munmap(p, 4 * PAGE);
}

static void test_read_only_merge(void)
{
	read_only_merge(PROT_READ, "read-only");
	read_only_merge(PROT_NONE, "PROT_NONE");
}

/* The child's half of the fork test: exit status says what went wrong. */
static void fork_child(void *arg)
{
	(void)arg;
	if (check_pages(big, BIG_PAGES, 0, BIG_CONTENTS) >= 0)
		_exit(1);
	if (page_frame(0, big + 4 * PAGE) != big_pfn[4])
		_exit(2);
	if (exact && ksm_number("pages_sharing") != 2 * BIG_PAGES - 4)
		_exit(3);
	big[4 * PAGE] ^= 1;
	uint64_t mine = page_frame(0, big + 4 * PAGE);
	if (!mine || mine == big_pfn[4] || page_frame(0, big + 8 * PAGE) != big_pfn[8])
		_exit(4);
	big[4 * PAGE] ^= 1;
	_exit(page_is(big + 4 * PAGE, 0) ? 0 : 5);
}

static void test_fork(void)
{
	static const char *const why[] = {
		"ok", "wrong contents", "page not shared with the parent",
		"pages_sharing does not count the child's mappings", "its write did not copy",
		"wrong contents after its write",
	};
	int ok = wait_until(merged_at_least, base_merged + BIG_PAGES, WAIT_SECONDS);

	tap_check(ok, "the written page merges again once it holds its old contents",
		  "pages_shared %ld pages_sharing %ld", ksm_number("pages_shared"),
		  ksm_number("pages_sharing"));
	int status = tap_run_child(fork_child, NULL);
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;

	tap_check(code == 0, "a forked child shares the merged pages; its write copies its page only",
		  "child: %s", code > 0 && code <= 5 ? why[code] : tap_status_str(status));
	tap_check(page_frame(0, big + 4 * PAGE) == big_pfn[4] && page_is(big + 4 * PAGE, 0),
		  "the parent's merged page is untouched by the child", "frame or contents changed");
	if (exact)
		tap_check_long(ksm_number("pages_sharing"), BIG_PAGES - 4,
			       "after the child exits pages_sharing is back");
}

/* ==== unmerging ========================================================= */

static int counts_zero(void)
{
	return ksm_number("pages_shared") == 0 && ksm_number("pages_sharing") == 0 &&
	       ksm_number("pages_unshared") == 0;
}

/* Pages 0 and 4 of BIG (equal contents) have different frames again. */
static int big_private(void)
{
	uint64_t a = page_frame(0, big), b = page_frame(0, big + 4 * PAGE);

	return a && b && a != b;
}

static void test_run2(void)
{
	if (!exclusive) {
		tap_skip("run=2 unmerges everything", "other KSM users on this machine");
		return;
	}
	long free_before = meminfo_kb("MemFree");
	ksm_set("run", 2);
	tap_check(counts_zero(), "run=2: pages_shared, pages_sharing and pages_unshared are 0",
		  "%ld %ld %ld", ksm_number("pages_shared"), ksm_number("pages_sharing"),
		  ksm_number("pages_unshared"));
	tap_check(big_private(), "run=2: equal pages have private frames again", "still shared");
	tap_check_long(check_pages(big, BIG_PAGES, 0, BIG_CONTENTS), -1,
		       "run=2: contents intact (-1: all)");
	long used = free_before - meminfo_kb("MemFree");
	if (!on_linux)
		tap_check(used >= 25 * 1024, "run=2: the copies use the memory again",
			  "MemFree fell by %ld kB", used);
	tap_check_long(ksm_number("run"), 2, "run reads back 2");
	ksm_set("run", 1);
}

static void test_madv_unmergeable(void)
{
	int ok = wait_until(merged_at_least, base_merged + BIG_PAGES, WAIT_SECONDS);

	tap_check(ok, "with run=1 again the pages merge again", "pages_shared %ld pages_sharing %ld",
		  ksm_number("pages_shared"), ksm_number("pages_sharing"));
	tap_check_long(madvise(big, BIG_PAGES * PAGE, MADV_UNMERGEABLE), 0,
		       "madvise(MADV_UNMERGEABLE)");
	tap_check(big_private(), "MADV_UNMERGEABLE: equal pages have private frames again",
		  "still shared");
	tap_check_long(check_pages(big, BIG_PAGES, 0, BIG_CONTENTS), -1,
		       "MADV_UNMERGEABLE: contents intact (-1: all)");
	if (exclusive)	/* Linux updates its counts at the next pass */
		tap_check(wait_until(merged_at_most, 0, WAIT_SECONDS),
			  "MADV_UNMERGEABLE: pages_shared and pages_sharing are 0", "%ld %ld",
			  ksm_number("pages_shared"), ksm_number("pages_sharing"));
	munmap(big, BIG_PAGES * PAGE);
}

/* ==== two processes ===================================================== */

#define PAIR_PAGES 64

/* Map PAIR_PAGES mergeable pages of contents 100, send the address, wait. */
static void pair_child(int to_parent, int from_parent)
{
	char *p = map_mergeable(PAIR_PAGES), c;

	if (!p)
		_exit(1);
	fill_pages(p, PAIR_PAGES, 100, 1);
	madvise(p, PAIR_PAGES * PAGE, MADV_MERGEABLE);
	if (write(to_parent, &p, sizeof p) != sizeof p || read(from_parent, &c, 1) != 1)
		_exit(2);
	_exit(check_pages(p, PAIR_PAGES, 100, 1) < 0 ? 0 : 3);
}

static pid_t pair_pid;
static char *pair_child_va, *pair_mine;

static int pair_merged(long unused)
{
	(void)unused;
	uint64_t a = page_frame(pair_pid, pair_child_va), b = page_frame(0, pair_mine);

	return a && a == b;
}

static void test_two_processes(void)
{
	int up[2], down[2];

	if (pipe(up) || pipe(down) || (pair_pid = fork()) < 0) {
		tap_fail("two processes", "pipe/fork: %s", strerror(errno));
		return;
	}
	if (pair_pid == 0)
		pair_child(up[1], down[0]);
	pair_mine = map_mergeable(PAIR_PAGES);
	fill_pages(pair_mine, PAIR_PAGES, 100, 1);
	madvise(pair_mine, PAIR_PAGES * PAGE, MADV_MERGEABLE);
	if (read(up[0], &pair_child_va, sizeof pair_child_va) != sizeof pair_child_va)
		pair_child_va = NULL;
	int ok = pair_child_va && wait_until(pair_merged, 0, WAIT_SECONDS);
	tap_check(ok, "pages of two processes merge with each other",
		  "child frame %#llx, mine %#llx", (unsigned long long)page_frame(pair_pid, pair_child_va),
		  (unsigned long long)page_frame(0, pair_mine));
	tap_check(write(down[1], "x", 1) == 1, "tell the child to check", "%s", strerror(errno));
	int status = tap_wait(pair_pid);
	tap_check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "the other process still reads its own contents", "child %s",
		  tap_status_str(status));
	tap_check_long(check_pages(pair_mine, PAIR_PAGES, 100, 1), -1,
		       "and so does this one (-1: all)");
	munmap(pair_mine, PAIR_PAGES * PAGE);
	close(up[0]), close(up[1]), close(down[0]), close(down[1]);
}

/* ==== pages shared by fork before they merge ============================ */

#define FS_PAGES 64

static pid_t fs_pid;
static char *fs_area;

/* All pages of contents K (every other page) map one frame, in both processes. */
static int fork_shared_merged(long k)
{
	uint64_t mine = page_frame(0, fs_area + k * PAGE);

	for (long i = k; i < FS_PAGES; i += 2)
		if (!mine || page_frame(0, fs_area + i * PAGE) != mine ||
		    page_frame(fs_pid, fs_area + i * PAGE) != mine)
			return 0;
	return 1;
}

static void fork_shared_child(int from_parent)
{
	char c;

	if (read(from_parent, &c, 1) != 1)
		_exit(1);
	_exit(check_pages(fs_area, FS_PAGES, 500, 2) < 0 ? 0 : 2);
}

/*
 * Frames that fork already shares copy-on-write (parent and child map the
 * same frame) merge too: the stable frame is then a copy, and the old frames
 * go once every mapping has moved over.
 */
static void test_fork_shared(void)
{
	int down[2];

	fs_area = map_mergeable(FS_PAGES);
	if (!fs_area || pipe(down)) {
		tap_fail("fork-shared pages merge", "mmap/pipe: %s", strerror(errno));
		return;
	}
	fill_pages(fs_area, FS_PAGES, 500, 2);
	madvise(fs_area, FS_PAGES * PAGE, MADV_MERGEABLE);
	if ((fs_pid = fork()) == 0)
		fork_shared_child(down[0]);
	int ok = wait_until(fork_shared_merged, 0, WAIT_SECONDS) &&
		 wait_until(fork_shared_merged, 1, WAIT_SECONDS);
	tap_check(ok, "pages shared by fork merge too: one frame per contents in both processes",
		  "page 0: %#llx (child %#llx), page 2: %#llx", (unsigned long long)page_frame(0, fs_area),
		  (unsigned long long)page_frame(fs_pid, fs_area),
		  (unsigned long long)page_frame(0, fs_area + 2 * PAGE));
	if (write(down[1], "x", 1) != 1)
		kill(fs_pid, SIGKILL);
	int status = tap_wait(fs_pid);
	tap_check(WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
		  check_pages(fs_area, FS_PAGES, 500, 2) < 0,
		  "both still read their own contents", "child %s", tap_status_str(status));
	munmap(fs_area, FS_PAGES * PAGE);
	close(down[0]), close(down[1]);
	if (exclusive)
		tap_check(wait_until(merged_at_most, 0, WAIT_SECONDS),
			  "once both are gone nothing stays merged", "pages_shared %ld pages_sharing %ld",
			  ksm_number("pages_shared"), ksm_number("pages_sharing"));
}

/* ==== exiting with pages in the trees =================================== */

#define EXIT_PAGES 512

static int unshared_above(long n)
{
	return ksm_number("pages_unshared") > n;
}

static int shared_above(long n)
{
	return ksm_number("pages_shared") > n;
}

/* Pages in pairs of equal contents; exit in the state MODE asks for. */
static void exit_child(void *arg)
{
	long mode = (long)arg;
	char *p = map_mergeable(EXIT_PAGES);

	if (!p)
		_exit(1);
	fill_pages(p, EXIT_PAGES, 200 + 1000 * (uint64_t)mode, EXIT_PAGES / 2);
	long unshared = ksm_number("pages_unshared"), shared = ksm_number("pages_shared");
	madvise(p, EXIT_PAGES * PAGE, MADV_MERGEABLE);
	if (mode == 1)		/* some of them in the unstable tree */
		wait_until(unshared_above, unshared, 10);
	else if (mode == 2)	/* some of them merged: in the stable tree */
		wait_until(shared_above, shared, 10);
	else if (mode == 3)
		sleep_ms(37);
	_exit(0);
}

static void test_exit_in_trees(void)
{
	int failed = 0;

	for (long mode = 0; mode < 4; mode++) {
		int status = tap_run_child(exit_child, (void *)mode);
		failed |= !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	tap_check(!failed, "processes exit while their pages are in the trees", "a child failed");
	int ok = wait_scans(2);
	tap_check(ok, "the scanner goes on (two more full scans)", "full_scans stuck at %ld",
		  ksm_number("full_scans"));
	if (exclusive)	/* nothing else of ours is merged now */
		tap_check(wait_until(merged_at_most, 0, WAIT_SECONDS),
			  "their merged pages are gone from the counts",
			  "pages_shared %ld, pages_sharing %ld", ksm_number("pages_shared"),
			  ksm_number("pages_sharing"));
}

/* ==== a volatile page =================================================== */

#define VOL_PAGES 4

/* Page 0 rewritten forever with a new value in every word; pages 1-3 still. */
static void volatile_child(int to_parent)
{
	char *p = map_mergeable(VOL_PAGES);
	volatile uint64_t *w = (volatile uint64_t *)p;

	if (!p)
		_exit(1);
	fill_pages(p + PAGE, VOL_PAGES - 1, 300, 1);
	w[0] = 0;	/* page 0 is present before the parent looks */
	madvise(p, VOL_PAGES * PAGE, MADV_MERGEABLE);
	if (write(to_parent, &p, sizeof p) != sizeof p)
		_exit(2);
	for (uint64_t n = 1;; n++) {
		for (size_t j = 0; j < PAGE / 8; j++)
			w[j] = n;
		for (size_t j = 0; j < PAGE / 8; j++)
			if (w[j] != n)
				_exit(3);
	}
}

static void test_volatile(void)
{
	int up[2];
	char *va = NULL;
	pid_t pid;

	if (pipe(up) || (pid = fork()) < 0) {
		tap_fail("volatile page", "pipe/fork: %s", strerror(errno));
		return;
	}
	if (pid == 0)
		volatile_child(up[1]);
	if (read(up[0], &va, sizeof va) != sizeof va)
		va = NULL;
	uint64_t first = va ? page_frame(pid, va) : 0, moved = 0;
	long scans = ksm_number("full_scans"), seen_volatile = 0;
	double end = now_s() + WAIT_SECONDS;
	while (va && ksm_number("full_scans") < scans + 3 && now_s() < end) {
		uint64_t pfn = page_frame(pid, va);
		if (pfn != first)
			moved = pfn;
		if (ksm_number("pages_volatile") > seen_volatile)
			seen_volatile = ksm_number("pages_volatile");
		sleep_ms(10);
	}
	tap_check(first && !moved && ksm_number("full_scans") >= scans + 3,
		  "a page rewritten all the time by another process is never merged",
		  "frame %#llx -> %#llx, full_scans %ld -> %ld", (unsigned long long)first,
		  (unsigned long long)moved, scans, ksm_number("full_scans"));
	tap_check(seen_volatile > 0, "pages_volatile counts it", "pages_volatile stayed 0");
	uint64_t a = page_frame(pid, va + PAGE), b = page_frame(pid, va + 2 * PAGE);
	tap_check(a && a == b, "its still neighbours merged meanwhile", "frames %#llx %#llx",
		  (unsigned long long)a, (unsigned long long)b);
	kill(pid, SIGKILL);
	int status = tap_wait(pid);
	tap_check(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		  "the writer always read back what it wrote", "writer %s", tap_status_str(status));
	close(up[0]), close(up[1]);
}

/* ==== use_zero_pages ==================================================== */

#define ZERO_PAGES 256

static uint64_t zero_pfn(void)
{
	char *p = map_mergeable(1);
	uint64_t pfn;

	if (!p)
		return 0;
	(void)*(volatile char *)p;	/* a read fault maps the zero page */
	pfn = page_frame(0, p);
	munmap(p, PAGE);
	return pfn;
}

static char *zero_area;
static uint64_t zpfn;

static int all_zero_page(long unused)
{
	static uint64_t pfn[ZERO_PAGES];

	(void)unused;
	if (page_frames(0, zero_area, ZERO_PAGES, pfn))
		return 0;
	for (size_t i = 0; i < ZERO_PAGES; i++)
		if (pfn[i] != zpfn)
			return 0;
	return 1;
}

static int area_is_zero(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return 0;
	return 1;
}

static void test_zero_pages(void)
{
	long sharing = ksm_number("pages_sharing"), old = ksm_number("use_zero_pages");

	zpfn = zero_pfn();
	zero_area = map_mergeable(ZERO_PAGES);
	if (!zero_area || !zpfn) {
		tap_fail("use_zero_pages", "no zero page frame (%#llx) or no memory",
			 (unsigned long long)zpfn);
		return;
	}
	for (size_t i = 0; i < ZERO_PAGES * PAGE; i += PAGE)
		zero_area[i] = 1, zero_area[i] = 0;	/* private frames full of zeros */
	ksm_set("use_zero_pages", 1);
	madvise(zero_area, ZERO_PAGES * PAGE, MADV_MERGEABLE);
	int ok = wait_until(all_zero_page, 0, WAIT_SECONDS);
	tap_check(ok, "use_zero_pages=1: zero-filled pages merge with the zero page",
		  "page 0 frame %#llx, zero page %#llx", (unsigned long long)page_frame(0, zero_area),
		  (unsigned long long)zpfn);
	if (exclusive)	/* (Linux may still be dropping earlier tests' counts) */
		tap_check(exact ? ksm_number("pages_sharing") == sharing :
			  ksm_number("pages_sharing") <= sharing, "they are not counted in pages_sharing",
			  "pages_sharing %ld -> %ld", sharing, ksm_number("pages_sharing"));
	zero_area[5 * PAGE] = 7;
	tap_check(page_frame(0, zero_area + 5 * PAGE) != zpfn && zero_area[5 * PAGE] == 7 &&
		  area_is_zero(zero_area, 5 * PAGE),
		  "a write to one of them gives it its own frame", "frame %#llx",
		  (unsigned long long)page_frame(0, zero_area + 5 * PAGE));
	ksm_set("use_zero_pages", old);
	munmap(zero_area, ZERO_PAGES * PAGE);
}

/* ==== setup and teardown ================================================ */

static long saved[4];
static const char *const knobs[4] = { "run", "pages_to_scan", "sleep_millisecs", "use_zero_pages" };

static int setup(void)
{
	on_linux = running_on_linux();
	seed = (uint64_t)getpid() * 0x9e3779b97f4a7c15ULL ^ (uint64_t)(now_s() * 1e9);
	if (access(KSM_DIR "run", R_OK) != 0) {
		tap_skip("same-page merging", "no /sys/kernel/mm/ksm");
		return 0;
	}
	if (on_linux && geteuid() != 0) {
		tap_skip("same-page merging", "needs root on Linux");
		return 0;
	}
	for (int i = 0; i < 4; i++)
		saved[i] = ksm_number(knobs[i]);
	exclusive = !on_linux || (saved[0] != 1 && merged_pages() == 0);
	exact = exclusive && !on_linux;
	tap_diag("%s; counts %s\n", on_linux ? "Linux" : "not Linux",
		 exact ? "checked exactly" : exclusive ? "compared (Linux updates them lazily)" :
		 "not checked (other KSM users)");
	return 1;
}

static void restore(void)
{
	for (int i = 3; i >= 0; i--)
		ksm_set(knobs[i], saved[i]);
	tap_check(ksm_number("run") == saved[0] && ksm_number("pages_to_scan") == saved[1] &&
		  ksm_number("sleep_millisecs") == saved[2] && ksm_number("use_zero_pages") == saved[3],
		  "the controls are as they were at the start", "run %ld", ksm_number("run"));
}

/*
 * Nothing merged and every frame back: run=2 frees the scanner's memory too.
 * Page-cache growth (code of this program run for the first time) is not a
 * leak, and one page of slack covers the allocator's own noise; a merged
 * frame leaked per content would be more (and pages_shared would show it).
 */
static void test_no_leak(long free_start, long cached_start)
{
	if (on_linux) {
		tap_skip("no frame leaked", "MemFree moves with the rest of Linux");
		return;
	}
	ksm_set("run", 2);
	tap_check(ksm_number("pages_shared") == 0,
		  "after run=2 with every user gone no merged frame is left",
		  "pages_shared %ld", ksm_number("pages_shared"));
	long free_end = meminfo_kb("MemFree"), cached = meminfo_kb("Cached") - cached_start;
	long lost = free_start - free_end - cached;
	tap_check(lost <= 4, "no frame leaked: MemFree is back",
		  "%ld kB missing (MemFree %ld -> %ld kB, page cache +%ld kB)", lost, free_start,
		  free_end, cached);
}

static void run_tests(void)
{
	/* Linux's ksmd (and ours) only scans while some memory is registered
	 * as mergeable: this page keeps the passes (full_scans) going. */
	char *anchor = map_mergeable(1);

	if (anchor)
		madvise(anchor, PAGE, MADV_MERGEABLE);
	test_merge_big();
	if (big_frames_ok("equal contents share one frame, different contents do not")) {
		test_write_copies_one();
		test_fork();
	}
	test_run2();
	test_madv_unmergeable();
	test_two_processes();
	test_read_only_merge();
	test_fork_shared();
	test_exit_in_trees();
	test_volatile();
	test_zero_pages();
}

/*
 * The tests run in a worker child, so that all their memory (page tables,
 * buffers) is gone when it is reaped and MemFree can be compared with the
 * start.  The worker prints its TAP lines itself and hands its counts back.
 */
static void run_worker(void)
{
	int fds[2];
	pid_t pid;

	if (pipe(fds) || (pid = fork()) < 0) {
		tap_fail("start the worker", "%s", strerror(errno));
		return;
	}
	if (pid == 0) {
		run_tests();
		_exit(write(fds[1], &tap, sizeof tap) == sizeof tap ? 0 : 1);
	}
	close(fds[1]);
	ssize_t n = read_full(fds[0], &tap, sizeof tap);
	int status = tap_wait(pid);
	if (n != sizeof tap || !WIFEXITED(status) || WEXITSTATUS(status))
		tap_fail("the worker finishes", "%s", tap_status_str(status));
	close(fds[0]);
}

int main(void)
{
	if (!setup())
		return tap_done();
	test_files_read();
	test_files_write();
	ksm_set("pages_to_scan", 5000);
	ksm_set("sleep_millisecs", 10);
	if (exclusive)
		ksm_set("run", 2);	/* start from nothing merged */
	base_merged = merged_pages();
	ksm_set("run", 1);
	long free_start = meminfo_kb("MemFree"), cached_start = meminfo_kb("Cached");
	run_worker();
	test_no_leak(free_start, cached_start);
	restore();
	return tap_done();
}
