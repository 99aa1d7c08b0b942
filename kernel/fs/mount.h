/*
 * kernel/fs/mount.h - the mount table, for the file layer's own files
 * (kernel/fs/fs.c keeps it; tmpfs.c mounts and unmounts; procfs.c prints
 * /proc/mounts from it).
 *
 * Slot 0 is the root tmpfs at "/"; the pseudo file systems follow at boot,
 * then whatever mount(2) adds.  Slots change only with fs_tree held for
 * writing, and are read with it held for reading.
 */
#pragma once
#include "kernel/fs/fs.h"

#define NMOUNTS 16

struct mount {
	char path[FS_PATH_MAX];		/* where: "/", "/proc"; "" for a free slot */
	const char *type;		/* "tmpfs", "proc", "sysfs", "devtmpfs" */
	char source[32];		/* mount(2)'s source, /proc/mounts' first column */
	const struct fs_mount *pseudo;	/* a pseudo file system, or NULL for tmpfs */
	struct inode *root;		/* tmpfs: its root directory (a reference) */
	struct inode *covered;		/* the directory it hides (counted in its
					 * `mounted`), NULL for "/" */
	uint32_t dev;			/* st_dev of its files */
};

extern struct mount mount_table[NMOUNTS];

/* The mount owning absolute normalized PATH (the longest prefix). */
struct mount *mount_of(const char *path);
/* Build the root: a tmpfs, the initrd unpacked into it, the pseudo file
 * systems mounted on directories made for them.  Once, at boot. */
void fs_init(void);
/* Line I (0, 1, ...) of /proc/mounts into LINE (MAX bytes, with its
 * newline): true, or false past the end. */
bool fs_mount_line(size_t i, char *line, size_t max);
/* Line I of /proc/filesystems ("nodev\ttmpfs\n"), likewise. */
bool fs_filesystems_line(size_t i, char *line, size_t max);
