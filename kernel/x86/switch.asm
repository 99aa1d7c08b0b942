; kernel/x86/switch.asm - context switch and the first steps of new processes.
;
; switch_to(struct context **save, struct context *next) saves the callee-
; saved registers of the running kernel thread on its own stack, stores that
; stack pointer in *save, and resumes next.  The layout matches struct
; context in kernel/proc.h (r15 is at the lowest address, rip at the top).

section .text
global switch_to, proc_entry_user, proc_entry_kthread
extern proc_first_run, trap_return, kthread_exit

switch_to:
    push rbp
    push rbx
    push r12
    push r13
    push r14
    push r15
    mov [rdi], rsp
    mov rsp, rsi
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

; A new user process (fork child or init) starts here: its stack pointer is
; at its trap frame, which trap_return restores on the way to user mode.
proc_entry_user:
    call proc_first_run
    cli                         ; trap_return's swapgs must not be interrupted
    jmp trap_return

; A new kernel thread starts here with its function in r12 and argument in r13.
proc_entry_kthread:
    call proc_first_run
    mov rdi, r13
    call r12
    call kthread_exit
