/*
 * kernel/fs/procfs.h - the /proc pseudo file system (kernel/fs/procfs.c), a struct
 * fs_mount (kernel/fs/fs.h) listed in pseudo_mounts[] in kernel/fs/fs.c.
 *
 * /proc: meminfo, vmstat, kpagecount, kpageflags,
 * sys/vm/{cow_fork,zero_page,share_page_tables},
 * self and one directory per process with comm, maps, pagemap and status.
 */
#pragma once
#include "kernel/fs/fs.h"

extern const struct fs_mount proc_mount;

/* mmap's errno for F when it is a file of /proc, else 0.  None can be
 * mapped; Linux's answers differ by kind: /proc's own files (meminfo,
 * kpagecount) -EIO (proc_reg_mmap finds no proc_mmap), a process's files
 * and /proc/sys's -ENODEV (their file operations have no mmap at all). */
int procfs_mmap_error(const struct file *f);
