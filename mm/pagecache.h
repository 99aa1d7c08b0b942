/*
 * mm/pagecache.h - the page cache: the frames that hold files' data.
 *
 * Every regular file of the in-memory file system (kernel/fs/tmpfs.c) keeps
 * its data here and nowhere else: page INDEX of a file is one frame in the
 * file's struct address_space (Linux's name), found by a two-level table
 * (PAGECACHE_DIR leaf pages of PAGECACHE_LEAF frame addresses: a lookup is
 * two array reads, a file may be up to PAGECACHE_MAX_PAGES pages, 1 GiB).
 * read() and write() copy to and from these frames, and exec and mmap map
 * the very same frames into processes (mm/fault.c), so every process running
 * a program shares its text frames with each other and with read().
 *
 * Each cached frame (FRAME_FILE) holds one reference for each cache that
 * holds it plus one per page-table entry mapping it, so its count never
 * drops to 1 while it is cached and a private write to it always copies
 * (mm/fault.c).  One lock, "pagecache", guards every table and the list of
 * all address spaces; frames are allocated under it (the frame allocator's
 * lock comes later in the order, kernel/lockdep.c).
 *
 * File clones (FICLONE, kernel/fs/reflink.c) put one frame into several
 * files' caches: struct frame's aux counts the caches holding a FRAME_FILE
 * frame (1 unless cloned), and each cache's slot holds one reference.  A
 * write about to reach a frame held by more than one cache first gives the
 * writer's cache a copy (pagecache_get_exclusive, as btrfs and XFS copy a
 * shared extent on write).  The entries that still map the old frame in
 * that file's mappings are "stale" (a MAP_PRIVATE page not yet written must
 * show the file's new data): they are recorded and dropped by
 * pagecache_unmap_stale, which needs every address space's mmap_lock and so
 * runs where the writer holds none: the end of inode_write, of a page
 * fault and of a system call.
 */
#pragma once
#include "kernel/lib.h"

#define PAGECACHE_LEAF 512		/* frame addresses per leaf page */
#define PAGECACHE_DIR 512		/* leaf pointers in the directory page */
#define PAGECACHE_MAX_PAGES ((uint64_t)PAGECACHE_LEAF * PAGECACHE_DIR)
#define PAGECACHE_BYTES (PAGECACHE_MAX_PAGES * PAGE_SIZE)	/* the largest file */

/* One file's pages (Linux struct address_space): the mapping field of a
 * struct inode (kernel/fs/inode.h), its host.  Kept small: an inode is 128
 * bytes, one kmalloc class. */
struct address_space {
	uint64_t **dir;			/* PAGECACHE_DIR leaves, NULL until the first page */
	uint64_t nrpages;		/* frames held */
	struct address_space *prev, *next;	/* every address space (the audit walks them) */
	/* pages [stale_from, stale_to) may still be mapped with frames the
	 * cache no longer holds (pagecache_unmap_stale); empty: from == to */
	uint32_t stale_from, stale_to;
};

/* Make M an empty cache and list it; pagecache_release undoes it. */
void pagecache_init_mapping(struct address_space *m);
/* Drop every frame and the tables of M and unlist it (the file is gone). */
void pagecache_release(struct address_space *m);
/* The frame holding page INDEX of M, created zero-filled if the file has
 * none yet (a hole), with one more reference taken for the caller (a
 * mapping, or a copy: frame_put it).  0 when out of memory or INDEX is
 * >= PAGECACHE_MAX_PAGES. */
uint64_t pagecache_get(struct address_space *m, uint64_t index);
/* pagecache_get for a write about to reach the frame (write(), a store
 * through a shared mapping): the frame returned is M's alone.  A frame a
 * file clone shares with another file's cache is first replaced in M by a
 * copy, and the page is recorded stale for pagecache_unmap_stale.  Takes
 * no sleeping lock: the fault path may call it under mmap_lock.  0 when out
 * of memory or INDEX is too large. */
uint64_t pagecache_get_exclusive(struct address_space *m, uint64_t index);
/* How many address spaces have stale pages or are being unmapped (atomic):
 * pagecache_unmap_stale's work. */
extern uint64_t pagecache_stale_pending;
/* pagecache_unmap_stale's work, when some is pending. */
void pagecache_drain_stale(void);
/* Drop, from every address space, the entries that still map frames that
 * pagecache_get_exclusive replaced, so that they fault again and see the
 * copy; returns once every replacement recorded before the call is unmapped
 * (a drain in progress on another CPU is waited for).  One load when
 * nothing is recorded (inline: every page fault and system call asks).
 * May sleep: the caller holds no mmap_lock and no spin lock (fs_tree may
 * be held). */
static inline void pagecache_unmap_stale(void)
{
	if (__atomic_load_n(&pagecache_stale_pending, __ATOMIC_ACQUIRE))
		pagecache_drain_stale();
}
/* Does PA, a frame of the page cache, sit in more than one file's cache? */
bool pagecache_frame_shared(uint64_t pa);
/* Make pages [DST_INDEX, DST_INDEX + N) of DST the frames of pages
 * [SRC_INDEX, SRC_INDEX + N) of SRC, shared (FICLONERANGE): DST's old
 * frames there are dropped, SRC's holes become holes.  The ranges must not
 * overlap when DST is SRC.  The caller holds fs_tree for writing and then
 * unmaps both ranges (mappings of the old DST frames, and writable entries
 * of SRC).  The pages cloned: N, or fewer when memory for DST's tables ran
 * out (the first ones are cloned then). */
uint64_t pagecache_clone(struct address_space *dst, uint64_t dst_index, struct address_space *src,
			 uint64_t src_index, uint64_t n);
/* The frame of page INDEX if M holds one, with a reference taken; else 0
 * (a hole reads as zeros without using a frame). */
uint64_t pagecache_find(struct address_space *m, uint64_t index);
/* Drop M's frames for pages >= FROM (truncate: mappings keep their own
 * references, so a page still mapped lives on until unmapped; a frame
 * another cache shares loses only M's hold). */
void pagecache_truncate(struct address_space *m, uint64_t from);
/* Call FN on every frame the cache holds (its own reference each: a frame
 * shared by clones once per cache holding it), under
 * the cache's lock: FN must not call into the cache.  For mm/audit.c. */
void pagecache_for_each(void (*fn)(uint64_t pa, void *arg), void *arg);
/* Frames held by the page cache, each counted once however many files
 * share it (Cached and Shmem in /proc/meminfo). */
uint64_t pagecache_frames(void);
/* Copy N bytes at byte offset OFF of M's pages to kernel buffer DST (holes
 * and missing pages read as zero).  No file lock: for the fault path, which
 * must not take fs_tree (a writer holding it may be faulting). */
void pagecache_copy(struct address_space *m, uint64_t off, void *dst, size_t n);
