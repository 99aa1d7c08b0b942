/*
 * mm/vmspace.h - a process's address space: its page tables and its regions.
 *
 * A region is a range of user addresses with one protection and one kind of
 * backing.  The page tables only cache what the regions say: a page is
 * mapped on first touch by the fault handler (mm/fault.c), which looks the
 * address up here to decide what the fault means.  Regions are kept in a
 * sorted singly linked list (processes have a handful).
 */
#pragma once
#include "kernel/lib.h"
#include "mm/pte.h"

#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4

#define USER_STACK_TOP 0x00007FFFFFFFF000UL
#define USER_STACK_SIZE (8UL << 20)	/* fixed size; the gap below is unmapped */
#define USER_STACK_GAP (1UL << 20)	/* guard gap between stack and mmap area */
#define USER_MMAP_TOP (USER_STACK_TOP - USER_STACK_SIZE - USER_STACK_GAP)
#define USER_MIN_ADDR 0x10000UL		/* nothing is mapped below (NULL guard) */

struct initrd_file;

enum region_kind {
	REGION_ANON,	/* mmap(MAP_ANONYMOUS|MAP_PRIVATE) */
	REGION_FILE,	/* private mapping of a file (program text and data) */
	REGION_STACK,
	REGION_HEAP,	/* brk */
};

struct region {
	uint64_t start, end;		/* page-aligned, [start, end) */
	int prot;			/* PROT_* */
	enum region_kind kind;
	bool mergeable;			/* madvise(MADV_MERGEABLE) */
	bool dontfork;			/* madvise(MADV_DONTFORK): fork leaves it out */
	bool wipeonfork;		/* madvise(MADV_WIPEONFORK): the child reads zeros */
	const struct initrd_file *file;	/* REGION_FILE */
	uint64_t file_off;		/* file offset that `start` shows */
	uint64_t file_bytes;		/* bytes from `start` that come from the file; the rest reads as zero */
	struct region *next;
};

struct vmspace {
	int users;			/* processes using it: 1, or 2 during vfork */
	pte_t *pml4;
	struct region *regions;		/* sorted by address, no overlaps */
	uint64_t heap_start, brk;	/* REGION_HEAP spans [heap_start, ALIGN_UP(brk)) */
};

/* A new, empty address space with one user. */
struct vmspace *vmspace_new(void);
/* One more user (vfork shares the parent's space until exec or exit). */
void vmspace_get(struct vmspace *vm);
/* One user fewer; the last one frees everything (frames, tables, regions). */
void vmspace_put(struct vmspace *vm);
/* fork's copy of the address space: NULL (nothing leaked) when out of memory. */
struct vmspace *vmspace_fork(struct vmspace *parent);

/* The regions of VM in address order: for (r = region_first(vm); r; r = region_next(r)). */
struct region *region_first(struct vmspace *vm);
struct region *region_next(const struct region *r);
/* The region containing ADDR, or NULL. */
struct region *region_find(struct vmspace *vm, uint64_t addr);
/* Add a region over [start, end), which must be free.  0 or -ENOMEM. */
int region_add(struct vmspace *vm, const struct region *tmpl);
/* Remove [start, end) from the regions (splitting them) and unmap its pages. */
int vm_unmap(struct vmspace *vm, uint64_t start, uint64_t end);
/* Change the protection of [start, end); -ENOMEM if part of it is unmapped. */
int vm_protect(struct vmspace *vm, uint64_t start, uint64_t end, int prot);
/* Drop the pages of [start, end) (MADV_DONTNEED): they read as new again. */
int vm_discard(struct vmspace *vm, uint64_t start, uint64_t end);
/* Mark the anonymous regions of [start, end) (un)mergeable (madvise). */
int vm_set_mergeable(struct vmspace *vm, uint64_t start, uint64_t end, bool on);
/* A free range of LEN bytes for mmap, highest first; 0 when none. */
uint64_t vm_find_free(struct vmspace *vm, uint64_t len);
/* True when no region overlaps [start, end). */
bool vm_range_free(struct vmspace *vm, uint64_t start, uint64_t end);
/* PTE protection bits for a region's PROT_* (present and user added by map_page). */
uint64_t prot_to_pte(int prot);
