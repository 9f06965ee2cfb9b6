/*
 * Unit tests for the path glob matchers: fr_glob_match (the automaton read
 * from the pattern) and fr_glob_compile + fr_glob_run (the compiled one
 * the shim keeps per rule slot), against the backtracker faultrun used
 * before as the reference, on the documented cases, on every small
 * pattern and path, and on random ones.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>
#include <string.h>

#include <faultrun/control.h>
#include <faultrun/rule.h>

#include "../../harness/fault/glob.h"

/* ---- the reference: the old backtracker, with no step bound ------------ */

static bool ref_class(const char *p, const char *pend, char c, const char **next)
{
	bool negate = false, found = false;
	const char *open = p;

	p++; /* '[' */
	if (p < pend && (*p == '!' || *p == '^')) {
		negate = true;
		p++;
	}
	const char *start = p;
	while (p < pend && (*p != ']' || p == start)) {
		char lo = *p, hi = *p;
		if (p + 2 < pend && p[1] == '-' && p[2] != ']') {
			hi = p[2];
			p += 2;
		}
		if (c >= lo && c <= hi)
			found = true;
		p++;
	}
	if (p >= pend) {
		/* unterminated: '[' is literal */
		*next = open + 1;
		return c == '[';
	}
	*next = p + 1;
	return c != '/' && (found != negate);
}

static bool ref_from(const char *pend, const char *p, const char *s)
{
	while (p < pend) {
		char pc = *p;
		if (pc == '*') {
			bool dbl = p + 1 < pend && p[1] == '*';
			while (p < pend && *p == '*')
				p++;
			if (dbl) {
				/* "**" then "/": may also match zero segments */
				if (p < pend && *p == '/' && ref_from(pend, p + 1, s))
					return true;
				for (const char *t = s;; t++) {
					if (ref_from(pend, p, t))
						return true;
					if (!*t)
						return false;
				}
			}
			for (const char *t = s;; t++) {
				if (ref_from(pend, p, t))
					return true;
				if (!*t || *t == '/')
					return false;
			}
		}
		if (!*s)
			return false;
		if (pc == '?') {
			if (*s == '/')
				return false;
			p++;
			s++;
			continue;
		}
		if (pc == '[') {
			const char *next;
			if (!ref_class(p, pend, *s, &next))
				return false;
			p = next;
			s++;
			continue;
		}
		if (pc == '\\' && p + 1 < pend) {
			p++;
			pc = *p;
		}
		if (pc != *s)
			return false;
		p++;
		s++;
	}
	return *s == '\0';
}

static bool ref_match(const char *p, const char *s)
{
	return ref_from(p + strlen(p), p, s);
}

/* The compiled matcher (a fresh compile each time: the tests are about answers) */
static struct fr_glob cg;

static bool compiled(const char *p, size_t plen, const char *s)
{
	if (fr_glob_compile(&cg, p, plen) != 0)
		fail_msg("'%s' does not compile", p);
	return fr_glob_run(&cg, s);
}

/* Both matchers, which must agree */
static bool m(const char *p, const char *s)
{
	bool a = fr_glob_match(p, strlen(p), s), b = compiled(p, strlen(p), s);

	if (a != b)
		fail_msg("'%s' vs '%s': the automaton says %d, the compiled one %d", p, s, a, b);
	return a;
}

static void test_literal(void **state)
{
	assert_true(m("/var/log/app.log", "/var/log/app.log"));
	assert_false(m("/var/log/app.log", "/var/log/app.log2"));
	assert_false(m("/var/log/app.log", "/var/log/app.lo"));
}

static void test_star_stays_in_segment(void **state)
{
	assert_true(m("/var/log/*.log", "/var/log/out.log"));
	assert_false(m("/var/log/*.log", "/var/log/a/out.log"));
	assert_true(m("/tmp/*", "/tmp/x"));
	assert_false(m("/tmp/*", "/tmp/x/y"));
}

static void test_double_star_crosses_segments(void **state)
{
	assert_true(m("/tmp/x/**", "/tmp/x/f"));
	assert_true(m("/tmp/x/**", "/tmp/x/a/b/c"));
	assert_false(m("/tmp/x/**", "/tmp/y/f"));
	assert_true(m("**/dump.pm2", "/root/.pm2/dump.pm2"));
	assert_false(m("**/dump.pm2", "/root/.pm2/dump.pm2.bak"));
	assert_true(m("/a/**/b", "/a/b"));
	assert_true(m("/a/**/b", "/a/x/y/b"));
	assert_true(m("/data/**.log", "/data/x/y.log"));
}

static void test_question_and_class(void **state)
{
	assert_true(m("/f?o", "/foo"));
	assert_false(m("/f?o", "/f/o"));
	assert_true(m("/log[0-9]", "/log7"));
	assert_false(m("/log[0-9]", "/logx"));
	assert_true(m("/log[!0-9]", "/logx"));
	assert_false(m("/log[!0-9]", "/log1"));
	assert_true(m("/a[", "/a["));
	assert_true(m("/a\\*", "/a*"));
	assert_false(m("/a\\*", "/ab"));
}

static void test_bounded_pattern(void **state)
{
	/* the pattern array may be full, with no NUL: plen bounds it */
	char pat[4] = { '/', 'a', '*', 'X' };
	assert_true(fr_glob_match(pat, 3, "/abc"));
	assert_false(fr_glob_match(pat, 4, "/abc"));
	assert_true(compiled(pat, 3, "/abc"));
	assert_false(compiled(pat, 4, "/abc"));
}

static void test_hostile_pattern_terminates(void **state)
{
	char pat[200], str[300];
	for (int i = 0; i < 100; i++) {
		pat[2 * i] = 'a';
		pat[2 * i + 1] = '*';
	}
	memcpy(pat + 198, "b", 2);
	memset(str, 'a', sizeof(str) - 1);
	str[sizeof(str) - 1] = '\0';
	assert_false(m(pat, str));
	/* the shape the backtracker took a millisecond per open on */
	assert_false(m("**/**/**/**/**/x", "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/y"));
	assert_true(m("**/**/**/**/**/x", "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/x"));
}

/*
 * A pattern that matches, but only after a backtracker would have
 * exhausted a few million ways to fail in the first segment: the answer
 * must be "matches", never a silent "no".
 */
static void test_past_the_step_bound_still_matches(void **state)
{
	const char *pat = "/**/a*a*a*a*a*a*a*a*a*a*b";
	char str[128] = "/";

	(void)state;
	for (int i = 0; i < 30; i++)
		strcat(str, "a");
	strcat(str, "/aaaaaaaaaab");
	assert_true(m(pat, str));
	str[strlen(str) - 1] = 'c';
	assert_false(m(pat, str));
	/* the same shape within one segment: '*' never crosses the '/' */
	assert_false(m("/a*a*a*a*a*a*a*a*a*a*b", "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/aaaaaaaaaab"));
}

/* Small deterministic generator (xorshift), for the agreement test. */
static uint32_t rnd(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

static void random_text(uint32_t *x, const char *alphabet, char *out, size_t max)
{
	size_t n = rnd(x) % max, k = strlen(alphabet);

	for (size_t i = 0; i < n; i++)
		out[i] = alphabet[rnd(x) % k];
	out[n] = '\0';
}

/* Both give the backtracker's answer on 200,000 random pairs. */
static void test_random_agree(void **state)
{
	uint32_t x = 2463534242u;
	char pat[24], str[24];

	(void)state;
	for (int i = 0; i < 200000; i++) {
		random_text(&x, "ab/*?[]!-\\", pat, sizeof(pat));
		random_text(&x, "ab/[]-*\\", str, sizeof(str));
		bool want = ref_match(pat, str);
		if (m(pat, str) != want)
			fail_msg("'%s' vs '%s': backtracking says %d", pat, str, want);
	}
	/* and bytes past 0x7f, which classes compare as signed chars */
	for (int i = 0; i < 50000; i++) {
		random_text(&x, "a/*?[]!-\x80\xff\x7f", pat, sizeof(pat));
		random_text(&x, "a/-\x80\xff\x7f\xc3", str, sizeof(str));
		bool want = ref_match(pat, str);
		if (m(pat, str) != want)
			fail_msg("'%s' vs '%s': backtracking says %d", pat, str, want);
	}
}

/*
 * Every pattern of up to 5 tokens over {a, /, *, **, ?, [a], \*} against
 * every path of up to 5 bytes over {a, b, /, *}: the compiled matcher, the
 * automaton and the backtracker agree on all of them (about 8 million).
 */
static const char *const tokens[] = { "a", "/", "*", "**", "?", "[a]", "\\*" };
#define NTOK (sizeof(tokens) / sizeof(tokens[0]))
#define MAXTOK 5
#define MAXPATH 5

static void test_exhaustive_small(void **state)
{
	static char paths[1365][MAXPATH + 1];
	size_t np = 0, checked = 0;

	(void)state;
	for (size_t len = 0; len <= MAXPATH; len++) {
		size_t count = 1;
		for (size_t i = 0; i < len; i++)
			count *= 4;
		for (size_t v = 0; v < count; v++, np++) {
			size_t r = v;
			for (size_t i = 0; i < len; i++, r /= 4)
				paths[np][i] = "ab/*"[r % 4];
			paths[np][len] = '\0';
		}
	}
	for (size_t ntok = 0; ntok <= MAXTOK; ntok++) {
		size_t count = 1;
		for (size_t i = 0; i < ntok; i++)
			count *= NTOK;
		for (size_t v = 0; v < count; v++) {
			char pat[MAXTOK * 3 + 1] = "";
			size_t r = v;

			for (size_t i = 0; i < ntok; i++, r /= NTOK)
				strcat(pat, tokens[r % NTOK]);
			assert_int_equal(fr_glob_compile(&cg, pat, strlen(pat)), 0);
			for (size_t i = 0; i < np; i++) {
				bool want = ref_match(pat, paths[i]);
				if (fr_glob_run(&cg, paths[i]) != want ||
				    fr_glob_match(pat, strlen(pat), paths[i]) != want)
					fail_msg("'%s' vs '%s': backtracking says %d", pat, paths[i],
						 want);
				checked++;
			}
		}
	}
	assert_true(checked > 5000000);
}

/*
 * The shim's cache: a rule in a slot of a block is compiled on first use
 * and answers the same from then on; a rule outside any block is matched
 * without it.
 */
static void test_slot_cache(void **state)
{
	struct fr_ctl *c = calloc(1, sizeof(*c));
	struct fr_rule loose = { 0 };

	(void)state;
	assert_non_null(c);
	strcpy(c->slots[0].rule.path, "/var/log/**/*.log");
	strcpy(c->slots[1].rule.unix_path, "/run/**/x.sock");
	strcpy(loose.path, "/tmp/*");
	for (int round = 0; round < 2; round++) {
		const struct fr_rule *r0 = &c->slots[0].rule, *r1 = &c->slots[1].rule;

		assert_true(fr_slot_glob_match(c, r0, r0->path, sizeof(r0->path),
					       "/var/log/app/a.log"));
		assert_true(fr_slot_glob_match(c, r0, r0->path, sizeof(r0->path), "/var/log/a.log"));
		assert_false(fr_slot_glob_match(c, r0, r0->path, sizeof(r0->path), "/var/log/a.txt"));
		assert_false(fr_slot_glob_match(c, r0, r0->path, sizeof(r0->path), "/var/lo"));
		assert_true(fr_slot_glob_match(c, r1, r1->unix_path, sizeof(r1->unix_path),
					       "/run/x.sock"));
		assert_false(fr_slot_glob_match(c, r1, r1->unix_path, sizeof(r1->unix_path),
						"/run/y.sock"));
		/* the slot holds its unix_path compiled: its path is matched uncached */
		assert_false(fr_slot_glob_match(c, r1, r1->path, sizeof(r1->path), "/run/x.sock"));
		assert_true(fr_slot_glob_match(c, &loose, loose.path, sizeof(loose.path), "/tmp/a"));
		assert_false(fr_slot_glob_match(NULL, &loose, loose.path, sizeof(loose.path),
						"/tmp/a/b"));
	}
	free(c);
}

/*
 * The prefix index: every slot whose glob matches a path is among its
 * candidates (random rule sets of up to 64 slots against random paths,
 * the set changing as rules are added), and a path under none of the
 * 64 rules' trees has no candidate at all.
 */
static void test_slot_index(void **state)
{
	/* a published rule never changes: every set is a block of its own */
	struct fr_ctl *blocks = calloc(301, sizeof(*blocks)), *c = blocks;
	uint32_t x = 88172645u;
	char str[24];

	(void)state;
	assert_non_null(blocks);
	for (int set = 0; set < 300; set++, c++) {
		unsigned n = 1 + rnd(&x) % 64;
		uint64_t slots = n == 64 ? ~0ull : (1ull << n) - 1;

		for (unsigned i = 0; i < n; i++)
			random_text(&x, "/ab*?[\\", c->slots[i].rule.path, 12);
		for (int k = 0; k < 400; k++) {
			uint64_t cand;

			random_text(&x, "/ab*", str, 10);
			/* asked twice: built on the first call, used on the second */
			fr_slot_glob_candidates(c, slots, str);
			cand = fr_slot_glob_candidates(c, slots, str);
			assert_int_equal(cand & ~slots, 0);
			for (unsigned i = 0; i < n; i++)
				if (fr_glob_match(c->slots[i].rule.path, FR_GLOB_MAX, str) &&
				    !(cand >> i & 1))
					fail_msg("'%s' matches '%s' but is no candidate", str,
						 c->slots[i].rule.path);
		}
	}
	for (unsigned i = 0; i < 64; i++)
		snprintf(c->slots[i].rule.path, FR_GLOB_MAX, "/nonexistent/d%u/**", i);
	fr_slot_glob_candidates(c, ~0ull, "/tmp/a/file");
	assert_int_equal(fr_slot_glob_candidates(c, ~0ull, "/tmp/a/file"), 0);
	/* d1 and d10..d19 share "/nonexistent/d1": the index tells them apart no further */
	assert_int_equal(fr_slot_glob_candidates(c, ~0ull, "/nonexistent/d7/f"), 1ull << 7);
	assert_int_equal(fr_slot_glob_candidates(c, ~0ull, "/nonexistent/d1/f"), 0x3ffull << 10 | 2);
	free(blocks);
}

/* Both backends clean a path so: ".", ".." and repeated slashes go, "/" stays. */
static void test_path_normalize(void **state)
{
	static const char *const cases[][2] = {
		{ "/a/b/c", "/a/b/c" },	 { "//a///b/", "/a/b" },    { "/a/./b/.", "/a/b" },
		{ "/a/b/../c", "/a/c" }, { "/../../a", "/a" },	    { "/a/..", "/" },
		{ "/", "/" },		 { "/.hidden/..x", "/.hidden/..x" },
	};
	char buf[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(buf, sizeof(buf), "%s", cases[i][0]);
		fr_path_normalize(buf);
		assert_string_equal(buf, cases[i][1]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_normalize),
		cmocka_unit_test(test_literal),
		cmocka_unit_test(test_star_stays_in_segment),
		cmocka_unit_test(test_double_star_crosses_segments),
		cmocka_unit_test(test_question_and_class),
		cmocka_unit_test(test_bounded_pattern),
		cmocka_unit_test(test_hostile_pattern_terminates),
		cmocka_unit_test(test_past_the_step_bound_still_matches),
		cmocka_unit_test(test_random_agree),
		cmocka_unit_test(test_exhaustive_small),
		cmocka_unit_test(test_slot_cache),
		cmocka_unit_test(test_slot_index),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
