/*
 * kernel/fs/pipe.c - pipes.
 *
 * A pipe is one page of ring buffer with free-running read and write
 * positions, and a count of open read and write ends (each end is one struct
 * file, shared by dup and fork through its reference count).  Readers sleep
 * while the pipe is empty and a writer remains; writers sleep while it is
 * full and a reader remains; both sleep on the pipe itself, and every change
 * (data in, data out, an end closed) wakes both sides, and poll/select
 * callers waiting on the pipe (poll_wakeup, kernel/fs/poll.h).
 *
 * User memory is never touched with the pipe's spin lock held: data goes
 * through a kernel bounce buffer (on the stack for small transfers, one
 * kmalloc'ed page otherwise).  A write of at most PIPE_BUF bytes waits until
 * it fits entirely, so it is never interleaved with other writers; larger
 * writes go in pieces as room appears, yielding between pieces
 * (cond_resched) and stopping for a fatal signal with what they wrote.  A
 * read takes at most one ring's worth, so it needs no such check.
 */
#include "kernel/fs/pipe.h"
#include "kernel/errno.h"
#include "kernel/fs/fs.h"
#include "kernel/fs/poll.h"
#include "kernel/proc.h"
#include "kernel/sched.h"
#include "kernel/signal/signal.h"
#include "kernel/spinlock.h"
#include "kernel/uaccess.h"
#include "mm/heap.h"

#define PIPE_SIZE 4096		/* ring size: a power of two */
#define SMALL 256		/* transfers this small use a stack buffer */

struct pipe {
	struct spinlock lock;
	char *buf;
	uint64_t rpos, wpos;	/* free-running; wpos - rpos bytes are stored */
	int readers, writers;	/* open ends */
	uint64_t ino;
};

static const struct file_ops pipe_read_ops, pipe_write_ops;
static uint64_t next_ino = 1;

/* Copy N stored bytes out of the ring (lock held). */
static void ring_out(struct pipe *p, char *dst, size_t n)
{
	size_t at = p->rpos % PIPE_SIZE, first = MIN(n, PIPE_SIZE - at);

	memcpy(dst, p->buf + at, first);
	memcpy(dst + first, p->buf, n - first);
	p->rpos += n;
}

/* Copy N bytes into the ring (lock held, room checked). */
static void ring_in(struct pipe *p, const char *src, size_t n)
{
	size_t at = p->wpos % PIPE_SIZE, first = MIN(n, PIPE_SIZE - at);

	memcpy(p->buf + at, src, first);
	memcpy(p->buf, src + first, n - first);
	p->wpos += n;
}

/* A bounce buffer for N bytes: SMALLBUF or a page; its usable size in *SIZE. */
static char *bounce(char *smallbuf, size_t n, size_t *size)
{
	if (n <= SMALL) {
		*size = SMALL;
		return smallbuf;
	}
	*size = PIPE_SIZE;
	return kmalloc(PIPE_SIZE);
}

static void bounce_free(char *b, char *smallbuf)
{
	if (b != smallbuf)
		kfree(b);
}

/* Wait until the pipe has data (lock held): 1, or 0 at end of file, or -errno. */
static long wait_data(struct pipe *p, struct file *f)
{
	while (p->wpos == p->rpos) {
		if (!p->writers)
			return 0;
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		if (signal_pending())
			return -ERESTARTSYS;
		sleep_on(p, &p->lock);
	}
	return 1;
}

/* One read takes what is there (up to N), waiting only while nothing is. */
static long pipe_read(struct file *f, uint64_t buf, size_t n, uint64_t *off)
{
	struct pipe *p = f->priv;
	char smallbuf[SMALL];
	size_t size;

	(void)off;
	if (n == 0)
		return 0;
	char *kbuf = bounce(smallbuf, n, &size);
	if (!kbuf)
		return -ENOMEM;
	spin_lock(&p->lock);
	long r = wait_data(p, f);
	if (r > 0) {
		r = (long)MIN(MIN(n, size), p->wpos - p->rpos);
		ring_out(p, kbuf, (size_t)r);
		poll_wakeup(p);
	}
	spin_unlock(&p->lock);
	if (r > 0 && copy_to_user(buf, kbuf, (size_t)r))
		r = -EFAULT;
	bounce_free(kbuf, smallbuf);
	return r;
}

/*
 * Put N bytes from KBUF into the pipe, waiting for room; all at once when
 * ATOMIC.  Returns the bytes put, or -errno when none were: -EPIPE (and
 * SIGPIPE) with no reader, -EAGAIN for O_NONBLOCK, -ERESTARTSYS for a
 * signal (restarted under SA_RESTART, else EINTR).
 */
static long put_bytes(struct pipe *p, struct file *f, const char *kbuf, size_t n, bool atomic)
{
	size_t put = 0;
	long err = 0;

	spin_lock(&p->lock);
	while (put < n) {
		size_t room = PIPE_SIZE - (p->wpos - p->rpos);
		if (!p->readers) {
			err = -EPIPE;
			break;
		}
		if (room >= (atomic ? n - put : 1)) {
			size_t k = MIN(room, n - put);
			ring_in(p, kbuf + put, k);
			put += k;
			poll_wakeup(p);
			continue;
		}
		if ((err = (f->flags & O_NONBLOCK) ? -EAGAIN : signal_pending() ? -ERESTARTSYS : 0))
			break;
		sleep_on(p, &p->lock);
	}
	spin_unlock(&p->lock);
	if (err == -EPIPE)
		signal_send(current(), SIGPIPE);
	return put ? (long)put : err;
}

static long pipe_write(struct file *f, uint64_t buf, size_t n, uint64_t *off)
{
	struct pipe *p = f->priv;
	char smallbuf[SMALL];
	size_t size, done = 0;
	long r = 0;

	(void)off;
	if (n == 0)
		return 0;
	char *kbuf = bounce(smallbuf, n, &size);
	if (!kbuf)
		return -ENOMEM;
	while (done < n) {
		size_t chunk = MIN(n - done, size);
		if (fatal_signal_pending()) {
			r = -EINTR;
			break;
		}
		cond_resched();
		if (copy_from_user(kbuf, buf + done, chunk)) {
			r = -EFAULT;
			break;
		}
		r = put_bytes(p, f, kbuf, chunk, n <= PIPE_BUF);
		if (r > 0)
			done += (size_t)r;
		if (r < (long)chunk)
			break;
	}
	bounce_free(kbuf, smallbuf);
	return done ? (long)done : r;
}

#define FIONREAD 0x541B

/* FIONREAD: the bytes waiting in the pipe; other requests are not a tty's. */
static long pipe_ioctl(struct file *f, unsigned long cmd, uint64_t arg)
{
	struct pipe *p = f->priv;

	if (cmd != FIONREAD)
		return -ENOTTY;
	int n = (int)(p->wpos - p->rpos);
	return copy_to_user(arg, &n, sizeof(n)) ? -EFAULT : 0;
}

/*
 * Linux pipe_poll: the read end is readable with data stored, and hung up
 * (POLLHUP) once no writer is left; the write end is writable while the
 * ring is not full (a write of more than the room left still waits), and
 * in error (POLLERR) once no reader is left.
 */
static unsigned pipe_poll(struct file *f, struct poll_table *pt)
{
	struct pipe *p = f->priv;
	unsigned mask = 0;

	poll_wait(pt, p);
	spin_lock(&p->lock);
	if (f->ops == &pipe_read_ops) {
		if (p->wpos != p->rpos)
			mask |= POLLIN | POLLRDNORM;
		if (!p->writers)
			mask |= POLLHUP;
	} else {
		if (p->wpos - p->rpos < PIPE_SIZE)
			mask |= POLLOUT | POLLWRNORM;
		if (!p->readers)
			mask |= POLLERR;
	}
	spin_unlock(&p->lock);
	return mask;
}

static int pipe_stat(struct file *f, struct stat *st)
{
	struct pipe *p = f->priv;

	fs_fill_stat(st, S_IFIFO | 0600, p->ino, 0, 0);
	st->st_dev = 3;		/* pipefs */
	return 0;
}

/* The last reference to one end went: count it, wake the other side, free
 * the pipe when both ends are gone. */
static void pipe_close(struct file *f)
{
	struct pipe *p = f->priv;

	spin_lock(&p->lock);
	if (f->ops == &pipe_read_ops)
		p->readers--;
	else
		p->writers--;
	bool last = !p->readers && !p->writers;
	poll_wakeup(p);
	spin_unlock(&p->lock);
	if (last) {
		kfree(p->buf);
		kfree(p);
	}
}

static const struct file_ops pipe_read_ops = {
	.read = pipe_read, .ioctl = pipe_ioctl, .stat = pipe_stat, .close = pipe_close,
	.poll = pipe_poll,
};

static const struct file_ops pipe_write_ops = {
	.write = pipe_write, .ioctl = pipe_ioctl, .stat = pipe_stat, .close = pipe_close,
	.poll = pipe_poll,
};

int pipe_create(int flags, struct file **rd, struct file **wr)
{
	struct pipe *p = kzalloc(sizeof(*p));
	int nb = flags & O_NONBLOCK;

	if (!p)
		return -ENOMEM;
	p->buf = kmalloc(PIPE_SIZE);
	*rd = file_alloc(&pipe_read_ops, O_RDONLY | nb, p);
	*wr = file_alloc(&pipe_write_ops, O_WRONLY | nb, p);
	if (!p->buf || !*rd || !*wr) {
		kfree(*rd);
		kfree(*wr);
		kfree(p->buf);
		kfree(p);
		return -ENOMEM;
	}
	p->lock = (struct spinlock)SPINLOCK_INIT("pipe");
	p->readers = p->writers = 1;
	p->ino = __atomic_fetch_add(&next_ino, 1, __ATOMIC_RELAXED);
	return 0;
}
