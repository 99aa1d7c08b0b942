/*
 * kernel/x86/time.h - the periodic timer and the monotonic clock.
 * The PIT ticks HZ times a second (scheduling); time_ns() reads the TSC,
 * calibrated against the PIT at boot, for nanosecond timestamps.
 */
#pragma once
#include <stdint.h>

#define HZ 100

void time_init(void);
/* Nanoseconds since boot. */
uint64_t time_ns(void);
/* Timer interrupts since boot. */
uint64_t time_ticks(void);
/* Called on every tick, from interrupt context (set by the scheduler). */
void time_set_tick_hook(void (*fn)(void));
