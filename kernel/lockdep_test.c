/*
 * kernel/lockdep_test.c - self-tests of the lock-order checker
 * (kernel/lockdep.c): a right order is silent; an inverted pair, a lock of
 * the same rank without spin_lock_nested, and a spin lock held into
 * sched() are each reported.  The tests turn the checks on in their
 * printing mode (lockdep=warn) while they run, whatever the command line
 * says, and restore it.
 */
#include "kernel/ktest.h"
#include "kernel/lockdep.h"
#include "kernel/proc.h"
#include "kernel/spinlock.h"

/* Locks with names of the table, private to the test. */
static struct spinlock outer = SPINLOCK_INIT("page_table_lock");
static struct spinlock inner = SPINLOCK_INIT("frames");
static struct spinlock twin = SPINLOCK_INIT("page_table_lock");

KTEST(lockdep_order)
{
	enum lockdep_mode mode = lockdep_mode;
	lockdep_mode = LOCKDEP_WARN;
	uint64_t before = lockdep_reports();

	spin_lock(&outer);
	spin_lock(&inner);
	spin_unlock(&inner);
	spin_unlock(&outer);
	KCHECK(lockdep_reports() == before, "page_table_lock then frames: no report");

	spin_lock(&inner);
	spin_lock(&outer);
	spin_unlock(&outer);
	spin_unlock(&inner);
	KCHECK(lockdep_reports() == before + 1, "frames then page_table_lock: one report");

	spin_lock(&outer);
	spin_lock(&twin);
	spin_unlock(&twin);
	spin_lock_nested(&twin);
	spin_unlock(&twin);
	spin_unlock(&outer);
	KCHECK(lockdep_reports() == before + 2,
	       "two page_table_locks: reported unless spin_lock_nested");
	lockdep_mode = mode;
}

KTEST(lockdep_sleep)
{
	enum lockdep_mode mode = lockdep_mode;
	lockdep_mode = LOCKDEP_WARN;
	uint64_t before = lockdep_reports();

	spin_lock(&inner);
	lockdep_check_sleep();
	spin_unlock(&inner);
	KCHECK(lockdep_reports() == before + 1, "going to sleep holding frames is reported");
	spin_lock(&proc_lock);
	lockdep_check_sleep();
	spin_unlock(&proc_lock);
	KCHECK(lockdep_reports() == before + 1, "holding proc_lock alone is how sleep works");
	lockdep_mode = mode;
}
