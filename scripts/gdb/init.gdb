# scripts/gdb/init.gdb — what `make gdb` loads into gdb (run gdb from the repository root).
#
#   GDBPORT=1234 gdb -q -nx -x scripts/gdb/init.gdb
#
# Needs QEMU already waiting for gdb on GDBPORT (scripts/boot --gdb; scripts/gdb/start does both).
# Loads the kernel symbols and the project's commands (scripts/gdb/kernel.py: pt, vmas, frame,
# procs, cpus, cowtrace; `help CMD`), connects, stops at the kernel entry (kmain) with a hardware
# breakpoint, and continues to it.
set pagination off
set confirm off
set print entry-values no
set architecture i386:x86-64
file build/kernel.elf
source scripts/gdb/kernel.py
python
import os
gdb.execute("target remote localhost:%s" % os.environ.get("GDBPORT", "1234"))
end
hbreak kmain
continue
