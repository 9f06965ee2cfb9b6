/*
 * The `timeline:` section: a list of steps, each `at: TIME` and one
 * action. An action is one row of step_kinds and its parse function.
 * Steps are sorted by time (stable), then replayed to check that every
 * inject and clear makes sense and nothing comes after the end.
 */
#define _GNU_SOURCE
#include "scenario/load.h"
#include "scenario/scn_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_RUN_TIMEOUT_NS 30000000000ull
#define DEFAULT_REQUEST_TIMEOUT_NS 10000000000ull

/* The action's node, and its key as written (the step kind's name). */
struct action {
	yaml_node_t *v;
	const char *name;
};

/* inject: FAULT / clear: FAULT */
static int parse_fault_step(struct loader *L, const struct action *a, struct fr_step *st)
{
	const char *name;
	int ret;

	if ((ret = scn_get_string(L, a->v, a->name, &name)))
		return ret;
	ret = scn_find_fault(L, a->v, name);
	if (ret < 0)
		return ret;
	st->fault = ret;
	return 0;
}

/* {count, concurrency, timeout, name} besides the request */
static int parse_request_opts(struct loader *L, yaml_node_t *v, struct fr_step *st,
			      const char **name)
{
	yaml_node_t *x;
	unsigned long u;
	int ret;

	if ((x = scn_get(L, v, "count")) &&
	    (ret = scn_get_count(L, x, "count", 100000, &st->req.count)))
		return ret;
	if ((x = scn_get(L, v, "concurrency"))) {
		if ((ret = scn_get_uint(L, x, "concurrency", 1000, &u)))
			return ret;
		st->req.concurrency = (unsigned)u;
	}
	if ((ret = scn_opt_positive_duration(L, v, "timeout", &st->req.timeout_ns)))
		return ret;
	if ((x = scn_get(L, v, "name")))
		return scn_get_name(L, x, "name", name);
	return 0;
}

/* request: URL, or an HTTP request and its options; samples go in a series */
static int parse_request_step(struct loader *L, const struct action *a, struct fr_step *st)
{
	static const char *const extra[] = { "count", "concurrency", "timeout", "name" };
	const char *name = "requests";
	int ret;

	st->req.count = 1;
	st->req.concurrency = 0;
	st->req.timeout_ns = DEFAULT_REQUEST_TIMEOUT_NS;
	if ((ret = scn_parse_http(L, a->v, "request", extra, NKEYS(extra), &st->req.http)))
		return ret;
	if (a->v->type == YAML_MAPPING_NODE && (ret = parse_request_opts(L, a->v, st, &name)))
		return ret;
	if (!st->req.concurrency || st->req.concurrency > st->req.count)
		st->req.concurrency = st->req.count;
	ret = scn_add_series(L, a->v, name, FR_SERIES_REQUEST, -1);
	if (ret < 0)
		return ret;
	st->req.series = ret;
	return 0;
}

/* signal: SIG, or {signal: SIG, service: NAME} */
static int parse_signal_step(struct loader *L, const struct action *a, struct fr_step *st)
{
	static const char *const keys[] = { "signal", "service" };
	yaml_node_t *x;
	int ret;

	if (a->v->type != YAML_MAPPING_NODE)
		return scn_get_signal(L, a->v, "signal", &st->signo);
	if ((ret = scn_check_keys(L, a->v, keys, NKEYS(keys), "signal")))
		return ret;
	if (!(x = scn_get(L, a->v, "signal")))
		return scn_fail(L, a->v, "signal has no 'signal' (TERM, KILL, HUP, ...)");
	if ((ret = scn_get_signal(L, x, "signal", &st->signo)))
		return ret;
	return scn_opt_proc(L, a->v, &st->service);
}

/* restart: target, or NAME (a process service) */
static int parse_restart_step(struct loader *L, const struct action *a, struct fr_step *st)
{
	const char *v;
	int ret;

	if ((ret = scn_get_string(L, a->v, "restart", &v)))
		return ret;
	if (strcmp(v, "true") == 0)
		return 0;
	return scn_find_proc(L, a->v, v, &st->service);
}

/* run: COMMAND, or {command, timeout} */
static int parse_run_step(struct loader *L, const struct action *a, struct fr_step *st)
{
	static const char *const keys[] = { "command", "timeout" };
	yaml_node_t *v = a->v, *x;
	int ret;

	st->run.timeout_ns = DEFAULT_RUN_TIMEOUT_NS;
	if (v->type != YAML_MAPPING_NODE)
		return scn_get_cmd(L, v, "run", &st->run.cmd);
	if ((ret = scn_check_keys(L, v, keys, NKEYS(keys), "run")))
		return ret;
	if (!(x = scn_get(L, v, "command")))
		return scn_fail(L, v, "run has no 'command'");
	if ((ret = scn_get_cmd(L, x, "command", &st->run.cmd)))
		return ret;
	return scn_opt_positive_duration(L, v, "timeout", &st->run.timeout_ns);
}

/* ---- mysql: a connection and one operation ---------------------------------- */

static int parse_mysql_sql(struct loader *L, yaml_node_t *x, struct fr_step *st)
{
	return scn_get_fstr(L, x, "sql", &st->mysql.sql);
}

static int parse_mysql_hold(struct loader *L, yaml_node_t *x, struct fr_step *st)
{
	unsigned long u;
	int ret;

	if ((ret = scn_get_uint(L, x, "hold (connections)", 100000, &u)))
		return ret;
	if (!u)
		return scn_fail(L, x, "hold must be at least 1 connection");
	st->mysql.connections = (unsigned)u;
	return 0;
}

static int parse_mysql_lock(struct loader *L, yaml_node_t *x, struct fr_step *st)
{
	return scn_get_fstr(L, x, "lock (SQL)", &st->mysql.sql);
}

static int parse_mysql_kill(struct loader *L, yaml_node_t *x, struct fr_step *st)
{
	return scn_get_fstr(L, x, "kill (user)", &st->mysql.kill_user);
}

static const struct mysql_op {
	const char *name;
	enum fr_mysql_action_kind op;
	int (*parse)(struct loader *L, yaml_node_t *x, struct fr_step *st);
	bool timed; /* takes 'for' */
} mysql_ops[] = {
	{ "sql", FR_MYSQL_SQL, parse_mysql_sql, false },
	{ "hold", FR_MYSQL_HOLD, parse_mysql_hold, true },
	{ "lock", FR_MYSQL_LOCK, parse_mysql_lock, true },
	{ "kill", FR_MYSQL_KILL, parse_mysql_kill, false },
};

static int parse_mysql_step(struct loader *L, const struct action *a, struct fr_step *st)
{
	const char *keys[NKEYS(mysql_ops) + 16], *names[NKEYS(mysql_ops)];
	const struct mysql_op *op = NULL;
	yaml_node_t *v = a->v, *x, *which = NULL;
	size_t nk = 0, nops = 0;
	char list[64];
	int ret;

	if ((ret = scn_want_map(L, v, "mysql")))
		return ret;
	for (size_t i = 0; i < scn_mysql_conn_nkeys; i++)
		keys[nk++] = scn_mysql_conn_keys[i];
	for (size_t i = 0; i < NKEYS(mysql_ops); i++)
		keys[nk++] = names[i] = mysql_ops[i].name;
	keys[nk++] = "for";
	if ((ret = scn_check_keys(L, v, keys, nk, "mysql")) ||
	    (ret = scn_parse_mysql_conn(L, v, &st->mysql.conn)))
		return ret;
	for (size_t i = 0; i < NKEYS(mysql_ops); i++) {
		if (!(x = scn_get(L, v, mysql_ops[i].name)))
			continue;
		op = &mysql_ops[i];
		st->mysql.op = op->op;
		which = x;
		nops++;
		if ((ret = op->parse(L, x, st)))
			return ret;
	}
	scn_join(list, sizeof(list), names, NKEYS(names), ", ");
	if (nops != 1)
		return scn_fail(L, nops ? which : v,
				"a mysql step needs exactly one "
				"of %s",
				list);
	if (!(x = scn_get(L, v, "for")))
		return 0;
	if (!op->timed)
		return scn_fail(L, x, "'for' applies to hold and lock only");
	return scn_get_positive_duration(L, x, "for", &st->mysql.for_ns);
}

static int parse_end_step(struct loader *L, const struct action *a, struct fr_step *st)
{
	bool b;
	int ret;

	(void)st;
	if ((ret = scn_get_bool(L, a->v, "end", &b)))
		return ret;
	if (!b)
		return scn_fail(L, a->v, "end takes 'true'");
	return 0;
}

/* disk: {fault: NAME, free: +1MiB | -1MiB | 1MiB} */
static int parse_disk_step(struct loader *L, const struct action *a, struct fr_step *st)
{
	static const char *const keys[] = { "fault", "free" };
	yaml_node_t *x;
	const char *v;
	uint64_t bytes;
	int ret;

	if ((ret = scn_want_map(L, a->v, "disk")) ||
	    (ret = scn_check_keys(L, a->v, keys, NKEYS(keys), "disk")))
		return ret;
	if (!(x = scn_get(L, a->v, "fault")))
		return scn_fail(L, a->v, "disk needs 'fault' (the disk fault it changes)");
	if ((ret = parse_fault_step(L, &(struct action){ x, "fault" }, st)))
		return ret;
	if (!scn_fault_is_disk(&L->s->faults[st->fault]))
		return scn_fail(L, x, "fault '%s' is not a disk fault (disk free=SIZE path=...)",
				L->s->faults[st->fault].name);
	if (!(x = scn_get(L, a->v, "free")))
		return scn_fail(L, a->v, "disk needs 'free' (+1MiB frees 1 MiB, 0 fills it)");
	if ((ret = scn_get_string(L, x, "free", &v)))
		return ret;
	st->disk.absolute = v[0] != '+' && v[0] != '-';
	if (fr_parse_size(v + !st->disk.absolute, &bytes) < 0 || bytes > INT64_MAX)
		return scn_fail(L, x,
				"free: expected a size (1MiB to set it), or +SIZE/-SIZE "
				"to change it, not '%s'",
				v);
	st->disk.free = v[0] == '-' ? -(int64_t)bytes : (int64_t)bytes;
	return 0;
}

/* ---- steps ------------------------------------------------------------------- */

/* In the order of enum fr_step_kind, which is the order of messages. */
static const struct step_kind {
	const char *name;
	enum fr_step_kind kind;
	int (*parse)(struct loader *L, const struct action *a, struct fr_step *st);
} step_kinds[] = {
	{ "inject", FR_STEP_INJECT, parse_fault_step },
	{ "clear", FR_STEP_CLEAR, parse_fault_step },
	{ "request", FR_STEP_REQUEST, parse_request_step },
	{ "signal", FR_STEP_SIGNAL, parse_signal_step },
	{ "restart", FR_STEP_RESTART, parse_restart_step },
	{ "run", FR_STEP_RUN, parse_run_step },
	{ "mysql", FR_STEP_MYSQL, parse_mysql_step },
	{ "disk", FR_STEP_DISK, parse_disk_step },
	{ "end", FR_STEP_END, parse_end_step },
};

/* The one action of step n. */
static int find_action(struct loader *L, yaml_node_t *n, const struct step_kind **kind,
		       struct action *a)
{
	const char *names[NKEYS(step_kinds)];
	char list[128];

	*kind = NULL;
	for (size_t i = 0; i < NKEYS(step_kinds); i++) {
		yaml_node_t *y = scn_get(L, n, step_kinds[i].name);
		names[i] = step_kinds[i].name;
		if (!y)
			continue;
		if (*kind)
			return scn_fail(L, scn_get_key(L, n, step_kinds[i].name),
					"a timeline step does one thing: it has both "
					"'%s' and '%s'",
					a->name, step_kinds[i].name);
		*kind = &step_kinds[i];
		a->v = y;
		a->name = step_kinds[i].name;
	}
	if (*kind)
		return 0;
	scn_join(list, sizeof(list), names, NKEYS(names), " or ");
	return scn_fail(L, n, "a timeline step needs an action: %s", list);
}

static int parse_step(struct loader *L, yaml_node_t *n, struct fr_step *st)
{
	const char *keys[NKEYS(step_kinds) + 1] = { "at" };
	const struct step_kind *kind;
	struct action a;
	yaml_node_t *x;
	int ret;

	for (size_t i = 0; i < NKEYS(step_kinds); i++)
		keys[i + 1] = step_kinds[i].name;
	st->mark = scn_mark(L, n);
	st->fault = -1;
	if ((ret = scn_want_map(L, n, "a timeline step")) ||
	    (ret = scn_check_keys(L, n, keys, NKEYS(keys), "a timeline step")))
		return ret;
	if (!(x = scn_get(L, n, "at")))
		return scn_fail(L, n,
				"a timeline step needs 'at' (a time from the "
				"start of the run, like 5s)");
	if ((ret = scn_get_duration(L, x, "at", &st->at_ns)) ||
	    (ret = find_action(L, n, &kind, &a)))
		return ret;
	st->kind = kind->kind;
	st->mark = scn_mark(L, scn_get_key(L, n, kind->name));
	return kind->parse(L, &a, st);
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

int scn_parse_timeline(struct loader *L, yaml_node_t *n)
{
	struct fr_scenario *s = L->s;
	int ret;

	if ((ret = scn_want_seq(L, n, "timeline")))
		return ret;
	s->nsteps = scn_seq_len(n);
	s->steps = fr_arena_alloc(s->arena, (s->nsteps + 1) * sizeof(*s->steps));
	for (size_t i = 0; i < s->nsteps; i++)
		if ((ret = parse_step(L, scn_seq_item(L, n, i), &s->steps[i])))
			return ret;
	qsort(s->steps, s->nsteps, sizeof(*s->steps), cmp_steps);
	return 0;
}

/* ---- replay ------------------------------------------------------------------ */

/* The end: a step 'end', or the scenario's duration, not both. */
static int check_end(struct loader *L, const struct fr_step *st, bool *has_end)
{
	struct fr_scenario *s = L->s;
	char d[32];

	if (*has_end)
		return fr_errorf(L->err, L->errlen, st->mark,
				 "this step comes after the timeline's 'end'");
	if (st->kind == FR_STEP_END) {
		if (s->duration_ns)
			return fr_errorf(L->err, L->errlen, st->mark,
					 "the scenario has both 'duration' and a "
					 "timeline 'end'; keep one");
		s->duration_ns = st->at_ns;
		*has_end = true;
	} else if (s->duration_ns && st->at_ns >= s->duration_ns) {
		fr_fmt_duration(d, sizeof(d), s->duration_ns);
		return fr_errorf(L->err, L->errlen, st->mark,
				 "this step is at or after the end of the run "
				 "(duration %s)",
				 d);
	}
	return 0;
}

int scn_check_timeline(struct loader *L, yaml_node_t *top)
{
	struct fr_scenario *s = L->s;
	bool armed[FR_MAX_RULES] = { 0 };
	bool has_end = false;
	int ret;

	for (size_t i = 0; i < s->nsteps; i++) {
		struct fr_step *st = &s->steps[i];
		const char *name = st->fault >= 0 ? s->faults[st->fault].name : "";
		if ((ret = check_end(L, st, &has_end)))
			return ret;
		if (st->kind == FR_STEP_INJECT) {
			if (armed[st->fault])
				return fr_errorf(L->err, L->errlen, st->mark,
						 "fault '%s' is already injected here", name);
			armed[st->fault] = true;
		} else if (st->kind == FR_STEP_CLEAR) {
			if (!armed[st->fault])
				return fr_errorf(L->err, L->errlen, st->mark,
						 "fault '%s' is not injected here, "
						 "nothing to clear",
						 name);
			armed[st->fault] = false;
		} else if (st->kind == FR_STEP_DISK && !armed[st->fault]) {
			/* arming measures the disk afresh: a change before it is lost */
			return fr_errorf(L->err, L->errlen, st->mark,
					 "disk fault '%s' is not injected here; "
					 "inject it first",
					 name);
		}
	}
	if (!s->duration_ns)
		return scn_fail(L, top,
				"the run has no end: add 'duration: 30s' or a "
				"timeline step with 'end: true'");
	return 0;
}
