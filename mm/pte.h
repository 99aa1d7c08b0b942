/*
 * mm/pte.h - x86-64 page-table entries: every bit the kernel uses and what it
 * means, defined once.  The same layout is used at all four levels (PML4,
 * PDPT, PD, PT); PTE_PS turns a PDPT or PD entry into a 1 GiB or 2 MiB page.
 *
 * PTE_COW is one of the bits the CPU ignores (9..11) and leaves to software:
 * we set it on a read-only entry whose page is private to the process but
 * shared with others, so a write fault on it means "copy on write" rather
 * than "protection violation".  scripts/gdb/kernel.py decodes the same bits.
 */
#pragma once
#include <stdint.h>

typedef uint64_t pte_t;

#define PTE_P   (1UL << 0)	/* present */
#define PTE_W   (1UL << 1)	/* writable */
#define PTE_U   (1UL << 2)	/* user accessible */
#define PTE_PWT (1UL << 3)	/* write-through */
#define PTE_PCD (1UL << 4)	/* cache disabled */
#define PTE_A   (1UL << 5)	/* accessed (set by the CPU) */
#define PTE_D   (1UL << 6)	/* dirty (set by the CPU) */
#define PTE_PS  (1UL << 7)	/* huge page (PDPT/PD level) */
#define PTE_G   (1UL << 8)	/* global: survives CR3 reloads */
#define PTE_COW (1UL << 9)	/* software: copy-on-write page */
#define PTE_PROTNONE (1UL << 10) /* software: PROT_NONE page, mapped with PTE_P clear */
#define PTE_NX  (1UL << 63)	/* no execute */

/*
 * A PD entry (level 2) that points at a page table shared by several
 * address spaces (mm/ptshare.c): fork shares each last-level table instead
 * of copying its entries, and the first change under it copies the table.
 * Such an entry has PTE_W clear and PDE_TABLE_COW set.  Intel SDM vol. 3A,
 * 4.6 "Access Rights": the R/W flags of every level combine, so R/W=0 in
 * the PD entry makes each of the 512 pages below read-only to user mode
 * and, with CR0.WP, to the kernel, whatever the leaf entries' own PTE_W
 * says; the leaf entries keep their bits.  Bit 9 is ignored by the CPU in
 * a PD entry too (4.5, table 4-17); the value equals PTE_COW's, the name
 * says which level is meant.
 */
#define PDE_TABLE_COW (1UL << 9)

#define PTE_ADDR_MASK 0x000FFFFFFFFFF000UL
/* The bits map_page and protect_page take as "protection". */
#define PTE_PROT_MASK (PTE_W | PTE_U | PTE_NX | PTE_COW | PTE_G | PTE_PCD | PTE_PWT | PTE_PROTNONE)

static inline uint64_t pte_addr(pte_t e) { return e & PTE_ADDR_MASK; }
/*
 * A PROT_NONE page keeps its frame but must fault on every access, the
 * kernel's own accesses included (a user copy from it is -EFAULT, as on
 * Linux): x86 has no "no access" bit for the kernel, so, as Linux does
 * (_PAGE_PROTNONE), its entry has PTE_P clear and PTE_PROTNONE set.  The CPU
 * ignores every other bit of a non-present entry.  pte_present() means
 * "maps a frame" and is true for both, as Linux's pte_present().
 */
static inline int pte_present(pte_t e) { return (e & (PTE_P | PTE_PROTNONE)) != 0; }
/* Entry E with its protection replaced by PROT (PTE_PROT_MASK bits): present
 * to the CPU unless PROT has PTE_PROTNONE.  Frame and A/D bits are kept. */
static inline pte_t pte_mkprot(pte_t e, uint64_t prot)
{
	prot &= PTE_PROT_MASK;
	return (e & ~(PTE_PROT_MASK | PTE_P)) | prot | ((prot & PTE_PROTNONE) ? 0 : PTE_P);
}

/* Page-table indexes of a virtual address: level 4 (PML4) down to 1 (PT). */
static inline unsigned pt_index(uint64_t va, int level)
{
	return (va >> (12 + 9 * (level - 1))) & 511;
}
