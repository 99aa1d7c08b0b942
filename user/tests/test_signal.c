/*
 * test_signal - signal handlers as Linux runs them: delivery, SA_SIGINFO's
 * siginfo for a fault and for kill/tgkill/sigqueue, masks, pending sets,
 * sigsuspend, sigtimedwait, SA_RESTART against EINTR on a pipe read,
 * SA_NODEFER, SA_RESETHAND, every register and the FPU state kept across a
 * handler, sigaltstack with a stack overflow, setitimer/alarm, SIGCHLD's
 * siginfo, and what exec keeps and resets.  Passes on Linux as well.
 *
 * Each group of checks runs as a tap_case in its own child, so one that
 * crashes or hangs costs one failure and leaves the dispositions of the
 * others alone.
 * Runs on Linux: yes
 */
#include "tap.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <ucontext.h>

#define PAGE 4096

/* What handlers wrote: the compiler must read it afresh after a fault. */
#define BARRIER() __asm__ volatile("" ::: "memory")

static volatile sig_atomic_t hits, last_sig, depth, max_depth;
static siginfo_t last_info;
static void *last_ctx;

static void on_signal(int sig)
{
	hits++;
	last_sig = sig;
}

static void on_info(int sig, siginfo_t *info, void *ctx)
{
	hits++;
	last_sig = sig;
	last_info = *info;
	last_ctx = ctx;
}

/* Install HANDLER (SA_SIGINFO when INFO) for SIG with FLAGS. */
static int handle(int sig, void *handler, bool info, int flags)
{
	struct sigaction sa = { 0 };

	if (info)
		sa.sa_sigaction = handler;
	else
		sa.sa_handler = handler;
	sa.sa_flags = flags | (info ? SA_SIGINFO : 0);
	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, NULL);
}

static void reset_hits(void)
{
	hits = last_sig = depth = max_depth = 0;
	memset(&last_info, 0, sizeof(last_info));
}

/* ---- a handler runs ---- */

static void case_basic(void *arg)
{
	(void)arg;
	reset_hits();
	tap_check(handle(SIGUSR1, on_signal, false, 0) == 0, "sigaction installs a handler",
		  "%s", strerror(errno));
	kill(getpid(), SIGUSR1);
	tap_check(hits == 1 && last_sig == SIGUSR1, "kill(getpid(), SIGUSR1) runs the handler once",
		  "hits %d sig %d", (int)hits, (int)last_sig);
	struct sigaction old;
	sigaction(SIGUSR1, NULL, &old);
	tap_check(old.sa_handler == on_signal, "sigaction reads the handler back", "got %p",
		  (void *)old.sa_handler);
	CHECK_ERRNO(sigaction(SIGKILL, &old, NULL), EINVAL,
			"a handler for SIGKILL is EINVAL");
	CHECK_ERRNO(sigaction(SIGSTOP, &old, NULL), EINVAL,
			"a handler for SIGSTOP is EINVAL");
	CHECK_ERRNO(syscall(SYS_rt_sigaction, SIGUSR1, NULL, NULL, 4), EINVAL,
			"rt_sigaction with sigsetsize 4 is EINVAL");
}

/* ---- SA_SIGINFO for faults ---- */

static char *fault_page;

static void fix_protection(int sig, siginfo_t *info, void *ctx)
{
	on_info(sig, info, ctx);
	mprotect(fault_page, PAGE, PROT_READ | PROT_WRITE);
}

static void map_back(int sig, siginfo_t *info, void *ctx)
{
	on_info(sig, info, ctx);
	mmap(fault_page, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
	     -1, 0);
}

static void case_fault_info(void *arg)
{
	(void)arg;
	fault_page = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	reset_hits();
	handle(SIGSEGV, fix_protection, true, 0);
	fault_page[123] = 7;	/* faults once; the handler makes it writable */
	BARRIER();
	tap_check(hits == 1 && last_info.si_signo == SIGSEGV,
		  "a write to a read-only page runs the SIGSEGV handler", "hits %d signo %d",
		  (int)hits, last_info.si_signo);
	tap_check(last_info.si_code == SEGV_ACCERR, "its si_code is SEGV_ACCERR", "si_code %d",
		  last_info.si_code);
	tap_check(last_info.si_addr == fault_page + 123, "its si_addr is the address written",
		  "si_addr %p, want %p", last_info.si_addr, (void *)(fault_page + 123));
	tap_check(fault_page[123] == 7, "the write is done once the handler returns", "got %d",
		  fault_page[123]);
	ucontext_t *uc = last_ctx;
	tap_check(uc && (void *)uc->uc_mcontext.gregs[REG_CR2] == fault_page + 123,
		  "uc_mcontext's cr2 is the address", "cr2 %llx",
		  uc ? (unsigned long long)uc->uc_mcontext.gregs[REG_CR2] : 0);

	munmap(fault_page, PAGE);
	reset_hits();
	handle(SIGSEGV, map_back, true, 0);
	fault_page[5] = 1;
	BARRIER();
	tap_check(hits == 1 && last_info.si_code == SEGV_MAPERR && last_info.si_addr == fault_page + 5,
		  "a write to an unmapped page: SEGV_MAPERR with its address",
		  "hits %d code %d addr %p", (int)hits, last_info.si_code, last_info.si_addr);
}

/* ---- si_pid, si_code for kill, tgkill, sigqueue ---- */

static void case_sender_info(void *arg)
{
	(void)arg;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	reset_hits();
	handle(SIGUSR1, on_info, true, 0);
	pid_t parent = getpid(), child = fork();
	if (child == 0) {
		kill(parent, SIGUSR1);
		_exit(0);
	}
	tap_wait(child);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	tap_check(hits == 1 && last_info.si_pid == child && last_info.si_code == SI_USER,
		  "kill from a child: si_pid is the child, si_code SI_USER",
		  "hits %d si_pid %d (child %d) si_code %d", (int)hits, last_info.si_pid, child,
		  last_info.si_code);
	reset_hits();
	syscall(SYS_tgkill, getpid(), gettid(), SIGUSR1);
	tap_check(hits == 1 && last_info.si_code == SI_TKILL && last_info.si_pid == getpid(),
		  "tgkill: si_code SI_TKILL, si_pid the sender", "hits %d si_code %d si_pid %d",
		  (int)hits, last_info.si_code, last_info.si_pid);
	reset_hits();
	sigqueue(getpid(), SIGUSR1, (union sigval){ .sival_int = 4242 });
	tap_check(hits == 1 && last_info.si_code == SI_QUEUE && last_info.si_value.sival_int == 4242,
		  "sigqueue: si_code SI_QUEUE and the value", "hits %d si_code %d value %d",
		  (int)hits, last_info.si_code, last_info.si_value.sival_int);
	siginfo_t forged = { .si_signo = SIGUSR1, .si_code = SI_USER };
	CHECK_ERRNO(syscall(SYS_rt_sigqueueinfo, getppid(), SIGUSR1, &forged), EPERM,
			"rt_sigqueueinfo with si_code >= 0 to another process is EPERM");
}

/* ---- a process-wide signal goes to a thread that does not block it ---- */

static volatile pid_t handler_tid;

static void note_tid(int sig)
{
	(void)sig;
	handler_tid = gettid();
}

static void *unblocked_waiter(void *arg)
{
	sigset_t none;

	sigemptyset(&none);
	pthread_sigmask(SIG_SETMASK, &none, NULL);
	*(volatile pid_t *)arg = gettid();
	while (!handler_tid)
		pause();
	return NULL;
}

static void case_thread_target(void *arg)
{
	sigset_t set;
	pthread_t t;
	volatile pid_t tid = 0;

	(void)arg;
	handle(SIGUSR1, note_tid, false, 0);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	pthread_create(&t, NULL, unblocked_waiter, (void *)&tid);
	while (!tid)
		sched_yield();
	while (!handler_tid) {	/* again if it came just before the waiter's pause */
		kill(getpid(), SIGUSR1);
		sleep_ms(5);
	}
	pthread_join(t, NULL);
	tap_check(handler_tid == tid, "kill to a process whose main thread blocks the signal: "
		  "the thread that does not takes it", "handled by %d, want %d", (int)handler_tid,
		  (int)tid);
}

/* ---- masks, pending, sigsuspend ---- */

static void case_masks(void *arg)
{
	(void)arg;
	sigset_t set, old, pending;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	reset_hits();
	handle(SIGUSR1, on_signal, false, 0);
	sigprocmask(SIG_BLOCK, &set, &old);
	kill(getpid(), SIGUSR1);
	kill(getpid(), SIGUSR1);
	tap_check(hits == 0, "a blocked signal is not delivered", "hits %d", (int)hits);
	sigpending(&pending);
	tap_check(sigismember(&pending, SIGUSR1) == 1, "sigpending shows it", "not there");
	sigset_t empty;
	sigemptyset(&empty);
	int r = sigsuspend(&empty);
	tap_check(r == -1 && errno == EINTR && hits == 1,
		  "sigsuspend with an empty mask runs the handler (twice sent, once queued), EINTR",
		  "r %d errno %d hits %d", r, errno, (int)hits);
	sigset_t now;
	sigprocmask(SIG_SETMASK, NULL, &now);
	tap_check(sigismember(&now, SIGUSR1) == 1, "the mask comes back after sigsuspend",
		  "SIGUSR1 not blocked");
	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	sigprocmask(SIG_SETMASK, NULL, &now);
	tap_check(!sigismember(&now, SIGKILL) && !sigismember(&now, SIGSTOP),
		  "SIGKILL and SIGSTOP cannot be blocked", "they are in the mask");
	CHECK_ERRNO(syscall(SYS_rt_sigprocmask, 7, &set, NULL, 8), EINVAL,
			"sigprocmask with a bad how is EINVAL");
	sigprocmask(SIG_SETMASK, &old, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	kill(getpid(), SIGUSR2);
	signal(SIGUSR2, SIG_IGN);
	sigpending(&pending);
	tap_check(!sigismember(&pending, SIGUSR2), "SIG_IGN discards a pending blocked signal",
		  "still pending");
}

/* ---- sigtimedwait ---- */

static void case_timedwait(void *arg)
{
	(void)arg;
	sigset_t set;
	siginfo_t info;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	double t0 = now_s();
	int r = sigtimedwait(&set, &info, &ts);
	double dt = now_s() - t0;
	tap_check(r == -1 && errno == EAGAIN && dt >= 0.04, "sigtimedwait times out with EAGAIN",
		  "r %d errno %d after %.3f s", r, errno, dt);
	struct timespec zero = { 0, 0 };
	CHECK_ERRNO(sigtimedwait(&set, &info, &zero), EAGAIN,
			"sigtimedwait with a zero timeout polls: EAGAIN");
	pid_t parent = getpid(), child = fork();
	if (child == 0) {
		sleep_ms(30);
		kill(parent, SIGUSR2);
		_exit(0);
	}
	r = sigwaitinfo(&set, &info);
	tap_check(r == SIGUSR2 && info.si_pid == child && info.si_code == SI_USER,
		  "sigwaitinfo (no timeout) takes a signal sent later, with its siginfo",
		  "r %d si_pid %d (child %d)", r, info.si_pid, child);
	tap_wait(child);
	kill(getpid(), SIGUSR2);
	ts.tv_sec = 5;
	r = sigtimedwait(&set, &info, &ts);
	tap_check(r == SIGUSR2 && info.si_signo == SIGUSR2, "sigtimedwait takes a pending one at once",
		  "r %d", r);
}

/* ---- SA_RESTART against EINTR ---- */

/* Read one byte from a pipe that a child fills 150 ms after signalling us
 * at 50 ms; returns read's result. */
static int interrupted_read(int *err)
{
	int fd[2];
	char c;
	if (pipe(fd))
		return -2;
	pid_t parent = getpid(), child = fork();
	if (child == 0) {
		sleep_ms(50);
		kill(parent, SIGUSR1);
		sleep_ms(150);
		(void)!write(fd[1], "x", 1);
		_exit(0);
	}
	int r = (int)read(fd[0], &c, 1);
	*err = errno;
	tap_wait(child);
	close(fd[0]);
	close(fd[1]);
	return r;
}

static void case_restart(void *arg)
{
	int err;
	(void)arg;
	reset_hits();
	handle(SIGUSR1, on_signal, false, SA_RESTART);
	int r = interrupted_read(&err);
	tap_check(r == 1 && hits == 1, "SA_RESTART: the pipe read goes on after the handler",
		  "read %d errno %d hits %d", r, err, (int)hits);
	reset_hits();
	handle(SIGUSR1, on_signal, false, 0);
	r = interrupted_read(&err);
	tap_check(r == -1 && err == EINTR && hits == 1, "without SA_RESTART the read fails with EINTR",
		  "read %d errno %d hits %d", r, err, (int)hits);
	reset_hits();
	signal(SIGUSR1, SIG_IGN);
	r = interrupted_read(&err);
	tap_check(r == 1, "an ignored signal does not interrupt the read", "read %d errno %d", r,
		  err);
	reset_hits();
	handle(SIGUSR1, on_signal, false, 0);
	pid_t parent = getpid(), child = fork();
	if (child == 0) {
		sleep_ms(50);
		kill(parent, SIGUSR1);
		_exit(0);
	}
	struct timespec req = { 2, 0 }, rem = { 0, 0 };
	r = nanosleep(&req, &rem);
	err = errno;
	tap_wait(child);
	tap_check(r == -1 && err == EINTR && rem.tv_sec <= 2 && (rem.tv_sec > 0 || rem.tv_nsec > 0),
		  "nanosleep: EINTR and the time left after a handler",
		  "r %d errno %d rem %ld.%09ld", r, err, (long)rem.tv_sec, rem.tv_nsec);
}

/* ---- SA_NODEFER, SA_RESETHAND ---- */

static void nested(int sig)
{
	hits++;
	if (++depth > max_depth)
		max_depth = depth;
	if (hits == 1)
		raise(sig);
	depth--;
}

static void case_nodefer(void *arg)
{
	(void)arg;
	reset_hits();
	handle(SIGUSR1, nested, false, 0);
	raise(SIGUSR1);
	tap_check(hits == 2 && max_depth == 1,
		  "without SA_NODEFER a raise in the handler waits until it returns",
		  "hits %d depth %d", (int)hits, (int)max_depth);
	reset_hits();
	handle(SIGUSR1, nested, false, SA_NODEFER);
	raise(SIGUSR1);
	tap_check(hits == 2 && max_depth == 2, "with SA_NODEFER the handler nests",
		  "hits %d depth %d", (int)hits, (int)max_depth);
	reset_hits();
	handle(SIGUSR2, on_signal, false, SA_RESETHAND);
	raise(SIGUSR2);
	struct sigaction now;
	sigaction(SIGUSR2, NULL, &now);
	tap_check(hits == 1 && now.sa_handler == SIG_DFL, "SA_RESETHAND: once, then SIG_DFL",
		  "hits %d handler %p", (int)hits, (void *)now.sa_handler);
}

static void resethand_twice(void *arg)
{
	(void)arg;
	handle(SIGUSR2, on_signal, false, SA_RESETHAND);
	raise(SIGUSR2);
	raise(SIGUSR2);
}

/* ---- registers and FPU kept across a handler ---- */

/* Read and written by run_with_trap's assembly, by name. */
#define ASM_DATA __attribute__((used, aligned(16)))
static uint64_t regs_in[16] ASM_DATA, regs_out[16] ASM_DATA;
static uint8_t fx_out[512] ASM_DATA;
static uint64_t xmm_in[32] ASM_DATA;
static uint8_t cf_out ASM_DATA;
static uint16_t handler_fcw;
static uint32_t handler_mxcsr;

/* Clobbers everything the handler may: all general registers, xmm0-15,
 * the x87 control word and MXCSR; and reads what the FPU was on entry. */
static void clobber(int sig)
{
	uint16_t fcw = 0x7f;
	uint32_t mxcsr = 0x1f80 | 0x6000;

	(void)sig;
	__asm__ volatile("fnstcw %0; stmxcsr %1" : "=m"(handler_fcw), "=m"(handler_mxcsr));
	__asm__ volatile("pxor %%xmm0, %%xmm0; pcmpeqb %%xmm1, %%xmm1; movdqa %%xmm1, %%xmm2;"
			 "movdqa %%xmm1, %%xmm3; movdqa %%xmm1, %%xmm4; movdqa %%xmm1, %%xmm5;"
			 "movdqa %%xmm1, %%xmm6; movdqa %%xmm1, %%xmm7; movdqa %%xmm1, %%xmm8;"
			 "movdqa %%xmm1, %%xmm9; movdqa %%xmm1, %%xmm10; movdqa %%xmm1, %%xmm11;"
			 "movdqa %%xmm1, %%xmm12; movdqa %%xmm1, %%xmm13; movdqa %%xmm1, %%xmm14;"
			 "movdqa %%xmm1, %%xmm15; fldcw %0; ldmxcsr %1"
			 : : "m"(fcw), "m"(mxcsr)
			 : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
			   "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
	__asm__ volatile("mov $-1, %%rax; mov %%rax, %%rbx; mov %%rax, %%rcx; mov %%rax, %%rdx;"
			 "mov %%rax, %%rsi; mov %%rax, %%rdi; mov %%rax, %%r8; mov %%rax, %%r9;"
			 "mov %%rax, %%r10; mov %%rax, %%r11; mov %%rax, %%r12; mov %%rax, %%r13;"
			 "mov %%rax, %%r14; mov %%rax, %%r15; std; cld"
			 : : : "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11",
			   "r12", "r13", "r14", "r15", "cc");
}

/* Load every register from regs_in/xmm_in, set a non-default x87 control
 * word, MXCSR and the carry flag, take a SIGTRAP (int3), and store them all
 * back: regs_out (rsp in slot 6) and fx_out. */
static void run_with_trap(void)
{
	__asm__ volatile(
		"push %%rbp; push %%rbx; push %%r12; push %%r13; push %%r14; push %%r15\n"
		"sub $8, %%rsp; movw $0x27f, (%%rsp); fldcw (%%rsp)\n"
		"movl $0x9f80, (%%rsp); ldmxcsr (%%rsp); add $8, %%rsp\n"
		"lea xmm_in(%%rip), %%rax\n"
		"movdqa 0(%%rax), %%xmm0; movdqa 16(%%rax), %%xmm1; movdqa 32(%%rax), %%xmm2\n"
		"movdqa 48(%%rax), %%xmm3; movdqa 64(%%rax), %%xmm4; movdqa 80(%%rax), %%xmm5\n"
		"movdqa 96(%%rax), %%xmm6; movdqa 112(%%rax), %%xmm7; movdqa 128(%%rax), %%xmm8\n"
		"movdqa 144(%%rax), %%xmm9; movdqa 160(%%rax), %%xmm10; movdqa 176(%%rax), %%xmm11\n"
		"movdqa 192(%%rax), %%xmm12; movdqa 208(%%rax), %%xmm13; movdqa 224(%%rax), %%xmm14\n"
		"movdqa 240(%%rax), %%xmm15\n"
		"mov %%rsp, regs_in+48(%%rip)\n"
		"lea regs_in(%%rip), %%rax\n"
		"mov 8(%%rax), %%rbx; mov 16(%%rax), %%rcx; mov 24(%%rax), %%rdx\n"
		"mov 32(%%rax), %%rsi; mov 40(%%rax), %%rdi; mov 56(%%rax), %%rbp\n"
		"mov 64(%%rax), %%r8; mov 72(%%rax), %%r9; mov 80(%%rax), %%r10\n"
		"mov 88(%%rax), %%r11; mov 96(%%rax), %%r12; mov 104(%%rax), %%r13\n"
		"mov 112(%%rax), %%r14; mov 120(%%rax), %%r15; mov 0(%%rax), %%rax\n"
		"stc\n"
		"int3\n"
		"setc cf_out(%%rip)\n"
		"mov %%rax, regs_out+0(%%rip); mov %%rbx, regs_out+8(%%rip)\n"
		"mov %%rcx, regs_out+16(%%rip); mov %%rdx, regs_out+24(%%rip)\n"
		"mov %%rsi, regs_out+32(%%rip); mov %%rdi, regs_out+40(%%rip)\n"
		"mov %%rsp, regs_out+48(%%rip); mov %%rbp, regs_out+56(%%rip)\n"
		"mov %%r8, regs_out+64(%%rip); mov %%r9, regs_out+72(%%rip)\n"
		"mov %%r10, regs_out+80(%%rip); mov %%r11, regs_out+88(%%rip)\n"
		"mov %%r12, regs_out+96(%%rip); mov %%r13, regs_out+104(%%rip)\n"
		"mov %%r14, regs_out+112(%%rip); mov %%r15, regs_out+120(%%rip)\n"
		"fxsave fx_out(%%rip)\n"
		"sub $8, %%rsp; movw $0x37f, (%%rsp); fldcw (%%rsp)\n"
		"movl $0x1f80, (%%rsp); ldmxcsr (%%rsp); add $8, %%rsp\n"
		"pop %%r15; pop %%r14; pop %%r13; pop %%r12; pop %%rbx; pop %%rbp\n"
		: : : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory", "cc",
		  "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
		  "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
}

static void case_registers(void *arg)
{
	(void)arg;
	for (int i = 0; i < 16; i++)
		regs_in[i] = 0x1111111111111111ULL * (uint64_t)(i + 1) ^ 0x0123456789abcdefULL;
	for (int i = 0; i < 32; i++)
		xmm_in[i] = 0xa5a5a5a5a5a5a5a5ULL + (uint64_t)i * 0x0101010101010101ULL;
	reset_hits();
	handle(SIGTRAP, clobber, false, 0);
	run_with_trap();
	int bad = -1;
	for (int i = 0; i < 16 && bad < 0; i++)
		if (regs_out[i] != regs_in[i])
			bad = i;
	tap_check(bad < 0, "every general register and rsp are kept across a handler",
		  "slot %d: %llx, want %llx", bad, bad < 0 ? 0ULL : (unsigned long long)regs_out[bad],
		  bad < 0 ? 0ULL : (unsigned long long)regs_in[bad]);
	tap_check(cf_out == 1, "the carry flag is kept", "CF %d", cf_out);
	tap_check(memcmp(fx_out + 160, xmm_in, 256) == 0, "xmm0-15 are kept", "they differ");
	uint16_t fcw;
	uint32_t mxcsr;
	memcpy(&fcw, fx_out, 2);
	memcpy(&mxcsr, fx_out + 24, 4);
	tap_check(fcw == 0x27f && mxcsr == 0x9f80, "the x87 control word and MXCSR are kept",
		  "fcw %x mxcsr %x", fcw, mxcsr);
	tap_check(handler_fcw == 0x37f && handler_mxcsr == 0x1f80,
		  "the handler starts with a clean FPU", "fcw %x mxcsr %x", handler_fcw,
		  handler_mxcsr);
}

/* A floating-point and integer loop that signals keep interrupting: its
 * result is only right if every handler return restores everything. */
static void storm_target(void *arg)
{
	int fd = (int)(intptr_t)arg;
	double x = 0;
	uint64_t h = 1469598103934665603ULL;

	handle(SIGUSR1, clobber, false, SA_RESTART);
	(void)!write(fd, "r", 1);
	for (long i = 1; i <= 3000000; i++) {
		x += 1.0 / (double)i;
		h = (h ^ (uint64_t)i) * 1099511628211ULL;
	}
	double want = 0;
	uint64_t want_h = 1469598103934665603ULL;
	signal(SIGUSR1, SIG_IGN);
	for (long i = 1; i <= 3000000; i++) {
		want += 1.0 / (double)i;
		want_h = (want_h ^ (uint64_t)i) * 1099511628211ULL;
	}
	_exit(x == want && h == want_h ? 0 : 1);
}

static void case_storm(void *arg)
{
	int fd[2], status, sent = 0;
	char c;

	(void)arg;
	if (pipe(fd))
		return;
	pid_t pid = fork();
	if (pid == 0)
		storm_target((void *)(intptr_t)fd[1]);
	(void)!read(fd[0], &c, 1);
	while (waitpid(pid, &status, WNOHANG) == 0) {
		kill(pid, SIGUSR1);
		sent++;
	}
	tap_check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "a computation interrupted by a storm of handled signals gets the right result",
		  "%s after %d signals", tap_status_str(status), sent);
}

/* ---- sigaltstack and a stack overflow ---- */

static char *alt_base;
static size_t alt_size = 64 * 1024;

static void on_overflow(int sig)
{
	char here;
	stack_t now;

	(void)sig;
	sigaltstack(NULL, &now);
	bool on_alt = &here > alt_base && &here < alt_base + alt_size;
	stack_t other = { .ss_sp = alt_base, .ss_size = alt_size };
	int r = sigaltstack(&other, NULL);
	_exit(on_alt && (now.ss_flags & SS_ONSTACK) && r == -1 && errno == EPERM ? 42 : 3);
}

/* Deeper and deeper until the stack runs out (LIMIT is never reached: it
 * only tells the compiler the recursion ends). */
static int recurse(int n, int limit)
{
	volatile char pad[512];
	pad[0] = (char)n;
	if (n == limit)
		return 0;
	return recurse(n + 1, limit) + pad[0];
}

static void overflow(void *arg)
{
	(void)arg;
	alt_base = malloc(alt_size);
	stack_t ss = { .ss_sp = alt_base, .ss_size = alt_size };
	if (sigaltstack(&ss, NULL))
		_exit(4);
	handle(SIGSEGV, on_overflow, false, SA_ONSTACK);
	recurse(0, -1);
}

static stack_t in_handler;

static void note_altstack(int sig)
{
	(void)sig;
	sigaltstack(NULL, &in_handler);
}

/* SS_AUTODISARM: off while the handler runs on it, back after. */
static void check_autodisarm(void)
{
	stack_t ss = { .ss_sp = malloc(16384), .ss_size = 16384, .ss_flags = SS_AUTODISARM }, after;

	sigaltstack(&ss, NULL);
	handle(SIGUSR2, note_altstack, false, SA_ONSTACK);
	raise(SIGUSR2);
	sigaltstack(NULL, &after);
	tap_check(in_handler.ss_flags == SS_DISABLE && (unsigned)after.ss_flags == SS_AUTODISARM &&
		  after.ss_sp == ss.ss_sp, "SS_AUTODISARM: disabled in the handler, back after it",
		  "in handler 0x%x, after 0x%x", in_handler.ss_flags, after.ss_flags);
	ss.ss_flags = SS_DISABLE;
	sigaltstack(&ss, NULL);
}

static void case_altstack(void *arg)
{
	(void)arg;
	stack_t ss = { .ss_sp = malloc(8192), .ss_size = 1024 }, old;
	CHECK_ERRNO(sigaltstack(&ss, NULL), ENOMEM, "sigaltstack below MINSIGSTKSZ is ENOMEM");
	ss.ss_size = 8192;
	ss.ss_flags = 77;
	CHECK_ERRNO(sigaltstack(&ss, NULL), EINVAL, "sigaltstack with bad flags is EINVAL");
	ss.ss_flags = 0;
	tap_check(sigaltstack(&ss, NULL) == 0 && sigaltstack(NULL, &old) == 0 &&
		  old.ss_sp == ss.ss_sp && old.ss_size == 8192 && old.ss_flags == 0,
		  "sigaltstack sets and reads back", "flags %d size %zu", old.ss_flags, old.ss_size);
	ss.ss_flags = SS_DISABLE;
	sigaltstack(&ss, NULL);
	sigaltstack(NULL, &old);
	tap_check(old.ss_flags == SS_DISABLE, "SS_DISABLE turns it off", "flags %d", old.ss_flags);
	check_autodisarm();
	tap_check_exits(overflow, NULL, 42,
			"a stack overflow's SIGSEGV runs on the altstack (SS_ONSTACK, EPERM to change)");
}

/* ---- timers ---- */

static void case_alarm(void *arg)
{
	(void)arg;
	reset_hits();
	handle(SIGALRM, on_signal, false, 0);
	struct itimerval it = { { 0, 0 }, { 0, 50000 } }, cur;
	setitimer(ITIMER_REAL, &it, NULL);
	getitimer(ITIMER_REAL, &cur);
	tap_check(cur.it_value.tv_sec == 0 && cur.it_value.tv_usec > 0 && cur.it_value.tv_usec <= 50000,
		  "getitimer shows the time left", "%ld.%06ld", (long)cur.it_value.tv_sec,
		  (long)cur.it_value.tv_usec);
	int r = pause();
	tap_check(r == -1 && errno == EINTR && hits == 1 && last_sig == SIGALRM,
		  "setitimer's SIGALRM ends pause() with EINTR", "r %d errno %d hits %d", r, errno,
		  (int)hits);
	it.it_interval.tv_usec = 20000;
	it.it_value.tv_usec = 20000;
	reset_hits();
	setitimer(ITIMER_REAL, &it, NULL);
	while (hits < 3)
		pause();
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	tap_check(hits >= 3, "an interval timer fires again and again", "hits %d", (int)hits);
	alarm(5);
	unsigned left = alarm(0);
	tap_check(left == 5, "alarm(0) cancels and returns the seconds left", "got %u", left);
	CHECK_ERRNO(setitimer(ITIMER_VIRTUAL + 7, &it, NULL), EINVAL,
			"setitimer with a bad timer is EINVAL");
}

/* ---- SIGCHLD ---- */

static void case_sigchld(void *arg)
{
	(void)arg;
	sigset_t set;
	siginfo_t info;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	pid_t child = fork();
	if (child == 0)
		_exit(7);
	int r = sigwaitinfo(&set, &info);
	tap_check(r == SIGCHLD && info.si_code == CLD_EXITED && info.si_pid == child &&
		  info.si_status == 7, "SIGCHLD for an exit: CLD_EXITED, si_pid, si_status 7",
		  "r %d code %d pid %d status %d", r, info.si_code, info.si_pid, info.si_status);
	tap_wait(child);
	child = fork();
	if (child == 0)
		for (;;)
			pause();
	kill(child, SIGKILL);
	r = sigwaitinfo(&set, &info);
	tap_check(r == SIGCHLD && info.si_code == CLD_KILLED && info.si_pid == child &&
		  info.si_status == SIGKILL, "SIGCHLD for a kill: CLD_KILLED, si_status SIGKILL",
		  "r %d code %d pid %d status %d", r, info.si_code, info.si_pid, info.si_status);
	tap_wait(child);
	reset_hits();
	handle(SIGCHLD, on_signal, false, 0);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	child = fork();
	if (child == 0)
		_exit(0);
	int status;
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	tap_check(hits == 1, "a SIGCHLD handler runs for the child's exit", "hits %d", (int)hits);
}

/* ---- exec ---- */

static const char *self;

static void exec_self(void *arg)
{
	(void)arg;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	handle(SIGUSR1, on_signal, false, 0);
	signal(SIGTERM, SIG_IGN);
	raise(SIGUSR2);
	execl(self, self, "--after-exec", NULL);
	_exit(5);
}

/* In the exec'd image: exit 0 when exec kept what it should. */
static int after_exec(void)
{
	struct sigaction usr1, term;
	sigset_t mask, pending;

	sigaction(SIGUSR1, NULL, &usr1);
	sigaction(SIGTERM, NULL, &term);
	sigprocmask(SIG_SETMASK, NULL, &mask);
	sigpending(&pending);
	if (usr1.sa_handler != SIG_DFL)
		return 1;
	if (term.sa_handler != SIG_IGN)
		return 2;
	if (!sigismember(&mask, SIGUSR2) || !sigismember(&pending, SIGUSR2))
		return 3;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--after-exec"))
		return after_exec();
	self = strchr(argv[0], '/') ? argv[0] : strdup(tap_bin(argv[0]));
	tap_case("handlers", case_basic, NULL, 20);
	tap_case("SA_SIGINFO for faults", case_fault_info, NULL, 20);
	tap_case("siginfo of senders", case_sender_info, NULL, 20);
	tap_case("masks, pending, sigsuspend", case_masks, NULL, 20);
	tap_case("a thread takes a process signal", case_thread_target, NULL, 20);
	tap_case("sigtimedwait", case_timedwait, NULL, 20);
	tap_case("SA_RESTART and EINTR", case_restart, NULL, 30);
	tap_case("SA_NODEFER, SA_RESETHAND", case_nodefer, NULL, 20);
	tap_check_killed(resethand_twice, NULL, SIGUSR2,
			 "SA_RESETHAND: the second signal takes the default action");
	tap_case("registers across a handler", case_registers, NULL, 20);
	tap_case("signal storm", case_storm, NULL, 60);
	tap_case("sigaltstack", case_altstack, NULL, 30);
	tap_case("alarm and setitimer", case_alarm, NULL, 30);
	tap_case("SIGCHLD", case_sigchld, NULL, 20);
	tap_check_exits(exec_self, NULL, 0,
			"exec resets handlers to SIG_DFL, keeps SIG_IGN, the mask and pending signals");
	return tap_done();
}
