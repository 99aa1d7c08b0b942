/*
 * forkexec - the commonest fork of all copies nothing: a big process forks
 * and its child at once runs another program (what a shell does for every
 * command).
 *
 *     forkexec [MIB]         (default 64)
 *
 * It writes MIB MiB of its own memory, forks, and the child execs /bin/true
 * while the parent waits.  It does that with the copy-on-write fork
 * (/proc/sys/vm/cow_fork = 1, the default), then once more with the eager
 * fork that copies every page at fork time (cow_fork = 0) for contrast, when
 * there is room for a second copy, and puts cow_fork back as it was.  What
 * to look for on each line:
 *
 *   MemFree     how much free memory the fork itself took, measured by the
 *               child before it execs: with cow_fork=1 only the child's page
 *               tables (vmspace_fork shares every frame: share_page); with
 *               cow_fork=0 the whole area once more (copy_page)
 *   fork_copy   pages the eager fork copied: 0, then the whole area
 *   cow_copy    pages copied later by write faults (cow_fault): a handful of
 *               stack and libc pages written between fork and exec, never
 *               the big area - the exec throws the child's sharing away
 *   ms          fork to the child's exit, as the parent sees it
 *
 * Exit status 0 when the copy-on-write fork copied only a handful of pages
 * (fewer than 16 + 1% of the area) and took less than a tenth of the area's
 * size from MemFree.
 */
#include "demo.h"

#include <sys/mman.h>
#include <sys/wait.h>

#define COW_FORK "/proc/sys/vm/cow_fork"

struct cost {
	long free_kb;		/* MemFree the fork took */
	long fork_copy, cow_copy;
	double ms;
	int status;		/* the child's wait status */
};

/* The child: tell the parent how much MemFree fell since before the fork,
 * then become /bin/true. */
static void child(int report, long free_before)
{
	long taken = free_before - meminfo_kb("MemFree");

	if (write(report, &taken, sizeof taken) != sizeof taken)
		_exit(126);
	close(report);
	execl("/bin/true", "true", (char *)NULL);
	_exit(127);
}

/* One fork + exec /bin/true + wait, and what it cost. */
static struct cost fork_exec(void)
{
	struct cost c = { .status = -1 };
	long fork_copy = vmstat_get("fork_copy"), cow_copy = vmstat_get("cow_copy");
	long free_before = meminfo_kb("MemFree");
	double start = now_ns();
	int report[2];

	if (pipe(report))
		return c;
	pid_t pid = fork();
	if (pid == 0) {
		close(report[0]);
		child(report[1], free_before);
	}
	close(report[1]);
	if (pid < 0 || read_full(report[0], &c.free_kb, sizeof c.free_kb) != sizeof c.free_kb ||
	    waitpid(pid, &c.status, 0) != pid)
		c.status = -1;
	close(report[0]);
	c.ms = (now_ns() - start) / 1e6;
	c.fork_copy = vmstat_get("fork_copy") - fork_copy;
	c.cow_copy = vmstat_get("cow_copy") - cow_copy;
	return c;
}

static void show(const char *mode, struct cost c)
{
	say("%s: fork + exec /bin/true: %7.1f ms, MemFree -%ld kB at fork, fork_copy %+ld, "
	    "cow_copy %+ld\n", mode, c.ms, c.free_kb, c.fork_copy, c.cow_copy);
}

/* Set cow_fork to mode, fork + exec, show the cost; 0 if it could not run. */
static int fork_with(const char *mode, struct cost *c)
{
	char label[16];

	snprintf(label, sizeof label, "cow_fork=%s", mode);
	if (write_file(COW_FORK, mode)) {
		say("%s: cannot write %s: %s\n", label, COW_FORK, strerror(errno));
		return 0;
	}
	*c = fork_exec();
	show(label, *c);
	return 1;
}

int main(int argc, char **argv)
{
	long mib = size_arg(argc, argv, 64, 1, 4096, "[MIB]"), pages = mib * MiB / PAGE;
	struct cost cow, eager;
	char old[16];

	if (!have_cow_counters()) {
		say("forkexec: no cow_copy counter in /proc/vmstat: not this kernel\n");
		return 1;
	}
	if (!fits_in_memory(mib * 1024))
		return 1;
	char *area = mmap(NULL, mib * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	if (area == MAP_FAILED) {
		perror("forkexec: mmap");
		return 1;
	}
	memset(area, 'x', mib * MiB);
	say("forkexec: pid %d wrote %ld MiB (%ld pages); MemFree %ld kB\n", (int)getpid(), mib,
	    pages, meminfo_kb("MemFree"));

	if (read_file(COW_FORK, old, sizeof old) <= 0 || !fork_with("1", &cow))
		return 1;
	if (meminfo_kb("MemFree") < pages * 4 * 11 / 10)
		say("cow_fork=0: skipped, MemFree has no room for a second copy of the area\n");
	else if (fork_with("0", &eager))
		expect(eager.fork_copy >= pages, "the eager fork to copy all %ld pages, not %ld",
		       pages, eager.fork_copy);
	if (write_file(COW_FORK, old))
		say("forkexec: cannot put %s back to %s\n", COW_FORK, old);
	say("the copy-on-write fork copied %ld of %ld pages\n", cow.fork_copy + cow.cow_copy, pages);

	expect(WIFEXITED(cow.status) && WEXITSTATUS(cow.status) == 0,
	       "the child to run /bin/true and exit 0");
	expect(cow.fork_copy + cow.cow_copy < 16 + pages / 100,
	       "the copy-on-write fork to copy a handful of pages (under %ld), not %ld",
	       16 + pages / 100, cow.fork_copy + cow.cow_copy);
	expect(cow.free_kb < pages * 4 / 10, "the fork to take under %ld kB of MemFree, not %ld",
	       pages * 4 / 10, cow.free_kb);
	return demo_done();
}
