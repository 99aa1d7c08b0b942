/*
 * test_hostile14 - a hostile user against issue 14's new kernel code:
 * mmap of things that cannot be mapped (a directory, a write-only fd, an
 * O_PATH fd, pipes, /proc, /dev), offsets and lengths that overflow,
 * contradictory flags, write access through a read-only fd by mprotect;
 * msync with bad flags and ranges; mremap onto itself, overlapping, of
 * nothing, to and from the kernel half; memfd_create with bad names and
 * flags, seals against writers and mappings; FICLONE and FICLONERANGE
 * across file systems, onto itself, with bad modes and ranges, and racing
 * a writer; files truncated and unlinked under their mappings; execve of
 * programs whose PT_INTERP or program headers are absurd.
 *
 * Each case runs in a forked child (tap_case), so a case that the kernel
 * kills or hangs costs one failed check and the rest still run.  After every
 * case the parent checks that free memory is back (no frame leaked; under
 * vm_audit=1 every exit is audited as well).  Expected results are Linux's
 * (6.18 on the build host), where Linux has one; file clones, which Linux's
 * tmpfs and ext4 refuse (EOPNOTSUPP) once the generic checks pass, expect
 * docs/pagecache.md's answers past that point here.
 * Runs on Linux: yes
 */
#include "scratch.h"
#include "uapi.h"

#include <elf.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#define PAGE 4096L
#define KERNEL_HALF ((void *)0xffff800000000000UL)

static const char *path_in(const char *name)
{
	static char buf[4][1024];
	static int which;
	char *b = buf[which++ & 3];

	snprintf(b, sizeof buf[0], "%s/%s", dir, name);
	return b;
}

/* A file NAME in the case's directory of LEN bytes of 'a'+page, opened FLAGS. */
static int make_file(const char *name, long len, int flags)
{
	int fd = open(path_in(name), O_RDWR | O_CREAT | O_TRUNC, 0644);
	char page[PAGE];

	for (long off = 0; fd >= 0 && off < len; off += PAGE) {
		memset(page, 'a' + (off / PAGE) % 26, PAGE);
		if (pwrite(fd, page, len - off < PAGE ? len - off : PAGE, off) < 0)
			return -1;
	}
	if (fd >= 0 && (flags & O_ACCMODE) != O_RDWR) {
		close(fd);
		fd = open(path_in(name), flags);
	}
	return fd;
}

static long sys_mmap(void *addr, long len, int prot, int flags, int fd, long off)
{
	return syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

static long sys_mremap(void *old, long old_len, long new_len, int flags, void *new)
{
	return syscall(SYS_mremap, old, old_len, new_len, flags, new);
}

/* The wait status of fn(arg) run in a child: to see a SIGBUS coming. */
static int child_status(void (*fn)(void *), void *arg)
{
	return tap_run_child(fn, arg);
}

static void touch(void *p) { *(volatile char *)p; }
static void poke(void *p) { *(volatile char *)p = 'Z'; }

static bool killed_by(int status, int sig)
{
	return status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == sig;
}

/* ---- mmap of what cannot be mapped ---- */

static void case_mmap_kinds(void *arg)
{
	int pfd[2];
	(void)arg;

	int d = open(dir, O_RDONLY | O_DIRECTORY);
	CHECK_ERRNO(sys_mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, d, 0), ENODEV,
		  "mmap: a directory, private: ENODEV");
	CHECK_ERRNO(sys_mmap(NULL, PAGE, PROT_READ, MAP_SHARED, d, 0), ENODEV,
		  "mmap: a directory, shared: ENODEV");
	close(d);
	int wo = make_file("wo", PAGE, O_WRONLY);
	CHECK_ERRNO(sys_mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, wo, 0), EACCES,
		  "mmap: a write-only fd, private read: EACCES");
	CHECK_ERRNO(sys_mmap(NULL, PAGE, PROT_WRITE, MAP_SHARED, wo, 0), EACCES,
		  "mmap: a write-only fd, shared write: EACCES");
	close(wo);
	if (pipe(pfd) == 0) {
		CHECK_ERRNO(sys_mmap(NULL, PAGE, PROT_READ, MAP_SHARED, pfd[0], 0), ENODEV,
			  "mmap: a pipe's read end: ENODEV");
		CHECK_ERRNO(sys_mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, pfd[1], 0), EACCES,
			  "mmap: a pipe's write end (not readable): EACCES");
		close(pfd[0]), close(pfd[1]);
	}
	int pm = open("/proc/self/maps", O_RDONLY);
	CHECK_ERRNO(sys_mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, pm, 0), ENODEV,
		  "mmap: /proc/self/maps: ENODEV");
	close(pm);
	static const struct { const char *path; int err; } pseudo[] = {
		{ "/proc/meminfo", EIO }, { "/proc/kpagecount", EIO }, { "/proc/self/mem", ENODEV },
		{ "/proc/self/pagemap", ENODEV }, { "/proc/sys/vm/overcommit_memory", ENODEV },
		{ "/sys/kernel/mm/ksm/run", ENODEV },
	};
	for (size_t i = 0; i < sizeof pseudo / sizeof pseudo[0]; i++) {
		char what[96];
		int pf = open(pseudo[i].path, O_RDONLY);
		snprintf(what, sizeof what, "mmap: %s: %s", pseudo[i].path, strerror(pseudo[i].err));
		CHECK_ERRNO(sys_mmap(NULL, PAGE, PROT_READ, MAP_SHARED, pf, 0), pseudo[i].err, what);
		close(pf);
	}
	int dn = open("/dev/null", O_RDWR);
	CHECK_ERRNO(sys_mmap(NULL, PAGE, PROT_READ, MAP_SHARED, dn, 0), ENODEV,
		  "mmap: /dev/null: ENODEV");
	close(dn);
	CHECK_ERRNO(sys_mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, 1 << 20, 0), EBADF,
		  "mmap: a huge fd number: EBADF");
	CHECK_ERRNO(sys_mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, -1, 0), EBADF,
		  "mmap: fd -1 without MAP_ANONYMOUS: EBADF");
}

/* Write "shared" through a MAP_SHARED /dev/zero page in a child. */
static void write_shared(void *p) { strcpy(p, "shared"); }

static void case_dev_zero(void *arg)
{
	(void)arg;
	int z = open("/dev/zero", O_RDWR);
	char *s = (char *)sys_mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, z, 0);
	char *p = (char *)sys_mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, z, 0);
	tap_check(s != MAP_FAILED && p != MAP_FAILED, "mmap: /dev/zero shared and private",
		  "errno %d", errno);
	if (s == MAP_FAILED || p == MAP_FAILED)
		return;
	tap_check(s[0] == 0 && p[PAGE] == 0, "... both read zeros", "%d %d", s[0], p[PAGE]);
	child_status(write_shared, s);
	child_status(write_shared, p);
	tap_check(strcmp(s, "shared") == 0, "... a child's write to the shared one is seen",
		  "read '%.8s'", s);
	tap_check(p[0] == 0, "... a child's write to the private one is not", "read %d", p[0]);
	munmap(s, 2 * PAGE), munmap(p, 2 * PAGE);
	int zr = open("/dev/zero", O_RDONLY);
	CHECK_ERRNO(sys_mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, zr, 0), EACCES,
		  "mmap: /dev/zero read-only, shared writable: EACCES");
	s = (char *)sys_mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, zr, PAGE * 1000);
	tap_check(s != MAP_FAILED && s[0] == 0, "mmap: /dev/zero read-only, private, offset 4 MB",
		  "errno %d", errno);
	close(z), close(zr);
}

static void case_mmap_ranges(void *arg)
{
	(void)arg;
	int fd = make_file("f", 2 * PAGE, O_RDWR);
	int ro = open(path_in("f"), O_RDONLY);
	long r;

	CHECK_ERRNO(sys_mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 100), EINVAL,
		  "mmap: an unaligned offset: EINVAL");
	CHECK_ERRNO(sys_mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, -1, 100), EINVAL,
		  "mmap: an unaligned offset with a bad fd: EINVAL first");
	CHECK_ERRNO(sys_mmap(NULL, 2 * PAGE, PROT_READ, MAP_PRIVATE, fd, -PAGE), EOVERFLOW,
		  "mmap: offset -4096 (offset + length wraps): EOVERFLOW");
	r = sys_mmap(NULL, 2 * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, -PAGE);
	tap_check(r != -1, "mmap: anonymous memory ignores an offset of -4096", "errno %d", errno);
	CHECK_ERRNO(sys_mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0x7ffffffffffff000L), EOVERFLOW,
		  "mmap: offset 2^63 - 4096, shared: EOVERFLOW");
	CHECK_ERRNO(sys_mmap(NULL, -1L, PROT_READ, MAP_PRIVATE, fd, 0), ENOMEM,
		  "mmap: length 2^64 - 1 (rounds to 0): ENOMEM");
	CHECK_ERRNO(sys_mmap(NULL, 1L << 47, PROT_READ, MAP_SHARED, fd, 0), ENOMEM,
		  "mmap: length 2^47: ENOMEM");
	CHECK_ERRNO(sys_mmap(NULL, 0, PROT_READ, MAP_SHARED, fd, 0), EINVAL,
		  "mmap: length 0: EINVAL");
	CHECK_ERRNO(sys_mmap(NULL, PAGE, PROT_READ, 0, fd, 0), EINVAL,
		  "mmap: neither shared nor private: EINVAL");
	CHECK_ERRNO(sys_mmap(NULL, PAGE, PROT_READ, MAP_SHARED_VALIDATE | MAP_ANONYMOUS, -1, 0),
		  EINVAL, "mmap: anonymous MAP_SHARED|MAP_PRIVATE: EINVAL");
	CHECK_ERRNO(sys_mmap(NULL, PAGE, PROT_READ, MAP_SHARED_VALIDATE | 0x800000, fd, 0),
		  EOPNOTSUPP, "mmap: MAP_SHARED_VALIDATE with unknown flag 0x800000: EOPNOTSUPP");
	r = sys_mmap(NULL, PAGE, PROT_READ, MAP_SHARED | 0x800000, fd, 0);
	tap_check(r != -1, "mmap: MAP_SHARED ignores the unknown flag", "errno %d", errno);
	CHECK_ERRNO(sys_mmap(KERNEL_HALF, PAGE, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0), ENOMEM,
		  "mmap: MAP_FIXED in the kernel half: ENOMEM");
	CHECK_ERRNO(sys_mmap((void *)(0x800000000000L - PAGE), 2 * PAGE, PROT_READ,
			   MAP_SHARED | MAP_FIXED, fd, 0),
		  ENOMEM, "mmap: MAP_FIXED across the top of user space: ENOMEM");
	r = sys_mmap(KERNEL_HALF, PAGE, PROT_READ, MAP_SHARED, fd, 0);
	tap_check(r != -1 && r < 0x800000000000L, "mmap: a hint in the kernel half goes elsewhere",
		  "returned %#lx errno %d", r, errno);
	CHECK_ERRNO(sys_mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0), EACCES,
		  "mmap: shared writable of a read-only fd: EACCES");
	char *p = (char *)sys_mmap(NULL, PAGE, PROT_READ, MAP_SHARED, ro, 0);
	CHECK_ERRNO(mprotect(p, PAGE, PROT_READ | PROT_WRITE), EACCES,
		  "mprotect: write on a shared mapping of a read-only fd: EACCES");
	CHECK_ERRNO(mprotect(p, PAGE, PROT_READ | PROT_EXEC | PROT_WRITE), EACCES,
		  "mprotect: ... with exec too: EACCES");
	tap_check_long(mprotect(p, PAGE, PROT_NONE), 0, "mprotect: ... PROT_NONE is fine");
	tap_check_long(mprotect(p, PAGE, PROT_READ), 0, "mprotect: ... and back to read");
	tap_check_long(p[0], 'a', "... reading it again");
	char *q = (char *)sys_mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, ro, 0);
	tap_check_long(mprotect(q, PAGE, PROT_READ | PROT_WRITE), 0,
		       "mprotect: write on a private mapping of a read-only fd: fine");
	q[0] = 'X';
	char c = 0;
	tap_check(pread(fd, &c, 1, 0) == 1 && c == 'a', "... and its write stays private",
		  "file has '%c'", c);
	CHECK_ERRNO(mprotect(KERNEL_HALF, PAGE, PROT_READ), ENOMEM,
		  "mprotect: the kernel half: ENOMEM");
	CHECK_ERRNO(munmap(KERNEL_HALF, PAGE), EINVAL, "munmap: the kernel half: EINVAL");
	close(fd), close(ro);
}

/* A shared mapping of 2 pages of a file one byte long: page 1 is SIGBUS. */
static void case_past_eof(void *arg)
{
	(void)arg;
	int fd = make_file("one", 1, O_RDWR);
	char *s = (char *)sys_mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	char *p = (char *)sys_mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);

	tap_check(s[0] == 'a' && s[1] == 0 && p[PAGE - 1] == 0, "mmap past EOF: the last page's tail reads 0",
		  "%d %d", s[0], s[1]);
	s[100] = 'q';
	struct stat st;
	fstat(fd, &st);
	tap_check_long(st.st_size, 1, "... a store into the tail does not grow the file");
	tap_check(killed_by(child_status(touch, s + PAGE), SIGBUS), "... the page past EOF: SIGBUS (shared)",
		  "not SIGBUS");
	tap_check(killed_by(child_status(poke, p + PAGE), SIGBUS), "... the page past EOF: SIGBUS (private write)",
		  "not SIGBUS");
	char *far = (char *)sys_mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 1L << 29);
	tap_check(far != MAP_FAILED, "mmap: offset 512 MiB of a 1-byte file maps", "errno %d", errno);
	if (far != MAP_FAILED)
		tap_check(killed_by(child_status(touch, far), SIGBUS), "... and a touch is SIGBUS",
			  "not SIGBUS");
	close(fd);
}

/* ---- msync ---- */

static void case_msync(void *arg)
{
	(void)arg;
	int fd = make_file("f", 4 * PAGE, O_RDWR);
	char *s = (char *)sys_mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	CHECK_ERRNO(msync(s, PAGE, MS_ASYNC | MS_SYNC), EINVAL, "msync: MS_ASYNC|MS_SYNC: EINVAL");
	CHECK_ERRNO(msync(s, PAGE, 8), EINVAL, "msync: unknown flag 8: EINVAL");
	CHECK_ERRNO(msync(s + 1, PAGE, MS_SYNC), EINVAL, "msync: an unaligned address: EINVAL");
	CHECK_ERRNO(msync(s + 1, PAGE, 8), EINVAL, "msync: unknown flag before alignment: EINVAL");
	tap_check_long(msync(s, 1, MS_SYNC), 0, "msync: an unaligned length is rounded up");
	tap_check_long(msync(s, 0, MS_SYNC), 0, "msync: length 0: 0");
	tap_check_long(msync(s, 0, 0), 0, "msync: no flags: 0");
	tap_check_long(msync(s, 4 * PAGE, MS_INVALIDATE), 0, "msync: MS_INVALIDATE alone: 0");
	tap_check_long(msync(s, (size_t)-1, MS_SYNC), 0,
		       "msync: length 2^64 - 1 (rounds to 0): 0");
	CHECK_ERRNO(msync(s, (size_t)-2 * PAGE, MS_SYNC), ENOMEM,
		  "msync: a length that wraps the address space: ENOMEM");
	munmap(s + 3 * PAGE, PAGE);
	CHECK_ERRNO(msync(s, 4 * PAGE, MS_SYNC), ENOMEM, "msync: a range past the mapping: ENOMEM");
	munmap(s + PAGE, PAGE);
	CHECK_ERRNO(msync(s, 4 * PAGE, MS_SYNC), ENOMEM, "msync: a range with a hole: ENOMEM");
	CHECK_ERRNO(msync(KERNEL_HALF, PAGE, MS_SYNC), ENOMEM, "msync: the kernel half: ENOMEM");
	char *a = (char *)sys_mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	tap_check_long(msync(a, PAGE, MS_SYNC), 0, "msync: private anonymous memory: 0");
	close(fd);
}

/* ---- mremap ---- */

static void case_mremap(void *arg)
{
	(void)arg;
	char *p = (char *)sys_mmap(NULL, 8 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(p, 'p', 8 * PAGE);

	CHECK_ERRNO(sys_mremap(p, 4 * PAGE, 4 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, p + 2 * PAGE),
		  EINVAL, "mremap: onto an overlapping range: EINVAL");
	CHECK_ERRNO(sys_mremap(p, 4 * PAGE, 4 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, p), EINVAL,
		  "mremap: MREMAP_FIXED onto itself: EINVAL");
	CHECK_ERRNO(sys_mremap(p + 2 * PAGE, 2 * PAGE, 4 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, p),
		  EINVAL, "mremap: a target overlapping from below: EINVAL");
	CHECK_ERRNO(sys_mremap(p, 0, 4 * PAGE, MREMAP_MAYMOVE, NULL), EINVAL,
		  "mremap: old_len 0 on private memory: EINVAL");
	CHECK_ERRNO(sys_mremap(p, 4 * PAGE, 0, MREMAP_MAYMOVE, NULL), EINVAL,
		  "mremap: new_len 0: EINVAL");
	CHECK_ERRNO(sys_mremap(p, 4 * PAGE, -1L, MREMAP_MAYMOVE, NULL), EINVAL,
		  "mremap: new_len 2^64 - 1 (rounds to 0): EINVAL");
	CHECK_ERRNO(sys_mremap(p, 4 * PAGE, 1L << 47, MREMAP_MAYMOVE, NULL), EINVAL,
		  "mremap: new_len 2^47: EINVAL");
	CHECK_ERRNO(sys_mremap(p, 4 * PAGE, 1L << 62, MREMAP_MAYMOVE, NULL), EINVAL,
		  "mremap: new_len 2^62: EINVAL");
	CHECK_ERRNO(sys_mremap(p, -1L, PAGE, 0, NULL), EINVAL,
		  "mremap: old_len 2^64 - 1 (rounds to 0) on private memory: EINVAL");
	CHECK_ERRNO(sys_mremap(KERNEL_HALF, PAGE, 2 * PAGE, MREMAP_MAYMOVE, NULL), EFAULT,
		  "mremap: old_addr in the kernel half: EFAULT");
	CHECK_ERRNO(sys_mremap(p, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, KERNEL_HALF), EINVAL,
		  "mremap: new_addr in the kernel half: EINVAL");
	CHECK_ERRNO(sys_mremap(p, PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED,
			     (void *)(0x800000000000L - PAGE)),
		  EINVAL, "mremap: a target across the top of user space: EINVAL");
	CHECK_ERRNO(sys_mremap(p, 8 * PAGE, 16 * PAGE, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL), EINVAL,
		  "mremap: DONTUNMAP with a new length: EINVAL");
	CHECK_ERRNO(sys_mremap(p, 4 * PAGE, 4 * PAGE, 64, NULL), EINVAL,
		  "mremap: unknown flag 64: EINVAL");
	/* two regions of different protections: a move across both is EFAULT */
	mprotect(p + 4 * PAGE, 4 * PAGE, PROT_READ);
	CHECK_ERRNO(sys_mremap(p, 8 * PAGE, 16 * PAGE, MREMAP_MAYMOVE, NULL), EFAULT,
		  "mremap: a range across two regions: EFAULT");
	char *q = (char *)sys_mremap(p + 2 * PAGE, PAGE, 3 * PAGE, MREMAP_MAYMOVE, NULL);
	tap_check(q != MAP_FAILED && q[0] == 'p' && q[2 * PAGE] == 0,
		  "mremap: a page from the middle grows by moving, the new pages zero", "errno %d", errno);
	tap_check(killed_by(child_status(touch, p + 2 * PAGE), SIGSEGV),
		  "... its old place is unmapped", "not SIGSEGV");
	/* a shrink of a range with nothing after: fine even with a hole after */
	tap_check((char *)sys_mremap(p, 2 * PAGE, PAGE, 0, NULL) == p,
		  "mremap: shrink 2 pages to 1 in place", "errno %d", errno);
	/* DONTUNMAP of private anonymous memory: the old range stays, empty */
	char *r = (char *)sys_mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	r[0] = 'r';
	char *t = (char *)sys_mremap(r, 2 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL);
	tap_check(t != MAP_FAILED && t[0] == 'r' && r[0] == 0,
		  "mremap: DONTUNMAP moves the data, the old range reads 0", "errno %d", errno);
	/* DONTUNMAP back onto the old range (it is mapped: MREMAP_FIXED unmaps it) */
	char *u = (char *)sys_mremap(t, 2 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP, r);
	tap_check(u == r && r[0] == 'r' && t[0] == 0, "mremap: DONTUNMAP|FIXED back to the old range",
		  "returned %p errno %d", (void *)u, errno);
}

/* Shared mappings: duplicate (old_len 0), grow past EOF, DONTUNMAP. */
static void case_mremap_shared(void *arg)
{
	(void)arg;
	int fd = make_file("f", 2 * PAGE, O_RDWR);
	char *s = (char *)sys_mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	char *d = (char *)sys_mremap(s, 0, 2 * PAGE, MREMAP_MAYMOVE, NULL);

	tap_check(d != MAP_FAILED && d != s, "mremap: old_len 0 of a shared mapping duplicates it",
		  "errno %d", errno);
	if (d == MAP_FAILED)
		return;
	d[0] = 'D';
	tap_check_long(s[0], 'D', "... a store through the duplicate is seen in the original");
	CHECK_ERRNO(sys_mremap(s, 0, 2 * PAGE, 0, NULL), ENOMEM,
		  "mremap: old_len 0 without MAYMOVE: ENOMEM");
	char *g = (char *)sys_mremap(d, 2 * PAGE, 4 * PAGE, MREMAP_MAYMOVE, NULL);
	tap_check(g != MAP_FAILED && g[0] == 'D', "mremap: grow a shared mapping past EOF", "errno %d", errno);
	if (g != MAP_FAILED)
		tap_check(killed_by(child_status(touch, g + 3 * PAGE), SIGBUS),
			  "... the new page past EOF is SIGBUS", "not SIGBUS");
	ftruncate(fd, 4 * PAGE);
	if (g != MAP_FAILED)
		tap_check(g[3 * PAGE] == 0 && (g[3 * PAGE] = 'G', 1),
			  "... after ftruncate grows the file it maps", "read %d", g[3 * PAGE]);
	char c = 0;
	tap_check(pread(fd, &c, 1, 3 * PAGE) == 1 && c == 'G', "... and a store there reaches the file",
		  "read '%c'", c);
	char *k = (char *)sys_mremap(s, 2 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL);
	tap_check(k != MAP_FAILED && k[0] == 'D' && s[0] == 'D',
		  "mremap: DONTUNMAP of a shared mapping: both show the file", "errno %d", errno);
	close(fd);
}

/* ---- mremap of the heap, and of memory with fork advice ---- */

static void case_mremap_odd(void *arg)
{
	(void)arg;
	char *cur = (char *)syscall(SYS_brk, 0);
	char *top = (char *)syscall(SYS_brk, cur + 4 * PAGE);
	tap_check(top == cur + 4 * PAGE, "brk: grow the heap 4 pages", "brk %p -> %p", (void *)cur, (void *)top);
	char *heap = (char *)((unsigned long)(cur + PAGE - 1) & ~(PAGE - 1));
	long n = (top - heap) / PAGE * PAGE;
	memset(heap, 'h', n);
	char *moved = (char *)sys_mremap(heap, n, n, MREMAP_MAYMOVE | MREMAP_FIXED,
					 (char *)sys_mmap(NULL, n, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	tap_check(moved != MAP_FAILED && moved[0] == 'h', "mremap: move the heap's top away", "errno %d", errno);
	char *again = (char *)syscall(SYS_brk, top + 2 * PAGE);
	tap_check(again == top + 2 * PAGE, "brk: grows again after the move", "%p", (void *)again);
	tap_check(again == top + 2 * PAGE && top[PAGE] == 0, "... the new heap pages read 0", "%d", top[PAGE]);
	tap_check((char *)syscall(SYS_brk, cur) == cur, "brk: shrinks back past the moved part", "errno %d", errno);
	tap_check_long(moved[n - 1], 'h', "... which stays where it went");
	char *w = (char *)sys_mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	w[0] = 'w';
	madvise(w, 2 * PAGE, MADV_WIPEONFORK);
	char *wm = (char *)sys_mremap(w, 2 * PAGE, 4 * PAGE, MREMAP_MAYMOVE, NULL);
	wm[3 * PAGE] = 'x';
	pid_t kid = fork();
	if (kid == 0)
		_exit(wm[0] == 0 && wm[3 * PAGE] == 0 ? 0 : 1);
	int st = tap_wait(kid);
	tap_check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "mremap: MADV_WIPEONFORK moves with the memory",
		  "%s", tap_status_str(st));
	tap_check(wm[0] == 'w' && wm[3 * PAGE] == 'x', "... the parent keeps its data", "%c", wm[0]);
}

/* ---- memfd_create and seals ---- */

static void case_memfd_names(void *arg)
{
	char name[300];
	(void)arg;

	memset(name, 'n', sizeof name);
	name[249] = 0;
	int fd = memfd_create(name, 0);
	tap_check(fd >= 0, "memfd_create: a name of 249 bytes is fine", "errno %d", errno);
	close(fd);
	name[249] = 'n', name[250] = 0;
	CHECK_ERRNO(memfd_create(name, 0), EINVAL, "memfd_create: a name of 250 bytes: EINVAL");
	name[sizeof name - 1] = 0;
	CHECK_ERRNO(memfd_create(name, 0), EINVAL, "memfd_create: a name of 299 bytes: EINVAL");
	CHECK_ERRNO(syscall(SYS_memfd_create, (char *)16, 0), EFAULT,
		  "memfd_create: name at address 16: EFAULT");
	CHECK_ERRNO(syscall(SYS_memfd_create, KERNEL_HALF, 0), EFAULT,
		  "memfd_create: a name in the kernel half: EFAULT");
	char *edge = (char *)sys_mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(edge + PAGE, PAGE);
	memset(edge + PAGE - 8, 'e', 8);
	CHECK_ERRNO(syscall(SYS_memfd_create, edge + PAGE - 8, 0), EFAULT,
		  "memfd_create: a name running into unmapped memory: EFAULT");
	edge[PAGE - 1] = 0;
	fd = syscall(SYS_memfd_create, edge + PAGE - 8, 0);
	tap_check(fd >= 0, "memfd_create: a name ending at a page's last byte", "errno %d", errno);
	close(fd);
	CHECK_ERRNO(memfd_create("x", 0x1000), EINVAL, "memfd_create: unknown flag 0x1000: EINVAL");
	CHECK_ERRNO(memfd_create("x", 0x80000000U), EINVAL, "memfd_create: flag bit 31: EINVAL");
	fd = memfd_create("", MFD_CLOEXEC);
	tap_check(fd >= 0, "memfd_create: an empty name is fine", "errno %d", errno);
	close(fd);
	fd = memfd_create("a/b", 0);
	tap_check(fd >= 0, "memfd_create: a name with a slash is fine", "errno %d", errno);
	close(fd);
}

static void case_seals(void *arg)
{
	(void)arg;
	int fd = memfd_create("s", 0);

	tap_check_long(fcntl(fd, F_GET_SEALS), F_SEAL_SEAL, "seals: without ALLOW_SEALING: F_SEAL_SEAL");
	CHECK_ERRNO(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EPERM, "seals: ... so adding one: EPERM");
	close(fd);
	int pfd[2];
	pipe(pfd);
	CHECK_ERRNO(fcntl(pfd[0], F_GET_SEALS), EINVAL, "seals: F_GET_SEALS of a pipe: EINVAL");
	CHECK_ERRNO(fcntl(pfd[0], F_ADD_SEALS, F_SEAL_SEAL), EPERM,
		  "seals: F_ADD_SEALS on a pipe's read end (not writable): EPERM");
	CHECK_ERRNO(fcntl(pfd[1], F_ADD_SEALS, F_SEAL_SEAL), EINVAL,
		  "seals: F_ADD_SEALS on a pipe's write end: EINVAL");
	close(pfd[0]), close(pfd[1]);
	fd = memfd_create("s", MFD_ALLOW_SEALING);
	CHECK_ERRNO(fcntl(fd, F_ADD_SEALS, 0x100), EINVAL, "seals: an unknown seal: EINVAL");
	ftruncate(fd, 2 * PAGE);
	char *w = (char *)sys_mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK_ERRNO(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EBUSY,
		  "seals: F_SEAL_WRITE with a writable shared mapping: EBUSY");
	char *dup = (char *)sys_mremap(w, 0, 2 * PAGE, MREMAP_MAYMOVE, NULL);
	char *moved = (char *)sys_mremap(w, 2 * PAGE, 2 * PAGE, MREMAP_MAYMOVE, NULL);
	munmap(moved, PAGE);
	CHECK_ERRNO(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EBUSY,
		  "seals: ... still EBUSY after a duplicate, a move and a partial unmap");
	munmap(moved + PAGE, PAGE);
	CHECK_ERRNO(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EBUSY, "seals: ... the duplicate still counts");
	munmap(dup, 2 * PAGE);
	pid_t kid = fork();
	if (kid == 0)
		_exit(0);
	tap_wait(kid);
	tap_check_long(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), 0,
		       "seals: F_SEAL_WRITE once every writable mapping is gone");
	CHECK_ERRNO(write(fd, "x", 1), EPERM, "seals: write after F_SEAL_WRITE: EPERM");
	CHECK_ERRNO(pwrite(fd, "x", 1, 100 * PAGE), EPERM, "seals: pwrite past the end: EPERM");
	CHECK_ERRNO(sys_mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), EPERM,
		  "seals: a writable shared mapping after it: EPERM");
	char *r = (char *)sys_mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
	CHECK_ERRNO(mprotect(r, PAGE, PROT_READ | PROT_WRITE), EACCES,
		  "seals: mprotect of a read-only shared mapping to write: EACCES");
	char *p = (char *)sys_mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	tap_check(p != MAP_FAILED, "seals: a private writable mapping is fine", "errno %d", errno);
	if (p != MAP_FAILED)
		p[0] = 'p';
	tap_check_long(r[0], 0, "... and its store stays private");
	tap_check_long(ftruncate(fd, PAGE), 0, "seals: F_SEAL_WRITE does not stop ftruncate");
	tap_check_long(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0, "seals: add SHRINK|GROW");
	CHECK_ERRNO(ftruncate(fd, 0), EPERM, "seals: ftruncate smaller: EPERM");
	CHECK_ERRNO(ftruncate(fd, 2 * PAGE), EPERM, "seals: ftruncate larger: EPERM");
	tap_check_long(ftruncate(fd, PAGE), 0, "seals: ftruncate to the same size: 0");
	tap_check_long(fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL), 0, "seals: add SEAL");
	CHECK_ERRNO(fcntl(fd, F_ADD_SEALS, 0), EPERM, "seals: adding nothing after SEAL: EPERM");
	tap_check_long(fcntl(fd, F_GET_SEALS), F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE,
		       "seals: F_GET_SEALS shows all four");
	close(fd);
	/* FUTURE_WRITE: a mapping made before keeps writing, a new one cannot */
	fd = memfd_create("f", MFD_ALLOW_SEALING);
	ftruncate(fd, PAGE);
	w = (char *)sys_mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	tap_check_long(fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE), 0,
		       "seals: FUTURE_WRITE with a writable mapping: fine");
	w[0] = 'w';
	char c = 0;
	tap_check(pread(fd, &c, 1, 0) == 1 && c == 'w', "... the old mapping still writes", "read %d", c);
	CHECK_ERRNO(write(fd, "x", 1), EPERM, "... write(): EPERM");
	CHECK_ERRNO(sys_mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), EPERM,
		  "... a new writable shared mapping: EPERM");
	close(fd);
}

/* A child keeps writing through a shared mapping; F_SEAL_WRITE stays EBUSY. */
static void case_seal_race(void *arg)
{
	(void)arg;
	int fd = memfd_create("race", MFD_ALLOW_SEALING);
	ftruncate(fd, PAGE);
	volatile long *w = (long *)sys_mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	pid_t kid = fork();

	if (kid == 0) {
		for (;;)
			w[0]++;
	}
	int busy = 0;
	for (int i = 0; i < 200; i++)
		busy += fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE) == -1 && errno == EBUSY;
	munmap((void *)w, PAGE);
	tap_check_long(busy, 200, "seals: F_SEAL_WRITE is EBUSY while a child writes, 200 times");
	long before = 0, after = 0;
	pread(fd, &before, sizeof before, 0);
	sleep_ms(20);
	pread(fd, &after, sizeof after, 0);
	tap_check(after != before, "... and the child is writing", "%ld %ld", before, after);
	kill(kid, SIGKILL);
	tap_wait(kid);
	tap_check_long(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), 0, "... fine once the child is gone");
	close(fd);
}

/* ---- file clones ---- */

/* FICLONE's answer once Linux's generic checks pass: the host's tmpfs and
 * ext4 cannot clone (EOPNOTSUPP); here WANT. */
static int clone_ok(int want)
{
	return running_on_linux() ? EOPNOTSUPP : want;
}

/* ioctl(dst, FICLONERANGE) of LEN bytes at SOFF of src onto DOFF. */
static long clone_range(int dst, int src, uint64_t soff, uint64_t len, uint64_t doff)
{
	struct file_clone_range r = { .src_fd = src, .src_offset = soff, .src_length = len,
				      .dest_offset = doff };
	return ioctl(dst, FICLONERANGE, &r);
}

/* Expect a clone call that may succeed here: WANT 0 is a return of 0. */
static void check_clone(long ret, int want, const char *what)
{
	int err = errno;

	if (want == 0)
		tap_check(ret == 0, what, "returned %ld errno %d (%s)", ret, err, strerror(err));
	else
		tap_check_errno(ret, err, want, what);
}

static void case_clone_kinds(void *arg)
{
	(void)arg;
	int src = make_file("src", 4 * PAGE, O_RDWR);
	int dst = make_file("dst", 0, O_RDWR);
	int pfd[2];

	CHECK_ERRNO(ioctl(dst, FICLONE, -1), EBADF, "FICLONE: source fd -1: EBADF");
	CHECK_ERRNO(ioctl(dst, FICLONE, 1 << 20), EBADF, "FICLONE: a huge source fd: EBADF");
	int op = open(path_in("src"), O_PATH);
	CHECK_ERRNO(ioctl(op, FICLONE, src), EBADF, "FICLONE: onto an O_PATH fd: EBADF");
	close(op);
	int pm = open("/proc/self/maps", O_RDONLY);
	CHECK_ERRNO(ioctl(dst, FICLONE, pm), EXDEV, "FICLONE: from /proc: EXDEV");
	close(pm);
	pipe(pfd);
	CHECK_ERRNO(ioctl(dst, FICLONE, pfd[0]), EXDEV, "FICLONE: from a pipe: EXDEV");
	CHECK_ERRNO(ioctl(pfd[1], FICLONE, src), EXDEV, "FICLONE: onto a pipe: EXDEV");
	close(pfd[0]), close(pfd[1]);
	int dn = open("/dev/null", O_RDWR);
	CHECK_ERRNO(ioctl(dn, FICLONE, src), EXDEV, "FICLONE: onto /dev/null: EXDEV");
	close(dn);
	int mfd = memfd_create("m", 0);
	ftruncate(mfd, PAGE);
	CHECK_ERRNO(ioctl(dst, FICLONE, mfd), EXDEV, "FICLONE: from a memfd: EXDEV");
	CHECK_ERRNO(ioctl(mfd, FICLONE, src), EXDEV, "FICLONE: onto a memfd: EXDEV");
	close(mfd);
	int d = open(dir, O_RDONLY | O_DIRECTORY);
	CHECK_ERRNO(ioctl(dst, FICLONE, d), EISDIR, "FICLONE: from a directory: EISDIR");
	CHECK_ERRNO(ioctl(d, FICLONE, src), EISDIR, "FICLONE: onto a directory: EISDIR");
	close(d);
	int ro = open(path_in("dst"), O_RDONLY);
	int ap = open(path_in("dst"), O_WRONLY | O_APPEND);
	int wo = open(path_in("src"), O_WRONLY);
	CHECK_ERRNO(ioctl(ro, FICLONE, src), EBADF, "FICLONE: onto a read-only fd: EBADF");
	CHECK_ERRNO(ioctl(ap, FICLONE, src), EBADF, "FICLONE: onto an O_APPEND fd: EBADF");
	CHECK_ERRNO(ioctl(dst, FICLONE, wo), EBADF, "FICLONE: from a write-only fd: EBADF");
	CHECK_ERRNO(clone_range(ro, src, 1, PAGE, 0), EBADF,
		  "FICLONERANGE: a read-only destination before an unaligned offset: EBADF");
	close(ro), close(ap), close(wo);
	CHECK_ERRNO(ioctl(dst, FICLONERANGE, (void *)16), EFAULT, "FICLONERANGE: argument at 16: EFAULT");
	CHECK_ERRNO(ioctl(dst, FICLONERANGE, KERNEL_HALF), EFAULT,
		  "FICLONERANGE: an argument in the kernel half: EFAULT");
	check_clone(ioctl(src, FICLONE, src), clone_ok(EINVAL), "FICLONE: a file onto itself: EINVAL");
	int empty = make_file("empty", 0, O_RDWR);
	check_clone(ioctl(empty, FICLONE, empty), clone_ok(0), "FICLONE: an empty file onto itself: 0");
	close(empty);
	close(src), close(dst);
}

static void case_clone_ranges(void *arg)
{
	(void)arg;
	int src = make_file("src", 4 * PAGE + 100, O_RDWR);
	int dst = make_file("dst", 0, O_RDWR);

	check_clone(clone_range(dst, src, 1, PAGE, 0), clone_ok(EINVAL), "FICLONERANGE: unaligned source offset: EINVAL");
	check_clone(clone_range(dst, src, 0, PAGE, 1), clone_ok(EINVAL), "FICLONERANGE: unaligned destination offset: EINVAL");
	check_clone(clone_range(dst, src, 0, 100, 0), clone_ok(EINVAL), "FICLONERANGE: unaligned length short of EOF: EINVAL");
	check_clone(clone_range(dst, src, 5 * PAGE, PAGE, 0), clone_ok(EINVAL), "FICLONERANGE: source offset past EOF: EINVAL");
	check_clone(clone_range(dst, src, PAGE, -PAGE, 0), clone_ok(EINVAL), "FICLONERANGE: a length that wraps: EINVAL");
	check_clone(clone_range(dst, src, 1UL << 63, PAGE, 0), clone_ok(EINVAL), "FICLONERANGE: source offset 2^63: EINVAL");
	check_clone(clone_range(dst, src, 0, PAGE, 1UL << 63), clone_ok(EINVAL), "FICLONERANGE: destination offset 2^63: EINVAL");
	check_clone(clone_range(dst, src, 0, PAGE, 1UL << 62), clone_ok(EFBIG), "FICLONERANGE: destination offset 2^62: EFBIG");
	check_clone(clone_range(src, src, 0, 2 * PAGE, PAGE), clone_ok(EINVAL), "FICLONERANGE: overlapping ranges of one file: EINVAL");
	check_clone(clone_range(src, src, PAGE, 2 * PAGE, 0), clone_ok(EINVAL), "FICLONERANGE: overlapping from above: EINVAL");
	check_clone(clone_range(src, src, 0, PAGE, 2 * PAGE), clone_ok(0), "FICLONERANGE: disjoint ranges of one file: 0");
	check_clone(clone_range(dst, src, 4 * PAGE, 0, 0), clone_ok(0), "FICLONERANGE: the partial last page to EOF: 0");
	check_clone(clone_range(dst, src, 4 * PAGE, 0, PAGE), clone_ok(0), "FICLONERANGE: ... onto page 1 of a 100-byte file: 0");
	check_clone(clone_range(dst, src, 4 * PAGE, 0, 0), clone_ok(EINVAL),
		    "FICLONERANGE: ... onto page 0 of a longer file (its tail would show): EINVAL");
	if (!running_on_linux()) {
		char buf[PAGE];
		struct stat st;
		fstat(dst, &st);
		tap_check_long(st.st_size, PAGE + 100, "FICLONERANGE: the destination is 1 page + 100 bytes");
		tap_check(pread(src, buf, PAGE, 0) == PAGE && buf[0] == 'a' && buf[PAGE - 1] == 'a',
			  "... and the source's page 2, cloned from page 0, kept page 0 intact", "%c", buf[0]);
		tap_check(pread(src, buf, 1, 2 * PAGE) == 1 && buf[0] == 'a',
			  "... its page 2 is a copy of page 0", "'%c'", buf[0]);
	}
	close(src), close(dst);
}

/* The parent clones src onto dst again and again while a child stores into
 * src through a MAP_SHARED mapping and another stores into dst: no store of
 * the child writing src may show in dst after the clone, nor any store into
 * dst in src. */
static void case_clone_race(void *arg)
{
	(void)arg;
	if (running_on_linux()) {
		tap_skip("FICLONE racing writers", "the host's file systems cannot clone");
		return;
	}
	int src = make_file("src", 4 * PAGE, O_RDWR);
	int dst = make_file("dst", 4 * PAGE, O_RDWR);
	volatile long *s = (long *)sys_mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, src, 0);
	volatile long *d = (long *)sys_mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, dst, 0);
	pid_t ws = fork();
	if (ws == 0)
		for (long n = 1;; n++)
			for (int pg = 0; pg < 4; pg++)
				s[pg * PAGE / 8] = n;
	pid_t wd = fork();
	if (wd == 0)
		for (;;)
			for (int pg = 0; pg < 4; pg++)
				d[pg * PAGE / 8 + 1] = -1;
	int bad = 0, failed = 0;
	for (int round = 0; round < 60; round++) {
		long a[4], b[4];
		failed += ioctl(dst, FICLONE, src) != 0;
		for (int pg = 0; pg < 4; pg++)
			pread(dst, &a[pg], 8, pg * PAGE);
		sleep_ms(2);
		for (int pg = 0; pg < 4; pg++)
			pread(dst, &b[pg], 8, pg * PAGE);
		for (int pg = 0; pg < 4; pg++)
			bad += a[pg] != b[pg];
		long t = 0;
		for (int pg = 0; pg < 4; pg++)
			pread(src, &t, 8, pg * PAGE + 8), bad += t == -1;
	}
	kill(ws, SIGKILL), kill(wd, SIGKILL);
	tap_wait(ws), tap_wait(wd);
	tap_check_long(failed, 0, "FICLONE racing writers: every clone succeeds");
	tap_check_long(bad, 0, "... no store into the source reaches the clone after it, none into the clone the source");
	close(src), close(dst);
}

/* ---- truncating and unlinking mapped files ---- */

static void case_truncate_mapped(void *arg)
{
	(void)arg;
	int fd = make_file("t", 4 * PAGE, O_RDWR);
	char *s = (char *)sys_mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	char *p = (char *)sys_mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);

	p[0] = 'P', p[2 * PAGE] = 'Q';           /* private copies of pages 0 and 2 */
	tap_check(p[PAGE] == 'b' && s[3 * PAGE] == 'd', "truncate: the mappings read the file",
		  "%c %c", p[PAGE], s[3 * PAGE]);
	tap_check_long(ftruncate(fd, 100), 0, "truncate: to 100 bytes while mapped");
	tap_check_long(p[0], 'P', "... a private copy within the file is kept");
	tap_check_long(s[99], 'a', "... the shared mapping keeps the first 100 bytes");
	tap_check_long(s[100], 0, "... and reads 0 past the new end in the last page");
	tap_check_long(p[PAGE - 1] + 0, 'a', "... the private copy keeps its whole page");
	tap_check(killed_by(child_status(touch, p + 2 * PAGE), SIGBUS),
		  "... a private copy past the end is gone: SIGBUS", "not SIGBUS");
	tap_check(killed_by(child_status(touch, p + PAGE), SIGBUS),
		  "... an untouched private page past the end: SIGBUS", "not SIGBUS");
	tap_check(killed_by(child_status(poke, s + 3 * PAGE), SIGBUS),
		  "... a shared page past the end: SIGBUS", "not SIGBUS");
	tap_check_long(ftruncate(fd, 4 * PAGE), 0, "truncate: grown back to 4 pages");
	tap_check(s[2 * PAGE] == 0 && p[2 * PAGE] == 0, "... the pages are holes now: zeros",
		  "%d %d", s[2 * PAGE], p[2 * PAGE]);
	s[3 * PAGE] = 'S';
	tap_check_long(p[3 * PAGE], 'S', "... an untouched private page sees a shared store");
	tap_check_long(ftruncate(fd, 0), 0, "truncate: to 0");
	tap_check(killed_by(child_status(touch, s), SIGBUS), "... page 0 of the shared mapping: SIGBUS",
		  "not SIGBUS");
	tap_check(killed_by(child_status(touch, p), SIGBUS),
		  "... the private copy of page 0, now wholly past the end: SIGBUS", "not SIGBUS");
	close(fd);
}

static void case_unlink_mapped(void *arg)
{
	(void)arg;
	int fd = make_file("u", 64 * PAGE, O_RDWR);
	char *s = (char *)sys_mmap(NULL, 64 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	char *p = (char *)sys_mmap(NULL, 64 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);

	close(fd);
	tap_check_long(unlink(path_in("u")), 0, "unlink: a mapped file");
	s[0] = 'S';
	tap_check_long(p[0], 'S', "... the mappings still share its pages");
	for (int i = 0; i < 64; i++)
		s[i * PAGE + 1] = 's';
	for (int i = 0; i < 64; i++)
		p[i * PAGE] = 'p';
	pid_t kid = fork();
	if (kid == 0) {
		s[5] = 'k';
		_exit(0);
	}
	tap_wait(kid);
	tap_check_long(s[5], 'k', "... a child's store through the inherited shared mapping");
	char *g = (char *)sys_mremap(s, 64 * PAGE, 128 * PAGE, MREMAP_MAYMOVE, NULL);
	tap_check(g != MAP_FAILED && killed_by(child_status(touch, g + 100 * PAGE), SIGBUS),
		  "... grown by mremap past its end: SIGBUS there", "errno %d", errno);
	munmap(g, 128 * PAGE);
	tap_check_long(p[1], 's', "... the private mapping outlives the shared one");
}

/* ---- execve of absurd ELF files ---- */

/* exit(42), position-independent */
static const unsigned char exit42[] = { 0xbf, 42, 0, 0, 0, 0xb8, 60, 0, 0, 0, 0x0f, 0x05 };

/* An ELF image: the header, 3 program headers, the interpreter's path, the
 * code.  One PT_LOAD maps the first page at 0 (R+X), the entry is the code. */
struct image {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[3];
	char interp[PATH_MAX + 8];
	unsigned char code[16];
};

#define IMG_INTERP offsetof(struct image, interp)
#define IMG_CODE offsetof(struct image, code)

/* An ET_DYN program exiting 42 with PT_INTERP INTERP (none when NULL). */
static void image_init(struct image *im, const char *interp)
{
	memset(im, 0, sizeof *im);
	memcpy(im->eh.e_ident, ELFMAG, SELFMAG);
	im->eh.e_ident[EI_CLASS] = ELFCLASS64;
	im->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	im->eh.e_ident[EI_VERSION] = EV_CURRENT;
	im->eh.e_type = ET_DYN;
	im->eh.e_machine = EM_X86_64;
	im->eh.e_version = EV_CURRENT;
	im->eh.e_entry = IMG_CODE;
	im->eh.e_phoff = offsetof(struct image, ph);
	im->eh.e_ehsize = sizeof im->eh;
	im->eh.e_phentsize = sizeof im->ph[0];
	im->eh.e_phnum = 1;
	im->ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = 0,
				  .p_vaddr = 0, .p_filesz = sizeof *im, .p_memsz = sizeof *im,
				  .p_align = PAGE };
	memcpy(im->code, exit42, sizeof exit42);
	if (interp) {
		strcpy(im->interp, interp);
		im->ph[1] = (Elf64_Phdr){ .p_type = PT_INTERP, .p_flags = PF_R, .p_offset = IMG_INTERP,
					  .p_vaddr = IMG_INTERP, .p_filesz = strlen(interp) + 1,
					  .p_memsz = strlen(interp) + 1, .p_align = 1 };
		im->eh.e_phnum = 2;
	}
}

static int image_write(const char *name, const struct image *im)
{
	int fd = open(path_in(name), O_WRONLY | O_CREAT | O_TRUNC, 0755);
	long n = write(fd, im, sizeof *im);

	close(fd);
	return n == (long)sizeof *im ? 0 : -1;
}

/* Run NAME in a child: the child's wait status, with execve's errno as the
 * exit status 100 + errno when it failed. */
static int run_image(const char *name)
{
	pid_t pid = fork();

	if (pid == 0) {
		char *argv[] = { (char *)name, NULL };
		execve(path_in(name), argv, environ);
		_exit(100 + errno);
	}
	return tap_wait(pid);
}

static void check_exec(const char *name, int want_errno, const char *what)
{
	int st = run_image(name);
	int want = want_errno ? 100 + want_errno : 42;

	tap_check(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == want, what, "%s (want %s %d)",
		  tap_status_str(st), want_errno ? "errno" : "exit", want_errno ? want_errno : 42);
}

/* A failed exec, or a process killed before it ran anything: where Linux
 * finds the fault only after its point of no return it kills the process;
 * either way the caller survives and nothing of the program runs. */
static void check_exec_refused(const char *name, const char *what)
{
	int st = run_image(name);

	tap_check(st != -1 && (WIFSIGNALED(st) || (WIFEXITED(st) && WEXITSTATUS(st) > 100)), what,
		  "%s", tap_status_str(st));
}

static void case_exec_interp(void *arg)
{
	static struct image im;
	char longpath[PATH_MAX];
	(void)arg;

	image_init(&im, NULL);
	image_write("plain", &im);
	check_exec("plain", 0, "exec: the control case, a static ET_DYN exiting 42");
	image_init(&im, path_in("self"));
	image_write("self", &im);
	check_exec("self", 0, "exec: a program that is its own interpreter runs (as the interpreter)");
	image_init(&im, "/dev/zero");
	image_write("devzero", &im);
	check_exec("devzero", EACCES, "exec: PT_INTERP /dev/zero: EACCES");
	image_init(&im, "/proc/self/maps");
	image_write("procmaps", &im);
	check_exec("procmaps", EACCES, "exec: PT_INTERP /proc/self/maps (no x bit): EACCES");
	image_init(&im, dir);
	image_write("isdir", &im);
	check_exec("isdir", EACCES, "exec: PT_INTERP a directory: EACCES");
	/* a huge sparse interpreter: its first bytes are zeros, not ELF */
	int big = open(path_in("huge"), O_WRONLY | O_CREAT | O_TRUNC, 0755);
	tap_check_long(ftruncate(big, 1L << 29), 0, "exec: a 512 MiB sparse interpreter file");
	close(big);
	image_init(&im, path_in("huge"));
	image_write("tohuge", &im);
	check_exec("tohuge", ELIBBAD, "exec: PT_INTERP a huge file of zeros: ELIBBAD");
	/* a huge interpreter that is an ELF header followed by a hole */
	image_init(&im, NULL);
	im.ph[0].p_filesz = im.ph[0].p_memsz = 1L << 27;
	image_write("hugeld", &im);
	big = open(path_in("hugeld"), O_WRONLY);
	ftruncate(big, 1L << 27);
	close(big);
	image_init(&im, path_in("hugeld"));
	image_write("tohugeld", &im);
	check_exec("tohugeld", 0, "exec: PT_INTERP a 128 MiB sparse ELF interpreter runs it");
	/* a path of 4095 bytes: a name too long, not a short read */
	memset(longpath, 'a', sizeof longpath);
	longpath[0] = '/';
	longpath[PATH_MAX - 1] = 0;
	image_init(&im, longpath);
	image_write("longpath", &im);
	check_exec("longpath", ENAMETOOLONG, "exec: a PT_INTERP of 4095 bytes: ENAMETOOLONG");
	for (int i = 1; i < PATH_MAX - 1; i += 2)
		longpath[i] = '/';
	image_init(&im, longpath);
	image_write("slashes", &im);
	check_exec("slashes", ENOENT, "exec: a PT_INTERP of 2047 one-letter components: ENOENT");
	int sh = open(path_in("script"), O_WRONLY | O_CREAT | O_TRUNC, 0755);
	const char *text = "#!/bin/sh\n# longer than an ELF header, so that it is read whole\nexit 42\n";
	write(sh, text, strlen(text));
	close(sh);
	image_init(&im, path_in("script"));
	image_write("toscript", &im);
	check_exec("toscript", ELIBBAD, "exec: PT_INTERP a #! script: ELIBBAD");
	symlink(path_in("loop1"), path_in("loop2"));
	symlink(path_in("loop2"), path_in("loop1"));
	image_init(&im, path_in("loop1"));
	image_write("toloop", &im);
	check_exec("toloop", ELOOP, "exec: PT_INTERP a symlink loop: ELOOP");
	image_init(&im, ".");
	image_write("todot", &im);
	check_exec("todot", EACCES, "exec: PT_INTERP \".\": EACCES");
	/* an interpreter whose segments span most of the address space */
	image_init(&im, NULL);
	im.ph[1] = im.ph[0];
	im.ph[1].p_vaddr = 0x700000000000UL;
	im.eh.e_phnum = 2;
	image_write("wideld", &im);
	image_init(&im, path_in("wideld"));
	image_write("towide", &im);
	check_exec_refused("towide", "exec: an interpreter spanning 112 TiB: refused");
	/* an ET_DYN interpreter linked at 256 MiB: placed by its lowest segment */
	image_init(&im, NULL);
	im.ph[0].p_vaddr = 0x10000000;
	im.eh.e_entry = 0x10000000 + IMG_CODE;
	image_write("highld", &im);
	image_init(&im, path_in("highld"));
	image_write("tohigh", &im);
	check_exec("tohigh", 0, "exec: an ET_DYN interpreter whose segment starts at 256 MiB runs");
	/* its entry point outside its segments: it starts and faults */
	image_init(&im, NULL);
	im.eh.e_entry = 0x100000;
	image_write("badentry", &im);
	image_init(&im, path_in("badentry"));
	image_write("tobadentry", &im);
	int st = run_image("tobadentry");
	tap_check(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV,
		  "exec: an interpreter entering outside its segments: SIGSEGV", "%s", tap_status_str(st));
	/* two PT_INTERPs: the first counts */
	image_init(&im, path_in("self"));
	im.ph[2] = im.ph[1];
	im.ph[2].p_offset = IMG_INTERP + 1;
	im.eh.e_phnum = 3;
	image_write("twointerp", &im);
	check_exec("twointerp", 0, "exec: two PT_INTERPs, the first valid: runs");
	image_init(&im, "/nonexistent");
	im.ph[2] = (Elf64_Phdr){ .p_type = PT_INTERP, .p_offset = 0, .p_filesz = 4 };
	im.eh.e_phnum = 3;
	image_write("twointerp2", &im);
	check_exec("twointerp2", ENOENT, "exec: two PT_INTERPs, the first missing: ENOENT");
}

static void case_exec_phdrs(void *arg)
{
	static struct image im;
	(void)arg;

	image_init(&im, NULL);
	im.eh.e_phnum = 0;
	image_write("phnum0", &im);
	check_exec("phnum0", ENOEXEC, "exec: e_phnum 0: ENOEXEC");
	image_init(&im, NULL);
	im.eh.e_phnum = 0xffff;
	image_write("phnum65535", &im);
	check_exec("phnum65535", ENOEXEC, "exec: e_phnum 65535: ENOEXEC");
	image_init(&im, NULL);
	im.eh.e_phoff = 1L << 40;
	image_write("phoff", &im);
	check_exec_refused("phoff", "exec: e_phoff past the end: refused");
	image_init(&im, NULL);
	im.eh.e_phoff = -8UL;
	image_write("phoffwrap", &im);
	check_exec_refused("phoffwrap", "exec: e_phoff that wraps: refused");
	image_init(&im, NULL);
	im.ph[0].p_vaddr = 0x7ffffffff000UL;
	im.eh.e_entry = 0x7ffffffff000UL + IMG_CODE;
	image_write("top", &im);
	check_exec_refused("top", "exec: ET_DYN with a segment at the top of user space: refused");
	image_init(&im, NULL);
	im.ph[0].p_vaddr = -PAGE;
	image_write("wrap", &im);
	check_exec_refused("wrap", "exec: a segment whose end wraps: refused");
	image_init(&im, NULL);
	im.ph[0].p_memsz = 1UL << 62;
	image_write("memsz", &im);
	check_exec_refused("memsz", "exec: p_memsz 2^62: refused");
	image_init(&im, NULL);
	im.ph[0].p_memsz = 16;
	image_write("filesz", &im);
	check_exec_refused("filesz", "exec: p_filesz > p_memsz: refused");
	image_init(&im, NULL);
	im.ph[0].p_offset = 1L << 40;
	im.ph[0].p_vaddr = 0;
	image_write("offset", &im);
	check_exec_refused("offset", "exec: p_offset past the end of the file: refused");
	image_init(&im, NULL);
	im.ph[0].p_offset = 1;
	image_write("misalign", &im);
	check_exec_refused("misalign", "exec: p_offset and p_vaddr not congruent: refused");
	image_init(&im, NULL);
	im.ph[0].p_align = 3;
	image_write("align3", &im);
	check_exec("align3", 0, "exec: p_align 3 (not a power of 2) is ignored: runs");
	image_init(&im, NULL);
	im.ph[0].p_align = 1UL << 40;
	image_write("align40", &im);
	int st = run_image("align40");
	tap_check(st != -1 && (WIFSIGNALED(st) || (WIFEXITED(st) && WEXITSTATUS(st) == 42) ||
			       (WIFEXITED(st) && WEXITSTATUS(st) > 100)),
		  "exec: p_align 2^40: runs (Linux) or refused", "%s", tap_status_str(st));
	image_init(&im, NULL);
	im.ph[1] = im.ph[0];
	im.ph[1].p_vaddr = 0x1000000000UL;
	im.ph[1].p_offset = 0;
	im.eh.e_phnum = 2;
	image_write("spread", &im);
	check_exec("spread", 0, "exec: ET_DYN with segments 64 GiB apart: runs");
}

/* ---- a file's own mapping as the buffer of its read() and write() ---- */

static void case_self_buffers(void *arg)
{
	(void)arg;
	int fd = make_file("self", 8 * PAGE, O_RDWR);
	char *s = (char *)sys_mmap(NULL, 10 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	char *p = (char *)sys_mmap(NULL, 8 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	char c = 0;

	tap_check_long(pwrite(fd, s, 4 * PAGE, 2 * PAGE), 4 * PAGE,
		       "write(): from the file's own shared mapping, overlapping, untouched pages");
	tap_check(pread(fd, &c, 1, 2 * PAGE) == 1 && c == 'a', "... page 2 now holds page 0's bytes",
		  "'%c'", c);
	tap_check_long(pread(fd, s + PAGE, 2 * PAGE, 4 * PAGE), 2 * PAGE,
		       "read(): into the file's own shared mapping");
	tap_check_long(pread(fd, p + 3 * PAGE, 3 * PAGE, 0), 3 * PAGE,
		       "read(): into the file's own private mapping (copies on write)");
	tap_check(pread(fd, &c, 1, 3 * PAGE) == 1 && c == 'b',
		  "... the file is unchanged by it", "'%c'", c);
	CHECK_ERRNO(pwrite(fd, s + 8 * PAGE, 100, 0), EFAULT,
		  "write(): from a shared page past EOF: EFAULT, no SIGBUS");
	CHECK_ERRNO(pread(fd, s + 9 * PAGE, 100, 0), EFAULT,
		  "read(): into a shared page past EOF: EFAULT, no SIGBUS");
	long r = pwrite(fd, s + 7 * PAGE, 2 * PAGE, 0);
	tap_check(r == PAGE, "write(): a buffer running past EOF is a short write", "returned %ld errno %d",
		  r, errno);
	/* a write that grows the file from a mapping of its own end */
	tap_check_long(pwrite(fd, s + 7 * PAGE, PAGE, 8 * PAGE), PAGE,
		       "write(): growing the file from its own last page");
	tap_check_long(s[8 * PAGE], s[7 * PAGE], "... and the page past the old end now maps");
	close(fd);
}

/* Two processes each write() one file from a shared mapping of the other. */
static void case_cross_buffers(void *arg)
{
	(void)arg;
	int a = make_file("a", 64 * PAGE, O_RDWR), b = make_file("b", 64 * PAGE, O_RDWR);
	char *ma = (char *)sys_mmap(NULL, 64 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, a, 0);
	char *mb = (char *)sys_mmap(NULL, 64 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, b, 0);
	pid_t kid = fork();

	for (int round = 0; round < 50; round++) {
		int to = kid == 0 ? a : b;
		char *from = kid == 0 ? mb : ma;
		if (pwrite(to, from, 64 * PAGE, 0) != 64 * PAGE)
			break;
		madvise(from, 64 * PAGE, MADV_DONTNEED);
		ftruncate(to, (round % 3 + 62) * PAGE);
		ftruncate(to, 64 * PAGE);
	}
	if (kid == 0)
		_exit(0);
	int st = tap_wait(kid);
	tap_check(st != -1 && WIFEXITED(st), "two processes writing each file from the other's mapping",
		  "%s", tap_status_str(st));
	close(a), close(b);
}

/* /dev/zero and MAP_SHARED|MAP_ANONYMOUS memory grown by mremap; MADV_REMOVE. */
static void case_shmem_grow(void *arg)
{
	(void)arg;
	char *s = (char *)sys_mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	s[0] = 's';
	char *g = (char *)sys_mremap(s, 2 * PAGE, 4 * PAGE, MREMAP_MAYMOVE, NULL);
	tap_check(g != MAP_FAILED && g[0] == 's', "mremap: grow shared anonymous memory", "errno %d", errno);
	if (g != MAP_FAILED)
		tap_check(killed_by(child_status(touch, g + 3 * PAGE), SIGBUS),
			  "... past its file's size: SIGBUS", "not SIGBUS");
	int z = open("/dev/zero", O_RDWR);
	char *d = (char *)sys_mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, z, 0);
	char *dd = (char *)sys_mremap(d, 0, 2 * PAGE, MREMAP_MAYMOVE, NULL);
	tap_check(dd != MAP_FAILED, "mremap: duplicate a shared /dev/zero mapping", "errno %d", errno);
	if (dd != MAP_FAILED) {
		dd[5] = 'd';
		tap_check_long(d[5], 'd', "... the duplicate shares its pages");
	}
	int fd = make_file("f", 4 * PAGE, O_RDWR);
	char *f = (char *)sys_mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	f[0] = 'F';
	tap_check_long(madvise(f, 4 * PAGE, MADV_DONTNEED), 0, "MADV_DONTNEED of a shared file mapping");
	tap_check_long(f[0], 'F', "... the data stay in the file");
	close(fd), close(z);
}

/* A file mapped shared and writable cannot be executed (its writer holds it
 * open for writing) - ETXTBSY - even once its descriptor is closed. */
static void case_exec_mapped_writable(void *arg)
{
	static struct image im;
	(void)arg;

	image_init(&im, NULL);
	image_write("prog", &im);
	int fd = open(path_in("prog"), O_RDWR);
	char *w = (char *)sys_mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	check_exec("prog", ETXTBSY, "exec: a file mapped shared writable, its fd closed: ETXTBSY");
	munmap(w, PAGE);
	check_exec("prog", 0, "exec: ... runs once it is unmapped");
	fd = open(path_in("prog"), O_RDONLY);
	char *r = (char *)sys_mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	close(fd);
	r[0] = 0;
	check_exec("prog", 0, "exec: a file mapped private and written runs");
}

/* ---- seals against read-only and older mappings ---- */

static void case_seals_maywrite(void *arg)
{
	(void)arg;
	int fd = memfd_create("m", MFD_ALLOW_SEALING);
	ftruncate(fd, 2 * PAGE);
	char *r = (char *)sys_mmap(NULL, 2 * PAGE, PROT_READ, MAP_SHARED, fd, 0);

	CHECK_ERRNO(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EBUSY,
		  "seals: F_SEAL_WRITE with a read-only shared mapping of an O_RDWR fd: EBUSY (it may write)");
	munmap(r, 2 * PAGE);
	char *old = (char *)sys_mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
	CHECK_ERRNO(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EBUSY, "seals: ... again with a new one");
	tap_check_long(fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE), 0, "seals: FUTURE_WRITE with it: fine");
	tap_check_long(mprotect(old, PAGE, PROT_READ | PROT_WRITE), 0,
		       "seals: ... the mapping made before it may still become writable");
	char *ro = (char *)sys_mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
	CHECK_ERRNO(mprotect(ro, PAGE, PROT_READ | PROT_WRITE), EACCES,
		  "seals: a read-only shared mapping made after FUTURE_WRITE cannot: EACCES");
	char *grown = (char *)sys_mremap(ro, PAGE, 2 * PAGE, MREMAP_MAYMOVE, NULL);
	CHECK_ERRNO(mprotect(grown, 2 * PAGE, PROT_READ | PROT_WRITE), EACCES,
		  "seals: ... nor once mremap moved and grew it");
	char *dup = (char *)sys_mremap(grown, 0, PAGE, MREMAP_MAYMOVE, NULL);
	CHECK_ERRNO(mprotect(dup, PAGE, PROT_READ | PROT_WRITE), EACCES, "seals: ... nor its duplicate");
	pid_t kid = fork();
	if (kid == 0) {
		old[1] = 'k';
		_exit(0);
	}
	tap_wait(kid);
	tap_check_long(old[1], 'k', "seals: a child writes through the inherited older mapping");
	close(fd);
}

/* ---- the count of writable shared mappings behind F_SEAL_WRITE ---- */

/* Expect F_SEAL_WRITE on FD to be EBUSY: a mapping may still write. */
static void expect_busy(int fd, const char *what)
{
	CHECK_ERRNO(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EBUSY, what);
}

static void case_seal_counting(void *arg)
{
	(void)arg;
	int fd = memfd_create("count", MFD_ALLOW_SEALING);
	ftruncate(fd, 8 * PAGE);
	char *a = (char *)sys_mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	mprotect(a + PAGE, PAGE, PROT_READ);		/* three regions now */
	munmap(a, PAGE);
	munmap(a + 2 * PAGE, PAGE);
	expect_busy(fd, "seal count: the read-only middle of a split mapping still may write: EBUSY");
	tap_check_long(mprotect(a + PAGE, PAGE, PROT_READ | PROT_WRITE), 0, "... and it may: mprotect");
	a[PAGE] = 'x';
	char *b = (char *)sys_mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 2 * PAGE);
	char *m = (char *)sys_mremap(a + PAGE, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, b);
	tap_check(m == b, "seal count: mremap one mapping over part of another", "errno %d", errno);
	expect_busy(fd, "seal count: ... the remains still count: EBUSY");
	char *k = (char *)sys_mremap(b, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL);
	munmap(b, 2 * PAGE);
	expect_busy(fd, "seal count: ... the DONTUNMAP copy still counts: EBUSY");
	int ready[2];
	pipe(ready);
	pid_t kid = fork();
	if (kid == 0) {
		munmap(k, PAGE);
		char *c = (char *)sys_mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		c[0] = 'c';
		execl("/nonexistent", "x", NULL);
		write(ready[1], "r", 1);	/* between its munmap and mmap it held none */
		pause();
	}
	char r;
	read(ready[0], &r, 1);
	munmap(k, PAGE);
	expect_busy(fd, "seal count: a child holds one: EBUSY");
	kill(kid, SIGKILL);
	tap_wait(kid);
	kid = fork();
	if (kid == 0) {
		sys_mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		char *argv[] = { "true", NULL };
		execv(tap_bin("true"), argv);
		_exit(1);
	}
	tap_wait(kid);
	tap_check_long(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), 0,
		       "seal count: 0 once all are gone (unmapped, killed, exec'd)");
	close(ready[0]);
	close(ready[1]);
	close(fd);
}

/* ---- /proc/self/mem into file mappings that may not be written ---- */

static void case_proc_mem(void *arg)
{
	(void)arg;
	int fd = make_file("ro", 2 * PAGE, O_RDONLY);
	char *s = (char *)sys_mmap(NULL, 2 * PAGE, PROT_READ, MAP_SHARED, fd, 0);
	char *p = (char *)sys_mmap(NULL, 2 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	int mem = open("/proc/self/mem", O_RDWR);
	char c = 0;

	tap_check(mem >= 0, "open /proc/self/mem", "errno %d", errno);
	CHECK_ERRNO(pwrite(mem, "X", 1, (long)s), EIO,
		  "/proc/self/mem: a write into a read-only shared file mapping: EIO");
	tap_check(pread(fd, &c, 1, 0) == 1 && c == 'a', "... the file is unchanged", "'%c'", c);
	tap_check_long(pwrite(mem, "Y", 1, (long)p + PAGE), 1,
		       "/proc/self/mem: a write into a read-only private file mapping (forced, copied)");
	tap_check_long(p[PAGE], 'Y', "... the process sees it");
	tap_check(pread(fd, &c, 1, PAGE) == 1 && c == 'b', "... the file does not", "'%c'", c);
	tap_check_long(s[PAGE], 'b', "... nor a shared mapping of the file");
	int rw = open(path_in("ro"), O_RDWR);
	char *w = (char *)sys_mmap(NULL, PAGE, PROT_READ, MAP_SHARED, rw, 0);
	CHECK_ERRNO(pwrite(mem, "Z", 1, (long)w), EIO,
		  "/proc/self/mem: a write into a read-only shared mapping of an O_RDWR fd: EIO");
	tap_check(pread(fd, &c, 1, 0) == 1 && c == 'a', "... the file is unchanged", "'%c'", c);
	close(rw), close(mem), close(fd);
}

/* ---- the largest file, and mappings running past it ---- */

static void case_largest(void *arg)
{
	(void)arg;
	long gib = 1L << 30;
	int fd = make_file("big", 0, O_RDWR);
	int dst = make_file("dst", 0, O_RDWR);

	tap_check_long(ftruncate(fd, gib), 0, "a sparse file of 1 GiB");
	pwrite(fd, "L", 1, gib - 1);
	char *s = (char *)sys_mmap(NULL, gib, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	tap_check(s != MAP_FAILED, "mmap: all of it, shared", "errno %d", errno);
	if (s == MAP_FAILED)
		return;
	tap_check_long(s[gib - 1], 'L', "... its last byte");
	char *g = (char *)sys_mremap(s, gib, gib + 2 * PAGE, MREMAP_MAYMOVE, NULL);
	tap_check(g != MAP_FAILED, "mremap: grown 2 pages past its end", "errno %d", errno);
	if (g == MAP_FAILED)
		return;
	tap_check(killed_by(child_status(poke, g + gib + PAGE), SIGBUS),
		  "... a store past the end: SIGBUS", "not SIGBUS");
	CHECK_ERRNO(madvise(g + gib, 2 * PAGE, 23 /* MADV_POPULATE_WRITE */), running_on_linux() ? EFAULT : EINVAL,
		  "MADV_POPULATE_WRITE past the end: EFAULT (Linux), EINVAL (no such advice here)");
	tap_check_long(madvise(g + gib - PAGE, 3 * PAGE, MADV_DONTNEED), 0,
		       "MADV_DONTNEED across the end");
	tap_check_long(madvise(g + gib - PAGE, 3 * PAGE, MADV_WILLNEED), 0,
		       "MADV_WILLNEED across the end");
	long r = clone_range(dst, fd, 0, 0, PAGE);
	check_clone(r, clone_ok(EINVAL), "FICLONERANGE: 1 GiB onto offset 4096 (would pass the largest file): EINVAL");
	check_clone(clone_range(dst, fd, gib - PAGE, 0, gib - PAGE), clone_ok(0),
		    "FICLONERANGE: the last page onto the last page");
	struct stat st;
	fstat(dst, &st);
	if (!running_on_linux())
		tap_check_long(st.st_size, gib, "... the destination is 1 GiB");
	if (running_on_linux())
		tap_check_long(pwrite(fd, "x", 1, gib), 1, "write(): at 1 GiB (Linux: no such limit)");
	else
		CHECK_ERRNO(pwrite(fd, "x", 1, gib), EFBIG, "write(): at 1 GiB: EFBIG here (the largest file)");
	munmap(g, gib + 2 * PAGE);
	close(fd), close(dst);
}

/* ---- O_PATH descriptors: they name a file and do nothing else ---- */

static void case_o_path(void *arg)
{
	(void)arg;
	int fd = make_file("f", PAGE, O_RDWR), src = dup(fd);
	int op = open(path_in("f"), O_PATH | O_TRUNC | O_RDWR);
	int od = open(dir, O_PATH | O_DIRECTORY);
	char c;
	struct stat st;

	tap_check(op >= 0 && od >= 0, "O_PATH: open a file and a directory", "errno %d", errno);
	tap_check(fstat(fd, &st) == 0 && st.st_size == PAGE, "O_PATH: O_TRUNC is ignored",
		  "size %ld", (long)st.st_size);
	CHECK_ERRNO(read(op, &c, 1), EBADF, "O_PATH: read: EBADF");
	CHECK_ERRNO(write(op, "x", 1), EBADF, "O_PATH: write (O_RDWR asked): EBADF");
	CHECK_ERRNO(sys_mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, op, 0), EBADF, "O_PATH: mmap: EBADF");
	CHECK_ERRNO(ioctl(op, FICLONE, src), EBADF, "O_PATH: FICLONE onto it: EBADF");
	CHECK_ERRNO(ioctl(fd, FICLONE, op), EBADF, "O_PATH: FICLONE from it: EBADF");
	CHECK_ERRNO(ftruncate(op, 0), EBADF, "O_PATH: ftruncate: EBADF");
	CHECK_ERRNO(lseek(op, 0, SEEK_SET), EBADF, "O_PATH: lseek: EBADF");
	CHECK_ERRNO(fcntl(op, F_SETFL, O_NONBLOCK), EBADF, "O_PATH: F_SETFL: EBADF");
	CHECK_ERRNO(fcntl(op, F_GET_SEALS), EBADF, "O_PATH: F_GET_SEALS: EBADF");
	tap_check((fcntl(op, F_GETFL) & O_PATH) != 0, "O_PATH: F_GETFL shows it", "%#x", fcntl(op, F_GETFL));
	tap_check(fstat(op, &st) == 0 && st.st_size == PAGE, "O_PATH: fstat works", "errno %d", errno);
	int d = dup(op);
	tap_check(d >= 0 && (fcntl(d, F_GETFL) & O_PATH), "O_PATH: dup works and stays O_PATH", "errno %d", errno);
	close(d);
	CHECK_ERRNO(syscall(SYS_getdents64, od, &st, sizeof st), EBADF, "O_PATH: getdents of a directory: EBADF");
	int in = openat(od, "f", O_RDONLY);
	tap_check(in >= 0 && read(in, &c, 1) == 1 && c == 'a', "O_PATH: a directory as openat's dirfd",
		  "errno %d", errno);
	close(in);
	int cwd = open(".", O_PATH | O_DIRECTORY);
	tap_check_long(fchdir(od), 0, "O_PATH: fchdir");
	tap_check(access("f", F_OK) == 0, "... into the directory", "errno %d", errno);
	fchdir(cwd);
	close(cwd), close(op), close(od), close(fd), close(src);
}

/* ---- a mounted tmpfs that holds a mapped file ---- */

static void case_umount_mapped(void *arg)
{
	(void)arg;
	const char *mnt = path_in("mnt");
	mkdir(mnt, 0755);
	if (mount("none", mnt, "tmpfs", 0, NULL) != 0) {
		tap_fail("mount a tmpfs", "errno %d", errno);
		return;
	}
	char file[1100];
	snprintf(file, sizeof file, "%s/f", mnt);
	int fd = open(file, O_RDWR | O_CREAT, 0644);
	ftruncate(fd, 4 * PAGE);
	char *s = (char *)sys_mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	int other = make_file("other", 4 * PAGE, O_RDWR);
	CHECK_ERRNO(ioctl(other, FICLONE, fd), EXDEV, "FICLONE: across tmpfs mounts: EXDEV");
	close(fd);
	s[0] = 'm';
	CHECK_ERRNO(umount(mnt), EBUSY, "umount: a tmpfs with a mapped file: EBUSY");
	tap_check_long(umount2(mnt, MNT_DETACH), 0, "umount: ... lazily: fine");
	s[PAGE] = 'n';
	tap_check(s[0] == 'm' && s[PAGE] == 'n', "... the mapping still works", "%c %c", s[0], s[PAGE]);
	char *g = (char *)sys_mremap(s, 4 * PAGE, 8 * PAGE, MREMAP_MAYMOVE, NULL);
	tap_check(g != MAP_FAILED, "... and mremap grows it", "errno %d", errno);
	munmap(g, 8 * PAGE);
	close(other);
}

/* ---- moving, truncating, cloning and touching one file at once ---- */

static struct {
	int fd, clone_fd;
	char *volatile cur;       /* where the shared mapping is now */
	char *slot[2];
	volatile int stop;
	sigjmp_buf env;
	volatile long moves, faults;
} race;

static void race_signal(int sig)
{
	(void)sig;
	race.faults++;
	siglongjmp(race.env, 1);
}

static void *race_mover(void *arg)
{
	(void)arg;
	for (int i = 0; !race.stop; i++) {
		char *to = race.slot[i & 1];
		char *r = (char *)sys_mremap(race.cur, 16 * PAGE, 16 * PAGE,
					     MREMAP_MAYMOVE | MREMAP_FIXED, to);
		if (r != MAP_FAILED)
			race.cur = r, race.moves++;
	}
	return NULL;
}

static void *race_truncator(void *arg)
{
	(void)arg;
	for (unsigned i = 1; !race.stop; i = i * 1103515245 + 12345) {
		ftruncate(race.fd, (i >> 16) % 17 * PAGE + (i >> 8) % 3 * 100);
		pwrite(race.fd, "w", 1, (i >> 12) % 16 * PAGE);
		ioctl(race.clone_fd, FICLONE, race.fd);
		ioctl(race.fd, FICLONE, race.clone_fd);
	}
	return NULL;
}

static void case_move_truncate_race(void *arg)
{
	(void)arg;
	pthread_t mover, truncator;
	struct sigaction sa = { .sa_handler = race_signal, .sa_flags = SA_NODEFER };

	race.fd = make_file("race", 16 * PAGE, O_RDWR);
	race.clone_fd = make_file("clone", 16 * PAGE, O_RDWR);
	race.slot[0] = (char *)sys_mmap(NULL, 16 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	race.slot[1] = (char *)sys_mmap(NULL, 16 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	race.cur = (char *)sys_mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, race.fd, 0);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	pthread_create(&mover, NULL, race_mover, NULL);
	pthread_create(&truncator, NULL, race_truncator, NULL);
	double end = now_s() + 2;
	long touches = 0;
	for (unsigned i = 0; now_s() < end; i++, touches++) {
		if (sigsetjmp(race.env, 1) == 0) {
			char *p = race.cur + (i % 16) * PAGE + (i % 7) * 8;
			*p = *p + 1;
		}
	}
	race.stop = 1;
	pthread_join(mover, NULL);
	pthread_join(truncator, NULL);
	tap_check(touches > 0 && race.moves > 0, "a mapping moved, truncated, cloned and written at once",
		  "%ld touches, %ld moves", touches, race.moves);
	tap_diag("%ld touches, %ld moves, %ld faults caught\n", touches, (long)race.moves,
		 (long)race.faults);
}

/* ---- fork racing a truncation's and a clone's unmapping ---- */

static struct {
	int fd, src[2];
	volatile int go, done, stop;
} fr;

/* For each fork of the main thread (fr.go), change page 0 of fr.fd once,
 * a little after the fork began: truncate it away and write it anew, or
 * clone another file over it. */
static void *fork_race_changer(void *arg)
{
	(void)arg;
	for (int round = 0; !fr.stop; round++) {
		while (!fr.go && !fr.stop)
			sched_yield();
		double until = now_s() + (round % 20) * 0.0001;
		while (now_s() < until)
			;
		char c = 'a' + round % 26;
		if (round & 1) {
			ftruncate(fr.fd, 0);
			ftruncate(fr.fd, 4 * PAGE);
			pwrite(fr.fd, &c, 1, 0);
		} else {
			ioctl(fr.fd, FICLONE, fr.src[round / 2 & 1]);
		}
		fr.go = 0;
		fr.done = 1;
	}
	return NULL;
}

/* In a forked child: does page 0 of the shared mapping show the file? */
static int child_sees_file(const char *map, int go, int fd)
{
	char c, f = 0;

	if (read(go, &c, 1) != 1)
		return 2;
	pread(fd, &f, 1, 0);
	return map[0] == f ? 0 : 1;
}

/* Read page 0 of both mappings; a SIGBUS (the file truncated) ends it. */
static void touch_both(volatile char *s, volatile char *p)
{
	if (sigsetjmp(race.env, 1) == 0)
		(void)s[0], (void)p[0];
}

static void case_fork_race(void *arg)
{
	(void)arg;
	pthread_t changer;
	int stale = 0, rounds = 0;
	struct sigaction sa = { .sa_handler = race_signal, .sa_flags = SA_NODEFER };

	sigaction(SIGBUS, &sa, NULL);

	fr.fd = make_file("f", 4 * PAGE, O_RDWR);
	fr.src[0] = make_file("s0", 4 * PAGE, O_RDWR);
	fr.src[1] = make_file("s1", 4 * PAGE, O_RDWR);
	pwrite(fr.src[1], "B", 1, 0);
	volatile char *s = (char *)sys_mmap(NULL, 4 * PAGE, PROT_READ, MAP_SHARED, fr.fd, 0);
	volatile char *p = (char *)sys_mmap(NULL, 4 * PAGE, PROT_READ, MAP_PRIVATE, fr.fd, 0);
	/* 16 MiB of written memory: each fork takes a while to copy it */
	char *ballast = (char *)sys_mmap(NULL, 4096 * PAGE, PROT_READ | PROT_WRITE,
					 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(ballast, 1, 4096 * PAGE);
	pthread_create(&changer, NULL, fork_race_changer, NULL);
	for (double end = now_s() + 3; now_s() < end; rounds++) {
		int go[2];
		pipe(go);
		touch_both(s, p);		/* both entries present at the fork */
		fr.done = 0;
		fr.go = 1;
		pid_t kid = fork();
		if (kid == 0)
			_exit(child_sees_file((const char *)s, go[0], fr.fd) |
			      child_sees_file((const char *)p, go[0], fr.fd) << 2);
		while (!fr.done)
			sched_yield();
		write(go[1], "gg", 2);
		int st = tap_wait(kid);
		stale += !WIFEXITED(st) || WEXITSTATUS(st) != 0;
		close(go[0]), close(go[1]);
	}
	fr.stop = 1;
	pthread_join(changer, NULL);
	tap_check(stale == 0, "fork racing truncation and FICLONE: no child keeps a dropped page",
		  "%d of %d children saw a page the file no longer has", stale, rounds);
	tap_diag("%d forks\n", rounds);
}

int main(int argc, char **argv)
{
	(void)argc;
	if (scratch_begin("hostile14", argv))
		return tap_done();
	run("mmap of what cannot be mapped", case_mmap_kinds, 30);
	run("/dev/zero shared and private", case_dev_zero, 30);
	run("mmap offsets, lengths, flags, mprotect", case_mmap_ranges, 30);
	run("mappings past EOF", case_past_eof, 30);
	run("msync flags and ranges", case_msync, 30);
	run("mremap bad ranges", case_mremap, 30);
	run("mremap of shared mappings", case_mremap_shared, 30);
	run("mremap of the heap and of memory with fork advice", case_mremap_odd, 30);
	run("memfd_create names and flags", case_memfd_names, 30);
	run("seals", case_seals, 30);
	run("F_SEAL_WRITE against a writing child", case_seal_race, 60);
	run("FICLONE across kinds and modes", case_clone_kinds, 30);
	run("FICLONERANGE ranges", case_clone_ranges, 30);
	run("FICLONE racing writers", case_clone_race, 120);
	run("truncating a mapped file", case_truncate_mapped, 30);
	run("unlinking a mapped file", case_unlink_mapped, 30);
	run("execve: absurd PT_INTERPs", case_exec_interp, 60);
	run("execve: absurd program headers", case_exec_phdrs, 60);
	run("read() and write() with the file's own mapping as buffer", case_self_buffers, 30);
	run("write() each file from the other's mapping, two processes", case_cross_buffers, 120);
	run("shared anonymous memory grown, duplicated, MADV_DONTNEED", case_shmem_grow, 30);
	run("execve of a file mapped shared writable", case_exec_mapped_writable, 30);
	run("seals against read-only and older mappings", case_seals_maywrite, 30);
	run("the count of writable shared mappings behind F_SEAL_WRITE", case_seal_counting, 30);
	run("/proc/self/mem into file mappings that may not be written", case_proc_mem, 30);
	run("the largest file, and mappings running past it", case_largest, 60);
	run("O_PATH descriptors", case_o_path, 30);
	run("a mounted tmpfs holding a mapped file", case_umount_mapped, 30);
	run("mremap, ftruncate, FICLONE and stores racing on one file", case_move_truncate_race, 60);
	run("fork racing truncation and FICLONE", case_fork_race, 60);
	tap_check_long(rmdir(base), 0, "the scratch directory is empty at the end");
	return tap_done();
}
