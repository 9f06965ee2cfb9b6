/* Unit tests for fr_glob_match: the path selector of every file rule. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include <faultrun/rule.h>

/*
 * The same matcher with no backtracking budget at all, so that every
 * answer comes from its fallback (the set-of-positions simulation): the
 * two must agree on every pattern.
 */
bool nfa_glob_match(const char *pattern, size_t plen, const char *str);
#define fr_glob_match nfa_glob_match
#define GLOB_STEP_LIMIT 0
#include "../../harness/fault/glob.c"
#undef fr_glob_match
#undef GLOB_STEP_LIMIT

static bool m(const char *p, const char *s)
{
	return fr_glob_match(p, strlen(p), s);
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
	assert_false(fr_glob_match(pat, strlen(pat), str));
}

/*
 * A pattern that matches, but only after the backtracker has exhausted a
 * few million ways to fail in the first segment: past the step bound the
 * answer must still be "matches", never a silent "no".
 */
static void test_past_the_step_bound_still_matches(void **state)
{
	const char *pat = "/**/a*a*a*a*a*a*a*a*a*a*b";
	char str[128] = "/";

	(void)state;
	for (int i = 0; i < 30; i++)
		strcat(str, "a");
	strcat(str, "/aaaaaaaaaab");
	assert_true(fr_glob_match(pat, strlen(pat), str));
	str[strlen(str) - 1] = 'c';
	assert_false(fr_glob_match(pat, strlen(pat), str));
	/* the same shape within one segment: '*' never crosses the '/' */
	assert_false(fr_glob_match("/a*a*a*a*a*a*a*a*a*a*b", 22,
				   "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/aaaaaaaaaab"));
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

/* The fallback gives the backtracker's answer on 200,000 random pairs. */
static void test_fallback_agrees(void **state)
{
	uint32_t x = 2463534242u;
	char pat[24], str[24];

	(void)state;
	for (int i = 0; i < 200000; i++) {
		random_text(&x, "ab/*?[]!-\\", pat, sizeof(pat));
		random_text(&x, "ab/[]-*\\", str, sizeof(str));
		bool want = fr_glob_match(pat, strlen(pat), str);
		if (nfa_glob_match(pat, strlen(pat), str) != want)
			fail_msg("'%s' vs '%s': backtracking says %d", pat, str, want);
	}
	/* and on the documented examples */
	assert_true(nfa_glob_match("/a/**/b", 7, "/a/b"));
	assert_true(nfa_glob_match("**/dump.pm2", 11, "/root/.pm2/dump.pm2"));
	assert_false(nfa_glob_match("/var/log/*.log", 14, "/var/log/a/out.log"));
	assert_true(nfa_glob_match("/a[", 3, "/a["));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_literal),
		cmocka_unit_test(test_star_stays_in_segment),
		cmocka_unit_test(test_double_star_crosses_segments),
		cmocka_unit_test(test_question_and_class),
		cmocka_unit_test(test_bounded_pattern),
		cmocka_unit_test(test_hostile_pattern_terminates),
		cmocka_unit_test(test_past_the_step_bound_still_matches),
		cmocka_unit_test(test_fallback_agrees),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
