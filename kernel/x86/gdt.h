/*
 * kernel/x86/gdt.h - segments and the task state segment, one set per CPU.
 * Long mode ignores segment bases and limits, but the CPU still needs code
 * and data descriptors for ring 0 and ring 3 (in the order syscall/sysret
 * expect), and a TSS for the stack it switches to on a trap from user mode.
 * Each CPU has its own GDT, because the TSS descriptor it loads with `ltr`
 * is marked busy (Intel SDM Vol 3A §7.2.2), and its own TSS, because RSP0 is
 * the kernel stack of the process that CPU runs.
 */
#pragma once
#include <stdint.h>

#define SEG_KCODE 0x08
#define SEG_KDATA 0x10
#define SEG_UDATA (0x18 | 3)
#define SEG_UCODE (0x20 | 3)
#define SEG_TSS 0x28

/* Interrupt stack table slots (Intel SDM Vol 3A §6.14.5): faults that must
 * not trust the current stack get one of their own. */
#define IST_DOUBLE_FAULT 1
#define IST_NMI 2
#define IST_STACK_SIZE 8192
#define IST_AREA_SIZE (2 * IST_STACK_SIZE)	/* a CPU's two IST stacks */

/* Load CPU's GDT and TSS (CPU = index in cpus[]), with its IST stacks in
 * IST_AREA (IST_AREA_SIZE bytes; NULL for the boot CPU, whose are static).
 * Before cpu_init. */
void gdt_init(int cpu, void *ist_area);
/* The stack this CPU loads on a trap or interrupt from user mode. */
void tss_set_kernel_stack(uint64_t rsp0);
