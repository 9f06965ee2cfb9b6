/*
 * faultrun — the timeline: its steps at their times (each action is one
 * row of step_actions[] and its function here), the HTTP requests of
 * `request` steps and of the load, and arming the faults.
 */
#define _GNU_SOURCE
#include "run/run_internal.h"
#include "util/xalloc.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static void req_done(void *arg, const struct fr_http_result *res);

/* Send q (a copy of it goes with the request). Returns false when it did not start. */
static bool req_send(struct run *r, const struct req *q)
{
	const struct fr_http *h = q->h;
	struct req *nq = fr_xcalloc(1, sizeof(*nq));

	*nq = *q;
	if (fr_http_send(r->http, h->method.raw ? h->method.val : NULL, h->url.val, nq->headers,
			 nq->nheaders, h->body.raw ? h->body.val : NULL, nq->timeout, req_done, nq))
		return true;
	free(nq);
	return false;
}

/* A request of a `request` step ended: send the next, or say how it went. */
static void step_req_done(struct run *r, const struct req *q)
{
	struct step_state *st = q->st;

	st->done++;
	r->step_busy--;
	if (st->sent < st->step->req.count && r->phase == PH_RUNNING) {
		st->sent++;
		r->step_busy++;
		if (!req_send(r, q))
			r->step_busy--;
	}
	if (st->done == st->sent)
		run_tl_detail(r, st->idx, "%u x %s %s: %u answered", st->done,
			      run_http_method(q->h), q->h->url.val, st->done);
}

static void req_done(void *arg, const struct fr_http_result *res)
{
	struct req *q = arg;
	struct run *r = q->r;
	struct fr_sample smp;
	char detail[256];
	bool ok = res->answered && run_status_ok(&q->h->status, res->status);

	snprintf(detail, sizeof(detail), "%s", res->detail);
	if (ok && q->body_re && regexec(q->body_re, res->body, 0, NULL, 0)) {
		ok = false;
		snprintf(detail, sizeof(detail), "HTTP %ld, body does not match", res->status);
	}
	memset(&smp, 0, sizeof(smp));
	smp.t = run_rel(r, res->start_ns);
	smp.latency = res->latency_ns;
	smp.ok = ok;
	smp.answered = res->answered;
	smp.timeout = res->timeout;
	smp.status = res->status ? (int)res->status : -1;
	fr_series_add(&r->series[q->series], &smp, detail);
	if (q->st)
		step_req_done(r, q);
	else
		r->load_inflight--;
	free(q);
	run_maybe_drained(r);
}

/* ---- the load ---------------------------------------------------------- */

static void load_tick(struct fr_timer *t)
{
	struct run *r = t->arg;
	const struct fr_load *ld = &r->s->load;

	if (r->phase != PH_RUNNING)
		return;
	if (r->load_inflight < ld->max_in_flight) {
		if (req_send(r, &r->load_req))
			r->load_inflight++;
	} else {
		/* the service is too slow to keep up: that is a failed request */
		struct fr_sample smp = { .t = run_rel_now(r), .latency = 0, .status = -1 };
		fr_series_add(&r->series[r->load_req.series], &smp,
			      "not sent: max-in-flight requests pending");
	}
	r->load_next += r->load_period;
	uint64_t now = fr_loop_now(r->loop);
	if (r->load_next + 1000000000ull < now)
		r->load_next = now;
	fr_timer_start(r->loop, &r->load_tick, r->load_next);
}

static void load_init(struct run *r)
{
	const struct fr_scenario *s = r->s;

	r->load_req.r = r;
	r->load_req.series = fr_scenario_series(s, "load");
	r->load_req.h = &s->load.http;
	r->load_req.headers = run_headers(&s->load.http, &r->load_req.nheaders);
	if (s->load.http.body_match.raw &&
	    regcomp(&r->load_re, s->load.http.body_match.val, REG_EXTENDED | REG_NOSUB) == 0) {
		r->load_re_ok = true;
		r->load_req.body_re = &r->load_re;
	}
	r->load_req.timeout = s->load.timeout_ns;
	r->load_period = (uint64_t)(1e9 / s->load.rate);
	if (!r->load_period)
		r->load_period = 1;
}

/* ---- faults ------------------------------------------------------------ */

void run_fault_set(struct run *r, int f, bool armed)
{
	struct fr_fault_facts *ff = &r->ff[f];

	if (r->armed[f] == armed)
		return;
	/* in the block of every unit the fault names */
	for (int p = 0; p <= (int)r->s->nservices; p++) {
		struct target *tg = run_proc(r, p);

		if (tg->ctl && tg->slot[f] >= 0)
			fr_ctl_set_armed(tg->ctl, (unsigned)tg->slot[f], armed);
	}
	r->armed[f] = armed;
	if (armed) {
		ff->win = fr_xreallocarray(ff->win, ff->nwin + 1, sizeof(*ff->win));
		ff->win[ff->nwin].start = run_rel_now(r);
		ff->win[ff->nwin].end = INT64_MAX;
		ff->win[ff->nwin].cleared = false;
		ff->nwin++;
	} else {
		ff->win[ff->nwin - 1].end = run_rel_now(r);
	}
}

/* ---- the actions ------------------------------------------------------- */

static void step_inject(struct run *r, struct step_state *st)
{
	run_fault_set(r, st->step->fault, true);
	run_tl_add(r, st->step, NULL);
	run_say(r, "inject %s", r->s->faults[st->step->fault].name);
}

static void step_clear(struct run *r, struct step_state *st)
{
	struct fr_fault_facts *ff = &r->ff[st->step->fault];

	run_fault_set(r, st->step->fault, false);
	ff->win[ff->nwin - 1].cleared = true;
	run_tl_add(r, st->step, NULL);
	run_say(r, "clear %s", r->s->faults[st->step->fault].name);
}

/* disk: {fault, free}: "someone deleted old logs" (or filled the disk) */
static void step_disk(struct run *r, struct step_state *st)
{
	const struct fr_step *step = st->step;
	int f = step->fault;
	char size[32];
	size_t idx;

	for (int p = 0; p <= (int)r->s->nservices; p++) {
		struct target *tg = run_proc(r, p);

		if (tg->ctl && tg->slot[f] >= 0)
			fr_disk_set_free(tg->ctl, (unsigned)tg->slot[f], step->disk.free,
					 step->disk.absolute);
	}
	idx = run_tl_add(r, step, NULL);
	snprintf(size, sizeof(size), "%lld",
		 (long long)(step->disk.free < 0 ? -step->disk.free : step->disk.free));
	run_tl_detail(r, idx, "%s free %s%s bytes", r->s->faults[f].name,
		      step->disk.absolute ? "to " :
		      step->disk.free < 0 ? "-" :
					    "+",
		      size);
	run_say(r, "disk %s: free %s%s bytes", r->s->faults[f].name,
		step->disk.absolute ? "" :
		step->disk.free < 0 ? "-" :
				      "+",
		size);
}

static void step_request(struct run *r, struct step_state *st)
{
	const struct fr_step *step = st->step;
	const struct fr_http *h = &step->req.http;

	st->idx = run_tl_add(r, step, NULL);
	run_tl_detail(r, st->idx, "%u x %s %s", step->req.count, run_http_method(h), h->url.val);
	st->headers = run_headers(h, &st->nheaders);
	if (h->body_match.raw)
		st->body_re_ok =
			regcomp(&st->body_re, h->body_match.val, REG_EXTENDED | REG_NOSUB) == 0;
	run_say(r, "request %u x %s", step->req.count, h->url.val);
	struct req q = {
		.r = r,
		.series = step->req.series,
		.h = h,
		.headers = st->headers,
		.nheaders = st->nheaders,
		.body_re = st->body_re_ok ? &st->body_re : NULL,
		.timeout = step->req.timeout_ns,
		.st = st,
	};
	for (unsigned k = 0; k < step->req.concurrency; k++) {
		st->sent++;
		r->step_busy++;
		if (!req_send(r, &q)) {
			st->sent--;
			r->step_busy--;
		}
	}
}

static void step_signal(struct run *r, struct step_state *st)
{
	struct target *tg = run_proc(r, st->step->service);
	int signo = st->step->signo;

	st->idx = run_tl_add(r, st->step, NULL);
	if (!tg->running || tg->launching) {
		run_tl_detail(r, st->idx, "%s is not running", tg->what);
		return;
	}
	struct fr_lc_event *e = run_lc_add(r, "signal", tg->child.pid);
	e->service = tg->service;
	e->signo = signo;
	kill(tg->child.pid, signo);
	run_tl_detail(r, st->idx, "%s to pid %d%s%s", fr_signal_name(signo), (int)tg->child.pid,
		      tg->service ? " of " : "", tg->service ? tg->service : "");
	run_say(r, "signal %s to %s", fr_signal_name(signo), tg->what);
}

static void step_restart(struct run *r, struct step_state *st)
{
	struct target *tg = run_proc(r, st->step->service);

	st->idx = run_tl_add(r, st->step, NULL);
	run_say(r, "restart %s", tg->what);
	if (tg->running) {
		tg->restart_after_stop = true;
		run_target_stop(tg, tg->cfg->grace_ns);
	} else {
		fr_timer_stop(r->loop, &tg->restart_timer);
		run_target_start(tg, false);
	}
}

static void run_step_exited(struct fr_child *c, int status)
{
	struct step_state *st = c->arg;
	struct run *r = st->r;
	char d[32];

	fr_timer_stop(r->loop, &st->tmo);
	st->running = false;
	r->step_busy--;
	if (st->timed_out) {
		fr_fmt_duration(d, sizeof(d), st->step->run.timeout_ns);
		run_tl_detail(r, st->idx, "killed after its timeout (%s)", d);
		run_say(r, "run: command killed after its timeout (%s)", d);
	} else if (WIFEXITED(status)) {
		run_tl_detail(r, st->idx, "exit %d", WEXITSTATUS(status));
		if (WEXITSTATUS(status))
			run_say(r, "run: command exited with status %d", WEXITSTATUS(status));
	} else {
		run_tl_detail(r, st->idx, "killed by %s", fr_signal_name(WTERMSIG(status)));
	}
	run_maybe_drained(r);
}

static void run_step_timeout(struct fr_timer *t)
{
	struct step_state *st = t->arg;

	st->timed_out = true;
	fr_child_killpg(&st->child, SIGKILL);
}

static void step_run(struct run *r, struct step_state *st)
{
	const struct fr_step *step = st->step;
	char **argv = run_argv(&step->run.cmd);
	char err[512];
	struct fr_spawn sp = {
		.argv = argv,
		.cwd = r->tg.cwd,
		.out_fd = r->tg.out_w,
		.ctl_path = r->ctl_path,
		.seed = r->seed,
		.unit = "step",
	};

	st->idx = run_tl_add(r, step, NULL);
	run_say(r, "run %s", step->run.cmd.shell ? step->run.cmd.argv[0].val : argv[0]);
	if (fr_child_spawn(r->loop, &st->child, &sp, run_step_exited, st, err, sizeof(err)) < 0) {
		run_tl_detail(r, st->idx, "%s", run_unprefix(err));
		run_say(r, "%s", run_unprefix(err));
	} else {
		st->running = true;
		r->step_busy++;
		fr_timer_init(&st->tmo, run_step_timeout, st);
		fr_timer_start(r->loop, &st->tmo, fr_loop_now(r->loop) + step->run.timeout_ns);
	}
	free(argv);
}

static void mysql_step_done(void *arg, const struct fr_mysql_result *res)
{
	struct step_state *st = arg;
	struct run *r = st->r;

	/* st->my stays: hold and lock keep their connections until the end */
	st->running = false;
	r->step_busy--;
	run_tl_detail(r, st->idx, "%s", res->detail);
	if (!res->ok)
		run_say(r, "mysql: %s", res->detail);
	run_maybe_drained(r);
}

static const char *mysql_op_name(enum fr_mysql_action_kind op)
{
	return op == FR_MYSQL_HOLD ? "hold" :
	       op == FR_MYSQL_LOCK ? "lock" :
	       op == FR_MYSQL_KILL ? "kill" :
				     "sql";
}

static void step_mysql(struct run *r, struct step_state *st)
{
	const struct fr_step *step = st->step;
	struct fr_mysql_params p;

	st->idx = run_tl_add(r, step, NULL);
	if (run_mysql_params(r, &step->mysql.conn, &p) < 0) {
		run_tl_detail(r, st->idx, "no database address");
		return;
	}
	if (step->mysql.op == FR_MYSQL_KILL && step->mysql.conn.service &&
	    !step->mysql.conn.user.raw) {
		/* killing another account's connections needs the admin */
		p.user = run_service_value(r, step->mysql.conn.service, "admin_user");
		p.password = run_service_value(r, step->mysql.conn.service, "admin_password");
	}
	struct fr_mysql_action a = {
		.op = (int)step->mysql.op,
		.sql = step->mysql.sql.raw ? step->mysql.sql.val : NULL,
		.connections = step->mysql.connections,
		.for_ns = step->mysql.for_ns,
		.kill_user = step->mysql.kill_user.raw ? step->mysql.kill_user.val : NULL,
	};
	if (a.kill_user && strcmp(a.kill_user, "target") == 0)
		a.kill_user = p.target_user;
	st->my = fr_mysql_action(r->loop, &p, &a, mysql_step_done, st);
	if (!st->my) {
		run_tl_detail(r, st->idx, "cannot start a MySQL client");
		return;
	}
	st->running = true;
	r->step_busy++;
	run_say(r, "mysql %s", mysql_op_name(step->mysql.op));
}

static void step_end(struct run *r, struct step_state *st)
{
	run_tl_add(r, st->step, NULL);
	run_say(r, "end");
	run_begin_drain(r);
}

/* What each timeline action does, by its kind. */
static void (*const step_actions[FR_STEP_COUNT])(struct run *r, struct step_state *st) = {
	[FR_STEP_INJECT] = step_inject,	  [FR_STEP_CLEAR] = step_clear,
	[FR_STEP_REQUEST] = step_request, [FR_STEP_SIGNAL] = step_signal,
	[FR_STEP_RESTART] = step_restart, [FR_STEP_RUN] = step_run,
	[FR_STEP_MYSQL] = step_mysql,	  [FR_STEP_END] = step_end,
	[FR_STEP_DISK] = step_disk,
};

static void exec_step(struct run *r, size_t i)
{
	const struct fr_step *step = &r->s->steps[i];
	struct step_state *st = &r->steps[i];

	st->r = r;
	st->step = step;
	if ((unsigned)step->kind < FR_STEP_COUNT && step_actions[step->kind])
		step_actions[step->kind](r, st);
}

static void step_tick(struct fr_timer *t)
{
	struct run *r = t->arg;
	uint64_t now = fr_loop_now(r->loop);

	while (r->phase == PH_RUNNING && r->next_step < r->s->nsteps &&
	       r->t0 + r->s->steps[r->next_step].at_ns <= now)
		exec_step(r, r->next_step++);
	if (r->phase == PH_RUNNING && r->next_step < r->s->nsteps)
		fr_timer_start(r->loop, &r->step_timer, r->t0 + r->s->steps[r->next_step].at_ns);
}

/* ---- the timeline's life ----------------------------------------------- */

void run_timeline_init(struct run *r)
{
	fr_timer_init(&r->step_timer, step_tick, r);
	fr_timer_init(&r->load_tick, load_tick, r);
	/* a fault injected or cleared at the same instant goes first */
	r->load_tick.prio = 1;
	r->steps = fr_xcalloc(r->s->nsteps + 1, sizeof(*r->steps));
}

void run_load_init(struct run *r)
{
	if (r->s->load.present)
		load_init(r);
}

/* t = 0: the load and the first step. */
void run_timeline_start(struct run *r, uint64_t now)
{
	if (r->s->load.present) {
		r->load_next = now;
		fr_timer_start(r->loop, &r->load_tick, now);
	}
	if (r->s->nsteps)
		fr_timer_start(r->loop, &r->step_timer, now + r->s->steps[0].at_ns);
}

/* No new steps nor requests. */
void run_timeline_pause(struct run *r)
{
	fr_timer_stop(r->loop, &r->step_timer);
	fr_timer_stop(r->loop, &r->load_tick);
}

/* Drop the requests and commands in flight; we may be inside one of their callbacks. */
void run_timeline_stop(struct run *r)
{
	fr_http_cancel_all(r->http);
	r->load_inflight = 0;
	for (size_t i = 0; i < r->s->nsteps; i++) {
		struct step_state *st = &r->steps[i];

		if (st->child.pid > 0) {
			fr_timer_stop(r->loop, &st->tmo);
			fr_child_abandon(r->loop, &st->child);
		}
		if (st->my) {
			fr_mysql_op_cancel(st->my);
			st->my = NULL;
		}
	}
	r->step_busy = 0;
}

void run_timeline_finish(struct run *r)
{
	for (size_t i = 0; r->steps && i < r->s->nsteps; i++) {
		struct step_state *st = &r->steps[i];

		if (st->child.pid > 0)
			fr_child_abandon(r->loop, &st->child);
		fr_mysql_op_cancel(st->my);
		st->my = NULL;
		run_headers_free(st->headers, st->nheaders);
		if (st->body_re_ok)
			regfree(&st->body_re);
	}
	free(r->steps);
	r->steps = NULL;
	run_headers_free(r->load_req.headers, r->load_req.nheaders);
	if (r->load_re_ok)
		regfree(&r->load_re);
}
