/*
 * kernel/x86/power.h - ending the machine with a status that scripts/boot returns.
 */
#pragma once

#define EXIT_PANIC 125

/* Report STATUS on the status port (COM2) and power off.  Never returns. */
__attribute__((noreturn)) void machine_exit(int status);
