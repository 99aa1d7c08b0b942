/*
 * kernel/fs/initrd.h - the initial RAM disk: a cpio (newc) archive that GRUB
 * loads as a module.  It is the read-only root file system: the kernel keeps
 * the archive in memory and indexes its entries once at boot.
 */
#pragma once
#include "kernel/lib.h"

struct initrd_file {
	const char *path;	/* absolute, without a trailing slash: "/bin/sh" */
	const uint8_t *data;
	uint64_t size;
	uint32_t mode;		/* st_mode bits from the archive */
	uint32_t ino;
};

/* Index the archive in module NAME ("initrd"); false (and a message) if it is
 * missing or malformed, in which case the file system is empty. */
bool initrd_init(void);
const struct initrd_file *initrd_lookup(const char *path);
/* The Nth entry (for directory listings), or NULL past the end. */
const struct initrd_file *initrd_entry(size_t n);
size_t initrd_count(void);
