/*
 * kernel/signal/frame.c - taking signals on the way back to user mode: the
 * default actions, the handler's frame on the user stack, rt_sigreturn,
 * the alternate signal stack, and the restart of an interrupted system call
 * (Linux arch/x86/kernel/signal/signal.c, signal_64.c, kernel/signal/signal.c get_signal).
 *
 * The frame is Linux's x86-64 struct rt_sigframe, so musl's (and glibc's)
 * sa_restorer, which just calls rt_sigreturn, works unchanged, and a
 * handler may read and edit the saved registers through its ucontext.
 * Layout from the new rsp up (docs/userspace.md §5 has the picture):
 *   +0    pretcode  the handler's return address: sa_restorer
 *   +8    ucontext  uc_flags, uc_link, uc_stack, uc_mcontext (struct
 *                   sigcontext, 256 bytes), uc_sigmask: the mask to restore
 *   +312  siginfo   128 bytes
 *   ...   the FPU state (fxsave, 512 bytes, 64-aligned), under the red zone
 * Everything read back by rt_sigreturn comes from user memory and is
 * sanitised before it can reach IRET: CS and SS are the user selectors,
 * RFLAGS takes only the arithmetic and a few harmless flags (never IOPL),
 * the MXCSR loses its reserved bits (FXRSTOR would fault in the kernel), and
 * syscall_dispatch refuses a RIP outside the user half.
 */
#include "kernel/signal/signal.h"
#include "kernel/errno.h"
#include "kernel/proc.h"
#include "kernel/syscall.h"
#include "kernel/uaccess.h"
#include "kernel/x86/gdt.h"
#include "kernel/x86/trap.h"
#include "kernel/x86/x86.h"
#include "mm/layout.h"

#define SS_ONSTACK 1
#define SS_DISABLE 2
#define SS_AUTODISARM (1U << 31)
#define MINSIGSTKSZ 2048
#define UC_SIGCONTEXT_SS 0x2
#define UC_STRICT_RESTORE_SS 0x4
#define REDZONE 128		/* the x86-64 ABI's, below rsp: the frame goes under it */
#define SYSCALL_VECTOR 0x100	/* trapframe.vector of a system call (syscall_entry.asm) */

/* The RFLAGS bits a frame may set (Linux FIX_EFLAGS): AC OF DF TF SF ZF AF
 * PF CF and RF.  Never IOPL, NT, VM or IF. */
#define FIX_EFLAGS 0x50dd5UL
#define RFLAGS_TF (1UL << 8)
#define RFLAGS_DF (1UL << 10)
#define RFLAGS_RF (1UL << 16)
#define RFLAGS_FIXED1 (1UL << 1)	/* reads as 1 */

/* Linux's struct sigcontext (x86-64), uc_mcontext. */
struct sigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2, fpstate;
	uint64_t reserved1[8];
};

struct ucontext {
	uint64_t uc_flags, uc_link;
	struct sigaltstack uc_stack;
	struct sigcontext uc_mcontext;
	uint64_t uc_sigmask;
};

struct rt_sigframe {
	uint64_t pretcode;
	struct ucontext uc;
	struct siginfo info;
};

/* The FXSAVE image (Intel SDM Vol 1, 10.5.1): the header fields we touch. */
struct fxregs {
	uint16_t cwd, swd, twd, fop;
	uint64_t rip, rdp;
	uint32_t mxcsr, mxcsr_mask;
	uint8_t regs[480];
} __attribute__((aligned(16)));

_Static_assert(sizeof(struct sigcontext) == 256, "Linux's sigcontext is 256 bytes");
_Static_assert(sizeof(struct siginfo) == 128, "Linux's siginfo is 128 bytes");
_Static_assert(offsetof(struct rt_sigframe, info) == 312, "Linux's rt_sigframe layout");
_Static_assert(sizeof(struct fxregs) == 512, "FXSAVE area is 512 bytes");

/* A handler starts with the FPU as FNINIT and the power-on MXCSR leave it
 * (Linux fpu__clear_user_states). */
static const struct fxregs fpu_clean = { .cwd = 0x037f, .mxcsr = 0x1f80 };

/* The MXCSR bits this CPU accepts: FXSAVE's MXCSR_MASK, 0xffbf when it
 * reports 0 (Intel SDM Vol 1, 11.6.6). */
static uint32_t mxcsr_mask(void)
{
	static uint32_t mask;

	if (!mask) {
		struct fxregs fx;
		asm volatile("fxsave %0" : "=m"(fx));
		mask = fx.mxcsr_mask ? fx.mxcsr_mask : 0xffbf;
	}
	return mask;
}

static void fpu_load(const struct fxregs *fx)
{
	asm volatile("fxrstor %0" : : "m"(*fx));
}

/* ---- the alternate signal stack (sigaltstack(2), Linux do_sigaltstack) ---- */

static bool on_sig_stack(const struct proc *p, uint64_t sp)
{
	const struct sigaltstack *ss = &p->altstack;

	if (ss->ss_flags & SS_AUTODISARM)	/* cannot be on it, by construction */
		return false;
	return sp > ss->ss_sp && sp - ss->ss_sp <= ss->ss_size;
}

static int sas_ss_flags(const struct proc *p, uint64_t sp)
{
	if (!p->altstack.ss_size)
		return SS_DISABLE;
	return on_sig_stack(p, sp) ? SS_ONSTACK : 0;
}

/* P's altstack as sigaltstack and uc_stack report it, with user rsp SP. */
static struct sigaltstack altstack_get(const struct proc *p, uint64_t sp)
{
	struct sigaltstack ss = p->altstack;

	ss.ss_flags = sas_ss_flags(p, sp) | (int32_t)(p->altstack.ss_flags & SS_AUTODISARM);
	return ss;
}

/* Install SS for P whose user rsp is SP: -EPERM while on the current one,
 * -EINVAL for bad flags, -ENOMEM below MINSIGSTKSZ.  proc_lock held. */
static int altstack_set(struct proc *p, const struct sigaltstack *ss, uint64_t sp)
{
	uint32_t mode = (uint32_t)ss->ss_flags & ~SS_AUTODISARM;

	if (on_sig_stack(p, sp))
		return -EPERM;
	if (mode != SS_DISABLE && mode != SS_ONSTACK && mode != 0)
		return -EINVAL;
	if (mode == SS_DISABLE) {
		p->altstack = (struct sigaltstack){ 0 };
		return 0;
	}
	if (ss->ss_size < MINSIGSTKSZ)
		return -ENOMEM;
	p->altstack = (struct sigaltstack){ .ss_sp = ss->ss_sp, .ss_size = ss->ss_size,
					    .ss_flags = (int32_t)(ss->ss_flags & SS_AUTODISARM) };
	return 0;
}

/* sigaltstack(2): the old setting into UOLD, then USS installed; either
 * may be 0.  -EFAULT, or altstack_set's errors. */
long sys_sigaltstack(uint64_t uss, uint64_t uold)
{
	struct proc *p = current();
	struct sigaltstack ss, old;
	int err = 0;

	if (uss && copy_from_user(&ss, uss, sizeof(ss)))
		return -EFAULT;
	spin_lock(&proc_lock);
	old = altstack_get(p, p->tf->rsp);
	if (uss)
		err = altstack_set(p, &ss, p->tf->rsp);
	spin_unlock(&proc_lock);
	if (!err && uold && copy_to_user(uold, &old, sizeof(old)))
		return -EFAULT;
	return err;
}

/* ---- building the frame ---- */

/* Where the frame for KA goes, below the red zone or on the altstack; its
 * FPU area in *FPSTATE.  0 when it would overflow the altstack (Linux
 * get_sigframe: the process then dies of SIGSEGV). */
static uint64_t get_sigframe(struct proc *p, const struct k_sigaction *ka, uint64_t *fpstate)
{
	uint64_t sp = p->tf->rsp;
	bool nested = on_sig_stack(p, sp), entering = false;

	sp -= REDZONE;
	if ((ka->flags & SA_ONSTACK) && sas_ss_flags(p, sp) == 0) {
		sp = p->altstack.ss_sp + p->altstack.ss_size;
		entering = true;
	}
	sp = (sp - sizeof(struct fxregs)) & ~63UL;
	*fpstate = sp;
	sp = ((sp - sizeof(struct rt_sigframe)) & ~15UL) - 8;	/* (rsp + 8) % 16 == 0 */
	if ((nested || entering) && !(sp > p->altstack.ss_sp &&
				      sp - p->altstack.ss_sp <= p->altstack.ss_size))
		return 0;
	return sp;
}

static void save_sigcontext(struct sigcontext *sc, const struct trapframe *tf,
			    const struct siginfo *info)
{
	*sc = (struct sigcontext){
		.r8 = tf->r8, .r9 = tf->r9, .r10 = tf->r10, .r11 = tf->r11,
		.r12 = tf->r12, .r13 = tf->r13, .r14 = tf->r14, .r15 = tf->r15,
		.rdi = tf->rdi, .rsi = tf->rsi, .rbp = tf->rbp, .rbx = tf->rbx,
		.rdx = tf->rdx, .rax = tf->rax, .rcx = tf->rcx, .rsp = tf->rsp,
		.rip = tf->rip, .eflags = tf->rflags,
		.cs = (uint16_t)tf->cs, .ss = (uint16_t)tf->ss,
		.err = tf->vector == SYSCALL_VECTOR ? 0 : tf->error,
		.trapno = tf->vector == SYSCALL_VECTOR ? 0 : tf->vector,
		.cr2 = info->si_signo == SIGSEGV || info->si_signo == SIGBUS ? info->addr : 0,
	};
}

/* Write the frame for SIG to the user stack and point the registers at the
 * handler; OLDMASK is the mask rt_sigreturn restores.  -EFAULT when the
 * frame cannot be written (Linux setup_rt_frame). */
static int setup_rt_frame(int sig, const struct k_sigaction *ka, const struct siginfo *info,
			  uint64_t oldmask)
{
	struct proc *p = current();
	struct trapframe *tf = p->tf;
	struct rt_sigframe f;
	struct fxregs fx;
	uint64_t fpstate, sp = get_sigframe(p, ka, &fpstate);

	if (!sp || !(ka->flags & SA_RESTORER) || !is_user_addr(ka->handler))
		return -EFAULT;		/* x86-64 has no default restorer (Linux) */
	asm volatile("fxsave %0" : "=m"(fx));	/* the user's live FPU state */
	memset(&f, 0, sizeof(f));
	f.pretcode = ka->restorer;
	f.uc.uc_flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
	spin_lock(&proc_lock);
	f.uc.uc_stack = altstack_get(p, tf->rsp);
	spin_unlock(&proc_lock);
	save_sigcontext(&f.uc.uc_mcontext, tf, info);
	f.uc.uc_mcontext.oldmask = oldmask;
	f.uc.uc_mcontext.fpstate = fpstate;
	f.uc.uc_sigmask = oldmask;
	f.info = *info;
	if (copy_to_user(fpstate, &fx, sizeof(fx)) || copy_to_user(sp, &f, sizeof(f)))
		return -EFAULT;
	if (p->altstack.ss_flags & SS_AUTODISARM)
		p->altstack = (struct sigaltstack){ 0 };
	tf->rdi = (uint64_t)sig;
	tf->rsi = sp + offsetof(struct rt_sigframe, info);
	tf->rdx = sp + offsetof(struct rt_sigframe, uc);
	tf->rax = 0;
	tf->rip = ka->handler;
	tf->rsp = sp;
	tf->rflags &= ~(RFLAGS_DF | RFLAGS_RF | RFLAGS_TF);
	tf->cs = SEG_UCODE;
	tf->ss = SEG_UDATA;
	fpu_load(&fpu_clean);
	return 0;
}

/* ---- restarting an interrupted system call ---- */

void signal_syscall_enter(uint64_t nr)
{
	struct proc *p = current();

	p->syscall_nr = nr;
	p->in_syscall = true;
}

/* Linux's rules for a call that returned -ERESTART*: KA is the handler
 * about to run, NULL when none will (the signal was ignored, or stopped and
 * continued the process).  Restart = run the syscall instruction again with
 * the original number (RESTARTBLOCK: restart_syscall's). */
static void syscall_restart(const struct k_sigaction *ka)
{
	struct proc *p = current();
	struct trapframe *tf = p->tf;
	bool restart;

	if (!p->in_syscall)
		return;
	p->in_syscall = false;
	switch ((long)tf->rax) {
	case -ERESTART_RESTARTBLOCK:
	case -ERESTARTNOHAND:
		restart = !ka;
		break;
	case -ERESTARTSYS:
		restart = !ka || (ka->flags & SA_RESTART);
		break;
	case -ERESTARTNOINTR:
		restart = true;
		break;
	default:
		return;
	}
	if (!restart) {
		tf->rax = (uint64_t)-EINTR;
		return;
	}
	tf->rax = (long)tf->rax == -ERESTART_RESTARTBLOCK ? SYS_restart_syscall : p->syscall_nr;
	tf->rip -= 2;		/* `syscall` is 2 bytes: 0f 05 */
}

/* ---- taking signals ---- */

/* The next signal with a handler for the current thread, its siginfo and
 * action (0 when none): default actions on the way are carried out here -
 * ignore, stop (parks until SIGCONT) or end the process (Linux get_signal). */
static int get_signal(struct siginfo *info, struct k_sigaction *ka)
{
	struct proc *p = current(), *leader = p->group_leader;

	spin_lock(&proc_lock);
	for (;;) {
		if (leader->group_exiting || (p->pending.set & sigmask(SIGKILL))) {
			int status = leader->group_exiting ? leader->group_exit_status : SIGKILL;
			spin_unlock(&proc_lock);
			proc_exit_group(status);
		}
		if (leader->group_stopping && !p->stopped) {
			do_signal_stop(leader->group_stop_sig);
			continue;
		}
		int sig = dequeue_signal(~p->blocked, info);
		if (!sig)
			break;
		struct k_sigaction *action = &p->sighand->action[sig - 1];
		*ka = *action;
		if (ka->handler == SIG_IGN)
			continue;
		if (ka->handler != SIG_DFL) {
			if (ka->flags & SA_RESETHAND)
				action->handler = SIG_DFL;
			spin_unlock(&proc_lock);
			return sig;
		}
		if (IGNORED_BY_DEFAULT & sigmask(sig))
			continue;
		if (STOP_SIGNALS & sigmask(sig)) {
			/* from the terminal to an orphaned group: nobody could continue it */
			if (sig == SIGSTOP || !pgrp_is_orphaned_locked(p->pgid))
				do_signal_stop(sig);
			continue;
		}
		spin_unlock(&proc_lock);
		proc_exit_group(sig);		/* wait status: killed by SIG */
	}
	spin_unlock(&proc_lock);
	return 0;
}

/* A frame that cannot be written: the process dies of SIGSEGV, even when
 * the failed signal was SIGSEGV and had a handler (Linux force_sigsegv). */
static void force_sigsegv(int sig)
{
	struct proc *p = current();

	if (sig == SIGSEGV) {
		spin_lock(&proc_lock);
		p->sighand->action[SIGSEGV - 1].handler = SIG_DFL;
		spin_unlock(&proc_lock);
	}
	force_sig(SIGSEGV);
}

/* Run handler KA for SIG: restart rules, the frame, then the mask the
 * handler runs with (Linux handle_signal, signal_delivered). */
static void handle_signal(int sig, const struct siginfo *info, const struct k_sigaction *ka)
{
	struct proc *p = current();

	syscall_restart(ka);
	p->restart_deadline_ns = 0;	/* a handler ran: nothing to restart_syscall */
	uint64_t oldmask = p->restore_sigmask ? p->saved_sigmask : p->blocked;
	if (setup_rt_frame(sig, ka, info, oldmask)) {
		force_sigsegv(sig);
		return;
	}
	uint64_t also = ka->mask | (ka->flags & SA_NODEFER ? 0 : sigmask(sig));
	spin_lock(&proc_lock);
	p->restore_sigmask = false;
	set_current_blocked_locked(p->blocked | also);
	spin_unlock(&proc_lock);
}

/* signal_deliver's work once there is some.  Not inlined: its frame (a
 * siginfo, a k_sigaction) would be set up and torn down on every return to
 * user mode, every page fault's included, for the usual "nothing to do". */
static __attribute__((noinline)) void deliver_pending(struct proc *p)
{
	struct siginfo info;
	struct k_sigaction ka;
	int sig;

	while ((sig = get_signal(&info, &ka)))
		handle_signal(sig, &info, &ka);
	syscall_restart(NULL);
	if (p->restore_sigmask) {
		spin_lock(&proc_lock);
		set_current_blocked_locked(p->saved_sigmask);
		p->restore_sigmask = false;
		spin_unlock(&proc_lock);
	}
}

void signal_deliver(void)
{
	struct proc *p = current();

	if (task_signal_pending(p) || p->in_syscall || p->restore_sigmask)
		deliver_pending(p);
}

/* ---- rt_sigreturn ---- */

/* The registers from SC into TF, sanitised (Linux restore_sigcontext). */
static void restore_sigcontext(struct trapframe *tf, const struct sigcontext *sc)
{
	tf->r8 = sc->r8, tf->r9 = sc->r9, tf->r10 = sc->r10, tf->r11 = sc->r11;
	tf->r12 = sc->r12, tf->r13 = sc->r13, tf->r14 = sc->r14, tf->r15 = sc->r15;
	tf->rdi = sc->rdi, tf->rsi = sc->rsi, tf->rbp = sc->rbp, tf->rbx = sc->rbx;
	tf->rdx = sc->rdx, tf->rax = sc->rax, tf->rcx = sc->rcx, tf->rsp = sc->rsp;
	tf->rip = sc->rip;	/* checked by syscall_dispatch: a user address or SIGSEGV */
	tf->rflags = RFLAGS_IF | RFLAGS_FIXED1 | (sc->eflags & FIX_EFLAGS);
	tf->cs = SEG_UCODE;
	tf->ss = SEG_UDATA;
}

/* The FPU state at FPSTATE (0: none saved, a clean FPU), with the MXCSR's
 * reserved bits cleared.  -EFAULT when unreadable. */
static int restore_fpu(uint64_t fpstate)
{
	struct fxregs fx;

	if (!fpstate) {
		fpu_load(&fpu_clean);
		return 0;
	}
	if (copy_from_user(&fx, fpstate, sizeof(fx)))
		return -EFAULT;
	fx.mxcsr &= mxcsr_mask();
	fpu_load(&fx);
	return 0;
}

/*
 * rt_sigreturn(2): back from a handler.  The frame is at rsp - 8 (the
 * handler's `ret` popped pretcode): every general register, rip, rsp and
 * the arithmetic flags, the signal mask (never blocking SIGKILL/SIGSTOP),
 * the altstack setting and the FPU come back.  Returns the restored rax, so
 * that syscall_dispatch leaves it in place; an unreadable frame is SIGSEGV.
 */
long sys_rt_sigreturn(void)
{
	struct proc *p = current();
	struct trapframe *tf = p->tf;
	struct rt_sigframe f;

	p->in_syscall = false;		/* rax is a register now, not a result */
	if (copy_from_user(&f, tf->rsp - 8, sizeof(f)) ||
	    restore_fpu(f.uc.uc_mcontext.fpstate)) {
		force_sig(SIGSEGV);
		return (long)tf->rax;
	}
	restore_sigcontext(tf, &f.uc.uc_mcontext);
	spin_lock(&proc_lock);
	set_current_blocked_locked(f.uc.uc_sigmask);
	altstack_set(p, &f.uc.uc_stack, tf->rsp);	/* errors ignored, as Linux */
	spin_unlock(&proc_lock);
	return (long)tf->rax;
}
