/*
 * mm/ksm.h - same-page merging (Linux's KSM): a kernel thread, "ksmd",
 * finds pages with identical contents in the regions that programs marked
 * with madvise(MADV_MERGEABLE) and maps them all to one read-only frame,
 * which copy-on-write breaks again on a write.  mm/ksm.c tells how.
 *
 * The controls and statistics are the files of /sys/kernel/mm/ksm
 * (kernel/fs/sysfs.c), with Linux's names and meanings.
 */
#pragma once
#include "kernel/lib.h"

struct vmspace;

/* The writable controls. */
enum ksm_knob {
	KSM_RUN,		/* 0 stop, 1 run, 2 stop and unmerge everything */
	KSM_PAGES_TO_SCAN,	/* pages per round */
	KSM_SLEEP_MILLISECS,	/* pause between rounds */
	KSM_USE_ZERO_PAGES,	/* 1: all-zero pages merge with the zero frame */
	NR_KSM_KNOBS,
};

#define KSM_RUN_STOP 0
#define KSM_RUN_MERGE 1
#define KSM_RUN_UNMERGE 2

/* Linux's read-only statistics. */
struct ksm_stats {
	uint64_t pages_shared;		/* merged frames in use (stable tree nodes) */
	uint64_t pages_sharing;		/* further mappings of them: pages saved */
	uint64_t pages_unshared;	/* candidates waiting in the unstable tree */
	uint64_t pages_volatile;	/* pages skipped: they changed since the last visit */
	uint64_t full_scans;		/* passes over all mergeable memory */
};

uint64_t ksm_knob_get(enum ksm_knob k);
/* Set a control: 0, -EINVAL when V is out of its range (nothing changes),
 * -ENOMEM (run=1 without memory for the thread; run=2 that could not copy
 * every merged page back: what was copied stays copied). */
int ksm_knob_set(enum ksm_knob k, uint64_t v);
/* The statistics now (pages_sharing counts the mappings through page
 * tables fork shared too: mm/ptshare.c).  Sleeps: takes each address
 * space's mmap_lock in turn; the caller holds none. */
void ksm_get_stats(struct ksm_stats *s);

/* ---- hooks for the rest of mm ---- */

/* Call FN on the frame of every stable-tree node, in tree order (mm/audit.c),
 * under the tree's lock: FN must not free frames.
 * The tree holds no reference of its own; rmap items and the unstable tree
 * name pages by (pid, address) and hold none either. */
void ksm_for_each_stable(void (*fn)(uint64_t pa, void *arg), void *arg);

/* frame_put: a merged frame lost its last reference; it leaves the stable tree. */
void ksm_frame_freed(uint64_t pa);
/* cow_fault: a user of merged frame PA writes to it.  If it is the last
 * one (reference count 1, decided under the stable tree's lock, so that the
 * scanner cannot merge one more page into it at the same moment), the frame
 * leaves the stable tree and becomes a private (FRAME_USER) frame again:
 * true.  False when others still map it (the writer copies). */
bool ksm_try_release(uint64_t pa);
/* MADV_MERGEABLE: there is something to scan (wakes an idle scanner). */
void ksm_enter(void);
/* MADV_UNMERGEABLE: give every merged page of [start, end) of VM a private
 * frame again.  0 or -ENOMEM. */
int ksm_unmerge_range(struct vmspace *vm, uint64_t start, uint64_t end);
