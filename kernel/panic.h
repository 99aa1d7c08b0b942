/*
 * kernel/panic.h - stopping the kernel when it finds a bug in itself.
 * panic() prints the reason, the registers and a backtrace with function
 * names, then powers the machine off with status 125 (kernel/x86/power.c).
 */
#pragma once
#include "kernel/lib.h"

struct trapframe;

__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt, ...);
/* Panic for an unexpected exception: adds the trap frame (and CR2 for #PF). */
__attribute__((noreturn)) void panic_trap(struct trapframe *tf, const char *reason);

#define assert(cond) \
	do { \
		if (!(cond)) \
			panic("%s:%d: assertion failed: %s", __FILE__, __LINE__, #cond); \
	} while (0)
