/*
 * mm/frame.c - the physical frame allocator.
 *
 * Free frames form a singly linked list threaded through their descriptors
 * (frame.next_free), so allocation and freeing are O(1) pops and pushes and
 * never touch the frame's contents.  The list is built so that low frames
 * come out first: early page tables must lie inside the boot direct map
 * (first 1 GiB) until vm_init_kernel has mapped everything.
 *
 * Reference counts are updated with atomic (lock-prefixed) operations, so
 * page-table code can share frames without holding the allocator lock.
 */
#include "mm/frame.h"
#include "kernel/multiboot.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "kernel/spinlock.h"
#include "mm/ksm.h"
#include "mm/layout.h"

struct frame *frames;
uint64_t nframes;

static uint32_t free_head;	/* frame number; 0 = empty (frame 0 is never free) */
static uint64_t free_count, usable_count;
static struct spinlock frame_lock = SPINLOCK_INIT("frames");

/* Pick a place for the descriptor array: the first usable range that fits. */
static uint64_t place_descriptors(struct mem_region *ram, int nram, uint64_t bytes)
{
	for (int i = 0; i < nram; i++) {
		uint64_t start = ram[i].start;
		if (ram[i].end - start >= bytes && start + bytes <= BOOT_DIRECT_MAP_SIZE)
			return start;
	}
	panic("frame_init: no room for %lu bytes of frame descriptors", bytes);
}

static void reserve(struct mem_region *ram, int *nram, uint64_t start, uint64_t end)
{
	mem_region_remove(ram, nram, BOOT_MAX_REGIONS, ALIGN_DOWN(start, PAGE_SIZE),
		      ALIGN_UP(end, PAGE_SIZE));
}

void frame_init(void)
{
	struct mem_region ram[BOOT_MAX_REGIONS];
	int nram = boot_info.nram;

	memcpy(ram, boot_info.ram, sizeof(ram));
	reserve(ram, &nram, 0, virt_to_phys(_kernel_end));	/* BIOS area, kernel */
	reserve(ram, &nram, boot_info.mbi_start, boot_info.mbi_end);
	for (int i = 0; i < boot_info.nmodules; i++)
		reserve(ram, &nram, boot_info.modules[i].start, boot_info.modules[i].end);

	nframes = boot_info.ram[boot_info.nram - 1].end >> PAGE_SHIFT;
	if (nframes > UINT32_MAX)
		panic("frame_init: %lu frames is more than this allocator indexes", nframes);
	uint64_t bytes = ALIGN_UP(nframes * sizeof(struct frame), PAGE_SIZE);
	uint64_t at = place_descriptors(ram, nram, bytes);
	reserve(ram, &nram, at, at + bytes);
	frames = phys_to_virt(at);
	for (uint64_t i = 0; i < nframes; i++)
		frames[i] = (struct frame){ .refcount = 1, .flags = FRAME_RESERVED };

	/* push from the top down so the lowest frame ends up at the head */
	for (int r = nram - 1; r >= 0; r--) {
		for (uint64_t pa = ram[r].end; pa > ram[r].start;) {
			pa -= PAGE_SIZE;
			struct frame *f = pa_to_frame(pa);
			*f = (struct frame){ .flags = FRAME_FREE, .next_free = free_head };
			free_head = (uint32_t)(pa >> PAGE_SHIFT);
			free_count++;
		}
	}
	usable_count = free_count;
	pr_info("mm: %lu MiB usable, %lu frames free, descriptors at %lx (%lu KiB)\n",
		(free_count * PAGE_SIZE) >> 20, free_count, at, bytes >> 10);
}

uint64_t frame_alloc(uint16_t flags)
{
	spin_lock(&frame_lock);
	uint32_t n = free_head;
	if (n == 0) {
		spin_unlock(&frame_lock);
		return 0;
	}
	struct frame *f = &frames[n];
	if (!(f->flags & FRAME_FREE) || f->refcount != 0)
		panic("frame_alloc: frame %x on the free list is in use", n);
	free_head = f->next_free;
	free_count--;
	*f = (struct frame){ .refcount = 1, .flags = flags };
	spin_unlock(&frame_lock);
	return (uint64_t)n << PAGE_SHIFT;
}

uint64_t frame_alloc_zeroed(uint16_t flags)
{
	uint64_t pa = frame_alloc(flags);
	if (pa)
		memset(phys_to_virt(pa), 0, PAGE_SIZE);
	return pa;
}

static void frame_free(uint64_t pa)
{
	struct frame *f = pa_to_frame(pa);

	spin_lock(&frame_lock);
	*f = (struct frame){ .flags = FRAME_FREE, .next_free = free_head };
	free_head = (uint32_t)(pa >> PAGE_SHIFT);
	free_count++;
	spin_unlock(&frame_lock);
}

void frame_bad(uint64_t pa, const char *who)
{
	if ((pa & (PAGE_SIZE - 1)) || (pa >> PAGE_SHIFT) >= nframes)
		panic("%s: bad physical address %lx", who, pa);
	panic("%s: frame %lx is %s", who, pa,
	      pa_to_frame(pa)->flags & FRAME_FREE ? "free" : "reserved");
}

/* Drop one reference of PA; at the last one the frame leaves the KSM
 * stable tree.  Returns the references left. */
static uint32_t put_ref(uint64_t pa)
{
	struct frame *f = checked_frame(pa, "frame_put");
	uint32_t left = __atomic_sub_fetch(&f->refcount, 1, __ATOMIC_ACQ_REL);
	if (left == UINT32_MAX)
		panic("frame_put: reference count of %lx went below zero", pa);
	if (left == 0 && (f->flags & FRAME_ZERO))
		panic("frame_put: the zero frame lost its own reference");
	if (left == 0 && (f->flags & FRAME_KSM))
		ksm_frame_freed(pa);	/* a merged frame leaves the KSM stable tree (mm/ksm.c) */
	return left;
}

uint32_t frame_put(uint64_t pa)
{
	uint32_t left = put_ref(pa);

	if (left == 0)
		frame_free(pa);
	return left;
}

bool frame_get_unless_zero(uint64_t pa)
{
	struct frame *f = pa_to_frame(pa);
	uint32_t n = __atomic_load_n(&f->refcount, __ATOMIC_ACQUIRE);

	do {
		if (n == 0 || (f->flags & FRAME_FREE))
			return false;
	} while (!__atomic_compare_exchange_n(&f->refcount, &n, n + 1, true, __ATOMIC_ACQ_REL,
					      __ATOMIC_ACQUIRE));
	return true;
}

void frame_put_deferred(uint64_t pa, uint32_t *list)
{
	if (put_ref(pa))
		return;
	pa_to_frame(pa)->next_free = *list;
	*list = (uint32_t)(pa >> PAGE_SHIFT);
}

void frame_free_deferred(uint32_t list)
{
	while (list) {
		uint64_t pa = (uint64_t)list << PAGE_SHIFT;
		list = pa_to_frame(pa)->next_free;
		frame_free(pa);
	}
}

uint32_t frame_refcount(uint64_t pa)
{
	return __atomic_load_n(&pa_to_frame(pa)->refcount, __ATOMIC_ACQUIRE);
}

uint64_t frame_free_count(void)
{
	return __atomic_load_n(&free_count, __ATOMIC_RELAXED);
}

uint64_t frame_free_list_walk(bool (*fn)(uint64_t pfn, void *arg), void *arg)
{
	uint64_t n = 0;

	spin_lock(&frame_lock);
	for (uint32_t pfn = free_head; pfn && pfn < nframes && n < nframes; n++) {
		if (fn(pfn, arg))
			break;
		pfn = frames[pfn].next_free;
	}
	spin_unlock(&frame_lock);
	return n;
}

uint64_t frame_release_boot_range(uint64_t start, uint64_t end)
{
	uint64_t n = 0;

	for (uint64_t pa = ALIGN_UP(start, PAGE_SIZE); pa + PAGE_SIZE <= end; pa += PAGE_SIZE) {
		if ((pa >> PAGE_SHIFT) >= nframes || !(pa_to_frame(pa)->flags & FRAME_RESERVED))
			continue;
		frame_free(pa);
		n++;
	}
	spin_lock(&frame_lock);
	usable_count += n;
	spin_unlock(&frame_lock);
	return n;
}

uint64_t frame_total_count(void)
{
	return usable_count;
}

uint64_t frame_phys_end(void)
{
	return nframes << PAGE_SHIFT;
}
