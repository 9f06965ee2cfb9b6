/*
 * An HTTP request and what its answer must look like: the shape http
 * probes, the load and request steps share.
 */
#define _GNU_SOURCE
#include "scenario/load.h"
#include "scenario/scn_internal.h"

#include <stdio.h>
#include <string.h>

#define MAX_KEYS 32

static const char *const http_keys[] = {
	"url", "method", "headers", "body", "status", "body-match",
};

/*
 * Up to 6 decimal digits at *p (sscanf's %d would wrap 4294967496 around
 * to 200, and read " +200" too).
 */
static bool read_code(const char **p, int *out)
{
	const char *s = *p;

	*out = 0;
	while (*s >= '0' && *s <= '9' && s - *p < 6)
		*out = *out * 10 + (*s++ - '0');
	if (s == *p || (*s >= '0' && *s <= '9'))
		return false;
	*p = s;
	return true;
}

/* One accepted status: a code (200), a class (2xx) or a range (200-299). */
int scn_get_status_range(struct loader *L, yaml_node_t *it, int *lo, int *hi)
{
	const char *v, *q;
	int ret = scn_get_string(L, it, "status", &v);

	if (ret)
		return ret;
	q = v;
	if (strlen(v) == 3 && v[0] >= '1' && v[0] <= '5' && (v[1] == 'x' || v[1] == 'X') &&
	    (v[2] == 'x' || v[2] == 'X')) {
		*lo = (v[0] - '0') * 100;
		*hi = *lo + 99;
	} else if (read_code(&q, lo) && *q == '-' && (q++, read_code(&q, hi)) && !*q) {
		;
	} else if ((q = v, read_code(&q, lo)) && !*q) {
		*hi = *lo;
	} else {
		return scn_fail(L, it,
				"status '%s': expected a code (200), a class "
				"(2xx) or a range (200-299)",
				v);
	}
	if (*lo < 100 || *hi > 599 || *lo > *hi)
		return scn_fail(L, it, "status '%s' is not an HTTP status (100-599)", v);
	return 0;
}

static int get_status(struct loader *L, yaml_node_t *n, struct fr_status_set *st)
{
	size_t count = n->type == YAML_SEQUENCE_NODE ? scn_seq_len(n) : 1;

	st->n = 0;
	if (n->type == YAML_MAPPING_NODE)
		return scn_fail(L, n,
				"status must be a code (200), a class (2xx), a "
				"range (200-299) or a list of them");
	if (count > NKEYS(st->r))
		return scn_fail(L, n, "at most 8 statuses");
	for (size_t i = 0; i < count; i++) {
		yaml_node_t *it = n->type == YAML_SEQUENCE_NODE ? scn_seq_item(L, n, i) : n;
		int ret = scn_get_status_range(L, it, &st->r[st->n].lo, &st->r[st->n].hi);
		if (ret)
			return ret;
		st->n++;
	}
	return 0;
}

static int get_headers(struct loader *L, yaml_node_t *v, struct fr_http *h)
{
	int ret;

	if ((ret = scn_want_named(L, v, "headers")))
		return ret;
	h->nheaders = scn_map_len(v);
	h->headers = fr_arena_alloc(L->s->arena, h->nheaders * sizeof(struct fr_kv));
	for (size_t i = 0; i < h->nheaders; i++) {
		h->headers[i].key = fr_arena_strdup(L->s->arena, scn_scalar(scn_pair_key(L, v, i)));
		if ((ret = scn_get_fstr(L, scn_pair_value(L, v, i), "a header",
					&h->headers[i].value)))
			return ret;
	}
	return 0;
}

int scn_parse_http(struct loader *L, yaml_node_t *n, const char *what, const char *const *extra,
		   size_t nextra, struct fr_http *h)
{
	const char *keys[MAX_KEYS];
	size_t nkeys = 0;
	yaml_node_t *v;
	int ret;

	/* 200-399: what a browser would not call an error */
	h->status.n = 1;
	h->status.r[0].lo = 200;
	h->status.r[0].hi = 399;
	if (n->type == YAML_SCALAR_NODE)
		return scn_get_fstr(L, n, "url", &h->url);
	if ((ret = scn_want_map(L, n, what)))
		return ret;
	for (size_t i = 0; i < NKEYS(http_keys); i++)
		keys[nkeys++] = http_keys[i];
	for (size_t i = 0; i < nextra && nkeys < MAX_KEYS; i++)
		keys[nkeys++] = extra[i];
	if ((ret = scn_check_keys(L, n, keys, nkeys, what)))
		return ret;
	if (!(v = scn_get(L, n, "url")))
		return scn_fail(L, n, "%s has no 'url'", what);
	if ((ret = scn_get_fstr(L, v, "url", &h->url)) ||
	    (ret = scn_opt_fstr(L, n, "method", &h->method)) ||
	    (ret = scn_opt_fstr(L, n, "body", &h->body)))
		return ret;
	if ((v = scn_get(L, n, "status")) && (ret = get_status(L, v, &h->status)))
		return ret;
	if ((v = scn_get(L, n, "body-match"))) {
		if ((ret = scn_get_fstr(L, v, "body-match", &h->body_match)) ||
		    (ret = scn_check_regex(L, v, h->body_match.raw)))
			return ret;
	}
	if ((v = scn_get(L, n, "headers")))
		return get_headers(L, v, h);
	return 0;
}
