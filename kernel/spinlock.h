/*
 * kernel/spinlock.h - spin locks that also disable interrupts while held, so
 * that an interrupt handler on the same CPU can never wait for a lock its own
 * CPU holds.  One CPU today; the locks are real so that SMP can come.
 */
#pragma once
#include "kernel/x86.h"

struct spinlock {
	volatile uint32_t locked;
	uint64_t saved_irq;
	const char *name;
};

#define SPINLOCK_INIT(n) { .locked = 0, .saved_irq = 0, .name = (n) }

static inline void spin_lock(struct spinlock *l)
{
	uint64_t irq = irq_save();
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		pause();
	l->saved_irq = irq;
}

static inline void spin_unlock(struct spinlock *l)
{
	uint64_t irq = l->saved_irq;
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
	irq_restore(irq);
}

static inline int spin_held(struct spinlock *l) { return l->locked; }
