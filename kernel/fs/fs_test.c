/*
 * kernel/fs/fs_test.c - self-tests for the name space (kernel/fs/fs.c): path
 * resolution over the initrd and /dev, open's checks, directory listings.
 * They use whatever the initrd holds: /bin and its first regular file.
 */
#include "kernel/errno.h"
#include "kernel/fs/file.h"
#include "kernel/fs/fs.h"
#include "kernel/fs/initrd.h"
#include "kernel/ktest.h"

/* The first regular file under /bin in the initrd, or NULL. */
static const struct initrd_file *some_file(void)
{
	for (size_t i = 0; i < initrd_count(); i++) {
		const struct initrd_file *e = initrd_entry(i);
		if (S_ISREG(e->mode) && !strncmp(e->path, "/bin/", 5))
			return e;
	}
	return NULL;
}

static int resolve(const char *base, const char *path, struct fs_node *n)
{
	return fs_resolve(base, path, n, NULL);
}

/* Resolve PATH and check that it names WANT (a path) as a directory. */
static bool is_dir_at(const char *base, const char *path, const char *want)
{
	static struct fs_node n;

	return resolve(base, path, &n) == 0 && S_ISDIR(n.mode) && !strcmp(n.path, want);
}

KTEST(fs_resolve_dirs)
{
	KCHECK(is_dir_at(NULL, "/", "/"), "\"/\" is a directory");
	KCHECK(is_dir_at(NULL, "/bin", "/bin"), "/bin is a directory");
	KCHECK(is_dir_at(NULL, "//bin///", "/bin"), "repeated and trailing slashes");
	KCHECK(is_dir_at(NULL, "/bin/..", "/"), "/bin/.. is /");
	KCHECK(is_dir_at(NULL, "/../..", "/"), "/.. stays at /");
	KCHECK(is_dir_at(NULL, "/./bin/../bin/.", "/bin"), ". and .. inside a path");
	KCHECK(is_dir_at("/", "bin", "/bin"), "relative path from /");
	KCHECK(is_dir_at("/bin", "..", "/"), "relative .. from /bin");
	KCHECK(is_dir_at("/bin", "/dev", "/dev"), "an absolute path ignores the base");
}

KTEST(fs_resolve_errors)
{
	static struct fs_node n;
	static char path[FS_PATH_MAX + 16], longname[300];
	const struct initrd_file *e = some_file();
	bool parent_ok;

	KCHECK(e != NULL, "the initrd has a file under /bin");
	if (!e)
		return;
	KCHECK(resolve(NULL, e->path, &n) == 0 && S_ISREG(n.mode) && n.size == e->size &&
	       n.initrd == e, "%s resolves to its initrd entry", e->path);
	snprintf(path, sizeof(path), "%s/", e->path);
	KCHECK(resolve(NULL, path, &n) == -ENOTDIR, "file/ -> ENOTDIR");
	snprintf(path, sizeof(path), "%s/.", e->path);
	KCHECK(resolve(NULL, path, &n) == -ENOTDIR, "file/. -> ENOTDIR");
	snprintf(path, sizeof(path), "%s/x", e->path);
	KCHECK(resolve(NULL, path, &n) == -ENOTDIR, "file/x -> ENOTDIR");
	KCHECK(fs_resolve(NULL, "/no-such", &n, &parent_ok) == -ENOENT && parent_ok,
	       "a missing last component -> ENOENT, parent exists");
	KCHECK(fs_resolve(NULL, "/no-such/x", &n, &parent_ok) == -ENOENT && !parent_ok,
	       "a missing directory on the way -> ENOENT, no parent");
	KCHECK(resolve(NULL, "", &n) == -ENOENT, "the empty path -> ENOENT");
	memset(longname, 'a', sizeof(longname) - 1);
	KCHECK(resolve(NULL, longname, &n) == -ENAMETOOLONG, "a 299-byte name -> ENAMETOOLONG");
}

KTEST(fs_dev)
{
	static struct fs_node n;

	KCHECK(is_dir_at(NULL, "/dev/", "/dev"), "/dev is a directory");
	KCHECK(resolve(NULL, "/dev/null", &n) == 0 && (n.mode & S_IFMT) == S_IFCHR &&
	       n.rdev == ((1 << 8) | 3), "/dev/null is character device 1,3");
	KCHECK(resolve(NULL, "/dev/console", &n) == 0 && (n.mode & S_IFMT) == S_IFCHR,
	       "/dev/console is a character device");
	KCHECK(resolve(NULL, "/dev/nothing", &n) == -ENOENT, "/dev/nothing -> ENOENT");
	KCHECK(resolve(NULL, "/dev/null/", &n) == -ENOTDIR, "/dev/null/ -> ENOTDIR");
}

KTEST(fs_open_checks)
{
	const struct initrd_file *e = some_file();
	struct file *f = NULL;

	if (!e)
		return;
	KCHECK(fs_open(NULL, e->path, O_RDONLY, &f) == 0 && fs_file_initrd(f) == e,
	       "open O_RDONLY of an initrd file");
	if (f)
		file_put(f);
	KCHECK(fs_open(NULL, e->path, O_WRONLY, &f) == -EROFS, "O_WRONLY -> EROFS");
	KCHECK(fs_open(NULL, e->path, O_RDWR, &f) == -EROFS, "O_RDWR -> EROFS");
	KCHECK(fs_open(NULL, e->path, O_RDONLY | O_TRUNC, &f) == -EROFS, "O_TRUNC -> EROFS");
	KCHECK(fs_open(NULL, e->path, O_RDONLY | O_CREAT | O_EXCL, &f) == -EEXIST,
	       "O_CREAT|O_EXCL of an existing file -> EEXIST");
	KCHECK(fs_open(NULL, "/new", O_WRONLY | O_CREAT, &f) == -EROFS,
	       "O_CREAT of a missing file -> EROFS");
	KCHECK(fs_open(NULL, "/no/new", O_WRONLY | O_CREAT, &f) == -ENOENT,
	       "O_CREAT in a missing directory -> ENOENT");
	KCHECK(fs_open(NULL, e->path, O_RDONLY | O_DIRECTORY, &f) == -ENOTDIR,
	       "O_DIRECTORY on a file -> ENOTDIR");
	KCHECK(fs_open(NULL, "/bin", O_RDWR, &f) == -EISDIR, "a directory O_RDWR -> EISDIR");
	KCHECK(fs_open(NULL, "/bin", O_RDONLY | O_DIRECTORY, &f) == 0 &&
	       !strcmp(fs_dir_path(f), "/bin"), "open a directory");
	if (f)
		file_put(f);
}

/* How many times directory DIR lists NAME; *FIRST_DOTS when "." and ".." come first. */
static int count_listed(const char *dir, const char *name, bool *first_dots)
{
	static struct fs_node n;
	char got[NAME_MAX + 1];
	uint32_t mode;
	uint64_t ino, idx = 0;
	int count = 0, k = 0;

	*first_dots = true;
	if (resolve(NULL, dir, &n) < 0)
		return -1;
	while (fs_readdir(&n, &idx, got, &mode, &ino)) {
		if (k == 0 && strcmp(got, "."))
			*first_dots = false;
		if (k == 1 && strcmp(got, ".."))
			*first_dots = false;
		count += !strcmp(got, name);
		k++;
	}
	return count;
}

KTEST(fs_readdir)
{
	const struct initrd_file *e = some_file();
	bool dots;

	KCHECK(count_listed("/", "bin", &dots) == 1 && dots, "/ lists ., .., then bin once");
	KCHECK(count_listed("/", "dev", &dots) == 1, "/ lists dev once");
	KCHECK(count_listed("/dev", "null", &dots) == 1 && dots, "/dev lists null");
	KCHECK(count_listed("/dev", "console", &dots) == 1, "/dev lists console");
	if (e)
		KCHECK(count_listed("/bin", e->path + 5, &dots) == 1, "/bin lists %s",
		       e->path + 5);
}
