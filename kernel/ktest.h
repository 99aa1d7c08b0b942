/*
 * kernel/ktest.h - in-kernel self-tests (`ktest` on the command line).
 *
 * KTEST(name) { ... } defines a test; the linker collects them in .ktests
 * (linker.ld) and ktest_run() runs them all in link order.  Inside a test,
 * KCHECK(cond, what...) prints one TAP line: `ok N - what` or
 * `not ok N - what: cond (file:line)`.
 */
#pragma once
#include "kernel/lib.h"

struct ktest {
	const char *name;
	void (*fn)(void);
};

#define KTEST(tname) \
	static void ktest_fn_##tname(void); \
	static const struct ktest ktest_##tname \
		__attribute__((used, section(".ktests"), aligned(8))) = { #tname, ktest_fn_##tname }; \
	static void ktest_fn_##tname(void)

#define KCHECK(cond, ...) \
	ktest_report((cond), #cond, __FILE__, __LINE__, __VA_ARGS__)

void ktest_report(bool ok, const char *cond, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Run every test (or the controlled panic for ktest=panic); powers off. */
__attribute__((noreturn)) void ktest_run(void);
