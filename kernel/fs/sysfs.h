/*
 * kernel/fs/sysfs.h - /sys/kernel (kernel/fs/sysfs.c): the KSM controls and
 * statistics in /sys/kernel/mm/ksm, a struct fs_mount (kernel/fs/fs.h) listed in
 * pseudo_mounts[] in kernel/fs/fs.c.
 *
 * The mount's prefix is "/sys/kernel", not "/sys": /sys itself is a tmpfs
 * directory made at boot as the mount point's parent (kernel/fs/fs.c's
 * fs_init), so another part of /sys can be added later as a mount of its
 * own without touching this one (a mount at "/sys" would also work: the
 * longest prefix wins).
 */
#pragma once
#include "kernel/fs/fs.h"

extern const struct fs_mount sys_kernel_mount;
