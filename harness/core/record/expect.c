/*
 * Assertions over a run's recording. See assert.h and the "expect"
 * section of docs/scenario-format.md for the exact definitions; each
 * function here says which samples it looks at and which moment it
 * measures.
 */
#define _GNU_SOURCE
#include "record/expect.h"
#include "record/recording.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The decimals to print v with, from d0 up: enough that v, printed, is not
 * the bound's value when it is not the bound (3.0016 s against a 3 s bound
 * prints 3.002s, not 3.00s: the reader must see why the verdict went as
 * it did). bound < 0: none.
 */
static int decimals_vs(double v, double bound, int d0)
{
	char a[64];

	if (bound < 0 || v == bound)
		return d0;
	for (int d = d0; d < d0 + 9; d++) {
		snprintf(a, sizeof(a), "%.*f", d, v);
		if (fabs(strtod(a, NULL) - bound) > 1e-12 * (fabs(bound) + 1))
			return d;
	}
	return d0 + 9;
}

/* ns for humans, in the unit its size calls for; precise enough against bound_ns (-1: none) */
static void fmt_ns_vs(char *buf, size_t len, int64_t ns, int64_t bound_ns)
{
	double v = (double)ns, b = (double)bound_ns;

	if (ns < 0)
		snprintf(buf, len, "-%s", "?");
	else if (ns >= 1000000000)
		snprintf(buf, len, "%.*fs", decimals_vs(v / 1e9, bound_ns < 0 ? -1 : b / 1e9, 2),
			 v / 1e9);
	else
		snprintf(buf, len, "%.*fms",
			 decimals_vs(v / 1e6, bound_ns < 0 ? -1 : b / 1e6,
				     ns >= 100000000 ? 0 :
				     ns >= 1000000   ? 1 :
						       2),
			 v / 1e6);
}

static void fmt_ns(char *buf, size_t len, int64_t ns)
{
	fmt_ns_vs(buf, len, ns, -1);
}

void fr_fmt_percent_vs(char *buf, size_t len, double ratio, double bound)
{
	snprintf(buf, len, "%.*f%%", decimals_vs(ratio * 100.0, bound < 0 ? -1 : bound * 100.0, 2),
		 ratio * 100.0);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

uint64_t fr_percentile(uint64_t *vals, size_t n, double q)
{
	if (!n)
		return 0;
	qsort(vals, n, sizeof(*vals), cmp_u64);
	if (q >= 1.0)
		return vals[n - 1];
	size_t rank = (size_t)ceil(q * (double)n);
	if (rank < 1)
		rank = 1;
	return vals[rank - 1];
}

static int add_ival(struct fr_ival **iv, size_t *n, size_t *cap, int64_t a, int64_t b)
{
	if (b <= a)
		return 0;
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 4;
		struct fr_ival *p = realloc(*iv, nc * sizeof(*p));
		if (!p)
			return -ENOMEM;
		*iv = p;
		*cap = nc;
	}
	(*iv)[*n].a = a;
	(*iv)[*n].b = b;
	(*n)++;
	return 0;
}

int fr_window_intervals(const struct fr_window *w, const struct fr_facts *f, struct fr_ival **out,
			size_t *n)
{
	size_t cap = 0;
	int ret = 0;
	int64_t skip = (int64_t)w->skip_ns;
	/* the end is inclusive for samples taken exactly at the end */
	int64_t end = f->end + 1;

	*out = NULL;
	*n = 0;
	switch (w->kind) {
	case FR_WIN_WHOLE:
		ret = add_ival(out, n, &cap, 0, end);
		break;
	case FR_WIN_RANGE: {
		int64_t b = w->to_ns == UINT64_MAX || (int64_t)w->to_ns > end ? end :
										(int64_t)w->to_ns;
		ret = add_ival(out, n, &cap, (int64_t)w->from_ns, b);
		break;
	}
	case FR_WIN_BEFORE:
	case FR_WIN_DURING:
	case FR_WIN_AFTER: {
		const struct fr_fault_facts *ff = &f->faults[w->fault];
		if (w->kind == FR_WIN_BEFORE) {
			int64_t b = ff->nwin ? ff->win[0].start : end;
			ret = add_ival(out, n, &cap, 0 + skip, b);
			break;
		}
		for (size_t i = 0; i < ff->nwin && !ret; i++) {
			const struct fr_fault_window *fw = &ff->win[i];
			if (w->kind == FR_WIN_DURING) {
				ret = add_ival(out, n, &cap, fw->start + skip, fw->end);
			} else if (fw->cleared) {
				int64_t b = i + 1 < ff->nwin ? ff->win[i + 1].start : end;
				ret = add_ival(out, n, &cap, fw->end + skip, b);
			}
		}
		break;
	}
	}
	if (ret) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return ret;
}

bool fr_in_window(int64_t t, const struct fr_ival *iv, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (t >= iv[i].a && t < iv[i].b)
			return true;
	return false;
}

static void eval_availability(const struct fr_series *s, struct fr_verdict *v)
{
	size_t total = 0, ok = 0;
	char pct[48];

	for (size_t i = 0; i < s->n; i++) {
		if (!fr_in_window(s->v[i].t, v->iv, v->niv))
			continue;
		total++;
		ok += s->v[i].ok != 0;
	}
	if (!total) {
		snprintf(v->measured, sizeof(v->measured), "no samples in the window");
		return;
	}
	v->value = (double)ok / (double)total;
	v->has_value = true;
	v->ok = v->value + 1e-12 >= v->e->min_ratio;
	fr_fmt_percent_vs(pct, sizeof(pct), v->value, v->e->min_ratio);
	snprintf(v->measured, sizeof(v->measured), "%s (%zu of %zu ok)", pct, ok, total);
}

static int eval_latency(const struct fr_series *s, struct fr_verdict *v)
{
	const struct fr_expect *e = v->e;
	uint64_t *vals = malloc((s->n + 1) * sizeof(*vals));
	size_t n = 0, unanswered = 0;
	char a[32];

	if (!vals)
		return -ENOMEM;
	for (size_t i = 0; i < s->n; i++) {
		if (!fr_in_window(s->v[i].t, v->iv, v->niv))
			continue;
		vals[n++] = s->v[i].latency;
		unanswered += !s->v[i].answered;
	}
	if (!n) {
		snprintf(v->measured, sizeof(v->measured), "no samples in the window");
		free(vals);
		return 0;
	}
	uint64_t p = fr_percentile(vals, n, e->lat[v->lat].q);
	free(vals);
	v->value = (double)p / 1e9;
	v->has_value = true;
	v->ok = p <= e->lat[v->lat].bound_ns;
	fmt_ns_vs(a, sizeof(a), (int64_t)p, (int64_t)e->lat[v->lat].bound_ns);
	if (unanswered)
		snprintf(v->measured, sizeof(v->measured), "%s %s (%zu samples, %zu unanswered)",
			 e->lat[v->lat].text, a, n, unanswered);
	else
		snprintf(v->measured, sizeof(v->measured), "%s %s (%zu samples)",
			 e->lat[v->lat].text, a, n);
	return 0;
}

/*
 * Recovery after each clear of the fault: the first sample started at or
 * after the clear (and before the next injection) that begins `stable`
 * consecutive ok samples; the time from the clear to when that sample was
 * answered. The worst clear counts.
 */
static void eval_recovers(const struct fr_series *s, const struct fr_facts *f, struct fr_verdict *v)
{
	const struct fr_expect *e = v->e;
	const struct fr_fault_facts *ff = &f->faults[e->fault];
	int64_t worst = -1;
	int clears = 0;
	char a[32], b[32];

	for (size_t w = 0; w < ff->nwin; w++) {
		if (!ff->win[w].cleared)
			continue;
		int64_t c = ff->win[w].end;
		int64_t next = w + 1 < ff->nwin ? ff->win[w + 1].start : f->end + 1;
		int64_t found = -1;
		size_t run = 0, first = 0;
		clears++;
		for (size_t i = 0; i < s->n; i++) {
			const struct fr_sample *x = &s->v[i];
			if (x->t < c)
				continue;
			if (x->t >= next)
				break;
			if (!x->ok) {
				run = 0;
				continue;
			}
			if (run++ == 0)
				first = i;
			if (run >= e->stable) {
				found = s->v[first].t + (int64_t)s->v[first].latency - c;
				break;
			}
		}
		if (found < 0) {
			fmt_ns(a, sizeof(a), next - c > f->end - c ? f->end - c : next - c);
			snprintf(v->measured, sizeof(v->measured),
				 "not recovered (watched %s after clear %d)", a, clears);
			v->ok = false;
			v->has_value = false;
			return;
		}
		if (found > worst)
			worst = found;
	}
	if (worst < 0) {
		snprintf(v->measured, sizeof(v->measured), "the fault was never cleared");
		return;
	}
	v->value = (double)worst / 1e9;
	v->has_value = true;
	v->ok = (uint64_t)worst <= e->within_ns;
	fmt_ns_vs(a, sizeof(a), worst, (int64_t)e->within_ns);
	if (clears > 1) {
		snprintf(b, sizeof(b), " (worst of %d clears)", clears);
		snprintf(v->measured, sizeof(v->measured), "%s%s", a, b);
	} else {
		snprintf(v->measured, sizeof(v->measured), "%s", a);
	}
}

/*
 * Detection after each injection: `stable` consecutive failed samples
 * started while the fault was armed; the time from the injection until
 * the last of them finished (the probe "knew"). The worst injection counts.
 */
static void eval_detects(const struct fr_series *s, const struct fr_facts *f, struct fr_verdict *v)
{
	const struct fr_expect *e = v->e;
	const struct fr_fault_facts *ff = &f->faults[e->fault];
	int64_t worst = -1;
	char a[32];

	for (size_t w = 0; w < ff->nwin; w++) {
		int64_t st = ff->win[w].start, en = ff->win[w].end;
		int64_t found = -1;
		size_t run = 0;
		for (size_t i = 0; i < s->n; i++) {
			const struct fr_sample *x = &s->v[i];
			if (x->t < st)
				continue;
			if (x->t >= en)
				break;
			if (x->ok) {
				run = 0;
				continue;
			}
			if (++run >= e->stable) {
				found = x->t + (int64_t)x->latency - st;
				break;
			}
		}
		if (found < 0) {
			fmt_ns(a, sizeof(a), en - st);
			snprintf(v->measured, sizeof(v->measured),
				 "not detected (the fault was armed %s)", a);
			return;
		}
		if (found > worst)
			worst = found;
	}
	if (worst < 0) {
		snprintf(v->measured, sizeof(v->measured), "the fault was never injected");
		return;
	}
	v->value = (double)worst / 1e9;
	v->has_value = true;
	v->ok = (uint64_t)worst <= e->within_ns;
	fmt_ns_vs(a, sizeof(a), worst, (int64_t)e->within_ns);
	snprintf(v->measured, sizeof(v->measured), "%s", a);
}

/* Every sample in the window answered (any status) within the bound. */
static void eval_responds(const struct fr_series *s, struct fr_verdict *v)
{
	size_t total = 0, unanswered = 0, slow = 0, timeouts = 0;
	uint64_t max = 0;
	char a[32];

	for (size_t i = 0; i < s->n; i++) {
		const struct fr_sample *x = &s->v[i];
		if (!fr_in_window(x->t, v->iv, v->niv))
			continue;
		total++;
		if (x->latency > max)
			max = x->latency;
		if (!x->answered)
			unanswered++;
		if (x->timeout)
			timeouts++;
		if (x->latency > v->e->within_ns)
			slow++;
	}
	if (!total) {
		snprintf(v->measured, sizeof(v->measured), "no samples in the window");
		return;
	}
	v->value = (double)max / 1e9;
	v->has_value = true;
	v->ok = !unanswered && !slow;
	fmt_ns_vs(a, sizeof(a), (int64_t)max, (int64_t)v->e->within_ns);
	if (unanswered)
		snprintf(v->measured, sizeof(v->measured), "max %s; %zu of %zu unanswered%s", a,
			 unanswered, total, timeouts ? " (timed out)" : "");
	else if (slow)
		snprintf(v->measured, sizeof(v->measured), "max %s; %zu of %zu slower", a, slow,
			 total);
	else
		snprintf(v->measured, sizeof(v->measured), "max %s (%zu samples)", a, total);
}

/* An out-of-rotation verdict: `total` ns out, taken out `outs` times. */
static void rotation_verdict(struct fr_verdict *v, int64_t total, unsigned outs)
{
	char a[32];

	v->value = (double)total / 1e9;
	v->has_value = true;
	v->ok = (uint64_t)total <= v->e->within_ns;
	fmt_ns_vs(a, sizeof(a), total, (int64_t)v->e->within_ns);
	snprintf(v->measured, sizeof(v->measured), "%s (taken out %u time%s)", a, outs,
		 outs == 1 ? "" : "s");
}

/* Time the backend spent out of rotation inside the window. */
static void eval_out_of_rotation(const struct fr_series *s, const struct fr_facts *f,
				 struct fr_verdict *v)
{
	int64_t total = 0;
	unsigned outs = 0;

	for (size_t k = 0; k < v->niv; k++) {
		int64_t a0 = v->iv[k].a, b0 = v->iv[k].b;
		if (b0 > f->end)
			b0 = f->end;
		bool in = s->lb.initial_in;
		int64_t since = INT64_MIN;
		for (size_t i = 0; i <= s->ntrans; i++) {
			int64_t until = i < s->ntrans ? s->trans[i].t : INT64_MAX;
			if (!in) {
				int64_t x = since > a0 ? since : a0;
				int64_t y = until < b0 ? until : b0;
				if (y > x)
					total += y - x;
			}
			if (i < s->ntrans) {
				in = s->trans[i].in;
				since = s->trans[i].t;
				if (!in && since >= a0 && since < b0)
					outs++;
			}
		}
	}
	rotation_verdict(v, total, outs);
}

/* The part of [x, y) inside [a, b). */
static int64_t overlap(int64_t x, int64_t y, int64_t a, int64_t b)
{
	x = x > a ? x : a;
	y = y < b ? y : b;
	return y > x ? y - x : 0;
}

/*
 * out-of-rotation {service, backend}: the time HAProxy had the backend in
 * a state other than UP inside the window, from its "lb" events (before
 * the first one its state is unknown: not UP).
 */
static void eval_lb_rotation(const struct fr_scenario *s, const struct fr_facts *f,
			     struct fr_verdict *v)
{
	const char *svc = s->services[v->e->lb_service].name, *be = v->e->lb_backend;
	int64_t total = 0;
	unsigned outs = 0;

	for (size_t k = 0; k < v->niv; k++) {
		int64_t a0 = v->iv[k].a, b0 = v->iv[k].b < f->end ? v->iv[k].b : f->end;
		int64_t since = INT64_MIN;
		bool in = false;

		for (size_t i = 0; i < f->nlc; i++) {
			const struct fr_lc_event *ev = &f->lc[i];

			if (strcmp(ev->event, "lb") || !ev->service || strcmp(ev->service, svc) ||
			    !ev->server || strcmp(ev->server, be))
				continue;
			if (!in)
				total += overlap(since, ev->t, a0, b0);
			in = !strcmp(ev->state, "UP");
			since = ev->t;
			if (!in && since >= a0 && since < b0)
				outs++;
		}
		if (!in)
			total += overlap(since, INT64_MAX, a0, b0);
	}
	rotation_verdict(v, total, outs);
}

static void eval_count(long count, const char *unit, struct fr_verdict *v)
{
	const struct fr_expect *e = v->e;

	v->value = (double)count;
	v->has_value = true;
	v->ok = (e->min < 0 || count >= e->min) && (e->max < 0 || count <= e->max);
	snprintf(v->measured, sizeof(v->measured), "%ld %s%s", count, unit, count == 1 ? "" : "s");
}

/*
 * Where the shim reached in unit p (0: the target), or NULL
 * (a model made without the loader: the target's).
 */
static const struct fr_attach *unit_attach(const struct fr_facts *f, size_t p)
{
	if (f->proc_attach && p < f->nprocs)
		return f->proc_attach[p];
	return p == 0 ? f->attach : NULL;
}

/*
 * A fault that was injected must fire: when it did not, say why from
 * where the shim reached in each process the fault is in (none attached,
 * a refusal, processes that left the run), not only that nothing matched.
 */
static void eval_fired(const struct fr_scenario *s, const struct fr_facts *f,
		       const struct fr_expect *e, struct fr_verdict *v)
{
	const struct fr_fault_facts *ff = &f->faults[e->fault];
	const struct fr_fault *ft = &s->faults[e->fault];
	size_t nin = ft->nin ? ft->nin : 1, used = 0;
	char why[sizeof(v->measured) - 16];

	eval_count((long)ff->injected, "injection", v);
	if (ff->injected)
		return;
	why[0] = '\0';
	for (size_t k = 0; k < nin; k++) {
		size_t p = ft->nin ? (size_t)ft->in[k] : 0;
		const struct fr_attach *a = unit_attach(f, p);
		char one[sizeof(why)];
		int n;

		if (!a)
			continue;
		if (ff->why && p < f->nprocs && ff->why[p])
			snprintf(one, sizeof(one), "%s", ff->why[p]);
		else
			fr_attach_explain(a, ff->matched, one, sizeof(one));
		if (nin == 1)
			n = snprintf(why, sizeof(why), "%s", one);
		else
			n = snprintf(why + used, sizeof(why) - used, "%sin %s: %s",
				     used ? "; " : "", p ? s->services[p - 1].name : "target", one);
		if (n > 0)
			used = used + (size_t)n < sizeof(why) ? used + (size_t)n : sizeof(why) - 1;
	}
	if (why[0])
		snprintf(v->measured, sizeof(v->measured), "0 injections: %s", why);
	else if (!ff->matched)
		snprintf(v->measured, sizeof(v->measured),
			 "0 injections: no call matched the fault");
	else
		snprintf(v->measured, sizeof(v->measured), "0 injections (%llu calls matched)",
			 (unsigned long long)ff->matched);
}

int fr_assert_one(const struct fr_scenario *s, const struct fr_expect *e, int lat,
		  const struct fr_facts *f, struct fr_verdict *v)
{
	const struct fr_series *ser = e->series >= 0 ? &f->series[e->series] : NULL;
	int ret = 0;

	memset(v, 0, sizeof(*v));
	v->e = e;
	v->lat = lat;
	if (e->kind == FR_EXP_LATENCY) {
		char b[32];
		fr_fmt_duration(b, sizeof(b), e->lat[lat].bound_ns);
		if (strncmp(e->label, "latency ", 8) == 0)
			snprintf(v->label, sizeof(v->label), "%s %s", e->lat[lat].text, e->label);
		else
			snprintf(v->label, sizeof(v->label), "%s %s", e->label, e->lat[lat].text);
		snprintf(v->bound, sizeof(v->bound), "<= %s", b);
	} else {
		snprintf(v->label, sizeof(v->label), "%s", e->label);
		snprintf(v->bound, sizeof(v->bound), "%s", e->bound_text ? e->bound_text : "");
	}
	if (e->kind != FR_EXP_RESTARTS && e->kind != FR_EXP_EXITS && e->kind != FR_EXP_FIRED) {
		ret = fr_window_intervals(&e->window, f, &v->iv, &v->niv);
		if (ret)
			return ret;
	}
	switch (e->kind) {
	case FR_EXP_AVAILABILITY:
		eval_availability(ser, v);
		break;
	case FR_EXP_LATENCY:
		ret = eval_latency(ser, v);
		break;
	case FR_EXP_RECOVERS:
		eval_recovers(ser, f, v);
		break;
	case FR_EXP_DETECTS:
		eval_detects(ser, f, v);
		break;
	case FR_EXP_RESPONDS:
		eval_responds(ser, v);
		break;
	case FR_EXP_OUT_OF_ROTATION:
		if (e->lb_backend)
			eval_lb_rotation(s, f, v);
		else
			eval_out_of_rotation(ser, f, v);
		break;
	case FR_EXP_RESTARTS:
		eval_count(e->service && (size_t)e->service < f->nprocs ?
				   f->proc_restarts[e->service] :
				   f->restarts,
			   "restart", v);
		break;
	case FR_EXP_EXITS:
		eval_count(e->service && (size_t)e->service < f->nprocs ?
				   f->proc_exits[e->service] :
				   f->exits,
			   "exit", v);
		break;
	case FR_EXP_FIRED:
		eval_fired(s, f, e, v);
		break;
	case FR_EXP_STATUS:
		fr_eval_status(ser, v);
		break;
	default:
		break;
	}
	(void)s;
	return ret;
}

void fr_verdicts_free(struct fr_verdict *v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i].iv);
	free(v);
}

int fr_assert_eval(const struct fr_scenario *s, const struct fr_facts *f, struct fr_verdict **out,
		   size_t *n)
{
	size_t total = 0, k = 0;
	struct fr_verdict *v;
	int ret;

	for (size_t i = 0; i < s->nexpects; i++)
		total += s->expects[i].kind == FR_EXP_LATENCY ? s->expects[i].nlat : 1;
	v = calloc(total + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < s->nexpects; i++) {
		const struct fr_expect *e = &s->expects[i];
		unsigned parts = e->kind == FR_EXP_LATENCY ? e->nlat : 1;
		for (unsigned j = 0; j < parts; j++) {
			ret = fr_assert_one(s, e, e->kind == FR_EXP_LATENCY ? (int)j : -1, f,
					    &v[k]);
			k++;
			if (ret) {
				fr_verdicts_free(v, k);
				return ret;
			}
		}
	}
	*out = v;
	*n = k;
	return 0;
}
