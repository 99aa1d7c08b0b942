/*
 * mm/tlb.c - TLB flushes, local and remote (the shootdown).
 */
#include "mm/tlb.h"
#include "mm/layout.h"
#include "mm/vm.h"
#include "mm/vmspace.h"

void switch_mm(struct vmspace *next)
{
	pagetable_activate(next ? next->pml4 : kernel_pml4);
}

void flush_tlb_range(struct vmspace *vm, uint64_t start, uint64_t end)
{
	(void)vm;
	for (uint64_t va = start; va < end; va += PAGE_SIZE)
		tlb_flush_page(va);
}

void flush_tlb_mm(struct vmspace *vm)
{
	(void)vm;
	tlb_flush_all();
}

void tlb_shootdown_interrupt(void)
{
	tlb_flush_all();
}
