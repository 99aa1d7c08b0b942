/*
 * mm/ptshare_test.c - self-tests for the page tables fork shares
 * (mm/ptshare.c): fork shares a table (one reference more, PD entries
 * write-protected, no leaf touched); the first change in one sharer copies
 * it and write-protects the source; the last sharer reuses it in place;
 * the last pt_put drops the leaf frames' references; without a frame for
 * the copy, -ENOMEM and nothing changed.
 */
#include "kernel/errno.h"
#include "kernel/ktest.h"
#include "mm/fault.h"
#include "mm/frame.h"
#include "mm/frame_info.h"
#include "mm/ktest_frames.h"
#include "mm/layout.h"
#include "mm/ptshare.h"
#include "mm/vm.h"
#include "mm/vmspace.h"
#include "mm/vmstat.h"

#define BASE 0x40000000UL	/* 2 MiB aligned: one page table */

/* A space with a writable region over one page table and two written
 * pages at BASE and BASE + 4 KiB.  NULL without memory. */
static struct vmspace *space_with_table(void)
{
	struct vmspace *vm = vmspace_new();
	struct region r = { .start = BASE, .end = BASE + HUGE_2M, .prot = PROT_READ | PROT_WRITE,
			    .kind = REGION_ANON };

	if (!vm)
		return NULL;
	vmspace_attach(vm);
	if (region_add(vm, &r) || vm_fault(vm, BASE, FAULT_WRITE) ||
	    vm_fault(vm, BASE + PAGE_SIZE, FAULT_WRITE)) {
		vmspace_put(vm);
		return NULL;
	}
	return vm;
}

/* The switches as these tests need them: cow_fork and share_page_tables
 * on; sharing_restore puts back what sharing_on found. */
struct switches {
	int cow_fork, share_page_tables;
};

static struct switches sharing_on(void)
{
	struct switches old = { sysctl_cow_fork, sysctl_share_page_tables };

	sysctl_cow_fork = sysctl_share_page_tables = 1;
	return old;
}

static void sharing_restore(struct switches old)
{
	sysctl_cow_fork = old.cow_fork;
	sysctl_share_page_tables = old.share_page_tables;
}

static struct vmspace *fork_of(struct vmspace *parent)
{
	struct vmspace *child = vmspace_fork(parent);

	if (child)
		vmspace_attach(child);
	return child;
}

static pte_t pde(struct vmspace *vm)
{
	pte_t *e = walk_level(vm->pml4, BASE, 2, false);

	return e ? *e : 0;
}

static pte_t leaf(struct vmspace *vm)
{
	pte_t *e = walk(vm->pml4, BASE, false);

	return e ? *e : 0;
}

static int unshare(struct vmspace *vm)
{
	down_read(&vm->mmap_lock);
	int r = pt_unshare(vm, BASE);
	up_read(&vm->mmap_lock);
	return r;
}

static uint64_t watched;

static void count_page(uint64_t pfn, uint32_t others, void *count)
{
	if (pfn == watched >> PAGE_SHIFT)
		*(uint64_t *)count += others;
}

KTEST(ptshare_share_copy_reuse)
{
	struct switches saved = sharing_on();
	struct vmspace *parent = space_with_table(), *child = parent ? fork_of(parent) : NULL;

	KCHECK(parent && child, "a space with two written pages, and its fork");
	if (!child)
		goto out;
	uint64_t table = pte_addr(pde(parent)), page = pte_addr(leaf(parent));
	watched = page;
	KCHECK(pde(child) == pde(parent) && (pde(parent) & PDE_TABLE_COW) && !(pde(parent) & PTE_W),
	       "fork gives the child the parent's PD entry, read-only with PDE_TABLE_COW");
	KCHECK(frame_refcount(table) == 2 && frame_refcount(page) == 1 && (leaf(parent) & PTE_W),
	       "the table has 2 references; the leaf frame 1, its entry untouched (%u, %u)",
	       frame_refcount(table), frame_refcount(page));
	uint64_t count = frame_mapcount(page >> PAGE_SHIFT);
	pt_for_each_shared_entry(count_page, &count);
	KCHECK(count == 2, "kpagecount's count: 2 address spaces map the page (%lu)", count);

	uint64_t copies = vm_event_sum(TABLE_COPY), reuses = vm_event_sum(TABLE_REUSE);
	KCHECK(unshare(child) == 1 && pte_addr(pde(child)) != table && (pde(child) & PTE_W) &&
	       !(pde(child) & PDE_TABLE_COW) && vm_event_sum(TABLE_COPY) == copies + 1,
	       "the child's first change copies the table (table_copy), writable");
	KCHECK(frame_refcount(table) == 1 && frame_refcount(page) == 2,
	       "the source keeps 1 reference, the leaf frame gains one (%u, %u)",
	       frame_refcount(table), frame_refcount(page));
	KCHECK(!(leaf(parent) & PTE_W) && (leaf(parent) & PTE_COW) && leaf(child) == leaf(parent),
	       "the source's entry is write-protected with PTE_COW, and so is the copy's");
	KCHECK(unshare(parent) == 1 && pte_addr(pde(parent)) == table && (pde(parent) & PTE_W) &&
	       !(pde(parent) & PDE_TABLE_COW) && vm_event_sum(TABLE_REUSE) == reuses + 1,
	       "the parent, last sharer, reuses the table in place (table_reuse)");
	KCHECK(unshare(parent) == 0 && unshare(child) == 0, "a table of one's own is left alone");
	vmspace_put(child);
	KCHECK(frame_refcount(page) == 1, "the child's exit drops its copy's leaf reference");
out:
	if (parent)
		vmspace_put(parent);
	sharing_restore(saved);
}

KTEST(ptshare_last_put_drops_leaves)
{
	struct switches saved = sharing_on();
	struct vmspace *parent = space_with_table(), *child = parent ? fork_of(parent) : NULL;
	struct vmspace *grandchild = child ? fork_of(child) : NULL;

	KCHECK(grandchild != NULL, "a space, its fork and a fork of the fork");
	if (!grandchild) {
		if (child)
			vmspace_put(child);
		if (parent)
			vmspace_put(parent);
		goto out;
	}
	uint64_t table = pte_addr(pde(parent)), page = pte_addr(leaf(parent));
	KCHECK(frame_refcount(table) == 3 && pde(grandchild) == pde(parent),
	       "three sharers: the table has 3 references (%u)", frame_refcount(table));
	frame_get(page);	/* watch it past the table's end */
	vmspace_put(parent);
	vmspace_put(child);
	KCHECK(frame_refcount(table) == 1 && frame_refcount(page) == 2,
	       "two exits drop two table references, no leaf one (%u, %u)",
	       frame_refcount(table), frame_refcount(page));
	vmspace_put(grandchild);
	KCHECK(frame_refcount(page) == 1, "the last pt_put drops the leaf reference (%u)",
	       frame_refcount(page));
	frame_put(page);
out:
	sharing_restore(saved);
}

KTEST(ptshare_copy_enomem)
{
	struct switches saved = sharing_on();
	struct vmspace *parent = space_with_table(), *child = parent ? fork_of(parent) : NULL;

	KCHECK(child != NULL, "a space with two written pages, and its fork");
	if (child) {
		pte_t before = pde(child);
		uint64_t chain = drain_frames(0);
		int r = unshare(child);
		release_frames(chain);
		KCHECK(r == -ENOMEM && pde(child) == before &&
		       frame_refcount(pte_addr(before)) == 2,
		       "without a frame the copy fails with -ENOMEM, nothing changed (%d)", r);
		KCHECK(vm_fault(child, BASE, FAULT_WRITE) == 0 && pde(child) != before,
		       "with memory again, the write copies the table");
		vmspace_put(child);
	}
	if (parent)
		vmspace_put(parent);
	sharing_restore(saved);
}
