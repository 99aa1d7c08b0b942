/*
 * mm/access.c - the one path by which the kernel reads or writes an address
 * space that is not (necessarily) the current one: /proc/PID/mem
 * (kernel/fs/procfs.c) and exec building the new program's stack.
 *
 * Algorithm (Linux's __access_remote_vm with get_user_pages): a page at a
 * time, ask the fault handler (vm_fault, mm/fault.c) to make the page
 * present for this access, then find its frame with walk() and copy
 * through the direct map, holding VM's mmap_lock for reading throughout and
 * its page_table_lock from the last check of the entry to the end of the
 * copy.  The page tables of VM are never loaded, so the
 * CPU's protection checks do not apply: vm_fault's answer is the whole
 * permission check.  For a write the answer guarantees the frame is VM's
 * own (copy-on-write already broken), so a forced write into a read-only
 * page changes VM's private copy only.  Like follow_page_pte with
 * FOLL_TOUCH, the entry is then marked accessed, and dirty after a write,
 * so that /proc/PID/smaps sees what was done.
 */
#include "mm/access.h"
#include "kernel/errno.h"
#include "mm/fault.h"
#include "mm/layout.h"
#include "mm/vm.h"
#include "mm/vmspace.h"

/* Make the page of ADDR ready for the access: its entry in *PTE with VM's
 * page_table_lock held, so that nothing (another thread's fault, a merge)
 * changes the entry before the caller has copied and unlocked; or -EFAULT /
 * -ENOMEM (vm_fault's answer), unlocked.  The entry is re-checked under the
 * lock, and the fault retried if another CPU changed it in between. */
static int get_user_page(struct vmspace *vm, uint64_t addr, int gup_flags, pte_t **pte)
{
	int flags = (gup_flags & FOLL_WRITE ? FAULT_WRITE : 0) |
		    (gup_flags & FOLL_FORCE ? FAULT_FORCE : 0);

	for (;;) {
		int err = is_user_addr(addr) ? vm_fault(vm, addr, flags) : -EFAULT;
		if (err)
			return err == -ENOMEM ? err : -EFAULT;
		spin_lock(&vm->page_table_lock);
		pte_t *e = walk(vm->pml4, addr, false);
		if (e && pte_present(*e) && !pte_needs_cow(*e, flags)) {
			/* atomic: a read may find the entry in a page table
			 * fork shared, which another sharer's pt_unshare
			 * write-protects meanwhile (mm/ptshare.c) */
			__atomic_fetch_or(e, PTE_A | (gup_flags & FOLL_WRITE ? PTE_D : 0),
					  __ATOMIC_RELAXED);
			*pte = e;
			return 0;
		}
		spin_unlock(&vm->page_table_lock);
	}
}

size_t access_remote_vm(struct vmspace *vm, uint64_t addr, void *buf, size_t len, int gup_flags,
			int *err)
{
	char *b = buf;
	size_t done = 0;

	down_read(&vm->mmap_lock);
	while (done < len) {
		pte_t *e;
		int why = get_user_page(vm, addr, gup_flags, &e);
		if (why) {
			if (err)
				*err = why;
			break;
		}
		size_t off = addr & (PAGE_SIZE - 1), chunk = MIN(len - done, PAGE_SIZE - off);
		char *page = (char *)phys_to_virt(pte_addr(*e)) + off;
		if (gup_flags & FOLL_WRITE)
			memcpy(page, b + done, chunk);
		else
			memcpy(b + done, page, chunk);
		spin_unlock(&vm->page_table_lock);
		done += chunk, addr += chunk;
	}
	up_read(&vm->mmap_lock);
	return done;
}
