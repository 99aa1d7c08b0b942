; kernel/x86/trap_entry.asm - the one entry path for every exception and interrupt.
;
; Each vector has a tiny stub that makes the stack look the same (an error
; code, real or 0, then the vector number) and jumps to trap_common, which
; saves all general registers as a struct trapframe (kernel/x86/trap.h), switches
; GS to the kernel's per-CPU base when coming from user mode, and calls
; trap(tf).  trap_return undoes all of it; new processes also start there.

%include "kernel/x86/trapframe.inc"

section .text
extern trap

%macro TRAP_STUB 1
trap_stub_%1:
%if !(%1 == 8 || (%1 >= 10 && %1 <= 14) || %1 == 17 || %1 == 21 || %1 == 29 || %1 == 30)
    push 0
%endif
    push %1
    jmp trap_common
%endmacro

%assign i 0
%rep 256
TRAP_STUB i
%assign i i+1
%endrep

trap_common:
    PUSH_GPRS
    test qword [rsp + 18*8], 3      ; CS of the interrupted code
    jz .call_trap
    swapgs
.call_trap:
    mov rdi, rsp
    cld
    call trap
    cli                             ; trap() may have enabled interrupts

global trap_return
trap_return:
    test qword [rsp + 18*8], 3
    jz .to_kernel
    swapgs
.to_kernel:
    POP_GPRS
    add rsp, 16                     ; vector and error code
    iretq

section .rodata
global trap_stubs
align 8
trap_stubs:
%assign i 0
%rep 256
    dq trap_stub_ %+ i
%assign i i+1
%endrep
