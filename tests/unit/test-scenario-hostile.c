/*
 * Hostile scenario values: each is refused with one exact
 * "FILE:LINE:COL: message", or kept exactly as written.
 *
 * - var expansion is bounded (one value, all values, nesting depth), and
 *   a var used before its line or by itself is named;
 * - a placeholder fills one field of a fault, never adds fields: a value
 *   holding " times=1 path=/etc/passwd" stays inside its field, whether it
 *   comes from a var, --set, the environment, the run directory or a
 *   service; a --set or environment value is never read for placeholders;
 * - a fault field given twice, stall=0s, nan%, hex and overflowing
 *   numbers, ports outside 1..65535 and NUL characters are errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "scenario/scenario.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEAD0 "target: {command: \"true\"}\nduration: 5s\n"
#define HEAD HEAD0 "expect: [{exits: 0}]\n"

struct bad_case {
	const char *name;
	const char *yaml;
	const char *message;
};

static const struct bad_case bad_cases[] = {
	/* vars */
	{ "var-used-before-its-line",
	  "vars:\n  a: ${vars.b}\n  b: x\n" HEAD,
	  "t.yml:2:6: var 'b' is defined further down (line 3): a var may use only the vars "
	  "above it" },
	{ "var-uses-itself", "vars:\n  a: \"x${vars.a}\"\n" HEAD,
	  "t.yml:2:8: var 'a' refers to itself" },
	{ "var-mapping-uses-itself", "vars:\n  a: {default: \"${vars.a}\"}\n" HEAD,
	  "t.yml:2:17: var 'a' refers to itself" },
	{ "per-run-var-in-a-name", "vars:\n  r: ${run_dir}/x\nname: \"n-${vars.r}\"\n" HEAD,
	  "t.yml:3:10: var 'r' holds '${run_dir}', which is only known when the run starts "
	  "and cannot be used here" },
	/* a placeholder fills a field, never adds one */
	{ "bare-word-with-spaces",
	  "vars: {ops: \"write errno=EIO\"}\n" HEAD "faults:\n  f: \"${vars.ops} path=/x\"\n",
	  "t.yml:6:7: fault 'f': '${vars.ops}' is one word of the SPEC, but its value "
	  "'write errno=EIO' holds spaces or '=': a placeholder fills one field's value and "
	  "never adds fields (write the fields in the SPEC, or use the mapping form)" },
	{ "placeholder-in-field-name",
	  "vars: {k: path}\n" HEAD "faults:\n  f: \"write errno=EIO ${vars.k}=/x\"\n",
	  "t.yml:6:23: fault 'f': a field's name cannot come from a placeholder "
	  "('${vars.k}=/x')" },
	{ "spec-name-not-the-key", HEAD "faults:\n  f: \"name=g write errno=EIO\"\n",
	  "t.yml:5:7: fault 'f': its name is its key; remove 'name=g'" },
	/* each field once */
	{ "spec-errno-twice", HEAD "faults:\n  f: \"write errno=EIO errno=ENOSPC\"\n",
	  "t.yml:5:23: fault 'f': 'errno' is given twice (each field once; only operations may "
	  "repeat)" },
	{ "spec-path-twice", HEAD "faults:\n  f: \"write errno=EIO path=/a path=/b\"\n",
	  "t.yml:5:31: fault 'f': 'path' is given twice (each field once; only operations may "
	  "repeat)" },
	{ "spec-times-twice", HEAD "faults:\n  f: write errno=EIO times=1 times=2\n",
	  "t.yml:5:30: fault 'f': 'times' is given twice (each field once; only operations may "
	  "repeat)" },
	{ "mapping-stall-twice", HEAD "faults:\n  f: {op: recv, stall: true, action: stall}\n",
	  "t.yml:5:30: fault 'f': 'stall' is given twice (each field once; only operations may "
	  "repeat)" },
	{ "spec-stall-zero", HEAD "faults:\n  f: \"recv stall=0s\"\n",
	  "t.yml:5:12: fault 'f': 'stall=0s' would never stall; write 'stall' alone to stall "
	  "until the rule is cleared" },
	{ "mapping-stall-zero", HEAD "faults:\n  f: {op: recv, stall: 0ms}\n",
	  "t.yml:5:17: fault 'f': 'stall=0ms' would never stall; write 'stall' alone to stall "
	  "until the rule is cleared" },
	/* numbers */
	{ "nan-percent",
	  HEAD0 "probes: {p: {tcp: \"127.0.0.1:80\"}}\n"
	       "expect: [{availability: {probe: p, min: nan%}}]\n",
	  "t.yml:4:41: min must be a percentage (99%, 99.9%) or a ratio from 0 to 1, not "
	  "'nan%'" },
	{ "inf-percent",
	  HEAD0 "probes: {p: {tcp: \"127.0.0.1:80\"}}\n"
	       "expect: [{availability: {probe: p, min: inf%}}]\n",
	  "t.yml:4:41: min must be a percentage (99%, 99.9%) or a ratio from 0 to 1, not "
	  "'inf%'" },
	{ "percent-over-100",
	  HEAD0 "probes: {p: {tcp: \"127.0.0.1:80\"}}\n"
	       "expect: [{availability: {probe: p, min: 100.5%}}]\n",
	  "t.yml:4:41: min must be a percentage (99%, 99.9%) or a ratio from 0 to 1, not "
	  "'100.5%'" },
	{ "nan-ratio",
	  HEAD0 "probes: {p: {tcp: \"127.0.0.1:80\"}}\n"
	       "expect: [{availability: {probe: p, min: nan}}]\n",
	  "t.yml:4:41: min must be a percentage (99%, 99.9%) or a ratio from 0 to 1, not "
	  "'nan'" },
	{ "nan-rate", HEAD "load: {url: \"http://127.0.0.1:80/\", rate: nan}\n",
	  "t.yml:4:43: rate must be requests per second ('20', '20/s', '30/m'), not 'nan'" },
	{ "hex-duration",
	  "target: {command: \"true\"}\nduration: 0x10s\nexpect: [{exits: 0}]\n",
	  "t.yml:2:11: duration: '0x10s' is not a duration (use a number and a unit: 250ms, "
	  "2s, 1.5s, 1m)" },
	{ "hex-budget", HEAD "faults:\n  f: {op: write, budget: 0x10}\n",
	  "t.yml:5:18: fault 'f': 'budget=0x10': expected a size (512, 64KiB, 10MiB, 1GiB)" },
	{ "status-wraps", HEAD "probes: {p: {http: {url: \"http://x/\", status: 4294967496}}}\n",
	  "t.yml:4:47: status '4294967496': expected a code (200), a class (2xx) or a range "
	  "(200-299)" },
	/* ports */
	{ "tcp-port-99999", HEAD "probes: {p: {tcp: \"127.0.0.1:99999\"}}\n",
	  "t.yml:4:19: tcp '127.0.0.1:99999': expected a port from 1 to 65535 after the ':'" },
	{ "tcp-port-0", HEAD "probes: {p: {tcp: \"127.0.0.1:0\"}}\n",
	  "t.yml:4:19: tcp '127.0.0.1:0': expected a port from 1 to 65535 after the ':'" },
	{ "url-port",
	  "vars: {port: \"65536\"}\n" HEAD "probes: {p: {http: \"http://127.0.0.1:${vars.port}/\"}}\n",
	  "t.yml:5:20: url 'http://127.0.0.1:65536/': port '65536': expected a port from 1 to "
	  "65535" },
	{ "service-port",
	  HEAD "services: {db: {type: mariadb, host: 127.0.0.1, port: \"99999\", user: a, "
	       "password: b, database: c}}\n",
	  "t.yml:4:55: port '99999': expected a port from 1 to 65535" },
	{ "mysql-port",
	  HEAD "probes: {p: {mysql: {host: 127.0.0.1, port: \"0\", query: \"select 1\"}}}\n",
	  "t.yml:4:45: port '0': expected a port from 1 to 65535" },
	{ "fault-port", HEAD "faults:\n  f: {op: connect, refuse: true, port: 99999}\n",
	  "t.yml:5:34: fault 'f': 'port=99999': expected a port from 1 to 65535" },
	/* NUL characters */
	{ "nul-in-fault-name", HEAD "faults: {\"a\\0b\": \"write errno=EIO\"}\n",
	  "t.yml:4:10: a NUL character (\"\\0\") in 'a...': no name, path, argument or value "
	  "can hold one" },
	{ "nul-in-path", HEAD "faults: {a: \"write errno=EIO path=/tmp/x\\0y\"}\n",
	  "t.yml:4:13: a NUL character (\"\\0\") in 'write errno=EIO path=/tmp/x...': no name, "
	  "path, argument or value can hold one" },
	{ "nul-in-var", "vars: {a: \"x\\0\"}\n" HEAD,
	  "t.yml:1:11: a NUL character (\"\\0\") in 'x...': no name, path, argument or value "
	  "can hold one" },
};

static int load_check(const char *yaml, struct fr_override *ovr, size_t novr, char *err,
		      size_t errlen)
{
	struct fr_scenario *s = NULL;
	int ret = fr_scenario_load_string("t.yml", yaml, ovr, novr, &s, err, errlen);

	if (ret == 0) {
		ret = fr_scenario_check(s, err, errlen);
		fr_scenario_destroy(s);
	}
	return ret;
}

/* Whether the file is refused with exactly message (else says what it got). */
static bool refused(const char *name, const char *yaml, const char *message)
{
	char err[1024] = "";
	int ret = load_check(yaml, NULL, 0, err, sizeof(err));

	if (ret == -EINVAL && strcmp(err, message) == 0)
		return true;
	print_error("case '%s':\n  got      %d '%s'\n  expected '%s'\n", name, ret, err,
		    message);
	return false;
}

static void expect_error(const char *name, const char *yaml, const char *message)
{
	assert_true(refused(name, yaml, message));
}

/* every case, each reported on its own */
static void test_refused(void **state)
{
	size_t bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++)
		bad += !refused(bad_cases[i].name, bad_cases[i].yaml, bad_cases[i].message);
	assert_int_equal(bad, 0);
}

/*
 * Each var uses the one before twice: 64 bytes doubled 15 times would be
 * 2 MiB, 30 times 64 GiB. The first value past 1 MiB is refused, naming
 * the var that pushed it over.
 */
static void test_expansion_size_bound(void **state)
{
	char y[4096];
	size_t off;

	(void)state;
	off = (size_t)snprintf(y, sizeof(y), "vars:\n  v0: %064d\n", 0);
	for (int i = 1; i <= 30; i++)
		off += (size_t)snprintf(y + off, sizeof(y) - off,
					"  v%d: \"${vars.v%d}${vars.v%d}\"\n", i, i - 1, i - 1);
	snprintf(y + off, sizeof(y) - off, HEAD);
	expect_error("doubling", y,
		     "t.yml:17:20: '${vars.v14}' (var 'v14') makes this value longer than 1 MiB, "
		     "the limit of one expanded value");
}

/* 200 uses of a 512 KiB var: 100 MiB in all, past the 64 MiB of all values */
static void test_expansion_total_bound(void **state)
{
	size_t big = 512 * 1024, cap = big + 200 * 64 + 4096, off;
	char *y = malloc(cap);

	(void)state;
	assert_non_null(y);
	off = (size_t)snprintf(y, cap, "vars:\n  big: ");
	memset(y + off, 'x', big);
	off += big;
	off += (size_t)snprintf(y + off, cap - off, "\n" HEAD "probes:\n");
	for (int i = 0; i < 200; i++)
		off += (size_t)snprintf(y + off, cap - off, "  p%d: {exec: \"echo ${vars.big}\"}\n",
					i);
	expect_error("total", y,
		     "t.yml:133:22: '${vars.big}' (var 'big') makes the scenario's values longer "
		     "than 64 MiB in all, the limit of expanded values");
	free(y);
}

/* a var using a var using a var ...: 16 levels at most */
static void test_expansion_depth_bound(void **state)
{
	char y[4096];
	size_t off;

	(void)state;
	off = (size_t)snprintf(y, sizeof(y), "vars:\n  v0: x\n");
	for (int i = 1; i <= 20; i++)
		off += (size_t)snprintf(y + off, sizeof(y) - off, "  v%d: \"<${vars.v%d}>\"\n", i,
					i - 1);
	snprintf(y + off, sizeof(y) - off, HEAD);
	expect_error("deep", y,
		     "t.yml:19:10: var 'v17' uses var 'v16', which nests vars 17 deep (at most 16)");
	/* 16 is fine */
	off = (size_t)snprintf(y, sizeof(y), "vars:\n  v0: x\n");
	for (int i = 1; i <= 16; i++)
		off += (size_t)snprintf(y + off, sizeof(y) - off, "  v%d: \"<${vars.v%d}>\"\n", i,
					i - 1);
	snprintf(y + off, sizeof(y) - off, HEAD);
	char err[256];
	assert_int_equal(load_check(y, NULL, 0, err, sizeof(err)), 0);
}

static const char *evil_service(void *opaque, const char *svc, const char *field)
{
	(void)opaque;
	(void)svc;
	return strcmp(field, "socket") == 0 ? "/s times=1 unix=/etc/x" : "3306";
}

/* A value that looks like fields stays inside the one field it fills. */
static void test_placeholders_fill_fields(void **state)
{
	static const char *y = "vars:\n"
			       "  none: \"\"\n"
			       "  p: /tmp/ok\n"
			       "  q: {default: /tmp/q}\n"
			       "services: {db: {type: mariadb}}\n" HEAD "faults:\n"
			       "  a: \"write errno=EIO path=${vars.p}\"\n"
			       "  b: {op: write, errno: EIO, path: \"${vars.q}\"}\n"
			       "  c: \"write errno=EIO path=${env.FR_TEST_EVIL}\"\n"
			       "  d: \"write errno=EIO path=${run_dir}/logs/**\"\n"
			       "  e: \"recv stall unix=${services.db.socket}\"\n"
			       "  f: \"write ${vars.none} errno=EIO may-not-fire\"\n"
			       "  g: \"write errno=EIO path=/${env.FR_TEST_DOLLAR}\"\n";
	const char *evil = "/tmp/x times=1 path=/etc/passwd";
	struct fr_override ovr[] = { { "p", evil, false }, { "q", "/${run_dir}/q ${x", false } };
	unsigned ports[1] = { 0 };
	struct fr_runctx ctx = { evil, ports, evil_service, NULL };
	struct fr_scenario *s;
	char err[1024], line[512];

	(void)state;
	setenv("FR_TEST_EVIL", evil, 1);
	setenv("FR_TEST_DOLLAR", "$${run_dir}", 1);
	if (fr_scenario_load_string("t.yml", y, ovr, 2, &s, err, sizeof(err)))
		fail_msg("%s", err);
	if (fr_scenario_instantiate(s, &ctx, err, sizeof(err)))
		fail_msg("%s", err);
	assert_string_equal(s->faults[0].rule.path, evil);
	assert_int_equal(s->faults[0].rule.times, 0);
	/* and reads as one field where rules are shown (ctl list, reports) */
	assert_int_equal(fr_rule_format(&s->faults[0].rule, line, sizeof(line)), 0);
	assert_string_equal(line, "name=a write errno=EIO "
				  "path=\"/tmp/x times=1 path=/etc/passwd\"");
	/* a --set value is taken literally, never read for placeholders */
	assert_string_equal(s->faults[1].rule.path, "/${run_dir}/q ${x");
	assert_string_equal(s->faults[2].rule.path, evil);
	assert_int_equal(s->faults[2].rule.times, 0);
	assert_string_equal(s->faults[3].rule.path, "/tmp/x times=1 path=/etc/passwd/logs/**");
	assert_int_equal(s->faults[3].rule.times, 0);
	assert_string_equal(s->faults[4].rule.unix_path, "/s times=1 unix=/etc/x");
	assert_int_equal(s->faults[4].rule.times, 0);
	/* an empty word is no word; may-not-fire still counts */
	assert_int_equal(s->faults[5].rule.ops, FR_OPBIT(FR_OP_WRITE));
	assert_true(s->faults[5].may_not_fire);
	assert_true(s->faults[5].rule.flags & FR_RULE_MAY_NOT_FIRE);
	/* so is the environment's */
	assert_string_equal(s->faults[6].rule.path, "/$${run_dir}");
	fr_scenario_destroy(s);
	unsetenv("FR_TEST_EVIL");
	unsetenv("FR_TEST_DOLLAR");
}

/*
 * A string the loader finishes (a description, a name) gets "${" for
 * "$${", and a --set value exactly as given.
 */
static void test_final_strings(void **state)
{
	static const char *y = "vars: {d: x}\n"
			       "description: \"${vars.d} $${y}\"\n" HEAD;
	struct fr_override ovr[] = { { "d", "a ${b} $${c}", false } };
	struct fr_scenario *s;
	char err[1024];

	(void)state;
	if (fr_scenario_load_string("t.yml", y, ovr, 1, &s, err, sizeof(err)))
		fail_msg("%s", err);
	assert_string_equal(s->description, "a ${b} $${c} ${y}");
	fr_scenario_destroy(s);
}

/* Operations add up, in either form; name= may repeat the fault's name. */
static void test_operations_add_up(void **state)
{
	static const char *y = HEAD "faults:\n"
				    "  a: \"write fsync op=open errno=EIO name=a\"\n"
				    "  b: {op: write, ops: [fsync, truncate], errno: EIO}\n"
				    "  c: \"recv stall\"\n";
	struct fr_scenario *s;
	char err[1024];

	(void)state;
	if (fr_scenario_load_string("t.yml", y, NULL, 0, &s, err, sizeof(err)) ||
	    fr_scenario_check(s, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(s->faults[0].rule.ops,
			 FR_OPBIT(FR_OP_WRITE) | FR_OPBIT(FR_OP_FSYNC) | FR_OPBIT(FR_OP_OPEN));
	assert_string_equal(s->faults[0].rule.name, "a");
	assert_int_equal(s->faults[1].rule.ops, FR_OPBIT(FR_OP_WRITE) | FR_OPBIT(FR_OP_FSYNC) |
							FR_OPBIT(FR_OP_TRUNCATE));
	assert_int_equal(s->faults[2].rule.action, FR_ACT_STALL);
	assert_int_equal(s->faults[2].rule.amount, 0);
	fr_scenario_destroy(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_expansion_size_bound),
		cmocka_unit_test(test_expansion_total_bound),
		cmocka_unit_test(test_expansion_depth_bound),
		cmocka_unit_test(test_placeholders_fill_fields),
		cmocka_unit_test(test_final_strings),
		cmocka_unit_test(test_operations_add_up),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
