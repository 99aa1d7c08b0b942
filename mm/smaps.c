/*
 * mm/smaps.c - the cost of a range of an address space, page by page, for
 * /proc/PID/smaps and smaps_rollup (kernel/fs/procfs.c prints it).
 *
 * Algorithm (Linux's smaps_pte_entry and smaps_account, fs/proc/task_mmu.c):
 * walk the present entries of the range, each table under the space's
 * page_table_lock (walk_range_locked: a table fork shared cannot be copied
 * away and freed under the walk, mm/ptshare.c); skip the zero frame,
 * which is not a "normal page" and costs nothing (vm_normal_page); count the
 * page in Rss; then share it out: a frame mapped N times (frame_mapcount,
 * mm/frame_info.c) adds PAGE_SIZE / N to Pss, kept with PSS_SHIFT bits of
 * fraction so that sums over many pages stay exact, and counts as Shared
 * when N >= 2, Private otherwise.  Clean or Dirty is the entry's dirty bit
 * (set by the CPU on a user write, by access_remote_vm on a kernel one; fork
 * copies it, so a page written before fork is Shared_Dirty in both); a
 * merged page is always dirty, as on Linux.
 */
#include "mm/smaps.h"
#include "mm/fault.h"
#include "mm/frame.h"
#include "mm/frame_info.h"
#include "mm/layout.h"
#include "mm/vm.h"
#include "mm/vmspace.h"

static void smaps_account(struct mem_size_stats *mss, uint64_t pfn, const pte_t *pte)
{
	pte_t e = *pte;
	uint16_t flags = frames[pfn].flags;
	uint64_t mapcount = pte_mapcount(pte);
	uint64_t pss = (PAGE_SIZE << PSS_SHIFT) / (mapcount >= 2 ? mapcount : 1);
	bool anon = flags & (FRAME_USER | FRAME_KSM);
	/* merging moved the dirty bits of the entries it replaced to the page
	 * (Linux's write_protect_page: set_page_dirty), so a merged page is dirty */
	bool dirty = (e & PTE_D) || (flags & FRAME_KSM);

	mss->resident += PAGE_SIZE;
	mss->anonymous += anon ? PAGE_SIZE : 0;
	mss->ksm += flags & FRAME_KSM ? PAGE_SIZE : 0;
	mss->referenced += e & PTE_A ? PAGE_SIZE : 0;
	mss->pss += pss;
	mss->pss_dirty += dirty ? pss : 0;
	*(anon ? &mss->pss_anon : &mss->pss_file) += pss;
	if (mapcount >= 2)
		*(dirty ? &mss->shared_dirty : &mss->shared_clean) += PAGE_SIZE;
	else
		*(dirty ? &mss->private_dirty : &mss->private_clean) += PAGE_SIZE;
}

static int smaps_pte_entry(pte_t *pte, uint64_t va, void *arg)
{
	uint64_t pa = pte_addr(*pte), pfn = pa >> PAGE_SHIFT;

	(void)va;
	if (pa == zero_frame || pfn >= nframes)
		return 0;
	smaps_account(arg, pfn, pte);
	return 0;
}

void smap_gather_stats(struct vmspace *vm, uint64_t start, uint64_t end,
		       struct mem_size_stats *mss)
{
	walk_range_locked(vm, start, end, smaps_pte_entry, mss);
}

void get_mm_rss(struct vmspace *vm, struct mm_rss *rss)
{
	struct mem_size_stats mss = { 0 };

	smap_gather_stats(vm, 0, USER_TOP, &mss);
	rss->anon = mss.anonymous / PAGE_SIZE;
	rss->file = (mss.resident - mss.anonymous) / PAGE_SIZE;
}

uint64_t mm_pgtables(struct vmspace *vm)
{
	return pagetable_count_user(vm->pml4) + 1;
}
