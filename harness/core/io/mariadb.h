/*
 * faultrun — the embedded MariaDB server of a run.
 *
 * When a scenario asks for a database and names no server, faultrun starts
 * Debian's mariadbd (MariaDB 10.4 or later) for the run: a private copy of a
 * cached, initialised data directory, a free TCP port on 127.0.0.1 only and
 * a unix socket inside the run directory, and a user and database for the
 * target. The server is tied to faultrun's life (PR_SET_PDEATHSIG) and
 * removed with the run.
 *
 * Nobody else gets in: the server has two accounts, the target's and
 * faultrun's, each for the socket ('localhost') and 127.0.0.1 only, with
 * passwords drawn from getrandom(2) for each run that are never put on a
 * command line (the server reads them from an --init-file, 0600, removed
 * once it is up). No root, no anonymous account, no `test` database. The
 * socket is inside the run directory (0700), so only its owner reaches it.
 *
 * Files, all under <run_dir>/mariadb/ (removed by fr_mariadb_stop()):
 *	data/		the data directory (copied or reflinked from the cache)
 *	sock		the unix socket
 *	password	the target's password (0600), for the target to read
 *	error.log	the server's error log
 *	tmp/, pid, init.sql
 * <run_dir>/mariadb is 0700, or 0711 when run_dir belongs to another user
 * than ours (the user a target runs as): that user may then reach the
 * socket, and the password file is given to it.
 *
 * The cache is ${XDG_CACHE_HOME:-$HOME/.cache}/faultrun/mariadb-<version>/,
 * filled once by mariadb-install-db and shared by concurrent runs (flock).
 *
 * Environment overrides: FAULTRUN_MARIADBD (server binary, default
 * FR_MARIADBD from config.h), FAULTRUN_MARIADB_INSTALL_DB (default
 * "mariadb-install-db" looked up in PATH).
 */
#ifndef FAULTRUN_MARIADB_H
#define FAULTRUN_MARIADB_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct fr_mariadb;

/*
 * Start a server for the run whose private directory is run_dir (it must
 * exist; the socket path <run_dir>/mariadb/sock must fit in sun_path, so
 * run_dir must be shorter than ~95 bytes). Blocks until the server accepts
 * connections from the target's user over both the socket and TCP, at most
 * ~20 s (plus a one-time mariadb-install-db when the cache is cold).
 *
 * Call it from the thread that lives as long as the run (the main thread):
 * PR_SET_PDEATHSIG fires when the *thread* that forked the server exits
 * (prctl(2)).
 * The server is a child of the caller: an event loop that reaps children
 * with waitpid(-1, ...) must leave fr_mariadb_pid() alone, or at least must
 * not mind fr_mariadb_stop() finding it already reaped.
 *
 * Returns 0 and sets *out, or -errno with a one-line message in err:
 * -ENOENT when mariadbd or mariadb-install-db is not installed (a test
 * may turn that into a skip), -ETIMEDOUT when the server did not get
 * ready in time, -ECHILD when it exited during start-up (the message quotes
 * the error log, which is then kept as <run_dir>/mariadb-error.log; all
 * else is removed), -ENAMETOOLONG when the socket path is too long.
 */
int fr_mariadb_start(const char *run_dir, struct fr_mariadb **out, char *err, size_t errlen);

/*
 * Stop the server: SIGTERM, wait up to a grace period (10 s) for a clean
 * shutdown, then SIGKILL its process group; then remove <run_dir>/mariadb/
 * and free db. Never blocks for more than ~12 s. NULL is a no-op.
 */
void fr_mariadb_stop(struct fr_mariadb *db);

/* Where to connect: TCP on fr_mariadb_host():fr_mariadb_port(), or the socket. */
const char *fr_mariadb_host(const struct fr_mariadb *db); /* "127.0.0.1" */
unsigned int fr_mariadb_port(const struct fr_mariadb *db);
const char *fr_mariadb_socket(const struct fr_mariadb *db);

/*
 * The target's account: all privileges on fr_mariadb_database() only.
 * The password is random per run; hand it to the target in its
 * environment or through fr_mariadb_password_file() (the password alone,
 * no newline), never on a command line: any local user can read those.
 */
const char *fr_mariadb_user(const struct fr_mariadb *db);
const char *fr_mariadb_password(const struct fr_mariadb *db);
const char *fr_mariadb_password_file(const struct fr_mariadb *db);
const char *fr_mariadb_database(const struct fr_mariadb *db);

/*
 * An administrator account (all privileges, random password per run) for
 * faultrun's own probes and actions: holding connections, killing the
 * target's connections (SHOW PROCESSLIST, KILL), SET GLOBAL.
 */
const char *fr_mariadb_admin_user(const struct fr_mariadb *db);
const char *fr_mariadb_admin_password(const struct fr_mariadb *db);

/* The server's pid (also its process group id). */
pid_t fr_mariadb_pid(const struct fr_mariadb *db);

/* The server version string, e.g. "10.11.19-MariaDB-0+deb12u1". */
const char *fr_mariadb_version(const struct fr_mariadb *db);

/*
 * Seconds (monotonic) the last successful fr_mariadb_start() took, and
 * whether it had to initialise the cache; for the run report and the docs.
 */
double fr_mariadb_start_seconds(const struct fr_mariadb *db);
bool fr_mariadb_cache_was_cold(const struct fr_mariadb *db);

#endif /* FAULTRUN_MARIADB_H */
