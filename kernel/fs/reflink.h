/*
 * kernel/fs/reflink.h - file clones: ioctl FICLONE and FICLONERANGE
 * (kernel/fs/reflink.c; docs/pagecache.md, "file clones").
 */
#pragma once
#include "kernel/lib.h"

/* Linux's ioctl numbers (include/uapi/linux/fs.h): _IOW(0x94, 9, int) and
 * _IOW(0x94, 13, struct file_clone_range). */
#define FICLONE 0x40049409UL
#define FICLONERANGE 0x4020940dUL

struct file;
/* ioctl CMD (FICLONE or FICLONERANGE) on DST, with ARG as the ioctl gives
 * it (the source fd, or the user address of a struct file_clone_range):
 * the source's pages become DST's, shared with the source until either is
 * written.  0, or Linux's errno (man 2 ioctl_ficlone): -EBADF, -EXDEV,
 * -EISDIR, -EINVAL, -EOPNOTSUPP, -EFBIG, -EFAULT, -ENOMEM. */
long file_clone_ioctl(struct file *dst, unsigned long cmd, uint64_t arg);
