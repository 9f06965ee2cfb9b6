/*
 * Load-time placeholders: ${vars.X}, ${env.X} and ${scenario_dir} are
 * replaced as a scalar is read; the per-run ones (${run_dir}, ${port.NAME},
 * ${services.NAME.FIELD}) are kept for fr_scenario_instantiate() once
 * their names are checked, and so is "$${" (unescaped at instantiation).
 * The syntax is subst.c's tokenizer, the same the run-time expansion uses.
 */
#define _GNU_SOURCE
#include "scenario/load.h"
#include "scenario/scn_internal.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fr_mark scn_mark_at(struct loader *L, yaml_node_t *n, size_t off)
{
	struct fr_mark m = scn_mark(L, n);

	if (n->type != YAML_SCALAR_NODE || n->start_mark.line != n->end_mark.line)
		return m;
	if (n->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
	    n->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE)
		m.col += 1;
	if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ||
	    n->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE)
		m.col += (int)off;
	else if (n->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE &&
		 !memchr(scn_scalar(n), '\\', off))
		m.col += (int)off;
	return m;
}

/* The var called name, whether or not it has its value yet, or NULL. */
static struct fr_var *find_var(struct loader *L, const char *name, size_t len)
{
	for (size_t i = 0; i < L->s->nvars; i++)
		if (L->s->vars[i].name && strlen(L->s->vars[i].name) == len &&
		    strncmp(L->s->vars[i].name, name, len) == 0)
			return &L->s->vars[i];
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

void scn_add_port(struct fr_scenario *s, const char *name)
{
	add_port(s, name, strlen(name));
}

static bool ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

/* One scalar being expanded into out. */
struct expansion {
	struct loader *L;
	struct fr_mark m; /* where the placeholder starts */
	bool runtime_ok;
	struct fr_buf *out;
	unsigned depth; /* of the var being defined: 1 + the deepest it uses */
};

/*
 * Add what placeholder t stands for, refusing a value that outgrows the
 * limits: a few vars that each use the one before twice double at every
 * step, and 30 of them would need gigabytes. what names it ("var 'b'").
 *
 * A literal value (a --set, the environment, a directory) is put in as
 * it is: in a string that instantiation will fill, its "${" become "$${",
 * which instantiation turns back into "${", so it is never read for
 * placeholders a second time.
 */
static int add_bounded(struct expansion *x, const struct fr_ph *t, const char *what,
		       const char *rep, size_t n, bool literal)
{
	struct loader *L = x->L;

	if (literal && x->runtime_ok && memmem(rep, n, "${", 2)) {
		struct fr_buf esc = { 0 };
		const char *open;
		int ret;

		while ((open = memmem(rep, n, "${", 2))) {
			fr_buf_add(&esc, rep, (size_t)(open - rep));
			fr_buf_add(&esc, "$${", 3);
			n -= (size_t)(open + 2 - rep);
			rep = open + 2;
		}
		fr_buf_add(&esc, rep, n);
		ret = add_bounded(x, t, what, esc.p, esc.len, false);
		fr_buf_free(&esc);
		return ret;
	}

	if (x->out->len + n > FR_EXPAND_MAX)
		return fr_errorf(L->err, L->errlen, x->m,
				 "'%.*s' (%s) makes this value longer than %d MiB, "
				 "the limit of one expanded value",
				 (int)t->len, t->text, what, FR_EXPAND_MAX >> 20);
	if (L->expanded + x->out->len + n > FR_EXPAND_TOTAL)
		return fr_errorf(L->err, L->errlen, x->m,
				 "'%.*s' (%s) makes the scenario's values longer than "
				 "%d MiB in all, the limit of expanded values",
				 (int)t->len, t->text, what, FR_EXPAND_TOTAL >> 20);
	fr_buf_add(x->out, rep, n);
	return 0;
}

/*
 * A var's own value (placeholder syntax: "$${" for "${", per-run ones
 * kept) into a string that is final at load (a name, a duration): "$${"
 * becomes "${", and a per-run placeholder cannot be filled.
 */
static int add_final(struct expansion *x, const struct fr_ph *t, const struct fr_var *v)
{
	struct fr_buf out = { 0 };
	const char *p = v->value;
	struct fr_ph tok;
	char what[128];
	int ret = 0;

	while (!ret && fr_ph_next(&p, &tok)) {
		if (tok.kind == FR_PH_TEXT)
			fr_buf_add(&out, tok.text, tok.len);
		else if (tok.kind == FR_PH_ESCAPE)
			fr_buf_add(&out, "${", 2);
		else
			ret = fr_errorf(x->L->err, x->L->errlen, x->m,
					"var '%s' holds '%.*s', which is only known when the "
					"run starts and cannot be used here",
					v->name, (int)tok.len, tok.text);
	}
	snprintf(what, sizeof(what), "var '%s'", v->name);
	if (!ret)
		ret = add_bounded(x, t, what, out.p ? out.p : "", out.len, false);
	fr_buf_free(&out);
	return ret;
}

/* A var with no value yet: this very one, or one further down. */
static int var_not_yet(struct expansion *x, const struct fr_var *v)
{
	struct loader *L = x->L;

	if (v == L->defining)
		return fr_errorf(L->err, L->errlen, x->m, "var '%s' refers to itself", v->name);
	return fr_errorf(L->err, L->errlen, x->m,
			 "var '%s' is defined further down (line %d): a var may "
			 "use only the vars above it",
			 v->name, v->mark.line);
}

static int expand_var(struct expansion *x, const struct fr_ph *t, const char *name, size_t len)
{
	struct loader *L = x->L;
	const struct fr_var *v = find_var(L, name, len);
	const char *cands[64];
	size_t nc = 0;
	char want[128];

	if (v && v->value) {
		snprintf(want, sizeof(want), "var '%s'", v->name);
		if (L->defining && v->depth + 1 > x->depth)
			x->depth = v->depth + 1;
		if (x->depth > FR_VAR_DEPTH_MAX)
			return fr_errorf(L->err, L->errlen, x->m,
					 "var '%s' uses var '%s', which nests vars %u deep "
					 "(at most %d)",
					 L->defining->name, v->name, x->depth, FR_VAR_DEPTH_MAX);
		if (v->set || x->runtime_ok)
			return add_bounded(x, t, want, v->value, strlen(v->value), v->set);
		return add_final(x, t, v);
	}
	if (v)
		return var_not_yet(x, v);
	snprintf(want, sizeof(want), "%.*s", (int)len, name);
	for (size_t i = 0; i < L->s->nvars && nc < 64; i++)
		if (L->s->vars[i].value)
			cands[nc++] = L->s->vars[i].name;
	return fr_errorf(L->err, L->errlen, x->m, "unknown var '%s'%s", want,
			 scn_suggest(L, fr_nearest(want, cands, nc)));
}

static int expand_env(struct expansion *x, const struct fr_ph *t, const char *name, size_t len)
{
	char ename[128];
	const char *rep;

	snprintf(ename, sizeof(ename), "%.*s", (int)len, name);
	rep = getenv(ename);
	if (rep)
		return add_bounded(x, t, "the environment", rep, strlen(rep), true);
	if (t->dflt)
		return add_bounded(x, t, "its default", t->dflt, t->dlen, true);
	return fr_errorf(x->L->err, x->L->errlen, x->m,
			 "environment variable '%s' is not set "
			 "(give a default: ${env.%s:-VALUE})",
			 ename, ename);
}

/* A per-run placeholder stays as written, its name checked. */
static int keep_per_run(struct expansion *x, const struct fr_ph *t, enum fr_ph_ref ref,
			const char *arg, size_t alen)
{
	struct loader *L = x->L;

	if (!x->runtime_ok)
		return fr_errorf(L->err, L->errlen, x->m,
				 "'${%.*s}' is only known when the run starts and "
				 "cannot be used here",
				 (int)t->nlen, t->name);
	if (ref == FR_PH_PORT) {
		for (size_t i = 0; i < alen; i++)
			if (!ident_char(arg[i]))
				return fr_errorf(L->err, L->errlen, x->m,
						 "bad port name in '${%.*s}' (letters, "
						 "digits, '-' and '_')",
						 (int)t->nlen, t->name);
		add_port(L->s, arg, alen);
	}
	/* services are checked once all are known (scn_check_service_refs) */
	fr_buf_add(x->out, t->text, t->len);
	return 0;
}

static int unknown_placeholder(struct expansion *x, const struct fr_ph *t)
{
	static const char *const known[] = {
		"vars.", "env.", "port.", "run_dir", "services.", "scenario_dir",
	};
	char want[128];

	snprintf(want, sizeof(want), "%.*s", (int)t->nlen, t->name);
	return fr_errorf(x->L->err, x->L->errlen, x->m,
			 "unknown placeholder '${%s}'%s (known: ${vars.NAME}, "
			 "${env.NAME}, ${port.NAME}, ${run_dir}, ${scenario_dir}, "
			 "${services.NAME.FIELD})",
			 want, scn_suggest(x->L, fr_nearest(want, known, NKEYS(known))));
}

static int expand_placeholder(struct expansion *x, const struct fr_ph *t)
{
	const char *arg;
	size_t alen;
	enum fr_ph_ref ref = fr_ph_classify(t, &arg, &alen);

	switch (ref) {
	case FR_PH_VARS:
		return expand_var(x, t, arg, alen);
	case FR_PH_ENV:
		return expand_env(x, t, arg, alen);
	case FR_PH_SCENARIO_DIR:
		return add_bounded(x, t, "the scenario's directory", x->L->s->dir,
				   strlen(x->L->s->dir), true);
	case FR_PH_RUN_DIR:
	case FR_PH_PORT:
	case FR_PH_SERVICES:
		return keep_per_run(x, t, ref, arg, alen);
	case FR_PH_UNKNOWN:
		break;
	}
	return unknown_placeholder(x, t);
}

int scn_expand_part(struct loader *L, yaml_node_t *n, size_t off, size_t len, bool runtime_ok,
		    const char **out)
{
	const char *whole = scn_scalar(n);
	/* the tokenizer reads up to a NUL: a part needs its own copy */
	char *part = off || whole[len] ? fr_xstrndup(whole + off, len) : NULL;
	const char *in = part ? part : whole, *p = in;
	struct fr_buf buf = { 0 };
	struct expansion x = { L, { 0 }, runtime_ok, &buf, 0 };
	struct fr_ph t;
	int ret = 0;

	while (!ret && fr_ph_next(&p, &t)) {
		if (t.kind == FR_PH_PLACEHOLDER || t.kind == FR_PH_UNTERMINATED)
			x.m = scn_mark_at(L, n, off + (size_t)(t.text - in));
		switch (t.kind) {
		case FR_PH_TEXT:
			fr_buf_add(&buf, t.text, t.len);
			break;
		case FR_PH_ESCAPE:
			/* kept for instantiation to undo, or final now */
			fr_buf_add(&buf, runtime_ok ? "$${" : "${", runtime_ok ? 3 : 2);
			break;
		case FR_PH_PLACEHOLDER:
			ret = expand_placeholder(&x, &t);
			break;
		case FR_PH_UNTERMINATED:
			ret = fr_errorf(L->err, L->errlen, x.m,
					"unterminated placeholder '%s' (missing '}')", t.text);
			break;
		}
	}
	/*
	 * Text without placeholders counts too: YAML aliases (*name) repeat a
	 * node without copying it in the file, so 2,000 aliases of a 1 MB
	 * string in a 2 MB file would otherwise make 2 GB of values.
	 */
	if (!ret && L->expanded + buf.len > FR_EXPAND_TOTAL)
		ret = scn_fail(L, n,
			       "the scenario's values add up to more than %d MiB, the limit "
			       "of expanded values (a YAML alias repeats its whole value)",
			       FR_EXPAND_TOTAL >> 20);
	if (!ret) {
		*out = fr_arena_strdup(L->s->arena, buf.p ? buf.p : "");
		L->expanded += buf.len;
		if (L->defining && x.depth > L->defining->depth)
			L->defining->depth = x.depth;
	}
	fr_buf_free(&buf);
	free(part);
	return ret;
}

int scn_expand(struct loader *L, yaml_node_t *n, bool runtime_ok, const char **out)
{
	return scn_expand_part(L, n, 0, strlen(scn_scalar(n)), runtime_ok, out);
}
