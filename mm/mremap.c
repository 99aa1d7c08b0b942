/*
 * mm/mremap.c - mremap: grow, shrink or move a mapping.
 */
#include "kernel/errno.h"
#include "kernel/syscall.h"

long sys_mremap(uint64_t old_addr, size_t old_len, size_t new_len, int flags, uint64_t new_addr)
{
	(void)old_addr, (void)old_len, (void)new_len, (void)flags, (void)new_addr;
	return -ENOSYS;
}
