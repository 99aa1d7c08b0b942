/*
 * kernel/x86/time.c - the timer tick and the TSC clock.
 *
 * Calibration: PIT channel 2 counts down for a known 10 ms (its input clock is
 * 1193182 Hz) while we read the TSC before and after; that gives TSC ticks
 * per nanosecond as a 32.32 fixed-point factor.  Channel 0 then interrupts
 * HZ times a second on IRQ 0, until the local APIC timers take over
 * (kernel/x86/apic.c, calibrated against time_ns()): from then on every CPU
 * has its own tick, and time_tick() runs on each.
 */
#include "kernel/x86/time.h"
#include "kernel/printk.h"
#include "kernel/x86/cpu.h"
#include "kernel/x86/rtc.h"
#include "kernel/x86/trap.h"
#include "kernel/x86/x86.h"

#define PIT_HZ 1193182
#define PIT_CH0 0x40
#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PIT_GATE 0x61
#define CALIBRATE_MS 10

static uint64_t tsc_boot;
static uint64_t ns_per_tsc_32;	/* nanoseconds per TSC tick, << 32 */
static uint64_t tsc_khz;
static uint64_t boot_realtime_ns;	/* CLOCK_REALTIME when time_ns() was 0 */
static volatile uint64_t ticks;
static void (*tick_hook)(bool from_user);

static uint64_t measure_tsc_per_calibration(void)
{
	uint16_t count = PIT_HZ * CALIBRATE_MS / 1000;

	outb(PIT_GATE, (inb(PIT_GATE) & ~0x02) | 0x01);	/* gate on, speaker off */
	outb(PIT_CMD, 0xB0);				/* ch2, lo/hi, mode 0 */
	outb(PIT_CH2, count & 0xFF);
	outb(PIT_CH2, count >> 8);
	uint64_t start = rdtsc();
	while (!(inb(PIT_GATE) & 0x20))			/* OUT2 goes high at 0 */
		pause();
	return rdtsc() - start;
}

void time_tick(bool from_user)
{
	if (cpu_id() == 0)
		ticks++;
	if (tick_hook)
		tick_hook(from_user);
}

static void pit_interrupt(struct trapframe *tf)
{
	time_tick(trap_from_user(tf));
}

void time_init(void)
{
	uint64_t tsc = measure_tsc_per_calibration();
	uint16_t divisor = PIT_HZ / HZ;

	if (tsc == 0)
		tsc = 1;
	ns_per_tsc_32 = ((uint64_t)CALIBRATE_MS * 1000000 << 32) / tsc;
	tsc_khz = tsc / CALIBRATE_MS;
	tsc_boot = rdtsc();
	outb(PIT_CMD, 0x34);				/* ch0, lo/hi, rate generator */
	outb(PIT_CH0, divisor & 0xFF);
	outb(PIT_CH0, divisor >> 8);
	irq_register(0, pit_interrupt);
	boot_realtime_ns = rtc_read_epoch() * 1000000000ULL;
	pr_info("time: TSC %lu MHz, timer %d Hz, RTC %lu s since 1970\n",
		tsc / (CALIBRATE_MS * 1000), HZ, boot_realtime_ns / 1000000000);
}

uint64_t time_realtime_ns(void)
{
	return boot_realtime_ns + time_ns();
}

uint64_t time_boot_realtime_ns(void)
{
	return boot_realtime_ns;
}

uint64_t time_realtime_to_boot(uint64_t realtime_ns)
{
	return realtime_ns > boot_realtime_ns ? realtime_ns - boot_realtime_ns : 1;
}

uint64_t time_ns(void)
{
	unsigned __int128 delta = rdtsc() - tsc_boot;
	return (uint64_t)((delta * ns_per_tsc_32) >> 32);
}

uint64_t time_tsc_khz(void)
{
	return tsc_khz;
}

uint64_t time_ticks(void)
{
	return ticks;
}

void time_set_tick_hook(void (*fn)(bool from_user))
{
	tick_hook = fn;
}
