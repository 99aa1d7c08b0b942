; kernel/x86/uaccess_asm.asm - the one instruction that touches user memory.
;
; copy_user_raw(dst, src, n) copies with `rep movsb`.  Its address is in the
; exception table (.extable: pairs of {faulting rip, fix-up rip}), so when a
; fault inside it cannot be resolved, mm/fault.c resumes at the fix-up, which
; returns the number of bytes NOT copied (still in rcx).  0 means success.

section .text
global copy_user_raw

copy_user_raw:
    mov rcx, rdx
.copy:
    rep movsb
    xor eax, eax
    ret
.fixup:
    mov rax, rcx
    ret

section .extable
    dq copy_user_raw.copy, copy_user_raw.fixup
