/*
 * init - the first user process (pid 1).
 *
 *     init                 runs the shell, /bin/sh
 *     init PROGRAM ARG...  runs PROGRAM instead, e.g.
 *                          init=/bin/init /bin/runtests test_proc
 *
 * Then it waits, reaping every child that exits, including orphans the
 * kernel hands over to pid 1, until its own program exits.  After the shell
 * exits, init powers the machine off with reboot(RB_POWER_OFF).  After a
 * PROGRAM exits, init exits with that program's status (the exit code, or
 * 128+N if killed by signal N), so scripts/boot can report it.  When not
 * running as pid 1 (trying it out on Linux) it never calls reboot.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static char *shell_argv[] = { "/bin/sh", NULL };
static char *default_env[] = { "PATH=/bin", "HOME=/", NULL };

static pid_t start(char **argv, char **envp)
{
	pid_t pid = fork();

	if (pid == 0) {
		signal(SIGINT, SIG_DFL);	/* init ignores it; its program must not */
		signal(SIGQUIT, SIG_DFL);
		execve(argv[0], argv, envp);
		dprintf(STDERR_FILENO, "init: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (pid < 0)
		dprintf(STDERR_FILENO, "init: fork: %s\n", strerror(errno));
	return pid;
}

/* Reap children until main_pid exits; returns its wait status. */
static int reap_until(pid_t main_pid)
{
	int status;

	for (;;) {
		pid_t pid = wait4(-1, &status, 0, NULL);
		if (pid == main_pid)
			return status;
		if (pid < 0 && errno == ECHILD)
			return -1;  /* cannot happen while main_pid lives */
	}
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
	int run_shell = argc < 2;
	char **program = run_shell ? shell_argv : argv + 1;
	char **envp = environ && environ[0] ? environ : default_env;

	/* Ctrl-C at the shell prompt goes to the shell's process group, which is
	 * ours: it must not end init (and with it the machine). */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	pid_t pid = start(program, envp);
	int status = pid < 0 ? -1 : reap_until(pid);
	int number = status_number(status);

	if (run_shell && getpid() == 1) {
		reboot(RB_POWER_OFF);
		dprintf(STDERR_FILENO, "init: reboot: %s\n", strerror(errno));
	}
	return number;
}
