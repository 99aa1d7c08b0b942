/*
 * kernel/fs/memfd.h - file seals (kernel/fs/memfd.c): fcntl's F_ADD_SEALS
 * and F_GET_SEALS, and the checks that the paths changing a file make.
 * The seal bits (F_SEAL_*) live with the inode (kernel/fs/inode.h).
 */
#pragma once
#include "kernel/fs/inode.h"

struct file;

#define F_ADD_SEALS 1033
#define F_GET_SEALS 1034

/* fcntl F_GET_SEALS (the seals of a tmpfs file, else -EINVAL) and
 * F_ADD_SEALS (-EPERM: F not open for writing, or F_SEAL_SEAL already;
 * -EINVAL: an unknown seal, not a tmpfs file; -EBUSY: F_SEAL_WRITE while a
 * shared mapping may write).  Takes fs_tree. */
long memfd_fcntl(struct file *f, int cmd, uint64_t arg);

/* The seals' word on a write of N bytes at OFF, with fs_tree held: the
 * bytes it may write (N, or with F_SEAL_GROW fewer: the whole pages below
 * the end, as Linux's page-by-page write), or -EPERM (F_SEAL_WRITE,
 * F_SEAL_FUTURE_WRITE, nothing below the end). */
long memfd_write_limit(const struct inode *inode, uint64_t off, size_t n);
/* The same on a new SIZE (F_SEAL_SHRINK, F_SEAL_GROW) and a new MODE
 * (F_SEAL_EXEC fixes the execute bits): 0 or -EPERM. */
int memfd_check_resize(const struct inode *inode, uint64_t size);
int memfd_check_chmod(const struct inode *inode, uint32_t mode);
/* mmap of tmpfs file F, SHARED or not, with PROT: -EPERM for a writable
 * shared mapping of a write-sealed file; else 0 and *MAYWRITE, whether the
 * mapping may ever write (Linux's VM_MAYWRITE for a shared mapping: F open
 * for writing and not write-sealed). */
int memfd_check_mmap(const struct file *f, bool shared, int prot, bool *maywrite);

/* A shared mapping that may write begins (-EPERM once F_SEAL_WRITE denies
 * it) and ends: the count F_SEAL_WRITE waits on (mm/region.c keeps it). */
int inode_map_writable(struct inode *inode);
void inode_unmap_writable(struct inode *inode);
