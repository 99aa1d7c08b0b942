/*
 * kernel/x86/cpu.c - per-CPU set-up: GS base, the syscall MSRs, the FPU, and
 * what CPUID says about the processor.
 *
 * STAR holds the segment selectors syscall and sysret load: kernel code
 * 0x08 (data 0x10 follows), and for the return 0x10, from which the CPU
 * derives user data 0x18 and user code 0x20 (kernel/x86/gdt.h).  FMASK clears
 * IF, DF, TF and AC on entry, so the entry code runs with interrupts off.
 * The user's GS base (MSR_KERNEL_GS_BASE while in the kernel) is always 0.
 */
#include "kernel/x86/cpu.h"
#include "kernel/x86/gdt.h"
#include "kernel/x86/x86.h"

#define EFER_SCE (1UL << 0)
#define CR0_MP (1UL << 1)
#define CR0_EM (1UL << 2)
#define CR0_TS (1UL << 3)
#define CR4_OSFXSR (1UL << 9)
#define CR4_OSXMMEXCPT (1UL << 10)
#define FMASK_BITS 0x47700UL	/* TF, IF, DF, IOPL, NT, AC */

struct cpu cpus[NCPU];
int ncpu = 1;

extern char syscall_entry[];

static void fpu_init(void)
{
	uint64_t cr0 = read_cr0(), cr4 = read_cr4();

	cr0 = (cr0 & ~(CR0_EM | CR0_TS)) | CR0_MP;
	asm volatile("mov %0, %%cr0" : : "r"(cr0));
	asm volatile("mov %0, %%cr4" : : "r"(cr4 | CR4_OSFXSR | CR4_OSXMMEXCPT));
	asm volatile("fninit");
}

/* Leaf 1 EAX: the family and model with their extended fields folded in the
 * way Intel SDM Vol 2A (CPUID, "Feature Information") says to display them. */
static void identify(struct cpu_ident *id)
{
	uint32_t r[4], eax;

	cpuid(0, 0, r);
	id->cpuid_level = r[0];
	memcpy(id->vendor, &r[1], 4);
	memcpy(id->vendor + 4, &r[3], 4);
	memcpy(id->vendor + 8, &r[2], 4);
	cpuid(1, 0, r);
	eax = r[0];
	id->features_ecx = r[2];
	id->features_edx = r[3];
	id->stepping = eax & 0xF;
	id->family = (eax >> 8) & 0xF;
	id->model = (eax >> 4) & 0xF;
	if (id->family == 0xF)
		id->family += (eax >> 20) & 0xFF;
	if (id->family >= 6)
		id->model |= ((eax >> 16) & 0xF) << 4;
	cpuid(0x80000000, 0, r);
	uint32_t ext = r[0];
	for (uint32_t leaf = 0x80000002; leaf <= 0x80000004 && ext >= 0x80000004; leaf++) {
		cpuid(leaf, 0, r);
		memcpy(id->model_name + (leaf - 0x80000002) * 16, r, 16);
	}
	while (id->model_name[0] == ' ')	/* Intel pads it on the left */
		memmove(id->model_name, id->model_name + 1, sizeof(id->model_name) - 1);
	if (ext >= 0x80000008) {
		cpuid(0x80000008, 0, r);
		id->phys_bits = r[0] & 0xFF;
		id->virt_bits = (r[0] >> 8) & 0xFF;
	}
}

/* Linux's names for the CPUID leaf 1 feature bits, EDX then ECX
 * (arch/x86/include/asm/cpufeatures.h, words 0 and 4); NULL where Linux
 * shows nothing. */
static const char *const leaf1_flags[2][32] = {
	{ "fpu", "vme", "de", "pse", "tsc", "msr", "pae", "mce", "cx8", "apic", NULL, "sep",
	  "mtrr", "pge", "mca", "cmov", "pat", "pse36", "pn", "clflush", NULL, "dts", "acpi",
	  "mmx", "fxsr", "sse", "sse2", "ss", "ht", "tm", "ia64", "pbe" },
	{ "pni", "pclmulqdq", "dtes64", "monitor", "ds_cpl", "vmx", "smx", "est", "tm2",
	  "ssse3", "cid", "sdbg", "fma", "cx16", "xtpr", "pdcm", NULL, "pcid", "dca", "sse4_1",
	  "sse4_2", "x2apic", "movbe", "popcnt", "tsc_deadline_timer", "aes", "xsave", NULL,
	  "avx", "f16c", "rdrand", "hypervisor" },
};

size_t cpu_flags(const struct cpu_ident *id, char *buf, size_t size)
{
	const uint32_t words[2] = { id->features_edx, id->features_ecx };
	size_t n = 0;

	buf[0] = 0;
	for (int w = 0; w < 2; w++)
		for (int bit = 0; bit < 32; bit++)
			if ((words[w] & (1U << bit)) && leaf1_flags[w][bit] && n < size)
				n += snprintf(buf + n, size - n, "%s%s", n ? " " : "",
					      leaf1_flags[w][bit]);
	return MIN(n, size - 1);
}

void cpu_init(struct cpu *c)
{
	c->self = c;
	wrmsr(MSR_GS_BASE, (uint64_t)c);
	wrmsr(MSR_KERNEL_GS_BASE, 0);
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	wrmsr(MSR_STAR, ((uint64_t)(SEG_KDATA) << 48) | ((uint64_t)SEG_KCODE << 32));
	wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
	wrmsr(MSR_FMASK, FMASK_BITS);
	fpu_init();
	identify(&c->ident);
}
