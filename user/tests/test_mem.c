/*
 * test_mem - the user address space: brk growing and shrinking, anonymous
 * private mmap (zeroed, readable, writable), munmap and mprotect enforced by
 * page faults (SIGSEGV), argument checking (EINVAL/ENOMEM/EBADF), MAP_FIXED,
 * a 32 MiB mapping touched page by page, madvise(MADV_DONTNEED), a deep
 * stack, and private memory staying private across fork, even when the
 * kernel itself writes into a copy-on-write page.
 * Runs on Linux: yes
 */
#include "tap.h"

#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#define PAGE 4096UL
#define KERNEL_HALF 0xffff800000000000UL
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define RW (PROT_READ | PROT_WRITE)

/* ---- helpers ---------------------------------------------------------- */

static char *page_up(char *p)
{
	return (char *)(((uintptr_t)p + PAGE - 1) & ~(PAGE - 1));
}

static char *map_anon(size_t len)
{
	return mmap(NULL, len, RW, ANON, -1, 0);
}

/* The raw brk system call: returns the new break, or the old one on failure
 * (musl's brk()/sbrk() refuse to move the break, so call it directly). */
static char *brk_set(void *addr)
{
	return (char *)syscall(SYS_brk, addr);
}

/* The raw mmap system call, so the kernel (not libc) checks the arguments. */
static long raw_mmap(unsigned long addr, unsigned long len, long prot,
		     long flags, long fd, unsigned long off)
{
	return syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

static int all_bytes_are(const char *p, size_t len, char value)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != value)
			return 0;
	return 1;
}

static void touch_write(void *addr)
{
	*(volatile char *)addr = 1;
}

static void touch_read(void *addr)
{
	_exit(*(volatile char *)addr == 123 ? 0 : 1);
}

/* ---- brk -------------------------------------------------------------- */

static void brk_then_shrink_and_touch(void *size)
{
	char *start = brk_set(0);
	char *end = page_up(start) + (size_t)size;

	if (brk_set(end) != end)
		_exit(100);
	memset(start, 1, end - start);
	if (brk_set(start) != start)
		_exit(101);
	touch_write(page_up(start));
}

static void test_brk(void)
{
	char *start = brk_set(0);
	char *want = page_up(start) + 16 * PAGE;

	tap_check(start != NULL && (uintptr_t)start < KERNEL_HALF,
		  "brk(0) returns the current break", "got %p", (void *)start);
	char *got = brk_set(want);
	tap_check(got == want, "brk grows the heap by 64 KiB", "got %p, want %p",
		  (void *)got, (void *)want);
	if (got != want)
		return;
	tap_check(all_bytes_are(start, want - start, 0), "new heap memory is zeroed",
		  "found a non-zero byte");
	memset(start, 0x5a, want - start);
	tap_check(all_bytes_are(start, want - start, 0x5a),
		  "new heap memory is writable", "pattern did not stick");

	tap_check(brk_set(start) == start, "brk shrinks the heap back", "failed");
	got = brk_set(want);
	tap_check(got == want && all_bytes_are(page_up(start), want - page_up(start), 0),
		  "heap pages given back and regrown are zeroed again",
		  "old data survived the shrink");

	tap_check(brk_set((void *)KERNEL_HALF) == want,
		  "brk into the kernel half fails (break unchanged)", "break moved");
	tap_check(brk_set((void *)PAGE) == want,
		  "brk below the heap start fails (break unchanged)", "break moved");
	brk_set(start);

	tap_check_killed(brk_then_shrink_and_touch, (void *)(8 * PAGE), SIGSEGV,
			 "touching memory above a shrunk break -> SIGSEGV");
}

/* ---- mmap, munmap, mprotect ------------------------------------------- */

static void test_mmap_basic(void)
{
	size_t len = 16 * PAGE;
	char *p = map_anon(len);

	tap_check(p != MAP_FAILED, "mmap anonymous private 64 KiB", "%s",
		  strerror(errno));
	if (p == MAP_FAILED)
		return;
	tap_check(((uintptr_t)p & (PAGE - 1)) == 0 && (uintptr_t)p < KERNEL_HALF,
		  "mmap returns a page-aligned user address", "got %p", (void *)p);
	tap_check(all_bytes_are(p, len, 0), "anonymous memory is zeroed",
		  "found a non-zero byte");
	memset(p, 0xa5, len);
	tap_check(all_bytes_are(p, len, (char)0xa5), "anonymous memory is writable",
		  "pattern did not stick");
	tap_check(munmap(p, len) == 0, "munmap succeeds", "%s", strerror(errno));
}

static void map_unmap_touch(void *unused)
{
	(void)unused;
	char *p = map_anon(PAGE);
	if (p == MAP_FAILED)
		_exit(100);
	p[0] = 1;
	munmap(p, PAGE);
	touch_write(p);
}

static void map_middle_unmapped_touch(void *unused)
{
	(void)unused;
	char *p = map_anon(3 * PAGE);
	if (p == MAP_FAILED)
		_exit(100);
	memset(p, 1, 3 * PAGE);
	if (munmap(p + PAGE, PAGE) < 0)
		_exit(101);
	if (p[0] != 1 || p[2 * PAGE] != 1)
		_exit(102);
	touch_write(p + PAGE);
}

static void test_munmap_enforced(void)
{
	tap_check_killed(map_unmap_touch, NULL, SIGSEGV,
			 "access after munmap -> SIGSEGV");
	tap_check_killed(map_middle_unmapped_touch, NULL, SIGSEGV,
			 "munmap of a middle page: neighbours stay, the hole faults");
}

static void test_mprotect(void)
{
	char *p = map_anon(PAGE);

	if (p == MAP_FAILED) {
		tap_fail("mprotect", "mmap: %s", strerror(errno));
		return;
	}
	p[0] = 123;
	tap_check(mprotect(p, PAGE, PROT_READ) == 0, "mprotect PROT_READ", "%s",
		  strerror(errno));
	tap_check_exits(touch_read, p, 0, "a read-only page can still be read");
	tap_check_killed(touch_write, p, SIGSEGV,
			 "write to a PROT_READ page -> SIGSEGV");
	tap_check(mprotect(p, PAGE, RW) == 0, "mprotect back to PROT_READ|PROT_WRITE",
		  "%s", strerror(errno));
	p[1] = 45;
	tap_check(p[0] == 123 && p[1] == 45,
		  "the page is writable again and kept its contents",
		  "p[0]=%d p[1]=%d", p[0], p[1]);
	tap_check(mprotect(p, PAGE, PROT_NONE) == 0, "mprotect PROT_NONE", "%s",
		  strerror(errno));
	tap_check_killed(touch_read, p, SIGSEGV, "read of a PROT_NONE page -> SIGSEGV");
	munmap(p, PAGE);
}

static void check_mmap_error(long ret, int want, const char *what)
{
	tap_check_errno(ret < 0 ? -1 : ret, errno, want, what);
}

static void test_bad_arguments(void)
{
	char *p = map_anon(PAGE);

	/* Raw system calls throughout: musl would round or reject some of
	 * these itself before the kernel ever saw them. */
	errno = 0;
	check_mmap_error(raw_mmap(0, 0, RW, ANON, -1, 0), EINVAL,
			 "mmap of length 0 -> EINVAL");
	errno = 0;
	check_mmap_error(raw_mmap(0, PAGE, RW, MAP_ANONYMOUS, -1, 0), EINVAL,
			 "mmap with neither MAP_PRIVATE nor MAP_SHARED -> EINVAL");
	errno = 0;
	check_mmap_error(raw_mmap(0x10000001, PAGE, RW, ANON | MAP_FIXED, -1, 0),
			 EINVAL, "mmap MAP_FIXED at an unaligned address -> EINVAL");
	errno = 0;
	check_mmap_error(raw_mmap(0, PAGE, RW, ANON, -1, 123), EINVAL,
			 "mmap with an unaligned offset -> EINVAL");
	errno = 0;
	check_mmap_error(raw_mmap(0, -1UL, RW, ANON, -1, 0), ENOMEM,
			 "mmap of length 2^64-1 -> ENOMEM");
	errno = 0;
	check_mmap_error(raw_mmap(KERNEL_HALF, PAGE, RW, ANON | MAP_FIXED, -1, 0),
			 ENOMEM, "mmap MAP_FIXED in the kernel half -> ENOMEM");
	errno = 0;
	check_mmap_error(raw_mmap(0, PAGE, RW, MAP_PRIVATE, -1, 0), EBADF,
			 "file mmap with fd -1 -> EBADF");

	errno = 0;
	check_mmap_error(syscall(SYS_munmap, p + 1, PAGE), EINVAL, "munmap unaligned -> EINVAL");
	errno = 0;
	check_mmap_error(syscall(SYS_munmap, p, 0), EINVAL, "munmap of length 0 -> EINVAL");
	errno = 0;
	check_mmap_error(syscall(SYS_mprotect, p + 1, PAGE, PROT_READ), EINVAL,
			 "mprotect unaligned -> EINVAL");
	munmap(p, PAGE);
	errno = 0;
	check_mmap_error(syscall(SYS_mprotect, p, PAGE, PROT_READ), ENOMEM,
			 "mprotect of unmapped memory -> ENOMEM");
}

static void test_map_fixed(void)
{
	char *p = map_anon(4 * PAGE);

	if (p == MAP_FAILED) {
		tap_fail("MAP_FIXED", "mmap: %s", strerror(errno));
		return;
	}
	memset(p, 'a', 4 * PAGE);
	char *q = mmap(p + PAGE, PAGE, RW, ANON | MAP_FIXED, -1, 0);
	tap_check(q == p + PAGE, "MAP_FIXED maps exactly at the given address",
		  "got %p, want %p", (void *)q, (void *)(p + PAGE));
	tap_check(all_bytes_are(p + PAGE, PAGE, 0),
		  "MAP_FIXED replaces the old page with a zeroed one",
		  "old contents still there");
	tap_check(all_bytes_are(p, PAGE, 'a') && all_bytes_are(p + 2 * PAGE, 2 * PAGE, 'a'),
		  "MAP_FIXED leaves the neighbouring pages alone", "neighbour changed");
	munmap(p, 4 * PAGE);

	/* p is free again now: ask for it back explicitly. */
	q = mmap(p, 2 * PAGE, RW, ANON | MAP_FIXED, -1, 0);
	tap_check(q == p && all_bytes_are(q, 2 * PAGE, 0),
		  "MAP_FIXED at a free address gives fresh zeroed memory",
		  "got %p", (void *)q);
	if (q != MAP_FAILED)
		munmap(q, 2 * PAGE);
}

static void test_large_mapping(void)
{
	size_t len = 32UL << 20, pages = len / PAGE, bad = 0;
	char *p = map_anon(len);

	tap_check(p != MAP_FAILED, "mmap 32 MiB", "%s", strerror(errno));
	if (p == MAP_FAILED)
		return;
	for (size_t i = 0; i < pages; i++)
		p[i * PAGE + i % PAGE] = (char)(i | 1);
	for (size_t i = 0; i < pages; i++)
		bad += p[i * PAGE + i % PAGE] != (char)(i | 1);
	tap_check(bad == 0, "write and read back every page of 32 MiB",
		  "%zu pages wrong", bad);
	tap_check(munmap(p, len) == 0, "munmap 32 MiB", "%s", strerror(errno));
}

static void test_madvise_dontneed(void)
{
	char *p = map_anon(4 * PAGE);

	if (p == MAP_FAILED) {
		tap_fail("madvise", "mmap: %s", strerror(errno));
		return;
	}
	memset(p, 7, 4 * PAGE);
	tap_check(madvise(p, 4 * PAGE, MADV_DONTNEED) == 0, "madvise MADV_DONTNEED",
		  "%s", strerror(errno));
	tap_check(all_bytes_are(p, 4 * PAGE, 0),
		  "private pages read back zeroed after MADV_DONTNEED", "old data");
	munmap(p, 4 * PAGE);
}

/* ---- stack ------------------------------------------------------------ */

__attribute__((noinline)) static int use_deep_stack(size_t len)
{
	volatile char big[512 * 1024];

	for (size_t i = 0; i < len; i += PAGE)
		big[i] = (char)i;
	return big[len - PAGE] == (char)(len - PAGE);
}

static void test_stack(void)
{
	tap_check(use_deep_stack(512 * 1024), "512 KiB of stack can be used",
		  "data lost");
}

/* ---- fork keeps private memory private ------------------------------- */

static int global_value = 1;

/* The child changes its copies, lets the parent check and change its own,
 * then checks its copies again. */
static int fork_child_side(int *stack_value, int *mapped, int ready_fd, int go_fd)
{
	char byte;

	global_value = *stack_value = *mapped = 2;
	if (write(ready_fd, "r", 1) != 1 || read(go_fd, &byte, 1) != 1)
		return 10;
	return global_value == 2 && *stack_value == 2 && *mapped == 2 ? 0 : 11;
}

static void test_fork_private(void)
{
	int stack_value = 1, ready[2], go[2];
	int *mapped = (int *)map_anon(PAGE);
	char byte;

	if (mapped == MAP_FAILED || pipe(ready) < 0 || pipe(go) < 0) {
		tap_fail("fork keeps memory private", "setup: %s", strerror(errno));
		return;
	}
	*mapped = 1;
	pid_t pid = fork();
	if (pid == 0)
		_exit(fork_child_side(&stack_value, mapped, ready[1], go[0]));
	if (read(ready[0], &byte, 1) != 1)
		tap_diag("child did not report\n");
	tap_check(global_value == 1 && stack_value == 1 && *mapped == 1,
		  "child's writes (data, stack, mmap) are invisible to the parent",
		  "parent sees %d %d %d", global_value, stack_value, *mapped);
	global_value = stack_value = *mapped = 3;
	if (write(go[1], "g", 1) != 1)
		tap_diag("write: %s\n", strerror(errno));
	int status = tap_wait(pid);
	tap_check(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "parent's later writes are invisible to the child", "child %s",
		  tap_status_str(status));
	close(ready[0]), close(ready[1]), close(go[0]), close(go[1]);
	munmap(mapped, PAGE);
}

/* read() makes the kernel write into a page shared copy-on-write with the
 * parent; it must write the child's own copy. */
static void test_kernel_write_to_cow_page(void)
{
	static char buffer[PAGE] = "parent";
	int p[2];

	if (pipe(p) < 0) {
		tap_fail("kernel write to a COW page", "pipe: %s", strerror(errno));
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(p[1]);
		ssize_t n = read(p[0], buffer, 7);
		_exit(n == 7 && strcmp(buffer, "child!") == 0 ? 0 : 1);
	}
	close(p[0]);
	tap_write_full(p[1], "child!", 7);
	close(p[1]);
	int status = tap_wait(pid);
	tap_check(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "read() into a copy-on-write page lands in the child's copy",
		  "child %s", tap_status_str(status));
	tap_check(strcmp(buffer, "parent") == 0,
		  "... and the parent's page is unchanged", "parent sees '%s'", buffer);
}

int main(void)
{
	test_brk();
	test_mmap_basic();
	test_munmap_enforced();
	test_mprotect();
	test_bad_arguments();
	test_map_fixed();
	test_large_mapping();
	test_madvise_dontneed();
	test_stack();
	test_fork_private();
	test_kernel_write_to_cow_page();
	return tap_done();
}
