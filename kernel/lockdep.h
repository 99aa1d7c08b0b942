/*
 * kernel/lockdep.h - the lock-order checker (a small cousin of Linux's
 * lockdep).  docs/smp.md gives the one lock order of the kernel; this file
 * holds it as a table of spin-lock names, outermost first (lock_order[] in
 * kernel/lockdep.c), and checks every spin_lock against it:
 *   - taking a lock that comes before (or is) one this CPU already holds is
 *     reported: `lockdep: ...` on the console with both names and the
 *     caller, once per pair;
 *   - sched() with a spin lock other than proc_lock held (a lock held across
 *     a sleep) is reported the same way.
 * The checks run only when asked for on the command line: `lockdep=warn`
 * prints the reports, `lockdep=1` panics at the first, which is how
 * `make test` runs its guest suites.  Locks whose names the table does
 * not list are checked only against taking themselves twice.
 */
#pragma once
#include "kernel/lib.h"

struct spinlock;

/* Off unless `lockdep=1` (check, panic at a report) or `lockdep=warn`
 * (check, print): the checks cost every spin_lock a walk of the held
 * locks, so a kernel run for speed leaves them off, as Linux's
 * CONFIG_PROVE_LOCKING. */
enum lockdep_mode { LOCKDEP_OFF, LOCKDEP_WARN, LOCKDEP_PANIC };
extern enum lockdep_mode lockdep_mode;

#define LOCKDEP_MAX_HELD 8	/* spin locks one CPU may hold at once */

/* A CPU's held spin locks, innermost last (in struct cpu). */
struct held_locks {
	int n;
	struct spinlock *lock[LOCKDEP_MAX_HELD];
};

void lockdep_init(void);
/* spin_lock: about to take L (after interrupts are off); NESTED allows a
 * second lock of the same rank (spin_lock_nested). */
void lockdep_acquire(struct spinlock *l, bool nested);
/* spin_unlock: L released. */
void lockdep_release(struct spinlock *l);
/* sched(): this CPU is about to sleep; only proc_lock may be held. */
void lockdep_check_sleep(void);
/* Reports since boot (the self-tests count them). */
uint64_t lockdep_reports(void);
