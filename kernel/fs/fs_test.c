/*
 * kernel/fs/fs_test.c - self-tests for the name space (kernel/fs/fs.c) and
 * the initrd unpacker (kernel/fs/initrd.c): path resolution over the tmpfs
 * root and /dev, symbolic links, open's checks, directory listings, and
 * archives good and bad.  They work in a scratch directory, /ktest, made
 * from a small archive built here, and remove it at the end.
 */
#include "kernel/errno.h"
#include "kernel/fs/file.h"
#include "kernel/fs/fs.h"
#include "kernel/fs/initrd.h"
#include "kernel/fs/mount.h"
#include "kernel/fs/tmpfs.h"
#include "kernel/ktest.h"
#include "kernel/rwsem.h"
#include "mm/heap.h"
#include "mm/kvmalloc.h"
#include "mm/layout.h"

/* Append one newc entry to BUF at *POS (room is the caller's care). */
static void cpio_entry(char *buf, size_t *pos, const char *name, uint32_t ino, uint32_t mode,
		       uint32_t nlink, const char *data)
{
	size_t nsize = strlen(name) + 1, dsize = data ? strlen(data) : 0;

	*pos += (size_t)snprintf(buf + *pos, 111, "070701%08x%08x%08x%08x%08x%08x%08lx%08x%08x%08x%08x%08lx%08x",
				 ino, mode, 0, 0, nlink, 0, dsize, 0, 0, 0, 0, nsize, 0);
	memcpy(buf + *pos, name, nsize);
	*pos = ALIGN_UP(*pos + nsize, 4);
	if (dsize)
		memcpy(buf + *pos, data, dsize);
	*pos = ALIGN_UP(*pos + dsize, 4);
}

/* The scratch archive: /ktest with a file, a hard link to it, a relative
 * and an absolute link, a link loop and a directory. */
static size_t build_archive(char *buf, bool trailer)
{
	size_t pos = 0;

	cpio_entry(buf, &pos, "ktest", 1, S_IFDIR | 0755, 2, NULL);
	cpio_entry(buf, &pos, "ktest/file", 2, S_IFREG | 0755, 2, NULL);
	cpio_entry(buf, &pos, "./ktest/hard", 2, S_IFREG | 0755, 2, "hello");
	cpio_entry(buf, &pos, "ktest/rel", 3, S_IFLNK | 0777, 1, "file");
	cpio_entry(buf, &pos, "ktest/abs", 4, S_IFLNK | 0777, 1, "/ktest/sub");
	cpio_entry(buf, &pos, "ktest/loop", 5, S_IFLNK | 0777, 1, "loop");
	cpio_entry(buf, &pos, "ktest/sub/deeper", 6, S_IFREG | 0644, 1, "x");
	if (trailer)
		cpio_entry(buf, &pos, "TRAILER!!!", 0, 0, 1, NULL);
	return pos;
}

/* Unpack the first LEN bytes of the scratch archive into the root. */
static int unpack(char *buf, size_t len, struct initrd_stats *st)
{
	down_write(&fs_tree);
	int r = initrd_unpack((const uint8_t *)buf, len, mount_table[0].root, st);
	up_write(&fs_tree);
	return r;
}

static void remove_scratch(void)
{
	down_write(&fs_tree);
	struct inode *dir = dir_lookup(mount_table[0].root, "ktest", 5);
	if (dir) {
		tmpfs_clear(dir);
		dir_unlink(mount_table[0].root, "ktest", 5);
	}
	up_write(&fs_tree);
}

KTEST(initrd_unpack_archives)
{
	char *buf = kzalloc(PAGE_SIZE);
	struct initrd_stats st;
	struct fs_node n;

	if (!buf)
		return;
	size_t len = build_archive(buf, true);
	KCHECK(unpack(buf, len, &st) == 0 && st.files == 2 && st.hardlinks == 1 &&
	       st.symlinks == 3 && st.dirs == 1, "a good archive unpacks");
	KCHECK(fs_resolve(NULL, "/ktest/file", &n, NULL) == 0 && n.size == 5 && n.inode->nlink == 2,
	       "a hard link shares the data, nlink 2");
	fs_node_put(&n);
	KCHECK(fs_resolve(NULL, "/ktest/sub", &n, NULL) == 0 && S_ISDIR(n.mode),
	       "a missing parent directory is made");
	fs_node_put(&n);
	remove_scratch();
	KCHECK(unpack(buf, len - 20, &st) == -EINVAL, "a truncated archive -> EINVAL");
	KCHECK(fs_resolve(NULL, "/ktest/hard", &n, NULL) == 0, "entries before the damage stay");
	fs_node_put(&n);
	remove_scratch();
	buf[3] = 'X';
	KCHECK(unpack(buf, len, &st) == -EINVAL && st.files == 0, "a bad magic -> EINVAL");
	memcpy(buf, "070701", 6);
	memcpy(buf + 6 + 8 * 11, "ffffffff", 8);
	KCHECK(unpack(buf, len, &st) == -EINVAL, "a name size past the end -> EINVAL");
	remove_scratch();
	kfree(buf);
}

/* Resolve PATH and check that it names WANT (a path) as a directory. */
static bool is_dir_at(const char *base, const char *path, const char *want)
{
	struct fs_node n;
	bool ok = fs_resolve(base, path, &n, NULL) == 0 && S_ISDIR(n.mode) && !strcmp(n.path, want);

	fs_node_put(&n);
	return ok;
}

/* fs_resolve's result for PATH, the node dropped. */
static int resolve(const char *path, int flags)
{
	char last[NAME_MAX + 1];
	struct fs_node n;
	int r = fs_resolve_at(NULL, path, flags, &n, last, NULL);

	fs_node_put(&n);
	return r;
}

KTEST(fs_resolve_paths)
{
	char *buf = kzalloc(PAGE_SIZE), *longname = kvmalloc(PATH_MAX + 8);
	struct initrd_stats st;
	bool parent_ok;
	struct fs_node n;

	if (!buf || !longname || unpack(buf, build_archive(buf, true), &st) < 0)
		goto out;
	KCHECK(is_dir_at(NULL, "/", "/"), "\"/\" is a directory");
	KCHECK(is_dir_at(NULL, "//ktest///", "/ktest"), "repeated and trailing slashes");
	KCHECK(is_dir_at(NULL, "/ktest/..", "/"), "/ktest/.. is /");
	KCHECK(is_dir_at(NULL, "/../..", "/"), "/.. stays at /");
	KCHECK(is_dir_at(NULL, "/./ktest/../ktest/.", "/ktest"), ". and .. inside a path");
	KCHECK(is_dir_at("/ktest", "sub", "/ktest/sub"), "relative path from a base");
	KCHECK(is_dir_at("/ktest", "/dev", "/dev"), "an absolute path ignores the base");
	KCHECK(is_dir_at(NULL, "/ktest/abs", "/ktest/sub"), "an absolute link is followed");
	KCHECK(is_dir_at(NULL, "/ktest/abs/..", "/ktest"), ".. after a link is the target's parent");
	KCHECK(resolve("/ktest/rel", FS_FOLLOW) == 0, "a relative link is followed");
	KCHECK(resolve("/ktest/loop", FS_FOLLOW) == -ELOOP, "a link to itself -> ELOOP");
	KCHECK(resolve("/ktest/loop", 0) == 0, "without FS_FOLLOW the link itself");
	KCHECK(resolve("/ktest/file/", FS_FOLLOW) == -ENOTDIR, "file/ -> ENOTDIR");
	KCHECK(resolve("/ktest/file/x", FS_FOLLOW) == -ENOTDIR, "file/x -> ENOTDIR");
	KCHECK(fs_resolve(NULL, "/ktest/no", &n, &parent_ok) == -ENOENT && parent_ok,
	       "a missing last component -> ENOENT, parent exists");
	KCHECK(fs_resolve(NULL, "/no-such/x", &n, &parent_ok) == -ENOENT && !parent_ok,
	       "a missing directory on the way -> ENOENT, no parent");
	KCHECK(resolve("", FS_FOLLOW) == -ENOENT, "the empty path -> ENOENT");
	memset(longname, 'a', 256);
	longname[256] = 0;
	KCHECK(resolve(longname, FS_FOLLOW) == -ENAMETOOLONG, "a 256-byte name -> ENAMETOOLONG");
	memset(longname, '/', PATH_MAX);
	longname[PATH_MAX] = 0;
	KCHECK(resolve(longname, FS_FOLLOW) == -ENAMETOOLONG, "a 4096-byte path -> ENAMETOOLONG");
	remove_scratch();
out:
	kfree(buf);
	if (longname)
		kvfree(longname);
}

KTEST(fs_dev)
{
	struct fs_node n;

	KCHECK(is_dir_at(NULL, "/dev/", "/dev"), "/dev is a directory");
	KCHECK(fs_resolve(NULL, "/dev/null", &n, NULL) == 0 && (n.mode & S_IFMT) == S_IFCHR &&
	       n.rdev == ((1 << 8) | 3), "/dev/null is character device 1,3");
	fs_node_put(&n);
	KCHECK(resolve("/dev/nothing", FS_FOLLOW) == -ENOENT, "/dev/nothing -> ENOENT");
	KCHECK(resolve("/dev/null/", FS_FOLLOW) == -ENOTDIR, "/dev/null/ -> ENOTDIR");
}

/* fs_open's result, the file closed. */
static int try_open(const char *path, int flags)
{
	struct file *f = NULL;
	int r = fs_open(NULL, path, flags, 0644, &f);

	if (f)
		file_put(f);
	return r;
}

KTEST(fs_open_checks)
{
	char *buf = kzalloc(PAGE_SIZE);
	struct initrd_stats st;

	if (!buf || unpack(buf, build_archive(buf, true), &st) < 0)
		goto out;
	KCHECK(try_open("/ktest/file", O_RDONLY) == 0, "open O_RDONLY");
	KCHECK(try_open("/ktest/file", O_RDONLY | O_CREAT | O_EXCL) == -EEXIST,
	       "O_CREAT|O_EXCL of an existing file -> EEXIST");
	KCHECK(try_open("/ktest/new", O_WRONLY | O_CREAT) == 0, "O_CREAT of a missing file");
	KCHECK(try_open("/ktest/no/new", O_WRONLY | O_CREAT) == -ENOENT,
	       "O_CREAT in a missing directory -> ENOENT");
	KCHECK(try_open("/ktest/file", O_RDONLY | O_DIRECTORY) == -ENOTDIR,
	       "O_DIRECTORY on a file -> ENOTDIR");
	KCHECK(try_open("/ktest/rel", O_RDONLY | O_NOFOLLOW) == -ELOOP, "O_NOFOLLOW on a link -> ELOOP");
	KCHECK(try_open("/ktest", O_RDWR) == -EISDIR, "a directory O_RDWR -> EISDIR");
	KCHECK(try_open("/ktest", O_RDONLY | O_DIRECTORY) == 0, "open a directory");
	remove_scratch();
out:
	kfree(buf);
}

/* How many times directory DIR lists NAME; *FIRST_DOTS when "." and ".." come first. */
static int count_listed(const char *dir, const char *name, bool *first_dots)
{
	struct fs_node n;
	char got[NAME_MAX + 1];
	uint32_t mode;
	uint64_t ino, idx = 0;
	int count = 0, k = 0;

	*first_dots = true;
	if (fs_resolve(NULL, dir, &n, NULL) < 0)
		return -1;
	while (fs_readdir(&n, &idx, got, &mode, &ino)) {
		if ((k == 0 && strcmp(got, ".")) || (k == 1 && strcmp(got, "..")))
			*first_dots = false;
		count += !strcmp(got, name);
		k++;
	}
	fs_node_put(&n);
	return count;
}

KTEST(fs_readdir)
{
	bool dots;

	KCHECK(count_listed("/", "bin", &dots) == 1 && dots, "/ lists ., .., then bin once");
	KCHECK(count_listed("/", "dev", &dots) == 1, "/ lists dev once");
	KCHECK(count_listed("/dev", "null", &dots) == 1 && dots, "/dev lists null");
	KCHECK(count_listed("/dev", "console", &dots) == 1, "/dev lists console");
}
