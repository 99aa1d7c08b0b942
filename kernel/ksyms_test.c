/*
 * kernel/ksyms_test.c - self-tests for the embedded symbol and line tables
 * (kernel/ksyms.c): they must name the right function, file and line, the
 * way panic's backtrace uses them.
 */
#include "kernel/ksyms.h"
#include "kernel/ktest.h"

extern char _text_end[];

/* Where this function returns to: just after the call instruction. */
static __attribute__((noinline)) uint64_t return_address(void)
{
	return (uint64_t)__builtin_return_address(0);
}

KTEST(ksym_function)
{
	const char *file = NULL;
	unsigned line = 0;
	uint64_t off = 1;
	const char *name = ksym_lookup((uint64_t)ktest_run, &off);

	KCHECK(name && !strcmp(name, "ktest_run") && off == 0, "ktest_run's address is ktest_run+0");
	KCHECK(ksym_line((uint64_t)ktest_run, &file, &line), "ktest_run's address has a line");
	KCHECK(file && !strcmp(file, "kernel/ktest.c"), "ktest_run is in kernel/ktest.c (got %s)",
	       file ? file : "nothing");
	KCHECK(line > 0, "ktest_run's line is %u", line);
}

/* A return address minus one gives the line of the call, as in a backtrace. */
KTEST(ksym_call_site)
{
	const uint64_t ret = return_address(), want = __LINE__;
	const char *file = NULL;
	unsigned line = 0;

	KCHECK(ksym_line(ret - 1, &file, &line), "the call site has a line");
	KCHECK(file && !strcmp(file, "kernel/ksyms_test.c"), "the call is in kernel/ksyms_test.c (got %s)",
	       file ? file : "nothing");
	KCHECK(line == want, "the call is on line %lu (got %u)", want, line);
}

/* Outside the kernel text there is no line, and the outputs stay untouched. */
KTEST(ksym_no_line)
{
	const char *file = "unset";
	unsigned line = 7;

	KCHECK(!ksym_line(0, &file, &line), "address 0 has no line");
	KCHECK(!ksym_line((uint64_t)_text_end, &file, &line), "the end of the text has no line");
	KCHECK(!ksym_line((uint64_t)&line, &file, &line), "a stack address has no line");
	KCHECK(!strcmp(file, "unset") && line == 7, "outputs untouched when there is no line");
}
