/*
 * smpdemo - a copy-on-write fault in an address space that another CPU is
 * running: the TLB shootdown.  docs/smp.md watches it in gdb.
 *
 *     smpdemo                (needs two CPUs: scripts/boot --smp 2)
 *
 * The main thread pins itself to CPU 0 and fills a page at 0x7000000000; a
 * second thread pins itself to CPU 1 and reads that page in a loop, so CPU
 * 1's TLB holds its translation.  Then the main thread forks and writes
 * one byte of the page.  What to look for:
 *
 *   fork                the page becomes read-only + copy-on-write in both
 *                       processes; CPU 1 runs this address space, so fork
 *                       shoots it down (flush_tlb_mm): nr_tlb_remote_flush +1
 *   the main thread     cow_fault copies the page (the child still shares
 *   writes              it: cow_copy +1) and cow_replace points the entry at
 *                       the copy; flush_tlb_range interrupts CPU 1 and waits
 *                       until it has flushed (nr_tlb_remote_flush +1 again)
 *   the reader          sees the new byte: its TLB no longer holds the old
 *                       frame, which the child keeps (with a stale entry it
 *                       would read the child's 'a' for ever)
 *
 * On Linux it runs too (two CPUs or more); the shootdown counters are in its
 * /proc/vmstat only with CONFIG_DEBUG_TLBFLUSH, so they are checked where
 * they exist.
 */
#include "demo.h"

#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

/* Where the page goes (a hint to mmap), so that a debugger can name it:
 * docs/smp.md stops in cow_fault when va is this page. */
#define DEMO_ADDR ((void *)0x7000000000UL)
#define READER_TIMEOUT_S 20

static volatile char *page;
static volatile long reads;	/* the reader's loop count, 0 until it runs on CPU 1 */
static volatile long seen;	/* the reader has seen the main thread's write */

/* Run the calling thread on CPU cpu only; 0 or -1. */
static int pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof set, &set))
		return -1;
	sched_yield();		/* leave a CPU we may no longer use */
	return 0;
}

/* The second thread: on CPU 1, read the page until it holds 'b'. */
static void *reader(void *arg)
{
	(void)arg;
	if (pin_to(1))
		return (void *)1;
	while (page[0] == 'a')
		reads++;
	seen = 1;
	return NULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Wait until *flag is non-zero, READER_TIMEOUT_S at most; the flag. */
static long wait_for(volatile long *flag)
{
	double end = now() + READER_TIMEOUT_S;

	while (!*flag && now() < end)
		sched_yield();
	return *flag;
}

/* The child: keep sharing the page until the parent has written, then check
 * that the parent's write did not reach it. */
static void child(int go)
{
	char c;

	_exit(read(go, &c, 1) == 1 && page[0] == 'a' ? 0 : 1);
}

int main(void)
{
	pthread_t thread;
	int go[2];
	void *failed;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2 || pin_to(0)) {
		say("smpdemo: needs two CPUs (scripts/boot --smp 2)\n");
		return 2;
	}
	page = mmap(DEMO_ADDR, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED || pipe(go)) {
		perror("smpdemo");
		return 1;
	}
	/* Before the reader runs: its first read must find the page present,
	 * or the write would be a cow_fault of the zero page's. */
	memset((char *)page, 'a', PAGE);
	if (pthread_create(&thread, NULL, reader, NULL)) {
		perror("smpdemo: pthread_create");
		return 1;
	}
	expect(wait_for(&reads), "the reader to run on CPU 1");
	say("smpdemo: pid %d, the reader reads %p on CPU 1\n", (int)getpid(), (void *)page);

	long flush = vmstat_get("nr_tlb_remote_flush");
	pid_t pid = fork();
	if (pid < 0) {
		perror("smpdemo: fork");
		return 1;
	}
	if (pid == 0)
		child(go[0]);
	long fork_flush = vmstat_get("nr_tlb_remote_flush") - flush;
	page[0] = 'b';
	long write_flush = vmstat_get("nr_tlb_remote_flush") - flush - fork_flush;
	say("shootdowns (nr_tlb_remote_flush): %+ld by fork and the faults after it, %+ld by "
	    "the write\n", fork_flush, write_flush);

	int status = -1;
	long waited = wait_for(&seen);
	if (write(go[1], "g", 1) != 1 || waitpid(pid, &status, 0) != pid)
		perror("smpdemo: the child");
	expect(waited, "the reader on CPU 1 to see the write within %d s", READER_TIMEOUT_S);
	expect(status == 0, "the child to keep the old byte (status %#x)", status);
	expect(flush < 0 || (fork_flush >= 1 && write_flush >= 1),
	       "a shootdown of CPU 1 for the fork and for the write");
	if (waited) {
		pthread_join(thread, &failed);
		expect(!failed, "the reader to run on CPU 1 (sched_setaffinity)");
	}
	return demo_done();
}
