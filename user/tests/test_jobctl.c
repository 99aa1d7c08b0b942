/*
 * test_jobctl - job-control stops (man 7 signal, "Stop" and "Cont"):
 * SIGSTOP and SIGCONT with wait4's WUNTRACED and WCONTINUED statuses, each
 * reported once; SIGCHLD's si_code for a stop and a continue; SIGTSTP with
 * a handler against its default; a stopped process with threads stops them
 * all; SIGKILL and SIGTERM end a stopped process; "T" in /proc/PID/stat;
 * SIGCHLD set to SIG_IGN reaps children at once (wait4: ECHILD).  Races
 * are tried for many rounds.  Passes on Linux as well.
 *
 * Each stopped child first makes a process group of its own: the test's
 * parent is then in another group of the same session, so the group is not
 * orphaned and SIGTSTP is not discarded (POSIX, Linux do_signal_stop).
 * Runs on Linux: yes
 */
#include "tap.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define ROUNDS 20

/* A child in a group of its own that waits for signals forever. */
static pid_t spawn_sleeper(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		setpgid(0, 0);
		for (;;)
			pause();
	}
	return pid;
}

/* waitpid, retrying on EINTR. */
static pid_t wait_for(pid_t pid, int *status, int options)
{
	pid_t got;

	do
		got = waitpid(pid, status, options);
	while (got < 0 && errno == EINTR);
	return got;
}

/* The state letter of PID in /proc/PID/stat, or '?'. */
static char proc_state(pid_t pid)
{
	char path[64], buf[512];

	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	if (read_file(path, buf, sizeof buf) <= 0)
		return '?';
	char *paren = strrchr(buf, ')');
	return paren && paren[1] == ' ' ? paren[2] : '?';
}

static void test_stop_continue(void)
{
	int bad = 0, status = 0;
	const char *why = "";

	for (int round = 0; round < ROUNDS && !bad; round++) {
		pid_t pid = spawn_sleeper();
		kill(pid, SIGSTOP);
		if (wait_for(pid, &status, WUNTRACED) != pid || status != 0x137f) {
			bad = 1, why = "WUNTRACED";
		} else if (round == 0 && proc_state(pid) != 'T') {
			bad = 1, why = "/proc state";
		} else if (waitpid(pid, &status, WUNTRACED | WNOHANG) != 0) {
			bad = 1, why = "stop reported twice";
		} else {
			kill(pid, SIGCONT);
			if (wait_for(pid, &status, WCONTINUED) != pid || status != 0xffff)
				bad = 1, why = "WCONTINUED";
			else if (waitpid(pid, &status, WCONTINUED | WNOHANG) != 0)
				bad = 1, why = "continue reported twice";
		}
		kill(pid, SIGKILL);
		wait_for(pid, &status, 0);
	}
	tap_check(!bad, "SIGSTOP/SIGCONT: WUNTRACED 0x137f, WCONTINUED 0xffff, once each, T in /proc",
		  "%s: status 0x%x", why, status);
}

static void test_kill_stopped(void)
{
	int status;
	pid_t pid = spawn_sleeper();

	kill(pid, SIGSTOP);
	wait_for(pid, &status, WUNTRACED);
	kill(pid, SIGKILL);
	tap_check(wait_for(pid, &status, 0) == pid && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		  "SIGKILL ends a stopped process", "%s", tap_status_str(status));
	pid = spawn_sleeper();
	kill(pid, SIGSTOP);
	wait_for(pid, &status, WUNTRACED);
	kill(pid, SIGTERM);
	sleep_ms(50);
	tap_check(waitpid(pid, &status, WNOHANG) == 0, "SIGTERM waits while the process is stopped",
		  "%s", tap_status_str(status));
	kill(pid, SIGCONT);
	tap_check(wait_for(pid, &status, 0) == pid && WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM,
		  "... and ends it once SIGCONT comes", "%s", tap_status_str(status));
}

#define NOTE_FD 10	/* the pipe a child's handler reports on */

static void on_tstp(int sig)
{
	(void)sig;
	(void)!write(NOTE_FD, "t", 1);
}

static void test_tstp(void)
{
	int fd[2], status;
	char c;

	if (pipe(fd) || dup2(fd[1], NOTE_FD) < 0) {
		tap_fail("SIGTSTP", "pipe: %s", strerror(errno));
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		signal(SIGTSTP, on_tstp);
		(void)!write(NOTE_FD, "r", 1);
		for (;;)
			pause();
	}
	(void)!read(fd[0], &c, 1);		/* its handler is in place */
	kill(pid, SIGTSTP);
	bool ran = read(fd[0], &c, 1) == 1 && c == 't';
	sleep_ms(20);
	tap_check(ran && waitpid(pid, &status, WUNTRACED | WNOHANG) == 0,
		  "SIGTSTP with a handler runs it and does not stop", "ran %d", ran);
	kill(pid, SIGKILL);
	wait_for(pid, &status, 0);
	close(NOTE_FD);
	close(fd[0]);
	close(fd[1]);

	pid = spawn_sleeper();
	sleep_ms(10);
	kill(pid, SIGTSTP);
	tap_check(wait_for(pid, &status, WUNTRACED) == pid && WIFSTOPPED(status) &&
		  WSTOPSIG(status) == SIGTSTP, "SIGTSTP at its default stops (WSTOPSIG SIGTSTP)",
		  "%s", tap_status_str(status));
	kill(pid, SIGKILL);
	wait_for(pid, &status, 0);
}

static void test_sigchld_codes(void)
{
	sigset_t set, old;
	siginfo_t info;
	int status, bad = 0;
	const char *why = "";

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	for (int round = 0; round < ROUNDS && !bad; round++) {
		pid_t pid = spawn_sleeper();
		kill(pid, SIGSTOP);
		wait_for(pid, &status, WUNTRACED);
		if (sigwaitinfo(&set, &info) != SIGCHLD || info.si_code != CLD_STOPPED ||
		    info.si_pid != pid || info.si_status != SIGSTOP)
			bad = 1, why = "stop";
		kill(pid, SIGCONT);
		wait_for(pid, &status, WCONTINUED);
		if (!bad && (sigwaitinfo(&set, &info) != SIGCHLD || info.si_code != CLD_CONTINUED ||
			     info.si_pid != pid || info.si_status != SIGCONT))
			bad = 1, why = "continue";
		kill(pid, SIGKILL);
		wait_for(pid, &status, 0);
		sigwaitinfo(&set, &info);	/* its CLD_KILLED */
	}
	tap_check(!bad, "SIGCHLD's si_code: CLD_STOPPED/CLD_CONTINUED with si_pid and si_status",
		  "%s: code %d pid %d status %d", why, info.si_code, info.si_pid, info.si_status);

	struct sigaction sa = { .sa_handler = SIG_DFL, .sa_flags = SA_NOCLDSTOP };
	sigaction(SIGCHLD, &sa, NULL);
	pid_t pid = spawn_sleeper();
	kill(pid, SIGSTOP);
	wait_for(pid, &status, WUNTRACED);
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	int r = sigtimedwait(&set, &info, &ts);
	tap_check(r < 0 && errno == EAGAIN, "SA_NOCLDSTOP: no SIGCHLD for a stop", "got %d", r);
	kill(pid, SIGKILL);
	wait_for(pid, &status, 0);
	sa.sa_flags = 0;
	sigaction(SIGCHLD, &sa, NULL);
	while (sigtimedwait(&set, &info, &(struct timespec){ 0, 0 }) > 0)
		;
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* ---- a stopped process with threads ---- */

/* Each of the child's three threads writes its letter to a non-blocking
 * pipe every millisecond, without end (anonymous shared memory is not
 * there to count in).  The pause keeps the pipe from filling up, which
 * would leave a thread that the scheduler runs after the others nothing
 * but EAGAIN; and a stop then finds the threads in nanosleep too, which
 * restart_syscall resumes after SIGCONT. */
static int beat_fd;

static void *beat(void *arg)
{
	char c = (char)(intptr_t)arg;

	for (;;) {
		(void)!write(beat_fd, &c, 1);
		sleep_ms(1);
	}
	return NULL;
}

/* Read what the threads write for MS milliseconds (0: until the pipe is
 * empty): a bit per letter seen (a = 1, b = 2, c = 4). */
static int heard(int fd, int ms)
{
	char buf[512];
	int seen = 0;
	double end = now_s() + ms / 1000.0;

	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		for (ssize_t i = 0; i < n; i++)
			seen |= 1 << (buf[i] - 'a');
		if (n <= 0 ? now_s() >= end : ms && now_s() >= end)
			return seen;
		if (n <= 0)
			sleep_ms(2);
	}
}

static void test_threads_stop(void)
{
	int status, fd[2], bad = 0, seen = 0;

	if (pipe2(fd, O_NONBLOCK)) {
		tap_fail("threads stop", "pipe2: %s", strerror(errno));
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		pthread_t t;
		setpgid(0, 0);
		beat_fd = fd[1];
		pthread_create(&t, NULL, beat, (void *)'b');
		pthread_create(&t, NULL, beat, (void *)'c');
		beat((void *)'a');
	}
	close(fd[1]);
	heard(fd[0], 50);
	for (int round = 0; round < 5 && !bad; round++) {
		kill(pid, SIGSTOP);
		if (wait_for(pid, &status, WUNTRACED) != pid || !WIFSTOPPED(status)) {
			bad = 1;
			break;
		}
		heard(fd[0], 0);			/* what was written before the stop */
		if ((seen = heard(fd[0], 50)))
			bad = 2;
		kill(pid, SIGCONT);
		wait_for(pid, &status, WCONTINUED);
		if (!bad && (seen = heard(fd[0], 1000)) != 7)	/* slow under TCG */
			bad = 3;
	}
	kill(pid, SIGKILL);
	wait_for(pid, &status, 0);
	close(fd[0]);
	tap_check(!bad, "a stopped process stops all three threads, SIGCONT resumes them",
		  "case %d: threads heard 0x%x", bad, seen);
	tap_check(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		  "SIGKILL ends the threaded process", "%s", tap_status_str(status));
}

static void test_autoreap(void)
{
	int status;
	signal(SIGCHLD, SIG_IGN);
	pid_t pid = fork();
	if (pid == 0)
		_exit(3);
	pid_t got = wait_for(-1, &status, 0);
	int err = errno;
	tap_check(got == -1 && err == ECHILD, "SIGCHLD = SIG_IGN: wait4 gets ECHILD",
		  "got %d errno %d", got, err);
	tap_check(kill(pid, 0) == -1 && errno == ESRCH, "... and the child was reaped at once",
		  "pid %d still there", pid);
	signal(SIGCHLD, SIG_DFL);
	pid = fork();
	if (pid == 0)
		_exit(4);
	tap_check(wait_for(pid, &status, 0) == pid && WEXITSTATUS(status) == 4,
		  "SIGCHLD back to SIG_DFL: the child is a zombie for wait4 again", "%s",
		  tap_status_str(status));
}

int main(void)
{
	test_stop_continue();
	test_kill_stopped();
	test_tstp();
	test_sigchld_codes();
	test_threads_stop();
	test_autoreap();
	return tap_done();
}
