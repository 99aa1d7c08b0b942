/*
 * test_demo - the demo programs of user/demo run and show what they claim.
 *
 * Each demo is run with a small size ($BIN/NAME SIZE..., stdout and stderr
 * captured through a pipe); it must exit 0, and one or two key facts are
 * read back from its output:
 *   cowdemo    parent and child in one frame after fork, two after the write
 *   forkexec   the copy-on-write fork copies no page at fork (fork_copy +0)
 *   snapshot   the snapshot holds the watched key's old value, the table the new
 *   pathcopy   each version copies exactly the nodes of its path
 *   zeropage   read: one frame and zero_map +pages; write: a frame per page
 *   merge      the area in 4 frames, one write breaks one page (cow_ksm +1),
 *              and the KSM settings are as they were afterwards
 *   usnapshot  both snapshots (SIGSEGV handler, fork) hold the old contents,
 *              the handler copies each page written once, the kernel at
 *              least each (cow_copy; on Linux its minor faults) - with one
 *              thread and with three - and a write outside the buffer still
 *              dies of SIGSEGV
 *   dynlink    3 copies of a dynamic program share libc's text frames and
 *              have their own copies of the relocated data pages
 * and every demo answers a bad argument with its usage and status 2.
 * On Linux only snapshot, pathcopy, usnapshot and dynlink run; the others need this
 * kernel's counters and controls (or root) and are skipped.
 * Runs on Linux: yes
 */
#include "tap.h"

#include <stdint.h>

#define OUT_MAX (256 * 1024)

static char out[OUT_MAX];

/* Run $BIN/name with the arguments in args (separated by spaces), its
 * output into out; the wait status. */
static int run_demo(const char *name, const char *args)
{
	char path[256], words[64];
	char *argv[8] = { (char *)name }, *save;
	int p[2], argc = 1;

	snprintf(words, sizeof words, "%s", args);
	for (char *w = strtok_r(words, " ", &save); w && argc < 7; w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	out[0] = '\0';
	snprintf(path, sizeof path, "%s", tap_bin(name));
	if (pipe(p) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[1], STDOUT_FILENO);
		dup2(p[1], STDERR_FILENO);
		close(p[0]);
		close(p[1]);
		execve(path, argv, environ);
		_exit(127);
	}
	close(p[1]);
	ssize_t n = read_full(p[0], out, sizeof out - 1);
	close(p[0]);
	out[n > 0 ? n : 0] = '\0';
	return pid < 0 ? -1 : tap_wait(pid);
}

/* Run a demo and check it exits 0; 1 if it did (its output is in out). */
static int run_ok(const char *name, const char *arg)
{
	char what[64];
	int status = run_demo(name, arg);

	snprintf(what, sizeof what, "%s %s exits 0", name, arg);
	if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		tap_pass(what);
		return 1;
	}
	tap_fail(what, "%s; its output:\n%s", status == -1 ? "cannot run it" :
		 tap_status_str(status), out);
	return 0;
}

/* The line of out that starts with prefix, or "" (never NULL). */
static const char *line_of(const char *prefix)
{
	size_t n = strlen(prefix);

	for (const char *line = out; *line;) {
		if (!strncmp(line, prefix, n))
			return line;
		line = strchrnul(line, '\n');
		line += *line != '\0';
	}
	return "";
}

/* A number that follows word in line; -1 if the word is not there. */
static long number_after(const char *line, const char *word)
{
	const char *at = strstr(line, word);
	const char *end = strchrnul(line, '\n');

	return at && at < end ? strtol(at + strlen(word), NULL, 0) : -1;
}

static void skip_on_linux(const char *name)
{
	char what[64];

	snprintf(what, sizeof what, "%s shows what it claims", name);
	tap_skip(what, "not this kernel");
}

static void test_cowdemo(void)
{
	if (running_on_linux()) {
		skip_on_linux("cowdemo");
		return;
	}
	if (!run_ok("cowdemo", "4"))
		return;
	const char *forked = line_of("after fork:"), *wrote = line_of("after the child's write:");
	long p1 = number_after(forked, "parent: frame"), c1 = number_after(forked, "child: frame");
	long p2 = number_after(wrote, "parent: frame"), c2 = number_after(wrote, "child: frame");
	tap_check(p1 > 0 && p1 == c1, "cowdemo: after fork parent and child show one frame",
		  "parent %#lx, child %#lx", p1, c1);
	tap_check(p2 == p1 && c2 > 0 && c2 != p2,
		  "cowdemo: after the child's write the child shows a new frame",
		  "parent %#lx, child %#lx (the parent had %#lx)", p2, c2, p1);
	tap_check_long(number_after(line_of("the child writes"), "cow_copy"), 1,
		       "cowdemo: the child's write is one cow_copy");
}

static void test_forkexec(void)
{
	if (running_on_linux()) {
		skip_on_linux("forkexec");
		return;
	}
	if (!run_ok("forkexec", "8"))
		return;
	tap_check_long(number_after(line_of("cow_fork=1:"), "fork_copy"), 0,
		       "forkexec: the copy-on-write fork copies no page at fork");
	const char *eager = line_of("cow_fork=0:");
	if (strstr(eager, "skipped") || !*eager)
		tap_skip("forkexec: the eager fork copies the 8 MiB", "it did not run");
	else
		tap_check(number_after(eager, "fork_copy") >= 2048,
			  "forkexec: the eager fork copies the 8 MiB", "%.80s", eager);
}

static void test_snapshot(void)
{
	if (!run_ok("snapshot", "8192"))
		return;
	const char *at_fork = line_of("at fork:"), *snap = line_of("the snapshot:");
	const char *now = line_of("the table now:");
	long old = number_after(at_fork, "= "), saved = number_after(snap, "= ");
	tap_check(old >= 0 && saved == old, "snapshot: the snapshot holds the value at fork",
		  "at fork %ld, in the snapshot %ld", old, saved);
	tap_check(number_after(now, "= ") != old, "snapshot: the table holds the new value",
		  "%.80s", now);
}

/* One version line: "v3    add      33=3     3     3     0    14 47 33". */
static int check_version_line(const char *line)
{
	long nodes, copied, shared, path = 0;
	int at = 0;

	if (sscanf(line, "v%*d %*s %*d=%*d %ld %ld %ld%n", &nodes, &copied, &shared, &at) != 3)
		return 0;
	for (const char *p = line + at; *p && *p != '\n';) {
		char *end;
		strtol(p, &end, 10);
		if (end == p)
			break;
		path++;
		p = end;
	}
	if (copied != path || shared != nodes - copied) {
		tap_fail("pathcopy: every version copies exactly its path", "%.*s",
			 (int)(strchrnul(line, '\n') - line), line);
		return -1;
	}
	return 1;
}

static void test_pathcopy(void)
{
	int lines = 0;

	if (!run_ok("pathcopy", "20"))
		return;
	for (const char *line = out; *line;) {
		int r = line[0] == 'v' ? check_version_line(line) : 0;
		if (r < 0)
			return;
		lines += r;
		line = strchrnul(line, '\n');
		line += *line != '\0';
	}
	tap_check_long(lines, 20, "pathcopy: every version copies exactly its path");
}

static void test_zeropage(void)
{
	if (running_on_linux()) {
		skip_on_linux("zeropage");
		return;
	}
	if (!run_ok("zeropage", "4"))
		return;
	const char *reading = line_of("read:"), *wrote = line_of("write:");
	tap_check(strstr(reading, " 1024 pages present in 1 frame") &&
		  number_after(reading, "zero_map") == 1024,
		  "zeropage: reading maps every page to one frame", "%.100s", reading);
	tap_check(strstr(wrote, " 1024 pages present in 1024 frames") &&
		  number_after(wrote, "zero_fill") == 1024,
		  "zeropage: writing gives every page a frame", "%.100s", wrote);
}

static void ksm_settings(char *buf, size_t size)
{
	static const char *const names[] = { "run", "pages_to_scan", "sleep_millisecs" };
	size_t len = 0;

	for (int i = 0; i < 3; i++) {
		char path[128];
		snprintf(path, sizeof path, KSM_DIR "%s", names[i]);
		read_file(path, buf + len, size - len);
		len = strlen(buf);
	}
}

static void test_merge(void)
{
	char before[128], after[128];

	if (running_on_linux()) {
		skip_on_linux("merge");
		return;
	}
	ksm_settings(before, sizeof before);
	if (!run_ok("merge", "2"))
		return;
	ksm_settings(after, sizeof after);
	tap_check(strstr(out, "the area in 4 frames") != NULL,
		  "merge: the duplicates merge into 4 frames", "%.200s", out);
	tap_check_long(number_after(line_of("wrote one byte"), "cow_ksm"), 1,
		       "merge: one write breaks one merged page (cow_ksm)");
	tap_check(!strcmp(before, after), "merge: the KSM settings are put back",
		  "before %s, after %s", before, after);
}

/* usnapshot MIB PERCENT [THREADS], which writes `written` pages: both
 * snapshots verify and the handler copied each page written once.  0 when
 * the demo failed to run to its end. */
static int check_usnapshot(const char *args, long written)
{
	char what[96];
	long pages = -1, copied = -1;

	if (!run_ok("usnapshot", args))
		return 0;
	const char *user = line_of("verify user space:"), *kernel = line_of("verify kernel:");
	snprintf(what, sizeof what, "usnapshot %s: the handler's snapshot holds the old contents",
		 args);
	tap_check(!strncmp(user, "verify user space: ok,", 22), what, "%.160s", user);
	snprintf(what, sizeof what, "usnapshot %s: the fork snapshot holds the old contents", args);
	tap_check(!strncmp(kernel, "verify kernel: ok,", 18), what, "%.160s", kernel);
	snprintf(what, sizeof what, "usnapshot %s: the handler copies each of %ld pages once", args,
		 written);
	const char *line = line_of("user space (SIGSEGV)");
	tap_check(sscanf(line, "user space (SIGSEGV) %*f ms %ld x %*f us %ld", &pages, &copied) == 2 &&
		  pages == written && copied == written, what, "%.120s", line);
	snprintf(what, sizeof what, "usnapshot %s: the kernel copies (or faults on) each page "
		 "written", args);
	line = line_of("kernel (fork)");
	tap_check(sscanf(line, "kernel (fork) %*f ms %ld x %*f us %ld", &pages, &copied) == 2 &&
		  pages == written && copied >= written, what, "%.120s", line);
	return 1;
}

static void test_usnapshot(void)
{
	if (check_usnapshot("4 25", 256))
		tap_check(strstr(line_of("a write outside the buffer:"), "killed by SIGSEGV") != NULL,
			  "usnapshot: a write outside the buffer dies of SIGSEGV", "%.120s",
			  line_of("a write outside the buffer:"));
	check_usnapshot("2 50 3", 256);
}

static void test_dynlink(void)
{
	if (!run_ok("dynlink", "3"))
		return;
	const char *line = line_of("  libc text: ");
	tap_check(number_after(line, "libc text: ") > 0 && strstr(line, "serve 3 copies"),
		  "dynlink: libc's text frames serve every copy", "%.120s", line);
	tap_check(number_after(line, "data: ") >= 2,
		  "dynlink: the relocated data pages are copied in each copy", "%.120s", line);
}

static void test_bad_arguments(void)
{
	static const char *const demos[] = { "cowdemo", "forkexec", "snapshot", "pathcopy",
					     "zeropage", "merge", "usnapshot", "dynlink" };

	for (size_t i = 0; i < sizeof demos / sizeof *demos; i++) {
		char what[64];
		int status = run_demo(demos[i], "lots");
		snprintf(what, sizeof what, "%s lots: usage, status 2", demos[i]);
		tap_check(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 2 &&
			  strstr(out, "usage:"), what, "%s: %.80s", tap_status_str(status), out);
	}
}

int main(void)
{
	test_cowdemo();
	test_forkexec();
	test_snapshot();
	test_pathcopy();
	test_zeropage();
	test_merge();
	test_usnapshot();
	test_dynlink();
	test_bad_arguments();
	return tap_done();
}
