/*
 * mm/audit.c - the memory invariant checker (Linux: CONFIG_DEBUG_VM,
 * mm/page_table_check.c).  Copy-on-write is correct only while a handful of
 * facts about frames and page tables hold; this file checks all of them at
 * once over the whole system.
 *
 * Algorithm: count every reference that exists, then compare.  One counter
 * per frame (kvmalloc buffers taken by the first run and kept, so a run
 * allocates nothing) is cleared, and every holder of a frame reference adds
 * one to its frame's counter:
 *   - each page-table frame: every space's PML4 and the tables of its user
 *     half, the kernel's PML4 and the tables of its half
 *     (pagetable_visit_tables); a page table fork shared (mm/ptshare.c) is
 *     held once by each PD entry that points at it, in every space;
 *   - each user leaf entry of each distinct page table (walk_range): of
 *     every space that exists (vmspace_for_each), also one fork or exec is
 *     still building; a space that threads or vfork share is walked once,
 *     and a shared page table's entries are counted with the first space
 *     that reaches it (its counter is then 1: count_pte);
 *   - each 4 KiB kernel mapping below the kernel image: kernel stacks and
 *     kvmalloc buffers (FRAME_KSTACK); the image maps reserved frames and
 *     the direct map uses 2 MiB entries, neither holds a reference;
 *   - the page cache, one reference per cached frame and cache holding it
 *     (file clones share frames; that count must be the frame's aux,
 *     check_cache_holds), and the zero frame's own reference;
 *   - the kernel heap, one reference per FRAME_SLAB frame (added when the
 *     frame is compared: the heap has no list of its frames).
 * The KSM stable tree and its rmap items hold no reference (mm/ksm.c): the
 * stable tree's frames are only marked, like the frames of the free lists,
 * in the counters' two top bits.
 *
 * Then, with every holder known:
 *   1. each frame's refcount equals its count (check_frame);
 *   2. an entry writable in effect (PTE_W in it and in its PD entry: the
 *      access rights of the levels combine, Intel SDM vol. 3A, 4.6) maps a
 *      FRAME_USER frame with one holder and
 *      refcount 1; a frame with two holders, or of a kind that is shared by
 *      nature (zero, page cache, KSM), is mapped read-only with PTE_COW
 *      everywhere, since mprotect makes a non-COW entry writable
 *      (check_sharing, a second walk of the user entries).  The one
 *      exception is a shared region (MAP_SHARED): its entries map the
 *      page-cache frame itself (FRAME_FILE, never anything else), without
 *      PTE_COW and writable if the region is, however many hold it
 *      (check_shared_entry);
 *   3. each user entry lies inside a region and has no bit the region's
 *      protection does not give (check_region, during the first walk);
 *   4. free frames are on the free lists, with refcount 0, mapped and held
 *      by nothing; allocated frames are not on the list (hold, check_frame,
 *      free_listed);
 *   5. /proc/meminfo's categories add up to MemTotal (check_meminfo);
 *   6. a PD entry with PDE_TABLE_COW has PTE_W clear, and a page table with
 *      refcount > 1 is reached only through such entries (check_pde).
 * Each violation is one console line `audit: ...`.
 *
 * A fault, fork or merge in progress holds a reference its PTE does not
 * show yet; the checker runs between such operations: at its own system
 * call, exit or exec on this CPU, with every other CPU parked between two
 * processes (stop_machine, kernel/stop_machine.h) in a kernel that is not
 * preemptive, and holds proc_lock so that the process table cannot change
 * under it.
 */
#include "mm/audit.h"
#include "kernel/cmdline.h"
#include "kernel/errno.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "kernel/proc.h"
#include "kernel/stop_machine.h"
#include "mm/fault.h"
#include "mm/frame.h"
#include "mm/frame_info.h"
#include "mm/ksm.h"
#include "mm/kvmalloc.h"
#include "mm/layout.h"
#include "mm/pagecache.h"
#include "mm/vm.h"
#include "mm/vmspace.h"

#define CHUNK_FRAMES (KVMALLOC_MAX / sizeof(uint32_t))	/* 256 MiB of RAM per buffer */
#define MAX_CHUNKS 16
#define HOLDERS 0x3FFFFFFFu		/* counter bits: references found */
#define IN_STABLE_TREE (1u << 30)
#define ON_FREE_LIST (1u << 31)

#define USER_KINDS (FRAME_USER | FRAME_KSM | FRAME_FILE | FRAME_ZERO)
#define SHARED_KINDS (FRAME_KSM | FRAME_FILE | FRAME_ZERO)

static uint32_t *counters[MAX_CHUNKS];
static uint64_t total_found;

/* An address space to check, named by the first process found using it. */
struct space {
	struct vmspace *vm;
	int pid;
	int procs;		/* processes using it: vm->users less its pins */
};

/* The state of one run (runs never overlap: one CPU, proc_lock held). */
static struct {
	struct audit_report rep;
	long n;
	struct space spaces[2 * NPROC];
	int nspaces;
	const struct space *sp;		/* the space being walked */
	const struct region *r;		/* its region at or after the walk */
	uint64_t cached_found;
} audit;

static uint64_t nchunks(void)
{
	return (nframes + CHUNK_FRAMES - 1) / CHUNK_FRAMES;
}

/* The counters exist (taken on the first run and kept); false if no memory. */
static bool counters_ready(void)
{
	if (nchunks() > MAX_CHUNKS)
		return false;
	for (uint64_t i = 0; i < nchunks(); i++)
		if (!counters[i] && !(counters[i] = kvmalloc(KVMALLOC_MAX)))
			return false;
	return true;
}

static uint32_t *counter(uint64_t pfn)
{
	return &counters[pfn / CHUNK_FRAMES][pfn % CHUNK_FRAMES];
}

static void violation(enum audit_kind k, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void violation(enum audit_kind k, const char *fmt, ...)
{
	char line[AUDIT_LINE];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	printk(LOG_ERROR, "audit: %s\n", line);
	if (audit.n++ == 0)
		strlcpy(audit.rep.first, line, sizeof(audit.rep.first));
	audit.rep.found[k]++;
}

static const char *kind_name(uint16_t flags)
{
	static const struct {
		uint16_t flag;
		const char *name;
	} kinds[] = {
		{ FRAME_FREE, "free" }, { FRAME_RESERVED, "reserved" },
		{ FRAME_PAGETABLE, "page-table" }, { FRAME_SLAB, "slab" },
		{ FRAME_ZERO, "zero" }, { FRAME_FILE, "file" }, { FRAME_KSM, "ksm" },
		{ FRAME_USER, "anon" }, { FRAME_KSTACK, "kstack" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (flags & kinds[i].flag)
			return kinds[i].name;
	return "kindless";
}

/* HOLDER (of process PID, at VA; 0 for the kernel) holds a reference to PA,
 * which must be a frame of one of KINDS. */
static void hold(uint64_t pa, uint16_t kinds, const char *holder, int pid, uint64_t va)
{
	uint64_t pfn = pa >> PAGE_SHIFT;

	if (pfn >= nframes) {
		violation(AUDIT_KIND, "pid %d 0x%lx: %s holds frame 0x%lx, past the end of RAM", pid,
			  va, holder, pfn);
		return;
	}
	uint16_t flags = frames[pfn].flags;
	if (!(flags & kinds))
		violation(flags & FRAME_FREE ? AUDIT_FREE : AUDIT_KIND,
			  "pid %d 0x%lx: %s holds frame 0x%lx, a %s frame", pid, va, holder, pfn,
			  kind_name(flags));
	(*counter(pfn))++;
}

/* ---- the kernel's references ---- */

static void table_held(uint64_t pa, int level, void *arg)
{
	(void)level;
	hold(pa, FRAME_PAGETABLE, "a page table", *(int *)arg, 0);
}

static int kernel_leaf_held(pte_t *pte, uint64_t va, void *arg)
{
	(void)arg;
	hold(pte_addr(*pte), FRAME_KSTACK, "a kernel mapping", 0, va);
	return 0;
}

static void cache_held(uint64_t pa, void *arg)
{
	(void)arg;
	hold(pa, FRAME_FILE, "the page cache", 0, 0);
	/* a frame file clones share is held once per cache (mm/pagecache.h),
	 * and is one frame of Cached: counted at its first hold (the cache is
	 * walked before the address spaces) */
	if (pa >> PAGE_SHIFT < nframes && *counter(pa >> PAGE_SHIFT) == 1)
		audit.cached_found++;
}

/* Right after the cache walk, a page-cache frame's holds so far are its
 * caches': as many as its aux says (file clones, mm/pagecache.h). */
static void check_cache_holds(void)
{
	for (uint64_t pfn = 0; pfn < nframes; pfn++)
		if ((frames[pfn].flags & FRAME_FILE) && *counter(pfn) != frames[pfn].aux)
			violation(AUDIT_REFCOUNT, "frame 0x%lx: %u page caches hold it, its aux says %u",
				  pfn, *counter(pfn), frames[pfn].aux);
}

static void stable_marked(uint64_t pa, void *arg)
{
	uint64_t pfn = pa >> PAGE_SHIFT;

	(void)arg;
	if (pfn >= nframes || !(frames[pfn].flags & FRAME_KSM)) {
		violation(AUDIT_KSM, "stable tree node on frame 0x%lx, a %s frame", pfn,
			  pfn < nframes ? kind_name(frames[pfn].flags) : "nonexistent");
		if (pfn >= nframes)
			return;
	} else if (*counter(pfn) & IN_STABLE_TREE) {
		violation(AUDIT_KSM, "frame 0x%lx is in the stable tree twice", pfn);
	}
	*counter(pfn) |= IN_STABLE_TREE;
}

static bool free_listed(uint64_t pfn, void *arg)
{
	uint32_t *c = counter(pfn);

	(void)arg;
	if (*c & ON_FREE_LIST) {
		violation(AUDIT_FREE, "the free list meets frame 0x%lx twice", pfn);
		return true;
	}
	if (!(frames[pfn].flags & FRAME_FREE))
		violation(AUDIT_FREE, "frame 0x%lx (%s, refcount %u) is on the free list", pfn,
			  kind_name(frames[pfn].flags), frames[pfn].refcount);
	*c |= ON_FREE_LIST;
	return false;
}

static void count_kernel(void)
{
	int kernel = 0;

	hold(virt_to_phys(kernel_pml4), FRAME_PAGETABLE, "the kernel PML4", 0, 0);
	pagetable_visit_tables(kernel_pml4, true, table_held, &kernel);
	walk_range(kernel_pml4, DIRECT_MAP_BASE, KERNEL_VMA, kernel_leaf_held, NULL);
	hold(zero_frame, FRAME_ZERO, "zero_frame", 0, 0);
	pagecache_for_each(cache_held, NULL);
	check_cache_holds();
	ksm_for_each_stable(stable_marked, NULL);
	uint64_t listed = frame_free_list_walk(free_listed, NULL);
	if (listed != frame_free_count())
		violation(AUDIT_FREE, "the free list has %lu frames, the free count says %lu",
			  listed, frame_free_count());
}

/* ---- the address spaces ---- */

static void add_space(struct vmspace *vm, void *arg)
{
	(void)arg;
	if (audit.nspaces == ARRAY_SIZE(audit.spaces))
		violation(AUDIT_VMSPACE, "more than %zu address spaces", ARRAY_SIZE(audit.spaces));
	else
		audit.spaces[audit.nspaces++] = (struct space){ .vm = vm };
}

/* Every address space (vmspace_for_each: being built by fork or exec
 * included), and which processes use each. */
static void collect_spaces(void)
{
	audit.nspaces = 0;
	vmspace_for_each(add_space, NULL);
	for (struct proc *p = proc_table; p < proc_table + NPROC; p++) {
		if (p->state == P_UNUSED || !p->vm)
			continue;
		int i = 0;
		while (i < audit.nspaces && audit.spaces[i].vm != p->vm)
			i++;
		if (i == audit.nspaces) {
			violation(AUDIT_VMSPACE, "pid %d: its address space is not in the list", p->pid);
			continue;
		}
		if (!audit.spaces[i].procs++)
			audit.spaces[i].pid = p->pid;
	}
}

/* The leaf bits a page of R may have: the region's protection as
 * prot_to_pte (mm/vmspace.c) gives it, made an entry by pte_mkprot (PTE_P
 * unless PROT_NONE) exactly as map_page does. */
static uint64_t region_leaf_bits(const struct region *r)
{
	return pte_mkprot(0, prot_to_pte(r->prot));
}

/* The bits by which leaf entry E exceeds ALLOWED: a P, U or W that ALLOWED
 * does not give, an NX that it demands; and W together with COW. */
static uint64_t excess_bits(pte_t e, uint64_t allowed)
{
	uint64_t bad = (e & (PTE_P | PTE_U | PTE_W)) & ~allowed;

	if (allowed & PTE_NX & ~e)
		bad |= PTE_NX;
	if ((e & PTE_W) && (e & PTE_COW))
		bad |= PTE_COW;
	return bad;
}

/* The region of the space being walked that holds VA, or NULL; VAs come in
 * address order (audit.r is reset to the first region before each walk). */
static const struct region *region_at(uint64_t va)
{
	const struct region *r = audit.r;

	while (r && r->end <= va)
		r = region_next(r);
	audit.r = r;
	return r && va >= r->start ? r : NULL;
}

/* Invariant 3 for the entry E at VA; entries come in address order. */
static void check_region(pte_t e, uint64_t va)
{
	const struct region *r = region_at(va);
	int pid = audit.sp->pid;

	if (!r) {
		violation(AUDIT_OUTSIDE_REGION, "pid %d 0x%lx: entry %lx lies outside every region",
			  pid, va, e);
		return;
	}
	uint64_t bad = excess_bits(e, region_leaf_bits(r));
	if (bad)
		violation(AUDIT_PROT, "pid %d 0x%lx: entry %lx exceeds its region's prot %d (bits %lx)",
			  pid, va, e, r->prot, bad);
}

/* The physical address of the page table that holds entry PTE. */
static uint64_t table_pa(const pte_t *pte)
{
	return ALIGN_DOWN(virt_to_phys(pte), PAGE_SIZE);
}

/* Every space's regions must account for its entries; the frame is held
 * once per distinct table: by the first space whose walk reaches it (its
 * tables are counted before its entries, so the table's counter is 1). */
static int count_pte(pte_t *pte, uint64_t va, void *arg)
{
	(void)arg;
	check_region(*pte, va);
	if ((*counter(table_pa(pte) >> PAGE_SHIFT) & HOLDERS) == 1)
		hold(pte_addr(*pte), USER_KINDS, "a user entry", audit.sp->pid, va);
	return 0;
}

/* Invariant 6 for the PD entry PDE of VA. */
static int check_pde(pte_t *pde, uint64_t va, void *arg)
{
	uint32_t ref = frame_refcount(pte_addr(*pde));

	(void)arg;
	if ((*pde & PDE_TABLE_COW) && (*pde & PTE_W))
		violation(AUDIT_TABLE_SHARE, "pid %d 0x%lx: PD entry %lx is writable with "
			  "PDE_TABLE_COW", audit.sp->pid, va, *pde);
	else if (ref > 1 && !(*pde & PDE_TABLE_COW))
		violation(AUDIT_TABLE_SHARE, "pid %d 0x%lx: PD entry %lx reaches a page table of "
			  "refcount %u without PDE_TABLE_COW", audit.sp->pid, va, *pde, ref);
	return 0;
}

static void count_space(const struct space *s)
{
	int pid = s->pid;

	audit.sp = s;
	audit.r = region_first(s->vm);
	if (s->vm->users - s->vm->pins != s->procs)
		violation(AUDIT_VMSPACE, "pid %d: address space has %d users (%d pins), "
			  "%d processes use it", s->pid, s->vm->users, s->vm->pins, s->procs);
	hold(virt_to_phys(s->vm->pml4), FRAME_PAGETABLE, "a PML4", s->pid, 0);
	pagetable_visit_tables(s->vm->pml4, false, table_held, &pid);
	walk_range_level(s->vm->pml4, 0, USER_TOP, 2, check_pde, NULL);
	walk_range(s->vm->pml4, 0, USER_TOP, count_pte, NULL);
}

/* Invariant 2 in a shared region: the page-cache frame, without PTE_COW
 * (its write bit is the region's business: check_region). */
static void check_shared_entry(pte_t e, uint64_t va, uint16_t flags)
{
	if (!(flags & FRAME_FILE) || (e & PTE_COW))
		violation(AUDIT_KIND, "pid %d 0x%lx: shared mapping's entry %lx on a %s frame%s",
			  audit.sp->pid, va, e, kind_name(flags),
			  e & PTE_COW ? " with PTE_COW" : "");
}

/* Is leaf entry PTE of VA writable in effect: PTE_W in it and in its PD
 * entry (a shared page table's is read-only: mm/ptshare.c)? */
static bool writable(const pte_t *pte, uint64_t va)
{
	if (!(*pte & PTE_W))
		return false;	/* most entries: no walk */
	const pte_t *pde = walk_level(audit.sp->vm->pml4, va, 2, false);
	return pde && (*pde & PTE_W);
}

/* Invariant 2 for one user entry, every holder being counted now. */
static int check_sharing(pte_t *pte, uint64_t va, void *arg)
{
	uint64_t pa = pte_addr(*pte), pfn = pa >> PAGE_SHIFT;
	const struct region *r = region_at(va);

	(void)arg;
	if (pfn >= nframes || !(frames[pfn].flags & USER_KINDS))
		return 0;	/* reported by hold() */
	uint16_t flags = frames[pfn].flags;
	if (r && r->shared) {
		check_shared_entry(*pte, va, flags);
		return 0;
	}
	uint32_t holders = *counter(pfn) & HOLDERS, ref = frame_refcount(pa);
	bool shared = holders > 1 || (flags & SHARED_KINDS);
	if (writable(pte, va) && (shared || ref != 1))
		violation(AUDIT_WRITABLE_SHARED,
			  "pid %d 0x%lx: writable entry on frame 0x%lx (%s, refcount %u, %u holders)",
			  audit.sp->pid, va, pfn, kind_name(flags), ref, holders);
	else if (shared && !(*pte & PTE_COW))
		violation(AUDIT_NOT_COW,
			  "pid %d 0x%lx: frame 0x%lx (%s, %u holders) is mapped without PTE_COW",
			  audit.sp->pid, va, pfn, kind_name(flags), holders);
	return 0;
}

/* ---- the frames ---- */

struct finder {
	uint64_t pa, va;
};

static int find_pte(pte_t *pte, uint64_t va, void *arg)
{
	struct finder *f = arg;

	f->va = va;
	return pte_addr(*pte) == f->pa;
}

/* Invariant 1 broken for PFN: name the first user entry mapping it, if any. */
static void refcount_violation(uint64_t pfn, uint32_t want)
{
	struct finder f = { .pa = pfn << PAGE_SHIFT };
	uint32_t ref = frames[pfn].refcount;
	const char *kind = kind_name(frames[pfn].flags);

	for (int i = 0; i < audit.nspaces; i++) {
		if (walk_range(audit.spaces[i].vm->pml4, 0, USER_TOP, find_pte, &f)) {
			violation(AUDIT_REFCOUNT,
				  "pid %d 0x%lx: frame 0x%lx (%s) refcount %u, references found %u",
				  audit.spaces[i].pid, f.va, pfn, kind, ref, want);
			return;
		}
	}
	violation(AUDIT_REFCOUNT, "frame 0x%lx (%s) refcount %u, references found %u", pfn, kind,
		  ref, want);
}

static void check_frame(uint64_t pfn)
{
	const struct frame *f = &frames[pfn];
	uint32_t c = *counter(pfn);

	if (f->flags & FRAME_RESERVED)
		return;
	if (f->flags & FRAME_FREE) {
		if (!(c & ON_FREE_LIST))
			violation(AUDIT_FREE, "frame 0x%lx is free but not on the free list", pfn);
		if (f->refcount)
			violation(AUDIT_FREE, "free frame 0x%lx has refcount %u", pfn, f->refcount);
		return;
	}
	if (c & ON_FREE_LIST)
		return;		/* reported by free_listed() */
	if (!(f->flags & (USER_KINDS | FRAME_PAGETABLE | FRAME_SLAB | FRAME_KSTACK)))
		violation(AUDIT_KIND, "frame 0x%lx is in use but of no kind (flags %x)", pfn, f->flags);
	if ((f->flags & FRAME_KSM) && !(c & IN_STABLE_TREE))
		violation(AUDIT_KSM, "frame 0x%lx is a ksm frame outside the stable tree", pfn);
	uint32_t want = (c & HOLDERS) + (f->flags & FRAME_SLAB ? 1 : 0);
	if (f->refcount != want)
		refcount_violation(pfn, want);
}

/* Invariant 5: the categories of /proc/meminfo (mm/frame_info.h) add up. */
static void check_meminfo(void)
{
	struct meminfo m;

	meminfo_read(&m);
	uint64_t sum = m.free + m.cached + m.anon + m.slab + m.kstack + m.pagetables;
	if (sum != m.total)
		violation(AUDIT_MEMINFO, "meminfo categories add up to %lu kB, MemTotal is %lu kB",
			  sum * (PAGE_SIZE / 1024), m.total * (PAGE_SIZE / 1024));
	if (m.cached != audit.cached_found)
		violation(AUDIT_MEMINFO, "meminfo Cached is %lu frames, the page cache holds %lu",
			  m.cached, audit.cached_found);
}

static void audit_all(void)
{
	for (uint64_t i = 0; i < nchunks(); i++)
		memset(counters[i], 0, KVMALLOC_MAX);
	audit.rep = (struct audit_report){ 0 };
	audit.n = 0;
	audit.cached_found = 0;
	count_kernel();
	collect_spaces();
	for (int i = 0; i < audit.nspaces; i++)
		count_space(&audit.spaces[i]);
	for (uint64_t pfn = 0; pfn < nframes; pfn++)
		check_frame(pfn);
	for (int i = 0; i < audit.nspaces; i++) {
		audit.sp = &audit.spaces[i];
		audit.r = region_first(audit.sp->vm);
		walk_range(audit.sp->vm->pml4, 0, USER_TOP, check_sharing, NULL);
	}
	check_meminfo();
}

/* vm_audit with every other CPU parked (stop_machine). */
static long audit_stopped(void *rep)
{
	spin_lock(&proc_lock);
	audit_all();
	long n = audit.n;
	total_found += (uint64_t)n;
	if (rep)
		*(struct audit_report *)rep = audit.rep;
	spin_unlock(&proc_lock);
	return n;
}

long vm_audit(struct audit_report *rep)
{
	if (!counters_ready()) {
		pr_err("audit: no memory for the per-frame counters\n");
		return -ENOMEM;
	}
	return stop_machine(audit_stopped, rep);
}

uint64_t vm_audit_total(void)
{
	return total_found;
}

void vm_audit_checkpoint(const char *event, int pid)
{
	static int enabled = -1;
	struct audit_report rep;

	if (enabled < 0)
		enabled = cmdline_bool("vm_audit", false);
	if (enabled && vm_audit(&rep) > 0)
		panic("vm_audit: %s (after %s of pid %d)", rep.first, event, pid);
}
