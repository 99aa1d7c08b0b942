/*
 * mm/ptshare.c - copy-on-write one level up: fork shares the last-level
 * page tables (PTs, 512 entries, 2 MiB each) instead of visiting their
 * entries, and the first change under a shared table copies that one
 * table, or reuses it in place when no one else holds it.  It is cow_fault's
 * decision (mm/fault.c) for page tables, and the path copying of persistent
 * data structures: of the tree PML4 -> PDPT -> PD -> PT, a change copies
 * the path to the changed leaf; here the path below the PD is one PT.
 * docs/cow.md, "Sharing the page tables too", draws the trees.
 *
 * Representation (mm/pte.h):
 *   - a PD entry pointing at a shared table has PTE_W clear and
 *     PDE_TABLE_COW set; the access rights of all levels combine (Intel SDM
 *     vol. 3A, 4.6), so every page below is read-only to the hardware;
 *   - the table frame (FRAME_PAGETABLE) has refcount = the number of PD
 *     entries, in all address spaces, that point at it;
 *   - a leaf frame holds one reference per entry of each distinct table
 *     that maps it, not per address space: sharing a table touches no leaf
 *     (fork is O(1) per table).  Entries keep their bits, PTE_W included.
 *
 * Algorithm:
 *   fork (pt_share): the parent's PD entry loses PTE_W and gains
 *     PDE_TABLE_COW, the child gets the same entry, the table one reference.
 *   first change (pt_unshare), in the address space VM that changes it:
 *     refcount 1  -> table_reuse: PTE_W back on, PDE_TABLE_COW off.  Gaining
 *                    a permission needs no shootdown (see cow_reuse).
 *     refcount >1 -> table_copy: a new table takes every present entry, and
 *                    each leaf frame one reference.  A private entry is
 *                    first made read-only + PTE_COW in the SOURCE too (one
 *                    atomic compare-and-swap: the hardware may be setting
 *                    the accessed flag), unless an earlier copy did: both
 *                    tables then map the frame, and whoever reuses the
 *                    source in place later must not find a PTE_W there.  A
 *                    MAP_SHARED entry is copied as is.  VM's PD entry then
 *                    points at the copy, writable; VM's CPUs are flushed
 *                    (their paging-structure caches may hold the old PD
 *                    entry: flush_tlb_pgtable, one INVLPG here, the 2 MiB
 *                    on VM's other CPUs) before page_table_lock is let go,
 *                    so that no other thread's fault changes an entry of
 *                    the copy while a CPU still holds a translation made
 *                    through the source; only then is VM's reference of
 *                    the source dropped (pt_put).  When VM runs on other
 *                    CPUs too, the copy's entries start "old" (accessed
 *                    flag clear) and this CPU flushes the 2 MiB as well:
 *                    each later cow_replace under the copy then interrupts
 *                    the others only for a page touched since.
 *   munmap of a whole 2 MiB under a shared table (pt_drop_range): VM's PD
 *     entry is cleared, VM's CPUs flushed, VM's reference dropped: no copy.
 *   the last pt_put of a table (exit, munmap, or the copy of the last but
 *     one sharer meanwhile) drops its leaf references and frees it.
 *
 * Invariants (mm/audit.c checks them):
 *   1. a PD entry with PDE_TABLE_COW has PTE_W clear;
 *   2. a table with refcount > 1 is reached only through such entries;
 *   3. a shared table's entries are identical for all its sharers, so each
 *      sharer's regions must account for them: every path that changes an
 *      entry or a table under a shared PD entry calls pt_unshare first
 *      (vm_fault once, the range writers pt_unshare_range, munmap
 *      pt_drop_range).
 *
 * Locking.  A shared table is reachable from several address spaces, each
 * with its own mmap_lock and page_table_lock; no lock covers them all.
 *   - pt_unshare runs with VM's mmap_lock held (read or write) and decides
 *     under VM's page_table_lock, so two threads of VM decide once (the
 *     second finds PDE_TABLE_COW gone).
 *   - Two sharers unsharing at once each take their own lock: both may see
 *     refcount 2 and both copy (one copy wasted, both correct); the source's
 *     entries change meanwhile only by the copiers' atomic write-protection
 *     (idempotent) and the hardware's accessed flag, since nobody may write
 *     through a shared table.  Their pt_put is an atomic decrement-and-test
 *     (frame_put_deferred), so exactly one of them frees it.
 *   - refcount 1 means VM is the only holder, and only a fork of VM (which
 *     holds VM's mmap_lock for writing, excluded here) could add one: the
 *     reuse decision cannot be undone under it.  refcount > 1 read before
 *     allocating the copy can only fall, to 1 at the least: then the
 *     allocated copy is freed unused and the table reused.
 *   - Exit of one sharer while another copies: exit drops its reference
 *     only after its CPUs left the space (tlb_release_mm), the copier only
 *     after its flush; whoever drops last frees, and no CPU caches the
 *     table any more by then.
 *   - Fork of a sharer: under that sharer's mmap_lock, it only adds a
 *     reference; the copiers of other sharers are unaffected.
 *   - The merging scanner (mm/ksm.c) changes entries only after pt_unshare
 *     and finds the entry again in the table that is now VM's own.
 *   - Readers hold VM's mmap_lock for reading, as pt_unshare does, so one
 *     may have loaded a PD entry just before a copy replaced it, and the
 *     source table may then be freed by its last sharer (the copier
 *     itself, or another sharer's exit) while the reader still reads it.
 *     (Before page tables were shared they were freed only under
 *     mmap_lock held for writing.)  Readers whose results reach user space
 *     read each table under VM's page_table_lock: smaps and the RSS
 *     figures (walk_range_locked), pagemap, and pt_for_each_shared_entry
 *     (/proc/kpagecount, KSM's pages_sharing).  Under it VM's PD entry
 *     cannot move, and VM's reference keeps the table it points at.  Two
 *     readers take what they read as a hint and read without the lock: a
 *     fault's read_entries (one entry) and the merging scanner's look (the
 *     entries of a region, one after the other); each may read a freed
 *     table for as long as it reads that table, checks the frame numbers
 *     it finds, and decides again under page_table_lock on a fresh walk
 *     (read_pte's rule), so a stale read costs a retry at most.  The OOM
 *     killer's RSS figures (get_mm_rss) are read holding proc_lock and not
 *     the victim's mmap_lock: they are an estimate, and a munmap running
 *     meanwhile may free tables under that walk, shared or not (the
 *     walkers descend only into page-table frames, is_table_frame in
 *     mm/vm.c, so such a walk stays in RAM).  Linux's lockless
 *     walkers instead walk with interrupts off, and page tables are freed
 *     only after an IPI to every CPU (tlb_remove_table).
 * Lock order (docs/smp.md): page_table_lock of one space only; frames.
 */
#include "mm/ptshare.h"
#include "kernel/panic.h"
#include "kernel/errno.h"
#include "kernel/rwsem.h"
#include "mm/fault.h"
#include "mm/frame.h"
#include "mm/layout.h"
#include "mm/tlb.h"
#include "mm/vm.h"
#include "mm/vmspace.h"
#include "mm/vmstat.h"

#define PT_ENTRIES 512

static pte_t *table_of(pte_t pde)
{
	return phys_to_virt(pte_addr(pde));
}

/* pt_share of one present PD entry. */
static void share_table(pte_t *from, pte_t *to, uint64_t base)
{
	/* atomic: the CPUs of the parent's other threads may set the
	 * entry's accessed flag meanwhile; a table shared before (and not
	 * written since) is marked already */
	if ((*from & (PTE_W | PDE_TABLE_COW)) != PDE_TABLE_COW) {
		__atomic_fetch_and(from, ~PTE_W, __ATOMIC_RELAXED);
		__atomic_fetch_or(from, PDE_TABLE_COW, __ATOMIC_RELAXED);
	}
	frame_get(pte_addr(*from));
	*to = *from;
	count_vm_event(TABLE_SHARE);
	fault_trace(base, "table_share", 0, pte_addr(*from));
}

void pt_share(pte_t *from, pte_t *to, unsigned n, uint64_t base)
{
	for (unsigned i = 0; i < n; i++)
		if (pte_present(from[i]))
			share_table(&from[i], &to[i], base + i * HUGE_2M);
}

/* Make the private entry E read-only + PTE_COW in place (one atomic step,
 * as the hardware may set PTE_A meanwhile); returns it as it now is. */
static inline pte_t write_protect_entry(pte_t *e)
{
	pte_t old = __atomic_load_n(e, __ATOMIC_RELAXED), new;

	do {
		new = (old & ~PTE_W) | PTE_COW;
	} while (!__atomic_compare_exchange_n(e, &old, new, false, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	return new;
}

/* Is E read-only + PTE_COW already (by an earlier copy of its table)?  The
 * common case of a table copied again after another fork: no atomic step. */
static bool pte_cow(pte_t e)
{
	return (e & (PTE_W | PTE_COW)) == PTE_COW;
}

/* Set bit i of SHARED (512 bits) when page i of the 2 MiB at BASE lies in
 * a MAP_SHARED region of VM: its entry is copied as is. */
static void shared_pages(struct vmspace *vm, uint64_t base, uint64_t shared[PT_ENTRIES / 64])
{
	uint64_t end = base + HUGE_2M;

	for (int w = 0; w < PT_ENTRIES / 64; w++)
		shared[w] = 0;
	for (const struct region *r = region_find_after(vm, base); r && r->start < end;
	     r = region_next(r)) {
		if (!r->shared)
			continue;
		uint64_t from = MAX(r->start, base) - base, to = MIN(r->end, end) - base;
		for (uint64_t i = from / PAGE_SIZE; i < to / PAGE_SIZE; i++)
			shared[i / 64] |= 1UL << (i % 64);
	}
}

/*
 * Fill the new table COPY from the source table of PD entry PDE, which
 * maps the 2 MiB at BASE of VM (see the opening comment); with MKOLD the
 * copy's entries have their accessed flags clear.
 *
 * Its loop is most of the first write under a shared table, and under
 * QEMU's TCG every memory access, a spilled variable's too, costs a lookup
 * in QEMU's software TLB: the loop calls nothing (the MAP_SHARED pages are
 * found before it), so its values stay in registers, and an entry costs
 * its load, its store and its frame's reference (~9 ns; with a call in the
 * loop four values lived on the stack: ~12 ns).  A jump between two 4 KiB
 * pages of code is looked up in a hash table rather than chained, so a
 * loop that straddles a page boundary runs about half as fast (this one
 * did when the page-table pool moved the code around it): aligned to 512
 * bytes, the function (under 512) never does.
 */
__attribute__((noinline, aligned(512)))
static void fill_copy(struct vmspace *vm, uint64_t base, pte_t *pde, uint64_t copy, bool mkold)
{
	pte_t *src = table_of(*pde), *dst = phys_to_virt(copy);
	pte_t keep = mkold ? ~(pte_t)PTE_A : ~(pte_t)0;
	struct frame *descs = frames;
	uint64_t n = nframes, shared[PT_ENTRIES / 64];

	shared_pages(vm, base, shared);
	for (int i = 0; i < PT_ENTRIES; i++) {
		pte_t e = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
		if (pte_present(e)) {
			if (!pte_cow(e) && !(shared[i / 64] >> (i % 64) & 1))
				e = write_protect_entry(&src[i]);
			frame_ref_inc(descs, n, pte_addr(e));
			e &= keep;
		}
		dst[i] = e;
	}
}

/* table_reuse: VM holds the table's last reference; it is VM's own again. */
static void table_reuse(uint64_t base, pte_t *pde)
{
	*pde = (*pde | PTE_W) & ~PDE_TABLE_COW;
	count_vm_event(TABLE_REUSE);
	fault_trace(base, "table_reuse", pte_addr(*pde), pte_addr(*pde));
}

/* table_copy: VM's PD entry PDE moves to the filled copy COPY, writable;
 * returns the source table, whose reference VM still holds. */
static uint64_t table_copy(struct vmspace *vm, uint64_t base, pte_t *pde, uint64_t copy,
			   bool mkold)
{
	uint64_t old = pte_addr(*pde);

	fill_copy(vm, base, pde, copy, mkold);
	*pde = copy | (*pde & ~(PTE_ADDR_MASK | PDE_TABLE_COW)) | PTE_W;
	count_vm_event(TABLE_COPY);
	fault_trace(base, "table_copy", old, copy);
	return old;
}

int pt_unshare(struct vmspace *vm, uint64_t va)
{
	uint64_t base = ALIGN_DOWN(va, HUGE_2M), copy = 0, old = 0;
	pte_t *pde = walk_level(vm->pml4, va, 2, false);

	/* only VM's own pt_unshare clears the bit, and fork (excluded by
	 * mmap_lock) sets it: a look without the lock is enough to pass */
	if (!pde || !(__atomic_load_n(pde, __ATOMIC_RELAXED) & PDE_TABLE_COW))
		return 0;
	if (frame_refcount(pte_addr(*pde)) > 1 && !(copy = frame_alloc(FRAME_PAGETABLE)))
		return -ENOMEM;
	/* When VM runs on other CPUs too, the copy starts "old" (accessed
	 * flags clear, as fork's share_page leaves entries): cow_replace then
	 * interrupts them only for a page touched since, instead of at every
	 * first write; the price is a flush of the whole 2 MiB here. */
	bool mkold = tlb_mm_elsewhere(vm);
	spin_lock(&vm->page_table_lock);
	int done = (*pde & PDE_TABLE_COW) != 0;
	if (done && frame_refcount(pte_addr(*pde)) == 1)
		table_reuse(base, pde);
	else if (done && copy)
		old = table_copy(vm, base, pde, copy, mkold);
	else if (done)
		panic("pt_unshare: refcount of table %lx rose without a fork", pte_addr(*pde));
	/* flushed before another thread's fault may change an entry of the
	 * copy: cow_replace decides by an accessed flag, and no CPU may still
	 * hold a translation made through the old table by then */
	if (old)
		flush_tlb_pgtable(vm, va, mkold);
	spin_unlock(&vm->page_table_lock);
	if (old) {
		pt_put(old);
	} else if (copy) {
		frame_put(copy);	/* reused after all, or another thread did it */
	}
	return done;
}

static int unshare_pde(pte_t *pde, uint64_t va, void *vm)
{
	if (!(*pde & PDE_TABLE_COW))
		return 0;
	int err = pt_unshare(vm, va);
	return err < 0 ? err : 0;
}

int pt_unshare_range(struct vmspace *vm, uint64_t start, uint64_t end)
{
	return walk_range_level(vm->pml4, start, end, 2, unshare_pde, vm);
}

#define DROP_BATCH 32	/* tables pt_drop_range drops per flush */

/* One pt_drop_range batch: the tables whose PD entries it cleared. */
struct table_drop {
	uint64_t start, end;		/* the range being unmapped */
	uint64_t table[DROP_BATCH];
	int n;
	uint64_t lo, hi;		/* what their entries mapped */
};

/* Clear PD entry PDE of BASE if it points at a shared table and its 2 MiB
 * lies wholly in the range; stop the walk when the batch is full. */
static int drop_pde(pte_t *pde, uint64_t base, void *d_)
{
	struct table_drop *d = d_;

	if (!(*pde & PDE_TABLE_COW) || base < d->start || base + HUGE_2M > d->end)
		return 0;
	d->table[d->n++] = pte_addr(*pde);
	*pde = 0;
	d->lo = MIN(d->lo, base);
	d->hi = MAX(d->hi, base + HUGE_2M);
	return d->n == DROP_BATCH;
}

int pt_drop_range(struct vmspace *vm, uint64_t start, uint64_t end)
{
	struct table_drop d = { .start = start, .end = end = MIN(end, USER_TOP) };

	/* the tables at the edges, covered in part, first: what may fail */
	if ((start % HUGE_2M && pt_unshare(vm, start) < 0) ||
	    (end % HUGE_2M && pt_unshare(vm, end - 1) < 0))
		return -ENOMEM;
	do {
		d.n = 0;
		d.lo = UINT64_MAX, d.hi = 0;
		walk_range_level(vm->pml4, start, end, 2, drop_pde, &d);
		if (d.n)
			flush_tlb_range(vm, d.lo, d.hi);
		for (int i = 0; i < d.n; i++)
			pt_put(d.table[i]);
	} while (d.n == DROP_BATCH);
	return 0;
}

void pt_put(uint64_t table)
{
	uint32_t last = 0;

	if (frame_put_unless_last(table))
		return;		/* another sharer holds it still */
	frame_put_deferred(table, &last);
	if (!last)
		return;
	pte_t *e = phys_to_virt(table);
	for (int i = 0; i < PT_ENTRIES; i++)
		if (pte_present(e[i]))
			frame_put(pte_addr(e[i]));
	frame_free_deferred(last);
}

uint32_t pt_sharers(const pte_t *pte)
{
	return frame_refcount(ALIGN_DOWN(virt_to_phys(pte), PAGE_SIZE));
}

/* One pt_for_each_shared_entry walk. */
struct shared_walk {
	void (*fn)(uint64_t pfn, uint32_t others, void *arg);
	void *arg;
	uint32_t tag;		/* marks the tables this walk has visited */
	struct vmspace *vm;	/* the space being walked */
};

/* Walks take turns: each marks the tables it visited (frame.aux). */
static struct rwsem shared_walk_sem = RWSEM_INIT("pt_mapcount");
static uint32_t shared_walk_tag;

/* The entries of the table PDE points at, if it is shared and this walk
 * has not visited it from another of its sharers. */
static void visit_entries(pte_t pde, struct shared_walk *w)
{
	uint64_t table = pte_addr(pde);
	uint32_t others = frame_refcount(table) - 1;
	struct frame *f = pa_to_frame(table);

	if (!(pde & PDE_TABLE_COW) || !others || !(f->flags & FRAME_PAGETABLE) || f->aux == w->tag)
		return;
	f->aux = w->tag;
	const pte_t *e = phys_to_virt(table);
	for (int i = 0; i < PT_ENTRIES; i++)
		if (pte_present(e[i]))
			w->fn(pte_addr(e[i]) >> PAGE_SHIFT, others, w->arg);
}

/* Under the space's page_table_lock, as walk_range_locked reads: its PD
 * entry cannot move to a copy meanwhile, so its reference keeps the table. */
static int visit_shared_table(pte_t *pde, uint64_t va, void *w_)
{
	struct shared_walk *w = w_;

	(void)va;
	spin_lock(&w->vm->page_table_lock);
	visit_entries(*pde, w);
	spin_unlock(&w->vm->page_table_lock);
	return 0;
}

static void visit_space_tables(struct vmspace *vm, void *w_)
{
	struct shared_walk *w = w_;

	w->vm = vm;
	walk_range_level(vm->pml4, 0, USER_TOP, 2, visit_shared_table, w);
}

void pt_for_each_shared_entry(void (*fn)(uint64_t pfn, uint32_t others, void *arg), void *arg)
{
	down_write(&shared_walk_sem);
	if (!++shared_walk_tag)
		shared_walk_tag++;		/* 0 is a new table's aux */
	struct shared_walk w = { .fn = fn, .arg = arg, .tag = shared_walk_tag };
	vmspace_for_each_locked(visit_space_tables, &w);
	up_write(&shared_walk_sem);
}
