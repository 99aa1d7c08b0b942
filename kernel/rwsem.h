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
 */
#pragma once
#include "kernel/spinlock.h"

struct rwsem {
	struct spinlock lock;		/* guards the counts below */
	int readers;			/* holders for reading */
	int writers_waiting;
	bool writer;			/* held for writing */
};

#define RWSEM_INIT(n) { .lock = SPINLOCK_INIT(n) }

void rwsem_init(struct rwsem *s, const char *name);
void down_read(struct rwsem *s);
void up_read(struct rwsem *s);
void down_write(struct rwsem *s);
void up_write(struct rwsem *s);
/* Take it for reading only if that needs no wait: true when taken. */
bool down_read_trylock(struct rwsem *s);
