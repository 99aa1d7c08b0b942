/*
 * kernel/lib.c - memory and string functions for a kernel without libc.
 * gcc may emit calls to memcpy/memset/memmove/memcmp itself, so these names
 * must exist even where our code does not call them.
 */
#include "kernel/lib.h"

/*
 * memcpy and memset move whole 64-byte blocks with eight plain 8-byte moves
 * a turn, then the remaining words with `rep movsq`/`rep stosq`, then bytes.
 * Page copies and clears (cow_fault, frame_alloc_zeroed) are the common
 * large case.  Why not `rep` for all of it: QEMU's TCG (7.2, the
 * accelerator of `make bench`) translates a rep string instruction as one
 * iteration per translated block, so a 4 KiB clear with `rep stosq` took
 * 1020 ns there against 700 ns for this loop (docs/cow.md, "What a fault
 * costs").  Unrolled moves are also Linux's choice on CPUs without fast
 * string instructions (arch/x86/lib/clear_page_64.S clear_page_orig,
 * copy_page_64.S); on hardware with them both run at memory speed.  Inline
 * asm, so that gcc cannot turn the loops back into calls to memset.
 */
static void copy_blocks(uint64_t *d, const uint64_t *s, size_t blocks)
{
	for (; blocks; blocks--, d += 8, s += 8)
		asm volatile("movq 0(%1), %%rax\n\tmovq 8(%1), %%rcx\n\t"
			     "movq 16(%1), %%rdx\n\tmovq 24(%1), %%r8\n\t"
			     "movq %%rax, 0(%0)\n\tmovq %%rcx, 8(%0)\n\t"
			     "movq %%rdx, 16(%0)\n\tmovq %%r8, 24(%0)\n\t"
			     "movq 32(%1), %%rax\n\tmovq 40(%1), %%rcx\n\t"
			     "movq 48(%1), %%rdx\n\tmovq 56(%1), %%r8\n\t"
			     "movq %%rax, 32(%0)\n\tmovq %%rcx, 40(%0)\n\t"
			     "movq %%rdx, 48(%0)\n\tmovq %%r8, 56(%0)"
			     : : "r"(d), "r"(s) : "rax", "rcx", "rdx", "r8", "memory");
}

static void fill_blocks(uint64_t *d, uint64_t pattern, size_t blocks)
{
	for (; blocks; blocks--, d += 8)
		asm volatile("movq %1, 0(%0)\n\tmovq %1, 8(%0)\n\tmovq %1, 16(%0)\n\t"
			     "movq %1, 24(%0)\n\tmovq %1, 32(%0)\n\tmovq %1, 40(%0)\n\t"
			     "movq %1, 48(%0)\n\tmovq %1, 56(%0)"
			     : : "r"(d), "r"(pattern) : "memory");
}

void *memcpy(void *dst, const void *src, size_t n)
{
	void *ret = dst;
	size_t blocks = n / 64, words = n % 64 / 8, bytes = n % 8;

	copy_blocks(dst, src, blocks);
	dst = (char *)dst + blocks * 64;
	src = (const char *)src + blocks * 64;
	asm volatile("rep movsq" : "+D"(dst), "+S"(src), "+c"(words) : : "memory");
	asm volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(bytes) : : "memory");
	return ret;
}

void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (d <= s || d >= s + n)
		return memcpy(dst, src, n);
	while (n--)
		d[n] = s[n];
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	void *ret = dst;
	uint64_t pattern = 0x0101010101010101UL * (uint8_t)c;
	size_t blocks = n / 64, words = n % 64 / 8, bytes = n % 8;

	fill_blocks(dst, pattern, blocks);
	dst = (char *)dst + blocks * 64;
	asm volatile("rep stosq" : "+D"(dst), "+c"(words) : "a"(pattern) : "memory");
	asm volatile("rep stosb" : "+D"(dst), "+c"(bytes) : "a"(pattern) : "memory");
	return ret;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (size_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return x[i] - y[i];
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

size_t strnlen(const char *s, size_t max)
{
	size_t n = 0;
	while (n < max && s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		if (!*a)
			return 0;
	}
	return 0;
}

char *strchr(const char *s, int c)
{
	for (; *s; s++)
		if (*s == (char)c)
			return (char *)s;
	return c ? NULL : (char *)s;
}

size_t strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size) {
		size_t n = MIN(len, size - 1);
		memcpy(dst, src, n);
		dst[n] = 0;
	}
	return len;
}

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99;
}

bool parse_u64(const char *s, size_t len, uint64_t *out)
{
	unsigned base = 10;
	uint64_t v = 0;

	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16, s += 2, len -= 2;
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned d = digit_value(s[i]);
		if (d >= base || v > (UINT64_MAX - d) / base)
			return false;
		v = v * base + d;
	}
	*out = v;
	return true;
}
