/*
 * test_minish - the project's small shell, /bin/minish (user/bin/minish.c):
 * what it runs (programs, pipelines, quoting, $?, exit), and that it refuses
 * every piece of shell syntax it does not implement with
 * "minish: unsupported: X" and status 2 instead of passing it on as words.
 *
 * Each case feeds a script to minish on a pipe and checks its standard
 * output, its standard error and its exit status.  The commands are busybox
 * applets called as "busybox APPLET" (minish finds /bin/busybox), so the
 * test needs no applet links; on Linux, /bin/busybox is Debian's
 * busybox-static, which scripts/setup installs.  Environment: BIN, where
 * minish is (default /bin).
 * Runs on Linux: yes
 */
#include "tap.h"

#define OUT_MAX 4096

struct run {
	char out[OUT_MAX], err[OUT_MAX];
	int status;
};

/* Read fd to its end into buf (NUL-terminated, cut at OUT_MAX - 1). */
static void read_all(int fd, char *buf)
{
	size_t len = 0;
	ssize_t n;

	while (len < OUT_MAX - 1 && (n = read(fd, buf + len, OUT_MAX - 1 - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		len += n;
	}
	buf[len] = '\0';
}

/* Run minish with SCRIPT as its input; its output, errors and wait status
 * in r.  Small scripts and outputs only: everything fits the pipes. */
static int run_minish(const char *script, struct run *r)
{
	int in[2], out[2], err[2];

	if (pipe(in) || pipe(out) || pipe(err))
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		for (int fd = 3; fd < 16; fd++)
			close(fd);
		char *argv[] = { "minish", NULL };
		execve(tap_bin("minish"), argv, environ);
		_exit(126);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	tap_write_full(in[1], script, strlen(script));
	close(in[1]);
	read_all(out[0], r->out);
	read_all(err[0], r->err);
	close(out[0]);
	close(err[0]);
	r->status = tap_wait(pid);
	return pid < 0 ? -1 : 0;
}

/* One case: SCRIPT must print OUT on standard output, have ERR in its
 * standard error (after the prompts), and exit with STATUS. */
static void check(const char *what, const char *script, const char *out, const char *err,
		  int status)
{
	static struct run r;

	if (run_minish(script, &r) < 0) {
		tap_fail(what, "could not start minish: %s", strerror(errno));
		return;
	}
	if (strcmp(r.out, out))
		tap_fail(what, "output \"%s\", want \"%s\"", r.out, out);
	else if (!strstr(r.err, err))
		tap_fail(what, "errors \"%s\" lack \"%s\"", r.err, err);
	else if (!WIFEXITED(r.status) || WEXITSTATUS(r.status) != status)
		tap_fail(what, "%s, want exit status %d", tap_status_str(r.status), status);
	else
		tap_pass(what);
}

/* Each piece of syntax minish refuses, with the token it must name. */
static const char *const unsupported[][2] = {
	{ "busybox echo hi > /tmp/minish.out", ">" },
	{ "busybox echo hi >> /tmp/minish.out", ">>" },
	{ "busybox cat < /etc/passwd", "<" },
	{ "busybox cat <<EOF", "<<" },
	{ "busybox ls /nonexistent 2> /dev/null", "2>" },
	{ "busybox true; busybox echo two", ";" },
	{ "busybox true && busybox echo two", "&&" },
	{ "busybox false || busybox echo two", "||" },
	{ "busybox sleep 1 &", "&" },
	{ "busybox echo $(busybox pwd)", "$(" },
	{ "busybox echo `busybox pwd`", "`" },
	{ "busybox echo $HOME", "$HOME" },
	{ "busybox ls /bin/*", "*" },
	{ "busybox ls /bin/tru?", "?" },
	{ "busybox ls /bin/[t]rue", "[" },
	{ "{ busybox true; }", "{" },
	{ "(busybox true)", "(" },
	{ "GREETING=hello busybox env", "GREETING=hello" },
};

int main(void)
{
	char script[256], err[64];

	check("a program with arguments", "busybox echo hello world\n", "hello world\n", "$ ", 0);
	check("quoting: '...', \"...\" and a backslash",
	      "busybox echo 'a  b' \"c\\\"d\" e\\ f\n", "a  b c\"d e f\n", "", 0);
	check("a pipeline of three", "busybox echo one two three | busybox tr ' ' '\\n' | busybox wc -l\n",
	      "3\n", "", 0);
	check("$? is the last status", "busybox false\nbusybox echo $? \"$?\"\n", "1 1\n", "", 0);
	check("a missing program: not found, status 127", "nosuchprogram\nbusybox echo $?\n",
	      "127\n", "minish: nosuchprogram: not found", 0);
	check("# starts a comment", "busybox echo visible # hidden > x\n", "visible\n", "", 0);
	check("exit N ends the shell with N", "exit 7\nbusybox echo not reached\n", "", "", 7);
	check("end of input: the last status", "busybox false\n", "", "", 1);
	check("a word with = after the first is an argument", "busybox echo a=b\n", "a=b\n", "", 0);
	for (size_t i = 0; i < sizeof unsupported / sizeof unsupported[0]; i++) {
		char what[128];
		snprintf(script, sizeof script, "%s\n", unsupported[i][0]);
		snprintf(err, sizeof err, "minish: unsupported: %s\n", unsupported[i][1]);
		snprintf(what, sizeof what, "refused: %s", unsupported[i][0]);
		check(what, script, "", err, 2);
	}
	check("a refused line runs nothing, the next one runs",
	      "busybox echo a; busybox echo b\nbusybox echo $?\n", "2\n", "unsupported: ;", 0);
	check("inside quotes the characters are plain", "busybox echo '> ; & * $HOME' \"<|>\"\n",
	      "> ; & * $HOME <|>\n", "", 0);
	return tap_done();
}
