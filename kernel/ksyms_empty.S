/* kernel/ksyms_empty.S - the empty symbol table for the first link pass. */
	.section .ksyms, "a"
	.balign 8
	.globl ksym_table, ksym_count
ksym_table:
ksym_count:
	.quad 0
