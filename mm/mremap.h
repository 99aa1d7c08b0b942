/*
 * mm/mremap.h - mremap on an address space (mm/mremap.c tells how): the
 * system call's work, callable for any space, so that the self-tests can
 * run it on one of their own.
 */
#pragma once
#include "kernel/lib.h"

#define MREMAP_MAYMOVE 1
#define MREMAP_FIXED 2
#define MREMAP_DONTUNMAP 4

struct vmspace;

/* mremap(2) on VM, which must not be locked by the caller (its mmap_lock is
 * taken for writing here): the mapping's new address, or -EINVAL, -EFAULT,
 * -ENOMEM or -EPERM as Linux answers (mm/mremap.c's opening comment). */
long vm_mremap(struct vmspace *vm, uint64_t old_addr, size_t old_len, size_t new_len, int flags,
	       uint64_t new_addr);
