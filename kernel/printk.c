/*
 * kernel/printk.c - formatted kernel messages on the serial console.
 * A lock keeps lines from different CPUs or interrupt handlers whole.
 */
#include "kernel/printk.h"
#include "kernel/x86/serial.h"
#include "kernel/spinlock.h"

static enum log_level min_level = LOG_INFO;
static struct spinlock console_lock = SPINLOCK_INIT("console");

static const char *const level_names[] = { "debug", "info", "warn", "error" };

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

void vprintk(enum log_level level, const char *fmt, va_list ap)
{
	char buf[512];

	if (level < min_level)
		return;
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	console_write(buf, MIN((size_t)n, sizeof(buf) - 1));
}

void printk(enum log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintk(level, fmt, ap);
	va_end(ap);
}
