/*
 * mm/oom_kill.c - the out-of-memory killer, after Linux 6.1 mm/oom_kill.c.
 *
 * Copy-on-write makes memory a promise: fork, the zero page and merging share
 * frames that a later write must copy, so a page fault - not fork or mmap -
 * is where the kernel finds out that no frame is left.  The faulting process
 * is rarely the one to blame, so page_fault() (mm/fault.c) calls
 * out_of_memory(), which picks the victim by footprint:
 *
 *   oom_badness(p) = resident pages (present user entries, not the zero frame)
 *                  + page-table pages
 *                  + oom_score_adj * (total pages / 1000)
 *
 * Kernel threads, zombies, vfork children (their memory is the parent's) and
 * processes with oom_score_adj -1000 are never chosen; init (pid 1) only
 * when no other process can be.  The highest score
 * gets a SIGKILL and is marked a victim (p->oom_victim).  Until a marked
 * victim has exited and released its address space, out_of_memory() chooses
 * nobody else: the faulting processes yield and retry their access, and the
 * victim's exit frees the frames they wait for (Linux's oom_reaper wait).
 *
 * /proc/PID/oom_score shows the same badness scaled to 0..2000 (oom_score).
 */
#include "mm/oom_kill.h"
#include "kernel/printk.h"
#include "kernel/proc.h"
#include "kernel/sched.h"
#include "kernel/signal/signal.h"
#include "mm/frame.h"
#include "mm/frame_info.h"
#include "mm/layout.h"
#include "mm/smaps.h"
#include "mm/vm.h"
#include "mm/vmspace.h"

#define KB(pages) ((pages) * (PAGE_SIZE / 1024))

/* Linux: oom_unkillable_task plus "no mm": kernel threads and the dead. */
static bool oom_unkillable_task(const struct proc *p)
{
	return !p->vm || p->state == P_UNUSED || p->state == P_EMBRYO || p->state == P_ZOMBIE;
}

/* A vfork child borrows its parent's address space: killing it frees
 * nothing (Linux: in_vfork). */
static bool in_vfork(const struct proc *p)
{
	return p->vfork_parent != NULL;
}

int64_t oom_badness(struct proc *p, uint64_t totalpages)
{
	struct mm_rss rss;

	if (oom_unkillable_task(p) || p->oom_score_adj == OOM_SCORE_ADJ_MIN || in_vfork(p))
		return OOM_SCORE_UNKILLABLE;
	get_mm_rss(p->vm, &rss);
	int64_t points = (int64_t)(rss.anon + rss.file + mm_pgtables(p->vm));
	return points + (int64_t)p->oom_score_adj * (int64_t)(totalpages / 1000);
}

uint64_t oom_score(struct proc *p)
{
	int64_t total = (int64_t)totalram_pages();
	int64_t badness = oom_badness(p, (uint64_t)total);

	/* init counts as unkillable, as on Linux: it is chosen only when no
	 * other process can be, and then there is nothing to compare it with */
	if (badness == OOM_SCORE_UNKILLABLE || p->pid == 1)
		return 0;
	return (uint64_t)((1000 + badness * 1000 / total) * 2 / 3);
}

/* A victim counts until it is a zombie: on its way out it has already
 * given up p->vm while its frames are still being freed, and the killer
 * must wait for them rather than choose someone else. */
bool tsk_is_oom_victim(struct proc *p)
{
	return p->oom_victim && (p->state == P_RUNNABLE || p->state == P_RUNNING ||
				 p->state == P_SLEEPING);
}

struct oom_control {
	uint64_t totalpages;
	struct proc *chosen;
	int64_t chosen_points;
	int candidates;
	bool abort;		/* a victim is still exiting: choose nobody */
};

/* Linux: oom_evaluate_task.  proc_lock held. */
static void oom_evaluate_task(struct oom_control *oc, struct proc *p)
{
	if (tsk_is_oom_victim(p)) {
		oc->abort = true;
		return;
	}
	int64_t points = oom_badness(p, oc->totalpages);
	if (points == OOM_SCORE_UNKILLABLE)
		return;
	oc->candidates++;
	if (oc->chosen && points < oc->chosen_points)
		return;
	oc->chosen = p;
	oc->chosen_points = points;
}

/* The highest badness, init only when nobody else qualifies.  proc_lock held. */
static void select_bad_process(struct oom_control *oc)
{
	struct proc *init = NULL;

	for (struct proc *p = proc_table; p < proc_table + NPROC && !oc->abort; p++) {
		if (p->state != P_UNUSED && p->pid == 1)
			init = p;
		else
			oom_evaluate_task(oc, p);
	}
	if (init && !oc->abort && (!oc->chosen || tsk_is_oom_victim(init)))
		oom_evaluate_task(oc, init);
}

/* The two lines that say why V dies, and Linux's "Killed process" line. */
static void oom_report(const struct oom_control *oc, struct proc *v)
{
	struct mm_rss rss;
	uint64_t pgtables = mm_pgtables(v->vm);

	get_mm_rss(v->vm, &rss);
	pr_err("oom-kill: chose pid %d (%s): badness %ld pages = rss %lu + page tables %lu + "
	       "oom_score_adj %d * %lu; highest of %d candidates (%lu pages of RAM)\n",
	       v->pid, v->name, oc->chosen_points, rss.anon + rss.file, pgtables, v->oom_score_adj,
	       oc->totalpages / 1000, oc->candidates, oc->totalpages);
	pr_err("Out of memory: Killed process %d (%s) total-vm:%lukB, anon-rss:%lukB, "
	       "file-rss:%lukB, shmem-rss:0kB, UID:0 pgtables:%lukB oom_score_adj:%d\n",
	       v->pid, v->name, KB(v->vm->total_pages), KB(rss.anon), KB(rss.file), KB(pgtables),
	       v->oom_score_adj);
}

/* Kill V and every process that shares its address space (a vfork parent or
 * child): killing one alone would free nothing (Linux: __oom_kill_process
 * kills all users of the victim's mm).  proc_lock held. */
static void oom_kill_sharing(struct proc *v)
{
	struct vmspace *vm = v->vm;

	for (struct proc *p = proc_table; p < proc_table + NPROC; p++) {
		if (p == v || (vm && p->vm == vm && p->state != P_UNUSED && p->state != P_ZOMBIE)) {
			p->oom_victim = true;
			signal_send_locked(p, SIGKILL);
		}
	}
}

void out_of_memory(void)
{
	struct oom_control oc = { .totalpages = totalram_pages() };
	struct proc *me = current();

	spin_lock(&proc_lock);
	select_bad_process(&oc);
	struct proc *v = oc.abort ? NULL : oc.chosen;
	if (!oc.abort) {
		pr_err("%s invoked oom-killer: pid %d, oom_score_adj=%d\n", me->name, me->pid,
		       me->oom_score_adj);
		if (!v) {	/* Linux panics here; we end the faulter instead */
			pr_err("Out of memory and no killable processes: killing pid %d (%s)\n",
			       me->pid, me->name);
			v = me;
		} else {
			oom_report(&oc, v);
		}
		oom_kill_sharing(v);
	}
	spin_unlock(&proc_lock);
}

bool oom_wait(void)
{
	out_of_memory();
	if (tsk_is_oom_victim(current()) || fatal_signal_pending() || in_atomic())
		return false;
	yield();
	return true;
}
