/*
 * mm/pagecache_test.c - self-tests for frames shared between page caches
 * (file clones, mm/pagecache.h): a clone holds the source's frames and
 * counts them once, an exclusive get copies only a shared frame and records
 * the page stale, truncation and release drop one cache's hold each, and
 * every frame comes back.  Two unnamed inodes serve as the files.
 */
#include "kernel/fs/fs.h"
#include "kernel/fs/inode.h"
#include "kernel/ktest.h"
#include "kernel/rwsem.h"
#include "mm/frame.h"
#include "mm/layout.h"
#include "mm/pagecache.h"

/* The frame of page INDEX of M without keeping a reference (0: none). */
static uint64_t frame_of(struct address_space *m, uint64_t index)
{
	uint64_t pa = pagecache_find(m, index);

	if (pa)
		frame_put(pa);
	return pa;
}

/* Fill N pages of INODE with byte 'a' + page. */
static bool fill(struct inode *inode, int n)
{
	char page[64];

	for (int i = 0; i < n; i++) {
		memset(page, 'a' + i, sizeof(page));
		if (inode_write(inode, (uint64_t)page, sizeof(page), (uint64_t)i * PAGE_SIZE, false) != sizeof(page))
			return false;
	}
	return true;
}

KTEST(pagecache_clone_shares)
{
	uint64_t free0 = frame_free_count(), cached0 = pagecache_frames();
	struct inode *a = inode_new(S_IFREG | 0644, 1), *b = inode_new(S_IFREG | 0644, 1);

	if (!a || !b) {
		iput(a);
		iput(b);
		return;
	}
	down_write(&fs_tree);
	KCHECK(fill(a, 4) && pagecache_frames() == cached0 + 4, "four pages cached");
	KCHECK(pagecache_clone(&b->mapping, 0, &a->mapping, 0, 4) == 4, "clone four pages");
	uint64_t pa = frame_of(&a->mapping, 2);
	KCHECK(frame_of(&b->mapping, 2) == pa && pagecache_frame_shared(pa) &&
	       pa_to_frame(pa)->aux == 2 && frame_refcount(pa) == 2,
	       "both caches hold the frame: aux 2, one reference each");
	KCHECK(pagecache_frames() == cached0 + 4 && b->mapping.nrpages == 4,
	       "Cached counts a shared frame once");
	uint64_t copy = pagecache_get_exclusive(&b->mapping, 2);
	KCHECK(copy && copy != pa && !memcmp(phys_to_virt(copy), phys_to_virt(pa), PAGE_SIZE) &&
	       frame_of(&b->mapping, 2) == copy && frame_of(&a->mapping, 2) == pa,
	       "an exclusive get gives the clone a copy, the source keeps its frame");
	KCHECK(!pagecache_frame_shared(pa) && frame_refcount(pa) == 1 &&
	       b->mapping.stale_from == 2 && b->mapping.stale_to == 3,
	       "the old frame is the source's alone, the page is stale in the clone");
	frame_put(copy);
	pagecache_unmap_stale();
	KCHECK(b->mapping.stale_from == b->mapping.stale_to, "the stale page is drained");
	uint64_t again = pagecache_get_exclusive(&a->mapping, 2);
	KCHECK(again == pa && a->mapping.stale_from == a->mapping.stale_to,
	       "an exclusive get of an unshared frame copies nothing");
	frame_put(again);
	pa = frame_of(&a->mapping, 3);
	pagecache_truncate(&b->mapping, 3);
	KCHECK(frame_of(&a->mapping, 3) == pa && !pagecache_frame_shared(pa) &&
	       frame_refcount(pa) == 1 && pagecache_frames() == cached0 + 5,
	       "truncating the clone drops its hold only");
	up_write(&fs_tree);
	iput(a);
	KCHECK(pagecache_frames() == cached0 + 3, "releasing the source leaves the clone's frames");
	iput(b);
	KCHECK(pagecache_frames() == cached0 && frame_free_count() == free0, "every frame comes back");
}
