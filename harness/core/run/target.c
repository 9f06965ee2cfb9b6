/*
 * faultrun — the units: the target and the process services, each started
 * (under the shim unless told not to), its output kept (a tail for the
 * reports, all of it in target.log or NAME.log), its exits answered by
 * its restart policy, and its readiness polled after every start.
 */
#define _GNU_SOURCE
#include "run/run_internal.h"
#include "io/launch.h"
#include "util/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void tail_add(struct target *tg, const char *line)
{
	size_t i = (tg->tail_head + tg->ntail) % TAIL_LINES;

	if (tg->ntail == TAIL_LINES) {
		free(tg->tail[tg->tail_head]);
		tg->tail[tg->tail_head] = NULL;
		i = tg->tail_head;
		tg->tail_head = (tg->tail_head + 1) % TAIL_LINES;
	} else {
		tg->ntail++;
	}
	tg->tail[i] = fr_xstrdup(line);
	if (strlen(tg->tail[i]) > 300)
		tg->tail[i][300] = 0;
}

struct target *run_proc(struct run *r, int proc)
{
	return proc > 0 ? &r->svc[proc - 1] : &r->tg;
}

static void target_output(struct fr_watch *w, uint32_t events)
{
	struct target *tg = w->arg;
	struct run *r = tg->r;
	char buf[16384];
	ssize_t n;

	(void)events;
	while ((n = read(tg->out_r, buf, sizeof(buf))) > 0) {
		if (tg->log_fd >= 0 && write(tg->log_fd, buf, (size_t)n) < 0) {
			close(tg->log_fd); /* the run directory's disk is full */
			tg->log_fd = -1;
		}
		fr_buf_add(&tg->partial, buf, (size_t)n);
		char *line = tg->partial.p, *nl;
		while ((nl = memchr(line, '\n',
				    tg->partial.len - (size_t)(line - tg->partial.p)))) {
			*nl = 0;
			tail_add(tg, line);
			if (r->o->verbosity >= 2)
				run_say(r, "%s: %s", tg->service ? tg->service : "target", line);
			line = nl + 1;
		}
		size_t rest = tg->partial.len - (size_t)(line - tg->partial.p);
		if (rest > 4096) { /* a very long line: cut it */
			tg->partial.p[4096] = 0;
			tail_add(tg, line);
			rest = 0;
		}
		memmove(tg->partial.p, line, rest);
		tg->partial.len = rest;
		tg->partial.p[rest] = 0;
	}
}

/* The last lines of the target's output, for error messages. */
void run_tail_text(struct target *tg, char *buf, size_t len, size_t lines)
{
	size_t off = 0, first = tg->ntail > lines ? tg->ntail - lines : 0;

	buf[0] = 0;
	for (size_t k = first; k < tg->ntail && off < len; k++) {
		const char *l = tg->tail[(tg->tail_head + k) % TAIL_LINES];
		off += (size_t)snprintf(buf + off, len - off, "\n    | %s", l);
	}
}

static void target_restart_tick(struct fr_timer *t)
{
	struct target *tg = t->arg;

	if (tg->r->phase == PH_RUNNING)
		run_target_start(tg, true);
}

static void target_grace_tick(struct fr_timer *t)
{
	struct target *tg = t->arg;
	struct run *r = tg->r;

	if (!tg->running)
		return;
	struct fr_lc_event *e = run_lc_add(r, "stop", tg->child.pid);
	e->service = tg->service;
	e->signo = SIGKILL;
	run_say(r, "%s did not stop within its grace period: SIGKILL", tg->what);
	fr_child_killpg(&tg->child, SIGKILL);
}

/* An unexpected exit while running: the restart policy decides. */
static void restart_policy(struct target *tg, int status)
{
	const struct fr_target *t = tg->cfg;
	struct run *r = tg->r;
	bool failed = !WIFEXITED(status) || WEXITSTATUS(status) != 0;

	if (t->restart == FR_RESTART_NEVER || (t->restart == FR_RESTART_ON_FAILURE && !failed))
		return;
	if (t->restart_limit && tg->restarts >= t->restart_limit) {
		tg->gave_up = true;
		run_lc_add(r, "give-up", 0)->service = tg->service;
		run_say(r, "restart limit (%u) reached: %s stays down", t->restart_limit, tg->what);
		return;
	}
	uint64_t delay = t->backoff_ns;
	for (unsigned k = 0; k < tg->restarts && delay < t->max_backoff_ns; k++)
		delay *= 2;
	if (delay > t->max_backoff_ns)
		delay = t->max_backoff_ns;
	fr_timer_start(r->loop, &tg->restart_timer, fr_loop_now(r->loop) + delay);
}

static void target_exited(struct fr_child *c, int status)
{
	struct target *tg = c->arg;
	struct run *r = tg->r;
	bool expected = tg->stopping;
	char tail[2048], how[64], left[600];

	if (tg->launching) {
		run_daemon_launched(tg, status);
		return;
	}
	struct fr_lc_event *e = run_lc_add(r, "exit", 0);
	e->service = tg->service;
	e->pid = (int)tg->pid;
	if (WIFEXITED(status))
		e->status = WEXITSTATUS(status);
	else
		e->signo = WTERMSIG(status);
	e->expected = expected;
	tg->running = false;
	tg->ready = false;
	tg->stopping = false;
	fr_timer_stop(r->loop, &tg->grace_timer);
	run_ready_stop(tg);
	target_output(&tg->out_watch, 0);
	left[0] = 0;
	if (!expected && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		run_undeclared_daemon(tg, left, sizeof(left));
	if (left[0])
		e->detail = fr_xstrdup(left);

	if (WIFEXITED(status))
		snprintf(how, sizeof(how), "status %d", WEXITSTATUS(status));
	else
		snprintf(how, sizeof(how), "%s", fr_signal_name(WTERMSIG(status)));

	if (left[0] && r->phase < PH_STOPPING) {
		/* a daemon nobody declared: what runs now is no longer watched */
		run_error(r, "%s", left);
		return;
	}
	if (r->phase == PH_STARTING) {
		run_tail_text(tg, tail, sizeof(tail), 10);
		run_error(r, "%s exited (%s) before %s ready%s%s", tg->what, how,
			  tg->ready || tg->proc ? "the run was" : "it was",
			  tail[0] ? "; its last output:" : "", tail);
		return;
	}
	if (r->phase >= PH_STOPPING) {
		run_teardown_continue(r);
		return;
	}
	if (expected) {
		run_say(r, "%s stopped (%s)", tg->what, how);
		if (tg->restart_after_stop) {
			tg->restart_after_stop = false;
			run_target_start(tg, false);
		}
		return;
	}
	tg->exits++;
	run_say(r, "%s exited (%s)%s%s", tg->what, how, left[0] ? ": " : "", left);
	restart_policy(tg, status);
}

void run_target_start(struct target *tg, bool restart)
{
	struct run *r = tg->r;
	char err[512];

	struct fr_spawn sp = {
		.argv = tg->argv,
		.env = tg->env,
		.nenv = tg->nenv,
		.cwd = tg->cwd,
		.out_fd = tg->out_w,
		.shim = tg->shim,
		/* without a block of its own: the run's, for the sweep (io/proc.h) */
		.ctl_path = tg->ctl ? tg->ctl_path : r->ctl_path,
		.seed = r->seed,
		.user = tg->have_user ? &tg->user : NULL,
		.unit = tg->service ? tg->service : "target",
	};
	if (run_sec_spawn(tg, &sp, err, sizeof(err)) < 0 ||
	    fr_child_spawn(r->loop, &tg->child, &sp, target_exited, tg, err, sizeof(err)) < 0) {
		if (r->phase <= PH_STARTING) {
			run_error(r, "%s", run_unprefix(err));
		} else {
			struct fr_lc_event *e = run_lc_add(r, "not-ready", 0);
			e->service = tg->service;
			e->detail = fr_xstrdup(run_unprefix(err));
			run_say(r, "%s", run_unprefix(err));
		}
		return;
	}
	tg->running = true;
	tg->ready = false;
	tg->pid = tg->child.pid;
	tg->launching = tg->cfg->daemon;
	/* a daemon's command leaves its process behind: its group must outlive it */
	tg->child.keep_group = tg->cfg->daemon;
	if (restart)
		tg->restarts++;
	struct fr_lc_event *e = run_lc_add(r, "start", tg->child.pid);
	e->service = tg->service;
	e->attempt = (int)tg->starts;
	tg->starts++;
	if (tg->starts > 1)
		run_say(r, "%s %s (pid %d)", tg->what, restart ? "restarted" : "started again",
			(int)tg->child.pid);
	if (!tg->launching)
		run_unit_started(tg);
}

static void ready_done(struct checker *ck, const struct fr_sample *smp, const char *detail)
{
	struct target *tg = ck->owner;
	struct run *r = tg->r;

	snprintf(tg->ready_last, sizeof(tg->ready_last), "%s", detail ? detail : "");
	if (!tg->ready_polling || !smp->ok || !tg->running)
		return;
	tg->ready_polling = false;
	fr_timer_stop(r->loop, &tg->ready_tick);
	fr_timer_stop(r->loop, &tg->ready_deadline);
	run_check_cancel_all(ck);
	run_unit_ready(tg);
}

static void ready_tick(struct fr_timer *t)
{
	struct target *tg = t->arg;
	struct run *r = tg->r;

	if (!tg->ready_polling)
		return;
	if (!tg->ready_ck.n)
		run_check_sample(&tg->ready_ck);
	if (tg->ready_polling)
		fr_timer_start(r->loop, &tg->ready_tick,
			       fr_loop_now(r->loop) + tg->cfg->ready.interval_ns);
}

static void ready_deadline(struct fr_timer *t)
{
	struct target *tg = t->arg;
	struct run *r = tg->r;
	char d[32], tail[2048];

	if (!tg->ready_polling)
		return;
	tg->ready_polling = false;
	fr_timer_stop(r->loop, &tg->ready_tick);
	run_check_cancel_all(&tg->ready_ck);
	fr_fmt_duration(d, sizeof(d), tg->cfg->ready.deadline_ns);
	if (r->phase == PH_STARTING) {
		run_tail_text(tg, tail, sizeof(tail), 10);
		run_error(r, "%s was not ready within %s (last check: %s)%s%s", tg->what, d,
			  tg->ready_last[0] ? tg->ready_last : "none finished",
			  tail[0] ? "; its last output:" : "", tail);
	} else {
		struct fr_lc_event *e = run_lc_add(r, "not-ready", tg->child.pid);
		char buf[300];
		e->service = tg->service;
		snprintf(buf, sizeof(buf), "not ready within %s: %s", d, tg->ready_last);
		e->detail = fr_xstrdup(buf);
		if (tg->proc)
			run_say(r, "%s, restarted, was not ready within %s", tg->what, d);
		else
			run_say(r, "the restarted target was not ready within %s", d);
	}
}

void run_ready_start(struct target *tg)
{
	struct run *r = tg->r;
	struct checker *ck = &tg->ready_ck;

	tg->ready_polling = true;
	tg->ready_last[0] = 0;
	run_check_cancel_all(ck);
	if (ck->c->kind == FR_CHECK_LOG && r->phase != PH_STARTING) {
		/* a restart: only what the new process writes counts */
		struct stat st;
		ck->log_seen = false;
		ck->log_partial.len = 0;
		if (stat(ck->log_path, &st) == 0)
			ck->log_off = st.st_size;
	}
	fr_timer_start(r->loop, &tg->ready_tick, fr_loop_now(r->loop));
	fr_timer_start(r->loop, &tg->ready_deadline,
		       fr_loop_now(r->loop) + tg->cfg->ready.deadline_ns);
}

/* Stop signal now, SIGKILL of its group after grace_ns (target_grace_tick). */
void run_target_stop(struct target *tg, uint64_t grace_ns)
{
	struct run *r = tg->r;
	struct fr_lc_event *e = run_lc_add(r, "stop", tg->child.pid);

	e->service = tg->service;
	e->signo = tg->cfg->stop_signal;
	tg->stopping = true;
	run_lb_stop(tg); /* its view while it stops is no news */
	kill(tg->child.pid, tg->cfg->stop_signal);
	fr_timer_start(r->loop, &tg->grace_timer, fr_loop_now(r->loop) + grace_ns);
}

/* Stop polling readiness (draining: the target no longer needs to be ready). */
void run_ready_stop(struct target *tg)
{
	tg->ready_polling = false;
	fr_timer_stop(tg->r->loop, &tg->ready_tick);
	fr_timer_stop(tg->r->loop, &tg->ready_deadline);
	run_check_cancel_all(&tg->ready_ck);
	run_lb_ready_stop(tg);
}

void run_ready_init(struct target *tg)
{
	const struct fr_target *t = tg->cfg;

	if (t->ready.present) {
		run_checker_init(tg->r, &tg->ready_ck, &t->ready.check, t->ready.timeout_ns,
				 ready_done, tg, tg);
	}
}

void run_target_init(struct run *r, struct target *tg, int proc)
{
	const struct fr_scenario *s = r->s;

	tg->r = r;
	tg->proc = proc;
	tg->cfg = proc ? &s->services[proc - 1].proc : &s->target;
	tg->service = proc ? s->services[proc - 1].name : NULL;
	tg->what = proc ? fr_arena_printf(s->arena, "service '%s'", tg->service) : "the target";
	tg->out_r = tg->out_w = tg->log_fd = tg->report_fd = -1;
	fr_timer_init(&tg->restart_timer, target_restart_tick, tg);
	fr_timer_init(&tg->grace_timer, target_grace_tick, tg);
	fr_timer_init(&tg->ready_tick, ready_tick, tg);
	fr_timer_init(&tg->ready_deadline, ready_deadline, tg);
}

/* The target's command, environment and directory. */
static void target_command(struct target *tg)
{
	const struct fr_target *t = tg->cfg;
	struct run *r = tg->r;

	if (!tg->argv) /* a haproxy service's is made by run_lb_setup */
		tg->argv = run_argv(&t->command);
	tg->nenv = t->nenv + 1;
	tg->env = fr_xcalloc(tg->nenv + 1, sizeof(char *));
	for (size_t i = 0; i < t->nenv; i++)
		tg->env[i] = fr_xasprintf("%s=%s", t->env[i].key, t->env[i].value.val);
	tg->env[t->nenv] = fr_xasprintf("FAULTRUN_RUN_DIR=%s", r->run_dir);
	tg->cwd = t->cwd.raw ? t->cwd.val : r->run_dir;
}

/*
 * The unit's backend (run/backend.c); for the preload: the shim is there,
 * and the target's program can be preloaded.
 */
static int target_check_shim(struct target *tg)
{
	struct run *r = tg->r;
	char resolved[PATH_MAX], err[1024];
	const char *shim = fr_shim_path();
	int check = fr_launch_check(tg->argv[0], resolved, sizeof(resolved), err, sizeof(err));
	int b = run_sec_choose(tg, check, err);

	if (b != 0)
		return b < 0 ? -1 : 0;
	if (!shim || access(shim, R_OK) < 0) {
		snprintf(r->error, sizeof(r->error),
			 "the shim '%s' is missing (build it, or point "
			 "FAULTRUN_SHIM at libfaultshim.so)",
			 shim ? shim : "?");
		return -1;
	}
	tg->shim = shim;
	if (check < 0) {
		snprintf(r->error, sizeof(r->error), "%s%s", run_unprefix(err),
			 check == -ENOTSUP && !strstr(err, "setuid") ? " (backend: seccomp can)" :
								       "");
		return -1;
	}
	return 0;
}

/*
 * Everything the target needs before it starts: its command, the shim,
 * the pipe its output comes through and target.log. Returns 0, or -1
 * with r->error set.
 */
int run_target_setup(struct target *tg)
{
	struct run *r = tg->r;
	char path[PATH_MAX + 80];
	int fds[2];

	target_command(tg);
	if (tg->cfg->shim && target_check_shim(tg) < 0)
		return -1;
	if (pipe2(fds, O_CLOEXEC) < 0) {
		snprintf(r->error, sizeof(r->error), "pipe: %s", strerror(errno));
		return -1;
	}
	tg->out_r = fds[0];
	tg->out_w = fds[1];
	fcntl(tg->out_r, F_SETFL, O_NONBLOCK);
	/* a service's log is named after it (a name is [A-Za-z0-9_.-]) */
	snprintf(path, sizeof(path), "%s/%s.log", r->run_dir, tg->service ? tg->service : "target");
	tg->log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	fr_watch_init(&tg->out_watch, target_output, tg);
	fr_watch_start(r->loop, &tg->out_watch, tg->out_r, EPOLLIN);
	return 0;
}

/* Hand the output's tail over (oldest first): *out is malloc'd. */
void run_target_take_tail(struct target *tg, char ***out, size_t *n)
{
	*out = fr_xcalloc(TAIL_LINES, sizeof(char *));
	for (size_t k = 0; k < tg->ntail; k++) {
		size_t i = (tg->tail_head + k) % TAIL_LINES;

		(*out)[k] = tg->tail[i];
		tg->tail[i] = NULL;
	}
	*n = tg->ntail;
	tg->ntail = 0;
}

void run_target_finish(struct target *tg)
{
	struct run *r = tg->r;

	if (!r)
		return; /* never initialised */
	if (tg->child.pid > 0)
		fr_child_abandon(r->loop, &tg->child);
	run_sec_finish(tg); /* its processes are gone: its block may close */
	run_checker_finish(&tg->ready_ck);
	fr_watch_stop(r->loop, &tg->out_watch);
	if (tg->out_r >= 0)
		close(tg->out_r);
	if (tg->out_w >= 0)
		close(tg->out_w);
	if (tg->log_fd >= 0)
		close(tg->log_fd);
	for (size_t i = 0; i < TAIL_LINES; i++)
		free(tg->tail[i]);
	fr_buf_free(&tg->partial);
	run_lb_finish(tg);
	free(tg->argv);
	for (size_t i = 0; tg->env && i < tg->nenv; i++)
		free((char *)tg->env[i]);
	free(tg->env);
	if (tg->report_fd >= 0) {
		fr_watch_stop(r->loop, &tg->report_watch);
		close(tg->report_fd);
		tg->report_fd = -1;
	}
	fr_attach_finish(&tg->attach);
	fr_ctl_close(tg->ctl);
	tg->ctl = NULL;
	free(tg->slot);
	tg->slot = NULL;
	run_ctl_watch_finish(tg);
}
