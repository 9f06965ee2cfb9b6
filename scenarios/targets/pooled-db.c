/*
 * pooled-db — incident 001, "your health check is killing you": connection
 * pool exhaustion behind a load balancer (shared/incidents/001,
 * docs/incidents/pool-exhaustion.md and stuck-health-check.md).
 *
 * An HTTP service with a pool of --pool N libmysqlclient connections, made
 * like the Node `mysql` package's createPool({connectionLimit}): connections
 * are opened on demand and handed out one request at a time.
 *   GET /leak    "a new endpoint began a transaction (db.beginTransaction()),
 *                ran its query on the pool instead of the transaction (bug 1)
 *                and never committed (bug 2)": takes a connection, BEGINs,
 *                runs its INSERT through the pool, and never commits or
 *                releases the first connection. N calls leak the whole pool.
 *   GET /health  "checkDb() -- SELECT 1": SELECT 1 through the pool.
 *   GET /        a normal request: UPDATE + SELECT on the items table.
 *   GET /ping    no database: "a curl localhost answered 200".
 *   GET /stats   the pool's counters, as JSON.
 *
 * --variant buggy, as in the postmortem: "after connectionLimit calls every
 * pool.getConnection() waited forever: the pool, when exhausted, neither
 * errors nor times out" — acquire waits on a condition variable with no
 * timeout, connections have no read/write timeout, so /health and / hang
 * while /ping still answers 200.
 * --variant fixed, the postmortem's lessons ("timeouts on every acquire and
 * every check", "let it crash"): acquire waits at most --acquire-timeout
 * then the request fails fast with 503; connections have connect, read and
 * write timeouts (--db-timeout), and one that timed out is closed and opened
 * again; /health answers 503 (red) within its timeout instead of hanging;
 * a pool that stays exhausted for --exhausted-exit makes the process exit
 * with status 3, releasing every connection, so its supervisor restarts it.
 *
 * A second, in-code way to replay the incident: libfiu failure points
 * "pool/acquire" (the pool looks exhausted) and "pool/query" (the database
 * goes silent while the point is on), switched on through libfiu's remote
 * control when FAULTRUN_FIU_FIFO names a FIFO basename
 * (<basename>-<pid>.in/.out; fiu-ctrl -f <basename> -c "enable name=pool/query" <pid>).
 *
 * The database password never comes on the command line, which every
 * local user can read (ps): it is read from --db-password-file, else from
 * the environment ($DB_PASSWORD), which only the same user can read.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fiu.h>
#include <fiu-control.h>
#include <getopt.h>
#include <math.h>
#include <mysql.h>
#include <errmsg.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "target-http.h"

#define PROG "pooled-db"
#define EXIT_EXHAUSTED 3

static struct {
	enum tc_variant variant;
	unsigned long port;
	unsigned long pool_size;
	const char *db_socket;
	const char *db_host;
	unsigned long db_port;
	const char *db_user;
	const char *db_password;
	const char *db_password_file;
	const char *db_name;
	unsigned long acquire_timeout_ms;
	unsigned long db_timeout_s;
	unsigned long exhausted_exit_ms;
} opt = {
	.variant = TC_FIXED,
	.pool_size = 4,
	.db_host = "127.0.0.1",
	.db_port = 3306,
	.db_user = "app",
	.db_password = "",
	.db_name = "app",
	.acquire_timeout_ms = 1000,
	.db_timeout_s = 2,
	.exhausted_exit_ms = 3000,
};

struct conn {
	MYSQL *m;	/* NULL until first used, or after it broke */
	bool in_use;
	bool leaked;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t freed;
	struct conn *conns;
	unsigned int in_use, leaked, waiting;
	bool starved;	      /* the last acquire found no free connection */
	double exhausted_since; /* 0 when not exhausted */
	unsigned long opens, broken, acquire_timeouts, query_errors;
} pool = { .lock = PTHREAD_MUTEX_INITIALIZER };

static atomic_bool schema_ready;
static char fifo_in[4096], fifo_out[4096];

/* libfiu leaves its remote-control FIFOs behind; tidy them on the way out. */
static void leave(int status)
{
	if (fifo_in[0]) {
		unlink(fifo_in);
		unlink(fifo_out);
	}
	_exit(status);
}

/* ---- the pool ------------------------------------------------------- */

/*
 * A free slot, or -1. The libfiu point "pool/acquire" makes the pool look
 * exhausted, as if every connection had leaked.
 */
static int free_slot(void)
{
	fiu_return_on("pool/acquire", -1);
	for (unsigned int i = 0; i < opt.pool_size; i++)
		if (!pool.conns[i].in_use)
			return i;
	return -1;
}

static MYSQL *db_connect(char *err, size_t errlen)
{
	unsigned int t = opt.db_timeout_s;
	MYSQL *m = mysql_init(NULL);

	if (!m) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (opt.variant == TC_FIXED) {
		mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &t);
		mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &t);
		mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &t);
	}
	if (!mysql_real_connect(m, opt.db_socket ? NULL : opt.db_host,
				opt.db_user, opt.db_password, opt.db_name,
				opt.db_socket ? 0 : opt.db_port, opt.db_socket,
				0)) {
		snprintf(err, errlen, "connect: %s", mysql_error(m));
		mysql_close(m);
		return NULL;
	}
	return m;
}

/* Give a connection back; a broken one is closed and reopened on next use. */
static void release(struct conn *c, bool broken)
{
	MYSQL *dead = NULL;

	pthread_mutex_lock(&pool.lock);
	if (broken) {
		dead = c->m;
		c->m = NULL;
	}
	c->in_use = false;
	pool.in_use--;
	pthread_cond_signal(&pool.freed);
	pthread_mutex_unlock(&pool.lock);
	if (dead)
		mysql_close(dead);
}

static void ensure_schema(MYSQL *m);

/*
 * Take a connection from the pool. Buggy: wait for one forever (the
 * incident). Fixed: wait at most --acquire-timeout, then NULL.
 */
static struct conn *acquire(char *err, size_t errlen)
{
	struct timespec deadline;
	struct conn *c;
	int i;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += opt.acquire_timeout_ms / 1000;
	deadline.tv_nsec += (opt.acquire_timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}

	pthread_mutex_lock(&pool.lock);
	while ((i = free_slot()) < 0) {
		pool.starved = true;
		pool.waiting++;
		if (opt.variant == TC_BUGGY) {
			pthread_cond_wait(&pool.freed, &pool.lock);
		} else if (pthread_cond_timedwait(&pool.freed, &pool.lock,
						  &deadline) == ETIMEDOUT) {
			pool.waiting--;
			pool.acquire_timeouts++;
			pthread_mutex_unlock(&pool.lock);
			snprintf(err, errlen, "pool exhausted: no connection "
				 "within %lu ms", opt.acquire_timeout_ms);
			return NULL;
		}
		pool.waiting--;
	}
	pool.starved = false;
	c = &pool.conns[i];
	c->in_use = true;
	pool.in_use++;
	pthread_mutex_unlock(&pool.lock);

	if (!c->m) {
		c->m = db_connect(err, errlen);
		if (!c->m) {
			release(c, true);
			return NULL;
		}
		pthread_mutex_lock(&pool.lock);
		pool.opens++;
		pthread_mutex_unlock(&pool.lock);
		ensure_schema(c->m);
	}
	return c;
}

/*
 * The libfiu point "pool/query": the database goes silent while the point
 * is on. Buggy (no read timeout) waits as long as it lasts; fixed gives up
 * after --db-timeout like its read timeout would. Returns 0 or -ETIMEDOUT.
 */
static int query_fault(void)
{
	double deadline = opt.variant == TC_FIXED ?
				  tc_now() + opt.db_timeout_s : INFINITY;
	struct timespec tick = { 0, 50 * 1000 * 1000 };
	bool stalled = false;

	fiu_do_on("pool/query", stalled = true);
	while (stalled && fiu_fail("pool/query")) {
		if (tc_now() >= deadline)
			return -ETIMEDOUT;
		nanosleep(&tick, NULL);
	}
	return 0;
}

/*
 * Run sql on c; the first column of the first row (if any) goes to out.
 * Returns 0, or -1 with the error in err; *broken tells whether the
 * connection is lost (timeout, reset) and must be closed.
 */
static int query(struct conn *c, const char *sql, char *out, size_t outlen,
		 char *err, size_t errlen, bool *broken)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	unsigned int code;

	if (out && outlen)
		out[0] = '\0';
	if (query_fault() < 0) {
		snprintf(err, errlen, "Lost connection to server during query "
			 "(libfiu pool/query)");
		*broken = true;
		goto fail;
	}
	if (mysql_query(c->m, sql) == 0) {
		res = mysql_store_result(c->m);
		if (res && (row = mysql_fetch_row(res)) && row[0] && out)
			snprintf(out, outlen, "%s", row[0]);
		mysql_free_result(res);
		if (!mysql_errno(c->m))
			return 0;
	}
	code = mysql_errno(c->m);
	snprintf(err, errlen, "%s (%u)", mysql_error(c->m), code);
	/* client-side errors (CR_*) mean the connection is gone */
	*broken = code >= CR_MIN_ERROR && code <= CR_MAX_ERROR;
fail:
	pthread_mutex_lock(&pool.lock);
	pool.query_errors++;
	if (*broken)
		pool.broken++;
	pthread_mutex_unlock(&pool.lock);
	return -1;
}

/* Acquire, run one query, release: the Node pool.query(). */
static int pool_query(const char *sql, char *out, size_t outlen, char *err,
		      size_t errlen)
{
	bool broken = false;
	struct conn *c = acquire(err, errlen);
	int ret;

	if (!c)
		return -1;
	ret = query(c, sql, out, outlen, err, errlen, &broken);
	release(c, broken);
	return ret;
}

static void ensure_schema(MYSQL *m)
{
	static const char *const ddl[] = {
		"CREATE TABLE IF NOT EXISTS items (id INT PRIMARY KEY, "
		"hits BIGINT NOT NULL DEFAULT 0) ENGINE=InnoDB",
		"INSERT IGNORE INTO items (id, hits) VALUES (1, 0)",
		"CREATE TABLE IF NOT EXISTS orders (id BIGINT AUTO_INCREMENT "
		"PRIMARY KEY, note VARCHAR(64)) ENGINE=InnoDB",
	};

	if (atomic_load(&schema_ready))
		return;
	for (size_t i = 0; i < sizeof(ddl) / sizeof(ddl[0]); i++)
		if (mysql_query(m, ddl[i])) {
			fprintf(stderr, PROG ": schema: %s\n", mysql_error(m));
			return;
		}
	atomic_store(&schema_ready, true);
}

/*
 * Fixed: "let it crash". A pool that stays exhausted (every connection in
 * use, or requests finding none) longer than --exhausted-exit ends the
 * process, which releases every connection; the supervisor restarts it.
 */
static void *watchdog(void *arg)
{
	struct timespec tick = { 0, 100 * 1000 * 1000 };

	for (;;) {
		nanosleep(&tick, NULL);
		pthread_mutex_lock(&pool.lock);
		bool exhausted = pool.in_use == opt.pool_size || pool.starved;
		double now = tc_now();

		if (!exhausted) {
			pool.exhausted_since = 0;
		} else if (!pool.exhausted_since) {
			pool.exhausted_since = now;
		} else if ((now - pool.exhausted_since) * 1000 >=
			   opt.exhausted_exit_ms) {
			fprintf(stderr, PROG ": pool exhausted for %.1f s (%u of "
				"%lu connections in use, %u leaked): exiting so "
				"that the supervisor restarts a clean process\n",
				now - pool.exhausted_since, pool.in_use,
				opt.pool_size, pool.leaked);
			leave(EXIT_EXHAUSTED);
		}
		pthread_mutex_unlock(&pool.lock);
	}
	return NULL;
}

/* ---- HTTP ----------------------------------------------------------- */

static enum MHD_Result red(struct MHD_Connection *conn, const char *url,
			   const char *err)
{
	fprintf(stderr, PROG ": %s: 503 %s\n", url, err);
	return th_reply(conn, 503, "%s\n", err);
}

/* /leak: the endpoint from the postmortem, both bugs included. */
static enum MHD_Result leak(struct MHD_Connection *conn)
{
	char err[512], id[32];
	bool broken = false;
	struct conn *trx;

	trx = acquire(err, sizeof(err));	/* db.beginTransaction() */
	if (!trx)
		return red(conn, "/leak", err);
	if (query(trx, "START TRANSACTION", NULL, 0, err, sizeof(err),
		  &broken) < 0) {
		release(trx, broken);
		return red(conn, "/leak", err);
	}
	pthread_mutex_lock(&pool.lock);
	trx->leaked = true;			/* bug 2: never committed */
	pool.leaked++;
	pthread_mutex_unlock(&pool.lock);
	/* bug 1: the query runs on the pool, not on the transaction */
	if (pool_query("INSERT INTO orders (note) VALUES ('leak')", NULL, 0,
		       err, sizeof(err)) < 0 ||
	    pool_query("SELECT LAST_INSERT_ID()", id, sizeof(id), err,
		       sizeof(err)) < 0)
		return red(conn, "/leak", err);
	return th_reply(conn, 200, "order %s (a connection leaked)\n", id);
}

static enum MHD_Result stats(struct MHD_Connection *conn)
{
	char buf[512];

	pthread_mutex_lock(&pool.lock);
	snprintf(buf, sizeof(buf),
		 "{\"variant\": \"%s\", \"size\": %lu, \"in_use\": %u, "
		 "\"leaked\": %u, \"waiting\": %u, \"opens\": %lu, "
		 "\"broken\": %lu, "
		 "\"acquire_timeouts\": %lu, \"query_errors\": %lu}\n",
		 tc_variant_name(opt.variant), opt.pool_size,
		 pool.in_use, pool.leaked, pool.waiting, pool.opens, pool.broken,
		 pool.acquire_timeouts, pool.query_errors);
	pthread_mutex_unlock(&pool.lock);
	return th_reply(conn, 200, "%s", buf);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn,
			       const char *url, const char *method,
			       const char *version, const char *upload,
			       size_t *upload_size, void **con_cls)
{
	char err[512], out[64];

	if (!strcmp(url, "/ping"))
		return th_reply(conn, 200, "pong\n");
	if (!strcmp(url, "/stats"))
		return stats(conn);
	if (!strcmp(url, "/leak"))
		return leak(conn);
	if (!strcmp(url, "/health")) {
		if (pool_query("SELECT 1", out, sizeof(out), err,
			       sizeof(err)) < 0)
			return red(conn, url, err);
		return th_reply(conn, 200, "ok\n");
	}
	if (!strcmp(url, "/")) {
		if (pool_query("UPDATE items SET hits = hits + 1 WHERE id = 1",
			       NULL, 0, err, sizeof(err)) < 0 ||
		    pool_query("SELECT hits FROM items WHERE id = 1", out,
			       sizeof(out), err, sizeof(err)) < 0)
			return red(conn, url, err);
		return th_reply(conn, 200, "hits %s\n", out);
	}
	return th_reply(conn, 404, "not found\n");
}

/* ---- command line --------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " --port N [options]\n"
		"  --variant buggy|fixed     pool behaviour (default fixed)\n"
		"  --port N                  HTTP port on 127.0.0.1\n"
		"  --pool N                  connections in the pool (default 4)\n"
		"  --db-socket PATH          MariaDB unix socket (else TCP)\n"
		"  --db-host HOST            (default 127.0.0.1)\n"
		"  --db-port N               (default 3306)\n"
		"  --db-user USER            (default app)\n"
		"  --db-password-file FILE   the password (its first line); "
		"else $DB_PASSWORD, else empty\n"
		"  --db-name NAME            (default app)\n"
		"fixed only:\n"
		"  --acquire-timeout MS      wait for a connection (default 1000)\n"
		"  --db-timeout S            connect/read/write timeout "
		"(default 2)\n"
		"  --exhausted-exit MS       exit 3 when the pool stays exhausted "
		"this long, 0: never (default 3000)\n"
		"env FAULTRUN_FIU_FIFO=BASENAME  libfiu remote control "
		"(points pool/acquire, pool/query)\n");
}

/* The password: the first line of --db-password-file, else $DB_PASSWORD. */
static bool read_password(void)
{
	static char buf[512];
	const char *env = getenv("DB_PASSWORD");
	FILE *f;

	if (!opt.db_password_file) {
		if (env)
			opt.db_password = env;
		return true;
	}
	f = fopen(opt.db_password_file, "re");
	if (!f) {
		fprintf(stderr, PROG ": cannot read '%s': %s\n",
			opt.db_password_file, strerror(errno));
		return false;
	}
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\r\n")] = '\0';
	opt.db_password = buf;
	return true;
}

static bool parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "variant", required_argument, NULL, 'v' },
		{ "port", required_argument, NULL, 'p' },
		{ "pool", required_argument, NULL, 'n' },
		{ "db-socket", required_argument, NULL, 'S' },
		{ "db-host", required_argument, NULL, 'H' },
		{ "db-port", required_argument, NULL, 'P' },
		{ "db-user", required_argument, NULL, 'u' },
		{ "db-password-file", required_argument, NULL, 'w' },
		{ "db-name", required_argument, NULL, 'd' },
		{ "acquire-timeout", required_argument, NULL, 'a' },
		{ "db-timeout", required_argument, NULL, 't' },
		{ "exhausted-exit", required_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'v':
			if (!tc_parse_variant(PROG, optarg, &opt.variant))
				return false;
			break;
		case 'p':
			if (!tc_parse_uint(PROG, "--port", optarg, 1, 65535,
					   &opt.port))
				return false;
			break;
		case 'n':
			if (!tc_parse_uint(PROG, "--pool", optarg, 1, 1000,
					   &opt.pool_size))
				return false;
			break;
		case 'S':
			opt.db_socket = optarg;
			break;
		case 'H':
			opt.db_host = optarg;
			break;
		case 'P':
			if (!tc_parse_uint(PROG, "--db-port", optarg, 1, 65535,
					   &opt.db_port))
				return false;
			break;
		case 'u':
			opt.db_user = optarg;
			break;
		case 'w':
			opt.db_password_file = optarg;
			break;
		case 'd':
			opt.db_name = optarg;
			break;
		case 'a':
			if (!tc_parse_uint(PROG, "--acquire-timeout", optarg, 1,
					   3600000, &opt.acquire_timeout_ms))
				return false;
			break;
		case 't':
			if (!tc_parse_uint(PROG, "--db-timeout", optarg, 1, 3600,
					   &opt.db_timeout_s))
				return false;
			break;
		case 'x':
			if (!tc_parse_uint(PROG, "--exhausted-exit", optarg, 0,
					   3600000, &opt.exhausted_exit_ms))
				return false;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return false;
		}
	}
	if (optind < argc || !opt.port) {
		fprintf(stderr, PROG ": %s\n", optind < argc ?
			"unexpected argument" : "missing --port");
		usage(stderr);
		return false;
	}
	return read_password();
}

int main(int argc, char **argv)
{
	const char *fifo = getenv("FAULTRUN_FIU_FIFO");
	pthread_condattr_t ca;
	struct MHD_Daemon *d;
	pthread_t wd;
	sigset_t mask;
	int sig;

	if (!parse_args(argc, argv))
		return 2;
	signal(SIGPIPE, SIG_IGN);
	if (mysql_library_init(0, NULL, NULL)) {
		fprintf(stderr, PROG ": cannot initialise libmysqlclient\n");
		return 1;
	}
	fiu_init(0);
	if (fifo && *fifo) {
		if (fiu_rc_fifo(fifo) < 0) {
			fprintf(stderr, PROG ": cannot open libfiu remote control "
				"'%s-%d'\n", fifo, (int)getpid());
			return 1;
		}
		snprintf(fifo_in, sizeof(fifo_in), "%s-%d.in", fifo, (int)getpid());
		snprintf(fifo_out, sizeof(fifo_out), "%s-%d.out", fifo,
			 (int)getpid());
	}

	pool.conns = calloc(opt.pool_size, sizeof(*pool.conns));
	if (!pool.conns)
		return 1;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&pool.freed, &ca);

	/* threads inherit the mask: only the main thread takes SIGTERM */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);

	/* a thread per connection: a hung request does not block the others */
	d = th_start(PROG, opt.port,
		     MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL, handler,
		     NULL);
	if (!d)
		return 1;
	if (opt.variant == TC_FIXED && opt.exhausted_exit_ms &&
	    pthread_create(&wd, NULL, watchdog, NULL) != 0) {
		fprintf(stderr, PROG ": cannot start the watchdog\n");
		return 1;
	}
	fprintf(stderr, PROG ": listening on 127.0.0.1:%lu (variant %s, pool "
		"%lu, database %s)\n", opt.port,
		tc_variant_name(opt.variant), opt.pool_size,
		opt.db_socket ? opt.db_socket : opt.db_host);
	sigwait(&mask, &sig);
	/* hung request threads cannot be joined: leave without them */
	leave(0);
}
