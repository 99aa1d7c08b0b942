/*
 * kernel/signal/signal.h - signals: Linux's model, with handlers, masks, job-control
 * stops and restartable system calls.  docs/userspace.md §5 tells the story.
 *
 * Sending (kernel/signal/signal.c).  A signal goes to a thread (tkill, tgkill, a
 * fault, SIGPIPE: the thread's own pending set) or to a process (kill, the
 * terminal, SIGCHLD: the group's shared pending set, kept by the group
 * leader, Linux's shared_pending).  A standard signal is queued once: a
 * second one while the first is pending is merged, keeping the first's
 * siginfo.  A signal the process ignores is discarded at send time unless
 * it is blocked (its handler may change before it is unblocked).  For a
 * process-wide signal one thread that does not block it is woken
 * (complete_signal).  SIGCONT resumes a stopped group as soon as it is
 * sent, even when blocked or ignored; a stop signal discards a pending
 * SIGCONT and the reverse.
 *
 * Delivery (kernel/signal/frame.c).  On every way back to user mode
 * signal_deliver() takes the pending, unblocked signals one by one: SIG_IGN
 * drops one, a default action ignores, stops the group (do_signal_stop) or
 * ends it (proc_exit_group), and a handler gets Linux's x86-64 rt_sigframe
 * on the user stack (or the alternate stack) and the registers that enter
 * it.  rt_sigreturn reads that frame back, sanitised.  A system call a
 * signal interrupted is restarted or answers EINTR there (Linux's rules,
 * kernel/errno.h).
 *
 * Locking: every field of signal state (dispositions, masks, pending sets,
 * the altstack, group stop) is under proc_lock.
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
#define SIGXCPU 24
#define SIGXFSZ 25
#define SIGWINCH 28
#define SIGSYS 31
#define NSIG 64

#define SIG_DFL 0
#define SIG_IGN 1

/* sa_flags (Linux include/uapi/asm-generic/signal.h, x86 SA_RESTORER). */
#define SA_NOCLDSTOP 0x00000001
#define SA_NOCLDWAIT 0x00000002
#define SA_SIGINFO 0x00000004
#define SA_RESTORER 0x04000000
#define SA_ONSTACK 0x08000000
#define SA_RESTART 0x10000000
#define SA_NODEFER 0x40000000
#define SA_RESETHAND 0x80000000U

/* si_code values (Linux include/uapi/asm-generic/siginfo.h). */
#define SI_USER 0
#define SI_KERNEL 0x80
#define SI_QUEUE (-1)
#define SI_TKILL (-6)
#define SEGV_MAPERR 1
#define SEGV_ACCERR 2
#define BUS_ADRALN 1
#define BUS_ADRERR 2
#define ILL_ILLOPN 2
#define FPE_INTDIV 1
#define TRAP_BRKPT 1
#define CLD_EXITED 1
#define CLD_KILLED 2
#define CLD_DUMPED 3
#define CLD_STOPPED 5
#define CLD_CONTINUED 6

/* A bit for each signal in a 64-bit set (Linux's sigset_t on x86-64). */
static inline uint64_t sigmask(int sig) { return 1UL << (sig - 1); }
#define SIG_UNBLOCKABLE (sigmask(SIGKILL) | sigmask(SIGSTOP))
/* Default actions other than "terminate" (man 7 signal): Stop, and Ign. */
#define STOP_SIGNALS (sigmask(SIGSTOP) | sigmask(SIGTSTP) | sigmask(SIGTTIN) | sigmask(SIGTTOU))
#define IGNORED_BY_DEFAULT (sigmask(SIGCHLD) | sigmask(SIGCONT) | sigmask(SIGURG) | \
			    sigmask(SIGWINCH))

/* Linux's kernel ABI struct sigaction for rt_sigaction (x86-64). */
struct k_sigaction {
	uint64_t handler, flags, restorer, mask;
};

/* Linux's siginfo_t, 128 bytes: the header and the union's fields at the
 * offsets x86-64 user space reads them (si_pid/si_addr at 16, si_uid at 20,
 * si_status/si_value at 24). */
struct siginfo {
	int32_t si_signo, si_errno, si_code, pad;
	union {
		struct {
			int32_t pid;
			uint32_t uid;
			union {
				int32_t status;		/* SIGCHLD */
				uint64_t value;		/* sigqueue */
			};
			int64_t utime, stime;		/* SIGCHLD, always 0 here */
		} proc;
		uint64_t addr;				/* SIGSEGV, SIGBUS, ... */
		uint8_t raw[112];
	};
};

/* A pending signal keeps the first SI_KEPT bytes of its siginfo: the
 * header and every union field this kernel or rt_sigqueueinfo fills (up to
 * si_stime); the rest of the 128 reads as 0. */
#define SI_KEPT 48

/* Signals sent and not yet taken (bit n-1), each with its siginfo. */
struct sigpending {
	uint64_t set;
	uint8_t info[NSIG][SI_KEPT];
};

/* sigaltstack's stack_t (and ucontext's uc_stack). */
struct sigaltstack {
	uint64_t ss_sp;
	int32_t ss_flags, pad;
	uint64_t ss_size;
};

struct proc;
struct spinlock;
struct trapframe;

/* Signal dispositions (Linux sighand_struct): shared by the threads of a
 * process and by clone(CLONE_SIGHAND); copied by fork. */
struct sighand {
	int refcount;			/* tasks using it (atomic) */
	struct k_sigaction action[NSIG];	/* under proc_lock */
};

/* ---- dispositions: kernel/signal/signal.c ---- */

/* All signals at their default action; NULL when out of memory. */
struct sighand *sighand_alloc(void);
/* fork without CLONE_SIGHAND: a copy of SH; NULL when out of memory. */
struct sighand *sighand_copy(const struct sighand *sh);
struct sighand *sighand_get(struct sighand *sh);
/* One user fewer; the last frees it.  NULL is allowed. */
void sighand_put(struct sighand *sh);

/* ---- sending: kernel/signal/signal.c (proc_lock held where "_locked") ---- */

/* SIG (1..NSIG) from the kernel to thread P (SI_KERNEL).  0 or -EINVAL. */
int signal_send(struct proc *p, int sig);
/* The same with proc_lock held, for a valid SIG. */
void signal_send_locked(struct proc *p, int sig);
/* SIG with INFO (NULL: SI_KERNEL) to thread P (GROUP false) or to P's
 * process (GROUP true).  FROM_USER: sent by kill/tkill/sigqueue, which init
 * (pid 1) takes only for signals it has a handler for (Linux
 * SIGNAL_UNKILLABLE, sig_task_ignored); the kernel's own signals (a fault,
 * out of memory, SIGCHLD) reach it.  proc_lock held. */
void send_signal_info_locked(struct proc *p, int sig, const struct siginfo *info,
			     bool group, bool from_user);
/* A valid SIG from the kernel to the process of P (SI_KERNEL).  proc_lock held. */
void signal_send_process_locked(struct proc *p, int sig);
/* SIG with INFO (NULL: SI_KERNEL) to every process in group PGID, as
 * kill(2) sends it (init only for a handler); -ESRCH when there is none,
 * -EINVAL for a bad SIG (0 only checks). */
int signal_send_group_info(int pgid, int sig, const struct siginfo *info);
/* The same from the kernel (SI_KERNEL): the terminal's SIGINT, SIGTSTP... */
int signal_send_group(int pgid, int sig);
/* The same with proc_lock already held (the tty's hangup at exit). */
int signal_send_group_locked(int pgid, int sig);
/* Send fault signal SIG with si_code CODE and si_addr ADDR to the current
 * thread: if it is ignored or blocked, it is unblocked and reset to the
 * default action first, so the process cannot outlive its own fault (Linux
 * force_sig_fault, kernel/signal/signal.c force_sig_info_to_task). */
void force_sig_fault(int sig, int code, uint64_t addr);
/* True when the current process has no handler for SIG: a fault it sends
 * will end the process, so the kernel logs the fault (Linux
 * unhandled_signal, show_unhandled_signals); a handled one is the
 * program's business (a user-space copy-on-write, a garbage collector). */
bool signal_unhandled(int sig);
/* force_sig_fault with SI_KERNEL and no address. */
void force_sig(int sig);
/* Tell the parent of the process led by LEADER that the process exited,
 * was killed, stopped or continued (WHY: CLD_*; STATUS: exit code or
 * signal): SIGCHLD with its siginfo, unless the parent's SIGCHLD action
 * says otherwise (SA_NOCLDSTOP), and a wakeup for wait4.  For an exit,
 * returns true when the parent ignores SIGCHLD or has SA_NOCLDWAIT: the
 * child is then reaped at once (Linux do_notify_parent).  proc_lock held. */
bool do_notify_parent(struct proc *leader, int why, int status);
/* True when SIG sent to thread P would be discarded or left pending:
 * ignored, or blocked (the tty's SIGTTIN/SIGTTOU rule, Linux
 * is_ignored()/sigismember(&current->blocked)).  proc_lock held. */
bool signal_ignored_or_blocked(const struct proc *p, int sig);

/* ---- the state of a thread ---- */

/* True when the current thread has something to act on before it returns
 * to user mode: a pending signal it does not block, or a group stop to
 * take part in.  A sleep that a signal may end checks this, returns a
 * -ERESTART* code or -EINTR, and the signal is then delivered. */
bool signal_pending(void);
/* The same for thread P (the scheduler's sleep check).  proc_lock held. */
bool task_signal_pending(const struct proc *p);
/* True when the current process is being killed: SIGKILL pending, or a
 * group exit under way.  Long system calls stop and return what they have
 * done (Linux fatal_signal_pending; a signal whose default action kills is
 * turned into SIGKILL when it is sent, complete_signal). */
bool fatal_signal_pending(void);
/* Thread P is parked in a group stop ("T (stopped)" in /proc).  proc_lock held. */
bool task_is_stopped(const struct proc *p);
/* Take the first pending signal of the current thread in MASK (its own
 * set first, then the group's; synchronous faults first): its number and
 * *INFO, or 0.  proc_lock held. */
int dequeue_signal(uint64_t mask, struct siginfo *info);
/* Group stop for SIG (SIGSTOP, or TSTP/TTIN/TTOU at their default): mark
 * the group stopping, park the current thread until SIGCONT or SIGKILL; the
 * last thread to park tells the parent.  Called, and returns, with
 * proc_lock held. */
void do_signal_stop(int sig);
/* Sleep on CHAN (LOCK released meanwhile, as sleep_on) until a wakeup or
 * SIGKILL, which other signals do not end (Linux TASK_KILLABLE): for waits
 * that must not be cut short by a handled signal, such as a group stop,
 * vfork's wait for its child and execve's wait for the other threads. */
void sleep_on_killable(void *chan, struct spinlock *lock);
/* A thread of a stopping group leaves (exit): the others may now all be
 * parked.  proc_lock held. */
void signal_thread_exit(struct proc *p);

/* The current thread's mask becomes SET (less SIGKILL and SIGSTOP); a
 * process-wide signal it now blocks goes to another thread that does not
 * (Linux set_current_blocked, retarget_shared_pending).  proc_lock held. */
void set_current_blocked_locked(uint64_t set);
/* For one system call (rt_sigsuspend, ppoll, pselect6) the current thread's
 * mask becomes the set at user address UMASK; the old one is kept in
 * saved_sigmask and comes back on the way to user mode (after a handler's
 * frame has captured it).  UMASK NULL: unchanged, 0.  -EINVAL unless SIZE
 * is 8 (Linux sizeof(sigset_t)), -EFAULT.  Linux set_user_sigmask. */
long set_user_sigmask(uint64_t umask, size_t size);

/* ---- fork, exec, timers: kernel/signal/signal.c ---- */

/* fork/clone: CHILD gets ME's mask, an empty pending set, and ME's
 * altstack when KEEP_ALTSTACK (not for a thread: CLONE_VM without
 * CLONE_VFORK, Linux copy_process). */
void signal_fork(struct proc *child, const struct proc *me, bool keep_altstack);
/* execve: handled signals back to SIG_DFL (ignored stay ignored), a
 * private sighand if shared, no altstack; mask and pending kept.
 * -ENOMEM when a private copy cannot be made. */
int signal_exec(void);
/* execve by a thread that is not the leader: TO takes over the group's
 * state from the old leader FROM (shared pending signals, the alarm).
 * proc_lock held. */
void signal_take_over_leader(struct proc *to, const struct proc *from);
/* From the scheduler, proc_lock held, at least once a tick per CPU: send
 * SIGALRM to each process whose alarm (ITIMER_REAL) has expired and re-arm
 * an interval timer. */
void signal_run_timers_locked(uint64_t now_ns);

/* ---- delivery: kernel/signal/frame.c ---- */

/* On the way back to user mode with the user registers in current()->tf:
 * take pending signals, run default actions, set up handler frames, and
 * apply the restart rules to an interrupted system call.  May not return
 * (the process exits). */
void signal_deliver(void);
/* The current thread has entered system call NR (syscall_dispatch): the
 * restart rules apply to its result.  Cleared once they have been applied,
 * and by rt_sigreturn. */
void signal_syscall_enter(uint64_t nr);
