/*
 * test_proc - the process life cycle: fork, exit statuses, exit_group,
 * deaths by signal (sent with kill or caused by a fault), wait4 with and
 * without WNOHANG, ECHILD, getpid/getppid, reparenting of orphans, and
 * forking until the kernel says no, after which (on our kernel, which
 * accounts memory exactly) every free page must have come back.
 *
 * Environment: FORK_LIMIT caps the fork-until-failure test (default 200 on
 * Linux, 1000 elsewhere).
 * Runs on Linux: yes
 */
#include "tap.h"

#include <sys/syscall.h>
#include <fcntl.h>
#include <time.h>

#define MAX_FORKS 4096

/* ---- small helpers ---------------------------------------------------- */

static void exit_with(void *code)
{
	_exit((int)(long)code);
}

/* ---- fork and exit statuses ------------------------------------------- */

static void test_fork_ids(void)
{
	pid_t parent = getpid();
	pid_t ids[3] = { 0, 0, 0 };
	int p[2];

	if (pipe(p) < 0) {
		tap_fail("fork and ids", "pipe: %s", strerror(errno));
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		pid_t mine[3] = { getpid(), getppid(), syscall(SYS_gettid) };
		tap_write_full(p[1], mine, sizeof mine);
		_exit(0);
	}
	close(p[1]);
	read_full(p[0], ids, sizeof ids);
	close(p[0]);
	int status = tap_wait(pid);

	tap_check(pid > 0, "fork returns the child's pid to the parent",
		  "fork returned %d (%s)", pid, strerror(errno));
	tap_check_long(ids[0], pid, "child's getpid() equals fork's return value");
	tap_check_long(ids[1], parent, "child's getppid() is the parent's pid");
	tap_check_long(ids[2], pid, "gettid() equals getpid() in a 1-thread process");
	tap_check(ids[0] != parent, "child's pid differs from the parent's",
		  "both are %d", parent);
	tap_check(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "wait4 reaps the child", "%s", tap_status_str(status));
}

static void test_exit_statuses(void)
{
	static const int codes[] = { 0, 1, 42, 255 };
	char what[80];

	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		snprintf(what, sizeof what, "_exit(%d) gives WEXITSTATUS %d",
			 codes[i], codes[i]);
		tap_check_exits(exit_with, (void *)(long)codes[i], codes[i], what);
	}
	tap_check_exits(exit_with, (void *)256L, 0,
			"exit status keeps only the low 8 bits (256 -> 0)");
}

static void call_exit_group(void *code)
{
	syscall(SYS_exit_group, (long)code);
}

static void call_exit(void *code)
{
	syscall(SYS_exit, (long)code);
}

static void test_exit_syscalls(void)
{
	tap_check_exits(call_exit_group, (void *)77L, 77,
			"exit_group(77) gives WEXITSTATUS 77");
	tap_check_exits(call_exit, (void *)78L, 78,
			"exit(78) of the only thread gives WEXITSTATUS 78");
}

/* vfork: the parent sleeps until the child has exited; the child's status
 * arrives as usual. */
static void test_vfork(void)
{
	static volatile int child_ran;
	pid_t pid = vfork();

	if (pid == 0) {
		child_ran = 1;  /* shared memory: the parent will see this */
		_exit(7);
	}
	int status = tap_wait(pid);
	tap_check(pid > 0 && child_ran, "vfork: parent resumes after the child ran",
		  "pid %d, child_ran %d", pid, child_ran);
	tap_check(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 7,
		  "vfork: child's _exit(7) is reported", "%s",
		  tap_status_str(status));
}

/* ---- deaths by signal ------------------------------------------------- */

#define WAIT_LIMIT 30  /* seconds a waiting child lasts if never killed */

/* Spin in user mode, looking at the clock only now and then. */
static void spin_until(double deadline)
{
	volatile unsigned long counter = 0;

	while (now_s() < deadline)
		for (int i = 0; i < (1 << 20); i++)
			counter++;
}

/* Start a child that tells us it is ready, then sleeps or spins until it
 * is killed (or, if the signal never comes, exits 99 after WAIT_LIMIT). */
static pid_t spawn_waiting_child(int spin)
{
	int ready[2];

	if (pipe(ready) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		/* Our own caller might have ignored these; we need them fatal. */
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		close(ready[0]);
		if (write(ready[1], "r", 1) != 1)
			_exit(100);
		if (spin)
			spin_until(now_s() + WAIT_LIMIT);
		else
			sleep_ms(WAIT_LIMIT * 1000);
		_exit(99);
	}
	close(ready[1]);
	char byte;
	if (pid > 0 && read(ready[0], &byte, 1) != 1)
		tap_diag("child %d did not report ready\n", pid);
	close(ready[0]);
	return pid;
}

static void check_kill(int sig, const char *name, int spin)
{
	char what[96];
	pid_t pid = spawn_waiting_child(spin);

	snprintf(what, sizeof what, "kill(%s child, %s) -> WTERMSIG %s",
		 spin ? "spinning" : "sleeping", name, name);
	if (pid < 0) {
		tap_fail(what, "fork: %s", strerror(errno));
		return;
	}
	if (kill(pid, sig) < 0)
		tap_fail(what, "kill: %s", strerror(errno));
	int status = tap_wait(pid);
	tap_check(status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == sig,
		  what, "child %s", tap_status_str(status));
}

/* CHECK_KILL(SIGTERM, 1) passes "SIGTERM" along as the signal's name. */
#define CHECK_KILL(sig, spin) check_kill(sig, #sig, spin)

static void test_kill_deaths(void)
{
	CHECK_KILL(SIGKILL, 0);
	CHECK_KILL(SIGTERM, 0);
	CHECK_KILL(SIGINT, 0);
	CHECK_KILL(SIGKILL, 1);
	CHECK_KILL(SIGTERM, 1);
}

static void test_kill_errors(void)
{
	pid_t pid = spawn_waiting_child(0);

	tap_check(kill(pid, 0) == 0, "kill(pid, 0) succeeds for a live child",
		  "%s", strerror(errno));
	errno = 0;
	int ret = kill(pid, 1000);
	tap_check_errno(ret, errno, EINVAL, "kill with signal 1000 -> EINVAL");
	kill(pid, SIGKILL);
	tap_wait(pid);
	errno = 0;
	ret = kill(pid, 0);
	tap_check_errno(ret, errno, ESRCH, "kill(reaped pid, 0) -> ESRCH");
}

static void write_null(void *unused)
{
	(void)unused;
	volatile int *volatile p = NULL;
	*p = 1;
}

static void read_null(void *unused)
{
	(void)unused;
	volatile int *volatile p = NULL;
	_exit(*p);
}

static void write_kernel_half(void *unused)
{
	(void)unused;
	volatile int *volatile p = (int *)0xffff800000000000UL;
	*p = 1;
}

static void call_null(void *unused)
{
	(void)unused;
	void (*volatile fn)(void) = NULL;
	fn();
}

static void undefined_instruction(void *unused)
{
	(void)unused;
	__asm__ volatile("ud2");
}

static void divide_by_zero(void *unused)
{
	(void)unused;
	volatile int one = 1, zero = 0;
	volatile int result = one / zero;
	(void)result;
}

static void test_fault_deaths(void)
{
	tap_check_killed(write_null, NULL, SIGSEGV, "write to NULL -> SIGSEGV");
	tap_check_killed(read_null, NULL, SIGSEGV, "read from NULL -> SIGSEGV");
	tap_check_killed(write_kernel_half, NULL, SIGSEGV,
			 "write to a kernel address -> SIGSEGV");
	tap_check_killed(call_null, NULL, SIGSEGV, "call through NULL -> SIGSEGV");
	tap_check_killed(undefined_instruction, NULL, SIGILL, "ud2 -> SIGILL");
	tap_check_killed(divide_by_zero, NULL, SIGFPE,
			 "integer divide by zero -> SIGFPE");
}

/* ---- wait4 ------------------------------------------------------------ */

static void test_wnohang(void)
{
	int go[2];
	int status = 0;

	if (pipe(go) < 0) {
		tap_fail("wait4 WNOHANG", "pipe: %s", strerror(errno));
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		char byte;
		close(go[1]);
		_exit(read(go[0], &byte, 1) == 1 ? 5 : 6);
	}
	close(go[0]);
	pid_t got = wait4(pid, &status, WNOHANG, NULL);
	tap_check_long(got, 0, "wait4 WNOHANG on a running child returns 0");
	if (write(go[1], "g", 1) != 1)
		tap_diag("write: %s\n", strerror(errno));
	close(go[1]);
	got = wait4(pid, &status, 0, NULL);
	tap_check(got == pid && WIFEXITED(status) && WEXITSTATUS(status) == 5,
		  "blocking wait4 then returns the child's status",
		  "wait4 returned %d, %s", got, tap_status_str(status));
}

/* A zombie exists until it is reaped: kill() of it succeeds and does
 * nothing (Linux), and only after the wait is it gone (ESRCH). */
static void test_kill_zombie(void)
{
	char path[64], text[512];
	pid_t pid = fork();
	int zombie = 0;

	if (pid == 0)
		_exit(5);
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	for (double end = now_s() + 10; !zombie && now_s() < end; sleep_ms(1))
		zombie = read_file(path, text, sizeof text) > 0 && strstr(text, "State:\tZ") != NULL;
	tap_check(zombie && kill(pid, 0) == 0 && kill(pid, SIGTERM) == 0,
		  "kill(zombie, 0) and kill(zombie, SIGTERM) succeed", "zombie %d, %s", zombie,
		  strerror(errno));
	int status = tap_wait(pid);
	tap_check(WIFEXITED(status) && WEXITSTATUS(status) == 5,
		  "the zombie then reports its own exit, not the signal", "%s",
		  tap_status_str(status));
}

static void test_wnohang_zombie(void)
{
	pid_t pid = fork();
	int status = 0;
	pid_t got = 0;

	if (pid == 0)
		_exit(9);
	double deadline = now_s() + 10;
	while (got == 0 && now_s() < deadline) {
		got = wait4(pid, &status, WNOHANG, NULL);
		if (got == 0)
			sleep_ms(1);
	}
	tap_check(got == pid && WIFEXITED(status) && WEXITSTATUS(status) == 9,
		  "wait4 WNOHANG reaps an exited child",
		  "wait4 returned %d, %s", got, tap_status_str(status));
}

static void test_wait_specific_child(void)
{
	pid_t first = fork();
	if (first == 0)
		_exit(1);
	pid_t second = fork();
	if (second == 0)
		_exit(2);

	int status2 = tap_wait(second);
	int status1 = tap_wait(first);
	tap_check(status2 != -1 && WEXITSTATUS(status2) == 2,
		  "wait4(pid) picks that child even if another exited first",
		  "%s", tap_status_str(status2));
	tap_check(status1 != -1 && WEXITSTATUS(status1) == 1,
		  "the other child is still waitable afterwards", "%s",
		  tap_status_str(status1));
}

static void test_echild(void)
{
	int status;

	errno = 0;
	long ret = wait4(-1, &status, 0, NULL);
	tap_check_errno(ret, errno, ECHILD, "wait4(-1) with no children -> ECHILD");
	errno = 0;
	ret = wait4(-1, &status, WNOHANG, NULL);
	tap_check_errno(ret, errno, ECHILD,
			"wait4(-1, WNOHANG) with no children -> ECHILD");
	errno = 0;
	ret = wait4(1, &status, 0, NULL);
	tap_check_errno(ret, errno, ECHILD, "wait4(1) (not our child) -> ECHILD");
}

/* ---- orphans ---------------------------------------------------------- */

/* The middle process forks a grandchild and exits at once.  The grandchild
 * waits until its parent changes and reports its new parent pid. */
static void run_middle(int report_fd)
{
	pid_t middle = getpid();

	if (fork() == 0) {
		pid_t ppid = getppid();
		double deadline = now_s() + 10;
		while (ppid == middle && now_s() < deadline) {
			sleep_ms(1);
			ppid = getppid();
		}
		pid_t report[2] = { middle, ppid };
		tap_write_full(report_fd, report, sizeof report);
		_exit(0);
	}
	_exit(0);
}

static void test_orphan_reparented(void)
{
	int p[2];
	pid_t report[2] = { 0, 0 };

	if (pipe(p) < 0) {
		tap_fail("orphan reparenting", "pipe: %s", strerror(errno));
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		run_middle(p[1]);
	}
	close(p[1]);
	tap_wait(pid);
	ssize_t n = read_full(p[0], report, sizeof report);
	close(p[0]);

	if (n != sizeof report) {
		tap_fail("orphan is reparented", "no report from the grandchild");
		return;
	}
	tap_check(report[1] != report[0],
		  "orphan's getppid() changes when its parent exits",
		  "still %d", report[1]);
	if (running_on_linux())
		tap_skip("orphan is reparented to pid 1",
			 "Linux may use a subreaper");
	else
		tap_check_long(report[1], 1, "orphan is reparented to pid 1");
}

/* ---- init cannot be killed from user space ---------------------------- */

/* kill(1, SIGKILL) and a SIGKILL to a process group that init is in leave
 * init alive (Linux, as root: init takes only signals it has a handler
 * for).  A dead init powers the machine off, so a failure also ends the run. */
static void join_init_group_and_kill(void *arg)
{
	(void)arg;
	if (setpgid(0, getpgid(1)) == 0)
		kill(0, SIGKILL);	/* this child and init's group */
	_exit(1);
}

static void test_kill_init(void)
{
	if (getpgid(0) == getpgid(1))
		setpgid(0, 0);	/* leave init's group before the child's kill(0) */
	tap_check_long(kill(1, SIGKILL), 0, "kill(1, SIGKILL) returns 0");
	int status = tap_run_child(join_init_group_and_kill, NULL);
	tap_check(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		  "SIGKILL to init's process group kills the sender",
		  "child %s", tap_status_str(status));
	sleep_ms(50);
	tap_check_long(kill(1, 0), 0, "init (pid 1) is still alive after both");
}

/* ---- fork until failure ------------------------------------------------ */

static pid_t forked[MAX_FORKS];

static int fork_limit(void)
{
	const char *env = getenv("FORK_LIMIT");
	int limit = running_on_linux() ? 200 : 1000;

	if (env && atoi(env) > 0)
		limit = atoi(env);
	return limit < MAX_FORKS ? limit : MAX_FORKS;
}

/* Fork children that block reading hold_fd until it reaches EOF. Stops at
 * limit or at the first failure; returns the count, *err gets errno or 0. */
static int fork_many(int limit, int hold_fd, int release_fd, int *err)
{
	int count = 0;

	*err = 0;
	while (count < limit) {
		pid_t pid = fork();
		if (pid < 0) {
			*err = errno;
			break;
		}
		if (pid == 0) {
			char byte;
			close(release_fd);
			_exit(read(hold_fd, &byte, 1) == 0 ? 0 : 1);
		}
		forked[count++] = pid;
	}
	return count;
}

/* Reap every child; returns how many exited with status 0. */
static int reap_all(int *reaped)
{
	int status, clean = 0;
	pid_t pid;

	*reaped = 0;
	while ((pid = wait4(-1, &status, 0, NULL)) > 0 || errno == EINTR) {
		if (pid <= 0)
			continue;
		(*reaped)++;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			clean++;
	}
	return clean;
}

/* One round: fork up to limit blocked children, release and reap them. */
static void fork_round(int limit, int *count, int *err, int *reaped, int *clean)
{
	int hold[2];

	if (pipe(hold) < 0) {
		*count = *reaped = *clean = 0;
		*err = errno;
		return;
	}
	*count = fork_many(limit, hold[0], hold[1], err);
	close(hold[1]);
	*clean = reap_all(reaped);
	close(hold[0]);
}

/* MemFree after a round, allowing the kernel a moment to finish freeing. */
static long mem_free_settled(long want)
{
	long now = meminfo_kb("MemFree");

	for (int i = 0; i < 100 && now != want; i++) {
		sleep_ms(10);
		now = meminfo_kb("MemFree");
	}
	return now;
}

static void test_fork_until_failure(void)
{
	int limit = fork_limit();
	int count, err, reaped, clean;

	/* A small warm-up round touches every page this test will use, so the
	 * measured round allocates nothing for the parent itself. */
	memset(forked, 0, sizeof forked);
	fork_round(3, &count, &err, &reaped, &clean);
	meminfo_kb("MemFree");

	long before = meminfo_kb("MemFree");
	fork_round(limit, &count, &err, &reaped, &clean);
	long after = before < 0 ? -1 : mem_free_settled(before);

	tap_diag("forked %d children (limit %d), stopped by %s\n", count, limit,
		 err ? strerror(err) : "the limit");
	tap_check(count > 0, "fork many children", "none forked: %s", strerror(err));
	tap_check(err == 0 || err == EAGAIN || err == ENOMEM,
		  "fork fails only with EAGAIN or ENOMEM", "errno %d (%s)", err,
		  strerror(err));
	tap_check(reaped == count, "every forked child is reaped",
		  "reaped %d of %d", reaped, count);
	tap_check(clean == count, "every child exited 0 after its pipe closed",
		  "%d of %d", clean, count);
	if (running_on_linux() || before < 0)
		tap_skip("MemFree after equals MemFree before",
			 "needs our kernel's exact /proc/meminfo");
	else
		tap_check(after == before, "MemFree after equals MemFree before",
			  "before %ld kB, after %ld kB", before, after);
}

int main(void)
{
	/* First, while no orphans from other tests are still being freed. */
	test_fork_until_failure();
	test_fork_ids();
	test_exit_statuses();
	test_exit_syscalls();
	test_vfork();
	test_kill_deaths();
	test_kill_errors();
	test_fault_deaths();
	test_wnohang();
	test_wnohang_zombie();
	test_kill_zombie();
	test_wait_specific_child();
	test_echild();
	test_orphan_reparented();
	test_kill_init();
	return tap_done();
}
