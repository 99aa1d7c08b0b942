/*
 * mm/commit.c - overcommit accounting: how much memory the kernel has
 * promised, and whether it may promise more (Linux: mm/util.c
 * __vm_enough_memory, Documentation/mm/overcommit-accounting.rst).
 *
 * Copy-on-write makes every promise cheap to give and expensive to keep.
 * mmap of 1 GiB of private memory takes no frame; fork of a process with
 * 1 GiB written takes no frame either, yet each of those pages may be
 * written later, and each write then needs a frame of its own.  Page faults
 * cannot fail politely: a fault that finds no frame ends a process (the OOM
 * killer).  So the kernel counts what it has promised, Committed_AS: the
 * pages of every region that may become private writable memory (struct
 * region.account, Linux's VM_ACCOUNT), charged when the region appears (mmap,
 * brk, exec's data and stack, mprotect making it writable, and fork, which
 * charges the child for all of the parent's accountable memory) and
 * uncharged when it goes (munmap, exit, exec).  A promise is refused with
 * ENOMEM as /proc/sys/vm/overcommit_memory says:
 *
 *   0 (heuristic)  refuse only a single request larger than all of RAM;
 *                  MAP_NORESERVE mappings are not charged at all.
 *   1 (always)     never refuse.
 *   2 (strict)     refuse when Committed_AS would pass CommitLimit =
 *                  MemTotal * overcommit_ratio / 100 (no swap here), less a
 *                  small reserve per process; MAP_NORESERVE is charged too.
 *
 * Read-only and PROT_NONE private mappings are not charged until mprotect
 * makes them writable (their pages are the file's or the zero frame).
 */
#include "mm/commit.h"
#include "kernel/errno.h"
#include "mm/frame_info.h"
#include "mm/layout.h"
#include "mm/vmspace.h"

int sysctl_overcommit_memory = OVERCOMMIT_GUESS;
int sysctl_overcommit_ratio = 50;

static int64_t committed_pages;		/* Committed_AS, atomic */

/* Linux's sysctl_user_reserve_kbytes default: 128 MiB or 3% of RAM, less. */
static uint64_t user_reserve_pages(void)
{
	return MIN(totalram_pages() * 3 / 100, (128UL << 20) / PAGE_SIZE);
}

uint64_t vm_commit_limit(void)
{
	return totalram_pages() * (uint64_t)sysctl_overcommit_ratio / 100;
}

uint64_t vm_committed_pages(void)
{
	int64_t n = __atomic_load_n(&committed_pages, __ATOMIC_RELAXED);

	return n > 0 ? (uint64_t)n : 0;
}

void vm_unacct_memory(uint64_t pages)
{
	__atomic_sub_fetch(&committed_pages, (int64_t)pages, __ATOMIC_RELAXED);
}

int vm_enough_memory(struct vmspace *vm, uint64_t pages)
{
	if (pages > (uint64_t)INT64_MAX / 2)
		return -ENOMEM;
	int64_t now = __atomic_add_fetch(&committed_pages, (int64_t)pages, __ATOMIC_RELAXED);

	if (sysctl_overcommit_memory == OVERCOMMIT_ALWAYS)
		return 0;
	if (sysctl_overcommit_memory == OVERCOMMIT_GUESS) {
		if (pages <= totalram_pages())
			return 0;
	} else {
		/* root: no admin reserve; keep a user reserve so a runaway
		 * process leaves room to kill it (Linux: min(total_vm/32, ...)) */
		int64_t allowed = (int64_t)vm_commit_limit() -
				  (int64_t)MIN(vm ? vm->total_pages / 32 : 0, user_reserve_pages());
		if (now < allowed)
			return 0;
	}
	vm_unacct_memory(pages);
	return -ENOMEM;
}

bool vm_accountable(int prot, bool noreserve)
{
	if (noreserve && sysctl_overcommit_memory != OVERCOMMIT_NEVER)
		return false;
	return (prot & PROT_WRITE) != 0;
}
