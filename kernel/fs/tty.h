/*
 * kernel/fs/tty.h - the console terminal on COM1: canonical line editing with
 * echo, Ctrl-C (SIGINT to the foreground process group), Ctrl-D (end of
 * file), and the ioctls a shell and musl's isatty()/tcgetattr() use.
 */
#pragma once
#include "kernel/fs/file.h"

/* The file_ops of /dev/console, /dev/tty and descriptors 0-2 of init. */
extern const struct file_ops tty_ops;

/* At boot, after the PIC and idt_init: take COM1's receive interrupt (IRQ 4). */
void tty_init(void);
/* One received byte through the line discipline (the IRQ handler's work;
 * callable from anywhere, e.g. tests). */
void tty_input(char c);
/* The foreground process group that Ctrl-C signals (TIOCSPGRP sets it). */
int tty_foreground(void);
