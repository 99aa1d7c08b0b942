/*
 * mm/frame_test.c - self-tests for the frame allocator and the heap.
 */
#include "kernel/ktest.h"
#include "mm/frame.h"
#include "mm/heap.h"
#include "mm/layout.h"

/* Take every free frame, check they are distinct pages, give them all back. */
KTEST(frame_exhaust)
{
	uint64_t before = frame_free_count(), taken = 0, pooled = 0, pa, prev = 0;
	bool unique = true, in_range = true;
	uint64_t chain = 0;	/* frames linked through their first word */

	while ((pa = frame_alloc(FRAME_USER)) != 0) {
		in_range &= pa < frame_phys_end() && (pa & (PAGE_SIZE - 1)) == 0;
		unique &= pa != prev;
		pooled += frame_in_pt_pool(pa);
		*(uint64_t *)phys_to_virt(pa) = chain;
		chain = pa;
		prev = pa;
		taken++;
	}
	KCHECK(taken == before, "took every free frame (%lu of %lu)", taken, before);
	KCHECK(frame_free_count() == 0, "free count is 0 when exhausted");
	KCHECK(frame_alloc(FRAME_USER) == 0, "allocation fails cleanly when exhausted");
	KCHECK(in_range && unique, "frames are page-aligned RAM, no repeats");
	KCHECK(pooled > 0 && pooled < taken,
	       "user frames fall back on the page-table pool when the rest is gone (%lu)", pooled);
	while (chain) {
		uint64_t next = *(uint64_t *)phys_to_virt(chain);
		frame_put(chain);
		chain = next;
	}
	KCHECK(frame_free_count() == before, "free count back to %lu after freeing", before);
}

/* Page tables come from their pool while it has frames, other frames from
 * the rest; a freed frame goes back to the list of its range. */
KTEST(frame_pagetable_pool)
{
	uint64_t pt = frame_alloc(FRAME_PAGETABLE), user = frame_alloc(FRAME_USER);

	KCHECK(pt && frame_in_pt_pool(pt), "a page table comes from the pool (%lx)", pt);
	KCHECK(user && !frame_in_pt_pool(user), "a user frame does not (%lx)", user);
	frame_put(pt);
	frame_put(user);
	uint64_t again = frame_alloc(FRAME_PAGETABLE);
	KCHECK(again == pt, "the freed table's frame is the pool's next (%lx)", again);
	frame_put(again);
	again = frame_alloc(FRAME_USER);
	KCHECK(again == user, "the freed user frame is the other list's next (%lx)", again);
	frame_put(again);

	uint64_t before = frame_free_count(), chain = 0, pooled = 0, pa;
	while ((pa = frame_alloc(FRAME_PAGETABLE)) && frame_in_pt_pool(pa)) {
		*(uint64_t *)phys_to_virt(pa) = chain;	/* linked through their first word */
		chain = pa;
		pooled++;
	}
	KCHECK(pa && !frame_in_pt_pool(pa),
	       "with the pool empty (%lu taken) a page table comes from the rest", pooled);
	if (pa)
		frame_put(pa);
	while (chain) {
		uint64_t next = *(uint64_t *)phys_to_virt(chain);
		frame_put(chain);
		chain = next;
	}
	KCHECK(frame_free_count() == before, "free count back to %lu", before);
}

KTEST(frame_refcount)
{
	uint64_t before = frame_free_count();
	uint64_t pa = frame_alloc_zeroed(FRAME_USER);
	uint8_t *p = phys_to_virt(pa);
	bool zero = true;

	for (size_t i = 0; i < PAGE_SIZE; i++)
		zero &= p[i] == 0;
	KCHECK(pa && zero, "frame_alloc_zeroed gives a zeroed frame");
	KCHECK(frame_refcount(pa) == 1, "a new frame has one reference");
	frame_get(pa);
	KCHECK(frame_refcount(pa) == 2, "frame_get adds a reference");
	KCHECK(frame_put(pa) == 1 && frame_free_count() == before - 1,
	       "dropping one of two references keeps the frame");
	KCHECK(frame_put(pa) == 0 && frame_free_count() == before,
	       "dropping the last reference frees it");
}

KTEST(heap)
{
	uint64_t *small[64];
	bool ok = true;

	for (int i = 0; i < 64; i++) {
		small[i] = kmalloc(24);
		ok &= small[i] != NULL;
		if (small[i])
			*small[i] = (uint64_t)i;
	}
	for (int i = 0; i < 64; i++)
		ok &= small[i] && *small[i] == (uint64_t)i;
	KCHECK(ok, "64 small objects keep their contents");
	for (int i = 0; i < 64; i++)
		kfree(small[i]);
	void *again = kmalloc(24);
	KCHECK(again != NULL, "freed objects are reused");
	kfree(again);

	uint64_t before = frame_free_count();
	void *page = kmalloc(PAGE_SIZE);
	KCHECK(page && frame_free_count() == before - 1, "a page-sized object takes one frame");
	kfree(page);
	KCHECK(frame_free_count() == before, "freeing it returns the frame");
	KCHECK(kmalloc(PAGE_SIZE + 1) == NULL && kmalloc(0) == NULL,
	       "sizes over a page or zero are refused");
	uint64_t *z = kzalloc(512);
	KCHECK(z && z[0] == 0 && z[63] == 0, "kzalloc zeroes");
	kfree(z);
}
