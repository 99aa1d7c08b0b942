/*
 * mm/fault.c - page-fault handling: what a fault means, decided in one place.
 *
 * page_fault() is called by trap() for every #PF.  For a user address it asks
 * vm_fault() to resolve the fault against the current address space:
 *
 *   region missing, or access not allowed by it     -> bad access
 *   not present, file page wholly past end of file  -> bus error (SIGBUS)
 *   not present, read,  anonymous                   -> map the zero frame   (zero_map)
 *   not present, write, anonymous                   -> new zeroed frame     (zero_fill)
 *   not present, file page                          -> map the page-cache frame (file_map);
 *                                                      a write then copies it (cow_fault)
 *   shared region (MAP_SHARED): the page-cache frame itself, never PTE_COW:
 *        not present, read   -> mapped read-only                            (shared_map)
 *        write               -> the file's own frame (pagecache_get_exclusive),
 *                               mapped writable (a stale clone frame is
 *                               dropped first, and the access retries)      (shared_write)
 *   present, write, PTE_COW                         -> cow_fault():
 *        merged frame (KSM)   -> counted (cow_ksm), then as below; its last
 *                                user first takes it out of the stable tree
 *        zero frame           -> new zeroed frame, no copy                  (zero_fill)
 *        last reference       -> keep it, with the region's protection      (cow_reuse)
 *        shared               -> copy into a new frame, drop one reference  (cow_copy)
 *   anything else                                   -> bad access
 *
 * FAULT_FORCE (a /proc/PID/mem access, mm/access.c; Linux's FOLL_FORCE)
 * changes two answers.  A private region may be read or written whatever
 * its protection: Linux's check_vma_flags lets a forced access into any
 * private (copy-on-write) mapping; a shared one only as its protection
 * allows a write (a forced write there would reach the file).  And a
 * forced write to a read-only page that is not ours alone (a page-cache,
 * zero, merged or forked frame) goes to cow_fault even without PTE_COW, as
 * Linux's can_follow_write_pte insists on an exclusive anonymous page.  The
 * copy is mapped with the region's protection, so the PTE stays read-only:
 * the writer (mm/access.c) writes through the direct map, the file's page,
 * the zero frame and the other process's page never change (the bug of
 * "Dirty COW", CVE-2016-5195, was a forced write reaching the page cache).
 *
 * Every frame that is shared (zero frame, page cache, fork, merging) is
 * mapped read-only with PTE_COW, so the only way to write to it is through
 * cow_fault; the one exception is a shared region, whose whole point is
 * that every mapping and read() see its stores: its entries map the
 * page-cache frame without PTE_COW, writable once written (shared_fault).
 *
 * Before anything installs or changes an entry, vm_fault makes a page
 * table that fork shared VM's own (pt_unshare, mm/ptshare.c: reused in
 * place or copied, table_reuse / table_copy); the decisions above then
 * run on a table of VM's own.
 *
 * A bad access from user mode ends the process with SIGSEGV (a bus error
 * with SIGBUS); from kernel mode (copy_to_user and friends) the exception
 * table turns it into -EFAULT; a kernel fault on a kernel address is a bug
 * and panics.  Running out of frames calls the OOM killer (mm/oom_kill.c),
 * which ends the process with the largest footprint; unless that is the
 * faulter, it yields and then retries the access (a user copy is retried
 * too, not failed).
 */
#include "mm/fault.h"
#include "kernel/cmdline.h"
#include "kernel/errno.h"
#include "kernel/fs/file.h"
#include "kernel/fs/inode.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "kernel/proc.h"
#include "kernel/sched.h"
#include "kernel/signal/signal.h"
#include "kernel/x86/trap.h"
#include "kernel/uaccess.h"
#include "kernel/x86/x86.h"
#include "mm/frame.h"
#include "mm/ksm.h"
#include "mm/oom_kill.h"
#include "mm/layout.h"
#include "mm/pagecache.h"
#include "mm/ptshare.h"
#include "mm/tlb.h"
#include "mm/vm.h"
#include "mm/vmspace.h"
#include "mm/vmstat.h"

uint64_t zero_frame;
static bool trace_faults;

void fault_init(void)
{
	size_t len;
	const char *trace = cmdline_value("trace", &len);

	zero_frame = frame_alloc_zeroed(FRAME_ZERO);
	if (!zero_frame)
		panic("fault_init: no memory for the zero frame");
	trace_faults = trace && len == 5 && !strncmp(trace, "fault", 5);
}

/*
 * trace=fault: one console line per decision, naming the frames involved:
 *   fault: pid 1 (cowdemo) 0x7000003000 zero_fill frame 0x176
 *   fault: pid 3 (cowdemo) 0x7000003000 cow_copy frame 0x171 -> 0x18c
 * The first form is a first touch (do_first_touch: the frame now mapped); the
 * second a write to a shared page (cow_fault: the frame before and after,
 * the same one for cow_reuse).  OLD is 0 for the first form.
 */
static void trace(uint64_t va, const char *what, uint64_t old, uint64_t pa)
{
	if (!trace_faults)
		return;
	struct proc *p = current();
	if (old)
		printk(LOG_INFO, "fault: pid %d (%s) 0x%lx %s frame 0x%lx -> 0x%lx\n", p ? p->pid : 0,
		       p ? p->name : "-", va, what, old >> PAGE_SHIFT, pa >> PAGE_SHIFT);
	else
		printk(LOG_INFO, "fault: pid %d (%s) 0x%lx %s frame 0x%lx\n", p ? p->pid : 0,
		       p ? p->name : "-", va, what, pa >> PAGE_SHIFT);
}

void fault_trace(uint64_t va, const char *what, uint64_t old, uint64_t pa)
{
	trace(va, what, old, pa);
}

static bool access_allowed(const struct region *r, int flags)
{
	if ((flags & FAULT_FORCE) && !(r->shared && (flags & FAULT_WRITE)))
		return true;
	if ((flags & FAULT_WRITE) && !(r->prot & PROT_WRITE))
		return false;
	if ((flags & FAULT_EXEC) && !(r->prot & PROT_EXEC))
		return false;
	return r->prot != 0;
}

/* Install PA at VA with the region's protection, less write access unless
 * WRITABLE, plus EXTRA bits (PTE_COW), unless the entry is no longer empty:
 * another CPU's fault got there first while this one allocated (-EEXIST;
 * the caller drops PA and the access retries). */
static int install(struct vmspace *vm, const struct region *r, uint64_t va, uint64_t pa,
		   uint64_t extra, bool writable)
{
	uint64_t prot = prot_to_pte(r->prot) | extra;

	if (!writable)
		prot &= ~PTE_W;
	spin_lock(&vm->page_table_lock);
	int err = map_page(vm->pml4, va, pa, prot);
	spin_unlock(&vm->page_table_lock);
	return err;
}

/* A private frame for VA with what the region shows there. */
static uint64_t fill_private(const struct region *r, uint64_t va)
{
	uint64_t pa = frame_alloc_zeroed(FRAME_USER);
	uint64_t off = va - r->start;

	if (pa && r->kind == REGION_FILE && off < r->file_bytes)
		pagecache_copy(&r->file->inode->mapping, r->file_off + off, phys_to_virt(pa),
			       MIN(PAGE_SIZE, r->file_bytes - off));
	return pa;
}

/* The size of file region R's file now: read without fs_tree (see
 * pagecache_copy); a write or truncate racing with the fault decides
 * either way, as on Linux. */
static uint64_t file_size(const struct region *r)
{
	return __atomic_load_n(&r->file->inode->size, __ATOMIC_RELAXED);
}

/* Is page VA of a file region wholly file data, at a page-aligned offset? */
static bool whole_file_page(const struct region *r, uint64_t va)
{
	uint64_t off = va - r->start;
	return r->kind == REGION_FILE && (r->file_off & (PAGE_SIZE - 1)) == 0 &&
	       off + PAGE_SIZE <= ALIGN_UP(r->file_bytes, PAGE_SIZE) &&
	       (off + PAGE_SIZE <= r->file_bytes || r->file_off + r->file_bytes >= file_size(r));
}

/* Does page VA of file region R lie wholly past the end of its file?  Its
 * access is a bus error (SIGBUS), as on Linux: the part of the last page
 * past the end reads as zero, the pages after it do not exist. */
static bool beyond_eof(const struct region *r, uint64_t va)
{
	return r->kind == REGION_FILE &&
	       r->file_off + (va - r->start) >= ALIGN_UP(file_size(r), PAGE_SIZE);
}

/* The page-cache index of page VA of file region R. */
static uint64_t file_index(const struct region *r, uint64_t va)
{
	return (r->file_off + va - r->start) / PAGE_SIZE;
}

/* Not present, in a shared region: the page-cache frame itself (the part
 * of the file's last page past its end reads as zero and is mapped too, as
 * on Linux).  A write maps it writable, taking the file's own frame first
 * (pagecache_get_exclusive); a read maps it read-only, so that the first
 * write still comes here through shared_write. */
static int shared_first_touch(struct vmspace *vm, const struct region *r, uint64_t va,
			      int flags)
{
	struct address_space *m = &r->file->inode->mapping;
	bool write = flags & FAULT_WRITE;
	uint64_t pa = write ? pagecache_get_exclusive(m, file_index(r, va)) :
			      pagecache_get(m, file_index(r, va));

	if (!pa)
		return -ENOMEM;
	int err = install(vm, r, va, pa, 0, write);
	if (err) {
		frame_put(pa);
		return err == -EEXIST ? 0 : err;
	}
	count_vm_event(FILE_MAP);
	trace(va, write ? "shared_write" : "shared_map", 0, pa);
	return 0;
}

/* Not present: the page's first mapping. */
static int do_first_touch(struct vmspace *vm, const struct region *r, uint64_t va, int flags)
{
	uint64_t pa = 0, extra = PTE_COW;
	const char *what;

	if (r->shared)
		return shared_first_touch(vm, r, va, flags);
	if (whole_file_page(r, va) &&
	    (pa = pagecache_get(&r->file->inode->mapping, file_index(r, va)))) {
		count_vm_event(FILE_MAP);
		what = "file_map";
	} else if (r->kind != REGION_FILE && !(flags & FAULT_WRITE) && sysctl_zero_page) {
		pa = zero_frame;
		frame_get(pa);
		count_vm_event(ZERO_MAP);
		what = "zero_map";
	} else if ((pa = fill_private(r, va))) {
		extra = 0;
		count_vm_event(r->kind == REGION_FILE ? FILE_MAP : ZERO_FILL);
		what = r->kind == REGION_FILE ? "file_private" : "zero_fill";
	} else {
		return -ENOMEM;
	}
	int err = install(vm, r, va, pa, extra, !extra);
	if (err) {
		frame_put(pa);
		return err == -EEXIST ? 0 : err;
	}
	trace(va, what, 0, pa);
	return 0;
}

/* The entry of VA as it is now, 0 when there is none, and in *PDE the PD
 * entry above it (0 when none), from one walk: read without
 * page_table_lock (Linux's ptep_get_lockless), since every decision made on
 * them is checked again under the lock (install, lock_pte_same,
 * pt_unshare).  The caller holds mmap_lock, so no table of VM's own goes
 * meanwhile; a shared one being copied away may (mm/ptshare.c, the
 * readers' window), which is one more reason to take what is read here as
 * a hint only. */
static pte_t read_entries(struct vmspace *vm, uint64_t va, pte_t *pde)
{
	pte_t *d = walk_level(vm->pml4, va, 2, false);

	*pde = d ? __atomic_load_n(d, __ATOMIC_RELAXED) : 0;
	if (!pte_present(*pde) || (*pde & PTE_PS))
		return 0;
	pte_t *table = phys_to_virt(pte_addr(*pde));
	return __atomic_load_n(&table[pt_index(va, 1)], __ATOMIC_RELAXED);
}

/* read_entries without the PD entry. */
static pte_t read_pte(struct vmspace *vm, uint64_t va)
{
	pte_t pde;

	return read_entries(vm, va, &pde);
}

/* Lock the page tables and return VA's entry if it still holds ORIG (Linux's
 * pte_same test after dropping the lock to allocate); NULL, unlocked, if
 * another CPU changed it meanwhile. */
static pte_t *lock_pte_same(struct vmspace *vm, uint64_t va, pte_t orig)
{
	spin_lock(&vm->page_table_lock);
	pte_t *e = walk(vm->pml4, va, false);
	if (e && *e == orig)
		return e;
	spin_unlock(&vm->page_table_lock);
	return NULL;
}

/* cow_fault's reuse: the frame is ours alone, so the entry takes the
 * region's protection in place.  Gaining a permission needs no shootdown: a
 * CPU that still caches the read-only entry faults, finds it writable, and
 * retries (a spurious fault). */
static int cow_reuse(struct vmspace *vm, const struct region *r, uint64_t va, pte_t *e)
{
	uint64_t old = pte_addr(*e);

	*e = pte_mkprot(*e, prot_to_pte(r->prot));
	spin_unlock(&vm->page_table_lock);
	local_flush_tlb_page(va);
	count_vm_event(COW_REUSE);
	trace(va, "cow_reuse", old, old);
	return 0;
}

/* cow_fault's copy into the new frame PA.  The old entry is cleared and
 * flushed from every CPU before the new one is set, so no two threads ever
 * see two frames at VA at once (Linux: ptep_clear_flush in wp_page_copy).
 * The clear is an atomic exchange: a CPU that uses the entry meanwhile sets
 * its accessed flag, and a CPU caches a translation only with that flag set
 * (Intel SDM vol. 3A, 4.10.2.3), so an entry cleared without it (fork
 * clears it: share_page) is in no TLB and needs no shootdown. */
static void cow_replace(struct vmspace *vm, const struct region *r, uint64_t va, pte_t *e,
			uint64_t pa)
{
	pte_t old = __atomic_exchange_n(e, 0, __ATOMIC_SEQ_CST);

	if (old & PTE_A)
		flush_tlb_range(vm, va, va + PAGE_SIZE);
	*e = pte_mkprot(pa, prot_to_pte(r->prot));
	spin_unlock(&vm->page_table_lock);
}

/*
 * cow_fault: a write to the present, read-only entry ORIG of VA that others
 * may share (PTE_COW, or any such page for a forced write).  Resolve it by a
 * fresh zeroed frame (zero frame), by reusing the frame in place (last
 * reference), or by copying it; the entry then has the region's protection.
 * Runs with VM's mmap_lock held (for reading at least); the copy is made
 * with page_table_lock dropped and a reference of its own on the old frame,
 * and is installed only if the entry still holds ORIG: when two threads of a
 * process write the page at once, one copy is installed and the other
 * freed, and the loser's access retries into the winner's frame.
 */
int cow_fault(struct vmspace *vm, const struct region *r, uint64_t va, pte_t orig)
{
	uint64_t old = pte_addr(orig), pa;
	struct frame *f = pa_to_frame(old);

	count_vm_event(COW_FAULT);
	pte_t *e = lock_pte_same(vm, va, orig);
	if (!e)
		return 0;
	/* A merged page (mm/ksm.c): a write breaks the sharing.  The last user
	 * takes the frame back out of the stable tree first; it is then a
	 * private frame and is reused in place below. */
	if (f->flags & FRAME_KSM) {
		count_vm_event(COW_KSM);
		ksm_try_release(old);
	}
	if (!(f->flags & (FRAME_ZERO | FRAME_FILE | FRAME_KSM)) && frame_refcount(old) == 1)
		return cow_reuse(vm, r, va, e);
	frame_get(old);		/* keeps it alive while we copy unlocked */
	spin_unlock(&vm->page_table_lock);
	bool from_zero = f->flags & FRAME_ZERO;
	pa = frame_alloc(FRAME_USER);
	if (pa && from_zero)
		memset(phys_to_virt(pa), 0, PAGE_SIZE);
	else if (pa)
		memcpy(phys_to_virt(pa), phys_to_virt(old), PAGE_SIZE);
	if (pa && (e = lock_pte_same(vm, va, orig))) {
		cow_replace(vm, r, va, e, pa);
		frame_put(old);		/* the entry's reference */
		count_vm_event(from_zero ? ZERO_FILL : COW_COPY);
		trace(va, from_zero ? "cow_zero_fill" : "cow_copy", old, pa);
	} else if (pa) {
		frame_put(pa);		/* another CPU resolved it first */
	}
	frame_put(old);
	return pa ? 0 : -ENOMEM;
}

/*
 * shared_write: a write to the present, read-only entry ORIG of VA in a
 * writable shared region.  The entry becomes writable if it maps the
 * file's own frame for the page (pagecache_get_exclusive), as it does
 * unless a file clone shared the frame and the file now has a copy of its
 * own: then the stale entry is dropped and the retried access maps the
 * copy.  Never a private copy: every mapping of the file and read() must
 * see the store.  Gaining write access needs no shootdown (see cow_reuse).
 */
static int shared_write(struct vmspace *vm, const struct region *r, uint64_t va, pte_t orig)
{
	uint64_t old = pte_addr(orig);
	uint64_t pa = pagecache_get_exclusive(&r->file->inode->mapping, file_index(r, va));
	pte_t *e;

	if (!pa)
		return -ENOMEM;
	/* lock_pte_same's test, written out here: cow_fault keeps that
	 * helper to itself, inlined, as docs/walkthrough.md steps through it */
	spin_lock(&vm->page_table_lock);
	if (!(e = walk(vm->pml4, va, false)) || *e != orig) {
		spin_unlock(&vm->page_table_lock);
		frame_put(pa);		/* another CPU changed the entry: retry */
		return 0;
	}
	if (pa == old) {
		*e = pte_mkprot(*e, prot_to_pte(r->prot));
		spin_unlock(&vm->page_table_lock);
		local_flush_tlb_page(va);
		trace(va, "shared_write", old, pa);
	} else {
		/* the stale entry goes, flushed as cow_replace flushes; the
		 * access retries and shared_first_touch maps the file's frame */
		if (__atomic_exchange_n(e, 0, __ATOMIC_SEQ_CST) & PTE_A)
			flush_tlb_range(vm, va, va + PAGE_SIZE);
		spin_unlock(&vm->page_table_lock);
		frame_put(old);		/* the entry's reference */
	}
	frame_put(pa);
	return 0;
}

/* A fault on the entry E of VA in shared region R, present unless another
 * CPU's unmap got there first (the access then retries). */
static int shared_fault(struct vmspace *vm, const struct region *r, uint64_t va, pte_t e,
			int flags)
{
	if (!pte_present(e))
		return 0;
	if ((flags & FAULT_WRITE) && !(e & PTE_W))
		return shared_write(vm, r, va, e);
	return (e & PTE_U) || (flags & FAULT_FORCE) ? 0 : -EFAULT;
}

/* Is the frame of present entry E mapped by this entry alone and private
 * (Linux's PageAnonExclusive)?  Only such a page may take a forced write
 * in place. */
static bool page_exclusive(pte_t e)
{
	uint64_t pa = pte_addr(e);

	/* E is read without page_table_lock and may come from a page table
	 * freed meanwhile (mm/ptshare.c, "the readers' window"): an address
	 * past RAM names no frame */
	return (pa >> PAGE_SHIFT) < nframes && (pa_to_frame(pa)->flags & FRAME_USER) &&
	       frame_refcount(pa) == 1;
}

/* Does a write with FLAGS to the present entry E need cow_fault? */
bool pte_needs_cow(pte_t e, int flags)
{
	if (!(flags & FAULT_WRITE))
		return false;
	if (e & PTE_COW)
		return true;
	return (flags & FAULT_FORCE) && !(e & PTE_W) && !page_exclusive(e);
}

int vm_fault(struct vmspace *vm, uint64_t addr, int flags)
{
	uint64_t va = ALIGN_DOWN(addr, PAGE_SIZE);
	struct region *r = region_find(vm, addr);

	if (!r || !access_allowed(r, flags))
		return -EFAULT;
	pte_t pde, e = read_entries(vm, va, &pde);
	if (!pte_present(e) && beyond_eof(r, va))
		return -EIO;
	/* Under a shared page table (mm/ptshare.c) an entry is installed or
	 * changed only in a table of VM's own; a read of a present page
	 * changes nothing and copies nothing.  The PD entry read above says
	 * whether the table is shared: no second walk when it is not. */
	if ((pde & PDE_TABLE_COW) && (!pte_present(e) || (flags & FAULT_WRITE))) {
		int own = pt_unshare(vm, va);
		if (own < 0)
			return own;
		if (own)
			e = read_pte(vm, va);
	}
	if (!pte_present(e)) {
		int err = do_first_touch(vm, r, va, flags);
		/* done, unless a write found a file page: do_first_touch
		 * gave anonymous memory a zeroed frame of its own */
		if (err || !(flags & FAULT_WRITE) || r->kind != REGION_FILE)
			return err;
		e = read_pte(vm, va);
	}
	if (r->shared)
		return shared_fault(vm, r, va, e, flags);
	if (pte_needs_cow(e, flags))
		return cow_fault(vm, r, va, e);
	if (flags & FAULT_FORCE)
		return 0;
	if ((flags & FAULT_WRITE) && !(e & PTE_W))
		return -EFAULT;
	return (e & PTE_U) ? 0 : -EFAULT;
}

/* A bad access from user mode: SIGSEGV with si_addr ADDR, SEGV_ACCERR when
 * a region is there but forbids the access, SEGV_MAPERR when none is; or
 * SIGBUS BUS_ADRERR past the end of a mapped file (ERR -EIO from vm_fault),
 * as Linux's bad_area and do_sigbus; logged when no handler takes it. */
static void segfault(int err, uint64_t addr, uint64_t ip)
{
	struct proc *p = current();
	bool bus = err == -EIO, mapped = false;

	if (signal_unhandled(bus ? SIGBUS : SIGSEGV))
		printk(LOG_ERROR, "pid %d (%s): %s at %lx ip %lx\n", p->pid, p->name,
		       bus ? "bus error" : "segfault", addr, ip);
	if (is_user_addr(addr)) {
		down_read(&p->vm->mmap_lock);
		mapped = region_find(p->vm, addr) != NULL;
		up_read(&p->vm->mmap_lock);
	}
	if (bus)
		force_sig_fault(SIGBUS, BUS_ADRERR, addr);
	else
		force_sig_fault(SIGSEGV, mapped ? SEGV_ACCERR : SEGV_MAPERR, addr);
}

void page_fault(struct trapframe *tf)
{
	uint64_t addr = read_cr2();
	struct proc *p = current();
	int flags = (tf->error & PF_WRITE ? FAULT_WRITE : 0) |
		    (tf->error & PF_INSTR ? FAULT_EXEC : 0);
	int err = -EFAULT;

	count_vm_event(PGFAULT);
	/* A user copy made while this CPU holds a spin lock must not sleep on
	 * mmap_lock: it fails at once with -EFAULT and the caller retries
	 * unlocked (Linux's pagefault_disable; kernel/futex.c relies on it). */
	if (is_user_addr(addr) && p && p->vm && !in_atomic()) {
		down_read(&p->vm->mmap_lock);
		err = vm_fault(p->vm, addr, flags);
		up_read(&p->vm->mmap_lock);
		/* a write that copied a clone's shared page (pagecache_get_exclusive):
		 * the file's other mappings drop the old frame before the store */
		pagecache_unmap_stale();
		if (!err)
			return;
	}
	if (err == -ENOMEM && oom_wait())
		return;		/* the same instruction faults again, or succeeds */
	if (trap_from_user(tf)) {
		if (err != -ENOMEM)
			segfault(err, addr, tf->rip);
		return;		/* a victim: its SIGKILL is delivered on the way out */
	}
	uint64_t fixup = extable_fixup(tf->rip);
	if (fixup && is_user_addr(addr)) {
		tf->rip = fixup;
		return;
	}
	panic_trap(tf, "page fault in kernel mode");
}
