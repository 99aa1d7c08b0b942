/*
 * memstat - memory and the page-fault counters, as a readable table.
 *
 *     memstat [-a]               memory (/proc/meminfo), the fault counters
 *                                (/proc/vmstat) and what each process uses
 *                                (Rss and Pss) now
 *     memstat [-a] CMD ARGS...   run CMD (searched in $PATH, else /bin) and show
 *                                how much each value changed while it ran
 *
 * -a shows every line of /proc/vmstat, not just the fault counters.
 *
 * The process table comes from /proc/PID/smaps_rollup.  Rss counts every
 * page a process maps, so a page that fork left shared between parent and
 * child is counted in both; Pss divides each page among the processes that
 * map it, so the Pss column adds up to the memory the processes really use
 * together, and the difference of the two totals is what sharing (copy-on-
 * write, the page cache, merging) saves.  The zero page is in neither.
 *
 * The counters (DESIGN.md §5): pgfault (every fault), cow_fault (write
 * faults on shared pages), cow_copy (pages copied), cow_reuse (made writable
 * in place: last owner), zero_map (reads answered with the zero page),
 * zero_fill (pages allocated zeroed on first write), file_map (program pages
 * mapped from the page cache), fork_copy (pages copied by an eager fork),
 * ksm_merge and cow_ksm (merging).  CMD is started with vfork, so memstat's
 * own memory is not shared copy-on-write and adds nothing to the counts.
 * Runs on Linux too (which has pgfault but none of the cow_* counters).
 * Exit status: CMD's (128 + signal if killed); 127 if it cannot be run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ulib.h"

#define MAX_VALUES 512

static const char *const mem_rows[] = {
	"MemTotal", "MemFree", "AnonPages", "PageTables", "Cached", "Slab", "KernelStack",
};
#define NMEM (sizeof mem_rows / sizeof mem_rows[0])

static const struct {
	const char *name, *meaning;
} counter_rows[] = {
	{ "pgfault", "page faults" },
	{ "cow_fault", "write faults on shared pages" },
	{ "cow_copy", "... resolved by copying the page" },
	{ "cow_reuse", "... made writable in place (last owner)" },
	{ "zero_map", "read faults answered with the zero page" },
	{ "zero_fill", "pages allocated zeroed on first write" },
	{ "file_map", "program pages mapped from the page cache" },
	{ "fork_copy", "pages copied by an eager fork (cow_fork=0)" },
	{ "ksm_merge", "pages merged by KSM" },
	{ "cow_ksm", "merged pages broken by a write" },
	{ "pgmajfault", "faults that read from disk" },
};
#define NCOUNTERS (sizeof counter_rows / sizeof counter_rows[0])

struct value {
	char name[48];
	long long v;
};

struct snapshot {
	long long mem[NMEM];		/* kB; -1: missing */
	struct value vm[MAX_VALUES];	/* every /proc/vmstat line */
	int nvm;
};

static void take(struct snapshot *s)
{
	static char buf[65536];

	for (size_t i = 0; i < NMEM; i++)
		s->mem[i] = -1;
	s->nvm = 0;
	if (read_file("/proc/meminfo", buf, sizeof buf) > 0) {
		for (char *line = buf; line && *line; line = strchr(line, '\n')) {
			if (*line == '\n')
				line++;
			char name[64];
			long long kb;
			if (sscanf(line, "%63[^:]: %lld", name, &kb) != 2)
				continue;
			for (size_t i = 0; i < NMEM; i++)
				if (!strcmp(name, mem_rows[i]))
					s->mem[i] = kb;
		}
	}
	if (read_file("/proc/vmstat", buf, sizeof buf) > 0) {
		for (char *line = buf; line && *line && s->nvm < MAX_VALUES;
		     line = strchr(line, '\n')) {
			if (*line == '\n')
				line++;
			struct value *v = &s->vm[s->nvm];
			if (sscanf(line, "%47s %lld", v->name, &v->v) == 2)
				s->nvm++;
		}
	}
}

static long long vm_value(const struct snapshot *s, const char *name, int *found)
{
	for (int i = 0; i < s->nvm; i++)
		if (!strcmp(s->vm[i].name, name)) {
			*found = 1;
			return s->vm[i].v;
		}
	*found = 0;
	return 0;
}

static int is_counter_row(const char *name)
{
	for (size_t i = 0; i < NCOUNTERS; i++)
		if (!strcmp(counter_rows[i].name, name))
			return 1;
	return 0;
}

/* The table of one snapshot. */
static void show(const struct snapshot *s, int all)
{
	printf("%-14s %12s %10s\n", "memory", "kB", "pages");
	for (size_t i = 0; i < NMEM; i++)
		if (s->mem[i] >= 0)
			printf("%-14s %12lld %10lld\n", mem_rows[i], s->mem[i], s->mem[i] / 4);
	if (s->nvm == 0) {
		printf("(no /proc/vmstat)\n");
		return;
	}
	printf("\n%-14s %12s  %s\n", "counter", "value", "meaning");
	for (size_t i = 0; i < NCOUNTERS; i++) {
		int found;
		long long v = vm_value(s, counter_rows[i].name, &found);
		if (found)
			printf("%-14s %12lld  %s\n", counter_rows[i].name, v, counter_rows[i].meaning);
	}
	if (all)
		for (int i = 0; i < s->nvm; i++)
			if (!is_counter_row(s->vm[i].name))
				printf("%-14s %12lld\n", s->vm[i].name, s->vm[i].v);
}

/* One row per process that has memory: pid, name, Rss and Pss (kB). */
static void show_processes(void)
{
	static char buf[8192];
	char path[300], comm[64];
	long rss_total = 0, pss_total = 0;
	DIR *d = opendir("/proc");

	if (!d)
		return;
	printf("\n%-7s %-16s %10s %10s\n", "pid", "process", "Rss kB", "Pss kB");
	for (struct dirent *e; (e = readdir(d));) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		snprintf(path, sizeof path, "/proc/%s/smaps_rollup", e->d_name);
		long rss = read_file(path, buf, sizeof buf) > 0 ? kb_field(buf, "Rss") : -1;
		long pss = kb_field(buf, "Pss");
		if (rss <= 0 || pss < 0)
			continue;	/* no memory (a kernel thread), or not ours to read */
		snprintf(path, sizeof path, "/proc/%s/comm", e->d_name);
		if (read_file(path, comm, sizeof comm) < 0)
			comm[0] = '\0';
		comm[strcspn(comm, "\n")] = '\0';
		printf("%-7s %-16s %10ld %10ld\n", e->d_name, comm, rss, pss);
		rss_total += rss, pss_total += pss;
	}
	closedir(d);
	printf("%-24s %10ld %10ld\n", "total", rss_total, pss_total);
}

/* Before, after and change of everything, for `memstat CMD`. */
static void show_change(const struct snapshot *a, const struct snapshot *b, int all)
{
	printf("%-14s %12s %12s %12s\n", "memory (kB)", "before", "after", "change");
	for (size_t i = 0; i < NMEM; i++)
		if (a->mem[i] >= 0 && b->mem[i] >= 0)
			printf("%-14s %12lld %12lld %+12lld\n", mem_rows[i], a->mem[i], b->mem[i],
			       b->mem[i] - a->mem[i]);
	if (a->nvm == 0) {
		printf("(no /proc/vmstat)\n");
		return;
	}
	printf("\n%-14s %12s %12s %12s  %s\n", "counter", "before", "after", "change", "meaning");
	for (size_t i = 0; i < NCOUNTERS; i++) {
		int f1, f2;
		long long v1 = vm_value(a, counter_rows[i].name, &f1);
		long long v2 = vm_value(b, counter_rows[i].name, &f2);
		if (f1 && f2)
			printf("%-14s %12lld %12lld %+12lld  %s\n", counter_rows[i].name, v1, v2,
			       v2 - v1, counter_rows[i].meaning);
	}
	for (int i = 0; all && i < b->nvm; i++) {
		int found;
		long long v1 = vm_value(a, b->vm[i].name, &found);
		if (found && !is_counter_row(b->vm[i].name) && b->vm[i].v != v1)
			printf("%-14s %12lld %12lld %+12lld\n", b->vm[i].name, v1, b->vm[i].v,
			       b->vm[i].v - v1);
	}
}

/* CMD as a path: itself if it has a slash, else the first match in $PATH or /bin. */
static int find_program(const char *cmd, char *path, size_t size)
{
	struct stat st;

	if (strchr(cmd, '/')) {
		snprintf(path, size, "%s", cmd);
		return 0;
	}
	const char *dirs = getenv("PATH");
	if (!dirs || !*dirs)
		dirs = "/bin";
	for (const char *d = dirs; *d;) {
		size_t n = strcspn(d, ":");
		snprintf(path, size, "%.*s/%s", (int)n, n ? d : ".", cmd);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
			return 0;
		d += n;
		if (*d == ':')
			d++;
	}
	snprintf(path, size, "/bin/%s", cmd);
	return stat(path, &st) == 0 ? 0 : -1;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	static struct snapshot before, after;
	static int all = 0, first = 1;	/* static: safe across vfork */

	for (; first < argc && argv[first][0] == '-'; first++) {
		if (!strcmp(argv[first], "-a")) {
			all = 1;
		} else if (!strcmp(argv[first], "--")) {
			first++;
			break;
		} else {
			fprintf(stderr, "usage: memstat [-a] [CMD ARGS...]\n");
			return 2;
		}
	}
	if (first == argc) {
		take(&before);
		show(&before, all);
		show_processes();
		return 0;
	}

	char path[512];
	if (find_program(argv[first], path, sizeof path) < 0) {
		fprintf(stderr, "memstat: %s: not found\n", argv[first]);
		return 127;
	}
	fflush(stdout);
	take(&after);	/* touch our own buffers first: they should not count */
	take(&before);
	double t0 = now_ms();
	pid_t pid = vfork();
	if (pid == 0) {
		execv(path, argv + first);
		_exit(127);
	}
	if (pid < 0) {
		fprintf(stderr, "memstat: vfork: %s\n", strerror(errno));
		return 127;
	}
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	double t1 = now_ms();
	take(&after);

	printf("\nmemstat: %s ", argv[first]);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		printf("exited 127 (could not run %s?)", path);
	else if (WIFEXITED(status))
		printf("exited %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		printf("killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
	printf(" after %.1f ms\n\n", t1 - t0);
	show_change(&before, &after, all);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
