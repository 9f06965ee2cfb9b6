/*
 * The loader's access to YAML nodes (libyaml's document API, which keeps
 * the line:column of every node) and the typed getters every section
 * uses: strings, durations, numbers, booleans, ratios, signals, commands,
 * names. Each refuses a bad value with a message naming what it expected.
 */
#define _GNU_SOURCE
#include "scenario/load.h"
#include "scenario/scn_internal.h"
#include "util/xalloc.h"

#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- errors and node access ------------------------------------------- */

struct fr_mark scn_mark(const struct loader *L, const yaml_node_t *n)
{
	struct fr_mark m = { L->file, 1, 1 };

	if (n) {
		m.line = (int)n->start_mark.line + 1;
		m.col = (int)n->start_mark.column + 1;
	}
	return m;
}

int scn_fail(struct loader *L, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return fr_errorf(L->err, L->errlen, scn_mark(L, n), "%s", msg);
}

const char *scn_suggest(struct loader *L, const char *near)
{
	return near ? fr_arena_printf(L->s->arena, " (did you mean '%s'?)", near) : "";
}

void scn_join(char *buf, size_t len, const char *const *items, size_t n, const char *last_sep)
{
	size_t off = 0;

	buf[0] = 0;
	for (size_t j = 0; j < n && off < len; j++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
					!j	  ? "" :
					j + 1 < n ? ", " :
						    last_sep,
					items[j]);
}

const char *scn_type_name(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return "a scalar";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

const char *scn_scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

bool scn_is_null(const yaml_node_t *n)
{
	if (!n || n->type != YAML_SCALAR_NODE)
		return false;
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *v = scn_scalar(n);
	return !*v || strcmp(v, "~") == 0 || strcmp(v, "null") == 0;
}

int scn_want_map(struct loader *L, yaml_node_t *n, const char *what)
{
	if (n->type != YAML_MAPPING_NODE)
		return scn_fail(L, n, "%s must be a mapping, not %s", what, scn_type_name(n));
	return 0;
}

int scn_want_seq(struct loader *L, yaml_node_t *n, const char *what)
{
	if (n->type != YAML_SEQUENCE_NODE)
		return scn_fail(L, n, "%s must be a list, not %s", what, scn_type_name(n));
	return 0;
}

int scn_want_scalar(struct loader *L, yaml_node_t *n, const char *what)
{
	if (n->type != YAML_SCALAR_NODE)
		return scn_fail(L, n, "%s must be a scalar, not %s", what, scn_type_name(n));
	return 0;
}

size_t scn_map_len(yaml_node_t *n)
{
	return (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
}

size_t scn_seq_len(yaml_node_t *n)
{
	return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

yaml_node_t *scn_seq_item(struct loader *L, yaml_node_t *n, size_t i)
{
	return yaml_document_get_node(&L->doc, n->data.sequence.items.start[i]);
}

yaml_node_t *scn_pair_key(struct loader *L, yaml_node_t *n, size_t i)
{
	return yaml_document_get_node(&L->doc, n->data.mapping.pairs.start[i].key);
}

yaml_node_t *scn_pair_value(struct loader *L, yaml_node_t *n, size_t i)
{
	return yaml_document_get_node(&L->doc, n->data.mapping.pairs.start[i].value);
}

static int unknown_key(struct loader *L, yaml_node_t *k, const char *const *valid, size_t nvalid,
		       const char *what)
{
	const char *near = fr_nearest(scn_scalar(k), valid, nvalid);
	char list[400];

	if (near)
		return scn_fail(L, k, "unknown key '%s' in %s (did you mean '%s'?)", scn_scalar(k),
				what, near);
	scn_join(list, sizeof(list), valid, nvalid, ", ");
	return scn_fail(L, k, "unknown key '%s' in %s (expected one of: %s)", scn_scalar(k), what,
			list);
}

struct key_at {
	const char *key;
	size_t i;
};

static int key_at_cmp(const void *a, const void *b)
{
	const struct key_at *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : (x->i > y->i) - (x->i < y->i);
}

/*
 * The first key (in document order) that repeats an earlier one: *first
 * is that earlier one. Sorting keeps a map of any size linear-logarithmic
 * where comparing each key with all before it was quadratic (a scenario
 * of 10 MB must load in seconds). Returns n when no key repeats.
 */
static size_t first_duplicate(struct loader *L, yaml_node_t *map, size_t n, size_t *first)
{
	struct key_at *v = fr_xcalloc(n ? n : 1, sizeof(*v));
	size_t m = 0, dup = n;

	for (size_t i = 0; i < n; i++) {
		yaml_node_t *k = scn_pair_key(L, map, i);
		if (k->type == YAML_SCALAR_NODE)
			v[m++] = (struct key_at){ scn_scalar(k), i };
	}
	qsort(v, m, sizeof(*v), key_at_cmp);
	/* equal keys sort by index: a group's first two are what to report */
	for (size_t g = 0, j; g < m; g = j) {
		for (j = g + 1; j < m && strcmp(v[g].key, v[j].key) == 0; j++)
			;
		if (j - g > 1 && v[g + 1].i < dup) {
			dup = v[g + 1].i;
			*first = v[g].i;
		}
	}
	free(v);
	return dup;
}

int scn_check_keys(struct loader *L, yaml_node_t *map, const char *const *valid, size_t nvalid,
		   const char *what)
{
	size_t n = scn_map_len(map), first = 0;
	size_t dup = first_duplicate(L, map, n, &first);

	for (size_t i = 0; i < n; i++) {
		yaml_node_t *k = scn_pair_key(L, map, i);
		bool ok = false;

		if (k->type != YAML_SCALAR_NODE)
			return scn_fail(L, k, "a key in %s must be a scalar", what);
		if (i == dup)
			return scn_fail(L, k,
					"duplicate key '%s' in %s (first at "
					"line %d)",
					scn_scalar(k), what,
					(int)scn_pair_key(L, map, first)->start_mark.line + 1);
		if (!valid)
			continue;
		for (size_t j = 0; j < nvalid && !ok; j++)
			ok = strcmp(valid[j], scn_scalar(k)) == 0;
		if (!ok)
			return unknown_key(L, k, valid, nvalid, what);
	}
	return 0;
}

int scn_want_named(struct loader *L, yaml_node_t *n, const char *what)
{
	int ret = scn_want_map(L, n, what);

	return ret ? ret : scn_check_keys(L, n, NULL, 0, what);
}

static yaml_node_t *find_pair(struct loader *L, yaml_node_t *map, const char *key, bool want_key)
{
	size_t n = scn_map_len(map);

	for (size_t i = 0; i < n; i++) {
		yaml_node_t *k = scn_pair_key(L, map, i);
		if (k->type == YAML_SCALAR_NODE && strcmp(scn_scalar(k), key) == 0)
			return want_key ? k : scn_pair_value(L, map, i);
	}
	return NULL;
}

yaml_node_t *scn_get(struct loader *L, yaml_node_t *map, const char *key)
{
	return find_pair(L, map, key, false);
}

yaml_node_t *scn_get_key(struct loader *L, yaml_node_t *map, const char *key)
{
	yaml_node_t *k = find_pair(L, map, key, true);

	return k ? k : map;
}

/* ---- typed getters -------------------------------------------------------- */

int scn_get_string(struct loader *L, yaml_node_t *n, const char *what, const char **out)
{
	int ret = scn_want_scalar(L, n, what);

	if (ret)
		return ret;
	return scn_expand(L, n, false, out);
}

int scn_get_fstr(struct loader *L, yaml_node_t *n, const char *what, struct fr_str *out)
{
	int ret = scn_want_scalar(L, n, what);

	if (ret)
		return ret;
	ret = scn_expand(L, n, true, &out->raw);
	if (ret)
		return ret;
	out->val = out->raw;
	out->mark = scn_mark(L, n);
	return 0;
}

int scn_get_duration(struct loader *L, yaml_node_t *n, const char *what, uint64_t *ns)
{
	const char *v;
	int ret = scn_get_string(L, n, what, &v);

	if (ret)
		return ret;
	if (fr_parse_duration(v, ns) == 0)
		return 0;
	char *end;
	errno = 0;
	double d = strtod(v, &end);
	if (end != v && !*end && !errno && d >= 0)
		return scn_fail(L, n,
				"%s '%s' needs a unit (for example '%sms' or "
				"'%ss')",
				what, v, v, v);
	return scn_fail(L, n,
			"%s: '%s' is not a duration (use a number and a "
			"unit: 250ms, 2s, 1.5s, 1m)",
			what, v);
}

int scn_get_positive_duration(struct loader *L, yaml_node_t *n, const char *what, uint64_t *ns)
{
	int ret = scn_get_duration(L, n, what, ns);

	if (!ret && *ns == 0)
		return scn_fail(L, n, "%s must be more than 0", what);
	return ret;
}

int scn_get_uint(struct loader *L, yaml_node_t *n, const char *what, unsigned long max,
		 unsigned long *out)
{
	const char *v;
	char *end;
	int ret = scn_get_string(L, n, what, &v);

	if (ret)
		return ret;
	errno = 0;
	unsigned long long x = strtoull(v, &end, 10);
	if (!*v || *end || errno || v[0] == '-' || x > max)
		return scn_fail(L, n,
				"%s must be a whole number from 0 to %lu, not "
				"'%s'",
				what, max, v);
	*out = (unsigned long)x;
	return 0;
}

int scn_get_count(struct loader *L, yaml_node_t *n, const char *what, unsigned long max,
		  unsigned *out)
{
	unsigned long u;
	int ret = scn_get_uint(L, n, what, max, &u);

	if (ret)
		return ret;
	if (!u)
		return scn_fail(L, n, "%s must be at least 1", what);
	*out = (unsigned)u;
	return 0;
}

int scn_get_bool(struct loader *L, yaml_node_t *n, const char *what, bool *out)
{
	const char *v;
	int ret = scn_get_string(L, n, what, &v);

	if (ret)
		return ret;
	if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "on")) {
		*out = true;
		return 0;
	}
	if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "off")) {
		*out = false;
		return 0;
	}
	return scn_fail(L, n, "%s must be true or false, not '%s'", what, v);
}

bool scn_decimal(const char *v, const char *end)
{
	size_t digits = 0;

	if (end == v || strspn(v, "0123456789.") != (size_t)(end - v))
		return false;
	for (const char *p = v; p < end; p++)
		digits += *p != '.';
	return digits > 0;
}

int scn_get_ratio(struct loader *L, yaml_node_t *n, const char *what, double *out)
{
	const char *v;
	char *end;
	int ret = scn_get_string(L, n, what, &v);

	if (ret)
		return ret;
	errno = 0;
	double d = strtod(v, &end);
	if (!scn_decimal(v, end) || errno || d < 0)
		goto bad;
	if (*end == '%' && !end[1]) {
		if (d > 100)
			goto bad;
		*out = d / 100.0;
		return 0;
	}
	if (!*end && d <= 1.0) {
		*out = d;
		return 0;
	}
	if (!*end)
		return scn_fail(L, n,
				"%s '%s' needs a '%%' (write '%s%%') or a ratio "
				"from 0 to 1",
				what, v, v);
bad:
	return scn_fail(L, n,
			"%s must be a percentage (99%%, 99.9%%) or a ratio "
			"from 0 to 1, not '%s'",
			what, v);
}

int scn_get_signal(struct loader *L, yaml_node_t *n, const char *what, int *out)
{
	const char *v;
	int ret = scn_get_string(L, n, what, &v);

	if (ret)
		return ret;
	*out = fr_signal_from_name(v);
	if (!*out)
		return scn_fail(L, n,
				"%s: unknown signal '%s' (SIGTERM, SIGINT, "
				"SIGKILL, SIGHUP, SIGUSR1, ...)",
				what, v);
	return 0;
}

int scn_get_cmd(struct loader *L, yaml_node_t *n, const char *what, struct fr_cmd *cmd)
{
	struct fr_arena *a = L->s->arena;
	int ret;

	cmd->mark = scn_mark(L, n);
	if (n->type == YAML_SCALAR_NODE) {
		cmd->shell = true;
		cmd->argc = 1;
		cmd->argv = fr_arena_alloc(a, sizeof(struct fr_str));
		ret = scn_get_fstr(L, n, what, &cmd->argv[0]);
		if (!ret && !*cmd->argv[0].raw)
			return scn_fail(L, n, "%s is empty", what);
		return ret;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return scn_fail(L, n,
				"%s must be a string or a list of arguments, "
				"not %s",
				what, scn_type_name(n));
	cmd->argc = scn_seq_len(n);
	if (!cmd->argc)
		return scn_fail(L, n, "%s is empty", what);
	cmd->argv = fr_arena_alloc(a, cmd->argc * sizeof(struct fr_str));
	for (size_t i = 0; i < cmd->argc; i++) {
		ret = scn_get_fstr(L, scn_seq_item(L, n, i), "an argument", &cmd->argv[i]);
		if (ret)
			return ret;
	}
	return 0;
}

static bool valid_ident(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return false;
	return true;
}

int scn_get_name(struct loader *L, yaml_node_t *k, const char *what, const char **out)
{
	int ret = scn_get_string(L, k, what, out);

	if (ret)
		return ret;
	if (!valid_ident(*out))
		return scn_fail(L, k, "%s '%s': use letters, digits, '-' and '_'", what, *out);
	if (strlen(*out) >= FR_NAME_MAX)
		return scn_fail(L, k, "%s '%s' is too long (at most %d characters)", what, *out,
				FR_NAME_MAX - 1);
	return 0;
}

int scn_check_regex(struct loader *L, yaml_node_t *n, const char *re)
{
	regex_t rx;
	int rc = regcomp(&rx, re, REG_EXTENDED | REG_NOSUB);

	if (rc) {
		char msg[128];
		regerror(rc, &rx, msg, sizeof(msg));
		return scn_fail(L, n, "bad pattern '%s': %s", re, msg);
	}
	regfree(&rx);
	return 0;
}

int scn_opt_fstr(struct loader *L, yaml_node_t *map, const char *key, struct fr_str *out)
{
	yaml_node_t *x = scn_get(L, map, key);

	return x ? scn_get_fstr(L, x, key, out) : 0;
}

int scn_opt_duration(struct loader *L, yaml_node_t *map, const char *key, uint64_t *ns)
{
	yaml_node_t *x = scn_get(L, map, key);

	return x ? scn_get_duration(L, x, key, ns) : 0;
}

int scn_opt_positive_duration(struct loader *L, yaml_node_t *map, const char *key, uint64_t *ns)
{
	yaml_node_t *x = scn_get(L, map, key);

	return x ? scn_get_positive_duration(L, x, key, ns) : 0;
}
