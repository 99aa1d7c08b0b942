/*
 * mkfuzzelf - a HOST build tool (the host's gcc, like mkbadelf): writes the
 * mutated ELF files that the fuzzer (user/bin/fuzz.c) execs.
 *
 *     mkfuzzelf SEED COUNT OUTDIR PROGRAM...
 *
 * The files are made on the host, not in the guest (whose tmpfs root is
 * writable), so that a seed names the same files on every run: scripts/fuzz
 * runs this with the run's seed and puts OUTDIR into the boot image as /fuzz.  File I (named III-PROGRAM) is a
 * copy of one of the real PROGRAMs with 1 to 4 mutations of the kinds
 * mkbadelf shows one at a time: a flipped bit or a field set to a hostile
 * value in the ELF header, a program-header field set to a hostile value
 * (kernel, non-canonical, unaligned, huge, overlapping, wrapping), random
 * bytes over the program headers, or a truncation.  The generator is the
 * fuzzer's xorshift64* (user/lib/fuzz_rnd.h), seeded from (SEED, I), so a
 * seed always gives the same files from the same programs.
 */
#include <elf.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_rnd.h"

#define MAX_SIZE (4 << 20)

/* A hostile value for a field that held OLD. */
static uint64_t hostile(uint64_t old)
{
	static const uint64_t values[] = {
		0, 1, 0xfff, 0x1000, 0x1001, 0x400000, 0x7ffffffff000UL, 0x7ffffffffffeUL,
		0x800000000000UL, 0xffff800000000000UL, 0xffffffff80000000UL,
		0x8000000000000000UL, ~0UL, ~0UL - 0xfff, 1UL << 46, 0x7fffffff,
	};

	switch (pick(5)) {
	case 0: return old + 0x1000;
	case 1: return old - 1 - pick(16);
	case 2: return old * 2;
	default: return values[pick(sizeof values / sizeof values[0])];
	}
}

struct image {
	unsigned char *data;
	size_t len;
};

/* Store the low BYTES bytes of V at OFF, if the file reaches that far. */
static void put(struct image *im, size_t off, int bytes, uint64_t v)
{
	if (off + bytes <= im->len)
		memcpy(im->data + off, &v, bytes);
}

static uint64_t get(const struct image *im, size_t off, int bytes)
{
	uint64_t v = 0;

	if (off + bytes <= im->len)
		memcpy(&v, im->data + off, bytes);
	return v;
}

/* A field of the ELF header: its offset and size. */
static const struct { size_t off; int bytes; } ehdr_fields[] = {
	{ offsetof(Elf64_Ehdr, e_type), 2 },	{ offsetof(Elf64_Ehdr, e_machine), 2 },
	{ offsetof(Elf64_Ehdr, e_entry), 8 },	{ offsetof(Elf64_Ehdr, e_phoff), 8 },
	{ offsetof(Elf64_Ehdr, e_phentsize), 2 }, { offsetof(Elf64_Ehdr, e_phnum), 2 },
	{ offsetof(Elf64_Ehdr, e_ehsize), 2 },	{ EI_CLASS, 1 }, { EI_DATA, 1 },
};

static const struct { size_t off; int bytes; } phdr_fields[] = {
	{ offsetof(Elf64_Phdr, p_type), 4 },	{ offsetof(Elf64_Phdr, p_flags), 4 },
	{ offsetof(Elf64_Phdr, p_offset), 8 },	{ offsetof(Elf64_Phdr, p_vaddr), 8 },
	{ offsetof(Elf64_Phdr, p_filesz), 8 },	{ offsetof(Elf64_Phdr, p_memsz), 8 },
	{ offsetof(Elf64_Phdr, p_align), 8 },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static void set_ehdr_field(struct image *im)
{
	size_t i = pick(NELEM(ehdr_fields));

	put(im, ehdr_fields[i].off, ehdr_fields[i].bytes,
	    hostile(get(im, ehdr_fields[i].off, ehdr_fields[i].bytes)));
}

/* A field of one of the program headers (as the original header places them). */
static void set_phdr_field(struct image *im)
{
	uint64_t phoff = get(im, offsetof(Elf64_Ehdr, e_phoff), 8);
	uint64_t phnum = get(im, offsetof(Elf64_Ehdr, e_phnum), 2);

	if (!phnum || phoff > im->len)
		return;
	size_t f = pick(NELEM(phdr_fields));
	size_t off = phoff + pick(phnum) * sizeof(Elf64_Phdr) + phdr_fields[f].off;
	put(im, off, phdr_fields[f].bytes, hostile(get(im, off, phdr_fields[f].bytes)));
}

static void flip_header_bit(struct image *im)
{
	size_t off = pick(sizeof(Elf64_Ehdr));

	if (off < im->len)
		im->data[off] ^= 1 << pick(8);
}

static void scribble_phdrs(struct image *im)
{
	uint64_t phoff = get(im, offsetof(Elf64_Ehdr, e_phoff), 8);

	for (int n = 1 + pick(8); n; n--) {
		size_t off = phoff + pick(4 * sizeof(Elf64_Phdr));
		if (phoff < im->len && off < im->len)
			im->data[off] = (unsigned char)rnd();
	}
}

static void truncate_image(struct image *im)
{
	im->len = pick(2) ? pick(im->len) : pick(im->len < 512 ? im->len : 512);
}

static void mutate(struct image *im)
{
	switch (pick(10)) {
	case 0: case 1: flip_header_bit(im); break;
	case 2: case 3: set_ehdr_field(im); break;
	case 4: case 5: case 6: set_phdr_field(im); break;
	case 7: case 8: scribble_phdrs(im); break;
	default: truncate_image(im); break;
	}
}

static int load(const char *path, struct image *im)
{
	FILE *f = fopen(path, "rb");

	im->data = malloc(MAX_SIZE);
	if (!f || !im->data)
		return -1;
	im->len = fread(im->data, 1, MAX_SIZE, f);
	fclose(f);
	return im->len ? 0 : -1;
}

static int save(const char *path, const struct image *im)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(im->data, 1, im->len, f) != im->len || fclose(f))
		return -1;
	return chmod(path, 0755);
}

int main(int argc, char **argv)
{
	char path[4096];
	struct image im;

	if (argc < 5) {
		fprintf(stderr, "usage: mkfuzzelf SEED COUNT OUTDIR PROGRAM...\n");
		return 2;
	}
	uint64_t seed = strtoull(argv[1], NULL, 0);
	long count = strtol(argv[2], NULL, 0);
	if (mkdir(argv[3], 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "mkfuzzelf: %s: %s\n", argv[3], strerror(errno));
		return 1;
	}
	for (long i = 0; i < count; i++) {
		rnd_seed(seed, i, 0);
		const char *prog = argv[4 + pick(argc - 4)];
		const char *base = strrchr(prog, '/') ? strrchr(prog, '/') + 1 : prog;
		snprintf(path, sizeof path, "%s/%03ld-%s", argv[3], i, base);
		if (load(prog, &im)) {
			fprintf(stderr, "mkfuzzelf: cannot read %s\n", prog);
			return 1;
		}
		for (int n = 1 + pick(4); n; n--)
			mutate(&im);
		if (save(path, &im)) {
			fprintf(stderr, "mkfuzzelf: %s: %s\n", path, strerror(errno));
			return 1;
		}
		free(im.data);
	}
	return 0;
}
