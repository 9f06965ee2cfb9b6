/*
 * faultrun — the injections of a run in bounded memory (injections.h):
 * groups, a sample, and each fault's rate from its counters.
 *
 * Memory is fixed once the log is made: FR_INJ_GROUPS groups, an index
 * twice that size, and at most FR_INJ_SAMPLE_FIRST +
 * FR_INJ_GROUPS * FR_INJ_SAMPLE_PER_GROUP sampled events, whatever the
 * rate of injections.
 */
#include "record/injections.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>

#define INDEX_SIZE (2 * FR_INJ_GROUPS)

void fr_inj_log_init(struct fr_inj_log *l, size_t nfaults)
{
	memset(l, 0, sizeof(*l));
	l->nfaults = nfaults;
	l->groups = fr_xcalloc(FR_INJ_GROUPS, sizeof(*l->groups));
	l->index = fr_xcalloc(INDEX_SIZE, sizeof(*l->index));
	l->read = fr_xcalloc(nfaults + 1, sizeof(*l->read));
	l->folded = fr_xcalloc(nfaults + 1, sizeof(*l->folded));
}

void fr_inj_log_finish(struct fr_inj_log *l)
{
	free(l->sample);
	free(l->groups);
	free(l->index);
	free(l->read);
	free(l->folded);
	memset(l, 0, sizeof(*l));
}

/* FNV-1a over the fields that make a group (all but the time). */
static uint32_t key_hash(const struct fr_inj_event *e)
{
	uint64_t h = 0xcbf29ce484222325ull;
	uint64_t parts[] = { (uint64_t)(int64_t)e->fault,
			     (uint64_t)(uintptr_t)e->service,
			     (uint64_t)(int64_t)e->pid,
			     e->op,
			     e->action,
			     (uint64_t)(int64_t)e->err };

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		h = (h ^ parts[i]) * 0x100000001b3ull;
	for (const char *p = e->where; p < e->where + sizeof(e->where) && *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
	return (uint32_t)(h ^ (h >> 32));
}

static bool same_key(const struct fr_inj_event *a, const struct fr_inj_event *b)
{
	return a->fault == b->fault && a->service == b->service && a->pid == b->pid &&
	       a->op == b->op && a->action == b->action && a->err == b->err &&
	       strncmp(a->where, b->where, sizeof(a->where)) == 0;
}

/* e's group, made if there is room; NULL when the table is full and e is new. */
static struct fr_inj_group *group_of(struct fr_inj_log *l, const struct fr_inj_event *e)
{
	uint32_t i = key_hash(e) % INDEX_SIZE;

	/* the index is never more than half full: a free entry ends every probe */
	for (; l->index[i]; i = (i + 1) % INDEX_SIZE) {
		struct fr_inj_group *g = &l->groups[l->index[i] - 1];

		if (same_key(&g->key, e))
			return g;
	}
	if (l->ngroups == FR_INJ_GROUPS)
		return NULL;
	struct fr_inj_group *g = &l->groups[l->ngroups++];

	memset(g, 0, sizeof(*g));
	g->key = *e;
	l->index[i] = (uint32_t)l->ngroups;
	return g;
}

static void sample_add(struct fr_inj_log *l, const struct fr_inj_event *e)
{
	if (l->nsample == l->capsample) {
		l->capsample = l->capsample ? l->capsample * 2 : 64;
		l->sample = fr_xreallocarray(l->sample, l->capsample, sizeof(*l->sample));
	}
	l->sample[l->nsample++] = *e;
}

static size_t fault_slot(const struct fr_inj_log *l, int f)
{
	return f >= 0 && (size_t)f < l->nfaults ? (size_t)f : l->nfaults;
}

void fr_inj_log_add(struct fr_inj_log *l, const struct fr_inj_event *e)
{
	struct fr_inj_group *g = group_of(l, e);
	size_t fs = fault_slot(l, e->fault);

	l->nread++;
	l->read[fs]++;
	if (!g) {
		l->nfolded++;
		l->folded[fs]++;
		if (l->nsample < FR_INJ_SAMPLE_FIRST)
			sample_add(l, e);
		return;
	}
	if (!g->count || e->t < g->key.t)
		g->key.t = e->t;
	if (!g->count || e->t > g->last)
		g->last = e->t;
	g->count++;
	if (l->nsample < FR_INJ_SAMPLE_FIRST || g->sampled < FR_INJ_SAMPLE_PER_GROUP) {
		g->sampled++;
		sample_add(l, e);
	}
}

uint64_t fr_inj_log_dropped(const struct fr_inj_log *l)
{
	return l->missed + (l->nread - l->nsample);
}

uint64_t fr_inj_log_read(const struct fr_inj_log *l, int f)
{
	return l->read ? l->read[fault_slot(l, f)] : 0;
}

uint64_t fr_inj_log_folded(const struct fr_inj_log *l, int f)
{
	return l->folded ? l->folded[fault_slot(l, f)] : 0;
}

/* ---- the rate ------------------------------------------------------------ */

void fr_rate_init(struct fr_rate *r)
{
	memset(r, 0, sizeof(*r));
	r->width = FR_RATE_WIDTH0;
}

/* Twice as wide buckets until t falls in the last one: pairs merged. */
static void rate_fit(struct fr_rate *r, int64_t t)
{
	while (t >= r->width * FR_RATE_BUCKETS) {
		for (size_t i = 0; i < FR_RATE_BUCKETS; i++)
			r->n[i] = i < FR_RATE_BUCKETS / 2 ? r->n[2 * i] + r->n[2 * i + 1] : 0;
		r->width *= 2;
	}
}

/* Injections before t = 0 count in the first bucket. */
static size_t bucket(const struct fr_rate *r, int64_t t)
{
	return t <= 0 ? 0 : (size_t)(t / r->width);
}

/* d injections over [a, b]: each bucket its share of the interval, the rest to the last. */
static void rate_spread(struct fr_rate *r, int64_t a, int64_t b, uint64_t d)
{
	size_t ia = bucket(r, a), ib = bucket(r, b);
	uint64_t given = 0;

	for (size_t i = ia; i < ib; i++) {
		int64_t from = a > (int64_t)i * r->width ? a : (int64_t)i * r->width;
		int64_t to = (int64_t)(i + 1) * r->width;
		uint64_t share = (uint64_t)((double)d * (double)(to - from) / (double)(b - a));

		if (share > d - given)
			share = d - given;
		r->n[i] += share;
		given += share;
	}
	r->n[ib] += d - given;
}

void fr_rate_update(struct fr_rate *r, int64_t t, uint64_t counter)
{
	int64_t a = r->at > 0 ? r->at : 0;

	if (!r->width) /* zeroed memory is an empty rate too */
		r->width = FR_RATE_WIDTH0;
	if (t < 0)
		t = 0;
	if (t < a)
		t = a;
	rate_fit(r, t);
	if (counter > r->total) {
		rate_spread(r, a, t, counter - r->total);
	} else {
		/* taken back (fr_ctl_unfire): from the latest buckets that have some */
		uint64_t back = r->total - counter;

		for (size_t i = bucket(r, t) + 1; i-- > 0 && back;) {
			uint64_t k = r->n[i] < back ? r->n[i] : back;

			r->n[i] -= k;
			back -= k;
		}
	}
	r->total = counter;
	r->at = t;
}

size_t fr_rate_len(const struct fr_rate *r, int64_t end)
{
	int64_t t = end > r->at ? end : r->at;

	if (!r->width)
		return 0;
	size_t n = t > 0 ? (size_t)((t + r->width - 1) / r->width) : 1;

	if (!n)
		n = 1;
	/* the last injection's bucket, even when it ends exactly at `end` */
	while (n < FR_RATE_BUCKETS && r->n[n])
		n++;
	return n > FR_RATE_BUCKETS ? FR_RATE_BUCKETS : n;
}
