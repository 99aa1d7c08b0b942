/*
 * kernel/ksyms.c - looking up the embedded symbol table.
 *
 * The table is an array of {address, name} sorted by address, generated from
 * `nm` output of the first link (scripts/ksyms) and linked into .ksyms, the
 * last section, so that adding it moves no function.  The first link uses an
 * empty table (kernel/ksyms_empty.S).
 */
#include "kernel/ksyms.h"
#include "kernel/lib.h"

struct ksym {
	uint64_t addr;
	const char *name;
};

extern const struct ksym ksym_table[];
extern const uint64_t ksym_count;
extern char _text_end[];

const char *ksym_lookup(uint64_t addr, uint64_t *offset)
{
	uint64_t lo = 0, hi = ksym_count;

	if (ksym_count == 0 || addr < ksym_table[0].addr || addr >= (uint64_t)_text_end)
		return NULL;
	while (hi - lo > 1) {		/* last entry with ksym_table[i].addr <= addr */
		uint64_t mid = (lo + hi) / 2;
		if (ksym_table[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	*offset = addr - ksym_table[lo].addr;
	return ksym_table[lo].name;
}
