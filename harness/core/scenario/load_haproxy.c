/*
 * A `type: haproxy` service: a real HAProxy in front of the target or
 * process services (docs/scenario-format.md, docs/haproxy.md). Its
 * command is made by the runner; here are its port, its backends (each
 * a unit of this scenario, resolved once every service is known), its
 * health check and timeouts. It never runs under the shim: it is the
 * observer, and faults go in the services behind it.
 */
#define _GNU_SOURCE
#include "scenario/load.h"
#include "scenario/scn_internal.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

/* HAProxy's own limit is 63 (io/haproxy.h, FR_HAPROXY_NAME_MAX); ours is shorter */
_Static_assert(FR_NAME_MAX <= 64, "service names must fit HAProxy's server names");

#define LB_DEFAULT_INTERVAL_NS 2000000000ull
#define LB_DEFAULT_GRACE_NS 6000000000ull /* hard-stop-after 5 s, and a second */
#define LB_READY_BASE_NS 10000000000ull

static const char *const lb_keys[] = {
	"type",	    "port",	  "backends",	  "check", "no-backend-status",
	"timeouts", "depends-on", "ready-within", "shim",
};
static const char *const check_keys[] = { "path", "interval", "timeout", "rise", "fall" };
static const char *const timeout_keys[] = { "connect", "server", "client" };
static const char *const backend_keys[] = { "service", "port" };

/*
 * A check path reaches HAProxy's configuration parser: only what
 * fr_haproxy_conf_check() accepts (docs/haproxy.md, "Input that reaches
 * HAProxy's parser"), refused here where it is written.
 */
static bool path_ok(const char *p)
{
	if (p[0] != '/')
		return false;
	for (; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("-._~/?&=%+:@!,;*", *p)))
			return false;
	return true;
}

static int parse_check(struct loader *L, yaml_node_t *n, struct fr_haproxy_svc *lb)
{
	yaml_node_t *x;
	int ret;

	if ((ret = scn_want_map(L, n, "check")) ||
	    (ret = scn_check_keys(L, n, check_keys, NKEYS(check_keys), "check")))
		return ret;
	if ((x = scn_get(L, n, "path"))) {
		if ((ret = scn_get_string(L, x, "path", &lb->check_path)))
			return ret;
		if (!path_ok(lb->check_path))
			return scn_fail(L, x,
					"check path '%s': start with '/' and use letters, "
					"digits and -._~/?&=%%+:@!,;* only (HAProxy's "
					"configuration would read anything else as syntax)",
					lb->check_path);
	}
	if ((ret = scn_opt_positive_duration(L, n, "interval", &lb->check_interval_ns)) ||
	    (ret = scn_opt_positive_duration(L, n, "timeout", &lb->check_timeout_ns)))
		return ret;
	if ((x = scn_get(L, n, "rise")) && (ret = scn_get_count(L, x, "rise", 1000, &lb->rise)))
		return ret;
	if ((x = scn_get(L, n, "fall")) && (ret = scn_get_count(L, x, "fall", 1000, &lb->fall)))
		return ret;
	return 0;
}

static int parse_timeouts(struct loader *L, yaml_node_t *n, struct fr_haproxy_svc *lb)
{
	int ret;

	if ((ret = scn_want_map(L, n, "timeouts")) ||
	    (ret = scn_check_keys(L, n, timeout_keys, NKEYS(timeout_keys), "timeouts")))
		return ret;
	if ((ret = scn_opt_positive_duration(L, n, "connect", &lb->connect_timeout_ns)) ||
	    (ret = scn_opt_positive_duration(L, n, "server", &lb->server_timeout_ns)) ||
	    (ret = scn_opt_positive_duration(L, n, "client", &lb->client_timeout_ns)))
		return ret;
	return 0;
}

static int parse_status(struct loader *L, yaml_node_t *x, int *out)
{
	unsigned long v;
	int ret;

	if ((ret = scn_get_uint(L, x, "no-backend-status", 999, &v)))
		return ret;
	if (v != 502 && v != 503)
		return scn_fail(L, x,
				"no-backend-status %lu: 502 (as a cloud load balancer "
				"answers) or 503 (HAProxy's own)",
				v);
	*out = (int)v;
	return 0;
}

/* The defaults, then what the file says; backends' names come later (scn_haproxy_resolve). */
int scn_parse_haproxy(struct loader *L, yaml_node_t *v, const char *what, struct fr_service *sv)
{
	struct fr_haproxy_svc *lb = &sv->lb;
	struct fr_target *t = &sv->proc;
	yaml_node_t *x;
	bool shim = false;
	int ret;

	if ((ret = scn_check_keys(L, v, lb_keys, NKEYS(lb_keys), what)))
		return ret;
	t->name = sv->name;
	t->mark = sv->mark;
	t->stop_signal = SIGUSR1; /* a soft stop: exit 0 (docs/haproxy.md) */
	t->grace_ns = LB_DEFAULT_GRACE_NS;
	t->restart = FR_RESTART_NEVER;
	lb->down_status = 503;
	lb->rise = 2;
	lb->fall = 3;
	if ((x = scn_get(L, v, "shim")) && (ret = scn_get_bool(L, x, "shim", &shim)))
		return ret;
	if (shim)
		return scn_fail(L, x,
				"%s: HAProxy never runs under the shim: it is the observer; put "
				"the faults in the services behind it",
				what);
	if (!(x = scn_get(L, v, "port")))
		return scn_fail(L, v, "%s needs 'port' (where users connect, e.g. ${port.%s})",
				what, sv->name);
	if ((ret = scn_get_fstr(L, x, "port", &sv->port)))
		return ret;
	if (!(x = scn_get(L, v, "backends")))
		return scn_fail(L, v, "%s needs 'backends' (the target or process services)", what);
	if ((ret = scn_want_seq(L, x, "backends")))
		return ret;
	if (!(lb->nbackends = scn_seq_len(x)))
		return scn_fail(L, x, "%s: 'backends' is empty", what);
	lb->backends = fr_arena_alloc(L->s->arena, lb->nbackends * sizeof(*lb->backends));
	if ((x = scn_get(L, v, "check")) && (ret = parse_check(L, x, lb)))
		return ret;
	if ((x = scn_get(L, v, "no-backend-status")) &&
	    (ret = parse_status(L, x, &lb->down_status)))
		return ret;
	if ((x = scn_get(L, v, "timeouts")) && (ret = parse_timeouts(L, x, lb)))
		return ret;
	if ((ret = scn_opt_positive_duration(L, v, "ready-within", &lb->ready_deadline_ns)))
		return ret;
	if (!lb->ready_deadline_ns) {
		uint64_t inter = lb->check_interval_ns ? lb->check_interval_ns :
							 LB_DEFAULT_INTERVAL_NS;
		lb->ready_deadline_ns = LB_READY_BASE_NS + lb->rise * inter;
	}
	return 0;
}

/* One item of backends: NAME, or {service: NAME, port: PORT}. */
static int parse_backend(struct loader *L, yaml_node_t *y, struct fr_lb_backend *b)
{
	yaml_node_t *nx = y;
	int ret;

	b->mark = scn_mark(L, y);
	if (y->type == YAML_MAPPING_NODE) {
		if ((ret = scn_check_keys(L, y, backend_keys, NKEYS(backend_keys), "a backend")))
			return ret;
		if (!(nx = scn_get(L, y, "service")))
			return scn_fail(L, y,
					"a backend needs 'service' (a process service or "
					"target)");
		if ((ret = scn_opt_fstr(L, y, "port", &b->port)))
			return ret;
	}
	return scn_get_string(L, nx, "backends", &b->name);
}

/*
 * The backends of services[self], once every service is known: the
 * target or process services, each once; a service that is one starts
 * after it (depends-on), the target's starts after the target.
 */
int scn_haproxy_resolve(struct loader *L, yaml_node_t *v, size_t self)
{
	struct fr_service *sv = &L->s->services[self];
	yaml_node_t *x = scn_get(L, v, "backends");
	int ret;

	for (size_t i = 0; i < sv->lb.nbackends; i++) {
		struct fr_lb_backend *b = &sv->lb.backends[i];
		yaml_node_t *y = scn_seq_item(L, x, i);

		if ((ret = parse_backend(L, y, b)) ||
		    (ret = scn_find_proc_at(L, b->mark, b->name, &b->proc)))
			return ret;
		if (b->proc && L->s->services[b->proc - 1].type != FR_SERVICE_PROCESS)
			return fr_errorf(L->err, L->errlen, b->mark,
					 "backend '%s' is a haproxy service; a backend is the "
					 "target or a process service",
					 b->name);
		for (size_t k = 0; k < i; k++)
			if (!strcmp(sv->lb.backends[k].name, b->name))
				return fr_errorf(L->err, L->errlen, b->mark,
						 "backend '%s' is named twice", b->name);
		if (!b->port.raw) {
			b->port.raw = fr_arena_printf(L->s->arena, "${port.%s}", b->name);
			b->port.mark = b->mark;
			scn_add_port(L->s, b->name);
		}
		if (!b->proc)
			sv->after_target = true;
		else
			sv->deps[sv->ndeps++] = b->proc - 1;
	}
	return 0;
}
