/*
 * ksmbench - benchmarks of same-page merging.  Each prints one line
 *
 *     bench NAME VALUE UNIT
 *
 *     ksmbench [-q] [NAME...]
 *
 *   ksm_merge_rate              MiB/s to merge 64 MiB of 4 page contents
 *                               (from madvise until pages_shared +
 *                               pages_sharing cover it), at pages_to_scan=
 *                               100000 and sleep_millisecs=0
 *   ksm_unshare_fault_per_page  ns per first write to a merged page (the
 *                               copy-on-write fault that unmerges it)
 *   ksm_scan_ns_per_page        ns per page visit for pages that never merge
 *                               (64 MiB of distinct pages, two full scans)
 *
 * -q  quick: 8 MiB instead of 64 (smoke tests).  NAME... runs just these.
 * The controls are restored afterwards; everything merged is unmerged
 * (run=2) first and last, so run it where nothing else uses KSM.  Works on
 * Linux too, as root.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "ulib.h"

#define KSM_DIR "/sys/kernel/mm/ksm/"
#define PAGE 4096L
#define MiB (1024L * 1024)
#define TIMEOUT 300.0

static long mib = 64;

static long get(const char *name)
{
	char path[128], buf[64];
	int fd;

	snprintf(path, sizeof path, KSM_DIR "%s", name);
	if ((fd = open(path, O_RDONLY)) < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	return n > 0 ? strtol(buf, NULL, 10) : -1;
}

static void set(const char *name, long value)
{
	char path[128], text[32];
	int fd;

	snprintf(path, sizeof path, KSM_DIR "%s", name);
	snprintf(text, sizeof text, "%ld", value);
	if ((fd = open(path, O_WRONLY)) < 0 || write(fd, text, strlen(text)) < 0)
		say("# ksmbench: %s = %s: %s\n", name, text, strerror(errno));
	if (fd >= 0)
		close(fd);
}

static long merged(void)
{
	return get("pages_shared") + get("pages_sharing");
}

/* Map and fill PAGES pages: contents i % KINDS, or all distinct (KINDS 0). */
static char *filled(long pages, long kinds)
{
	char *p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	if (p == MAP_FAILED) {
		say("# ksmbench: mmap %ld pages: %s\n", pages, strerror(errno));
		exit(1);
	}
	madvise(p, pages * PAGE, 15 /* MADV_NOHUGEPAGE: Linux only */);
	for (long i = 0; i < pages; i++) {
		uint64_t *w = (uint64_t *)(p + i * PAGE);
		uint64_t k = kinds ? (uint64_t)(i % kinds) : (uint64_t)i;
		for (size_t j = 0; j < PAGE / 8; j++)
			w[j] = (k + 1) * 0x9e3779b97f4a7c15ULL + j;
	}
	return p;
}

/* Poll until pages_shared + pages_sharing reach N; seconds taken, or -1. */
static double wait_merged(long n, double t0)
{
	while (merged() < n) {
		if (now_s() - t0 > TIMEOUT)
			return -1;
		sleep_ms(2);
	}
	return now_s() - t0;
}

static char *merged_area;	/* left merged by ksm_merge_rate for the fault benchmark */

static double merge_rate(void)
{
	long pages = mib * MiB / PAGE, base = merged();
	char *p = filled(pages, 4);

	double t0 = now_s();
	madvise(p, pages * PAGE, MADV_MERGEABLE);
	double s = wait_merged(base + pages, t0);
	merged_area = p;
	return s > 0 ? mib / s : -1;
}

static double unshare_fault(void)
{
	long pages = mib * MiB / PAGE;

	if (!merged_area && merge_rate() < 0)
		return -1;
	set("run", 0);		/* nothing merges them again while we write */
	double t0 = now_s();
	for (long i = 0; i < pages; i++)
		merged_area[i * PAGE] ^= 1;
	double ns = (now_s() - t0) * 1e9 / pages;
	munmap(merged_area, pages * PAGE);
	merged_area = NULL;
	set("run", 1);
	return ns;
}

static int scans_at_least(long n, double t0)
{
	while (get("full_scans") < n) {
		if (now_s() - t0 > TIMEOUT)
			return 0;
		sleep_ms(2);
	}
	return 1;
}

static double scan_cost(void)
{
	long pages = mib * MiB / PAGE;

	if (merged_area)	/* only the distinct pages are to be scanned */
		munmap(merged_area, pages * PAGE), merged_area = NULL;
	char *p = filled(pages, 0);
	double t0 = now_s();

	madvise(p, pages * PAGE, MADV_MERGEABLE);
	long scans = get("full_scans");
	if (!scans_at_least(scans + 1, t0))	/* a pass that started after madvise */
		return -1;
	double t1 = now_s();
	if (!scans_at_least(scans + 3, t0))
		return -1;
	double ns = (now_s() - t1) * 1e9 / (2.0 * pages);
	munmap(p, pages * PAGE);
	return ns;
}

static const struct bench {
	const char *name, *unit;
	double (*run)(void);
} benches[] = {
	{ "ksm_merge_rate", "MiB/s", merge_rate },
	{ "ksm_unshare_fault_per_page", "ns", unshare_fault },
	{ "ksm_scan_ns_per_page", "ns", scan_cost },
};

static int wanted(const char *name, int argc, char **argv, int first)
{
	if (first >= argc)
		return 1;
	for (int i = first; i < argc; i++)
		if (!strcmp(argv[i], name))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	static const char *const knobs[] = { "run", "pages_to_scan", "sleep_millisecs" };
	long saved[3];
	int first = 1, failed = 0;

	if (argc > 1 && !strcmp(argv[1], "-q"))
		mib = 8, first = 2;
	if (get("run") < 0) {
		say("# ksmbench: no " KSM_DIR "\n");
		return 1;
	}
	for (int i = 0; i < 3; i++)
		saved[i] = get(knobs[i]);
	set("run", 2);
	set("pages_to_scan", 100000);
	set("sleep_millisecs", 0);
	set("run", 1);
	for (size_t i = 0; i < sizeof benches / sizeof *benches; i++) {
		if (!wanted(benches[i].name, argc, argv, first))
			continue;
		double v = benches[i].run();
		failed |= v < 0;
		say("bench %s %.1f %s\n", benches[i].name, v, benches[i].unit);
	}
	set("run", 2);
	for (int i = 2; i >= 0; i--)
		set(knobs[i], saved[i]);
	return failed;
}
