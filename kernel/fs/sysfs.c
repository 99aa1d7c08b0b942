/*
 * kernel/fs/sysfs.c - /sys/kernel/mm/ksm: the controls and statistics of
 * same-page merging (mm/ksm.h), with Linux's names, formats and errors
 * (Documentation/admin-guide/mm/ksm.rst), so a program written for Linux
 * drives this kernel's KSM unchanged.
 *
 *   run              0 stop, 1 run, 2 stop and unmerge every merged page  rw
 *   pages_to_scan    pages per round of the scanner (default 100)         rw
 *   sleep_millisecs  pause between rounds (default 20)                    rw
 *   use_zero_pages   1: all-zero pages merge with the zero page           rw
 *   pages_shared     merged frames in use                                 r
 *   pages_sharing    further pages mapping them: the pages saved          r
 *   pages_unshared   candidates in the unstable tree                      r
 *   pages_volatile   pages skipped because they keep changing             r
 *   full_scans       complete passes over all mergeable memory            r
 *
 * Every file reads as one decimal number and a newline, generated on each
 * read.  A write is parsed as the whole new value, whatever the offset (as
 * a Linux sysfs store): decimal digits with an optional trailing newline
 * (use_zero_pages also takes y/n/on/off, as kstrtobool).  Anything else, or
 * a value out of range, is -EINVAL and changes nothing.  Opening a
 * read-only file for writing is -EACCES, as on Linux (even for root).
 *
 * The mount owns /sys/kernel (kernel/fs/sysfs.h says why not /sys): a table
 * of rows, one per directory and file, named by the path below it.
 */
#include "kernel/fs/sysfs.h"
#include "kernel/errno.h"
#include "kernel/fs/file.h"
#include "kernel/uaccess.h"
#include "mm/ksm.h"

#define ROOT "/sys/kernel"
#define SYSFS_FILE_SIZE 4096	/* what Linux's stat says of an attribute */

static const struct sys_file {
	const char *path;	/* below ROOT; "" is ROOT itself */
	uint32_t mode;
	int knob;		/* a control: enum ksm_knob; -1 otherwise */
	size_t stat;		/* a statistic: its offset in struct ksm_stats */
} files[] = {
#define DIR_ROW(p) { p, S_IFDIR | 0755, -1, 0 }
#define KNOB_ROW(name, k) { "mm/ksm/" name, S_IFREG | 0644, k, 0 }
#define STAT_ROW(field) { "mm/ksm/" #field, S_IFREG | 0444, -1, offsetof(struct ksm_stats, field) }
	DIR_ROW(""),
	DIR_ROW("mm"),
	DIR_ROW("mm/ksm"),
	STAT_ROW(full_scans),
	KNOB_ROW("pages_to_scan", KSM_PAGES_TO_SCAN),
	STAT_ROW(pages_shared),
	STAT_ROW(pages_sharing),
	STAT_ROW(pages_unshared),
	STAT_ROW(pages_volatile),
	KNOB_ROW("run", KSM_RUN),
	KNOB_ROW("sleep_millisecs", KSM_SLEEP_MILLISECS),
	KNOB_ROW("use_zero_pages", KSM_USE_ZERO_PAGES),
#undef DIR_ROW
#undef KNOB_ROW
#undef STAT_ROW
};

static uint64_t row_ino(const struct sys_file *sf)
{
	char path[FS_PATH_MAX];

	snprintf(path, sizeof(path), "%s%s%s", ROOT, sf->path[0] ? "/" : "", sf->path);
	return fs_path_ino(path);
}

/* ---- reading and writing ---- */

static uint64_t value_of(const struct sys_file *sf)
{
	struct ksm_stats s;

	if (sf->knob >= 0)
		return ksm_knob_get((enum ksm_knob)sf->knob);
	ksm_get_stats(&s);
	return *(const uint64_t *)((const char *)&s + sf->stat);
}

static long ksmfs_read(struct file *f, uint64_t buf, size_t n, uint64_t *off)
{
	char text[24];
	size_t len = (size_t)snprintf(text, sizeof(text), "%lu\n", value_of(f->priv));

	if (*off >= len)
		return 0;
	size_t k = MIN(n, len - *off);
	if (copy_to_user(buf, text + *off, k))
		return -EFAULT;
	*off += k;
	return (long)k;
}

/* kstrtouint's rules: decimal digits (a leading '+' allowed), one optional
 * trailing newline, no overflow. */
static bool parse_number(const char *s, size_t n, uint64_t *v)
{
	if (n && s[n - 1] == '\n')
		n--;
	if (n && s[0] == '+')
		s++, n--;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return n > 0 && parse_u64(s, n, v);
}

/* kstrtobool's words: 1/0, y/n, Y/N, on/off. */
static bool parse_bool(const char *s, size_t n, uint64_t *v)
{
	static const char *const words[] = { "0", "n", "N", "off", "1", "y", "Y", "on" };

	if (n && s[n - 1] == '\n')
		n--;
	for (size_t i = 0; i < ARRAY_SIZE(words); i++) {
		if (strlen(words[i]) == n && !strncmp(s, words[i], n)) {
			*v = i >= ARRAY_SIZE(words) / 2;
			return true;
		}
	}
	return false;
}

#define WRITE_MAX 32

static long ksmfs_write(struct file *f, uint64_t buf, size_t n, uint64_t *off)
{
	const struct sys_file *sf = f->priv;
	char text[WRITE_MAX];
	uint64_t v;

	if (n == 0)
		return 0;
	if (n > sizeof(text))
		return -EINVAL;
	if (copy_from_user(text, buf, n))
		return -EFAULT;
	bool ok = sf->knob == KSM_USE_ZERO_PAGES ? parse_bool(text, n, &v) :
		  parse_number(text, n, &v);
	if (!ok)
		return -EINVAL;
	int err = ksm_knob_set((enum ksm_knob)sf->knob, v);
	if (err)
		return err;
	*off += n;
	return (long)n;
}

static int ksmfs_stat(struct file *f, struct stat *st)
{
	const struct sys_file *sf = f->priv;

	fs_fill_stat(st, sf->mode, row_ino(sf), SYSFS_FILE_SIZE, 0);
	return 0;
}

static const struct file_ops stat_ops = {
	.read = ksmfs_read, .stat = ksmfs_stat, .seekable = true,
};

static const struct file_ops knob_ops = {
	.read = ksmfs_read, .write = ksmfs_write, .stat = ksmfs_stat, .seekable = true,
};

/* ---- the mount ---- */

static int ksmfs_lookup(struct fs_node *n)
{
	const char *rel = n->path + strlen(ROOT);

	if (*rel == '/')
		rel++;
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		if (strcmp(files[i].path, rel))
			continue;
		n->mode = files[i].mode;
		n->ino = row_ino(&files[i]);
		n->size = S_ISDIR(files[i].mode) ? 0 : SYSFS_FILE_SIZE;
		n->id = i;
		return 0;
	}
	return -ENOENT;
}

static const char *base_name(const char *path)
{
	const char *slash = NULL;

	for (const char *s = path; *s; s++)
		if (*s == '/')
			slash = s;
	return slash ? slash + 1 : path;
}

static bool ksmfs_readdir(const struct fs_node *dir, size_t idx, char *name, size_t max,
			uint32_t *mode, uint64_t *ino)
{
	const char *d = files[dir->id].path;

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		if (!fs_is_child(d, files[i].path) || idx-- > 0)
			continue;
		strlcpy(name, base_name(files[i].path), max);
		*mode = files[i].mode;
		*ino = row_ino(&files[i]);
		return true;
	}
	return false;
}

static int ksmfs_open(const struct fs_node *n, int flags, struct file **out)
{
	const struct sys_file *sf = &files[n->id];

	if ((flags & O_ACCMODE) != O_RDONLY && sf->knob < 0)
		return -EACCES;
	*out = file_alloc(sf->knob >= 0 ? &knob_ops : &stat_ops,
			  flags & (O_ACCMODE | O_APPEND | O_NONBLOCK), (void *)sf);
	return *out ? 0 : -ENOMEM;
}

const struct fs_mount sys_kernel_mount = {
	.prefix = ROOT, .lookup = ksmfs_lookup, .readdir = ksmfs_readdir, .open = ksmfs_open,
};
