/*
 * kernel/multiboot.h - what the boot loader told us, in our own terms.
 * multiboot_parse() reads the multiboot2 information structure once; the rest
 * of the kernel uses struct boot_info and never sees multiboot tags.
 */
#pragma once
#include "kernel/lib.h"

#define BOOT_MAX_REGIONS 64
#define BOOT_MAX_MODULES 8

struct mem_region {
	uint64_t start, end;	/* [start, end), physical */
};

struct boot_module {
	uint64_t start, end;	/* physical */
	const char *name;	/* the module2 line's string, e.g. "initrd" */
};

struct boot_info {
	const char *cmdline;
	struct mem_region ram[BOOT_MAX_REGIONS];	/* usable RAM, sorted, no overlap */
	int nram;
	struct boot_module modules[BOOT_MAX_MODULES];
	int nmodules;
	uint64_t mbi_start, mbi_end;			/* the information structure itself */
	uint8_t acpi_rsdp[36];				/* GRUB's copy of the ACPI RSDP ... */
	uint32_t acpi_rsdp_len;				/* ... its length; 0: none given */
};

extern struct boot_info boot_info;

/* Parse the multiboot2 information at physical address MBI into boot_info. */
void multiboot_parse(uint64_t mbi);
/* Add [start, end) to a sorted, merged region list; false when full. */
bool mem_region_add(struct mem_region *r, int *n, int max, uint64_t start, uint64_t end);
/* Remove [start, end) from a region list (splitting regions as needed). */
void mem_region_remove(struct mem_region *r, int *n, int max, uint64_t start, uint64_t end);
