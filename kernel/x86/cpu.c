/*
 * kernel/x86/cpu.c - per-CPU set-up: GS base, the syscall MSRs and the FPU.
 *
 * STAR holds the segment selectors syscall and sysret load: kernel code
 * 0x08 (data 0x10 follows), and for the return 0x10, from which the CPU
 * derives user data 0x18 and user code 0x20 (kernel/x86/gdt.h).  FMASK clears
 * IF, DF, TF and AC on entry, so the entry code runs with interrupts off.
 */
#include "kernel/x86/cpu.h"
#include "kernel/x86/gdt.h"
#include "kernel/spinlock.h"
#include "kernel/x86/x86.h"

#define EFER_SCE (1UL << 0)
#define CR0_MP (1UL << 1)
#define CR0_EM (1UL << 2)
#define CR0_TS (1UL << 3)
#define CR4_OSFXSR (1UL << 9)
#define CR4_OSXMMEXCPT (1UL << 10)
#define FMASK_BITS 0x47700UL	/* TF, IF, DF, IOPL, NT, AC */

struct cpu cpus[1];
struct irq_nesting irq_nesting;

extern char syscall_entry[];

static void fpu_init(void)
{
	uint64_t cr0 = read_cr0(), cr4 = read_cr4();

	cr0 = (cr0 & ~(CR0_EM | CR0_TS)) | CR0_MP;
	asm volatile("mov %0, %%cr0" : : "r"(cr0));
	asm volatile("mov %0, %%cr4" : : "r"(cr4 | CR4_OSFXSR | CR4_OSXMMEXCPT));
	asm volatile("fninit");
}

void cpu_init(void)
{
	wrmsr(MSR_GS_BASE, (uint64_t)&cpus[0]);
	wrmsr(MSR_KERNEL_GS_BASE, 0);
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	wrmsr(MSR_STAR, ((uint64_t)(SEG_KDATA) << 48) | ((uint64_t)SEG_KCODE << 32));
	wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
	wrmsr(MSR_FMASK, FMASK_BITS);
	fpu_init();
}
