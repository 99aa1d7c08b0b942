/*
 * kernel/exec.c - the ELF loader behind execve.
 *
 * exec_into() works in three steps so that a bad file never harms the caller:
 *   1. check: every header field of the file is validated (elf_check) while
 *      the old program is still intact, and so is the interpreter its
 *      PT_INTERP names, if any (interp_open: a dynamic linker such as
 *      musl's /lib/ld-musl-x86_64.so.1; docs/dynlink.md);
 *   2. build: a new address space gets one private file region per PT_LOAD
 *      segment of the program and of the interpreter (map_image: text
 *      read-execute, data read-write, bss = the part past the file bytes,
 *      which reads as zero), a heap start and a stack holding argc, argv,
 *      envp and the auxiliary vector (build_stack), whose AT_BASE, AT_PHDR
 *      and AT_ENTRY tell the interpreter where everything is;
 *   3. commit: only now is the old address space dropped and the registers
 *      set to enter the program, or its interpreter when it has one.
 * Between 1 and 2 an execve ends the caller's other threads (de_thread), so
 * that no address space is ever half built while another thread of the
 * process runs (the memory audit at its exit would find the new space's
 * tables owned by nobody); should building then fail, the caller gets the
 * error as the process's only thread (Linux would kill it: its point of no
 * return is later).
 * No page of the program is read here: the fault handler maps each page on
 * first touch (mm/fault.c).
 */
#include "kernel/exec.h"
#include "kernel/elf.h"
#include "kernel/errno.h"
#include "kernel/fs/file.h"
#include "kernel/x86/gdt.h"
#include "kernel/fs/fs.h"
#include "kernel/fs/inode.h"
#include "kernel/proc.h"
#include "kernel/random.h"
#include "kernel/sys_misc.h"
#include "kernel/signal/signal.h"
#include "kernel/syscall.h"
#include "kernel/x86/time.h"
#include "kernel/uaccess.h"
#include "kernel/x86/x86.h"
#include "mm/access.h"
#include "mm/audit.h"
#include "mm/commit.h"
#include "mm/frame.h"
#include "mm/heap.h"
#include "mm/kvmalloc.h"
#include "mm/layout.h"
#include "mm/tlb.h"
#include "mm/vm.h"
#include "mm/vmspace.h"

#define MAX_PHNUM 64
#define ELF_ET_DYN_BASE 0x555555554000UL	/* Linux x86-64's, without randomization */
#define MAX_ARGS 400
#define ARG_BYTES (128UL << 10)	/* argv + envp strings (Linux: 32 pages per string); more gives -E2BIG */
#define PATH_BYTES 256

/*
 * One ELF file to load (the program, or the interpreter its PT_INTERP
 * names) and the headers read from it through the page cache.  elf_check
 * fills in the rest; addresses are the file's p_vaddr values, to which
 * BIAS is added to get where they land.
 */
struct elf_image {
	struct file *file;		/* opened by fs_open_exec, writes denied */
	uint64_t size;			/* the file's size when the headers were read */
	struct elf64_ehdr h;
	struct elf64_phdr ph[MAX_PHNUM];
	bool is_interp;			/* placed like an mmap (vm_find_free), as Linux does ld.so */
	uint64_t bias;			/* load address - p_vaddr: 0 for ET_EXEC */
	uint64_t lo, hi;		/* page-aligned span of its PT_LOAD segments (p_vaddr) */
	uint64_t phdr;			/* p_vaddr of its program headers, 0 if no segment holds them */
	const struct elf64_phdr *interp;	/* its first PT_INTERP, or NULL */
};

static int check_header(const struct elf_image *f, const struct elf64_ehdr *h)
{
	if (f->size < sizeof(*h) || memcmp(h->e_ident, ELF_MAGIC, 4))
		return -ENOEXEC;
	if (h->e_ident[4] != ELFCLASS64 || h->e_ident[5] != ELFDATA2LSB ||
	    h->e_ident[6] != EV_CURRENT || h->e_version != EV_CURRENT)
		return -ENOEXEC;
	if ((h->e_type != ET_EXEC && h->e_type != ET_DYN) || h->e_machine != EM_X86_64)
		return -ENOEXEC;
	if (h->e_phentsize != sizeof(struct elf64_phdr) || h->e_phnum == 0 ||
	    h->e_phnum > MAX_PHNUM)
		return -ENOEXEC;
	if (h->e_phoff > f->size || h->e_phnum * sizeof(struct elf64_phdr) > f->size - h->e_phoff)
		return -ENOEXEC;
	return 0;
}

static int check_segment(const struct elf_image *f, const struct elf64_phdr *ph,
			 uint64_t bias, uint64_t *prev_end)
{
	uint64_t start = ph->p_vaddr + bias;

	if (ph->p_type != PT_LOAD || ph->p_memsz == 0)
		return 0;
	if (ph->p_filesz > ph->p_memsz || ph->p_offset > f->size ||
	    ph->p_filesz > f->size - ph->p_offset)
		return -ENOEXEC;
	if ((ph->p_offset & (PAGE_SIZE - 1)) != (ph->p_vaddr & (PAGE_SIZE - 1)))
		return -EINVAL;
	if (start < USER_MIN_ADDR || start >= USER_MMAP_TOP ||
	    ph->p_memsz > USER_MMAP_TOP - start)
		return -EINVAL;
	if (ph->p_memsz > frame_total_count() * PAGE_SIZE)
		return -ENOMEM;		/* more than all of RAM: refuse, as Linux's overcommit check does */
	if (ALIGN_DOWN(start, PAGE_SIZE) < *prev_end)
		return -EINVAL;		/* segments must be in order and not share a page */
	*prev_end = ALIGN_UP(start + ph->p_memsz, PAGE_SIZE);
	return 0;
}

/* Read the ELF header and then the program headers of F's file (as much
 * of them as the file holds: check_header checks the rest). */
static void read_headers(struct elf_image *f)
{
	struct inode *inode = f->file->inode;

	memset(&f->h, 0, sizeof(f->h));
	down_read(&fs_tree);
	f->size = inode->size;
	inode_read(inode, (uint64_t)&f->h, sizeof(f->h), 0, false);
	if (f->h.e_phnum && f->h.e_phnum <= MAX_PHNUM)
		inode_read(inode, (uint64_t)f->ph, f->h.e_phnum * sizeof(f->ph[0]), f->h.e_phoff,
			   false);
	up_read(&fs_tree);
}

/*
 * Step 1: validate the whole file and find its span, its program headers
 * and its PT_INTERP.  Segments are checked at the bias an ET_DYN program
 * gets (ELF_ET_DYN_BASE), which proves their sizes and order; an
 * interpreter's real place is chosen when it is mapped (map_image).
 */
static int elf_check(struct elf_image *f)
{
	const struct elf64_ehdr *h = &f->h;
	int err;

	read_headers(f);
	if ((err = check_header(f, h)))
		return err;
	const struct elf64_phdr *ph = f->ph;
	uint64_t bias = h->e_type == ET_DYN ? ELF_ET_DYN_BASE : 0, end = 0;
	f->bias = bias;
	f->lo = f->phdr = 0;
	f->interp = NULL;
	for (int i = 0; i < h->e_phnum; i++) {
		if (ph[i].p_type == PT_INTERP && !f->interp)
			f->interp = &ph[i];	/* Linux takes the first */
		if (ph[i].p_type == PT_LOAD && ph[i].p_memsz && !end)
			f->lo = ALIGN_DOWN(ph[i].p_vaddr, PAGE_SIZE);
		if ((err = check_segment(f, &ph[i], bias, &end)))
			return err;
		if (ph[i].p_type == PT_LOAD && h->e_phoff >= ph[i].p_offset &&
		    h->e_phoff < ph[i].p_offset + ph[i].p_filesz)
			f->phdr = ph[i].p_vaddr + (h->e_phoff - ph[i].p_offset);
	}
	if (end == 0)
		return -ENOEXEC;	/* nothing to load */
	f->hi = end - bias;
	/* iretq to a non-canonical rip would fault in the kernel */
	return h->e_entry + bias >= USER_TOP ? -EINVAL : 0;
}

static int segment_prot(uint32_t flags)
{
	return (flags & PF_R ? PROT_READ : 0) | (flags & PF_W ? PROT_WRITE : 0) |
	       (flags & PF_X ? PROT_EXEC : 0);
}

/*
 * One PT_LOAD segment as regions: its file part as a private file region,
 * and the rest (bss: p_memsz past p_filesz, after the page the file part
 * ends in) as anonymous memory, as Linux's ELF loader maps it.  A segment
 * with bss has its file region end at p_filesz, so that the last file page
 * mixes file bytes and zeros (fill_private: Linux's padzero); one without
 * shows the file up to the end of its last page, as Linux's mapping does,
 * so that page too is the page cache's frame, shared (text).  The
 * program's file stays closed to writers while it runs; the
 * interpreter's only while exec loads it (Linux since 5.15: only
 * mm->exe_file denies writes once the program runs).
 */
static int map_segment(struct vmspace *vm, const struct elf_image *f,
		       const struct elf64_phdr *ph)
{
	uint64_t va = ph->p_vaddr + f->bias, start = ALIGN_DOWN(va, PAGE_SIZE);
	uint64_t file_end = ph->p_filesz ? ALIGN_UP(va + ph->p_filesz, PAGE_SIZE) : start;
	uint64_t end = ALIGN_UP(va + ph->p_memsz, PAGE_SIZE);
	int prot = segment_prot(ph->p_flags), err = 0;
	struct region r = {
		.start = start, .end = file_end, .prot = prot, .kind = REGION_FILE,
		.file = f->file, .denywrite = !f->is_interp,
		.file_off = ph->p_offset - (va - start),
		.file_bytes = ph->p_memsz > ph->p_filesz ? ph->p_filesz + (va - start) : file_end - start,
		.account = vm_accountable(prot, false),
	};

	if (file_end > start)
		err = region_add(vm, &r);
	if (!err && end > file_end)
		err = region_add(vm, &(struct region){ .start = file_end, .end = end, .prot = prot,
						       .kind = REGION_ANON, .account = r.account });
	return err;
}

/*
 * Step 2a: F's regions in VM, the one loader for program and interpreter
 * alike.  An ET_DYN interpreter goes where mmap would put a mapping of its
 * whole span (Linux's load_elf_interp maps ld.so like mmap(NULL, ...)), so
 * its bias is set here; everything else stays at elf_check's.  0,
 * -ENOMEM (no room, no memory) or -EINVAL (an entry point that is not
 * canonical there, or an ET_EXEC interpreter where the program is).
 */
static int map_image(struct vmspace *vm, struct elf_image *f)
{
	const struct elf64_phdr *ph = f->ph;

	if (f->is_interp && f->h.e_type == ET_DYN) {
		uint64_t at = vm_find_free(vm, f->hi - f->lo);
		if (!at)
			return -ENOMEM;
		f->bias = at - f->lo;
	}
	if (f->h.e_entry + f->bias >= USER_TOP)
		return -EINVAL;
	if (!vm_range_free(vm, f->lo + f->bias, f->hi + f->bias))
		return -EINVAL;	/* an ET_EXEC interpreter over the program (Linux maps it over) */
	for (int i = 0; i < f->h.e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD || ph[i].p_memsz == 0)
			continue;
		int err = map_segment(vm, f, &ph[i]);
		if (err)
			return err;
	}
	return 0;
}

/* Where the strings of argv and envp are gathered in the kernel. */
struct arg_block {
	char *strings;		/* ARG_BYTES, NUL-separated */
	size_t used;
	uint32_t offset[MAX_ARGS];
	int argc, envc;
};

/* Add one string to the block; KERNEL_STR or the user string at USTR. */
static int add_string(struct arg_block *a, const char *kernel_str, uint64_t ustr, int *count)
{
	int slot = a->argc + a->envc;
	long len;

	if (slot + 1 > MAX_ARGS)
		return -E2BIG;
	if (kernel_str) {
		len = (long)strlcpy(a->strings + a->used, kernel_str, ARG_BYTES - a->used);
		if ((size_t)len >= ARG_BYTES - a->used)
			return -E2BIG;
	} else {
		len = strncpy_from_user(a->strings + a->used, ustr, ARG_BYTES - a->used);
		if (len == -ENAMETOOLONG)
			return -E2BIG;
		if (len < 0)
			return (int)len;
	}
	a->offset[slot] = (uint32_t)a->used;
	a->used += (size_t)len + 1;
	(*count)++;
	return 0;
}

/* After argv: an empty argv becomes one empty string, so that argv[0] is
 * never NULL (Linux 6.1, fs/exec.c do_execveat_common). */
static int argv_done(struct arg_block *a)
{
	return a->argc ? 0 : add_string(a, "", 0, &a->argc);
}

/* After envp: the path given to execve, for AT_EXECFN (Linux: bprm->exec);
 * it is the string after the last of envp, counted in neither. */
static int add_execfn(struct arg_block *a, const char *path)
{
	int none = 0;

	return add_string(a, path, 0, &none);
}

static int gather_kernel(struct arg_block *a, char *const list[], int *count)
{
	int err = 0;

	for (int i = 0; !err && list && list[i]; i++)
		err = add_string(a, list[i], 0, count);
	return err;
}

/* Read a NULL-terminated array of user string pointers at ULIST (0 = empty). */
static int gather_user(struct arg_block *a, uint64_t ulist, int *count)
{
	for (int i = 0; ulist; i++) {
		uint64_t ptr;
		if (copy_from_user(&ptr, ulist + i * sizeof(ptr), sizeof(ptr)))
			return -EFAULT;
		if (!ptr)
			return 0;
		int err = add_string(a, NULL, ptr, count);
		if (err)
			return err;
	}
	return 0;
}

struct stack_builder {
	struct vmspace *vm;
	uint64_t *words;	/* argc, argv[], NULL, envp[], NULL, auxv[] */
	int n;
};

static void push_word(struct stack_builder *b, uint64_t w)
{
	b->words[b->n++] = w;
}

static uint64_t image_entry(const struct elf_image *f)
{
	return f->h.e_entry + f->bias;
}

/* x86-64's AT_HWCAP: CPUID leaf 1's EDX feature bits (Linux ELF_HWCAP). */
static uint64_t hwcap(void)
{
	uint32_t r[4];

	cpuid(1, 0, r);
	return r[3];
}

/* The auxiliary vector (Linux create_elf_tables): the program's headers and
 * entry point, and AT_BASE, where the interpreter INTERP (NULL: none) was
 * loaded, for it to find and relocate itself. */
static void push_auxv(struct stack_builder *b, const struct elf_image *prog,
		      const struct elf_image *interp, uint64_t random, uint64_t platform,
		      uint64_t execfn)
{
	uint64_t aux[][2] = {
		{ AT_HWCAP, hwcap() }, { AT_PAGESZ, PAGE_SIZE }, { AT_CLKTCK, HZ },
		{ AT_PHDR, prog->phdr ? prog->phdr + prog->bias : 0 },
		{ AT_PHENT, sizeof(struct elf64_phdr) }, { AT_PHNUM, prog->h.e_phnum },
		{ AT_BASE, interp ? interp->lo + interp->bias : 0 }, { AT_FLAGS, 0 },
		{ AT_ENTRY, image_entry(prog) }, { AT_UID, 0 }, { AT_EUID, 0 }, { AT_GID, 0 },
		{ AT_EGID, 0 }, { AT_SECURE, 0 }, { AT_RANDOM, random },
		{ AT_EXECFN, execfn }, { AT_PLATFORM, platform }, { AT_NULL, 0 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(aux); i++) {
		push_word(b, aux[i][0]);
		push_word(b, aux[i][1]);
	}
}

/* Write N bytes at UVA of the new (not yet current) VM, as a user write
 * would: 0, or -ENOMEM when a page could not be had. */
static int stack_write(struct vmspace *vm, uint64_t uva, const void *src, size_t n)
{
	return access_remote_vm(vm, uva, (void *)src, n, FOLL_WRITE, NULL) == n ? 0 : -ENOMEM;
}

/* Step 2b: the stack region and the initial stack contents; returns rsp or 0. */
static uint64_t build_stack(struct vmspace *vm, struct arg_block *a, const struct elf_image *prog,
			    const struct elf_image *interp)
{
	struct region r = { .start = USER_STACK_TOP - USER_STACK_SIZE, .end = USER_STACK_TOP,
			    .prot = PROT_READ | PROT_WRITE, .kind = REGION_STACK,
			    .account = true };
	uint64_t random[2];
	uint64_t top = USER_STACK_TOP - a->used;
	uint64_t str = top, rnd = (top - 16) & ~15UL, plat = rnd - 8;
	struct stack_builder b = { vm, kmalloc(PAGE_SIZE), 0 };

	get_random_bytes(random, sizeof(random));
	if (!b.words || region_add(vm, &r) || stack_write(vm, str, a->strings, a->used) ||
	    stack_write(vm, rnd, random, 16) || stack_write(vm, plat, "x86_64", 7)) {
		kfree(b.words);
		return 0;
	}
	push_word(&b, (uint64_t)a->argc);
	for (int i = 0; i < a->argc + a->envc + 1; i++) {
		if (i == a->argc)
			push_word(&b, 0);
		else
			push_word(&b, str + a->offset[i > a->argc ? i - 1 : i]);
	}
	push_word(&b, 0);
	push_auxv(&b, prog, interp, rnd, plat, str + a->offset[a->argc + a->envc]);
	uint64_t sp = (plat - b.n * 8) & ~15UL;
	int err = stack_write(vm, sp, b.words, b.n * 8);
	vm->arg_start = str;
	vm->arg_end = vm->env_start = str + a->offset[a->argc];
	vm->env_end = str + a->offset[a->argc + a->envc];
	vm->start_stack = sp;
	kfree(b.words);
	return err ? 0 : sp;
}

/* Step 3: the new program replaces the old one in P. */
static void commit(struct proc *p, struct vmspace *vm, uint64_t entry, uint64_t sp,
		   const char *path)
{
	spin_lock(&proc_lock);	/* /proc readers pin p->vm under it */
	struct vmspace *old = p->vm;
	p->vm = vm;
	vmspace_attach(vm);
	spin_unlock(&proc_lock);
	if (p == current())
		switch_mm(vm);
	if (old)
		vmspace_put(old);
	vm_audit_checkpoint("exec", p->pid);
	vfork_release(p);
	memset(p->tf, 0, sizeof(*p->tf));
	p->tf->rip = entry;
	p->tf->rsp = sp;
	p->tf->cs = SEG_UCODE;
	p->tf->ss = SEG_UDATA;
	p->tf->rflags = RFLAGS_IF;
	p->fs_base = 0;
	p->clear_child_tid = 0;
	p->robust_list = 0;
	if (p == current()) {
		wrmsr(MSR_FS_BASE, 0);
		fd_close_on_exec();
	}
	proc_set_name(p, path);
}

/* Linux begin_new_exec's first steps, for an execve by the current task:
 * a descriptor table of its own (so close-on-exec touches no other
 * process's), then no other thread in the group, then handled signals back
 * to their default (signal_exec).  0, -ENOMEM, or -EINTR when the task is
 * being killed. */
static int begin_new_exec(void)
{
	int err = files_unshare();

	if (!err)
		err = de_thread();
	return err ? err : signal_exec();
}

/* Steps 2 and 3: build the new address space from PROG and its
 * interpreter INTERP (NULL: none) and commit it to P; the entry point is
 * the interpreter's when there is one (it then starts the program at
 * AT_ENTRY). */
static int build_and_commit(struct proc *p, const char *path, struct arg_block *args,
			    struct elf_image *prog, struct elf_image *interp)
{
	int err;

	if (p == current() && (err = begin_new_exec()))
		return err;
	struct vmspace *vm = vmspace_new();
	if (!vm)
		return -ENOMEM;
	vm->heap_start = vm->brk = prog->hi + prog->bias;
	uint64_t sp = 0;
	err = map_image(vm, prog);
	if (!err && interp)
		err = map_image(vm, interp);
	if (!err && !(sp = build_stack(vm, args, prog, interp)))
		err = -ENOMEM;
	if (err) {
		vmspace_put(vm);
		return err;
	}
	commit(p, vm, image_entry(interp ? interp : prog), sp, path);
	misc_exec(p, prog->file->path);
	return 0;
}

/* Open PATH for loading, its writers held off while it is loaded (Linux's
 * deny_write_access in open_exec: -ETXTBSY if it is open for writing; a
 * program's regions keep them off while it runs, map_segment).  NULL with *ERR set:
 * fs_open_exec's errors (-ENOENT, -EACCES for a directory or a file without
 * an x bit), -ETXTBSY or -ENOMEM. */
static struct elf_image *image_open(const char *path, bool is_interp, int *err)
{
	struct elf_image *f = kmalloc(sizeof(*f));

	*err = -ENOMEM;
	if (f && (f->file = fs_open_exec(path, err))) {
		if ((*err = inode_deny_write(f->file->inode)) == 0) {
			f->is_interp = is_interp;
			return f;
		}
		file_put(f->file);
	}
	kfree(f);
	return NULL;
}

static void image_close(struct elf_image *f)
{
	inode_allow_write(f->file->inode);
	file_put(f->file);
	kfree(f);
}

/* PROG's PT_INTERP string, NUL-terminated, in a new buffer; NULL with *ERR
 * set by Linux load_elf_binary's rules: -ENOEXEC for a size outside
 * [2, PATH_MAX] or a last byte that is not NUL, -EIO when the file does not
 * hold all of it. */
static char *read_interp_path(const struct elf_image *prog, int *err)
{
	const struct elf64_phdr *ph = prog->interp;
	char *path;
	long n;

	*err = -ENOEXEC;
	if (ph->p_filesz < 2 || ph->p_filesz > PATH_MAX)
		return NULL;
	*err = -ENOMEM;
	if (!(path = kmalloc(ph->p_filesz)))
		return NULL;
	down_read(&fs_tree);
	n = inode_read(prog->file->inode, (uint64_t)path, ph->p_filesz, ph->p_offset, false);
	up_read(&fs_tree);
	*err = n != (long)ph->p_filesz ? -EIO : path[ph->p_filesz - 1] ? -ENOEXEC : 0;
	if (*err) {
		kfree(path);
		return NULL;
	}
	return path;
}

/*
 * The interpreter PROG names, opened and checked (Linux load_elf_binary):
 * NULL with *ERR set: read_interp_path's and image_open's errors; -EIO for
 * a file shorter than an ELF header; -ELIBBAD for one that is not an
 * x86-64 ELF file with sound program headers.  What Linux finds wrong with
 * an interpreter only past its point of no return (its type, its
 * segments) fails here, the caller intact, with the errno a program would
 * get.  The interpreter's own PT_INTERP is ignored, as Linux ignores it.
 */
static struct elf_image *interp_open(const struct elf_image *prog, int *err)
{
	char *path = read_interp_path(prog, err);
	struct elf_image *f = path ? image_open(path, true, err) : NULL;

	kfree(path);
	if (!f || (*err = elf_check(f)) == 0)
		return f;
	if (f->size < sizeof(f->h))
		*err = -EIO;
	else if (memcmp(f->h.e_ident, ELF_MAGIC, 4) || f->h.e_machine != EM_X86_64 ||
		 f->h.e_phentsize != sizeof(struct elf64_phdr) || f->h.e_phnum == 0 ||
		 f->h.e_phnum > MAX_PHNUM)
		*err = -ELIBBAD;
	image_close(f);
	return NULL;
}

/* Exec PATH into P with the gathered ARGS (argv and envp; the path is added
 * for AT_EXECFN here): check the program and its interpreter, then build
 * and commit. */
static int load(struct proc *p, const char *path, struct arg_block *args)
{
	struct elf_image *prog, *interp = NULL;
	int err;

	if ((err = add_execfn(args, path)) || !(prog = image_open(path, false, &err)))
		return err;
	if ((err = elf_check(prog)) == 0 && (!prog->interp || (interp = interp_open(prog, &err))))
		err = build_and_commit(p, path, args, prog, interp);
	if (interp)
		image_close(interp);
	image_close(prog);
	return err;
}

static struct arg_block *arg_block_new(void)
{
	struct arg_block *a = kzalloc(sizeof(*a));

	if (a && !(a->strings = kvmalloc(ARG_BYTES))) {
		kfree(a);
		return NULL;
	}
	return a;
}

static void arg_block_free(struct arg_block *a)
{
	kvfree(a->strings);
	kfree(a);
}

int exec_into(struct proc *p, const char *path, char *const argv[], char *const envp[])
{
	struct arg_block *a = arg_block_new();
	int err;

	if (!a)
		return -ENOMEM;
	err = gather_kernel(a, argv, &a->argc);
	if (!err)
		err = argv_done(a);
	if (!err)
		err = gather_kernel(a, envp, &a->envc);
	if (!err)
		err = load(p, path, a);
	arg_block_free(a);
	return err;
}

long sys_execve(uint64_t upath, uint64_t uargv, uint64_t uenvp)
{
	char path[PATH_BYTES];
	long len = strncpy_from_user(path, upath, sizeof(path));
	struct arg_block *a;
	int err;

	if (len < 0)
		return len;
	if (!(a = arg_block_new()))
		return -ENOMEM;
	err = gather_user(a, uargv, &a->argc);
	if (!err)
		err = argv_done(a);
	if (!err)
		err = gather_user(a, uenvp, &a->envc);
	if (!err)
		err = load(current(), path, a);
	arg_block_free(a);
	return err;
}
