/*
 * kernel/x86/time.h - the periodic timer and the monotonic clock.
 * Every CPU ticks HZ times a second (scheduling): the PIT at first, then
 * each CPU's local APIC timer.  time_ns() reads the TSC, calibrated against
 * the PIT at boot, for nanosecond timestamps; the wall clock adds the RTC's
 * time at boot.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#define HZ 100

void time_init(void);
/* Nanoseconds since boot. */
uint64_t time_ns(void);
/* CLOCK_REALTIME: nanoseconds since 1970-01-01 00:00 UTC, the RTC's reading
 * at boot (kernel/x86/rtc.c) plus time_ns(); settimeofday is not offered. */
uint64_t time_realtime_ns(void);
/* The same at boot (/proc/stat's btime). */
uint64_t time_boot_realtime_ns(void);
/* A CLOCK_REALTIME instant as a time_ns() instant, for absolute deadlines
 * (clock_nanosleep, FUTEX_CLOCK_REALTIME); 1 when it is before boot. */
uint64_t time_realtime_to_boot(uint64_t realtime_ns);
/* The TSC's frequency as calibrated at boot, in kHz (/proc/cpuinfo's cpu MHz). */
uint64_t time_tsc_khz(void);
/* Timer interrupts since boot (the boot CPU's: one clock for all). */
uint64_t time_ticks(void);
/* A tick arrived on this CPU; FROM_USER when it interrupted user mode.
 * Called by the timer interrupt handlers, interrupts off. */
void time_tick(bool from_user);
/* FN runs on every tick of every CPU, from interrupt context (set by the
 * scheduler). */
void time_set_tick_hook(void (*fn)(bool from_user));
