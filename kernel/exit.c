/*
 * kernel/exit.c - how tasks, thread groups and processes end: exit,
 * exit_group, the group-wide exit of a fatal signal, execve's ending of the
 * other threads (de_thread), and wait4 (Linux: kernel/exit.c, de_thread in
 * fs/exec.c).
 *
 * A thread that exits drops what it holds, then under proc_lock counts
 * itself out of its group (leader->nr_threads).  The group leader stays as
 * a zombie; any other thread becomes DEAD and its slot is freed by the
 * scheduler right after it switches away (proc_release).  When the last
 * thread is out the group is dead: its children go to init, and the
 * leader's zombie - now carrying the group's status - is reported to the
 * parent with the exit signal and a wakeup.  wait4 reaps a zombie leader
 * only then, so a process is never reported while a thread of it still runs
 * (Linux: delay_group_leader).
 *
 * exit_group (and a fatal signal, kernel/signal/signal.c) marks the group exiting
 * with its status and sends SIGKILL to every other thread, which then takes
 * the ordinary thread exit on its way back to user mode (or out of a sleep).
 * The parent of a process is its parent's group leader (struct proc.parent),
 * so any thread of the parent may wait for it, and it sleeps on that leader.
 * The group's end is told to the parent by do_notify_parent (SIGCHLD with
 * CLD_EXITED/KILLED and the status), which may ask for the zombie to be
 * reaped at once (SIGCHLD ignored, SA_NOCLDWAIT).  wait4 also reports a
 * child's job-control stop (WUNTRACED) and continue (WCONTINUED), each once,
 * from the marks kernel/signal/signal.c leaves on its leader.
 */
#include "kernel/errno.h"
#include "kernel/fs/file.h"
#include "kernel/fs/tty.h"
#include "kernel/futex.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "kernel/proc.h"
#include "kernel/sched.h"
#include "kernel/sys_misc.h"
#include "kernel/signal/signal.h"
#include "kernel/syscall.h"
#include "kernel/uaccess.h"
#include "kernel/x86/power.h"
#include "mm/audit.h"
#include "mm/tlb.h"
#include "mm/vmspace.h"

#define WNOHANG 1
#define WUNTRACED 2
#define WCONTINUED 8
#define WNOTHREAD 0x20000000	/* Linux: __WNOTHREAD, __WALL, __WCLONE */
#define WALL 0x40000000
#define WCLONE 0x80000000U

/* init is gone: report how, and power off (DESIGN.md §2 exit statuses). */
static void init_died(int status)
{
	int sig = status & 0x7f;

	if (sig) {
		printk(LOG_ERROR, "init killed by signal %d\n", sig);
		machine_exit(128 + sig);
	}
	printk(LOG_ERROR, "init exited with status %d\n", (status >> 8) & 0xff);
	machine_exit((status >> 8) & 0xff);
}

/* Give the children of process LEADER to init, waking init if one of them is
 * already a zombie.  proc_lock held. */
static void reparent_children(struct proc *leader, struct proc *init)
{
	for (struct proc *c = proc_table; c < proc_table + NPROC; c++) {
		if (c->parent != leader || c->state == P_UNUSED)
			continue;
		c->parent = init;
		pdeath_signal_send(c);
		if (c->state == P_ZOMBIE)
			wakeup_locked(init);
	}
}

/* Thread P is leaving: a vfork child of it no longer borrows from a living
 * parent and owns the space now (Linux: in_vfork looks at the parent).
 * proc_lock held. */
static void forget_vfork_children(struct proc *p)
{
	for (struct proc *c = proc_table; c < proc_table + NPROC; c++)
		if (c->state != P_UNUSED && c->vfork_parent == p)
			c->vfork_parent = NULL;
}

void vfork_release(struct proc *p)
{
	spin_lock(&proc_lock);
	if (p->vfork_parent) {
		p->vfork_parent = NULL;
		wakeup_locked(p);
	}
	spin_unlock(&proc_lock);
}

/* The wait4 status of an ended group as SIGCHLD's si_code and si_status. */
static int exit_code(int status, int *si_status)
{
	if (status & 0x7f) {
		*si_status = status & 0x7f;
		return status & 0x80 ? CLD_DUMPED : CLD_KILLED;
	}
	*si_status = (status >> 8) & 0xff;
	return CLD_EXITED;
}

/* The last thread of LEADER's group has exited: report the group to its
 * parent, which may reap it at once (SIGCHLD ignored, SA_NOCLDWAIT): the
 * slot goes, or becomes DEAD for the scheduler to free when LEADER is the
 * one running.  proc_lock held. */
static void group_dead(struct proc *leader)
{
	int si_status = 0;

	leader->exit_status = leader->group_exit_status;
	if (leader->pid == 1)
		init_died(leader->exit_status);
	struct proc *init = proc_find(1);
	reparent_children(leader, init);
	tty_session_exit_locked(leader);
	if (!leader->parent)
		return;		/* a kernel thread: nobody waits for it */
	int why = exit_code(leader->exit_status, &si_status);
	if (!do_notify_parent(leader, why, si_status))
		return;
	if (leader == current())
		leader->state = P_DEAD;
	else
		proc_free(leader);
}

/* Count thread P out of its group and leave its slot as a zombie (leader)
 * or DEAD; the group's end if it was the last.  Without an exit_group the
 * last thread's STATUS is the group's (Linux synchronize_group_exit: even
 * when the leader exited earlier with another).  proc_lock held. */
static void exit_notify(struct proc *p, int status)
{
	struct proc *leader = p->group_leader;

	forget_vfork_children(p);
	acct_task_exit(p);
	p->exit_status = status;
	p->state = p == leader ? P_ZOMBIE : P_DEAD;
	signal_thread_exit(p);
	if (--leader->nr_threads == 0 && !leader->group_exiting) {
		leader->group_exiting = true;
		leader->group_exit_status = status;
	}
	if (leader->nr_threads == 0)
		group_dead(leader);
	else if (leader->group_exec)
		wakeup_locked(leader->group_exec);	/* de_thread counts the others out */
}

/* Linux mm_release: a thread's exit tells a joiner that its thread id is
 * free: zero the word set by CLONE_CHILD_CLEARTID or set_tid_address and
 * wake one futex waiter on it - only when another task still uses the
 * address space, as Linux does (nobody else could look, and the write would
 * be a copy-on-write fault in every exiting fork child, whose musl points
 * the word at libc data).  A bad address is ignored, as Linux does. */
static void clear_child_tid(struct proc *p)
{
	uint32_t zero = 0;

	if (p->clear_child_tid && __atomic_load_n(&p->vm->users, __ATOMIC_ACQUIRE) > 1 &&
	    !copy_to_user(p->clear_child_tid, &zero, sizeof(zero)))
		futex_wake(p->vm, p->clear_child_tid, 1, FUTEX_BITSET_MATCH_ANY);
	p->clear_child_tid = 0;
}

void proc_exit(int status)
{
	struct proc *p = current();

	if (p->vm) {
		clear_child_tid(p);
		switch_mm(NULL);
		/* /proc readers take references to p->vm, p->files and p->fs
		 * under proc_lock (vmspace_get, files_get, fs_get): each must be
		 * gone from the task before its last reference can be */
		spin_lock(&proc_lock);
		struct vmspace *vm = p->vm;
		struct files_struct *files = p->files;
		struct fs_struct *fs = p->fs;
		p->vm = NULL;
		p->files = NULL;
		p->fs = NULL;
		spin_unlock(&proc_lock);
		files_put(files);
		fs_put(fs);
		vmspace_put(vm);
		vm_audit_checkpoint("exit", p->pid);
	}
	vfork_release(p);
	spin_lock(&proc_lock);
	exit_notify(p, status);
	sched();
	panic("proc_exit: an exited task was scheduled");
}

/* SIGKILL to every thread of ME's group but ME, to make them exit (Linux
 * zap_other_threads).  proc_lock held. */
static void kill_other_threads(struct proc *me)
{
	for_each_thread(t, me->group_leader)
		if (t != me && t->state != P_ZOMBIE && t->state != P_EMBRYO)
			send_signal_info_locked(t, SIGKILL, NULL, false, false);
}

void proc_exit_group(int status)
{
	struct proc *me = current(), *leader = me->group_leader;

	spin_lock(&proc_lock);
	/* a thread being ended by another's execve just leaves */
	if (!leader->group_exiting && (!leader->group_exec || leader->group_exec == me)) {
		leader->group_exiting = true;
		leader->group_exit_status = status;
		leader->group_exec = NULL;
		kill_other_threads(me);
	}
	spin_unlock(&proc_lock);
	proc_exit(status);
}

/* execve from thread ME, the group's last: ME becomes the leader under the
 * process id, the old leader's zombie goes (Linux de_thread's "take over the
 * leader's pid").  proc_lock held. */
static void take_over_leader(struct proc *me, struct proc *old)
{
	int tgid = old->pid;

	for (struct proc *c = proc_table; c < proc_table + NPROC; c++)
		if (c->state != P_UNUSED && c->parent == old)
			c->parent = me;
	me->parent = old->parent;
	me->exit_signal = old->exit_signal;
	me->pgid = old->pgid;
	me->oom_score_adj = old->oom_score_adj;
	me->misc = old->misc;
	signal_take_over_leader(me, old);
	me->group_leader = me;
	me->nr_threads = 1;
	proc_free(old);
	me->pid = tgid;
}

int de_thread(void)
{
	struct proc *me = current(), *leader = me->group_leader;
	int err = 0;

	spin_lock(&proc_lock);
	if (leader->group_exiting || leader->group_exec) {
		spin_unlock(&proc_lock);
		return -EINTR;		/* the group is already ending */
	}
	leader->group_exec = me;
	kill_other_threads(me);
	while (leader->nr_threads > 1 && !fatal_signal_pending())
		sleep_on_killable(me, &proc_lock);	/* a handled signal must wait */
	leader->group_exec = NULL;
	if (leader->nr_threads > 1)
		err = -EINTR;
	else if (me != leader)
		take_over_leader(me, leader);
	spin_unlock(&proc_lock);
	return err;
}

long sys_exit(int status)
{
	proc_exit((status & 0xff) << 8);
}

long sys_exit_group(int status)
{
	proc_exit_group((status & 0xff) << 8);
}

/* Whether child process C is one wait4(PID, OPTIONS) by a thread of LEADER
 * asks about: only group leaders are waited for; a child whose exit signal
 * is not SIGCHLD (a "clone" child) only with __WCLONE, the others only
 * without it, both with __WALL (Linux eligible_child). */
static bool wait_matches(const struct proc *leader, const struct proc *c, int pid, int options)
{
	if (c->parent != leader || c->group_leader != c || c->state == P_UNUSED ||
	    c->state == P_EMBRYO || c->state == P_DEAD)
		return false;
	if (!(options & WALL) && (c->exit_signal != SIGCHLD) != !!(options & WCLONE))
		return false;
	if (pid > 0)
		return c->pid == pid;
	if (pid == 0)
		return c->pgid == leader->pgid;
	if (pid < -1)
		return c->pgid == -pid;
	return true;
}

/* Reap zombie C: returns its pid and status.  proc_lock held. */
static int reap(struct proc *c, int *status)
{
	int pid = c->pid;

	acct_reap(current()->group_leader, c);
	*status = c->exit_status;
	proc_free(c);
	return pid;
}

/* Copy the results of a reap out: the status word and an all-zero rusage. */
static long wait_report(int pid, int status, uint64_t ustatus, uint64_t rusage)
{
	static const uint8_t zero[144];

	if (ustatus && copy_to_user(ustatus, &status, sizeof(status)))
		return -EFAULT;
	if (rusage && copy_to_user(rusage, zero, sizeof(zero)))
		return -EFAULT;
	return pid;
}

/* A stop or continue of C not yet reported that OPTIONS ask for: its wait
 * status (0x7f | sig << 8 for WUNTRACED, 0xffff for WCONTINUED), reported
 * once; -1 if none.  proc_lock held. */
static int stop_status(struct proc *c, int options)
{
	if ((options & WUNTRACED) && c->stop_report == CLD_STOPPED) {
		c->stop_report = 0;
		return 0x7f | c->group_stop_sig << 8;
	}
	if ((options & WCONTINUED) && c->stop_report == CLD_CONTINUED) {
		c->stop_report = 0;
		return 0xffff;
	}
	return -1;
}

/* The first child matching PID and OPTIONS with something to report: reaped
 * if a zombie, else its stop or continue; its pid and *STATUS, 0 when none
 * has, -ECHILD when there is no such child.  proc_lock held. */
static int wait_one(struct proc *leader, int pid, int options, int *status)
{
	bool have_children = false;

	for (struct proc *c = proc_table; c < proc_table + NPROC; c++) {
		if (!wait_matches(leader, c, pid, options))
			continue;
		have_children = true;
		if (c->state == P_ZOMBIE && !c->nr_threads)
			return reap(c, status);
		if ((*status = stop_status(c, options)) >= 0)
			return c->pid;
	}
	return have_children ? 0 : -ECHILD;
}

/* wait4(2): a child's exit, or with WUNTRACED / WCONTINUED its stop or
 * continue.  A signal ends the wait with -ERESTARTSYS (restarted under
 * SA_RESTART, else EINTR). */
long sys_wait4(int pid, uint64_t ustatus, int options, uint64_t rusage)
{
	struct proc *leader = current()->group_leader;
	int status = 0, got;

	if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | WNOTHREAD | WALL | WCLONE))
		return -EINVAL;
	spin_lock(&proc_lock);
	while (!(got = wait_one(leader, pid, options, &status)) && !(options & WNOHANG)) {
		if (signal_pending()) {
			got = -ERESTARTSYS;
			break;
		}
		sleep_on(leader, &proc_lock);
	}
	spin_unlock(&proc_lock);
	return got > 0 ? wait_report(got, status, ustatus, rusage) : got;
}
