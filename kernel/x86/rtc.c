/*
 * kernel/x86/rtc.c - the wall clock at boot, from the PC's CMOS real-time
 * clock (the Motorola MC146818 that every PC and QEMU emulate).
 *
 * The RTC is read once, at boot: the kernel then counts with the TSC
 * (kernel/x86/time.c), and CLOCK_REALTIME is that count plus the boot time
 * read here, as Linux does with its persistent clock (read_persistent_clock64).
 * Registers (index written to port 0x70, value read from 0x71): 0x00 second,
 * 0x02 minute, 0x04 hour, 0x07 day, 0x08 month, 0x09 year (two digits),
 * 0x0A status A (bit 7: an update is in progress), 0x0B status B (bit 2:
 * binary rather than BCD, bit 1: 24-hour rather than 12 with bit 7 of the
 * hour meaning PM).  QEMU's RTC keeps UTC.  No century register is trusted
 * (ACPI's FADT names one, if any): years 00-69 are 2000-2069, 70-99 19xx.
 */
#include "kernel/x86/rtc.h"
#include "kernel/x86/x86.h"

#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71

static uint8_t cmos_read(uint8_t reg)
{
	outb(CMOS_INDEX, reg);
	return inb(CMOS_DATA);
}

struct rtc_time {
	uint8_t sec, min, hour, day, mon, year;
};

/* One consistent reading: wait for no update in progress, and read until two
 * readings agree (an update may start between the check and the reads). */
static void rtc_sample(struct rtc_time *t)
{
	struct rtc_time prev;

	do {
		while (cmos_read(0x0A) & 0x80)
			pause();
		prev = (struct rtc_time){ cmos_read(0x00), cmos_read(0x02), cmos_read(0x04),
					  cmos_read(0x07), cmos_read(0x08), cmos_read(0x09) };
		while (cmos_read(0x0A) & 0x80)
			pause();
		*t = (struct rtc_time){ cmos_read(0x00), cmos_read(0x02), cmos_read(0x04),
					cmos_read(0x07), cmos_read(0x08), cmos_read(0x09) };
	} while (t->sec != prev.sec || t->min != prev.min || t->hour != prev.hour ||
		 t->day != prev.day || t->mon != prev.mon || t->year != prev.year);
}

static uint8_t from_bcd(uint8_t v)
{
	return (uint8_t)((v >> 4) * 10 + (v & 0x0F));
}

/* Days from 1970-01-01 to Y-M-D in the proleptic Gregorian calendar
 * (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

uint64_t rtc_read_epoch(void)
{
	struct rtc_time t;
	uint8_t status_b = cmos_read(0x0B);
	bool pm;

	rtc_sample(&t);
	pm = t.hour & 0x80;
	t.hour &= 0x7F;
	if (!(status_b & 0x04)) {
		t.sec = from_bcd(t.sec), t.min = from_bcd(t.min), t.hour = from_bcd(t.hour);
		t.day = from_bcd(t.day), t.mon = from_bcd(t.mon), t.year = from_bcd(t.year);
	}
	if (!(status_b & 0x02))
		t.hour = (uint8_t)(t.hour % 12 + (pm ? 12 : 0));
	if (t.sec > 59 || t.min > 59 || t.hour > 23 || t.day < 1 || t.day > 31 || t.mon < 1 ||
	    t.mon > 12 || t.year > 99)
		return 0;
	int64_t year = t.year + (t.year < 70 ? 2000 : 1900);
	int64_t days = days_from_civil(year, t.mon, t.day);
	return (uint64_t)(days * 86400 + t.hour * 3600 + t.min * 60 + t.sec);
}
