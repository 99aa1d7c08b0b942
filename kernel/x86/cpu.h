/*
 * kernel/x86/cpu.h - per-CPU state, reached through the GS base in kernel mode.
 *
 * Each CPU has one struct cpu in cpus[], indexed by its logical number
 * (cpu->id: 0 is the boot CPU, then the application processors in the order
 * kernel/x86/smpboot.c started them).  In kernel mode the GS base points at
 * it, and its `self` field points back at it, so this_cpu() is one load
 * through %gs (Linux: this_cpu_read(current_task)) and needs no knowledge of
 * which CPU we are on.
 *
 * The syscall entry (kernel/x86/syscall_entry.asm) does `swapgs` and then uses
 * the first two fields by fixed offsets, so their order is part of the ABI
 * between the assembly and C; `self` at offset 16 is this_cpu()'s.
 */
#pragma once
#include "kernel/lib.h"
#include "kernel/lockdep.h"

#define NCPU 16			/* most CPUs the kernel starts; cpus_allowed masks are 64 bits */

struct proc;
struct context;

/* Interrupt-off nesting of one CPU (push_off/pop_off in kernel/spinlock.h). */
struct irq_nest {
	int depth;
	uint64_t enabled_before;
};

/* What CPUID says about a processor (Intel SDM Vol 2A, CPUID), for /proc/cpuinfo. */
struct cpu_ident {
	char vendor[13];		/* leaf 0, e.g. "GenuineIntel" */
	char model_name[49];		/* leaves 0x80000002..4, the brand string */
	uint32_t family, model, stepping;	/* leaf 1 EAX, extended fields folded in */
	uint32_t cpuid_level;		/* highest standard leaf */
	uint32_t features_edx, features_ecx;	/* leaf 1 EDX and ECX */
	uint8_t phys_bits, virt_bits;	/* leaf 0x80000008 */
};

struct cpu {
	uint64_t user_rsp;		/* offset 0: scratch for the syscall entry */
	uint64_t kernel_rsp;		/* offset 8: top of the current kernel stack */
	struct cpu *self;		/* offset 16: this_cpu() reads it through %gs */
	int id;				/* index in cpus[] */
	uint32_t apic_id;		/* local APIC ID (ACPI MADT, CPUID leaf 1) */
	struct proc *proc;		/* running process, NULL in the scheduler */
	struct context *scheduler;	/* the scheduler loop's saved context */
	struct irq_nest irq;		/* push_off/pop_off depth of this CPU */
	struct held_locks held;		/* the spin locks it holds (kernel/lockdep.c) */
	bool need_resched;		/* set by the timer: yield at the next chance */
	bool idle;			/* halted in scheduler(): a wakeup sends T_RESCHEDULE */
	uint64_t ticks_user, ticks_system, ticks_idle;	/* timer ticks by what they hit */
	uint64_t context_switches;	/* processes switched to (/proc/stat ctxt) */
	struct cpu_ident ident;
};

extern struct cpu cpus[NCPU];
/* CPUs up and scheduling: cpus[0 .. ncpu-1]. */
extern int ncpu;

/* This CPU's struct cpu.  Volatile, so that a load after a context switch
 * is never replaced by one from before it: the process may now run on
 * another CPU. */
static inline struct cpu *this_cpu(void)
{
	struct cpu *c;

	asm volatile("mov %%gs:16, %0" : "=r"(c));
	return c;
}

/* This CPU's index in cpus[]. */
static inline int cpu_id(void) { return this_cpu()->id; }

/* Bit mask of the online CPUs (bit i = cpus[i]). */
static inline uint64_t cpu_online_mask(void) { return (1UL << ncpu) - 1; }

/* Make C this CPU's struct cpu: GS base, syscall/sysret MSRs, the FPU, and
 * CPUID identification.  Every CPU calls it once, before anything that uses
 * this_cpu(). */
void cpu_init(struct cpu *c);
