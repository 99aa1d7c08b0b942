/*
 * kernel/kmain.c - the kernel's C entry point: bring the machine up in order.
 *
 * boot.asm arrives here on the boot stack with the early page tables (first
 * 1 GiB mapped at 0, at the direct map and at KERNEL_VMA).  Each step below
 * may only use what the steps before it set up.  cpu_init comes before
 * anything that prints: every spin lock (printk's too) reaches its CPU
 * through the GS base.  The other CPUs start (smp_boot) once the boot CPU
 * has its local APIC, and before any process exists; the boot CPU then
 * ends, like them, in scheduler().
 */
#include "kernel/cmdline.h"
#include "kernel/x86/cpu.h"
#include "kernel/panic.h"
#include "kernel/proc.h"
#include "kernel/random.h"
#include "kernel/sched.h"
#include "kernel/fs/tty.h"
#include "kernel/x86/gdt.h"
#include "kernel/fs/mount.h"
#include "kernel/ktest.h"
#include "kernel/lockdep.h"
#include "kernel/multiboot.h"
#include "kernel/x86/pic.h"
#include "kernel/printk.h"
#include "kernel/x86/serial.h"
#include "kernel/x86/time.h"
#include "kernel/x86/trap.h"
#include "kernel/x86/x86.h"
#include "kernel/x86/acpi.h"
#include "kernel/x86/apic.h"
#include "kernel/x86/smpboot.h"
#include "mm/fault.h"
#include "mm/frame.h"
#include "mm/vmstat.h"
#include "mm/vm.h"

void kmain(uint64_t mbi_phys);

#define MAX_INIT_ARGS 16

/* Cut the next word out of *S in place: spaces separate words, "..." groups
 * them (GRUB passes a word with spaces on in double quotes), and a backslash
 * keeps the next character.  NULL at the end of the line. */
static char *next_word(char **s)
{
	char *in = *s, *out, *word;
	bool quoted = false;

	while (*in == ' ')
		in++;
	if (!*in)
		return NULL;
	word = out = in;
	for (; *in && (quoted || *in != ' '); in++) {
		if (*in == '"')
			quoted = !quoted;
		else if (*in == '\\' && in[1])
			*out++ = *++in;
		else
			*out++ = *in;
	}
	*s = *in ? in + 1 : in;
	*out = 0;
	return word;
}

/* Split init= (the rest of the command line) into the first program's argv. */
static void start_init(void)
{
	static char buf[256];
	static char *argv[MAX_INIT_ARGS + 1];
	size_t len = 0;
	const char *v = cmdline_value("init", &len);
	int argc = 0;
	char *s = buf, *word;

	if (!v)
		v = "/bin/init", len = strlen(v);
	strlcpy(buf, v, MIN(len + 1, sizeof(buf)));
	while (argc < MAX_INIT_ARGS && (word = next_word(&s)))
		argv[argc++] = word;
	argv[argc] = NULL;
	if (argc == 0)
		panic("kmain: init= names no program");
	pr_info("kernel: starting %s\n", argv[0]);
	proc_start_init(argv[0], argv);
}

void kmain(uint64_t mbi_phys)
{
	serial_init(COM1);
	serial_init(COM2);
	cpu_init(&cpus[0]);
	gdt_init(0, NULL);
	idt_init();
	proc_init();
	multiboot_parse(mbi_phys);
	cmdline_init(boot_info.cmdline);
	lockdep_init();
	pr_info("cowos: booting, command line \"%s\"\n", boot_info.cmdline);
	frame_init();
	vm_init_kernel();
	vmstat_init();
	fault_init();
	acpi_init();
	pic_init();
	time_init();
	random_init();
	apic_init();
	sched_init();
	sti();
	smp_boot();
	fs_init();
	tty_init();
	if (cmdline_has("ktest"))
		ktest_run();
	start_init();
	scheduler();
}
