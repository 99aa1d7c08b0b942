/*
 * kernel/fs/memfd.c - memfd_create: an anonymous in-memory file.
 */
#include "kernel/errno.h"
#include "kernel/syscall.h"

long sys_memfd_create(uint64_t uname, unsigned flags)
{
	(void)uname, (void)flags;
	return -ENOSYS;
}
