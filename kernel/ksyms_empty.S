/*
 * kernel/ksyms_empty.S - the empty symbol and line tables for the first link
 * pass (scripts/ksyms generates the real ones from it).
 */
	.section .ksyms, "a"
	.balign 8
	.globl ksym_table, ksym_count, kline_table, kline_count, kline_files
ksym_table:
ksym_count:
kline_table:
kline_count:
kline_files:
	.quad 0
