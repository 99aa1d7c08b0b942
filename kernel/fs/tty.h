/*
 * kernel/fs/tty.h - the console terminal on COM1 (kernel/fs/tty.c): the line
 * discipline (canonical editing with echo, raw mode with VMIN/VTIME, the
 * signal characters), the controlling terminal of a session with its
 * foreground process group, and job control (SIGTTIN, SIGTTOU).
 * docs/tty.md tells the story.
 */
#pragma once
#include "kernel/fs/file.h"

struct proc;

/* Device numbers of the tty's names, (major << 8) | minor as Linux's
 * new_encode_dev gives them for these: /dev/tty is "the caller's
 * controlling tty", /dev/console and /dev/ttyS0 the console itself. */
#define TTY_DEV_TTY ((5 << 8) | 0)
#define TTY_DEV_CONSOLE ((5 << 8) | 1)
#define TTY_DEV_TTYS0 ((4 << 8) | 64)

/* The file_ops of /dev/console, /dev/tty and descriptors 0-2 of init. */
extern const struct file_ops tty_ops;

/* At boot, after the PIC and idt_init: take COM1's receive interrupt (IRQ 4). */
void tty_init(void);
/* One received byte through the line discipline (the IRQ handler's work;
 * also TIOCSTI's). */
void tty_input(char c);
/*
 * Open the tty by device number RDEV (a TTY_DEV_*) for /dev: a struct file
 * with tty_ops and PRIV in *OUT.  /dev/tty is the caller's controlling tty:
 * -ENXIO when it has none.  Opening /dev/ttyS0 without O_NOCTTY, for
 * reading, makes it the controlling tty of a session leader that has none
 * when the tty has no session (Linux tty_open_proc_set_tty; /dev/console
 * never does).  0, -ENXIO or -ENOMEM.
 */
int tty_open(uint64_t rdev, int flags, void *priv, struct file **out);
/* The group of session leader LEADER has ended: if its session has the
 * tty, SIGHUP and SIGCONT go to the foreground group and the tty is free
 * (Linux disassociate_ctty(1) at exit).  proc_lock held. */
void tty_session_exit_locked(struct proc *leader);
/* P's controlling terminal for /proc/PID/stat: *DEV its device number
 * (TTY_DEV_TTYS0) or 0 without one, *TPGID its foreground group or -1
 * (Linux tty_nr, tpgid).  proc_lock held. */
void tty_ctty_of_locked(const struct proc *p, uint32_t *dev, int *tpgid);
