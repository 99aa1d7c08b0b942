/*
 * test_cow - copy-on-write fork, the zero page and shared program pages,
 * checked from user space through Linux's own interfaces (/proc/PID/pagemap,
 * /proc/kpagecount, /proc/meminfo, /proc/vmstat), so the same program checks
 * this kernel and Linux:
 *
 *   - after fork, parent and child map the same frames;
 *   - a child's write copies only that page; the parent's data is untouched;
 *   - the last owner writes without a copy (its frame stays the same);
 *   - reads of untouched memory all map one frame and MemFree barely moves;
 *     the first write after such a read gives a zeroed private frame;
 *   - read() from a pipe into a shared page leaves the other side's copy alone;
 *   - three generations writing overlapping regions each see only their own data;
 *   - fork-then-exec of a process with 64 MiB written copies at most 8 pages;
 *   - a random fork tree (seeded, deterministic) agrees with a model;
 *   - two processes running one program share its text frames;
 *   - a process using two thirds of free memory forks under cow_fork=1 and
 *     gets ENOMEM under cow_fork=0;
 *   - running out of memory during copy-on-write kills only the writer;
 *   - after every test the free-frame count is back where it started.
 *
 * Every scenario runs in a worker child, which reports its checks to the
 * test process through a pipe ("P what", "F what<TAB>why", "S what<TAB>why",
 * "D text" lines), so a worker killed by a kernel bug shows up as a failed
 * check and all of a scenario's memory is gone when its worker is reaped.
 *
 * On Linux the kernel-specific parts (the cow_* counters in /proc/vmstat,
 * /proc/sys/vm/cow_fork, running out of memory on purpose) are skipped, and
 * so is free memory being back after each scenario (other processes move
 * MemFree by far more than a scenario's pages on a busy machine); the other
 * MemFree comparisons allow for the rest of the system.  Linux's last owner
 * writes in place only when it can (a page in another CPU's LRU batch is
 * copied): a copy there is a skip, with the reason.  Pagemap frame numbers
 * need root on Linux.
 *
 *     test_cow                 run every test
 *     test_cow --text-pfn      helper mode (used by the test itself)
 *
 * Environment: BIN (directory of /bin/true and of test_cow, default /bin),
 * COW_SEED (seed of the random fork tree, default 4).
 * Runs on Linux: yes
 */
#include "tap.h"

#include <fcntl.h>
#include <stdint.h>
#include <sched.h>
#include <sys/mman.h>
#include <time.h>

#define PAGE 4096UL
#define MiB (1024UL * 1024)
#define PFN_MASK ((1ULL << 55) - 1)
#define PM_PRESENT (1ULL << 63)
#define PM_FILE (1ULL << 61)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define RW (PROT_READ | PROT_WRITE)

static int on_linux;
static const char *self_path;

/* ==== reporting: directly as TAP, or from a worker through a pipe ======= */

static int report_fd = -1;	/* >= 0 in a worker: checks go to this pipe */

static void report_line(char kind, const char *what, const char *why)
{
	char line[600];
	int len;

	if (report_fd < 0) {
		if (kind == 'P')
			tap_pass(what);
		else if (kind == 'F')
			tap_fail(what, "%s", why);
		else if (kind == 'S')
			tap_skip(what, why);
		else
			tap_diag("%s\n", what);
		return;
	}
	if (why)
		len = snprintf(line, sizeof line, "%c %s\t%s\n", kind, what, why);
	else
		len = snprintf(line, sizeof line, "%c %s\n", kind, what);
	if (len >= (int)sizeof line) {
		len = sizeof line;
		line[len - 1] = '\n';
	}
	tap_write_full(report_fd, line, len);
}

/* Pass when cond holds, else fail with the printf-style reason. */
__attribute__((format(printf, 3, 4)))
static int check(int cond, const char *what, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	if (cond) {
		report_line('P', what, NULL);
		return 1;
	}
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	report_line('F', what, why);
	return 0;
}

static void skip(const char *what, const char *why)
{
	report_line('S', what, why);
}

__attribute__((format(printf, 1, 2)))
static void diag(const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	report_line('D', text, NULL);
}

/* Turn one line from a worker into TAP. */
static void relay(char *line)
{
	char *why = strchr(line, '\t');

	if (why)
		*why++ = '\0';
	if (line[0] == '\0' || line[1] != ' ')
		return;
	if (line[0] == 'P')
		tap_pass(line + 2);
	else if (line[0] == 'F')
		tap_fail(line + 2, "%s", why ? why : "?");
	else if (line[0] == 'S')
		tap_skip(line + 2, why ? why : "");
	else if (line[0] == 'D')
		tap_diag("%s\n", line + 2);
}

/*
 * Run fn(arg) in a worker child; relay its checks as TAP lines; a worker
 * that does not exit 0 is a failure of its own.  Returns the wait status.
 */
static int run_worker(const char *name, void (*fn)(void *), void *arg)
{
	static char buf[16384];
	size_t have = 0;
	int p[2];

	if (pipe(p) < 0) {
		tap_fail(name, "pipe: %s", strerror(errno));
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		tap_fail(name, "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		report_fd = p[1];
		fn(arg);
		_exit(0);
	}
	close(p[1]);
	for (;;) {
		ssize_t n = read(p[0], buf + have, sizeof buf - 1 - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += n;
		buf[have] = '\0';
		char *start = buf, *nl;
		while ((nl = strchr(start, '\n')) != NULL) {
			*nl = '\0';
			relay(start);
			start = nl + 1;
		}
		have -= start - buf;
		memmove(buf, start, have);
		if (have == sizeof buf - 1)
			have = 0;	/* an absurdly long line: drop it */
	}
	close(p[0]);
	int status = tap_wait(pid);
	if (status == -1)
		tap_fail(name, "waitpid: %s", strerror(errno));
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		tap_fail(name, "worker %s", tap_status_str(status));
	return status;
}

/* ==== small helpers ==================================================== */

/* The number after "key" at the start of a line of text, or -1. */
static long field(const char *text, const char *key)
{
	size_t n = strlen(key);

	for (const char *line = text; line && *line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (!strncmp(line, key, n) && (line[n] == ' ' || line[n] == ':' ||
					      line[n] == '\t')) {
			const char *v = line + n;
			while (*v == ' ' || *v == ':' || *v == '\t')
				v++;
			return strtol(v, NULL, 10);
		}
	}
	return -1;
}

/* /proc/meminfo in kB (free, and the two kernel caches that only grow). */
struct memsnap {
	long free, cached, slab;
};

/* Linux: free pages parked on the per-CPU lists (not in MemFree), in kB. */
static long linux_pcp_kb(void)
{
	static char buf[65536];
	long pages = 0;

	if (read_file("/proc/zoneinfo", buf, sizeof buf) <= 0)
		return 0;
	for (char *s = buf; (s = strstr(s, "count:")) != NULL; s += 6)
		pages += strtol(s + 6, NULL, 10);
	return pages * 4;
}

static struct memsnap mem_snap(void)
{
	char buf[4096];
	struct memsnap m = { -1, -1, -1 };

	if (read_file("/proc/meminfo", buf, sizeof buf) > 0) {
		m.free = field(buf, "MemFree");
		m.cached = field(buf, "Cached");
		m.slab = field(buf, "Slab");
	}
	if (on_linux && m.free >= 0)
		m.free += linux_pcp_kb();
	return m;
}

/* A snapshot once MemFree holds still for 10 ms (up to a second): at
 * several CPUs a process just reaped may still be giving back its last
 * frames (an address space another CPU had loaded lazily is freed when
 * that CPU switches away). */
static struct memsnap mem_snap_settled(void)
{
	struct memsnap a = mem_snap(), b;

	for (int i = 0; i < 100; i++) {
		sleep_ms(10);
		b = mem_snap();
		if (b.free == a.free)
			return b;
		a = b;
	}
	return a;
}

static long mem_free_kb(void)
{
	return mem_snap().free;
}

/*
 * Frames (kB) that went missing since `before`.  Our page cache keeps the
 * pages of programs as long as their files exist (mm/pagecache.c), so its
 * growth is not a leak
 * (settle_self() makes sure it does not grow during the tests anyway).
 *
 * Reading /proc/meminfo allocates kernel objects (the open file, the text
 * state) while the numbers are taken.  The kernel heap gives empty slab
 * frames back, so whether those objects need a fresh slab frame depends on
 * how full the heap's frames happen to be: a difference of exactly one
 * frame that Slab accounts for is the reader's own, not a leak.
 */
static long mem_lost_kb(struct memsnap before, struct memsnap after)
{
	long lost = before.free - after.free;

	if (on_linux)
		return lost;
	if (before.cached >= 0 && after.cached > before.cached)
		lost -= after.cached - before.cached;
	if (before.slab >= 0 && after.slab >= 0 && (lost == 4 || lost == -4) &&
	    after.slab - before.slab == lost)
		lost = 0;
	return lost;
}

/*
 * The check run after every test: MemFree is back where it started, exactly.
 * Retries for up to a second, in case the last reaped process gives its
 * memory back asynchronously.  Skipped on Linux, where the rest of the
 * system moves MemFree by more than any margin a test could allow (another
 * program starting meanwhile takes hundreds of MiB).
 */
static void check_memory_back(struct memsnap before, const char *test)
{
	char what[200];
	struct memsnap after = mem_snap();
	double deadline = now_s() + 1.0;

	snprintf(what, sizeof what, "%s: free memory back where it started", test);
	if (on_linux) {
		skip(what, "on Linux the rest of the system moves MemFree");
		return;
	}
	if (before.free < 0 || after.free < 0) {
		check(0, what, "no MemFree in /proc/meminfo");
		return;
	}
	long lost = mem_lost_kb(before, after);
	while (lost != 0 && now_s() < deadline) {
		sleep_ms(10);
		after = mem_snap();
		lost = mem_lost_kb(before, after);
	}
	check(lost == 0, what,
	      "%ld kB missing (MemFree %ld -> %ld kB, Slab %ld -> %ld kB, Cached %ld -> %ld kB)",
	      lost, before.free, after.free, before.slab, after.slab, before.cached,
	      after.cached);
}

/* The fault counters this test looks at, from /proc/vmstat (-1: missing). */
struct counters {
	long pgfault, cow_fault, cow_copy, cow_reuse, zero_map, zero_fill, fork_copy;
};

static struct counters counters(void)
{
	char buf[4096];
	struct counters c = { -1, -1, -1, -1, -1, -1, -1 };

	if (read_file("/proc/vmstat", buf, sizeof buf) > 0) {
		c.pgfault = field(buf, "pgfault");
		c.cow_fault = field(buf, "cow_fault");
		c.cow_copy = field(buf, "cow_copy");
		c.cow_reuse = field(buf, "cow_reuse");
		c.zero_map = field(buf, "zero_map");
		c.zero_fill = field(buf, "zero_fill");
		c.fork_copy = field(buf, "fork_copy");
	}
	return c;
}

/*
 * Counters around an action: call counters_begin() just before it (it reads
 * once to make sure its own buffers are private and present, then once for
 * real), counters() just after.
 */
static struct counters counters_begin(void)
{
	counters();
	return counters();
}

/* Frame number of the page at va (0 when absent or unreadable). */
static uint64_t pfn_of(pid_t pid, const void *va)
{
	uint64_t e;

	if (pagemap_entries(pid, va, 1, &e) < 0 || !(e & PM_PRESENT))
		return 0;
	return e & PFN_MASK;
}

static long sysctl_read(const char *name)
{
	char path[128], buf[64];

	snprintf(path, sizeof path, "/proc/sys/vm/%s", name);
	if (read_file(path, buf, sizeof buf) <= 0)
		return -1;
	return strtol(buf, NULL, 10);
}

static int sysctl_write(const char *name, long value)
{
	char path[128], buf[32];

	snprintf(path, sizeof path, "/proc/sys/vm/%s", name);
	int fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	int len = snprintf(buf, sizeof buf, "%ld\n", value);
	ssize_t n = write(fd, buf, len);
	close(fd);
	return n == len ? 0 : -1;
}

static char *map_anon(size_t len)
{
	char *p = mmap(NULL, len, RW, ANON, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
#ifdef MADV_NOHUGEPAGE
	/* Linux: 4 KiB pages only, so "one zero frame" means one frame */
	if (on_linux)
		madvise(p, len, MADV_NOHUGEPAGE);
#endif
	return p;
}

static void fill_pages(char *p, size_t npages, char first)
{
	for (size_t i = 0; i < npages; i++)
		memset(p + i * PAGE, first + (int)i, PAGE);
}

/* Index of the first byte of p[0..len) that is not value, or -1. */
static long first_not(const char *p, size_t len, char value)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != value)
			return (long)i;
	return -1;
}

/* -1 if p[0..npages) holds fill_pages(first), else the first bad page. */
static long first_bad_page(const char *p, size_t npages, char first)
{
	for (size_t i = 0; i < npages; i++)
		if (first_not(p + i * PAGE, PAGE, first + (int)i) >= 0)
			return (long)i;
	return -1;
}

/* Counter checks apply on our kernel only; on Linux they do not exist. */
static int have_counters(const struct counters *c)
{
	return !on_linux && c->cow_copy >= 0;
}

/* ==== 1-3: fork shares frames; a write copies one page; the last owner reuses === */

#define SHARE_PAGES 16

static void scenario_fork_share(void *unused)
{
	(void)unused;
	uint64_t before[SHARE_PAGES], mine[SHARE_PAGES], theirs[SHARE_PAGES];
	int go[2], back[2];
	char *p = map_anon(SHARE_PAGES * PAGE);

	if (!p || pipe(go) < 0 || pipe(back) < 0) {
		check(0, "fork shares frames", "setup: %s", strerror(errno));
		return;
	}
	fill_pages(p, SHARE_PAGES, 'a');
	if (!check(pagemap_entries(0, p, SHARE_PAGES, before) == 0, "pagemap of our own pages",
		   "/proc/self/pagemap: %s", strerror(errno)))
		return;

	pid_t pid = fork();
	if (pid == 0) {
		/* child: wait for the parent to look, write one page, report */
		char c;
		struct {
			struct counters c0, c1;
			uint64_t pfn[SHARE_PAGES];
			long bad_page, bad_byte;
		} r;
		read_full(go[0], &c, 1);
		r.c0 = counters_begin();
		p[5 * PAGE + 100] = 'X';
		r.c1 = counters();
		if (pagemap_entries(0, p, SHARE_PAGES, r.pfn) < 0)
			memset(r.pfn, 0, sizeof r.pfn);
		p[5 * PAGE + 100] = 'a' + 5;
		r.bad_page = first_bad_page(p, SHARE_PAGES, 'a');
		p[5 * PAGE + 100] = 'X';
		r.bad_byte = first_not(p + 5 * PAGE + 101, PAGE - 101, 'a' + 5);
		tap_write_full(back[1], &r, sizeof r);
		read_full(go[0], &c, 1);
		_exit(0);
	}
	if (!check(pid > 0, "fork", "%s", strerror(errno)))
		return;

	/* 1: right after fork both map the same frames, each mapped twice */
	int same = pagemap_entries(0, p, SHARE_PAGES, mine) == 0 &&
		   pagemap_entries(pid, p, SHARE_PAGES, theirs) == 0;
	int i_diff = -1;
	for (int i = 0; same && i < SHARE_PAGES; i++)
		if (!(mine[i] & PM_PRESENT) || !(theirs[i] & PM_PRESENT) ||
		    (mine[i] & PFN_MASK) != (theirs[i] & PFN_MASK) ||
		    (mine[i] & PFN_MASK) != (before[i] & PFN_MASK))
			same = 0, i_diff = i;
	const char *what = "after fork, parent and child map the same frames (pagemap)";
	if (same) {
		check(1, what, "-");
	} else if (i_diff < 0) {
		check(0, what, "cannot read the pagemaps: %s", strerror(errno));
	} else {
		check(0, what, "page %d: before fork %llx, parent %llx, child %llx", i_diff,
		      (unsigned long long)(before[i_diff] & PFN_MASK),
		      (unsigned long long)(mine[i_diff] & PFN_MASK),
		      (unsigned long long)(theirs[i_diff] & PFN_MASK));
	}
	long count = frame_mapcount(before[3] & PFN_MASK);
	check(count == 2, "a shared frame is mapped twice (kpagecount 2)", "kpagecount %ld",
	      count);

	/* 2: the child writes one page: only that page is copied */
	struct {
		struct counters c0, c1;
		uint64_t pfn[SHARE_PAGES];
		long bad_page, bad_byte;
	} r;
	/* our own stack must not take copy-on-write faults while the child counts
	 * its own: write it (and the report buffer) now */
	memset(&r, 0, sizeof r);
	counters();
	tap_write_full(go[1], "g", 1);
	int got = read_full(back[0], &r, sizeof r) == (ssize_t)sizeof r;
	if (!check(got, "the child writes one page", "no report from the child"))
		return;
	int moved = 0, others_same = 1;
	for (int i = 0; i < SHARE_PAGES; i++) {
		if (i == 5)
			moved = (r.pfn[i] & PM_PRESENT) &&
				(r.pfn[i] & PFN_MASK) != (before[i] & PFN_MASK);
		else if ((r.pfn[i] & PFN_MASK) != (before[i] & PFN_MASK))
			others_same = 0;
	}
	check(moved, "the written page has a new frame in the child", "child pfn %llx, was %llx",
	      (unsigned long long)(r.pfn[5] & PFN_MASK),
	      (unsigned long long)(before[5] & PFN_MASK));
	check(others_same, "the other pages stay shared", "a page the child did not write moved");
	check(r.bad_page == -1 && r.bad_byte == -1, "the child sees its write and the old data",
	      "bad page %ld, byte %ld", r.bad_page, r.bad_byte);
	if (have_counters(&r.c0)) {
		/* the counters are the whole system's: a fault of another process
		 * (or of the child's own stack between the two reads) may add a
		 * cow_reuse or a zero fill, never a second copy */
		long faults = r.c1.cow_fault - r.c0.cow_fault, copies = r.c1.cow_copy - r.c0.cow_copy;
		long others = (r.c1.cow_reuse - r.c0.cow_reuse) + (r.c1.zero_fill - r.c0.zero_fill);
		check(copies == 1 && faults >= 1 && faults - 1 <= others,
		      "one write fault, one page copied (cow_fault, cow_copy)",
		      "cow_fault +%ld, cow_copy +%ld, cow_reuse and zero_fill +%ld", faults, copies,
		      others);
	} else {
		skip("one write fault, one page copied (cow_fault, cow_copy)",
		     "no cow_* counters");
	}
	long bad = first_bad_page(p, SHARE_PAGES, 'a');
	check(bad == -1, "the parent's data is untouched by the child's write",
	      "page %ld changed", bad);
	check(pagemap_entries(0, p, SHARE_PAGES, mine) == 0 &&
	      (mine[5] & PFN_MASK) == (before[5] & PFN_MASK),
	      "the parent keeps its frame", "pfn %llx, was %llx",
	      (unsigned long long)(mine[5] & PFN_MASK), (unsigned long long)(before[5] & PFN_MASK));
	count = frame_mapcount(before[5] & PFN_MASK);
	check(count == 1, "the copied page's old frame is now mapped once", "kpagecount %ld",
	      count);

	/* 3: the child exits; the parent, last owner, writes without a copy */
	tap_write_full(go[1], "x", 1);
	int status = tap_wait(pid);
	check(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child exits",
	      "%s", tap_status_str(status));
	count = frame_mapcount(before[0] & PFN_MASK);
	check(count == 1, "after the child exits, the parent's frames are mapped once",
	      "kpagecount %ld", count);
	struct counters c0 = counters_begin();
	p[0] = 'Z';
	struct counters c1 = counters();
	uint64_t after = pfn_of(0, p);
	if (on_linux && after != (before[0] & PFN_MASK))	/* mm/memory.c wp_can_reuse_anon_folio */
		skip("the last owner writes in place (frame unchanged)",
		     "Linux copied: it reuses only when no other CPU's LRU batch holds the page");
	else
		check(after == (before[0] & PFN_MASK),
		      "the last owner writes in place (frame unchanged)", "pfn %llx, was %llx",
		      (unsigned long long)after, (unsigned long long)(before[0] & PFN_MASK));
	if (have_counters(&c0))
		check(c1.cow_reuse - c0.cow_reuse == 1 && c1.cow_copy == c0.cow_copy,
		      "the last owner's write is a cow_reuse, not a cow_copy",
		      "cow_reuse +%ld, cow_copy +%ld", c1.cow_reuse - c0.cow_reuse,
		      c1.cow_copy - c0.cow_copy);
	else
		skip("the last owner's write is a cow_reuse, not a cow_copy", "no cow_* counters");
}

/* ==== 4-5: the zero page ================================================ */

#define ZERO_MIB 32

static void scenario_zero_page(void *unused)
{
	(void)unused;
	size_t n = ZERO_MIB * MiB / PAGE;
	uint64_t *map = (uint64_t *)map_anon(n * sizeof(uint64_t));
	char *p = map_anon(n * PAGE);

	if (!p || !map) {
		check(0, "zero page", "mmap: %s", strerror(errno));
		return;
	}
	if (linux_without_zero_page()) {
		skip("zero page", "this Linux was booted with pvm_no_zero_page=1");
		return;
	}
	memset(map, 1, n * sizeof(uint64_t));	/* our own buffer: present now */
	long free0 = mem_free_kb();
	struct counters c0 = counters_begin();
	unsigned long sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += ((volatile char *)p)[i * PAGE + (i * 64) % PAGE];
	struct counters c1 = counters();
	long free1 = mem_free_kb();

	check(sum == 0, "untouched memory reads as zeroes", "sum %lu", sum);
	int ok = pagemap_entries(0, p, n, map) == 0;
	size_t bad = 0;
	uint64_t zero = map[0] & PFN_MASK;
	for (size_t i = 0; ok && i < n; i++)
		if (!(map[i] & PM_PRESENT) || (map[i] & PFN_MASK) != zero)
			bad++;
	if (!ok)
		check(0, "reads of 32 MiB of untouched memory all map one frame", "pagemap: %s",
		      strerror(errno));
	else
		check(bad == 0 && zero != 0, "reads of 32 MiB of untouched memory all map one frame",
		      "%zu of %zu pages map another frame than %llx", bad, n,
		      (unsigned long long)zero);
	/* page tables only: 32 MiB needs 16 page-table pages and a directory */
	long drop = free0 - free1, limit = on_linux ? (long)(n * PAGE / 1024 / 8) : 4 * 64;
	check(drop <= limit, "... and MemFree barely moves",
	      "MemFree dropped by %ld kB (limit %ld kB)", drop, limit);
	if (have_counters(&c0)) {
		check(c1.zero_map - c0.zero_map == (long)n && c1.zero_fill == c0.zero_fill,
		      "every read fault was a zero_map", "zero_map +%ld, zero_fill +%ld, want +%zu, +0",
		      c1.zero_map - c0.zero_map, c1.zero_fill - c0.zero_fill, n);
		long count = frame_mapcount(zero);
		check(count >= (long)n, "the zero frame's kpagecount counts every mapping",
		      "kpagecount %ld < %zu", count, n);
	}

	/* the first write after a read: a fresh zeroed private frame */
	size_t k = 77;
	c0 = counters_begin();
	p[k * PAGE + 123] = 42;
	c1 = counters();
	uint64_t pfn = pfn_of(0, p + k * PAGE);
	check(pfn != 0 && pfn != zero, "the first write after a read gets its own frame",
	      "pfn %llx (zero frame %llx)", (unsigned long long)pfn, (unsigned long long)zero);
	p[k * PAGE + 123] = 0;
	long nz = first_not(p + k * PAGE, PAGE, 0);
	p[k * PAGE + 123] = 42;
	check(nz == -1, "... which is zeroed but for the byte written", "byte %ld is not zero", nz);
	long count = frame_mapcount(pfn);
	check(count == 1, "... private: kpagecount 1", "kpagecount %ld", count);
	check(pfn_of(0, p + (k - 1) * PAGE) == zero && pfn_of(0, p + (k + 1) * PAGE) == zero,
	      "... and its neighbours still map the zero frame", "a neighbour moved");
	if (have_counters(&c0))
		check(c1.zero_fill - c0.zero_fill == 1 && c1.cow_copy == c0.cow_copy,
		      "the write was a zero_fill, not a copy", "zero_fill +%ld, cow_copy +%ld",
		      c1.zero_fill - c0.zero_fill, c1.cow_copy - c0.cow_copy);
	munmap(p, n * PAGE);
	munmap(map, n * sizeof(uint64_t));
}

/* ==== 6: the kernel writing into a shared page (read from a pipe) ======= */

static void scenario_pipe_read(void *unused)
{
	(void)unused;
	static char ones[2 * PAGE];
	uint64_t before[2], after[2];
	int d[2];
	char *p = map_anon(2 * PAGE);

	if (!p || pipe(d) < 0) {
		check(0, "read() into a shared page", "setup: %s", strerror(errno));
		return;
	}
	memset(p, 'P', 2 * PAGE);
	memset(ones, 'C', sizeof ones);
	pagemap_entries(0, p, 2, before);
	pid_t pid = fork();
	if (pid == 0) {
		/* child: the kernel writes into both shared pages, across the boundary */
		close(d[1]);
		int bad = 0;
		if (read_full(d[0], p + PAGE / 2, PAGE) != (ssize_t)PAGE)
			bad |= 1;
		if (first_not(p, PAGE / 2, 'P') != -1 ||
		    first_not(p + PAGE / 2, PAGE, 'C') != -1 ||
		    first_not(p + 3 * PAGE / 2, PAGE / 2, 'P') != -1)
			bad |= 2;
		uint64_t now[2];
		if (pagemap_entries(0, p, 2, now) < 0 || (now[0] & PFN_MASK) == (before[0] & PFN_MASK) ||
		    (now[1] & PFN_MASK) == (before[1] & PFN_MASK))
			bad |= 4;
		_exit(bad);
	}
	close(d[0]);
	tap_write_full(d[1], ones, PAGE);
	close(d[1]);
	int status = tap_wait(pid);
	check(WIFEXITED(status) && (WEXITSTATUS(status) & 3) == 0,
	      "read() from a pipe into a shared page: the child sees the data",
	      "child %s", tap_status_str(status));
	check(WIFEXITED(status) && !(WEXITSTATUS(status) & 4),
	      "... in new frames of its own", "child %s (4: frames not copied)",
	      tap_status_str(status));
	long bad = first_not(p, 2 * PAGE, 'P');
	check(bad == -1, "... and the parent's pages are untouched", "byte %ld changed", bad);
	check(pagemap_entries(0, p, 2, after) == 0 && after[0] == before[0] && after[1] == before[1],
	      "... in the parent's frames", "parent frames moved");
	munmap(p, 2 * PAGE);
}

/* ==== 7: three generations ============================================= */

#define GEN_PAGES 12

/* What generation g sees in page i at the end: its ancestors' writes made
 * before they forked, then its own (before and after its fork). */
static unsigned gen_expect(int g, int page)
{
	unsigned v = 0;

	for (int a = 0; a <= g; a++)
		if (page >= 2 * a && page < 2 * a + 6)
			v = 0x100 + a;	/* "pre": before forking the next one */
	if (page >= 2 * g + 1 && page < 2 * g + 3)
		v = 0x200 + g;		/* "post": after forking */
	return v;
}

static void gen_write(unsigned *pages, int from, int to, unsigned v)
{
	for (int i = from; i < to && i < GEN_PAGES; i++)
		for (size_t w = 0; w < PAGE / sizeof(unsigned); w++)
			pages[i * PAGE / sizeof(unsigned) + w] = v;
}

static int gen_verify(const unsigned *pages, int g)
{
	for (int i = 0; i < GEN_PAGES; i++)
		for (size_t w = 0; w < PAGE / sizeof(unsigned); w++)
			if (pages[i * PAGE / sizeof(unsigned) + w] != gen_expect(g, i)) {
				diag("generation %d: page %d word %zu is %#x, want %#x", g, i, w,
				     pages[i * PAGE / sizeof(unsigned) + w], gen_expect(g, i));
				return 0;
			}
	return 1;
}

/* Generation g: returns a bit mask of the generations that saw wrong data. */
static int generation(unsigned *pages, int g)
{
	int bad = 0;
	pid_t child = -1;

	gen_write(pages, 2 * g, 2 * g + 6, 0x100 + g);
	if (g < 2) {
		child = fork();
		if (child == 0)
			_exit(generation(pages, g + 1));
		if (child < 0)
			bad |= 1 << 3;
	}
	gen_write(pages, 2 * g + 1, 2 * g + 3, 0x200 + g);
	sched_yield();
	if (!gen_verify(pages, g))
		bad |= 1 << g;
	if (child > 0) {
		int status = tap_wait(child);
		if (!WIFEXITED(status))
			bad |= 1 << 4;
		else
			bad |= WEXITSTATUS(status);
	}
	if (!gen_verify(pages, g))	/* again, after the descendants are gone */
		bad |= 1 << g;
	return bad;
}

static void scenario_generations(void *unused)
{
	(void)unused;
	unsigned *pages = (unsigned *)map_anon(GEN_PAGES * PAGE);

	if (!pages) {
		check(0, "three generations", "mmap: %s", strerror(errno));
		return;
	}
	int bad = generation(pages, 0);
	check(!(bad & (1 << 3 | 1 << 4)), "three generations: fork and wait work",
	      "mask %#x", bad);
	for (int g = 0; g < 3; g++) {
		char what[128];
		snprintf(what, sizeof what,
			 "three generations writing overlapping pages: generation %d sees only its own data",
			 g);
		check(!(bad & (1 << g)), what, "wrong data (see the diagnostics)");
	}
	munmap(pages, GEN_PAGES * PAGE);
}

/* ==== 8: fork-then-exec of a big process copies almost nothing ========== */

#define EXEC_MIB 64

static void scenario_fork_exec(void *unused)
{
	(void)unused;
	char *p = map_anon(EXEC_MIB * MiB);
	char *argv[] = { "true", NULL }, *envp[] = { NULL };
	char path[256];

	if (!p) {
		check(0, "fork+exec of a 64 MiB process", "mmap: %s", strerror(errno));
		return;
	}
	snprintf(path, sizeof path, "%s", tap_bin("true"));
	for (size_t off = 0; off < EXEC_MIB * MiB; off += PAGE)
		p[off] = (char)(off >> 12) | 1;
	int status = 0;
	struct counters c0 = counters_begin();
	pid_t pid = fork();
	if (pid == 0) {
		execve(path, argv, envp);
		_exit(127);
	}
	status = tap_wait(pid);
	struct counters c1 = counters();
	check(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "fork+exec /bin/true from a process with 64 MiB written",
	      "%s", pid < 0 ? strerror(errno) : tap_status_str(status));
	if (have_counters(&c0)) {
		long copied = c1.cow_copy - c0.cow_copy;
		check(copied <= 8 && c1.fork_copy == c0.fork_copy,
		      "... copies at most 8 pages (cow_copy delta)", "cow_copy +%ld, fork_copy +%ld",
		      copied, c1.fork_copy - c0.fork_copy);
		diag("fork+exec of a 64 MiB process: cow_copy +%ld, cow_fault +%ld", copied,
		     c1.cow_fault - c0.cow_fault);
	} else {
		skip("... copies at most 8 pages (cow_copy delta)", "no cow_copy counter");
	}
	size_t bad = 0;
	for (size_t off = 0; off < EXEC_MIB * MiB; off += PAGE)
		if (p[off] != ((char)(off >> 12) | 1))
			bad++;
	check(bad == 0, "... and the parent's 64 MiB are intact", "%zu pages changed", bad);
	munmap(p, EXEC_MIB * MiB);
}

/* ==== 9: a random fork tree against a model ============================= */

#define TREE_NODES 24
#define TREE_PAGES 24
#define TREE_STEPS 12
#define TREE_DEPTH 5

struct step {
	int child;		/* >= 0: fork node `child`; else write */
	int page, count;
	unsigned value;
};

struct node {
	int parent, depth, nsteps;
	struct step steps[TREE_STEPS];
	unsigned expect[TREE_PAGES];	/* the node's pages at its end */
};

static struct node tree[TREE_NODES];	/* built before any fork; only read after */
static int tree_nodes;

static uint64_t rng_state;

static uint32_t rng(void)
{
	uint64_t x = rng_state;	/* xorshift64* */

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return (uint32_t)((x * 0x2545F4914F6CDD1DULL) >> 32);
}

/* Build the tree and the model: each node's pages after its own steps. */
static void tree_plan(uint64_t seed)
{
	unsigned state[TREE_NODES][TREE_PAGES];

	rng_state = seed * 0x9E3779B97F4A7C15ULL + 1;
	memset(tree, 0, sizeof tree);
	memset(state, 0, sizeof state);
	tree_nodes = 1;
	tree[0].parent = -1;
	for (int i = 0; i < tree_nodes; i++) {
		struct node *n = &tree[i];
		n->nsteps = 3 + rng() % (TREE_STEPS - 2);
		for (int s = 0; s < n->nsteps; s++) {
			struct step *st = &n->steps[s];
			if (tree_nodes < TREE_NODES && n->depth < TREE_DEPTH &&
			    rng() % (n->depth < 2 ? 2 : 3) == 0) {
				int c = tree_nodes++;
				st->child = c;
				tree[c].parent = i;
				tree[c].depth = n->depth + 1;
				memcpy(state[c], state[i], sizeof state[c]);
			} else {
				st->child = -1;
				st->page = rng() % TREE_PAGES;
				st->count = 1 + rng() % 4;
				st->value = (unsigned)(i + 1) << 16 | (unsigned)(s + 1) << 8 | 0x5a;
				for (int k = st->page; k < st->page + st->count && k < TREE_PAGES; k++)
					state[i][k] = st->value;
			}
		}
		memcpy(n->expect, state[i], sizeof n->expect);
	}
}

static int tree_verify(const unsigned *pages, int id, const char *when)
{
	for (int i = 0; i < TREE_PAGES; i++)
		for (size_t w = 0; w < PAGE / sizeof(unsigned); w += 97)
			if (pages[i * PAGE / sizeof(unsigned) + w] != tree[id].expect[i]) {
				diag("fork tree node %d (%s): page %d word %zu is %#x, want %#x", id,
				     when, i, w, pages[i * PAGE / sizeof(unsigned) + w],
				     tree[id].expect[i]);
				return 0;
			}
	return 1;
}

/* Run node id: its steps, then check its pages; returns failures in its subtree. */
static int tree_run(unsigned *pages, int id)
{
	pid_t kids[TREE_STEPS];
	int nkids = 0, bad = 0;

	for (int s = 0; s < tree[id].nsteps; s++) {
		const struct step *st = &tree[id].steps[s];
		if (st->child >= 0) {
			pid_t pid = fork();
			if (pid == 0)
				_exit(tree_run(pages, st->child) ? 1 : 0);
			if (pid < 0) {
				diag("fork tree node %d: fork: %s", id, strerror(errno));
				bad++;
			} else {
				kids[nkids++] = pid;
			}
			if (s & 1)
				sched_yield();
			continue;
		}
		for (int k = st->page; k < st->page + st->count && k < TREE_PAGES; k++)
			for (size_t w = 0; w < PAGE / sizeof(unsigned); w++)
				pages[k * PAGE / sizeof(unsigned) + w] = st->value;
	}
	bad += !tree_verify(pages, id, "before waiting");
	for (int k = 0; k < nkids; k++) {
		int status = tap_wait(kids[k]);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			if (!WIFEXITED(status))
				diag("fork tree node %d: a child %s", id, tap_status_str(status));
			bad++;
		}
	}
	bad += !tree_verify(pages, id, "after waiting");
	return bad;
}

static void scenario_fork_tree(void *arg)
{
	uint64_t seed = (uint64_t)(uintptr_t)arg;
	unsigned *pages = (unsigned *)map_anon(TREE_PAGES * PAGE);

	if (!pages) {
		check(0, "random fork tree", "mmap: %s", strerror(errno));
		return;
	}
	tree_plan(seed);
	int bad = tree_run(pages, 0);
	char what[128];
	snprintf(what, sizeof what,
		 "random fork tree (seed %llu, %d processes): every process sees exactly its own writes",
		 (unsigned long long)seed, tree_nodes);
	check(bad == 0, what, "%d wrong views or failed children at the root (see the diagnostics)",
	      bad);
	munmap(pages, TREE_PAGES * PAGE);
}

/* ==== 10: two processes running one program share its text ============= */

/* Helper mode: print where our main's text page is, wait for stdin to close. */
int main(int argc, char **argv);

static int text_pfn_helper(void)
{
	char line[128], c;
	const void *va = (const void *)((uintptr_t)main & ~(PAGE - 1));
	uint64_t e = 0;

	pagemap_entries(0, va, 1, &e);
	int len = snprintf(line, sizeof line, "%lx %llx %llx\n", (unsigned long)(uintptr_t)va,
			   (unsigned long long)(e & PFN_MASK), (unsigned long long)e);
	tap_write_full(STDOUT_FILENO, line, len);
	while (read(STDIN_FILENO, &c, 1) > 0)
		;
	return 0;
}

static void scenario_text_share(void *unused)
{
	(void)unused;
	int to[2], from[2];
	char line[128];
	const void *va = (const void *)((uintptr_t)main & ~(PAGE - 1));

	if (pipe(to) < 0 || pipe(from) < 0) {
		check(0, "shared text", "pipe: %s", strerror(errno));
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		char *argv[] = { "test_cow", "--text-pfn", NULL };
		dup2(to[0], STDIN_FILENO);
		dup2(from[1], STDOUT_FILENO);
		close(to[0]), close(to[1]), close(from[0]), close(from[1]);
		execve(self_path, argv, environ);
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	size_t len = 0;	/* one line; the helper keeps its stdout open */
	while (len < sizeof line - 1) {
		ssize_t n = read(from[0], line + len, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || line[len++] == '\n')
			break;
	}
	line[len] = '\0';
	unsigned long their_va = 0;
	unsigned long long their_pfn = 0, their_entry = 0;
	int fields = sscanf(line, "%lx %llx %llx", &their_va, &their_pfn, &their_entry);
	uint64_t mine = 0, entry = 0;
	pagemap_entries(0, va, 1, &entry);
	mine = entry & PFN_MASK;
	uint64_t seen = fields == 3 ? pfn_of(pid, (const void *)their_va) : 0;
	if (check(fields == 3, "a second process runs this program (exec of itself)",
		  "helper %s said '%s'", self_path, line)) {
		check(mine != 0 && their_pfn == mine,
		      "two processes running one program map the same text frame",
		      "our pfn %llx, theirs %llx", (unsigned long long)mine, their_pfn);
		check(seen == mine, "... as /proc/PID/pagemap of the other process shows",
		      "pfn %llx in /proc/%d/pagemap, ours %llx", (unsigned long long)seen, (int)pid,
		      (unsigned long long)mine);
		check((entry & PM_FILE) && (their_entry & PM_FILE),
		      "... a file page (pagemap bit 61)", "entries %llx, %llx",
		      (unsigned long long)entry, their_entry);
		long count = frame_mapcount(mine);
		check(count >= 2, "... mapped at least twice (kpagecount)", "kpagecount %ld", count);
	}
	close(to[1]);
	close(from[0]);
	int status = tap_wait(pid);
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the helper exits",
	      "%s", tap_status_str(status));
}

/* ==== 11: fork of a big process with and without copy-on-write ========== */

static void scenario_fork_big(void *unused)
{
	(void)unused;
	long free_kb = mem_free_kb();
	size_t len = (size_t)free_kb * 1024 / 3 * 2 & ~(PAGE - 1);

	if (on_linux && len > 128 * MiB)
		len = 128 * MiB;	/* Linux: the point is made with less */
	char *p = map_anon(len);
	if (!check(p != NULL, "map two thirds of free memory", "mmap %zu MiB: %s", len / MiB,
		   strerror(errno)))
		return;
	for (size_t off = 0; off < len; off += PAGE)
		p[off] = 1;
	diag("a process with %zu MiB written (MemFree was %ld kB)", len / MiB, free_kb);

	pid_t pid = fork();
	if (pid == 0)
		_exit(p[len - PAGE] == 1 ? 0 : 1);
	int status = pid > 0 ? tap_wait(pid) : -1;
	check(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      on_linux ? "a process using two thirds of free memory forks" :
			 "a process using two thirds of free memory forks under cow_fork=1",
	      "%s", pid < 0 ? strerror(errno) : tap_status_str(status));
	if (on_linux || sysctl_read("cow_fork") < 0) {
		skip("... and fork fails with ENOMEM under cow_fork=0",
		     on_linux ? "Linux has no eager fork" : "no /proc/sys/vm/cow_fork");
		return;
	}
	struct memsnap m0 = mem_snap_settled();
	if (sysctl_write("cow_fork", 0) < 0) {
		check(0, "... and fork fails with ENOMEM under cow_fork=0",
		      "cannot write /proc/sys/vm/cow_fork: %s", strerror(errno));
		return;
	}
	pid = fork();
	int err = errno;
	if (pid == 0)
		_exit(0);
	sysctl_write("cow_fork", 1);
	if (pid > 0)
		tap_wait(pid);
	check(pid == -1 && err == ENOMEM, "... and fork fails with ENOMEM under cow_fork=0",
	      pid > 0 ? "fork succeeded" : "errno %d (%s)", err, strerror(err));
	check(sysctl_read("cow_fork") == 1, "cow_fork is 1 again", "cow_fork=%ld",
	      sysctl_read("cow_fork"));
	struct memsnap m1 = mem_snap_settled();
	long lost = mem_lost_kb(m0, m1);
	check(lost == 0, "the failed fork leaves no partial child (MemFree unchanged)",
	      "%ld kB missing (MemFree %ld -> %ld kB, Slab %ld -> %ld kB)", lost, m0.free, m1.free,
	      m0.slab, m1.slab);
	munmap(p, len);
}

/* ==== 12: out of memory during copy-on-write ============================ */

static void scenario_oom(void *unused)
{
	(void)unused;
	long free_kb = mem_free_kb();
	size_t len = (size_t)free_kb * 1024 / 10 * 8 & ~(PAGE - 1);
	char *p = map_anon(len);

	if (!check(p != NULL, "map 80% of free memory", "mmap %zu MiB: %s", len / MiB,
		   strerror(errno)))
		return;
	size_t n = len / PAGE;
	for (size_t i = 0; i < n; i++)
		*(size_t *)(p + i * PAGE) = i;
	diag("a process with %zu MiB written (MemFree was %ld kB) forks a child that writes it all",
	     len / MiB, free_kb);
	pid_t pid = fork();
	if (pid == 0) {
		for (size_t i = 0; i < n; i++)
			*(size_t *)(p + i * PAGE) = ~i;
		_exit(0);
	}
	int status = pid > 0 ? tap_wait(pid) : -1;
	check(pid > 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	      "out of memory during copy-on-write: the writer is killed (SIGKILL)",
	      "%s", pid < 0 ? strerror(errno) : tap_status_str(status));
	size_t bad = 0;
	for (size_t i = 0; i < n; i++)
		if (*(size_t *)(p + i * PAGE) != i)
			bad++;
	check(bad == 0, "... and the parent lives on with its data intact", "%zu pages changed",
	      bad);
	munmap(p, len);
}

/* ==== main ============================================================= */

/*
 * Make our own memory steady before measuring: every page of every mapping
 * present (writable ones written), some stack, and the programs we exec in
 * the page cache - so that later tests do not see our first touches.
 */
static void settle_self(void)
{
	static char maps[16384];
	volatile char stack[256 * 1024];

	memset((char *)stack, 0, sizeof stack);
	if (read_file("/proc/self/maps", maps, sizeof maps) > 0) {
		for (char *line = maps; line && *line;) {
			unsigned long start, end;
			char perms[8] = "";
			if (sscanf(line, "%lx-%lx %7s", &start, &end, perms) == 3 &&
			    perms[0] == 'r' && !strstr(line, "[stack]") && !strstr(line, "[v")) {
				for (unsigned long a = start; a < end; a += PAGE) {
					volatile char *q = (volatile char *)a;
					char c = *q;
					if (perms[1] == 'w')
						*q = c;
				}
			}
			line = strchr(line, '\n');
			if (line)
				line++;
		}
	}
	pid_t pid = fork();
	if (pid == 0) {
		char *argv[] = { "true", NULL }, *envp[] = { NULL };
		execve(tap_bin("true"), argv, envp);
		_exit(127);
	}
	if (pid > 0)
		tap_wait(pid);
}

struct test {
	const char *name;
	void (*fn)(void *);
	int our_kernel_only;
};

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--text-pfn"))
		return text_pfn_helper();

	on_linux = running_on_linux();
	if (argv[0] && strchr(argv[0], '/'))
		self_path = argv[0];
	else if (on_linux)
		self_path = "/proc/self/exe";
	else
		self_path = strdup(tap_bin("test_cow"));
	const char *seed_env = getenv("COW_SEED");
	uint64_t seed = seed_env ? strtoull(seed_env, NULL, 0) : 4;

	/* the switches under test must be on; remember them to put them back */
	long cow_fork = sysctl_read("cow_fork"), zero_page = sysctl_read("zero_page");
	if (!on_linux) {
		check(cow_fork >= 0 && zero_page >= 0, "/proc/sys/vm/cow_fork and zero_page exist",
		      "cow_fork=%ld zero_page=%ld", cow_fork, zero_page);
		if (cow_fork == 0)
			sysctl_write("cow_fork", 1);
		if (zero_page == 0)
			sysctl_write("zero_page", 1);
	}
	settle_self();

	const struct test tests[] = {
		{ "fork shares, a write copies one page, the last owner reuses",
		  scenario_fork_share, 0 },
		{ "zero page", scenario_zero_page, 0 },
		{ "read() into a shared page", scenario_pipe_read, 0 },
		{ "three generations", scenario_generations, 0 },
		{ "fork+exec of a 64 MiB process", scenario_fork_exec, 0 },
		{ "random fork tree", scenario_fork_tree, 0 },
		{ "shared program text", scenario_text_share, 0 },
		{ "fork of two thirds of memory", scenario_fork_big, 0 },
		{ "out of memory during copy-on-write", scenario_oom, 1 },
	};
	for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
		const struct test *t = &tests[i];
		if (t->our_kernel_only && on_linux) {
			tap_skip(t->name, "on Linux the OOM killer may pick any process");
			continue;
		}
		double t0 = now_s();
		struct memsnap before = mem_snap();
		run_worker(t->name, t->fn,
			   t->fn == scenario_fork_tree ? (void *)(uintptr_t)seed : NULL);
		if (!on_linux && sysctl_read("cow_fork") != 1)
			sysctl_write("cow_fork", 1);	/* whatever the worker did */
		check_memory_back(before, t->name);
		tap_diag("%s: %.2f s\n", t->name, now_s() - t0);
	}

	if (!on_linux) {
		if (cow_fork >= 0)
			sysctl_write("cow_fork", cow_fork);
		if (zero_page >= 0)
			sysctl_write("zero_page", zero_page);
	}
	return tap_done();
}
