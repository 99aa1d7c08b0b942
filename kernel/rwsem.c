/*
 * kernel/rwsem.c - sleeping reader-writer locks; kernel/rwsem.h says what
 * they promise.  Every wait is an uninterruptible sleep on the lock's own
 * address (kernel/sched.c), and every release that may let a waiter in
 * wakes them all: each re-checks its condition under s->lock.
 */
#include "kernel/rwsem.h"
#include "kernel/sched.h"

void rwsem_init(struct rwsem *s, const char *name)
{
	*s = (struct rwsem){ .lock = SPINLOCK_INIT(name) };
}

void down_read(struct rwsem *s)
{
	spin_lock(&s->lock);
	while (s->writer || s->writers_waiting)
		sleep_on_uninterruptible(s, &s->lock);
	s->readers++;
	spin_unlock(&s->lock);
}

void up_read(struct rwsem *s)
{
	spin_lock(&s->lock);
	if (--s->readers == 0 && s->writers_waiting)
		wakeup(s);
	spin_unlock(&s->lock);
}

void down_write(struct rwsem *s)
{
	spin_lock(&s->lock);
	s->writers_waiting++;
	while (s->writer || s->readers)
		sleep_on_uninterruptible(s, &s->lock);
	s->writers_waiting--;
	s->writer = true;
	spin_unlock(&s->lock);
}

bool down_read_trylock(struct rwsem *s)
{
	spin_lock(&s->lock);
	bool free = !s->writer && !s->writers_waiting;
	if (free)
		s->readers++;
	spin_unlock(&s->lock);
	return free;
}

void up_write(struct rwsem *s)
{
	spin_lock(&s->lock);
	s->writer = false;
	wakeup(s);
	spin_unlock(&s->lock);
}
