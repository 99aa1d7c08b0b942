/*
 * runtests - the in-guest test runner.
 *
 *     runtests [NAME...]
 *
 * Runs every test_* program in $BIN (default /bin), in sorted order, or just
 * the named ones.  Each test's own TAP output goes straight through; around
 * it runtests prints "# RUN NAME" and "# EXIT NAME STATUS" (STATUS is the
 * exit code, or 128+N when killed by signal N), and at the end
 * "# runtests: X programs, Y failed".  Exits 0 only if every test exited 0.
 *
 * It reaps every child it has, so it also works as pid 1
 * (init=/bin/runtests), where orphans of the tests are handed to it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ulib.h"

#define MAX_TESTS 256

static const char *bin_dir(void)
{
	const char *bin = getenv("BIN");

	return bin && *bin ? bin : "/bin";
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Fill names with the sorted test_* programs in dir; returns the count. */
static int find_tests(const char *dir, char **names)
{
	DIR *d = opendir(dir);
	struct dirent *entry;
	int count = 0;

	if (!d) {
		say("# runtests: cannot list %s: %s\n", dir, strerror(errno));
		return 0;
	}
	while ((entry = readdir(d)) != NULL && count < MAX_TESTS) {
		if (strncmp(entry->d_name, "test_", 5) == 0)
			names[count++] = strdup(entry->d_name);
	}
	closedir(d);
	qsort(names, count, sizeof *names, compare_names);
	return count;
}

/* Wait for pid, reaping (and ignoring) any other child met on the way. */
static int wait_for(pid_t pid)
{
	int status;

	for (;;) {
		pid_t got = wait4(-1, &status, 0, NULL);
		if (got == pid)
			return status;
		if (got < 0 && errno != EINTR)
			return -1;
	}
}

/* A wait status as a shell-style number: exit code, or 128 + signal. */
static int status_number(int status)
{
	if (status == -1)
		return 255;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* Run one test program; returns its status number (0 is a pass). */
static int run_test(const char *dir, const char *name)
{
	char path[512];

	snprintf(path, sizeof path, "%s/%s", dir, name);
	say("# RUN %s\n", name);
	pid_t pid = fork();
	if (pid == 0) {
		char *argv[] = { (char *)name, NULL };
		execve(path, argv, environ);
		say("# runtests: %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	int status = -1;
	if (pid < 0)
		say("# runtests: fork: %s\n", strerror(errno));
	else
		status = wait_for(pid);
	if (status != -1 && WIFSIGNALED(status))
		say("# %s killed by signal %d (%s)\n", name, WTERMSIG(status),
		    strsignal(WTERMSIG(status)));
	int number = status_number(status);
	say("# EXIT %s %d\n", name, number);
	return number;
}

int main(int argc, char **argv)
{
	static char *found[MAX_TESTS];
	const char *dir = bin_dir();
	char **names = argv + 1;
	int count = argc - 1, failed = 0;

	if (count == 0) {
		names = found;
		count = find_tests(dir, found);
	}
	for (int i = 0; i < count; i++)
		failed += run_test(dir, names[i]) != 0;
	say("# runtests: %d programs, %d failed\n", count, failed);
	return failed == 0 && count > 0 ? 0 : 1;
}
