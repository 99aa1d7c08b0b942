/*
 * test_shared - MAP_SHARED against MAP_PRIVATE, the two halves of the
 * copy-on-write pair, for anonymous memory and for files, with Linux's
 * semantics and errors:
 *
 *   - anonymous: after fork a MAP_SHARED page is one frame in both processes
 *     (pagemap, /proc/kpagecount) and writes are seen both ways, also with
 *     eager fork copies (cow_fork=0, this kernel only); a MAP_PRIVATE page
 *     gets a copy on the first write; processes and threads racing to
 *     first-touch shared pages all land in one frame (20 rounds);
 *   - a shared file mapping: a store is seen at once by read() and by a
 *     second mapping, survives munmap and close, msync succeeds, the part
 *     of the last page past the end reads zero, a page wholly past the end
 *     after ftruncate is SIGBUS with si_addr the address, an unlinked file
 *     stays mapped (and shows "(deleted)" in maps);
 *   - a private file mapping: an untouched page is the page-cache frame and
 *     sees a later write(); after its first write it is a private copy and
 *     the file is unchanged;
 *   - /proc/self/maps shows s/p, the offset and the path; Shmem in
 *     /proc/meminfo and RssShmem grow by the shared pages touched;
 *   - madvise(MADV_MERGEABLE) on shared memory is accepted but never merges
 *     it, and a file page never merges with anonymous ones (this kernel
 *     only: it writes the KSM controls);
 *   - bad input: a directory, a write-only fd, an unaligned offset,
 *     MAP_SHARED|MAP_PRIVATE (MAP_SHARED_VALIDATE), unknown flags with it,
 *     mprotect/madvise refusals, msync's and memfd_create's errors, each
 *     Linux's errno;
 *   - memfd_create: flags, the fd link "/memfd:NAME (deleted)", sharing
 *     with a child through the inherited fd; file seals (F_ADD_SEALS,
 *     F_GET_SEALS): SHRINK, GROW, WRITE (EBUSY while a writable shared
 *     mapping exists), FUTURE_WRITE, SEAL, and MFD_NOEXEC_SEAL's EXEC;
 *   - no frame leaks: MemFree back where it started (this kernel only).
 *
 * Files are made in $TMPDIR (default /tmp).  On Linux the frame numbers
 * need root, as the linux suite runs it.
 * Runs on Linux: yes
 */
#include "tap.h"
#include "uapi.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define PAGE 4096UL

#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18
#endif
#ifndef MFD_HUGETLB
#define MFD_HUGETLB 4U
#endif
#define MAP_UNKNOWN_FLAG 0x400000	/* no mmap flag on Linux x86-64 */

static char tmpdir[256];
static volatile long *race_mem;	/* test_shared_race's pages */

/* A new file in $TMPDIR named NAME with LEN bytes of FILL, open O_RDWR. */
static char file_buf[4 * PAGE], maps_buf[65536], status_buf[4096];

static int make_file(const char *name, size_t len, int fill, char *path, size_t max)
{
	snprintf(path, max, "%s/%s", tmpdir, name);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	memset(file_buf, fill, sizeof file_buf);
	for (size_t done = 0; fd >= 0 && done < len;) {
		size_t n = len - done < sizeof file_buf ? len - done : sizeof file_buf;
		if (write(fd, file_buf, n) != (ssize_t)n) {
			close(fd);
			return -1;
		}
		done += n;
	}
	return fd;
}

static void *map(size_t len, int prot, int flags, int fd, off_t off)
{
	void *p = mmap(NULL, len, prot, flags, fd, off);
	return p == MAP_FAILED ? NULL : p;
}

/* The one byte at OFF of FD (-1 if unreadable). */
static int byte_at(int fd, off_t off)
{
	unsigned char c;

	return pread(fd, &c, 1, off) == 1 ? c : -1;
}

/* The maps line of the mapping at ADDR, into LINE; 0, or -1 if none. */
static int maps_line(const void *addr, char *line, size_t max)
{
	char *buf = maps_buf, key[32];

	snprintf(key, sizeof key, "%lx-", (unsigned long)addr);
	if (read_file("/proc/self/maps", buf, sizeof maps_buf) <= 0)
		return -1;
	for (char *l = buf; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (strncmp(l, key, strlen(key)))
			continue;
		size_t n = strcspn(l, "\n");
		snprintf(line, max, "%.*s", (int)(n < max ? n : max - 1), l);
		return 0;
	}
	return -1;
}

/* Does the smaps entry of the mapping at ADDR have VmFlags flag FLAG? */
static bool has_vmflag(const void *addr, const char *flag)
{
	char key[32], want[8];
	const char *entry, *flags;

	snprintf(key, sizeof key, "%lx-", (unsigned long)addr);
	snprintf(want, sizeof want, " %s ", flag);
	if (read_file("/proc/self/smaps", maps_buf, sizeof maps_buf) <= 0 ||
	    !(entry = strstr(maps_buf, key)) || !(flags = strstr(entry, "VmFlags:")))
		return false;
	size_t n = strcspn(flags, "\n");
	char line[256];
	snprintf(line, sizeof line, "%.*s ", (int)(n < 250 ? n : 250), flags + 8);
	return strstr(line, want) != NULL;
}

/* ---- child processes ---- */

/* Run FN(ARG) in a child; its exit status (0 = all its own checks passed). */
static int in_child(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn(arg));
	int status = pid > 0 ? tap_wait(pid) : -1;
	return status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : 99;
}

/* ---- anonymous memory: shared versus private across fork ---- */

struct pair {
	volatile char *shared, *private;
	int to_child[2], to_parent[2];
	uint64_t frames[2];	/* the child's frames of shared, private */
};

static void send_byte(int fd, char c)
{
	if (write(fd, &c, 1) != 1)
		_exit(98);
}

static char recv_byte(int fd)
{
	char c = 0;

	return read(fd, &c, 1) == 1 ? c : 0;
}

/* The child: reports what it sees and its frames, writes both pages, waits
 * for the parent's second write and reports whether it sees it. */
static void pair_child(struct pair *p)
{
	/* read first: Linux gives a child no entries for a shared mapping
	 * until it touches it (copy_page_range skips it) */
	char seen[2] = { p->shared[0], p->private[0] };
	uint64_t frames[2] = { page_frame(0, (const void *)p->shared),
			       page_frame(0, (const void *)p->private) };

	send_byte(p->to_parent[1], seen[0]);
	send_byte(p->to_parent[1], seen[1]);
	if (write(p->to_parent[1], frames, sizeof frames) != sizeof frames)
		_exit(98);
	p->shared[0] = 'C';
	p->private[0] = 'C';
	send_byte(p->to_parent[1], '.');
	recv_byte(p->to_child[0]);	/* the parent wrote 'Q' to shared */
	send_byte(p->to_parent[1], p->shared[0]);
	_exit(0);
}

static void shared_vs_private_fork(const char *how)
{
	struct pair p;
	char what[160];

	p.shared = map(PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	p.private = map(PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!p.shared || !p.private || pipe(p.to_child) || pipe(p.to_parent)) {
		tap_fail(how, "setup: %s", strerror(errno));
		return;
	}
	p.shared[0] = 'P';
	p.private[0] = 'P';
	uint64_t parent_frame = page_frame(0, (const void *)p.shared);
	pid_t pid = fork();
	if (pid == 0)
		pair_child(&p);
	char seen_shared = recv_byte(p.to_parent[0]), seen_private = recv_byte(p.to_parent[0]);
	uint64_t child_frames[2] = { 0, 0 };
	if (read(p.to_parent[0], child_frames, sizeof child_frames) != sizeof child_frames)
		child_frames[0] = child_frames[1] = 0;
	long count = frame_mapcount(parent_frame);
	recv_byte(p.to_parent[0]);	/* the child wrote 'C' to both */
	snprintf(what, sizeof what, "%s: the child sees what the parent wrote before fork", how);
	tap_check(seen_shared == 'P' && seen_private == 'P', what, "shared '%c', private '%c'",
		  seen_shared, seen_private);
	snprintf(what, sizeof what, "%s: the shared page is one frame in parent and child", how);
	tap_check(parent_frame && child_frames[0] == parent_frame && count >= 2, what,
		  "parent frame %#lx, child %#lx, kpagecount %ld", (unsigned long)parent_frame,
		  (unsigned long)child_frames[0], count);
	snprintf(what, sizeof what, "%s: the child's store to the shared page is seen by the parent",
		 how);
	tap_check(p.shared[0] == 'C', what, "parent sees '%c'", p.shared[0]);
	snprintf(what, sizeof what, "%s: the child's store to the private page is its own", how);
	tap_check(p.private[0] == 'P', what, "parent sees '%c'", p.private[0]);
	p.shared[0] = 'Q';
	send_byte(p.to_child[1], 'Q');
	char back = recv_byte(p.to_parent[0]);
	snprintf(what, sizeof what, "%s: the parent's later store is seen by the child", how);
	tap_check(back == 'Q', what, "child sees '%c'", back);
	snprintf(what, sizeof what, "%s: the child exits cleanly", how);
	int status = tap_wait(pid);
	tap_check(status == 0, what, "%s", tap_status_str(status));
	snprintf(what, sizeof what, "%s: still the same frame after all the writes", how);
	tap_check(page_frame(0, (const void *)p.shared) == parent_frame, what, "frame %#lx -> %#lx",
		  (unsigned long)parent_frame,
		  (unsigned long)page_frame(0, (const void *)p.shared));
	munmap((void *)p.shared, PAGE);
	munmap((void *)p.private, PAGE);
	for (int i = 0; i < 2; i++)
		close(p.to_child[i]), close(p.to_parent[i]);
}

static void test_anon_fork(void)
{
	char old[16];

	shared_vs_private_fork("anon fork");
	if (running_on_linux()) {
		tap_skip("anon fork with cow_fork=0", "cow_fork is this kernel's own knob");
		return;
	}
	if (read_file("/proc/sys/vm/cow_fork", old, sizeof old) <= 0 ||
	    write_file("/proc/sys/vm/cow_fork", "0")) {
		tap_fail("anon fork with cow_fork=0", "cannot set /proc/sys/vm/cow_fork");
		return;
	}
	shared_vs_private_fork("anon fork with cow_fork=0 (eager copy)");
	old[strcspn(old, "\n")] = '\0';
	tap_check(write_file("/proc/sys/vm/cow_fork", old) == 0, "cow_fork restored", "%s",
		  strerror(errno));
}

/* ---- many first touches at once ---- */

#define RACE_PAGES 32
#define RACE_PROCS 2
#define RACE_THREADS 2
#define RACE_ROUNDS 20

struct racer {
	volatile long *mem;
	int t;
};

/* Add one to a counter on every page, in an order of this thread's own,
 * some threads reading each page first (a read-only shared entry that the
 * add then makes writable, while others install it writable at once). */
static void *race_thread(void *arg)
{
	const struct racer *r = arg;

	for (int i = 0; i < RACE_PAGES; i++) {
		int page = r->t & 1 ? RACE_PAGES - 1 - i : i;
		volatile long *c = r->mem + page * (PAGE / sizeof(long));
		if (r->t & 2)
			(void)*c;
		__atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static int race_child(void *arg)
{
	pthread_t th[RACE_THREADS];
	struct racer r[RACE_THREADS];
	int n = 0, id = *(int *)arg;

	for (int t = 0; t < RACE_THREADS; t++) {
		r[t] = (struct racer){ .mem = race_mem, .t = id * RACE_THREADS + t };
		n += pthread_create(&th[t], NULL, race_thread, &r[t]) == 0;
	}
	for (int t = 0; t < n; t++)
		pthread_join(th[t], NULL);
	return n == RACE_THREADS ? 0 : 1;
}

/* RACE_PROCS processes of RACE_THREADS threads each first-touch the pages
 * of a fresh shared mapping at once, round after round: every add must land
 * in the one frame of each page (a fault that lost the race to install an
 * entry must retry into the winner's frame, never map one of its own). */
static void test_shared_race(void)
{
	int bad_rounds = 0, failed_children = 0;
	long want = RACE_PROCS * RACE_THREADS, got = want;

	for (int round = 0; round < RACE_ROUNDS; round++) {
		race_mem = map(RACE_PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			       -1, 0);
		if (!race_mem) {
			tap_fail("racing first touches", "mmap: %s", strerror(errno));
			return;
		}
		pid_t pids[RACE_PROCS];
		for (int i = 0; i < RACE_PROCS; i++)
			if ((pids[i] = fork()) == 0)
				_exit(race_child(&i));
		for (int i = 0; i < RACE_PROCS; i++)
			failed_children += pids[i] < 0 || tap_wait(pids[i]) != 0;
		for (int p = 0; p < RACE_PAGES; p++) {
			long c = race_mem[p * (PAGE / sizeof(long))];
			if (c != want) {
				got = c;
				bad_rounds++;
				break;
			}
		}
		munmap((void *)race_mem, RACE_PAGES * PAGE);
	}
	tap_check(!bad_rounds && !failed_children,
		  "racing first touches of shared pages by processes and threads: every add lands",
		  "%d of %d rounds lost adds (a page counted %ld, want %ld), %d children failed",
		  bad_rounds, RACE_ROUNDS, got, want, failed_children);
}

/* ---- shared file mappings ---- */

static sigjmp_buf bus_jmp;
static volatile void *bus_addr;
static volatile int bus_code;

static void on_sigbus(int sig, siginfo_t *si, void *ctx)
{
	(void)sig, (void)ctx;
	bus_addr = si->si_addr;
	bus_code = si->si_code;
	siglongjmp(bus_jmp, 1);
}

/* Touch ADDR (read, or write if WRITE): true if it raised SIGBUS. */
static bool touch_bus(volatile char *addr, bool write)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO }, old;
	volatile bool bus = false;

	bus_addr = NULL;
	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(bus_jmp, 1) == 0) {
		if (write)
			*addr = 1;
		else
			(void)*addr;
	} else {
		bus = true;
	}
	sigaction(SIGBUS, &old, NULL);
	return bus;
}

static int second_mapping_sees(void *arg)
{
	const char *path = arg;
	int fd = open(path, O_RDONLY);
	volatile char *m = fd >= 0 ? map(PAGE, PROT_READ, MAP_SHARED, fd, 0) : NULL;

	return m && m[10] == 'S' ? 0 : 1;
}

static void test_file_shared(void)
{
	char path[300], line[512];
	int fd = make_file("shared", 2 * PAGE, 'a', path, sizeof path);
	volatile char *m = fd >= 0 ? map(2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : NULL;
	volatile char *ro = fd >= 0 ? map(2 * PAGE, PROT_READ, MAP_SHARED, fd, 0) : NULL;

	if (!m || !ro) {
		tap_fail("file MAP_SHARED", "setup: %s", strerror(errno));
		return;
	}
	tap_check(m[0] == 'a' && m[PAGE] == 'a', "file MAP_SHARED shows the file's data",
		  "'%c' '%c'", m[0], m[PAGE]);
	m[10] = 'S';
	tap_check(byte_at(fd, 10) == 'S', "a store through MAP_SHARED is seen by read() at once",
		  "read gives '%c'", byte_at(fd, 10));
	tap_check(ro[10] == 'S', "... and by a second shared mapping at once", "it sees '%c'",
		  ro[10]);
	tap_check(in_child(second_mapping_sees, path) == 0,
		  "... and by another process mapping the file", "it does not");
	if (pwrite(fd, "W", 1, PAGE + 5) != 1)
		tap_fail("write() is seen by the shared mapping", "pwrite: %s", strerror(errno));
	else
		tap_check(m[PAGE + 5] == 'W', "write() is seen by the shared mapping", "'%c'",
			  m[PAGE + 5]);
	tap_check(page_frame(0, (const void *)m) == page_frame(0, (const void *)ro) &&
		  page_frame(0, (const void *)m), "both mappings map the one page-cache frame",
		  "%#lx and %#lx", (unsigned long)page_frame(0, (const void *)m),
		  (unsigned long)page_frame(0, (const void *)ro));
	tap_check(maps_line((const void *)m, line, sizeof line) == 0 &&
		  strstr(line, " rw-s 00000000 ") && strstr(line, path),
		  "maps: rw-s, offset 0, the path", "line '%s'", line);
	tap_check(maps_line((const void *)ro, line, sizeof line) == 0 && strstr(line, " r--s "),
		  "maps: r--s for the read-only shared mapping", "line '%s'", line);
	tap_check(has_vmflag((const void *)m, "sh") && has_vmflag((const void *)m, "ms") &&
		  has_vmflag((const void *)m, "mw"), "smaps VmFlags: sh mw ms for a shared mapping",
		  "missing");
	int rofd = open(path, O_RDONLY);
	void *rom = rofd >= 0 ? map(PAGE, PROT_READ, MAP_SHARED, rofd, 0) : NULL;
	tap_check(rom && has_vmflag(rom, "ms") && !has_vmflag(rom, "sh") && !has_vmflag(rom, "mw"),
		  "... ms without sh and mw for one of a read-only fd", "wrong flags");
	if (rom)
		munmap(rom, PAGE);
	close(rofd);
	errno = 0;
	void *mv = (void *)m;
	tap_check(msync(mv, 2 * PAGE, MS_SYNC) == 0 && msync(mv, PAGE, MS_ASYNC) == 0 &&
		  msync(mv, PAGE, MS_INVALIDATE) == 0, "msync MS_SYNC, MS_ASYNC, MS_INVALIDATE",
		  "%s", strerror(errno));
	m[PAGE - 1] = 'E';
	munmap((void *)m, 2 * PAGE);
	munmap((void *)ro, 2 * PAGE);
	close(fd);
	fd = open(path, O_RDONLY);
	tap_check(byte_at(fd, 10) == 'S' && byte_at(fd, PAGE - 1) == 'E',
		  "the stores survive munmap and close", "'%c' '%c'", byte_at(fd, 10),
		  byte_at(fd, PAGE - 1));
	close(fd);
	unlink(path);
}

static void test_file_eof(void)
{
	char path[300];
	int fd = make_file("eof", 3 * PAGE, 'b', path, sizeof path);
	volatile char *m = fd >= 0 ? map(3 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : NULL;

	if (!m) {
		tap_fail("file MAP_SHARED past EOF", "setup: %s", strerror(errno));
		return;
	}
	m[2 * PAGE] = 'x';
	if (ftruncate(fd, PAGE + 100)) {
		tap_fail("ftruncate", "%s", strerror(errno));
		return;
	}
	bool bus = touch_bus(m + 2 * PAGE, false);
	tap_check(bus && bus_addr == (void *)(m + 2 * PAGE) && bus_code == BUS_ADRERR,
		  "a page wholly past EOF after ftruncate: SIGBUS BUS_ADRERR at its address",
		  "bus %d at %p (code %d), want %p", bus, bus_addr, bus_code,
		  (void *)(m + 2 * PAGE));
	tap_check(touch_bus(m + 2 * PAGE + 8, true) && bus_addr == (void *)(m + 2 * PAGE + 8),
		  "... a store there too", "no SIGBUS, or at %p", bus_addr);
	tap_check(m[PAGE + 99] == 'b' && m[PAGE + 100] == 0 && m[2 * PAGE - 1] == 0,
		  "the last page maps: its part past EOF reads zero", "'%c' %d %d", m[PAGE + 99],
		  m[PAGE + 100], m[2 * PAGE - 1]);
	m[PAGE + 50] = 'T';
	tap_check(byte_at(fd, PAGE + 50) == 'T', "a store into the last page reaches the file",
		  "read gives %d", byte_at(fd, PAGE + 50));
	if (ftruncate(fd, 3 * PAGE)) {
		tap_fail("ftruncate back", "%s", strerror(errno));
		return;
	}
	tap_check(!touch_bus(m + 2 * PAGE, false) && m[2 * PAGE] == 0,
		  "grown again: the page is back, reading zero", "'%c'", m[2 * PAGE]);
	munmap((void *)m, 3 * PAGE);
	close(fd);
	unlink(path);
}

static int unlinked_child(void *arg)
{
	volatile char *m = arg;

	if (m[0] != 'U')
		return 1;
	m[1] = 'K';
	return 0;
}

static void test_file_unlinked(void)
{
	char path[300], line[512];
	int fd = make_file("unlinked", PAGE, 'u', path, sizeof path);
	volatile char *m = fd >= 0 ? map(PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : NULL;

	if (!m) {
		tap_fail("unlinked file stays mapped", "setup: %s", strerror(errno));
		return;
	}
	unlink(path);
	close(fd);
	m[0] = 'U';
	tap_check(m[0] == 'U' && m[100] == 'u', "an unlinked, closed file stays mapped",
		  "'%c' '%c'", m[0], m[100]);
	tap_check(in_child(unlinked_child, (void *)m) == 0 && m[1] == 'K',
		  "... and shared with a forked child", "m[1] = '%c'", m[1]);
	tap_check(maps_line((const void *)m, line, sizeof line) == 0 && strstr(line, " (deleted)"),
		  "maps shows it \"(deleted)\"", "line '%s'", line);
	munmap((void *)m, PAGE);
}

/* ---- private file mappings ---- */

static void test_file_private(void)
{
	char path[300], line[512];
	int fd = make_file("private", 2 * PAGE, 'p', path, sizeof path);
	volatile char *m = fd >= 0 ? map(2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0) :
				     NULL;
	volatile char *s = fd >= 0 ? map(2 * PAGE, PROT_READ, MAP_SHARED, fd, 0) : NULL;

	if (!m || !s) {
		tap_fail("file MAP_PRIVATE", "setup: %s", strerror(errno));
		return;
	}
	(void)m[0];
	(void)s[0];
	uint64_t cached = page_frame(0, (const void *)s);
	tap_check(cached && page_frame(0, (const void *)m) == cached,
		  "an untouched private page is the page-cache frame", "%#lx, cache %#lx",
		  (unsigned long)page_frame(0, (const void *)m), (unsigned long)cached);
	if (pwrite(fd, "L", 1, 20) != 1)
		tap_fail("private page sees a later write()", "pwrite: %s", strerror(errno));
	else
		tap_check(m[20] == 'L', "an untouched private page sees a later write()", "'%c'",
			  m[20]);
	m[30] = 'M';
	tap_check(page_frame(0, (const void *)m) != cached && m[20] == 'L' && m[30] == 'M',
		  "after its first write: a private copy with the data", "frame %#lx, '%c' '%c'",
		  (unsigned long)page_frame(0, (const void *)m), m[20], m[30]);
	tap_check(byte_at(fd, 30) == 'p' && s[30] == 'p', "... and the file is unchanged",
		  "read '%c', shared mapping '%c'", byte_at(fd, 30), s[30]);
	if (pwrite(fd, "N", 1, 40) == 1)
		tap_check(m[40] == 'p' && s[40] == 'N',
			  "... and no longer sees write()s (the shared mapping does)",
			  "private '%c', shared '%c'", m[40], s[40]);
	tap_check(maps_line((const void *)m, line, sizeof line) == 0 && strstr(line, " rw-p ") &&
		  strstr(line, path), "maps: rw-p and the path", "line '%s'", line);
	munmap((void *)m, 2 * PAGE);
	m = map(PAGE, PROT_READ, MAP_PRIVATE, fd, PAGE);
	tap_check(m && maps_line((const void *)m, line, sizeof line) == 0 &&
		  strstr(line, " r--p 00001000 "), "maps: the offset of a mapping at page 1",
		  "line '%s'", line);
	if (m)
		munmap((void *)m, PAGE);
	munmap((void *)s, 2 * PAGE);
	close(fd);
	unlink(path);
}

/* ---- Shmem accounting ---- */

static long status_kb(const char *field)
{
	return read_file("/proc/self/status", status_buf, sizeof status_buf) > 0 ?
	       kb_field(status_buf, field) : -1;
}

/* Shmem in meminfo: exact here; on Linux a per-CPU counter, whose global
 * value lags by up to a batch per CPU, so half the pages must show. */
static bool shmem_moved(long from, long to, long kb)
{
	return to - from >= (running_on_linux() ? kb / 2 : kb);
}

static void test_shmem_counts(void)
{
	const size_t pages = 1024;
	long shmem0 = meminfo_kb("Shmem");
	char *m = map(pages * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	char line[512];

	if (!m) {
		tap_fail("Shmem", "mmap: %s", strerror(errno));
		return;
	}
	tap_check(maps_line(m, line, sizeof line) == 0 && strstr(line, " rw-s 00000000 ") &&
		  strstr(line, "/dev/zero (deleted)"), "maps: shared anonymous memory is "
		  "rw-s /dev/zero (deleted)", "line '%s'", line);
	for (size_t i = 0; i < pages; i++)
		m[i * PAGE] = 1;
	long shmem1 = meminfo_kb("Shmem"), rss = status_kb("RssShmem");
	tap_check(shmem_moved(shmem0, shmem1, pages * 4),
		  "Shmem in meminfo grows by the pages touched", "%ld -> %ld kB", shmem0, shmem1);
	tap_check(rss >= (long)(pages * 4), "RssShmem counts them", "RssShmem %ld kB", rss);
	long pss = read_file("/proc/self/smaps_rollup", maps_buf, sizeof maps_buf) > 0 ?
		   kb_field(maps_buf, "Pss_Shmem") : -1;
	tap_check(pss >= (long)(pages * 4), "smaps_rollup's Pss_Shmem counts them",
		  "Pss_Shmem %ld kB", pss);
	munmap(m, pages * PAGE);
	long shmem2 = meminfo_kb("Shmem");
	tap_check(shmem_moved(shmem2, shmem1, pages * 4), "... and falls by them after munmap",
		  "%ld -> %ld kB", shmem1, shmem2);
}

/* ---- same-page merging leaves shared and file pages alone ---- */

static bool ksm_scans(int passes)
{
	long start = ksm_get("full_scans");

	for (int i = 0; i < 1000; i++) {
		if (ksm_get("full_scans") >= start + passes)
			return true;
		sleep_ms(10);
	}
	return false;
}

static void test_ksm(void)
{
	const char *what = "KSM: shared and file pages are never merged";
	char run[16];

	if (running_on_linux()) {
		tap_skip(what, "it writes the KSM controls (the host's on Linux)");
		return;
	}
	char path[300];
	int fd = make_file("ksm", PAGE, 'k', path, sizeof path);
	char *sh = map(2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	char *an = map(2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *fm = fd >= 0 ? map(PAGE, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
	if (!sh || !an || !fm || read_file(KSM_DIR "run", run, sizeof run) <= 0) {
		tap_fail(what, "setup: %s", strerror(errno));
		return;
	}
	memset(sh, 'k', 2 * PAGE);
	memset(an, 'k', 2 * PAGE);
	(void)*(volatile char *)fm;
	uint64_t before[3] = { page_frame(0, sh), page_frame(0, sh + PAGE), page_frame(0, fm) };
	tap_check(madvise(sh, 2 * PAGE, MADV_MERGEABLE) == 0 &&
		  madvise(an, 2 * PAGE, MADV_MERGEABLE) == 0 &&
		  madvise(fm, PAGE, MADV_MERGEABLE) == 0,
		  "madvise(MADV_MERGEABLE) on shared and file mappings is accepted", "%s",
		  strerror(errno));
	bool scanned = ksm_write("run", "1") == 0 && ksm_scans(2);
	uint64_t after[3] = { page_frame(0, sh), page_frame(0, sh + PAGE), page_frame(0, fm) };
	uint64_t anon[2] = { page_frame(0, an), page_frame(0, an + PAGE) };
	tap_check(scanned && anon[0] == anon[1], "the two anonymous pages merged (the scanner ran)",
		  "scanned %d, frames %#lx %#lx", scanned, (unsigned long)anon[0],
		  (unsigned long)anon[1]);
	tap_check(!memcmp(before, after, sizeof before) && after[0] != after[1] &&
		  anon[0] != after[0] && anon[0] != after[2], what,
		  "shared %#lx %#lx -> %#lx %#lx, file %#lx -> %#lx, merged %#lx",
		  (unsigned long)before[0], (unsigned long)before[1], (unsigned long)after[0],
		  (unsigned long)after[1], (unsigned long)before[2], (unsigned long)after[2],
		  (unsigned long)anon[0]);
	run[strcspn(run, "\n")] = '\0';
	madvise(an, 2 * PAGE, MADV_UNMERGEABLE);
	ksm_write("run", run);
	munmap(sh, 2 * PAGE);
	munmap(an, 2 * PAGE);
	munmap(fm, PAGE);
	close(fd);
	unlink(path);
}

/* ---- bad input ---- */

static void check_map_errno(void *addr, size_t len, int prot, int flags, int fd, off_t off,
			    int want, const char *what)
{
	errno = 0;
	void *p = mmap(addr, len, prot, flags, fd, off);
	int err = errno;

	if (p != MAP_FAILED)
		munmap(p, len);
	tap_check_errno(p == MAP_FAILED ? -1 : 0, err, want, what);
}

static void check_map_ok(size_t len, int prot, int flags, int fd, const char *what)
{
	void *p = mmap(NULL, len, prot, flags, fd, 0);

	tap_check(p != MAP_FAILED, what, "%s", strerror(errno));
	if (p != MAP_FAILED)
		munmap(p, len);
}

static void test_mmap_errors(void)
{
	char path[300];
	int rw = make_file("errors", 2 * PAGE, 'e', path, sizeof path);
	int ro = open(path, O_RDONLY), wo = open(path, O_WRONLY), ap = open(path, O_RDWR | O_APPEND);
	int dir = open(tmpdir, O_RDONLY | O_DIRECTORY);
	const int RW = PROT_READ | PROT_WRITE;

	check_map_errno(NULL, PAGE, PROT_READ, MAP_PRIVATE, dir, 0, ENODEV,
			"mmap a directory -> ENODEV");
	check_map_errno(NULL, PAGE, PROT_READ, MAP_SHARED, dir, 0, ENODEV,
			"mmap a directory MAP_SHARED -> ENODEV");
	check_map_errno(NULL, PAGE, PROT_READ, MAP_PRIVATE, wo, 0, EACCES,
			"MAP_PRIVATE of a write-only fd -> EACCES");
	check_map_errno(NULL, PAGE, RW, MAP_SHARED, wo, 0, EACCES,
			"MAP_SHARED of a write-only fd -> EACCES");
	check_map_errno(NULL, PAGE, RW, MAP_SHARED, ro, 0, EACCES,
			"MAP_SHARED PROT_WRITE of a read-only fd -> EACCES");
	check_map_ok(PAGE, RW, MAP_PRIVATE, ro, "MAP_PRIVATE PROT_WRITE of a read-only fd is fine");
	check_map_ok(PAGE, RW, MAP_SHARED, ap, "MAP_SHARED PROT_WRITE of an O_APPEND fd is fine");
	check_map_errno(NULL, PAGE, PROT_READ, MAP_SHARED, rw, 100, EINVAL,
			"an offset not page-aligned -> EINVAL");
	check_map_errno(NULL, PAGE, PROT_READ, MAP_SHARED, 999, 100, EINVAL,
			"... checked before the fd (EINVAL, not EBADF)");
	check_map_errno(NULL, PAGE, PROT_READ, MAP_SHARED, 999, 0, EBADF, "a bad fd -> EBADF");
	check_map_errno(NULL, 0, PROT_READ, MAP_SHARED, 999, 0, EBADF,
			"... checked before the length (EBADF)");
	check_map_errno(NULL, 0, PROT_READ, MAP_SHARED, rw, 0, EINVAL, "length 0 -> EINVAL");
	check_map_errno(NULL, PAGE, RW, 0, rw, 0, EINVAL,
			"neither MAP_SHARED nor MAP_PRIVATE -> EINVAL");
	check_map_errno(NULL, PAGE, RW, MAP_ANONYMOUS, -1, 0, EINVAL,
			"... anonymous too -> EINVAL");
	check_map_ok(PAGE, RW, MAP_SHARED | MAP_PRIVATE, rw,
		     "MAP_SHARED|MAP_PRIVATE (= MAP_SHARED_VALIDATE) of a file is fine");
	check_map_errno(NULL, PAGE, RW, MAP_SHARED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, EINVAL,
			"MAP_SHARED|MAP_PRIVATE anonymous -> EINVAL");
	check_map_errno(NULL, PAGE, RW, MAP_SHARED_VALIDATE | MAP_UNKNOWN_FLAG, rw, 0, EOPNOTSUPP,
			"MAP_SHARED_VALIDATE with an unknown flag -> EOPNOTSUPP");
	check_map_ok(PAGE, RW, MAP_SHARED | MAP_UNKNOWN_FLAG, rw,
		     "MAP_SHARED ignores an unknown flag");
	check_map_errno(NULL, PAGE, RW, MAP_SHARED_VALIDATE | MAP_FIXED_NOREPLACE, rw, 0,
			EOPNOTSUPP, "MAP_SHARED_VALIDATE does not know MAP_FIXED_NOREPLACE");
	check_map_errno(NULL, PAGE, RW, MAP_SHARED | MAP_GROWSDOWN, rw, 0, EINVAL,
			"MAP_GROWSDOWN of a file -> EINVAL");
	check_map_errno(NULL, PAGE, RW, MAP_SHARED | MAP_GROWSDOWN | MAP_ANONYMOUS, -1, 0, EINVAL,
			"MAP_GROWSDOWN of shared anonymous memory -> EINVAL");
	check_map_errno((void *)(PAGE + 1), PAGE, PROT_READ, MAP_SHARED | MAP_FIXED, wo, 0, EINVAL,
			"an unaligned MAP_FIXED address wins over the fd's EACCES (EINVAL)");

	void *p = map(PAGE, PROT_READ, MAP_SHARED, ro, 0);
	errno = 0;
	CHECK_ERRNO(p ? mprotect(p, PAGE, RW) : 0, EACCES,
			"mprotect PROT_WRITE on a read-only fd's shared mapping -> EACCES");
	if (p)
		munmap(p, PAGE);
	p = map(PAGE, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	errno = 0;
	CHECK_ERRNO(p ? madvise(p, PAGE, MADV_WIPEONFORK) : 0, EINVAL,
			"MADV_WIPEONFORK on shared memory -> EINVAL");
	errno = 0;
	CHECK_ERRNO(p ? madvise(p, PAGE, MADV_FREE) : 0, EINVAL,
			"MADV_FREE on shared memory -> EINVAL");
	if (p) {
		*(volatile char *)p = 'D';
		errno = 0;
		tap_check(madvise(p, PAGE, MADV_DONTNEED) == 0 && *(volatile char *)p == 'D',
			  "MADV_DONTNEED on shared memory keeps the data (it is in the file)",
			  "errno %s, reads %d", strerror(errno), *(volatile char *)p);
		munmap(p, PAGE);
	}
	close(rw), close(ro), close(wo), close(ap), close(dir);
	unlink(path);
}

static void test_msync_errors(void)
{
	char *m = map(3 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (!m) {
		tap_fail("msync", "mmap: %s", strerror(errno));
		return;
	}
	errno = 0;
	CHECK_ERRNO(msync(m, PAGE, 8), EINVAL, "msync with an unknown flag -> EINVAL");
	CHECK_ERRNO(msync(m, PAGE, MS_SYNC | MS_ASYNC), EINVAL,
			"msync MS_SYNC|MS_ASYNC -> EINVAL");
	CHECK_ERRNO(msync(m + 1, PAGE, MS_SYNC), EINVAL, "msync unaligned -> EINVAL");
	tap_check(msync(m, 0, MS_SYNC) == 0, "msync of length 0 -> 0", "%s", strerror(errno));
	munmap(m + PAGE, PAGE);
	errno = 0;
	CHECK_ERRNO(msync(m, 3 * PAGE, MS_SYNC), ENOMEM,
			"msync over a hole -> ENOMEM");
	CHECK_ERRNO(msync(m, 3 * PAGE, MS_ASYNC), ENOMEM,
			"msync MS_ASYNC over a hole -> ENOMEM");
	CHECK_ERRNO(msync(m, (size_t)-PAGE, MS_SYNC), ENOMEM,
			"msync with a wrapping length -> ENOMEM");
	munmap(m, 3 * PAGE);
}

/* ---- memfd_create ---- */

static int memfd_child(void *arg)
{
	int fd = *(int *)arg;
	char *m = map(2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (!m || m[0] != 'm')
		return 1;
	strcpy(m + PAGE, "from the child");
	return 0;
}

static void test_memfd(void)
{
	char name[300], link[300], proc[64];

	memset(name, 'n', sizeof name);
	name[249] = '\0';
	int fd = memfd_create(name, 0);
	tap_check(fd >= 0, "memfd_create with a 249-byte name", "%s", strerror(errno));
	close(fd);
	name[249] = 'n';
	name[250] = '\0';
	errno = 0;
	CHECK_ERRNO(memfd_create(name, 0), EINVAL, "memfd_create: a 250-byte name -> EINVAL");
	CHECK_ERRNO(memfd_create("x", 0x100), EINVAL,
			"memfd_create: an unknown flag -> EINVAL");
	CHECK_ERRNO(memfd_create((const char *)8, 0), EFAULT,
			"memfd_create: a bad name pointer -> EFAULT");
	if (running_on_linux()) {
		tap_skip("memfd_create: MFD_HUGETLB -> EINVAL", "Linux has huge pages");
	} else {
		CHECK_ERRNO(memfd_create("x", MFD_HUGETLB), EINVAL,
				"memfd_create: MFD_HUGETLB -> EINVAL (no huge pages)");
	}

	fd = memfd_create("shm-test", MFD_CLOEXEC);
	if (fd < 0) {
		tap_fail("memfd_create", "%s", strerror(errno));
		return;
	}
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(proc, link, sizeof link - 1);
	link[n > 0 ? n : 0] = '\0';
	tap_check(!strcmp(link, "/memfd:shm-test (deleted)"),
		  "the fd link reads /memfd:NAME (deleted)", "'%s'", link);
	tap_check(fcntl(fd, F_GETFD) == FD_CLOEXEC && (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR,
		  "MFD_CLOEXEC sets FD_CLOEXEC; the file is O_RDWR", "fd flags %d, status %#x",
		  fcntl(fd, F_GETFD), fcntl(fd, F_GETFL));
	struct stat st;
	tap_check(fstat(fd, &st) == 0 && st.st_size == 0 && S_ISREG(st.st_mode),
		  "a new memfd is an empty regular file", "size %ld", (long)st.st_size);
	if (ftruncate(fd, 2 * PAGE) || pwrite(fd, "m", 1, 0) != 1) {
		tap_fail("memfd ftruncate and write", "%s", strerror(errno));
		close(fd);
		return;
	}
	char *m = map(2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	char line[512];
	tap_check(m && maps_line(m, line, sizeof line) == 0 &&
		  strstr(line, " rw-s 00000000 ") && strstr(line, "/memfd:shm-test (deleted)"),
		  "maps: rw-s /memfd:NAME (deleted)", "line '%s'", m ? line : strerror(errno));
	tap_check(in_child(memfd_child, &fd) == 0 && m && !strcmp(m + PAGE, "from the child"),
		  "a child maps the inherited memfd: its stores reach the parent's mapping",
		  "parent reads '%.20s'", m ? m + PAGE : "");
	char buf[16] = "";
	tap_check(pread(fd, buf, 14, PAGE) == 14 && !memcmp(buf, "from the child", 14),
		  "... and read()", "'%.14s'", buf);
	if (m)
		munmap(m, 2 * PAGE);
	close(fd);
}

/* ---- file seals ---- */

static void test_seal_size(void)
{
	int fd = memfd_create("seal-size", MFD_ALLOW_SEALING);

	if (fd < 0 || ftruncate(fd, 2 * PAGE)) {
		tap_fail("seals: size", "setup: %s", strerror(errno));
		return;
	}
	tap_check_long(fcntl(fd, F_GET_SEALS), 0, "seals: MFD_ALLOW_SEALING starts with none");
	tap_check(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) == 0, "seals: F_SEAL_SHRINK added", "%s",
		  strerror(errno));
	CHECK_ERRNO(ftruncate(fd, PAGE), EPERM, "seals: F_SEAL_SHRINK: shrinking -> EPERM");
	tap_check(ftruncate(fd, 3 * PAGE) == 0, "seals: F_SEAL_SHRINK: growing is fine", "%s",
		  strerror(errno));
	tap_check(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW) == 0, "seals: F_SEAL_GROW added", "%s",
		  strerror(errno));
	CHECK_ERRNO(ftruncate(fd, 4 * PAGE), EPERM, "seals: F_SEAL_GROW: growing -> EPERM");
	CHECK_ERRNO(pwrite(fd, "xy", 2, 3 * PAGE), EPERM,
		    "seals: F_SEAL_GROW: a write at the end -> EPERM");
	tap_check_long(pwrite(fd, "xy", 2, 3 * PAGE - 1), 1,
		       "seals: F_SEAL_GROW: a write across the end stops there (1 of 2 bytes)");
	tap_check(pwrite(fd, "xy", 2, PAGE) == 2, "seals: F_SEAL_GROW: a write inside is fine",
		  "%s", strerror(errno));
	tap_check_long(fcntl(fd, F_GET_SEALS), F_SEAL_SHRINK | F_SEAL_GROW,
		       "seals: F_GET_SEALS shows them");
	CHECK_ERRNO(fcntl(fd, F_ADD_SEALS, 0x100), EINVAL, "seals: an unknown seal -> EINVAL");
	tap_check(fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL) == 0, "seals: F_SEAL_SEAL added", "%s",
		  strerror(errno));
	CHECK_ERRNO(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EPERM,
		    "seals: after F_SEAL_SEAL no more seals -> EPERM");
	close(fd);
}

static void test_seal_write(void)
{
	int fd = memfd_create("seal-write", MFD_ALLOW_SEALING);
	char *w = fd >= 0 && !ftruncate(fd, PAGE) ?
		  map(PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : NULL;

	if (!w) {
		tap_fail("seals: write", "setup: %s", strerror(errno));
		return;
	}
	CHECK_ERRNO(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EBUSY,
		    "seals: F_SEAL_WRITE while a writable shared mapping exists -> EBUSY");
	w[0] = 'w';
	munmap(w, PAGE);
	tap_check(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE) == 0, "seals: F_SEAL_WRITE once it is gone",
		  "%s", strerror(errno));
	CHECK_ERRNO(pwrite(fd, "z", 1, 0), EPERM, "seals: F_SEAL_WRITE: write() -> EPERM");
	CHECK_ERRNO(mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), EPERM,
		    "seals: F_SEAL_WRITE: a writable shared mapping -> EPERM");
	char *r = map(PAGE, PROT_READ, MAP_SHARED, fd, 0);
	tap_check(r && r[0] == 'w', "seals: F_SEAL_WRITE: a read-only shared mapping is fine",
		  "%s", strerror(errno));
	CHECK_ERRNO(r ? mprotect(r, PAGE, PROT_READ | PROT_WRITE) : 0, EACCES,
		    "seals: ... and cannot become writable -> EACCES");
	char *p = map(PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (p)
		p[0] = 'p';
	tap_check(p && p[0] == 'p' && r && r[0] == 'w',
		  "seals: a private mapping still writes its own copy", "%s", strerror(errno));
	if (r)
		munmap(r, PAGE);
	if (p)
		munmap(p, PAGE);
	close(fd);
}

static void test_seal_future_write(void)
{
	int fd = memfd_create("seal-future", MFD_ALLOW_SEALING);
	char *w = fd >= 0 && !ftruncate(fd, PAGE) ?
		  map(PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : NULL;

	if (!w) {
		tap_fail("seals: future write", "setup: %s", strerror(errno));
		return;
	}
	tap_check(fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE) == 0,
		  "seals: F_SEAL_FUTURE_WRITE with a writable mapping", "%s", strerror(errno));
	w[0] = 'f';
	tap_check(byte_at(fd, 0) == 'f', "seals: ... which still writes", "reads %d",
		  byte_at(fd, 0));
	CHECK_ERRNO(pwrite(fd, "z", 1, 0), EPERM, "seals: F_SEAL_FUTURE_WRITE: write() -> EPERM");
	CHECK_ERRNO(mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), EPERM,
		    "seals: F_SEAL_FUTURE_WRITE: a new writable shared mapping -> EPERM");
	munmap(w, PAGE);
	close(fd);
}

static void test_seals(void)
{
	int fd = memfd_create("unsealable", 0);
	int pipefd[2];

	tap_check_long(fcntl(fd, F_GET_SEALS), F_SEAL_SEAL, "seals: a memfd without "
		       "MFD_ALLOW_SEALING is sealed with F_SEAL_SEAL");
	CHECK_ERRNO(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW), EPERM,
		    "seals: ... so F_ADD_SEALS -> EPERM");
	close(fd);
	if (pipe(pipefd) == 0) {
		CHECK_ERRNO(fcntl(pipefd[0], F_GET_SEALS), EINVAL,
			    "seals: F_GET_SEALS on a pipe -> EINVAL");
		close(pipefd[0]), close(pipefd[1]);
	}
	test_seal_size();
	test_seal_write();
	test_seal_future_write();
	fd = memfd_create("noexec", MFD_NOEXEC_SEAL);
	struct stat st;
	tap_check(fd >= 0 && fstat(fd, &st) == 0 && !(st.st_mode & 0111) &&
		  fcntl(fd, F_GET_SEALS) == F_SEAL_EXEC,
		  "MFD_NOEXEC_SEAL: no execute bits, sealed with F_SEAL_EXEC", "%s",
		  strerror(errno));
	CHECK_ERRNO(fchmod(fd, 0777), EPERM, "seals: F_SEAL_EXEC: chmod +x -> EPERM");
	close(fd);
}

/* ---- leaks ---- */

/* MemFree once it holds still for 10 ms (a reaped child's last frames may
 * come back a moment later at 4 CPUs), up to a second. */
static long settled_free_kb(void)
{
	long prev = meminfo_kb("MemFree");

	for (int i = 0; i < 100; i++) {
		sleep_ms(10);
		long now = meminfo_kb("MemFree");
		if (now == prev)
			return now;
		prev = now;
	}
	return prev;
}

/* Every case, in a child of its own (tap_case), so that main's MemFree
 * comparison sees every page the cases used given back. */
static void run_cases(void *arg)
{
	(void)arg;
	test_anon_fork();
	test_shared_race();
	test_file_shared();
	test_file_eof();
	test_file_unlinked();
	test_file_private();
	test_shmem_counts();
	test_ksm();
	test_mmap_errors();
	test_msync_errors();
	test_memfd();
	test_seals();
}

int main(void)
{
	const char *t = getenv("TMPDIR");

	snprintf(tmpdir, sizeof tmpdir, "%s", t && *t ? t : "/tmp");
	long free0 = running_on_linux() ? 0 : settled_free_kb();
	long cached0 = meminfo_kb("Cached"), slab0 = meminfo_kb("Slab");
	tap_case("the shared-mapping cases", run_cases, NULL, 240);
	if (running_on_linux()) {
		tap_skip("no frame leaked (MemFree back)",
			 "on Linux the rest of the system moves MemFree");
	} else {
		long free1 = settled_free_kb();
		tap_check(free1 == free0, "no frame leaked (MemFree back)",
			  "MemFree %ld -> %ld kB, Cached %ld -> %ld, Slab %ld -> %ld", free0, free1,
			  cached0, meminfo_kb("Cached"), slab0, meminfo_kb("Slab"));
	}
	return tap_done();
}
