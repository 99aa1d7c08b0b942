/*
 * test_sigframe - forged signal frames and frames that cannot be written.
 * rt_sigreturn takes its registers from user memory, so a handler (or any
 * code) can hand it whatever it likes; the kernel must never return to
 * kernel mode, with IOPL raised, or to a non-canonical address, and must
 * survive an MXCSR with reserved bits.  A signal whose frame cannot be
 * written kills with SIGSEGV.  Each case runs in a forked child whose wait
 * status the parent checks; the parent's own survival shows the kernel's.
 *
 * Where Linux and this kernel may differ in how they refuse (Linux loads
 * CS and SS from the frame with RPL 3 and lets IRET fault: SIGSEGV; this
 * kernel forces the user selectors: the program goes on in user mode),
 * both outcomes pass, and "goes on" is checked to be in user mode.
 * Runs on Linux: yes
 */
#include "tap.h"

#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>

#define PAGE 4096
#define MODE_CS 1
#define MODE_SS 2
#define MODE_IOPL 3
#define MODE_RIP_NONCANON 4
#define MODE_RIP_KERNEL 5
#define MODE_MXCSR 6
#define MODE_FPSTATE 7

static int mode;
static void *unmapped;

static void forge(int sig, siginfo_t *info, void *ctx)
{
	ucontext_t *uc = ctx;
	greg_t *g = uc->uc_mcontext.gregs;

	(void)sig, (void)info;
	switch (mode) {
	case MODE_CS:
		g[REG_CSGSFS] = (g[REG_CSGSFS] & ~0xffffLL) | 0x8;
		break;
	case MODE_SS:
		g[REG_CSGSFS] = (g[REG_CSGSFS] & ~(0xffffLL << 48)) | (0x10LL << 48);
		break;
	case MODE_IOPL:
		g[REG_EFL] |= 0x3000;
		break;
	case MODE_RIP_NONCANON:
		g[REG_RIP] = (greg_t)0x8000000000000000ULL;
		break;
	case MODE_RIP_KERNEL:
		g[REG_RIP] = (greg_t)0xffffffff80100000ULL;
		break;
	case MODE_MXCSR:
		uc->uc_mcontext.fpregs->mxcsr |= 0xffff0000u;
		break;
	case MODE_FPSTATE:
		uc->uc_mcontext.fpregs = unmapped;
		break;
	}
}

static uint16_t read_cs(void)
{
	uint16_t cs;
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	return cs;
}

/* Run MODE's forgery through a SIGUSR1 handler, then report: exit 0 when
 * the program goes on in user mode with its own CS. */
static void forged(void *arg)
{
	struct sigaction sa = { .sa_sigaction = forge, .sa_flags = SA_SIGINFO };
	uint16_t cs = read_cs();

	mode = (int)(intptr_t)arg;
	unmapped = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(unmapped, PAGE);
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	if (mode == MODE_IOPL)
		__asm__ volatile("cli; sti");	/* must fault: IOPL stays 0 */
	if (mode == MODE_MXCSR) {
		uint32_t mxcsr;
		__asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
		_exit(mxcsr >> 16 ? 8 : 0);
	}
	_exit(read_cs() == cs && (cs & 3) == 3 ? 0 : 9);
}

static void expect_segv(int m, const char *what)
{
	tap_check_killed(forged, (void *)(intptr_t)m, SIGSEGV, what);
}

/* Exit 0, or SIGSEGV: the two ways of refusing a forged selector or MXCSR. */
static void expect_refused(int m, const char *what)
{
	int status = tap_run_child(forged, (void *)(intptr_t)m);

	if ((WIFEXITED(status) && WEXITSTATUS(status) == 0) ||
	    (WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV))
		tap_pass(what);
	else
		tap_fail(what, "child %s", tap_status_str(status));
}

/* rt_sigreturn with the stack pointer at SP: no frame there. */
static void sigreturn_at(void *sp)
{
	__asm__ volatile("mov %0, %%rsp; mov $15, %%eax; syscall" : : "r"(sp) : "rax", "memory");
	_exit(7);
}

static void frame_unmapped(void *arg)
{
	(void)arg;
	char *p = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(p, PAGE);
	sigreturn_at(p + PAGE / 2);
}

static void on_usr1(int sig)
{
	(void)sig;
	_exit(6);	/* must not run: its frame could not be written */
}

/* A signal arrives while rsp points into a read-only page. */
static void unwritable_stack(void *arg)
{
	(void)arg;
	char *p = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	signal(SIGUSR1, on_usr1);
	long pid = getpid();
	__asm__ volatile("mov %0, %%rsp; mov %1, %%rdi; mov $10, %%esi; mov $62, %%eax; syscall"
			 : : "r"(p + PAGE - 256), "r"(pid) : "rax", "rdi", "rsi", "memory");
	_exit(7);
}

static void bad_handler(void *arg)
{
	struct sigaction sa = { .sa_handler = (void (*)(int))arg };
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	_exit(7);
}

int main(void)
{
	for (int round = 0; round < 3; round++) {
		expect_refused(MODE_CS, "a frame with CS = 0x8 (kernel code) does not reach ring 0");
		expect_refused(MODE_SS, "a frame with SS = 0x10 does not reach the kernel");
		expect_segv(MODE_IOPL, "a frame with IOPL 3: cli still faults (SIGSEGV)");
		expect_segv(MODE_RIP_NONCANON, "a frame with RIP 0x8000000000000000: SIGSEGV");
		expect_segv(MODE_RIP_KERNEL, "a frame with a kernel RIP: SIGSEGV");
		expect_refused(MODE_MXCSR, "a frame with reserved MXCSR bits: sanitised or SIGSEGV");
		expect_segv(MODE_FPSTATE, "a frame whose FPU state is unmapped: SIGSEGV");
		tap_check_killed(frame_unmapped, NULL, SIGSEGV,
				 "rt_sigreturn with the frame in unmapped memory: SIGSEGV");
		tap_check_killed(unwritable_stack, NULL, SIGSEGV,
				 "a handler whose frame cannot be written: SIGSEGV");
		tap_check_killed(bad_handler, (void *)0x8000000000000000ULL, SIGSEGV,
				 "a non-canonical handler address: SIGSEGV");
	}
	pid_t child = fork();
	if (child == 0)
		_exit(0);
	int status = tap_wait(child);
	tap_check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the kernel still forks and reaps",
		  "%s", tap_status_str(status));
	return tap_done();
}
