/*
 * mm/pagecache.h - one in-memory copy of each initrd file's pages.
 *
 * The initrd keeps files packed in the cpio archive, not page-aligned, so
 * they cannot be mapped where they lie.  The first time a page of a file is
 * needed (exec or mmap fault), it is copied into a frame that the page cache
 * keeps for good; every process running that program maps that same frame
 * read-only.  A private write copies it (mm/fault.c).
 */
#pragma once
#include "kernel/lib.h"

struct initrd_file;

/* The frame holding page INDEX of F (bytes past the end of the file are
 * zero), with one more reference taken for the caller's mapping; 0 when out
 * of memory. */
uint64_t pagecache_get(const struct initrd_file *f, uint64_t index);
/* Call FN on every frame the cache holds (its own reference each), under
 * the cache's lock: FN must not call pagecache_get.  For mm/audit.c. */
void pagecache_for_each(void (*fn)(uint64_t pa, void *arg), void *arg);
/* Frames held by the page cache. */
uint64_t pagecache_frames(void);
