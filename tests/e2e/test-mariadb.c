/*
 * End-to-end test of the embedded MariaDB (harness/core/mariadb.c): starts a
 * real mariadbd, connects over the socket and TCP as the target and as the
 * admin, checks the target's privileges are confined to its database, that
 * the server has only those two accounts (no root, no anonymous, no '%'),
 * listens on 127.0.0.1 only, and that the password file is the target's
 * password, 0600; stops it and checks the process and its files are gone;
 * then checks that a server whose owner is SIGKILLed dies too
 * (PR_SET_PDEATHSIG). As root, a run directory given to another user
 * (nobody) lets that user, and only it, use the socket and the file.
 *
 * Exit 77 (skip) when mariadbd is not installed. With --serve it is also the
 * database helper of the targets' shell tests (see serve()).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <mysql.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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
		}                                                          \
	} while (0)

static bool pid_alive(pid_t pid)
{
	char path[64], state = 0;
	FILE *f;

	/* a zombie is dead for our purpose */
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (fscanf(f, "%*d %*s %c", &state) != 1)
		state = 0;
	fclose(f);
	return state && state != 'Z' && state != 'X';
}

static bool wait_gone(pid_t pid, double timeout)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	for (double t = 0; t < timeout; t += 0.02) {
		if (!pid_alive(pid))
			return true;
		nanosleep(&ts, NULL);
	}
	return !pid_alive(pid);
}

/* Run one query, return the first column of the first row (static buffer). */
static const char *query1(MYSQL *m, const char *sql)
{
	static char buf[256];
	MYSQL_RES *res;
	MYSQL_ROW row;

	if (mysql_query(m, sql)) {
		snprintf(buf, sizeof(buf), "ERROR %u", mysql_errno(m));
		return buf;
	}
	res = mysql_store_result(m);
	if (!res)
		return "";
	row = mysql_fetch_row(res);
	snprintf(buf, sizeof(buf), "%s", row && row[0] ? row[0] : "NULL");
	mysql_free_result(res);
	return buf;
}

static MYSQL *connect_as(struct fr_mariadb *db, bool tcp, bool admin)
{
	MYSQL *m = mysql_init(NULL);
	unsigned int proto = tcp ? MYSQL_PROTOCOL_TCP : MYSQL_PROTOCOL_SOCKET;

	mysql_options(m, MYSQL_OPT_PROTOCOL, &proto);
	if (!mysql_real_connect(m, tcp ? fr_mariadb_host(db) : NULL,
				admin ? fr_mariadb_admin_user(db) : fr_mariadb_user(db),
				admin ? fr_mariadb_admin_password(db) :
					fr_mariadb_password(db),
				fr_mariadb_database(db), tcp ? fr_mariadb_port(db) : 0,
				tcp ? NULL : fr_mariadb_socket(db), 0)) {
		fprintf(stderr, "connect (%s, %s): %s\n", tcp ? "tcp" : "socket",
			admin ? "admin" : "target", mysql_error(m));
		mysql_close(m);
		return NULL;
	}
	return m;
}

/* A login that must be refused: user over the socket (tcp false) or TCP. */
static bool refused(struct fr_mariadb *db, bool tcp, const char *user, const char *password)
{
	MYSQL *m = mysql_init(NULL);
	unsigned int proto = tcp ? MYSQL_PROTOCOL_TCP : MYSQL_PROTOCOL_SOCKET;
	bool in;

	mysql_options(m, MYSQL_OPT_PROTOCOL, &proto);
	in = mysql_real_connect(m, tcp ? fr_mariadb_host(db) : NULL, user, password, NULL,
				tcp ? fr_mariadb_port(db) : 0, tcp ? NULL : fr_mariadb_socket(db),
				0) != NULL;
	if (!in && mysql_errno(m) != 1045) /* ER_ACCESS_DENIED_ERROR */
		fprintf(stderr, "# %s as '%s': %s\n", tcp ? "tcp" : "socket", user, mysql_error(m));
	mysql_close(m);
	return !in;
}

/* What the server lets in, and how the password reaches the target. */
static void check_accounts(struct fr_mariadb *db, MYSQL *admin, const char *run_dir)
{
	char path[512], buf[64] = "";
	struct stat st;
	ssize_t n = -1;
	int fd;

	CHECK(!strcmp(query1(admin, "SELECT GROUP_CONCAT(CONCAT(User, '@', Host) "
				    "ORDER BY User, Host) FROM mysql.global_priv"),
		      "app@127.0.0.1,app@localhost,faultrun@127.0.0.1,faultrun@localhost,"
		      "mariadb.sys@localhost"),
	      "accounts: %s", query1(admin, "SELECT GROUP_CONCAT(CONCAT(User, '@', Host)) "
					    "FROM mysql.global_priv"));
	CHECK(!strcmp(query1(admin, "SELECT JSON_EXTRACT(Priv, '$.account_locked') FROM "
				    "mysql.global_priv WHERE User = 'mariadb.sys'"),
		      "true"),
	      "mariadb.sys is not locked: %s",
	      query1(admin, "SELECT Priv FROM mysql.global_priv WHERE User = 'mariadb.sys'"));
	CHECK(!strcmp(query1(admin, "SELECT GROUP_CONCAT(DISTINCT User) FROM mysql.db"), "app"),
	      "database grants: %s",
	      query1(admin, "SELECT GROUP_CONCAT(DISTINCT User) FROM mysql.db"));
	CHECK(!strcmp(query1(admin, "SELECT COUNT(*) FROM mysql.proxies_priv"), "0"),
	      "proxy grants left");
	CHECK(!strcmp(query1(admin, "SELECT @@bind_address"), "127.0.0.1"), "bind address %s",
	      query1(admin, "SELECT @@bind_address"));
	CHECK(strstr(query1(admin, "SELECT @@secure_file_priv"), "/mariadb/tmp/"),
	      "secure_file_priv %s", query1(admin, "SELECT @@secure_file_priv"));
	CHECK(refused(db, false, "root", NULL), "root over the socket");
	CHECK(refused(db, true, "root", NULL), "root over tcp");
	/*
	 * An empty user name is the client's login name (libmariadb), so ask
	 * for a name nobody has: an anonymous account would take it.
	 */
	CHECK(refused(db, false, "nosuchuser", NULL), "anonymous over the socket");
	CHECK(refused(db, true, "nosuchuser", NULL), "anonymous over tcp");
	CHECK(refused(db, true, fr_mariadb_user(db), NULL), "the target without its password");
	CHECK(refused(db, true, fr_mariadb_admin_user(db), fr_mariadb_password(db)),
	      "the admin with the target's password");

	snprintf(path, sizeof(path), "%s/mariadb", run_dir);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0700, "%s: mode %o", path,
	      st.st_mode & 07777);
	CHECK(!strcmp(fr_mariadb_password_file(db), strcat(path, "/password")), "file %s",
	      fr_mariadb_password_file(db));
	CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600 && st.st_uid == geteuid(),
	      "%s: mode %o, uid %d", path, st.st_mode & 07777, (int)st.st_uid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = '\0';
	CHECK(!strcmp(buf, fr_mariadb_password(db)), "the file holds '%s'", buf);
	CHECK(strlen(fr_mariadb_password(db)) == 32 &&
		      strcmp(fr_mariadb_password(db), fr_mariadb_admin_password(db)),
	      "passwords");
}

static int test_start_query_stop(const char *run_dir)
{
	char err[512], dir[512];
	struct timespec t0, t1;
	struct fr_mariadb *db;
	struct stat st;
	MYSQL *m, *target;
	pid_t pid;
	int ret;

	ret = fr_mariadb_start(run_dir, &db, err, sizeof(err));
	if (ret == -ENOENT) {
		printf("# SKIP: %s\n", err);
		return ret;
	}
	CHECK(ret == 0, "%s", err);
	if (ret)
		return ret;
	pid = fr_mariadb_pid(db);
	printf("# mariadb %s started in %.3f s (%s cache), pid %d, port %u, "
	       "socket %s\n", fr_mariadb_version(db),
	       fr_mariadb_start_seconds(db),
	       fr_mariadb_cache_was_cold(db) ? "cold" : "warm", (int)pid,
	       fr_mariadb_port(db), fr_mariadb_socket(db));
	CHECK(pid_alive(pid), "server pid %d not running", (int)pid);
	CHECK(getpgid(pid) == pid, "server is not its own process group");

	m = connect_as(db, false, false);
	CHECK(m, "target over the socket");
	if (m) {
		CHECK(!strcmp(query1(m, "SELECT 1+1"), "2"), "select");
		CHECK(!strcmp(query1(m, "CREATE TABLE t (id INT PRIMARY KEY)"),
			      ""), "create table");
		CHECK(!strcmp(query1(m, "INSERT INTO t VALUES (1),(2),(3)"),
			      ""), "insert");
		CHECK(!strcmp(query1(m, "SELECT COUNT(*) FROM t"), "3"), "count");
		/* confined to its own database */
		CHECK(!strncmp(query1(m, "CREATE DATABASE other"), "ERROR", 5),
		      "target may create databases");
		mysql_close(m);
	}
	m = connect_as(db, true, false);
	CHECK(m, "target over tcp");
	if (m) {
		CHECK(!strcmp(query1(m, "SELECT COUNT(*) FROM t"), "3"),
		      "tcp count");
		mysql_close(m);
	}
	/* the admin sees the target's connections and can kill them */
	target = connect_as(db, false, false);
	m = connect_as(db, true, true);
	CHECK(m && target, "admin over tcp");
	if (m && target) {
		char sql[128];

		snprintf(sql, sizeof(sql), "KILL CONNECTION %s",
			 query1(target, "SELECT CONNECTION_ID()"));
		CHECK(strcmp(query1(m, "SELECT COUNT(*) > 0 FROM "
				    "information_schema.processlist "
				    "WHERE user = 'app'"), "1") == 0,
		      "processlist");
		CHECK(!strcmp(query1(m, sql), ""), "%s", sql);
		CHECK(!strncmp(query1(target, "SELECT 1"), "ERROR", 5),
		      "the killed connection still works");
		CHECK(!strcmp(query1(m, "SET GLOBAL max_connections = 50"), ""),
		      "admin set global");
		check_accounts(db, m, run_dir);
	}
	if (m)
		mysql_close(m);
	if (target)
		mysql_close(target);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	fr_mariadb_stop(db);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("# stopped in %.3f s\n", (t1.tv_sec - t0.tv_sec) +
	       (t1.tv_nsec - t0.tv_nsec) / 1e9);
	CHECK(wait_gone(pid, 0.5), "server pid %d still running after stop",
	      (int)pid);
	snprintf(dir, sizeof(dir), "%s/mariadb", run_dir);
	CHECK(stat(dir, &st) < 0 && errno == ENOENT, "%s left behind", dir);
	return 0;
}

/*
 * The owner of the server is SIGKILLed: no fr_mariadb_stop() runs, and the
 * server must still go (PDEATHSIG).
 */
static void test_dies_with_owner(const char *run_dir)
{
	int fds[2];
	pid_t owner, server = 0;
	ssize_t n;

	if (pipe(fds) < 0)
		return;
	owner = fork();
	if (owner == 0) {
		struct fr_mariadb *db;
		char err[512];

		close(fds[0]);
		if (fr_mariadb_start(run_dir, &db, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			_exit(1);
		}
		server = fr_mariadb_pid(db);
		if (write(fds[1], &server, sizeof(server)) < 0)
			_exit(1);
		pause();
		_exit(0);
	}
	close(fds[1]);
	n = read(fds[0], &server, sizeof(server));
	close(fds[0]);
	CHECK(n == sizeof(server), "owner did not start a server");
	kill(owner, SIGKILL);
	waitpid(owner, NULL, 0);
	if (n != sizeof(server))
		return;
	CHECK(wait_gone(server, 5), "server %d survived its owner's SIGKILL",
	      (int)server);
	if (pid_alive(server))
		kill(server, SIGKILL);
}

/* In a child as u: the socket with the password file's password; 0 when it worked. */
static int as_user(struct fr_mariadb *db, const struct passwd *u, bool use_file)
{
	int status = -1;
	pid_t pid = fork();

	if (pid == 0) {
		char pw[64] = "";
		MYSQL *m;
		int fd;

		if (setgroups(0, NULL) < 0 || setgid(u->pw_gid) < 0 || setuid(u->pw_uid) < 0)
			_exit(3);
		fd = open(fr_mariadb_password_file(db), O_RDONLY | O_CLOEXEC);
		if (use_file && (fd < 0 || read(fd, pw, sizeof(pw) - 1) <= 0))
			_exit(4);
		m = mysql_init(NULL);
		if (!mysql_real_connect(m, NULL, fr_mariadb_user(db), pw, fr_mariadb_database(db), 0,
					fr_mariadb_socket(db), 0)) {
			fprintf(stderr, "# as %s: %s\n", u->pw_name, mysql_error(m));
			_exit(5);
		}
		_exit(strcmp(query1(m, "SELECT 1"), "1") ? 6 : 0);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/*
 * Root, a run directory given to nobody (a target that runs as nobody):
 * nobody reaches the socket and reads its password file; a third user
 * (daemon) can do neither. Skipped when not root.
 */
static void test_other_owner(void)
{
	char run_dir[] = "/tmp/faultrun-test-mariadb-XXXXXX", err[512], dir[600];
	struct passwd *nobody, *daemon_u, nb, dm;
	struct fr_mariadb *db;
	struct stat st;

	nobody = getpwnam("nobody");
	if (nobody)
		nb = *nobody;
	daemon_u = getpwnam("daemon");
	if (daemon_u)
		dm = *daemon_u;
	if (geteuid() != 0 || !nobody || !daemon_u || !mkdtemp(run_dir)) {
		printf("# not root: the run directory of another user is not tested\n");
		return;
	}
	if (chown(run_dir, nb.pw_uid, nb.pw_gid) < 0 ||
	    fr_mariadb_start(run_dir, &db, err, sizeof(err)) < 0) {
		CHECK(0, "start for nobody: %s", err);
		rmdir(run_dir);
		return;
	}
	snprintf(dir, sizeof(dir), "%s/mariadb", run_dir);
	CHECK(stat(dir, &st) == 0 && (st.st_mode & 07777) == 0711, "%s: mode %o", dir,
	      st.st_mode & 07777);
	CHECK(stat(fr_mariadb_password_file(db), &st) == 0 && st.st_uid == nb.pw_uid &&
		      (st.st_mode & 07777) == 0600,
	      "the password file is not nobody's, 0600");
	CHECK(as_user(db, &nb, true) == 0, "nobody could not log in with its file");
	CHECK(as_user(db, &dm, true) == 4, "daemon could read nobody's password file");
	CHECK(as_user(db, &dm, false) == 5, "daemon logged in");
	fr_mariadb_stop(db);
	rmdir(run_dir);
}

/*
 * --serve RUN_DIR: a helper for the shell tests of the targets. Start a
 * server in RUN_DIR, write RUN_DIR/db.env (shell assignments: DB_HOST,
 * DB_PORT, DB_SOCKET, DB_USER, DB_PASSWORD, DB_PASSWORD_FILE, DB_NAME, DB_ADMIN_USER,
 * DB_ADMIN_PASSWORD, DB_PID, DB_START_SECONDS), then wait for SIGTERM or
 * SIGINT, and stop it.
 */
static int serve(const char *run_dir)
{
	char err[512], path[4096], tmp[4200];
	struct fr_mariadb *db;
	sigset_t mask;
	FILE *f;
	int sig;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	if (fr_mariadb_start(run_dir, &db, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/db.env", run_dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f) {
		perror(tmp);
		fr_mariadb_stop(db);
		return 1;
	}
	fprintf(f, "DB_HOST=%s\nDB_PORT=%u\nDB_SOCKET='%s'\nDB_USER=%s\n"
		"DB_PASSWORD=%s\nDB_PASSWORD_FILE='%s'\nDB_NAME=%s\nDB_ADMIN_USER=%s\n"
		"DB_ADMIN_PASSWORD=%s\nDB_PID=%d\nDB_START_SECONDS=%.3f\n",
		fr_mariadb_host(db), fr_mariadb_port(db), fr_mariadb_socket(db),
		fr_mariadb_user(db), fr_mariadb_password(db),
		fr_mariadb_password_file(db), fr_mariadb_database(db), fr_mariadb_admin_user(db),
		fr_mariadb_admin_password(db), (int)fr_mariadb_pid(db),
		fr_mariadb_start_seconds(db));
	fclose(f);
	rename(tmp, path); /* appears complete or not at all */
	sigwait(&mask, &sig);
	unlink(path);
	fr_mariadb_stop(db);
	return 0;
}

int main(int argc, char **argv)
{
	char run_dir[] = "/tmp/faultrun-test-mariadb-XXXXXX";
	char cmd[128];

	if (argc == 3 && !strcmp(argv[1], "--serve"))
		return serve(argv[2]);

	if (!mkdtemp(run_dir)) {
		perror("mkdtemp");
		return 1;
	}
	if (test_start_query_stop(run_dir) == -ENOENT) {
		rmdir(run_dir);
		return 77; /* mariadb-server is not installed */
	}
	test_start_query_stop(run_dir); /* again, warm, same run dir */
	test_dies_with_owner(run_dir);
	test_other_owner();

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", run_dir);
	if (system(cmd) != 0)
		failures++;
	printf("%s\n", failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}
