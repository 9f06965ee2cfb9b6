/*
 * The scenario loader: YAML (libyaml's document API, which keeps the
 * line:column of every node) -> struct fr_scenario.
 *
 * Every error is one line, "FILE:LINE:COL: message", pointing at the node
 * that is wrong; an unknown key names the nearest valid one. The first
 * error stops the load. Top-level sections are read in dependency order
 * (vars, services, target, faults, probes, load, timeline, expect) whatever
 * their order in the file, so references can be checked as they are read.
 */
#define _GNU_SOURCE
#include "scenario/scenario.h"
#include "scenario/scn_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#define DEFAULT_INTERVAL_NS 500000000ull
#define DEFAULT_TIMEOUT_NS 1000000000ull
#define DEFAULT_READY_DEADLINE_NS 30000000000ull
#define DEFAULT_READY_INTERVAL_NS 100000000ull
#define DEFAULT_GRACE_NS 5000000000ull
#define DEFAULT_BACKOFF_NS 1000000000ull
#define DEFAULT_MAX_BACKOFF_NS 30000000000ull
#define DEFAULT_RUN_TIMEOUT_NS 30000000000ull
#define DEFAULT_MYSQL_TIMEOUT_NS 5000000000ull

#define NKEYS(a) (sizeof(a) / sizeof((a)[0]))

struct loader {
	struct fr_scenario *s;
	yaml_document_t doc;
	const char *file;
	char *err;
	size_t errlen;
	struct fr_override *ovr;
	size_t novr;
};

/* ---- errors and node access ------------------------------------------ */

static struct fr_mark fr_node_mark(const char *file, const yaml_node_t *n)
{
	struct fr_mark m = { file, 1, 1 };

	if (n) {
		m.line = (int)n->start_mark.line + 1;
		m.col = (int)n->start_mark.column + 1;
	}
	return m;
}

int fr_errorf(char *err, size_t errlen, struct fr_mark m, const char *fmt, ...)
{
	va_list ap;
	int off;

	off = snprintf(err, errlen, "%s:%d:%d: ", m.file, m.line, m.col);
	if (off < 0 || (size_t)off >= errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(err + off, errlen - (size_t)off, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int fail(struct loader *L, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct loader *L, const yaml_node_t *n, const char *fmt, ...)
{
	struct fr_mark m = fr_node_mark(L->file, n);
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return fr_errorf(L->err, L->errlen, m, "%s", msg);
}

static yaml_node_t *node_at(struct loader *L, int idx)
{
	return yaml_document_get_node(&L->doc, idx);
}

static const char *type_name(const yaml_node_t *n)
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

static const char *scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static bool is_null(const yaml_node_t *n)
{
	if (!n || n->type != YAML_SCALAR_NODE)
		return false;
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *v = scalar(n);
	return !*v || strcmp(v, "~") == 0 || strcmp(v, "null") == 0;
}

static int want_map(struct loader *L, yaml_node_t *n, const char *what)
{
	if (n->type != YAML_MAPPING_NODE)
		return fail(L, n, "%s must be a mapping, not %s", what, type_name(n));
	return 0;
}

static int want_seq(struct loader *L, yaml_node_t *n, const char *what)
{
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(L, n, "%s must be a list, not %s", what, type_name(n));
	return 0;
}

static int want_scalar(struct loader *L, yaml_node_t *n, const char *what)
{
	if (n->type != YAML_SCALAR_NODE)
		return fail(L, n, "%s must be a scalar, not %s", what, type_name(n));
	return 0;
}

static size_t map_len(yaml_node_t *n)
{
	return (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
}

static size_t seq_len(yaml_node_t *n)
{
	return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

static yaml_node_t *seq_item(struct loader *L, yaml_node_t *n, size_t i)
{
	return node_at(L, n->data.sequence.items.start[i]);
}

static yaml_node_t *pair_key(struct loader *L, yaml_node_t *n, size_t i)
{
	return node_at(L, n->data.mapping.pairs.start[i].key);
}

static yaml_node_t *pair_value(struct loader *L, yaml_node_t *n, size_t i)
{
	return node_at(L, n->data.mapping.pairs.start[i].value);
}

/*
 * Check a mapping's keys: each a scalar, no duplicates, each one of valid
 * (NULL: any key). what names the mapping in messages ("probe 'home'").
 */
static int check_keys(struct loader *L, yaml_node_t *map,
		      const char *const *valid, size_t nvalid, const char *what)
{
	size_t n = map_len(map);

	for (size_t i = 0; i < n; i++) {
		yaml_node_t *k = pair_key(L, map, i);
		if (k->type != YAML_SCALAR_NODE)
			return fail(L, k, "a key in %s must be a scalar", what);
		for (size_t j = 0; j < i; j++) {
			yaml_node_t *k2 = pair_key(L, map, j);
			if (k2->type == YAML_SCALAR_NODE &&
			    strcmp(scalar(k2), scalar(k)) == 0)
				return fail(L, k, "duplicate key '%s' in %s (first at line %d)",
					    scalar(k), what,
					    (int)k2->start_mark.line + 1);
		}
		if (!valid)
			continue;
		bool ok = false;
		for (size_t j = 0; j < nvalid && !ok; j++)
			ok = strcmp(valid[j], scalar(k)) == 0;
		if (ok)
			continue;
		const char *near = fr_nearest(scalar(k), valid, nvalid);
		if (near)
			return fail(L, k, "unknown key '%s' in %s (did you mean '%s'?)",
				    scalar(k), what, near);
		char list[400];
		size_t off = 0;
		list[0] = 0;
		for (size_t j = 0; j < nvalid && off < sizeof(list); j++)
			off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s",
						j ? ", " : "", valid[j]);
		return fail(L, k, "unknown key '%s' in %s (expected one of: %s)",
			    scalar(k), what, list);
	}
	return 0;
}

/* The value of key in map, or NULL. */
static yaml_node_t *get(struct loader *L, yaml_node_t *map, const char *key)
{
	size_t n = map_len(map);

	for (size_t i = 0; i < n; i++) {
		yaml_node_t *k = pair_key(L, map, i);
		if (k->type == YAML_SCALAR_NODE && strcmp(scalar(k), key) == 0)
			return pair_value(L, map, i);
	}
	return NULL;
}

/* The key node of key in map (for messages), or map itself. */
static yaml_node_t *get_key(struct loader *L, yaml_node_t *map, const char *key)
{
	size_t n = map_len(map);

	for (size_t i = 0; i < n; i++) {
		yaml_node_t *k = pair_key(L, map, i);
		if (k->type == YAML_SCALAR_NODE && strcmp(scalar(k), key) == 0)
			return k;
	}
	return map;
}

/* ---- scalars ----------------------------------------------------------- */

/*
 * Column of byte `off` of a scalar, for errors inside a string: exact for
 * single-line plain and quoted scalars, else the scalar's start.
 */
static struct fr_mark scalar_mark_at(struct loader *L, yaml_node_t *n,
				     size_t off)
{
	struct fr_mark m = fr_node_mark(L->file, n);

	if (n->type != YAML_SCALAR_NODE ||
	    n->start_mark.line != n->end_mark.line)
		return m;
	if (n->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
	    n->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE)
		m.col += 1;
	if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ||
	    n->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE)
		m.col += (int)off;
	else if (n->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE &&
		 !memchr(scalar(n), '\\', off))
		m.col += (int)off;
	return m;
}

static const char *var_value(struct loader *L, const char *name, size_t len)
{
	for (size_t i = 0; i < L->s->nvars; i++)
		if (L->s->vars[i].value && strlen(L->s->vars[i].name) == len &&
		    strncmp(L->s->vars[i].name, name, len) == 0)
			return L->s->vars[i].value;
	return NULL;
}

static void add_port(struct fr_scenario *s, const char *name, size_t len)
{
	for (size_t i = 0; i < s->nports; i++)
		if (strlen(s->ports[i]) == len && strncmp(s->ports[i], name, len) == 0)
			return;
	if (s->nports == s->capports) {
		size_t cap = s->capports ? s->capports * 2 : 8;
		const char **p = fr_arena_alloc(s->arena, cap * sizeof(*p));
		if (s->nports)
			memcpy(p, s->ports, s->nports * sizeof(*p));
		s->ports = p;
		s->capports = cap;
	}
	s->ports[s->nports++] = fr_arena_printf(s->arena, "%.*s", (int)len, name);
}

static bool ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static bool valid_ident(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!ident_char(*s))
			return false;
	return true;
}

/*
 * Expand the load-time placeholders of a scalar: ${vars.X}, ${env.X},
 * ${scenario_dir}; keep the per-run ones (${run_dir}, ${port.NAME},
 * ${services.NAME.FIELD}) after checking their names, and "$${" (a literal
 * "${", unescaped at instantiation). `runtime_ok` false refuses per-run
 * placeholders (durations, numbers, names).
 */
static int expand_load(struct loader *L, yaml_node_t *n, bool runtime_ok,
		       const char **out, bool *has_runtime)
{
	const char *in = scalar(n);
	size_t cap = strlen(in) + 64, len = 0;
	char *buf = malloc(cap);
	int ret = 0;

	if (!buf)
		return -ENOMEM;
	if (has_runtime)
		*has_runtime = false;
	for (const char *p = in; *p;) {
		const char *rep = NULL;
		size_t replen = 0, skip = 1;
		char tmp[32];

		if (p[0] == '$' && p[1] == '$' && p[2] == '{') {
			rep = "$${";
			replen = 3;
			skip = 3;
		} else if (p[0] == '$' && p[1] == '{') {
			const char *close = strchr(p + 2, '}');
			struct fr_mark m = scalar_mark_at(L, n, (size_t)(p - in));
			if (!close) {
				ret = fr_errorf(L->err, L->errlen, m,
						"unterminated placeholder '%s' (missing '}')", p);
				goto out;
			}
			const char *name = p + 2;
			size_t nlen = (size_t)(close - name);
			const char *dflt = NULL;
			size_t dlen = 0;
			const char *colon = memmem(name, nlen, ":-", 2);
			if (colon) {
				dflt = colon + 2;
				dlen = (size_t)(close - dflt);
				nlen = (size_t)(colon - name);
			}
			skip = (size_t)(close - p) + 1;
			if (nlen > 5 && strncmp(name, "vars.", 5) == 0) {
				rep = var_value(L, name + 5, nlen - 5);
				if (!rep) {
					const char *cands[64];
					size_t nc = 0;
					char want[128];
					snprintf(want, sizeof(want), "%.*s", (int)(nlen - 5),
						 name + 5);
					for (size_t i = 0; i < L->s->nvars && nc < 64; i++)
						if (L->s->vars[i].value)
							cands[nc++] = L->s->vars[i].name;
					const char *near = fr_nearest(want, cands, nc);
					ret = fr_errorf(L->err, L->errlen, m,
							"unknown var '%s'%s%s%s", want,
							near ? " (did you mean '" : "",
							near ? near : "", near ? "'?)" : "");
					goto out;
				}
				replen = strlen(rep);
			} else if (nlen > 4 && strncmp(name, "env.", 4) == 0) {
				char ename[128];
				snprintf(ename, sizeof(ename), "%.*s", (int)(nlen - 4),
					 name + 4);
				rep = getenv(ename);
				if (!rep && dflt) {
					rep = dflt;
					replen = dlen;
				} else if (!rep) {
					ret = fr_errorf(L->err, L->errlen, m,
							"environment variable '%s' is not set "
							"(give a default: ${env.%s:-VALUE})",
							ename, ename);
					goto out;
				} else {
					replen = strlen(rep);
				}
			} else if (nlen == 12 && strncmp(name, "scenario_dir", 12) == 0) {
				rep = L->s->dir;
				replen = strlen(rep);
			} else if ((nlen == 7 && strncmp(name, "run_dir", 7) == 0) ||
				   (nlen > 5 && strncmp(name, "port.", 5) == 0) ||
				   (nlen > 9 && strncmp(name, "services.", 9) == 0)) {
				if (!runtime_ok) {
					ret = fr_errorf(L->err, L->errlen, m,
							"'${%.*s}' is only known when the run "
							"starts and cannot be used here",
							(int)nlen, name);
					goto out;
				}
				if (name[0] == 'p') {
					for (size_t i = 5; i < nlen; i++)
						if (!ident_char(name[i])) {
							ret = fr_errorf(L->err, L->errlen, m,
									"bad port name in '${%.*s}' "
									"(letters, digits, '-' and '_')",
									(int)nlen, name);
							goto out;
						}
					add_port(L->s, name + 5, nlen - 5);
				}
				/* services are checked once all are known */
				if (has_runtime)
					*has_runtime = true;
				rep = p;
				replen = skip;
			} else {
				static const char *const known[] = {
					"vars.", "env.", "port.", "run_dir",
					"services.", "scenario_dir",
				};
				char want[128];
				snprintf(want, sizeof(want), "%.*s", (int)nlen, name);
				const char *near = fr_nearest(want, known, NKEYS(known));
				ret = fr_errorf(L->err, L->errlen, m,
						"unknown placeholder '${%s}'%s%s%s (known: "
						"${vars.NAME}, ${env.NAME}, ${port.NAME}, "
						"${run_dir}, ${scenario_dir}, "
						"${services.NAME.FIELD})",
						want, near ? " (did you mean '" : "",
						near ? near : "", near ? "'?)" : "");
				goto out;
			}
		} else {
			tmp[0] = *p;
			rep = tmp;
			replen = 1;
		}
		if (len + replen + 1 > cap) {
			cap = (len + replen + 1) * 2;
			char *nb = realloc(buf, cap);
			if (!nb) {
				ret = -ENOMEM;
				goto out;
			}
			buf = nb;
		}
		memcpy(buf + len, rep, replen);
		len += replen;
		p += skip;
	}
	buf[len] = 0;
	*out = fr_arena_strdup(L->s->arena, buf);
out:
	free(buf);
	return ret;
}

/* A plain string (vars expanded, no per-run placeholders). */
static int get_string(struct loader *L, yaml_node_t *n, const char *what,
		      const char **out)
{
	int ret = want_scalar(L, n, what);

	if (ret)
		return ret;
	return expand_load(L, n, false, out, NULL);
}

/* A string that may hold per-run placeholders. */
static int get_fstr(struct loader *L, yaml_node_t *n, const char *what,
		    struct fr_str *out)
{
	int ret = want_scalar(L, n, what);

	if (ret)
		return ret;
	ret = expand_load(L, n, true, &out->raw, NULL);
	if (ret)
		return ret;
	out->val = out->raw;
	out->mark = fr_node_mark(L->file, n);
	return 0;
}

static int get_duration(struct loader *L, yaml_node_t *n, const char *what,
			uint64_t *ns)
{
	const char *v;
	int ret = get_string(L, n, what, &v);

	if (ret)
		return ret;
	if (fr_parse_duration(v, ns) == 0)
		return 0;
	char *end;
	errno = 0;
	double d = strtod(v, &end);
	if (end != v && !*end && !errno && d >= 0)
		return fail(L, n, "%s '%s' needs a unit (for example '%sms' or '%ss')",
			    what, v, v, v);
	return fail(L, n, "%s: '%s' is not a duration (use a number and a unit: "
		    "250ms, 2s, 1.5s, 1m)", what, v);
}

static int get_positive_duration(struct loader *L, yaml_node_t *n,
				 const char *what, uint64_t *ns)
{
	int ret = get_duration(L, n, what, ns);

	if (!ret && *ns == 0)
		return fail(L, n, "%s must be more than 0", what);
	return ret;
}

static int get_uint(struct loader *L, yaml_node_t *n, const char *what,
		    unsigned long max, unsigned long *out)
{
	const char *v;
	char *end;
	int ret = get_string(L, n, what, &v);

	if (ret)
		return ret;
	errno = 0;
	unsigned long long x = strtoull(v, &end, 10);
	if (!*v || *end || errno || v[0] == '-' || x > max)
		return fail(L, n, "%s must be a whole number from 0 to %lu, not '%s'",
			    what, max, v);
	*out = (unsigned long)x;
	return 0;
}

static int get_bool(struct loader *L, yaml_node_t *n, const char *what,
		    bool *out)
{
	const char *v;
	int ret = get_string(L, n, what, &v);

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
	return fail(L, n, "%s must be true or false, not '%s'", what, v);
}

/* "99%", "99.5%", or a ratio "0.99". */
static int get_ratio(struct loader *L, yaml_node_t *n, const char *what,
		     double *out)
{
	const char *v;
	char *end;
	int ret = get_string(L, n, what, &v);

	if (ret)
		return ret;
	errno = 0;
	double d = strtod(v, &end);
	if (end == v || errno || d < 0)
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
		return fail(L, n, "%s '%s' needs a '%%' (write '%s%%') or a ratio "
			    "from 0 to 1", what, v, v);
bad:
	return fail(L, n, "%s must be a percentage (99%%, 99.9%%) or a ratio from "
		    "0 to 1, not '%s'", what, v);
}

static int get_signal(struct loader *L, yaml_node_t *n, const char *what,
		      int *out)
{
	const char *v;
	int ret = get_string(L, n, what, &v);

	if (ret)
		return ret;
	*out = fr_signal_from_name(v);
	if (!*out)
		return fail(L, n, "%s: unknown signal '%s' (SIGTERM, SIGINT, SIGKILL, "
			    "SIGHUP, SIGUSR1, ...)", what, v);
	return 0;
}

/* A command: "string" (run with sh -c) or [argv, ...]. */
static int get_cmd(struct loader *L, yaml_node_t *n, const char *what,
		   struct fr_cmd *cmd)
{
	struct fr_arena *a = L->s->arena;
	int ret;

	cmd->mark = fr_node_mark(L->file, n);
	if (n->type == YAML_SCALAR_NODE) {
		cmd->shell = true;
		cmd->argc = 1;
		cmd->argv = fr_arena_alloc(a, sizeof(struct fr_str));
		ret = get_fstr(L, n, what, &cmd->argv[0]);
		if (!ret && !*cmd->argv[0].raw)
			return fail(L, n, "%s is empty", what);
		return ret;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(L, n, "%s must be a string or a list of arguments, not %s",
			    what, type_name(n));
	cmd->argc = seq_len(n);
	if (!cmd->argc)
		return fail(L, n, "%s is empty", what);
	cmd->argv = fr_arena_alloc(a, cmd->argc * sizeof(struct fr_str));
	for (size_t i = 0; i < cmd->argc; i++) {
		ret = get_fstr(L, seq_item(L, n, i), "an argument", &cmd->argv[i]);
		if (ret)
			return ret;
	}
	return 0;
}

static int get_name(struct loader *L, yaml_node_t *k, const char *what,
		    const char **out)
{
	int ret = get_string(L, k, what, out);

	if (ret)
		return ret;
	if (!valid_ident(*out))
		return fail(L, k, "%s '%s': use letters, digits, '-' and '_'", what,
			    *out);
	if (strlen(*out) >= FR_NAME_MAX)
		return fail(L, k, "%s '%s' is too long (at most %d characters)", what,
			    *out, FR_NAME_MAX - 1);
	return 0;
}

/* ---- http -------------------------------------------------------------- */

static int get_status(struct loader *L, yaml_node_t *n, struct fr_status_set *st)
{
	size_t count = n->type == YAML_SEQUENCE_NODE ? seq_len(n) : 1;

	st->n = 0;
	if (n->type == YAML_MAPPING_NODE)
		return fail(L, n, "status must be a code (200), a class (2xx), a range "
			    "(200-299) or a list of them");
	if (count > 8)
		return fail(L, n, "at most 8 statuses");
	for (size_t i = 0; i < count; i++) {
		yaml_node_t *it = n->type == YAML_SEQUENCE_NODE ? seq_item(L, n, i) : n;
		const char *v;
		int ret = get_string(L, it, "status", &v);
		int lo, hi;
		char c, extra;
		if (ret)
			return ret;
		if (strlen(v) == 3 && v[0] >= '1' && v[0] <= '5' &&
		    (v[1] == 'x' || v[1] == 'X') && (v[2] == 'x' || v[2] == 'X')) {
			lo = (v[0] - '0') * 100;
			hi = lo + 99;
		} else if (sscanf(v, "%d-%d%c", &lo, &hi, &extra) == 2) {
			;
		} else if (sscanf(v, "%d%c", &lo, &c) == 1) {
			hi = lo;
		} else {
			return fail(L, it, "status '%s': expected a code (200), a class "
				    "(2xx) or a range (200-299)", v);
		}
		if (lo < 100 || hi > 599 || lo > hi)
			return fail(L, it, "status '%s' is not an HTTP status (100-599)", v);
		st->r[st->n].lo = lo;
		st->r[st->n].hi = hi;
		st->n++;
	}
	return 0;
}

static void default_status(struct fr_status_set *st)
{
	st->n = 1;
	st->r[0].lo = 200;
	st->r[0].hi = 399;
}

static int check_regex(struct loader *L, yaml_node_t *n, const char *re)
{
	regex_t rx;
	int rc = regcomp(&rx, re, REG_EXTENDED | REG_NOSUB);

	if (rc) {
		char msg[128];
		regerror(rc, &rx, msg, sizeof(msg));
		return fail(L, n, "bad pattern '%s': %s", re, msg);
	}
	regfree(&rx);
	return 0;
}

static const char *const http_keys[] = {
	"url", "method", "headers", "body", "status", "body-match",
};

/*
 * An HTTP request: a URL, or a mapping of http_keys plus the caller's
 * extra keys (checked here, read by the caller).
 */
static int parse_http(struct loader *L, yaml_node_t *n, const char *what,
		      const char *const *extra, size_t nextra, struct fr_http *h)
{
	const char *keys[32];
	size_t nkeys = 0;
	yaml_node_t *v;
	int ret;

	default_status(&h->status);
	if (n->type == YAML_SCALAR_NODE)
		return get_fstr(L, n, "url", &h->url);
	if ((ret = want_map(L, n, what)))
		return ret;
	for (size_t i = 0; i < NKEYS(http_keys); i++)
		keys[nkeys++] = http_keys[i];
	for (size_t i = 0; i < nextra && nkeys < 32; i++)
		keys[nkeys++] = extra[i];
	if ((ret = check_keys(L, n, keys, nkeys, what)))
		return ret;
	if (!(v = get(L, n, "url")))
		return fail(L, n, "%s has no 'url'", what);
	if ((ret = get_fstr(L, v, "url", &h->url)))
		return ret;
	if ((v = get(L, n, "method"))) {
		if ((ret = get_fstr(L, v, "method", &h->method)))
			return ret;
	}
	if ((v = get(L, n, "body")) && (ret = get_fstr(L, v, "body", &h->body)))
		return ret;
	if ((v = get(L, n, "status")) && (ret = get_status(L, v, &h->status)))
		return ret;
	if ((v = get(L, n, "body-match"))) {
		if ((ret = get_fstr(L, v, "body-match", &h->body_match)))
			return ret;
		if ((ret = check_regex(L, v, h->body_match.raw)))
			return ret;
	}
	if ((v = get(L, n, "headers"))) {
		if ((ret = want_map(L, v, "headers")) ||
		    (ret = check_keys(L, v, NULL, 0, "headers")))
			return ret;
		h->nheaders = map_len(v);
		h->headers = fr_arena_alloc(L->s->arena,
					    h->nheaders * sizeof(struct fr_kv));
		for (size_t i = 0; i < h->nheaders; i++) {
			h->headers[i].key = fr_arena_strdup(L->s->arena, scalar(pair_key(L, v, i)));
			if ((ret = get_fstr(L, pair_value(L, v, i), "a header",
					    &h->headers[i].value)))
				return ret;
		}
	}
	return 0;
}

/* ---- checks (probes and readiness) ------------------------------------- */

static const char *const check_keys_list[] = {
	"http", "tcp", "exec", "log", "target", "mysql",
};

static const char *const mysql_conn_keys[] = {
	"service", "host", "port", "socket", "user", "password", "database",
	"admin", "connect-timeout", "read-timeout", "write-timeout",
};

static int parse_mysql_conn(struct loader *L, yaml_node_t *map,
			    struct fr_mysql_conn *c)
{
	yaml_node_t *v;
	int ret;

	/* faultrun's own account, so that 'kill: target' spares it */
	c->admin = true;
	c->connect_timeout_ns = DEFAULT_MYSQL_TIMEOUT_NS;
	c->read_timeout_ns = DEFAULT_MYSQL_TIMEOUT_NS;
	c->write_timeout_ns = DEFAULT_MYSQL_TIMEOUT_NS;
	if ((v = get(L, map, "service"))) {
		if ((ret = get_string(L, v, "service", &c->service)))
			return ret;
		bool found = false;
		const char *cands[32];
		size_t nc = 0;
		for (size_t i = 0; i < L->s->nservices; i++) {
			found |= strcmp(L->s->services[i].name, c->service) == 0;
			if (nc < 32)
				cands[nc++] = L->s->services[i].name;
		}
		if (!found) {
			const char *near = fr_nearest(c->service, cands, nc);
			return fail(L, v, "unknown service '%s'%s%s%s", c->service,
				    near ? " (did you mean '" : "", near ? near : "",
				    near ? "'?)" : "");
		}
	}
	struct {
		const char *key;
		struct fr_str *dst;
	} strs[] = {
		{ "host", &c->host },	      { "port", &c->port },
		{ "socket", &c->socket },     { "user", &c->user },
		{ "password", &c->password }, { "database", &c->database },
	};
	for (size_t i = 0; i < NKEYS(strs); i++)
		if ((v = get(L, map, strs[i].key)) &&
		    (ret = get_fstr(L, v, strs[i].key, strs[i].dst)))
			return ret;
	if (!c->service && !c->host.raw && !c->socket.raw)
		return fail(L, map, "no server: give 'service' (a database from "
			    "'services') or 'host'/'socket'");
	if ((v = get(L, map, "admin")) && (ret = get_bool(L, v, "admin", &c->admin)))
		return ret;
	if ((v = get(L, map, "connect-timeout")) &&
	    (ret = get_positive_duration(L, v, "connect-timeout",
					 &c->connect_timeout_ns)))
		return ret;
	if ((v = get(L, map, "read-timeout")) &&
	    (ret = get_positive_duration(L, v, "read-timeout", &c->read_timeout_ns)))
		return ret;
	if ((v = get(L, map, "write-timeout")) &&
	    (ret = get_positive_duration(L, v, "write-timeout",
					 &c->write_timeout_ns)))
		return ret;
	return 0;
}

/*
 * The check of a probe or readiness mapping: exactly one of
 * check_keys_list. The mapping's other keys are the caller's.
 */
static int parse_check(struct loader *L, yaml_node_t *map, const char *what,
		       struct fr_check *c)
{
	yaml_node_t *found = NULL, *v;
	int kind = -1, ret;

	for (size_t i = 0; i < NKEYS(check_keys_list); i++) {
		yaml_node_t *x = get(L, map, check_keys_list[i]);
		if (!x)
			continue;
		if (found)
			return fail(L, get_key(L, map, check_keys_list[i]),
				    "%s has both '%s' and '%s': give one check",
				    what, check_keys_list[kind], check_keys_list[i]);
		found = x;
		kind = (int)i;
	}
	if (!found)
		return fail(L, map, "%s has no check: give one of http, tcp, exec, "
			    "log, target, mysql", what);
	c->kind = (enum fr_check_kind)kind;
	c->mark = fr_node_mark(L->file, get_key(L, map, check_keys_list[kind]));
	v = found;
	switch (c->kind) {
	case FR_CHECK_HTTP:
		return parse_http(L, v, "http", NULL, 0, &c->http);
	case FR_CHECK_TCP:
		ret = get_fstr(L, v, "tcp", &c->tcp);
		if (!ret && !strrchr(c->tcp.raw, ':'))
			return fail(L, v, "tcp '%s': expected HOST:PORT", c->tcp.raw);
		return ret;
	case FR_CHECK_EXEC:
		c->exec.status = 0;
		if (v->type == YAML_MAPPING_NODE) {
			static const char *const keys[] = { "command", "status" };
			yaml_node_t *x;
			unsigned long st;
			if ((ret = check_keys(L, v, keys, NKEYS(keys), "exec")))
				return ret;
			if (!(x = get(L, v, "command")))
				return fail(L, v, "exec has no 'command'");
			if ((ret = get_cmd(L, x, "command", &c->exec.cmd)))
				return ret;
			if ((x = get(L, v, "status"))) {
				if ((ret = get_uint(L, x, "status", 255, &st)))
					return ret;
				c->exec.status = (int)st;
			}
			return 0;
		}
		return get_cmd(L, v, "exec", &c->exec.cmd);
	case FR_CHECK_LOG:
		if (v->type == YAML_SCALAR_NODE) {
			if ((ret = get_fstr(L, v, "pattern", &c->log.pattern)))
				return ret;
			return check_regex(L, v, c->log.pattern.raw);
		} else {
			static const char *const keys[] = { "file", "pattern", "expect" };
			yaml_node_t *x;
			if ((ret = want_map(L, v, "log")) ||
			    (ret = check_keys(L, v, keys, NKEYS(keys), "log")))
				return ret;
			if ((x = get(L, v, "file")) &&
			    (ret = get_fstr(L, x, "file", &c->log.file)))
				return ret;
			if (!(x = get(L, v, "pattern")))
				return fail(L, v, "log has no 'pattern'");
			if ((ret = get_fstr(L, x, "pattern", &c->log.pattern)) ||
			    (ret = check_regex(L, x, c->log.pattern.raw)))
				return ret;
			if ((x = get(L, v, "expect"))) {
				const char *e;
				if ((ret = get_string(L, x, "expect", &e)))
					return ret;
				if (strcmp(e, "seen") == 0)
					c->log.absent = false;
				else if (strcmp(e, "absent") == 0)
					c->log.absent = true;
				else
					return fail(L, x, "log expect must be 'seen' (ok once "
						    "a line matched) or 'absent' (ok while no "
						    "new line matches), not '%s'", e);
			}
		}
		return 0;
	case FR_CHECK_TARGET: {
		const char *t;
		if ((ret = get_string(L, v, "target", &t)))
			return ret;
		if (strcmp(t, "alive") == 0)
			c->target = FR_TARGET_ALIVE;
		else if (strcmp(t, "ready") == 0)
			c->target = FR_TARGET_READY;
		else
			return fail(L, v, "target check must be 'alive' or 'ready', not "
				    "'%s'", t);
		return 0;
	}
	case FR_CHECK_MYSQL: {
		const char *keys[NKEYS(mysql_conn_keys) + 2];
		size_t nk = 0;
		yaml_node_t *x;
		if ((ret = want_map(L, v, "mysql")))
			return ret;
		for (size_t i = 0; i < NKEYS(mysql_conn_keys); i++)
			keys[nk++] = mysql_conn_keys[i];
		keys[nk++] = "query";
		keys[nk++] = "expect";
		if ((ret = check_keys(L, v, keys, nk, "mysql")) ||
		    (ret = parse_mysql_conn(L, v, &c->mysql.conn)))
			return ret;
		if ((x = get(L, v, "query"))) {
			if ((ret = get_fstr(L, x, "query", &c->mysql.query)))
				return ret;
		} else {
			c->mysql.query.raw = c->mysql.query.val = "SELECT 1";
		}
		if ((x = get(L, v, "expect")) &&
		    (ret = get_fstr(L, x, "expect", &c->mysql.expect)))
			return ret;
		return 0;
	}
	case FR_CHECK_COUNT:
		break;
	}
	return 0;
}

/* ---- sections ---------------------------------------------------------- */

static int parse_vars(struct loader *L, yaml_node_t *n)
{
	struct fr_scenario *s = L->s;
	int ret;

	if ((ret = want_map(L, n, "vars")) ||
	    (ret = check_keys(L, n, NULL, 0, "vars")))
		return ret;
	s->nvars = map_len(n);
	s->vars = fr_arena_alloc(s->arena, (s->nvars + 1) * sizeof(*s->vars));
	for (size_t i = 0; i < s->nvars; i++) {
		struct fr_var *var = &s->vars[i];
		yaml_node_t *k = pair_key(L, n, i), *v = pair_value(L, n, i);
		if ((ret = get_name(L, k, "var name", &var->name)))
			return ret;
		var->mark = fr_node_mark(L->file, v);
		if (v->type == YAML_MAPPING_NODE) {
			static const char *const keys[] = { "default", "choices",
							    "description" };
			char what[96];
			yaml_node_t *x;
			snprintf(what, sizeof(what), "var '%s'", var->name);
			if ((ret = check_keys(L, v, keys, NKEYS(keys), what)))
				return ret;
			if (!(x = get(L, v, "default")))
				return fail(L, v, "var '%s' has no 'default'", var->name);
			if ((ret = expand_load(L, x, true, &var->def, NULL)))
				return ret;
			if ((x = get(L, v, "description")) &&
			    (ret = get_string(L, x, "description", &var->description)))
				return ret;
			if ((x = get(L, v, "choices"))) {
				if ((ret = want_seq(L, x, "choices")))
					return ret;
				var->nchoices = seq_len(x);
				var->choices = fr_arena_alloc(s->arena, (var->nchoices + 1) *
							      sizeof(char *));
				for (size_t j = 0; j < var->nchoices; j++)
					if ((ret = get_string(L, seq_item(L, x, j), "a choice",
							      &var->choices[j])))
						return ret;
				bool ok = false;
				for (size_t j = 0; j < var->nchoices; j++)
					ok |= strcmp(var->choices[j], var->def) == 0;
				if (!ok)
					return fail(L, get(L, v, "default"),
						    "default '%s' is not one of the choices",
						    var->def);
			}
		} else if (v->type == YAML_SCALAR_NODE) {
			if ((ret = expand_load(L, v, true, &var->def, NULL)))
				return ret;
		} else {
			return fail(L, v, "var '%s' must be a value or a mapping with "
				    "'default', not %s", var->name, type_name(v));
		}
		var->value = var->def;
		for (size_t j = 0; j < L->novr; j++) {
			if (strcmp(L->ovr[j].key, var->name))
				continue;
			L->ovr[j].used = true;
			var->value = fr_arena_strdup(s->arena, L->ovr[j].value);
		}
		if (var->nchoices && var->value != var->def) {
			bool ok = false;
			for (size_t j = 0; j < var->nchoices; j++)
				ok |= strcmp(var->choices[j], var->value) == 0;
			if (!ok) {
				const char *near = fr_nearest(var->value, var->choices,
							      var->nchoices);
				char list[256];
				size_t off = 0;
				list[0] = 0;
				for (size_t j = 0; j < var->nchoices && off < sizeof(list); j++)
					off += (size_t)snprintf(list + off, sizeof(list) - off,
								"%s%s", j ? ", " : "",
								var->choices[j]);
				snprintf(L->err, L->errlen,
					 "faultrun: --set %s=%s: expected one of %s%s%s%s "
					 "(%s:%d:%d)",
					 var->name, var->value, list,
					 near ? " (did you mean '" : "", near ? near : "",
					 near ? "'?)" : "", L->file, var->mark.line,
					 var->mark.col);
				return -EINVAL;
			}
		}
	}
	return 0;
}

static int parse_services(struct loader *L, yaml_node_t *n)
{
	static const char *const keys[] = {
		"type", "host", "port", "socket", "user", "password", "database",
	};
	struct fr_scenario *s = L->s;
	int ret;

	if ((ret = want_map(L, n, "services")) ||
	    (ret = check_keys(L, n, NULL, 0, "services")))
		return ret;
	s->nservices = map_len(n);
	s->services = fr_arena_alloc(s->arena, (s->nservices + 1) *
				     sizeof(*s->services));
	for (size_t i = 0; i < s->nservices; i++) {
		struct fr_service *sv = &s->services[i];
		yaml_node_t *k = pair_key(L, n, i), *v = pair_value(L, n, i), *x;
		char what[96];
		const char *type;
		if ((ret = get_name(L, k, "service name", &sv->name)))
			return ret;
		snprintf(what, sizeof(what), "service '%s'", sv->name);
		sv->mark = fr_node_mark(L->file, k);
		if ((ret = want_map(L, v, what)) ||
		    (ret = check_keys(L, v, keys, NKEYS(keys), what)))
			return ret;
		if (!(x = get(L, v, "type")))
			return fail(L, v, "%s has no 'type' (mariadb)", what);
		if ((ret = get_string(L, x, "type", &type)))
			return ret;
		if (strcmp(type, "mariadb") == 0 || strcmp(type, "mysql") == 0) {
			sv->type = FR_SERVICE_MARIADB;
		} else {
			static const char *const types[] = { "mariadb", "mysql" };
			const char *near = fr_nearest(type, types, 2);
			return fail(L, x, "unknown service type '%s'%s%s%s (known: mariadb)",
				    type, near ? " (did you mean '" : "",
				    near ? near : "", near ? "'?)" : "");
		}
		struct {
			const char *key;
			struct fr_str *dst;
		} strs[] = {
			{ "host", &sv->host },	       { "port", &sv->port },
			{ "socket", &sv->socket },     { "user", &sv->user },
			{ "password", &sv->password }, { "database", &sv->database },
		};
		for (size_t j = 0; j < NKEYS(strs); j++)
			if ((x = get(L, v, strs[j].key)) &&
			    (ret = get_fstr(L, x, strs[j].key, strs[j].dst)))
				return ret;
		sv->external = sv->host.raw || sv->socket.raw;
		if (!sv->external && (sv->port.raw || sv->user.raw ||
				      sv->password.raw || sv->database.raw))
			return fail(L, v, "%s: 'port', 'user', 'password' and 'database' "
				    "describe an existing server; give its 'host' or "
				    "'socket' too (or none of them for an embedded one)",
				    what);
	}
	return 0;
}

static int parse_ready(struct loader *L, yaml_node_t *n, struct fr_ready *r)
{
	static const char *const keys[] = {
		"http", "tcp", "exec", "log", "target", "mysql",
		"deadline", "interval", "timeout",
	};
	yaml_node_t *x;
	int ret;

	r->present = true;
	r->deadline_ns = DEFAULT_READY_DEADLINE_NS;
	r->interval_ns = DEFAULT_READY_INTERVAL_NS;
	r->timeout_ns = DEFAULT_TIMEOUT_NS;
	if ((ret = want_map(L, n, "ready")) ||
	    (ret = check_keys(L, n, keys, NKEYS(keys), "ready")) ||
	    (ret = parse_check(L, n, "ready", &r->check)))
		return ret;
	if (r->check.kind == FR_CHECK_TARGET)
		return fail(L, get_key(L, n, "target"),
			    "a readiness check cannot be 'target' (use http, tcp, "
			    "exec, log or mysql)");
	if ((x = get(L, n, "deadline")) &&
	    (ret = get_positive_duration(L, x, "deadline", &r->deadline_ns)))
		return ret;
	if ((x = get(L, n, "interval")) &&
	    (ret = get_positive_duration(L, x, "interval", &r->interval_ns)))
		return ret;
	if ((x = get(L, n, "timeout")) &&
	    (ret = get_positive_duration(L, x, "timeout", &r->timeout_ns)))
		return ret;
	return 0;
}

static int parse_target(struct loader *L, yaml_node_t *n)
{
	static const char *const keys[] = {
		"command", "env", "cwd", "ready", "restart", "stop", "shim",
	};
	struct fr_target *t = &L->s->target;
	yaml_node_t *x;
	int ret;

	t->mark = fr_node_mark(L->file, n);
	t->stop_signal = 15;
	t->grace_ns = DEFAULT_GRACE_NS;
	t->backoff_ns = DEFAULT_BACKOFF_NS;
	t->max_backoff_ns = DEFAULT_MAX_BACKOFF_NS;
	t->shim = true;
	if ((ret = want_map(L, n, "target")) ||
	    (ret = check_keys(L, n, keys, NKEYS(keys), "target")))
		return ret;
	if (!(x = get(L, n, "command")))
		return fail(L, n, "target has no 'command'");
	if ((ret = get_cmd(L, x, "command", &t->command)))
		return ret;
	if ((x = get(L, n, "env"))) {
		if ((ret = want_map(L, x, "env")) ||
		    (ret = check_keys(L, x, NULL, 0, "env")))
			return ret;
		t->nenv = map_len(x);
		t->env = fr_arena_alloc(L->s->arena, (t->nenv + 1) * sizeof(*t->env));
		for (size_t i = 0; i < t->nenv; i++) {
			yaml_node_t *k = pair_key(L, x, i);
			t->env[i].key = fr_arena_strdup(L->s->arena, scalar(k));
			if (!*t->env[i].key || strchr(t->env[i].key, '='))
				return fail(L, k, "bad environment variable name '%s'",
					    t->env[i].key);
			if ((ret = get_fstr(L, pair_value(L, x, i), "an env value",
					    &t->env[i].value)))
				return ret;
		}
	}
	if ((x = get(L, n, "cwd")) && (ret = get_fstr(L, x, "cwd", &t->cwd)))
		return ret;
	if ((x = get(L, n, "shim")) && (ret = get_bool(L, x, "shim", &t->shim)))
		return ret;
	if ((x = get(L, n, "ready")) && (ret = parse_ready(L, x, &t->ready)))
		return ret;
	if ((x = get(L, n, "restart"))) {
		static const char *const rkeys[] = { "policy", "backoff",
						     "max-backoff", "limit" };
		yaml_node_t *pol = x, *y;
		const char *p;
		if (x->type == YAML_MAPPING_NODE) {
			if ((ret = check_keys(L, x, rkeys, NKEYS(rkeys), "restart")))
				return ret;
			if (!(pol = get(L, x, "policy")))
				return fail(L, x, "restart has no 'policy' (never, "
					    "on-failure, always)");
		}
		if ((ret = get_string(L, pol, "restart policy", &p)))
			return ret;
		if (strcmp(p, "never") == 0) {
			t->restart = FR_RESTART_NEVER;
		} else if (strcmp(p, "on-failure") == 0) {
			t->restart = FR_RESTART_ON_FAILURE;
		} else if (strcmp(p, "always") == 0) {
			t->restart = FR_RESTART_ALWAYS;
		} else {
			static const char *const pols[] = { "never", "on-failure",
							    "always" };
			const char *near = fr_nearest(p, pols, 3);
			return fail(L, pol, "unknown restart policy '%s'%s%s%s (never, "
				    "on-failure, always)", p,
				    near ? " (did you mean '" : "", near ? near : "",
				    near ? "'?)" : "");
		}
		if (x->type == YAML_MAPPING_NODE) {
			unsigned long lim;
			if ((y = get(L, x, "backoff")) &&
			    (ret = get_duration(L, y, "backoff", &t->backoff_ns)))
				return ret;
			if ((y = get(L, x, "max-backoff")) &&
			    (ret = get_duration(L, y, "max-backoff",
						&t->max_backoff_ns)))
				return ret;
			if (t->max_backoff_ns < t->backoff_ns)
				t->max_backoff_ns = t->backoff_ns;
			if ((y = get(L, x, "limit"))) {
				if ((ret = get_uint(L, y, "limit", 1000000, &lim)))
					return ret;
				t->restart_limit = (unsigned)lim;
			}
		}
	}
	if ((x = get(L, n, "stop"))) {
		static const char *const skeys[] = { "signal", "grace" };
		yaml_node_t *y;
		if ((ret = want_map(L, x, "stop")) ||
		    (ret = check_keys(L, x, skeys, NKEYS(skeys), "stop")))
			return ret;
		if ((y = get(L, x, "signal")) &&
		    (ret = get_signal(L, y, "stop signal", &t->stop_signal)))
			return ret;
		if ((y = get(L, x, "grace")) &&
		    (ret = get_duration(L, y, "grace", &t->grace_ns)))
			return ret;
	}
	return 0;
}

static int parse_faults(struct loader *L, yaml_node_t *n)
{
	struct fr_scenario *s = L->s;
	int ret;

	if ((ret = want_map(L, n, "faults")) ||
	    (ret = check_keys(L, n, NULL, 0, "faults")))
		return ret;
	s->nfaults = map_len(n);
	if (s->nfaults > FR_MAX_RULES)
		return fail(L, n, "at most %d faults", FR_MAX_RULES);
	s->faults = fr_arena_alloc(s->arena, (s->nfaults + 1) * sizeof(*s->faults));
	for (size_t i = 0; i < s->nfaults; i++) {
		struct fr_fault *f = &s->faults[i];
		yaml_node_t *k = pair_key(L, n, i), *v = pair_value(L, n, i);
		if ((ret = get_name(L, k, "fault name", &f->name)))
			return ret;
		f->mark = fr_node_mark(L->file, v);
		if (v->type == YAML_SCALAR_NODE) {
			if ((ret = get_fstr(L, v, "fault", &f->spec)))
				return ret;
			continue;
		}
		if (v->type != YAML_MAPPING_NODE)
			return fail(L, v, "fault '%s' must be a SPEC string or a mapping "
				    "of fields, not %s", f->name, type_name(v));
		char what[96];
		snprintf(what, sizeof(what), "fault '%s'", f->name);
		if ((ret = check_keys(L, v, NULL, 0, what)))
			return ret;
		f->fields = fr_arena_alloc(s->arena, (map_len(v) + 1) *
					   sizeof(struct fr_kv));
		for (size_t j = 0; j < map_len(v); j++) {
			yaml_node_t *fk = pair_key(L, v, j), *fv = pair_value(L, v, j);
			const char *key = scalar(fk);
			if (strcmp(key, "may-not-fire") == 0) {
				if ((ret = get_bool(L, fv, "may-not-fire",
						    &f->may_not_fire)))
					return ret;
				continue;
			}
			if (strcmp(key, "name") == 0)
				return fail(L, fk, "a fault's name is its key ('%s'); "
					    "remove 'name'", f->name);
			struct fr_kv *kv = &f->fields[f->nfields++];
			kv->key = fr_arena_strdup(s->arena, key);
			if (fv->type == YAML_SEQUENCE_NODE &&
			    (!strcmp(key, "op") || !strcmp(key, "ops"))) {
				/* ops: [write, fsync] */
				char buf[256];
				size_t off = 0;
				buf[0] = 0;
				for (size_t q = 0; q < seq_len(fv); q++) {
					const char *o;
					if ((ret = get_string(L, seq_item(L, fv, q), "an op", &o)))
						return ret;
					off += (size_t)snprintf(buf + off, sizeof(buf) - off,
								"%s%s", q ? "," : "", o);
					if (off >= sizeof(buf))
						return fail(L, fv, "too many ops");
				}
				kv->value.raw = kv->value.val = fr_arena_strdup(s->arena, buf);
				kv->value.mark = fr_node_mark(L->file, fv);
				continue;
			}
			if ((ret = get_fstr(L, fv, key, &kv->value)))
				return ret;
			/* key marks go in the key's place for field errors */
			kv->value.mark = fr_node_mark(L->file, fk);
		}
		/* check field names now so 'check' reports them early */
		for (size_t j = 0; j < f->nfields; j++) {
			struct fr_rule r;
			char e[256];
			fr_rule_init(&r);
			if (fr_rule_set(&r, f->fields[j].key, "x", e, sizeof(e)) < 0 &&
			    strncmp(e, "unknown field", 13) == 0)
				return fr_errorf(L->err, L->errlen, f->fields[j].value.mark,
						 "%s: %s", what, e);
		}
	}
	return 0;
}

static int parse_probes(struct loader *L, yaml_node_t *n)
{
	static const char *const keys[] = {
		"http", "tcp", "exec", "log", "target", "mysql",
		"interval", "timeout", "lb",
	};
	struct fr_scenario *s = L->s;
	int ret;

	if ((ret = want_map(L, n, "probes")) ||
	    (ret = check_keys(L, n, NULL, 0, "probes")))
		return ret;
	s->nprobes = map_len(n);
	s->probes = fr_arena_alloc(s->arena, (s->nprobes + 1) * sizeof(*s->probes));
	for (size_t i = 0; i < s->nprobes; i++) {
		struct fr_probe *p = &s->probes[i];
		yaml_node_t *k = pair_key(L, n, i), *v = pair_value(L, n, i), *x;
		char what[96];
		if ((ret = get_name(L, k, "probe name", &p->name)))
			return ret;
		snprintf(what, sizeof(what), "probe '%s'", p->name);
		p->mark = fr_node_mark(L->file, k);
		p->interval_ns = DEFAULT_INTERVAL_NS;
		p->timeout_ns = DEFAULT_TIMEOUT_NS;
		if ((ret = want_map(L, v, what)) ||
		    (ret = check_keys(L, v, keys, NKEYS(keys), what)) ||
		    (ret = parse_check(L, v, what, &p->check)))
			return ret;
		if ((x = get(L, v, "interval")) &&
		    (ret = get_positive_duration(L, x, "interval", &p->interval_ns)))
			return ret;
		if ((x = get(L, v, "timeout")) &&
		    (ret = get_positive_duration(L, x, "timeout", &p->timeout_ns)))
			return ret;
		if (p->interval_ns < 1000000)
			return fail(L, get(L, v, "interval"),
				    "interval must be at least 1ms");
		if ((x = get(L, v, "lb"))) {
			static const char *const lkeys[] = {
				"healthy-threshold", "unhealthy-threshold", "initial",
			};
			yaml_node_t *y;
			unsigned long u;
			p->lb.on = true;
			p->lb.healthy = 2;
			p->lb.unhealthy = 3;
			p->lb.initial_in = true;
			if (is_null(x))
				continue;
			if ((ret = want_map(L, x, "lb")) ||
			    (ret = check_keys(L, x, lkeys, NKEYS(lkeys), "lb")))
				return ret;
			if ((y = get(L, x, "healthy-threshold"))) {
				if ((ret = get_uint(L, y, "healthy-threshold", 1000, &u)))
					return ret;
				if (!u)
					return fail(L, y, "healthy-threshold must be at least 1");
				p->lb.healthy = (unsigned)u;
			}
			if ((y = get(L, x, "unhealthy-threshold"))) {
				if ((ret = get_uint(L, y, "unhealthy-threshold", 1000, &u)))
					return ret;
				if (!u)
					return fail(L, y, "unhealthy-threshold must be at least 1");
				p->lb.unhealthy = (unsigned)u;
			}
			if ((y = get(L, x, "initial"))) {
				const char *iv;
				if ((ret = get_string(L, y, "initial", &iv)))
					return ret;
				if (strcmp(iv, "in") && strcmp(iv, "out"))
					return fail(L, y, "initial must be 'in' or 'out', not '%s'",
						    iv);
				p->lb.initial_in = iv[0] == 'i' && iv[1] == 'n';
			}
		}
	}
	return 0;
}

static int get_rate(struct loader *L, yaml_node_t *n, double *rate)
{
	const char *v;
	char *end;
	int ret = get_string(L, n, "rate", &v);

	if (ret)
		return ret;
	errno = 0;
	double d = strtod(v, &end);
	if (end == v || errno || d <= 0)
		goto bad;
	if (!*end || !strcmp(end, "/s")) {
		*rate = d;
	} else if (!strcmp(end, "/m") || !strcmp(end, "/min")) {
		*rate = d / 60.0;
	} else {
		goto bad;
	}
	if (*rate > 10000)
		return fail(L, n, "rate '%s' is above 10000/s", v);
	return 0;
bad:
	return fail(L, n, "rate must be requests per second ('20', '20/s', "
		    "'30/m'), not '%s'", v);
}

static int parse_load(struct loader *L, yaml_node_t *n)
{
	static const char *const extra[] = { "rate", "timeout", "max-in-flight" };
	struct fr_load *ld = &L->s->load;
	yaml_node_t *x;
	unsigned long u;
	int ret;

	ld->present = true;
	ld->mark = fr_node_mark(L->file, n);
	ld->timeout_ns = DEFAULT_TIMEOUT_NS;
	ld->max_in_flight = 64;
	if ((ret = want_map(L, n, "load")) ||
	    (ret = parse_http(L, n, "load", extra, NKEYS(extra), &ld->http)))
		return ret;
	if (!(x = get(L, n, "rate")))
		return fail(L, n, "load has no 'rate' (requests per second)");
	if ((ret = get_rate(L, x, &ld->rate)))
		return ret;
	if ((x = get(L, n, "timeout")) &&
	    (ret = get_positive_duration(L, x, "timeout", &ld->timeout_ns)))
		return ret;
	if ((x = get(L, n, "max-in-flight"))) {
		if ((ret = get_uint(L, x, "max-in-flight", 10000, &u)))
			return ret;
		if (!u)
			return fail(L, x, "max-in-flight must be at least 1");
		ld->max_in_flight = (unsigned)u;
	}
	return 0;
}

/* ---- series names ------------------------------------------------------ */

int fr_scenario_series(const struct fr_scenario *s, const char *name)
{
	for (size_t i = 0; i < s->nseries; i++)
		if (strcmp(s->series[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int add_series(struct loader *L, yaml_node_t *at, const char *name,
		      enum fr_series_kind kind, int index)
{
	struct fr_scenario *s = L->s;
	int i = fr_scenario_series(s, name);

	if (i >= 0) {
		if (kind == FR_SERIES_REQUEST && s->series[i].kind == FR_SERIES_REQUEST)
			return i; /* several request steps share a series */
		return fail(L, at, "'%s' is already the name of a %s", name,
			    s->series[i].kind == FR_SERIES_PROBE ? "probe" :
			    s->series[i].kind == FR_SERIES_LOAD ? "load" :
								  "request series");
	}
	/* series is sized for every probe + load + every step */
	s->series[s->nseries].name = name;
	s->series[s->nseries].kind = kind;
	s->series[s->nseries].index = index;
	return (int)s->nseries++;
}

static int find_fault(struct loader *L, yaml_node_t *at, const char *name)
{
	const char *cands[FR_MAX_RULES];

	for (size_t i = 0; i < L->s->nfaults; i++) {
		if (strcmp(L->s->faults[i].name, name) == 0)
			return (int)i;
		cands[i] = L->s->faults[i].name;
	}
	const char *near = fr_nearest(name, cands, L->s->nfaults);
	return fail(L, at, "unknown fault '%s'%s%s%s", name,
		    near ? " (did you mean '" : "", near ? near : "",
		    near ? "'?)" : "");
}

static int find_series(struct loader *L, yaml_node_t *at, const char *name)
{
	const char *cands[256];
	size_t nc = 0;
	int i = fr_scenario_series(L->s, name);

	if (i >= 0)
		return i;
	for (size_t j = 0; j < L->s->nseries && nc < 256; j++)
		cands[nc++] = L->s->series[j].name;
	const char *near = fr_nearest(name, cands, nc);
	return fail(L, at, "unknown probe '%s'%s%s%s", name,
		    near ? " (did you mean '" : "", near ? near : "",
		    near ? "'?)" : "");
}

/* ---- timeline ---------------------------------------------------------- */

static const char *const step_keys[] = {
	"at", "inject", "clear", "request", "signal", "restart", "run", "mysql",
	"end",
};

static int parse_mysql_step(struct loader *L, yaml_node_t *v, struct fr_step *st)
{
	const char *keys[NKEYS(mysql_conn_keys) + 6];
	size_t nk = 0;
	yaml_node_t *x, *which = NULL;
	int ret, nops = 0;

	if ((ret = want_map(L, v, "mysql")))
		return ret;
	for (size_t i = 0; i < NKEYS(mysql_conn_keys); i++)
		keys[nk++] = mysql_conn_keys[i];
	keys[nk++] = "sql";
	keys[nk++] = "hold";
	keys[nk++] = "lock";
	keys[nk++] = "kill";
	keys[nk++] = "for";
	if ((ret = check_keys(L, v, keys, nk, "mysql")) ||
	    (ret = parse_mysql_conn(L, v, &st->mysql.conn)))
		return ret;
	if ((x = get(L, v, "sql"))) {
		st->mysql.op = FR_MYSQL_SQL;
		which = x;
		nops++;
		if ((ret = get_fstr(L, x, "sql", &st->mysql.sql)))
			return ret;
	}
	if ((x = get(L, v, "hold"))) {
		unsigned long u;
		st->mysql.op = FR_MYSQL_HOLD;
		which = x;
		nops++;
		if ((ret = get_uint(L, x, "hold (connections)", 100000, &u)))
			return ret;
		if (!u)
			return fail(L, x, "hold must be at least 1 connection");
		st->mysql.connections = (unsigned)u;
	}
	if ((x = get(L, v, "lock"))) {
		st->mysql.op = FR_MYSQL_LOCK;
		which = x;
		nops++;
		if ((ret = get_fstr(L, x, "lock (SQL)", &st->mysql.sql)))
			return ret;
	}
	if ((x = get(L, v, "kill"))) {
		st->mysql.op = FR_MYSQL_KILL;
		which = x;
		nops++;
		if ((ret = get_fstr(L, x, "kill (user)", &st->mysql.kill_user)))
			return ret;
	}
	if (nops != 1)
		return fail(L, nops ? which : v, "a mysql step needs exactly one of "
			    "sql, hold, lock, kill");
	if ((x = get(L, v, "for"))) {
		if (st->mysql.op == FR_MYSQL_SQL || st->mysql.op == FR_MYSQL_KILL)
			return fail(L, x, "'for' applies to hold and lock only");
		if ((ret = get_positive_duration(L, x, "for", &st->mysql.for_ns)))
			return ret;
	}
	return 0;
}

static int parse_step(struct loader *L, yaml_node_t *n, struct fr_step *st,
		      size_t *extra_steps, struct fr_step *more)
{
	yaml_node_t *x, *act = NULL, *actkey = NULL;
	int ret;

	(void)more;
	*extra_steps = 0;
	st->mark = fr_node_mark(L->file, n);
	st->fault = -1;
	if ((ret = want_map(L, n, "a timeline step")) ||
	    (ret = check_keys(L, n, step_keys, NKEYS(step_keys), "a timeline step")))
		return ret;
	if (!(x = get(L, n, "at")))
		return fail(L, n, "a timeline step needs 'at' (a time from the "
			    "start of the run, like 5s)");
	if ((ret = get_duration(L, x, "at", &st->at_ns)))
		return ret;
	for (size_t i = 1; i < NKEYS(step_keys); i++) {
		yaml_node_t *y = get(L, n, step_keys[i]);
		if (!y)
			continue;
		if (act)
			return fail(L, get_key(L, n, step_keys[i]),
				    "a timeline step does one thing: it has both '%s' "
				    "and '%s'", scalar(actkey), step_keys[i]);
		act = y;
		actkey = get_key(L, n, step_keys[i]);
		st->kind = (enum fr_step_kind)(i - 1);
	}
	if (!act)
		return fail(L, n, "a timeline step needs an action: inject, clear, "
			    "request, signal, restart, run, mysql or end");
	st->mark = fr_node_mark(L->file, actkey);
	switch (st->kind) {
	case FR_STEP_INJECT:
	case FR_STEP_CLEAR: {
		const char *name;
		if ((ret = get_string(L, act, scalar(actkey), &name)))
			return ret;
		ret = find_fault(L, act, name);
		if (ret < 0)
			return ret;
		st->fault = ret;
		return 0;
	}
	case FR_STEP_REQUEST: {
		static const char *const extra[] = { "count", "concurrency",
						     "timeout", "name" };
		const char *name = "requests";
		unsigned long u;
		st->req.count = 1;
		st->req.concurrency = 0;
		st->req.timeout_ns = 10000000000ull;
		if ((ret = parse_http(L, act, "request", extra, NKEYS(extra),
				      &st->req.http)))
			return ret;
		if (act->type == YAML_MAPPING_NODE) {
			if ((x = get(L, act, "count"))) {
				if ((ret = get_uint(L, x, "count", 100000, &u)))
					return ret;
				if (!u)
					return fail(L, x, "count must be at least 1");
				st->req.count = (unsigned)u;
			}
			if ((x = get(L, act, "concurrency"))) {
				if ((ret = get_uint(L, x, "concurrency", 1000, &u)))
					return ret;
				st->req.concurrency = (unsigned)u;
			}
			if ((x = get(L, act, "timeout")) &&
			    (ret = get_positive_duration(L, x, "timeout",
							 &st->req.timeout_ns)))
				return ret;
			if ((x = get(L, act, "name")) &&
			    (ret = get_name(L, x, "name", &name)))
				return ret;
		}
		if (!st->req.concurrency || st->req.concurrency > st->req.count)
			st->req.concurrency = st->req.count;
		ret = add_series(L, act, name, FR_SERIES_REQUEST, -1);
		if (ret < 0)
			return ret;
		st->req.series = ret;
		return 0;
	}
	case FR_STEP_SIGNAL:
		return get_signal(L, act, "signal", &st->signo);
	case FR_STEP_RESTART: {
		const char *v;
		if ((ret = get_string(L, act, "restart", &v)))
			return ret;
		if (strcmp(v, "target") && strcmp(v, "true"))
			return fail(L, act, "restart takes 'target', not '%s'", v);
		return 0;
	}
	case FR_STEP_RUN:
		st->run.timeout_ns = DEFAULT_RUN_TIMEOUT_NS;
		if (act->type == YAML_MAPPING_NODE) {
			static const char *const rkeys[] = { "command", "timeout" };
			if ((ret = check_keys(L, act, rkeys, NKEYS(rkeys), "run")))
				return ret;
			if (!(x = get(L, act, "command")))
				return fail(L, act, "run has no 'command'");
			if ((ret = get_cmd(L, x, "command", &st->run.cmd)))
				return ret;
			if ((x = get(L, act, "timeout")) &&
			    (ret = get_positive_duration(L, x, "timeout",
							 &st->run.timeout_ns)))
				return ret;
			return 0;
		}
		return get_cmd(L, act, "run", &st->run.cmd);
	case FR_STEP_MYSQL:
		return parse_mysql_step(L, act, st);
	case FR_STEP_END: {
		bool b;
		if ((ret = get_bool(L, act, "end", &b)))
			return ret;
		if (!b)
			return fail(L, act, "end takes 'true'");
		return 0;
	}
	case FR_STEP_COUNT:
		break;
	}
	return 0;
}

static int cmp_steps(const void *a, const void *b)
{
	const struct fr_step *x = a, *y = b;

	if (x->at_ns != y->at_ns)
		return x->at_ns < y->at_ns ? -1 : 1;
	/* stable: the order in the file */
	if (x->mark.line != y->mark.line)
		return x->mark.line < y->mark.line ? -1 : 1;
	return x->mark.col < y->mark.col ? -1 : x->mark.col > y->mark.col;
}

static int parse_timeline(struct loader *L, yaml_node_t *n)
{
	struct fr_scenario *s = L->s;
	int ret;

	if ((ret = want_seq(L, n, "timeline")))
		return ret;
	s->nsteps = seq_len(n);
	s->steps = fr_arena_alloc(s->arena, (s->nsteps + 1) * sizeof(*s->steps));
	for (size_t i = 0; i < s->nsteps; i++) {
		size_t extra;
		if ((ret = parse_step(L, seq_item(L, n, i), &s->steps[i], &extra,
				      NULL)))
			return ret;
	}
	qsort(s->steps, s->nsteps, sizeof(*s->steps), cmp_steps);
	return 0;
}

/*
 * Replay the timeline's inject/clear steps: a fault is injected only when
 * clear, cleared only when injected, and nothing happens after the end.
 */
static int check_timeline(struct loader *L, yaml_node_t *top)
{
	struct fr_scenario *s = L->s;
	bool armed[FR_MAX_RULES] = { 0 };
	bool has_end = false;

	for (size_t i = 0; i < s->nsteps; i++) {
		struct fr_step *st = &s->steps[i];
		const char *name = st->fault >= 0 ? s->faults[st->fault].name : "";
		if (has_end)
			return fr_errorf(L->err, L->errlen, st->mark,
					 "this step comes after the timeline's 'end'");
		if (st->kind == FR_STEP_END) {
			if (s->duration_ns)
				return fr_errorf(L->err, L->errlen, st->mark,
						 "the scenario has both 'duration' and "
						 "a timeline 'end'; keep one");
			s->duration_ns = st->at_ns;
			has_end = true;
		} else if (s->duration_ns && st->at_ns >= s->duration_ns) {
			char d[32];
			fr_fmt_duration(d, sizeof(d), s->duration_ns);
			return fr_errorf(L->err, L->errlen, st->mark,
					 "this step is at or after the end of the run "
					 "(duration %s)", d);
		}
		if (st->kind == FR_STEP_INJECT) {
			if (armed[st->fault])
				return fr_errorf(L->err, L->errlen, st->mark,
						 "fault '%s' is already injected here",
						 name);
			armed[st->fault] = true;
		} else if (st->kind == FR_STEP_CLEAR) {
			if (!armed[st->fault])
				return fr_errorf(L->err, L->errlen, st->mark,
						 "fault '%s' is not injected here, "
						 "nothing to clear", name);
			armed[st->fault] = false;
		}
	}
	if (!s->duration_ns)
		return fail(L, top, "the run has no end: add 'duration: 30s' or a "
			    "timeline step with 'end: true'");
	return 0;
}

/* ---- expect ------------------------------------------------------------ */

static int parse_window(struct loader *L, yaml_node_t *n, struct fr_window *w)
{
	const char *v;
	char kind[16], fault[128], extra[64];
	int ret, got;

	if (n->type == YAML_MAPPING_NODE) {
		static const char *const wkeys[] = { "before", "during", "after",
						     "skip", "from", "to" };
		yaml_node_t *x, *which = NULL;
		int nk = 0;
		if ((ret = check_keys(L, n, wkeys, NKEYS(wkeys), "window")))
			return ret;
		for (int i = 0; i < 3; i++)
			if ((x = get(L, n, wkeys[i]))) {
				nk++;
				which = x;
				w->kind = (enum fr_window_kind)(FR_WIN_BEFORE + i);
			}
		if (nk > 1)
			return fail(L, n, "a window is one of before, during, after");
		if (nk) {
			const char *f;
			if ((ret = get_string(L, which, "fault", &f)))
				return ret;
			if ((ret = find_fault(L, which, f)) < 0)
				return ret;
			w->fault = ret;
			if ((x = get(L, n, "skip")) &&
			    (ret = get_duration(L, x, "skip", &w->skip_ns)))
				return ret;
			if (get(L, n, "from") || get(L, n, "to"))
				return fail(L, n, "'from'/'to' and before/during/after "
					    "do not mix");
		} else {
			w->kind = FR_WIN_RANGE;
			w->to_ns = UINT64_MAX;
			if (get(L, n, "skip"))
				return fail(L, get_key(L, n, "skip"),
					    "'skip' goes with before/during/after");
			if ((x = get(L, n, "from")) &&
			    (ret = get_duration(L, x, "from", &w->from_ns)))
				return ret;
			if ((x = get(L, n, "to"))) {
				const char *t;
				if ((ret = get_string(L, x, "to", &t)))
					return ret;
				if (strcmp(t, "end") &&
				    (ret = get_duration(L, x, "to", &w->to_ns)))
					return ret;
			}
			if (w->to_ns <= w->from_ns)
				return fail(L, n, "the window ends before it starts");
		}
		goto label;
	}
	if ((ret = get_string(L, n, "window", &v)))
		return ret;
	got = sscanf(v, "%15s %127s %63s", kind, fault, extra);
	if (got == 1 && strcmp(kind, "whole") == 0) {
		w->kind = FR_WIN_WHOLE;
		goto label;
	}
	if (got >= 2 && (!strcmp(kind, "before") || !strcmp(kind, "during") ||
			 !strcmp(kind, "after"))) {
		w->kind = kind[0] == 'b' ? FR_WIN_BEFORE :
			  kind[0] == 'd' ? FR_WIN_DURING : FR_WIN_AFTER;
		if ((ret = find_fault(L, n, fault)) < 0)
			return ret;
		w->fault = ret;
		if (got == 3) {
			if (extra[0] != '+' || fr_parse_duration(extra + 1, &w->skip_ns))
				return fail(L, n, "window '%s': after the fault name comes "
					    "'+DURATION' (skip the start), not '%s'", v,
					    extra);
		}
		goto label;
	}
	return fail(L, n, "window '%s': expected 'whole', 'before FAULT', "
		    "'during FAULT', 'after FAULT' (optionally '+1s' to skip the "
		    "start), or a mapping with from/to", v);
label:
	switch (w->kind) {
	case FR_WIN_WHOLE:
		w->label = "whole run";
		break;
	case FR_WIN_BEFORE:
	case FR_WIN_DURING:
	case FR_WIN_AFTER: {
		char skip[40] = "";
		if (w->skip_ns) {
			skip[0] = ' ';
			skip[1] = '+';
			fr_fmt_duration(skip + 2, sizeof(skip) - 2, w->skip_ns);
		}
		w->label = fr_arena_printf(L->s->arena, "%s %s%s",
					   w->kind == FR_WIN_BEFORE ? "before" :
					   w->kind == FR_WIN_DURING ? "during" : "after",
					   L->s->faults[w->fault].name, skip);
		break;
	}
	case FR_WIN_RANGE: {
		char a[32], b[32];
		fr_fmt_duration(a, sizeof(a), w->from_ns);
		if (w->to_ns == UINT64_MAX)
			snprintf(b, sizeof(b), "end");
		else
			fr_fmt_duration(b, sizeof(b), w->to_ns);
		w->label = fr_arena_printf(L->s->arena, "%s..%s", a, b);
		break;
	}
	}
	return 0;
}

static bool fault_injected(struct fr_scenario *s, int fault)
{
	for (size_t i = 0; i < s->nsteps; i++)
		if (s->steps[i].kind == FR_STEP_INJECT && s->steps[i].fault == fault)
			return true;
	return false;
}

static bool fault_cleared(struct fr_scenario *s, int fault)
{
	for (size_t i = 0; i < s->nsteps; i++)
		if (s->steps[i].kind == FR_STEP_CLEAR && s->steps[i].fault == fault)
			return true;
	return false;
}

static int get_bound(struct loader *L, yaml_node_t *x, const char *what,
		     long *out)
{
	unsigned long u;
	int ret = get_uint(L, x, what, 1000000000, &u);

	if (!ret)
		*out = (long)u;
	return ret;
}

/* The one-line name of an expectation, for the table and JUnit. */
static void set_label(struct fr_scenario *s, struct fr_expect *e,
		      const char *custom)
{
	const char *series = e->series >= 0 ? s->series[e->series].name : "";
	const char *fault = e->fault >= 0 ? s->faults[e->fault].name : "";
	const char *win = e->window.label ? e->window.label : "whole run";

	if (custom) {
		e->label = custom;
		return;
	}
	switch (e->kind) {
	case FR_EXP_AVAILABILITY:
		e->label = fr_arena_printf(s->arena, "availability of %s %s%s",
					   series, e->window.kind == FR_WIN_WHOLE ?
					   "over the " : "", win);
		break;
	case FR_EXP_LATENCY:
		e->label = fr_arena_printf(s->arena, "latency of %s %s%s", series,
					   e->window.kind == FR_WIN_WHOLE ?
					   "over the " : "", win);
		break;
	case FR_EXP_RECOVERS:
		e->label = fr_arena_printf(s->arena, "%s recovers after %s", series,
					   fault);
		break;
	case FR_EXP_DETECTS:
		e->label = fr_arena_printf(s->arena, "%s detects %s", series, fault);
		break;
	case FR_EXP_RESPONDS:
		e->label = fr_arena_printf(s->arena, "%s responds %s%s", series,
					   e->window.kind == FR_WIN_WHOLE ?
					   "over the " : "", win);
		break;
	case FR_EXP_OUT_OF_ROTATION:
		e->label = fr_arena_printf(s->arena, "%s out of rotation %s%s",
					   series, e->window.kind == FR_WIN_WHOLE ?
					   "over the " : "", win);
		break;
	case FR_EXP_RESTARTS:
		e->label = "target restarts";
		break;
	case FR_EXP_EXITS:
		e->label = "target exits";
		break;
	case FR_EXP_FIRED:
		e->label = fr_arena_printf(s->arena, "fault %s fired", fault);
		break;
	default:
		e->label = "?";
	}
}

static int parse_expect_item(struct loader *L, yaml_node_t *n,
			     struct fr_expect *e)
{
	static const char *const kinds[] = {
		"availability", "latency", "recovers-within", "detects-within",
		"responds-within", "out-of-rotation", "restarts", "exits", "fired",
	};
	struct fr_scenario *s = L->s;
	yaml_node_t *kn = NULL, *v = NULL, *x;
	int ret;

	e->series = -1;
	e->fault = -1;
	e->min = e->max = -1;
	if ((ret = want_map(L, n, "an expectation")))
		return ret;
	if (map_len(n) != 1) {
		if (map_len(n) == 0)
			return fail(L, n, "an empty expectation");
		return fail(L, pair_key(L, n, 1), "one expectation per list item "
			    "(start a new item with '-')");
	}
	if ((ret = check_keys(L, n, kinds, NKEYS(kinds), "expect")))
		return ret;
	kn = pair_key(L, n, 0);
	v = pair_value(L, n, 0);
	for (size_t i = 0; i < NKEYS(kinds); i++)
		if (strcmp(kinds[i], scalar(kn)) == 0)
			e->kind = (enum fr_expect_kind)i;
	e->mark = fr_node_mark(L->file, kn);

	/* short forms */
	if (v->type == YAML_SCALAR_NODE) {
		if (e->kind == FR_EXP_FIRED) {
			const char *f;
			if ((ret = get_string(L, v, "fault", &f)) ||
			    (ret = find_fault(L, v, f)) < 0)
				return ret;
			e->fault = ret;
			e->min = 1;
			goto done;
		}
		if (e->kind == FR_EXP_RESTARTS || e->kind == FR_EXP_EXITS) {
			if ((ret = get_bound(L, v, scalar(kn), &e->min)))
				return ret;
			e->max = e->min;
			goto done;
		}
		return fail(L, v, "%s takes a mapping (probe, window, ...)",
			    scalar(kn));
	}
	const char *const *keys;
	size_t nkeys;
	static const char *const avail_keys[] = { "probe", "window", "min", "name" };
	static const char *const lat_keys[] = { "probe", "window", "p50", "p90",
						"p95", "p99", "p99.9", "max", "name" };
	static const char *const rec_keys[] = { "probe", "fault", "within",
						"samples", "name" };
	static const char *const resp_keys[] = { "probe", "window", "within",
						 "name" };
	static const char *const oor_keys[] = { "probe", "window", "max", "name" };
	static const char *const count_keys[] = { "min", "max", "name" };
	static const char *const fired_keys[] = { "fault", "min", "max", "name" };
	switch (e->kind) {
	case FR_EXP_AVAILABILITY:
		keys = avail_keys, nkeys = NKEYS(avail_keys);
		break;
	case FR_EXP_LATENCY:
		keys = lat_keys, nkeys = NKEYS(lat_keys);
		break;
	case FR_EXP_RECOVERS:
	case FR_EXP_DETECTS:
		keys = rec_keys, nkeys = NKEYS(rec_keys);
		break;
	case FR_EXP_RESPONDS:
		keys = resp_keys, nkeys = NKEYS(resp_keys);
		break;
	case FR_EXP_OUT_OF_ROTATION:
		keys = oor_keys, nkeys = NKEYS(oor_keys);
		break;
	case FR_EXP_RESTARTS:
	case FR_EXP_EXITS:
		keys = count_keys, nkeys = NKEYS(count_keys);
		break;
	default:
		keys = fired_keys, nkeys = NKEYS(fired_keys);
		break;
	}
	if ((ret = want_map(L, v, scalar(kn))) ||
	    (ret = check_keys(L, v, keys, nkeys, scalar(kn))))
		return ret;
	const char *custom = NULL;
	if ((x = get(L, v, "name")) && (ret = get_string(L, x, "name", &custom)))
		return ret;

	bool has_probe = false;
	for (size_t i = 0; i < nkeys; i++)
		has_probe |= strcmp(keys[i], "probe") == 0;
	if (has_probe) {
		const char *p;
		if (!(x = get(L, v, "probe")))
			return fail(L, v, "%s needs 'probe'", scalar(kn));
		if ((ret = get_string(L, x, "probe", &p)) ||
		    (ret = find_series(L, x, p)) < 0)
			return ret;
		e->series = ret;
	}
	if ((x = get(L, v, "window"))) {
		if ((ret = parse_window(L, x, &e->window)))
			return ret;
		e->fault = e->window.fault;
		if (e->window.kind == FR_WIN_WHOLE || e->window.kind == FR_WIN_RANGE)
			e->fault = -1;
		else if (!fault_injected(s, e->window.fault))
			return fail(L, x, "fault '%s' is never injected on the timeline",
				    s->faults[e->window.fault].name);
		else if (e->window.kind == FR_WIN_AFTER &&
			 !fault_cleared(s, e->window.fault))
			return fail(L, x, "fault '%s' is never cleared on the timeline, "
				    "so there is no 'after'",
				    s->faults[e->window.fault].name);
	} else {
		e->window.kind = FR_WIN_WHOLE;
		e->window.label = "whole run";
	}

	switch (e->kind) {
	case FR_EXP_AVAILABILITY:
		if (!(x = get(L, v, "min")))
			return fail(L, v, "availability needs 'min' (like 99%%)");
		if ((ret = get_ratio(L, x, "min", &e->min_ratio)))
			return ret;
		e->bound_text = fr_arena_printf(s->arena, ">= %s", scalar(x));
		break;
	case FR_EXP_LATENCY:
		for (size_t i = 2; i < NKEYS(lat_keys) - 1; i++) {
			if (!(x = get(L, v, lat_keys[i])))
				continue;
			if (e->nlat == FR_LAT_MAX)
				break;
			if ((ret = get_positive_duration(L, x, lat_keys[i],
							 &e->lat[e->nlat].bound_ns)))
				return ret;
			e->lat[e->nlat].text = lat_keys[i];
			e->lat[e->nlat].q = strcmp(lat_keys[i], "max") == 0 ?
				1.0 : strtod(lat_keys[i] + 1, NULL) / 100.0;
			e->nlat++;
		}
		if (!e->nlat)
			return fail(L, v, "latency needs a bound: p50, p90, p95, p99, "
				    "p99.9 or max");
		break;
	case FR_EXP_RECOVERS:
	case FR_EXP_DETECTS: {
		const char *f;
		unsigned long u;
		if (!(x = get(L, v, "fault")))
			return fail(L, v, "%s needs 'fault'", scalar(kn));
		if ((ret = get_string(L, x, "fault", &f)) ||
		    (ret = find_fault(L, x, f)) < 0)
			return ret;
		e->fault = ret;
		if (!fault_injected(s, e->fault))
			return fail(L, x, "fault '%s' is never injected on the timeline",
				    f);
		if (e->kind == FR_EXP_RECOVERS && !fault_cleared(s, e->fault))
			return fail(L, x, "fault '%s' is never cleared on the timeline, "
				    "so it cannot recover", f);
		if (!(x = get(L, v, "within")))
			return fail(L, v, "%s needs 'within' (a duration)", scalar(kn));
		if ((ret = get_duration(L, x, "within", &e->within_ns)))
			return ret;
		e->bound_text = fr_arena_printf(s->arena, "<= %s", scalar(x));
		e->stable = e->kind == FR_EXP_RECOVERS ? 3 : 1;
		if ((x = get(L, v, "samples"))) {
			if ((ret = get_uint(L, x, "samples", 1000, &u)))
				return ret;
			if (!u)
				return fail(L, x, "samples must be at least 1");
			e->stable = (unsigned)u;
		}
		e->window.kind = e->kind == FR_EXP_RECOVERS ? FR_WIN_AFTER :
							      FR_WIN_DURING;
		e->window.fault = e->fault;
		e->window.label = fr_arena_printf(s->arena, "%s %s",
						  e->kind == FR_EXP_RECOVERS ?
							  "after" : "during",
						  s->faults[e->fault].name);
		break;
	}
	case FR_EXP_RESPONDS:
		if (!(x = get(L, v, "within")))
			return fail(L, v, "responds-within needs 'within' (a duration)");
		if ((ret = get_positive_duration(L, x, "within", &e->within_ns)))
			return ret;
		e->bound_text = fr_arena_printf(s->arena, "<= %s", scalar(x));
		break;
	case FR_EXP_OUT_OF_ROTATION:
		if (s->probes && s->series[e->series].kind == FR_SERIES_PROBE &&
		    !s->probes[s->series[e->series].index].lb.on)
			return fail(L, get(L, v, "probe"),
				    "probe '%s' has no 'lb': out-of-rotation needs a "
				    "load-balancer probe",
				    s->series[e->series].name);
		if (s->series[e->series].kind != FR_SERIES_PROBE)
			return fail(L, get(L, v, "probe"), "out-of-rotation needs a "
				    "load-balancer probe");
		if (!(x = get(L, v, "max")))
			return fail(L, v, "out-of-rotation needs 'max' (a duration)");
		if ((ret = get_duration(L, x, "max", &e->within_ns)))
			return ret;
		e->bound_text = fr_arena_printf(s->arena, "<= %s", scalar(x));
		break;
	case FR_EXP_RESTARTS:
	case FR_EXP_EXITS:
	case FR_EXP_FIRED:
		if (e->kind == FR_EXP_FIRED) {
			const char *f;
			if (!(x = get(L, v, "fault")))
				return fail(L, v, "fired needs 'fault'");
			if ((ret = get_string(L, x, "fault", &f)) ||
			    (ret = find_fault(L, x, f)) < 0)
				return ret;
			e->fault = ret;
			e->min = 1;
		}
		if ((x = get(L, v, "min")) && (ret = get_bound(L, x, "min", &e->min)))
			return ret;
		if ((x = get(L, v, "max")) && (ret = get_bound(L, x, "max", &e->max)))
			return ret;
		if (e->min < 0 && e->max < 0)
			return fail(L, v, "%s needs 'min' or 'max'", scalar(kn));
		if (e->min >= 0 && e->max >= 0 && e->min > e->max)
			return fail(L, v, "min is above max");
		break;
	default:
		break;
	}
done:
	if (e->kind == FR_EXP_FIRED && !fault_injected(s, e->fault) && e->min > 0)
		return fail(L, v, "fault '%s' is never injected on the timeline, so "
			    "it cannot fire", s->faults[e->fault].name);
	if (!e->bound_text && (e->kind == FR_EXP_RESTARTS ||
			       e->kind == FR_EXP_EXITS || e->kind == FR_EXP_FIRED)) {
		if (e->min >= 0 && e->max >= 0 && e->min == e->max)
			e->bound_text = fr_arena_printf(s->arena, "= %ld", e->min);
		else if (e->min >= 0 && e->max >= 0)
			e->bound_text = fr_arena_printf(s->arena, "%ld..%ld", e->min,
							e->max);
		else if (e->min >= 0)
			e->bound_text = fr_arena_printf(s->arena, ">= %ld", e->min);
		else
			e->bound_text = fr_arena_printf(s->arena, "<= %ld", e->max);
	}
	if (e->kind == FR_EXP_LATENCY)
		e->bound_text = ""; /* one bound per percentile, see lat[] */
	set_label(s, e, v->type == YAML_MAPPING_NODE ? custom : NULL);
	return 0;
}

static int parse_expect(struct loader *L, yaml_node_t *n)
{
	struct fr_scenario *s = L->s;
	int ret;

	if ((ret = want_seq(L, n, "expect")))
		return ret;
	size_t count = seq_len(n);
	/* room for the implicit "fired" checks */
	s->expects = fr_arena_alloc(s->arena, (count + s->nfaults + 1) *
				    sizeof(*s->expects));
	for (size_t i = 0; i < count; i++) {
		if ((ret = parse_expect_item(L, seq_item(L, n, i),
					     &s->expects[s->nexpects])))
			return ret;
		s->nexpects++;
	}
	return 0;
}

/* A "fired" check for every injected fault not allowed to stay silent. */
static void add_implicit_fired(struct fr_scenario *s)
{
	if (!s->expects)
		s->expects = fr_arena_alloc(s->arena, (s->nfaults + 1) *
					    sizeof(*s->expects));
	for (size_t f = 0; f < s->nfaults; f++) {
		if (s->faults[f].may_not_fire || !fault_injected(s, (int)f))
			continue;
		bool explicit = false;
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
		e->fault = (int)f;
		e->min = 1;
		e->max = -1;
		e->bound_text = ">= 1";
		e->mark = s->faults[f].mark;
		e->mark.line = 0;
		e->mark.col = 0;
		set_label(s, e, NULL);
	}
}

/* ---- services placeholders --------------------------------------------- */

const char *const fr_service_fields[] = {
	"host", "port", "socket", "user", "password", "database",
	"admin_user", "admin_password",
};
const size_t fr_service_nfields = NKEYS(fr_service_fields);

/* Check every ${services.NAME.FIELD} names a service and a field. */
static int check_service_ref(struct fr_scenario *s, struct fr_str *str,
			     void *arg)
{
	struct loader *L = arg;
	const char *raw = str->raw;

	for (const char *p = strstr(raw, "${services."); p;
	     p = strstr(p + 1, "${services.")) {
		if (p > raw && p[-1] == '$')
			continue;
		const char *name = p + 11, *close = strchr(name, '}');
		const char *dot = memchr(name, '.', (size_t)(close - name));
		char svc[64], field[64];
		if (!dot)
			return fr_errorf(L->err, L->errlen, str->mark,
					 "'%.*s' needs a field: ${services.NAME.FIELD}",
					 (int)(close - p + 1), p);
		snprintf(svc, sizeof(svc), "%.*s", (int)(dot - name), name);
		const char *fend = close;
		const char *colon = memmem(dot + 1, (size_t)(close - dot - 1), ":-", 2);
		if (colon)
			fend = colon;
		snprintf(field, sizeof(field), "%.*s", (int)(fend - dot - 1), dot + 1);
		bool found = false;
		for (size_t j = 0; j < s->nservices; j++)
			found |= strcmp(s->services[j].name, svc) == 0;
		if (!found) {
			const char *cands[32];
			size_t nc = 0;
			for (size_t j = 0; j < s->nservices && nc < 32; j++)
				cands[nc++] = s->services[j].name;
			const char *near = fr_nearest(svc, cands, nc);
			return fr_errorf(L->err, L->errlen, str->mark,
					 "unknown service '%s' in '%.*s'%s%s%s", svc,
					 (int)(close - p + 1), p,
					 near ? " (did you mean '" : "",
					 near ? near : "", near ? "'?)" : "");
		}
		found = false;
		for (size_t j = 0; j < fr_service_nfields; j++)
			found |= strcmp(fr_service_fields[j], field) == 0;
		if (!found) {
			const char *near = fr_nearest(field, fr_service_fields,
						      fr_service_nfields);
			return fr_errorf(L->err, L->errlen, str->mark,
					 "unknown service field '%s' in '%.*s'%s%s%s",
					 field, (int)(close - p + 1), p,
					 near ? " (did you mean '" : "",
					 near ? near : "", near ? "'?)" : "");
		}
	}
	return 0;
}

/* ---- top level --------------------------------------------------------- */

static const char *const top_keys[] = {
	"name", "description", "vars", "seed", "duration", "services", "target",
	"faults", "probes", "load", "timeline", "expect",
};

static int parse_top(struct loader *L, yaml_node_t *root)
{
	struct fr_scenario *s = L->s;
	yaml_node_t *x;
	int ret;

	if (!root || is_null(root))
		return fail(L, root, "empty scenario (expected a mapping with name, "
			    "target, probes, timeline, expect)");
	if ((ret = want_map(L, root, "a scenario")) ||
	    (ret = check_keys(L, root, top_keys, NKEYS(top_keys), "the scenario")))
		return ret;
	if ((x = get(L, root, "vars")) && !is_null(x) && (ret = parse_vars(L, x)))
		return ret;
	if ((x = get(L, root, "name")) && (ret = get_string(L, x, "name", &s->name)))
		return ret;
	if ((x = get(L, root, "description")) &&
	    (ret = get_string(L, x, "description", &s->description)))
		return ret;
	if ((x = get(L, root, "seed"))) {
		unsigned long u;
		if ((ret = get_uint(L, x, "seed", ULONG_MAX, &u)))
			return ret;
		s->seed = u;
		s->seed_set = true;
	}
	if ((x = get(L, root, "duration")) &&
	    (ret = get_positive_duration(L, x, "duration", &s->duration_ns)))
		return ret;
	if ((x = get(L, root, "services")) && !is_null(x) &&
	    (ret = parse_services(L, x)))
		return ret;
	if (!(x = get(L, root, "target")))
		return fail(L, root, "the scenario has no 'target' (the command "
			    "to run)");
	if ((ret = parse_target(L, x)))
		return ret;
	if ((x = get(L, root, "faults")) && !is_null(x) && (ret = parse_faults(L, x)))
		return ret;

	/* series: every probe, the load, and request steps */
	yaml_node_t *tl = get(L, root, "timeline");
	size_t maxseries = 2 + (tl && tl->type == YAML_SEQUENCE_NODE ?
				seq_len(tl) : 0);
	if ((x = get(L, root, "probes")) && x->type == YAML_MAPPING_NODE)
		maxseries += map_len(x);
	s->series = fr_arena_alloc(s->arena, maxseries * sizeof(*s->series));
	if ((x = get(L, root, "probes")) && !is_null(x)) {
		if ((ret = parse_probes(L, x)))
			return ret;
		for (size_t i = 0; i < s->nprobes; i++)
			if ((ret = add_series(L, x, s->probes[i].name, FR_SERIES_PROBE,
					      (int)i)) < 0)
				return ret;
	}
	if ((x = get(L, root, "load")) && !is_null(x)) {
		if ((ret = parse_load(L, x)))
			return ret;
		if ((ret = add_series(L, get_key(L, root, "load"), "load",
				      FR_SERIES_LOAD, -1)) < 0)
			return ret;
	}
	if ((x = get(L, root, "timeline")) && !is_null(x) &&
	    (ret = parse_timeline(L, x)))
		return ret;
	if ((ret = check_timeline(L, root)))
		return ret;
	if ((x = get(L, root, "expect")) && !is_null(x) && (ret = parse_expect(L, x)))
		return ret;
	add_implicit_fired(s);
	if (!s->nexpects)
		return fail(L, root, "the scenario has no 'expect': nothing would be "
			    "checked");
	return fr_scenario_visit_strs(s, check_service_ref, L);
}

static int load_doc(struct loader *L, yaml_parser_t *parser)
{
	if (!yaml_parser_load(parser, &L->doc)) {
		struct fr_mark m = { L->file, (int)parser->problem_mark.line + 1,
				     (int)parser->problem_mark.column + 1 };
		const char *what = parser->problem ? parser->problem : "bad YAML";
		if (parser->error == YAML_READER_ERROR)
			m.line = m.col = 1;
		if (parser->context)
			return fr_errorf(L->err, L->errlen, m, "%s %s", what,
					 parser->context);
		return fr_errorf(L->err, L->errlen, m, "%s", what);
	}
	return 0;
}

static int load(const char *file, const unsigned char *text, size_t len,
		struct fr_override *ovr, size_t novr, struct fr_scenario **out,
		char *err, size_t errlen)
{
	struct loader L = { .file = NULL, .err = err, .errlen = errlen,
			    .ovr = ovr, .novr = novr };
	yaml_parser_t parser;
	struct fr_scenario *s;
	int ret;

	*out = NULL;
	struct fr_arena *a = fr_arena_create();
	s = fr_arena_alloc(a, sizeof(*s));
	s->arena = a;
	s->file = fr_arena_strdup(a, file);
	L.file = s->file;
	L.s = s;
	{
		char *dup = fr_arena_strdup(a, file), *slash = strrchr(dup, '/');
		if (slash == dup)
			s->dir = "/";
		else if (slash) {
			*slash = 0;
			s->dir = dup;
		} else {
			s->dir = ".";
		}
		char abs[PATH_MAX];
		if (realpath(s->dir, abs))
			s->dir = fr_arena_strdup(a, abs);
	}
	if (!yaml_parser_initialize(&parser)) {
		fr_arena_destroy(a);
		snprintf(err, errlen, "faultrun: out of memory");
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&parser, text, len);
	ret = load_doc(&L, &parser);
	yaml_parser_delete(&parser);
	if (ret) {
		fr_arena_destroy(a);
		return ret;
	}
	ret = parse_top(&L, yaml_document_get_root_node(&L.doc));
	if (!ret && !s->name) {
		const char *base = strrchr(file, '/');
		base = base ? base + 1 : file;
		char *n = fr_arena_strdup(a, base), *dot = strrchr(n, '.');
		if (dot && dot != n)
			*dot = 0;
		s->name = n;
	}
	if (!ret && !s->description)
		s->description = "";
	yaml_document_delete(&L.doc);
	if (ret) {
		fr_arena_destroy(a);
		return ret;
	}
	*out = s;
	return 0;
}

int fr_scenario_load_string(const char *name, const char *text,
			    struct fr_override *ovr, size_t novr,
			    struct fr_scenario **out, char *err, size_t errlen)
{
	return load(name, (const unsigned char *)text, strlen(text), ovr, novr,
		    out, err, errlen);
}

int fr_scenario_load(const char *path, struct fr_override *ovr, size_t novr,
		     struct fr_scenario **out, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t cap = 8192, len = 0;
	unsigned char *buf;
	int ret;

	*out = NULL;
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "faultrun: '%s': %s", path, strerror(errno));
		return ret;
	}
	buf = malloc(cap);
	for (;;) {
		if (!buf) {
			close(fd);
			snprintf(err, errlen, "faultrun: out of memory");
			return -ENOMEM;
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0) {
			ret = -errno;
			snprintf(err, errlen, "faultrun: '%s': %s", path,
				 strerror(errno));
			free(buf);
			close(fd);
			return ret;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == cap) {
			if (cap >= 16 * 1024 * 1024) {
				snprintf(err, errlen, "faultrun: '%s': too large", path);
				free(buf);
				close(fd);
				return -EFBIG;
			}
			cap *= 2;
			unsigned char *nb = realloc(buf, cap);
			if (!nb)
				free(buf);
			buf = nb;
		}
	}
	close(fd);
	ret = load(path, buf, len, ovr, novr, out, err, errlen);
	free(buf);
	return ret;
}

void fr_scenario_destroy(struct fr_scenario *s)
{
	if (s)
		fr_arena_destroy(s->arena);
}
