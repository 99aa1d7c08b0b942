/*
 * mm/frame_info.c - frame descriptors read out for /proc/kpagecount,
 * /proc/kpageflags, /proc/PID/pagemap and /proc/meminfo (kernel/fs/procfs.c).
 *
 * The kernel keeps no separate "map count": a frame's reference count
 * (mm/frame.h) is the only count there is, and what it counts depends on what
 * the frame is used for.  frame_mapcount() turns it into "how many page-table
 * entries map this frame", which is what Linux's /proc/kpagecount reports:
 *
 *   FRAME_USER, FRAME_KSM   refcount: every reference to an anonymous or
 *                           merged page is a mapping (fork takes one per
 *                           shared entry, unmap and exit drop them).
 *   FRAME_FILE              refcount - aux: each file's page cache that
 *                           holds the page keeps one reference (one file,
 *                           or several sharing it after a clone: aux,
 *                           mm/pagecache.c); the rest are mappings.
 *   FRAME_ZERO              refcount - 1: the kernel keeps one reference
 *                           (mm/fault.c, for good).
 *   anything else           0: free, reserved, page-table, kernel heap and
 *                           kernel-stack frames are never mapped into user
 *                           space.
 *
 * A page table that fork shared (mm/ptshare.c) holds one reference of each
 * frame it maps, however many address spaces share it: frame_mapcount
 * counts it once, and pte_mapcount and /proc/kpagecount (pt_for_each_shared_entry) add
 * the other sharers.
 *
 * A fault in progress holds a reference for a moment before it maps the
 * frame; with one CPU and a kernel that is not preemptive, no reader sees
 * that moment.  Reads are lock-free snapshots (counts are atomic).
 */
#include "mm/frame_info.h"
#include "mm/fault.h"
#include "mm/frame.h"
#include "mm/layout.h"
#include "mm/pagecache.h"
#include "mm/ptshare.h"

/* Linux's stable page-flag bits (include/uapi/linux/kernel-page-flags.h). */
#define KPF_UPTODATE 3
#define KPF_LRU 5
#define KPF_SLAB 7
#define KPF_BUDDY 10
#define KPF_MMAP 11
#define KPF_ANON 12
#define KPF_SWAPBACKED 14
#define KPF_NOPAGE 20
#define KPF_KSM 21
#define KPF_ZERO_PAGE 24
#define KPF_PGTABLE 26
#define KPF_RESERVED 32		/* a "kernel hacking" bit, also exported */

#define BIT(n) (1ULL << (n))

uint64_t frame_mapcount(uint64_t pfn)
{
	if (pfn >= nframes)
		return 0;
	uint16_t flags = frames[pfn].flags;
	uint32_t ref = __atomic_load_n(&frames[pfn].refcount, __ATOMIC_RELAXED);

	if (flags & (FRAME_USER | FRAME_KSM))
		return ref;
	if (flags & FRAME_FILE) {
		uint32_t caches = __atomic_load_n(&frames[pfn].aux, __ATOMIC_RELAXED);
		return ref > caches ? ref - caches : 0;
	}
	if (flags & FRAME_ZERO)
		return ref ? ref - 1 : 0;
	return 0;
}

uint64_t pte_mapcount(const pte_t *pte)
{
	return frame_mapcount(pte_addr(*pte) >> PAGE_SHIFT) + pt_sharers(pte) - 1;
}

/* The flags of a page that user space can map, before KPF_MMAP. */
static uint64_t user_page_flags(uint16_t flags)
{
	if (flags & FRAME_ZERO)
		return BIT(KPF_ZERO_PAGE) | BIT(KPF_UPTODATE);
	if (flags & FRAME_FILE)
		return BIT(KPF_UPTODATE) | BIT(KPF_LRU);
	uint64_t f = BIT(KPF_ANON) | BIT(KPF_SWAPBACKED) | BIT(KPF_UPTODATE) | BIT(KPF_LRU);
	return flags & FRAME_KSM ? f | BIT(KPF_KSM) : f;
}

uint64_t frame_kpageflags(uint64_t pfn)
{
	if (pfn >= nframes)
		return BIT(KPF_NOPAGE);
	uint16_t flags = frames[pfn].flags;

	if (flags & FRAME_FREE)
		return BIT(KPF_BUDDY);
	if (flags & FRAME_RESERVED)
		return BIT(KPF_RESERVED);
	if (flags & FRAME_PAGETABLE)
		return BIT(KPF_PGTABLE);
	if (flags & FRAME_SLAB)
		return BIT(KPF_SLAB);
	if (!(flags & (FRAME_ZERO | FRAME_FILE | FRAME_KSM | FRAME_USER)))
		return 0;	/* kernel stacks: no Linux flag says so */
	uint64_t f = user_page_flags(flags);
	return frame_mapcount(pfn) ? f | BIT(KPF_MMAP) : f;
}

void frame_census(struct frame_census *c)
{
	*c = (struct frame_census){ 0 };
	for (uint64_t i = 0; i < nframes; i++) {
		uint16_t fl = frames[i].flags;
		if (fl & FRAME_FREE)
			c->free++;
		else if (fl & FRAME_RESERVED)
			c->reserved++;
		else if (fl & FRAME_PAGETABLE)
			c->pagetable++;
		else if (fl & FRAME_SLAB)
			c->slab++;
		else if (fl & FRAME_ZERO)
			c->zero++;
		else if (fl & FRAME_FILE)
			c->file++;
		else if (fl & FRAME_KSM)
			c->ksm++;
		else if (fl & FRAME_USER)
			c->anon++;
		else if (fl & FRAME_KSTACK)
			c->kstack++;
	}
}

uint64_t totalram_pages(void)
{
	return frame_total_count() - (zero_frame ? 1 : 0);
}

void meminfo_read(struct meminfo *m)
{
	struct frame_census c;

	frame_census(&c);
	*m = (struct meminfo){
		.total = totalram_pages(),
		.free = frame_free_count(),
		.cached = pagecache_frames(),
		.shmem = pagecache_frames(),
		.anon = c.anon + c.ksm,
		.slab = c.slab,
		.kstack = c.kstack,
		.pagetables = c.pagetable,
	};
}
