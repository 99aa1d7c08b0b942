/*
 * kernel/errno.h - error numbers, with Linux's values (the syscall ABI
 * returns them negated in rax).
 */
#pragma once

#define EPERM 1
#define ENOENT 2
#define ESRCH 3
#define EINTR 4
#define EIO 5
#define ENXIO 6
#define E2BIG 7
#define ENOEXEC 8
#define EBADF 9
#define ECHILD 10
#define EAGAIN 11
#define ENOMEM 12
#define EACCES 13
#define EFAULT 14
#define EBUSY 16
#define EEXIST 17
#define EXDEV 18
#define ENODEV 19
#define ENOTDIR 20
#define EISDIR 21
#define EINVAL 22
#define ENFILE 23
#define EMFILE 24
#define ENOTTY 25
#define ETXTBSY 26
#define EFBIG 27
#define ENOSPC 28
#define ESPIPE 29
#define EROFS 30
#define EMLINK 31
#define EPIPE 32
#define EDOM 33
#define ERANGE 34
#define ENAMETOOLONG 36
#define ENOSYS 38
#define ENOTEMPTY 39
#define ELOOP 40
#define EOVERFLOW 75
#define EOPNOTSUPP 95
#define ETIMEDOUT 110

/*
 * Kernel-internal results of an interrupted system call (Linux
 * include/linux/errno.h); never seen by user space.  On the way out,
 * signal delivery turns them into a restart of the call or -EINTR:
 *   ERESTARTSYS            restart if the handler has SA_RESTART (or there is
 *                          no handler), else EINTR;
 *   ERESTARTNOINTR         always restart;
 *   ERESTARTNOHAND         restart only if no handler ran, else EINTR;
 *   ERESTART_RESTARTBLOCK  like ERESTARTNOHAND (nanosleep's remaining time).
 */
#define ERESTARTSYS 512
#define ERESTARTNOINTR 513
#define ERESTARTNOHAND 514
#define ERESTART_RESTARTBLOCK 516
