/*
 * kernel/x86/time.h - the periodic timer and the monotonic clock.
 * Every CPU ticks HZ times a second (scheduling): the PIT at first, then
 * each CPU's local APIC timer.  time_ns() reads the TSC, calibrated against
 * the PIT at boot, for nanosecond timestamps.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#define HZ 100

void time_init(void);
/* Nanoseconds since boot. */
uint64_t time_ns(void);
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
