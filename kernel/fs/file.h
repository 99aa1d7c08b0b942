/*
 * kernel/fs/file.h - open files and descriptors.
 *
 * A struct file is one open instance (offset, flags) of something that
 * implements struct file_ops: a tmpfs file or directory, the console tty,
 * a pipe end, or a pseudo file (/proc, /sys: kernel/pseudo.c later).
 * Descriptors index the table proc.files (struct files_struct), which
 * clone(CLONE_FILES) shares between tasks and fork copies; dup and fork share
 * a struct file by taking a reference.  The current directory is a struct
 * fs_struct, shared by clone(CLONE_FS).  Both can be used by threads on
 * several CPUs at once: each has a lock, and a system call works on a file
 * through its own reference (fget ... file_put), so a close by another
 * thread cannot free the file under it.
 */
#pragma once
#include "kernel/lib.h"
#include "kernel/fs/fs.h"
#include "kernel/proc.h"
#include "kernel/spinlock.h"

struct file;
struct poll_table;
struct stat;

struct file_ops {
	/* Return bytes done or -errno.  BUF is a user address. */
	long (*read)(struct file *f, uint64_t buf, size_t n, uint64_t *off);
	long (*write)(struct file *f, uint64_t buf, size_t n, uint64_t *off);
	long (*getdents)(struct file *f, uint64_t buf, size_t n);
	long (*ioctl)(struct file *f, unsigned long cmd, uint64_t arg);
	/* Fill the Linux struct stat (kernel buffer). */
	int (*stat)(struct file *f, struct stat *st);
	void (*close)(struct file *f);
	/* The poll events ready now (POLLIN, POLLOUT, POLLHUP, ...:
	 * kernel/fs/poll.h), after registering PT on the file's wait channel
	 * with poll_wait.  NULL: always ready to read and write. */
	unsigned (*poll)(struct file *f, struct poll_table *pt);
	bool seekable;
	/* offsets are addresses (/proc/PID/mem): lseek takes any value, SEEK_END
	 * none (Linux's FMODE_UNSIGNED_OFFSET and mem_lseek) */
	bool unsigned_offsets;
};

struct file {
	const struct file_ops *ops;
	int refcount;		/* atomic */
	int flags;		/* O_RDONLY / O_WRONLY / O_RDWR, O_APPEND, O_NONBLOCK */
	uint64_t offset;
	void *priv;		/* owner-specific: inode, pipe, ... */
	struct inode *inode;	/* a tmpfs file: its inode (a reference), else NULL */
	char path[FS_PATH_MAX];	/* the name fs_open resolved ("" for pipes):
				 * /proc/PID/fd's link target */
	uint32_t dev;		/* st_dev of the pseudo file system it was opened
				 * on, which fstat reports (so ttyname(3) finds
				 * /dev/console); 0: the stat op's own */
};

/* Linux's struct stat for x86-64 (144 bytes). */
struct stat {
	uint64_t st_dev, st_ino, st_nlink;
	uint32_t st_mode, st_uid, st_gid, pad0;
	uint64_t st_rdev;
	int64_t st_size, st_blksize, st_blocks;
	uint64_t st_atime, st_atime_nsec, st_mtime, st_mtime_nsec, st_ctime, st_ctime_nsec;
	int64_t reserved[3];
};

/* fstat's answer for F (its stat op, st_dev from F's dev if set):
 * 0 or the op's errno (kernel/fs/sys_file.c). */
int file_getattr(struct file *f, struct stat *st);
struct file *file_alloc(const struct file_ops *ops, int flags, void *priv);
struct file *file_get(struct file *f);
void file_put(struct file *f);
/* A reference to the file behind FD of the current task (file_put it when
 * done), or NULL (Linux: fget), also for an O_PATH descriptor: it only
 * names a file, so reading, writing, mapping, ioctl... are -EBADF. */
struct file *fget(int fd);
/* The same, O_PATH descriptors included (Linux: fget_raw): for what
 * such a descriptor is for - a directory for *at, fstat, fstatfs,
 * fchdir, dup, fcntl's descriptor commands. */
struct file *fget_raw(int fd);
/* The descriptor table (Linux files_struct). */
struct files_struct {
	int refcount;			/* tasks using it (atomic) */
	struct spinlock lock;		/* fd[] and cloexec */
	struct file *fd[NOFILE];
	uint32_t cloexec;		/* bit n: FD_CLOEXEC of descriptor n */
};
/* The current directory (Linux fs_struct). */
struct fs_struct {
	int refcount;			/* tasks using it (atomic) */
	struct spinlock lock;
	char cwd[FS_PATH_MAX];		/* normalized; "" means "/" */
	int umask;			/* permission bits creation clears (umask(2)) */
};
/* fork without CLONE_FILES: a copy of the table (each file gets one more
 * reference); NULL when out of memory. */
struct files_struct *files_copy(struct files_struct *files);
struct files_struct *files_get(struct files_struct *files);
/* One user fewer; the last closes every descriptor and frees the table.
 * NULL is allowed.  Never with proc_lock held (a close may sleep). */
void files_put(struct files_struct *files);
/* execve: make the current task's table its own (a copy if it is shared,
 * Linux unshare_files), so close-on-exec closes nothing of another's.
 * 0 or -ENOMEM. */
int files_unshare(void);
/* fork without CLONE_FS: a copy; NULL when out of memory. */
struct fs_struct *fs_copy(struct fs_struct *fs);
struct fs_struct *fs_get(struct fs_struct *fs);
/* One user fewer; the last frees it.  NULL is allowed. */
void fs_put(struct fs_struct *fs);
/* Open PATH for exec, read-only: the file, or NULL with *ERR set (-EACCES
 * for no execute bit or not a regular tmpfs file).  f->inode is the
 * program's inode. */
struct file *fs_open_exec(const char *path, int *err);

/* ---- added by the files helper (kernel/fs/file.c, kernel/fs/fs.c) ---- */

/* open(2) flags, Linux x86-64 values. */
#define O_ACCMODE 03
#define O_RDONLY 00
#define O_WRONLY 01
#define O_RDWR 02
#define O_CREAT 0100
#define O_EXCL 0200
#define O_NOCTTY 0400
#define O_TRUNC 01000
#define O_APPEND 02000
#define O_NONBLOCK 04000
#define O_DIRECTORY 0200000
#define O_NOFOLLOW 0400000
#define O_CLOEXEC 02000000
#define O_PATH 010000000

/* Was F opened for reading, for writing (its O_ACCMODE)? */
static inline bool file_readable(const struct file *f)
{
	return (f->flags & O_ACCMODE) != O_WRONLY;
}

static inline bool file_writable(const struct file *f)
{
	return (f->flags & O_ACCMODE) == O_WRONLY || (f->flags & O_ACCMODE) == O_RDWR;
}

/* The status flags a file keeps (fcntl F_GETFL). */
#define FS_KEPT_FLAGS (O_ACCMODE | O_APPEND | O_NONBLOCK | O_DIRECTORY)

/* Descriptor flags (fcntl F_GETFD/F_SETFD). */
#define FD_CLOEXEC 1

/* Install F in the lowest free descriptor >= MIN with descriptor flags
 * FDFLAGS (FD_CLOEXEC): the fd, -EMFILE, or -EINVAL when MIN is out of range.
 * On success the table owns the caller's reference. */
int fd_alloc(struct file *f, int min, int fdflags);
/* Close FD of the current process: 0 or -EBADF. */
int fd_close(int fd);
/* dup2: make NEWFD refer to OLDFD's file (closing NEWFD first); NEWFD or -EBADF. */
int fd_dup2(int oldfd, int newfd);
/* FD_CLOEXEC of FD, or -EBADF; fd_set_flags sets it. */
int fd_get_flags(int fd);
int fd_set_flags(int fd, int fdflags);
/* exec, after the point of no return: close every FD_CLOEXEC descriptor. */
void fd_close_on_exec(void);
/* Copy the current directory of the current task into BUF (FS_PATH_MAX
 * bytes; normalized, "/" at first); fd_set_cwd takes a resolved path. */
void fd_cwd(char *buf);
void fd_set_cwd(const char *path);
/* The current task's umask; fd_set_umask sets it and returns the old one. */
int fd_umask(void);
int fd_set_umask(int mask);
struct proc;
/* ---- for the file system calls (kernel/fs/sys_file.c, sys_tree.c) ---- */

/* Copy user path UPATH into a new PATH_MAX page (*OUT, kfree it): 0 or -errno. */
long get_path(uint64_t upath, char **out);
/* The directory a relative PATH starts from, copied into BUF (FS_PATH_MAX
 * bytes): the current one for AT_FDCWD, else open directory DIRFD (-EBADF,
 * -ENOTDIR); *BASE is BUF, or NULL for an absolute path. */
long base_dir(int dirfd, const char *path, char *buf, const char **base);
/* Resolve user path UPATH relative to DIRFD into *N (fs_node_put it),
 * following a link in the last component if FOLLOW. */
long resolve_user(int dirfd, uint64_t upath, struct fs_node *n, bool follow);

/* Give P (init, before it first runs) a descriptor table with the console on
 * descriptors 0, 1 and 2, and "/" as its directory: 0 or -ENOMEM. */
int fd_open_console_in(struct proc *p);
