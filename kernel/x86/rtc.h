/*
 * kernel/x86/rtc.h - the CMOS real-time clock, read once at boot for the
 * wall clock (kernel/x86/rtc.c).
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

/* The RTC's date and time as seconds since 1970-01-01 00:00 UTC, or 0 when
 * it reads as no valid date. */
uint64_t rtc_read_epoch(void);
