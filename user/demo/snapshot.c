/*
 * snapshot - a point-in-time snapshot of an in-memory table, taken by
 * forking (what Redis does for its background saves).
 *
 *     snapshot [KEYS]        (default 65536 keys of 32 bytes: 2 MiB)
 *
 * A key-value table lives in the process's memory.  To save it without
 * stopping, the process forks: the child streams the table, record by record,
 * into a pipe - the "save file" - while the parent reads that stream and
 * keeps updating keys between reads.  Nothing locks anything and nothing is
 * copied up front: after fork both processes map the same frames read-only,
 * and each page the parent writes is copied for it alone (cow_fault,
 * cow_copy); the child keeps seeing the page as it was at the fork.
 *
 * What to look for:
 *   - the watched key: the parent changes it right after the fork, yet the
 *     snapshot holds its old value; so does the sum over all values;
 *   - the cost: cow_copy counts the pages copied while the snapshot was
 *     taken - the pages of the hot keys the parent wrote (plus a few of
 *     stack and buffers), far fewer than the table's pages, which a copy
 *     made before saving would have cost.
 * Exit status 0 when the snapshot held the values at fork time and cost
 * fewer copied pages than the table has.
 */
#include "demo.h"

#include <sys/mman.h>
#include <sys/wait.h>

struct record {
	char key[24];
	long value;
};

#define CHUNK (PAGE / (long)sizeof(struct record))	/* records per pipe write */
#define UPDATES_PER_CHUNK 4
#define CHANGE 1000000

static struct record *table;
static long nkeys;

static long table_sum(void)
{
	long sum = 0;

	for (long i = 0; i < nkeys; i++)
		sum += table[i].value;
	return sum;
}

/* The parent's workload: a hot key out of the sixteenth of the table that
 * starts at the watched key, picked by a small random generator. */
static void update_hot_key(long watched)
{
	static uint64_t x = 42;

	x = x * 6364136223846793005ULL + 1442695040888963407ULL;
	table[watched + (long)((x >> 33) % (uint64_t)(nkeys / 16))].value += CHANGE;
}

/* The child: write the whole table into the pipe, then exit. */
static void save(int out)
{
	const char *p = (const char *)table, *end = p + nkeys * sizeof *table;

	while (p < end) {
		ssize_t n = write(out, p, end - p < PAGE ? end - p : PAGE);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(1);
		p += n;
	}
	_exit(0);
}

struct received {
	long records, sum, watched_value;
	long updates;		/* made by the parent meanwhile */
};

/* The parent: drain the snapshot from the pipe, updating keys between reads. */
static struct received receive(int in, long watched)
{
	static struct record chunk[CHUNK];
	struct received r = { 0, 0, -1, 0 };
	ssize_t n;

	while ((n = read_full(in, chunk, sizeof chunk)) > 0) {
		for (long i = 0; i < n / (long)sizeof *chunk; i++, r.records++) {
			r.sum += chunk[i].value;
			if (!strcmp(chunk[i].key, table[watched].key))
				r.watched_value = chunk[i].value;
		}
		for (int i = 0; i < UPDATES_PER_CHUNK; i++, r.updates++)
			update_hot_key(watched);
	}
	return r;
}

int main(int argc, char **argv)
{
	nkeys = size_arg(argc, argv, 65536, 4096, 4 * 1024 * 1024, "[KEYS]");
	long pages = (nkeys * sizeof *table + PAGE - 1) / PAGE, watched = nkeys / 2;
	int pipefd[2], status;

	if (!fits_in_memory(pages * PAGE / 1024))
		return 1;
	table = mmap(NULL, nkeys * sizeof *table, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (table == MAP_FAILED || pipe(pipefd)) {
		perror("snapshot");
		return 1;
	}
	for (long i = 0; i < nkeys; i++) {
		snprintf(table[i].key, sizeof table[i].key, "key%06ld", i);
		table[i].value = i;
	}
	long old = table[watched].value, sum = table_sum(), counted = have_cow_counters();
	long copies = vmstat_get("cow_copy");
	say("snapshot: a table of %ld keys in %ld pages; fork, the child saves it\n", nkeys, pages);
	say("at fork:       %s = %ld, sum of values %ld\n", table[watched].key, old, sum);

	pid_t pid = fork();
	if (pid < 0) {
		perror("snapshot: fork");
		return 1;
	}
	if (pid == 0) {
		close(pipefd[0]);
		save(pipefd[1]);
	}
	close(pipefd[1]);
	table[watched].value += CHANGE;
	struct received snap = receive(pipefd[0], watched);
	if (waitpid(pid, &status, 0) != pid)
		status = -1;
	copies = vmstat_get("cow_copy") - copies;

	say("the snapshot:  %s = %ld, sum of values %ld (%ld keys saved)\n", table[watched].key,
	    snap.watched_value, snap.sum, snap.records);
	say("the table now: %s = %ld, sum of values %ld (%ld updates meanwhile)\n",
	    table[watched].key, table[watched].value, table_sum(), snap.updates + 1);
	if (counted)
		say("the snapshot cost %ld copied pages (cow_copy); copying the table first: %ld\n",
		    copies, pages);

	expect(status == 0 && snap.records == nkeys, "the child to save all %ld keys", nkeys);
	expect(snap.watched_value == old, "the snapshot to hold %s's old value %ld, not %ld",
	       table[watched].key, old, snap.watched_value);
	expect(snap.sum == sum, "the snapshot's sum to be the sum at fork time, %ld", sum);
	expect(table[watched].value != old, "the parent's update to be in the table");
	expect(!counted || copies < pages, "fewer copied pages than the table's %ld, not %ld",
	       pages, copies);
	return demo_done();
}
