/*
 * The `load:` section: background HTTP requests at a steady rate, an
 * HTTP request plus rate, timeout and max-in-flight.
 */
#define _GNU_SOURCE
#include "scenario/load.h"
#include "scenario/scn_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RATE 10000

/* "20", "20/s", "30/m", "30/min" -> requests per second */
static int get_rate(struct loader *L, yaml_node_t *n, double *rate)
{
	const char *v;
	char *end;
	int ret = scn_get_string(L, n, "rate", &v);

	if (ret)
		return ret;
	errno = 0;
	double d = strtod(v, &end);
	if (!scn_decimal(v, end) || errno || d <= 0)
		goto bad;
	if (!*end || !strcmp(end, "/s"))
		*rate = d;
	else if (!strcmp(end, "/m") || !strcmp(end, "/min"))
		*rate = d / 60.0;
	else
		goto bad;
	if (*rate > MAX_RATE)
		return scn_fail(L, n, "rate '%s' is above 10000/s", v);
	return 0;
bad:
	return scn_fail(L, n,
			"rate must be requests per second ('20', '20/s', "
			"'30/m'), not '%s'",
			v);
}

int scn_parse_load(struct loader *L, yaml_node_t *n)
{
	static const char *const extra[] = { "rate", "timeout", "max-in-flight" };
	struct fr_load *ld = &L->s->load;
	yaml_node_t *x;
	int ret;

	ld->present = true;
	ld->mark = scn_mark(L, n);
	ld->timeout_ns = DEFAULT_TIMEOUT_NS;
	ld->max_in_flight = 64;
	if ((ret = scn_want_map(L, n, "load")) ||
	    (ret = scn_parse_http(L, n, "load", extra, NKEYS(extra), &ld->http)))
		return ret;
	if (!(x = scn_get(L, n, "rate")))
		return scn_fail(L, n, "load has no 'rate' (requests per second)");
	if ((ret = get_rate(L, x, &ld->rate)) ||
	    (ret = scn_opt_positive_duration(L, n, "timeout", &ld->timeout_ns)))
		return ret;
	if ((x = scn_get(L, n, "max-in-flight")))
		return scn_get_count(L, x, "max-in-flight", 10000, &ld->max_in_flight);
	return 0;
}
