/*
 * kernel/fs/initrd.h - the initial RAM disk: a cpio (newc) archive that GRUB
 * loads as a module, unpacked at boot into the tmpfs root, as Linux unpacks
 * its initramfs (init/initramfs.c).
 */
#pragma once
#include "kernel/lib.h"

struct inode;

/* What an unpacking made. */
struct initrd_stats {
	uint64_t files, dirs, symlinks, hardlinks, bytes;
};

/*
 * Unpack the newc archive at BASE (SIZE bytes, a kernel buffer) into
 * directory ROOT: regular files with their data, directories, symbolic links
 * (the data is the target) and hard links (entries with the same inode
 * number and nlink > 1 name one file), permission bits kept; other types
 * (devices, FIFOs) are skipped.  An existing name is replaced, except a
 * directory, which keeps its entries and takes the archive's mode.  0 at
 * the trailer; -EINVAL for a damaged archive, -ENOSPC or -ENOMEM when
 * memory ran out: what came before stays.  fs_tree held for writing.
 */
int initrd_unpack(const uint8_t *base, uint64_t size, struct inode *root, struct initrd_stats *st);
/* Unpack the boot module "initrd" into ROOT, with one line of summary, or
 * a message (and an empty or partial root) if it is missing or damaged;
 * then give the module's frames to the allocator. */
void initrd_unpack_boot(struct inode *root);
