/*
 * mm/frame.c - the physical frame allocator.
 *
 * Free frames form singly linked lists threaded through their descriptors
 * (frame.next_free), so allocation and freeing are O(1) pops and pushes and
 * never touch the frame's contents.  The lists are built so that low frames
 * come out first: early page tables must lie inside the boot direct map
 * (first 1 GiB) until vm_init_kernel has mapped everything.
 *
 * Two lists, as Linux keeps zones with fallback: the page-table pool (the
 * lowest 1/128 of the frames usable at boot, at least PT_POOL_MIN; boot
 * data freed later below its end joins it) and the rest.  Page
 * tables come from the pool first, so their descriptors lie together (16
 * bytes each: 2048 tables in 32 KiB).  Fork and exit touch one descriptor
 * per shared page table (its reference count, mm/ptshare.c), so 128 tables
 * (256 MiB) cost a few pages of descriptors instead of one page each: under
 * QEMU's TCG each new page a CPU touches after a CR3 load is a software TLB
 * refill, and on hardware each is a cache miss.  Either list falls back on
 * the other when empty: no frame is set aside for good, and frame_alloc
 * fails only when both are empty.  A frame goes back to the list of the
 * range it lies in, whatever it was used for.
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

enum { POOL_PAGETABLE, POOL_ANY, NPOOLS };
#define PT_POOL_MIN 64			/* frames, at the least */

/* The heads of the two lists: frame numbers, 0 = empty (frame 0 is never
 * free).  Frames below pt_pool_end belong to the page-table pool. */
static uint32_t free_head[NPOOLS];
static uint64_t pt_pool_end;
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

/* The frame number below which the lowest 1/128 of the usable frames of
 * RAM (at least PT_POOL_MIN) lie: the end of the page-table pool. */
static uint64_t pool_end(const struct mem_region *ram, int nram)
{
	uint64_t usable = 0;

	for (int r = 0; r < nram; r++)
		usable += (ram[r].end - ram[r].start) >> PAGE_SHIFT;
	uint64_t want = MAX(usable / 128, (uint64_t)PT_POOL_MIN);
	for (int r = 0; r < nram; r++) {
		uint64_t n = (ram[r].end - ram[r].start) >> PAGE_SHIFT;
		if (want <= n)
			return (ram[r].start >> PAGE_SHIFT) + want;
		want -= n;
	}
	return nframes;
}

/* Put the free frame PA at the head of the list of its range.  frame_lock
 * held, or boot. */
static void push_free(uint64_t pa)
{
	uint64_t pfn = pa >> PAGE_SHIFT;
	uint32_t *head = &free_head[pfn < pt_pool_end ? POOL_PAGETABLE : POOL_ANY];

	*pa_to_frame(pa) = (struct frame){ .flags = FRAME_FREE, .next_free = *head };
	*head = (uint32_t)pfn;
	free_count++;
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

	pt_pool_end = pool_end(ram, nram);
	/* push from the top down so the lowest frame ends up at the head */
	for (int r = nram - 1; r >= 0; r--) {
		for (uint64_t pa = ram[r].end; pa > ram[r].start;) {
			pa -= PAGE_SIZE;
			push_free(pa);
		}
	}
	usable_count = free_count;
	pr_info("mm: %lu MiB usable, %lu frames free, descriptors at %lx (%lu KiB)\n",
		(free_count * PAGE_SIZE) >> 20, free_count, at, bytes >> 10);
}

uint64_t frame_alloc(uint16_t flags)
{
	int pool = (flags & FRAME_PAGETABLE) ? POOL_PAGETABLE : POOL_ANY;

	spin_lock(&frame_lock);
	if (!free_head[pool])
		pool = NPOOLS - 1 - pool;	/* the other list */
	uint32_t n = free_head[pool];
	if (n == 0) {
		spin_unlock(&frame_lock);
		return 0;
	}
	struct frame *f = &frames[n];
	if (!(f->flags & FRAME_FREE) || f->refcount != 0)
		panic("frame_alloc: frame %x on the free list is in use", n);
	free_head[pool] = f->next_free;
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
	spin_lock(&frame_lock);
	push_free(pa);
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

bool frame_in_pt_pool(uint64_t pa)
{
	return (pa >> PAGE_SHIFT) < pt_pool_end;
}

uint64_t frame_free_count(void)
{
	return __atomic_load_n(&free_count, __ATOMIC_RELAXED);
}

uint64_t frame_free_list_walk(bool (*fn)(uint64_t pfn, void *arg), void *arg)
{
	uint64_t n = 0;
	bool stop = false;

	spin_lock(&frame_lock);
	for (int pool = 0; pool < NPOOLS && !stop; pool++) {
		uint32_t pfn = free_head[pool];
		while (pfn && pfn < nframes && n < nframes && !(stop = fn(pfn, arg))) {
			pfn = frames[pfn].next_free;
			n++;
		}
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
