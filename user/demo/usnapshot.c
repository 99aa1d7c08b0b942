/*
 * usnapshot - copy-on-write in user space: a snapshot of a buffer taken with
 * mprotect and a SIGSEGV handler, timed beside the kernel's fork snapshot.
 *
 *     usnapshot [MIB [PERCENT [THREADS]]]   (default 64 MiB, 25% of its pages
 *                                            written after the snapshot, by 1
 *                                            thread)
 *
 * Some databases and garbage collectors snapshot memory without fork: they
 * make the buffer read-only (mprotect PROT_READ); the first write to each
 * page then faults, and their SIGSEGV handler (SA_SIGINFO: si_addr is the
 * address written) copies the page into a snapshot area, makes the page
 * writable again with mprotect, and returns - the CPU runs the write again,
 * and now it succeeds.  That is what cow_fault does in the kernel after fork
 * (docs/cow.md, section 4), moved into user space: a page fault and a copy.
 *
 * The demo fills a buffer with a known pattern, takes a snapshot, writes
 * PERCENT of its pages, and checks the snapshot - once with the handler,
 * once with fork (the child is the snapshot; the parent's first write to a
 * page is a kernel copy-on-write fault).  For each it prints:
 *
 *   snapshot   the time to take it: one mprotect, or one fork
 *   writes     the time of the writes, per page written
 *   copied     pages copied: by the handler, or by the kernel (cow_copy;
 *              on Linux, which has no such counter, the minor faults)
 *   verify     the snapshot still holds the old contents of every page, and
 *              the buffer holds the new ones
 *
 * What to look for: where the time goes.  The kernel's copy-on-write fault
 * is one trap: cow_fault copies the page and returns to the write.  The
 * handler's is a trap, a signal frame written on the user stack, a return
 * to user mode to run the handler, an mprotect system call, and an
 * rt_sigreturn system call to get back to the write: three kernel entries
 * where the kernel's way has one.  With one thread, the line "the handler's
 * time per page" splits that time into the copy and the mprotect (each
 * measured on its own, on the same pages) and the rest: the fault and the
 * signal.  Taking the snapshot, fork copies the page tables and shares
 * every entry, where mprotect only write-protects the entries.
 *
 * With THREADS above 1, every thread writes its own word of every page
 * written, so threads fault on the same page at once: one copies it, the
 * others sleep in their handlers until it is writable (the page's state,
 * changed with atomic operations, is a futex word).  A write fault outside the buffer is not
 * the handler's: it puts SIG_DFL back and returns, so the write faults again
 * and the process dies of SIGSEGV as it would without the handler; a child
 * checks that.  Exit status 0 when both snapshots held the old contents, the
 * buffer the new ones, and the stray write killed its child.
 */
#include "demo.h"

#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define WORDS (PAGE / (long)sizeof(uint64_t))
#define MAX_THREADS 8
#define FUTEX_WAIT_PRIVATE 128	/* FUTEX_WAIT | FUTEX_PRIVATE_FLAG (linux/futex.h) */
#define FUTEX_WAKE_PRIVATE 129	/* FUTEX_WAKE | FUTEX_PRIVATE_FLAG */

/* A page of the buffer while a user-space snapshot is active: COPYING_WAITED
 * is COPYING with a thread asleep on the word (futex), to be woken. */
enum { PROTECTED, COPYING, COPYING_WAITED, COPIED };

static char *buf;		/* the buffer: pages * PAGE bytes */
static char *snap;		/* the snapshot area: the old copies of written pages */
static uint32_t *state;		/* per page: PROTECTED ... COPIED (a futex word) */
static long pages, percent;
static int threads;
/* With one writer thread, for every TIME_EVERY-th page it copies: the
 * handler's seconds in memcpy and in mprotect, and how many pages it timed
 * (the rest of each write's time is the fault, the signal frame and
 * rt_sigreturn).  Only a sample: where clock_gettime is a system call (this
 * kernel has no vDSO), timing every page would add its cost to the writes
 * the demo compares. */
#define TIME_EVERY 8
static double handler_copy_s, handler_mprotect_s;
static long handler_timed;

/* What word w of page i holds before the snapshot, and after thread w wrote it. */
static uint64_t old_word(long i, long w)
{
	return ((uint64_t)i << 32 | (uint64_t)w) * 0x9e3779b97f4a7c15ULL;
}

static uint64_t new_word(long i, long w)
{
	return ~old_word(i, w);
}

/* Whether page i is one of the PERCENT% written: spread evenly over the buffer. */
static int is_written(long i)
{
	return (i + 1) * percent / 100 != i * percent / 100;
}

static void fill(void)
{
	for (long i = 0; i < pages; i++)
		for (long w = 0; w < WORDS; w++)
			((uint64_t *)(buf + i * PAGE))[w] = old_word(i, w);
}

/* ---- the user-space snapshot: the handler is copy-on-write ---- */

static void handler_failed(void)
{
	static const char msg[] = "usnapshot: mprotect in the SIGSEGV handler failed\n";

	write(STDERR_FILENO, msg, sizeof msg - 1);
	_exit(1);
}

/* Another thread is copying the page whose state is *s: sleep (futex) until
 * it is COPIED.  A sleeper first marks the state COPYING_WAITED, so that the
 * copier makes the wake-up call only when someone sleeps. */
static void wait_until_copied(uint32_t *s)
{
	uint32_t seen;

	while ((seen = __atomic_load_n(s, __ATOMIC_ACQUIRE)) != COPIED) {
		if (seen == COPYING && !__atomic_compare_exchange_n(s, &seen, COPYING_WAITED, 0,
								    __ATOMIC_ACQUIRE,
								    __ATOMIC_ACQUIRE))
			continue;
		syscall(SYS_futex, s, FUTEX_WAIT_PRIVATE, COPYING_WAITED, NULL, NULL, 0);
	}
}

/*
 * SIGSEGV: a write to a protected page of the buffer.  Save the page, make
 * it writable, return: the faulting write runs again.  Only async-signal-safe
 * work here (memcpy and system calls).  Anything else - an address outside
 * the buffer, a fault that is not a protection fault (SEGV_ACCERR) - is a
 * real bug: give the signal back to SIG_DFL, so that the write faults again
 * and kills the process.
 */
static void on_write_fault(int sig, siginfo_t *si, void *ucontext)
{
	char *addr = si->si_addr;
	uint32_t protected = PROTECTED;

	(void)ucontext;
	if (si->si_code != SEGV_ACCERR || addr < buf || addr >= buf + pages * PAGE) {
		signal(sig, SIG_DFL);
		return;
	}
	long i = (addr - buf) / PAGE;
	if (!__atomic_compare_exchange_n(&state[i], &protected, COPYING, 0, __ATOMIC_ACQUIRE,
					 __ATOMIC_ACQUIRE)) {
		wait_until_copied(&state[i]);	/* another thread faulted on it first */
		return;
	}
	static long copies;	/* with one writer thread, no other handler runs meanwhile */
	int timed = threads == 1 && copies++ % TIME_EVERY == 0;
	double t0 = timed ? now_s() : 0;
	memcpy(snap + i * PAGE, buf + i * PAGE, PAGE);
	double t1 = timed ? now_s() : 0;
	if (mprotect(buf + i * PAGE, PAGE, PROT_READ | PROT_WRITE))
		handler_failed();
	if (timed) {
		handler_copy_s += t1 - t0;
		handler_mprotect_s += now_s() - t1;
		handler_timed++;
	}
	if (__atomic_exchange_n(&state[i], COPIED, __ATOMIC_RELEASE) == COPYING_WAITED)
		syscall(SYS_futex, &state[i], FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

/* The snapshot's page i: its saved copy once the page was written, else the page itself. */
static const char *snapshot_page(long i)
{
	return state[i] == COPIED ? snap + i * PAGE : buf + i * PAGE;
}

/* In the fork child the buffer is the snapshot. */
static const char *buffer_page(long i)
{
	return buf + i * PAGE;
}

/* ---- the writes, by one thread or several ---- */

static pthread_barrier_t start;

/* Thread t writes word t of every page to be written. */
static void write_pages(long t)
{
	for (long i = 0; i < pages; i++)
		if (is_written(i))
			((volatile uint64_t *)(buf + i * PAGE))[t] = new_word(i, t);
}

static void *writer(void *t)
{
	pthread_barrier_wait(&start);
	write_pages((long)t);
	return NULL;
}

/* Run the writes; their time in seconds (with threads: from creating the
 * first to joining the last; a barrier starts them together). */
static double run_writers(void)
{
	pthread_t tid[MAX_THREADS];
	double t0 = now_s();

	if (threads == 1) {
		write_pages(0);
		return now_s() - t0;
	}
	pthread_barrier_init(&start, NULL, threads);
	for (long t = 0; t < threads; t++)
		if (pthread_create(&tid[t], NULL, writer, (void *)t)) {
			say("usnapshot: pthread_create failed\n");
			exit(1);
		}
	for (int t = 0; t < threads; t++)
		pthread_join(tid[t], NULL);
	pthread_barrier_destroy(&start);
	return now_s() - t0;
}

/* ---- checking ---- */

/* How many pages of a snapshot (page i of it at view(i)) differ from the old contents. */
static long changed_pages(const char *(*view)(long i))
{
	long bad = 0;

	for (long i = 0; i < pages; i++) {
		const uint64_t *p = (const uint64_t *)view(i);
		for (long w = 0; w < WORDS; w++)
			if (p[w] != old_word(i, w)) {
				bad++;
				break;
			}
	}
	return bad;
}

/* How many pages of the buffer do not hold what the writes left there. */
static long unwritten_pages(void)
{
	long bad = 0;

	for (long i = 0; i < pages; i++) {
		const uint64_t *p = (const uint64_t *)(buf + i * PAGE);
		for (long w = 0; w < WORDS; w++)
			if (p[w] != (is_written(i) && w < threads ? new_word(i, w) : old_word(i, w))) {
				bad++;
				break;
			}
	}
	return bad;
}

struct result {
	double take_s, write_s;
	long copied;		/* -1: unknown */
	long changed;		/* pages of the snapshot no longer as they were; -1: no answer */
	long unwritten;		/* pages of the buffer without their writes */
};

/* ---- the two snapshots ---- */

static struct result user_snapshot(void)
{
	struct result r = { .copied = 0 };

	fill();
	double t0 = now_s();
	memset(state, 0, pages * sizeof *state);	/* every page PROTECTED */
	if (mprotect(buf, pages * PAGE, PROT_READ)) {
		perror("usnapshot: mprotect");
		exit(1);
	}
	r.take_s = now_s() - t0;
	r.write_s = run_writers();
	for (long i = 0; i < pages; i++)
		r.copied += state[i] == COPIED;
	r.changed = changed_pages(snapshot_page);
	r.unwritten = unwritten_pages();
	if (mprotect(buf, pages * PAGE, PROT_READ | PROT_WRITE)) {	/* drop the snapshot */
		perror("usnapshot: mprotect");
		exit(1);
	}
	return r;
}

/* Minor faults so far (getrusage), or -1 where the kernel has no getrusage. */
static long minor_faults(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) ? -1 : ru.ru_minflt;
}

/* The snapshot child: wait until the parent has written, then check what
 * it sees and report the count of changed pages. */
static void snapshot_child(int go, int report)
{
	char c;

	long changed = read(go, &c, 1) == 1 ? changed_pages(buffer_page) : -1;
	_exit(write(report, &changed, sizeof changed) == sizeof changed ? 0 : 1);
}

static struct result fork_snapshot(int counted)
{
	struct result r = { .changed = -1 };
	int go[2], report[2];

	fill();
	if (pipe(go) || pipe(report)) {
		perror("usnapshot: pipe");
		exit(1);
	}
	long copies = counted ? vmstat_get("cow_copy") : minor_faults();
	double t0 = now_s();
	pid_t pid = fork();
	if (pid == 0)
		snapshot_child(go[0], report[1]);
	r.take_s = now_s() - t0;
	if (pid < 0) {
		perror("usnapshot: fork");
		exit(1);
	}
	r.write_s = run_writers();
	long after = counted ? vmstat_get("cow_copy") : minor_faults();
	r.copied = copies < 0 || after < 0 ? -1 : after - copies;
	if (write(go[1], "v", 1) != 1 || read_full(report[0], &r.changed, sizeof r.changed) !=
	    sizeof r.changed)
		r.changed = -1;
	waitpid(pid, NULL, 0);
	close(go[0]), close(go[1]), close(report[0]), close(report[1]);
	r.unwritten = unwritten_pages();
	return r;
}

/* ---- a write the handler must not take ---- */

/* A child writes a read-only page outside the buffer: its wait status, or
 * -1.  A handler that took the fault for its own would make the write
 * fault for ever: after 10 s the child is killed (SIGKILL). */
static int stray_write(void)
{
	int status = -1;
	pid_t pid = fork();

	if (pid == 0) {
		char *elsewhere = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (elsewhere != MAP_FAILED)
			*(volatile char *)elsewhere = 1;
		_exit(0);
	}
	for (double deadline = now_s() + 10; pid > 0; sleep_ms(10)) {
		pid_t got = waitpid(pid, &status, WNOHANG);
		if (got == pid || (got < 0 && errno != EINTR))
			return got == pid ? status : -1;
		if (now_s() > deadline)
			kill(pid, SIGKILL);
	}
	return -1;
}

/* ---- the report ---- */

static void show(const char *how, struct result r, long written, const char *copied_by)
{
	char copied[24] = "?";

	if (r.copied >= 0)
		snprintf(copied, sizeof copied, "%ld", r.copied);
	say("%-22s %8.2f ms  %6ld x %7.2f us  %8s %s\n", how, r.take_s * 1e3, written,
	    written ? r.write_s * 1e6 / written : 0.0, copied, copied_by);
}

static void verify(const char *how, struct result r, long written)
{
	int ok = r.changed == 0 && r.unwritten == 0;

	say("verify %s: %s, the snapshot holds the old contents of %ld of %ld pages, the buffer "
	    "%ld of %ld new ones\n", how, ok ? "ok" : "WRONG", r.changed < 0 ? 0 : pages - r.changed,
	    pages, written - r.unwritten, written);
	expect(r.changed == 0, "the %s snapshot to hold the old contents (%ld pages changed)", how,
	       r.changed);
	expect(r.unwritten == 0, "the buffer to hold every write after the %s snapshot (%ld "
	       "pages without)", how, r.unwritten);
}

static long parse_args(int argc, char **argv)
{
	const char *usage = "[MIB [PERCENT [THREADS]]]  (MIB 1 to 128, default 64; PERCENT 0 "
			    "to 100, default 25; THREADS 1 to 8, default 1)";

	if (argc > 4)
		usage_exit(usage);
	percent = number_arg(argc, argv, 2, 25, 0, 100, usage);
	threads = (int)number_arg(argc, argv, 3, 1, 1, MAX_THREADS, usage);
	return number_arg(argc, argv, 1, 64, 1, 128, usage);
}

int main(int argc, char **argv)
{
	long mib = parse_args(argc, argv), written = 0, counted = have_cow_counters();
	struct sigaction sa = { .sa_sigaction = on_write_fault, .sa_flags = SA_SIGINFO };

	pages = mib * MiB / PAGE;
	for (long i = 0; i < pages; i++)
		written += is_written(i);
	if (!fits_in_memory(mib * 1024 + 2 * written * PAGE / 1024))
		return 1;
	buf = mmap(NULL, mib * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	snap = mmap(NULL, mib * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	state = malloc(pages * sizeof *state);
	if (buf == MAP_FAILED || snap == MAP_FAILED || !state) {
		perror("usnapshot: mmap");
		return 1;
	}
	if (sigaction(SIGSEGV, &sa, NULL)) {
		perror("usnapshot: sigaction(SIGSEGV) with an SA_SIGINFO handler");
		return 1;
	}
	say("usnapshot: %ld MiB (%ld pages); after the snapshot %ld%% of the pages (%ld) are "
	    "written, by %d thread%s\n", mib, pages, percent, written, threads, threads > 1 ? "s" : "");
	say("%-22s %11s  %19s  %s\n", "", "snapshot", "writes, per page", "copied pages");

	struct result user = user_snapshot();
	show("user space (SIGSEGV)", user, written, "by the handler");
	struct result kernel = fork_snapshot(counted);
	show("kernel (fork)", kernel, written, counted ? "cow_copy" : "minor faults");
	if (handler_timed) {
		double copy_s = handler_copy_s / handler_timed;
		double mprotect_s = handler_mprotect_s / handler_timed;
		say("the handler's time per page: fault, signal frame and rt_sigreturn %.2f us, "
		    "memcpy %.2f us, mprotect %.2f us\n",
		    (user.write_s / written - copy_s - mprotect_s) * 1e6, copy_s * 1e6,
		    mprotect_s * 1e6);
	}
	verify("user space", user, written);
	verify("kernel", kernel, written);
	expect(user.copied == written, "the handler to copy each page written once (%ld, not %ld)",
	       written, user.copied);

	int status = stray_write();
	say("a write outside the buffer: %s\n", status != -1 && WIFSIGNALED(status) &&
	    WTERMSIG(status) == SIGSEGV ? "killed by SIGSEGV, the handler gave it to SIG_DFL" :
	    "NOT killed by SIGSEGV");
	expect(status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV,
	       "a write outside the buffer to kill its process with SIGSEGV (wait status %#x)",
	       status);
	return demo_done();
}
