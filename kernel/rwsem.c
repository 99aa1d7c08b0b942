/*
 * kernel/rwsem.c - sleeping reader-writer locks; kernel/rwsem.h says what
 * they promise.
 *
 * Fast paths: a reader adds one to `state` by compare-and-swap while neither
 * RWSEM_WRITER nor RWSEM_WAITING is set; a writer swaps 0 for RWSEM_WRITER.
 * Slow paths take s->lock, count themselves in `sleepers` and sleep on the
 * lock's address (kernel/sched.c, uninterruptibly) until the state lets
 * them in.  Whoever may unblock a sleeper (the last reader leaving while a
 * writer waits, a writer leaving while anyone sleeps) changes the state
 * first and then takes s->lock to wake them: a sleeper checks the state
 * under s->lock and holds it until it is asleep, so no wakeup falls between
 * its check and its sleep.  A writer reads `sleepers` after its change and
 * a sleeper counts itself before its check, each with a full fence, so at
 * least one of them sees the other.
 */
#include "kernel/rwsem.h"
#include "kernel/sched.h"

void rwsem_init(struct rwsem *s, const char *name)
{
	*s = (struct rwsem){ .lock = SPINLOCK_INIT(name) };
}

/* One attempt to add a reader: false when a writer holds or waits. */
static bool try_read(struct rwsem *s)
{
	uint32_t old = __atomic_load_n(&s->state, __ATOMIC_RELAXED);

	while (!(old & (RWSEM_WRITER | RWSEM_WAITING)))
		if (__atomic_compare_exchange_n(&s->state, &old, old + 1, true, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return true;
	return false;
}

bool down_read_trylock(struct rwsem *s)
{
	return try_read(s);
}

void down_read(struct rwsem *s)
{
	if (try_read(s))
		return;
	spin_lock(&s->lock);
	__atomic_add_fetch(&s->sleepers, 1, __ATOMIC_SEQ_CST);
	while (!try_read(s))
		sleep_on_uninterruptible(s, &s->lock);
	__atomic_sub_fetch(&s->sleepers, 1, __ATOMIC_RELAXED);
	spin_unlock(&s->lock);
}

/* Wake every sleeper; each re-checks the state. */
static void wake_waiters(struct rwsem *s)
{
	spin_lock(&s->lock);
	wakeup(s);
	spin_unlock(&s->lock);
}

void up_read(struct rwsem *s)
{
	uint32_t now = __atomic_sub_fetch(&s->state, 1, __ATOMIC_RELEASE);

	if (!(now & RWSEM_READERS) && (now & RWSEM_WAITING))
		wake_waiters(s);	/* the last reader lets a writer in */
}

/* One attempt to take it for writing: no writer, no reader. */
static bool try_write(struct rwsem *s)
{
	uint32_t old = __atomic_load_n(&s->state, __ATOMIC_RELAXED);

	while (!(old & (RWSEM_WRITER | RWSEM_READERS)))
		if (__atomic_compare_exchange_n(&s->state, &old, old | RWSEM_WRITER, true,
						__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return true;
	return false;
}

void down_write(struct rwsem *s)
{
	if (try_write(s))
		return;
	spin_lock(&s->lock);
	__atomic_add_fetch(&s->sleepers, 1, __ATOMIC_SEQ_CST);
	if (s->writers_waiting++ == 0)
		__atomic_or_fetch(&s->state, RWSEM_WAITING, __ATOMIC_SEQ_CST);
	while (!try_write(s))
		sleep_on_uninterruptible(s, &s->lock);
	if (--s->writers_waiting == 0)
		__atomic_and_fetch(&s->state, ~RWSEM_WAITING, __ATOMIC_SEQ_CST);
	__atomic_sub_fetch(&s->sleepers, 1, __ATOMIC_RELAXED);
	spin_unlock(&s->lock);
}

void up_write(struct rwsem *s)
{
	__atomic_and_fetch(&s->state, ~RWSEM_WRITER, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&s->sleepers, __ATOMIC_SEQ_CST))
		wake_waiters(s);
}
