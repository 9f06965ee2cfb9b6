/*
 * Running one scenario. See runner.h and docs/scenario-format.md.
 *
 * Everything happens on one event loop (loop.c): the target and every
 * command are child processes watched through pidfds, HTTP is libcurl
 * multi on the loop, TCP connects are non-blocking, log probes read a
 * little of a regular file, MySQL uses MariaDB's non-blocking API. A
 * sample that hangs only occupies its own slot until its timeout; the
 * timeline's timers keep firing on time.
 *
 * Phases: SETUP (run dir, control block, services, instantiate) ->
 * STARTING (target started, readiness polled until its deadline) ->
 * RUNNING (t = 0: probes, load, timeline) -> DRAINING (no new samples;
 * those in flight finish) -> STOPPING (faults disarmed, target stopped:
 * stop signal, grace, SIGKILL of its process group) -> DONE (counters and
 * events read, the recording handed back). A signal jumps to DRAINING (or
 * STOPPING) at once; teardown always runs.
 */
#define _GNU_SOURCE
#include "run/run_internal.h"
#include "io/launch.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

void run_error(struct run *r, const char *fmt, ...)
{
	va_list ap;

	if (r->verdict == FR_PASS) {
		va_start(ap, fmt);
		vsnprintf(r->error, sizeof(r->error), fmt, ap);
		va_end(ap);
		r->verdict = FR_ERROR;
	}
	if (r->phase < PH_DRAINING)
		run_begin_drain(r);
}

/* t = 0: the timeline, the probes and the load start. */
void run_on_ready(struct run *r)
{
	uint64_t now = fr_loop_now(r->loop);

	r->t0 = now;
	r->t0_wall = fr_wall_now();
	r->phase = PH_RUNNING;
	r->tg.ready = true;
	/* the start and ready events were timed against the run start */
	for (size_t i = 0; i < r->nlc; i++)
		r->lc[i].t -= (int64_t)(r->t0 - r->run_start);
	/* the last unit's readiness is t = 0 by definition */
	if (r->nlc && !strcmp(r->lc[r->nlc - 1].event, "ready"))
		r->lc[r->nlc - 1].t = 0;
	run_say(r, "ready after %.2fs; the timeline starts", (double)(now - r->run_start) / 1e9);
	run_probes_start(r, now);
	run_timeline_start(r, now);
	fr_timer_start(r->loop, &r->end_timer, now + r->s->duration_ns);
}

static unsigned inflight(struct run *r)
{
	unsigned n = r->load_inflight + r->step_busy;

	for (size_t i = 0; i < r->s->nprobes; i++)
		n += r->probes[i].ck.n;
	return n;
}

void run_maybe_drained(struct run *r)
{
	if (r->phase == PH_DRAINING && !inflight(r))
		run_begin_stop(r);
}

static void drain_timeout(struct fr_timer *t)
{
	struct run *r = t->arg;

	if (r->phase == PH_DRAINING)
		run_begin_stop(r);
}

static uint64_t drain_wait(const struct run *r);

/* No new samples; let those in flight finish (up to their timeouts). */
void run_begin_drain(struct run *r)
{
	if (r->phase >= PH_DRAINING)
		return;
	bool started = r->phase == PH_RUNNING;
	if (r->t0)
		r->end_rel = run_rel_now(r);
	r->phase = PH_DRAINING;
	for (int p = 0; p <= (int)r->s->nservices; p++)
		if (run_proc(r, p)->r)
			run_ready_stop(run_proc(r, p));
	fr_timer_stop(r->loop, &r->end_timer);
	run_timeline_pause(r);
	/*
	 * Probes stop now: a sample still in flight at the end is not
	 * waited for (a hung service would hold the end up by the probe's
	 * timeout) and not recorded, since it measured nothing yet.
	 */
	for (size_t i = 0; i < r->s->nprobes; i++) {
		fr_timer_stop(r->loop, &r->probes[i].tick);
		run_check_cancel_all(&r->probes[i].ck);
	}
	if (!started || r->interrupted) {
		run_begin_stop(r);
		return;
	}
	fr_timer_start(r->loop, &r->drain_timer, fr_loop_now(r->loop) + drain_wait(r));
	run_maybe_drained(r);
}

/* How long draining may take: the longest timeout of a sample, plus 1 s. */
static uint64_t drain_wait(const struct run *r)
{
	uint64_t wait = 1000000000ull;
	for (size_t i = 0; i < r->s->nprobes; i++)
		if (r->s->probes[i].timeout_ns + 1000000000ull > wait)
			wait = r->s->probes[i].timeout_ns + 1000000000ull;
	if (r->s->load.present && r->s->load.timeout_ns + 1000000000ull > wait)
		wait = r->s->load.timeout_ns + 1000000000ull;
	for (size_t i = 0; i < r->s->nsteps; i++)
		if (r->s->steps[i].kind == FR_STEP_REQUEST &&
		    r->s->steps[i].req.timeout_ns + 1000000000ull > wait)
			wait = r->s->steps[i].req.timeout_ns + 1000000000ull;
	return wait > DRAIN_MAX_NS ? DRAIN_MAX_NS : wait;
}

/* Disarm every fault, cancel what is left, stop the units. */
void run_begin_stop(struct run *r)
{
	if (r->phase >= PH_STOPPING)
		return;
	run_ctl_watch(r); /* a last look, before the faults are disarmed */
	r->phase = PH_STOPPING;
	fr_timer_stop(r->loop, &r->drain_timer);
	for (size_t i = 0; i < r->s->nfaults; i++)
		if (r->armed[i])
			run_fault_set(r, (int)i, false);
	for (size_t i = 0; i < r->s->nprobes; i++)
		run_check_cancel_all(&r->probes[i].ck);
	run_timeline_stop(r);
	/* HAProxy's view of the units while they stop is no news */
	for (size_t k = 0; k < r->s->nstart; k++)
		run_lb_stop(run_proc(r, r->s->start_order[k] + 1));
	run_teardown_continue(r);
}

/*
 * Stop the units in reverse start order, one at a time; then sweep the
 * leftovers, read the final counters.
 */
void run_teardown_continue(struct run *r)
{
	if (r->phase == PH_DONE || run_stop_next_unit(r))
		return;
	/* everything they started too, but the embedded databases (io/reap.h) */
	fr_reap_stop();
	for (size_t k = 0; k < r->s->nstart; k++) {
		struct target *tg = run_proc(r, r->s->start_order[k] + 1);

		if (tg->ctl)
			fr_sweep_env(tg->ctl_path, SIGKILL);
	}
	run_read_events(r);
	r->phase = PH_DONE;
}

static void on_signal(struct fr_watch *w, uint32_t events)
{
	struct run *r = w->arg;
	struct signalfd_siginfo si;

	(void)events;
	while (read(w->fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		r->signals++;
		if (!r->interrupted) {
			r->interrupted = true;
			if (r->verdict == FR_PASS || r->verdict == FR_FAIL) {
				r->verdict = FR_INTERRUPTED;
				if (r->t0)
					snprintf(r->error, sizeof(r->error),
						 "interrupted at %.1f s by %s",
						 (double)run_rel_now(r) / 1e9,
						 fr_signal_name((int)si.ssi_signo));
				else
					snprintf(r->error, sizeof(r->error),
						 "interrupted by %s before the start (t = 0)",
						 fr_signal_name((int)si.ssi_signo));
			}
			run_say(r, "interrupted by %s: stopping",
				fr_signal_name((int)si.ssi_signo));
			if (r->phase < PH_DRAINING)
				run_begin_drain(r);
			else if (r->phase == PH_DRAINING)
				run_begin_stop(r);
			else
				/* already stopping: do not wait out a grace period */
				run_units_hurry(r);
		} else {
			/* a second signal: no more grace */
			run_units_hurry(r);
		}
	}
}

static void end_tick(struct fr_timer *t)
{
	struct run *r = t->arg;

	if (r->phase == PH_RUNNING) {
		run_say(r, "end");
		run_begin_drain(r);
	}
}

static void poll_tick(struct fr_timer *t)
{
	struct run *r = t->arg;
	uint64_t now = fr_loop_now(r->loop);
	/* the ring holds 256: when a quarter came in, look again soon */
	uint64_t next = run_read_events(r) >= FR_CTL_EVENTS / 4 ? 10000000ull : POLL_NS;

	run_ctl_watch(r);

	if (r->o->tty && now - r->last_status >= POLL_NS) {
		run_status_draw(r);
		r->last_status = now;
	}
	if (r->phase < PH_DONE)
		fr_timer_start(r->loop, &r->poll_timer, now + next);
}

/* Each process service's counts, where the shim reached, its output. */
static void build_services(struct run *r, struct fr_record *rec)
{
	const struct fr_scenario *s = r->s;

	rec->nsvcs = s->nservices;
	rec->svcs = fr_xcalloc(s->nservices + 1, sizeof(*rec->svcs));
	rec->proc_restarts = fr_xcalloc(s->nservices + 1, sizeof(unsigned));
	rec->proc_exits = fr_xcalloc(s->nservices + 1, sizeof(unsigned));
	rec->proc_attach = fr_xcalloc(s->nservices + 1, sizeof(*rec->proc_attach));
	rec->proc_attach[0] = &rec->attach;
	rec->proc_restarts[0] = r->tg.restarts;
	rec->proc_exits[0] = r->tg.exits;
	for (size_t i = 0; i < s->nservices; i++) {
		struct target *tg = &r->svc[i];
		struct fr_svc_rec *sv = &rec->svcs[i];

		if (!fr_service_is_unit(s->services[i].type))
			continue;
		sv->name = s->services[i].name;
		sv->shim = tg->shim != NULL;
		for (size_t f = 0; tg->slot && f < s->nfaults; f++)
			sv->faults |= tg->slot[f] >= 0;
		sv->starts = tg->starts;
		sv->restarts = rec->proc_restarts[i + 1] = tg->restarts;
		sv->exits = rec->proc_exits[i + 1] = tg->exits;
		sv->attach = tg->attach;
		memset(&tg->attach, 0, sizeof(tg->attach));
		if (sv->shim || tg->sec)
			rec->proc_attach[i + 1] = &sv->attach;
		if (tg->r)
			run_target_take_tail(tg, &sv->tail, &sv->ntail);
	}
	rec->facts.proc_restarts = rec->proc_restarts;
	rec->facts.proc_exits = rec->proc_exits;
	rec->facts.nprocs = s->nservices + 1;
	rec->facts.proc_attach = rec->proc_attach;
}

/* Hand what the run recorded over to rec (the run keeps nothing of it). */
static void build_record(struct run *r, struct fr_record *rec)
{
	struct fr_scenario *s = r->s;

	memset(rec, 0, sizeof(*rec));
	rec->s = s;
	rec->verdict = r->verdict;
	rec->error = r->error[0] ? fr_xstrdup(r->error) : NULL;
	rec->seed = r->seed;
	rec->started = r->t0 != 0;
	rec->started_wall = r->t0 ? r->t0_wall : 0;
	rec->invoked_wall = r->invoked_wall;
	rec->seconds = fr_wall_now() - r->invoked_wall;
	rec->setup_ns = r->t0 ? (int64_t)(r->t0 - r->run_start) : 0;
	rec->end_ns = r->t0 ? r->end_rel : 0;
	rec->run_dir = r->o->keep && r->have_run_dir ? fr_xstrdup(r->run_dir) : NULL;
	rec->cwd = r->tg.cwd ? fr_xstrdup(r->tg.cwd) : NULL;
	rec->shim = r->tg.shim != NULL;
	rec->series = r->series;
	rec->nseries = r->nseries;
	rec->facts.end = rec->end_ns;
	rec->facts.series = r->series;
	rec->facts.nseries = r->nseries;
	rec->facts.faults = r->ff;
	rec->facts.nfaults = r->ff ? s->nfaults : 0;
	rec->facts.restarts = r->tg.restarts;
	rec->facts.exits = r->tg.exits;
	rec->fault_specs = r->specs;
	rec->lc = r->lc;
	rec->nlc = r->nlc;
	rec->facts.lc = rec->lc;
	rec->facts.nlc = rec->nlc;
	rec->starts = r->tg.starts;
	rec->restarts = r->tg.restarts;
	rec->exits = r->tg.exits;
	run_target_take_tail(&r->tg, &rec->tail, &rec->ntail);
	rec->tl = r->tl;
	rec->ntl = r->ntl;
	rec->inj = r->inj;
	rec->attach = r->tg.attach;
	rec->facts.attach = &rec->attach;
	memset(&r->tg.attach, 0, sizeof(r->tg.attach));
	build_services(r, rec);
	r->series = NULL;
	r->nseries = 0;
	r->ff = NULL;
	r->specs = NULL;
	r->lc = NULL;
	r->nlc = 0;
	r->tl = NULL;
	r->ntl = 0;
	memset(&r->inj, 0, sizeof(r->inj));
}

/*
 * --keep: the run directory gets a name without '-', which the clean-up
 * of stale run directories (fr_rundir_create) leaves alone:
 * kept_<scenario>_<pid>_<random>.
 */
static void keep_run_dir(struct run *r)
{
	char to[PATH_MAX], *slash = strrchr(r->run_dir, '/');

	if (!slash)
		return;
	int n = snprintf(to, sizeof(to), "%.*s/kept_%s", (int)(slash - r->run_dir), r->run_dir,
			 slash + 1);
	if (n < 0 || (size_t)n >= sizeof(to))
		return;
	for (char *p = to + (slash - r->run_dir) + 1; *p; p++)
		if (*p == '-')
			*p = '_';
	if (rename(r->run_dir, to) == 0)
		snprintf(r->run_dir, sizeof(r->run_dir), "%s", to);
}

/* The run directory and the control block go (or stay, with --keep). */
static void remove_run_dir(struct run *r)
{
	char why[128];

	/* never silent: the guarantee against SIGKILL was not kept this run */
	if (fr_sentinel_lost(why, sizeof(why)))
		run_say(r,
			"warning: %s: had faultrun been killed, the run's processes would "
			"have outlived it (docs/reliability.md)",
			why);
	fr_reap_end();
	for (size_t k = 0; k < r->s->nstart; k++) {
		struct target *tg = run_proc(r, r->s->start_order[k] + 1);

		if (tg->ctl)
			fr_sentinel_run(tg->ctl_path, false);
	}
	for (int p = 0; p <= (int)r->s->nservices; p++)
		run_target_finish(run_proc(r, p));
	if (r->have_run_dir && !r->o->keep)
		fr_rundir_remove(r->run_dir);
	else if (r->have_run_dir && r->o->progress && r->o->verbosity >= 1)
		fprintf(r->o->progress, "[%s] kept the run directory %s\n", r->s->name, r->run_dir);
}

static void cleanup(struct run *r)
{
	const struct fr_scenario *s = r->s;

	for (size_t i = 0; r->probes && i < s->nprobes; i++) {
		fr_timer_stop(r->loop, &r->probes[i].tick);
		run_checker_finish(&r->probes[i].ck);
	}
	run_timeline_finish(r);
	fr_http_client_destroy(r->http);
	r->http = NULL;
	fr_watch_stop(r->loop, &r->sig_watch);
	run_stop_services(r);
	free(r->dbs);
	remove_run_dir(r);
	free(r->probes);
	free(r->svc);
	free(r->armed);
	free(r->ports);
	fr_loop_destroy(r->loop);
}

/* The loop, its timers and the arrays every phase may touch. */
static void run_init(struct run *r)
{
	const struct fr_scenario *s = r->s;

	r->verdict = FR_PASS;
	r->invoked_wall = fr_wall_now();
	r->run_start = fr_loop_now(r->loop);
	r->http = fr_http_client_create(r->loop);
	r->svc = fr_xcalloc(s->nservices + 1, sizeof(*r->svc));
	run_target_init(r, &r->tg, 0);
	for (size_t i = 0; i < s->nservices; i++)
		if (fr_service_is_unit(s->services[i].type))
			run_target_init(r, &r->svc[i], (int)i + 1);
	run_timeline_init(r);
	fr_timer_init(&r->end_timer, end_tick, r);
	fr_timer_init(&r->drain_timer, drain_timeout, r);
	fr_timer_init(&r->poll_timer, poll_tick, r);
	fr_watch_init(&r->sig_watch, on_signal, r);
	if (r->o->signal_fd >= 0)
		fr_watch_start(r->loop, &r->sig_watch, r->o->signal_fd, EPOLLIN);
	fr_sentinel_start();
	r->nseries = s->nseries;
	r->series = fr_xcalloc(s->nseries + 1, sizeof(*r->series));
	r->probes = fr_xcalloc(s->nprobes + 1, sizeof(*r->probes));
}

/* From the target's start to the end of teardown. */
static void run_loop(struct run *r)
{
	run_series_init(r);
	run_probes_init(r);
	run_load_init(r);
	for (int p = 0; p <= (int)r->s->nservices; p++)
		if (run_proc(r, p)->r)
			run_ready_init(run_proc(r, p));

	r->phase = PH_STARTING;
	fr_timer_start(r->loop, &r->poll_timer, fr_loop_now(r->loop) + POLL_NS);
	/* the services in depends-on order, each once the one before is ready; the target last */
	run_start_next(r);
	while (r->phase != PH_DONE) {
		int lret = fr_loop_step(r->loop, 250000000ull);

		if (lret < 0) {
			run_error(r, "event loop: %s", strerror(-lret));
			break;
		}
	}
}

/* Everything is stopped: close what the run recorded. */
static void run_conclude(struct run *r, struct fr_record *rec)
{
	run_status_clear(r);
	run_stop_services(r);
	if (r->o->keep && r->have_run_dir)
		keep_run_dir(r);
	if (!r->end_rel && r->t0)
		r->end_rel = run_rel_now(r);
	run_read_fault_counters(r);
	for (int p = 0; p <= (int)r->s->nservices; p++)
		if (run_proc(r, p)->r)
			run_attach_collect(run_proc(r, p));
	for (size_t i = 0; i < r->nseries; i++)
		fr_series_sort(&r->series[i]);
	build_record(r, rec);
}

int fr_run_scenario(struct fr_scenario *s, const struct fr_run_opts *o, struct fr_record *rec)
{
	struct run *r;
	int ret = 0;

	memset(rec, 0, sizeof(*rec));
	rec->s = s;
	r = fr_xcalloc(1, sizeof(*r));
	r->s = s;
	r->o = o;
	r->loop = fr_loop_create();
	if (!r->loop) {
		rec->verdict = FR_ERROR;
		rec->error = fr_xstrdup("cannot create the event loop");
		rec->invoked_wall = fr_wall_now();
		free(r);
		return 0;
	}
	run_init(r);
	r->phase = PH_SETUP;
	if (run_setup(r) < 0) {
		r->verdict = FR_ERROR;
		r->phase = PH_DONE;
	} else {
		run_loop(r);
	}
	run_conclude(r, rec);
	if (r->interrupted)
		ret = -EINTR;
	cleanup(r);
	free(r);
	return ret;
}
