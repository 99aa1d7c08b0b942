/*
 * test_exec - execve: running real programs (/bin/true, /bin/false, and
 * /bin/echo with its output read through a pipe), passing argv and envp
 * exactly (checked by re-executing this program in a helper mode), the
 * auxiliary vector, a fresh address space after exec, and refusals: missing
 * files (ENOENT), directories (EACCES), text files and malformed ELF files
 * (ENOEXEC ...) with the caller left intact.
 *
 * Environment: BIN      helper programs and this program (default /bin);
 *              BADELF   fixtures written by mkbadelf (default /badelf);
 *              NONELF   a non-ELF file to try (default /README).
 * Runs on Linux: yes
 */
#include "tap.h"

#include <dirent.h>
#include <elf.h>
#include <fcntl.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define OUT_MAX (256 * 1024)
#define MIN_FIXTURES 20
#define MANY_ARGS 200
#define LONG_ARG 10000

extern char _start[];  /* the program entry point, from musl's crt1.o */

static char output[OUT_MAX], expected[OUT_MAX];

/* ---- helper modes: this program run again by execve -------------------- */

/* Append printf-style text to buf (of size OUT_MAX) at *len. */
__attribute__((format(printf, 3, 4)))
static void append(char *buf, size_t *len, const char *fmt, ...)
{
	va_list ap;

	if (*len >= OUT_MAX)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(buf + *len, OUT_MAX - *len, fmt, ap);
	va_end(ap);
	*len += n > 0 ? (size_t)n : 0;
	if (*len > OUT_MAX)
		*len = OUT_MAX;
}

/* The text the vector-printing helper writes for a pid, argv and envp. */
static size_t format_vectors(char *buf, pid_t pid, char **argv, char **envp)
{
	size_t len = 0;
	int argc = 0, envc = 0;

	while (argv[argc])
		argc++;
	while (envp[envc])
		envc++;
	append(buf, &len, "pid=%d\nargc=%d\n", pid, argc);
	for (int i = 0; i < argc; i++)
		append(buf, &len, "argv[%d]=%s\n", i, argv[i]);
	append(buf, &len, "envc=%d\n", envc);
	for (int i = 0; i < envc; i++)
		append(buf, &len, "env[%d]=%s\n", i, envp[i]);
	return len;
}

static int helper_print_vectors(char **argv)
{
	size_t len = format_vectors(output, getpid(), argv, environ);

	return tap_write_full(STDOUT_FILENO, output, len) == (ssize_t)len ? 0 : 1;
}

/* Exit 0 if addr is not mapped: write(2) from it must fail with EFAULT. */
static int helper_probe_unmapped(const char *addr_text)
{
	void *addr = (void *)strtoul(addr_text, NULL, 0);
	int p[2];

	if (pipe(p) < 0)
		return 2;
	return write(p[1], addr, 1) < 0 && errno == EFAULT ? 0 : 1;
}

/* Exit 0 if SIGPIPE is ignored (ignored signals stay ignored across exec). */
static int helper_sigpipe_ignored(void)
{
	struct sigaction old;

	if (sigaction(SIGPIPE, NULL, &old) < 0)
		return 2;
	return old.sa_handler == SIG_IGN ? 0 : 1;
}

static int run_helper(int argc, char **argv)
{
	if (strcmp(argv[1], "--print-vectors") == 0)
		return helper_print_vectors(argv);
	if (strcmp(argv[1], "--probe-unmapped") == 0 && argc == 3)
		return helper_probe_unmapped(argv[2]);
	if (strcmp(argv[1], "--sigpipe-ignored") == 0)
		return helper_sigpipe_ignored();
	return 3;
}

/* ---- running programs ------------------------------------------------- */

/* Run path in a child with stdout captured into output; returns the wait
 * status and stores the output length and the child's pid. */
static int run_capture(const char *path, char **argv, char **envp,
		       size_t *len, pid_t *pid_out)
{
	int p[2];

	*len = 0;
	if (pipe(p) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[1], STDOUT_FILENO);
		close(p[0]);
		close(p[1]);
		execve(path, argv, envp);
		_exit(127);
	}
	close(p[1]);
	ssize_t n = read_full(p[0], output, sizeof output);
	close(p[0]);
	*len = n > 0 ? (size_t)n : 0;
	if (pid_out)
		*pid_out = pid;
	return tap_wait(pid);
}

static int run_status(const char *path, char **argv, char **envp)
{
	size_t len;

	return run_capture(path, argv, envp, &len, NULL);
}

static int exited_with(int status, int code)
{
	return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == code;
}

static void test_true_false_echo(void)
{
	char *true_argv[] = { "true", NULL }, *false_argv[] = { "false", NULL };
	char *echo_argv[] = { "echo", "hello", "world", NULL };
	char *no_env[] = { NULL };
	size_t len;

	int status = run_status(tap_bin("true"), true_argv, no_env);
	tap_check(exited_with(status, 0), "execve /bin/true: exit status 0", "%s",
		  tap_status_str(status));
	status = run_status(tap_bin("false"), false_argv, no_env);
	tap_check(exited_with(status, 1), "execve /bin/false: exit status 1", "%s",
		  tap_status_str(status));
	status = run_capture(tap_bin("echo"), echo_argv, no_env, &len, NULL);
	tap_check(exited_with(status, 0) && len == 12 &&
		  memcmp(output, "hello world\n", 12) == 0,
		  "execve /bin/echo hello world: output through a pipe",
		  "%s, output '%.*s'", tap_status_str(status), (int)len, output);
}

/* Run the vector-printing helper and compare its report with ours. */
static void check_vectors(char **argv, char **envp, const char *what)
{
	size_t len;
	pid_t pid = 0;
	int status = run_capture(tap_bin("test_exec"), argv, envp, &len, &pid);
	size_t want = format_vectors(expected, pid, argv, envp);

	if (!exited_with(status, 0))
		tap_fail(what, "helper %s", tap_status_str(status));
	else if (len != want || memcmp(output, expected, len) != 0)
		tap_fail(what, "helper reported %zu bytes, want %zu", len, want);
	else
		tap_pass(what);
}

static void test_vectors(void)
{
	char *argv[] = { "test_exec", "--print-vectors", "one", "two words", "",
			 NULL };
	char *envp[] = { "A=1", "B=hello world", "EMPTY=", NULL };
	char *no_env[] = { NULL };

	check_vectors(argv, envp, "argv and envp arrive exactly, pid is unchanged");
	check_vectors(argv, no_env, "an empty environment arrives empty");

	static char *many_argv[MANY_ARGS + 4], *many_envp[51];
	static char names[MANY_ARGS + 50][16], long_arg[LONG_ARG + 1];
	many_argv[0] = "test_exec";
	many_argv[1] = "--print-vectors";
	for (int i = 0; i < MANY_ARGS; i++) {
		snprintf(names[i], sizeof names[i], "arg%d", i);
		many_argv[i + 2] = names[i];
	}
	memset(long_arg, 'x', LONG_ARG);
	many_argv[MANY_ARGS + 2] = long_arg;
	for (int i = 0; i < 50; i++) {
		snprintf(names[MANY_ARGS + i], sizeof names[0], "VAR%d=%d", i, i * i);
		many_envp[i] = names[MANY_ARGS + i];
	}
	check_vectors(many_argv, many_envp,
		      "200 arguments, a 10000-byte argument and 50 variables arrive");
}

static void test_fresh_address_space(void)
{
	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char addr[32];

	if (p == MAP_FAILED) {
		tap_fail("exec replaces the address space", "mmap: %s", strerror(errno));
		return;
	}
	p[0] = 1;
	snprintf(addr, sizeof addr, "%p", (void *)p);
	char *argv[] = { "test_exec", "--probe-unmapped", addr, NULL };
	int status = run_status(tap_bin("test_exec"), argv, environ);
	tap_check(exited_with(status, 0),
		  "after execve, the caller's old mappings are gone", "helper %s",
		  tap_status_str(status));
	munmap(p, 4096);

	struct sigaction ignore = { .sa_handler = SIG_IGN }, old;
	char *sig_argv[] = { "test_exec", "--sigpipe-ignored", NULL };
	sigaction(SIGPIPE, &ignore, &old);
	status = run_status(tap_bin("test_exec"), sig_argv, environ);
	sigaction(SIGPIPE, &old, NULL);
	tap_check(exited_with(status, 0), "an ignored signal stays ignored after execve",
		  "helper %s", tap_status_str(status));
}

/* ---- the auxiliary vector and the initial stack ------------------------ */

static int has_load_segment(const Elf64_Phdr *phdr, unsigned long count)
{
	for (unsigned long i = 0; phdr && i < count; i++)
		if (phdr[i].p_type == PT_LOAD)
			return 1;
	return 0;
}

static void test_auxv(int argc, char **argv)
{
	const unsigned char *random = (const unsigned char *)getauxval(AT_RANDOM);
	int random_nonzero = 0;

	tap_check_long(getauxval(AT_PAGESZ), 4096, "AT_PAGESZ is 4096");
	tap_check(random != NULL, "AT_RANDOM is present", "missing");
	for (int i = 0; random && i < 16; i++)
		random_nonzero |= random[i];
	tap_check(random_nonzero, "AT_RANDOM points to 16 bytes, not all zero",
		  "all zero");
	tap_check_long(getauxval(AT_PHENT), sizeof(Elf64_Phdr),
		       "AT_PHENT is sizeof(Elf64_Phdr)");
	tap_check(has_load_segment((const Elf64_Phdr *)getauxval(AT_PHDR),
				   getauxval(AT_PHNUM)),
		  "AT_PHDR/AT_PHNUM describe our program headers (with a PT_LOAD)",
		  "AT_PHDR %#lx AT_PHNUM %lu", getauxval(AT_PHDR), getauxval(AT_PHNUM));
	tap_check(getauxval(AT_ENTRY) == (unsigned long)_start,
		  "AT_ENTRY is the program's entry point _start", "%#lx, want %p",
		  getauxval(AT_ENTRY), (void *)_start);
	tap_check(argc >= 1 && argv[0] != NULL && argv[argc] == NULL,
		  "argv[0] is set and argv[argc] is NULL", "argc %d", argc);
	tap_check(environ == argv + argc + 1,
		  "envp starts right after argv's NULL on the initial stack",
		  "environ %p, argv %p", (void *)environ, (void *)argv);
}

/* ---- refusals --------------------------------------------------------- */

static int canary_global = 0x1234;

static void check_direct_refusal(const char *path, int want, const char *what)
{
	char *argv[] = { (char *)path, NULL };

	errno = 0;
	long ret = execve(path, argv, environ);
	tap_check_errno(ret, errno, want, what);
}

static void test_simple_refusals(void)
{
	char path[256];

	check_direct_refusal("/nonexistent/program", ENOENT,
			     "execve of a missing path -> ENOENT");
	snprintf(path, sizeof path, "%s/no_such_program", tap_bin_dir());
	check_direct_refusal(path, ENOENT, "execve of a missing file in $BIN -> ENOENT");
	snprintf(path, sizeof path, "%s/true/x", tap_bin_dir());
	check_direct_refusal(path, ENOTDIR,
			     "execve with a file used as a directory -> ENOTDIR");
	check_direct_refusal(tap_bin_dir(), EACCES, "execve of a directory -> EACCES");
	tap_check(canary_global == 0x1234, "the caller carries on after failed execve",
		  "global changed");
}

/* /README (or $NONELF): text.  Linux refuses a text file with ENOEXEC if it
 * is executable, and with EACCES first if it is not. */
static void test_text_file(void)
{
	const char *path = getenv("NONELF") ? getenv("NONELF") : "/README";
	const char *what = "execve of a text file -> ENOEXEC (EACCES if not executable)";
	struct stat st;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st) < 0) {
		tap_skip(what, "no such file");
		return;
	}
	close(fd);
	check_direct_refusal(path, (st.st_mode & 0111) ? ENOEXEC : EACCES, what);
}

/* In a child: execve path; if it returns, exit with errno after checking
 * that the global, heap, stack and mmap memory are all still intact. */
static void exec_with_canaries(const char *path)
{
	char stack_canary[64];
	char *heap_canary = malloc(64);
	char *mapped = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *argv[] = { (char *)path, NULL }, *envp[] = { NULL };

	if (!heap_canary || mapped == MAP_FAILED)
		_exit(125);
	memset(stack_canary, 's', sizeof stack_canary);
	memset(heap_canary, 'h', 64);
	memset(mapped, 'm', 4096);
	canary_global = 0x4321;

	execve(path, argv, envp);
	int err = errno;
	int intact = canary_global == 0x4321 && stack_canary[63] == 's' &&
		     heap_canary[63] == 'h' && mapped[4095] == 'm';
	_exit(intact && err > 0 && err < 125 ? err : 126);
}

static const struct {
	const char *name;
	int number;
} errno_names[] = {
	{ "ENOEXEC", ENOEXEC }, { "EACCES", EACCES }, { "EINVAL", EINVAL },
	{ "ENOMEM", ENOMEM },   { "EIO", EIO },       { "ENOENT", ENOENT },
	{ "EFAULT", EFAULT },   { "E2BIG", E2BIG },   { "EPERM", EPERM },
};

static int errno_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof errno_names / sizeof errno_names[0]; i++)
		if (strcmp(name, errno_names[i].name) == 0)
			return errno_names[i].number;
	return -1;
}

/* Describe what happened to the child in exec_with_canaries. */
static const char *exec_outcome(int status)
{
	static char text[96];

	if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 126)
		return "execve failed and the caller's memory was damaged";
	if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) < 125 &&
	    WEXITSTATUS(status) != 42 && WEXITSTATUS(status) > 0) {
		snprintf(text, sizeof text, "execve failed: %s",
			 strerror(WEXITSTATUS(status)));
		return text;
	}
	if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 42)
		return "the program ran and exited 42";
	return tap_status_str(status);
}

/* Did the outcome match the file name's .EXPECT suffix? */
static int outcome_matches(const char *expect, int status)
{
	if (status == -1)
		return 0;
	if (strcmp(expect, "EXIT42") == 0)
		return exited_with(status, 42);
	if (strcmp(expect, "FAIL") == 0)
		return WIFSIGNALED(status) ||
		       (WIFEXITED(status) && WEXITSTATUS(status) > 0 &&
			WEXITSTATUS(status) < 125 && WEXITSTATUS(status) != 42);
	int err = errno_from_name(expect);
	return err > 0 && exited_with(status, err);
}

static void check_fixture(const char *dir, const char *name)
{
	char path[512], what[320];
	const char *dot = strrchr(name, '.');
	const char *expect = dot ? dot + 1 : "?";

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (strcmp(expect, "EXIT42") == 0)
		snprintf(what, sizeof what, "execve %s: runs and exits 42", name);
	else if (strcmp(expect, "FAIL") == 0)
		snprintf(what, sizeof what, "execve %s: refused or killed, never run",
			 name);
	else
		snprintf(what, sizeof what, "execve %s -> %s, caller intact", name,
			 expect);
	pid_t pid = fork();
	if (pid == 0)
		exec_with_canaries(path);
	int status = tap_wait(pid);
	if (strcmp(expect, "FAIL") == 0)
		tap_diag("%s: %s\n", name, exec_outcome(status));
	tap_check(outcome_matches(expect, status), what, "%s", exec_outcome(status));
}

static int visible(const struct dirent *entry)
{
	return entry->d_name[0] != '.';
}

static void test_fixtures(void)
{
	const char *dir = getenv("BADELF") ? getenv("BADELF") : "/badelf";
	struct dirent **list;
	int count = scandir(dir, &list, visible, alphasort);

	tap_check(count >= MIN_FIXTURES, "the malformed-ELF fixtures are present",
		  "%d files in %s (%s); want at least %d", count, dir,
		  count < 0 ? strerror(errno) : "too few", MIN_FIXTURES);
	for (int i = 0; i < count; i++) {
		check_fixture(dir, list[i]->d_name);
		free(list[i]);
	}
	if (count > 0)
		free(list);
}

/* Exec'd with an empty argv (and TEST_EXEC_EXECFN=PATH in the environment):
 * exit 0 when argv is { "" } and AT_EXECFN is PATH, as on Linux 6.1. */
static int helper_empty_argv(int argc, char **argv, const char *path)
{
	const char *execfn = (const char *)getauxval(AT_EXECFN);

	return argc == 1 && argv[0] && !argv[0][0] && !argv[1] && execfn && !strcmp(execfn, path)
		       ? 0 : 1;
}

/* execve with argv = { NULL }: the program still gets argv[0] (""), and
 * AT_EXECFN names the path that was executed. */
static void test_empty_argv(void)
{
	char path[256], env[300];
	char *argv[] = { NULL }, *envp[] = { env, NULL };

	snprintf(path, sizeof path, "%s", tap_bin("test_exec"));
	snprintf(env, sizeof env, "TEST_EXEC_EXECFN=%s", path);
	int status = run_status(path, argv, envp);
	tap_check(exited_with(status, 0),
		  "an empty argv arrives as { \"\" }, AT_EXECFN is the executed path",
		  "helper %s", tap_status_str(status));
}

int main(int argc, char **argv)
{
	const char *execfn_want = getenv("TEST_EXEC_EXECFN");

	if (execfn_want)
		return helper_empty_argv(argc, argv, execfn_want);
	if (argc > 1 && strncmp(argv[1], "--", 2) == 0)
		return run_helper(argc, argv);

	test_auxv(argc, argv);
	test_true_false_echo();
	test_vectors();
	test_empty_argv();
	test_fresh_address_space();
	test_simple_refusals();
	test_text_file();
	test_fixtures();
	return tap_done();
}
