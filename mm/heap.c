/*
 * mm/heap.c - kmalloc and kfree: power-of-two size classes from 16 bytes to
 * one page.  Each class keeps a free list of objects; a class that runs dry
 * takes a whole frame and cuts it into objects.  kfree finds an object's
 * class from its frame descriptor (frame.slab_class), so callers need not
 * remember sizes.  Objects live in the direct map.  Each slab frame counts
 * its objects in use (frame.aux); when the last one is freed, the frame's
 * objects are taken off the free list and the frame goes back, so the free
 * frame count returns exactly to where it was when kernel objects go.
 */
#include "mm/heap.h"
#include "kernel/panic.h"
#include "kernel/spinlock.h"
#include "mm/frame.h"
#include "mm/layout.h"

#define MIN_SHIFT 4
#define NCLASSES (PAGE_SHIFT - MIN_SHIFT)	/* 16 .. 2048; 4096 = a frame */
#define PAGE_CLASS 0xFFFF

struct free_obj {
	struct free_obj *next;
};

static struct free_obj *free_lists[NCLASSES];
static struct spinlock heap_lock = SPINLOCK_INIT("heap");

static int size_class(size_t size)
{
	int c = 0;
	while (((size_t)1 << (c + MIN_SHIFT)) < size)
		c++;
	return c;
}

static bool refill(int c)
{
	uint64_t pa = frame_alloc(FRAME_SLAB);
	size_t objsize = (size_t)1 << (c + MIN_SHIFT);

	if (!pa)
		return false;
	pa_to_frame(pa)->slab_class = (uint16_t)c;
	pa_to_frame(pa)->aux = 0;
	char *page = phys_to_virt(pa);
	for (size_t off = 0; off < PAGE_SIZE; off += objsize) {
		struct free_obj *o = (struct free_obj *)(page + off);
		o->next = free_lists[c];
		free_lists[c] = o;
	}
	return true;
}

/* Take every object of the empty slab frame PA off class C's free list. */
static void release_slab(int c, uint64_t pa)
{
	for (struct free_obj **link = &free_lists[c]; *link;) {
		if (ALIGN_DOWN(virt_to_phys(*link), PAGE_SIZE) == pa)
			*link = (*link)->next;
		else
			link = &(*link)->next;
	}
}

void *kmalloc(size_t size)
{
	if (size == 0 || size > PAGE_SIZE)
		return NULL;
	if (size > PAGE_SIZE / 2) {
		uint64_t pa = frame_alloc(FRAME_SLAB);
		if (!pa)
			return NULL;
		pa_to_frame(pa)->slab_class = PAGE_CLASS;
		return phys_to_virt(pa);
	}
	int c = size_class(size);
	spin_lock(&heap_lock);
	if (!free_lists[c] && !refill(c)) {
		spin_unlock(&heap_lock);
		return NULL;
	}
	struct free_obj *o = free_lists[c];
	free_lists[c] = o->next;
	pa_to_frame(ALIGN_DOWN(virt_to_phys(o), PAGE_SIZE))->aux++;
	spin_unlock(&heap_lock);
	return o;
}

void *kzalloc(size_t size)
{
	void *p = kmalloc(size);
	if (p)
		memset(p, 0, size);
	return p;
}

void kfree(void *p)
{
	if (!p)
		return;
	uint64_t pa = virt_to_phys(p);
	struct frame *f = pa_to_frame(ALIGN_DOWN(pa, PAGE_SIZE));
	if (!(f->flags & FRAME_SLAB))
		panic("kfree: %p is not a heap object", p);
	if (f->slab_class == PAGE_CLASS) {
		frame_put(ALIGN_DOWN(pa, PAGE_SIZE));
		return;
	}
	struct free_obj *o = p;
	spin_lock(&heap_lock);
	o->next = free_lists[f->slab_class];
	free_lists[f->slab_class] = o;
	bool empty = --f->aux == 0;
	if (empty)
		release_slab(f->slab_class, ALIGN_DOWN(pa, PAGE_SIZE));
	spin_unlock(&heap_lock);
	if (empty)
		frame_put(ALIGN_DOWN(pa, PAGE_SIZE));
}
