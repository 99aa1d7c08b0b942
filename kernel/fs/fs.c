/*
 * kernel/fs/fs.c - the mount table, path resolution, opening, stat and
 * directory listings (kernel/fs/fs.h tells the rules).
 *
 * The mount table is a small array: slot 0 is the root tmpfs, then the
 * pseudo file systems and whatever mount(2) added.  A path belongs to the
 * mount with the longest path that is a prefix of it; a tmpfs mount's root
 * replaces the directory it is mounted on (which counts it in `mounted`, so
 * rmdir says -EBUSY), a pseudo mount answers for every path below it.
 *
 * A directory opened with open(2) is a struct file whose priv is a
 * kmalloc'ed copy of its struct fs_node (holding the inode's reference);
 * getdents64 lists it by an index kept in f->offset (fs_readdir explains the
 * index), so listings resume across calls and lseek(fd, 0, SEEK_SET)
 * rewinds.  Regular tmpfs files are kernel/fs/tmpfs.c's.
 */
#include "kernel/fs/fs.h"
#include "kernel/errno.h"
#include "kernel/fs/file.h"
#include "kernel/fs/initrd.h"
#include "kernel/fs/inode.h"
#include "kernel/fs/mount.h"
#include "kernel/fs/procfs.h"
#include "kernel/fs/sysfs.h"
#include "kernel/fs/tmpfs.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "kernel/rwsem.h"
#include "kernel/uaccess.h"
#include "mm/heap.h"
#include "mm/layout.h"

struct rwsem fs_tree = RWSEM_INIT("fs_tree");

/* The pseudo file systems, mounted at their prefixes at boot. */
static const struct {
	const struct fs_mount *fs;
	const char *type;
} pseudo_mounts[] = {
	{ &dev_mount, "devtmpfs" },
	{ &proc_mount, "proc" },
	{ &sys_kernel_mount, "sysfs" },	/* /sys/kernel (kernel/fs/sysfs.c) */
};

struct mount mount_table[NMOUNTS];

uint64_t fs_path_ino(const char *path)
{
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a */

	for (; *path; path++)
		h = (h ^ (uint8_t)*path) * 0x100000001b3ULL;
	return 0x100000000ULL + (h & 0xfffffff);	/* above any tmpfs inode */
}

/* True when PATH lies directly below DIR. */
bool fs_is_child(const char *dir, const char *path)
{
	size_t n = strlen(dir);

	if (!path[0])
		return false;
	if (n) {
		if (strncmp(path, dir, n) || path[n] != '/')
			return false;
		path += n + 1;
	}
	return !strchr(path, '/');
}

static bool is_under(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	if (n == 1)		/* "/" */
		return true;
	return !strncmp(path, prefix, n) && (path[n] == 0 || path[n] == '/');
}

struct mount *mount_of(const char *path)
{
	struct mount *best = NULL;

	for (struct mount *m = mount_table; m < mount_table + NMOUNTS; m++)
		if (m->path[0] && is_under(path, m->path) &&
		    (!best || strlen(m->path) > strlen(best->path)))
			best = m;
	if (!best)
		panic("mount_of: no root file system");
	return best;
}

void fs_node_from_inode(struct fs_node *n, struct inode *inode)
{
	n->inode = inode;
	n->mount = NULL;
	n->mode = inode->mode;
	n->ino = inode->ino;
	n->size = inode->size;
	n->rdev = n->id = 0;
	n->dev = inode->dev;
}

void fs_node_put(struct fs_node *n)
{
	iput(n->inode);
	n->inode = NULL;
}

/* Fill N (N->path set) from the mount owning it and, in a tmpfs, from
 * CHILD, DIR's entry for the path's last component (NULL: none). */
static int fill_node(struct fs_node *n, struct inode *child)
{
	const struct mount *m = mount_of(n->path);

	n->inode = NULL;
	if (m->pseudo) {
		n->mount = m->pseudo;
		n->mode = 0;
		n->ino = n->size = n->rdev = n->id = 0;
		n->dev = m->dev;
		return m->pseudo->lookup(n);
	}
	if (!strcmp(m->path, n->path))
		child = m->root;
	if (!child)
		return -ENOENT;
	fs_node_from_inode(n, child);
	return 0;
}

/* "/a/b" -> "/a", "/a" -> "/", "/" -> "/". */
static void strip_last(char *path)
{
	char *slash = path;

	for (char *p = path; *p; p++)
		if (*p == '/')
			slash = p;
	if (slash == path)
		path[1] = 0;
	else
		*slash = 0;
}

/* Append component C (LEN bytes) to directory path PATH, or -ENAMETOOLONG. */
static int append(char *path, const char *c, size_t len)
{
	size_t n = strlen(path);

	if (len > NAME_MAX || n + 1 + len + 1 > FS_PATH_MAX)
		return -ENAMETOOLONG;
	if (n > 1)
		path[n++] = '/';
	memcpy(path + n, c, len);
	path[n + len] = 0;
	return 0;
}

/* Step from directory N to its child C (LEN bytes), no links followed. */
static int step(struct fs_node *n, const char *c, size_t len)
{
	struct inode *dir = n->inode;
	int r = append(n->path, c, len);

	return r ? r : fill_node(n, dir ? dir_lookup(dir, c, len) : NULL);
}

/* N names the physical absolute path N->path (no links in it): walk it
 * from the root.  For ".." and for a base directory given by path. */
static int lookup_abs(struct fs_node *n)
{
	char path[FS_PATH_MAX];
	const char *p = path;
	int r;

	strlcpy(path, n->path, sizeof(path));
	strlcpy(n->path, "/", FS_PATH_MAX);
	if ((r = fill_node(n, NULL)) < 0)
		return r;
	for (;;) {
		while (*p == '/')
			p++;
		if (!*p)
			return 0;
		size_t len = 0;
		while (p[len] && p[len] != '/')
			len++;
		if (!S_ISDIR(n->mode))
			return -ENOTDIR;
		if ((r = step(n, p, len)) < 0)
			return r;
		p += len;
	}
}

/* The target of link N into BUF (PATH_MAX bytes, NUL-terminated): its length or -errno. */
static long link_target(const struct fs_node *n, char *buf)
{
	long len;

	if (n->inode) {
		len = (long)strlcpy(buf, n->inode->target, PATH_MAX);
	} else {
		len = n->mount->readlink ? n->mount->readlink(n, buf, PATH_MAX - 1) : -EINVAL;
		if (len >= 0)
			buf[len] = 0;
	}
	return len == 0 ? -ENOENT : len;
}

int fs_child_locked(const struct fs_node *dir, const char *name, struct fs_node *out)
{
	*out = *dir;
	int r = step(out, name, strlen(name));
	if (r < 0)
		out->inode = NULL;
	return r;
}

long fs_readlink_node(const struct fs_node *n, char *buf)
{
	return S_ISLNK(n->mode) ? link_target(n, buf) : -EINVAL;
}

/* The walk's state: the text still to walk lives in BUF from P on. */
struct walk {
	char *buf, *tmp;		/* PATH_MAX each */
	const char *p;
	int links;
};

/* Replace the walked link with its target: the rest becomes TARGET + REST. */
static int follow(struct walk *w, struct fs_node *n, const struct fs_node *dir)
{
	long len;

	if (++w->links > FS_MAXSYMLINKS)
		return -ELOOP;
	if ((len = link_target(n, w->tmp)) < 0)
		return (int)len;
	size_t rest = strlen(w->p);
	if ((size_t)len + 1 + rest + 1 > PATH_MAX)
		return -ENAMETOOLONG;
	w->tmp[len] = '/';
	memcpy(w->tmp + len + 1, w->p, rest + 1);
	memcpy(w->buf, w->tmp, (size_t)len + 1 + rest + 1);
	w->p = w->buf;
	if (w->buf[0] == '/') {
		strlcpy(n->path, "/", FS_PATH_MAX);
		return fill_node(n, NULL);
	}
	*n = *dir;
	return 0;
}

static bool only_slashes(const char *p)
{
	while (*p == '/')
		p++;
	return !*p;
}

/* The walk proper: N starts at the base, W->p is the path. */
static int walk(struct walk *w, int flags, struct fs_node *n, char *last, bool *last_missing)
{
	struct fs_node saved;
	int r;

	for (;;) {
		while (*w->p == '/')
			w->p++;
		if (!*w->p)
			return 0;
		size_t len = 0;
		while (w->p[len] && w->p[len] != '/')
			len++;
		const char *c = w->p;
		w->p += len;
		bool is_last = only_slashes(w->p), slash = is_last && *w->p;
		if (!S_ISDIR(n->mode))
			return -ENOTDIR;
		if (len > NAME_MAX)
			return -ENAMETOOLONG;
		if (is_last && last) {
			memcpy(last, c, len);
			last[len] = 0;
			if (flags & FS_PARENT)
				return 0;
		}
		if (len <= 2 && c[0] == '.' && (len == 1 || c[1] == '.')) {
			if (len == 2) {
				strip_last(n->path);
				if ((r = lookup_abs(n)) < 0)
					return r;
			}
			continue;
		}
		saved = *n;
		if ((r = step(n, c, len)) < 0) {
			if (r == -ENOENT && is_last && last_missing) {
				*n = saved;
				*last_missing = true;
			}
			return r;
		}
		if (S_ISLNK(n->mode) && (!is_last || slash || (flags & FS_FOLLOW))) {
			if ((r = follow(w, n, &saved)) < 0)
				return r;
		}
	}
}

int fs_resolve_locked(const char *base, const char *path, int flags, struct fs_node *out,
		      char *last, bool *last_missing)
{
	struct walk w = { .buf = kmalloc(PATH_MAX), .tmp = kmalloc(PATH_MAX) };
	int r = -ENOMEM;

	if (last)
		last[0] = 0;
	if (last_missing)
		*last_missing = false;
	if (!path[0])
		r = -ENOENT;
	else if (strlen(path) >= PATH_MAX)
		r = -ENAMETOOLONG;
	else if (w.buf && w.tmp) {
		strlcpy(w.buf, path, PATH_MAX);
		w.p = w.buf;
		if (path[0] == '/' || !base)
			base = "/";
		r = strlen(base) >= FS_PATH_MAX ? -ENAMETOOLONG : 0;
		if (r == 0) {
			strlcpy(out->path, base, FS_PATH_MAX);
			r = lookup_abs(out);
		}
		if (r == 0)
			r = walk(&w, flags, out, last, last_missing);
		if (r == 0 && !(flags & FS_PARENT) && path[strlen(path) - 1] == '/' &&
		    !S_ISDIR(out->mode))
			r = -ENOTDIR;
	}
	kfree(w.buf);
	kfree(w.tmp);
	if ((r == 0 || (last_missing && *last_missing)) && out->inode)
		iget(out->inode);
	else
		out->inode = NULL;
	return r;
}

int fs_resolve_at(const char *base, const char *path, int flags, struct fs_node *out,
		  char *last, bool *last_missing)
{
	down_read(&fs_tree);
	int r = fs_resolve_locked(base, path, flags, out, last, last_missing);
	up_read(&fs_tree);
	return r;
}

int fs_resolve(const char *base, const char *path, struct fs_node *out, bool *parent_ok)
{
	char last[NAME_MAX + 1];
	bool missing;
	int r = fs_resolve_at(base, path, FS_FOLLOW, out, last, &missing);

	if (parent_ok)
		*parent_ok = missing;
	if (missing)
		fs_node_put(out);
	return r;
}

/* ---- stat and access ---- */

void fs_fill_stat(struct stat *st, uint32_t mode, uint64_t ino, uint64_t size, uint64_t rdev)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = 1;
	st->st_ino = ino;
	st->st_nlink = S_ISDIR(mode) ? 2 : 1;
	st->st_mode = mode;
	st->st_rdev = rdev;
	st->st_size = (int64_t)size;
	st->st_blksize = 4096;
	st->st_blocks = (int64_t)((size + 511) / 512);
}

void fs_stat_inode(const struct inode *inode, struct stat *st)
{
	fs_fill_stat(st, inode->mode, inode->ino, inode->size, 0);
	st->st_dev = inode->dev;
	st->st_nlink = inode->nlink;
	if (S_ISREG(inode->mode))	/* what it holds: holes take nothing */
		st->st_blocks = (int64_t)(inode->mapping.nrpages * (PAGE_SIZE / 512));
	st->st_atime = inode->atime / 1000000000, st->st_atime_nsec = inode->atime % 1000000000;
	st->st_mtime = inode->mtime / 1000000000, st->st_mtime_nsec = inode->mtime % 1000000000;
	st->st_ctime = inode->ctime / 1000000000, st->st_ctime_nsec = inode->ctime % 1000000000;
}

void fs_stat_node(const struct fs_node *n, struct stat *st)
{
	if (n->inode) {
		down_read(&fs_tree);
		fs_stat_inode(n->inode, st);
		up_read(&fs_tree);
		return;
	}
	fs_fill_stat(st, n->mode, n->ino, n->size, n->rdev);
	st->st_dev = n->dev;
}

/* The superuser may read and write anything but a pseudo file with no
 * write bit; executing needs an execute bit (Linux's rule for root). */
int fs_access_node(const struct fs_node *n, int mode)
{
	if ((mode & W_OK) && n->mount && !(n->mode & 0222))
		return -EACCES;
	if ((mode & X_OK) && !S_ISDIR(n->mode) && !(n->mode & 0111))
		return -EACCES;
	return 0;
}

/* ---- directory listings ---- */

/* Mode and inode number of the parent of DIR (the path's, as ".." goes). */
static void parent_info(const struct fs_node *dir, uint32_t *mode, uint64_t *ino)
{
	struct fs_node n;

	strlcpy(n.path, dir->path, FS_PATH_MAX);
	strip_last(n.path);
	if (lookup_abs(&n) < 0)
		n = *dir;
	*mode = n.mode;
	*ino = n.ino;
}

/* fs_readdir with fs_tree held for reading. */
static bool readdir_locked(const struct fs_node *dir, uint64_t idx, char *name, uint32_t *mode,
			   uint64_t *ino)
{
	const char *child_name;
	struct inode *child;

	if (idx < 2) {
		strlcpy(name, idx ? ".." : ".", NAME_MAX + 1);
		if (idx)
			parent_info(dir, mode, ino);
		else
			*mode = dir->mode, *ino = dir->ino;
		return true;
	}
	if (!dir->inode)
		return dir->mount->readdir && dir->mount->readdir(dir, idx - 2, name, NAME_MAX + 1,
								  mode, ino);
	if (!dir_entry_at(dir->inode, idx - 2, &child_name, &child))
		return false;
	strlcpy(name, child_name, NAME_MAX + 1);
	*mode = child->mode;
	*ino = child->ino;
	return true;
}

bool fs_readdir(const struct fs_node *dir, uint64_t *idx, char *name, uint32_t *mode, uint64_t *ino)
{
	down_read(&fs_tree);
	bool more = readdir_locked(dir, *idx, name, mode, ino);
	up_read(&fs_tree);
	if (more)
		(*idx)++;
	return more;
}

/* struct linux_dirent64 without its name. */
struct dirent_head {
	uint64_t d_ino;
	int64_t d_off;
	uint16_t d_reclen;
	uint8_t d_type;
} __attribute__((packed));

int fs_put_dirent(uint64_t buf, size_t n, size_t *pos, const char *name, uint64_t ino,
		  int64_t next_off, uint32_t mode)
{
	char rec[ALIGN_UP(sizeof(struct dirent_head) + NAME_MAX + 1, 8)];
	size_t len = strnlen(name, NAME_MAX);
	size_t reclen = ALIGN_UP(sizeof(struct dirent_head) + len + 1, 8);
	struct dirent_head h = {
		.d_ino = ino, .d_off = next_off, .d_reclen = (uint16_t)reclen,
		.d_type = (uint8_t)((mode >> 12) & 15),		/* DT_DIR, DT_REG, DT_CHR, ... */
	};

	if (*pos + reclen > n)
		return 0;
	memset(rec, 0, reclen);
	memcpy(rec, &h, sizeof(h));
	memcpy(rec + sizeof(h), name, len);
	if (copy_to_user(buf + *pos, rec, reclen))
		return -EFAULT;
	*pos += reclen;
	return 1;
}

/* getdents64 on an open directory: whole records only, from index f->offset. */
static long dir_getdents(struct file *f, uint64_t buf, size_t n)
{
	const struct fs_node *dir = f->priv;
	char name[NAME_MAX + 1];
	uint32_t mode;
	uint64_t ino, idx = f->offset;
	size_t pos = 0;

	for (;;) {
		uint64_t next = idx;
		if (!fs_readdir(dir, &next, name, &mode, &ino))
			break;
		int r = fs_put_dirent(buf, n, &pos, name, ino, (int64_t)next, mode);
		if (r < 0)
			return r;
		if (r == 0) {
			if (pos == 0)
				return -EINVAL;
			break;
		}
		idx = next;
	}
	f->offset = idx;
	return (long)pos;
}

static long dir_read(struct file *f, uint64_t buf, size_t n, uint64_t *off)
{
	(void)f, (void)buf, (void)n, (void)off;
	return -EISDIR;
}

static int dir_stat(struct file *f, struct stat *st)
{
	fs_stat_node(f->priv, st);
	return 0;
}

static void dir_close(struct file *f)
{
	fs_node_put(f->priv);
	kfree(f->priv);
}

static const struct file_ops dir_ops = {
	.read = dir_read, .getdents = dir_getdents, .stat = dir_stat, .close = dir_close,
	.seekable = true,
};

const struct fs_node *fs_dir_node(struct file *f)
{
	return f->ops == &dir_ops ? f->priv : NULL;
}

const char *fs_dir_path(struct file *f)
{
	return f->ops == &dir_ops ? ((const struct fs_node *)f->priv)->path : NULL;
}

/* ---- open ---- */

/* Open directory N, taking over its reference. */
static int open_dir(struct fs_node *n, int flags, struct file **out)
{
	struct fs_node *copy = kmalloc(sizeof(*copy));

	if (copy) {
		*copy = *n;
		if ((*out = file_alloc(&dir_ops, flags & FS_KEPT_FLAGS, copy)))
			return 0;
		kfree(copy);
	}
	fs_node_put(n);
	return -ENOMEM;
}

/* The node of open(2)'s path, made if O_CREAT asks and it is missing; fs_tree
 * held for writing if O_CREAT or O_TRUNC, else for reading.  *CREATED when made. */
static int open_node(const char *base, const char *path, int flags, int mode,
		     struct fs_node *n, bool *created)
{
	char last[NAME_MAX + 1];
	bool missing;
	int follow = (flags & O_NOFOLLOW) || (flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL) ?
		     0 : FS_FOLLOW;
	int r = fs_resolve_locked(base, path, follow, n, last, &missing);
	struct inode *inode;

	*created = false;
	if (r == -ENOENT && missing && (flags & O_CREAT)) {
		if (path[strlen(path) - 1] == '/')
			r = -EISDIR;
		else if (!n->inode)
			r = -EACCES;	/* pseudo file systems make no files */
		else
			r = tmpfs_create(n->inode, last, S_IFREG | (uint32_t)(mode & 07777), &inode);
		fs_node_put(n);
		if (r == 0) {
			fs_node_from_inode(n, inode);	/* takes over its reference */
			/* N named the directory: name the new file (its fd link, maps) */
			size_t dlen = strlen(n->path);
			snprintf(n->path + dlen, sizeof(n->path) - dlen, "%s%s",
				 dlen && n->path[dlen - 1] == '/' ? "" : "/", last);
			*created = true;
		}
		return r;
	}
	if (r == 0 && (flags & O_CREAT) && (flags & O_EXCL))
		r = -EEXIST;
	else if (r == 0 && S_ISLNK(n->mode))
		r = -ELOOP;	/* O_NOFOLLOW on a link */
	if (r < 0)
		fs_node_put(n);
	return r;
}

/* R from opening PATH into *OUT: on success the file keeps the name
 * (/proc/PID/fd's links show it). */
static int named(int r, struct file **out, const char *path)
{
	if (r == 0)
		strlcpy((*out)->path, path, sizeof((*out)->path));
	return r;
}

/* Linux's order of checks: missing, exists with O_EXCL, directory, access. */
int fs_open(const char *base, const char *path, int flags, int mode, struct file **out)
{
	struct fs_node n;
	bool created, creat = flags & O_CREAT;
	int acc = flags & O_ACCMODE, r;

	bool change = flags & (O_CREAT | O_TRUNC);

	change ? down_write(&fs_tree) : down_read(&fs_tree);
	if ((r = open_node(base, path, flags, mode, &n, &created)) == 0 && n.inode &&
	    !S_ISDIR(n.mode) && !(flags & O_DIRECTORY))
		r = tmpfs_open(n.inode, n.path, flags & ~(created ? O_TRUNC : 0), out);
	change ? up_write(&fs_tree) : up_read(&fs_tree);
	if (r < 0) {
		fs_node_put(&n);	/* none when open_node failed */
		return r;
	}
	if (S_ISDIR(n.mode)) {
		if (acc != O_RDONLY || creat)
			r = -EISDIR;
		else
			return named(open_dir(&n, flags, out), out, n.path);
	} else if (flags & O_DIRECTORY) {
		r = -ENOTDIR;
	} else if (!n.inode) {
		r = named(n.mount->open(&n, flags, out), out, n.path);
		if (r == 0)
			(*out)->dev = n.dev;
	}
	fs_node_put(&n);
	return r;
}

struct file *fs_open_exec(const char *path, int *err)
{
	char cwd[FS_PATH_MAX];
	struct file *f = NULL;
	struct fs_node n;

	if (path[0] != '/')
		fd_cwd(cwd);
	int r = fs_resolve(path[0] == '/' ? NULL : cwd, path, &n, NULL);

	if (r == 0) {
		if (!n.inode || !S_ISREG(n.mode) || !(n.mode & 0111))
			r = -EACCES;
		else
			r = tmpfs_open(n.inode, n.path, O_RDONLY, &f);
		fs_node_put(&n);
	}
	*err = r;
	return f;
}

/* ---- the root ---- */

/* Mount pseudo file system FS at its prefix, on a directory made for it. */
static void mount_pseudo(struct mount *slot, const struct fs_mount *fs, const char *type)
{
	struct inode *dir;

	if (tmpfs_mkdir_p(mount_table[0].root, fs->prefix, &dir) < 0)
		panic("fs_init: cannot make the mount point %s", fs->prefix);
	dir->mounted++;
	strlcpy(slot->path, fs->prefix, FS_PATH_MAX);
	slot->type = type;
	slot->pseudo = fs;
	slot->covered = dir;
	slot->dev = (uint32_t)(slot - mount_table) + 1;
}

void fs_init(void)
{
	struct mount *root = &mount_table[0];

	down_write(&fs_tree);
	root->root = inode_new(S_IFDIR | 0755, 1);
	if (!root->root)
		panic("fs_init: no memory for the root directory");
	root->root->nlink = 2;
	strlcpy(root->path, "/", FS_PATH_MAX);
	root->type = "tmpfs";
	root->dev = 1;
	initrd_unpack_boot(root->root);
	for (size_t i = 0; i < ARRAY_SIZE(pseudo_mounts); i++)
		mount_pseudo(&mount_table[1 + i], pseudo_mounts[i].fs, pseudo_mounts[i].type);
	up_write(&fs_tree);
}
