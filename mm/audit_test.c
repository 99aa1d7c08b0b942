/*
 * mm/audit_test.c - self-tests for the memory invariant checker (mm/audit.c).
 *
 * A scratch process (a process-table slot that never runs, with its own
 * address space: one read-write and one read-only anonymous region) is
 * built with the real fault and fork code, and the checker must find
 * nothing.  Then each kind of violation is planted in it by hand - a
 * writable entry on a shared frame, a reference count off by one, an entry
 * outside every region, entries more permissive than their region, a free
 * frame still mapped, a merged frame outside the stable tree, a frame of no
 * kind, a wrong user count - the checker must find exactly
 * that, and after the repair nothing again.  A shared region (MAP_SHARED:
 * page-cache frames mapped writable by parent and child alike) is the one
 * exception to the copy-on-write rule: found healthy, and found wrong only
 * with PTE_COW or a frame that is not the page cache's.
 */
#include "kernel/fs/file.h"
#include "kernel/fs/tmpfs.h"
#include "kernel/ktest.h"
#include "kernel/proc.h"
#include "mm/audit.h"
#include "mm/fault.h"
#include "mm/frame.h"
#include "mm/layout.h"
#include "mm/vm.h"
#include "mm/vmspace.h"
#include "mm/vmstat.h"

#define RW_VA 0x0000000040000000UL	/* 4 pages, PROT_READ | PROT_WRITE */
#define RO_VA 0x0000000040100000UL	/* 4 pages, PROT_READ */
#define OUT_VA 0x0000000040200000UL	/* no region */
#define SH_VA 0x0000000040300000UL	/* 4 pages, shared anonymous (audit_shared) */
#define PAGE2 (RW_VA + PAGE_SIZE)

static bool add_region(struct vmspace *vm, uint64_t start, int prot)
{
	struct region r = { .start = start, .end = start + 4 * PAGE_SIZE, .prot = prot,
			    .kind = REGION_ANON };

	return region_add(vm, &r) == 0;
}

/* VM, just built, handed to the scratch process that will hold it. */
static struct vmspace *built(struct vmspace *vm)
{
	if (vm)
		vmspace_attach(vm);
	return vm;
}

/* A process slot that never runs, with address space VM (or a new one). */
static struct proc *scratch_new(struct vmspace *vm)
{
	int err;
	struct proc *p = proc_alloc(&err);

	if (!p)
		return NULL;
	p->vm = vm ? vm : built(vmspace_new());
	if (!p->vm || (!vm && !(add_region(p->vm, RW_VA, PROT_READ | PROT_WRITE) &&
				add_region(p->vm, RO_VA, PROT_READ)))) {
		proc_free(p);
		return NULL;
	}
	return p;
}

/* The checker finds exactly N violations, all of kind K. */
static bool finds(enum audit_kind k, long n)
{
	struct audit_report rep;

	return vm_audit(&rep) == n && rep.found[k] == (uint64_t)n;
}

/* A new anonymous frame mapped at VA of P with PROT (PTE_* bits). */
static uint64_t plant(struct proc *p, uint64_t va, uint64_t prot)
{
	uint64_t pa = frame_alloc_zeroed(FRAME_USER);

	if (pa && map_page(p->vm->pml4, va, pa, prot)) {
		frame_put(pa);
		return 0;
	}
	return pa;
}

/* Undo plant(). */
static void unplant(struct proc *p, uint64_t va)
{
	frame_put(pte_addr(unmap_page(p->vm->pml4, va)));
}

/* The first run takes the counters for good, the first process the page
 * tables of the kernel-stack area: the free count is measured after both. */
static uint64_t settled_free_count(void)
{
	struct proc *p = scratch_new(NULL);

	if (p)
		proc_free(p);
	vm_audit(NULL);
	return frame_free_count();
}

KTEST(audit_healthy)
{
	uint64_t before = settled_free_count();
	struct proc *p, *c = NULL, *v = NULL;

	KCHECK(vm_audit(NULL) == 0, "no violation on a system with no process");
	p = scratch_new(NULL);
	KCHECK(p != NULL, "a scratch process");
	if (!p)
		return;
	KCHECK(vm_fault(p->vm, RW_VA, 0) == 0 && vm_fault(p->vm, PAGE2, FAULT_WRITE) == 0 &&
	       vm_fault(p->vm, RO_VA, 0) == 0, "a zero_map read, a zero_fill write, a read-only read");
	KCHECK(vm_audit(NULL) == 0, "no violation after the faults");
	c = scratch_new(built(vmspace_fork(p->vm)));
	KCHECK(c && vm_audit(NULL) == 0, "no violation after a copy-on-write fork");
	KCHECK(c && vm_fault(c->vm, PAGE2, FAULT_WRITE) == 0 && vm_audit(NULL) == 0,
	       "no violation after a cow_copy in the child");
	KCHECK(vm_fault(p->vm, PAGE2, FAULT_WRITE) == 0 && vm_audit(NULL) == 0,
	       "no violation after a cow_reuse in the parent");
	vmspace_get(p->vm);
	v = scratch_new(p->vm);
	KCHECK(v && vm_audit(NULL) == 0, "a vfork-shared space is counted once");
	if (v)
		proc_free(v);
	if (c)
		proc_free(c);
	proc_free(p);
	KCHECK(vm_audit(NULL) == 0, "no violation after the scratch processes are gone");
	KCHECK(frame_free_count() == before, "no frame leaked (%lu -> %lu)", before,
	       frame_free_count());
}

KTEST(audit_plants)
{
	uint64_t before = settled_free_count();
	struct proc *p = scratch_new(NULL);
	pte_t *pml4 = p ? p->vm->pml4 : NULL;
	uint64_t ro = PTE_U | PTE_NX | PTE_COW, pa;

	KCHECK(p && vm_audit(NULL) == 0, "a scratch process, and no violation");
	if (!p)
		return;

	pa = plant(p, RW_VA, PTE_U | PTE_W | PTE_NX);
	frame_get(pa);
	map_page(pml4, PAGE2, pa, ro);
	KCHECK(finds(AUDIT_WRITABLE_SHARED, 1), "a writable entry on a shared frame is found");
	protect_page(pml4, RW_VA, ro);
	KCHECK(vm_audit(NULL) == 0, "... and no violation once both entries are copy-on-write");
	unplant(p, PAGE2);
	frame_get(pa);
	KCHECK(finds(AUDIT_REFCOUNT, 1), "a reference count one too high is found");
	frame_put(pa);
	KCHECK(vm_audit(NULL) == 0, "... and no violation once it is dropped");
	unplant(p, RW_VA);

	plant(p, OUT_VA, ro);
	KCHECK(finds(AUDIT_OUTSIDE_REGION, 1), "an entry outside every region is found");
	unplant(p, OUT_VA);
	KCHECK(vm_audit(NULL) == 0, "... and no violation once it is unmapped");

	plant(p, RO_VA, PTE_U | PTE_W | PTE_NX);
	KCHECK(finds(AUDIT_PROT, 1), "a writable entry in a read-only region is found");
	protect_page(pml4, RO_VA, PTE_U);
	KCHECK(finds(AUDIT_PROT, 1), "an executable entry in a non-executable region is found");
	protect_page(pml4, RO_VA, PTE_U | PTE_NX);
	KCHECK(vm_audit(NULL) == 0, "... and no violation with the region's own protection");
	unplant(p, RO_VA);
	plant(p, RW_VA, PTE_U | PTE_W | PTE_NX | PTE_COW);
	KCHECK(finds(AUDIT_PROT, 1), "a writable copy-on-write entry is found");
	unplant(p, RW_VA);

	pa = plant(p, RW_VA, ro);
	frame_put(pa);
	KCHECK(finds(AUDIT_FREE, 1), "a free frame still mapped is found");
	unmap_page(pml4, RW_VA);
	KCHECK(vm_audit(NULL) == 0, "... and no violation once the entry is gone");

	pa = plant(p, RW_VA, ro);
	pa_to_frame(pa)->flags = FRAME_KSM;
	KCHECK(finds(AUDIT_KSM, 1), "a merged frame missing from the stable tree is found");
	pa_to_frame(pa)->flags = FRAME_USER;
	unplant(p, RW_VA);

	/* a heap frame (the heap's one reference) that loses its kind: no
	 * category of /proc/meminfo counts it, and nothing holds it any more */
	struct audit_report rep;
	pa = frame_alloc(FRAME_SLAB);
	pa_to_frame(pa)->flags = 0;
	KCHECK(vm_audit(&rep) == 3 && rep.found[AUDIT_MEMINFO] == 1 && rep.found[AUDIT_KIND] == 1 &&
	       rep.found[AUDIT_REFCOUNT] == 1, "a frame no meminfo category counts is found");
	pa_to_frame(pa)->flags = FRAME_SLAB;
	KCHECK(vm_audit(NULL) == 0, "... and no violation once it is a heap frame again");
	frame_put(pa);

	p->vm->users++;
	KCHECK(finds(AUDIT_VMSPACE, 1), "a user count no process accounts for is found");
	p->vm->users--;
	proc_free(p);
	KCHECK(vm_audit(NULL) == 0, "no violation at the end");
	KCHECK(frame_free_count() == before, "no frame leaked (%lu -> %lu)", before,
	       frame_free_count());
}

/* A shared anonymous region of 4 pages at SH_VA in VM, as mmap makes it. */
static bool add_shared_region(struct vmspace *vm)
{
	struct region r = { .start = SH_VA, .end = SH_VA + 4 * PAGE_SIZE,
			    .prot = PROT_READ | PROT_WRITE, .kind = REGION_FILE, .shared = true,
			    .maywrite = true, .file_bytes = 4 * PAGE_SIZE };

	if (shmem_file_new("/dev/zero", 4 * PAGE_SIZE, &r.file))
		return false;
	bool ok = region_add(vm, &r) == 0;
	file_put(r.file);	/* the region holds its own */
	return ok;
}

KTEST(audit_shared)
{
	uint64_t before = settled_free_count();
	struct proc *p = scratch_new(NULL), *c = NULL;
	uint64_t sh2 = SH_VA + 2 * PAGE_SIZE;

	KCHECK(p && add_shared_region(p->vm), "a scratch process with a shared region");
	if (!p)
		return;
	KCHECK(vm_fault(p->vm, SH_VA, FAULT_WRITE) == 0 &&
	       vm_fault(p->vm, SH_VA + PAGE_SIZE, 0) == 0 && vm_audit(NULL) == 0,
	       "a shared write and a shared read: no violation");
	c = scratch_new(built(vmspace_fork(p->vm)));
	KCHECK(c && vm_audit(NULL) == 0,
	       "no violation after fork: one page-cache frame writable in both");
	KCHECK(c && vm_fault(c->vm, SH_VA + PAGE_SIZE, FAULT_WRITE) == 0 && vm_audit(NULL) == 0,
	       "no violation after the child's shared_write");
	protect_page(p->vm->pml4, SH_VA, PTE_U | PTE_NX | PTE_COW);
	KCHECK(finds(AUDIT_KIND, 1), "PTE_COW in a shared region is found");
	protect_page(p->vm->pml4, SH_VA, PTE_U | PTE_W | PTE_NX);
	KCHECK(vm_audit(NULL) == 0, "... and no violation once it is writable again");
	plant(p, sh2, PTE_U | PTE_W | PTE_NX);
	KCHECK(finds(AUDIT_KIND, 1), "an anonymous frame in a shared region is found");
	unplant(p, sh2);
	KCHECK(vm_audit(NULL) == 0, "... and no violation once it is gone");
	if (c)
		proc_free(c);
	proc_free(p);
	KCHECK(vm_audit(NULL) == 0, "no violation at the end");
	KCHECK(frame_free_count() == before, "no frame leaked (%lu -> %lu)", before,
	       frame_free_count());
}

KTEST(audit_shared_tables)
{
	int saved = sysctl_share_page_tables;
	uint64_t before = settled_free_count();
	struct proc *p = scratch_new(NULL), *c = NULL;

	sysctl_share_page_tables = 1;
	KCHECK(p && vm_fault(p->vm, PAGE2, FAULT_WRITE) == 0, "a scratch process with a written page");
	if (p)
		c = scratch_new(built(vmspace_fork(p->vm)));
	pte_t *pde = c ? walk_level(p->vm->pml4, RW_VA, 2, false) : NULL;
	KCHECK(pde && (*pde & PDE_TABLE_COW) && vm_audit(NULL) == 0,
	       "no violation after a fork that shares the page table");
	if (pde) {
		*pde |= PTE_W;
		KCHECK(finds(AUDIT_TABLE_SHARE, 1), "a writable PD entry with PDE_TABLE_COW is found");
		*pde &= ~(PTE_W | PDE_TABLE_COW);
		KCHECK(finds(AUDIT_TABLE_SHARE, 1),
		       "a PD entry without PDE_TABLE_COW to a table of refcount 2 is found");
		*pde |= PDE_TABLE_COW;
		KCHECK(vm_audit(NULL) == 0, "... and no violation once it is as fork left it");
		KCHECK(vm_fault(c->vm, PAGE2, FAULT_WRITE) == 0 && vm_audit(NULL) == 0,
		       "no violation after the child's write copies the table");
	}
	if (c)
		proc_free(c);
	if (p)
		proc_free(p);
	sysctl_share_page_tables = saved;
	KCHECK(vm_audit(NULL) == 0 && frame_free_count() == before,
	       "no violation and no frame leaked once they are gone (%lu -> %lu)", before,
	       frame_free_count());
}
