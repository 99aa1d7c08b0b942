/*
 * kernel/rwsem.h - sleeping reader-writer locks (Linux's rw_semaphore).
 *
 * Many readers or one writer.  A waiter sleeps (uninterruptibly) instead of
 * spinning, so the holder may sleep, allocate, fault or take spin locks
 * while holding it.  Writers are preferred: once a writer waits, new readers
 * wait behind it, so a stream of faults cannot starve munmap.  That is also
 * why a reader must never take the same lock for reading again (a fault
 * while holding it for reading would wait behind the queued writer forever):
 * copy to or from user memory only after up_read.  The address space's
 * mmap_lock is one (mm/vmspace.h).  Never taken in an interrupt handler.
 *
 * The state is one word changed by compare-and-swap, so taking and
 * releasing an uncontended lock costs one atomic instruction (every page
 * fault takes mmap_lock for reading); the spin lock is taken only to sleep
 * and to wake sleepers.
 */
#pragma once
#include "kernel/spinlock.h"

#define RWSEM_WRITER (1u << 31)		/* held for writing */
#define RWSEM_WAITING (1u << 30)	/* a writer waits: new readers must wait too */
#define RWSEM_READERS (RWSEM_WAITING - 1)	/* readers holding it */

struct rwsem {
	uint32_t state;			/* RWSEM_* bits and the reader count (atomic) */
	int writers_waiting;		/* under lock; RWSEM_WAITING mirrors it */
	int sleepers;			/* tasks in a slow path (atomic) */
	struct spinlock lock;		/* orders sleeping against waking */
};

#define RWSEM_INIT(n) { .lock = SPINLOCK_INIT(n) }

void rwsem_init(struct rwsem *s, const char *name);
void down_write(struct rwsem *s);
void up_write(struct rwsem *s);
/* The slow paths of down_read and up_read (kernel/rwsem.c). */
void down_read_slow(struct rwsem *s);
void rwsem_wake_waiters(struct rwsem *s);

/* Take it for reading only if that needs no wait: true when taken.  One
 * attempt to add a reader; false when a writer holds or waits. */
static inline bool down_read_trylock(struct rwsem *s)
{
	uint32_t old = __atomic_load_n(&s->state, __ATOMIC_RELAXED);

	while (!(old & (RWSEM_WRITER | RWSEM_WAITING)))
		if (__atomic_compare_exchange_n(&s->state, &old, old + 1, true, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return true;
	return false;
}

/* down_read and up_read are inline for the uncontended case: every page
 * fault takes mmap_lock for reading, and under QEMU's TCG each return from
 * a call costs a jump-cache lookup (docs/cow.md, "What a fault costs"). */
static inline void down_read(struct rwsem *s)
{
	if (!down_read_trylock(s))
		down_read_slow(s);
}

static inline void up_read(struct rwsem *s)
{
	uint32_t now = __atomic_sub_fetch(&s->state, 1, __ATOMIC_RELEASE);

	if (!(now & RWSEM_READERS) && (now & RWSEM_WAITING))
		rwsem_wake_waiters(s);	/* the last reader lets a writer in */
}
