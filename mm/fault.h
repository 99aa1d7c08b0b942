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

#include "mm/pte.h"

struct region;

/* The shared frame of zeros that untouched anonymous memory reads from. */
extern uint64_t zero_frame;
/* Allocate the zero frame; read trace=fault. */
void fault_init(void);
/* Resolve a write to the read-only PTE_COW page VA (entry PTE) of region R. */
int cow_fault(const struct region *r, uint64_t va, pte_t *pte);
/* From trap(): resolve the fault, or end the process, or panic. */
void page_fault(struct trapframe *tf);
/* Make ADDR accessible in VM for the access in FLAGS, as the region allows.
 * 0 when the page is now mapped; -EFAULT (no region or not allowed) or
 * -ENOMEM (no frame). */
int vm_fault(struct vmspace *vm, uint64_t addr, int flags);
