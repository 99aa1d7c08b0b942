/*
 * mm/tlb.h - keeping every CPU's TLB in step with the page tables.
 *
 * A CPU caches translations of the address space whose page tables its CR3
 * holds.  switch_mm() is the only place that loads CR3 for a process, so it
 * is where a CPU joins and leaves an address space's cpu_mask.  Whoever
 * takes write permission away from an entry, or points it at another frame,
 * calls flush_tlb_range() before relying on the change: it flushes this CPU
 * and interrupts exactly the other CPUs in cpu_mask (the shootdown), and
 * returns when all of them have flushed.  docs/smp.md tells the story.
 */
#pragma once
#include "kernel/lib.h"

struct vmspace;

/* Load NEXT's page tables on this CPU (the kernel's alone when NEXT is
 * NULL, for kernel threads and exiting processes). */
void switch_mm(struct vmspace *next);
/* Entries of VM in [start, end) (page-aligned bytes) lost write permission,
 * were removed or changed frame: flush them here and on every other CPU that
 * may cache VM, waiting for those CPUs.  One interrupt per CPU per call. */
void flush_tlb_range(struct vmspace *vm, uint64_t start, uint64_t end);
/* The same for the whole address space (fork's write-protection). */
void flush_tlb_mm(struct vmspace *vm);
/* The shootdown interrupt's handler (vector T_TLB_SHOOTDOWN). */
void tlb_shootdown_interrupt(void);
