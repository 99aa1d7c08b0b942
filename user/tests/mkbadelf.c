/*
 * mkbadelf - a HOST build tool (built with the host's gcc, not musl-gcc):
 * writes the ELF test fixtures that test_exec feeds to execve.
 *
 *     mkbadelf OUTDIR
 *
 * Every fixture starts as one tiny valid static x86-64 program (a single
 * PT_LOAD segment whose code calls exit_group(42)) and is then broken in
 * one way.  Each file is named NAME.EXPECT, where EXPECT says what execve of
 * it must do, as checked on Linux:
 *
 *   EXIT42    it runs and exits with status 42 (the valid control case);
 *   E<NAME>   execve fails with that errno (ENOEXEC, EACCES, ...) and the
 *             calling process carries on unharmed;
 *   FAIL      it must not run; Linux kills the process (its checks come
 *             after the point of no return), a stricter kernel may instead
 *             return an error, and either is accepted.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BASE 0x400000UL

/* The whole program: ELF header, one program header, and the code. */
struct image {
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	unsigned char code[12];
} __attribute__((packed));

/* mov edi, 42; mov eax, 231 (exit_group); syscall */
static const unsigned char exit42_code[12] = {
	0xbf, 0x2a, 0x00, 0x00, 0x00, 0xb8, 0xe7, 0x00, 0x00, 0x00, 0x0f, 0x05,
};

static void make_valid(struct image *im)
{
	memset(im, 0, sizeof *im);
	memcpy(im->eh.e_ident, ELFMAG, SELFMAG);
	im->eh.e_ident[EI_CLASS] = ELFCLASS64;
	im->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	im->eh.e_ident[EI_VERSION] = EV_CURRENT;
	im->eh.e_ident[EI_OSABI] = ELFOSABI_SYSV;
	im->eh.e_type = ET_EXEC;
	im->eh.e_machine = EM_X86_64;
	im->eh.e_version = EV_CURRENT;
	im->eh.e_entry = BASE + offsetof(struct image, code);
	im->eh.e_phoff = offsetof(struct image, ph);
	im->eh.e_ehsize = sizeof(Elf64_Ehdr);
	im->eh.e_phentsize = sizeof(Elf64_Phdr);
	im->eh.e_phnum = 1;

	im->ph.p_type = PT_LOAD;
	im->ph.p_flags = PF_R | PF_X;
	im->ph.p_offset = 0;
	im->ph.p_vaddr = BASE;
	im->ph.p_paddr = BASE;
	im->ph.p_filesz = sizeof *im;
	im->ph.p_memsz = sizeof *im;
	im->ph.p_align = 0x1000;
	memcpy(im->code, exit42_code, sizeof exit42_code);
}

/* ---- the ways to break it (each changes one thing) --------------------- */

static void no_change(struct image *im) { (void)im; }
static void bad_magic(struct image *im) { im->eh.e_ident[EI_MAG1] = 'X'; }
static void bad_machine(struct image *im) { im->eh.e_machine = EM_AARCH64; }
static void type_rel(struct image *im) { im->eh.e_type = ET_REL; }
static void type_core(struct image *im) { im->eh.e_type = ET_CORE; }
static void bad_phentsize(struct image *im) { im->eh.e_phentsize = 32; }
static void phnum_zero(struct image *im) { im->eh.e_phnum = 0; }
static void phnum_huge(struct image *im) { im->eh.e_phnum = 1000; }
static void phoff_out_of_file(struct image *im) { im->eh.e_phoff = 0x100000; }
static void phoff_overflow(struct image *im) { im->eh.e_phoff = ~0UL - 8; }
static void no_load_segment(struct image *im) { im->ph.p_type = PT_NOTE; }
static void entry_unmapped(struct image *im) { im->eh.e_entry = 0x10000000; }
static void entry_kernel_half(struct image *im) { im->eh.e_entry = 0xffff800000000000UL; }
static void entry_non_canonical(struct image *im) { im->eh.e_entry = 0x0000800000000000UL; }
static void filesz_gt_memsz(struct image *im) { im->ph.p_memsz = 16; }
static void memsz_huge(struct image *im) { im->ph.p_memsz = 1UL << 46; }

static void offset_beyond_eof(struct image *im)
{
	im->ph.p_offset = 0x100000;
}

static void offset_misaligned(struct image *im)
{
	im->ph.p_offset = 0x10;  /* p_offset and p_vaddr disagree mod 4096 */
}

static void vaddr_kernel_half(struct image *im)
{
	im->ph.p_vaddr = im->ph.p_paddr = 0xffff800000000000UL;
	im->eh.e_entry = 0xffff800000000000UL + offsetof(struct image, code);
}

static void vaddr_non_canonical(struct image *im)
{
	im->ph.p_vaddr = im->ph.p_paddr = 0x0000800000000000UL;
	im->eh.e_entry = 0x0000800000000000UL + offsetof(struct image, code);
}

static void vaddr_wraps(struct image *im)
{
	/* The segment starts in user space and runs past the top of memory. */
	im->ph.p_memsz = ~0UL - BASE + 0x2000;
}

/* ---- the fixture table ------------------------------------------------ */

/* Not here on purpose: a wrong EI_CLASS, EI_DATA or EI_VERSION byte.  Linux
 * ignores those three and runs the program anyway. */

struct fixture {
	const char *name;     /* file name, ".EXPECT" included */
	void (*mutate)(struct image *);
	long length;          /* bytes to write; -1 for the whole image */
	mode_t mode;
};

static const struct fixture fixtures[] = {
	{ "valid_exit42.EXIT42",          no_change,           -1, 0755 },
	{ "bad_magic.ENOEXEC",            bad_magic,           -1, 0755 },
	{ "bad_machine.ENOEXEC",          bad_machine,         -1, 0755 },
	{ "type_rel.ENOEXEC",             type_rel,            -1, 0755 },
	{ "type_core.ENOEXEC",            type_core,           -1, 0755 },
	{ "bad_phentsize.ENOEXEC",        bad_phentsize,       -1, 0755 },
	{ "phnum_zero.ENOEXEC",           phnum_zero,          -1, 0755 },
	{ "phnum_huge.ENOEXEC",           phnum_huge,          -1, 0755 },
	{ "phoff_out_of_file.ENOEXEC",    phoff_out_of_file,   -1, 0755 },
	{ "phoff_overflow.ENOEXEC",       phoff_overflow,      -1, 0755 },
	{ "truncated_header.ENOEXEC",     no_change,           40, 0755 },
	{ "truncated_phdrs.ENOEXEC",      no_change,           84, 0755 },
	{ "magic_only.ENOEXEC",           no_change,            4, 0755 },
	{ "empty.ENOEXEC",                no_change,            0, 0755 },
	{ "not_executable.EACCES",        no_change,           -1, 0644 },
	{ "no_load_segment.FAIL",         no_load_segment,     -1, 0755 },
	{ "entry_unmapped.FAIL",          entry_unmapped,      -1, 0755 },
	{ "entry_kernel_half.FAIL",       entry_kernel_half,   -1, 0755 },
	{ "entry_non_canonical.FAIL",     entry_non_canonical, -1, 0755 },
	{ "filesz_gt_memsz.FAIL",         filesz_gt_memsz,     -1, 0755 },
	{ "memsz_huge.FAIL",              memsz_huge,          -1, 0755 },
	{ "offset_beyond_eof.FAIL",       offset_beyond_eof,   -1, 0755 },
	{ "offset_misaligned.FAIL",       offset_misaligned,   -1, 0755 },
	{ "vaddr_kernel_half.FAIL",       vaddr_kernel_half,   -1, 0755 },
	{ "vaddr_non_canonical.FAIL",     vaddr_non_canonical, -1, 0755 },
	{ "vaddr_wraps.FAIL",             vaddr_wraps,         -1, 0755 },
};

static const char not_elf_text[] =
	"This is a text file, not a program.\n"
	"execve must refuse it with ENOEXEC.\n";

static int write_file(const char *dir, const char *name, const void *data,
		      size_t len, mode_t mode)
{
	char path[4096];

	snprintf(path, sizeof path, "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len || fchmod(fd, mode) < 0) {
		fprintf(stderr, "mkbadelf: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return close(fd);
}

int main(int argc, char **argv)
{
	struct image im;
	int status = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: mkbadelf OUTDIR\n");
		return 2;
	}
	if (mkdir(argv[1], 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "mkbadelf: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	for (size_t i = 0; i < sizeof fixtures / sizeof fixtures[0]; i++) {
		const struct fixture *f = &fixtures[i];
		make_valid(&im);
		f->mutate(&im);
		size_t len = f->length < 0 ? sizeof im : (size_t)f->length;
		status |= write_file(argv[1], f->name, &im, len, f->mode);
	}
	status |= write_file(argv[1], "not_elf.ENOEXEC", not_elf_text,
			     sizeof not_elf_text - 1, 0755);
	return status ? 1 : 0;
}
