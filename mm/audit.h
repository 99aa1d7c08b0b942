/*
 * mm/audit.h - the memory invariant checker (after Linux's CONFIG_DEBUG_VM
 * and page_table_check): every frame's reference count against the
 * references that really exist, sharing against write access, user entries
 * against their regions, the free list, and /proc/meminfo's sum.  mm/audit.c
 * tells how; docs/audit.md why copy-on-write needs each rule.
 *
 * Run on demand by writing 1 to /proc/sys/vm/audit (kernel/fs/procfs.c), and at
 * every exit and exec with `vm_audit=1` on the kernel command line.
 */
#pragma once
#include "kernel/lib.h"

/* What a violation breaks; each is printed as one `audit: ...` line. */
enum audit_kind {
	AUDIT_REFCOUNT,		/* a frame's count differs from the references found */
	AUDIT_WRITABLE_SHARED,	/* PTE_W on a frame with another holder, or refcount != 1 */
	AUDIT_NOT_COW,		/* a frame with another holder mapped without PTE_COW */
	AUDIT_OUTSIDE_REGION,	/* a user entry where no region is */
	AUDIT_PROT,		/* a user entry more permissive than its region */
	AUDIT_FREE,		/* a free frame mapped or counted; the free list wrong */
	AUDIT_KIND,		/* a frame used where its kind forbids (a user entry on a page table) */
	AUDIT_KSM,		/* the stable tree and FRAME_KSM disagree */
	AUDIT_VMSPACE,		/* vmspace.users differs from the processes using it */
	AUDIT_MEMINFO,		/* /proc/meminfo's categories do not add up to MemTotal */
	AUDIT_TABLE_SHARE,	/* a shared page table's PD entry writable or not PDE_TABLE_COW */
	NR_AUDIT_KINDS,
};

#define AUDIT_LINE 160

/* What one run found: violations by kind, and the text of the first. */
struct audit_report {
	uint64_t found[NR_AUDIT_KINDS];
	char first[AUDIT_LINE];
};

/*
 * Check every invariant over the whole system: every address space of the
 * process table (a vfork-shared one once), the kernel's own mappings, the
 * page cache, the KSM stable tree and the free list.  Prints each violation
 * on the console as `audit: ...` (naming pid, address and frame number where
 * there are ones) and returns how many there were; REP (may be NULL) gets
 * them by kind.  -ENOMEM when the per-frame counters (one kvmalloc buffer per
 * 256 MiB of RAM, taken by the first run and kept) cannot be had.  Takes
 * proc_lock: the caller must not hold it.  Allocates nothing after the first
 * run.
 */
long vm_audit(struct audit_report *rep);

/* Violations found since boot, by every run (/proc/sys/vm/audit reads it). */
uint64_t vm_audit_total(void);

/* With `vm_audit=1` on the command line: run vm_audit after EVENT ("exit",
 * "exec") of process PID and panic("vm_audit: ...") with the first violation
 * (a run without memory for its counters only says so on the console).
 * Does nothing otherwise. */
void vm_audit_checkpoint(const char *event, int pid);
