/*
 * kernel/x86/cpu.h - per-CPU state, reached through the GS base in kernel mode.
 *
 * The syscall entry (kernel/x86/syscall_entry.asm) does `swapgs` and then uses
 * the first two fields by fixed offsets, so their order is part of the ABI
 * between the assembly and C.  One CPU today (cpus[0]); SMP would add more.
 */
#pragma once
#include "kernel/lib.h"

struct proc;
struct context;

struct cpu {
	uint64_t user_rsp;		/* offset 0: scratch for the syscall entry */
	uint64_t kernel_rsp;		/* offset 8: top of the current kernel stack */
	struct proc *proc;		/* running process, NULL in the scheduler */
	struct context *scheduler;	/* the scheduler loop's saved context */
	bool need_resched;		/* set by the timer: yield at the next chance */
};

extern struct cpu cpus[1];

static inline struct cpu *this_cpu(void) { return &cpus[0]; }
/* Point GS at this CPU's struct cpu and set up syscall/sysret and the FPU. */
void cpu_init(void);
