/*
 * kernel/x86/trap.h - the trap frame and interrupt routing.
 *
 * Every exception, interrupt and (later) the syscall path saves the same
 * struct trapframe on the kernel stack (kernel/x86/trap_entry.asm), so C code and
 * gdb see one layout for "the registers when we entered the kernel".
 */
#pragma once
#include <stdint.h>

struct trapframe {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	/* pushed by the CPU */
	uint64_t rip, cs, rflags, rsp, ss;
};

enum {
	T_DIVIDE = 0, T_DEBUG = 1, T_NMI = 2, T_BREAKPOINT = 3, T_OVERFLOW = 4,
	T_BOUND = 5, T_INVALID_OP = 6, T_NO_DEVICE = 7, T_DOUBLE_FAULT = 8,
	T_INVALID_TSS = 10, T_NO_SEGMENT = 11, T_STACK = 12, T_GPF = 13,
	T_PAGE_FAULT = 14, T_X87 = 16, T_ALIGN = 17, T_MACHINE_CHECK = 18,
	T_SIMD = 19,
	T_IRQ0 = 32,		/* ISA IRQs 0..15 (8259 PIC or I/O APIC) -> vectors 32..47 */
	T_LOCAL_TIMER = 0xF0,	/* each CPU's local APIC timer (kernel/x86/apic.c) */
	T_TLB_SHOOTDOWN = 0xF1,	/* IPI: flush this CPU's TLB (mm/tlb.h) */
	T_RESCHEDULE = 0xF2,	/* IPI: an idle CPU has a process to run (kernel/sched.c) */
	T_SPURIOUS = 0xFF,	/* local APIC spurious interrupt: no EOI */
};

/* Page-fault error code bits. */
#define PF_PRESENT (1 << 0)
#define PF_WRITE (1 << 1)
#define PF_USER (1 << 2)
#define PF_RSVD (1 << 3)
#define PF_INSTR (1 << 4)

static inline int trap_from_user(const struct trapframe *tf) { return (tf->cs & 3) == 3; }

typedef void (*irq_handler_fn)(struct trapframe *tf);
void irq_register(int irq, irq_handler_fn fn);
/* Build the IDT and load it on the boot CPU. */
void idt_init(void);
/* Load the (one, shared) IDT on this CPU. */
void idt_load(void);
const char *trap_name(uint64_t vector);
/* C entry from trap_entry.asm. */
void trap(struct trapframe *tf);
