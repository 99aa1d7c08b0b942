# scripts/gdb/kernel.py — the project's gdb commands for looking inside the kernel.
#
# Loaded by scripts/gdb/init.gdb (`make gdb`) or by hand: `source scripts/gdb/kernel.py`.
# Works against QEMU's gdbstub (which exposes $cr3, $gs_base and $k_gs_base, and shows each
# CPU as a gdb thread) and build/kernel.elf, whose DWARF gives the kernel's structures and
# enums (struct proc, struct cpu, struct frame, enum frame_flags, ...). "The current process"
# is always that of the CPU gdb has selected (`thread N` is CPU N-1).
#
# Commands (`help CMD` for each):
#   pt VA [CR3]         walk the 4-level page tables for VA and decode every level; the leaf
#                       also shows its frame's reference count and kind.
#   vmas [PID]          the regions of the current process (or PID), like /proc/PID/maps.
#   frame pfn PFN       one frame descriptor: refcount, flags and what the frame is for
#                       (a subcommand: plain `frame N` stays gdb's stack-frame command).
#   procs               the process table, one line per thread with its CPU; '*' marks the
#                       current process of the selected CPU.
#   cpus                each CPU: what it runs, its CR3, its TLB shootdown state.
#   cowtrace [on|off]   one line per copy-on-write fault (cow_fault) and its outcome.
# Convenience functions:
#   $va2pa(VA [, CR3])   the physical address VA maps to (error if unmapped).
# Unwinder: `bt` continues through a trap frame into the interrupted code (TrapUnwinder).
#
# Layout: small helpers first (physical memory access, PTE flag decoding, the walk itself),
# then readers of kernel structures (processes, frames, the page cache), then one gdb.Command
# class per command. Commands report every failure as a gdb.GdbError, never a traceback.

import re

import gdb
from gdb.unwinder import Unwinder, register_unwinder

# live_procs reads proc_table in one piece; with each task's pending signals
# (kernel/signal/signal.h) it is bigger than gdb's default 64 KiB value limit.
gdb.execute("set max-value-size unlimited")

# ---------------------------------------------------------------------------------------------
# Kernel facts (see /work/shared/DESIGN.md, mm/pte.h)

DIRECT_MAP = 0xFFFF800000000000        # phys P is mapped at DIRECT_MAP + P
KERNEL_BASE = 0xFFFFFFFF80000000
ADDR_MASK = 0x000FFFFFFFFFF000         # frame address bits of a PTE
PAGE_SIZE = 4096
U64 = (1 << 64) - 1

# PTE bit -> name, in the order they are printed. COW is the kernel's software bit.
PTE_FLAGS = [
    (0, "P"), (1, "W"), (2, "U"), (3, "PWT"), (4, "PCD"), (5, "A"), (6, "D"),
    (7, "PS"), (8, "G"), (9, "COW"), (63, "NX"),
]
PTE_P, PTE_W, PTE_U, PTE_PS, PTE_COW, PTE_NX = 1 << 0, 1 << 1, 1 << 2, 1 << 7, 1 << 9, 1 << 63

# (name, shift) for each level, top down.
LEVELS = [("PML4", 39), ("PDPT", 30), ("PD", 21), ("PT", 12)]


# ---------------------------------------------------------------------------------------------
# Helpers

def to_u64(value):
    """A gdb.Value, Python int or expression string -> unsigned 64-bit int."""
    if isinstance(value, str):
        try:
            value = gdb.parse_and_eval(value)
        except gdb.error as e:
            raise gdb.GdbError("cannot evaluate %r: %s" % (value, e))
    if isinstance(value, gdb.Value):
        t = value.type.strip_typedefs()
        if t.code == gdb.TYPE_CODE_FUNC:          # `pt kmain` means the function's address
            value = value.address
        elif t.code == gdb.TYPE_CODE_ARRAY:
            value = value.address
        try:
            value = int(value)
        except (gdb.error, TypeError, ValueError) as e:
            raise gdb.GdbError("not an address: %s" % e)
    return int(value) & U64


def is_canonical(va):
    top = va >> 47
    return top == 0 or top == (1 << 17) - 1


def read_virt(va, size):
    """Read `size` bytes at virtual address va (current address space) -> bytes."""
    try:
        return bytes(gdb.selected_inferior().read_memory(va, size))
    except (gdb.error, OverflowError):    # gdb.MemoryError is a subclass of gdb.error
        return None


def _read_phys_qemu(pa, size):
    """Fallback: QEMU's gdbstub physical-memory mode (Qqemu.PhyMemMode)."""
    try:
        gdb.execute("maintenance packet Qqemu.PhyMemMode:1", to_string=True)
    except gdb.error:
        return None
    try:
        return read_virt(pa, size)
    finally:
        try:
            gdb.execute("maintenance packet Qqemu.PhyMemMode:0", to_string=True)
        except gdb.error:
            pass


def read_phys(pa, size):
    """Read `size` bytes of physical memory at pa: through the kernel's direct map, or (when
    that is not readable) through QEMU's physical-memory mode. Raises gdb.GdbError."""
    if pa < 0 or pa + size > (1 << 52):
        raise gdb.GdbError("physical address 0x%x is out of range (52 bits)" % pa)
    data = None
    if DIRECT_MAP + pa + size <= U64 + 1:
        data = read_virt(DIRECT_MAP + pa, size)
    if data is None:
        data = _read_phys_qemu(pa, size)
    if data is None or len(data) != size:
        raise gdb.GdbError("cannot read physical memory at 0x%x (direct map address 0x%x)"
                           % (pa, DIRECT_MAP + pa))
    return data


def read_phys_u64(pa):
    """The little-endian u64 at physical address pa."""
    return int.from_bytes(read_phys(pa, 8), "little")


def decode_flags(entry, level="PT"):
    """PTE value -> 'P W U ... NX' (only the bits that are set). In a PD entry bit 9 is
    PDE_TABLE_COW (mm/pte.h): the page table below is shared by fork (mm/ptshare.c)."""
    names = [("TABLE_COW" if level == "PD" and bit == 9 else name)
             for bit, name in PTE_FLAGS if entry & (1 << bit)]
    return " ".join(names) or "-"


def table_note(step):
    """'  (PT shared by N)' for a PD entry with PDE_TABLE_COW: N PD entries, in all address
    spaces, point at the page table (its frame's reference count); else ''."""
    if step["level"] != "PD" or step["huge"] or not step["entry"] & PTE_COW:
        return ""
    try:
        refs = int(frame_desc(step["frame"] >> 12)["refcount"])
    except gdb.GdbError:
        return "  (PT shared)"
    return "  (PT shared by %d)" % refs


def current_cr3():
    try:
        return to_u64(gdb.parse_and_eval("$cr3"))
    except (gdb.error, gdb.GdbError) as e:
        raise gdb.GdbError("cannot read $cr3 (%s); is gdb connected to QEMU? "
                           "Pass CR3 explicitly: pt VA CR3" % e)


def walk(va, cr3):
    """Walk the page tables for va. Returns (steps, pa, page_size) where steps is a list of
    dicts {level, index, table, slot, entry, frame} and pa is None when va is not mapped."""
    table = cr3 & ADDR_MASK
    steps = []
    for depth, (name, shift) in enumerate(LEVELS):
        index = (va >> shift) & 0x1FF
        slot = table + index * 8
        entry = read_phys_u64(slot)
        step = dict(level=name, index=index, table=table, slot=slot, entry=entry,
                    frame=entry & ADDR_MASK, huge=False)
        steps.append(step)
        if not entry & PTE_P:
            return steps, None, None
        if name in ("PDPT", "PD") and entry & PTE_PS:
            size = 1 << shift
            step["huge"] = True
            step["frame"] = entry & ADDR_MASK & ~(size - 1)
            return steps, step["frame"] + (va & (size - 1)), size
        if name == "PT":
            return steps, step["frame"] + (va & (PAGE_SIZE - 1)), PAGE_SIZE
        table = step["frame"]
    raise AssertionError("unreachable")


def effective_access(steps):
    """Access rights after combining every level: W and U need all levels, NX any level."""
    w = all(s["entry"] & PTE_W for s in steps)
    u = all(s["entry"] & PTE_U for s in steps)
    nx = any(s["entry"] & PTE_NX for s in steps)
    cow = bool(steps[-1]["entry"] & PTE_COW) or any(
        s["level"] == "PD" and s["entry"] & PTE_COW for s in steps)
    parts = ["read"]
    if w:
        parts.append("write")
    if not nx:
        parts.append("exec")
    parts.append("user" if u else "kernel-only")
    if cow:
        parts.append("copy-on-write")
    return " ".join(parts)


def size_name(size):
    return {1 << 12: "4 KiB", 1 << 21: "2 MiB", 1 << 30: "1 GiB"}.get(size, "%d B" % size)


def virt_to_phys(va):
    """Kernel virtual address -> physical, as mm/layout.h's virt_to_phys does."""
    return va - KERNEL_BASE if va >= KERNEL_BASE else va - DIRECT_MAP


# ---------------------------------------------------------------------------------------------
# Kernel structures, read through build/kernel.elf's symbols and DWARF types.
# gdb.Value reads memory lazily, so a gdb.MemoryError can come from any of these; the
# commands turn it into a gdb.GdbError (KernelCommand.invoke).

MAX_REGIONS = 1 << 20  # stop walking a region tree this big: it must be corrupt


def kernel_value(expr):
    """The value of a kernel expression such as `proc_table` or `cpus[0].proc`."""
    try:
        return gdb.parse_and_eval(expr)
    except gdb.error as e:
        raise gdb.GdbError("cannot evaluate %s (%s); are the kernel symbols loaded "
                           "(file build/kernel.elf)?" % (expr, e))


def static_value(name, source_file):
    """A file-local (static) kernel variable, e.g. static_value("all_spaces", "mm/pagecache.c")."""
    for sym in gdb.lookup_static_symbols(name):
        if sym.symtab and sym.symtab.filename.endswith(source_file):
            return sym.value()
    raise gdb.GdbError("no static variable %s in %s (are the kernel symbols loaded?)"
                       % (name, source_file))


def enum_values(type_name):
    """{enumerator: value} of a kernel enum, e.g. enum_values("enum frame_flags")."""
    try:
        return {f.name: f.enumval for f in gdb.lookup_type(type_name).fields()}
    except gdb.error as e:
        raise gdb.GdbError("no type %s in the symbols (%s)" % (type_name, e))


def enum_name(type_name, value, prefix):
    """The enumerator called for `value`, without `prefix`: ("enum proc_state", 3, "P_") ->
    "RUNNING"."""
    for name, v in enum_values(type_name).items():
        if v == value:
            return name[len(prefix):] if name.startswith(prefix) else name
    return "%s(%d)" % (type_name, value)


def c_string(value):
    """A char array or char pointer -> str ('?' when it cannot be read)."""
    try:
        return value.string(errors="replace")
    except gdb.error:
        return "?"


def cpu_index_at(addr):
    """The index i of cpus[i] when addr is &cpus[i] (kernel/x86/cpu.h), else None."""
    cpus = kernel_value("cpus")
    base, size = to_u64(cpus), cpus.type.target().sizeof
    low, high = cpus.type.range()
    i, rest = divmod(addr - base, size)
    return i if rest == 0 and low <= i <= high else None


def selected_cpu():
    """The struct cpu (a gdb.Value) of the CPU gdb has selected (under QEMU each CPU is a
    gdb thread), or None before that CPU has run cpu_init. In kernel mode its GS base
    points at it (this_cpu(), kernel/x86/cpu.h); in user mode, and in the entry code
    before `swapgs`, the kernel's GS base waits in MSR_KERNEL_GS_BASE, which QEMU shows as
    $k_gs_base."""
    for reg in ("$gs_base", "$k_gs_base"):
        try:
            i = cpu_index_at(to_u64(gdb.parse_and_eval(reg)))
        except (gdb.error, gdb.GdbError):
            raise gdb.GdbError("cannot read %s: is gdb connected to QEMU?" % reg)
        if i is not None:
            return kernel_value("cpus")[i]
    return None


def current_proc():
    """The process running on the selected CPU (the kernel's current(): this_cpu()->proc)
    as a `struct proc *`, or None (early boot, the scheduler loop, the idle loop)."""
    c = selected_cpu()
    return c["proc"] if c is not None and int(c["proc"]) else None


def cpu_threads():
    """{cpus[] index: gdb thread} for every CPU that has run cpu_init (selected_cpu read in
    each thread; the selected thread and frame are restored)."""
    here, frame = gdb.selected_thread(), gdb.selected_frame()
    found = {}
    try:
        for thread in gdb.selected_inferior().threads():
            thread.switch()
            c = selected_cpu()
            if c is not None:
                found[int(c["id"])] = thread
    finally:
        here.switch()
        frame.select()
    return found


def thread_register(thread, reg):
    """Register reg ("$cr3") of gdb thread `thread`, as an int (selection restored)."""
    here, frame = gdb.selected_thread(), gdb.selected_frame()
    try:
        thread.switch()
        return to_u64(reg)
    finally:
        here.switch()
        frame.select()


def live_procs():
    """Pointers to the used slots of proc_table (kernel/proc.h), in table order."""
    table = kernel_value("proc_table")
    unused = enum_values("enum proc_state")["P_UNUSED"]
    low, high = table.type.range()
    # one read of the whole table, not one per field; it is bigger than gdb's
    # default limit on a value (64 KiB) once struct proc passes 1 KiB
    limit = gdb.parameter("max-value-size")          # None: unlimited
    if limit is not None and table.type.sizeof > limit:
        gdb.execute("set max-value-size %d" % table.type.sizeof, to_string=True)
    table.fetch_lazy()
    return [table[i].address for i in range(low, high + 1) if int(table[i]["state"]) != unused]


def find_proc(pid):
    for p in live_procs():
        if int(p["pid"]) == pid:
            return p
    raise gdb.GdbError("no process with pid %d (see `procs`)" % pid)


def proc_label(p):
    """'pid 3 (cowdemo)' for a `struct proc *`, 'pid 0 (-)' for NULL, like the kernel's trace."""
    if p is None:
        return "pid 0 (-)"
    return "pid %d (%s)" % (int(p["pid"]), c_string(p["name"]))


def vm_root(vm):
    """Physical address of a `struct vmspace *`'s PML4: what CR3 holds while it runs."""
    return virt_to_phys(int(vm["pml4"]))


def regions(vm):
    """The `struct region`s of a `struct vmspace *`, in address order: an in-order walk of
    its red-black tree (mm/region.c). `rb` is the first member of struct region."""
    out = []
    region_ptr = gdb.lookup_type("struct region").pointer()
    stack, node = [], vm["regions"]["node"]
    while stack or int(node):
        if len(out) + len(stack) > MAX_REGIONS:
            raise gdb.GdbError("region tree of vmspace 0x%x has more than %d nodes: corrupt?"
                               % (int(vm), MAX_REGIONS))
        if int(node):
            stack.append(node)
            node = node["child"][0]
            continue
        node = stack.pop()
        out.append(node.cast(region_ptr).dereference())
        node = node["child"][1]
    return out


def frame_flag_names(flags):
    """frame.flags -> 'FILE KSM ...' (enum frame_flags of mm/frame.h, without FRAME_)."""
    names = [name[len("FRAME_"):] for name, bit in enum_values("enum frame_flags").items()
             if flags & bit]
    return " ".join(names) or "none"


def frame_desc(pfn):
    """The `struct frame` of frame number pfn; gdb.GdbError when there is none."""
    frames = kernel_value("frames")
    if not int(frames):
        raise gdb.GdbError("the frame table is not set up yet (frames is NULL: "
                           "the kernel has not run frame_init)")
    count = int(kernel_value("nframes"))
    if pfn >= count:
        raise gdb.GdbError("frame 0x%x is out of range: the machine has %d frames "
                           "(0 .. 0x%x)" % (pfn, count, count - 1))
    return frames[pfn]


def _pointers(va, count):
    """COUNT 64-bit words read at kernel address va (zeros when unreadable)."""
    raw = read_virt(va, count * 8) or bytes(count * 8)
    return [int.from_bytes(raw[i * 8:i * 8 + 8], "little") for i in range(count)]


def pagecache_find(pa):
    """(struct address_space address, page index) of the page-cache frame at pa: every
    file's two-level table (mm/pagecache.c, the list all_spaces), or None."""
    head = static_value("all_spaces", "mm/pagecache.c")
    head_addr, m = int(head.address), head["next"]
    while int(m) and int(m) != head_addr:
        for d, leaf in enumerate(_pointers(int(m["dir"]), 512) if int(m["dir"]) else []):
            if leaf:
                for i, frame in enumerate(_pointers(leaf, 512)):
                    if frame == pa:
                        return int(m), d * 512 + i
        m = m["next"]
    return None


def inode_path(mapping):
    """The path of the tmpfs file whose struct address_space is at `mapping`: a walk of the
    root's tree of directory entries (kernel/fs/inode.c's struct dir_entry), or None."""
    entry_t = gdb.lookup_type("struct dir_entry").pointer()
    todo = [(kernel_value("mount_table[0].root"), "")]
    while todo:
        inode, prefix = todo.pop()
        nodes = [inode["entries"]["node"]]
        while nodes:
            node = nodes.pop()
            if not int(node):
                continue
            nodes += [node["child"][0], node["child"][1]]
            e = node.cast(entry_t)
            child = e["inode"]
            name = read_virt(int(e["name"].address), int(e["len"])) or b"?"
            path = prefix + "/" + name.decode(errors="replace")
            if int(child["mapping"].address) == mapping:
                return path
            if int(child["mode"]) & 0o170000 == 0o040000:
                todo.append((child, path))
    return None


def pagecache_owner(pa):
    """(file path, page index) of the page-cache page at pa, or None when it is not found."""
    found = pagecache_find(pa)
    if not found:
        return None
    return inode_path(found[0]) or "an unlinked file", found[1]


# frame flag (enum frame_flags) -> what the frame is, in words; the first flag that is set
# decides (FRAME_FILE and FRAME_SLAB get more detail in frame_kind; the zero frame is told by
# the kernel variable zero_frame).
FRAME_KINDS = [
    ("FRAME_FREE", "free"),
    ("FRAME_KSM", "merged page (KSM stable tree)"),
    ("FRAME_FILE", "page cache"),
    ("FRAME_USER", "user page"),
    ("FRAME_PAGETABLE", "page table"),
    ("FRAME_SLAB", "kernel heap slab"),
    ("FRAME_KSTACK", "kernel stack"),
    ("FRAME_RESERVED", "reserved (kernel image, boot data, or not RAM)"),
]


def frame_kind(pfn, frame):
    """What frame pfn (its `struct frame`) is for, in plain words."""
    if pfn << 12 == int(kernel_value("zero_frame")):
        return "the zero frame"
    flags = int(frame["flags"])
    bits = enum_values("enum frame_flags")
    for flag, words in FRAME_KINDS:
        if not flags & bits[flag]:
            continue
        if flag == "FRAME_FILE":
            owner = pagecache_owner(pfn << 12)
            return ("program page (page cache of %s, page %d)" % owner) if owner else words
        if flag == "FRAME_SLAB":
            return "%s (size class %d, %d objects in use)" % (
                words, int(frame["slab_class"]), int(frame["aux"]))
        return words
    return "no use recorded (flags 0)"



def frame_note(pa):
    """'refs N, KIND' for the frame holding physical address pa, or why it has none."""
    pfn = pa >> 12
    try:
        frame = frame_desc(pfn)
        return "refs %d, %s" % (int(frame["refcount"]), frame_kind(pfn, frame))
    except gdb.GdbError as e:
        return str(e)
    except gdb.error as e:
        return "frame 0x%x unreadable: %s" % (pfn, e)


def to_signed(value):
    """A gdb expression -> signed int (for pids: `vmas -1` says pid -1, not 2**64 - 1)."""
    v = to_u64(value)
    return v - (1 << 64) if v >> 63 else v


def prot_string(prot):
    """PROT_* bits (mm/vmspace.h: READ 1, WRITE 2, EXEC 4) -> 'rwx' with '-' for each missing."""
    return "".join(c if prot & bit else "-" for bit, c in ((1, "r"), (2, "w"), (4, "x")))


# ---------------------------------------------------------------------------------------------
# Commands

class KernelCommand(gdb.Command):
    """Base of the commands below: run(arg) does the work; gdb's own errors (unreadable
    memory, bad expressions) come out as one clear gdb.GdbError, never a traceback."""

    def invoke(self, arg, from_tty):
        try:
            self.run(arg.strip())
        except gdb.MemoryError as e:
            raise gdb.GdbError("%s: cannot read kernel memory (%s); is gdb stopped where the "
                               "kernel's page tables are active?" % (self._name, e))
        except gdb.error as e:
            raise gdb.GdbError("%s: %s" % (self._name, e))

    def __init__(self, name):
        super().__init__(name, gdb.COMMAND_DATA, gdb.COMPLETE_EXPRESSION)
        self._name = name


class PageTableWalk(KernelCommand):
    """Walk the x86-64 page tables for a virtual address.

Usage: pt VA [CR3]

VA is any gdb expression (0xffffffff80100000, &kmain, kmain, $rip, ptr).
CR3 defaults to the current $cr3 register (as QEMU's gdbstub reports it).
Table memory is read through the kernel's direct map (0xFFFF800000000000 + phys).

For each level (PML4, PDPT, PD, PT) prints the index, the physical address of the entry,
its value, the frame it points to and its flags (P W U PWT PCD A D PS G COW NX).  A PD
entry with TABLE_COW points at a page table fork shared (mm/ptshare.c): `(PT shared by N)`
gives the table's reference count, the number of PD entries that point at it (1: the other
sharers copied it; the next change here takes it back in place, table_reuse).
Stops at a not-present entry or at a huge page (PS in a PDPT or PD entry); the last
entry also shows, in brackets, the reference count and kind of the frame VA lands in
(see `help frame pfn`). Then prints the physical address and the effective access rights
(W and U must be set at every level, NX at any level forbids execution)."""

    def __init__(self):
        super().__init__("pt")

    def run(self, arg):
        argv = gdb.string_to_argv(arg)
        if not argv or len(argv) > 2:
            raise gdb.GdbError("usage: pt VA [CR3]   (see `help pt`)")
        va = to_u64(argv[0])
        if not is_canonical(va):
            raise gdb.GdbError("0x%016x is not a canonical address (bits 63..47 must be equal)"
                               % va)
        cr3 = to_u64(argv[1]) if len(argv) == 2 else current_cr3()

        gdb.write("VA 0x%016x  CR3 0x%016x\n" % (va, cr3))
        steps, pa, size = walk(va, cr3)
        for s in steps:
            leaf = pa is not None and s is steps[-1]
            gdb.write("  %-4s[%3d] @0x%012x = 0x%016x  frame 0x%012x  %s%s%s%s\n" % (
                s["level"], s["index"], s["slot"], s["entry"], s["frame"],
                decode_flags(s["entry"], s["level"]), "  (huge page)" if s["huge"] else "",
                table_note(s), "  [%s]" % frame_note(pa) if leaf else ""))
        if pa is None:
            gdb.write("  not mapped: %s entry not present\n" % steps[-1]["level"])
            return
        gdb.write("  PA 0x%012x  (%s page)  access: %s\n"
                  % (pa, size_name(size), effective_access(steps)))


class Vmas(KernelCommand):
    """List the regions of a process's address space, like /proc/PID/maps, from kernel memory.

Usage: vmas [PID]

Without PID: the current process of the CPU gdb has selected (the kernel's current():
this_cpu()->proc; `thread N` selects CPU N-1); an error when that CPU runs none (early boot,
the scheduler or idle loop). PID is any gdb expression.

First line: the process, its struct vmspace address, the physical address of its PML4 (what
CR3 holds while it runs; give it to `pt VA CR3`), its users (2 while a vfork child borrows
it) and the heap's start and break. Then one line per region (struct region, mm/vmspace.h):
start-end, size, protection rwx, kind (anon, file, stack, heap), the file and the file
offset the region starts at for a file mapping, and `mergeable` after madvise(MADV_MERGEABLE)."""

    def __init__(self):
        super().__init__("vmas")

    def run(self, arg):
        if arg:
            p = find_proc(to_signed(arg))
        else:
            p = current_proc()
            if p is None:
                raise gdb.GdbError("no current process here (this CPU's proc is NULL: early "
                                   "boot, the scheduler or idle loop); give a pid: vmas PID "
                                   "(see `procs`, `cpus`)")
        vm = p["vm"]
        if not int(vm):
            raise gdb.GdbError("%s is a kernel thread: it has no address space"
                               % proc_label(p))
        gdb.write("%s  vmspace 0x%x  pml4 0x%x (CR3)  users %d  heap 0x%x brk 0x%x\n" % (
            proc_label(p), int(vm), vm_root(vm), int(vm["users"]), int(vm["heap_start"]),
            int(vm["brk"])))
        gdb.write("  %-33s %10s  %-4s %s\n" % ("START-END", "SIZE", "PROT", "KIND"))
        for r in regions(vm):
            start, end = int(r["start"]), int(r["end"])
            kind = enum_name("enum region_kind", int(r["kind"]), "REGION_").lower()
            extra = []
            if int(r["file"]):
                extra.append("%s +0x%x" % (c_string(r["file"]["path"]), int(r["file_off"])))
            if int(r["mergeable"]):
                extra.append("mergeable")
            line = "  %016x-%016x %6d KiB  %-4s %-6s %s" % (
                start, end, (end - start) // 1024, prot_string(int(r["prot"])), kind,
                "  ".join(extra))
            gdb.write(line.rstrip() + "\n")


class Frame(KernelCommand):
    """Show one physical frame's descriptor (struct frame, mm/frame.h) in plain words.

Usage: frame pfn PFN

A subcommand of gdb's own `frame` (which selects a stack frame: `frame 1`), so both work.

PFN is a frame number (physical address >> 12), any gdb expression:
  frame pfn 0x1234    frame pfn $va2pa(addr) >> 12    frame pfn zero_frame >> 12

Prints the reference count (how many page-table entries, the page cache and the kernel use
it: a copy-on-write write copies only when it is above 1), the flags (FRAME_* without the
prefix), the slab size class for a kernel heap frame, aux (owner-specific: objects in use
for a slab) and the kind: the zero frame, program page (page cache of FILE, page N),
merged page (KSM stable tree), free, user page, page table, kernel heap slab, kernel
stack, reserved. PFN must be below nframes."""

    def __init__(self):
        super().__init__("frame pfn")

    def run(self, arg):
        if not arg:
            raise gdb.GdbError("usage: frame pfn PFN   (see `help frame pfn`)")
        pfn = to_u64(arg)
        frame = frame_desc(pfn)
        flags = int(frame["flags"])
        gdb.write("frame 0x%x (physical 0x%x)\n" % (pfn, pfn << 12))
        gdb.write("  refcount  %d\n" % int(frame["refcount"]))
        gdb.write("  flags     0x%x %s\n" % (flags, frame_flag_names(flags)))
        if flags & enum_values("enum frame_flags")["FRAME_SLAB"]:
            gdb.write("  slab      size class %d\n" % int(frame["slab_class"]))
        gdb.write("  aux       %d\n" % int(frame["aux"]))
        gdb.write("  kind      %s\n" % frame_kind(pfn, frame))


class Procs(KernelCommand):
    """List the process table (proc_table, kernel/proc.h): every slot in use, one per thread.

Usage: procs

Columns: pid (the thread id), tgid (the process: the thread group's id, equal to pid for a
group leader), state (EMBRYO RUNNABLE RUNNING SLEEPING ZOMBIE DEAD), the CPU it runs on or
last ran on (struct proc's cpu), name, parent pid, process group, the struct vmspace pointer
and the physical address of its PML4 (the address-space root, what CR3 holds while the
process runs; `-` for a kernel thread; threads of one process share both). '*' marks the
current process of the CPU gdb has selected (`thread N` selects CPU N-1; see `cpus`)."""

    def __init__(self):
        super().__init__("procs")

    def run(self, arg):
        if arg:
            raise gdb.GdbError("usage: procs   (it takes no arguments; see `help procs`)")
        cur = current_proc()
        gdb.write("  %5s %5s %-9s %3s %-16s %5s %5s  %-18s  %s\n" % (
            "PID", "TGID", "STATE", "CPU", "NAME", "PPID", "PGID", "VMSPACE", "PML4 (CR3)"))
        procs = live_procs()
        if not procs:
            gdb.write("  (none yet)\n")
        for p in procs:
            parent, vm = p["parent"], p["vm"]
            gdb.write("%s %5d %5d %-9s %3d %-16s %5s %5d  %-18s  %s\n" % (
                "*" if cur is not None and int(cur) == int(p) else " ",
                int(p["pid"]), int(p["tgid"]),
                enum_name("enum proc_state", int(p["state"]), "P_"), int(p["cpu"]),
                c_string(p["name"]), int(parent["pid"]) if int(parent) else "-",
                int(p["pgid"]), "0x%x" % int(vm) if int(vm) else "-",
                "0x%x" % vm_root(vm) if int(vm) else "-"))


def cpu_list(mask):
    """A CPU bit mask -> '0,2' ('-' when empty)."""
    return ",".join(str(i) for i in range(64) if mask >> i & 1) or "-"


# The TLB counters of mm/vmstat.h (enum vm_event), with their /proc/vmstat names.
TLB_EVENTS = ["NR_TLB_REMOTE_FLUSH", "NR_TLB_REMOTE_FLUSH_RECEIVED", "NR_TLB_LOCAL_FLUSH_ONE",
              "NR_TLB_LOCAL_FLUSH_ALL"]


class Cpus(KernelCommand):
    """List the CPUs (cpus[0 .. ncpu-1], kernel/x86/cpu.h) and their TLB shootdown state.

Usage: cpus

One line per CPU: its index in cpus[], its local APIC id, the gdb thread that is this CPU
(QEMU's gdb stub shows each CPU as a thread; '*' marks the selected one), what it runs
(`pid N (NAME)` for cpus[i].proc, else `idle` when it halts for want of work, or `scheduler`
when it is in the scheduler loop), its CR3 (that thread's register), the address space its
CR3 holds (active_mm[i] of mm/tlb.c: kept while the CPU idles, so a shootdown still goes to
it), and the shootdown slots of mm/tlb.c: `asked by` (senders[i]: the CPUs whose request it
has not answered yet) and `waits for` (requests[i].pending: the CPUs that have not answered
its own request yet), and its TLB counters (struct cpu's vm_events[], its share of
/proc/vmstat): pages flushed one by one (INVLPG) / whole-TLB flushes (CR3 reloads), and
shootdowns sent (one per operation) / requests answered.  Then the same counters summed over
all CPUs, as /proc/vmstat shows them."""

    def __init__(self):
        super().__init__("cpus")

    def run(self, arg):
        if arg:
            raise gdb.GdbError("usage: cpus   (it takes no arguments; see `help cpus`)")
        cpus, n = kernel_value("cpus"), int(kernel_value("ncpu"))
        active = static_value("active_mm", "mm/tlb.c")
        senders = static_value("senders", "mm/tlb.c")
        requests = static_value("requests", "mm/tlb.c")
        threads = cpu_threads()
        here = gdb.selected_thread()
        index = enum_values("enum vm_event")
        gdb.write("  %3s %4s %-4s %-22s %-10s %-18s  %-8s  %-9s  %s\n" % (
            "CPU", "APIC", "GDB", "RUNS", "CR3", "ACTIVE_MM", "ASKED BY", "WAITS FOR",
            "TLB ONE/ALL SENT/RECV"))
        total = dict.fromkeys(TLB_EVENTS, 0)
        for i in range(max(n, 1)):
            c, thread = cpus[i], threads.get(i)
            proc = c["proc"]
            runs = proc_label(proc) if int(proc) else "idle" if int(c["idle"]) else "scheduler"
            cr3 = "0x%x" % thread_register(thread, "$cr3") if thread else "-"
            mm = int(active[i])
            ev = {name: int(c["vm_events"][index[name]]) for name in TLB_EVENTS}
            for name in TLB_EVENTS:
                total[name] += ev[name]
            gdb.write("%s %3d %4d %-4s %-22s %-10s %-18s  %-8s  %-9s  %d/%d %d/%d\n" % (
                "*" if thread is not None and thread.ptid == here.ptid else " ", i,
                int(c["apic_id"]), thread.num if thread else "-", runs, cr3,
                "0x%x" % mm if mm else "- (kernel)", cpu_list(int(senders[i])),
                cpu_list(int(requests[i]["pending"])), ev["NR_TLB_LOCAL_FLUSH_ONE"],
                ev["NR_TLB_LOCAL_FLUSH_ALL"], ev["NR_TLB_REMOTE_FLUSH"],
                ev["NR_TLB_REMOTE_FLUSH_RECEIVED"]))
        gdb.write("TLB flushes, all CPUs: %s\n" % "  ".join(
            "%s %d" % (name.lower(), total[name]) for name in TLB_EVENTS))


RET = re.compile(r"^(repz? +)?ret")     # x86 `ret`, `ret $n`, `repz ret` in gdb's disassembly


def function_code(name):
    """(entry address, [addresses of every `ret`], disassembly) of kernel function name."""
    sym = gdb.lookup_global_symbol(name)
    if sym is None or sym.type.code != gdb.TYPE_CODE_FUNC:
        raise gdb.GdbError("no function %s in the symbols (file build/kernel.elf?)" % name)
    entry = int(sym.value().address)
    block = gdb.block_for_pc(entry)
    while block is not None and block.function is None:
        block = block.superblock
    if block is None:
        raise gdb.GdbError("no debug information for %s" % name)
    code = gdb.selected_inferior().architecture().disassemble(block.start, block.end - 1)
    rets = [insn["addr"] for insn in code if RET.match(insn["asm"])]
    if not rets:
        raise gdb.GdbError("found no ret instruction in %s (0x%x-0x%x)"
                           % (name, block.start, block.end))
    return entry, rets, code


def function_calls(name, callee):
    """Addresses of the instructions just after each `call callee` in kernel function name:
    where the callee has returned, its result in rax."""
    _, _, code = function_code(name)
    return [code[i + 1]["addr"] for i, insn in enumerate(code[:-1])
            if insn["asm"].startswith("call") and insn["asm"].endswith("<%s>" % callee)]


def leaf_entry(root, va):
    """The PTE of va in the page tables rooted at physical address root; 0 when a level on
    the way is not present."""
    steps, pa, _ = walk(va, root)
    return steps[-1]["entry"] if pa is not None else 0


RACED = "nothing: the entry changed meanwhile (another CPU's fault)"


def cow_outcome(before, status, pte):
    """What cow_fault did, from its return status, the frame it allocated and the PTE it
    left (not from its rules)."""
    if status:
        return "failed (error %d)" % status
    if before["raced"]:
        return RACED
    new = (pte & ADDR_MASK) >> 12
    if before["copy"] is not None:
        if new != before["copy"]:
            return RACED + ", copy freed"
        what = "cow_zero_fill" if before["zero"] else "cow_copy"
    elif new != before["old"]:
        return RACED
    elif pte & PTE_W and not pte & PTE_COW:
        what = "cow_reuse"
    else:
        return "PTE unchanged, still read-only"
    return "%s frame 0x%x%s" % (what, new, " (was merged)" if before["ksm"] else "")


class CowFaultProbe(gdb.Breakpoint):
    """An internal breakpoint that calls hook() and lets the guest run on."""

    def __init__(self, addr, hook):
        super().__init__("*0x%x" % addr, internal=True)
        self.hook = hook

    def stop(self):
        # Any exception, not only gdb's: gdb stops the guest at a breakpoint whose stop()
        # raises, and a probe must never stop it.
        try:
            self.hook()
        except Exception as e:
            gdb.write("cowtrace: %s: %s\n" % (type(e).__name__, e))
        return False


class CowTrace(KernelCommand):
    """Trace copy-on-write faults: one line for each call of the kernel's cow_fault().

Usage: cowtrace [on|off]      (no argument: on)

While on, each call prints one line when cow_fault returns, e.g.

  cowtrace: pid 3 (cowdemo) 0x7ffffffde000 frame 0x1234 refs 2 [user page] -> cow_copy frame 0x2345

the process (current), the page, the frame its entry mapped before the write (cow_fault's
argument orig) with that frame's reference count and kind (see `help frame pfn`), and what
happened, read back from the entry after the return (a walk of the page tables of cow_fault's
argument vm, loaded in CR3 or not): cow_reuse (the same frame, now writable), cow_copy (the
frame cow_fault allocated, now holding a copy), cow_zero_fill (a new zeroed frame instead of
the zero frame), plus "(was merged)" when the old frame was a merged (KSM) page, or
"failed (error N)". These are the kernel's own trace=fault words. When another CPU's fault
changed the entry first (it no longer held orig at entry, or maps another frame than this
call's copy at the return), cow_fault leaves it alone (and frees its copy if it made one):
"nothing: the entry changed meanwhile", a case trace=fault does not print. The guest does
not stop.

Uses internal breakpoints at cow_fault's entry, after its call of frame_alloc and at each of
its `ret` instructions (matched by stack pointer): `delete` leaves them; `cowtrace off`
removes them."""

    def __init__(self):
        super().__init__("cowtrace")
        self.probes = []
        self.pending = {}       # $rsp at entry (it points at the return address) -> the fault

    def run(self, arg):
        if arg in ("", "on"):
            self.on()
        elif arg == "off":
            self.off()
        else:
            raise gdb.GdbError("usage: cowtrace [on|off]   (see `help cowtrace`)")

    def on(self):
        if self.probes:
            gdb.write("cowtrace is already on\n")
            return
        entry, rets, _ = function_code("cow_fault")
        allocs = function_calls("cow_fault", "frame_alloc")
        if not allocs:
            raise gdb.GdbError("found no call of frame_alloc in cow_fault")
        self.pending = {}
        self.probes = [CowFaultProbe(entry, self.entered)]
        self.probes += [CowFaultProbe(addr, self.allocated) for addr in allocs]
        self.probes += [CowFaultProbe(addr, self.returned) for addr in rets]
        gdb.write("cowtrace on: cow_fault at 0x%x, returns at %s\n"
                  % (entry, " ".join("0x%x" % a for a in rets)))

    def off(self):
        if not self.probes:
            gdb.write("cowtrace is already off\n")
            return
        for probe in self.probes:
            probe.delete()
        self.probes, self.pending = [], {}
        gdb.write("cowtrace off\n")

    def entered(self):
        frame = gdb.selected_frame()
        va, orig = to_u64(frame.read_var("va")), to_u64(frame.read_var("orig"))
        # vm's own tables, not CR3's: cow_fault also runs for an address space that is not
        # loaded (access_remote_vm: exec, /proc/PID/mem).
        root = vm_root(frame.read_var("vm"))
        old = (orig & ADDR_MASK) >> 12
        desc = frame_desc(old)
        self.pending[to_u64("$rsp")] = dict(
            head="cowtrace: %s 0x%x frame 0x%x refs %d [%s]" % (
                proc_label(current_proc()), va, old, int(desc["refcount"]),
                frame_kind(old, desc)),
            root=root, va=va, old=old, copy=None, raced=leaf_entry(root, va) != orig,
            zero=old << 12 == int(kernel_value("zero_frame")),
            ksm=bool(int(desc["flags"]) & enum_values("enum frame_flags")["FRAME_KSM"]))

    def allocated(self):
        # The key is $rsp at entry: the caller's stack pointer (DWARF unwinding) minus the
        # return address.
        caller_sp = to_u64(gdb.selected_frame().older().read_register("rsp"))
        before = self.pending.get((caller_sp - 8) & U64)
        pa = to_u64("$rax")
        if before is not None and pa:
            before["copy"] = pa >> 12

    def returned(self):
        before = self.pending.pop(to_u64("$rsp"), None)
        if before is None:          # it entered before `cowtrace on`
            return
        status = to_u64("$rax") & 0xFFFFFFFF      # cow_fault returns an int
        status -= (status >> 31) << 32
        pte = leaf_entry(before["root"], before["va"])
        gdb.write("%s -> %s\n" % (before["head"], cow_outcome(before, status, pte)))


class VaToPa(gdb.Function):
    """$va2pa(VA [, CR3]) -> physical address VA maps to (error when not mapped)."""

    def __init__(self):
        super().__init__("va2pa")

    def invoke(self, va, cr3=None):
        va = to_u64(va)
        cr3 = to_u64(cr3) if cr3 is not None else current_cr3()
        if not is_canonical(va):
            raise gdb.GdbError("0x%x is not a canonical address" % va)
        steps, pa, _ = walk(va, cr3)
        if pa is None:
            raise gdb.GdbError("0x%x is not mapped (%s entry not present)"
                               % (va, steps[-1]["level"]))
        return pa


PageTableWalk()
Vmas()
Frame()
Procs()
Cpus()
CowTrace()
VaToPa()


# ---------------------------------------------------------------------------------------------
# Unwinding through a trap: `bt` from a trap handler goes on into the code the trap interrupted.
#
# trap_common (kernel/x86/trap_entry.asm) has no unwind information: gdb would take stack words for
# return addresses and print made-up frames. This unwinder knows that, in trap_common, rsp
# points at the struct trapframe (kernel/x86/trap.h) and takes the interrupted rip, rsp and rbp
# from it. User code that gdb has no symbols for (`add-symbol-file build/root/bin/PROG` gives
# them) cannot be unwound further; the backtrace ends there.


class _FrameId:
    """What create_unwind_info wants: a frame's identity, sp and pc as gdb.Values."""

    def __init__(self, pending_frame, sp, pc):
        self.sp = sp
        self.pc = gdb.Value(pc).cast(pending_frame.read_register("rip").type)


def _trap_common_range():
    """[start, end) of trap_common's code (it runs up to trap_return), or None."""
    try:
        start = int(gdb.parse_and_eval("(unsigned long)&trap_common"))
        end = int(gdb.parse_and_eval("(unsigned long)&trap_return"))
    except gdb.error:
        return None
    return start, end


class TrapUnwinder(Unwinder):
    def __init__(self):
        super().__init__("cowos trap frame")
        self._interrupted = None    # (rip, rsp) the last trap frame returned to

    def __call__(self, pending_frame):
        pc = int(pending_frame.read_register("rip")) & U64
        if pc >= 1 << 47:
            span = _trap_common_range()
            if not span or not span[0] <= pc < span[1]:
                return None
            return self._through_trapframe(pending_frame, pc, span[0])
        sp = int(pending_frame.read_register("rsp")) & U64
        if (pc, sp) == self._interrupted and gdb.block_for_pc(pc) is None:
            return self._outermost(pending_frame, pc)     # interrupted code without symbols
        return None

    def _through_trapframe(self, pending_frame, pc, start):
        sp = pending_frame.read_register("rsp")
        tf = gdb.Value(int(sp)).cast(gdb.lookup_type("struct trapframe").pointer()).dereference()
        info = pending_frame.create_unwind_info(_FrameId(pending_frame, sp, start))
        self._interrupted = (int(tf["rip"]) & U64, int(tf["rsp"]) & U64)
        for reg in ("rip", "rsp", "rbp", "rbx", "r12", "r13", "r14", "r15"):
            info.add_saved_register(reg, tf[reg].cast(pending_frame.read_register(reg).type))
        return info

    def _outermost(self, pending_frame, pc):
        # No symbols, so no idea where this code keeps its return address: a zero one ends the
        # backtrace. (gdb then notes that user stacks lie below the kernel's: "previous frame
        # inner to this frame".)
        sp = pending_frame.read_register("rsp")
        info = pending_frame.create_unwind_info(_FrameId(pending_frame, sp, pc))
        info.add_saved_register("rip", gdb.Value(0).cast(pending_frame.read_register("rip").type))
        info.add_saved_register("rsp", sp)
        return info


register_unwinder(None, TrapUnwinder(), replace=True)
