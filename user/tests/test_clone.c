/*
 * test_clone - threads at the system-call level: clone's flag rules
 * (EINVAL, EPERM), CLONE_*_SETTID and CLONE_CHILD_CLEARTID, futex (bad
 * addresses, timeouts, EAGAIN, wake counts, bitsets, requeue), gettid,
 * tkill/tgkill, set_robust_list, exit against exit_group, the process's
 * status and signals once its main thread has gone, fork and execve from a
 * thread, a thread with a bad stack, too many threads, and /proc/PID/task.
 * pthread-level tests are test_threads'.
 *
 * Threads here are raw: clone() through raw_thread() below, with their own
 * mmap'ed stack, running code that makes raw system calls only (sys()) and
 * talks to the main thread through shared words - they have no C library
 * thread of their own, so they must not touch errno, stdio or malloc.
 *
 * Runs on Linux too (musl-gcc -static).  Where Linux differs by design the
 * check says so: Linux's thread limit is far above what a test can reach
 * as root, so "too many threads" only checks EAGAIN here.
 * Runs on Linux: yes
 */
#include "tap.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>

#define CLONE_VM 0x00000100
#define CLONE_FS 0x00000200
#define CLONE_FILES 0x00000400
#define CLONE_SIGHAND 0x00000800
#define CLONE_PIDFD 0x00001000
#define CLONE_VFORK 0x00004000
#define CLONE_THREAD 0x00010000
#define CLONE_NEWNS 0x00020000
#define CLONE_SYSVSEM 0x00040000
#define CLONE_SETTLS 0x00080000
#define CLONE_PARENT_SETTID 0x00100000
#define CLONE_CHILD_CLEARTID 0x00200000
#define CLONE_DETACHED 0x00400000
#define CLONE_CHILD_SETTID 0x01000000
/* what musl's pthread_create passes */
#define THREAD_FLAGS (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | \
		      CLONE_SYSVSEM | CLONE_DETACHED)

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE 128
#define FUTEX_CLOCK_REALTIME 256

#define STACK_SIZE (64 * 1024)
#define KERNEL_ADDR 0xffffffff80000000UL

/* ---- raw system calls and raw threads ---------------------------------- */

/* A system call returning the kernel's raw result (-errno on failure),
 * safe in a raw thread (no errno). */
static long sys(long n, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

#define sys0(n) sys(n, 0, 0, 0, 0, 0, 0)
#define sys1(n, a) sys(n, (long)(a), 0, 0, 0, 0, 0)
#define sys2(n, a, b) sys(n, (long)(a), (long)(b), 0, 0, 0, 0)
#define sys3(n, a, b, c) sys(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)

/* Sleep MS milliseconds, raw. */
static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	sys2(SYS_nanosleep, &ts, NULL);
}

static long futex(volatile int *addr, int op, int val, const struct timespec *ts,
		  volatile int *addr2, int val3)
{
	return sys(SYS_futex, (long)addr, op, val, (long)ts, (long)addr2, val3);
}

/*
 * clone(FLAGS) with a new stack whose top is STACK_TOP, running FN(ARG) in
 * the child, which then exits (SYS_exit) with FN's result.  Returns the
 * child's tid or -errno.  FN and ARG are put on the new stack, since the
 * child shares no registers but the stack pointer with this frame.
 */
static long raw_clone(unsigned long flags, void *stack_top, int *ptid, int *ctid,
		      unsigned long tls, int (*fn)(void *), void *arg)
{
	void **sp = stack_top;
	register long r10 __asm__("r10") = (long)ctid;
	register long r8 __asm__("r8") = (long)tls;
	long ret;

	if ((unsigned long)stack_top >= 4096 && (unsigned long)stack_top < KERNEL_ADDR) {
		*--sp = arg;
		*--sp = (void *)fn;
	}
	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "pop %%rax\n\t"
			 "pop %%rdi\n\t"
			 "call *%%rax\n\t"
			 "mov %%eax, %%edi\n\t"
			 "mov $60, %%eax\n\t"
			 "syscall\n\t"
			 "hlt\n"
			 "1:"
			 : "=a"(ret)
			 : "a"(SYS_clone), "D"(flags), "S"(sp), "d"(ptid), "r"(r10), "r"(r8)
			 : "rcx", "r11", "memory");
	return ret;
}

static void *new_stack(void)
{
	void *s = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	return s == MAP_FAILED ? NULL : (char *)s + STACK_SIZE;
}

static void free_stack(void *top)
{
	munmap((char *)top - STACK_SIZE, STACK_SIZE);
}

/* A raw thread of this process whose tid is in *CTID from before it runs
 * until it exits (CLONE_PARENT_SETTID and CLONE_CHILD_CLEARTID on the same
 * word, as musl's pthread_create): its tid, or -errno. */
static long raw_thread(int (*fn)(void *), void *arg, void *stack, int *ctid)
{
	return raw_clone(THREAD_FLAGS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID, stack, ctid,
			 ctid, 0, fn, arg);
}

/* Wait until the thread whose clear_child_tid word is *CTID has exited. */
static void raw_join(volatile int *ctid)
{
	int tid;

	while ((tid = *ctid) != 0)
		futex(ctid, FUTEX_WAIT, tid, NULL, NULL, 0);
}

/* A thread body that sleeps until the process ends. */
static volatile int forever;	/* never set */

static int sleep_forever(void *arg)
{
	(void)arg;
	while (!forever)
		futex(&forever, FUTEX_WAIT | FUTEX_PRIVATE, 0, NULL, NULL, 0);
	return 0;
}

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Check a raw result: WANT is 0 (success: >= 0) or an errno. */
static void check_raw(long got, int want, const char *what)
{
	if (want == 0 ? got >= 0 : got == -want)
		tap_pass(what);
	else if (got < 0)
		tap_fail(what, "errno %ld (%s), want %s", -got, strerror((int)-got),
			 want ? strerror(want) : "success");
	else
		tap_fail(what, "returned %ld, want %s", got, want ? strerror(want) : "success");
}

/* ---- clone's flag rules ------------------------------------------------- */

static void test_clone_einval(void)
{
	static const struct {
		unsigned long flags;
		const char *what;
	} bad[] = {
		{ CLONE_THREAD | CLONE_VM, "clone: CLONE_THREAD without CLONE_SIGHAND is EINVAL" },
		{ CLONE_SIGHAND, "clone: CLONE_SIGHAND without CLONE_VM is EINVAL" },
		{ CLONE_THREAD | CLONE_SIGHAND, "clone: CLONE_THREAD|CLONE_SIGHAND without CLONE_VM is EINVAL" },
		{ CLONE_NEWNS | CLONE_FS | SIGCHLD, "clone: CLONE_NEWNS with CLONE_FS is EINVAL" },
		{ CLONE_PIDFD | CLONE_DETACHED | SIGCHLD, "clone: CLONE_PIDFD with CLONE_DETACHED is EINVAL" },
		{ CLONE_PIDFD | CLONE_PARENT_SETTID | SIGCHLD, "clone: CLONE_PIDFD with CLONE_PARENT_SETTID is EINVAL" },
	};
	int ptid = 0;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		check_raw(sys(SYS_clone, (long)bad[i].flags, 0, (long)&ptid, 0, 0, 0), EINVAL,
			  bad[i].what);
	check_raw(sys(SYS_clone, CLONE_SETTLS | SIGCHLD, 0, 0, 0, (long)KERNEL_ADDR, 0), EPERM,
		  "clone: CLONE_SETTLS with a kernel address is EPERM");
}

/* clone(SIGCHLD) is fork: upper 32 bits of the flags are ignored, as Linux's
 * legacy clone takes only the low ones. */
static void test_clone_as_fork(void)
{
	long pid = sys(SYS_clone, (1L << 32) | SIGCHLD, 0, 0, 0, 0, 0);

	if (pid == 0)
		sys1(SYS_exit_group, 42);
	int status = pid > 0 ? tap_wait((pid_t)pid) : -1;
	tap_check(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 42,
		  "clone(SIGCHLD) (high flag bits ignored) is a fork the parent reaps",
		  "clone %ld, status %s", pid, tap_status_str(status));
}

/* CLONE_PARENT makes a sibling: the child of our child is ours to reap
 * (Linux copy_process: real_parent = current->real_parent). */
static void test_clone_parent(void)
{
	int p[2];

	if (pipe(p) < 0)
		return;
	pid_t mid = fork();
	if (mid == 0) {
		long sib = sys(SYS_clone, 0x00008000 /* CLONE_PARENT */ | SIGCHLD, 0, 0, 0, 0, 0);
		if (sib == 0)
			sys1(SYS_exit_group, 5);
		write(p[1], &sib, sizeof sib);
		_exit(0);
	}
	long sib = -1;
	read_full(p[0], &sib, sizeof sib);
	close(p[0]);
	close(p[1]);
	tap_wait(mid);
	int status = sib > 0 ? tap_wait((pid_t)sib) : -1;
	tap_check(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 5,
		  "clone(CLONE_PARENT) makes a sibling its grandparent reaps",
		  "clone %ld, status %s", sib, tap_status_str(status));
}

/* A child process whose exit signal is 0 is a "clone child": wait4 does
 * not see it without __WALL/__WCLONE (Linux's eligible_child). */
static void test_clone_exit_signal(void)
{
	long pid = sys(SYS_clone, 0, 0, 0, 0, 0, 0);

	if (pid == 0)
		sys1(SYS_exit_group, 5);
	if (pid < 0) {
		tap_fail("clone with exit signal 0", "clone: %s", strerror((int)-pid));
		return;
	}
	int status = 0;
	long r = waitpid((pid_t)pid, &status, 0);
	tap_check_errno(r, errno, ECHILD, "wait4 without __WALL ignores a child with exit signal 0");
	r = waitpid((pid_t)pid, &status, __WALL);
	tap_check(r == pid && WIFEXITED(status) && WEXITSTATUS(status) == 5,
		  "wait4 with __WALL reaps it", "waitpid %ld, status %s", r, tap_status_str(status));
}

/* ---- thread ids --------------------------------------------------------- */

struct ids {
	long pid, tid, ppid;
	volatile int done;
};

static int report_ids(void *arg)
{
	struct ids *ids = arg;

	ids->pid = sys0(SYS_getpid);
	ids->tid = sys0(SYS_gettid);
	ids->ppid = sys0(SYS_getppid);
	ids->done = 1;
	return 0;
}

static void test_thread_ids(void)
{
	static struct ids ids;
	static int ctid, ptid;
	void *stack = new_stack();
	long tid = raw_clone(THREAD_FLAGS | CLONE_PARENT_SETTID | CLONE_CHILD_SETTID |
			     CLONE_CHILD_CLEARTID, stack, &ptid, &ctid, 0, report_ids, &ids);

	if (tid < 0) {
		tap_fail("thread ids", "clone: %s", strerror((int)-tid));
		return;
	}
	while (!ids.done)	/* CLONE_CHILD_SETTID has written ctid by then */
		sched_yield();
	raw_join(&ctid);
	tap_check(ids.done && ids.tid == tid && ids.tid != ids.pid,
		  "a thread's gettid is clone's result and differs from getpid",
		  "tid %ld, clone %ld, pid %ld", ids.tid, tid, ids.pid);
	tap_check(ids.pid == getpid() && ids.ppid == getppid(),
		  "a thread shares getpid and getppid with the main thread",
		  "pid %ld/%d, ppid %ld/%d", ids.pid, getpid(), ids.ppid, getppid());
	tap_check(ptid == tid, "CLONE_PARENT_SETTID writes the tid", "%d, want %ld", ptid, tid);
	tap_check(syscall(SYS_gettid) == getpid(), "the main thread's tid is the pid",
		  "gettid %ld", syscall(SYS_gettid));
	free_stack(stack);
}

/* ---- clear_child_tid ---------------------------------------------------- */

struct settid {
	volatile int *ctid;
	volatile int seen;	/* *ctid as the thread saw it */
	volatile int *word;	/* set_tid_address target */
	volatile int go;
};

static int watch_settid(void *arg)
{
	struct settid *s = arg;

	s->seen = *s->ctid;
	while (!s->go)
		futex(&s->go, FUTEX_WAIT | FUTEX_PRIVATE, 0, NULL, NULL, 0);
	return 0;
}

static int use_set_tid_address(void *arg)
{
	struct settid *s = arg;

	*s->word = (int)sys1(SYS_set_tid_address, s->word);
	return 0;
}

static void test_clear_child_tid(void)
{
	static volatile int ctid, word;
	static struct settid s;
	void *stack = new_stack();

	s = (struct settid){ .ctid = &ctid };
	long tid = raw_clone(THREAD_FLAGS | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID, stack, NULL,
			     (int *)&ctid, 0, watch_settid, &s);
	if (tid < 0) {
		tap_fail("clear_child_tid", "clone: %s", strerror((int)-tid));
		return;
	}
	while (!s.seen)
		sched_yield();
	tap_check(s.seen == tid, "CLONE_CHILD_SETTID: the thread finds its tid in the word",
		  "%d, want %ld", s.seen, tid);
	s.go = 1;
	futex(&s.go, FUTEX_WAKE | FUTEX_PRIVATE, 1, NULL, NULL, 0);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	raw_join(&ctid);
	tap_check(ctid == 0 && elapsed_ms(&t0) < 5000,
		  "CLONE_CHILD_CLEARTID: the word is zeroed and a futex waiter woken at exit",
		  "word %d after %ld ms", ctid, elapsed_ms(&t0));

	word = -1;
	s = (struct settid){ .word = &word };
	tid = raw_clone(THREAD_FLAGS, stack, NULL, NULL, 0, use_set_tid_address, &s);
	for (int i = 0; i < 5000 && word != 0; i++) {
		int w = word;
		if (w)
			futex(&word, FUTEX_WAIT, w, &(struct timespec){ 0, 1000000 }, NULL, 0);
	}
	tap_check(tid > 0 && word == 0,
		  "set_tid_address returns the tid, and the word is zeroed at exit",
		  "clone %ld, word %d", tid, word);
	free_stack(stack);	/* the thread left it before its word was zeroed */
}

/* ---- what clone shares: descriptors, directory, dispositions ------------ */

struct sharing {
	int fd;			/* closed by the child */
	const char *dir;	/* chdir'ed to by the child */
};

static int close_and_chdir(void *arg)
{
	struct sharing *sh = arg;
	struct { unsigned long handler, flags, restorer, mask; } ign = { 1, 0, 0, 0 };

	sys1(SYS_close, sh->fd);
	sys1(SYS_chdir, sh->dir);
	sys(SYS_rt_sigaction, SIGUSR2, (long)&ign, 0, 8, 0, 0);
	return 0;
}

/* Run close_and_chdir in a task made with FLAGS (plus CLONE_VM and a stack);
 * report whether the caller's descriptor, directory and SIGUSR2's
 * disposition changed with it. */
static void clone_and_compare(unsigned long flags, int *fd_closed, int *cwd_moved, int *ignored)
{
	static int ctid;
	static struct sharing sh;
	char cwd[256] = "", home[256] = "/";
	void *stack = new_stack();

	getcwd(home, sizeof home);
	signal(SIGUSR2, SIG_DFL);
	sh = (struct sharing){ .fd = dup(0), .dir = "/proc" };
	long tid = raw_clone(flags | CLONE_VM | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID, stack,
			     &ctid, &ctid, 0, close_and_chdir, &sh);
	if (tid > 0 && !(flags & CLONE_THREAD))
		waitpid((pid_t)tid, NULL, __WALL);
	else if (tid > 0)
		raw_join(&ctid);
	*fd_closed = fcntl(sh.fd, F_GETFD) < 0;
	*cwd_moved = getcwd(cwd, sizeof cwd) && !strcmp(cwd, "/proc");
	*ignored = signal(SIGUSR2, SIG_DFL) == SIG_IGN;
	close(sh.fd);
	chdir(home);
	free_stack(stack);
}

static void test_clone_sharing(void)
{
	int closed, moved, ignored;

	clone_and_compare(THREAD_FLAGS, &closed, &moved, &ignored);
	tap_check(closed && moved && ignored,
		  "a thread shares descriptors, directory and dispositions (CLONE_FILES, CLONE_FS, "
		  "CLONE_SIGHAND)", "closed %d, moved %d, ignored %d", closed, moved, ignored);
	clone_and_compare(SIGCHLD, &closed, &moved, &ignored);
	tap_check(!closed && !moved && !ignored,
		  "clone(CLONE_VM) alone copies descriptors, directory and dispositions",
		  "closed %d, moved %d, ignored %d", closed, moved, ignored);
}

/* ---- futex -------------------------------------------------------------- */

static void test_futex_addresses(void)
{
	char *none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	static int word;

	check_raw(futex(NULL, FUTEX_WAIT, 0, NULL, NULL, 0), EFAULT, "futex WAIT on NULL is EFAULT");
	check_raw(futex((int *)KERNEL_ADDR, FUTEX_WAIT | FUTEX_PRIVATE, 0, NULL, NULL, 0), EFAULT,
		  "futex WAIT on a kernel address is EFAULT");
	check_raw(futex((int *)((char *)&word + 1), FUTEX_WAIT, 0, NULL, NULL, 0), EINVAL,
		  "futex WAIT on a misaligned address is EINVAL");
	check_raw(futex((int *)none, FUTEX_WAIT | FUTEX_PRIVATE, 0, NULL, NULL, 0), EFAULT,
		  "futex WAIT on a PROT_NONE page is EFAULT");
	check_raw(futex((int *)none, FUTEX_WAKE, 1, NULL, NULL, 0), EFAULT,
		  "futex WAKE (shared) on a PROT_NONE page is EFAULT");
	check_raw(futex((int *)KERNEL_ADDR, FUTEX_WAKE | FUTEX_PRIVATE, 1, NULL, NULL, 0), EFAULT,
		  "futex WAKE on a kernel address is EFAULT");
	check_raw(futex((int *)((char *)&word + 2), FUTEX_WAKE | FUTEX_PRIVATE, 1, NULL, NULL, 0),
		  EINVAL, "futex WAKE on a misaligned address is EINVAL");
	check_raw(futex(NULL, FUTEX_WAKE | FUTEX_PRIVATE, 1, NULL, NULL, 0), 0,
		  "futex WAKE_PRIVATE on NULL wakes nobody (no access check, as Linux)");
	check_raw(futex(&word, FUTEX_WAIT, 0, (struct timespec *)KERNEL_ADDR, NULL, 0), EFAULT,
		  "futex WAIT with a bad timeout pointer is EFAULT");
	check_raw(futex(&word, FUTEX_WAIT, 0, &(struct timespec){ 0, 1000000000 }, NULL, 0),
		  EINVAL, "futex WAIT with tv_nsec of a second is EINVAL");
	check_raw(futex(&word, FUTEX_WAIT, 0, &(struct timespec){ -1, 0 }, NULL, 0), EINVAL,
		  "futex WAIT with a negative timeout is EINVAL");
	check_raw(futex(&word, FUTEX_WAIT_BITSET, 0, NULL, NULL, 0), EINVAL,
		  "futex WAIT_BITSET with an empty bitset is EINVAL");
	check_raw(futex(&word, FUTEX_WAKE_BITSET, 1, NULL, NULL, 0), EINVAL,
		  "futex WAKE_BITSET with an empty bitset is EINVAL");
	check_raw(futex(&word, FUTEX_WAIT | FUTEX_CLOCK_REALTIME, 0, NULL, NULL, 0), ENOSYS,
		  "futex WAIT with FUTEX_CLOCK_REALTIME is ENOSYS");
	check_raw(futex(&word, 99, 0, NULL, NULL, 0), ENOSYS, "an unknown futex op is ENOSYS");
	munmap(none, 4096);
}

static void test_futex_wait_returns(void)
{
	static int word = 7;
	struct timespec t0, abs;

	check_raw(futex(&word, FUTEX_WAIT | FUTEX_PRIVATE, 8, NULL, NULL, 0), EAGAIN,
		  "futex WAIT when the word differs is EAGAIN");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	long r = futex(&word, FUTEX_WAIT | FUTEX_PRIVATE, 7, &(struct timespec){ 0, 50000000 },
		       NULL, 0);
	long ms = elapsed_ms(&t0);
	tap_check(r == -ETIMEDOUT && ms >= 49 && ms < 5000,
		  "futex WAIT with a 50 ms relative timeout is ETIMEDOUT after 50 ms",
		  "result %ld after %ld ms", r, ms);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	abs = t0;
	abs.tv_nsec += 30000000;
	if (abs.tv_nsec >= 1000000000) {
		abs.tv_sec++;
		abs.tv_nsec -= 1000000000;
	}
	r = futex(&word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE, 7, &abs, NULL, -1);
	ms = elapsed_ms(&t0);
	tap_check(r == -ETIMEDOUT && ms >= 29 && ms < 5000,
		  "futex WAIT_BITSET's timeout is an absolute CLOCK_MONOTONIC time",
		  "result %ld after %ld ms", r, ms);

	clock_gettime(CLOCK_REALTIME, &abs);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	abs.tv_sec += abs.tv_nsec >= 970000000;
	abs.tv_nsec = (abs.tv_nsec + 30000000) % 1000000000;
	r = futex(&word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE | FUTEX_CLOCK_REALTIME, 7, &abs, NULL, -1);
	ms = elapsed_ms(&t0);
	tap_check(r == -ETIMEDOUT && ms >= 25 && ms < 5000,
		  "futex WAIT_BITSET with FUTEX_CLOCK_REALTIME waits until a CLOCK_REALTIME time",
		  "result %ld after %ld ms", r, ms);
	check_raw(futex(&word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE, 7, &(struct timespec){ 0, 0 },
			NULL, -1), ETIMEDOUT,
		  "futex WAIT_BITSET with a deadline in the past is ETIMEDOUT at once");
}

/* Waiters for the wake-count tests: each waits on *word with its bitset. */
struct waiter {
	volatile int *word;
	int bitset;
	volatile long result;
	volatile int started;
	int ctid;
	void *stack;
};

static int futex_waiter(void *arg)
{
	struct waiter *w = arg;

	w->started = 1;
	w->result = futex(w->word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE, 0, NULL, NULL, w->bitset);
	return 0;
}

/* The state letter of thread TID in /proc/self/task/TID/stat, or '?'. */
static char thread_state(long tid)
{
	char path[64], buf[512];

	snprintf(path, sizeof path, "/proc/self/task/%ld/stat", tid);
	if (read_file(path, buf, sizeof buf) <= 0)
		return '?';
	char *close = strrchr(buf, ')');
	return close && close[1] == ' ' ? close[2] : '?';
}

/* Start N waiters on WORD and wait until each sleeps: 0, or -1.  The wait
 * is bounded by time, not by a count of sched_yield calls: on a busy Linux
 * host a new thread may not run for many yields. */
static int start_waiters(struct waiter *w, int n, volatile int *word, const int *bitsets)
{
	for (int i = 0; i < n; i++) {
		w[i] = (struct waiter){ .word = word, .bitset = bitsets[i], .stack = new_stack() };
		long tid = raw_thread(futex_waiter, &w[i], w[i].stack, &w[i].ctid);
		if (tid < 0)
			return -1;
		for (double end = now_s() + 10; now_s() < end &&
		     (!w[i].started || thread_state(tid) != 'S');)
			sched_yield();
		if (thread_state(tid) != 'S')
			return -1;
	}
	return 0;
}

static void join_waiters(struct waiter *w, int n)
{
	for (int i = 0; i < n; i++) {
		raw_join(&w[i].ctid);
		free_stack(w[i].stack);
	}
}

static void test_futex_wake_counts(void)
{
	static volatile int word;
	static struct waiter w[3];
	static const int any[3] = { -1, -1, -1 };

	if (start_waiters(w, 3, &word, any) < 0) {
		tap_fail("futex wake counts", "could not start three sleeping waiters");
		return;
	}
	long a = futex(&word, FUTEX_WAKE | FUTEX_PRIVATE, 2, NULL, NULL, 0);
	long b = futex(&word, FUTEX_WAKE | FUTEX_PRIVATE, 5, NULL, NULL, 0);
	long c = futex(&word, FUTEX_WAKE | FUTEX_PRIVATE, 5, NULL, NULL, 0);
	tap_check(a == 2 && b == 1 && c == 0, "futex WAKE returns how many it woke: 2, then 1, then 0",
		  "%ld, %ld, %ld", a, b, c);
	join_waiters(w, 3);
	tap_check(w[0].result == 0 && w[1].result == 0 && w[2].result == 0,
		  "each woken waiter's WAIT returns 0", "%ld %ld %ld", w[0].result, w[1].result,
		  w[2].result);

	static const int bits[2] = { 1, 2 };
	if (start_waiters(w, 2, &word, bits) < 0) {
		tap_fail("futex bitsets", "could not start two sleeping waiters");
		return;
	}
	a = futex(&word, FUTEX_WAKE_BITSET | FUTEX_PRIVATE, 5, NULL, NULL, 4);
	b = futex(&word, FUTEX_WAKE_BITSET | FUTEX_PRIVATE, 5, NULL, NULL, 2);
	c = futex(&word, FUTEX_WAKE | FUTEX_PRIVATE, 5, NULL, NULL, 0);
	tap_check(a == 0 && b == 1 && c == 1,
		  "futex WAKE_BITSET wakes only waiters whose bitset meets its own",
		  "bitset 4 woke %ld, bitset 2 woke %ld, WAKE woke %ld", a, b, c);
	join_waiters(w, 2);
}

static void test_futex_requeue(void)
{
	static volatile int from, to;
	static struct waiter w[2];
	static const int any[2] = { -1, -1 };

	if (start_waiters(w, 2, &from, any) < 0) {
		tap_fail("futex requeue", "could not start two sleeping waiters");
		return;
	}
	check_raw(sys(SYS_futex, (long)&from, FUTEX_CMP_REQUEUE | FUTEX_PRIVATE, 1, 1, (long)&to, 5),
		  EAGAIN, "futex CMP_REQUEUE when the word differs from val3 is EAGAIN");
	long moved = sys(SYS_futex, (long)&from, FUTEX_CMP_REQUEUE | FUTEX_PRIVATE, 1, 1, (long)&to, 0);
	long on_from = futex(&from, FUTEX_WAKE | FUTEX_PRIVATE, 5, NULL, NULL, 0);
	long on_to = futex(&to, FUTEX_WAKE | FUTEX_PRIVATE, 5, NULL, NULL, 0);
	tap_check(moved == 2 && on_from == 0 && on_to == 1,
		  "futex CMP_REQUEUE wakes one and moves one to the second word",
		  "requeue %ld, then %ld woken on the first word and %ld on the second", moved,
		  on_from, on_to);
	join_waiters(w, 2);
}

/* ---- tkill, tgkill, robust lists ---------------------------------------- */

static void test_tgkill_errors(void)
{
	long pid = getpid(), tid = syscall(SYS_gettid);

	check_raw(sys3(SYS_tgkill, 0, tid, 0), EINVAL, "tgkill with tgid 0 is EINVAL");
	check_raw(sys3(SYS_tgkill, pid, 0, 0), EINVAL, "tgkill with tid 0 is EINVAL");
	check_raw(sys3(SYS_tgkill, pid, -5, 0), EINVAL, "tgkill with a negative tid is EINVAL");
	check_raw(sys3(SYS_tgkill, pid, 999999, 0), ESRCH, "tgkill of no such thread is ESRCH");
	pid_t other = fork();
	if (other == 0)
		sleep_forever(NULL);
	check_raw(sys3(SYS_tgkill, other, tid, 0), ESRCH,
		  "tgkill with a thread of another process is ESRCH");
	kill(other, SIGKILL);
	tap_wait(other);
	check_raw(sys3(SYS_tgkill, pid, tid, 1000), EINVAL, "tgkill with a bad signal is EINVAL");
	check_raw(sys3(SYS_tgkill, pid, tid, 0), 0, "tgkill with signal 0 checks the thread");
	check_raw(sys2(SYS_tkill, 0, 0), EINVAL, "tkill with tid 0 is EINVAL");
	check_raw(sys2(SYS_tkill, 999999, 1000), ESRCH,
		  "tkill of no such thread is ESRCH, before the bad signal");
	check_raw(sys2(SYS_tkill, tid, 0), 0, "tkill with signal 0 checks the thread");
}

static void test_robust_list(void)
{
	static long head[3];
	long got = 0;
	size_t len = 0;

	check_raw(sys2(SYS_set_robust_list, head, 23), EINVAL, "set_robust_list with a wrong size is EINVAL");
	check_raw(sys2(SYS_set_robust_list, head, 24), 0, "set_robust_list with 24 bytes succeeds");
	long r = sys3(SYS_get_robust_list, 0, &got, &len);
	tap_check(r == 0 && got == (long)head && len == 24, "get_robust_list returns the head and size",
		  "result %ld, head %lx, len %zu", r, got, len);
	check_raw(sys3(SYS_get_robust_list, 999999, &got, &len), ESRCH,
		  "get_robust_list of no such thread is ESRCH");
}

/* ---- exit, exit_group, signals ------------------------------------------ */

static int exit_group_3(void *arg)
{
	(void)arg;
	sys1(SYS_exit_group, 3);
	return 0;
}

static int exit_5(void *arg)
{
	(void)arg;
	return 5;	/* raw_clone's SYS_exit: this thread only */
}

static int sleep_then_exit_group_6(void *arg)
{
	(void)arg;
	nap_ms(200);
	sys1(SYS_exit_group, 6);
	return 0;
}

static int sleep_then_exit_2(void *arg)
{
	(void)arg;
	nap_ms(100);
	return 2;
}

/* In a child process: one thread runs FN, the main thread then does MAIN:
 * 'w' wait forever, 'e' exit_group(7) after the thread has exited, 'x'
 * exit(9) of the main thread only. */
static void child_with_thread(int (*fn)(void *), char main_does)
{
	static int ctid;
	long tid = raw_thread(fn, NULL, new_stack(), &ctid);

	if (tid < 0)
		_exit(100);
	if (main_does == 'e') {
		raw_join(&ctid);
		sys1(SYS_exit_group, 7);
	}
	if (main_does == 'x')
		sys1(SYS_exit, 9);
	sleep_forever(NULL);
}

static int run_child_with_thread(int (*fn)(void *), char main_does)
{
	pid_t pid = fork();

	if (pid == 0)
		child_with_thread(fn, main_does);
	return pid < 0 ? -1 : tap_wait(pid);
}

static void check_status(int status, int code, const char *what)
{
	tap_check(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == code, what,
		  "%s, want exited %d", tap_status_str(status), code);
}

static void test_exit_semantics(void)
{
	check_status(run_child_with_thread(exit_group_3, 'w'), 3,
		     "exit_group in a thread ends the process with its status");
	check_status(run_child_with_thread(exit_5, 'e'), 7,
		     "exit in a thread ends that thread only (the main thread's exit_group counts)");
	check_status(run_child_with_thread(sleep_then_exit_2, 'x'), 2,
		     "after the main thread's exit, the process ends with the last thread, "
		     "whose status is the process's (Linux synchronize_group_exit)");

	pid_t pid = fork();
	if (pid == 0)
		child_with_thread(sleep_then_exit_group_6, 'x');
	sleep_ms(50);
	int status = 0;
	pid_t early = waitpid(pid, &status, WNOHANG);
	tap_check(early == 0, "wait4 does not report a process whose main thread exited while "
		  "another runs", "waitpid returned %d (%s)", early, tap_status_str(status));
	check_status(tap_wait(pid), 6, "... and reports the group's exit_group status at the end");
}

/* Signals whose default action is to ignore them (man 7 signal: SIGCHLD,
 * SIGCONT, SIGURG, SIGWINCH), sent to a thread: the process goes on. */
static void test_ignored_by_default(void)
{
	static const int sigs[] = { SIGCHLD, SIGCONT, SIGURG, SIGWINCH };
	int bad = 0;

	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			sys3(SYS_tgkill, getpid(), getpid(), sigs[i]);
			sleep_ms(10);
			_exit(0);
		}
		int status = tap_wait(pid);
		if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
			tap_diag("signal %d: %s\n", sigs[i], tap_status_str(status));
			bad++;
		}
	}
	tap_check(bad == 0, "SIGCHLD, SIGCONT, SIGURG and SIGWINCH are ignored by default",
		  "%d of them ended the process", bad);
}

static void test_signals_to_threads(void)
{
	pid_t pid = fork();

	if (pid == 0)
		child_with_thread(sleep_forever, 'x');
	sleep_ms(50);
	check_raw(kill(pid, 0) == 0 ? 0 : -errno, 0,
		  "kill(pid, 0) finds a process whose main thread has exited");
	kill(pid, SIGTERM);
	int status = tap_wait(pid);
	tap_check(status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM,
		  "kill delivers to the remaining thread and ends the process",
		  "%s", tap_status_str(status));

	int p[2];
	if (pipe(p) < 0)
		return;
	pid = fork();
	if (pid == 0) {
		static int ctid;
		long tid = raw_thread(sleep_forever, NULL, new_stack(), &ctid);
		write(p[1], &tid, sizeof tid);
		sleep_forever(NULL);
	}
	long tid = 0;
	read_full(p[0], &tid, sizeof tid);
	close(p[0]);
	close(p[1]);
	long r = sys3(SYS_tgkill, pid, tid, SIGUSR1);
	status = tap_wait(pid);
	tap_check(r == 0 && status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGUSR1,
		  "tgkill of a thread with a fatal signal ends its whole process",
		  "tgkill %ld, %s", r, tap_status_str(status));
}

/* ---- fork, exec and a bad stack in threads ------------------------------ */

/* Entries of /proc/self/task, or -1. */
static int count_tasks_once(void)
{
	DIR *d = opendir("/proc/self/task");
	int n = 0;

	if (!d)
		return -1;
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* The same, once it has fallen to WANT or after a second: a thread that
 * woke its joiner is still finishing its exit for a moment. */
static int count_tasks(int want)
{
	int n = count_tasks_once();

	for (int i = 0; i < 100 && n != want; i++) {
		nap_ms(10);
		n = count_tasks_once();
	}
	return n;
}

struct forker {
	long child, status;
};

static int fork_in_thread(void *arg)
{
	struct forker *f = arg;
	int status = 0;

	f->child = sys0(SYS_fork);
	if (f->child == 0) {
		/* the child has only this thread, and no C library thread of its
		 * own: count by hand, raw */
		int tasks = count_tasks_once();
		sys1(SYS_exit_group, tasks);
	}
	if (f->child > 0 && sys(SYS_wait4, f->child, (long)&status, 0, 0, 0, 0) == f->child)
		f->status = status;
	return 0;
}

static void test_fork_from_thread(void)
{
	static struct forker f = { 0, -1 };
	static int ctid, sleeper_ctid;
	void *stack = new_stack(), *stack2 = new_stack();

	raw_thread(sleep_forever, NULL, stack2, &sleeper_ctid);
	int tasks = count_tasks(2);
	tap_check(tasks == 2, "/proc/self/task lists every thread", "%d entries, want 2", tasks);
	if (raw_thread(fork_in_thread, &f, stack, &ctid) < 0) {
		tap_fail("fork from a thread", "clone failed");
		return;
	}
	raw_join(&ctid);
	tap_check(f.child > 0 && WIFEXITED(f.status) && WEXITSTATUS(f.status) == 1,
		  "fork from a thread copies only that thread (/proc/self/task has one entry)",
		  "fork %ld, child %s", f.child, tap_status_str((int)f.status));
	free_stack(stack);
	/* the sleeper stays: exit_group of the test ends it */
}

static const char *self_path;

struct execer {
	const char *path;
	char *const *argv;
};

static int exec_in_thread(void *arg)
{
	struct execer *e = arg;

	sys3(SYS_execve, e->path, e->argv, NULL);
	sys1(SYS_exit_group, 99);	/* the exec failed */
	return 99;
}

/* In the exec'd program ("--exec-check PID"): the pid is the old one, and
 * the old threads are gone. */
static int exec_check(const char *want_pid)
{
	int ok = getpid() == atoi(want_pid) && syscall(SYS_gettid) == getpid() &&
		 count_tasks_once() == 1;
	return ok ? 0 : 1;
}

static void exec_child(void)
{
	static int ctid, ctid2;
	static char pid_text[16];
	static char *argv[] = { NULL, "--exec-check", pid_text, NULL };
	static struct execer e;

	snprintf(pid_text, sizeof pid_text, "%d", getpid());
	argv[0] = (char *)self_path;
	e = (struct execer){ self_path, argv };
	raw_thread(sleep_forever, NULL, new_stack(), &ctid2);
	raw_thread(exec_in_thread, &e, new_stack(), &ctid);
	sleep_forever(NULL);
}

static void test_exec_from_thread(void)
{
	pid_t pid = fork();

	if (pid == 0)
		exec_child();
	check_status(tap_wait(pid), 0, "execve from a thread ends the other threads and keeps the pid "
		     "(the new program has one thread, tid = pid)");
}

static void bad_stack_child(void)
{
	static int ctid;

	raw_clone(THREAD_FLAGS | CLONE_CHILD_CLEARTID, (void *)16, NULL, &ctid, 0, exit_5, NULL);
	sleep_forever(NULL);
}

static void test_bad_stack(void)
{
	pid_t pid = fork();

	if (pid == 0)
		bad_stack_child();
	int status = tap_wait(pid);
	tap_check(status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV,
		  "a thread with a bad stack pointer gets SIGSEGV, which ends its process",
		  "%s", tap_status_str(status));
	tap_pass("the parent of that process goes on");
}

/* ---- too many threads --------------------------------------------------- */

#define MAX_THREADS 400

/* Threads until clone fails; exit status 0 when it failed with EAGAIN (or,
 * on Linux, when MAX_THREADS were made: its limit is out of reach), 1 on
 * another error, after ending them all. */
static void many_threads_child(void)
{
	static int ctid[MAX_THREADS];
	static void *stacks[MAX_THREADS];
	long err = 0;
	int n;

	for (n = 0; n < MAX_THREADS && !err; n++) {
		if (!(stacks[n] = new_stack()))
			break;
		long tid = raw_thread(sleep_forever, NULL, stacks[n], &ctid[n]);
		if (tid < 0)
			err = tid;
	}
	say("# %d threads, then %s\n", n, err ? strerror((int)-err) : "the test's limit");
	sys1(SYS_exit_group, err == -EAGAIN || (!err && running_on_linux()) ? 0 : 1);
}

/* One round: a child makes threads until it cannot; its wait status. */
static int many_threads_round(void)
{
	pid_t pid = fork();

	if (pid == 0)
		many_threads_child();
	return pid < 0 ? -1 : tap_wait(pid);
}

static void test_too_many_threads(void)
{
	/* a first round touches every page of ours the measured one will */
	many_threads_round();
	long before = meminfo_kb("MemFree");
	check_status(many_threads_round(), 0,
		     "creating threads until the table is full fails with EAGAIN");
	long after = meminfo_kb("MemFree");
	for (int i = 0; i < 100 && after != before; i++) {
		sleep_ms(10);
		after = meminfo_kb("MemFree");
	}
	if (running_on_linux() || before < 0)
		tap_skip("MemFree is back after the threads are gone",
			 "needs our kernel's exact /proc/meminfo");
	else
		tap_check(after == before, "MemFree is back after the threads are gone",
			  "before %ld kB, after %ld kB", before, after);
}

/* ---- /proc/PID/task and status ------------------------------------------ */

static long status_field(const char *path, const char *name)
{
	char buf[4096];

	if (read_file(path, buf, sizeof buf) <= 0)
		return -1;
	char *s = strstr(buf, name);
	return s ? strtol(s + strlen(name), NULL, 10) : -1;
}

static void test_proc_task(void)
{
	static int ctid;
	void *stack = new_stack();
	long tid = raw_thread(sleep_forever, NULL, stack, &ctid);
	char path[96], buf[256];

	/* A thread of an earlier case that woke its joiner (CLONE_CHILD_CLEARTID)
	 * is still leaving; the count settles once it is gone, on Linux too. */
	for (int i = 0; i < 100 && status_field("/proc/self/status", "\nThreads:\t") > 3; i++)
		sleep_ms(10);
	tap_check(status_field("/proc/self/status", "\nThreads:\t") == 3 &&
		  status_field("/proc/self/status", "\nTgid:\t") == getpid(),
		  "/proc/self/status counts the threads and gives the Tgid",
		  "Threads %ld, Tgid %ld", status_field("/proc/self/status", "\nThreads:\t"),
		  status_field("/proc/self/status", "\nTgid:\t"));
	snprintf(path, sizeof path, "/proc/%d/task/%ld/status", getpid(), tid);
	tap_check(status_field(path, "\nPid:\t") == tid && status_field(path, "\nTgid:\t") == getpid(),
		  "/proc/PID/task/TID/status is the thread's (Pid is the tid)",
		  "Pid %ld, Tgid %ld", status_field(path, "\nPid:\t"), status_field(path, "\nTgid:\t"));
	snprintf(path, sizeof path, "/proc/%d/task/%ld/stat", getpid(), tid);
	long stat_tid = read_file(path, buf, sizeof buf) > 0 ? strtol(buf, NULL, 10) : -1;
	tap_check(stat_tid == tid, "/proc/PID/task/TID/stat starts with the tid", "got %ld", stat_tid);
	snprintf(path, sizeof path, "/proc/%d/task/%ld/comm", getpid(), tid);
	tap_check(read_file(path, buf, sizeof buf) > 0 && strchr(buf, '\n'),
		  "/proc/PID/task/TID/comm reads", "%s", strerror(errno));
	/* the sleeper ends with the process */
}

/* ---- a C library thread ------------------------------------------------- */

#include <pthread.h>

static void *pthread_body(void *arg)
{
	return (void *)((long)arg * 2 + syscall(SYS_gettid) - syscall(SYS_gettid));
}

static void test_pthread(void)
{
	pthread_t t;
	void *ret = NULL;
	int err = pthread_create(&t, NULL, pthread_body, (void *)21);

	if (!err)
		err = pthread_join(t, &ret);
	tap_check(!err && (long)ret == 42, "musl's pthread_create and pthread_join work on these calls",
		  "error %d, result %ld", err, (long)ret);
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--exec-check"))
		return exec_check(argv[2]);
	static char path[256];
	snprintf(path, sizeof path, "%s", strchr(argv[0], '/') ? argv[0] : tap_bin(argv[0]));
	self_path = path;
	test_clone_einval();
	test_clone_as_fork();
	test_clone_exit_signal();
	test_clone_parent();
	test_thread_ids();
	test_clear_child_tid();
	test_clone_sharing();
	test_futex_addresses();
	test_futex_wait_returns();
	test_futex_wake_counts();
	test_futex_requeue();
	test_tgkill_errors();
	test_robust_list();
	test_exit_semantics();
	test_signals_to_threads();
	test_ignored_by_default();
	test_exec_from_thread();
	test_bad_stack();
	test_too_many_threads();
	test_pthread();
	test_fork_from_thread();
	test_proc_task();
	return tap_done();
}
