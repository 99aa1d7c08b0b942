/*
 * kernel/fs/initrd.c - parsing the cpio newc archive.
 *
 * Each entry is a 110-byte ASCII header ("070701", then 13 eight-digit hex
 * fields), the NUL-terminated name padded to 4 bytes, and the data padded to
 * 4 bytes; "TRAILER!!!" ends the archive.  Every field is checked against the
 * archive's bounds, so a damaged archive gives a message, not a crash.
 */
#include "kernel/fs/initrd.h"
#include "kernel/multiboot.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "mm/heap.h"
#include "mm/layout.h"

#define MAX_FILES (PAGE_SIZE / sizeof(struct initrd_file *))
#define HEADER_SIZE 110
#define S_IFMT 0170000
#define S_IFDIR 0040000

static struct initrd_file **files;	/* one page of pointers */
static size_t nfiles;

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

/* Turn "bin/sh", "./bin/sh" or "." into "/bin/sh" or "/" (in place, in a copy). */
static const char *normalize(const char *name, size_t len)
{
	while (len >= 2 && name[0] == '.' && name[1] == '/')
		name += 2, len -= 2;
	if (len == 1 && name[0] == '.')
		len = 0;
	char *p = kmalloc(len + 2);
	if (!p)
		return NULL;
	p[0] = '/';
	memcpy(p + 1, name, len);
	p[len + 1] = 0;
	return p;
}

/* Parse one entry at OFF; returns the next offset, 0 at the trailer, -1 on error. */
static long parse_entry(const uint8_t *base, uint64_t size, uint64_t off)
{
	const char *h = (const char *)base + off;
	uint32_t f[13];

	if (off + HEADER_SIZE > size || strncmp(h, "070701", 6))
		return -1;
	for (int i = 0; i < 13; i++)
		if (!parse_hex8(h + 6 + 8 * i, &f[i]))
			return -1;
	uint32_t mode = f[1], filesize = f[6], namesize = f[11];
	uint64_t name_off = off + HEADER_SIZE;
	uint64_t data_off = ALIGN_UP(name_off + namesize, 4);
	uint64_t next = ALIGN_UP(data_off + filesize, 4);
	if (namesize == 0 || name_off + namesize > size || data_off + filesize > size ||
	    base[name_off + namesize - 1] != 0)
		return -1;
	const char *name = (const char *)base + name_off;
	if (!strcmp(name, "TRAILER!!!"))
		return 0;
	if (nfiles == MAX_FILES)
		return -1;
	const char *path = normalize(name, namesize - 1);
	struct initrd_file *file = kmalloc(sizeof(*file));
	if (!path || !file)
		return -1;
	*file = (struct initrd_file){
		.path = path, .data = base + data_off, .size = filesize,
		.mode = mode, .ino = (uint32_t)nfiles + 1,
	};
	files[nfiles++] = file;
	return (long)next;
}

static const struct boot_module *find_module(const char *name)
{
	for (int i = 0; i < boot_info.nmodules; i++)
		if (!strcmp(boot_info.modules[i].name, name))
			return &boot_info.modules[i];
	return boot_info.nmodules ? &boot_info.modules[0] : NULL;
}

static void list_files(void)
{
	pr_info("initrd: %lu files\n", nfiles);
	for (size_t i = 0; i < nfiles; i++)
		if ((files[i]->mode & S_IFMT) != S_IFDIR)
			pr_info("initrd:   %-24s %8lu bytes\n", files[i]->path, files[i]->size);
}

bool initrd_init(void)
{
	const struct boot_module *m = find_module("initrd");

	if (!m) {
		pr_err("initrd: no initrd module was loaded; the file system is empty\n");
		return false;
	}
	files = kmalloc(PAGE_SIZE);
	if (!files)
		panic("initrd_init: no memory for the file index");
	const uint8_t *base = phys_to_virt(m->start);
	uint64_t size = m->end - m->start;
	long off = 0;
	while ((off = parse_entry(base, size, (uint64_t)off)) > 0)
		;
	if (off < 0)
		pr_err("initrd: archive damaged after %lu entries; using those\n", nfiles);
	list_files();
	return off == 0;
}

const struct initrd_file *initrd_lookup(const char *path)
{
	for (size_t i = 0; i < nfiles; i++)
		if (!strcmp(files[i]->path, path))
			return files[i];
	return NULL;
}

const struct initrd_file *initrd_entry(size_t n)
{
	return n < nfiles ? files[n] : NULL;
}

size_t initrd_count(void)
{
	return nfiles;
}
