/*
 * test_fs - the writable file system: every call that creates, writes,
 * truncates, renames, links and removes files, with Linux's errors, and the
 * rules of the page cache underneath (holes, truncation, unlinked files that
 * stay open, ETXTBSY for a running program, ENOSPC when memory is full), and
 * extended attributes, of which there are none.
 *
 *     test_fs [DIR]        (or FS_TEST_DIR=DIR, else $TMPDIR, else /tmp)
 *
 * Everything happens in a fresh directory DIR/fs_test.PID, removed at the
 * end, so the program runs on Linux too (in a scratch directory under
 * /tmp): every check but the ones marked "this kernel" passes there.  The
 * full-memory check and mount(2) run only here: on Linux they would need
 * root and would fill the host's memory.
 *
 * Runs on Linux: yes
 */
#include "tap.h"

#include <dirent.h>
#include <limits.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/xattr.h>

#define BAD_PTR ((void *)16)		/* an address no program has mapped */
#define TMPFS_MAGIC 0x01021994

static char dir[256];

/* DIR/NAME in a static buffer (one of four, so a call may take two). */
static const char *at(const char *name)
{
	static char bufs[4][PATH_MAX + 512];
	static int next;
	char *b = bufs[next++ % 4];

	snprintf(b, sizeof bufs[0], "%s/%s", dir, name);
	return b;
}

/* Make PATH hold TEXT (created or truncated): 0 or -1. */
static int put_path(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ssize_t n = fd >= 0 ? write(fd, text, strlen(text)) : -1;

	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static int put(const char *name, const char *text)
{
	return put_path(at(name), text);
}

/* The whole of NAME into BUF (SIZE bytes, NUL-terminated): length or -1. */
static ssize_t get(const char *name, char *buf, size_t size)
{
	return read_file(at(name), buf, size);
}

static long nlink_of(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long)st.st_nlink : -1;
}

/* ---- data: round trips, holes, truncation ---- */

static void test_data(void)
{
	static char out[3 * 4096 + 500], in[sizeof out];
	struct stat st;
	int fd = open(at("data"), O_RDWR | O_CREAT | O_EXCL, 0644);

	for (size_t i = 0; i < sizeof out; i++)
		out[i] = (char)(i * 7 + i / 4096);
	tap_check(fd >= 0, "open O_CREAT|O_EXCL a new file", "%s", strerror(errno));
	tap_check_long(pwrite(fd, out, sizeof out, 4000), sizeof out, "pwrite across four pages");
	tap_check_long(pread(fd, in, sizeof in, 4000), sizeof in, "pread it back");
	tap_check(!memcmp(in, out, sizeof out), "the bytes round-trip across page boundaries", "differ");
	tap_check_long(pread(fd, in, 4000, 0), 4000, "the hole before it reads");
	tap_check(in[0] == 0 && in[3999] == 0 && !memchr(in, 1, 4000), "a hole reads as zeros", "not zero");
	tap_check(fstat(fd, &st) == 0 && st.st_size == 4000 + (off_t)sizeof out,
		  "st_size is the end of the last write", "%ld", (long)st.st_size);
	tap_check_long(ftruncate(fd, 5000), 0, "ftruncate shrinks");
	tap_check_long(ftruncate(fd, 20000), 0, "ftruncate grows");
	tap_check_long(pread(fd, in, 200, 4900), 200, "read across the old cut");
	tap_check(!memcmp(in, out + 900, 100) && !memchr(in + 100, 0x55, 100) && in[100] == 0 && in[199] == 0,
		  "the part cut off reads as zeros after growing again", "old bytes came back");
	tap_check(fstat(fd, &st) == 0 && st.st_size == 20000, "st_size follows ftruncate", "%ld",
		  (long)st.st_size);
	tap_check_long(truncate(at("data"), 10), 0, "truncate by path");
	tap_check(fstat(fd, &st) == 0 && st.st_size == 10, "... the open file sees it", "%ld",
		  (long)st.st_size);
	tap_check_long(lseek(fd, 0, SEEK_END), 10, "SEEK_END is the new size");
	CHECK_ERRNO(ftruncate(fd, -1), EINVAL, "ftruncate to -1 -> EINVAL");
	tap_check_long(fsync(fd), 0, "fsync of a file");
	tap_check_long(fdatasync(fd), 0, "fdatasync of a file");
	close(fd);
	fd = open(at("data"), O_WRONLY | O_TRUNC);
	tap_check(fd >= 0 && fstat(fd, &st) == 0 && st.st_size == 0, "O_TRUNC empties it", "size %ld",
		  (long)st.st_size);
	close(fd);
	fd = open(at("data"), O_RDONLY);
	CHECK_ERRNO(ftruncate(fd, 0), EINVAL, "ftruncate of a read-only descriptor -> EINVAL");
	CHECK_ERRNO(write(fd, "x", 1), EBADF, "write to a read-only descriptor -> EBADF");
	close(fd);
	unlink(at("data"));
}

/* A sparse file past 64 MiB: pages far apart (other leaves of the page
 * cache's table) hold their data, the holes between take no memory. */
static void test_sparse(void)
{
	static const off_t far[] = { 0, 2L << 20, 64L << 20, (70L << 20) + 4000 };
	char buf[16];
	struct stat st;
	int fd = open(at("sparse"), O_RDWR | O_CREAT | O_TRUNC, 0644), ok = 1;

	for (size_t i = 0; i < sizeof far / sizeof far[0]; i++) {
		snprintf(buf, sizeof buf, "page%zu", i);
		ok &= pwrite(fd, buf, 8, far[i]) == 8;
	}
	tap_check(ok, "pwrite at 0, 2 MiB, 64 MiB and 70 MiB", "%s", strerror(errno));
	for (size_t i = 0; i < sizeof far / sizeof far[0]; i++) {
		char want[16];
		snprintf(want, sizeof want, "page%zu", i);
		memset(buf, 0, sizeof buf);
		ok &= pread(fd, buf, 8, far[i]) == 8 && !strcmp(buf, want);
	}
	tap_check(ok, "each reads back", "'%s'", buf);
	tap_check(fstat(fd, &st) == 0 && st.st_size == (70L << 20) + 4008 && st.st_blocks < 1024,
		  "a 70 MiB file with four pages written takes a few blocks",
		  "size %ld, %ld blocks", (long)st.st_size, (long)st.st_blocks);
	tap_check_long(ftruncate(fd, 0), 0, "and truncates to nothing");
	close(fd);
	unlink(at("sparse"));
}

/* Two processes append records of 16 bytes each: none may be lost or split. */
static void test_append(void)
{
	enum { RECORDS = 300, REC = 16 };
	static char buf[2 * RECORDS * REC + 1];
	int fd = open(at("log"), O_WRONLY | O_CREAT | O_APPEND | O_TRUNC, 0644);
	pid_t pid = fork();
	char rec[REC + 1];
	int ok = 1;

	for (int i = 0; i < RECORDS; i++) {
		snprintf(rec, sizeof rec, "%c%014d\n", pid ? 'p' : 'c', i);
		if (write(fd, rec, REC) != REC)
			ok = 0;
	}
	if (pid == 0)
		_exit(ok ? 0 : 1);
	int status = tap_wait(pid);
	close(fd);
	ssize_t n = get("log", buf, sizeof buf);
	int split = 0, parent = 0;
	for (ssize_t i = 0; n > 0 && i < n; i += REC) {
		split += (buf[i] != 'p' && buf[i] != 'c') || buf[i + REC - 1] != '\n';
		parent += buf[i] == 'p';
	}
	tap_check(ok && status == 0, "both writers wrote every record", "%s", tap_status_str(status));
	tap_check(n == 2 * RECORDS * REC && !split && parent == RECORDS,
		  "O_APPEND from two processes: no record lost or split", "%zd bytes, %d split", n, split);
	unlink(at("log"));
}

static void test_unlinked_open(void)
{
	char buf[16] = "";
	int fd;

	put("gone", "still here");
	fd = open(at("gone"), O_RDWR);
	tap_check_long(unlink(at("gone")), 0, "unlink an open file");
	CHECK_ERRNO(access(at("gone"), F_OK), ENOENT, "its name is gone");
	tap_check(pread(fd, buf, sizeof buf - 1, 0) == 10 && !strcmp(buf, "still here"),
		  "an unlinked file is still readable through its descriptor", "read '%s'", buf);
	struct stat st;
	tap_check(fstat(fd, &st) == 0 && st.st_nlink == 0, "... with st_nlink 0", "%ld",
		  (long)st.st_nlink);
	tap_check_long(pwrite(fd, "!", 1, 10), 1, "... and writable");
	close(fd);
}

/* ---- open's errors ---- */

static void test_open_errors(void)
{
	static char name[300], path[PATH_MAX + 100];

	put("file", "x");
	mkdir(at("d"), 0755);
	CHECK_ERRNO(open(at("file"), O_RDONLY | O_CREAT | O_EXCL, 0644), EEXIST,
			"O_CREAT|O_EXCL of an existing file -> EEXIST");
	CHECK_ERRNO(open(at("none"), O_RDONLY), ENOENT, "a missing file -> ENOENT");
	CHECK_ERRNO(open(at("none/x"), O_RDONLY | O_CREAT, 0644), ENOENT,
			"O_CREAT in a missing directory -> ENOENT");
	CHECK_ERRNO(open(at("file/x"), O_RDONLY), ENOTDIR, "a file as a directory -> ENOTDIR");
	CHECK_ERRNO(open(at("file/"), O_RDONLY), ENOTDIR, "file/ -> ENOTDIR");
	CHECK_ERRNO(open(at("file"), O_RDONLY | O_DIRECTORY), ENOTDIR,
			"O_DIRECTORY on a file -> ENOTDIR");
	CHECK_ERRNO(open(at("d"), O_WRONLY), EISDIR, "a directory for writing -> EISDIR");
	CHECK_ERRNO(open(at("new/"), O_RDWR | O_CREAT, 0644), EISDIR,
			"O_CREAT of name/ -> EISDIR");
	memset(name, 'n', 256);
	CHECK_ERRNO(open(at(name), O_RDONLY | O_CREAT, 0644), ENAMETOOLONG,
			"a 256-byte name -> ENAMETOOLONG");
	name[255] = 0;
	int fd = open(at(name), O_RDWR | O_CREAT, 0644);
	tap_check(fd >= 0, "a 255-byte name is fine", "%s", strerror(errno));
	close(fd);
	unlink(at(name));
	memset(path, 0, sizeof path);
	for (size_t i = 0; i + 2 < sizeof path; i += 2)
		memcpy(path + i, "./", 2);
	CHECK_ERRNO(open(path, O_RDONLY), ENAMETOOLONG, "a path over 4096 bytes -> ENAMETOOLONG");
	CHECK_ERRNO(syscall(SYS_open, BAD_PTR, O_RDONLY), EFAULT, "a bad path pointer -> EFAULT");
	CHECK_ERRNO(read(-1, name, 1), EBADF, "read(-1) -> EBADF");
	CHECK_ERRNO(syscall(SYS_fstat, 999, BAD_PTR), EBADF, "fstat of a closed descriptor -> EBADF");
	fd = open(at("file"), O_RDWR);
	CHECK_ERRNO(write(fd, BAD_PTR, 10), EFAULT, "write from a bad buffer -> EFAULT");
	CHECK_ERRNO(read(fd, BAD_PTR, 10), EFAULT, "read into a bad buffer -> EFAULT");
	CHECK_ERRNO(syscall(SYS_fstat, fd, BAD_PTR), EFAULT, "fstat into a bad buffer -> EFAULT");
	close(fd);
	CHECK_ERRNO(syscall(SYS_stat, at("file"), BAD_PTR), EFAULT, "stat into a bad buffer -> EFAULT");
	CHECK_ERRNO(syscall(SYS_mkdir, BAD_PTR, 0755), EFAULT, "mkdir of a bad path pointer -> EFAULT");
	int w = open("/proc/meminfo", O_WRONLY);
	int werr = errno;
	if (w >= 0) {	/* root on Linux may open it; the write is what fails */
		tap_check(write(w, "1", 1) < 0, "writing a read-only /proc file fails", "it wrote");
		close(w);
	} else {
		tap_check(werr == EACCES || werr == EROFS, "opening a read-only /proc file for writing -> EACCES",
			  "%s", strerror(werr));
	}
}

/* ---- directories ---- */

static void test_dirs(void)
{
	long before = nlink_of(dir);

	tap_check_long(mkdir(at("sub"), 0755), 0, "mkdir");
	tap_check_long(nlink_of(dir), before + 1, "a subdirectory adds a link to its parent");
	tap_check_long(nlink_of(at("sub")), 2, "a new directory has two links");
	CHECK_ERRNO(mkdir(at("sub"), 0755), EEXIST, "mkdir of an existing name -> EEXIST");
	CHECK_ERRNO(mkdir(at("none/sub"), 0755), ENOENT, "mkdir in a missing directory -> ENOENT");
	put("plain", "x");
	CHECK_ERRNO(mkdir(at("plain/sub"), 0755), ENOTDIR, "mkdir below a file -> ENOTDIR");
	put("sub/f", "x");
	CHECK_ERRNO(rmdir(at("sub")), ENOTEMPTY, "rmdir of a non-empty directory -> ENOTEMPTY");
	CHECK_ERRNO(rmdir(at("plain")), ENOTDIR, "rmdir of a file -> ENOTDIR");
	CHECK_ERRNO(rmdir(at("sub/.")), EINVAL, "rmdir of dir/. -> EINVAL");
	CHECK_ERRNO(unlink(at("sub")), EISDIR, "unlink of a directory -> EISDIR");
	CHECK_ERRNO(unlink(at("none")), ENOENT, "unlink of a missing name -> ENOENT");
	CHECK_ERRNO(unlink(at("plain/")), ENOTDIR, "unlink of file/ -> ENOTDIR");
	tap_check_long(unlinkat(AT_FDCWD, at("sub/f"), 0), 0, "unlinkat a file");
	CHECK_ERRNO(unlinkat(AT_FDCWD, at("sub"), 0x1), EINVAL, "unlinkat with a bad flag -> EINVAL");
	tap_check_long(unlinkat(AT_FDCWD, at("sub"), AT_REMOVEDIR), 0, "unlinkat AT_REMOVEDIR");
	tap_check_long(nlink_of(dir), before, "the parent's link count comes back");
	unlink(at("plain"));
}

/* Every name listed by getdents64 in PATH, counted. */
static int count_entries(const char *path, int *dots)
{
	char buf[1024];
	int fd = open(path, O_RDONLY | O_DIRECTORY), count = 0;
	long n;

	*dots = 0;
	while (fd >= 0 && (n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
		for (long off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			*dots += !strcmp(d->d_name, ".") || !strcmp(d->d_name, "..");
			count++;
			off += d->d_reclen;
		}
	}
	close(fd);
	return count;
}

static void test_listing(void)
{
	char name[32];
	int dots, ok = 1;

	mkdir(at("many"), 0755);
	for (int i = 0; i < 60; i++) {
		snprintf(name, sizeof name, "many/file%02d", i);
		ok &= put(name, "x") == 0;
	}
	tap_check(ok, "make 60 files", "a write failed");
	tap_check_long(count_entries(at("many"), &dots), 62, "getdents64 lists 60 files and . and ..");
	tap_check_long(dots, 2, "... . and .. among them");
	for (int i = 0; i < 60; i++) {
		snprintf(name, sizeof name, "many/file%02d", i);
		unlink(at(name));
	}
	tap_check_long(count_entries(at("many"), &dots), 2, "an emptied directory lists . and .. only");
	tap_check_long(rmdir(at("many")), 0, "and can be removed");
}

/* ---- rename ---- */

static void test_rename(void)
{
	char buf[32] = "";

	put("a", "AAA");
	put("b", "BBB");
	tap_check_long(rename(at("a"), at("b")), 0, "rename over an existing file");
	tap_check(get("b", buf, sizeof buf) == 3 && !strcmp(buf, "AAA"), "the target has the moved data",
		  "'%s'", buf);
	CHECK_ERRNO(access(at("a"), F_OK), ENOENT, "the old name is gone");
	CHECK_ERRNO(rename(at("a"), at("c")), ENOENT, "rename of a missing name -> ENOENT");
	mkdir(at("d1"), 0755);
	mkdir(at("d2"), 0755);
	put("d2/f", "x");
	CHECK_ERRNO(rename(at("d1"), at("b")), ENOTDIR, "a directory over a file -> ENOTDIR");
	CHECK_ERRNO(rename(at("b"), at("d1")), EISDIR, "a file over a directory -> EISDIR");
	CHECK_ERRNO(rename(at("d1"), at("d2")), ENOTEMPTY,
			"a directory over a non-empty one -> ENOTEMPTY");
	CHECK_ERRNO(rename(at("d2"), at("d2/f/x")), ENOTDIR, "into a path through a file -> ENOTDIR");
	mkdir(at("d2/inner"), 0755);
	CHECK_ERRNO(rename(at("d2"), at("d2/inner/d2")), EINVAL,
			"a directory into itself -> EINVAL");
	tap_check_long(rename(at("d2"), at("d1")), 0, "a directory over an empty one");
	tap_check(get("d1/f", buf, sizeof buf) == 1, "its files moved with it", "d1/f missing");
	tap_check_long(rename(at("b"), at("b")), 0, "rename to the same name does nothing");
	put("c", "C");
	CHECK_ERRNO(syscall(SYS_renameat2, AT_FDCWD, at("c"), AT_FDCWD, at("b"), 1), EEXIST,
			"renameat2 RENAME_NOREPLACE onto a name -> EEXIST");
	CHECK_ERRNO(rename(at("c"), "/proc/cowos_moved"), EXDEV, "rename into /proc -> EXDEV");
	unlink(at("b"));
	unlink(at("c"));
	unlink(at("d1/f"));
	rmdir(at("d1/inner"));
	rmdir(at("d1"));
}

/* A child renames new versions over "target" while the parent opens it:
 * the name must never be missing (rename replaces it atomically). */
static void test_rename_atomic(void)
{
	int missing = 0;

	put("target", "0");
	pid_t pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 300; i++) {
			if (put("next", "1") < 0 || rename(at("next"), at("target")) < 0)
				_exit(1);
		}
		_exit(0);
	}
	for (int i = 0; i < 600; i++) {
		int fd = open(at("target"), O_RDONLY);
		if (fd < 0)
			missing++;
		close(fd);
	}
	int status = tap_wait(pid);
	tap_check(status == 0, "300 renames over a name", "%s", tap_status_str(status));
	tap_check_long(missing, 0, "the name was never missing during them");
	unlink(at("target"));
}

/* ---- links ---- */

static void test_links(void)
{
	char buf[PATH_MAX];
	struct stat st;

	put("orig", "data");
	tap_check_long(link(at("orig"), at("hard")), 0, "link");
	tap_check_long(nlink_of(at("orig")), 2, "st_nlink is 2 after link");
	tap_check(stat(at("hard"), &st) == 0 && st.st_size == 4, "the new name shows the same file", "size %ld",
		  (long)st.st_size);
	CHECK_ERRNO(link(at("orig"), at("hard")), EEXIST, "link to an existing name -> EEXIST");
	mkdir(at("dir"), 0755);
	CHECK_ERRNO(link(at("dir"), at("dir2")), EPERM, "link of a directory -> EPERM");
	CHECK_ERRNO(link(at("none"), at("x")), ENOENT, "link of a missing file -> ENOENT");
	tap_check_long(unlink(at("orig")), 0, "unlink one name");
	tap_check_long(nlink_of(at("hard")), 1, "st_nlink is 1 again");
	tap_check_long(symlink("hard", at("sym")), 0, "symlink");
	ssize_t n = readlink(at("sym"), buf, sizeof buf);
	tap_check(n == 4 && !memcmp(buf, "hard", 4), "readlink gives the target, no NUL", "%zd", n);
	tap_check_long(readlink(at("sym"), buf, 2), 2, "readlink truncates to the buffer");
	CHECK_ERRNO(readlink(at("hard"), buf, sizeof buf), EINVAL, "readlink of a file -> EINVAL");
	CHECK_ERRNO(syscall(SYS_readlink, at("sym"), BAD_PTR, 10), EFAULT, "readlink into a bad buffer -> EFAULT");
	tap_check(lstat(at("sym"), &st) == 0 && S_ISLNK(st.st_mode) && st.st_size == 4,
		  "lstat sees the link", "mode %o", st.st_mode);
	tap_check(stat(at("sym"), &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 4,
		  "stat follows it", "mode %o", st.st_mode);
	tap_check(get("sym", buf, sizeof buf) == 4 && !strcmp(buf, "data"), "open follows it", "'%s'", buf);
	CHECK_ERRNO(open(at("sym"), O_RDONLY | O_NOFOLLOW), ELOOP, "O_NOFOLLOW on a link -> ELOOP");
	CHECK_ERRNO(symlink("x", at("sym")), EEXIST, "symlink onto a name -> EEXIST");
	symlink("loop", at("loop"));
	CHECK_ERRNO(open(at("loop"), O_RDONLY), ELOOP, "a link to itself -> ELOOP");
	symlink("made", at("dangling"));
	int fd = open(at("dangling"), O_WRONLY | O_CREAT, 0644);
	tap_check(fd >= 0 && access(at("made"), F_OK) == 0, "O_CREAT through a dangling link makes its target",
		  "%s", strerror(errno));
	close(fd);
	symlink(".", at("self"));
	tap_check(stat(at("self/self/self/hard"), &st) == 0, "a link to . inside a path", "%s", strerror(errno));
	tap_check_long(unlink(at("sym")), 0, "unlink removes the link, not the file");
	tap_check_long(access(at("hard"), F_OK), 0, "the file stays");
	const char *names[] = { "hard", "loop", "dangling", "made", "self" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		unlink(at(names[i]));
	rmdir(at("dir"));
}

/* ---- attributes ---- */

/* Extended attributes: none was ever set, so each lookup finds none
 * (ENODATA; ls -l of glibc asks every file this way), with Linux's errors
 * for a bad name, a missing file and a bad descriptor. */
static void test_xattr(void)
{
	char value[64], name[300];
	int fd = open(at("x"), O_RDWR | O_CREAT, 0644);

	memset(name, 'a', sizeof name - 1);
	name[sizeof name - 1] = 0;
	memcpy(name, "user.", 5);
	CHECK_ERRNO(getxattr(at("x"), "user.cowos", value, sizeof value), ENODATA,
		  "getxattr of an attribute never set -> ENODATA");
	CHECK_ERRNO(lgetxattr(at("x"), "security.selinux", value, sizeof value), ENODATA,
		  "lgetxattr security.selinux (ls -l) -> ENODATA");
	CHECK_ERRNO(fgetxattr(fd, "system.posix_acl_access", NULL, 0), ENODATA,
		  "fgetxattr of an ACL never set -> ENODATA");
	CHECK_ERRNO(getxattr(dir, "trusted.x", value, sizeof value), ENODATA,
		  "getxattr of a directory -> ENODATA");
	CHECK_ERRNO(getxattr(at("x"), "nonamespace", value, sizeof value), EOPNOTSUPP,
		  "getxattr of a name outside the namespaces -> EOPNOTSUPP");
	CHECK_ERRNO(getxattr(at("x"), "", value, sizeof value), ERANGE,
		  "getxattr of an empty name -> ERANGE");
	CHECK_ERRNO(getxattr(at("x"), name, value, sizeof value), ERANGE,
		  "getxattr of a name over 255 bytes -> ERANGE");
	CHECK_ERRNO(getxattr(at("x"), BAD_PTR, value, sizeof value), EFAULT,
		  "getxattr of a bad name pointer -> EFAULT");
	CHECK_ERRNO(getxattr(at("none"), "user.x", value, sizeof value), ENOENT,
		  "getxattr of a missing file -> ENOENT");
	CHECK_ERRNO(fgetxattr(-1, "user.x", value, sizeof value), EBADF,
		  "fgetxattr of a bad descriptor -> EBADF");
	close(fd);
	unlink(at("x"));
}

static void test_attrs(void)
{
	struct timespec ts[2] = { { 0, UTIME_OMIT }, { 1000, 500 } };
	struct stat st, st2;

	mode_t old = umask(027);
	int fd = open(at("m"), O_RDWR | O_CREAT, 0666);
	tap_check(fstat(fd, &st) == 0 && (st.st_mode & 07777) == 0640, "umask 027 applies at creation",
		  "mode %o", st.st_mode & 07777);
	mkdir(at("md"), 0777);
	tap_check(stat(at("md"), &st) == 0 && (st.st_mode & 07777) == 0750, "... to mkdir too", "mode %o",
		  st.st_mode & 07777);
	tap_check_long(umask(old), 027, "umask returns the old mask");
	tap_check_long(fchmod(fd, 0604), 0, "fchmod");
	tap_check(stat(at("m"), &st) == 0 && (st.st_mode & 07777) == 0604 && S_ISREG(st.st_mode),
		  "fchmod keeps the type and sets the bits", "mode %o", st.st_mode);
	tap_check_long(chmod(at("m"), 04755), 0, "chmod");
	tap_check(stat(at("m"), &st) == 0 && (st.st_mode & 07777) == 04755, "chmod's bits are kept",
		  "mode %o", st.st_mode & 07777);
	tap_check_long(access(at("m"), X_OK), 0, "access X_OK of a file with x bits");
	chmod(at("m"), 0644);
	CHECK_ERRNO(access(at("m"), X_OK), EACCES, "access X_OK of a file without x bits -> EACCES");
	CHECK_ERRNO(access(at("none"), F_OK), ENOENT, "access of a missing file -> ENOENT");
	tap_check_long(faccessat(AT_FDCWD, at("m"), R_OK | W_OK, 0), 0, "faccessat R_OK|W_OK");
	tap_check_long(chown(at("m"), 0, 0) == 0 || errno == EPERM, 1, "chown to root (EPERM unprivileged)");
	tap_check_long(utimensat(AT_FDCWD, at("m"), ts, 0), 0, "utimensat sets mtime, omits atime");
	tap_check(stat(at("m"), &st) == 0 && st.st_mtim.tv_sec == 1000 && st.st_mtim.tv_nsec == 500,
		  "the mtime is the one given", "%ld.%09ld", (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	ts[1].tv_nsec = UTIME_NOW;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	tap_check_long(futimens(fd, ts), 0, "futimens UTIME_NOW");
	tap_check(fstat(fd, &st2) == 0 && st2.st_mtim.tv_sec >= now.tv_sec && st2.st_mtim.tv_sec != 1000,
		  "the mtime is now", "%ld, now %ld", (long)st2.st_mtim.tv_sec, (long)now.tv_sec);
	ts[1].tv_nsec = 1000000000;
	CHECK_ERRNO(utimensat(AT_FDCWD, at("m"), ts, 0), EINVAL, "utimensat of a bad nsec -> EINVAL");
	CHECK_ERRNO(syscall(SYS_utimensat, AT_FDCWD, at("m"), BAD_PTR, 0), EFAULT, "utimensat of a bad pointer -> EFAULT");
	close(fd);
	unlink(at("m"));
	rmdir(at("md"));
}

/* ---- ETXTBSY ---- */

/* Copy the running program (/proc/self/exe, else ARGV0 if it is a path,
 * else $BIN/test_fs) to NAME (mode 0755): 0 or -1. */
static int copy_self(const char *argv0, const char *name)
{
	static char buf[65536];
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	int in, out, ok = 1;

	if (n > 0)
		self[n] = 0;
	in = open(n > 0 ? self : strchr(argv0, '/') ? argv0 : tap_bin("test_fs"), O_RDONLY);
	out = open(at(name), O_WRONLY | O_CREAT | O_TRUNC, 0755);
	while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof buf)) > 0)
		ok &= write(out, buf, (size_t)n) == n;
	ok &= in >= 0 && out >= 0 && n == 0;
	close(in);
	close(out);
	return ok ? 0 : -1;
}

static void test_txtbsy(const char *argv0)
{
	int ready[2];
	char c;

	int copied = copy_self(argv0, "prog");

	tap_check(copied == 0, "copy this program", "%s", strerror(errno));
	if (copied < 0 || pipe(ready) < 0)
		return;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(ready[1], 3);
		execl(at("prog"), "prog", "--wait", (char *)NULL);
		_exit(127);
	}
	close(ready[1]);
	tap_check(read(ready[0], &c, 1) == 1, "the copy runs", "it did not start");
	CHECK_ERRNO(open(at("prog"), O_WRONLY), ETXTBSY, "open a running program for writing -> ETXTBSY");
	CHECK_ERRNO(truncate(at("prog"), 0), ETXTBSY, "truncate a running program -> ETXTBSY");
	int fd = open(at("prog"), O_RDONLY);
	tap_check(fd >= 0, "opening it read-only is fine", "%s", strerror(errno));
	close(fd);
	kill(pid, SIGKILL);
	tap_wait(pid);
	close(ready[0]);
	fd = open(at("prog"), O_WRONLY);
	tap_check(fd >= 0, "once it exits the file can be written", "%s", strerror(errno));
	pid = fork();
	if (pid == 0) {
		execl(at("prog"), "prog", "--wait", (char *)NULL);
		_exit(errno == ETXTBSY ? 0 : 1);
	}
	int status = tap_wait(pid);
	tap_check(status == 0, "exec of a file open for writing -> ETXTBSY", "%s", tap_status_str(status));
	close(fd);
	unlink(at("prog"));
}

/* ---- this kernel only: full memory, statfs, mount ---- */

static void test_enospc(void)
{
	static char chunk[65536];
	long free_before = meminfo_kb("MemFree"), shmem_before = meminfo_kb("Shmem");
	int fd = open(at("big"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	long total = 0, r = 0, shmem_full;

	memset(chunk, 0x5a, sizeof chunk);
	while (fd >= 0 && (r = write(fd, chunk, sizeof chunk)) > 0)
		total += r;
	int err = errno;
	shmem_full = meminfo_kb("Shmem");
	tap_check(r < 0 && err == ENOSPC, "writing until memory is full ends in ENOSPC", "r %ld, %s", r,
		  strerror(err));
	tap_check(total > 16L << 20, "after some megabytes", "%ld bytes", total);
	tap_check(shmem_full - shmem_before >= total / 1024 - 4, "Shmem counts the file's memory",
		  "Shmem grew %ld kB for %ld kB", shmem_full - shmem_before, total / 1024);
	close(fd);
	tap_check_long(unlink(at("big")), 0, "the full file can be removed");
	long free_after = meminfo_kb("MemFree");
	tap_check(free_after >= free_before - 64, "MemFree comes back within a few pages",
		  "%ld kB before, %ld after", free_before, free_after);
}

static void test_statfs(void)
{
	struct statfs sf;

	tap_check(statfs(dir, &sf) == 0 && sf.f_type == TMPFS_MAGIC && sf.f_bsize == 4096,
		  "statfs: tmpfs, 4096-byte blocks", "type %lx", (long)sf.f_type);
	tap_check(sf.f_bfree > 0 && sf.f_blocks >= sf.f_bfree, "statfs: blocks from the free memory",
		  "%ld of %ld", (long)sf.f_bfree, (long)sf.f_blocks);
	tap_check(statfs("/proc", &sf) == 0 && sf.f_type == 0x9fa0, "statfs of /proc: proc's magic",
		  "type %lx", (long)sf.f_type);
	int fd = open(dir, O_RDONLY);
	tap_check(fstatfs(fd, &sf) == 0 && sf.f_type == TMPFS_MAGIC, "fstatfs", "%s", strerror(errno));
	close(fd);
}

static void test_mount(void)
{
	static char mounts[8192];

	mkdir(at("mnt"), 0755);
	tap_check_long(mount("none", at("mnt"), "tmpfs", 0, NULL), 0, "mount a tmpfs");
	read_file("/proc/mounts", mounts, sizeof mounts);
	tap_check(strstr(mounts, at("mnt")) != NULL && strstr(mounts, "tmpfs / tmpfs") != NULL,
		  "/proc/mounts lists it and the root", "%s", mounts);
	CHECK_ERRNO(mount("none", at("mnt"), "nofs", 0, NULL), ENODEV, "an unknown type -> ENODEV");
	put("mnt/f", "x");
	put("here", "y");
	CHECK_ERRNO(rename(at("mnt/f"), at("f")), EXDEV, "rename across mounts -> EXDEV");
	CHECK_ERRNO(link(at("here"), at("mnt/h")), EXDEV, "link across mounts -> EXDEV");
	CHECK_ERRNO(rmdir(at("mnt")), EBUSY, "rmdir of a mount point -> EBUSY");
	int fd = open(at("mnt/f"), O_RDONLY);
	CHECK_ERRNO(umount2(at("mnt"), 0), EBUSY, "umount with a file open -> EBUSY");
	close(fd);
	tap_check_long(umount2(at("mnt"), 0), 0, "umount");
	CHECK_ERRNO(access(at("mnt/f"), F_OK), ENOENT, "its files are gone");
	CHECK_ERRNO(umount2(at("mnt"), 0), EINVAL, "umount of a plain directory -> EINVAL");
	CHECK_ERRNO(umount2("/", 0), EBUSY, "umount of / -> EBUSY");
	read_file("/proc/filesystems", mounts, sizeof mounts);
	tap_check(strstr(mounts, "nodev\ttmpfs\n") != NULL, "/proc/filesystems lists tmpfs", "%s", mounts);
	unlink(at("here"));
	rmdir(at("mnt"));
}

int main(int argc, char **argv)
{
	const char *base = getenv("FS_TEST_DIR");

	if (argc > 1 && !strcmp(argv[1], "--wait")) {	/* test_txtbsy's running copy */
		if (write(3, "r", 1) == 1)
			for (;;)
				sleep_ms(1000);
		return 0;
	}
	if (argc > 1)
		base = argv[1];
	if (!base)
		base = getenv("TMPDIR");
	if (!base)
		base = "/tmp";
	mkdir(base, 01777);
	snprintf(dir, sizeof dir, "%s/fs_test.%d", base, getpid());
	tap_check_long(mkdir(dir, 0755), 0, "make the scratch directory");
	test_data();
	test_sparse();
	test_append();
	test_unlinked_open();
	test_open_errors();
	test_dirs();
	test_listing();
	test_rename();
	test_rename_atomic();
	test_links();
	test_attrs();
	test_xattr();
	test_txtbsy(argv[0]);
	if (!running_on_linux()) {
		test_statfs();
		test_mount();
		test_enospc();
	}
	unlink(at("file"));
	rmdir(at("d"));
	tap_check_long(rmdir(dir), 0, "the scratch directory is empty at the end");
	return tap_done();
}
