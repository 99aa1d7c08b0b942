/*
 * kernel/fs/inode.c - inodes, directory entries and file data
 * (kernel/fs/inode.h tells the rules).
 *
 * A file's data is read and written a page at a time through the page
 * cache: the frame of each page is looked up (or, for a write, created) and
 * the bytes are copied through the kernel's direct map of that frame, with
 * a reference held meanwhile, so a truncate on another CPU cannot free the
 * frame under the copy.
 */
#include "kernel/fs/inode.h"
#include "kernel/errno.h"
#include "kernel/fs/fs.h"
#include "kernel/panic.h"
#include "kernel/uaccess.h"
#include "kernel/x86/time.h"
#include "mm/frame.h"
#include "mm/heap.h"
#include "mm/layout.h"
#include "mm/vmspace.h"

struct dir_entry {
	struct rb_node rb;		/* in the directory's entries, by name */
	struct inode *inode;		/* holds a reference */
	uint8_t len;
	char name[];			/* LEN bytes and a NUL */
};

/* a file costs one 128-byte kmalloc object (mm/heap.c's classes are powers of two) */
_Static_assert(sizeof(struct inode) <= 128, "struct inode outgrew its kmalloc class");

static uint64_t next_ino = 1;

struct inode *inode_new(uint32_t mode, uint32_t dev)
{
	struct inode *inode = kzalloc(sizeof(*inode));

	if (!inode)
		return NULL;
	inode->ino = __atomic_fetch_add(&next_ino, 1, __ATOMIC_RELAXED);
	inode->mode = mode;
	inode->dev = dev;
	inode->refcount = 1;
	inode->seals = F_SEAL_SEAL;
	inode_touch(inode, INODE_ATIME | INODE_MTIME | INODE_CTIME);
	if (S_ISREG(mode))
		pagecache_init_mapping(&inode->mapping);
	return inode;
}

struct inode *iget(struct inode *inode)
{
	__atomic_add_fetch(&inode->refcount, 1, __ATOMIC_RELAXED);
	return inode;
}

void iput(struct inode *inode)
{
	if (!inode || __atomic_sub_fetch(&inode->refcount, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	if (inode->nentries)
		panic("iput: directory %lu freed with %u entries", inode->ino, inode->nentries);
	if (S_ISREG(inode->mode))
		pagecache_release(&inode->mapping);
	kfree(inode->target);
	kfree(inode);
}

void inode_touch(struct inode *inode, int which)
{
	uint64_t now = time_realtime_ns();

	if (which & INODE_ATIME)
		inode->atime = now;
	if (which & INODE_MTIME)
		inode->mtime = now;
	if (which & INODE_CTIME)
		inode->ctime = now;
}

/* ---- directories ---- */

static struct dir_entry *to_entry(struct rb_node *n)
{
	return (struct dir_entry *)((char *)n - offsetof(struct dir_entry, rb));
}

/* Order by bytes, a shorter name before its extensions. */
static int name_cmp(const char *a, size_t alen, const struct dir_entry *e)
{
	int c = memcmp(a, e->name, MIN(alen, (size_t)e->len));

	return c ? c : (alen > e->len) - (alen < e->len);
}

/* Descend to NAME: the entry, or NULL with *PARENT and *LINK where it would go. */
static struct dir_entry *find(struct inode *dir, const char *name, size_t len,
			      struct rb_node **parent, struct rb_node ***link)
{
	struct rb_node **l = &dir->entries.node, *p = NULL;

	while (*l) {
		struct dir_entry *e = to_entry(*l);
		int c = name_cmp(name, len, e);
		if (c == 0)
			return e;
		p = *l;
		l = &(*l)->child[c < 0 ? RB_LEFT : RB_RIGHT];
	}
	if (parent) {
		*parent = p;
		*link = l;
	}
	return NULL;
}

struct inode *dir_lookup(struct inode *dir, const char *name, size_t len)
{
	struct dir_entry *e = find(dir, name, len, NULL, NULL);

	return e ? e->inode : NULL;
}

/* The link counts DIR's entry for CHILD makes (STEP 1) or unmakes (-1): a
 * file's name is one link; a directory's name is not counted apart from
 * its "." (a new directory starts at 2, one that moves keeps its count, one
 * removed drops to 0), and its ".." is one link of DIR. */
static void link_counts(struct inode *dir, struct inode *child, int step)
{
	if (!S_ISDIR(child->mode)) {
		child->nlink += (uint32_t)step;
		return;
	}
	dir->nlink += (uint32_t)step;
	if (step > 0 && child->nlink == 0)
		child->nlink = 2;
}

int dir_link(struct inode *dir, const char *name, size_t len, struct inode *child)
{
	struct rb_node *parent, **link;

	if (len == 0 || len > NAME_MAX)
		panic("dir_link: a name of %lu bytes", len);
	if (find(dir, name, len, &parent, &link))
		return -EEXIST;
	struct dir_entry *e = kmalloc(sizeof(*e) + len + 1);
	if (!e)
		return -ENOMEM;
	e->inode = iget(child);
	e->len = (uint8_t)len;
	memcpy(e->name, name, len);
	e->name[len] = 0;
	rb_insert(&dir->entries, &e->rb, parent, link);
	dir->nentries++;
	link_counts(dir, child, 1);
	inode_touch(dir, INODE_MTIME | INODE_CTIME);
	inode_touch(child, INODE_CTIME);
	return 0;
}

int dir_unlink(struct inode *dir, const char *name, size_t len)
{
	struct dir_entry *e = find(dir, name, len, NULL, NULL);

	if (!e)
		return -ENOENT;
	struct inode *child = e->inode;
	rb_erase(&dir->entries, &e->rb);
	dir->nentries--;
	kfree(e);
	link_counts(dir, child, -1);
	inode_touch(dir, INODE_MTIME | INODE_CTIME);
	inode_touch(child, INODE_CTIME);
	iput(child);
	return 0;
}

int dir_replace(struct inode *dir, const char *name, size_t len, struct inode *child)
{
	struct dir_entry *e = find(dir, name, len, NULL, NULL);

	if (!e)
		return -ENOENT;
	struct inode *old = e->inode;
	link_counts(dir, old, -1);
	if (S_ISDIR(old->mode))
		old->nlink = 0;
	e->inode = iget(child);
	link_counts(dir, child, 1);
	inode_touch(dir, INODE_MTIME | INODE_CTIME);
	inode_touch(child, INODE_CTIME);
	inode_touch(old, INODE_CTIME);
	iput(old);
	return 0;
}

bool dir_entry_at(struct inode *dir, uint64_t idx, const char **name, struct inode **child)
{
	struct rb_node *n = rb_first(&dir->entries);

	for (; n && idx; idx--)
		n = rb_next(n);
	if (!n)
		return false;
	*name = to_entry(n)->name;
	*child = to_entry(n)->inode;
	return true;
}

/* ---- file data ---- */

/* Copy N bytes between a user or kernel buffer and kernel address K. */
static int copy_page_part(void *k, uint64_t buf, size_t n, bool user, bool to_file)
{
	if (!user) {
		if (to_file)
			memcpy(k, (const void *)buf, n);
		else
			memcpy((void *)buf, k, n);
		return 0;
	}
	return to_file ? copy_from_user(k, buf, n) : copy_to_user(buf, k, n);
}

long inode_read(struct inode *inode, uint64_t buf, size_t n, uint64_t off, bool user)
{
	static const char zeros[PAGE_SIZE];
	size_t done = 0;

	if (off >= inode->size)
		return 0;
	n = MIN(n, inode->size - off);
	while (done < n) {
		uint64_t pos = off + done, in_page = pos % PAGE_SIZE;
		size_t k = MIN(n - done, PAGE_SIZE - in_page);
		uint64_t pa = pagecache_find(&inode->mapping, pos / PAGE_SIZE);
		const char *src = pa ? (const char *)phys_to_virt(pa) + in_page : zeros;
		int err = copy_page_part((void *)src, buf + done, k, user, false);
		if (pa)
			frame_put(pa);
		if (err)
			return done ? (long)done : -EFAULT;
		done += k;
	}
	inode_touch(inode, INODE_ATIME);
	return (long)done;
}

/* The frame for page INDEX of INODE to write into, with a reference and
 * INODE's alone: an existing one, or a new one or a copy of one a clone
 * shares (pagecache_get_exclusive) unless free memory is down to the
 * reserve.  No clone can share a page meanwhile: FICLONE takes fs_tree for
 * writing, as the caller holds it. */
static uint64_t page_for_write(struct inode *inode, uint64_t index)
{
	if (frame_free_count() > FILE_RESERVE_FRAMES)
		return pagecache_get_exclusive(&inode->mapping, index);
	uint64_t pa = pagecache_find(&inode->mapping, index);
	if (pa && pagecache_frame_shared(pa)) {
		frame_put(pa);
		return 0;
	}
	return pa;
}

/* inode_write's copy, page by page: bytes written, or an error for none. */
static long write_pages(struct inode *inode, uint64_t buf, size_t n, uint64_t off, bool user)
{
	size_t done = 0;

	while (done < n) {
		uint64_t pos = off + done, in_page = pos % PAGE_SIZE;
		size_t k = MIN(n - done, PAGE_SIZE - in_page);
		uint64_t pa = page_for_write(inode, pos / PAGE_SIZE);
		if (!pa)
			return done ? (long)done : -ENOSPC;
		int err = copy_page_part((char *)phys_to_virt(pa) + in_page, buf + done, k, user, true);
		frame_put(pa);
		if (err)
			return done ? (long)done : -EFAULT;
		done += k;
		inode->size = MAX(inode->size, pos + k);
	}
	return (long)done;
}

long inode_write(struct inode *inode, uint64_t buf, size_t n, uint64_t off, bool user)
{
	if (off >= PAGECACHE_MAX_PAGES * PAGE_SIZE)
		return n ? -EFBIG : 0;
	long r = write_pages(inode, buf, MIN(n, PAGECACHE_MAX_PAGES * PAGE_SIZE - off), off, user);
	/* pages copied from a clone's shared frames leave the mappings that
	 * still show the old frames, before write() returns */
	pagecache_unmap_stale();
	if (r > 0)
		inode_touch(inode, INODE_MTIME | INODE_CTIME);
	return r;
}

/* Zero the part of INODE's page at byte SIZE from SIZE on (a shrink to
 * SIZE), a page a clone shares being copied first: 0 or -ENOMEM. */
static int zero_tail(struct inode *inode, uint64_t size)
{
	uint64_t index = size / PAGE_SIZE, pa = pagecache_find(&inode->mapping, index);

	if (pa && pagecache_frame_shared(pa)) {
		frame_put(pa);
		if (!(pa = pagecache_get_exclusive(&inode->mapping, index)))
			return -ENOMEM;
	}
	if (pa) {
		memset((char *)phys_to_virt(pa) + size % PAGE_SIZE, 0, PAGE_SIZE - size % PAGE_SIZE);
		frame_put(pa);
	}
	return 0;
}

int inode_truncate(struct inode *inode, uint64_t size)
{
	if (size > PAGECACHE_MAX_PAGES * PAGE_SIZE)
		return -EFBIG;
	bool shrank = size < inode->size;
	int err = shrank && size % PAGE_SIZE ? zero_tail(inode, size) : 0;
	if (err)
		return err;
	if (shrank)
		pagecache_truncate(&inode->mapping, ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE);
	inode->size = size;
	/* after the new size is set: a fault from now on sees it */
	if (shrank)
		unmap_mapping_range(inode, ALIGN_UP(size, PAGE_SIZE), UINT64_MAX, true);
	pagecache_unmap_stale();
	inode_touch(inode, INODE_MTIME | INODE_CTIME);
	return 0;
}

/* ---- write access ---- */

/* Move *COUNT by STEP (+1 or -1) unless it has the other sign: 0 or -ETXTBSY. */
static int count_step(int *count, int step)
{
	int v = __atomic_load_n(count, __ATOMIC_RELAXED);

	do {
		if (step > 0 ? v < 0 : v > 0)
			return -ETXTBSY;
	} while (!__atomic_compare_exchange_n(count, &v, v + step, false, __ATOMIC_ACQ_REL,
					      __ATOMIC_RELAXED));
	return 0;
}

int inode_get_write(struct inode *inode)
{
	return count_step(&inode->writecount, 1);
}

void inode_put_write(struct inode *inode)
{
	__atomic_sub_fetch(&inode->writecount, 1, __ATOMIC_ACQ_REL);
}

int inode_deny_write(struct inode *inode)
{
	return count_step(&inode->writecount, -1);
}

void inode_allow_write(struct inode *inode)
{
	__atomic_add_fetch(&inode->writecount, 1, __ATOMIC_ACQ_REL);
}
