/*
 * ls - list directory contents: "ls [-a] [-l] [PATH...]" (default ".").
 * Names come from opendir/readdir (the getdents64 system call), sorted.
 * -a includes names starting with '.'; -l adds the file type and
 * permissions and the size in bytes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int show_all, long_format;

/* "drwxr-xr-x"-style text for a mode. */
static void mode_text(mode_t mode, char text[11])
{
	static const char rwx[] = "rwxrwxrwx";

	text[0] = S_ISDIR(mode) ? 'd' : S_ISLNK(mode) ? 'l' : S_ISCHR(mode) ? 'c'
		: S_ISBLK(mode) ? 'b' : S_ISFIFO(mode) ? 'p' : '-';
	for (int i = 0; i < 9; i++)
		text[i + 1] = (mode & (0400 >> i)) ? rwx[i] : '-';
	text[10] = '\0';
}

/* Print one name; with -l also its type, permissions and size (st may be
 * NULL when they could not be found out). */
static void print_entry(const struct stat *st, const char *name)
{
	char mode[11];

	if (!long_format)
		printf("%s\n", name);
	else if (!st)
		printf("?????????? %10s %s\n", "?", name);
	else {
		mode_text(st->st_mode, mode);
		printf("%s %10lld %s\n", mode, (long long)st->st_size, name);
	}
}

/* Status of a path given on the command line: open it and fstat it. */
static int stat_path(const char *path, struct stat *st)
{
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	int ret = fstat(fd, st);
	close(fd);
	return ret;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read the names in a directory into a sorted, malloc'ed array. */
static char **read_names(DIR *dir, size_t *count)
{
	char **names = NULL;
	size_t used = 0, size = 0;
	struct dirent *entry;

	while ((entry = readdir(dir)) != NULL) {
		if (entry->d_name[0] == '.' && !show_all)
			continue;
		if (used == size) {
			size = size ? 2 * size : 64;
			char **bigger = realloc(names, size * sizeof *names);
			if (!bigger)
				break;
			names = bigger;
		}
		names[used] = strdup(entry->d_name);
		if (names[used])
			used++;
	}
	qsort(names, used, sizeof *names, compare_names);
	*count = used;
	return names;
}

static int list_directory(DIR *dir)
{
	size_t count;
	char **names = read_names(dir, &count);
	struct stat st;

	for (size_t i = 0; i < count; i++) {
		/* The name is relative to the open directory: newfstatat. */
		int known = long_format && fstatat(dirfd(dir), names[i], &st, 0) == 0;
		print_entry(known ? &st : NULL, names[i]);
		free(names[i]);
	}
	free(names);
	return 0;
}

static int list_path(const char *path, int with_header)
{
	DIR *dir = opendir(path);

	if (!dir && errno == ENOTDIR) {
		struct stat st;
		int known = long_format && stat_path(path, &st) == 0;
		print_entry(known ? &st : NULL, path);
		return 0;
	}
	if (!dir) {
		dprintf(STDERR_FILENO, "ls: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (with_header)
		printf("%s:\n", path);
	int status = list_directory(dir);
	closedir(dir);
	return status;
}

/* Parse -a/-l style options; returns the index of the first path. */
static int parse_options(int argc, char **argv)
{
	int i = 1;

	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		for (const char *c = argv[i] + 1; *c; c++) {
			if (*c == 'a')
				show_all = 1;
			else if (*c == 'l')
				long_format = 1;
			else {
				dprintf(STDERR_FILENO, "usage: ls [-al] [PATH...]\n");
				exit(2);
			}
		}
	}
	return i;
}

int main(int argc, char **argv)
{
	int first = parse_options(argc, argv), status = 0;

	if (first == argc)
		return list_path(".", 0);
	for (int i = first; i < argc; i++)
		status |= list_path(argv[i], argc - first > 1);
	return status;
}
