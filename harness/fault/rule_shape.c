/*
 * The SPEC fields that shape a socket's traffic: jitter= (with delay=),
 * slice=, rate= and the seed= of their draws (Toxiproxy's latency jitter,
 * slicer and bandwidth toxics; docs/faults.md "Shaping"). rule_spec.c
 * calls these; the shim's side is harness/shim/shape.c and rate.c.
 */
#define _GNU_SOURCE
#include "units.h"

#include <faultrun/rule.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define fail fr_fail

/* slice=N or slice=MIN..MAX: bytes, from 1 to 4GiB - 1, MIN <= MAX. */
static int set_slice(struct fr_rule *r, const char *value, char *err, size_t errlen)
{
	char lo[32];
	const char *dots = strstr(value, "..");
	const char *hi = dots ? dots + 2 : value;
	size_t n = dots ? (size_t)(dots - value) : strlen(value);
	uint64_t a, b;

	if (n >= sizeof(lo))
		n = sizeof(lo) - 1;
	memcpy(lo, value, n);
	lo[n] = '\0';
	if (fr_parse_size(lo, &a) < 0 || fr_parse_size(hi, &b) < 0 || b > UINT32_MAX)
		return fail(err, errlen, "'slice=%s': expected bytes N or MIN..MAX (slice=1..100)",
			    value);
	/* a recv of 0 bytes would read as the peer's end of file */
	if (a == 0 || a > b)
		return fail(err, errlen, "'slice=%s': %s", value,
			    a ? "MIN is larger than MAX" : "a slice moves at least one byte");
	r->slice_min = (uint32_t)a;
	r->slice_max = (uint32_t)b;
	return 0;
}

/* rate=SIZE/s, or SIZE (a rate is always per second): at least 1 byte per second. */
static int set_rate(struct fr_rule *r, const char *value, char *err, size_t errlen)
{
	char num[32];
	size_t n = strlen(value);

	n -= n >= 2 && strcmp(value + n - 2, "/s") == 0 ? 2 : 0;
	snprintf(num, sizeof(num), "%.*s", (int)n, value);
	if (n == 0 || n >= sizeof(num) || fr_parse_size(num, &r->rate) < 0 || r->rate == 0)
		return fail(err, errlen,
			    "'rate=%s': expected bytes per second, at least 1 (rate=64KiB/s)",
			    value);
	return 0;
}

static const char *const dist_names[FR_DIST_COUNT] = {
	[FR_DIST_UNIFORM] = "uniform",
	[FR_DIST_NORMAL] = "normal",
	[FR_DIST_PARETO] = "pareto",
	[FR_DIST_PARETONORMAL] = "paretonormal",
};

/* distribution=uniform|normal|pareto|paretonormal (netem's names) */
static int set_dist(struct fr_rule *r, const char *value, char *err, size_t errlen)
{
	for (unsigned d = 0; d < FR_DIST_COUNT; d++)
		if (strcmp(value, dist_names[d]) == 0) {
			r->distribution = d;
			return 0;
		}
	return fail(err, errlen,
		    "'distribution=%s': expected uniform, normal, pareto or paretonormal", value);
}

/* correlation=25% (or 0.25): each draw's weight on the one before, from 0 to 100% */
static int set_corr(struct fr_rule *r, const char *value, char *err, size_t errlen)
{
	const char *end;
	double p;
	int bad = fr_parse_number(value, &p, &end);

	if (!bad && strcmp(end, "%") == 0) {
		p /= 100.0;
		end++;
	}
	if (bad || *end || p > 1.0)
		return fail(err, errlen,
			    "'correlation=%s': expected a percentage from 0%% to 100%% (25%%)",
			    value);
	r->correlation = (uint32_t)(p * 1000000.0 + 0.5);
	return 0;
}

int fr_rule_dgram_word(const char *word)
{
	return strcmp(word, "drop") == 0 || strcmp(word, "duplicate") == 0 ||
	       strcmp(word, "reorder") == 0;
}

/* drop, duplicate, reorder: actions without a value */
static int set_dgram(struct fr_rule *r, const char *key, const char *value, char *err,
		     size_t errlen)
{
	enum fr_action a = key[0] == 'd' && key[1] == 'r' ? FR_ACT_DROP :
			   key[0] == 'd'		  ? FR_ACT_DUPLICATE :
							    FR_ACT_REORDER;

	if (strcmp(value, "true") && strcmp(value, "yes"))
		return fail(err, errlen, "'%s' takes no value", key);
	if (r->action != FR_ACT_NONE && r->action != (uint32_t)a)
		return fail(err, errlen, "two actions given: '%s' and '%s'",
			    fr_action_name(r->action), key);
	r->action = a;
	return 0;
}

void fr_rule_format_dist(const struct fr_rule *r, char *out, size_t len)
{
	int n = 0;

	out[0] = '\0';
	if (r->distribution && r->distribution < FR_DIST_COUNT)
		n = snprintf(out, len, " distribution=%s", dist_names[r->distribution]);
	if (r->correlation && n >= 0 && (size_t)n < len) {
		unsigned c = r->correlation;
		char frac[8] = "";

		/* exact: millionths of one, so percent with four decimals */
		if (c % 10000)
			snprintf(frac, sizeof(frac), ".%04u", c % 10000);
		for (size_t k = strlen(frac); k > 1 && frac[k - 1] == '0'; k--)
			frac[k - 1] = '\0';
		snprintf(out + n, len - (size_t)n, " correlation=%u%s%%", c / 10000, frac);
	}
}

/*
 * The shaping fields: jitter=DURATION (with delay=), seed=N (the draws of
 * jitter and slice), slice=N or MIN..MAX (short reads and writes on a
 * stream socket). Returns 1 when key is not one of them.
 */
int fr_rule_set_shape(struct fr_rule *r, const char *key, const char *value, char *err,
		      size_t errlen)
{
	if (strcmp(key, "jitter") == 0) {
		if (fr_parse_duration(value, &r->jitter) < 0 || r->jitter == 0)
			return fail(err, errlen,
				    "'jitter=%s': expected a duration with a unit (ms, s, m)",
				    value);
		return 0;
	}
	if (strcmp(key, "seed") == 0) {
		char *end;

		errno = 0;
		r->seed = strtoull(value, &end, 10);
		if (!isdigit((unsigned char)value[0]) || errno || *end)
			return fail(err, errlen, "'seed=%s': expected a whole number", value);
		return 0;
	}
	if (strcmp(key, "rate") == 0)
		return set_rate(r, value, err, errlen);
	if (strcmp(key, "distribution") == 0)
		return set_dist(r, value, err, errlen);
	if (strcmp(key, "correlation") == 0)
		return set_corr(r, value, err, errlen);
	if (fr_rule_dgram_word(key))
		return set_dgram(r, key, value, err, errlen);
	return strcmp(key, "slice") == 0 ? set_slice(r, value, err, errlen) : 1;
}

/*
 * Whether the shim draws for rule r (shape.c, limit.c): jitter=,
 * slice=MIN..MAX, or probability= chosen once per connection.
 */
static bool draws(const struct fr_rule *r)
{
	return r->jitter || r->slice_min != r->slice_max ||
	       ((r->flags & FR_RULE_PER_CONN) && (r->flags & FR_RULE_PROB));
}

/*
 * jitter= varies a delay; slice= cuts send/recv by itself (a short) or
 * with delay=; seed= seeds one of them. Returns 0, or -EINVAL.
 */
int fr_rule_finish_shape(struct fr_rule *r, char *err, size_t errlen)
{
	if (r->jitter && r->action != FR_ACT_DELAY)
		return fail(err, errlen,
			    "'jitter=' varies a delay: give delay= too (delay=200ms jitter=50ms)");
	if ((r->distribution || r->correlation) && !r->jitter)
		return fail(err, errlen,
			    "'%s=' shapes how delays spread around delay=: give delay= and "
			    "jitter= too (delay=100ms jitter=20ms distribution=normal)",
			    r->distribution ? "distribution" : "correlation");
	if (r->slice_max && r->action == FR_ACT_NONE)
		r->action = FR_ACT_SHORT;
	if (r->slice_max && r->action != FR_ACT_SHORT && r->action != FR_ACT_DELAY)
		return fail(err, errlen,
			    "'slice=' cuts calls by itself or with delay=, not with '%s'",
			    fr_action_name(r->action));
	if (r->slice_max && (r->ops & ~(FR_OPBIT(FR_OP_SEND) | FR_OPBIT(FR_OP_RECV))))
		return fail(err, errlen,
			    "'slice=' shapes socket traffic: give send or recv (read and write on "
			    "a socket are those); for a short file read or write use 'short'");
	if (r->rate && r->action == FR_ACT_NONE)
		r->action = FR_ACT_SHORT;
	if (r->rate && r->action != FR_ACT_SHORT && r->action != FR_ACT_DELAY)
		return fail(err, errlen,
			    "'rate=' paces calls by itself or with delay=, not with '%s'",
			    fr_action_name(r->action));
	if (r->rate && (r->ops & ~(FR_OPBIT(FR_OP_SEND) | FR_OPBIT(FR_OP_RECV))))
		return fail(err, errlen,
			    "'rate=' is a socket's bandwidth: give send or recv (read and write "
			    "on a socket are those)");
	if (r->seed && !draws(r))
		return fail(err, errlen,
			    "'seed=' seeds the draws of jitter=, slice=MIN..MAX and "
			    "probability= with per=connection; this rule has none");
	return 0;
}

/* A rule that draws without seed= gets one from its SPEC line: same SPEC, same draws. */
void fr_rule_default_seed(struct fr_rule *r)
{
	char line[2048];
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */

	if (r->seed || !draws(r))
		return;
	fr_rule_format(r, line, sizeof(line));
	for (const char *p = line; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
	r->seed = h ? h : 1;
}
