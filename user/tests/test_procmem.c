/*
 * test_procmem - /proc/PID/mem as Linux 6.1 has it (fs/proc/base.c mem_rw):
 * the file offset is the address; reads and writes go through
 * access_remote_vm with FOLL_FORCE, so root reads PROT_NONE memory and
 * writes read-only private mappings, each forced write copying the page for
 * the written process only (the page cache, the zero page and another
 * process's copy-on-write page never change: CVE-2016-5195, "Dirty COW").
 * An unreachable first byte is EIO, a later one a short count; a process
 * that has exited reads as end of file.  Runs the same on Linux (as root).
 *
 * Children are driven through a pair of pipes (struct tap_kid, tap.h): the
 * parent sends a one-byte command, the child answers with one byte.
 * Runs on Linux: yes
 */
#include "tap.h"

#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>

#define PAGE 4096UL
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* ---- helpers ---------------------------------------------------------- */

/* Open /proc/PID/mem (PID 0: /proc/self/mem). */
static int mem_open(pid_t pid, int flags)
{
	char path[64];

	if (pid)
		snprintf(path, sizeof path, "/proc/%d/mem", (int)pid);
	else
		snprintf(path, sizeof path, "/proc/self/mem");
	return open(path, flags);
}

/* pread/pwrite N bytes at ADDR of PID's memory; the result, errno kept. */
static ssize_t mem_xfer(pid_t pid, void *buf, size_t n, const void *addr, int write)
{
	int fd = mem_open(pid, write ? O_RDWR : O_RDONLY);

	if (fd < 0)
		return -1;
	ssize_t r = write ? pwrite(fd, buf, n, (off_t)(uintptr_t)addr) :
			    pread(fd, buf, n, (off_t)(uintptr_t)addr);
	int err = errno;
	close(fd);
	errno = err;
	return r;
}

static ssize_t mem_read(pid_t pid, void *buf, size_t n, const void *addr)
{
	return mem_xfer(pid, buf, n, addr, 0);
}

static ssize_t mem_write(pid_t pid, const void *buf, size_t n, void *addr)
{
	return mem_xfer(pid, (void *)buf, n, addr, 1);
}

static void *map_anon(size_t len, int prot)
{
	void *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* ---- reading and writing ---------------------------------------------- */

static char pattern[3 * PAGE];

static void test_read_self(void)
{
	static char got[3 * PAGE];

	for (size_t i = 0; i < sizeof pattern; i++)
		pattern[i] = (char)(i * 7 + 3);
	ssize_t n = mem_read(0, got, sizeof got, pattern);
	tap_check(n == (ssize_t)sizeof got && !memcmp(got, pattern, sizeof got),
		  "read /proc/self/mem: three pages at the address of a buffer",
		  "read %zd (%s)", n, n < 0 ? strerror(errno) : "bytes differ");

	int fd = mem_open(0, O_RDONLY);
	char c[5] = "";
	off_t at = lseek(fd, (off_t)(uintptr_t)(pattern + 100), SEEK_SET);
	ssize_t r = read(fd, c, 4);
	off_t after = lseek(fd, 0, SEEK_CUR);
	close(fd);
	tap_check(at == (off_t)(uintptr_t)(pattern + 100) && r == 4 && !memcmp(c, pattern + 100, 4) &&
			  after == at + 4,
		  "lseek to an address, read, and the offset moves on",
		  "lseek %lld read %zd offset after %lld", (long long)at, r, (long long)after);
}

/* The child's side of the child tests: its own string in buf. */
static char *shared_buf;

static char child_cmd(char cmd, void *arg)
{
	(void)arg;
	switch (cmd) {
	case 'w':	/* write the child's own data */
		strcpy(shared_buf, "child-data");
		return 'k';
	case 'c':	/* what does the buffer hold now? */
		return !strcmp(shared_buf, "from-parent") ? 'P' :
		       !strcmp(shared_buf, "child-data") ? 'C' : 'x';
	}
	return '?';
}

static void test_child(void)
{
	struct tap_kid k;
	char got[16] = "";

	shared_buf = map_anon(PAGE, PROT_READ | PROT_WRITE);
	strcpy(shared_buf, "parent-data");
	if (!shared_buf || tap_kid_start(&k, child_cmd, NULL) < 0) {
		tap_fail("child's memory", "setup: %s", strerror(errno));
		return;
	}
	tap_kid_ask(&k, 'w');
	ssize_t n = mem_read(k.pid, got, 11, shared_buf);
	tap_check(n == 11 && !memcmp(got, "child-data", 11),
		  "read /proc/PID/mem: the child's copy of a copy-on-write page",
		  "read %zd: \"%.11s\"", n, got);
	n = mem_write(k.pid, "from-parent", 12, shared_buf);
	tap_check_long(n, 12, "write /proc/PID/mem into the child's writable page");
	tap_check(tap_kid_ask(&k, 'c') == 'P', "the child sees the parent's write",
		  "child's buffer is not \"from-parent\"");
	tap_check(!strcmp(shared_buf, "parent-data"), "the parent's own page did not change",
		  "parent reads \"%.16s\"", shared_buf);
	int st = tap_kid_end(&k);
	tap_check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child exits cleanly", "%s",
		  tap_status_str(st));
	munmap(shared_buf, PAGE);
}

/* ---- forced writes ---------------------------------------------------- */

#define FILE_PATH "/bin/sh"
#define FILE_OFF 100
static const char marker[] = "DIRTYCOW";

/* The child's own mapping of FILE_PATH: does it still read as the file? */
static char file_cmd(char cmd, void *arg)
{
	const char *orig = arg;
	int fd = open(FILE_PATH, O_RDONLY);
	char *p = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 0);

	(void)cmd;
	close(fd);
	if (p == MAP_FAILED)
		return 'e';
	char r = memcmp(p, orig, PAGE) ? 'D' : 'S';
	munmap(p, PAGE);
	return r;
}

/* In a child: force a write into its read-only file mapping, check it sees
 * it, then write directly: the page must still be read-only (SIGSEGV). */
static void forced_then_direct(void *arg)
{
	char *p = arg;

	if (mem_write(0, marker, sizeof marker - 1, p + FILE_OFF) != sizeof marker - 1)
		_exit(3);
	if (memcmp(p + FILE_OFF, marker, sizeof marker - 1))
		_exit(4);
	*(volatile char *)p = 'x';
	_exit(0);
}

static void test_forced_file(void)
{
	static char orig[PAGE], now[PAGE];
	struct tap_kid k;
	int fd = open(FILE_PATH, O_RDONLY);

	if (fd < 0 || pread(fd, orig, PAGE, 0) != (ssize_t)PAGE ||
	    tap_kid_start(&k, file_cmd, orig) < 0) {
		tap_fail("forced write into a file mapping", "setup: %s", strerror(errno));
		return;
	}
	char *p = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	ssize_t n = mem_write(0, marker, sizeof marker - 1, p + FILE_OFF);
	tap_check_long(n, sizeof marker - 1,
		       "forced write into a read-only private file mapping succeeds");
	tap_check(!memcmp(p + FILE_OFF, marker, sizeof marker - 1) && !memcmp(p, orig, FILE_OFF),
		  "the writer's mapping shows the write, the rest of the page as the file",
		  "mapping reads \"%.8s\"", p + FILE_OFF);
	tap_check(pread(fd, now, PAGE, 0) == (ssize_t)PAGE && !memcmp(now, orig, PAGE),
		  "read() of the file still gives its own bytes", "the file changed");
	tap_check(tap_kid_ask(&k, 'm') == 'S', "another process's new mapping of the file is unchanged",
		  "the other process sees changed bytes");
	char *again = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	tap_check(again != MAP_FAILED && !memcmp(again, orig, PAGE),
		  "a second mapping in the writer reads the file's bytes", "it reads the write");
	tap_kid_end(&k);
	tap_check_killed(forced_then_direct, p, SIGSEGV,
			 "after a forced write the page is still read-only to the program");
	munmap(again, PAGE);
	munmap(p, PAGE);
	close(fd);
}

/* A child with an untouched read-only anonymous page: still zero? */
static char zero_cmd(char cmd, void *arg)
{
	volatile char *q = arg;

	(void)cmd;
	for (size_t i = 0; i < PAGE; i++)
		if (q[i])
			return 'N';
	return 'Z';
}

static void test_forced_zero(void)
{
	struct tap_kid k;
	char *p = map_anon(2 * PAGE, PROT_READ), *other = map_anon(PAGE, PROT_READ);

	if (!p || !other || tap_kid_start(&k, zero_cmd, other) < 0) {
		tap_fail("forced write into the zero page", "setup: %s", strerror(errno));
		return;
	}
	tap_kid_ask(&k, 'z');	/* the child's page is now mapped (to the zero page) */
	tap_check(p[0] == 0 && p[PAGE] == 0, "an untouched read-only page reads 0", "it does not");
	ssize_t n = mem_write(0, "ZZ", 2, p + 10);
	tap_check(n == 2 && p[10] == 'Z' && p[11] == 'Z' && p[0] == 0,
		  "forced write into a page on the zero page: the writer sees it",
		  "write %zd, reads %d %d", n, p[10], p[11]);
	tap_check(p[PAGE + 10] == 0, "the next untouched page still reads 0", "it reads %d",
		  p[PAGE + 10]);
	tap_check(tap_kid_ask(&k, 'z') == 'Z', "another process's untouched page still reads 0",
		  "it does not");
	tap_kid_end(&k);
	munmap(p, 2 * PAGE);
	munmap(other, PAGE);
}

/* The child's view of its copy-on-write page. */
static char cow_cmd(char cmd, void *arg)
{
	const char *q = arg;

	(void)cmd;
	return q[0];
}

/* A page shared copy-on-write with a child (PROT of the region at fork):
 * a forced write by the parent into its own copy leaves the child's alone,
 * and one into the child's leaves the parent's alone. */
static void cow_variant(int prot, const char *what)
{
	struct tap_kid k;
	char *p = map_anon(PAGE, PROT_READ | PROT_WRITE);
	char name[128];

	if (!p) {
		tap_fail(what, "mmap: %s", strerror(errno));
		return;
	}
	p[0] = 'A';
	mprotect(p, PAGE, prot);
	if (tap_kid_start(&k, cow_cmd, p) < 0) {
		tap_fail(what, "fork: %s", strerror(errno));
		return;
	}
	ssize_t n = mem_write(0, "B", 1, p);
	snprintf(name, sizeof name, "%s: the parent's forced write to its own copy", what);
	tap_check(n == 1 && p[0] == 'B', name, "write %zd, reads %c", n, p[0]);
	snprintf(name, sizeof name, "%s: the child's copy is unchanged", what);
	tap_check(tap_kid_ask(&k, 'r') == 'A', name, "child reads something else");
	n = mem_write(k.pid, "C", 1, p);
	snprintf(name, sizeof name, "%s: a write into the child's copy leaves the parent's", what);
	tap_check(n == 1 && tap_kid_ask(&k, 'r') == 'C' && p[0] == 'B', name,
		  "write %zd, parent reads %c", n, p[0]);
	tap_kid_end(&k);
	munmap(p, PAGE);
}

static void test_forced_cow(void)
{
	cow_variant(PROT_READ | PROT_WRITE, "writable page shared with a child");
	cow_variant(PROT_READ, "read-only page shared with a child");
}

static void test_prot_none(void)
{
	char *p = map_anon(PAGE, PROT_READ | PROT_WRITE);
	char got[8] = "";

	memset(p, 'N', PAGE);
	mprotect(p, PAGE, PROT_NONE);
	ssize_t n = mem_read(0, got, 8, p + 8);
	tap_check(n == 8 && !memcmp(got, "NNNNNNNN", 8), "read of PROT_NONE memory (forced)",
		  "read %zd (%s)", n, n < 0 ? strerror(errno) : got);
	n = mem_write(0, "w", 1, p);
	mprotect(p, PAGE, PROT_READ);
	tap_check(n == 1 && p[0] == 'w' && p[1] == 'N', "forced write into PROT_NONE memory",
		  "write %zd, reads %c", n, p[0]);
	munmap(p, PAGE);
}

/* ---- errors and edges ------------------------------------------------- */

static void test_errors(void)
{
	char buf[64];
	char *p = map_anon(2 * PAGE, PROT_READ | PROT_WRITE);

	memset(p, 'e', 2 * PAGE);
	munmap(p + PAGE, PAGE);
	ssize_t n = mem_read(0, buf, 64, p + PAGE);
	tap_check_errno(n, errno, EIO, "read at an unmapped address: EIO");
	n = mem_write(0, buf, 64, p + PAGE);
	tap_check_errno(n, errno, EIO, "write at an unmapped address: EIO");
	tap_check_long(mem_read(0, buf, 64, p + PAGE - 16), 16,
		       "read across the end of a mapping: short count");
	tap_check_long(mem_write(0, buf, 64, p + PAGE - 16), 16,
		       "write across the end of a mapping: short count");
	n = mem_read(0, buf, 8, NULL);
	tap_check_errno(n, errno, EIO, "read at address 0: EIO");
	n = mem_read(0, buf, 8, (void *)0x0000800000000000UL);
	tap_check_errno(n, errno, EIO, "read at a non-canonical address: EIO");
	n = mem_read(0, buf, 8, (void *)0x00007fffffffffffUL);
	tap_check_errno(n, errno, EIO, "read at the last byte of the user half: EIO");

	int fd = mem_open(0, O_RDWR);
	const uint64_t kernel = 0xffffffff80000000UL;
	off_t at = lseek(fd, (off_t)kernel, SEEK_SET);
	tap_check(at == (off_t)kernel, "lseek to a kernel address gives that offset",
		  "lseek returned %lld (%s)", (long long)at, strerror(errno));
	n = read(fd, buf, 8);
	tap_check_errno(n, errno, EIO, "read at a kernel address: EIO");
	lseek(fd, (off_t)0xffff800000000000UL, SEEK_SET);
	n = write(fd, "x", 1);
	tap_check_errno(n, errno, EIO, "write at a kernel (direct map) address: EIO");
	n = pread(fd, buf, 8, -4096);
	tap_check_errno(n, errno, EINVAL, "pread with a negative offset: EINVAL");
	close(fd);
	munmap(p, PAGE);
}

static char idle_cmd(char cmd, void *arg)
{
	(void)arg;
	return cmd;
}

/* A file opened on a process's memory stays bound to that address space:
 * after the process execs a new program, it reads as end of file (Linux's
 * mem file keeps the old mm, whose last user is gone). */
static void test_exec(void)
{
	char buf[8], comm[32] = "";
	pid_t pid = fork();

	if (pid == 0) {
		sleep_ms(200);
		execl(tap_bin("sleep"), "sleep", "5", (char *)NULL);
		_exit(127);
	}
	int fd = mem_open(pid, O_RDONLY);
	ssize_t before = pread(fd, buf, 8, (off_t)(uintptr_t)pattern);
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
	for (int i = 0; i < 100 && strncmp(comm, "sleep", 5); i++) {
		sleep_ms(20);
		read_file(path, comm, sizeof comm);
	}
	ssize_t after = pread(fd, buf, 8, (off_t)(uintptr_t)pattern);
	kill(pid, SIGKILL);
	tap_wait(pid);
	close(fd);
	tap_check_long(before, 8, "read of a child's memory before it execs");
	tap_check(!strncmp(comm, "sleep", 5) && after == 0,
		  "after the child execs, the file opened before reads as end of file",
		  "comm \"%.5s\", read %zd", comm, after);
}

static void test_exited(void)
{
	struct tap_kid k;
	char buf[8];

	if (tap_kid_start(&k, idle_cmd, NULL) < 0) {
		tap_fail("target exits", "fork: %s", strerror(errno));
		return;
	}
	int fd = mem_open(k.pid, O_RDONLY);
	ssize_t alive = pread(fd, buf, 8, (off_t)(uintptr_t)pattern);
	char q = 'q';
	if (write(k.to, &q, 1) != 1 || read(k.from, buf, 1) != 0)
		tap_diag("the child did not close its pipe");
	usleep(100 * 1000);	/* now a zombie */
	int zfd = mem_open(k.pid, O_RDONLY);
	ssize_t zombie = pread(fd, buf, 8, (off_t)(uintptr_t)pattern);
	int zerr = errno;
	ssize_t zopen = zfd >= 0 ? pread(zfd, buf, 8, (off_t)(uintptr_t)pattern) : -1;
	close(k.to);
	close(k.from);
	tap_wait(k.pid);
	ssize_t reaped = pread(fd, buf, 8, (off_t)(uintptr_t)pattern);
	tap_check_long(alive, 8, "read of a live child's memory");
	tap_check_long(zombie, 0, "after the child exited (zombie): end of file");
	/* Linux 6.1's mm_access gives no mm and no error; later kernels refuse
	 * the open with ESRCH */
	tap_check(zopen == 0 || (zfd < 0 && zerr == ESRCH && running_on_linux()),
		  "opened after the exit: end of file", "open %d (%s), read %zd", zfd,
		  strerror(zerr), zopen);
	tap_check_long(reaped, 0, "after the child was reaped: end of file");
	close(fd);
	if (zfd >= 0)
		close(zfd);
}

/* A child reading 96 MiB of its own untouched memory through /proc/self/mem
 * in one call, again and again: about a third of a second of kernel work per
 * call here, during which this process must still run on time, and SIGKILL
 * must end it at once, not at the end of the call. */
#define LONG_READ (96UL << 20)
#define LATE 0.2	/* seconds: "at once" and "on time", with room for a busy host */

static void long_reader(void *arg)
{
	char *src = mmap(NULL, LONG_READ, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *buf = map_anon(LONG_READ, PROT_READ | PROT_WRITE);
	int fd = mem_open(0, O_RDONLY), *ready = arg;

	if (src == MAP_FAILED || !buf || fd < 0)
		_exit(2);
	memset(buf, 1, LONG_READ);
	if (write(ready[1], "r", 1) != 1)
		_exit(3);
	for (;;)
		if (pread(fd, buf, LONG_READ, (off_t)(uintptr_t)src) != (ssize_t)LONG_READ)
			_exit(4);
}

static void test_long_read(void)
{
	int ready[2];
	double worst = 0;
	char c;

	if (pipe(ready) < 0) {
		tap_fail("a long read", "pipe: %s", strerror(errno));
		return;
	}
	pid_t pid = fork();
	if (pid == 0)
		long_reader(ready);
	close(ready[1]);
	int got = read(ready[0], &c, 1) == 1;
	close(ready[0]);
	for (int i = 0; i < 3; i++) {	/* each sleep ends inside one of the child's reads */
		double t = now_s();
		sleep_ms(20);
		worst = MAX(worst, now_s() - t);
	}
	double t0 = now_s();
	kill(pid, SIGKILL);
	int st = tap_wait(pid);
	double died = now_s() - t0;
	tap_check(got && worst < LATE, "another process runs on time during a long /proc/PID/mem read",
		  "a 20 ms sleep took %.0f ms", worst * 1000);
	tap_check(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL && died < LATE,
		  "SIGKILL ends a long /proc/PID/mem read at once", "%s after %.0f ms",
		  tap_status_str(st), died * 1000);
}

int main(void)
{
	test_read_self();
	test_child();
	test_forced_file();
	test_forced_zero();
	test_forced_cow();
	test_prot_none();
	test_errors();
	test_exited();
	test_exec();
	test_long_read();
	return tap_done();
}
