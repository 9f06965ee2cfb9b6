/*
 * Placeholders, and instantiating a scenario for one run.
 *
 * The tokenizer and the classification of placeholder names are shared
 * with the loader, which expands the load-time placeholders (${vars.X},
 * ${env.X}, ${scenario_dir}) and checks the others. For one run the
 * per-run placeholders (${run_dir}, ${port.NAME}, ${services.NAME.FIELD})
 * are filled in every string, then the faults are parsed into rules, so
 * that a fault's path can name the run directory. `faultrun check` does the
 * same with stand-in values, so a bad fault is reported before anything
 * runs.
 */
#define _GNU_SOURCE
#include "scenario/scenario.h"
#include "scenario/scn_internal.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

const char *const fr_service_fields[] = {
	"host",		 "port",     "socket",	   "user",	     "password",
	"password_file", "database", "admin_user", "admin_password",
};
const size_t fr_service_nfields = NELEMS(fr_service_fields);

/* ---- the tokenizer ------------------------------------------------------ */

static bool at_escape(const char *p)
{
	return p[0] == '$' && p[1] == '$' && p[2] == '{';
}

static bool at_open(const char *p)
{
	return p[0] == '$' && p[1] == '{';
}

static void cut_placeholder(const char *p, struct fr_ph *t)
{
	const char *close = strchr(p + 2, '}');
	const char *colon;

	if (!close) {
		t->kind = FR_PH_UNTERMINATED;
		t->len = strlen(p);
		return;
	}
	t->kind = FR_PH_PLACEHOLDER;
	t->len = (size_t)(close - p) + 1;
	t->name = p + 2;
	t->nlen = (size_t)(close - t->name);
	colon = memmem(t->name, t->nlen, ":-", 2);
	if (colon) {
		t->dflt = colon + 2;
		t->dlen = (size_t)(close - t->dflt);
		t->nlen = (size_t)(colon - t->name);
	}
}

bool fr_ph_next(const char **pp, struct fr_ph *t)
{
	const char *p = *pp, *q;

	memset(t, 0, sizeof(*t));
	if (!*p)
		return false;
	t->text = p;
	if (at_escape(p)) {
		t->kind = FR_PH_ESCAPE;
		t->len = 3;
	} else if (at_open(p)) {
		cut_placeholder(p, t);
	} else {
		for (q = p + 1; *q && !at_escape(q) && !at_open(q); q++)
			;
		t->kind = FR_PH_TEXT;
		t->len = (size_t)(q - p);
	}
	*pp = p + t->len;
	return true;
}

static const struct {
	const char *name;
	bool prefix; /* "vars." + a name; else the whole name */
	enum fr_ph_ref ref;
} ph_refs[] = {
	{ "vars.", true, FR_PH_VARS },
	{ "env.", true, FR_PH_ENV },
	{ "scenario_dir", false, FR_PH_SCENARIO_DIR },
	{ "run_dir", false, FR_PH_RUN_DIR },
	{ "port.", true, FR_PH_PORT },
	{ "services.", true, FR_PH_SERVICES },
};

enum fr_ph_ref fr_ph_classify(const struct fr_ph *t, const char **arg, size_t *alen)
{
	for (size_t i = 0; i < NELEMS(ph_refs); i++) {
		size_t len = strlen(ph_refs[i].name);
		bool fits = ph_refs[i].prefix ? t->nlen > len : t->nlen == len;

		if (fits && strncmp(t->name, ph_refs[i].name, len) == 0) {
			*arg = t->name + len;
			*alen = t->nlen - len;
			return ph_refs[i].ref;
		}
	}
	*arg = t->name;
	*alen = t->nlen;
	return FR_PH_UNKNOWN;
}

/* ---- run-time expansion --------------------------------------------------- */

static const char *port_value(const struct fr_scenario *s, const struct fr_runctx *ctx,
			      const char *name, size_t len, char *buf, size_t buflen)
{
	for (size_t i = 0; i < s->nports; i++)
		if (strlen(s->ports[i]) == len && strncmp(s->ports[i], name, len) == 0) {
			snprintf(buf, buflen, "%u", ctx->ports[i]);
			return buf;
		}
	return NULL;
}

/* ${services.NAME.FIELD}: *rep is NULL when the service has no such value. */
static int service_value(const struct fr_runctx *ctx, const struct fr_str *str,
			 const struct fr_ph *t, const char *arg, size_t alen, const char **rep,
			 char *err, size_t errlen)
{
	const char *dot = memchr(arg, '.', alen);
	char svc[64], field[64];

	*rep = NULL;
	if (!dot) /* refused at load time */
		return 0;
	snprintf(svc, sizeof(svc), "%.*s", (int)(dot - arg), arg);
	snprintf(field, sizeof(field), "%.*s", (int)(arg + alen - dot - 1), dot + 1);
	*rep = ctx->service ? ctx->service(ctx->opaque, svc, field) : NULL;
	if (!*rep && !t->dflt)
		return fr_errorf(err, errlen, str->mark,
				 "service '%s' has no %s here "
				 "(give a default: ${services.%s.%s:-VALUE})",
				 svc, field, svc, field);
	return 0;
}

static int expand_placeholder(struct fr_scenario *s, const struct fr_runctx *ctx,
			      const struct fr_str *str, const struct fr_ph *t, struct fr_buf *b,
			      char *err, size_t errlen)
{
	const char *arg, *rep = NULL;
	char port[32];
	size_t alen;
	int ret;

	switch (fr_ph_classify(t, &arg, &alen)) {
	case FR_PH_RUN_DIR:
		rep = ctx->run_dir;
		break;
	case FR_PH_PORT:
		rep = port_value(s, ctx, arg, alen, port, sizeof(port));
		break;
	case FR_PH_SERVICES:
		ret = service_value(ctx, str, t, arg, alen, &rep, err, errlen);
		if (ret)
			return ret;
		break;
	default: /* the load-time ones were expanded at load */
		break;
	}
	if (rep)
		fr_buf_puts(b, rep);
	else if (t->dflt)
		fr_buf_add(b, t->dflt, t->dlen);
	else
		return fr_errorf(err, errlen, str->mark, "cannot expand '%.*s'", (int)t->len,
				 t->text);
	return 0;
}

static int expand_run(struct fr_scenario *s, const struct fr_runctx *ctx, struct fr_str *str,
		      char *err, size_t errlen)
{
	struct fr_buf b = { 0 };
	const char *p = str->raw;
	struct fr_ph t;
	int ret = 0;

	if (!strchr(p, '$')) {
		str->val = p;
		return 0;
	}
	while (!ret && fr_ph_next(&p, &t)) {
		switch (t.kind) {
		case FR_PH_TEXT:
			fr_buf_add(&b, t.text, t.len);
			break;
		case FR_PH_ESCAPE:
			fr_buf_add(&b, "${", 2);
			break;
		case FR_PH_PLACEHOLDER:
			ret = expand_placeholder(s, ctx, str, &t, &b, err, errlen);
			break;
		case FR_PH_UNTERMINATED:
			/* the loader refuses them, and escapes literal values */
			ret = fr_errorf(err, errlen, str->mark,
					"unterminated placeholder '%s' (missing '}')", t.text);
			break;
		}
	}
	if (!ret)
		str->val = fr_arena_strdup(s->arena, b.p ? b.p : "");
	fr_buf_free(&b);
	return ret;
}

/* ---- instantiation -------------------------------------------------------- */

struct inst_arg {
	const struct fr_runctx *ctx;
	char *err;
	size_t errlen;
};

static int inst_one(struct fr_scenario *s, struct fr_str *str, void *arg)
{
	struct inst_arg *a = arg;

	return expand_run(s, a->ctx, str, a->err, a->errlen);
}

/*
 * A fault's fields, in order: the mapping's keys, or the words of its SPEC
 * (cut at load, before any placeholder was filled: a value never becomes
 * fields). A bare word has no value. A field given twice is an error.
 */
static int rule_from_fields(struct fr_fault *f, unsigned idx, char *err, size_t errlen)
{
	char msg[256];
	uint64_t seen = 0;
	int ret = fr_rule_set(&f->rule, "name", f->name, msg, sizeof(msg));

	if (ret < 0)
		return fr_errorf(err, errlen, f->mark, "fault '%s': %s", f->name, msg);
	for (size_t i = 0; i < f->nfields; i++) {
		const struct fr_kv *kv = &f->fields[i];

		ret = fr_rule_set_once(&f->rule, &seen, kv->key,
				       kv->value.raw ? kv->value.val : NULL, msg, sizeof(msg));
		if (ret < 0)
			return fr_errorf(err, errlen, kv->value.mark, "fault '%s': %s", f->name,
					 msg);
	}
	ret = fr_rule_finish(&f->rule, idx, msg, sizeof(msg));
	if (ret < 0)
		return fr_errorf(err, errlen, f->mark, "fault '%s': %s", f->name, msg);
	return 0;
}

int fr_scenario_instantiate(struct fr_scenario *s, const struct fr_runctx *ctx, char *err,
			    size_t errlen)
{
	struct inst_arg a = { ctx, err, errlen };
	int ret;

	if ((ret = fr_scenario_visit_strs(s, inst_one, &a)) ||
	    (ret = fr_scenario_check_ports(s, err, errlen)))
		return ret;
	for (size_t i = 0; i < s->nfaults; i++) {
		struct fr_fault *f = &s->faults[i];

		fr_rule_init(&f->rule);
		ret = rule_from_fields(f, (unsigned)i, err, errlen);
		if (ret)
			return ret;
	}
	return fr_scenario_check_backends(s, err, errlen);
}

static const char *check_service(void *opaque, const char *svc, const char *field)
{
	(void)opaque;
	(void)svc;
	if (strcmp(field, "port") == 0)
		return "3306";
	if (strcmp(field, "host") == 0)
		return "127.0.0.1";
	if (strcmp(field, "socket") == 0)
		return "/tmp/faultrun-check/mariadb/sock";
	return "x";
}

int fr_scenario_check(struct fr_scenario *s, char *err, size_t errlen)
{
	unsigned *ports = fr_xcalloc(s->nports + 1, sizeof(unsigned));
	struct fr_runctx ctx = {
		.run_dir = "/tmp/faultrun-check",
		.ports = ports,
		.service = check_service,
	};
	int ret;

	for (size_t i = 0; i < s->nports; i++)
		ports[i] = 10000 + (unsigned)i;
	ret = fr_scenario_instantiate(s, &ctx, err, errlen);
	free(ports);
	return ret;
}
