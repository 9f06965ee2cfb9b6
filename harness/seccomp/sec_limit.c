/*
 * close-after=DURATION under the seccomp backend (docs/faults.md "Closing
 * a connection"; the shim's limit.c): a connection's clock starts at the
 * rule's first call on it, and the first call after DURATION ends it.
 * then=reset: the socket is aborted (a TCP peer gets a RST) and the call
 * fails with ECONNRESET; later calls get what the kernel then says (end
 * of file, EPIPE). then=close: the socket is shut down both ways (the
 * peer reads end of file), the call that found the time up and every
 * later recv read 0, a send gets EPIPE (and SIGPIPE) from the kernel.
 * after=, probability= and times= count connections, at their end, as
 * the shim counts them.
 *
 * A connection is the socket (its inode) for a rule in one arming: a
 * socket that several processes share has one clock, and a rule armed
 * again starts every clock afresh. close-after=SIZE is refused: counting
 * bytes needs every call's result, which a seccomp answer does not see.
 */
#define _GNU_SOURCE
#include "sec_limit.h"

#include <errno.h>
#include <stdlib.h>

enum { CONN_SPARED = 1, CONN_DONE = 2, CONN_CLOSED = 4 };

/* The connection of socket ino for rule i in arming tag, made (its clock started) if new. */
static struct sec_conn *conn_of(struct fr_sec *s, struct fr_ctl *c, uint64_t ino, unsigned i,
				uint64_t tag, bool *fresh)
{
	struct sec_conn *n;

	*fresh = false;
	for (size_t j = 0; j < s->nconns; j++)
		if (s->conns[j].ino == ino && s->conns[j].rule == i && s->conns[j].tag == tag)
			return &s->conns[j];
	/* the connections of an arming that is over are gone */
	SEC_KEEP_LIVE(c, s->conns, s->nconns);
	n = sec_grow(s->conns, s->nconns, &s->capconns, 16, sizeof(*n));
	if (!n)
		return NULL;
	s->conns = n;
	*fresh = true;
	s->conns[s->nconns] = (struct sec_conn){
		.ino = ino, .tag = tag, .start = fr_now_ns(), .rule = (uint16_t)i
	};
	return &s->conns[s->nconns++];
}

bool sec_limit_decide(struct fr_sec *s, struct fr_ctl *c, unsigned i, struct sec_verdict *v)
{
	const struct fr_rule *r = &c->slots[i].rule;
	struct sec_conn *cn;
	bool fresh;

	if (!v->sock_ino || !r->close_ns)
		return false;
	cn = conn_of(s, c, v->sock_ino, i, sec_arm_tag(c, i), &fresh);
	if (!cn) {
		/* not followed (no memory): said in the run's limits, never silently */
		atomic_fetch_add_explicit(&c->conns_untracked, 1, memory_order_relaxed);
		return false;
	}
	if (fresh || (cn->state & (CONN_SPARED | CONN_DONE)))
		return false;
	if (cn->state & CONN_CLOSED) {
		/* shut down: a recv reads 0 (the shim's cut to nothing), a send gets EPIPE */
		if (v->op != FR_OP_RECV)
			return false;
		v->what = SEC_VALUE;
		v->allow = 0;
		v->episode = true; /* the connection's end was its one injection */
		return true;
	}
	if (fr_now_ns() - cn->start < r->close_ns)
		return false;
	v->counted |= 1ull << i;
	if (!fr_ctl_fire(c, i)) {
		cn->state |= CONN_SPARED;
		return false;
	}
	if (r->close_then == FR_THEN_CLOSE) {
		cn->state |= CONN_CLOSED;
		v->what = SEC_SHUT;
		v->allow = 0;
	} else {
		cn->state |= CONN_DONE;
		v->what = SEC_RESET;
		v->err = ECONNRESET;
	}
	return true;
}

void sec_limit_clear(struct fr_sec *s)
{
	free(s->conns);
	s->conns = NULL;
	s->nconns = s->capconns = 0;
}
