/*
 * kernel/signal.h - signals with their default actions only.
 *
 * A signal is a pending bit of one thread.  On the way back to user mode
 * (and when a sleep is interrupted) a pending signal that is not ignored
 * ends the whole process - every thread of it - with "killed by signal N",
 * which is what the default action of SIGKILL, SIGTERM, SIGINT, SIGSEGV,
 * SIGPIPE, ... does.  SIGCHLD's default is to ignore.  User handlers are not
 * supported: rt_sigaction accepts SIG_DFL and SIG_IGN and answers -EINVAL to
 * a handler function (docs/userspace.md).
 *
 * A signal is sent either to a thread (tkill, tgkill, a fault, SIGPIPE) or
 * to a process (kill, the terminal), which hands it to one of its threads
 * that has not exited (Linux complete_signal: no thread blocks signals
 * here, so the one named, else the first live one).  The dispositions are a
 * struct sighand that clone(CLONE_SIGHAND) shares and fork copies.
 */
#pragma once
#include "kernel/lib.h"

#define SIGHUP 1
#define SIGINT 2
#define SIGQUIT 3
#define SIGILL 4
#define SIGTRAP 5
#define SIGABRT 6
#define SIGBUS 7
#define SIGFPE 8
#define SIGKILL 9
#define SIGUSR1 10
#define SIGSEGV 11
#define SIGUSR2 12
#define SIGPIPE 13
#define SIGALRM 14
#define SIGTERM 15
#define SIGCHLD 17
#define SIGCONT 18
#define SIGSTOP 19
#define SIGTSTP 20
#define SIGTTIN 21
#define SIGTTOU 22
#define SIGURG 23
#define SIGWINCH 28
#define NSIG 64

struct proc;

/* Signal dispositions (Linux sighand_struct): shared by the threads of a
 * process and by clone(CLONE_SIGHAND); the next issue adds handlers. */
struct sighand {
	int refcount;		/* tasks using it (atomic) */
	uint64_t ignored;	/* signals set to SIG_IGN (bit n-1), under proc_lock */
};

/* All signals at their default action; NULL when out of memory. */
struct sighand *sighand_alloc(void);
/* fork without CLONE_SIGHAND: a copy of SH; NULL when out of memory. */
struct sighand *sighand_copy(const struct sighand *sh);
struct sighand *sighand_get(struct sighand *sh);
/* One user fewer; the last frees it.  NULL is allowed. */
void sighand_put(struct sighand *sh);

/* Mark SIG pending on thread P and wake it if it sleeps.  0 or -EINVAL. */
int signal_send(struct proc *p, int sig);
/* The same for a valid SIG, with proc_lock already held. */
void signal_send_locked(struct proc *p, int sig);
/* Send a valid SIG to the process (thread group) of P: to P itself if it
 * has not exited, else to the first thread of the group that has not.
 * proc_lock held. */
void signal_send_process_locked(struct proc *p, int sig);
/* Send SIG to every process in group PGID; -ESRCH when there is none.
 * For kill(2) and the terminal: init (pid 1) is in the count but does not
 * get the signal.  Linux marks init SIGNAL_UNKILLABLE: it takes only the
 * signals it has a handler for from user space (kernel/signal.c,
 * sig_task_ignored), and no handlers exist here; the kernel's own signals
 * (a fault, out of memory) still reach it. */
int signal_send_group(int pgid, int sig);
/* The same with proc_lock already held (the tty's hangup at exit). */
int signal_send_group_locked(int pgid, int sig);
/* Send SIG to the current process for a fault it caused (SIGSEGV, SIGBUS,
 * SIGILL, SIGFPE, SIGTRAP): if it is ignored, reset it to the default action
 * first, so the process cannot ignore its own fault (Linux force_sig_fault,
 * kernel/signal.c force_sig_info_to_task). */
void force_sig(int sig);
/* True when SIG sent to thread P would be discarded or left pending:
 * ignored, or blocked (the tty's SIGTTIN/SIGTTOU rule, Linux
 * is_ignored()/sigismember(&current->blocked)).  proc_lock held. */
bool signal_ignored_or_blocked(const struct proc *p, int sig);
/* True when the current thread has a signal that will end it. */
bool signal_pending(void);
/* The same for thread P (the scheduler's sleep check).  proc_lock held. */
bool task_signal_pending(const struct proc *p);
/* True when a pending signal will end the current process (SIGKILL, or any
 * signal whose action is the default "terminate"): long system calls stop
 * and return what they have done (Linux fatal_signal_pending). */
bool fatal_signal_pending(void);
/* Act on pending signals before returning to user mode (may not return):
 * a fatal one ends the process (proc_exit_group), or just this thread when
 * its group is already ending. */
void signal_deliver(void);
/* Set SIG's disposition for the current process to ignored (IGN) or the
 * default, dropping it from every sharer's pending set when ignored; the
 * old disposition is returned (true: ignored). */
bool signal_set_ignored(int sig, bool ign);
