; kernel/x86/trampoline.asm - where an application processor starts.
;
; A START-UP IPI with vector VV starts a processor in real mode at physical
; address VV000 (CS = VV00, IP = 0: Intel SDM Vol 3A §8.4.4, §10.6.1).  The
; kernel image is far above 1 MiB, so kernel/x86/smpboot.c copies this code,
; trampoline_start .. trampoline_end, to TRAMPOLINE_PA and fills the
; parameter block at its end before each start-up.  The code is assembled to
; run at that copy: every address in it is TR(label).
;
; From real mode it goes the way boot/boot.asm goes from GRUB's protected
; mode: a GDT of its own, protected mode, PAE and the boot page tables
; (tr_cr3: the first 2 MiB identity-mapped, so this code keeps running when
; paging comes on, and the kernel half), long mode (EFER.LME, and NXE
; because the kernel's entries use NX), paging, a far jump into 64-bit code,
; and last the jump to ap_entry(cpu, stacks) in the higher half, on the
; stack smpboot.c gave this CPU.  ap_entry loads the kernel's own page tables.

TRAMPOLINE_PA   equ 0x8000          ; must match kernel/x86/smpboot.h
EFER_MSR        equ 0xC0000080
EFER_LME        equ 1 << 8
EFER_NXE        equ 1 << 11
CR0_PE          equ 1 << 0
CR0_WP          equ 1 << 16
CR0_PG          equ 1 << 31
CR4_PAE         equ 1 << 5
CR4_PGE         equ 1 << 7

%define TR(label) (TRAMPOLINE_PA + (label) - trampoline_start)

section .rodata
global trampoline_start, trampoline_end

bits 16
trampoline_start:
    cli
    cld
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    o32 lgdt [TR(tr_gdt_ptr)]
    mov eax, cr0
    or eax, CR0_PE
    mov cr0, eax
    jmp dword 0x08:TR(tr_protected)

bits 32
tr_protected:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov eax, cr4
    or eax, CR4_PAE | CR4_PGE
    mov cr4, eax
    mov eax, [TR(tr_cr3)]
    mov cr3, eax
    mov ecx, EFER_MSR
    rdmsr
    or eax, EFER_LME | EFER_NXE
    wrmsr
    mov eax, cr0
    or eax, CR0_PG | CR0_WP
    mov cr0, eax
    jmp 0x18:TR(tr_long)

bits 64
tr_long:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov rsp, [TR(tr_stack)]
    mov rdi, [TR(tr_cpu)]
    mov rsi, [TR(tr_stacks)]
    xor ebp, ebp                    ; backtraces end here
    push rbp                        ; as if called: the stack is 16n - 8 at entry
    mov rax, [TR(tr_entry)]
    jmp rax

align 8
tr_gdt:
    dq 0
    dq 0x00CF9A000000FFFF           ; 0x08: 32-bit code
    dq 0x00CF92000000FFFF           ; 0x10: data
    dq 0x00AF9A000000FFFF           ; 0x18: 64-bit code
tr_gdt_ptr:
    dw tr_gdt_ptr - tr_gdt - 1
    dd TR(tr_gdt)

; The parameter block (struct trampoline_params in smpboot.c), filled for
; each processor before its START-UP IPI.
align 8
tr_cr3:     dq 0                    ; physical address of the boot PML4 (below 4 GiB)
tr_stack:   dq 0                    ; top of the CPU's scheduler stack
tr_cpu:     dq 0                    ; its struct cpu *
tr_stacks:  dq 0                    ; all its stacks (ap_entry's second argument)
tr_entry:   dq 0                    ; ap_entry
trampoline_end:
