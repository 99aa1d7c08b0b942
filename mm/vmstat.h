/*
 * mm/vmstat.h - event counters of the memory manager, shown in /proc/vmstat
 * with these names, and the two switches of /proc/sys/vm.
 */
#pragma once
#include <stdint.h>

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
	NR_TLB_REMOTE_FLUSH,		/* shootdowns sent: one per operation (mm/tlb.c) */
	NR_TLB_REMOTE_FLUSH_RECEIVED,	/* shootdown requests a CPU answered */
	NR_TLB_LOCAL_FLUSH_ONE,		/* single pages flushed here (INVLPG) */
	NR_TLB_LOCAL_FLUSH_ALL,		/* whole TLBs flushed here (CR3 reload) */
	NR_VM_EVENTS,
};

extern uint64_t vm_events[NR_VM_EVENTS];
extern const char *const vm_event_names[NR_VM_EVENTS];

static inline void count_vm_event(enum vm_event e)
{
	__atomic_add_fetch(&vm_events[e], 1, __ATOMIC_RELAXED);
}

/* /proc/sys/vm/cow_fork and zero_page (and cow_fork=, zero_page= at boot). */
extern int sysctl_cow_fork;
extern int sysctl_zero_page;
void vmstat_init(void);
