/*
 * kernel/fs/tty.c - the console tty: COM1 input through a line discipline,
 * output straight to the serial port.
 *
 * Bytes arrive by interrupt (IRQ 4) and go through tty_input(), which keeps
 * one 4 KiB ring.  The ring has three positions, all free-running counters:
 *
 *     rpos <= commit <= wpos      [rpos, commit) readers may take,
 *                                 [commit, wpos) is the line being edited.
 *
 * In canonical mode (ICANON, the default) a line becomes readable when Enter
 * or Ctrl-D (VEOF) ends it; Ctrl-D is kept in the ring as an end-of-line
 * mark that read() consumes but does not return, so Ctrl-D at the start of a
 * line makes read() return 0 (end of file).  Backspace/DEL erases one byte,
 * Ctrl-U the whole line, Ctrl-C (with ISIG) drops the line and sends SIGINT
 * to the foreground process group.  With ICANON cleared every byte is
 * readable at once (VMIN 0 makes read() not wait).  Input that does not fit
 * is dropped.  Readers sleep on &tty and are woken when data is committed.
 *
 * The termios ioctls use the kernel's struct termios (36 bytes: the four
 * flag words, c_line, c_cc[19]), exactly what Linux copies for TCGETS;
 * musl's 60-byte struct termios starts with the same fields.
 */
#include "kernel/fs/tty.h"
#include "kernel/errno.h"
#include "kernel/fs/fs.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "kernel/x86/serial.h"
#include "kernel/signal.h"
#include "kernel/spinlock.h"
#include "kernel/x86/trap.h"
#include "kernel/uaccess.h"

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
#define TIOCGWINSZ 0x5413
#define TIOCSWINSZ 0x5414
#define FIONREAD 0x541B
#define TIOCNOTTY 0x5422

/* termios bits and c_cc indexes */
#define ICRNL 0000400
#define ISIG 0000001
#define ICANON 0000002
#define ECHO 0000010
#define ECHOCTL 0001000
enum { VINTR = 0, VQUIT = 1, VERASE = 2, VKILL = 3, VEOF = 4, VTIME = 5, VMIN = 6, NCCS = 19 };

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
	struct spinlock lock;
	char buf[TTY_BUF];
	uint32_t rpos, commit, wpos;
	struct ktermios tio;
	struct winsize ws;
	int fg_pgid;
} tty = {
	.lock = SPINLOCK_INIT("tty"),
	/* Linux's tty_std_termios: ICRNL IXON; OPOST ONLCR; B38400 CS8 CREAD HUPCL;
	 * ISIG ICANON ECHO ECHOE ECHOK ECHOCTL ECHOKE IEXTEN. */
	.tio = {
		.c_iflag = 0x500, .c_oflag = 0x5, .c_cflag = 0x4bf, .c_lflag = 0x8a3b,
		.c_cc = { 3, 0x1c, 0x7f, 0x15, 4, 0, 1, 0, 0x11, 0x13, 0x1a, 0, 0x12, 0x0f,
			  0x17, 0x16, 0 },
	},
	.ws = { .ws_row = 24, .ws_col = 80 },
	.fg_pgid = 1,
};

/* ---- input: the line discipline (tty.lock held) ---- */

static void echo(const char *s, size_t n)
{
	if (tty.tio.c_lflag & ECHO)
		console_write(s, n);
}

/* Echo a byte: control bytes as ^X with ECHOCTL (tab and newline as they are). */
static void echo_char(char c)
{
	uint8_t u = (uint8_t)c;

	if ((u < 32 || u == 127) && c != '\n' && c != '\t' && (tty.tio.c_lflag & ECHOCTL)) {
		char s[2] = { '^', (char)(u == 127 ? '?' : u + '@') };
		echo(s, 2);
	} else {
		echo(&c, 1);
	}
}

/* Erase the last byte of the line being edited, if any. */
static void erase_char(void)
{
	if (tty.wpos == tty.commit)
		return;
	uint8_t u = (uint8_t)tty.buf[--tty.wpos % TTY_BUF];
	echo("\b \b", 3);
	if ((u < 32 || u == 127) && u != '\t' && (tty.tio.c_lflag & ECHOCTL))
		echo("\b \b", 3);
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
	wakeup(&tty);
}

/* Canonical mode: edit the line, commit it at a line end. */
static void canonical_input(char c)
{
	const uint8_t *cc = tty.tio.c_cc;

	if (c == (char)cc[VERASE] || c == '\b') {
		erase_char();
	} else if (c == (char)cc[VKILL]) {
		while (tty.wpos != tty.commit)
			erase_char();
	} else if (c == (char)cc[VEOF]) {
		if (put(c, 0))
			commit();
	} else if (c == '\n') {
		if (put(c, 0)) {
			echo("\n", 1);
			commit();
		}
	} else if (put(c, 1)) {
		echo_char(c);
	}
}

void tty_input(char c)
{
	int sig = 0, pgid;

	spin_lock(&tty.lock);
	if (c == '\r' && (tty.tio.c_iflag & ICRNL))
		c = '\n';
	if ((tty.tio.c_lflag & ISIG) && (c == (char)tty.tio.c_cc[VINTR] ||
					 c == (char)tty.tio.c_cc[VQUIT])) {
		sig = c == (char)tty.tio.c_cc[VINTR] ? SIGINT : SIGQUIT;
		tty.wpos = tty.commit;
		echo_char(c);
		echo("\n", 1);
	} else if (tty.tio.c_lflag & ICANON) {
		canonical_input(c);
	} else if (put(c, 0)) {
		echo_char(c);
		commit();
	}
	pgid = tty.fg_pgid;
	spin_unlock(&tty.lock);
	if (sig)
		signal_send_group(pgid, sig);
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

int tty_foreground(void)
{
	return tty.fg_pgid;
}

/* ---- file operations ---- */

/* Take up to MAX committed bytes into KBUF (tty.lock held): one line at most
 * in canonical mode, where an end-of-file mark is consumed, not returned. */
static size_t take(char *kbuf, size_t max)
{
	bool canon = tty.tio.c_lflag & ICANON;
	size_t got = 0;

	while (got < max && tty.rpos != tty.commit) {
		char c = tty.buf[tty.rpos++ % TTY_BUF];
		if (canon && c == (char)tty.tio.c_cc[VEOF])
			break;
		kbuf[got++] = c;
		if (canon && c == '\n')
			break;
	}
	return got;
}

/* Wait for committed input (tty.lock held): 1 when there is some, 0 for a
 * raw-mode read with VMIN 0 (no waiting), or -EAGAIN / -ERESTARTSYS. */
static long wait_input(struct file *f)
{
	while (tty.rpos == tty.commit) {
		if (!(tty.tio.c_lflag & ICANON) && tty.tio.c_cc[VMIN] == 0)
			return 0;
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		if (signal_pending())
			return -ERESTARTSYS;
		sleep_on(&tty, &tty.lock);
	}
	return 1;
}

static long tty_read(struct file *f, uint64_t buf, size_t n, uint64_t *off)
{
	char kbuf[256];
	size_t got = 0;

	(void)off;
	if (n == 0)
		return 0;
	spin_lock(&tty.lock);
	long r = wait_input(f);
	if (r > 0)
		got = take(kbuf, MIN(n, sizeof(kbuf)));
	spin_unlock(&tty.lock);
	if (r <= 0)
		return r;
	if (got && copy_to_user(buf, kbuf, got))
		return -EFAULT;
	return (long)got;
}

/*
 * Output goes to the serial port at its own pace (about 1.3 MB/s under TCG),
 * so a big write takes seconds: it yields between chunks (cond_resched) and
 * stops for a fatal signal, returning the bytes written or -EINTR.
 */
static long tty_write(struct file *f, uint64_t buf, size_t n, uint64_t *off)
{
	char kbuf[256];

	(void)f, (void)off;
	for (size_t done = 0; done < n;) {
		size_t k = MIN(n - done, sizeof(kbuf));
		if (fatal_signal_pending())
			return done ? (long)done : -EINTR;
		cond_resched();
		if (copy_from_user(kbuf, buf + done, k))
			return done ? (long)done : -EFAULT;
		console_write(kbuf, k);
		done += k;
	}
	return (long)n;
}

/* Install new termios settings; TCSETSF also drops unread input. */
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
		commit();	/* a half-edited line becomes raw input */
	spin_unlock(&tty.lock);
	return 0;
}

static long flush_input(uint64_t arg)
{
	if (arg > 2)
		return -EINVAL;
	spin_lock(&tty.lock);
	if (arg != 1)		/* TCIFLUSH or TCIOFLUSH */
		tty.rpos = tty.commit = tty.wpos;
	spin_unlock(&tty.lock);
	return 0;
}

static long put_int(uint64_t arg, int v)
{
	return copy_to_user(arg, &v, sizeof(v)) ? -EFAULT : 0;
}

static long tty_ioctl(struct file *f, unsigned long cmd, uint64_t arg)
{
	int v;

	(void)f;
	switch (cmd) {
	case TCGETS:
		return copy_to_user(arg, &tty.tio, sizeof(tty.tio)) ? -EFAULT : 0;
	case TCSETS:
	case TCSETSW:
	case TCSETSF:
		return set_termios(cmd, arg);
	case TIOCGWINSZ:
		return copy_to_user(arg, &tty.ws, sizeof(tty.ws)) ? -EFAULT : 0;
	case TIOCSWINSZ:
		return copy_from_user(&tty.ws, arg, sizeof(tty.ws)) ? -EFAULT : 0;
	case TIOCGPGRP:
		return put_int(arg, tty.fg_pgid);
	case TIOCSPGRP:
		if (copy_from_user(&v, arg, sizeof(v)))
			return -EFAULT;
		if (v <= 0)
			return -EINVAL;
		tty.fg_pgid = v;
		return 0;
	case FIONREAD:
		return put_int(arg, (int)(tty.commit - tty.rpos));
	case TIOCOUTQ:
		return put_int(arg, 0);
	case TCFLSH:
		return flush_input(arg);
	case TCSBRK:
	case TCXONC:
	case TIOCSCTTY:
	case TIOCNOTTY:
		return 0;
	default:
		return -ENOTTY;
	}
}

static int tty_stat(struct file *f, struct stat *st)
{
	(void)f;
	fs_fill_stat(st, S_IFCHR | 0620, fs_path_ino("/dev/console"), 0, (5 << 8) | 1);
	return 0;
}

const struct file_ops tty_ops = {
	.read = tty_read, .write = tty_write, .ioctl = tty_ioctl, .stat = tty_stat,
};
