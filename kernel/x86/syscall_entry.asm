; kernel/x86/syscall_entry.asm - the `syscall` instruction lands here (MSR_LSTAR).
;
; The CPU has put the user RIP in RCX and RFLAGS in R11, masked IF (MSR_FMASK)
; and changed nothing else - not even the stack.  We switch GS to the per-CPU
; area (struct cpu, kernel/x86/cpu.h), park the user RSP there, load the kernel
; stack of the current process, and build the same struct trapframe a trap
; would, so fork, exec, signals and gdb see one format.  The way back is
; trap_return's iretq, which also restores RFLAGS and RSP.

%include "kernel/x86/trapframe.inc"

section .text
global syscall_entry
extern syscall_dispatch, trap_return

SYSCALL_VECTOR equ 0x100    ; trapframe.vector for "came in by syscall"
USER_DS        equ 0x1b
USER_CS        equ 0x23

syscall_entry:
    swapgs
    mov [gs:0], rsp             ; struct cpu.user_rsp
    mov rsp, [gs:8]             ; struct cpu.kernel_rsp
    push USER_DS                ; ss
    push qword [gs:0]           ; rsp
    push r11                    ; rflags
    push USER_CS                ; cs
    push rcx                    ; rip
    push 0                      ; error code
    push SYSCALL_VECTOR
    PUSH_GPRS
    mov rdi, rsp
    xor rbp, rbp                ; backtraces end here
    cld
    sti
    call syscall_dispatch
    cli
    jmp trap_return
