/*
 * kernel/fs/mount.c - mount(2), umount2(2), statfs(2), and the text of
 * /proc/mounts and /proc/filesystems, over the mount table that
 * kernel/fs/fs.c keeps (kernel/fs/mount.h).
 *
 * mount(2) makes a new, empty tmpfs on an existing tmpfs directory (with a
 * device number of its own, so a rename or link across gives -EXDEV); proc
 * and sysfs exist once, at their home, where mounting them again succeeds
 * without a second instance (Linux would stack one).  umount2 takes a tmpfs
 * away when nothing in it is open, mapped or a current directory's inode
 * (-EBUSY, unless MNT_DETACH), freeing its files; the root and the built-in
 * pseudo file systems stay (-EBUSY).
 */
#include "kernel/errno.h"
#include "kernel/fs/file.h"
#include "kernel/fs/mount.h"
#include "kernel/fs/tmpfs.h"
#include "kernel/proc.h"
#include "kernel/rwsem.h"
#include "kernel/syscall.h"
#include "kernel/uaccess.h"
#include "mm/frame.h"
#include "mm/heap.h"
#include "mm/pagecache.h"

#define MS_RDONLY 1
#define MS_REMOUNT 32
#define MS_BIND 4096
#define MNT_FORCE 1
#define MNT_DETACH 2
#define UMOUNT_NOFOLLOW 8

#define TMPFS_MAGIC 0x01021994
#define PROC_SUPER_MAGIC 0x9fa0
#define SYSFS_MAGIC 0x62656572

/* The file system types mount(2) knows, as /proc/filesystems lists them. */
static const struct {
	const char *name;
	bool nodev;
} fs_types[] = {
	{ "sysfs", true }, { "tmpfs", true }, { "devtmpfs", true }, { "proc", true },
};

bool fs_filesystems_line(size_t i, char *line, size_t max)
{
	if (i >= ARRAY_SIZE(fs_types))
		return false;
	snprintf(line, max, "%s\t%s\n", fs_types[i].nodev ? "nodev" : "", fs_types[i].name);
	return true;
}

/* "tmpfs / tmpfs rw,relatime 0 0": source, where, type, options, dump, pass. */
bool fs_mount_line(size_t i, char *line, size_t max)
{
	bool found = false;

	down_read(&fs_tree);
	for (size_t k = 0; k < NMOUNTS; k++) {
		const struct mount *m = &mount_table[k];
		if (!m->path[0] || i--)
			continue;
		snprintf(line, max, "%s %s %s rw,relatime 0 0\n", m->source[0] ? m->source : m->type,
			 m->path, m->type);
		found = true;
		break;
	}
	up_read(&fs_tree);
	return found;
}

/* ---- mount ---- */

/* A new tmpfs named SOURCE at directory N (a tmpfs directory), fs_tree held
 * for writing. */
static long mount_tmpfs(const struct fs_node *n, const char *source)
{
	struct mount *slot = NULL;

	for (struct mount *m = mount_table; m < mount_table + NMOUNTS; m++) {
		if (m->path[0] && !strcmp(m->path, n->path))
			return -EBUSY;	/* one file system per directory here */
		if (!m->path[0] && !slot)
			slot = m;
	}
	if (!slot)
		return -ENOMEM;
	uint32_t dev = (uint32_t)(slot - mount_table) + 1;
	struct inode *root = inode_new(S_IFDIR | 01777, dev);
	if (!root)
		return -ENOMEM;
	root->nlink = 2;
	*slot = (struct mount){ .type = "tmpfs", .root = root, .covered = iget(n->inode), .dev = dev };
	strlcpy(slot->path, n->path, FS_PATH_MAX);
	strlcpy(slot->source, source, sizeof(slot->source));
	n->inode->mounted++;
	return 0;
}

/* mount(2) of TYPE, named SOURCE, at N. */
static long do_mount(const char *type, const char *source, const struct fs_node *n,
		     unsigned long flags)
{
	const struct mount *here = mount_of(n->path);
	bool at_root = !strcmp(here->path, n->path);

	if (flags & MS_REMOUNT)
		return at_root ? 0 : -EINVAL;
	if (flags & MS_BIND)
		return -EINVAL;		/* bind mounts: not here */
	if (!S_ISDIR(n->mode))
		return -ENOTDIR;
	if (!strcmp(type, "tmpfs"))
		return n->inode ? mount_tmpfs(n, source) : -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(fs_types); i++)
		if (!strcmp(type, fs_types[i].name))
			return at_root && !strcmp(here->type, type) ? 0 : -EINVAL;
	return -ENODEV;
}

long sys_mount(uint64_t usource, uint64_t utarget, uint64_t utype, unsigned long flags, uint64_t data)
{
	char type[16], source[32] = "";
	struct fs_node n;
	long r;

	(void)data;	/* options are ignored */
	/* The source names no device here, only what /proc/mounts shows (cut to
	 * 31 bytes); NULL is allowed, as Linux's for tmpfs. */
	if (usource && (r = strncpy_from_user(source, usource, sizeof(source))) < 0 &&
	    r != -ENAMETOOLONG)
		return r;
	source[sizeof(source) - 1] = 0;
	if (!(flags & MS_REMOUNT)) {
		if ((r = strncpy_from_user(type, utype, sizeof(type))) < 0)
			return r == -ENAMETOOLONG ? -ENODEV : r;
	} else {
		type[0] = 0;
	}
	if ((r = resolve_user(AT_FDCWD, utarget, &n, true)) < 0)
		return r;
	down_write(&fs_tree);
	r = do_mount(type, source, &n, flags);
	up_write(&fs_tree);
	fs_node_put(&n);
	return r;
}

/* ---- umount ---- */

#define BUSY_DEPTH_MAX 64	/* levels tree_busy looks through (its stack) */

/* True when an inode of the tree below DIR has references besides its
 * names: an open file, a mapping, a walk in progress.  A tree deeper than
 * BUSY_DEPTH_MAX below DIR (DEPTH levels already) counts as busy: the
 * recursion must fit the kernel stack, and MNT_DETACH still unmounts it. */
static bool tree_busy(struct inode *dir, int depth)
{
	const char *name;
	struct inode *child;

	for (uint64_t i = 0; dir_entry_at(dir, i, &name, &child); i++) {
		int names = S_ISDIR(child->mode) ? 1 : (int)child->nlink;
		if (__atomic_load_n(&child->refcount, __ATOMIC_RELAXED) > names)
			return true;
		if (S_ISDIR(child->mode) && (depth >= BUSY_DEPTH_MAX || tree_busy(child, depth + 1)))
			return true;
	}
	return false;
}

/* A process's current directory inside mount M? */
static bool cwd_inside(const struct mount *m)
{
	char cwd[FS_PATH_MAX];

	fd_cwd(cwd);
	return !strncmp(cwd, m->path, strlen(m->path)) &&
	       (cwd[strlen(m->path)] == 0 || cwd[strlen(m->path)] == '/');
}

static long do_umount(struct mount *m, int flags)
{
	if (m == mount_table || m->pseudo)
		return -EBUSY;
	if (!(flags & MNT_DETACH) && (tree_busy(m->root, 0) || cwd_inside(m)))
		return -EBUSY;
	tmpfs_clear(m->root);
	iput(m->root);
	m->covered->mounted--;
	iput(m->covered);
	*m = (struct mount){ .path = "" };
	return 0;
}

long sys_umount2(uint64_t utarget, int flags)
{
	struct fs_node n;
	long r;

	if (flags & ~(MNT_FORCE | MNT_DETACH | UMOUNT_NOFOLLOW))
		return -EINVAL;
	if ((r = resolve_user(AT_FDCWD, utarget, &n, !(flags & UMOUNT_NOFOLLOW))) < 0)
		return r;
	down_write(&fs_tree);
	struct mount *m = mount_of(n.path);
	r = strcmp(m->path, n.path) ? -EINVAL : do_umount(m, flags);
	up_write(&fs_tree);
	fs_node_put(&n);
	return r;
}

/* ---- statfs ---- */

/* Linux's struct statfs for x86-64 (120 bytes). */
struct statfs_k {
	int64_t f_type, f_bsize;
	uint64_t f_blocks, f_bfree, f_bavail, f_files, f_ffree;
	int32_t f_fsid[2];
	int64_t f_namelen, f_frsize, f_flags;
	int64_t f_spare[4];
};

/* The statfs of the file system holding N: a tmpfs's size is the memory
 * its files use plus what is free; what a write may still take is the free
 * memory above the reserve (FILE_RESERVE_FRAMES, kernel/fs/inode.h). */
static long statfs_node(const struct fs_node *n, uint64_t ubuf)
{
	struct statfs_k st = { .f_bsize = 4096, .f_frsize = 4096, .f_namelen = NAME_MAX };
	const struct mount *m;

	down_read(&fs_tree);
	m = mount_of(n->path);
	st.f_type = !strcmp(m->type, "proc") ? PROC_SUPER_MAGIC :
		    !strcmp(m->type, "sysfs") ? SYSFS_MAGIC : TMPFS_MAGIC;
	st.f_fsid[0] = (int32_t)m->dev;
	up_read(&fs_tree);
	if (st.f_type == TMPFS_MAGIC) {
		st.f_bfree = st.f_ffree = frame_free_count();
		st.f_bavail = st.f_bfree > FILE_RESERVE_FRAMES ? st.f_bfree - FILE_RESERVE_FRAMES : 0;
		st.f_blocks = st.f_files = pagecache_frames() + st.f_bfree;
	}
	return copy_to_user(ubuf, &st, sizeof(st)) ? -EFAULT : 0;
}

long sys_statfs(uint64_t path, uint64_t buf)
{
	struct fs_node n;
	long r = resolve_user(AT_FDCWD, path, &n, true);

	if (r == 0)
		r = statfs_node(&n, buf);
	fs_node_put(&n);
	return r;
}

long sys_fstatfs(int fd, uint64_t buf)
{
	struct file *f = fget_raw(fd);
	struct fs_node n = { .path = "/" };

	if (!f)
		return -EBADF;
	if (fs_dir_node(f))
		n = *fs_dir_node(f);
	else if (f->path[0])
		strlcpy(n.path, f->path, FS_PATH_MAX);
	long r = statfs_node(&n, buf);
	file_put(f);
	return r;
}
