/*
 * test_reflink - file clones: ioctl(FICLONE) and ioctl(FICLONERANGE) give a
 * file another file's page-cache frames, shared copy-on-write until either
 * file is written (docs/pagecache.md, "file clones").
 *
 *     test_reflink [DIR]      (scratch files in DIR/reflink_test.PID, else /tmp)
 *
 * The sharing is seen through /proc/self/pagemap: a page of each file is
 * mapped and read, and the two mappings show the same frame until a write
 * (write(), or a store through a MAP_SHARED mapping) gives the written file
 * a copy of that page and of no other.  A MAP_PRIVATE page not yet written
 * shows the written file's new data.  /proc/meminfo's Cached counts frames,
 * not files' pages, so a clone adds nothing to it and each page written
 * adds one; it and MemFree are back once both files are gone.  Bad input
 * gets Linux's errno (vfs_clone_file_range, generic_remap_checks in
 * fs/remap_range.c): EXDEV across tmpfs mounts, EINVAL onto itself or for
 * unaligned ranges, EISDIR for a directory, EBADF for an fd of the wrong
 * mode.  Races: a child writes the clone (by write(), then by stores
 * through a MAP_SHARED mapping) while the parent reads the source through
 * a private mapping, 40 rounds each: the source never changes.  The
 * reflink tool (user/bin/reflink.c) is run as well.  The MAP_SHARED checks
 * need MAP_SHARED file mappings (mm/fault.c): a read through one maps the
 * frame without copying it, a store takes pagecache_get_exclusive.
 *
 * Runs on Linux: no - Linux's tmpfs has no clones (FICLONE answers EOPNOTSUPP)
 */
#include "tap.h"
#include "uapi.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>

#define PG 4096
#define NPAGES 16

static char dir[256];

/* DIR/NAME in a static buffer (one of four). */
static const char *at(const char *name)
{
	static char bufs[4][PATH_MAX];
	static int next;
	char *b = bufs[next++ % 4];

	snprintf(b, sizeof bufs[0], "%s/%s", dir, name);
	return b;
}

/* The byte page I of a test file holds: a different one per page and file. */
static char byte_of(int seed, int i)
{
	return (char)('A' + (seed * 7 + i) % 50);
}

/* Make NAME NPAGES pages long, page I all byte_of(SEED, I); an O_RDWR fd. */
static int make_file(const char *name, int seed, int npages)
{
	static char page[PG];
	int fd = open(at(name), O_RDWR | O_CREAT | O_TRUNC, 0644);

	for (int i = 0; fd >= 0 && i < npages; i++) {
		memset(page, byte_of(seed, i), PG);
		if (pwrite(fd, page, PG, (off_t)i * PG) != PG)
			return -1;
	}
	return fd;
}

/* Does page I of FD hold byte B throughout (read())? */
static bool page_is(int fd, int i, char b)
{
	static char page[PG];

	if (pread(fd, page, PG, (off_t)i * PG) != PG)
		return false;
	for (int k = 0; k < PG; k++)
		if (page[k] != b)
			return false;
	return true;
}

/* Write page I of FD full of byte B. */
static bool put_page(int fd, int i, char b)
{
	static char page[PG];

	memset(page, b, PG);
	return pwrite(fd, page, PG, (off_t)i * PG) == PG;
}

/* Map NPAGES of FD readable (and writable if SHARED), and read every page so
 * that pagemap shows its frame; MAP_FAILED on error. */
static char *map_read(int fd, int npages, bool shared)
{
	int prot = shared ? PROT_READ | PROT_WRITE : PROT_READ;
	char *p = mmap(NULL, (size_t)npages * PG, prot, shared ? MAP_SHARED : MAP_PRIVATE, fd, 0);

	for (int i = 0; p != MAP_FAILED && i < npages; i++)
		(void)*(volatile char *)(p + (size_t)i * PG);
	return p;
}

/* The frame behind page I of mapping P (0: none). */
static uint64_t frame_at(char *p, int i)
{
	(void)*(volatile char *)(p + (size_t)i * PG);
	return page_frame(0, p + (size_t)i * PG);
}

/* How many of the first N pages of mappings A and B show the same frame. */
static int shared_frames(char *a, char *b, int n)
{
	int same = 0;

	for (int i = 0; i < n; i++)
		same += frame_at(a, i) && frame_at(a, i) == frame_at(b, i);
	return same;
}

static int ficlone(int dst, int src)
{
	return ioctl(dst, FICLONE, src);
}

static int ficlonerange(int dst, int src, uint64_t off, uint64_t len, uint64_t dst_off)
{
	struct file_clone_range r = { src, off, len, dst_off };

	return ioctl(dst, FICLONERANGE, &r);
}

static long cached_kb(void)
{
	return meminfo_kb("Cached");
}

/* A clone shares every frame, costs no data page, and a write() to either
 * file copies only the page written; an untouched private mapping of the
 * written file sees the write. */
static void test_share_and_write(void)
{
	long cached0 = cached_kb();
	int src = make_file("a", 1, NPAGES), dst = open(at("b"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	long cached1 = cached_kb();
	tap_check_long(ficlone(dst, src), 0, "FICLONE");
	struct stat st;
	tap_check(fstat(dst, &st) == 0 && st.st_size == NPAGES * PG, "the clone has the source's size",
		  "%ld", (long)st.st_size);
	tap_check(cached_kb() - cached1 <= 8, "the clone adds no data page to Cached",
		  "%ld kB more", cached_kb() - cached1);
	bool same = true;
	for (int i = 0; i < NPAGES; i++)
		same = same && page_is(dst, i, byte_of(1, i));
	tap_check(same, "the clone reads the source's data", "a page differs");
	char *ms = map_read(src, NPAGES, false), *md = map_read(dst, NPAGES, false);
	tap_check(ms != MAP_FAILED && md != MAP_FAILED, "map both files privately", "%s",
		  strerror(errno));
	tap_check_long(shared_frames(ms, md, NPAGES), NPAGES, "both files show the same frames");
	tap_check_long(frame_mapcount(frame_at(md, 0)), 2,
		       "kpagecount counts the two mappings, not the two caches");

	long before = cached_kb();
	tap_check(put_page(dst, 3, 'x'), "write() a page of the clone", "%s", strerror(errno));
	tap_check(page_is(dst, 3, 'x') && page_is(src, 3, byte_of(1, 3)),
		  "the clone changed, the source did not", "read back");
	tap_check(md[3 * PG] == 'x' && md[4 * PG - 1] == 'x',
		  "the clone's untouched private mapping shows the write", "%c", md[3 * PG]);
	tap_check(ms[3 * PG] == byte_of(1, 3), "the source's mapping shows the old data", "%c",
		  ms[3 * PG]);
	tap_check_long(shared_frames(ms, md, NPAGES), NPAGES - 1, "every other page stays shared");
	tap_check(put_page(src, 5, 'y'), "write() a page of the source", "%s", strerror(errno));
	tap_check(page_is(src, 5, 'y') && page_is(dst, 5, byte_of(1, 5)) && ms[5 * PG] == 'y' &&
		  md[5 * PG] == byte_of(1, 5), "the source changed, the clone did not", "read back");
	tap_check_long(shared_frames(ms, md, NPAGES), NPAGES - 2, "two pages copied, the rest shared");
	tap_check_long(cached_kb() - before, 2 * PG / 1024, "Cached grew by the two copies");
	tap_check(put_page(dst, 3, 'z') && cached_kb() - before == 2 * PG / 1024,
		  "a second write of a copied page copies nothing", "%ld kB", cached_kb() - before);

	tap_check(ftruncate(dst, 2 * PG + 100) == 0 && page_is(src, 2, byte_of(1, 2)),
		  "truncating the clone inside a shared page leaves the source's page", "%s",
		  strerror(errno));
	munmap(ms, NPAGES * PG);
	munmap(md, NPAGES * PG);
	close(src);
	close(dst);
	unlink(at("a"));
	unlink(at("b"));
	tap_check_long(cached_kb(), cached0, "Cached is back once both files are gone");
}

/* A store through a MAP_SHARED mapping of either file breaks the sharing of
 * that page: the other file keeps its data, read() and an untouched
 * private mapping of the stored-to file see the store. */
static void test_shared_store(void)
{
	int src = make_file("a", 2, 4), dst = open(at("b"), O_RDWR | O_CREAT | O_TRUNC, 0644);

	tap_check_long(ficlone(dst, src), 0, "FICLONE");
	char *priv = map_read(dst, 4, false), *sh = map_read(dst, 4, true);
	char *ssh = map_read(src, 4, true);
	if (sh == MAP_FAILED || ssh == MAP_FAILED || priv == MAP_FAILED) {
		tap_fail("map the clone and the source MAP_SHARED", "%s (MAP_SHARED file mappings)",
			 strerror(errno));
		close(src);
		close(dst);
		unlink(at("a"));
		unlink(at("b"));
		return;
	}
	sh[PG + 10] = 'S';
	tap_check(page_is(src, 1, byte_of(2, 1)) && ssh[PG + 10] == byte_of(2, 1),
		  "a store through the clone's shared mapping leaves the source", "%c", ssh[PG + 10]);
	char buf[1];
	tap_check(pread(dst, buf, 1, PG + 10) == 1 && buf[0] == 'S' && priv[PG + 10] == 'S',
		  "read() and a private mapping of the clone see the store", "%c %c", buf[0],
		  priv[PG + 10]);
	ssh[2 * PG] = 'T';
	tap_check(page_is(dst, 2, byte_of(2, 2)) && sh[2 * PG] == byte_of(2, 2) &&
		  priv[2 * PG] == byte_of(2, 2),
		  "a store through the source's shared mapping leaves the clone", "%c", sh[2 * PG]);
	tap_check_long(shared_frames(ssh, sh, 4), 2, "the two other pages stay shared");
	/* a writable entry of the source made before a clone: the clone
	 * write-protects it, so a later store copies */
	ssh[3 * PG] = 'U';
	int c = open(at("c"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	tap_check_long(ficlone(c, src), 0, "clone the source while its page is mapped writable");
	ssh[3 * PG] = 'V';
	char cb = 0;
	tap_check(pread(c, &cb, 1, 3 * PG) == 1 && cb == 'U' && page_is(c, 0, byte_of(2, 0)),
		  "a store through the old writable mapping does not reach the new clone", "%c", cb);
	close(c);
	unlink(at("c"));
	munmap(priv, 4 * PG);
	munmap(sh, 4 * PG);
	munmap(ssh, 4 * PG);
	close(src);
	close(dst);
	unlink(at("a"));
	unlink(at("b"));
}

/* FICLONERANGE: part of a file, onto part of another or past its end. */
static void test_range(void)
{
	int src = make_file("a", 3, 8), dst = make_file("b", 4, 8);
	char *md = map_read(dst, 8, false);

	tap_check_long(ficlonerange(dst, src, 2 * PG, 3 * PG, 4 * PG), 0, "FICLONERANGE 3 pages");
	tap_check(md != MAP_FAILED && md[4 * PG] == byte_of(3, 2) && md[3 * PG] == byte_of(4, 3),
		  "the destination's private mapping shows the cloned pages", "%s",
		  md == MAP_FAILED ? strerror(errno) : "old data");
	bool ok = true;
	for (int i = 0; i < 8; i++)
		ok = ok && page_is(dst, i, i >= 4 && i < 7 ? byte_of(3, i - 2) : byte_of(4, i));
	struct stat st;
	tap_check(ok && fstat(dst, &st) == 0 && st.st_size == 8 * PG,
		  "pages 4-6 are the source's 2-4, the rest and the size unchanged", "%ld",
		  (long)st.st_size);
	tap_check_long(ficlonerange(dst, src, 0, PG, 10 * PG), 0, "FICLONERANGE past the end");
	tap_check(fstat(dst, &st) == 0 && st.st_size == 11 * PG && page_is(dst, 9, 0) &&
		  page_is(dst, 10, byte_of(3, 0)), "the file grew to it, with a hole before", "%ld",
		  (long)st.st_size);
	tap_check_long(ficlonerange(src, src, 0, 2 * PG, 6 * PG), 0,
		       "a range of a file onto another range of it");
	tap_check(page_is(src, 6, byte_of(3, 0)) && page_is(src, 7, byte_of(3, 1)),
		  "the file shows its own first pages there", "read back");
	/* a range that ends at an unaligned end of the source */
	tap_check(ftruncate(src, 3 * PG + 100) == 0, "make the source 3 pages and 100 bytes",
		  "%s", strerror(errno));
	int d2 = open(at("c"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	tap_check_long(ficlonerange(d2, src, PG, 0, 0), 0, "FICLONERANGE of length 0: to the end");
	tap_check(fstat(d2, &st) == 0 && st.st_size == 2 * PG + 100, "the clone ends where the source does",
		  "%ld", (long)st.st_size);
	CHECK_ERRNO(ficlonerange(dst, src, 0, 3 * PG + 100, 0), EINVAL,
		  "an unaligned end inside the destination -> EINVAL");
	tap_check_long(ficlonerange(dst, src, 0, 3 * PG + 100, 9 * PG), 0,
		       "... and at or past the destination's end -> 0");
	tap_check(fstat(dst, &st) == 0 && st.st_size == 12 * PG + 100, "the size ends with the source",
		  "%ld", (long)st.st_size);
	close(d2);
	munmap(md, 8 * PG);
	close(src);
	close(dst);
	unlink(at("a"));
	unlink(at("b"));
	unlink(at("c"));
}

/* Linux's errno for each kind of bad request, and nothing changes. */
static void test_bad_input(void)
{
	int src = make_file("a", 5, 2), dst = make_file("b", 6, 2);
	int ro = open(at("b"), O_RDONLY), wo = open(at("a"), O_WRONLY);
	int ap = open(at("b"), O_WRONLY | O_APPEND), d = open(dir, O_RDONLY | O_DIRECTORY);
	int pfd[2];

	CHECK_ERRNO(ficlone(src, src), EINVAL, "FICLONE onto itself -> EINVAL");
	CHECK_ERRNO(ficlonerange(src, src, 0, 2 * PG, PG), EINVAL, "overlapping ranges of one file -> EINVAL");
	CHECK_ERRNO(ficlone(dst, 999), EBADF, "a source fd not open -> EBADF");
	CHECK_ERRNO(ficlonerange(dst, -1, 0, 0, 0), EBADF, "src_fd -1 -> EBADF");
	CHECK_ERRNO(ficlone(ro, src), EBADF, "a destination open read-only -> EBADF");
	CHECK_ERRNO(ficlone(dst, wo), EBADF, "a source open write-only -> EBADF");
	CHECK_ERRNO(ficlone(ap, src), EBADF, "an O_APPEND destination -> EBADF");
	CHECK_ERRNO(ficlone(d, src), EISDIR, "a directory as the destination -> EISDIR");
	CHECK_ERRNO(ficlone(dst, d), EISDIR, "a directory as the source -> EISDIR");
	CHECK_ERRNO(ficlonerange(dst, src, 100, PG, 0), EINVAL, "an unaligned source offset -> EINVAL");
	CHECK_ERRNO(ficlonerange(dst, src, 0, PG, 100), EINVAL, "an unaligned destination offset -> EINVAL");
	CHECK_ERRNO(ficlonerange(dst, src, 0, 100, 0), EINVAL, "an unaligned length inside the source -> EINVAL");
	CHECK_ERRNO(ficlonerange(dst, src, 4 * PG, PG, 0), EINVAL, "a range past the source's end -> EINVAL");
	CHECK_ERRNO(ficlonerange(dst, src, 0, 4 * PG, 0), EINVAL, "a range longer than the source -> EINVAL");
	CHECK_ERRNO(ficlonerange(dst, src, (uint64_t)-PG, PG, 0), EINVAL, "a negative offset -> EINVAL");
	CHECK_ERRNO(ioctl(dst, FICLONERANGE, (void *)16), EFAULT, "a bad argument pointer -> EFAULT");
	tap_check(pipe(pfd) == 0, "make a pipe", "%s", strerror(errno));
	CHECK_ERRNO(ficlone(pfd[1], src), EXDEV, "a pipe as the destination -> EXDEV");
	mkdir(at("mnt"), 0755);
	tap_check_long(mount("none", at("mnt"), "tmpfs", 0, NULL), 0, "mount another tmpfs");
	int other = open(at("mnt/c"), O_RDWR | O_CREAT, 0644);
	CHECK_ERRNO(ficlone(other, src), EXDEV, "a clone across file systems -> EXDEV");
	CHECK_ERRNO(ficlone(dst, other), EXDEV, "... either way -> EXDEV");
	close(other);
	tap_check_long(umount2(at("mnt"), 0), 0, "unmount it");
	rmdir(at("mnt"));
	tap_check(page_is(dst, 0, byte_of(6, 0)) && page_is(dst, 1, byte_of(6, 1)) &&
		  page_is(src, 0, byte_of(5, 0)), "the files are unchanged", "read back");
	int e = open(at("e"), O_RDWR | O_CREAT, 0644);
	tap_check_long(ficlone(e, e), 0, "an empty file onto itself -> 0 (nothing to clone)");
	close(e);
	close(pfd[0]);
	close(pfd[1]);
	close(ro);
	close(wo);
	close(ap);
	close(d);
	close(src);
	close(dst);
	unlink(at("a"));
	unlink(at("b"));
	unlink(at("e"));
}

/* MemFree in kB once it holds still for 10 ms (up to a second): a reaped
 * child's last frames may come back a moment later. */
static long memfree_settled(void)
{
	long last = meminfo_kb("MemFree");

	for (int i = 0; i < 100; i++) {
		sleep_ms(10);
		long now = meminfo_kb("MemFree");
		if (now == last)
			break;
		last = now;
	}
	return last;
}

/* A clone of 256 pages costs only the clone's page-cache tables; writing a
 * page costs one frame; the frames come back when both files go. */
static void test_memory(void)
{
	long free0 = memfree_settled();
	int src = make_file("a", 7, 256), dst = open(at("b"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	long free1 = memfree_settled();
	tap_check_long(ficlone(dst, src), 0, "FICLONE 1 MiB");
	long free2 = memfree_settled();
	tap_check(free1 - free2 <= 2 * PG / 1024, "the clone costs at most its two table pages",
		  "%ld kB", free1 - free2);
	tap_check(put_page(dst, 100, 'q'), "write one page of the clone", "%s", strerror(errno));
	long free3 = memfree_settled();
	tap_check_long(free2 - free3, PG / 1024, "MemFree fell by one page");
	close(src);
	close(dst);
	unlink(at("a"));
	unlink(at("b"));
	long free4 = memfree_settled();
	tap_check_long(free4, free0, "MemFree is back once both files are gone");
}

/* Writers of the clone and readers of the source at once, many rounds:
 * the source never shows the clone's data.  The writer uses write(), or
 * with STORE a MAP_SHARED mapping. */
static void race_writer(bool store)
{
	int fd = open(at("b"), O_RDWR);
	char *p = store ? mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : NULL;

	if (p == MAP_FAILED)
		_exit(3);
	for (int i = 0; i < 4; i++)
		if (store)
			memset(p + (size_t)i * PG, 'w', PG);
		else if (!put_page(fd, i, 'w'))
			_exit(2);
	_exit(0);
}

static void test_race(bool store)
{
	int bad = 0, rounds = 40;

	for (int r = 0; r < rounds && !bad; r++) {
		int src = make_file("a", 8 + r, 4), dst = open(at("b"), O_RDWR | O_CREAT | O_TRUNC, 0644);
		char *ms = map_read(src, 4, false);
		if (ficlone(dst, src) || ms == MAP_FAILED) {
			bad = 1;
			break;
		}
		pid_t pid = fork();
		if (pid == 0)
			race_writer(store);
		for (int k = 0; k < 200; k++)
			for (int i = 0; i < 4; i++)
				if (ms[(size_t)i * PG + (size_t)(k * 13) % PG] != byte_of(8 + r, i))
					bad = 2;
		int status = tap_wait(pid);
		for (int i = 0; i < 4; i++)
			if (!page_is(dst, i, 'w') || !page_is(src, i, byte_of(8 + r, i)) ||
			    ms[(size_t)i * PG] != byte_of(8 + r, i))
				bad = 3;
		if (status)
			bad = 4;
		munmap(ms, 4 * PG);
		close(src);
		close(dst);
	}
	tap_check(!bad, store ? "stores through a shared mapping of the clone never change the source (40 rounds)"
			      : "write()s to the clone never change the source (40 rounds)",
		  "case %d", bad);
	unlink(at("a"));
	unlink(at("b"));
}

/* Run the reflink tool with up to three ARGS (NULL ends them); its exit
 * status (-1: not run). */
static int run_reflink(const char *a1, const char *a2, const char *a3)
{
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		dup2(null, 2);
		execl(tap_bin("reflink"), "reflink", a1, a2, a3, (char *)NULL);
		_exit(127);
	}
	int status = tap_wait(pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_tool(void)
{
	int src = make_file("a", 9, 4);
	char *ms = map_read(src, 4, false);

	tap_check_long(run_reflink(at("a"), at("b"), NULL), 0, "reflink SRC DST");
	int dst = open(at("b"), O_RDONLY);
	char *md = dst >= 0 ? map_read(dst, 4, false) : MAP_FAILED;
	tap_check(md != MAP_FAILED && shared_frames(ms, md, 4) == 4 && page_is(dst, 3, byte_of(9, 3)),
		  "DST has SRC's data in SRC's frames", "%s", strerror(errno));
	tap_check_long(run_reflink(at("a"), at("a"), NULL), 1, "reflink onto itself: exit 1");
	tap_check(page_is(src, 0, byte_of(9, 0)), "... and SRC is intact", "read back");
	tap_check_long(run_reflink(at("none"), at("c"), NULL), 1, "a missing SRC: exit 1");
	tap_check_long(run_reflink(at("a"), NULL, NULL), 2, "one argument: usage, exit 2");
	mkdir(at("d"), 0755);
	tap_check(run_reflink(at("a"), at("d"), NULL) == 0 && access(at("d/a"), F_OK) == 0,
		  "DST a directory: the clone is DST/basename(SRC)", "%s", strerror(errno));
	tap_check_long(run_reflink("-s", at("a"), at("b")), 0, "reflink -s A B");
	tap_check_long(run_reflink("-s", at("a"), at("d")), 1, "reflink -s of a directory: exit 1");
	if (md != MAP_FAILED)
		munmap(md, 4 * PG);
	munmap(ms, 4 * PG);
	close(dst);
	close(src);
	unlink(at("d/a"));
	rmdir(at("d"));
	unlink(at("a"));
	unlink(at("b"));
}

int main(int argc, char **argv)
{
	const char *base = argc > 1 ? argv[1] : "/tmp";

	mkdir(base, 01777);
	snprintf(dir, sizeof dir, "%s/reflink_test.%d", base, getpid());
	tap_check_long(mkdir(dir, 0755), 0, "make the scratch directory");
	test_share_and_write();
	test_range();
	test_bad_input();
	test_memory();
	test_race(false);
	test_tool();
	test_shared_store();
	test_race(true);
	tap_check_long(rmdir(dir), 0, "remove the scratch directory");
	return tap_done();
}
