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
 * events read, assertions, reports). A signal jumps to DRAINING (or
 * STOPPING) at once; teardown always runs.
 */
#define _GNU_SOURCE
#include "run/runner.h"

#include "io/http.h"
#include "io/launch.h"
#include "util/loop.h"
#include "io/mariadb.h"
#include "io/mysqlc.h"
#include "io/proc.h"
#include "util/strbuf.h"

#include <faultrun/control.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_INFLIGHT 64
#define TAIL_LINES 40
#define POLL_NS 100000000ull      /* events ring and status line */
#define DRAIN_MAX_NS 15000000000ull
#define LOG_READ_MAX (1024 * 1024)
#define INJ_KEEP 100000           /* injection events kept for the journal */

enum phase { PH_SETUP, PH_STARTING, PH_RUNNING, PH_DRAINING, PH_STOPPING,
	     PH_DONE };

struct run;
struct checker;

/* One sample in flight. */
struct sample {
	struct checker *ck;
	struct sample *prev, *next;
	uint64_t start;
	struct fr_http_xfer *x;
	int fd;
	struct fr_watch w;
	struct fr_timer tmo;
	struct fr_child child;
	int pipefd;
	struct fr_watch pw;
	char out[256];
	size_t outlen;
	bool timed_out;
	struct fr_mysql_op *my;
};

typedef void (*check_done_fn)(struct checker *ck, const struct fr_sample *smp,
			      const char *detail);

/* Runs samples of one check (a probe's, or the readiness check). */
struct checker {
	struct run *r;
	const struct fr_check *c;
	uint64_t timeout;
	check_done_fn done;
	void *owner;
	struct sample *inflight;
	unsigned n;
	const char **headers;
	size_t nheaders;
	regex_t body_re, log_re;
	bool body_re_ok, log_re_ok;
	off_t log_off;
	bool log_seen;
	char *log_seen_line;
	struct fr_buf log_partial;
	const char *log_path;
	char **argv;
};

struct probe {
	struct run *r;
	const struct fr_probe *p;
	struct checker ck;
	struct fr_timer tick;
	uint64_t next_at;
	int series;
	int state; /* -1 unknown, 0 red, 1 ok */
};

/* An HTTP request of the load or of a timeline step. */
struct req {
	struct run *r;
	int series;
	const struct fr_http *h;
	const char **headers;
	size_t nheaders;
	regex_t *body_re;
	uint64_t timeout;
	struct step_state *st; /* timeline requests */
};

struct step_state {
	struct run *r;
	size_t idx;        /* into tl entries */
	const struct fr_step *step;
	unsigned sent, done;
	struct fr_child child;
	struct fr_timer tmo;
	bool running, timed_out;
	const char **headers;
	size_t nheaders;
	regex_t body_re;
	bool body_re_ok;
	struct fr_mysql_op *my;
};

struct target {
	struct fr_child child;
	int out_r, out_w, log_fd;
	pid_t pid; /* of the current or last start */
	struct fr_watch out_watch;
	char *tail[TAIL_LINES];
	size_t ntail, tail_head;
	struct fr_buf partial;
	bool running, ready, stopping, restart_after_stop, gave_up;
	unsigned attempt, starts, restarts, exits;
	struct fr_timer restart_timer, grace_timer;
	char **argv;
	const char **env;
	size_t nenv;
	const char *cwd;
	const char *shim;
};

struct run {
	struct fr_scenario *s;
	const struct fr_run_opts *o;
	struct fr_loop *loop;
	struct fr_http_client *http;
	enum phase phase;
	enum fr_verdict_kind verdict;
	char error[8192];
	bool interrupted;
	int signals;

	char run_dir[PATH_MAX];
	char ctl_path[PATH_MAX + 16];
	bool have_run_dir;
	struct fr_ctl *ctl;
	uint64_t seed;
	unsigned *ports;
	struct fr_mariadb **dbs;

	uint64_t run_start, t0;
	double invoked_wall, t0_wall;
	int64_t end_rel;

	struct target tg;
	struct checker ready_ck;
	struct fr_timer ready_tick, ready_deadline;
	bool ready_polling;
	char ready_last[200];

	struct probe *probes;
	struct fr_series *series;
	size_t nseries;

	/* load */
	struct req load_req;
	struct fr_timer load_tick;
	uint64_t load_next;
	uint64_t load_period;
	regex_t load_re;
	bool load_re_ok;
	unsigned load_inflight;

	/* timeline */
	size_t next_step;
	struct fr_timer step_timer, end_timer, drain_timer, poll_timer;
	struct step_state *steps;
	unsigned step_busy;

	/* faults */
	int *slot;
	bool *armed;
	struct fr_fault_facts *ff;
	char (*specs)[512];

	/* record */
	struct fr_lc_event *lc;
	size_t nlc, caplc;
	struct fr_tl_entry *tl;
	size_t ntl, captl;
	struct fr_inj_event *inj;
	size_t ninj, capinj;
	uint64_t ev_next, ev_dropped;

	/* progress */
	bool status_shown;
	uint64_t last_status;
	struct fr_watch sig_watch;
};

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);

	if (!q && n) {
		fputs("faultrun: out of memory\n", stderr);
		abort();
	}
	return q;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p) {
		fputs("faultrun: out of memory\n", stderr);
		abort();
	}
	return p;
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s ? s : "");

	if (!p)
		abort();
	return p;
}

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ns relative to t = 0 (before t = 0: relative to it anyway, negative). */
static int64_t rel(struct run *r, uint64_t mono)
{
	uint64_t zero = r->t0 ? r->t0 : r->run_start;

	return (int64_t)mono - (int64_t)zero;
}

static int64_t rel_now(struct run *r)
{
	return rel(r, fr_loop_now(r->loop));
}

/* ---- progress ---------------------------------------------------------- */

static void status_clear(struct run *r)
{
	if (r->status_shown && r->o->progress) {
		fputs("\r\033[K", r->o->progress);
		r->status_shown = false;
	}
}

static void status_draw(struct run *r)
{
	FILE *out = r->o->progress;
	struct fr_buf b = { 0 };
	struct winsize ws;
	size_t width = 100;

	if (!out || !r->o->tty || r->o->verbosity < 1)
		return;
	if (ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
		width = ws.ws_col - 1;
	if (r->phase == PH_STARTING) {
		fr_buf_printf(&b, "%s  starting the target (%.1fs)", r->s->name,
			      (double)(fr_loop_now(r->loop) - r->run_start) / 1e9);
	} else if (r->phase == PH_RUNNING || r->phase == PH_DRAINING) {
		fr_buf_printf(&b, "%s  %5.1fs/%.0fs", r->s->name,
			      (double)rel_now(r) / 1e9,
			      (double)r->s->duration_ns / 1e9);
		bool any = false;
		for (size_t i = 0; i < r->s->nfaults; i++)
			if (r->armed[i]) {
				fr_buf_printf(&b, "%s%s", any ? "," : "  armed: ",
					      r->s->faults[i].name);
				any = true;
			}
		for (size_t i = 0; i < r->s->nprobes; i++) {
			struct probe *p = &r->probes[i];
			fr_buf_printf(&b, "  %s %s", p->p->name,
				      p->state < 0 ? "…" : p->state ? "ok" :
				      p->p->lb.on ? "OUT" : "RED");
		}
		if (!r->tg.running)
			fr_buf_printf(&b, "  target DOWN");
	} else {
		fr_buf_printf(&b, "%s  stopping", r->s->name);
	}
	if (b.len > width) {
		b.len = width;
		b.p[width] = 0;
	}
	fprintf(out, "\r\033[K%s", b.p ? b.p : "");
	fflush(out);
	r->status_shown = true;
	fr_buf_free(&b);
}

static void say(struct run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(struct run *r, const char *fmt, ...)
{
	FILE *out = r->o->progress;
	va_list ap;

	if (!out || r->o->verbosity < 1)
		return;
	status_clear(r);
	if (r->t0)
		fprintf(out, "[%s %7.3fs] ", r->s->name, (double)rel_now(r) / 1e9);
	else
		fprintf(out, "[%s   setup] ", r->s->name);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
	if (r->o->tty)
		status_draw(r);
	else
		fflush(out);
}

/* ---- recording --------------------------------------------------------- */

static struct fr_lc_event *lc_add(struct run *r, const char *event, int pid)
{
	if (r->nlc == r->caplc) {
		r->caplc = r->caplc ? r->caplc * 2 : 16;
		r->lc = xrealloc(r->lc, r->caplc * sizeof(*r->lc));
	}
	struct fr_lc_event *e = &r->lc[r->nlc++];
	memset(e, 0, sizeof(*e));
	e->t = rel_now(r);
	e->event = event;
	e->pid = pid;
	e->status = -1;
	return e;
}

static size_t tl_add(struct run *r, const struct fr_step *st, const char *detail)
{
	if (r->ntl == r->captl) {
		r->captl = r->captl ? r->captl * 2 : 16;
		r->tl = xrealloc(r->tl, r->captl * sizeof(*r->tl));
	}
	struct fr_tl_entry *e = &r->tl[r->ntl];
	e->at = (int64_t)st->at_ns;
	e->t = rel_now(r);
	e->step = st;
	e->detail = detail ? xstrdup(detail) : NULL;
	return r->ntl++;
}

static void tl_detail(struct run *r, size_t idx, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void tl_detail(struct run *r, size_t idx, const char *fmt, ...)
{
	va_list ap;
	char buf[256];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	free(r->tl[idx].detail);
	r->tl[idx].detail = xstrdup(buf);
}

/*
 * Copy new injection events out of the shim's ring. Returns how many
 * arrived (so the caller can read again sooner when they come fast).
 */
static unsigned read_events(struct run *r)
{
	unsigned got = 0;

	if (!r->ctl)
		return 0;
	uint64_t head = atomic_load_explicit(&r->ctl->event_head,
					     memory_order_acquire);
	if (head > r->ev_next + FR_CTL_EVENTS) {
		r->ev_dropped += head - r->ev_next - FR_CTL_EVENTS;
		r->ev_next = head - FR_CTL_EVENTS;
	}
	while (r->ev_next < head) {
		struct fr_ctl_event *ev = &r->ctl->events[r->ev_next % FR_CTL_EVENTS];
		uint64_t seq = atomic_load_explicit(&ev->seq, memory_order_acquire);
		if (seq != r->ev_next + 1) {
			if (seq > r->ev_next + 1) { /* overwritten already */
				r->ev_dropped++;
				r->ev_next++;
				continue;
			}
			break; /* still being written */
		}
		struct fr_inj_event e;
		memset(&e, 0, sizeof(e));
		e.t = rel(r, ev->time_ns);
		e.pid = ev->pid;
		e.op = ev->op;
		e.action = ev->action;
		e.err = ev->err;
		memcpy(e.where, ev->where, sizeof(e.where) - 1);
		e.fault = -1;
		for (size_t i = 0; i < r->s->nfaults; i++)
			if (r->slot[i] == (int)ev->rule)
				e.fault = (int)i;
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&ev->seq, memory_order_relaxed) != seq) {
			r->ev_dropped++;
			r->ev_next++;
			continue;
		}
		r->ev_next++;
		got++;
		if (r->ninj >= INJ_KEEP) { /* the counters stay exact */
			r->ev_dropped++;
			continue;
		}
		if (r->ninj == r->capinj) {
			r->capinj = r->capinj ? r->capinj * 2 : 64;
			r->inj = xrealloc(r->inj, r->capinj * sizeof(*r->inj));
		}
		r->inj[r->ninj++] = e;
	}
	return got;
}

/* ---- checks ------------------------------------------------------------ */

static bool status_ok(const struct fr_status_set *st, long status)
{
	for (unsigned i = 0; i < st->n; i++)
		if (status >= st->r[i].lo && status <= st->r[i].hi)
			return true;
	return false;
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

static void sample_finish(struct sample *sm, bool ok, bool answered,
			  bool timeout, int status, const char *detail)
{
	struct checker *ck = sm->ck;
	struct run *r = ck->r;
	struct fr_sample smp;

	memset(&smp, 0, sizeof(smp));
	smp.t = rel(r, sm->start);
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

static void http_sample_done(void *arg, const struct fr_http_result *res)
{
	struct sample *sm = arg;
	struct checker *ck = sm->ck;
	bool ok = res->answered && status_ok(&ck->c->http.status, res->status);
	char detail[256];

	snprintf(detail, sizeof(detail), "%s", res->detail);
	if (ok && ck->body_re_ok && regexec(&ck->body_re, res->body, 0, NULL, 0)) {
		ok = false;
		snprintf(detail, sizeof(detail), "HTTP %ld, body does not match '%s'",
			 res->status, ck->c->http.body_match.val);
	}
	sm->x = NULL;
	sample_finish(sm, ok, res->answered, res->timeout,
		      res->status ? (int)res->status : -1, detail);
}

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

static void sample_timeout(struct fr_timer *t)
{
	struct sample *sm = t->arg;
	struct checker *ck = sm->ck;
	char d[64], detail[96];

	fr_fmt_duration(d, sizeof(d), ck->timeout);
	snprintf(detail, sizeof(detail), "timeout after %s", d);
	if (sm->fd >= 0) {
		tcp_close(sm);
		sample_finish(sm, false, false, true, -1, detail);
	} else if (sm->child.pid > 0) {
		/* the exit handler reports it */
		sm->timed_out = true;
		fr_child_killpg(&sm->child, SIGKILL);
	} else if (sm->my) {
		fr_mysql_op_cancel(sm->my);
		sm->my = NULL;
		sample_finish(sm, false, false, true, -1, detail);
	}
}

static void tcp_start(struct sample *sm)
{
	struct checker *ck = sm->ck;
	struct run *r = ck->r;
	const char *hp = ck->c->tcp.val;
	const char *colon = strrchr(hp, ':');
	char host[256], port[16];
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV }, *ai = NULL;
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
		snprintf(detail, sizeof(detail), "killed by %s",
			 fr_signal_name(WTERMSIG(status)));
	}
	sample_finish(sm, code == ck->c->exec.status, WIFEXITED(status), false,
		      code, detail);
}

static char **build_argv(const struct fr_cmd *cmd)
{
	char **argv;

	if (cmd->shell) {
		argv = xcalloc(4, sizeof(char *));
		argv[0] = "/bin/sh";
		argv[1] = "-c";
		argv[2] = (char *)cmd->argv[0].val;
		return argv;
	}
	argv = xcalloc(cmd->argc + 1, sizeof(char *));
	for (size_t i = 0; i < cmd->argc; i++)
		argv[i] = (char *)cmd->argv[i].val;
	return argv;
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
	};
	int ret = fr_child_spawn(r->loop, &sm->child, &sp, exec_exited, sm, err,
				 sizeof(err));
	close(p[1]);
	if (ret < 0) {
		close(p[0]);
		sample_finish(sm, false, false, false, -1,
			      strncmp(err, "faultrun: ", 10) == 0 ? err + 10 : err);
		return;
	}
	sm->pipefd = p[0];
	fr_watch_init(&sm->pw, exec_readable, sm);
	fr_watch_start(r->loop, &sm->pw, sm->pipefd, EPOLLIN);
	fr_timer_start(r->loop, &sm->tmo, sm->start + ck->timeout);
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
		while ((nl = memchr(line, '\n', ck->log_partial.len -
						    (size_t)(line - ck->log_partial.p)))) {
			*nl = 0;
			if (!hit && ck->log_re_ok &&
			    regexec(&ck->log_re, line, 0, NULL, 0) == 0)
				hit = xstrdup(line);
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
			ck->log_seen_line = xstrdup(hit);
		}
		sample_finish(sm, ck->log_seen, true, false, -1,
			      ck->log_seen ? ck->log_seen_line : "not seen yet");
	}
	free(hit);
}

static void target_sample(struct sample *sm)
{
	struct checker *ck = sm->ck;
	struct target *tg = &ck->r->tg;
	char detail[96];
	bool ok;

	if (tg->running) {
		ok = ck->c->target == FR_TARGET_ALIVE || tg->ready;
		snprintf(detail, sizeof(detail), "%s (pid %d)",
			 tg->ready ? "ready" : "running", (int)tg->child.pid);
	} else {
		ok = false;
		snprintf(detail, sizeof(detail), "%s", tg->gave_up ? "down (gave up)" :
			 fr_timer_armed(&tg->restart_timer) ? "down (restarting)" :
			 "down");
	}
	sample_finish(sm, ok, true, false, -1, detail);
}

static void mysql_sample_done(void *arg, const struct fr_mysql_result *res)
{
	struct sample *sm = arg;
	struct checker *ck = sm->ck;
	bool ok = res->ok;
	char detail[256];

	snprintf(detail, sizeof(detail), "%s", res->detail);
	if (ok && ck->c->mysql.expect.raw &&
	    strcmp(res->first_value ? res->first_value : "NULL",
		   ck->c->mysql.expect.val)) {
		ok = false;
		snprintf(detail, sizeof(detail), "got '%s', expected '%s'",
			 res->first_value ? res->first_value : "NULL",
			 ck->c->mysql.expect.val);
	}
	fr_mysql_op_cancel(sm->my); /* done with it (safe inside its callback) */
	sm->my = NULL;
	sample_finish(sm, ok, res->answered, res->timeout, -1, detail);
}

static int mysql_params(struct run *r, const struct fr_mysql_conn *c,
			struct fr_mysql_params *p);
static const char *service_value(void *opaque, const char *svc,
				 const char *field);

static void mysql_start(struct sample *sm)
{
	struct checker *ck = sm->ck;
	struct run *r = ck->r;
	struct fr_mysql_params p;

	if (mysql_params(r, &ck->c->mysql.conn, &p) < 0) {
		sample_finish(sm, false, false, false, -1, "no database address");
		return;
	}
	if (!p.read_timeout_ms || p.read_timeout_ms > ck->timeout / 1000000)
		p.read_timeout_ms = (unsigned)(ck->timeout / 1000000);
	sm->my = fr_mysql_query(r->loop, &p, ck->c->mysql.query.val,
				mysql_sample_done, sm);
	if (!sm->my) {
		sample_finish(sm, false, false, false, -1, "cannot start a MySQL client");
		return;
	}
	fr_timer_start(r->loop, &sm->tmo, sm->start + ck->timeout);
}

/* Start one sample of a check; its result goes to ck->done. */
static void check_sample(struct checker *ck)
{
	struct run *r = ck->r;
	struct sample *sm;

	if (ck->n >= MAX_INFLIGHT)
		return;
	sm = xcalloc(1, sizeof(*sm));
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
	switch (ck->c->kind) {
	case FR_CHECK_HTTP: {
		const struct fr_http *h = &ck->c->http;
		sm->x = fr_http_send(r->http, h->method.raw ? h->method.val : NULL,
				     h->url.val, ck->headers, ck->nheaders,
				     h->body.raw ? h->body.val : NULL, ck->timeout,
				     http_sample_done, sm);
		if (!sm->x)
			sample_finish(sm, false, false, false, -1,
				      "cannot start an HTTP request");
		break;
	}
	case FR_CHECK_TCP:
		tcp_start(sm);
		break;
	case FR_CHECK_EXEC:
		exec_start(sm);
		break;
	case FR_CHECK_LOG:
		log_sample(sm);
		break;
	case FR_CHECK_TARGET:
		target_sample(sm);
		break;
	case FR_CHECK_MYSQL:
		mysql_start(sm);
		break;
	default:
		sample_finish(sm, false, false, false, -1, "unknown check");
	}
}

/* Abort every sample in flight without recording it. */
static void check_cancel_all(struct checker *ck)
{
	struct run *r = ck->r;

	while (ck->inflight) {
		struct sample *sm = ck->inflight;
		if (sm->x)
			fr_http_cancel(r->http, sm->x);
		if (sm->fd >= 0)
			tcp_close(sm);
		if (sm->child.pid > 0)
			fr_child_abandon(r->loop, &sm->child);
		if (sm->pipefd >= 0) {
			fr_watch_stop(r->loop, &sm->pw);
			close(sm->pipefd);
		}
		if (sm->my)
			fr_mysql_op_cancel(sm->my);
		fr_timer_stop(r->loop, &sm->tmo);
		sample_unlink(sm);
		free(sm);
	}
}

static const char **build_headers(const struct fr_http *h, size_t *n)
{
	const char **v = xcalloc(h->nheaders + 1, sizeof(char *));

	for (size_t i = 0; i < h->nheaders; i++) {
		char *s = NULL;
		if (asprintf(&s, "%s: %s", h->headers[i].key, h->headers[i].value.val) < 0)
			abort();
		v[i] = s;
	}
	*n = h->nheaders;
	return v;
}

static void free_headers(const char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free((char *)v[i]);
	free(v);
}

static void checker_init(struct run *r, struct checker *ck,
			 const struct fr_check *c, uint64_t timeout,
			 check_done_fn done, void *owner)
{
	memset(ck, 0, sizeof(*ck));
	ck->r = r;
	ck->c = c;
	ck->timeout = timeout;
	ck->done = done;
	ck->owner = owner;
	switch (c->kind) {
	case FR_CHECK_HTTP:
		ck->headers = build_headers(&c->http, &ck->nheaders);
		if (c->http.body_match.raw)
			ck->body_re_ok = regcomp(&ck->body_re, c->http.body_match.val,
						 REG_EXTENDED | REG_NOSUB) == 0;
		break;
	case FR_CHECK_EXEC:
		ck->argv = build_argv(&c->exec.cmd);
		break;
	case FR_CHECK_LOG:
		ck->log_re_ok = regcomp(&ck->log_re, c->log.pattern.val,
					REG_EXTENDED | REG_NOSUB) == 0;
		if (c->log.file.raw) {
			ck->log_path = c->log.file.val;
		} else {
			char *p = NULL;
			if (asprintf(&p, "%s/target.log", r->run_dir) < 0)
				abort();
			ck->log_path = p; /* freed in checker_finish */
		}
		break;
	default:
		break;
	}
}

static void checker_finish(struct checker *ck)
{
	if (!ck->r)
		return;
	check_cancel_all(ck);
	free_headers(ck->headers, ck->nheaders);
	if (ck->body_re_ok)
		regfree(&ck->body_re);
	if (ck->log_re_ok)
		regfree(&ck->log_re);
	if (ck->c->kind == FR_CHECK_LOG && !ck->c->log.file.raw)
		free((char *)ck->log_path);
	free(ck->log_seen_line);
	fr_buf_free(&ck->log_partial);
	free(ck->argv);
	ck->r = NULL;
}

/* ---- phases (forward) -------------------------------------------------- */

static void begin_drain(struct run *r);
static void begin_stop(struct run *r);
static void run_error(struct run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void target_start(struct run *r, bool restart);
static void start_ready_polling(struct run *r);
static void maybe_drained(struct run *r);

static void run_error(struct run *r, const char *fmt, ...)
{
	va_list ap;

	if (r->verdict == FR_PASS) {
		va_start(ap, fmt);
		vsnprintf(r->error, sizeof(r->error), fmt, ap);
		va_end(ap);
		r->verdict = FR_ERROR;
	}
	if (r->phase < PH_DRAINING)
		begin_drain(r);
}

/* ---- probes ------------------------------------------------------------ */

static void probe_done(struct checker *ck, const struct fr_sample *smp,
		       const char *detail)
{
	struct probe *p = ck->owner;
	struct run *r = p->r;
	struct fr_series *ser = &r->series[p->series];
	struct fr_sample *v = fr_series_add(ser, smp, detail);
	int state = v->ok ? 1 : 0;

	if (p->state != state) {
		int was = p->state;
		p->state = state; /* before say(): it redraws the status line */
		if (p->p->lb.on)
			say(r, "%s: backend %s rotation (%s)", p->p->name,
			    state ? "back in" : "out of", detail ? detail : "");
		else if (was >= 0 || !state)
			say(r, "%s: %s (%s)", p->p->name, state ? "ok again" : "turned red",
			    detail ? detail : "");
	}
	maybe_drained(r);
}

static void probe_tick(struct fr_timer *t)
{
	struct probe *p = t->arg;
	struct run *r = p->r;

	if (r->phase != PH_RUNNING)
		return;
	check_sample(&p->ck);
	p->next_at += p->p->interval_ns;
	uint64_t now = fr_loop_now(r->loop);
	if (p->next_at <= now) /* fell behind (a stopped process?): skip ahead */
		p->next_at = now + p->p->interval_ns -
			     (now - p->next_at) % p->p->interval_ns;
	fr_timer_start(r->loop, &p->tick, p->next_at);
}

/* ---- load and requests ------------------------------------------------- */

static void req_done(void *arg, const struct fr_http_result *res)
{
	struct req *q = arg;
	struct run *r = q->r;
	struct fr_sample smp;
	char detail[256];
	bool ok = res->answered && status_ok(&q->h->status, res->status);

	snprintf(detail, sizeof(detail), "%s", res->detail);
	if (ok && q->body_re && regexec(q->body_re, res->body, 0, NULL, 0)) {
		ok = false;
		snprintf(detail, sizeof(detail), "HTTP %ld, body does not match",
			 res->status);
	}
	memset(&smp, 0, sizeof(smp));
	smp.t = rel(r, res->start_ns);
	smp.latency = res->latency_ns;
	smp.ok = ok;
	smp.answered = res->answered;
	smp.timeout = res->timeout;
	smp.status = res->status ? (int)res->status : -1;
	fr_series_add(&r->series[q->series], &smp, detail);
	if (q->st) {
		struct step_state *st = q->st;
		st->done++;
		r->step_busy--;
		if (st->sent < st->step->req.count && r->phase == PH_RUNNING) {
			st->sent++;
			r->step_busy++;
			struct req *nq = xcalloc(1, sizeof(*nq));
			*nq = *q;
			if (!fr_http_send(r->http, q->h->method.raw ? q->h->method.val : NULL,
					  q->h->url.val, q->headers, q->nheaders,
					  q->h->body.raw ? q->h->body.val : NULL,
					  q->timeout, req_done, nq)) {
				free(nq);
				r->step_busy--;
			}
		}
		if (st->done == st->sent)
			tl_detail(r, st->idx, "%u x %s %s: %u answered", st->done,
				  q->h->method.raw ? q->h->method.val :
				  q->h->body.raw ? "POST" : "GET",
				  q->h->url.val, st->done);
	} else {
		r->load_inflight--;
	}
	free(q);
	maybe_drained(r);
}

static void load_tick(struct fr_timer *t)
{
	struct run *r = t->arg;
	const struct fr_load *ld = &r->s->load;

	if (r->phase != PH_RUNNING)
		return;
	if (r->load_inflight < ld->max_in_flight) {
		struct req *q = xcalloc(1, sizeof(*q));
		*q = r->load_req;
		if (fr_http_send(r->http, ld->http.method.raw ? ld->http.method.val : NULL,
				 ld->http.url.val, q->headers, q->nheaders,
				 ld->http.body.raw ? ld->http.body.val : NULL,
				 ld->timeout_ns, req_done, q))
			r->load_inflight++;
		else
			free(q);
	} else {
		/* the service is too slow to keep up: that is a failed request */
		struct fr_sample smp = { .t = rel_now(r), .latency = 0, .status = -1 };
		fr_series_add(&r->series[r->load_req.series], &smp,
			      "not sent: max-in-flight requests pending");
	}
	r->load_next += r->load_period;
	uint64_t now = fr_loop_now(r->loop);
	if (r->load_next + 1000000000ull < now)
		r->load_next = now;
	fr_timer_start(r->loop, &r->load_tick, r->load_next);
}

/* ---- faults ------------------------------------------------------------ */

static void fault_set(struct run *r, int f, bool armed)
{
	struct fr_fault_facts *ff = &r->ff[f];

	if (r->armed[f] == armed)
		return;
	if (r->slot[f] >= 0)
		fr_ctl_set_armed(r->ctl, (unsigned)r->slot[f], armed);
	r->armed[f] = armed;
	if (armed) {
		ff->win = xrealloc(ff->win, (ff->nwin + 1) * sizeof(*ff->win));
		ff->win[ff->nwin].start = rel_now(r);
		ff->win[ff->nwin].end = INT64_MAX;
		ff->win[ff->nwin].cleared = false;
		ff->nwin++;
	} else {
		ff->win[ff->nwin - 1].end = rel_now(r);
	}
}

/* ---- timeline ---------------------------------------------------------- */

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
		tl_detail(r, st->idx, "killed after its timeout (%s)", d);
		say(r, "run: command killed after its timeout (%s)", d);
	} else if (WIFEXITED(status)) {
		tl_detail(r, st->idx, "exit %d", WEXITSTATUS(status));
		if (WEXITSTATUS(status))
			say(r, "run: command exited with status %d", WEXITSTATUS(status));
	} else {
		tl_detail(r, st->idx, "killed by %s", fr_signal_name(WTERMSIG(status)));
	}
	maybe_drained(r);
}

static void run_step_timeout(struct fr_timer *t)
{
	struct step_state *st = t->arg;

	st->timed_out = true;
	fr_child_killpg(&st->child, SIGKILL);
}

static void mysql_step_done(void *arg, const struct fr_mysql_result *res)
{
	struct step_state *st = arg;
	struct run *r = st->r;

	/* st->my stays: hold and lock keep their connections until the end */
	st->running = false;
	r->step_busy--;
	tl_detail(r, st->idx, "%s", res->detail);
	if (!res->ok)
		say(r, "mysql: %s", res->detail);
	maybe_drained(r);
}

static void exec_step(struct run *r, size_t i)
{
	const struct fr_step *step = &r->s->steps[i];
	struct step_state *st = &r->steps[i];
	struct target *tg = &r->tg;
	char err[512];

	st->r = r;
	st->step = step;
	switch (step->kind) {
	case FR_STEP_INJECT:
		fault_set(r, step->fault, true);
		tl_add(r, step, NULL);
		say(r, "inject %s", r->s->faults[step->fault].name);
		break;
	case FR_STEP_CLEAR:
		fault_set(r, step->fault, false);
		r->ff[step->fault].win[r->ff[step->fault].nwin - 1].cleared = true;
		tl_add(r, step, NULL);
		say(r, "clear %s", r->s->faults[step->fault].name);
		break;
	case FR_STEP_REQUEST: {
		const struct fr_http *h = &step->req.http;
		st->idx = tl_add(r, step, NULL);
		tl_detail(r, st->idx, "%u x %s %s", step->req.count,
			  h->method.raw ? h->method.val : h->body.raw ? "POST" : "GET",
			  h->url.val);
		st->headers = build_headers(h, &st->nheaders);
		if (h->body_match.raw)
			st->body_re_ok = regcomp(&st->body_re, h->body_match.val,
						 REG_EXTENDED | REG_NOSUB) == 0;
		say(r, "request %u x %s", step->req.count, h->url.val);
		for (unsigned k = 0; k < step->req.concurrency; k++) {
			struct req *q = xcalloc(1, sizeof(*q));
			q->r = r;
			q->series = step->req.series;
			q->h = h;
			q->headers = st->headers;
			q->nheaders = st->nheaders;
			q->body_re = st->body_re_ok ? &st->body_re : NULL;
			q->timeout = step->req.timeout_ns;
			q->st = st;
			st->sent++;
			r->step_busy++;
			if (!fr_http_send(r->http, h->method.raw ? h->method.val : NULL,
					  h->url.val, q->headers, q->nheaders,
					  h->body.raw ? h->body.val : NULL, q->timeout,
					  req_done, q)) {
				free(q);
				st->sent--;
				r->step_busy--;
			}
		}
		break;
	}
	case FR_STEP_SIGNAL:
		st->idx = tl_add(r, step, NULL);
		if (tg->running) {
			struct fr_lc_event *e = lc_add(r, "signal", tg->child.pid);
			e->signo = step->signo;
			kill(tg->child.pid, step->signo);
			tl_detail(r, st->idx, "%s to pid %d", fr_signal_name(step->signo),
				  (int)tg->child.pid);
			say(r, "signal %s to the target", fr_signal_name(step->signo));
		} else {
			tl_detail(r, st->idx, "the target is not running");
		}
		break;
	case FR_STEP_RESTART:
		st->idx = tl_add(r, step, NULL);
		say(r, "restart the target");
		if (tg->running) {
			tg->stopping = true;
			tg->restart_after_stop = true;
			struct fr_lc_event *e = lc_add(r, "stop", tg->child.pid);
			e->signo = r->s->target.stop_signal;
			kill(tg->child.pid, r->s->target.stop_signal);
			fr_timer_start(r->loop, &tg->grace_timer,
				       fr_loop_now(r->loop) + r->s->target.grace_ns);
		} else {
			fr_timer_stop(r->loop, &tg->restart_timer);
			target_start(r, false);
		}
		break;
	case FR_STEP_RUN: {
		char **argv = build_argv(&step->run.cmd);
		struct fr_spawn sp = {
			.argv = argv,
			.cwd = tg->cwd,
			.out_fd = tg->out_w,
			.ctl_path = r->ctl_path,
			.seed = r->seed,
		};
		st->idx = tl_add(r, step, NULL);
		say(r, "run %s", step->run.cmd.shell ? step->run.cmd.argv[0].val :
			argv[0]);
		if (fr_child_spawn(r->loop, &st->child, &sp, run_step_exited, st, err,
				   sizeof(err)) < 0) {
			tl_detail(r, st->idx, "%s", err);
			say(r, "%s", err);
		} else {
			st->running = true;
			r->step_busy++;
			fr_timer_init(&st->tmo, run_step_timeout, st);
			fr_timer_start(r->loop, &st->tmo,
				       fr_loop_now(r->loop) + step->run.timeout_ns);
		}
		free(argv);
		break;
	}
	case FR_STEP_MYSQL: {
		struct fr_mysql_params p;
		st->idx = tl_add(r, step, NULL);
		if (mysql_params(r, &step->mysql.conn, &p) < 0) {
			tl_detail(r, st->idx, "no database address");
			break;
		}
		if (step->mysql.op == FR_MYSQL_KILL && step->mysql.conn.service &&
		    !step->mysql.conn.user.raw) {
			/* killing another account's connections needs the admin */
			p.user = service_value(r, step->mysql.conn.service, "admin_user");
			p.password = service_value(r, step->mysql.conn.service,
						   "admin_password");
		}
		struct fr_mysql_action a = {
			.op = (int)step->mysql.op,
			.sql = step->mysql.sql.raw ? step->mysql.sql.val : NULL,
			.connections = step->mysql.connections,
			.for_ns = step->mysql.for_ns,
			.kill_user = step->mysql.kill_user.raw ?
				     step->mysql.kill_user.val : NULL,
		};
		if (a.kill_user && strcmp(a.kill_user, "target") == 0)
			a.kill_user = p.target_user;
		st->my = fr_mysql_action(r->loop, &p, &a, mysql_step_done, st);
		if (st->my) {
			st->running = true;
			r->step_busy++;
			say(r, "mysql %s", step->mysql.op == FR_MYSQL_HOLD ? "hold" :
			    step->mysql.op == FR_MYSQL_LOCK ? "lock" :
			    step->mysql.op == FR_MYSQL_KILL ? "kill" : "sql");
		} else {
			tl_detail(r, st->idx, "cannot start a MySQL client");
		}
		break;
	}
	case FR_STEP_END:
		tl_add(r, step, NULL);
		say(r, "end");
		begin_drain(r);
		break;
	default:
		break;
	}
}

static void step_tick(struct fr_timer *t)
{
	struct run *r = t->arg;
	uint64_t now = fr_loop_now(r->loop);

	while (r->phase == PH_RUNNING && r->next_step < r->s->nsteps &&
	       r->t0 + r->s->steps[r->next_step].at_ns <= now)
		exec_step(r, r->next_step++);
	if (r->phase == PH_RUNNING && r->next_step < r->s->nsteps)
		fr_timer_start(r->loop, &r->step_timer,
			       r->t0 + r->s->steps[r->next_step].at_ns);
}

static void end_tick(struct fr_timer *t)
{
	struct run *r = t->arg;

	if (r->phase == PH_RUNNING) {
		say(r, "end");
		begin_drain(r);
	}
}

static void poll_tick(struct fr_timer *t)
{
	struct run *r = t->arg;
	uint64_t now = fr_loop_now(r->loop);
	/* the ring holds 256: when a quarter came in, look again soon */
	uint64_t next = read_events(r) >= FR_CTL_EVENTS / 4 ? 10000000ull : POLL_NS;

	if (r->o->tty && now - r->last_status >= POLL_NS) {
		status_draw(r);
		r->last_status = now;
	}
	if (r->phase < PH_DONE)
		fr_timer_start(r->loop, &r->poll_timer, now + next);
}

/* ---- the target -------------------------------------------------------- */

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
	tg->tail[i] = xstrdup(line);
	if (strlen(tg->tail[i]) > 300)
		tg->tail[i][300] = 0;
}

static void target_output(struct fr_watch *w, uint32_t events)
{
	struct run *r = w->arg;
	struct target *tg = &r->tg;
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
		while ((nl = memchr(line, '\n', tg->partial.len -
						    (size_t)(line - tg->partial.p)))) {
			*nl = 0;
			tail_add(tg, line);
			if (r->o->verbosity >= 2)
				say(r, "target: %s", line);
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
static void tail_text(struct target *tg, char *buf, size_t len, size_t lines)
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
	struct run *r = t->arg;

	if (r->phase == PH_RUNNING)
		target_start(r, true);
}

static void target_grace_tick(struct fr_timer *t)
{
	struct run *r = t->arg;
	struct target *tg = &r->tg;

	if (!tg->running)
		return;
	struct fr_lc_event *e = lc_add(r, "stop", tg->child.pid);
	e->signo = SIGKILL;
	say(r, "the target did not stop within its grace period: SIGKILL");
	fr_child_killpg(&tg->child, SIGKILL);
}

static void teardown_continue(struct run *r);

static void target_exited(struct fr_child *c, int status)
{
	struct run *r = c->arg;
	struct target *tg = &r->tg;
	struct fr_lc_event *e = lc_add(r, "exit", 0);
	bool expected = tg->stopping;
	char tail[2048];

	e->pid = (int)tg->pid;
	if (WIFEXITED(status)) {
		e->status = WEXITSTATUS(status);
	} else {
		e->signo = WTERMSIG(status);
	}
	e->expected = expected;
	tg->running = false;
	tg->ready = false;
	tg->stopping = false;
	fr_timer_stop(r->loop, &tg->grace_timer);
	target_output(&tg->out_watch, 0);

	char how[64];
	if (WIFEXITED(status))
		snprintf(how, sizeof(how), "status %d", WEXITSTATUS(status));
	else
		snprintf(how, sizeof(how), "%s", fr_signal_name(WTERMSIG(status)));

	if (r->phase == PH_STARTING) {
		tail_text(tg, tail, sizeof(tail), 10);
		run_error(r, "the target exited (%s) before it was ready%s%s", how,
			  tail[0] ? "; its last output:" : "", tail);
		return;
	}
	if (r->phase >= PH_STOPPING) {
		teardown_continue(r);
		return;
	}
	if (expected) {
		say(r, "the target stopped (%s)", how);
		if (tg->restart_after_stop) {
			tg->restart_after_stop = false;
			target_start(r, false);
		}
		return;
	}
	tg->exits++;
	say(r, "the target exited (%s)", how);
	const struct fr_target *t = &r->s->target;
	bool failed = !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	if (t->restart == FR_RESTART_NEVER ||
	    (t->restart == FR_RESTART_ON_FAILURE && !failed))
		return;
	if (t->restart_limit && tg->restarts >= t->restart_limit) {
		tg->gave_up = true;
		lc_add(r, "give-up", 0);
		say(r, "restart limit (%u) reached: the target stays down",
		    t->restart_limit);
		return;
	}
	uint64_t delay = t->backoff_ns;
	for (unsigned k = 0; k < tg->restarts && delay < t->max_backoff_ns; k++)
		delay *= 2;
	if (delay > t->max_backoff_ns)
		delay = t->max_backoff_ns;
	fr_timer_start(r->loop, &tg->restart_timer, fr_loop_now(r->loop) + delay);
}

static void target_start(struct run *r, bool restart)
{
	struct target *tg = &r->tg;
	char err[512];

	struct fr_spawn sp = {
		.argv = tg->argv,
		.env = tg->env,
		.nenv = tg->nenv,
		.cwd = tg->cwd,
		.out_fd = tg->out_w,
		.shim = tg->shim,
		.ctl_path = r->ctl_path,
		.seed = r->seed,
	};
	if (fr_child_spawn(r->loop, &tg->child, &sp, target_exited, r, err,
			   sizeof(err)) < 0) {
		if (r->phase <= PH_STARTING) {
			run_error(r, "%s", err);
		} else {
			lc_add(r, "not-ready", 0)->detail = xstrdup(err);
			say(r, "%s", err);
		}
		return;
	}
	tg->running = true;
	tg->ready = false;
	tg->pid = tg->child.pid;
	if (restart)
		tg->restarts++;
	struct fr_lc_event *e = lc_add(r, "start", tg->child.pid);
	e->attempt = (int)tg->starts;
	tg->starts++;
	if (tg->starts > 1)
		say(r, "the target %s (pid %d)", restart ? "restarted" : "started again",
		    (int)tg->child.pid);
	if (r->phase == PH_RUNNING) {
		if (r->s->target.ready.present) {
			start_ready_polling(r);
		} else {
			/* without a readiness check, started is ready */
			tg->ready = true;
			lc_add(r, "ready", tg->child.pid);
		}
	}
}

/* ---- readiness --------------------------------------------------------- */

static void on_ready(struct run *r);

static void ready_done(struct checker *ck, const struct fr_sample *smp,
		       const char *detail)
{
	struct run *r = ck->r;

	snprintf(r->ready_last, sizeof(r->ready_last), "%s", detail ? detail : "");
	if (!r->ready_polling || !smp->ok || !r->tg.running)
		return;
	r->ready_polling = false;
	fr_timer_stop(r->loop, &r->ready_tick);
	fr_timer_stop(r->loop, &r->ready_deadline);
	r->tg.ready = true;
	lc_add(r, "ready", r->tg.child.pid);
	if (r->phase == PH_STARTING)
		on_ready(r);
	else
		say(r, "the target is ready again");
	check_cancel_all(ck);
}

static void ready_tick(struct fr_timer *t)
{
	struct run *r = t->arg;

	if (!r->ready_polling)
		return;
	if (!r->ready_ck.n)
		check_sample(&r->ready_ck);
	if (r->ready_polling)
		fr_timer_start(r->loop, &r->ready_tick,
			       fr_loop_now(r->loop) + r->s->target.ready.interval_ns);
}

static void ready_deadline(struct fr_timer *t)
{
	struct run *r = t->arg;
	char d[32], tail[2048];

	if (!r->ready_polling)
		return;
	r->ready_polling = false;
	fr_timer_stop(r->loop, &r->ready_tick);
	check_cancel_all(&r->ready_ck);
	fr_fmt_duration(d, sizeof(d), r->s->target.ready.deadline_ns);
	if (r->phase == PH_STARTING) {
		tail_text(&r->tg, tail, sizeof(tail), 10);
		run_error(r, "the target was not ready within %s (last check: %s)%s%s",
			  d, r->ready_last[0] ? r->ready_last : "none finished",
			  tail[0] ? "; its last output:" : "", tail);
	} else {
		struct fr_lc_event *e = lc_add(r, "not-ready", r->tg.child.pid);
		char buf[300];
		snprintf(buf, sizeof(buf), "not ready within %s: %s", d, r->ready_last);
		e->detail = xstrdup(buf);
		say(r, "the restarted target was not ready within %s", d);
	}
}

static void start_ready_polling(struct run *r)
{
	struct checker *ck = &r->ready_ck;

	r->ready_polling = true;
	r->ready_last[0] = 0;
	check_cancel_all(ck);
	if (ck->c->kind == FR_CHECK_LOG && r->phase != PH_STARTING) {
		/* a restart: only what the new process writes counts */
		struct stat st;
		ck->log_seen = false;
		ck->log_partial.len = 0;
		if (stat(ck->log_path, &st) == 0)
			ck->log_off = st.st_size;
	}
	fr_timer_start(r->loop, &r->ready_tick, fr_loop_now(r->loop));
	fr_timer_start(r->loop, &r->ready_deadline,
		       fr_loop_now(r->loop) + r->s->target.ready.deadline_ns);
}

/* t = 0: the timeline, the probes and the load start. */
static void on_ready(struct run *r)
{
	uint64_t now = fr_loop_now(r->loop);

	r->t0 = now;
	r->t0_wall = wall_now();
	r->phase = PH_RUNNING;
	r->tg.ready = true;
	/* the start and ready events were timed against the run start */
	for (size_t i = 0; i < r->nlc; i++)
		r->lc[i].t -= (int64_t)(r->t0 - r->run_start);
	if (!r->s->target.ready.present)
		lc_add(r, "ready", r->tg.child.pid);
	/* readiness is t = 0 by definition */
	for (size_t i = r->nlc; i-- > 0;)
		if (!strcmp(r->lc[i].event, "ready")) {
			r->lc[i].t = 0;
			break;
		}
	say(r, "ready after %.2fs; the timeline starts", (double)(now - r->run_start) / 1e9);
	for (size_t i = 0; i < r->s->nprobes; i++) {
		struct probe *p = &r->probes[i];
		p->next_at = now;
		fr_timer_start(r->loop, &p->tick, now);
	}
	if (r->s->load.present) {
		r->load_next = now;
		fr_timer_start(r->loop, &r->load_tick, now);
	}
	if (r->s->nsteps)
		fr_timer_start(r->loop, &r->step_timer, now + r->s->steps[0].at_ns);
	fr_timer_start(r->loop, &r->end_timer, now + r->s->duration_ns);
}

/* ---- teardown ---------------------------------------------------------- */

static unsigned inflight(struct run *r)
{
	unsigned n = r->load_inflight + r->step_busy;

	for (size_t i = 0; i < r->s->nprobes; i++)
		n += r->probes[i].ck.n;
	return n;
}

static void maybe_drained(struct run *r)
{
	if (r->phase == PH_DRAINING && !inflight(r))
		begin_stop(r);
}

static void drain_timeout(struct fr_timer *t)
{
	struct run *r = t->arg;

	if (r->phase == PH_DRAINING)
		begin_stop(r);
}

/* No new samples; let those in flight finish (up to their timeouts). */
static void begin_drain(struct run *r)
{
	if (r->phase >= PH_DRAINING)
		return;
	bool started = r->phase == PH_RUNNING;
	if (r->t0)
		r->end_rel = rel_now(r);
	r->phase = PH_DRAINING;
	r->ready_polling = false;
	fr_timer_stop(r->loop, &r->ready_tick);
	fr_timer_stop(r->loop, &r->ready_deadline);
	check_cancel_all(&r->ready_ck);
	fr_timer_stop(r->loop, &r->end_timer);
	fr_timer_stop(r->loop, &r->step_timer);
	fr_timer_stop(r->loop, &r->load_tick);
	for (size_t i = 0; i < r->s->nprobes; i++)
		fr_timer_stop(r->loop, &r->probes[i].tick);
	if (!started || r->interrupted) {
		begin_stop(r);
		return;
	}
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
	if (wait > DRAIN_MAX_NS)
		wait = DRAIN_MAX_NS;
	fr_timer_start(r->loop, &r->drain_timer, fr_loop_now(r->loop) + wait);
	maybe_drained(r);
}

/* Disarm every fault, cancel what is left, stop the target. */
static void begin_stop(struct run *r)
{
	struct target *tg = &r->tg;

	if (r->phase >= PH_STOPPING)
		return;
	r->phase = PH_STOPPING;
	fr_timer_stop(r->loop, &r->drain_timer);
	for (size_t i = 0; i < r->s->nfaults; i++)
		if (r->armed[i])
			fault_set(r, (int)i, false);
	for (size_t i = 0; i < r->s->nprobes; i++)
		check_cancel_all(&r->probes[i].ck);
	/* load and requests; we may be inside one of their callbacks */
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
	fr_timer_stop(r->loop, &tg->restart_timer);
	if (tg->running) {
		tg->stopping = true;
		struct fr_lc_event *e = lc_add(r, "stop", tg->child.pid);
		e->signo = r->s->target.stop_signal;
		kill(tg->child.pid, r->s->target.stop_signal);
		fr_timer_start(r->loop, &tg->grace_timer,
			       fr_loop_now(r->loop) +
			       (r->signals > 1 ? 0 : r->s->target.grace_ns));
		return;
	}
	teardown_continue(r);
}

/* The target is gone: sweep its leftovers, read the final counters. */
static void teardown_continue(struct run *r)
{
	if (r->phase == PH_DONE || r->tg.running)
		return;
	if (r->ctl_path[0]) {
		/* and the orphans we adopted as a subreaper (setsid, env -i) */
		for (int pass = 0; pass < 5 && fr_sweep_env(r->ctl_path, SIGKILL) +
						       fr_kill_adopted();
		     pass++) {
			struct timespec ts = { 0, 20 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
	}
	read_events(r);
	r->phase = PH_DONE;
}

/* ---- signals ----------------------------------------------------------- */

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
				snprintf(r->error, sizeof(r->error),
					 "interrupted by %s", fr_signal_name((int)si.ssi_signo));
			}
			say(r, "interrupted by %s: stopping", fr_signal_name((int)si.ssi_signo));
			if (r->phase < PH_DRAINING)
				begin_drain(r);
			else if (r->phase == PH_DRAINING)
				begin_stop(r);
			else if (r->tg.running)
				/* already stopping it: do not wait out its grace */
				fr_timer_start(r->loop, &r->tg.grace_timer,
					       fr_loop_now(r->loop));
		} else if (r->tg.running) {
			/* a second signal: no more grace */
			fr_timer_start(r->loop, &r->tg.grace_timer, fr_loop_now(r->loop));
		}
	}
}

/* ---- setup ------------------------------------------------------------- */

static int free_port(unsigned *out, const unsigned *taken, size_t ntaken)
{
	for (int tries = 0; tries < 50; tries++) {
		struct sockaddr_in a = { .sin_family = AF_INET,
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t len = sizeof(a);
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
		    getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
			int e = errno;
			close(fd);
			return -e;
		}
		close(fd);
		unsigned p = ntohs(a.sin_port);
		bool dup = false;
		for (size_t i = 0; i < ntaken; i++)
			dup |= taken[i] == p;
		if (!dup) {
			*out = p;
			return 0;
		}
	}
	return -EADDRINUSE;
}

static const char *service_value(void *opaque, const char *svc,
				 const char *field)
{
	struct run *r = opaque;
	static __thread char num[16];

	for (size_t i = 0; i < r->s->nservices; i++) {
		const struct fr_service *sv = &r->s->services[i];
		if (strcmp(sv->name, svc))
			continue;
		if (sv->external) {
			const struct fr_str *f = !strcmp(field, "host") ? &sv->host :
				!strcmp(field, "port") ? &sv->port :
				!strcmp(field, "socket") ? &sv->socket :
				!strcmp(field, "user") || !strcmp(field, "admin_user") ?
					&sv->user :
				!strcmp(field, "password") || !strcmp(field, "admin_password") ?
					&sv->password :
				!strcmp(field, "database") ? &sv->database : NULL;
			if (f && f->raw)
				return f->val;
			if (!strcmp(field, "port") && sv->host.raw)
				return "3306";
			return NULL;
		}
		struct fr_mariadb *db = r->dbs ? r->dbs[i] : NULL;
		if (!db)
			return NULL;
		if (!strcmp(field, "host"))
			return fr_mariadb_host(db);
		if (!strcmp(field, "port")) {
			snprintf(num, sizeof(num), "%u", fr_mariadb_port(db));
			return num;
		}
		if (!strcmp(field, "socket"))
			return fr_mariadb_socket(db);
		if (!strcmp(field, "user"))
			return fr_mariadb_user(db);
		if (!strcmp(field, "password"))
			return fr_mariadb_password(db);
		if (!strcmp(field, "database"))
			return fr_mariadb_database(db);
		if (!strcmp(field, "admin_user"))
			return fr_mariadb_admin_user(db);
		if (!strcmp(field, "admin_password"))
			return fr_mariadb_admin_password(db);
	}
	return NULL;
}

/* Where a mysql probe/action connects: its service, overridden by fields. */
static int mysql_params(struct run *r, const struct fr_mysql_conn *c,
			struct fr_mysql_params *p)
{
	memset(p, 0, sizeof(*p));
	if (c->service) {
		p->host = service_value(r, c->service, "host");
		const char *port = service_value(r, c->service, "port");
		p->port = port ? (unsigned)atoi(port) : 0;
		p->socket = service_value(r, c->service, "socket");
		p->user = service_value(r, c->service, c->admin ? "admin_user" : "user");
		p->password = service_value(r, c->service,
					    c->admin ? "admin_password" : "password");
		p->database = service_value(r, c->service, "database");
		p->target_user = service_value(r, c->service, "user");
		/* the embedded server: prefer TCP, as a target would */
		if (p->host)
			p->socket = NULL;
	}
	if (c->host.raw) {
		p->host = c->host.val;
		p->socket = NULL;
	}
	if (c->port.raw)
		p->port = (unsigned)atoi(c->port.val);
	if (c->socket.raw) {
		p->socket = c->socket.val;
		p->host = NULL;
	}
	if (c->user.raw)
		p->user = c->user.val;
	if (c->password.raw)
		p->password = c->password.val;
	if (c->database.raw)
		p->database = c->database.val;
	if (!p->target_user)
		p->target_user = p->user;
	p->connect_timeout_ms = (unsigned)(c->connect_timeout_ns / 1000000);
	p->read_timeout_ms = (unsigned)(c->read_timeout_ns / 1000000);
	p->write_timeout_ms = (unsigned)(c->write_timeout_ns / 1000000);
	return p->host || p->socket ? 0 : -EINVAL;
}

static bool need_shim(const struct fr_scenario *s)
{
	return s->target.shim;
}

/*
 * Everything before the target starts. Returns 0, or -1 with r->error set
 * (the run could not happen).
 */
static int setup(struct run *r)
{
	struct fr_scenario *s = r->s;
	struct target *tg = &r->tg;
	char err[1024];
	int ret;

	/* the name is free text; the directory's tag is not */
	char tag[41];
	size_t k = 0;
	for (const char *p = s->name; *p && k < sizeof(tag) - 1; p++)
		tag[k++] = (isalnum((unsigned char)*p) || *p == '-' || *p == '_' ||
			    *p == '.') ? *p : '_';
	tag[k] = 0;
	if (!k || tag[0] == '.')
		snprintf(tag, sizeof(tag), "run");
	ret = fr_rundir_create(tag, r->run_dir, sizeof(r->run_dir));
	if (ret < 0) {
		snprintf(r->error, sizeof(r->error), "cannot create a run directory: %s",
			 strerror(-ret));
		return -1;
	}
	r->have_run_dir = true;
	snprintf(r->ctl_path, sizeof(r->ctl_path), "%s/ctl", r->run_dir);
	fr_sentinel_run(r->ctl_path, true);
	/* orphans of the run are adopted by us, not init (fr_kill_adopted) */
	fr_subreaper_start();

	if (s->seed_set) {
		r->seed = s->seed;
	} else {
		if (getrandom(&r->seed, sizeof(r->seed), 0) != sizeof(r->seed))
			r->seed = fr_now_ns() ^ ((uint64_t)getpid() << 32);
		/* exact in a JSON number (2^53) */
		r->seed &= (1ull << 53) - 1;
	}

	r->ports = xcalloc(s->nports + 1, sizeof(unsigned));
	for (size_t i = 0; i < s->nports; i++) {
		ret = free_port(&r->ports[i], r->ports, i);
		if (ret < 0) {
			snprintf(r->error, sizeof(r->error),
				 "cannot find a free loopback port: %s", strerror(-ret));
			return -1;
		}
	}

	r->dbs = xcalloc(s->nservices + 1, sizeof(*r->dbs));
	for (size_t i = 0; i < s->nservices; i++) {
		if (s->services[i].external)
			continue;
		say(r, "starting %s (%s)", s->services[i].name, "mariadb");
		ret = fr_mariadb_start(r->run_dir, &r->dbs[i], err, sizeof(err));
		if (ret < 0) {
			snprintf(r->error, sizeof(r->error), "service '%s': %s",
				 s->services[i].name,
				 strncmp(err, "faultrun: ", 10) == 0 ? err + 10 : err);
			return -1;
		}
		fr_sentinel_group(fr_mariadb_pid(r->dbs[i]), true);
		say(r, "%s is up on port %u (%.2fs%s)", s->services[i].name,
		    fr_mariadb_port(r->dbs[i]), fr_mariadb_start_seconds(r->dbs[i]),
		    fr_mariadb_cache_was_cold(r->dbs[i]) ? ", first run: data "
		    "directory initialised" : "");
	}

	struct fr_runctx ctx = {
		.run_dir = r->run_dir,
		.ports = r->ports,
		.service = service_value,
		.opaque = r,
	};
	ret = fr_scenario_instantiate(s, &ctx, err, sizeof(err));
	if (ret < 0) {
		snprintf(r->error, sizeof(r->error), "%s", err);
		return -1;
	}

	ret = fr_ctl_create(r->ctl_path, r->seed, &r->ctl);
	if (ret < 0) {
		snprintf(r->error, sizeof(r->error), "cannot create '%s': %s",
			 r->ctl_path, strerror(-ret));
		return -1;
	}
	r->slot = xcalloc(s->nfaults + 1, sizeof(int));
	r->armed = xcalloc(s->nfaults + 1, sizeof(bool));
	r->ff = xcalloc(s->nfaults + 1, sizeof(*r->ff));
	r->specs = xcalloc(s->nfaults + 1, sizeof(*r->specs));
	for (size_t i = 0; i < s->nfaults; i++) {
		fr_rule_format(&s->faults[i].rule, r->specs[i], sizeof(r->specs[i]));
		r->slot[i] = fr_ctl_add(r->ctl, &s->faults[i].rule, false);
		if (r->slot[i] < 0) {
			snprintf(r->error, sizeof(r->error), "cannot publish fault '%s': %s",
				 s->faults[i].name, strerror(-r->slot[i]));
			return -1;
		}
	}

	/* the target's command, environment and directory */
	tg->argv = build_argv(&s->target.command);
	tg->nenv = s->target.nenv + 1;
	tg->env = xcalloc(tg->nenv + 1, sizeof(char *));
	for (size_t i = 0; i < s->target.nenv; i++) {
		char *kv = NULL;
		if (asprintf(&kv, "%s=%s", s->target.env[i].key,
			     s->target.env[i].value.val) < 0)
			abort();
		tg->env[i] = kv;
	}
	{
		char *kv = NULL;
		if (asprintf(&kv, "FAULTRUN_RUN_DIR=%s", r->run_dir) < 0)
			abort();
		tg->env[s->target.nenv] = kv;
	}
	tg->cwd = s->target.cwd.raw ? s->target.cwd.val : r->run_dir;
	if (need_shim(s)) {
		char resolved[PATH_MAX];
		const char *shim = fr_shim_path();
		if (!shim || access(shim, R_OK) < 0) {
			snprintf(r->error, sizeof(r->error),
				 "the shim '%s' is missing (build it, or point "
				 "FAULTRUN_SHIM at libfaultshim.so)", shim ? shim : "?");
			return -1;
		}
		tg->shim = shim;
		ret = fr_launch_check(tg->argv[0], resolved, sizeof(resolved), err,
				      sizeof(err));
		if (ret < 0) {
			snprintf(r->error, sizeof(r->error), "%s",
				 strncmp(err, "faultrun: ", 10) == 0 ? err + 10 : err);
			return -1;
		}
	}
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0) {
		snprintf(r->error, sizeof(r->error), "pipe: %s", strerror(errno));
		return -1;
	}
	tg->out_r = fds[0];
	tg->out_w = fds[1];
	fcntl(tg->out_r, F_SETFL, O_NONBLOCK);
	{
		char path[PATH_MAX + 16];
		snprintf(path, sizeof(path), "%s/target.log", r->run_dir);
		tg->log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	}
	fr_watch_init(&tg->out_watch, target_output, r);
	fr_watch_start(r->loop, &tg->out_watch, tg->out_r, EPOLLIN);
	return 0;
}

/* ---- the record and reports -------------------------------------------- */

static void build_record(struct run *r, struct fr_record *rec)
{
	struct fr_scenario *s = r->s;

	memset(rec, 0, sizeof(*rec));
	rec->s = s;
	rec->verdict = r->verdict;
	rec->error = r->error[0] ? r->error : NULL;
	rec->seed = r->seed;
	rec->started_wall = r->t0 ? r->t0_wall : 0;
	rec->invoked_wall = r->invoked_wall;
	rec->setup_ns = r->t0 ? (int64_t)(r->t0 - r->run_start) : 0;
	rec->end_ns = r->t0 ? r->end_rel : 0;
	rec->run_dir = r->o->keep && r->have_run_dir ? r->run_dir : NULL;
	rec->cwd = r->tg.cwd;
	rec->shim = r->tg.shim != NULL;
	rec->series = r->series;
	rec->nseries = r->nseries;
	rec->facts.end = rec->end_ns;
	rec->facts.series = r->series;
	rec->facts.nseries = r->nseries;
	rec->facts.faults = r->ff;
	rec->facts.nfaults = s->nfaults;
	rec->facts.restarts = r->tg.restarts;
	rec->facts.exits = r->tg.exits;
	rec->fault_specs = r->specs;
	rec->lc = r->lc;
	rec->nlc = r->nlc;
	rec->starts = r->tg.starts;
	rec->restarts = r->tg.restarts;
	rec->exits = r->tg.exits;
	rec->tail = xcalloc(TAIL_LINES, sizeof(char *));
	for (size_t k = 0; k < r->tg.ntail; k++)
		rec->tail[k] = r->tg.tail[(r->tg.tail_head + k) % TAIL_LINES];
	rec->ntail = r->tg.ntail;
	rec->tl = r->tl;
	rec->ntl = r->ntl;
	rec->inj = r->inj;
	rec->ninj = r->ninj;
	rec->inj_dropped = r->ev_dropped;
}

static void stop_services(struct run *r)
{
	for (size_t i = 0; r->dbs && i < r->s->nservices; i++)
		if (r->dbs[i]) {
			pid_t pg = fr_mariadb_pid(r->dbs[i]);
			fr_mariadb_stop(r->dbs[i]);
			fr_sentinel_group(pg, false);
			r->dbs[i] = NULL;
		}
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
	int n = snprintf(to, sizeof(to), "%.*s/kept_%s", (int)(slash - r->run_dir),
			 r->run_dir, slash + 1);
	if (n < 0 || (size_t)n >= sizeof(to))
		return;
	for (char *p = to + (slash - r->run_dir) + 1; *p; p++)
		if (*p == '-')
			*p = '_';
	if (rename(r->run_dir, to) == 0)
		snprintf(r->run_dir, sizeof(r->run_dir), "%s", to);
}

static void cleanup(struct run *r)
{
	struct fr_scenario *s = r->s;
	struct target *tg = &r->tg;

	if (tg->child.pid > 0)
		fr_child_abandon(r->loop, &tg->child);
	for (size_t i = 0; r->probes && i < s->nprobes; i++) {
		fr_timer_stop(r->loop, &r->probes[i].tick);
		checker_finish(&r->probes[i].ck);
	}
	checker_finish(&r->ready_ck);
	for (size_t i = 0; r->steps && i < s->nsteps; i++) {
		if (r->steps[i].child.pid > 0)
			fr_child_abandon(r->loop, &r->steps[i].child);
		fr_mysql_op_cancel(r->steps[i].my);
		r->steps[i].my = NULL;
		free_headers(r->steps[i].headers, r->steps[i].nheaders);
		if (r->steps[i].body_re_ok)
			regfree(&r->steps[i].body_re);
	}
	fr_http_client_destroy(r->http);
	r->http = NULL;
	free_headers(r->load_req.headers, r->load_req.nheaders);
	if (r->load_re_ok)
		regfree(&r->load_re);
	fr_watch_stop(r->loop, &tg->out_watch);
	fr_watch_stop(r->loop, &r->sig_watch);
	if (tg->out_r >= 0)
		close(tg->out_r);
	if (tg->out_w >= 0)
		close(tg->out_w);
	if (tg->log_fd >= 0)
		close(tg->log_fd);
	for (size_t i = 0; i < TAIL_LINES; i++)
		free(tg->tail[i]);
	fr_buf_free(&tg->partial);
	free(tg->argv);
	for (size_t i = 0; tg->env && i < tg->nenv; i++)
		free((char *)tg->env[i]);
	free(tg->env);
	stop_services(r);
	free(r->dbs);
	if (r->ctl_path[0] && r->ctl) {
		fr_sweep_env(r->ctl_path, SIGKILL);
		fr_kill_adopted();
		fr_sentinel_run(r->ctl_path, false);
	}
	fr_ctl_close(r->ctl);
	if (r->have_run_dir && !r->o->keep)
		fr_rundir_remove(r->run_dir);
	else if (r->have_run_dir && r->o->progress && r->o->verbosity >= 1)
		fprintf(r->o->progress, "[%s] kept the run directory %s\n", s->name,
			r->run_dir);
	for (size_t i = 0; i < r->nseries; i++)
		fr_series_finish(&r->series[i]);
	free(r->series);
	free(r->probes);
	free(r->steps);
	for (size_t i = 0; i < r->nlc; i++)
		free(r->lc[i].detail);
	free(r->lc);
	for (size_t i = 0; i < r->ntl; i++)
		free(r->tl[i].detail);
	free(r->tl);
	free(r->inj);
	for (size_t i = 0; r->ff && i < s->nfaults; i++)
		free(r->ff[i].win);
	free(r->ff);
	free(r->slot);
	free(r->armed);
	free(r->specs);
	free(r->ports);
	fr_loop_destroy(r->loop);
}

const char *fr_verdict_name(enum fr_verdict_kind v)
{
	switch (v) {
	case FR_PASS:
		return "pass";
	case FR_FAIL:
		return "fail";
	case FR_ERROR:
		return "error";
	case FR_INTERRUPTED:
		return "interrupted";
	}
	return "?";
}

void fr_run_result_free(struct fr_run_result *res)
{
	free(res->json);
	free(res->junit);
	free(res->table);
	memset(res, 0, sizeof(*res));
}

static const char *series_kind(const struct fr_scenario *s,
			       const struct fr_series_def *d)
{
	if (d->kind == FR_SERIES_LOAD)
		return "load";
	if (d->kind == FR_SERIES_REQUEST)
		return "request";
	return fr_check_kind_name(s->probes[d->index].check.kind);
}

static char *series_what(const struct fr_scenario *s,
			 const struct fr_series_def *d)
{
	char *w = NULL;
	const struct fr_check *c;

	if (d->kind == FR_SERIES_LOAD) {
		const struct fr_http *h = &s->load.http;
		if (asprintf(&w, "%s %s at %g/s", h->method.raw ? h->method.val :
			     h->body.raw ? "POST" : "GET", h->url.val, s->load.rate) < 0)
			abort();
		return w;
	}
	if (d->kind == FR_SERIES_REQUEST) {
		for (size_t i = 0; i < s->nsteps; i++)
			if (s->steps[i].kind == FR_STEP_REQUEST &&
			    s->steps[i].req.series == fr_scenario_series(s, d->name)) {
				const struct fr_http *h = &s->steps[i].req.http;
				if (asprintf(&w, "%s %s", h->method.raw ? h->method.val :
					     h->body.raw ? "POST" : "GET", h->url.val) < 0)
					abort();
				return w;
			}
		return xstrdup("requests");
	}
	c = &s->probes[d->index].check;
	switch (c->kind) {
	case FR_CHECK_HTTP:
		if (asprintf(&w, "%s %s", c->http.method.raw ? c->http.method.val :
			     c->http.body.raw ? "POST" : "GET", c->http.url.val) < 0)
			abort();
		break;
	case FR_CHECK_TCP:
		if (asprintf(&w, "connect %s", c->tcp.val) < 0)
			abort();
		break;
	case FR_CHECK_EXEC:
		if (asprintf(&w, "%s", c->exec.cmd.argv[0].val) < 0)
			abort();
		break;
	case FR_CHECK_LOG:
		if (asprintf(&w, "/%s/ %s in %s", c->log.pattern.val,
			     c->log.absent ? "absent" : "seen",
			     c->log.file.raw ? c->log.file.val : "the target's output") < 0)
			abort();
		break;
	case FR_CHECK_TARGET:
		w = xstrdup(c->target == FR_TARGET_ALIVE ? "target alive" :
			    "target ready");
		break;
	case FR_CHECK_MYSQL:
		if (asprintf(&w, "%s", c->mysql.query.val) < 0)
			abort();
		break;
	default:
		w = xstrdup("?");
	}
	return w;
}

int fr_run_scenario(struct fr_scenario *s, const struct fr_run_opts *o,
		    struct fr_run_result *res)
{
	struct run *r = xcalloc(1, sizeof(*r));
	struct fr_record rec;
	int ret = 0;

	memset(res, 0, sizeof(*res));
	r->s = s;
	r->o = o;
	r->verdict = FR_PASS;
	r->invoked_wall = wall_now();
	r->loop = fr_loop_create();
	if (!r->loop) {
		fputs("faultrun: cannot create the event loop\n", stderr);
		abort();
	}
	r->run_start = fr_loop_now(r->loop);
	r->http = fr_http_client_create(r->loop);
	r->tg.out_r = r->tg.out_w = r->tg.log_fd = -1;
	fr_timer_init(&r->tg.restart_timer, target_restart_tick, r);
	fr_timer_init(&r->tg.grace_timer, target_grace_tick, r);
	fr_timer_init(&r->ready_tick, ready_tick, r);
	fr_timer_init(&r->ready_deadline, ready_deadline, r);
	fr_timer_init(&r->step_timer, step_tick, r);
	fr_timer_init(&r->end_timer, end_tick, r);
	fr_timer_init(&r->drain_timer, drain_timeout, r);
	fr_timer_init(&r->poll_timer, poll_tick, r);
	fr_timer_init(&r->load_tick, load_tick, r);
	r->load_tick.prio = 1;
	fr_watch_init(&r->sig_watch, on_signal, r);
	if (o->signal_fd >= 0)
		fr_watch_start(r->loop, &r->sig_watch, o->signal_fd, EPOLLIN);
	fr_sentinel_start();

	/* series: probes, load, requests */
	r->nseries = s->nseries;
	r->series = xcalloc(s->nseries + 1, sizeof(*r->series));
	r->probes = xcalloc(s->nprobes + 1, sizeof(*r->probes));
	r->steps = xcalloc(s->nsteps + 1, sizeof(*r->steps));

	r->phase = PH_SETUP;
	if (setup(r) < 0) {
		r->verdict = FR_ERROR;
		r->phase = PH_DONE;
		goto report;
	}
	for (size_t i = 0; i < s->nseries; i++) {
		const struct fr_series_def *d = &s->series[i];
		const struct fr_probe *p = d->kind == FR_SERIES_PROBE ?
					   &s->probes[d->index] : NULL;
		uint64_t interval = p ? p->interval_ns :
			d->kind == FR_SERIES_LOAD ? (uint64_t)(1e9 / s->load.rate) : 0;
		uint64_t timeout = p ? p->timeout_ns :
			d->kind == FR_SERIES_LOAD ? s->load.timeout_ns : 0;
		if (d->kind == FR_SERIES_REQUEST)
			for (size_t k = 0; k < s->nsteps; k++)
				if (s->steps[k].kind == FR_STEP_REQUEST &&
				    s->steps[k].req.series == (int)i)
					timeout = s->steps[k].req.timeout_ns;
		/* the series owns its "what" via the arena-less strdup below */
		char *what = series_what(s, d);
		fr_series_init(&r->series[i], d->name, series_kind(s, d),
			       fr_arena_strdup(s->arena, what), interval, timeout,
			       p ? &p->lb : NULL);
		free(what);
	}
	for (size_t i = 0; i < s->nprobes; i++) {
		struct probe *p = &r->probes[i];
		p->r = r;
		p->p = &s->probes[i];
		p->series = fr_scenario_series(s, s->probes[i].name);
		p->state = -1;
		fr_timer_init(&p->tick, probe_tick, p);
		/* a fault injected or cleared at the same instant goes first */
		p->tick.prio = 1;
		checker_init(r, &p->ck, &s->probes[i].check, s->probes[i].timeout_ns,
			     probe_done, p);
	}
	if (s->load.present) {
		r->load_req.r = r;
		r->load_req.series = fr_scenario_series(s, "load");
		r->load_req.h = &s->load.http;
		r->load_req.headers = build_headers(&s->load.http,
						    &r->load_req.nheaders);
		if (s->load.http.body_match.raw &&
		    regcomp(&r->load_re, s->load.http.body_match.val,
			    REG_EXTENDED | REG_NOSUB) == 0) {
			r->load_re_ok = true;
			r->load_req.body_re = &r->load_re;
		}
		r->load_req.timeout = s->load.timeout_ns;
		r->load_period = (uint64_t)(1e9 / s->load.rate);
		if (!r->load_period)
			r->load_period = 1;
	}
	if (s->target.ready.present)
		checker_init(r, &r->ready_ck, &s->target.ready.check,
			     s->target.ready.timeout_ns, ready_done, r);

	/* go */
	r->phase = PH_STARTING;
	fr_timer_start(r->loop, &r->poll_timer, fr_loop_now(r->loop) + POLL_NS);
	say(r, "starting %s%s", r->tg.argv[0], r->tg.shim ? " under the shim" : "");
	target_start(r, false);
	if (r->phase == PH_STARTING) {
		if (s->target.ready.present)
			start_ready_polling(r);
		else
			on_ready(r);
	}
	while (r->phase != PH_DONE) {
		int lret = fr_loop_step(r->loop, 250000000ull);
		if (lret < 0) {
			run_error(r, "event loop: %s", strerror(-lret));
			break;
		}
	}
report:
	status_clear(r);
	stop_services(r);
	if (o->keep && r->have_run_dir)
		keep_run_dir(r);
	if (!r->end_rel && r->t0)
		r->end_rel = rel_now(r);
	for (size_t i = 0; i < s->nfaults && r->ff; i++) {
		struct fr_fault_facts *ff = &r->ff[i];
		for (size_t w = 0; w < ff->nwin; w++)
			if (ff->win[w].end == INT64_MAX || ff->win[w].end > r->end_rel)
				ff->win[w].end = r->end_rel;
		if (r->ctl && r->slot[i] >= 0) {
			struct fr_ctl_slot *sl = &r->ctl->slots[r->slot[i]];
			ff->matched = atomic_load(&sl->matched);
			ff->injected = atomic_load(&sl->injected);
			ff->bytes = atomic_load(&sl->bytes);
			uint64_t fi = atomic_load(&sl->first_ns);
			uint64_t la = atomic_load(&sl->last_ns);
			ff->first = fi ? rel(r, fi) : INT64_MIN;
			ff->last = la ? rel(r, la) : INT64_MIN;
		} else {
			ff->first = ff->last = INT64_MIN;
		}
	}
	for (size_t i = 0; i < r->nseries; i++)
		fr_series_sort(&r->series[i]);

	build_record(r, &rec);
	if (r->t0 && r->verdict != FR_ERROR) {
		if (fr_assert_eval(s, &rec.facts, &rec.verdicts, &rec.nverdicts) < 0)
			abort();
		for (size_t i = 0; i < rec.nverdicts; i++) {
			res->assertions++;
			if (!rec.verdicts[i].ok)
				res->failed++;
		}
		if (res->failed && r->verdict == FR_PASS)
			r->verdict = FR_FAIL;
	}
	rec.verdict = r->verdict;
	res->verdict = r->verdict;
	res->exit = r->verdict == FR_PASS ? 0 : r->verdict == FR_FAIL ? 1 : 3;
	/* first/last injection times from the slots */
	res->json = fr_report_json(&rec);
	res->junit = fr_report_junit(&rec);
	res->table = fr_report_table(&rec, o->color);
	res->seconds = wall_now() - r->invoked_wall;
	fr_verdicts_free(rec.verdicts, rec.nverdicts);
	free(rec.tail);
	if (r->interrupted)
		ret = -EINTR;
	cleanup(r);
	free(r);
	return ret;
}
