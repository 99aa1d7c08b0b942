/*
 * kernel/panic.c - the panic report: reason, registers, CR2 and the decoded
 * error code for page faults, and a backtrace with function names and source
 * lines, then power-off with status 125.
 *
 * The first CPU to panic owns the report: it stops every other CPU with an
 * NMI (which gets through even with interrupts off; they halt in
 * panic_stop_cpu), so nothing changes under the report and no other CPU
 * prints into it.  A CPU that panics while another one reports just stops.
 *
 * The backtrace follows the frame-pointer chain (the kernel is built with
 * -fno-omit-frame-pointer; boot.asm starts the chain with rbp = 0).  Every
 * frame pointer is checked against the kernel page tables before it is read,
 * so a corrupt stack ends the backtrace instead of faulting inside panic.
 */
#include "kernel/panic.h"
#include "kernel/ksyms.h"
#include "kernel/x86/apic.h"
#include "kernel/x86/cpu.h"
#include "kernel/x86/power.h"
#include "kernel/printk.h"
#include "kernel/x86/time.h"
#include "kernel/x86/trap.h"
#include "kernel/x86/x86.h"
#include "mm/layout.h"
#include "mm/vm.h"

#define MAX_FRAMES 32
#define STOP_WAIT_NS 100000000UL	/* how long the others get to stop */

static int panic_cpu = -1;	/* the CPU reporting a panic; -1: none */
static int cpus_stopped;	/* CPUs halted in panic_stop_cpu */

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

/* This CPU's number, without trusting this_cpu(): before cpu_init the GS
 * base is still 0, and that is the boot CPU. */
static int panic_cpu_id(void)
{
	const struct cpu *c = (const struct cpu *)rdmsr(MSR_GS_BASE);

	return c ? c->id : 0;
}

bool panic_in_progress(void)
{
	return __atomic_load_n(&panic_cpu, __ATOMIC_ACQUIRE) >= 0;
}

void panic_stop_cpu(void)
{
	__atomic_add_fetch(&cpus_stopped, 1, __ATOMIC_RELEASE);
	for (;;) {
		cli();
		hlt();
	}
}

/* NMI every other CPU and wait (a while) until they have halted. */
static void stop_other_cpus(void)
{
	uint64_t start = time_ns();

	if (ncpu == 1)
		return;
	apic_send_nmi_others();
	while (__atomic_load_n(&cpus_stopped, __ATOMIC_ACQUIRE) < ncpu - 1 &&
	       time_ns() - start < STOP_WAIT_NS)
		pause();
	console_panic_unlock();
}

static void print_stopped(void)
{
	if (ncpu > 1)
		printk(LOG_ERROR, "  %d of %d other CPUs stopped\n",
		       __atomic_load_n(&cpus_stopped, __ATOMIC_ACQUIRE), ncpu - 1);
}

/* Become the reporting CPU and return its number.  A panic inside the
 * report powers off at once rather than loop; a panic while another CPU
 * reports stops this one. */
static int enter_panic(void)
{
	int me = panic_cpu_id(), none = -1;

	cli();
	if (!__atomic_compare_exchange_n(&panic_cpu, &none, me, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		if (none == me)
			machine_exit(EXIT_PANIC);
		panic_stop_cpu();
	}
	stop_other_cpus();
	return me;
}

void panic_trap(struct trapframe *tf, const char *reason)
{
	int cpu = enter_panic();

	printk(LOG_ERROR, "\nKERNEL PANIC on CPU %d: %s\n", cpu, reason);
	print_stopped();
	print_fault(tf);
	print_registers(tf);
	backtrace(tf->rip, tf->rbp);
	machine_exit(EXIT_PANIC);
}

void panic(const char *fmt, ...)
{
	va_list ap;
	int cpu = enter_panic();

	printk(LOG_ERROR, "\nKERNEL PANIC on CPU %d: ", cpu);
	va_start(ap, fmt);
	vprintk(LOG_ERROR, fmt, ap);
	va_end(ap);
	printk(LOG_ERROR, "\n");
	print_stopped();
	backtrace((uint64_t)panic, (uint64_t)__builtin_frame_address(0));
	machine_exit(EXIT_PANIC);
}
