/*
 * kernel/fs/inode.h - inodes: the files of the in-memory file system.
 *
 * An inode is a file itself, apart from any name: its type and permission
 * bits, link count, size, times and its data.  A regular file's data is its
 * page cache (struct address_space, mm/pagecache.h), a directory's is its
 * entries (name -> inode, in a red-black tree ordered by name: lookup,
 * insertion and removal cost O(log n) string compares; listing entry N
 * walks N steps from the first), a symbolic link's is its target string.
 *
 * References: an inode lives while its reference count is above zero.  Each
 * directory entry naming it holds one (so nlink entries hold nlink, or one
 * for a directory, whose nlink also counts its "." and its subdirectories'
 * ".."), and so does every open file, every mapping of it (mm/region.c) and
 * every caller between a lookup and its iput.  An unlinked file that is
 * still open or mapped therefore lives on, nameless, until the last close
 * or unmap, as on Linux.  The last iput frees the data and the inode.
 *
 * Locking: the shape of the tree (entries, nlink) and every file's size and
 * data are guarded by one sleeping lock, fs_tree (kernel/fs/fs.h): held for
 * reading by lookups and read(), for writing by anything that changes a
 * file or a directory.  It is a sleeping lock because read() and write()
 * copy to and from user memory under it, which may fault.  The page fault
 * path never takes it: it reads the size without it and takes frames from
 * the page cache under the cache's own lock.  Reference counts and the
 * write counts are atomic.
 */
#pragma once
#include "kernel/lib.h"
#include "mm/pagecache.h"
#include "mm/rbtree.h"

struct inode {
	uint64_t ino;
	uint32_t mode;			/* S_IF* type and permission bits */
	uint32_t nlink;
	uint64_t size;			/* bytes (a directory: 0, a link: the target's length) */
	uint64_t atime, mtime, ctime;	/* nanoseconds on the kernel clock (time_ns) */
	int refcount;			/* atomic; see above */
	/* Linux i_writecount: > 0 opens for writing, < 0 programs mapped by
	 * exec (deny_write_access); the two exclude each other (ETXTBSY). */
	int writecount;
	uint16_t mounted;		/* file systems mounted on this directory (EBUSY) */
	/* File seals (F_SEAL_*, fcntl F_ADD_SEALS; kernel/fs/memfd.c): every
	 * file has F_SEAL_SEAL but a memfd made with MFD_ALLOW_SEALING.
	 * Changed with fs_tree held for writing.  16 bits keep the inode in
	 * its 128-byte kmalloc class (inode.c). */
	uint16_t seals;
	/* Linux i_mmap_writable: > 0 the shared mappings that may write
	 * (region.maywrite); < 0 once F_SEAL_WRITE denies new ones.  Atomic. */
	int mmap_writable;
	uint32_t dev;			/* st_dev: which file system instance */
	uint32_t nentries;		/* directories: entries in `entries` */
	struct address_space mapping;	/* regular files: the data */
	struct rb_root entries;		/* directories: struct dir_entry by name */
	char *target;			/* symbolic links: the target, NUL-terminated */
};

/* File seals (Linux include/uapi/linux/fcntl.h). */
#define F_SEAL_SEAL 0x0001		/* no more seals may be added */
#define F_SEAL_SHRINK 0x0002		/* the size may not shrink */
#define F_SEAL_GROW 0x0004		/* the size may not grow */
#define F_SEAL_WRITE 0x0008		/* no writes, no writable shared mappings */
#define F_SEAL_FUTURE_WRITE 0x0010	/* the same, sparing shared mappings made before */
#define F_SEAL_EXEC 0x0020		/* the execute bits may not change */

/* A new inode of MODE on device DEV with one reference (the caller's),
 * nlink 0, times now, seals F_SEAL_SEAL; NULL without memory. */
struct inode *inode_new(uint32_t mode, uint32_t dev);
struct inode *iget(struct inode *inode);
/* Drop a reference; the last frees the data and the inode (a directory is
 * empty by then: rmdir removes only empty ones).  NULL is allowed. */
void iput(struct inode *inode);
/* Set the times named by WHICH (INODE_ATIME, _MTIME, _CTIME bits) to now. */
#define INODE_ATIME 1
#define INODE_MTIME 2
#define INODE_CTIME 4
void inode_touch(struct inode *inode, int which);

/* ---- directories (fs_tree held: for writing to change them) ---- */

/* DIR's entry NAME (LEN bytes), without taking a reference, or NULL. */
struct inode *dir_lookup(struct inode *dir, const char *name, size_t len);
/* Add entry NAME -> CHILD to DIR (taking a reference to CHILD, counting a
 * link, and for a directory child one more link of DIR for its ".."):
 * 0, -EEXIST, -ENOMEM. */
int dir_link(struct inode *dir, const char *name, size_t len, struct inode *child);
/* Remove entry NAME from DIR, undoing dir_link: the child's reference is
 * dropped (rmdir sets a removed directory's nlink to 0 itself; a rename
 * keeps it).  0 or -ENOENT. */
int dir_unlink(struct inode *dir, const char *name, size_t len);
/* Point DIR's existing entry NAME at CHILD instead (rename over a target,
 * which needs no memory, so it cannot fail halfway): the old inode loses
 * the link (a directory: all of them) and its reference.  0 or -ENOENT. */
int dir_replace(struct inode *dir, const char *name, size_t len, struct inode *child);
/* Entry IDX (0, 1, ... in name order) of DIR: its name and inode (no
 * reference), false past the end.  O(IDX). */
bool dir_entry_at(struct inode *dir, uint64_t idx, const char **name, struct inode **child);

/* ---- regular files (fs_tree held: for writing by inode_write, truncate) ---- */

/* Copy up to N bytes at OFF of INODE to BUF (a user address if USER, else
 * a kernel pointer); holes read as zeros.  Bytes copied (0 at or past the
 * end), or -EFAULT if nothing could be copied. */
long inode_read(struct inode *inode, uint64_t buf, size_t n, uint64_t off, bool user);
/* Free frames a write leaves alone (2 MiB): files may fill memory up to
 * here and no further, so that the kernel, the programs running and the
 * rm that frees the space still get the memory they need (Linux bounds a
 * tmpfs at half of RAM by default instead). */
#define FILE_RESERVE_FRAMES 512

/* Copy N bytes from BUF to OFF of INODE, growing it: bytes written, or
 * -ENOSPC when no frame could be had for the first page (none left above
 * FILE_RESERVE_FRAMES), -EFBIG past the largest file, -EFAULT.  A short
 * count when memory ran out midway.  A page a file clone shares is copied
 * first (pagecache_get_exclusive): only INODE sees the bytes, and its
 * mappings that showed the shared frame fault again (so the caller holds
 * no mmap_lock). */
long inode_write(struct inode *inode, uint64_t buf, size_t n, uint64_t off, bool user);
/* Set the size to SIZE: frames past it are dropped, the rest of the last
 * page is zeroed, so a later growth reads zeros, and the pages past it
 * leave every mapping (unmap_mapping_range); a page a clone shares loses
 * only INODE's hold.  The caller holds fs_tree for writing and no
 * mmap_lock.  0, -EFBIG, or -ENOMEM (copying a shared last page). */
int inode_truncate(struct inode *inode, uint64_t size);

/* ---- write access (Linux get_write_access, deny_write_access) ---- */

/* An open for writing: 0, or -ETXTBSY while a program maps the file. */
int inode_get_write(struct inode *inode);
void inode_put_write(struct inode *inode);
/* exec maps the file: 0, or -ETXTBSY while it is open for writing. */
int inode_deny_write(struct inode *inode);
void inode_allow_write(struct inode *inode);
