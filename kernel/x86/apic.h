/*
 * kernel/x86/apic.h - the local APIC of each CPU (xAPIC, memory-mapped) and
 * the I/O APIC, which together replace the 8259 PIC once ACPI has described
 * them (kernel/x86/acpi.h).
 *
 * Each CPU's local APIC gives it a periodic timer at HZ (vector
 * T_LOCAL_TIMER), calibrated once against the TSC clock of kernel/x86/time.c,
 * and lets CPUs interrupt each other (IPIs).  The I/O APIC delivers the ISA
 * interrupts (the serial port's) to the boot CPU.  Without a MADT none of
 * this is used and the PIC and PIT go on as on a uniprocessor PC.
 */
#pragma once
#include "kernel/lib.h"

/* True once apic_init() succeeded: ISA IRQs come through the I/O APIC and
 * every interrupt is acknowledged with lapic_eoi(). */
extern bool apic_active;

/* On the boot CPU, after time_init() and acpi_init(): enable its local APIC,
 * calibrate and start its timer, take over the ISA IRQs from the PIC (now
 * masked).  False, with the reason logged, when the machine has no usable
 * APIC: the PIC and PIT stay in charge. */
bool apic_init(void);
/* On an application processor: enable its local APIC and start its timer
 * with the boot CPU's calibration. */
void lapic_init_ap(void);
/* This CPU's local APIC ID (Intel SDM Vol 3A §10.4.6). */
uint32_t lapic_id(void);
/* End of interrupt: the local APIC may deliver the next one (§10.8.5). */
void lapic_eoi(void);
/* Interrupt CPU (index in cpus[]) with VECTOR (fixed delivery). */
void apic_send_ipi(int cpu, int vector);
/* Send an NMI to every CPU but this one (panic stops the others with it). */
void apic_send_nmi_others(void);
/* The start-up protocol's two IPIs (§8.4.4.1) to the CPU with APIC_ID:
 * INIT (assert, then de-assert), and START-UP at physical page VECTOR. */
void lapic_send_init(uint32_t apic_id);
void lapic_send_startup(uint32_t apic_id, uint8_t vector);
/* Route ISA IRQ (0..15) through the I/O APIC to VECTOR on the boot CPU,
 * honouring ACPI's interrupt source overrides; false when the I/O APIC is
 * not in use (the caller unmasks the PIC instead). */
bool ioapic_route(int irq, int vector);
