/*
 * test_forcesig - a fault's signal is forced, as on Linux (force_sig_fault):
 * a process that ignores SIGSEGV (SIGILL, SIGFPE, SIGTRAP) and then faults
 * dies of that signal instead of faulting forever.  Signals sent by kill(2)
 * stay ignored.
 *
 * Each case runs in a child; a child still running after DEADLINE_MS is a
 * failure (it would fault forever) and is killed.
 * Runs on Linux: yes
 */
#include "tap.h"

#include <sys/mman.h>

#define DEADLINE_MS 3000

/* Run FN in a child; its wait status, or -1 when it outlived the deadline. */
static int run_with_deadline(void (*fn)(void))
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		fn();
		_exit(0);
	}
	for (int ms = 0; ms < DEADLINE_MS; ms += 10) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return status;
		sleep_ms(10);
	}
	kill(pid, SIGKILL);
	tap_wait(pid);
	return -1;
}

static void expect(void (*fn)(void), int sig, const char *what)
{
	int status = run_with_deadline(fn);

	if (status == -1)
		tap_fail(what, "still running after %d ms", DEADLINE_MS);
	else if (WIFSIGNALED(status) && WTERMSIG(status) == sig)
		tap_pass(what);
	else
		tap_fail(what, "child %s, want killed by %s", tap_status_str(status),
			 strsignal(sig));
}

static void segv_null(void)
{
	signal(SIGSEGV, SIG_IGN);
	*(volatile int *)0 = 1;
}

static void segv_read_only(void)
{
	char *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		_exit(2);
	signal(SIGSEGV, SIG_IGN);
	*(volatile char *)p = 1;
}

static void ill_ud2(void)
{
	signal(SIGILL, SIG_IGN);
	__asm__ volatile("ud2");
}

static void fpe_divide(void)
{
	signal(SIGFPE, SIG_IGN);
	/* in assembly: the compiler turns 1 / x into compares, never a div */
	__asm__ volatile("mov $1, %%eax; xor %%edx, %%edx; xor %%ecx, %%ecx; div %%ecx"
			 : : : "eax", "ecx", "edx");
}

static void trap_int3(void)
{
	signal(SIGTRAP, SIG_IGN);
	__asm__ volatile("int3");
}

/* kill(2) is not a fault: an ignored SIGSEGV sent that way does nothing. */
static void segv_by_kill(void)
{
	signal(SIGSEGV, SIG_IGN);
	kill(getpid(), SIGSEGV);
	_exit(0);
}

int main(void)
{
	expect(segv_null, SIGSEGV, "SIGSEGV ignored, a write to address 0 dies of SIGSEGV");
	expect(segv_read_only, SIGSEGV,
	       "SIGSEGV ignored, a write to a read-only page dies of SIGSEGV");
	expect(ill_ud2, SIGILL, "SIGILL ignored, ud2 dies of SIGILL");
	expect(fpe_divide, SIGFPE, "SIGFPE ignored, a division by zero dies of SIGFPE");
	expect(trap_int3, SIGTRAP, "SIGTRAP ignored, int3 dies of SIGTRAP");
	tap_check_exits((void (*)(void *))segv_by_kill, NULL, 0,
			"SIGSEGV ignored, the same signal sent by kill(2) stays ignored");
	return tap_done();
}
