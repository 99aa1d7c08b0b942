/*
 * shared - MAP_PRIVATE against MAP_SHARED across fork: the two halves of
 * copy-on-write side by side.
 *
 *     shared
 *
 * It maps one anonymous page MAP_PRIVATE and one MAP_SHARED, writes
 * "parent" into both, forks, lets the child write "child" into both, and
 * prints what the parent then reads and the frame behind each page in
 * parent and child (/proc/self/pagemap and /proc/CHILD/pagemap).  What to
 * look for:
 *
 *   after fork          both pages: the SAME frame in parent and child.  The
 *                       private one read-only + copy-on-write in both
 *                       (share_page), the shared one writable as it was
 *                       (share_shared_page: it is a page of an unlinked
 *                       tmpfs file, "/dev/zero (deleted)" in maps)
 *   the child writes    the private page: the child gets a copy (a new
 *                       frame), the parent still reads "parent"; the shared
 *                       page: no fault, no copy, same frame, and the parent
 *                       reads "child"
 *
 * On Linux it works as root (others read frame number 0 from pagemap).
 */
#include "demo.h"

#include <sys/mman.h>
#include <sys/wait.h>

static int go[2], done[2];	/* parent -> child, child -> parent */

/* The child: read both pages (Linux gives a child no entries for a shared
 * mapping until it touches it; this kernel copies them at fork), write them
 * when told, then wait to be let go (so that its pagemap can still be
 * read). */
static void child(char *private, char *shared)
{
	char c = *(volatile char *)private + *(volatile char *)shared;

	if (write(done[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
		_exit(1);
	strcpy(private, "child");
	strcpy(shared, "child");
	if (write(done[1], "w", 1) != 1 || read(go[0], &c, 1) != 1)
		_exit(1);
	_exit(0);
}

static void show(const char *when, pid_t pid, char *private, char *shared, uint64_t f[4])
{
	f[0] = page_frame(0, private);
	f[1] = page_frame(pid, private);
	f[2] = page_frame(0, shared);
	f[3] = page_frame(pid, shared);
	say("%-20s MAP_PRIVATE: parent reads %-7s frame %#6lx, child %#6lx\n", when, private,
	    (unsigned long)f[0], (unsigned long)f[1]);
	say("%-20s MAP_SHARED:  parent reads %-7s frame %#6lx, child %#6lx\n", "", shared,
	    (unsigned long)f[2], (unsigned long)f[3]);
}

int main(int argc, char **argv)
{
	const int rw = PROT_READ | PROT_WRITE;
	char *private = mmap(NULL, PAGE, rw, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *shared = mmap(NULL, PAGE, rw, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint64_t before[4], after[4];

	(void)argv;
	if (argc > 1)
		usage_exit("(no arguments)");
	if (private == MAP_FAILED || shared == MAP_FAILED || pipe(go) || pipe(done)) {
		perror("shared: setup");
		return 1;
	}
	strcpy(private, "parent");
	strcpy(shared, "parent");
	pid_t pid = fork();
	if (pid < 0) {
		perror("shared: fork");
		return 1;
	}
	if (pid == 0)
		child(private, shared);
	char c;
	if (read(done[0], &c, 1) != 1)
		return 1;
	show("after fork:", pid, private, shared, before);
	if (write(go[1], "g", 1) != 1 || read(done[0], &c, 1) != 1)
		return 1;
	show("the child wrote:", pid, private, shared, after);
	int status;
	if (write(go[1], "g", 1) != 1 || waitpid(pid, &status, 0) != pid || status)
		return 1;
	expect(before[0] && before[0] == before[1] && before[2] == before[3],
	       "one frame per page in parent and child after fork");
	expect(after[1] != before[1] && after[0] == before[0] && !strcmp(private, "parent"),
	       "the child's private write to make it a copy of its own");
	expect(after[2] == before[2] && after[3] == before[2] && !strcmp(shared, "child"),
	       "the child's shared write to land in the one shared frame");
	return demo_done();
}
