/*
 * mm/layout.h - the virtual memory layout, in one place.
 *
 *   0x0000000000000000 .. 0x00007fffffffffff  user half (per process)
 *   0xffff800000000000 .. +RAM                direct map of all physical memory
 *   0xffffff8000000000 .. +1 GiB              kernel stacks (with guard pages)
 *   0xffffff8040000000 .. +1 GiB              kvmalloc windows (multi-page buffers)
 *   0xffffffff80000000 .. +2 GiB              kernel image (KERNEL_VMA + phys)
 *   0xffffffffffe00000 .. +2 MiB              fixmap: APIC and ACPI tables
 *                                             (FIXMAP_BASE, kernel/x86/ioremap.c)
 *
 * docs/boot.md has the same table with the reasons for each choice.
 */
#pragma once
#include <stdint.h>

#define PAGE_SIZE 4096UL
#define PAGE_SHIFT 12
#define HUGE_2M (2UL << 20)	/* what one page table (512 entries) maps */
#define HUGE_1G (1UL << 30)	/* what one page directory (512 PD entries) maps */

#define USER_TOP 0x0000800000000000UL
/*
 * The end of what mmap may map: one page below USER_TOP, Linux's
 * TASK_SIZE_MAX.  A `syscall` in the last two bytes of a page at USER_TOP -
 * PAGE_SIZE would return to USER_TOP, a non-canonical address: SYSRET there
 * faults in ring 0 on Intel (CVE-2012-0217) and IRET faults in ring 0 too.
 * With that page never mapped, no user RIP can reach it.
 */
#define USER_END (USER_TOP - PAGE_SIZE)
#define DIRECT_MAP_BASE 0xFFFF800000000000UL
#define KSTACK_AREA_BASE 0xFFFFFF8000000000UL
#define KSTACK_AREA_SIZE (1UL << 30)
#define KVMAP_AREA_BASE 0xFFFFFF8040000000UL
#define FIXMAP_BASE 0xFFFFFFFFFFE00000UL	/* ioremap, memremap: kernel/x86/ioremap.c */
#define FIXMAP_SIZE (2UL << 20)
#define KERNEL_VMA 0xFFFFFFFF80000000UL

/* The physical memory the direct map covers from the first instruction of kmain. */
#define BOOT_DIRECT_MAP_SIZE (1UL << 30)

static inline void *phys_to_virt(uint64_t pa) { return (void *)(pa + DIRECT_MAP_BASE); }
static inline uint64_t virt_to_phys(const void *va)
{
	uint64_t v = (uint64_t)va;
	return v >= KERNEL_VMA ? v - KERNEL_VMA : v - DIRECT_MAP_BASE;
}

static inline int is_user_addr(uint64_t va) { return va < USER_TOP; }
static inline int is_canonical(uint64_t va)
{
	return va < USER_TOP || va >= 0xFFFF800000000000UL;
}

/* Symbols from linker.ld. */
extern char _text_start[], _text_end[], _rodata_start[], _rodata_end[];
extern char _data_start[], _data_end[], _ksyms_start[], _kernel_end[];
