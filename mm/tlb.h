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
/* May CPUs other than this one cache VM's entries (its cpu_mask)?  A hint
 * for choosing between two correct flushes: the mask changes meanwhile. */
bool tlb_mm_elsewhere(struct vmspace *vm);
/* VM's PD entry for the 2 MiB at VA now points at a copy of the page table
 * it pointed at, mapping the same frames with no more rights (pt_unshare):
 * every CPU must forget the old PD entry.  Here one INVLPG is enough, or,
 * when the copy's entries have their accessed flags cleared (MKOLD), the
 * 2 MiB; other CPUs that may cache VM flush the 2 MiB (see mm/tlb.c). */
void flush_tlb_pgtable(struct vmspace *vm, uint64_t va, bool mkold);
/* Kernel entries of [start, end) changed: flush them on every CPU. */
void flush_tlb_kernel_range(uint64_t start, uint64_t end);
/* This CPU only: one page (INVLPG), or every non-global entry (CR3 reload). */
void local_flush_tlb_page(uint64_t va);
void local_flush_tlb_all(void);
/*
 * The mmu_gather (Linux's name): munmap, MADV_DONTNEED and exit clear many
 * entries, and may free the frames only once no CPU can reach them through
 * its TLB.  They gather the frames whose last reference they dropped, then
 * flush the whole range with one shootdown, then free them all.
 *   struct mmu_gather tlb;
 *   tlb_gather_mmu(&tlb, vm);
 *   ... *pte = 0; tlb_remove_page(&tlb, va, pa); ...
 *   tlb_finish_mmu(&tlb);
 * Pending frames are linked through their descriptors, so a gather of any
 * size needs no memory.
 */
struct mmu_gather {
	struct vmspace *vm;
	uint64_t start, end;		/* the range whose entries changed */
	uint32_t pending;		/* frames to free after the flush (mm/frame.h) */
};

void tlb_gather_mmu(struct mmu_gather *tlb, struct vmspace *vm);
/* The entry of VA, which mapped PA (a page or a page table), was cleared:
 * drop its reference, keeping the frame until the flush if it was the last. */
void tlb_remove_page(struct mmu_gather *tlb, uint64_t va, uint64_t pa);
/* Flush what changed (one shootdown), then free the gathered frames. */
void tlb_finish_mmu(struct mmu_gather *tlb);
/* The last user of VM is gone: every CPU whose CR3 may still hold VM's
 * tables (an idle CPU keeps the last ones it ran) switches to the kernel's,
 * so that they can be freed. */
void tlb_release_mm(struct vmspace *vm);
/* Answer the shootdowns sent to this CPU, if any: every loop that waits
 * with interrupts off calls it (spin_lock, the shootdown's own wait). */
void tlb_poll(void);
/* The shootdown interrupt's handler (vector T_TLB_SHOOTDOWN). */
void tlb_shootdown_interrupt(void);
