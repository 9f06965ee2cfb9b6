/*
 * MySQL on the event loop with MariaDB Connector/C's non-blocking API.
 * See mysqlc.h.
 *
 * Each connection runs a little script: connect, then its statements in
 * order (each: query, then every result set stored and freed). When the
 * script ends, the op decides what comes next. Callbacks into the runner
 * are always the last thing a handler does, so the runner may cancel the
 * op from inside them.
 */
#define _GNU_SOURCE
#include "io/mysqlc.h"
#include "util/xalloc.h"

#include <errno.h>
#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

enum cstate { C_CONNECT, C_QUERY, C_STORE, C_NEXT, C_IDLE, C_DEAD };

struct conn {
	struct fr_mysql_op *op;
	MYSQL *m;
	int fd;
	struct fr_watch w;
	struct fr_timer t;
	enum cstate state;
	char **sqls;
	size_t nsql, isql;
	MYSQL *ret_m;
	int ret_i;
	MYSQL_RES *res;
	bool failed;
	unsigned err_no;
	char err[200];
};

enum opkind { OP_QUERY, OP_SQL, OP_HOLD, OP_LOCK, OP_KILL };

/* conn_step(): no call in flight (the connection failed or went idle) */
enum { STEP_STOP = -1 };

/* The string members of struct fr_mysql_params, which the op copies. */
#define NPARAM_STRS 6

struct fr_mysql_op {
	struct fr_loop *loop;
	enum opkind kind;
	struct fr_mysql_params p;
	char *strs[NPARAM_STRS]; /* the copies p points to */
	char *sql;		 /* the statement of query, sql, lock, kill */
	struct conn *conns;
	size_t nconns;
	size_t ndone, nok;
	fr_mysql_fn fn;
	void *arg;
	bool reported;
	uint64_t for_ns;
	struct fr_timer hold;
	char *first;
	unsigned long *ids; /* kill: connection ids */
	size_t nids;
	char *kill_user;
	char last_err[200];
	struct fr_timer start;
	int depth;	/* handlers of this op on the stack */
	bool cancelled; /* freed when the outermost handler returns */
};

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;

static void lib_init(void)
{
	mysql_library_init(0, NULL, NULL);
}

static void conn_resume(struct conn *c, int st);
static void conn_completed(struct conn *c);
static void op_conn_done(struct conn *c);

static void op_free(struct fr_mysql_op *op);
static void on_start(struct fr_timer *t);

/*
 * Handlers bracket their work with enter/leave, so that the runner can
 * cancel the op from a callback without freeing memory still in use.
 */
static void enter(struct fr_mysql_op *op)
{
	op->depth++;
}

static void leave(struct fr_mysql_op *op)
{
	if (--op->depth == 0 && op->cancelled)
		op_free(op);
}

static void on_event(struct fr_watch *w, uint32_t events)
{
	struct conn *c = w->arg;
	struct fr_mysql_op *op = c->op;
	int st = 0;

	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		st |= MYSQL_WAIT_READ;
	if (events & EPOLLOUT)
		st |= MYSQL_WAIT_WRITE;
	if (events & EPOLLPRI)
		st |= MYSQL_WAIT_EXCEPT;
	enter(op);
	conn_resume(c, st);
	leave(op);
}

static void on_timer(struct fr_timer *t)
{
	struct conn *c = t->arg;
	struct fr_mysql_op *op = c->op;

	enter(op);
	conn_resume(c, MYSQL_WAIT_TIMEOUT);
	leave(op);
}

/* Wait for what the connector asked for. */
static void conn_wait(struct conn *c, int status)
{
	struct fr_loop *l = c->op->loop;
	uint32_t ev = 0;

	if (status & MYSQL_WAIT_READ)
		ev |= EPOLLIN;
	if (status & MYSQL_WAIT_WRITE)
		ev |= EPOLLOUT;
	if (status & MYSQL_WAIT_EXCEPT)
		ev |= EPOLLPRI;
	if (c->fd < 0)
		c->fd = (int)mysql_get_socket(c->m);
	if (c->w.fd < 0 && c->fd >= 0)
		fr_watch_start(l, &c->w, c->fd, ev);
	else if (c->w.fd >= 0)
		fr_watch_modify(l, &c->w, ev);
	if (status & MYSQL_WAIT_TIMEOUT)
		fr_timer_start(l, &c->t,
			       fr_loop_now(l) +
				       (uint64_t)mysql_get_timeout_value_ms(c->m) * 1000000ull);
	else
		fr_timer_stop(l, &c->t);
}

static void conn_fail(struct conn *c)
{
	c->failed = true;
	c->err_no = mysql_errno(c->m);
	snprintf(c->err, sizeof(c->err), "%s", mysql_error(c->m));
	if (!c->err[0])
		snprintf(c->err, sizeof(c->err), "MySQL error %u", c->err_no);
	c->state = C_DEAD;
	op_conn_done(c);
}

static void conn_close(struct conn *c)
{
	struct fr_loop *l = c->op->loop;

	fr_watch_stop(l, &c->w);
	fr_timer_stop(l, &c->t);
	if (c->res) {
		mysql_free_result(c->res);
		c->res = NULL;
	}
	if (c->m) {
		/* never wait on a server that stopped answering */
		if (c->state != C_IDLE && c->fd >= 0)
			shutdown(c->fd, SHUT_RDWR);
		mysql_close(c->m);
		c->m = NULL;
	}
	c->fd = -1;
	c->state = C_DEAD;
}

/* A result set arrived: note the first value, collect ids for kill. */
static void conn_result(struct conn *c)
{
	struct fr_mysql_op *op = c->op;
	MYSQL_ROW row;

	if (!c->res)
		return;
	while ((row = mysql_fetch_row(c->res))) {
		if (mysql_num_fields(c->res) < 1)
			break;
		if (!op->first)
			op->first = fr_xstrdup(row[0] ? row[0] : "NULL");
		if (op->kind == OP_KILL && c->isql == 0 && row[0]) {
			op->ids = fr_xreallocarray(op->ids, op->nids + 1, sizeof(*op->ids));
			op->ids[op->nids++] = strtoul(row[0], NULL, 10);
		} else if (op->kind != OP_KILL) {
			break;
		}
	}
	mysql_free_result(c->res);
	c->res = NULL;
}

/*
 * Start statement c->isql of the script or, past its end, let the
 * connection idle and tell the op. Returns what the connector waits for,
 * 0 when the statement completed at once, or STEP_STOP.
 */
static int conn_statement(struct conn *c)
{
	const char *q;

	if (c->isql >= c->nsql) {
		c->state = C_IDLE;
		fr_watch_stop(c->op->loop, &c->w);
		op_conn_done(c);
		return STEP_STOP;
	}
	c->state = C_QUERY;
	q = c->sqls[c->isql];
	return mysql_real_query_start(&c->ret_i, c->m, q, (unsigned long)strlen(q));
}

/*
 * Act on the call that just finished (its result is in ret_m/ret_i/res)
 * and start the next one. Returns what the connector waits for, 0 when
 * the next call completed at once too, or STEP_STOP.
 */
static int conn_step(struct conn *c)
{
	switch (c->state) {
	case C_CONNECT:
		if (!c->ret_m)
			break;
		c->isql = 0;
		return conn_statement(c);
	case C_QUERY:
		if (c->ret_i && c->op->kind == OP_KILL && c->isql > 0 &&
		    mysql_errno(c->m) == ER_NO_SUCH_THREAD) {
			/* it ended on its own meanwhile */
			c->isql++;
			return conn_statement(c);
		}
		if (c->ret_i)
			break;
		c->state = C_STORE;
		return mysql_store_result_start(&c->res, c->m);
	case C_STORE:
		if (!c->res && mysql_field_count(c->m))
			break;
		conn_result(c);
		if (!mysql_more_results(c->m)) {
			c->isql++;
			return conn_statement(c);
		}
		c->state = C_NEXT;
		return mysql_next_result_start(&c->ret_i, c->m);
	case C_NEXT:
		if (c->ret_i > 0)
			break;
		if (c->ret_i < 0) {
			c->isql++;
			return conn_statement(c);
		}
		c->state = C_STORE;
		return mysql_store_result_start(&c->res, c->m);
	default:
		return STEP_STOP;
	}
	conn_fail(c);
	return STEP_STOP;
}

/* Go on after a call returned status s: wait for the connector, or step. */
static void conn_continue(struct conn *c, int s)
{
	if (s > 0)
		conn_wait(c, s);
	else if (s == 0)
		conn_completed(c);
}

/* The current call finished: step while calls complete at once. */
static void conn_completed(struct conn *c)
{
	int s;

	do {
		fr_timer_stop(c->op->loop, &c->t);
		s = conn_step(c);
	} while (s == 0);
	conn_continue(c, s);
}

/* The connector is ready to go on (st: what happened). */
static void conn_resume(struct conn *c, int st)
{
	int s;

	switch (c->state) {
	case C_CONNECT:
		s = mysql_real_connect_cont(&c->ret_m, c->m, st);
		break;
	case C_QUERY:
		s = mysql_real_query_cont(&c->ret_i, c->m, st);
		break;
	case C_STORE:
		s = mysql_store_result_cont(&c->res, c->m, st);
		break;
	case C_NEXT:
		s = mysql_next_result_cont(&c->ret_i, c->m, st);
		break;
	default:
		return;
	}
	conn_continue(c, s);
}

static int conn_start(struct fr_mysql_op *op, struct conn *c)
{
	const struct fr_mysql_params *p = &op->p;
	unsigned ct = (p->connect_timeout_ms + 999) / 1000;
	unsigned rt = (p->read_timeout_ms + 999) / 1000;
	unsigned wt = (p->write_timeout_ms + 999) / 1000;
	int s;

	c->op = op;
	c->fd = -1;
	fr_watch_init(&c->w, on_event, c);
	fr_timer_init(&c->t, on_timer, c);
	c->m = mysql_init(NULL);
	if (!c->m)
		return -ENOMEM;
	mysql_options(c->m, MYSQL_OPT_NONBLOCK, 0);
	if (ct)
		mysql_options(c->m, MYSQL_OPT_CONNECT_TIMEOUT, &ct);
	if (rt)
		mysql_options(c->m, MYSQL_OPT_READ_TIMEOUT, &rt);
	if (wt)
		mysql_options(c->m, MYSQL_OPT_WRITE_TIMEOUT, &wt);
	if (p->host) {
		unsigned proto = MYSQL_PROTOCOL_TCP;
		mysql_options(c->m, MYSQL_OPT_PROTOCOL, &proto);
	}
	c->state = C_CONNECT;
	s = mysql_real_connect_start(&c->ret_m, c->m, p->host, p->user, p->password, p->database,
				     p->port, p->host ? NULL : p->socket, CLIENT_MULTI_STATEMENTS);
	conn_continue(c, s);
	return 0;
}

/* kill: statements 1.. are the KILLs it added, allocated here */
static void free_kill_statements(struct fr_mysql_op *op, struct conn *c)
{
	if (op->kind != OP_KILL)
		return;
	for (size_t i = 1; i < c->nsql; i++)
		free(c->sqls[i]);
	c->nsql = c->nsql ? 1 : 0;
}

static void op_free(struct fr_mysql_op *op)
{
	for (size_t i = 0; i < op->nconns; i++) {
		conn_close(&op->conns[i]);
		free_kill_statements(op, &op->conns[i]);
		free(op->conns[i].sqls);
	}
	fr_timer_stop(op->loop, &op->hold);
	fr_timer_stop(op->loop, &op->start);
	free(op->conns);
	for (size_t i = 0; i < NPARAM_STRS; i++)
		free(op->strs[i]);
	free(op->sql);
	free(op->first);
	free(op->ids);
	free(op->kill_user);
	free(op);
}

void fr_mysql_op_cancel(struct fr_mysql_op *op)
{
	if (!op)
		return;
	if (!op->depth) {
		op_free(op);
		return;
	}
	op->cancelled = true;
	for (size_t i = 0; i < op->nconns; i++)
		conn_close(&op->conns[i]);
	fr_timer_stop(op->loop, &op->hold);
	fr_timer_stop(op->loop, &op->start);
}

static void report(struct fr_mysql_op *op, struct fr_mysql_result *r)
{
	fr_mysql_fn fn = op->fn;

	if (op->reported || op->cancelled)
		return;
	op->reported = true;
	fn(op->arg, r); /* last: the runner may cancel op here */
}

static void fill_error(struct fr_mysql_result *r, const struct conn *c)
{
	/* 1xxx: the server answered with an error; 2xxx: the client gave up */
	r->answered = c->err_no > 0 && c->err_no < 2000;
	r->timeout = c->err_no == CR_SERVER_LOST || strstr(c->err, "timeout") ||
		     strstr(c->err, "Timeout");
	snprintf(r->detail, sizeof(r->detail), "%s", c->err);
}

static void on_hold_over(struct fr_timer *t)
{
	struct fr_mysql_op *op = t->arg;

	/* the locks and connections go; the op stays until cancelled */
	for (size_t i = 0; i < op->nconns; i++)
		conn_close(&op->conns[i]);
}

/* query, sql: report the first value, or the error. */
static void query_done(struct fr_mysql_op *op, struct conn *c)
{
	struct fr_mysql_result r = { 0 };

	if (c->failed) {
		fill_error(&r, c);
	} else {
		r.ok = r.answered = true;
		r.first_value = op->first;
		if (op->kind == OP_QUERY)
			snprintf(r.detail, sizeof(r.detail), "%s",
				 op->first ? op->first : "no rows");
		else
			snprintf(r.detail, sizeof(r.detail), "ok%s%s", op->first ? ": " : "",
				 op->first ? op->first : "");
	}
	conn_close(c);
	report(op, &r);
}

/* hold: once every connection is open (or failed), report how many are. */
static void hold_done(struct fr_mysql_op *op)
{
	struct fr_mysql_result r = { 0 };

	if (op->ndone < op->nconns)
		return;
	r.held = (unsigned)op->nok;
	r.ok = op->nok == op->nconns;
	r.answered = true;
	if (r.ok)
		snprintf(r.detail, sizeof(r.detail), "holding %zu connections", op->nok);
	else
		snprintf(r.detail, sizeof(r.detail), "holding %zu of %zu connections (%s)", op->nok,
			 op->nconns, op->last_err);
	for (size_t i = 0; i < op->nconns; i++)
		if (op->conns[i].failed)
			conn_close(&op->conns[i]);
	if (op->for_ns)
		fr_timer_start(op->loop, &op->hold, fr_loop_now(op->loop) + op->for_ns);
	report(op, &r);
}

/* lock: the transaction is open; it stays so until for_ns or cancel. */
static void lock_done(struct fr_mysql_op *op, struct conn *c)
{
	struct fr_mysql_result r = { 0 };

	if (c->failed) {
		fill_error(&r, c);
		conn_close(c);
	} else {
		r.ok = r.answered = true;
		snprintf(r.detail, sizeof(r.detail), "transaction open, not committed");
		if (op->for_ns)
			fr_timer_start(op->loop, &op->hold, fr_loop_now(op->loop) + op->for_ns);
	}
	report(op, &r);
}

/*
 * kill: the first statement listed the user's connection ids; run one
 * KILL per id on the same connection, then report.
 */
static void kill_done(struct fr_mysql_op *op, struct conn *c)
{
	struct fr_mysql_result r = { 0 };

	if (c->failed) {
		fill_error(&r, c);
		conn_close(c);
		report(op, &r);
		return;
	}
	if (c->isql == 1 && c->nsql == 1 && op->nids) {
		c->sqls = fr_xreallocarray(c->sqls, 1 + op->nids, sizeof(char *));
		for (size_t i = 0; i < op->nids; i++)
			c->sqls[1 + i] = fr_xasprintf("KILL CONNECTION %lu", op->ids[i]);
		c->nsql = 1 + op->nids;
		conn_continue(c, conn_statement(c));
		return;
	}
	r.ok = r.answered = true;
	if (!op->nids)
		snprintf(r.detail, sizeof(r.detail), "no connections of '%s' to kill",
			 op->kill_user);
	else
		snprintf(r.detail, sizeof(r.detail), "killed %zu connection%s of '%s'", op->nids,
			 op->nids == 1 ? "" : "s", op->kill_user);
	free_kill_statements(op, c);
	conn_close(c);
	report(op, &r);
}

/* A connection's script ended (or it failed): what next is the op's. */
static void op_conn_done(struct conn *c)
{
	struct fr_mysql_op *op = c->op;

	op->ndone++;
	if (!c->failed)
		op->nok++;
	else
		snprintf(op->last_err, sizeof(op->last_err), "%s", c->err);
	switch (op->kind) {
	case OP_QUERY:
	case OP_SQL:
		query_done(op, c);
		break;
	case OP_HOLD:
		hold_done(op);
		break;
	case OP_LOCK:
		lock_done(op, c);
		break;
	case OP_KILL:
		kill_done(op, c);
		break;
	}
}

static struct fr_mysql_op *op_new(struct fr_loop *l, const struct fr_mysql_params *p, size_t nconns,
				  fr_mysql_fn fn, void *arg)
{
	struct fr_mysql_op *op = fr_xcalloc(1, sizeof(*op));
	const char *const *src[NPARAM_STRS] = {
		&p->host, &p->socket, &p->user, &p->password, &p->database, &p->target_user,
	};
	const char **dst[NPARAM_STRS] = {
		&op->p.host,	 &op->p.socket,	  &op->p.user,
		&op->p.password, &op->p.database, &op->p.target_user,
	};

	pthread_once(&lib_once, lib_init);
	op->loop = l;
	op->p = *p;
	for (size_t i = 0; i < NPARAM_STRS; i++) {
		op->strs[i] = fr_xstrdup(*src[i]);
		*dst[i] = op->strs[i];
	}
	op->fn = fn;
	op->arg = arg;
	fr_timer_init(&op->hold, on_hold_over, op);
	fr_timer_init(&op->start, on_start, op);
	op->conns = fr_xcalloc(nconns ? nconns : 1, sizeof(*op->conns));
	op->nconns = nconns;
	for (size_t i = 0; i < nconns; i++) {
		op->conns[i].fd = -1;
		op->conns[i].op = op;
		fr_watch_init(&op->conns[i].w, on_event, &op->conns[i]);
		fr_timer_init(&op->conns[i].t, on_timer, &op->conns[i]);
	}
	return op;
}

/* The connection's statements (borrowed: the op owns the strings). */
static void set_script(struct conn *c, const char *const *sqls, size_t n)
{
	c->sqls = fr_xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		c->sqls[i] = (char *)sqls[i];
	c->nsql = n;
}

static void on_start(struct fr_timer *t)
{
	struct fr_mysql_op *op = t->arg;

	enter(op);
	for (size_t i = 0; i < op->nconns && !op->cancelled; i++) {
		struct conn *c = &op->conns[i];
		if (conn_start(op, c) < 0) {
			c->failed = true;
			c->err_no = CR_OUT_OF_MEMORY;
			snprintf(c->err, sizeof(c->err), "out of memory");
			c->state = C_DEAD;
			op_conn_done(c);
		}
	}
	leave(op);
}

/*
 * Connections start from the loop, never from inside fr_mysql_query()
 * or fr_mysql_action(): the callback never runs before they return.
 */
static struct fr_mysql_op *op_go(struct fr_mysql_op *op)
{
	fr_timer_init(&op->start, on_start, op);
	fr_timer_start(op->loop, &op->start, fr_loop_now(op->loop));
	return op;
}

struct fr_mysql_op *fr_mysql_query(struct fr_loop *l, const struct fr_mysql_params *p,
				   const char *sql, fr_mysql_fn fn, void *arg)
{
	struct fr_mysql_op *op = op_new(l, p, 1, fn, arg);
	const char *s;

	op->kind = OP_QUERY;
	op->sql = fr_xstrdup(sql);
	s = op->sql;
	set_script(&op->conns[0], &s, 1);
	return op_go(op);
}

/* The ids of every connection of user but the asking one. */
static char *kill_list_sql(const char *user)
{
	char *esc = fr_xmalloc(strlen(user) * 2 + 1), *sql;
	size_t k = 0;

	for (const char *q = user; *q; q++) {
		if (*q == '\'' || *q == '\\')
			esc[k++] = '\\';
		esc[k++] = *q;
	}
	esc[k] = 0;
	sql = fr_xasprintf("SELECT ID FROM information_schema.PROCESSLIST "
			   "WHERE USER = '%s' AND ID <> CONNECTION_ID()",
			   esc);
	free(esc);
	return sql;
}

struct fr_mysql_op *fr_mysql_action(struct fr_loop *l, const struct fr_mysql_params *p,
				    const struct fr_mysql_action *a, fr_mysql_fn fn, void *arg)
{
	size_t n = a->op == FR_MYSQL_DO_HOLD ? a->connections : 1;
	struct fr_mysql_op *op;

	if (a->op < FR_MYSQL_DO_SQL || a->op > FR_MYSQL_DO_KILL)
		return NULL;
	op = op_new(l, p, n, fn, arg);
	op->for_ns = a->for_ns;
	switch (a->op) {
	case FR_MYSQL_DO_SQL:
		op->kind = OP_SQL;
		op->sql = fr_xstrdup(a->sql ? a->sql : "DO 0");
		set_script(&op->conns[0], (const char *const *)&op->sql, 1);
		break;
	case FR_MYSQL_DO_HOLD:
		op->kind = OP_HOLD;
		for (size_t i = 0; i < n; i++)
			set_script(&op->conns[i], NULL, 0);
		break;
	case FR_MYSQL_DO_LOCK: {
		op->kind = OP_LOCK;
		op->sql = fr_xstrdup(a->sql ? a->sql : "DO 0");
		const char *s[2] = { "START TRANSACTION", op->sql };
		set_script(&op->conns[0], s, 2);
		break;
	}
	case FR_MYSQL_DO_KILL:
		op->kind = OP_KILL;
		op->kill_user = fr_xstrdup(a->kill_user ? a->kill_user : "");
		op->sql = kill_list_sql(op->kill_user);
		set_script(&op->conns[0], (const char *const *)&op->sql, 1);
		break;
	}
	return op_go(op);
}
