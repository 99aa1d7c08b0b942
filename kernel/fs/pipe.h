/*
 * kernel/fs/pipe.h - pipes: a one-page ring buffer between a read end and a
 * write end (kernel/fs/pipe.c).
 */
#pragma once
#include "kernel/fs/file.h"

#define PIPE_BUF 4096		/* writes up to this size are atomic */

/* Make a pipe: *RD (O_RDONLY) and *WR (O_WRONLY) ends, each with O_NONBLOCK
 * if FLAGS has it.  0 or -ENOMEM. */
int pipe_create(int flags, struct file **rd, struct file **wr);
