/*
 * faultrun — a real HAProxy as a load balancer in front of a scenario's
 * services: its configuration generated from a struct, the command that
 * runs it as a well-behaved child, and its own view of the backends read
 * from its stats socket ("show stat", HAProxy's management guide,
 * /usr/share/doc/haproxy/management.txt.gz, section 9.3).
 *
 * Nothing here blocks for longer than the timeout it is given: a stats
 * socket whose HAProxy is stopped (SIGSTOP) or hung answers nothing, and
 * the query gives up. docs/haproxy.md describes the generated file.
 */
#ifndef FAULTRUN_IO_HAPROXY_H
#define FAULTRUN_IO_HAPROXY_H

#include "util/loop.h"
#include "util/strbuf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Proxy and server names: [A-Za-z0-9_.-], at most this long (with NUL). */
#define FR_HAPROXY_NAME_MAX 64
/* A unix socket path must fit sockaddr_un.sun_path (unix(7)). */
#define FR_HAPROXY_SOCK_MAX 108

struct fr_haproxy_backend {
	const char *name; /* the server's name in HAProxy: [A-Za-z0-9_.-] */
	const char *host; /* an IPv4 or IPv6 literal or a host name */
	unsigned int port;
};

struct fr_haproxy_conf {
	const char *name;	 /* the proxy's name; NULL: "lb" */
	const char *listen_host; /* NULL: 127.0.0.1 */
	unsigned int listen_port;
	const struct fr_haproxy_backend *backends;
	size_t nbackends;
	/* The health check: GET check_path, healthy on 200. NULL: a TCP connect. */
	const char *check_path;
	uint64_t check_interval_ns; /* 0: 2 s (HAProxy's default) */
	uint64_t check_timeout_ns;  /* 0: the interval */
	unsigned int rise, fall;    /* 0: 2 and 3 (HAProxy's defaults) */
	/*
	 * What clients get while no backend is healthy: 503 (HAProxy's own
	 * "No server is available") or 502 (as a cloud load balancer answers).
	 * 0: 503.
	 */
	int down_status;
	uint64_t connect_timeout_ns; /* 0: 2 s */
	uint64_t server_timeout_ns;  /* 0: 30 s; then HAProxy answers 504 */
	uint64_t client_timeout_ns;  /* 0: 30 s */
	const char *stats_socket;    /* absolute path, in the run's directory */
};

/*
 * Check every field: names outside [A-Za-z0-9_.-], a host or check path
 * with a character HAProxy's parser would take as syntax (space, quote,
 * '#', '\\', '$'), a port out of 1..65535, a status other than 502/503,
 * a socket path too long or not absolute. Returns 0, or -EINVAL with one
 * line in err naming the field and the value.
 */
int fr_haproxy_conf_check(const struct fr_haproxy_conf *c, char *err, size_t errlen);

/* The configuration text (after fr_haproxy_conf_check): 0 or -EINVAL. */
int fr_haproxy_conf_format(const struct fr_haproxy_conf *c, struct fr_buf *out, char *err,
			   size_t errlen);

/*
 * Write the configuration to dir/<name>.cfg, mode 0600, replacing any
 * old one atomically; its path goes to path[pathlen]. Returns 0 or -errno
 * with one line in err.
 */
int fr_haproxy_conf_write(const struct fr_haproxy_conf *c, const char *dir, char *path,
			  size_t pathlen, char *err, size_t errlen);

/*
 * The haproxy program: $FAULTRUN_HAPROXY, else "haproxy" on PATH, else
 * /usr/sbin/haproxy (Debian's, not on a normal user's PATH). NULL when
 * none is executable.
 */
const char *fr_haproxy_program(void);

/*
 * argv (NULL-terminated, 5 slots) to run HAProxy in the foreground as one
 * process: `haproxy -db -f CFG`. -db keeps it in the foreground, not
 * daemonized and not in master-worker mode, so the child faultrun started
 * is the proxy itself; its alerts and the traffic log go to stderr.
 * Stop it with SIGUSR1: a soft stop, exit status 0 once the open
 * connections end (bounded by hard-stop-after, 5 s). SIGTERM is a hard
 * stop: HAProxy 2.6 with -db does not catch it and dies of the signal
 * (management.txt, section 4).
 */
void fr_haproxy_argv(const char *program, const char *cfg_path, const char *argv[5]);

/*
 * Send one command to the stats socket and read the answer until HAProxy
 * closes (one command per connection, non-interactive mode) or timeout_ns
 * passes. Returns 0 with the answer in out, -ENOENT/-ECONNREFUSED while
 * nobody listens, -ETIMEDOUT, or -errno; one line in err.
 */
int fr_haproxy_command(const char *sock, const char *cmd, uint64_t timeout_ns, struct fr_buf *out,
		       char *err, size_t errlen);

/*
 * Readiness: the stats socket answers "show info" with HAProxy's name
 * within timeout_ns. 0 when ready, else as fr_haproxy_command (-EPROTO
 * when something else answers).
 */
int fr_haproxy_ready(const char *sock, uint64_t timeout_ns, char *err, size_t errlen);

enum fr_haproxy_state {
	FR_HAPROXY_UNKNOWN, /* never seen, or a status this code does not know */
	FR_HAPROXY_UP,	    /* also "UP 1/3": up, failing checks */
	FR_HAPROXY_DOWN,    /* also "DOWN 1/2": down, passing checks */
	FR_HAPROXY_MAINT,   /* put in maintenance (admin) */
	FR_HAPROXY_DRAIN,
	FR_HAPROXY_NOLB,
	FR_HAPROXY_NOCHECK, /* "no check": no health check configured */
};

const char *fr_haproxy_state_name(enum fr_haproxy_state s);

/* One row of "show stat": a server, or the backend as a whole. */
struct fr_haproxy_server {
	char proxy[FR_HAPROXY_NAME_MAX];
	char name[FR_HAPROXY_NAME_MAX]; /* "BACKEND" for the backend's row */
	bool backend;
	enum fr_haproxy_state state;
	char status[32]; /* as HAProxy shows it: "UP", "UP 1/3", "MAINT (via x/y)" */
	/* the last check: "L7STS/500", "L4CON", "L7OK/200"; "" when none */
	char check[32];
	char check_desc[64]; /* "Layer7 wrong status" */
	long lastchg_s;	     /* seconds since the last change; -1 unknown */
};

/*
 * Parse the CSV answer of "show stat" (columns found by the header's
 * names, not positions, which grow between versions). Server and BACKEND
 * rows only. *out is allocated (free it); returns 0 or -EPROTO with a
 * line in err.
 */
int fr_haproxy_parse_stat(const char *csv, struct fr_haproxy_server **out, size_t *n, char *err,
			  size_t errlen);

/* A state that changed between two polls. */
struct fr_haproxy_change {
	const struct fr_haproxy_server *now; /* the new row */
	enum fr_haproxy_state before;	     /* FR_HAPROXY_UNKNOWN: first seen */
	uint64_t at_ns;			     /* when the poll saw it (loop clock) */
};

typedef void (*fr_haproxy_change_fn)(void *arg, const struct fr_haproxy_change *ch);

/*
 * Call fn for every row of cur whose state differs from its row (same
 * proxy and name) in prev, or that prev lacks. Returns how many changed.
 */
size_t fr_haproxy_diff(const struct fr_haproxy_server *prev, size_t nprev,
		       const struct fr_haproxy_server *cur, size_t ncur, uint64_t at_ns,
		       fr_haproxy_change_fn fn, void *arg);

/*
 * The poller: every interval, "show stat" over the stats socket, driven
 * by the event loop (a connection in progress is a loop watch, never a
 * blocking call). Each change is reported through fn; when the socket
 * stops answering (HAProxy dead, stopped or hung) fn_err runs once with
 * the reason, and again after it has answered in between.
 */
struct fr_haproxy_poller {
	struct fr_loop *loop;
	char sock[FR_HAPROXY_SOCK_MAX];
	uint64_t interval_ns, timeout_ns;
	fr_haproxy_change_fn fn;
	void (*fn_err)(void *arg, const char *why);
	void *arg;
	/*
	 * Optional, set after fr_haproxy_poller_start: called after every
	 * poll that answered (after the changes), with all the rows.
	 */
	void (*fn_poll)(void *arg, const struct fr_haproxy_server *rows, size_t n);
	/* state */
	struct fr_timer timer;
	struct fr_watch watch;
	int fd;
	uint64_t deadline_ns;
	size_t sent;
	struct fr_buf in;
	struct fr_haproxy_server *rows;
	size_t nrows;
	bool failing;
	unsigned long polls, failures;
};

/*
 * Start polling sock every interval_ns (each query gives up after
 * min(interval, 1 s)). The first poll runs at once. Returns 0 or -EINVAL.
 */
int fr_haproxy_poller_start(struct fr_haproxy_poller *p, struct fr_loop *l, const char *sock,
			    uint64_t interval_ns, fr_haproxy_change_fn fn,
			    void (*fn_err)(void *arg, const char *why), void *arg);
/* Stop, close the connection in progress, free the rows. Idempotent; fn and fn_poll may call it. */
void fr_haproxy_poller_stop(struct fr_haproxy_poller *p);

#endif /* FAULTRUN_IO_HAPROXY_H */
