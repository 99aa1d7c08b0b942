/*
 * test_hostile13 - a hostile user against issue 13's new kernel code:
 * signal frames and alternate stacks, signal storms against threads in
 * slow calls, poll/select, getrandom, prlimit, syslog, readlink, the tmpfs
 * tree (long paths and names, loops, renames into oneself, mount points),
 * huge sparse offsets and truncates, a mapping whose file shrinks, a full
 * memory, timeouts so long they overflow, the tty ioctls, and /proc files
 * of processes that are exiting.
 *
 * Each case runs in a forked child (tap_case), so a case that the kernel
 * kills or hangs costs one failed check and the rest still run; the
 * parent's survival is the kernel's.  After every case the parent checks
 * that free memory is back (no frame leaked; under vm_audit=1 every exit
 * is audited as well).  Expected results are Linux's, where Linux has one.
 * Cases that need this kernel's files say so when run on Linux.
 * Runs on Linux: yes
 */
#include "scratch.h"

#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <termios.h>

#define PAGE 4096L


/* A page followed by an unmapped page: a pointer N bytes before its end
 * is a user buffer of which only N bytes are readable. */
static char *edge_page(void)
{
	char *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	munmap(p + PAGE, PAGE);
	memset(p, 0, PAGE);
	return p;
}

static const char *path_in(const char *name)
{
	static char buf[2][1024];
	static int which;
	char *b = buf[which++ & 1];

	snprintf(b, sizeof buf[0], "%s/%s", dir, name);
	return b;
}

/* ---- poll and select ---- */

static void case_poll(void *arg)
{
	char *edge = edge_page();
	struct pollfd *last = (struct pollfd *)(edge + PAGE - sizeof *last);
	(void)arg;

	CHECK_ERRNO(syscall(SYS_poll, NULL, 1u << 30, 0), EINVAL,
			"poll: nfds 2^30 is EINVAL");
	CHECK_ERRNO(syscall(SYS_poll, NULL, UINT_MAX, 0), EINVAL,
			"poll: nfds UINT_MAX is EINVAL");
	last->fd = 0, last->events = POLLIN;
	CHECK_ERRNO(syscall(SYS_poll, last, 2, 0), EFAULT,
			"poll: the second pollfd past the end of the page is EFAULT");
	tap_check_long(syscall(SYS_poll, last, 1, 0) >= 0, 1,
		       "poll: the one pollfd at the very end of the page works");
	CHECK_ERRNO(syscall(SYS_poll, (void *)0x8000000000000000ULL, 1, 0),
			EFAULT, "poll: a non-canonical array is EFAULT");
	struct pollfd bad = { .fd = 1 << 30, .events = POLLIN };
	tap_check_long(syscall(SYS_poll, &bad, 1, 0), 1, "poll: a huge fd is one ready entry");
	tap_check_long(bad.revents, POLLNVAL, "... with POLLNVAL");
	struct pollfd neg = { .fd = -5, .events = POLLIN, .revents = 7 };
	tap_check_long(syscall(SYS_poll, &neg, 1, 0), 0, "poll: a negative fd is ignored");
	tap_check_long(neg.revents, 0, "... and its revents cleared");
	struct timespec ts = { .tv_sec = 0, .tv_nsec = 2000000000L };
	CHECK_ERRNO(syscall(SYS_ppoll, &neg, 1, &ts, NULL, 8), EINVAL,
			"ppoll: tv_nsec of 2e9 is EINVAL");
	ts.tv_nsec = 0;
	CHECK_ERRNO(syscall(SYS_ppoll, &neg, 1, &ts, edge + PAGE - 4, 8),
			EFAULT, "ppoll: a sigmask crossing into unmapped memory is EFAULT");
	uint64_t mask = 0;
	CHECK_ERRNO(syscall(SYS_ppoll, &neg, 1, &ts, &mask, 4), EINVAL,
			"ppoll: sigsetsize 4 is EINVAL");
	CHECK_ERRNO(syscall(SYS_ppoll, &neg, 1, (void *)16, NULL, 8), EFAULT,
			"ppoll: a timeout at address 16 is EFAULT");
}

static void case_select(void *arg)
{
	char *edge = edge_page();
	struct timeval tv = { 0, 0 };
	fd_set *big = calloc(1, 1 << 16);
	(void)arg;

	CHECK_ERRNO(syscall(SYS_select, -1, NULL, NULL, NULL, &tv), EINVAL,
			"select: nfds -1 is EINVAL");
	tap_check_long(syscall(SYS_select, INT_MAX, NULL, NULL, NULL, &tv), 0,
		       "select: nfds INT_MAX with no sets is 0 (cut to the fd table)");
	long r = syscall(SYS_select, 4096, big, NULL, NULL, &tv);
	tap_check(r == 0 || (r < 0 && errno == EINVAL), "select: nfds 4096 of empty sets",
		  "returned %ld errno %d", r, errno);
	FD_SET(0, (fd_set *)(edge + PAGE - 8));
	tv.tv_sec = 0, tv.tv_usec = 0;
	r = syscall(SYS_select, 64, edge + PAGE - 8, NULL, NULL, &tv);
	tap_check(r >= 0, "select: 64 fds in the last 8 bytes of a page",
		  "errno %d", errno);
	/* Linux reads whole longs of the sets, up to the fd table's size (at
	 * least 64): 33 fds in the last 4 bytes cross into unmapped memory */
	CHECK_ERRNO(syscall(SYS_select, 33, edge + PAGE - 4, NULL, NULL, &tv),
			EFAULT, "select: 33 fds in the last 4 bytes of a page: EFAULT");
	CHECK_ERRNO(syscall(SYS_select, 1024, NULL, edge + PAGE - 4, NULL, &tv),
			EFAULT, "select: a write set crossing the page end is EFAULT");
	tv.tv_sec = -1;
	CHECK_ERRNO(syscall(SYS_select, 1, NULL, NULL, NULL, &tv), EINVAL,
			"select: a negative timeout is EINVAL");
	tv.tv_sec = 0, tv.tv_usec = 2000000;
	r = syscall(SYS_select, 0, NULL, NULL, NULL, &tv);
	tap_check(r == 0 || (r < 0 && errno == EINVAL), "select: tv_usec 2e6 is normalised or EINVAL",
		  "returned %ld errno %d", r, errno);
	CHECK_ERRNO(syscall(SYS_select, 1, NULL, NULL, NULL, edge + PAGE - 8),
			EFAULT, "select: a timeval crossing the page end is EFAULT");
	memset(big, 0xff, 1 << 16);
	tv.tv_sec = 0, tv.tv_usec = 0;
	CHECK_ERRNO(syscall(SYS_select, 1 << 19, big, NULL, NULL, &tv), EBADF,
			"select: every bit of 2^19 fds set is EBADF");
	CHECK_ERRNO(syscall(SYS_pselect6, 1, NULL, NULL, NULL, NULL, (void *)8),
			EFAULT, "pselect6: a sigmask descriptor at address 8 is EFAULT");
}

/* ---- getrandom, prlimit, syslog, sysinfo, uname ---- */

static void case_misc(void *arg)
{
	char *edge = edge_page();
	char small[16];
	(void)arg;

	long r = syscall(SYS_getrandom, edge + PAGE - 16, (size_t)-1, 0);
	tap_check(r == 16 || (r < 0 && errno == EFAULT),
		  "getrandom: SIZE_MAX bytes into 16 mapped ones: 16 or EFAULT",
		  "returned %ld errno %d", r, errno);
	tap_check_long(syscall(SYS_getrandom, small, 0, 0), 0, "getrandom: length 0 is 0");
	CHECK_ERRNO(syscall(SYS_getrandom, small, 16, 0x7fffffff), EINVAL,
			"getrandom: unknown flags are EINVAL");
	CHECK_ERRNO(syscall(SYS_getrandom, NULL, 16, 0), EFAULT,
			"getrandom: NULL is EFAULT");
	r = syscall(SYS_getrandom, edge, 1L << 40, 0);
	tap_check(r > 0 || (r < 0 && errno == EFAULT), "getrandom: 2^40 bytes into one page",
		  "returned %ld errno %d", r, errno);
	struct rlimit rl;
	CHECK_ERRNO(syscall(SYS_prlimit64, 0, 1000, NULL, &rl), EINVAL,
			"prlimit64: resource 1000 is EINVAL");
	CHECK_ERRNO(syscall(SYS_prlimit64, 0, -1, NULL, &rl), EINVAL,
			"prlimit64: resource -1 is EINVAL");
	CHECK_ERRNO(syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, edge + PAGE - 8),
			 EFAULT, "prlimit64: old limit crossing the page end is EFAULT");
	CHECK_ERRNO(syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, edge + PAGE - 8, NULL),
			 EFAULT, "prlimit64: new limit crossing the page end is EFAULT");
	CHECK_ERRNO(syscall(SYS_prlimit64, 999999, RLIMIT_NOFILE, NULL, &rl),
			ESRCH, "prlimit64: pid 999999 is ESRCH");
	rl.rlim_cur = 100, rl.rlim_max = 10;
	CHECK_ERRNO(syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &rl, NULL), EINVAL,
			"prlimit64: cur above max is EINVAL");
	rl.rlim_cur = 0, rl.rlim_max = 0;
	tap_check_long(syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &rl, NULL), 0,
		       "prlimit64: NOFILE 0 is allowed");
	CHECK_ERRNO(open("/", O_RDONLY), EMFILE, "... and then open is EMFILE");
	int fds[2];
	CHECK_ERRNO(pipe(fds), EMFILE, "... and pipe is EMFILE");
	CHECK_ERRNO(dup(1), EMFILE, "... and dup is EMFILE");
	CHECK_ERRNO(syscall(SYS_syslog, 3, small, -1), EINVAL,
			"syslog: length -1 is EINVAL");
	r = syscall(SYS_syslog, 3, edge + PAGE - 16, INT_MAX);
	tap_check(r >= 0 || errno == EFAULT, "syslog: INT_MAX bytes into 16 mapped ones",
		  "returned %ld errno %d", r, errno);
	CHECK_ERRNO(syscall(SYS_syslog, 3, NULL, 16), EINVAL,
			"syslog: a NULL buffer is EINVAL");
	CHECK_ERRNO(syscall(SYS_syslog, 99, small, 16), EINVAL,
			"syslog: action 99 is EINVAL");
	CHECK_ERRNO(syscall(SYS_sysinfo, edge + PAGE - 8), EFAULT,
			"sysinfo: a struct crossing the page end is EFAULT");
	CHECK_ERRNO(syscall(SYS_uname, edge + PAGE - 8), EFAULT,
			"uname: a struct crossing the page end is EFAULT");
	CHECK_ERRNO(syscall(SYS_prctl, 15 /* PR_SET_NAME */, 16), EFAULT,
			"prctl PR_SET_NAME: address 16 is EFAULT");
	memset(edge, 'x', PAGE);
	r = syscall(SYS_prctl, 15, edge + PAGE - 3);
	tap_check(r == 0 || errno == EFAULT, "prctl PR_SET_NAME: an unterminated name at the page end",
		  "returned %ld errno %d", r, errno);
}

/* ---- readlink ---- */

static void case_readlink(void *arg)
{
	char *edge = edge_page();
	char buf[8];
	(void)arg;

	CHECK_ERRNO(syscall(SYS_readlink, "/proc/self/exe", buf, 0), EINVAL,
			"readlink: buffer size 0 is EINVAL");
	CHECK_ERRNO(syscall(SYS_readlink, "/proc/self/exe", buf, -1), EINVAL,
			"readlink: buffer size -1 is EINVAL");
	long r = syscall(SYS_readlink, "/proc/self/exe", edge + PAGE - 4, INT_MAX);
	tap_check(r == 4 || (r < 0 && errno == EFAULT),
		  "readlink /proc/self/exe: INT_MAX into 4 mapped bytes: EFAULT",
		  "returned %ld errno %d", r, errno);
	tap_check_long(readlink("/proc/self/exe", buf, 3), 3,
		       "readlink: a 3-byte buffer gets 3 bytes (truncated)");
	symlink("target-of-link", path_in("l"));
	tap_check_long(readlink(path_in("l"), buf, 4), 4, "readlink of a tmpfs link into 4 bytes");
	r = syscall(SYS_readlink, path_in("l"), edge + PAGE - 4, 1 << 30);
	tap_check(r == 4 || (r < 0 && errno == EFAULT), "readlink of a tmpfs link: 2^30 into 4 bytes",
		  "returned %ld errno %d", r, errno);
	CHECK_ERRNO(readlink(dir, buf, sizeof buf), EINVAL,
			"readlink of a directory is EINVAL");
	CHECK_ERRNO(readlink("/proc/self/fd/999", buf, sizeof buf), ENOENT,
			"readlink /proc/self/fd/999 is ENOENT");
}

/* ---- paths, names, links, renames, mount points ---- */

static void case_names(void *arg)
{
	char *long_path = malloc(8192), name[300];
	(void)arg;

	memset(name, 'n', sizeof name);
	name[255] = 0;
	int fd = open(path_in(name), O_CREAT | O_RDWR, 0644);
	tap_check(fd >= 0, "a name of 255 bytes can be created", "errno %d", errno);
	close(fd);
	tap_check_long(unlink(path_in(name)), 0, "... and removed");
	name[255] = 'n', name[256] = 0;
	CHECK_ERRNO(open(path_in(name), O_CREAT | O_RDWR, 0644), ENAMETOOLONG,
			"a name of 256 bytes is ENAMETOOLONG");
	CHECK_ERRNO(mkdir(path_in(name), 0755), ENAMETOOLONG,
			"mkdir of a 256-byte name is ENAMETOOLONG");
	CHECK_ERRNO(symlink("x", path_in(name)), ENAMETOOLONG,
			"symlink to a 256-byte name is ENAMETOOLONG");
	for (int len = 4095; len <= 4097; len++) {
		char what[80];
		memset(long_path, '/', len);
		long_path[len] = 0;
		memcpy(long_path + len - 4, "/tmp", 4);
		errno = 0;
		long r = access(long_path, F_OK);
		snprintf(what, sizeof what, "a path of %d bytes (slashes and /tmp)", len);
		if (len == 4095)
			tap_check_long(r, 0, what);
		else
			tap_check_errno(r, errno, ENAMETOOLONG, what);
	}
	memset(long_path, 'x', 8191);
	long_path[8191] = 0;
	CHECK_ERRNO(open(long_path, O_RDONLY), ENAMETOOLONG,
			"an 8191-byte path is ENAMETOOLONG");
	CHECK_ERRNO(symlink(long_path, path_in("s")), ENAMETOOLONG,
			"a symlink target of 8191 bytes is ENAMETOOLONG");
	long_path[4095] = 0;
	long r = symlink(long_path, path_in("s4095"));
	tap_check_long(r, 0, "a symlink target of 4095 bytes is fine");
	char *back = malloc(8192);
	tap_check_long(readlink(path_in("s4095"), back, 8192), 4095, "... and reads back whole");
	CHECK_ERRNO(open("", O_RDONLY), ENOENT, "open of \"\" is ENOENT");
	CHECK_ERRNO(mkdir("", 0755), ENOENT, "mkdir of \"\" is ENOENT");
	CHECK_ERRNO(open((char *)0x10, O_RDONLY), EFAULT, "open of address 16 is EFAULT");
	char *edge = edge_page();
	memset(edge, 'a', PAGE);
	CHECK_ERRNO(open(edge + PAGE - 100, O_RDONLY), EFAULT,
			"a path running into unmapped memory without its NUL is EFAULT");
}

static void case_loops(void *arg)
{
	(void)arg;

	symlink("self", path_in("self"));
	CHECK_ERRNO(open(path_in("self"), O_RDONLY), ELOOP, "a link to itself is ELOOP");
	CHECK_ERRNO(open(path_in("self/x"), O_RDONLY), ELOOP, "... as a directory too");
	CHECK_ERRNO(mkdir(path_in("self/x"), 0755), ELOOP, "... for mkdir");
	symlink("b", path_in("a"));
	symlink("a", path_in("b"));
	CHECK_ERRNO(stat(path_in("a"), &(struct stat){0}), ELOOP, "a 2-cycle is ELOOP");
	CHECK_ERRNO(open(path_in("a"), O_CREAT | O_RDWR, 0644), ELOOP,
			"O_CREAT through a 2-cycle is ELOOP");
	struct stat st;
	tap_check_long(lstat(path_in("a"), &st), 0, "lstat of a looping link is fine");
	for (int i = 0; i < 60; i++) {
		char name[16], target[16];
		snprintf(name, sizeof name, "c%d", i);
		snprintf(target, sizeof target, i == 59 ? "." : "c%d", i + 1);
		symlink(target, path_in(name));
	}
	CHECK_ERRNO(open(path_in("c0"), O_RDONLY), ELOOP, "a chain of 60 links is ELOOP");
	tap_check_long(open(path_in("c30"), O_RDONLY) >= 0, 1, "a chain of 30 links resolves");
	symlink("../../../../../../../../../../..", path_in("up"));
	tap_check_long(stat(path_in("up/up"), &st) == 0 || errno == ENOENT, 1,
		       "a link climbing past / stays at /");
	CHECK_ERRNO(chdir(path_in("self")), ELOOP, "chdir into a loop is ELOOP");
	CHECK_ERRNO(truncate(path_in("a"), 0), ELOOP, "truncate through a loop is ELOOP");
}

static void case_rename(void *arg)
{
	(void)arg;

	mkdir(path_in("d"), 0755);
	mkdir(path_in("d/e"), 0755);
	mkdir(path_in("d/e/f"), 0755);
	CHECK_ERRNO(rename(path_in("d"), path_in("d/e/f/g")), EINVAL,
			"rename of a directory into its own subdirectory is EINVAL");
	CHECK_ERRNO(rename(path_in("d"), path_in("d/x")), EINVAL,
			"rename of a directory into itself is EINVAL");
	CHECK_ERRNO(rename(path_in("d/e"), path_in("d")), ENOTEMPTY,
			"rename of a directory over its non-empty parent is ENOTEMPTY");
	tap_check_long(rename(path_in("d"), path_in("d")), 0, "rename of a directory onto itself is 0");
	CHECK_ERRNO(rename(path_in("d/."), path_in("q")), EBUSY,
			"rename of \"d/.\" is EBUSY");
	CHECK_ERRNO(rename(path_in("d/e/.."), path_in("q")), EBUSY,
			"rename of \"..\" is EBUSY");
	CHECK_ERRNO(rename("/", path_in("root")), EBUSY, "rename of / is EBUSY");
	CHECK_ERRNO(rename(path_in("d"), "/"), EBUSY, "rename onto / is EBUSY");
	CHECK_ERRNO(rename("/proc", path_in("p")), EBUSY, "rename of /proc is EBUSY");
	CHECK_ERRNO(rename(path_in("d"), "/proc"), EBUSY, "rename onto /proc is EBUSY");
	int fd = open(path_in("file"), O_CREAT | O_RDWR, 0644);
	close(fd);
	CHECK_ERRNO(rename(path_in("d"), path_in("file")), ENOTDIR,
			"rename of a directory over a file is ENOTDIR");
	CHECK_ERRNO(rename(path_in("file"), path_in("d")), EISDIR,
			"rename of a file over a directory is EISDIR");
	tap_check_long(chdir(path_in("d/e/f")), 0, "chdir into d/e/f");
	CHECK_ERRNO(mkdir(".", 0755), EEXIST, "mkdir \".\" is EEXIST");
	CHECK_ERRNO(rmdir("."), EINVAL, "rmdir \".\" is EINVAL");
	CHECK_ERRNO(rmdir(".."), ENOTEMPTY, "rmdir \"..\" is ENOTEMPTY");
	tap_check_long(rmdir(path_in("d/e/f")), 0, "rmdir of the cwd works");
	CHECK_ERRNO(open("x", O_CREAT | O_RDWR, 0644), ENOENT,
			"creating a file in a removed cwd is ENOENT");
	chdir("/");
	CHECK_ERRNO(rmdir("/"), EBUSY, "rmdir / is EBUSY");
	CHECK_ERRNO(rmdir("/proc"), EBUSY, "rmdir /proc is EBUSY");
	CHECK_ERRNO(rmdir("/dev"), EBUSY, "rmdir /dev is EBUSY");
	CHECK_ERRNO(unlink("/proc"), EISDIR, "unlink /proc is EISDIR");
	CHECK_ERRNO(unlink("/"), EISDIR, "unlink / is EISDIR");
	CHECK_ERRNO(link(dir, path_in("dirlink")), EPERM, "link of a directory is EPERM");
	CHECK_ERRNO(link("/proc/self/status", path_in("pl")), EXDEV,
			"link of a /proc file into tmpfs is EXDEV");
	CHECK_ERRNO(rename("/proc/self/status", path_in("pr")), EXDEV,
			"rename of a /proc file into tmpfs is EXDEV");
}

/* ---- a mount holding a very deep tree ---- */

/* Nest directories "a" under DIRFD until the path is too long (this
 * kernel's limit) or 1500 deep (Linux has none): the depth. */
static int nest(int dirfd)
{
	int depth = 0;

	while (depth < 1500) {
		if (mkdirat(dirfd, "a", 0755) != 0)
			break;
		int next = openat(dirfd, "a", O_RDONLY | O_DIRECTORY);
		if (next < 0)
			break;
		close(dirfd);
		dirfd = next;
		depth++;
	}
	close(dirfd);
	return depth;
}

/* Remove what nest made below PATH, deepest first, by descriptors (the
 * paths are too long to name): 0 when all is gone. */
static int unnest(const char *path)
{
	for (;;) {
		int parent = open(path, O_RDONLY | O_DIRECTORY), d;
		if (parent < 0)
			return -1;
		if (faccessat(parent, "a", F_OK, 0) != 0) {
			close(parent);
			return 0;
		}
		while ((d = openat(parent, "a", O_RDONLY | O_DIRECTORY)) >= 0 &&
		       faccessat(d, "a", F_OK, 0) == 0) {
			close(parent);
			parent = d;
		}
		if (d >= 0)
			close(d);
		int r = unlinkat(parent, "a", AT_REMOVEDIR);
		close(parent);
		if (r != 0)
			return -1;
	}
}

static void case_deep_mount(void *arg)
{
	const char *m = path_in("m");
	(void)arg;

	mkdir(m, 0755);
	if (mount("none", m, "tmpfs", 0, NULL) != 0) {
		tap_skip("a deep tree in a tmpfs mount", "mount needs root here");
		return;
	}
	int depth = nest(open(m, O_RDONLY | O_DIRECTORY));
	tap_check(depth >= 200, "200 or more nested directories in a mounted tmpfs",
		  "only %d", depth);
	/* Linux unmounts it; here a tree deeper than 64 counts as busy */
	long r = umount2(m, 0);
	tap_check(r == 0 || errno == EBUSY, "umount of the mount holding the deep tree: 0 or EBUSY",
		  "errno %d", errno);
	if (r != 0)
		tap_check_long(umount2(m, MNT_DETACH), 0, "... and MNT_DETACH unmounts it");
	depth = nest(open(m, O_RDONLY | O_DIRECTORY));
	r = mount("none", m, "tmpfs", 0, NULL);
	tap_check_long(r, 0, "a tmpfs mounted over a deep tree");
	r = umount2(m, MNT_DETACH);
	tap_check_long(r, 0, "... and detached");
	tap_check_long(unnest(m), 0, "the deep tree below the mount point is removed");
	tap_diag("depth %d\n", depth);
}

/* ---- huge offsets, truncates, mappings of shrinking files ---- */

static void case_huge(void *arg)
{
	(void)arg;
	int fd = open(path_in("sparse"), O_CREAT | O_RDWR, 0644);
	long free0 = meminfo_kb("MemFree");
	long r = pwrite(fd, "x", 1, 1LL << 62);
	tap_check(r == 1 || (r < 0 && (errno == EFBIG || errno == EINVAL)),
		  "pwrite of 1 byte at 2^62: 1 or EFBIG", "returned %ld errno %d", r, errno);
	char c = 0;
	if (r == 1) {
		tap_check_long(pread(fd, &c, 1, 1LL << 62), 1, "... and reads back");
		tap_check_long(pread(fd, &c, 1, 1LL << 40), 1, "... a hole in the middle reads");
		tap_check_long(c, 0, "... as zero");
	}
	tap_check(meminfo_kb("MemFree") > free0 - 1024, "... and costs no big memory",
		  "MemFree %ld -> %ld kB", free0, meminfo_kb("MemFree"));
	r = pwrite(fd, "x", 1, LLONG_MAX);
	tap_check(r < 0 && (errno == EFBIG || errno == EINVAL), "pwrite at LLONG_MAX is EFBIG",
		  "returned %ld errno %d", r, errno);
	CHECK_ERRNO(pwrite(fd, "x", 1, -1), EINVAL, "pwrite at -1 is EINVAL");
	CHECK_ERRNO(pread(fd, &c, 1, -1), EINVAL, "pread at -1 is EINVAL");
	r = lseek(fd, LLONG_MAX, SEEK_SET);
	tap_check(r == LLONG_MAX || (r < 0 && errno == EINVAL), "lseek to LLONG_MAX: there or EINVAL",
		  "returned %ld errno %d", r, errno);
	if (r == LLONG_MAX) {
		r = write(fd, "x", 1);
		tap_check(r < 0 && errno == EFBIG, "write there is EFBIG", "returned %ld errno %d", r, errno);
		CHECK_ERRNO(lseek(fd, 1, SEEK_CUR), EINVAL, "lseek past LLONG_MAX is EINVAL");
	}
	CHECK_ERRNO(ftruncate(fd, -1), EINVAL, "ftruncate to -1 is EINVAL");
	r = ftruncate(fd, LLONG_MAX);
	tap_check(r == 0 || errno == EFBIG, "ftruncate to LLONG_MAX: 0 or EFBIG", "errno %d", errno);
	r = ftruncate(fd, 1LL << 62);
	tap_check(r == 0 || errno == EFBIG, "ftruncate to 2^62: 0 or EFBIG", "errno %d", errno);
	void *m = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, (1LL << 62) - PAGE);
	tap_check(m != MAP_FAILED || errno == EOVERFLOW,
		  "mmap of the page just below 2^62: mapped, or EOVERFLOW past the largest file",
		  "errno %d", errno);
	if (m != MAP_FAILED && r == 0)
		tap_check_long(*(volatile char *)m, 0, "... reads zero");
	m = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, LLONG_MAX & ~(PAGE - 1));
	tap_check(m == MAP_FAILED && (errno == EOVERFLOW || errno == EINVAL),
		  "mmap at the last page below LLONG_MAX is EOVERFLOW/EINVAL", "errno %d", errno);
	tap_check_long(ftruncate(fd, 0), 0, "ftruncate back to 0");
	tap_check(meminfo_kb("MemFree") > free0 - 1024, "... and the memory is back",
		  "MemFree %ld -> %ld kB", free0, meminfo_kb("MemFree"));
	int rd = open(path_in("sparse"), O_RDONLY);
	CHECK_ERRNO(ftruncate(rd, 0), EINVAL, "ftruncate of a read-only fd is EINVAL");
	CHECK_ERRNO(ftruncate(0x7fffffff, 0), EBADF, "ftruncate of a huge fd is EBADF");
	CHECK_ERRNO(truncate(dir, 0), EISDIR, "truncate of a directory is EISDIR");
}

/* A private mapping of a 4-page file that then shrinks to PAGE + 10 bytes.
 * MODE 0 touches page 3 first after the truncate, 1 before and after it,
 * 2 writes page 2 (a private copy) before it; each access past the end
 * is SIGBUS on Linux, whose truncate unmaps even the private copies.
 * MODE 3 checks the partial last page: its tail reads as zero. */
static void touch_after_truncate(void *arg)
{
	long mode = (long)arg;
	int fd = open(path_in("shrink"), O_CREAT | O_RDWR | O_TRUNC, 0644);
	char page[PAGE];

	memset(page, 'a', PAGE);
	for (int i = 0; i < 4; i++)
		write(fd, page, PAGE);
	volatile char *p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		_exit(3);
	if (mode == 1 && p[3 * PAGE] != 'a')
		_exit(5);
	if (mode == 2)
		p[2 * PAGE] = 'c';
	if (mode == 3 && p[PAGE] != 'a')
		_exit(5);
	if (ftruncate(fd, PAGE + 10) != 0)
		_exit(6);
	if (mode == 3)
		_exit(p[PAGE + 5] == 'a' && p[PAGE + 100] == 0 ? 0 : 8);
	_exit(p[(mode == 2 ? 2 : 3) * PAGE] + 10);
}

/* A file page mapped, the file emptied and regrown: the mapping shows the
 * new (zero) contents, not the frame the truncate dropped. */
static void regrow(void *arg)
{
	int fd = open(path_in("regrow"), O_CREAT | O_RDWR | O_TRUNC, 0644);
	(void)arg;

	pwrite(fd, "z", 1, PAGE);
	volatile char *m = mmap(NULL, 2 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED || m[PAGE] != 'z')
		_exit(2);
	pwrite(fd, "y", 1, PAGE);
	if (m[PAGE] != 'y')
		_exit(3);
	ftruncate(fd, 0);
	ftruncate(fd, 2 * PAGE);
	_exit(m[PAGE] == 0 ? 0 : 1);
}

/* A file of one page mapped two pages long, then grown by a write: the
 * second page shows the new byte. */
static void grow_after_mmap(void *arg)
{
	int fd = open(path_in("grow"), O_CREAT | O_RDWR | O_TRUNC, 0644);
	char page[PAGE] = { 'a' };
	(void)arg;

	write(fd, page, PAGE);
	volatile char *m = mmap(NULL, 2 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	pwrite(fd, "z", 1, PAGE);
	_exit(m != MAP_FAILED && m[PAGE] == 'z' ? 0 : 1);
}

static void case_shrink(void *arg)
{
	(void)arg;
	tap_check_exits(grow_after_mmap, NULL, 0,
			"a mapping shows what its file grew by after the mmap");
	tap_check_killed(touch_after_truncate, (void *)0, SIGBUS,
			 "a page of a private file mapping first touched past the new end: SIGBUS");
	tap_check_killed(touch_after_truncate, (void *)1, SIGBUS,
			 "a page mapped before the truncate, touched after it: SIGBUS");
	tap_check_killed(touch_after_truncate, (void *)2, SIGBUS,
			 "a private copy past the new end, touched after it: SIGBUS");
	tap_check_exits(touch_after_truncate, (void *)3, 0,
			"the mapped last page's tail reads zero after the truncate");
	tap_check_exits(regrow, NULL, 0, "a file truncated and regrown reads zero through a mapping");
	int fd = open(path_in("shrink"), O_RDWR);
	struct stat st;
	fstat(fd, &st);
	tap_check_long(st.st_size, PAGE + 10, "the file keeps its truncated size");
}

static void case_txtbsy(void *arg)
{
	char self[256];
	(void)arg;

	long n = readlink("/proc/self/exe", self, sizeof self - 1);
	self[n > 0 ? n : 0] = 0;
	CHECK_ERRNO(truncate(self, 0), ETXTBSY, "truncate of the running program is ETXTBSY");
	CHECK_ERRNO(open(self, O_WRONLY), ETXTBSY, "open for writing of it is ETXTBSY");
	CHECK_ERRNO(open(self, O_RDWR | O_TRUNC), ETXTBSY, "O_TRUNC of it is ETXTBSY");
	int fd = open(self, O_RDONLY);
	CHECK_ERRNO(ftruncate(fd, 0), EINVAL, "ftruncate of a read-only fd of it is EINVAL");
}

/* Fill memory with one file, then fork and exec: ENOSPC on write, never a panic. */
static void case_fill(void *arg)
{
	(void)arg;
	if (running_on_linux()) {
		tap_skip("filling the memory with a file", "not on the host's /tmp");
		return;
	}
	int fd = open(path_in("fill"), O_CREAT | O_RDWR | O_TRUNC, 0644);
	static char chunk[1 << 16];
	long total = 0, r;
	int err = 0;

	memset(chunk, 'f', sizeof chunk);
	while ((r = write(fd, chunk, sizeof chunk)) > 0)
		total += r;
	err = errno;
	tap_check(r < 0 && err == ENOSPC, "writing until the memory is full ends in ENOSPC",
		  "returned %ld errno %d after %ld MB", r, err, total >> 20);
	pid_t pid = fork();
	if (pid == 0) {
		execl(tap_bin("true"), "true", (char *)NULL);
		_exit(errno == ENOMEM ? 42 : 43);
	}
	int status = pid > 0 ? tap_wait(pid) : -1;
	tap_check(pid < 0 || (status != -1), "fork and exec in a full memory: an error or a run, no panic",
		  "status %d", status);
	struct stat st;
	fstat(fd, &st);
	tap_check_long(st.st_size, total, "the file's size is what was written");
	tap_check_long(unlink(path_in("fill")), 0, "unlink of the full file");
	close(fd);
	pid = fork();
	if (pid == 0) {
		execl(tap_bin("true"), "true", (char *)NULL);
		_exit(99);
	}
	status = tap_wait(pid);
	tap_check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "after the unlink, fork+exec works",
		  "%s", tap_status_str(status));
}

/* ---- signals ---- */

static void garbage_sigreturn(void *arg)
{
	static long junk[64];
	long mode = (long)arg;

	for (int i = 0; i < 64; i++)
		junk[i] = mode == 1 ? -1L : (long)0xdeadbeefcafe0000 + i;
	void *sp = mode == 3 ? (void *)0x10 : (void *)junk;
	if (mode == 4)
		sp = (void *)0x8000000000000000ULL;
	__asm__ volatile("mov %0, %%rsp\n\tmov $15, %%eax\n\tsyscall" :: "r"(sp) : "memory");
	_exit(0);
}

static void huge_altstack(void *arg)
{
	long mode = (long)arg;
	stack_t ss = { .ss_size = mode == 1 ? SIZE_MAX / 2 : 1 << 16 };
	ss.ss_sp = mode == 1 ? (void *)0x1000 : (void *)0x800000000000ULL - 0x100;
	if (mode == 3)
		ss.ss_sp = (void *)0x700000000000ULL, ss.ss_size = 1 << 16;
	if (sigaltstack(&ss, NULL) != 0)
		_exit(10 + errno);
	struct sigaction sa = { .sa_handler = SIG_IGN, .sa_flags = SA_ONSTACK };
	sa.sa_handler = (void (*)(int))0x1;  /* never reached: the frame write fails */
	sa.sa_handler = (void (*)(int))(uintptr_t)_exit;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	_exit(5);
}

static void handler_bad_restorer(void *arg)
{
	struct sigaction sa = { .sa_handler = (void (*)(int))(uintptr_t)0x8000000000000000ULL };
	(void)arg;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	_exit(5);
}

static void case_sigbad(void *arg)
{
	(void)arg;
	tap_check_killed(garbage_sigreturn, (void *)1, SIGSEGV, "rt_sigreturn on a stack of -1s: SIGSEGV");
	tap_check_killed(garbage_sigreturn, (void *)2, SIGSEGV, "rt_sigreturn on junk: SIGSEGV");
	tap_check_killed(garbage_sigreturn, (void *)3, SIGSEGV, "rt_sigreturn with rsp 16: SIGSEGV");
	tap_check_killed(garbage_sigreturn, (void *)4, SIGSEGV,
			 "rt_sigreturn with a non-canonical rsp: SIGSEGV");
	/* Linux counts the current stack as on the huge one: the handler runs there. */
	int status = tap_run_child(huge_altstack, (void *)1);
	tap_check((WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV) ||
		  (WIFEXITED(status) && WEXITSTATUS(status) == SIGUSR1),
		  "a sigaltstack of SIZE_MAX/2 bytes at 0x1000: SIGSEGV or the handler runs",
		  "%s", tap_status_str(status));
	tap_check_killed(huge_altstack, (void *)3, SIGSEGV,
			 "a sigaltstack in unmapped memory: SIGSEGV");
	tap_check_killed(huge_altstack, (void *)2, SIGSEGV,
			 "a sigaltstack ending at the top of user space: SIGSEGV");
	tap_check_killed(handler_bad_restorer, NULL, SIGSEGV,
			 "a handler at a non-canonical address: SIGSEGV");
	stack_t ss = { .ss_flags = 0x1234, .ss_size = 1 << 16, .ss_sp = malloc(1 << 16) };
	CHECK_ERRNO(sigaltstack(&ss, NULL), EINVAL, "sigaltstack with bad flags is EINVAL");
	ss.ss_flags = 0, ss.ss_size = 100;
	CHECK_ERRNO(sigaltstack(&ss, NULL), ENOMEM, "sigaltstack of 100 bytes is ENOMEM");
	CHECK_ERRNO(syscall(SYS_sigaltstack, (void *)16, NULL), EFAULT,
			"sigaltstack at address 16 is EFAULT");
	CHECK_ERRNO(syscall(SYS_rt_sigaction, 65, NULL, NULL, 8), EINVAL,
			"rt_sigaction of signal 65 is EINVAL");
	CHECK_ERRNO(syscall(SYS_rt_sigaction, 0, NULL, NULL, 8), EINVAL,
			"rt_sigaction of signal 0 is EINVAL");
	CHECK_ERRNO(syscall(SYS_rt_sigaction, SIGUSR1, NULL, NULL, 4), EINVAL,
			"rt_sigaction with sigsetsize 4 is EINVAL");
	CHECK_ERRNO(syscall(SYS_rt_sigaction, SIGUSR1, (void *)16, NULL, 8), EFAULT,
			"rt_sigaction with act at 16 is EFAULT");
	struct sigaction sa = { .sa_handler = SIG_IGN };
	CHECK_ERRNO(sigaction(SIGKILL, &sa, NULL), EINVAL, "a SIGKILL handler is EINVAL");
	CHECK_ERRNO(kill(getpid(), 65), EINVAL, "kill with signal 65 is EINVAL");
	CHECK_ERRNO(kill(INT_MIN, 0), ESRCH, "kill of pid INT_MIN is ESRCH");
	CHECK_ERRNO(syscall(SYS_tgkill, getpid(), -1, 0), EINVAL, "tgkill tid -1 is EINVAL");
	struct timespec ts = { 0, -1 };
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	CHECK_ERRNO(syscall(SYS_rt_sigtimedwait, &set, NULL, &ts, 8), EINVAL,
			"rt_sigtimedwait with tv_nsec -1 is EINVAL");
	CHECK_ERRNO(syscall(SYS_rt_sigsuspend, (void *)16, 8), EFAULT,
			"rt_sigsuspend of a mask at 16 is EFAULT");
	CHECK_ERRNO(syscall(SYS_rt_sigpending, (void *)16, 8), EFAULT,
			"rt_sigpending into address 16 is EFAULT");
	CHECK_ERRNO(syscall(SYS_rt_sigprocmask, 99, &set, NULL, 8), EINVAL,
			"rt_sigprocmask how 99 is EINVAL");
	int st;
	pid_t kid = fork();
	if (kid == 0)
		_exit(3);
	long r = syscall(SYS_wait4, kid, (void *)16, 0, NULL);
	tap_check(r < 0 && errno == EFAULT, "wait4 with status at 16 is EFAULT",
		  "returned %ld errno %d", r, errno);
	waitpid(kid, &st, WNOHANG);
	CHECK_ERRNO(syscall(SYS_wait4, -1, &st, 0x7fffffff, NULL), EINVAL,
			"wait4 with every option bit is EINVAL");
}

static volatile int hits;
static void count_hit(int sig) { (void)sig; hits++; }

/* Threads blocked in futex, poll, a pipe read, nanosleep and wait4 while
 * the parent storms them with signals from other CPUs. */
static int storm_pipe[2];
static volatile int forever = 1;

static void *block_futex(void *a)
{
	int w = 0;

	while (forever)
		syscall(SYS_futex, &w, 0 /* FUTEX_WAIT */, 0, NULL, NULL, 0);
	return a;
}

static void *block_poll(void *a)
{
	struct pollfd p = { storm_pipe[0], POLLIN, 0 };

	while (forever)
		poll(&p, 1, -1);
	return a;
}

static void *block_read(void *a)
{
	char c;

	while (forever)
		if (read(storm_pipe[0], &c, 1) < 0 && errno != EINTR)
			break;
	return a;
}

static void *block_sleep(void *a)
{
	while (forever) {
		struct timespec t = { 10, 0 };
		nanosleep(&t, &t);
	}
	return a;
}

static void *block_wait(void *a)
{
	while (forever) {
		int s;
		pid_t k = fork();
		if (k == 0) {
			pause();
			_exit(0);
		}
		waitpid(k, &s, 0);
	}
	return a;
}

static void storm_target(void)
{
	struct sigaction sa = { .sa_handler = count_hit };
	pthread_t t;

	setpgid(0, 0);  /* block_wait's children die with it */
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR2, &sa, NULL);
	pipe(storm_pipe);
	pthread_create(&t, NULL, block_futex, NULL);
	pthread_create(&t, NULL, block_poll, NULL);
	pthread_create(&t, NULL, block_read, NULL);
	pthread_create(&t, NULL, block_sleep, NULL);
	pthread_create(&t, NULL, block_wait, NULL);
	for (;;)
		pause();
}

static void case_storm(void *arg)
{
	(void)arg;
	pid_t kid = fork();
	if (kid == 0)
		storm_target();
	sleep_ms(200);
	int sent = 0, stopped = 0;
	for (int i = 0; i < 4000; i++) {
		int sig = (i % 7 == 0) ? SIGSTOP : (i % 7 == 1) ? SIGCONT : (i & 1) ? SIGUSR1 : SIGUSR2;
		if (kill(kid, sig) == 0)
			sent++;
		if (i % 500 == 0) {
			int s;
			pid_t w = waitpid(kid, &s, WNOHANG | WUNTRACED | WCONTINUED);
			stopped += w == kid;
		}
	}
	kill(kid, SIGCONT);
	tap_check_long(sent, 4000, "4000 signals (USR1, USR2, STOP, CONT) to 6 blocked threads");
	tap_check_long(kill(kid, 0), 0, "... the target lives on");
	kill(-kid, SIGKILL);
	int status = tap_wait(kid);
	tap_check(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "... and dies by SIGKILL",
		  "%s", tap_status_str(status));
	tap_diag("%d wait4 reports of stops/continues\n", stopped);
}

static void handler_forks(int sig)
{
	(void)sig;
	pid_t k = fork();
	if (k == 0) {
		execl(tap_bin("true"), "true", (char *)NULL);
		_exit(9);
	}
	int s;
	waitpid(k, &s, 0);
	hits += WIFEXITED(s) && WEXITSTATUS(s) == 0;
}

static void handler_execs(int sig)
{
	(void)sig;
	execl(tap_bin("true"), "true", (char *)NULL);
	_exit(9);
}

static void exec_from_handler(void *arg)
{
	struct sigaction sa = { .sa_handler = handler_execs, .sa_flags = SA_ONSTACK };
	stack_t ss = { .ss_size = 1 << 16, .ss_sp = malloc(1 << 16) };
	(void)arg;
	sigaltstack(&ss, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	_exit(8);
}

static void case_handler_forks(void *arg)
{
	struct sigaction sa = { .sa_handler = handler_forks, .sa_flags = SA_NODEFER };
	(void)arg;
	sigaction(SIGUSR1, &sa, NULL);
	hits = 0;
	for (int i = 0; i < 20; i++)
		raise(SIGUSR1);
	tap_check_long(hits, 20, "a handler that forks and execs, run 20 times");
	tap_check_exits(exec_from_handler, NULL, 0,
			"exec from a handler on the alternate stack runs the new program");
}

/* sigsuspend against a stream of kills from another process. */
static void case_sigsuspend(void *arg)
{
	(void)arg;
	struct sigaction sa = { .sa_handler = count_hit };
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);  /* the killer's exit ends the last sigsuspend */
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &old);
	pid_t me = getpid();
	pid_t k = fork();
	if (k == 0) {
		int i = 0;
		while (i < 2000 && kill(me, SIGUSR1) == 0)
			i++;
		_exit(i == 2000 ? 0 : 1);
	}
	hits = 0;
	/* At one CPU the killer may be done before the first round: then the
	 * first round finds its signals pending, and the loop still ends. */
	int rounds = 0, s = -1;
	do {
		sigset_t m = old;
		struct timespec t = { 0, 20000000 };
		sigset_t w;
		sigemptyset(&w);
		sigaddset(&w, SIGUSR1);
		if (rounds & 1)
			sigsuspend(&m);
		else
			sigtimedwait(&w, NULL, &t);
		rounds++;
	} while (waitpid(k, &s, WNOHANG) != k);
	tap_check(WIFEXITED(s) && WEXITSTATUS(s) == 0,
		  "sigsuspend/sigtimedwait raced by 2000 kills ends, every kill sent",
		  "rounds %d, status %#x", rounds, s);
}

/* ---- huge timeouts: they must not wrap round to "now" ---- */

static long huge_call(int which)
{
	struct timeval tv = { 1LL << 62, 0 };
	struct timespec ts = { 1LL << 62, 0 }, tsmax = { LLONG_MAX, 999999999 };
	sigset_t set;
	int word = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	switch (which) {
	case 0: return syscall(SYS_select, 0, NULL, NULL, NULL, &tv);
	case 1: tv.tv_sec = LLONG_MAX; return syscall(SYS_select, 0, NULL, NULL, NULL, &tv);
	case 2: return syscall(SYS_pselect6, 0, NULL, NULL, NULL, &ts, NULL);
	case 3: return syscall(SYS_ppoll, NULL, 0, &ts, NULL, 8);
	case 4: return syscall(SYS_nanosleep, &ts, NULL);
	case 5: return syscall(SYS_nanosleep, &tsmax, NULL);
	case 6: return syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &ts, NULL);
	case 7: return syscall(SYS_rt_sigtimedwait, &set, NULL, &ts, 8);
	default: return syscall(SYS_futex, &word, 0 /* FUTEX_WAIT */, 0, &tsmax, NULL, 0);
	}
}

static void case_huge_timeouts(void *arg)
{
	static const char *const names[] = {
		"select, 2^62 s", "select, LLONG_MAX s", "pselect6, 2^62 s", "ppoll, 2^62 s",
		"nanosleep, 2^62 s", "nanosleep, LLONG_MAX s", "clock_nanosleep, 2^62 s",
		"rt_sigtimedwait, 2^62 s", "futex wait, LLONG_MAX s",
	};
	struct sigaction sa = { .sa_handler = count_hit };
	(void)arg;

	sigaction(SIGALRM, &sa, NULL);
	for (int i = 0; i < 9; i++) {
		struct itimerval it = { { 0, 0 }, { 0, 200000 } };
		char what[96];
		setitimer(ITIMER_REAL, &it, NULL);
		double t0 = now_s();
		long r = huge_call(i);
		int err = errno;
		double waited = now_s() - t0;
		snprintf(what, sizeof what, "%s: sleeps until a signal (EINTR)", names[i]);
		tap_check(r == -1 && err == EINTR && waited > 0.15, what,
			  "returned %ld errno %d after %.3f s", r, err, waited);
	}
}

/* ---- tty ioctls ---- */

static void case_tty(void *arg)
{
	(void)arg;
	setsid();
	int fd = open("/dev/console", O_RDWR | O_NOCTTY);
	if (fd < 0 || running_on_linux()) {
		tap_skip("tty ioctls", "no /dev/console to own here");
		return;
	}
	tap_check_long(ioctl(fd, TIOCSCTTY, 0), 0, "TIOCSCTTY of the console in a new session");
	CHECK_ERRNO(ioctl(fd, TIOCSTI, (char *)16), EFAULT, "TIOCSTI from address 16 is EFAULT");
	CHECK_ERRNO(ioctl(fd, TIOCSPGRP, (pid_t *)16), EFAULT,
			"TIOCSPGRP from address 16 is EFAULT");
	CHECK_ERRNO(ioctl(fd, TIOCGPGRP, (pid_t *)16), EFAULT,
			"TIOCGPGRP into address 16 is EFAULT");
	pid_t pg = -1;
	CHECK_ERRNO(ioctl(fd, TIOCSPGRP, &pg), EINVAL, "TIOCSPGRP of pgid -1 is EINVAL");
	pg = 999999;
	CHECK_ERRNO(ioctl(fd, TIOCSPGRP, &pg), ESRCH, "TIOCSPGRP of pgid 999999 is ESRCH");
	pg = 1;
	CHECK_ERRNO(ioctl(fd, TIOCSPGRP, &pg), EPERM,
			"TIOCSPGRP of another session's group is EPERM");
	pg = getpid();
	tap_check_long(ioctl(fd, TIOCSPGRP, &pg), 0, "TIOCSPGRP of our own group");
	struct termios t;
	CHECK_ERRNO(ioctl(fd, TCGETS, (void *)16), EFAULT, "TCGETS into 16 is EFAULT");
	CHECK_ERRNO(ioctl(fd, TCSETS, (void *)16), EFAULT, "TCSETS from 16 is EFAULT");
	tap_check_long(tcgetattr(fd, &t), 0, "tcgetattr still works");
	CHECK_ERRNO(ioctl(fd, TIOCGWINSZ, (void *)16), EFAULT, "TIOCGWINSZ into 16 is EFAULT");
	CHECK_ERRNO(ioctl(fd, 0xdeadbeef, NULL), ENOTTY, "an unknown ioctl is ENOTTY");
	int p[2];
	pipe(p);
	CHECK_ERRNO(ioctl(p[0], TIOCSPGRP, &pg), ENOTTY, "TIOCSPGRP on a pipe is ENOTTY");
}

/* ---- /proc of exiting processes ---- */

static void case_proc_exit(void *arg)
{
	static const char *const files[] = { "stat", "status", "cmdline", "exe", "maps",
					     "smaps", "fd", "comm", "environ", "statm" };
	char path[64], buf[4096];
	int reads = 0;
	(void)arg;

	for (int round = 0; round < 150; round++) {
		pid_t k = fork();
		if (k == 0) {
			if (round & 1) {
				pthread_t t;
				pthread_create(&t, NULL, block_sleep, NULL);
			}
			_exit(0);
		}
		for (int i = 0; i < 10; i++) {
			const char *f = files[(round + i) % 10];
			snprintf(path, sizeof path, "/proc/%d/%s", k, f);
			if (f[0] == 'e' && f[1] == 'x') {
				reads += readlink(path, buf, sizeof buf) >= 0;
				continue;
			}
			int fd = open(path, O_RDONLY);
			if (fd < 0)
				continue;
			if (f[0] == 'f' && f[1] == 'd')
				reads += syscall(SYS_getdents64, fd, buf, sizeof buf) >= 0;
			else
				while (read(fd, buf, sizeof buf) > 0)
					reads++;
			close(fd);
		}
		int s;
		waitpid(k, &s, 0);
		snprintf(path, sizeof path, "/proc/%d/status", k);
		int fd = open(path, O_RDONLY);
		if (fd >= 0) {
			tap_fail("/proc/PID of a reaped process is gone", "%s opens", path);
			return;
		}
	}
	tap_pass("/proc/PID files read while 150 processes exit; reaped ones are gone");
	tap_diag("%d reads\n", reads);
	/* An fd kept open across the exit and the reap. */
	pid_t k = fork();
	if (k == 0) {
		pause();
		_exit(0);
	}
	int fds[10];
	for (int i = 0; i < 10; i++) {
		snprintf(path, sizeof path, "/proc/%d/%s", k, files[i]);
		fds[i] = open(path, files[i][0] == 'f' && files[i][1] == 'd' ? O_RDONLY | O_DIRECTORY : O_RDONLY);
	}
	kill(k, SIGKILL);
	tap_wait(k);
	int bad = 0;
	for (int i = 0; i < 10; i++) {
		if (fds[i] < 0)
			continue;
		long r = files[i][0] == 'f' ? syscall(SYS_getdents64, fds[i], buf, sizeof buf)
			 : read(fds[i], buf, sizeof buf);
		if (r < 0 && errno != ESRCH && errno != ENOENT)
			bad = i + 1;
		close(fds[i]);
	}
	tap_check(!bad, "reading /proc/PID files opened before the process was reaped",
		  "%s: errno %d", bad ? files[bad - 1] : "", errno);
}

/* ---- getdents, /dev ---- */

static void case_dents(void *arg)
{
	char *edge = edge_page();
	(void)arg;

	int fd = open("/proc", O_RDONLY | O_DIRECTORY);
	CHECK_ERRNO(syscall(SYS_getdents64, fd, edge + PAGE - 8, 4096), EFAULT,
			"getdents64 /proc into 8 mapped bytes is EFAULT");
	CHECK_ERRNO(syscall(SYS_getdents64, fd, edge, 4), EINVAL,
			"getdents64 /proc into 4 bytes is EINVAL");
	fd = open("/", O_RDONLY | O_DIRECTORY);
	CHECK_ERRNO(syscall(SYS_getdents64, fd, edge + PAGE - 8, 4096), EFAULT,
			"getdents64 / into 8 mapped bytes is EFAULT");
	CHECK_ERRNO(syscall(SYS_getdents64, fd, edge, 4), EINVAL,
			"getdents64 / into 4 bytes is EINVAL");
	long r = syscall(SYS_getdents64, fd, edge, (size_t)-1);
	tap_check(r > 0 || errno == EFAULT || errno == EINVAL, "getdents64 / with count SIZE_MAX",
		  "errno %d", errno);
	fd = open("/dev/urandom", O_RDONLY);
	r = read(fd, edge + PAGE - 16, 1 << 20);
	tap_check(r == 16 || (r < 0 && errno == EFAULT), "/dev/urandom: 1 MB into 16 mapped bytes",
		  "returned %ld errno %d", r, errno);
	fd = open("/dev/zero", O_RDONLY);
	r = read(fd, edge + PAGE - 16, 1 << 20);
	tap_check(r == 16 || (r < 0 && errno == EFAULT), "/dev/zero: 1 MB into 16 mapped bytes",
		  "returned %ld errno %d", r, errno);
	fd = open("/dev/full", O_WRONLY);
	CHECK_ERRNO(write(fd, edge, 10), ENOSPC, "/dev/full: write is ENOSPC");
	fd = open("/dev/null", O_WRONLY);
	r = write(fd, (void *)16, 100);
	tap_check(r == 100 || errno == EFAULT, "/dev/null: a write from address 16", "errno %d", errno);
}

int main(int argc, char **argv)
{
	(void)argc;
	if (scratch_begin("hostile13", argv))
		return tap_done();
	run("poll: bad nfds and arrays", case_poll, 30);
	run("select: bad nfds, sets and timeouts", case_select, 30);
	run("getrandom, prlimit, syslog, sysinfo, uname, prctl", case_misc, 30);
	run("readlink buffer sizes", case_readlink, 30);
	run("long paths and names", case_names, 30);
	run("symlink loops", case_loops, 30);
	run("renames, rmdir, unlink of mount points", case_rename, 30);
	run("a mount holding a deep tree", case_deep_mount, 60);
	run("huge offsets and truncates", case_huge, 60);
	run("mappings of a shrinking file", case_shrink, 30);
	run("the running program's file", case_txtbsy, 30);
	run("forged sigreturn, bad altstacks, bad signal args", case_sigbad, 30);
	run("signal storm against threads in slow calls", case_storm, 120);
	run("handlers that fork and exec", case_handler_forks, 60);
	run("sigsuspend raced by kills", case_sigsuspend, 60);
	run("huge timeouts", case_huge_timeouts, 60);
	run("tty ioctls with bad pointers and pgids", case_tty, 30);
	run("/proc/PID of exiting processes", case_proc_exit, 120);
	run("getdents and /dev with bad buffers", case_dents, 30);
	run("a memory full of file data", case_fill, 120);
	tap_check_long(rmdir(base), 0, "the scratch directory is empty at the end");
	return tap_done();
}
