/*
 * mm/fault.h - the page-fault handler: the one place that decides what a page
 * fault means.
 */
#pragma once
#include "kernel/lib.h"

struct trapframe;
struct vmspace;

#define FAULT_WRITE (1 << 0)
#define FAULT_EXEC (1 << 1)
/* Access as /proc/PID/mem does (Linux's FOLL_FORCE): whatever the region's
 * protection; a write then gets a private copy that stays read-only. */
#define FAULT_FORCE (1 << 2)

#include "mm/pte.h"

struct region;

/* The shared frame of zeros that untouched anonymous memory reads from. */
extern uint64_t zero_frame;
/* Allocate the zero frame; read trace=fault. */
void fault_init(void);
/* Resolve a write to the read-only shared page VA of region R, whose entry
 * was ORIG when the fault looked: afterwards it maps a private frame with
 * R's protection (or another CPU changed it: the access retries).  Caller
 * holds VM's mmap_lock.  0 or -ENOMEM. */
int cow_fault(struct vmspace *vm, const struct region *r, uint64_t va, pte_t orig);
/* trace=fault: one console line for the decision WHAT at VA (frames OLD ->
 * PA; OLD 0 for a first mapping).  mm/ptshare.c names its table decisions
 * with it. */
void fault_trace(uint64_t va, const char *what, uint64_t old, uint64_t pa);
/* From trap(): resolve the fault, or end the process, or panic. */
void page_fault(struct trapframe *tf);
/* Make ADDR accessible in VM for the access in FLAGS, as the region allows
 * (or, with FAULT_FORCE, as /proc/PID/mem may).  0 when the page is now
 * mapped (for a forced write: to a frame private to VM); -EFAULT (no region
 * or not allowed) or -ENOMEM (no frame).  The caller holds VM's mmap_lock
 * (for reading at least); page_table_lock is taken here. */
int vm_fault(struct vmspace *vm, uint64_t addr, int flags);
/* Would an access with FLAGS to the present entry E need cow_fault first?
 * (mm/access.c re-checks an entry under page_table_lock with it.) */
bool pte_needs_cow(pte_t e, int flags);
