/*
 * kernel/x86/trap.c - the IDT and trap(), where every exception and interrupt
 * arrives with its trap frame.  trap() only routes: page faults to
 * page_fault() (mm/fault.c, the one place that decides what a fault means),
 * hardware interrupts to their registered handler, other exceptions to
 * exception() below.
 */
#include "kernel/x86/trap.h"
#include "kernel/x86/gdt.h"
#include "kernel/panic.h"
#include "kernel/x86/pic.h"
#include "kernel/printk.h"
#include "kernel/proc.h"
#include "kernel/signal.h"
#include "kernel/syscall.h"
#include "mm/fault.h"

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
	return "unexpected interrupt";
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

void idt_init(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) p = { sizeof(idt) - 1, (uint64_t)idt };

	for (int v = 0; v < 256; v++)
		set_gate(v, trap_stubs[v], v == T_DOUBLE_FAULT ? IST_DOUBLE_FAULT : 0,
			 v == T_BREAKPOINT ? 3 : 0);
	asm volatile("lidt %0" : : "m"(p));
}

void irq_register(int irq, irq_handler_fn fn)
{
	irq_handlers[irq] = fn;
	pic_unmask(irq);
}

static void interrupt(struct trapframe *tf)
{
	int irq = (int)(tf->vector - T_IRQ0);

	if (pic_is_spurious(irq))
		return;
	pic_eoi(irq);
	if (irq_handlers[irq])
		irq_handlers[irq](tf);
}

/* The signal a user-mode exception sends, as Linux sends it. */
static int exception_signal(uint64_t vector)
{
	switch (vector) {
	case T_DIVIDE: case T_X87: case T_SIMD: return SIGFPE;
	case T_INVALID_OP: return SIGILL;
	case T_DEBUG: case T_BREAKPOINT: return SIGTRAP;
	case T_ALIGN: return SIGBUS;
	default: return SIGSEGV;
	}
}

/* An exception that is not a page fault: the process's error, or a kernel bug. */
static void exception(struct trapframe *tf)
{
	struct proc *p = current();

	if (!trap_from_user(tf))
		panic_trap(tf, trap_name(tf->vector));
	printk(LOG_ERROR, "pid %d (%s): %s at ip %lx\n", p->pid, p->name,
	       trap_name(tf->vector), tf->rip);
	force_sig(exception_signal(tf->vector));
}

void trap(struct trapframe *tf)
{
	if (tf->vector == T_PAGE_FAULT)
		page_fault(tf);
	else if (tf->vector >= T_IRQ0 && tf->vector < T_IRQ0 + 16)
		interrupt(tf);
	else if (tf->vector == T_SPURIOUS)
		return;
	else
		exception(tf);
	if (trap_from_user(tf))
		user_return();
}
