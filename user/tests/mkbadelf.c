/*
 * mkbadelf - a HOST build tool (built with the host's gcc, not musl-gcc):
 * writes the ELF test fixtures that test_exec and test_dynlink feed to
 * execve.
 *
 *     mkbadelf OUTDIR [INTERPDIR]
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
 *
 * INTERPDIR gets the programs with a PT_INTERP (the same tiny program, now
 * exiting 43 should its own code ever run) and the interpreters they name
 * (ld-*: a position-independent program exiting 42, broken in one way
 * each).  The programs name their interpreter by a path relative to
 * INTERPDIR (./ld-NAME), so that test_dynlink can run them, from there, both
 * on cowos and on Linux.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

/* ---- programs with PT_INTERP, and their interpreters -------------------- */

/* A program or an interpreter: up to two program headers, the code, and
 * room for a PT_INTERP string longer than PATH_MAX (no padding between
 * the parts: they are 64, 2 * 56 and 12 bytes). */
struct dyn_image {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[2];
	unsigned char code[12];
	char interp[PATH_MAX + 16];
};

#define DYN_CODE offsetof(struct dyn_image, code)
#define DYN_INTERP offsetof(struct dyn_image, interp)

/* Fill PH as the PT_INTERP naming PATH, the string included in the file. */
static void set_interp(Elf64_Phdr *ph, struct dyn_image *im, const char *path)
{
	memset(ph, 0, sizeof *ph);
	ph->p_type = PT_INTERP;
	ph->p_flags = PF_R;
	ph->p_offset = DYN_INTERP;
	ph->p_vaddr = ph->p_paddr = BASE + DYN_INTERP;
	ph->p_filesz = ph->p_memsz = strlen(path) + 1;
	ph->p_align = 1;
	strcpy(im->interp, path);
}

/* The PT_LOAD that maps the first LEN bytes of the file at VADDR. */
static void set_load(Elf64_Phdr *ph, uint64_t vaddr, size_t len)
{
	memset(ph, 0, sizeof *ph);
	ph->p_type = PT_LOAD;
	ph->p_flags = PF_R | PF_X;
	ph->p_vaddr = ph->p_paddr = vaddr;
	ph->p_filesz = ph->p_memsz = len;
	ph->p_align = 0x1000;
}

/* The static program at BASE with the PT_INTERP naming PATH, exiting 43. */
static void make_dyn_program(struct dyn_image *im, const char *path)
{
	struct image valid;

	memset(im, 0, sizeof *im);
	make_valid(&valid);
	im->eh = valid.eh;
	im->eh.e_phnum = 2;
	im->eh.e_entry = BASE + DYN_CODE;
	set_interp(&im->ph[0], im, path);
	set_load(&im->ph[1], BASE, DYN_INTERP + strlen(path) + 1);
	memcpy(im->code, exit42_code, sizeof exit42_code);
	im->code[1] = 43;
}

/* An interpreter: ET_DYN, linked at 0, code exiting 42. */
static void make_interpreter(struct dyn_image *im)
{
	struct image valid;

	memset(im, 0, sizeof *im);
	make_valid(&valid);
	im->eh = valid.eh;
	im->eh.e_type = ET_DYN;
	im->eh.e_entry = DYN_CODE;
	set_load(&im->ph[0], 0, DYN_INTERP);
	memcpy(im->code, exit42_code, sizeof exit42_code);
}

static void interp_unterminated(struct dyn_image *im) { im->ph[0].p_filesz--; }
static void interp_oversized(struct dyn_image *im) { im->ph[0].p_filesz = PATH_MAX + 1; }
static void interp_tiny(struct dyn_image *im) { im->ph[0].p_filesz = 1; }
static void interp_beyond_eof(struct dyn_image *im) { im->ph[0].p_offset = 0x100000; }
static void ld_bad_machine(struct dyn_image *im) { im->eh.e_machine = EM_AARCH64; }
static void ld_bad_phentsize(struct dyn_image *im) { im->eh.e_phentsize = 32; }
static void ld_no_change(struct dyn_image *im) { (void)im; }

/* An ET_EXEC interpreter linked where the program is, at BASE. */
static void ld_fixed_over_program(struct dyn_image *im)
{
	im->eh.e_type = ET_EXEC;
	im->eh.e_entry += BASE;
	im->ph[0].p_vaddr = im->ph[0].p_paddr = BASE;
}

/* An interpreter that itself names one (Linux ignores the interpreter's PT_INTERP). */
static void ld_has_interp(struct dyn_image *im)
{
	im->eh.e_phnum = 2;
	set_interp(&im->ph[1], im, "./ld-missing");
	im->ph[1].p_vaddr = im->ph[1].p_paddr = DYN_INTERP;
	im->ph[0].p_filesz = im->ph[0].p_memsz = DYN_INTERP + strlen(im->interp) + 1;
}

static const struct interp_fixture {
	const char *name;	/* the program: NAME.EXPECT as in OUTDIR */
	const char *path;	/* the PT_INTERP it names */
	void (*mutate)(struct dyn_image *);
} interp_fixtures[] = {
	{ "interp_ok.EXIT42",             "./ld-exit42",        ld_no_change },
	{ "interp_has_interp.EXIT42",     "./ld-has-interp",    ld_no_change },
	{ "interp_missing.ENOENT",        "./ld-missing",       ld_no_change },
	{ "interp_abs_missing.ENOENT",    "/nonexistent/ld.so", ld_no_change },
	{ "interp_dir.EACCES",            "./ld-dir",           ld_no_change },
	{ "interp_noexec.EACCES",         "./ld-noexec",        ld_no_change },
	{ "interp_not_elf.ELIBBAD",       "./ld-not-elf",       ld_no_change },
	{ "interp_short.EIO",             "./ld-short",         ld_no_change },
	{ "interp_bad_machine.ELIBBAD",   "./ld-bad-machine",   ld_no_change },
	{ "interp_bad_phentsize.ELIBBAD", "./ld-bad-phentsize", ld_no_change },
	{ "interp_over_program.EINVAL",   "./ld-over-program",  ld_no_change },
	{ "interp_unterminated.ENOEXEC",  "./ld-exit42",        interp_unterminated },
	{ "interp_oversized.ENOEXEC",     "./ld-exit42",        interp_oversized },
	{ "interp_tiny.ENOEXEC",          "./ld-exit42",        interp_tiny },
	{ "interp_beyond_eof.EIO",        "./ld-exit42",        interp_beyond_eof },
};

static const struct ld_fixture {
	const char *name;
	void (*mutate)(struct dyn_image *);
	mode_t mode;
} ld_fixtures[] = {
	{ "ld-exit42",         ld_no_change,     0755 },
	{ "ld-has-interp",     ld_has_interp,    0755 },
	{ "ld-noexec",         ld_no_change,     0644 },
	{ "ld-bad-machine",    ld_bad_machine,   0755 },
	{ "ld-bad-phentsize",  ld_bad_phentsize, 0755 },
	{ "ld-over-program",   ld_fixed_over_program, 0755 },
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

/* The bytes of IM to write: up to the end of its PT_INTERP string, if any. */
static size_t dyn_length(const struct dyn_image *im)
{
	return DYN_INTERP + (im->interp[0] ? strlen(im->interp) + 1 : 0);
}

static const char short_text[] = "#!/bin/sh\n";

/* Write the PT_INTERP programs and their interpreters into DIR. */
static int write_interp_fixtures(const char *dir)
{
	struct dyn_image im;
	char path[4096];
	int status = 0;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -1;
	for (size_t i = 0; i < sizeof interp_fixtures / sizeof interp_fixtures[0]; i++) {
		const struct interp_fixture *f = &interp_fixtures[i];
		make_dyn_program(&im, f->path);
		f->mutate(&im);
		status |= write_file(dir, f->name, &im, dyn_length(&im), 0755);
	}
	for (size_t i = 0; i < sizeof ld_fixtures / sizeof ld_fixtures[0]; i++) {
		const struct ld_fixture *f = &ld_fixtures[i];
		make_interpreter(&im);
		f->mutate(&im);
		status |= write_file(dir, f->name, &im, dyn_length(&im), f->mode);
	}
	status |= write_file(dir, "ld-not-elf", not_elf_text, sizeof not_elf_text - 1, 0755);
	status |= write_file(dir, "ld-short", short_text, sizeof short_text - 1, 0755);
	snprintf(path, sizeof path, "%s/ld-dir", dir);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		status = -1;
	return status;
}

int main(int argc, char **argv)
{
	struct image im;
	int status = 0;

	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: mkbadelf OUTDIR [INTERPDIR]\n");
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
	if (argc == 3 && write_interp_fixtures(argv[2]) < 0) {
		fprintf(stderr, "mkbadelf: %s: %s\n", argv[2], strerror(errno));
		status = 1;
	}
	return status ? 1 : 0;
}
