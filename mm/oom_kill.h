/*
 * mm/oom_kill.h - the out-of-memory killer: when a page fault finds no free
 * frame, end the process whose death frees the most memory (Linux 6.1
 * mm/oom_kill.c), and the resident-set count that /proc shares with it.
 */
#pragma once
#include "kernel/lib.h"

struct proc;
struct vmspace;

#define OOM_SCORE_ADJ_MIN (-1000)
#define OOM_SCORE_ADJ_MAX 1000
#define OOM_SCORE_UNKILLABLE INT64_MIN	/* Linux: LONG_MIN */

/*
 * oom_badness: how many pages killing P would free, adjusted by its
 * oom_score_adj: resident pages + page-table pages + oom_score_adj *
 * (TOTALPAGES / 1000), as Linux 6.1 counts.  OOM_SCORE_UNKILLABLE for a
 * kernel thread, a zombie (no address space), a vfork child (it borrows its
 * parent's) and oom_score_adj -1000.
 * proc_lock held.
 */
int64_t oom_badness(struct proc *p, uint64_t totalpages);

/* /proc/PID/oom_score: (1000 + badness * 1000 / totalpages) * 2 / 3, in
 * 0..2000 (Linux 6.1 fs/proc/base.c); 0 when unkillable and for init.
 * proc_lock held. */
uint64_t oom_score(struct proc *p);

/* True while P is an OOM victim that has not yet released its memory
 * (Linux: tsk_is_oom_victim).  proc_lock held or P current. */
bool tsk_is_oom_victim(struct proc *p);

/*
 * out_of_memory: called by a page fault that found no free frame.  Unless a
 * victim chosen earlier is still on its way out, choose the process with the
 * highest oom_badness (init only when no other candidate exists), log why,
 * force SIGKILL on it and mark it a victim.  The caller then waits (yields)
 * and retries its access unless it is the victim itself.
 */
void out_of_memory(void);
/*
 * oom_wait: the current process found no frame (a page fault, or a forced
 * write through /proc/PID/mem).  Run the OOM killer and let its victim run.
 * True when the access should be retried: the caller was not chosen, has no
 * fatal signal, and holds no lock (it yielded); false when it is the victim
 * or dying anyway, or cannot sleep here.
 */
bool oom_wait(void);
