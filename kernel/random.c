/*
 * kernel/random.c - the random number generator behind getrandom(2),
 * /dev/random, /dev/urandom and AT_RANDOM (kernel/random.h).
 *
 * Shaped like Linux's CRNG (drivers/char/random.c), much simplified: a
 * 256-bit key feeds the ChaCha20 block function (RFC 8439, section 2.3);
 * each request takes blocks of keystream under a lock and, before handing
 * any out, replaces the key with the first 32 bytes of a fresh block ("fast
 * key erasure"), so output already given cannot be recomputed from a later
 * key.  The key is seeded at boot from RDRAND when CPUID.01H:ECX.RDRAND[bit
 * 30] says the CPU has it (Intel SDM Vol. 1, 7.3.17), and always from TSC
 * jitter; the timer tick XORs its TSC into a small pool, which is folded
 * into the key on every request.  Nothing here is audited: it is not meant
 * to protect secrets.  It never blocks: it is seeded before user space runs,
 * so GRND_RANDOM and GRND_NONBLOCK change nothing (as on Linux >= 5.6).
 */
#include "kernel/random.h"
#include "kernel/errno.h"
#include "kernel/sched.h"
#include "kernel/signal/signal.h"
#include "kernel/spinlock.h"
#include "kernel/uaccess.h"
#include "kernel/x86/x86.h"
#include "mm/layout.h"

#define CHACHA_BLOCK 64
#define CPUID_RDRAND (1u << 30)

static struct spinlock random_lock = SPINLOCK_INIT("random");
static uint32_t key[8];			/* under random_lock */
static uint64_t nonce;			/* blocks made so far: the counter */
static uint64_t pool[4];		/* interrupt timings, XORed in lock-free */
static unsigned pool_pos;

static inline uint32_t rotl(uint32_t v, int n)
{
	return (v << n) | (v >> (32 - n));
}

#define QR(a, b, c, d) (a += b, d = rotl(d ^ a, 16), c += d, b = rotl(b ^ c, 12), \
			a += b, d = rotl(d ^ a, 8), c += d, b = rotl(b ^ c, 7))

void chacha20_block(const uint32_t k[8], uint64_t counter, uint32_t out[16])
{
	static const uint32_t sigma[4] = { 0x61707865, 0x3320646e, 0x79622d32, 0x6b206574 };
	uint32_t in[16], x[16];

	memcpy(in, sigma, sizeof(sigma));
	memcpy(in + 4, k, 32);
	in[12] = (uint32_t)counter;
	in[13] = (uint32_t)(counter >> 32);
	in[14] = in[15] = 0;
	memcpy(x, in, sizeof(x));
	for (int i = 0; i < 10; i++) {
		QR(x[0], x[4], x[8], x[12]); QR(x[1], x[5], x[9], x[13]);
		QR(x[2], x[6], x[10], x[14]); QR(x[3], x[7], x[11], x[15]);
		QR(x[0], x[5], x[10], x[15]); QR(x[1], x[6], x[11], x[12]);
		QR(x[2], x[7], x[8], x[13]); QR(x[3], x[4], x[9], x[14]);
	}
	for (int i = 0; i < 16; i++)
		out[i] = x[i] + in[i];
}

static bool rdrand64(uint64_t *v)
{
	uint8_t ok;

	for (int tries = 0; tries < 10; tries++) {
		asm volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok));
		if (ok)
			return true;
	}
	return false;
}

void random_add_interrupt(void)
{
	unsigned i = __atomic_fetch_add(&pool_pos, 1, __ATOMIC_RELAXED) % ARRAY_SIZE(pool);

	__atomic_fetch_xor(&pool[i], rdtsc() * 0x9E3779B97F4A7C15UL, __ATOMIC_RELAXED);
}

void random_init(void)
{
	uint32_t r[4];
	uint64_t seed[4] = { 0 };
	bool hw;

	cpuid(1, 0, r);
	hw = r[2] & CPUID_RDRAND;
	for (size_t i = 0; i < ARRAY_SIZE(seed); i++) {
		uint64_t v = 0;
		if (hw && !rdrand64(&v))
			hw = false;
		/* TSC jitter: the low bits of a few timestamps around cpuid,
		 * whose latency varies (and varies a lot under emulation) */
		for (int j = 0; j < 16; j++) {
			cpuid(0, 0, r);
			v = (v << 5 | v >> 59) ^ rdtsc();
		}
		seed[i] ^= v;
	}
	spin_lock(&random_lock);
	for (int i = 0; i < 8; i++)
		key[i] ^= (uint32_t)(seed[i / 2] >> (32 * (i % 2)));
	spin_unlock(&random_lock);
}

/* Fold the pool into the key and make a fresh key (fast key erasure),
 * leaving the next counter for output.  random_lock held. */
static void crng_rekey(void)
{
	uint32_t block[16];

	for (size_t i = 0; i < ARRAY_SIZE(pool); i++) {
		uint64_t v = __atomic_exchange_n(&pool[i], 0, __ATOMIC_RELAXED);
		key[2 * i] ^= (uint32_t)v;
		key[2 * i + 1] ^= (uint32_t)(v >> 32);
	}
	chacha20_block(key, nonce++, block);
	memcpy(key, block, sizeof(key));
	memset(block, 0, sizeof(block));
}

void get_random_bytes(void *buf, size_t n)
{
	uint32_t block[16];
	uint8_t *out = buf;

	spin_lock(&random_lock);
	crng_rekey();
	while (n) {
		size_t k = MIN(n, (size_t)CHACHA_BLOCK);
		chacha20_block(key, nonce++, block);
		memcpy(out, block, k);
		out += k, n -= k;
	}
	spin_unlock(&random_lock);
	memset(block, 0, sizeof(block));
}

/* Linux's get_random_bytes_user: a page at a time; after each page a
 * pending signal ends the read with what was done (the first page is always
 * done: a short read is never empty). */
long random_read_user(uint64_t buf, size_t n)
{
	uint8_t chunk[256];
	size_t done = 0;

	while (done < n) {
		size_t k = MIN(n - done, sizeof(chunk));
		get_random_bytes(chunk, k);
		if (copy_to_user(buf + done, chunk, k)) {
			memset(chunk, 0, sizeof(chunk));
			return done ? (long)done : -EFAULT;
		}
		done += k;
		if (done % PAGE_SIZE == 0 && done < n) {
			if (signal_pending())
				break;
			cond_resched();
		}
	}
	memset(chunk, 0, sizeof(chunk));
	return (long)done;
}
