/*
 * faultrun — the runner's private state (struct run) and the functions
 * its files share. Not for use outside run/.
 *
 *   run.c       phases: start, t = 0, drain, stop, teardown, signals
 *   setup.c     before the target: run dir, seed, ports, services,
 *               control block, series, and the service/MySQL lookups
 *   target.c    the target process: start, output tail, exit, restart
 *               policy, readiness
 *   checks.c    probe and readiness checks, one table row per kind
 *   timeline.c  the timeline's steps (one table row per action), the
 *               load, fault arming
 *   events.c    the recording as it grows: lifecycle, timeline entries,
 *               the shim's injection events
 *   progress.c  progress lines and the live status line
 *   lb.c        a haproxy service: its configuration, readiness, view
 *   backend.c   a unit under the seccomp backend: the filter, the
 *               thread that answers it, its explanations
 */
#ifndef FAULTRUN_RUN_INTERNAL_H
#define FAULTRUN_RUN_INTERNAL_H

#include "run/runner.h"

#include "io/http.h"
#include "io/mysqlc.h"
#include "io/mariadb.h"
#include "io/proc.h"
#include "util/loop.h"
#include "util/strbuf.h"

#include <faultrun/control.h>
#include "attach.h"

#include <limits.h>
#include <regex.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define MAX_INFLIGHT 64
#define TAIL_LINES 40
#define POLL_NS 100000000ull /* events ring and status line */
#define DRAIN_MAX_NS 15000000000ull
#define LOG_READ_MAX (1024 * 1024)

enum phase { PH_SETUP, PH_STARTING, PH_RUNNING, PH_DRAINING, PH_STOPPING, PH_DONE };

struct run;
struct checker;
struct lb_unit;	 /* lb.c: a haproxy service's view and readiness */
struct ctl_seen; /* ctlwatch.c */
struct run_sec;	 /* backend.c */
struct fr_spawn;

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

typedef void (*check_done_fn)(struct checker *ck, const struct fr_sample *smp, const char *detail);

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
	char *log_own; /* log_path when we made it */
	char **argv;
	struct target *unit; /* a readiness checker: whose; NULL for probes */
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
	size_t idx; /* into tl entries */
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

/*
 * A process faultrun runs and watches (a "unit"): the target, or a
 * `type: process` service. Each has its own output log, readiness,
 * restart policy and, under the shim, its own control block, so that a
 * fault reaches only the processes of the units it names.
 */
struct target {
	struct run *r;
	const struct fr_target *cfg;
	int proc;	     /* 0: the target, 1 + i: services[i] */
	const char *what;    /* "the target", "service 'lb'" */
	const char *service; /* NULL for the target: its lifecycle events' service */
	struct fr_child child;
	int out_r, out_w, log_fd;
	pid_t pid; /* of the current or last start */
	struct fr_watch out_watch;
	char *tail[TAIL_LINES];
	size_t ntail, tail_head;
	struct fr_buf partial;
	bool running, ready, stopping, restart_after_stop, gave_up;
	bool launching; /* a daemon's command runs; its main process is not known yet */
	unsigned attempt, starts, restarts, exits;
	struct fr_timer restart_timer, grace_timer;
	char **argv;
	const char **env;
	size_t nenv;
	const char *cwd;
	const char *shim;
	struct fr_user user;
	bool have_user;
	/* readiness */
	struct checker ready_ck;
	struct fr_timer ready_tick, ready_deadline;
	bool ready_polling;
	char ready_last[200];
	/* its control block: NULL without the shim */
	char ctl_path[PATH_MAX + 80];
	struct fr_ctl *ctl;
	int *slot;	       /* per fault: its slot in this block, or -1 */
	struct ctl_seen *seen; /* ctlwatch.c: the block as the runner last saw it */
	uint64_t ev_next;
	int report_fd;
	struct fr_watch report_watch;
	struct fr_attach attach;
	struct lb_unit *lb;  /* a haproxy service, else NULL */
	struct run_sec *sec; /* under the seccomp backend, else NULL (then shim says) */
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
	char ctl_path[PATH_MAX + 16]; /* the target's block: FAULTRUN_CTL of probes and steps */
	bool have_run_dir;
	uint64_t seed;
	unsigned *ports;
	struct fr_mariadb **dbs;

	uint64_t run_start, t0;
	double invoked_wall, t0_wall;
	int64_t end_rel;

	struct target tg;
	struct target *svc; /* per service (only process ones are used) */
	size_t starting;    /* services started so far, in s->start_order */

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
	bool *armed;
	struct fr_fault_facts *ff;
	char (*specs)[512];

	/* record */
	struct fr_lc_event *lc;
	size_t nlc, caplc;
	struct fr_tl_entry *tl;
	size_t ntl, captl;
	struct fr_inj_log inj; /* record/injections.h: bounded whatever the rate */

	/* progress */
	bool status_shown;
	uint64_t last_status;
	struct fr_watch sig_watch;
};

/* events.c: time and the recording */
int64_t run_rel(struct run *r, uint64_t mono);
int64_t run_rel_now(struct run *r);
struct fr_lc_event *run_lc_add(struct run *r, const char *event, int pid);
size_t run_tl_add(struct run *r, const struct fr_step *st, const char *detail);
void run_tl_detail(struct run *r, size_t idx, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
unsigned run_read_events(struct run *r);
void run_read_fault_counters(struct run *r);
/* Take refusals of a block as they arrive, and the block's table at the end (events.c). */
void run_attach_start(struct target *tg);
void run_attach_collect(struct target *tg);
const char *run_unprefix(const char *err);

/* progress.c */
void run_say(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void run_status_clear(struct run *r);
void run_status_draw(struct run *r);

/* checks.c */
bool run_status_ok(const struct fr_status_set *st, long status);
const char *run_http_method(const struct fr_http *h);
char **run_argv(const struct fr_cmd *cmd);
const char **run_headers(const struct fr_http *h, size_t *n);
void run_headers_free(const char **v, size_t n);
void run_checker_init(struct run *r, struct checker *ck, const struct fr_check *c, uint64_t timeout,
		      check_done_fn done, void *owner, struct target *unit);
void run_checker_finish(struct checker *ck);
void run_check_sample(struct checker *ck);
void run_check_cancel_all(struct checker *ck);
char *run_check_what(const struct fr_check *c);
void run_probes_init(struct run *r);
void run_probes_start(struct run *r, uint64_t now);

/* timeline.c */
void run_timeline_init(struct run *r);
void run_load_init(struct run *r);
void run_timeline_pause(struct run *r);
void run_timeline_start(struct run *r, uint64_t now);
void run_timeline_stop(struct run *r);
void run_timeline_finish(struct run *r);
void run_fault_set(struct run *r, int f, bool armed);

/* ctlwatch.c: journal changes to the blocks the runner did not make */
void run_ctl_watch(struct run *r);
void run_ctl_watch_finish(struct target *tg);

/* target.c: every unit (the target and the process services) */
struct target *run_proc(struct run *r, int proc);
void run_target_init(struct run *r, struct target *tg, int proc);
int run_target_setup(struct target *tg);
void run_target_start(struct target *tg, bool restart);
void run_target_stop(struct target *tg, uint64_t grace_ns);
void run_target_finish(struct target *tg);
void run_ready_start(struct target *tg);
void run_ready_stop(struct target *tg);
void run_ready_init(struct target *tg);
void run_target_take_tail(struct target *tg, char ***out, size_t *n);
void run_tail_text(struct target *tg, char *buf, size_t len, size_t lines);
/* starting.c: start order, the next unit, teardown order, daemons */
void run_start_next(struct run *r);
void run_unit_started(struct target *tg);
void run_unit_ready(struct target *tg);
bool run_stop_next_unit(struct run *r);
void run_units_hurry(struct run *r);
void run_daemon_launched(struct target *tg, int status);
void run_undeclared_daemon(struct target *tg, char *buf, size_t len);

/* lb.c: a `type: haproxy` unit */
int run_lb_setup(struct target *tg);
void run_lb_started(struct target *tg);
void run_lb_ready_stop(struct target *tg);
void run_lb_stop(struct target *tg);
void run_lb_finish(struct target *tg);

/*
 * backend.c: run_sec_choose decides a unit's backend from its `backend:`
 * and fr_launch_check's verdict (check, err): 0 the preload, 1 seccomp
 * (tg->sec set), -1 with r->error set. run_sec_spawn adds the filter's
 * hooks to a start (0, or -errno with err); run_sec_explain fills the
 * faults' reasons for the journal; run_sec_finish stops and frees.
 */
int run_sec_choose(struct target *tg, int check, const char *err);
int run_sec_spawn(struct target *tg, struct fr_spawn *sp, char *err, size_t errlen);
void run_sec_explain(struct target *tg);
void run_sec_finish(struct target *tg);

/* setup.c */
int run_setup(struct run *r);
void run_series_init(struct run *r);
const char *run_service_value(void *opaque, const char *svc, const char *field);
int run_mysql_params(struct run *r, const struct fr_mysql_conn *c, struct fr_mysql_params *p);
void run_stop_services(struct run *r);

/* run.c: the phases */
void run_error(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void run_on_ready(struct run *r);
void run_begin_drain(struct run *r);
void run_begin_stop(struct run *r);
void run_maybe_drained(struct run *r);
void run_teardown_continue(struct run *r);

#endif /* FAULTRUN_RUN_INTERNAL_H */
