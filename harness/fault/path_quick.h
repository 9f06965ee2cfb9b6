/*
 * Telling quickly that no path rule can match a path: the shim's open
 * while rules are armed for other files (harness/shim/path.c), and
 * tests/unit/test-glob.c, which checks these very functions against the
 * matchers on adversarial paths.
 *
 * Two facts make "cannot match" exact without normalising the path:
 *
 * - fr_path_clean_len(): an absolute path with no "//", no segment that
 *   starts with '.' and no '/' at its end is its own normal form
 *   (fr_path_normalize leaves it as it is), so what its bytes begin with
 *   is what the matched path begins with. This must read the whole path:
 *   a ".." anywhere ("/etc/../nonexistent/x") can bring it under a rule.
 * - fr_glob_heads_miss(): every path a glob matches begins with the
 *   glob's literal prefix (its bytes before the first '*', '?', '[' or
 *   '\\'), so a path whose first eight bytes begin none of the published
 *   path rules' prefixes (their "heads", fr_slot_glob_heads) is matched by
 *   none of them.
 */
#ifndef FAULTRUN_PATH_QUICK_H
#define FAULTRUN_PATH_QUICK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

struct fr_ctl;

/*
 * The first eight bytes of the path rules' literal prefixes, as few as
 * cover them all (a shorter prefix covers every longer one it begins):
 * mask[i] has 0xff for each byte of pre[i] that counts. `n` heads are in
 * use; FR_GLOB_HEADS_ANY when some rule's prefix is empty (a glob that
 * starts with a wildcard: any path could match). Atomics, so that a
 * reader under a sequence number (the shim's) reads a torn copy without
 * undefined behaviour; the sequence check discards it.
 */
#define FR_GLOB_HEADS 4
#define FR_GLOB_HEADS_ANY 0xffu
struct fr_glob_heads {
	_Atomic uint32_t n;
	_Atomic uint64_t pre[FR_GLOB_HEADS], mask[FR_GLOB_HEADS];
};

/*
 * Fill h for the path globs of the slots in `slots` of block c (more
 * distinct heads than FR_GLOB_HEADS: their common bytes, one head).
 */
void fr_slot_glob_heads(const struct fr_ctl *c, uint64_t slots, struct fr_glob_heads *h);

/*
 * Whether path p of length len (strlen) begins with none of h's heads.
 * A path shorter than seven bytes is never told (its eight bytes would
 * run past its NUL); the caller takes the long way.
 */
static inline __attribute__((always_inline)) bool fr_glob_heads_miss(const struct fr_glob_heads *h,
								     const char *p, size_t len)
{
	uint32_t n = atomic_load_explicit(&h->n, memory_order_relaxed);
	uint64_t v;

	if (n > FR_GLOB_HEADS || len < 7)
		return false;
	/* its bytes up to the NUL at most; the builtin: the shim is built -fno-builtin */
	__builtin_memcpy(&v, p, 8);
	for (uint32_t i = 0; i < n; i++)
		if (!((v ^ atomic_load_explicit(&h->pre[i], memory_order_relaxed)) &
		      atomic_load_explicit(&h->mask[i], memory_order_relaxed)))
			return false;
	return true;
}

/*
 * fr_path_clean_len(p): the length of absolute path p (p[0] is '/') if it
 * needs no cleaning (no "//", no segment that starts with "." (which takes
 * in "." and "..", and, to stay simple, hidden names: those only take the
 * long way), no "/" at the end unless p is "/"), else 0.
 *
 * It reads the whole path, a block at a time: a '/' is bad where the next
 * byte is '/', '.' or the NUL, and the first bad byte or NUL ends the scan
 * (the lowest bit of one mask says which). The next byte is a second load
 * one byte on, so no block carries into the next. Both loads may read past
 * the NUL, never past p's page: near a page's end (one block in 128) the
 * scan goes back to aligned loads, which cannot cross a page, as glibc's
 * strlen reads. The sanitizers would still report the bytes past the NUL,
 * hence the attributes. With AVX2 (checked at run time) a block is 32
 * bytes: a 40-byte path is two blocks, not three.
 */
#define FR_PAGE_OFF(q) ((uintptr_t)(q)&4095u)

#ifdef __SSE2__
/* The aligned scan, for a path that ends near a page's end (path_quick.c). */
size_t fr_path_clean_len_aligned(const char *p);

/* Sixteen bytes a block: the scan without AVX2. */
__attribute__((no_sanitize_address, no_sanitize_thread)) static inline size_t
fr_path_clean_len_sse2(const char *p)
{
	const __m128i slash = _mm_set1_epi8('/'), one = _mm_set1_epi8(1);
	const __m128i nul = _mm_setzero_si128();

	if (p[1] == '\0')
		return 1; /* "/" */
	for (const char *q = p;; q += 16) {
		__m128i v, w, z, bad;
		unsigned e, i;

		if (FR_PAGE_OFF(q) > 4096 - 17)
			return fr_path_clean_len_aligned(p);
		v = _mm_loadu_si128((const __m128i *)(const void *)q);
		w = _mm_loadu_si128((const __m128i *)(const void *)(q + 1));
		z = _mm_cmpeq_epi8(v, nul);
		bad = _mm_and_si128(_mm_cmpeq_epi8(v, slash),
				    _mm_or_si128(_mm_cmpeq_epi8(_mm_or_si128(w, one), slash),
						 _mm_cmpeq_epi8(w, nul)));
		e = (unsigned)_mm_movemask_epi8(_mm_or_si128(bad, z));
		if (__builtin_expect(!!e, 0)) {
			/* a '/' is never a NUL: the first bit is one or the other */
			i = (unsigned)__builtin_ctz(e);
			if (!((unsigned)_mm_movemask_epi8(z) >> i & 1))
				return 0;
			return (size_t)(q - p) + i;
		}
	}
}

#if defined(__x86_64__) || defined(__i386__)
#define FR_PATH_AVX2 1
/* Thirty-two bytes a block, where the CPU has AVX2 (path_quick.c). */
size_t fr_path_clean_len_avx2(const char *p);
#endif

static inline size_t fr_path_clean_len(const char *p)
{
#ifdef FR_PATH_AVX2
	/* libgcc's answer, from CPUID and XGETBV (the OS saves the registers) */
	if (__builtin_cpu_supports("avx2"))
		return fr_path_clean_len_avx2(p);
#endif
	return fr_path_clean_len_sse2(p);
}
#else
static inline size_t fr_path_clean_len(const char *p)
{
	const char *q = p;

	if (p[1] == '\0')
		return 1;
	for (; *q; q++)
		if (*q == '/' && (q[1] == '/' || q[1] == '.' || q[1] == '\0'))
			return 0;
	return (size_t)(q - p);
}
#endif

/*
 * Whether no path rule whose heads are h can match absolute path p (p[0]
 * is '/'): p is its own normal form and begins with none of the heads.
 * *len is fr_path_clean_len(p) (0: not normal), for the long way.
 */
static inline __attribute__((always_inline)) bool
fr_path_cannot_match(const struct fr_glob_heads *h, const char *p, size_t *len)
{
	*len = fr_path_clean_len(p);
	return *len && fr_glob_heads_miss(h, p, *len);
}

#endif /* FAULTRUN_PATH_QUICK_H */
