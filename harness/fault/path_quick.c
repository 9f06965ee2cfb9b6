/*
 * The path scans of path_quick.h that are not inlined: the aligned one
 * (near a page's end) and the AVX2 one (a function of its own, so that
 * only it is built for AVX2).
 */
#include "path_quick.h"

#ifdef __SSE2__
/* The aligned scan, for a path that ends near a page's end. */
__attribute__((no_sanitize_address, no_sanitize_thread)) size_t
fr_path_clean_len_aligned(const char *p)
{
	/* '.' is '/' but for the low bit: (byte | 1) == '/' finds both at once */
	const __m128i slash = _mm_set1_epi8('/'), one = _mm_set1_epi8(1);
	const __m128i nul = _mm_setzero_si128();
	uintptr_t off = (uintptr_t)p & 15;
	const __m128i *b = (const __m128i *)(const void *)(p - off);
	unsigned keep = 0xffffu << off, carry = 0;

	if (p[1] == '\0')
		return 1; /* "/" */
	for (;;) {
		__m128i v = _mm_load_si128(b++);
		__m128i zv = _mm_cmpeq_epi8(v, nul);
		unsigned s = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, slash)) & keep;
		unsigned z = (unsigned)_mm_movemask_epi8(zv) & keep;
		unsigned sd = (unsigned)_mm_movemask_epi8(
			_mm_or_si128(_mm_cmpeq_epi8(_mm_or_si128(v, one), slash), zv));
		unsigned bad = (s << 1 | carry) & sd;

		if (__builtin_expect(!!(bad | z), 0)) {
			/* only bytes up to the first NUL count (z ^ (z - 1): the
			 * lowest bit of z and those below it, all when z is 0) */
			if (bad & (z ^ (z - 1)))
				return 0;
			return (size_t)((const char *)(b - 1) + __builtin_ctz(z) - p);
		}
		carry = s >> 15;
		keep = 0xffffu;
	}
}

#ifdef FR_PATH_AVX2
#include <immintrin.h>

/* The constants as loads (two instructions), not built in registers (seven) */
static const uint8_t k_slash_one[2][32] __attribute__((aligned(32))) = {
	{ '/', '/', '/', '/', '/', '/', '/', '/', '/', '/', '/', '/', '/', '/', '/', '/',
	  '/', '/', '/', '/', '/', '/', '/', '/', '/', '/', '/', '/', '/', '/', '/', '/' },
	{ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 },
};

/* Thirty-two bytes a block, where the CPU has AVX2. */
__attribute__((target("avx2"), no_sanitize_address, no_sanitize_thread)) size_t
fr_path_clean_len_avx2(const char *p)
{
	const uint8_t(*k)[32] = k_slash_one;
	const __m256i nul = _mm256_setzero_si256();
	__m256i slash, one;

	if (p[1] == '\0')
		return 1; /* "/" */
	/* hidden from the compiler, which would build the known values again */
	__asm__("" : "+r"(k));
	slash = _mm256_load_si256((const __m256i *)(const void *)k[0]);
	one = _mm256_load_si256((const __m256i *)(const void *)k[1]);
	for (const char *q = p;; q += 32) {
		__m256i v, w, z, bad;
		unsigned e, i;

		if (FR_PAGE_OFF(q) > 4096 - 33)
			return fr_path_clean_len_aligned(p);
		v = _mm256_loadu_si256((const __m256i *)(const void *)q);
		w = _mm256_loadu_si256((const __m256i *)(const void *)(q + 1));
		z = _mm256_cmpeq_epi8(v, nul);
		bad = _mm256_and_si256(
			_mm256_cmpeq_epi8(v, slash),
			_mm256_or_si256(_mm256_cmpeq_epi8(_mm256_or_si256(w, one), slash),
					_mm256_cmpeq_epi8(w, nul)));
		e = (unsigned)_mm256_movemask_epi8(_mm256_or_si256(bad, z));
		if (__builtin_expect(!!e, 0)) {
			i = (unsigned)__builtin_ctz(e);
			if (!((unsigned)_mm256_movemask_epi8(z) >> i & 1))
				return 0;
			return (size_t)(q - p) + i;
		}
	}
}
#endif

#endif
