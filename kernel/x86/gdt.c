/*
 * kernel/x86/gdt.c - GDT and TSS set-up, one of each per CPU.
 * The double-fault handler runs on its own stack (IST1), so a kernel stack
 * overflow into a guard page still reaches panic() with a clean stack; the
 * NMI handler too (IST2), because an NMI can arrive anywhere, even on the
 * first instruction of the syscall entry, before it has switched stacks.
 */
#include "kernel/x86/gdt.h"
#include "kernel/lib.h"
#include "kernel/x86/cpu.h"

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

static struct tss tss[NCPU];
static uint8_t boot_ist_area[IST_AREA_SIZE] __attribute__((aligned(16)));

static const uint64_t gdt_template[7] = {
	0,
	0x00AF9A000000FFFF,	/* 0x08 kernel code: present, ring 0, 64-bit */
	0x00CF92000000FFFF,	/* 0x10 kernel data */
	0x00CFF2000000FFFF,	/* 0x18 user data, ring 3 */
	0x00AFFA000000FFFF,	/* 0x20 user code, ring 3, 64-bit */
	0, 0,			/* 0x28 TSS (16 bytes) */
};
static uint64_t gdt[NCPU][7];

struct descriptor_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

/* The 16-byte TSS descriptor of long mode (Intel SDM Vol 3A §7.2.3). */
static void set_tss_descriptor(uint64_t *g, const struct tss *t)
{
	uint64_t base = (uint64_t)t, limit = sizeof(*t) - 1;

	g[5] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (0x89UL << 40) |
	       (((limit >> 16) & 0xF) << 48) | (((base >> 24) & 0xFF) << 56);
	g[6] = base >> 32;
}

void gdt_init(int cpu, void *ist_area)
{
	uint64_t *g = gdt[cpu];
	struct tss *t = &tss[cpu];
	struct descriptor_ptr p = { sizeof(gdt[cpu]) - 1, (uint64_t)g };
	uint64_t ist = (uint64_t)(ist_area ? ist_area : boot_ist_area);

	memcpy(g, gdt_template, sizeof(gdt_template));
	t->ist[IST_DOUBLE_FAULT - 1] = ist + IST_STACK_SIZE;
	t->ist[IST_NMI - 1] = ist + 2 * IST_STACK_SIZE;
	t->iomap_base = sizeof(*t);
	set_tss_descriptor(g, t);
	asm volatile("lgdt %0\n"
		     "mov %1, %%ds\n mov %1, %%es\n mov %1, %%ss\n"
		     "pushq %2\n leaq 1f(%%rip), %%rax\n pushq %%rax\n lretq\n1:\n"
		     "ltr %w3"
		     : : "m"(p), "r"((uint64_t)SEG_KDATA), "i"(SEG_KCODE), "r"(SEG_TSS)
		     : "rax", "memory");
}

void tss_set_kernel_stack(uint64_t rsp0)
{
	tss[cpu_id()].rsp[0] = rsp0;
}
