/*
 * test_poll - poll, ppoll, select and pselect6 on pipes and /dev/null, as
 * Linux answers them (it passes natively on Linux too): readiness after a
 * write, POLLOUT until the pipe is full, POLLHUP with no writer, POLLERR
 * with no reader, POLLNVAL vs EBADF for a closed descriptor, timeouts of 0
 * and 50 ms (and the time left that select writes back), bad arguments,
 * a poll woken by a writer on another CPU many times over, and a poll
 * ended by a signal.
 *
 * Runs on Linux: yes
 */
#include "tap.h"

#include <poll.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <time.h>

static int make_pipe(int p[2], const char *what)
{
	if (pipe(p) == 0)
		return 0;
	tap_fail(what, "pipe: %s", strerror(errno));
	return -1;
}

/* poll one descriptor for EVENTS with TIMEOUT ms: its revents, or -1
 * (errno) when poll failed, or 0 when it timed out. */
static int poll_one(int fd, short events, int timeout)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n = poll(&p, 1, timeout);

	return n < 0 ? -1 : n == 0 ? 0 : p.revents;
}

static void test_pipe_readiness(void)
{
	int p[2];
	char c;

	if (make_pipe(p, "pipe readiness") < 0)
		return;
	tap_check_long(poll_one(p[0], POLLIN, 0), 0, "an empty pipe is not readable (timeout 0)");
	tap_check_long(poll_one(p[1], POLLOUT, 0), POLLOUT, "an empty pipe is writable");
	tap_check_long(write(p[1], "x", 1), 1, "write one byte");
	tap_check_long(poll_one(p[0], POLLIN | POLLOUT, 0), POLLIN,
		       "then the read end is readable (and not writable)");
	tap_check_long(poll_one(p[1], POLLOUT, 0), POLLOUT, "the write end stays writable");
	tap_check_long(read(p[0], &c, 1), 1, "read the byte back");
	tap_check_long(poll_one(p[0], POLLIN, 0), 0, "an emptied pipe is not readable");
	close(p[0]);
	close(p[1]);
}

static void test_pipe_full(void)
{
	int p[2], writes = 0;
	char block[512] = { 0 }, sink[4096];

	if (make_pipe(p, "POLLOUT until full") < 0)
		return;
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	while (write(p[1], block, sizeof block) == (ssize_t)sizeof block && writes < 100000)
		writes++;
	tap_check(errno == EAGAIN && writes > 0, "non-blocking writes fill the pipe",
		  "%d writes, then %s", writes, strerror(errno));
	tap_check_long(poll_one(p[1], POLLOUT, 0), 0, "a full pipe is not writable");
	while (read(p[0], sink, sizeof sink) > 0)
		;
	tap_check_long(poll_one(p[1], POLLOUT, 0), POLLOUT, "writable again once drained");
	close(p[0]);
	close(p[1]);
}

static void test_pipe_hangup(void)
{
	int p[2];

	if (make_pipe(p, "POLLHUP and POLLERR") < 0)
		return;
	tap_check_long(write(p[1], "x", 1), 1, "write one byte before closing");
	close(p[1]);
	tap_check_long(poll_one(p[0], POLLIN, 0), POLLIN | POLLHUP,
		       "no writer left: POLLIN with the data, and POLLHUP unasked");
	char c;
	tap_check_long(read(p[0], &c, 1), 1, "read the last byte");
	tap_check_long(poll_one(p[0], POLLIN, -1), POLLHUP,
		       "then POLLHUP alone, without waiting (timeout -1)");
	close(p[0]);

	if (make_pipe(p, "POLLERR") < 0)
		return;
	close(p[0]);
	int r = poll_one(p[1], POLLOUT, 0);
	tap_check(r > 0 && (r & POLLERR), "no reader left: POLLERR on the write end",
		  "revents 0x%x", r);
	close(p[1]);
}

static void test_bad_fds(void)
{
	int p[2];

	if (make_pipe(p, "bad descriptors") < 0)
		return;
	int closed = p[1];
	close(closed);
	struct pollfd fds[3] = {
		{ .fd = closed, .events = POLLIN },
		{ .fd = -1, .events = POLLIN },
		{ .fd = p[0], .events = POLLIN },
	};
	int n = poll(fds, 3, 0);
	tap_check(n == 2 && fds[0].revents == POLLNVAL && fds[1].revents == 0 &&
		  fds[2].revents == POLLHUP,
		  "poll: a closed fd is POLLNVAL, a negative one is skipped",
		  "poll %d, revents 0x%x 0x%x 0x%x", n, fds[0].revents, fds[1].revents,
		  fds[2].revents);

	fd_set rd;
	FD_ZERO(&rd);
	FD_SET(closed, &rd);
	struct timeval tv = { 0, 0 };
	long r = select(closed + 1, &rd, NULL, NULL, &tv);
	tap_check_errno(r, errno, EBADF, "select: a closed fd is EBADF");
	r = select(-1, NULL, NULL, NULL, &tv);
	tap_check_errno(r, errno, EINVAL, "select: a negative count is EINVAL");
	r = poll((struct pollfd *)8, 1, 0);
	tap_check_errno(r, errno, EFAULT, "poll: an unreadable array is EFAULT");
	struct rlimit rl;
	rlim_t limit = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur : 32;
	r = syscall(SYS_poll, fds, (unsigned long)limit + 1, 0);
	tap_check_errno(r, errno, EINVAL, "poll: more entries than RLIMIT_NOFILE is EINVAL");
	r = syscall(SYS_ppoll, fds, 1, NULL, &rl, 4);
	tap_check_errno(r, errno, EINVAL, "ppoll: a signal set size other than 8 is EINVAL");
	close(p[0]);
}

static void test_timeouts(void)
{
	int p[2];

	if (make_pipe(p, "timeouts") < 0)
		return;
	double t0 = now_s();
	int r = poll_one(p[0], POLLIN, 50);
	double took = now_s() - t0;
	tap_check(r == 0 && took >= 0.045 && took < 5, "poll with 50 ms waits about 50 ms",
		  "returned %d after %.3f s", r, took);

	fd_set rd;
	FD_ZERO(&rd);
	FD_SET(p[0], &rd);
	struct timeval tv = { 0, 50000 };
	t0 = now_s();
	r = syscall(SYS_select, p[0] + 1, &rd, NULL, NULL, &tv);	/* musl's copies tv */
	took = now_s() - t0;
	tap_check(r == 0 && !FD_ISSET(p[0], &rd) && tv.tv_sec == 0 && tv.tv_usec == 0 &&
		  took >= 0.045, "select times out after 50 ms, clears the set, leaves 0 s",
		  "returned %d, set %d, left %ld.%06ld, after %.3f s", r, FD_ISSET(p[0], &rd),
		  (long)tv.tv_sec, (long)tv.tv_usec, took);

	tap_check_long(write(p[1], "x", 1), 1, "write a byte");
	FD_SET(p[0], &rd);
	tv = (struct timeval){ 10, 0 };
	r = syscall(SYS_select, p[0] + 1, &rd, NULL, NULL, &tv);
	tap_check(r == 1 && FD_ISSET(p[0], &rd) && tv.tv_sec >= 8 && tv.tv_sec <= 10,
		  "select on a ready pipe returns at once and writes back the time left",
		  "returned %d, left %ld.%06ld", r, (long)tv.tv_sec, (long)tv.tv_usec);

	struct timespec ts = { 0, 50000000 };
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	fd_set wr;
	FD_ZERO(&wr);
	FD_SET(p[1], &wr);
	FD_SET(p[0], &rd);
	r = pselect(p[1] + 1, &rd, &wr, NULL, &ts, &mask);
	tap_check(r == 2 && FD_ISSET(p[0], &rd) && FD_ISSET(p[1], &wr),
		  "pselect with a signal mask: both ends ready", "returned %d (%s)", r,
		  r < 0 ? strerror(errno) : "");

	struct pollfd fds[2] = { { .fd = p[0], .events = POLLIN }, { .fd = p[1], .events = POLLOUT } };
	ts = (struct timespec){ 0, 50000000 };
	r = ppoll(fds, 2, &ts, &mask);
	tap_check(r == 2 && fds[0].revents == POLLIN && fds[1].revents == POLLOUT,
		  "ppoll with a timespec and a signal mask", "returned %d, revents 0x%x 0x%x", r,
		  fds[0].revents, fds[1].revents);
	char c;
	tap_check_long(read(p[0], &c, 1), 1, "drain the byte");
	t0 = now_s();
	r = ppoll(fds, 1, &ts, NULL);
	tap_check(r == 0 && now_s() - t0 >= 0.045, "ppoll times out after 50 ms",
		  "returned %d after %.3f s", r, now_s() - t0);
	close(p[0]);
	close(p[1]);
}

static void test_dev_null(void)
{
	int fd = open("/dev/null", O_RDWR);

	if (fd < 0) {
		tap_fail("/dev/null is always ready", "open: %s", strerror(errno));
		return;
	}
	tap_check_long(poll_one(fd, POLLIN | POLLOUT, -1), POLLIN | POLLOUT,
		       "/dev/null is always ready to read and write");
	close(fd);
}

/* Ping-pong between two processes through two pipes: each side polls
 * before it reads, so every round is a poll woken by a write made on
 * (usually) another CPU. */
static void test_wakeups(void)
{
	int down[2], up[2], rounds = 300, done = 0;
	char c = 0;

	if (make_pipe(down, "poll woken many times") < 0 || make_pipe(up, "poll woken") < 0)
		return;
	pid_t pid = fork();
	if (pid == 0) {
		struct pollfd p = { .fd = down[0], .events = POLLIN };
		while (poll(&p, 1, 10000) == 1 && read(down[0], &c, 1) == 1 && c != 'q')
			if (write(up[1], &c, 1) != 1)
				break;
		_exit(0);
	}
	for (; done < rounds; done++) {
		struct pollfd p = { .fd = up[0], .events = POLLIN };
		if (write(down[1], "p", 1) != 1 || poll(&p, 1, 10000) != 1 ||
		    p.revents != POLLIN || read(up[0], &c, 1) != 1)
			break;
	}
	tap_check(done == rounds, "300 rounds of poll woken by a write in another process",
		  "stopped after %d rounds", done);
	if (write(down[1], "q", 1) != 1)
		kill(pid, SIGKILL);
	tap_check(tap_wait(pid) == 0, "the other process ends cleanly", "it did not");
	close(down[0]), close(down[1]), close(up[0]), close(up[1]);
}

static volatile sig_atomic_t got_usr1;

static void on_usr1(int sig)
{
	(void)sig;
	got_usr1 = 1;
}

/* A poll with no timeout ends for a signal: killed by its default action,
 * and with a handler -1/EINTR once the handler ran. */
static void test_signal(void)
{
	int p[2];

	if (make_pipe(p, "a signal ends poll") < 0)
		return;
	pid_t pid = fork();
	if (pid == 0) {
		poll_one(p[0], POLLIN, -1);
		_exit(0);
	}
	sleep_ms(100);
	kill(pid, SIGTERM);
	int status = tap_wait(pid);
	tap_check(status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM,
		  "SIGTERM ends a poll with no timeout", "child %s", tap_status_str(status));

	struct sigaction sa = { .sa_handler = on_usr1 };
	if (sigaction(SIGUSR1, &sa, NULL) < 0) {
		tap_fail("poll returns EINTR after a handler", "sigaction: %s", strerror(errno));
		return;
	}
	pid_t parent = getpid();
	pid = fork();
	if (pid == 0) {
		sleep_ms(100);
		kill(parent, SIGUSR1);
		_exit(0);
	}
	int r = poll_one(p[0], POLLIN, 10000);
	tap_check(r == -1 && errno == EINTR && got_usr1, "poll returns EINTR after a handler",
		  "poll %d (%s), handler ran %d", r, strerror(errno), (int)got_usr1);
	tap_wait(pid);

	/* ppoll's mask is the caller's for the call only */
	sigset_t block, none, now;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigemptyset(&none);
	got_usr1 = 0;
	pid = fork();
	if (pid == 0) {
		sleep_ms(50);
		kill(parent, SIGUSR1);
		_exit(0);
	}
	struct pollfd pf = { .fd = p[0], .events = POLLIN };
	struct timespec ts = { 0, 300000000 };
	r = ppoll(&pf, 1, &ts, &block);
	tap_check(r == 0 && got_usr1,
		  "ppoll's mask blocks SIGUSR1: it times out, and the handler runs on return",
		  "ppoll %d (%s), handler %d", r, strerror(errno), (int)got_usr1);
	tap_wait(pid);

	sigprocmask(SIG_BLOCK, &block, NULL);
	got_usr1 = 0;
	pid = fork();
	if (pid == 0) {
		sleep_ms(50);
		kill(parent, SIGUSR1);
		_exit(0);
	}
	ts = (struct timespec){ 10, 0 };
	r = ppoll(&pf, 1, &ts, &none);
	sigprocmask(SIG_SETMASK, NULL, &now);
	tap_check(r == -1 && errno == EINTR && got_usr1 && sigismember(&now, SIGUSR1),
		  "ppoll's empty mask lets a blocked SIGUSR1 in; the old mask comes back",
		  "ppoll %d (%s), handler %d, blocked after %d", r, strerror(errno),
		  (int)got_usr1, sigismember(&now, SIGUSR1));
	tap_wait(pid);
	sigprocmask(SIG_UNBLOCK, &block, NULL);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	test_pipe_readiness();
	test_pipe_full();
	test_pipe_hangup();
	test_bad_fds();
	test_timeouts();
	test_dev_null();
	test_wakeups();
	test_signal();
	return tap_done();
}
