/*
 * kernel/panic.h - stopping the kernel when it finds a bug in itself.
 * panic() stops the other CPUs, prints the reason (naming the CPU: `KERNEL
 * PANIC on CPU 2: ...`), the registers and a backtrace with function names,
 * then powers the machine off with status 125 (kernel/x86/power.c).
 */
#pragma once
#include "kernel/lib.h"

struct trapframe;

__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt, ...);
/* Panic for an unexpected exception: adds the trap frame (and CR2 for #PF). */
__attribute__((noreturn)) void panic_trap(struct trapframe *tf, const char *reason);

/* True once some CPU has begun a panic report. */
bool panic_in_progress(void);
/* Halt this CPU for good, interrupts off: the NMI handler's answer to a
 * panic on another CPU. */
__attribute__((noreturn)) void panic_stop_cpu(void);

#define assert(cond) \
	do { \
		if (!(cond)) \
			panic("%s:%d: assertion failed: %s", __FILE__, __LINE__, #cond); \
	} while (0)
