/*
 * kernel/fork.c - clone(2) and its special cases fork and vfork, and the
 * calls that name threads: gettid, set_tid_address, set_robust_list,
 * get_robust_list (Linux: kernel/fork.c).
 *
 * copy_process builds the new task from the caller: registers (rax = 0 in
 * the child, a new stack pointer and TLS if asked), then for each resource
 * either a shared reference (CLONE_VM, CLONE_FILES, CLONE_FS, CLONE_SIGHAND)
 * or a copy (vmspace_fork, files_copy, fs_copy, sighand_copy).  Only at the
 * end, under proc_lock, does it join a thread group (CLONE_THREAD) or become
 * a child of the caller's process, and turn RUNNABLE: a group that started
 * exiting meanwhile gets no new thread (-EINTR), and on any failure nothing
 * of the child remains.  CLONE_FS shares the current directory;
 * CLONE_SYSVSEM is accepted (there are no System V semaphores to undo).
 */
#include "kernel/errno.h"
#include "kernel/fs/file.h"
#include "kernel/proc.h"
#include "kernel/sched.h"
#include "kernel/sys_misc.h"
#include "kernel/signal/signal.h"
#include "kernel/syscall.h"
#include "kernel/uaccess.h"
#include "mm/access.h"
#include "mm/layout.h"
#include "mm/vmspace.h"

#define CSIGNAL 0x000000ff		/* the exit signal, in the low byte */
#define CLONE_VM 0x00000100
#define CLONE_FS 0x00000200
#define CLONE_FILES 0x00000400
#define CLONE_SIGHAND 0x00000800
#define CLONE_PTRACE 0x00002000	/* no tracer here: nothing to continue */
#define CLONE_VFORK 0x00004000
#define CLONE_PARENT 0x00008000
#define CLONE_THREAD 0x00010000
#define CLONE_SYSVSEM 0x00040000
#define CLONE_SETTLS 0x00080000
#define CLONE_PARENT_SETTID 0x00100000
#define CLONE_CHILD_CLEARTID 0x00200000
#define CLONE_DETACHED 0x00400000	/* ignored by Linux; musl's pthread_create passes it */
#define CLONE_UNTRACED 0x00800000	/* no tracer here either */
#define CLONE_CHILD_SETTID 0x01000000
#define CLONE_IO 0x80000000UL		/* one I/O context for all: nothing to share */
#define CLONE_SUPPORTED (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_PTRACE | \
			 CLONE_VFORK | CLONE_PARENT | CLONE_THREAD | CLONE_SYSVSEM | \
			 CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | \
			 CLONE_DETACHED | CLONE_UNTRACED | CLONE_CHILD_SETTID | CLONE_IO)
#define ROBUST_LIST_HEAD_SIZE 24	/* struct robust_list_head on x86-64 */

/* Linux copy_process's rules for the flags it is given: a thread shares
 * the dispositions, shared dispositions need a shared address space;
 * flags this kernel does not implement (namespaces, pidfds) are -EINVAL;
 * init may not make a sibling (CLONE_PARENT); a TLS base outside the user
 * half is -EPERM (do_arch_prctl_64's rule for ARCH_SET_FS). */
static int clone_check(uint64_t flags, uint64_t tls)
{
	if (flags & ~(uint64_t)(CSIGNAL | CLONE_SUPPORTED))
		return -EINVAL;
	if ((flags & CLONE_PARENT) && current()->tgid == 1)
		return -EINVAL;
	if ((flags & CLONE_THREAD) && !(flags & CLONE_SIGHAND))
		return -EINVAL;
	if ((flags & CLONE_SIGHAND) && !(flags & CLONE_VM))
		return -EINVAL;
	if ((flags & CLONE_SETTLS) && tls >= USER_TOP)
		return -EPERM;
	return 0;
}

/* CHILD's address space, descriptors, directory and dispositions: ME's
 * shared or copied as FLAGS say.  0 or -ENOMEM (proc_free undoes it). */
static int copy_resources(struct proc *child, struct proc *me, uint64_t flags)
{
	if (flags & CLONE_VM) {
		vmspace_get(me->vm);
		child->vm = me->vm;
	} else if ((child->vm = vmspace_fork(me->vm))) {
		vmspace_attach(child->vm);
	} else {
		return -ENOMEM;
	}
	child->files = flags & CLONE_FILES ? files_get(me->files) : files_copy(me->files);
	child->fs = flags & CLONE_FS ? fs_get(me->fs) : fs_copy(me->fs);
	child->sighand = flags & CLONE_SIGHAND ? sighand_get(me->sighand)
					       : sighand_copy(me->sighand);
	return child->files && child->fs && child->sighand ? 0 : -ENOMEM;
}

/* Write thread id TID at user address UADDR of VM (the caller's or a new
 * child's): CLONE_PARENT_SETTID and CLONE_CHILD_SETTID.  A bad address is
 * ignored, as Linux ignores its put_user there. */
static void put_tid(struct vmspace *vm, uint64_t uaddr, int tid)
{
	if (vm == current()->vm)
		copy_to_user(uaddr, &tid, sizeof(tid));
	else
		access_remote_vm(vm, uaddr, &tid, sizeof(tid), FOLL_WRITE, NULL);
}

/* Registers and the small per-task state of CHILD, from ME. */
static void copy_thread(struct proc *child, struct proc *me, uint64_t flags, uint64_t newsp,
			uint64_t tls)
{
	*child->tf = *me->tf;
	child->tf->rax = 0;
	if (newsp)
		child->tf->rsp = newsp;
	asm volatile("fxsave %0" : "=m"(child->fpu));
	child->fs_base = flags & CLONE_SETTLS ? tls : me->fs_base;
	child->pgid = me->pgid;
	child->sid = me->sid;
	child->has_ctty = me->has_ctty;
	child->oom_score_adj = me->oom_score_adj;
	child->cpus_allowed = me->cpus_allowed;
	signal_fork(child, me, (flags & (CLONE_VM | CLONE_VFORK)) != CLONE_VM);
	memcpy(child->name, me->name, sizeof(child->name));
	misc_fork(child, me, flags & CLONE_THREAD);
}

/* Join ME's group (CLONE_THREAD) or become a child of ME's process, and
 * turn RUNNABLE; -EINTR when ME is being killed.  proc_lock held. */
static int attach(struct proc *child, struct proc *me, uint64_t flags)
{
	struct proc *leader = me->group_leader;

	if (fatal_signal_pending() || leader->group_exiting || leader->group_exec)
		return -EINTR;
	if (flags & CLONE_THREAD) {
		child->tgid = me->tgid;
		child->group_leader = leader;
		child->parent = leader->parent;
		child->exit_signal = -1;
		leader->nr_threads++;
	} else if (flags & CLONE_PARENT) {	/* a sibling: Linux ignores CSIGNAL then */
		child->parent = leader->parent;
		child->exit_signal = leader->exit_signal;
	} else {
		child->parent = leader;
		child->exit_signal = (int)(flags & CSIGNAL);
	}
	if (flags & CLONE_VFORK)
		child->vfork_parent = me;
	sched_make_runnable(child);
	return 0;
}

/* The new task, RUNNABLE; NULL with *ERR set (-EAGAIN: no slot, -ENOMEM,
 * -EINTR). */
static struct proc *copy_process(uint64_t flags, uint64_t newsp, uint64_t parent_tid,
				 uint64_t child_tid, uint64_t tls, int *err)
{
	struct proc *me = current(), *child = proc_alloc(err);

	if (!child)
		return NULL;
	if ((*err = copy_resources(child, me, flags))) {
		proc_free(child);
		return NULL;
	}
	copy_thread(child, me, flags, newsp, tls);
	if (flags & CLONE_CHILD_SETTID)
		put_tid(child->vm, child_tid, child->pid);
	if (flags & CLONE_CHILD_CLEARTID)
		child->clear_child_tid = child_tid;
	/* before the child runs, so that it cannot exit and clear the word first */
	if (flags & CLONE_PARENT_SETTID)
		put_tid(me->vm, parent_tid, child->pid);
	spin_lock(&proc_lock);
	*err = attach(child, me, flags);
	spin_unlock(&proc_lock);
	if (*err) {
		proc_free(child);
		return NULL;
	}
	return child;
}

/* CLONE_VFORK: sleep until CHILD has exec'd or exited (vfork_release).
 * Only SIGKILL ends the wait (Linux wait_for_vfork_done is killable): a
 * handler must not run while the child still borrows our memory. */
static void vfork_wait(struct proc *child)
{
	struct proc *me = current();

	spin_lock(&proc_lock);
	while (child->vfork_parent == me && !fatal_signal_pending())
		sleep_on_killable(child, &proc_lock);
	spin_unlock(&proc_lock);
}

long sys_clone(uint64_t flags, uint64_t newsp, uint64_t parent_tid, uint64_t child_tid,
	       uint64_t tls)
{
	int err;

	flags &= 0xffffffffu;	/* the legacy call takes the low 32 bits (Linux) */
	if ((err = clone_check(flags, tls)))
		return err;
	struct proc *child = copy_process(flags, newsp, parent_tid, child_tid, tls, &err);
	if (!child)
		return err;
	int tid = child->pid;
	if (flags & CLONE_VFORK)
		vfork_wait(child);
	return tid;
}

long sys_fork(void)
{
	return sys_clone(SIGCHLD, 0, 0, 0, 0);
}

/* vfork: the child borrows the caller's address space (no copy at all) and
 * the caller sleeps until the child calls execve or exits. */
long sys_vfork(void)
{
	return sys_clone(CLONE_VM | CLONE_VFORK | SIGCHLD, 0, 0, 0, 0);
}

long sys_gettid(void)
{
	return current()->pid;
}

long sys_set_tid_address(uint64_t tidptr)
{
	current()->clear_child_tid = tidptr;
	return current()->pid;
}

long sys_set_robust_list(uint64_t head, size_t len)
{
	struct proc *me = current();

	if (len != ROBUST_LIST_HEAD_SIZE)
		return -EINVAL;
	me->robust_list = head;
	return 0;
}

/* get_robust_list(2): thread PID's (0: the caller's) list head; the size is
 * always the kernel's (Linux). */
long sys_get_robust_list(int pid, uint64_t uhead, uint64_t ulen)
{
	uint64_t head = 0, len = ROBUST_LIST_HEAD_SIZE;

	spin_lock(&proc_lock);
	struct proc *p = pid ? proc_find(pid) : current();
	if (p)
		head = p->robust_list;
	spin_unlock(&proc_lock);
	if (!p)
		return -ESRCH;
	if (copy_to_user(ulen, &len, sizeof(len)) || copy_to_user(uhead, &head, sizeof(head)))
		return -EFAULT;
	return 0;
}
