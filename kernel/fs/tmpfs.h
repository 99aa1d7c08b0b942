/*
 * kernel/fs/tmpfs.h - the in-memory file system: regular files open on an
 * inode, and the operations that change the tree (kernel/fs/tmpfs.c).
 *
 * Every function here is called with fs_tree held (kernel/fs/inode.h) for
 * writing, unless it says otherwise.
 */
#pragma once
#include "kernel/fs/inode.h"

struct file;

/* Make NAME (NUL-terminated, 1..NAME_MAX bytes) in DIR as a new inode of
 * MODE (S_IFREG, S_IFDIR, ...; permission bits as given): its inode with a
 * reference for the caller in *OUT.  0, -EEXIST, -ENOMEM. */
int tmpfs_create(struct inode *dir, const char *name, uint32_t mode, struct inode **out);
/* Open regular file INODE, found by PATH, with open(2) FLAGS: write access
 * taken for a writer (-ETXTBSY while a program maps it), O_TRUNC done
 * (fs_tree held for writing then; else for reading, or not at all for a
 * read-only open).  A new file in *OUT, holding a reference to INODE. */
int tmpfs_open(struct inode *inode, const char *path, int flags, struct file **out);
/* Walk absolute PATH from ROOT through directories, making the missing ones
 * (mode 0755), like mkdir -p: the last in *OUT (no reference).  0, -ENOTDIR,
 * -ENOMEM, -ENAMETOOLONG. */
int tmpfs_mkdir_p(struct inode *root, const char *path, struct inode **out);
/* Remove everything below directory DIR (a tree no one else can reach:
 * an unmounted tmpfs, a self-test's scratch directory). */
void tmpfs_clear(struct inode *dir);
/* The tmpfs inode behind an open regular file, or NULL (no reference). */
struct inode *tmpfs_file_inode(struct file *f);
/* An unlinked tmpfs file (nlink 0, in no directory) of SIZE bytes, all
 * holes, open O_RDWR in *OUT under NAME, which /proc shows with
 * " (deleted)": MAP_SHARED|MAP_ANONYMOUS memory ("/dev/zero", Linux's
 * shmem_zero_setup) and memfd_create ("/memfd:NAME").  Needs no lock.
 * 0 or -ENOMEM; the file's last reference frees it and its frames. */
int shmem_file_new(const char *name, uint64_t size, struct file **out);
