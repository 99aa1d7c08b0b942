/*
 * echo - print the arguments separated by spaces and ended by a newline.
 * "-n" as the first argument leaves out the newline.  The whole line goes
 * out in one writev(2), so it cannot interleave with other writers.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int first = 1, newline = 1;

	if (argc > 1 && strcmp(argv[1], "-n") == 0) {
		newline = 0;
		first = 2;
	}

	/* Pieces: each word, plus a space or the final newline after it. */
	int words = argc - first;
	struct iovec *iov = calloc(2 * (size_t)words + 1, sizeof *iov);
	if (!iov)
		return 1;
	int count = 0;
	for (int i = first; i < argc; i++) {
		iov[count++] = (struct iovec){ argv[i], strlen(argv[i]) };
		if (i + 1 < argc)
			iov[count++] = (struct iovec){ " ", 1 };
	}
	if (newline)
		iov[count++] = (struct iovec){ "\n", 1 };

	/* writev takes at most IOV_MAX pieces; echo is rarely that long. */
	int done = 0;
	while (done < count) {
		int batch = count - done > 1024 ? 1024 : count - done;
		if (writev(STDOUT_FILENO, iov + done, batch) < 0)
			return 1;
		done += batch;
	}
	return 0;
}
