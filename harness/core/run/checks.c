/*
 * faultrun — checks: the samples of a probe or of the readiness check.
 * Each kind (http, tcp, exec, log, target, mysql) is one row of
 * check_kinds[] and its functions here; a sample that hangs only
 * occupies its own slot until its timeout.
 */
#define _GNU_SOURCE
#include "run/run_internal.h"
#include "util/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

bool run_status_ok(const struct fr_status_set *st, long status)
{
	for (unsigned i = 0; i < st->n; i++)
		if (status >= st->r[i].lo && status <= st->r[i].hi)
			return true;
	return false;
}

/* The method a request uses: its own, else POST with a body, else GET. */
const char *run_http_method(const struct fr_http *h)
{
	return h->method.raw ? h->method.val : h->body.raw ? "POST" : "GET";
}

char **run_argv(const struct fr_cmd *cmd)
{
	char **argv;

	if (cmd->shell) {
		argv = fr_xcalloc(4, sizeof(char *));
		argv[0] = "/bin/sh";
		argv[1] = "-c";
		argv[2] = (char *)cmd->argv[0].val;
		return argv;
	}
	argv = fr_xcalloc(cmd->argc + 1, sizeof(char *));
	for (size_t i = 0; i < cmd->argc; i++)
		argv[i] = (char *)cmd->argv[i].val;
	return argv;
}

const char **run_headers(const struct fr_http *h, size_t *n)
{
	const char **v = fr_xcalloc(h->nheaders + 1, sizeof(char *));

	for (size_t i = 0; i < h->nheaders; i++) {
		v[i] = fr_xasprintf("%s: %s", h->headers[i].key, h->headers[i].value.val);
	}
	*n = h->nheaders;
	return v;
}

void run_headers_free(const char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free((char *)v[i]);
	free(v);
}

static void sample_unlink(struct sample *sm)
{
	struct checker *ck = sm->ck;

	if (sm->prev)
		sm->prev->next = sm->next;
	else
		ck->inflight = sm->next;
	if (sm->next)
		sm->next->prev = sm->prev;
	ck->n--;
}

static void sample_finish(struct sample *sm, bool ok, bool answered, bool timeout, int status,
			  const char *detail)
{
	struct checker *ck = sm->ck;
	struct run *r = ck->r;
	struct fr_sample smp;

	memset(&smp, 0, sizeof(smp));
	smp.t = run_rel(r, sm->start);
	smp.latency = fr_now_ns() - sm->start;
	smp.ok = ok;
	smp.answered = answered;
	smp.timeout = timeout;
	smp.status = status;
	sample_unlink(sm);
	fr_timer_stop(r->loop, &sm->tmo);
	free(sm);
	ck->done(ck, &smp, detail);
}

/* ---- http -------------------------------------------------------------- */

static void http_sample_done(void *arg, const struct fr_http_result *res)
{
	struct sample *sm = arg;
	struct checker *ck = sm->ck;
	bool ok = res->answered && run_status_ok(&ck->c->http.status, res->status);
	char detail[256];

	snprintf(detail, sizeof(detail), "%s", res->detail);
	if (ok && ck->body_re_ok && regexec(&ck->body_re, res->body, 0, NULL, 0)) {
		ok = false;
		snprintf(detail, sizeof(detail), "HTTP %ld, body does not match '%s'", res->status,
			 ck->c->http.body_match.val);
	}
	sm->x = NULL;
	sample_finish(sm, ok, res->answered, res->timeout, res->status ? (int)res->status : -1,
		      detail);
}

static void http_init(struct checker *ck)
{
	const struct fr_http *h = &ck->c->http;

	ck->headers = run_headers(h, &ck->nheaders);
	if (h->body_match.raw)
		ck->body_re_ok =
			regcomp(&ck->body_re, h->body_match.val, REG_EXTENDED | REG_NOSUB) == 0;
}

static void http_start(struct sample *sm)
{
	struct checker *ck = sm->ck;
	const struct fr_http *h = &ck->c->http;

	sm->x = fr_http_send(ck->r->http, h->method.raw ? h->method.val : NULL, h->url.val,
			     ck->headers, ck->nheaders, h->body.raw ? h->body.val : NULL,
			     ck->timeout, http_sample_done, sm);
	if (!sm->x)
		sample_finish(sm, false, false, false, -1, "cannot start an HTTP request");
}

static void http_cancel(struct sample *sm)
{
	if (sm->x)
		fr_http_cancel(sm->ck->r->http, sm->x);
}

static char *http_what(const struct fr_check *c)
{
	return fr_xasprintf("%s %s", run_http_method(&c->http), c->http.url.val);
}

/* ---- tcp --------------------------------------------------------------- */

static void tcp_close(struct sample *sm)
{
	fr_watch_stop(sm->ck->r->loop, &sm->w);
	if (sm->fd >= 0)
		close(sm->fd);
	sm->fd = -1;
}

static void tcp_writable(struct fr_watch *w, uint32_t events)
{
	struct sample *sm = w->arg;
	int err = 0;
	socklen_t len = sizeof(err);

	(void)events;
	getsockopt(sm->fd, SOL_SOCKET, SO_ERROR, &err, &len);
	tcp_close(sm);
	if (err)
		sample_finish(sm, false, err == ECONNREFUSED, false, -1,
			      err == ECONNREFUSED ? "connection refused" : strerror(err));
	else
		sample_finish(sm, true, true, false, -1, "connected");
}

static void tcp_start(struct sample *sm)
{
	struct checker *ck = sm->ck;
	struct run *r = ck->r;
	const char *hp = ck->c->tcp.val;
	const char *colon = strrchr(hp, ':');
	char host[256], port[16];
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV },
			*ai = NULL;
	int rc;

	snprintf(host, sizeof(host), "%.*s", (int)(colon - hp), hp);
	snprintf(port, sizeof(port), "%s", colon + 1);
	if (host[0] == '[') {
		memmove(host, host + 1, strlen(host));
		host[strcspn(host, "]")] = 0;
	}
	/* numeric first: no resolver call for the usual 127.0.0.1 */
	hints.ai_flags |= AI_NUMERICHOST;
	rc = getaddrinfo(host, port, &hints, &ai);
	if (rc == EAI_NONAME) {
		hints.ai_flags &= ~AI_NUMERICHOST;
		rc = getaddrinfo(host, port, &hints, &ai);
	}
	if (rc || !ai) {
		sample_finish(sm, false, false, false, -1, gai_strerror(rc));
		return;
	}
	sm->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (sm->fd < 0) {
		freeaddrinfo(ai);
		sample_finish(sm, false, false, false, -1, strerror(errno));
		return;
	}
	rc = connect(sm->fd, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	if (rc == 0) {
		tcp_close(sm);
		sample_finish(sm, true, true, false, -1, "connected");
		return;
	}
	if (errno != EINPROGRESS) {
		int e = errno;
		tcp_close(sm);
		sample_finish(sm, false, e == ECONNREFUSED, false, -1,
			      e == ECONNREFUSED ? "connection refused" : strerror(e));
		return;
	}
	fr_watch_init(&sm->w, tcp_writable, sm);
	fr_watch_start(r->loop, &sm->w, sm->fd, EPOLLOUT);
	fr_timer_start(r->loop, &sm->tmo, sm->start + ck->timeout);
}

static void tcp_timeout(struct sample *sm, const char *detail)
{
	if (sm->fd < 0)
		return;
	tcp_close(sm);
	sample_finish(sm, false, false, true, -1, detail);
}

static void tcp_cancel(struct sample *sm)
{
	if (sm->fd >= 0)
		tcp_close(sm);
}

static char *tcp_what(const struct fr_check *c)
{
	return fr_xasprintf("connect %s", c->tcp.val);
}

/* ---- exec -------------------------------------------------------------- */

static void exec_init(struct checker *ck)
{
	ck->argv = run_argv(&ck->c->exec.cmd);
}

static void exec_drain(struct sample *sm)
{
	char buf[4096];
	ssize_t n;

	while (sm->pipefd >= 0 && (n = read(sm->pipefd, buf, sizeof(buf))) > 0) {
		size_t room = sizeof(sm->out) - 1 - sm->outlen;
		size_t take = (size_t)n < room ? (size_t)n : room;
		memcpy(sm->out + sm->outlen, buf, take);
		sm->outlen += take;
		sm->out[sm->outlen] = 0;
	}
}

static void exec_readable(struct fr_watch *w, uint32_t events)
{
	struct sample *sm = w->arg;

	(void)events;
	exec_drain(sm);
	if (events & (EPOLLHUP | EPOLLERR)) {
		fr_watch_stop(sm->ck->r->loop, &sm->pw);
	}
}

static void exec_exited(struct fr_child *c, int status)
{
	struct sample *sm = c->arg;
	struct checker *ck = sm->ck;
	char detail[320], d[32];
	const char *out;
	int code = -1;

	exec_drain(sm);
	fr_watch_stop(ck->r->loop, &sm->pw);
	close(sm->pipefd);
	sm->pipefd = -1;
	out = sm->out;
	while (*out == ' ' || *out == '\n')
		out++;
	size_t ol = strcspn(out, "\n");
	if (sm->timed_out) {
		fr_fmt_duration(d, sizeof(d), ck->timeout);
		snprintf(detail, sizeof(detail), "timeout after %s (killed)", d);
		sample_finish(sm, false, false, true, -1, detail);
		return;
	}
	if (WIFEXITED(status)) {
		code = WEXITSTATUS(status);
		snprintf(detail, sizeof(detail), "exit %d%s%.*s", code, ol ? ": " : "",
			 (int)(ol > 120 ? 120 : ol), out);
	} else {
		snprintf(detail, sizeof(detail), "killed by %s", fr_signal_name(WTERMSIG(status)));
	}
	sample_finish(sm, code == ck->c->exec.status, WIFEXITED(status), false, code, detail);
}

static void exec_start(struct sample *sm)
{
	struct checker *ck = sm->ck;
	struct run *r = ck->r;
	char err[512];
	int p[2];

	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0) {
		sample_finish(sm, false, false, false, -1, strerror(errno));
		return;
	}
	struct fr_spawn sp = {
		.argv = ck->argv,
		.cwd = r->tg.cwd,
		.out_fd = p[1],
		.ctl_path = r->ctl_path,
		.seed = r->seed,
		.unit = "probe",
	};
	int ret = fr_child_spawn(r->loop, &sm->child, &sp, exec_exited, sm, err, sizeof(err));
	close(p[1]);
	if (ret < 0) {
		close(p[0]);
		sample_finish(sm, false, false, false, -1, run_unprefix(err));
		return;
	}
	sm->pipefd = p[0];
	fr_watch_init(&sm->pw, exec_readable, sm);
	fr_watch_start(r->loop, &sm->pw, sm->pipefd, EPOLLIN);
	fr_timer_start(r->loop, &sm->tmo, sm->start + ck->timeout);
}

static void exec_timeout(struct sample *sm, const char *detail)
{
	(void)detail;
	if (sm->child.pid <= 0)
		return;
	sm->timed_out = true; /* exec_exited reports it */
	fr_child_killpg(&sm->child, SIGKILL);
}

static void exec_cancel(struct sample *sm)
{
	struct run *r = sm->ck->r;

	if (sm->child.pid > 0)
		fr_child_abandon(r->loop, &sm->child);
	if (sm->pipefd >= 0) {
		fr_watch_stop(r->loop, &sm->pw);
		close(sm->pipefd);
	}
}

static char *exec_what(const struct fr_check *c)
{
	return fr_xstrdup(c->exec.cmd.argv[0].val);
}

/* ---- log --------------------------------------------------------------- */

static void log_init(struct checker *ck)
{
	const struct fr_check *c = ck->c;

	ck->log_re_ok = regcomp(&ck->log_re, c->log.pattern.val, REG_EXTENDED | REG_NOSUB) == 0;
	if (c->log.file.raw) {
		ck->log_path = c->log.file.val;
	} else {
		/* a readiness check of a service reads that service's own log */
		ck->log_own =
			fr_xasprintf("%s/%s.log", ck->r->run_dir,
				     ck->unit && ck->unit->service ? ck->unit->service : "target");
		ck->log_path = ck->log_own;
	}
}

/*
 * A log check reads what was appended since the last sample (at most
 * LOG_READ_MAX per sample; a truncated or replaced file starts over).
 */
static void log_sample(struct sample *sm)
{
	struct checker *ck = sm->ck;
	const char *path = ck->log_path;
	char *buf = NULL, *hit = NULL;
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		char detail[PATH_MAX + 64];
		snprintf(detail, sizeof(detail), "%s: %s", path, strerror(errno));
		if (ck->c->log.absent)
			sample_finish(sm, true, true, false, -1, "no log file yet");
		else
			sample_finish(sm, ck->log_seen, false, false, -1,
				      ck->log_seen ? ck->log_seen_line : detail);
		return;
	}
	if (fstat(fd, &st) == 0 && st.st_size < ck->log_off) {
		ck->log_off = 0;
		ck->log_partial.len = 0;
	}
	buf = malloc(LOG_READ_MAX + 1);
	ssize_t n = buf ? pread(fd, buf, LOG_READ_MAX, ck->log_off) : -1;
	close(fd);
	if (n > 0) {
		ck->log_off += n;
		fr_buf_add(&ck->log_partial, buf, (size_t)n);
		char *line = ck->log_partial.p, *nl;
		while ((nl = memchr(line, '\n',
				    ck->log_partial.len - (size_t)(line - ck->log_partial.p)))) {
			*nl = 0;
			if (!hit && ck->log_re_ok && regexec(&ck->log_re, line, 0, NULL, 0) == 0)
				hit = fr_xstrdup(line);
			line = nl + 1;
		}
		size_t rest = ck->log_partial.len - (size_t)(line - ck->log_partial.p);
		memmove(ck->log_partial.p, line, rest);
		ck->log_partial.len = rest;
		ck->log_partial.p[rest] = 0;
	}
	free(buf);
	if (hit && strlen(hit) > 150)
		hit[150] = 0;
	if (ck->c->log.absent) {
		if (hit) {
			sample_finish(sm, false, true, false, -1, hit);
		} else {
			sample_finish(sm, true, true, false, -1, "no new matching line");
		}
	} else {
		if (hit && !ck->log_seen) {
			ck->log_seen = true;
			free(ck->log_seen_line);
			ck->log_seen_line = fr_xstrdup(hit);
		}
		sample_finish(sm, ck->log_seen, true, false, -1,
			      ck->log_seen ? ck->log_seen_line : "not seen yet");
	}
	free(hit);
}

static char *log_what(const struct fr_check *c)
{
	return fr_xasprintf("/%s/ %s in %s", c->log.pattern.val, c->log.absent ? "absent" : "seen",
			    c->log.file.raw ? c->log.file.val : "the target's output");
}

/* ---- target ------------------------------------------------------------ */

static void target_sample(struct sample *sm)
{
	struct checker *ck = sm->ck;
	struct target *tg = run_proc(ck->r, ck->c->service);
	char detail[96];
	bool ok;

	if (tg->running) {
		ok = ck->c->target == FR_TARGET_ALIVE || tg->ready;
		snprintf(detail, sizeof(detail), "%s (pid %d)", tg->ready ? "ready" : "running",
			 (int)tg->child.pid);
	} else {
		ok = false;
		snprintf(detail, sizeof(detail), "%s",
			 tg->gave_up			    ? "down (gave up)" :
			 fr_timer_armed(&tg->restart_timer) ? "down (restarting)" :
							      "down");
	}
	sample_finish(sm, ok, true, false, -1, detail);
}

static char *target_what(const struct fr_check *c)
{
	const char *what = c->target == FR_TARGET_ALIVE ? "alive" : "ready";

	if (c->service_name)
		return fr_xasprintf("service %s %s", c->service_name, what);
	return fr_xasprintf("target %s", what);
}

/* ---- mysql ------------------------------------------------------------- */

static void mysql_sample_done(void *arg, const struct fr_mysql_result *res)
{
	struct sample *sm = arg;
	struct checker *ck = sm->ck;
	bool ok = res->ok;
	char detail[256];

	snprintf(detail, sizeof(detail), "%s", res->detail);
	if (ok && ck->c->mysql.expect.raw &&
	    strcmp(res->first_value ? res->first_value : "NULL", ck->c->mysql.expect.val)) {
		ok = false;
		snprintf(detail, sizeof(detail), "got '%s', expected '%s'",
			 res->first_value ? res->first_value : "NULL", ck->c->mysql.expect.val);
	}
	fr_mysql_op_cancel(sm->my); /* done with it (safe inside its callback) */
	sm->my = NULL;
	sample_finish(sm, ok, res->answered, res->timeout, -1, detail);
}

static void mysql_start(struct sample *sm)
{
	struct checker *ck = sm->ck;
	struct run *r = ck->r;
	struct fr_mysql_params p;

	if (run_mysql_params(r, &ck->c->mysql.conn, &p) < 0) {
		sample_finish(sm, false, false, false, -1, "no database address");
		return;
	}
	if (!p.read_timeout_ms || p.read_timeout_ms > ck->timeout / 1000000)
		p.read_timeout_ms = (unsigned)(ck->timeout / 1000000);
	sm->my = fr_mysql_query(r->loop, &p, ck->c->mysql.query.val, mysql_sample_done, sm);
	if (!sm->my) {
		sample_finish(sm, false, false, false, -1, "cannot start a MySQL client");
		return;
	}
	fr_timer_start(r->loop, &sm->tmo, sm->start + ck->timeout);
}

static void mysql_timeout(struct sample *sm, const char *detail)
{
	if (!sm->my)
		return;
	fr_mysql_op_cancel(sm->my);
	sm->my = NULL;
	sample_finish(sm, false, false, true, -1, detail);
}

static void mysql_cancel(struct sample *sm)
{
	if (sm->my)
		fr_mysql_op_cancel(sm->my);
}

static char *mysql_what(const struct fr_check *c)
{
	return fr_xstrdup(c->mysql.query.val);
}

/* ---- the kinds --------------------------------------------------------- */

struct check_kind {
	void (*init)(struct checker *ck); /* prepare the checker, or NULL */
	void (*start)(struct sample *sm); /* start a sample; its end calls sample_finish */
	/* its timer fired (detail says so): end it, or NULL when never armed */
	void (*timeout)(struct sample *sm, const char *detail);
	void (*cancel)(struct sample *sm);	 /* drop it without a result, or NULL */
	char *(*what)(const struct fr_check *c); /* for humans, malloc'd */
};

static const struct check_kind check_kinds[FR_CHECK_COUNT] = {
	[FR_CHECK_HTTP] = { http_init, http_start, NULL, http_cancel, http_what },
	[FR_CHECK_TCP] = { NULL, tcp_start, tcp_timeout, tcp_cancel, tcp_what },
	[FR_CHECK_EXEC] = { exec_init, exec_start, exec_timeout, exec_cancel, exec_what },
	[FR_CHECK_LOG] = { log_init, log_sample, NULL, NULL, log_what },
	[FR_CHECK_TARGET] = { NULL, target_sample, NULL, NULL, target_what },
	[FR_CHECK_MYSQL] = { NULL, mysql_start, mysql_timeout, mysql_cancel, mysql_what },
};

static const struct check_kind *kind_of(const struct fr_check *c)
{
	/* c is NULL for the readiness checker of a target without a check */
	if (c && (unsigned)c->kind < FR_CHECK_COUNT && check_kinds[c->kind].start)
		return &check_kinds[c->kind];
	return NULL;
}

static void sample_timeout(struct fr_timer *t)
{
	struct sample *sm = t->arg;
	struct checker *ck = sm->ck;
	const struct check_kind *k = kind_of(ck->c);
	char d[64], detail[96];

	fr_fmt_duration(d, sizeof(d), ck->timeout);
	snprintf(detail, sizeof(detail), "timeout after %s", d);
	if (k && k->timeout)
		k->timeout(sm, detail);
}

/* Start one sample of a check; its result goes to ck->done. */
void run_check_sample(struct checker *ck)
{
	const struct check_kind *k = kind_of(ck->c);
	struct sample *sm;

	if (ck->n >= MAX_INFLIGHT)
		return;
	sm = fr_xcalloc(1, sizeof(*sm));
	sm->ck = ck;
	sm->fd = -1;
	sm->pipefd = -1;
	sm->start = fr_now_ns();
	fr_timer_init(&sm->tmo, sample_timeout, sm);
	sm->next = ck->inflight;
	if (ck->inflight)
		ck->inflight->prev = sm;
	ck->inflight = sm;
	ck->n++;
	if (k)
		k->start(sm);
	else
		sample_finish(sm, false, false, false, -1, "unknown check");
}

/* Abort every sample in flight without recording it. */
void run_check_cancel_all(struct checker *ck)
{
	const struct check_kind *k = kind_of(ck->c);

	while (ck->inflight) {
		struct sample *sm = ck->inflight;

		if (k && k->cancel)
			k->cancel(sm);
		fr_timer_stop(ck->r->loop, &sm->tmo);
		sample_unlink(sm);
		free(sm);
	}
}

void run_checker_init(struct run *r, struct checker *ck, const struct fr_check *c, uint64_t timeout,
		      check_done_fn done, void *owner, struct target *unit)
{
	const struct check_kind *k = kind_of(c);

	memset(ck, 0, sizeof(*ck));
	ck->unit = unit;
	ck->r = r;
	ck->c = c;
	ck->timeout = timeout;
	ck->done = done;
	ck->owner = owner;
	if (k && k->init)
		k->init(ck);
}

void run_checker_finish(struct checker *ck)
{
	if (!ck->r)
		return;
	run_check_cancel_all(ck);
	run_headers_free(ck->headers, ck->nheaders);
	if (ck->body_re_ok)
		regfree(&ck->body_re);
	if (ck->log_re_ok)
		regfree(&ck->log_re);
	free(ck->log_own);
	free(ck->log_seen_line);
	fr_buf_free(&ck->log_partial);
	free(ck->argv);
	ck->r = NULL;
}

char *run_check_what(const struct fr_check *c)
{
	const struct check_kind *k = kind_of(c);

	return k ? k->what(c) : fr_xstrdup("?");
}

/* ---- probes ------------------------------------------------------------ */

static void probe_done(struct checker *ck, const struct fr_sample *smp, const char *detail)
{
	struct probe *p = ck->owner;
	struct run *r = p->r;
	struct fr_series *ser = &r->series[p->series];
	struct fr_sample *v = fr_series_add(ser, smp, detail);
	int state = v->ok ? 1 : 0;

	if (p->state != state) {
		int was = p->state;
		p->state = state; /* before run_say(): it redraws the status line */
		if (p->p->lb.on)
			run_say(r, "%s: backend %s rotation (%s)", p->p->name,
				state ? "back in" : "out of", detail ? detail : "");
		else if (was >= 0 || !state)
			run_say(r, "%s: %s (%s)", p->p->name, state ? "ok again" : "turned red",
				detail ? detail : "");
	}
	run_maybe_drained(r);
}

static void probe_tick(struct fr_timer *t)
{
	struct probe *p = t->arg;
	struct run *r = p->r;

	if (r->phase != PH_RUNNING)
		return;
	run_check_sample(&p->ck);
	p->next_at += p->p->interval_ns;
	uint64_t now = fr_loop_now(r->loop);
	if (p->next_at <= now) /* fell behind (a stopped process?): skip ahead */
		p->next_at = now + p->p->interval_ns - (now - p->next_at) % p->p->interval_ns;
	fr_timer_start(r->loop, &p->tick, p->next_at);
}

void run_probes_init(struct run *r)
{
	const struct fr_scenario *s = r->s;

	for (size_t i = 0; i < s->nprobes; i++) {
		struct probe *p = &r->probes[i];

		p->r = r;
		p->p = &s->probes[i];
		p->series = fr_scenario_series(s, s->probes[i].name);
		p->state = -1;
		fr_timer_init(&p->tick, probe_tick, p);
		/* a fault injected or cleared at the same instant goes first */
		p->tick.prio = 1;
		run_checker_init(r, &p->ck, &s->probes[i].check, s->probes[i].timeout_ns,
				 probe_done, p, NULL);
	}
}

void run_probes_start(struct run *r, uint64_t now)
{
	for (size_t i = 0; i < r->s->nprobes; i++) {
		struct probe *p = &r->probes[i];

		p->next_at = now;
		fr_timer_start(r->loop, &p->tick, now);
	}
}
