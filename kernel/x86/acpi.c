/*
 * kernel/x86/acpi.c - finding the MADT: RSDP -> XSDT (or RSDT) -> "APIC".
 *
 * The RSDP comes from the boot loader (GRUB copies it into the multiboot2
 * information, kernel/multiboot.c); without one we search where ACPI 6.5
 * §5.2.5.1 says a PC BIOS leaves it.  Every structure is checked before it
 * is believed: signature, a sane length, and the checksum (all bytes sum to
 * zero, §5.2.5.3 and §5.2.6).  Firmware tables lie in reserved memory, read
 * through memremap() (kernel/x86/ioremap.h).
 */
#include "kernel/x86/acpi.h"
#include "kernel/multiboot.h"
#include "kernel/printk.h"
#include "kernel/x86/ioremap.h"
#include "mm/layout.h"

#define RSDP_V1_LEN 20
#define TABLE_MAX_LEN (1UL << 20)	/* larger than any MADT or XSDT we could meet */
#define BIOS_EBDA_SEGMENT 0x40E
#define BIOS_ROM_START 0xE0000
#define BIOS_ROM_END 0x100000

/* Root System Description Pointer (ACPI 6.5 §5.2.5.3). */
struct rsdp {
	char signature[8];		/* "RSD PTR " */
	uint8_t checksum;		/* over the first 20 bytes */
	char oem_id[6];
	uint8_t revision;		/* 0: ACPI 1.0 (RSDT only); 2: has the fields below */
	uint32_t rsdt_address;
	uint32_t length;
	uint64_t xsdt_address;
	uint8_t extended_checksum;	/* over all `length` bytes */
	uint8_t reserved[3];
} __attribute__((packed));

/* System Description Table header (§5.2.6), at the start of every table. */
struct sdt_header {
	char signature[4];
	uint32_t length;		/* of the whole table, header included */
	uint8_t revision, checksum;
	char oem_id[6], oem_table_id[8];
	uint32_t oem_revision, creator_id, creator_revision;
} __attribute__((packed));

/* MADT (§5.2.12): the header, two fields, then variable-length entries. */
struct madt {
	struct sdt_header h;
	uint32_t lapic_address;
	uint32_t flags;			/* bit 0: PCAT_COMPAT */
	uint8_t entries[];
} __attribute__((packed));

enum {
	MADT_LOCAL_APIC = 0,		/* §5.2.12.2 */
	MADT_IO_APIC = 1,		/* §5.2.12.3 */
	MADT_SOURCE_OVERRIDE = 2,	/* §5.2.12.5 */
	MADT_LAPIC_OVERRIDE = 5,	/* §5.2.12.8 */
};
#define LAPIC_ENABLED (1U << 0)
#define LAPIC_ONLINE_CAPABLE (1U << 1)

struct acpi_madt_info acpi_madt;

static bool checksum_ok(const void *p, size_t n)
{
	uint8_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += ((const uint8_t *)p)[i];
	return sum == 0;
}

static bool rsdp_ok(const struct rsdp *r, size_t room)
{
	if (memcmp(r->signature, "RSD PTR ", 8) || !checksum_ok(r, RSDP_V1_LEN))
		return false;
	return r->revision < 2 ||
	       (r->length >= sizeof(*r) && r->length <= room && checksum_ok(r, r->length));
}

/* §5.2.5.1: the first KiB of the EBDA, then the BIOS ROM area, on 16-byte
 * boundaries.  Low memory is in the direct map. */
static const struct rsdp *scan_bios_area(void)
{
	uint64_t ebda = (uint64_t)*(const uint16_t *)phys_to_virt(BIOS_EBDA_SEGMENT) << 4;
	const uint64_t ranges[2][2] = {
		{ ebda, ebda ? ebda + 1024 : 0 }, { BIOS_ROM_START, BIOS_ROM_END },
	};

	for (int i = 0; i < 2; i++)
		for (uint64_t pa = ranges[i][0]; pa + sizeof(struct rsdp) <= ranges[i][1]; pa += 16)
			if (rsdp_ok(phys_to_virt(pa), ranges[i][1] - pa))
				return phys_to_virt(pa);
	return NULL;
}

static const struct rsdp *find_rsdp(void)
{
	const struct rsdp *r = (const struct rsdp *)boot_info.acpi_rsdp;

	if (boot_info.acpi_rsdp_len >= RSDP_V1_LEN && rsdp_ok(r, boot_info.acpi_rsdp_len))
		return r;
	if (boot_info.acpi_rsdp_len)
		pr_warn("acpi: the boot loader's RSDP is corrupt\n");
	return scan_bios_area();
}

/* The table at PA if its signature is SIG and it is whole; NULL (logged) if not. */
static const struct sdt_header *map_table(uint64_t pa, const char *sig)
{
	const struct sdt_header *h = memremap(pa, sizeof(*h));

	if (!h || memcmp(h->signature, sig, 4))
		return NULL;
	if (h->length < sizeof(*h) || h->length > TABLE_MAX_LEN ||
	    !(h = memremap(pa, h->length)) || !checksum_ok(h, h->length)) {
		pr_warn("acpi: the %.4s table at %lx is corrupt\n", sig, pa);
		return NULL;
	}
	return h;
}

/* The MADT, listed in the XSDT (64-bit entries, §5.2.8) when the RSDP has
 * one, else in the RSDT (32-bit entries, §5.2.7). */
static const struct madt *find_madt(const struct rsdp *r)
{
	bool x = r->revision >= 2 && r->xsdt_address;
	const struct sdt_header *root = x ? map_table(r->xsdt_address, "XSDT")
					  : map_table(r->rsdt_address, "RSDT");
	size_t size = x ? 8 : 4;

	if (!root)
		return NULL;
	const uint8_t *e = (const uint8_t *)(root + 1), *end = (const uint8_t *)root + root->length;
	for (; e + size <= end; e += size) {
		uint64_t pa = x ? *(const uint64_t *)e : *(const uint32_t *)e;
		const struct sdt_header *h = memremap(pa, sizeof(*h));
		if (h && !memcmp(h->signature, "APIC", 4))
			return (const struct madt *)map_table(pa, "APIC");
	}
	return NULL;
}

/* One MADT entry E (E[0] type, E[1] length, already checked to fit). */
static void madt_entry(const uint8_t *e)
{
	switch (e[0]) {
	case MADT_LOCAL_APIC: {
		uint32_t flags = *(const uint32_t *)(e + 4);
		if (!(flags & (LAPIC_ENABLED | LAPIC_ONLINE_CAPABLE)))
			break;
		if (acpi_madt.ncpu == NCPU)
			pr_warn("acpi: more than %d CPUs, ignoring APIC ID %u\n", NCPU, e[3]);
		else
			acpi_madt.apic_ids[acpi_madt.ncpu++] = e[3];
		break;
	}
	case MADT_IO_APIC:
		if (*(const uint32_t *)(e + 8) == 0) {	/* the one serving the ISA IRQs */
			acpi_madt.ioapic_phys = *(const uint32_t *)(e + 4);
			acpi_madt.ioapic_gsi_base = 0;
		}
		break;
	case MADT_SOURCE_OVERRIDE:
		if (e[2] == 0 && e[3] < ISA_IRQS) {	/* bus 0 is ISA */
			acpi_madt.isa_gsi[e[3]] = *(const uint32_t *)(e + 4);
			acpi_madt.isa_flags[e[3]] = *(const uint16_t *)(e + 8);
		}
		break;
	case MADT_LAPIC_OVERRIDE:
		acpi_madt.lapic_phys = *(const uint64_t *)(e + 4);
		break;
	}
}

/* The minimum length of each entry type we read, by the sections above. */
static uint8_t entry_min_len(uint8_t type)
{
	switch (type) {
	case MADT_LOCAL_APIC: return 8;
	case MADT_IO_APIC: return 12;
	case MADT_SOURCE_OVERRIDE: return 10;
	case MADT_LAPIC_OVERRIDE: return 12;
	default: return 2;
	}
}

static bool parse_madt(const struct madt *m)
{
	const uint8_t *e = m->entries, *end = (const uint8_t *)m + m->h.length;

	if ((const uint8_t *)m->entries > end)
		return false;
	acpi_madt.lapic_phys = m->lapic_address;
	acpi_madt.pcat_compat = m->flags & 1;
	for (int irq = 0; irq < ISA_IRQS; irq++)
		acpi_madt.isa_gsi[irq] = irq;
	for (; e + 2 <= end; e += e[1]) {
		if (e[1] < entry_min_len(e[0]) || e + e[1] > end) {
			pr_warn("acpi: MADT entry of type %u has a bad length %u\n", e[0], e[1]);
			return false;
		}
		madt_entry(e);
	}
	return acpi_madt.ncpu > 0;
}

static void log_madt(void)
{
	char ids[4 * NCPU + 1] = "", *s = ids;

	for (int i = 0; i < acpi_madt.ncpu; i++)
		s += snprintf(s, ids + sizeof(ids) - s, " %u", acpi_madt.apic_ids[i]);
	pr_info("acpi: MADT: %d CPUs (APIC IDs%s), local APIC at %lx, I/O APIC at %lx\n",
		acpi_madt.ncpu, ids, acpi_madt.lapic_phys, acpi_madt.ioapic_phys);
	for (int irq = 0; irq < ISA_IRQS; irq++)
		if (acpi_madt.isa_gsi[irq] != (uint32_t)irq || acpi_madt.isa_flags[irq])
			pr_info("acpi: ISA IRQ %d -> GSI %u, flags %x\n", irq,
				acpi_madt.isa_gsi[irq], acpi_madt.isa_flags[irq]);
}

bool acpi_init(void)
{
	const struct rsdp *r = find_rsdp();
	const struct madt *m = r ? find_madt(r) : NULL;

	if (!r) {
		pr_warn("acpi: no RSDP: running on one CPU\n");
		return false;
	}
	if (!m || !parse_madt(m)) {
		memset(&acpi_madt, 0, sizeof(acpi_madt));
		pr_warn("acpi: no usable MADT: running on one CPU\n");
		return false;
	}
	acpi_madt.present = true;
	log_madt();
	return true;
}
