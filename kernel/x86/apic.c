/*
 * kernel/x86/apic.c - local APICs and the I/O APIC.
 *
 * Section numbers are those of Intel SDM Vol 3A up to its 2022 editions,
 * chapter 10 "Advanced Programmable Interrupt Controller (APIC)" (chapter 11
 * in later editions); the I/O APIC's registers are in Intel's 82093AA
 * datasheet §3.
 *
 * The local APIC's registers are 32 bits wide, 16 bytes apart, at the same
 * physical address on every CPU (each CPU reaches its own): one uncached
 * mapping serves all CPUs.  Its timer counts down from the initial count at
 * the bus clock divided by 16; the boot CPU measures how far it counts in
 * CALIBRATE_MS of TSC time, and every CPU then programs the count that
 * gives HZ interrupts a second (§10.5.4).
 */
#include "kernel/x86/apic.h"
#include "kernel/printk.h"
#include "kernel/spinlock.h"
#include "kernel/x86/acpi.h"
#include "kernel/x86/cpu.h"
#include "kernel/x86/ioremap.h"
#include "kernel/x86/pic.h"
#include "kernel/x86/time.h"
#include "kernel/x86/trap.h"
#include "kernel/x86/x86.h"

/* Local APIC register offsets (Table 10-1). */
#define LAPIC_ID 0x020
#define LAPIC_TPR 0x080
#define LAPIC_EOI 0x0B0
#define LAPIC_SVR 0x0F0
#define LAPIC_ESR 0x280
#define LAPIC_ICR_LOW 0x300
#define LAPIC_ICR_HIGH 0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_TIMER_INITIAL 0x380
#define LAPIC_TIMER_CURRENT 0x390
#define LAPIC_TIMER_DIVIDE 0x3E0

#define APIC_BASE_ENABLE (1UL << 11)	/* IA32_APIC_BASE global enable (§10.4.4) */
#define CPUID_1_EDX_APIC (1U << 9)
#define SVR_ENABLE (1U << 8)		/* software enable (§10.9) */
#define LVT_MASKED (1U << 16)
#define TIMER_PERIODIC (1U << 17)	/* §10.5.1, Figure 10-8 */
#define TIMER_DIVIDE_16 0x3		/* §10.5.4, Figure 10-10 */
/* Interrupt command register (§10.6.1, Figure 10-12). */
#define ICR_FIXED (0U << 8)
#define ICR_NMI (4U << 8)
#define ICR_INIT (5U << 8)
#define ICR_STARTUP (6U << 8)
#define ICR_PENDING (1U << 12)		/* delivery status: send pending */
#define ICR_ASSERT (1U << 14)
#define ICR_LEVEL (1U << 15)
#define ICR_ALL_BUT_SELF (3U << 18)

/* I/O APIC (82093AA datasheet §3.1, §3.2.4). */
#define IOAPIC_REGSEL 0
#define IOAPIC_WINDOW 4			/* in 32-bit words: offset 0x10 */
#define IOAPIC_VERSION 0x01
#define IOAPIC_REDIRECTION(n) (0x10 + 2 * (n))
#define REDIRECT_MASKED (1U << 16)
#define REDIRECT_LEVEL (1U << 15)
#define REDIRECT_ACTIVE_LOW (1U << 13)

#define CALIBRATE_MS 10

bool apic_active;
static volatile uint32_t *lapic;
static volatile uint32_t *ioapic;
static int ioapic_entries;
static uint32_t timer_initial_count;	/* one tick at HZ, bus clock / 16 */
static struct spinlock ioapic_lock = SPINLOCK_INIT("ioapic");

static uint32_t lapic_read(uint32_t reg)
{
	return lapic[reg / 4];
}

static void lapic_write(uint32_t reg, uint32_t v)
{
	lapic[reg / 4] = v;
}

uint32_t lapic_id(void)
{
	return lapic_read(LAPIC_ID) >> 24;
}

void lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

/* Send one IPI: destination first, then the low half, which sends it
 * (§10.6.1).  Interrupts off, so no handler on this CPU can send one in
 * between. */
static void icr_send(uint32_t apic_id, uint32_t low)
{
	uint64_t was = irq_save();

	while (lapic_read(LAPIC_ICR_LOW) & ICR_PENDING)
		pause();
	lapic_write(LAPIC_ICR_HIGH, apic_id << 24);
	lapic_write(LAPIC_ICR_LOW, low);
	while (lapic_read(LAPIC_ICR_LOW) & ICR_PENDING)
		pause();
	irq_restore(was);
}

void apic_send_ipi(int cpu, int vector)
{
	icr_send(cpus[cpu].apic_id, ICR_FIXED | (uint32_t)vector);
}

void apic_send_nmi_others(void)
{
	if (apic_active)
		icr_send(0, ICR_NMI | ICR_ASSERT | ICR_ALL_BUT_SELF);
}

/* Linux (smpboot.c, wakeup_secondary_cpu_via_init) sends the level-triggered
 * assert and then the de-assert that older processors need (§10.6.1). */
void lapic_send_init(uint32_t apic_id)
{
	icr_send(apic_id, ICR_INIT | ICR_LEVEL | ICR_ASSERT);
	icr_send(apic_id, ICR_INIT | ICR_LEVEL);
}

void lapic_send_startup(uint32_t apic_id, uint8_t vector)
{
	icr_send(apic_id, ICR_STARTUP | vector);
}

/* Everything about a local APIC but its timer and LINT0: enabled,
 * accepting every priority, the spurious vector, no board NMIs on LINT1. */
static void lapic_enable(void)
{
	wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_BASE_ENABLE);
	lapic_write(LAPIC_SVR, SVR_ENABLE | T_SPURIOUS);
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_LVT_LINT1, LVT_MASKED);
	lapic_write(LAPIC_LVT_ERROR, LVT_MASKED);
	lapic_write(LAPIC_ESR, 0);	/* back-to-back writes clear it (§10.5.3) */
	lapic_write(LAPIC_ESR, 0);
	lapic_eoi();
}

static void lapic_timer_start(void)
{
	lapic_write(LAPIC_TIMER_DIVIDE, TIMER_DIVIDE_16);
	lapic_write(LAPIC_LVT_TIMER, TIMER_PERIODIC | T_LOCAL_TIMER);
	lapic_write(LAPIC_TIMER_INITIAL, timer_initial_count);
}

/* Count down from the maximum, masked and one-shot, for CALIBRATE_MS of
 * TSC time; false when the timer did not move. */
static bool lapic_timer_calibrate(void)
{
	uint64_t start, elapsed;

	lapic_write(LAPIC_TIMER_DIVIDE, TIMER_DIVIDE_16);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | T_LOCAL_TIMER);
	lapic_write(LAPIC_TIMER_INITIAL, UINT32_MAX);
	start = time_ns();
	while (time_ns() - start < CALIBRATE_MS * 1000000UL)
		pause();
	uint32_t counted = UINT32_MAX - lapic_read(LAPIC_TIMER_CURRENT);
	elapsed = time_ns() - start;
	lapic_write(LAPIC_TIMER_INITIAL, 0);
	timer_initial_count = (uint32_t)((uint64_t)counted * (1000000000UL / HZ) / elapsed);
	return timer_initial_count > 0;
}

void lapic_init_ap(void)
{
	lapic_enable();
	lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);
	lapic_timer_start();
}

static uint32_t ioapic_read(uint32_t reg)
{
	ioapic[IOAPIC_REGSEL] = reg;
	return ioapic[IOAPIC_WINDOW];
}

static void ioapic_write(uint32_t reg, uint32_t v)
{
	ioapic[IOAPIC_REGSEL] = reg;
	ioapic[IOAPIC_WINDOW] = v;
}

/* Map the I/O APIC and mask all its inputs (bits 16-23 of the version
 * register: the highest redirection entry). */
static bool ioapic_init(void)
{
	if (!acpi_madt.ioapic_phys || !(ioapic = ioremap(acpi_madt.ioapic_phys, 0x20)))
		return false;
	ioapic_entries = (int)((ioapic_read(IOAPIC_VERSION) >> 16) & 0xFF) + 1;
	for (int i = 0; i < ioapic_entries; i++) {
		ioapic_write(IOAPIC_REDIRECTION(i) + 1, 0);
		ioapic_write(IOAPIC_REDIRECTION(i), REDIRECT_MASKED);
	}
	return true;
}

bool ioapic_route(int irq, int vector)
{
	uint32_t pin = acpi_madt.isa_gsi[irq] - acpi_madt.ioapic_gsi_base;
	uint16_t flags = acpi_madt.isa_flags[irq];
	uint32_t low = (uint32_t)vector;

	if (!apic_active)
		return false;
	if (pin >= (uint32_t)ioapic_entries) {
		pr_warn("apic: IRQ %d is GSI %u, beyond the I/O APIC\n", irq, acpi_madt.isa_gsi[irq]);
		return true;
	}
	if ((flags & MPS_POLARITY_LOW) == MPS_POLARITY_LOW)
		low |= REDIRECT_ACTIVE_LOW;
	if ((flags & MPS_TRIGGER_LEVEL) == MPS_TRIGGER_LEVEL)
		low |= REDIRECT_LEVEL;
	spin_lock(&ioapic_lock);
	ioapic_write(IOAPIC_REDIRECTION(pin) + 1, cpus[0].apic_id << 24);
	ioapic_write(IOAPIC_REDIRECTION(pin), low);
	spin_unlock(&ioapic_lock);
	return true;
}

bool apic_init(void)
{
	uint32_t r[4];

	cpuid(1, 0, r);
	if (!acpi_madt.present || !(r[3] & CPUID_1_EDX_APIC)) {
		pr_warn("apic: no local APIC described: staying with the PIC\n");
		return false;
	}
	if (!(lapic = ioremap(acpi_madt.lapic_phys, 0x400)) || !ioapic_init()) {
		pr_warn("apic: cannot map the local or I/O APIC: staying with the PIC\n");
		return false;
	}
	lapic_enable();
	if (!lapic_timer_calibrate()) {
		pr_warn("apic: the local APIC timer does not count: staying with the PIC\n");
		return false;
	}
	cpus[0].apic_id = lapic_id();
	/* The PIC's output goes quiet while LINT0 still takes it (ExtINT,
	 * virtual-wire mode): masking LINT0 first could leave a PIC interrupt
	 * announced that no longer exists, which QEMU then delivers as
	 * vector -1. */
	pic_disable();
	lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);
	apic_active = true;
	lapic_timer_start();
	pr_info("apic: local APIC timer at %lu MHz (%u counts a tick), I/O APIC with %d inputs\n",
		(uint64_t)timer_initial_count * HZ * 16 / 1000000, timer_initial_count,
		ioapic_entries);
	return true;
}
