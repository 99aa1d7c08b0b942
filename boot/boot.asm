; boot/boot.asm - from GRUB to kmain.
;
; GRUB loads the kernel ELF (multiboot2) and jumps to _start in 32-bit protected
; mode with paging off, EAX = multiboot2 magic and EBX = physical address of the
; multiboot information.  This file checks that we were booted the way we expect
; and that the CPU can run us, builds just enough page tables to turn on long mode
; (the first 1 GiB mapped three times: identity, direct map, kernel image window),
; enables PAE, long mode, NX and write protection, and jumps to the higher half.
; The kernel replaces these tables with its own in vm_init_kernel (mm/vm.c).

MB2_MAGIC       equ 0xE85250D6
MB2_ARCH_I386   equ 0
MB2_BOOT_MAGIC  equ 0x36D76289
KERNEL_VMA      equ 0xFFFFFFFF80000000
COM1            equ 0x3F8
COM2            equ 0x2F8
DEBUG_EXIT_PORT equ 0xF4
EFER_MSR        equ 0xC0000080
EFER_LME        equ 1 << 8
EFER_NXE        equ 1 << 11
CR0_PE          equ 1 << 0
CR0_WP          equ 1 << 16
CR0_PG          equ 1 << 31
CR4_PAE         equ 1 << 5
CR4_PGE         equ 1 << 7
PTE_P_W         equ 0x003
PTE_PS          equ 0x080
BOOT_STACK_SIZE equ 16384

section .multiboot
align 8
mb2_header:
    dd MB2_MAGIC
    dd MB2_ARCH_I386
    dd mb2_header_end - mb2_header
    dd -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
    ; end tag
    align 8
    dw 0, 0
    dd 8
mb2_header_end:

section .boot.text progbits alloc exec nowrite
bits 32
global _start
_start:
    cli
    cld
    mov esp, boot_stack_top - KERNEL_VMA
    cmp eax, MB2_BOOT_MAGIC
    jne .bad_magic
    mov [boot_mbi_phys], ebx

    call cpu_has_cpuid
    jz .no_long_mode
    mov eax, 0x80000000
    cpuid
    cmp eax, 0x80000001
    jb .no_long_mode
    mov eax, 0x80000001
    cpuid
    test edx, 1 << 29           ; LM
    jz .no_long_mode
    test edx, 1 << 20           ; NX
    jz .no_nx

    call build_boot_tables
    mov eax, boot_pml4
    mov cr3, eax
    mov eax, cr4
    or eax, CR4_PAE | CR4_PGE
    mov cr4, eax
    mov ecx, EFER_MSR
    rdmsr
    or eax, EFER_LME | EFER_NXE
    wrmsr
    mov eax, cr0
    or eax, CR0_PE | CR0_PG | CR0_WP
    mov cr0, eax
    lgdt [boot_gdt_ptr]
    jmp 0x08:long_mode_entry

.bad_magic:
    mov esi, msg_bad_magic
    jmp boot_stop
.no_long_mode:
    mov esi, msg_no_long_mode
    jmp boot_stop
.no_nx:
    mov esi, msg_no_nx
    jmp boot_stop

; cpu_has_cpuid: ZF clear when the ID flag in EFLAGS can be toggled.
cpu_has_cpuid:
    pushfd
    pop eax
    mov ecx, eax
    xor eax, 1 << 21
    push eax
    popfd
    pushfd
    pop eax
    push ecx
    popfd
    xor eax, ecx
    test eax, 1 << 21
    ret

; build_boot_tables: PML4[0] and PML4[256] -> the identity/direct-map PDPT,
; PML4[511] -> a PDPT whose entry 510 covers KERNEL_VMA; both PDPTs point at
; one page directory mapping physical 0..1 GiB with 2 MiB pages.
build_boot_tables:
    mov eax, boot_pdpt_low
    or eax, PTE_P_W
    mov [boot_pml4], eax
    mov [boot_pml4 + 256 * 8], eax
    mov eax, boot_pdpt_high
    or eax, PTE_P_W
    mov [boot_pml4 + 511 * 8], eax
    mov eax, boot_pd
    or eax, PTE_P_W
    mov [boot_pdpt_low], eax
    mov [boot_pdpt_high + 510 * 8], eax
    xor ecx, ecx
.fill_pd:
    mov eax, ecx
    shl eax, 21
    or eax, PTE_P_W | PTE_PS
    mov [boot_pd + ecx * 8], eax
    mov dword [boot_pd + ecx * 8 + 4], 0
    inc ecx
    cmp ecx, 512
    jb .fill_pd
    ret

; boot_stop: print the message at ESI on COM1, report status 125 on COM2 and
; ask QEMU to exit; on real hardware, halt forever.
boot_stop:
    mov dx, COM1
    call serial_puts
    mov esi, msg_status
    mov dx, COM2
    call serial_puts
    mov dx, DEBUG_EXIT_PORT
    mov eax, 125
    out dx, eax
.halt:
    hlt
    jmp .halt

; serial_puts: write the NUL-terminated string at ESI to the UART at DX.
serial_puts:
    lodsb
    test al, al
    jz .done
    out dx, al
    jmp serial_puts
.done:
    ret

bits 64
long_mode_entry:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor ax, ax
    mov fs, ax
    mov gs, ax
    mov rax, higher_half_entry
    jmp rax

section .boot.data progbits alloc noexec write
align 8
boot_gdt:
    dq 0
    dq 0x00AF9A000000FFFF       ; 0x08: 64-bit code
    dq 0x00CF92000000FFFF       ; 0x10: data
boot_gdt_ptr:
    dw boot_gdt_ptr - boot_gdt - 1
    dd boot_gdt
boot_mbi_phys:
    dd 0
msg_bad_magic:
    db "boot: not loaded by a multiboot2 boot loader (bad magic in EAX); stopping.", 13, 10, 0
msg_no_long_mode:
    db "boot: this CPU does not support x86-64 long mode; stopping.", 13, 10, 0
msg_no_nx:
    db "boot: this CPU does not support the NX (no-execute) bit; stopping.", 13, 10, 0
msg_status:
    db "exit 125", 10, 0

section .boot.bss nobits alloc noexec write
alignb 4096
boot_pml4:      resb 4096
boot_pdpt_low:  resb 4096
boot_pdpt_high: resb 4096
boot_pd:        resb 4096

section .text
extern kmain
higher_half_entry:
    mov rsp, boot_stack_top
    xor rbp, rbp
    mov edi, [boot_mbi_phys]
    call kmain
.hang:
    cli
    hlt
    jmp .hang

section .bss
alignb 16
global boot_stack_bottom, boot_stack_top
boot_stack_bottom:
    resb BOOT_STACK_SIZE
boot_stack_top:
