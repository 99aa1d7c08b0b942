/*
 * pmap - a process's mappings and the state of each of their pages.
 *
 *     pmap [-v] [PID | self] [ADDRESS]     (no PID: pmap itself)
 *
 * For each mapping of /proc/PID/maps: its address range, permissions, size
 * and name, how many of its pages are in each state, and a picture of its
 * pages, one character per page, 64 pages to a line:
 *
 *     W  private: present and mapped once (kpagecount 1)
 *     C  shared copy-on-write: the frame is mapped more than once
 *     M  merged by KSM: a write-protected frame shared by content (kpageflags KSM)
 *     0  the zero page (untouched memory that has only been read)
 *     P  program page: a page-cache frame of the file (pagemap bit 61): a
 *        program's or library's page not yet written, or any page of a
 *        MAP_SHARED mapping, which maps the file's frame itself
 *     .  not present
 *
 * The rss column counts the present pages but the zero page's, as Linux's
 * Rss does (untouched memory that was only read costs nothing).
 * The pss column is the mapping's Pss from /proc/PID/smaps, in kB: each
 * present page divided by the number of mappings of its frame (a C page
 * shared by two processes counts half), the zero page not at all: what the
 * mapping really costs this process.  "-" when smaps cannot be read.
 *
 * Runs of lines with no page present are folded into one line; a mapping's
 * picture stops after 4096 pages (the counts still cover all of it).
 * -v adds one line per present page: address, frame number, kpagecount.
 * ADDRESS (hex) shows only the mapping that contains it.
 *
 * The zero page is found as the frame that a fresh anonymous page of pmap
 * itself maps after being read (unless /proc/sys/vm/zero_page is 0, or
 * /proc/kpageflags says that frame is not the zero page).  Reading other
 * processes' frame numbers needs root on Linux; it works there too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ulib.h"

#define PAGE 4096UL
#define PFN_MASK ((1ULL << 55) - 1)
#define PM_PRESENT (1ULL << 63)
#define PM_FILE (1ULL << 61)
#define KPF_ZERO_PAGE (1ULL << 24)
#define KPF_KSM (1ULL << 21)
#define PER_LINE 64
#define MAX_PICTURE 4096
#define CHUNK 8192		/* pagemap entries read at a time */

static int pagemap_fd = -1, kpagecount_fd = -1, kpageflags_fd = -1;
static char smaps[512 * 1024];	/* /proc/PID/smaps; empty if unreadable */
static uint64_t zero_pfn;	/* 0: unknown */

static long kpagecount(uint64_t pfn)
{
	uint64_t n;

	if (kpagecount_fd < 0 ||
	    pread(kpagecount_fd, &n, sizeof n, (off_t)(pfn * sizeof n)) != sizeof n)
		return -1;
	return (long)n;
}

/* Read count entries of the open pagemap from virtual page vpn; returns how many. */
static size_t read_pagemap(int fd, uint64_t vpn, uint64_t *out, size_t count)
{
	size_t done = 0;

	while (done < count) {
		ssize_t n = pread(fd, (char *)out + done * 8, (count - done) * 8,
				  (off_t)((vpn + done) * 8));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n / 8;
	}
	return done;
}

static void find_zero_pfn(void)
{
	char buf[16] = "";
	int fd = open("/proc/sys/vm/zero_page", O_RDONLY);

	if (fd >= 0) {
		ssize_t n = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (n > 0 && buf[0] == '0')
			return;	/* reads allocate: there is no zero page to find */
	}
	volatile char *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				-1, 0);
	if (p == MAP_FAILED)
		return;
	(void)p[0];
	int self = open("/proc/self/pagemap", O_RDONLY);
	uint64_t e = 0;
	if (self >= 0 && read_pagemap(self, (uintptr_t)p / PAGE, &e, 1) == 1 && (e & PM_PRESENT))
		zero_pfn = e & PFN_MASK;
	if (self >= 0)
		close(self);
	munmap((void *)p, PAGE);

	uint64_t flags;
	fd = open("/proc/kpageflags", O_RDONLY);
	if (fd >= 0) {
		if (zero_pfn && pread(fd, &flags, sizeof flags, (off_t)(zero_pfn * 8)) == 8 &&
		    !(flags & KPF_ZERO_PAGE))
			zero_pfn = 0;
		close(fd);
	}
}

/* True when frame PFN is a page merged by KSM. */
static int merged(uint64_t pfn)
{
	uint64_t flags;

	return kpageflags_fd >= 0 &&
	       pread(kpageflags_fd, &flags, sizeof flags, (off_t)(pfn * sizeof flags)) ==
		       sizeof flags &&
	       (flags & KPF_KSM);
}

/* The state character of one pagemap entry (and its share count, if known). */
static char page_char(uint64_t e, long *count)
{
	*count = -1;
	if (!(e & PM_PRESENT))
		return '.';
	uint64_t pfn = e & PFN_MASK;
	if (zero_pfn && pfn == zero_pfn)
		return '0';
	*count = kpagecount(pfn);
	if (e & PM_FILE)
		return 'P';
	if (merged(pfn))
		return 'M';
	return *count > 1 ? 'C' : 'W';
}

struct tally {
	unsigned long pages, w, c, m, zero, p, absent;
};

static void count_char(struct tally *t, char c)
{
	t->pages++;
	switch (c) {
	case 'W': t->w++; break;
	case 'C': t->c++; break;
	case 'M': t->m++; break;
	case '0': t->zero++; break;
	case 'P': t->p++; break;
	default: t->absent++; break;
	}
}

static void print_size(unsigned long bytes)
{
	if (bytes >= (1UL << 30) && bytes % (1UL << 30) == 0)
		printf("%7luG", bytes >> 30);
	else if (bytes >= (1UL << 20) && bytes % (1UL << 20) == 0)
		printf("%7luM", bytes >> 20);
	else
		printf("%7luK", bytes >> 10);
}

/* The Pss (kB) of the smaps entry that starts at START; -1 if unknown. */
static long mapping_pss(uint64_t start)
{
	char key[32];
	int n = snprintf(key, sizeof key, "%08lx-", (unsigned long)start);

	for (const char *l = smaps; *l; l = strchr(l, '\n'), l = l ? l + 1 : "")
		if (!strncmp(l, key, (size_t)n))
			return kb_field(l, "Pss");
	return -1;
}

static void print_pss(long kb)
{
	if (kb < 0)
		printf(" %7s", "-");
	else
		printf(" %6ldK", kb);
}

/* One mapping: the header line, then the picture (and -v's page lines). */
static void show_mapping(uint64_t start, uint64_t end, const char *perms, const char *name,
			 int verbose, struct tally *total, long *pss_total)
{
	static uint64_t entries[CHUNK];
	static char picture[MAX_PICTURE + 1];
	struct tally t = { 0 };
	uint64_t npages = (end - start) / PAGE, shown = 0;
	int readable = 1;

	/* first pass: the counts over the whole mapping, the picture's pages */
	for (uint64_t done = 0; done < npages;) {
		size_t want = npages - done < CHUNK ? npages - done : CHUNK;
		size_t got = pagemap_fd >= 0 ? read_pagemap(pagemap_fd, start / PAGE + done,
							    entries, want) : 0;
		if (got < want) {
			memset(entries + got, 0, (want - got) * 8);
			readable = 0;
		}
		for (size_t i = 0; i < want; i++) {
			long count;
			char c = page_char(entries[i], &count);
			count_char(&t, c);
			if (done + i < MAX_PICTURE)
				picture[shown++] = c;
		}
		done += want;
	}
	picture[shown] = '\0';

	printf("%012lx-%012lx %s ", (unsigned long)start, (unsigned long)end, perms);
	print_size(end - start);
	long pss = mapping_pss(start);
	printf(" %6lu %6lu %6lu %6lu %6lu", t.w, t.c, t.zero, t.p,
	       (unsigned long)(npages - t.absent - t.zero));
	print_pss(pss);
	printf("  %s\n", name);
	*pss_total = pss < 0 || *pss_total < 0 ? -1 : *pss_total + pss;
	if (!readable)
		printf("    (pagemap unreadable for part of this mapping)\n");

	/* the picture, 64 pages a line; runs of empty lines folded into one */
	for (uint64_t line = 0; line * PER_LINE < shown;) {
		uint64_t from = line * PER_LINE, n = shown - from < PER_LINE ? shown - from : PER_LINE;
		int empty = strspn(picture + from, ".") >= n;
		if (empty) {
			uint64_t run = line;
			while ((run + 1) * PER_LINE < shown &&
			       strspn(picture + (run + 1) * PER_LINE, ".") >=
				       (shown - (run + 1) * PER_LINE < PER_LINE ?
						shown - (run + 1) * PER_LINE : PER_LINE))
				run++;
			if (run > line) {
				uint64_t last = (run + 1) * PER_LINE < shown ? (run + 1) * PER_LINE : shown;
				printf("    %012lx  (%lu pages not present)\n",
				       (unsigned long)(start + from * PAGE), (unsigned long)(last - from));
				line = run + 1;
				continue;
			}
		}
		printf("    %012lx  %.*s\n", (unsigned long)(start + from * PAGE), (int)n,
		       picture + from);
		line++;
	}
	if (npages > MAX_PICTURE)
		printf("    ... %lu more pages not drawn (counts above cover them)\n",
		       (unsigned long)(npages - MAX_PICTURE));

	if (verbose && pagemap_fd >= 0) {
		uint64_t listed = 0;
		for (uint64_t done = 0; done < npages && listed < MAX_PICTURE;) {
			size_t want = npages - done < CHUNK ? npages - done : CHUNK;
			size_t got = read_pagemap(pagemap_fd, start / PAGE + done, entries, want);
			for (size_t i = 0; i < got && listed < MAX_PICTURE; i++) {
				long count;
				char c = page_char(entries[i], &count);
				if (c == '.')
					continue;
				printf("      %012lx %c  pfn %8llx  mapped %ld\n",
				       (unsigned long)(start + (done + i) * PAGE), c,
				       (unsigned long long)(entries[i] & PFN_MASK), count);
				listed++;
			}
			done += want;
		}
	}
	total->pages += t.pages, total->w += t.w, total->c += t.c;
	total->zero += t.zero, total->p += t.p, total->absent += t.absent;
}

int main(int argc, char **argv)
{
	static char maps[256 * 1024];
	char path[64], comm[64] = "";
	const char *who = "self";
	int verbose = 0, nargs = 0, only = 0;
	unsigned long only_addr = 0;

	for (int i = 1; i < argc; i++) {
		char *end;
		if (!strcmp(argv[i], "-v")) {
			verbose = 1;
		} else if (nargs == 0 && (!strcmp(argv[i], "self") ||
					  (argv[i][0] && strspn(argv[i], "0123456789") ==
								 strlen(argv[i])))) {
			who = argv[i];
			nargs++;
		} else if (nargs == 1 && argv[i][0] != '-' &&
			   (only_addr = strtoul(argv[i], &end, 16), *end == '\0')) {
			only = 1;
			nargs++;
		} else {
			fprintf(stderr, "usage: pmap [-v] [PID | self] [ADDRESS]\n");
			return 2;
		}
	}
	int pid = strcmp(who, "self") ? atoi(who) : getpid();

	find_zero_pfn();
	snprintf(path, sizeof path, "/proc/%d/maps", pid);
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "pmap: %s: %s\n", path, strerror(errno));
		return 1;
	}
	size_t len = 0;
	for (ssize_t n; len < sizeof maps - 1 &&
			(n = read(fd, maps + len, sizeof maps - 1 - len)) > 0;)
		len += n;
	maps[len] = '\0';
	close(fd);
	snprintf(path, sizeof path, "/proc/%d/pagemap", pid);
	pagemap_fd = open(path, O_RDONLY);
	if (pagemap_fd < 0)
		fprintf(stderr, "pmap: %s: %s (no page pictures)\n", path, strerror(errno));
	snprintf(path, sizeof path, "/proc/%d/smaps", pid);
	if (read_file(path, smaps, sizeof smaps) < 0)
		fprintf(stderr, "pmap: %s: %s (no pss)\n", path, strerror(errno));
	kpagecount_fd = open("/proc/kpagecount", O_RDONLY);
	kpageflags_fd = open("/proc/kpageflags", O_RDONLY);
	snprintf(path, sizeof path, "/proc/%d/comm", pid);
	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		ssize_t n = read(fd, comm, sizeof comm - 1);
		comm[n > 0 ? n : 0] = '\0';
		comm[strcspn(comm, "\n")] = '\0';
		close(fd);
	}

	printf("%d: %s%s\n", pid, comm, pid == getpid() ? " (pmap itself)" : "");
	printf("%-25s %-4s %8s %6s %6s %6s %6s %6s %7s  %s\n", "address", "perm", "size", "W", "C",
	       "0", "P", "rss", "pss", "mapping");
	struct tally total = { 0 };
	long pss_total = 0;
	for (char *line = maps; *line;) {
		char *next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		else
			next = line + strlen(line);
		unsigned long start, end;
		char perms[8] = "";
		int name_at = 0;
		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %n", &start, &end, perms, &name_at) >= 3) {
			const char *name = name_at ? line + name_at : "";
			while (*name == ' ')
				name++;
			if (!*name)
				name = "[anon]";
			if (start < (1UL << 47) &&	/* not [vsyscall] */
			    (!only || (only_addr >= start && only_addr < end)))
				show_mapping(start, end, perms, name, verbose, &total, &pss_total);
		}
		line = next;
	}
	printf("total ");
	print_size(total.pages * PAGE);
	printf(", pss");
	print_pss(pss_total);
	printf(", %lu pages present: %lu private (W), %lu shared copy-on-write (C), "
	       "%lu merged (M), %lu zero page (0), %lu program (P)\n",
	       total.pages - total.absent, total.w, total.c, total.m, total.zero, total.p);
	printf("W private (mapped once)  C shared copy-on-write  M merged  0 zero page  "
	       "P program page  "
	       ". not present%s\n", zero_pfn ? "" : "  (zero page unknown)");
	return 0;
}
