/*
 * kernel/fs/sys_file.c - the file system calls (kernel/syscall.h, "files").
 *
 * Each call checks its arguments the way Linux does - descriptor first
 * (-EBADF), then the file's access mode (-EBADF), then user memory (-EFAULT)
 * - and leaves the work to the file's file_ops (kernel/fs/file.h), to the
 * name space (kernel/fs/fs.c) or to the descriptor table (kernel/fs/file.c).  User
 * memory is only touched through kernel/uaccess.h.  Paths are copied into a
 * kmalloc'ed page (PATH_MAX bytes with the NUL); the kernel stack is small.
 * A call holds its own reference to the file it works on (fget, file_put
 * on every way out), since another thread sharing the descriptor table may
 * close the descriptor meanwhile.
 */
#include "kernel/errno.h"
#include "kernel/fs/file.h"
#include "kernel/fs/fs.h"
#include "kernel/fs/memfd.h"
#include "kernel/fs/pipe.h"
#include "kernel/fs/reflink.h"
#include "kernel/proc.h"
#include "kernel/sched.h"
#include "kernel/signal/signal.h"
#include "kernel/sys_misc.h"
#include "kernel/syscall.h"
#include "kernel/uaccess.h"
#include "mm/heap.h"

#define MAX_RW_COUNT 0x7ffff000UL	/* Linux: INT_MAX rounded down to a page */
#define UIO_MAXIOV 1024
#define SSIZE_MAX 0x7fffffffffffffffUL

#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2

#define F_DUPFD 0
#define F_GETFD 1
#define F_SETFD 2
#define F_GETFL 3
#define F_SETFL 4
#define F_DUPFD_CLOEXEC 1030

#define FIONBIO 0x5421
#define FIONCLEX 0x5450
#define FIOCLEX 0x5451

#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_EACCESS 0x200
#define AT_NO_AUTOMOUNT 0x800
#define AT_EMPTY_PATH 0x1000

struct iovec_k {
	uint64_t base;
	uint64_t len;
};

static bool can_read(struct file *f)
{
	int acc = f->flags & O_ACCMODE;
	return acc == O_RDONLY || acc == O_RDWR;
}

static bool can_write(struct file *f)
{
	int acc = f->flags & O_ACCMODE;
	return acc == O_WRONLY || acc == O_RDWR;
}

/* The size of F for SEEK_END and O_APPEND: st_size from its stat op. */
static int64_t file_size(struct file *f)
{
	struct stat st;

	memset(&st, 0, sizeof(st));
	if (f->ops->stat && f->ops->stat(f, &st) < 0)
		return 0;
	return st.st_size;
}

/* ---- read and write ---- */

static long do_read(struct file *f, uint64_t buf, size_t n)
{
	uint64_t off = f->offset;

	if (!f->ops->read)
		return -EINVAL;
	long r = f->ops->read(f, buf, n, &off);
	f->offset = off;
	return r;
}

static long do_write(struct file *f, uint64_t buf, size_t n)
{
	if (!f->ops->write)
		return -EINVAL;
	uint64_t off = (f->flags & O_APPEND) && f->ops->seekable ? (uint64_t)file_size(f) : f->offset;
	long r = f->ops->write(f, buf, n, &off);
	f->offset = off;
	return r;
}

/* Check a user buffer and clamp its size the way Linux's vfs_read does. */
static long check_buf(uint64_t buf, size_t *n)
{
	if (!user_range_ok(buf, *n))
		return -EFAULT;
	*n = MIN(*n, MAX_RW_COUNT);
	return 0;
}

/* FD's file for reading (WRITE false) or writing, with a reference; NULL
 * when FD is not open for that. */
static struct file *fget_mode(int fd, bool write)
{
	struct file *f = fget(fd);

	if (f && !(write ? can_write(f) : can_read(f))) {
		file_put(f);
		return NULL;
	}
	return f;
}

static long rw(int fd, uint64_t buf, size_t n, bool write)
{
	struct file *f = fget_mode(fd, write);

	if (!f)
		return -EBADF;
	long r = check_buf(buf, &n);
	if (r == 0)
		r = write ? do_write(f, buf, n) : do_read(f, buf, n);
	file_put(f);
	return r;
}

long sys_read(int fd, uint64_t buf, size_t n)
{
	return rw(fd, buf, n, false);
}

long sys_write(int fd, uint64_t buf, size_t n)
{
	return rw(fd, buf, n, true);
}

/* pread64/pwrite64 on F: at OFF, leaving the file offset alone. */
static long do_positional(struct file *f, uint64_t buf, size_t n, int64_t off, bool write)
{
	if (!f->ops->seekable)
		return -ESPIPE;
	if (off < 0)
		return -EINVAL;
	long r = check_buf(buf, &n);
	if (r < 0)
		return r;
	uint64_t pos = (uint64_t)off;
	if (write)
		return f->ops->write ? f->ops->write(f, buf, n, &pos) : -EINVAL;
	return f->ops->read ? f->ops->read(f, buf, n, &pos) : -EINVAL;
}

static long positional(int fd, uint64_t buf, size_t n, int64_t off, bool write)
{
	struct file *f = fget_mode(fd, write);

	if (!f)
		return -EBADF;
	long r = do_positional(f, buf, n, off, write);
	file_put(f);
	return r;
}

long sys_pread64(int fd, uint64_t buf, size_t n, int64_t off)
{
	return positional(fd, buf, n, off, false);
}

long sys_pwrite64(int fd, uint64_t buf, size_t n, int64_t off)
{
	return positional(fd, buf, n, off, true);
}

/* ---- readv and writev ---- */

#define IOV_BATCH 32

/* Validate the whole vector before any I/O: -EINVAL for a negative length,
 * -EFAULT for an unreadable vector or a buffer outside the user half. */
static long check_iovecs(uint64_t uiov, int iovcnt)
{
	struct iovec_k batch[IOV_BATCH];

	for (int i = 0; i < iovcnt; i += IOV_BATCH) {
		int cnt = MIN(IOV_BATCH, iovcnt - i);
		if (copy_from_user(batch, uiov + (uint64_t)i * sizeof(batch[0]),
				   (size_t)cnt * sizeof(batch[0])))
			return -EFAULT;
		for (int j = 0; j < cnt; j++) {
			if (batch[j].len > SSIZE_MAX)
				return -EINVAL;
			if (!user_range_ok(batch[j].base, batch[j].len))
				return -EFAULT;
		}
	}
	return 0;
}

/* Transfer buffer after buffer; stop at the first short transfer, or for a
 * fatal signal (yielding between buffers).  The total is clamped to
 * MAX_RW_COUNT as Linux does. */
static long do_vec(struct file *f, uint64_t uiov, int iovcnt, bool write)
{
	struct iovec_k batch[IOV_BATCH];
	size_t total = 0;

	for (int i = 0; i < iovcnt; i += IOV_BATCH) {
		int cnt = MIN(IOV_BATCH, iovcnt - i);
		if (copy_from_user(batch, uiov + (uint64_t)i * sizeof(batch[0]),
				   (size_t)cnt * sizeof(batch[0])))
			return total ? (long)total : -EFAULT;
		for (int j = 0; j < cnt; j++) {
			size_t len = MIN(batch[j].len, MAX_RW_COUNT - total);
			if (len == 0)
				continue;
			if (fatal_signal_pending())
				return total ? (long)total : -EINTR;
			cond_resched();
			long r = write ? do_write(f, batch[j].base, len) : do_read(f, batch[j].base, len);
			if (r < 0)
				return total ? (long)total : r;
			total += (size_t)r;
			if ((size_t)r < len)
				return (long)total;
		}
	}
	return (long)total;
}

static long vec(int fd, uint64_t uiov, int iovcnt, bool write)
{
	struct file *f = fget_mode(fd, write);
	long r = -EINVAL;

	if (!f)
		return -EBADF;
	if (iovcnt >= 0 && iovcnt <= UIO_MAXIOV && (r = check_iovecs(uiov, iovcnt)) == 0)
		r = do_vec(f, uiov, iovcnt, write);
	file_put(f);
	return r;
}

long sys_readv(int fd, uint64_t iov, int iovcnt)
{
	return vec(fd, iov, iovcnt, false);
}

long sys_writev(int fd, uint64_t iov, int iovcnt)
{
	return vec(fd, iov, iovcnt, true);
}

/* ---- paths ---- */

/* Copy a user path into a new page (*OUT, kfree it): 0 or -errno
 * (-ENAMETOOLONG for PATH_MAX bytes or more, -EFAULT). */
long get_path(uint64_t upath, char **out)
{
	char *p = kmalloc(PATH_MAX);

	if (!p)
		return -ENOMEM;
	long r = strncpy_from_user(p, upath, PATH_MAX);
	if (r < 0) {
		kfree(p);
		return r;
	}
	*out = p;
	return 0;
}

/* The directory a path is relative to, copied into BUF (FS_PATH_MAX bytes):
 * the current one for AT_FDCWD, else the open directory DIRFD; *BASE is BUF,
 * or NULL for an absolute path (DIRFD not consulted). */
long base_dir(int dirfd, const char *path, char *buf, const char **base)
{
	*base = NULL;
	if (path[0] == '/')
		return 0;
	if (dirfd == AT_FDCWD) {
		fd_cwd(buf);
		*base = buf;
		return 0;
	}
	struct file *f = fget_raw(dirfd);
	if (!f)
		return -EBADF;
	const char *dir = fs_dir_path(f);
	if (dir) {
		strlcpy(buf, dir, FS_PATH_MAX);
		*base = buf;
	}
	file_put(f);
	return *base ? 0 : -ENOTDIR;
}

/* Resolve user path UPATH relative to DIRFD into *N (fs_node_put it),
 * following a link in the last component if FOLLOW. */
long resolve_user(int dirfd, uint64_t upath, struct fs_node *n, bool follow)
{
	char buf[FS_PATH_MAX];
	const char *base;
	char *path;
	long r;

	n->inode = NULL;	/* so that fs_node_put is right on every way out */
	if ((r = get_path(upath, &path)) < 0)
		return r;
	if ((r = base_dir(dirfd, path, buf, &base)) == 0)
		r = fs_resolve_at(base, path, follow ? FS_FOLLOW : 0, n, NULL, NULL);
	kfree(path);
	return r;
}

long sys_openat(int dirfd, uint64_t upath, int flags, int mode)
{
	char buf[FS_PATH_MAX];
	const char *base;
	struct file *f;
	char *path;
	long r = get_path(upath, &path);

	if (r < 0)
		return r;
	/* O_PATH: a descriptor that only names the file (Linux's
	 * build_open_flags keeps these flags alone); fget refuses it */
	if (flags & O_PATH)
		flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	if ((r = base_dir(dirfd, path, buf, &base)) == 0 &&
	    (r = fs_open(base, path, flags, mode & ~fd_umask(), &f)) == 0) {
		f->flags |= flags & O_PATH;
		r = fd_alloc(f, 0, flags & O_CLOEXEC ? FD_CLOEXEC : 0);
		if (r < 0)
			file_put(f);
	}
	kfree(path);
	return r;
}

long sys_open(uint64_t path, int flags, int mode)
{
	return sys_openat(AT_FDCWD, path, flags, mode);
}

long sys_creat(uint64_t path, int mode)
{
	return sys_openat(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

long sys_close(int fd)
{
	return fd_close(fd);
}

/* ---- stat and access ---- */

static long put_stat(uint64_t ust, const struct stat *st)
{
	return copy_to_user(ust, st, sizeof(*st)) ? -EFAULT : 0;
}

int file_getattr(struct file *f, struct stat *st)
{
	int r = 0;

	fs_fill_stat(st, 0, 0, 0, 0);
	if (f->ops->stat)
		r = f->ops->stat(f, st);
	if (f->dev)
		st->st_dev = f->dev;
	return r;
}

long sys_fstat(int fd, uint64_t ust)
{
	struct file *f = fget_raw(fd);
	struct stat st;

	if (!f)
		return -EBADF;
	int r = file_getattr(f, &st);
	file_put(f);
	return r < 0 ? r : put_stat(ust, &st);
}

/* stat of the directory DIRFD itself (AT_EMPTY_PATH with ""). */
static long stat_dirfd(int dirfd, uint64_t ust)
{
	char cwd[FS_PATH_MAX];
	struct fs_node n;
	struct stat st;
	long r;

	if (dirfd != AT_FDCWD)
		return sys_fstat(dirfd, ust);
	fd_cwd(cwd);
	if ((r = fs_resolve(NULL, cwd, &n, NULL)) < 0)
		return r;
	fs_stat_node(&n, &st);
	fs_node_put(&n);
	return put_stat(ust, &st);
}

long sys_newfstatat(int dirfd, uint64_t upath, uint64_t ust, int flags)
{
	struct fs_node n;
	struct stat st;
	char first;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH))
		return -EINVAL;
	/* With room for the NUL only, strncpy_from_user returns 0 just for "". */
	if ((flags & AT_EMPTY_PATH) && strncpy_from_user(&first, upath, 1) == 0)
		return stat_dirfd(dirfd, ust);
	long r = resolve_user(dirfd, upath, &n, !(flags & AT_SYMLINK_NOFOLLOW));
	if (r < 0)
		return r;
	fs_stat_node(&n, &st);
	fs_node_put(&n);
	return put_stat(ust, &st);
}

long sys_stat(uint64_t path, uint64_t st)
{
	return sys_newfstatat(AT_FDCWD, path, st, 0);
}

long sys_lstat(uint64_t path, uint64_t st)
{
	return sys_newfstatat(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
}

long sys_faccessat2(int dirfd, uint64_t upath, int mode, int flags)
{
	struct fs_node n;

	if ((mode & ~(R_OK | W_OK | X_OK)) || (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EACCESS)))
		return -EINVAL;
	long r = resolve_user(dirfd, upath, &n, !(flags & AT_SYMLINK_NOFOLLOW));
	if (r == 0)
		r = fs_access_node(&n, mode);
	fs_node_put(&n);
	return r;
}

long sys_access(uint64_t upath, int mode)
{
	return sys_faccessat2(AT_FDCWD, upath, mode, 0);
}

/* ---- extended attributes: there are none ---- */

/*
 * The answer for the attribute named at UNAME of a file that exists: the
 * file systems here keep no extended attributes, so it is Linux's answer
 * for an attribute never set (import_xattr_name, xattr_resolve_name):
 * -ERANGE for an empty name or one longer than 255 bytes, -EFAULT,
 * -EOPNOTSUPP for a name outside the user., trusted., security. and
 * system. namespaces, else -ENODATA.  glibc's ls -l asks every file for its
 * SELinux label (security.selinux) and ACL this way.
 */
static long no_xattr(uint64_t uname)
{
	static const char *const prefixes[] = { "user.", "trusted.", "security.", "system." };
	char name[256];
	long len = strncpy_from_user(name, uname, sizeof(name));

	if (len == 0 || len == -ENAMETOOLONG)
		return -ERANGE;
	if (len < 0)
		return len;
	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
		if (!strncmp(name, prefixes[i], strlen(prefixes[i])))
			return -ENODATA;
	return -EOPNOTSUPP;
}

/* getxattr (FOLLOW) and lgetxattr of the file at UPATH. */
static long path_getxattr(uint64_t upath, uint64_t uname, bool follow)
{
	struct fs_node n;
	long r = resolve_user(AT_FDCWD, upath, &n, follow);

	if (r < 0)
		return r;
	fs_node_put(&n);
	return no_xattr(uname);
}

long sys_getxattr(uint64_t upath, uint64_t uname)
{
	return path_getxattr(upath, uname, true);
}

long sys_lgetxattr(uint64_t upath, uint64_t uname)
{
	return path_getxattr(upath, uname, false);
}

long sys_fgetxattr(int fd, uint64_t uname)
{
	struct file *f = fget(fd);

	if (!f)
		return -EBADF;
	file_put(f);
	return no_xattr(uname);
}

/* ---- lseek, ioctl, fcntl ---- */

/* lseek of a file whose offsets are addresses: any value, wrapping as
 * Linux's mem_lseek does; the result is the new offset even when it looks
 * negative. */
static long lseek_unsigned(struct file *f, int64_t off, int whence)
{
	switch (whence) {
	case SEEK_SET: f->offset = (uint64_t)off; break;
	case SEEK_CUR: f->offset += (uint64_t)off; break;
	default: return -EINVAL;
	}
	return (long)f->offset;
}

/* lseek on F. */
static long do_lseek(struct file *f, int64_t off, int whence)
{
	int64_t base, pos;

	if (!f->ops->seekable)
		return -ESPIPE;
	if (f->ops->unsigned_offsets)
		return lseek_unsigned(f, off, whence);
	switch (whence) {
	case SEEK_SET: base = 0; break;
	case SEEK_CUR: base = (int64_t)f->offset; break;
	case SEEK_END: base = file_size(f); break;
	default: return -EINVAL;
	}
	if (__builtin_add_overflow(base, off, &pos) || pos < 0)
		return -EINVAL;
	f->offset = (uint64_t)pos;
	return pos;
}

long sys_lseek(int fd, int64_t off, int whence)
{
	struct file *f = fget(fd);

	if (!f)
		return -EBADF;
	long r = do_lseek(f, off, whence);
	file_put(f);
	return r;
}

/* ioctl on F, open as FD. */
static long do_ioctl(struct file *f, int fd, unsigned long cmd, uint64_t arg)
{
	int v;

	switch (cmd) {
	case FIOCLEX:
		return fd_set_flags(fd, FD_CLOEXEC);
	case FIONCLEX:
		return fd_set_flags(fd, 0);
	case FIONBIO:
		if (copy_from_user(&v, arg, sizeof(v)))
			return -EFAULT;
		f->flags = v ? f->flags | O_NONBLOCK : f->flags & ~O_NONBLOCK;
		return 0;
	case FICLONE:
	case FICLONERANGE:
		return file_clone_ioctl(f, cmd, arg);
	}
	return f->ops->ioctl ? f->ops->ioctl(f, cmd, arg) : -ENOTTY;
}

long sys_ioctl(int fd, unsigned long cmd, uint64_t arg)
{
	struct file *f = fget(fd);

	if (!f)
		return -EBADF;
	long r = do_ioctl(f, fd, cmd, arg);
	file_put(f);
	return r;
}

/* A new descriptor >= MIN for the file behind FD. */
static long dup_from(int fd, uint64_t min, int fdflags)
{
	struct file *f = fget_raw(fd);

	if (!f)
		return -EBADF;
	int r = min >= NOFILE ? -EINVAL : fd_alloc(f, (int)min, fdflags);
	if (r < 0)
		file_put(f);
	return r;
}

/* fcntl on F, open as FD. */
static long do_fcntl(struct file *f, int fd, int cmd, uint64_t arg)
{
	/* an O_PATH descriptor has its descriptor commands only (Linux's
	 * check_fcntl_cmd) */
	if ((f->flags & O_PATH) && cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC && cmd != F_GETFD &&
	    cmd != F_SETFD && cmd != F_GETFL)
		return -EBADF;
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		/* a floor at or past RLIMIT_NOFILE: Linux f_dupfd's -EINVAL */
		if (arg >= rlimit_cur(RLIMIT_NOFILE))
			return -EINVAL;
		return dup_from(fd, arg, cmd == F_DUPFD_CLOEXEC ? FD_CLOEXEC : 0);
	case F_GETFD:
		return fd_get_flags(fd);
	case F_SETFD:
		return fd_set_flags(fd, (int)arg);
	case F_GETFL:
		return f->flags & ~O_DIRECTORY;
	case F_SETFL:
		f->flags = (f->flags & ~(O_APPEND | O_NONBLOCK)) | ((int)arg & (O_APPEND | O_NONBLOCK));
		return 0;
	case F_ADD_SEALS:
	case F_GET_SEALS:
		return memfd_fcntl(f, cmd, arg);
	default:
		return -EINVAL;
	}
}

long sys_fcntl(int fd, int cmd, uint64_t arg)
{
	struct file *f = fget_raw(fd);

	if (!f)
		return -EBADF;
	long r = do_fcntl(f, fd, cmd, arg);
	file_put(f);
	return r;
}

/* ---- descriptors ---- */

long sys_pipe2(uint64_t ufds, int flags)
{
	struct file *rd, *wr;
	int fds[2], fdflags = flags & O_CLOEXEC ? FD_CLOEXEC : 0;

	if (flags & ~(O_CLOEXEC | O_NONBLOCK))
		return -EINVAL;
	int r = pipe_create(flags, &rd, &wr);
	if (r < 0)
		return r;
	if ((fds[0] = fd_alloc(rd, 0, fdflags)) < 0) {
		file_put(rd);
		file_put(wr);
		return fds[0];
	}
	if ((fds[1] = fd_alloc(wr, 0, fdflags)) < 0) {
		fd_close(fds[0]);
		file_put(wr);
		return fds[1];
	}
	if (copy_to_user(ufds, fds, sizeof(fds))) {
		fd_close(fds[0]);
		fd_close(fds[1]);
		return -EFAULT;
	}
	return 0;
}

long sys_dup(int fd)
{
	return dup_from(fd, 0, 0);
}

long sys_dup2(int oldfd, int newfd)
{
	return fd_dup2(oldfd, newfd);
}

long sys_getdents64(int fd, uint64_t buf, size_t n)
{
	struct file *f = fget(fd);
	long r = -ENOTDIR;

	if (!f)
		return -EBADF;
	if (f->ops->getdents)
		r = user_range_ok(buf, n) ? f->ops->getdents(f, buf, MIN(n, MAX_RW_COUNT)) : -EFAULT;
	file_put(f);
	return r;
}

/* ---- the current directory ---- */

long sys_getcwd(uint64_t buf, size_t n)
{
	char cwd[FS_PATH_MAX];

	fd_cwd(cwd);
	size_t len = strlen(cwd) + 1;

	if (n < len)
		return -ERANGE;
	return copy_to_user(buf, cwd, len) ? -EFAULT : (long)len;
}

long sys_chdir(uint64_t upath)
{
	struct fs_node n;
	long r = resolve_user(AT_FDCWD, upath, &n, true);

	if (r == 0 && !S_ISDIR(n.mode))
		r = -ENOTDIR;
	if (r == 0)
		fd_set_cwd(n.path);
	fs_node_put(&n);
	return r;
}

long sys_fchdir(int fd)
{
	struct file *f = fget_raw(fd);

	if (!f)
		return -EBADF;
	const char *dir = fs_dir_path(f);
	if (dir)
		fd_set_cwd(dir);
	file_put(f);
	return dir ? 0 : -ENOTDIR;
}
