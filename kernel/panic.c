/*
 * kernel/panic.c - the panic report: reason, registers, CR2 and the decoded
 * error code for page faults, and a backtrace with function names and source
 * lines, then power-off with status 125.
 *
 * The backtrace follows the frame-pointer chain (the kernel is built with
 * -fno-omit-frame-pointer; boot.asm starts the chain with rbp = 0).  Every
 * frame pointer is checked against the kernel page tables before it is read,
 * so a corrupt stack ends the backtrace instead of faulting inside panic.
 */
#include "kernel/panic.h"
#include "kernel/ksyms.h"
#include "kernel/x86/power.h"
#include "kernel/printk.h"
#include "kernel/x86/trap.h"
#include "kernel/x86/x86.h"
#include "mm/layout.h"
#include "mm/vm.h"

#define MAX_FRAMES 32

static int panicking;

static bool readable(uint64_t addr)
{
	uint64_t pa;
	pte_t *pml4 = phys_to_virt(read_cr3() & PTE_ADDR_MASK);

	return addr >= DIRECT_MAP_BASE && (addr & 7) == 0 &&
	       translate(pml4, addr, &pa) && translate(pml4, addr + 8, &pa);
}

/* `#N ADDR name+OFF (file:line)`, as far as the tables know ADDR; one
 * printk, so that the line stays whole. */
static void print_frame(int n, uint64_t rip)
{
	uint64_t off;
	const char *name = ksym_lookup(rip, &off);
	const char *file;
	unsigned line;
	char source[96] = "";

	if (ksym_line(rip, &file, &line))
		snprintf(source, sizeof(source), " (%s:%u)", file, line);
	if (name)
		printk(LOG_ERROR, "  #%d 0x%016lx %s+0x%lx%s\n", n, rip, name, off, source);
	else
		printk(LOG_ERROR, "  #%d 0x%016lx ?%s\n", n, rip, source);
}

static void backtrace(uint64_t rip, uint64_t rbp)
{
	printk(LOG_ERROR, "backtrace:\n");
	print_frame(0, rip);
	for (int n = 1; n < MAX_FRAMES && rbp && readable(rbp); n++) {
		uint64_t *frame = (uint64_t *)rbp;
		if (!frame[1])
			break;
		/* the return address points after the call; -1 is inside it,
		 * so the name and line are those of the call */
		print_frame(n, frame[1] - 1);
		if (frame[0] <= rbp)
			break;
		rbp = frame[0];
	}
}

static void print_registers(const struct trapframe *tf)
{
	printk(LOG_ERROR, "  rip=%016lx cs=%lx rflags=%016lx\n", tf->rip, tf->cs, tf->rflags);
	printk(LOG_ERROR, "  rsp=%016lx ss=%lx rbp=%016lx\n", tf->rsp, tf->ss, tf->rbp);
	printk(LOG_ERROR, "  rax=%016lx rbx=%016lx rcx=%016lx\n", tf->rax, tf->rbx, tf->rcx);
	printk(LOG_ERROR, "  rdx=%016lx rsi=%016lx rdi=%016lx\n", tf->rdx, tf->rsi, tf->rdi);
	printk(LOG_ERROR, "  r8 =%016lx r9 =%016lx r10=%016lx\n", tf->r8, tf->r9, tf->r10);
	printk(LOG_ERROR, "  r11=%016lx r12=%016lx r13=%016lx\n", tf->r11, tf->r12, tf->r13);
	printk(LOG_ERROR, "  r14=%016lx r15=%016lx\n", tf->r14, tf->r15);
	printk(LOG_ERROR, "  cr0=%016lx cr3=%016lx cr4=%016lx\n", read_cr0(), read_cr3(), read_cr4());
}

static void print_fault(const struct trapframe *tf)
{
	uint64_t e = tf->error;

	printk(LOG_ERROR, "  vector=%lu (%s) err=0x%lx", tf->vector, trap_name(tf->vector), e);
	if (tf->vector == T_PAGE_FAULT)
		printk(LOG_ERROR, " [%s, %s, %s%s%s] cr2=0x%lx",
		       e & PF_PRESENT ? "protection" : "not present",
		       e & PF_WRITE ? "write" : "read", e & PF_USER ? "user" : "kernel",
		       e & PF_INSTR ? ", instruction fetch" : "",
		       e & PF_RSVD ? ", reserved bit" : "", read_cr2());
	printk(LOG_ERROR, "\n");
}

/* Stop here when panic itself goes wrong, rather than loop. */
static void enter_panic(void)
{
	cli();
	if (panicking++)
		machine_exit(EXIT_PANIC);
}

void panic_trap(struct trapframe *tf, const char *reason)
{
	enter_panic();
	printk(LOG_ERROR, "\nKERNEL PANIC: %s\n", reason);
	print_fault(tf);
	print_registers(tf);
	backtrace(tf->rip, tf->rbp);
	machine_exit(EXIT_PANIC);
}

void panic(const char *fmt, ...)
{
	va_list ap;

	enter_panic();
	printk(LOG_ERROR, "\nKERNEL PANIC: ");
	va_start(ap, fmt);
	vprintk(LOG_ERROR, fmt, ap);
	va_end(ap);
	printk(LOG_ERROR, "\n");
	backtrace((uint64_t)panic, (uint64_t)__builtin_frame_address(0));
	machine_exit(EXIT_PANIC);
}
