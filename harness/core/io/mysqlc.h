/*
 * faultrun — MySQL/MariaDB from the event loop: probes (a query and its
 * first value) and timeline actions (run SQL, hold N connections, hold a
 * transaction's locks, kill a user's connections). Uses MariaDB
 * Connector/C's non-blocking API (mysql_*_start / _cont), so a stalled
 * server never blocks the loop.
 */
#ifndef FAULTRUN_MYSQLC_H
#define FAULTRUN_MYSQLC_H

#include "util/loop.h"

#include <stdbool.h>
#include <stdint.h>

struct fr_mysql_params {
	const char *host; /* TCP host, or NULL to use socket */
	unsigned port;
	const char *socket;
	const char *user, *password, *database;
	const char *target_user; /* the target's account (kill: target) */
	unsigned connect_timeout_ms, read_timeout_ms, write_timeout_ms;
};

struct fr_mysql_result {
	bool ok;       /* everything succeeded */
	bool answered; /* the server answered (a server error counts) */
	bool timeout;
	const char *first_value; /* first column of the first row, or NULL */
	unsigned held;		 /* hold: connections opened */
	char detail[240];
};

typedef void (*fr_mysql_fn)(void *arg, const struct fr_mysql_result *r);

struct fr_mysql_op;

/* Connect, run sql, report its first value, disconnect. */
struct fr_mysql_op *fr_mysql_query(struct fr_loop *l, const struct fr_mysql_params *p,
				   const char *sql, fr_mysql_fn fn, void *arg);

/*
 * What a timeline action does. The scenario model has its own enum for
 * the `mysql:` step (io does not depend on it): the caller converts.
 */
enum fr_mysql_verb {
	FR_MYSQL_DO_SQL,  /* run statements */
	FR_MYSQL_DO_HOLD, /* hold N connections open */
	FR_MYSQL_DO_LOCK, /* begin, run SQL (taking locks), never commit */
	FR_MYSQL_DO_KILL, /* kill every connection of a user */
};

/* A timeline action. */
struct fr_mysql_action {
	int op;		      /* enum fr_mysql_verb */
	const char *sql;      /* sql / lock */
	unsigned connections; /* hold */
	uint64_t for_ns;      /* hold/lock: how long, 0 = until cancelled */
	const char *kill_user;
};

/*
 * Start an action. fn runs once, when the action has taken effect (the
 * connections are open, the locks are taken, the statements ran); hold
 * and lock then keep their connections until for_ns passes or the op is
 * cancelled.
 */
struct fr_mysql_op *fr_mysql_action(struct fr_loop *l, const struct fr_mysql_params *p,
				    const struct fr_mysql_action *a, fr_mysql_fn fn, void *arg);

/*
 * Close every connection and free the op; fn is not called afterwards.
 * Safe to call from inside fn. NULL is a no-op.
 */
void fr_mysql_op_cancel(struct fr_mysql_op *op);

#endif /* FAULTRUN_MYSQLC_H */
