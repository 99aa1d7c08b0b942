/*
 * kernel/syscall.c - from the syscall entry to the function that does the work.
 *
 * syscall_dispatch() receives the trap frame built by syscall_entry.asm: the
 * number in rax, arguments in rdi, rsi, rdx, r10, r8, r9 (the Linux x86-64
 * ABI).  The result goes back in rax.  Before returning to user mode the
 * process yields if its time slice is over and acts on pending signals
 * (user_return), exactly as after a trap: that is where a call that a
 * signal interrupted (-ERESTART*) is restarted or answers -EINTR.
 */
#include "kernel/syscall.h"
#include "kernel/x86/cpu.h"
#include "kernel/errno.h"
#include "kernel/futex.h"
#include "kernel/printk.h"
#include "kernel/proc.h"
#include "kernel/sched.h"
#include "kernel/signal/signal.h"
#include "kernel/x86/trap.h"
#include "mm/layout.h"
#include "mm/pagecache.h"

#define MAX_SYSCALL 512

static uint64_t unknown_logged[MAX_SYSCALL / 64];

static long unknown(uint64_t nr)
{
	if (nr < MAX_SYSCALL && !(unknown_logged[nr / 64] & (1UL << (nr % 64)))) {
		unknown_logged[nr / 64] |= 1UL << (nr % 64);
		printk(LOG_WARN, "syscall: %lu is not implemented (first caller pid %d, %s)\n",
		       nr, current()->pid, current()->name);
	}
	return -ENOSYS;
}

static long zero(void)
{
	return 0;
}

static long dispatch(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
		     uint64_t a4, uint64_t a5)
{
	switch (nr) {
	case SYS_read: return sys_read((int)a0, a1, a2);
	case SYS_write: return sys_write((int)a0, a1, a2);
	case SYS_open: return sys_open(a0, (int)a1, (int)a2);
	case SYS_close: return sys_close((int)a0);
	case SYS_stat: return sys_stat(a0, a1);
	case SYS_lstat: return sys_lstat(a0, a1);
	case SYS_fstat: return sys_fstat((int)a0, a1);
	case SYS_lseek: return sys_lseek((int)a0, (int64_t)a1, (int)a2);
	case SYS_mmap: return sys_mmap(a0, a1, (int)a2, (int)a3, (int)a4, (int64_t)a5);
	case SYS_mprotect: return sys_mprotect(a0, a1, (int)a2);
	case SYS_munmap: return sys_munmap(a0, a1);
	case SYS_brk: return sys_brk(a0);
	case SYS_rt_sigaction: return sys_rt_sigaction((int)a0, a1, a2, a3);
	case SYS_rt_sigprocmask: return sys_rt_sigprocmask((int)a0, a1, a2, a3);
	case SYS_ioctl: return sys_ioctl((int)a0, a1, a2);
	case SYS_pread64: return sys_pread64((int)a0, a1, a2, (int64_t)a3);
	case SYS_pwrite64: return sys_pwrite64((int)a0, a1, a2, (int64_t)a3);
	case SYS_readv: return sys_readv((int)a0, a1, (int)a2);
	case SYS_writev: return sys_writev((int)a0, a1, (int)a2);
	case SYS_access: return sys_access(a0, (int)a1);
	case SYS_pipe: return sys_pipe2(a0, 0);
	case SYS_pipe2: return sys_pipe2(a0, (int)a1);
	case SYS_sched_yield: return sys_sched_yield();
	case SYS_madvise: return sys_madvise(a0, a1, (int)a2);
	case SYS_msync: return sys_msync(a0, a1, (int)a2);
	case SYS_mremap: return sys_mremap(a0, a1, a2, (int)a3, a4);
	case SYS_memfd_create: return sys_memfd_create(a0, (unsigned)a1);
	case SYS_dup: return sys_dup((int)a0);
	case SYS_dup2: return sys_dup2((int)a0, (int)a1);
	case SYS_nanosleep: return sys_nanosleep(a0, a1);
	case SYS_getpid: return sys_getpid();
	case SYS_gettid: return sys_gettid();
	case SYS_fork: return sys_fork();
	case SYS_vfork: return sys_vfork();
	case SYS_execve: return sys_execve(a0, a1, a2);
	case SYS_exit: return sys_exit((int)a0);
	case SYS_exit_group: return sys_exit_group((int)a0);
	case SYS_wait4: return sys_wait4((int)a0, a1, (int)a2, a3);
	case SYS_kill: return sys_kill((int)a0, (int)a1);
	case SYS_uname: return sys_uname(a0);
	case SYS_fcntl: return sys_fcntl((int)a0, (int)a1, a2);
	case SYS_getcwd: return sys_getcwd(a0, a1);
	case SYS_chdir: return sys_chdir(a0);
	case SYS_getuid: case SYS_getgid: case SYS_geteuid: case SYS_getegid: return zero();
	case SYS_setpgid: return sys_setpgid((int)a0, (int)a1);
	case SYS_getppid: return sys_getppid();
	case SYS_getpgrp: return sys_getpgid(0);
	case SYS_setsid: return sys_setsid();
	case SYS_getpgid: return sys_getpgid((int)a0);
	case SYS_getsid: return sys_getsid((int)a0);
	case SYS_poll: return sys_poll(a0, (unsigned)a1, (int)a2);
	case SYS_ppoll: return sys_ppoll(a0, (unsigned)a1, a2, a3, a4);
	case SYS_select: return sys_select((int)a0, a1, a2, a3, a4);
	case SYS_pselect6: return sys_pselect6((int)a0, a1, a2, a3, a4, a5);
	case SYS_arch_prctl: return sys_arch_prctl((int)a0, a1);
	case SYS_reboot: return sys_reboot((unsigned)a0, (unsigned)a1, (unsigned)a2, a3);
	case SYS_set_tid_address: return sys_set_tid_address(a0);
	case SYS_clock_gettime: return sys_clock_gettime((int)a0, a1);
	case SYS_clock_nanosleep: return sys_clock_nanosleep((int)a0, (int)a1, a2, a3);
	case SYS_getdents64: return sys_getdents64((int)a0, a1, a2);
	case SYS_openat: return sys_openat((int)a0, a1, (int)a2, (int)a3);
	case SYS_newfstatat: return sys_newfstatat((int)a0, a1, a2, (int)a3);
	case SYS_clone: return sys_clone(a0, a1, a2, a3, a4);
	case SYS_tkill: return sys_tkill((int)a0, (int)a1);
	case SYS_tgkill: return sys_tgkill((int)a0, (int)a1, (int)a2);
	case SYS_futex: return sys_futex(a0, (int)a1, (uint32_t)a2, a3, a4, (uint32_t)a5);
	case SYS_set_robust_list: return sys_set_robust_list(a0, a1);
	case SYS_get_robust_list: return sys_get_robust_list((int)a0, a1, a2);
	case SYS_sched_setaffinity: return sys_sched_setaffinity((int)a0, a1, a2);
	case SYS_sched_getaffinity: return sys_sched_getaffinity((int)a0, a1, a2);
	case SYS_getcpu: return sys_getcpu(a0, a1, a2);
	/* the file system (the files helper) */
	case SYS_fsync: case SYS_fdatasync: case SYS_syncfs: return sys_fsync((int)a0);
	case SYS_sync: return zero();
	case SYS_truncate: return sys_truncate(a0, (int64_t)a1);
	case SYS_ftruncate: return sys_ftruncate((int)a0, (int64_t)a1);
	case SYS_fchdir: return sys_fchdir((int)a0);
	case SYS_rename: return sys_rename(a0, a1);
	case SYS_renameat: return sys_renameat((int)a0, a1, (int)a2, a3);
	case SYS_renameat2: return sys_renameat2((int)a0, a1, (int)a2, a3, (unsigned)a4);
	case SYS_mkdir: return sys_mkdir(a0, (int)a1);
	case SYS_mkdirat: return sys_mkdirat((int)a0, a1, (int)a2);
	case SYS_rmdir: return sys_rmdir(a0);
	case SYS_creat: return sys_creat(a0, (int)a1);
	case SYS_link: return sys_link(a0, a1);
	case SYS_linkat: return sys_linkat((int)a0, a1, (int)a2, a3, (int)a4);
	case SYS_unlink: return sys_unlink(a0);
	case SYS_unlinkat: return sys_unlinkat((int)a0, a1, (int)a2);
	case SYS_symlink: return sys_symlink(a0, a1);
	case SYS_symlinkat: return sys_symlinkat(a0, (int)a1, a2);
	case SYS_readlink: return sys_readlink(a0, a1, (int)a2);
	case SYS_readlinkat: return sys_readlinkat((int)a0, a1, a2, (int)a3);
	case SYS_chmod: return sys_chmod(a0, (uint32_t)a1);
	case SYS_fchmod: return sys_fchmod((int)a0, (uint32_t)a1);
	case SYS_fchmodat: return sys_fchmodat((int)a0, a1, (uint32_t)a2, 0);
	case SYS_chown: return sys_chown(a0, (uint32_t)a1, (uint32_t)a2);
	case SYS_lchown: return sys_lchown(a0, (uint32_t)a1, (uint32_t)a2);
	case SYS_fchown: return sys_fchown((int)a0, (uint32_t)a1, (uint32_t)a2);
	case SYS_fchownat: return sys_fchownat((int)a0, a1, (uint32_t)a2, (uint32_t)a3, (int)a4);
	case SYS_utimensat: return sys_utimensat((int)a0, a1, a2, (int)a3);
	case SYS_umask: return sys_umask((int)a0);
	case SYS_faccessat: return sys_faccessat2((int)a0, a1, (int)a2, 0);
	case SYS_faccessat2: return sys_faccessat2((int)a0, a1, (int)a2, (int)a3);
	case SYS_getxattr: return sys_getxattr(a0, a1);
	case SYS_lgetxattr: return sys_lgetxattr(a0, a1);
	case SYS_fgetxattr: return sys_fgetxattr((int)a0, a1);
	case SYS_statfs: return sys_statfs(a0, a1);
	case SYS_fstatfs: return sys_fstatfs((int)a0, a1);
	case SYS_mount: return sys_mount(a0, a1, a2, a3, a4);
	case SYS_umount2: return sys_umount2(a0, (int)a1);
	case SYS_sethostname: return sys_sethostname(a0, (int)a1);
	case SYS_prlimit64: return sys_prlimit64((int)a0, (int)a1, a2, a3);
	case SYS_getrlimit: return sys_getrlimit((int)a0, a1);
	case SYS_setrlimit: return sys_setrlimit((int)a0, a1);
	case SYS_times: return sys_times(a0);
	case SYS_getrusage: return sys_getrusage((int)a0, a1);
	case SYS_sysinfo: return sys_sysinfo(a0);
	case SYS_prctl: return sys_prctl((int)a0, a1, a2, a3, a4);
	case SYS_syslog: return sys_syslog((int)a0, a1, (int)a2);
	case SYS_getpriority: return sys_getpriority((int)a0, (int)a1);
	case SYS_setpriority: return sys_setpriority((int)a0, (int)a1, (int)a2);
	case SYS_setuid: case SYS_setgid: return sys_setuid((uint32_t)a0);
	case SYS_setreuid: case SYS_setregid: return sys_setreuid((uint32_t)a0, (uint32_t)a1);
	case SYS_setresuid: case SYS_setresgid:
		return sys_setresuid((uint32_t)a0, (uint32_t)a1, (uint32_t)a2);
	case SYS_getresuid: case SYS_getresgid: return sys_getresid(a0, a1, a2);
	case SYS_setfsuid: case SYS_setfsgid: return sys_setfsid((uint32_t)a0);
	case SYS_getgroups: return sys_getgroups((int)a0, a1);
	case SYS_setgroups: return sys_setgroups((int)a0, a1);
	case SYS_clock_getres: return sys_clock_getres((int)a0, a1);
	case SYS_gettimeofday: return sys_gettimeofday(a0, a1);
	case SYS_time: return sys_time(a0);
	case SYS_getrandom: return sys_getrandom(a0, a1, (unsigned)a2);
	case SYS_rseq: return -ENOSYS;	/* Linux without CONFIG_RSEQ; glibc expects it */
	case SYS_rt_sigreturn: return sys_rt_sigreturn();
	case SYS_rt_sigpending: return sys_rt_sigpending(a0, a1);
	case SYS_rt_sigtimedwait: return sys_rt_sigtimedwait(a0, a1, a2, a3);
	case SYS_rt_sigqueueinfo: return sys_rt_sigqueueinfo((int)a0, (int)a1, a2);
	case SYS_rt_tgsigqueueinfo: return sys_rt_tgsigqueueinfo((int)a0, (int)a1, (int)a2, a3);
	case SYS_rt_sigsuspend: return sys_rt_sigsuspend(a0, a1);
	case SYS_sigaltstack: return sys_sigaltstack(a0, a1);
	case SYS_pause: return sys_pause();
	case SYS_alarm: return sys_alarm((unsigned)a0);
	case SYS_getitimer: return sys_getitimer((int)a0, a1);
	case SYS_setitimer: return sys_setitimer((int)a0, a1, a2);
	case SYS_restart_syscall: return sys_restart_syscall();
	default: return unknown(nr);
	}
}

void user_return(void)
{
	if (this_cpu()->need_resched)
		yield();
	signal_deliver();
}

void syscall_dispatch(struct trapframe *tf)
{
	signal_syscall_enter(tf->rax);
	long ret = dispatch(tf->rax, tf->rdi, tf->rsi, tf->rdx, tf->r10, tf->r8, tf->r9);

	/* an -ERESTART* result becomes a restart or -EINTR in signal_deliver */
	tf->rax = (uint64_t)ret;
	/* The return is always IRET (trap_return), and IRET to a non-canonical
	 * RIP faults in ring 0.  No mapping reaches USER_END (mm/layout.h), but
	 * rt_sigreturn takes any RIP a signal frame holds: this one check keeps
	 * it in the user half, and only the process dies. */
	if (!is_user_addr(tf->rip))
		force_sig(SIGSEGV);
	/* pages a call copied from a clone's shared frames under mmap_lock
	 * (MAP_POPULATE, /proc/PID/mem) leave the mappings that show the old
	 * frames: mm/pagecache.h */
	pagecache_unmap_stale();
	user_return();
}
