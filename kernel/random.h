/*
 * kernel/random.h - the kernel's random numbers: getrandom(2), /dev/random,
 * /dev/urandom and exec's AT_RANDOM.  A ChaCha20 keystream, seeded at boot
 * from RDRAND (when CPUID has it) or TSC jitter, and stirred with interrupt
 * timing.  NOT audited cryptography: shaped like Linux's CRNG, good enough
 * for stack canaries and hash seeds in a teaching kernel, nothing more.
 */
#pragma once
#include "kernel/lib.h"

/* getrandom(2) flags, Linux's values (include/uapi/linux/random.h). */
#define GRND_NONBLOCK 0x0001
#define GRND_RANDOM 0x0002
#define GRND_INSECURE 0x0004

/* One ChaCha20 block (20 rounds) of key K with the 64-bit block counter
 * COUNTER and a zero nonce (the original 64/64 layout) into OUT; for the
 * generator and its self-test (kernel/random_test.c). */
void chacha20_block(const uint32_t k[8], uint64_t counter, uint32_t out[16]);
/* Seed the generator (once, at boot, before the first user program). */
void random_init(void);
/* Fill BUF (kernel memory) with N random bytes.  Any context but an
 * interrupt handler; never sleeps. */
void get_random_bytes(void *buf, size_t n);
/* Mix the time of an interrupt into the pool (the timer tick calls it):
 * cheap, lock-free, safe in interrupt context. */
void random_add_interrupt(void);
/* Copy N random bytes to user address BUF, a chunk at a time (a long read
 * yields between pages and stops early, after a whole page, for a pending
 * signal): bytes done, or -EFAULT when none could be written. */
long random_read_user(uint64_t buf, size_t n);
