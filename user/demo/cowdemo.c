/*
 * cowdemo - one fork shares a page, one write copies it: watch the frame
 * numbers.
 *
 *     cowdemo [PAGES]        (default 8)
 *
 * It writes PAGES pages, forks, and prints the physical frame behind page 0
 * in the parent and in the child (from /proc/self/pagemap and
 * /proc/CHILD/pagemap) at each step.  What to look for:
 *
 *   after fork          the SAME frame in both: fork copied nothing, it made
 *                       the page read-only + copy-on-write in both processes
 *                       (vmspace_fork, share_page)
 *   the child writes    the child's frame CHANGES, the parent's does not:
 *                       the write faulted and cow_fault copied that one page
 *                       (cow_copy +1); the other PAGES-1 pages stay shared
 *   the parent writes   the child has exited, so the parent is the frame's
 *                       last user: no copy, the page is made writable in
 *                       place (cow_reuse +1) and keeps its frame
 *
 * `trace=fault` on the kernel command line shows each fault's decision.
 * On Linux it works as root (others read frame number 0 from pagemap).
 */
#include "demo.h"

#include <sys/mman.h>
#include <sys/wait.h>

/* Where the pages go (a hint to mmap), so that a debugger can name them:
 * docs/walkthrough.md stops in cow_fault when va is page 0, the child's write. */
#define DEMO_ADDR ((void *)0x7000000000UL)

static int go[2], done[2];	/* parent -> child, child -> parent */

/* Write one byte of page and say what the fault counters did. */
static void write_page(char *page, const char *who)
{
	if (!have_cow_counters()) {
		page[0]++;
		say("%s writes page 0 (no cow_* counters: not this kernel)\n", who);
		return;
	}
	long fault = vmstat_get("cow_fault"), copy = vmstat_get("cow_copy");
	long reuse = vmstat_get("cow_reuse");
	page[0]++;
	say("%s writes page 0: cow_fault %+ld, cow_copy %+ld, cow_reuse %+ld\n", who,
	    vmstat_get("cow_fault") - fault, vmstat_get("cow_copy") - copy,
	    vmstat_get("cow_reuse") - reuse);
}

/* The child: wait for the parent's go, write, report, wait to be let go. */
static void child(char *mem)
{
	char c;

	if (read(go[0], &c, 1) != 1)
		_exit(1);
	write_page(mem, "the child");
	if (write(done[1], "w", 1) != 1 || read(go[0], &c, 1) != 1)
		_exit(1);
	_exit(0);
}

/* How many of pages 1..pages-1 the two processes still share. */
static long shared_pages(char *mem, long pages, pid_t pid)
{
	long n = 0;

	for (long i = 1; i < pages; i++)
		n += page_frame(0, mem + i * PAGE) == page_frame(pid, mem + i * PAGE);
	return n;
}

static void show(const char *when, uint64_t parent, uint64_t child)
{
	say("%-26s parent: frame %#lx   child: frame %#lx\n", when, (unsigned long)parent,
	    (unsigned long)child);
}

int main(int argc, char **argv)
{
	long pages = size_arg(argc, argv, 8, 1, 4096, "[PAGES]");
	char *mem = mmap(DEMO_ADDR, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
	char c;

	if (mem == MAP_FAILED || pipe(go) || pipe(done)) {
		perror("cowdemo");
		return 1;
	}
	memset(mem, 'a', pages * PAGE);
	if (!page_frame(0, mem)) {
		say("cowdemo: cannot read frame numbers from /proc/self/pagemap (Linux: run as root)\n");
		return 1;
	}
	say("cowdemo: pid %d wrote %ld pages at %p; page 0 is in frame %#lx\n", (int)getpid(),
	    pages, (void *)mem, (unsigned long)page_frame(0, mem));
	pid_t pid = fork();
	if (pid < 0) {
		perror("cowdemo: fork");
		return 1;
	}
	if (pid == 0)
		child(mem);

	uint64_t parent1 = page_frame(0, mem), child1 = page_frame(pid, mem);
	show("after fork:", parent1, child1);
	if (write(go[1], "g", 1) != 1 || read(done[0], &c, 1) != 1) {
		perror("cowdemo: the child");
		return 1;
	}
	uint64_t parent2 = page_frame(0, mem), child2 = page_frame(pid, mem);
	long shared = shared_pages(mem, pages, pid);
	show("after the child's write:", parent2, child2);
	say("pages 1..%ld still shared: %ld of %ld\n", pages - 1, shared, pages - 1);
	if (write(go[1], "x", 1) != 1 || waitpid(pid, NULL, 0) != pid) {
		perror("cowdemo: the child");
		return 1;
	}
	write_page(mem, "the child exited; the parent");
	uint64_t parent3 = page_frame(0, mem);
	say("%-26s parent: frame %#lx\n", "after the parent's write:", (unsigned long)parent3);

	expect(child1 == parent1, "the child to map the parent's frame after fork");
	expect(child2 != parent2, "the child to get a new frame when it wrote");
	expect(parent2 == parent1, "the parent to keep its frame when the child wrote");
	expect(shared == pages - 1, "the %ld pages nobody wrote to stay shared", pages - 1);
	expect(parent3 == parent2, "the parent, last user, to write in place (same frame)");
	return demo_done();
}
