/*
 * kernel/x86/gdt.h - segments and the task state segment.
 * Long mode ignores segment bases and limits, but the CPU still needs code
 * and data descriptors for ring 0 and ring 3 (in the order syscall/sysret
 * expect), and a TSS for the stack it switches to on a trap from user mode.
 */
#pragma once
#include <stdint.h>

#define SEG_KCODE 0x08
#define SEG_KDATA 0x10
#define SEG_UDATA (0x18 | 3)
#define SEG_UCODE (0x20 | 3)
#define SEG_TSS 0x28

#define IST_DOUBLE_FAULT 1

void gdt_init(void);
/* The stack the CPU loads on a trap or interrupt from user mode. */
void tss_set_kernel_stack(uint64_t rsp0);
