/*
 * kernel/fs/reflink.c - file clones (FICLONE, FICLONERANGE): a copy of a
 * file, or of a range of one, that costs no data pages.
 *
 * The destination's page cache is given the source's very frames
 * (pagecache_clone): both files then hold each frame, until a write to
 * either gives the writer a copy of the page it writes
 * (pagecache_get_exclusive) - copy-on-write of files, as btrfs and XFS
 * share extents (Linux's tmpfs has no clones).  The checks and their order
 * are Linux's: vfs_clone_file_range and generic_file_rw_checks, then
 * generic_remap_file_range_prep, generic_remap_checks and
 * generic_remap_check_len (fs/remap_range.c), then ioctl_file_clone
 * (fs/ioctl.c).  One file system is one tmpfs instance (st_dev), and
 * the block size is the page.
 */
#include "kernel/fs/reflink.h"
#include "kernel/errno.h"
#include "kernel/fs/file.h"
#include "kernel/fs/fs.h"
#include "kernel/fs/inode.h"
#include "kernel/fs/tmpfs.h"
#include "kernel/rwsem.h"
#include "kernel/uaccess.h"
#include "mm/layout.h"
#include "mm/vmspace.h"

/* Linux's struct file_clone_range (include/uapi/linux/fs.h). */
struct file_clone_range {
	int64_t src_fd;
	uint64_t src_offset, src_length, dest_offset;
};

/* One clone: SRC's bytes [pos_in, pos_in + len) onto DST at pos_out;
 * LEN 0 means to the source's end. */
struct clone_args {
	struct inode *src, *dst;
	uint64_t pos_in, pos_out, len;
};

/* generic_file_rw_checks and the file-system checks of
 * vfs_clone_file_range: which files may be cloned at all. */
static int check_files(struct file *in, struct file *out)
{
	struct stat si, so;
	int acc_in = in->flags & O_ACCMODE, acc_out = out->flags & O_ACCMODE;

	if (file_getattr(in, &si) < 0 || file_getattr(out, &so) < 0 || si.st_dev != so.st_dev)
		return -EXDEV;
	if (S_ISDIR(si.st_mode) || S_ISDIR(so.st_mode))
		return -EISDIR;
	if (!S_ISREG(si.st_mode) || !S_ISREG(so.st_mode))
		return -EINVAL;
	if (acc_in == O_WRONLY || acc_out == O_RDONLY || (out->flags & O_APPEND))
		return -EBADF;
	/* a regular file of another kind (/proc): no remap_file_range */
	if (!tmpfs_file_inode(in) || !tmpfs_file_inode(out))
		return -EOPNOTSUPP;
	return 0;
}

/* generic_remap_checks and generic_remap_check_len, with fs_tree held:
 * 0 with A->len the bytes to clone (0: nothing to do), or -EINVAL for
 * unaligned offsets, a range past the source's end, a length that is
 * neither page-aligned nor ends at the source's end (or ends there but
 * inside the destination: its last page's tail would show), overlapping
 * ranges of one file; -EFBIG past the largest file. */
static int check_range(struct clone_args *a)
{
	uint64_t isize = a->src->size, count = a->len, bcount;

	if (count == 0) {
		if (a->pos_in >= isize)
			return a->pos_in == isize ? 0 : -EINVAL;
		count = a->len = isize - a->pos_in;
	}
	if (a->pos_in % PAGE_SIZE || a->pos_out % PAGE_SIZE || a->pos_in >= isize)
		return -EINVAL;
	count = MIN(count, isize - a->pos_in);
	if (a->pos_out >= PAGECACHE_BYTES)
		return -EFBIG;
	count = MIN(count, PAGECACHE_BYTES - a->pos_out);
	if (a->pos_in + count == isize) {
		bcount = ALIGN_UP(isize, PAGE_SIZE) - a->pos_in;
	} else {
		count = ALIGN_DOWN(count, PAGE_SIZE);
		bcount = count;
	}
	if (a->src == a->dst && a->pos_out + bcount > a->pos_in && a->pos_out < a->pos_in + bcount)
		return -EINVAL;
	if (count != a->len)
		return -EINVAL;		/* shortened: not allowed without REMAP_FILE_CAN_SHORTEN */
	if (count % PAGE_SIZE && a->pos_out + count < a->dst->size)
		return -EINVAL;
	return 0;
}

/*
 * Share the pages, fs_tree held for writing.  Then the entries mapping
 * page-cache frames of either range leave every mapping (private copies
 * stay): the destination's show frames it no longer holds, and a writable
 * shared entry of the source must fault so that its next store copies
 * (pagecache_get_exclusive) instead of reaching the destination too.  The
 * frames are shared before the unmap, so a fault racing with it either
 * runs before (and is unmapped) or sees the sharing.
 */
static long clone_pages(struct clone_args *a)
{
	uint64_t npages = ALIGN_UP(a->len, PAGE_SIZE) / PAGE_SIZE;
	uint64_t done = pagecache_clone(&a->dst->mapping, a->pos_out / PAGE_SIZE,
					&a->src->mapping, a->pos_in / PAGE_SIZE, npages);

	unmap_mapping_range(a->dst, a->pos_out, a->pos_out + npages * PAGE_SIZE, false);
	unmap_mapping_range(a->src, a->pos_in, a->pos_in + npages * PAGE_SIZE, false);
	/* out of memory midway: the pages cloned so far stay, inside the size */
	uint64_t cloned = MIN(a->len, done * PAGE_SIZE);
	if (cloned)
		a->dst->size = MAX(a->dst->size, a->pos_out + cloned);
	inode_touch(a->dst, INODE_MTIME | INODE_CTIME);
	return done < npages ? -ENOMEM : (long)a->len;
}

/* vfs_clone_file_range: bytes cloned, or an errno. */
static long clone_file_range(struct file *in, uint64_t pos_in, struct file *out, uint64_t pos_out,
			     uint64_t len)
{
	int err = check_files(in, out);

	if (err)
		return err;
	/* remap_verify_area: offsets and length are loff_t, and must not wrap */
	if ((int64_t)pos_in < 0 || (int64_t)pos_out < 0 || (int64_t)len < 0 ||
	    (int64_t)(pos_in + len) < 0 || (int64_t)(pos_out + len) < 0)
		return -EINVAL;
	struct clone_args a = { tmpfs_file_inode(in), tmpfs_file_inode(out), pos_in, pos_out, len };
	down_write(&fs_tree);
	long r = check_range(&a);
	if (!r && a.len)
		r = clone_pages(&a);
	up_write(&fs_tree);
	return r;
}

long file_clone_ioctl(struct file *dst, unsigned long cmd, uint64_t arg)
{
	struct file_clone_range r = { .src_fd = (int)arg };

	if (cmd == FICLONERANGE && copy_from_user(&r, arg, sizeof(r)))
		return -EFAULT;
	/* Linux passes the fd on as an unsigned int (fdget) */
	struct file *src = fget((int)(uint32_t)r.src_fd);
	if (!src)
		return -EBADF;
	long cloned = clone_file_range(src, r.src_offset, dst, r.dest_offset, r.src_length);
	file_put(src);
	if (cloned < 0)
		return cloned;
	return r.src_length && (uint64_t)cloned != r.src_length ? -EINVAL : 0;
}
