/*
 * mm/oom_kill_test.c - self-tests for the OOM killer's arithmetic: what
 * oom_badness counts (private frames and page tables, not the zero frame),
 * how oom_score_adj moves it, who is unkillable, and /proc's oom_score.
 */
#include "kernel/ktest.h"
#include "kernel/proc.h"
#include "mm/fault.h"
#include "mm/layout.h"
#include "mm/frame.h"
#include "mm/oom_kill.h"
#include "mm/vm.h"
#include "mm/vmspace.h"

#define TEST_VA 0x0000000040000000UL
#define TOTAL 64000		/* pretend RAM, in pages: 64 pages per 1/1000 */

static struct proc fake;	/* not in proc_table: nobody schedules it */

/* Map N new frames, then M mappings of the zero frame, from TEST_VA. */
static bool map_some(struct vmspace *vm, int n, int m)
{
	for (int i = 0; i < n + m; i++) {
		uint64_t pa = i < n ? frame_alloc_zeroed(FRAME_USER) : zero_frame;
		if (i >= n)
			frame_get(pa);
		if (!pa || map_page(vm->pml4, TEST_VA + (uint64_t)i * PAGE_SIZE, pa, PTE_U)) {
			if (pa)
				frame_put(pa);
			return false;
		}
	}
	return true;
}

/* Linux's /proc/PID/oom_score for BADNESS (fs/proc/base.c proc_oom_score). */
static uint64_t score_of(int64_t badness)
{
	int64_t total = (int64_t)frame_total_count();

	return (uint64_t)((1000 + badness * 1000 / total) * 2 / 3);
}

KTEST(oom_badness)
{
	uint64_t before = frame_free_count();
	struct vmspace *vm = vmspace_new();

	fake = (struct proc){ .pid = 4242, .state = P_SLEEPING, .vm = vm };
	KCHECK(vm && map_some(vm, 3, 2), "an address space with 3 frames and 2 zero-frame pages");
	int64_t tables = (int64_t)pagetable_count_user(vm->pml4) + 1;
	KCHECK(oom_badness(&fake, TOTAL) == 3 + tables,
	       "badness: 3 resident pages + %ld page-table pages, the zero frame not counted (%ld)",
	       tables, oom_badness(&fake, TOTAL));
	fake.oom_score_adj = 500;
	KCHECK(oom_badness(&fake, TOTAL) == 3 + tables + 500 * 64,
	       "oom_score_adj 500 adds 500 * (total / 1000) pages");
	fake.oom_score_adj = -999;
	int64_t total = (int64_t)frame_total_count();
	int64_t low = oom_badness(&fake, (uint64_t)total);
	/* near 0, not 0: badness scales oom_score_adj by total / 1000, rounded
	 * down, so up to 999 pages of RAM (15 points at 64000) are not offset */
	KCHECK(low == 3 + tables - 999 * (total / 1000) && oom_score(&fake) == score_of(low) &&
	       oom_score(&fake) < 20,
	       "oom_score_adj -999: negative badness, oom_score near 0 (%lu)", oom_score(&fake));
	fake.oom_score_adj = OOM_SCORE_ADJ_MIN;
	KCHECK(oom_badness(&fake, TOTAL) == OOM_SCORE_UNKILLABLE, "oom_score_adj -1000: unkillable");
	fake.oom_score_adj = 0;
	KCHECK(oom_score(&fake) == score_of(3 + tables),
	       "oom_score is (1000 + badness * 1000 / total) * 2 / 3 (%lu)", oom_score(&fake));
	fake.pid = 1;
	KCHECK(oom_score(&fake) == 0 && oom_badness(&fake, TOTAL) == 3 + tables,
	       "init: oom_score 0, but a badness for when it is the last candidate");
	fake.vfork_parent = &fake;
	KCHECK(oom_badness(&fake, TOTAL) == OOM_SCORE_UNKILLABLE,
	       "a vfork child (its memory is its parent's) is unkillable");
	fake.vfork_parent = NULL;
	fake.state = P_ZOMBIE;
	KCHECK(oom_badness(&fake, TOTAL) == OOM_SCORE_UNKILLABLE, "a zombie is unkillable");
	fake.oom_victim = true;
	KCHECK(!tsk_is_oom_victim(&fake), "a victim that has exited is no longer waited for");
	fake.state = P_SLEEPING;
	KCHECK(tsk_is_oom_victim(&fake), "a victim still alive is waited for");
	fake.vm = NULL;
	KCHECK(oom_badness(&fake, TOTAL) == OOM_SCORE_UNKILLABLE,
	       "a kernel thread (no address space) is unkillable");
	if (vm)
		vmspace_put(vm);
	KCHECK(frame_free_count() == before, "no frame leaked (%lu -> %lu)", before,
	       frame_free_count());
}
