/*
 * test_oom - the out-of-memory killer chooses its victim by footprint, as
 * Linux does: resident memory and page tables, adjusted by oom_score_adj.
 *
 *     test_oom              the checks below (runs on Linux too, as root:
 *                           it takes nearly all free memory for a moment)
 *     test_oom --as-init    as pid 1 (init=/bin/test_oom --as-init): init
 *                           touches 2 MiB of its zeroed globals while a child
 *                           holds nearly all memory; the child must die
 *     test_oom --expect-adj N   exit 0 when its own oom_score_adj is N
 *
 * A "hog" child takes memory until MemFree is down to about 1.5 MiB and
 * sleeps; then a small process touches 2 MiB, which cannot fit (by itself,
 * or by read(2) into it: the kernel's copy must wait for the OOM kill, not
 * fail).  The small one must live with its data intact and the hog must die
 * of SIGKILL; with
 * the hog at oom_score_adj -1000 and a bystander at +1000, the bystander
 * dies instead.  /proc/PID/oom_score must order processes by footprint, and
 * oom_score_adj must reject values outside -1000..1000 with EINVAL and be
 * inherited by fork and kept by exec.
 * Runs on Linux: no - it takes nearly all the machine's free memory
 */
#include "tap.h"

#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>

#define PAGE 4096UL
#define MIB (1024UL * 1024)
#define LEAVE_KB 1536		/* what the hog leaves free */
#define SMALL_BYTES (2 * MIB)

/* What init touches in --as-init mode: zeroed globals (.bss). */
static char init_globals[SMALL_BYTES];

/* ---- /proc/PID/oom_score and oom_score_adj ---- */

static long proc_number(pid_t pid, const char *file)
{
	char path[64], buf[32];

	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
	return read_file(path, buf, sizeof buf) > 0 ? strtol(buf, NULL, 10) : LONG_MIN;
}

/* Write TEXT to /proc/PID/oom_score_adj: 0, or -1 with errno. */
static int set_adj(pid_t pid, const char *text)
{
	char path[64];

	snprintf(path, sizeof path, "/proc/%d/oom_score_adj", (int)pid);
	return write_file(path, text);
}

/* ---- the processes ---- */

static char *map_anon(size_t len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* Touch LEN bytes at P, one write per page. */
static void touch(char *p, size_t len)
{
	for (size_t off = 0; off < len; off += PAGE)
		p[off] = 1;
}

/* Tell the parent we are ready (one byte on FD), then sleep until killed. */
static void ready_and_sleep(int fd)
{
	if (write(fd, "r", 1) != 1)
		_exit(3);
	for (;;)
		sleep(1000);
}

/* The hog: map what is free and touch it, half the remaining gap at a time,
 * until MemFree is below LEAVE_KB. */
static void hog(int ready_fd)
{
	long free_kb = meminfo_kb("MemFree:");
	char *p = free_kb > 0 ? map_anon((size_t)free_kb * 1024) : NULL;
	size_t used = 0;

	if (!p)
		_exit(2);
	while ((free_kb = meminfo_kb("MemFree:")) - LEAVE_KB >= 64) {
		size_t step = ((size_t)(free_kb - LEAVE_KB) / 2 + 4) * 1024;
		touch(p + used, step);
		used += step;
	}
	ready_and_sleep(ready_fd);
}

/* A child that touches KB of memory and sleeps, at oom_score_adj ADJ (NULL: unchanged). */
struct holder {
	size_t kb;
	const char *adj;
};

static void holder(int ready_fd, const struct holder *h)
{
	char *p = map_anon(h->kb * 1024);

	if (!p || (h->adj && set_adj(getpid(), h->adj)))
		_exit(2);
	touch(p, h->kb * 1024);
	ready_and_sleep(ready_fd);
}

/* Start a child running FN (hog or holder) and wait until it is ready: its
 * pid, or -1 when it died first. */
static pid_t start(void (*fn)(int, const struct holder *), const struct holder *h)
{
	int fds[2];
	char c;

	if (pipe(fds) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		fn(fds[1], h);
	}
	close(fds[1]);
	ssize_t n = read(fds[0], &c, 1);
	close(fds[0]);
	if (pid > 0 && n != 1) {
		tap_diag("child %d died before it was ready: %s\n", (int)pid,
			 tap_status_str(tap_wait(pid)));
		return -1;
	}
	return pid;
}

static void hog_fn(int fd, const struct holder *h)
{
	if (h && h->adj && set_adj(getpid(), h->adj))
		_exit(2);
	hog(fd);
}

/* A hog that is a vfork child: the memory is its parent's address space,
 * and the parent sleeps in vfork.  Killing only the parent would free
 * nothing; the OOM killer must kill both (Linux kills every user of the
 * victim's memory). */
static void vfork_hog_fn(int fd, const struct holder *h)
{
	(void)h;
	if (vfork() == 0)
		hog(fd);	/* never returns: sleeps until killed */
	_exit(4);		/* the parent resumes only if the child died */
}

/* Fill P (LEN bytes) with a pattern and check it: true when intact. */
static bool pattern_intact(char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (char)(i * 7 + 3);
	for (size_t i = 0; i < len; i++)
		if (p[i] != (char)(i * 7 + 3))
			return false;
	return true;
}

/* The small process: 2 MiB of new memory, filled and checked (exit 0). */
static void small(void *arg)
{
	char *p = map_anon(SMALL_BYTES);

	(void)arg;
	_exit(p && pattern_intact(p, SMALL_BYTES) ? 0 : 1);
}

/* The same, but the kernel writes the memory: read(2) from /dev/zero into it
 * must not fail with EFAULT because another process was chosen. */
static void small_read(void *arg)
{
	char *p = map_anon(SMALL_BYTES);
	int fd = open("/dev/zero", O_RDONLY);

	(void)arg;
	if (!p || fd < 0 || read(fd, p, SMALL_BYTES) != (ssize_t)SMALL_BYTES)
		_exit(1);
	_exit(pattern_intact(p, SMALL_BYTES) ? 0 : 1);
}

/* End PID if it still lives; true when it had died of SIGKILL. */
static bool died_of_sigkill(pid_t pid)
{
	kill(pid, SIGTERM);
	int status = tap_wait(pid);
	if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL))
		tap_diag("pid %d: %s\n", (int)pid, tap_status_str(status));
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

/* True when PID lives (not even a zombie). */
static bool alive(pid_t pid)
{
	int status;

	return kill(pid, 0) == 0 && waitpid(pid, &status, WNOHANG) == 0;
}

/* Kill and reap PID (when it is one). */
static void stop(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		tap_wait(pid);
	}
}

/* ---- the checks ---- */

/* A vfork parent and child sharing a hog's memory: both must go. */
static void test_vfork_hog(void)
{
	pid_t h = start(vfork_hog_fn, NULL);

	tap_check(h > 0, "a vfork child takes all but 1.5 MiB of free memory", "it died first");
	if (h <= 0)
		return;
	tap_check_exits(small, NULL, 0, "then a small process touching 2 MiB lives");
	tap_check(died_of_sigkill(h), "the vfork parent, whose memory it is, died of SIGKILL",
		  "it did not die of SIGKILL");
}

/* A hog, then FN (small or small_read) must live and the hog die. */
static void test_hog_dies(void (*fn)(void *), const char *what)
{
	pid_t h = start(hog_fn, NULL);

	tap_check(h > 0, "a hog takes all but 1.5 MiB of free memory", "it died first");
	if (h <= 0)
		return;
	tap_check_exits(fn, NULL, 0, what);
	tap_check(died_of_sigkill(h), "the hog, the largest process, died of SIGKILL",
		  "it did not die of SIGKILL");
}

static void test_adj_chooses(void)
{
	const struct holder bystander = { 4096, "1000" }, minus = { 0, "-1000" };
	pid_t b = start(holder, &bystander);
	pid_t h = b > 0 ? start(hog_fn, &minus) : -1;

	tap_check(b > 0 && h > 0, "a bystander (+1000, 4 MiB) and a hog (-1000) are ready",
		  "bystander %d, hog %d", (int)b, (int)h);
	if (h <= 0) {
		if (b > 0)
			died_of_sigkill(b);
		return;
	}
	tap_check_exits(small, NULL, 0, "with them, a small process touching 2 MiB lives");
	tap_check(died_of_sigkill(b), "the bystander at oom_score_adj 1000 died of SIGKILL",
		  "it did not die of SIGKILL");
	tap_check(alive(h), "the hog at oom_score_adj -1000 lives", "it is gone");
	stop(h);
}

static void test_scores(void)
{
	/* "self" is a process that touches nothing: not this one, which may be
	 * init (--as-init, or init=/bin/test_oom), whose score is always 0 */
	const struct holder a_size = { 8192, NULL }, b_size = { 32768, NULL }, none = { 4, NULL };
	pid_t a = start(holder, &a_size), b = start(holder, &b_size), me = start(holder, &none);
	long self = proc_number(me, "oom_score");
	long sa = proc_number(a, "oom_score"), sb = proc_number(b, "oom_score");

	tap_diag("oom_score: self %ld, 8 MiB %ld, 32 MiB %ld\n", self, sa, sb);
	tap_check(self >= 0 && self < sa && sa < sb,
		  "oom_score orders processes by footprint (self < 8 MiB < 32 MiB)",
		  "self %ld, 8 MiB %ld, 32 MiB %ld", self, sa, sb);
	tap_check(self <= 2000 && sb <= 2000 && self >= 600,
		  "oom_score is (1000 + badness * 1000 / total) * 2 / 3: 666.. for adj 0",
		  "self %ld, 32 MiB %ld", self, sb);
	long before = sa;
	set_adj(a, "500");
	sa = proc_number(a, "oom_score");
	tap_check(sa > sb && sa - before >= 300 && sa - before <= 340,
		  "oom_score_adj 500 adds about 333 to oom_score", "%ld -> %ld (32 MiB: %ld)",
		  before, sa, sb);
	set_adj(a, "-1000");
	tap_check_long(proc_number(a, "oom_score"), 0, "oom_score_adj -1000 makes oom_score 0");
	tap_check_long(proc_number(1, "oom_score"), 0, "init's oom_score is 0 (never chosen)");
	stop(a);
	stop(b);
	stop(me);
}

static void test_adj_values(void)
{
	static const char *const bad[] = { "1001", "-1001", "abc", "12abc", "5 5", "99999999999" };
	pid_t me = getpid();
	char what[80];

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(what, sizeof what, "oom_score_adj \"%s\" gives EINVAL", bad[i]);
		int r = set_adj(me, bad[i]);
		tap_check_errno(r, errno, EINVAL, what);
	}
	tap_check_long(proc_number(me, "oom_score_adj"), 0, "a refused value changes nothing");
	tap_check(set_adj(me, "-1000") == 0 && proc_number(me, "oom_score_adj") == -1000,
		  "oom_score_adj -1000 is taken and read back", "%s", strerror(errno));
	tap_check(set_adj(me, " 42\n") == 0 && proc_number(me, "oom_score_adj") == 42,
		  "oom_score_adj \" 42\\n\" reads back as 42", "%s", strerror(errno));
}

static void check_inherited(void *arg)
{
	(void)arg;
	_exit(proc_number(getpid(), "oom_score_adj") == 123 ? 0 : 1);
}

static void exec_expect(void *arg)
{
	(void)arg;
	execl(tap_bin("test_oom"), "test_oom", "--expect-adj", "123", (char *)NULL);
	_exit(127);
}

static void test_inherit(void)
{
	tap_check(set_adj(getpid(), "123") == 0, "oom_score_adj 123 set", "%s", strerror(errno));
	tap_check_exits(check_inherited, NULL, 0, "a forked child inherits oom_score_adj 123");
	tap_check_exits(exec_expect, NULL, 0, "exec keeps oom_score_adj 123");
	set_adj(getpid(), "0");
}

/* ---- init=/bin/test_oom --as-init ---- */

static int as_init(void)
{
	tap_diag("as init: pid %d\n", (int)getpid());
	pid_t h = start(hog_fn, NULL);
	tap_check(h > 0, "a hog child takes all but 1.5 MiB of free memory", "it died first");
	if (h <= 0)
		return tap_done();
	tap_check(pattern_intact(init_globals, sizeof init_globals),
		  "init touched 2 MiB of zeroed globals and lives, its data intact", "corrupted");
	tap_check(died_of_sigkill(h), "the hog died of SIGKILL, not init", "it did not");
	return tap_done();
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--expect-adj"))
		return proc_number(getpid(), "oom_score_adj") == atol(argv[2]) ? 0 : 1;
	if (argc == 2 && !strcmp(argv[1], "--as-init"))
		return as_init();
	test_adj_values();
	test_inherit();
	test_scores();
	test_hog_dies(small, "a small process touching 2 MiB lives, its data intact");
	test_hog_dies(small_read, "a small process reading 2 MiB of /dev/zero into new memory "
		      "gets all of it (the kernel's copy waits, no EFAULT)");
	test_adj_chooses();
	test_vfork_hog();
	return tap_done();
}
