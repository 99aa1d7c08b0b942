/*
 * kill - send a signal to processes: "kill [-SIG] PID...".  SIG is a number
 * or a name with or without the SIG prefix (-9, -KILL, -SIGKILL); the
 * default is TERM.  "kill -l" lists the names.
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static const struct {
	int number;
	const char *name;
} signals[] = {
	{ SIGHUP, "HUP" },   { SIGINT, "INT" },     { SIGQUIT, "QUIT" },
	{ SIGILL, "ILL" },   { SIGTRAP, "TRAP" },   { SIGABRT, "ABRT" },
	{ SIGBUS, "BUS" },   { SIGFPE, "FPE" },     { SIGKILL, "KILL" },
	{ SIGUSR1, "USR1" }, { SIGSEGV, "SEGV" },   { SIGUSR2, "USR2" },
	{ SIGPIPE, "PIPE" }, { SIGALRM, "ALRM" },   { SIGTERM, "TERM" },
	{ SIGCHLD, "CHLD" }, { SIGCONT, "CONT" },   { SIGSTOP, "STOP" },
	{ SIGTSTP, "TSTP" }, { SIGTTIN, "TTIN" },   { SIGTTOU, "TTOU" },
	{ SIGURG, "URG" },   { SIGXCPU, "XCPU" },   { SIGXFSZ, "XFSZ" },
	{ SIGVTALRM, "VTALRM" }, { SIGPROF, "PROF" }, { SIGWINCH, "WINCH" },
	{ SIGIO, "IO" },     { SIGPWR, "PWR" },     { SIGSYS, "SYS" },
};

#define NSIGNALS (sizeof signals / sizeof signals[0])

/* Signal number for "9", "KILL" or "SIGKILL"; -1 if unknown. */
static int parse_signal(const char *text)
{
	if (isdigit((unsigned char)text[0])) {
		char *end;
		long number = strtol(text, &end, 10);
		return *end == '\0' && number >= 0 && number < 65 ? (int)number : -1;
	}
	if (strncasecmp(text, "SIG", 3) == 0)
		text += 3;
	for (size_t i = 0; i < NSIGNALS; i++)
		if (strcasecmp(text, signals[i].name) == 0)
			return signals[i].number;
	return -1;
}

static void list_signals(void)
{
	for (size_t i = 0; i < NSIGNALS; i++)
		dprintf(STDOUT_FILENO, "%2d %s\n", signals[i].number, signals[i].name);
}

int main(int argc, char **argv)
{
	int sig = SIGTERM, first = 1, status = 0;

	if (argc == 2 && strcmp(argv[1], "-l") == 0) {
		list_signals();
		return 0;
	}
	if (argc > 1 && argv[1][0] == '-') {
		sig = parse_signal(argv[1] + 1);
		if (sig < 0) {
			dprintf(STDERR_FILENO, "kill: unknown signal '%s'\n", argv[1]);
			return 2;
		}
		first = 2;
	}
	if (first >= argc) {
		dprintf(STDERR_FILENO, "usage: kill [-SIG] PID...\n");
		return 2;
	}
	for (int i = first; i < argc; i++) {
		char *end;
		long pid = strtol(argv[i], &end, 10);
		if (end == argv[i] || *end != '\0') {
			dprintf(STDERR_FILENO, "kill: bad pid '%s'\n", argv[i]);
			status = 1;
		} else if (kill((pid_t)pid, sig) < 0) {
			dprintf(STDERR_FILENO, "kill: %ld: %s\n", pid, strerror(errno));
			status = 1;
		}
	}
	return status;
}
