/*
 * kernel/uaccess.c - checked copies between kernel and user memory.
 * The range check keeps user pointers out of the kernel half; the exception
 * table (kernel/x86/uaccess_asm.asm) catches what the check cannot know: pages
 * that are unmapped or not writable.
 */
#include "kernel/uaccess.h"
#include "kernel/errno.h"
#include "mm/layout.h"

struct extable_entry {
	uint64_t insn, fixup;
};

extern const struct extable_entry __extable_start[], __extable_end[];
uint64_t copy_user_raw(void *dst, const void *src, size_t n);

bool user_range_ok(uint64_t addr, size_t n)
{
	return addr < USER_TOP && n <= USER_TOP - addr;
}

int copy_from_user(void *dst, uint64_t usrc, size_t n)
{
	if (!user_range_ok(usrc, n))
		return -EFAULT;
	return copy_user_raw(dst, (const void *)usrc, n) ? -EFAULT : 0;
}

int copy_to_user(uint64_t udst, const void *src, size_t n)
{
	if (!user_range_ok(udst, n))
		return -EFAULT;
	return copy_user_raw((void *)udst, src, n) ? -EFAULT : 0;
}

long strncpy_from_user(char *dst, uint64_t usrc, size_t max)
{
	size_t len = 0;

	while (len < max) {
		/* never read past the end of the page the string is in */
		size_t chunk = MIN(max - len, PAGE_SIZE - ((usrc + len) & (PAGE_SIZE - 1)));
		if (copy_from_user(dst + len, usrc + len, chunk))
			return -EFAULT;
		size_t n = strnlen(dst + len, chunk);
		if (n < chunk)
			return (long)(len + n);
		len += chunk;
	}
	return -ENAMETOOLONG;
}

uint64_t extable_fixup(uint64_t rip)
{
	for (const struct extable_entry *e = __extable_start; e < __extable_end; e++)
		if (e->insn == rip)
			return e->fixup;
	return 0;
}
