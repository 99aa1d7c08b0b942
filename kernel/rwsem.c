/*
 * kernel/rwsem.c - sleeping reader-writer locks; kernel/rwsem.h says what
 * they promise.
 *
 * Fast paths: a reader adds one to `state` by compare-and-swap while neither
 * RWSEM_WRITER nor RWSEM_WAITING is set (inline, kernel/rwsem.h); a writer
 * swaps 0 for RWSEM_WRITER.
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

/* down_read when the first attempt failed: sleep until no writer holds or
 * waits. */
void down_read_slow(struct rwsem *s)
{
	spin_lock(&s->lock);
	__atomic_add_fetch(&s->sleepers, 1, __ATOMIC_SEQ_CST);
	while (!down_read_trylock(s))
		sleep_on_uninterruptible(s, &s->lock);
	__atomic_sub_fetch(&s->sleepers, 1, __ATOMIC_RELAXED);
	spin_unlock(&s->lock);
}

/* Wake every sleeper; each re-checks the state. */
void rwsem_wake_waiters(struct rwsem *s)
{
	spin_lock(&s->lock);
	wakeup(s);
	spin_unlock(&s->lock);
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
		rwsem_wake_waiters(s);
}
