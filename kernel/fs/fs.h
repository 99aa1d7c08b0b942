/*
 * kernel/fs/fs.h - the name space: paths resolved to nodes, over the read-only
 * initrd merged with built-in pseudo file systems ("mounts").
 *
 * Resolution walks a path one component at a time from "/" or from a base
 * directory, handling ".", "..", repeated and trailing slashes.  The only
 * symbolic links are a pseudo mount's (/proc/self, /proc/PID/exe): the walk
 * follows each through the mount's readlink, the last component's too.
 * A name is looked up in this order:
 *   1. a mount whose prefix is the name or one of its ancestors owns it
 *      (initrd entries under a mount are hidden);
 *   2. an initrd entry with exactly that path;
 *   3. a directory implied by deeper initrd entries or mount prefixes
 *      (so an archive without directory entries still works, and "/sys" exists
 *      as soon as a mount at "/sys/kernel/mm/ksm" does).
 *
 * Adding a pseudo file system (/proc, /sys): define a `struct fs_mount`
 * (kernel/fs/dev.c is the small example: /dev/console, /dev/tty, /dev/null,
 * /dev/zero) and list it in mounts[] in kernel/fs/fs.c.  Its lookup decides what
 * exists under its prefix (dynamic names such as /proc/<pid> are fine), its
 * readdir lists a directory, and its open makes a struct file with its own
 * file_ops; fs.c opens directories, and does stat and access from the node.
 *
 * Path limits: system calls copy a user path into a kmalloc'ed page, so
 * PATH_MAX (4096, with the NUL) is Linux's.  A resolved path is kept in a
 * 256-byte buffer (FS_PATH_MAX): a component longer than NAME_MAX gives
 * -ENAMETOOLONG, and a name that would not fit cannot exist, so -ENOENT.
 */
#pragma once
#include "kernel/lib.h"

#define PATH_MAX 4096
#define NAME_MAX 255
#define FS_PATH_MAX 256

#define S_IFMT 0170000
#define S_IFDIR 0040000
#define S_IFCHR 0020000
#define S_IFREG 0100000
#define S_IFIFO 0010000
#define S_IFLNK 0120000
#define S_ISLNK(m) (((m) & S_IFMT) == S_IFLNK)
#define S_ISDIR(m) (((m) & S_IFMT) == S_IFDIR)
#define S_ISREG(m) (((m) & S_IFMT) == S_IFREG)

/* access(2) modes */
#define F_OK 0
#define X_OK 1
#define W_OK 2
#define R_OK 4

struct file;
struct stat;
struct initrd_file;
struct fs_mount;

/* What a path names: filled by fs_resolve and by a mount's lookup. */
struct fs_node {
	char path[FS_PATH_MAX];		/* absolute, normalized: "/dev/null" */
	uint32_t mode;			/* S_IF* type and permission bits */
	uint64_t ino, size, rdev;
	const struct initrd_file *initrd;	/* the initrd entry, or NULL */
	const struct fs_mount *mount;	/* the pseudo file system that owns it, or NULL */
	uint64_t id;			/* the mount's own tag (which file, which pid) */
};

struct fs_mount {
	const char *prefix;		/* "/dev": the mount owns it and everything below */
	/* N->path is set (the prefix itself or below it): fill mode, ino, size,
	 * rdev and id and return 0, or return -ENOENT. */
	int (*lookup)(struct fs_node *n);
	/* Entry IDX (0, 1, ...; "." and ".." excluded) of directory DIR: copy
	 * its name into NAME, set *MODE and *INO, return true; false past the end. */
	bool (*readdir)(const struct fs_node *dir, size_t idx, char *name, size_t max,
			uint32_t *mode, uint64_t *ino);
	/* Open N (never a directory) with open(2) FLAGS: a new file in *OUT
	 * (file_alloc with the mount's own file_ops), or -errno. */
	int (*open)(const struct fs_node *n, int flags, struct file **out);
	/* A symbolic link N (lookup gave S_IFLNK): copy its target, without a
	 * NUL, into BUF (MAX bytes) and return its length, or -errno.  NULL
	 * when the mount has no links (/proc/self, /proc/PID/exe use it). */
	long (*readlink)(const struct fs_node *n, char *buf, size_t max);
};

/* The built-in mounts (kernel/fs/dev.c, later kernel/pseudo.c). */
extern const struct fs_mount dev_mount;

/*
 * Resolve PATH (a kernel string) relative to directory BASE (a normalized
 * absolute path; NULL means "/") into *OUT.  0, or -ENOENT, -ENOTDIR,
 * -ENAMETOOLONG.  When only the last component is missing, *PARENT_OK (if
 * not NULL) is set to true: the name could be created there.
 */
int fs_resolve(const char *base, const char *path, struct fs_node *out, bool *parent_ok);
/* Open PATH relative to BASE with open(2) FLAGS: a new file in *OUT or -errno. */
int fs_open(const char *base, const char *path, int flags, struct file **out);
/* Fill the Linux struct stat for N (all fields; a kernel buffer). */
void fs_stat_node(const struct fs_node *n, struct stat *st);
/* The same from its parts, for file_ops.stat of files without a node. */
void fs_fill_stat(struct stat *st, uint32_t mode, uint64_t ino, uint64_t size, uint64_t rdev);
/* access(2) of N for MODE (R_OK, W_OK, X_OK bits): 0 or -errno. */
int fs_access_node(const struct fs_node *n, int mode);
/* The path of an open directory, or NULL if F is not one (openat's dirfd). */
const char *fs_dir_path(struct file *f);
/* True when PATH lies directly below DIR, both relative to one root without
 * a leading slash ("" is the root): for the tables of pseudo file systems. */
bool fs_is_child(const char *dir, const char *path);
/* A stable inode number for a path that has no other (mounts, implied dirs). */
uint64_t fs_path_ino(const char *path);
/*
 * The entry of directory DIR at listing index *IDX or after it: copy its name
 * (NAME_MAX + 1 bytes), set *MODE and *INO, move *IDX past it, return true;
 * false at the end.  The index space: 0 is ".", 1 "..", then one slot per
 * initrd entry, one per mount prefix, then the owning mount's readdir(0),
 * (1), ...  Slots that give no child of DIR, or a name given before, are
 * skipped.  getdents64 keeps the index in f->offset and in d_off.
 */
bool fs_readdir(const struct fs_node *dir, uint64_t *idx, char *name, uint32_t *mode, uint64_t *ino);
/* Linux's struct linux_dirent64 writer: append one record at *POS of the
 * user buffer BUF (size N).  1 if written, 0 if it does not fit, -EFAULT. */
int fs_put_dirent(uint64_t buf, size_t n, size_t *pos, const char *name, uint64_t ino,
		  int64_t next_off, uint32_t mode);
