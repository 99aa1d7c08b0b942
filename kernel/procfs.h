/*
 * kernel/procfs.h - the /proc and /sys pseudo file systems (kernel/procfs.c),
 * two struct fs_mount (kernel/fs.h) listed in mounts[] in kernel/fs.c.
 *
 * /proc: meminfo, vmstat, kpagecount, kpageflags, sys/vm/{cow_fork,zero_page},
 * self and one directory per process with comm, maps, pagemap and status.
 * /sys: an empty directory for now; files are added to sys_files[] in
 * kernel/procfs.c (the KSM knobs go to /sys/kernel/mm/ksm there).
 */
#pragma once
#include "kernel/fs.h"

extern const struct fs_mount proc_mount;
extern const struct fs_mount sys_mount;
