/*
 * kernel/fs/memfd.c - memfd_create: an anonymous in-memory file, the usual
 * way for processes to share memory (pass the fd, or inherit it, and mmap
 * it MAP_SHARED).
 *
 * The file is an unlinked tmpfs file (shmem_file_new, kernel/fs/tmpfs.c),
 * the same kind MAP_SHARED|MAP_ANONYMOUS makes: its data are page-cache
 * frames (mm/pagecache.c), it starts empty (ftruncate gives it a size) and
 * lives until its last descriptor and mapping are gone.  /proc/PID/fd shows
 * it as "/memfd:NAME (deleted)", as Linux does.
 *
 * File sealing (MFD_ALLOW_SEALING, fcntl F_ADD_SEALS / F_GET_SEALS) is not
 * implemented: MFD_ALLOW_SEALING and MFD_NOEXEC_SEAL, which implies it, are
 * refused with EINVAL rather than accepted and then not enforced.
 */
#include "kernel/errno.h"
#include "kernel/fs/file.h"
#include "kernel/fs/tmpfs.h"
#include "kernel/syscall.h"
#include "kernel/uaccess.h"

/* memfd_create flags (Linux include/uapi/linux/memfd.h) */
#define MFD_CLOEXEC 0x1U
#define MFD_ALLOW_SEALING 0x2U
#define MFD_HUGETLB 0x4U
#define MFD_NOEXEC_SEAL 0x8U
#define MFD_EXEC 0x10U
/* the longest NAME: NAME_MAX less the "memfd:" prefix (Linux mm/memfd.c) */
#define MFD_NAME_PREFIX "/memfd:"
#define MFD_NAME_MAX_LEN (NAME_MAX - 6)

/*
 * memfd_create(2): a new descriptor, or -EINVAL for flags other than
 * MFD_CLOEXEC and MFD_EXEC (MFD_HUGETLB: no huge pages here; sealing: see
 * above) or a NAME longer than MFD_NAME_MAX_LEN (249) bytes, -EFAULT for an
 * unreadable NAME, -EMFILE, -ENOMEM; checked in Linux's order (flags first).
 */
long sys_memfd_create(uint64_t uname, unsigned flags)
{
	char path[sizeof(MFD_NAME_PREFIX) + MFD_NAME_MAX_LEN] = MFD_NAME_PREFIX;
	size_t prefix = sizeof(MFD_NAME_PREFIX) - 1;
	struct file *f;

	if (flags & ~(MFD_CLOEXEC | MFD_EXEC))
		return -EINVAL;
	long len = strncpy_from_user(path + prefix, uname, MFD_NAME_MAX_LEN + 1);
	if (len < 0)
		return len == -ENAMETOOLONG ? -EINVAL : len;
	long r = shmem_file_new(path, 0, &f);
	if (r)
		return r;
	r = fd_alloc(f, 0, flags & MFD_CLOEXEC ? FD_CLOEXEC : 0);
	if (r < 0)
		file_put(f);
	return r;
}
