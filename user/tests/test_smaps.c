/*
 * test_smaps - /proc/PID/smaps and smaps_rollup as Linux shows them
 * (fs/proc/task_mmu.c): Pss shares each page among the mappings of its
 * frame (half a page each for a page shared by parent and child after
 * fork, a whole page each once one of them has written it), reads of
 * untouched memory cost no Rss (the zero page), a file mapping's pages are
 * Private_Clean until another process maps them and Shared_Clean after,
 * VmFlags name what madvise set, and smaps_rollup is the sum of smaps.
 * Runs the same on Linux.
 *
 * Each mapping under test is made its own region: one page (or more) with
 * PROT_NONE neighbours, so that Linux does not merge it with another.
 * Runs on Linux: yes
 */
#include "tap.h"

#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>

#define PAGE 4096UL
#define SMAPS_MAX (256 * 1024)

#ifndef MADV_DONTFORK
#define MADV_DONTFORK 10
#endif
#ifndef MADV_DOFORK
#define MADV_DOFORK 11
#endif
#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18
#endif
#ifndef MADV_KEEPONFORK
#define MADV_KEEPONFORK 19
#endif

static char smaps[SMAPS_MAX];

/* Read /proc/PID/NAME (PID 0: self) into smaps[]; its length or -1. */
static ssize_t read_proc(pid_t pid, const char *name)
{
	char path[64];

	if (pid)
		snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
	else
		snprintf(path, sizeof path, "/proc/self/%s", name);
	return read_file(path, smaps, sizeof smaps);
}

/* Is LINE a header line ("start-end perms ...")?  Its range if so. */
static int header(const char *line, unsigned long *start, unsigned long *end)
{
	char perms[8];

	return sscanf(line, "%lx-%lx %7s", start, end, perms) == 3 && strlen(perms) == 4;
}

/* The entry of smaps[] that contains ADDR: its first line, or NULL. */
static const char *entry_of(const void *addr)
{
	unsigned long a = (uintptr_t)addr, start, end;

	for (const char *l = smaps; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (header(l, &start, &end) && a >= start && a < end)
			return l;
	return NULL;
}

/* Field NAME of PID's entry for ADDR (reads the file again). */
static long smaps_kb(pid_t pid, const void *addr, const char *name)
{
	if (read_proc(pid, "smaps") <= 0)
		return -1;
	const char *e = entry_of(addr);

	return e ? kb_field(e, name) : -1;
}

/* Does PID's entry for ADDR have FLAG in its VmFlags? */
static int has_vmflag(pid_t pid, const void *addr, const char *flag)
{
	const char *e = read_proc(pid, "smaps") > 0 ? entry_of(addr) : NULL;
	const char *v = e ? strstr(e, "\nVmFlags:") : NULL;
	char want[8];

	if (!v)
		return 0;
	const char *eol = strchr(v + 1, '\n');
	snprintf(want, sizeof want, " %s ", flag);
	const char *at = strstr(v, want);
	return at && (!eol || at < eol);
}

/* N pages of private anonymous read-write memory in a region of their own. */
static char *own_region(size_t n)
{
	char *p = mmap(NULL, (n + 2) * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED || mprotect(p + PAGE, n * PAGE, PROT_READ | PROT_WRITE))
		return NULL;
	return p + PAGE;
}

/* A child (tap_kid) for the page at ARG: 'w' writes its first byte, 'r'
 * reads its first and last bytes. */
static char page_cmd(char c, void *arg)
{
	volatile char *p = arg;

	if (c == 'w')
		p[0] = 'k';
	else if (c == 'r')
		c = p[0] + p[PAGE - 1];
	return c;
}

/* ---- the tests ---------------------------------------------------------- */

static void test_fork_pss(void)
{
	struct tap_kid k;
	char *p = own_region(1);

	if (!p) {
		tap_fail("Pss after fork", "mmap: %s", strerror(errno));
		return;
	}
	p[0] = 'p';
	tap_check_long(smaps_kb(0, p, "Pss"), 4, "a page written before fork: Pss 4 kB");
	if (tap_kid_start(&k, page_cmd, (void *)p) < 0) {
		tap_fail("Pss after fork", "fork: %s", strerror(errno));
		return;
	}
	tap_kid_ask(&k, 'r');
	tap_check_long(smaps_kb(0, p, "Rss"), 4, "after fork: Rss is still the whole page");
	tap_check_long(smaps_kb(0, p, "Pss"), 2, "after fork: the parent's Pss is half the page");
	tap_check_long(smaps_kb(k.pid, p, "Pss"), 2, "after fork: the child's Pss is half the page");
	tap_check_long(smaps_kb(0, p, "Shared_Dirty"), 4, "after fork: the page is Shared_Dirty");
	tap_check_long(smaps_kb(0, p, "Private_Dirty"), 0, "after fork: nothing is Private_Dirty");
	tap_kid_ask(&k, 'w');
	tap_check_long(smaps_kb(0, p, "Pss"), 4,
		       "after the child's write: the parent's Pss is the whole page");
	tap_check_long(smaps_kb(k.pid, p, "Pss"), 4,
		       "after the child's write: the child's Pss is the whole page");
	tap_check_long(smaps_kb(0, p, "Private_Dirty"), 4,
		       "after the child's write: the parent's page is Private_Dirty");
	tap_check_long(smaps_kb(0, p, "Shared_Dirty"), 0,
		       "after the child's write: nothing is Shared_Dirty");
	tap_check_long(smaps_kb(k.pid, p, "Anonymous"), 4, "the child's copy is Anonymous");
	tap_kid_end(&k);
}

static void test_zero_pages(void)
{
	volatile char *q = own_region(8);
	int sum = 0;

	if (!q) {
		tap_fail("zero page reads", "mmap: %s", strerror(errno));
		return;
	}
	for (size_t i = 0; i < 8; i++)
		sum += q[i * PAGE];
	tap_check_long(smaps_kb(0, (void *)q, "Size"), 32, "an 8-page region: Size 32 kB");
	if (linux_without_zero_page()) {
		tap_skip("8 pages only read (the zero page): Rss 0 kB",
			 "this Linux was booted with pvm_no_zero_page=1");
		return;
	}
	tap_check(sum == 0 && smaps_kb(0, (void *)q, "Rss") == 0,
		  "8 pages only read (the zero page): Rss 0 kB", "Rss %ld kB",
		  smaps_kb(0, (void *)q, "Rss"));
	q[0] = 1;
	tap_check_long(smaps_kb(0, (void *)q, "Rss"), 4, "one of them written: Rss 4 kB");
}

#define FILE_PATH "/bin/true"

static void test_file_mapping(void)
{
	struct tap_kid k;
	int fd = open(FILE_PATH, O_RDONLY);
	volatile char *f = fd >= 0 ? mmap(NULL, 2 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;

	if (f == MAP_FAILED) {
		tap_fail("file mapping", "%s: %s", FILE_PATH, strerror(errno));
		return;
	}
	int c = f[0] + f[PAGE];
	(void)c;
	tap_check_long(smaps_kb(0, (void *)f, "Rss"), 8, "a file mapping read: Rss 8 kB");
	tap_check_long(smaps_kb(0, (void *)f, "Private_Clean"), 8,
		       "mapped by this process alone: Private_Clean 8 kB");
	tap_check_long(smaps_kb(0, (void *)f, "Anonymous"), 0, "page-cache pages are not Anonymous");
	if (tap_kid_start(&k, page_cmd, (void *)f) < 0) {
		tap_fail("file mapping", "fork: %s", strerror(errno));
		return;
	}
	tap_kid_ask(&k, 'r');	/* the child reads the first and the last byte of page 0 */
	long shared = smaps_kb(0, (void *)f, "Shared_Clean");
	tap_check(shared >= 4, "the child maps the file's page too: it is Shared_Clean",
		  "Shared_Clean %ld kB", shared);
	tap_check_long(smaps_kb(0, (void *)f, "Pss"), 8 - shared / 2,
		       "Pss counts a shared page as half");
	tap_kid_end(&k);
	munmap((void *)f, 2 * PAGE);
	close(fd);
}

static void test_vmflags(void)
{
	char *p = own_region(1), *s = (char *)&p;

	tap_check(has_vmflag(0, p, "rd") && has_vmflag(0, p, "wr") && !has_vmflag(0, p, "ex") &&
			  has_vmflag(0, p, "mr") && has_vmflag(0, p, "mw"),
		  "VmFlags of a read-write mapping: rd wr mr mw, no ex", "flags differ");
	tap_check(has_vmflag(0, s, "gd"), "VmFlags of the stack: gd", "no gd");
	tap_check(has_vmflag(0, p, "ac"), "a private writable mapping is charged: ac", "no ac");
	char *ro = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	tap_check(ro != MAP_FAILED && !has_vmflag(0, ro, "ac"), "a read-only one is not: no ac",
		  "ac");
	tap_check(madvise(p, PAGE, MADV_MERGEABLE) == 0 && has_vmflag(0, p, "mg"),
		  "VmFlags after MADV_MERGEABLE: mg", "madvise %s, flag %d", strerror(errno),
		  has_vmflag(0, p, "mg"));
	tap_check(madvise(p, PAGE, MADV_DONTFORK) == 0 && has_vmflag(0, p, "dc"),
		  "VmFlags after MADV_DONTFORK: dc", "madvise %s, flag %d", strerror(errno),
		  has_vmflag(0, p, "dc"));
	tap_check(madvise(p, PAGE, MADV_WIPEONFORK) == 0 && has_vmflag(0, p, "wf"),
		  "VmFlags after MADV_WIPEONFORK: wf", "madvise %s, flag %d", strerror(errno),
		  has_vmflag(0, p, "wf"));
	tap_check(madvise(p, PAGE, MADV_DOFORK) == 0 && madvise(p, PAGE, MADV_KEEPONFORK) == 0 &&
			  !has_vmflag(0, p, "dc") && !has_vmflag(0, p, "wf"),
		  "MADV_DOFORK and MADV_KEEPONFORK take dc and wf away", "still there");
}

static const char *const summed[] = {
	"Rss", "Shared_Clean", "Shared_Dirty", "Private_Clean", "Private_Dirty", "Anonymous",
};
#define NSUMMED (sizeof summed / sizeof summed[0])

/* Sum the fields over every user-space entry of smaps[]; the range they span. */
static int sum_smaps(long sums[], long *pss, unsigned long *lo, unsigned long *hi)
{
	int entries = 0;

	*lo = 0, *hi = 0, *pss = 0;
	for (const char *l = smaps; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		unsigned long start, end;
		if (!header(l, &start, &end) || start >= (1UL << 47))	/* not [vsyscall] */
			continue;
		*lo = entries++ ? *lo : start;
		*hi = end;
		*pss += kb_field(l, "Pss");
		for (size_t i = 0; i < NSUMMED; i++)
			sums[i] += kb_field(l, summed[i]);
	}
	return entries;
}

/* smaps_rollup against the sum of smaps, both read from a process whose
 * memory does not change meanwhile: a fresh program (sleep) that shares no
 * copy-on-write page with this one, whose writes would unshare them. */
static void test_rollup(void)
{
	long sums[NSUMMED] = { 0 }, pss;
	unsigned long lo, hi, rlo = 0, rhi = 0;
	pid_t pid = fork();

	if (pid == 0) {
		execl(tap_bin("sleep"), "sleep", "10", (char *)NULL);
		_exit(127);
	}
	sleep_ms(300);	/* started and asleep */
	read_proc(pid, "smaps");
	int entries = sum_smaps(sums, &pss, &lo, &hi);
	read_proc(pid, "smaps_rollup");
	kill(pid, SIGKILL);
	tap_wait(pid);
	int ok = sscanf(smaps, "%lx-%lx ---p 00000000 00:00 0", &rlo, &rhi) == 2 &&
		 strstr(smaps, "[rollup]\n");
	tap_check(ok && entries > 0 && rlo == lo && rhi == hi,
		  "smaps_rollup's line spans the first mapping's start to the last one's end",
		  "rollup %lx-%lx, smaps %lx-%lx (%d entries)", rlo, rhi, lo, hi, entries);
	for (size_t i = 0; i < NSUMMED; i++) {
		char what[96];
		snprintf(what, sizeof what, "smaps_rollup %s is the sum over smaps", summed[i]);
		tap_check_long(kb_field(smaps, summed[i]), sums[i], what);
	}
	long rpss = kb_field(smaps, "Pss");
	tap_check(rpss >= pss && rpss <= pss + entries,
		  "smaps_rollup Pss is the sum (each smaps line rounds down)",
		  "rollup %ld kB, sum %ld kB over %d entries", rpss, pss, entries);
	tap_check(kb_field(smaps, "Pss_Anon") + kb_field(smaps, "Pss_File") <= rpss &&
			  kb_field(smaps, "Pss_Anon") > 0,
		  "smaps_rollup splits Pss into Pss_Anon and Pss_File", "Pss_Anon %ld Pss_File %ld",
		  kb_field(smaps, "Pss_Anon"), kb_field(smaps, "Pss_File"));
}

int main(void)
{
	test_fork_pss();
	test_zero_pages();
	test_file_mapping();
	test_vmflags();
	test_rollup();
	return tap_done();
}
