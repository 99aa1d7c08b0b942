/*
 * mm/mremap.c - mremap: grow, shrink or move a mapping, after Linux's
 * mm/mremap.c (man 2 mremap).
 *
 * mremap(old_addr, old_len, new_len, flags, new_addr) changes the length of
 * the mapping at [old_addr, old_addr + old_len) and may move it.  Three
 * cases, tried in this order (Linux's do_mremap):
 *
 *   shrink  new_len <= old_len: unmap the tail, as munmap would; the
 *           mapping stays where it is.
 *   grow    the old range ends where its region ends and the addresses
 *           after it are free: the region is extended in place (its new
 *           pages are charged to Committed_AS, mm/commit.c).
 *   move    otherwise, with MREMAP_MAYMOVE: a new region of new_len at a
 *           free place (vm_find_free), or at new_addr with MREMAP_FIXED
 *           (whatever was mapped there is unmapped first).
 *
 * A move copies no data and takes no frame: it moves page-table entries
 * (move_page_tables, Linux's name).  Each present entry of the old range is
 * written, unchanged, at the same offset in the new range and cleared at
 * its old place, under page_table_lock; the old range is then flushed from
 * every CPU's TLB before the old region goes.  A frame keeps its reference
 * count and every sharer: a copy-on-write page shared with a forked child
 * stays read-only + PTE_COW and shared until written, a page-cache frame
 * stays the file's, a merged page stays merged.  If a page table for the
 * new range cannot be had, the entries moved so far are moved back (their
 * old tables still exist, so that cannot fail) and the call is ENOMEM with
 * nothing changed.  The commit charge moves with the region: the new one
 * takes over the old one's pages and is charged only for what it adds.
 * The new region is not merged with its neighbours: on Linux a moved
 * anonymous mapping keeps its own anon_vma, which its new neighbours do not
 * share, so /proc/PID/maps shows it apart there too.
 * MREMAP_DONTUNMAP moves the entries but leaves the old region mapped, now
 * empty (its pages fault afresh: zeros for private anonymous memory, the
 * file for a file mapping), and charges the new region in full.
 *
 * Same-page merging (mm/ksm.c) is left alone: it finds its stable frames by
 * content and remembers other pages by (pid, address), looking each one up
 * again in the page tables before it acts, so an item left at the old
 * address finds nothing there (or an unrelated page, which it re-compares
 * under write-protection before any merge) and is swept at the end of the
 * pass; the moved page gets a new item at its new address.
 *
 * Errors are Linux's: EINVAL for bad flags, an unaligned address, a zero or
 * too-large length, an overlapping or unaligned MREMAP_FIXED target, or
 * old_len 0 on a private mapping (old_len 0 on a shared mapping maps the
 * same pages again: Linux's "duplicate"); EFAULT when old_addr is not mapped
 * or a growing or moving old range runs past its region (vma_to_resize);
 * ENOMEM when a growth cannot be had in place without MREMAP_MAYMOVE, no
 * room is free, the regions would pass max_map_count or the charge is
 * refused; EPERM for a MREMAP_FIXED target below USER_MIN_ADDR (Linux's
 * mmap_min_addr, for a process without CAP_SYS_RAWIO).
 */
#include "kernel/errno.h"
#include "kernel/panic.h"
#include "kernel/proc.h"
#include "kernel/syscall.h"
#include "mm/commit.h"
#include "mm/layout.h"
#include "mm/mremap.h"
#include "mm/ptshare.h"
#include "mm/tlb.h"
#include "mm/vm.h"
#include "mm/vmspace.h"

/* One mremap call, its lengths page-aligned. */
struct remap {
	struct vmspace *vm;
	uint64_t addr, old_len, new_len, new_addr;
	int flags;
};

/* ---- moving page-table entries ---- */

/* Where move_pte writes: the destination's page table, found once per
 * 2 MiB rather than once per page (as fork's child_pte). */
struct pte_move {
	pte_t *pml4;
	uint64_t delta;		/* destination minus source address (mod 2^64) */
	uint64_t table_va;	/* the 2 MiB range TABLE maps */
	pte_t *table;
	uint64_t failed_at;	/* the first source page not moved */
};

/* Move one present entry to VA + delta, allocating the destination's page
 * table if need be: 0, or -ENOMEM with nothing changed. */
static int move_pte(pte_t *pte, uint64_t va, void *arg)
{
	struct pte_move *m = arg;
	uint64_t to = va + m->delta;

	if (!m->table || ALIGN_DOWN(to, HUGE_2M) != m->table_va) {
		pte_t *e = walk(m->pml4, to, true);
		if (!e) {
			m->failed_at = va;
			return -ENOMEM;
		}
		m->table = e - pt_index(to, 1);
		m->table_va = ALIGN_DOWN(to, HUGE_2M);
	}
	pte_t *dst = &m->table[pt_index(to, 1)];
	if (*dst)
		panic("move_pte: destination %lx already mapped", to);
	*dst = *pte;
	*pte = 0;
	return 0;
}

/* Move the present entries of [from, from + len) to [to, to + len), which
 * maps nothing (Linux: move_page_tables): each keeps its frame and bits, A
 * and D included.  Returns how many bytes from FROM were moved: LEN, or
 * less when a page table for the destination could not be allocated.  The
 * caller flushes the source range from the TLBs. */
static uint64_t move_entries(struct vmspace *vm, uint64_t from, uint64_t to, uint64_t len)
{
	struct pte_move m = { .pml4 = vm->pml4, .delta = to - from, .failed_at = from + len };

	spin_lock(&vm->page_table_lock);
	walk_range(vm->pml4, from, from + len, move_pte, &m);
	spin_unlock(&vm->page_table_lock);
	return m.failed_at - from;
}

/* Move the entries back after a failed move_entries (their old tables are
 * still there, so nothing is allocated) and give back what the destination
 * gained: its new page tables, and any TLB entry another CPU cached. */
static void unmove_entries(struct vmspace *vm, uint64_t from, uint64_t to, uint64_t moved,
			   uint64_t dst_len)
{
	struct mmu_gather tlb;

	if (move_entries(vm, to, from, moved) != moved)
		panic("mremap: cannot move entries back to %lx", from);
	flush_tlb_range(vm, to, to + moved);
	tlb_gather_mmu(&tlb, vm);
	pagetable_prune(vm->pml4, to, to + dst_len, &tlb);
	tlb_finish_mmu(&tlb);
}

/* ---- regions ---- */

static bool page_aligned(uint64_t a)
{
	return (a & (PAGE_SIZE - 1)) == 0;
}

/* LEN rounded up to pages, or 0 when that wraps or passes what a process
 * may map (Linux: -EINVAL for a length above TASK_SIZE). */
static uint64_t page_len(size_t len)
{
	uint64_t alen = ALIGN_UP(len, PAGE_SIZE);

	return alen < len || alen > USER_END ? 0 : alen;
}

/* Bytes of file a region of LEN bytes made from R shows: all of it when R
 * shows the file to its end (mmap), else what R shows (an exec segment's
 * zero tail stays zero). */
static uint64_t file_bytes_for(const struct region *r, uint64_t len)
{
	return r->file_bytes >= r->end - r->start ? len : MIN(r->file_bytes, len);
}

/* Linux's vma_to_resize: the region whose [addr, addr + len) is resized or
 * moved, or an errno: -EFAULT when ADDR is not mapped or the range runs past
 * its region; -EINVAL for LEN 0 (duplicate) of a private mapping. */
static struct region *region_to_resize(struct remap *rm, uint64_t len, long *err)
{
	struct region *r = region_find(rm->vm, rm->addr);

	*err = -EFAULT;
	if (!r)
		return NULL;
	if (!len && !r->shared) {
		*err = -EINVAL;
		return NULL;
	}
	return len > r->end - rm->addr ? NULL : r;
}

/* The destination region of a move from R (the old range) to TO: a copy
 * at [to, to + new_len) showing the same file offset.  Charged in full when
 * the old region stays (DONTUNMAP, a duplicate); else uncharged here: the
 * move hands it the old region's charge.  NULL without memory. */
static struct region *add_moved_region(struct remap *rm, const struct region *r, uint64_t to,
				       bool keep_old)
{
	struct region tmpl = *r;

	tmpl.start = to;
	tmpl.end = to + rm->new_len;
	tmpl.file_off = r->file_off + (rm->addr - r->start);
	tmpl.file_bytes = keep_old && !rm->old_len ? rm->new_len : file_bytes_for(r, rm->new_len);
	if (tmpl.kind == REGION_HEAP || tmpl.kind == REGION_STACK)
		tmpl.kind = REGION_ANON;	/* no longer where brk or exec put it */
	if (!keep_old)
		tmpl.account = false;
	return region_add(rm->vm, &tmpl) ? NULL : region_find(rm->vm, to);
}

/*
 * Move [addr, addr + old_len), region R (split to be exactly that range,
 * or for a duplicate the region holding ADDR), to [to, to + new_len), which
 * is free (Linux: move_vma).  0, or -ENOMEM with nothing changed.
 */
static int move_mapping(struct remap *rm, struct region *r, uint64_t to)
{
	struct vmspace *vm = rm->vm;
	bool keep_old = (rm->flags & MREMAP_DONTUNMAP) || !rm->old_len;
	uint64_t charge = !keep_old && r->account ? (rm->new_len - rm->old_len) / PAGE_SIZE : 0;
	struct region *nr = add_moved_region(rm, r, to, keep_old);

	if (!nr)
		return -ENOMEM;
	/* entries move out of and into page tables of VM's own (mm/ptshare.c) */
	if (pt_unshare_range(vm, rm->addr, rm->addr + rm->old_len) ||
	    pt_unshare_range(vm, to, to + rm->new_len) ||
	    (charge && vm_enough_memory(vm, charge))) {
		region_remove(vm, nr);
		return -ENOMEM;
	}
	uint64_t moved = move_entries(vm, rm->addr, to, rm->old_len);
	if (moved < rm->old_len) {
		unmove_entries(vm, rm->addr, to, moved, rm->new_len);
		vm_unacct_memory(charge);
		region_remove(vm, nr);
		return -ENOMEM;
	}
	if (rm->old_len)	/* (an empty range would mean "everything") */
		flush_tlb_range(vm, rm->addr, rm->addr + rm->old_len);
	if (!keep_old) {
		nr->account = r->account;	/* the charge moves with the pages */
		r->account = false;
		vm_unmap(vm, rm->addr, rm->addr + rm->old_len);
	}
	return 0;
}

/* A move needs up to three regions more (two splits of the old region and
 * the new one): refuse it early near max_map_count, as Linux's move_vma. */
static bool room_for_move(const struct vmspace *vm)
{
	return vm->map_count + 3 < (uint64_t)sysctl_max_map_count;
}

/* The old range as one region of its own, then the move to TO. */
static long move_to(struct remap *rm, struct region *r, uint64_t to)
{
	if (rm->old_len) {
		if (region_split(rm->vm, rm->addr) ||
		    region_split(rm->vm, rm->addr + rm->old_len))
			return -ENOMEM;
		r = region_find(rm->vm, rm->addr);
	}
	long err = move_mapping(rm, r, to);
	if (err)
		region_merge_range(rm->vm, rm->addr, rm->addr + rm->old_len);	/* undo the splits */
	return err ? err : (long)to;
}

/* Where a move not told where to go goes: the hint (DONTUNMAP's new_addr)
 * when that range is free, else a free range; 0 when there is none. */
static uint64_t place_move(struct remap *rm, uint64_t hint)
{
	if (hint && hint >= USER_MIN_ADDR && hint <= USER_MMAP_TOP - rm->new_len &&
	    vm_range_free(rm->vm, hint, hint + rm->new_len))
		return hint;
	return vm_find_free(rm->vm, rm->new_len);
}

/*
 * MREMAP_FIXED or MREMAP_DONTUNMAP (Linux's mremap_to): a move to new_addr,
 * or for DONTUNMAP without FIXED to where new_addr hints.  A FIXED target
 * is unmapped first; a shrinking move unmaps the old range's tail and moves
 * the rest.
 */
static long remap_to(struct remap *rm)
{
	long err;

	if (!room_for_move(rm->vm))
		return -ENOMEM;
	struct region *r = region_to_resize(rm, MIN(rm->old_len, rm->new_len), &err);
	if (!r)
		return err;
	if ((rm->flags & MREMAP_FIXED) && rm->new_addr < USER_MIN_ADDR)
		return -EPERM;	/* below mmap_min_addr (Linux without CAP_SYS_RAWIO) */
	if ((rm->flags & MREMAP_FIXED) &&
	    vm_unmap(rm->vm, rm->new_addr, rm->new_addr + rm->new_len))
		return -ENOMEM;
	if (rm->old_len > rm->new_len) {
		if (vm_unmap(rm->vm, rm->addr + rm->new_len, rm->addr + rm->old_len))
			return -ENOMEM;
		rm->old_len = rm->new_len;
	}
	r = region_find(rm->vm, rm->addr);	/* the unmaps may have split it */
	uint64_t to = rm->flags & MREMAP_FIXED ? rm->new_addr : place_move(rm, rm->new_addr);
	return to ? move_to(rm, r, to) : -ENOMEM;
}

/* Grow R's end in place to cover [addr, addr + new_len): 0, or -ENOMEM
 * when the addresses after it are taken or the charge is refused. */
static int grow_in_place(struct remap *rm, struct region *r)
{
	uint64_t end = rm->addr + rm->new_len;

	if (rm->addr + rm->old_len != r->end || end > USER_END ||
	    !vm_range_free(rm->vm, r->end, end))
		return -ENOMEM;
	uint64_t file_bytes = file_bytes_for(r, end - r->start);
	if (region_extend(rm->vm, r, end))
		return -ENOMEM;
	r->file_bytes = file_bytes;
	return 0;
}

/* The growing cases: in place, else a move with MREMAP_MAYMOVE. */
static long grow(struct remap *rm)
{
	long err;
	struct region *r = region_to_resize(rm, rm->old_len, &err);

	if (!r)
		return err;
	if (rm->old_len && !grow_in_place(rm, r))
		return (long)rm->addr;
	if (!(rm->flags & MREMAP_MAYMOVE) || !room_for_move(rm->vm))
		return -ENOMEM;
	uint64_t to = vm_find_free(rm->vm, rm->new_len);
	return to ? move_to(rm, r, to) : -ENOMEM;
}

/* After the checks that need no lock: mmap_lock held for writing. */
static long do_mremap(struct remap *rm)
{
	if (!region_find(rm->vm, rm->addr))
		return -EFAULT;
	if (rm->flags & (MREMAP_FIXED | MREMAP_DONTUNMAP))
		return remap_to(rm);
	if (rm->new_len <= rm->old_len) {
		/* shrinking only unmaps: the tail need not be one region */
		if (rm->new_len < rm->old_len &&
		    vm_unmap(rm->vm, rm->addr + rm->new_len, rm->addr + rm->old_len))
			return -ENOMEM;
		return (long)rm->addr;
	}
	return grow(rm);
}

/*
 * The checks that need no lock, the flags' rules (Linux): FIXED and
 * DONTUNMAP need MAYMOVE; DONTUNMAP needs old_len == new_len; a FIXED or
 * DONTUNMAP target must be page-aligned, inside the user range, and not
 * overlap the old range.
 */
long vm_mremap(struct vmspace *vm, uint64_t old_addr, size_t old_len, size_t new_len, int flags,
	       uint64_t new_addr)
{
	struct remap rm = { .vm = vm, .addr = old_addr, .flags = flags,
			    .old_len = page_len(old_len), .new_len = page_len(new_len),
			    .new_addr = new_addr };

	if (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP))
		return -EINVAL;
	if ((flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)) && !(flags & MREMAP_MAYMOVE))
		return -EINVAL;
	if ((flags & MREMAP_DONTUNMAP) && old_len != new_len)
		return -EINVAL;
	if (!page_aligned(old_addr) || (old_len && !rm.old_len) || !rm.new_len)
		return -EINVAL;
	if (flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)) {
		if (!page_aligned(new_addr) || new_addr > USER_END - rm.new_len)
			return -EINVAL;
		if (old_addr + rm.old_len > new_addr && new_addr + rm.new_len > old_addr)
			return -EINVAL;
	}
	down_write(&rm.vm->mmap_lock);
	long ret = do_mremap(&rm);
	up_write(&rm.vm->mmap_lock);
	return ret;
}

/* mremap(2) for the calling process. */
long sys_mremap(uint64_t old_addr, size_t old_len, size_t new_len, int flags, uint64_t new_addr)
{
	return vm_mremap(current()->vm, old_addr, old_len, new_len, flags, new_addr);
}
