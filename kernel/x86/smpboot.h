/*
 * kernel/x86/smpboot.h - starting the application processors.
 *
 * The boot CPU, with its local APIC running (kernel/x86/apic.h), starts each
 * other processor the MADT lists, one at a time, through the real-mode
 * trampoline (kernel/x86/trampoline.asm) and the INIT / START-UP IPIs; each
 * comes up in ap_entry() with its own GDT, TSS, stacks and struct cpu, and
 * ends in scheduler().  ncpu (kernel/x86/cpu.h) counts those that came up.
 */
#pragma once

/* Where the trampoline and its page tables live: four pages of
 * conventional memory below 1 MiB (the START-UP vector is a page number
 * there), never handed out by the frame allocator, which reserves all
 * memory below the kernel image (mm/frame.c). */
#define TRAMPOLINE_PA 0x8000UL
#define TRAMPOLINE_PML4_PA 0x9000UL
#define TRAMPOLINE_PDPT_PA 0xA000UL
#define TRAMPOLINE_PD_PA 0xB000UL
#define TRAMPOLINE_END_PA 0xC000UL

/* Start every other CPU; logs "smp: N CPUs up".  On the boot CPU, after
 * apic_init(), with interrupts on. */
void smp_boot(void);
