/*
 * kernel/file.c - open files and the per-process descriptor table.
 *
 * A struct file is reference counted: every descriptor that refers to it
 * (after dup, dup2 or fork) holds one reference, and the file's close op runs
 * when the last one goes.  The descriptor table itself is proc.files[]; only
 * the process that owns a table changes it, so the table needs no lock.
 *
 * Per-process state that struct proc does not have a field for - the
 * FD_CLOEXEC bits (NOFILE = 32 fits one uint32_t) and the current directory -
 * lives in a side table indexed by process slot (fs_state below).  Its
 * lifetime follows the descriptor table: fd_copy_table (fork) copies it,
 * fd_open_console_in (init) resets it, fd_close_all (exit) clears it.
 */
#include "kernel/file.h"
#include "kernel/errno.h"
#include "kernel/fs.h"
#include "kernel/proc.h"
#include "kernel/spinlock.h"
#include "kernel/tty.h"
#include "mm/heap.h"

_Static_assert(NOFILE <= 32, "the close-on-exec mask is one uint32_t");

static struct spinlock file_lock = SPINLOCK_INIT("file");

/* Per-process file system state; slot i belongs to proc_table[i]. */
static struct fs_state {
	uint32_t cloexec;		/* bit fd: FD_CLOEXEC */
	char cwd[FS_PATH_MAX];		/* "" means "/" */
} fs_state[NPROC];

static struct fs_state *state_of(struct proc *p)
{
	return &fs_state[p - proc_table];
}

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
	spin_lock(&file_lock);
	f->refcount++;
	spin_unlock(&file_lock);
	return f;
}

/* Drop a reference; the last one runs the close op and frees F. */
void file_put(struct file *f)
{
	spin_lock(&file_lock);
	int left = --f->refcount;
	spin_unlock(&file_lock);
	if (left > 0)
		return;
	if (f->ops && f->ops->close)
		f->ops->close(f);
	kfree(f);
}

/* fd_alloc for the table of process P. */
static int alloc_in(struct proc *p, struct file *f, int min, int fdflags)
{
	if (min < 0 || min >= NOFILE)
		return -EINVAL;
	for (int fd = min; fd < NOFILE; fd++) {
		if (!p->files[fd]) {
			p->files[fd] = f;
			if (fdflags & FD_CLOEXEC)
				state_of(p)->cloexec |= 1u << fd;
			else
				state_of(p)->cloexec &= ~(1u << fd);
			return fd;
		}
	}
	return -EMFILE;
}

int fd_alloc(struct file *f, int min, int fdflags)
{
	return alloc_in(current(), f, min, fdflags);
}

int fd_install(struct file *f)
{
	return fd_alloc(f, 0, 0);
}

struct file *fd_file(int fd)
{
	if (fd < 0 || fd >= NOFILE)
		return NULL;
	return current()->files[fd];
}

int fd_close(int fd)
{
	struct proc *p = current();
	struct file *f = fd_file(fd);

	if (!f)
		return -EBADF;
	p->files[fd] = NULL;
	state_of(p)->cloexec &= ~(1u << fd);
	file_put(f);
	return 0;
}

int fd_dup2(int oldfd, int newfd)
{
	struct proc *p = current();
	struct file *f = fd_file(oldfd);

	if (!f || newfd < 0 || newfd >= NOFILE)
		return -EBADF;
	if (oldfd == newfd)
		return newfd;
	struct file *old = p->files[newfd];
	p->files[newfd] = file_get(f);
	state_of(p)->cloexec &= ~(1u << newfd);
	if (old)
		file_put(old);
	return newfd;
}

int fd_get_flags(int fd)
{
	if (!fd_file(fd))
		return -EBADF;
	return state_of(current())->cloexec & (1u << fd) ? FD_CLOEXEC : 0;
}

int fd_set_flags(int fd, int fdflags)
{
	if (!fd_file(fd))
		return -EBADF;
	if (fdflags & FD_CLOEXEC)
		state_of(current())->cloexec |= 1u << fd;
	else
		state_of(current())->cloexec &= ~(1u << fd);
	return 0;
}

void fd_close_all(void)
{
	struct proc *p = current();

	for (int fd = 0; fd < NOFILE; fd++)
		if (p->files[fd])
			fd_close(fd);
	state_of(p)->cloexec = 0;
	state_of(p)->cwd[0] = 0;
}

void fd_close_on_exec(void)
{
	struct proc *p = current();
	uint32_t mask = state_of(p)->cloexec;

	for (int fd = 0; fd < NOFILE; fd++)
		if (mask & (1u << fd))
			fd_close(fd);
}

/* CHILD and PARENT are the files[] arrays of two struct procs: the side
 * table entry is found from them, so the close-on-exec bits and the current
 * directory are inherited too. */
void fd_copy_table(struct file **child, struct file *const *parent)
{
	struct proc *cp = container_of(child, struct proc, files);
	struct proc *pp = container_of((struct file **)parent, struct proc, files);

	for (int fd = 0; fd < NOFILE; fd++)
		child[fd] = parent[fd] ? file_get(parent[fd]) : NULL;
	*state_of(cp) = *state_of(pp);
}

/* Descriptors 0, 1 and 2 of P (which has none yet) on one console file. */
int fd_open_console_in(struct proc *p)
{
	struct file *f = file_alloc(&tty_ops, O_RDWR, NULL);

	if (!f)
		return -ENOMEM;
	state_of(p)->cloexec = 0;
	state_of(p)->cwd[0] = 0;
	for (int fd = 0; fd < 3; fd++) {
		int r = alloc_in(p, fd ? file_get(f) : f, fd, 0);
		if (r != fd) {
			if (r < 0)
				file_put(f);
			return r < 0 ? r : -EBUSY;
		}
	}
	return 0;
}

const char *fd_cwd(void)
{
	const char *cwd = state_of(current())->cwd;

	return cwd[0] ? cwd : "/";
}

void fd_set_cwd(const char *path)
{
	strlcpy(state_of(current())->cwd, path, FS_PATH_MAX);
}
