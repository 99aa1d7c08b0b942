/*
 * kernel/ksyms.c - looking up the embedded symbol and line tables.
 *
 * scripts/ksyms generates both from the first link (`nm` for the symbols,
 * the DWARF line table for the lines) and the second link puts them in
 * .ksyms, the last section, so that adding them moves no function.  The
 * first link uses empty tables (kernel/ksyms_empty.S).
 */
#include "kernel/ksyms.h"
#include "kernel/lib.h"

struct ksym {
	uint64_t addr;
	const char *name;
};

/* From its offset up to the next row's, the text has this file:line. */
struct kline {
	uint32_t offset;	/* from _text_start */
	uint16_t line;		/* 0: no source line */
	uint16_t file;		/* index into kline_files */
};

extern const struct ksym ksym_table[];
extern const uint64_t ksym_count;
extern const struct kline kline_table[];
extern const uint64_t kline_count;
extern const char *const kline_files[];
extern char _text_start[], _text_end[];

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

bool ksym_line(uint64_t addr, const char **file, unsigned *line)
{
	uint64_t lo = 0, hi = kline_count, offset = addr - (uint64_t)_text_start;

	if (addr < (uint64_t)_text_start || addr >= (uint64_t)_text_end ||
	    kline_count == 0 || offset < kline_table[0].offset)
		return false;
	while (hi - lo > 1) {		/* last row with kline_table[i].offset <= offset */
		uint64_t mid = (lo + hi) / 2;
		if (kline_table[mid].offset <= offset)
			lo = mid;
		else
			hi = mid;
	}
	if (kline_table[lo].line == 0)
		return false;
	*file = kline_files[kline_table[lo].file];
	*line = kline_table[lo].line;
	return true;
}
