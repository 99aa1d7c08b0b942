/*
 * kernel/spinlock.h - spin locks that also keep interrupts off while held,
 * so an interrupt handler on this CPU can never wait for a lock its own CPU
 * holds.  Interrupt disabling nests (push_off/pop_off, as in xv6): the
 * interrupt flag comes back only when the outermost lock is released, which
 * lets sleep_on hand a lock over to proc_lock safely.  The nesting count is
 * the CPU's (struct cpu.irq), read after interrupts are off, so the process
 * cannot move to another CPU in between.
 */
#pragma once
#include "kernel/x86/cpu.h"
#include "kernel/x86/x86.h"
#include "kernel/lockdep.h"
#include "mm/tlb.h"

struct spinlock {
	volatile uint32_t locked;
	int cpu;			/* the holder's cpu_id(), while locked */
	int rank;			/* place in the lock order, kernel/lockdep.c (0: not looked up) */
	const char *name;		/* also its lock class: kernel/lockdep.c's table */
};

#define SPINLOCK_INIT(n) { .locked = 0, .cpu = -1, .name = (n) }

static inline void push_off(void)
{
	uint64_t was = irq_save();
	struct irq_nest *n = &this_cpu()->irq;

	if (n->depth++ == 0)
		n->enabled_before = was;
}

static inline void pop_off(void)
{
	struct irq_nest *n = &this_cpu()->irq;

	if (--n->depth == 0)
		irq_restore(n->enabled_before);
}

/* Waiters spin on a plain read and retry the exchange only when the lock
 * looks free, so they do not keep stealing its cache line from the holder.
 * Interrupts are off while they wait, so they answer TLB shootdowns
 * themselves (tlb_poll): the holder may be waiting for exactly that. */
static inline void spin_lock_class(struct spinlock *l, bool nested)
{
	push_off();
	if (lockdep_mode)
		lockdep_acquire(l, nested);
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED)) {
			tlb_poll();
			pause();
		}
	l->cpu = cpu_id();
}

static inline void spin_lock(struct spinlock *l) { spin_lock_class(l, false); }
/* Take a second lock of the same rank as one held (Linux's
 * spin_lock_nested): only ksmd does, for two address spaces' page tables. */
static inline void spin_lock_nested(struct spinlock *l) { spin_lock_class(l, true); }

static inline void spin_unlock(struct spinlock *l)
{
	l->cpu = -1;
	if (lockdep_mode)
		lockdep_release(l);
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
	pop_off();
}

/* True when this CPU holds L (xv6's holding()). */
static inline bool spin_held(struct spinlock *l)
{
	return l->locked && l->cpu == cpu_id();
}

/* Does this CPU hold a spin lock (or otherwise run with interrupts pushed
 * off)?  Then it must not sleep: the fault handler refuses to (mm/fault.c). */
static inline bool in_atomic(void) { return this_cpu()->irq.depth > 0; }
