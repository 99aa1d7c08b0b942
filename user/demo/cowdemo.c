/*
 * cowdemo - watch copy-on-write happen, with pmap and the fault counters.
 *
 *     cowdemo [PAGES]        (default 8 pages)
 *
 * 1. writes PAGES pages of its own memory        pmap: W W W W ...  (private)
 * 2. forks; the child waits                      pmap of the child: C C C C ... (shared)
 * 3. the child writes one byte of page 3         one cow_fault, one cow_copy;
 *                                                child: C C C W C ...  parent: page 3 W
 * 4. the child exits; the parent writes page 0   a cow_reuse: the last owner writes
 *                                                in place, no copy
 *
 * pmap is run with vfork, so it does not share cowdemo's pages itself.
 * Try it with `trace=fault` on the kernel command line to see each decision.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096L
/* Where the pages go (a hint to mmap), so that a debugger session can name
 * them: docs/walkthrough.md stops in cow_fault when va is page 3 of it. */
#define DEMO_ADDR ((void *)0x7000000000UL)

struct counters {
	long cow_fault, cow_copy, cow_reuse;
};

static long field(const char *text, const char *key)
{
	size_t n = strlen(key);

	for (const char *line = text; line && *line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (!strncmp(line, key, n) && line[n] == ' ')
			return strtol(line + n + 1, NULL, 10);
	}
	return -1;
}

static struct counters counters(void)
{
	static char buf[4096];
	struct counters c = { -1, -1, -1 };
	int fd = open("/proc/vmstat", O_RDONLY);

	if (fd < 0)
		return c;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return c;
	buf[n] = '\0';
	c.cow_fault = field(buf, "cow_fault");
	c.cow_copy = field(buf, "cow_copy");
	c.cow_reuse = field(buf, "cow_reuse");
	return c;
}

static void show_delta(const char *what, struct counters a, struct counters b)
{
	if (a.cow_fault < 0 || b.cow_fault < 0)
		printf("%s (no cow_* counters in /proc/vmstat)\n", what);
	else
		printf("%s: cow_fault %+ld, cow_copy %+ld, cow_reuse %+ld\n", what,
		       b.cow_fault - a.cow_fault, b.cow_copy - a.cow_copy,
		       b.cow_reuse - a.cow_reuse);
	fflush(stdout);
}

/* Run `pmap PID ADDR` and wait for it. */
static void pmap(pid_t pid, void *addr, const char *title)
{
	static char pid_arg[16], addr_arg[32];
	static char *argv[] = { "pmap", pid_arg, addr_arg, NULL };

	snprintf(pid_arg, sizeof pid_arg, "%d", (int)pid);
	snprintf(addr_arg, sizeof addr_arg, "%lx", (unsigned long)addr);
	printf("\n--- %s: pmap %s %s\n", title, pid_arg, addr_arg);
	fflush(stdout);
	pid_t p = vfork();
	if (p == 0) {
		execv("/bin/pmap", argv);
		_exit(127);
	}
	if (p > 0)
		while (waitpid(p, NULL, 0) < 0 && errno == EINTR)
			;
}

int main(int argc, char **argv)
{
	static long pages;
	static char *mem;
	static int go[2], done[2];
	static pid_t child;

	pages = argc > 1 ? atol(argv[1]) : 8;
	if (pages < 4 || pages > 4096) {
		fprintf(stderr, "usage: cowdemo [PAGES]  (4 to 4096)\n");
		return 2;
	}
	mem = mmap(DEMO_ADDR, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED || pipe(go) < 0 || pipe(done) < 0) {
		perror("cowdemo");
		return 1;
	}
	memset(mem, 'a', pages * PAGE);
	counters();
	printf("cowdemo: pid %d wrote %ld pages at %lx\n", (int)getpid(), pages,
	       (unsigned long)mem);
	pmap(getpid(), mem, "1. before fork: the parent's pages are private (W)");

	fflush(stdout);
	child = fork();
	if (child < 0) {
		perror("cowdemo: fork");
		return 1;
	}
	if (child == 0) {
		char c;
		counters();	/* our buffers are private before we measure */
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		struct counters a = counters();
		mem[3 * PAGE] = 'X';
		struct counters b = counters();
		show_delta("\n3. the child wrote one byte of page 3", a, b);
		if (write(done[1], "d", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(1);
		_exit(0);
	}
	pmap(child, mem, "2. after fork: the child maps the same frames (C, shared)");
	if (write(go[1], "g", 1) != 1 || read(done[0], (char[1]){ 0 }, 1) != 1) {
		perror("cowdemo");
		return 1;
	}
	pmap(child, mem, "3. the child: page 3 is its own copy (W)");
	pmap(getpid(), mem, "3. the parent: its page 3 is mapped once now (W)");
	if (write(go[1], "x", 1) != 1)
		return 1;
	while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
		;
	counters();	/* our buffers are writable again before we measure */
	struct counters a = counters();
	mem[0] = 'Z';
	struct counters b = counters();
	show_delta("\n4. the child exited; the parent wrote page 0", a, b);
	pmap(getpid(), mem, "4. the parent: every page private again (W)");
	return 0;
}
