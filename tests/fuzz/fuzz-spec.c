/*
 * Fuzz target: the fault SPEC parser (fr_spec_parse) and its inverse
 * (fr_rule_format).
 *
 * Properties checked on every input, beyond "no crash, no sanitizer
 * report":
 * - a rejected SPEC gets a non-empty, one-line message, and the same
 *   verdict with a tiny message buffer (no overflow, no other outcome);
 * - an accepted SPEC round-trips: format(parse(s)) parses again to the
 *   same rule, and formatting that rule gives the same line;
 * - formatting into any smaller buffer gives a NUL-terminated prefix of
 *   the full line and -ENOSPC.
 * The size and duration parsers get the raw input too.
 */
#include <faultrun/rule.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SPEC_MAX 2048

static void die(const char *what, const char *spec, const char *a,
		const char *b)
{
	fprintf(stderr, "fuzz-spec: %s\n  spec: '%s'\n  1: '%s'\n  2: '%s'\n",
		what, spec, a ? a : "", b ? b : "");
	abort();
}

/* Whether two parsed rules say the same thing (fields that matter). */
static const char *rule_diff(const struct fr_rule *a, const struct fr_rule *b)
{
	if (strncmp(a->name, b->name, sizeof(a->name)))
		return "name";
	if (a->ops != b->ops)
		return "ops";
	if (a->action != b->action)
		return "action";
	if (a->err != b->err)
		return "errno";
	if ((a->flags & (FR_RULE_PROB | FR_RULE_HOST)) !=
	    (b->flags & (FR_RULE_PROB | FR_RULE_HOST)))
		return "flags";
	if (a->amount != b->amount)
		return "amount";
	if (a->after != b->after)
		return "after";
	if (a->times != b->times)
		return "times";
	if ((a->flags & FR_RULE_PROB) &&
	    (a->prob_threshold != b->prob_threshold ||
	     a->probability != b->probability))
		return "probability";
	if (strncmp(a->path, b->path, sizeof(a->path)))
		return "path";
	if (strncmp(a->unix_path, b->unix_path, sizeof(a->unix_path)))
		return "unix";
	if (strncmp(a->proc, b->proc, sizeof(a->proc)))
		return "proc";
	if ((a->flags & FR_RULE_HOST) &&
	    (a->host_family != b->host_family ||
	     memcmp(a->host, b->host, sizeof(a->host))))
		return "host";
	if (a->port != b->port)
		return "port";
	if (a->lport != b->lport)
		return "lport";
	return NULL;
}

static void check_small_buffers(const struct fr_rule *r, const char *line,
				const char *spec)
{
	size_t full = strlen(line);
	size_t sizes[] = { 1, 2, 9, 40, full / 2 + 1, full, full + 1 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		char *buf = malloc(n); /* exact size: ASan sees any overflow */
		int ret;

		if (!buf)
			abort();
		ret = fr_rule_format(r, buf, n);
		if (strnlen(buf, n) == n)
			die("format: not NUL-terminated", spec, line, NULL);
		if (strncmp(buf, line, strlen(buf)) != 0 ||
		    strlen(buf) != (n - 1 < full ? n - 1 : full))
			die("format: not a prefix of the full line", spec, line, buf);
		if ((ret == 0) != (n > full))
			die("format: wrong return for a short buffer", spec, line, buf);
		free(buf);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char spec[SPEC_MAX + 1], err[256], tiny[8], line[2048], line2[2048];
	struct fr_rule r1, r2;
	uint64_t v;
	int ret;

	if (size > SPEC_MAX)
		size = SPEC_MAX;
	memcpy(spec, data, size);
	spec[size] = '\0';

	fr_parse_size(spec, &v);
	fr_parse_duration(spec, &v);

	err[0] = '\0';
	ret = fr_spec_parse(spec, &r1, 7, err, sizeof(err));
	if (ret != 0 && ret != -EINVAL)
		die("parse: unexpected return", spec, NULL, NULL);
	/* a parse that succeeds writes no message: start from an empty one */
	memset(tiny, 'x', sizeof(tiny));
	tiny[0] = '\0';
	if (fr_spec_parse(spec, &r2, 7, tiny, sizeof(tiny)) != ret)
		die("parse: verdict depends on the message buffer", spec, NULL, NULL);
	if (strnlen(tiny, sizeof(tiny)) == sizeof(tiny))
		die("parse: tiny message not NUL-terminated", spec, NULL, NULL);
	if (ret < 0) {
		if (!err[0] || strchr(err, '\n'))
			die("parse: message empty or not one line", spec, err, NULL);
		return 0;
	}
	if (!r1.name[0] || !r1.ops || r1.action == FR_ACT_NONE)
		die("parse: accepted an incomplete rule", spec, NULL, NULL);

	if (fr_rule_format(&r1, line, sizeof(line)) != 0)
		die("format: does not fit 2 KiB", spec, NULL, NULL);
	if (fr_spec_parse(line, &r2, 7, err, sizeof(err)) != 0)
		die("round trip: the formatted rule does not parse", spec, line, err);
	const char *diff = rule_diff(&r1, &r2);
	if (diff) {
		fprintf(stderr, "fuzz-spec: field '%s' differs\n", diff);
		die("round trip: parse(format(r)) != r", spec, line, NULL);
	}
	if (fr_rule_format(&r2, line2, sizeof(line2)) != 0 ||
	    strcmp(line, line2) != 0)
		die("round trip: format is not stable", spec, line, line2);
	check_small_buffers(&r1, line, spec);
	return 0;
}
