/*
 * test_audit - the memory invariant checker (/proc/sys/vm/audit, mm/audit.h)
 * finds nothing wrong after each kind of copy-on-write activity:
 *
 *   - fork, with writes on both sides (cow_copy, cow_reuse), checked from
 *     the child while both share the pages and from the parent after;
 *   - reads of untouched memory (the zero frame), then writes;
 *   - a private mapping of a file (page-cache frames), read, written, forked;
 *   - mprotect to read-only and PROT_NONE across a fork, then back to
 *     writable and written in the child;
 *   - vfork (one address space, two processes) and exec;
 *   - same-page merging (KSM): merged pages, a fork of them, a write, unmerge;
 *
 * and that the switch itself behaves: writing "1" returns the byte count,
 * reading gives "0\n" (no violation since boot), any other value is EINVAL.
 * /proc/meminfo's categories must add up to MemTotal.  One run is timed.
 *
 * Linux has no /proc/sys/vm/audit (its CONFIG_DEBUG_VM checks run inside the
 * kernel, without a switch): there everything is skipped, with the reason.
 * Runs on Linux: no - /proc/sys/vm/audit is this kernel's own (Linux skips it all)
 */
#include "tap.h"

#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>

#define AUDIT "/proc/sys/vm/audit"
#define PAGE 4096UL
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define RW (PROT_READ | PROT_WRITE)
#define NPAGES 16

/* Write TEXT to the switch with one write(2): its result, errno in *ERR. */
static long audit_write(const char *text, int *err)
{
	int fd = open(AUDIT, O_WRONLY);

	*err = fd < 0 ? errno : 0;
	if (fd < 0)
		return -1;
	long n = write(fd, text, strlen(text));
	*err = n < 0 ? errno : 0;
	close(fd);
	return n;
}

/* Run the checker: 0 when "1" was taken whole (no violation found), else
 * the errno (EIO: a violation, printed on the console). */
static int audit_run(void)
{
	int err;
	long n = audit_write("1\n", &err);

	return n == 2 ? 0 : n < 0 ? err : EINVAL;
}

static void check_audit(const char *after)
{
	char what[160];
	int err = audit_run();

	snprintf(what, sizeof what, "no violation after %s", after);
	if (!err)
		tap_pass(what);
	else
		tap_fail(what, "%s%s", strerror(err),
			 err == EIO ? ": the console's `audit:` lines say what is wrong" : "");
}

/* A child's audit_run result comes back as its exit status. */
static void check_child(int status, const char *after)
{
	char what[160];

	snprintf(what, sizeof what, "no violation after %s, in the child", after);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		tap_pass(what);
	else if (WIFEXITED(status))
		tap_fail(what, "%s", strerror(WEXITSTATUS(status)));
	else
		tap_fail(what, "%s", tap_status_str(status));
}

static void child_audits(void *arg)
{
	char *p = arg;

	p[0] = 'c';			/* cow_copy: the parent still maps the frame */
	_exit(audit_run());
}

static void test_fork(void)
{
	char *p = mmap(NULL, NPAGES * PAGE, RW, ANON, -1, 0);

	if (p == MAP_FAILED) {
		tap_fail("mmap 16 pages", "%s", strerror(errno));
		return;
	}
	memset(p, 'p', NPAGES * PAGE);
	check_child(tap_run_child(child_audits, p), "fork and a write, pages shared");
	p[PAGE] = 'q';			/* cow_reuse: the child is gone */
	check_audit("fork, in the parent, after the child's exit");
	munmap(p, NPAGES * PAGE);
}

static void test_zero_page(void)
{
	volatile char *p = mmap(NULL, NPAGES * PAGE, RW, ANON, -1, 0);
	long sum = 0;

	if (p == MAP_FAILED) {
		tap_fail("mmap 16 pages", "%s", strerror(errno));
		return;
	}
	for (size_t i = 0; i < NPAGES; i++)
		sum += p[i * PAGE];
	check_audit("reads of untouched memory (the zero page)");
	for (size_t i = 0; i < NPAGES; i += 2)
		p[i * PAGE] = 1;
	tap_check(sum == 0, "untouched memory reads as zeros", "sum %ld", sum);
	check_audit("writes to zero-page memory");
	munmap((void *)p, NPAGES * PAGE);
}

static void file_child(void *arg)
{
	char *p = arg;

	p[PAGE] = 'X';			/* a private copy of a page-cache page */
	_exit(audit_run());
}

static void test_file_mapping(void)
{
	int fd = open(tap_bin("true"), O_RDONLY);
	char *p = fd < 0 ? MAP_FAILED : mmap(NULL, 2 * PAGE, RW, MAP_PRIVATE, fd, 0);

	if (fd >= 0)
		close(fd);
	if (p == MAP_FAILED) {
		tap_fail("mmap a program file MAP_PRIVATE", "%s", strerror(errno));
		return;
	}
	tap_check(memcmp(p, "\177ELF", 4) == 0, "the mapping shows the file", "no ELF magic");
	check_audit("reads of a private file mapping (the page cache)");
	p[0] = 'Z';
	check_child(tap_run_child(file_child, p), "a fork and a write of a private file mapping");
	check_audit("writes to a private file mapping");
	munmap(p, 2 * PAGE);
}

static void mprotect_child(void *arg)
{
	char *p = arg;

	if (mprotect(p, 2 * PAGE, RW) == 0) {
		p[0] = 'C';
		p[PAGE] = 'D';
	}
	_exit(audit_run());
}

static void test_mprotect(void)
{
	char *p = mmap(NULL, 2 * PAGE, RW, ANON, -1, 0);

	if (p == MAP_FAILED) {
		tap_fail("mmap 2 pages", "%s", strerror(errno));
		return;
	}
	p[0] = 'A';
	p[PAGE] = 'B';
	tap_check(mprotect(p, PAGE, PROT_READ) == 0 && mprotect(p + PAGE, PAGE, PROT_NONE) == 0,
		  "mprotect read-only and PROT_NONE", "%s", strerror(errno));
	check_audit("mprotect to read-only and PROT_NONE");
	check_child(tap_run_child(mprotect_child, p), "mprotect back to writable and writes");
	mprotect(p, 2 * PAGE, PROT_READ);
	tap_check(p[0] == 'A', "the parent still reads its own page", "reads '%c'", p[0]);
	check_audit("a fork of read-only and PROT_NONE pages");
	munmap(p, 2 * PAGE);
}

static void test_vfork_exec(void)
{
	pid_t pid = vfork();

	if (pid == 0)
		_exit(audit_run());	/* one address space, two processes: counted once */
	int status = tap_wait(pid);
	check_child(status, "vfork (the space shared)");
	pid = vfork();
	if (pid == 0) {
		execl(tap_bin("true"), "true", (char *)NULL);
		_exit(127);
	}
	status = tap_wait(pid);
	tap_check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "vfork and exec /bin/true",
		  "%s", tap_status_str(status));
	check_audit("vfork and exec");
}

/* ---- same-page merging ---- */

static long saved_run = -1, saved_scan, saved_sleep;

static int ksm_set_number(const char *name, long v)
{
	char text[32];

	snprintf(text, sizeof text, "%ld\n", v);
	return ksm_write(name, text);
}

static int wait_merged(void)
{
	for (int i = 0; i < 600; i++) {
		if (ksm_get("pages_sharing") > 0)
			return 1;
		sleep_ms(50);
	}
	return 0;
}

static void ksm_child(void *arg)
{
	char *p = arg;

	int err = audit_run();

	p[0] = 'k';			/* cow_ksm */
	_exit(err ? err : audit_run());
}

static void test_ksm(void)
{
	char *p = mmap(NULL, NPAGES * PAGE, RW, ANON, -1, 0);

	saved_run = ksm_get("run");
	saved_scan = ksm_get("pages_to_scan");
	saved_sleep = ksm_get("sleep_millisecs");
	if (p == MAP_FAILED || saved_run < 0) {
		tap_fail("mmap and /sys/kernel/mm/ksm", "%s", strerror(errno));
		return;
	}
	memset(p, 'm', NPAGES * PAGE);
	madvise(p, NPAGES * PAGE, MADV_MERGEABLE);
	ksm_set_number("pages_to_scan", 5000);
	ksm_set_number("sleep_millisecs", 10);
	ksm_set_number("run", 1);
	tap_check(wait_merged(), "identical pages merge", "pages_sharing stays 0");
	check_audit("same-page merging");
	check_child(tap_run_child(ksm_child, p), "a fork of merged pages and a write (cow_ksm)");
	p[PAGE] = 'w';
	check_audit("a write to a merged page, in the parent");
	ksm_set_number("run", 2);
	check_audit("unmerging everything (run=2)");
	munmap(p, NPAGES * PAGE);
	ksm_set_number("pages_to_scan", saved_scan);
	ksm_set_number("sleep_millisecs", saved_sleep);
	ksm_set_number("run", saved_run);
}

/* ---- the switch itself ---- */

/*
 * A long read of another process's /proc/PID/mem yields between pages while
 * that process exits and others audit: the reader must never keep an address
 * space alive that no process uses (its frames would be held by page tables
 * the checker cannot see), nor count as one of its users.
 */
static void test_slow_mem_reader(void)
{
	const size_t len = 16UL << 20;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int pp[2], bad = 0;
	char x, path[64];

	if (p == MAP_FAILED || pipe(pp)) {
		tap_fail("audit during a slow /proc/PID/mem read", "setup: %s", strerror(errno));
		return;
	}
	pid_t t = fork();
	if (t == 0) {
		memset(p, 7, len);
		if (write(pp[1], "x", 1) != 1)
			_exit(1);
		usleep(100000);
		_exit(0);
	}
	if (read(pp[0], &x, 1) != 1)
		bad = -1;
	snprintf(path, sizeof path, "/proc/%d/mem", (int)t);
	int fd = open(path, O_RDONLY);
	char *buf = malloc(len);
	pid_t a = fork();
	if (a == 0) {		/* audits while the reader below is at work */
		for (int i = 0; i < 20; i++, usleep(10000))
			bad |= audit_run();
		_exit(bad ? 1 : 0);
	}
	for (int i = 0; i < 4 && fd >= 0 && buf; i++)
		if (pread(fd, buf, len, (off_t)(uintptr_t)p) <= 0)
			break;
	int st = tap_wait(a);
	tap_wait(t);
	tap_check(!bad && fd >= 0 && buf && WIFEXITED(st) && WEXITSTATUS(st) == 0 && !audit_run(),
		  "no violation while a slow /proc/PID/mem read outlives its target",
		  "auditor %s, setup %d", tap_status_str(st), bad);
	free(buf);
	close(fd), close(pp[0]), close(pp[1]);
	munmap(p, len);
}

static void test_bad_writes(void)
{
	static const char *const bad[] = { "2", "x", "0", "1x", "-1" };
	int err;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char what[64];
		long n = audit_write(bad[i], &err);
		snprintf(what, sizeof what, "writing \"%s\" gives EINVAL", bad[i]);
		tap_check_errno(n, err, EINVAL, what);
	}
}

static void test_count(void)
{
	char buf[64];

	tap_check(read_file(AUDIT, buf, sizeof buf) > 0 && strcmp(buf, "0\n") == 0,
		  "reading gives \"0\\n\": no violation since boot", "read \"%s\"", buf);
}

static void test_meminfo(void)
{
	static const char *const parts[] = { "MemFree", "Cached", "AnonPages", "Slab",
					     "KernelStack", "PageTables" };
	long sum = 0, total = meminfo_kb("MemTotal");

	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
		sum += meminfo_kb(parts[i]);
	tap_check(total > 0 && sum == total, "meminfo's categories add up to MemTotal",
		  "MemTotal %ld kB, the categories %ld kB", total, sum);
}

static void time_one_run(void)
{
	double t0 = now_s();
	int err = audit_run();
	double t = now_s() - t0;

	tap_check(!err, "a timed run finds nothing", "%s", strerror(err));
	tap_diag("one run of the checker: %.2f ms (MemTotal %ld kB)\n", t * 1000,
		 meminfo_kb("MemTotal"));
}

int main(void)
{
	if (access(AUDIT, F_OK) != 0) {
		if (running_on_linux())
			tap_skip("the memory invariant checker", "Linux has no " AUDIT);
		else
			tap_fail("the memory invariant checker", AUDIT ": %s", strerror(errno));
		return tap_done();
	}
	check_audit("nothing in particular");
	test_fork();
	test_zero_page();
	test_file_mapping();
	test_mprotect();
	test_vfork_exec();
	test_ksm();
	test_slow_mem_reader();
	test_bad_writes();
	test_meminfo();
	time_one_run();
	test_count();
	return tap_done();
}
