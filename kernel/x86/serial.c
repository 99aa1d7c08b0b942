/*
 * kernel/x86/serial.c - polled output and interrupt-driven input on 16550 UARTs.
 * Output busy-waits on the transmit-holding-register-empty bit; console input
 * arrives through IRQ 4 (kernel/console.c takes it from there).
 */
#include "kernel/x86/serial.h"
#include "kernel/x86/x86.h"

enum { DATA = 0, IER = 1, FCR = 2, LCR = 3, MCR = 4, LSR = 5 };
enum { LSR_DATA_READY = 0x01, LSR_THR_EMPTY = 0x20 };

void serial_init(uint16_t port)
{
	outb(port + IER, 0x00);
	outb(port + LCR, 0x80);		/* DLAB: set the divisor */
	outb(port + DATA, 0x01);	/* 115200 baud */
	outb(port + IER, 0x00);
	outb(port + LCR, 0x03);		/* 8 bits, no parity, one stop bit */
	outb(port + FCR, 0xC7);		/* FIFO on, cleared, 14-byte threshold */
	outb(port + MCR, 0x0B);		/* DTR, RTS, OUT2 (IRQ line enabled) */
}

void serial_putc(uint16_t port, char c)
{
	while (!(inb(port + LSR) & LSR_THR_EMPTY))
		pause();
	outb(port + DATA, (uint8_t)c);
}

void serial_write(uint16_t port, const char *s, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			serial_putc(port, '\r');
		serial_putc(port, s[i]);
	}
}

int serial_getc(uint16_t port)
{
	if (!(inb(port + LSR) & LSR_DATA_READY))
		return -1;
	return inb(port + DATA);
}

void serial_enable_rx_irq(void)
{
	outb(COM1 + IER, 0x01);
}
