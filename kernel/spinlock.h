/*
 * kernel/spinlock.h - spin locks that also keep interrupts off while held,
 * so an interrupt handler on this CPU can never wait for a lock its own CPU
 * holds.  Interrupt disabling nests (push_off/pop_off, as in xv6): the
 * interrupt flag comes back only when the outermost lock is released, which
 * lets sleep_on hand a lock over to proc_lock safely.  One CPU today; the
 * locks are real so that SMP can come.
 */
#pragma once
#include "kernel/lib.h"
#include "kernel/x86/x86.h"

struct spinlock {
	volatile uint32_t locked;
	const char *name;
};

#define SPINLOCK_INIT(n) { .locked = 0, .name = (n) }

/* Interrupt-off nesting of this CPU. */
struct irq_nesting {
	int depth;
	uint64_t enabled_before;
};
extern struct irq_nesting irq_nesting;

static inline void push_off(void)
{
	uint64_t was = irq_save();
	if (irq_nesting.depth++ == 0)
		irq_nesting.enabled_before = was;
}

static inline void pop_off(void)
{
	if (--irq_nesting.depth == 0)
		irq_restore(irq_nesting.enabled_before);
}

static inline void spin_lock(struct spinlock *l)
{
	push_off();
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		pause();
}

static inline void spin_unlock(struct spinlock *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
	pop_off();
}

static inline int spin_held(struct spinlock *l) { return l->locked; }

/* Does this CPU hold a spin lock (or otherwise run with interrupts pushed
 * off)?  Then it must not sleep: the fault handler refuses to (mm/fault.c). */
static inline bool in_atomic(void) { return irq_nesting.depth > 0; }
