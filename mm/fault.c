/*
 * mm/fault.c - page-fault dispatch.
 *
 * Every #PF arrives here from trap().  A fault in kernel mode on a kernel
 * address is a kernel bug: full panic report.  (User faults, copy-on-write,
 * the zero page and file pages are decided here too as the kernel grows.)
 */
#include "mm/fault.h"
#include "kernel/panic.h"
#include "kernel/trap.h"
#include "kernel/x86.h"

void page_fault(struct trapframe *tf)
{
	panic_trap(tf, "page fault in kernel mode");
}
