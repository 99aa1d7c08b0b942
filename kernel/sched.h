/*
 * kernel/sched.h - round-robin scheduling on every CPU, sleeping and waking,
 * and the CPU-affinity system calls (kernel/sched.c).
 *
 * sleep_on(chan, lock) and wakeup(chan) are xv6's channels: a process sleeps
 * on any address that names what it waits for; LOCK (held by the caller) is
 * released while asleep and taken again before returning, so a wakeup can
 * never slip in between "check the condition" and "go to sleep".
 */
#pragma once
#include "kernel/lib.h"
#include "kernel/spinlock.h"

struct proc;

void sched_init(void);
/* The load average: fixed point with FSHIFT fraction bits (Linux's). */
#define FSHIFT 11
#define FIXED_1 (1UL << FSHIFT)
/* The 1, 5 and 15 minute load averages, FIXED_1 = one task: the tasks
 * runnable or in an uninterruptible sleep, averaged every 5 s (sched.c). */
void sched_loadavg(uint64_t loads[3]);
/* Never returns: this CPU's loop, running the RUNNABLE processes it may run
 * and halting when there are none.  Every CPU ends here. */
__attribute__((noreturn)) void scheduler(void);
/* Give up the CPU; the caller stays RUNNABLE. */
void yield(void);
/* Yield if this CPU's timer tick asked for a reschedule (need_resched).
 * For loops in system calls that may run long (console and pipe writes, big
 * copies): call with no lock held, between chunks (Linux cond_resched). */
void cond_resched(void);
/* Sleep on CHAN, releasing LOCK while asleep.  Returns early if a signal is
 * pending: callers check signal_pending() and return -EINTR. */
void sleep_on(void *chan, struct spinlock *lock);
/* Like sleep_on, but also wake at time DEADLINE_NS (time_ns()). */
void sleep_until(void *chan, struct spinlock *lock, uint64_t deadline_ns);
/* Like sleep_on, but signals do not end the sleep (Linux's
 * TASK_UNINTERRUPTIBLE): for waits that must finish, such as a sleeping
 * lock (kernel/rwsem.c). */
void sleep_on_uninterruptible(void *chan, struct spinlock *lock);
/* Wake every process sleeping on CHAN. */
void wakeup(void *chan);
/* The same, for callers that already hold proc_lock. */
void wakeup_locked(void *chan);
/* Called with proc_lock held: switch to the scheduler (state already set). */
void sched(void);
/* P (EMBRYO or SLEEPING) becomes RUNNABLE, with proc_lock held; an idle CPU
 * that may run it is woken with a reschedule IPI at once. */
void sched_make_runnable(struct proc *p);
/* The CPUs halted in their idle loop right now (bit i = cpus[i]): a hint,
 * it may change at once. */
uint64_t sched_idle_cpus(void);
