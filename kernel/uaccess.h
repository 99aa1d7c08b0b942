/*
 * kernel/uaccess.h - copying to and from user memory.
 *
 * Every user pointer a syscall gets goes through these.  They check that the
 * range lies in the user half, then copy with instructions that have entries
 * in the exception table: if the copy faults and the fault handler cannot
 * make the page present (unmapped, or not writable), the copy stops and the
 * function returns -EFAULT instead of panicking.  Kernel writes to a
 * copy-on-write page take the same fault path as user writes (CR0.WP).
 */
#pragma once
#include "kernel/lib.h"

int copy_from_user(void *dst, uint64_t usrc, size_t n);
int copy_to_user(uint64_t udst, const void *src, size_t n);
/* Copy a NUL-terminated string of at most MAX-1 bytes; returns its length,
 * -EFAULT, or -ENAMETOOLONG. */
long strncpy_from_user(char *dst, uint64_t usrc, size_t max);
/* True when [addr, addr+n) is inside the user half (no overflow). */
bool user_range_ok(uint64_t addr, size_t n);
/* Find the fix-up address for a faulting kernel RIP, or 0 (mm/fault.c). */
uint64_t extable_fixup(uint64_t rip);
