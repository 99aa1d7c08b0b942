/*
 * kernel/x86/trap.c - the IDT and trap(), where every exception and interrupt
 * arrives with its trap frame.  trap() only routes: page faults to
 * page_fault() (mm/fault.c, the one place that decides what a fault means),
 * device interrupts to their registered handler, the local APIC's own
 * vectors (timer, IPIs) to theirs, other exceptions to exception() below.
 * One IDT serves every CPU.
 */
#include "kernel/x86/trap.h"
#include "kernel/x86/apic.h"
#include "kernel/x86/gdt.h"
#include "kernel/panic.h"
#include "kernel/x86/pic.h"
#include "kernel/x86/time.h"
#include "kernel/printk.h"
#include "kernel/proc.h"
#include "kernel/signal/signal.h"
#include "kernel/syscall.h"
#include "mm/fault.h"
#include "mm/tlb.h"

struct idt_gate {
	uint16_t offset_low, selector;
	uint8_t ist, type;
	uint16_t offset_mid;
	uint32_t offset_high, reserved;
} __attribute__((packed));

static struct idt_gate idt[256];
static irq_handler_fn irq_handlers[16];
extern const uint64_t trap_stubs[256];

static const char *const exception_names[32] = {
	"divide error", "debug", "NMI", "breakpoint", "overflow", "bound range",
	"invalid opcode", "device not available", "double fault",
	"coprocessor segment overrun", "invalid TSS", "segment not present",
	"stack fault", "general protection fault", "page fault", "reserved",
	"x87 floating point", "alignment check", "machine check", "SIMD floating point",
	"virtualization", "control protection",
};

const char *trap_name(uint64_t vector)
{
	if (vector < 32)
		return exception_names[vector] ? exception_names[vector] : "reserved";
	if (vector >= T_IRQ0 && vector < T_IRQ0 + 16)
		return "hardware interrupt";
	switch (vector) {
	case T_LOCAL_TIMER: return "local APIC timer";
	case T_TLB_SHOOTDOWN: return "TLB shootdown IPI";
	case T_RESCHEDULE: return "reschedule IPI";
	case T_SPURIOUS: return "spurious interrupt";
	default: return "unexpected interrupt";
	}
}

static void set_gate(int vector, uint64_t handler, int ist, int dpl)
{
	idt[vector] = (struct idt_gate){
		.offset_low = handler & 0xFFFF,
		.selector = SEG_KCODE,
		.ist = (uint8_t)ist,
		.type = (uint8_t)(0x8E | (dpl << 5)),	/* present, interrupt gate */
		.offset_mid = (handler >> 16) & 0xFFFF,
		.offset_high = (uint32_t)(handler >> 32),
	};
}

static int gate_ist(int vector)
{
	if (vector == T_DOUBLE_FAULT)
		return IST_DOUBLE_FAULT;
	return vector == T_NMI ? IST_NMI : 0;
}

void idt_init(void)
{
	for (int v = 0; v < 256; v++)
		set_gate(v, trap_stubs[v], gate_ist(v), v == T_BREAKPOINT ? 3 : 0);
	idt_load();
}

void idt_load(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) p = { sizeof(idt) - 1, (uint64_t)idt };

	asm volatile("lidt %0" : : "m"(p));
}

void irq_register(int irq, irq_handler_fn fn)
{
	irq_handlers[irq] = fn;
	if (!ioapic_route(irq, T_IRQ0 + irq))
		pic_unmask(irq);
}

static void interrupt(struct trapframe *tf)
{
	int irq = (int)(tf->vector - T_IRQ0);

	if (apic_active)
		lapic_eoi();
	else if (pic_is_spurious(irq))
		return;
	else
		pic_eoi(irq);
	if (irq_handlers[irq])
		irq_handlers[irq](tf);
}

/* The only NMIs we send stop a CPU for a panic elsewhere.  Any other is
 * ignored (Linux logs "NMI received for unknown reason"): it may have
 * arrived on the first instructions of the syscall entry, with the user's
 * GS base still loaded, where not even printk could run. */
static void nmi(void)
{
	if (panic_in_progress())
		panic_stop_cpu();
}

/* The local APIC's own vectors; false for anything else. */
static bool apic_vector(struct trapframe *tf)
{
	switch (tf->vector) {
	case T_LOCAL_TIMER:
		lapic_eoi();
		time_tick(trap_from_user(tf));
		return true;
	case T_TLB_SHOOTDOWN:
		tlb_shootdown_interrupt();
		lapic_eoi();
		return true;
	case T_RESCHEDULE:	/* waking from hlt was the point */
		lapic_eoi();
		return true;
	default:
		return false;
	}
}

/* What a user-mode exception sends, as Linux does (arch/x86/kernel/traps.c):
 * the signal, its si_code, and whether si_addr is the faulting instruction
 * (#DE, #MF, #XM, #UD, #DB) or none (#GP, int3, #AC). */
struct exception_signal {
	int sig, code;
	bool at_ip;
};

static struct exception_signal exception_signal(uint64_t vector)
{
	switch (vector) {
	case T_DIVIDE: return (struct exception_signal){ SIGFPE, FPE_INTDIV, true };
	case T_X87: case T_SIMD: return (struct exception_signal){ SIGFPE, SI_KERNEL, true };
	case T_INVALID_OP: return (struct exception_signal){ SIGILL, ILL_ILLOPN, true };
	case T_DEBUG: return (struct exception_signal){ SIGTRAP, TRAP_BRKPT, true };
	case T_BREAKPOINT: return (struct exception_signal){ SIGTRAP, SI_KERNEL, false };
	case T_ALIGN: return (struct exception_signal){ SIGBUS, BUS_ADRALN, false };
	default: return (struct exception_signal){ SIGSEGV, SI_KERNEL, false };
	}
}

/* An exception that is not a page fault: the process's error (logged when
 * no handler takes its signal), or a kernel bug. */
static void exception(struct trapframe *tf)
{
	struct proc *p = current();

	if (!trap_from_user(tf))
		panic_trap(tf, trap_name(tf->vector));
	struct exception_signal es = exception_signal(tf->vector);
	if (signal_unhandled(es.sig))
		printk(LOG_ERROR, "pid %d (%s): %s at ip %lx\n", p->pid, p->name,
		       trap_name(tf->vector), tf->rip);
	force_sig_fault(es.sig, es.code, es.at_ip ? tf->rip : 0);
}

void trap(struct trapframe *tf)
{
	if (tf->vector == T_NMI)
		nmi();
	else if (tf->vector == T_PAGE_FAULT)
		page_fault(tf);
	else if (tf->vector >= T_IRQ0 && tf->vector < T_IRQ0 + 16)
		interrupt(tf);
	else if (tf->vector == T_SPURIOUS)
		return;
	else if (!apic_vector(tf))
		exception(tf);
	if (trap_from_user(tf))
		user_return();
}
