/*
 * kernel/fs/tmpfs.c - the in-memory file system (Linux's tmpfs, shmem):
 * regular files on an inode and the changes to the tree of directories.
 *
 * There is no disk behind it: a file's data lives only in its page-cache
 * frames (mm/pagecache.c), a directory only in its entries, so "writing
 * back" has nothing to do (fsync returns 0), and a file's memory is freed
 * when the file is truncated or its last reference goes.  What differs from
 * Linux's tmpfs: no size= limit of its own (memory runs out first: a write
 * then gives -ENOSPC), no swap, one owner (root), and timestamps from the
 * kernel clock, which starts at 0 at boot.
 */
#include "kernel/fs/tmpfs.h"
#include "kernel/errno.h"
#include "kernel/fs/file.h"
#include "kernel/fs/fs.h"
#include "kernel/fs/memfd.h"
#include "kernel/fs/mount.h"
#include "kernel/rwsem.h"
#include "kernel/proc.h"
#include "kernel/uaccess.h"
#include "mm/heap.h"
#include "mm/layout.h"
#include "mm/vmspace.h"

int tmpfs_create(struct inode *dir, const char *name, uint32_t mode, struct inode **out)
{
	size_t len = strlen(name);
	struct inode *inode;
	int r;

	if (dir_lookup(dir, name, len))
		return -EEXIST;
	if (!(inode = inode_new(mode, dir->dev)))
		return -ENOMEM;
	if ((r = dir_link(dir, name, len, inode)) < 0) {
		iput(inode);
		return r;
	}
	*out = inode;
	return 0;
}

int tmpfs_mkdir_p(struct inode *root, const char *path, struct inode **out)
{
	struct inode *dir = root, *child;

	for (const char *p = path;;) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		size_t len = 0;
		while (p[len] && p[len] != '/')
			len++;
		if (len > NAME_MAX)
			return -ENAMETOOLONG;
		if (!(child = dir_lookup(dir, p, len))) {
			if (!(child = inode_new(S_IFDIR | 0755, dir->dev)))
				return -ENOMEM;
			int r = dir_link(dir, p, len, child);
			iput(child);	/* the entry holds it */
			if (r < 0)
				return r;
		}
		if (!S_ISDIR(child->mode))
			return -ENOTDIR;
		dir = child;
		p += len;
	}
	*out = dir;
	return 0;
}

/* The first subdirectory of DIR (its name in *NAME), or NULL. */
static struct inode *first_subdir(struct inode *dir, const char **name)
{
	struct inode *child;

	for (uint64_t i = 0; dir_entry_at(dir, i, name, &child); i++)
		if (S_ISDIR(child->mode))
			return child;
	return NULL;
}

/* Without recursion: a tree may be deeper than a kernel stack holds frames
 * (a rename can hang one deep tree below another).  Each round goes down
 * to a directory without subdirectories, empties it and unlinks it. */
void tmpfs_clear(struct inode *dir)
{
	const char *name, *sub_name = NULL;
	struct inode *child;

	for (;;) {
		struct inode *parent = NULL, *d = dir, *sub;
		while ((sub = first_subdir(d, &name)))
			parent = d, d = sub, sub_name = name;
		while (dir_entry_at(d, 0, &name, &child))
			dir_unlink(d, name, strlen(name));
		if (!parent)
			return;
		d->nlink = 0;
		dir_unlink(parent, sub_name, strlen(sub_name));
	}
}

/* ---- regular files ---- */

/* The same for a read's buffer, which the copy writes: its pages are
 * faulted in for writing, unchanged (MAP_POPULATE's way, vm_populate), as
 * far as the file has bytes to give. */
static void prefault_writable(struct inode *inode, uint64_t buf, size_t n, uint64_t off)
{
	struct vmspace *vm = current()->vm;
	uint64_t size = __atomic_load_n(&inode->size, __ATOMIC_RELAXED);
	uint64_t end = ALIGN_UP(buf + (off < size ? MIN(n, size - off) : 0), PAGE_SIZE);

	down_read(&vm->mmap_lock);
	for (uint64_t va = ALIGN_DOWN(buf, PAGE_SIZE); va < end;) {
		struct region *r = region_find(vm, va);
		if (!r)
			break;
		vm_populate(vm, va, MIN(r->end, end));
		va = r->end;
	}
	up_read(&vm->mmap_lock);
}

static long file_read(struct file *f, uint64_t buf, size_t n, uint64_t *off)
{
	prefault_writable(f->inode, buf, n, *off);
	down_read(&fs_tree);
	long r = inode_read(f->inode, buf, n, *off, true);
	up_read(&fs_tree);
	if (r > 0)
		*off += (uint64_t)r;
	return r;
}

/* Touch every page of the user buffer [BUF, BUF + N) before fs_tree is
 * taken (Linux's fault_in_readable): a fault under the lock that finds no
 * free frame calls the OOM killer and waits for its victim to exit, and the
 * victim could itself be waiting for the lock.  After this the copy under
 * the lock faults only if another thread unmapped the buffer meanwhile. */
static void prefault_readable(uint64_t buf, size_t n)
{
	char c;

	for (uint64_t p = buf; p < buf + n; p = ALIGN_DOWN(p, PAGE_SIZE) + PAGE_SIZE)
		if (copy_from_user(&c, p, 1))
			return;
}

/* O_APPEND: the end is taken under the lock, so writers never interleave.
 * A sealed file may refuse or shorten it (memfd_write_limit). */
static long file_write(struct file *f, uint64_t buf, size_t n, uint64_t *off)
{
	prefault_readable(buf, n);
	down_write(&fs_tree);
	if (f->flags & O_APPEND)
		*off = f->inode->size;
	long r = memfd_write_limit(f->inode, *off, n);
	if (r > 0)
		r = inode_write(f->inode, buf, (size_t)r, *off, true);
	up_write(&fs_tree);
	if (r > 0)
		*off += (uint64_t)r;
	return r;
}

static int file_stat(struct file *f, struct stat *st)
{
	down_read(&fs_tree);
	fs_stat_inode(f->inode, st);
	up_read(&fs_tree);
	return 0;
}

static void file_close(struct file *f)
{
	if (file_writable(f))
		inode_put_write(f->inode);
}

static const struct file_ops tmpfs_file_ops = {
	.read = file_read, .write = file_write, .stat = file_stat, .close = file_close,
	.seekable = true,
};

struct inode *tmpfs_file_inode(struct file *f)
{
	return f->ops == &tmpfs_file_ops ? f->inode : NULL;
}

int tmpfs_open(struct inode *inode, const char *path, int flags, struct file **out)
{
	struct file *f = file_alloc(&tmpfs_file_ops, flags & FS_KEPT_FLAGS, NULL);
	int r;

	if (!f)
		return -ENOMEM;
	strlcpy(f->path, path, sizeof(f->path));
	if (file_writable(f) && (r = inode_get_write(inode)) < 0) {
		f->flags = O_RDONLY;	/* so that its close gives back no write access */
		file_put(f);
		return r;
	}
	f->inode = iget(inode);
	if (flags & O_TRUNC)
		inode_truncate(inode, 0);
	*out = f;
	return 0;
}

/* The device unlinked shmem files report: one of their own, past every
 * mount's, as Linux's internal shm mount is a file system of its own, so
 * that FICLONE between a memfd and a file of the tree is -EXDEV as there.
 * (maps shows 00:01 for every file, as Linux does for the shm mount on
 * most systems.) */
#define SHMEM_DEV (NMOUNTS + 1)

int shmem_file_new(const char *name, uint64_t size, struct file **out)
{
	struct inode *inode = inode_new(S_IFREG | 0777, SHMEM_DEV);

	if (!inode)
		return -ENOMEM;
	inode->size = size;	/* no one else sees it yet: no fs_tree needed */
	int r = tmpfs_open(inode, name, O_RDWR, out);
	iput(inode);		/* the file holds it now, or it goes */
	return r;
}
