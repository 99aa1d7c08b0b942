/*
 * mm/frame.h - physical page frames.
 *
 * Every frame of RAM has a descriptor, struct frame, in one array indexed by
 * frame number (physical address / 4096).  Its reference count says how many
 * users the frame has: page-table entries mapping it, the page cache, the
 * kernel.  Copy-on-write and merging decide everything from this count: a
 * write fault on a shared page whose count is 1 needs no copy.
 */
#pragma once
#include "kernel/lib.h"

/* What a frame is used for (frame.flags); kept for debugging and /proc. */
enum frame_flags {
	FRAME_FREE = 1 << 0,
	FRAME_RESERVED = 1 << 1,	/* not RAM, or kernel image / boot data */
	FRAME_PAGETABLE = 1 << 2,
	FRAME_SLAB = 1 << 3,		/* kernel heap page (kmalloc) */
	FRAME_ZERO = 1 << 4,		/* the shared zero frame */
	FRAME_FILE = 1 << 5,		/* page-cache page of a file */
	FRAME_KSM = 1 << 6,		/* merged page (stable tree) */
	FRAME_USER = 1 << 7,		/* anonymous user page */
	FRAME_KSTACK = 1 << 8,
};

struct frame {
	uint32_t refcount;	/* atomic: lock-prefixed increments/decrements */
	uint16_t flags;
	uint16_t slab_class;	/* FRAME_SLAB: size class index */
	uint32_t next_free;	/* free list link: frame number, or 0 for none */
	uint32_t aux;		/* owner-specific: FRAME_SLAB its objects in use
				 * (mm/heap.c), FRAME_FILE the page caches holding
				 * it, more than 1 for a frame file clones share
				 * (mm/pagecache.c), FRAME_PAGETABLE the last
				 * /proc/kpagecount query that counted the table
				 * (mm/ptshare.c) */
};

extern struct frame *frames;
extern uint64_t nframes;

static inline struct frame *pa_to_frame(uint64_t pa) { return &frames[pa >> 12]; }
static inline uint64_t frame_to_pa(const struct frame *f) { return (uint64_t)(f - frames) << 12; }

/* Set up the descriptors from boot_info, keeping the kernel, boot data and modules. */
void frame_init(void);
/* A frame with refcount 1 and the given flags, or 0 when memory is exhausted.
 * FRAME_PAGETABLE takes it from the page-table pool first (mm/frame.c). */
uint64_t frame_alloc(uint16_t flags);
/* Like frame_alloc, with the contents zeroed. */
uint64_t frame_alloc_zeroed(uint16_t flags);
/* Panic: PA is not an allocated frame (unaligned, past the end of RAM,
 * free or reserved); WHO names the caller. */
void frame_bad(uint64_t pa, const char *who) __attribute__((noreturn));
/* The descriptor of PA, which must be an allocated frame (a bug otherwise).
 * Inline, as frame_get: fork and a table copy take one reference per entry. */
static inline struct frame *checked_frame(uint64_t pa, const char *who)
{
	struct frame *f = pa_to_frame(pa);

	if ((pa & 0xfff) || (pa >> 12) >= nframes || (f->flags & (FRAME_FREE | FRAME_RESERVED)))
		frame_bad(pa, who);
	return f;
}
/* Take another reference. */
static inline void frame_get(uint64_t pa)
{
	__atomic_add_fetch(&checked_frame(pa, "frame_get")->refcount, 1, __ATOMIC_ACQ_REL);
}
/* frame_get for a loop that takes one reference per entry of a page table
 * (mm/ptshare.c's table copy: up to 512 in a row; Linux's page_ref_inc).
 * DESCS and N are the caller's copies of frames and nframes, read once
 * before the loop: each store in it would make the compiler read the
 * globals again.  Only the frame number is checked: a present entry of a
 * live table names an allocated frame (mm/audit.c checks that). */
static inline void frame_ref_inc(struct frame *descs, uint64_t n, uint64_t pa)
{
	if ((pa >> 12) >= n)
		frame_bad(pa, "frame_ref_inc");
	__atomic_add_fetch(&descs[pa >> 12].refcount, 1, __ATOMIC_RELAXED);
}
/* Drop a reference unless it is the last one (Linux's atomic_add_unless(v,
 * -1, 1)): true when dropped; false leaves the count at 1, for a caller
 * that must clean up before it puts the last one (mm/ptshare.c's pt_put,
 * whose last reference drops 512 more).  Inline: exit puts every table. */
static inline bool frame_put_unless_last(uint64_t pa)
{
	struct frame *f = checked_frame(pa, "frame_put");
	uint32_t n = __atomic_load_n(&f->refcount, __ATOMIC_RELAXED);

	while (n > 1)
		if (__atomic_compare_exchange_n(&f->refcount, &n, n - 1, true, __ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED))
			return true;
	return false;
}
/* Drop a reference; the frame is freed when the last one goes.  Returns the new count. */
uint32_t frame_put(uint64_t pa);
uint32_t frame_refcount(uint64_t pa);
/* Take a reference of PA unless its count is already zero (it is being
 * freed): a compare-and-swap loop, for whoever finds a frame in a page-table
 * entry without holding the lock that keeps the entry (the merging scanner,
 * /proc readers; Linux's get_page_unless_zero).  The caller re-checks that
 * the entry still maps PA afterwards: the frame may have been freed and
 * reused in between.  True when taken. */
bool frame_get_unless_zero(uint64_t pa);
/* frame_put, except that a frame whose last reference this was is not freed
 * but linked (through next_free) onto the list *LIST (0 = empty), for
 * frame_free_deferred once no CPU's TLB can reach it any more (mm/tlb.c's
 * mmu_gather). */
void frame_put_deferred(uint64_t pa, uint32_t *list);
/* Free every frame of a list made by frame_put_deferred. */
void frame_free_deferred(uint32_t list);
uint64_t frame_free_count(void);
/* Does PA lie in the page-table pool (the frames FRAME_PAGETABLE takes
 * first)?  For the allocator's tests. */
bool frame_in_pt_pool(uint64_t pa);
/* Call FN on each frame number of the free lists (the page-table pool's,
 * then the other), in list order, under the allocator's lock (FN must not
 * allocate or free); FN returns true to stop.  Stops also after nframes
 * steps in all (a cycle); a link past the end of RAM ends its list.
 * Returns the frames visited: frame_free_count() on a sound list.  For
 * mm/audit.c. */
uint64_t frame_free_list_walk(bool (*fn)(uint64_t pfn, void *arg), void *arg);
uint64_t frame_total_count(void);
/* Give the allocator the whole frames of [START, END) that boot kept back
 * (FRAME_RESERVED: the initrd module once it is unpacked, as Linux's
 * free_initrd_mem): they become free and count in the total.  The frames
 * returned. */
uint64_t frame_release_boot_range(uint64_t start, uint64_t end);
/* Highest physical address of RAM + 1. */
uint64_t frame_phys_end(void);
