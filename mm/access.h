/*
 * mm/access.h - reading and writing another address space (Linux's
 * access_remote_vm): /proc/PID/mem and exec's new stack.
 */
#pragma once
#include "kernel/lib.h"

struct vmspace;

/* gup_flags, Linux's values (include/linux/mm.h) */
#define FOLL_WRITE 0x01		/* write BUF into the address space */
#define FOLL_FORCE 0x10		/* whatever the protection (ptrace, /proc/PID/mem) */

/*
 * access_remote_vm: copy LEN bytes between BUF (kernel memory) and user
 * address ADDR of VM, which need not be the current address space; the
 * caller keeps VM alive (vmspace_get).  Pages are faulted in as a user
 * access would (vm_fault), FOLL_FORCE as /proc/PID/mem does (FAULT_FORCE).
 * Returns the bytes copied: fewer than LEN when the access stops at a page
 * it may not reach, 0 when the first one is; then *ERR (unless ERR is NULL)
 * says why: -EFAULT (no region, not allowed) or -ENOMEM (no frame).  It
 * never yields, but may sleep for VM's mmap_lock (held for reading while it
 * runs).  Linux: mm/memory.c __access_remote_vm.
 */
size_t access_remote_vm(struct vmspace *vm, uint64_t addr, void *buf, size_t len, int gup_flags,
			int *err);
