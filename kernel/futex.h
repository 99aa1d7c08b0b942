/*
 * kernel/futex.h - fast user-space mutexes (futex(2)): sleeping on a 32-bit
 * user word until another thread wakes it, the kernel half of musl's
 * mutexes, condition variables and pthread_join.
 */
#pragma once
#include "kernel/lib.h"

#define FUTEX_BITSET_MATCH_ANY 0xffffffffu

struct vmspace;

/* Wake up to NR (at least one, as Linux's futex_wake) tasks waiting on the
 * word at user address UADDR of VM whose wait bitset shares a bit with
 * BITSET; returns how many were woken.  Any context without spinlocks. */
int futex_wake(struct vmspace *vm, uint64_t uaddr, int nr, uint32_t bitset);
/* futex(2): Linux's x86-64 argument order; UTIME is a timespec pointer for
 * the waits and the number to requeue (val2) for the requeues. */
long sys_futex(uint64_t uaddr, int op, uint32_t val, uint64_t utime, uint64_t uaddr2,
	       uint32_t val3);
