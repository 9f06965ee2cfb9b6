/*
 * What a rule knows about each connection it has seen (docs/faults.md
 * "Closing a connection"): close-after=SIZE|DURATION, Toxiproxy's
 * limit_data and timeout, and per=connection, its toxicity; and, for the
 * draws of jitter= and slice= (shape.c), the connection's run-wide number
 * and how many draws it made.
 *
 * A connection is a socket fd for a rule: the bytes its send/recv calls
 * moved, when the rule first saw it, and where it stands (chosen or
 * spared once, then cut, and its failure reported). Every (fd, rule) has
 * an entry of its own, so that any number of connections is followed: the
 * table is indexed like the fd table (fdtable.h), in chunks of LIM_CHUNK
 * fds mapped on first use (mmap, async-signal-safe; only the pages of the
 * fds used are ever touched). An entry is claimed with a compare-and-swap
 * of its key and given back when the fd is closed or replaced
 * (shim_fd_forget); it also keeps the socket's inode and the rule's
 * arming, so that a number reused where no wrapper saw it, or a rule
 * armed again, starts afresh. Should a chunk not map (no memory), the
 * call passes untouched and the block's conns_untracked says so in the
 * run's report: never silently. Lock-free, allocation-free and
 * async-signal-safe; fork copies the table (the child shares the parent's
 * sockets), exec starts empty.
 */
#include "sock.h"

#include <sys/mman.h>
#include <sys/syscall.h>

#define LIM_CHUNK_SHIFT 8u
#define LIM_CHUNK (1u << LIM_CHUNK_SHIFT)
#define LIM_NCHUNKS (SHIM_FD_MAX / LIM_CHUNK)
#define LIM_CHUNK_BYTES ((size_t)LIM_CHUNK * FR_MAX_RULES * sizeof(struct lim_entry))

/* lim_entry.state */
#define LIM_CHOSEN 0x1u /* affected: per=connection chose it, or close-after fired */
#define LIM_SPARED 0x2u /* never affected */
#define LIM_RESET 0x4u	/* then=reset: reset, the next call reports ECONNRESET */
#define LIM_CLOSED 0x8u /* then=close: shut down; recv reads 0, send gets EPIPE */
#define LIM_DONE 0x10u	/* the failure was reported: the kernel answers now */

struct lim_entry {
	_Atomic uint64_t key; /* 0 free, else (fd + 1) << 6 | rule */
	_Atomic uint64_t bytes;
	_Atomic uint64_t start; /* CLOCK_MONOTONIC ns the rule first saw it */
	_Atomic uint64_t tag;	/* shim_arm_tag() then */
	_Atomic uint32_t state;
	_Atomic uint32_t ino;	   /* the socket's inode (low 32 bits), 0 unknown */
	_Atomic uint32_t conn;	   /* its number among the run's connections + 1, 0: none yet */
	_Atomic uint32_t ndraw[2]; /* draws made: send, recv (shape.c) */
	_Atomic uint32_t last[2];  /* the last correlated draw of each (correlation=) */
	uint32_t pad;
};

static struct lim_entry *_Atomic lim_chunks[LIM_NCHUNKS];
static _Atomic int lim_used; /* entries claimed: 0 = the fast way out */

static uint64_t lim_key(int fd, unsigned rule)
{
	return ((uint64_t)(unsigned)fd + 1) << 6 | rule;
}

/* The inode the fd table recorded for fd's socket, 0 when none. */
static uint32_t fd_ino(int fd)
{
	struct shim_fd *e = shim_fd_peek(fd);

	if (!e || !(atomic_load_explicit(&e->info, memory_order_acquire) & SHIM_FD_HAVE_ID))
		return 0;
	return __atomic_load_n(&e->ino32, __ATOMIC_RELAXED);
}

static void lim_init(struct lim_entry *e, uint64_t tag, uint32_t ino)
{
	atomic_store_explicit(&e->bytes, 0, memory_order_relaxed);
	atomic_store_explicit(&e->start, fr_now_ns(), memory_order_relaxed);
	atomic_store_explicit(&e->tag, tag, memory_order_relaxed);
	atomic_store_explicit(&e->state, 0, memory_order_relaxed);
	atomic_store_explicit(&e->ino, ino, memory_order_relaxed);
	atomic_store_explicit(&e->conn, 0, memory_order_relaxed);
	for (unsigned d = 0; d < 2; d++) {
		atomic_store_explicit(&e->ndraw[d], 0, memory_order_relaxed);
		atomic_store_explicit(&e->last[d], 0, memory_order_relaxed);
	}
}

static void lim_remove(struct lim_entry *e, uint64_t key)
{
	if (atomic_compare_exchange_strong_explicit(&e->key, &key, 0, memory_order_acq_rel,
						    memory_order_relaxed))
		atomic_fetch_sub_explicit(&lim_used, 1, memory_order_relaxed);
}

/* The entry of (fd, rule), mapping its chunk when `create`; NULL if none. */
static struct lim_entry *lim_slot(int fd, unsigned rule, bool create)
{
	unsigned u = (unsigned)fd, ci = u >> LIM_CHUNK_SHIFT;
	struct lim_entry *ch, *expect = NULL;
	int saved;

	if (fd < 0 || ci >= LIM_NCHUNKS || rule >= FR_MAX_RULES)
		return NULL;
	ch = atomic_load_explicit(&lim_chunks[ci], memory_order_acquire);
	if (likely(ch) || !create)
		return ch ? &ch[(u & (LIM_CHUNK - 1)) * FR_MAX_RULES + rule] : NULL;
	saved = errno;
	ch = mmap(NULL, LIM_CHUNK_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		  0);
	if (ch == MAP_FAILED) {
		errno = saved;
		if (shim_ctl)
			atomic_fetch_add_explicit(&shim_ctl->conns_untracked, 1,
						  memory_order_relaxed);
		return NULL;
	}
	if (!atomic_compare_exchange_strong_explicit(&lim_chunks[ci], &expect, ch,
						     memory_order_acq_rel, memory_order_acquire)) {
		munmap(ch, LIM_CHUNK_BYTES);
		ch = expect;
	}
	errno = saved;
	return &ch[(u & (LIM_CHUNK - 1)) * FR_MAX_RULES + rule];
}

static struct lim_entry *lim_find(int fd, unsigned rule)
{
	struct lim_entry *e = lim_slot(fd, rule, false);

	return e && atomic_load_explicit(&e->key, memory_order_acquire) == lim_key(fd, rule) ? e :
											       NULL;
}

/*
 * Rule i's entry for the connection on fd, made when the rule first sees
 * it; NULL only when its chunk cannot be mapped (counted in the block).
 */
static struct lim_entry *lim_get(struct fr_ctl *c, unsigned i, int fd)
{
	uint64_t key = lim_key(fd, i), tag = shim_arm_tag(c, i), free = 0;
	uint32_t ino = fd_ino(fd), had;
	struct lim_entry *e = lim_slot(fd, i, true);

	if (!e)
		return NULL;
	if (atomic_load_explicit(&e->key, memory_order_acquire) == key) {
		had = atomic_load_explicit(&e->ino, memory_order_relaxed);
		/* another socket on the number, or the rule armed again: start over */
		if (atomic_load_explicit(&e->tag, memory_order_relaxed) != tag ||
		    (ino && had && ino != had))
			lim_init(e, tag, ino);
		else if (ino && !had)
			atomic_store_explicit(&e->ino, ino, memory_order_relaxed);
		return e;
	}
	/*
	 * free: filled, then claimed. Two threads meeting the connection at
	 * once both fill it with the same start; one claims it, both use it.
	 */
	lim_init(e, tag, ino);
	if (atomic_compare_exchange_strong_explicit(&e->key, &free, key, memory_order_acq_rel,
						    memory_order_relaxed))
		atomic_fetch_add_explicit(&lim_used, 1, memory_order_relaxed);
	shim_side_note(); /* a close must now forget it (fdtable.c) */
	return e;
}

void shim_limit_forget(int fd)
{
	shim_dgram_forget(fd); /* a datagram reorder= held on it (dgram.c) */
	if (fd < 0 || !atomic_load_explicit(&lim_used, memory_order_relaxed))
		return;
	for (unsigned i = 0; i < FR_MAX_RULES; i++) {
		struct lim_entry *e = lim_slot(fd, i, false);
		uint64_t k;

		if (!e)
			return;
		k = atomic_load_explicit(&e->key, memory_order_acquire);
		if (k)
			lim_remove(e, k);
	}
}

void shim_limit_forget_range(unsigned first, unsigned last)
{
	shim_dgram_forget_range(first, last);
	if (!atomic_load_explicit(&lim_used, memory_order_relaxed))
		return;
	for (unsigned ci = first >> LIM_CHUNK_SHIFT;
	     ci < LIM_NCHUNKS && ci <= last >> LIM_CHUNK_SHIFT; ci++) {
		struct lim_entry *ch = atomic_load_explicit(&lim_chunks[ci], memory_order_acquire);

		for (unsigned k = 0; ch && k < LIM_CHUNK * FR_MAX_RULES; k++) {
			uint64_t key = atomic_load_explicit(&ch[k].key, memory_order_acquire);
			uint64_t fd = (key >> 6) - 1;

			if (key && fd >= first && fd <= last)
				lim_remove(&ch[k], key);
		}
	}
}

bool shim_conn_draws(struct fr_ctl *c, unsigned i, int fd, unsigned in, struct shim_conn_draw *d)
{
	struct lim_entry *e;
	uint32_t conn, zero = 0;

	if (fd < 0 || i >= FR_MAX_RULES || !(e = lim_get(c, i, fd)))
		return false;
	conn = atomic_load_explicit(&e->conn, memory_order_relaxed);
	if (!conn) {
		/* the rule's first draw on it: the next number of the run's connections */
		conn = atomic_fetch_add_explicit(&c->conns, 1, memory_order_relaxed) + 1;
		if (!atomic_compare_exchange_strong_explicit(
			    &e->conn, &zero, conn, memory_order_relaxed, memory_order_relaxed))
			conn = zero;
	}
	d->conn = conn;
	d->n = atomic_fetch_add_explicit(&e->ndraw[in & 1], 1, memory_order_relaxed);
	d->last = &e->last[in & 1];
	return true;
}

/*
 * fr_ctl_fire() for a whole connection (per=connection): the slot's
 * matched and injected count connections, and the probability is drawn
 * once per connection from the rule's seed= (not the run's seed) and the
 * connection's number among those the rule met in the whole run (matched,
 * in the control block, which every process of the run shares): the same
 * SPEC chooses the same connections in every run whose connections come
 * in the same order. A number kept per process would give every process
 * the same draw: a program that opens one connection per process
 * (redis-cli, a CGI, a pre-fork worker) would see all of them chosen or
 * none.
 */
static bool conn_fire(struct fr_ctl *c, unsigned i, int fd)
{
	struct fr_ctl_slot *s = &c->slots[i];
	const struct fr_rule *r = &s->rule;
	uint64_t n, inj, now, zero = 0;

	(void)fd;
	n = atomic_fetch_add_explicit(&s->matched, 1, memory_order_relaxed);
	if (n < r->after)
		return false;
	if ((r->flags & FR_RULE_PROB) &&
	    shim_shape_mix(r->seed ^ shim_shape_mix(n)) >= r->prob_threshold)
		return false;
	inj = atomic_load_explicit(&s->injected, memory_order_relaxed);
	do {
		if (r->times && inj >= r->times)
			return false;
	} while (!atomic_compare_exchange_weak_explicit(
		&s->injected, &inj, inj + 1, memory_order_relaxed, memory_order_relaxed));
	now = fr_now_ns();
	atomic_compare_exchange_strong_explicit(&s->first_ns, &zero, now, memory_order_relaxed,
						memory_order_relaxed);
	atomic_store_explicit(&s->last_ns, now, memory_order_relaxed);
	return true;
}

bool shim_conn_pick(struct fr_ctl *c, unsigned i, int fd)
{
	struct lim_entry *e;
	uint32_t st, want;

	if (fd < 0 || i >= FR_MAX_RULES || !(e = lim_get(c, i, fd)))
		return false;
	st = atomic_load_explicit(&e->state, memory_order_acquire);
	if (st & (LIM_CHOSEN | LIM_SPARED))
		return st & LIM_CHOSEN;
	want = conn_fire(c, i, fd) ? LIM_CHOSEN : LIM_SPARED;
	st = atomic_fetch_or_explicit(&e->state, want, memory_order_acq_rel);
	if (st & (LIM_CHOSEN | LIM_SPARED)) {
		/* another thread chose first: its choice stands, this one is taken back */
		if (want == LIM_CHOSEN)
			fr_ctl_unfire(c, i);
		else
			atomic_fetch_sub_explicit(&c->slots[i].matched, 1, memory_order_relaxed);
		atomic_store_explicit(&e->state, st, memory_order_release);
		return st & LIM_CHOSEN;
	}
	return want == LIM_CHOSEN;
}

/*
 * The connection ran out (close-after=DURATION): this call is the one that
 * fails. then=reset resets it (shim_sock_apply); then=close shuts it down
 * once the call is confirmed (v->limit_shut), and the call is made on the
 * shut socket: a recv cut to 0 bytes reads end of file, a send gets EPIPE
 * (and SIGPIPE) from the kernel.
 */
static void lim_expire(const struct fr_rule *r, struct lim_entry *e, enum fr_op op, int fd,
		       struct shim_verdict *v)
{
	if (r->close_then == FR_THEN_CLOSE) {
		atomic_fetch_or_explicit(&e->state, LIM_CLOSED, memory_order_acq_rel);
		v->limit_shut = true;
		v->limit_fd = fd;
		v->what = op == FR_OP_RECV ? SHIM_LIMIT : SHIM_PASS;
		v->allow = 0;
		return;
	}
	atomic_fetch_or_explicit(&e->state, LIM_RESET | LIM_DONE, memory_order_acq_rel);
	v->what = SHIM_RESET;
	v->err = ECONNRESET;
}

int shim_limit_decide(struct fr_ctl *c, unsigned i, enum fr_op op, int fd, size_t want, bool forced,
		      struct shim_verdict *v)
{
	const struct fr_rule *r = &c->slots[i].rule;
	struct lim_entry *e;
	uint64_t moved;
	uint32_t st;

	if (fd < 0 || v->kind != SHIM_FD_SOCKET || !(e = lim_get(c, i, fd)))
		return SHIM_LIM_PASS;
	st = atomic_load_explicit(&e->state, memory_order_acquire);
	if (st & (LIM_SPARED | LIM_DONE))
		return SHIM_LIM_PASS;
	if (st & LIM_RESET) {
		/* reset when the limit was reached: this call reports it, once */
		atomic_fetch_or_explicit(&e->state, LIM_DONE, memory_order_acq_rel);
		v->what = SHIM_FAIL;
		v->err = ECONNRESET;
		return SHIM_LIM_REPORT;
	}
	if (st & LIM_CLOSED) {
		/* shut down: the kernel says EPIPE to a send; a recv reads nothing */
		if (op != FR_OP_RECV)
			return SHIM_LIM_PASS;
		v->limit_rule = (int)i;
		v->limit_fd = fd;
		v->limit_left = 0;
		return SHIM_LIM_COUNT;
	}
	if (r->close_ns &&
	    fr_now_ns() - atomic_load_explicit(&e->start, memory_order_relaxed) >= r->close_ns) {
		if (!(st & LIM_CHOSEN) && !forced && !fr_ctl_fire(c, i)) {
			atomic_fetch_or_explicit(&e->state, LIM_SPARED, memory_order_acq_rel);
			return SHIM_LIM_PASS;
		}
		atomic_fetch_or_explicit(&e->state, LIM_CHOSEN, memory_order_acq_rel);
		lim_expire(r, e, op, fd, v);
		return (st & LIM_CHOSEN) || forced ? SHIM_LIM_REPORT : SHIM_LIM_INJECT;
	}
	if (!r->close_bytes)
		return SHIM_LIM_PASS;
	moved = atomic_load_explicit(&e->bytes, memory_order_relaxed);
	v->limit_rule = (int)i;
	v->limit_fd = fd;
	v->limit_left = moved < r->close_bytes ? r->close_bytes - moved : 0;
	/* the call that can reach the limit: the rule's injection, once per connection */
	if (want < v->limit_left || (st & LIM_CHOSEN) || forced)
		return SHIM_LIM_COUNT;
	if (!fr_ctl_fire(c, i)) {
		atomic_fetch_or_explicit(&e->state, LIM_SPARED, memory_order_acq_rel);
		v->limit_rule = -1;
		return SHIM_LIM_PASS;
	}
	atomic_fetch_or_explicit(&e->state, LIM_CHOSEN, memory_order_acq_rel);
	v->what = SHIM_LIMIT;
	v->allow = v->limit_left;
	return SHIM_LIM_INJECT;
}

void shim_limit_cap(struct shim_verdict *v, size_t want)
{
	size_t left = v->limit_left;

	if (v->limit_rule < 0)
		return;
	switch (v->what) {
	case SHIM_PASS:
	case SHIM_COUNT:
		v->what = left < want ? SHIM_LIMIT : SHIM_COUNT;
		v->allow = left < want ? left : want;
		break;
	case SHIM_LIMIT:
		if (v->allow > left)
			v->allow = left;
		break;
	case SHIM_DELAY:
	case SHIM_STALL:
		/* after the wait, at most what is left (a slice of 0 would mean all) */
		if (left < (v->slice ? v->slice : want)) {
			v->slice = left ? left : 1;
			v->allow = v->slice;
		}
		break;
	default:
		break;
	}
}

void shim_limit_shut(const struct shim_verdict *v)
{
	int saved = errno;

	/* a FIN to the peer; the program's fd stays open (shutdown(2)) */
	fr_syscall(SYS_shutdown, v->limit_fd, SHUT_RDWR);
	errno = saved;
}

/*
 * Make the connection really unusable, as a reset leaves it: for TCP,
 * connect(AF_UNSPEC) sends the peer a RST (it sees ECONNRESET) and drops
 * the connection, then the pending error it leaves is consumed (the
 * injected call is the one that reports it); shutdown(SHUT_RDWR) makes
 * later reads return 0 and writes fail with EPIPE, as after a real RST.
 * Other sockets (unix) have no reset: they are shut down both ways.
 */
void shim_sock_reset(int fd)
{
	int saved = errno, domain = 0, type = 0, e = 0;
	socklen_t l = sizeof(domain);

	fr_syscall(SYS_getsockopt, fd, SOL_SOCKET, SO_DOMAIN, &domain, &l);
	l = sizeof(type);
	fr_syscall(SYS_getsockopt, fd, SOL_SOCKET, SO_TYPE, &type, &l);
	if ((domain == AF_INET || domain == AF_INET6) && type == SOCK_STREAM) {
		struct sockaddr sa = { .sa_family = AF_UNSPEC };

		fr_syscall(SYS_connect, fd, &sa, sizeof(sa));
		l = sizeof(e);
		fr_syscall(SYS_getsockopt, fd, SOL_SOCKET, SO_ERROR, &e, &l);
	}
	fr_syscall(SYS_shutdown, fd, SHUT_RDWR);
	shim_sock_forget(fd);
	errno = saved;
}

void shim_limit_settle(const struct shim_verdict *v, ssize_t done)
{
	struct fr_ctl *c = shim_ctl;
	const struct fr_rule *r;
	struct lim_entry *e;
	uint64_t total;
	uint32_t st;

	if (!c || done <= 0 || v->limit_rule < 0 || v->limit_rule >= FR_MAX_RULES ||
	    !(e = lim_find(v->limit_fd, (unsigned)v->limit_rule)))
		return;
	r = &c->slots[v->limit_rule].rule;
	total = atomic_fetch_add_explicit(&e->bytes, (uint64_t)done, memory_order_relaxed) +
		(uint64_t)done;
	if (!r->close_bytes || total < r->close_bytes)
		return;
	/* the limit is reached: the connection ends now, as Toxiproxy's limit_data does */
	st = atomic_fetch_or_explicit(&e->state,
				      r->close_then == FR_THEN_CLOSE ? LIM_CLOSED : LIM_RESET,
				      memory_order_acq_rel);
	if (st & (LIM_RESET | LIM_CLOSED | LIM_DONE | LIM_SPARED))
		return; /* another thread's call ended it */
	if (r->close_then == FR_THEN_CLOSE)
		shim_limit_shut(v);
	else
		shim_sock_reset(v->limit_fd);
}

/*
 * slow-close=DURATION (Toxiproxy's slow_close): the FIN of a matching
 * socket goes out DURATION after the program closes it. The program's
 * close() itself waits (signals ridden out), as a close with SO_LINGER
 * set waits for unsent data (socket(7)): the shim keeps no fd of its own
 * and no thread that could close it later. Only close() is seen; the
 * rule's send/recv operations only say it is about sockets, and a send or
 * recv never meets it (decide: SHIM_CLOSING).
 */
void shim_slow_close(int fd)
{
	struct fr_ctl *c = shim_ctl;
	uint64_t cand, m = 0;
	enum shim_fd_kind kind;
	struct shim_verdict v;
	char where[FR_CTL_WHERE_MAX];
	int saved;

	if (!c || fd < 0 || shim_depth > 0)
		return;
	/* an fd the table knows is not a socket (a file nginx serves): nothing to look at */
	if (!shim_fd_maybe_socket(fd))
		return;
	cand = shim_armed_rules(c, FR_OP_SEND) | shim_armed_rules(c, FR_OP_RECV);
	for (uint64_t rest = cand; rest; rest &= rest - 1) {
		unsigned i = (unsigned)__builtin_ctzll(rest);

		if (c->slots[i].rule.action == FR_ACT_SLOWCLOSE)
			m |= 1ull << i;
	}
	if (!m)
		return;
	saved = errno;
	m = shim_fd_match(fd, m, &kind, NULL);
	if (m && kind == SHIM_FD_SOCKET) {
		shim_sock_where(fd, where, sizeof(where));
		if (shim_decide_mask(c, FR_OP_SEND, m, 0, SHIM_NOBUDGET | SHIM_CLOSING, "close",
				     where[0] ? where : NULL, &v) == SHIM_DELAY)
			shim_wait(&v);
	}
	errno = saved;
}
