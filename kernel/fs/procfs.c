/*
 * kernel/fs/procfs.c - /proc: the kernel's state shown as files, in Linux's
 * formats (DESIGN.md §5), so that the same program reads them here and on
 * Linux.  A struct fs_mount (kernel/fs/fs.h) that kernel/fs/fs.c lists in its
 * pseudo_mounts[]; /sys/kernel is kernel/fs/sysfs.c's.
 *
 * The mount is tables of struct pfile, one row per file or directory,
 * named by its path below the table's root: proc_files[] below /proc,
 * pid_files[] below /proc/PID, task_files[] below /proc/PID/task/TID (a
 * thread's own files; TID is checked to be a thread of PID's process when
 * looked up); adding a file is adding a row.  /proc lists processes (thread
 * group leaders), /proc/PID/task their threads; /proc/TID of any thread
 * also resolves, as on Linux.  /proc/PID/fd holds one row per open
 * descriptor (the T_FD "table": its row is the descriptor).
 *
 * Symbolic links (a row with `link`, the mount's readlink): /proc/self (to
 * the reader's pid), /proc/PID/exe (the program exec ran: struct proc.exe),
 * /proc/PID/cwd, and /proc/PID/fd/N (the name the file was opened by,
 * "pipe:[ino]" for a pipe, as Linux's d_path).  The path walk follows them;
 * a path below /proc/self also resolves here directly, to the reader's pid,
 * so an open file keeps the pid it was opened for.  Linux's fd links are
 * "magic" (open gives the very file); these are plain names, so a pipe's
 * cannot be opened.  A directory lists the rows directly below it; /proc then
 * adds one entry per process.  A node's id (struct fs_node) names
 * its table, row and pid: NODE_ID().  Inode numbers hash the canonical path
 * (/proc/PID/..., never /proc/self/...), so both names stat alike.
 *
 * A row is one of these kinds of file:
 *  - text (show, or show_proc for a process): generated on read into a
 *    one-page window of the whole text (struct text).  A read at offset 0 or
 *    outside the window generates it again, so each pass from the start sees
 *    fresh values and reads within a window see one consistent snapshot; a
 *    text longer than a page (a big maps) still reads whole, a page at a
 *    time.  Size 0 in stat, like Linux.  Opening one for writing: -EACCES.
 *  - text of a process read from its memory (show_pid: /proc/PID/cmdline):
 *    generated with no lock held, the address space pinned.
 *  - link: see above; opening one opens its target.
 *  - knob (show + store): the sysctl switches (and sys/vm/audit, whose
 *    store runs the invariant checker), and per process (show_proc +
 *    store_proc) oom_score_adj.  Every write is parsed as the
 *    whole new value, whatever the offset (Linux's sysctl files are meant to
 *    be written with one write at offset 0): a decimal number up to the
 *    row's max (oom_score_adj: -1000..1000), with optional whitespace around
 *    it; anything else is -EINVAL and changes nothing.
 *  - binary (fill): an array of 8-byte entries, entry i at offset 8*i
 *    (pagemap: one per virtual page; kpagecount, kpageflags: one per frame).
 *    Offset and length must be multiples of 8, else -EINVAL (as Linux); a
 *    read past the last entry is end of file; one read returns at most
 *    64 KiB.
 *  - memory (mem): /proc/PID/mem, the process's address space read and
 *    written at an offset equal to the address, as Linux's mem_rw
 *    (fs/proc/base.c): a page at a time through access_remote_vm
 *    (mm/access.c) with FOLL_FORCE, so root reaches PROT_NONE and read-only
 *    memory as ptrace would, a forced write getting a private copy.  An
 *    inaccessible first byte is -EIO, a later one ends the transfer early.
 *    The file is bound to the address space the process had at open: once
 *    no process uses it (exit, exec) it reads and writes 0 bytes.
 *    lseek takes any address, kernel ones included (unsigned offsets).
 *
 * Per-process files look the process up by pid on every read, under
 * proc_lock and its space's mmap_lock (with_proc_vm), and touch p->vm only
 * while holding them: if the process exits
 * while its pagemap is open, reads give end of file while it is a zombie
 * (no address space) and -ESRCH once it is reaped; the file keeps no
 * pointer into the process.  After an exec they show the new address space.
 * Another process's page tables are read with translate() (mm/vm.h) through
 * the direct map, which never allocates or faults, so it is safe under the
 * lock; copy_to_user runs after the lock is dropped.
 */
#include "kernel/fs/procfs.h"
#include "kernel/errno.h"
#include "kernel/fs/file.h"
#include "kernel/fs/inode.h"
#include "kernel/fs/mount.h"
#include "kernel/fs/tty.h"
#include "kernel/proc.h"
#include "kernel/sched.h"
#include "kernel/signal/signal.h"
#include "kernel/sys_misc.h"
#include "kernel/cmdline.h"
#include "kernel/multiboot.h"
#include "kernel/uaccess.h"
#include "kernel/x86/cpu.h"
#include "kernel/x86/time.h"
#include "mm/access.h"
#include "mm/audit.h"
#include "mm/commit.h"
#include "mm/fault.h"
#include "mm/frame.h"
#include "mm/frame_info.h"
#include "mm/heap.h"
#include "mm/layout.h"
#include "mm/oom_kill.h"
#include "mm/pagecache.h"
#include "mm/ptshare.h"
#include "mm/smaps.h"
#include "mm/vm.h"
#include "mm/vmspace.h"
#include "mm/vmstat.h"

/* ---- generated text ---- */

/* The window [start, start + len) of a text being generated, kept in BUF. */
struct text {
	char *buf;		/* TEXT_WINDOW bytes */
	uint64_t start;
	size_t len;
	uint64_t pos;		/* length of the whole text generated so far */
	/* A long list (maps of 40000 regions) would cost O(n) per window, so
	 * O(n^2) to read: its show function notes where each item starts
	 * (text_mark) and the next window resumes from the last item that
	 * started at or before it (seek_*), instead of from the beginning. */
	uint64_t mark_pos, mark_key;	/* last item starting at or before `start` */
	uint64_t seek_pos, seek_key;	/* the previous window's mark; pos 0: none */
};

#define TEXT_WINDOW PAGE_SIZE
#define TEXT_LINE 384		/* longest line: a maps line with a long path */

static void text_put(struct text *t, const char *s, size_t n)
{
	uint64_t lo = MAX(t->pos, t->start);
	uint64_t hi = MIN(t->pos + n, t->start + TEXT_WINDOW);

	if (lo < hi) {
		memcpy(t->buf + (lo - t->start), s + (lo - t->pos), hi - lo);
		t->len = hi - t->start;
	}
	t->pos += n;
}

/* An item with key KEY (an address) starts at the current position. */
static void text_mark(struct text *t, uint64_t key)
{
	if (t->pos <= t->start)
		t->mark_pos = t->pos, t->mark_key = key;
}

/* The key to resume a list from, with the position set to its item's start;
 * 0 when the list must start from the beginning. */
static uint64_t text_seek(struct text *t)
{
	if (!t->seek_pos || t->seek_pos > t->start)
		return 0;
	t->pos = t->seek_pos;
	return t->seek_key;
}

/* True when the window is filled and generating more would be wasted. */
static bool text_past_window(const struct text *t)
{
	return t->pos > t->start + TEXT_WINDOW;
}

static void tprintf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tprintf(struct text *t, const char *fmt, ...)
{
	char line[TEXT_LINE];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	text_put(t, line, MIN((size_t)n, sizeof(line) - 1));
}

/* A /proc/meminfo or smaps line: "MemTotal:       262144 kB", from bytes. */
static void kb_bytes(struct text *t, const char *name, uint64_t bytes)
{
	tprintf(t, "%-16s%8lu kB\n", name, bytes >> 10);
}

/* The same from a number of pages. */
static void kb_line(struct text *t, const char *name, uint64_t pages)
{
	kb_bytes(t, name, pages * PAGE_SIZE);
}

/* ---- the rows ---- */

struct pfile {
	const char *path;	/* below the table's root; "" is the root itself */
	uint32_t mode;
	/* text file: generate the text; 0 or -errno */
	int (*show)(struct text *t, const struct pfile *pf);
	/* text file of a process: generate it for P (proc_lock held) */
	void (*show_proc)(struct text *t, struct proc *p);
	/* text file of a process that reads its memory: generate it for PID,
	 * no lock held; 0 or -errno */
	int (*show_pid)(struct text *t, int pid);
	/* symbolic link: its target for PID into BUF (MAX bytes, no NUL):
	 * the length or -errno */
	long (*link)(int pid, char *buf, size_t max);
	/* knob: take the value written (S, N bytes, NUL-terminated); 0 or -EINVAL */
	int (*store)(const struct pfile *pf, const char *s, size_t n);
	/* knob of a process: the same for P (proc_lock held) */
	int (*store_proc)(struct proc *p, const char *s, size_t n);
	/* binary file: entries FIRST... into OUT (at most MAX): how many, 0 past
	 * the end, or -errno */
	long (*fill)(int pid, uint64_t first, uint64_t *out, size_t max);
	bool mem;		/* memory file (/proc/PID/mem) */
	int *value;		/* knob: the integer it shows and sets ... */
	int max;		/* ... and its largest value */
};

#define DIR_ROW(p, m) { .path = (p), .mode = S_IFDIR | (m) }
#define TEXT_ROW(p, fn) { .path = (p), .mode = S_IFREG | 0444, .show = (fn) }
#define PROC_ROW(p, fn) { .path = (p), .mode = S_IFREG | 0444, .show_proc = (fn) }
#define BIN_ROW(p, m, fn) { .path = (p), .mode = S_IFREG | (m), .fill = (fn) }
#define PROC_KNOB_ROW(p, fn, st) { .path = (p), .mode = S_IFREG | 0644, .show_proc = (fn), \
				  .store_proc = (st) }
#define KNOB_ROW(p, var, hi) { .path = (p), .mode = S_IFREG | 0644, .show = show_int, \
			       .store = store_int, .value = &(var), .max = (hi) }
#define MEM_ROW(p) { .path = (p), .mode = S_IFREG | 0600, .mem = true }
#define PID_ROW(p, fn) { .path = (p), .mode = S_IFREG | 0444, .show_pid = (fn) }
#define LINK_ROW(p, fn) { .path = (p), .mode = S_IFLNK | 0777, .link = (fn) }
#define END_ROW { .path = NULL }

/* The process PID as /proc shows it (not a slot still being built), or
 * NULL.  proc_lock held. */
static struct proc *proc_visible(int pid)
{
	struct proc *p = pid > 0 ? proc_find(pid) : NULL;

	return p && p->state != P_EMBRYO ? p : NULL;
}

/*
 * Call FN(p, ARG) for the visible process PID with proc_lock held and, if it
 * has an address space, that space's mmap_lock held for reading, so FN may
 * read its regions and page tables while the process itself runs mmap or
 * munmap on another CPU (they wait).  mmap_lock is a sleeping lock, taken
 * before proc_lock (docs/smp.md's order): the space is found and pinned
 * (vmspace_get) under proc_lock first, then locked, then the process is
 * found again; if it exec'd in between, once more.  0, or -ESRCH.
 */
static int with_proc_vm(int pid, void (*fn)(struct proc *p, void *arg), void *arg)
{
	for (;;) {
		spin_lock(&proc_lock);
		struct proc *p = proc_visible(pid);
		struct vmspace *vm = p ? p->vm : NULL;
		if (vm)
			vmspace_pin(vm);
		spin_unlock(&proc_lock);
		if (!p)
			return -ESRCH;
		if (vm)
			down_read(&vm->mmap_lock);
		spin_lock(&proc_lock);
		p = proc_visible(pid);
		bool same = p && p->vm == vm;
		if (same)
			fn(p, arg);
		spin_unlock(&proc_lock);
		if (vm) {
			up_read(&vm->mmap_lock);
			vmspace_unpin(vm);
		}
		if (same || !p)
			return same ? 0 : -ESRCH;
	}
}

/* ---- /proc/meminfo and /proc/vmstat ---- */

/* MemAvailable is MemFree: the page cache holds the files of the tmpfs
 * root, which have no other home, so nothing could be reclaimed (Shmem). */
static int show_meminfo(struct text *t, const struct pfile *pf)
{
	struct meminfo m;

	(void)pf;
	meminfo_read(&m);
	kb_line(t, "MemTotal:", m.total);
	kb_line(t, "MemFree:", m.free);
	kb_line(t, "MemAvailable:", m.free);
	kb_line(t, "Buffers:", 0);
	kb_line(t, "Cached:", m.cached);
	kb_line(t, "SwapCached:", 0);
	kb_line(t, "SwapTotal:", 0);
	kb_line(t, "SwapFree:", 0);
	kb_line(t, "AnonPages:", m.anon);
	kb_line(t, "Shmem:", m.shmem);
	kb_line(t, "Slab:", m.slab);
	kb_line(t, "SReclaimable:", 0);
	kb_line(t, "SUnreclaim:", m.slab);
	kb_line(t, "KernelStack:", m.kstack);
	kb_line(t, "PageTables:", m.pagetables);
	kb_line(t, "CommitLimit:", vm_commit_limit());
	kb_line(t, "Committed_AS:", vm_committed_pages());
	return 0;
}

/* /proc/mounts and /proc/filesystems: the lines kernel/fs/mount.c makes. */
static int show_lines(struct text *t, bool (*line)(size_t i, char *buf, size_t max))
{
	char buf[FS_PATH_MAX + 64];

	for (size_t i = 0; line(i, buf, sizeof(buf)); i++)
		tprintf(t, "%s", buf);
	return 0;
}

static int show_mounts(struct text *t, const struct pfile *pf)
{
	(void)pf;
	return show_lines(t, fs_mount_line);
}

static int show_filesystems(struct text *t, const struct pfile *pf)
{
	(void)pf;
	return show_lines(t, fs_filesystems_line);
}

static int show_vmstat(struct text *t, const struct pfile *pf)
{
	struct meminfo m;

	(void)pf;
	meminfo_read(&m);
	tprintf(t, "nr_free_pages %lu\n", m.free);
	tprintf(t, "nr_anon_pages %lu\n", m.anon);
	tprintf(t, "nr_file_pages %lu\n", m.cached);
	tprintf(t, "nr_page_table_pages %lu\n", m.pagetables);
	for (int i = 0; i < NR_VM_EVENTS; i++)
		tprintf(t, "%s %lu\n", vm_event_names[i],
			vm_event_sum(i));
	return 0;
}

/* ---- /proc/cpuinfo and /proc/stat ---- */

/* One block per CPU, Linux's field names (arch/x86/kernel/cpu/proc.c). */
static int show_cpuinfo(struct text *t, const struct pfile *pf)
{
	char flags[512];
	uint64_t khz = time_tsc_khz();

	(void)pf;
	for (int i = 0; i < ncpu; i++) {
		const struct cpu_ident *id = &cpus[i].ident;
		tprintf(t, "processor\t: %d\nvendor_id\t: %s\ncpu family\t: %u\nmodel\t\t: %u\n",
			i, id->vendor, id->family, id->model);
		tprintf(t, "model name\t: %s\nstepping\t: %u\ncpu MHz\t\t: %lu.%03lu\n",
			id->model_name, id->stepping, khz / 1000, khz % 1000);
		tprintf(t, "apicid\t\t: %u\ninitial apicid\t: %u\nfpu\t\t: yes\n"
			"fpu_exception\t: yes\ncpuid level\t: %u\nwp\t\t: yes\nflags\t\t: ",
			cpus[i].apic_id, cpus[i].apic_id, id->cpuid_level);
		text_put(t, flags, cpu_flags(id, flags, sizeof(flags)));
		tprintf(t, "\naddress sizes\t: %u bits physical, %u bits virtual\n\n",
			id->phys_bits, id->virt_bits);
	}
	return 0;
}

/* A cpu line of /proc/stat: user nice system idle iowait irq softirq steal
 * guest guest_nice, in USER_HZ (100) units; we count user, system, idle. */
static void stat_cpu_line(struct text *t, const char *name, uint64_t user, uint64_t sys,
			  uint64_t idle)
{
	tprintf(t, "%s %lu 0 %lu %lu 0 0 0 0 0 0\n", name, user * 100 / HZ, sys * 100 / HZ,
		idle * 100 / HZ);
}

static int show_stat(struct text *t, const struct pfile *pf)
{
	uint64_t user = 0, sys = 0, idle = 0, ctxt = 0;
	int running = 0, blocked = 0;
	char name[16];

	(void)pf;
	for (int i = 0; i < ncpu; i++) {
		user += __atomic_load_n(&cpus[i].ticks_user, __ATOMIC_RELAXED);
		sys += __atomic_load_n(&cpus[i].ticks_system, __ATOMIC_RELAXED);
		idle += __atomic_load_n(&cpus[i].ticks_idle, __ATOMIC_RELAXED);
		ctxt += __atomic_load_n(&cpus[i].context_switches, __ATOMIC_RELAXED);
	}
	stat_cpu_line(t, "cpu ", user, sys, idle);
	for (int i = 0; i < ncpu; i++) {
		snprintf(name, sizeof(name), "cpu%d", i);
		stat_cpu_line(t, name, __atomic_load_n(&cpus[i].ticks_user, __ATOMIC_RELAXED),
			      __atomic_load_n(&cpus[i].ticks_system, __ATOMIC_RELAXED),
			      __atomic_load_n(&cpus[i].ticks_idle, __ATOMIC_RELAXED));
	}
	spin_lock(&proc_lock);
	for (struct proc *p = proc_table; p < proc_table + NPROC; p++) {
		running += p->state == P_RUNNING || p->state == P_RUNNABLE;
		blocked += p->state == P_SLEEPING && p->sleep_uninterruptible && !task_is_stopped(p);
	}
	spin_unlock(&proc_lock);
	tprintf(t, "ctxt %lu\nbtime %lu\nprocesses %d\nprocs_running %d\nprocs_blocked %d\n",
		ctxt, time_boot_realtime_ns() / 1000000000, proc_last_pid(), running, blocked);
	return 0;
}

/* ---- /proc/uptime, loadavg, version, cmdline ---- */

/* Seconds since boot and seconds the CPUs have idled (summed), to 1/100. */
static int show_uptime(struct text *t, const struct pfile *pf)
{
	uint64_t idle = 0, up = time_ns() / 10000000;

	(void)pf;
	for (int i = 0; i < ncpu; i++)
		idle += __atomic_load_n(&cpus[i].ticks_idle, __ATOMIC_RELAXED);
	idle = TICKS_TO_CLOCK_T(idle);
	tprintf(t, "%lu.%02lu %lu.%02lu\n", up / 100, up % 100, idle / 100, idle % 100);
	return 0;
}

/* Linux's LOAD_INT and LOAD_FRAC: a fixed-point load as "1.05". */
#define LOAD_INT(x) ((x) >> FSHIFT)
#define LOAD_FRAC(x) LOAD_INT(((x) & (FIXED_1 - 1)) * 100)

/* "0.52 0.30 0.12 2/17 345": the three averages (rounded as Linux's
 * loadavg_proc_show), runnable / existing tasks, the last pid. */
static int show_loadavg(struct text *t, const struct pfile *pf)
{
	uint64_t l[3];
	int running = 0, tasks = 0;

	(void)pf;
	sched_loadavg(l);
	for (int i = 0; i < 3; i++)
		l[i] += FIXED_1 / 200;
	spin_lock(&proc_lock);
	for (struct proc *p = proc_table; p < proc_table + NPROC; p++) {
		running += p->state == P_RUNNING || p->state == P_RUNNABLE;
		tasks += p->state != P_UNUSED && p->state != P_EMBRYO && p->state != P_DEAD;
	}
	spin_unlock(&proc_lock);
	tprintf(t, "%lu.%02lu %lu.%02lu %lu.%02lu %d/%d %d\n", LOAD_INT(l[0]), LOAD_FRAC(l[0]),
		LOAD_INT(l[1]), LOAD_FRAC(l[1]), LOAD_INT(l[2]), LOAD_FRAC(l[2]), running, tasks,
		proc_last_pid());
	return 0;
}

/* Linux's linux_banner shape: "Linux version 6.1.0 (builder) (compiler) #1 SMP ...". */
static int show_version(struct text *t, const struct pfile *pf)
{
	(void)pf;
	tprintf(t, "%s version %s (root@cowos) (gcc version %s) #1 SMP %s\n", UTS_SYSNAME,
		UTS_RELEASE, __VERSION__, UTS_VERSION);
	return 0;
}

static int show_cmdline(struct text *t, const struct pfile *pf)
{
	(void)pf;
	tprintf(t, "%s\n", boot_info.cmdline);
	return 0;
}

/* ---- /proc/sys/kernel ---- */

static int show_ostype(struct text *t, const struct pfile *pf)
{
	(void)pf;
	tprintf(t, "%s\n", UTS_SYSNAME);
	return 0;
}

static int show_osrelease(struct text *t, const struct pfile *pf)
{
	(void)pf;
	tprintf(t, "%s\n", UTS_RELEASE);
	return 0;
}

/* Pids count up from 1 and are never reused: the largest is INT_MAX. */
static int show_pid_max(struct text *t, const struct pfile *pf)
{
	(void)pf;
	tprintf(t, "%d\n", 0x7fffffff);
	return 0;
}

static int show_hostname(struct text *t, const struct pfile *pf)
{
	char name[HOST_NAME_MAX + 1];

	(void)pf;
	hostname_get(name);
	tprintf(t, "%s\n", name);
	return 0;
}

/* A write sets the host name, one trailing newline dropped (as Linux's
 * proc_dostring takes `echo name >`). */
static int store_hostname(const struct pfile *pf, const char *s, size_t n)
{
	(void)pf;
	if (n && s[n - 1] == '\n')
		n--;
	return hostname_set(s, n);
}

/* ---- knobs: /proc/sys/vm/cow_fork, zero_page, share_page_tables ---- */

static int show_int(struct text *t, const struct pfile *pf)
{
	tprintf(t, "%d\n", __atomic_load_n(pf->value, __ATOMIC_RELAXED));
	return 0;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* A knob's text as a number: a decimal integer in [LO, HI], with a sign
 * ('-' only when LO < 0) and optional whitespace around it, as Linux's
 * kstrtoint takes it.  0, or -EINVAL with *OUT unchanged. */
static int parse_knob(const char *s, size_t n, int lo, int hi, int *out)
{
	bool neg = false;
	uint64_t v;

	while (n && is_space(*s))
		s++, n--;
	while (n && is_space(s[n - 1]))
		n--;
	if (n && (*s == '+' || (*s == '-' && lo < 0))) {
		neg = *s == '-';
		s++, n--;
	}
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
	if (!parse_u64(s, n, &v) || v > (uint64_t)(neg ? -(int64_t)lo : hi))
		return -EINVAL;
	*out = neg ? -(int)v : (int)v;
	return 0;
}

static int store_int(const struct pfile *pf, const char *s, size_t n)
{
	int v;

	if (parse_knob(s, n, 0, pf->max, &v))
		return -EINVAL;
	__atomic_store_n(pf->value, v, __ATOMIC_RELAXED);
	return 0;
}

/* ---- /proc/sys/vm/audit: the memory invariant checker (mm/audit.h) ---- */

/* Violations found since boot. */
static int show_audit(struct text *t, const struct pfile *pf)
{
	(void)pf;
	tprintf(t, "%lu\n", vm_audit_total());
	return 0;
}

/* "1" runs the checker: 0 when all is consistent, -EIO when it found a
 * violation (printed on the console), -ENOMEM without memory for it. */
static int store_audit(const struct pfile *pf, const char *s, size_t n)
{
	int v;

	(void)pf;
	if (parse_knob(s, n, 0, 1, &v) || v != 1)
		return -EINVAL;
	long found = vm_audit(NULL);
	return found < 0 ? (int)found : found ? -EIO : 0;
}

/* ---- /proc/PID/comm and status ---- */

static void show_comm(struct text *t, struct proc *p)
{
	tprintf(t, "%s\n", p->name);
}

static const char *state_name(const struct proc *p)
{
	if (task_is_stopped(p))
		return "T (stopped)";
	switch (p->state) {
	case P_SLEEPING:
		return p->sleep_uninterruptible ? "D (disk sleep)" : "S (sleeping)";
	case P_ZOMBIE:
		return "Z (zombie)";
	default:
		return "R (running)";
	}
}

/* Threads of P's process that have not exited (1 for a zombie, as Linux). */
static int thread_count(const struct proc *p)
{
	return MAX(p->group_leader->nr_threads, 1);
}

/* P's signal sets as status and stat show them (bit n-1 = signal n):
 * pending to the thread, pending to the process, blocked, ignored, caught. */
struct sigsets {
	uint64_t pending, shared, blocked, ignored, caught;
};

static void proc_sigsets(const struct proc *p, struct sigsets *s)
{
	*s = (struct sigsets){ .pending = p->pending.set, .blocked = p->blocked,
			       .shared = p->group_leader->shared_pending.set };
	if (!p->sighand)
		return;
	for (int sig = 1; sig <= NSIG; sig++) {
		uint64_t h = p->sighand->action[sig - 1].handler;
		if (h == SIG_IGN)
			s->ignored |= 1UL << (sig - 1);
		else if (h != SIG_DFL)
			s->caught |= 1UL << (sig - 1);
	}
}

/* Stat's tty_nr and tpgid: the process's controlling terminal (0 without
 * one) and its foreground group (-1), from kernel/fs/tty.c.  proc_lock held. */
static void proc_tty(const struct proc *p, int *tty_nr, int *tpgid)
{
	uint32_t dev;

	tty_ctty_of_locked(p, &dev, tpgid);
	*tty_nr = (int)dev;
}

/* Resident pages of shared region R: status counts them as RssShmem, not
 * RssFile (Linux: MM_SHMEMPAGES).  Here only the pages of MAP_SHARED
 * mappings count so, though every file is on tmpfs: the root file system
 * stands in for a disk one, so that programs' text stays RssFile. */
static uint64_t shared_resident(struct vmspace *vm, const struct region *r)
{
	struct mem_size_stats m = { 0 };

	smap_gather_stats(vm, r->start, r->end, &m);
	return m.resident / PAGE_SIZE;
}

/* The memory numbers of status, statm and stat, in pages. */
struct vm_numbers {
	uint64_t size, rss_anon, rss_file, rss_shmem, text, data, stack, pte;
};

static void vm_numbers(struct vmspace *vm, struct vm_numbers *v)
{
	struct mm_rss rss = { 0 };

	*v = (struct vm_numbers){ 0 };
	if (!vm)
		return;
	get_mm_rss(vm, &rss);
	v->size = vm->total_pages;
	v->rss_anon = rss.anon;
	v->rss_file = rss.file;
	v->pte = mm_pgtables(vm);
	for (const struct region *r = region_first(vm); r; r = region_next(r)) {
		uint64_t pages = (r->end - r->start) / PAGE_SIZE;
		if (r->shared)
			v->rss_shmem += shared_resident(vm, r);
		if (r->kind == REGION_STACK)
			v->stack += pages;
		else if (r->prot & PROT_WRITE)
			v->data += pages;
		else if (r->kind == REGION_FILE && (r->prot & PROT_EXEC))
			v->text += pages;
	}
}

static void kb_tab(struct text *t, const char *name, uint64_t pages)
{
	tprintf(t, "%s\t%8lu kB\n", name, pages * (PAGE_SIZE / 1024));
}

/* No high-water marks are kept: VmPeak and VmHWM are the sizes now. */
static void status_vm(struct text *t, struct vmspace *vm)
{
	struct vm_numbers v;

	vm_numbers(vm, &v);
	kb_tab(t, "VmPeak:", v.size);
	kb_tab(t, "VmSize:", v.size);
	kb_tab(t, "VmLck:", 0);
	kb_tab(t, "VmPin:", 0);
	kb_tab(t, "VmHWM:", v.rss_anon + v.rss_file);
	kb_tab(t, "VmRSS:", v.rss_anon + v.rss_file);
	kb_tab(t, "RssAnon:", v.rss_anon);
	kb_tab(t, "RssFile:", v.rss_file - v.rss_shmem);
	kb_tab(t, "RssShmem:", v.rss_shmem);
	kb_tab(t, "VmData:", v.data);
	kb_tab(t, "VmStk:", v.stack);
	kb_tab(t, "VmExe:", v.text);
	kb_tab(t, "VmLib:", 0);
	kb_tab(t, "VmPTE:", v.pte);
	kb_tab(t, "VmSwap:", 0);
}

static void status_signals(struct text *t, const struct proc *p)
{
	struct sigsets s;

	proc_sigsets(p, &s);
	int queued = 0;

	for (uint64_t m = s.pending | s.shared; m; m &= m - 1)
		queued++;
	tprintf(t, "SigQ:\t%d/%lu\n", queued,
		p->group_leader->misc.rlim[RLIMIT_SIGPENDING].rlim_cur);
	tprintf(t, "SigPnd:\t%016lx\nShdPnd:\t%016lx\nSigBlk:\t%016lx\nSigIgn:\t%016lx\n"
		"SigCgt:\t%016lx\n", s.pending, s.shared, s.blocked, s.ignored, s.caught);
}

/* "0-3" for CPUs 0 to 3: Cpus_allowed_list (runs of set bits). */
static void cpu_list(struct text *t, uint64_t mask)
{
	const char *sep = "";

	for (int i = 0; i < ncpu; i++) {
		if (!(mask & (1UL << i)) || (i && (mask & (1UL << (i - 1)))))
			continue;
		int j = i;
		while (j + 1 < ncpu && (mask & (1UL << (j + 1))))
			j++;
		tprintf(t, j > i ? "%s%d-%d" : "%s%d", sep, i, j);
		sep = ",";
	}
	text_put(t, "\n", 1);
}

/* Linux's fields (fs/proc/array.c proc_pid_status), those this kernel has;
 * root has every capability. */
static void show_status(struct text *t, struct proc *p)
{
	uint64_t cpus = p->cpus_allowed & (ncpu < 64 ? (1UL << ncpu) - 1 : ~0UL);

	tprintf(t, "Name:\t%s\nState:\t%s\nTgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\n"
		"TracerPid:\t0\n", p->name, state_name(p), p->tgid, p->pid,
		p->parent ? p->parent->pid : 0);
	tprintf(t, "Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nFDSize:\t%d\nGroups:\t\n", NOFILE);
	tprintf(t, "NStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\n", p->tgid, p->pid,
		p->group_leader->pgid, p->group_leader->sid);
	if (p->vm)
		status_vm(t, p->vm);
	tprintf(t, "CoreDumping:\t0\nThreads:\t%d\n", thread_count(p));
	status_signals(t, p);
	tprintf(t, "CapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\n"
		"CapEff:\t000001ffffffffff\nCapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\n"
		"NoNewPrivs:\t0\nSeccomp:\t0\n");
	tprintf(t, "Cpus_allowed:\t%lx\nCpus_allowed_list:\t", cpus);
	cpu_list(t, cpus);
	tprintf(t, "voluntary_ctxt_switches:\t%lu\nnonvoluntary_ctxt_switches:\t%lu\n",
		p->nvcsw, p->nivcsw);
}

/* /proc/PID/statm: size resident shared text lib data dt, in pages. */
static void show_statm(struct text *t, struct proc *p)
{
	struct vm_numbers v;

	vm_numbers(p->vm, &v);
	tprintf(t, "%lu %lu %lu %lu 0 %lu 0\n", v.size, v.rss_anon + v.rss_file, v.rss_file,
		v.text, v.data + v.stack);
}

static char state_letter(const struct proc *p)
{
	if (task_is_stopped(p))
		return 'T';
	switch (p->state) {
	case P_SLEEPING:
		return p->sleep_uninterruptible ? 'D' : 'S';
	case P_ZOMBIE:
		return 'Z';
	case P_DEAD:
		return 'X';
	default:
		return 'R';
	}
}

/* The first executable file mapping: stat's startcode and endcode. */
static void code_range(struct vmspace *vm, uint64_t *start, uint64_t *end)
{
	*start = *end = 0;
	for (const struct region *r = vm ? region_first(vm) : NULL; r; r = region_next(r)) {
		if (r->kind == REGION_FILE && (r->prot & PROT_EXEC)) {
			*start = r->start;
			*end = r->end;
			return;
		}
	}
}

/* Fields 1-25 of stat: ids, state, terminal, times, priority, sizes.  WHOLE
 * is the process (its threads' times added, as /proc/PID/stat), else the
 * thread (/proc/PID/task/TID/stat). */
static void stat_head(struct text *t, struct proc *p, bool whole, const struct vm_numbers *v)
{
	const struct proc *leader = p->group_leader;
	uint64_t ut = p->utime, st = p->stime;
	int tty_nr, tpgid;

	if (whole)
		group_times(leader, &ut, &st);
	proc_tty(p, &tty_nr, &tpgid);
	tprintf(t, "%d (%s) %c %d %d %d %d %d 0 0 0 0 0 ", p->pid, p->name, state_letter(p),
		p->parent ? p->parent->pid : 0, leader->pgid, leader->sid, tty_nr, tpgid);
	tprintf(t, "%lu %lu %lu %lu %d %d %d 0 %lu %lu %lu %lu ", TICKS_TO_CLOCK_T(ut),
		TICKS_TO_CLOCK_T(st), TICKS_TO_CLOCK_T(leader->misc.cutime),
		TICKS_TO_CLOCK_T(leader->misc.cstime), 20 + p->nice, p->nice, thread_count(p),
		TICKS_TO_CLOCK_T(p->start_ticks), v->size * PAGE_SIZE, v->rss_anon + v->rss_file,
		leader->misc.rlim[RLIMIT_RSS].rlim_cur);
}

/* /proc/PID/stat: Linux's 52 fields (man 5 proc; fs/proc/array.c
 * do_task_stat).  What this kernel does not keep is 0: flags, page-fault
 * counts, itrealvalue, kstkesp/eip, wchan, nswap, rt_priority and policy
 * (SCHED_OTHER), block I/O delays, guest times, the data segment's bounds. */
static void show_stat_of(struct text *t, struct proc *p, bool whole)
{
	struct vmspace *vm = p->vm;
	struct vm_numbers v;
	struct sigsets sig;
	uint64_t code_start, code_end;

	vm_numbers(vm, &v);
	proc_sigsets(p, &sig);
	code_range(vm, &code_start, &code_end);
	stat_head(t, p, whole, &v);
	tprintf(t, "%lu %lu %lu 0 0 %lu %lu %lu %lu 0 0 0 %d %d 0 0 0 0 0 0 0 %lu ", code_start,
		code_end, vm ? vm->start_stack : 0, sig.pending | sig.shared, sig.blocked,
		sig.ignored, sig.caught, p->exit_signal < 0 ? 0 : p->exit_signal, p->cpu,
		vm ? vm->heap_start : 0);
	tprintf(t, "%lu %lu %lu %lu %d\n", vm ? vm->arg_start : 0, vm ? vm->arg_end : 0,
		vm ? vm->env_start : 0, vm ? vm->env_end : 0,
		p->state == P_ZOMBIE ? p->exit_status : 0);
}

static void show_pid_stat(struct text *t, struct proc *p)
{
	show_stat_of(t, p, true);
}

static void show_task_stat(struct text *t, struct proc *p)
{
	show_stat_of(t, p, false);
}

/* ---- /proc/PID/cmdline ---- */

/* The address space of PID, pinned (vmspace_unpin it), with its argument
 * strings' range; NULL for a zombie or a kernel thread. */
static struct vmspace *pin_args(int pid, uint64_t *start, uint64_t *end)
{
	spin_lock(&proc_lock);
	struct proc *p = proc_visible(pid);
	struct vmspace *vm = p ? p->vm : NULL;
	if (vm) {
		vmspace_pin(vm);
		*start = vm->arg_start;
		*end = vm->arg_end;
	}
	spin_unlock(&proc_lock);
	return vm;
}

/* argv as the process's memory holds it now, each string NUL-terminated
 * (Linux's proc_pid_cmdline_read, for a process that left its arguments
 * alone); empty for a zombie.  Read a page at a time through
 * access_remote_vm, which takes the mmap_lock itself, so no lock is held. */
static int show_pid_cmdline(struct text *t, int pid)
{
	uint64_t start = 0, end = 0;
	struct vmspace *vm = pin_args(pid, &start, &end);
	char chunk[256];
	bool stop = false;

	if (!vm)
		return 0;
	for (uint64_t a = start; a < end && !text_past_window(t) && !stop;) {
		size_t k = MIN(end - a, sizeof(chunk));
		size_t got = access_remote_vm(vm, a, chunk, k, 0, NULL);
		text_put(t, chunk, got);
		a += got;
		stop = got < k;		/* unmapped since exec: what was read */
	}
	vmspace_unpin(vm);
	return 0;
}

/* ---- symbolic links: /proc/self, /proc/PID/exe, cwd, fd/N ---- */

static long link_text(char *buf, size_t max, const char *s)
{
	size_t n = MIN(strlen(s), max);

	memcpy(buf, s, n);
	return (long)n;
}

/* The reader's process id (/proc/self names the process, not the thread). */
static int self_pid(void)
{
	struct proc *p = current();

	return p ? p->tgid : 0;
}

static long link_self(int pid, char *buf, size_t max)
{
	char num[16];

	(void)pid;
	snprintf(num, sizeof(num), "%d", self_pid());
	return link_text(buf, max, num);
}

static long link_exe(int pid, char *buf, size_t max)
{
	char exe[EXE_PATH_LEN] = "";

	spin_lock(&proc_lock);
	struct proc *p = proc_visible(pid);
	if (p && p->vm)
		memcpy(exe, p->exe, sizeof(exe));
	spin_unlock(&proc_lock);
	return exe[0] ? link_text(buf, max, exe) : -ENOENT;
}

/* The current directory of PID: its fs_struct is pinned under proc_lock
 * and read under its own lock, which comes before proc_lock. */
static long link_cwd(int pid, char *buf, size_t max)
{
	char cwd[FS_PATH_MAX];

	spin_lock(&proc_lock);
	struct proc *p = proc_visible(pid);
	struct fs_struct *fs = p && p->fs ? fs_get(p->fs) : NULL;
	spin_unlock(&proc_lock);
	if (!fs)
		return -ENOENT;
	spin_lock(&fs->lock);
	strlcpy(cwd, fs->cwd[0] ? fs->cwd : "/", sizeof(cwd));
	spin_unlock(&fs->lock);
	fs_put(fs);
	return link_text(buf, max, cwd);
}

/* The file behind descriptor FD of PID, with a reference, or NULL. */
static struct file *pid_fget(int pid, int fd)
{
	struct file *f = NULL;

	spin_lock(&proc_lock);
	struct proc *p = proc_visible(pid);
	struct files_struct *files = p && p->files ? files_get(p->files) : NULL;
	spin_unlock(&proc_lock);
	if (!files)
		return NULL;
	spin_lock(&files->lock);
	if (fd >= 0 && fd < NOFILE && files->fd[fd])
		f = file_get(files->fd[fd]);
	spin_unlock(&files->lock);
	files_put(files);
	return f;
}

#define DELETED_SUFFIX " (deleted)"

/* F's path as /proc shows it (fd links, maps) into BUF: with " (deleted)"
 * when its inode has no name left (unlinked, or never linked: a memfd,
 * shared anonymous memory), as Linux's d_path.  nlink is read without
 * fs_tree: an unlink racing with the read decides either way. */
static void file_display_name(const struct file *f, char *buf, size_t max)
{
	bool deleted = f->inode && !__atomic_load_n(&f->inode->nlink, __ATOMIC_RELAXED);

	snprintf(buf, max, "%s%s", f->path, deleted ? DELETED_SUFFIX : "");
}

/* What /proc/PID/fd/N names: the path it was opened by, else "pipe:[ino]"
 * or the device (the console of init's first descriptors), as Linux's
 * d_path and pipefs names. */
static long link_fd(int pid, int fd, char *buf, size_t max)
{
	struct file *f = pid_fget(pid, fd);
	char name[FS_PATH_MAX + sizeof(DELETED_SUFFIX)];
	struct stat st;

	if (!f)
		return -ENOENT;
	if (f->path[0]) {
		file_display_name(f, name, sizeof(name));
	} else if (!f->ops->stat || f->ops->stat(f, &st)) {
		strlcpy(name, "anon_inode:[file]", sizeof(name));
	} else if ((st.st_mode & S_IFMT) == S_IFIFO) {
		snprintf(name, sizeof(name), "pipe:[%lu]", st.st_ino);
	} else {
		strlcpy(name, (st.st_mode & S_IFMT) == S_IFCHR ? "/dev/console" : "anon_inode:[file]",
			sizeof(name));
	}
	file_put(f);
	return link_text(buf, max, name);
}

/* ---- /proc/PID/oom_score and oom_score_adj (mm/oom_kill.c) ---- */

static void show_oom_score(struct text *t, struct proc *p)
{
	tprintf(t, "%lu\n", oom_score(p));
}

static void show_oom_score_adj(struct text *t, struct proc *p)
{
	tprintf(t, "%d\n", p->oom_score_adj);
}

/* -1000..1000, else -EINVAL (Linux fs/proc/base.c oom_score_adj_write). */
static int store_oom_score_adj(struct proc *p, const char *s, size_t n)
{
	return parse_knob(s, n, OOM_SCORE_ADJ_MIN, OOM_SCORE_ADJ_MAX, &p->oom_score_adj);
}

/* ---- /proc/PID/maps ---- */

/* Linux pads the pathname to this column (25 + 6 * sizeof(void *) - 1). */
#define MAPS_NAME_PAD 72
#define MAPS_FILE_DEV "00:01"	/* the root tmpfs's st_dev: 0, 1 */

/* The name a maps line shows for R: a file's path, with " (deleted)" once
 * the file has no name left (unlinked, or never linked: shared anonymous
 * memory's "/dev/zero", a memfd), as Linux's d_path does; written to BUF. */
static const char *region_name(const struct region *r, char *buf, size_t max)
{
	switch (r->kind) {
	case REGION_FILE:
		if (!r->file)
			return NULL;
		file_display_name(r->file, buf, max);
		return buf;
	case REGION_STACK:
		return "[stack]";
	case REGION_HEAP:
		return "[heap]";
	default:
		return NULL;
	}
}

/* What a maps line shows of a range. */
struct maps_row {
	uint64_t start, end, off, ino;
	int prot;
	bool shared;			/* 's' (MAP_SHARED) or 'p' */
	const char *dev, *name;		/* name: NULL for none */
};

/* "00400000-00401000 r-xp 00000000 00:01 12    /bin/sh". */
static void maps_row(struct text *t, const struct maps_row *m)
{
	const char *name = m->name;
	char head[TEXT_LINE];
	int n = snprintf(head, sizeof(head), "%08lx-%08lx %c%c%c%c %08lx %s %lu ", m->start, m->end,
			 m->prot & PROT_READ ? 'r' : '-', m->prot & PROT_WRITE ? 'w' : '-',
			 m->prot & PROT_EXEC ? 'x' : '-', m->shared ? 's' : 'p', m->off, m->dev,
			 m->ino);

	text_put(t, head, MIN((size_t)n, sizeof(head) - 1));
	if (name) {
		for (; n < MAPS_NAME_PAD; n++)
			text_put(t, " ", 1);
		tprintf(t, " %s", name);
	}
	text_put(t, "\n", 1);
}

static void maps_line(struct text *t, const struct region *r)
{
	const struct file *f = r->kind == REGION_FILE ? r->file : NULL;
	char name[FS_PATH_MAX + sizeof(DELETED_SUFFIX)];
	struct maps_row m = { .start = r->start, .end = r->end, .off = f ? r->file_off : 0,
			      .ino = f ? f->inode->ino : 0, .prot = r->prot, .shared = r->shared,
			      .dev = f ? MAPS_FILE_DEV : "00:00",
			      .name = region_name(r, name, sizeof(name)) };

	maps_row(t, &m);
}

/* The text of a file with one entry per region (maps, smaps): ENTRY(t, vm,
 * r) for each, resumed at the window's first region (text_seek), stopped
 * once the window is full, so reading the whole text is linear. */
static void show_regions(struct text *t, struct proc *p,
			 void (*entry)(struct text *t, struct vmspace *vm, const struct region *r))
{
	if (!p->vm)
		return;
	uint64_t from = text_seek(t);
	const struct region *r = from ? region_find_after(p->vm, from) : region_first(p->vm);
	for (; r && !text_past_window(t); r = region_next(r)) {
		text_mark(t, r->start);
		entry(t, p->vm, r);
	}
}

static void maps_entry(struct text *t, struct vmspace *vm, const struct region *r)
{
	(void)vm;
	maps_line(t, r);
}

static void show_maps(struct text *t, struct proc *p)
{
	show_regions(t, p, maps_entry);
}

/* ---- /proc/PID/smaps and smaps_rollup ---- */

/*
 * The fields of Linux 6.1's __show_smap (fs/proc/task_mmu.c), in its order,
 * plus KSM (a later Linux's line, after Anonymous).  What this kernel does
 * not have (huge pages, swap, MADV_FREE, mlock) is 0.
 * ROLLUP adds the Pss split by kind, as smaps_rollup does.
 */
static void smaps_fields(struct text *t, const struct mem_size_stats *m, bool rollup)
{
	kb_bytes(t, "Rss:", m->resident);
	kb_bytes(t, "Pss:", m->pss >> PSS_SHIFT);
	kb_bytes(t, "Pss_Dirty:", m->pss_dirty >> PSS_SHIFT);
	if (rollup) {
		kb_bytes(t, "Pss_Anon:", m->pss_anon >> PSS_SHIFT);
		kb_bytes(t, "Pss_File:", m->pss_file >> PSS_SHIFT);
		kb_bytes(t, "Pss_Shmem:", m->pss_shmem >> PSS_SHIFT);
	}
	kb_bytes(t, "Shared_Clean:", m->shared_clean);
	kb_bytes(t, "Shared_Dirty:", m->shared_dirty);
	kb_bytes(t, "Private_Clean:", m->private_clean);
	kb_bytes(t, "Private_Dirty:", m->private_dirty);
	kb_bytes(t, "Referenced:", m->referenced);
	kb_bytes(t, "Anonymous:", m->anonymous);
	kb_bytes(t, "KSM:", m->ksm);
	static const char *const none[] = {
		"LazyFree:", "AnonHugePages:", "ShmemPmdMapped:", "FilePmdMapped:",
		"Shared_Hugetlb:", "Private_Hugetlb:", "Swap:", "SwapPss:", "Locked:",
	};
	for (size_t i = 0; i < ARRAY_SIZE(none); i++)
		kb_bytes(t, none[i], 0);
}

/* Linux's two-letter VM_* names (show_smap_vma_flags), in bit order: what
 * a region here can be.  mr me always; a shared mapping is ms (VM_MAYSHARE),
 * and sh and mw only if it may write (region.maywrite: do_mmap clears
 * VM_SHARED and VM_MAYWRITE otherwise); a private one is always mw. */
static void smaps_vmflags(struct text *t, const struct region *r)
{
	bool may_write = !r->shared || r->maywrite;
	const struct {
		bool on;
		const char *name;
	} flags[] = {
		{ r->prot & PROT_READ, "rd" }, { r->prot & PROT_WRITE, "wr" },
		{ r->prot & PROT_EXEC, "ex" }, { r->shared && may_write, "sh" }, { true, "mr" },
		{ may_write, "mw" }, { true, "me" }, { r->shared, "ms" },
		{ r->kind == REGION_STACK, "gd" }, { r->dontfork, "dc" }, { r->account, "ac" },
		{ r->noreserve, "nr" }, { r->wipeonfork, "wf" }, { r->mergeable, "mg" },
	};

	tprintf(t, "VmFlags: ");
	for (size_t i = 0; i < ARRAY_SIZE(flags); i++)
		if (flags[i].on)
			tprintf(t, "%s ", flags[i].name);
	text_put(t, "\n", 1);
}

static void smaps_entry(struct text *t, struct vmspace *vm, const struct region *r)
{
	struct mem_size_stats m = { 0 };

	smap_gather_stats(vm, r->start, r->end, &m);
	maps_line(t, r);
	kb_bytes(t, "Size:", r->end - r->start);
	kb_bytes(t, "KernelPageSize:", PAGE_SIZE);
	kb_bytes(t, "MMUPageSize:", PAGE_SIZE);
	smaps_fields(t, &m, false);
	tprintf(t, "THPeligible:    0\n");
	smaps_vmflags(t, r);
}

static void show_smaps(struct text *t, struct proc *p)
{
	show_regions(t, p, smaps_entry);
}

/* One line for the whole space, from the first region's start to the last
 * one's end, then the sums (Linux's show_smaps_rollup). */
static void show_smaps_rollup(struct text *t, struct proc *p)
{
	struct mem_size_stats m = { 0 };
	struct maps_row row = { .dev = "00:00", .name = "[rollup]" };
	const struct region *r = p->vm ? region_first(p->vm) : NULL;

	if (!p->vm)
		return;
	row.start = r ? r->start : 0;
	for (; r; r = region_next(r)) {
		uint64_t file = m.pss_file;
		smap_gather_stats(p->vm, r->start, r->end, &m);
		if (r->shared) {	/* Pss_Shmem, not Pss_File (see shared_resident) */
			m.pss_shmem += m.pss_file - file;
			m.pss_file = file;
		}
		row.end = r->end;
	}
	maps_row(t, &row);
	smaps_fields(t, &m, true);
}

/* ---- binary files: /proc/PID/pagemap, /proc/kpagecount, /proc/kpageflags ---- */

#define PM_PFN_MASK ((1ULL << 55) - 1)	/* bits 0-54: frame number */
#define PM_EXCLUSIVE (1ULL << 56)	/* mapped by exactly one page-table entry */
#define PM_FILE (1ULL << 61)		/* a page-cache (file) page */
#define PM_PRESENT (1ULL << 63)

/* Linux's entry for VA: no flags but present for the zero frame, which is
 * not a "normal page" there either. */
static uint64_t pagemap_entry(pte_t *pml4, uint64_t va)
{
	/* the user half has no huge pages: each page has its own entry */
	pte_t *pte = walk(pml4, va, false);

	if (!pte || !pte_present(*pte))
		return 0;
	uint64_t pa = pte_addr(*pte), pfn = pa >> PAGE_SHIFT;
	uint64_t e = PM_PRESENT | (pfn & PM_PFN_MASK);
	if (pa == zero_frame || pfn >= nframes)
		return e;
	if (frames[pfn].flags & FRAME_FILE)
		e |= PM_FILE;
	if (pte_mapcount(pte) == 1)
		e |= PM_EXCLUSIVE;
	return e;
}

struct pagemap_fill {
	uint64_t first, *out;
	size_t max;
	long r;
};

static void pagemap_fill_entries(struct proc *p, void *arg)
{
	struct pagemap_fill *f = arg;

	if (!p->vm)
		return;
	/* each 2 MiB under the page_table_lock, as walk_range_locked reads:
	 * a table fork shared cannot be copied away and freed meanwhile */
	for (size_t i = 0; i < f->max; i++) {
		uint64_t va = (f->first + i) << PAGE_SHIFT;
		if (i == 0 || va % HUGE_2M == 0) {
			if (i)
				spin_unlock(&p->vm->page_table_lock);
			spin_lock(&p->vm->page_table_lock);
		}
		f->out[i] = pagemap_entry(p->vm->pml4, va);
	}
	if (f->max)
		spin_unlock(&p->vm->page_table_lock);
	f->r = (long)f->max;
}

static long fill_pagemap(int pid, uint64_t first, uint64_t *out, size_t max)
{
	uint64_t end = USER_TOP >> PAGE_SHIFT;

	if (first >= end)
		return 0;
	struct pagemap_fill f = { .first = first, .out = out, .max = MIN(max, end - first) };
	int err = with_proc_vm(pid, pagemap_fill_entries, &f);
	return err ? err : f.r;
}

static long fill_frames(uint64_t first, uint64_t *out, size_t max, uint64_t (*fn)(uint64_t))
{
	if (first >= nframes)
		return 0;
	max = MIN(max, nframes - first);
	for (size_t i = 0; i < max; i++)
		out[i] = fn(first + i);
	return (long)max;
}

/* A fill_kpagecount in progress: frames [first, first + n) in out[]. */
struct kpagecount_fill {
	uint64_t first, n, *out;
};

static void add_sharers(uint64_t pfn, uint32_t others, void *arg)
{
	struct kpagecount_fill *k = arg;

	if (pfn - k->first < k->n)
		k->out[pfn - k->first] += others;
}

/* kpagecount: frame_mapcount, plus the other sharers of the page tables
 * fork shared (mm/ptshare.c): how many address spaces map each frame. */
static long fill_kpagecount(int pid, uint64_t first, uint64_t *out, size_t max)
{
	(void)pid;
	long n = fill_frames(first, out, max, frame_mapcount);
	struct kpagecount_fill k = { .first = first, .n = n > 0 ? (uint64_t)n : 0, .out = out };
	if (n > 0)
		pt_for_each_shared_entry(add_sharers, &k);
	return n;
}

static long fill_kpageflags(int pid, uint64_t first, uint64_t *out, size_t max)
{
	(void)pid;
	return fill_frames(first, out, max, frame_kpageflags);
}

/* ---- the tables ---- */

static const struct pfile proc_files[] = {
	DIR_ROW("", 0555),
	LINK_ROW("self", link_self),
	TEXT_ROW("cmdline", show_cmdline),
	TEXT_ROW("loadavg", show_loadavg),
	TEXT_ROW("uptime", show_uptime),
	TEXT_ROW("version", show_version),
	TEXT_ROW("meminfo", show_meminfo),
	TEXT_ROW("vmstat", show_vmstat),
	TEXT_ROW("cpuinfo", show_cpuinfo),
	TEXT_ROW("stat", show_stat),
	TEXT_ROW("mounts", show_mounts),
	TEXT_ROW("filesystems", show_filesystems),
	BIN_ROW("kpagecount", 0400, fill_kpagecount),
	BIN_ROW("kpageflags", 0400, fill_kpageflags),
	DIR_ROW("sys", 0555),
	DIR_ROW("sys/kernel", 0555),
	{ .path = "sys/kernel/hostname", .mode = S_IFREG | 0644, .show = show_hostname,
	  .store = store_hostname },
	TEXT_ROW("sys/kernel/osrelease", show_osrelease),
	TEXT_ROW("sys/kernel/ostype", show_ostype),
	TEXT_ROW("sys/kernel/pid_max", show_pid_max),
	DIR_ROW("sys/vm", 0555),
	KNOB_ROW("sys/vm/cow_fork", sysctl_cow_fork, 1),
	KNOB_ROW("sys/vm/zero_page", sysctl_zero_page, 1),
	KNOB_ROW("sys/vm/share_page_tables", sysctl_share_page_tables, 1),
	KNOB_ROW("sys/vm/max_map_count", sysctl_max_map_count, 0x7fffffff),
	KNOB_ROW("sys/vm/overcommit_memory", sysctl_overcommit_memory, OVERCOMMIT_NEVER),
	KNOB_ROW("sys/vm/overcommit_ratio", sysctl_overcommit_ratio, 0x7fffffff),
	{ .path = "sys/vm/audit", .mode = S_IFREG | 0644, .show = show_audit, .store = store_audit },
	END_ROW,
};

static const struct pfile pid_files[] = {
	DIR_ROW("", 0555),
	PID_ROW("cmdline", show_pid_cmdline),
	PROC_ROW("comm", show_comm),
	LINK_ROW("cwd", link_cwd),
	LINK_ROW("exe", link_exe),
	DIR_ROW("fd", 0500),
	PROC_ROW("maps", show_maps),
	MEM_ROW("mem"),
	PROC_ROW("oom_score", show_oom_score),
	PROC_KNOB_ROW("oom_score_adj", show_oom_score_adj, store_oom_score_adj),
	BIN_ROW("pagemap", 0400, fill_pagemap),
	PROC_ROW("smaps", show_smaps),
	PROC_ROW("smaps_rollup", show_smaps_rollup),
	PROC_ROW("stat", show_pid_stat),
	PROC_ROW("statm", show_statm),
	PROC_ROW("status", show_status),
	DIR_ROW("task", 0555),
	END_ROW,
};

static const struct pfile task_files[] = {
	DIR_ROW("", 0555),
	PROC_ROW("comm", show_comm),
	PROC_ROW("stat", show_task_stat),
	PROC_ROW("status", show_status),
	END_ROW,
};

/* /proc/PID/fd/N: one link per open descriptor; its node's row is N. */
static const struct pfile fd_link = { .path = "", .mode = S_IFLNK | 0700 };

/* The mode of F's link: r-x for reading, -wx for writing, none for an
 * O_PATH descriptor (Linux's tid_fd_update_inode: `ls -l` shows how each
 * descriptor was opened). */
static uint32_t fd_link_mode(const struct file *f)
{
	uint32_t mode = S_IFLNK;

	if (f->flags & O_PATH)
		return mode;
	if (file_readable(f))
		mode |= 0500;
	if (file_writable(f))
		mode |= 0300;
	return mode;
}

enum { T_PROC, T_PID, T_TASK, T_FD };

static const struct ptable {
	const char *root;	/* for T_PID, "/proc" + "/PID" */
	const struct pfile *files;
} tables[] = {
	[T_PROC] = { "/proc", proc_files },
	[T_PID] = { "/proc", pid_files },
	[T_TASK] = { "/proc", task_files },	/* the node's pid is the thread's */
};

#define NODE_ID(table, row, pid) (((uint64_t)(pid) << 32) | ((uint64_t)(table) << 16) | (uint64_t)(row))
#define ID_PID(id) ((int)((id) >> 32))
#define ID_TABLE(id) ((int)(((id) >> 16) & 0xffff))
#define ID_ROW(id) ((int)((id) & 0xffff))

static const struct pfile *node_row(const struct fs_node *n)
{
	if (ID_TABLE(n->id) == T_FD)
		return &fd_link;
	return &tables[ID_TABLE(n->id)].files[ID_ROW(n->id)];
}

/* ---- open files ---- */

struct pstate {
	const struct pfile *pf;
	int pid;		/* per-process files; 0 otherwise */
	uint64_t vm_id;		/* mem: the address space it was opened on (0: none) */
	uint64_t ino;
	char *buf;		/* one page: the text window, or a chunk of entries */
	struct text text;
	bool valid;		/* text holds a window of this file's text ... */
	bool complete;		/* ... and the text ends inside it */
};

static void show_proc_text(struct proc *p, void *arg)
{
	struct pstate *s = arg;

	s->pf->show_proc(&s->text, p);
}

/* Generate the text of S into the window that starts at OFF. */
static int generate(struct pstate *s, uint64_t off)
{
	const struct pfile *pf = s->pf;
	int r = 0;

	s->text = (struct text){ .buf = s->buf, .start = off, .seek_pos = s->text.mark_pos,
				 .seek_key = s->text.mark_key };
	if (pf->show_proc) {
		r = with_proc_vm(s->pid, show_proc_text, s);
	} else if (pf->show_pid) {
		r = pf->show_pid(&s->text, s->pid);
	} else {
		r = pf->show(&s->text, pf);
	}
	s->valid = r == 0;
	s->complete = s->text.pos <= off + TEXT_WINDOW;
	return r;
}

/* True when the window S holds answers a read at OFF (end of text included). */
static bool in_window(const struct pstate *s, uint64_t off)
{
	uint64_t end = s->text.start + s->text.len;

	return s->valid && off >= s->text.start && (off < end || (off == end && s->complete));
}

static long text_read(struct file *f, uint64_t buf, size_t n, uint64_t *off)
{
	struct pstate *s = f->priv;
	int r;

	if ((*off == 0 || !in_window(s, *off)) && (r = generate(s, *off)) < 0)
		return r;
	uint64_t end = s->text.start + s->text.len;
	if (*off >= end)
		return 0;
	size_t k = MIN(n, end - *off);
	if (copy_to_user(buf, s->buf + (*off - s->text.start), k))
		return -EFAULT;
	*off += k;
	return (long)k;
}

#define KNOB_WRITE_MAX 80	/* a host name (64) and a newline fit */

/* A per-process knob: store the value for the file's process, if it lives. */
static int store_for_pid(struct pstate *s, const char *val, size_t n)
{
	spin_lock(&proc_lock);
	struct proc *p = proc_visible(s->pid);
	int r = p ? s->pf->store_proc(p, val, n) : -ESRCH;
	spin_unlock(&proc_lock);
	return r;
}

static long knob_write(struct file *f, uint64_t buf, size_t n, uint64_t *off)
{
	struct pstate *s = f->priv;
	char val[KNOB_WRITE_MAX + 1];

	if (n == 0)
		return 0;
	if (n > KNOB_WRITE_MAX)
		return -EINVAL;
	if (copy_from_user(val, buf, n))
		return -EFAULT;
	val[n] = 0;
	if (strlen(val) != n)
		return -EINVAL;		/* an embedded NUL */
	int r = s->pf->store ? s->pf->store(s->pf, val, n) : store_for_pid(s, val, n);
	if (r < 0)
		return r;
	s->valid = false;
	*off += n;
	return (long)n;
}

#define BIN_READ_MAX (64 * 1024)
#define BIN_CHUNK (PAGE_SIZE / 8)	/* entries per fill, in buf */

static long bin_read(struct file *f, uint64_t buf, size_t n, uint64_t *off)
{
	struct pstate *s = f->priv;
	uint64_t *chunk = (uint64_t *)s->buf;
	size_t done = 0;

	if (*off % 8 || n % 8)
		return -EINVAL;
	n = MIN(n, BIN_READ_MAX);
	while (done < n) {
		size_t want = MIN((n - done) / 8, BIN_CHUNK);
		long got = s->pf->fill(s->pid, *off / 8 + done / 8, chunk, want);
		if (got <= 0 && !done)
			return got;
		if (got <= 0)
			break;
		if (copy_to_user(buf + done, chunk, (size_t)got * 8))
			return done ? (long)done : -EFAULT;
		done += (size_t)got * 8;
	}
	*off += done;
	return (long)done;
}

/* The id of PID's address space now (0: none, as for a zombie or a kernel
 * thread).  A mem file is bound to it at open, as Linux's proc_mem_open
 * keeps the mm: after exec or exit it reads as end of file. */
static uint64_t mem_vm_id(int pid)
{
	spin_lock(&proc_lock);
	struct proc *p = proc_visible(pid);
	uint64_t id = p && p->vm ? p->vm->id : 0;
	spin_unlock(&proc_lock);
	return id;
}

/* The address space ID if some process still uses it, with a reference the
 * caller drops with vmspace_put; NULL when it is gone (Linux's
 * mmget_not_zero failing). */
static struct vmspace *mem_get_vm(uint64_t id)
{
	struct vmspace *vm = NULL;

	spin_lock(&proc_lock);
	for (struct proc *p = proc_table; id && !vm && p < proc_table + NPROC; p++)
		if (p->state != P_UNUSED && p->vm && p->vm->id == id)
			vm = p->vm;
	if (vm)
		vmspace_pin(vm);
	spin_unlock(&proc_lock);
	return vm;
}

/* Does some process still use address space ID? */
static bool mem_alive(uint64_t id)
{
	struct vmspace *vm = mem_get_vm(id);

	if (vm)
		vmspace_unpin(vm);
	return vm != NULL;
}

/* Copy up to one page between PAGE and address ADDR of address space ID:
 * bytes done, 0 when it cannot be reached or is gone.  The reference is held
 * only while access_remote_vm runs, which never yields: between
 * pages the space may go (exit, exec), and no address space outlives its
 * last process because a reader is slow (the memory audit relies on it).
 * Out of frames (a forced write that must copy), the OOM killer runs and the
 * page is tried again, as for a page fault (Linux: the fault inside GUP). */
static size_t mem_access_page(uint64_t id, uint64_t addr, char *page, size_t k, int flags)
{
	for (;;) {
		struct vmspace *vm = mem_get_vm(id);
		int err = 0;
		if (!vm)
			return 0;
		size_t done = access_remote_vm(vm, addr, page, k, flags, &err);
		vmspace_unpin(vm);
		if (done || err != -ENOMEM || !oom_wait())
			return done;
	}
}

/* N bytes between BUF and the address *OFF of address space ID, a page at a
 * time through PAGE; bytes done, -EIO when the first byte cannot be reached,
 * -EFAULT for a bad BUF (even after some bytes).  A long transfer yields between pages
 * and stops early for a fatal signal. */
static long mem_copy(uint64_t id, char *page, uint64_t buf, size_t n, uint64_t *off, bool write)
{
	int flags = FOLL_FORCE | (write ? FOLL_WRITE : 0);
	long copied = 0;

	while (n && !(copied && fatal_signal_pending())) {
		size_t k = MIN(n, PAGE_SIZE);
		if (write && copy_from_user(page, buf, k))
			return -EFAULT;
		k = mem_access_page(id, *off, page, k, flags);
		if (!k)
			return copied ? copied : -EIO;
		if (!write && copy_to_user(buf, page, k))
			return -EFAULT;
		buf += k, *off += k, n -= k, copied += (long)k;
		cond_resched();
	}
	return copied;
}

/* Linux's mem_rw: 0 (end of file) when the process has no address space;
 * the page buffer is the call's own, as other users of the same open file
 * may run while this one yields. */
static long mem_rw(struct file *f, uint64_t buf, size_t n, uint64_t *off, bool write)
{
	struct pstate *s = f->priv;

	if (!mem_alive(s->vm_id))
		return 0;
	char *page = kmalloc(PAGE_SIZE);
	long r = page ? mem_copy(s->vm_id, page, buf, n, off, write) : -ENOMEM;
	kfree(page);
	return r;
}

static long mem_read(struct file *f, uint64_t buf, size_t n, uint64_t *off)
{
	return mem_rw(f, buf, n, off, false);
}

static long mem_write(struct file *f, uint64_t buf, size_t n, uint64_t *off)
{
	return mem_rw(f, buf, n, off, true);
}

static int pseudo_stat(struct file *f, struct stat *st)
{
	struct pstate *s = f->priv;

	fs_fill_stat(st, s->pf->mode, s->ino, 0, 0);
	return 0;
}

static void pseudo_close(struct file *f)
{
	struct pstate *s = f->priv;

	kfree(s->buf);
	kfree(s);
}

static const struct file_ops text_ops = {
	.read = text_read, .stat = pseudo_stat, .close = pseudo_close, .seekable = true,
};

static const struct file_ops knob_ops = {
	.read = text_read, .write = knob_write, .stat = pseudo_stat, .close = pseudo_close,
	.seekable = true,
};

static const struct file_ops bin_ops = {
	.read = bin_read, .stat = pseudo_stat, .close = pseudo_close, .seekable = true,
};

static const struct file_ops mem_ops = {
	.read = mem_read, .write = mem_write, .stat = pseudo_stat, .close = pseudo_close,
	.seekable = true, .unsigned_offsets = true,
};

int procfs_mmap_error(const struct file *f)
{
	if (f->ops != &text_ops && f->ops != &knob_ops && f->ops != &bin_ops && f->ops != &mem_ops)
		return 0;
	const struct pstate *s = f->priv;
	return s->pid == 0 && strncmp(s->pf->path, "sys/", 4) ? -EIO : -ENODEV;
}

static bool is_knob(const struct pfile *pf)
{
	return pf->store || pf->store_proc;
}

static const struct file_ops *row_ops(const struct pfile *pf)
{
	if (pf->mem)
		return &mem_ops;
	return pf->fill ? &bin_ops : is_knob(pf) ? &knob_ops : &text_ops;
}

static int pseudo_open(const struct fs_node *n, int flags, struct file **out)
{
	const struct pfile *pf = node_row(n);
	const struct file_ops *ops = row_ops(pf);

	if (S_ISLNK(pf->mode))
		return -ELOOP;		/* the walk follows links: never opened as such */
	if ((flags & O_ACCMODE) != O_RDONLY && !is_knob(pf) && !pf->mem)
		return -EACCES;
	struct pstate *s = kzalloc(sizeof(*s));
	char *buf = kmalloc(PAGE_SIZE);
	if (s && buf) {
		*s = (struct pstate){ .pf = pf, .pid = ID_PID(n->id), .ino = n->ino, .buf = buf };
		s->vm_id = pf->mem ? mem_vm_id(s->pid) : 0;
		*out = file_alloc(ops, flags & (O_ACCMODE | O_APPEND | O_NONBLOCK), s);
		if (*out)
			return 0;
	}
	kfree(buf);
	kfree(s);
	return -ENOMEM;
}

/* ---- lookup ---- */

/* The process id of thread TID, or 0 when it is gone. */
static int tgid_of(int tid)
{
	spin_lock(&proc_lock);
	struct proc *p = proc_visible(tid);
	int tgid = p ? p->tgid : 0;
	spin_unlock(&proc_lock);
	return tgid;
}

/* The inode number of ROW of TABLE: the hash of its canonical path. */
static uint64_t row_ino(int table, int row, int pid)
{
	char path[FS_PATH_MAX];

	if (table == T_FD) {	/* the row is the descriptor */
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, row);
		return fs_path_ino(path);
	}
	const char *rel = tables[table].files[row].path;
	const char *sep = rel[0] ? "/" : "";

	if (table == T_PID)
		snprintf(path, sizeof(path), "/proc/%d%s%s", pid, sep, rel);
	else if (table == T_TASK)
		snprintf(path, sizeof(path), "/proc/%d/task/%d%s%s", tgid_of(pid), pid, sep, rel);
	else
		snprintf(path, sizeof(path), "%s%s%s", tables[table].root, sep, rel);
	return fs_path_ino(path);
}

static int fill_node(struct fs_node *n, int table, const char *rel, int pid)
{
	const struct pfile *files = tables[table].files;

	for (int row = 0; files[row].path; row++) {
		if (strcmp(files[row].path, rel))
			continue;
		n->mode = files[row].mode;
		n->id = NODE_ID(table, row, pid);
		n->ino = row_ino(table, row, pid);
		return 0;
	}
	return -ENOENT;
}

/* PATH (normalized) below ROOT, without the slash: "/proc/sys/vm" -> "sys/vm". */
static const char *rel_path(const char *path, const char *root)
{
	path += strlen(root);
	return *path == '/' ? path + 1 : path;
}

/*
 * If the first component of *REL is a number (decimal, no leading zero, as
 * Linux) - or "self" when SELF - move *REL past it and return the number.
 * 0 when it names no visible task, -1 when it is some other name.
 */
static int take_number(const char **rel, bool self)
{
	const char *s = *rel;
	size_t len = 0;
	int pid = 0;

	while (s[len] && s[len] != '/')
		len++;
	if (self && len == 4 && !strncmp(s, "self", 4)) {
		pid = self_pid();
	} else {
		if (len == 0 || len > 9 || s[0] == '0')
			return -1;
		for (size_t i = 0; i < len; i++) {
			if (s[i] < '0' || s[i] > '9')
				return -1;
			pid = pid * 10 + (s[i] - '0');
		}
	}
	*rel = s[len] ? s + len + 1 : s + len;
	spin_lock(&proc_lock);
	bool ok = proc_visible(pid) != NULL;
	spin_unlock(&proc_lock);
	return ok ? pid : 0;
}

/* "task/TID/..." below /proc/PID: the node of thread TID's file, which must
 * be a thread of PID's process. */
static int task_lookup(struct fs_node *n, const char *rel, int pid)
{
	int tid = take_number(&rel, false);

	if (tid <= 0 || tgid_of(tid) != tgid_of(pid))
		return -ENOENT;
	return fill_node(n, T_TASK, rel, tid);
}

/* A descriptor number: decimal, no sign, no leading zero; -1 otherwise. */
static int parse_fd(const char *s)
{
	int fd = 0;

	if (!s[0] || (s[0] == '0' && s[1]) || strlen(s) > 4)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		fd = fd * 10 + (*s - '0');
	}
	return fd;
}

/* "fd/N" below /proc/PID: a link while PID has descriptor N open. */
static int fd_lookup(struct fs_node *n, const char *rel, int pid)
{
	int fd = parse_fd(rel);
	struct file *f = fd >= 0 ? pid_fget(pid, fd) : NULL;

	if (!f)
		return -ENOENT;
	n->mode = fd_link_mode(f);
	file_put(f);
	n->id = NODE_ID(T_FD, fd, pid);
	n->ino = row_ino(T_FD, fd, pid);
	return 0;
}

static int proc_lookup(struct fs_node *n)
{
	const char *rel = rel_path(n->path, "/proc");

	if (!strcmp(rel, "self"))	/* the link itself; below it, the walk goes on */
		return fill_node(n, T_PROC, rel, 0);
	int pid = take_number(&rel, true);
	if (pid == 0)
		return -ENOENT;
	if (pid > 0 && !strncmp(rel, "task/", 5))
		return task_lookup(n, rel + 5, pid);
	if (pid > 0 && !strncmp(rel, "fd/", 3))
		return fd_lookup(n, rel + 3, pid);
	if (pid > 0)
		return fill_node(n, T_PID, rel, pid);
	return fill_node(n, T_PROC, rel, 0);
}

/* ---- directory listings ---- */

/* The smallest visible pid above AFTER of a process (TGID 0) or of a thread
 * of process TGID, or -1.  proc_lock held. */
static int pid_after(int after, int tgid)
{
	int best = -1;

	for (struct proc *p = proc_table; p < proc_table + NPROC; p++)
		if (p->state != P_UNUSED && p->state != P_EMBRYO && p->state != P_DEAD &&
		    (tgid ? p->tgid == tgid : p->group_leader == p) && p->pid > after &&
		    (best < 0 || p->pid < best))
			best = p->pid;
	return best;
}

/* The pid of the Nth (from 0) visible process, or thread of TGID, in pid
 * order, or 0. */
static int nth_pid(size_t n, int tgid)
{
	int pid = 0;

	spin_lock(&proc_lock);
	for (size_t k = 0; k <= n && pid >= 0; k++)
		pid = pid_after(pid, tgid);
	spin_unlock(&proc_lock);
	return pid > 0 ? pid : 0;
}

/* /proc/PID/task's entries: the threads of PID's process. */
static bool readdir_tids(int pid, size_t idx, char *name, size_t max, uint32_t *mode,
			 uint64_t *ino)
{
	int tgid = tgid_of(pid);
	int tid = tgid ? nth_pid(idx, tgid) : 0;

	if (tid <= 0)
		return false;
	snprintf(name, max, "%d", tid);
	*mode = S_IFDIR | 0555;
	*ino = row_ino(T_TASK, 0, tid);
	return true;
}

/* The lowest descriptor of PID above AFTER that is open, or -1. */
static int fd_after(int pid, int after)
{
	for (int fd = after + 1; fd < NOFILE; fd++) {
		struct file *f = pid_fget(pid, fd);
		if (f) {
			file_put(f);
			return fd;
		}
	}
	return -1;
}

/* /proc/PID/fd's entries: a link per open descriptor, in order. */
static bool readdir_fds(int pid, size_t idx, char *name, size_t max, uint32_t *mode,
			uint64_t *ino)
{
	int fd = -1;

	for (size_t k = 0; k <= idx; k++)
		if ((fd = fd_after(pid, fd)) < 0)
			return false;
	snprintf(name, max, "%d", fd);
	*mode = fd_link.mode;
	*ino = row_ino(T_FD, fd, pid);
	return true;
}

/* /proc's entries after its rows ("self" is one): the processes. */
static bool readdir_pids(size_t idx, char *name, size_t max, uint32_t *mode, uint64_t *ino)
{
	int pid = nth_pid(idx, 0);
	char path[32];

	if (pid <= 0)
		return false;
	snprintf(name, max, "%d", pid);
	snprintf(path, sizeof(path), "/proc/%d", pid);
	*mode = S_IFDIR | 0555;
	*ino = fs_path_ino(path);
	return true;
}

static bool pseudo_readdir(const struct fs_node *dir, size_t idx, char *name, size_t max,
			   uint32_t *mode, uint64_t *ino)
{
	int table = ID_TABLE(dir->id), pid = ID_PID(dir->id);
	const struct pfile *files = tables[table].files, *d = node_row(dir);
	size_t skip = d->path[0] ? strlen(d->path) + 1 : 0;

	for (int row = 0; files[row].path; row++) {
		if (!fs_is_child(d->path, files[row].path))
			continue;
		if (idx > 0) {
			idx--;
			continue;
		}
		strlcpy(name, files[row].path + skip, max);
		*mode = files[row].mode;
		*ino = row_ino(table, row, pid);
		return true;
	}
	if (table == T_PID && !strcmp(d->path, "task"))
		return readdir_tids(pid, idx, name, max, mode, ino);
	if (table == T_PID && !strcmp(d->path, "fd"))
		return readdir_fds(pid, idx, name, max, mode, ino);
	return table == T_PROC && d == files && readdir_pids(idx, name, max, mode, ino);
}

static long proc_readlink(const struct fs_node *n, char *buf, size_t max)
{
	const struct pfile *pf = node_row(n);

	if (ID_TABLE(n->id) == T_FD)
		return link_fd(ID_PID(n->id), ID_ROW(n->id), buf, max);
	return pf->link ? pf->link(ID_PID(n->id), buf, max) : -EINVAL;
}

const struct fs_mount proc_mount = {
	.prefix = "/proc", .lookup = proc_lookup, .readdir = pseudo_readdir, .open = pseudo_open,
	.readlink = proc_readlink,
};
