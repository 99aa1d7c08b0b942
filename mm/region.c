/*
 * mm/region.c - the regions of an address space, kept in a red-black tree
 * ordered by address (Linux kept its VMAs in one until the maple tree).
 *
 * Regions never overlap, so ordering by start address also orders them by
 * end address, and one descent answers every question fault handling and the
 * memory system calls ask: which region holds ADDR (region_find), which is
 * the first one ending above ADDR (region_find_after, Linux's find_vma), and
 * where the next one begins.  Every lookup is O(log n) and a walk over the k
 * regions of a range is O(log n + k), so a process may have tens of thousands
 * of mappings; their number is capped by /proc/sys/vm/max_map_count as on
 * Linux (ENOMEM past it, for a new mapping and for a split alike).
 * Neighbours that differ only in their addresses are merged
 * (region_merge_range, Linux's vma_merge), so ordinary programs stay far
 * below that cap.
 *
 * mmap's placement (vm_find_free) searches top-down for a gap, starting at
 * the address of the last placement (vm->free_area_cache, as Linux 2.6 did):
 * consecutive mmaps then cost O(log n) each instead of a scan of every gap.
 * Freeing memory above the cache moves the cache up (region_remove), so a
 * freed gap is found again.
 */
#include "kernel/errno.h"
#include "kernel/fs/file.h"
#include "kernel/fs/inode.h"
#include "kernel/fs/memfd.h"
#include "kernel/panic.h"
#include "mm/commit.h"
#include "mm/heap.h"
#include "mm/layout.h"
#include "mm/vmspace.h"

int sysctl_max_map_count = DEFAULT_MAX_MAP_COUNT;

static struct region *to_region(struct rb_node *n)
{
	return n ? container_of(n, struct region, rb) : NULL;
}

struct region *region_first(struct vmspace *vm)
{
	return to_region(rb_first(&vm->regions));
}

struct region *region_next(const struct region *r)
{
	return to_region(rb_next(&r->rb));
}

struct region *region_prev(const struct region *r)
{
	return to_region(rb_prev(&r->rb));
}

struct region *region_find_after(struct vmspace *vm, uint64_t addr)
{
	struct rb_node *n = vm->regions.node;
	struct region *best = NULL;

	while (n) {
		struct region *r = to_region(n);
		if (addr < r->end) {
			best = r;
			if (addr >= r->start)
				break;
			n = n->child[RB_LEFT];
		} else {
			n = n->child[RB_RIGHT];
		}
	}
	return best;
}

/*
 * region_find remembers the region it found (Linux's mmap_cache, until 3.15):
 * the faults of a program touching its memory in order find the same region
 * again and again, and a look at one region saves the descent of the tree
 * (12 of the ~118 translated blocks of a zero-page fault under QEMU).  The
 * caller holds mmap_lock; readers may store at once (any region they found
 * is right), and a region is freed only with it held for writing, after
 * region_forget.  A region that shrinks or moves in place stays cached:
 * the range is checked at every look.
 */
struct region *region_find(struct vmspace *vm, uint64_t addr)
{
	struct region *r = __atomic_load_n(&vm->region_cache, __ATOMIC_RELAXED);

	if (r && r->start <= addr && addr < r->end)
		return r;
	r = region_find_after(vm, addr);
	if (!r || r->start > addr)
		return NULL;
	__atomic_store_n(&vm->region_cache, r, __ATOMIC_RELAXED);
	return r;
}

/* R is about to be freed: region_find must not offer it again. */
static void region_forget(struct vmspace *vm, const struct region *r)
{
	if (vm->region_cache == r)
		vm->region_cache = NULL;
}

bool vm_range_free(struct vmspace *vm, uint64_t start, uint64_t end)
{
	struct region *r = region_find_after(vm, start);

	return !r || r->start >= end;
}

static uint64_t region_pages(const struct region *r)
{
	return (r->end - r->start) / PAGE_SIZE;
}

/* Link R (not overlapping any region) into the tree. */
static void region_link(struct vmspace *vm, struct region *r)
{
	struct rb_node **link = &vm->regions.node, *parent = NULL;

	while (*link) {
		parent = *link;
		link = &parent->child[r->start < to_region(parent)->start ? RB_LEFT : RB_RIGHT];
	}
	rb_insert(&vm->regions, &r->rb, parent, link);
	vm->map_count++;
	vm->total_pages += region_pages(r);
}

/* How max_map_count limits a new region, as on Linux: a new mapping (mmap,
 * brk) is refused once the count is above the cap (do_mmap), so one that
 * merges at the cap still succeeds; a split once the count has reached it
 * (split_vma); fork's copy never (dup_mmap). */
enum map_cap { CAP_MAP, CAP_SPLIT, CAP_NONE };

static bool over_cap(const struct vmspace *vm, enum map_cap cap)
{
	uint64_t max = (uint64_t)sysctl_max_map_count;

	return cap == CAP_MAP ? vm->map_count > max : cap == CAP_SPLIT && vm->map_count >= max;
}

/* A region's hold on its file: a reference; for a program's segment the
 * denial of writes; for a shared mapping that may write, its place in the
 * count F_SEAL_WRITE waits on (kernel/fs/memfd.c).  Neither can fail here:
 * exec holds the denial already while it maps, mmap holds the count open
 * while it adds the region, and fork and split copy a region that holds
 * them. */
static void file_hold(const struct region *r)
{
	if (!r->file)
		return;
	file_get(r->file);
	if (r->denywrite && inode_deny_write(r->file->inode))
		panic("file_hold: a program's file is open for writing");
	if (r->shared && r->maywrite && inode_map_writable(r->file->inode))
		panic("file_hold: a writable shared mapping of a write-sealed file");
}

/* Free R, unlinked, letting go of its file. */
static void region_free(struct region *r)
{
	if (r->file) {
		if (r->denywrite)
			inode_allow_write(r->file->inode);
		if (r->shared && r->maywrite)
			inode_unmap_writable(r->file->inode);
		file_put(r->file);
	}
	kfree(r);
}

/* A copy of TMPL, unlinked; NULL without memory or over the cap. */
static struct region *region_alloc(struct vmspace *vm, const struct region *tmpl, enum map_cap cap)
{
	if (over_cap(vm, cap))
		return NULL;
	struct region *r = kmalloc(sizeof(*r));
	if (r) {
		*r = *tmpl;
		file_hold(r);
	}
	return r;
}

static int region_insert(struct vmspace *vm, const struct region *tmpl, enum map_cap cap)
{
	struct region *r = region_alloc(vm, tmpl, cap);

	if (!r)
		return -ENOMEM;
	if (r->account && vm_enough_memory(vm, region_pages(r))) {
		region_free(r);
		return -ENOMEM;
	}
	region_link(vm, r);
	return 0;
}

int region_add(struct vmspace *vm, const struct region *tmpl)
{
	return region_insert(vm, tmpl, CAP_MAP);
}

int region_copy(struct vmspace *vm, const struct region *tmpl)
{
	return region_insert(vm, tmpl, CAP_NONE);
}

int region_extend(struct vmspace *vm, struct region *r, uint64_t end)
{
	uint64_t pages = (end - r->end) / PAGE_SIZE;

	if (r->account && vm_enough_memory(vm, pages))
		return -ENOMEM;
	r->end = end;
	vm->total_pages += pages;
	return 0;
}

int region_account(struct vmspace *vm, struct region *r, int prot)
{
	if (r->account || r->shared || !vm_accountable(prot, r->noreserve))
		return 0;
	if (vm_enough_memory(vm, region_pages(r)))
		return -ENOMEM;
	r->account = true;
	return 0;
}

/* R leaves the address space: its pages are no longer spanned nor charged. */
static void region_unaccount(struct vmspace *vm, const struct region *r)
{
	vm->total_pages -= region_pages(r);
	if (r->account)
		vm_unacct_memory(region_pages(r));
}

void region_remove(struct vmspace *vm, struct region *r)
{
	region_forget(vm, r);
	rb_erase(&vm->regions, &r->rb);
	vm->map_count--;
	region_unaccount(vm, r);
	if (r->end > vm->free_area_cache)
		vm->free_area_cache = MIN(r->end, USER_MMAP_TOP);
	region_free(r);
}

int region_split(struct vmspace *vm, uint64_t addr)
{
	struct region *r = region_find(vm, addr);

	if (!r || r->start == addr)
		return 0;
	struct region *tail = region_alloc(vm, r, CAP_SPLIT);
	if (!tail)
		return -ENOMEM;
	uint64_t head_len = addr - r->start;
	tail->start = addr;
	tail->file_off = r->file_off + head_len;
	tail->file_bytes = r->file_bytes > head_len ? r->file_bytes - head_len : 0;
	r->end = addr;
	r->file_bytes = MIN(r->file_bytes, head_len);
	vm->total_pages -= region_pages(tail);	/* region_link adds them back */
	region_link(vm, tail);
	return 0;
}

/*
 * Can A and B, A just below B, be one region?  Anonymous memory (or heap)
 * with every attribute the same: Linux's vma_merge asks the same of flags and
 * anon_vma.  File regions, shared ones (MAP_SHARED|MAP_ANONYMOUS is a file
 * region too) included, are left apart: their files and offsets would have
 * to agree, and each shared anonymous mapping is a file of its own.
 */
static bool can_merge(const struct region *a, const struct region *b)
{
	return a->end == b->start && a->kind == b->kind &&
	       (a->kind == REGION_ANON || a->kind == REGION_HEAP) && a->prot == b->prot &&
	       a->mergeable == b->mergeable && a->dontfork == b->dontfork &&
	       a->wipeonfork == b->wipeonfork && a->account == b->account &&
	       a->noreserve == b->noreserve;
}

void region_merge_range(struct vmspace *vm, uint64_t start, uint64_t end)
{
	struct region *r = region_find_after(vm, start ? start - 1 : 0);

	while (r && r->start <= end) {
		struct region *next = region_next(r);
		if (!next || next->start > end)
			break;
		if (!can_merge(r, next)) {
			r = next;
			continue;
		}
		/* R takes NEXT's pages: spanned pages and charge stay the same */
		region_forget(vm, next);
		rb_erase(&vm->regions, &next->rb);
		vm->map_count--;
		r->end = next->end;
		region_free(next);
	}
}

/* Free the subtree below N, children first (no rebalancing needed). */
static void free_subtree(struct vmspace *vm, struct rb_node *n)
{
	if (!n)
		return;
	free_subtree(vm, n->child[RB_LEFT]);
	free_subtree(vm, n->child[RB_RIGHT]);
	region_unaccount(vm, to_region(n));
	region_free(to_region(n));
}

void region_free_all(struct vmspace *vm)
{
	vm->region_cache = NULL;
	free_subtree(vm, vm->regions.node);
	vm->regions.node = NULL;
	vm->map_count = 0;
}

/* The highest gap of LEN bytes ending at or below TOP: its start, or 0. */
static uint64_t gap_below(struct vmspace *vm, uint64_t top, uint64_t len)
{
	struct region *r = region_find_after(vm, top - 1);
	uint64_t hi = top;

	if (r && r->start < hi)
		hi = r->start;		/* R straddles TOP */
	r = r ? region_prev(r) : to_region(rb_last(&vm->regions));
	for (;;) {
		uint64_t lo = r ? MAX(r->end, USER_MIN_ADDR) : USER_MIN_ADDR;
		if (hi > lo && hi - lo >= len)
			return hi - len;
		if (!r || r->start <= USER_MIN_ADDR)
			return 0;
		hi = r->start;
		r = region_prev(r);
	}
}

uint64_t vm_find_free(struct vmspace *vm, uint64_t len)
{
	uint64_t at = gap_below(vm, vm->free_area_cache, len);

	if (!at && vm->free_area_cache != USER_MMAP_TOP)
		at = gap_below(vm, USER_MMAP_TOP, len);
	if (at)
		vm->free_area_cache = at;
	return at;
}
