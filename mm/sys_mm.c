/*
 * mm/sys_mm.c - memory system calls: brk, mmap, munmap, mprotect, madvise,
 * msync.  They only edit regions (mm/vmspace.c); pages appear on first
 * touch (mm/fault.c).
 *
 * mmap makes four kinds of mapping, as Linux does:
 *   MAP_PRIVATE | MAP_ANONYMOUS   REGION_ANON: zero pages, copied on write
 *   MAP_PRIVATE of a tmpfs file   REGION_FILE: the page-cache frames,
 *                                 read-only + copy-on-write (a write makes a
 *                                 private copy: the file is unchanged)
 *   MAP_SHARED of a tmpfs file    REGION_FILE + shared: the page-cache frames
 *                                 themselves, writable: stores reach the file
 *   MAP_SHARED | MAP_ANONYMOUS    the same, on a new unlinked tmpfs file of
 *                                 the mapping's size ("/dev/zero (deleted)",
 *                                 Linux's shmem_zero_setup), so fork's
 *                                 children share it
 */
#include "kernel/errno.h"
#include "kernel/fs/file.h"
#include "kernel/fs/fs.h"
#include "kernel/fs/memfd.h"
#include "kernel/fs/procfs.h"
#include "kernel/fs/tmpfs.h"
#include "kernel/proc.h"
#include "kernel/syscall.h"
#include "mm/commit.h"
#include "mm/layout.h"
#include "mm/pagecache.h"
#include "mm/vm.h"
#include "mm/vmspace.h"

#define MAP_SHARED 0x01
#define MAP_PRIVATE 0x02
#define MAP_FIXED 0x10
#define MAP_GROWSDOWN 0x100
#define MAP_ANONYMOUS 0x20
#define MAP_NORESERVE 0x4000
#define MAP_POPULATE 0x8000
#define MAP_FIXED_NOREPLACE 0x100000
#define MAP_SHARED_VALIDATE 0x03
#define MAP_TYPE 0x0f
/* The flags MAP_SHARED_VALIDATE knows (Linux's LEGACY_MAP_MASK: 32BIT,
 * ABOVE4G, GROWSDOWN, DENYWRITE, EXECUTABLE, LOCKED, NONBLOCK, STACK,
 * HUGETLB, UNINITIALIZED, the huge page sizes); other bits are ignored with
 * MAP_SHARED and MAP_PRIVATE, refused with MAP_SHARED_VALIDATE. */
#define MAP_LEGACY (MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | 0x40 | 0x80 | \
		    MAP_GROWSDOWN | 0x800 | 0x1000 | 0x2000 | MAP_NORESERVE | MAP_POPULATE | \
		    0x10000 | 0x20000 | 0x40000 | 0x4000000 | 0xfc000000)

#define MADV_NORMAL 0
#define MADV_RANDOM 1
#define MADV_SEQUENTIAL 2
#define MADV_WILLNEED 3
#define MADV_DONTNEED 4
#define MADV_FREE 8
#define MADV_DONTFORK 10
#define MADV_DOFORK 11
#define MADV_MERGEABLE 12
#define MADV_UNMERGEABLE 13
#define MADV_HUGEPAGE 14
#define MADV_NOHUGEPAGE 15
#define MADV_DONTDUMP 16
#define MADV_DODUMP 17
#define MADV_WIPEONFORK 18
#define MADV_KEEPONFORK 19
#define MADV_COLD 20
#define MADV_PAGEOUT 21

#define PROT_SEM 0x8

static bool page_aligned(uint64_t a)
{
	return (a & (PAGE_SIZE - 1)) == 0;
}

/* Can brk grow region R in place?  Only a heap region that still has the
 * heap's own attributes: after mprotect or madvise changed its end, the new
 * heap is a region of its own (Linux: do_brk_flags extends a vma only when
 * its flags are those brk would give). */
static bool brk_can_extend(const struct region *r, uint64_t old_end)
{
	return r && r->kind == REGION_HEAP && r->end == old_end &&
	       r->prot == (PROT_READ | PROT_WRITE) && !r->dontfork && !r->wipeonfork &&
	       !r->mergeable;
}

static long do_brk(struct vmspace *vm, uint64_t addr)
{
	uint64_t old_end = ALIGN_UP(vm->brk, PAGE_SIZE), new_end = ALIGN_UP(addr, PAGE_SIZE);

	if (addr < vm->heap_start || addr >= USER_MMAP_TOP)
		return (long)vm->brk;
	if (new_end > old_end) {
		struct region *heap = region_find(vm, old_end - 1);
		if (!vm_range_free(vm, old_end, new_end))
			return (long)vm->brk;
		if (brk_can_extend(heap, old_end)) {
			if (region_extend(vm, heap, new_end))
				return (long)vm->brk;
		} else {
			struct region r = { .start = old_end, .end = new_end, .account = true,
					    .prot = PROT_READ | PROT_WRITE, .kind = REGION_HEAP };
			if (region_add(vm, &r))
				return (long)vm->brk;
			region_merge_range(vm, old_end, new_end);
		}
	} else if (new_end < old_end && vm_unmap(vm, new_end, old_end)) {
		return (long)vm->brk;
	}
	vm->brk = addr;
	return (long)addr;
}

long sys_brk(uint64_t addr)
{
	struct vmspace *vm = current()->vm;

	down_write(&vm->mmap_lock);
	long ret = do_brk(vm, addr);
	up_write(&vm->mmap_lock);
	return ret;
}

/* Where a new mapping of LEN bytes goes, or a negative errno. */
static long place_mapping(struct vmspace *vm, uint64_t addr, uint64_t len, int flags)
{
	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
		if (!page_aligned(addr))
			return -EINVAL;
		if (addr < USER_MIN_ADDR || addr >= USER_END || len > USER_END - addr)
			return -ENOMEM;
		if (!vm_range_free(vm, addr, addr + len)) {
			if (flags & MAP_FIXED_NOREPLACE)
				return -EEXIST;
			if (vm_unmap(vm, addr, addr + len))
				return -ENOMEM;
		}
		return (long)addr;
	}
	if (addr && page_aligned(addr) && addr >= USER_MIN_ADDR && addr < USER_MMAP_TOP &&
	    len <= USER_MMAP_TOP - addr && vm_range_free(vm, addr, addr + len))
		return (long)addr;	/* the hint is free: take it */
	uint64_t at = vm_find_free(vm, len);
	return at ? (long)at : -ENOMEM;
}

/* The region of an anonymous mapping: private, or shared on a new unlinked
 * tmpfs file of LEN bytes (R->file, the caller's reference); -EINVAL for
 * any other type (MAP_SHARED_VALIDATE included, as on Linux) and for shared
 * MAP_GROWSDOWN, -ENOMEM without memory or for shared memory larger than a
 * file may be here. */
static int anon_region(int flags, uint64_t len, struct region *r)
{
	int type = flags & MAP_TYPE, err;

	if (type == MAP_PRIVATE)
		return 0;
	if (type != MAP_SHARED || (flags & MAP_GROWSDOWN))
		return -EINVAL;
	if (len > PAGECACHE_BYTES)
		return -ENOMEM;
	if ((err = shmem_file_new("/dev/zero", len, &r->file)))
		return err;
	r->kind = REGION_FILE;
	r->shared = r->maywrite = true;
	r->file_bytes = len;
	return 0;
}

/*
 * The region a mapping of file F will be, checked as Linux's do_mmap checks
 * it, in its order: -EOVERFLOW past the largest file (file_mmap_ok);
 * neither MAP_SHARED nor MAP_PRIVATE -EINVAL; MAP_SHARED_VALIDATE with an
 * unknown flag -EOPNOTSUPP; a shared writable mapping of a file not open
 * for writing -EACCES (O_APPEND does not matter: Linux refuses only the
 * append-only inode attribute, which tmpfs here lacks); any mapping of a
 * file not open for reading -EACCES; /dev/zero is anonymous memory
 * (anon_region, Linux's mmap_zero: any offset, private or shared on a new
 * shmem file, which may become writable only if the fd is); something
 * else that is not a tmpfs regular file (a directory, a pipe, /dev/null)
 * -ENODEV, or -EIO for /proc's own files (procfs_mmap_error);
 * MAP_GROWSDOWN -EINVAL; a shared writable mapping of a write-sealed file -EPERM
 * (memfd_check_mmap, Linux's shmem_mmap).  A shared mapping of a file
 * open read-only or write-sealed is still shared (it sees the file's
 * stores) but may never become writable (region.maywrite, Linux's
 * VM_MAYWRITE: vm_protect refuses).
 */
static int file_region(struct file *f, int prot, int flags, uint64_t off, uint64_t len,
		       struct region *r)
{
	int type = flags & MAP_TYPE, err;

	/* past the largest file: Linux file_mmap_ok's -EOVERFLOW (a device's
	 * limit is the address space) */
	if (!dev_is_zero(f) && (off > PAGECACHE_BYTES || len > PAGECACHE_BYTES - off))
		return -EOVERFLOW;
	if (type != MAP_SHARED && type != MAP_SHARED_VALIDATE && type != MAP_PRIVATE)
		return -EINVAL;
	if (type == MAP_SHARED_VALIDATE && (flags & ~MAP_LEGACY))
		return -EOPNOTSUPP;
	if (type != MAP_PRIVATE && (prot & PROT_WRITE) && !file_writable(f))
		return -EACCES;
	if (!file_readable(f))
		return -EACCES;
	if (dev_is_zero(f)) {
		flags = (flags & ~MAP_TYPE) | (type == MAP_PRIVATE ? MAP_PRIVATE : MAP_SHARED);
		err = anon_region(flags, len, r);
		r->maywrite = r->maywrite && file_writable(f);
		return err;
	}
	if (!tmpfs_file_inode(f)) {
		err = procfs_mmap_error(f);
		return err ? err : -ENODEV;
	}
	if (flags & MAP_GROWSDOWN)
		return -EINVAL;
	r->shared = type != MAP_PRIVATE;
	if ((err = memfd_check_mmap(f, r->shared, prot, &r->maywrite)))
		return err;
	r->kind = REGION_FILE;
	r->file = f;
	r->file_off = off;
	/* the whole mapping shows the file as it is at each fault, so that
	 * what it grows by after the mmap shows too (Linux); pages wholly
	 * past its end then are SIGBUS (beyond_eof in mm/fault.c) */
	r->file_bytes = len;
	return 0;
}

/* do_mmap with the file (NULL: anonymous) in hand.  Shared mappings are
 * not charged to Committed_AS (Linux charges only private writable ones;
 * its shmem charge for MAP_SHARED|MAP_ANONYMOUS is left out here). */
static long do_mmap(uint64_t addr, uint64_t len, int prot, int flags, struct file *f, uint64_t off)
{
	struct vmspace *vm = current()->vm;
	struct region r = { .prot = prot, .kind = REGION_ANON, .noreserve = flags & MAP_NORESERVE };
	int err;

	if (len == 0 || (prot & ~7))
		return -EINVAL;
	if (len > USER_END)
		return -ENOMEM;
	/* Linux places the mapping before it looks at the file: a bad
	 * MAP_FIXED address wins over the file's errors */
	if ((flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) && !page_aligned(addr))
		return -EINVAL;
	len = ALIGN_UP(len, PAGE_SIZE);
	if ((err = f ? file_region(f, prot, flags, off, len, &r) : anon_region(flags, len, &r)))
		return err;
	r.account = !r.shared && vm_accountable(prot, r.noreserve);
	/* hold the file's count of writable shared mappings open until the
	 * region holds its own place in it: F_SEAL_WRITE cannot slip between */
	if (r.maywrite && (err = inode_map_writable(r.file->inode))) {
		if (r.file != f)
			file_put(r.file);
		return err;
	}
	down_write(&vm->mmap_lock);
	long at = place_mapping(vm, addr, len, flags);
	if (at >= 0) {
		r.start = (uint64_t)at;
		r.end = (uint64_t)at + len;
		if ((err = region_add(vm, &r)))
			at = err;
		else
			region_merge_range(vm, r.start, r.end);
	}
	up_write(&vm->mmap_lock);
	if (r.maywrite)
		inode_unmap_writable(r.file->inode);
	if (r.file && r.file != f)
		file_put(r.file);	/* the shmem file: the region holds it now */
	if (at >= 0 && (flags & MAP_POPULATE)) {
		down_read(&vm->mmap_lock);
		vm_populate(vm, r.start, r.end);
		up_read(&vm->mmap_lock);
	}
	return at;
}

/* mmap(2): Linux's x86 sys_mmap checks the offset first, then
 * ksys_mmap_pgoff the descriptor (-EBADF), then do_mmap the rest.  The
 * file is held by our own reference (fget: another thread may close FD
 * meanwhile) until the region holds its own. */
long sys_mmap(uint64_t addr, size_t len, int prot, int flags, int fd, int64_t off)
{
	struct file *f = NULL;

	if (!page_aligned((uint64_t)off))
		return -EINVAL;
	if (!(flags & MAP_ANONYMOUS) && !(f = fget(fd)))
		return -EBADF;
	long ret = do_mmap(addr, len, prot, flags, f, (uint64_t)off);
	if (f)
		file_put(f);
	return ret;
}

/* munmap's range check (Linux: __do_munmap): -EINVAL unless page-aligned
 * and inside what mmap may map. */
static int check_range(uint64_t addr, size_t len)
{
	if (!page_aligned(addr) || addr >= USER_END || len > USER_END - addr)
		return -EINVAL;
	return 0;
}

long sys_munmap(uint64_t addr, size_t len)
{
	struct vmspace *vm = current()->vm;

	if (len == 0 || check_range(addr, len))
		return -EINVAL;
	down_write(&vm->mmap_lock);
	int err = vm_unmap(vm, addr, addr + ALIGN_UP(len, PAGE_SIZE));
	up_write(&vm->mmap_lock);
	return err;
}

/* The end of [addr, addr + len) rounded up to pages, or 0 when the length
 * wraps.  ADDR must be page-aligned (mprotect and madvise check first). */
static uint64_t range_end(uint64_t addr, size_t len)
{
	uint64_t alen = ALIGN_UP(len, PAGE_SIZE);

	return (len && !alen) || addr + alen < addr ? 0 : addr + alen;
}

/* Linux's do_mprotect_pkey: -EINVAL for an unaligned address or unknown
 * PROT bits (PROT_SEM, 8, is accepted and means nothing on x86); -ENOMEM for
 * a wrapping length or a range that is not all mapped (beyond USER_END
 * included). */
long sys_mprotect(uint64_t addr, size_t len, int prot)
{
	uint64_t end = range_end(addr, len);

	if (!page_aligned(addr) || (prot & ~(7 | PROT_SEM)))
		return -EINVAL;
	if (len == 0)
		return 0;
	if (!end)
		return -ENOMEM;
	struct vmspace *vm = current()->vm;
	down_write(&vm->mmap_lock);
	int err = vm_protect(vm, addr, end, prot & 7);
	up_write(&vm->mmap_lock);
	return err;
}

/* Linux's do_madvise: -EINVAL for an unaligned address, a wrapping length or
 * an unknown advice; -ENOMEM when part of the range is not mapped, for every
 * advice, hints included. */
static long do_madvise(struct vmspace *vm, uint64_t addr, uint64_t end, int advice)
{
	switch (advice) {
	case MADV_NORMAL:
	case MADV_RANDOM:
	case MADV_SEQUENTIAL:
	case MADV_WILLNEED:
	case MADV_HUGEPAGE:
	case MADV_NOHUGEPAGE:
	case MADV_DONTDUMP:
	case MADV_DODUMP:
	case MADV_COLD:
	case MADV_PAGEOUT:
		/* hints: nothing here acts on them (no swap, no huge pages) */
		return vm_range_mapped(vm, addr, end) ? 0 : -ENOMEM;
	case MADV_FREE:
		/* Linux: only for private anonymous memory */
		if (vm_range_has_file(vm, addr, end))
			return -EINVAL;
		return vm_discard(vm, addr, end);
	case MADV_DONTNEED:
		return vm_discard(vm, addr, end);
	case MADV_MERGEABLE:
	case MADV_UNMERGEABLE:
		return vm_set_mergeable(vm, addr, end, advice == MADV_MERGEABLE);
	case MADV_DONTFORK:
	case MADV_DOFORK:
	case MADV_WIPEONFORK:
	case MADV_KEEPONFORK:
		return vm_set_fork_advice(vm, addr, end, advice);
	default:
		return -EINVAL;
	}
}

/* Every advice takes mmap_lock for writing (Linux takes it for reading for
 * some): simpler, and madvise is not a hot path here. */
long sys_madvise(uint64_t addr, size_t len, int advice)
{
	struct vmspace *vm = current()->vm;
	uint64_t end = range_end(addr, len);

	if (!page_aligned(addr) || (len && !end))
		return -EINVAL;
	if (len == 0)
		return 0;
	down_write(&vm->mmap_lock);
	long ret = do_madvise(vm, addr, end, advice);
	up_write(&vm->mmap_lock);
	return ret;
}

#define MS_ASYNC 1
#define MS_INVALIDATE 2
#define MS_SYNC 4

/*
 * msync(2), checked as Linux's: -EINVAL for unknown flags, an unaligned
 * ADDR, or MS_ASYNC with MS_SYNC; 0 for a length that rounds up to 0
 * (Linux rounds before it looks: 2^64 - 1 is an empty range, not a
 * wrapping one); -ENOMEM for a wrapping length or a range not wholly
 * mapped; else 0.  Nothing is written anywhere: a tmpfs file has
 * no backing store, and a store through a shared mapping is in the
 * page-cache frame itself, which read() and every other mapping already
 * see (Linux's msync does no more for tmpfs).  MS_INVALIDATE has nothing to
 * drop for the same reason.
 */
long sys_msync(uint64_t addr, size_t len, int flags)
{
	struct vmspace *vm = current()->vm;
	uint64_t alen = ALIGN_UP(len, PAGE_SIZE), end = addr + alen;

	if ((flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC)) || !page_aligned(addr) ||
	    ((flags & MS_ASYNC) && (flags & MS_SYNC)))
		return -EINVAL;
	if (end < addr)
		return -ENOMEM;
	if (!alen)
		return 0;
	down_read(&vm->mmap_lock);
	bool mapped = vm_range_mapped(vm, addr, end);
	up_read(&vm->mmap_lock);
	return mapped ? 0 : -ENOMEM;
}
