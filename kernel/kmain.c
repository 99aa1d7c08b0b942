/*
 * kernel/kmain.c - the kernel's C entry point: bring the machine up in order.
 *
 * boot.asm arrives here on the boot stack with the early page tables (first
 * 1 GiB mapped at 0, at the direct map and at KERNEL_VMA).  Each step below
 * may only use what the steps before it set up.
 */
#include "kernel/cmdline.h"
#include "kernel/gdt.h"
#include "kernel/initrd.h"
#include "kernel/ktest.h"
#include "kernel/multiboot.h"
#include "kernel/pic.h"
#include "kernel/printk.h"
#include "kernel/serial.h"
#include "kernel/time.h"
#include "kernel/trap.h"
#include "kernel/x86.h"
#include "mm/frame.h"
#include "mm/vm.h"

void kmain(uint64_t mbi_phys);

static void idle(void)
{
	for (;;)
		hlt();
}

void kmain(uint64_t mbi_phys)
{
	serial_init(COM1);
	serial_init(COM2);
	gdt_init();
	idt_init();
	multiboot_parse(mbi_phys);
	cmdline_init(boot_info.cmdline);
	pr_info("cowos: booting, command line \"%s\"\n", boot_info.cmdline);
	frame_init();
	vm_init_kernel();
	pic_init();
	time_init();
	sti();
	initrd_init();
	if (cmdline_has("ktest"))
		ktest_run();
	pr_info("kernel: no init program yet; idling (Ctrl-A X quits QEMU)\n");
	idle();
}
