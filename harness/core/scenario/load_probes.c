/*
 * The `probes:` section, and the checks a probe or a readiness check
 * runs: http, tcp, exec, log, target, mysql. A check kind is one row of
 * check_kinds and its parse function.
 */
#define _GNU_SOURCE
#include "scenario/load.h"
#include "scenario/scn_internal.h"

#include <stdio.h>
#include <string.h>

#define DEFAULT_MYSQL_TIMEOUT_NS 5000000000ull

/* ---- MySQL connections (also the timeline's mysql steps) ------------------ */

const char *const scn_mysql_conn_keys[] = {
	"service",	 "host",     "port",  "socket",		 "user",
	"password",	 "database", "admin", "connect-timeout", "read-timeout",
	"write-timeout",
};
const size_t scn_mysql_conn_nkeys = NKEYS(scn_mysql_conn_keys);

static int get_service_name(struct loader *L, yaml_node_t *v, const char **out)
{
	const char *cands[32];
	size_t nc = 0;
	bool found = false;
	int ret;

	if ((ret = scn_get_string(L, v, "service", out)))
		return ret;
	for (size_t i = 0; i < L->s->nservices; i++) {
		found |= strcmp(L->s->services[i].name, *out) == 0;
		if (nc < 32)
			cands[nc++] = L->s->services[i].name;
	}
	if (!found)
		return scn_fail(L, v, "unknown service '%s'%s", *out,
				scn_suggest(L, fr_nearest(*out, cands, nc)));
	return 0;
}

int scn_parse_mysql_conn(struct loader *L, yaml_node_t *map, struct fr_mysql_conn *c)
{
	struct fr_str *strs[] = { &c->host, &c->port,	  &c->socket,
				  &c->user, &c->password, &c->database };
	yaml_node_t *v;
	int ret;

	/* faultrun's own account, so that 'kill: target' spares it */
	c->admin = true;
	c->connect_timeout_ns = DEFAULT_MYSQL_TIMEOUT_NS;
	c->read_timeout_ns = DEFAULT_MYSQL_TIMEOUT_NS;
	c->write_timeout_ns = DEFAULT_MYSQL_TIMEOUT_NS;
	if ((v = scn_get(L, map, "service")) && (ret = get_service_name(L, v, &c->service)))
		return ret;
	/* scn_mysql_conn_keys after "service", in the order of strs */
	for (size_t i = 0; i < NKEYS(strs); i++)
		if ((ret = scn_opt_fstr(L, map, scn_mysql_conn_keys[i + 1], strs[i])))
			return ret;
	if (!c->service && !c->host.raw && !c->socket.raw)
		return scn_fail(L, map,
				"no server: give 'service' (a database from "
				"'services') or 'host'/'socket'");
	if ((v = scn_get(L, map, "admin")) && (ret = scn_get_bool(L, v, "admin", &c->admin)))
		return ret;
	if ((ret = scn_opt_positive_duration(L, map, "connect-timeout", &c->connect_timeout_ns)) ||
	    (ret = scn_opt_positive_duration(L, map, "read-timeout", &c->read_timeout_ns)))
		return ret;
	return scn_opt_positive_duration(L, map, "write-timeout", &c->write_timeout_ns);
}

/* ---- check kinds ------------------------------------------------------------ */

static int parse_http_check(struct loader *L, yaml_node_t *v, struct fr_check *c)
{
	return scn_parse_http(L, v, "http", NULL, 0, &c->http);
}

/* tcp: HOST:PORT */
static int parse_tcp_check(struct loader *L, yaml_node_t *v, struct fr_check *c)
{
	int ret = scn_get_fstr(L, v, "tcp", &c->tcp);

	if (!ret && !strrchr(c->tcp.raw, ':'))
		return scn_fail(L, v, "tcp '%s': expected HOST:PORT", c->tcp.raw);
	return ret;
}

/* exec: COMMAND, or {command, status} */
static int parse_exec_check(struct loader *L, yaml_node_t *v, struct fr_check *c)
{
	static const char *const keys[] = { "command", "status" };
	yaml_node_t *x;
	unsigned long st;
	int ret;

	c->exec.status = 0;
	if (v->type != YAML_MAPPING_NODE)
		return scn_get_cmd(L, v, "exec", &c->exec.cmd);
	if ((ret = scn_check_keys(L, v, keys, NKEYS(keys), "exec")))
		return ret;
	if (!(x = scn_get(L, v, "command")))
		return scn_fail(L, v, "exec has no 'command'");
	if ((ret = scn_get_cmd(L, x, "command", &c->exec.cmd)))
		return ret;
	if ((x = scn_get(L, v, "status"))) {
		if ((ret = scn_get_uint(L, x, "status", 255, &st)))
			return ret;
		c->exec.status = (int)st;
	}
	return 0;
}

/* log: PATTERN, or {file, pattern, expect: seen | absent} */
static int parse_log_check(struct loader *L, yaml_node_t *v, struct fr_check *c)
{
	static const char *const keys[] = { "file", "pattern", "expect" };
	yaml_node_t *x;
	const char *e;
	int ret;

	if (v->type == YAML_SCALAR_NODE) {
		if ((ret = scn_get_fstr(L, v, "pattern", &c->log.pattern)))
			return ret;
		return scn_check_regex(L, v, c->log.pattern.raw);
	}
	if ((ret = scn_want_map(L, v, "log")) ||
	    (ret = scn_check_keys(L, v, keys, NKEYS(keys), "log")) ||
	    (ret = scn_opt_fstr(L, v, "file", &c->log.file)))
		return ret;
	if (!(x = scn_get(L, v, "pattern")))
		return scn_fail(L, v, "log has no 'pattern'");
	if ((ret = scn_get_fstr(L, x, "pattern", &c->log.pattern)) ||
	    (ret = scn_check_regex(L, x, c->log.pattern.raw)))
		return ret;
	if (!(x = scn_get(L, v, "expect")))
		return 0;
	if ((ret = scn_get_string(L, x, "expect", &e)))
		return ret;
	if (strcmp(e, "seen") == 0)
		c->log.absent = false;
	else if (strcmp(e, "absent") == 0)
		c->log.absent = true;
	else
		return scn_fail(L, x,
				"log expect must be 'seen' (ok once a line "
				"matched) or 'absent' (ok while no new line matches), "
				"not '%s'",
				e);
	return 0;
}

/* target: alive | ready */
static int parse_target_check(struct loader *L, yaml_node_t *v, struct fr_check *c)
{
	const char *t;
	int ret;

	if ((ret = scn_get_string(L, v, "target", &t)))
		return ret;
	if (strcmp(t, "alive") == 0)
		c->target = FR_TARGET_ALIVE;
	else if (strcmp(t, "ready") == 0)
		c->target = FR_TARGET_READY;
	else
		return scn_fail(L, v,
				"target check must be 'alive' or 'ready', not "
				"'%s'",
				t);
	return 0;
}

/* mysql: a connection, and {query, expect} */
static int parse_mysql_check(struct loader *L, yaml_node_t *v, struct fr_check *c)
{
	const char *keys[NKEYS(scn_mysql_conn_keys) + 2];
	size_t nk = 0;
	int ret;

	if ((ret = scn_want_map(L, v, "mysql")))
		return ret;
	for (size_t i = 0; i < scn_mysql_conn_nkeys; i++)
		keys[nk++] = scn_mysql_conn_keys[i];
	keys[nk++] = "query";
	keys[nk++] = "expect";
	if ((ret = scn_check_keys(L, v, keys, nk, "mysql")) ||
	    (ret = scn_parse_mysql_conn(L, v, &c->mysql.conn)))
		return ret;
	if (scn_get(L, v, "query")) {
		if ((ret = scn_opt_fstr(L, v, "query", &c->mysql.query)))
			return ret;
	} else {
		c->mysql.query.raw = c->mysql.query.val = "SELECT 1";
	}
	return scn_opt_fstr(L, v, "expect", &c->mysql.expect);
}

/* In the order of enum fr_check_kind, which is the order of messages. */
static const struct check_kind {
	const char *name;
	enum fr_check_kind kind;
	int (*parse)(struct loader *L, yaml_node_t *v, struct fr_check *c);
} check_kinds[] = {
	{ "http", FR_CHECK_HTTP, parse_http_check },
	{ "tcp", FR_CHECK_TCP, parse_tcp_check },
	{ "exec", FR_CHECK_EXEC, parse_exec_check },
	{ "log", FR_CHECK_LOG, parse_log_check },
	{ "target", FR_CHECK_TARGET, parse_target_check },
	{ "mysql", FR_CHECK_MYSQL, parse_mysql_check },
};

size_t scn_check_keys_with(const char **keys, size_t max, const char *const *extra, size_t nextra)
{
	size_t n = 0;

	for (size_t i = 0; i < NKEYS(check_kinds) && n < max; i++)
		keys[n++] = check_kinds[i].name;
	for (size_t i = 0; i < nextra && n < max; i++)
		keys[n++] = extra[i];
	return n;
}

int scn_parse_check(struct loader *L, yaml_node_t *map, const char *what, struct fr_check *c)
{
	const struct check_kind *kind = NULL;
	yaml_node_t *found = NULL;

	for (size_t i = 0; i < NKEYS(check_kinds); i++) {
		yaml_node_t *x = scn_get(L, map, check_kinds[i].name);
		if (!x)
			continue;
		if (found)
			return scn_fail(L, scn_get_key(L, map, check_kinds[i].name),
					"%s has both '%s' and '%s': give one check", what,
					kind->name, check_kinds[i].name);
		found = x;
		kind = &check_kinds[i];
	}
	if (!found) {
		const char *names[NKEYS(check_kinds)];
		char list[128];
		scn_check_keys_with(names, NKEYS(names), NULL, 0);
		scn_join(list, sizeof(list), names, NKEYS(names), ", ");
		return scn_fail(L, map, "%s has no check: give one of %s", what, list);
	}
	c->kind = kind->kind;
	c->mark = scn_mark(L, scn_get_key(L, map, kind->name));
	return kind->parse(L, found, c);
}

/* ---- probes ----------------------------------------------------------------- */

/* lb: ~ (the defaults), or {healthy-threshold, unhealthy-threshold, initial} */
static int parse_lb(struct loader *L, yaml_node_t *x, struct fr_lb *lb)
{
	static const char *const keys[] = {
		"healthy-threshold",
		"unhealthy-threshold",
		"initial",
	};
	yaml_node_t *y;
	const char *iv;
	int ret;

	lb->on = true;
	lb->healthy = 2;
	lb->unhealthy = 3;
	lb->initial_in = true;
	if (scn_is_null(x))
		return 0;
	if ((ret = scn_want_map(L, x, "lb")) ||
	    (ret = scn_check_keys(L, x, keys, NKEYS(keys), "lb")))
		return ret;
	if ((y = scn_get(L, x, "healthy-threshold")) &&
	    (ret = scn_get_count(L, y, "healthy-threshold", 1000, &lb->healthy)))
		return ret;
	if ((y = scn_get(L, x, "unhealthy-threshold")) &&
	    (ret = scn_get_count(L, y, "unhealthy-threshold", 1000, &lb->unhealthy)))
		return ret;
	if (!(y = scn_get(L, x, "initial")))
		return 0;
	if ((ret = scn_get_string(L, y, "initial", &iv)))
		return ret;
	if (strcmp(iv, "in") && strcmp(iv, "out"))
		return scn_fail(L, y, "initial must be 'in' or 'out', not '%s'", iv);
	lb->initial_in = strcmp(iv, "in") == 0;
	return 0;
}

static int parse_probe(struct loader *L, yaml_node_t *k, yaml_node_t *v, struct fr_probe *p)
{
	static const char *const extra[] = { "interval", "timeout", "lb", "service" };
	const char *keys[16];
	size_t nkeys = scn_check_keys_with(keys, NKEYS(keys), extra, NKEYS(extra));
	yaml_node_t *x;
	char what[96];
	int ret;

	if ((ret = scn_get_name(L, k, "probe name", &p->name)))
		return ret;
	snprintf(what, sizeof(what), "probe '%s'", p->name);
	p->mark = scn_mark(L, k);
	p->interval_ns = DEFAULT_INTERVAL_NS;
	p->timeout_ns = DEFAULT_TIMEOUT_NS;
	if ((ret = scn_want_map(L, v, what)) || (ret = scn_check_keys(L, v, keys, nkeys, what)) ||
	    (ret = scn_parse_check(L, v, what, &p->check)) ||
	    (ret = scn_opt_positive_duration(L, v, "interval", &p->interval_ns)) ||
	    (ret = scn_opt_positive_duration(L, v, "timeout", &p->timeout_ns)))
		return ret;
	if (p->interval_ns < 1000000)
		return scn_fail(L, scn_get(L, v, "interval"), "interval must be at least 1ms");
	if ((x = scn_get(L, v, "service")) && p->check.kind != FR_CHECK_TARGET)
		return scn_fail(L, x,
				"'service' names what a 'target' check looks at; "
				"this probe checks %s",
				fr_check_kind_name(p->check.kind));
	if ((ret = scn_opt_proc(L, v, &p->check.service)))
		return ret;
	if (p->check.service)
		p->check.service_name = L->s->services[p->check.service - 1].name;
	if ((x = scn_get(L, v, "lb")))
		return parse_lb(L, x, &p->lb);
	return 0;
}

int scn_parse_probes(struct loader *L, yaml_node_t *n)
{
	struct fr_scenario *s = L->s;
	int ret;

	if ((ret = scn_want_named(L, n, "probes")))
		return ret;
	s->nprobes = scn_map_len(n);
	s->probes = fr_arena_alloc(s->arena, (s->nprobes + 1) * sizeof(*s->probes));
	for (size_t i = 0; i < s->nprobes; i++)
		if ((ret = parse_probe(L, scn_pair_key(L, n, i), scn_pair_value(L, n, i),
				       &s->probes[i])))
			return ret;
	return 0;
}
