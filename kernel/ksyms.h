/*
 * kernel/ksyms.h - function names and source lines for addresses, from the
 * symbol and line tables that the second link pass embeds in the kernel
 * (scripts/ksyms, section .ksyms).
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

/* The function containing ADDR and the offset into it; NULL if unknown. */
const char *ksym_lookup(uint64_t addr, uint64_t *offset);

/*
 * The source file (relative to the repository, e.g. "mm/fault.c") and line of
 * the instruction at ADDR, as `addr2line -e build/kernel.elf ADDR` gives them:
 * inside an inlined function, the inlined function's line.  Returns false,
 * leaving *file and *line alone, when ADDR is outside the kernel text or has
 * no line.  For a return address pass address - 1, which lies in the call
 * instruction, to get the line of the call rather than of what follows it.
 */
bool ksym_line(uint64_t addr, const char **file, unsigned *line);
