/*
 * faultrun — the scenario model and its loader.
 *
 * Data flows one way: scenario file -> fr_scenario_load() -> this model ->
 * fr_scenario_instantiate() (per run: placeholders filled, faults parsed)
 * -> the runner. See docs/scenario-format.md for the file format.
 *
 * Every object of a scenario lives in its arena and is freed by
 * fr_scenario_destroy(). Strings that may hold per-run placeholders
 * (${run_dir}, ${port.NAME}, ${services.NAME.FIELD}) are struct fr_str:
 * `raw` is the text after vars and env were expanded at load time, `val`
 * is filled by fr_scenario_instantiate() for one run.
 */
#ifndef FAULTRUN_SCENARIO_H
#define FAULTRUN_SCENARIO_H

#include <faultrun/rule.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fr_arena;

/* Where something was written: 1-based line and column. */
struct fr_mark {
	const char *file;
	int line;
	int col;
};

/* A string that may hold per-run placeholders. */
struct fr_str {
	const char *raw; /* NULL when absent */
	const char *val; /* after fr_scenario_instantiate() */
	struct fr_mark mark;
};

/* A command: an argv list, or one string run with /bin/sh -c. */
struct fr_cmd {
	struct fr_str *argv;
	size_t argc;
	bool shell;
	struct fr_mark mark;
};

struct fr_kv {
	const char *key;
	struct fr_str value;
};

/* Accepted HTTP statuses: inclusive ranges. */
struct fr_status_set {
	struct {
		int lo, hi;
	} r[8];
	unsigned n;
};

/* An HTTP request and what its answer must look like. */
struct fr_http {
	struct fr_str url;
	struct fr_str method; /* raw NULL: GET, or POST when a body is given */
	struct fr_str body;
	struct fr_kv *headers;
	size_t nheaders;
	struct fr_status_set status; /* default 200-399 */
	struct fr_str body_match;    /* POSIX extended regex, or raw NULL */
};

enum fr_check_kind {
	FR_CHECK_HTTP,
	FR_CHECK_TCP,
	FR_CHECK_EXEC,
	FR_CHECK_LOG,
	FR_CHECK_TARGET,
	FR_CHECK_MYSQL,
	FR_CHECK_COUNT
};

/* target: alive | ready */
enum fr_target_state { FR_TARGET_ALIVE, FR_TARGET_READY };

/*
 * A MySQL check (probe) or connection (action): either a service of the
 * scenario (service) or an explicit server (host/port/socket/user/...).
 * Explicit fields override the service's.
 */
struct fr_mysql_conn {
	const char *service; /* services.NAME, or NULL */
	struct fr_str host, socket, user, password, database;
	struct fr_str port;
	bool admin; /* connect with the service's admin account */
	uint64_t connect_timeout_ns;
	uint64_t read_timeout_ns;
	uint64_t write_timeout_ns;
};

/* One check: what a probe or a readiness probe does each sample. */
struct fr_check {
	enum fr_check_kind kind;
	struct fr_mark mark;
	struct fr_http http;
	struct fr_str tcp; /* HOST:PORT */
	struct {
		struct fr_cmd cmd;
		int status; /* expected exit status */
	} exec;
	struct {
		struct fr_str file; /* raw NULL: the target's output */
		struct fr_str pattern;
		bool absent; /* ok when no new line matches (else: once seen) */
	} log;
	enum fr_target_state target;
	int service;		  /* target: what it looks at (a proc number, see fr_fault.in) */
	const char *service_name; /* its name, NULL for the target */
	struct {
		struct fr_mysql_conn conn;
		struct fr_str query;
		struct fr_str expect; /* first column of the first row, or NULL */
	} mysql;
};

/* Load-balancer semantics layered on a probe's checks. */
struct fr_lb {
	bool on;
	unsigned healthy;   /* consecutive passes to go back in rotation */
	unsigned unhealthy; /* consecutive failures to go out */
	bool initial_in;
};

struct fr_probe {
	const char *name;
	struct fr_mark mark;
	struct fr_check check;
	uint64_t interval_ns;
	uint64_t timeout_ns;
	struct fr_lb lb;
};

struct fr_ready {
	bool present;
	struct fr_check check;
	uint64_t deadline_ns;
	uint64_t interval_ns;
	uint64_t timeout_ns;
};

enum fr_restart_policy { FR_RESTART_NEVER, FR_RESTART_ON_FAILURE, FR_RESTART_ALWAYS };

/*
 * A process faultrun runs and watches: the target, or a `type: process`
 * service (fr_service.proc). name is "target" for the target.
 */
/* How a unit's faults reach it (docs/scenario-format.md, "backend"). */
enum fr_unit_backend {
	FR_UNIT_PRELOAD, /* the shim (LD_PRELOAD): the default */
	FR_UNIT_SECCOMP, /* the seccomp backend (docs/seccomp.md) */
	FR_UNIT_AUTO,	 /* seccomp for static and Go programs, else the preload */
};

struct fr_target {
	const char *name;
	struct fr_mark mark;
	struct fr_cmd command;
	struct fr_kv *env;
	size_t nenv;
	struct fr_str cwd;  /* raw NULL: the run directory */
	struct fr_str user; /* raw NULL: faultrun's own user */
	struct fr_ready ready;
	enum fr_restart_policy restart;
	uint64_t backoff_ns; /* first restart delay, doubled each time */
	uint64_t max_backoff_ns;
	unsigned restart_limit; /* 0: no limit */
	int stop_signal;
	uint64_t grace_ns;
	bool shim; /* run under the preload shim (default true) */
	enum fr_unit_backend backend;
	struct fr_mark backend_mark; /* where 'backend' is (else the unit's mark) */
	/*
	 * The command exits after starting the real process, which is then
	 * tracked as the main process: the one pidfile names (read once the
	 * command exited 0), or the one process it left behind.
	 */
	bool daemon;
	struct fr_str pidfile; /* raw NULL: none */
};

struct fr_fault {
	const char *name;
	struct fr_mark mark;
	/*
	 * The one-line form's SPEC as written (raw NULL for the mapping form).
	 * Both forms' fields are in fields, in order: the mapping's keys, or
	 * the SPEC's words, cut before any placeholder was filled so that a
	 * value can never add a field; a bare word ("write", "stall") has
	 * value.raw NULL.
	 */
	struct fr_str spec;
	struct fr_kv *fields;
	size_t nfields;
	bool may_not_fire;
	struct fr_rule rule; /* after fr_scenario_instantiate() */
	/*
	 * in: the processes it applies to, as proc numbers: 0 is the target,
	 * 1 + i the process service services[i] (zeroed means the target)
	 */
	int *in;
	size_t nin;
};

enum fr_service_type { FR_SERVICE_MARIADB, FR_SERVICE_PROCESS, FR_SERVICE_HAPROXY };

/* Services faultrun runs and watches as units (struct fr_service.proc). */
static inline bool fr_service_is_unit(enum fr_service_type t)
{
	return t == FR_SERVICE_PROCESS || t == FR_SERVICE_HAPROXY;
}

/* One server behind a `type: haproxy` service. */
struct fr_lb_backend {
	const char *name;   /* the service's name, or "target"; its server name in HAProxy */
	int proc;	    /* 0: the target, 1 + i: services[i] */
	struct fr_str port; /* written, or ${port.NAME} */
	struct fr_mark mark;
};

/* A real HAProxy in front of units (docs/haproxy.md); its port is fr_service.port. */
struct fr_haproxy_svc {
	struct fr_lb_backend *backends;
	size_t nbackends;
	const char *check_path; /* NULL: a TCP check */
	uint64_t check_interval_ns, check_timeout_ns;
	unsigned rise, fall;
	int down_status; /* 502 or 503 */
	uint64_t connect_timeout_ns, server_timeout_ns, client_timeout_ns;
	uint64_t ready_deadline_ns; /* every backend UP in HAProxy's view within this */
};

struct fr_service {
	const char *name;
	struct fr_mark mark;
	enum fr_service_type type;
	/* external server: host given; else an embedded one is started */
	struct fr_str host, port, socket, user, password, database;
	bool external;
	/* type: process, and haproxy (its command made by the runner) */
	struct fr_target proc;
	struct fr_haproxy_svc lb; /* type: haproxy */
	int *deps;		  /* depends-on: service indexes */
	size_t ndeps;
	/* depends-on: target (or the target is a backend): starts once the target is ready */
	bool after_target;
};

/* Background HTTP load at a steady rate. */
struct fr_load {
	bool present;
	struct fr_mark mark;
	struct fr_http http;
	double rate; /* requests per second */
	uint64_t timeout_ns;
	unsigned max_in_flight;
};

enum fr_step_kind {
	FR_STEP_INJECT,
	FR_STEP_CLEAR,
	FR_STEP_REQUEST,
	FR_STEP_SIGNAL,
	FR_STEP_RESTART,
	FR_STEP_RUN,
	FR_STEP_MYSQL,
	FR_STEP_DISK, /* change a disk fault's free space */
	FR_STEP_END,
	FR_STEP_COUNT
};

/* timeline `mysql:` actions */
enum fr_mysql_action_kind {
	FR_MYSQL_SQL,  /* run statements */
	FR_MYSQL_HOLD, /* hold N connections open for a duration */
	FR_MYSQL_LOCK, /* begin, run SQL (locking rows), never commit, for a duration */
	FR_MYSQL_KILL, /* kill the connections of a user (default: the target's) */
};

struct fr_step {
	enum fr_step_kind kind;
	struct fr_mark mark;
	uint64_t at_ns;
	int fault; /* inject/clear: index into faults */
	struct {
		struct fr_http http;
		unsigned count;
		unsigned concurrency;
		uint64_t timeout_ns;
		int series; /* index into the scenario's series names */
	} req;
	int signo;
	int service; /* signal/restart: the proc acted on (0: the target) */
	struct {
		struct fr_cmd cmd;
		uint64_t timeout_ns;
	} run;
	struct {
		enum fr_mysql_action_kind op;
		struct fr_mysql_conn conn;
		struct fr_str sql;
		unsigned connections;
		uint64_t for_ns; /* 0: until the end of the run */
		struct fr_str kill_user;
	} mysql;
	struct {
		int64_t free;  /* bytes: the change (+/-), or the free space */
		bool absolute; /* free: 1MiB (to), not +1MiB (by) */
	} disk;
};

enum fr_window_kind { FR_WIN_WHOLE, FR_WIN_BEFORE, FR_WIN_DURING, FR_WIN_AFTER, FR_WIN_RANGE };

/*
 * A time window. before/during/after refer to a fault's armed intervals;
 * skip_ns moves the start of each interval later ("after log-full +1s").
 */
struct fr_window {
	enum fr_window_kind kind;
	int fault;
	uint64_t skip_ns;
	uint64_t from_ns, to_ns; /* FR_WIN_RANGE */
	const char *label;
};

enum fr_expect_kind {
	FR_EXP_AVAILABILITY,
	FR_EXP_LATENCY,
	FR_EXP_RECOVERS,
	FR_EXP_DETECTS,
	FR_EXP_RESPONDS,
	FR_EXP_OUT_OF_ROTATION,
	FR_EXP_RESTARTS,
	FR_EXP_EXITS,
	FR_EXP_FIRED,
	FR_EXP_STATUS,	 /* the share of answers with given HTTP statuses */
	FR_EXP_ATTACHED, /* never written: added by fr_record_evaluate when it fails */
	FR_EXP_COUNT
};

#define FR_LAT_MAX 6

struct fr_expect {
	enum fr_expect_kind kind;
	struct fr_mark mark;
	bool implicit;
	int series;  /* index into series names, -1 when none */
	int fault;   /* -1 when none */
	int service; /* restarts/exits: the proc counted (0: the target) */
	struct fr_window window;
	double min_ratio; /* availability */
	struct {
		double q; /* 0.5, 0.99; 1.0 = max */
		uint64_t bound_ns;
		const char *text; /* "p99" */
	} lat[FR_LAT_MAX];
	unsigned nlat;
	uint64_t within_ns; /* recovers/detects/responds/out-of-rotation */
	unsigned stable;    /* recovers: consecutive ok samples; detects: failures */
	long min, max;	    /* restarts/exits/fired; -1 = no bound */
	/* out-of-rotation in a haproxy service's view: its index and the backend */
	int lb_service; /* -1: a probe's lb */
	const char *lb_backend;
	/* status: the codes counted; none: an unanswered sample counts as one */
	struct fr_status_set codes;
	bool codes_none;
	bool skip_unanswered;	/* unanswered: ignore (out of the share) */
	double max_ratio;	/* status: -1 = no bound (min_ratio too) */
	const char *codes_text; /* "502, 503" */
	const char *bound_text; /* as written, for reports */
	const char *label;	/* "availability of home during log-full" */
};

struct fr_var {
	const char *name;
	const char *value;
	const char *def;
	const char **choices;
	size_t nchoices;
	const char *description;
	struct fr_mark mark;
	unsigned depth; /* 0: its value uses no var; else 1 + the deepest it uses */
	bool set;	/* value is a --set, taken literally (no placeholders) */
};

/* A series is what samples are recorded into: a probe, load, requests. */
enum fr_series_kind { FR_SERIES_PROBE, FR_SERIES_LOAD, FR_SERIES_REQUEST };

struct fr_series_def {
	const char *name;
	enum fr_series_kind kind;
	int index; /* probe index for FR_SERIES_PROBE */
};

struct fr_scenario {
	struct fr_arena *arena;
	const char *file;
	const char *dir;
	const char *name;
	const char *description;
	uint64_t seed;
	bool seed_set;
	uint64_t duration_ns; /* the end of the timeline */

	struct fr_var *vars;
	size_t nvars;
	struct fr_service *services;
	size_t nservices;
	/*
	 * The units in start order (depends-on first); stopped in reverse.
	 * The first nbefore start before the target, the others after it.
	 */
	int *start_order;
	size_t nstart, nbefore;
	struct fr_target target;
	struct fr_fault *faults;
	size_t nfaults;
	struct fr_probe *probes;
	size_t nprobes;
	struct fr_load load;
	struct fr_step *steps; /* sorted by at_ns (stable) */
	size_t nsteps;
	struct fr_expect *expects;
	size_t nexpects;
	struct fr_series_def *series;
	size_t nseries;

	/* ${port.NAME} names, in order of first use */
	const char **ports;
	size_t nports, capports;
};

/* A --set KEY=VALUE override. */
struct fr_override {
	const char *key;
	const char *value;
	bool used;
};

/*
 * Load and check a scenario file. Vars get their defaults, then the
 * overrides; ${vars.X} and ${env.X} are expanded; every per-run placeholder
 * is checked for a valid name. Returns 0 and the scenario, or -EINVAL with
 * "FILE:LINE:COL: message" in err (-errno and "FILE: message" when the
 * file cannot be read). Overrides naming a var this scenario has are
 * marked used; the caller decides what to do with unused ones.
 */
int fr_scenario_load(const char *path, struct fr_override *ovr, size_t novr,
		     struct fr_scenario **out, char *err, size_t errlen);

/* Same, from a buffer (for tests); name is used in messages. */
int fr_scenario_load_string(const char *name, const char *text, struct fr_override *ovr,
			    size_t novr, struct fr_scenario **out, char *err, size_t errlen);

void fr_scenario_destroy(struct fr_scenario *s);

/* What per-run placeholders resolve to. */
struct fr_runctx {
	const char *run_dir;
	/* ${port.NAME}: ports[i] for s->ports[i] */
	const unsigned *ports;
	/*
	 * ${services.NAME.FIELD}: return the value or NULL when the field
	 * does not exist (a message is then produced by the caller).
	 */
	const char *(*service)(void *opaque, const char *svc, const char *field);
	void *opaque;
};

/* The fields ${services.NAME.FIELD} may name. */
extern const char *const fr_service_fields[];
extern const size_t fr_service_nfields;

/*
 * Fill every fr_str's val for one run and parse the faults into rules
 * (names set, fr_rule_finish applied). Returns 0 or -EINVAL with
 * "FILE:LINE:COL: message". May be called again for another run.
 */
int fr_scenario_instantiate(struct fr_scenario *s, const struct fr_runctx *ctx, char *err,
			    size_t errlen);

/*
 * Instantiate with stand-in values (for `faultrun check`): a fake run
 * directory, ports 1..n, services answering "0"/"x".
 */
int fr_scenario_check(struct fr_scenario *s, char *err, size_t errlen);

/*
 * The faults of a unit with `backend: seccomp` must be ones the seccomp
 * backend can do (fr_sec_rule_supported): -EINVAL with "FILE:LINE:COL:
 * fault 'x' ..." naming the first that is not. Called by
 * fr_scenario_instantiate once the rules are parsed (load_backend.c).
 */
int fr_scenario_check_backends(const struct fr_scenario *s, char *err, size_t errlen);

/* "preload", "seccomp", "auto". */
const char *fr_unit_backend_name(enum fr_unit_backend b);

/* Index of the series called name, or -1. */
int fr_scenario_series(const struct fr_scenario *s, const char *name);

/* Names, for reports. */
const char *fr_check_kind_name(enum fr_check_kind k);
const char *fr_step_kind_name(enum fr_step_kind k);
const char *fr_expect_kind_name(enum fr_expect_kind k);
const char *fr_restart_name(enum fr_restart_policy p);

/* "SIGTERM" / "TERM" / "15" -> 15; 0 when unknown. */
int fr_signal_from_name(const char *name);
/* 15 -> "SIGTERM" (static buffer for unknown numbers) */
const char *fr_signal_name(int signo);

/* Format a duration for humans: "250ms", "2s", "1.5s", "2m". */
void fr_fmt_duration(char *buf, size_t len, uint64_t ns);

/*
 * The arena every scenario object is allocated from. Allocation failure
 * aborts (the loader does not try to recover from OOM).
 */
struct fr_arena *fr_arena_create(void);
void fr_arena_destroy(struct fr_arena *a);
void *fr_arena_alloc(struct fr_arena *a, size_t size); /* zeroed */
char *fr_arena_strdup(struct fr_arena *a, const char *s);
char *fr_arena_printf(struct fr_arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* FAULTRUN_SCENARIO_H */
