/*
 * kernel/fs/sys_tree.c - the system calls that change the tree of files
 * (kernel/syscall.h, "files"): mkdir, rmdir, unlink, rename, link, symlink,
 * readlink, truncate, chmod, chown, utimensat, fsync, umask.
 *
 * Each works the way Linux's fs/namei.c does: the path is split into its
 * directory and last component (fs_resolve_at with FS_PARENT), then the
 * directory's entry for that name is checked and changed, all with fs_tree
 * held for writing, so no other call sees a half-done change and two
 * renames cannot race.  The errors and their order are Linux's; the ones
 * peculiar to this kernel: a pseudo file system (/proc, /sys, /dev) makes
 * and removes nothing (-ENOENT for a new name there, -EACCES for an
 * existing one), and a path whose physical form exceeds FS_PATH_MAX bytes
 * is -ENAMETOOLONG (kernel/fs/fs.h).
 */
#include "kernel/errno.h"
#include "kernel/fs/file.h"
#include "kernel/fs/fs.h"
#include "kernel/fs/memfd.h"
#include "kernel/fs/tmpfs.h"
#include "kernel/proc.h"
#include "kernel/rwsem.h"
#include "kernel/syscall.h"
#include "kernel/uaccess.h"
#include "mm/heap.h"

#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR 0x200
#define AT_SYMLINK_FOLLOW 0x400
#define AT_EMPTY_PATH 0x1000
#define RENAME_NOREPLACE 1
#define UTIME_NOW ((1L << 30) - 1)
#define UTIME_OMIT ((1L << 30) - 2)
#define NSEC_PER_SEC 1000000000L

/* A path's directory and last component (Linux's nameidata after
 * LOOKUP_PARENT). */
struct target {
	char *path;			/* the user's path (a page) */
	char base[FS_PATH_MAX];		/* the directory it is relative to */
	const char *basep;		/* base, or NULL for an absolute path */
	struct fs_node dir;		/* the last component's directory (a reference) */
	char last[NAME_MAX + 1];	/* "" for "/", "." and ".." as written */
	bool slash;			/* a trailing slash */
};

/* Copy UPATH in and find its base: before fs_tree is taken (it reads the
 * current directory and the descriptor table). */
static long target_get(int dirfd, uint64_t upath, struct target *t)
{
	long r;

	t->path = NULL;
	t->dir.inode = NULL;
	if ((r = get_path(upath, &t->path)) < 0)
		return r;
	r = base_dir(dirfd, t->path, t->base, &t->basep);
	t->slash = t->path[0] && t->path[strlen(t->path) - 1] == '/';
	return r;
}

/* fs_tree held for writing. */
static long target_resolve(struct target *t)
{
	return fs_resolve_locked(t->basep, t->path, FS_PARENT, &t->dir, t->last, NULL);
}

static void target_put(struct target *t)
{
	fs_node_put(&t->dir);
	kfree(t->path);
}

static bool is_dot(const char *name)
{
	return !name[0] || !strcmp(name, ".") || !strcmp(name, "..");
}

/* Can T's last component be made?  0, -EEXIST, -ENOENT (a pseudo file
 * system's directory), -ENAMETOOLONG. */
static long new_name(struct target *t)
{
	struct fs_node child;
	long r;

	if (is_dot(t->last))
		return -EEXIST;
	if ((r = fs_child_locked(&t->dir, t->last, &child)) != -ENOENT)
		return r == 0 ? -EEXIST : r;
	return t->dir.inode ? 0 : -ENOENT;
}

/* Run OP on user path UPATH relative to DIRFD with fs_tree held for
 * writing, the path resolved to its directory and last component. */
static long with_target(int dirfd, uint64_t upath, long (*op)(struct target *t, uint64_t arg),
			uint64_t arg)
{
	struct target *t = kmalloc(sizeof(*t));
	long r;

	if (!t)
		return -ENOMEM;
	if ((r = target_get(dirfd, upath, t)) == 0) {
		down_write(&fs_tree);
		if ((r = target_resolve(t)) == 0)
			r = op(t, arg);
		up_write(&fs_tree);
	}
	target_put(t);
	kfree(t);
	return r;
}

/* ---- mkdir, symlink ---- */

static long do_mkdir(struct target *t, uint64_t mode)
{
	struct inode *inode;
	long r = new_name(t);

	if (r == 0 && (r = tmpfs_create(t->dir.inode, t->last,
					S_IFDIR | ((uint32_t)mode & 01777 & ~(uint32_t)fd_umask()),
					&inode)) == 0)
		iput(inode);
	return r;
}

long sys_mkdirat(int dirfd, uint64_t path, int mode)
{
	return with_target(dirfd, path, do_mkdir, (uint64_t)mode);
}

long sys_mkdir(uint64_t path, int mode)
{
	return sys_mkdirat(AT_FDCWD, path, mode);
}

/* ARG: the target, a kernel string. */
static long do_symlink(struct target *t, uint64_t arg)
{
	const char *target = (const char *)arg;
	size_t len = strlen(target);
	struct inode *inode;
	char *copy;
	long r = t->slash ? -ENOENT : new_name(t);

	if (r < 0)
		return r;
	if (!(copy = kmalloc(len + 1)))
		return -ENOMEM;
	strlcpy(copy, target, len + 1);
	if ((r = tmpfs_create(t->dir.inode, t->last, S_IFLNK | 0777, &inode)) < 0) {
		kfree(copy);
		return r;
	}
	inode->target = copy;
	inode->size = len;
	iput(inode);
	return 0;
}

long sys_symlinkat(uint64_t utarget, int dirfd, uint64_t path)
{
	char *target;
	long r = get_path(utarget, &target);

	if (r < 0)
		return r;
	r = target[0] ? with_target(dirfd, path, do_symlink, (uint64_t)target) : -ENOENT;
	kfree(target);
	return r;
}

long sys_symlink(uint64_t target, uint64_t path)
{
	return sys_symlinkat(target, AT_FDCWD, path);
}

/* ---- unlink, rmdir ---- */

/* T's last component, an existing entry of a tmpfs directory: its node in
 * *CHILD and the inode the entry names in *ENTRY (a mount root differs). */
static long existing(struct target *t, struct fs_node *child, struct inode **entry)
{
	long r = fs_child_locked(&t->dir, t->last, child);

	if (r < 0)
		return r;
	*entry = t->dir.inode ? dir_lookup(t->dir.inode, t->last, strlen(t->last)) : NULL;
	return *entry ? 0 : -EACCES;
}

static long do_unlink(struct target *t, uint64_t arg)
{
	struct fs_node child;
	struct inode *entry;
	long r;

	(void)arg;
	if (is_dot(t->last))
		return -EISDIR;
	if ((r = existing(t, &child, &entry)) < 0)
		return r;
	if (S_ISDIR(child.mode))
		return -EISDIR;
	if (t->slash)
		return -ENOTDIR;
	return dir_unlink(t->dir.inode, t->last, strlen(t->last));
}

static long do_rmdir(struct target *t, uint64_t arg)
{
	struct fs_node child;
	struct inode *entry;
	long r;

	(void)arg;
	if (!t->last[0])
		return -EBUSY;
	if (!strcmp(t->last, ".") || !strcmp(t->last, ".."))
		return strcmp(t->last, ".") ? -ENOTEMPTY : -EINVAL;
	if ((r = existing(t, &child, &entry)) < 0)
		return r;
	if (!S_ISDIR(child.mode))
		return -ENOTDIR;
	if (child.inode != entry || entry->mounted)
		return -EBUSY;
	if (entry->nentries)
		return -ENOTEMPTY;
	entry->nlink = 0;
	return dir_unlink(t->dir.inode, t->last, strlen(t->last));
}

long sys_unlinkat(int dirfd, uint64_t path, int flags)
{
	if (flags & ~AT_REMOVEDIR)
		return -EINVAL;
	return with_target(dirfd, path, flags ? do_rmdir : do_unlink, 0);
}

long sys_unlink(uint64_t path)
{
	return sys_unlinkat(AT_FDCWD, path, 0);
}

long sys_rmdir(uint64_t path)
{
	return sys_unlinkat(AT_FDCWD, path, AT_REMOVEDIR);
}

/* ---- rename, link ---- */

/* Is directory path INNER the directory OUTER or below it? */
static bool path_within(const char *inner, const char *outer)
{
	size_t n = strlen(outer);

	return !strncmp(inner, outer, n) && (inner[n] == 0 || inner[n] == '/' || n == 1);
}

/* What renaming to an existing NEW entry (inode TARGET) would break. */
static long check_replace(const struct inode *moved, const struct fs_node *newc,
			  const struct inode *target)
{
	if (newc->inode != target || target->mounted)
		return -EBUSY;
	if (S_ISDIR(moved->mode) && !S_ISDIR(target->mode))
		return -ENOTDIR;
	if (!S_ISDIR(moved->mode) && S_ISDIR(target->mode))
		return -EISDIR;
	return S_ISDIR(target->mode) && target->nentries ? -ENOTEMPTY : 0;
}

/* rename with both targets resolved, fs_tree held for writing. */
static long do_rename(struct target *o, struct target *n, unsigned flags)
{
	char *old_path = o->base;	/* reused: the moved entry's own path */
	struct fs_node oc, nc;
	struct inode *moved, *target = NULL;
	long r;

	if (is_dot(o->last) || is_dot(n->last))
		return -EBUSY;
	if ((r = existing(o, &oc, &moved)) < 0)
		return r == -EACCES ? -EXDEV : r;
	if (!n->dir.inode || o->dir.dev != n->dir.dev)
		return -EXDEV;
	if (oc.inode != moved || moved->mounted)
		return -EBUSY;
	if ((o->slash || n->slash) && !S_ISDIR(moved->mode))
		return -ENOTDIR;
	r = fs_child_locked(&n->dir, n->last, &nc);
	if (r == 0) {
		if (flags & RENAME_NOREPLACE)
			return -EEXIST;
		target = dir_lookup(n->dir.inode, n->last, strlen(n->last));
		if (target == moved)
			return 0;	/* two names of one file: nothing to do, as on Linux */
		if ((r = check_replace(moved, &nc, target)) < 0)
			return r;
	} else if (r != -ENOENT) {
		return r;
	}
	strlcpy(old_path, oc.path, FS_PATH_MAX);
	if (S_ISDIR(moved->mode) && path_within(nc.path, old_path))
		return -EINVAL;		/* a directory into itself */
	iget(moved);
	r = target ? dir_replace(n->dir.inode, n->last, strlen(n->last), moved)
		   : dir_link(n->dir.inode, n->last, strlen(n->last), moved);
	if (r == 0)
		dir_unlink(o->dir.inode, o->last, strlen(o->last));
	iput(moved);
	return r;
}

long sys_renameat2(int olddirfd, uint64_t oldpath, int newdirfd, uint64_t newpath, unsigned flags)
{
	struct target *t;
	long r;

	if (flags & ~RENAME_NOREPLACE)
		return -EINVAL;		/* RENAME_EXCHANGE, RENAME_WHITEOUT: not here */
	if (!(t = kmalloc(2 * sizeof(*t))))
		return -ENOMEM;
	t[1].path = NULL;
	t[1].dir.inode = NULL;
	if ((r = target_get(olddirfd, oldpath, &t[0])) == 0 &&
	    (r = target_get(newdirfd, newpath, &t[1])) == 0) {
		down_write(&fs_tree);
		if ((r = target_resolve(&t[0])) == 0 && (r = target_resolve(&t[1])) == 0)
			r = do_rename(&t[0], &t[1], flags);
		up_write(&fs_tree);
	}
	target_put(&t[0]);
	target_put(&t[1]);
	kfree(t);
	return r;
}

long sys_renameat(int olddirfd, uint64_t oldpath, int newdirfd, uint64_t newpath)
{
	return sys_renameat2(olddirfd, oldpath, newdirfd, newpath, 0);
}

long sys_rename(uint64_t oldpath, uint64_t newpath)
{
	return sys_renameat2(AT_FDCWD, oldpath, AT_FDCWD, newpath, 0);
}

/* ARG: the existing file's node (a struct fs_node *). */
static long do_link(struct target *t, uint64_t arg)
{
	const struct fs_node *old = (const struct fs_node *)arg;
	long r;

	if (t->slash)
		return -ENOENT;
	if ((r = new_name(t)) < 0)
		return r;
	if (!old->inode || old->dev != t->dir.dev)
		return -EXDEV;
	if (S_ISDIR(old->mode))
		return -EPERM;
	return dir_link(t->dir.inode, t->last, strlen(t->last), old->inode);
}

long sys_linkat(int olddirfd, uint64_t oldpath, int newdirfd, uint64_t newpath, int flags)
{
	struct fs_node old;
	long r;

	if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	if ((r = resolve_user(olddirfd, oldpath, &old, flags & AT_SYMLINK_FOLLOW)) < 0)
		return r;
	r = with_target(newdirfd, newpath, do_link, (uint64_t)&old);
	fs_node_put(&old);
	return r;
}

long sys_link(uint64_t oldpath, uint64_t newpath)
{
	return sys_linkat(AT_FDCWD, oldpath, AT_FDCWD, newpath, 0);
}

/* ---- readlink ---- */

long sys_readlinkat(int dirfd, uint64_t path, uint64_t buf, int size)
{
	struct fs_node n;
	char *target;
	long r;

	if (size <= 0)
		return -EINVAL;
	if ((r = resolve_user(dirfd, path, &n, false)) < 0)
		return r;
	if ((target = kmalloc(PATH_MAX))) {
		down_read(&fs_tree);
		r = fs_readlink_node(&n, target);
		up_read(&fs_tree);
		if (r >= 0) {
			r = MIN(r, (long)size);
			if (copy_to_user(buf, target, (size_t)r))
				r = -EFAULT;
		}
		kfree(target);
	} else {
		r = -ENOMEM;
	}
	fs_node_put(&n);
	return r;
}

long sys_readlink(uint64_t path, uint64_t buf, int size)
{
	return sys_readlinkat(AT_FDCWD, path, buf, size);
}

/* ---- truncate ---- */

/* Truncate INODE to LEN for a caller with no write access of its own
 * (truncate by path): writers' rule applies (-ETXTBSY for a program). */
static long truncate_inode(struct inode *inode, int64_t len, bool need_write)
{
	long r;

	if (len < 0)
		return -EINVAL;
	if (S_ISDIR(inode->mode))
		return -EISDIR;
	if (!S_ISREG(inode->mode))
		return -EINVAL;
	if (need_write && (r = inode_get_write(inode)) < 0)
		return r;
	down_write(&fs_tree);
	r = memfd_check_resize(inode, (uint64_t)len);
	if (!r)
		r = inode_truncate(inode, (uint64_t)len);
	up_write(&fs_tree);
	if (need_write)
		inode_put_write(inode);
	return r;
}

long sys_truncate(uint64_t path, int64_t len)
{
	struct fs_node n;
	long r = resolve_user(AT_FDCWD, path, &n, true);

	if (r == 0)
		r = n.inode ? truncate_inode(n.inode, len, true) : S_ISDIR(n.mode) ? -EISDIR : -EACCES;
	fs_node_put(&n);
	return r;
}

long sys_ftruncate(int fd, int64_t len)
{
	struct file *f = fget(fd);
	long r = -EINVAL;

	if (!f)
		return -EBADF;
	struct inode *inode = tmpfs_file_inode(f);
	int acc = f->flags & O_ACCMODE;
	if (inode && (acc == O_WRONLY || acc == O_RDWR))
		r = truncate_inode(inode, len, false);
	file_put(f);
	return r;
}

/* ---- fsync, sync ---- */

/* Nothing is ever dirty: the page cache is the file.  0 for a tmpfs file
 * or directory, -EINVAL for what cannot be synced (a pipe, a tty). */
long sys_fsync(int fd)
{
	struct file *f = fget(fd);

	if (!f)
		return -EBADF;
	long r = tmpfs_file_inode(f) || fs_dir_node(f) ? 0 : -EINVAL;
	file_put(f);
	return r;
}

/* ---- attributes: chmod, chown, utimensat ---- */

/* The inode of an open tmpfs file or directory, or NULL. */
static struct inode *file_inode_of(struct file *f)
{
	const struct fs_node *dir = fs_dir_node(f);

	return dir ? dir->inode : tmpfs_file_inode(f);
}

/* Apply SET(inode, arg) to what DIRFD + UPATH names (following links if
 * FOLLOW), or with no path (UPATH 0) to the open file DIRFD; fs_tree held
 * for writing around it.  A pseudo file's attributes cannot change: -EPERM. */
static long set_attr(int dirfd, uint64_t upath, bool follow,
		     long (*set)(struct inode *inode, const void *arg), const void *arg)
{
	struct inode *inode = NULL;
	struct file *f = NULL;
	struct fs_node n = { .inode = NULL };
	long r = 0;

	if (upath) {
		if ((r = resolve_user(dirfd, upath, &n, follow)) == 0)
			inode = n.inode;
	} else if (!(f = fget(dirfd))) {
		r = -EBADF;
	} else {
		inode = file_inode_of(f);
	}
	if (r == 0 && !inode)
		r = -EPERM;
	if (r == 0) {
		down_write(&fs_tree);
		r = set(inode, arg);
		up_write(&fs_tree);
	}
	if (f)
		file_put(f);
	fs_node_put(&n);
	return r;
}

static long set_mode(struct inode *inode, const void *arg)
{
	long r = memfd_check_chmod(inode, *(const uint32_t *)arg);

	if (r)
		return r;
	inode->mode = (inode->mode & S_IFMT) | (*(const uint32_t *)arg & 07777);
	inode_touch(inode, INODE_CTIME);
	return 0;
}

long sys_fchmodat(int dirfd, uint64_t path, uint32_t mode, int flags)
{
	if (flags & ~AT_SYMLINK_NOFOLLOW)
		return -EINVAL;
	return set_attr(dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW), set_mode, &mode);
}

long sys_chmod(uint64_t path, uint32_t mode)
{
	return sys_fchmodat(AT_FDCWD, path, mode, 0);
}

long sys_fchmod(int fd, uint32_t mode)
{
	return set_attr(fd, 0, true, set_mode, &mode);
}

/* The owner is always root: a change to root (or -1, no change) is
 * accepted, any other owner is -EPERM (as for a user without CAP_CHOWN). */
static long set_owner(struct inode *inode, const void *arg)
{
	const uint32_t *ids = arg;

	if ((ids[0] && ids[0] != (uint32_t)-1) || (ids[1] && ids[1] != (uint32_t)-1))
		return -EPERM;
	inode_touch(inode, INODE_CTIME);
	return 0;
}

long sys_fchownat(int dirfd, uint64_t path, uint32_t uid, uint32_t gid, int flags)
{
	uint32_t ids[2] = { uid, gid };

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	return set_attr(dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW), set_owner, ids);
}

long sys_chown(uint64_t path, uint32_t uid, uint32_t gid)
{
	return sys_fchownat(AT_FDCWD, path, uid, gid, 0);
}

long sys_lchown(uint64_t path, uint32_t uid, uint32_t gid)
{
	return sys_fchownat(AT_FDCWD, path, uid, gid, AT_SYMLINK_NOFOLLOW);
}

long sys_fchown(int fd, uint32_t uid, uint32_t gid)
{
	uint32_t ids[2] = { uid, gid };

	return set_attr(fd, 0, true, set_owner, ids);
}

struct timespec_k {
	int64_t tv_sec, tv_nsec;
};

/* The new time from TS (UTIME_NOW: now), or false for UTIME_OMIT. */
static bool pick_time(const struct timespec_k *ts, uint64_t now, uint64_t *out)
{
	if (ts->tv_nsec == UTIME_OMIT)
		return false;
	*out = ts->tv_nsec == UTIME_NOW ? now : (uint64_t)ts->tv_sec * NSEC_PER_SEC + (uint64_t)ts->tv_nsec;
	return true;
}

static long set_times(struct inode *inode, const void *arg)
{
	const struct timespec_k *ts = arg;

	inode_touch(inode, INODE_CTIME);
	pick_time(&ts[0], inode->ctime, &inode->atime);
	pick_time(&ts[1], inode->ctime, &inode->mtime);
	return 0;
}

static bool valid_time(const struct timespec_k *ts)
{
	return ts->tv_nsec == UTIME_NOW || ts->tv_nsec == UTIME_OMIT ||
	       (ts->tv_nsec >= 0 && ts->tv_nsec < NSEC_PER_SEC && ts->tv_sec >= 0);
}

long sys_utimensat(int dirfd, uint64_t path, uint64_t utimes, int flags)
{
	struct timespec_k ts[2] = { { 0, UTIME_NOW }, { 0, UTIME_NOW } };

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	if (utimes && copy_from_user(ts, utimes, sizeof(ts)))
		return -EFAULT;
	if (!valid_time(&ts[0]) || !valid_time(&ts[1]))
		return -EINVAL;
	if (!path && dirfd == AT_FDCWD)
		return -EFAULT;
	return set_attr(dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW), set_times, ts);
}

long sys_umask(int mask)
{
	return fd_set_umask(mask);
}
