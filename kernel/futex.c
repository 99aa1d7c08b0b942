/*
 * kernel/futex.c - futex(2): FUTEX_WAIT, FUTEX_WAKE, their _BITSET forms,
 * FUTEX_REQUEUE and FUTEX_CMP_REQUEUE (musl's condition variables), each
 * also with FUTEX_PRIVATE_FLAG; Linux's semantics and errors
 * (kernel/futex/ in Linux, man 2 futex).
 *
 * A waiter is a struct futex_q on its own kernel stack, queued in one FIFO
 * list under futex_lock; its key is (address space, user address), which is
 * what Linux uses for a private futex - and every mapping is private here,
 * so the shared forms use the same key (they only also demand that the word
 * can be read, as Linux's get_futex_key does for them).  At most NPROC
 * tasks wait, so one list and one lock are enough.
 *
 * The race futexes exist to close: a waker changes the word and then wakes;
 * the waiter must not check the old value and then sleep after the wake.
 * So the waiter reads the word with futex_lock held and stays queued under
 * it until it sleeps (sleep_until hands the lock over to proc_lock), and a
 * waker takes futex_lock to find waiters.  A copy from user memory under a
 * spinlock must not sleep in the fault handler, so the word is first read
 * without the lock (faulting its page in; a real -EFAULT goes back to the
 * caller) and read again under it, retrying should the page go away in
 * between.  Lock order: futex_lock, then proc_lock.
 */
#include "kernel/futex.h"
#include "kernel/errno.h"
#include "kernel/proc.h"
#include "kernel/sched.h"
#include "kernel/signal/signal.h"
#include "kernel/syscall.h"
#include "kernel/uaccess.h"
#include "kernel/x86/time.h"

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_CMD_MASK (~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME))

struct futex_q {
	struct futex_q *prev, *next;	/* in queue, FIFO */
	struct vmspace *vm;		/* the key: address space ... */
	uint64_t uaddr;			/* ... and user address */
	uint32_t bitset;		/* FUTEX_WAIT_BITSET's mask */
	bool woken;			/* set (and dequeued) by a waker */
};

static struct spinlock futex_lock = SPINLOCK_INIT("futex");
static struct futex_q queue = { &queue, &queue, NULL, 0, 0, false };

static void enqueue(struct futex_q *q)
{
	q->prev = queue.prev;
	q->next = &queue;
	queue.prev->next = q;
	queue.prev = q;
}

static void dequeue(struct futex_q *q)
{
	q->prev->next = q->next;
	q->next->prev = q->prev;
}

/* Linux get_futex_key's checks: the word aligned (-EINVAL), in the user half
 * (-EFAULT), and for a shared futex readable (-EFAULT). */
static int check_key(uint64_t uaddr, bool shared)
{
	uint32_t word;

	if (uaddr % sizeof(uint32_t))
		return -EINVAL;
	if (!user_range_ok(uaddr, sizeof(uint32_t)))
		return -EFAULT;
	if (shared && copy_from_user(&word, uaddr, sizeof(word)))
		return -EFAULT;
	return 0;
}

/* Take futex_lock and read the word at UADDR under it: 0, or -EFAULT
 * (without the lock) when it cannot be read at all. */
static int lock_and_read(uint64_t uaddr, uint32_t *word)
{
	for (;;) {
		if (copy_from_user(word, uaddr, sizeof(*word)))
			return -EFAULT;
		spin_lock(&futex_lock);
		if (!copy_from_user(word, uaddr, sizeof(*word)))
			return 0;
		spin_unlock(&futex_lock);
	}
}

/* FUTEX_WAIT(_BITSET): sleep while the word at UADDR holds VAL, until woken
 * (0), DEADLINE (time_ns(); 0 none) passes (-ETIMEDOUT) or a signal comes
 * (-ERESTARTSYS, as Linux futex_wait); -EAGAIN at once when the word differs. */
static long futex_wait(uint64_t uaddr, uint32_t val, uint64_t deadline, uint32_t bitset)
{
	struct futex_q q = { .vm = current()->vm, .uaddr = uaddr, .bitset = bitset };
	uint32_t word;
	long err = 0;

	if ((err = lock_and_read(uaddr, &word)))
		return err;
	if (word != val) {
		spin_unlock(&futex_lock);
		return -EAGAIN;
	}
	enqueue(&q);
	while (!q.woken && !err) {
		if (deadline && time_ns() >= deadline)
			err = -ETIMEDOUT;
		else if (signal_pending())
			err = -ERESTARTSYS;
		else
			sleep_until(&q, &futex_lock, deadline);
	}
	if (!q.woken)
		dequeue(&q);
	spin_unlock(&futex_lock);
	return q.woken ? 0 : err;
}

static bool matches(const struct futex_q *q, struct vmspace *vm, uint64_t uaddr)
{
	return q->vm == vm && q->uaddr == uaddr;
}

/* Dequeue Q and make its task runnable.  futex_lock and proc_lock held. */
static void wake_one(struct futex_q *q)
{
	dequeue(q);
	q->woken = true;
	wakeup_locked(q);
}

int futex_wake(struct vmspace *vm, uint64_t uaddr, int nr, uint32_t bitset)
{
	int woken = 0;

	spin_lock(&futex_lock);
	spin_lock(&proc_lock);
	for (struct futex_q *q = queue.next, *next; q != &queue; q = next) {
		next = q->next;
		if (!matches(q, vm, uaddr) || !(q->bitset & bitset))
			continue;
		wake_one(q);
		if (++woken >= nr)
			break;
	}
	spin_unlock(&proc_lock);
	spin_unlock(&futex_lock);
	return woken;
}

/* FUTEX_(CMP_)REQUEUE: wake NR_WAKE waiters on UADDR and move up to
 * NR_REQUEUE more to wait on UADDR2; CMP first demands that the word at
 * UADDR hold VAL3 (-EAGAIN).  Returns how many were woken or moved
 * (Linux futex_requeue, whose loop this follows). */
static long futex_requeue(uint64_t uaddr, uint64_t uaddr2, int nr_wake, int nr_requeue,
			  bool cmp, uint32_t val3)
{
	struct vmspace *vm = current()->vm;
	uint32_t word;
	long count = 0, err;

	if (nr_wake < 0 || nr_requeue < 0)
		return -EINVAL;
	if ((err = lock_and_read(uaddr, &word)))
		return err;
	if (cmp && word != val3) {
		spin_unlock(&futex_lock);
		return -EAGAIN;
	}
	spin_lock(&proc_lock);
	for (struct futex_q *q = queue.next, *next; q != &queue; q = next) {
		next = q->next;
		if (count - nr_wake >= nr_requeue)
			break;
		if (!matches(q, vm, uaddr))
			continue;
		if (++count <= nr_wake)
			wake_one(q);
		else
			q->uaddr = uaddr2;
	}
	spin_unlock(&proc_lock);
	spin_unlock(&futex_lock);
	return count;
}

/* The wait's deadline from user timespec UTIME (0: none): relative to now
 * for FUTEX_WAIT, absolute (CLOCK_MONOTONIC, or CLOCK_REALTIME with REALTIME)
 * for FUTEX_WAIT_BITSET. */
static long wait_deadline(uint64_t utime, bool absolute, bool realtime, uint64_t *deadline)
{
	uint64_t ns;
	long err;

	*deadline = 0;
	if (!utime)
		return 0;
	if ((err = timespec_from_user(utime, &ns)))
		return err;
	if (absolute && realtime)
		*deadline = time_realtime_to_boot(ns);
	else if (absolute)
		*deadline = ns ? ns : 1;
	else if (__builtin_add_overflow(time_ns(), ns, deadline))
		*deadline = 0;		/* beyond any uptime: no deadline */
	return 0;
}

long sys_futex(uint64_t uaddr, int op, uint32_t val, uint64_t utime, uint64_t uaddr2,
	       uint32_t val3)
{
	int cmd = op & FUTEX_CMD_MASK;
	bool shared = !(op & FUTEX_PRIVATE_FLAG);
	uint64_t deadline;
	long err;

	if ((op & FUTEX_CLOCK_REALTIME) && cmd != FUTEX_WAIT_BITSET)
		return -ENOSYS;
	switch (cmd) {
	case FUTEX_WAIT:
	case FUTEX_WAIT_BITSET:
		if ((err = wait_deadline(utime, cmd == FUTEX_WAIT_BITSET, op & FUTEX_CLOCK_REALTIME, &deadline)))
			return err;
		if (cmd == FUTEX_WAIT)
			val3 = FUTEX_BITSET_MATCH_ANY;
		if (!val3)
			return -EINVAL;
		if ((err = check_key(uaddr, false)))
			return err;
		return futex_wait(uaddr, val, deadline, val3);
	case FUTEX_WAKE:
	case FUTEX_WAKE_BITSET:
		if (cmd == FUTEX_WAKE)
			val3 = FUTEX_BITSET_MATCH_ANY;
		if (!val3)
			return -EINVAL;
		if ((err = check_key(uaddr, shared)))
			return err;
		return futex_wake(current()->vm, uaddr, (int)val, val3);
	case FUTEX_REQUEUE:
	case FUTEX_CMP_REQUEUE:
		if ((err = check_key(uaddr, shared)) || (err = check_key(uaddr2, shared)))
			return err;
		return futex_requeue(uaddr, uaddr2, (int)val, (int)utime, cmd == FUTEX_CMP_REQUEUE,
				     val3);
	default:
		return -ENOSYS;
	}
}
