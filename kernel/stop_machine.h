/*
 * kernel/stop_machine.h - run a function while every other CPU is parked
 * (Linux's stop_machine), for checks that must see the whole system at
 * rest: the memory invariant checker (mm/audit.c).
 *
 * "At rest" means at a safe point, where no operation is half done: a CPU
 * parks only in its scheduler loop, between two processes.  A process that
 * runs on it is asked to give up the CPU (need_resched and a reschedule
 * interrupt), which it does at its next chance: on the way back to user
 * mode, or between chunks of a long system call (cond_resched).
 */
#pragma once
#include "kernel/lib.h"

/* Park every other CPU, run FN(ARG) here, release them; returns FN's value.
 * Call with no lock held (the others need locks to reach their safe point).
 * Two CPUs may call it at once: the second parks until the first is done,
 * then takes its turn. */
long stop_machine(long (*fn)(void *arg), void *arg);
/* The scheduler loop's safe point: park here while a stop is under way. */
void stop_machine_park(void);
