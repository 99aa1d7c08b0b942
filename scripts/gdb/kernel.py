# scripts/gdb/kernel.py — the project's gdb commands for looking inside the kernel.
#
# Loaded by scripts/gdb/init.gdb (`make gdb`) or by hand: `source scripts/gdb/kernel.py`.
# Works against QEMU's gdbstub (which exposes $cr3) and build/kernel.elf.
#
# Commands:
#   pt VA [CR3]   walk the 4-level page tables for VA and decode every level.
# Convenience functions:
#   $va2pa(VA [, CR3])   the physical address VA maps to (error if unmapped).
#
# Layout: small helpers first (physical memory access, PTE flag decoding, the walk itself),
# then one gdb.Command class per command. New commands (vmas, frame, procs, cowtrace, ...)
# should reuse read_phys_u64(), decode_flags() and walk().

import gdb

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


def decode_flags(entry):
    """PTE value -> 'P W U ... NX' (only the bits that are set)."""
    return " ".join(name for bit, name in PTE_FLAGS if entry & (1 << bit)) or "-"


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
    cow = bool(steps[-1]["entry"] & PTE_COW)
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


# ---------------------------------------------------------------------------------------------
# Commands

class PageTableWalk(gdb.Command):
    """Walk the x86-64 page tables for a virtual address.

Usage: pt VA [CR3]

VA is any gdb expression (0xffffffff80100000, &kmain, kmain, $rip, ptr).
CR3 defaults to the current $cr3 register (as QEMU's gdbstub reports it).
Table memory is read through the kernel's direct map (0xFFFF800000000000 + phys).

For each level (PML4, PDPT, PD, PT) prints the index, the physical address of the entry,
its value, the frame it points to and its flags (P W U PWT PCD A D PS G COW NX).
Stops at a not-present entry or at a huge page (PS in a PDPT or PD entry), then prints
the physical address and the effective access rights (W and U must be set at every
level, NX at any level forbids execution)."""

    def __init__(self):
        super().__init__("pt", gdb.COMMAND_DATA, gdb.COMPLETE_EXPRESSION)

    def invoke(self, arg, from_tty):
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
            gdb.write("  %-4s[%3d] @0x%012x = 0x%016x  frame 0x%012x  %s%s\n" % (
                s["level"], s["index"], s["slot"], s["entry"], s["frame"],
                decode_flags(s["entry"]), "  (huge page)" if s["huge"] else ""))
        if pa is None:
            gdb.write("  not mapped: %s entry not present\n" % steps[-1]["level"])
            return
        gdb.write("  PA 0x%012x  (%s page)  access: %s\n"
                  % (pa, size_name(size), effective_access(steps)))


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
VaToPa()
