/*
 * kernel/fs/dev.c - the /dev mount: the console (/dev/console, /dev/ttyS0 and
 * /dev/tty, all the COM1 tty of kernel/fs/tty.c), /dev/null, /dev/zero,
 * /dev/full, and /dev/random and /dev/urandom (kernel/random.c, which never
 * blocks, so the two are the same).  Major and minor numbers are Linux's
 * (Documentation/admin-guide/devices.txt).
 *
 * It is also the smallest example of a struct fs_mount (kernel/fs/fs.h): a
 * table of nodes, a lookup that maps a path to one of them, a readdir that
 * lists them and an open that makes a struct file with the node's file_ops.
 */
#include "kernel/errno.h"
#include "kernel/panic.h"
#include "kernel/fs/file.h"
#include "kernel/fs/fs.h"
#include "kernel/fs/mount.h"
#include "kernel/sched.h"
#include "kernel/signal/signal.h"
#include "kernel/fs/tty.h"
#include "kernel/random.h"
#include "kernel/uaccess.h"

#define MKDEV(major, minor) (((uint64_t)(major) << 8) | (minor))

static const struct file_ops null_ops, zero_ops, full_ops, random_ops;

static const struct device {
	const char *name;
	uint32_t mode;
	uint64_t rdev;
	const struct file_ops *ops;
} devices[] = {
	{ "console", S_IFCHR | 0600, MKDEV(5, 1), &tty_ops },
	{ "full", S_IFCHR | 0666, MKDEV(1, 7), &full_ops },
	{ "null", S_IFCHR | 0666, MKDEV(1, 3), &null_ops },
	{ "random", S_IFCHR | 0666, MKDEV(1, 8), &random_ops },
	{ "tty", S_IFCHR | 0666, MKDEV(5, 0), &tty_ops },	/* the caller's terminal */
	{ "ttyS0", S_IFCHR | 0660, MKDEV(4, 64), &tty_ops },
	{ "urandom", S_IFCHR | 0666, MKDEV(1, 9), &random_ops },
	{ "zero", S_IFCHR | 0666, MKDEV(1, 5), &zero_ops },
};

static int dev_lookup(struct fs_node *n)
{
	n->ino = fs_path_ino(n->path);
	if (!strcmp(n->path, "/dev")) {
		n->mode = S_IFDIR | 0755;
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(devices); i++) {
		if (!strcmp(n->path + 5, devices[i].name)) {
			n->mode = devices[i].mode;
			n->rdev = devices[i].rdev;
			n->id = i;
			return 0;
		}
	}
	return -ENOENT;
}

static bool dev_readdir(const struct fs_node *dir, size_t idx, char *name, size_t max,
			uint32_t *mode, uint64_t *ino)
{
	char path[16] = "/dev/";

	(void)dir;	/* /dev is the only directory */
	if (idx >= ARRAY_SIZE(devices))
		return false;
	strlcpy(name, devices[idx].name, max);
	strlcpy(path + 5, devices[idx].name, sizeof(path) - 5);
	*mode = devices[idx].mode;
	*ino = fs_path_ino(path);
	return true;
}

static int dev_open(const struct fs_node *n, int flags, struct file **out)
{
	const struct device *d = &devices[n->id];

	if (d->ops == &tty_ops)	/* /dev/tty: the caller's controlling tty */
		return tty_open(d->rdev, flags, (void *)d, out);
	*out = file_alloc(d->ops, flags & (O_ACCMODE | O_APPEND | O_NONBLOCK), (void *)d);
	return *out ? 0 : -ENOMEM;
}

const struct fs_mount dev_mount = {
	.prefix = "/dev", .lookup = dev_lookup, .readdir = dev_readdir, .open = dev_open,
};

/* ---- /dev/null and /dev/zero ---- */

static long null_read(struct file *f, uint64_t buf, size_t n, uint64_t *off)
{
	(void)f, (void)buf, (void)n, (void)off;
	return 0;
}

/* Zeros, a small block at a time: a big read yields and stops for a fatal
 * signal, returning the bytes done or -EINTR. */
static long zero_read(struct file *f, uint64_t buf, size_t n, uint64_t *off)
{
	static const char zeros[512];

	(void)f, (void)off;
	for (size_t done = 0; done < n;) {
		size_t k = MIN(n - done, sizeof(zeros));
		if (fatal_signal_pending())
			return done ? (long)done : -EINTR;
		cond_resched();
		if (copy_to_user(buf + done, zeros, k))
			return done ? (long)done : -EFAULT;
		done += k;
	}
	return (long)n;
}

static long sink_write(struct file *f, uint64_t buf, size_t n, uint64_t *off)
{
	(void)f, (void)buf, (void)off;
	return (long)n;
}

int dev_stat(struct file *f, struct stat *st)
{
	const struct device *d = f->priv;
	char path[16] = "/dev/";

	strlcpy(path + 5, d->name, sizeof(path) - 5);
	fs_fill_stat(st, d->mode, fs_path_ino(path), 0, d->rdev);
	return 0;
}

int dev_open_console(struct file **out)
{
	for (size_t i = 0; i < ARRAY_SIZE(devices); i++) {
		if (strcmp(devices[i].name, "console"))
			continue;
		*out = file_alloc(&tty_ops, O_RDWR, (void *)&devices[i]);
		if (!*out)
			return -ENOMEM;
		strlcpy((*out)->path, "/dev/console", sizeof((*out)->path));
		(*out)->dev = mount_of("/dev")->dev;
		return 0;
	}
	panic("dev_open_console: no console in the device table");
}

static const struct file_ops null_ops = {
	.read = null_read, .write = sink_write, .stat = dev_stat, .seekable = true,
};

static const struct file_ops zero_ops = {
	.read = zero_read, .write = sink_write, .stat = dev_stat, .seekable = true,
};

bool dev_is_zero(const struct file *f)
{
	return f->ops == &zero_ops;
}

/* ---- /dev/full and /dev/random, /dev/urandom ---- */

/* /dev/full: reads as /dev/zero, every write fails: the disk is full. */
static long full_write(struct file *f, uint64_t buf, size_t n, uint64_t *off)
{
	(void)f, (void)buf, (void)n, (void)off;
	return -ENOSPC;
}

static const struct file_ops full_ops = {
	.read = zero_read, .write = full_write, .stat = dev_stat, .seekable = true,
};

static long random_read(struct file *f, uint64_t buf, size_t n, uint64_t *off)
{
	(void)f, (void)off;
	return random_read_user(buf, n);
}

/* Writing to Linux's random devices mixes the data into the pool without
 * crediting entropy; here it is accepted and dropped: the generator is
 * never short of seed. */
static const struct file_ops random_ops = {
	.read = random_read, .write = sink_write, .stat = dev_stat, .seekable = true,
};
