/*
 * mm/kvmalloc.c - multi-page kernel buffers.
 *
 * The kvmalloc area (mm/layout.h) is cut into NWINDOWS windows of
 * KVMALLOC_MAX bytes.  kvmalloc takes a free window and maps fresh frames
 * into it with the kernel page tables (shared by every address space);
 * kvfree unmaps them and gives the frames back.  The page after each
 * buffer stays unmapped, so an overrun faults instead of corrupting.
 */
#include "mm/kvmalloc.h"
#include "kernel/lib.h"
#include "kernel/spinlock.h"
#include "mm/frame.h"
#include "mm/layout.h"
#include "mm/vm.h"

#define NWINDOWS 64
#define WINDOW_SIZE (KVMALLOC_MAX + PAGE_SIZE)	/* room for a guard page */

static size_t window_pages[NWINDOWS];	/* mapped pages; 0 = free window */
static struct spinlock kv_lock = SPINLOCK_INIT("kvmalloc");

static uint64_t window_base(int w)
{
	return KVMAP_AREA_BASE + (uint64_t)w * WINDOW_SIZE;
}

static void unmap_window(int w, size_t pages)
{
	unmap_kernel_pages(window_base(w), pages);
}

static bool map_window(int w, size_t pages)
{
	for (size_t i = 0; i < pages; i++) {
		uint64_t pa = frame_alloc(FRAME_KSTACK);
		if (!pa || map_kernel_page(window_base(w) + i * PAGE_SIZE, pa)) {
			if (pa)
				frame_put(pa);
			unmap_window(w, i);
			return false;
		}
	}
	return true;
}

void *kvmalloc(size_t size)
{
	size_t pages = ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE;
	int w;

	if (size == 0 || size > KVMALLOC_MAX)
		return NULL;
	spin_lock(&kv_lock);
	for (w = 0; w < NWINDOWS && window_pages[w]; w++)
		;
	if (w < NWINDOWS)
		window_pages[w] = pages;
	spin_unlock(&kv_lock);
	if (w == NWINDOWS)
		return NULL;
	if (!map_window(w, pages)) {
		window_pages[w] = 0;
		return NULL;
	}
	return (void *)window_base(w);
}

void kvfree(void *p)
{
	if (!p)
		return;
	int w = (int)(((uint64_t)p - KVMAP_AREA_BASE) / WINDOW_SIZE);
	unmap_window(w, window_pages[w]);
	spin_lock(&kv_lock);
	window_pages[w] = 0;
	spin_unlock(&kv_lock);
}
