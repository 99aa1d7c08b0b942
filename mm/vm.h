/*
 * mm/vm.h - x86-64 4-level page tables: the one module that reads and writes
 * them.  Tables are reached through the direct map; a table is named by a
 * pointer to its 512 entries.  Every other part of the kernel (fork, the fault
 * handler, /proc/PID/pagemap, merging) goes through these functions.
 */
#pragma once
#include "kernel/lib.h"
#include "mm/pte.h"

extern pte_t *kernel_pml4;

/*
 * walk: the entry for VA at LEVEL (1 = page table ... 4 = PML4).  With ALLOC,
 * missing tables on the way are allocated (zeroed); without, returns NULL when
 * one is missing.  Also returns NULL when a huge page covers VA above LEVEL,
 * or when a table cannot be allocated.
 */
pte_t *walk_level(pte_t *pml4, uint64_t va, int level, bool alloc);
static inline pte_t *walk(pte_t *pml4, uint64_t va, bool alloc)
{
	return walk_level(pml4, va, 1, alloc);
}

/* Map the 4 KiB page at VA to frame PA with PROT (PTE_* bits; P is added
 * unless PROT has PTE_PROTNONE: mm/pte.h).
 * Returns 0, -ENOMEM (no frame for a table) or -EEXIST (already mapped).
 * Takes no frame reference: the caller owns that decision. */
int map_page(pte_t *pml4, uint64_t va, uint64_t pa, uint64_t prot);
/* Remove the mapping of VA and invalidate its TLB entry on this CPU (the
 * self-tests' tool: a live address space goes through vm_unmap, kernel
 * mappings through unmap_kernel_pages); returns the old entry (0 if none)
 * so the caller can drop the frame reference. */
pte_t unmap_page(pte_t *pml4, uint64_t va);
/* Replace the protection bits of a present mapping; -ENOENT when unmapped. */
int protect_page(pte_t *pml4, uint64_t va, uint64_t prot);
/* Physical address VA maps to (4 KiB or huge pages, PROT_NONE pages too);
 * false when unmapped.  It checks no permission: callers do. */
bool translate(pte_t *pml4, uint64_t va, uint64_t *pa);

/* Visit every present 4 KiB leaf entry in [start, end), in address order,
 * skipping empty tables; user or kernel addresses (VA is canonical), but a
 * range starting in the user half stops at USER_TOP.  FN may change the
 * entry; a nonzero return stops the walk and is returned. */
typedef int (*pte_visit_fn)(pte_t *pte, uint64_t va, void *arg);
/* The same for the present entries at LEVEL (2: the PD entries that point
 * at page tables, with the VA each maps from; huge pages are skipped). */
int walk_range_level(pte_t *pml4, uint64_t start, uint64_t end, int level, pte_visit_fn fn,
		     void *arg);
static inline int walk_range(pte_t *pml4, uint64_t start, uint64_t end, pte_visit_fn fn,
			     void *arg)
{
	return walk_range_level(pml4, start, end, 1, fn, arg);
}

/* Free the page tables below PML4 that cover part of the user range
 * [start, end) and no longer map anything (munmap; Linux: free_pgtables),
 * through the gather TLB: they are freed after its flush, since other CPUs'
 * paging-structure caches may still hold them (Intel SDM vol. 3A, 4.10.4). */
struct mmu_gather;
void pagetable_prune(pte_t *pml4, uint64_t start, uint64_t end, struct mmu_gather *tlb);
/* A new PML4 sharing the kernel half; NULL when out of memory. */
pte_t *pagetable_new(void);
/* Unmap the whole user half and free its page-table frames: each page
 * table's reference is dropped (pt_put), and with a table's last reference
 * its mapped frames' references.  The PML4 itself stays. */
void pagetable_free_user(pte_t *pml4);
/* pagetable_free_user, then free the PML4. */
void pagetable_destroy(pte_t *pml4);
/* Number of page-table frames below the PML4 in the user half. */
uint64_t pagetable_count_user(pte_t *pml4);
/* Visit every page-table frame below PML4 (not PML4 itself) in its user
 * half (PML4 entries 0..255) or its kernel half (256..511): FN gets the
 * table's physical address and its level (3 = PDPT ... 1 = PT).  Huge-page
 * entries are not tables and are skipped.  Allocates nothing. */
typedef void (*table_visit_fn)(uint64_t pa, int level, void *arg);
void pagetable_visit_tables(pte_t *pml4, bool kernel_half, table_visit_fn fn, void *arg);
void pagetable_activate(pte_t *pml4);

/* Map the kernel page VA (kernel stacks, kvmalloc windows: global,
 * writable, not executable) to PA: 0, -ENOMEM or -EEXIST.  Takes no frame
 * reference. */
int map_kernel_page(uint64_t va, uint64_t pa);
/* Unmap PAGES kernel pages from VA, flush them from every CPU, then drop
 * the frames' references. */
void unmap_kernel_pages(uint64_t va, size_t pages);

/* Build the kernel's own tables (image with section permissions, direct map
 * of all RAM, kernel stack area) and switch to them. */
void vm_init_kernel(void);
