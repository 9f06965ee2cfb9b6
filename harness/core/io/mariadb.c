/*
 * faultrun — the embedded MariaDB server of a run (see mariadb.h): start,
 * stop, and the accounts.
 *
 * Start-up, in order:
 *  1. ask mariadbd for its version (the cache is per server version);
 *  2. copy the cached data directory for that version into
 *     <run_dir>/mariadb/data, filling the cache first if needed
 *     (mariadb_datadir.c);
 *  3. pick a free loopback port (bind port 0), write an --init-file that
 *     leaves only the target's account and faultrun's, with fresh random
 *     passwords, and the target's password file;
 *  4. start mariadbd and wait until it answers on the socket and over TCP
 *     (mariadb_server.c); a server that dies on the way is reported with
 *     the last error line of its log, and a lost race for the port is
 *     retried with another one.
 */
#define _GNU_SOURCE
#include "io/mariadb_priv.h"
#include "util/err.h"
#include "util/xalloc.h"

#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define READY_TIMEOUT_S 20.0
#define STOP_GRACE_S 10.0
#define PORT_ATTEMPTS 3

/* Random lowercase hex password, no quoting needed in SQL or a shell. */
static int random_hex(char *buf, size_t n)
{
	unsigned char raw[16];
	size_t i;

	if (n < 2 * sizeof(raw) + 1)
		return -EINVAL;
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return -errno ? -errno : -EIO;
	for (i = 0; i < sizeof(raw); i++)
		sprintf(buf + 2 * i, "%02x", raw[i]);
	return 0;
}

/* A loopback port nobody listens on right now (the server binds it later). */
static int pick_port(unsigned int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd, ret = 0;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		ret = -errno;
	else
		*port = ntohs(sa.sin_port);
	close(fd);
	return ret;
}

/*
 * The accounts, written to the --init-file that the server runs before it
 * accepts its first connection (mysqld --init-file, in the MariaDB
 * Knowledge Base's "mariadbd Options"): so no connection ever sees the
 * cached data directory's accounts.
 *
 * First every account and grant but mariadb.sys goes: root (unix_socket),
 * the user who ran mariadb-install-db, anonymous accounts, the `test`
 * database's grants, whatever an older cache holds. mariadb.sys is locked
 * (it cannot log in) and must stay: it is the definer of the system views
 * such as mysql.user. Then the target's account and faultrun's, each for
 * 'localhost' (the unix socket) and '127.0.0.1' (TCP: with
 * --skip-name-resolve a TCP client is matched by its address only), never
 * '%'. One statement per line: that is how the server reads the file.
 * Needs MariaDB 10.4 or later (mysql.global_priv).
 */
#define NOT_SYS " WHERE NOT (User = 'mariadb.sys' AND Host = 'localhost')"

static const char strip_sql[] = "DELETE FROM mysql.global_priv" NOT_SYS ";\n"
				"DELETE FROM mysql.db" NOT_SYS ";\n"
				"DELETE FROM mysql.tables_priv" NOT_SYS ";\n"
				"DELETE FROM mysql.columns_priv" NOT_SYS ";\n"
				"DELETE FROM mysql.procs_priv" NOT_SYS ";\n"
				"DELETE FROM mysql.proxies_priv;\n"
				"DELETE FROM mysql.roles_mapping;\n"
				"FLUSH PRIVILEGES;\n"
				"CREATE DATABASE IF NOT EXISTS `" TARGET_DB "`;\n";

static int write_init_sql(const char *path, const struct fr_mariadb *db)
{
	static const char *const hosts[] = { "localhost", "127.0.0.1" };
	const struct {
		const char *user, *password, *on, *with;
	} accounts[] = {
		{ TARGET_USER, db->password, "`" TARGET_DB "`.*", "" },
		{ ADMIN_USER, db->admin_password, "*.*", " WITH GRANT OPTION" },
	};
	char sql[4096];
	size_t n = 0;

	n += snprintf(sql, sizeof(sql), "%s", strip_sql);
	for (size_t i = 0; i < 2; i++)
		for (size_t h = 0; h < 2 && n < sizeof(sql); h++)
			n += snprintf(sql + n, sizeof(sql) - n,
				      "CREATE USER '%s'@'%s' IDENTIFIED BY '%s';\n"
				      "GRANT ALL PRIVILEGES ON %s TO '%s'@'%s'%s;\n",
				      accounts[i].user, hosts[h], accounts[i].password,
				      accounts[i].on, accounts[i].user, hosts[h], accounts[i].with);
	if (n >= sizeof(sql))
		return -ENOBUFS;
	return fr_mdb_write_file(path, sql, 0600, -1, -1);
}

static void db_free(struct fr_mariadb *db)
{
	free(db->dir);
	free(db->sock);
	free(db->pwfile);
	free(db->log);
	free(db->version);
	free(db);
}

/*
 * The server did not get ready: kill it, keep its log as
 * <run_dir>/mariadb-error.log (outside what we remove) and say why.
 */
static void start_failed(struct fr_mariadb *db, const char *run_dir, int why, const char *tail,
			 char *err, size_t errlen)
{
	char *kept_log = fr_xasprintf("%s/mariadb-error.log", run_dir);

	fr_mdb_kill(db);
	if (rename(db->log, kept_log) < 0) {
		free(kept_log);
		kept_log = NULL;
	}
	if (why == -ECHILD)
		fr_set_err(err, errlen, "mariadbd exited during start-up: %s (log: %s)", tail,
			   kept_log ? kept_log : "lost");
	else
		fr_set_err(err, errlen, "mariadbd not ready after %.0f s (log: %s)",
			   READY_TIMEOUT_S, kept_log ? kept_log : "lost");
	free(kept_log);
}

/*
 * Start the server on a free port and wait until it is ready (by t0 +
 * READY_TIMEOUT_S); when it lost the race for its port, try another one.
 */
static int start_server(struct fr_mariadb *db, const char *run_dir, const char *init, double t0,
			char *err, size_t errlen)
{
	char tail[512];
	int ret;

	for (int attempt = 1;; attempt++) {
		ret = pick_port(&db->port);
		if (ret < 0) {
			fr_set_err(err, errlen, "no free loopback port: %s", strerror(-ret));
			return ret;
		}
		ret = fr_mdb_spawn(db, init);
		if (ret < 0) {
			fr_set_err(err, errlen, "cannot start '%s': %s", fr_mdb_server_path(),
				   strerror(-ret));
			return ret;
		}
		ret = fr_mdb_wait_ready(db, t0 + READY_TIMEOUT_S);
		if (ret == 0)
			return 0;
		fr_mdb_log_tail(db->log, tail, sizeof(tail));
		if (ret != -ECHILD || attempt >= PORT_ATTEMPTS || !strstr(tail, "in use")) {
			start_failed(db, run_dir, ret, tail, err, errlen);
			return ret;
		}
		close(db->pidfd);
		db->pidfd = -1;
		db->pid = 0;
	}
}

/*
 * The data and temporary directories, the --init-file with the accounts,
 * and the target's password file: 0600, its user's (the run directory's
 * owner), in a directory nobody else can enter.
 */
static int prepare_files(struct fr_mariadb *db, const char *init, char *err, size_t errlen)
{
	char *datadir = fr_xasprintf("%s/data", db->dir);
	char *tmpdir = fr_xasprintf("%s/tmp", db->dir);
	bool theirs = db->owner != geteuid();
	const char *what = init;
	int ret;

	ret = fr_mdb_prepare_datadir(db->version, datadir, &db->cold, err, errlen);
	if (ret < 0)
		goto out;
	if (mkdir(tmpdir, 0700) < 0) {
		ret = -errno;
		fr_set_err(err, errlen, "cannot create '%s': %s", tmpdir, strerror(-ret));
		goto out;
	}
	if ((ret = random_hex(db->password, sizeof(db->password))) < 0 ||
	    (ret = random_hex(db->admin_password, sizeof(db->admin_password))) < 0 ||
	    (ret = write_init_sql(init, db)) < 0)
		goto err_write;
	what = db->pwfile;
	ret = fr_mdb_write_file(db->pwfile, db->password, 0600, theirs ? db->owner : (uid_t)-1,
				db->group);
	if (ret == 0)
		goto out;
err_write:
	fr_set_err(err, errlen, "cannot write '%s': %s", what, strerror(-ret));
out:
	free(datadir);
	free(tmpdir);
	return ret;
}

/*
 * <run_dir>/mariadb: ours, 0700; 0711 when the run directory is another
 * user's (a target that runs as that user): it may then pass through to
 * the socket and its password file, and list or read nothing else. Others
 * cannot reach it at all: the run directory is 0700.
 */
static int make_dir(struct fr_mariadb *db, const char *run_dir, char *err, size_t errlen)
{
	struct stat st;
	int ret;

	if (stat(run_dir, &st) < 0) {
		ret = -errno;
		fr_set_err(err, errlen, "cannot use '%s': %s", run_dir, strerror(-ret));
		return ret;
	}
	db->owner = st.st_uid;
	db->group = st.st_gid;
	if (mkdir(db->dir, 0700) < 0 || (db->owner != geteuid() && chmod(db->dir, 0711) < 0)) {
		ret = -errno;
		fr_set_err(err, errlen, "cannot create '%s': %s", db->dir, strerror(-ret));
		return ret;
	}
	return 0;
}

int fr_mariadb_start(const char *run_dir, struct fr_mariadb **out, char *err, size_t errlen)
{
	struct fr_mariadb *db = fr_xcalloc(1, sizeof(*db));
	char *init = fr_xasprintf("%s/mariadb/init.sql", run_dir);
	double t0 = fr_mdb_now();
	struct sockaddr_un sun;
	int ret;

	*out = NULL;
	db->pidfd = -1;
	db->dir = fr_xasprintf("%s/mariadb", run_dir);
	db->sock = fr_xasprintf("%s/mariadb/sock", run_dir);
	db->pwfile = fr_xasprintf("%s/mariadb/password", run_dir);
	db->log = fr_xasprintf("%s/mariadb/error.log", run_dir);
	if (strlen(db->sock) >= sizeof(sun.sun_path)) {
		ret = -ENAMETOOLONG;
		fr_set_err(err, errlen, "run directory '%s' is too long for a unix socket path",
			   run_dir);
		goto err_free;
	}
	ret = fr_mdb_server_version(fr_mdb_server_path(), &db->version, err, errlen);
	if (ret < 0)
		goto err_free;
	ret = make_dir(db, run_dir, err, errlen);
	if (ret < 0)
		goto err_free;
	ret = prepare_files(db, init, err, errlen);
	if (ret == 0)
		ret = start_server(db, run_dir, init, t0, err, errlen);
	unlink(init); /* it holds the passwords */
	if (ret < 0) {
		fr_mdb_rm_tree(db->dir);
		goto err_free;
	}
	free(init);
	db->start_seconds = fr_mdb_now() - t0;
	*out = db;
	return 0;

err_free:
	if (db->pidfd >= 0)
		close(db->pidfd);
	free(init);
	db_free(db);
	return ret;
}

void fr_mariadb_stop(struct fr_mariadb *db)
{
	if (!db)
		return;
	if (db->pid > 0) {
		kill(db->pid, SIGTERM);
		if (fr_mdb_wait_exit(db, STOP_GRACE_S)) {
			/* reaped: its pid (and group id) may be reused now */
			if (db->pidfd >= 0)
				close(db->pidfd);
			db->pidfd = -1;
			db->pid = 0;
		} else {
			fr_mdb_kill(db);
		}
	}
	fr_mdb_rm_tree(db->dir);
	db_free(db);
}

const char *fr_mariadb_host(const struct fr_mariadb *db)
{
	(void)db;
	return "127.0.0.1";
}

unsigned int fr_mariadb_port(const struct fr_mariadb *db)
{
	return db->port;
}

const char *fr_mariadb_socket(const struct fr_mariadb *db)
{
	return db->sock;
}

const char *fr_mariadb_user(const struct fr_mariadb *db)
{
	(void)db;
	return TARGET_USER;
}

const char *fr_mariadb_password(const struct fr_mariadb *db)
{
	return db->password;
}

const char *fr_mariadb_password_file(const struct fr_mariadb *db)
{
	return db->pwfile;
}

const char *fr_mariadb_database(const struct fr_mariadb *db)
{
	(void)db;
	return TARGET_DB;
}

const char *fr_mariadb_admin_user(const struct fr_mariadb *db)
{
	(void)db;
	return ADMIN_USER;
}

const char *fr_mariadb_admin_password(const struct fr_mariadb *db)
{
	return db->admin_password;
}

pid_t fr_mariadb_pid(const struct fr_mariadb *db)
{
	return db->pid;
}

const char *fr_mariadb_version(const struct fr_mariadb *db)
{
	return db->version;
}

double fr_mariadb_start_seconds(const struct fr_mariadb *db)
{
	return db->start_seconds;
}

bool fr_mariadb_cache_was_cold(const struct fr_mariadb *db)
{
	return db->cold;
}
