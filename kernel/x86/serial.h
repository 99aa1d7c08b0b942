/*
 * kernel/x86/serial.h - the 16550 UARTs: COM1 is the console, COM2 the status
 * port that tells scripts/boot how the machine ended (see kernel/x86/power.c).
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#define COM1 0x3F8
#define COM2 0x2F8

void serial_init(uint16_t port);
void serial_putc(uint16_t port, char c);
void serial_write(uint16_t port, const char *s, uint64_t n);
/* Returns a received byte, or -1 when none is waiting. */
int serial_getc(uint16_t port);
/* Ask COM1 to raise IRQ 4 when a byte arrives. */
void serial_enable_rx_irq(void);
