/*
 * mm/vm.c - page tables: walk, map, unmap, protect, translate, and freeing.
 *
 * One walker, walk_level(), descends PML4 -> PDPT -> PD -> PT for a single
 * address; walk_range() visits the leaf entries of a range for the bulk
 * operations (fork, exit, mprotect, pagemap, the checker of mm/audit.c);
 * pagetable_visit_tables() visits the table frames themselves.  Page-table
 * frames are counted like any other frame (FRAME_PAGETABLE): refcount 1, or
 * for a last-level table that fork shares, the number of PD entries that
 * point at it (mm/ptshare.c).
 *
 * The kernel half (PML4 entries 256..511) is built once by vm_init_kernel and
 * shared by pointer with every address space, so after boot no new kernel
 * PML4 entry may appear (walk_level panics if one would).
 */
#include "mm/vm.h"
#include "kernel/spinlock.h"
#include "mm/tlb.h"
#include "kernel/errno.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "kernel/x86/x86.h"
#include "mm/frame.h"
#include "mm/layout.h"
#include "mm/ptshare.h"

#define KERNEL_HALF_FIRST 256
#define TABLE_FLAGS (PTE_P | PTE_W | PTE_U)

pte_t *kernel_pml4;
static bool kernel_half_frozen;

static pte_t *table_of(pte_t e)
{
	return phys_to_virt(pte_addr(e));
}

pte_t *walk_level(pte_t *pml4, uint64_t va, int level, bool alloc)
{
	pte_t *table = pml4;

	for (int l = 4; l > level; l--) {
		pte_t *e = &table[pt_index(va, l)];
		if (!pte_present(*e)) {
			if (!alloc)
				return NULL;
			if (l == 4 && !is_user_addr(va) && kernel_half_frozen)
				panic("walk: new kernel PML4 entry for %lx after boot", va);
			uint64_t pa = frame_alloc_zeroed(FRAME_PAGETABLE);
			if (!pa)
				return NULL;
			/* Upper levels allow everything; the leaf entry decides. */
			*e = pa | (is_user_addr(va) ? TABLE_FLAGS : PTE_P | PTE_W);
		} else if (*e & PTE_PS) {
			return NULL;
		}
		table = table_of(*e);
	}
	return &table[pt_index(va, level)];
}

int map_page(pte_t *pml4, uint64_t va, uint64_t pa, uint64_t prot)
{
	pte_t *e = walk(pml4, va, true);

	if (!e)
		return -ENOMEM;
	if (pte_present(*e))
		return -EEXIST;
	*e = pte_mkprot(pa, prot);
	return 0;
}

pte_t unmap_page(pte_t *pml4, uint64_t va)
{
	pte_t *e = walk(pml4, va, false);

	if (!e || !pte_present(*e))
		return 0;
	pte_t old = *e;
	*e = 0;
	local_flush_tlb_page(va);
	return old;
}

int protect_page(pte_t *pml4, uint64_t va, uint64_t prot)
{
	pte_t *e = walk(pml4, va, false);

	if (!e || !pte_present(*e))
		return -ENOENT;
	*e = pte_mkprot(*e, prot);
	local_flush_tlb_page(va);
	return 0;
}

bool translate(pte_t *pml4, uint64_t va, uint64_t *pa)
{
	pte_t *table = pml4;

	if (!is_canonical(va))
		return false;
	for (int l = 4; l >= 1; l--) {
		pte_t e = table[pt_index(va, l)];
		if (!pte_present(e))
			return false;
		if (l == 1 || (e & PTE_PS)) {
			uint64_t span = 1UL << (12 + 9 * (l - 1));
			*pa = (pte_addr(e) & ~(span - 1)) | (va & (span - 1));
			return true;
		}
		table = table_of(e);
	}
	return false;
}

/* Size of the range one entry covers at LEVEL. */
static uint64_t level_span(int level)
{
	return 1UL << (12 + 9 * (level - 1));
}

/* VA with bit 47 copied into bits 48..63: PML4 entries 256..511 map the
 * kernel half, 0xffff800000000000 and up. */
static uint64_t sign_extend(uint64_t va)
{
	return va & (1UL << 47) ? va | 0xFFFF000000000000UL : va;
}

/* Does upper-level entry E point at a page-table frame?  Always, in a user
 * space walked under its mmap_lock.  The OOM killer walks candidates'
 * tables holding proc_lock and not their mmap_lock (get_mm_rss and
 * mm_pgtables, mm/oom_kill.c), so a munmap may free a table under it and
 * the frame be reused: what it reads there is an estimate, but a garbage
 * entry must not send a walk to an address outside RAM.  The walkers below
 * follow a user entry only if it passes; each reads an entry once. */
static bool is_table_frame(pte_t e)
{
	uint64_t pfn = pte_addr(e) >> PAGE_SHIFT;

	return pfn < nframes && (frames[pfn].flags & FRAME_PAGETABLE);
}

/* Visit the present entries at level WANT below TABLE (at LEVEL, mapping
 * from BASE) that lie in [start, end); huge pages are skipped, and so is a
 * user entry that does not point at a page table (is_table_frame). */
static int walk_table(pte_t *table, int level, int want, uint64_t base, uint64_t start,
		      uint64_t end, pte_visit_fn fn, void *arg)
{
	uint64_t span = level_span(level);

	for (unsigned i = pt_index(start, level); i < 512; i++) {
		uint64_t va = sign_extend(base + i * span);
		if (va >= end)
			break;
		pte_t e = __atomic_load_n(&table[i], __ATOMIC_RELAXED);
		if (!pte_present(e))
			continue;
		if (level > 1 && (e & PTE_PS))
			continue;	/* a huge page (at level 1, bit 7 is PAT) */
		if (level > want && is_user_addr(va) && !is_table_frame(e))
			continue;
		int r = level == want ? fn(&table[i], va, arg) :
			walk_table(table_of(e), level - 1, want, va, MAX(start, va), end, fn, arg);
		if (r)
			return r;
	}
	return 0;
}

int walk_range_level(pte_t *pml4, uint64_t start, uint64_t end, int level, pte_visit_fn fn,
		     void *arg)
{
	/* a user range never runs on into the kernel half, whatever END says */
	if (is_user_addr(start))
		end = MIN(end, USER_TOP);
	if (start >= end)
		return 0;
	return walk_table(pml4, 4, level, 0, start, end, fn, arg);
}

static bool table_empty(const pte_t *table)
{
	for (int i = 0; i < 512; i++)
		if (table[i])
			return false;
	return true;
}

/* Hand the tables below TABLE (at LEVEL) that cover part of [start, end)
 * and map nothing any more to the gather TLB, deepest first. */
static void prune_table(pte_t *table, int level, uint64_t base, uint64_t start, uint64_t end,
			struct mmu_gather *tlb)
{
	uint64_t span = level_span(level);

	for (unsigned i = pt_index(start, level); i < 512; i++) {
		uint64_t va = base + i * span;
		if (va >= end)
			break;
		pte_t *e = &table[i];
		if (!pte_present(*e) || (*e & PTE_PS))
			continue;
		pte_t *child = table_of(*e);
		if (level > 2)
			prune_table(child, level - 1, va, MAX(start, va), end, tlb);
		if (table_empty(child)) {
			uint64_t pa = pte_addr(*e);
			*e = 0;
			tlb_remove_page(tlb, MAX(start, va), pa);
		}
	}
}

void pagetable_prune(pte_t *pml4, uint64_t start, uint64_t end, struct mmu_gather *tlb)
{
	if (start >= end || !is_user_addr(start))
		return;
	prune_table(pml4, 4, 0, start, MIN(end, USER_TOP), tlb);
}

pte_t *pagetable_new(void)
{
	uint64_t pa = frame_alloc_zeroed(FRAME_PAGETABLE);

	if (!pa)
		return NULL;
	pte_t *pml4 = phys_to_virt(pa);
	for (int i = KERNEL_HALF_FIRST; i < 512; i++)
		pml4[i] = kernel_pml4[i];
	return pml4;
}

/* Free the table ENTRY points at (at LEVEL) and the tables below it.  A
 * page table may be shared (mm/ptshare.c): pt_put drops this entry's
 * reference, and the leaf frames' references only with the table's last. */
static void free_subtree(pte_t e, int level)
{
	if (level == 1) {
		pt_put(pte_addr(e));
		return;
	}
	pte_t *table = table_of(e);
	for (int i = 0; i < 512; i++)
		if (pte_present(table[i]))
			free_subtree(table[i], level - 1);
	frame_put(pte_addr(e));
}

void pagetable_free_user(pte_t *pml4)
{
	for (int i = 0; i < KERNEL_HALF_FIRST; i++) {
		if (pte_present(pml4[i]))
			free_subtree(pml4[i], 3);
		pml4[i] = 0;
	}
	if (read_cr3() == virt_to_phys(pml4))
		local_flush_tlb_all();
}

void pagetable_destroy(pte_t *pml4)
{
	pagetable_free_user(pml4);
	frame_put(virt_to_phys(pml4));
}

/* FN for each table below TABLE (at LEVEL); in the user half (USER) it
 * descends only into page-table frames (is_table_frame), but FN still sees
 * every entry, so the audit's table_held reports one that is not. */
static void visit_tables(pte_t *table, int level, bool user, table_visit_fn fn, void *arg)
{
	for (int i = 0; i < 512; i++) {
		pte_t e = __atomic_load_n(&table[i], __ATOMIC_RELAXED);
		if (!pte_present(e) || (e & PTE_PS))
			continue;
		fn(pte_addr(e), level - 1, arg);
		if (level > 2 && (!user || is_table_frame(e)))
			visit_tables(table_of(e), level - 1, user, fn, arg);
	}
}

void pagetable_visit_tables(pte_t *pml4, bool kernel_half, table_visit_fn fn, void *arg)
{
	int first = kernel_half ? KERNEL_HALF_FIRST : 0;

	for (int i = first; i < first + KERNEL_HALF_FIRST; i++) {
		pte_t e = __atomic_load_n(&pml4[i], __ATOMIC_RELAXED);
		if (!pte_present(e))
			continue;
		fn(pte_addr(e), 3, arg);
		if (kernel_half || is_table_frame(e))
			visit_tables(table_of(e), 3, !kernel_half, fn, arg);
	}
}

static void count_table(uint64_t pa, int level, void *arg)
{
	(void)pa, (void)level;
	(*(uint64_t *)arg)++;
}

uint64_t pagetable_count_user(pte_t *pml4)
{
	uint64_t n = 0;

	pagetable_visit_tables(pml4, false, count_table, &n);
	return n;
}

void pagetable_activate(pte_t *pml4)
{
	write_cr3(virt_to_phys(pml4));
}

/* The kernel half's tables: every CPU shares them, so two CPUs mapping
 * kernel stacks or kvmalloc windows at once must not both add a table. */
static struct spinlock kernel_pt_lock = SPINLOCK_INIT("kernel_pt_lock");

int map_kernel_page(uint64_t va, uint64_t pa)
{
	spin_lock(&kernel_pt_lock);
	int err = map_page(kernel_pml4, va, pa, PTE_W | PTE_NX | PTE_G);
	spin_unlock(&kernel_pt_lock);
	return err;
}

void unmap_kernel_pages(uint64_t va, size_t pages)
{
	uint32_t frames = 0;

	spin_lock(&kernel_pt_lock);
	for (size_t i = 0; i < pages; i++) {
		pte_t *e = walk(kernel_pml4, va + i * PAGE_SIZE, false);
		if (e && pte_present(*e))
			frame_put_deferred(pte_addr(*e), &frames);
		if (e)
			*e = 0;
	}
	spin_unlock(&kernel_pt_lock);
	flush_tlb_kernel_range(va, va + pages * PAGE_SIZE);
	frame_free_deferred(frames);
}

static void map_kernel_range(char *start, char *end, uint64_t prot)
{
	for (uint64_t va = (uint64_t)start; va < (uint64_t)end; va += PAGE_SIZE)
		if (map_page(kernel_pml4, va, va - KERNEL_VMA, prot | PTE_G))
			panic("vm_init_kernel: cannot map kernel page %lx", va);
}

/* Direct map with 2 MiB pages: RAM only needs to be readable and writable. */
static void map_direct(uint64_t phys_end)
{
	for (uint64_t pa = 0; pa < phys_end; pa += HUGE_2M) {
		pte_t *e = walk_level(kernel_pml4, DIRECT_MAP_BASE + pa, 2, true);
		if (!e)
			panic("vm_init_kernel: no memory for the direct map at %lx", pa);
		*e = pa | PTE_P | PTE_W | PTE_PS | PTE_G | PTE_NX;
	}
}

void vm_init_kernel(void)
{
	uint64_t pa = frame_alloc_zeroed(FRAME_PAGETABLE);

	if (!pa)
		panic("vm_init_kernel: no memory for the kernel PML4");
	kernel_pml4 = phys_to_virt(pa);
	map_kernel_range(_text_start, _text_end, 0);
	map_kernel_range(_rodata_start, _rodata_end, PTE_NX);
	map_kernel_range(_data_start, _data_end, PTE_W | PTE_NX);
	map_kernel_range(_ksyms_start, _kernel_end, PTE_NX);
	map_direct(ALIGN_UP(frame_phys_end(), HUGE_2M));
	if (!walk_level(kernel_pml4, KSTACK_AREA_BASE, 3, true))
		panic("vm_init_kernel: no memory for the kernel stack area");
	kernel_half_frozen = true;
	pagetable_activate(kernel_pml4);
	pr_info("vm: kernel page tables active: text r-x, rodata r--, data rw-, "
		"direct map %lu MiB\n", ALIGN_UP(frame_phys_end(), HUGE_2M) >> 20);
}
