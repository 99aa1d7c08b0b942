/*
 * mm/frame_info.h - what the frame descriptors say about physical memory,
 * read out for /proc (kernel/procfs.c): per-frame mapping counts and
 * Linux-style page flags, and a census of frames by use.
 */
#pragma once
#include "kernel/lib.h"

/* How many page-table entries map frame PFN (/proc/kpagecount); 0 for a
 * frame number past the end of RAM.  mm/frame_info.c says how it is derived. */
uint64_t frame_mapcount(uint64_t pfn);

/* Linux's KPF_* bits (include/uapi/linux/kernel-page-flags.h) for frame PFN
 * (/proc/kpageflags). */
uint64_t frame_kpageflags(uint64_t pfn);

/* Frames by use (struct frame.flags), counted in one pass over frames[]. */
struct frame_census {
	uint64_t free, reserved, pagetable, slab, zero, file, ksm, anon, kstack;
};
void frame_census(struct frame_census *c);
