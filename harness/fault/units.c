/*
 * Sizes and durations as SPECs and scenarios write them: "10MiB", "1k",
 * "250ms", "1.5s" (docs/faults.md, SPEC grammar).
 */
#include "units.h"

#include <faultrun/rule.h>

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parse a non-negative decimal number with optional fraction; end in *end. */
int fr_parse_number(const char *s, double *out, const char **end)
{
	char *e;

	if (!isdigit((unsigned char)*s) && *s != '.')
		return -EINVAL;
	errno = 0;
	double v = strtod(s, &e);
	if (errno || e == s || !isfinite(v) || v < 0)
		return -EINVAL;
	/* decimal only: strtod also reads "0x1p4" */
	if (strspn(s, "0123456789.eE+-") < (size_t)(e - s))
		return -EINVAL;
	*out = v;
	*end = e;
	return 0;
}

struct unit {
	const char *name;
	double mult;
};

/* A number followed by one of the units (exactly); the value times its unit. */
static int parse_with_unit(const char *s, const struct unit *units, size_t n, double *out)
{
	const char *end;
	double v;

	if (!s || fr_parse_number(s, &v, &end) < 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(end, units[i].name) == 0) {
			*out = v * units[i].mult;
			return 0;
		}
	}
	return -EINVAL;
}

int fr_parse_size(const char *s, uint64_t *out)
{
	static const struct unit units[] = {
		{ "", 1 },
		{ "B", 1 },
		{ "k", 1024.0 },
		{ "K", 1024.0 },
		{ "KiB", 1024.0 },
		{ "KB", 1e3 },
		{ "M", 1048576.0 },
		{ "MiB", 1048576.0 },
		{ "MB", 1e6 },
		{ "G", 1073741824.0 },
		{ "GiB", 1073741824.0 },
		{ "GB", 1e9 },
		{ "TiB", 1099511627776.0 },
	};
	double b;

	if (parse_with_unit(s, units, sizeof(units) / sizeof(units[0]), &b) < 0 ||
	    b >= 18446744073709551615.0 || b != floor(b))
		return -EINVAL;
	*out = (uint64_t)b;
	return 0;
}

int fr_parse_duration(const char *s, uint64_t *out_ns)
{
	static const struct unit units[] = {
		{ "ns", 1 },   { "us", 1e3 },	{ "ms", 1e6 },	 { "s", 1e9 },
		{ "m", 60e9 }, { "min", 60e9 }, { "h", 3600e9 },
	};
	double ns;

	if (parse_with_unit(s, units, sizeof(units) / sizeof(units[0]), &ns) < 0 || ns >= 9.2e18)
		return -EINVAL;
	/* rounded to nearest; ns >= 0 (no llround: faultrun links no libm) */
	*out_ns = (uint64_t)(ns + 0.5);
	return 0;
}

int fr_fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (err && len) {
		va_start(ap, fmt);
		vsnprintf(err, len, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}
