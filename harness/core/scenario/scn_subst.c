/*
 * Instantiating a scenario for one run: the per-run placeholders
 * (${run_dir}, ${port.NAME}, ${services.NAME.FIELD}) are filled in every
 * string, then the faults are parsed into rules, so that a fault's path
 * can name the run directory. `faultrun check` does the same with
 * stand-in values, so a bad fault is reported before anything runs.
 */
#define _GNU_SOURCE
#include "scenario/scenario.h"
#include "scenario/scn_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int expand_run(struct fr_scenario *s, const struct fr_runctx *ctx,
		      struct fr_str *str, char *err, size_t errlen)
{
	const char *in = str->raw;
	size_t cap = strlen(in) + 64, len = 0;
	char *buf;
	int ret = 0;

	if (!strchr(in, '$')) {
		str->val = in;
		return 0;
	}
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (const char *p = in; *p;) {
		const char *rep;
		size_t replen, skip;
		char tmp[32];

		if (p[0] == '$' && p[1] == '$' && p[2] == '{') {
			rep = "${";
			replen = 2;
			skip = 3;
		} else if (p[0] == '$' && p[1] == '{') {
			const char *name = p + 2, *close = strchr(name, '}');
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
			rep = NULL;
			replen = 0;
			if (nlen == 7 && strncmp(name, "run_dir", 7) == 0) {
				rep = ctx->run_dir;
			} else if (strncmp(name, "port.", 5) == 0) {
				for (size_t i = 0; i < s->nports; i++)
					if (strlen(s->ports[i]) == nlen - 5 &&
					    strncmp(s->ports[i], name + 5, nlen - 5) == 0) {
						snprintf(tmp, sizeof(tmp), "%u", ctx->ports[i]);
						rep = tmp;
					}
			} else if (strncmp(name, "services.", 9) == 0) {
				char svc[64], field[64];
				const char *dot = memchr(name + 9, '.', nlen - 9);
				snprintf(svc, sizeof(svc), "%.*s",
					 (int)(dot - name - 9), name + 9);
				snprintf(field, sizeof(field), "%.*s",
					 (int)(name + nlen - dot - 1), dot + 1);
				rep = ctx->service ? ctx->service(ctx->opaque, svc, field) :
						     NULL;
				if (!rep && !dflt) {
					ret = fr_errorf(err, errlen, str->mark,
							"service '%s' has no %s here "
							"(give a default: ${services.%s.%s:-VALUE})",
							svc, field, svc, field);
					goto out;
				}
			}
			if (!rep && dflt) {
				rep = dflt;
				replen = dlen;
			} else if (!rep) {
				ret = fr_errorf(err, errlen, str->mark,
						"cannot expand '%.*s'", (int)skip, p);
				goto out;
			} else {
				replen = strlen(rep);
			}
		} else {
			tmp[0] = *p;
			rep = tmp;
			replen = 1;
			skip = 1;
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
	str->val = fr_arena_strdup(s->arena, buf);
out:
	free(buf);
	return ret;
}

#define VISIT(x)                                                    \
	do {                                                        \
		if ((x)->raw && (ret = fn(s, (x), arg)))            \
			return ret;                                 \
	} while (0)

static int visit_http(struct fr_scenario *s, struct fr_http *h, fr_str_fn fn,
		      void *arg)
{
	int ret;

	VISIT(&h->url);
	VISIT(&h->method);
	VISIT(&h->body);
	VISIT(&h->body_match);
	for (size_t i = 0; i < h->nheaders; i++)
		VISIT(&h->headers[i].value);
	return 0;
}

static int visit_cmd(struct fr_scenario *s, struct fr_cmd *c, fr_str_fn fn,
		     void *arg)
{
	int ret;

	for (size_t i = 0; i < c->argc; i++)
		VISIT(&c->argv[i]);
	return 0;
}

static int visit_conn(struct fr_scenario *s, struct fr_mysql_conn *c,
		      fr_str_fn fn, void *arg)
{
	int ret;

	VISIT(&c->host);
	VISIT(&c->port);
	VISIT(&c->socket);
	VISIT(&c->user);
	VISIT(&c->password);
	VISIT(&c->database);
	return 0;
}

static int visit_check(struct fr_scenario *s, struct fr_check *c, fr_str_fn fn,
		       void *arg)
{
	int ret;

	switch (c->kind) {
	case FR_CHECK_HTTP:
		return visit_http(s, &c->http, fn, arg);
	case FR_CHECK_TCP:
		VISIT(&c->tcp);
		return 0;
	case FR_CHECK_EXEC:
		return visit_cmd(s, &c->exec.cmd, fn, arg);
	case FR_CHECK_LOG:
		VISIT(&c->log.file);
		VISIT(&c->log.pattern);
		return 0;
	case FR_CHECK_MYSQL:
		if ((ret = visit_conn(s, &c->mysql.conn, fn, arg)))
			return ret;
		VISIT(&c->mysql.query);
		VISIT(&c->mysql.expect);
		return 0;
	default:
		return 0;
	}
}

int fr_scenario_visit_strs(struct fr_scenario *s, fr_str_fn fn, void *arg)
{
	struct fr_target *t = &s->target;
	int ret;

	for (size_t i = 0; i < s->nservices; i++) {
		struct fr_service *sv = &s->services[i];
		VISIT(&sv->host);
		VISIT(&sv->port);
		VISIT(&sv->socket);
		VISIT(&sv->user);
		VISIT(&sv->password);
		VISIT(&sv->database);
	}
	if ((ret = visit_cmd(s, &t->command, fn, arg)))
		return ret;
	for (size_t i = 0; i < t->nenv; i++)
		VISIT(&t->env[i].value);
	VISIT(&t->cwd);
	if (t->ready.present && (ret = visit_check(s, &t->ready.check, fn, arg)))
		return ret;
	for (size_t i = 0; i < s->nfaults; i++) {
		VISIT(&s->faults[i].spec);
		for (size_t j = 0; j < s->faults[i].nfields; j++)
			VISIT(&s->faults[i].fields[j].value);
	}
	for (size_t i = 0; i < s->nprobes; i++)
		if ((ret = visit_check(s, &s->probes[i].check, fn, arg)))
			return ret;
	if (s->load.present && (ret = visit_http(s, &s->load.http, fn, arg)))
		return ret;
	for (size_t i = 0; i < s->nsteps; i++) {
		struct fr_step *st = &s->steps[i];
		switch (st->kind) {
		case FR_STEP_REQUEST:
			ret = visit_http(s, &st->req.http, fn, arg);
			break;
		case FR_STEP_RUN:
			ret = visit_cmd(s, &st->run.cmd, fn, arg);
			break;
		case FR_STEP_MYSQL:
			ret = visit_conn(s, &st->mysql.conn, fn, arg);
			if (!ret)
				VISIT(&st->mysql.sql);
			if (!ret)
				VISIT(&st->mysql.kill_user);
			break;
		default:
			break;
		}
		if (ret)
			return ret;
	}
	return 0;
}

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

static int parse_fault(struct fr_fault *f, unsigned idx, char *err,
		       size_t errlen)
{
	char msg[256];
	int ret;

	fr_rule_init(&f->rule);
	if (f->spec.raw) {
		ret = fr_spec_parse(f->spec.val, &f->rule, idx, msg, sizeof(msg));
		if (ret < 0)
			return fr_errorf(err, errlen, f->spec.mark, "fault '%s': %s",
					 f->name, msg);
		if (f->rule.name[0] && strcmp(f->rule.name, f->name) &&
		    strncmp(f->rule.name, "rule", 4))
			return fr_errorf(err, errlen, f->spec.mark,
					 "fault '%s': its name is its key; remove "
					 "'name=%s'", f->name, f->rule.name);
		memset(f->rule.name, 0, sizeof(f->rule.name));
		snprintf(f->rule.name, sizeof(f->rule.name), "%s", f->name);
		return 0;
	}
	ret = fr_rule_set(&f->rule, "name", f->name, msg, sizeof(msg));
	if (ret < 0)
		return fr_errorf(err, errlen, f->mark, "fault '%s': %s", f->name, msg);
	for (size_t i = 0; i < f->nfields; i++) {
		ret = fr_rule_set(&f->rule, f->fields[i].key, f->fields[i].value.val,
				  msg, sizeof(msg));
		if (ret < 0)
			return fr_errorf(err, errlen, f->fields[i].value.mark,
					 "fault '%s': %s", f->name, msg);
	}
	ret = fr_rule_finish(&f->rule, idx, msg, sizeof(msg));
	if (ret < 0)
		return fr_errorf(err, errlen, f->mark, "fault '%s': %s", f->name, msg);
	return 0;
}

int fr_scenario_instantiate(struct fr_scenario *s, const struct fr_runctx *ctx,
			    char *err, size_t errlen)
{
	int ret;

	struct inst_arg a = { ctx, err, errlen };

	if ((ret = fr_scenario_visit_strs(s, inst_one, &a)))
		return ret;
	for (size_t i = 0; i < s->nfaults; i++)
		if ((ret = parse_fault(&s->faults[i], (unsigned)i, err, errlen)))
			return ret;
	return 0;
}

static const char *check_service(void *opaque, const char *svc,
				 const char *field)
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
	unsigned *ports = calloc(s->nports + 1, sizeof(unsigned));
	struct fr_runctx ctx = {
		.run_dir = "/tmp/faultrun-check",
		.ports = ports,
		.service = check_service,
	};
	int ret;

	if (!ports)
		return -ENOMEM;
	for (size_t i = 0; i < s->nports; i++)
		ports[i] = 10000 + (unsigned)i;
	ret = fr_scenario_instantiate(s, &ctx, err, errlen);
	free(ports);
	return ret;
}
