/*
 * mm/smaps.h - what the pages of an address range cost, counted the way
 * Linux's /proc/PID/smaps counts them (fs/proc/task_mmu.c): kernel/fs/procfs.c
 * prints it.
 */
#pragma once
#include "kernel/lib.h"

struct vmspace;

/* Pss is kept in bytes << PSS_SHIFT, so that a page shared by three keeps
 * its thirds (Linux's PSS_SHIFT). */
#define PSS_SHIFT 12

/* Linux's struct mem_size_stats, the fields that exist here; bytes. */
struct mem_size_stats {
	uint64_t resident;		/* Rss: present pages, the zero page not counted */
	uint64_t shared_clean, shared_dirty;	/* pages mapped more than once */
	uint64_t private_clean, private_dirty;	/* pages mapped once */
	uint64_t referenced;		/* accessed bit set */
	uint64_t anonymous;		/* anonymous and merged pages */
	uint64_t ksm;			/* pages on merged (KSM) frames */
	uint64_t pss, pss_dirty;	/* bytes << PSS_SHIFT: each page / its mappings */
	uint64_t pss_anon, pss_file;	/* pss split by kind (smaps_rollup) */
	uint64_t pss_shmem;		/* of pss_file, shared mappings' (procfs moves it) */
};

/* Add the pages of [start, end) of VM to MSS (Linux's smap_gather_stats
 * and smaps_account).  Reads VM's page tables: the caller keeps it alive. */
void smap_gather_stats(struct vmspace *vm, uint64_t start, uint64_t end,
		       struct mem_size_stats *mss);

/* Resident pages of an address space, by kind: present user entries, except
 * those of the zero frame (reading untouched memory costs nothing). */
struct mm_rss {
	uint64_t anon, file;
};

/* Count VM's resident pages into *RSS, by the same rule as smaps' Rss and
 * Anonymous (Linux: get_mm_counter).  For the OOM killer and status. */
void get_mm_rss(struct vmspace *vm, struct mm_rss *rss);

/* Page-table frames of VM, the PML4 included: /proc/PID/status VmPTE and
 * the OOM killer's badness (Linux: mm_pgtables_bytes, in pages). */
uint64_t mm_pgtables(struct vmspace *vm);
