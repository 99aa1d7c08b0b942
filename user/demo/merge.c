/*
 * merge - duplicates that merge back: same-page merging (KSM) at work.
 *
 *     merge [MIB]            (default 16)
 *
 * It fills MIB MiB with only four different page contents, offers the area
 * for merging with madvise(MADV_MERGEABLE) and starts the scanner ksmd
 * (/sys/kernel/mm/ksm/run = 1, a sixteenth of the area every 20 ms), printing
 * the statistics as the pages merge.  Then it stops the scanner (run = 0:
 * merged pages stay merged), writes one byte of one page, and at the end puts
 * every KSM setting back as it was.  What to look for:
 *
 *   merging     pages_sharing climbs to the area's pages minus 4 and MemFree
 *               comes back: each page whose bytes equal a merged frame's is
 *               pointed at that frame, read-only + copy-on-write, and its own
 *               frame is freed (scan_page, merge_into, merge_pair); a page
 *               needs two passes, the first only records its checksum
 *   frames      pagemap shows the whole area in 4 frames
 *   one write   cow_ksm +1: the write faulted, cow_fault copied that page
 *               alone into a frame of its own (5 frames now); the others
 *               stay merged and pages_sharing falls by one
 *
 * `ksm` shows the statistics any time; docs/ksm.md explains the scanner.
 * Works on Linux too, as root, with KSM built in (without cow_ksm there).
 */
#include "demo.h"

#include <sys/mman.h>

#define CONTENTS 4
#define WAIT_SECONDS 60

static const char *const settings[] = { "run", "pages_to_scan", "sleep_millisecs" };
static char saved[3][32];

static int ksm_set(const char *name, const char *value)
{
	if (ksm_write(name, value) == 0)
		return 0;
	say("merge: %s%s = %s: %s\n", KSM_DIR, name, value, strerror(errno));
	return -1;
}

/* Remember the settings, then scan a sixteenth of the area every 20 ms:
 * two passes (as each page needs) in about a second, slow enough to watch. */
static int start_scanner(long pages)
{
	char scan[32];

	for (int i = 0; i < 3; i++) {
		char path[128];
		snprintf(path, sizeof path, KSM_DIR "%s", settings[i]);
		if (read_file(path, saved[i], sizeof saved[i]) <= 0) {
			say("merge: cannot read %s: this kernel does not merge pages\n", path);
			return -1;
		}
	}
	snprintf(scan, sizeof scan, "%ld", pages / 16 > 16 ? pages / 16 : 16);
	return ksm_set("pages_to_scan", scan) || ksm_set("sleep_millisecs", "20") ||
	       ksm_set("run", "1");
}

/* Put back the settings start_scanner saved, run last. */
static void restore_settings(void)
{
	for (int i = 2; i >= 0; i--)
		if (saved[i][0])
			ksm_set(settings[i], saved[i]);
}

static void show_stats(double start)
{
	say("%5.2f s: pages_shared %5ld  pages_sharing %6ld  full_scans %3ld  MemFree %7ld kB\n",
	    now_s() - start, ksm_get("pages_shared"), ksm_get("pages_sharing"),
	    ksm_get("full_scans"), meminfo_kb("MemFree"));
}

/* Wait until the area's duplicates all share a frame; 1 if they do. */
static int wait_merged(long pages)
{
	double start = now_s();
	long last = -1;

	while (now_s() - start < WAIT_SECONDS) {
		long sharing = ksm_get("pages_sharing");
		if (sharing != last)
			show_stats(start);
		if (sharing >= pages - CONTENTS)
			return 1;
		last = sharing;
		sleep_ms(100);
	}
	return 0;
}

/* How many frames the area's pages are in. */
static long area_frames(const char *area, long pages, uint64_t *frames)
{
	if (page_frames(0, area, pages, frames))
		return -1;
	return distinct_frames(frames, pages);
}

/* Write one byte of page 0 and show that only it came apart. */
static void break_one(char *area, long pages, uint64_t *frames)
{
	long sharing = ksm_get("pages_sharing"), cow_ksm = vmstat_get("cow_ksm");

	area[0] = 'a';
	cow_ksm = cow_ksm < 0 ? -1 : vmstat_get("cow_ksm") - cow_ksm;
	long after = ksm_get("pages_sharing"), n = area_frames(area, pages, frames);
	say("wrote one byte of page 0: cow_ksm %+ld, pages_sharing %+ld, the area in %ld frames\n",
	    cow_ksm, after - sharing, n);
	expect(n == CONTENTS + 1, "the written page alone to get its own frame: %d frames, not %ld",
	       CONTENTS + 1, n);
	expect(after == sharing - 1, "pages_sharing to fall by one");
	expect(cow_ksm < 0 || cow_ksm == 1, "cow_ksm to count the one broken page");
	expect(page_frame(0, area) != page_frame(0, area + CONTENTS * PAGE),
	       "page 0 to leave the frame it shared with page %d", CONTENTS);
}

int main(int argc, char **argv)
{
	long mib = size_arg(argc, argv, 16, 1, 1024, "[MIB]"), pages = mib * MiB / PAGE;

	if (!fits_in_memory(mib * 1024))
		return 1;
	uint64_t *frames = calloc(pages, sizeof *frames);
	char *area = mmap(NULL, mib * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	if (!frames || area == MAP_FAILED) {
		perror("merge");
		return 1;
	}
	have_cow_counters();	/* vmstat_get's buffer our own before measuring */
	for (long i = 0; i < pages; i++)
		memset(area + i * PAGE, 'A' + i % CONTENTS, PAGE);
	long free_before = meminfo_kb("MemFree");
	say("merge: %ld MiB (%ld pages) of %d different page contents, MemFree %ld kB\n", mib,
	    pages, CONTENTS, free_before);
	if (madvise(area, mib * MiB, MADV_MERGEABLE)) {
		say("merge: madvise(MADV_MERGEABLE): %s\n", strerror(errno));
		return 1;
	}
	if (start_scanner(pages)) {
		restore_settings();
		return 1;
	}
	int merged = wait_merged(pages);
	ksm_set("run", "0");
	long gained = meminfo_kb("MemFree") - free_before, n = area_frames(area, pages, frames);
	say("merged: MemFree %+ld kB, the area in %ld frames\n", gained, n);
	expect(merged, "pages_sharing to reach %ld within %d s", pages - CONTENTS, WAIT_SECONDS);
	expect(n == CONTENTS, "the area in %d frames, not %ld", CONTENTS, n);
	expect(gained >= pages * 4 * 3 / 4, "MemFree to gain at least 3/4 of the area");
	break_one(area, pages, frames);
	restore_settings();
	return demo_done();
}
