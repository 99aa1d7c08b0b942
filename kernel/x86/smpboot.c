/*
 * kernel/x86/smpboot.c - starting the application processors (APs).
 *
 * For each AP: fill the trampoline's parameter block (its stack, its
 * struct cpu), then the start-up sequence of Intel SDM Vol 3A §8.4.4.1
 * ("Typical BSP Initialization Sequence"; §9.4.4.1 in editions from 2023):
 * INIT IPI, 10 ms, START-UP IPI, 200 us, a second START-UP IPI, 200 us.  A
 * processor that already started ignores the second one.  The BSP then
 * waits for the AP to report from ap_entry(); only then may the parameter
 * block change for the next AP.  An AP that does not report within
 * AP_WAIT_NS might still wake up later and read the block, so no further
 * AP is started after one fails.
 *
 * Each AP's stacks (its scheduler stack, then its two IST stacks) are one
 * kvmalloc buffer, allocated only for CPUs that exist; an overflow of the
 * scheduler stack runs into the unmapped page below the buffer.
 */
#include "kernel/x86/smpboot.h"
#include "kernel/multiboot.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "kernel/x86/acpi.h"
#include "kernel/x86/apic.h"
#include "kernel/x86/cpu.h"
#include "kernel/x86/gdt.h"
#include "kernel/x86/time.h"
#include "kernel/x86/trap.h"
#include "kernel/x86/x86.h"
#include "mm/kvmalloc.h"
#include "mm/layout.h"
#include "mm/vm.h"

#define AP_STACK_SIZE 16384
#define AP_STACKS_SIZE (AP_STACK_SIZE + IST_AREA_SIZE)
#define INIT_DELAY_NS 10000000UL	/* 10 ms after INIT */
#define STARTUP_DELAY_NS 200000UL	/* 200 us after each START-UP */
#define AP_WAIT_NS 1000000000UL		/* a generous second under a loaded TCG */

/* The trampoline's parameter block, its last bytes (kernel/x86/trampoline.asm). */
struct trampoline_params {
	uint64_t cr3, stack, cpu, stacks, entry;
};

extern const char trampoline_start[], trampoline_end[];

static int ap_reported = -1;	/* id of the last AP to reach ap_entry's end */

/* The first C code of an AP, jumped to by the trampoline on its scheduler
 * stack, still on the trampoline's page tables: everything that makes it a
 * CPU of this kernel, in the order each step needs the one before, then
 * the scheduler.  C is its struct cpu, STACKS its kvmalloc buffer. */
void ap_entry(struct cpu *c, uint8_t *stacks);
__attribute__((noreturn)) void ap_entry(struct cpu *c, uint8_t *stacks)
{
	pagetable_activate(kernel_pml4);
	gdt_init(c->id, stacks + AP_STACK_SIZE);
	idt_load();
	cpu_init(c);
	lapic_init_ap();
	__atomic_store_n(&ap_reported, c->id, __ATOMIC_RELEASE);
	sti();
	scheduler();
}

static void delay_ns(uint64_t ns)
{
	uint64_t start = time_ns();

	while (time_ns() - start < ns)
		pause();
}

/* The trampoline's four pages must be RAM by the firmware's map and hold
 * nothing GRUB gave us. */
static bool trampoline_pages_free(void)
{
	bool ram = false;

	for (int i = 0; i < boot_info.nram; i++)
		ram |= boot_info.ram[i].start <= TRAMPOLINE_PA && boot_info.ram[i].end >= TRAMPOLINE_END_PA;
	if (boot_info.mbi_start < TRAMPOLINE_END_PA && boot_info.mbi_end > TRAMPOLINE_PA)
		return false;
	for (int i = 0; i < boot_info.nmodules; i++)
		if (boot_info.modules[i].start < TRAMPOLINE_END_PA &&
		    boot_info.modules[i].end > TRAMPOLINE_PA)
			return false;
	return ram;
}

/* Copy the trampoline and build its page tables: the first 2 MiB mapped at
 * 0 (one executable 2 MiB page), and the kernel half shared with
 * kernel_pml4, so the jump to ap_entry lands. */
static void trampoline_install(void)
{
	pte_t *pml4 = phys_to_virt(TRAMPOLINE_PML4_PA), *pdpt = phys_to_virt(TRAMPOLINE_PDPT_PA);
	pte_t *pd = phys_to_virt(TRAMPOLINE_PD_PA);

	memcpy(phys_to_virt(TRAMPOLINE_PA), trampoline_start, trampoline_end - trampoline_start);
	memset(pml4, 0, PAGE_SIZE);
	memset(pdpt, 0, PAGE_SIZE);
	memset(pd, 0, PAGE_SIZE);
	pd[0] = PTE_P | PTE_W | PTE_PS;
	pdpt[0] = TRAMPOLINE_PD_PA | PTE_P | PTE_W;
	pml4[0] = TRAMPOLINE_PDPT_PA | PTE_P | PTE_W;
	for (int i = 256; i < 512; i++)
		pml4[i] = kernel_pml4[i];
}

static bool start_ap(struct cpu *c, uint8_t *stacks)
{
	struct trampoline_params *tp = phys_to_virt(TRAMPOLINE_PA + (trampoline_end - trampoline_start) -
						    sizeof(struct trampoline_params));
	uint64_t start;

	tp->cr3 = TRAMPOLINE_PML4_PA;
	tp->stack = (uint64_t)stacks + AP_STACK_SIZE;
	tp->cpu = (uint64_t)c;
	tp->stacks = (uint64_t)stacks;
	tp->entry = (uint64_t)ap_entry;
	lapic_send_init(c->apic_id);
	delay_ns(INIT_DELAY_NS);
	for (int i = 0; i < 2; i++) {
		lapic_send_startup(c->apic_id, (uint8_t)(TRAMPOLINE_PA >> PAGE_SHIFT));
		delay_ns(STARTUP_DELAY_NS);
	}
	start = time_ns();
	while (__atomic_load_n(&ap_reported, __ATOMIC_ACQUIRE) != c->id)
		if (time_ns() - start > AP_WAIT_NS)
			return false;
	return true;
}

/* Start the APs one by one, until one fails. */
static void start_aps(void)
{
	trampoline_install();
	for (int i = 0; i < acpi_madt.ncpu && ncpu < NCPU; i++) {
		struct cpu *c = &cpus[ncpu];
		if (acpi_madt.apic_ids[i] == cpus[0].apic_id)
			continue;
		uint8_t *stacks = kvmalloc(AP_STACKS_SIZE);
		c->id = ncpu;
		c->apic_id = acpi_madt.apic_ids[i];
		if (!stacks) {
			pr_warn("smp: no memory for the stacks of more CPUs\n");
			break;
		}
		if (!start_ap(c, stacks)) {	/* its stacks stay: it may start yet */
			pr_warn("smp: the CPU with APIC ID %u did not start; starting no more\n",
				c->apic_id);
			break;
		}
		__atomic_store_n(&ncpu, ncpu + 1, __ATOMIC_RELEASE);
	}
}

void smp_boot(void)
{
	if (apic_active && acpi_madt.ncpu > 1) {
		if (trampoline_pages_free())
			start_aps();
		else
			pr_warn("smp: the trampoline pages at %lx are in use\n", TRAMPOLINE_PA);
	}
	pr_info("smp: %d CPU%s up\n", ncpu, ncpu == 1 ? "" : "s");
}
