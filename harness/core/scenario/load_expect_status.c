/*
 * The `status` assertion: the share of a probe's samples in a window whose
 * HTTP status is one of `codes` (codes, classes like 5xx, ranges, and the
 * word `none` for a sample that got no HTTP answer: a timeout, a refused
 * or reset connection), bounded by `min` and/or `max`. Unanswered samples
 * count in the share unless `unanswered: ignore` says to leave them out.
 */
#define _GNU_SOURCE
#include "scenario/load.h"
#include "scenario/scn_internal.h"

#include <stdio.h>
#include <string.h>

/* codes: a code, a class, a range, `none`, or a list of them */
static int get_codes(struct loader *L, yaml_node_t *n, struct fr_expect *e)
{
	size_t count = n->type == YAML_SEQUENCE_NODE ? scn_seq_len(n) : 1;
	char text[256] = "";
	size_t used = 0;
	int ret;

	if (n->type == YAML_MAPPING_NODE || !count)
		return scn_fail(L, n,
				"codes must be a code (502), a class (5xx), a range "
				"(500-599), 'none' (no HTTP answer) or a list of them");
	for (size_t i = 0; i < count; i++) {
		yaml_node_t *it = n->type == YAML_SEQUENCE_NODE ? scn_seq_item(L, n, i) : n;
		const char *v;

		if ((ret = scn_get_string(L, it, "codes", &v)))
			return ret;
		if (strcmp(v, "none") == 0) {
			e->codes_none = true;
		} else {
			if (e->codes.n == NKEYS(e->codes.r))
				return scn_fail(L, it, "at most %zu codes (and 'none')",
						NKEYS(e->codes.r));
			if ((ret = scn_get_status_range(L, it, &e->codes.r[e->codes.n].lo,
							&e->codes.r[e->codes.n].hi)))
				return ret;
			e->codes.n++;
		}
		int k = snprintf(text + used, sizeof(text) - used, "%s%s", used ? ", " : "", v);
		if (k > 0)
			used = used + (size_t)k < sizeof(text) ? used + (size_t)k :
								 sizeof(text) - 1;
	}
	e->codes_text = fr_arena_strdup(L->s->arena, text);
	return 0;
}

/* An http probe, the load or requests: the series that have HTTP statuses. */
static int check_series(struct loader *L, yaml_node_t *v, const struct fr_expect *e)
{
	const struct fr_scenario *s = L->s;
	const struct fr_series_def *sd = &s->series[e->series];

	if (sd->kind != FR_SERIES_PROBE)
		return 0; /* the load and requests are HTTP */
	if (s->probes && s->probes[sd->index].check.kind != FR_CHECK_HTTP)
		return scn_fail(L, scn_get(L, v, "probe"),
				"probe '%s' is a %s probe: status needs an http probe, the load "
				"or requests",
				sd->name, fr_check_kind_name(s->probes[sd->index].check.kind));
	return 0;
}

int scn_parse_expect_status(struct loader *L, yaml_node_t *v, struct fr_expect *e)
{
	struct fr_arena *a = L->s->arena;
	yaml_node_t *x, *mn = scn_get(L, v, "min"), *mx = scn_get(L, v, "max");
	const char *u;
	int ret;

	e->min_ratio = e->max_ratio = -1;
	if ((ret = check_series(L, v, e)))
		return ret;
	if (!(x = scn_get(L, v, "codes")))
		return scn_fail(L, v, "status needs 'codes' (like [502, 503] or 5xx)");
	if ((ret = get_codes(L, x, e)))
		return ret;
	if ((x = scn_get(L, v, "unanswered"))) {
		if ((ret = scn_get_string(L, x, "unanswered", &u)))
			return ret;
		if (strcmp(u, "count") && strcmp(u, "ignore"))
			return scn_fail(L, x,
					"unanswered '%s': expected 'count' (in the share, as "
					"code 'none') or 'ignore' (answers only)",
					u);
		e->skip_unanswered = u[0] == 'i';
		if (e->skip_unanswered && e->codes_none)
			return scn_fail(L, x,
					"'unanswered: ignore' leaves out what code 'none' counts");
	}
	if (!mn && !mx)
		return scn_fail(L, v, "status needs 'min' or 'max' (like 90%%)");
	if (mn && (ret = scn_get_ratio(L, mn, "min", &e->min_ratio)))
		return ret;
	if (mx && (ret = scn_get_ratio(L, mx, "max", &e->max_ratio)))
		return ret;
	if (mn && mx && e->min_ratio > e->max_ratio)
		return scn_fail(L, v, "min is above max");
	if (mn && mx)
		e->bound_text = fr_arena_printf(a, "%s..%s", scn_scalar(mn), scn_scalar(mx));
	else
		e->bound_text =
			fr_arena_printf(a, "%s %s", mn ? ">=" : "<=", scn_scalar(mn ? mn : mx));
	return 0;
}
