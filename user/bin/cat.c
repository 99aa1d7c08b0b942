/*
 * cat - copy each named file (or standard input, for "-" or no names) to
 * standard output.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Write all of buf, resuming after partial writes. */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		buf += n;
		len -= n;
	}
	return 0;
}

/* Copy fd to standard output; returns 0 or an errno value. */
static int copy_fd(int fd)
{
	static char buf[4096];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		if (n == 0)
			return 0;
		if (write_all(STDOUT_FILENO, buf, n) < 0)
			return errno;
	}
}

static int cat_file(const char *name)
{
	int err;

	if (strcmp(name, "-") == 0) {
		err = copy_fd(STDIN_FILENO);
	} else {
		int fd = open(name, O_RDONLY);
		if (fd < 0) {
			err = errno;
		} else {
			err = copy_fd(fd);
			close(fd);
		}
	}
	if (err)
		dprintf(STDERR_FILENO, "cat: %s: %s\n", name, strerror(err));
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	int status = 0;

	if (argc < 2)
		return cat_file("-");
	for (int i = 1; i < argc; i++)
		status |= cat_file(argv[i]);
	return status;
}
