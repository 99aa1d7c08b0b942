/*
 * test_regions - many regions, vm.max_map_count, and fork-time advice
 * (issue 11, bug 6 and item 4).
 *
 *  - Tens of thousands of one-page mappings (alternating protections, so
 *    that Linux cannot merge them either) are created, found again,
 *    re-protected in one mprotect and unmapped in one munmap.
 *  - /proc/sys/vm/max_map_count caps the number of regions: mmap, and the
 *    splits that mprotect and munmap need, fail with ENOMEM past it.
 *  - MADV_DONTFORK: the child has no mapping there (SIGSEGV); MADV_DOFORK
 *    undoes it.  MADV_WIPEONFORK: the child reads zeros, the parent keeps its
 *    data; MADV_KEEPONFORK undoes it.  Linux's errors for bad use.
 *
 * Runs the same on Linux.
 * Runs on Linux: no - it writes /proc/sys/vm/max_map_count (the host's)
 */
#include "tap.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#define PAGE 4096UL
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define RW (PROT_READ | PROT_WRITE)
#define MAX_MAP_COUNT "/proc/sys/vm/max_map_count"
#define MANY 40000

/* Lines of /proc/self/maps: the number of regions. */
static long count_maps(void)
{
	int fd = open("/proc/self/maps", O_RDONLY);
	char buf[4096];
	long lines = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		for (ssize_t i = 0; i < n; i++)
			lines += buf[i] == '\n';
	close(fd);
	return lines;
}

static long read_long(const char *path)
{
	char buf[32];

	return read_file(path, buf, sizeof buf) > 0 ? strtol(buf, NULL, 10) : -1;
}

/* One area of N pages, each its own region: protections alternate. */
static char *map_alternating(long n)
{
	char *base = mmap(NULL, n * PAGE, PROT_READ, ANON, -1, 0);

	if (base == MAP_FAILED)
		return NULL;
	for (long i = 1; i < n; i += 2)
		if (mmap(base + i * PAGE, PAGE, RW, ANON | MAP_FIXED, -1, 0) == MAP_FAILED)
			return NULL;
	return base;
}

static void test_many_regions(void)
{
	long before = count_maps();
	char *base = map_alternating(MANY);

	if (!base) {
		tap_fail("40000 one-page regions", "mmap: %s", strerror(errno));
		return;
	}
	long now = count_maps();
	tap_check(now >= before + MANY - 1, "40000 alternating one-page mappings are separate regions",
		  "%ld regions before, %ld after", before, now);
	bool ok = true;
	for (long i = 1; i < MANY; i += 64)	/* a few written: memory stays small */
		base[i * PAGE] = (char)i;
	for (long i = 1; i < MANY && ok; i += 2)
		ok = base[i * PAGE] == (i % 64 == 1 ? (char)i : 0) && base[(i - 1) * PAGE] == 0;
	tap_check(ok, "every one of them is found again by the fault handler", "page mismatch");
	tap_check(mprotect(base, MANY * PAGE, RW) == 0, "one mprotect across 40000 regions", "%s",
		  strerror(errno));
	base[0] = 'x';
	tap_check(base[0] == 'x' && base[PAGE] == 1, "the read-only pages are writable now",
		  "reads %d %d", base[0], base[PAGE]);
	tap_check(munmap(base, MANY * PAGE) == 0 && count_maps() <= before + 1,
		  "one munmap removes them all", "%ld regions left", count_maps());
}

static void test_max_map_count(void)
{
	long limit = read_long(MAX_MAP_COUNT);
	char old[32];

	tap_check_long(limit, 65530, "vm.max_map_count is 65530 by default");
	snprintf(old, sizeof old, "%ld\n", limit);
	long have = count_maps(), room = 50;
	char text[32];
	snprintf(text, sizeof text, "%ld\n", have + room);
	if (write_file(MAX_MAP_COUNT, text)) {
		tap_fail("set vm.max_map_count", "%s", strerror(errno));
		return;
	}
	char *p[200];
	long made = 0;
	errno = 0;
	for (; made < 200; made++) {
		p[made] = mmap(NULL, PAGE, made % 2 ? RW : PROT_READ, ANON, -1, 0);
		if (p[made] == MAP_FAILED)
			break;
	}
	int err = errno;
	tap_check(made >= room - 2 && made <= room + 2 && err == ENOMEM,
		  "mmap past vm.max_map_count -> ENOMEM",
		  "%ld mappings made with room for %ld, errno %d", made, room, err);
	/* at the limit, a split of a 3-page region is refused too */
	if (made > 0)
		munmap(p[--made], PAGE);
	char *three = mmap(NULL, 3 * PAGE, RW, ANON, -1, 0);
	errno = 0;
	long r = three == MAP_FAILED ? 0 : mprotect(three + PAGE, PAGE, PROT_READ);
	tap_check_errno(r, errno, ENOMEM, "mprotect that needs two splits at the limit -> ENOMEM");
	errno = 0;
	r = three == MAP_FAILED ? 0 : munmap(three + PAGE, PAGE);
	tap_check_errno(r, errno, ENOMEM, "munmap of a region's middle at the limit -> ENOMEM");
	tap_check(three != MAP_FAILED && three[PAGE] == 0, "the region is intact after the refusals",
		  "three = %p", (void *)three);
	write_file(MAX_MAP_COUNT, old);
	for (long i = 0; i < made; i++)
		munmap(p[i], PAGE);
	if (three != MAP_FAILED)
		munmap(three, 3 * PAGE);
	errno = 0;
	tap_check(write_file(MAX_MAP_COUNT, "-1\n") && errno == EINVAL &&
		  read_long(MAX_MAP_COUNT) == limit,
		  "a negative max_map_count is refused with EINVAL", "errno %d", errno);
}

/* ---- fork-time advice ---------------------------------------------------- */

static char *adv_page;

static void child_reads(void *arg)
{
	(void)arg;
	_exit(adv_page[0] == 'P' ? 10 : adv_page[0] == 0 ? 20 : 30);
}

/* What a child reads at adv_page: 10 the parent's data, 20 zeros, or -SIG. */
static int child_sees(void)
{
	int st = tap_run_child(child_reads, NULL);

	if (WIFSIGNALED(st))
		return -WTERMSIG(st);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_fork_advice(void)
{
	adv_page = mmap(NULL, 2 * PAGE, RW, ANON, -1, 0);
	memset(adv_page, 'P', 2 * PAGE);

	tap_check(madvise(adv_page, PAGE, MADV_DONTFORK) == 0, "MADV_DONTFORK", "%s",
		  strerror(errno));
	tap_check_long(child_sees(), -SIGSEGV, "MADV_DONTFORK: the child has no mapping (SIGSEGV)");
	tap_check(adv_page[0] == 'P' && adv_page[PAGE] == 'P',
		  "MADV_DONTFORK: the parent keeps its data", "reads %d", adv_page[0]);
	madvise(adv_page, PAGE, MADV_DOFORK);
	tap_check_long(child_sees(), 10, "MADV_DOFORK: the child sees the parent's data again");

	tap_check(madvise(adv_page, PAGE, MADV_WIPEONFORK) == 0, "MADV_WIPEONFORK", "%s",
		  strerror(errno));
	tap_check_long(child_sees(), 20, "MADV_WIPEONFORK: the child reads zeros");
	tap_check(adv_page[0] == 'P', "MADV_WIPEONFORK: the parent keeps its data", "reads %d",
		  adv_page[0]);
	madvise(adv_page, PAGE, MADV_KEEPONFORK);
	tap_check_long(child_sees(), 10, "MADV_KEEPONFORK: the child sees the parent's data again");

	int fd = open("/bin/test_regions", O_RDONLY);
	char *file = fd < 0 ? MAP_FAILED : mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	errno = 0;
	long r = file == MAP_FAILED ? 0 : madvise(file, PAGE, MADV_WIPEONFORK);
	tap_check_errno(r, errno, EINVAL, "MADV_WIPEONFORK on a file mapping -> EINVAL");
	tap_check(file != MAP_FAILED && madvise(file, PAGE, MADV_DONTFORK) == 0,
		  "MADV_DONTFORK on a file mapping is allowed", "%s", strerror(errno));
	errno = 0;
	r = madvise(adv_page + 1, PAGE, MADV_DONTFORK);
	tap_check_errno(r, errno, EINVAL, "MADV_DONTFORK at an unaligned address -> EINVAL");
	munmap(adv_page + PAGE, PAGE);
	errno = 0;
	r = madvise(adv_page, 2 * PAGE, MADV_DONTFORK);
	tap_check_errno(r, errno, ENOMEM, "MADV_DONTFORK over an unmapped page -> ENOMEM");
	if (file != MAP_FAILED)
		munmap(file, PAGE);
	close(fd);
	munmap(adv_page, PAGE);
}

/* The heap after its end changed protection or advice: brk gives the new
 * part the heap's own attributes (a region of its own), as Linux does. */
static char *brk_page;

static void child_writes_brk(void *arg)
{
	(void)arg;
	brk_page[0] = 42;
	_exit(brk_page[0] == 42 ? 0 : 1);
}

static void test_brk_after_changes(void)
{
	char *b = (char *)syscall(SYS_brk, 0);
	char *base = (char *)(((uintptr_t)b + PAGE - 1) & ~(PAGE - 1));

	if ((char *)syscall(SYS_brk, base + 2 * PAGE) != base + 2 * PAGE) {
		tap_fail("brk after mprotect and MADV_DONTFORK", "brk: %s", strerror(errno));
		return;
	}
	base[0] = base[PAGE] = 1;
	mprotect(base + PAGE, PAGE, PROT_READ);
	madvise(base, PAGE, MADV_DONTFORK);
	brk_page = base + 2 * PAGE;
	tap_check((char *)syscall(SYS_brk, base + 3 * PAGE) == base + 3 * PAGE,
		  "brk grows after its end became read-only", "%s", strerror(errno));
	brk_page[0] = 7;
	tap_check(brk_page[0] == 7, "the new heap page is writable, not read-only like the old end",
		  "reads %d", brk_page[0]);
	madvise(base + PAGE, PAGE, MADV_DONTFORK);
	syscall(SYS_brk, base + 4 * PAGE);
	brk_page = base + 3 * PAGE;
	int st = tap_run_child(child_writes_brk, NULL);
	tap_check(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		  "a heap page grown after MADV_DONTFORK of the heap's end is in a fork child",
		  "%s", tap_status_str(st));
	syscall(SYS_brk, b);
}

/* Neighbours that differ only in their addresses are one region (Linux's
 * vma_merge): more one-page mappings than max_map_count allows separately,
 * and mprotect that comes back to where it was. */
static void test_merging(void)
{
	long before = count_maps(), n = 70000;
	char *lo = NULL, *hi = NULL;

	for (long i = 0; i < n; i++) {
		char *p = mmap(NULL, PAGE, RW, ANON, -1, 0);
		if (p == MAP_FAILED) {
			tap_fail("70000 one-page mappings merge", "mapping %ld: %s", i, strerror(errno));
			return;
		}
		lo = !lo || p < lo ? p : lo;
		hi = !hi || p > hi ? p : hi;
	}
	long now = count_maps();
	tap_check(now - before <= 4,
		  "70000 adjacent one-page mappings merge: more than max_map_count is possible",
		  "%ld regions before, %ld after", before, now);
	for (long i = 0; i < 1000; i++) {
		mprotect(lo + i * PAGE, PAGE, PROT_READ);
		mprotect(lo + i * PAGE, PAGE, RW);
	}
	tap_check(count_maps() == now, "mprotect away and back leaves no extra region",
		  "%ld regions, %ld before", count_maps(), now);
	munmap(lo, hi + PAGE - lo);
}

/* munmap frees the page tables it emptied: map, touch and unmap one page in
 * a new 1 GiB slot, 4000 times (each would leave a page table and a page
 * directory behind: 31 MiB). */
static void test_pagetables_freed(void)
{
	long before = meminfo_kb("PageTables");
	bool ok = true;

	for (long i = 0; i < 4000 && ok; i++) {
		char *want = (char *)(0x100000000000UL + (i << 30));
		char *p = mmap(want, PAGE, RW, ANON | MAP_FIXED, -1, 0);
		ok = p == want;
		if (ok)
			*p = 1, munmap(p, PAGE);
	}
	long grew = meminfo_kb("PageTables") - before;
	tap_check(ok && grew <= 64, "munmap frees the page tables it emptied (Linux: free_pgtables)",
		  "PageTables grew by %ld kB over 4000 map-touch-unmap rounds", grew);
}

/* A file mapping longer than the file: the last page's tail reads zero, the
 * pages after it are a bus error (SIGBUS), as on Linux. */
static char *eof_page;

static void touch_eof_page(void *arg)
{
	(void)arg;
	_exit(*(volatile char *)eof_page == 0 ? 0 : 1);
}

static void test_past_eof(void)
{
	int fd = open("/bin/true", O_RDONLY);
	struct stat st;

	if (fd < 0 || fstat(fd, &st)) {
		tap_fail("a file mapping past the end of the file", "%s", strerror(errno));
		return;
	}
	size_t pages = (st.st_size + PAGE - 1) / PAGE;
	char *p = mmap(NULL, (pages + 2) * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	tap_check(p != MAP_FAILED && p[st.st_size - 1] == p[st.st_size - 1] &&
		  (st.st_size % PAGE == 0 || p[st.st_size] == 0),
		  "the tail of the file's last page reads as zeros", "%s", strerror(errno));
	eof_page = p + pages * PAGE;
	tap_check_killed(touch_eof_page, NULL, SIGBUS, "a page wholly past the end: SIGBUS");
	munmap(p, (pages + 2) * PAGE);
	close(fd);
}

/* madvise and mprotect over a hole: Linux changes what is mapped (madvise:
 * all of it; mprotect: up to the hole), then answers ENOMEM. */
static char *hole_area;

static void write_hole_area(void *arg)
{
	(void)arg;
	hole_area[0] = 1;
	_exit(0);
}

static void test_holes(void)
{
	char *p = hole_area = mmap(NULL, 3 * PAGE, RW, ANON, -1, 0);

	memset(p, 'x', 3 * PAGE);
	munmap(p + PAGE, PAGE);
	errno = 0;
	long r = madvise(p, 3 * PAGE, MADV_DONTNEED);
	tap_check(r == -1 && errno == ENOMEM && p[0] == 0 && p[2 * PAGE] == 0,
		  "MADV_DONTNEED over a hole drops the mapped pages, then ENOMEM",
		  "returned %ld errno %d, pages read %d %d", r, errno, p[0], p[2 * PAGE]);
	errno = 0;
	r = mprotect(p, 3 * PAGE, PROT_READ);
	int st = tap_run_child(write_hole_area, NULL);
	p[2 * PAGE] = 'y';
	tap_check(r == -1 && errno == ENOMEM && WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV,
		  "mprotect over a hole changes the part before it, then ENOMEM",
		  "returned %ld errno %d, write before the hole: %s", r, errno, tap_status_str(st));
	/* a range from the last user page on into the kernel half: nothing is
	 * mapped there for the process, and the kernel's pages must not be
	 * touched (found by the fuzzer: MADV_DONTNEED dropped kernel pages) */
	char *last = (char *)0x7ffffffff000UL;
	size_t huge = 0xffffffffc0000000UL - (uintptr_t)last;	/* past the kernel image */
	static const int advice[] = { MADV_DONTNEED, MADV_UNMERGEABLE, MADV_DONTFORK,
				      MADV_WIPEONFORK, MADV_MERGEABLE, MADV_WILLNEED };
	bool all_enomem = true;
	for (size_t i = 0; i < sizeof advice / sizeof advice[0]; i++) {
		errno = 0;
		all_enomem &= madvise(last, huge, advice[i]) == -1 && errno == ENOMEM;
	}
	errno = 0;
	all_enomem &= mprotect(last, huge, PROT_READ) == -1 && errno == ENOMEM;
	tap_check(all_enomem, "madvise and mprotect from the last user page into the kernel half: "
		  "ENOMEM, and the kernel lives", "errno %d", errno);
	munmap(p, 3 * PAGE);
}

static void child_exit0(void *arg)
{
	(void)arg;
}

/* Linux's answers for hints, odd protections and out-of-range addresses,
 * and fork under a max_map_count lower than the parent's region count. */
static void test_linux_errors(void)
{
	char *p = mmap(NULL, 2 * PAGE, RW, ANON, -1, 0);

	munmap(p + PAGE, PAGE);
	tap_check(madvise(p, PAGE, MADV_HUGEPAGE) == 0 && madvise(p, PAGE, MADV_DONTDUMP) == 0 &&
		  madvise(p, PAGE, MADV_COLD) == 0, "hints (HUGEPAGE, DONTDUMP, COLD) return 0",
		  "%s", strerror(errno));
	errno = 0;
	long r = madvise(p, 2 * PAGE, MADV_WILLNEED);
	tap_check_errno(r, errno, ENOMEM, "MADV_WILLNEED over an unmapped page -> ENOMEM");
	tap_check(mprotect(p, PAGE, PROT_READ | 0x8) == 0, "mprotect accepts PROT_SEM", "%s",
		  strerror(errno));
	errno = 0;
	r = mprotect((void *)0x7ffffffff000UL, PAGE, PROT_READ);
	tap_check_errno(r, errno, ENOMEM, "mprotect of the last user page -> ENOMEM");
	munmap(p, PAGE);

	char old[32], low[32];
	read_file(MAX_MAP_COUNT, old, sizeof old);
	snprintf(low, sizeof low, "%ld\n", count_maps() / 2);
	write_file(MAX_MAP_COUNT, low);
	int st = tap_run_child(child_exit0, NULL);
	write_file(MAX_MAP_COUNT, old);
	tap_check(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		  "fork works with max_map_count below the parent's region count",
		  "%s", st == -1 ? strerror(errno) : tap_status_str(st));
}

int main(void)
{
	test_linux_errors();
	test_holes();
	test_past_eof();
	test_pagetables_freed();
	test_merging();
	test_brk_after_changes();
	test_fork_advice();
	test_max_map_count();
	test_many_regions();
	return tap_done();
}
