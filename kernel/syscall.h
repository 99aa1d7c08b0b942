/*
 * kernel/syscall.h - the Linux x86-64 system calls this kernel implements:
 * their numbers (Linux's) and the C functions behind them.  Each sys_*
 * returns a result >= 0 or a negative errno, as the ABI passes it in rax.
 * kernel/syscall.c dispatches by number; the functions live with their
 * subsystem (sys_file.c, sys_proc.c, mm/sys_mm.c, ...).
 */
#pragma once
#include "kernel/lib.h"

struct trapframe;

enum {
	SYS_read = 0, SYS_write = 1, SYS_open = 2, SYS_close = 3, SYS_stat = 4,
	SYS_fstat = 5, SYS_lstat = 6, SYS_poll = 7, SYS_lseek = 8, SYS_mmap = 9,
	SYS_mprotect = 10, SYS_munmap = 11, SYS_brk = 12, SYS_rt_sigaction = 13,
	SYS_rt_sigprocmask = 14, SYS_ioctl = 16, SYS_pread64 = 17, SYS_pwrite64 = 18,
	SYS_readv = 19, SYS_writev = 20, SYS_access = 21, SYS_pipe = 22, SYS_select = 23,
	SYS_sched_yield = 24, SYS_mremap = 25, SYS_msync = 26, SYS_madvise = 28, SYS_dup = 32, SYS_dup2 = 33,
	SYS_nanosleep = 35, SYS_getpid = 39, SYS_fork = 57, SYS_vfork = 58,
	SYS_execve = 59, SYS_exit = 60, SYS_wait4 = 61, SYS_kill = 62,
	SYS_uname = 63, SYS_fcntl = 72, SYS_getcwd = 79, SYS_chdir = 80,
	SYS_getuid = 102, SYS_getgid = 104, SYS_setpgid = 109, SYS_getppid = 110,
	SYS_getpgrp = 111, SYS_setsid = 112, SYS_getpgid = 121, SYS_getsid = 124,
	SYS_geteuid = 107, SYS_getegid = 108, SYS_arch_prctl = 158, SYS_reboot = 169,
	SYS_gettid = 186, SYS_set_tid_address = 218, SYS_clock_gettime = 228,
	SYS_clock_nanosleep = 230, SYS_exit_group = 231, SYS_openat = 257,
	SYS_newfstatat = 262, SYS_pipe2 = 293, SYS_pselect6 = 270, SYS_ppoll = 271, SYS_getdents64 = 217,
	SYS_clone = 56, SYS_tkill = 200, SYS_futex = 202, SYS_tgkill = 234,
	SYS_set_robust_list = 273, SYS_get_robust_list = 274,
	SYS_memfd_create = 319,
	SYS_sched_setaffinity = 203, SYS_sched_getaffinity = 204, SYS_getcpu = 309,
	/* the file system (the files helper) */
	SYS_fsync = 74, SYS_fdatasync = 75, SYS_truncate = 76, SYS_ftruncate = 77,
	SYS_fchdir = 81, SYS_rename = 82, SYS_mkdir = 83, SYS_rmdir = 84, SYS_creat = 85,
	SYS_link = 86, SYS_unlink = 87, SYS_symlink = 88, SYS_readlink = 89, SYS_chmod = 90,
	SYS_fchmod = 91, SYS_chown = 92, SYS_fchown = 93, SYS_lchown = 94, SYS_umask = 95,
	SYS_statfs = 137, SYS_fstatfs = 138, SYS_sync = 162, SYS_mount = 165, SYS_umount2 = 166,
	SYS_mkdirat = 258, SYS_fchownat = 260, SYS_unlinkat = 263, SYS_renameat = 264,
	SYS_linkat = 265, SYS_symlinkat = 266, SYS_readlinkat = 267, SYS_fchmodat = 268,
	SYS_faccessat = 269, SYS_utimensat = 280, SYS_syncfs = 306, SYS_renameat2 = 316,
	SYS_faccessat2 = 439, SYS_getxattr = 191, SYS_lgetxattr = 192, SYS_fgetxattr = 193,
	SYS_gettimeofday = 96, SYS_getrlimit = 97, SYS_getrusage = 98, SYS_sysinfo = 99,
	SYS_times = 100, SYS_syslog = 103, SYS_setuid = 105, SYS_setgid = 106,
	SYS_setreuid = 113, SYS_setregid = 114, SYS_getgroups = 115, SYS_setgroups = 116,
	SYS_setresuid = 117, SYS_getresuid = 118, SYS_setresgid = 119, SYS_getresgid = 120,
	SYS_setfsuid = 122, SYS_setfsgid = 123, SYS_getpriority = 140, SYS_setpriority = 141,
	SYS_prctl = 157, SYS_setrlimit = 160, SYS_sethostname = 170, SYS_time = 201,
	SYS_clock_getres = 229, SYS_prlimit64 = 302, SYS_getrandom = 318, SYS_rseq = 334,
	SYS_rt_sigreturn = 15, SYS_pause = 34, SYS_getitimer = 36, SYS_alarm = 37,
	SYS_setitimer = 38, SYS_rt_sigpending = 127, SYS_rt_sigtimedwait = 128,
	SYS_rt_sigqueueinfo = 129, SYS_rt_sigsuspend = 130, SYS_sigaltstack = 131,
	SYS_restart_syscall = 219, SYS_rt_tgsigqueueinfo = 297,
};

#define AT_FDCWD (-100)

/* Called from kernel/x86/syscall_entry.asm with the saved user registers. */
void syscall_dispatch(struct trapframe *tf);
/* On every way back to user mode: yield if the time slice is over, then act
 * on pending signals. */
void user_return(void);

/* files: kernel/fs/sys_file.c */
long sys_read(int fd, uint64_t buf, size_t n);
long sys_write(int fd, uint64_t buf, size_t n);
long sys_pread64(int fd, uint64_t buf, size_t n, int64_t off);
long sys_pwrite64(int fd, uint64_t buf, size_t n, int64_t off);
long sys_readv(int fd, uint64_t iov, int iovcnt);
long sys_writev(int fd, uint64_t iov, int iovcnt);
long sys_open(uint64_t path, int flags, int mode);
long sys_openat(int dirfd, uint64_t path, int flags, int mode);
long sys_close(int fd);
long sys_fstat(int fd, uint64_t st);
long sys_stat(uint64_t path, uint64_t st);
long sys_newfstatat(int dirfd, uint64_t path, uint64_t st, int flags);
long sys_access(uint64_t path, int mode);
long sys_lseek(int fd, int64_t off, int whence);
long sys_ioctl(int fd, unsigned long cmd, uint64_t arg);
long sys_fcntl(int fd, int cmd, uint64_t arg);
long sys_pipe2(uint64_t fds, int flags);
long sys_dup(int fd);
long sys_dup2(int oldfd, int newfd);
long sys_getdents64(int fd, uint64_t buf, size_t n);
long sys_getcwd(uint64_t buf, size_t n);
long sys_chdir(uint64_t path);
long sys_fchdir(int fd);
long sys_creat(uint64_t path, int mode);
long sys_lstat(uint64_t path, uint64_t st);
long sys_faccessat2(int dirfd, uint64_t path, int mode, int flags);
long sys_getxattr(uint64_t path, uint64_t name);
long sys_lgetxattr(uint64_t path, uint64_t name);
long sys_fgetxattr(int fd, uint64_t name);
/* files that change the tree: kernel/fs/sys_tree.c */
long sys_mkdir(uint64_t path, int mode);
long sys_mkdirat(int dirfd, uint64_t path, int mode);
long sys_unlink(uint64_t path);
long sys_rmdir(uint64_t path);
long sys_unlinkat(int dirfd, uint64_t path, int flags);
long sys_rename(uint64_t oldpath, uint64_t newpath);
long sys_renameat(int olddirfd, uint64_t oldpath, int newdirfd, uint64_t newpath);
long sys_renameat2(int olddirfd, uint64_t oldpath, int newdirfd, uint64_t newpath, unsigned flags);
long sys_link(uint64_t oldpath, uint64_t newpath);
long sys_linkat(int olddirfd, uint64_t oldpath, int newdirfd, uint64_t newpath, int flags);
long sys_symlink(uint64_t target, uint64_t path);
long sys_symlinkat(uint64_t target, int dirfd, uint64_t path);
long sys_readlink(uint64_t path, uint64_t buf, int size);
long sys_readlinkat(int dirfd, uint64_t path, uint64_t buf, int size);
long sys_truncate(uint64_t path, int64_t len);
long sys_ftruncate(int fd, int64_t len);
long sys_fsync(int fd);
long sys_chmod(uint64_t path, uint32_t mode);
long sys_fchmod(int fd, uint32_t mode);
long sys_fchmodat(int dirfd, uint64_t path, uint32_t mode, int flags);
long sys_chown(uint64_t path, uint32_t uid, uint32_t gid);
long sys_lchown(uint64_t path, uint32_t uid, uint32_t gid);
long sys_fchown(int fd, uint32_t uid, uint32_t gid);
long sys_fchownat(int dirfd, uint64_t path, uint32_t uid, uint32_t gid, int flags);
long sys_utimensat(int dirfd, uint64_t path, uint64_t times, int flags);
long sys_umask(int mask);
/* mounts: kernel/fs/mount.c */
long sys_mount(uint64_t source, uint64_t target, uint64_t type, unsigned long flags, uint64_t data);
long sys_umount2(uint64_t target, int flags);
long sys_statfs(uint64_t path, uint64_t buf);
long sys_fstatfs(int fd, uint64_t buf);

/* processes and threads: kernel/fork.c, kernel/exit.c, kernel/exec.c,
 * kernel/futex.c (sys_futex, in kernel/futex.h), kernel/sys_proc.c */
long sys_clone(uint64_t flags, uint64_t newsp, uint64_t parent_tid, uint64_t child_tid,
	       uint64_t tls);
long sys_fork(void);
long sys_vfork(void);
long sys_gettid(void);
long sys_set_tid_address(uint64_t tidptr);
long sys_set_robust_list(uint64_t head, size_t len);
long sys_get_robust_list(int pid, uint64_t head, uint64_t len);
long sys_execve(uint64_t path, uint64_t argv, uint64_t envp);
long sys_exit(int status);
long sys_exit_group(int status);
long sys_wait4(int pid, uint64_t status, int options, uint64_t rusage);
long sys_getpid(void);
long sys_getppid(void);
long sys_setpgid(int pid, int pgid);
long sys_getpgid(int pid);
long sys_setsid(void);
long sys_getsid(int pid);
/* kernel/fs/poll.c */
long sys_poll(uint64_t ufds, unsigned nfds, int timeout);
long sys_ppoll(uint64_t ufds, unsigned nfds, uint64_t uts, uint64_t umask, uint64_t size);
long sys_select(int n, uint64_t uin, uint64_t uout, uint64_t uex, uint64_t utv);
long sys_pselect6(int n, uint64_t uin, uint64_t uout, uint64_t uex, uint64_t uts, uint64_t usig);
long sys_sched_yield(void);
long sys_nanosleep(uint64_t req, uint64_t rem);
long sys_clock_nanosleep(int clock, int flags, uint64_t req, uint64_t rem);
long sys_clock_gettime(int clock, uint64_t tp);
/* Read a user struct timespec into nanoseconds (time_to_ns): 0, -EFAULT, or
 * -EINVAL for a negative or unnormalized one (Linux timespec64_valid). */
int timespec_from_user(uint64_t uts, uint64_t *ns);
/* SEC seconds and NSEC nanoseconds (both >= 0) in nanoseconds, saturated at
 * INT64_MAX as Linux's ktime_set saturates at KTIME_MAX: a huge timeout is
 * one that does not end, never one that wrapped round to "now", and adding
 * it to the uptime cannot overflow. */
static inline uint64_t time_to_ns(int64_t sec, int64_t nsec)
{
	if (sec >= INT64_MAX / 1000000000 || nsec >= INT64_MAX - sec * 1000000000)
		return INT64_MAX;
	return (uint64_t)(sec * 1000000000 + nsec);
}
long sys_arch_prctl(int code, uint64_t addr);
long sys_restart_syscall(void);
long sys_reboot(unsigned magic1, unsigned magic2, unsigned cmd, uint64_t arg);

/* small calls: kernel/sys_misc.c (the setgid family shares the setuid
 * functions: one user, one group) */
long sys_uname(uint64_t buf);
long sys_sethostname(uint64_t name, int len);
long sys_prlimit64(int pid, int resource, uint64_t new, uint64_t old);
long sys_getrlimit(int resource, uint64_t rlim);
long sys_setrlimit(int resource, uint64_t rlim);
long sys_times(uint64_t buf);
long sys_getrusage(int who, uint64_t ru);
long sys_sysinfo(uint64_t info);
long sys_prctl(int option, uint64_t arg2, uint64_t arg3, uint64_t arg4, uint64_t arg5);
long sys_syslog(int type, uint64_t buf, int len);
long sys_getpriority(int which, int who);
long sys_setpriority(int which, int who, int prio);
long sys_setuid(uint32_t uid);
long sys_setreuid(uint32_t r, uint32_t e);
long sys_setresuid(uint32_t r, uint32_t e, uint32_t s);
long sys_getresid(uint64_t r, uint64_t e, uint64_t s);
long sys_setfsid(uint32_t id);
long sys_getgroups(int size, uint64_t list);
long sys_setgroups(int size, uint64_t list);
long sys_clock_getres(int clock, uint64_t res);
long sys_gettimeofday(uint64_t tv, uint64_t tz);
long sys_time(uint64_t tloc);
long sys_getrandom(uint64_t buf, size_t n, unsigned flags);

/* signals: kernel/signal/sys_signal.c, kernel/signal/frame.c */
long sys_kill(int pid, int sig);
long sys_tkill(int tid, int sig);
long sys_tgkill(int tgid, int tid, int sig);
long sys_rt_sigqueueinfo(int pid, int sig, uint64_t info);
long sys_rt_tgsigqueueinfo(int tgid, int tid, int sig, uint64_t info);
long sys_rt_sigaction(int sig, uint64_t act, uint64_t oldact, size_t sigsetsize);
long sys_rt_sigprocmask(int how, uint64_t set, uint64_t oldset, size_t sigsetsize);
long sys_rt_sigpending(uint64_t set, size_t sigsetsize);
long sys_pause(void);
long sys_rt_sigsuspend(uint64_t mask, size_t sigsetsize);
long sys_rt_sigtimedwait(uint64_t set, uint64_t info, uint64_t timeout, size_t sigsetsize);
long sys_getitimer(int which, uint64_t curr);
long sys_setitimer(int which, uint64_t new, uint64_t old);
long sys_alarm(unsigned seconds);
long sys_sigaltstack(uint64_t ss, uint64_t old);
long sys_rt_sigreturn(void);

/* scheduling: kernel/sched.c */
long sys_sched_setaffinity(int pid, size_t len, uint64_t mask);
long sys_sched_getaffinity(int pid, size_t len, uint64_t mask);
long sys_getcpu(uint64_t cpu, uint64_t node, uint64_t cache);

/* memory: mm/sys_mm.c */
long sys_brk(uint64_t addr);
long sys_mmap(uint64_t addr, size_t len, int prot, int flags, int fd, int64_t off);
long sys_munmap(uint64_t addr, size_t len);
long sys_mprotect(uint64_t addr, size_t len, int prot);
long sys_madvise(uint64_t addr, size_t len, int advice);
long sys_msync(uint64_t addr, size_t len, int flags);
/* mm/mremap.c */
long sys_mremap(uint64_t old_addr, size_t old_len, size_t new_len, int flags, uint64_t new_addr);
/* kernel/fs/memfd.c */
long sys_memfd_create(uint64_t uname, unsigned flags);
