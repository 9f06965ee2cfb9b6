/*
 * The `expect:` section: a list of assertions, each `KIND: {...}` (some
 * kinds have a one-value short form). An assertion kind is one row of
 * expect_kinds: its keys and its parse functions. Every injected fault
 * also gets an implicit "fired" assertion unless it may stay silent.
 */
#define _GNU_SOURCE
#include "scenario/load.h"
#include "scenario/scn_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BOUND 1000000000

/* One list item being read: its kind's row, its value, the result. */
struct item {
	const struct expect_kind *k;
	yaml_node_t *v;
	struct fr_expect *e;
};

struct expect_kind {
	const char *name;
	enum fr_expect_kind kind;
	const char *const *keys; /* of the mapping form */
	size_t nkeys;
	int (*parse)(struct loader *L, struct item *it);
	int (*parse_short)(struct loader *L, struct item *it); /* or NULL */
};

static bool fault_injected(const struct fr_scenario *s, int fault)
{
	for (size_t i = 0; i < s->nsteps; i++)
		if (s->steps[i].kind == FR_STEP_INJECT && s->steps[i].fault == fault)
			return true;
	return false;
}

static bool fault_cleared(const struct fr_scenario *s, int fault)
{
	for (size_t i = 0; i < s->nsteps; i++)
		if (s->steps[i].kind == FR_STEP_CLEAR && s->steps[i].fault == fault)
			return true;
	return false;
}

/* ---- windows ------------------------------------------------------------------ */

/* {before|during|after: FAULT, skip} or {from, to} */
static int parse_window_map(struct loader *L, yaml_node_t *n, struct fr_window *w)
{
	static const char *const keys[] = { "before", "during", "after", "skip", "from", "to" };
	static const enum fr_window_kind kinds[] = { FR_WIN_BEFORE, FR_WIN_DURING, FR_WIN_AFTER };
	yaml_node_t *x, *which = NULL;
	const char *f;
	int ret, nk = 0;

	if ((ret = scn_check_keys(L, n, keys, NKEYS(keys), "window")))
		return ret;
	for (size_t i = 0; i < NKEYS(kinds); i++)
		if ((x = scn_get(L, n, keys[i]))) {
			nk++;
			which = x;
			w->kind = kinds[i];
		}
	if (nk > 1)
		return scn_fail(L, n, "a window is one of before, during, after");
	if (!nk) {
		w->kind = FR_WIN_RANGE;
		w->to_ns = UINT64_MAX;
		if (scn_get(L, n, "skip"))
			return scn_fail(L, scn_get_key(L, n, "skip"),
					"'skip' goes with before/during/after");
		if ((ret = scn_opt_duration(L, n, "from", &w->from_ns)))
			return ret;
		if ((x = scn_get(L, n, "to"))) {
			if ((ret = scn_get_string(L, x, "to", &f)))
				return ret;
			if (strcmp(f, "end") && (ret = scn_get_duration(L, x, "to", &w->to_ns)))
				return ret;
		}
		if (w->to_ns <= w->from_ns)
			return scn_fail(L, n, "the window ends before it starts");
		return 0;
	}
	if ((ret = scn_get_string(L, which, "fault", &f)) ||
	    (ret = scn_find_fault(L, which, f)) < 0)
		return ret;
	w->fault = ret;
	if ((ret = scn_opt_duration(L, n, "skip", &w->skip_ns)))
		return ret;
	if (scn_get(L, n, "from") || scn_get(L, n, "to"))
		return scn_fail(L, n, "'from'/'to' and before/during/after do not mix");
	return 0;
}

/* "whole", or "before|during|after FAULT [+SKIP]" */
static int parse_window_string(struct loader *L, yaml_node_t *n, struct fr_window *w)
{
	char kind[16], fault[128], extra[64];
	const char *v;
	int ret, got;

	if ((ret = scn_get_string(L, n, "window", &v)))
		return ret;
	got = sscanf(v, "%15s %127s %63s", kind, fault, extra);
	if (got == 1 && strcmp(kind, "whole") == 0) {
		w->kind = FR_WIN_WHOLE;
		return 0;
	}
	if (got < 2 || (strcmp(kind, "before") && strcmp(kind, "during") && strcmp(kind, "after")))
		return scn_fail(L, n,
				"window '%s': expected 'whole', 'before FAULT', "
				"'during FAULT', 'after FAULT' (optionally '+1s' to "
				"skip the start), or a mapping with from/to",
				v);
	w->kind = kind[0] == 'b' ? FR_WIN_BEFORE : kind[0] == 'd' ? FR_WIN_DURING : FR_WIN_AFTER;
	if ((ret = scn_find_fault(L, n, fault)) < 0)
		return ret;
	w->fault = ret;
	if (got == 3 && (extra[0] != '+' || fr_parse_duration(extra + 1, &w->skip_ns)))
		return scn_fail(L, n,
				"window '%s': after the fault name comes "
				"'+DURATION' (skip the start), not '%s'",
				v, extra);
	return 0;
}

static const char *window_label(struct fr_scenario *s, const struct fr_window *w)
{
	char skip[40] = "", a[32], b[32];

	switch (w->kind) {
	case FR_WIN_BEFORE:
	case FR_WIN_DURING:
	case FR_WIN_AFTER:
		if (w->skip_ns) {
			skip[0] = ' ';
			skip[1] = '+';
			fr_fmt_duration(skip + 2, sizeof(skip) - 2, w->skip_ns);
		}
		return fr_arena_printf(s->arena, "%s %s%s",
				       w->kind == FR_WIN_BEFORE ? "before" :
				       w->kind == FR_WIN_DURING ? "during" :
								  "after",
				       s->faults[w->fault].name, skip);
	case FR_WIN_RANGE:
		fr_fmt_duration(a, sizeof(a), w->from_ns);
		if (w->to_ns == UINT64_MAX)
			snprintf(b, sizeof(b), "end");
		else
			fr_fmt_duration(b, sizeof(b), w->to_ns);
		return fr_arena_printf(s->arena, "%s..%s", a, b);
	case FR_WIN_WHOLE:
		break;
	}
	return "whole run";
}

/* window: of an assertion, whose fault must be injected (and cleared). */
static int parse_window(struct loader *L, yaml_node_t *x, struct fr_expect *e)
{
	const struct fr_scenario *s = L->s;
	struct fr_window *w = &e->window;
	int ret = x->type == YAML_MAPPING_NODE ? parse_window_map(L, x, w) :
						 parse_window_string(L, x, w);

	if (ret)
		return ret;
	w->label = window_label(L->s, w);
	e->fault = w->fault;
	if (w->kind == FR_WIN_WHOLE || w->kind == FR_WIN_RANGE)
		e->fault = -1;
	else if (!fault_injected(s, w->fault))
		return scn_fail(L, x, "fault '%s' is never injected on the timeline",
				s->faults[w->fault].name);
	else if (w->kind == FR_WIN_AFTER && !fault_cleared(s, w->fault))
		return scn_fail(L, x,
				"fault '%s' is never cleared on the timeline, so "
				"there is no 'after'",
				s->faults[w->fault].name);
	return 0;
}

/* ---- assertion kinds ---------------------------------------------------------- */

static int get_bound(struct loader *L, yaml_node_t *x, const char *what, long *out)
{
	unsigned long u;
	int ret = scn_get_uint(L, x, what, MAX_BOUND, &u);

	if (!ret)
		*out = (long)u;
	return ret;
}

/* key of it's mapping read as a duration: within, max */
static int get_within(struct loader *L, struct item *it, const char *key, bool positive,
		      const char *missing)
{
	yaml_node_t *x = scn_get(L, it->v, key);
	int ret;

	if (!x)
		return scn_fail(L, it->v, "%s", missing);
	ret = positive ? scn_get_positive_duration(L, x, key, &it->e->within_ns) :
			 scn_get_duration(L, x, key, &it->e->within_ns);
	if (!ret)
		it->e->bound_text = fr_arena_printf(L->s->arena, "<= %s", scn_scalar(x));
	return ret;
}

/* fault: NAME, which must exist */
static int get_fault(struct loader *L, yaml_node_t *x, struct fr_expect *e)
{
	const char *f;
	int ret;

	if ((ret = scn_get_string(L, x, "fault", &f)) || (ret = scn_find_fault(L, x, f)) < 0)
		return ret;
	e->fault = ret;
	return 0;
}

static int parse_availability(struct loader *L, struct item *it)
{
	yaml_node_t *x = scn_get(L, it->v, "min");
	int ret;

	if (!x)
		return scn_fail(L, it->v, "availability needs 'min' (like 99%%)");
	if ((ret = scn_get_ratio(L, x, "min", &it->e->min_ratio)))
		return ret;
	it->e->bound_text = fr_arena_printf(L->s->arena, ">= %s", scn_scalar(x));
	return 0;
}

static const char *const latency_keys[] = {
	"probe", "window", "p50", "p90", "p95", "p99", "p99.9", "max", "name",
};

static int parse_latency(struct loader *L, struct item *it)
{
	struct fr_expect *e = it->e;
	yaml_node_t *x;
	int ret;

	/* the bounds: latency_keys between "window" and "name" */
	for (size_t i = 2; i < NKEYS(latency_keys) - 1 && e->nlat < FR_LAT_MAX; i++) {
		const char *q = latency_keys[i];
		if (!(x = scn_get(L, it->v, q)))
			continue;
		if ((ret = scn_get_positive_duration(L, x, q, &e->lat[e->nlat].bound_ns)))
			return ret;
		e->lat[e->nlat].text = q;
		e->lat[e->nlat].q = strcmp(q, "max") == 0 ? 1.0 : strtod(q + 1, NULL) / 100.0;
		e->nlat++;
	}
	if (!e->nlat)
		return scn_fail(L, it->v,
				"latency needs a bound: p50, p90, p95, p99, "
				"p99.9 or max");
	e->bound_text = ""; /* one bound per percentile, see lat[] */
	return 0;
}

/* recovers-within (after the fault is cleared), detects-within (while on) */
static int parse_fault_within(struct loader *L, struct item *it)
{
	struct fr_expect *e = it->e;
	bool recovers = e->kind == FR_EXP_RECOVERS;
	const char *name = it->k->name;
	char missing[96];
	yaml_node_t *x;
	int ret;

	if (!(x = scn_get(L, it->v, "fault")))
		return scn_fail(L, it->v, "%s needs 'fault'", name);
	if ((ret = get_fault(L, x, e)))
		return ret;
	if (!fault_injected(L->s, e->fault))
		return scn_fail(L, x, "fault '%s' is never injected on the timeline",
				L->s->faults[e->fault].name);
	if (recovers && !fault_cleared(L->s, e->fault))
		return scn_fail(L, x,
				"fault '%s' is never cleared on the timeline, so "
				"it cannot recover",
				L->s->faults[e->fault].name);
	snprintf(missing, sizeof(missing), "%s needs 'within' (a duration)", name);
	if ((ret = get_within(L, it, "within", false, missing)))
		return ret;
	e->stable = recovers ? 3 : 1;
	if ((x = scn_get(L, it->v, "samples")) &&
	    (ret = scn_get_count(L, x, "samples", 1000, &e->stable)))
		return ret;
	e->window.kind = recovers ? FR_WIN_AFTER : FR_WIN_DURING;
	e->window.fault = e->fault;
	e->window.label = fr_arena_printf(L->s->arena, "%s %s", recovers ? "after" : "during",
					  L->s->faults[e->fault].name);
	return 0;
}

static int parse_responds(struct loader *L, struct item *it)
{
	return get_within(L, it, "within", true, "responds-within needs 'within' (a duration)");
}

/* out-of-rotation {service: LB, backend: NAME}: HAProxy's own view */
static int parse_lb_rotation(struct loader *L, struct item *it, yaml_node_t *sx)
{
	const struct fr_scenario *s = L->s;
	yaml_node_t *bx = scn_get(L, it->v, "backend");
	const struct fr_service *sv = NULL;
	const char *name, *backend, *cands[64];
	size_t nc = 0;
	int ret;

	if (scn_get(L, it->v, "probe"))
		return scn_fail(L, scn_get(L, it->v, "probe"),
				"out-of-rotation takes 'probe' (a load-balancer probe) or "
				"'service' and 'backend' (a haproxy service), not both");
	if ((ret = scn_get_string(L, sx, "service", &name)))
		return ret;
	for (size_t i = 0; i < s->nservices; i++) {
		if (!strcmp(s->services[i].name, name)) {
			sv = &s->services[i];
			it->e->lb_service = (int)i;
		}
		if (s->services[i].type == FR_SERVICE_HAPROXY && nc < NKEYS(cands))
			cands[nc++] = s->services[i].name;
	}
	if (!sv || sv->type != FR_SERVICE_HAPROXY)
		return scn_fail(L, sx, "'%s' is not a haproxy service%s", name,
				scn_suggest(L, fr_nearest(name, cands, nc)));
	if (!bx)
		return scn_fail(L, it->v, "out-of-rotation with 'service' needs 'backend'");
	if ((ret = scn_get_string(L, bx, "backend", &backend)))
		return ret;
	nc = 0;
	for (size_t i = 0; i < sv->lb.nbackends; i++) {
		if (!strcmp(sv->lb.backends[i].name, backend))
			it->e->lb_backend = sv->lb.backends[i].name;
		if (nc < NKEYS(cands))
			cands[nc++] = sv->lb.backends[i].name;
	}
	if (!it->e->lb_backend)
		return scn_fail(L, bx, "'%s' is not a backend of '%s'%s", backend, name,
				scn_suggest(L, fr_nearest(backend, cands, nc)));
	return get_within(L, it, "max", false, "out-of-rotation needs 'max' (a duration)");
}

static int parse_out_of_rotation(struct loader *L, struct item *it)
{
	const struct fr_scenario *s = L->s;
	yaml_node_t *sx = scn_get(L, it->v, "service");

	if (sx)
		return parse_lb_rotation(L, it, sx);
	if (scn_get(L, it->v, "backend"))
		return scn_fail(L, scn_get_key(L, it->v, "backend"),
				"'backend' goes with 'service' (a haproxy service)");

	const struct fr_series_def *sd = &s->series[it->e->series];

	if (s->probes && sd->kind == FR_SERIES_PROBE && !s->probes[sd->index].lb.on)
		return scn_fail(L, scn_get(L, it->v, "probe"),
				"probe '%s' has no 'lb': out-of-rotation needs a "
				"load-balancer probe",
				sd->name);
	if (sd->kind != FR_SERIES_PROBE)
		return scn_fail(L, scn_get(L, it->v, "probe"),
				"out-of-rotation needs "
				"a load-balancer probe");
	return get_within(L, it, "max", false, "out-of-rotation needs 'max' (a duration)");
}

/* restarts, exits: {min, max, service} */
static int parse_counts(struct loader *L, struct item *it)
{
	struct fr_expect *e = it->e;
	yaml_node_t *x;
	int ret;

	if (e->kind != FR_EXP_FIRED && (ret = scn_opt_proc(L, it->v, &e->service)))
		return ret;
	if ((x = scn_get(L, it->v, "min")) && (ret = get_bound(L, x, "min", &e->min)))
		return ret;
	if ((x = scn_get(L, it->v, "max")) && (ret = get_bound(L, x, "max", &e->max)))
		return ret;
	if (e->min < 0 && e->max < 0)
		return scn_fail(L, it->v, "%s needs 'min' or 'max'", it->k->name);
	if (e->min >= 0 && e->max >= 0 && e->min > e->max)
		return scn_fail(L, it->v, "min is above max");
	return 0;
}

/* fired: {fault, min, max}; at least once unless min says otherwise */
static int parse_fired(struct loader *L, struct item *it)
{
	yaml_node_t *x = scn_get(L, it->v, "fault");
	int ret;

	if (!x)
		return scn_fail(L, it->v, "fired needs 'fault'");
	if ((ret = get_fault(L, x, it->e)))
		return ret;
	it->e->min = 1;
	return parse_counts(L, it);
}

/* restarts: N, exits: N (exactly N) */
static int parse_count_short(struct loader *L, struct item *it)
{
	int ret = get_bound(L, it->v, it->k->name, &it->e->min);

	if (!ret)
		it->e->max = it->e->min;
	return ret;
}

/* fired: FAULT */
static int parse_fired_short(struct loader *L, struct item *it)
{
	int ret = get_fault(L, it->v, it->e);

	if (!ret)
		it->e->min = 1;
	return ret;
}

static const char *const avail_keys[] = { "probe", "window", "min", "name" };
static const char *const within_keys[] = { "probe", "fault", "within", "samples", "name" };
static const char *const resp_keys[] = { "probe", "window", "within", "name" };
static const char *const oor_keys[] = { "probe", "service", "backend", "window", "max", "name" };
static const char *const count_keys[] = { "min", "max", "name", "service" };
static const char *const fired_keys[] = { "fault", "min", "max", "name" };
static const char *const status_keys[] = { "probe", "window",	  "codes", "min",
					   "max",   "unanswered", "name" };

static int parse_status(struct loader *L, struct item *it)
{
	return scn_parse_expect_status(L, it->v, it->e);
}

/* In the order of enum fr_expect_kind, which is the order of messages. */
static const struct expect_kind expect_kinds[] = {
	{ "availability", FR_EXP_AVAILABILITY, avail_keys, NKEYS(avail_keys), parse_availability,
	  NULL },
	{ "latency", FR_EXP_LATENCY, latency_keys, NKEYS(latency_keys), parse_latency, NULL },
	{ "recovers-within", FR_EXP_RECOVERS, within_keys, NKEYS(within_keys), parse_fault_within,
	  NULL },
	{ "detects-within", FR_EXP_DETECTS, within_keys, NKEYS(within_keys), parse_fault_within,
	  NULL },
	{ "responds-within", FR_EXP_RESPONDS, resp_keys, NKEYS(resp_keys), parse_responds, NULL },
	{ "out-of-rotation", FR_EXP_OUT_OF_ROTATION, oor_keys, NKEYS(oor_keys),
	  parse_out_of_rotation, NULL },
	{ "restarts", FR_EXP_RESTARTS, count_keys, NKEYS(count_keys), parse_counts,
	  parse_count_short },
	{ "exits", FR_EXP_EXITS, count_keys, NKEYS(count_keys), parse_counts, parse_count_short },
	{ "fired", FR_EXP_FIRED, fired_keys, NKEYS(fired_keys), parse_fired, parse_fired_short },
	{ "status", FR_EXP_STATUS, status_keys, NKEYS(status_keys), parse_status, NULL },
};

/* ---- labels ------------------------------------------------------------------- */

/* The one-line name of an expectation, for the table and JUnit. */
static void set_label(struct fr_scenario *s, struct fr_expect *e)
{
	const char *series = e->series >= 0 ? s->series[e->series].name : "";
	const char *fault = e->fault >= 0 ? s->faults[e->fault].name : "";
	const char *win = e->window.label ? e->window.label : "whole run";
	const char *over = e->window.kind == FR_WIN_WHOLE ? "over the " : "";

	switch (e->kind) {
	case FR_EXP_AVAILABILITY:
		e->label = fr_arena_printf(s->arena, "availability of %s %s%s", series, over, win);
		break;
	case FR_EXP_LATENCY:
		e->label = fr_arena_printf(s->arena, "latency of %s %s%s", series, over, win);
		break;
	case FR_EXP_RECOVERS:
		e->label = fr_arena_printf(s->arena, "%s recovers after %s", series, fault);
		break;
	case FR_EXP_DETECTS:
		e->label = fr_arena_printf(s->arena, "%s detects %s", series, fault);
		break;
	case FR_EXP_RESPONDS:
		e->label = fr_arena_printf(s->arena, "%s responds %s%s", series, over, win);
		break;
	case FR_EXP_OUT_OF_ROTATION:
		if (e->lb_backend)
			e->label = fr_arena_printf(s->arena, "%s out of rotation in %s %s%s",
						   e->lb_backend, s->services[e->lb_service].name,
						   over, win);
		else
			e->label = fr_arena_printf(s->arena, "%s out of rotation %s%s", series,
						   over, win);
		break;
	case FR_EXP_RESTARTS:
		e->label = e->service ? fr_arena_printf(s->arena, "service %s restarts",
							s->services[e->service - 1].name) :
					"target restarts";
		break;
	case FR_EXP_EXITS:
		e->label = e->service ? fr_arena_printf(s->arena, "service %s exits",
							s->services[e->service - 1].name) :
					"target exits";
		break;
	case FR_EXP_FIRED:
		e->label = fr_arena_printf(s->arena, "fault %s fired", fault);
		break;
	case FR_EXP_STATUS:
		e->label = fr_arena_printf(s->arena, "status %s of %s %s%s", e->codes_text, series,
					   over, win);
		break;
	default:
		e->label = "?";
	}
}

/* restarts, exits, fired: "= 2", "1..3", ">= 1", "<= 0" */
static const char *count_bound_text(struct fr_scenario *s, const struct fr_expect *e)
{
	if (e->min >= 0 && e->max >= 0 && e->min == e->max)
		return fr_arena_printf(s->arena, "= %ld", e->min);
	if (e->min >= 0 && e->max >= 0)
		return fr_arena_printf(s->arena, "%ld..%ld", e->min, e->max);
	if (e->min >= 0)
		return fr_arena_printf(s->arena, ">= %ld", e->min);
	return fr_arena_printf(s->arena, "<= %ld", e->max);
}

/* ---- items -------------------------------------------------------------------- */

/* The mapping form: the keys every kind shares, then the kind's own. */
static int parse_item_map(struct loader *L, struct item *it, const char **custom)
{
	struct fr_expect *e = it->e;
	const char *name = it->k->name, *p;
	bool has_probe = false;
	yaml_node_t *x;
	int ret;

	if ((ret = scn_want_map(L, it->v, name)) ||
	    (ret = scn_check_keys(L, it->v, it->k->keys, it->k->nkeys, name)))
		return ret;
	if ((x = scn_get(L, it->v, "name")) && (ret = scn_get_string(L, x, "name", custom)))
		return ret;
	for (size_t i = 0; i < it->k->nkeys; i++)
		has_probe |= strcmp(it->k->keys[i], "probe") == 0;
	/* out-of-rotation names a probe, or a haproxy service and its backend */
	if (it->k->kind == FR_EXP_OUT_OF_ROTATION && scn_get(L, it->v, "service"))
		has_probe = false;
	if (has_probe) {
		if (!(x = scn_get(L, it->v, "probe")))
			return scn_fail(L, it->v, "%s needs 'probe'", name);
		if ((ret = scn_get_string(L, x, "probe", &p)) ||
		    (ret = scn_find_series(L, x, p)) < 0)
			return ret;
		e->series = ret;
	}
	if ((x = scn_get(L, it->v, "window"))) {
		if ((ret = parse_window(L, x, e)))
			return ret;
	} else {
		e->window.kind = FR_WIN_WHOLE;
		e->window.label = "whole run";
	}
	return it->k->parse(L, it);
}

/* The kind of list item n (a mapping of one key), and its value. */
static int find_kind(struct loader *L, yaml_node_t *n, struct item *it)
{
	const char *names[NKEYS(expect_kinds)];
	yaml_node_t *kn;
	int ret;

	for (size_t i = 0; i < NKEYS(expect_kinds); i++)
		names[i] = expect_kinds[i].name;
	if ((ret = scn_want_map(L, n, "an expectation")))
		return ret;
	if (scn_map_len(n) != 1) {
		if (scn_map_len(n) == 0)
			return scn_fail(L, n, "an empty expectation");
		return scn_fail(L, scn_pair_key(L, n, 1),
				"one expectation per list "
				"item (start a new item with '-')");
	}
	if ((ret = scn_check_keys(L, n, names, NKEYS(names), "expect")))
		return ret;
	kn = scn_pair_key(L, n, 0);
	it->v = scn_pair_value(L, n, 0);
	for (size_t i = 0; i < NKEYS(expect_kinds); i++)
		if (strcmp(expect_kinds[i].name, scn_scalar(kn)) == 0)
			it->k = &expect_kinds[i];
	it->e->kind = it->k->kind;
	it->e->mark = scn_mark(L, kn);
	return 0;
}

static int parse_item(struct loader *L, yaml_node_t *n, struct fr_expect *e)
{
	struct fr_scenario *s = L->s;
	struct item it = { .e = e };
	const char *custom = NULL;
	int ret;

	e->series = -1;
	e->fault = -1;
	e->lb_service = -1;
	e->min = e->max = -1;
	if ((ret = find_kind(L, n, &it)))
		return ret;
	if (it.v->type == YAML_SCALAR_NODE && !it.k->parse_short)
		return scn_fail(L, it.v, "%s takes a mapping (probe, window, ...)", it.k->name);
	ret = it.v->type == YAML_SCALAR_NODE ? it.k->parse_short(L, &it) :
					       parse_item_map(L, &it, &custom);
	if (ret)
		return ret;
	if (e->kind == FR_EXP_FIRED && !fault_injected(s, e->fault) && e->min > 0)
		return scn_fail(L, it.v,
				"fault '%s' is never injected on the timeline, "
				"so it cannot fire",
				s->faults[e->fault].name);
	if (!e->bound_text) /* restarts, exits, fired: their count */
		e->bound_text = count_bound_text(s, e);
	if (custom)
		e->label = custom;
	else
		set_label(s, e);
	return 0;
}

int scn_parse_expect(struct loader *L, yaml_node_t *n)
{
	struct fr_scenario *s = L->s;
	size_t count;
	int ret;

	if ((ret = scn_want_seq(L, n, "expect")))
		return ret;
	count = scn_seq_len(n);
	/* room for the implicit "fired" checks */
	s->expects = fr_arena_alloc(s->arena, (count + s->nfaults + 1) * sizeof(*s->expects));
	for (size_t i = 0; i < count; i++) {
		if ((ret = parse_item(L, scn_seq_item(L, n, i), &s->expects[s->nexpects])))
			return ret;
		s->nexpects++;
	}
	return 0;
}

void scn_add_implicit_fired(struct fr_scenario *s)
{
	if (!s->expects)
		s->expects = fr_arena_alloc(s->arena, (s->nfaults + 1) * sizeof(*s->expects));
	for (size_t f = 0; f < s->nfaults; f++) {
		bool explicit = false;
		if (s->faults[f].may_not_fire || !fault_injected(s, (int)f))
			continue;
		for (size_t i = 0; i < s->nexpects; i++)
			explicit |= s->expects[i].kind == FR_EXP_FIRED &&
				    s->expects[i].fault == (int)f;
		if (explicit)
			continue;
		struct fr_expect *e = &s->expects[s->nexpects++];
		memset(e, 0, sizeof(*e));
		e->kind = FR_EXP_FIRED;
		e->implicit = true;
		e->series = -1;
		e->lb_service = -1;
		e->fault = (int)f;
		e->min = 1;
		e->max = -1;
		e->bound_text = ">= 1";
		e->mark = s->faults[f].mark;
		e->mark.line = 0;
		e->mark.col = 0;
		set_label(s, e);
	}
}
