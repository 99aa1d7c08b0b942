/*
 * kernel/exec.h - replacing a process's program (execve) with an ELF file.
 */
#pragma once

struct proc;

/* Load PATH (kernel strings for path, argv and envp) into a new address space
 * and, only when everything succeeded, install it in P with registers set to
 * start the program.  On failure P is untouched and nothing is leaked. */
int exec_into(struct proc *p, const char *path, char *const argv[], char *const envp[]);
