/*
 * The SPEC fields of a connection's fate: close-after=SIZE|DURATION and
 * then=reset|close (Toxiproxy's limit_data and timeout), per=connection
 * (its toxicity: after=, probability= and times= count connections).
 * rule_spec.c calls these; the shim's side is harness/shim/limit.c.
 */
#define _GNU_SOURCE
#include "units.h"

#include <faultrun/rule.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define fail fr_fail

/*
 * close-after=SIZE|DURATION (a connection fails after that many bytes or
 * that long), then=reset|close (how), per=connection|call (what after=,
 * probability= and times= count), slow-close=DURATION (the program's
 * close of a matching socket waits that long before the FIN goes out).
 * Returns 1 when key is not one of them.
 */
int fr_rule_set_close(struct fr_rule *r, const char *key, const char *value, char *err,
		      size_t errlen)
{
	uint64_t v;
	if (strcmp(key, "close-after") == 0) {
		/* the units of sizes and durations are disjoint ("1m" is a minute, "1M" a MiB) */
		bool dur = fr_parse_duration(value, &v) == 0;

		if ((!dur && (fr_parse_size(value, &v) < 0 || v > INT64_MAX)) || v == 0)
			return fail(err, errlen,
				    "'close-after=%s': expected a size (64KiB) or a duration with "
				    "a unit (30s), more than 0",
				    value);
		if (r->action != FR_ACT_NONE && r->action != FR_ACT_CLOSE)
			return fail(err, errlen, "two actions given: '%s' and 'close-after'",
				    fr_action_name(r->action));
		r->action = FR_ACT_CLOSE;
		r->close_ns = dur ? v : 0;
		r->close_bytes = dur ? 0 : v;
		return 0;
	}
	if (strcmp(key, "slow-close") == 0) {
		if (fr_parse_duration(value, &v) < 0 || v == 0)
			return fail(err, errlen,
				    "'slow-close=%s': expected a duration with a unit (2s), more "
				    "than 0",
				    value);
		if (r->action != FR_ACT_NONE && r->action != FR_ACT_SLOWCLOSE)
			return fail(err, errlen, "two actions given: '%s' and 'slow-close'",
				    fr_action_name(r->action));
		r->action = FR_ACT_SLOWCLOSE;
		r->amount = v;
		return 0;
	}
	if (strcmp(key, "then") == 0) {
		if (strcmp(value, "reset") && strcmp(value, "close"))
			return fail(err, errlen, "'then=%s': expected reset or close", value);
		r->close_then = value[0] == 'c' ? FR_THEN_CLOSE : FR_THEN_RESET;
		return 0;
	}
	if (strcmp(key, "per") == 0) {
		if (strcmp(value, "connection") == 0)
			r->flags |= FR_RULE_PER_CONN;
		else if (strcmp(value, "call") == 0)
			r->flags &= ~FR_RULE_PER_CONN;
		else
			return fail(err, errlen, "'per=%s': expected connection or call", value);
		return 0;
	}
	return 1;
}

/*
 * then= says how a close-after= connection fails; per=connection counts
 * connections, which only the calls on a connected socket have (connect
 * and accept make one call per connection already). Returns 0 or -EINVAL.
 */
int fr_rule_finish_close(struct fr_rule *r, char *err, size_t errlen)
{
	const uint32_t io = FR_OPBIT(FR_OP_SEND) | FR_OPBIT(FR_OP_RECV);

	if (r->close_then && r->action != FR_ACT_CLOSE)
		return fail(err, errlen,
			    "'then=' says how a close-after= connection fails: give "
			    "close-after=SIZE or close-after=DURATION too");
	if (r->action == FR_ACT_CLOSE && !r->close_then)
		r->close_then = FR_THEN_RESET;
	if (!(r->flags & FR_RULE_PER_CONN))
		return 0;
	if (r->ops & ~io)
		return fail(err, errlen,
			    "'per=connection' chooses connections by their send and recv calls: "
			    "give send and/or recv only (connect and accept are one call per "
			    "connection already)");
	if (r->action != FR_ACT_ERRNO && r->action != FR_ACT_RESET && r->action != FR_ACT_SHORT &&
	    r->action != FR_ACT_CLOSE)
		return fail(err, errlen,
			    "'per=connection' goes with errno=, reset, short, slice= and "
			    "close-after=, not with '%s'",
			    fr_action_name(r->action));
	return 0;
}
