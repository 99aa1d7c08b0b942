/*
 * kernel/cmdline.h - the kernel command line (DESIGN.md §3).
 * Words are separated by spaces; a word is `key` or `key=value`.  `init=`
 * takes the rest of the line: the program and its arguments.
 */
#pragma once
#include "kernel/lib.h"

void cmdline_init(const char *line);
/* True when KEY appears, with or without a value. */
bool cmdline_has(const char *key);
/* The value of KEY (up to the next space; for init=, to the end), or NULL. */
const char *cmdline_value(const char *key, size_t *len);
/* Boolean switch such as cow_fork=0|1: DEFAULT when absent or malformed. */
bool cmdline_bool(const char *key, bool def);
