/*
 * mm/vm_test.c - self-tests for the page-table module: map, translate,
 * protect, unmap, range walks and freeing a user half without leaks.
 */
#include "kernel/errno.h"
#include "kernel/ktest.h"
#include "kernel/x86/x86.h"
#include "mm/frame.h"
#include "mm/layout.h"
#include "mm/vm.h"

#define TEST_VA 0x0000000040000000UL

static int count_visit(pte_t *pte, uint64_t va, void *arg)
{
	(void)pte, (void)va;
	(*(int *)arg)++;
	return 0;
}

KTEST(vm_map_translate)
{
	uint64_t before = frame_free_count();
	pte_t *pml4 = pagetable_new();
	uint64_t pa = frame_alloc(FRAME_USER), got = 0;

	KCHECK(pml4 && pa, "new page table and a frame");
	KCHECK(map_page(pml4, TEST_VA, pa, PTE_U | PTE_W | PTE_NX) == 0, "map_page succeeds");
	KCHECK(map_page(pml4, TEST_VA, pa, PTE_U) == -EEXIST, "mapping twice gives -EEXIST");
	KCHECK(translate(pml4, TEST_VA + 0x123, &got) && got == pa + 0x123,
	       "translate finds the frame and keeps the offset");
	pte_t *e = walk(pml4, TEST_VA, false);
	KCHECK(e && (*e & (PTE_P | PTE_U | PTE_W | PTE_NX)) == (PTE_P | PTE_U | PTE_W | PTE_NX),
	       "the leaf entry has P, U, W and NX");
	KCHECK(!translate(pml4, TEST_VA + PAGE_SIZE, &got), "the next page is unmapped");
	KCHECK(!translate(pml4, 0x0000800000000000UL, &got), "non-canonical address is unmapped");
	KCHECK(pagetable_count_user(pml4) == 3, "one mapping needs PDPT, PD and PT (%lu)",
	       pagetable_count_user(pml4));

	KCHECK(protect_page(pml4, TEST_VA, PTE_U | PTE_COW) == 0 && !(*e & PTE_W) &&
	       (*e & PTE_COW), "protect_page makes it read-only copy-on-write");
	KCHECK(protect_page(pml4, TEST_VA + PAGE_SIZE, PTE_U) == -ENOENT,
	       "protect_page on an unmapped page gives -ENOENT");
	pte_t old = unmap_page(pml4, TEST_VA);
	KCHECK(pte_addr(old) == pa && !translate(pml4, TEST_VA, &got),
	       "unmap_page returns the old entry and removes the mapping");
	frame_put(pa);
	pagetable_destroy(pml4);
	KCHECK(frame_free_count() == before, "no frame leaked (%lu -> %lu)", before,
	       frame_free_count());
}

KTEST(vm_range_and_free)
{
	uint64_t before = frame_free_count();
	pte_t *pml4 = pagetable_new();
	bool mapped = pml4 != NULL;
	int visits = 0;

	/* 8 pages around a page-table boundary and one far away */
	for (int i = 0; i < 8 && mapped; i++) {
		uint64_t pa = frame_alloc(FRAME_USER);
		mapped &= pa && map_page(pml4, TEST_VA + 0x1FC000 + i * PAGE_SIZE, pa, PTE_U) == 0;
	}
	uint64_t far = frame_alloc(FRAME_USER);
	mapped &= far && map_page(pml4, 0x7FFFFFFFF000UL, far, PTE_U) == 0;
	KCHECK(mapped, "9 pages mapped");
	walk_range(pml4, 0, USER_TOP, count_visit, &visits);
	KCHECK(visits == 9, "walk_range visits the 9 present pages (%d)", visits);
	visits = 0;
	walk_range(pml4, TEST_VA + 0x200000, TEST_VA + 0x202000, count_visit, &visits);
	KCHECK(visits == 2, "walk_range honours its bounds (%d)", visits);
	pagetable_destroy(pml4);
	KCHECK(frame_free_count() == before, "freeing the user half returns every frame");
}

/* A user PDPT entry that does not point at a page table (what a walker
 * without mmap_lock may read after a munmap freed the table) is not
 * followed: the OOM killer's walks rely on it (is_table_frame). */
KTEST(vm_walk_skips_non_table)
{
	uint64_t before = frame_free_count();
	pte_t *pml4 = pagetable_new();
	uint64_t pa = frame_alloc(FRAME_USER);
	int visits = 0;

	if (!pml4 || !pa || map_page(pml4, TEST_VA, pa, PTE_U)) {
		KCHECK(false, "one page mapped");
		return;
	}
	pte_t *pdpte = walk_level(pml4, TEST_VA, 3, false), saved = *pdpte;
	walk_range(pml4, 0, USER_TOP, count_visit, &visits);
	KCHECK(visits == 1 && pagetable_count_user(pml4) == 3, "the page and its 3 tables are seen");
	pte_t bad[] = { pa, (uint64_t)nframes << PAGE_SHIFT };	/* a user frame; beyond RAM */
	for (int i = 0; i < 2; i++) {
		*pdpte = bad[i] | (saved & ~PTE_ADDR_MASK);
		visits = 0;
		walk_range(pml4, 0, USER_TOP, count_visit, &visits);
		KCHECK(visits == 0, "a PDPT entry pointing %s is not followed by walk_range (%d)",
		       i ? "beyond RAM" : "at a user frame", visits);
		KCHECK(pagetable_count_user(pml4) == 2, "... nor by pagetable_visit_tables (%lu)",
		       pagetable_count_user(pml4));
	}
	*pdpte = saved;
	pagetable_destroy(pml4);
	KCHECK(frame_free_count() == before, "freeing the user half returns every frame");
}

KTEST(vm_kernel_layout)
{
	pte_t *text = walk(kernel_pml4, (uint64_t)_text_start, false);
	pte_t *ro = walk(kernel_pml4, (uint64_t)_rodata_start, false);
	pte_t *data = walk(kernel_pml4, (uint64_t)_data_start, false);
	uint64_t pa;

	KCHECK(text && !(*text & PTE_W) && !(*text & PTE_NX), "kernel text is read-execute");
	KCHECK(ro && !(*ro & PTE_W) && (*ro & PTE_NX), "kernel rodata is read-only, no-execute");
	KCHECK(data && (*data & PTE_W) && (*data & PTE_NX), "kernel data is read-write, no-execute");
	KCHECK(translate(kernel_pml4, DIRECT_MAP_BASE + frame_phys_end() - 1, &pa) &&
	       pa == frame_phys_end() - 1, "the direct map reaches the last byte of RAM");
	KCHECK(!translate(kernel_pml4, 0x100000, &pa), "the boot identity map is gone");
	KCHECK(read_cr0() & (1UL << 16), "CR0.WP is set: the kernel honours read-only pages");
}
