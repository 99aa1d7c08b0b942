/*
 * init - the first user process (pid 1).
 *
 *     init                 starts the login shell on the console, as a getty
 *                          does: busybox ash as "-sh" in a new session whose
 *                          controlling terminal is /dev/console, in /root
 *     init PROGRAM ARG...  runs PROGRAM instead, e.g.
 *                          init=/bin/init /bin/runtests test_proc
 *
 * Then it waits, reaping every child that exits, including orphans the
 * kernel hands over to pid 1, until its own program exits.  After the login
 * shell exits, init powers the machine off with reboot(RB_POWER_OFF).  After
 * a PROGRAM exits, init exits with that program's status (the exit code, or
 * 128+N if killed by signal N), so scripts/boot can report it.
 *
 * busybox's poweroff, halt and reboot (without -f) ask pid 1 by a signal, as
 * busybox's own init expects: SIGUSR2 powers off, SIGUSR1 halts (here: powers
 * off too, there is nothing to halt to), SIGTERM reboots.  When not running
 * as pid 1 (trying it out on Linux) init never calls reboot.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <unistd.h>

#define CONSOLE "/dev/console"
#define HOME "/root"

/* argv[0] "-sh": the leading '-' makes ash a login shell, which reads /etc/profile. */
static char *login_argv[] = { "-sh", NULL };
static char *login_env[] = {
	"HOME=" HOME, "PATH=/bin:/sbin:/usr/bin:/usr/sbin", "SHELL=/bin/sh", "TERM=vt100",
	"USER=root", "LOGNAME=root", NULL,
};
static char *default_env[] = { "PATH=/bin:/sbin:/usr/bin:/usr/sbin", "HOME=/", NULL };

/* The reboot(2) command a shutdown signal asked for; 0 while none has. */
static volatile sig_atomic_t shutdown_cmd;

static void on_shutdown_signal(int sig)
{
	shutdown_cmd = sig == SIGTERM ? RB_AUTOBOOT : RB_POWER_OFF;
}

/* In the child: give up init's ignored signals; the program must not keep them. */
static void reset_signals(void)
{
	signal(SIGINT, SIG_DFL);
	signal(SIGQUIT, SIG_DFL);
	signal(SIGUSR1, SIG_DFL);
	signal(SIGUSR2, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
}

/* In the child, what a getty does before the login shell: a new session
 * (setsid), the console as its controlling terminal (opened as the session
 * leader's first terminal, and TIOCSCTTY to say so, tty_ioctl(4)), and the
 * console as standard input, output and error. */
static void attach_console(void)
{
	if (setsid() < 0)
		dprintf(STDERR_FILENO, "init: setsid: %s\n", strerror(errno));
	int fd = open(CONSOLE, O_RDWR);
	if (fd < 0) {
		dprintf(STDERR_FILENO, "init: %s: %s (keeping init's descriptors)\n",
			CONSOLE, strerror(errno));
		return;
	}
	if (ioctl(fd, TIOCSCTTY, 0) < 0)
		dprintf(STDERR_FILENO, "init: TIOCSCTTY: %s\n", strerror(errno));
	for (int i = 0; i < 3; i++)
		dup2(fd, i);
	if (fd > 2)
		close(fd);
	if (chdir(HOME) < 0)
		dprintf(STDERR_FILENO, "init: %s: %s\n", HOME, strerror(errno));
}

static pid_t start(int login, char **argv, char **envp)
{
	pid_t pid = fork();

	if (pid == 0) {
		reset_signals();
		if (login)
			attach_console();
		const char *path = login ? "/bin/sh" : argv[0];
		execve(path, argv, envp);
		dprintf(STDERR_FILENO, "init: %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	if (pid < 0)
		dprintf(STDERR_FILENO, "init: fork: %s\n", strerror(errno));
	return pid;
}

/* Reap children until main_pid exits (returns its wait status) or a
 * shutdown signal arrives (returns -1 with shutdown_cmd set). */
static int reap_until(pid_t main_pid)
{
	int status;

	while (!shutdown_cmd) {
		pid_t pid = wait4(-1, &status, 0, NULL);
		if (pid == main_pid)
			return status;
		if (pid < 0 && errno == ECHILD)
			return -1;  /* cannot happen while main_pid lives */
	}
	return -1;
}

static int status_number(int status)
{
	if (status == -1)
		return 255;
	if (WIFSIGNALED(status)) {
		dprintf(STDERR_FILENO, "init: program killed by signal %d (%s)\n",
			WTERMSIG(status), strsignal(WTERMSIG(status)));
		return 128 + WTERMSIG(status);
	}
	return WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
	int login = argc < 2;
	char **program = login ? login_argv : argv + 1;
	char **envp = login ? login_env : environ && environ[0] ? environ : default_env;
	struct sigaction sa = { .sa_handler = on_shutdown_signal };

	/* Ctrl-C at a prompt goes to the terminal's foreground process group:
	 * it must never end init (and with it the machine). */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	/* No SA_RESTART: the signal must interrupt wait4. */
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	pid_t pid = start(login, program, envp);
	int status = pid < 0 ? -1 : reap_until(pid);
	int number = status_number(status);

	if ((login || shutdown_cmd) && getpid() == 1) {
		reboot(shutdown_cmd ? shutdown_cmd : RB_POWER_OFF);
		dprintf(STDERR_FILENO, "init: reboot: %s\n", strerror(errno));
	}
	return number;
}
