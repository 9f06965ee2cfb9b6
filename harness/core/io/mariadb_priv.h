/*
 * faultrun — what the parts of the embedded MariaDB server share
 * (mariadb.c: start, stop and the accounts; mariadb_datadir.c: the cached
 * data directory; mariadb_server.c: the server and helper processes).
 * Private to io/: nothing outside these three files includes it.
 */
#ifndef FAULTRUN_IO_MARIADB_PRIV_H
#define FAULTRUN_IO_MARIADB_PRIV_H

#include "io/mariadb.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* the target's account and database, and faultrun's own account */
#define TARGET_USER "app"
#define TARGET_DB "app"
#define ADMIN_USER "faultrun"

struct fr_mariadb {
	pid_t pid;
	int pidfd;
	unsigned int port;
	char *dir; /* <run_dir>/mariadb */
	char *sock;
	char *pwfile; /* the target's password, for the target */
	char *log;
	char *version;
	char password[33];
	char admin_password[33];
	uid_t owner; /* of the run directory: the target's user */
	gid_t group;
	double start_seconds;
	bool cold;
};

/*
 * Server options that the cached data directory depends on, NULL-ended:
 * mariadb-install-db and every server get them (mariadb_datadir.c).
 */
extern const char *const fr_mdb_data_opts[];

/* mariadb_datadir.c */

/*
 * Copy the cached data directory for version into dest, filling the cache
 * first if needed; *cold tells whether we had to.
 */
int fr_mdb_prepare_datadir(const char *version, const char *dest, bool *cold, char *err,
			   size_t errlen);
/* Remove path (a file or a whole tree); no symlinks followed. */
int fr_mdb_rm_tree(const char *path);
/*
 * Create path (it must not exist; a symlink is not followed) with mode,
 * write text, and give it to uid:gid unless uid is -1. 0, or -errno with
 * nothing left behind.
 */
int fr_mdb_write_file(const char *path, const char *text, mode_t mode, uid_t uid, gid_t gid);

/* mariadb_server.c */

double fr_mdb_now(void); /* CLOCK_MONOTONIC, in seconds */
void fr_mdb_sleep(double s);
/* $FAULTRUN_MARIADBD, else FR_MARIADBD from config.h */
const char *fr_mdb_server_path(void);
/* $FAULTRUN_MARIADB_INSTALL_DB, else mariadb-install-db on PATH */
const char *fr_mdb_install_db_path(void);
/*
 * Run a helper to completion with its output in out_path (or into a pipe
 * read into buf when buf is non-NULL). Returns its exit status (>= 0), or
 * -errno; 127 means it could not be executed.
 */
int fr_mdb_run_helper(char *const argv[], const char *out_path, char *buf, size_t buflen);
/* The version mariadbd bin reports, usable as a file name. */
int fr_mdb_server_version(const char *bin, char **version, char *err, size_t errlen);
/* The last "[ERROR]" line of a server or install log, else its last line. */
void fr_mdb_log_tail(const char *path, char *out, size_t outlen);
/* Fork and exec the server for db with --init-file=init_path. */
int fr_mdb_spawn(struct fr_mariadb *db, const char *init_path);
/* Wait up to timeout for the server to exit; true when it is gone. */
bool fr_mdb_wait_exit(struct fr_mariadb *db, double timeout);
/*
 * Poll until the server answers on the socket and then on TCP. Returns 0,
 * -ECHILD when it exited (its status is reaped), -ETIMEDOUT.
 */
int fr_mdb_wait_ready(struct fr_mariadb *db, double deadline);
/* SIGKILL the server's group and reap it. */
void fr_mdb_kill(struct fr_mariadb *db);

#endif /* FAULTRUN_IO_MARIADB_PRIV_H */
