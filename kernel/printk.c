/*
 * kernel/printk.c - formatted kernel messages on the serial console, and
 * the log buffer that keeps them for syslog(2) (`dmesg`).
 * A lock keeps lines from different CPUs or interrupt handlers whole.
 *
 * The log is a 64 KiB ring of text in Linux's syslog(2) format: each line
 * begins "<level>[seconds.micros] " (level: Linux's loglevel numbers, 3
 * error ... 7 debug), so busybox dmesg reads it as it reads Linux's.  When
 * full, the oldest bytes are overwritten; a reader gets whole lines only.
 */
#include "kernel/printk.h"
#include "kernel/x86/serial.h"
#include "kernel/x86/time.h"
#include "kernel/spinlock.h"

static enum log_level min_level = LOG_INFO;
static struct spinlock console_lock = SPINLOCK_INIT("console");

static const char *const level_names[] = { "debug", "info", "warn", "error" };
static const int syslog_levels[] = { 7, 6, 4, 3 };	/* KERN_DEBUG, INFO, WARNING, ERR */

/* The log ring, under console_lock: byte i of the text is log_buf[i %
 * LOG_BUF_LEN]; [log_clear, log_head) is what a reader sees (the oldest
 * overwritten bytes excepted). */
static char log_buf[LOG_BUF_LEN];
static uint64_t log_head, log_clear;
static bool log_midline;	/* the last message did not end its line */

bool printk_set_level(const char *name, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(level_names); i++) {
		if (strlen(level_names[i]) == len && !strncmp(name, level_names[i], len)) {
			min_level = (enum log_level)i;
			return true;
		}
	}
	return false;
}

void console_write(const char *s, uint64_t n)
{
	spin_lock(&console_lock);
	serial_write(COM1, s, n);
	spin_unlock(&console_lock);
}

void console_write_raw(const char *s, uint64_t n)
{
	spin_lock(&console_lock);
	for (uint64_t i = 0; i < n; i++)
		serial_putc(COM1, s[i]);
	spin_unlock(&console_lock);
}

void console_panic_unlock(void)
{
	console_lock = (struct spinlock)SPINLOCK_INIT("console");
}

static void log_put(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		log_buf[log_head++ % LOG_BUF_LEN] = s[i];
}

/* Append message S (N bytes) at LEVEL to the ring, each line prefixed.
 * console_lock held. */
static void log_store(enum log_level level, const char *s, size_t n)
{
	char prefix[40];
	uint64_t ns = time_ns();

	while (n) {
		if (!log_midline) {
			int k = snprintf(prefix, sizeof(prefix), "<%d>[%5lu.%06lu] ",
					 syslog_levels[level], ns / 1000000000, ns / 1000 % 1000000);
			log_put(prefix, (size_t)k);
		}
		size_t len = 0;
		while (len < n && s[len] != '\n')
			len++;
		log_midline = len == n;
		len += !log_midline;
		log_put(s, len);
		s += len, n -= len;
	}
}

void vprintk(enum log_level level, const char *fmt, va_list ap)
{
	char buf[512];

	if (level < min_level)
		return;
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	size_t len = MIN((size_t)n, sizeof(buf) - 1);
	spin_lock(&console_lock);
	log_store(level, buf, len);
	serial_write(COM1, buf, len);
	spin_unlock(&console_lock);
}

size_t printk_log_read(char *buf, size_t max, bool clear)
{
	spin_lock(&console_lock);
	uint64_t from = MAX(log_clear, log_head > LOG_BUF_LEN ? log_head - LOG_BUF_LEN : 0);
	if (log_head - from > max) {
		from = log_head - max;
		/* whole lines: skip the one cut in half */
		while (from < log_head && log_buf[(from - 1) % LOG_BUF_LEN] != '\n')
			from++;
	}
	size_t n = log_head - from;
	for (size_t i = 0; i < n; i++)
		buf[i] = log_buf[(from + i) % LOG_BUF_LEN];
	if (clear)
		log_clear = log_head;
	spin_unlock(&console_lock);
	return n;
}

void printk(enum log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintk(level, fmt, ap);
	va_end(ap);
}
