/*
 * mm/vmspace.h - a process's address space: its page tables and its regions.
 *
 * A region is a range of user addresses with one protection and one kind of
 * backing.  The page tables only cache what the regions say: a page is
 * mapped on first touch by the fault handler (mm/fault.c), which looks the
 * address up here to decide what the fault means.  Regions are kept in a
 * red-black tree ordered by address (mm/region.c), so lookups are O(log n).
 */
#pragma once
#include "kernel/lib.h"
#include "kernel/rwsem.h"
#include "kernel/spinlock.h"
#include "mm/pte.h"
#include "mm/rbtree.h"
#include "mm/vm.h"

#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4

#define USER_STACK_TOP 0x00007FFFFFFFF000UL
#define USER_STACK_SIZE (8UL << 20)	/* fixed size; the gap below is unmapped */
#define USER_STACK_GAP (1UL << 20)	/* guard gap between stack and mmap area */
#define USER_MMAP_TOP (USER_STACK_TOP - USER_STACK_SIZE - USER_STACK_GAP)
#define USER_MIN_ADDR 0x10000UL		/* nothing is mapped below (NULL guard) */
/* Linux's default vm.max_map_count (include/linux/mm.h: USHRT_MAX - 5). */
#define DEFAULT_MAX_MAP_COUNT 65530

struct file;

enum region_kind {
	REGION_ANON,	/* mmap(MAP_ANONYMOUS|MAP_PRIVATE) */
	REGION_FILE,	/* mapping of a file: program text and data, mmap of a file,
			 * MAP_SHARED|MAP_ANONYMOUS (an unlinked shmem file, as Linux) */
	REGION_STACK,
	REGION_HEAP,	/* brk */
};

struct region {
	struct rb_node rb;		/* in vmspace.regions, ordered by start */
	uint64_t start, end;		/* page-aligned, [start, end) */
	int prot;			/* PROT_* */
	enum region_kind kind;
	bool mergeable;			/* madvise(MADV_MERGEABLE) */
	bool dontfork;			/* madvise(MADV_DONTFORK): fork leaves it out */
	bool wipeonfork;		/* madvise(MADV_WIPEONFORK): the child reads zeros */
	bool account;			/* charged to Committed_AS (mm/commit.c, VM_ACCOUNT) */
	bool noreserve;			/* MAP_NORESERVE: not charged (overcommit 0, 1) */
	/* REGION_FILE: the open file it maps (a reference, Linux's vm_file);
	 * denywrite: a program's own segment (exec), which also holds off
	 * writers of the file (-ETXTBSY), as Linux's VM_DENYWRITE did. */
	struct file *file;
	bool denywrite;
	/* MAP_SHARED (Linux VM_SHARED): stores go to the page-cache frame
	 * itself, never copied; fork shares the frames writable as they are. */
	bool shared;
	/* shared: may ever be writable (Linux VM_MAYWRITE): its file was open
	 * for writing and not write-sealed at mmap; counted in the inode's
	 * mmap_writable while the region lives (mm/region.c) */
	bool maywrite;
	uint64_t file_off;		/* file offset that `start` shows */
	uint64_t file_bytes;		/* bytes from `start` that come from the file; the rest reads as zero */
};

/*
 * Locking (docs/smp.md has the whole lock order):
 *   mmap_lock        the regions, and the page tables' shape: held for reading
 *                    by faults, /proc readers, the merging scanner and
 *                    /proc/PID/mem; for writing by mmap, munmap, mprotect,
 *                    madvise, brk, fork (the parent) and exit.  A space's
 *                    own page-table pages are freed only under it held for
 *                    writing; a table fork shared may go while it is held
 *                    for reading (mm/ptshare.c, "Readers"), so readers whose
 *                    results reach user space read each table under
 *                    page_table_lock (walk_range_locked).
 *   page_table_lock  the entries: whoever changes an entry holding mmap_lock
 *                    only for reading (a fault, a merge) holds it too, and
 *                    re-checks the entry it read before allocating.
 * users and cpu_mask change only by atomic instructions.
 */
struct vmspace {
	uint64_t id;			/* never reused: names it while it lives (/proc/PID/mem) */
	int users;			/* processes and threads using it, plus pins (atomic) */
	int pins;			/* users that are not processes: vmspace_pin (atomic) */
	bool building;			/* from vmspace_new to vmspace_attach: its builder
					 * (exec) fills it without its mmap_lock; fork
					 * ends it early, holding the lock (vmspace_fork) */
	struct rwsem mmap_lock;
	struct spinlock page_table_lock;
	uint64_t cpu_mask;		/* CPUs that may cache its entries: bit = cpu index (mm/tlb.c) */
	struct vmspace *all_prev, *all_next;	/* every address space (vmspace_for_each) */
	pte_t *pml4;
	struct rb_root regions;		/* by address, no overlaps (mm/region.c) */
	struct region *region_cache;	/* what region_find found last, or NULL (atomic) */
	uint64_t map_count;		/* regions in the tree (<= max_map_count) */
	uint64_t total_pages;		/* pages the regions span (Linux's total_vm) */
	uint64_t free_area_cache;	/* where vm_find_free's search starts */
	uint64_t heap_start, brk;	/* REGION_HEAP spans [heap_start, ALIGN_UP(brk)) */
	/* where exec put the argument and environment strings, and the initial
	 * stack pointer (/proc/PID/cmdline and stat, as Linux's mm_struct) */
	uint64_t arg_start, arg_end, env_start, env_end, start_stack;
};

/* A new, empty address space with one user: its builder (exec, fork), whose
 * reference counts as a pin until vmspace_attach hands it to the process
 * that will run in it, so that the memory audit can tell a space still
 * being built (its builder may sleep, and the audit may run meanwhile on
 * another CPU) from a leaked one. */
struct vmspace *vmspace_new(void);
/* VM, built by vmspace_new or vmspace_fork, now belongs to a process. */
void vmspace_attach(struct vmspace *vm);
/* One more user (vfork shares the parent's space until exec or exit). */
void vmspace_get(struct vmspace *vm);
/* One user fewer; the last one frees everything (frames, tables, regions). */
void vmspace_put(struct vmspace *vm);
/* A reference that is not a process's: a /proc reader or the merging
 * scanner keeps the space alive while it works on it (Linux's mmget /
 * mmput).  Counted apart so that the memory audit can tell a pin from a
 * leaked user.  vmspace_unpin may free the space. */
void vmspace_pin(struct vmspace *vm);
void vmspace_unpin(struct vmspace *vm);
/* fork's copy of the address space: NULL (nothing leaked) when out of memory. */
struct vmspace *vmspace_fork(struct vmspace *parent);
/* Call FN(vm, ARG) for every address space that exists: those of processes,
 * and those still being built (fork, exec) or kept alive only by a /proc
 * reader's pin.  Under a spin lock: FN must not sleep (mm/audit.c). */
void vmspace_for_each(void (*fn)(struct vmspace *vm, void *arg), void *arg);
/* Call FN(vm, ARG) for every address space that processes use (not one
 * still being built, nor one being freed), each pinned and with its
 * mmap_lock held for reading: FN may sleep, and its tables stay.  The
 * caller holds no mmap_lock. */
void vmspace_for_each_locked(void (*fn)(struct vmspace *vm, void *arg), void *arg);
/* walk_range (mm/vm.h) over [start, end) of VM, each page table's entries
 * read under VM's page_table_lock (Linux's walk_page_range takes the PTE
 * lock of each table too): VM's PD entry cannot move to a copy meanwhile,
 * and VM's own reference keeps even a table fork shared alive while FN
 * reads it.  For readers whose results reach user space (smaps and the
 * RSS figures; pagemap and pt_for_each_shared_entry take the lock the same
 * way in loops of their own); the caller holds VM's mmap_lock and no
 * page_table_lock; FN must not sleep. */
int walk_range_locked(struct vmspace *vm, uint64_t start, uint64_t end, pte_visit_fn fn,
		      void *arg);

/* ---- the region tree (mm/region.c); every lookup is O(log n) ---- */

/* /proc/sys/vm/max_map_count: most regions an address space may have. */
extern int sysctl_max_map_count;
/* The regions of VM in address order: for (r = region_first(vm); r; r = region_next(r)). */
struct region *region_first(struct vmspace *vm);
struct region *region_next(const struct region *r);
struct region *region_prev(const struct region *r);
/* The region containing ADDR, or NULL. */
struct region *region_find(struct vmspace *vm, uint64_t addr);
/* The first region that ends above ADDR (contains it or lies above), or NULL
 * (Linux's find_vma). */
struct region *region_find_after(struct vmspace *vm, uint64_t addr);
/* Add a copy of TMPL over [start, end), which must be free, charging its
 * pages to Committed_AS when TMPL->account.  0, or -ENOMEM (no memory, more
 * than max_map_count regions already, or the charge refused). */
int region_add(struct vmspace *vm, const struct region *tmpl);
/* region_add without the max_map_count cap: fork gives the child what the
 * parent has, whatever the cap is now (Linux's dup_mmap does not check it). */
int region_copy(struct vmspace *vm, const struct region *tmpl);
/* Move the end of R (the heap, for brk) up to END, which must be free:
 * 0 or -ENOMEM (the charge refused). */
int region_extend(struct vmspace *vm, struct region *r, uint64_t end);
/* Charge R's pages if PROT makes it accountable and it is not yet: 0 or
 * -ENOMEM (mprotect making a private mapping writable). */
int region_account(struct vmspace *vm, struct region *r, int prot);
/* Unlink and free R, giving back its charge (its pages are the caller's). */
void region_remove(struct vmspace *vm, struct region *r);
/* Split the region containing ADDR in two at ADDR, if ADDR is strictly
 * inside.  0, or -ENOMEM (no memory, or max_map_count regions already). */
int region_split(struct vmspace *vm, uint64_t addr);
/* Merge the neighbours among the regions that touch [start, end) which
 * differ in nothing but their addresses (anonymous and heap regions), so
 * that mmap and mprotect do not multiply regions (Linux: vma_merge). */
void region_merge_range(struct vmspace *vm, uint64_t start, uint64_t end);
/* Free every region and give back their charge (not the pages). */
void region_free_all(struct vmspace *vm);
/* A free range of LEN bytes below USER_MMAP_TOP for mmap, searched top-down
 * from the last placement (mm/region.c); 0 when none. */
uint64_t vm_find_free(struct vmspace *vm, uint64_t len);
/* True when no region overlaps [start, end). */
bool vm_range_free(struct vmspace *vm, uint64_t start, uint64_t end);

/* ---- operations on ranges (mm/vmspace.c) ---- */

/* True when regions cover every page of [start, end). */
bool vm_range_mapped(struct vmspace *vm, uint64_t start, uint64_t end);

/* Remove [start, end) from the regions (splitting them) and unmap its pages:
 * 0, or -ENOMEM with nothing unmapped (no memory to split a region, or to
 * copy a page table fork shared that the range covers in part). */
int vm_unmap(struct vmspace *vm, uint64_t start, uint64_t end);
/* Change the protection of [start, end), up to its first hole: -ENOMEM if
 * there is one, or the commit charge for making it writable is refused
 * (mm/commit.c), or a page table fork shared cannot be copied; -EACCES for write access to a shared mapping that may not
 * write (region.maywrite); the regions before keep their new protection. */
int vm_protect(struct vmspace *vm, uint64_t start, uint64_t end, int prot);
/* Fault in the pages of the one region [start, end) (MAP_POPULATE); stops
 * at the first failure, silently. */
void vm_populate(struct vmspace *vm, uint64_t start, uint64_t end);
/* Does a file region (shared anonymous memory included) overlap [start, end)? */
bool vm_range_has_file(struct vmspace *vm, uint64_t start, uint64_t end);
/* Drop the pages of [start, end) (MADV_DONTNEED): they read as new again.
 * -ENOMEM when part of the range is unmapped (the rest is dropped), or a
 * page table fork shared cannot be copied (the pages from there stay). */
int vm_discard(struct vmspace *vm, uint64_t start, uint64_t end);
/* Mark the anonymous regions of [start, end) (un)mergeable (madvise):
 * 0, or -ENOMEM when part of the range is unmapped (the rest is marked). */
int vm_set_mergeable(struct vmspace *vm, uint64_t start, uint64_t end, bool on);
/* In every address space, drop the pages that file regions of INODE show
 * for file bytes [from, to) (page-aligned; to = UINT64_MAX for "to the
 * end"), so that a later touch faults again and sees the file as it is
 * then: SIGBUS past a new end after a truncate, or a new page-cache frame
 * after a clone's shared frame was replaced by a copy.  EVEN_COWS drops the
 * private copies of private mappings too (truncate: Linux's
 * unmap_mapping_range with even_cows, as truncate_pagecache calls it);
 * without it only entries mapping the page cache's own frames go.  Takes
 * each space's mmap_lock for writing: the caller may hold fs_tree, no
 * mmap_lock.  A fork copying a space while this runs may keep the old pages
 * in the child (no reverse map here). */
struct inode;
void unmap_mapping_range(const struct inode *inode, uint64_t from, uint64_t to, bool even_cows);
/* madvise's fork advice (Linux's MADV_DONTFORK, MADV_DOFORK, MADV_WIPEONFORK,
 * MADV_KEEPONFORK values) for [start, end): 0, -ENOMEM when part of the range
 * is unmapped (the mapped parts take the advice), -EINVAL for
 * MADV_WIPEONFORK on a file mapping. */
#define FORK_ADVICE_DONTFORK 10
#define FORK_ADVICE_DOFORK 11
#define FORK_ADVICE_WIPEONFORK 18
#define FORK_ADVICE_KEEPONFORK 19
int vm_set_fork_advice(struct vmspace *vm, uint64_t start, uint64_t end, int advice);
/* PTE protection bits for a region's PROT_* (present and user added by map_page). */
uint64_t prot_to_pte(int prot);
