/*
 * mm/pagecache.c - the page cache's tables (mm/pagecache.h tells the shape).
 *
 * A file's directory page and leaf pages are allocated on the first page
 * that needs them and freed when the file is released, so an empty file
 * costs nothing and a 64 MiB file (16384 pages) costs 32 leaf pages plus
 * the directory.  Leaves are not freed by a truncate: a file that shrinks
 * usually grows again.
 *
 * A slot's frame is held through hold_frame and let go through drop_frame,
 * which keep struct frame's aux (the caches holding a FRAME_FILE frame)
 * and the count of distinct cached frames; a clone (pagecache_clone) is
 * then nothing but more holds of the same frames.
 */
#include "mm/pagecache.h"
#include "kernel/fs/inode.h"
#include "kernel/panic.h"
#include "kernel/rwsem.h"
#include "kernel/spinlock.h"
#include "mm/frame.h"
#include "mm/heap.h"
#include "mm/layout.h"
#include "mm/vmspace.h"

_Static_assert(PAGECACHE_LEAF * sizeof(uint64_t) == PAGE_SIZE, "a leaf is one page");
_Static_assert(PAGECACHE_DIR * sizeof(uint64_t *) == PAGE_SIZE, "the directory is one page");

static struct address_space all_spaces = { .prev = &all_spaces, .next = &all_spaces };
static uint64_t nframes_cached;
static struct spinlock cache_lock = SPINLOCK_INIT("pagecache");

/* pagecache_stale_pending (mm/pagecache.h) counts the work.  Drains run
 * one at a time under stale_sem, so a caller that finds work pending waits
 * for a drain that took its record. */
uint64_t pagecache_stale_pending;
static struct rwsem stale_sem = RWSEM_INIT("pagecache_stale");

/* The file whose cache M is. */
static const struct inode *mapping_host(const struct address_space *m)
{
	return (const struct inode *)((const char *)m - offsetof(struct inode, mapping));
}

void pagecache_init_mapping(struct address_space *m)
{
	m->dir = NULL;
	m->nrpages = 0;
	m->stale_from = m->stale_to = 0;
	spin_lock(&cache_lock);
	m->next = all_spaces.next;
	m->prev = &all_spaces;
	all_spaces.next->prev = m;
	all_spaces.next = m;
	spin_unlock(&cache_lock);
}

/* The slot of page INDEX, creating its tables if CREATE; NULL if absent. */
static uint64_t *slot(struct address_space *m, uint64_t index, bool create)
{
	if (index >= PAGECACHE_MAX_PAGES)
		return NULL;
	if (!m->dir && (!create || !(m->dir = kzalloc(PAGE_SIZE))))
		return NULL;
	uint64_t **leaf = &m->dir[index / PAGECACHE_LEAF];
	if (!*leaf && (!create || !(*leaf = kzalloc(PAGE_SIZE))))
		return NULL;
	return &(*leaf)[index % PAGECACHE_LEAF];
}

/* Put PA into M's empty slot S: the slot takes one reference of PA (a new
 * frame's own, FRESH, or one more) and PA one more cache; cache_lock held. */
static void hold_frame(struct address_space *m, uint64_t *s, uint64_t pa, bool fresh)
{
	struct frame *f = pa_to_frame(pa);

	if (fresh) {
		f->aux = 0;
		nframes_cached++;
	} else {
		frame_get(pa);
	}
	__atomic_store_n(&f->aux, f->aux + 1, __ATOMIC_RELAXED);
	*s = pa;
	m->nrpages++;
}

/* Empty M's slot S, dropping its reference and its cache's hold; cache_lock held. */
static void drop_frame(struct address_space *m, uint64_t *s)
{
	struct frame *f = pa_to_frame(*s);

	__atomic_store_n(&f->aux, f->aux - 1, __ATOMIC_RELAXED);
	if (f->aux == 0)
		nframes_cached--;
	frame_put(*s);
	*s = 0;
	m->nrpages--;
}

/* Record page INDEX of M as stale (its old frame may still be mapped); cache_lock held. */
static void mark_stale(struct address_space *m, uint64_t index)
{
	if (m->stale_from < m->stale_to) {
		m->stale_from = MIN(m->stale_from, (uint32_t)index);
		m->stale_to = MAX(m->stale_to, (uint32_t)index + 1);
		return;
	}
	m->stale_from = (uint32_t)index;
	m->stale_to = (uint32_t)index + 1;
	__atomic_add_fetch(&pagecache_stale_pending, 1, __ATOMIC_ACQ_REL);
}

/* Give M a copy of the frame in slot S (page INDEX), which other caches
 * share too: false without memory; cache_lock held. */
static bool unshare(struct address_space *m, uint64_t *s, uint64_t index)
{
	uint64_t pa = frame_alloc(FRAME_FILE);

	if (!pa)
		return false;
	memcpy(phys_to_virt(pa), phys_to_virt(*s), PAGE_SIZE);
	drop_frame(m, s);
	hold_frame(m, s, pa, true);
	mark_stale(m, index);
	return true;
}

/* pagecache_get, and a copy first if EXCLUSIVE and the frame is shared. */
static uint64_t get(struct address_space *m, uint64_t index, bool exclusive)
{
	uint64_t pa = 0;

	spin_lock(&cache_lock);
	uint64_t *s = slot(m, index, true);
	if (s && !*s && (pa = frame_alloc_zeroed(FRAME_FILE)))
		hold_frame(m, s, pa, true);
	if (s && *s && exclusive && pa_to_frame(*s)->aux > 1 && !unshare(m, s, index))
		s = NULL;
	pa = s ? *s : 0;
	if (pa)
		frame_get(pa);
	spin_unlock(&cache_lock);
	return pa;
}

uint64_t pagecache_get(struct address_space *m, uint64_t index)
{
	return get(m, index, false);
}

uint64_t pagecache_get_exclusive(struct address_space *m, uint64_t index)
{
	return get(m, index, true);
}

bool pagecache_frame_shared(uint64_t pa)
{
	return __atomic_load_n(&pa_to_frame(pa)->aux, __ATOMIC_RELAXED) > 1;
}

/* Take the stale pages of an address space that has some: its file, with
 * the range in *FROM and *TO (bytes); NULL when none has.  A walk of every
 * file's cache, but only when some write copied a clone's page. */
static const struct inode *pop_stale(uint64_t *from, uint64_t *to)
{
	const struct inode *host = NULL;

	spin_lock(&cache_lock);
	for (struct address_space *m = all_spaces.next; m != &all_spaces; m = m->next) {
		if (m->stale_from < m->stale_to) {
			host = mapping_host(m);
			*from = (uint64_t)m->stale_from * PAGE_SIZE;
			*to = (uint64_t)m->stale_to * PAGE_SIZE;
			m->stale_from = m->stale_to = 0;
			break;
		}
	}
	spin_unlock(&cache_lock);
	return host;
}

/*
 * The file is used after cache_lock is dropped, without a reference: one
 * released meanwhile is mapped nowhere (every mapping holds a reference),
 * and unmap_mapping_range only compares the pointer with the regions'
 * files, so at worst a new file at the same address loses some cache
 * entries, which fault back in.
 */
void pagecache_drain_stale(void)
{
	uint64_t from, to;

	down_write(&stale_sem);
	for (const struct inode *host; (host = pop_stale(&from, &to));) {
		unmap_mapping_range(host, from, to, false);
		__atomic_sub_fetch(&pagecache_stale_pending, 1, __ATOMIC_ACQ_REL);
	}
	up_write(&stale_sem);
}

/* Clone up to N pages (see pagecache_clone); cache_lock held.  The pages
 * cloned: fewer than N when DST's tables could not be had. */
static uint64_t clone_locked(struct address_space *dst, uint64_t di, struct address_space *src,
			     uint64_t si, uint64_t n)
{
	for (uint64_t k = 0; k < n; k++) {
		uint64_t *ss = slot(src, si + k, false), pa = ss ? *ss : 0;
		uint64_t *ds = slot(dst, di + k, pa != 0);
		if (pa && !ds)
			return k;
		if (ds && *ds)
			drop_frame(dst, ds);
		if (pa)
			hold_frame(dst, ds, pa, false);
	}
	return n;
}

uint64_t pagecache_clone(struct address_space *dst, uint64_t dst_index, struct address_space *src,
			 uint64_t src_index, uint64_t n)
{
	uint64_t done = 0;

	/* a leaf's worth at a time: the lock is a spin lock, and a clone may
	 * be 1 GiB */
	while (done < n) {
		uint64_t k = MIN(n - done, PAGECACHE_LEAF);
		spin_lock(&cache_lock);
		uint64_t got = clone_locked(dst, dst_index + done, src, src_index + done, k);
		spin_unlock(&cache_lock);
		done += got;
		if (got < k)
			break;
	}
	return done;
}

uint64_t pagecache_find(struct address_space *m, uint64_t index)
{
	uint64_t pa = 0;

	spin_lock(&cache_lock);
	uint64_t *s = slot(m, index, false);
	if (s && (pa = *s))
		frame_get(pa);
	spin_unlock(&cache_lock);
	return pa;
}

/* Drop the frames of M from page FROM on; cache_lock held. */
static void truncate_locked(struct address_space *m, uint64_t from)
{
	if (!m->dir)
		return;
	for (uint64_t d = from / PAGECACHE_LEAF; d < PAGECACHE_DIR; d++) {
		uint64_t *leaf = m->dir[d];
		if (!leaf)
			continue;
		uint64_t i = d == from / PAGECACHE_LEAF ? from % PAGECACHE_LEAF : 0;
		for (; i < PAGECACHE_LEAF && m->nrpages; i++)
			if (leaf[i])
				drop_frame(m, &leaf[i]);
	}
}

void pagecache_truncate(struct address_space *m, uint64_t from)
{
	spin_lock(&cache_lock);
	truncate_locked(m, from);
	spin_unlock(&cache_lock);
}

void pagecache_release(struct address_space *m)
{
	spin_lock(&cache_lock);
	truncate_locked(m, 0);
	if (m->nrpages)
		panic("pagecache_release: %lu frames left", m->nrpages);
	/* stale pages of a file that is gone: no mapping shows them */
	if (m->stale_from < m->stale_to)
		__atomic_sub_fetch(&pagecache_stale_pending, 1, __ATOMIC_ACQ_REL);
	m->prev->next = m->next;
	m->next->prev = m->prev;
	spin_unlock(&cache_lock);
	if (m->dir) {
		for (int d = 0; d < PAGECACHE_DIR; d++)
			kfree(m->dir[d]);
		kfree(m->dir);
		m->dir = NULL;
	}
}

void pagecache_for_each(void (*fn)(uint64_t pa, void *arg), void *arg)
{
	spin_lock(&cache_lock);
	for (struct address_space *m = all_spaces.next; m != &all_spaces; m = m->next) {
		for (int d = 0; m->dir && d < PAGECACHE_DIR; d++)
			for (int i = 0; m->dir[d] && i < PAGECACHE_LEAF; i++)
				if (m->dir[d][i])
					fn(m->dir[d][i], arg);
	}
	spin_unlock(&cache_lock);
}

uint64_t pagecache_frames(void)
{
	return __atomic_load_n(&nframes_cached, __ATOMIC_RELAXED);
}

void pagecache_copy(struct address_space *m, uint64_t off, void *dst, size_t n)
{
	for (size_t done = 0; done < n;) {
		uint64_t pos = off + done, in_page = pos % PAGE_SIZE;
		size_t k = MIN(n - done, PAGE_SIZE - in_page);
		uint64_t pa = pagecache_find(m, pos / PAGE_SIZE);
		if (pa) {
			memcpy((char *)dst + done, (char *)phys_to_virt(pa) + in_page, k);
			frame_put(pa);
		} else {
			memset((char *)dst + done, 0, k);
		}
		done += k;
	}
}
