/*
 * test_cowsmp - copy-on-write under real concurrency: threads that keep
 * writing while their process forks, threads and processes faulting on one
 * shared page at the same instant, many processes forking and exiting at
 * once, and the Dirty COW race (CVE-2016-5195).  Each case runs many rounds,
 * because the bugs it looks for (a stale writable TLB entry on another CPU, a
 * lost race between two faults, a reference count changed without an atomic
 * instruction) show up only now and then.
 *
 *   a. stale TLB: three threads write increasing numbers into their own
 *      pages while the main thread forks; once fork has returned the parent
 *      reads each number and hands it to the child, whose copy must never
 *      hold a larger one (a CPU still holding a writable TLB entry for a page
 *      fork made shared would write into the child's frame).
 *   b. four threads write one copy-on-write page (its other sharer a child)
 *      at the same instant: every thread's word lands, the child still sees
 *      the old contents, and the parent ends with one new frame, mapped once
 *      (/proc/self/pagemap, /proc/kpagecount): exactly one copy per process.
 *   c. two processes sharing a page (their parent has unmapped it) write all
 *      of it at the same instant (a pipe starts both): each ends with its own
 *      frame holding its own data, no write lost.
 *   d. eight processes, each with 4 MiB written, fork children at the same
 *      time that read it all and write half of it while the parent writes a
 *      quarter; afterwards free memory and Committed_AS are back where they
 *      began.
 *   e. Dirty COW: one thread writes through /proc/self/mem into a read-only
 *      MAP_PRIVATE mapping of this program's file while another loops
 *      madvise(MADV_DONTNEED) on it: the file (read(), and a fresh mapping)
 *      keeps its bytes; the private mapping shows the written bytes or the
 *      original ones.
 *   f. a page table that fork shared is copied while other threads fault
 *      under it: the reader thread reads page Z (so its CPU may cache it
 *      through the shared table), then the main thread writes page X of the
 *      same 2 MiB (the first write copies the table) while the writer thread
 *      writes Z, after a head start that changes from round to round; once
 *      the writer says it wrote, the reader must read its value, not the
 *      frame its CPU held before the copy.  The copy's entries may start
 *      with their accessed flags clear (when the process runs on several
 *      CPUs), and cow_replace then sends no shootdown: only the copier's own
 *      flush, made before another thread may change an entry of the copy,
 *      keeps the reader's CPU from a stale translation.  With that flush
 *      made after page_table_lock was let go, this case read an old value in
 *      3 of 300 rounds in two runs of three at 4 CPUs under TCG.  Each
 *      helper has its own CPU when there are three; with fewer the case
 *      runs, yielding, but cannot race.
 * After b and c, free memory is checked to be back too (on this kernel: on
 * Linux the rest of the system moves it).  Cases a, b and e need threads:
 * without clone they fail with pthread_create's error.
 *
 * Every case runs in its own child (tap_case), so a crash or a hang fails
 * that case and the others still run.  Runs on Linux too (frame numbers in
 * pagemap need root there).
 *
 *     test_cowsmp [ROUNDS_PERCENT]   rounds scaled by ROUNDS_PERCENT (100)
 *
 * Environment: BIN (the directory holding test_cowsmp when argv[0] has no
 * slash, default /bin).
 * Runs on Linux: yes
 */
#include "tap.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>

#define PAGE 4096L
#define WORDS (PAGE / 8)
#define MiB (1024L * 1024)
#define CASE_TIMEOUT_S 300

static int on_linux, percent = 100;
static const char *self_path;

/* A case's rounds, scaled by the command line's percentage (at least 1). */
static int rounds(int n)
{
	n = n * percent / 100;
	return n > 0 ? n : 1;
}

static void *map_pages(long pages)
{
	void *p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Start n threads running fn(arg + i * stride); exits the case (a failed
 * check naming what) when one cannot be created. */
static void start_threads(pthread_t *t, int n, void *(*fn)(void *), char *arg, size_t stride,
			  const char *what)
{
	for (int i = 0; i < n; i++) {
		int err = pthread_create(&t[i], NULL, fn, arg + i * stride);
		if (err) {
			tap_fail(what, "pthread_create: %s", strerror(err));
			_exit(0);
		}
	}
}

/* ---- memory back where it began -------------------------------------- */

struct memsnap {
	long free, committed, slab;
};

static struct memsnap mem_snap(void)
{
	struct memsnap m = { free_memory_kb(), meminfo_kb("Committed_AS"), meminfo_kb("Slab") };

	return m;
}

/*
 * Free memory and Committed_AS are back where they were at `before`, all the
 * case's processes being reaped: exactly, except for kernel heap frames that
 * Slab accounts for, at most one per processor (the heap keeps a partly used
 * frame per object size, and whether reading /proc/meminfo needs a fresh one
 * depends on what the other CPUs hold at the time).  A leak of one frame per
 * fork, or one page's charge, is far above that.  Retries for a second, in
 * case freeing lags the last wait.  On Linux the rest of the system (other
 * processes, caches) moves both by megabytes: the numbers are shown, the
 * check skipped.
 */
static void check_memory_back(struct memsnap before, const char *what)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	long lost = 0, uncharged = 0, slab = 0;
	double deadline = now_s() + 1;
	int ok;

	do {
		struct memsnap after = mem_snap();
		lost = before.free - after.free;
		uncharged = after.committed - before.committed;
		slab = after.slab - before.slab;
		long heap = slab < 0 ? 0 : slab > 4 * cpus ? 4 * cpus : slab;
		ok = lost - heap <= 0 && uncharged <= 0 && after.free >= 0 && after.committed >= 0;
		if (!ok && !on_linux)
			sleep_ms(20);
	} while (!ok && !on_linux && now_s() < deadline);
	if (on_linux) {
		tap_diag("%ld kB less free (Slab %+ld kB), Committed_AS %+ld kB\n", lost, slab,
			 uncharged);
		tap_skip(what, "Linux: the rest of the system moves MemFree and Committed_AS");
		return;
	}
	tap_check(ok, what, "%ld kB less free (Slab %+ld kB), Committed_AS %+ld kB", lost, slab,
		  uncharged);
}

/* ---- a. no write after fork reaches the child ------------------------- */

#define WRITERS 3

static atomic_int stop_writing;

static void *keep_writing(void *page)
{
	volatile uint64_t *seq = page;

	for (uint64_t n = 1; !atomic_load_explicit(&stop_writing, memory_order_relaxed); n++)
		*seq = n;
	return NULL;
}

/* The child of one round: wait for the numbers the parent read after fork,
 * send back what its own copy holds. */
static void stale_tlb_child(volatile uint64_t *pages, int down, int up)
{
	uint64_t seen[WRITERS], mine[WRITERS];

	if (read_full(down, seen, sizeof seen) != sizeof seen)
		_exit(1);
	for (int i = 0; i < WRITERS; i++)
		mine[i] = pages[i * WORDS];
	_exit(tap_write_full(up, mine, sizeof mine) == sizeof mine ? 0 : 1);
}

/* One round: 0 when the child's copy is no newer than what the parent read,
 * 1 when it is, -1 when the round went wrong; *moved counts the pages whose
 * thread wrote on between the fork and the parent's read. */
static int stale_tlb_round(volatile uint64_t *pages, int down[2], int up[2], int *moved)
{
	uint64_t seen[WRITERS], mine[WRITERS];
	pid_t pid = fork();

	if (pid == 0)
		stale_tlb_child(pages, down[0], up[1]);
	if (pid < 0)
		return -1;
	for (int i = 0; i < WRITERS; i++)
		seen[i] = pages[i * WORDS];
	int ok = tap_write_full(down[1], seen, sizeof seen) == sizeof seen &&
		 read_full(up[0], mine, sizeof mine) == sizeof mine;
	int status = tap_wait(pid);
	if (!ok || status != 0)
		return -1;
	int newer = 0;
	for (int i = 0; i < WRITERS; i++) {
		newer |= mine[i] > seen[i];
		*moved += mine[i] < seen[i];
		if (mine[i] > seen[i])
			tap_diag("page %d: the child holds %llu, the parent read %llu after fork\n", i,
				 (unsigned long long)mine[i], (unsigned long long)seen[i]);
	}
	return newer;
}

static void stale_tlb(void *unused)
{
	const char *what = "a: the child never holds a write made after fork returned";
	int n = rounds(100), newer = 0, broken = 0, moved = 0, down[2], up[2], i;
	volatile uint64_t *pages = map_pages(WRITERS);
	pthread_t t[WRITERS];

	(void)unused;
	if (!pages || pipe(down) < 0 || pipe(up) < 0)
		_exit(1);
	start_threads(t, WRITERS, keep_writing, (char *)pages, PAGE, what);
	for (i = 0; i < n && !broken; i++) {
		int r = stale_tlb_round(pages, down, up, &moved);
		newer += r == 1;
		broken = r < 0;
	}
	atomic_store(&stop_writing, 1);
	for (int k = 0; k < WRITERS; k++)
		pthread_join(t[k], NULL);
	tap_diag("a: %d rounds, 3 writing threads; in %d page-rounds a thread wrote between "
		 "the fork and the parent's read\n", i, moved);
	tap_check(!broken && newer == 0 && pages[0] && pages[WORDS] && pages[2 * WORDS], what,
		  "%d of %d rounds newer in the child%s", newer, i,
		  broken ? ", a round failed (fork, pipe or child)" : "");
}

/* ---- b. threads of one process write one shared page at once ---------- */

#define SAME_PAGE_THREADS 4

static uint64_t pattern(long word)
{
	return 0x5eed000000000000ULL | (uint64_t)word;
}

static struct {
	volatile uint64_t *page;
	uint64_t value;		/* this round's base value */
	atomic_int ready, go;
} same;

/* Thread k: wait with the others, then write word k * 8 (its own cache line). */
static void *write_own_word(void *arg)
{
	long k = (long)(uintptr_t)arg;

	atomic_fetch_add(&same.ready, 1);
	while (!atomic_load(&same.go))
		sched_yield();
	same.page[k * 8] = same.value + k;
	return NULL;
}

static void fill(volatile uint64_t *page)
{
	for (long w = 0; w < WORDS; w++)
		page[w] = pattern(w);
}

/* Words of the page that are not what they should be after the threads
 * wrote (want_threads) or before (0). */
static int wrong_words(volatile uint64_t *page, int threads, uint64_t value)
{
	int wrong = 0;

	for (long w = 0; w < WORDS; w++) {
		int k = w / 8;
		uint64_t want = w % 8 == 0 && k < threads ? value + k : pattern(w);
		wrong += page[w] != want;
	}
	return wrong;
}

/* The page's sharer: answers 'c' with 0 when its copy is still the pattern. */
static char keeper(char cmd, void *page)
{
	return cmd == 'c' ? (char)(wrong_words(page, 0, 0) != 0) : 1;
}

/* Threads write the page at once; the checks of one round, as a reason or NULL. */
static const char *same_page_round(int round, char *why, size_t len)
{
	volatile uint64_t *page = map_pages(1);
	pthread_t t[SAME_PAGE_THREADS];
	struct tap_kid kid;

	if (!page)
		return "mmap failed";
	fill(page);
	uint64_t before = page_frame(0, (void *)page);
	if (tap_kid_start(&kid, keeper, (void *)page) < 0)
		return "fork failed";
	same.page = page;
	same.value = (uint64_t)round << 32;
	atomic_store(&same.ready, 0);
	atomic_store(&same.go, 0);
	start_threads(t, SAME_PAGE_THREADS, write_own_word, NULL, 1, "b: threads write one page");
	while (atomic_load(&same.ready) < SAME_PAGE_THREADS)
		sched_yield();
	atomic_store(&same.go, 1);
	for (int k = 0; k < SAME_PAGE_THREADS; k++)
		pthread_join(t[k], NULL);
	uint64_t after = page_frame(0, (void *)page), kids = page_frame(kid.pid, (void *)page);
	long mapped = frame_mapcount(after), old_mapped = frame_mapcount(before);
	int wrong = wrong_words(page, SAME_PAGE_THREADS, same.value);
	char kid_wrong = tap_kid_ask(&kid, 'c');
	int status = tap_kid_end(&kid);
	munmap((void *)page, PAGE);
	snprintf(why, len, "round %d: %d wrong words here, the child's copy %s (%s); frame %#llx "
		 "-> %#llx mapped %ld, the child's %#llx, the old one mapped %ld", round, wrong,
		 kid_wrong ? "changed" : "intact", tap_status_str(status),
		 (unsigned long long)before, (unsigned long long)after, mapped,
		 (unsigned long long)kids, old_mapped);
	int frames_ok = on_linux && !before ? 1 : after && after != before && kids == before &&
				      mapped == 1 && old_mapped == 1;
	return wrong || kid_wrong || status || !frames_ok ? why : NULL;
}

static void same_page_threads(void *unused)
{
	const char *what = "b: 4 threads write one shared page at once: every write lands, "
			   "the child keeps the old data, one new frame mapped once";
	struct memsnap before = mem_snap();
	const char *bad = NULL;
	char why[400];
	int n = rounds(100), i;

	(void)unused;
	for (i = 0; i < n && !bad; i++)
		bad = same_page_round(i, why, sizeof why);
	tap_diag("b: %d rounds of 4 threads\n", i);
	tap_check(!bad, what, "%s", bad);
	if (on_linux && !page_frame(0, &n))
		tap_diag("b: no frame numbers in pagemap (not root): frames not checked\n");
	check_memory_back(before, "b: free memory and Committed_AS back after the rounds");
}

/* ---- c. two processes write one shared page at once ------------------- */

struct written {
	uint64_t id, frame;
};

/* The children read go (the start), answer on up and wait on release. */
struct round_pipes {
	int go[2], up[2], release[2];
};

/* One of the two: wait for the start, write the whole page with id, check
 * it and say which frame it has; keep the frame until the parent has heard
 * from both (a frame freed by an exit could be the other's copy). */
static void write_whole_page(volatile uint64_t *page, uint64_t id, const struct round_pipes *p)
{
	struct written w = { id, 0 };
	char c;

	if (read(p->go[0], &c, 1) != 1)
		_exit(1);
	for (long i = 0; i < WORDS; i++)
		page[i] = id;
	int wrong = 0;
	for (long i = 0; i < WORDS; i++)
		wrong += page[i] != id;
	w.frame = page_frame(0, (void *)page);
	int told = tap_write_full(p->up[1], &w, sizeof w) == sizeof w;
	_exit(!told || read(p->release[0], &c, 1) != 1 || wrong ? 1 : 0);
}

/* One round: NULL, or what went wrong in why. *reused counts a child that
 * kept the original frame. */
static const char *two_process_round(int round, const struct round_pipes *p, int *reused,
				     char *why, size_t len)
{
	volatile uint64_t *page = map_pages(1);
	struct written w[2] = { { 0, 0 }, { 0, 0 } };
	pid_t pid[2];
	int status[2];

	if (!page)
		return "mmap failed";
	fill(page);
	uint64_t original = page_frame(0, (void *)page);
	for (int k = 0; k < 2; k++)
		if ((pid[k] = fork()) == 0)
			write_whole_page(page, 0xc0c0000000000000ULL + round * 2 + k, p);
	munmap((void *)page, PAGE);	/* the two children are the page's only sharers */
	if (pid[0] < 0 || pid[1] < 0 || write(p->go[1], "gg", 2) != 2)
		return "fork or the start pipe failed";
	ssize_t got = read_full(p->up[0], w, sizeof w);
	if (write(p->release[1], "xx", 2) != 2)
		return "the release pipe failed";
	for (int k = 0; k < 2; k++)
		status[k] = tap_wait_timeout(pid[k], 30, NULL, NULL);
	*reused += original && (w[0].frame == original || w[1].frame == original);
	snprintf(why, len, "round %d: the children's wait statuses %#x and %#x (-2: hung), "
		 "frames %#llx and %#llx", round, status[0], status[1],
		 (unsigned long long)w[0].frame, (unsigned long long)w[1].frame);
	int frames_ok = on_linux && !original ? 1 : w[0].frame && w[1].frame != w[0].frame;
	return status[0] || status[1] || got != sizeof w || w[0].id == w[1].id || !frames_ok ?
		       why : NULL;
}

static void two_processes(void *unused)
{
	const char *what = "c: two processes write one shared page at once: each has its own "
			   "frame and all of its own data";
	struct memsnap before = mem_snap();
	const char *bad = NULL;
	int n = rounds(200), reused = 0, i;
	struct round_pipes pipes;
	char why[300];

	(void)unused;
	if (pipe(pipes.go) < 0 || pipe(pipes.up) < 0 || pipe(pipes.release) < 0)
		_exit(1);
	for (i = 0; i < n && !bad; i++)
		bad = two_process_round(i, &pipes, &reused, why, sizeof why);
	tap_diag("c: %d rounds; in %d one writer kept the original frame (the other copied)\n", i,
		 reused);
	tap_check(!bad, what, "%s", bad);
	for (int k = 0; k < 2; k++)
		close(pipes.go[k]), close(pipes.up[k]), close(pipes.release[k]);
	check_memory_back(before, "c: free memory and Committed_AS back after the rounds");
}

/* ---- d. many processes fork and exit at once --------------------------- */

#define PARENTS 8
#define REGION_MIB 4
#define CHILDREN 8	/* per parent, one after another */

/* A child: every page still holds the parent's value; write every other. */
static void region_child(volatile char *region, int generation)
{
	int wrong = 0;

	for (long off = 0; off < REGION_MIB * MiB; off += PAGE) {
		wrong += region[off] != (char)(off / PAGE + generation);
		if ((off / PAGE) % 2)
			region[off] = 'c';
	}
	_exit(wrong ? 1 : 0);
}

/* A parent: write the region, then fork the children one after another,
 * writing a quarter of the region (and renumbering it) while each runs. */
static void region_parent(int children)
{
	volatile char *region = map_pages(REGION_MIB * MiB / PAGE);
	int bad = 0;

	if (!region)
		_exit(2);
	for (long off = 0; off < REGION_MIB * MiB; off += PAGE)
		region[off] = (char)(off / PAGE);
	for (int g = 0; g < children; g++) {
		pid_t pid = fork();
		if (pid == 0)
			region_child(region, g);
		for (long off = 0; off < REGION_MIB * MiB; off += 4 * PAGE)
			region[off] = 'p';
		bad += pid < 0 || tap_wait(pid) != 0;
		for (long off = 0; off < REGION_MIB * MiB; off += PAGE)
			region[off] = (char)(off / PAGE + g + 1);
	}
	_exit(bad ? 1 : 0);
}

static void fork_exit_storm(void *unused)
{
	const char *what = "d: 8 processes with 4 MiB each fork 8 children each at once: "
			   "every child and parent sees its own data";
	int children = rounds(CHILDREN), bad = 0;
	pid_t pid[PARENTS];

	(void)unused;
	mem_snap();	/* the buffers of the readers are in place before the first snapshot */
	struct memsnap before = mem_snap();
	for (int i = 0; i < PARENTS; i++)
		if ((pid[i] = fork()) == 0)
			region_parent(children);
	for (int i = 0; i < PARENTS; i++) {
		int status = pid[i] < 0 ? -1 : tap_wait_timeout(pid[i], 120, NULL, NULL);
		if (status)
			tap_diag("d: parent %d: %s\n", i,
				 status == -2 ? "still running after 120 s" : tap_status_str(status));
		bad += status != 0;
	}
	tap_diag("d: %d parents x %d children, %d MiB each\n", PARENTS, children, REGION_MIB);
	tap_check(bad == 0, what, "%d of %d parents failed", bad, PARENTS);
	check_memory_back(before, "d: free memory and Committed_AS back where they began");
}

/* ---- e. Dirty COW ----------------------------------------------------- */

#define PAYLOAD "dirty cow was here: CVE-2016-5195"
#define PAYLOAD_AT 256

static struct {
	char *map;
	int mem_fd;
	atomic_int done;
	long writes, written, advices, advice_errors;
} cow;

static void *write_through_mem(void *arg)
{
	long n = (long)(uintptr_t)arg;
	double deadline = now_s() + 20;

	for (long i = 0; i < n && now_s() < deadline; i++) {
		cow.writes++;
		cow.written += pwrite(cow.mem_fd, PAYLOAD, sizeof PAYLOAD,
				      (off_t)(uintptr_t)(cow.map + PAYLOAD_AT)) == sizeof PAYLOAD;
	}
	atomic_store(&cow.done, 1);
	return NULL;
}

static void *drop_pages(void *unused)
{
	(void)unused;
	while (!atomic_load(&cow.done)) {
		cow.advices++;
		cow.advice_errors += madvise(cow.map, PAGE, MADV_DONTNEED) != 0;
	}
	return NULL;
}

/* The first page of the file as read() sees it now, and as a fresh mapping does. */
static int file_unchanged(const char *orig)
{
	char now[PAGE];
	int fd = open(self_path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read_full(fd, now, PAGE);
	char *fresh = fd < 0 ? MAP_FAILED : mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	int same = n == PAGE && !memcmp(now, orig, PAGE) && fresh != MAP_FAILED &&
		   !memcmp(fresh, orig, PAGE);

	if (fresh != MAP_FAILED)
		munmap(fresh, PAGE);
	if (fd >= 0)
		close(fd);
	return same;
}

static void dirty_cow(void *unused)
{
	char orig[PAGE];
	pthread_t t[2];
	int fd = open(self_path, O_RDONLY), n = rounds(3000);

	(void)unused;
	cow.mem_fd = open("/proc/self/mem", O_RDWR);
	if (fd < 0 || cow.mem_fd < 0 || read_full(fd, orig, PAGE) != PAGE) {
		tap_fail("e: Dirty COW", "open %s or /proc/self/mem: %s", self_path, strerror(errno));
		return;
	}
	cow.map = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	if (cow.map == MAP_FAILED)
		_exit(1);
	start_threads(&t[1], 1, drop_pages, NULL, 0, "e: Dirty COW");
	start_threads(&t[0], 1, write_through_mem, (char *)(uintptr_t)n, 0, "e: Dirty COW");
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	tap_diag("e: %ld writes through /proc/self/mem, %ld madvise(MADV_DONTNEED)\n", cow.writes,
		 cow.advices);
	tap_check(cow.written == cow.writes && cow.writes > 0,
		  "e: every write through /proc/self/mem into the read-only private mapping succeeds",
		  "%ld of %ld", cow.written, cow.writes);
	tap_check(cow.advices > 0 && cow.advice_errors == 0, "e: madvise(MADV_DONTNEED) succeeds",
		  "%ld of %ld failed", cow.advice_errors, cow.advices);
	tap_check(file_unchanged(orig), "e: the file's bytes are unchanged (read(), a fresh mapping)",
		  "%s changed", self_path);
	const char *at = cow.map + PAYLOAD_AT;
	int shows = !memcmp(at, PAYLOAD, sizeof PAYLOAD) || !memcmp(at, orig + PAYLOAD_AT,
								    sizeof PAYLOAD);
	shows = shows && !memcmp(cow.map, orig, PAYLOAD_AT);
	tap_check(shows, "e: the private mapping shows the written bytes or the file's",
		  "neither at offset %d", PAYLOAD_AT);
}

/* ---- f. a table copy while other threads fault -------------------------- */

#define TABLE_SPAN (2 * MiB)

/* The three threads of a round: the main thread copies the table (its
 * write to X), the writer writes Z meanwhile, the reader reads Z after the
 * writer's flag.  Each helper pinned to its own CPU when there are three. */
static struct {
	volatile uint64_t *x, *z;	/* two pages of one 2 MiB */
	atomic_int phase;		/* 0 idle, 1 read Z, 2 race, 3 stop */
	atomic_int acks;		/* helpers done with the phase */
	atomic_int written;		/* the writer has written Z */
	atomic_int delay;		/* the writer's head start, in loop turns */
	uint64_t value, saw;		/* what the writer wrote, what the reader read */
	int one_cpu;			/* yield while waiting */
} tc;

/* Spin a moment; yield when the threads share fewer CPUs than they are
 * (a system call could switch page tables, and so flush the very TLB
 * entries this case is about, so only then). */
static void wait_a_moment(void)
{
	if (tc.one_cpu)
		sched_yield();
}

static void pin_to(int n)
{
	cpu_set_t set;

	if (tc.one_cpu)
		return;
	CPU_ZERO(&set);
	CPU_SET(n, &set);
	sched_setaffinity(0, sizeof set, &set);
}

/* Wait for phase N to start, after SEEN; returns it. */
static int next_phase(int seen)
{
	int phase;

	while ((phase = atomic_load(&tc.phase)) == seen)
		wait_a_moment();
	return phase;
}

static void *race_writer(void *unused)
{
	(void)unused;
	pin_to(1);
	for (int phase = 0; (phase = next_phase(phase)) != 3;) {
		if (phase == 2) {
			for (volatile int i = 0; i < atomic_load(&tc.delay); i++)
				;
			*tc.z = tc.value;	/* under the copy, or before it */
			atomic_store(&tc.written, 1);
		}
		atomic_fetch_add(&tc.acks, 1);
	}
	return NULL;
}

static void *race_reader(void *unused)
{
	(void)unused;
	pin_to(2);
	for (int phase = 0; (phase = next_phase(phase)) != 3;) {
		if (phase == 1)
			tc.saw = *tc.z;		/* this CPU may now cache Z */
		if (phase == 2) {
			while (!atomic_load(&tc.written))
				wait_a_moment();
			tc.saw = *tc.z;
		}
		atomic_fetch_add(&tc.acks, 1);
	}
	return NULL;
}

/* Start phase N; the helpers begin it at once. */
static void start_phase(int n)
{
	atomic_store(&tc.acks, 0);
	atomic_store(&tc.phase, n);
}

/* Wait until both helpers are done with the phase. */
static void wait_helpers(void)
{
	while (atomic_load(&tc.acks) != 2)
		wait_a_moment();
}

/* One round: 1 when the reader read the writer's value, 0 when an old one,
 * -1 when pipe or fork failed. */
static int race_round(int round)
{
	int hold[2];
	pid_t pid;

	if (pipe(hold) < 0)
		return -1;
	if ((pid = fork()) < 0) {
		close(hold[0]), close(hold[1]);
		return -1;
	}
	if (pid == 0) {
		char c;
		close(hold[1]);
		_exit(read(hold[0], &c, 1) < 0);	/* keeps the table shared */
	}
	tc.value = 2 * round + 2;
	atomic_store(&tc.written, 0);
	atomic_store(&tc.delay, 40 * (round % 50));
	start_phase(1);
	wait_helpers();
	start_phase(2);
	*tc.x = round;				/* the first write: the table is copied */
	wait_helpers();
	int ok = tc.saw == tc.value;
	if (!ok)
		tap_diag("f: round %d: the reader read %llu, the writer wrote %llu\n", round,
			 (unsigned long long)tc.saw, (unsigned long long)tc.value);
	start_phase(0);
	wait_helpers();
	close(hold[1]), close(hold[0]);
	tap_wait(pid);
	*tc.z = 1;				/* back to one value for the next round */
	return ok;
}

static void table_copy_race(void *unused)
{
	int n = rounds(300), stale = 0, broken = 0, i;
	char *area = map_pages(2 * TABLE_SPAN / PAGE);
	pthread_t t[2];

	(void)unused;
	if (!area)
		_exit(1);
	char *base = (char *)(((uintptr_t)area + TABLE_SPAN - 1) & ~(uintptr_t)(TABLE_SPAN - 1));
	tc.x = (volatile uint64_t *)base;
	tc.z = (volatile uint64_t *)(base + 9 * PAGE);
	*tc.x = 0, *tc.z = 1;
	tc.one_cpu = sysconf(_SC_NPROCESSORS_ONLN) < 3;
	pin_to(0);
	start_threads(&t[0], 1, race_writer, NULL, 0, "f: a table copy while threads fault");
	start_threads(&t[1], 1, race_reader, NULL, 0, "f: a table copy while threads fault");
	for (i = 0; i < n && !broken; i++) {
		int r = race_round(i);
		stale += r == 0;
		broken = r < 0;
	}
	atomic_store(&tc.phase, 3);
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	tap_check(!broken && stale == 0,
		  "f: a thread reads what another wrote while a third copied the page table",
		  "%d of %d rounds read an old value%s", stale, i, broken ? ", fork failed" : "");
}

int main(int argc, char **argv)
{
	static const struct {
		const char *what;
		void (*fn)(void *);
	} cases[] = {
		{ "a: stale TLB after fork", stale_tlb },
		{ "b: threads write one shared page", same_page_threads },
		{ "c: two processes write one shared page", two_processes },
		{ "d: many processes fork and exit", fork_exit_storm },
		{ "e: Dirty COW", dirty_cow },
		{ "f: a table copy while threads fault", table_copy_race },
	};

	on_linux = running_on_linux();
	if (argc > 1 && (percent = atoi(argv[1])) <= 0) {
		say("usage: test_cowsmp [ROUNDS_PERCENT]\n");
		return 2;
	}
	if (argv[0] && strchr(argv[0], '/'))
		self_path = argv[0];
	else
		self_path = strdup(tap_bin("test_cowsmp"));
	double t0 = now_s();
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		double t = now_s();
		tap_case(cases[i].what, cases[i].fn, NULL, CASE_TIMEOUT_S);
		tap_diag("%s: %.1f s\n", cases[i].what, now_s() - t);
	}
	tap_diag("test_cowsmp: %.1f s, %ld processors online\n", now_s() - t0,
		 sysconf(_SC_NPROCESSORS_ONLN));
	return tap_done();
}
