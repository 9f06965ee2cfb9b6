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
#include "scenario/scenario.h"

#include <errno.h>
#include <mysql.h>
#include <errmsg.h>
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

struct fr_mysql_op {
	struct fr_loop *loop;
	enum opkind kind;
	struct fr_mysql_params p;
	char *strs[8]; /* copies of params strings */
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
	unsigned last_errno;
	struct fr_timer start;
	int depth;       /* handlers of this op on the stack */
	bool cancelled;  /* freed when the outermost handler returns */
};

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;

static void lib_init(void)
{
	mysql_library_init(0, NULL, NULL);
}

static void conn_resume(struct conn *c, int st);
static void conn_completed(struct conn *c);
static void conn_next(struct conn *c);
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
		fr_timer_start(l, &c->t, fr_loop_now(l) +
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
			op->first = strdup(row[0] ? row[0] : "NULL");
		if (op->kind == OP_KILL && c->isql == 0 && row[0]) {
			unsigned long *ids = realloc(op->ids, (op->nids + 1) * sizeof(*ids));
			if (ids) {
				op->ids = ids;
				op->ids[op->nids++] = strtoul(row[0], NULL, 10);
			}
		} else if (op->kind != OP_KILL) {
			break;
		}
	}
	mysql_free_result(c->res);
	c->res = NULL;
}

/*
 * The current call finished (its result is in ret_m/ret_i/res): act on it
 * and start the next call, looping while calls complete at once.
 */
static void conn_completed(struct conn *c)
{
	int s;

	for (;;) {
		fr_timer_stop(c->op->loop, &c->t);
		switch (c->state) {
		case C_CONNECT:
			if (!c->ret_m) {
				conn_fail(c);
				return;
			}
			c->isql = 0;
			goto next_statement;
		case C_QUERY:
			if (c->ret_i && c->op->kind == OP_KILL && c->isql > 0 &&
			    mysql_errno(c->m) == 1094) {
				/* ER_NO_SUCH_THREAD: it ended on its own meanwhile */
				c->isql++;
				goto next_statement;
			}
			if (c->ret_i) {
				conn_fail(c);
				return;
			}
			c->state = C_STORE;
			s = mysql_store_result_start(&c->res, c->m);
			break;
		case C_STORE:
			if (!c->res && mysql_field_count(c->m)) {
				conn_fail(c);
				return;
			}
			conn_result(c);
			if (!mysql_more_results(c->m)) {
				c->isql++;
				goto next_statement;
			}
			c->state = C_NEXT;
			s = mysql_next_result_start(&c->ret_i, c->m);
			break;
		case C_NEXT:
			if (c->ret_i > 0) {
				conn_fail(c);
				return;
			}
			if (c->ret_i < 0) {
				c->isql++;
				goto next_statement;
			}
			c->state = C_STORE;
			s = mysql_store_result_start(&c->res, c->m);
			break;
		default:
			return;
		}
		if (s) {
			conn_wait(c, s);
			return;
		}
		continue;
next_statement:
		if (c->isql >= c->nsql) {
			c->state = C_IDLE;
			fr_watch_stop(c->op->loop, &c->w);
			op_conn_done(c);
			return;
		}
		c->state = C_QUERY;
		const char *q = c->sqls[c->isql];
		s = mysql_real_query_start(&c->ret_i, c->m, q, (unsigned long)strlen(q));
		if (s) {
			conn_wait(c, s);
			return;
		}
	}
}

/* The connector is ready to go on (st: what happened). */
static void conn_resume(struct conn *c, int st)
{
	int s = 0;

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
	if (s)
		conn_wait(c, s);
	else
		conn_completed(c);
}

/* Run the statements from c->isql on (the kill action adds some). */
static void conn_next(struct conn *c)
{
	int s;

	if (c->isql >= c->nsql) {
		c->state = C_IDLE;
		fr_watch_stop(c->op->loop, &c->w);
		op_conn_done(c);
		return;
	}
	c->state = C_QUERY;
	const char *q = c->sqls[c->isql];
	s = mysql_real_query_start(&c->ret_i, c->m, q, (unsigned long)strlen(q));
	if (s)
		conn_wait(c, s);
	else
		conn_completed(c);
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
	s = mysql_real_connect_start(&c->ret_m, c->m, p->host, p->user, p->password,
				     p->database, p->port, p->host ? NULL : p->socket,
				     CLIENT_MULTI_STATEMENTS);
	if (s)
		conn_wait(c, s);
	else
		conn_completed(c);
	return 0;
}

static void op_free(struct fr_mysql_op *op)
{
	for (size_t i = 0; i < op->nconns; i++) {
		conn_close(&op->conns[i]);
		free(op->conns[i].sqls);
	}
	fr_timer_stop(op->loop, &op->hold);
	fr_timer_stop(op->loop, &op->start);
	free(op->conns);
	for (size_t i = 0; i < 8; i++)
		free(op->strs[i]);
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

static void op_conn_done(struct conn *c)
{
	struct fr_mysql_op *op = c->op;
	struct fr_mysql_result r;

	memset(&r, 0, sizeof(r));
	op->ndone++;
	if (!c->failed)
		op->nok++;
	else {
		snprintf(op->last_err, sizeof(op->last_err), "%s", c->err);
		op->last_errno = c->err_no;
	}
	switch (op->kind) {
	case OP_QUERY:
	case OP_SQL:
		if (c->failed) {
			fill_error(&r, c);
		} else {
			r.ok = r.answered = true;
			r.first_value = op->first;
			if (op->kind == OP_QUERY)
				snprintf(r.detail, sizeof(r.detail), "%s",
					 op->first ? op->first : "no rows");
			else
				snprintf(r.detail, sizeof(r.detail), "ok%s%s",
					 op->first ? ": " : "", op->first ? op->first : "");
		}
		conn_close(c);
		report(op, &r);
		return;
	case OP_HOLD:
		if (op->ndone < op->nconns)
			return;
		r.held = (unsigned)op->nok;
		r.ok = op->nok == op->nconns;
		r.answered = true;
		if (r.ok)
			snprintf(r.detail, sizeof(r.detail), "holding %zu connections",
				 op->nok);
		else
			snprintf(r.detail, sizeof(r.detail),
				 "holding %zu of %zu connections (%s)", op->nok,
				 op->nconns, op->last_err);
		for (size_t i = 0; i < op->nconns; i++)
			if (op->conns[i].failed)
				conn_close(&op->conns[i]);
		if (op->for_ns)
			fr_timer_start(op->loop, &op->hold,
				       fr_loop_now(op->loop) + op->for_ns);
		report(op, &r);
		return;
	case OP_LOCK:
		if (c->failed) {
			fill_error(&r, c);
			conn_close(c);
		} else {
			r.ok = r.answered = true;
			snprintf(r.detail, sizeof(r.detail),
				 "transaction open, not committed");
			if (op->for_ns)
				fr_timer_start(op->loop, &op->hold,
					       fr_loop_now(op->loop) + op->for_ns);
		}
		report(op, &r);
		return;
	case OP_KILL:
		if (c->failed) {
			fill_error(&r, c);
			conn_close(c);
			report(op, &r);
			return;
		}
		if (c->isql == 1 && c->nsql == 1) {
			/* the ids are in: kill them one by one */
			if (!op->nids) {
				r.ok = r.answered = true;
				snprintf(r.detail, sizeof(r.detail),
					 "no connections of '%s' to kill", op->kill_user);
				conn_close(c);
				report(op, &r);
				return;
			}
			char **sqls = realloc(c->sqls, (1 + op->nids) * sizeof(char *));
			if (!sqls) {
				conn_close(c);
				return;
			}
			c->sqls = sqls;
			for (size_t i = 0; i < op->nids; i++) {
				char *q = NULL;
				if (asprintf(&q, "KILL CONNECTION %lu", op->ids[i]) < 0)
					q = NULL;
				c->sqls[1 + i] = q ? q : "DO 0";
			}
			c->nsql = 1 + op->nids;
			conn_next(c);
			return;
		}
		r.ok = r.answered = true;
		snprintf(r.detail, sizeof(r.detail), "killed %zu connection%s of '%s'",
			 op->nids, op->nids == 1 ? "" : "s", op->kill_user);
		for (size_t i = 1; i < c->nsql; i++)
			if (strcmp(c->sqls[i], "DO 0"))
				free(c->sqls[i]);
		c->nsql = 1;
		conn_close(c);
		report(op, &r);
		return;
	}
}

static struct fr_mysql_op *op_new(struct fr_loop *l,
				  const struct fr_mysql_params *p, size_t nconns,
				  fr_mysql_fn fn, void *arg)
{
	struct fr_mysql_op *op = calloc(1, sizeof(*op));
	const char *const *src[] = { &p->host, &p->socket, &p->user,
				     &p->password, &p->database, &p->target_user };
	const char **dst[] = { &op->p.host, &op->p.socket, &op->p.user,
			       &op->p.password, &op->p.database,
			       &op->p.target_user };

	if (!op)
		return NULL;
	pthread_once(&lib_once, lib_init);
	op->loop = l;
	op->p = *p;
	for (size_t i = 0; i < 6; i++) {
		op->strs[i] = *src[i] ? strdup(*src[i]) : NULL;
		*dst[i] = op->strs[i];
	}
	op->fn = fn;
	op->arg = arg;
	fr_timer_init(&op->hold, on_hold_over, op);
	fr_timer_init(&op->start, on_start, op);
	op->conns = calloc(nconns ? nconns : 1, sizeof(*op->conns));
	if (!op->conns) {
		free(op);
		return NULL;
	}
	op->nconns = nconns;
	for (size_t i = 0; i < nconns; i++) {
		op->conns[i].fd = -1;
		op->conns[i].op = op;
		fr_watch_init(&op->conns[i].w, on_event, &op->conns[i]);
		fr_timer_init(&op->conns[i].t, on_timer, &op->conns[i]);
	}
	return op;
}

static int set_script(struct conn *c, const char *const *sqls, size_t n)
{
	c->sqls = calloc(n + 1, sizeof(char *));
	if (!c->sqls)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		c->sqls[i] = (char *)sqls[i];
	c->nsql = n;
	return 0;
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

struct fr_mysql_op *fr_mysql_query(struct fr_loop *l,
				   const struct fr_mysql_params *p,
				   const char *sql, fr_mysql_fn fn, void *arg)
{
	struct fr_mysql_op *op = op_new(l, p, 1, fn, arg);

	if (!op)
		return NULL;
	op->kind = OP_QUERY;
	op->strs[6] = strdup(sql);
	const char *s = op->strs[6];
	if (!s || set_script(&op->conns[0], &s, 1) < 0) {
		op_free(op);
		return NULL;
	}
	return op_go(op);
}

struct fr_mysql_op *fr_mysql_action(struct fr_loop *l,
				    const struct fr_mysql_params *p,
				    const struct fr_mysql_action *a,
				    fr_mysql_fn fn, void *arg)
{
	size_t n = a->op == FR_MYSQL_HOLD ? a->connections : 1;
	struct fr_mysql_op *op = op_new(l, p, n, fn, arg);

	if (!op)
		return NULL;
	op->for_ns = a->for_ns;
	switch (a->op) {
	case FR_MYSQL_SQL: {
		op->kind = OP_SQL;
		op->strs[6] = strdup(a->sql ? a->sql : "DO 0");
		const char *s = op->strs[6];
		if (set_script(&op->conns[0], &s, 1) < 0)
			goto err;
		break;
	}
	case FR_MYSQL_HOLD:
		op->kind = OP_HOLD;
		for (size_t i = 0; i < n; i++)
			if (set_script(&op->conns[i], NULL, 0) < 0)
				goto err;
		break;
	case FR_MYSQL_LOCK: {
		op->kind = OP_LOCK;
		op->strs[6] = strdup(a->sql ? a->sql : "DO 0");
		const char *s[2] = { "START TRANSACTION", op->strs[6] };
		if (set_script(&op->conns[0], s, 2) < 0)
			goto err;
		break;
	}
	case FR_MYSQL_KILL: {
		op->kind = OP_KILL;
		op->kill_user = strdup(a->kill_user ? a->kill_user : "");
		char *esc = malloc(strlen(op->kill_user) * 2 + 1);
		if (!esc)
			goto err;
		/* the id list: every connection of the user but ours */
		size_t k = 0;
		for (const char *q = op->kill_user; *q; q++) {
			if (*q == '\'' || *q == '\\')
				esc[k++] = '\\';
			esc[k++] = *q;
		}
		esc[k] = 0;
		if (asprintf(&op->strs[6],
			     "SELECT ID FROM information_schema.PROCESSLIST "
			     "WHERE USER = '%s' AND ID <> CONNECTION_ID()", esc) < 0)
			op->strs[6] = NULL;
		free(esc);
		const char *s = op->strs[6];
		if (!s || set_script(&op->conns[0], &s, 1) < 0)
			goto err;
		break;
	}
	default:
		goto err;
	}
	return op_go(op);
err:
	op_free(op);
	return NULL;
}
