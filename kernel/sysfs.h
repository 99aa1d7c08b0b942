/*
 * kernel/sysfs.h - /sys/kernel (kernel/sysfs.c): the KSM controls and
 * statistics in /sys/kernel/mm/ksm, a struct fs_mount (kernel/fs.h) listed in
 * mounts[] in kernel/fs.c.
 *
 * The mount's prefix is "/sys/kernel", not "/sys": /sys itself belongs to
 * kernel/procfs.c's sys_mount when that is listed too (the longest prefix
 * wins), and is a directory implied by this prefix when it is not.
 */
#pragma once
#include "kernel/fs.h"

extern const struct fs_mount sys_kernel_mount;
