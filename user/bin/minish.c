/*
 * minish - the project's small shell: the teaching example of fork, exec and
 * wait (as xv6's sh is); the login shell is busybox's ash.
 *
 * Prints the prompt "$ ", reads a line from standard input, and runs it:
 *
 *     prog arg...             fork, execve (a name without '/' is looked
 *                             up in /bin), wait4
 *     a | b | c               a pipeline
 *     'single' "double"       quoting; in "..." a backslash escapes " \ $
 *     \c                      a backslash outside quotes escapes c
 *     $?                      the status of the last command
 *     # comment               ignored to the end of the line
 *     exit [N]                builtin: leave the shell
 *     poweroff                builtin: reboot(RB_POWER_OFF)
 *
 * A missing program prints "minish: NAME: not found" (status 127).  A command
 * killed by a signal prints the signal's description, such as
 * "Segmentation fault" (status 128+N).  End of input (Ctrl-D) exits.
 *
 * Anything else a POSIX shell would treat specially is refused, not passed
 * on as a word: "minish: unsupported: X" (status 2) for redirections
 * (> >> < << 2>), ; & && || ( ) { }, $NAME and $( ), backquotes, the glob
 * characters * ? [, and an assignment NAME=value as the first word.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <unistd.h>

#define LINE_MAX_LEN 4096
#define MAX_WORDS 256
#define MAX_STAGES 16

struct command {
	char *argv[MAX_WORDS + 1];
	int argc;
};

struct pipeline {
	struct command stages[MAX_STAGES];
	int count;
};

static int last_status;

/* Print a formatted message on stderr with a single write(2). */
__attribute__((format(printf, 1, 2)))
static void print_error(const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	int len = vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (len > (int)sizeof text - 1)
		len = sizeof text - 1;
	if (len > 0 && write(STDERR_FILENO, text, len) < 0)
		return;
}

/* ---- reading a line --------------------------------------------------- */

static void show_prompt(void)
{
	if (write(STDERR_FILENO, "$ ", 2) < 0)
		return;
}

/* At end of input, end the prompt's line. */
static void show_prompt_end(void)
{
	if (write(STDERR_FILENO, "\n", 1) < 0)
		return;
}

/* Read one line, a byte at a time so that input meant for the commands we
 * run stays unread.  Accepts "\n", "\r" or "\r\n" as the end of a line.
 * Returns the length, or -1 at end of input with nothing read. */
static int read_line(char *line, int size)
{
	static int after_cr;
	int len = 0, too_long = 0;
	char c;

	for (;;) {
		ssize_t n = read(STDIN_FILENO, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (len == 0)
				return -1;
			break;
		}
		if (c == '\n' && after_cr && len == 0) {
			after_cr = 0;
			continue;
		}
		after_cr = c == '\r';
		if (c == '\n' || c == '\r')
			break;
		if (len < size - 1)
			line[len++] = c;
		else
			too_long = 1;
	}
	line[len] = '\0';
	if (too_long)
		print_error("minish: line too long, cut to %d bytes\n", size - 1);
	return len;
}

/* ---- parsing ---------------------------------------------------------- */

struct parser {
	const char *in;    /* next input character */
	char *out;         /* where the next word character goes */
	char *out_end;
	int in_word;       /* has the current word started? */
	struct pipeline *pl;
};

/* Append c to the current word (the store is sized so it cannot run out
 * for a line of LINE_MAX_LEN; end_word checks anyway). */
static void put_char(struct parser *p, char c)
{
	if (p->out < p->out_end)
		*p->out++ = c;
	p->in_word = 1;
}

static void put_status(struct parser *p)
{
	char digits[16];

	snprintf(digits, sizeof digits, "%d", last_status);
	for (char *d = digits; *d; d++)
		put_char(p, *d);
}

/* Finish the current word, if any, by ending it with a NUL.  (start_word
 * already put it in the command's argv.) */
static int end_word(struct parser *p)
{
	if (!p->in_word)
		return 0;
	if (p->out >= p->out_end) {
		print_error("minish: line too long\n");
		return -1;
	}
	*p->out++ = '\0';
	p->in_word = 0;
	return 0;
}

/* Begin a word at the current output position, unless one is under way. */
static int start_word(struct parser *p)
{
	struct command *cmd = &p->pl->stages[p->pl->count - 1];

	if (p->in_word)
		return 0;
	if (cmd->argc >= MAX_WORDS) {
		print_error("minish: too many words\n");
		return -1;
	}
	cmd->argv[cmd->argc++] = p->out;
	return 0;
}

/* Copy a quoted string; p->in points just after the opening quote. */
static int copy_quoted(struct parser *p, char quote)
{
	if (start_word(p) < 0)
		return -1;
	p->in_word = 1;
	for (; *p->in && *p->in != quote; p->in++) {
		if (quote == '"' && p->in[0] == '$' && p->in[1] == '?') {
			put_status(p);
			p->in++;
		} else if (quote == '"' && p->in[0] == '\\' && p->in[1] &&
			   strchr("\"\\$", p->in[1])) {
			put_char(p, *++p->in);
		} else {
			put_char(p, *p->in);
		}
	}
	if (*p->in != quote) {
		print_error("minish: missing closing %c\n", quote);
		return -1;
	}
	p->in++;
	return 0;
}

/* Start a new pipeline stage after a '|'. */
static int new_stage(struct parser *p)
{
	if (p->pl->stages[p->pl->count - 1].argc == 0 ||
	    p->pl->count == MAX_STAGES) {
		print_error("minish: syntax error near '|'\n");
		return -1;
	}
	p->pl->stages[p->pl->count++].argc = 0;
	return 0;
}

/* The length of the shell variable name at NAME: letters, digits, '_'. */
static int name_length(const char *name)
{
	int n = 0;

	while (name[n] == '_' || isalnum((unsigned char)name[n]))
		n++;
	return n;
}

/* The length of the unsupported syntax at p->in outside quotes (see the
 * top of the file), or 0 if there is none.  word_start: p->in begins a word. */
static int unsupported_length(const char *in, int word_start, int first_word)
{
	static const char *const ops[] = { ">>", "<<", "&&", "||", "$(", "2>" };
	int n = 0;

	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (!strncmp(in, ops[i], 2) && (ops[i][0] != '2' || word_start))
			return 2;
	if (in[0] == '$' && (in[1] == '_' || isalpha((unsigned char)in[1])))
		return 1 + name_length(in + 1);
	if ((in[0] && strchr("<>;&(){}`*?[", in[0])) || (in[0] == '$' && in[1] && in[1] != '?'))
		return 1;
	if (!first_word || !(in[0] == '_' || isalpha((unsigned char)in[0])))
		return 0;
	n = name_length(in);
	if (in[n] != '=')
		return 0;
	return n + (int)strcspn(in + n, " \t");
}

/* Handle one character (or escape/quote/$?) outside quotes. */
static int parse_step(struct parser *p)
{
	char c = *p->in;
	int first_word = p->pl->stages[p->pl->count - 1].argc == 0;
	int bad = unsupported_length(p->in, !p->in_word, first_word && !p->in_word);

	if (bad) {
		print_error("minish: unsupported: %.*s\n", bad, p->in);
		return -1;
	}

	if (c == ' ' || c == '\t') {
		p->in++;
		return end_word(p);
	}
	if (c == '|') {
		p->in++;
		return end_word(p) < 0 ? -1 : new_stage(p);
	}
	if (c == '\'' || c == '"') {
		p->in++;
		return copy_quoted(p, c);
	}
	if (start_word(p) < 0)
		return -1;
	if (c == '\\' && p->in[1]) {
		put_char(p, p->in[1]);
		p->in += 2;
	} else if (c == '$' && p->in[1] == '?') {
		put_status(p);
		p->in += 2;
	} else {
		put_char(p, c);
		p->in++;
	}
	return 0;
}

/* Split line into a pipeline of commands, words stored in store.
 * Returns 0 on success (pl->count may be 0 for an empty line), -1 on error. */
static int parse_line(const char *line, struct pipeline *pl, char *store,
		      size_t store_size)
{
	struct parser p = { line, store, store + store_size, 0, pl };

	pl->count = 1;
	pl->stages[0].argc = 0;
	while (*p.in) {
		if (*p.in == '#' && !p.in_word)
			break;
		if (parse_step(&p) < 0)
			return -1;
	}
	if (end_word(&p) < 0)
		return -1;
	struct command *last = &pl->stages[pl->count - 1];
	if (last->argc == 0) {
		if (pl->count > 1) {
			print_error("minish: syntax error: nothing after '|'\n");
			return -1;
		}
		pl->count = 0;
	}
	for (int i = 0; i < pl->count; i++)
		pl->stages[i].argv[pl->stages[i].argc] = NULL;
	return 0;
}

/* ---- running ---------------------------------------------------------- */

/* In a child: replace ourselves with the command. Never returns. */
static void exec_command(char **argv)
{
	char path[LINE_MAX_LEN + 8];

	if (strchr(argv[0], '/'))
		snprintf(path, sizeof path, "%s", argv[0]);
	else
		snprintf(path, sizeof path, "/bin/%s", argv[0]);
	execve(path, argv, environ);
	if (errno == ENOENT) {
		print_error("minish: %s: not found\n", argv[0]);
		_exit(127);
	}
	print_error("minish: %s: %s\n", argv[0], strerror(errno));
	_exit(126);
}

/* Put PID in process group PGID (0: its own), from both sides of the fork
 * so that neither has to wait for the other. */
static void join_group(pid_t pid, pid_t pgid)
{
	setpgid(pid, pgid);
}

/* Give the terminal's Ctrl-C to process group PGID. */
static void hand_terminal(pid_t pgid)
{
	if (isatty(STDIN_FILENO))
		tcsetpgrp(STDIN_FILENO, pgid);
}

/* Fork a pipeline stage reading in_fd and writing out_fd, in process group
 * PGID (0: a new group led by this stage). close_fd is the read end of the
 * next pipe, which this stage must not keep open. */
static pid_t spawn(struct command *cmd, pid_t pgid, int in_fd, int out_fd, int close_fd)
{
	pid_t pid = fork();

	if (pid != 0) {
		if (pid > 0)
			join_group(pid, pgid ? pgid : pid);
		return pid;
	}
	join_group(0, pgid);
	signal(SIGINT, SIG_DFL);	/* the shell ignores them; the command must not */
	signal(SIGQUIT, SIG_DFL);
	if (in_fd != STDIN_FILENO) {
		dup2(in_fd, STDIN_FILENO);
		close(in_fd);
	}
	if (out_fd != STDOUT_FILENO) {
		dup2(out_fd, STDOUT_FILENO);
		close(out_fd);
	}
	if (close_fd >= 0)
		close(close_fd);
	exec_command(cmd->argv);
	return -1;
}

/* Turn a wait status into $? and say so if a signal killed the command. */
static int report(int status)
{
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		if (sig != SIGINT && sig != SIGPIPE)
			print_error("%s\n", strsignal(sig));
		return 128 + sig;
	}
	return WEXITSTATUS(status);
}

static int wait_for(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 255;
	return report(status);
}

static int run_pipeline(struct pipeline *pl)
{
	pid_t pids[MAX_STAGES];
	int started = 0, in_fd = STDIN_FILENO, status = 0;

	for (int i = 0; i < pl->count; i++) {
		int p[2] = { -1, STDOUT_FILENO };
		if (i + 1 < pl->count && pipe(p) < 0) {
			print_error("minish: pipe: %s\n", strerror(errno));
			break;
		}
		pids[i] = spawn(&pl->stages[i], started ? pids[0] : 0, in_fd, p[1], p[0]);
		if (i == 0 && pids[0] > 0)
			hand_terminal(pids[0]);
		if (in_fd != STDIN_FILENO)
			close(in_fd);
		if (p[1] != STDOUT_FILENO)
			close(p[1]);
		in_fd = p[0];
		if (pids[i] < 0) {
			print_error("minish: fork: %s\n", strerror(errno));
			break;
		}
		started++;
	}
	if (in_fd > STDIN_FILENO && started < pl->count)
		close(in_fd);
	for (int i = 0; i < started; i++)
		status = wait_for(pids[i]);
	hand_terminal(getpgrp());
	return started == pl->count ? status : 1;
}

/* ---- builtins --------------------------------------------------------- */

/* Run a builtin if cmd is one; returns 1 if it was. */
static int run_builtin(struct command *cmd)
{
	if (strcmp(cmd->argv[0], "exit") == 0) {
		exit(cmd->argc > 1 ? atoi(cmd->argv[1]) & 255 : last_status);
	}
	if (strcmp(cmd->argv[0], "poweroff") == 0) {
		reboot(RB_POWER_OFF);
		print_error("minish: poweroff: %s\n", strerror(errno));
		last_status = 1;
		return 1;
	}
	return 0;
}

int main(void)
{
	static char line[LINE_MAX_LEN], store[2 * LINE_MAX_LEN];
	static struct pipeline pl;

	/* Ctrl-C and Ctrl-\ are for the command in the foreground, not for us;
	 * taking the terminal back from it must not stop us either. */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	signal(SIGTTOU, SIG_IGN);
	for (;;) {
		show_prompt();
		if (read_line(line, sizeof line) < 0)
			break;
		if (parse_line(line, &pl, store, sizeof store) < 0) {
			last_status = 2;
			continue;
		}
		if (pl.count == 0)
			continue;
		if (pl.count == 1 && run_builtin(&pl.stages[0]))
			continue;
		last_status = run_pipeline(&pl);
	}
	show_prompt_end();
	return last_status;
}
