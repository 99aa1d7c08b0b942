/*
 * kernel/x86/acpi.h - what the ACPI tables say about interrupt controllers
 * and processors: the MADT (ACPI 6.5 §5.2.12), found through the RSDP and
 * the RSDT/XSDT.  Only reading: no AML, no power management.
 *
 * acpi_init() fills struct acpi_madt_info once at boot; kernel/x86/apic.c and
 * kernel/x86/smpboot.c use it.  A missing or corrupt table is not an error:
 * the machine then runs on one CPU with the 8259 PIC, as before ACPI.
 */
#pragma once
#include "kernel/lib.h"
#include "kernel/x86/cpu.h"

#define ISA_IRQS 16

/* MPS INTI flags of an interrupt source override (ACPI 6.5 §5.2.12.5,
 * Table 5.26): polarity in bits 0-1, trigger mode in bits 2-3; 0 means
 * "conforms to the bus", which for ISA is active high, edge triggered. */
#define MPS_POLARITY_LOW 0x3
#define MPS_TRIGGER_LEVEL 0xC

struct acpi_madt_info {
	bool present;			/* a valid MADT was found */
	uint64_t lapic_phys;		/* local APIC registers (or its address override) */
	int ncpu;			/* local APICs listed as enabled or online capable */
	uint8_t apic_ids[NCPU];		/* their APIC IDs, in table order */
	uint64_t ioapic_phys;		/* the I/O APIC serving GSI 0; 0 when none */
	uint32_t ioapic_gsi_base;
	uint32_t isa_gsi[ISA_IRQS];	/* the GSI each ISA IRQ arrives on */
	uint16_t isa_flags[ISA_IRQS];	/* and its MPS INTI flags */
	bool pcat_compat;		/* 8259 PICs present: mask them (MADT flags bit 0) */
};

extern struct acpi_madt_info acpi_madt;

/* Find and check the RSDP, RSDT/XSDT and MADT; fill acpi_madt.  False (with
 * the reason in the log) when there is no usable MADT.  After vm_init_kernel. */
bool acpi_init(void);
