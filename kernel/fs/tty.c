/*
 * kernel/fs/tty.c - the console tty (COM1): a line discipline, the
 * controlling terminal of a session, and job control (docs/tty.md).
 *
 * Input.  Bytes arrive by interrupt (IRQ 4) and go through tty_input(), the
 * line discipline (Linux drivers/tty/n_tty.c), into one 4 KiB ring with
 * three free-running positions:
 *
 *     rpos <= commit <= wpos      [rpos, commit) readers may take,
 *                                 [commit, wpos) is the line being edited.
 *
 * In canonical mode (ICANON) a line becomes readable when newline, VEOL or
 * VEOF ends it; VEOF stays in the ring as a mark that read() consumes but
 * does not return, so VEOF at the start of a line reads as end of file.
 * VERASE, VWERASE and VKILL edit the line.  Without ICANON every byte is
 * readable at once and VMIN/VTIME say how long read() waits.  With ISIG,
 * VINTR, VQUIT and VSUSP send SIGINT, SIGQUIT and SIGTSTP to the foreground
 * process group (dropping unread input unless NOFLSH).  A c_cc entry of 0
 * is disabled (_POSIX_VDISABLE).  Input that does not fit is dropped.
 * Readers sleep on &tty, which poll_wakeup() wakes for poll/select too.
 *
 * Output goes straight to the port, with OPOST|ONLCR turning "\n" into
 * "\r\n"; echo goes the same way.  IXON flow control is not implemented.
 *
 * Sessions (Linux drivers/tty/tty_jobctrl.c).  The tty belongs to at most
 * one session and has a foreground process group; both are 0 at boot
 * (like Linux, init starts without a controlling tty).  A session leader
 * without one acquires the tty with TIOCSCTTY, or by opening /dev/ttyS0
 * without O_NOCTTY when the tty has no session (opening /dev/console or
 * /dev/tty never acquires, as on Linux).  Every process forked in the
 * session inherits it (struct proc.has_ctty).  A process of the session
 * that is not in the foreground group is stopped by SIGTTIN when it reads,
 * and by SIGTTOU when it writes with TOSTOP or changes the settings; when
 * that signal is ignored or blocked, or its group is orphaned, the call
 * fails with EIO instead (with SIGTTOU ignored or blocked, the write or
 * the change goes ahead).  The session and foreground group are kept
 * under proc_lock, since every rule about them looks at processes; the
 * rest under tty.lock.
 *
 * The termios ioctls use the kernel's struct termios (36 bytes: the four
 * flag words, c_line, c_cc[19]), exactly what Linux copies for TCGETS;
 * musl's 60-byte struct termios starts with the same fields.
 */
#include "kernel/fs/tty.h"
#include "kernel/errno.h"
#include "kernel/fs/fs.h"
#include "kernel/fs/poll.h"
#include "kernel/printk.h"
#include "kernel/proc.h"
#include "kernel/sched.h"
#include "kernel/signal/signal.h"
#include "kernel/spinlock.h"
#include "kernel/uaccess.h"
#include "kernel/x86/serial.h"
#include "kernel/x86/time.h"
#include "kernel/x86/trap.h"

#define TTY_BUF 4096

/* ioctl numbers (Linux, asm-generic/ioctls.h) */
#define TCGETS 0x5401
#define TCSETS 0x5402
#define TCSETSW 0x5403
#define TCSETSF 0x5404
#define TCSBRK 0x5409
#define TCXONC 0x540A
#define TCFLSH 0x540B
#define TIOCSCTTY 0x540E
#define TIOCGPGRP 0x540F
#define TIOCSPGRP 0x5410
#define TIOCOUTQ 0x5411
#define TIOCSTI 0x5412
#define TIOCGWINSZ 0x5413
#define TIOCSWINSZ 0x5414
#define FIONREAD 0x541B
#define TIOCNOTTY 0x5422
#define TIOCGSID 0x5429

/* termios bits (Linux asm-generic/termbits.h) */
#define INLCR 0000100
#define IGNCR 0000200
#define ICRNL 0000400
#define OPOST 0000001
#define ONLCR 0000004
#define ISIG 0000001
#define ICANON 0000002
#define ECHO 0000010
#define ECHOE 0000020
#define ECHOK 0000040
#define ECHONL 0000100
#define NOFLSH 0000200
#define TOSTOP 0000400
#define ECHOCTL 0001000
#define ECHOKE 0004000
#define IEXTEN 0100000
enum { VINTR = 0, VQUIT = 1, VERASE = 2, VKILL = 3, VEOF = 4, VTIME = 5, VMIN = 6,
       VSUSP = 10, VEOL = 11, VWERASE = 14, VEOL2 = 16, NCCS = 19 };

struct ktermios {
	uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
	uint8_t c_line;
	uint8_t c_cc[NCCS];
};
_Static_assert(sizeof(struct ktermios) == 36, "Linux's struct termios is 36 bytes");

struct winsize {
	uint16_t ws_row, ws_col, ws_xpixel, ws_ypixel;
};

static struct tty {
	struct spinlock lock;		/* the ring, termios, window size */
	char buf[TTY_BUF];
	uint32_t rpos, commit, wpos;
	struct ktermios tio;
	struct winsize ws;
	int session;			/* the session it controls, 0: none (proc_lock) */
	int fg_pgid;			/* its foreground process group, 0: none (proc_lock) */
} tty = {
	.lock = SPINLOCK_INIT("tty"),
	/* Linux's tty_std_termios: ICRNL IXON; OPOST ONLCR; B38400 CS8 CREAD HUPCL;
	 * ISIG ICANON ECHO ECHOE ECHOK ECHOCTL ECHOKE IEXTEN; intr ^C quit ^\
	 * erase ^? kill ^U eof ^D min 1 start ^Q stop ^S susp ^Z rprnt ^R
	 * discard ^O werase ^W lnext ^V. */
	.tio = {
		.c_iflag = 0x500, .c_oflag = 0x5, .c_cflag = 0x4bf, .c_lflag = 0x8a3b,
		.c_cc = { 3, 0x1c, 0x7f, 0x15, 4, 0, 1, 0, 0x11, 0x13, 0x1a, 0, 0x12, 0x0f,
			  0x17, 0x16, 0 },
	},
	.ws = { .ws_row = 24, .ws_col = 80 },
};

/* ---- output ---- */

/* Write N bytes to the port, "\n" as "\r\n" under OPOST|ONLCR. */
static void tty_out(const char *s, size_t n)
{
	uint32_t oflag = __atomic_load_n(&tty.tio.c_oflag, __ATOMIC_RELAXED);
	bool onlcr = (oflag & (OPOST | ONLCR)) == (OPOST | ONLCR);
	char out[128];
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (k + 2 > sizeof(out)) {
			console_write_raw(out, k);
			k = 0;
		}
		if (s[i] == '\n' && onlcr)
			out[k++] = '\r';
		out[k++] = s[i];
	}
	console_write_raw(out, k);
}

/* ---- input: the line discipline (tty.lock held) ---- */

static bool lflag(uint32_t bits)
{
	return tty.tio.c_lflag & bits;
}

/* C is the enabled special character IDX (0 disables one). */
static bool is_cc(char c, int idx)
{
	return tty.tio.c_cc[idx] && c == (char)tty.tio.c_cc[idx];
}

static bool is_ctrl(uint8_t u)
{
	return (u < 32 || u == 127) && u != '\n' && u != '\t';
}

/* Echo a byte as it was typed: a control byte as ^X under ECHOCTL. */
static void echo_char(char c)
{
	uint8_t u = (uint8_t)c;

	if (!lflag(ECHO))
		return;
	if (is_ctrl(u) && lflag(ECHOCTL)) {
		char s[2] = { '^', (char)(u == 127 ? '?' : u + '@') };
		tty_out(s, 2);
	} else {
		tty_out(&c, 1);
	}
}

/* Drop the last byte of the line being edited, rubbing it out on the
 * screen when echoing ("\b \b", twice for a ^X). */
static void erase_char(void)
{
	uint8_t u = (uint8_t)tty.buf[--tty.wpos % TTY_BUF];

	if (!lflag(ECHO))
		return;
	tty_out("\b \b", 3);
	if (is_ctrl(u) && lflag(ECHOCTL))
		tty_out("\b \b", 3);
}

/* VERASE (a byte), VWERASE (a word: the characters after the last
 * letters, digits or _, then those) or VKILL (the line), as Linux's
 * eraser(): without ECHOE the erase character is echoed instead of
 * rubbing out, and VKILL without all of ECHOK, ECHOE and ECHOKE echoes ^U
 * (and a newline with ECHOK). */
static void erase(char c)
{
	bool word = lflag(IEXTEN) && is_cc(c, VWERASE), seen_alnum = false;

	if (tty.wpos == tty.commit)
		return;
	if (is_cc(c, VERASE) && !lflag(ECHOE)) {
		tty.wpos--;
		echo_char(c);
		return;
	}
	if (is_cc(c, VKILL) && !(lflag(ECHOK) && lflag(ECHOE) && lflag(ECHOKE))) {
		tty.wpos = tty.commit;
		echo_char(c);
		if (lflag(ECHOK) && lflag(ECHO))
			tty_out("\n", 1);
		return;
	}
	while (tty.wpos != tty.commit) {
		char last = tty.buf[(tty.wpos - 1) % TTY_BUF];
		bool alnum = (last >= '0' && last <= '9') || ((last | 0x20) >= 'a' &&
			     (last | 0x20) <= 'z') || last == '_';
		if (word && !alnum && seen_alnum)
			break;
		seen_alnum |= alnum;
		erase_char();
		if (is_cc(c, VERASE))
			break;
	}
}

/* Append C if there is room, keeping ROOM bytes free for a line end. */
static bool put(char c, uint32_t room)
{
	if (tty.wpos - tty.rpos + room >= TTY_BUF)
		return false;
	tty.buf[tty.wpos++ % TTY_BUF] = c;
	return true;
}

static void commit(void)
{
	tty.commit = tty.wpos;
	poll_wakeup(&tty);
}

/* Canonical mode: edit the line, commit it at a line end. */
static void canonical_input(char c)
{
	if (is_cc(c, VERASE) || is_cc(c, VKILL) || (lflag(IEXTEN) && is_cc(c, VWERASE))) {
		erase(c);
	} else if (is_cc(c, VEOF)) {
		if (put(c, 0))
			commit();
	} else if (c == '\n' || is_cc(c, VEOL) || (lflag(IEXTEN) && is_cc(c, VEOL2))) {
		if (put(c, 0)) {
			if (c == '\n' && lflag(ECHONL) && !lflag(ECHO))
				tty_out("\n", 1);
			echo_char(c);
			commit();
		}
	} else if (put(c, 1)) {
		echo_char(c);
	}
}

/* The signal an ISIG character sends, or 0. */
static int isig_signal(char c)
{
	if (!lflag(ISIG))
		return 0;
	return is_cc(c, VINTR) ? SIGINT : is_cc(c, VQUIT) ? SIGQUIT : is_cc(c, VSUSP) ? SIGTSTP : 0;
}

/* One byte through the line discipline: the signal to send, or 0. */
static int receive(char c)
{
	uint32_t iflag = tty.tio.c_iflag;
	int sig;

	if (c == '\r' && (iflag & IGNCR))
		return 0;
	if (c == '\r' && (iflag & ICRNL))
		c = '\n';
	else if (c == '\n' && (iflag & INLCR))
		c = '\r';
	if ((sig = isig_signal(c))) {
		if (!lflag(NOFLSH))
			tty.rpos = tty.commit = tty.wpos;
		echo_char(c);
		return sig;
	}
	if (lflag(ICANON)) {
		canonical_input(c);
	} else if (put(c, 0)) {
		echo_char(c);
		commit();
	}
	return 0;
}

void tty_input(char c)
{
	spin_lock(&tty.lock);
	int sig = receive(c);
	spin_unlock(&tty.lock);
	int fg = __atomic_load_n(&tty.fg_pgid, __ATOMIC_RELAXED);
	if (sig && fg > 0)
		signal_send_group(fg, sig);
}

static void tty_irq(struct trapframe *tf)
{
	int c;

	(void)tf;
	while ((c = serial_getc(COM1)) >= 0)
		tty_input((char)c);
}

void tty_init(void)
{
	irq_register(4, tty_irq);
	serial_enable_rx_irq();
	tty_irq(NULL);		/* anything typed before now */
}

/* ---- sessions and job control (proc_lock held) ---- */

/* The tty is P's controlling terminal (Linux: p->signal->tty == tty). */
static bool is_ctty_locked(const struct proc *p)
{
	return p->has_ctty && tty.session && tty.session == p->sid;
}

static bool session_leader(const struct proc *p)
{
	return p->group_leader->pid == p->sid;
}

/* P's process becomes the tty's session; its group the foreground. */
static void set_ctty_locked(struct proc *p)
{
	tty.session = p->sid;
	tty.fg_pgid = p->pgid;
	for_each_thread(t, p->group_leader)
		t->has_ctty = true;
}

/* The tty leaves its session: no member keeps it (Linux session_clear_tty). */
static void clear_session_locked(void)
{
	for (struct proc *p = proc_table; p < proc_table + NPROC; p++)
		if (p->state != P_UNUSED && p->sid == tty.session)
			p->has_ctty = false;
	tty.session = tty.fg_pgid = 0;
}

/* The session leader gives the tty up (TIOCNOTTY, or its exit): SIGHUP and
 * SIGCONT to the foreground group, then the session loses the tty (Linux
 * disassociate_ctty). */
static void disassociate_locked(void)
{
	int fg = tty.fg_pgid;

	clear_session_locked();
	if (fg > 0) {
		signal_send_group_locked(fg, SIGHUP);
		signal_send_group_locked(fg, SIGCONT);
	}
}

void tty_session_exit_locked(struct proc *leader)
{
	if (leader->pid == leader->sid && tty.session == leader->sid)
		disassociate_locked();
}

void tty_ctty_of_locked(const struct proc *p, uint32_t *dev, int *tpgid)
{
	bool ctty = is_ctty_locked(p);

	*dev = ctty ? TTY_DEV_TTYS0 : 0;
	*tpgid = ctty && tty.fg_pgid ? tty.fg_pgid : -1;
}

/*
 * May the current process use the tty as SIG (SIGTTIN: read; SIGTTOU:
 * write with TOSTOP, change settings) says?  0 when it may: not its
 * controlling tty, or it is in the foreground group, or (SIGTTOU) it
 * ignores or blocks the signal.  -EIO when SIGTTIN is ignored or blocked
 * or the group is orphaned; else SIG goes to its process group and the
 * call returns -ERESTARTSYS, to run again once the group is continued
 * (Linux __tty_check_change).
 */
static long job_control(int sig)
{
	struct proc *me = current();
	long r = 0;

	spin_lock(&proc_lock);
	if (is_ctty_locked(me) && tty.fg_pgid && me->pgid != tty.fg_pgid) {
		if (signal_ignored_or_blocked(me, sig)) {
			r = sig == SIGTTIN ? -EIO : 0;
		} else if (pgrp_is_orphaned_locked(me->pgid)) {
			r = -EIO;
		} else {
			signal_send_group_locked(me->pgid, sig);
			r = -ERESTARTSYS;
		}
	}
	spin_unlock(&proc_lock);
	return r;
}

int tty_open(uint64_t rdev, int flags, void *priv, struct file **out)
{
	struct proc *me = current();
	bool ctty;

	spin_lock(&proc_lock);
	ctty = is_ctty_locked(me);
	if (!ctty && rdev == TTY_DEV_TTYS0 && !(flags & O_NOCTTY) &&
	    (flags & O_ACCMODE) != O_WRONLY && session_leader(me) && !me->has_ctty &&
	    !tty.session)
		set_ctty_locked(me);
	spin_unlock(&proc_lock);
	if (rdev == TTY_DEV_TTY && !ctty)
		return -ENXIO;
	*out = file_alloc(&tty_ops, flags & (O_ACCMODE | O_APPEND | O_NONBLOCK), priv);
	return *out ? 0 : -ENOMEM;
}

/* ---- reading and writing ---- */

/* Take up to MAX committed bytes into KBUF (tty.lock held): one line at most
 * in canonical mode, where an end-of-file mark is consumed, not returned. */
static size_t take(char *kbuf, size_t max)
{
	bool canon = lflag(ICANON);
	size_t got = 0;

	while (got < max && tty.rpos != tty.commit) {
		char c = tty.buf[tty.rpos++ % TTY_BUF];
		if (canon && is_cc(c, VEOF))
			break;
		kbuf[got++] = c;
		if (canon && (c == '\n' || is_cc(c, VEOL) || is_cc(c, VEOL2)))
			break;
	}
	return got;
}

/*
 * Read up to MAX bytes into KBUF (tty.lock held), waiting as Linux's
 * n_tty_read does: canonical, one line; raw with VMIN > 0, until VMIN bytes
 * (or MAX), and once one came, VTIME tenths of a second between bytes
 * (VTIME 0: no limit); raw with VMIN 0, whatever is there after waiting up
 * to VTIME for a first byte (VTIME 0: no wait).  The bytes read, or
 * -EAGAIN (O_NONBLOCK) or -ERESTARTSYS (a signal) when there are none.
 */
static long read_wait(struct file *f, char *kbuf, size_t max)
{
	bool canon = lflag(ICANON);
	uint64_t vtime = tty.tio.c_cc[VTIME] * 100000000UL, deadline = 0;
	size_t min = canon || !tty.tio.c_cc[VMIN] ? 1 : MIN(tty.tio.c_cc[VMIN], max);
	bool wait = canon || tty.tio.c_cc[VMIN] || vtime;
	size_t got = 0;

	if (!canon && !tty.tio.c_cc[VMIN] && vtime)
		deadline = time_ns() + vtime;
	for (;;) {
		bool queued = tty.rpos != tty.commit;
		size_t k = take(kbuf + got, max - got);
		got += k;
		if ((canon && queued) || got >= min || !wait)
			break;	/* a line, or an end-of-file mark, or enough */
		if (k && vtime && tty.tio.c_cc[VMIN])
			deadline = time_ns() + vtime;
		if (deadline && time_ns() >= deadline)
			break;
		if (f->flags & O_NONBLOCK)
			return got ? (long)got : -EAGAIN;
		if (signal_pending())
			return got ? (long)got : -ERESTARTSYS;
		sleep_until(&tty, &tty.lock, deadline);
	}
	return (long)got;
}

static long tty_read(struct file *f, uint64_t buf, size_t n, uint64_t *off)
{
	char kbuf[256];
	long r;

	(void)off;
	if ((r = job_control(SIGTTIN)))
		return r;
	if (n == 0)
		return 0;
	spin_lock(&tty.lock);
	r = read_wait(f, kbuf, MIN(n, sizeof(kbuf)));
	spin_unlock(&tty.lock);
	if (r > 0 && copy_to_user(buf, kbuf, (size_t)r))
		return -EFAULT;
	return r;
}

/*
 * Output goes to the serial port at its own pace (about 1.3 MB/s under TCG),
 * so a big write takes seconds: it yields between chunks (cond_resched) and
 * stops for a fatal signal, returning the bytes written or -EINTR.  With
 * TOSTOP a background process is stopped first (job_control).
 */
static long tty_write(struct file *f, uint64_t buf, size_t n, uint64_t *off)
{
	char kbuf[256];
	long r;

	(void)f, (void)off;
	if (lflag(TOSTOP) && (r = job_control(SIGTTOU)))
		return r;
	for (size_t done = 0; done < n;) {
		size_t k = MIN(n - done, sizeof(kbuf));
		if (fatal_signal_pending())
			return done ? (long)done : -EINTR;
		cond_resched();
		if (copy_from_user(kbuf, buf + done, k))
			return done ? (long)done : -EFAULT;
		tty_out(kbuf, k);
		done += k;
	}
	return (long)n;
}

/* Readable when a line is committed (canonical), or VMIN bytes are there
 * when VTIME is 0, else one (Linux n_tty_poll, input_available_p); output
 * never waits. */
static unsigned tty_poll(struct file *f, struct poll_table *pt)
{
	unsigned mask = POLLOUT | POLLWRNORM;

	(void)f;
	poll_wait(pt, &tty);
	spin_lock(&tty.lock);
	uint32_t need = 1;
	if (!lflag(ICANON) && !tty.tio.c_cc[VTIME] && tty.tio.c_cc[VMIN])
		need = tty.tio.c_cc[VMIN];
	if (tty.commit - tty.rpos >= need)
		mask |= POLLIN | POLLRDNORM;
	spin_unlock(&tty.lock);
	return mask;
}

/* ---- ioctls ---- */

static long put_int(uint64_t arg, int v)
{
	return copy_to_user(arg, &v, sizeof(v)) ? -EFAULT : 0;
}

/* Install new termios settings; TCSETSF also drops unread input (output
 * is never queued, so TCSETSW has nothing to wait for). */
static long set_termios(unsigned long cmd, uint64_t arg)
{
	struct ktermios t;

	if (copy_from_user(&t, arg, sizeof(t)))
		return -EFAULT;
	spin_lock(&tty.lock);
	tty.tio = t;
	if (cmd == TCSETSF)
		tty.rpos = tty.commit = tty.wpos;
	if (!(t.c_lflag & ICANON))
		tty.commit = tty.wpos;	/* a half-edited line becomes raw input */
	poll_wakeup(&tty);		/* VMIN, VTIME and ICANON change who is done */
	spin_unlock(&tty.lock);
	return 0;
}

static long get_termios(uint64_t arg)
{
	spin_lock(&tty.lock);
	struct ktermios t = tty.tio;
	spin_unlock(&tty.lock);
	return copy_to_user(arg, &t, sizeof(t)) ? -EFAULT : 0;
}

/* TCFLSH: TCIFLUSH (0) and TCIOFLUSH (2) drop unread input; TCOFLUSH (1)
 * has no queued output to drop. */
static long flush_input(uint64_t arg)
{
	if (arg > 2)
		return -EINVAL;
	spin_lock(&tty.lock);
	if (arg != 1)
		tty.rpos = tty.commit = tty.wpos;
	spin_unlock(&tty.lock);
	return 0;
}

/* TIOCSWINSZ: a new size sends SIGWINCH to the foreground group. */
static long set_winsize(uint64_t arg)
{
	struct winsize ws;

	if (copy_from_user(&ws, arg, sizeof(ws)))
		return -EFAULT;
	spin_lock(&tty.lock);
	bool changed = memcmp(&ws, &tty.ws, sizeof(ws)) != 0;
	tty.ws = ws;
	spin_unlock(&tty.lock);
	int fg = __atomic_load_n(&tty.fg_pgid, __ATOMIC_RELAXED);
	if (changed && fg > 0)
		signal_send_group(fg, SIGWINCH);
	return 0;
}

static long get_winsize(uint64_t arg)
{
	spin_lock(&tty.lock);
	struct winsize ws = tty.ws;
	spin_unlock(&tty.lock);
	return copy_to_user(arg, &ws, sizeof(ws)) ? -EFAULT : 0;
}

/* FIONREAD: the bytes a read could take now. */
static long input_queued(uint64_t arg)
{
	spin_lock(&tty.lock);
	int n = (int)(tty.commit - tty.rpos);
	spin_unlock(&tty.lock);
	return put_int(arg, n);
}

/* TIOCSPGRP (tcsetpgrp), in Linux tiocspgrp's order: from the background
 * SIGTTOU (its -EIO reads -ENOTTY), -ENOTTY unless it is our controlling
 * tty, -EFAULT, -EINVAL for a negative group, -ESRCH for a group with no
 * process, -EPERM for one in another session. */
static long set_pgrp(uint64_t arg)
{
	struct proc *me = current();
	long r = job_control(SIGTTOU);
	int pgid;

	if (r)
		return r == -EIO ? -ENOTTY : r;
	spin_lock(&proc_lock);
	if (!is_ctty_locked(me))
		r = -ENOTTY;
	else if (copy_from_user(&pgid, arg, sizeof(pgid)))
		r = -EFAULT;
	else if (pgid < 0)
		r = -EINVAL;
	else if (!pgrp_session_locked(pgid))
		r = -ESRCH;
	else if (pgrp_session_locked(pgid) != me->sid)
		r = -EPERM;
	else
		tty.fg_pgid = pgid;
	spin_unlock(&proc_lock);
	return r;
}

/* TIOCGPGRP and TIOCGSID: -ENOTTY unless it is our controlling tty. */
static long get_session_id(uint64_t arg, bool sid)
{
	spin_lock(&proc_lock);
	bool ctty = is_ctty_locked(current());
	int v = sid ? tty.session : tty.fg_pgid;
	spin_unlock(&proc_lock);
	return ctty ? put_int(arg, v) : -ENOTTY;
}

/* TIOCSCTTY: a session leader without a controlling tty takes this one;
 * with ARG 1 even from another session (root only on Linux: everyone is
 * root here).  Linux tiocsctty. */
static long set_ctty(uint64_t arg)
{
	struct proc *me = current();
	long r = 0;

	spin_lock(&proc_lock);
	if (session_leader(me) && tty.session == me->sid)
		r = 0;
	else if (!session_leader(me) || is_ctty_locked(me))
		r = -EPERM;
	else if (tty.session && arg != 1)
		r = -EPERM;
	else {
		if (tty.session)
			clear_session_locked();
		set_ctty_locked(me);
	}
	spin_unlock(&proc_lock);
	return r;
}

/* TIOCNOTTY: a session leader gives the tty up for the whole session;
 * another member only for its own process. */
static long drop_ctty(void)
{
	struct proc *me = current();
	long r = 0;

	spin_lock(&proc_lock);
	if (!is_ctty_locked(me))
		r = -ENOTTY;
	else if (session_leader(me))
		disassociate_locked();
	else
		for_each_thread(t, me->group_leader)
			t->has_ctty = false;
	spin_unlock(&proc_lock);
	return r;
}

/* TIOCSTI: a byte as if typed (Linux allows it to root on any tty). */
static long simulate_input(uint64_t arg)
{
	char c;

	if (copy_from_user(&c, arg, 1))
		return -EFAULT;
	tty_input(c);
	return 0;
}

/* The requests that change the tty's state: SIGTTOU from the background. */
static bool changes_tty(unsigned long cmd)
{
	return cmd == TCSETS || cmd == TCSETSW || cmd == TCSETSF || cmd == TCFLSH ||
	       cmd == TCSBRK || cmd == TCXONC;
}

static long tty_ioctl(struct file *f, unsigned long cmd, uint64_t arg)
{
	long r;

	(void)f;
	if (changes_tty(cmd) && (r = job_control(SIGTTOU)))
		return r;
	switch (cmd) {
	case TCGETS: return get_termios(arg);
	case TCSETS: case TCSETSW: case TCSETSF: return set_termios(cmd, arg);
	case TCFLSH: return flush_input(arg);
	case TCSBRK: return 0;
	case TCXONC: return arg > 3 ? -EINVAL : 0;
	case TIOCGWINSZ: return get_winsize(arg);
	case TIOCSWINSZ: return set_winsize(arg);
	case TIOCGPGRP: return get_session_id(arg, false);
	case TIOCSPGRP: return set_pgrp(arg);
	case TIOCGSID: return get_session_id(arg, true);
	case TIOCSCTTY: return set_ctty(arg);
	case TIOCNOTTY: return drop_ctty();
	case TIOCSTI: return simulate_input(arg);
	case FIONREAD: return input_queued(arg);
	case TIOCOUTQ: return put_int(arg, 0);
	default: return -ENOTTY;
	}
}

/* Every tty file is opened through /dev (dev_open, dev_open_console), so
 * its stat is that of the name it was opened by. */
static int tty_stat(struct file *f, struct stat *st)
{
	return dev_stat(f, st);
}

const struct file_ops tty_ops = {
	.read = tty_read, .write = tty_write, .ioctl = tty_ioctl, .stat = tty_stat,
	.poll = tty_poll,
};
