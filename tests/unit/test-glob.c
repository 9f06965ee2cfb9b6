/* Unit tests for fr_glob_match: the path selector of every file rule. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include <faultrun/rule.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_literal),
		cmocka_unit_test(test_star_stays_in_segment),
		cmocka_unit_test(test_double_star_crosses_segments),
		cmocka_unit_test(test_question_and_class),
		cmocka_unit_test(test_bounded_pattern),
		cmocka_unit_test(test_hostile_pattern_terminates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
