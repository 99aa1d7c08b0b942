/*
 * kernel/fs/fs.h - the name space: paths resolved to nodes, over a tree of
 * mounts.
 *
 * The root "/" is an in-memory file system (tmpfs: kernel/fs/tmpfs.c, its
 * files are struct inode, kernel/fs/inode.h) filled at boot from the initrd
 * archive (kernel/fs/initrd.c), as Linux fills its initramfs.  On it are
 * mounted the built-in pseudo file systems (/dev, /proc, /sys/kernel) and
 * any tmpfs mounted by mount(2).  The mount table is kernel/fs/fs.c's.
 *
 * Resolution (fs_resolve_at, Linux's namei) walks a path one component at a
 * time from "/" or from a base directory: "." stays, ".." goes to the parent
 * of the physical path walked so far (after symbolic links, as Linux does),
 * a symbolic link in the middle is always followed and the last one only
 * with FS_FOLLOW, at most FS_MAXSYMLINKS (40) of them (-ELOOP); a trailing
 * slash makes the last component follow links and demand a directory.
 * Each node keeps its absolute, normalized path (pseudo file systems name
 * their nodes by it); one longer than FS_PATH_MAX - 1 bytes gives
 * -ENAMETOOLONG here, where Linux would allow it.  A component longer than
 * NAME_MAX is -ENAMETOOLONG, a path of PATH_MAX bytes or more too
 * (system calls copy it into a PATH_MAX buffer).
 *
 * Adding a pseudo file system (/proc, /sys): define a `struct fs_mount`
 * (kernel/fs/dev.c is the small example: /dev/console, /dev/tty, /dev/null,
 * /dev/zero) and list it in pseudo_mounts[] in kernel/fs/fs.c.  Its lookup
 * decides what exists under its prefix (dynamic names such as /proc/<pid>
 * are fine), its readdir lists a directory, its open makes a struct file
 * with its own file_ops, and its readlink gives a link's target, which the
 * walk follows (/proc/self).  fs.c opens directories, and does stat and
 * access from the node.
 */
#pragma once
#include "kernel/lib.h"

#define PATH_MAX 4096
#define NAME_MAX 255
#define FS_PATH_MAX 512
#define FS_MAXSYMLINKS 40		/* Linux's MAXSYMLINKS */

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
struct inode;
struct fs_mount;
struct rwsem;

/* What a path names: filled by fs_resolve and by a mount's lookup. */
struct fs_node {
	char path[FS_PATH_MAX];		/* absolute, normalized: "/dev/null" */
	uint32_t mode;			/* S_IF* type and permission bits */
	uint64_t ino, size, rdev;
	struct inode *inode;		/* a tmpfs file (with a reference: fs_node_put), or NULL */
	uint32_t dev;			/* st_dev */
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

/* The built-in mounts (kernel/fs/dev.c, procfs.c, sysfs.c). */
extern const struct fs_mount dev_mount;
/* fstat of a file opened through /dev (its priv is the device-table row):
 * mode, inode and major:minor as stat of its /dev name shows them. */
int dev_stat(struct file *f, struct stat *st);
/* Is F an open /dev/zero?  mmap makes its mappings anonymous memory. */
bool dev_is_zero(const struct file *f);
/* Init's descriptors: /dev/console opened without making it anyone's
 * controlling tty (Linux console_on_rootfs).  0 or -ENOMEM. */
int dev_open_console(struct file **out);

/* The lock of the tmpfs trees and their files' data (kernel/fs/inode.h). */
extern struct rwsem fs_tree;

/* fs_resolve_at flags */
#define FS_FOLLOW 1		/* follow a symbolic link in the last component */
#define FS_PARENT 2		/* stop at the last component's directory (see below) */

/*
 * Resolve PATH (a kernel string) relative to directory BASE (a normalized
 * absolute path; NULL means "/") into *OUT, which the caller releases with
 * fs_node_put.  0, or -ENOENT, -ENOTDIR, -ENAMETOOLONG, -ELOOP, -ENOMEM.
 * With FS_PARENT, or when -ENOENT is for the last component only (*OUT is
 * then filled all the same, and *LAST_MISSING set), *OUT is that
 * component's directory and LAST (NAME_MAX + 1 bytes) its name: "" for a
 * path with no last component ("/"), "." or ".." as written.  fs_tree must
 * not be held (the _locked form is for callers that hold it).
 */
int fs_resolve_at(const char *base, const char *path, int flags, struct fs_node *out,
		  char *last, bool *last_missing);
int fs_resolve_locked(const char *base, const char *path, int flags, struct fs_node *out,
		      char *last, bool *last_missing);
/* fs_resolve_at following every link, without the parent's details; when
 * only the last component is missing *PARENT_OK (if not NULL) is true. */
int fs_resolve(const char *base, const char *path, struct fs_node *out, bool *parent_ok);
/* DIR's child NAME as a node without a reference (fs_tree held, and kept
 * while the node is used): 0, -ENOENT, -ENAMETOOLONG. */
int fs_child_locked(const struct fs_node *dir, const char *name, struct fs_node *out);
/* The target of symbolic link N into BUF (PATH_MAX bytes, NUL-terminated):
 * its length, or -EINVAL if N is not a link. */
long fs_readlink_node(const struct fs_node *n, char *buf);
/* Drop the reference a resolved node holds. */
void fs_node_put(struct fs_node *n);
/* Fill N (its path set, no reference held) for inode INODE of tmpfs. */
void fs_node_from_inode(struct fs_node *n, struct inode *inode);
/* Open PATH relative to BASE with open(2) FLAGS, making a regular file with
 * permission bits MODE (the umask already applied) for O_CREAT: a new file
 * in *OUT or -errno. */
int fs_open(const char *base, const char *path, int flags, int mode, struct file **out);
/* Fill the Linux struct stat for N (all fields; a kernel buffer). */
void fs_stat_node(const struct fs_node *n, struct stat *st);
/* The stat of a tmpfs inode (fs_tree held). */
void fs_stat_inode(const struct inode *inode, struct stat *st);
/* The same from its parts, for file_ops.stat of files without a node. */
void fs_fill_stat(struct stat *st, uint32_t mode, uint64_t ino, uint64_t size, uint64_t rdev);
/* access(2) of N for MODE (R_OK, W_OK, X_OK bits): 0 or -errno. */
int fs_access_node(const struct fs_node *n, int mode);
/* The path of an open directory, or NULL if F is not one (openat's dirfd). */
const char *fs_dir_path(struct file *f);
/* The node of an open directory, or NULL if F is not one. */
const struct fs_node *fs_dir_node(struct file *f);
/* True when PATH lies directly below DIR, both relative to one root without
 * a leading slash ("" is the root): for the tables of pseudo file systems. */
bool fs_is_child(const char *dir, const char *path);
/* A stable inode number for a path that has no other (pseudo files). */
uint64_t fs_path_ino(const char *path);
/*
 * The entry of directory DIR at listing index *IDX or after it: copy its name
 * (NAME_MAX + 1 bytes), set *MODE and *INO, move *IDX past it, return true;
 * false at the end.  The index space: 0 is ".", 1 "..", then a tmpfs
 * directory's entries in name order, or the pseudo mount's readdir(0),
 * (1), ...  getdents64 keeps the index in f->offset and in d_off.
 */
bool fs_readdir(const struct fs_node *dir, uint64_t *idx, char *name, uint32_t *mode, uint64_t *ino);
/* Linux's struct linux_dirent64 writer: append one record at *POS of the
 * user buffer BUF (size N).  1 if written, 0 if it does not fit, -EFAULT. */
int fs_put_dirent(uint64_t buf, size_t n, size_t *pos, const char *name, uint64_t ino,
		  int64_t next_off, uint32_t mode);
