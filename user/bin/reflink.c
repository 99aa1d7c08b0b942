/*
 * reflink - copy a file by cloning it: `cp --reflink=always` (busybox's cp
 * has no --reflink, hence this tool).
 *
 *     reflink SRC DST     DST becomes a clone of SRC: created (with SRC's
 *                         permission bits) or truncated, then given SRC's
 *                         data with ioctl(FICLONE).  When DST is a
 *                         directory the clone is DST/basename(SRC).
 *     reflink -s A B      tell how many pages of files A and B are the very
 *                         same frame: both are mapped read-only, each page
 *                         is read, and /proc/self/pagemap names its frame
 *                         (Linux shows frame numbers to root only).
 *
 * A clone costs no data pages: the two files share SRC's page-cache frames
 * until either is written, and then only the page written is copied
 * (docs/pagecache.md, "file clones").  It takes about as long for 64 MiB as
 * for 4 KiB: no byte is copied.
 *
 * Exit status: 0 cloned (or compared); 1 an error (a message names the file and the
 * reason: no such file, the same file, another file system (EXDEV), a file
 * system without clones (EOPNOTSUPP: Linux's tmpfs, ext4) ...); 2 usage.
 * A DST this run created is removed again when the clone fails.
 * Runs on Linux too, where btrfs and XFS have clones.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef FICLONE
#define FICLONE _IOW(0x94, 9, int)	/* Linux include/uapi/linux/fs.h */
#endif

static int fail(const char *what, const char *path)
{
	fprintf(stderr, "reflink: %s '%s': %s\n", what, path, strerror(errno));
	return 1;
}

/* A hint for the errors that say clones are impossible here. */
static const char *hint(int err)
{
	if (err == EXDEV)
		return " (the two files are on different file systems)";
	if (err == EOPNOTSUPP)
		return " (this file system cannot share data between files)";
	return "";
}

/* Clone the open SRCFD (named SRC) into path DST. */
static int clone_into(int srcfd, const char *src, const struct stat *sst, const char *dst)
{
	struct stat dstst;
	bool existed = stat(dst, &dstst) == 0;

	if (existed && dstst.st_dev == sst->st_dev && dstst.st_ino == sst->st_ino) {
		fprintf(stderr, "reflink: '%s' and '%s' are the same file\n", src, dst);
		return 1;
	}
	int dstfd = open(dst, O_WRONLY | O_CREAT | O_TRUNC, sst->st_mode & 07777);
	if (dstfd < 0)
		return fail("cannot create", dst);
	if (ioctl(dstfd, FICLONE, srcfd) < 0) {
		int err = errno;
		fprintf(stderr, "reflink: cannot clone '%s' to '%s': %s%s\n", src, dst,
			strerror(err), hint(err));
		close(dstfd);
		if (!existed)
			unlink(dst);
		return 1;
	}
	if (close(dstfd) < 0)
		return fail("cannot close", dst);
	return 0;
}

/* Map file PATH read-only and read each page: its address, *PAGES set;
 * NULL with errno set when it cannot (EISDIR, ENODEV: not a regular file,
 * whose size says nothing of its pages). */
static const char *map_pages(const char *path, size_t *pages)
{
	struct stat st;
	int fd = open(path, O_RDONLY), err = 0;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0)
		err = errno;
	else if (!S_ISREG(st.st_mode))
		err = S_ISDIR(st.st_mode) ? EISDIR : ENODEV;
	if (err) {
		close(fd);
		errno = err;
		return NULL;
	}
	*pages = ((size_t)st.st_size + 4095) / 4096;
	const char *p = *pages ? mmap(NULL, *pages * 4096, PROT_READ, MAP_PRIVATE, fd, 0) : "";
	close(fd);
	if (p == MAP_FAILED)
		return NULL;
	for (size_t i = 0; i < *pages; i++)
		(void)*(volatile const char *)(p + i * 4096);
	return p;
}

/* The frame of the page at VA from /proc/self/pagemap (0: none). */
static uint64_t frame_of(int pagemap, const char *va)
{
	uint64_t e;

	if (pread(pagemap, &e, sizeof e, (off_t)((uintptr_t)va / 4096 * sizeof e)) != sizeof e)
		return 0;
	return e >> 63 ? e & ((1ULL << 55) - 1) : 0;
}

/* reflink -s A B: count the pages A and B share. */
static int compare(const char *a, const char *b)
{
	size_t na, nb, same = 0;
	const char *pa = map_pages(a, &na), *pb = pa ? map_pages(b, &nb) : NULL;
	int pagemap = open("/proc/self/pagemap", O_RDONLY);

	if (!pa || !pb || pagemap < 0)
		return fail("cannot map", !pa ? a : !pb ? b : "/proc/self/pagemap");
	size_t n = na < nb ? na : nb;
	for (size_t i = 0; i < n; i++) {
		uint64_t fa = frame_of(pagemap, pa + i * 4096);
		same += fa && fa == frame_of(pagemap, pb + i * 4096);
	}
	printf("%s and %s: %zu of %zu pages share a frame, %zu differ\n", a, b, same, n, n - same);
	return 0;
}

int main(int argc, char **argv)
{
	struct stat sst, dst;
	char path[4096];

	if (argc == 4 && !strcmp(argv[1], "-s"))
		return compare(argv[2], argv[3]);
	if (argc != 3) {
		fprintf(stderr, "usage: reflink SRC DST\n       reflink -s A B\n");
		return 2;
	}
	const char *src = argv[1], *to = argv[2];
	int srcfd = open(src, O_RDONLY);
	if (srcfd < 0)
		return fail("cannot open", src);
	if (fstat(srcfd, &sst) < 0)
		return fail("cannot stat", src);
	if (S_ISDIR(sst.st_mode)) {
		fprintf(stderr, "reflink: '%s' is a directory\n", src);
		return 1;
	}
	if (stat(to, &dst) == 0 && S_ISDIR(dst.st_mode)) {
		char base[4096];
		snprintf(base, sizeof base, "%s", src);
		snprintf(path, sizeof path, "%s/%s", to, basename(base));
		to = path;
	}
	int r = clone_into(srcfd, src, &sst, to);
	close(srcfd);
	return r;
}
