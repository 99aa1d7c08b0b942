/*
 * fuzz_rnd.h - the fuzzer's random numbers, shared by the guest fuzzer
 * (user/bin/fuzz.c) and the host tool that mutates its ELF corpus
 * (user/tests/mkfuzzelf.c), so that one seed names one run everywhere.
 *
 * xorshift64* (Vigna, "An experimental exploration of Marsaglia's xorshift
 * generators, scrambled", 2016), seeded through splitmix64's finaliser so
 * that neighbouring (seed, round, slot) triples give unrelated streams.
 */
#ifndef FUZZ_RND_H
#define FUZZ_RND_H

#include <stdint.h>

static uint64_t rnd_state;

static inline uint64_t rnd(void)
{
	uint64_t x = rnd_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rnd_state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* Seed the generator for (SEED, ROUND, SLOT). */
static inline void rnd_seed(uint64_t seed, uint64_t round, uint64_t slot)
{
	uint64_t z = seed + round * 0x9E3779B97F4A7C15ULL + slot * 0xBF58476D1CE4E5B9ULL;

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	rnd_state = (z ^ (z >> 31)) | 1;
}

/* A number in [0, N), N > 0. */
static inline uint64_t pick(uint64_t n)
{
	return rnd() % n;
}

#endif
