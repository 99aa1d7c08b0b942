/*
 * kernel/x86/pic.h - the legacy 8259 interrupt controllers, remapped so that
 * IRQ n arrives at vector 32 + n.  Enough for the PIT timer and COM1.
 */
#pragma once
#include <stdbool.h>

void pic_init(void);
void pic_unmask(int irq);
/* Mask every input: the I/O APIC delivers the ISA interrupts from now on. */
void pic_disable(void);
void pic_eoi(int irq);
/* IRQ 7 and 15 can fire without a cause; true when this one did. */
bool pic_is_spurious(int irq);
