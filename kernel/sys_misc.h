/*
 * kernel/sys_misc.h - per-process accounting, resource limits and the host
 * name (kernel/sys_misc.c): what fork, exec, exit and /proc call.  The
 * system calls themselves are declared in kernel/syscall.h.
 */
#pragma once
#include "kernel/lib.h"

struct proc;

#define HOST_NAME_MAX 64
/* uname(2)'s fields, also /proc/version and /proc/sys/kernel/os* */
#define UTS_SYSNAME "cowos"
#define UTS_RELEASE "0.1.0"
#define UTS_VERSION "copy-on-write teaching kernel"
#define USER_HZ 100		/* clock ticks of times(2) and /proc (Linux's) */

/* Ticks of the kernel timer (HZ) in USER_HZ clock ticks. */
#define TICKS_TO_CLOCK_T(t) ((t) * USER_HZ / HZ)

/* The first process's limits (Linux's INIT_RLIMITS, with RLIMIT_NOFILE at
 * the descriptor table's size) and settings. */
void misc_init_proc(struct proc *p);
/* clone: CHILD inherits ME's nice value, dumpable flag and program; a new
 * process (not THREAD) copies the limits of ME's group.  The parent-death
 * signal is not inherited (Linux copy_process). */
void misc_fork(struct proc *child, struct proc *me, bool thread);
/* exec of PATH (absolute) by P: /proc/PID/exe names it, dumpable again. */
void misc_exec(struct proc *p, const char *path);
/* Thread P is exiting: its times go to its group's.  proc_lock held. */
void acct_task_exit(struct proc *p);
/* LEADER reaps the zombie group CHILD: CHILD's times, and those of the
 * children it reaped, go to LEADER's cutime/cstime.  proc_lock held. */
void acct_reap(struct proc *leader, struct proc *child);
/* The user and system ticks of LEADER's whole group, threads that exited
 * included.  proc_lock held. */
void group_times(const struct proc *leader, uint64_t *utime, uint64_t *stime);
/* The calling process's soft limit for RESOURCE (RLIMIT_*). */
uint64_t rlimit_cur(int resource);
/* Copy the host name (uname's nodename, NUL-terminated) into BUF, which has
 * HOST_NAME_MAX + 1 bytes. */
void hostname_get(char *buf);
/* Set it from S (N bytes, no NUL needed): 0, or -EINVAL when longer than
 * HOST_NAME_MAX. */
int hostname_set(const char *s, size_t n);
/* CHILD's parent has died: send CHILD the signal it asked for with
 * PR_SET_PDEATHSIG, if any (reparenting calls it).  proc_lock held. */
void pdeath_signal_send(struct proc *child);
