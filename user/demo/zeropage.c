/*
 * zeropage - memory that costs nothing until it is written.
 *
 *     zeropage [MIB]         (default 64)
 *
 * It maps MIB MiB of fresh anonymous memory, reads every page of it, then
 * writes every page, and after each pass prints what that cost.  What to
 * look for:
 *
 *   read   MemFree barely moves (page tables only); zero_map rises by one per
 *          page; pagemap shows every page present, all in ONE frame: a read
 *          of untouched memory maps the kernel's zero frame read-only +
 *          copy-on-write (do_first_touch)
 *   write  zero_fill rises by one per page and MemFree falls by the whole
 *          area; pagemap shows as many frames as pages: the first write to a
 *          zero-page mapping takes a fresh zeroed frame without copying
 *          anything (cow_fault's zero-frame case)
 *
 * With /proc/sys/vm/zero_page = 0 reads allocate too, and the demo says so.
 * On Linux, as root, pagemap shows the same; MemFree there moves with
 * everything else on the machine, so the checks are meant for this kernel.
 */
#include "demo.h"

#include <sys/mman.h>

struct cost {
	long free_kb, zero_map, zero_fill;
};

static struct cost measure(void)
{
	return (struct cost){ meminfo_kb("MemFree"), vmstat_get("zero_map"),
			      vmstat_get("zero_fill") };
}

/* Read or write one byte of every page. */
static void touch(volatile char *area, long pages, int write)
{
	long sum = 0;

	for (long i = 0; i < pages; i++) {
		if (write)
			area[i * PAGE] = 1;
		else
			sum += area[i * PAGE];
	}
	if (sum)
		say("zeropage: fresh memory read as %ld, not 0\n", sum);
}

/* Print a pass's cost and its pages' frames; returns how many frames. */
static long report(const char *pass, struct cost a, struct cost b, const char *area, long pages,
		   uint64_t *frames)
{
	long absent = 0;

	if (page_frames(0, area, pages, frames))
		memset(frames, 0, pages * sizeof *frames);
	for (long i = 0; i < pages; i++)
		absent += !frames[i];
	long distinct = distinct_frames(frames, pages);
	char counters[64] = "";
	if (a.zero_map >= 0)
		snprintf(counters, sizeof counters, ", zero_map %+6ld, zero_fill %+6ld",
			 b.zero_map - a.zero_map, b.zero_fill - a.zero_fill);
	say("%-6s MemFree %+7ld kB%s; %ld pages present in %ld frame%s\n", pass,
	    b.free_kb - a.free_kb, counters, pages - absent, distinct, distinct == 1 ? "" : "s");
	return absent ? -1 : distinct;
}

int main(int argc, char **argv)
{
	long mib = size_arg(argc, argv, 64, 1, 1024, "[MIB]"), pages = mib * MiB / PAGE;
	uint64_t *frames = malloc(pages * sizeof *frames);
	char zero_page[16] = "1";
	int counted = have_cow_counters();

	if (!fits_in_memory(mib * 1024))
		return 1;
	char *area = mmap(NULL, mib * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	if (!frames || area == MAP_FAILED) {
		perror("zeropage");
		return 1;
	}
	memset(frames, 0, pages * sizeof *frames);	/* its own pages, before measuring */
	read_file("/proc/sys/vm/zero_page", zero_page, sizeof zero_page);
	say("zeropage: %ld MiB (%ld pages) mapped at %p, MemFree %ld kB\n", mib, pages,
	    (void *)area, meminfo_kb("MemFree"));

	struct cost before = measure();
	touch(area, pages, 0);
	struct cost after_read = measure();
	long read_frames = report("read:", before, after_read, area, pages, frames);
	struct cost before_write = measure();
	touch(area, pages, 1);
	struct cost after_write = measure();
	long write_frames = report("write:", before_write, after_write, area, pages, frames);

	if (zero_page[0] == '0')
		say("zeropage: /proc/sys/vm/zero_page is 0: reads allocate frames\n");
	expect(read_frames == 1, "every page read to map one frame, the zero page (got %ld)",
	       read_frames);
	expect(before.free_kb - after_read.free_kb < pages * 4 / 10,
	       "reading to take under a tenth of the area from MemFree");
	expect(write_frames == pages, "every page written to get a frame of its own");
	expect(before_write.free_kb - after_write.free_kb >= pages * 4 * 9 / 10,
	       "writing to take the area from MemFree");
	expect(!counted || after_read.zero_map - before.zero_map >= pages,
	       "zero_map to rise by %ld when reading", pages);
	expect(!counted || after_write.zero_fill - before_write.zero_fill >= pages,
	       "zero_fill to rise by %ld when writing", pages);
	return demo_done();
}
