/*
 * kernel/x86/pic.c - programming the two cascaded 8259 PICs.  They are
 * always initialised (remapped away from the exception vectors), and masked
 * for good once the I/O APIC takes over (kernel/x86/apic.c).
 */
#include "kernel/x86/pic.h"
#include "kernel/x86/x86.h"

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xA0
#define PIC2_DATA 0xA1
#define PIC_EOI 0x20
#define PIC_READ_ISR 0x0B
#define CASCADE_IRQ 2

static uint16_t mask = 0xFFFF & ~(1 << CASCADE_IRQ);

static void write_mask(void)
{
	outb(PIC1_DATA, mask & 0xFF);
	outb(PIC2_DATA, mask >> 8);
}

void pic_init(void)
{
	outb(PIC1_CMD, 0x11);		/* ICW1: init, expect ICW4 */
	outb(PIC2_CMD, 0x11);
	outb(PIC1_DATA, 32);		/* ICW2: vector offsets */
	outb(PIC2_DATA, 40);
	outb(PIC1_DATA, 1 << CASCADE_IRQ);	/* ICW3: slave on IRQ 2 */
	outb(PIC2_DATA, CASCADE_IRQ);
	outb(PIC1_DATA, 0x01);		/* ICW4: 8086 mode */
	outb(PIC2_DATA, 0x01);
	write_mask();
}

void pic_unmask(int irq)
{
	mask &= ~(1 << irq);
	write_mask();
}

void pic_disable(void)
{
	mask = 0xFFFF;
	write_mask();
}

void pic_eoi(int irq)
{
	if (irq >= 8)
		outb(PIC2_CMD, PIC_EOI);
	outb(PIC1_CMD, PIC_EOI);
}

static uint8_t in_service(uint16_t cmd)
{
	outb(cmd, PIC_READ_ISR);
	return inb(cmd);
}

bool pic_is_spurious(int irq)
{
	if (irq == 7 && !(in_service(PIC1_CMD) & 0x80))
		return true;
	if (irq == 15 && !(in_service(PIC2_CMD) & 0x80)) {
		outb(PIC1_CMD, PIC_EOI);	/* the master did see an interrupt */
		return true;
	}
	return false;
}
