/*
 * Walking every string of a scenario, in file order (a section's strings
 * in the order the loader reads them), so that the first bad placeholder
 * reported is the first one a reader meets.
 */
#include "scenario/scenario.h"
#include "scenario/scn_internal.h"

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

static int visit_list(struct fr_scenario *s, struct fr_str *const *strs, size_t n, fr_str_fn fn,
		      void *arg)
{
	for (size_t i = 0; i < n; i++) {
		int ret = strs[i]->raw ? fn(s, strs[i], arg) : 0;

		if (ret)
			return ret;
	}
	return 0;
}

static int visit_one(struct fr_scenario *s, struct fr_str *str, fr_str_fn fn, void *arg)
{
	return visit_list(s, &str, 1, fn, arg);
}

static int visit_kvs(struct fr_scenario *s, struct fr_kv *kv, size_t n, fr_str_fn fn, void *arg)
{
	for (size_t i = 0; i < n; i++) {
		int ret = visit_one(s, &kv[i].value, fn, arg);

		if (ret)
			return ret;
	}
	return 0;
}

static int visit_http(struct fr_scenario *s, struct fr_http *h, fr_str_fn fn, void *arg)
{
	struct fr_str *strs[] = { &h->url, &h->method, &h->body, &h->body_match };
	int ret = visit_list(s, strs, NELEMS(strs), fn, arg);

	return ret ? ret : visit_kvs(s, h->headers, h->nheaders, fn, arg);
}

static int visit_cmd(struct fr_scenario *s, struct fr_cmd *c, fr_str_fn fn, void *arg)
{
	for (size_t i = 0; i < c->argc; i++) {
		int ret = visit_one(s, &c->argv[i], fn, arg);

		if (ret)
			return ret;
	}
	return 0;
}

static int visit_conn(struct fr_scenario *s, struct fr_mysql_conn *c, fr_str_fn fn, void *arg)
{
	struct fr_str *strs[] = { &c->host, &c->port,	  &c->socket,
				  &c->user, &c->password, &c->database };

	return visit_list(s, strs, NELEMS(strs), fn, arg);
}

static int visit_check(struct fr_scenario *s, struct fr_check *c, fr_str_fn fn, void *arg)
{
	struct fr_str *log[] = { &c->log.file, &c->log.pattern };
	struct fr_str *mysql[] = { &c->mysql.query, &c->mysql.expect };
	int ret;

	switch (c->kind) {
	case FR_CHECK_HTTP:
		return visit_http(s, &c->http, fn, arg);
	case FR_CHECK_TCP:
		return visit_one(s, &c->tcp, fn, arg);
	case FR_CHECK_EXEC:
		return visit_cmd(s, &c->exec.cmd, fn, arg);
	case FR_CHECK_LOG:
		return visit_list(s, log, NELEMS(log), fn, arg);
	case FR_CHECK_MYSQL:
		ret = visit_conn(s, &c->mysql.conn, fn, arg);
		return ret ? ret : visit_list(s, mysql, NELEMS(mysql), fn, arg);
	default:
		return 0;
	}
}

static int visit_step(struct fr_scenario *s, struct fr_step *st, fr_str_fn fn, void *arg)
{
	struct fr_str *mysql[] = { &st->mysql.sql, &st->mysql.kill_user };
	int ret;

	switch (st->kind) {
	case FR_STEP_REQUEST:
		return visit_http(s, &st->req.http, fn, arg);
	case FR_STEP_RUN:
		return visit_cmd(s, &st->run.cmd, fn, arg);
	case FR_STEP_MYSQL:
		ret = visit_conn(s, &st->mysql.conn, fn, arg);
		return ret ? ret : visit_list(s, mysql, NELEMS(mysql), fn, arg);
	default:
		return 0;
	}
}

static int visit_services(struct fr_scenario *s, fr_str_fn fn, void *arg)
{
	for (size_t i = 0; i < s->nservices; i++) {
		struct fr_service *sv = &s->services[i];
		struct fr_str *strs[] = { &sv->host, &sv->port,	    &sv->socket,
					  &sv->user, &sv->password, &sv->database };
		int ret = sv->type == FR_SERVICE_PROCESS ?
				  0 :
				  visit_list(s, strs, NELEMS(strs), fn, arg);

		for (size_t b = 0; !ret && b < sv->lb.nbackends; b++)
			ret = visit_one(s, &sv->lb.backends[b].port, fn, arg);
		if (ret)
			return ret;
	}
	return 0;
}

static int visit_proc(struct fr_scenario *s, struct fr_target *t, fr_str_fn fn, void *arg)
{
	int ret;

	if ((ret = visit_cmd(s, &t->command, fn, arg)) ||
	    (ret = visit_kvs(s, t->env, t->nenv, fn, arg)) ||
	    (ret = visit_one(s, &t->cwd, fn, arg)) || (ret = visit_one(s, &t->user, fn, arg)) ||
	    (ret = visit_one(s, &t->pidfile, fn, arg)))
		return ret;
	return t->ready.present ? visit_check(s, &t->ready.check, fn, arg) : 0;
}

int fr_scenario_visit_strs(struct fr_scenario *s, fr_str_fn fn, void *arg)
{
	int ret;

	if ((ret = visit_services(s, fn, arg)))
		return ret;
	/* process services in file order, then the target */
	for (size_t i = 0; i < s->nservices; i++)
		if (s->services[i].type == FR_SERVICE_PROCESS &&
		    (ret = visit_proc(s, &s->services[i].proc, fn, arg)))
			return ret;
	if ((ret = visit_proc(s, &s->target, fn, arg)))
		return ret;
	for (size_t i = 0; i < s->nfaults; i++) {
		struct fr_fault *f = &s->faults[i];

		/* a SPEC's placeholders are in its fields (load_faults.c) */
		if ((ret = visit_kvs(s, f->fields, f->nfields, fn, arg)))
			return ret;
	}
	for (size_t i = 0; i < s->nprobes; i++)
		if ((ret = visit_check(s, &s->probes[i].check, fn, arg)))
			return ret;
	if (s->load.present && (ret = visit_http(s, &s->load.http, fn, arg)))
		return ret;
	for (size_t i = 0; i < s->nsteps; i++)
		if ((ret = visit_step(s, &s->steps[i], fn, arg)))
			return ret;
	return 0;
}
