/*
 * The `status` assertion (docs/scenario-format.md): the share of a probe's
 * samples in the window whose HTTP status is one of the codes. A sample
 * with no HTTP answer (a timeout, a refused or reset connection) has the
 * pseudo-code `none`; it counts in the share unless `unanswered: ignore`.
 */
#include "record/expect.h"

#include <stdio.h>

static bool code_in(const struct fr_expect *e, const struct fr_sample *x)
{
	if (!x->answered || x->status < 100 || x->status > 599)
		return e->codes_none;
	for (unsigned i = 0; i < e->codes.n; i++)
		if (x->status >= e->codes.r[i].lo && x->status <= e->codes.r[i].hi)
			return true;
	return false;
}

void fr_eval_status(const struct fr_series *s, struct fr_verdict *v)
{
	const struct fr_expect *e = v->e;
	size_t total = 0, hits = 0, unanswered = 0;
	char pct[48], tail[64] = "";
	double bound;

	for (size_t i = 0; i < s->n; i++) {
		const struct fr_sample *x = &s->v[i];
		bool answer = x->answered && x->status >= 100 && x->status <= 599;

		if (!fr_in_window(x->t, v->iv, v->niv))
			continue;
		unanswered += !answer;
		if (!answer && e->skip_unanswered)
			continue;
		total++;
		hits += code_in(e, x);
	}
	if (!total) {
		snprintf(v->measured, sizeof(v->measured), "%s",
			 unanswered ? "no answers in the window" : "no samples in the window");
		return;
	}
	v->value = (double)hits / (double)total;
	v->has_value = true;
	v->ok = (e->min_ratio < 0 || v->value + 1e-12 >= e->min_ratio) &&
		(e->max_ratio < 0 || v->value - 1e-12 <= e->max_ratio);
	/* the bound the verdict turned on, for the digits */
	bound = e->min_ratio >= 0 && (e->max_ratio < 0 || v->value < e->max_ratio) ? e->min_ratio :
										     e->max_ratio;
	fr_fmt_percent_vs(pct, sizeof(pct), v->value, bound);
	if (unanswered)
		snprintf(tail, sizeof(tail), "; %zu unanswered%s", unanswered,
			 e->skip_unanswered ? ", left out" : "");
	snprintf(v->measured, sizeof(v->measured), "%s (%zu of %zu%s)", pct, hits, total, tail);
}
