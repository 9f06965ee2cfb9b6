/*
 * faultrun — a `type: haproxy` service as a unit: its configuration
 * written into the run directory, its command (`haproxy -db -f CFG`, no
 * shim), and its own view of the backends read from its stats socket
 * while it runs (io/haproxy.h). It is ready when the socket answers and
 * every backend is UP after a passing check; each backend's change of
 * state is a lifecycle event "lb" of the service, and a socket that
 * stops answering one "lb-lost" (docs/journal.md).
 */
#define _GNU_SOURCE
#include "run/run_internal.h"
#include "io/haproxy.h"
#include "util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LB_POLL_NS 100000000ull /* a transition is recorded at most 100 ms late */

struct lb_unit {
	struct fr_haproxy_poller poller;
	bool polling;
	bool waiting; /* for readiness */
	struct fr_timer deadline;
	char last[400];		  /* why it is not ready yet */
	char sock[PATH_MAX + 80]; /* fr_haproxy_conf_check refuses one too long for sun_path */
	char cfg[PATH_MAX + 80];
	const char *argv[5];
};

static const struct fr_service *svc_of(const struct target *tg)
{
	return &tg->r->s->services[tg->proc - 1];
}

/* The journal's names: HAProxy's, UNKNOWN and NOCHECK as one word */
static const char *state_word(enum fr_haproxy_state st)
{
	if (st == FR_HAPROXY_UNKNOWN)
		return "UNKNOWN";
	if (st == FR_HAPROXY_NOCHECK)
		return "NOCHECK";
	return fr_haproxy_state_name(st);
}

/* The backend (scenario name) a server row is, or NULL (another proxy, the BACKEND row). */
static const char *row_backend(const struct target *tg, const struct fr_haproxy_server *row)
{
	const struct fr_service *sv = svc_of(tg);
	char proxy[FR_HAPROXY_NAME_MAX + 16];

	snprintf(proxy, sizeof(proxy), "%s_backends", sv->name);
	if (row->backend || strcmp(row->proxy, proxy))
		return NULL;
	for (size_t i = 0; i < sv->lb.nbackends; i++)
		if (!strcmp(sv->lb.backends[i].name, row->name))
			return sv->lb.backends[i].name;
	return NULL;
}

/* "Layer7 wrong status (L7STS/500)", "L4CON", or "" */
static void check_text(const struct fr_haproxy_server *row, char *buf, size_t len)
{
	if (row->check_desc[0] && row->check[0])
		snprintf(buf, len, "%s (%s)", row->check_desc, row->check);
	else
		snprintf(buf, len, "%s", row->check[0] ? row->check : row->check_desc);
}

static void on_change(void *arg, const struct fr_haproxy_change *ch)
{
	struct target *tg = arg;
	struct run *r = tg->r;
	const char *server = row_backend(tg, ch->now);
	char detail[200];

	if (!server)
		return;
	check_text(ch->now, detail, sizeof(detail));
	struct fr_lc_event *e = run_lc_add(r, "lb", 0);
	e->t = run_rel(r, ch->at_ns);
	e->service = tg->service;
	e->server = server;
	e->state = state_word(ch->now->state);
	e->before = state_word(ch->before);
	e->detail = detail[0] ? fr_xstrdup(detail) : NULL;
	run_say(r, "%s: %s %s%s%s%s", tg->service, server, e->state,
		ch->now->check_desc[0] ? " (" : "", ch->now->check_desc,
		ch->now->check_desc[0] ? ")" : "");
}

static void on_lost(void *arg, const char *why)
{
	struct target *tg = arg;
	struct run *r = tg->r;
	struct lb_unit *lb = tg->lb;

	if (lb->waiting) {
		snprintf(lb->last, sizeof(lb->last), "%s", why ? why : "its stats socket answers");
		return;
	}
	if (!why) {
		run_say(r, "%s: HAProxy's stats socket answers again", tg->service);
		return;
	}
	struct fr_lc_event *e = run_lc_add(r, "lb-lost", 0);
	e->service = tg->service;
	e->detail = fr_xstrdup(why);
	run_say(r, "%s: HAProxy's view is lost: %s", tg->service, why);
}

/* Every backend UP after a passing check? Else lb->last says which is not. */
static bool all_up(struct target *tg, const struct fr_haproxy_server *rows, size_t n)
{
	const struct fr_service *sv = svc_of(tg);
	struct lb_unit *lb = tg->lb;

	for (size_t i = 0; i < sv->lb.nbackends; i++) {
		const char *name = sv->lb.backends[i].name;
		const struct fr_haproxy_server *row = NULL;
		char check[200];

		for (size_t k = 0; k < n && !row; k++)
			if (row_backend(tg, &rows[k]) == name)
				row = &rows[k];
		if (!row) {
			snprintf(lb->last, sizeof(lb->last), "backend '%s' is not in its stats",
				 name);
			return false;
		}
		/* a server starts UP before its first check: a passing one counts */
		if (!strcmp(row->status, "UP") && strstr(row->check, "OK"))
			continue;
		check_text(row, check, sizeof(check));
		snprintf(lb->last, sizeof(lb->last), "backend '%s' is %s (last check: %s)", name,
			 row->status, check[0] ? check : "none yet");
		return false;
	}
	return true;
}

static void on_poll(void *arg, const struct fr_haproxy_server *rows, size_t n)
{
	struct target *tg = arg;
	struct lb_unit *lb = tg->lb;

	if (!lb->waiting || !tg->running || !all_up(tg, rows, n))
		return;
	lb->waiting = false;
	fr_timer_stop(tg->r->loop, &lb->deadline);
	run_unit_ready(tg);
}

static void on_deadline(struct fr_timer *t)
{
	struct target *tg = t->arg;
	struct run *r = tg->r;
	struct lb_unit *lb = tg->lb;
	char d[32], tail[2048];

	if (!lb->waiting)
		return;
	lb->waiting = false;
	fr_fmt_duration(d, sizeof(d), svc_of(tg)->lb.ready_deadline_ns);
	if (r->phase == PH_STARTING) {
		run_tail_text(tg, tail, sizeof(tail), 10);
		run_error(r, "%s (HAProxy) was not ready within %s: %s%s%s", tg->what, d,
			  lb->last[0] ? lb->last : "its stats socket never answered",
			  tail[0] ? "; its last output:" : "", tail);
		return;
	}
	struct fr_lc_event *e = run_lc_add(r, "not-ready", tg->child.pid);
	e->service = tg->service;
	e->detail = fr_xasprintf("not ready within %s: %s", d, lb->last);
	run_say(r, "%s, restarted, was not ready within %s: %s", tg->what, d, lb->last);
}

/* The configuration HAProxy runs with, from the instantiated scenario. */
static int write_conf(struct target *tg, const char *program)
{
	struct run *r = tg->r;
	const struct fr_service *sv = svc_of(tg);
	struct lb_unit *lb = tg->lb;
	struct fr_haproxy_backend be[64];
	char err[512];

	if (sv->lb.nbackends > 64) {
		snprintf(r->error, sizeof(r->error), "%s: at most 64 backends", tg->what);
		return -1;
	}
	for (size_t i = 0; i < sv->lb.nbackends; i++)
		be[i] = (struct fr_haproxy_backend){
			.name = sv->lb.backends[i].name,
			.host = "127.0.0.1",
			.port = (unsigned)atoi(sv->lb.backends[i].port.val),
		};
	snprintf(lb->sock, sizeof(lb->sock), "%s/%s.sock", r->run_dir, sv->name);
	struct fr_haproxy_conf c = {
		.name = sv->name,
		.listen_port = (unsigned)atoi(sv->port.val),
		.backends = be,
		.nbackends = sv->lb.nbackends,
		.check_path = sv->lb.check_path,
		.check_interval_ns = sv->lb.check_interval_ns,
		.check_timeout_ns = sv->lb.check_timeout_ns,
		.rise = sv->lb.rise,
		.fall = sv->lb.fall,
		.down_status = sv->lb.down_status,
		.connect_timeout_ns = sv->lb.connect_timeout_ns,
		.server_timeout_ns = sv->lb.server_timeout_ns,
		.client_timeout_ns = sv->lb.client_timeout_ns,
		.stats_socket = lb->sock,
	};
	if (fr_haproxy_conf_check(&c, err, sizeof(err)) < 0 ||
	    fr_haproxy_conf_write(&c, r->run_dir, lb->cfg, sizeof(lb->cfg), err, sizeof(err)) < 0) {
		snprintf(r->error, sizeof(r->error), "%s: %s", tg->what, run_unprefix(err));
		return -1;
	}
	fr_haproxy_argv(program, lb->cfg, lb->argv);
	tg->argv = fr_xcalloc(5, sizeof(char *));
	for (size_t i = 0; i < 5; i++)
		tg->argv[i] = (char *)lb->argv[i];
	return 0;
}

int run_lb_setup(struct target *tg)
{
	struct run *r = tg->r;
	const char *program = fr_haproxy_program();

	if (!program) {
		snprintf(r->error, sizeof(r->error),
			 "%s: haproxy is not installed (tools/install-deps installs it; or point "
			 "FAULTRUN_HAPROXY at it)",
			 tg->what);
		return -1;
	}
	tg->lb = fr_xcalloc(1, sizeof(*tg->lb));
	fr_timer_init(&tg->lb->deadline, on_deadline, tg);
	return write_conf(tg, program);
}

/* Started: poll its view, and wait for every backend to be UP. */
void run_lb_started(struct target *tg)
{
	struct run *r = tg->r;
	struct lb_unit *lb = tg->lb;

	if (!lb->polling) {
		if (fr_haproxy_poller_start(&lb->poller, r->loop, lb->sock, LB_POLL_NS, on_change,
					    on_lost, tg) < 0) {
			run_error(r, "%s: cannot poll its stats socket '%s'", tg->what, lb->sock);
			return;
		}
		lb->poller.fn_poll = on_poll;
		lb->polling = true;
	}
	lb->waiting = true;
	lb->last[0] = 0;
	fr_timer_start(r->loop, &lb->deadline,
		       fr_loop_now(r->loop) + svc_of(tg)->lb.ready_deadline_ns);
}

/* No more waiting for readiness (draining, or it exited). */
void run_lb_ready_stop(struct target *tg)
{
	if (!tg->lb)
		return;
	tg->lb->waiting = false;
	fr_timer_stop(tg->r->loop, &tg->lb->deadline);
}

/* Its view is no longer recorded: it is being stopped, or the run ends. */
void run_lb_stop(struct target *tg)
{
	if (!tg->lb)
		return;
	run_lb_ready_stop(tg);
	if (tg->lb->polling)
		fr_haproxy_poller_stop(&tg->lb->poller);
	tg->lb->polling = false;
}

void run_lb_finish(struct target *tg)
{
	run_lb_stop(tg);
	free(tg->lb);
	tg->lb = NULL;
}
