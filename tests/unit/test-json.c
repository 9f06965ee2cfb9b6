/* Unit tests for the JSON reader (harness/core/json.c) that reads run journals. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/json.h"
#include "util/strbuf.h"

static int parse(struct fr_json *js, const char *text, struct fr_json_err *err)
{
	return fr_json_parse(js, text, strlen(text), err);
}

/* Parse text, which must be malformed, and check where the error is. */
static void check_bad(const char *text, int line, int col, const char *msg_part)
{
	struct fr_json js;
	struct fr_json_err err;
	int r = parse(&js, text, &err);

	if (r != -EINVAL || err.line != line || err.col != col ||
	    (msg_part && !strstr(err.msg, msg_part)))
		fail_msg("%s: got %d at %d:%d '%s', want %d:%d '%s'", text, r, err.line, err.col,
			 err.msg, line, col, msg_part ? msg_part : "");
	assert_null(js.tok);
}

static void test_scalars(void **state)
{
	struct fr_json js;
	struct fr_json_err err;

	assert_int_equal(parse(&js, " 42 ", &err), 0);
	assert_int_equal(fr_json_type(&js, 0), FR_JSON_NUMBER);
	assert_true(fr_json_num(&js, 0, -1) == 42);
	fr_json_finish(&js);

	assert_int_equal(parse(&js, "-0.5e+1", &err), 0);
	assert_true(fr_json_num(&js, 0, 0) == -5);
	fr_json_finish(&js);

	assert_int_equal(parse(&js, "true", &err), 0);
	assert_true(fr_json_bool(&js, 0, false));
	fr_json_finish(&js);

	assert_int_equal(parse(&js, "null", &err), 0);
	assert_true(fr_json_is_null(&js, 0));
	assert_true(fr_json_num(&js, 0, 7) == 7); /* wrong type: default */
	fr_json_finish(&js);
}

static void test_object_lookup(void **state)
{
	const char *doc = "{\"a\": 1, \"b\": {\"c\": [10, 20, {\"d\": \"x\"}], \"e\": []}, \"f\": false}";
	struct fr_json js;

	assert_int_equal(parse(&js, doc, NULL), 0);
	assert_int_equal(fr_json_len(&js, 0), 3);
	assert_true(fr_json_num(&js, fr_json_get(&js, 0, "a"), 0) == 1);
	fr_jv b = fr_json_get(&js, 0, "b");
	fr_jv c = fr_json_get(&js, b, "c");

	assert_int_equal(fr_json_type(&js, c), FR_JSON_ARRAY);
	assert_int_equal(fr_json_len(&js, c), 3);
	assert_true(fr_json_num(&js, fr_json_at(&js, c, 1), 0) == 20);
	assert_true(fr_json_streq(&js, fr_json_get(&js, fr_json_at(&js, c, 2), "d"), "x"));
	assert_int_equal(fr_json_at(&js, c, 3), FR_JV_NONE);
	assert_int_equal(fr_json_len(&js, fr_json_get(&js, b, "e")), 0);
	assert_int_equal(fr_json_first(&js, fr_json_get(&js, b, "e")), FR_JV_NONE);
	/* a member after a nested container is found (skipping works) */
	assert_int_equal(fr_json_type(&js, fr_json_get(&js, 0, "f")), FR_JSON_FALSE);
	/* absent keys and lookups on absent values chain to NONE */
	assert_int_equal(fr_json_get(&js, 0, "zz"), FR_JV_NONE);
	assert_int_equal(fr_json_get(&js, fr_json_get(&js, 0, "zz"), "a"), FR_JV_NONE);
	assert_int_equal(fr_json_type(&js, FR_JV_NONE), FR_JSON_NONE);
	assert_null(fr_json_strdup(&js, FR_JV_NONE, NULL));
	fr_json_finish(&js);
}

static void test_iteration(void **state)
{
	const char *doc = "[{\"k\":1,\"l\":[1,2]},[],3,\"s\"]";
	struct fr_json js;
	int n = 0;

	assert_int_equal(parse(&js, doc, NULL), 0);
	for (fr_jv v = fr_json_first(&js, 0); v != FR_JV_NONE; v = fr_json_next(&js, 0, v))
		n++;
	assert_int_equal(n, 4);

	fr_jv o = fr_json_first(&js, 0);
	const char *keys[2];
	int nk = 0;

	for (fr_jv k = fr_json_first_key(&js, o); k != FR_JV_NONE; k = fr_json_next_key(&js, o, k))
		keys[nk++] = fr_json_streq(&js, k, "k") ? "k" : fr_json_streq(&js, k, "l") ? "l" : "?";
	assert_int_equal(nk, 2);
	assert_string_equal(keys[0], "k");
	assert_string_equal(keys[1], "l");
	fr_json_finish(&js);
}

static void test_string_escapes(void **state)
{
	const char *doc = "[\"a\\\"b\\\\c\\/d\\n\\t\", \"\\u00e9\\u20ac\\ud83d\\ude00\", "
			  "\"x\\u0000y\", \"\\ud800z\", \"raw \xc3\xa9 \xff\"]";
	struct fr_json js;
	size_t len;
	char *s;

	assert_int_equal(parse(&js, doc, NULL), 0);
	s = fr_json_strdup(&js, fr_json_at(&js, 0, 0), &len);
	assert_string_equal(s, "a\"b\\c/d\n\t");
	assert_int_equal(len, 9);
	free(s);
	s = fr_json_strdup(&js, fr_json_at(&js, 0, 1), NULL);
	assert_string_equal(s, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	free(s);
	/* NUL and lone surrogates become U+FFFD: the C string is never cut */
	s = fr_json_strdup(&js, fr_json_at(&js, 0, 2), NULL);
	assert_string_equal(s, "x\xef\xbf\xbdy");
	free(s);
	s = fr_json_strdup(&js, fr_json_at(&js, 0, 3), NULL);
	assert_string_equal(s, "\xef\xbf\xbdz");
	free(s);
	/* bytes >= 0x80 pass through, even when not valid UTF-8 */
	s = fr_json_strdup(&js, fr_json_at(&js, 0, 4), NULL);
	assert_string_equal(s, "raw \xc3\xa9 \xff");
	free(s);
	assert_true(fr_json_streq(&js, fr_json_at(&js, 0, 0), "a\"b\\c/d\n\t"));
	assert_false(fr_json_streq(&js, fr_json_at(&js, 0, 0), "a\"b"));
	fr_json_finish(&js);
}

static void test_escaped_key(void **state)
{
	struct fr_json js;

	assert_int_equal(parse(&js, "{\"na\\u006de\": \"v\"}", NULL), 0);
	assert_true(fr_json_streq(&js, fr_json_get(&js, 0, "name"), "v"));
	fr_json_finish(&js);
}

static void test_raw_number(void **state)
{
	struct fr_json js;
	size_t len;

	assert_int_equal(parse(&js, "{\"seed\": 281474976710655}", NULL), 0);
	const char *raw = fr_json_raw(&js, fr_json_get(&js, 0, "seed"), &len);

	assert_non_null(raw);
	assert_int_equal(len, 15);
	assert_memory_equal(raw, "281474976710655", 15);
	assert_null(fr_json_raw(&js, 0, &len));
	fr_json_finish(&js);
}

static void test_errors_name_line_and_column(void **state)
{
	check_bad("", 1, 1, "empty");
	check_bad("{\"a\": 1,\n \"b\" 2}", 2, 6, "':'");
	check_bad("[1, 2,]", 1, 7, "trailing ','");
	check_bad("{\"a\": 1,}", 1, 9, "trailing ','");
	check_bad("[1 2]", 1, 4, "expected ',' or ']'");
	check_bad("{\"a\": 1", 1, 1, "unterminated object");
	check_bad("[\"abc", 1, 2, "unterminated string");
	check_bad("[\"a\nb\"]", 1, 4, "newline");
	check_bad("[\"a\\qb\"]", 1, 4, "bad escape");
	check_bad("[\"\\u12g4\"]", 1, 3, "\\u");
	check_bad("[01]", 1, 2, "leading zero");
	check_bad("[1.]", 1, 2, "'.'");
	check_bad("[1e]", 1, 2, "exponent");
	check_bad("[NaN]", 1, 2, "a value was expected");
	check_bad("[tru]", 1, 2, "a value was expected");
	check_bad("{} x", 1, 4, "after the document");
	check_bad("{1: 2}", 1, 2, "member's name");
	check_bad("[", 1, 2, "end of the document");
	check_bad("{\"a\": 1,\n", 1, 1, "unterminated object");
}

static void test_depth_limit(void **state)
{
	char deep[600];
	struct fr_json js;
	struct fr_json_err err;

	memset(deep, '[', 300);
	memset(deep + 300, ']', 300);
	assert_int_equal(fr_json_parse(&js, deep, 600, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "nested too deeply"));

	memset(deep, '[', 200);
	memset(deep + 200, ']', 200);
	assert_int_equal(fr_json_parse(&js, deep, 400, &err), 0);
	fr_json_finish(&js);
}

static void test_read_file(void **state)
{
	char path[] = "/tmp/faultrun-test-json-XXXXXX";
	int fd = mkstemp(path);
	char *text;
	size_t len;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "{\"x\": [1]}\n", 11), 11);
	close(fd);
	assert_int_equal(fr_json_read_file(path, &text, &len), 0);
	assert_int_equal(len, 11);
	assert_int_equal(text[len], '\0');
	free(text);
	unlink(path);
	assert_int_equal(fr_json_read_file(path, &text, &len), -ENOENT);
	assert_int_equal(fr_json_read_file("/tmp", &text, &len), -EISDIR);
}

/* what the journal writer makes of foreign bytes: valid JSON, always */
static char *json_of(const char *in)
{
	struct fr_buf b = { 0 };

	fr_buf_json_str(&b, in);
	return fr_buf_take(&b);
}

static void test_foreign_bytes_json(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain", "\"plain\"" },
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"" },
		{ "bad \xff byte", "\"bad \xef\xbf\xbd byte\"" },
		{ "cut \xe2\x82", "\"cut \xef\xbf\xbd\xef\xbf\xbd\"" },
		{ "overlong \xc0\xaf", "\"overlong \xef\xbf\xbd\xef\xbf\xbd\"" },
		{ "surrogate \xed\xa0\x80", "\"surrogate \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"" },
		{ "past \xf4\x90\x80\x80", "\"past \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"" },
		{ "ctl \x01\x1b\x7f", "\"ctl \\u0001\\u001b\\u007f\"" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = json_of(cases[i].in);
		struct fr_json js;
		struct fr_json_err e;

		assert_string_equal(got, cases[i].out);
		/* and our own strict reader takes it back */
		assert_int_equal(fr_json_parse(&js, got, strlen(got), &e), 0);
		fr_json_finish(&js);
		free(got);
	}
}

static void test_foreign_bytes_xml(void **state)
{
	struct fr_buf b = { 0 };
	char *got;

	(void)state;
	fr_buf_xml(&b, "<a> \x01 \xff \xef\xbf\xbe caf\xc3\xa9 & \"q\"");
	got = fr_buf_take(&b);
	assert_string_equal(got, "&lt;a&gt; ? \xef\xbf\xbd ? caf\xc3\xa9 &amp; &quot;q&quot;");
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_object_lookup),
		cmocka_unit_test(test_iteration),
		cmocka_unit_test(test_string_escapes),
		cmocka_unit_test(test_escaped_key),
		cmocka_unit_test(test_raw_number),
		cmocka_unit_test(test_errors_name_line_and_column),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_read_file),
		cmocka_unit_test(test_foreign_bytes_json),
		cmocka_unit_test(test_foreign_bytes_xml),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
