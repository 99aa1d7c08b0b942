/*
 * mm/vmstat.h - event counters of the memory manager, shown in /proc/vmstat
 * with these names, and the switches of /proc/sys/vm.
 */
#pragma once
#include <stdint.h>
#include "kernel/x86/cpu.h"

enum vm_event {
	PGFAULT,	/* every page fault */
	COW_FAULT,	/* write faults on a shared (copy-on-write) page */
	COW_COPY,	/* ... resolved by copying the page */
	COW_REUSE,	/* ... resolved in place: this mapping was the last user */
	ZERO_MAP,	/* read faults answered with the shared zero frame */
	ZERO_FILL,	/* pages allocated zeroed on first write */
	FILE_MAP,	/* faults answered with a shared page-cache frame */
	KSM_MERGE,	/* pages merged by the KSM scanner */
	COW_KSM,	/* merged pages broken by a write */
	FORK_COPY,	/* pages copied by an eager (cow_fork=0) fork */
	TABLE_SHARE,	/* page tables fork shared instead of copying (mm/ptshare.c) */
	TABLE_COPY,	/* shared page tables copied on a first change */
	TABLE_REUSE,	/* ... made writable in place: this space was the last sharer */
	NR_TLB_REMOTE_FLUSH,		/* shootdowns sent: one per operation (mm/tlb.c) */
	NR_TLB_REMOTE_FLUSH_RECEIVED,	/* shootdown requests a CPU answered */
	NR_TLB_LOCAL_FLUSH_ONE,		/* single pages flushed here (INVLPG) */
	NR_TLB_LOCAL_FLUSH_ALL,		/* whole TLBs flushed here (CR3 reload) */
	NR_VM_EVENTS,
};

_Static_assert(NR_VM_EVENTS <= NR_VM_EVENTS_MAX, "struct cpu's vm_events[] is too small");

extern const char *const vm_event_names[NR_VM_EVENTS];

/* Each CPU counts in its own struct cpu (vm_events[]), as Linux's per-CPU
 * vm_event_states: no cache line bounces between CPUs on the fault path.
 * The add is atomic only against an interrupt on the same CPU. */
static inline void count_vm_event(enum vm_event e)
{
	__atomic_add_fetch(&this_cpu()->vm_events[e], 1, __ATOMIC_RELAXED);
}

/* Event E summed over every CPU (/proc/vmstat). */
uint64_t vm_event_sum(enum vm_event e);

/* /proc/sys/vm/cow_fork, zero_page and share_page_tables (and cow_fork=,
 * zero_page=, share_page_tables= at boot).  share_page_tables (default 1):
 * a copy-on-write fork shares the last-level page tables (mm/ptshare.c);
 * it means nothing when cow_fork is 0. */
extern int sysctl_cow_fork;
extern int sysctl_zero_page;
extern int sysctl_share_page_tables;
void vmstat_init(void);
