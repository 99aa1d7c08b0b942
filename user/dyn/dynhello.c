/*
 * dynhello - the dynamically linked program of test_dynlink and the dynlink
 * demo (built without -static: execve loads musl's dynamic linker,
 * /lib/ld-musl-x86_64.so.1, which relocates it and then runs it; the
 * Makefile also builds it as the static PIE dynhello-spie).
 *
 *     dynhello          print a greeting and what the kernel told the
 *                       loader: the auxiliary vector's AT_BASE, AT_ENTRY,
 *                       AT_PHDR, AT_PHNUM, and where the program really is
 *                       (its _start, its program headers and load address
 *                       as the loader found them, dl_iterate_phdr);
 *     dynhello --wait   the same, then wait until standard input ends, so
 *                       that several copies run at once and their frames
 *                       can be read (/proc/PID/pagemap).
 *
 * Output lines are KEY=VALUE, addresses in hex.
 */
#define _GNU_SOURCE
#include <link.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

extern char _start[];

/* A pointer the loader relocates: its page (the program's data) becomes
 * this process's private copy. */
const char *greeting = "hello from a dynamically linked program";

struct found {
	uintptr_t base;
	const void *phdr;
	int phnum;
};

/* dl_iterate_phdr reports the program first. */
static int first_object(struct dl_phdr_info *info, size_t size, void *data)
{
	struct found *f = data;

	(void)size;
	f->base = info->dlpi_addr;
	f->phdr = info->dlpi_phdr;
	f->phnum = info->dlpi_phnum;
	return 1;
}

int main(int argc, char **argv)
{
	struct found self = { 0, NULL, 0 };
	char buf[64];

	dl_iterate_phdr(first_object, &self);
	printf("%s\n", greeting);
	printf("AT_BASE=%#lx\nAT_ENTRY=%#lx\nAT_PHDR=%#lx\nAT_PHNUM=%lu\n", getauxval(AT_BASE),
	       getauxval(AT_ENTRY), getauxval(AT_PHDR), getauxval(AT_PHNUM));
	printf("_start=%p\nphdr=%p\nphnum=%d\nbase=%#lx\n", (void *)_start, self.phdr,
	       self.phnum, (unsigned long)self.base);
	printf("greeting=%p\n", (void *)&greeting);
	fflush(stdout);
	if (argc > 1 && strcmp(argv[1], "--wait") == 0)
		while (read(STDIN_FILENO, buf, sizeof buf) > 0)
			continue;
	return 0;
}
