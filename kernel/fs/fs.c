/*
 * kernel/fs/fs.c - path resolution, opening, stat and directory listing over
 * the initrd merged with the built-in mounts (kernel/fs/fs.h tells the rules).
 *
 * Everything here is read-only: initrd files and directories open with
 * O_RDONLY only.  A directory opened with open(2) is a struct file whose priv
 * is a kmalloc'ed copy of its struct fs_node; getdents64 lists it by an index
 * kept in f->offset (fs_readdir explains the index), so listings resume
 * across calls and lseek(fd, 0, SEEK_SET) rewinds.
 */
#include "kernel/fs/fs.h"
#include "kernel/fs/procfs.h"
#include "kernel/fs/sysfs.h"
#include "kernel/errno.h"
#include "kernel/fs/file.h"
#include "kernel/fs/initrd.h"
#include "kernel/uaccess.h"
#include "mm/heap.h"

/* The pseudo file systems; add /proc and /sys here (kernel/fs/fs.h). */
static const struct fs_mount *const mounts[] = {
	&dev_mount,
	&proc_mount,
	&sys_kernel_mount,	/* /sys/kernel/mm/ksm (kernel/fs/sysfs.c) */
};

#define NMOUNTS ARRAY_SIZE(mounts)

uint64_t fs_path_ino(const char *path)
{
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a */

	for (; *path; path++)
		h = (h ^ (uint8_t)*path) * 0x100000001b3ULL;
	return 0x100000 + (h & 0xfffffff);	/* above any initrd inode */
}

/* True when PATH is PREFIX or lies below it. */
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

/* The mount owning PATH (longest prefix), or NULL. */
static const struct fs_mount *mount_of(const char *path)
{
	const struct fs_mount *best = NULL;

	for (size_t i = 0; i < NMOUNTS; i++)
		if (is_under(path, mounts[i]->prefix) &&
		    (!best || strlen(mounts[i]->prefix) > strlen(best->prefix)))
			best = mounts[i];
	return best;
}

/*
 * If ENTRY lies strictly below directory DIR, copy the name of DIR's child
 * on the way to it into NAME (NAME_MAX + 1 bytes) and return true.
 */
static bool child_name(const char *dir, const char *entry, char *name)
{
	size_t n = strlen(dir);
	const char *rest;

	if (n == 1)
		rest = entry + 1;
	else if (!strncmp(entry, dir, n) && entry[n] == '/')
		rest = entry + n + 1;
	else
		return false;
	size_t len = 0;
	while (rest[len] && rest[len] != '/')
		len++;
	if (len == 0 || len > NAME_MAX)
		return false;
	memcpy(name, rest, len);
	name[len] = 0;
	return true;
}

/* True when some initrd entry or mount prefix lies strictly below PATH. */
static bool implied_dir(const char *path)
{
	char name[NAME_MAX + 1];

	for (size_t i = 0; i < initrd_count(); i++)
		if (child_name(path, initrd_entry(i)->path, name))
			return true;
	for (size_t i = 0; i < NMOUNTS; i++)
		if (child_name(path, mounts[i]->prefix, name))
			return true;
	return false;
}

/* Fill everything in N but its path from what N->path names: 0 or -ENOENT. */
static int lookup(struct fs_node *n)
{
	const struct fs_mount *m = mount_of(n->path);
	const struct initrd_file *e;

	n->mode = 0;
	n->ino = n->size = n->rdev = n->id = 0;
	n->initrd = NULL;
	n->mount = m;
	if (m)
		return m->lookup(n);
	if ((e = initrd_lookup(n->path)) != NULL) {
		n->initrd = e;
		n->mode = e->mode;
		n->ino = e->ino;
		n->size = S_ISDIR(e->mode) ? 0 : e->size;
		return 0;
	}
	if (!strcmp(n->path, "/") || implied_dir(n->path)) {
		n->mode = S_IFDIR | 0755;
		n->ino = fs_path_ino(n->path);
		return 0;
	}
	return -ENOENT;
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

static bool only_slashes(const char *p)
{
	while (*p == '/')
		p++;
	return !*p;
}

/* Start the walk at "/" or at BASE. */
static int walk_start(const char *base, const char *path, struct fs_node *n)
{
	if (path[0] == '/' || !base)
		base = "/";
	if (strlen(base) >= FS_PATH_MAX)
		return -ENAMETOOLONG;
	strlcpy(n->path, base, FS_PATH_MAX);
	return lookup(n);
}

/* N is a pseudo file system's symbolic link (/proc/self, /proc/PID/exe):
 * make N what its target names, relative to the link's directory.  Every
 * such link is followed, the last component's too (stat and lstat alike). */
static int follow_mount_link(struct fs_node *n)
{
	char target[FS_PATH_MAX], dir[FS_PATH_MAX];
	long len = n->mount && n->mount->readlink ?
		   n->mount->readlink(n, target, sizeof(target) - 1) : -ENOENT;

	if (len < 0)
		return (int)len;
	target[len] = 0;
	strlcpy(dir, n->path, sizeof(dir));
	strip_last(dir);
	return fs_resolve(dir, target, n, NULL);
}

int fs_resolve(const char *base, const char *path, struct fs_node *out, bool *parent_ok)
{
	const char *p = path;
	int r;

	if (parent_ok)
		*parent_ok = false;
	if (!path[0])
		return -ENOENT;
	if ((r = walk_start(base, path, out)) < 0)
		return r;
	for (;;) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		size_t len = 0;
		while (p[len] && p[len] != '/')
			len++;
		const char *c = p;
		p += len;
		if (!S_ISDIR(out->mode))
			return -ENOTDIR;
		if (len == 1 && c[0] == '.')
			continue;
		if (len == 2 && c[0] == '.' && c[1] == '.') {
			strip_last(out->path);
		} else if ((r = append(out->path, c, len)) < 0) {
			return r;
		}
		if ((r = lookup(out)) < 0) {
			if (parent_ok && r == -ENOENT && only_slashes(p))
				*parent_ok = true;
			return r;
		}
		if (S_ISLNK(out->mode) && (r = follow_mount_link(out)) < 0)
			return r;
	}
	if (path[strlen(path) - 1] == '/' && !S_ISDIR(out->mode))
		return -ENOTDIR;
	return 0;
}

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

void fs_stat_node(const struct fs_node *n, struct stat *st)
{
	fs_fill_stat(st, n->mode, n->ino, n->size, n->rdev);
}

/* The root is the superuser: only a read-only file system or a file with
 * no write (execute) bit at all says no. */
int fs_access_node(const struct fs_node *n, int mode)
{
	if (mode & W_OK) {
		if (!n->mount)
			return -EROFS;
		if (!(n->mode & 0222))
			return -EACCES;
	}
	if ((mode & X_OK) && !S_ISDIR(n->mode) && !(n->mode & 0111))
		return -EACCES;
	return 0;
}

/* ---- directory listings ---- */

enum { SLOT_ENTRY, SLOT_SKIP, SLOT_END };

/* Mode and inode of DIR's child NAME (or of DIR's parent for ".."). */
static int child_info(const struct fs_node *dir, const char *name, uint32_t *mode, uint64_t *ino)
{
	struct fs_node n;
	int r;

	strlcpy(n.path, dir->path, FS_PATH_MAX);
	if (!strcmp(name, ".."))
		strip_last(n.path);
	else if ((r = append(n.path, name, strlen(name))) < 0)
		return r;
	if ((r = lookup(&n)) < 0)
		return r;
	*mode = n.mode;
	*ino = n.ino;
	return 0;
}

/* True when an initrd slot before LIMIT (all when LIMIT is SIZE_MAX) gives NAME in DIR. */
static bool initrd_gives(const struct fs_node *dir, size_t limit, const char *name)
{
	char other[NAME_MAX + 1];

	if (dir->mount)
		return false;
	for (size_t k = 0; k < limit && k < initrd_count(); k++)
		if (child_name(dir->path, initrd_entry(k)->path, other) && !strcmp(other, name))
			return true;
	return false;
}

/* The child name listing slot I of DIR gives, if any (see fs_readdir). */
static int slot_name(const struct fs_node *dir, uint64_t i, char *name)
{
	uint64_t ni = initrd_count();
	char other[NAME_MAX + 1];

	if (i < 2) {
		strlcpy(name, i ? ".." : ".", NAME_MAX + 1);
		return SLOT_ENTRY;
	}
	i -= 2;
	if (i < ni) {
		if (dir->mount || !child_name(dir->path, initrd_entry(i)->path, name) ||
		    initrd_gives(dir, i, name))
			return SLOT_SKIP;
		return SLOT_ENTRY;
	}
	i -= ni;
	if (i < NMOUNTS) {
		if (!child_name(dir->path, mounts[i]->prefix, name) ||
		    initrd_gives(dir, SIZE_MAX, name))
			return SLOT_SKIP;
		for (size_t k = 0; k < i; k++)
			if (child_name(dir->path, mounts[k]->prefix, other) && !strcmp(other, name))
				return SLOT_SKIP;
		return SLOT_ENTRY;
	}
	return SLOT_END;
}

bool fs_readdir(const struct fs_node *dir, uint64_t *idx, char *name, uint32_t *mode, uint64_t *ino)
{
	for (uint64_t i = *idx;; i++) {
		int s = slot_name(dir, i, name);
		if (s == SLOT_SKIP)
			continue;
		if (s == SLOT_END) {
			uint64_t j = i - 2 - initrd_count() - NMOUNTS;
			if (!dir->mount || !dir->mount->readdir ||
			    !dir->mount->readdir(dir, j, name, NAME_MAX + 1, mode, ino)) {
				*idx = i;
				return false;
			}
		} else if (!strcmp(name, ".")) {
			*mode = dir->mode;
			*ino = dir->ino;
		} else if (child_info(dir, name, mode, ino) < 0) {
			continue;
		}
		*idx = i + 1;
		return true;
	}
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
		bool more = fs_readdir(dir, &next, name, &mode, &ino);
		if (!more) {
			idx = next;
			break;
		}
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
	kfree(f->priv);
}

static const struct file_ops dir_ops = {
	.read = dir_read, .getdents = dir_getdents, .stat = dir_stat, .close = dir_close,
	.seekable = true,
};

const char *fs_dir_path(struct file *f)
{
	return f->ops == &dir_ops ? ((const struct fs_node *)f->priv)->path : NULL;
}

/* ---- initrd files ---- */

static long initrd_read(struct file *f, uint64_t buf, size_t n, uint64_t *off)
{
	const struct initrd_file *e = f->priv;

	if (*off >= e->size)
		return 0;
	n = MIN(n, e->size - *off);
	if (copy_to_user(buf, e->data + *off, n))
		return -EFAULT;
	*off += n;
	return (long)n;
}

static int initrd_stat(struct file *f, struct stat *st)
{
	const struct initrd_file *e = f->priv;

	fs_fill_stat(st, e->mode, e->ino, e->size, 0);
	return 0;
}

static const struct file_ops initrd_ops = {
	.read = initrd_read, .stat = initrd_stat, .seekable = true,
};

const struct initrd_file *fs_file_initrd(struct file *f)
{
	return f->ops == &initrd_ops ? f->priv : NULL;
}

/* ---- open ---- */

/* The status flags a file keeps (fcntl F_GETFL). */
#define KEPT_FLAGS (O_ACCMODE | O_APPEND | O_NONBLOCK | O_DIRECTORY)

static int open_dir(const struct fs_node *n, int flags, struct file **out)
{
	struct fs_node *copy = kmalloc(sizeof(*copy));

	if (!copy)
		return -ENOMEM;
	*copy = *n;
	*out = file_alloc(&dir_ops, flags & KEPT_FLAGS, copy);
	if (!*out) {
		kfree(copy);
		return -ENOMEM;
	}
	return 0;
}

/* R from opening N into *OUT: on success the file keeps N's name. */
static int named(int r, struct file **out, const struct fs_node *n)
{
	if (r == 0)
		strlcpy((*out)->path, n->path, sizeof((*out)->path));
	return r;
}

/* Linux's order of checks: missing, exists with O_EXCL, directory, read-only. */
int fs_open(const char *base, const char *path, int flags, struct file **out)
{
	struct fs_node n;
	bool parent_ok;
	int acc = flags & O_ACCMODE;
	int r = fs_resolve(base, path, &n, &parent_ok);

	if (r == -ENOENT && (flags & O_CREAT) && parent_ok)
		return -EROFS;
	if (r < 0)
		return r;
	if ((flags & O_CREAT) && (flags & O_EXCL))
		return -EEXIST;
	if (S_ISDIR(n.mode)) {
		if (acc != O_RDONLY || (flags & (O_CREAT | O_TRUNC)))
			return -EISDIR;
		return named(open_dir(&n, flags, out), out, &n);
	}
	if (flags & O_DIRECTORY)
		return -ENOTDIR;
	if (n.mount)
		return named(n.mount->open(&n, flags, out), out, &n);
	if (acc != O_RDONLY || (flags & O_TRUNC))
		return -EROFS;
	*out = file_alloc(&initrd_ops, flags & KEPT_FLAGS, (void *)n.initrd);
	return named(*out ? 0 : -ENOMEM, out, &n);
}

const struct initrd_file *fs_lookup_exec(const char *path, int *err)
{
	char cwd[FS_PATH_MAX];
	struct fs_node n;

	if (path[0] != '/')
		fd_cwd(cwd);
	int r = fs_resolve(path[0] == '/' ? NULL : cwd, path, &n, NULL);

	if (r == 0 && (!n.initrd || !S_ISREG(n.mode) || !(n.mode & 0111)))
		r = -EACCES;
	*err = r;
	return r ? NULL : n.initrd;
}
