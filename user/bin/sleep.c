/*
 * sleep - wait for the given number of seconds, which may be fractional
 * ("sleep 0.25").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char *end;

	if (argc != 2) {
		dprintf(STDERR_FILENO, "usage: sleep SECONDS\n");
		return 2;
	}
	double seconds = strtod(argv[1], &end);
	if (end == argv[1] || *end != '\0' || !(seconds >= 0) || seconds > 1e9) {
		dprintf(STDERR_FILENO, "sleep: invalid time '%s'\n", argv[1]);
		return 2;
	}

	struct timespec left;
	left.tv_sec = (time_t)seconds;
	left.tv_nsec = (long)((seconds - (double)left.tv_sec) * 1e9);
	/* nanosleep stores the time still to sleep when interrupted. */
	while (nanosleep(&left, &left) < 0) {
		if (errno != EINTR) {
			perror("sleep");
			return 1;
		}
	}
	return 0;
}
