/*
 * test_ptshare - fork shares the page tables and copies one on its first
 * change (mm/ptshare.c, issue 15; /proc/sys/vm/share_page_tables).  Each
 * case forks a process with several MiB written, then:
 *   - the child writes, then the parent: each sees only its own data; the
 *     child's write copies a table (table_copy), the parent's then reuses
 *     the last sharer's table in place (table_reuse);
 *   - the child's first touch of an untouched page does not appear in the
 *     parent (pagemap), and reads zeros;
 *   - munmap of a whole 2 MiB and of part of one, mprotect, and
 *     madvise(MADV_DONTNEED) in the child leave the parent's pages alone;
 *   - same-page merging (MADV_MERGEABLE, ksmd) of pages under shared tables;
 *   - exit of the child first, exit of the parent first, exec in the child:
 *     the survivor's write reuses the table (no table_copy);
 *   - a fork of a fork: three sharers, kpagecount 3;
 *   - a table that maps MAP_SHARED pages among private ones: the copy keeps
 *     them shared (the child's writes reach the parent), the rest private;
 *   - threads of the parent write while the child writes, many rounds (the
 *     guest4 suite runs it at four CPUs);
 *   - the same while another thread reads pagemap and smaps_rollup: every
 *     page stays present, Rss covers the area (a test of the readers'
 *     locking: lockdep and the audit are on in the guest suites);
 *   - the fork of a 64 MiB process allocates a handful of page-table frames
 *     with the switch on, a table per 2 MiB with it off.
 * After each case MemFree is back where it was (no frame or table leaked)
 * and /proc/kpagecount says how many processes map a sample frame (2 while
 * two share it, 1 once one side has its own copy).  The test turns
 * share_page_tables on for its cases and puts it back at the end, so it
 * checks the sharing under guest-noshare too.
 * Runs on Linux: no - it reads table_copy and table_reuse in /proc/vmstat
 * and writes /proc/sys/vm/share_page_tables, which Linux lacks
 */
#include "tap.h"

#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>

#define PAGE 4096UL
#define MiB (1UL << 20)
#define TABLE (2 * MiB)			/* what one page table maps */
#define AREA (4 * TABLE)		/* each case's written memory */
#define RW (PROT_READ | PROT_WRITE)
#define SWITCH "/proc/sys/vm/share_page_tables"

/* What a forked process saw, in a MAP_SHARED page both can read. */
struct report {
	long bad;		/* first wrong page + 1, or 0 */
	long count;		/* a kpagecount it read */
	long count2;
	long copies, reuses;	/* table_copy / table_reuse of its write */
};

static struct report *rep;

/* AREA bytes aligned to a page table (so the cases know which 2 MiB is
 * which), every page written with SALT. */
static char *map_area(size_t len, int salt)
{
	char *p = mmap(NULL, len + TABLE, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	char *a = (char *)(((uintptr_t)p + TABLE - 1) & ~(TABLE - 1));
	if (a > p)
		munmap(p, a - p);
	munmap(a + len, p + TABLE - a);
	for (size_t off = 0; off < len; off += PAGE)
		*(long *)(a + off) = (long)off ^ salt;
	return a;
}

static void write_pages(char *a, size_t from, size_t len, int salt)
{
	for (size_t off = from; off < from + len; off += PAGE)
		*(long *)(a + off) = (long)off ^ salt;
}

/* The first page of [from, from + len) not holding SALT's value, + 1; 0. */
static long bad_page(const char *a, size_t from, size_t len, int salt)
{
	for (size_t off = from; off < from + len; off += PAGE)
		if (*(const long *)(a + off) != ((long)off ^ salt))
			return (long)(off / PAGE) + 1;
	return 0;
}

/* How many processes map the page at VA (kpagecount of its frame), -1. */
static long mapcount_of(const void *va)
{
	uint64_t pfn = page_frame(0, va);

	return pfn ? frame_mapcount(pfn) : -1;
}

struct counts {
	long copies, reuses, shares;
};

/* The table counters, read twice: the first read may itself copy the
 * table of the buffer it reads into. */
static struct counts counts(void)
{
	struct counts c;

	vmstat_get("table_copy");
	c.copies = vmstat_get("table_copy");
	c.reuses = vmstat_get("table_reuse");
	c.shares = vmstat_get("table_share");
	return c;
}

/* Free memory, once it holds still for 20 ms (at several CPUs a reaped
 * process may still be giving back its last frames). */
static long settled_free_kb(void)
{
	long a = meminfo_kb("MemFree"), b;

	for (int i = 0; i < 100; i++, a = b) {
		sleep_ms(20);
		if ((b = meminfo_kb("MemFree")) == a)
			return b;
	}
	return a;
}

/* MemFree is back at BEFORE (kB), within one slab frame of the kernel heap
 * that reading /proc/meminfo may take or give back. */
static void check_memory_back(long before, const char *what)
{
	char line[160];
	long after = settled_free_kb();
	double deadline = now_s() + 2;

	while (before - after > 4 && now_s() < deadline)
		after = settled_free_kb();
	snprintf(line, sizeof line, "%s: MemFree back, no frame or table leaked", what);
	tap_check(before - after <= 4 && after - before <= 4, line, "%ld kB missing (%ld -> %ld)",
		  before - after, before, after);
}

/* Fork; the child runs FN(A) and exits with its answer (0: fine). */
static pid_t fork_run(int (*fn)(char *a), char *a)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn(a));
	return pid;
}

static int wait_ok(pid_t pid)
{
	int status = tap_wait(pid);

	return status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* ---- write in the child, then in the parent ---- */

static int child_writes(char *a)
{
	struct counts c0 = counts();
	write_pages(a, 0, PAGE, 2);
	struct counts c1 = counts();
	rep->copies = c1.copies - c0.copies;
	rep->count = mapcount_of(a);		/* its own copy: 1 */
	rep->count2 = mapcount_of(a + TABLE);	/* still shared: 2 */
	rep->bad = bad_page(a, PAGE, AREA - PAGE, 1);
	return 0;
}

static void case_write(long free0)
{
	char *a = map_area(AREA, 1);
	pid_t pid = fork_run(child_writes, a);
	int ok = wait_ok(pid);

	tap_check(ok && !rep->bad && rep->copies >= 1,
		  "write: the child's first write copies the table (table_copy) and sees its data",
		  "exit ok %d, bad page %ld, table_copy +%ld", ok, rep->bad, rep->copies);
	tap_check_long(rep->count * 10 + rep->count2, 12,
		       "write: kpagecount 1 for the child's copied page, 2 under the shared table");
	struct counts c0 = counts();
	write_pages(a, 0, PAGE, 3);
	struct counts c1 = counts();
	tap_check(c1.reuses - c0.reuses >= 1 && c1.copies == c0.copies,
		  "write: then the parent's write reuses the table in place (table_reuse)",
		  "table_reuse +%ld table_copy +%ld", c1.reuses - c0.reuses, c1.copies - c0.copies);
	tap_check(!bad_page(a, 0, PAGE, 3) && !bad_page(a, PAGE, AREA - PAGE, 1),
		  "write: the parent sees its own data, not the child's", "bad page");
	tap_check_long(mapcount_of(a + TABLE), 1, "write: kpagecount 1 once the child is gone");
	munmap(a, AREA);
	check_memory_back(free0, "write");
}

/* ---- first touch under a shared table ---- */

static int child_touches(char *a)
{
	struct counts c0 = counts();
	long v = *(volatile long *)(a + TABLE + PAGE);
	struct counts c1 = counts();
	rep->copies = c1.copies - c0.copies;
	rep->bad = v != 0;
	*(long *)(a + TABLE + 2 * PAGE) = 42;
	return 0;
}

static void case_first_touch(long free0)
{
	char *a = map_area(AREA, 1);

	munmap(a + TABLE + PAGE, 2 * PAGE);	/* a hole ... */
	mmap(a + TABLE + PAGE, 2 * PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	pid_t pid = fork_run(child_touches, a);	/* ... untouched at fork */
	int ok = wait_ok(pid);
	uint64_t pm[2] = { 1, 1 };
	pagemap_entries(0, a + TABLE + PAGE, 2, pm);
	tap_check(ok && !rep->bad && rep->copies >= 1,
		  "first touch: a read of an untouched page copies the table, reads zeros",
		  "exit ok %d, value wrong %ld, table_copy +%ld", ok, rep->bad, rep->copies);
	tap_check(!(pm[0] >> 63) && !(pm[1] >> 63) && *(long *)(a + TABLE + 2 * PAGE) == 0,
		  "first touch: the child's new pages do not appear in the parent",
		  "pagemap %llx %llx", (unsigned long long)pm[0], (unsigned long long)pm[1]);
	munmap(a, AREA);
	check_memory_back(free0, "first touch");
}

/* ---- munmap, mprotect, madvise in the child ---- */

static int child_unmaps(char *a)
{
	struct counts c0 = counts();
	munmap(a + TABLE, TABLE);			/* a whole table */
	struct counts c1 = counts();
	rep->copies = c1.copies - c0.copies;
	munmap(a + 2 * TABLE + 4 * PAGE, 8 * PAGE);	/* part of one */
	rep->bad = bad_page(a, 0, TABLE, 1) ? 1 : bad_page(a, 2 * TABLE, 4 * PAGE, 1) ? 2 :
		   bad_page(a, 2 * TABLE + 12 * PAGE, 2 * TABLE - 12 * PAGE, 1) ? 3 : 0;
	rep->count = mapcount_of(a);
	return 0;
}

/* The parent made the second 2 MiB read-only before the fork
 * (case_range); the child makes it writable again and writes it.  Its
 * entries must change in a table of its own: the memory checker
 * (/proc/sys/vm/audit) then finds no entry of the parent's more permissive
 * than the parent's read-only region. */
static int child_protects(char *a)
{
	mprotect(a + TABLE, TABLE, RW);
	rep->bad = write_file("/proc/sys/vm/audit", "1") ? 1 : bad_page(a, TABLE, TABLE, 1) ? 2 : 0;
	write_pages(a, TABLE, TABLE, 5);
	rep->count = mapcount_of(a);
	return 0;
}

static int child_discards(char *a)
{
	madvise(a + TABLE, TABLE, MADV_DONTNEED);
	rep->bad = *(long *)(a + TABLE) != 0 || *(long *)(a + 2 * TABLE - PAGE) != 0 ||
		   bad_page(a, 2 * TABLE, 2 * TABLE, 1);
	rep->count = mapcount_of(a);
	return 0;
}

static void case_range(long free0, int (*fn)(char *a), const char *what)
{
	char line[160];
	char *a = map_area(AREA, 1);

	if (fn == child_protects)
		mprotect(a + TABLE, TABLE, PROT_READ);
	int ok = wait_ok(fork_run(fn, a));
	if (fn == child_protects)
		mprotect(a + TABLE, TABLE, RW);

	snprintf(line, sizeof line, "%s in the child: it sees what it should", what);
	if (fn == child_protects)	/* checked before the parent writes, below */
		ok = ok && !bad_page(a, TABLE, TABLE, 1);
	tap_check(ok && !rep->bad, line, "exit ok %d, bad %ld", ok, rep->bad);
	if (fn == child_unmaps)
		tap_check(rep->copies == 0, "munmap of a whole 2 MiB drops the shared table, no copy",
			  "table_copy +%ld", rep->copies);
	snprintf(line, sizeof line, "%s: kpagecount 2 for a page both still share", what);
	tap_check_long(rep->count, 2, line);
	write_pages(a, 0, AREA, 6);	/* the parent's pages are all there, writable */
	snprintf(line, sizeof line, "%s: the parent's memory is untouched and writable", what);
	tap_check(!bad_page(a, 0, AREA, 6), line, "bad page");
	munmap(a, AREA);
	check_memory_back(free0, what);
}

/* ---- a table that maps MAP_SHARED pages among private ones ---- */

/* Pages of the first 2 MiB that case_mixed maps MAP_SHARED: at both ends
 * and on both sides of a 64-page boundary. */
static const int shared_at[] = { 0, 63, 64, 200, 511 };
#define NSHARED (int)(sizeof shared_at / sizeof shared_at[0])

static int child_writes_mixed(char *a)
{
	struct counts c0 = counts();
	*(long *)(a + PAGE) = 7;			/* a private page: the copy */
	struct counts c1 = counts();
	rep->copies = c1.copies - c0.copies;
	for (int i = 0; i < NSHARED; i++)
		*(long *)(a + shared_at[i] * PAGE) = 77 + i;
	rep->bad = write_file("/proc/sys/vm/audit", "1") ? 1 : bad_page(a, 2 * PAGE, 61 * PAGE, 1) ? 2 : 0;
	return 0;
}

/* The copy of a table keeps a MAP_SHARED page's entry as it is (writable,
 * the one frame both processes write) and makes every private one
 * copy-on-write: the child's writes to the shared pages reach the parent,
 * its write to a private page does not. */
static void case_mixed(long free0)
{
	char *a = map_area(AREA, 1);
	int mapped = 1;

	for (int i = 0; i < NSHARED; i++) {
		char *p = a + shared_at[i] * PAGE;
		mapped &= mmap(p, PAGE, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == p;
		*(long *)p = 1;
	}
	int ok = mapped && wait_ok(fork_run(child_writes_mixed, a));
	int seen = 0;
	for (int i = 0; i < NSHARED; i++)
		seen += *(long *)(a + shared_at[i] * PAGE) == 77 + i;
	tap_check(ok && !rep->bad && rep->copies >= 1,
		  "mixed table: the child's first write copies a table holding MAP_SHARED pages",
		  "mapped %d exit ok %d, bad %ld, table_copy +%ld", mapped, ok, rep->bad, rep->copies);
	tap_check_long(seen, NSHARED, "mixed table: the child's writes to its MAP_SHARED pages reach the parent");
	tap_check(*(long *)(a + PAGE) == ((long)PAGE ^ 1) && !bad_page(a, 2 * PAGE, 61 * PAGE, 1),
		  "mixed table: its write to a private page does not", "page 1 holds %ld",
		  *(long *)(a + PAGE));
	munmap(a, AREA);
	check_memory_back(free0, "mixed table");
}

/* ---- merging ---- */

/* The merging case's pages hold two contents only: page I holds I & 1. */
static void write_twins(char *a, size_t from, size_t len)
{
	for (size_t off = from; off < from + len; off += PAGE)
		*(long *)(a + off) = (long)(off / PAGE & 1);
}

static long bad_twin(const char *a, size_t from, size_t len)
{
	for (size_t off = from; off < from + len; off += PAGE)
		if (*(const long *)(a + off) != (long)(off / PAGE & 1))
			return (long)(off / PAGE) + 1;
	return 0;
}

static int child_merges(char *a)
{
	rep->bad = bad_twin(a, 0, AREA);
	rep->count = mapcount_of(a);	/* one frame for half the pages: many mappings */
	*(long *)a = 7;
	rep->count2 = bad_twin(a, PAGE, AREA - PAGE);
	return 0;
}

static void ksm_set(const char *name, long v)
{
	char num[24];

	snprintf(num, sizeof num, "%ld", v < 0 ? 0 : v);
	ksm_write(name, num);
}

static void case_merge(long free0)
{
	char *a = map_area(AREA, 0);
	long saved_run = ksm_get("run"), saved_scan = ksm_get("pages_to_scan");
	long saved_sleep = ksm_get("sleep_millisecs");

	write_twins(a, 0, AREA);
	madvise(a, AREA, MADV_MERGEABLE);
	pid_t holder = fork();		/* a sharer of every table while ksmd runs */
	if (holder == 0) {
		pause();
		_exit(0);
	}
	ksm_set("pages_to_scan", 5000);
	ksm_set("sleep_millisecs", 1);
	ksm_set("run", 1);
	double end = now_s() + 60;
	while (ksm_get("pages_sharing") < (long)(AREA / PAGE) && now_s() < end)
		sleep_ms(20);
	tap_check(ksm_get("pages_sharing") >= (long)(AREA / PAGE),
		  "merge: pages under shared tables merge (both processes' mappings counted)",
		  "pages_sharing %ld", ksm_get("pages_sharing"));
	pid_t pid = fork_run(child_merges, a);
	int ok = wait_ok(pid);
	tap_check(ok && !rep->bad && !rep->count2 && rep->count >= 3,
		  "merge: a third process reads the merged pages; its write copies one page only",
		  "exit ok %d, bad %ld, bad after write %ld, kpagecount %ld", ok, rep->bad,
		  rep->count2, rep->count);
	kill(holder, SIGKILL);
	tap_wait(holder);
	tap_check(!bad_twin(a, 0, AREA), "merge: the parent's pages read as they were", "bad page");
	madvise(a, AREA, MADV_UNMERGEABLE);
	tap_check_long(mapcount_of(a), 1, "merge: kpagecount 1 after MADV_UNMERGEABLE");
	ksm_set("run", 2);
	ksm_set("run", saved_run);
	ksm_set("pages_to_scan", saved_scan);
	ksm_set("sleep_millisecs", saved_sleep);
	munmap(a, AREA);
	check_memory_back(free0, "merge");
}

/* ---- exit or exec of either side first ---- */

static int child_exits(char *a)
{
	(void)a;
	return 0;
}

static int child_execs(char *a)
{
	(void)a;
	execl(tap_bin("true"), "true", (char *)NULL);
	return 99;
}

static void case_child_first(long free0, int (*fn)(char *a), const char *what)
{
	char line[160];
	char *a = map_area(AREA, 1);
	int ok = wait_ok(fork_run(fn, a));
	struct counts c0 = counts();

	write_pages(a, 0, AREA, 2);
	struct counts c1 = counts();
	snprintf(line, sizeof line, "%s: the parent's writes reuse its tables (no table_copy)",
		 what);
	tap_check(ok && c1.copies == c0.copies && c1.reuses - c0.reuses >= 4, line,
		  "exit ok %d, table_copy +%ld, table_reuse +%ld", ok, c1.copies - c0.copies,
		  c1.reuses - c0.reuses);
	munmap(a, AREA);
	check_memory_back(free0, what);
}

/* The child of a process that exits first: told to write by a pipe. */
static int orphan_writes(char *a, int fd)
{
	char c;

	if (read(fd, &c, 1) != 1)
		return 1;
	struct counts c0 = counts();
	write_pages(a, 0, AREA, 2);
	struct counts c1 = counts();
	rep->copies = c1.copies - c0.copies;
	rep->reuses = c1.reuses - c0.reuses;
	rep->count = mapcount_of(a);
	return 0;
}

static void case_parent_first(long free0)
{
	int fd[2];

	if (pipe(fd)) {
		tap_fail("parent exits first", "pipe: %s", strerror(errno));
		return;
	}
	pid_t parent = fork();
	if (parent == 0) {
		char *a = map_area(AREA, 1);
		if (fork() == 0)
			_exit(orphan_writes(a, fd[0]));
		_exit(0);	/* the parent first; its child is init's now */
	}
	int ok = wait_ok(parent);
	if (write(fd[1], "w", 1) != 1)
		ok = 0;
	for (double end = now_s() + 30; rep->count == 0 && now_s() < end;)
		sleep_ms(10);
	tap_check(ok && rep->copies == 0 && rep->reuses >= 4 && rep->count == 1,
		  "parent exits first: the child's writes reuse the tables, kpagecount 1",
		  "ok %d, table_copy +%ld, table_reuse +%ld, kpagecount %ld", ok, rep->copies,
		  rep->reuses, rep->count);
	close(fd[0]);
	close(fd[1]);
	check_memory_back(free0, "parent exits first");
}

/* ---- a fork of a fork ---- */

static int grandchild_writes(char *a)
{
	rep->count = mapcount_of(a + TABLE);	/* three sharers */
	write_pages(a, 0, PAGE, 9);
	rep->bad = bad_page(a, PAGE, AREA - PAGE, 1);
	return 0;
}

static int child_forks(char *a)
{
	int ok = wait_ok(fork_run(grandchild_writes, a));
	write_pages(a, 0, PAGE, 8);
	return ok && !bad_page(a, 0, PAGE, 8) && !bad_page(a, PAGE, AREA - PAGE, 1) ? 0 : 1;
}

static void case_fork_of_fork(long free0)
{
	char *a = map_area(AREA, 1);
	int ok = wait_ok(fork_run(child_forks, a));

	tap_check_long(rep->count, 3, "fork of a fork: kpagecount 3 while three processes share");
	tap_check(ok && !rep->bad && !bad_page(a, 0, AREA, 1),
		  "fork of a fork: each of the three writes and sees only its own data",
		  "exit ok %d, grandchild bad %ld", ok, rep->bad);
	munmap(a, AREA);
	check_memory_back(free0, "fork of a fork");
}

/* ---- threads of the parent writing while the child writes ---- */

#define THREADS 3
#define ROUNDS 20

struct writer {
	char *a;
	int n, salt;
};

/* Thread N of the parent writes every THREADS-th page from its N-th. */
static void *thread_writes(void *arg)
{
	struct writer *w = arg;

	for (size_t off = w->n * PAGE; off < AREA; off += THREADS * PAGE)
		*(long *)(w->a + off) = (long)off ^ w->salt;
	return NULL;
}

static int child_writes_all(char *a)
{
	write_pages(a, 0, AREA, 77);
	return bad_page(a, 0, AREA, 77) ? 1 : 0;
}

/* ROUNDS times: a child writes every page of A while THREADS threads of
 * the parent write it too, with salt SALT + round; the rounds in which
 * the child failed or the parent's data came out wrong. */
static int write_rounds(char *a, int salt)
{
	int bad_rounds = 0;

	for (int round = 0; round < ROUNDS; round++) {
		pthread_t t[THREADS];
		struct writer w[THREADS];
		pid_t pid = fork_run(child_writes_all, a);
		for (int i = 0; i < THREADS; i++) {
			w[i] = (struct writer){ .a = a, .n = i, .salt = salt + round };
			pthread_create(&t[i], NULL, thread_writes, &w[i]);
		}
		for (int i = 0; i < THREADS; i++)
			pthread_join(t[i], NULL);
		if (!wait_ok(pid) || bad_page(a, 0, AREA, salt + round))
			bad_rounds++;
	}
	return bad_rounds;
}

static void case_threads(long free0)
{
	char *a = map_area(AREA, 1);
	int bad_rounds = write_rounds(a, 100);

	tap_check(bad_rounds == 0,
		  "threads: the parent's threads and the child write at once, each side its own data",
		  "%d of %d rounds went wrong", bad_rounds, ROUNDS);
	munmap(a, AREA);
	check_memory_back(free0, "threads");
}

/* ---- reading pagemap and smaps while tables are copied and freed ---- */

struct reader {
	char *a;
	uint64_t *pm;		/* the area's pagemap entries */
	volatile int stop;
	long reads, bad;	/* reads, and what was wrong in them */
};

/* Read the area's pagemap and smaps_rollup (and kpagecount of its first
 * page) until told to stop: every page stays mapped throughout, so every
 * entry must say present, and Rss must cover the area, however the tables
 * below it are copied and freed. */
static void *thread_reads(void *arg)
{
	struct reader *r = arg;
	char buf[1024];

	while (!r->stop) {
		if (pagemap_entries(0, r->a, AREA / PAGE, r->pm) ||
		    read_file("/proc/self/smaps_rollup", buf, sizeof buf) <= 0) {
			r->bad++;
			break;
		}
		for (size_t i = 0; i < AREA / PAGE; i++)
			r->bad += !(r->pm[i] >> 63) || !(r->pm[i] & ((1ULL << 55) - 1));
		r->bad += kb_field(buf, "Rss") < (long)(AREA / 1024);
		frame_mapcount(r->pm[0] & ((1ULL << 55) - 1));
		r->reads++;
	}
	return NULL;
}

/* case_threads with one more thread reading pagemap and smaps meanwhile:
 * the child writes its copy of every table and exits (the last put of the
 * tables the parent copied away from), the parent's threads write (copying
 * them).  The readers take each table under the page_table_lock
 * (mm/ptshare.c, "Readers"); lockdep and the audit watch the locking. */
static void case_readers(long free0)
{
	char *a = map_area(AREA, 1);
	uint64_t *pm = mmap(NULL, AREA / PAGE * 8, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct reader r = { .a = a, .pm = pm };
	pthread_t reader;

	if (!a || pm == MAP_FAILED) {
		tap_fail("readers", "mmap: %s", strerror(errno));
		return;
	}
	pthread_create(&reader, NULL, thread_reads, &r);
	int bad_rounds = write_rounds(a, 200);
	r.stop = 1;
	pthread_join(reader, NULL);
	munmap(pm, AREA / PAGE * 8);
	tap_diag("readers: %ld reads of pagemap and smaps_rollup in %d rounds\n", r.reads, ROUNDS);
	tap_check(bad_rounds == 0 && r.bad == 0 && r.reads > 0,
		  "readers: pagemap and smaps read while tables are copied and freed: every page "
		  "present, Rss covers the area, each side its own data",
		  "%d bad rounds, %ld wrong in %ld reads", bad_rounds, r.bad, r.reads);
	munmap(a, AREA);
	check_memory_back(free0, "readers");
}

/* ---- the cost of fork: page-table frames ---- */

/* PageTables (kB) a fork of a process with 64 MiB written adds, while the
 * child waits. */
static long fork_table_kb(void)
{
	int fd[2];

	if (pipe(fd))
		return -1;
	long before = meminfo_kb("PageTables");
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		_exit(read(fd[0], &c, 1) == 1 ? 0 : 1);
	}
	long after = meminfo_kb("PageTables");
	if (write(fd[1], "x", 1) != 1)
		after = -1;
	tap_wait(pid);
	close(fd[0]);
	close(fd[1]);
	return after - before;
}

static void case_fork_cost(long free0)
{
	char *a = map_area(64 * MiB, 1);

	if (!a) {
		tap_fail("fork of 64 MiB", "mmap: %s", strerror(errno));
		return;
	}
	long on = fork_table_kb();
	write_file(SWITCH, "0");
	long off = fork_table_kb();
	write_file(SWITCH, "1");
	tap_diag("fork of 64 MiB: PageTables +%ld kB shared, +%ld kB not\n", on, off);
	tap_check(on >= 0 && on <= 16 * 4, "fork of 64 MiB with share_page_tables=1: a handful "
		  "of page-table frames", "PageTables +%ld kB", on);
	tap_check(off >= 32 * 4, "... with share_page_tables=0: a table per 2 MiB (32)",
		  "PageTables +%ld kB", off);
	munmap(a, 64 * MiB);
	check_memory_back(free0, "fork of 64 MiB");
}

static void run(void (*fn)(long free0))
{
	memset(rep, 0, sizeof *rep);
	fn(settled_free_kb());
}

static void case_munmap(long f) { case_range(f, child_unmaps, "munmap"); }
static void case_mprotect(long f) { case_range(f, child_protects, "mprotect"); }
static void case_madvise(long f) { case_range(f, child_discards, "madvise(MADV_DONTNEED)"); }
static void case_exit(long f) { case_child_first(f, child_exits, "child exits first"); }
static void case_exec(long f) { case_child_first(f, child_execs, "exec in the child"); }

int main(void)
{
	char old[8] = "1";

	if (read_file(SWITCH, old, sizeof old) <= 0 || write_file(SWITCH, "1")) {
		tap_fail("share_page_tables", "cannot read and write " SWITCH);
		return tap_done();
	}
	rep = mmap(NULL, PAGE, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (rep == MAP_FAILED) {
		tap_fail("a shared page for reports", "mmap: %s", strerror(errno));
		return tap_done();
	}
	settled_free_kb();		/* the buffers and stack this test uses, touched */
	counts();
	run(case_write);
	run(case_first_touch);
	run(case_munmap);
	run(case_mprotect);
	run(case_madvise);
	run(case_mixed);
	run(case_merge);
	run(case_exit);
	run(case_parent_first);
	run(case_exec);
	run(case_fork_of_fork);
	run(case_threads);
	run(case_readers);
	run(case_fork_cost);
	write_file(SWITCH, old);
	return tap_done();
}
