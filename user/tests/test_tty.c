/*
 * test_tty - the terminal on descriptor 0 as Linux's tty layer answers:
 * sessions and the controlling terminal (setsid, TIOCSCTTY, TIOCNOTTY,
 * TIOCGSID, /dev/tty), the foreground group (tcsetpgrp's errors), job
 * control (a background read stopped by SIGTTIN or EIO when SIGTTIN is
 * ignored or the group orphaned; TOSTOP and SIGTTOU; tcsetattr from the
 * background), the line discipline fed through TIOCSTI (erase, kill, end
 * of file, ICRNL, INLCR, IGNCR, VINTR/VQUIT/VSUSP to the foreground group,
 * NOFLSH), raw mode with VMIN/VTIME, poll on the tty, and the window size
 * with SIGWINCH.
 *
 * Descriptor 0 must be a terminal: the console in the guest; on Linux a
 * pseudo-terminal, ours already (`script -qec build/root/bin/test_tty
 * /dev/null`) or a free one (python3 -c 'import os, subprocess;
 * m, s = os.openpty(); subprocess.run(["build/root/bin/test_tty"],
 * stdin=s)').  The terminal is given back as it was found: when it is
 * free (init=/bin/runtests), the cases run in a new session that takes it
 * and frees it again; when it is ours already (started from a shell), they
 * run in our own session, and the one check that would take the terminal
 * away from that session for good (stealing it) is skipped, saying so.
 *
 * Runs on Linux: no - descriptor 0 must be a terminal the test may take over
 */
#include "tap.h"

#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>

static struct termios saved;	/* the settings found, restored at the end */

/* Wait up to 10 s for PID to stop or end: its status, or -2 (then killed). */
static int wait_change(pid_t pid)
{
	double deadline = now_s() + 10;
	int status;

	for (;;) {
		pid_t got = waitpid(pid, &status, WUNTRACED | WNOHANG);
		if (got == pid)
			return status;
		if ((got < 0 && errno != EINTR) || now_s() > deadline) {
			kill(pid, SIGKILL);
			tap_wait(pid);
			return -2;
		}
		sleep_ms(5);
	}
}

/* Fork FN(ARG) into a new background process group of our session. */
static pid_t spawn_bg(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();

	if (pid == 0) {
		setpgid(0, 0);
		_exit(fn(arg));
	}
	if (pid > 0)
		setpgid(pid, pid);
	return pid;
}

/* A child's status was "stopped by SIG"; the child is then killed. */
static void check_stopped(pid_t pid, int sig, const char *what)
{
	int status = wait_change(pid);

	tap_check(status >= 0 && WIFSTOPPED(status) && WSTOPSIG(status) == sig, what,
		  "child %s", status == -2 ? "still running after 10 s" : tap_status_str(status));
	if (status >= 0 && WIFSTOPPED(status)) {
		kill(pid, SIGKILL);
		tap_wait(pid);
	}
}

static void check_exit0(pid_t pid, const char *what)
{
	int status = wait_change(pid);

	tap_check(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0, what,
		  "child %s", status == -2 ? "still running after 10 s" : tap_status_str(status));
	if (status >= 0 && WIFSTOPPED(status)) {
		kill(pid, SIGKILL);
		tap_wait(pid);
	}
}

static int set_lflag(tcflag_t on, tcflag_t off, int vmin, int vtime)
{
	struct termios t;

	if (tcgetattr(0, &t) < 0)
		return -1;
	t.c_lflag = (t.c_lflag | on) & ~off;
	t.c_cc[VMIN] = vmin;
	t.c_cc[VTIME] = vtime;
	return tcsetattr(0, TCSANOW, &t);
}

static void inject(const char *s)
{
	for (; *s; s++)
		if (ioctl(0, TIOCSTI, s) < 0)
			tap_diag("TIOCSTI: %s\n", strerror(errno));
}

/* ---- background access ---- */

static int read_expect_eio(void *arg)
{
	char c;

	(void)arg;
	signal(SIGTTIN, SIG_IGN);
	return read(0, &c, 1) == -1 && errno == EIO ? 0 : 1;
}

static int read_tty(void *arg)
{
	char c;

	(void)arg;
	return read(0, &c, 1) < 0 ? 2 : 3;
}

static int write_tty(void *arg)
{
	const char *line = arg ? "# a background write with SIGTTOU ignored\n"
			       : "# a background write without TOSTOP\n";

	if (arg)
		signal(SIGTTOU, SIG_IGN);
	return write(0, line, strlen(line)) == (ssize_t)strlen(line) ? 0 : 1;
}

static int write_tostop(void *arg)
{
	(void)arg;
	return write(0, "# written while stopped?\n", 25) == 25 ? 3 : 2;
}

/* tcsetattr with the settings as they are. */
static int set_attr(void *ign)
{
	struct termios t;

	if (ign)
		signal(SIGTTOU, SIG_IGN);
	if (tcgetattr(0, &t) < 0)
		return 2;
	return tcsetattr(0, TCSANOW, &t) == 0 ? 0 : 1;
}

/* Orphaned: a group whose members' parents are all outside the session. */
static int orphan_read(void *fdp)
{
	int fd = *(int *)fdp;
	pid_t pid = fork();

	if (pid != 0)
		return 0;	/* the parent leaves at once: the group is orphaned */
	while (getppid() != 1 && getpgid(getppid()) == getpgrp())
		sleep_ms(5);
	sleep_ms(50);
	char c, verdict = read(0, &c, 1) == -1 && errno == EIO ? 'E' : 'x';
	if (write(fd, &verdict, 1) != 1)
		_exit(1);
	_exit(0);
}

static void test_background(void)
{
	tcflush(0, TCIFLUSH);
	check_exit0(spawn_bg(read_expect_eio, NULL),
		    "a background read with SIGTTIN ignored fails with EIO");
	check_stopped(spawn_bg(read_tty, NULL), SIGTTIN,
		      "a background read stops its group with SIGTTIN");
	check_exit0(spawn_bg(write_tty, NULL), "a background write goes out without TOSTOP");
	if (set_lflag(TOSTOP, 0, 1, 0) < 0)
		tap_diag("setting TOSTOP: %s\n", strerror(errno));
	check_stopped(spawn_bg(write_tostop, NULL), SIGTTOU,
		      "with TOSTOP a background write stops its group with SIGTTOU");
	check_exit0(spawn_bg(write_tty, "ign"),
		    "with TOSTOP and SIGTTOU ignored the background write goes out");
	set_lflag(0, TOSTOP, 1, 0);
	check_stopped(spawn_bg(set_attr, NULL), SIGTTOU,
		      "tcsetattr from the background stops its group with SIGTTOU");
	check_exit0(spawn_bg(set_attr, "ign"),
		    "tcsetattr from the background with SIGTTOU ignored succeeds");

	int p[2];
	char verdict = 0;
	if (pipe(p) < 0)
		return;
	pid_t pid = spawn_bg(orphan_read, &p[1]);
	close(p[1]);
	tap_wait(pid);
	struct pollfd pf = { .fd = p[0], .events = POLLIN };
	if (poll(&pf, 1, 10000) == 1 && read(p[0], &verdict, 1) != 1)
		verdict = 0;
	tap_check(verdict == 'E', "a read from an orphaned background group fails with EIO",
		  "verdict '%c'", verdict ? verdict : '?');
	close(p[0]);
}

/* ---- the foreground group ---- */

/* In the foreground: tcsetattr does not stop us. */
static int check_foreground(void)
{
	return tcgetpgrp(0) != getpgrp() ? 1 : set_attr(NULL);
}

static int wait_forever(void *arg)
{
	int p[2];
	char c;

	(void)arg;
	if (pipe(p) == 0)
		read(p[0], &c, 1);
	return 4;
}

static void test_foreground(void)
{
	int r = tcsetpgrp(0, -1);
	tap_check_errno(r, errno, EINVAL, "tcsetpgrp to a negative group is EINVAL");
	r = tcsetpgrp(0, 0x7ffff000);
	tap_check_errno(r, errno, ESRCH, "tcsetpgrp to a group with no process is ESRCH");
	int up[2];
	char c = 0;
	if (pipe(up) < 0)
		return;
	pid_t other = fork();
	if (other == 0) {
		setsid();
		if (write(up[1], "s", 1) == 1)
			wait_forever(NULL);
		_exit(0);
	}
	if (read(up[0], &c, 1) != 1)
		tap_diag("the other session's process is gone\n");
	close(up[0]), close(up[1]);
	r = tcsetpgrp(0, other);
	tap_check_errno(r, errno, EPERM, "tcsetpgrp to a group of another session is EPERM");
	kill(other, SIGKILL);
	tap_wait(other);

	signal(SIGTTOU, SIG_IGN);	/* as a shell does, to take the terminal back */
	int go[2];
	if (pipe(go) < 0)
		return;
	pid_t pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(5);
		_exit(check_foreground());
	}
	setpgid(pid, pid);
	tap_check_long(tcsetpgrp(0, pid), 0, "tcsetpgrp hands the terminal to a child's group");
	tap_check_long(tcgetpgrp(0), pid, "tcgetpgrp names that group");
	if (write(go[1], "g", 1) != 1)
		tap_diag("the child is gone\n");
	check_exit0(pid, "the foreground child may change the settings without SIGTTOU");
	close(go[0]), close(go[1]);
	tap_check_long(tcsetpgrp(0, getpgrp()), 0,
		       "the parent, in the background with SIGTTOU ignored, takes it back");
	signal(SIGTTOU, SIG_DFL);
}

/* ---- the line discipline ---- */

static void expect_read(const char *typed, const char *want, const char *what)
{
	char buf[64];

	inject(typed);
	ssize_t n = read(0, buf, sizeof buf);
	tap_check(n == (ssize_t)strlen(want) && memcmp(buf, want, n) == 0, what,
		  "read %zd bytes '%.*s'", n, (int)(n > 0 ? n : 0), buf);
}

static int ready(int timeout)
{
	struct pollfd p = { .fd = 0, .events = POLLIN };

	return poll(&p, 1, timeout) == 1 && (p.revents & POLLIN);
}

static void test_canonical(void)
{
	set_lflag(ICANON | ISIG, ECHO, 1, 0);
	tcflush(0, TCIFLUSH);
	tap_check(!ready(0), "poll: nothing typed, not readable", "it was");
	inject("ab");
	tap_check(!ready(0), "poll: half a line is not readable yet", "it was");
	inject("\x7f" "c\n");
	tap_check(ready(0), "poll: a whole line is", "it was not");
	char buf[16];
	ssize_t n = read(0, buf, sizeof buf);
	tap_check(n == 3 && !memcmp(buf, "ac\n", 3), "VERASE (DEL) erases a byte",
		  "read %zd", n);
	expect_read("x\x15y\n", "y\n", "VKILL (^U) erases the line");
	expect_read("one two\x17three\n", "one three\n", "VWERASE (^W) erases a word");
	expect_read("hi\x04", "hi", "VEOF after text ends the line without a newline");
	expect_read("\x04", "", "VEOF at the start of a line reads as end of file");
	expect_read("\r", "\n", "ICRNL turns a carriage return into a newline");
	int r = fcntl(0, F_SETFL, O_NONBLOCK);
	n = read(0, buf, sizeof buf);
	tap_check(r == 0 && n == -1 && errno == EAGAIN, "O_NONBLOCK: no line is EAGAIN",
		  "read %zd (%s)", n, strerror(errno));
	fcntl(0, F_SETFL, 0);
}

static void test_raw(void)
{
	char buf[16];
	int queued = -1;

	set_lflag(0, ICANON | ECHO, 1, 0);
	inject("abc");
	tap_check(ioctl(0, FIONREAD, &queued) == 0 && queued == 3,
		  "raw mode: every byte is readable at once (FIONREAD 3)", "FIONREAD %d", queued);
	ssize_t n = read(0, buf, sizeof buf);
	tap_check(n == 3 && !memcmp(buf, "abc", 3), "a VMIN 1 read takes all three", "read %zd", n);

	set_lflag(0, ICANON | ECHO, 2, 0);
	inject("a");
	tap_check(!ready(0), "poll with VMIN 2: one byte is not enough", "it was");
	inject("b");
	tap_check(ready(0), "poll with VMIN 2: two bytes are", "they were not");
	tcflush(0, TCIFLUSH);

	set_lflag(0, ICANON | ECHO, 5, 2);
	inject("ab");
	double t0 = now_s();
	n = read(0, buf, sizeof buf);
	double took = now_s() - t0;
	tap_check(n == 2 && took >= 0.15 && took < 5,
		  "VMIN 5 VTIME 2: two bytes come back 0.2 s after the last one",
		  "read %zd after %.3f s", n, took);
	inject("xyz");
	struct termios t;
	tcgetattr(0, &t);
	tcsetattr(0, TCSAFLUSH, &t);
	tap_check(ioctl(0, FIONREAD, &queued) == 0 && queued == 0,
		  "tcsetattr TCSAFLUSH drops unread input", "FIONREAD %d", queued);
	t.c_iflag |= INLCR;
	tcsetattr(0, TCSANOW, &t);
	inject("\n");
	n = read(0, buf, sizeof buf);
	tap_check(n == 1 && buf[0] == '\r', "INLCR turns a newline into a carriage return",
		  "read %zd, 0x%x", n, buf[0]);
	t.c_iflag = (t.c_iflag & ~INLCR) | IGNCR;
	tcsetattr(0, TCSANOW, &t);
	inject("a\rb");
	n = read(0, buf, sizeof buf);
	tap_check(n == 2 && !memcmp(buf, "ab", 2), "IGNCR drops carriage returns", "read %zd", n);
	t.c_iflag &= ~IGNCR;
	tcsetattr(0, TCSANOW, &t);
	tap_check(ioctl(0, TIOCOUTQ, &queued) == 0 && queued == 0, "TIOCOUTQ: no output queued",
		  "%d", queued);

	set_lflag(0, ICANON | ECHO, 0, 2);
	t0 = now_s();
	n = read(0, buf, sizeof buf);
	took = now_s() - t0;
	tap_check(n == 0 && took >= 0.15 && took < 5, "VMIN 0 VTIME 2: a read gives 0 after 0.2 s",
		  "read %zd after %.3f s", n, took);
	set_lflag(0, ICANON | ECHO, 0, 0);
	n = read(0, buf, sizeof buf);
	tap_check(n == 0, "VMIN 0 VTIME 0: a read gives 0 at once", "read %zd", n);

	tcgetattr(0, &t);
	tap_check(!(t.c_lflag & ICANON) && t.c_cc[VMIN] == 0 && t.c_cc[VTIME] == 0,
		  "tcgetattr gives back the raw settings", "lflag 0%o", t.c_lflag);

	set_lflag(ISIG, ICANON | ECHO | NOFLSH, 1, 0);
	signal(SIGINT, SIG_IGN);
	inject("abc\x03");
	tap_check(ioctl(0, FIONREAD, &queued) == 0 && queued == 0,
		  "VINTR drops unread input", "FIONREAD %d", queued);
	set_lflag(NOFLSH, 0, 1, 0);
	inject("abc\x03");
	tap_check(ioctl(0, FIONREAD, &queued) == 0 && queued == 3,
		  "with NOFLSH it keeps it", "FIONREAD %d", queued);
	signal(SIGINT, SIG_DFL);
	tcflush(0, TCIFLUSH);
	tap_check(ioctl(0, FIONREAD, &queued) == 0 && queued == 0, "TCFLSH drops it",
		  "FIONREAD %d", queued);
}

/* A signal character typed for a child that holds the foreground. */
static void check_typed_signal(const char *c, int sig, const char *what)
{
	set_lflag(ISIG | ICANON, ECHO, 1, 0);
	signal(SIGTTOU, SIG_IGN);
	pid_t pid = spawn_bg(wait_forever, NULL);
	tcsetpgrp(0, pid);
	sleep_ms(50);
	inject(c);
	if (sig == SIGTSTP) {
		check_stopped(pid, sig, what);
	} else {
		int status = wait_change(pid);
		tap_check(status >= 0 && WIFSIGNALED(status) && WTERMSIG(status) == sig, what,
			  "child %s", status == -2 ? "still running" : tap_status_str(status));
	}
	tcsetpgrp(0, getpgrp());
	signal(SIGTTOU, SIG_DFL);
}

static void test_signal_chars(void)
{
	check_typed_signal("\x03", SIGINT, "VINTR (^C) kills the foreground group with SIGINT");
	check_typed_signal("\x1c", SIGQUIT, "VQUIT (^\\) sends SIGQUIT");
	check_typed_signal("\x1a", SIGTSTP, "VSUSP (^Z) stops the foreground group (SIGTSTP)");
}

static volatile sig_atomic_t got_winch;

static void on_winch(int sig)
{
	(void)sig;
	got_winch = 1;
}

static void test_winsize(void)
{
	struct winsize ws, set, got;

	if (ioctl(0, TIOCGWINSZ, &ws) < 0) {
		tap_fail("TIOCGWINSZ", "%s", strerror(errno));
		return;
	}
	set = ws;
	set.ws_row = ws.ws_row + 3;
	set.ws_col = ws.ws_col + 5;
	int r = ioctl(0, TIOCSWINSZ, &set);
	tap_check(r == 0 && ioctl(0, TIOCGWINSZ, &got) == 0 && got.ws_row == set.ws_row &&
		  got.ws_col == set.ws_col, "TIOCSWINSZ then TIOCGWINSZ: the same size",
		  "%d x %d", got.ws_row, got.ws_col);
	struct sigaction sa = { .sa_handler = on_winch };
	if (sigaction(SIGWINCH, &sa, NULL) < 0) {
		tap_fail("a new size sends SIGWINCH to the foreground group", "sigaction: %s",
			 strerror(errno));
	} else {
		got_winch = 0;
		ioctl(0, TIOCSWINSZ, &ws);
		tap_check(got_winch, "a new size sends SIGWINCH to the foreground group",
			  "no SIGWINCH");
		got_winch = 0;
		ioctl(0, TIOCSWINSZ, &ws);
		tap_check(!got_winch, "the same size again sends none", "SIGWINCH came");
		signal(SIGWINCH, SIG_DFL);
	}
	ioctl(0, TIOCSWINSZ, &ws);
}

/* ---- sessions ---- */

/* A new session has no controlling terminal until it takes one. */
static void check_new_session(void *arg)
{
	pid_t sid = setsid();
	int v;

	(void)arg;
	tap_check_long(sid, getpid(), "setsid makes a session led by the caller");
	int fd = open("/dev/tty", O_RDWR);
	tap_check_errno(fd, errno, ENXIO, "without a controlling tty /dev/tty is ENXIO");
	int r = ioctl(0, TIOCGSID, &v);
	tap_check_errno(r, errno, ENOTTY, "TIOCGSID on a tty that is not ours is ENOTTY");
	r = tcgetpgrp(0);
	tap_check_errno(r, errno, ENOTTY, "so is TIOCGPGRP");
	r = tcsetpgrp(0, getpgrp());
	tap_check_errno(r, errno, ENOTTY, "and TIOCSPGRP");
	r = ioctl(0, TIOCSCTTY, 0);
	tap_check_errno(r, errno, EPERM, "TIOCSCTTY 0 on another session's tty is EPERM");
	r = ioctl(0, TIOCNOTTY);
	tap_check_errno(r, errno, ENOTTY, "TIOCNOTTY without a controlling tty is ENOTTY");
}

/* The checks of a session that has the terminal: the caller's. */
static void check_own_session(void)
{
	int v = 0;

	tap_check(ioctl(0, TIOCGSID, &v) == 0 && v == getsid(0),
		  "TIOCGSID names our session", "%d, getsid %d", v, getsid(0));
	tap_check_long(tcgetpgrp(0), getpgrp(), "we are the foreground group");
	int fd = open("/dev/tty", O_RDWR);
	tap_check(fd >= 0 && isatty(fd), "/dev/tty opens our controlling tty", "%s",
		  strerror(errno));
	close(fd);
	int r = ioctl(0, TIOCSCTTY, 0);
	tap_check(getsid(0) != getpid() ? r == -1 && errno == EPERM : r == 0,
		  "TIOCSCTTY: EPERM for a member, a no-op for the leader", "%d (%s)", r,
		  strerror(errno));
	tap_case("a new session has no controlling tty", check_new_session, NULL, 30);
}

/* The terminal's own cases, in a process of the foreground group. */
static void run_cases(void)
{
	struct termios quiet;

	tcgetattr(0, &saved);
	quiet = saved;
	quiet.c_lflag &= ~ECHO;
	tcsetattr(0, TCSANOW, &quiet);
	check_own_session();
	test_background();
	test_foreground();
	test_canonical();
	test_raw();
	test_signal_chars();
	test_winsize();
	tcsetattr(0, TCSAFLUSH, &saved);
}

/* Session leader STEALER takes the tty with TIOCSCTTY 1, then frees it. */
static void steal_and_free(void *arg)
{
	(void)arg;
	setsid();
	signal(SIGHUP, SIG_IGN);	/* TIOCNOTTY hangs up our own foreground group */
	int r = ioctl(0, TIOCSCTTY, 0);
	tap_check_errno(r, errno, EPERM, "TIOCSCTTY 0 does not steal a tty");
	tap_check_long(ioctl(0, TIOCSCTTY, 1), 0, "TIOCSCTTY 1 steals it (root)");
	int v = 0;
	tap_check(ioctl(0, TIOCGSID, &v) == 0 && v == getpid(), "TIOCGSID names the thief",
		  "%d", v);
	tap_check_long(ioctl(0, TIOCNOTTY), 0, "the thief's TIOCNOTTY frees it");
}

/* A session leader that exits hangs up its foreground group. */
static void leader_exit(int fd)
{
	setsid();
	signal(SIGHUP, SIG_DFL);
	if (ioctl(0, TIOCSCTTY, 0) < 0)
		_exit(1);
	if (fork() == 0) {	/* in our group, the foreground: SIGHUP ends it */
		wait_forever(NULL);
		_exit(0);
	}
	close(fd);
	_exit(0);
}

/* The terminal's name for open(2): ttyname(0), except that the console
 * is opened as /dev/ttyS0 (the serial port it is; opening /dev/console
 * never makes a controlling terminal, as on Linux). */
static const char *tty_path(void)
{
	const char *name = ttyname(0);

	return name && strcmp(name, "/dev/console") ? name : "/dev/ttyS0";
}

/* A free terminal: take it in a new session, run the cases, give it back. */
static void in_new_session(void *arg)
{
	int v;

	(void)arg;
	setsid();
	signal(SIGHUP, SIG_IGN);
	int fd = open(tty_path(), O_RDWR | O_NOCTTY);
	int r = ioctl(fd, TIOCGSID, &v);
	tap_check(fd >= 0 && r == -1 && errno == ENOTTY,
		  "opening the free tty with O_NOCTTY does not take it", "open %s: %d, %s",
		  tty_path(), fd, strerror(errno));
	close(fd);
	tap_check_long(ioctl(0, TIOCSCTTY, 0), 0, "a new session leader takes the free tty");
	run_cases();

	signal(SIGTTOU, SIG_IGN);
	tap_case("another session steals the tty and frees it", steal_and_free, NULL, 30);
	r = ioctl(0, TIOCGSID, &v);
	tap_check_errno(r, errno, ENOTTY, "the robbed session has no tty any more");
	tap_check_long(ioctl(0, TIOCSCTTY, 0), 0, "and can take it again once it is free");
	tap_check_long(ioctl(0, TIOCNOTTY), 0, "TIOCNOTTY gives it up");
	fd = open(tty_path(), O_RDWR);
	tap_check(fd >= 0 && ioctl(0, TIOCGSID, &v) == 0 && v == getpid(),
		  "a session leader opening the free tty (no O_NOCTTY) takes it",
		  "open %s: %d, %s", tty_path(), fd, strerror(errno));
	ioctl(0, TIOCNOTTY);
	close(fd);

	int p[2];
	char c;
	if (pipe(p) < 0)
		return;
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		leader_exit(p[1]);
	}
	close(p[1]);
	tap_wait(pid);
	struct pollfd pf = { .fd = p[0], .events = POLLIN };
	tap_check(poll(&pf, 1, 10000) == 1 && read(p[0], &c, 1) == 0,
		  "a session leader's exit hangs up its foreground group (SIGHUP)",
		  "its child still holds the pipe");
	close(p[0]);
	r = ioctl(0, TIOCSCTTY, 0);
	tap_check_long(r, 0, "and leaves the tty free");
	ioctl(0, TIOCNOTTY);
}

/* Our session's terminal: the cases run in a group of their own, so the
 * signals they type reach nobody else; the foreground goes back after. */
static void in_own_session(void *arg)
{
	pid_t found = tcgetpgrp(0);

	(void)arg;
	signal(SIGTTOU, SIG_IGN);
	setpgid(0, 0);
	tcsetpgrp(0, getpgrp());
	signal(SIGTTOU, SIG_DFL);
	run_cases();
	signal(SIGTTOU, SIG_IGN);
	tcsetpgrp(0, found);
}

int main(void)
{
	int sid = -1;

	if (!isatty(0)) {
		tap_fail("descriptor 0 is a terminal", "it is not (on Linux: run under script)");
		return tap_done();
	}
	if (ioctl(0, TIOCGSID, &sid) == 0) {
		tap_diag("the terminal is our session's (%d): cases run in it\n", sid);
		tap_case("the cases, in our own session", in_own_session, NULL, 120);
		tap_skip("TIOCSCTTY 1 steals a tty", "it would take the terminal from this session");
	} else {
		tap_diag("the terminal has no session of ours: a new session takes it\n");
		tap_case("the cases, in a new session", in_new_session, NULL, 120);
	}
	return tap_done();
}
