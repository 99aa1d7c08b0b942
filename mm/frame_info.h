/*
 * mm/frame_info.h - what the frame descriptors say about physical memory,
 * read out for /proc (kernel/fs/procfs.c): per-frame mapping counts and
 * Linux-style page flags, a census of frames by use, and /proc/meminfo's
 * categories.
 */
#pragma once
#include "kernel/lib.h"
#include "mm/pte.h"

/* How many page-table entries map frame PFN, a page table that fork shared
 * counted once (mm/ptshare.c); 0 for a frame number past the end of RAM.
 * mm/frame_info.c says how it is derived.  /proc/kpagecount adds the other
 * sharers of shared tables (pt_for_each_shared_entry). */
uint64_t frame_mapcount(uint64_t pfn);
/* How many address spaces map the frame of the present user entry PTE, as
 * its own page table tells: frame_mapcount plus the other sharers of that
 * table (exact unless a second shared table maps the frame too).  For
 * smaps' Pss and pagemap's exclusive bit, which look entry by entry. */
uint64_t pte_mapcount(const pte_t *pte);

/* Linux's KPF_* bits (include/uapi/linux/kernel-page-flags.h) for frame PFN
 * (/proc/kpageflags). */
uint64_t frame_kpageflags(uint64_t pfn);

/* Frames by use (struct frame.flags), counted in one pass over frames[]. */
struct frame_census {
	uint64_t free, reserved, pagetable, slab, zero, file, ksm, anon, kstack;
};
void frame_census(struct frame_census *c);

/*
 * /proc/meminfo's categories, in frames.  Every frame the allocator was
 * given at boot is in exactly one of free .. pagetables, so they add up to
 * total (mm/audit.c checks it):
 *   total       frames handed to the allocator (frame_total_count), minus
 *               the zero frame: Linux keeps its zero page in the kernel
 *               image (empty_zero_page), outside MemTotal
 *   free        on the free list
 *   cached      the page cache (FRAME_FILE)
 *   anon        anonymous and merged user pages (FRAME_USER, FRAME_KSM)
 *   slab        kernel heap pages (FRAME_SLAB)
 *   kstack      kernel stacks and kvmalloc buffers (FRAME_KSTACK)
 *   pagetables  every page-table frame, the kernel's own included (Linux's
 *               PageTables counts user tables only; its boot-time kernel
 *               tables are outside MemTotal)
 */
struct meminfo {
	uint64_t total, free, cached, anon, slab, kstack, pagetables;
	uint64_t shmem;		/* of cached, the tmpfs files' pages: all of them here */
};
void meminfo_read(struct meminfo *m);
/* MemTotal in pages: usable frames less the zero frame, which no category
 * of meminfo holds (Linux: totalram_pages). */
uint64_t totalram_pages(void);
