/*
 * test_pipe - pipes and file descriptors: data through a pipe, EOF when the
 * last writer closes, EPIPE/SIGPIPE when no reader is left, pipe2 flags,
 * dup and dup2, a large blocking write to a reader in another process, and
 * a three-process pipeline whose middle stage is $BIN/cat.
 * Runs on Linux: yes
 */
#include "tap.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

#define BIG_SIZE (256 * 1024)

static unsigned char big[BIG_SIZE];

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A byte pattern that catches lost, repeated or reordered chunks. */
static unsigned char pattern_byte(size_t i)
{
	return (unsigned char)(i * 7 + i / 4096);
}

static int make_pipe(int p[2], const char *what)
{
	if (pipe(p) == 0)
		return 0;
	tap_fail(what, "pipe: %s", strerror(errno));
	return -1;
}

static void test_round_trip(void)
{
	int p[2];
	char buf[16] = { 0 };

	if (make_pipe(p, "data through a pipe") < 0)
		return;
	tap_check(p[0] >= 0 && p[1] >= 0 && p[0] != p[1],
		  "pipe returns two distinct descriptors", "%d %d", p[0], p[1]);
	tap_check_long(write(p[1], "hello", 5), 5, "write 5 bytes into a pipe");
	ssize_t n = read(p[0], buf, sizeof buf);
	tap_check(n == 5 && memcmp(buf, "hello", 5) == 0,
		  "read returns the same 5 bytes, without waiting for more",
		  "read %zd bytes '%.*s'", n, (int)(n > 0 ? n : 0), buf);

	struct stat st;
	tap_check(fstat(p[0], &st) == 0 && S_ISFIFO(st.st_mode),
		  "fstat says a pipe is a FIFO", "mode 0%o, %s", st.st_mode,
		  strerror(errno));
	errno = 0;
	long ret = lseek(p[0], 0, SEEK_SET);
	tap_check_errno(ret, errno, ESPIPE, "lseek on a pipe -> ESPIPE");
	errno = 0;
	ret = read(p[1], buf, 1);
	tap_check_errno(ret, errno, EBADF, "read from the write end -> EBADF");
	errno = 0;
	ret = write(p[0], "x", 1);
	tap_check_errno(ret, errno, EBADF, "write to the read end -> EBADF");

	close(p[1]);
	tap_check_long(read(p[0], buf, sizeof buf), 0,
		       "read returns 0 (EOF) once the writer is closed");
	close(p[0]);
}

static void test_eof_across_fork(void)
{
	int p[2];
	char buf[64];
	size_t total = 0;
	ssize_t n;

	if (make_pipe(p, "EOF across fork") < 0)
		return;
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		for (int i = 0; i < 10; i++)
			tap_write_full(p[1], "0123456789", 10);
		_exit(0);
	}
	close(p[1]);
	while ((n = read(p[0], buf, sizeof buf)) > 0)
		total += n;
	close(p[0]);
	tap_wait(pid);
	tap_check(n == 0 && total == 100,
		  "reader gets all 100 bytes, then EOF when the writer exits",
		  "got %zu bytes, last read %zd", total, n);
}

static void test_epipe_ignored(void)
{
	int p[2];
	struct sigaction ignore = { .sa_handler = SIG_IGN }, old;

	if (make_pipe(p, "EPIPE") < 0)
		return;
	tap_check(sigaction(SIGPIPE, &ignore, &old) == 0,
		  "rt_sigaction sets SIGPIPE to SIG_IGN", "%s", strerror(errno));
	close(p[0]);
	errno = 0;
	long ret = write(p[1], "x", 1);
	tap_check_errno(ret, errno, EPIPE,
			"write with no reader left -> EPIPE (SIGPIPE ignored)");
	close(p[1]);
	sigaction(SIGPIPE, &old, NULL);
}

static void write_to_closed_pipe(void *unused)
{
	int p[2];

	(void)unused;
	signal(SIGPIPE, SIG_DFL);
	if (pipe(p) < 0)
		_exit(100);
	close(p[0]);
	if (write(p[1], "x", 1) < 0)
		_exit(errno == EPIPE ? 101 : 102);
	_exit(103);
}

static void test_sigpipe_default(void)
{
	tap_check_killed(write_to_closed_pipe, NULL, SIGPIPE,
			 "write with no reader and default action -> SIGPIPE");
}

static void test_pipe2(void)
{
	int p[2] = { -1, -1 };
	char byte;

	/* musl's pipe2(fds, 0) calls pipe, so make the system call directly. */
	tap_check(syscall(SYS_pipe2, p, 0) == 0, "pipe2(fds, 0) works like pipe",
		  "%s", strerror(errno));
	close(p[0]);
	close(p[1]);

	errno = 0;
	long ret = pipe2(p, 0x12345678);
	tap_check_errno(ret, errno, EINVAL, "pipe2 with unknown flags -> EINVAL");

	if (pipe2(p, O_NONBLOCK) < 0) {
		tap_fail("pipe2 O_NONBLOCK", "%s", strerror(errno));
		return;
	}
	errno = 0;
	ret = read(p[0], &byte, 1);
	tap_check_errno(ret, errno, EAGAIN,
			"pipe2 O_NONBLOCK: read of an empty pipe -> EAGAIN");
	close(p[0]);
	close(p[1]);
}

/* With O_CLOEXEC the child's copy of the write end vanishes at execve, so
 * the reader sees EOF while the exec'd program is still running. */
static void test_pipe2_cloexec(void)
{
	const char *what = "pipe2 O_CLOEXEC: write end closed by execve";
	int p[2];
	char byte;

	if (pipe2(p, O_CLOEXEC) < 0) {
		tap_fail(what, "pipe2: %s", strerror(errno));
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		char *argv[] = { "sleep", "2", NULL };
		execve(tap_bin("sleep"), argv, environ);
		_exit(127);
	}
	close(p[1]);
	double start = now_seconds();
	ssize_t n = read(p[0], &byte, 1);
	double waited = now_seconds() - start;
	int status;
	pid_t still_running = waitpid(pid, &status, WNOHANG);
	close(p[0]);
	kill(pid, SIGKILL);
	tap_wait(pid);
	tap_check(n == 0 && still_running == 0 && waited < 1.5, what,
		  "read %zd after %.2fs, child %s", n, waited,
		  still_running == 0 ? "running" : "gone");
}

static void test_dup(void)
{
	int p[2];
	char buf[8] = { 0 };

	if (make_pipe(p, "dup") < 0)
		return;
	int copy = dup(p[1]);
	tap_check(copy > p[1], "dup returns a new descriptor", "dup returned %d",
		  copy);
	tap_check_long(write(copy, "dup", 3), 3, "write through the duplicate");
	tap_check(read(p[0], buf, sizeof buf) == 3 && memcmp(buf, "dup", 3) == 0,
		  "the duplicate refers to the same pipe", "read '%s'", buf);

	close(p[0]);
	int lowest = dup(p[1]);
	tap_check_long(lowest, p[0], "dup returns the lowest free descriptor");
	close(lowest);
	close(p[1]);

	errno = 0;
	long ret = dup(999);
	tap_check_errno(ret, errno, EBADF, "dup(999) -> EBADF");
	close(copy);
}

static void test_dup2(void)
{
	int p[2], q[2];
	char buf[8] = { 0 };

	if (make_pipe(p, "dup2") < 0 || make_pipe(q, "dup2") < 0)
		return;
	/* Point q[1] at p's pipe: dup2 first closes q[1]'s old pipe. */
	tap_check_long(dup2(p[1], q[1]), q[1], "dup2(old, new) returns new");
	tap_check_long(read(q[0], buf, 1), 0,
		       "dup2 closed new's old file (its pipe now sees EOF)");
	tap_check_long(write(q[1], "two", 3), 3, "write through dup2's copy");
	tap_check(read(p[0], buf, sizeof buf) == 3 && memcmp(buf, "two", 3) == 0,
		  "the data arrives in the old descriptor's pipe", "read '%s'",
		  buf);
	tap_check_long(dup2(p[1], p[1]), p[1], "dup2(fd, fd) returns fd");
	errno = 0;
	long ret = dup2(999, 20);
	tap_check_errno(ret, errno, EBADF, "dup2(999, 20) -> EBADF");

	close(p[1]);
	tap_check(write(q[1], "!", 1) == 1,
		  "the pipe stays open while a duplicate writer remains", "%s",
		  strerror(errno));
	close(q[1]);
	tap_check(read(p[0], buf, sizeof buf) == 1,
		  "data from the duplicate arrives", "%s", strerror(errno));
	tap_check_long(read(p[0], buf, sizeof buf), 0,
		       "EOF only after the last duplicate writer closes");
	close(p[0]);
	close(q[0]);
}

/* The child reads everything and exits 0 only if every byte is right. */
static int read_and_verify(int fd)
{
	static unsigned char in[BIG_SIZE];
	ssize_t n = read_full(fd, in, sizeof in);
	char extra;

	if (n != BIG_SIZE)
		return 1;
	for (size_t i = 0; i < BIG_SIZE; i++)
		if (in[i] != pattern_byte(i))
			return 2;
	return read(fd, &extra, 1) == 0 ? 0 : 3;
}

static void test_large_write(void)
{
	int p[2];

	for (size_t i = 0; i < BIG_SIZE; i++)
		big[i] = pattern_byte(i);
	if (make_pipe(p, "large write") < 0)
		return;
	pid_t pid = fork();
	if (pid == 0) {
		close(p[1]);
		_exit(read_and_verify(p[0]));
	}
	close(p[0]);
	ssize_t n = write(p[1], big, BIG_SIZE);
	close(p[1]);
	int status = tap_wait(pid);
	tap_check_long(n, BIG_SIZE, "one 256 KiB write to a pipe blocks until all is written");
	tap_check(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "reader in another process gets every byte in order", "reader %s",
		  tap_status_str(status));
}

/* ---- a pipeline: writer | cat | checker -------------------------------- */

static pid_t spawn_writer(int out)
{
	pid_t pid = fork();

	if (pid == 0) {
		_exit(tap_write_full(out, big, BIG_SIZE) == BIG_SIZE ? 0 : 1);
	}
	return pid;
}

static pid_t spawn_cat(int in, int out)
{
	pid_t pid = fork();

	if (pid == 0) {
		char *argv[] = { "cat", NULL };
		dup2(in, 0);
		dup2(out, 1);
		close(in);
		close(out);
		execve(tap_bin("cat"), argv, environ);
		_exit(127);
	}
	return pid;
}

static pid_t spawn_checker(int in)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(read_and_verify(in));
	return pid;
}

static int stage_ok(int status)
{
	return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void test_pipeline(void)
{
	int a[2], b[2];

	if (make_pipe(a, "pipeline") < 0 || make_pipe(b, "pipeline") < 0)
		return;
	pid_t writer = spawn_writer(a[1]);
	close(a[1]);
	pid_t cat = spawn_cat(a[0], b[1]);
	close(a[0]);
	close(b[1]);
	pid_t checker = spawn_checker(b[0]);
	close(b[0]);

	int ws = tap_wait(writer), cs = tap_wait(cat), ks = tap_wait(checker);
	tap_check(stage_ok(ws), "pipeline: writer stage exits 0", "%s",
		  tap_status_str(ws));
	tap_check(stage_ok(cs), "pipeline: cat stage exits 0", "%s",
		  tap_status_str(cs));
	tap_check(stage_ok(ks), "pipeline: 256 KiB arrive intact through cat",
		  "%s", tap_status_str(ks));
}

int main(void)
{
	test_round_trip();
	test_eof_across_fork();
	test_epipe_ignored();
	test_sigpipe_default();
	test_pipe2();
	test_pipe2_cloexec();
	test_dup();
	test_dup2();
	test_large_write();
	test_pipeline();
	return tap_done();
}
