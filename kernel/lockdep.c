/*
 * kernel/lockdep.c - the lock-order checker; kernel/lockdep.h says what it
 * checks.
 *
 * A lock's rank is its name's place in lock_order[] (looked up once and kept
 * in the lock: struct spinlock.rank), 0 for names the table does not list.
 * Rule: a CPU may take a ranked lock only if every ranked lock it holds has
 * a smaller rank; spin_lock_nested() waives the rule for a second lock of
 * the same rank (ksmd locking the page tables of two address spaces).  The
 * table is the documented order of docs/smp.md.  The sleeping locks
 * (ksm_scan_sem, then one mmap_lock) come before every spin lock and are
 * checked through the spin lock that guards their counts, which has their
 * name: a sleeping lock is never taken with a spin lock held (the fault
 * handler refuses to, mm/fault.c), and sched() checks that no spin lock but
 * proc_lock is held when a process goes to sleep.
 */
#include "kernel/lockdep.h"
#include "kernel/cmdline.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "kernel/spinlock.h"
#include "kernel/x86/cpu.h"

static const char *const lock_order[] = {
	"fs_tree",		/* the counts inside the sleeping locks (kernel/rwsem.c); */
	"pagecache_stale",	/* fs_tree first: read() and write() may fault under it; */
	"ksm_scan_sem",		/* pagecache_stale's drain takes every mmap_lock */
	"pt_mapcount",		/* /proc/kpagecount takes every mmap_lock in turn */
	"mmap_lock",
	"pipe",			/* these five hand over to proc_lock to sleep */
	"tty",
	"poll",			/* poll/select calls waiting (kernel/fs/poll.c) */
	"nanosleep",
	"futex",
	"files",		/* a descriptor table (kernel/fs/file.c) */
	"fs",			/* a current directory */
	"proc",			/* proc_lock: the process table, sleep and wakeup */
	"all_spaces",		/* the list of address spaces (mm/vmspace.c) */
	"page_table_lock",
	"ksm_lock",
	"pagecache",
	"kvmalloc",
	"heap",
	"fixmap",
	"kernel_pt_lock",
	"frames",
	"ioapic",
	"uts",			/* the host name (kernel/sys_misc.c): takes no other */
	"random",		/* the CRNG key (kernel/random.c): takes no other */
	"console",		/* printk: anywhere, so innermost */
};

enum lockdep_mode lockdep_mode;
static uint64_t reports;

void lockdep_init(void)
{
	size_t len;
	const char *v = cmdline_value("lockdep", &len);

	if (v && len == 4 && !strncmp(v, "warn", 4))
		lockdep_mode = LOCKDEP_WARN;
	else if (cmdline_bool("lockdep", false))
		lockdep_mode = LOCKDEP_PANIC;
}

static int rank_of(struct spinlock *l)
{
	if (l->rank == 0) {
		l->rank = -1;
		for (size_t i = 0; i < ARRAY_SIZE(lock_order); i++)
			if (l->name && !strcmp(l->name, lock_order[i]))
				l->rank = (int)i + 1;
	}
	return l->rank;
}

/* One console line, or a panic under lockdep=1.  WHAT happened to lock A
 * while B was held; the return address names the caller (panic's
 * backtrace names the rest). */
static void report(const char *what, const struct spinlock *a, const struct spinlock *b)
{
	__atomic_add_fetch(&reports, 1, __ATOMIC_RELAXED);
	if (lockdep_mode == LOCKDEP_PANIC)
		panic("lockdep: %s: %s while holding %s", what, a->name, b->name);
	printk(LOG_ERROR, "lockdep: %s: %s while holding %s (cpu %d)\n", what, a->name, b->name,
	       cpu_id());
}

void lockdep_acquire(struct spinlock *l, bool nested)
{
	struct held_locks *h = &this_cpu()->held;
	int r = rank_of(l);

	for (int i = 0; i < h->n; i++) {
		int held = rank_of(h->lock[i]);
		if (h->lock[i] == l)
			report("recursive locking", l, h->lock[i]);
		else if (r > 0 && held > r)
			report("lock order violated", l, h->lock[i]);
		else if (r > 0 && held == r && !nested)
			report("two locks of one rank, not nested", l, h->lock[i]);
	}
	if (h->n == LOCKDEP_MAX_HELD)
		panic("lockdep: more than %d spin locks held at once", LOCKDEP_MAX_HELD);
	h->lock[h->n++] = l;
}

void lockdep_release(struct spinlock *l)
{
	struct held_locks *h = &this_cpu()->held;

	for (int i = h->n - 1; i >= 0; i--) {
		if (h->lock[i] != l)
			continue;
		for (int j = i; j + 1 < h->n; j++)
			h->lock[j] = h->lock[j + 1];
		h->n--;
		return;
	}
	panic("lockdep: %s released but not held by this CPU", l->name);
}

void lockdep_check_sleep(void)
{
	struct held_locks *h = &this_cpu()->held;

	for (int i = 0; i < h->n; i++) {
		if (!strcmp(h->lock[i]->name, "proc"))
			continue;
		__atomic_add_fetch(&reports, 1, __ATOMIC_RELAXED);
		if (lockdep_mode == LOCKDEP_PANIC)
			panic("lockdep: going to sleep holding %s", h->lock[i]->name);
		printk(LOG_ERROR, "lockdep: going to sleep holding %s (cpu %d)\n",
		       h->lock[i]->name, cpu_id());
	}
}

uint64_t lockdep_reports(void)
{
	return __atomic_load_n(&reports, __ATOMIC_RELAXED);
}
