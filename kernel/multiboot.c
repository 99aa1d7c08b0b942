/*
 * kernel/multiboot.c - reading the multiboot2 information structure.
 *
 * The memory map from firmware can have holes, overlapping entries and
 * reserved ranges inside available ones.  We build the usable RAM list in two
 * passes: add every "available" entry (merging overlaps), then cut out every
 * entry of any other type, so reserved always wins.  The boot information is
 * read through the direct map, which covers the first 1 GiB from the start;
 * GRUB places it and the modules low.
 */
#include "kernel/multiboot.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "mm/layout.h"

enum {
	TAG_END = 0,
	TAG_CMDLINE = 1,
	TAG_MODULE = 3,
	TAG_MMAP = 6,
	TAG_ACPI_OLD = 14,	/* a copy of the ACPI 1.0 RSDP (20 bytes) */
	TAG_ACPI_NEW = 15,	/* a copy of the ACPI 2.0+ RSDP (36 bytes) */
};
#define MMAP_AVAILABLE 1

struct mb_tag {
	uint32_t type, size;
};

struct mb_mmap_entry {
	uint64_t addr, len;
	uint32_t type, reserved;
};

struct boot_info boot_info;

bool mem_region_add(struct mem_region *r, int *n, int max, uint64_t start, uint64_t end)
{
	int i = 0;

	if (start >= end)
		return true;
	while (i < *n && r[i].end < start)
		i++;
	/* merge every region that overlaps or touches [start, end) */
	int j = i;
	while (j < *n && r[j].start <= end) {
		start = MIN(start, r[j].start);
		end = MAX(end, r[j].end);
		j++;
	}
	int removed = j - i;
	if (removed == 0 && *n == max)
		return false;
	memmove(&r[i + 1], &r[j], (*n - j) * sizeof(*r));
	*n -= removed - 1;
	r[i] = (struct mem_region){ start, end };
	return true;
}

void mem_region_remove(struct mem_region *r, int *n, int max, uint64_t start, uint64_t end)
{
	for (int i = 0; i < *n; i++) {
		struct mem_region cur = r[i];
		if (cur.end <= start || cur.start >= end)
			continue;
		if (cur.start < start && cur.end > end && *n < max) {
			memmove(&r[i + 1], &r[i], (*n - i) * sizeof(*r));
			(*n)++;
			r[i].end = start;
			r[i + 1].start = end;
			return;
		}
		if (cur.start < start)
			r[i].end = start;
		else if (cur.end > end)
			r[i].start = end;
		else {
			memmove(&r[i], &r[i + 1], (*n - i - 1) * sizeof(*r));
			(*n)--;
			i--;
		}
	}
}

static void parse_mmap(const struct mb_tag *tag, bool available)
{
	const uint8_t *p = (const uint8_t *)tag + 16;
	uint32_t entry_size = ((const uint32_t *)tag)[2];
	const uint8_t *end = (const uint8_t *)tag + tag->size;

	if (entry_size < sizeof(struct mb_mmap_entry))
		panic("multiboot: memory map entry size %u too small", entry_size);
	for (; p + entry_size <= end; p += entry_size) {
		const struct mb_mmap_entry *e = (const void *)p;
		uint64_t s = e->addr, t = e->addr + e->len;
		if (t < s)
			t = UINT64_MAX;
		if (available && e->type == MMAP_AVAILABLE) {
			if (!mem_region_add(boot_info.ram, &boot_info.nram, BOOT_MAX_REGIONS,
					ALIGN_UP(s, PAGE_SIZE), ALIGN_DOWN(t, PAGE_SIZE)))
				pr_warn("multiboot: too many memory regions, ignoring %lx-%lx\n", s, t);
		} else if (!available && e->type != MMAP_AVAILABLE) {
			mem_region_remove(boot_info.ram, &boot_info.nram, BOOT_MAX_REGIONS,
				      ALIGN_DOWN(s, PAGE_SIZE), ALIGN_UP(t, PAGE_SIZE));
		}
	}
}

static void parse_module(const struct mb_tag *tag)
{
	const uint32_t *w = (const uint32_t *)tag;

	if (boot_info.nmodules == BOOT_MAX_MODULES) {
		pr_warn("multiboot: too many modules, ignoring one\n");
		return;
	}
	boot_info.modules[boot_info.nmodules++] = (struct boot_module){
		.start = w[2], .end = w[3], .name = (const char *)&w[4],
	};
}

/* Keep GRUB's copy of the RSDP (multiboot2 spec §3.6.11, .12); the 2.0+
 * one wins when both are given, since only it has the XSDT. */
static void parse_rsdp(const struct mb_tag *tag)
{
	uint32_t len;

	if (tag->size < 8 || (tag->type == TAG_ACPI_OLD && boot_info.acpi_rsdp_len))
		return;
	len = MIN(tag->size - 8, sizeof(boot_info.acpi_rsdp));
	memcpy(boot_info.acpi_rsdp, (const uint8_t *)tag + 8, len);
	boot_info.acpi_rsdp_len = len;
}

/* Visit every tag; the memory map is read in two passes (see above). */
static void walk_tags(uint64_t mbi, int pass)
{
	uint32_t total = *(const uint32_t *)phys_to_virt(mbi);
	uint64_t p = mbi + 8, end = mbi + total;

	while (p + sizeof(struct mb_tag) <= end) {
		const struct mb_tag *tag = phys_to_virt(p);
		if (tag->type == TAG_END)
			break;
		if (tag->type == TAG_MMAP)
			parse_mmap(tag, pass == 0);
		else if (pass == 0 && tag->type == TAG_CMDLINE)
			boot_info.cmdline = (const char *)tag + 8;
		else if (pass == 0 && tag->type == TAG_MODULE)
			parse_module(tag);
		else if (pass == 0 && (tag->type == TAG_ACPI_OLD || tag->type == TAG_ACPI_NEW))
			parse_rsdp(tag);
		p += ALIGN_UP(tag->size, 8);
	}
}

void multiboot_parse(uint64_t mbi)
{
	if (mbi == 0 || mbi + 8 > BOOT_DIRECT_MAP_SIZE)
		panic("multiboot: information structure at %lx is out of reach", mbi);
	boot_info.cmdline = "";
	boot_info.mbi_start = mbi;
	boot_info.mbi_end = mbi + *(const uint32_t *)phys_to_virt(mbi);
	walk_tags(mbi, 0);
	walk_tags(mbi, 1);
	/* Never use page 0: a null physical address means "no frame". */
	mem_region_remove(boot_info.ram, &boot_info.nram, BOOT_MAX_REGIONS, 0, PAGE_SIZE);
	if (boot_info.nram == 0)
		panic("multiboot: no usable memory in the memory map");
}
