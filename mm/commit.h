/*
 * mm/commit.h - overcommit accounting (mm/commit.c tells why copy-on-write
 * needs it): Committed_AS, CommitLimit and /proc/sys/vm/overcommit_*.
 * Units are pages of PAGE_SIZE bytes.
 */
#pragma once
#include "kernel/lib.h"

struct vmspace;

/* /proc/sys/vm/overcommit_memory values (Linux's OVERCOMMIT_*). */
#define OVERCOMMIT_GUESS 0
#define OVERCOMMIT_ALWAYS 1
#define OVERCOMMIT_NEVER 2

extern int sysctl_overcommit_memory;	/* 0, 1 or 2 */
extern int sysctl_overcommit_ratio;	/* percent of RAM for CommitLimit (default 50) */

/* Charge PAGES more to Committed_AS for VM (NULL: no process), or refuse:
 * 0 or -ENOMEM, as overcommit_memory says (Linux: __vm_enough_memory). */
int vm_enough_memory(struct vmspace *vm, uint64_t pages);
/* Give back PAGES charged by vm_enough_memory. */
void vm_unacct_memory(uint64_t pages);
/* Is a private mapping with PROT (PROT_*) charged?  Writable ones are;
 * MAP_NORESERVE ones (NORESERVE) only in strict mode (Linux:
 * accountable_mapping and the VM_NORESERVE rule of mmap_region). */
bool vm_accountable(int prot, bool noreserve);
/* CommitLimit: RAM * overcommit_ratio / 100 (no swap, no huge pages). */
uint64_t vm_commit_limit(void);
/* Committed_AS: the pages charged now. */
uint64_t vm_committed_pages(void);
