/*
 * kernel/exec.c - the ELF loader behind execve.
 *
 * exec_into() works in three steps so that a bad file never harms the caller:
 *   1. check: every header field of the file is validated (elf_check) while
 *      the old program is still intact;
 *   2. build: a new address space gets one private file region per PT_LOAD
 *      segment (text read-execute, data read-write, bss = the part past the
 *      file bytes, which reads as zero), a heap start and a stack holding
 *      argc, argv, envp and the auxiliary vector (build_stack);
 *   3. commit: only now is the old address space dropped and the registers
 *      set to enter the program.
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
#define PIE_LOAD_BIAS 0x555555554000UL
#define MAX_ARGS 400
#define ARG_BYTES (128UL << 10)	/* argv + envp strings (Linux: 32 pages per string); more gives -E2BIG */
#define PATH_BYTES 256

struct loaded {
	uint64_t entry, phdr, phnum, bias, brk;
};

/* The program's file and the headers read from it through the page cache. */
struct elf_image {
	struct file *file;		/* opened by fs_open_exec */
	uint64_t size;			/* the file's size when the headers were read */
	struct elf64_ehdr h;
	struct elf64_phdr ph[MAX_PHNUM];
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

	if (ph->p_type == PT_INTERP)
		return -ENOEXEC;	/* no dynamic linker: static programs only */
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

/* Step 1: validate the whole file; fills OUT with where things will be. */
static int elf_check(struct elf_image *f, struct loaded *out)
{
	const struct elf64_ehdr *h = &f->h;
	int err;

	read_headers(f);
	if ((err = check_header(f, h)))
		return err;
	const struct elf64_phdr *ph = f->ph;
	uint64_t bias = h->e_type == ET_DYN ? PIE_LOAD_BIAS : 0, end = 0;
	*out = (struct loaded){ .entry = h->e_entry + bias, .phnum = h->e_phnum, .bias = bias };
	for (int i = 0; i < h->e_phnum; i++) {
		if ((err = check_segment(f, &ph[i], bias, &end)))
			return err;
		if (ph[i].p_type == PT_LOAD && h->e_phoff >= ph[i].p_offset &&
		    h->e_phoff < ph[i].p_offset + ph[i].p_filesz)
			out->phdr = ph[i].p_vaddr + bias + (h->e_phoff - ph[i].p_offset);
	}
	if (end == 0)
		return -ENOEXEC;	/* nothing to load */
	if (out->entry >= USER_TOP)
		return -EINVAL;		/* iretq to a non-canonical rip would fault in the kernel */
	out->brk = end;
	return 0;
}

static int segment_prot(uint32_t flags)
{
	return (flags & PF_R ? PROT_READ : 0) | (flags & PF_W ? PROT_WRITE : 0) |
	       (flags & PF_X ? PROT_EXEC : 0);
}

/*
 * One PT_LOAD segment as regions: its file part as a private file region,
 * and the rest (bss: p_memsz past p_filesz, after the page the file part
 * ends in) as anonymous memory, as Linux's ELF loader maps it.  Only the
 * file region's last page mixes file bytes and zeros (fill_private).
 */
static int map_segment(struct vmspace *vm, const struct elf_image *f,
		       const struct elf64_phdr *ph, uint64_t bias)
{
	uint64_t va = ph->p_vaddr + bias, start = ALIGN_DOWN(va, PAGE_SIZE);
	uint64_t file_end = ph->p_filesz ? ALIGN_UP(va + ph->p_filesz, PAGE_SIZE) : start;
	uint64_t end = ALIGN_UP(va + ph->p_memsz, PAGE_SIZE);
	int prot = segment_prot(ph->p_flags), err = 0;
	struct region r = {
		.start = start, .end = file_end, .prot = prot, .kind = REGION_FILE,
		.file = f->file, .denywrite = true,
		.file_off = ph->p_offset - (va - start), .file_bytes = ph->p_filesz + (va - start),
		.account = vm_accountable(prot, false),
	};

	if (file_end > start)
		err = region_add(vm, &r);
	if (!err && end > file_end)
		err = region_add(vm, &(struct region){ .start = file_end, .end = end, .prot = prot,
						       .kind = REGION_ANON, .account = r.account });
	return err;
}

/* Step 2a: the program's regions. */
static int map_segments(struct vmspace *vm, const struct elf_image *f, uint64_t bias)
{
	const struct elf64_ehdr *h = &f->h;
	const struct elf64_phdr *ph = f->ph;

	for (int i = 0; i < h->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD || ph[i].p_memsz == 0)
			continue;
		int err = map_segment(vm, f, &ph[i], bias);
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

static void push_auxv(struct stack_builder *b, const struct loaded *l, uint64_t random,
		      uint64_t platform, uint64_t execfn)
{
	uint64_t aux[][2] = {
		{ AT_PHDR, l->phdr }, { AT_PHENT, sizeof(struct elf64_phdr) },
		{ AT_PHNUM, l->phnum }, { AT_PAGESZ, PAGE_SIZE }, { AT_BASE, 0 },
		{ AT_ENTRY, l->entry }, { AT_UID, 0 }, { AT_EUID, 0 }, { AT_GID, 0 },
		{ AT_EGID, 0 }, { AT_CLKTCK, HZ }, { AT_SECURE, 0 }, { AT_RANDOM, random },
		{ AT_PLATFORM, platform }, { AT_EXECFN, execfn }, { AT_NULL, 0 },
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
static uint64_t build_stack(struct vmspace *vm, struct arg_block *a, const struct loaded *l)
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
	push_auxv(&b, l, rnd, plat, str + a->offset[a->argc + a->envc]);
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
static void commit(struct proc *p, struct vmspace *vm, const struct loaded *l, uint64_t sp,
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
	p->tf->rip = l->entry;
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

/* Exec PATH into P with the gathered ARGS (argv and envp; the path is added
 * for AT_EXECFN here): check, build, commit. */
static int load_image(struct proc *p, const char *path, struct arg_block *args,
		      struct elf_image *f)
{
	struct loaded l;
	int err;

	if ((err = add_execfn(args, path)))
		return err;
	if ((err = elf_check(f, &l)))
		return err;
	if (p == current() && (err = begin_new_exec()))
		return err;
	struct vmspace *vm = vmspace_new();
	if (!vm)
		return -ENOMEM;
	vm->heap_start = vm->brk = l.brk;
	uint64_t sp = 0;
	err = map_segments(vm, f, l.bias);
	if (!err && !(sp = build_stack(vm, args, &l)))
		err = -ENOMEM;
	if (err) {
		vmspace_put(vm);
		return err;
	}
	commit(p, vm, &l, sp, path);
	misc_exec(p, f->file->path);
	return 0;
}

/* Open PATH, hold off its writers while loading it (Linux's
 * deny_write_access in open_exec: -ETXTBSY if it is open for writing; the
 * regions made keep them off while the program runs), load it. */
static int load(struct proc *p, const char *path, struct arg_block *args)
{
	struct elf_image *f = kmalloc(sizeof(*f));
	int err = -ENOMEM;

	if (f && (f->file = fs_open_exec(path, &err))) {
		if ((err = inode_deny_write(f->file->inode)) == 0) {
			err = load_image(p, path, args, f);
			inode_allow_write(f->file->inode);
		}
		file_put(f->file);
	}
	kfree(f);
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
