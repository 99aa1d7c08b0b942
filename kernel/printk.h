/*
 * kernel/printk.h - the kernel log.  Every message has a level; messages below
 * the level chosen with `log=` on the command line are dropped.
 */
#pragma once
#include "kernel/lib.h"

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void printk(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vprintk(enum log_level level, const char *fmt, va_list ap);
/* Write bytes to the console, bypassing levels, each "\n" as "\r\n". */
void console_write(const char *s, uint64_t n);
/* The bytes exactly as given: the tty does its own output processing
 * (termios OPOST, ONLCR: kernel/fs/tty.c). */
void console_write_raw(const char *s, uint64_t n);
/* For panic only, once the other CPUs are stopped: one of them may have
 * been stopped holding the console lock, which is forgotten. */
void console_panic_unlock(void);
/* The log buffer's size (syslog SYSLOG_ACTION_SIZE_BUFFER). */
#define LOG_BUF_LEN (64 * 1024)
/* Copy the newest whole lines of the log kept since the last clear, at most
 * MAX bytes, into BUF (kernel memory, not NUL-terminated) and return the
 * length; CLEAR then forgets them (syslog READ_CLEAR).  printk_log_read(NULL,
 * 0, true) only clears. */
size_t printk_log_read(char *buf, size_t max, bool clear);
/* Set the level from a name: debug, info, warn, error.  False if unknown. */
bool printk_set_level(const char *name, size_t len);

#define pr_debug(...) printk(LOG_DEBUG, __VA_ARGS__)
#define pr_info(...) printk(LOG_INFO, __VA_ARGS__)
#define pr_warn(...) printk(LOG_WARN, __VA_ARGS__)
#define pr_err(...) printk(LOG_ERROR, __VA_ARGS__)
