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
