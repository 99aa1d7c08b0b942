/*
 * bench - micro-benchmarks of process creation.  Each prints one line
 *
 *     bench NAME VALUE UNIT
 *
 * where VALUE is the mean over many rounds, timed with
 * clock_gettime(CLOCK_MONOTONIC).
 *
 *     bench [-q] [-a] [NAME...]
 *
 * -q  quick: a few rounds each (for smoke tests);
 * -a  all benchmarks, including the ones not run by default;
 * NAME... run just these.
 *
 * To add a benchmark, write a function that runs `rounds` rounds and
 * returns the mean in the unit it reports, then add a row to the table.
 * Env: BIN, directory holding "true" for fork_exec_wait (default /bin).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MiB (1024L * 1024)
#define PAGE 4096L

struct benchmark {
	const char *name;
	const char *unit;
	double (*run)(const struct benchmark *b, int rounds);
	long mib;          /* memory to touch before forking, for fork_* */
	int rounds;        /* rounds in a normal run */
	int by_default;    /* run when no names are given and -a is not */
};

/* ---- helpers ---------------------------------------------------------- */

/* Print a formatted line with a single write(2). */
__attribute__((format(printf, 1, 2)))
static void say(const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	int len = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (len > (int)sizeof line - 1)
		len = sizeof line - 1;
	if (len > 0 && write(STDOUT_FILENO, line, len) < 0)
		return;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* Map mib MiB of private memory and write every page, so it is really
 * there (and must be shared or copied by fork). */
static char *touch_memory(long mib)
{
	if (mib == 0)
		return NULL;
	char *p = mmap(NULL, mib * MiB, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		say("# bench: mmap %ld MiB: %s\n", mib, strerror(errno));
		exit(1);
	}
	for (long off = 0; off < mib * MiB; off += PAGE)
		p[off] = (char)off | 1;
	return p;
}

static void wait_child(pid_t pid)
{
	int status;

	if (pid < 0) {
		say("# bench: fork: %s\n", strerror(errno));
		exit(1);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
}

/* ---- the benchmarks --------------------------------------------------- */

/* fork, the child _exits at once, the parent waits. */
static double fork_exit_wait(const struct benchmark *b, int rounds)
{
	char *memory = touch_memory(b->mib);
	double total = 0;

	for (int i = 0; i <= rounds; i++) {
		double start = now_us();
		pid_t pid = fork();
		if (pid == 0)
			_exit(0);
		wait_child(pid);
		if (i > 0)  /* round 0 warms up */
			total += now_us() - start;
	}
	if (memory)
		munmap(memory, b->mib * MiB);
	return total / rounds;
}

/* fork, the child execs /bin/true, the parent waits. */
static double fork_exec_wait(const struct benchmark *b, int rounds)
{
	const char *bin = getenv("BIN") ? getenv("BIN") : "/bin";
	char path[256];
	char *argv[] = { "true", NULL }, *envp[] = { NULL };
	double total = 0;

	(void)b;
	snprintf(path, sizeof path, "%s/true", bin);
	for (int i = 0; i <= rounds; i++) {
		double start = now_us();
		pid_t pid = fork();
		if (pid == 0) {
			execve(path, argv, envp);
			_exit(127);
		}
		wait_child(pid);
		if (i > 0)
			total += now_us() - start;
	}
	return total / rounds;
}

static const struct benchmark benchmarks[] = {
	{ "fork_exit_wait_0MiB",  "us", fork_exit_wait,  0, 200, 1 },
	{ "fork_exec_wait",       "us", fork_exec_wait,  0, 100, 1 },
	{ "fork_exit_wait_1MiB",  "us", fork_exit_wait,  1, 100, 0 },
	{ "fork_exit_wait_4MiB",  "us", fork_exit_wait,  4, 100, 0 },
	{ "fork_exit_wait_16MiB", "us", fork_exit_wait, 16,  50, 0 },
	{ "fork_exit_wait_64MiB", "us", fork_exit_wait, 64,  20, 0 },
};

#define NBENCH (sizeof benchmarks / sizeof benchmarks[0])

/* ---- main ------------------------------------------------------------- */

static void run(const struct benchmark *b, int quick)
{
	int rounds = quick ? 3 : b->rounds;
	double value = b->run(b, rounds);

	say("bench %s %.1f %s\n", b->name, value, b->unit);
}

static const struct benchmark *find(const char *name)
{
	for (size_t i = 0; i < NBENCH; i++)
		if (strcmp(benchmarks[i].name, name) == 0)
			return &benchmarks[i];
	return NULL;
}

/* Note the kernel's fork mode, if it has the switch. */
static void print_setup(void)
{
	char value[16] = "";
	int fd = open("/proc/sys/vm/cow_fork", O_RDONLY);

	if (fd < 0)
		return;
	ssize_t n = read(fd, value, sizeof value - 1);
	close(fd);
	if (n > 0)
		say("# cow_fork=%.*s\n", (int)strcspn(value, "\n"), value);
}

int main(int argc, char **argv)
{
	int quick = 0, all = 0, first = 1, status = 0;

	for (; first < argc && argv[first][0] == '-'; first++) {
		if (strcmp(argv[first], "-q") == 0)
			quick = 1;
		else if (strcmp(argv[first], "-a") == 0)
			all = 1;
		else {
			say("usage: bench [-q] [-a] [NAME...]\n");
			return 2;
		}
	}
	print_setup();
	if (first == argc) {
		for (size_t i = 0; i < NBENCH; i++)
			if (all || benchmarks[i].by_default)
				run(&benchmarks[i], quick);
		return 0;
	}
	for (int i = first; i < argc; i++) {
		const struct benchmark *b = find(argv[i]);
		if (b)
			run(b, quick);
		else {
			say("# bench: unknown benchmark %s\n", argv[i]);
			status = 1;
		}
	}
	return status;
}
