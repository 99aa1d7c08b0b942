/*
 * kernel/x86/ioremap.c - the fixed mapping window for device registers and
 * firmware tables (see ioremap.h).  Mappings are only ever added, at boot,
 * so the window is handed out from the bottom up and never freed.
 */
#include "kernel/x86/ioremap.h"
#include "kernel/lib.h"
#include "kernel/spinlock.h"
#include "mm/layout.h"
#include "mm/vm.h"

static uint64_t fixmap_used;	/* bytes of the window handed out */
static struct spinlock fixmap_lock = SPINLOCK_INIT("fixmap");

/* Map [PA, PA + LEN) into the window with PROT; the address of PA, or NULL. */
static void *fixmap(uint64_t pa, uint64_t len, uint64_t prot)
{
	uint64_t first = ALIGN_DOWN(pa, PAGE_SIZE), bytes = ALIGN_UP(pa + len, PAGE_SIZE) - first;
	uint64_t va;

	spin_lock(&fixmap_lock);
	if (len == 0 || bytes > FIXMAP_SIZE - fixmap_used) {
		spin_unlock(&fixmap_lock);
		return NULL;
	}
	va = FIXMAP_BASE + fixmap_used;
	fixmap_used += bytes;
	spin_unlock(&fixmap_lock);
	for (uint64_t off = 0; off < bytes; off += PAGE_SIZE)
		if (map_page(kernel_pml4, va + off, first + off, prot | PTE_NX | PTE_G))
			return NULL;
	return (void *)(va + (pa - first));
}

volatile void *ioremap(uint64_t pa, uint64_t len)
{
	return fixmap(pa, len, PTE_W | PTE_PCD | PTE_PWT);
}

const void *memremap(uint64_t pa, uint64_t len)
{
	uint64_t mapped;

	for (uint64_t p = ALIGN_DOWN(pa, PAGE_SIZE); p < pa + len; p += PAGE_SIZE)
		if (!translate(kernel_pml4, (uint64_t)phys_to_virt(p), &mapped) || mapped != p)
			return fixmap(pa, len, 0);
	return phys_to_virt(pa);
}
