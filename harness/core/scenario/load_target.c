/*
 * The `target:` section and `type: process` services: a command, its
 * environment, when it is ready, how it is restarted and stopped, whether
 * it daemonizes; and the names `service:` and `in:` give.
 */
#define _GNU_SOURCE
#include "scenario/load.h"
#include "scenario/scn_internal.h"

#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_READY_DEADLINE_NS 30000000000ull
#define DEFAULT_READY_INTERVAL_NS 100000000ull
#define DEFAULT_GRACE_NS 5000000000ull
#define DEFAULT_BACKOFF_NS 1000000000ull
#define DEFAULT_MAX_BACKOFF_NS 30000000000ull

static const struct {
	const char *name;
	enum fr_restart_policy policy;
} restart_policies[] = {
	{ "never", FR_RESTART_NEVER },
	{ "on-failure", FR_RESTART_ON_FAILURE },
	{ "always", FR_RESTART_ALWAYS },
};

static int parse_ready(struct loader *L, yaml_node_t *n, struct fr_ready *r)
{
	static const char *const extra[] = { "deadline", "interval", "timeout" };
	const char *keys[16];
	size_t nkeys = scn_check_keys_with(keys, NKEYS(keys), extra, NKEYS(extra));
	int ret;

	r->present = true;
	r->deadline_ns = DEFAULT_READY_DEADLINE_NS;
	r->interval_ns = DEFAULT_READY_INTERVAL_NS;
	r->timeout_ns = DEFAULT_TIMEOUT_NS;
	if ((ret = scn_want_map(L, n, "ready")) ||
	    (ret = scn_check_keys(L, n, keys, nkeys, "ready")) ||
	    (ret = scn_parse_check(L, n, "ready", &r->check)))
		return ret;
	if (r->check.kind == FR_CHECK_TARGET)
		return scn_fail(L, scn_get_key(L, n, "target"),
				"a readiness check cannot be 'target' (use http, tcp, "
				"exec, log or mysql)");
	if ((ret = scn_opt_positive_duration(L, n, "deadline", &r->deadline_ns)) ||
	    (ret = scn_opt_positive_duration(L, n, "interval", &r->interval_ns)))
		return ret;
	return scn_opt_positive_duration(L, n, "timeout", &r->timeout_ns);
}

static int parse_env(struct loader *L, yaml_node_t *x, struct fr_target *t)
{
	int ret;

	if ((ret = scn_want_named(L, x, "env")))
		return ret;
	t->nenv = scn_map_len(x);
	t->env = fr_arena_alloc(L->s->arena, (t->nenv + 1) * sizeof(*t->env));
	for (size_t i = 0; i < t->nenv; i++) {
		yaml_node_t *k = scn_pair_key(L, x, i);
		t->env[i].key = fr_arena_strdup(L->s->arena, scn_scalar(k));
		if (!*t->env[i].key || strchr(t->env[i].key, '='))
			return scn_fail(L, k, "bad environment variable name '%s'", t->env[i].key);
		if ((ret = scn_get_fstr(L, scn_pair_value(L, x, i), "an env value",
					&t->env[i].value)))
			return ret;
	}
	return 0;
}

static int parse_policy(struct loader *L, yaml_node_t *pol, struct fr_target *t)
{
	const char *names[NKEYS(restart_policies)], *p;
	int ret;

	if ((ret = scn_get_string(L, pol, "restart policy", &p)))
		return ret;
	for (size_t i = 0; i < NKEYS(restart_policies); i++) {
		names[i] = restart_policies[i].name;
		if (strcmp(p, names[i]) == 0) {
			t->restart = restart_policies[i].policy;
			return 0;
		}
	}
	return scn_fail(L, pol,
			"unknown restart policy '%s'%s (never, "
			"on-failure, always)",
			p, scn_suggest(L, fr_nearest(p, names, NKEYS(names))));
}

/* restart: POLICY, or {policy, backoff, max-backoff, limit} */
static int parse_restart(struct loader *L, yaml_node_t *x, struct fr_target *t)
{
	static const char *const keys[] = { "policy", "backoff", "max-backoff", "limit" };
	yaml_node_t *pol = x, *y;
	unsigned long lim;
	int ret;

	if (x->type == YAML_MAPPING_NODE) {
		if ((ret = scn_check_keys(L, x, keys, NKEYS(keys), "restart")))
			return ret;
		if (!(pol = scn_get(L, x, "policy")))
			return scn_fail(L, x,
					"restart has no 'policy' (never, "
					"on-failure, always)");
	}
	if ((ret = parse_policy(L, pol, t)) || x->type != YAML_MAPPING_NODE)
		return ret;
	if ((ret = scn_opt_duration(L, x, "backoff", &t->backoff_ns)) ||
	    (ret = scn_opt_duration(L, x, "max-backoff", &t->max_backoff_ns)))
		return ret;
	if (t->max_backoff_ns < t->backoff_ns)
		t->max_backoff_ns = t->backoff_ns;
	if ((y = scn_get(L, x, "limit"))) {
		if ((ret = scn_get_uint(L, y, "limit", 1000000, &lim)))
			return ret;
		t->restart_limit = (unsigned)lim;
	}
	return 0;
}

/* stop: {signal, grace} */
static int parse_stop(struct loader *L, yaml_node_t *x, struct fr_target *t)
{
	static const char *const keys[] = { "signal", "grace" };
	yaml_node_t *y;
	int ret;

	if ((ret = scn_want_map(L, x, "stop")) ||
	    (ret = scn_check_keys(L, x, keys, NKEYS(keys), "stop")))
		return ret;
	if ((y = scn_get(L, x, "signal")) &&
	    (ret = scn_get_signal(L, y, "stop signal", &t->stop_signal)))
		return ret;
	return scn_opt_duration(L, x, "grace", &t->grace_ns);
}

/*
 * user: NAME or a numeric uid, the user the target runs as. vars and env
 * placeholders only (the run directory is made for that user, before any
 * run-time value exists), and the user must exist here and now: a typo is
 * an error at its line, not a run that cannot start.
 */
static int parse_user(struct loader *L, yaml_node_t *x, const char *what, struct fr_str *out)
{
	int ret = scn_want_scalar(L, x, "user");
	char *end;

	if (ret || (ret = scn_expand(L, x, false, &out->raw)))
		return ret;
	out->val = out->raw;
	out->mark = scn_mark(L, x);
	errno = 0;
	long id = strtol(out->raw, &end, 10);
	if (*out->raw && !*end && !errno && id >= 0 ? getpwuid((uid_t)id) : getpwnam(out->raw))
		return 0;
	return scn_fail(L, x, "%s.user '%s': no such user", what, out->raw);
}

/* daemon: BOOL, pidfile: PATH (a daemon's main process) */
static int parse_daemon(struct loader *L, yaml_node_t *n, struct fr_target *t)
{
	yaml_node_t *x;
	int ret;

	if ((x = scn_get(L, n, "daemon")) && (ret = scn_get_bool(L, x, "daemon", &t->daemon)))
		return ret;
	if ((ret = scn_opt_fstr(L, n, "pidfile", &t->pidfile)))
		return ret;
	if (t->pidfile.raw)
		t->daemon = true;
	if (t->daemon && t->restart != FR_RESTART_NEVER)
		return scn_fail(L, scn_get_key(L, n, "restart"),
				"%s is a daemon: faultrun does not restart it (its command "
				"exits once the daemon runs); remove 'restart'",
				t->name);
	return 0;
}

/*
 * A process faultrun runs: the target, or a `type: process` service.
 * extra: the keys the caller reads itself ("type", "depends-on").
 */
int scn_parse_proc(struct loader *L, yaml_node_t *n, const char *name, const char *what,
		   const char *const *extra, size_t nextra, struct fr_target *t)
{
	static const char *const base[] = {
		"command", "env",  "cwd",    "ready",	"restart", "stop",
		"shim",	   "user", "daemon", "pidfile", "backend",
	};
	const char *keys[NKEYS(base) + 4];
	size_t nkeys = 0;
	yaml_node_t *x;
	int ret;

	for (size_t i = 0; i < NKEYS(base); i++)
		keys[nkeys++] = base[i];
	for (size_t i = 0; i < nextra && nkeys < NKEYS(keys); i++)
		keys[nkeys++] = extra[i];
	t->name = name;
	t->mark = scn_mark(L, n);
	t->stop_signal = SIGTERM;
	t->grace_ns = DEFAULT_GRACE_NS;
	t->backoff_ns = DEFAULT_BACKOFF_NS;
	t->max_backoff_ns = DEFAULT_MAX_BACKOFF_NS;
	t->shim = true;
	if ((ret = scn_want_map(L, n, what)) || (ret = scn_check_keys(L, n, keys, nkeys, what)))
		return ret;
	if (!(x = scn_get(L, n, "command")))
		return scn_fail(L, n, "%s has no 'command'", what);
	if ((ret = scn_get_cmd(L, x, "command", &t->command)))
		return ret;
	if ((x = scn_get(L, n, "env")) && (ret = parse_env(L, x, t)))
		return ret;
	if ((ret = scn_opt_fstr(L, n, "cwd", &t->cwd)))
		return ret;
	if ((x = scn_get(L, n, "user")) && (ret = parse_user(L, x, what, &t->user)))
		return ret;
	if ((x = scn_get(L, n, "shim")) && (ret = scn_get_bool(L, x, "shim", &t->shim)))
		return ret;
	t->backend_mark = t->mark;
	if ((x = scn_get(L, n, "backend")) && (ret = scn_parse_backend(L, x, what, t)))
		return ret;
	if (x && !t->shim)
		return scn_fail(
			L, x,
			"%s.backend: the unit runs without faults (shim: false); remove one "
			"of the two",
			what);
	if ((x = scn_get(L, n, "ready")) && (ret = parse_ready(L, x, &t->ready)))
		return ret;
	if ((x = scn_get(L, n, "restart")) && (ret = parse_restart(L, x, t)))
		return ret;
	if ((x = scn_get(L, n, "stop")) && (ret = parse_stop(L, x, t)))
		return ret;
	return parse_daemon(L, n, t);
}

int scn_parse_target(struct loader *L, yaml_node_t *n)
{
	return scn_parse_proc(L, n, "target", "target", NULL, 0, &L->s->target);
}

/*
 * NAME in `service:`, `in:`: the target ("target"), or a service of type
 * process or haproxy. *out: its proc number (fr_fault.in): 0 for the target, 1 + its
 * index for a service. Returns 0 or -EINVAL.
 */
int scn_find_proc_at(struct loader *L, struct fr_mark at, const char *name, int *out)
{
	const char *cands[65] = { "target" };
	size_t nc = 1;

	if (strcmp(name, "target") == 0) {
		*out = 0;
		return 0;
	}
	for (size_t i = 0; i < L->s->nservices; i++) {
		const struct fr_service *sv = &L->s->services[i];

		if (strcmp(sv->name, name) == 0) {
			if (!fr_service_is_unit(sv->type))
				return fr_errorf(L->err, L->errlen, at,
						 "service '%s' is not a process faultrun runs "
						 "(type: process); name the target or a process "
						 "service",
						 name);
			*out = (int)i + 1;
			return 0;
		}
		if (fr_service_is_unit(sv->type) && nc < NKEYS(cands))
			cands[nc++] = sv->name;
	}
	return fr_errorf(L->err, L->errlen, at, "unknown service '%s'%s", name,
			 scn_suggest(L, fr_nearest(name, cands, nc)));
}

int scn_find_proc(struct loader *L, yaml_node_t *at, const char *name, int *out)
{
	return scn_find_proc_at(L, scn_mark(L, at), name, out);
}

/* service: NAME, an optional key of map (absent: the target). */
int scn_opt_proc(struct loader *L, yaml_node_t *map, int *out)
{
	yaml_node_t *x = map->type == YAML_MAPPING_NODE ? scn_get(L, map, "service") : NULL;
	const char *name;
	int ret;

	*out = 0;
	if (!x)
		return 0;
	if ((ret = scn_get_string(L, x, "service", &name)))
		return ret;
	return scn_find_proc(L, x, name, out);
}
