/*
 * mm/mremap_test.c - self-tests for mremap's move (mm/mremap.c): with too
 * few free frames for the destination's page tables the move fails with
 * ENOMEM and puts back every entry it had moved, leaving no table and no
 * region behind; with enough it moves the same entries, frames and bits.
 */
#include "kernel/errno.h"
#include "kernel/ktest.h"
#include "mm/fault.h"
#include "mm/frame.h"
#include "mm/ktest_frames.h"
#include "mm/layout.h"
#include "mm/mremap.h"
#include "mm/vm.h"
#include "mm/vmspace.h"

#define SRC 0x40000000UL
#define SRC_LEN (3 * HUGE_2M)
#define NPAGES 3	/* one written page in each 2 MiB of SRC */

/* A space with a writable region at SRC, a written page in each of its
 * 2 MiB ranges (their entries go to PTES), and a read-only page just above
 * so that it cannot grow in place.  NULL without memory. */
static struct vmspace *space_with_pages(pte_t ptes[NPAGES])
{
	struct vmspace *vm = vmspace_new();
	struct region r = { .start = SRC, .end = SRC + SRC_LEN, .prot = PROT_READ | PROT_WRITE,
			    .kind = REGION_ANON };
	struct region above = { .start = SRC + SRC_LEN, .end = SRC + SRC_LEN + PAGE_SIZE,
				.prot = PROT_READ, .kind = REGION_ANON };

	if (!vm)
		return NULL;
	vmspace_attach(vm);
	if (region_add(vm, &r) || region_add(vm, &above)) {
		vmspace_put(vm);
		return NULL;
	}
	for (int i = 0; i < NPAGES; i++) {
		uint64_t va = SRC + i * HUGE_2M;
		pte_t *e = vm_fault(vm, va, FAULT_WRITE) ? NULL : walk(vm->pml4, va, false);
		ptes[i] = e ? *e : 0;
	}
	return vm;
}

/* Do the entries at BASE + i * 2 MiB equal PTES? */
static bool entries_at(struct vmspace *vm, uint64_t base, const pte_t ptes[NPAGES])
{
	for (int i = 0; i < NPAGES; i++) {
		pte_t *e = walk(vm->pml4, base + i * HUGE_2M, false);
		if (!e || *e != ptes[i] || !ptes[i])
			return false;
	}
	return true;
}

KTEST(mremap_enomem_rolls_back)
{
	pte_t ptes[NPAGES];
	struct vmspace *vm = space_with_pages(ptes);

	KCHECK(vm != NULL && ptes[0] && ptes[1] && ptes[2], "a space with 3 written pages");
	if (!vm)
		return;
	uint64_t tables = pagetable_count_user(vm->pml4);
	/* the destination needs a PDPT, a PD and 3 page tables: 4 frames let
	 * some of the entries move before the allocation fails */
	uint64_t chain = drain_frames(4);
	long ret = vm_mremap(vm, SRC, SRC_LEN, 2 * SRC_LEN, MREMAP_MAYMOVE, 0);
	uint64_t left = frame_free_count();
	release_frames(chain);
	KCHECK(ret == -ENOMEM, "the move fails for want of page tables (%ld)", ret);
	KCHECK(entries_at(vm, SRC, ptes), "every entry is back at its old place, unchanged");
	KCHECK(pagetable_count_user(vm->pml4) == tables, "no destination table is left (%lu, %lu)",
	       pagetable_count_user(vm->pml4), tables);
	KCHECK(left == 4, "the frames it took are free again (%lu of 4)", left);
	struct region *r = region_find(vm, SRC);
	KCHECK(vm->map_count == 2 && r && r->start == SRC && r->end == SRC + SRC_LEN,
	       "the region is as it was, and no other is added");

	ret = vm_mremap(vm, SRC, SRC_LEN, 2 * SRC_LEN, MREMAP_MAYMOVE, 0);
	KCHECK(ret > 0 && entries_at(vm, (uint64_t)ret, ptes),
	       "with memory, the same entries move: frames and bits");
	KCHECK(!region_find(vm, SRC) && !walk(vm->pml4, SRC, false),
	       "the old range has no region and no page table left");
	vmspace_put(vm);
}
