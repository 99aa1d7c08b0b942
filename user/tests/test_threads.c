/*
 * test_threads - musl's pthreads on this kernel, as on Linux: the clone
 * flags pthread_create uses, the futexes behind mutexes, condition variables
 * and pthread_join, thread-local storage (CLONE_SETTLS), gettid, and the
 * difference between exit (one thread) and exit_group (all of them).
 *
 *   - one thread is created and joined (without that, nothing else runs:
 *     clone is missing, and the program says so in one failed check);
 *   - 200 threads in waves of 20 give back their pthread_join values, and 20
 *     threads are alive at once (a barrier holds them);
 *   - 8 threads x 5000 increments of a mutex-protected counter end exact;
 *   - producers and consumers through a bounded buffer (pthread_cond_wait /
 *     pthread_cond_signal) lose and duplicate nothing; pthread_cond_broadcast
 *     wakes every waiter;
 *   - __thread variables are distinct per thread and start from their
 *     initial value; pthread_self and gettid are distinct, getpid is shared
 *     and only the main thread's gettid equals it;
 *   - detached threads run and vanish without a join;
 *   - exit(3) from a non-main thread ends the whole process (exit_group): the
 *     parent's wait sees status 3 and no thread is left holding its files;
 *   - a thread that returns after main called pthread_exit ends the process
 *     with status 0;
 *   - sysconf(_SC_NPROCESSORS_ONLN) and sched_getaffinity count the
 *     processors /proc/cpuinfo lists.
 *
 * Each case runs in its own child (tap_case), so a kernel bug that crashes
 * or hangs one case fails it and the others still run.  Runs on Linux too.
 * Runs on Linux: yes
 */
#include "tap.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#define CASE_TIMEOUT_S 120

static pid_t gettid_(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/* Create a thread; on failure a failed check says which and why. */
static int start(pthread_t *t, void *(*fn)(void *), void *arg, const char *what)
{
	int err = pthread_create(t, NULL, fn, arg);

	if (err)
		tap_fail(what, "pthread_create: %s", strerror(err));
	return err;
}

/* ---- create and join -------------------------------------------------- */

static void *plus_one(void *arg)
{
	return (void *)((uintptr_t)arg + 1);
}

static void create_one(void *unused)
{
	pthread_t t;
	void *ret = NULL;

	(void)unused;
	if (start(&t, plus_one, (void *)41, "pthread_create and pthread_join of one thread"))
		return;
	int err = pthread_join(t, &ret);
	tap_check(!err && ret == (void *)42, "pthread_create and pthread_join of one thread",
		  "pthread_join: %s, returned %p", strerror(err), ret);
}

#define WAVES 10
#define WAVE 20

static void create_waves(void *unused)
{
	pthread_t t[WAVE];
	int bad = 0, joined = 0;

	(void)unused;
	for (int w = 0; w < WAVES; w++) {
		int n = 0;
		while (n < WAVE && !start(&t[n], plus_one, (void *)(uintptr_t)(w * WAVE + n),
					  "200 threads in waves of 20"))
			n++;
		for (int i = 0; i < n; i++) {
			void *ret;
			if (pthread_join(t[i], &ret) || ret != (void *)(uintptr_t)(w * WAVE + i + 1))
				bad++;
			joined++;
		}
		if (n < WAVE)
			return;
	}
	tap_check(bad == 0 && joined == WAVES * WAVE,
		  "200 threads in waves of 20: each pthread_join returns its thread's value",
		  "%d of %d joins wrong", bad, joined);
}

static pthread_barrier_t all_alive;
static atomic_int alive_count;

static void *wait_for_all(void *unused)
{
	(void)unused;
	atomic_fetch_add(&alive_count, 1);
	pthread_barrier_wait(&all_alive);
	return NULL;
}

static void create_at_once(void *unused)
{
	pthread_t t[WAVE];
	int n = 0;

	(void)unused;
	pthread_barrier_init(&all_alive, NULL, WAVE + 1);
	while (n < WAVE && !start(&t[n], wait_for_all, NULL, "20 threads alive at once"))
		n++;
	if (n < WAVE)
		_exit(1);	/* the barrier would never open */
	pthread_barrier_wait(&all_alive);
	tap_check_long(atomic_load(&alive_count), WAVE,
		       "20 threads alive at once reach a barrier together");
	int bad = 0;
	for (int i = 0; i < n; i++)
		bad += pthread_join(t[i], NULL) != 0;
	tap_check_long(bad, 0, "... and are joined");
}

/* ---- a mutex-protected counter ---------------------------------------- */

#define COUNTERS 8
#define INCREMENTS 5000

static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile long counter;

static void *count_up(void *unused)
{
	(void)unused;
	for (int i = 0; i < INCREMENTS; i++) {
		pthread_mutex_lock(&counter_lock);
		counter = counter + 1;	/* read and write apart: a race would lose some */
		pthread_mutex_unlock(&counter_lock);
	}
	return NULL;
}

static void mutex_counter(void *unused)
{
	pthread_t t[COUNTERS];
	int n = 0;

	(void)unused;
	while (n < COUNTERS && !start(&t[n], count_up, NULL, "mutex counter"))
		n++;
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	if (n == COUNTERS)
		tap_check_long(counter, (long)COUNTERS * INCREMENTS,
			       "8 threads x 5000 increments under a mutex end exact");
}

/* ---- condition variables ---------------------------------------------- */

#define SLOTS 8
#define PRODUCERS 3
#define CONSUMERS 3
#define ITEMS 2000	/* per producer */

static struct {
	pthread_mutex_t lock;
	pthread_cond_t not_empty, not_full;
	long slot[SLOTS];
	int head, count;
} ring = { .lock = PTHREAD_MUTEX_INITIALIZER, .not_empty = PTHREAD_COND_INITIALIZER,
	    .not_full = PTHREAD_COND_INITIALIZER };

static void put(long v)
{
	pthread_mutex_lock(&ring.lock);
	while (ring.count == SLOTS)
		pthread_cond_wait(&ring.not_full, &ring.lock);
	ring.slot[(ring.head + ring.count++) % SLOTS] = v;
	pthread_cond_signal(&ring.not_empty);
	pthread_mutex_unlock(&ring.lock);
}

static long take(void)
{
	pthread_mutex_lock(&ring.lock);
	while (ring.count == 0)
		pthread_cond_wait(&ring.not_empty, &ring.lock);
	long v = ring.slot[ring.head];
	ring.head = (ring.head + 1) % SLOTS;
	ring.count--;
	pthread_cond_signal(&ring.not_full);
	pthread_mutex_unlock(&ring.lock);
	return v;
}

/* Producer p puts p * ITEMS + 1 ... p * ITEMS + ITEMS. */
static void *produce(void *arg)
{
	long base = (long)(uintptr_t)arg * ITEMS;

	for (long i = 1; i <= ITEMS; i++)
		put(base + i);
	return NULL;
}

struct tally {
	long sum, items;
};

/* A consumer takes items until the 0 that ends it. */
static void *consume(void *arg)
{
	struct tally *t = arg;
	long v;

	while ((v = take()) != 0) {
		t->sum += v;
		t->items++;
	}
	return NULL;
}

static void producer_consumer(void *unused)
{
	pthread_t prod[PRODUCERS], cons[CONSUMERS];
	struct tally got[CONSUMERS] = { 0 };
	const char *what = "3 producers and 3 consumers, condition variables, a ring of 8";
	long n = (long)PRODUCERS * ITEMS, sum = 0, items = 0;

	(void)unused;
	for (int i = 0; i < CONSUMERS; i++)
		if (start(&cons[i], consume, &got[i], what))
			_exit(1);
	for (int i = 0; i < PRODUCERS; i++)
		if (start(&prod[i], produce, (void *)(uintptr_t)i, what))
			_exit(1);
	for (int i = 0; i < PRODUCERS; i++)
		pthread_join(prod[i], NULL);
	for (int i = 0; i < CONSUMERS; i++)
		put(0);
	for (int i = 0; i < CONSUMERS; i++) {
		pthread_join(cons[i], NULL);
		sum += got[i].sum;
		items += got[i].items;
	}
	tap_check(items == n && sum == n * (n + 1) / 2, what,
		  "%ld items summing to %ld, want %ld summing to %ld", items, sum, n, n * (n + 1) / 2);
}

#define WAITERS 10

static struct {
	pthread_mutex_t lock;
	pthread_cond_t opened, arrived;
	int open, waiting, woken;
} gate = { .lock = PTHREAD_MUTEX_INITIALIZER, .opened = PTHREAD_COND_INITIALIZER,
	    .arrived = PTHREAD_COND_INITIALIZER };

static void *wait_at_gate(void *unused)
{
	(void)unused;
	pthread_mutex_lock(&gate.lock);
	gate.waiting++;
	pthread_cond_signal(&gate.arrived);
	while (!gate.open)
		pthread_cond_wait(&gate.opened, &gate.lock);
	gate.woken++;
	pthread_mutex_unlock(&gate.lock);
	return NULL;
}

/* Woken waiters after up to 10 s. */
static int woken_within_10s(void)
{
	double deadline = now_s() + 10;
	int woken;

	do {
		sleep_ms(5);
		pthread_mutex_lock(&gate.lock);
		woken = gate.woken;
		pthread_mutex_unlock(&gate.lock);
	} while (woken < WAITERS && now_s() < deadline);
	return woken;
}

static void broadcast(void *unused)
{
	pthread_t t[WAITERS];
	const char *what = "pthread_cond_broadcast wakes all 10 waiters";

	(void)unused;
	for (int i = 0; i < WAITERS; i++)
		if (start(&t[i], wait_at_gate, NULL, what))
			_exit(1);
	pthread_mutex_lock(&gate.lock);
	while (gate.waiting < WAITERS)
		pthread_cond_wait(&gate.arrived, &gate.lock);
	gate.open = 1;
	pthread_cond_broadcast(&gate.opened);
	pthread_mutex_unlock(&gate.lock);
	int woken = woken_within_10s();
	tap_check(woken == WAITERS, what, "%d woke within 10 s", woken);
	if (woken < WAITERS)
		return;	/* the sleepers would hang a join; exit_group ends them */
	for (int i = 0; i < WAITERS; i++)
		pthread_join(t[i], NULL);
}

/* ---- thread-local storage and identities ------------------------------ */

#define TLS_THREADS 8

static __thread long tls_value = 42;
static pthread_barrier_t tls_barrier;

struct ident {
	long first_value, last_value;
	long *address;
	pthread_t self;
	pid_t tid, pid;
};

/* Record what this thread sees, set its own TLS value, let the others set
 * theirs (barrier), then look again. */
static void *identify(void *arg)
{
	struct ident *me = arg;

	me->first_value = tls_value;
	tls_value = (long)(uintptr_t)me;
	me->address = &tls_value;
	me->self = pthread_self();
	me->tid = gettid_();
	me->pid = getpid();
	pthread_barrier_wait(&tls_barrier);
	for (int i = 0; i < 3; i++)
		sched_yield();
	me->last_value = tls_value;
	return NULL;
}

/* How many pairs of idents agree on a field (by byte comparison). */
static int same_pairs(const struct ident *id, int n, size_t offset, size_t size)
{
	int pairs = 0;

	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++)
			pairs += !memcmp((const char *)&id[i] + offset, (const char *)&id[j] + offset,
					 size);
	return pairs;
}

static void check_idents(const struct ident *id, int n)
{
	int fresh = 0, kept = 0, same_pid = 0, tid_is_pid = 0;

	for (int i = 0; i < n; i++) {
		fresh += id[i].first_value == 42;
		kept += id[i].last_value == (long)(uintptr_t)&id[i];
		same_pid += id[i].pid == getpid();
		tid_is_pid += id[i].tid == getpid();
	}
	tap_check_long(fresh, n, "__thread variable starts at its initial value in every thread");
	tap_check_long(kept, n, "__thread variable keeps each thread's own value");
	tap_check_long(same_pairs(id, n, offsetof(struct ident, address), sizeof(long *)), 0,
		       "__thread variable has a distinct address in each thread");
	tap_check_long(same_pairs(id, n, offsetof(struct ident, self), sizeof(pthread_t)), 0,
		       "pthread_self is distinct in each thread");
	tap_check_long(same_pairs(id, n, offsetof(struct ident, tid), sizeof(pid_t)), 0,
		       "gettid is distinct in each thread");
	tap_check_long(same_pid, n, "getpid is the same in every thread");
	tap_check_long(tid_is_pid, 0, "no other thread's gettid equals getpid");
	tap_check_long(gettid_(), getpid(), "the main thread's gettid equals getpid");
}

static void tls(void *unused)
{
	pthread_t t[TLS_THREADS];
	static struct ident id[TLS_THREADS];

	(void)unused;
	tls_value = 7;	/* the main thread's own: no other thread may see it */
	pthread_barrier_init(&tls_barrier, NULL, TLS_THREADS);
	for (int i = 0; i < TLS_THREADS; i++)
		if (start(&t[i], identify, &id[i], "thread-local storage"))
			_exit(1);
	for (int i = 0; i < TLS_THREADS; i++)
		pthread_join(t[i], NULL);
	check_idents(id, TLS_THREADS);
	tap_check_long(tls_value, 7, "the main thread's __thread variable is its own");
}

/* ---- detached threads ------------------------------------------------- */

#define DETACHED 10

static atomic_int detached_ran;

static void *note_run(void *unused)
{
	(void)unused;
	atomic_fetch_add(&detached_ran, 1);
	return NULL;
}

static void detached(void *unused)
{
	pthread_attr_t attr;
	const char *what = "10 detached threads run without a join";

	(void)unused;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (int i = 0; i < DETACHED; i++) {
		pthread_t t;
		/* half detached at creation, half by pthread_detach afterwards */
		int err = pthread_create(&t, i % 2 ? &attr : NULL, note_run, NULL);
		if (!err && i % 2 == 0)
			err = pthread_detach(t);
		if (err) {
			tap_fail(what, "thread %d: %s", i, strerror(err));
			return;
		}
	}
	double deadline = now_s() + 10;
	while (atomic_load(&detached_ran) < DETACHED && now_s() < deadline)
		sleep_ms(5);
	tap_check_long(atomic_load(&detached_ran), DETACHED, what);
}

/* ---- exit, exit_group and pthread_exit -------------------------------- */

static int never_written[2];

static void *block_forever(void *unused)
{
	char c;

	(void)unused;
	while (read(never_written[0], &c, 1) != 0)
		;
	return NULL;
}

static void *exit_3(void *unused)
{
	(void)unused;
	sleep_ms(20);
	exit(3);
}

/* The child: three threads blocked in read, one calling exit(3), the main
 * thread waiting to join it. */
static void exit_group_child(void)
{
	pthread_t t[4];

	if (pipe(never_written) < 0)
		_exit(100);
	for (int i = 0; i < 3; i++)
		if (pthread_create(&t[i], NULL, block_forever, NULL))
			_exit(101);
	if (pthread_create(&t[3], NULL, exit_3, NULL))
		_exit(102);
	pthread_join(t[3], NULL);
	_exit(103);	/* exit(3) should have ended this thread too */
}

/* Several threads fork at once, each waiting for its own children: with
 * the memory audit on (make test boots vm_audit=1), every exit checks the
 * whole system while other threads are half-way through a fork. */
#define FORKERS 8
#define FORKS_EACH 30

static void *forker(void *arg)
{
	long bad = 0;

	(void)arg;
	for (int i = 0; i < FORKS_EACH; i++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(7);
		int status = pid > 0 ? tap_wait(pid) : -1;
		bad += !(WIFEXITED(status) && WEXITSTATUS(status) == 7);
	}
	return (void *)bad;
}

static void fork_from_threads(void *unused)
{
	pthread_t t[FORKERS];
	long bad = 0;
	int made = 0;

	(void)unused;
	for (; made < FORKERS; made++)
		if (pthread_create(&t[made], NULL, forker, NULL))
			break;
	for (int i = 0; i < made; i++) {
		void *r;
		pthread_join(t[i], &r);
		bad += (long)r;
	}
	tap_check(made == FORKERS && bad == 0,
		  "8 threads fork 30 children each at once: every child exits 7",
		  "%d threads, %ld children went wrong", made, bad);
}

static void exit_group_from_thread(void *unused)
{
	int alive[2];
	char path[64], c;

	(void)unused;
	if (pipe2(alive, O_NONBLOCK) < 0)
		_exit(1);
	pid_t pid = fork();
	if (pid == 0) {
		close(alive[0]);	/* alive[1] stays open in every thread's file table */
		exit_group_child();
	}
	close(alive[1]);
	int status = tap_wait_timeout(pid, 30, NULL, NULL);
	tap_check(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 3,
		  "exit(3) from a non-main thread: the parent's wait sees status 3",
		  "child %s", status == -2 ? "still running after 30 s" : tap_status_str(status));
	ssize_t n = read(alive[0], &c, 1);
	tap_check(n == 0, "... and no thread of it is left (its files are closed)",
		  "read of its pipe: %zd (%s)", n, n < 0 ? strerror(errno) : "data");
	snprintf(path, sizeof path, "/proc/%d", (int)pid);
	tap_check(access(path, F_OK) != 0, "... and /proc/PID is gone", "%s exists", path);
}

static const char *self_path;
static int order_fd;

static void *write_after_main(void *unused)
{
	(void)unused;
	sleep_ms(50);
	if (write(order_fd, "T", 1) != 1)
		_exit(104);
	return NULL;
}

/* The helper run as "test_threads --pthread-exit-main FD": its main thread
 * writes M to FD and leaves with pthread_exit; the other writes T, later,
 * and returns.  (A freshly executed process: musl 1.2.3's fork does not
 * renew the main thread's clear_child_tid, so a forked child whose main
 * thread calls pthread_exit deadlocks its last thread on Linux too.) */
static int pthread_exit_helper(const char *fd)
{
	pthread_t t;

	order_fd = atoi(fd);
	if (pthread_create(&t, NULL, write_after_main, NULL))
		return 105;
	if (write(order_fd, "M", 1) != 1)
		return 106;
	pthread_exit(NULL);
}

static void pthread_exit_main(void *unused)
{
	int order[2];
	char got[3] = "", fd[16];

	(void)unused;
	if (pipe(order) < 0)
		_exit(1);
	snprintf(fd, sizeof fd, "%d", order[1]);
	pid_t pid = fork();
	if (pid == 0) {
		execl(self_path, "test_threads", "--pthread-exit-main", fd, (char *)NULL);
		_exit(107);
	}
	close(order[1]);
	int status = tap_wait_timeout(pid, 30, NULL, NULL);
	ssize_t n = read_full(order[0], got, 2);
	tap_check(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "main calls pthread_exit, its thread returns: the process exits 0",
		  "child %s", status == -2 ? "still running after 30 s" : tap_status_str(status));
	tap_check(n == 2 && !strcmp(got, "MT"), "... and the thread ran on after main left",
		  "the pipe says \"%s\", want \"MT\"", got);
}

/* ---- processors ------------------------------------------------------- */

/* "processor : N" lines of /proc/cpuinfo; -1 when it cannot be read. */
static int cpuinfo_processors(void)
{
	static char buf[65536];
	int n = 0;

	if (read_file("/proc/cpuinfo", buf, sizeof buf) <= 0)
		return -1;
	for (char *l = buf; l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		n += !strncmp(l, "processor", 9) && strchr(" \t:", l[9]);
	return n;
}

static void processors(void)
{
	cpu_set_t set;
	int listed = cpuinfo_processors();
	long online = sysconf(_SC_NPROCESSORS_ONLN);

	tap_check(listed > 0, "/proc/cpuinfo lists the processors", "%d processor lines", listed);
	tap_check(online == listed, "sysconf(_SC_NPROCESSORS_ONLN) counts what /proc/cpuinfo lists",
		  "sysconf says %ld, /proc/cpuinfo %d", online, listed);
	CPU_ZERO(&set);
	int err = sched_getaffinity(0, sizeof set, &set) ? errno : 0;
	tap_check(!err && CPU_COUNT(&set) == listed,
		  "sched_getaffinity allows every processor /proc/cpuinfo lists",
		  "%s, %d allowed, %d listed", err ? strerror(err) : "ok", CPU_COUNT(&set), listed);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *what;
		void (*fn)(void *);
	} cases[] = {
		{ "200 threads in waves", create_waves },
		{ "20 threads at once", create_at_once },
		{ "mutex counter", mutex_counter },
		{ "producers and consumers", producer_consumer },
		{ "condition broadcast", broadcast },
		{ "thread-local storage and ids", tls },
		{ "detached threads", detached },
		{ "exit_group from a thread", exit_group_from_thread },
		{ "fork from several threads", fork_from_threads },
		{ "pthread_exit from main", pthread_exit_main },
	};

	if (argc == 3 && !strcmp(argv[1], "--pthread-exit-main"))
		return pthread_exit_helper(argv[2]);
	if (argv[0] && strchr(argv[0], '/'))
		self_path = argv[0];
	else
		self_path = strdup(tap_bin("test_threads"));
	processors();
	int failed = tap.failed;
	tap_case("one thread", create_one, NULL, CASE_TIMEOUT_S);
	if (tap.failed > failed) {
		tap_diag("no threads here (is clone missing?): the thread cases are not run\n");
		return tap_done();
	}
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		tap_case(cases[i].what, cases[i].fn, NULL, CASE_TIMEOUT_S);
	return tap_done();
}
