/*
 * test_mremap - mremap(2) as Linux has it (mm/mremap.c; issue 14): a mapping
 * grows in place when the addresses after it are free, moves otherwise
 * (MREMAP_MAYMOVE) or to a chosen place (MREMAP_FIXED, replacing what was
 * there), shrinks by unmapping its tail, and with MREMAP_DONTUNMAP leaves
 * the old range mapped and empty.  A move copies nothing: the moved pages
 * are the same frames (pagemap), a copy-on-write page shared with a forked
 * child stays shared until one side writes it, a file mapping keeps showing
 * its file at the same offset, /proc/self/maps and smaps describe the new
 * place, and Committed_AS follows the length.  musl's realloc of a large
 * block is an mremap.  Moving 8 MiB of written pages takes no data frame
 * (the time against a memcpy is printed).  A thread writing through the
 * old address on another CPU stops reaching the page once mremap returns
 * (the old entries were flushed from every TLB).  Merged pages (KSM) stay
 * merged when moved, and merge again with pages mapped at the old address.
 * Every error of the man page and Linux's code gets Linux's errno.  Nothing
 * leaks: MemFree is back at the end.
 *
 * Frame numbers need root on Linux (the linux suite runs as root); without
 * them those checks skip, saying so.  Committed_AS and MemFree are
 * system-wide: on Linux other processes move them, so those comparisons
 * are cowos-only (skipped on Linux, saying so); so is the merging case,
 * which would change the host's KSM settings.  Linux 6.17 and later may
 * move several mappings in one MREMAP_FIXED call; no case here depends on
 * that (cowos answers EFAULT, as Linux's vma_to_resize did before).
 * Runs on Linux: yes
 */
#include "tap.h"
#include "uapi.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#define PAGE 4096UL
#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

/* The raw system call: musl's wrapper passes new_addr only with FIXED. */
static void *mr(void *old, size_t old_len, size_t new_len, int flags, void *new_addr)
{
	return (void *)syscall(SYS_mremap, old, old_len, new_len, flags, new_addr);
}

/* N pages at a place with at least FREE_AFTER free pages above them: a
 * bigger reservation whose top is given back. */
static char *map_with_room(size_t n, size_t free_after)
{
	char *p = mmap(NULL, (n + free_after) * PAGE, RW, ANON, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	munmap(p + n * PAGE, free_after * PAGE);
	return p;
}

/* N pages with one PROT_NONE page mapped just above, so they cannot grow
 * in place (nor merge with a neighbour above). */
static char *map_blocked(size_t n)
{
	char *p = mmap(NULL, (n + 1) * PAGE, RW, ANON, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	mprotect(p + n * PAGE, PAGE, PROT_NONE);
	return p;
}

/* Write page I of P as SEED + I, in its first and last word. */
static void fill(char *p, size_t n, long seed)
{
	for (size_t i = 0; i < n; i++) {
		long *w = (long *)(p + i * PAGE);
		w[0] = seed + (long)i;
		w[PAGE / sizeof(long) - 1] = seed + (long)i;
	}
}

/* The first page of P that fill(P, N, SEED) did not leave, or -1. */
static long first_bad(const char *p, size_t n, long seed)
{
	for (size_t i = 0; i < n; i++) {
		const long *w = (const long *)(p + i * PAGE);
		if (w[0] != seed + (long)i || w[PAGE / sizeof(long) - 1] != seed + (long)i)
			return (long)i;
	}
	return -1;
}

/* True when every byte of the N pages at P reads zero. */
static bool all_zero(const char *p, size_t n)
{
	for (size_t i = 0; i < n * PAGE; i++)
		if (p[i])
			return false;
	return true;
}

/* Can this process read frame numbers (cowos; root on Linux)?  Asked of a
 * page just written. */
static bool frames_visible(void)
{
	static volatile char probe = 1;

	probe = 2;
	return page_frame(0, (const void *)&probe) != 0;
}

static bool mapped(const void *addr)
{
	struct maps_entry m;

	return maps_find(0, (unsigned long)addr, NULL, NULL, &m) == 0;
}

/* A field ("Rss", "Size") of the smaps entry that starts at ADDR, in kB;
 * -1 when there is none. */
static long smaps_kb(const void *addr, const char *field)
{
	static char buf[256 * 1024];
	char head[32];

	if (read_file("/proc/self/smaps", buf, sizeof buf) < 0)
		return -1;
	snprintf(head, sizeof head, "%lx-", (unsigned long)(uintptr_t)addr);
	for (char *s = buf; (s = strstr(s, head)) != NULL; s++)
		if (s == buf || s[-1] == '\n')
			return kb_field(s, field);
	return -1;
}

/* ---- growing and shrinking ---- */

static void case_grow_in_place(void *arg)
{
	char *p = map_with_room(4, 8);

	(void)arg;
	if (!p) {
		tap_fail("grow in place", "mmap: %s", strerror(errno));
		return;
	}
	fill(p, 4, 100);
	char *q = mr(p, 4 * PAGE, 8 * PAGE, 0, NULL);
	tap_check(q == p, "4 pages grow in place to 8 without MREMAP_MAYMOVE",
		  "got %p, want %p (%s)", q, p, q == MAP_FAILED ? strerror(errno) : "moved");
	if (q != p)
		return;
	tap_check_long(first_bad(p, 4, 100), -1, "grown in place: the old pages keep their data");
	tap_check(all_zero(p + 4 * PAGE, 4), "grown in place: the new pages read zero", "not zero");
	fill(p + 4 * PAGE, 4, 104);
	tap_check_long(first_bad(p, 8, 100), -1, "grown in place: the new pages are writable");
	struct maps_entry m;
	int found = maps_find(0, (unsigned long)p, NULL, NULL, &m);
	tap_check(found == 0 && m.start == (uintptr_t)p && m.end == (uintptr_t)(p + 8 * PAGE),
		  "grown in place: /proc/self/maps shows one region of 8 pages",
		  "found %d: %lx-%lx", found, m.start, m.end);
	tap_check_long(smaps_kb(p, "Rss"), 32, "grown in place: smaps Rss 32 kB");
}

static void case_grow_needs_move(void *arg)
{
	char *p = map_blocked(4);

	(void)arg;
	if (!p) {
		tap_fail("grow by move", "mmap: %s", strerror(errno));
		return;
	}
	fill(p, 4, 200);
	errno = 0;
	char *q = mr(p, 4 * PAGE, 8 * PAGE, 0, NULL);
	tap_check_errno(q == MAP_FAILED ? -1 : 0, errno, ENOMEM,
			"growing with the next page taken, without MREMAP_MAYMOVE -> ENOMEM");
	tap_check_long(first_bad(p, 4, 200), -1, "the failed growth left the data in place");

	uint64_t before[4], after[4];
	bool frames = frames_visible() && !page_frames(0, p, 4, before);
	q = mr(p, 4 * PAGE, 8 * PAGE, MREMAP_MAYMOVE, NULL);
	tap_check(q != MAP_FAILED && q != p, "with MREMAP_MAYMOVE the mapping moves to grow",
		  "got %p (%s)", q, q == MAP_FAILED ? strerror(errno) : "same place");
	if (q == MAP_FAILED || q == p)
		return;
	tap_check_long(first_bad(q, 4, 200), -1, "moved: the data came along");
	if (!frames)
		tap_skip("moved: the same frames", "pagemap shows no frame numbers here");
	else if (page_frames(0, q, 4, after))
		tap_fail("moved: the same frames", "pagemap: %s", strerror(errno));
	else
		tap_check(!memcmp(before, after, sizeof before),
			  "moved: the same frames, not copies (pagemap)",
			  "frame %#llx became %#llx", (unsigned long long)before[0],
			  (unsigned long long)after[0]);
	tap_check(!mapped(p), "moved: nothing is mapped at the old address any more",
		  "maps still has it");
	tap_check(mapped(p + 4 * PAGE), "moved: the page above the old range is untouched",
		  "it was unmapped");
	struct maps_entry m;
	int found = maps_find(0, (unsigned long)q, NULL, NULL, &m);
	tap_check(found == 0 && m.start == (uintptr_t)q && m.end == (uintptr_t)(q + 8 * PAGE) &&
		  !strcmp(m.perms, "rw-p"),
		  "moved: /proc/self/maps shows the new region, rw-p, 8 pages",
		  "found %d: %lx-%lx %s", found, m.start, m.end, m.perms);
	tap_check_long(smaps_kb(q, "Size"), 32, "moved: smaps Size 32 kB");
	tap_check_long(smaps_kb(q, "Rss"), 16, "moved: smaps Rss 16 kB (the 4 moved pages)");
	tap_check_long(smaps_kb(q, "Anonymous"), 16, "moved: smaps Anonymous 16 kB");
	tap_check(all_zero(q + 4 * PAGE, 4), "moved: the added pages read zero", "not zero");
}

static void case_shrink(void *arg)
{
	char *p = map_blocked(8);

	(void)arg;
	if (!p) {
		tap_fail("shrink", "mmap: %s", strerror(errno));
		return;
	}
	fill(p, 8, 300);
	char *q = mr(p, 8 * PAGE, 2 * PAGE + 1, 0, NULL);
	tap_check(q == p, "shrinking 8 pages to 3 (2 pages and a byte) stays in place",
		  "got %p (%s)", q, q == MAP_FAILED ? strerror(errno) : "moved");
	tap_check_long(first_bad(p, 3, 300), -1, "shrunk: the kept pages keep their data");
	tap_check(mapped(p + 2 * PAGE) && !mapped(p + 3 * PAGE) && !mapped(p + 7 * PAGE),
		  "shrunk: the tail is unmapped", "not as expected");
	tap_check_long(smaps_kb(p, "Rss"), 12, "shrunk: smaps Rss 12 kB");
	/* the same length: nothing to do */
	tap_check(mr(p, 3 * PAGE, 3 * PAGE, 0, NULL) == p, "the same length returns the address",
		  "%s", strerror(errno));
}

/* ---- moving ---- */

/* A FIXED move that shrinks: the old tail goes, the rest moves to LAND. */
static void fixed_shrinking(char *land)
{
	char *s = map_blocked(4);
	struct maps_entry m;

	if (!s) {
		tap_fail("a shrinking FIXED move", "mmap: %s", strerror(errno));
		return;
	}
	fill(s, 4, 500);
	char *q = mr(s, 4 * PAGE, 3 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, land);
	tap_check(q == land, "a shrinking FIXED move", "got %p (%s)", q,
		  q == MAP_FAILED ? strerror(errno) : "elsewhere");
	tap_check_long(first_bad(q, 3, 500), -1, "shrinking FIXED move: the kept pages moved");
	tap_check(!mapped(s) && !mapped(s + 3 * PAGE), "shrinking FIXED move: old range unmapped",
		  "still mapped");
	tap_check(maps_find(0, (unsigned long)q, NULL, NULL, &m) == 0 && m.start == (uintptr_t)land &&
		  m.end == (uintptr_t)(land + 3 * PAGE) && !strcmp(m.perms, "rw-p"),
		  "shrinking FIXED move: 3 pages rw-p at the target, the reservation's rest apart",
		  "%lx-%lx %s", m.start, m.end, m.perms);
}

/* Two pages out of the middle of a 6-page region, to TO. */
static void fixed_from_middle(char *to)
{
	char *r = map_blocked(6);

	if (!r) {
		tap_fail("a move out of a region's middle", "mmap: %s", strerror(errno));
		return;
	}
	fill(r, 6, 600);
	char *q = mr(r + 2 * PAGE, 2 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, to);
	tap_check(q == to && first_bad(q, 2, 602) == -1,
		  "the middle of a region moves out of it with its data", "got %p (%s)", q,
		  q == MAP_FAILED ? strerror(errno) : "bad data");
	tap_check(mapped(r + PAGE) && !mapped(r + 2 * PAGE) && !mapped(r + 3 * PAGE) &&
		  mapped(r + 4 * PAGE) && first_bad(r, 2, 600) == -1 &&
		  first_bad(r + 4 * PAGE, 2, 604) == -1,
		  "the rest of the region stays, with its data", "a hole in the wrong place");
}

static void case_fixed(void *arg)
{
	char *src = map_blocked(4), *dst = map_blocked(6);
	/* the landing places of the moves below, reserved so that nothing else is there */
	char *land = mmap(NULL, 8 * PAGE, PROT_NONE, ANON, -1, 0);
	struct maps_entry m;

	(void)arg;
	if (!src || !dst || land == MAP_FAILED) {
		tap_fail("MREMAP_FIXED", "mmap: %s", strerror(errno));
		return;
	}
	fill(src, 4, 400);
	fill(dst, 6, 900);
	char *q = mr(src, 4 * PAGE, 4 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	tap_check(q == dst, "MREMAP_FIXED moves onto an existing mapping", "got %p (%s)", q,
		  q == MAP_FAILED ? strerror(errno) : "elsewhere");
	tap_check_long(first_bad(dst, 4, 400), -1, "FIXED: the target shows the moved data");
	tap_check_long(first_bad(dst + 4 * PAGE, 2, 904), -1,
		       "FIXED: the target's pages past the new length are untouched");
	tap_check(!mapped(src), "FIXED: the old range is unmapped", "still mapped");
	tap_check(maps_find(0, (unsigned long)dst, NULL, NULL, &m) == 0 && m.end == (uintptr_t)(dst + 4 * PAGE),
		  "FIXED: maps shows the moved region ending at the new length", "ends at %lx",
		  m.end);
	fixed_shrinking(land);
	fixed_from_middle(land + 5 * PAGE);
}

static void case_dontunmap(void *arg)
{
	char *p = map_blocked(4);

	(void)arg;
	if (!p) {
		tap_fail("MREMAP_DONTUNMAP", "mmap: %s", strerror(errno));
		return;
	}
	fill(p, 4, 700);
	uint64_t before[4], after[4];
	bool frames = frames_visible() && !page_frames(0, p, 4, before);
	char *q = mr(p, 4 * PAGE, 4 * PAGE, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL);
	tap_check(q != MAP_FAILED && q != p, "MREMAP_DONTUNMAP moves the pages",
		  "got %p (%s)", q, q == MAP_FAILED ? strerror(errno) : "same place");
	if (q == MAP_FAILED || q == p)
		return;
	tap_check_long(first_bad(q, 4, 700), -1, "DONTUNMAP: the data is at the new address");
	if (!frames)
		tap_skip("DONTUNMAP: the same frames", "pagemap shows no frame numbers here");
	else
		tap_check(!page_frames(0, q, 4, after) && !memcmp(before, after, sizeof before),
			  "DONTUNMAP: the same frames moved (pagemap)", "different frames");
	struct maps_entry m;
	tap_check(maps_find(0, (unsigned long)p, NULL, NULL, &m) == 0 && m.start == (uintptr_t)p &&
		  m.end == (uintptr_t)(p + 4 * PAGE),
		  "DONTUNMAP: the old range is still mapped", "not as it was");
	tap_check(all_zero(p, 4), "DONTUNMAP: the old range reads zeros (private anonymous)",
		  "old data still there");
	tap_check_long(smaps_kb(q, "Rss"), 16, "DONTUNMAP: smaps Rss of the new range 16 kB");
}

/* The parent's and the forked child's view of a COW mapping both moved. */
struct cow_arg {
	char *land;	/* where the child moves its copy (FIXED) */
	char *p;	/* the mapping as forked */
};

static char cow_child(char cmd, void *arg)
{
	struct cow_arg *a = arg;

	switch (cmd) {
	case 'm':
		return mr(a->p, 4 * PAGE, 4 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, a->land) ==
		       a->land ? 'y' : 'n';
	case 'w':
		((long *)(a->land + PAGE))[0] = -1;
		return 'y';
	case 'c':	/* the parent's write to page 0 did not reach here */
		return ((long *)a->land)[0] == 800 && ((long *)(a->land + 2 * PAGE))[0] == 802
			       ? 'y' : 'n';
	}
	return '?';
}

/* The frames of the parent's moved pages at Q against the child's at LAND:
 * all shared before the writes, pages 0 and 1 copies after. */
static void cow_frames(pid_t child, const char *q, const char *land, bool after_writes)
{
	uint64_t mine[4], its[4];
	const char *what = after_writes
		? "after the writes pages 0 and 1 are copies, 2 and 3 still shared"
		: "moved on both sides, parent and child still map the same frames";

	if (!frames_visible()) {
		tap_skip(what, "pagemap shows no frame numbers here");
		return;
	}
	bool read = !page_frames(0, q, 4, mine) && !page_frames(child, land, 4, its);
	bool shared01 = mine[0] == its[0] && mine[1] == its[1];
	tap_check(read && mine[0] && (after_writes ? !shared01 && mine[0] != its[1] : shared01) &&
		  mine[2] == its[2] && mine[3] == its[3], what, "parent %#llx %#llx, child %#llx %#llx",
		  (unsigned long long)mine[0], (unsigned long long)mine[1],
		  (unsigned long long)its[0], (unsigned long long)its[1]);
	if (!after_writes)
		tap_check_long(read ? frame_mapcount(mine[0]) : -1, 2,
			       "kpagecount of a moved shared page is 2");
}

static void case_cow_after_fork(void *arg)
{
	struct cow_arg a = { .land = mmap(NULL, 4 * PAGE, PROT_NONE, ANON, -1, 0),
			     .p = map_blocked(4) };
	struct tap_kid kid;

	(void)arg;
	if (a.land == MAP_FAILED || !a.p) {
		tap_fail("COW after fork", "mmap: %s", strerror(errno));
		return;
	}
	fill(a.p, 4, 800);
	if (tap_kid_start(&kid, cow_child, &a)) {
		tap_fail("COW after fork", "fork: %s", strerror(errno));
		return;
	}
	char *q = mr(a.p, 4 * PAGE, 8 * PAGE, MREMAP_MAYMOVE, NULL);
	tap_check(q != MAP_FAILED && first_bad(q, 4, 800) == -1,
		  "the parent moves its copy-on-write pages after fork", "%s",
		  q == MAP_FAILED ? strerror(errno) : "bad data");
	tap_check(tap_kid_ask(&kid, 'm') == 'y', "the child moves its copy with MREMAP_FIXED",
		  "its mremap failed");
	if (q != MAP_FAILED) {
		cow_frames(kid.pid, q, a.land, false);
		((long *)q)[0] = -1;	/* the parent writes page 0 */
		tap_check(tap_kid_ask(&kid, 'c') == 'y',
			  "the parent's write to a moved shared page is not seen by the child",
			  "the child saw it");
		tap_check(tap_kid_ask(&kid, 'w') == 'y' && ((long *)(q + PAGE))[0] == 801,
			  "the child's write to a moved shared page is not seen by the parent",
			  "the parent saw %ld", ((long *)(q + PAGE))[0]);
		cow_frames(kid.pid, q, a.land, true);
	}
	tap_kid_end(&kid);
}

/* ---- a thread writing through the old address on another CPU ---- */

static volatile long *writer_target;
static volatile bool writer_faulted;
static sigjmp_buf writer_jump;

static void writer_segv(int sig)
{
	(void)sig;
	siglongjmp(writer_jump, 1);
}

/* Count up in *writer_target until the page is gone (SIGSEGV). */
static void *writer(void *arg)
{
	(void)arg;
	if (sigsetjmp(writer_jump, 1)) {
		writer_faulted = true;
		return NULL;
	}
	for (long i = 1;; i++)
		*writer_target = i;
}

/* One round: 0, or what went wrong. */
static const char *move_under_writer(void)
{
	char *p = map_blocked(1);
	pthread_t t;

	if (!p)
		return "mmap failed";
	writer_target = (volatile long *)p;
	writer_faulted = false;
	if (pthread_create(&t, NULL, writer, NULL))
		return "pthread_create failed";
	while (*writer_target < 1000)
		sched_yield();
	volatile long *q = mr(p, PAGE, 2 * PAGE, MREMAP_MAYMOVE, NULL);
	long at_return = q == MAP_FAILED ? 0 : *q;
	pthread_join(t, NULL);
	const char *why = q == MAP_FAILED ? "mremap failed"
			  : !writer_faulted ? "the writer never faulted"
			  : *q != at_return ? "a write through the old address landed after mremap returned"
			  : at_return < 1000 ? "the writer's writes before the move were lost" : NULL;
	munmap((void *)(q == MAP_FAILED ? (volatile long *)p : q), 2 * PAGE);
	munmap(p + PAGE, PAGE);
	return why;
}

static void case_writer(void *arg)
{
	struct sigaction sa = { .sa_handler = writer_segv };
	const char *why = NULL;
	int round;

	(void)arg;
	sigaction(SIGSEGV, &sa, NULL);
	for (round = 0; round < 100 && !why; round++)
		why = move_under_writer();
	tap_check(!why, "100 moves under a thread writing through the old address: its writes "
		  "stop when mremap returns (the old entries are flushed from every CPU)",
		  "round %d: %s", round, why);
}

/* ---- a file mapping ---- */

#define FILE_PAGES 6

static const char *tmp_path(const char *name)
{
	static char path[512];
	const char *dir = getenv("TMPDIR");

	snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/tmp", name);
	return path;
}

static int make_file(const char *path)
{
	static char page[PAGE];
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);

	for (int i = 0; fd >= 0 && i < FILE_PAGES; i++) {
		memset(page, 'a' + i, PAGE);
		if (pwrite(fd, page, PAGE, (off_t)i * PAGE) != (ssize_t)PAGE) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

/* Moved, its pages and then one page alone: the file and the offsets follow. */
static void file_moved(int fd)
{
	/* file pages 1 and 2, with a page of the file mapped above: no room */
	char *p = mmap(NULL, 3 * PAGE, PROT_READ, MAP_PRIVATE, fd, PAGE);
	struct maps_entry m;

	if (p == MAP_FAILED || munmap(p + 2 * PAGE, PAGE) ||
	    mmap(p + 2 * PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0) == MAP_FAILED) {
		tap_fail("a moved file mapping", "mmap: %s", strerror(errno));
		return;
	}
	tap_check(p[0] == 'b' && p[PAGE] == 'c', "a private file mapping of pages 1-2 reads them",
		  "read %c%c", p[0], p[PAGE]);
	char *q = mr(p, 2 * PAGE, 4 * PAGE, MREMAP_MAYMOVE, NULL);
	tap_check(q != MAP_FAILED && q != p, "the file mapping moves to grow", "%s",
		  q == MAP_FAILED ? strerror(errno) : "grew in place");
	if (q == MAP_FAILED)
		return;
	tap_check(q[0] == 'b' && q[PAGE] == 'c' && q[2 * PAGE] == 'd' && q[3 * PAGE] == 'e',
		  "moved: it shows file pages 1-4, the added ones from the file too",
		  "read %c%c%c%c", q[0], q[PAGE], q[2 * PAGE], q[3 * PAGE]);
	int found = maps_find(0, (unsigned long)q, NULL, NULL, &m);
	tap_check(found == 0 && m.offset == PAGE && strstr(m.path, "test_mremap.file") &&
		  !strcmp(m.perms, "r--p"),
		  "moved: maps shows the file, r--p, offset 0x1000",
		  "found %d: %s %lx %s", found, m.perms, m.offset, m.path);
	pwrite(fd, "X", 1, 2 * PAGE);
	tap_check(q[PAGE] == 'X', "moved: a write() to the file shows in the untouched page",
		  "read %c", q[PAGE]);
	char *dst = mmap(NULL, PAGE, PROT_NONE, ANON, -1, 0);
	char *r = mr(q + 2 * PAGE, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	found = r == dst ? maps_find(0, (unsigned long)r, NULL, NULL, &m) : -1;
	tap_check(found == 0 && m.offset == 3 * PAGE && r[0] == 'd',
		  "its third page moved alone shows file offset 0x3000", "%s",
		  r == MAP_FAILED ? strerror(errno) : "wrong offset or data");
}

/* Grown in place: the new pages come from the file (page 2 written "X"). */
static void file_grown(int fd)
{
	char *g = mmap(NULL, 6 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);

	if (g == MAP_FAILED || munmap(g + 2 * PAGE, 4 * PAGE)) {
		tap_fail("a file mapping grown in place", "mmap: %s", strerror(errno));
		return;
	}
	char *h = mr(g, 2 * PAGE, 4 * PAGE, 0, NULL);
	tap_check(h == g && g[2 * PAGE] == 'X' && g[3 * PAGE] == 'd',
		  "a file mapping grown in place shows the file's next pages", "%s",
		  h == MAP_FAILED ? strerror(errno) : "wrong data");
}

static void case_file(void *arg)
{
	const char *path = tmp_path("test_mremap.file");
	int fd = make_file(path);

	(void)arg;
	if (fd < 0) {
		tap_fail("a moved file mapping", "%s: %s", path, strerror(errno));
		return;
	}
	file_moved(fd);
	file_grown(fd);
	close(fd);
	unlink(path);
}

/* ---- shared memory: old_len 0 duplicates it ---- */

static void case_shared(void *arg)
{
	char *s = mmap(NULL, 2 * PAGE, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	char *land = mmap(NULL, 2 * PAGE, PROT_NONE, ANON, -1, 0);

	(void)arg;
	if (s == MAP_FAILED || land == MAP_FAILED) {
		tap_fail("shared duplicate", "mmap(MAP_SHARED|MAP_ANONYMOUS): %s", strerror(errno));
		return;
	}
	s[0] = 's';
	errno = 0;
	char *d = mr(s, 0, 2 * PAGE, 0, NULL);
	tap_check_errno(d == MAP_FAILED ? -1 : 0, errno, ENOMEM,
			"old_len 0 of a shared mapping without MREMAP_MAYMOVE -> ENOMEM");
	d = mr(s, 0, 2 * PAGE, MREMAP_MAYMOVE, NULL);
	tap_check(d != MAP_FAILED && d != s && d[0] == 's',
		  "old_len 0 of a shared mapping maps the same memory again", "%s",
		  d == MAP_FAILED ? strerror(errno) : "different contents");
	if (d == MAP_FAILED)
		return;
	d[PAGE] = 'd';
	tap_check(s[PAGE] == 'd' && s[0] == 's', "the duplicate and the original share writes",
		  "original reads %c", s[PAGE]);
	char *m = mr(s, 2 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, land);
	tap_check(m == land && m[PAGE] == 'd', "a shared mapping moves with its pages",
		  "%s", m == MAP_FAILED ? strerror(errno) : "lost its data");
	if (m != MAP_FAILED) {
		m[0] = 'm';
		tap_check(d[0] == 'm', "the moved shared mapping still shares with the duplicate",
			  "duplicate reads %c", d[0]);
	}
	char *k = mr(d, 2 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL);
	tap_check(k != MAP_FAILED && k[0] == 'm' && d[0] == 'm' && d[PAGE] == 'd',
		  "DONTUNMAP of a shared mapping: both ranges show the shared memory", "%s",
		  k == MAP_FAILED ? strerror(errno) : "the old range lost it");
}

/* A MAP_SHARED file mapping moved: its stores still reach the file. */
static void case_shared_file(void *arg)
{
	const char *path = tmp_path("test_mremap.shared");
	int fd = make_file(path);
	char buf[2] = "";

	(void)arg;
	char *land = mmap(NULL, 4 * PAGE, PROT_NONE, ANON, -1, 0);
	char *p = fd < 0 ? MAP_FAILED : mmap(NULL, 2 * PAGE, RW, MAP_SHARED, fd, 0);
	char *q = p == MAP_FAILED ? MAP_FAILED : mr(p, 2 * PAGE, 4 * PAGE, MREMAP_MAYMOVE |
						  MREMAP_FIXED, land);
	tap_check(q != MAP_FAILED && q[PAGE] == 'b' && q[3 * PAGE] == 'd',
		  "a MAP_SHARED file mapping moves and grows", "%s",
		  q == MAP_FAILED ? strerror(errno) : "wrong data");
	if (q != MAP_FAILED) {
		q[PAGE] = 'S';
		q[3 * PAGE] = 'T';
		tap_check(pread(fd, buf, 1, PAGE) == 1 && buf[0] == 'S' &&
			  pread(fd, buf + 1, 1, 3 * PAGE) == 1 && buf[1] == 'T',
			  "stores through the moved shared mapping reach the file (read)",
			  "read %c%c", buf[0], buf[1]);
		struct maps_entry m;
		tap_check(maps_find(0, (unsigned long)q, NULL, NULL, &m) == 0 && !strcmp(m.perms, "rw-s") &&
			  strstr(m.path, "test_mremap.shared"),
			  "moved: maps shows the file, rw-s", "%s %s", m.perms, m.path);
	}
	if (fd >= 0)
		close(fd);
	unlink(path);
}

/* ---- musl's realloc ---- */

static void case_realloc(void *arg)
{
	size_t small = 1 << 20, big = 8 << 20;
	char *p = malloc(small);

	(void)arg;
	if (!p) {
		tap_fail("realloc", "malloc: %s", strerror(errno));
		return;
	}
	for (size_t i = 0; i < small; i += sizeof(long))
		*(long *)(p + i) = (long)i * 7;
	uint64_t before = frames_visible() ? page_frame(0, p + PAGE) : 0;
	char *q = realloc(p, big);
	bool ok = q != NULL;
	for (size_t i = 0; ok && i < small; i += sizeof(long))
		ok = *(long *)(q + i) == (long)i * 7;
	tap_check(ok, "realloc of a 1 MiB block to 8 MiB keeps its contents", "%s",
		  q ? "contents differ" : strerror(errno));
	if (!before)
		tap_skip("realloc moved the pages, not their data", "pagemap shows no frame numbers here");
	else
		tap_check(q && page_frame(0, q + PAGE) == before,
			  "realloc moved the pages, not their data (mremap: the same frames)",
			  "frame %#llx became %#llx", (unsigned long long)before,
			  (unsigned long long)(q ? page_frame(0, q + PAGE) : 0));
	memset(q + small, 1, big - small);
	free(q);
}

/* ---- what a move costs ---- */

#define BIG_PAGES 2048	/* 8 MiB */

static void case_cost(void *arg)
{
	char *p = map_blocked(BIG_PAGES), *copy = malloc(BIG_PAGES * PAGE);

	(void)arg;
	if (!p || !copy) {
		tap_fail("the cost of a move", "mmap: %s", strerror(errno));
		return;
	}
	fill(p, BIG_PAGES, 5000);
	double t0 = now_ns();
	memcpy(copy, p, BIG_PAGES * PAGE);
	double t_copy = now_ns() - t0;
	uint64_t f0 = page_frame(0, p), f1 = page_frame(0, p + (BIG_PAGES - 1) * PAGE);
	long free0 = free_memory_kb();
	t0 = now_ns();
	char *q = mr(p, BIG_PAGES * PAGE, 2 * BIG_PAGES * PAGE, MREMAP_MAYMOVE, NULL);
	double t_move = now_ns() - t0;
	long free1 = free_memory_kb();
	tap_check(q != MAP_FAILED && first_bad(q, BIG_PAGES, 5000) == -1,
		  "8 MiB of written pages move to grow to 16 MiB, data kept", "%s",
		  q == MAP_FAILED ? strerror(errno) : "bad data");
	if (q == MAP_FAILED)
		return;
	if (!f0)
		tap_skip("8 MiB moved: the same frames", "pagemap shows no frame numbers here");
	else
		tap_check(page_frame(0, q) == f0 &&
			  page_frame(0, q + (BIG_PAGES - 1) * PAGE) == f1,
			  "8 MiB moved: the first and last page are the same frames", "frames differ");
	tap_diag("mremap moved %d written pages (8 MiB) in %.0f us; memcpy of the same 8 MiB "
		 "into fresh memory took %.0f us; MemFree %+ld kB\n", BIG_PAGES, t_move / 1000,
		 t_copy / 1000, free1 - free0);
	if (running_on_linux())
		tap_skip("the move took no data frame", "MemFree is system-wide on Linux");
	else
		tap_check(free0 - free1 <= 32, "the move took no data frame: MemFree fell by "
			  "at most 32 kB (page tables), not 8 MiB", "MemFree fell by %ld kB",
			  free0 - free1);
	munmap(q, 2 * BIG_PAGES * PAGE);
	free(copy);
}

/* ---- merged pages (mm/ksm.c) ---- */

#define KSM_PAGES 8

/* Poll until the KSM_PAGES pages at P map one frame: that frame, or 0
 * after 20 s. */
static uint64_t wait_merged(const char *p)
{
	uint64_t f[KSM_PAGES];

	for (double end = now_s() + 20; now_s() < end; sleep_ms(20)) {
		if (page_frames(0, p, KSM_PAGES, f))
			return 0;
		int same = 1;
		for (int i = 1; i < KSM_PAGES; i++)
			same &= f[i] == f[0];
		if (same && f[0])
			return f[0];
	}
	return 0;
}

static void ksm_moved(char *p)
{
	memset(p, 0x5a, KSM_PAGES * PAGE);
	madvise(p, KSM_PAGES * PAGE, MADV_MERGEABLE);
	uint64_t merged = wait_merged(p);
	tap_check(merged, "8 equal mergeable pages merge into one frame", "not within 20 s");
	if (!merged)
		return;
	char *q = mr(p, KSM_PAGES * PAGE, 2 * KSM_PAGES * PAGE, MREMAP_MAYMOVE, NULL);
	tap_check(q != MAP_FAILED && wait_merged(q) == merged && frame_mapcount(merged) == 8,
		  "moved, the 8 pages still map the merged frame, 8 times", "%s",
		  q == MAP_FAILED ? strerror(errno) : "not merged any more");
	if (q == MAP_FAILED)
		return;
	/* new mergeable pages at the old address: the scanner's items there
	 * now find other pages */
	char *o = mmap(p, KSM_PAGES * PAGE, RW, ANON | MAP_FIXED, -1, 0);
	if (o != MAP_FAILED) {
		memset(o, 0x5a, KSM_PAGES * PAGE);
		madvise(o, KSM_PAGES * PAGE, MADV_MERGEABLE);
	}
	q[0] = 1;
	tap_check(q[0] == 1 && q[1] == 0x5a && page_frame(0, q) != merged &&
		  page_frame(0, q + PAGE) == merged,
		  "a write to a moved merged page copies that page only", "frames or data wrong");
	tap_check(o != MAP_FAILED && wait_merged(o) == merged,
		  "pages mapped at the old address merge with the moved ones", "not within 20 s");
	tap_check(madvise(q, 2 * KSM_PAGES * PAGE, MADV_UNMERGEABLE) == 0 &&
		  page_frame(0, q + PAGE) != merged && q[PAGE] == 0x5a,
		  "MADV_UNMERGEABLE at the new address unmerges the moved pages", "still merged");
}

static void case_ksm(void *arg)
{
	(void)arg;
	if (running_on_linux()) {
		tap_skip("moved merged pages", "would change the host's KSM settings (test_ksm "
			 "covers merging on Linux)");
		return;
	}
	long run = ksm_get("run"), sleep = ksm_get("sleep_millisecs");
	char *p = map_blocked(KSM_PAGES);
	if (run < 0 || !p || ksm_write("sleep_millisecs", "5") || ksm_write("run", "1")) {
		tap_fail("moved merged pages", "KSM controls: %s", strerror(errno));
		return;
	}
	ksm_moved(p);
	char text[24];
	snprintf(text, sizeof text, "%ld", sleep);
	ksm_write("sleep_millisecs", text);
	snprintf(text, sizeof text, "%ld", run);
	ksm_write("run", text);
}

/* ---- errors ---- */

static void case_errors(void *arg)
{
	char *a = map_blocked(8), *b = map_blocked(4), *hole = map_with_room(2, 4);
	int MM = MREMAP_MAYMOVE;

	(void)arg;
	if (!a || !b || !hole) {
		tap_fail("errors", "mmap: %s", strerror(errno));
		return;
	}
	char *gap = hole + 2 * PAGE;	/* unmapped */
	CHECK_ERRNO(mr(a + 1, PAGE, 2 * PAGE, MM, NULL), EINVAL, "old_addr not page-aligned -> EINVAL");
	CHECK_ERRNO(mr(a, PAGE, PAGE, 8, NULL), EINVAL, "an unknown flag -> EINVAL");
	CHECK_ERRNO(mr(a, PAGE, 0, MM, NULL), EINVAL, "new_len 0 -> EINVAL");
	CHECK_ERRNO(mr(a, PAGE, PAGE, MREMAP_FIXED, b), EINVAL, "MREMAP_FIXED without MAYMOVE -> EINVAL");
	CHECK_ERRNO(mr(a, PAGE, PAGE, MREMAP_DONTUNMAP, NULL), EINVAL,
		  "MREMAP_DONTUNMAP without MAYMOVE -> EINVAL");
	CHECK_ERRNO(mr(a, PAGE, 2 * PAGE, MM | MREMAP_DONTUNMAP, NULL), EINVAL,
		  "MREMAP_DONTUNMAP with old_len != new_len -> EINVAL");
	CHECK_ERRNO(mr(a, 2 * PAGE, 2 * PAGE, MM | MREMAP_FIXED, a + PAGE), EINVAL,
		  "MREMAP_FIXED onto an overlapping range -> EINVAL");
	CHECK_ERRNO(mr(a, PAGE, PAGE, MM | MREMAP_FIXED, b + 1), EINVAL,
		  "MREMAP_FIXED new_addr not page-aligned -> EINVAL");
	CHECK_ERRNO(mr(a, PAGE, PAGE, MM | MREMAP_FIXED, (void *)0x7ffffffff000UL), EINVAL,
		  "MREMAP_FIXED past the end of user space -> EINVAL");
	CHECK_ERRNO(mr(a, PAGE, -PAGE, MM, NULL), EINVAL, "a new_len larger than user space -> EINVAL");
	CHECK_ERRNO(mr(a, -PAGE, PAGE, 0, NULL), EINVAL, "an old_len larger than user space -> EINVAL");
	CHECK_ERRNO(mr(gap, PAGE, 2 * PAGE, MM, NULL), EFAULT, "growing an unmapped range -> EFAULT");
	CHECK_ERRNO(mr(gap, 2 * PAGE, PAGE, 0, NULL), EFAULT, "shrinking an unmapped range -> EFAULT");
	CHECK_ERRNO(mr(gap, PAGE, PAGE, MM | MREMAP_FIXED, b), EFAULT,
		  "moving an unmapped range -> EFAULT");
	CHECK_ERRNO(mr(hole, 4 * PAGE, 6 * PAGE, MM, NULL), EFAULT,
		  "growing a range that runs past its mapping -> EFAULT");
	CHECK_ERRNO(mr(a, 9 * PAGE, 10 * PAGE, MM, NULL), EFAULT,
		  "growing a range over two mappings -> EFAULT");
	CHECK_ERRNO(mr(a, 0, PAGE, MM, NULL), EINVAL, "old_len 0 of a private mapping -> EINVAL");
	CHECK_ERRNO(mr(a, 8 * PAGE, 16 * PAGE, 0, NULL), ENOMEM,
		  "growing with no room and no MREMAP_MAYMOVE -> ENOMEM");
	tap_check(mapped(a) && mapped(b) && mapped(hole), "the failed calls unmapped nothing",
		  "a mapping went missing");
	/* the shrink path needs only its first page mapped, as Linux's */
	tap_check(mr(hole, 4 * PAGE, PAGE, 0, NULL) == hole && mapped(hole) && !mapped(hole + PAGE),
		  "shrinking a range that runs past its mapping unmaps the rest", "%s",
		  strerror(errno));
}

/* ---- the commit charge, and no leak ---- */

static long committed_kb(void)
{
	return meminfo_kb("Committed_AS");
}

static void case_commit(void *arg)
{
	(void)arg;
	if (running_on_linux()) {
		tap_skip("Committed_AS follows mremap", "system-wide on Linux: other processes move it");
		return;
	}
	long c0 = committed_kb();
	char *p = map_blocked(16);	/* 17 writable pages, one made PROT_NONE */
	long c1 = committed_kb();
	char *q = p ? mr(p, 16 * PAGE, 32 * PAGE, MREMAP_MAYMOVE, NULL) : MAP_FAILED;
	long c2 = committed_kb();
	tap_check(q != MAP_FAILED && c1 - c0 == 17 * 4 && c2 - c1 == 16 * 4,
		  "Committed_AS: a move from 16 to 32 pages charges the 16 added",
		  "mmap +%ld kB, mremap +%ld kB (%s)", c1 - c0, c2 - c1,
		  q == MAP_FAILED ? strerror(errno) : "moved");
	if (q == MAP_FAILED)
		return;
	mr(q, 32 * PAGE, 8 * PAGE, 0, NULL);
	long c3 = committed_kb();
	tap_check_long(c3 - c2, -24 * 4, "Committed_AS: shrinking to 8 pages gives back 24");
	char *d = mr(q, 8 * PAGE, 8 * PAGE, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL);
	long c4 = committed_kb();
	tap_check(d != MAP_FAILED && c4 - c3 == 8 * 4,
		  "Committed_AS: DONTUNMAP charges the new range, the old one stays charged",
		  "+%ld kB", c4 - c3);
	char *g = mr(q, 8 * PAGE, 12 * PAGE, 0, NULL);
	long c5 = committed_kb();
	tap_check(g == q && c5 - c4 == 4 * 4, "Committed_AS: growing in place charges the 4 added",
		  "+%ld kB (%s)", c5 - c4, g == MAP_FAILED ? strerror(errno) : "moved");
	munmap(q, 12 * PAGE);
	munmap(d, 8 * PAGE);
	munmap(p + 16 * PAGE, PAGE);
	tap_check_long(committed_kb() - c0, 0, "Committed_AS is back after munmap");
}

/* Many moves of touched pages, then munmap: every frame comes back. */
static void case_churn(void *arg)
{
	char *p = map_blocked(64);

	(void)arg;
	if (!p) {
		tap_fail("churn", "mmap: %s", strerror(errno));
		return;
	}
	fill(p, 64, 1000);
	int bad = 0;
	for (int round = 0; round < 50 && !bad; round++) {
		size_t len = (size_t)(64 + round % 3) * PAGE;
		char *q = mr(p, 64 * PAGE, len, MREMAP_MAYMOVE, NULL);
		if (q == MAP_FAILED || first_bad(q, 64, 1000) != -1)
			bad = round + 1;
		else if (len > 64 * PAGE)
			q[64 * PAGE] = 1;	/* a new page, then gone at the next shrink */
		p = q == MAP_FAILED ? p : q;
		if (!bad && mr(p, len, 64 * PAGE, 0, NULL) != p)
			bad = round + 1;
	}
	tap_check(!bad, "50 rounds of grow-by-move and shrink keep 64 pages of data",
		  "round %d failed", bad);
	munmap(p, 64 * PAGE);
}

static long free_kb_settled(void)
{
	long a = free_memory_kb(), b;

	for (int i = 0; i < 100; i++) {
		sleep_ms(10);
		if ((b = free_memory_kb()) == a)
			return b;
		a = b;
	}
	return a;
}

int main(void)
{
	long free0 = free_kb_settled();

	tap_case("grow in place", case_grow_in_place, NULL, 60);
	tap_case("grow by move", case_grow_needs_move, NULL, 60);
	tap_case("shrink", case_shrink, NULL, 60);
	tap_case("MREMAP_FIXED", case_fixed, NULL, 60);
	tap_case("MREMAP_DONTUNMAP", case_dontunmap, NULL, 60);
	tap_case("a moved COW page after fork", case_cow_after_fork, NULL, 60);
	tap_case("a thread writing through the old address", case_writer, NULL, 120);
	tap_case("a moved file mapping", case_file, NULL, 60);
	tap_case("a shared mapping", case_shared, NULL, 60);
	tap_case("a shared file mapping", case_shared_file, NULL, 60);
	tap_case("musl realloc", case_realloc, NULL, 60);
	tap_case("the cost of a move", case_cost, NULL, 120);
	tap_case("moved merged pages", case_ksm, NULL, 120);
	tap_case("errors", case_errors, NULL, 60);
	tap_case("Committed_AS", case_commit, NULL, 60);
	tap_case("churn", case_churn, NULL, 120);
	long free1 = free_kb_settled();
	if (running_on_linux())
		tap_skip("MemFree is back", "system-wide on Linux: other processes move it");
	else
		tap_check(free1 == free0, "MemFree is back after every mapping is gone",
			  "%ld kB before, %ld kB after", free0, free1);
	return tap_done();
}
