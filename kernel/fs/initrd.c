/*
 * kernel/fs/initrd.c - unpacking the cpio newc archive into the tmpfs root.
 *
 * Each entry is a 110-byte ASCII header ("070701", then 13 eight-digit hex
 * fields: ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor,
 * rdevmajor, rdevminor, namesize, check), the NUL-terminated name padded to
 * 4 bytes, and the data padded to 4 bytes; "TRAILER!!!" ends the archive.
 * Every field is checked against the archive's bounds before use, so a
 * damaged archive gives a message, not a crash.  Parent directories missing
 * from the archive are made (mode 0755), so an archive of files only works.
 *
 * Once unpacked, the archive is not needed any more: its frames, which boot
 * kept back from the allocator (mm/frame.c), are given to it, as Linux's
 * free_initrd_mem does.  Only its whole frames: a partial one at either end
 * may hold something else GRUB placed there.
 */
#include "kernel/fs/initrd.h"
#include "kernel/errno.h"
#include "kernel/fs/fs.h"
#include "kernel/fs/tmpfs.h"
#include "kernel/multiboot.h"
#include "kernel/printk.h"
#include "mm/frame.h"
#include "mm/heap.h"
#include "mm/layout.h"

#define HEADER_SIZE 110
#define MAX_HARDLINKS (PAGE_SIZE / sizeof(struct hardlink))

enum { F_INO, F_MODE, F_UID, F_GID, F_NLINK, F_MTIME, F_FILESIZE, F_NAMESIZE = 11, NFIELDS = 13 };

/* The first entry seen of a file with nlink > 1 (Linux's hash of ino). */
struct hardlink {
	uint32_t ino;
	struct inode *inode;	/* no reference: its entry holds one */
};

/* One archive's unpacking. */
struct unpack {
	const uint8_t *base;
	uint64_t size;
	struct inode *root;
	struct hardlink *links;	/* a page, or NULL: hard links become copies */
	size_t nlinks;
	struct initrd_stats *st;
};

static bool parse_hex8(const char *p, uint32_t *out)
{
	uint32_t v = 0;

	for (int i = 0; i < 8; i++) {
		char c = p[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
			c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return false;
		v = v << 4 | (uint32_t)d;
	}
	*out = v;
	return true;
}

static struct inode *find_hardlink(struct unpack *u, uint32_t ino)
{
	for (size_t i = 0; i < u->nlinks; i++)
		if (u->links[i].ino == ino)
			return u->links[i].inode;
	return NULL;
}

/* Make NAME in DIR for the entry with fields F and data DATA: 0 or -errno. */
static int make_entry(struct unpack *u, struct inode *dir, const char *name, const uint32_t *f,
		      const uint8_t *data)
{
	uint32_t mode = f[F_MODE], type = mode & S_IFMT;
	struct inode *old = dir_lookup(dir, name, strlen(name)), *inode, *same;
	int r;

	if (old && S_ISDIR(old->mode) && type == S_IFDIR) {
		old->mode = mode;
		return 0;
	}
	if (old && S_ISDIR(old->mode) && old->nentries)
		return -EEXIST;
	if (old)
		dir_unlink(dir, name, strlen(name));
	if (type == S_IFREG && f[F_NLINK] > 1 && u->links && (same = find_hardlink(u, f[F_INO]))) {
		if ((r = dir_link(dir, name, strlen(name), same)) < 0)
			return r;
		u->st->hardlinks++;
		inode = iget(same);
	} else if (type == S_IFREG || type == S_IFDIR || type == S_IFLNK) {
		if ((r = tmpfs_create(dir, name, mode, &inode)) < 0)
			return r;
		if (type == S_IFREG && f[F_NLINK] > 1 && u->links && u->nlinks < MAX_HARDLINKS)
			u->links[u->nlinks++] = (struct hardlink){ f[F_INO], inode };
		*(type == S_IFREG ? &u->st->files : type == S_IFDIR ? &u->st->dirs : &u->st->symlinks) += 1;
	} else {
		return 0;	/* a device or a FIFO: not made here */
	}
	r = 0;
	if (type == S_IFLNK) {
		if (f[F_FILESIZE] == 0 || f[F_FILESIZE] >= PATH_MAX || !(inode->target = kmalloc(f[F_FILESIZE] + 1)))
			r = f[F_FILESIZE] && f[F_FILESIZE] < PATH_MAX ? -ENOMEM : -EINVAL;
		else {
			memcpy(inode->target, data, f[F_FILESIZE]);
			inode->target[f[F_FILESIZE]] = 0;
			inode->size = f[F_FILESIZE];
		}
	} else if (type == S_IFREG && f[F_FILESIZE]) {
		long n = inode_write(inode, (uint64_t)data, f[F_FILESIZE], 0, false);
		r = n < 0 ? (int)n : (uint64_t)n < f[F_FILESIZE] ? -ENOSPC : 0;
		u->st->bytes += n > 0 ? (uint64_t)n : 0;
	}
	if (type != S_IFDIR)	/* the archive's time, as Linux's do_utime (a
				 * directory's changes with every entry made in it) */
		inode->atime = inode->mtime = (uint64_t)f[F_MTIME] * 1000000000ULL;
	iput(inode);
	return r;
}

/* Split archive name NAME into its directory (made if missing) and last
 * component; "." and "" name the root itself: *LAST is then NULL. */
static int place(struct unpack *u, char *name, struct inode **dir, const char **last)
{
	while (name[0] == '.' && name[1] == '/')
		name += 2;
	while (*name == '/')
		name++;
	size_t len = strlen(name);
	while (len && name[len - 1] == '/')
		name[--len] = 0;
	char *slash = NULL;
	for (char *c = name; *c; c++)
		if (*c == '/')
			slash = c;
	*last = NULL;
	if (!len || !strcmp(name, "."))
		return 0;
	if (!slash) {
		*dir = u->root;
		*last = name;
		return 0;
	}
	*slash = 0;
	*last = slash + 1;
	if (strlen(*last) > NAME_MAX || !strcmp(*last, ".") || !strcmp(*last, ".."))
		return -EINVAL;
	return tmpfs_mkdir_p(u->root, name, dir);
}

/* Unpack the entry at OFF: the next entry's offset, 0 at the trailer, -errno. */
static long unpack_entry(struct unpack *u, uint64_t off, char *name)
{
	const char *h = (const char *)u->base + off;
	uint32_t f[NFIELDS];

	if (off + HEADER_SIZE > u->size || strncmp(h, "070701", 6))
		return -EINVAL;
	for (int i = 0; i < NFIELDS; i++)
		if (!parse_hex8(h + 6 + 8 * i, &f[i]))
			return -EINVAL;
	uint64_t name_off = off + HEADER_SIZE, namesize = f[F_NAMESIZE];
	uint64_t data_off = ALIGN_UP(name_off + namesize, 4);
	uint64_t next = ALIGN_UP(data_off + f[F_FILESIZE], 4);
	if (namesize == 0 || namesize > PATH_MAX || name_off + namesize > u->size ||
	    data_off + f[F_FILESIZE] > u->size || u->base[name_off + namesize - 1] != 0)
		return -EINVAL;
	memcpy(name, u->base + name_off, namesize);
	if (!strcmp(name, "TRAILER!!!"))
		return 0;
	struct inode *dir;
	const char *last;
	int r = place(u, name, &dir, &last);
	if (r == 0 && last)
		r = make_entry(u, dir, last, f, u->base + data_off);
	else if (r == 0 && (f[F_MODE] & S_IFMT) == S_IFDIR)
		u->root->mode = f[F_MODE];
	return r < 0 ? r : (long)next;
}

int initrd_unpack(const uint8_t *base, uint64_t size, struct inode *root, struct initrd_stats *st)
{
	struct unpack u = { .base = base, .size = size, .root = root, .st = st,
			    .links = kmalloc(PAGE_SIZE) };
	char *name = kmalloc(PATH_MAX);
	long off = 0;

	memset(st, 0, sizeof(*st));
	if (!name)
		off = -ENOMEM;
	while (off >= 0 && (off = unpack_entry(&u, (uint64_t)off, name)) > 0)
		;
	kfree(name);
	kfree(u.links);
	return (int)off;
}

static const struct boot_module *find_module(const char *name)
{
	for (int i = 0; i < boot_info.nmodules; i++)
		if (!strcmp(boot_info.modules[i].name, name))
			return &boot_info.modules[i];
	return boot_info.nmodules ? &boot_info.modules[0] : NULL;
}

void initrd_unpack_boot(struct inode *root)
{
	const struct boot_module *m = find_module("initrd");
	struct initrd_stats st;

	if (!m) {
		pr_err("initrd: no initrd module was loaded; the root is empty\n");
		return;
	}
	int r = initrd_unpack(phys_to_virt(m->start), m->end - m->start, root, &st);
	if (r < 0)
		pr_err("initrd: archive damaged or memory short (error %d); keeping what was unpacked\n", -r);
	pr_info("initrd: unpacked %lu files (%lu bytes), %lu directories, %lu symlinks, %lu hard links\n",
		st.files, st.bytes, st.dirs, st.symlinks, st.hardlinks);
	uint64_t freed = frame_release_boot_range(m->start, m->end);
	pr_info("initrd: freed the archive's %lu KiB\n", freed * PAGE_SIZE / 1024);
}
