/*
 * user/lib/ulib.h - the small helpers several user programs share, header-only
 * (every program stays one C file plus headers): one-write output, whole-file
 * reads and small writes, /proc/meminfo (and free memory as Linux counts it),
 * smaps and /proc/vmstat fields, the frame behind a page (/proc/PID/pagemap),
 * a mapping of /proc/PID/maps, the data pages of an ELF file, a program
 * started with pipes on its stdin and stdout, the monotonic clock, and
 * telling Linux (and a Linux without the zero page) from this kernel.
 * tap.h (the test helper) builds on it.
 */
#ifndef ULIB_H
#define ULIB_H

#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

/* Format a line and emit it with one write(2) on stdout: no stdio buffer
 * survives a fork, and lines of different processes never interleave. */
static inline void vsay(const char *fmt, va_list ap)
{
	char line[1024];
	int len = vsnprintf(line, sizeof line, fmt, ap);

	if (len > (int)sizeof line - 1)
		len = sizeof line - 1;
	if (len > 0 && write(STDOUT_FILENO, line, len) < 0)
		return;
}

__attribute__((format(printf, 1, 2)))
static inline void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
}

/* Read exactly len bytes unless EOF or an error comes first; returns the count. */
static inline ssize_t read_full(int fd, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(fd, (char *)buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return done ? (ssize_t)done : -1;
		if (n == 0)
			break;
		done += n;
	}
	return done;
}

/* Read a whole small file into buf (NUL-terminated); returns the length or -1. */
static inline ssize_t read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);

	buf[0] = '\0';
	if (fd < 0)
		return -1;
	ssize_t len = read_full(fd, buf, size - 1);
	close(fd);
	if (len >= 0)
		buf[len] = '\0';
	return len;
}

/* Write text to a small file (a /proc or /sys control) in one write(2):
 * 0, or -1 with errno set. */
static inline int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	int err = errno;
	close(fd);
	if (n == (ssize_t)strlen(text))
		return 0;
	errno = n < 0 ? err : EIO;
	return -1;
}

/* Same-page merging's files, with Linux's names and meanings. */
#define KSM_DIR "/sys/kernel/mm/ksm/"

/* The number in KSM_DIR/NAME; -1 when it cannot be read (no merging here). */
static inline long ksm_get(const char *name)
{
	char path[128], buf[64];

	snprintf(path, sizeof path, KSM_DIR "%s", name);
	return read_file(path, buf, sizeof buf) > 0 ? strtol(buf, NULL, 10) : -1;
}

/* Write TEXT to KSM_DIR/NAME in one write(2): 0, or -1 with errno set. */
static inline int ksm_write(const char *name, const char *text)
{
	char path[128];

	snprintf(path, sizeof path, KSM_DIR "%s", name);
	return write_file(path, text);
}

/* The first "NAME:   N kB" line of TEXT (/proc/meminfo, smaps_rollup, one
 * smaps entry): N; -1 if there is none.  NAME may end with the colon. */
static inline long kb_field(const char *text, const char *name)
{
	size_t n = strlen(name);

	n -= n && name[n - 1] == ':';
	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (!strncmp(l, name, n) && l[n] == ':')
			return strtol(l + n + 1, NULL, 10);
	return -1;
}

/* A "Name:   N kB" field of /proc/meminfo, in kB; -1 if missing. */
static inline long meminfo_kb(const char *field)
{
	static char buf[8192];

	if (read_file("/proc/meminfo", buf, sizeof buf) <= 0)
		return -1;
	return kb_field(buf, field);
}

/* A counter of /proc/vmstat; -1 if it has none of that name. */
static inline long vmstat_get(const char *name)
{
	static char buf[16384];
	char key[64], *at;

	snprintf(key, sizeof key, "\n%s ", name);
	buf[0] = '\n';
	if (read_file("/proc/vmstat", buf + 1, sizeof buf - 1) <= 0 || !(at = strstr(buf, key)))
		return -1;
	return strtol(at + strlen(key), NULL, 10);
}

/* The raw /proc/PID/pagemap entries (pid 0: this process) of npages pages
 * from va: bit 63 present, bits 0-54 the frame, and Linux's other flag bits.
 * Returns 0, or -1 when pagemap cannot be read. */
static inline int pagemap_entries(pid_t pid, const void *va, size_t npages, uint64_t *entries)
{
	char path[64];

	if (pid)
		snprintf(path, sizeof path, "/proc/%d/pagemap", (int)pid);
	else
		snprintf(path, sizeof path, "/proc/self/pagemap");
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	off_t first = (off_t)((uintptr_t)va / 4096 * sizeof *entries);
	size_t want = npages * sizeof *entries, done = 0;
	while (done < want) {	/* a pseudo file may return less than asked */
		ssize_t n = pread(fd, (char *)entries + done, want - done, first + (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += n;
	}
	close(fd);
	return done == want ? 0 : -1;
}

/* The frame numbers behind npages pages from va in process pid (0: this
 * one): 0 for a page not present.  Returns 0, or -1 when pagemap cannot be
 * read.  (On Linux only root sees frame numbers; others read 0s.) */
static inline int page_frames(pid_t pid, const void *va, size_t npages, uint64_t *frames)
{
	if (pagemap_entries(pid, va, npages, frames))
		return -1;
	for (size_t i = 0; i < npages; i++)
		frames[i] = frames[i] >> 63 ? frames[i] & ((1ULL << 55) - 1) : 0;
	return 0;
}

/* The frame behind one page (0: not present or unreadable). */
static inline uint64_t page_frame(pid_t pid, const void *va)
{
	uint64_t frame;

	return page_frames(pid, va, 1, &frame) ? 0 : frame;
}

/* How many page-table entries map frame pfn (/proc/kpagecount), or -1. */
static inline long frame_mapcount(uint64_t pfn)
{
	uint64_t count;
	int fd = open("/proc/kpagecount", O_RDONLY);

	if (fd < 0)
		return -1;
	ssize_t n = pread(fd, &count, sizeof count, (off_t)(pfn * sizeof count));
	close(fd);
	return n == sizeof count ? (long)count : -1;
}

/* Seconds on the monotonic clock. */
static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static inline void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* True when running on Linux itself rather than on this kernel. */
static inline int running_on_linux(void)
{
	struct utsname u;

	return uname(&u) == 0 && strcmp(u.sysname, "Linux") == 0;
}

/* True on a Linux booted not to map the zero page on read faults: guests of
 * the PVM hypervisor take pvm_no_zero_page=1 (some CI sandboxes are such
 * guests), and there reads of untouched memory allocate frames.  Tests of
 * the zero page skip on it, saying why. */
static inline int linux_without_zero_page(void)
{
	char cmdline[4096];

	return running_on_linux() && read_file("/proc/cmdline", cmdline, sizeof cmdline) > 0 &&
	       strstr(cmdline, "pvm_no_zero_page=1") != NULL;
}

/* Free memory in kB: /proc/meminfo's MemFree, plus on Linux the free pages
 * parked on its per-CPU lists (/proc/zoneinfo "count:"), which MemFree does
 * not count but which are as free.  -1 when MemFree cannot be read. */
static inline long free_memory_kb(void)
{
	static char buf[65536];
	long kb = meminfo_kb("MemFree");

	if (kb < 0 || !running_on_linux() || read_file("/proc/zoneinfo", buf, sizeof buf) <= 0)
		return kb;
	for (char *s = buf; (s = strstr(s, "count:")) != NULL; s += 6)
		kb += strtol(s + 6, NULL, 10) * 4;
	return kb;
}

/* One line of /proc/PID/maps. */
struct maps_entry {
	unsigned long start, end, offset;
	char perms[8], path[256];
};

/* The mapping of process PID (0: this one) that contains ADDR, or with PATH
 * given, the first mapping of that file with permissions PERMS ("r-xp"):
 * 0, or -1 when there is none or maps cannot be read.  Reads into a static
 * buffer, not through stdio: a malloc could mmap into the very hole a test
 * asks about. */
static inline int maps_find(pid_t pid, unsigned long addr, const char *path, const char *perms,
			    struct maps_entry *m)
{
	static char buf[65536];
	char name[64];

	snprintf(name, sizeof name, pid ? "/proc/%d/maps" : "/proc/self/maps", (int)pid);
	if (read_file(name, buf, sizeof buf) < 0)
		return -1;
	for (char *line = buf, *nl; *line; line = nl + 1) {
		if ((nl = strchr(line, '\n')))
			*nl = 0;
		m->path[0] = 0;
		if (sscanf(line, "%lx-%lx %7s %lx %*s %*s %255s", &m->start, &m->end, m->perms,
			   &m->offset, m->path) >= 4 &&
		    (path ? !strcmp(m->path, path) && !strcmp(m->perms, perms)
			  : addr >= m->start && addr < m->end))
			return 0;
		if (!nl)
			break;
	}
	return -1;
}

/* The pages that hold the file part of the first writable PT_LOAD segment
 * of ELF file PATH (its GOT and .data, which a dynamic loader relocates)
 * when the file is loaded at BASE: *START and *PAGES; 0, or -1. */
static inline int elf_data_pages(const char *path, unsigned long base, unsigned long *start,
				 size_t *pages)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int fd = open(path, O_RDONLY), found = -1;

	if (fd < 0)
		return -1;
	if (pread(fd, &eh, sizeof eh, 0) == sizeof eh)
		for (int i = 0; i < eh.e_phnum && found; i++)
			if (pread(fd, &ph, sizeof ph, eh.e_phoff + i * sizeof ph) == sizeof ph &&
			    ph.p_type == PT_LOAD && (ph.p_flags & PF_W)) {
				*start = base + (ph.p_vaddr & ~4095UL);
				*pages = ((ph.p_vaddr & 4095) + ph.p_filesz + 4095) / 4096;
				found = 0;
			}
	close(fd);
	return found;
}

/* Start PATH with ARGV, its stdin and stdout pipes to us: *TO writes to its
 * stdin, *FROM reads its stdout (both close-on-exec, so that a program
 * started later does not hold them).  Its pid, or -1. */
static inline pid_t spawn_piped(const char *path, char *const argv[], int *to, int *from)
{
	int in[2], out[2];

	if (pipe2(in, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		dup2(in[0], STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		execv(path, argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	*to = in[1];
	*from = out[0];
	if (pid < 0) {
		close(in[1]);
		close(out[0]);
	}
	return pid;
}

/* Read from FD into BUF (SIZE bytes, kept NUL-terminated) until the text
 * holds MARKER, the writer closes, or BUF is full: the bytes read. */
static inline size_t read_until(int fd, char *buf, size_t size, const char *marker)
{
	size_t len = 0;
	ssize_t n;

	buf[0] = 0;
	while (len < size - 1 && !strstr(buf, marker) &&
	       ((n = read(fd, buf + len, size - 1 - len)) > 0 || (n < 0 && errno == EINTR))) {
		len += n > 0 ? n : 0;
		buf[len] = 0;
	}
	return len;
}

#endif /* ULIB_H */
