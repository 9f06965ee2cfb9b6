/*
 * Unit tests for the shim's quick "no path rule can match this open"
 * (harness/fault/path_quick.h), the very functions shim_open_fast() calls:
 *
 * - fr_path_clean_len() and each of its scans (16 and 32 bytes a block,
 *   aligned near a page's end) against a byte-by-byte reference, on the
 *   paths a ".." or "." or "//" brings under a rule, at every offset in
 *   their blocks, with bytes past the NUL that would look bad, and ending
 *   on the last byte before an unmapped page;
 * - fr_glob_heads_miss() over the heads fr_slot_glob_heads() builds: a
 *   path it passes is matched by no rule once normalised, on the
 *   adversarial paths and on random rule sets and paths.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include <faultrun/control.h>
#include <faultrun/rule.h>

#include "../../harness/fault/glob.h"
#include "../../harness/fault/path_quick.h"

/* The definition, a byte at a time: absolute p needs no cleaning. */
static size_t ref_clean_len(const char *p)
{
	size_t i;

	if (!strcmp(p, "/"))
		return 1;
	for (i = 0; p[i]; i++)
		if (p[i] == '/' && (p[i + 1] == '/' || p[i + 1] == '.' || p[i + 1] == '\0'))
			return 0;
	return i;
}

/* Every scan agrees with the reference on p. */
static void check_scans(const char *p)
{
	size_t want = ref_clean_len(p);

	if (fr_path_clean_len(p) != want)
		fail_msg("fr_path_clean_len(\"%s\") %zu, want %zu", p, fr_path_clean_len(p), want);
#ifdef __SSE2__
	if (fr_path_clean_len_sse2(p) != want)
		fail_msg("sse2 \"%s\" %zu, want %zu", p, fr_path_clean_len_sse2(p), want);
	if (fr_path_clean_len_aligned(p) != want)
		fail_msg("aligned \"%s\" %zu, want %zu", p, fr_path_clean_len_aligned(p), want);
#endif
#ifdef FR_PATH_AVX2
	if (__builtin_cpu_supports("avx2") && fr_path_clean_len_avx2(p) != want)
		fail_msg("avx2 \"%s\" %zu, want %zu", p, fr_path_clean_len_avx2(p), want);
#endif
}

static const char *const adversarial[] = {
	"/etc/../nonexistent/x",
	"//nonexistent/x",
	"/./nonexistent",
	"/./nonexistent/x",
	"/tmp/../nonexistent/x",
	"/nonexistent/./x",
	"/nonexistent//x",
	"/nonexistent/",
	"/tmp/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t/..",
	"/tmp/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/../nonexistent",
	"/tmp/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/",
	"/.hidden/x",
	"/a/.",
	"/a/..",
	"//",
};

static const char *const clean[] = {
	"/",
	"/a",
	"/nonexistent",
	"/nonexistent/x",
	"/tmp/tmp.OpEnCoStXy/a/b/c/d/e/f/g/file",
	"/a.b/c..d/e.",
	"/tmp/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/z",
};

/*
 * Each case at every offset of a 64-byte block, its NUL followed by bytes
 * that would be bad ("/." and "//") were they part of it.
 */
static void test_scan_offsets(void **state)
{
	static char buf[512] __attribute__((aligned(64)));
	const char *const *sets[] = { adversarial, clean };
	size_t counts[] = { sizeof(adversarial) / sizeof(adversarial[0]),
			    sizeof(clean) / sizeof(clean[0]) };

	(void)state;
	for (int s = 0; s < 2; s++)
		for (size_t k = 0; k < counts[s]; k++)
			for (size_t off = 0; off < 64; off++) {
				size_t n = strlen(sets[s][k]);

				memset(buf, '/', sizeof(buf));
				for (size_t i = off + n + 2; i < sizeof(buf); i += 3)
					buf[i] = '.';
				memcpy(buf + off, sets[s][k], n + 1);
				check_scans(buf + off);
			}
	for (size_t k = 0; k < counts[0]; k++)
		assert_int_equal(fr_path_clean_len(adversarial[k]), 0);
	for (size_t k = 0; k < counts[1]; k++)
		assert_int_equal(fr_path_clean_len(clean[k]), strlen(clean[k]));
}

static uint32_t rnd(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/* Random paths of '/', '.', 'a' and NUL-free garbage after them. */
static void test_scan_random(void **state)
{
	static char buf[256] __attribute__((aligned(64)));
	uint32_t x = 1234567u;

	(void)state;
	for (int t = 0; t < 200000; t++) {
		size_t off = rnd(&x) % 64, n = 1 + rnd(&x) % 100;

		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = "/.a"[rnd(&x) % 3];
		buf[off] = '/';
		buf[off + n] = '\0';
		check_scans(buf + off);
	}
}

/* Paths that end on the last byte of a page whose next page is unmapped. */
static void test_scan_page_end(void **state)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *m = mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	char *end;

	(void)state;
	assert_true(m != MAP_FAILED);
	assert_int_equal(mprotect(m + pg, (size_t)pg, PROT_NONE), 0);
	end = m + pg; /* the first byte that faults */
	for (size_t n = 1; n < 120; n++)
		for (size_t gap = 0; gap < 40; gap++) {
			char *p = end - 1 - gap - n;

			memset(m, '/', (size_t)pg);
			memset(p + 1, 'a', n - 1);
			p[0] = '/';
			p[n] = '\0';
			check_scans(p);
			if (n > 2)
				p[n / 2] = '/', p[n / 2 + 1] = '.'; /* a "/." inside */
			if (n > 3)
				check_scans(p);
		}
	munmap(m, (size_t)pg * 2);
}

/* ---- heads ---------------------------------------------------------------- */

static struct fr_ctl *block(void)
{
	struct fr_ctl *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	return c;
}

/* shim_open_fast's test: p is normal and begins with none of the heads */
static bool quiet(const struct fr_glob_heads *h, const char *p)
{
	size_t len;

	return fr_path_cannot_match(h, p, &len);
}

/* Whether rule slot i of c matches p once normalised, as the long way decides. */
static bool matches(const struct fr_ctl *c, unsigned i, const char *p)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "%s", p);
	fr_path_normalize(buf);
	return fr_glob_match(c->slots[i].rule.path, FR_GLOB_MAX, buf);
}

/*
 * Paths that normalising brings under the rule "/nonexistent/" followed by
 * "**": none may pass; a path elsewhere does.
 */
static void test_heads_adversarial(void **state)
{
	struct fr_ctl *c = block();
	struct fr_glob_heads h;

	(void)state;
	snprintf(c->slots[0].rule.path, FR_GLOB_MAX, "/nonexistent/**");
	fr_slot_glob_heads(c, 1, &h);
	for (size_t k = 0; k < sizeof(adversarial) / sizeof(adversarial[0]); k++)
		if (quiet(&h, adversarial[k]))
			fail_msg("'%s' passed", adversarial[k]);
	assert_true(matches(c, 0, "/etc/../nonexistent/x"));
	assert_true(matches(c, 0, "//nonexistent/x"));
	assert_true(matches(c, 0, "/./nonexistent/x"));
	assert_false(quiet(&h, "/nonexistent/x"));
	assert_false(quiet(&h, "/nonexis")); /* shorter than the prefix: long way */
	assert_true(quiet(&h, "/tmp/tmp.OpEnCoStXy/a/b/c/d/e/f/g/file"));
	assert_true(quiet(&h, "/nonexIstent/x"));
	assert_false(quiet(&h, "/nonexistenT/x")); /* only eight bytes are compared */
	assert_true(quiet(&h, "/etc/hostname"));
	assert_false(quiet(&h, "/etc/x")); /* seven bytes or fewer: long way */
	free(c);
}

/* Heads: a shorter prefix covers longer ones; past four, their common bytes. */
static void test_heads_build(void **state)
{
	static const char *const five[] = { "/srv/a/**", "/var/lib/db/**", "/data/**", "/home/*/x",
					    "/opt/app/log" };
	struct fr_ctl *c = block();
	struct fr_glob_heads h;

	(void)state;
	for (unsigned i = 0; i < 64; i++)
		snprintf(c->slots[i].rule.path, FR_GLOB_MAX, "/nonexistent/d%u/**", i);
	fr_slot_glob_heads(c, ~0ull, &h);
	assert_int_equal(atomic_load(&h.n), 1);
	assert_true(quiet(&h, "/tmp/a/file"));
	assert_false(quiet(&h, "/nonexistent/d7/f"));

	for (unsigned i = 0; i < 5; i++)
		snprintf(c->slots[i].rule.path, FR_GLOB_MAX, "%s", five[i]);
	fr_slot_glob_heads(c, 0xf, &h); /* four heads */
	assert_int_equal(atomic_load(&h.n), 4);
	assert_true(quiet(&h, "/tmp/a/file"));
	assert_false(quiet(&h, "/var/lib/db/f"));
	assert_false(quiet(&h, "/home/ann/x"));
	assert_true(quiet(&h, "/opt/app/log")); /* the fifth is not indexed */
	fr_slot_glob_heads(c, 0x1f, &h);	/* five: one, "/" */
	assert_int_equal(atomic_load(&h.n), 1);
	assert_false(quiet(&h, "/tmp/a/file"));
	assert_false(quiet(&h, "/opt/app/log"));

	snprintf(c->slots[0].rule.path, FR_GLOB_MAX, "/var/**");
	snprintf(c->slots[1].rule.path, FR_GLOB_MAX, "/var/lib/db/**");
	fr_slot_glob_heads(c, 0x3, &h); /* "/var/" covers "/var/lib" */
	assert_int_equal(atomic_load(&h.n), 1);
	assert_false(quiet(&h, "/var/lib/db/f"));
	assert_false(quiet(&h, "/var/tmp/f"));
	assert_true(quiet(&h, "/varnish/f"));

	snprintf(c->slots[2].rule.path, FR_GLOB_MAX, "**/x");
	fr_slot_glob_heads(c, 0x7, &h); /* an empty prefix: any path */
	assert_false(quiet(&h, "/tmp/a/file"));
	free(c);
}

/* A random path of components, some of them ".", ".." or empty. */
static void random_path(uint32_t *x, char *out, size_t max)
{
	static const char *const parts[] = { "a", "b", "ab", "nonexistent", "srv", ".", "..", "",
					     ".x", "a.b", "nonexistentx", "ba" };
	size_t n = 0, k = 1 + rnd(x) % 6;

	for (size_t i = 0; i < k && n + 16 < max; i++)
		n += (size_t)snprintf(out + n, max - n, "/%s",
				      parts[rnd(x) % (sizeof(parts) / sizeof(parts[0]))]);
	if (rnd(x) % 8 == 0 && n + 1 < max)
		out[n++] = '/';
	out[n] = '\0';
}

/* A random rule glob: literal parts, then wildcards. */
static void random_glob(uint32_t *x, char *out, size_t max)
{
	static const char *const parts[] = { "a", "b", "ab", "nonexistent", "srv", "*", "**", "a?",
					     "[ab]", "non*" };
	size_t n = 0, k = 1 + rnd(x) % 4;

	for (size_t i = 0; i < k && n + 16 < max; i++)
		n += (size_t)snprintf(out + n, max - n, "/%s",
				      parts[rnd(x) % (sizeof(parts) / sizeof(parts[0]))]);
	if (rnd(x) % 2 && n + 4 < max)
		n += (size_t)snprintf(out + n, max - n, "/**");
	out[n] = '\0';
}

/* No path that passes is matched by any rule once normalised. */
static void test_heads_random(void **state)
{
	struct fr_ctl *c = block();
	uint32_t x = 88172645u;
	char p[256];
	int passed = 0;

	(void)state;
	for (int set = 0; set < 400; set++) {
		unsigned n = 1 + rnd(&x) % 8;
		uint64_t slots = (1ull << n) - 1;
		struct fr_glob_heads h;

		for (unsigned i = 0; i < n; i++)
			random_glob(&x, c->slots[i].rule.path, 64);
		fr_slot_glob_heads(c, slots, &h);
		for (int k = 0; k < 500; k++) {
			random_path(&x, p, sizeof(p));
			if (!quiet(&h, p))
				continue;
			passed++;
			for (unsigned i = 0; i < n; i++)
				if (matches(c, i, p))
					fail_msg("'%s' passed, but '%s' matches it", p,
						 c->slots[i].rule.path);
		}
	}
	assert_true(passed > 1000); /* the quick way was taken, not only the long one */
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan_offsets),
		cmocka_unit_test(test_scan_random),
		cmocka_unit_test(test_scan_page_end),
		cmocka_unit_test(test_heads_adversarial),
		cmocka_unit_test(test_heads_build),
		cmocka_unit_test(test_heads_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
