/*
 * dynlink - the dynamic linker's use of copy-on-write: every process shares
 * the frames of libc's code, and has its own copy of each page the loader
 * relocated.
 *
 *     dynlink [N]            (default 4, 2 to 16)
 *
 * It starts N copies of dynhello ($BIN/dynhello, default /bin), a
 * dynamically linked program: execve
 * loads the interpreter it names, musl's /lib/ld-musl-x86_64.so.1 (which is
 * musl's libc as well), and that loader relocates itself and the program
 * before it runs main.  When every copy has printed its greeting, it reads
 * each copy's /proc/PID/maps and /proc/PID/pagemap and, for three areas,
 * counts the pages every copy maps:
 *
 *   libc text     the interpreter's code (r-xp): a private file mapping
 *                 nobody writes, so each page is the page cache's frame,
 *                 one for all copies (shared; kpagecount N or more)
 *   libc data     the file part of its writable segment (GOT, .data): the
 *                 loader wrote relocated addresses there, and the first
 *                 write to a private file page copies it (copied: each copy
 *                 has a frame of its own, kpagecount 1)
 *   program data  dynhello's writable segment (GOT, .data): the same
 *
 * and shows each copy's frame for the pages of the data areas and the first
 * of the text.  This program is dynamically linked too.
 *
 * Exit status 0 when libc's text is shared wherever all copies map it (and
 * they do map some of it) and every data page is copied in each copy.
 */
#include "demo.h"

#include <sys/wait.h>

#define MAX_COPIES 16
#define SHOWN_TEXT_PAGES 3

struct copy {
	pid_t pid;
	int to;			/* its stdin: closing it ends it */
	unsigned long at_base, base;
};

struct area {
	const char *name;
	unsigned long start[MAX_COPIES];	/* in each copy */
	size_t pages;
	long present, shared, copied;		/* pages present in every copy, and how */
};

static int copies;
static struct copy copy[MAX_COPIES];
static char helper[256];	/* $BIN/dynhello */

static unsigned long report_value(const char *report, const char *key)
{
	const char *at = strstr(report, key);

	return at ? strtoul(at + strlen(key), NULL, 0) : 0;
}

/* Start copy I and read what it reports: 0, or -1. */
static int start_copy(int i)
{
	char *argv[] = { "dynhello", "--wait", NULL }, report[1024];
	int from;

	if ((copy[i].pid = spawn_piped(helper, argv, &copy[i].to, &from)) < 0)
		return -1;
	read_until(from, report, sizeof report, "\ngreeting=0x");
	close(from);
	copy[i].at_base = report_value(report, "\nAT_BASE=");
	copy[i].base = report_value(report, "\nbase=");
	return copy[i].at_base && copy[i].base ? 0 : -1;
}

/* Where the three areas are in each copy; the interpreter's path in LD. */
static int find_areas(struct area *text, struct area *libc, struct area *prog, char *ld)
{
	struct maps_entry m;

	for (int i = 0; i < copies; i++) {
		if (maps_find(copy[i].pid, copy[i].at_base, NULL, NULL, &m))
			return -1;
		strcpy(ld, m.path);
		if (maps_find(copy[i].pid, 0, ld, "r-xp", &m) ||
		    elf_data_pages(ld, copy[i].at_base, &libc->start[i], &libc->pages) ||
		    elf_data_pages(helper, copy[i].base, &prog->start[i], &prog->pages))
			return -1;
		text->start[i] = m.start;
		text->pages = (m.end - m.start) / PAGE;
	}
	return 0;
}

/* Read every copy's frames of area A, count its pages, and show SHOW pages
 * (the first ones every copy maps) frame by frame. */
static void survey(struct area *a, size_t show)
{
	uint64_t *frames = calloc(a->pages * copies, sizeof *frames);

	for (int i = 0; frames && i < copies; i++)
		if (page_frames(copy[i].pid, (void *)a->start[i], a->pages, frames + i * a->pages))
			memset(frames + i * a->pages, 0, a->pages * sizeof *frames);
	for (size_t p = 0; frames && p < a->pages; p++) {
		char line[512];
		int len = 0, everywhere = 1, same = 1;
		uint64_t one[MAX_COPIES];
		for (int i = 0; i < copies; i++) {
			one[i] = frames[i * a->pages + p];
			everywhere &= one[i] != 0;
			same &= one[i] == one[0];
		}
		if (!everywhere)
			continue;
		a->present++;
		a->shared += same;
		a->copied += distinct_frames(one, copies) == copies;
		if ((size_t)a->present > show)
			continue;
		len += snprintf(line + len, sizeof line - len, "  %-12s page %3zu  frames", a->name, p);
		for (int i = 0; i < copies; i++)
			len += snprintf(line + len, sizeof line - len, " %#llx",
					(unsigned long long)frames[i * a->pages + p]);
		snprintf(line + len, sizeof line - len, "  kpagecount %ld%s\n",
			 frame_mapcount(frames[p]), same ? "" : " (each)");
		say("%s", line);
	}
	free(frames);
}

int main(int argc, char **argv)
{
	struct area text = { .name = "libc text" }, libc = { .name = "libc data" },
		    prog = { .name = "program data" };
	char ld[256] = "";

	copies = (int)size_arg(argc, argv, 4, 2, MAX_COPIES, "[COPIES]");
	snprintf(helper, sizeof helper, "%s/dynhello", getenv("BIN") ? getenv("BIN") : "/bin");
	for (int i = 0; i < copies; i++)
		if (start_copy(i) < 0) {
			say("dynlink: could not start copy %d of %s\n", i + 1, helper);
			return 1;
		}
	if (find_areas(&text, &libc, &prog, ld) < 0) {
		say("dynlink: could not find libc's and the program's mappings\n");
		return 1;
	}
	say("dynlink: %d copies of %s, interpreter %s at %#lx in the first\n", copies, helper,
	    ld, copy[0].at_base);
	survey(&text, SHOWN_TEXT_PAGES);
	survey(&libc, libc.pages);
	survey(&prog, prog.pages);
	say("\n  %-12s %6s %8s %7s %7s\n", "area", "pages", "present", "shared", "copied");
	for (struct area *a = &text; a; a = a == &text ? &libc : a == &libc ? &prog : NULL)
		say("  %-12s %6zu %8ld %7ld %7ld\n", a->name, a->pages, a->present, a->shared,
		    a->copied);
	say("\n  libc text: %ld frames serve %d copies (%ld KiB not duplicated); data: %ld pages "
	    "copied in each copy\n", text.shared, copies, text.shared * (copies - 1) * 4,
	    libc.copied + prog.copied);
	expect(text.present > 0 && text.shared == text.present,
	       "every libc text page all copies map to be one frame (%ld of %ld)", text.shared,
	       text.present);
	expect(libc.copied == (long)libc.pages && prog.copied == (long)prog.pages,
	       "every relocated data page to be a private copy in each copy");
	for (int i = 0; i < copies; i++) {
		close(copy[i].to);
		waitpid(copy[i].pid, NULL, 0);
	}
	return demo_done();
}
