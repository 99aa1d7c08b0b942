/*
 * test_isolation - no page leaks between processes, and the kernel obeys a
 * region's protection exactly as a user access would (issue 11, bugs 1, 2, 7).
 *
 *  1. A private page that is read-only or PROT_NONE at fork is still
 *     copy-on-write: when either side later makes it writable with mprotect
 *     and writes, the other side keeps its own contents.  Variants: child
 *     writes, parent writes, one read-only page inside a writable region,
 *     PROT_NONE, a page never touched before fork (zero page), and a page of
 *     a private file mapping.
 *  2. The kernel does not read or write PROT_NONE memory for a system call:
 *     write() from it, open()/stat() of a path in it, an iovec array in it,
 *     a timespec in it, exec arguments in it: EFAULT, as on Linux.
 *  7. The last page below the canonical boundary can never be mapped
 *     (Linux's TASK_SIZE), so no syscall can return to 0x800000000000.
 *
 * Runs the same on Linux.
 * Runs on Linux: yes
 */
#include "tap.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>

#define PAGE 4096UL
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define RW (PROT_READ | PROT_WRITE)
#define LAST_PAGE 0x7ffffffff000UL	/* one page below 1 << 47 */

/* ---- 1: copy-on-write whatever the protection at fork ------------------ */

/* Which side writes after the fork, and what the page is at fork time. */
struct cow_case {
	const char *what;
	int prot_at_fork;	/* of the middle page of three */
	bool touch_before;	/* false: the page was never written (zero page) */
	bool child_writes;	/* else the parent writes and the child reads */
};

/* Three pages 'a', 'b', 'c'; the middle one gets PROT_AT_FORK.  One side
 * then makes it writable and writes 'W'; the other must still read 'b' (or
 * 0 when never touched).  Returns what the reading side saw. */
static int cow_round(const struct cow_case *c)
{
	char *p = mmap(NULL, 3 * PAGE, RW, ANON, -1, 0);
	int fds[2];
	char want = c->touch_before ? 'b' : 0, seen = '?';

	if (p == MAP_FAILED || pipe(fds))
		return -1;
	if (c->touch_before)
		memset(p, 'a', PAGE), memset(p + PAGE, 'b', PAGE), memset(p + 2 * PAGE, 'c', PAGE);
	else
		(void)*(volatile char *)(p + PAGE);	/* read: maps the zero page */
	if (mprotect(p + PAGE, PAGE, c->prot_at_fork))
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	bool writer = (pid == 0) == c->child_writes;
	if (writer) {
		mprotect(p + PAGE, PAGE, RW);
		p[PAGE] = 'W';
		p[PAGE + PAGE - 1] = 'W';
		if (write(fds[1], "x", 1) != 1)	/* tell the reader the write is done */
			_exit(2);
	} else {
		char x;
		if (read(fds[0], &x, 1) != 1)
			_exit(2);
		mprotect(p + PAGE, PAGE, PROT_READ);
		seen = (p[PAGE] == want && p[2 * PAGE - 1] == want) ? want : p[PAGE];
	}
	if (pid == 0)
		_exit(writer ? 0 : seen == want ? 0 : 1);
	int st = tap_wait(pid);
	munmap(p, 3 * PAGE);
	close(fds[0]), close(fds[1]);
	if (!writer)
		return seen == want && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : seen ? seen : -2;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}

static void test_cow_any_protection(void)
{
	static const struct cow_case cases[] = {
		{ "read-only at fork, child mprotects and writes: parent keeps its page",
		  PROT_READ, true, true },
		{ "read-only at fork, parent mprotects and writes: child keeps its page",
		  PROT_READ, true, false },
		{ "PROT_NONE at fork, child makes it writable: parent keeps its page",
		  PROT_NONE, true, true },
		{ "PROT_NONE at fork, parent makes it writable: child keeps its page",
		  PROT_NONE, true, false },
		{ "zero page read-only at fork, child writes: parent still reads zeros",
		  PROT_READ, false, true },
		{ "writable at fork, child writes: parent keeps its page (control)",
		  RW, true, true },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int r = cow_round(&cases[i]);
		tap_check(r == 0, cases[i].what, "the other side saw %d ('%c')", r,
			  r > 32 && r < 127 ? r : '?');
	}
}

/* The issue's exact program: one page, 'A', read-only, fork, child writes 'C'. */
static void test_issue_program(void)
{
	char *p = mmap(0, PAGE, RW, ANON, -1, 0);

	p[0] = 'A';
	mprotect(p, PAGE, PROT_READ);
	pid_t pid = fork();
	if (pid == 0) {
		mprotect(p, PAGE, RW);
		p[0] = 'C';
		_exit(0);
	}
	tap_wait(pid);
	tap_check(p[0] == 'A', "issue program: parent reads 'A' after the child wrote 'C'",
		  "parent reads '%c'", p[0]);
	munmap(p, PAGE);
}

/* A private read-only file mapping made writable after fork: the parent's
 * view and the file stay as they were. */
static void test_file_mapping(void)
{
	const char *path = tap_bin("test_isolation");
	int fd = open(path, O_RDONLY);
	unsigned char orig[4], now[4];

	char *p = fd < 0 ? MAP_FAILED : mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED) {
		tap_fail("private file mapping stays private across fork", "open/mmap %s: %s",
			 path, strerror(errno));
		return;
	}
	memcpy(orig, p, 4);
	pid_t pid = fork();
	if (pid == 0) {
		mprotect(p, PAGE, RW);
		memset(p, 'Z', 4);
		_exit(p[0] == 'Z' ? 0 : 1);
	}
	int st = tap_wait(pid);
	pread(fd, now, 4, 0);
	tap_check(WIFEXITED(st) && WEXITSTATUS(st) == 0 && !memcmp(p, orig, 4) &&
		  !memcmp(now, orig, 4),
		  "private file mapping made writable in a child: parent and file unchanged",
		  "child %s, parent sees %02x, file %02x", tap_status_str(st), (unsigned char)p[0],
		  now[0]);
	munmap(p, PAGE);
	close(fd);
}

/* ---- 2: the kernel obeys PROT_NONE --------------------------------------- */

/* A page holding TEXT, then made PROT_NONE. */
static char *none_page(const char *text)
{
	char *q = mmap(NULL, PAGE, RW, ANON, -1, 0);

	if (q == MAP_FAILED)
		return NULL;
	memset(q, 'N', PAGE);
	strcpy(q, text);
	mprotect(q, PAGE, PROT_NONE);
	return q;
}

static void test_kernel_reads_none(void)
{
	char *q = none_page("/bin/test_isolation");
	int fds[2];
	struct stat st;

	if (!q || pipe(fds)) {
		tap_fail("PROT_NONE page", "setup: %s", strerror(errno));
		return;
	}
	errno = 0;
	long n = write(fds[1], q, 3);
	tap_check_errno(n, errno, EFAULT, "write() from a PROT_NONE page -> EFAULT");
	errno = 0;
	n = open(q, O_RDONLY);
	tap_check_errno(n, errno, EFAULT, "open() of a path in a PROT_NONE page -> EFAULT");
	errno = 0;
	n = stat(q, &st);
	tap_check_errno(n, errno, EFAULT, "stat() of a path in a PROT_NONE page -> EFAULT");
	errno = 0;
	n = syscall(SYS_stat, "/bin", q);	/* raw: libc would copy it itself */
	tap_check_errno(n, errno, EFAULT, "stat() into a PROT_NONE page -> EFAULT");
	errno = 0;
	n = writev(fds[1], (struct iovec *)q, 1);
	tap_check_errno(n, errno, EFAULT, "writev() with the iovec array in PROT_NONE -> EFAULT");
	struct iovec iov = { q, 3 };
	errno = 0;
	n = writev(fds[1], &iov, 1);
	tap_check_errno(n, errno, EFAULT, "writev() of a PROT_NONE buffer -> EFAULT");
	errno = 0;
	n = nanosleep((struct timespec *)q, NULL);
	tap_check_errno(n, errno, EFAULT, "nanosleep() with the timespec in PROT_NONE -> EFAULT");
	int fd = open("/bin/true", O_RDONLY);
	errno = 0;
	n = read(fd, q, 1);
	tap_check_errno(n, errno, EFAULT, "read() of a file into a PROT_NONE page -> EFAULT");
	close(fd);
	char *argv[] = { q, NULL };
	errno = 0;
	n = execve("/bin/true", argv, NULL);
	tap_check_errno(n, errno, EFAULT, "execve() with an argument in PROT_NONE -> EFAULT");
	errno = 0;
	n = execve("/bin/true", (char **)q, NULL);
	tap_check_errno(n, errno, EFAULT, "execve() with argv itself in PROT_NONE -> EFAULT");

	/* the pipe must be empty: nothing was read from the page */
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	char buf[8];
	errno = 0;
	n = read(fds[0], buf, sizeof buf);
	tap_check_errno(n, errno, EAGAIN, "nothing of the PROT_NONE page reached the pipe");
	mprotect(q, PAGE, PROT_READ);
	tap_check(q[0] == '/', "after mprotect(PROT_READ) the page reads as before",
		  "reads %02x", (unsigned char)q[0]);
	munmap(q, PAGE);
	close(fds[0]), close(fds[1]);
}

/* A read-only page as the output of a system call: EFAULT, never written. */
static void test_kernel_writes_readonly(void)
{
	char *q = mmap(NULL, PAGE, RW, ANON, -1, 0);
	memset(q, 'R', PAGE);
	mprotect(q, PAGE, PROT_READ);
	errno = 0;
	long n = syscall(SYS_clock_gettime, CLOCK_MONOTONIC, q);	/* raw: no vDSO */
	tap_check_errno(n, errno, EFAULT, "clock_gettime() into a read-only page -> EFAULT");
	errno = 0;
	n = syscall(SYS_uname, q);
	tap_check_errno(n, errno, EFAULT, "uname() into a read-only page -> EFAULT");
	tap_check(q[0] == 'R' && q[100] == 'R', "the read-only page is unchanged",
		  "reads %02x", (unsigned char)q[0]);
	munmap(q, PAGE);
}

/* ---- 7: the last page below the canonical boundary ---------------------- */

static long raw_mmap(unsigned long addr, unsigned long len, long prot, long flags)
{
	return syscall(SYS_mmap, addr, len, prot, flags, -1, 0);
}

static void test_last_page(void)
{
	errno = 0;
	long r = raw_mmap(LAST_PAGE, PAGE, RW, ANON | MAP_FIXED);
	tap_check_errno(r, errno, ENOMEM, "mmap MAP_FIXED at 0x7ffffffff000 -> ENOMEM");
	errno = 0;
	r = raw_mmap(LAST_PAGE, PAGE, RW, ANON | MAP_FIXED_NOREPLACE);
	tap_check_errno(r, errno, ENOMEM, "mmap MAP_FIXED_NOREPLACE at 0x7ffffffff000 -> ENOMEM");
	r = raw_mmap(LAST_PAGE, PAGE, RW, ANON);
	tap_check(r != -1 && (unsigned long)r != LAST_PAGE,
		  "a hint of 0x7ffffffff000 is not taken", "got %lx", (unsigned long)r);
	if (r != -1)
		munmap((void *)r, PAGE);
	errno = 0;
	r = syscall(SYS_munmap, LAST_PAGE, PAGE);
	tap_check_errno(r, errno, EINVAL, "munmap of 0x7ffffffff000 -> EINVAL");
}

int main(void)
{
	test_issue_program();
	test_cow_any_protection();
	test_file_mapping();
	test_kernel_reads_none();
	test_kernel_writes_readonly();
	test_last_page();
	return tap_done();
}
