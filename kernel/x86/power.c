/*
 * kernel/x86/power.c - power off, carrying a status out of the virtual machine.
 *
 * Protocol with scripts/boot: COM2 is connected to a file; the kernel writes
 * one line "exit N" there, then writes to QEMU's isa-debug-exit port, which
 * ends QEMU.  The status never travels through the console, so nothing a user
 * program prints can forge it.  Without QEMU (real hardware) we halt.
 */
#include "kernel/x86/power.h"
#include "kernel/lib.h"
#include "kernel/x86/serial.h"
#include "kernel/x86/x86.h"

#define DEBUG_EXIT_PORT 0xF4
#define ACPI_PM1A_CNT_QEMU 0x604
#define ACPI_SLP_EN_S5 0x2000

void machine_exit(int status)
{
	char line[16];

	cli();
	int n = snprintf(line, sizeof(line), "exit %d\n", status);
	for (int i = 0; i < n; i++)
		serial_putc(COM2, line[i]);
	outl(DEBUG_EXIT_PORT, (uint32_t)status);
	outw(ACPI_PM1A_CNT_QEMU, ACPI_SLP_EN_S5);
	for (;;)
		hlt();
}
