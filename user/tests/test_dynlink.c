/*
 * test_dynlink - dynamic linking: execve of a program with PT_INTERP loads
 * the interpreter it names (musl's /lib/ld-musl-x86_64.so.1, which is also
 * musl's libc), and the loader relocates and starts the program.
 *
 *   - a dynamically linked program (dynhello) runs and prints;
 *   - its auxiliary vector is Linux's: AT_BASE is where the interpreter
 *     starts (a mapping of the interpreter's file at offset 0), AT_ENTRY the
 *     program's _start, AT_PHDR and AT_PHNUM its program headers as the
 *     loader found them (dl_iterate_phdr);
 *   - a static PIE (dynhello-spie) runs with AT_BASE 0; on cowos both PIEs
 *     load at ELF_ET_DYN_BASE (Linux randomizes);
 *   - the loader run as a command loads the program itself with mmap;
 *   - the same program built against glibc (dynhello-glibc) runs too;
 *   - several copies at once share the frames of libc's text (pagemap: the
 *     same frame in each, /proc/kpagecount at least the number of copies),
 *     and each has its own frames for the pages the loader relocated:
 *     libc's data and the program's;
 *   - the running program's file refuses writers (ETXTBSY), the
 *     interpreter's does not (Linux since 5.15);
 *   - an interpreter open for writing cannot be loaded (ETXTBSY);
 *   - bad PT_INTERPs and bad interpreters (mkbadelf's badinterp fixtures:
 *     missing, a directory, not executable, not ELF, too short, wrong
 *     machine, an unterminated or oversized string, one past the end of
 *     the file) get Linux's errno with the caller intact, and an
 *     interpreter's own PT_INTERP is ignored, as Linux ignores it; an
 *     ET_EXEC interpreter linked where the program is gets EINVAL (Linux
 *     maps it over the program and runs it: exit 42 is checked there).
 *
 * Environment: BIN     dynhello, dynhello-spie and dynhello-glibc (default /bin);
 *              BADELF  mkbadelf's fixtures; the PT_INTERP ones are in the
 *                      directory next to it, badinterp (default /badinterp).
 * Runs on Linux: yes
 */
#include "tap.h"

#include <dirent.h>
#include <libgen.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define COPIES 4
#define LDSO "/lib/ld-musl-x86_64.so.1"
#define ET_DYN_BASE 0x555555554000UL	/* cowos's (and Linux's unrandomized) ELF_ET_DYN_BASE */
#define MIN_INTERP_FIXTURES 15
#define OUT_MAX 2048
#define PAGE 4096UL

/* A running helper: its pid, the pipe to its stdin, and what it printed. */
struct helper {
	pid_t pid;
	int to;
	char out[OUT_MAX];
};

/* Start PATH with ARGV and read its report, which it writes at once: 0,
 * or -1 if it could not be started or said nothing. */
static int helper_spawn(struct helper *h, const char *path, char *const argv[])
{
	int from;

	h->out[0] = 0;
	h->pid = spawn_piped(path, argv, &h->to, &from);
	if (h->pid < 0)
		return -1;
	read_until(from, h->out, sizeof h->out, "\ngreeting=0x");
	close(from);
	return strstr(h->out, "\ngreeting=0x") ? 0 : -1;
}

/* Start BIN/NAME, with --wait when WAIT. */
static int helper_start(struct helper *h, const char *name, int wait)
{
	char *argv[] = { (char *)name, wait ? "--wait" : NULL, NULL };

	return helper_spawn(h, tap_bin(name), argv);
}

/* Let the helper end (its stdin closes): its wait status. */
static int helper_end(struct helper *h)
{
	if (h->pid < 0)
		return -1;
	close(h->to);
	return tap_wait(h->pid);
}

/* The number after "KEY=" in the helper's report (0 when missing). */
static unsigned long value(const struct helper *h, const char *key)
{
	char pattern[32];
	const char *at;

	snprintf(pattern, sizeof pattern, "\n%s=", key);
	at = strstr(h->out, pattern);
	return at ? strtoul(at + strlen(pattern), NULL, 0) : 0;
}

/* ---- a dynamic program, a static PIE ------------------------------------- */

/* The checks both kinds of PIE share: AT_ENTRY, AT_PHDR and AT_PHNUM as
 * the program really is, and where it was loaded. */
static void check_vector(const struct helper *h, const char *kind)
{
	char what[128];

	snprintf(what, sizeof what, "%s: AT_ENTRY is the program's _start", kind);
	tap_check(value(h, "AT_ENTRY") && value(h, "AT_ENTRY") == value(h, "_start"), what,
		  "AT_ENTRY %#lx, _start %#lx", value(h, "AT_ENTRY"), value(h, "_start"));
	snprintf(what, sizeof what, "%s: AT_PHDR and AT_PHNUM are its program headers", kind);
	tap_check(value(h, "AT_PHDR") && value(h, "AT_PHDR") == value(h, "phdr") &&
			  value(h, "AT_PHNUM") == value(h, "phnum"),
		  what, "AT_PHDR %#lx AT_PHNUM %lu, the loader found %#lx and %lu",
		  value(h, "AT_PHDR"), value(h, "AT_PHNUM"), value(h, "phdr"), value(h, "phnum"));
	snprintf(what, sizeof what, "%s: loaded at the ET_DYN base %#lx (Linux: anywhere)", kind,
		 ET_DYN_BASE);
	unsigned long base = value(h, "base");
	tap_check(running_on_linux() ? base && base % PAGE == 0 : base == ET_DYN_BASE, what,
		  "loaded at %#lx", base);
}

static void test_dynamic_program(void)
{
	struct helper h;
	struct maps_entry m;

	if (helper_start(&h, "dynhello", 0) < 0) {
		tap_fail("the dynamically linked dynhello runs and prints", "%s",
			 h.out[0] ? h.out : "no output");
		helper_end(&h);
		return;
	}
	int status = helper_end(&h);
	tap_check(WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
			  strstr(h.out, "hello from a dynamically linked program\n"),
		  "the dynamically linked dynhello runs and prints", "%s", tap_status_str(status));
	check_vector(&h, "dynamic PIE");
	unsigned long at_base = value(&h, "AT_BASE");
	tap_check(at_base && at_base % PAGE == 0, "dynamic PIE: AT_BASE is a page address",
		  "AT_BASE %#lx", at_base);

	/* Again, kept running, to see what AT_BASE points at. */
	if (helper_start(&h, "dynhello", 1) == 0) {
		at_base = value(&h, "AT_BASE");
		int found = maps_find(h.pid, at_base, NULL, NULL, &m);
		tap_check(!found && m.start == at_base && m.offset == 0 && m.path[0] == '/',
			  "AT_BASE is the start of the interpreter's file mapping, offset 0",
			  "%s %#lx-%#lx offset %#lx %s", found ? "no mapping" : "mapping",
			  m.start, m.end, m.offset, m.path);
	} else {
		tap_fail("AT_BASE is the start of the interpreter's file mapping, offset 0",
			 "dynhello --wait did not start");
	}
	helper_end(&h);
}

static void test_static_pie(void)
{
	struct helper h;

	int started = helper_start(&h, "dynhello-spie", 0);
	int status = helper_end(&h);
	tap_check(!started && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "the static PIE dynhello-spie runs and prints", "%s", tap_status_str(status));
	tap_check(strstr(h.out, "\nAT_BASE=0\n") != NULL, "static PIE: AT_BASE is 0 (no interpreter)",
		  "AT_BASE %#lx", value(&h, "AT_BASE"));
	check_vector(&h, "static PIE");
}

/* dynhello built with the build machine's gcc and glibc: its loader,
 * /lib64/ld-linux-x86-64.so.2, and libc.so.6 come with the image, and the
 * same execve serves it. */
static void test_glibc(void)
{
	struct helper h;
	struct maps_entry m;

	int started = helper_start(&h, "dynhello-glibc", 1);
	int found = started ? -1 : maps_find(h.pid, value(&h, "AT_BASE"), NULL, NULL, &m);
	int status = helper_end(&h);
	tap_check(!started && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "a glibc program (dynhello-glibc) runs and prints", "%s", tap_status_str(status));
	check_vector(&h, "glibc PIE");
	tap_check(!found && m.start == value(&h, "AT_BASE") && m.offset == 0 &&
			  strstr(m.path, "ld-linux-x86-64.so.2"),
		  "glibc PIE: AT_BASE is where glibc's loader is mapped", "%s at %#lx",
		  found ? "no mapping" : m.path, value(&h, "AT_BASE"));
}

/* musl's loader run as a command (ET_DYN without an interpreter: on cowos
 * at the ET_DYN base) loads the program named on its command line itself,
 * with open, read and mmap of the file at offsets - what it does for every
 * shared library - and runs it. */
static void test_loader_as_command(void)
{
	char program[256];
	char *argv[] = { LDSO, program, "--wait", NULL };
	struct helper h;
	struct maps_entry m;

	snprintf(program, sizeof program, "%s", tap_bin("dynhello"));
	int started = helper_spawn(&h, LDSO, argv);
	unsigned long base = value(&h, "base");
	int found = started ? -1 : maps_find(h.pid, base, NULL, NULL, &m);
	int status = helper_end(&h);
	tap_check(!started && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  LDSO " PROGRAM: the loader loads the program itself and runs it", "%s",
		  tap_status_str(status));
	tap_check(!found && m.start == base && m.offset == 0 && strstr(m.path, "dynhello"),
		  "... mapping the program's file with mmap at the base it reports",
		  "%s at %#lx", found ? "no mapping" : m.path, base);
	tap_check(value(&h, "AT_BASE") == 0 &&
			  (running_on_linux() || value(&h, "AT_PHDR") == ET_DYN_BASE + 64),
		  "... the loader itself started as a program: AT_BASE 0, its headers at the "
		  "ET_DYN base", "AT_BASE %#lx AT_PHDR %#lx", value(&h, "AT_BASE"),
		  value(&h, "AT_PHDR"));
}

/* ---- shared text, private relocated pages --------------------------------- */

/* The frames behind PAGES pages in each helper, from START[i] in helper i:
 * frames[i * pages + p]. */
static int read_frames(struct helper *h, const unsigned long *start, size_t pages,
		       uint64_t *frames)
{
	for (int i = 0; i < COPIES; i++)
		if (!start[i] || page_frames(h[i].pid, (void *)start[i], pages, frames + i * pages))
			return -1;
	return 0;
}

/* libc's text, at TEXT[i] in copy i: every page present in all copies is
 * the same frame, mapped at least COPIES times; at least one such page
 * (the loader's own code). */
static void check_shared_text(struct helper *h, const unsigned long *text, size_t pages)
{
	size_t shared = 0, bad = 0;
	uint64_t *frames = calloc(pages * COPIES, sizeof *frames);
	long low_count = -1;

	if (!frames || read_frames(h, text, pages, frames)) {
		tap_fail("libc's text: one frame per page for all copies", "pagemap unreadable");
		free(frames);
		return;
	}
	for (size_t p = 0; p < pages; p++) {
		int everywhere = 1, same = 1;
		for (int i = 0; i < COPIES; i++) {
			everywhere &= frames[i * pages + p] != 0;
			same &= frames[i * pages + p] == frames[p];
		}
		if (!everywhere)
			continue;
		long count = frame_mapcount(frames[p]);
		shared += same;
		bad += !same || count < COPIES;
		if (same && (low_count < 0 || count < low_count))
			low_count = count;
	}
	tap_diag("libc text: %zu pages, %zu present in all %d copies, lowest kpagecount %ld\n",
		 pages, shared, COPIES, low_count);
	tap_check(shared > 0 && bad == 0,
		  "libc's text: each page the copies use is one frame, kpagecount >= copies",
		  "%zu pages shared, %zu pages differ or are counted fewer than %d times",
		  shared, bad, COPIES);
	free(frames);
}

/* The page at ADDR[i] in copy i has a frame of its own in each copy. */
static void check_private_page(struct helper *h, const unsigned long *addr, const char *what)
{
	uint64_t frames[COPIES];
	int distinct = 1;

	if (read_frames(h, addr, 1, frames)) {
		tap_fail(what, "pagemap unreadable");
		return;
	}
	for (int i = 0; i < COPIES; i++)
		for (int j = 0; j < i; j++)
			distinct &= frames[i] && frames[i] != frames[j];
	tap_diag("%s: frames %#llx %#llx %#llx %#llx\n", what, (unsigned long long)frames[0],
		 (unsigned long long)frames[1], (unsigned long long)frames[2],
		 (unsigned long long)frames[3]);
	tap_check(frames[0] && distinct, what, "the copies do not have a frame each");
}

/* The first page of the data segment of ELF file PATH loaded at BASE: the
 * page the loader relocates first (GOT), or 0. */
static unsigned long got_page(const char *path, unsigned long base)
{
	unsigned long start;
	size_t pages;

	return elf_data_pages(path, base, &start, &pages) ? 0 : start;
}

static void test_sharing(void)
{
	struct helper h[COPIES];
	struct maps_entry ld, m;
	int started = 0;

	while (started < COPIES && helper_start(&h[started], "dynhello", 1) == 0)
		started++;
	if (started < COPIES) {
		tap_fail("several copies of dynhello run at once", "copy %d did not start",
			 started + 1);
		for (int i = 0; i <= started && i < COPIES; i++)
			helper_end(&h[i]);
		return;
	}
	tap_pass("several copies of dynhello run at once");
	unsigned long text[COPIES], libc_got[COPIES], got[COPIES], data[COPIES];
	size_t text_pages = 0;
	for (int i = 0; i < COPIES; i++) {
		unsigned long at_base = value(&h[i], "AT_BASE");
		text[i] = 0;
		if (!maps_find(h[i].pid, at_base, NULL, NULL, &ld) &&
		    !maps_find(h[i].pid, 0, ld.path, "r-xp", &m)) {
			text[i] = m.start;
			text_pages = (m.end - m.start) / PAGE;
		}
		libc_got[i] = got_page(ld.path, at_base);
		got[i] = got_page(tap_bin("dynhello"), value(&h[i], "base"));
		data[i] = value(&h[i], "greeting") & ~(PAGE - 1);
	}
	check_shared_text(h, text, text_pages);
	check_private_page(h, libc_got, "libc's GOT page: a private frame in each copy");
	check_private_page(h, got, "the program's GOT page: a private frame in each copy");
	check_private_page(h, data, "the program's relocated .data: a private frame in each copy");

	int fd = open(tap_bin("dynhello"), O_WRONLY);
	tap_check(fd < 0 && errno == ETXTBSY, "the running program refuses writers (ETXTBSY)",
		  "open for writing: %s", fd < 0 ? strerror(errno) : "it opened");
	if (fd >= 0)
		close(fd);
	fd = open(ld.path, O_WRONLY);
	tap_check(fd >= 0, "its interpreter does not (Linux 5.15 and later)", "open %s: %s",
		  ld.path, strerror(errno));
	if (fd >= 0)
		close(fd);
	for (int i = 0; i < COPIES; i++) {
		int status = helper_end(&h[i]);
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			tap_diag("copy %d: %s\n", i, tap_status_str(status));
	}
}

/* ---- bad interpreters ----------------------------------------------------- */

static const struct {
	const char *name;
	int number;
} errno_names[] = {
	{ "ENOEXEC", ENOEXEC }, { "EACCES", EACCES }, { "ENOENT", ENOENT },
	{ "ELIBBAD", ELIBBAD }, { "EIO", EIO }, { "EINVAL", EINVAL },
};

/* Where Linux differs: it maps an ET_EXEC interpreter linked where the
 * program is over the program (MAP_FIXED) and runs it; cowos refuses. */
static int linux_outcome(const char *name, int want)
{
	return running_on_linux() && !strcmp(name, "interp_over_program.EINVAL") ? 42 : want;
}

static int canary_global;

/* In a child, from DIR: execve ./NAME; when it returns, exit with its
 * errno if the caller's memory is intact, 126 if not. */
static void exec_from(const char *dir, const char *name)
{
	char stack_canary[64], path[300];
	char *heap_canary = malloc(64);
	char *mapped = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *argv[] = { path, NULL }, *envp[] = { NULL };

	if (!heap_canary || mapped == MAP_FAILED || chdir(dir) < 0)
		_exit(125);
	snprintf(path, sizeof path, "./%s", name);
	memset(stack_canary, 's', sizeof stack_canary);
	memset(heap_canary, 'h', 64);
	memset(mapped, 'm', PAGE);
	canary_global = 0x4321;
	execve(path, argv, envp);
	int err = errno;
	int intact = canary_global == 0x4321 && stack_canary[63] == 's' && heap_canary[63] == 'h' &&
		     mapped[PAGE - 1] == 'm';
	_exit(intact && err > 0 && err < 125 ? err : 126);
}

/* NAME.EXPECT: EXIT42 (the interpreter ran and exited 42) or an errno name. */
static void check_interp_fixture(const char *dir, const char *name)
{
	const char *expect = strrchr(name, '.') ? strrchr(name, '.') + 1 : "?";
	int want = strcmp(expect, "EXIT42") ? -1 : 42;
	char what[320];

	for (size_t i = 0; i < sizeof errno_names / sizeof errno_names[0]; i++)
		if (!strcmp(expect, errno_names[i].name))
			want = errno_names[i].number;
	snprintf(what, sizeof what, "execve %s -> %s%s", name, expect,
		 want == 42 ? " (the interpreter runs)" : linux_outcome(name, want) == 42
		 ? " (Linux: the interpreter runs)" : ", caller intact");
	want = linux_outcome(name, want);
	if (want < 0) {
		tap_fail(what, "unknown expectation %s", expect);
		return;
	}
	pid_t pid = fork();
	if (pid == 0)
		exec_from(dir, name);
	int status = tap_wait(pid);
	tap_check(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == want, what,
		  "%s%s%s", tap_status_str(status),
		  status != -1 && WIFEXITED(status) && WEXITSTATUS(status) < 125 ? ": " : "",
		  status != -1 && WIFEXITED(status) && WEXITSTATUS(status) < 125
			  ? strerror(WEXITSTATUS(status)) : "");
}

/* An interpreter open for writing cannot be loaded (ETXTBSY, Linux's
 * open_exec); once closed it can, and a failed or finished exec leaves it
 * open to writers again. */
static void check_interp_writers(const char *dir)
{
	char path[600];
	int status;

	snprintf(path, sizeof path, "%s/ld-exit42", dir);
	int fd = open(path, O_WRONLY);
	pid_t pid = fork();
	if (pid == 0)
		exec_from(dir, "interp_ok.EXIT42");
	status = tap_wait(pid);
	tap_check(fd >= 0 && status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == ETXTBSY,
		  "execve of a program whose interpreter is open for writing -> ETXTBSY",
		  "%s", fd < 0 ? strerror(errno) : tap_status_str(status));
	if (fd >= 0)
		close(fd);
	pid = fork();
	if (pid == 0)
		exec_from(dir, "interp_ok.EXIT42");
	status = tap_wait(pid);
	fd = open(path, O_WRONLY);
	tap_check(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 42 && fd >= 0,
		  "once closed it loads, and after the exec it takes writers again", "%s; %s",
		  tap_status_str(status), fd < 0 ? strerror(errno) : "open for writing");
	if (fd >= 0)
		close(fd);
}

static int is_program(const struct dirent *entry)
{
	return strncmp(entry->d_name, "interp_", 7) == 0;
}

static void test_bad_interpreters(void)
{
	char dir[512];
	const char *badelf = getenv("BADELF");
	struct dirent **list;

	if (badelf && *badelf) {
		char copy[512];
		snprintf(copy, sizeof copy, "%s", badelf);
		snprintf(dir, sizeof dir, "%s/badinterp", dirname(copy));
	} else {
		snprintf(dir, sizeof dir, "/badinterp");
	}
	check_interp_writers(dir);
	int count = scandir(dir, &list, is_program, alphasort);
	tap_check(count >= MIN_INTERP_FIXTURES, "the PT_INTERP fixtures are present",
		  "%d in %s (%s); want at least %d", count, dir,
		  count < 0 ? strerror(errno) : "too few", MIN_INTERP_FIXTURES);
	for (int i = 0; i < count; i++) {
		check_interp_fixture(dir, list[i]->d_name);
		free(list[i]);
	}
	if (count > 0)
		free(list);
}

int main(void)
{
	test_dynamic_program();
	test_static_pie();
	test_loader_as_command();
	test_glibc();
	test_sharing();
	test_bad_interpreters();
	return tap_done();
}
