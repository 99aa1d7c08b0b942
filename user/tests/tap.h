/*
 * tap.h - a tiny header-only TAP (Test Anything Protocol) helper shared by
 * the in-guest test programs in user/tests/.
 *
 * Every check prints one line, "ok N - what" or "not ok N - what: why", and
 * tap_done() prints the summary "# passed P failed F" and returns the exit
 * status (0 only when nothing failed).  Lines are formatted into a buffer and
 * written with a single write(2), so output from parents and children never
 * interleaves mid-line and nothing sits in a stdio buffer across fork().
 *
 * It also carries the few process helpers most tests need: run a function in
 * a child and get its wait status (or give up after a timeout), run a case
 * in a child whose checks count here (tap_case), describe a wait status in
 * words, and find the helper programs' directory ($BIN, default /bin).
 */
#ifndef TAP_H
#define TAP_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ulib.h"

static struct {
	int number;  /* number of the last check printed */
	int passed;
	int failed;
	int report_fd;  /* in a tap_case child: 1 + the pipe each check is told on */
} tap;

/* In a tap_case child, tell the parent about one check ('P' or 'F'). */
static inline void tap_report(char verdict)
{
	if (tap.report_fd > 0 && write(tap.report_fd - 1, &verdict, 1) != 1)
		tap.report_fd = 0;
}

/* A "# ..." diagnostic line; TAP readers ignore these. */
#define tap_diag(...) say("# " __VA_ARGS__)

static inline void tap_pass(const char *what)
{
	tap.passed++;
	tap_report('P');
	say("ok %d - %s\n", ++tap.number, what);
}

/* Record a failure; the reason is a printf-style format. */
__attribute__((format(printf, 2, 3)))
static inline void tap_fail(const char *what, const char *why_fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, why_fmt);
	vsnprintf(why, sizeof why, why_fmt, ap);
	va_end(ap);
	tap.failed++;
	tap_report('F');
	say("not ok %d - %s: %s\n", ++tap.number, what, why);
}

static inline void tap_skip(const char *what, const char *reason)
{
	tap.passed++;
	tap_report('P');
	say("ok %d - %s # SKIP %s\n", ++tap.number, what, reason);
}

/* Pass when cond holds; otherwise fail with the given reason. */
#define tap_check(cond, what, ...) \
	((cond) ? tap_pass(what) : tap_fail(what, __VA_ARGS__))

/* Expect two integers to be equal. */
static inline void tap_check_long(long got, long want, const char *what)
{
	if (got == want)
		tap_pass(what);
	else
		tap_fail(what, "got %ld, want %ld", got, want);
}

/* Expect a libc-style call to have failed with -1 and errno == want. */
static inline void tap_check_errno(long ret, int err, int want, const char *what)
{
	if (ret == -1 && err == want)
		tap_pass(what);
	else if (ret == -1)
		tap_fail(what, "errno %d (%s), want %d (%s)", err, strerror(err),
			 want, strerror(want));
	else
		tap_fail(what, "returned %ld, want -1 with errno %d (%s)", ret,
			 want, strerror(want));
}

/* Expect CALL (a libc-style call; a pointer result counts as MAP_FAILED,
 * i.e. -1, on failure) to fail with errno WANT, read right after it. */
#define CHECK_ERRNO(call, want, what)                    \
	do {                                             \
		errno = 0;                               \
		long ret_ = (long)(call);                \
		int err_ = errno;                        \
		tap_check_errno(ret_, err_, want, what); \
	} while (0)

/* Print the summary line and return the program's exit status. */
static inline int tap_done(void)
{
	say("# passed %d failed %d\n", tap.passed, tap.failed);
	return tap.failed == 0 ? 0 : 1;
}

/* Describe a wait status in words, e.g. "exited 3", "killed by SIGSEGV". */
static inline const char *tap_status_str(int status)
{
	static char text[64];

	if (WIFEXITED(status))
		snprintf(text, sizeof text, "exited %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(text, sizeof text, "killed by signal %d (%s)",
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(text, sizeof text, "wait status 0x%x", status);
	return text;
}

/* Wait for one child, retrying on EINTR; returns its status or -1. */
static inline int tap_wait(pid_t pid)
{
	int status;
	pid_t got;

	do
		got = waitpid(pid, &status, 0);
	while (got < 0 && errno == EINTR);
	return got == pid ? status : -1;
}

/* Wait up to timeout_s seconds for child pid, polling (WNOHANG) so that no
 * alarm(2) is needed and a hung child cannot hang the test.  Returns its wait
 * status; -1 when wait failed; -2 when the time ran out (the child is then
 * killed with SIGKILL and reaped).  poll(), when given, runs between tries. */
static inline int tap_wait_timeout(pid_t pid, double timeout_s, void (*poll)(void *), void *arg)
{
	double deadline = now_s() + timeout_s;
	int status;

	for (;;) {
		pid_t got = waitpid(pid, &status, WNOHANG);
		if (got == pid)
			return status;
		if (got < 0 && errno != EINTR)
			return -1;
		if (poll)
			poll(arg);
		if (now_s() > deadline) {
			kill(pid, SIGKILL);
			tap_wait(pid);
			return -2;
		}
		sleep_ms(2);
	}
}

/* Take the 'P'/'F' bytes a tap_case child sent so far into the counts. */
static inline void tap_case_drain(void *fdp)
{
	char buf[256];
	ssize_t n;

	while ((n = read(*(int *)fdp, buf, sizeof buf)) > 0)
		for (ssize_t i = 0; i < n; i++, tap.number++) {
			if (buf[i] == 'P')
				tap.passed++;
			else
				tap.failed++;
		}
}

/*
 * Run fn(arg) as one case in a child: its checks are printed there and
 * counted here (one byte each through a non-blocking pipe), so a case that
 * crashes or hangs on a kernel bug costs one failed check, named what, and
 * the cases after it still run.  Failed: a child killed by a signal, exiting
 * non-zero, still running after timeout_s seconds (then killed), or ending
 * without a single check (a case that silently skips).
 */
static inline void tap_case(const char *what, void (*fn)(void *), void *arg, double timeout_s)
{
	int fd[2], before = tap.number;

	if (pipe2(fd, O_NONBLOCK) < 0) {
		tap_fail(what, "pipe2: %s", strerror(errno));
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(fd[0]);
		tap.report_fd = fd[1] + 1;
		fn(arg);
		_exit(0);
	}
	close(fd[1]);
	int status = pid < 0 ? -1 : tap_wait_timeout(pid, timeout_s, tap_case_drain, &fd[0]);
	tap_case_drain(&fd[0]);
	close(fd[0]);
	if (pid < 0)
		tap_fail(what, "fork: %s", strerror(errno));
	else if (status == -2)
		tap_fail(what, "still running after %.0f s: killed", timeout_s);
	else if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status))
		tap_fail(what, "the case's process %s", status == -1 ? "vanished" : tap_status_str(status));
	else if (tap.number == before)
		tap_fail(what, "the case made no check");
}

/* Run fn(arg) in a child that then exits 0; return the child's wait status. */
static inline int tap_run_child(void (*fn)(void *), void *arg)
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		fn(arg);
		_exit(0);
	}
	return tap_wait(pid);
}

/* Expect fn(arg), run in a child, to be killed by signal sig. */
static inline void tap_check_killed(void (*fn)(void *), void *arg, int sig,
				    const char *what)
{
	int status = tap_run_child(fn, arg);

	if (status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == sig)
		tap_pass(what);
	else if (status == -1)
		tap_fail(what, "fork/wait failed: %s", strerror(errno));
	else
		tap_fail(what, "child %s, want killed by signal %d (%s)",
			 tap_status_str(status), sig, strsignal(sig));
}

/* Expect fn(arg), run in a child, to exit with the given code. */
static inline void tap_check_exits(void (*fn)(void *), void *arg, int code,
				   const char *what)
{
	int status = tap_run_child(fn, arg);

	if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == code)
		tap_pass(what);
	else if (status == -1)
		tap_fail(what, "fork/wait failed: %s", strerror(errno));
	else
		tap_fail(what, "child %s, want exited %d", tap_status_str(status),
			 code);
}

/* Write all len bytes, continuing after partial writes; returns the count or -1. */
static inline ssize_t tap_write_full(int fd, const void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, (const char *)buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		done += n;
	}
	return done;
}

/* A child driven through a pair of pipes: the parent sends one-byte
 * commands, the child answers each with fn(cmd, arg); 'q' ends it.  For
 * tests that must act in another process at a chosen moment (write a page
 * after a fork, read it again after the parent changed it). */
struct tap_kid {
	pid_t pid;
	int to, from;
};

/* Start the child: 0, or -1 when pipe or fork failed. */
static inline int tap_kid_start(struct tap_kid *k, char (*fn)(char cmd, void *arg), void *arg)
{
	int down[2], up[2];

	if (pipe(down) < 0 || pipe(up) < 0)
		return -1;
	k->pid = fork();
	if (k->pid == 0) {
		char c;
		close(down[1]);
		close(up[0]);
		while (read(down[0], &c, 1) == 1 && c != 'q') {
			char r = fn(c, arg);
			if (write(up[1], &r, 1) != 1)
				break;
		}
		_exit(0);
	}
	close(down[0]);
	close(up[1]);
	k->to = down[1], k->from = up[0];
	return k->pid < 0 ? -1 : 0;
}

/* Send CMD and return the child's answer (0, with a diagnostic, when it
 * did not answer: it died). */
static inline char tap_kid_ask(struct tap_kid *k, char cmd)
{
	char r = 0;

	if (write(k->to, &cmd, 1) != 1 || read(k->from, &r, 1) != 1) {
		tap_diag("child %d did not answer\n", (int)k->pid);
		return 0;
	}
	return r;
}

/* End the child: its wait status. */
static inline int tap_kid_end(struct tap_kid *k)
{
	char q = 'q';

	if (write(k->to, &q, 1) != 1)
		tap_diag("child %d: could not send q\n", (int)k->pid);
	close(k->to);
	close(k->from);
	return tap_wait(k->pid);
}

/* Directory holding the helper programs (true, false, echo, ...). */
static inline const char *tap_bin_dir(void)
{
	const char *bin = getenv("BIN");

	return bin && *bin ? bin : "/bin";
}

/* Full path of helper program name, in a static buffer. */
static inline const char *tap_bin(const char *name)
{
	static char path[256];

	snprintf(path, sizeof path, "%s/%s", tap_bin_dir(), name);
	return path;
}

#endif /* TAP_H */
