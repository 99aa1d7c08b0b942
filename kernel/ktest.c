/*
 * kernel/ktest.c - running the self-tests and reporting TAP.
 *
 * `ktest` runs every KTEST and powers off with status 0 when all checks
 * passed, 1 otherwise.  `ktest=panic` instead makes ktest_panic() write to an
 * unmapped address, so that scripts/test can check the panic report.
 */
#include "kernel/ktest.h"
#include "kernel/cmdline.h"
#include "kernel/x86/power.h"
#include "kernel/printk.h"

extern const struct ktest __ktests_start[], __ktests_end[];

static int checks, failures;

void ktest_report(bool ok, const char *cond, const char *file, int line, const char *fmt, ...)
{
	char what[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	checks++;
	if (ok) {
		printk(LOG_ERROR, "ok %d - %s\n", checks, what);
	} else {
		failures++;
		printk(LOG_ERROR, "not ok %d - %s: %s (%s:%d)\n", checks, what, cond, file, line);
	}
}

#define PANIC_TEST_ADDRESS 0xdead000UL

/* Fault on purpose: a kernel write to an unmapped user address. */
static __attribute__((noinline)) void ktest_panic(void)
{
	printk(LOG_ERROR, "ktest: faulting on purpose at %lx\n", PANIC_TEST_ADDRESS);
	*(volatile uint64_t *)PANIC_TEST_ADDRESS = 1;
}

void ktest_run(void)
{
	size_t len;
	const char *v = cmdline_value("ktest", &len);

	if (v && len == 5 && !strncmp(v, "panic", 5)) {
		ktest_panic();
		printk(LOG_ERROR, "ktest: the fault did not happen\n");
		machine_exit(1);
	}
	for (const struct ktest *t = __ktests_start; t < __ktests_end; t++) {
		printk(LOG_ERROR, "# %s\n", t->name);
		t->fn();
	}
	printk(LOG_ERROR, "# passed %d failed %d\n", checks - failures, failures);
	machine_exit(failures ? 1 : 0);
}
