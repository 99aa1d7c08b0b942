/*
 * mm/vmspace.c - address spaces: regions, and what happens to their pages
 * when regions are removed, re-protected or copied by fork.
 *
 * Operations on a range first split the regions at the range's edges
 * (split_at), so that every region is then either wholly inside or wholly
 * outside the range.  Page-level work goes through mm/vm.c's walkers.
 */
#include "mm/vmspace.h"
#include "kernel/errno.h"
#include "kernel/panic.h"
#include "mm/fault.h"
#include "mm/frame.h"
#include "mm/heap.h"
#include "mm/ksm.h"
#include "mm/layout.h"
#include "mm/vm.h"
#include "mm/vmstat.h"

struct vmspace *vmspace_new(void)
{
	struct vmspace *vm = kzalloc(sizeof(*vm));

	if (!vm)
		return NULL;
	vm->pml4 = pagetable_new();
	if (!vm->pml4) {
		kfree(vm);
		return NULL;
	}
	vm->users = 1;
	return vm;
}

static void free_regions(struct region *r)
{
	while (r) {
		struct region *next = r->next;
		kfree(r);
		r = next;
	}
}

void vmspace_get(struct vmspace *vm)
{
	__atomic_add_fetch(&vm->users, 1, __ATOMIC_ACQ_REL);
}

void vmspace_put(struct vmspace *vm)
{
	if (__atomic_sub_fetch(&vm->users, 1, __ATOMIC_ACQ_REL))
		return;
	pagetable_destroy(vm->pml4);
	free_regions(vm->regions);
	kfree(vm);
}

struct region *region_first(struct vmspace *vm)
{
	return vm->regions;
}

struct region *region_next(const struct region *r)
{
	return r->next;
}

struct region *region_find(struct vmspace *vm, uint64_t addr)
{
	for (struct region *r = vm->regions; r && r->start <= addr; r = r->next)
		if (addr < r->end)
			return r;
	return NULL;
}

bool vm_range_free(struct vmspace *vm, uint64_t start, uint64_t end)
{
	for (struct region *r = vm->regions; r; r = r->next)
		if (r->start < end && start < r->end)
			return false;
	return true;
}

int region_add(struct vmspace *vm, const struct region *tmpl)
{
	struct region **link = &vm->regions;
	struct region *r = kmalloc(sizeof(*r));

	if (!r)
		return -ENOMEM;
	*r = *tmpl;
	while (*link && (*link)->start < r->start)
		link = &(*link)->next;
	r->next = *link;
	*link = r;
	return 0;
}

/* Split the region containing ADDR (if ADDR is strictly inside) in two. */
static int split_at(struct vmspace *vm, uint64_t addr)
{
	struct region *r = region_find(vm, addr);

	if (!r || r->start == addr)
		return 0;
	struct region *tail = kmalloc(sizeof(*tail));
	if (!tail)
		return -ENOMEM;
	uint64_t head_len = addr - r->start;
	*tail = *r;
	tail->start = addr;
	tail->file_off = r->file_off + head_len;
	tail->file_bytes = r->file_bytes > head_len ? r->file_bytes - head_len : 0;
	r->end = addr;
	r->file_bytes = MIN(r->file_bytes, head_len);
	r->next = tail;
	return 0;
}

static int drop_page(pte_t *pte, uint64_t va, void *arg)
{
	(void)arg;
	uint64_t pa = pte_addr(*pte);
	*pte = 0;
	tlb_flush_page(va);
	frame_put(pa);
	return 0;
}

int vm_unmap(struct vmspace *vm, uint64_t start, uint64_t end)
{
	if (split_at(vm, start) || split_at(vm, end))
		return -ENOMEM;
	for (struct region **link = &vm->regions; *link;) {
		struct region *r = *link;
		if (r->start >= start && r->end <= end) {
			*link = r->next;
			kfree(r);
		} else {
			link = &r->next;
		}
	}
	walk_range(vm->pml4, start, end, drop_page, NULL);
	return 0;
}

uint64_t prot_to_pte(int prot)
{
	/* x86 cannot deny the kernel a present page: PROT_NONE pages are not present */
	if (!prot)
		return PTE_PROTNONE | PTE_NX;
	uint64_t bits = PTE_U;
	if (prot & PROT_WRITE)
		bits |= PTE_W;
	if (!(prot & PROT_EXEC))
		bits |= PTE_NX;
	return bits;
}

/* Re-protect one present page.  A PTE_COW page maps a frame that is (or was
 * at fork) shared and must stay read-only whatever the region allows: its
 * first write goes through cow_fault. */
static int reprotect_page(pte_t *pte, uint64_t va, void *arg)
{
	uint64_t bits = prot_to_pte(*(int *)arg);

	if (*pte & PTE_COW)
		bits = (bits & ~PTE_W) | PTE_COW;
	*pte = pte_mkprot(*pte, bits);
	tlb_flush_page(va);
	return 0;
}

/* True when regions cover every page of [start, end). */
static bool range_covered(struct vmspace *vm, uint64_t start, uint64_t end)
{
	for (uint64_t a = start; a < end;) {
		struct region *r = region_find(vm, a);
		if (!r)
			return false;
		a = r->end;
	}
	return true;
}

int vm_protect(struct vmspace *vm, uint64_t start, uint64_t end, int prot)
{
	if (!range_covered(vm, start, end))
		return -ENOMEM;
	if (split_at(vm, start) || split_at(vm, end))
		return -ENOMEM;
	for (struct region *r = vm->regions; r; r = r->next)
		if (r->start >= start && r->end <= end)
			r->prot = prot;
	walk_range(vm->pml4, start, end, reprotect_page, &prot);
	return 0;
}

int vm_discard(struct vmspace *vm, uint64_t start, uint64_t end)
{
	if (!range_covered(vm, start, end))
		return -ENOMEM;
	walk_range(vm->pml4, start, end, drop_page, NULL);
	return 0;
}

int vm_set_mergeable(struct vmspace *vm, uint64_t start, uint64_t end, bool on)
{
	if (!range_covered(vm, start, end))
		return -ENOMEM;
	if (split_at(vm, start) || split_at(vm, end))
		return -ENOMEM;
	for (struct region *r = vm->regions; r; r = r->next)
		if (r->start >= start && r->end <= end && r->kind != REGION_FILE)
			r->mergeable = on;
	/* mm/ksm.c: MADV_MERGEABLE wakes the scanner; MADV_UNMERGEABLE gives
	 * the merged pages of the range private frames again */
	if (on)
		ksm_enter();
	return on ? 0 : ksm_unmerge_range(vm, start, end);
}

uint64_t vm_find_free(struct vmspace *vm, uint64_t len)
{
	uint64_t best = 0, prev_end = USER_MIN_ADDR;

	/* the highest gap below USER_MMAP_TOP that fits */
	for (struct region *r = vm->regions;; r = r->next) {
		uint64_t gap_end = MIN(r ? r->start : USER_MMAP_TOP, USER_MMAP_TOP);
		if (gap_end > prev_end && gap_end - prev_end >= len)
			best = gap_end - len;
		if (!r)
			break;
		prev_end = MAX(prev_end, r->end);
	}
	return best;
}

int vm_write(struct vmspace *vm, uint64_t uva, const void *src, size_t n)
{
	const char *s = src;

	while (n) {
		uint64_t pa;
		size_t chunk = MIN(n, PAGE_SIZE - (uva & (PAGE_SIZE - 1)));
		pte_t *e = walk(vm->pml4, uva, false);
		if (!e || !pte_present(*e) || !(*e & PTE_W)) {
			int err = vm_fault(vm, uva, FAULT_WRITE);
			if (err)
				return err;
		}
		if (!translate(vm->pml4, uva, &pa))
			return -EFAULT;
		memcpy(phys_to_virt(pa), s, chunk);
		s += chunk, uva += chunk, n -= chunk;
	}
	return 0;
}

static struct region *copy_regions(const struct region *r)
{
	struct region *head = NULL, **tail = &head;

	for (; r; r = r->next) {
		struct region *c = kmalloc(sizeof(*c));
		if (!c) {
			free_regions(head);
			return NULL;
		}
		*c = *r;
		c->next = NULL;
		*tail = c;
		tail = &c->next;
	}
	return head;
}

/* The child's page tables as fork fills them, page table by page table: the
 * walk from the PML4 is needed once per 2 MiB, not once per page. */
struct fork_target {
	struct vmspace *child;
	uint64_t table_va;	/* the 2 MiB range TABLE maps */
	pte_t *table;
};

/* The child's (empty) entry for VA, or NULL when a table cannot be allocated. */
static pte_t *child_pte(struct fork_target *t, uint64_t va)
{
	if (!t->table || ALIGN_DOWN(va, HUGE_2M) != t->table_va) {
		pte_t *e = walk(t->child->pml4, va, true);
		if (!e)
			return NULL;
		t->table = e - pt_index(va, 1);
		t->table_va = ALIGN_DOWN(va, HUGE_2M);
	}
	return &t->table[pt_index(va, 1)];
}

/*
 * fork with cow_fork=1: the child maps the parent's frames.  Every page
 * becomes read-only + PTE_COW in both, whatever its protection today:
 * mprotect may make a read-only or PROT_NONE page writable tomorrow, and its
 * first write must then copy, not write into a frame the other process sees
 * (Linux: a private mapping that may ever be written is a COW mapping).  Each
 * frame gains a reference; the first write on either side goes through
 * cow_fault, which reuses the frame in place when it is the last reference.
 */
static int share_page(pte_t *pte, uint64_t va, void *arg)
{
	pte_t *e = child_pte(arg, va);

	if (!e)
		return -ENOMEM;
	*pte = (*pte & ~PTE_W) | PTE_COW;
	*e = *pte;
	frame_get(pte_addr(*pte));
	return 0;
}

/* fork with cow_fork=0 (the eager copy): every present page gets a new frame. */
static int copy_page(pte_t *pte, uint64_t va, void *arg)
{
	pte_t *e = child_pte(arg, va);
	uint64_t pa = e ? frame_alloc(FRAME_USER) : 0;

	if (!pa)
		return -ENOMEM;
	memcpy(phys_to_virt(pa), phys_to_virt(pte_addr(*pte)), PAGE_SIZE);
	*e = pa | (*pte & ~PTE_ADDR_MASK);
	count_vm_event(FORK_COPY);
	return 0;
}

/*
 * vmspace_fork (xv6's uvmcopy): the child's address space for fork, shared
 * copy-on-write or copied eagerly as /proc/sys/vm/cow_fork says.  On failure
 * the partial child is destroyed, which drops every reference it took.
 */
struct vmspace *vmspace_fork(struct vmspace *parent)
{
	struct vmspace *child = vmspace_new();

	if (!child)
		return NULL;
	child->regions = copy_regions(parent->regions);
	child->heap_start = parent->heap_start;
	child->brk = parent->brk;
	struct fork_target target = { .child = child };
	int err = parent->regions && !child->regions ? -ENOMEM :
		  walk_range(parent->pml4, 0, USER_TOP, sysctl_cow_fork ? share_page : copy_page,
			     &target);
	if (sysctl_cow_fork)
		tlb_flush_all();	/* the parent's entries were downgraded */
	if (err) {
		vmspace_put(child);
		return NULL;
	}
	return child;
}
