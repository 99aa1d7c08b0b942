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
/* Resolve a write to the read-only shared page VA (entry PTE) of region R:
 * afterwards it maps a private frame with R's protection.  0 or -ENOMEM. */
int cow_fault(const struct region *r, uint64_t va, pte_t *pte);
/* From trap(): resolve the fault, or end the process, or panic. */
void page_fault(struct trapframe *tf);
/* Make ADDR accessible in VM for the access in FLAGS, as the region allows
 * (or, with FAULT_FORCE, as /proc/PID/mem may).  0 when the page is now
 * mapped (for a forced write: to a frame private to VM); -EFAULT (no region
 * or not allowed) or -ENOMEM (no frame). */
int vm_fault(struct vmspace *vm, uint64_t addr, int flags);
