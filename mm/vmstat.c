/*
 * mm/vmstat.c - the counters and switches behind /proc/vmstat and
 * /proc/sys/vm.  Counters only ever go up; each CPU counts in its own
 * struct cpu, and a read sums them.
 */
#include "mm/vmstat.h"
#include "kernel/cmdline.h"


const char *const vm_event_names[NR_VM_EVENTS] = {
	[PGFAULT] = "pgfault",
	[COW_FAULT] = "cow_fault",
	[COW_COPY] = "cow_copy",
	[COW_REUSE] = "cow_reuse",
	[ZERO_MAP] = "zero_map",
	[ZERO_FILL] = "zero_fill",
	[FILE_MAP] = "file_map",
	[KSM_MERGE] = "ksm_merge",
	[COW_KSM] = "cow_ksm",
	[FORK_COPY] = "fork_copy",
	[TABLE_SHARE] = "table_share",
	[TABLE_COPY] = "table_copy",
	[TABLE_REUSE] = "table_reuse",
	[NR_TLB_REMOTE_FLUSH] = "nr_tlb_remote_flush",
	[NR_TLB_REMOTE_FLUSH_RECEIVED] = "nr_tlb_remote_flush_received",
	[NR_TLB_LOCAL_FLUSH_ONE] = "nr_tlb_local_flush_one",
	[NR_TLB_LOCAL_FLUSH_ALL] = "nr_tlb_local_flush_all",
};

uint64_t vm_event_sum(enum vm_event e)
{
	uint64_t sum = 0;

	for (int i = 0; i < NCPU; i++)
		sum += __atomic_load_n(&cpus[i].vm_events[e], __ATOMIC_RELAXED);
	return sum;
}

int sysctl_cow_fork = 1;
int sysctl_zero_page = 1;
int sysctl_share_page_tables = 1;

void vmstat_init(void)
{
	sysctl_cow_fork = cmdline_bool("cow_fork", true);
	sysctl_zero_page = cmdline_bool("zero_page", true);
	sysctl_share_page_tables = cmdline_bool("share_page_tables", true);
}
