/*
 * kernel/fs/file.c - open files, descriptor tables and the current directory.
 *
 * A struct file is reference counted (atomically): every descriptor that
 * refers to it (after dup, dup2 or fork) holds one reference, so does a
 * system call working on it (fget), and the file's close op runs when the
 * last one goes.  A task's descriptors are a struct files_struct and its
 * current directory a struct fs_struct (kernel/fs/file.h), each reference
 * counted so that clone(CLONE_FILES / CLONE_FS) can share them between
 * threads, and locked because those threads run on several CPUs.  Lock
 * order: files_struct.lock, fs_struct.lock are leaves (nothing is taken
 * inside them, and a file is closed only after the lock is dropped).
 */
#include "kernel/fs/file.h"
#include "kernel/errno.h"
#include "kernel/fs/fs.h"
#include "kernel/fs/inode.h"
#include "kernel/proc.h"
#include "kernel/spinlock.h"
#include "kernel/sys_misc.h"
#include "kernel/fs/tty.h"
#include "mm/heap.h"

_Static_assert(NOFILE <= 32, "the close-on-exec mask is one uint32_t");

struct file *file_alloc(const struct file_ops *ops, int flags, void *priv)
{
	struct file *f = kzalloc(sizeof(*f));

	if (!f)
		return NULL;
	f->ops = ops;
	f->refcount = 1;
	f->flags = flags;
	f->priv = priv;
	return f;
}

struct file *file_get(struct file *f)
{
	__atomic_add_fetch(&f->refcount, 1, __ATOMIC_RELAXED);
	return f;
}

/* Drop a reference; the last one runs the close op and frees F. */
void file_put(struct file *f)
{
	if (__atomic_sub_fetch(&f->refcount, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	if (f->ops && f->ops->close)
		f->ops->close(f);
	iput(f->inode);
	kfree(f);
}

/* ---- descriptor tables ---- */

static struct files_struct *files_alloc(void)
{
	struct files_struct *t = kzalloc(sizeof(*t));

	if (t) {
		t->refcount = 1;
		t->lock = (struct spinlock)SPINLOCK_INIT("files");
	}
	return t;
}

struct files_struct *files_copy(struct files_struct *files)
{
	struct files_struct *t = files_alloc();

	if (!t)
		return NULL;
	spin_lock(&files->lock);
	for (int fd = 0; fd < NOFILE; fd++)
		t->fd[fd] = files->fd[fd] ? file_get(files->fd[fd]) : NULL;
	t->cloexec = files->cloexec;
	spin_unlock(&files->lock);
	return t;
}

struct files_struct *files_get(struct files_struct *files)
{
	__atomic_add_fetch(&files->refcount, 1, __ATOMIC_RELAXED);
	return files;
}

void files_put(struct files_struct *files)
{
	if (!files || __atomic_sub_fetch(&files->refcount, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	for (int fd = 0; fd < NOFILE; fd++)
		if (files->fd[fd])
			file_put(files->fd[fd]);
	kfree(files);
}

int files_unshare(void)
{
	struct proc *p = current();
	struct files_struct *old = p->files;

	if (__atomic_load_n(&old->refcount, __ATOMIC_ACQUIRE) == 1)
		return 0;
	struct files_struct *copy = files_copy(old);
	if (!copy)
		return -ENOMEM;
	/* under proc_lock: a /proc reader takes its reference there (procfs) */
	spin_lock(&proc_lock);
	p->files = copy;
	spin_unlock(&proc_lock);
	files_put(old);
	return 0;
}

/* fd_alloc for table T, whose descriptors below LIMIT may be used: -EMFILE
 * when none from MIN up is free, even when MIN is at or past LIMIT (an open
 * under RLIMIT_NOFILE 0: Linux alloc_fd). */
static int alloc_in(struct files_struct *t, struct file *f, int min, int fdflags, int limit)
{
	int r = -EMFILE;

	if (min < 0)
		return -EINVAL;
	spin_lock(&t->lock);
	for (int fd = min; fd < limit; fd++) {
		if (!t->fd[fd]) {
			t->fd[fd] = f;
			if (fdflags & FD_CLOEXEC)
				t->cloexec |= 1u << fd;
			else
				t->cloexec &= ~(1u << fd);
			r = fd;
			break;
		}
	}
	spin_unlock(&t->lock);
	return r;
}

int fd_alloc(struct file *f, int min, int fdflags)
{
	/* RLIMIT_NOFILE lowers the table's size (Linux: rlimit(RLIMIT_NOFILE)) */
	int limit = (int)MIN(rlimit_cur(RLIMIT_NOFILE), (uint64_t)NOFILE);

	return alloc_in(current()->files, f, min, fdflags, limit);
}

struct file *fget_raw(int fd)
{
	struct files_struct *t = current()->files;
	struct file *f = NULL;

	if (fd < 0 || fd >= NOFILE)
		return NULL;
	spin_lock(&t->lock);
	if (t->fd[fd])
		f = file_get(t->fd[fd]);
	spin_unlock(&t->lock);
	return f;
}

struct file *fget(int fd)
{
	struct file *f = fget_raw(fd);

	if (f && (f->flags & O_PATH)) {
		file_put(f);
		return NULL;
	}
	return f;
}

int fd_close(int fd)
{
	struct files_struct *t = current()->files;
	struct file *f = NULL;

	if (fd < 0 || fd >= NOFILE)
		return -EBADF;
	spin_lock(&t->lock);
	if ((f = t->fd[fd])) {
		t->fd[fd] = NULL;
		t->cloexec &= ~(1u << fd);
	}
	spin_unlock(&t->lock);
	if (!f)
		return -EBADF;
	file_put(f);
	return 0;
}

int fd_dup2(int oldfd, int newfd)
{
	struct files_struct *t = current()->files;
	struct file *old = NULL;
	int r = newfd;

	if (oldfd < 0 || oldfd >= NOFILE || newfd < 0 || newfd >= NOFILE)
		return -EBADF;
	spin_lock(&t->lock);
	if (!t->fd[oldfd]) {
		r = -EBADF;
	} else if (oldfd != newfd) {
		old = t->fd[newfd];
		t->fd[newfd] = file_get(t->fd[oldfd]);
		t->cloexec &= ~(1u << newfd);
	}
	spin_unlock(&t->lock);
	if (old)
		file_put(old);
	return r;
}

int fd_get_flags(int fd)
{
	struct files_struct *t = current()->files;
	int r = -EBADF;

	if (fd < 0 || fd >= NOFILE)
		return -EBADF;
	spin_lock(&t->lock);
	if (t->fd[fd])
		r = t->cloexec & (1u << fd) ? FD_CLOEXEC : 0;
	spin_unlock(&t->lock);
	return r;
}

int fd_set_flags(int fd, int fdflags)
{
	struct files_struct *t = current()->files;
	int r = -EBADF;

	if (fd < 0 || fd >= NOFILE)
		return -EBADF;
	spin_lock(&t->lock);
	if (t->fd[fd]) {
		if (fdflags & FD_CLOEXEC)
			t->cloexec |= 1u << fd;
		else
			t->cloexec &= ~(1u << fd);
		r = 0;
	}
	spin_unlock(&t->lock);
	return r;
}

void fd_close_on_exec(void)
{
	struct files_struct *t = current()->files;

	spin_lock(&t->lock);
	uint32_t mask = t->cloexec;
	spin_unlock(&t->lock);
	for (int fd = 0; fd < NOFILE; fd++)
		if (mask & (1u << fd))
			fd_close(fd);
}

/* ---- the current directory ---- */

static struct fs_struct *fs_alloc(void)
{
	struct fs_struct *fs = kzalloc(sizeof(*fs));

	if (fs) {
		fs->refcount = 1;
		fs->lock = (struct spinlock)SPINLOCK_INIT("fs");
		fs->umask = 022;	/* Linux's init starts with this */
	}
	return fs;
}

struct fs_struct *fs_copy(struct fs_struct *fs)
{
	struct fs_struct *copy = fs_alloc();

	if (copy) {
		spin_lock(&fs->lock);
		memcpy(copy->cwd, fs->cwd, sizeof(copy->cwd));
		copy->umask = fs->umask;
		spin_unlock(&fs->lock);
	}
	return copy;
}

struct fs_struct *fs_get(struct fs_struct *fs)
{
	__atomic_add_fetch(&fs->refcount, 1, __ATOMIC_RELAXED);
	return fs;
}

void fs_put(struct fs_struct *fs)
{
	if (fs && __atomic_sub_fetch(&fs->refcount, 1, __ATOMIC_ACQ_REL) == 0)
		kfree(fs);
}

void fd_cwd(char *buf)
{
	struct fs_struct *fs = current()->fs;

	spin_lock(&fs->lock);
	strlcpy(buf, fs->cwd[0] ? fs->cwd : "/", FS_PATH_MAX);
	spin_unlock(&fs->lock);
}

void fd_set_cwd(const char *path)
{
	struct fs_struct *fs = current()->fs;

	spin_lock(&fs->lock);
	strlcpy(fs->cwd, path, FS_PATH_MAX);
	spin_unlock(&fs->lock);
}

int fd_umask(void)
{
	return __atomic_load_n(&current()->fs->umask, __ATOMIC_RELAXED);
}

int fd_set_umask(int mask)
{
	return __atomic_exchange_n(&current()->fs->umask, mask & 0777, __ATOMIC_RELAXED);
}

/* Descriptors 0, 1 and 2 of P (which has none yet) on one console file. */
int fd_open_console_in(struct proc *p)
{
	struct file *f = NULL;

	dev_open_console(&f);
	p->files = files_alloc();
	p->fs = fs_alloc();
	if (!f || !p->files || !p->fs) {
		if (f)
			file_put(f);
		return -ENOMEM;
	}
	for (int fd = 0; fd < 3; fd++)
		alloc_in(p->files, fd ? file_get(f) : f, fd, 0, NOFILE);
	return 0;
}
