/*
 * user/demo/demo.h - what the demo programs share on top of ulib.h: reading
 * their size arguments, checking that what they demonstrate
 * happened (and saying so when it did not), and counting distinct frames.
 */
#ifndef DEMO_H
#define DEMO_H

#include "ulib.h"

#include <stdint.h>

#define PAGE 4096L
#define MiB (1024L * 1024)

static int demo_failures;

/* Print "usage: PROGRAM usage" and exit 2. */
static inline void usage_exit(const char *usage)
{
	fprintf(stderr, "usage: %s %s\n", program_invocation_short_name, usage);
	exit(2);
}

/* argv[i] as a number from min to max, or dflt when there is no argv[i];
 * anything else prints the usage line and exits 2. */
static inline long number_arg(int argc, char **argv, int i, long dflt, long min, long max,
			      const char *usage)
{
	char *end;

	if (i >= argc)
		return dflt;
	long n = strtol(argv[i], &end, 10);
	if (end == argv[i] || *end || n < min || n > max)
		usage_exit(usage);
	return n;
}

/* The one optional argument, argv[1], as a number from min to max, or dflt
 * when absent; anything else prints the usage line and exits 2. */
static inline long size_arg(int argc, char **argv, long dflt, long min, long max,
			    const char *usage)
{
	char line[128];

	snprintf(line, sizeof line, "%s  (%ld to %ld, default %ld)", usage, min, max, dflt);
	if (argc > 2)
		usage_exit(line);
	return number_arg(argc, argv, 1, dflt, min, max, line);
}

/* True when kb kB fit in MemFree with a tenth to spare; otherwise says so
 * (a demo too big for the machine would only be killed half-way). */
static inline int fits_in_memory(long kb)
{
	long free_kb = meminfo_kb("MemFree");

	if (free_kb < 0 || kb + kb / 10 <= free_kb)
		return 1;
	say("%s: %ld kB do not fit in MemFree (%ld kB); try a smaller size\n",
	    program_invocation_short_name, kb, free_kb);
	return 0;
}

/* One fact the demo is about: when it does not hold, say what was expected. */
__attribute__((format(printf, 2, 3)))
static inline void expect(int holds, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	if (holds)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	say("%s: FAILED: expected %s\n", program_invocation_short_name, why);
	demo_failures++;
}

/* The exit status: 0 when every expectation held. */
static inline int demo_done(void)
{
	if (!demo_failures)
		say("%s: ok\n", program_invocation_short_name);
	return demo_failures ? 1 : 0;
}

/* True when /proc/vmstat has this kernel's copy-on-write counters; reading
 * it once also makes vmstat_get's buffer our own, so that later readings do
 * not count faults of their own. */
static inline int have_cow_counters(void)
{
	return vmstat_get("cow_copy") >= 0 && meminfo_kb("MemFree") >= 0;
}

static inline int compare_frames(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* How many different frames the n entries hold (sorts them). */
static inline long distinct_frames(uint64_t *frames, size_t n)
{
	long count = 0;

	qsort(frames, n, sizeof *frames, compare_frames);
	for (size_t i = 0; i < n; i++)
		count += i == 0 || frames[i] != frames[i - 1];
	return count;
}

#endif /* DEMO_H */
