/*
 * kernel/fs/poll.c - poll(2), ppoll, select(2) and pselect6: wait until one
 * of several files is ready (Linux fs/select.c).
 *
 * How one call waits for many files.  A process sleeps on one channel at a
 * time (kernel/sched.h), so each call has its own: its struct poll_table,
 * on the caller's kernel stack.  A round scans every descriptor asked
 * about, calling the file's poll op, which registers the file's wait
 * channel in the table (poll_wait) and then reports what is ready.  With
 * nothing ready the call sleeps on its table.  Whoever changes a file's
 * state calls poll_wakeup(channel), which wakes the channel's own sleepers
 * and looks through the tables of the calls now waiting (a list under
 * poll_lock) for that channel, marks those tables woken and wakes them;
 * each call then scans again.  A table is registered before the first scan
 * and each poll op registers before it reads the state, under the lock the
 * waker holds, so no wakeup falls between "not ready" and the sleep (the
 * woken flag is checked under poll_lock before sleeping).
 *
 * A round registers at most one channel per descriptor scanned, and a call
 * scans at most SELECT_MAX_FDS of them, so a table never fills.  A signal
 * ends the wait with -ERESTARTNOHAND (EINTR once a handler has run, else
 * the call restarts), a timeout with 0; select, pselect6 and ppoll write
 * back the time left, as Linux does.
 */
#include "kernel/fs/poll.h"
#include "kernel/errno.h"
#include "kernel/fs/file.h"
#include "kernel/panic.h"
#include "kernel/proc.h"
#include "kernel/sched.h"
#include "kernel/signal/signal.h"
#include "kernel/spinlock.h"
#include "kernel/sys_misc.h"
#include "kernel/syscall.h"
#include "kernel/uaccess.h"
#include "kernel/x86/time.h"

#define SELECT_MAX_FDS 64	/* Linux's smallest descriptor table (NR_OPEN_DEFAULT) */
#define FOREVER UINT64_MAX
#define POLLIN_SET (POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR)
#define POLLOUT_SET (POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR)
#define POLLEX_SET POLLPRI

struct poll_table {
	struct poll_table *next;	/* the calls waiting now (poll_lock) */
	bool woken;			/* a channel of it was woken since the last scan */
	int nchan;
	void *chan[SELECT_MAX_FDS];
};

static struct spinlock poll_lock = SPINLOCK_INIT("poll");
static struct poll_table *waiting;
static int nwaiting;			/* the list's length: poll_wakeup's quick test */

void poll_wait(struct poll_table *pt, void *chan)
{
	if (!pt)
		return;
	spin_lock(&poll_lock);
	int i = 0;
	while (i < pt->nchan && pt->chan[i] != chan)
		i++;
	if (i == pt->nchan) {
		if (pt->nchan == SELECT_MAX_FDS)
			panic("poll_wait: more channels than descriptors scanned");
		pt->chan[pt->nchan++] = chan;
	}
	spin_unlock(&poll_lock);
}

void poll_wakeup(void *chan)
{
	wakeup(chan);
	if (!__atomic_load_n(&nwaiting, __ATOMIC_ACQUIRE))
		return;
	spin_lock(&poll_lock);
	for (struct poll_table *pt = waiting; pt; pt = pt->next) {
		for (int i = 0; i < pt->nchan; i++) {
			if (pt->chan[i] == chan) {
				pt->woken = true;
				wakeup(pt);
				break;
			}
		}
	}
	spin_unlock(&poll_lock);
}

static void table_add(struct poll_table *pt)
{
	spin_lock(&poll_lock);
	pt->next = waiting;
	waiting = pt;
	__atomic_add_fetch(&nwaiting, 1, __ATOMIC_RELEASE);
	spin_unlock(&poll_lock);
}

static void table_remove(struct poll_table *pt)
{
	spin_lock(&poll_lock);
	struct poll_table **pp = &waiting;
	while (*pp != pt)
		pp = &(*pp)->next;
	*pp = pt->next;
	__atomic_sub_fetch(&nwaiting, 1, __ATOMIC_RELEASE);
	spin_unlock(&poll_lock);
}

/* A new round: forget the channels (this scan registers them again). */
static void table_reset(struct poll_table *pt)
{
	spin_lock(&poll_lock);
	pt->nchan = 0;
	spin_unlock(&poll_lock);
}

/* Sleep until a registered channel is woken, DEADLINE (0: none) or a signal. */
static void table_sleep(struct poll_table *pt, uint64_t deadline)
{
	spin_lock(&poll_lock);
	if (!pt->woken)
		sleep_until(pt, &poll_lock, deadline);
	pt->woken = false;
	spin_unlock(&poll_lock);
}

/* The events F has ready, registering PT on its channel. */
static unsigned file_poll(struct file *f, struct poll_table *pt)
{
	return f->ops->poll ? f->ops->poll(f, pt) : DEFAULT_POLLMASK;
}

/* One round over the descriptors: the count ready (> 0), 0, or -errno. */
typedef long (*scan_fn)(void *ctx, struct poll_table *pt);

/* Scan until something is ready, DEADLINE passes (time_ns(); FOREVER), or
 * a signal comes (-ERESTARTNOHAND): Linux do_poll/do_select's loop. */
static long wait_ready(scan_fn scan, void *ctx, uint64_t deadline)
{
	struct poll_table pt = { 0 };
	long r;

	table_add(&pt);
	for (;;) {
		table_reset(&pt);
		r = scan(ctx, &pt);
		if (r == 0 && signal_pending())
			r = -ERESTARTNOHAND;
		if (r != 0 || time_ns() >= deadline)
			break;
		table_sleep(&pt, deadline == FOREVER ? 0 : deadline);
	}
	table_remove(&pt);
	return r;
}

/* A relative timeout of NS nanoseconds as a deadline. */
static uint64_t deadline_after(uint64_t ns)
{
	uint64_t now = time_ns();

	return ns >= FOREVER - now ? FOREVER : now + ns;
}

static uint64_t time_left(uint64_t deadline)
{
	uint64_t now = time_ns();

	return deadline > now ? deadline - now : 0;
}

/* ---- poll, ppoll ---- */

struct pollfd {
	int fd;
	short events, revents;
};

struct poll_ctx {
	struct pollfd *fds;
	unsigned nfds;
};

/* Linux do_pollfd: a negative fd is skipped, a closed one is POLLNVAL;
 * POLLERR and POLLHUP are reported whether asked for or not. */
static long scan_pollfds(void *ctx, struct poll_table *pt)
{
	struct poll_ctx *c = ctx;
	long count = 0;

	for (unsigned i = 0; i < c->nfds; i++) {
		struct pollfd *p = &c->fds[i];
		p->revents = 0;
		if (p->fd < 0)
			continue;
		struct file *f = fget(p->fd);
		if (!f) {
			p->revents = POLLNVAL;
		} else {
			unsigned mask = file_poll(f, pt);
			file_put(f);
			p->revents = (short)(mask & ((unsigned short)p->events | POLLERR | POLLHUP));
		}
		count += p->revents != 0;
	}
	return count;
}

/* poll/ppoll after the timeout is known: -EINVAL for more entries than
 * descriptors a process may have (RLIMIT_NOFILE), -EFAULT. */
static long do_poll(uint64_t ufds, unsigned nfds, uint64_t deadline)
{
	struct pollfd fds[NOFILE];
	struct poll_ctx c = { fds, nfds };

	if (nfds > rlimit_cur(RLIMIT_NOFILE) || nfds > NOFILE)	/* the table's size caps it */
		return -EINVAL;
	if (copy_from_user(fds, ufds, nfds * sizeof(*fds)))
		return -EFAULT;
	long r = wait_ready(scan_pollfds, &c, deadline);
	for (unsigned i = 0; r >= 0 && i < nfds; i++)
		if (copy_to_user(ufds + i * sizeof(*fds) + 6, &fds[i].revents, 2))
			return -EFAULT;
	return r;
}

/* poll(2): TIMEOUT in milliseconds, negative for none. */
long sys_poll(uint64_t ufds, unsigned nfds, int timeout)
{
	uint64_t deadline = timeout < 0 ? FOREVER : deadline_after(timeout * 1000000UL);

	return do_poll(ufds, nfds, deadline);
}

struct timespec_k {
	int64_t tv_sec, tv_nsec;
};

/* Write the time left before DEADLINE to the user's timespec (ppoll,
 * pselect6) or timeval (select, USEC): a bad address is ignored, as Linux's
 * poll_select_finish does, but then an interrupted call gives -EINTR. */
static long write_back(uint64_t uaddr, uint64_t deadline, bool usec, long r)
{
	uint64_t left = time_left(deadline);
	struct timespec_k t = { (int64_t)(left / 1000000000), (int64_t)(left % 1000000000) };

	if (usec)
		t.tv_nsec /= 1000;
	if (copy_to_user(uaddr, &t, sizeof(t)) && r == -ERESTARTNOHAND)
		return -EINTR;
	return r;
}

/*
 * ppoll/pselect6's signal mask comes from set_user_sigmask (kernel/signal/signal.h).
 * end_sigmask() puts the old one back, except after a signal
 * (-ERESTARTNOHAND): signal delivery restores it then, once a handler has
 * run with the call's mask (Linux restore_saved_sigmask_unless).
 */

static long end_sigmask(uint64_t umask, long r)
{
	struct proc *me = current();

	if (umask && r != -ERESTARTNOHAND) {
		spin_lock(&proc_lock);
		me->restore_sigmask = false;
		set_current_blocked_locked(me->saved_sigmask);
		spin_unlock(&proc_lock);
	}
	return r;
}

/* ppoll(2): a timespec timeout (NULL: none) and a signal mask. */
long sys_ppoll(uint64_t ufds, unsigned nfds, uint64_t uts, uint64_t umask, uint64_t size)
{
	uint64_t ns, deadline = FOREVER;
	long r;

	if (uts) {
		if ((r = timespec_from_user(uts, &ns)))
			return r;
		deadline = deadline_after(ns);
	}
	if ((r = set_user_sigmask(umask, size)))
		return r;
	r = do_poll(ufds, nfds, deadline);
	return end_sigmask(umask, uts ? write_back(uts, deadline, false, r) : r);
}

/* ---- select, pselect6 ---- */

struct select_ctx {
	int n;
	uint64_t in, out, ex;		/* the sets asked about */
	uint64_t rin, rout, rex;	/* what is ready */
};

/* Linux do_select's round: -EBADF for a descriptor that is not open. */
static long scan_fdsets(void *ctx, struct poll_table *pt)
{
	struct select_ctx *c = ctx;
	long count = 0;

	c->rin = c->rout = c->rex = 0;
	for (int fd = 0; fd < c->n; fd++) {
		uint64_t bit = 1UL << fd;
		if (!((c->in | c->out | c->ex) & bit))
			continue;
		struct file *f = fget(fd);
		if (!f)
			return -EBADF;
		unsigned mask = file_poll(f, pt);
		file_put(f);
		if ((c->in & bit) && (mask & POLLIN_SET))
			c->rin |= bit, count++;
		if ((c->out & bit) && (mask & POLLOUT_SET))
			c->rout |= bit, count++;
		if ((c->ex & bit) && (mask & POLLEX_SET))
			c->rex |= bit, count++;
	}
	return count;
}

/* Copy the first SELECT_MAX_FDS bits of a user fd_set (NULL: empty). */
static int get_fdset(uint64_t uset, uint64_t *set)
{
	*set = 0;
	return uset && copy_from_user(set, uset, 8) ? -EFAULT : 0;
}

static int put_fdset(uint64_t uset, uint64_t set)
{
	return uset && copy_to_user(uset, &set, 8) ? -EFAULT : 0;
}

/* select and pselect6 after the timeout is known (Linux core_sys_select):
 * -EINVAL for a negative N; descriptors from SELECT_MAX_FDS on are never
 * open here and are not looked at, as Linux ignores bits past its table. */
static long do_select(int n, uint64_t uin, uint64_t uout, uint64_t uex, uint64_t deadline)
{
	struct select_ctx c = { .n = MIN(n, SELECT_MAX_FDS) };

	if (n < 0)
		return -EINVAL;
	if (get_fdset(uin, &c.in) || get_fdset(uout, &c.out) || get_fdset(uex, &c.ex))
		return -EFAULT;
	if (c.n < SELECT_MAX_FDS) {
		uint64_t keep = (1UL << c.n) - 1;
		c.in &= keep, c.out &= keep, c.ex &= keep;
	}
	long r = wait_ready(scan_fdsets, &c, deadline);
	if (r < 0)
		return r;
	if (put_fdset(uin, c.rin) || put_fdset(uout, c.rout) || put_fdset(uex, c.rex))
		return -EFAULT;
	return r;
}

struct timeval_k {
	int64_t tv_sec, tv_usec;
};

/* select(2): a timeval timeout (NULL: none), written back with the time left. */
long sys_select(int n, uint64_t uin, uint64_t uout, uint64_t uex, uint64_t utv)
{
	uint64_t deadline = FOREVER;
	struct timeval_k tv;

	if (utv) {
		if (copy_from_user(&tv, utv, sizeof(tv)))
			return -EFAULT;
		int64_t sec = tv.tv_sec + tv.tv_usec / 1000000, usec = tv.tv_usec % 1000000;
		if (sec < 0 || usec < 0)
			return -EINVAL;
		deadline = deadline_after(time_to_ns(sec, usec * 1000));
	}
	long r = do_select(n, uin, uout, uex, deadline);
	return utv ? write_back(utv, deadline, true, r) : r;
}

/* pselect6(2): a timespec timeout and, in the sixth argument, the address
 * of { const sigset_t *mask; size_t size; } (NULL: no mask). */
long sys_pselect6(int n, uint64_t uin, uint64_t uout, uint64_t uex, uint64_t uts, uint64_t usig)
{
	uint64_t ns, deadline = FOREVER, sig[2] = { 0, 0 };
	long r;

	if (uts) {
		if ((r = timespec_from_user(uts, &ns)))
			return r;
		deadline = deadline_after(ns);
	}
	if (usig && copy_from_user(sig, usig, sizeof(sig)))
		return -EFAULT;
	if ((r = set_user_sigmask(sig[0], sig[1])))
		return r;
	r = do_select(n, uin, uout, uex, deadline);
	return end_sigmask(sig[0], uts ? write_back(uts, deadline, false, r) : r);
}
