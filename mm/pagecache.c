/*
 * mm/pagecache.c - the page cache's tables (mm/pagecache.h tells the shape).
 *
 * A file's directory page and leaf pages are allocated on the first page
 * that needs them and freed when the file is released, so an empty file
 * costs nothing and a 64 MiB file (16384 pages) costs 32 leaf pages plus
 * the directory.  Leaves are not freed by a truncate: a file that shrinks
 * usually grows again.
 */
#include "mm/pagecache.h"
#include "kernel/panic.h"
#include "kernel/spinlock.h"
#include "mm/frame.h"
#include "mm/heap.h"
#include "mm/layout.h"

_Static_assert(PAGECACHE_LEAF * sizeof(uint64_t) == PAGE_SIZE, "a leaf is one page");
_Static_assert(PAGECACHE_DIR * sizeof(uint64_t *) == PAGE_SIZE, "the directory is one page");

static struct address_space all_spaces = { .prev = &all_spaces, .next = &all_spaces };
static uint64_t nframes_cached;
static struct spinlock cache_lock = SPINLOCK_INIT("pagecache");

void pagecache_init_mapping(struct address_space *m)
{
	m->dir = NULL;
	m->nrpages = 0;
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

uint64_t pagecache_get(struct address_space *m, uint64_t index)
{
	uint64_t pa = 0;

	spin_lock(&cache_lock);
	uint64_t *s = slot(m, index, true);
	if (s && !*s && (*s = frame_alloc_zeroed(FRAME_FILE))) {
		m->nrpages++;
		nframes_cached++;
	}
	if (s && (pa = *s))
		frame_get(pa);
	spin_unlock(&cache_lock);
	return pa;
}

uint64_t pagecache_get_exclusive(struct address_space *m, uint64_t index)
{
	return pagecache_get(m, index);
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
		for (; i < PAGECACHE_LEAF && m->nrpages; i++) {
			if (!leaf[i])
				continue;
			frame_put(leaf[i]);
			leaf[i] = 0;
			m->nrpages--;
			nframes_cached--;
		}
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
