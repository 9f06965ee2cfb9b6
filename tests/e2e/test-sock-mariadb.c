/*
 * A libmysqlclient (MariaDB Connector/C) client against a REAL MariaDB
 * server (harness/core/mariadb.h: private socket and port, torn down
 * after), with the server's replies stalled by the shim: over TCP
 * (recv stall port=<server port>) and over the unix socket (recv stall
 * unix=<socket path>).
 *
 * - With MYSQL_OPT_READ_TIMEOUT the query fails with the client's own
 *   timeout error (CR_SERVER_LOST) on time, and after the stall is
 *   cleared a new connection queries fine.
 * - Without timeouts the query waits exactly until the stall is cleared
 *   and then returns its result.
 *
 * Then the shaping and closing faults on the same client over TCP: with
 * the server's replies cut into 1..7-byte reads and jittered
 * (recv delay=... jitter=... slice=1..7) the query still returns 42; with
 * the connection ended after 8 bytes of a reply (recv close-after=8) the
 * query fails with the client's lost-connection error, and a new
 * connection works once the rule is cleared.
 *
 * The server runs without the shim; each client is this program again
 * (--client) under LD_PRELOAD=$FAULTRUN_SHIM with a private control
 * block that the test arms and disarms, talking to the test over a pipe.
 * Exit 77 (skip) when mariadbd is not installed.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <errmsg.h>
#include <fcntl.h>
#include <limits.h>
#include <mysql.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <faultrun/control.h>

#include "io/mariadb.h"

static int failures;

#define CHECK(cond, ...)                                                   \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__,      \
				__LINE__, #cond);                          \
			fprintf(stderr, __VA_ARGS__);                      \
			fputc('\n', stderr);                               \
			failures++;                                        \
		} else {                                                   \
			printf("ok - %s\n", #cond);                        \
		}                                                          \
	} while (0)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the client (under the shim) --------------------------------------- */

/*
 * --client MODE tcp|unix HOST PORT SOCKET USER - DB, the password in
 * $TEST_DB_PASSWORD (never on a command line, where any user could read it).
 * MODE timeout: read timeout 2 s; wait: no timeouts.
 * Protocol on stdout/stdin: "ready" -> (test arms) "go" -> the query's
 * outcome "result <value> <end time>" or "error <errno> <elapsed>" ->
 * (test disarms) "go" -> "after <value>" from a new connection.
 */
static MYSQL *client_connect(char **a, bool timeouts)
{
	MYSQL *m = mysql_init(NULL);
	bool tcp = strcmp(a[1], "tcp") == 0;
	unsigned int proto = tcp ? MYSQL_PROTOCOL_TCP : MYSQL_PROTOCOL_SOCKET;
	unsigned int t = 2;

	mysql_options(m, MYSQL_OPT_PROTOCOL, &proto);
	if (timeouts) {
		mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &t);
		mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &t);
	}
	if (!mysql_real_connect(m, tcp ? a[2] : NULL, a[5],
				getenv("TEST_DB_PASSWORD"), a[7],
				tcp ? (unsigned)atoi(a[3]) : 0,
				tcp ? NULL : a[4], 0)) {
		printf("connect-error %u %s\n", mysql_errno(m), mysql_error(m));
		fflush(stdout);
		exit(2);
	}
	return m;
}

static const char *one(MYSQL *m, const char *sql, char *buf, size_t len)
{
	MYSQL_RES *res;
	MYSQL_ROW row;

	if (mysql_query(m, sql))
		return NULL;
	res = mysql_store_result(m);
	if (!res)
		return NULL;
	row = mysql_fetch_row(res);
	snprintf(buf, len, "%s", row && row[0] ? row[0] : "NULL");
	mysql_free_result(res);
	return buf;
}

static void wait_go(void)
{
	char line[32];

	if (!fgets(line, sizeof(line), stdin))
		exit(3);
}

static int client(char **a)
{
	bool timeouts = strcmp(a[0], "timeout") == 0;
	char buf[64];
	const char *v;
	MYSQL *m = client_connect(a, timeouts);
	double t0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!one(m, "SELECT 1", buf, sizeof(buf)))
		return 4;
	printf("ready\n");
	wait_go();
	t0 = now();
	v = one(m, "SELECT 6*7", buf, sizeof(buf));
	if (v)
		printf("result %s %.6f\n", v, now());
	else
		printf("error %u %.3f %s\n", mysql_errno(m), now() - t0,
		       mysql_error(m));
	mysql_close(m);
	wait_go();
	m = client_connect(a, timeouts);
	v = one(m, "SELECT 6*9", buf, sizeof(buf));
	printf("after %s\n", v ? v : "error");
	mysql_close(m);
	return 0;
}

/* ---- the test ------------------------------------------------------------ */

struct child {
	pid_t pid;
	FILE *in, *out;
};

static const char *shim;
static char ctl_path[PATH_MAX];

/*
 * Under ASan/TSan built with gcc the sanitizer runtime is a shared library
 * that must come first in LD_PRELOAD, as faultrun keeps it (and as
 * tests/shim/shimtest.c does): the one this test was linked with, or NULL.
 */
static const char *sanitizer_runtime(void)
{
	static const char *const inits[] = { "__asan_init", "__tsan_init" };
	Dl_info info;

	for (size_t i = 0; i < sizeof(inits) / sizeof(inits[0]); i++) {
		void *p = dlsym(RTLD_DEFAULT, inits[i]);

		if (p && dladdr(p, &info) && info.dli_fname &&
		    strstr(info.dli_fname, ".so"))
			return info.dli_fname;
	}
	return NULL;
}

static void start_client(struct child *ch, struct fr_mariadb *db,
			 const char *mode, const char *via)
{
	char port[16], *argv[12], env_ctl[PATH_MAX + 32];
	char env_pre[2 * PATH_MAX + 16], env_pw[64];
	const char *rt = sanitizer_runtime();
	int to[2], from[2];

	snprintf(port, sizeof(port), "%u", fr_mariadb_port(db));
	snprintf(env_ctl, sizeof(env_ctl), "%s=%s", FR_CTL_ENV, ctl_path);
	snprintf(env_pre, sizeof(env_pre), "LD_PRELOAD=%s%s%s", rt ? rt : "",
		 rt ? ":" : "", shim);
	snprintf(env_pw, sizeof(env_pw), "TEST_DB_PASSWORD=%s",
		 fr_mariadb_password(db));
	if (pipe(to) < 0 || pipe(from) < 0)
		exit(1);
	fflush(NULL);
	ch->pid = fork();
	if (ch->pid == 0) {
		dup2(to[0], 0);
		dup2(from[1], 1);
		close(to[1]);
		close(from[0]);
		putenv(env_ctl);
		putenv(env_pre);
		putenv(env_pw);
		argv[0] = "test-sock-mariadb";
		argv[1] = "--client";
		argv[2] = (char *)mode;
		argv[3] = (char *)via;
		argv[4] = (char *)fr_mariadb_host(db);
		argv[5] = port;
		argv[6] = (char *)fr_mariadb_socket(db);
		argv[7] = (char *)fr_mariadb_user(db);
		argv[8] = "-"; /* the password: $TEST_DB_PASSWORD */
		argv[9] = (char *)fr_mariadb_database(db);
		argv[10] = NULL;
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	ch->in = fdopen(to[1], "w");
	ch->out = fdopen(from[0], "r");
	setvbuf(ch->in, NULL, _IOLBF, 0);
}

static bool read_line(struct child *ch, char *buf, size_t len)
{
	if (!fgets(buf, (int)len, ch->out))
		return false;
	buf[strcspn(buf, "\n")] = '\0';
	printf("# client: %s\n", buf);
	return true;
}

static int finish_client(struct child *ch)
{
	int status = 0;

	fclose(ch->in);
	fclose(ch->out);
	waitpid(ch->pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* With a read timeout: the client's own error, on time; fine after. */
static void with_timeout(struct fr_ctl *c, int slot, struct fr_mariadb *db,
			 const char *via)
{
	struct child ch;
	char line[256];
	unsigned err = 0;
	double secs = 0;

	printf("# %s, MYSQL_OPT_READ_TIMEOUT=2\n", via);
	start_client(&ch, db, "timeout", via);
	CHECK(read_line(&ch, line, sizeof(line)) && !strcmp(line, "ready"),
	      "%s: client not ready: %s", via, line);
	fr_ctl_set_armed(c, (unsigned)slot, true);
	fputs("go\n", ch.in);
	CHECK(read_line(&ch, line, sizeof(line)) &&
		      sscanf(line, "error %u %lf", &err, &secs) == 2,
	      "%s: the stalled query did not fail: %s", via, line);
	CHECK(err == CR_SERVER_LOST, "%s: error %u, wanted %d (lost connection)",
	      via, err, CR_SERVER_LOST);
	/* Connector/C waits its timeout once, not three times */
	CHECK(secs >= 1.9 && secs < 7, "%s: the timeout took %.3f s", via, secs);
	fr_ctl_set_armed(c, (unsigned)slot, false);
	fputs("go\n", ch.in);
	CHECK(read_line(&ch, line, sizeof(line)) && !strcmp(line, "after 54"),
	      "%s: no answer after the stall was cleared: %s", via, line);
	CHECK(finish_client(&ch) == 0, "%s: client failed", via);
}

/* Without timeouts: it waits exactly until the stall is cleared. */
static void without_timeout(struct fr_ctl *c, int slot, struct fr_mariadb *db,
			    const char *via)
{
	struct child ch;
	char line[256], value[32] = "";
	double end = 0, cleared;

	printf("# %s, no timeouts\n", via);
	start_client(&ch, db, "wait", via);
	CHECK(read_line(&ch, line, sizeof(line)) && !strcmp(line, "ready"),
	      "%s: client not ready: %s", via, line);
	fr_ctl_set_armed(c, (unsigned)slot, true);
	fputs("go\n", ch.in);
	sleep(3);
	cleared = now();
	fr_ctl_set_armed(c, (unsigned)slot, false);
	CHECK(read_line(&ch, line, sizeof(line)) &&
		      sscanf(line, "result %31s %lf", value, &end) == 2,
	      "%s: no result: %s", via, line);
	CHECK(!strcmp(value, "42"), "%s: result '%s'", via, value);
	printf("# %s: the result came %.3f ms after the stall was cleared\n",
	       via, (end - cleared) * 1e3);
	CHECK(end >= cleared && end - cleared < 1.0,
	      "%s: returned %.3f s after the clear", via, end - cleared);
	fputs("go\n", ch.in);
	CHECK(read_line(&ch, line, sizeof(line)) && !strcmp(line, "after 54"),
	      "%s: %s", via, line);
	CHECK(finish_client(&ch) == 0, "%s: client failed", via);
}

/*
 * A query under a shaping or closing rule: its outcome ("result 42" or
 * "error N") starts with want; a new connection works after the clear.
 */
static void shaped(struct fr_ctl *c, int slot, struct fr_mariadb *db,
		   const char *what, const char *want)
{
	struct child ch;
	char line[256];

	printf("# tcp, %s\n", what);
	start_client(&ch, db, "timeout", "tcp");
	CHECK(read_line(&ch, line, sizeof(line)) && !strcmp(line, "ready"),
	      "%s: client not ready: %s", what, line);
	fr_ctl_set_armed(c, (unsigned)slot, true);
	fputs("go\n", ch.in);
	CHECK(read_line(&ch, line, sizeof(line)) &&
		      !strncmp(line, want, strlen(want)),
	      "%s: the query gave '%s', wanted '%s...'", what, line, want);
	fr_ctl_set_armed(c, (unsigned)slot, false);
	fputs("go\n", ch.in);
	CHECK(read_line(&ch, line, sizeof(line)) && !strcmp(line, "after 54"),
	      "%s: no answer after the rule was cleared: %s", what, line);
	CHECK(finish_client(&ch) == 0, "%s: client failed", what);
	CHECK(atomic_load(&c->slots[slot].injected) >= 1,
	      "%s: the rule never fired", what);
}

static int add_rule(struct fr_ctl *c, const char *spec)
{
	struct fr_rule r;
	char err[256];
	int slot;

	if (fr_spec_parse(spec, &r, fr_ctl_count(c), err, sizeof(err)) < 0) {
		fprintf(stderr, "bad spec '%s': %s\n", spec, err);
		exit(1);
	}
	slot = fr_ctl_add(c, &r, false);
	if (slot < 0)
		exit(1);
	return slot;
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/frsock-XXXXXX", err[512], spec[PATH_MAX + 64];
	struct fr_mariadb *db;
	struct fr_ctl *c;
	int ret, tcp, unx;

	if (argc >= 10 && !strcmp(argv[1], "--client"))
		return client(argv + 2);
	signal(SIGPIPE, SIG_IGN);
	shim = getenv("FAULTRUN_SHIM");
	if (!shim || access(shim, R_OK) != 0) {
		fprintf(stderr, "FAULTRUN_SHIM must name the built shim\n");
		return 1;
	}
	if (!mkdtemp(dir))
		return 1;
	ret = fr_mariadb_start(dir, &db, err, sizeof(err));
	if (ret == -ENOENT) {
		printf("# SKIP: %s\n", err);
		rmdir(dir);
		return 77;
	}
	if (ret < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	printf("# mariadb %s on port %u and %s\n", fr_mariadb_version(db),
	       fr_mariadb_port(db), fr_mariadb_socket(db));
	snprintf(ctl_path, sizeof(ctl_path), "%s/ctl", dir);
	if (fr_ctl_create(ctl_path, 42, &c) < 0)
		return 1;
	snprintf(spec, sizeof(spec), "name=tcp recv stall port=%u",
		 fr_mariadb_port(db));
	tcp = add_rule(c, spec);
	snprintf(spec, sizeof(spec), "name=unix recv stall unix=%s",
		 fr_mariadb_socket(db));
	unx = add_rule(c, spec);

	with_timeout(c, tcp, db, "tcp");
	with_timeout(c, unx, db, "unix");
	without_timeout(c, tcp, db, "tcp");
	without_timeout(c, unx, db, "unix");
	CHECK(atomic_load(&c->slots[tcp].injected) >= 2, "tcp rule never fired");
	CHECK(atomic_load(&c->slots[unx].injected) >= 2, "unix rule never fired");

	snprintf(spec, sizeof(spec),
		 "name=sliced recv delay=2ms jitter=2ms slice=1..7 port=%u",
		 fr_mariadb_port(db));
	shaped(c, add_rule(c, spec), db, "recv delay=2ms jitter=2ms slice=1..7",
	       "result 42");
	snprintf(spec, sizeof(spec), "name=cut recv close-after=8 port=%u",
		 fr_mariadb_port(db));
	snprintf(err, sizeof(err), "error %d", CR_SERVER_LOST);
	shaped(c, add_rule(c, spec), db, "recv close-after=8", err);

	fr_mariadb_stop(db);
	fr_ctl_close(c);
	unlink(ctl_path);
	rmdir(dir);
	printf("# %d failure(s)\n", failures);
	return failures ? 1 : 0;
}
