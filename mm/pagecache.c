/*
 * mm/pagecache.c - the page cache: for each initrd file, a table of frames
 * indexed by page number.  Tables are created on first use and never freed:
 * the initrd is read-only and lives as long as the kernel, so the cache is
 * bounded by its size.  Each cached frame has the cache's own reference plus
 * one per mapping, so its count never drops to 1 while it is cached, and a
 * write to it always copies (the cache's copy must stay pristine).
 */
#include "mm/pagecache.h"
#include "kernel/fs/initrd.h"
#include "kernel/spinlock.h"
#include "mm/frame.h"
#include "mm/heap.h"
#include "mm/layout.h"

#define MAX_CACHED_FILES 64

struct cached_file {
	const struct initrd_file *file;
	uint64_t npages;
	uint64_t *frames;	/* npages entries; 0 = not read yet */
};

static struct cached_file cache[MAX_CACHED_FILES];
static int ncached;
static uint64_t nframes_cached;
static struct spinlock cache_lock = SPINLOCK_INIT("pagecache");

/* kmalloc gives at most a page: 512 frames, i.e. files up to 2 MiB. */
#define MAX_FILE_PAGES (PAGE_SIZE / sizeof(uint64_t))

static struct cached_file *lookup(const struct initrd_file *f)
{
	for (int i = 0; i < ncached; i++)
		if (cache[i].file == f)
			return &cache[i];
	uint64_t npages = ALIGN_UP(f->size, PAGE_SIZE) / PAGE_SIZE;
	if (ncached == MAX_CACHED_FILES || npages > MAX_FILE_PAGES)
		return NULL;
	uint64_t *frames = kzalloc(MAX(npages, 1) * sizeof(uint64_t));
	if (!frames)
		return NULL;
	cache[ncached] = (struct cached_file){ f, npages, frames };
	return &cache[ncached++];
}

static uint64_t read_page(const struct initrd_file *f, uint64_t index)
{
	uint64_t pa = frame_alloc(FRAME_FILE);

	if (!pa)
		return 0;
	uint64_t off = index * PAGE_SIZE, n = MIN(PAGE_SIZE, f->size - off);
	memcpy(phys_to_virt(pa), f->data + off, n);
	memset((char *)phys_to_virt(pa) + n, 0, PAGE_SIZE - n);
	nframes_cached++;
	return pa;
}

uint64_t pagecache_get(const struct initrd_file *f, uint64_t index)
{
	uint64_t pa = 0;

	spin_lock(&cache_lock);
	struct cached_file *c = lookup(f);
	if (c && index < c->npages) {
		if (!c->frames[index])
			c->frames[index] = read_page(f, index);
		pa = c->frames[index];
		if (pa)
			frame_get(pa);
	}
	spin_unlock(&cache_lock);
	return pa;
}

void pagecache_for_each(void (*fn)(uint64_t pa, void *arg), void *arg)
{
	spin_lock(&cache_lock);
	for (int i = 0; i < ncached; i++)
		for (uint64_t j = 0; j < cache[i].npages; j++)
			if (cache[i].frames[j])
				fn(cache[i].frames[j], arg);
	spin_unlock(&cache_lock);
}

uint64_t pagecache_frames(void)
{
	return nframes_cached;
}
