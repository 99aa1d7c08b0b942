/*
 * kernel/x86/ioremap.h - reaching physical memory that is not ordinary RAM:
 * device registers (the local and I/O APICs) and firmware tables (ACPI).
 *
 * The direct map covers RAM with 2 MiB pages; the memory invariant checker
 * (mm/audit.c) expects every 4 KiB kernel mapping between the direct map
 * and the kernel image to be a kernel stack or buffer page.  So anything
 * else is mapped in a fixed window of its own above the kernel image, the
 * last 2 MiB of the address space (Linux's "fixmap" sits there too), page by
 * page, at boot, for good.
 */
#pragma once
#include <stdint.h>
#include "mm/layout.h"

/* A kernel address for the device registers at [PA, PA + LEN), mapped
 * uncached (PCD | PWT: Intel SDM Vol 3A §11.12.3, memory type UC); NULL when
 * the window is full or no page table can be allocated. */
volatile void *ioremap(uint64_t pa, uint64_t len);
/* A kernel address for the firmware data at [PA, PA + LEN), read-only and
 * cached: the direct map's when it covers the range, else a window mapping.
 * NULL as for ioremap. */
const void *memremap(uint64_t pa, uint64_t len);
