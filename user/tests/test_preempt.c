/*
 * test_preempt - a long system call lets other processes run and stops for
 * a fatal signal (Linux: cond_resched and fatal_signal_pending).
 *
 * A child makes one long call:
 *   - write(2) of 4 MiB of never-touched PROT_READ memory (the zero page)
 *     into a pipe that another child drains slowly;
 *   - readv(2) from /dev/zero of 512 vectors over the same 4 MiB buffer
 *     (2 GiB, clamped by the kernel to MAX_RW_COUNT), which only copies;
 *   - write(2) of the 4 MiB of zero page to the console (when standard error
 *     is a terminal: the serial console takes about 3 s for it under TCG).
 *     About 25 kB of NUL bytes reach the console before the kill.
 * It says "started" through one pipe just before the call, and sends the
 * call's result through a "done" pipe if the call returns.  The parent then
 * sleeps 20 ms: the sleep must end while the call still runs (the done pipe
 * is empty), and SIGKILL must end the child before its call returns (it dies
 * of SIGKILL and never reports a result).
 * Runs on Linux: yes
 */
#include "tap.h"

#include <fcntl.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>

#define BUF_BYTES (4UL << 20)
#define NVEC 512

struct call {
	const char *name;
	long (*fn)(char *buf, int fd);	/* the long call; FD from setup */
	int fd;
};

/* write(2) of the whole buffer to FD (a pipe or the console). */
static long pipe_write(char *buf, int fd)
{
	return write(fd, buf, BUF_BYTES);
}

static long zero_readv(char *buf, int fd)
{
	static struct iovec iov[NVEC];

	for (int i = 0; i < NVEC; i++)
		iov[i] = (struct iovec){ buf, BUF_BYTES };
	return readv(fd, iov, NVEC);
}

/* The slow reader of the pipe: one page every 10 ms. */
static pid_t start_slow_reader(int fd)
{
	pid_t pid = fork();
	char page[4096];

	if (pid == 0) {
		while (read(fd, page, sizeof page) > 0)
			sleep_ms(10);
		_exit(0);
	}
	return pid;
}

/* Child: announce on STARTED, make the call, report its result on DONE. */
static void caller(const struct call *c, char *buf, int started, int done)
{
	long r;

	if (write(started, "s", 1) != 1)
		_exit(2);
	r = c->fn(buf, c->fd);
	tap_write_full(done, &r, sizeof r);
	_exit(0);
}

static void check_call(const struct call *c, int prot)
{
	char *buf = mmap(NULL, BUF_BYTES, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int started[2], done[2];
	char what[160], ch;
	long r;

	if (buf == MAP_FAILED || pipe(started) || pipe2(done, O_NONBLOCK)) {
		tap_fail(c->name, "set-up failed: %s", strerror(errno));
		return;
	}
	double t0 = now_s();
	pid_t pid = fork();
	if (pid == 0)
		caller(c, buf, started[1], done[1]);
	close(started[1]);
	close(done[1]);
	bool began = read(started[0], &ch, 1) == 1;
	sleep_ms(20);
	double slept = now_s() - t0;
	ssize_t early = read(done[0], &r, sizeof r);
	int early_errno = errno;
	kill(pid, SIGKILL);
	int status = tap_wait(pid);
	/* nothing is printed before the kill: on the console the child's bytes
	 * would run into a TAP line; then end the line they are on */
	if (c->fd == STDERR_FILENO)
		tap_write_full(STDERR_FILENO, "\n", 1);
	tap_diag("%s: fork, then a 20 ms sleep: %.1f ms\n", c->name, slept * 1000);
	snprintf(what, sizeof what, "%s: a 20 ms sleep elsewhere ends while the call runs",
		 c->name);
	tap_check(began && early < 0 && early_errno == EAGAIN, what, "the call had %s",
		  early > 0 ? "returned first" : "not started");
	snprintf(what, sizeof what, "%s: SIGKILL ends the call before it returns", c->name);
	bool killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
	tap_check(killed && read(done[0], &r, sizeof r) == 0, what, "child %s",
		  tap_status_str(status));
	close(started[0]);
	close(done[0]);
	munmap(buf, BUF_BYTES);
}

int main(void)
{
	int fds[2];

	if (pipe(fds))
		return 1;
	pid_t reader = start_slow_reader(fds[0]);
	close(fds[0]);
	struct call w = { "write of 4 MiB of the zero page to a slow pipe", pipe_write, fds[1] };
	check_call(&w, PROT_READ);
	close(fds[1]);
	kill(reader, SIGKILL);
	tap_wait(reader);

	struct call v = { "readv of 2 GiB from /dev/zero", zero_readv, open("/dev/zero", O_RDONLY) };
	check_call(&v, PROT_READ | PROT_WRITE);
	close(v.fd);

	if (isatty(STDERR_FILENO)) {
		struct call c = { "write of 4 MiB of the zero page to the console", pipe_write,
				  STDERR_FILENO };
		check_call(&c, PROT_READ);
		tap_diag("(the NUL bytes above are that write's, cut short)\n");
	} else {
		tap_skip("write of 4 MiB to the console", "standard error is not a terminal");
	}
	return tap_done();
}
