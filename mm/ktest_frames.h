/*
 * mm/ktest_frames.h - for the self-tests (`ktest`) that need the allocator
 * short of memory: take the free frames, and give them back.
 */
#pragma once
#include "mm/frame.h"
#include "mm/layout.h"

/* Take every free frame but LEAVE; they are linked through their first
 * word from the returned chain (as frame_test does). */
static inline uint64_t drain_frames(uint64_t leave)
{
	uint64_t chain = 0, pa;

	while (frame_free_count() > leave && (pa = frame_alloc(FRAME_USER))) {
		*(uint64_t *)phys_to_virt(pa) = chain;
		chain = pa;
	}
	return chain;
}

/* Free the frames of a chain drain_frames took. */
static inline void release_frames(uint64_t chain)
{
	while (chain) {
		uint64_t next = *(uint64_t *)phys_to_virt(chain);
		frame_put(chain);
		chain = next;
	}
}
