/*
 * kernel/fs/memfd.c - memfd_create, an anonymous in-memory file (the usual
 * way for processes to share memory: pass the fd, or inherit it, and mmap
 * it MAP_SHARED), and file sealing (fcntl F_ADD_SEALS, F_GET_SEALS).
 *
 * The file is an unlinked tmpfs file (shmem_file_new, kernel/fs/tmpfs.c),
 * the same kind MAP_SHARED|MAP_ANONYMOUS makes: its data are page-cache
 * frames (mm/pagecache.c), it starts empty (ftruncate gives it a size) and
 * lives until its last descriptor and mapping are gone.  /proc/PID/fd shows
 * it as "/memfd:NAME (deleted)", as Linux does.
 *
 * Seals (Linux mm/memfd.c) let the file's owner promise a receiver that the
 * file will not change under it: F_SEAL_SHRINK and F_SEAL_GROW fix the
 * size (truncate, a write past the end: -EPERM), F_SEAL_WRITE forbids
 * writes and writable shared mappings (and cannot be added while one
 * exists: -EBUSY), F_SEAL_FUTURE_WRITE the same but spares the shared
 * mappings made before it, F_SEAL_EXEC fixes the execute bits, and
 * F_SEAL_SEAL forbids further seals.  Every file carries F_SEAL_SEAL
 * (inode_new) except a memfd made with MFD_ALLOW_SEALING.  The checks are
 * made here (memfd_check_*) and called from the paths that change a file:
 * write (tmpfs.c), truncate and chmod (sys_tree.c), mmap (mm/sys_mm.c).
 * The count of shared mappings that may write (inode.mmap_writable, Linux's
 * i_mmap_writable) is kept by the regions (mm/region.c) through
 * inode_map_writable and inode_unmap_writable.
 */
#include "kernel/fs/memfd.h"
#include "kernel/errno.h"
#include "kernel/fs/file.h"
#include "kernel/fs/fs.h"
#include "kernel/fs/tmpfs.h"
#include "kernel/rwsem.h"
#include "kernel/syscall.h"
#include "kernel/uaccess.h"
#include "mm/layout.h"
#include "mm/vmspace.h"

/* memfd_create flags (Linux include/uapi/linux/memfd.h) */
#define MFD_CLOEXEC 0x1U
#define MFD_ALLOW_SEALING 0x2U
#define MFD_HUGETLB 0x4U
#define MFD_NOEXEC_SEAL 0x8U
#define MFD_EXEC 0x10U
/* the longest NAME: NAME_MAX less the "memfd:" prefix (Linux mm/memfd.c) */
#define MFD_NAME_PREFIX "/memfd:"
#define MFD_NAME_MAX_LEN (NAME_MAX - 6)

#define F_ALL_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | \
		     F_SEAL_FUTURE_WRITE | F_SEAL_EXEC)
#define WRITE_SEALS (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)

/* The seals a new memfd starts with, and its mode, for FLAGS (Linux's
 * memfd_create: MFD_NOEXEC_SEAL clears the execute bits and seals them,
 * and allows further seals; MFD_EXEC keeps the default 0777). */
static void memfd_init(struct inode *inode, unsigned flags)
{
	if (flags & MFD_NOEXEC_SEAL) {
		inode->mode &= ~0111U;
		inode->seals = F_SEAL_EXEC;
	} else if (flags & MFD_ALLOW_SEALING) {
		inode->seals = 0;
	}
}

/*
 * memfd_create(2): a new descriptor, or -EINVAL for an unknown flag,
 * MFD_HUGETLB (no huge pages here), MFD_EXEC with MFD_NOEXEC_SEAL, or a NAME
 * longer than MFD_NAME_MAX_LEN (249) bytes; -EFAULT for an unreadable NAME,
 * -EMFILE, -ENOMEM; checked in Linux's order (flags first).
 */
long sys_memfd_create(uint64_t uname, unsigned flags)
{
	char path[sizeof(MFD_NAME_PREFIX) + MFD_NAME_MAX_LEN] = MFD_NAME_PREFIX;
	size_t prefix = sizeof(MFD_NAME_PREFIX) - 1;
	struct file *f;

	if ((flags & ~(MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL | MFD_EXEC)) ||
	    ((flags & MFD_EXEC) && (flags & MFD_NOEXEC_SEAL)))
		return -EINVAL;
	long len = strncpy_from_user(path + prefix, uname, MFD_NAME_MAX_LEN + 1);
	if (len < 0)
		return len == -ENAMETOOLONG ? -EINVAL : len;
	long r = shmem_file_new(path, 0, &f);
	if (r)
		return r;
	memfd_init(f->inode, flags);	/* no one else sees it yet */
	r = fd_alloc(f, 0, flags & MFD_CLOEXEC ? FD_CLOEXEC : 0);
	if (r < 0)
		file_put(f);
	return r;
}

int inode_map_writable(struct inode *inode)
{
	int v = __atomic_load_n(&inode->mmap_writable, __ATOMIC_RELAXED);

	do {
		if (v < 0)
			return -EPERM;
	} while (!__atomic_compare_exchange_n(&inode->mmap_writable, &v, v + 1, false,
					      __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
	return 0;
}

void inode_unmap_writable(struct inode *inode)
{
	__atomic_sub_fetch(&inode->mmap_writable, 1, __ATOMIC_ACQ_REL);
}

/* F_SEAL_WRITE's hold on INODE: no shared mapping may write from now on.
 * -EBUSY while one may (Linux mapping_deny_writable). */
static int deny_writable(struct inode *inode)
{
	int v = __atomic_load_n(&inode->mmap_writable, __ATOMIC_RELAXED);

	do {
		if (v > 0)
			return -EBUSY;
	} while (!__atomic_compare_exchange_n(&inode->mmap_writable, &v, v - 1, false,
					      __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
	return 0;
}

/* F_ADD_SEALS with fs_tree held for writing (Linux memfd_add_seals). */
static long add_seals(struct inode *inode, unsigned seals)
{
	int r;

	if (inode->seals & F_SEAL_SEAL)
		return -EPERM;
	if ((seals & F_SEAL_WRITE) && !(inode->seals & F_SEAL_WRITE) &&
	    (r = deny_writable(inode)))
		return r;
	/* an executable file sealed against exec changes is sealed against
	 * writes too: W^X from the start (Linux) */
	if ((seals & F_SEAL_EXEC) && (inode->mode & 0111))
		seals |= F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE;
	inode->seals |= seals;
	return 0;
}

long memfd_fcntl(struct file *f, int cmd, uint64_t arg)
{
	struct inode *inode = tmpfs_file_inode(f);
	unsigned seals = (unsigned)arg;
	long r;

	if (cmd == F_GET_SEALS)
		return inode ? (long)__atomic_load_n(&inode->seals, __ATOMIC_RELAXED) : -EINVAL;
	if (!file_writable(f))
		return -EPERM;
	if ((seals & ~F_ALL_SEALS) || !inode)
		return -EINVAL;
	down_write(&fs_tree);
	r = add_seals(inode, seals);
	up_write(&fs_tree);
	return r;
}

long memfd_write_limit(const struct inode *inode, uint64_t off, size_t n)
{
	if (!n)
		return 0;
	if (inode->seals & WRITE_SEALS)
		return -EPERM;
	if (!(inode->seals & F_SEAL_GROW) || off + n <= inode->size)
		return (long)n;
	/* Linux writes page by page and stops at the first page that would
	 * grow the file: the whole pages below the end are written */
	uint64_t end = ALIGN_DOWN(inode->size, PAGE_SIZE);
	return end > off ? (long)(end - off) : -EPERM;
}

int memfd_check_resize(const struct inode *inode, uint64_t size)
{
	if ((size < inode->size && (inode->seals & F_SEAL_SHRINK)) ||
	    (size > inode->size && (inode->seals & F_SEAL_GROW)))
		return -EPERM;
	return 0;
}

int memfd_check_chmod(const struct inode *inode, uint32_t mode)
{
	return (inode->seals & F_SEAL_EXEC) && ((inode->mode ^ mode) & 0111) ? -EPERM : 0;
}

int memfd_check_mmap(const struct file *f, bool shared, int prot, bool *maywrite)
{
	bool sealed = __atomic_load_n(&f->inode->seals, __ATOMIC_RELAXED) & WRITE_SEALS;

	if (shared && sealed && (prot & PROT_WRITE))
		return -EPERM;
	*maywrite = shared && file_writable(f) && !sealed;
	return 0;
}
