/*
 * mm/ptshare.h - last-level page tables shared by fork and copied on their
 * first change: copy-on-write one level up (mm/ptshare.c explains the
 * algorithm, the representation and the locking; docs/cow.md draws it).
 */
#pragma once
#include "kernel/lib.h"
#include "mm/pte.h"

struct vmspace;

/* fork: the N child's empty PD entries from TO on, for the 2 MiB pieces
 * from BASE (aligned) on, in one PD, become the parent's PD entries from
 * FROM on: each present one write-protected with PDE_TABLE_COW in both,
 * and its table gains a reference.  The parent's mmap_lock is held for
 * writing; the caller flushes the parent's TLBs (its PD entries lost
 * PTE_W). */
void pt_share(pte_t *from, pte_t *to, unsigned n, uint64_t base);

/* Make the page table mapping VA VM's own before its entries change: reuse
 * it in place when VM holds its last reference (table_reuse), else copy it
 * (table_copy).  Caller holds VM's mmap_lock (read or write), not its
 * page_table_lock.  1 when a shared table was made VM's own (the entries
 * of VA's table must be read again), 0 when it was not shared, -ENOMEM. */
int pt_unshare(struct vmspace *vm, uint64_t va);
/* pt_unshare for every shared table that maps part of [start, end): what
 * every writer of a range of entries calls first.  0 or -ENOMEM (the
 * tables before stay unshared, which changes nothing visible). */
int pt_unshare_range(struct vmspace *vm, uint64_t start, uint64_t end);

/* munmap of [start, end), before its entries go: a shared page table it
 * covers in part (at most two: at its edges) is made VM's own (pt_unshare),
 * and one it covers whole leaves VM without a copy: VM's PD entry is
 * cleared, VM's CPUs flushed, then its reference dropped (pt_put).  Caller
 * holds VM's mmap_lock for writing.  0, or -ENOMEM with no table dropped. */
int pt_drop_range(struct vmspace *vm, uint64_t start, uint64_t end);

/* Drop one reference of the page table at physical address TABLE (a PD
 * entry pointing at it is gone).  The last one drops the references of
 * its leaf entries and frees it: no CPU may still cache it (exit,
 * pt_unshare and pt_drop_range after their flush). */
void pt_put(uint64_t table);

/* How many PD entries share the page table that holds leaf entry PTE
 * (1 for a table of one address space). */
uint32_t pt_sharers(const pte_t *pte);

/* Call FN(pfn, others, ARG) for each present entry of each page table
 * shared by several address spaces, once per table however many reach
 * it: OTHERS is how many sharers beyond one map frame PFN through it (what
 * a count of mappings must add to frame_mapcount, which counts the table
 * once).  For /proc/kpagecount and KSM's pages_sharing.  Visits every
 * address space's PD entries (its mmap_lock held for reading in turn);
 * sleeps; such walks take turns. */
void pt_for_each_shared_entry(void (*fn)(uint64_t pfn, uint32_t others, void *arg), void *arg);
