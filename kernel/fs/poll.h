/*
 * kernel/fs/poll.h - waiting for any of several files: poll(2), ppoll,
 * select(2), pselect6 (kernel/fs/poll.c), and what a pollable file provides.
 *
 * A file that can make a caller wait (a pipe, the tty) has a wait channel:
 * the address its readers and writers sleep on (kernel/sched.h).  Its
 * file_ops.poll reports the events ready now and first registers the
 * calling poll on that channel with poll_wait().  Whoever changes the
 * file's state wakes the channel with poll_wakeup(), which wakes both the
 * ordinary sleepers and every poll registered there.  Files without a poll
 * op are always ready for reading and writing (Linux DEFAULT_POLLMASK).
 */
#pragma once
#include "kernel/lib.h"

/* poll(2) events (Linux asm-generic/poll.h). */
#define POLLIN 0x001
#define POLLPRI 0x002
#define POLLOUT 0x004
#define POLLERR 0x008
#define POLLHUP 0x010
#define POLLNVAL 0x020
#define POLLRDNORM 0x040
#define POLLRDBAND 0x080
#define POLLWRNORM 0x100
#define POLLWRBAND 0x200
#define DEFAULT_POLLMASK (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM)

/* One poll/select call's registrations (kernel/fs/poll.c). */
struct poll_table;

/* From a file's poll op, before it reads the state it reports: wake this
 * poll call when CHAN is woken.  PT may be NULL (nobody to register). */
void poll_wait(struct poll_table *pt, void *chan);
/* Wake everything sleeping on CHAN (wakeup) and every poll call that
 * registered CHAN.  Call it after the state change, under the lock that
 * guards that state (so a poll op cannot read the old state after the
 * wakeup has been missed); any context, interrupts included. */
void poll_wakeup(void *chan);
