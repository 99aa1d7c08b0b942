/*
 * user/tests/scratch.h - the case runner of the hostile tests
 * (test_hostile13.c, test_hostile14.c): each case runs in a child
 * (tap_case, with a timeout) in a fresh scratch directory `dir` under the
 * run's directory `base`, which is removed after it; the orphans the test
 * inherits (as init in the guest) are reaped, and on cowos the free memory
 * must come back: no frame leaked.  Command-line arguments select cases by
 * a part of their names.
 */
#pragma once
#include "tap.h"

#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char base[128];  /* the scratch directory of the whole run */
static char dir[160];   /* the one each case works in, removed after it */
static char **only;     /* the arguments: run only the cases whose names have one */

/* Free memory as the leak check counts it: file data (the cases' files are
 * removed after each) and this process's own anonymous pages count as free. */
static long free_kb(void)
{
	return meminfo_kb("MemFree") + meminfo_kb("Cached") + meminfo_kb("AnonPages");
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

static bool wanted(const char *what)
{
	if (!only || !*only)
		return true;
	for (char **w = only; *w; w++)
		if (strstr(what, *w))
			return true;
	return false;
}

/* Make the run's scratch directory $TMPDIR/NAME.PID (TMPDIR: /tmp) and
 * keep ARGV's case names: 0, or -1 after a failed check. */
static int scratch_begin(const char *name, char **argv)
{
	const char *tmp = getenv("TMPDIR");

	only = argv + 1;
	snprintf(base, sizeof base, "%s/%s.%d", tmp && *tmp ? tmp : "/tmp", name, getpid());
	mkdir(tmp && *tmp ? tmp : "/tmp", 01777);
	if (mkdir(base, 0755) != 0) {
		tap_fail("scratch directory", "mkdir %s: %s", base, strerror(errno));
		return -1;
	}
	return 0;
}

/* Run one case in a fresh scratch directory, remove what it left, reap the
 * orphans, and check no frame leaked. */
static void run(const char *what, void (*fn)(void *), double timeout)
{
	static int n;
	int status;

	if (!wanted(what))
		return;
	snprintf(dir, sizeof dir, "%s/%d", base, ++n);
	mkdir(dir, 0755);
	long before = free_kb(), slab = meminfo_kb("Slab");
	tap_case(what, fn, NULL, timeout);
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	while (waitpid(-1, &status, WNOHANG) > 0)
		;
	if (running_on_linux())
		return;
	long after = free_kb();
	for (int i = 0; i < 50 && after < before; i++) {
		sleep_ms(20);
		while (waitpid(-1, &status, WNOHANG) > 0)
			;
		after = free_kb();
	}
	tap_check(after >= before, "no frame leaked", "%s: %ld kB missing (Slab %ld -> %ld kB)", what,
		  before - after, slab, meminfo_kb("Slab"));
}
