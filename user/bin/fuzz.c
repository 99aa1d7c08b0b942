/*
 * fuzz - the kernel's own fuzzer, run as init by scripts/fuzz.
 *
 *     fuzz [--seed N] [--rounds N] [--time SEC] [--calls N] [--ksm 0|1] [--from R]
 *
 * Algorithm.  Everything random comes from one xorshift64* generator; each
 * process of round R reseeds it from (seed, R, its slot), so a seed replays
 * the same calls whatever the scheduling.  The first process (the
 * supervisor, pid 1) never throws anything itself:
 *
 *   1. it notes the names in "/", warms the page cache with every file the
 *      round can map or exec (a file keeps its pages while it exists,
 *      mm/pagecache.c) and runs the checker once (it keeps its counters), so
 *      that free memory after a round must be exactly what it was before; it
 *      starts same-page merging (--ksm 1, the default);
 *   2. per round it makes a sandbox directory (BOX, in /tmp: the root is
 *      writable, and the children create, rename and remove files there)
 *      and forks a controller that starts, each in its own process
 *      group: syscall children (random system calls with hostile arguments,
 *      memory calls and forks favoured, run in BOX), an exec child (execve of mutated ELF
 *      files from /fuzz, built on the host by mkfuzzelf for this seed), and
 *      every STORM_EVERY rounds out-of-memory storm children (allocate, touch
 *      and fork until the kernel kills them).  At the deadline the controller
 *      kills every group it started;
 *   3. the supervisor, polling (no signal handlers exist yet), reaps all,
 *      sweeps escaped processes with kill(-1, SIGKILL), and fails the round
 *      if a process outlives SIGKILL (a hang in the kernel); it removes all
 *      of /tmp and whatever is new in "/"; then it runs
 *      the invariant checker (write "1" to /proc/sys/vm/audit: EIO on a
 *      violation) and compares /proc/meminfo with the round's start.
 *
 * Output: "fuzz: seed S round R ..." progress lines and three TAP checks per
 * round; on a failure, the seed and the round (scripts/fuzz adds the command
 * that replays it), and the run stops.  Children report their call counts through a pipe kept
 * at REPORT_FD (8-byte records), so the totals are what really ran.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "../tests/tap.h"
#include "fuzz_rnd.h"

#define PAGE 4096UL
#define REPORT_FD 30		/* the counting pipe's write end in every child */
#define MAX_CORPUS 256
#define NSYS 4			/* syscall children per round */
#define NEXEC 12		/* execve attempts per round */
#define NSTORM 3		/* storm children in a storm round */
#define WORKER_CALLS 200	/* operations per worker of a syscall child */
#define WORKER_LIMIT_MS 1000	/* then the worker (or exec'd program) is killed */
#define STORM_EVERY 4
#define ROUND_BUDGET_S 6	/* then the controller kills what is left */
#define REAP_LIMIT_S 30		/* a process alive this long after SIGKILL: a hang */
#define BOX "/tmp/fuzzbox"	/* the round's sandbox: the syscall children's directory */
#define MAX_ROOT 64		/* names in "/" at the start */

/* ---- the generator: rnd, rnd_seed, pick (user/lib/fuzz_rnd.h) ---- */


#define PICK(table) ((table)[pick(sizeof(table) / sizeof((table)[0]))])

/* A system call without libc: musl's syscall() stores errno through the
 * thread pointer, which a hostile arch_prctl(ARCH_SET_FS) may have moved. */
static long raw_syscall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
			uint64_t a4, uint64_t a5)
{
	long ret;
	register uint64_t r10 __asm__("r10") = a3;
	register uint64_t r8 __asm__("r8") = a4;
	register uint64_t r9 __asm__("r9") = a5;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

/* ---- counting: children report what they did ---- */

struct report {
	uint32_t calls;
	uint32_t execs;
};

/* Tell the supervisor that CALLS operations and EXECS execs were done. */
static void report(uint32_t calls, uint32_t execs)
{
	struct report r = { calls, execs };

	/* Lost when the child closed REPORT_FD itself. */
	raw_syscall(SYS_write, REPORT_FD, (uint64_t)&r, sizeof r, 0, 0, 0);
}

/* ---- the arena: the buffers of a syscall child ---- */

/*
 * Pages of the arena (ARENA_PAGES, at a fixed address per child):
 *   0 random bytes, 1 path table and iovecs, 2-3 'a' without a NUL,
 *   4 read-only, 5 PROT_NONE (holds a path), 6 read-write whose last bytes
 *   are a path without its NUL, 7 unmapped, 8-15 read-write never touched.
 * The mm area (MM_PAGES after it) is what the memory calls churn.
 */
#define ARENA_PAGES 16
#define MM_PAGES 64
#define ARENA_BASE 0x5a0000000000UL

static char *arena;
static char *mm_area;
static int depth;		/* fork depth inside a syscall child */

/* Relative names are the round's sandbox's (BOX): the root is writable, so
 * the children may create, rename and remove there, never in /bin or /fuzz;
 * their names are unlike any name in "/", in case a directory descriptor on
 * "/" or ".." meets them. */
static const char *const paths[] = {
	"box-true", "box-cat", "/proc/meminfo", "/proc/self/maps", "/proc/self/pagemap",
	"/proc/kpagecount", "/proc/self/status", "/dev/null", "/dev/zero", "/", "box-dir",
	"/proc", "box-none", "", "box-dir/file", "/proc/self", "/proc/1/maps", ".", "..",
	"/proc/self/oom_score_adj", "/proc/self/mem", "/proc/self/smaps", "/proc/self/fd",
};
#define NPATHS (sizeof paths / sizeof paths[0])

static char *page_at(int n)
{
	return arena + n * PAGE;
}

/* Write the arena's contents (before its protections are set). */
static void arena_fill(void)
{
	for (uint64_t i = 0; i < PAGE / 8; i++)
		((uint64_t *)page_at(0))[i] = rnd();
	char *p = page_at(1);
	for (size_t i = 0; i < NPATHS; i++)
		p = stpcpy(p, paths[i]) + 1;
	memset(page_at(2), 'a', 2 * PAGE);
	memset(page_at(4), 0, PAGE);
	strcpy(page_at(4), "/proc/meminfo");
	strcpy(page_at(5), "box-true");
	memcpy(page_at(7) - 13, "/proc/meminfo", 13);
}

/* Map and lay out the arena; returns -1 when it cannot be mapped. */
static int arena_setup(int slot)
{
	char *want = (char *)(ARENA_BASE + (uint64_t)slot * (ARENA_PAGES + MM_PAGES + 16) * PAGE);

	arena = mmap(want, (ARENA_PAGES + MM_PAGES) * PAGE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (arena == MAP_FAILED)
		return -1;
	mm_area = arena + ARENA_PAGES * PAGE;
	arena_fill();
	if (mprotect(page_at(4), PAGE, PROT_READ) || mprotect(page_at(5), PAGE, PROT_NONE) ||
	    munmap(page_at(7), PAGE))
		return -1;
	return 0;
}

/* ---- hostile arguments ---- */

static const uint64_t hostile_addrs[] = {
	0, 1, 0xfff, 0x1000, 0x10000, 0x400000,
	0xffff800000000000UL, 0xffff800000001000UL, 0xffff888000000000UL,
	0xffffffff80000000UL, 0xffffffff80100000UL, 0xfffffffffffff000UL, ~0UL,
	0x800000000000UL, 0x7ffffffffffeUL, 0x7ffffffff000UL, 0x7fffffffffffUL,
	0x8000000000000000UL, 0x800000001000UL, 0x7fffffffe000UL,
};

static const uint64_t lengths[] = {
	0, 1, 2, 7, 8, 16, 64, 512, 4095, 4096, 4097, 8192, 65536, 1UL << 20,
	0x7fffffff, 0x80000000, 0xffffffff, 1UL << 40, 1UL << 47, ~0UL, ~0UL >> 1, ~0UL - 4095,
};

static uint64_t hostile_addr(void)
{
	uint64_t a = PICK(hostile_addrs);

	return pick(4) ? a : a + pick(8192) - 4096;
}

/* A buffer pointer: good, read-only, PROT_NONE, unmapped, straddling, kernel... */
static uint64_t arg_ptr(void)
{
	switch (pick(12)) {
	case 0: return 0;
	case 1: case 2: return hostile_addr();
	case 3: return (uint64_t)page_at(0) + pick(2 * PAGE);
	case 4: return (uint64_t)page_at(4) + pick(PAGE);
	case 5: return (uint64_t)page_at(5) + pick(PAGE);
	case 6: return (uint64_t)page_at(7) - 1 - pick(64);	/* into the hole */
	case 7: return (uint64_t)page_at(pick(2) ? 4 : 5) - 1 - pick(64);
	case 8: return (uint64_t)&arena_fill;			/* text: read-only */
	case 9: return (uint64_t)page_at(7) + pick(PAGE);
	case 10: return (uint64_t)page_at(8) + pick(8 * PAGE);
	default: return rnd();
	}
}

static uint64_t arg_len(void)
{
	return pick(3) ? PICK(lengths) : pick(3 * PAGE);
}

static uint64_t arg_int(void)
{
	switch (pick(6)) {
	case 0: return pick(4);
	case 1: return (uint64_t)-1;
	case 2: return 1UL << pick(64);
	case 3: return (uint32_t)rnd();
	case 4: return 0x80000000UL;
	default: return rnd();
	}
}

/* Descriptors: the child's own 0..9, bad ones, AT_FDCWD; never REPORT_FD. */
static uint64_t arg_fd(void)
{
	static const int64_t bad[] = { -1, -100, 32, 1000, 0x7fffffff, -0x80000000L, 29 };

	return pick(4) ? pick(10) : (uint64_t)PICK(bad);
}

static uint64_t arg_path(void)
{
	switch (pick(8)) {
	case 0: case 1: case 2: {
		char *p = page_at(1);
		for (uint64_t n = pick(NPATHS); n; n--)
			p += strlen(p) + 1;
		return (uint64_t)p;
	}
	case 3: return (uint64_t)page_at(7) - 13;	/* runs into the hole */
	case 4: return (uint64_t)page_at(5);		/* PROT_NONE */
	case 5: return (uint64_t)page_at(4);		/* read-only: fine */
	case 6: return (uint64_t)page_at(2);		/* 8 KiB without a NUL */
	default: return arg_ptr();
	}
}

/* Mostly the mm area; rarely the arena, the program or the hostile
 * addresses (changing those usually ends the worker with SIGSEGV). */
static uint64_t arg_mm_addr(void)
{
	switch (pick(32)) {
	case 0: case 1: case 2: return hostile_addr();
	case 3: return (uint64_t)arena + pick(ARENA_PAGES) * PAGE;
	case 4: case 5: case 6: case 7: return (uint64_t)mm_area + pick(MM_PAGES * PAGE);
	default: return (uint64_t)mm_area + pick(MM_PAGES) * PAGE;
	}
}

static uint64_t arg_mm_len(void)
{
	return pick(4) ? (1 + pick(16)) * PAGE : PICK(lengths);
}

static uint64_t arg_prot(void)
{
	return pick(6) ? pick(8) : rnd() & 0xff0000ff;
}

static uint64_t arg_mmap_flags(void)
{
	static const uint64_t extra[] = { 0, 0, 0x10 /* FIXED */, 0x8000 /* POPULATE */,
					  0x4000 /* NORESERVE */, 0x100 /* GROWSDOWN */,
					  0x100000 /* FIXED_NOREPLACE */, 0x40 /* 32BIT */ };

	switch (pick(6)) {
	case 0: return rnd() & 0x1fffff;
	case 1: return MAP_SHARED | MAP_ANONYMOUS;
	case 2: return MAP_PRIVATE | PICK(extra);
	default: return MAP_PRIVATE | MAP_ANONYMOUS | PICK(extra);
	}
}

/* Every advice Linux knows (0-4, 8-25), and some it does not. */
static uint64_t arg_advice(void)
{
	static const int64_t odd[] = { 5, 6, 7, 26, 100, -1, 0x7fffffff };

	return pick(6) ? (pick(2) ? pick(5) : 8 + pick(18)) : (uint64_t)PICK(odd);
}

/* File offsets; a third are addresses, for /proc/self/mem (fd 7). */
static uint64_t arg_off(void)
{
	static const uint64_t offs[] = { 0, 0, 1, 4096, 8192, 0x10000, ~0UL, 1UL << 62,
					 ~0UL - 4095 };

	return pick(3) ? PICK(offs) : arg_ptr();
}

/* Pids that are this child's business: never -1 (everyone) or 1 (init). */
static uint64_t arg_pid(void)
{
	static const int64_t far[] = { 0, 99999, 0x7fffffff, -99999, -0x80000000L };

	switch (pick(4)) {
	case 0: return getpid();
	case 1: return -(int64_t)getpid();
	case 2: return getpid() + 1 + pick(3);
	default: return PICK(far);
	}
}

static uint64_t arg_sig(void)
{
	return pick(8) ? 1 + pick(64) : arg_int();
}

/* An iovec array in page 1 (after the path table) pointing at hostile buffers. */
static uint64_t arg_iov(void)
{
	uint64_t *iov = (uint64_t *)(page_at(1) + 2048);

	if (!pick(6))
		return arg_ptr();
	for (int i = 0; i < 16; i++) {
		iov[2 * i] = arg_ptr();
		iov[2 * i + 1] = arg_len();
	}
	return (uint64_t)iov;
}

/* ---- the calls ---- */

enum kind { K_NONE, K_INT, K_FD, K_PTR, K_LEN, K_PATH, K_ADDR, K_MLEN, K_PROT, K_MFLAGS,
	    K_ADVICE, K_OFF, K_PID, K_SIG, K_IOV, K_SMALL };

struct call {
	long nr;
	int weight;
	enum kind args[6];
};

/* The calls kernel/syscall.c implements, memory calls favoured.  Left out:
 * fork, vfork, clone, execve (their own operations below), kill (op_kill:
 * never pid -1 or 1), reboot (its magic would power off), chdir (the
 * children stay in the sandbox, BOX). */
static const struct call calls[] = {
	{ SYS_read, 5, { K_FD, K_PTR, K_LEN } },
	{ SYS_write, 5, { K_FD, K_PTR, K_LEN } },
	{ SYS_open, 4, { K_PATH, K_INT, K_INT } },
	{ SYS_openat, 3, { K_FD, K_PATH, K_INT, K_INT } },
	{ SYS_close, 3, { K_FD } },
	{ SYS_stat, 2, { K_PATH, K_PTR } },
	{ SYS_lstat, 1, { K_PATH, K_PTR } },
	{ SYS_fstat, 2, { K_FD, K_PTR } },
	{ SYS_newfstatat, 2, { K_FD, K_PATH, K_PTR, K_INT } },
	{ SYS_lseek, 2, { K_FD, K_OFF, K_SMALL } },
	{ SYS_mmap, 10, { K_ADDR, K_MLEN, K_PROT, K_MFLAGS, K_FD, K_OFF } },
	{ SYS_mprotect, 10, { K_ADDR, K_MLEN, K_PROT } },
	{ SYS_munmap, 6, { K_ADDR, K_MLEN } },
	{ SYS_madvise, 10, { K_ADDR, K_MLEN, K_ADVICE } },
	{ SYS_brk, 4, { K_ADDR } },
	{ SYS_rt_sigaction, 1, { K_SIG, K_PTR, K_PTR, K_SMALL } },
	{ SYS_rt_sigprocmask, 2, { K_SMALL, K_PTR, K_PTR, K_SMALL } },
	{ SYS_ioctl, 3, { K_FD, K_INT, K_PTR } },
	{ SYS_pread64, 3, { K_FD, K_PTR, K_LEN, K_OFF } },
	{ SYS_pwrite64, 3, { K_FD, K_PTR, K_LEN, K_OFF } },
	{ SYS_readv, 3, { K_FD, K_IOV, K_SMALL } },
	{ SYS_writev, 3, { K_FD, K_IOV, K_SMALL } },
	{ SYS_access, 2, { K_PATH, K_INT } },
	{ SYS_pipe, 2, { K_PTR } },
	{ SYS_pipe2, 2, { K_PTR, K_INT } },
	{ SYS_sched_yield, 1, { K_NONE } },
	{ SYS_dup, 2, { K_FD } },
	{ SYS_dup2, 2, { K_FD, K_FD } },
	{ SYS_nanosleep, 1, { K_PTR, K_PTR } },
	{ SYS_getpid, 1, { K_NONE } },
	{ SYS_getppid, 1, { K_NONE } },
	{ SYS_wait4, 2, { K_PID, K_PTR, K_INT, K_PTR } },
	{ SYS_uname, 1, { K_PTR } },
	{ SYS_fcntl, 2, { K_FD, K_SMALL, K_INT } },
	{ SYS_getcwd, 2, { K_PTR, K_LEN } },
	{ SYS_mkdir, 1, { K_PATH, K_INT } },
	{ SYS_rmdir, 1, { K_PATH } },
	{ SYS_unlink, 1, { K_PATH } },
	{ SYS_rename, 1, { K_PATH, K_PATH } },
	{ SYS_link, 1, { K_PATH, K_PATH } },
	{ SYS_symlink, 1, { K_PATH, K_PATH } },
	{ SYS_readlink, 1, { K_PATH, K_PTR, K_LEN } },
	{ SYS_truncate, 1, { K_PATH, K_OFF } },
	{ SYS_ftruncate, 1, { K_FD, K_OFF } },
	{ SYS_chmod, 1, { K_PATH, K_INT } },
	{ SYS_utimensat, 1, { K_FD, K_PATH, K_PTR, K_INT } },
	{ SYS_statfs, 1, { K_PATH, K_PTR } },
	{ SYS_setsid, 1, { K_NONE } },
	{ SYS_setpgid, 1, { K_PID, K_SMALL } },
	{ SYS_getpgid, 1, { K_PID } },
	{ SYS_arch_prctl, 1, { K_INT, K_PTR } },
	{ SYS_set_tid_address, 1, { K_PTR } },
	{ SYS_clock_gettime, 2, { K_SMALL, K_PTR } },
	{ SYS_clock_nanosleep, 1, { K_SMALL, K_SMALL, K_PTR, K_PTR } },
	{ SYS_getdents64, 3, { K_FD, K_PTR, K_LEN } },
};
#define NCALLS (sizeof calls / sizeof calls[0])

static uint64_t arg_of(enum kind k)
{
	switch (k) {
	case K_NONE: return 0;
	case K_INT: return arg_int();
	case K_FD: return arg_fd();
	case K_PTR: return arg_ptr();
	case K_LEN: return arg_len();
	case K_PATH: return arg_path();
	case K_ADDR: return arg_mm_addr();
	case K_MLEN: return arg_mm_len();
	case K_PROT: return arg_prot();
	case K_MFLAGS: return arg_mmap_flags();
	case K_ADVICE: return arg_advice();
	case K_OFF: return arg_off();
	case K_PID: return arg_pid();
	case K_SIG: return arg_sig();
	case K_IOV: return arg_iov();
	case K_SMALL: return pick(8) ? pick(16) : arg_int();
	}
	return 0;
}

static const struct call *pick_call(void)
{
	static int total;

	if (!total)
		for (size_t i = 0; i < NCALLS; i++)
			total += calls[i].weight;
	int w = (int)pick(total);
	for (size_t i = 0; i < NCALLS; i++)
		if ((w -= calls[i].weight) < 0)
			return &calls[i];
	return &calls[0];
}

static void op_table_call(void)
{
	const struct call *c = pick_call();
	uint64_t a[6];

	for (int i = 0; i < 6; i++)
		a[i] = arg_of(c->args[i]);
	raw_syscall(c->nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* Numbers this fuzzer must not throw blindly (see calls[]). */
static bool forbidden_nr(uint64_t nr)
{
	return nr == SYS_fork || nr == SYS_vfork || nr == SYS_clone || nr == SYS_execve ||
	       nr == SYS_kill || nr == SYS_reboot ||
	       nr == SYS_tkill || nr == SYS_tgkill || nr == SYS_rt_sigqueueinfo ||
	       nr == SYS_rt_tgsigqueueinfo || nr == SYS_pidfd_send_signal || nr == SYS_clone3 ||
	       nr == SYS_execveat || nr == SYS_kexec_load || nr == SYS_kexec_file_load ||
	       nr == SYS_chdir || nr == SYS_fchdir || nr == SYS_chroot || nr == SYS_mount ||
	       nr == SYS_umount2 || nr == SYS_pivot_root;	/* the children stay in the sandbox */
}

/* A random number, unknown ones included, with random arguments. */
static void op_raw_call(void)
{
	uint64_t nr = pick(4) ? pick(460) : rnd();

	if (forbidden_nr(nr))
		return;
	raw_syscall(nr, arg_int(), arg_ptr(), arg_len(), arg_int(), arg_ptr(), arg_int());
}

static void op_kill(void)
{
	raw_syscall(SYS_kill, arg_pid(), arg_sig(), 0, 0, 0, 0);
}

/* Read or write a page (copy-on-write, zero page): of the mm area, which the
 * memory calls change under it, or a writable arena page, or rarely any
 * arena page (SIGSEGV for the PROT_NONE page and the hole). */
static void op_touch(void)
{
	static const int writable[] = { 0, 1, 2, 3, 6, 8, 9, 10, 11, 12, 13, 14, 15 };
	int page = pick(16) ? PICK(writable) : (int)pick(ARENA_PAGES);
	volatile char *p = (volatile char *)(pick(4) ? page_at(page)
					     : mm_area + pick(MM_PAGES) * PAGE) + pick(PAGE);

	if (pick(2))
		*p = (char)rnd();
	else
		(void)*p;
}

static void op_brk_grow(void)
{
	uint64_t cur = raw_syscall(SYS_brk, 0, 0, 0, 0, 0, 0);
	uint64_t n = (1 + pick(32)) * PAGE;

	if (raw_syscall(SYS_brk, cur + n, 0, 0, 0, 0, 0) == (long)(cur + n))
		for (uint64_t off = 0; off < n; off += PAGE)
			((volatile char *)cur)[off] = 1;
}

static void run_calls(int n);

/* fork inside the child: both sides touch and throw a few more calls. */
static void op_fork(void)
{
	if (depth >= 2)
		return;
	pid_t pid = fork();
	if (pid == 0) {
		depth++;
		run_calls(16 + (int)pick(32));
		_exit(0);
	}
	for (int i = 0; i < 8; i++)
		op_touch();
	if (pid > 0 && pick(2))
		waitpid(pid, NULL, 0);
}

/* One operation: mostly a call of calls[], the others named by op_*. */
static void one_op(void)
{
	switch (pick(20)) {
	case 0: case 1: case 2: op_touch(); break;
	case 3: op_raw_call(); break;
	case 4: op_fork(); break;
	case 5: op_brk_grow(); break;
	case 6: op_kill(); break;
	default: op_table_call(); break;
	}
}

/* N operations, reported every 32 (a killed worker loses at most 31). */
static void run_calls(int n)
{
	uint32_t since = 0;

	for (int i = 0; i < n; i++) {
		one_op();
		if (++since == 32) {
			report(since, 0);
			since = 0;
		}
	}
	report(since, 0);
}

/* ---- the processes of a round ---- */

static struct {
	uint64_t seed;
	long rounds;		/* 0: until the time is up */
	long time_s;		/* 0: until the rounds are done */
	int calls;		/* per syscall child */
	int ksm;		/* 1: run same-page merging during the rounds */
	long from;		/* the first round (rounds are seeded apart) */
} opt = { 1, 0, 0, 2000, 1, 1 };

static char corpus[MAX_CORPUS][64];
static int ncorpus;

/* The child's stdin, stdout and stderr become /dev/null; REPORT_FD stays. */
static void child_stdio(void)
{
	int fd = open("/dev/null", O_RDWR);

	for (int i = 0; i < 3; i++)
		dup2(fd, i);
	for (int i = 3; i < REPORT_FD; i++)
		close(i);
}

/* A worker: its arena, a few descriptors, maybe equal pages offered to
 * same-page merging, then WORKER_CALLS operations. */
static void worker(long round, int slot, int n)
{
	int fds[2];

	rnd_seed(opt.seed, round, slot * 1000 + n);
	if (arena_setup(slot) || chdir(BOX))
		_exit(1);
	open("box-true", O_RDONLY);		/* fd 3: a file to mmap */
	open("/proc/meminfo", O_RDONLY);	/* fd 4 */
	if (pipe(fds))				/* fds 5 and 6 */
		_exit(1);
	open("/proc/self/mem", O_RDWR);		/* fd 7: forced writes, own text included */
	if (pick(2))		/* pages for same-page merging: three contents */
		for (int i = 0; i < MM_PAGES / 4; i++)
			memset(mm_area + i * PAGE, 'a' + i % 3, PAGE);
	if (pick(2))
		madvise(mm_area, MM_PAGES * PAGE, MADV_MERGEABLE);
	run_calls(WORKER_CALLS);
	_exit(0);
}

/* Wait for child PID at most MS milliseconds, then kill it. */
static void wait_or_kill(pid_t pid, long ms)
{
	for (long t = 0; pid > 0 && waitpid(pid, NULL, WNOHANG) == 0; t += 5) {
		if (t >= ms) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			break;
		}
		sleep_ms(5);
	}
}

/* opt.calls operations in workers one after the other, so that a worker
 * killed by its own hostile calls (SIGSEGV) or stuck in a call (a sleep, a
 * read of an empty pipe) does not end the child's share. */
static void syscall_child(long round, int slot)
{
	for (int n = 0; n * WORKER_CALLS < opt.calls; n++) {
		pid_t pid = fork();
		if (pid == 0)
			worker(round, slot, n);
		wait_or_kill(pid, WORKER_LIMIT_MS);
	}
	_exit(0);
}

/* execve of a mutated file with normal, missing or hostile argv and envp. */
static void exec_one(const char *path)
{
	static char *const normal[] = { "fuzzelf", "--help", NULL };
	char *const *argv = normal, *const *envp = normal;

	if (!pick(4))
		argv = (char *const *)(pick(2) ? 0 : arg_ptr());
	if (!pick(4))
		envp = (char *const *)(pick(2) ? 0 : arg_ptr());
	raw_syscall(SYS_execve, (uint64_t)path, (uint64_t)argv, (uint64_t)envp, 0, 0, 0);
	_exit(127);
}

/* NEXEC execs of corpus files picked at random, one after the other. */
static void exec_child(long round, int slot)
{
	char path[96];

	rnd_seed(opt.seed, round, slot);
	if (arena_setup(slot))
		_exit(1);
	for (int i = 0; i < NEXEC && ncorpus; i++) {
		snprintf(path, sizeof path, "/fuzz/%.63s", corpus[pick(ncorpus)]);
		pid_t pid = fork();
		if (pid == 0)
			exec_one(path);
		report(0, 1);
		wait_or_kill(pid, WORKER_LIMIT_MS);
	}
	_exit(0);
}

/* Allocate and touch until killed, forking now and then so that the
 * children's copy-on-write breaks take memory too. */
static void storm_child(long round, int slot)
{
	rnd_seed(opt.seed, round, slot);
	for (int n = 0;; n++) {
		size_t len = (1 + pick(4)) << 20;
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);
		if (p == MAP_FAILED && (p = sbrk(len)) == (void *)-1)
			_exit(0);	/* refused up front (overcommit): nothing left to do */
		for (size_t off = 0; off < len; off += PAGE)
			p[off] = (char)n;
		if (n % 8 == 7 && fork() == 0)
			continue;	/* the child storms on from here */
	}
}

/* Fork a child in its own process group running fn; returns its pid. */
static pid_t spawn(void (*fn)(long, int), long round, int slot)
{
	pid_t pid = fork();

	if (pid == 0) {
		setpgid(0, 0);
		child_stdio();
		fn(round, slot);
		_exit(0);
	}
	if (pid > 0)
		setpgid(pid, pid);
	return pid;
}

/* Every STORM_EVERY-th round has out-of-memory storm children. */
static bool storm_round(long round)
{
	return round % STORM_EVERY == 0;
}

/* The controller: start the round's children, give them ROUND_BUDGET_S,
 * then kill their groups.  The supervisor reaps what is left. */
static void controller(long round)
{
	pid_t kids[NSYS + 1 + NSTORM];
	int n = 0;

	for (int i = 0; i < NSYS; i++)
		kids[n++] = spawn(syscall_child, round, i);
	kids[n++] = spawn(exec_child, round, NSYS);
	for (int i = 0; storm_round(round) && i < NSTORM; i++)
		kids[n++] = spawn(storm_child, round, NSYS + 1 + i);
	double end = now_s() + ROUND_BUDGET_S;
	int left = n;
	while (left > 0 && now_s() < end) {
		pid_t got = waitpid(-1, NULL, WNOHANG);
		if (got > 0)
			left--;
		else if (got < 0 && errno == ECHILD)
			break;
		else
			sleep_ms(20);
	}
	for (int i = 0; i < n; i++)
		if (kids[i] > 0)
			kill(-kids[i], SIGKILL);
	_exit(0);
}

/* ---- the supervisor ---- */

static struct {
	uint64_t calls, execs, storms;
} total;
static int report_rd = -1;

/* Add up the reports waiting in the pipe.  A worker may have scribbled on
 * its own memory (through /proc/self/mem), so a record that no report()
 * can send (more than 32 calls or one exec) is dropped. */
static void drain_reports(void)
{
	struct report r[64];
	ssize_t n;

	while ((n = read(report_rd, r, sizeof r)) > 0)
		for (size_t i = 0; i < (size_t)n / sizeof r[0]; i++) {
			if (r[i].calls > 32 || r[i].execs > 1)
				continue;
			total.calls += r[i].calls;
			total.execs += r[i].execs;
		}
}

/* The pipe children report through: write end at REPORT_FD, read end non-blocking. */
static int reports_open(void)
{
	int fds[2];

	if (pipe(fds) || dup2(fds[1], REPORT_FD) < 0)
		return -1;
	close(fds[1]);
	report_rd = fds[0];
	return fcntl(report_rd, F_SETFL, O_NONBLOCK);
}

/* Reap every child until none is left: the controller first, then, after
 * kill(-1, SIGKILL), whatever escaped.  Returns 0, or -1 when a process
 * outlives REAP_LIMIT_S (it ignores SIGKILL: a kernel hang). */
static int reap_all(pid_t ctl, double *took)
{
	double start = now_s();
	bool swept = false;

	for (;;) {
		drain_reports();
		pid_t got = waitpid(-1, NULL, WNOHANG);
		if (got == ctl)
			ctl = 0;
		if (got < 0 && errno == ECHILD)
			break;
		if (got > 0)
			continue;
		if (!ctl && !swept) {
			kill(-1, SIGKILL);
			swept = true;
		}
		if (now_s() - start > ROUND_BUDGET_S + REAP_LIMIT_S)
			return -1;
		sleep_ms(20);
	}
	drain_reports();
	*took = now_s() - start;
	return 0;
}

/* The memory figures a round must give back, in kB. */
struct mem {
	long free, cached, slab, kstack, pagetables, anon;
};

static int mem_read(struct mem *m)
{
	static char buf[4096];
	static const char *const names[] = { "MemFree:", "Cached:", "Slab:", "KernelStack:",
					     "PageTables:", "AnonPages:" };
	long *fields[] = { &m->free, &m->cached, &m->slab, &m->kstack, &m->pagetables, &m->anon };

	if (read_file("/proc/meminfo", buf, sizeof buf) <= 0)
		return -1;
	for (size_t i = 0; i < 6; i++) {
		char *at = strstr(buf, names[i]);
		if (!at)
			return -1;
		*fields[i] = strtol(at + strlen(names[i]), NULL, 10);
	}
	return 0;
}

static void fail_round(long round, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A failed check: the TAP line, then the seed and the round (scripts/fuzz
 * turns that line into the command that replays it). */
static void fail_round(long round, const char *what, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	tap_fail(what, "%s", why);
	say("fuzz: FAILED seed %lu round %ld: %s: %s\n", (unsigned long)opt.seed, round, what, why);
}

/* Run the invariant checker; 0 when it found nothing. */
static int audit(long round)
{
	char what[96], text[32];
	int fd = open("/proc/sys/vm/audit", O_RDWR);

	snprintf(what, sizeof what, "round %ld: /proc/sys/vm/audit finds no violation", round);
	if (fd < 0) {
		fail_round(round, what, "cannot open it: %s", strerror(errno));
		return -1;
	}
	ssize_t n = write(fd, "1", 1);
	int err = errno;
	close(fd);
	if (n == 1) {
		tap_pass(what);
		return 0;
	}
	read_file("/proc/sys/vm/audit", text, sizeof text);
	fail_round(round, what, "write gave %s; %ld violations since boot (see the console's "
		   "audit: lines)", n < 0 ? strerror(err) : "a short count",
		   strtol(text, NULL, 10));
	return -1;
}

/* Free memory must come back exactly: the page cache is warm (nothing may
 * enter it), kernel heap frames go back when their last object does
 * (mm/heap.c), and every process of the round is gone.  A dead process's
 * frames are all freed by the time wait4 reaps it, but give the kernel a
 * second in case some are released later, and name what did not return. */
static int mem_check(long round, const struct mem *before)
{
	char what[96];
	struct mem m = { 0 };

	snprintf(what, sizeof what, "round %ld: MemFree back to %ld kB, Cached unchanged", round,
		 before->free);
	for (int i = 0; i < 50; i++) {
		if (mem_read(&m) == 0 && m.free == before->free && m.cached == before->cached)
			break;
		sleep_ms(20);
	}
	if (m.free == before->free && m.cached == before->cached) {
		tap_pass(what);
		return 0;
	}
	fail_round(round, what, "MemFree %+ld kB; Cached %+ld, Slab %+ld, KernelStack %+ld, "
		   "PageTables %+ld, AnonPages %+ld kB", m.free - before->free,
		   m.cached - before->cached, m.slab - before->slab, m.kstack - before->kstack,
		   m.pagetables - before->pagetables, m.anon - before->anon);
	return -1;
}

/* ---- the sandbox: a fresh BOX each round, and "/" kept as it was ---- */

static char root_names[MAX_ROOT][64];
static int nroot;

static bool in_root(const char *name)
{
	for (int i = 0; i < nroot; i++)
		if (!strcmp(root_names[i], name))
			return true;
	return false;
}

static bool remove_entries(int fd, bool (*keep)(const char *name));

/* Remove NAME of directory DIRFD, a directory with all it holds: true when gone. */
static bool remove_tree(int dirfd, const char *name)
{
	if (unlinkat(dirfd, name, 0) == 0)
		return true;
	if (errno != EISDIR)
		return false;
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
	if (fd >= 0) {
		remove_entries(fd, NULL);
		close(fd);
	}
	return unlinkat(dirfd, name, AT_REMOVEDIR) == 0;
}

/* Remove the entries of directory FD but those KEEP approves (none if NULL),
 * listing it again after each pass that removed something (a listing's
 * positions move as names go). */
static bool remove_entries(int fd, bool (*keep)(const char *name))
{
	char buf[2048];
	bool removed_any = false;

	for (bool again = true; again;) {
		long n;
		again = false;
		lseek(fd, 0, SEEK_SET);
		while ((n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0)
			for (long off = 0; off < n; off += ((struct dirent *)(buf + off))->d_reclen) {
				const char *name = ((struct dirent *)(buf + off))->d_name;
				if (strcmp(name, ".") && strcmp(name, "..") && !(keep && keep(name)))
					again |= remove_tree(fd, name);
			}
		removed_any |= again;
	}
	return removed_any;
}

/* Copy FROM to TO (mode 0755) through a buffer on the prefaulted stack. */
static void copy_file(const char *from, const char *to)
{
	char buf[8192];
	int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	ssize_t n;

	while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, (size_t)n) != n)
			break;
	close(in);
	close(out);
}

/* The names the path table gives, in a fresh BOX. */
static void box_make(void)
{
	mkdir(BOX, 0755);
	copy_file("/bin/true", BOX "/box-true");
	copy_file("/bin/cat", BOX "/box-cat");
	mkdir(BOX "/box-dir", 0755);
	copy_file("/bin/true", BOX "/box-dir/file");
}

/* Everything the round made: all of /tmp, and whatever is new in "/"
 * (a name cut from a path, "/null" of "/dev/null", made there). */
static void box_clean(void)
{
	int fd = open("/tmp", O_RDONLY | O_DIRECTORY);

	if (fd >= 0) {
		remove_entries(fd, NULL);
		close(fd);
	}
	if ((fd = open("/", O_RDONLY | O_DIRECTORY)) >= 0) {
		remove_entries(fd, in_root);
		close(fd);
	}
}

/* Note the names in "/" (after making /tmp), so box_clean keeps them. */
static void root_snapshot(void)
{
	char buf[2048];
	int fd;
	long n;

	mkdir("/tmp", 01777);
	if ((fd = open("/", O_RDONLY | O_DIRECTORY)) < 0)
		return;
	while ((n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0)
		for (long off = 0; off < n; off += ((struct dirent *)(buf + off))->d_reclen)
			if (nroot < MAX_ROOT)
				strlcpy(root_names[nroot++], ((struct dirent *)(buf + off))->d_name,
					sizeof root_names[0]);
	close(fd);
}

/* One round and its checks; 0 when all passed. */
static int run_round(long round)
{
	struct mem before;
	char what[96];
	double took = 0;
	uint64_t calls0 = total.calls, execs0 = total.execs;

	if (mem_read(&before)) {
		fail_round(round, "read /proc/meminfo", "%s", strerror(errno));
		return -1;
	}
	say("fuzz: seed %lu round %ld: start%s\n", (unsigned long)opt.seed, round,
	    storm_round(round) ? " (out-of-memory storm)" : "");
	box_make();
	pid_t ctl = fork();
	if (ctl == 0)
		controller(round);
	total.storms += storm_round(round);
	snprintf(what, sizeof what, "round %ld: every process gone after SIGKILL", round);
	if (ctl < 0 || reap_all(ctl, &took)) {
		fail_round(round, what,
			   ctl < 0 ? "fork failed" : "still there %d s after its start",
			   ROUND_BUDGET_S + REAP_LIMIT_S);
		return -1;
	}
	tap_pass(what);
	box_clean();
	if (audit(round) || mem_check(round, &before))
		return -1;
	say("fuzz: seed %lu round %ld: %lu calls, %lu execs, %.1f s\n", (unsigned long)opt.seed,
	    round, (unsigned long)(total.calls - calls0), (unsigned long)(total.execs - execs0),
	    took);
	return 0;
}

/* Map every page of every file the rounds can map or exec, so that the page
 * cache holds them all before the first round (in a child: the mappings go
 * away with it); run the checker once. */
static void warm_file(const char *path)
{
	int fd = open(path, O_RDONLY);
	off_t size = fd < 0 ? 0 : lseek(fd, 0, SEEK_END);

	if (size > 0) {
		volatile char *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p != MAP_FAILED) {
			for (off_t off = 0; off < size; off += PAGE)
				(void)p[off];
			munmap((void *)p, size);
		}
	}
	if (fd >= 0)
		close(fd);
}

static void warm_up(void)
{
	char path[96];

	root_snapshot();
	box_make();	/* once, so that the heap has grown to what a round needs */
	box_clean();
	pid_t pid = fork();

	if (pid == 0) {
		warm_file("/bin/fuzz");
		warm_file("/bin/true");
		warm_file("/bin/cat");
		for (int i = 0; i < ncorpus; i++) {
			snprintf(path, sizeof path, "/fuzz/%.63s", corpus[i]);
			warm_file(path);
		}
		_exit(0);
	}
	/* The checker's counters are allocated by its first run and kept (mm/audit.h). */
	write_file("/proc/sys/vm/audit", "1");
	/* Same-page merging at work on whatever the children mark MADV_MERGEABLE. */
	if (opt.ksm && (ksm_write("pages_to_scan", "1000") || ksm_write("sleep_millisecs", "5") ||
			ksm_write("run", "1")))
		say("fuzz: cannot start same-page merging: %s\n", strerror(errno));
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The mutated ELF files scripts/fuzz put in /fuzz, in name order. */
static void corpus_load(void)
{
	DIR *d = opendir("/fuzz");
	struct dirent *e;

	while (d && (e = readdir(d)) && ncorpus < MAX_CORPUS)
		if (e->d_name[0] != '.' && strlen(e->d_name) < sizeof corpus[0])
			strcpy(corpus[ncorpus++], e->d_name);
	if (d)
		closedir(d);
	qsort(corpus, ncorpus, sizeof corpus[0], compare_names);
}

/* Touch the stack the supervisor will ever use, so it does not grow (and
 * take frames) in the middle of a round's measurement. */
__attribute__((noinline)) static void stack_prefault(void)
{
	volatile char stack[64 * 1024];

	for (size_t i = 0; i < sizeof stack; i += PAGE)
		stack[i] = 0;
}

/* --seed, --rounds, --time, --calls, --ksm, --from with a value each; -1 on
 * anything else. */
static int parse_args(int argc, char **argv)
{
	for (int i = 1; i + 1 < argc; i += 2) {
		long v = strtol(argv[i + 1], NULL, 0);
		if (!strcmp(argv[i], "--seed"))
			opt.seed = strtoull(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--rounds"))
			opt.rounds = v;
		else if (!strcmp(argv[i], "--time"))
			opt.time_s = v;
		else if (!strcmp(argv[i], "--calls"))
			opt.calls = (int)v;
		else if (!strcmp(argv[i], "--ksm"))
			opt.ksm = (int)v;
		else if (!strcmp(argv[i], "--from") && v > 0)
			opt.from = v;
		else
			return -1;
	}
	return argc % 2 == 1 ? 0 : -1;
}

int main(int argc, char **argv)
{
	if (parse_args(argc, argv) || getpid() != 1) {
		say("usage: init=/bin/fuzz [--seed N] [--rounds N] [--time SEC] [--calls N] "
		    "[--ksm 0|1] [--from R]\n"
		    "(as init: scripts/fuzz boots it)\n");
		return 2;
	}
	stack_prefault();
	corpus_load();
	if (reports_open()) {
		say("fuzz: cannot make the report pipe: %s\n", strerror(errno));
		return 1;
	}
	say("fuzz: seed %lu, %ld rounds, %ld s, %d calls per child, %d ELF files in /fuzz\n",
	    (unsigned long)opt.seed, opt.rounds, opt.time_s, opt.calls, ncorpus);
	warm_up();
	double end = now_s() + opt.time_s;
	long done = 0;
	for (long round = opt.from; !opt.rounds || round <= opt.rounds; round++) {
		if ((opt.time_s && now_s() >= end) || run_round(round))
			break;
		done++;
	}
	say("fuzz: seed %lu: %ld rounds passed, %lu calls, %lu ELF execs of %d files, %lu storms, "
	    "%ld pages merged and %ld merged pages broken (ksm_merge, cow_ksm)\n",
	    (unsigned long)opt.seed, done, (unsigned long)total.calls,
	    (unsigned long)total.execs, ncorpus, (unsigned long)total.storms,
	    vmstat_get("ksm_merge"), vmstat_get("cow_ksm"));
	return tap_done();
}
