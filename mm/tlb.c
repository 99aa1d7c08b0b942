/*
 * mm/tlb.c - TLB flushes, local and remote (the shootdown); mm/tlb.h says
 * when each is needed.
 *
 * Local: a range of at most FLUSH_CEILING pages is flushed page by page
 * (INVLPG), a bigger one by reloading CR3 (Linux's
 * tlb_single_page_flush_ceiling, 33).  Either also empties the
 * paging-structure caches, which may hold page tables munmap freed (Intel
 * SDM vol. 3A, 4.10.4.1).
 */
#include "mm/tlb.h"
#include "mm/frame.h"
#include "mm/layout.h"
#include "mm/vm.h"
#include "mm/vmspace.h"
#include "mm/vmstat.h"
#include "kernel/x86/x86.h"

#define FLUSH_CEILING 33

void local_flush_tlb_page(uint64_t va)
{
	invlpg(va);
	count_vm_event(NR_TLB_LOCAL_FLUSH_ONE);
}

void local_flush_tlb_all(void)
{
	write_cr3(read_cr3());
	count_vm_event(NR_TLB_LOCAL_FLUSH_ALL);
}

/* Flush [start, end) here.  Global (kernel) entries survive a CR3 reload,
 * so a kernel range is always flushed page by page. */
static void local_flush_tlb_range(uint64_t start, uint64_t end, bool kernel)
{
	if (!kernel && (end - start) / PAGE_SIZE > FLUSH_CEILING) {
		local_flush_tlb_all();
		return;
	}
	for (uint64_t va = start; va < end; va += PAGE_SIZE)
		local_flush_tlb_page(va);
}

void switch_mm(struct vmspace *next)
{
	pagetable_activate(next ? next->pml4 : kernel_pml4);
}

void flush_tlb_range(struct vmspace *vm, uint64_t start, uint64_t end)
{
	(void)vm;
	local_flush_tlb_range(start, end, false);
}

void flush_tlb_mm(struct vmspace *vm)
{
	(void)vm;
	local_flush_tlb_all();
}

void flush_tlb_kernel_range(uint64_t start, uint64_t end)
{
	local_flush_tlb_range(start, end, true);
}

void tlb_shootdown_interrupt(void)
{
	local_flush_tlb_all();
}

void tlb_gather_mmu(struct mmu_gather *tlb, struct vmspace *vm)
{
	*tlb = (struct mmu_gather){ .vm = vm, .start = UINT64_MAX };
}

void tlb_remove_page(struct mmu_gather *tlb, uint64_t va, uint64_t pa)
{
	tlb->start = MIN(tlb->start, va);
	tlb->end = MAX(tlb->end, va + PAGE_SIZE);
	frame_put_deferred(pa, &tlb->pending);
}

void tlb_finish_mmu(struct mmu_gather *tlb)
{
	if (tlb->start < tlb->end)
		flush_tlb_range(tlb->vm, tlb->start, tlb->end);
	frame_free_deferred(tlb->pending);
	tlb->pending = 0;
}
