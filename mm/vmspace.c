/*
 * mm/vmspace.c - address spaces: regions, and what happens to their pages
 * when regions are removed, re-protected or copied by fork.
 *
 * Operations on a range first split the regions at the range's edges
 * (region_split, mm/region.c), so that every region is then either wholly
 * inside or wholly outside the range; visiting the k regions of a range costs
 * O(log n + k).  Page-level work goes through mm/vm.c's walkers.
 */
#include "mm/vmspace.h"
#include "kernel/errno.h"
#include "kernel/fs/file.h"
#include "kernel/panic.h"
#include "kernel/sched.h"
#include "kernel/signal/signal.h"
#include "mm/fault.h"
#include "mm/frame.h"
#include "mm/heap.h"
#include "mm/ksm.h"
#include "mm/layout.h"
#include "mm/ptshare.h"
#include "mm/tlb.h"
#include "mm/vm.h"
#include "mm/vmstat.h"

/* Every address space, for the memory audit (Linux keeps no such list; its
 * checker walks processes, which sees no space being built). */
static struct vmspace *all_spaces;
static struct spinlock all_spaces_lock = SPINLOCK_INIT("all_spaces");

static void all_spaces_add(struct vmspace *vm)
{
	spin_lock(&all_spaces_lock);
	vm->all_next = all_spaces;
	if (all_spaces)
		all_spaces->all_prev = vm;
	all_spaces = vm;
	spin_unlock(&all_spaces_lock);
}

/* Take VM off the list; all_spaces_lock is held. */
static void all_spaces_unlink(struct vmspace *vm)
{
	if (vm->all_prev)
		vm->all_prev->all_next = vm->all_next;
	else
		all_spaces = vm->all_next;
	if (vm->all_next)
		vm->all_next->all_prev = vm->all_prev;
}

static void all_spaces_remove(struct vmspace *vm)
{
	spin_lock(&all_spaces_lock);
	all_spaces_unlink(vm);
	spin_unlock(&all_spaces_lock);
}

/*
 * Fork's CHILD, its mmap_lock held by the caller, moves to right after
 * PARENT on the list and stops being "building", so that
 * unmap_mapping_range visits it (and waits for its lock) whenever it
 * visits PARENT after this: a truncation or a clone whose unmapping
 * overlaps the copy of PARENT's entries then drops the copies too.  A
 * walk past PARENT already has dropped PARENT's entries before fork
 * copies them.  (Skipped as "building", at the head, the child kept
 * entries of pages its file no longer had: Linux's dup_mmap links the
 * child's vmas into the file's rmap as it copies them.)
 */
static void all_spaces_follow(struct vmspace *child, struct vmspace *parent)
{
	spin_lock(&all_spaces_lock);
	all_spaces_unlink(child);
	child->all_prev = parent;
	child->all_next = parent->all_next;
	if (parent->all_next)
		parent->all_next->all_prev = child;
	parent->all_next = child;
	__atomic_store_n(&child->building, false, __ATOMIC_RELEASE);
	spin_unlock(&all_spaces_lock);
}

void vmspace_for_each(void (*fn)(struct vmspace *vm, void *arg), void *arg)
{
	spin_lock(&all_spaces_lock);
	for (struct vmspace *vm = all_spaces; vm; vm = vm->all_next)
		fn(vm, arg);
	spin_unlock(&all_spaces_lock);
}

struct vmspace *vmspace_new(void)
{
	static uint64_t last_id;
	struct vmspace *vm = kzalloc(sizeof(*vm));

	if (!vm)
		return NULL;
	vm->pml4 = pagetable_new();
	if (!vm->pml4) {
		kfree(vm);
		return NULL;
	}
	vm->id = __atomic_add_fetch(&last_id, 1, __ATOMIC_RELAXED);
	vm->users = 1;
	vm->pins = 1;	/* the builder's, until vmspace_attach */
	vm->building = true;
	rwsem_init(&vm->mmap_lock, "mmap_lock");
	vm->page_table_lock = (struct spinlock)SPINLOCK_INIT("page_table_lock");
	vm->free_area_cache = USER_MMAP_TOP;
	all_spaces_add(vm);
	return vm;
}

void vmspace_get(struct vmspace *vm)
{
	__atomic_add_fetch(&vm->users, 1, __ATOMIC_ACQ_REL);
}

void vmspace_put(struct vmspace *vm)
{
	if (__atomic_sub_fetch(&vm->users, 1, __ATOMIC_ACQ_REL))
		return;
	all_spaces_remove(vm);
	tlb_release_mm(vm);
	pagetable_destroy(vm->pml4);
	region_free_all(vm);
	kfree(vm);
}

void vmspace_attach(struct vmspace *vm)
{
	__atomic_store_n(&vm->building, false, __ATOMIC_RELEASE);
	__atomic_sub_fetch(&vm->pins, 1, __ATOMIC_ACQ_REL);
}

void vmspace_pin(struct vmspace *vm)
{
	__atomic_add_fetch(&vm->pins, 1, __ATOMIC_ACQ_REL);
	vmspace_get(vm);
}

void vmspace_unpin(struct vmspace *vm)
{
	__atomic_sub_fetch(&vm->pins, 1, __ATOMIC_ACQ_REL);
	vmspace_put(vm);
}

/* Split the regions at START and END, so that [start, end) is whole regions. */
static int split_range(struct vmspace *vm, uint64_t start, uint64_t end)
{
	return region_split(vm, start) || region_split(vm, end) ? -ENOMEM : 0;
}

bool vm_range_mapped(struct vmspace *vm, uint64_t start, uint64_t end)
{
	uint64_t a = start;

	for (struct region *r = region_find(vm, start); r && a < end; r = region_next(r)) {
		if (r->start > a)
			return false;
		a = r->end;
	}
	return a >= end;
}

/*
 * madvise's walk (Linux: madvise_walk_vmas): call FN(r, ARG) for every
 * region of [start, end), after splitting the regions at its edges, then
 * merge what became alike.  The mapped parts are changed even when there are
 * holes; the answer is then -ENOMEM, as it is when a split finds no memory
 * (nothing changed).
 */
static int for_each_region(struct vmspace *vm, uint64_t start, uint64_t end,
			   void (*fn)(struct region *r, void *arg), void *arg)
{
	if (split_range(vm, start, end))
		return -ENOMEM;
	for (struct region *r = region_find_after(vm, start); r && r->start < end;
	     r = region_next(r))
		fn(r, arg);
	region_merge_range(vm, start, end);
	return vm_range_mapped(vm, start, end) ? 0 : -ENOMEM;
}

/* Clear one entry; its frame is freed after the gather's flush. */
static int drop_page(pte_t *pte, uint64_t va, void *tlb)
{
	uint64_t pa = pte_addr(*pte);

	*pte = 0;
	tlb_remove_page(tlb, va, pa);
	return 0;
}

int vm_unmap(struct vmspace *vm, uint64_t start, uint64_t end)
{
	struct mmu_gather tlb;

	/* shared page tables first, while the regions still tell private
	 * entries from MAP_SHARED ones (pt_unshare's copy needs them); one
	 * that goes whole is dropped, not copied */
	if (split_range(vm, start, end) || pt_drop_range(vm, start, end))
		return -ENOMEM;
	for (struct region *r = region_find_after(vm, start), *next; r && r->start < end; r = next) {
		next = region_next(r);
		region_remove(vm, r);
	}
	tlb_gather_mmu(&tlb, vm);
	walk_range(vm->pml4, start, end, drop_page, &tlb);
	pagetable_prune(vm->pml4, start, end, &tlb);
	tlb_finish_mmu(&tlb);
	return 0;
}

uint64_t prot_to_pte(int prot)
{
	/* x86 cannot deny the kernel a present page: PROT_NONE pages are not present */
	if (!prot)
		return PTE_PROTNONE | PTE_NX;
	uint64_t bits = PTE_U;
	if (prot & PROT_WRITE)
		bits |= PTE_W;
	if (!(prot & PROT_EXEC))
		bits |= PTE_NX;
	return bits;
}

/* How vm_protect re-protects the pages of one region. */
struct reprotect {
	int prot;
	bool shared;
};

/* Re-protect one present page.  A PTE_COW page maps a frame that is (or was
 * at fork) shared and must stay read-only whatever the region allows: its
 * first write goes through cow_fault.  In a shared region the write bit is
 * never granted here, only kept: a write fault grants it, after
 * pagecache_get_exclusive has made the frame the file's own (a frame a file
 * clone still shares must be copied first; Linux's write notification). */
static int reprotect_page(pte_t *pte, uint64_t va, void *arg)
{
	const struct reprotect *rp = arg;
	uint64_t bits = prot_to_pte(rp->prot);

	(void)va;
	if (*pte & PTE_COW)
		bits = (bits & ~PTE_W) | PTE_COW;
	else if (rp->shared && !(*pte & PTE_W))
		bits &= ~PTE_W;
	*pte = pte_mkprot(*pte, bits);
	return 0;
}

/* May R take protection PROT?  Not write access to a shared mapping of a
 * file open read-only or write-sealed (Linux: VM_MAYWRITE is clear,
 * mprotect -EACCES). */
static int may_protect(const struct region *r, int prot)
{
	return r->shared && (prot & PROT_WRITE) && !r->maywrite ? -EACCES : 0;
}

/*
 * mprotect: region by region from START, charge what becomes writable
 * private memory (mm/commit.c), then set the protection; the pages follow,
 * one walk per region.  At a hole, or when a charge or a shared mapping's
 * write access is refused, the regions before it keep their new protection
 * and the call fails (ENOMEM, EACCES), as Linux's do_mprotect_pkey does.
 */
int vm_protect(struct vmspace *vm, uint64_t start, uint64_t end, int prot)
{
	uint64_t done = start;
	int err = 0;

	if (split_range(vm, start, end))
		return -ENOMEM;
	for (struct region *r = region_find(vm, start); r && r->start == done && done < end;
	     r = region_next(r)) {
		if ((err = may_protect(r, prot)) || (err = pt_unshare_range(vm, r->start, r->end)) ||
		    (err = region_account(vm, r, prot)))
			break;
		struct reprotect rp = { .prot = prot, .shared = r->shared };
		r->prot = prot;
		walk_range(vm->pml4, r->start, r->end, reprotect_page, &rp);
		done = r->end;
	}
	flush_tlb_range(vm, start, done);
	region_merge_range(vm, start, end);	/* also undoes a split left unused */
	return err ? err : done < end ? -ENOMEM : 0;
}

bool vm_range_has_file(struct vmspace *vm, uint64_t start, uint64_t end)
{
	for (struct region *r = region_find_after(vm, start); r && r->start < end;
	     r = region_next(r))
		if (r->kind == REGION_FILE)
			return true;
	return false;
}

int vm_discard(struct vmspace *vm, uint64_t start, uint64_t end)
{
	struct mmu_gather tlb;
	int err = 0;

	tlb_gather_mmu(&tlb, vm);
	/* only where regions are: the range may run past the user half */
	for (struct region *r = region_find_after(vm, start); r && r->start < end && !err;
	     r = region_next(r)) {
		uint64_t from = MAX(r->start, start), to = MIN(r->end, end);
		if (!(err = pt_unshare_range(vm, from, to)))
			walk_range(vm->pml4, from, to, drop_page, &tlb);
	}
	tlb_finish_mmu(&tlb);
	return !err && vm_range_mapped(vm, start, end) ? 0 : -ENOMEM;
}

/* Only private anonymous memory is ever merged (Linux's ksm_madvise skips
 * VM_SHARED and file mappings): a file region, shared anonymous memory
 * included, takes the advice without error and stays unmergeable, so the
 * scanner never meets a page-cache frame or a shared page. */
static void set_mergeable(struct region *r, void *arg)
{
	if (r->kind != REGION_FILE)
		r->mergeable = *(bool *)arg;
}

/* The address space after PREV on the list (the first when PREV is NULL),
 * pinned, or NULL at the end; PREV's pin is dropped.  Skipped: a space
 * whose last user is gone (being freed), and one exec is still building
 * (it changes it without mmap_lock; it has no page of a file yet). */
static struct vmspace *pin_next_space(struct vmspace *prev)
{
	spin_lock(&all_spaces_lock);
	struct vmspace *vm = prev ? prev->all_next : all_spaces;
	for (; vm; vm = vm->all_next) {
		if (__atomic_load_n(&vm->building, __ATOMIC_ACQUIRE))
			continue;
		int users = __atomic_load_n(&vm->users, __ATOMIC_ACQUIRE);
		while (users && !__atomic_compare_exchange_n(&vm->users, &users, users + 1, false,
							    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			;
		if (users) {
			__atomic_add_fetch(&vm->pins, 1, __ATOMIC_ACQ_REL);
			break;
		}
	}
	spin_unlock(&all_spaces_lock);
	if (prev)
		vmspace_unpin(prev);	/* may free PREV: outside all_spaces_lock */
	return vm;
}

void vmspace_for_each_locked(void (*fn)(struct vmspace *vm, void *arg), void *arg)
{
	for (struct vmspace *vm = pin_next_space(NULL); vm; vm = pin_next_space(vm)) {
		down_read(&vm->mmap_lock);
		fn(vm, arg);
		up_read(&vm->mmap_lock);
	}
}

/* One walk_range_locked. */
struct locked_walk {
	struct vmspace *vm;
	uint64_t start, end;
	pte_visit_fn fn;
	void *arg;
};

/* The entries of the table below PD entry PDE (the 2 MiB at BASE), under
 * the lock; the walk reads the PD entry again, under it. */
static int walk_table_locked(pte_t *pde, uint64_t base, void *w_)
{
	struct locked_walk *w = w_;

	(void)pde;
	spin_lock(&w->vm->page_table_lock);
	int r = walk_range(w->vm->pml4, MAX(w->start, base), MIN(w->end, base + HUGE_2M), w->fn,
			   w->arg);
	spin_unlock(&w->vm->page_table_lock);
	return r;
}

int walk_range_locked(struct vmspace *vm, uint64_t start, uint64_t end, pte_visit_fn fn,
		      void *arg)
{
	struct locked_walk w = { .vm = vm, .start = start, .end = end, .fn = fn, .arg = arg };

	return walk_range_level(vm->pml4, start, end, 2, walk_table_locked, &w);
}

/* drop_page for the entries that map a page-cache frame itself (not a
 * private copy, nor the zero frame). */
static int drop_cache_page(pte_t *pte, uint64_t va, void *tlb)
{
	if (pa_to_frame(pte_addr(*pte))->flags & FRAME_FILE)
		return drop_page(pte, va, tlb);
	return 0;
}

/* unmap_file_pages' work in one region: [start, end) of VM. */
struct file_unmap {
	struct vmspace *vm;
	uint64_t start, end;
	bool even_cows;
	struct mmu_gather *tlb;
};

/* The part in the page table of PD entry PDE, at BASE: a shared one is
 * made VM's own first (pt_unshare).  Without memory for its copy, its
 * pages stay mapped (their frames keep their references: a later access
 * sees the old page instead of SIGBUS), since truncate cannot fail. */
static int unmap_file_table(pte_t *pde, uint64_t base, void *arg)
{
	struct file_unmap *u = arg;

	(void)pde;
	if (pt_unshare(u->vm, base) >= 0)
		walk_range(u->vm->pml4, MAX(base, u->start), MIN(base + HUGE_2M, u->end),
			   u->even_cows ? drop_page : drop_cache_page, u->tlb);
	return 0;
}

/* In VM, drop the pages of INODE's file regions that show file bytes
 * [from, to): all of them with EVEN_COWS, else those of the page cache. */
static void unmap_file_pages(struct vmspace *vm, const struct inode *inode, uint64_t from,
			     uint64_t to, bool even_cows)
{
	struct mmu_gather tlb;

	down_write(&vm->mmap_lock);
	tlb_gather_mmu(&tlb, vm);
	for (struct region *r = region_first(vm); r; r = region_next(r)) {
		if (r->kind != REGION_FILE || r->file->inode != inode || to <= r->file_off)
			continue;
		uint64_t skip = from > r->file_off ? from - r->file_off : 0;
		uint64_t len = MIN(to - r->file_off, r->end - r->start);
		struct file_unmap u = { .vm = vm, .start = r->start + skip, .end = r->start + len,
					.even_cows = even_cows, .tlb = &tlb };
		if (skip < len)
			walk_range_level(vm->pml4, u.start, u.end, 2, unmap_file_table, &u);
	}
	tlb_finish_mmu(&tlb);
	up_write(&vm->mmap_lock);
}

void unmap_mapping_range(const struct inode *inode, uint64_t from, uint64_t to, bool even_cows)
{
	for (struct vmspace *vm = pin_next_space(NULL); vm; vm = pin_next_space(vm))
		unmap_file_pages(vm, inode, from, to, even_cows);
}

int vm_set_mergeable(struct vmspace *vm, uint64_t start, uint64_t end, bool on)
{
	int err = for_each_region(vm, start, end, set_mergeable, &on);

	/* mm/ksm.c: MADV_MERGEABLE wakes the scanner; MADV_UNMERGEABLE gives
	 * the merged pages of the range private frames again */
	if (on)
		ksm_enter();
	int unmerge = on ? 0 : ksm_unmerge_range(vm, start, end);
	return err ? err : unmerge;
}

/* One of the fork advices, as the madvise value sys_mm.c passes on. */
static void set_fork_advice(struct region *r, void *arg)
{
	switch (*(int *)arg) {
	case FORK_ADVICE_DONTFORK: r->dontfork = true; break;
	case FORK_ADVICE_DOFORK: r->dontfork = false; break;
	case FORK_ADVICE_WIPEONFORK: r->wipeonfork = true; break;
	case FORK_ADVICE_KEEPONFORK: r->wipeonfork = false; break;
	}
}

int vm_set_fork_advice(struct vmspace *vm, uint64_t start, uint64_t end, int advice)
{
	/* Linux (mm/madvise.c): wipe-on-fork is for private anonymous memory only */
	if (advice == FORK_ADVICE_WIPEONFORK)
		for (struct region *r = region_find_after(vm, start); r && r->start < end;
		     r = region_next(r))
			if (r->kind == REGION_FILE)
				return -EINVAL;
	return for_each_region(vm, start, end, set_fork_advice, &advice);
}

/*
 * MAP_POPULATE: fault every page of [start, end) in now, as the first access
 * would (a write fault for writable memory, so no page is left on the zero
 * frame; Linux: populate_vma_page_range).  Stops quietly at the first page
 * that cannot be had, or for a fatal signal: mmap succeeds anyway, as on
 * Linux.  Lets others run between pages: a big range takes long.
 */
void vm_populate(struct vmspace *vm, uint64_t start, uint64_t end)
{
	struct region *r = region_find(vm, start);
	int flags = r && (r->prot & PROT_WRITE) ? FAULT_WRITE : 0;

	if (!r || !r->prot)
		return;
	for (uint64_t va = start; va < end && !fatal_signal_pending(); va += PAGE_SIZE) {
		if (vm_fault(vm, va, flags))
			return;
		cond_resched();
	}
}

/* The child's page tables as fork fills them, page table by page table: the
 * walk from the PML4 is needed once per 2 MiB, not once per page. */
struct fork_target {
	struct vmspace *parent, *child;
	uint64_t table_va;	/* the 2 MiB range TABLE maps */
	pte_t *table;
	const struct region *region;	/* the parent's region being given */
	uint64_t shared_end;	/* below it, the tables fork decided on are done */
	uint64_t pd_va;		/* the 1 GiB range PD maps */
	pte_t *pd;		/* the child's page directory there */
};

/* The child's (empty) entry for VA, or NULL when a table cannot be allocated. */
static pte_t *child_pte(struct fork_target *t, uint64_t va)
{
	if (!t->table || ALIGN_DOWN(va, HUGE_2M) != t->table_va) {
		pte_t *e = walk(t->child->pml4, va, true);
		if (!e)
			return NULL;
		t->table = e - pt_index(va, 1);
		t->table_va = ALIGN_DOWN(va, HUGE_2M);
	}
	return &t->table[pt_index(va, 1)];
}

/*
 * fork with cow_fork=1: the child maps the parent's frames.  Every page
 * becomes read-only + PTE_COW in both, whatever its protection today:
 * mprotect may make a read-only or PROT_NONE page writable tomorrow, and its
 * first write must then copy, not write into a frame the other process sees
 * (Linux: a private mapping that may ever be written is a COW mapping).  Each
 * frame gains a reference; the first write on either side goes through
 * cow_fault, which reuses the frame in place when it is the last reference.
 */
static int share_page(pte_t *pte, uint64_t va, void *arg)
{
	pte_t *e = child_pte(arg, va);

	if (!e)
		return -ENOMEM;
	/* Accessed cleared too: after fork's flush no TLB holds the entry, and
	 * none will until a CPU uses it again and sets the flag (Intel SDM vol.
	 * 3A, 4.10.2.3), so a copy-on-write fault on an entry still without it
	 * needs no shootdown (cow_replace) */
	*pte = (*pte & ~(PTE_W | PTE_A)) | PTE_COW;
	*e = *pte;
	frame_get(pte_addr(*pte));
	return 0;
}

/* fork of a shared region, whatever cow_fork says: the child maps the very
 * frame, with the same entry (writable stays writable, never PTE_COW), and
 * the frame gains a reference (Linux: copy_present_pte leaves VM_SHARED
 * entries alone). */
static int share_shared_page(pte_t *pte, uint64_t va, void *arg)
{
	pte_t *e = child_pte(arg, va);

	if (!e)
		return -ENOMEM;
	*e = *pte;
	frame_get(pte_addr(*pte));
	return 0;
}

/* fork with cow_fork=0 (the eager copy): every present page gets a new frame. */
static int copy_page(pte_t *pte, uint64_t va, void *arg)
{
	pte_t *e = child_pte(arg, va);
	uint64_t pa = e ? frame_alloc(FRAME_USER) : 0;

	if (!pa)
		return -ENOMEM;
	memcpy(phys_to_virt(pa), phys_to_virt(pte_addr(*pte)), PAGE_SIZE);
	*e = pa | (*pte & ~PTE_ADDR_MASK);
	count_vm_event(FORK_COPY);
	return 0;
}

/* Give the child the pages of [start, end) of region R entry by entry: a
 * shared region's as they are, the others copy-on-write or copied.
 * share_page changes the parent's entries: a page table it shares with
 * others (a fork before) becomes the parent's own first. */
static int fork_pages(struct fork_target *t, const struct region *r, uint64_t start, uint64_t end)
{
	int (*give)(pte_t *pte, uint64_t va, void *arg) =
		r->shared ? share_shared_page : sysctl_cow_fork ? share_page : copy_page;

	if (give == share_page && pt_unshare_range(t->parent, start, end))
		return -ENOMEM;
	return walk_range(t->parent->pml4, start, end, give, t);
}

/* May fork share the parent's page table of the 2 MiB at BASE, part of
 * region R?  With share_page_tables (and cow_fork) on, when every region
 * overlapping it goes to the child whole with its pages.  R alone needs
 * no search of the tree: the common case of a table inside one region. */
static bool table_shareable(struct vmspace *parent, const struct region *r, uint64_t base)
{
	if (!sysctl_cow_fork || !sysctl_share_page_tables)
		return false;
	if (r->start <= base && base + HUGE_2M <= r->end)
		return true;	/* fork_region gives R whole: not dontfork, not wipeonfork */
	for (r = region_find_after(parent, base); r && r->start < base + HUGE_2M;
	     r = region_next(r))
		if (r->dontfork || r->wipeonfork)
			return false;
	return true;
}

/* The child's (empty) PD entry for VA, or NULL when a table cannot be
 * allocated; as child_pte, one walk from the PML4 per 1 GiB. */
static pte_t *child_pde(struct fork_target *t, uint64_t va)
{
	if (!t->pd || ALIGN_DOWN(va, HUGE_1G) != t->pd_va) {
		pte_t *e = walk_level(t->child->pml4, va, 2, true);
		if (!e)
			return NULL;
		t->pd = e - pt_index(va, 2);
		t->pd_va = ALIGN_DOWN(va, HUGE_1G);
	}
	return &t->pd[pt_index(va, 2)];
}

/* How many page tables from the one of BASE on, in its PD, region R
 * covers whole: at least this one, which table_shareable passed. */
static unsigned whole_tables(const struct region *r, uint64_t base)
{
	if (r->start > base || base + HUGE_2M > r->end)
		return 1;	/* shared for more than one region */
	return MIN((r->end - base) / HUGE_2M, 512 - pt_index(base, 2));
}

/* The pages of region T->r in the 2 MiB at BASE, which the parent's PD
 * entry PDE maps (walk_range_level visits only those that exist): the
 * whole page table shared (once, however many regions overlap it), with
 * the next ones of the same PD that the region covers whole, or page by
 * page. */
static int fork_chunk(pte_t *pde, uint64_t base, void *arg)
{
	struct fork_target *t = arg;
	const struct region *r = t->region;

	if (base < t->shared_end)
		return 0;	/* shared already, by the region before or with the one before */
	if (!table_shareable(t->parent, r, base))
		return fork_pages(t, r, MAX(base, r->start), MIN(base + HUGE_2M, r->end));
	pte_t *to = child_pde(t, base);
	if (!to)
		return -ENOMEM;
	unsigned n = whole_tables(r, base);
	t->shared_end = base + n * HUGE_2M;
	pt_share(pde, to, n, base);
	return 0;
}

/*
 * Give the child region R of the parent, and its pages: page tables shared
 * (mm/ptshare.c), or entry by entry (fork_pages).  MADV_DONTFORK
 * (r->dontfork): the child gets neither, so an access there is SIGSEGV.
 * MADV_WIPEONFORK (r->wipeonfork): the region without its pages, so the
 * child reads zeros.  Linux: mm/mmap.c dup_mmap, VM_DONTCOPY, VM_WIPEONFORK.
 */
static int fork_region(struct fork_target *t, const struct region *r)
{
	if (r->dontfork)
		return 0;
	int err = region_copy(t->child, r);
	if (err || r->wipeonfork)
		return err;
	t->region = r;
	return walk_range_level(t->parent->pml4, r->start, r->end, 2, fork_chunk, t);
}

/*
 * vmspace_fork (xv6's uvmcopy): the child's address space for fork, shared
 * copy-on-write or copied eagerly as /proc/sys/vm/cow_fork says, region by
 * region; copy-on-write by whole page tables where it can, as
 * /proc/sys/vm/share_page_tables says.  On failure the partial child is
 * destroyed, which drops every reference it took.
 */
struct vmspace *vmspace_fork(struct vmspace *parent)
{
	struct vmspace *child = vmspace_new();
	struct fork_target target = { .parent = parent, .child = child };
	int err = 0;

	if (!child)
		return NULL;
	down_write(&child->mmap_lock);	/* new: no one else waits for it yet */
	down_write(&parent->mmap_lock);
	all_spaces_follow(child, parent);
	child->heap_start = parent->heap_start;
	child->brk = parent->brk;
	/* Where exec left argv and envp: a forked child's /proc/PID/cmdline
	 * (ps shows it) reads them from its copy, as Linux's dup_mm keeps them. */
	child->arg_start = parent->arg_start;
	child->arg_end = parent->arg_end;
	child->env_start = parent->env_start;
	child->env_end = parent->env_end;
	child->start_stack = parent->start_stack;
	for (struct region *r = region_first(parent); r && !err; r = region_next(r))
		err = fork_region(&target, r);
	if (sysctl_cow_fork)
		flush_tlb_mm(parent);	/* its entries (or PD entries) were write-protected */
	up_write(&parent->mmap_lock);
	up_write(&child->mmap_lock);
	if (err) {
		vmspace_put(child);
		return NULL;
	}
	return child;
}
