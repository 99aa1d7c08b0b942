/*
 * ksm - look at and drive same-page merging (/sys/kernel/mm/ksm).
 *
 *     ksm                      the controls, the statistics, the memory saved
 *     ksm start [PAGES [MS]]   run=1 (and pages_to_scan, sleep_millisecs)
 *     ksm stop                 run=0: stop scanning, merged pages stay merged
 *     ksm unmerge              run=2: every merged page private again
 *     ksm zero on|off          use_zero_pages
 *     ksm watch [SECONDS]      one line of statistics per second (default 10)
 *
 * "saved" is pages_sharing pages: each of them maps a frame that another
 * page already holds.  Works on Linux too (as root).  To watch pages
 * merge, run the demo `merge` (user/demo/merge.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ulib.h"

#define PAGE 4096L

static const char *const controls[] = { "run", "pages_to_scan", "sleep_millisecs", "use_zero_pages" };
static const char *const stats[] = {
	"pages_shared", "pages_sharing", "pages_unshared", "pages_volatile", "full_scans",
};

static int set(const char *name, const char *value)
{
	if (ksm_write(name, value) == 0)
		return 0;
	say("ksm: %s = %s: %s\n", name, value, strerror(errno));
	return 1;
}

static const char *run_name(long run)
{
	return run == 0 ? "stopped" : run == 1 ? "running" : run == 2 ? "unmerged, stopped" : "?";
}

static int show(void)
{
	if (ksm_get("run") < 0) {
		say("ksm: no %s: this kernel does not merge pages\n", KSM_DIR);
		return 1;
	}
	say("%-16s %ld (%s)\n", "run", ksm_get("run"), run_name(ksm_get("run")));
	for (size_t i = 1; i < sizeof controls / sizeof *controls; i++)
		say("%-16s %ld\n", controls[i], ksm_get(controls[i]));
	for (size_t i = 0; i < sizeof stats / sizeof *stats; i++)
		say("%-16s %ld\n", stats[i], ksm_get(stats[i]));
	say("%-16s %ld kB (pages_sharing x %ld kB)\n", "saved", ksm_get("pages_sharing") * PAGE / 1024,
	    PAGE / 1024);
	say("%-16s %ld kB\n", "MemFree", meminfo_kb("MemFree"));
	if (vmstat_get("ksm_merge") >= 0)
		say("%-16s %ld\n", "ksm_merge", vmstat_get("ksm_merge"));
	if (vmstat_get("cow_ksm") >= 0)
		say("%-16s %ld\n", "cow_ksm", vmstat_get("cow_ksm"));
	return 0;
}

static void watch_line(void)
{
	say("shared %6ld  sharing %6ld  unshared %6ld  volatile %6ld  scans %5ld  saved %7ld kB"
	    "  MemFree %7ld kB\n", ksm_get("pages_shared"), ksm_get("pages_sharing"), ksm_get("pages_unshared"),
	    ksm_get("pages_volatile"), ksm_get("full_scans"), ksm_get("pages_sharing") * PAGE / 1024,
	    meminfo_kb("MemFree"));
}

static int watch(long seconds)
{
	for (long i = 0; i < seconds; i++) {
		if (i)
			sleep_ms(1000);
		watch_line();
	}
	return 0;
}

static int start(int argc, char **argv)
{
	if (argc > 2 && set("pages_to_scan", argv[2]))
		return 1;
	if (argc > 3 && set("sleep_millisecs", argv[3]))
		return 1;
	return set("run", "1");
}

static int usage(void)
{
	say("usage: ksm [start [PAGES [MS]] | stop | unmerge | zero on|off | watch [SECONDS]]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "show";

	if (!strcmp(cmd, "show"))
		return show();
	if (!strcmp(cmd, "start"))
		return start(argc, argv);
	if (!strcmp(cmd, "stop"))
		return set("run", "0");
	if (!strcmp(cmd, "unmerge"))
		return set("run", "2");
	if (!strcmp(cmd, "zero") && argc == 3 && (!strcmp(argv[2], "on") || !strcmp(argv[2], "off")))
		return set("use_zero_pages", strcmp(argv[2], "on") ? "0" : "1");
	if (!strcmp(cmd, "watch"))
		return watch(argc > 2 ? atol(argv[2]) : 10);
	return usage();
}
