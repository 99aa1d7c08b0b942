/*
 * kernel/random_test.c - self-tests for kernel/random.c: the ChaCha20 block
 * function against RFC 8439's published keystream, and the generator's
 * output not repeating.
 */
#include "kernel/ktest.h"
#include "kernel/random.h"

/* RFC 8439 appendix A.1, test vectors #1 and #2: all-zero key and nonce,
 * block counter 0 and 1; the first 16 bytes of each keystream block. */
KTEST(chacha20_rfc8439)
{
	static const uint8_t want[2][16] = {
		{ 0x76, 0xb8, 0xe0, 0xad, 0xa0, 0xf1, 0x3d, 0x90,
		  0x40, 0x5d, 0x6a, 0xe5, 0x53, 0x86, 0xbd, 0x28 },
		{ 0x9f, 0x07, 0xe7, 0xbe, 0x55, 0x51, 0x38, 0x7a,
		  0x98, 0xba, 0x97, 0x7c, 0x73, 0x2d, 0x08, 0x0d },
	};
	const uint32_t key[8] = { 0 };
	uint32_t out[16];

	for (int i = 0; i < 2; i++) {
		chacha20_block(key, (uint64_t)i, out);
		KCHECK(!memcmp(out, want[i], sizeof(want[i])),
		       "chacha20: RFC 8439 A.1 keystream block %d", i);
	}
}

KTEST(random_differs)
{
	uint64_t a[4], b[4];

	get_random_bytes(a, sizeof(a));
	get_random_bytes(b, sizeof(b));
	KCHECK(memcmp(a, b, sizeof(a)) && (a[0] | a[1] | a[2] | a[3]),
	       "random: two requests give different, non-zero bytes");
}
