# Makefile - build the kernel, the user programs and the boot image; run,
# test, debug and benchmark it.  `make help` lists the targets.
#
# The kernel is linked twice: pass 1 with empty symbol and line tables, then
# scripts/ksyms turns pass 1's symbols and DWARF line table into tables that
# pass 2 links into the last section (.ksyms), so panics can print function
# names and source lines.  Pass 2 must not move any code: its text symbols are
# checked against pass 1's.

MEM     ?= 256M
SMP     ?= 1
ACCEL   ?= tcg
CMDLINE ?=
ADD     ?=
GDBPORT ?= 1234
FUZZ_TIME ?= 600
FUZZ_SEED ?=
export ACCEL GDBPORT

B := build
# `make V=1` shows the full commands.
ifeq ($(V),1)
Q :=
else
Q := @
endif
CC := gcc
NASM := nasm
MUSLCC := musl-gcc

KCFLAGS := -std=gnu11 -ffreestanding -fno-stack-protector -fno-pic -fno-pie \
	-mno-red-zone -mcmodel=kernel -mgeneral-regs-only -mno-sse -mno-mmx \
	-fno-omit-frame-pointer -fno-optimize-sibling-calls -fno-strict-aliasing \
	-fno-asynchronous-unwind-tables \
	-O2 -g -Wall -Wextra -Werror -I. -MMD -MP
KLDFLAGS := -nostdlib -static -no-pie -T linker.ld -z max-page-size=0x1000 \
	-z noexecstack
UCFLAGS := -static -O2 -g -Wall -Wextra -Werror -Iuser/lib
UCFLAGS_DYN := $(filter-out -static,$(UCFLAGS))
HCFLAGS := -O2 -Wall -Wextra -Werror

KERNEL_C   := $(sort $(wildcard kernel/*.c kernel/fs/*.c kernel/signal/*.c kernel/x86/*.c mm/*.c))
KERNEL_ASM := $(sort $(wildcard boot/*.asm kernel/*.asm kernel/x86/*.asm))
KERNEL_OBJ := $(KERNEL_C:%.c=$(B)/%.o) $(KERNEL_ASM:%.asm=$(B)/%.asm.o)

USER_BIN   := $(notdir $(basename $(wildcard user/bin/*.c user/tests/test_*.c user/bench/*.c user/demo/*.c user/dyn/*.c)))
# Dynamically linked (no -static): the programs of user/dyn and the dynlink demo; musl's
# dynamic linker, the interpreter they name, is in the image as /lib/ld-musl-x86_64.so.1.
# Every user/dyn program is also built as a static PIE, NAME-spie (musl-gcc -static-pie),
# and with the build machine's gcc and glibc, NAME-glibc: the image then carries glibc's
# loader and libc.so.6 too.
DYN_SRC    := $(notdir $(basename $(wildcard user/dyn/*.c)))
DYN_BIN    := dynlink $(DYN_SRC)
SPIE_BIN   := $(DYN_SRC:%=%-spie)
GLIBC_BIN  := $(DYN_SRC:%=%-glibc)
USER_OUT   := $(USER_BIN:%=$(B)/root/bin/%) $(SPIE_BIN:%=$(B)/root/bin/%) \
	      $(GLIBC_BIN:%=$(B)/root/bin/%)
# The build machine's files the dynamic programs need, copied to the same paths in the image.
HOST_LIBS  := /lib/ld-musl-x86_64.so.1 /lib64/ld-linux-x86-64.so.2 /lib/x86_64-linux-gnu/libc.so.6
HOST_LIBS_OUT := $(HOST_LIBS:%=$(B)/root%)
USER_HDRS  := $(wildcard user/*/*.h)

.PHONY: all run test gdb debug bench bench-linux shell-linux fuzz clean help setup
# A failed recipe leaves no half-made target that a later make would trust.
.DELETE_ON_ERROR:
all: $(B)/kernel.elf $(B)/os.iso $(B)/host/mkfuzzelf

help:
	@echo "make            build the kernel, user programs and $(B)/os.iso"
	@echo "make run        boot in QEMU with the serial console here (Ctrl-A X quits)"
	@echo "make test       run every test suite; ends with 'N passed, M failed'"
	@echo "make gdb        QEMU paused, gdb attached at kmain with the project's commands"
	@echo "make debug      QEMU waiting for a debugger on port GDBPORT (for IDEs)"
	@echo "make bench      run the benchmarks in the three fork modes: table and plot in $(B)/bench/"
	@echo "make bench-linux  the same benchmark on Debian's Linux kernel too (downloads it)"
	@echo "make shell-linux  the shell suite's session on this kernel and on Debian's Linux: the differences"
	@echo "make fuzz       the fuzzer for FUZZ_TIME seconds (default 600; FUZZ_SEED=N replays a seed)"
	@echo "make clean      remove $(B)/"
	@echo "make compile_commands.json   the compilation database for clangd"
	@echo "variables: MEM=$(MEM) SMP=$(SMP) ACCEL=$(ACCEL) CMDLINE='$(CMDLINE)' ADD='$(ADD)' GDBPORT=$(GDBPORT) FUZZ_TIME=$(FUZZ_TIME)"

setup:
	@scripts/setup

# ---- kernel ----
$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(KCFLAGS) -c $< -o $@

# Debug info for the assembly stubs, except boot.asm: its code spans several sections (32-bit
# and 64-bit), for which nasm writes DWARF that gdb cannot read (warnings on every `bt`).
NASM_DEBUG := -g -F dwarf
$(B)/boot/boot.asm.o: NASM_DEBUG :=
$(B)/%.asm.o: %.asm
	@mkdir -p $(dir $@)
	@echo "  NASM    $<"
	$(Q)$(NASM) -I. -f elf64 $(NASM_DEBUG) -MD $(@:.o=.d) -MP $< -o $@

$(B)/%.o: %.S
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	$(Q)$(CC) -c $< -o $@

$(B)/kernel.pass1.elf: $(KERNEL_OBJ) $(B)/kernel/ksyms_empty.o linker.ld
	@echo "  LD      $@"
	$(Q)ld $(KLDFLAGS) -o $@ $(KERNEL_OBJ) $(B)/kernel/ksyms_empty.o

$(B)/ksyms.S: $(B)/kernel.pass1.elf scripts/ksyms
	@echo "  KSYMS   $@"
	$(Q)scripts/ksyms $< > $@

$(B)/kernel.elf: $(KERNEL_OBJ) $(B)/ksyms.o linker.ld
	@echo "  LD      $@"
	$(Q)ld $(KLDFLAGS) -o $@ $(KERNEL_OBJ) $(B)/ksyms.o
	$(Q)scripts/ksyms --same-text $(B)/kernel.pass1.elf $@

# ---- user programs and the initrd ----
# Every user program is one C file, wherever it lives.
vpath %.c user/bin user/tests user/bench user/demo user/dyn
$(B)/root/bin/%: %.c $(USER_HDRS)
	@mkdir -p $(dir $@)
	@echo "  MUSLCC  $<"
	$(Q)$(MUSLCC) $(UCFLAGS) -o $@ $<

$(DYN_BIN:%=$(B)/root/bin/%): UCFLAGS := $(UCFLAGS_DYN)

# musl-gcc's specs know no -static-pie: name rcrt1.o (the start file that relocates the
# program itself) and the link options gcc -static-pie would give.
MUSL_LIB := /usr/lib/x86_64-linux-musl
SPIE_START := $(MUSL_LIB)/rcrt1.o $(MUSL_LIB)/crti.o $(shell $(CC) -print-file-name=crtbeginS.o)
SPIE_END := $(shell $(CC) -print-file-name=crtendS.o) $(MUSL_LIB)/crtn.o
$(B)/root/bin/%-spie: user/dyn/%.c $(USER_HDRS)
	@mkdir -p $(dir $@)
	@echo "  MUSLCC  $< (static PIE)"
	$(Q)$(MUSLCC) $(UCFLAGS_DYN) -fPIE -nostartfiles $(SPIE_START) $< $(SPIE_END) \
		-Wl,-static,-pie,--no-dynamic-linker,-z,text -o $@

$(B)/root/bin/%-glibc: user/dyn/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $< (glibc)"
	$(Q)$(CC) $(HCFLAGS) -g -o $@ $<

# The real files, not the symbolic links the host has (the initrd would carry dangling ones).
$(HOST_LIBS_OUT): $(B)/root/%: $(wildcard $(HOST_LIBS))
	@mkdir -p $(dir $@)
	$(Q)[ -e /$* ] || { echo "/$* is missing: make setup installs musl; glibc comes with gcc" >&2; exit 1; }
	$(Q)install -m 755 /$* $@

$(B)/root/README: README.md
	@mkdir -p $(dir $@)
	cp $< $@

ifneq ($(wildcard user/tests/mkbadelf.c),)
BADELF := $(B)/badelf.stamp
$(B)/host/mkbadelf: user/tests/mkbadelf.c
	@mkdir -p $(dir $@)
	$(CC) $(HCFLAGS) -o $@ $<
$(BADELF): $(B)/host/mkbadelf
	@rm -rf $(B)/root/badelf $(B)/root/badinterp && mkdir -p $(B)/root/badelf
	$(Q)$(B)/host/mkbadelf $(B)/root/badelf $(B)/root/badinterp
	@touch $@
endif

# The fuzzer's corpus builder (scripts/fuzz runs it with the run's seed).
$(B)/host/mkfuzzelf: user/tests/mkfuzzelf.c user/lib/fuzz_rnd.h
	@mkdir -p $(dir $@)
	$(CC) $(HCFLAGS) -Iuser/lib -o $@ $<

# Busybox is the shell and the tools: /bin/busybox, one symbolic link to it for every applet
# where `busybox --list-full` puts it (/bin, /sbin, /usr/bin, /usr/sbin), except where a
# project program has the name (init, pmap: the project's own stay), the files of user/etc
# in /etc, and the directories /root (root's home) and /tmp. Links left over from an older
# list, or from project programs that became applets, are replaced.
BUSYBOX ?= /bin/busybox
ETC_FILES := $(wildcard user/etc/*)
$(B)/busybox.stamp: $(wildcard $(BUSYBOX)) $(ETC_FILES) $(USER_OUT) Makefile
	@echo "  BUSYBOX $(BUSYBOX) and its applet links"
	$(Q)[ -x $(BUSYBOX) ] || { echo "busybox: $(BUSYBOX) is missing: make setup installs busybox-static" >&2; exit 1; }
	$(Q)mkdir -p $(B)/root/bin $(B)/root/etc $(B)/root/root $(B)/root/tmp $(B)/root/mnt
	$(Q)chmod 1777 $(B)/root/tmp
	$(Q)find $(B)/root -type l -delete
	$(Q)install -m 755 $(BUSYBOX) $(B)/root/bin/busybox
	$(Q)install -m 644 $(ETC_FILES) $(B)/root/etc/
	$(Q)for path in $$($(BUSYBOX) --list-full); do \
		case " $(USER_BIN) busybox " in *" $${path##*/} "*) continue ;; esac; \
		mkdir -p $(B)/root/$${path%/*} && ln -sfn /bin/busybox $(B)/root/$$path || exit 1; \
	done
	@touch $@

$(B)/initrd.cpio: $(USER_OUT) $(B)/root/README $(BADELF) $(B)/busybox.stamp $(HOST_LIBS_OUT) \
		scripts/mkinitrd
	@echo "  INITRD  $@"
	$(Q)scripts/mkinitrd $(B)/root $@

# The ISO depends on the command line: rebuild when CMDLINE changes.
$(B)/cmdline.txt: FORCE
	@mkdir -p $(B)
	@echo '$(CMDLINE)' | cmp -s - $@ || echo '$(CMDLINE)' > $@

$(B)/os.iso: $(B)/kernel.elf $(B)/initrd.cpio $(B)/cmdline.txt boot/grub.cfg scripts/mkiso
	@echo "  ISO     $@"
	$(Q)scripts/mkiso $(B)/kernel.elf $(B)/initrd.cpio "$(CMDLINE)" $@

.PHONY: FORCE
FORCE:

# ---- running ----
BOOT_ARGS = --mem $(MEM) --smp $(SMP) $(if $(CMDLINE),--cmdline "$(CMDLINE)") $(foreach f,$(ADD),--add $(f))

run: setup
	@$(MAKE) --no-print-directory all
	scripts/boot $(BOOT_ARGS)

test: setup
	@$(MAKE) --no-print-directory all
	scripts/test

gdb: setup
	@$(MAKE) --no-print-directory all
	scripts/gdb/start $(BOOT_ARGS)

debug: setup
	@$(MAKE) --no-print-directory all
	@echo "QEMU waits for a debugger on localhost:$(GDBPORT) (symbols: $(B)/kernel.elf)"
	scripts/boot --gdb $(BOOT_ARGS)

bench: setup
	@$(MAKE) --no-print-directory all
	scripts/bench

bench-linux: setup
	@$(MAKE) --no-print-directory all
	scripts/bench-linux

shell-linux: setup
	@$(MAKE) --no-print-directory all
	scripts/shell-linux

fuzz: setup
	@$(MAKE) --no-print-directory all
	scripts/fuzz --time $(FUZZ_TIME) --smp $(SMP) $(if $(FUZZ_SEED),--seed $(FUZZ_SEED))

clean:
	rm -rf $(B)

# ---- editor support: clangd reads compile_commands.json at the root ----
.PHONY: compile_commands.json
compile_commands.json:
	@KCFLAGS='$(KCFLAGS)' UCFLAGS='$(UCFLAGS)' HCFLAGS='$(HCFLAGS)' scripts/compile-commands \
		--kernel $(KERNEL_C) --user $(filter-out user/tests/mk%.c,$(wildcard user/*/*.c)) --host $(wildcard user/tests/mk*.c) >$@
	@echo "  GEN     $@ ($$(grep -c '"file"' $@) files)"

-include $(shell find $(B) -name '*.d' 2>/dev/null)
