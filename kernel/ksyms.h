/*
 * kernel/ksyms.h - function names for addresses, from the symbol table that
 * the second link pass embeds in the kernel (scripts/ksyms, section .ksyms).
 */
#pragma once
#include <stdint.h>

/* The function containing ADDR and the offset into it; NULL if unknown. */
const char *ksym_lookup(uint64_t addr, uint64_t *offset);
