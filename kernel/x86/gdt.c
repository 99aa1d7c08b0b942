/*
 * kernel/x86/gdt.c - GDT and TSS set-up.
 * The double-fault handler runs on its own stack (IST1), so a kernel stack
 * overflow into a guard page still reaches panic() with a clean stack.
 */
#include "kernel/x86/gdt.h"
#include "kernel/lib.h"

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

static struct tss tss;
static uint8_t double_fault_stack[8192] __attribute__((aligned(16)));

static uint64_t gdt[7] = {
	0,
	0x00AF9A000000FFFF,	/* 0x08 kernel code: present, ring 0, 64-bit */
	0x00CF92000000FFFF,	/* 0x10 kernel data */
	0x00CFF2000000FFFF,	/* 0x18 user data, ring 3 */
	0x00AFFA000000FFFF,	/* 0x20 user code, ring 3, 64-bit */
	0, 0,			/* 0x28 TSS (16 bytes) */
};

struct descriptor_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static void set_tss_descriptor(void)
{
	uint64_t base = (uint64_t)&tss, limit = sizeof(tss) - 1;

	gdt[5] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (0x89UL << 40) |
		 (((limit >> 16) & 0xF) << 48) | (((base >> 24) & 0xFF) << 56);
	gdt[6] = base >> 32;
}

void gdt_init(void)
{
	struct descriptor_ptr p = { sizeof(gdt) - 1, (uint64_t)gdt };

	tss.ist[IST_DOUBLE_FAULT - 1] = (uint64_t)double_fault_stack + sizeof(double_fault_stack);
	tss.iomap_base = sizeof(tss);
	set_tss_descriptor();
	asm volatile("lgdt %0\n"
		     "mov %1, %%ds\n mov %1, %%es\n mov %1, %%ss\n"
		     "pushq %2\n leaq 1f(%%rip), %%rax\n pushq %%rax\n lretq\n1:\n"
		     "ltr %w3"
		     : : "m"(p), "r"((uint64_t)SEG_KDATA), "i"(SEG_KCODE), "r"(SEG_TSS)
		     : "rax", "memory");
}

void tss_set_kernel_stack(uint64_t rsp0)
{
	tss.rsp[0] = rsp0;
}
