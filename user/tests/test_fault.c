/*
 * test_fault - bad arguments to system calls must give an error, never a
 * crash: bad pointers (NULL, kernel addresses, non-canonical addresses,
 * unmapped or read-only pages, buffers running into an unmapped page) give
 * EFAULT; bad descriptors give EBADF; unknown system call numbers give
 * ENOSYS; negative or impossible sizes give EFAULT or EINVAL as on Linux.
 *
 * Each risky call runs in a child process that reports the result through a
 * pipe, so a kernel that kills the caller instead of returning an error
 * shows up as one failed check rather than a crashed test.
 * Runs on Linux: yes
 */
#include "tap.h"

#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>

#define PAGE 4096UL
#define KERNEL_HALF ((void *)0xffff800000000000UL)    /* direct map */
#define KERNEL_TEXT ((void *)0xffffffff80100000UL)    /* kernel image */
#define NON_CANONICAL ((void *)0x0000800000000000UL)  /* just above user */
#define DATA_LEN 100
#define ARCH_SET_FS 0x1002  /* from <asm/prctl.h>, which musl lacks */
#define ARCH_GET_FS 0x1003

/* ---- running a call in a child ---------------------------------------- */

struct outcome {
	int reported;   /* did the child get to report a result? */
	long ret;       /* the call's return value */
	int err;        /* errno after the call */
	int status;     /* the child's wait status */
};

typedef long (*call_fn)(void *arg);

static struct outcome run_call(call_fn fn, void *arg)
{
	struct outcome out = { 0, 0, 0, -1 };
	long result[2];
	int p[2];

	if (pipe(p) < 0)
		return out;
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		errno = 0;
		result[0] = fn(arg);
		result[1] = errno;
		tap_write_full(p[1], result, sizeof result);
		_exit(0);
	}
	close(p[1]);
	out.reported = read_full(p[0], result, sizeof result) == sizeof result;
	close(p[0]);
	out.status = tap_wait(pid);
	out.ret = result[0];
	out.err = (int)result[1];
	return out;
}

static int check_reported(struct outcome out, const char *what)
{
	if (!out.reported)
		tap_fail(what, "child %s before the call returned",
			 tap_status_str(out.status));
	return out.reported;
}

static void expect_errno(call_fn fn, void *arg, int want, const char *what)
{
	struct outcome out = run_call(fn, arg);

	if (check_reported(out, what))
		tap_check_errno(out.ret, out.err, want, what);
}

/* For a buffer that starts mapped and runs into an unmapped page, Linux
 * either fails with EFAULT or transfers only the mapped part. */
static void expect_efault_or_partial(call_fn fn, void *arg, long mapped,
				     const char *what)
{
	struct outcome out = run_call(fn, arg);

	if (!check_reported(out, what))
		return;
	tap_diag("returned %ld, errno %d\n", out.ret, out.err);
	if ((out.ret == -1 && out.err == EFAULT) || (out.ret > 0 && out.ret <= mapped))
		tap_pass(what);
	else
		tap_fail(what, "returned %ld (errno %d), want EFAULT or 1..%ld",
			 out.ret, out.err, mapped);
}

/* ---- memory to point at ----------------------------------------------- */

static char *unmapped_page(void)
{
	char *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(p, PAGE);
	return p;
}

static char *read_only_page(void)
{
	return mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

/* The last `tail` bytes of a mapped page whose next page is unmapped. */
static char *end_of_mapping(size_t tail)
{
	char *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(p + PAGE, PAGE);
	memset(p, 'x', PAGE);
	return p + PAGE - tail;
}

/* ---- calls under test (each runs in a child) --------------------------- */

/* The read end of a pipe already holding DATA_LEN bytes. */
static int pipe_with_data(void)
{
	static char data[DATA_LEN];
	int p[2];

	if (pipe(p) < 0 || write(p[1], data, sizeof data) != sizeof data)
		_exit(100);
	return p[0];
}

static long read_pipe_into(void *buf)
{
	return read(pipe_with_data(), buf, DATA_LEN);
}

static long read_file_into(void *buf)
{
	int fd = open(tap_bin("true"), O_RDONLY);

	if (fd < 0)
		_exit(100);
	return read(fd, buf, DATA_LEN);
}

static long pread_file_into(void *buf)
{
	int fd = open(tap_bin("true"), O_RDONLY);

	if (fd < 0)
		_exit(100);
	return pread(fd, buf, DATA_LEN, 0);
}

static long write_pipe_from(void *buf)
{
	int p[2];

	if (pipe(p) < 0)
		_exit(100);
	return write(p[1], buf, DATA_LEN);
}

static long write_zero_bytes_from(void *buf)
{
	int p[2];

	if (pipe(p) < 0)
		_exit(100);
	return write(p[1], buf, 0);
}

static long readv_into(void *buf)
{
	struct iovec iov[2] = { { NULL, 0 }, { buf, DATA_LEN } };

	return readv(pipe_with_data(), iov, 2);
}

static long readv_with_iov_at(void *iov)
{
	return readv(pipe_with_data(), iov, 1);
}

static long writev_from(void *buf)
{
	struct iovec iov = { buf, DATA_LEN };
	int p[2];

	if (pipe(p) < 0)
		_exit(100);
	return writev(p[1], &iov, 1);
}

static long open_path(void *path)
{
	return syscall(SYS_open, path, O_RDONLY);
}

static long stat_path(void *path)
{
	struct stat st;

	return syscall(SYS_newfstatat, AT_FDCWD, path, &st, 0);
}

static long execve_path(void *path)
{
	char *argv[] = { "true", NULL };

	return execve(path, argv, environ);
}

static long execve_argv(void *argv)
{
	return execve(tap_bin("true"), argv, environ);
}

static long execve_envp(void *envp)
{
	char *argv[] = { "true", NULL };

	return execve(tap_bin("true"), argv, envp);
}

static long fstat_into(void *buf)
{
	return syscall(SYS_fstat, 0, buf);
}

static long pipe_into(void *fds)
{
	return syscall(SYS_pipe, fds);
}

static long pipe2_into(void *fds)
{
	return syscall(SYS_pipe2, fds, 0);
}

static long uname_into(void *buf)
{
	return syscall(SYS_uname, buf);
}

static long clock_gettime_into(void *buf)
{
	return syscall(SYS_clock_gettime, CLOCK_MONOTONIC, buf);
}

static long nanosleep_from(void *req)
{
	return syscall(SYS_nanosleep, req, NULL);
}

static long sigaction_from(void *act)
{
	return syscall(SYS_rt_sigaction, SIGUSR1, act, NULL, 8);
}

static long sigaction_into(void *old)
{
	return syscall(SYS_rt_sigaction, SIGUSR1, NULL, old, 8);
}

static long sigprocmask_from(void *set)
{
	return syscall(SYS_rt_sigprocmask, SIG_BLOCK, set, NULL, 8);
}

static long getdents_into(void *buf)
{
	int fd = open(tap_bin_dir(), O_RDONLY | O_DIRECTORY);

	if (fd < 0)
		_exit(100);
	return syscall(SYS_getdents64, fd, buf, 4096);
}

static long arch_prctl_get_fs_into(void *addr)
{
	return syscall(SYS_arch_prctl, ARCH_GET_FS, addr);
}

static long arch_prctl_set_fs(void *addr)
{
	long ret = syscall(SYS_arch_prctl, ARCH_SET_FS, addr);
	int err = errno;

	/* If that worked, thread-local storage (errno itself!) is now broken;
	 * report from here without touching it. */
	if (ret == 0)
		syscall(SYS_exit_group, 99);
	errno = err;
	return ret;
}

/* wait4 with a bad status pointer: Linux reaps the child, then fails. */
static long wait4_status_into(void *status)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	return wait4(pid, status, 0, NULL);
}

static long wait4_again_after_bad_status(void *status)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	wait4(pid, status, 0, NULL);
	return wait4(pid, NULL, 0, NULL);
}

static long wait4_rusage_into(void *rusage)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	return wait4(pid, NULL, 0, rusage);
}

/* ---- the checks ------------------------------------------------------- */

static void check_bad_buffers(const char *call, call_fn fn)
{
	char what[128];
	static const struct {
		const char *name;
		void *addr;
	} bad[] = {
		{ "NULL", NULL },
		{ "a kernel address", KERNEL_HALF },
		{ "kernel text", KERNEL_TEXT },
		{ "a non-canonical address", NON_CANONICAL },
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(what, sizeof what, "%s with %s -> EFAULT", call, bad[i].name);
		expect_errno(fn, bad[i].addr, EFAULT, what);
	}
	snprintf(what, sizeof what, "%s with an unmapped page -> EFAULT", call);
	expect_errno(fn, unmapped_page(), EFAULT, what);
}

static void test_read_write_pointers(void)
{
	check_bad_buffers("read(pipe)", read_pipe_into);
	check_bad_buffers("read(file)", read_file_into);
	check_bad_buffers("write(pipe)", write_pipe_from);
	expect_errno(read_pipe_into, read_only_page(), EFAULT,
		     "read(pipe) into a read-only page -> EFAULT");
	expect_errno(read_file_into, read_only_page(), EFAULT,
		     "read(file) into a read-only page -> EFAULT");
	expect_errno(read_pipe_into, (void *)read_pipe_into, EFAULT,
		     "read(pipe) into program text -> EFAULT");
	expect_errno(pread_file_into, NULL, EFAULT, "pread64 into NULL -> EFAULT");
	expect_errno(readv_into, NULL, EFAULT, "readv into NULL -> EFAULT");
	expect_errno(readv_with_iov_at, KERNEL_HALF, EFAULT,
		     "readv with the iovec array in the kernel -> EFAULT");
	expect_errno(writev_from, KERNEL_HALF, EFAULT,
		     "writev from a kernel address -> EFAULT");

	struct outcome out = run_call(write_zero_bytes_from, NULL);
	if (check_reported(out, "write of 0 bytes from NULL returns 0"))
		tap_check_long(out.ret, 0, "write of 0 bytes from NULL returns 0");
}

static void test_straddling_buffers(void)
{
	expect_efault_or_partial(read_pipe_into, end_of_mapping(16), 16,
				 "read(pipe) running into an unmapped page: EFAULT or partial");
	expect_efault_or_partial(read_file_into, end_of_mapping(16), 16,
				 "read(file) running into an unmapped page: EFAULT or partial");
	expect_efault_or_partial(write_pipe_from, end_of_mapping(16), 16,
				 "write(pipe) running out of mapped memory: EFAULT or partial");
}

static void test_path_pointers(void)
{
	/* "/bin" with no terminating NUL before the unmapped page. */
	char *unterminated = end_of_mapping(4);
	memcpy(unterminated, "/bin", 4);

	expect_errno(open_path, NULL, EFAULT, "open(NULL) -> EFAULT");
	expect_errno(open_path, KERNEL_HALF, EFAULT, "open(kernel address) -> EFAULT");
	expect_errno(open_path, unterminated, EFAULT,
		     "open of a path running into an unmapped page -> EFAULT");
	expect_errno(stat_path, NULL, EFAULT, "newfstatat(NULL path) -> EFAULT");
	expect_errno(execve_path, NULL, EFAULT, "execve(NULL path) -> EFAULT");
	expect_errno(execve_path, KERNEL_HALF, EFAULT,
		     "execve(kernel address path) -> EFAULT");
	expect_errno(execve_path, unterminated, EFAULT,
		     "execve of a path running into an unmapped page -> EFAULT");
}

static void test_exec_vectors(void)
{
	static char *bad_argv[] = { "true", KERNEL_HALF, NULL };

	expect_errno(execve_argv, KERNEL_HALF, EFAULT,
		     "execve with argv in the kernel -> EFAULT");
	expect_errno(execve_argv, bad_argv, EFAULT,
		     "execve with a bad argv[1] pointer -> EFAULT");
	expect_errno(execve_envp, KERNEL_HALF, EFAULT,
		     "execve with envp in the kernel -> EFAULT");
	expect_errno(execve_envp, unmapped_page(), EFAULT,
		     "execve with envp in an unmapped page -> EFAULT");
}

static void test_other_pointers(void)
{
	expect_errno(fstat_into, NULL, EFAULT, "fstat into NULL -> EFAULT");
	expect_errno(pipe_into, NULL, EFAULT, "pipe(NULL) -> EFAULT");
	expect_errno(pipe2_into, KERNEL_HALF, EFAULT, "pipe2(kernel address) -> EFAULT");
	expect_errno(uname_into, NULL, EFAULT, "uname(NULL) -> EFAULT");
	expect_errno(clock_gettime_into, NULL, EFAULT, "clock_gettime(NULL) -> EFAULT");
	expect_errno(nanosleep_from, NULL, EFAULT, "nanosleep(NULL) -> EFAULT");
	expect_errno(sigaction_from, KERNEL_HALF, EFAULT,
		     "rt_sigaction with a kernel-address act -> EFAULT");
	expect_errno(sigaction_into, NON_CANONICAL, EFAULT,
		     "rt_sigaction with a non-canonical oldact -> EFAULT");
	expect_errno(sigprocmask_from, KERNEL_HALF, EFAULT,
		     "rt_sigprocmask with a kernel-address set -> EFAULT");
	expect_errno(getdents_into, NULL, EFAULT, "getdents64 into NULL -> EFAULT");
	expect_errno(arch_prctl_get_fs_into, KERNEL_HALF, EFAULT,
		     "arch_prctl(ARCH_GET_FS) into a kernel address -> EFAULT");
	expect_errno(arch_prctl_set_fs, KERNEL_HALF, EPERM,
		     "arch_prctl(ARCH_SET_FS, kernel address) -> EPERM");
	expect_errno(wait4_status_into, (void *)1, EFAULT,
		     "wait4 with a bad status pointer -> EFAULT");
	expect_errno(wait4_again_after_bad_status, (void *)1, ECHILD,
		     "... and the child was reaped anyway (next wait4 -> ECHILD)");
	expect_errno(wait4_rusage_into, KERNEL_HALF, EFAULT,
		     "wait4 with a bad rusage pointer -> EFAULT");
}

/* ---- bad descriptors, unknown calls, bad sizes ------------------------- */

static void test_bad_fds(void)
{
	char buf[8];
	struct stat st;
	long ret;

	errno = 0, ret = read(-1, buf, 1);
	tap_check_errno(ret, errno, EBADF, "read(-1) -> EBADF");
	errno = 0, ret = read(1000, buf, 1);
	tap_check_errno(ret, errno, EBADF, "read(1000) -> EBADF");
	errno = 0, ret = write(99, buf, 1);
	tap_check_errno(ret, errno, EBADF, "write(99) -> EBADF");
	errno = 0, ret = close(99);
	tap_check_errno(ret, errno, EBADF, "close(99) -> EBADF");
	errno = 0, ret = syscall(SYS_fstat, 99, &st);
	tap_check_errno(ret, errno, EBADF, "fstat(99) -> EBADF");
	errno = 0, ret = lseek(99, 0, SEEK_SET);
	tap_check_errno(ret, errno, EBADF, "lseek(99) -> EBADF");
	errno = 0, ret = syscall(SYS_getdents64, 99, buf, sizeof buf);
	tap_check_errno(ret, errno, EBADF, "getdents64(99) -> EBADF");
	errno = 0, ret = syscall(SYS_ioctl, 99, 0x5413 /* TIOCGWINSZ */, buf);
	tap_check_errno(ret, errno, EBADF, "ioctl(99) -> EBADF");
	errno = 0, ret = syscall(SYS_mmap, 0, PAGE, PROT_READ, MAP_PRIVATE, 99, 0);
	tap_check_errno(ret, errno, EBADF, "mmap of fd 99 -> EBADF");
	errno = 0, ret = dup2(99, 98);
	tap_check_errno(ret, errno, EBADF, "dup2(99, 98) -> EBADF");
}

static void test_unknown_syscalls(void)
{
	static const long numbers[] = { 1000, 500, 100000, -1 };
	char what[64];

	for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
		snprintf(what, sizeof what, "syscall(%ld) -> ENOSYS", numbers[i]);
		errno = 0;
		long ret = syscall(numbers[i], 1, 2, 3);
		tap_check_errno(ret, errno, ENOSYS, what);
	}
}

static long read_negative_size(void *unused)
{
	char buf[16];

	(void)unused;
	return read(pipe_with_data(), buf, (size_t)-1);
}

static long write_negative_size(void *unused)
{
	char buf[16] = { 0 };
	int p[2];

	(void)unused;
	if (pipe(p) < 0)
		_exit(100);
	return write(p[1], buf, (size_t)-1);
}

static long readv_negative_count(void *unused)
{
	char buf[16];
	struct iovec iov = { buf, sizeof buf };

	(void)unused;
	return syscall(SYS_readv, pipe_with_data(), &iov, -1);
}

static long readv_negative_length(void *unused)
{
	char buf[16];
	struct iovec iov = { buf, (size_t)-1 };

	(void)unused;
	return readv(pipe_with_data(), &iov, 1);
}

static long getdents_tiny_buffer(void *unused)
{
	char buf[1];
	int fd = open(tap_bin_dir(), O_RDONLY | O_DIRECTORY);

	(void)unused;
	if (fd < 0)
		_exit(100);
	return syscall(SYS_getdents64, fd, buf, sizeof buf);
}

static void test_bad_sizes(void)
{
	static const struct timespec negative_sec = { -1, 0 };
	static const struct timespec big_nsec = { 0, 1000000000 };

	expect_errno(read_negative_size, NULL, EFAULT, "read of (size_t)-1 bytes -> EFAULT");
	expect_errno(write_negative_size, NULL, EFAULT, "write of (size_t)-1 bytes -> EFAULT");
	expect_errno(readv_negative_count, NULL, EINVAL, "readv with iovcnt -1 -> EINVAL");
	expect_errno(readv_negative_length, NULL, EINVAL,
		     "readv with an iov_len of (size_t)-1 -> EINVAL");
	expect_errno(getdents_tiny_buffer, NULL, EINVAL,
		     "getdents64 with a 1-byte buffer -> EINVAL");
	expect_errno(nanosleep_from, (void *)&negative_sec, EINVAL,
		     "nanosleep with tv_sec -1 -> EINVAL");
	expect_errno(nanosleep_from, (void *)&big_nsec, EINVAL,
		     "nanosleep with tv_nsec 1e9 -> EINVAL");
}

int main(void)
{
	test_read_write_pointers();
	test_straddling_buffers();
	test_path_pointers();
	test_exec_vectors();
	test_other_pointers();
	test_bad_fds();
	test_unknown_syscalls();
	test_bad_sizes();
	tap_pass("the test process survived all of the above");
	return tap_done();
}
