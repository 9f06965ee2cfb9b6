/*
 * Recorded series. See series.h.
 */
#define _GNU_SOURCE
#include "record/series.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>

void fr_series_init(struct fr_series *s, const char *name, const char *kind, const char *what,
		    uint64_t interval_ns, uint64_t timeout_ns, const struct fr_lb *lb)
{
	memset(s, 0, sizeof(*s));
	s->name = name;
	s->kind = kind;
	s->what = what;
	s->interval_ns = interval_ns;
	s->timeout_ns = timeout_ns;
	if (lb && lb->on) {
		s->lb = *lb;
		s->lb_in = lb->initial_in;
	}
}

void fr_series_finish(struct fr_series *s)
{
	free(s->v);
	free(s->trans);
	for (size_t i = 0; i < s->npool; i++)
		free(s->pool[i]);
	free(s->pool);
	memset(s, 0, sizeof(*s));
}

/*
 * Details repeat ("HTTP 200", "connection refused"): keep one copy of
 * each. Probes produce few distinct details; a linear scan of the recent
 * ones with a cap on the pool keeps this simple and small.
 */
static const char *intern(struct fr_series *s, const char *d)
{
	if (!d || !*d)
		return NULL;
	for (size_t i = s->npool; i-- > 0 && s->npool - i <= 64;)
		if (strcmp(s->pool[i], d) == 0)
			return s->pool[i];
	if (s->npool == s->cappool) {
		s->cappool = s->cappool ? s->cappool * 2 : 16;
		s->pool = fr_xreallocarray(s->pool, s->cappool, sizeof(*s->pool));
	}
	char *c = fr_xstrdup(d);
	s->pool[s->npool++] = c;
	return c;
}

struct fr_sample *fr_series_add(struct fr_series *s, const struct fr_sample *smp,
				const char *detail)
{
	struct fr_sample *v;

	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->v = fr_xreallocarray(s->v, s->cap, sizeof(*s->v));
	}
	v = &s->v[s->n++];
	*v = *smp;
	v->detail = intern(s, detail);
	if (!s->lb.on)
		return v;

	/* a load balancer's view: thresholds of consecutive checks */
	v->check = smp->ok;
	if (smp->ok) {
		s->lb_passes++;
		s->lb_fails = 0;
	} else {
		s->lb_fails++;
		s->lb_passes = 0;
	}
	bool was = s->lb_in;
	if (!s->lb_in && s->lb_passes >= s->lb.healthy)
		s->lb_in = true;
	else if (s->lb_in && s->lb_fails >= s->lb.unhealthy)
		s->lb_in = false;
	v->in = s->lb_in;
	v->ok = s->lb_in;
	if (was != s->lb_in) {
		if (s->ntrans == s->captrans) {
			s->captrans = s->captrans ? s->captrans * 2 : 16;
			s->trans = fr_xreallocarray(s->trans, s->captrans, sizeof(*s->trans));
		}
		s->trans[s->ntrans].t = smp->t + (int64_t)smp->latency;
		s->trans[s->ntrans].in = s->lb_in;
		s->ntrans++;
	}
	return v;
}

static int cmp_sample(const void *a, const void *b)
{
	const struct fr_sample *x = a, *y = b;

	return x->t < y->t ? -1 : x->t > y->t;
}

void fr_series_sort(struct fr_series *s)
{
	/* nearly sorted already; insertion sort keeps it stable and cheap */
	for (size_t i = 1; i < s->n; i++) {
		if (cmp_sample(&s->v[i - 1], &s->v[i]) <= 0)
			continue;
		struct fr_sample tmp = s->v[i];
		size_t j = i;
		while (j > 0 && cmp_sample(&s->v[j - 1], &tmp) > 0) {
			s->v[j] = s->v[j - 1];
			j--;
		}
		s->v[j] = tmp;
	}
}
