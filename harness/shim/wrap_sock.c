/*
 * The socket family: connect, accept, accept4, send, sendto, sendmsg,
 * sendmmsg, recv, __recv_chk, recvfrom, __recvfrom_chk, recvmsg, recvmmsg,
 * and socket/socketpair (which only keep the fd table true). read(),
 * write(), readv() and writev() on a socket are decided as recv/send by
 * wrap_fd.c, which hands socket verdicts to shim_sock_apply() below.
 *
 * Every wrapper is the usual three layers (STYLE "Shim rules" 1): bind,
 * one atomic load of armed_ops and a branch to the real function, and only
 * when a socket operation is armed, the out-of-line slow path. A socket's
 * peer is recorded when it connects or is accepted while some socket rule
 * is armed; otherwise, and for sockets the shim never saw, the fd table
 * asks getpeername/getsockname once, lazily (fdtable.c).
 *
 * How each action looks to the program is in docs/faults.md ("Socket
 * faults"); the episode model behind stall and delay in sock.h.
 */
#include "sock.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/un.h>

/* ---- helpers ------------------------------------------------------------ */

bool shim_fd_nonblock(int fd)
{
	int saved = errno;
	long fl = fr_syscall(SYS_fcntl, fd, F_GETFL);

	errno = saved;
	return fl >= 0 && (fl & O_NONBLOCK);
}

bool shim_sock_listening(int fd)
{
	struct shim_fd *e = shim_fd_peek(fd);
	uint32_t info = e ? atomic_load_explicit(&e->info, memory_order_acquire) : 0;
	int saved = errno, on = 0;
	socklen_t l = sizeof(on);
	long r;

	/* recorded by listen() or when the entry was resolved (fdtable.c) */
	if (info & SHIM_FD_LISTEN_KNOWN)
		return info & SHIM_FD_LISTENING;
	/* beyond the table, or never resolved: ask the kernel */
	r = fr_syscall(SYS_getsockopt, fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &l);
	errno = saved;
	return r == 0 && on;
}

uint64_t shim_sock_timeo(int fd, enum fr_op op, uint64_t now)
{
	struct timeval tv = { 0, 0 };
	socklen_t l = sizeof(tv);
	int saved = errno;
	int opt = op == FR_OP_RECV || op == FR_OP_ACCEPT ? SO_RCVTIMEO : SO_SNDTIMEO;
	long r = fr_syscall(SYS_getsockopt, fd, SOL_SOCKET, opt, &tv, &l);

	errno = saved;
	if (r < 0 || (tv.tv_sec <= 0 && tv.tv_usec <= 0))
		return 0;
	return now + (uint64_t)tv.tv_sec * 1000000000ull + (uint64_t)tv.tv_usec * 1000ull;
}

/*
 * The subset of cand (connect rules) whose selectors match the address a
 * program connects to: host=, port= and unix= against the address itself.
 */
static uint64_t match_addr(struct fr_ctl *c, uint64_t cand, const struct sockaddr *sa,
			   socklen_t len)
{
	struct shim_fd e;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
	const char *unix_path = NULL;
	uint64_t m = 0;

	memset(&e, 0, sizeof(e));
	if (!sa || len < sizeof(sa_family_t))
		return 0;
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const void *)sa;

		memcpy(e.peer_addr, &in->sin_addr, 4);
		e.peer_port = ntohs(in->sin_port);
	} else if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		memcpy(e.peer_addr, &in6->sin6_addr, 16);
		e.peer_port = ntohs(in6->sin6_port);
	} else if (sa->sa_family == AF_UNIX) {
		const struct sockaddr_un *un = (const void *)sa;
		size_t pl = len - offsetof(struct sockaddr_un, sun_path);

		if (pl > sizeof(un->sun_path))
			pl = sizeof(un->sun_path);
		pl = strnlen(un->sun_path, pl);
		memcpy(path, un->sun_path, pl);
		path[pl] = '\0';
		if (pl)
			unix_path = path; /* abstract sockets have no path */
	} else {
		return 0;
	}
	e.peer_family = sa->sa_family;
	atomic_store_explicit(&e.info, SHIM_FD_SOCKET | SHIM_FD_HAVE_PEER, memory_order_relaxed);
	while (cand) {
		unsigned i = (unsigned)__builtin_ctzll(cand);

		cand &= cand - 1;
		if (atomic_load_explicit(&c->slots[i].ready, memory_order_acquire) &&
		    shim_rule_match_sock(&c->slots[i].rule, &e, unix_path))
			m |= 1ull << i;
	}
	return m;
}

/* Abort an accepted connection: the client sees ECONNRESET. */
static void sock_abort(int fd)
{
	struct linger lg = { 1, 0 };
	int saved = errno;

	fr_syscall(SYS_setsockopt, fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	SHIM_REAL(close)(fd);
	shim_fd_forget(fd);
	errno = saved;
}

/*
 * Hold a call in direction op under a stall or delay: within its episode
 * (begun here if this call is the first), wait if the call may block, or
 * give EAGAIN. Returns 0 when the call may go on, or -errno.
 */
static int hold(int fd, enum fr_op op, bool dontwait, uint32_t action, unsigned rule,
		uint64_t delay_ns)
{
	struct fr_ctl *c = shim_ctl;
	uint64_t now = fr_now_ns();
	struct shim_ep ep;
	int r;

	if (!c)
		return 0;
	if (!shim_ep_get(fd, op, &ep)) {
		uint64_t until = action == FR_ACT_DELAY ? now + delay_ns :
							  shim_stall_window_end(c, rule);

		if (!shim_ep_begin(fd, op, rule, action, until, &ep)) {
			/*
			 * table full: hold by the rule alone; a jittered delay
			 * waits its longest, so that no later call on the
			 * socket drawing less can overtake this one
			 */
			ep.rule = rule;
			ep.action = action;
			ep.tag = shim_arm_tag(c, rule);
			ep.until = action == FR_ACT_DELAY ? now + shim_shape_delay_max(c, rule) :
							    until;
		}
	}
	/* a blackhole holds while its rule is in force (a send's: once full) */
	if (ep.action == FR_ACT_BLACKHOLE ? !shim_ep_live(c, &ep, now) :
					    !shim_ep_holds(c, &ep, now)) {
		/* cleared, the window passed, or the delay is due */
		shim_ep_end(fd, op);
		return 0;
	}
	if (dontwait || shim_fd_nonblock(fd))
		return -EAGAIN;
	r = shim_hold_block(c, ep.rule, ep.tag, ep.until, shim_sock_timeo(fd, op, now));
	if (r == 0)
		shim_ep_end(fd, op);
	return r;
}

/* Whether v is the verdict of a blackhole rule. */
static bool blackhole(const struct shim_verdict *v)
{
	return v->what == SHIM_STALL && shim_ctl && v->rule < FR_MAX_RULES &&
	       shim_ctl->slots[v->rule].rule.action == FR_ACT_BLACKHOLE;
}

size_t shim_sock_swallow(int fd, struct shim_verdict *v)
{
	struct shim_ep ep;

	if (v->op != FR_OP_SEND || !v->allow || !blackhole(v))
		return 0;
	if (!shim_ep_get(fd, FR_OP_SEND, &ep) &&
	    !shim_ep_begin(fd, FR_OP_SEND, v->rule, FR_ACT_BLACKHOLE, 0, &ep))
		return 0; /* no room for its episode: held as a stall */
	return shim_ep_swallow(fd, v->allow);
}

int shim_sock_apply(int fd, bool dontwait, struct shim_verdict *v)
{
	uint32_t action = v->what == SHIM_DELAY ? FR_ACT_DELAY :
			  blackhole(v)		? FR_ACT_BLACKHOLE :
						  FR_ACT_STALL;
	int r;

	switch (v->what) {
	case SHIM_FAIL:
		return -v->err;
	case SHIM_REFUSE:
		return -ECONNREFUSED;
	case SHIM_RESET:
		shim_sock_reset(fd);
		return -ECONNRESET;
	case SHIM_STALL:
	case SHIM_DELAY:
		r = hold(fd, v->op, dontwait, action, v->rule, v->ns);
		/* delay= slice=: after the delay, a short count (v->allow) */
		if (r == 0)
			v->what = v->slice ? SHIM_LIMIT : SHIM_PASS;
		/* rate=: then what the bucket holds (rate.c) */
		if (r == 0 && v->rate_rule >= 0)
			r = shim_rate_after(fd, dontwait || shim_fd_nonblock(fd),
					    shim_sock_timeo(fd, v->op, fr_now_ns()), v);
		return r;
	default:
		return 0;
	}
}

/* Record the peer of a socket that connected (or started to). */
static void record_peer(int fd, const struct sockaddr *sa, socklen_t len)
{
	int saved = errno;

	shim_sock_forget(fd);
	shim_fd_set_peer(fd, sa, len);
	shim_sock_changed();
	errno = saved;
}

/* ---- connect ------------------------------------------------------------ */

/* connect() with O_NONBLOCK set for the one call (SO_SNDTIMEO expired). */
static int connect_nonblock(int fd, const struct sockaddr *sa, socklen_t len)
{
	long fl = fr_syscall(SYS_fcntl, fd, F_GETFL);
	int r, err;

	if (fl < 0)
		return -1;
	fr_syscall(SYS_fcntl, fd, F_SETFL, fl | O_NONBLOCK);
	r = SHIM_REAL(connect)(fd, sa, len);
	err = errno;
	fr_syscall(SYS_fcntl, fd, F_SETFL, fl);
	errno = err;
	return r;
}

/*
 * A connect under a stall or delay. Non-blocking: the handshake goes
 * ahead underneath (so a refused or unreachable peer still says so), the
 * call answers EINPROGRESS and the socket stays unwritable in poll/epoll
 * until the episode ends. Blocking: nothing is sent until it ends; the
 * socket's SO_SNDTIMEO ends the wait with EINPROGRESS as the kernel's own
 * timeout does, the connection then continuing in the background.
 */
static int connect_held(int fd, const struct sockaddr *sa, socklen_t len,
			const struct shim_verdict *v)
{
	struct fr_ctl *c = shim_ctl;
	uint32_t action = v->what == SHIM_DELAY ? FR_ACT_DELAY : FR_ACT_STALL;
	uint64_t now = fr_now_ns(), until;
	struct shim_ep ep;
	int r;

	until = action == FR_ACT_DELAY ? now + v->ns : shim_stall_window_end(c, v->rule);
	if (!shim_fd_nonblock(fd)) {
		r = shim_hold_block(c, v->rule, shim_arm_tag(c, v->rule), until,
				    shim_sock_timeo(fd, FR_OP_CONNECT, now));
		if (r == -EINTR) {
			errno = EINTR;
			return -1;
		}
		if (r == 0) {
			r = SHIM_REAL(connect)(fd, sa, len);
			if (r == 0)
				record_peer(fd, sa, len);
			return r;
		}
		r = connect_nonblock(fd, sa, len);
	} else {
		r = SHIM_REAL(connect)(fd, sa, len);
	}
	if (r < 0 && errno != EINPROGRESS)
		return r; /* the real failure wins */
	record_peer(fd, sa, len);
	if (!shim_ep_begin(fd, FR_OP_CONNECT, v->rule, action, until, &ep))
		return r; /* no room to hold it: it connects */
	errno = EINPROGRESS;
	return -1;
}

/*
 * connect blackhole: the SYN is lost, so nothing is sent and the peer
 * never sees the connection. A blocking connect waits until the rule is
 * cleared and then connects for real; the socket's SO_SNDTIMEO ends the
 * wait with EINPROGRESS (socket(7)), and a signal with EINTR (connect(2)),
 * the connection then pending. Pending (non-blocking, or after those): the
 * call says EINPROGRESS, SO_ERROR stays 0, and poll/select/epoll never
 * report the socket (not even the POLLHUP of a socket never connected)
 * until the rule is cleared; then the first of them, or any socket call
 * that looks, makes the real connect (shim_sock_resume).
 */
static int connect_blackhole(int fd, const struct sockaddr *sa, socklen_t len,
			     const struct shim_verdict *v)
{
	struct fr_ctl *c = shim_ctl;
	struct shim_ep ep;
	int r = -EAGAIN;

	record_peer(fd, sa, len);
	if (!shim_fd_nonblock(fd)) {
		r = shim_hold_block(c, v->rule, shim_arm_tag(c, v->rule), 0,
				    shim_sock_timeo(fd, FR_OP_CONNECT, fr_now_ns()));
		if (r == 0)
			return SHIM_REAL(connect)(fd, sa, len);
	}
	if (!shim_ep_begin(fd, FR_OP_CONNECT, v->rule, FR_ACT_BLACKHOLE, 0, &ep))
		return SHIM_REAL(connect)(fd, sa, len); /* no room to hold it: it connects */
	errno = r == -EINTR ? EINTR : EINPROGRESS;
	return -1;
}

static __attribute__((noinline, cold)) int slow_connect(int fd, const struct sockaddr *sa,
							socklen_t len)
{
	struct fr_ctl *c = shim_ctl;
	struct shim_verdict v;
	struct shim_ep ep;
	uint64_t cand;
	int r;

	shim_verdict_init(&v, FR_OP_CONNECT);
	cand = c ? shim_armed_rules(c, FR_OP_CONNECT) : 0;
	if (cand) {
		char where[FR_CTL_WHERE_MAX];
		uint64_t m;

		/* a second connect while one is held: still in progress */
		if (shim_ep_get(fd, FR_OP_CONNECT, &ep) && shim_ep_holds(c, &ep, fr_now_ns())) {
			errno = EALREADY;
			return -1;
		}
		m = match_addr(c, cand, sa, len);
		if (m) {
			shim_sock_fmt(sa, len, where, sizeof(where));
			shim_decide_mask(c, FR_OP_CONNECT, m, 0, SHIM_NOBUDGET, "connect", where,
					 &v);
		}
	}
	switch (v.what) {
	case SHIM_FAIL:
	case SHIM_REFUSE:
	case SHIM_RESET:
		errno = v.err;
		return -1;
	case SHIM_STALL:
		if (blackhole(&v))
			return connect_blackhole(fd, sa, len, &v);
		return connect_held(fd, sa, len, &v);
	case SHIM_DELAY:
		return connect_held(fd, sa, len, &v);
	default:
		break;
	}
	r = SHIM_REAL(connect)(fd, sa, len);
	if (r == 0 || errno == EINPROGRESS)
		record_peer(fd, sa, len);
	return r;
}

int connect(int fd, __CONST_SOCKADDR_ARG addr, socklen_t len)
{
	if (unlikely(!SHIM_BOUND(connect)))
		return SHIM_FAIL_M1(ENOSYS);
	if (likely(!shim_armed(SHIM_OPS_NET))) {
		/* a socket connecting again has a new peer */
		shim_fd_opened(fd);
		return SHIM_REAL(connect)(fd, addr, len);
	}
	return slow_connect(fd, SHIM_SA(addr), len);
}

/* ---- accept ------------------------------------------------------------- */

/*
 * accept rules select the listening socket (lport=, unix=, proc=): a
 * failure leaves the connection queued as the kernel's own EMFILE does,
 * a stall or delay holds the queue, and reset accepts the connection and
 * aborts it (the client sees ECONNRESET, the program ECONNABORTED).
 */
static __attribute__((noinline, cold)) int
slow_accept(int fd, struct sockaddr *addr, socklen_t *alen, int flags, bool four, const char *fn)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct shim_verdict v;
	int nfd, e;

	shim_decide_fd(FR_OP_ACCEPT, fd, 0, fn, SHIM_NOBUDGET, &v);
	if (v.what == SHIM_RESET) {
		nfd = four ? SHIM_REAL(accept4)(fd, NULL, NULL, flags) :
			     SHIM_REAL(accept)(fd, NULL, NULL);
		if (nfd < 0)
			return nfd;
		sock_abort(nfd);
		errno = ECONNABORTED;
		return -1;
	}
	if (v.what != SHIM_PASS) {
		e = shim_sock_apply(fd, false, &v);
		if (e < 0) {
			errno = -e;
			return -1;
		}
	}
	nfd = four ? SHIM_REAL(accept4)(fd, (struct sockaddr *)&ss, &sl, flags) :
		     SHIM_REAL(accept)(fd, (struct sockaddr *)&ss, &sl);
	if (nfd < 0)
		return nfd;
	e = errno;
	if (addr && alen) {
		memcpy(addr, &ss, *alen < sl ? *alen : sl);
		*alen = sl;
	}
	shim_sock_forget(nfd);
	shim_fd_set_peer(nfd, (struct sockaddr *)&ss, sl);
	sl = sizeof(ss);
	if (fr_syscall(SYS_getsockname, nfd, &ss, &sl) == 0)
		shim_fd_set_local(nfd, (struct sockaddr *)&ss, sl);
	shim_sock_changed();
	errno = e;
	return nfd;
}

int accept(int fd, __SOCKADDR_ARG addr, socklen_t *alen)
{
	if (unlikely(!SHIM_BOUND(accept)))
		return SHIM_FAIL_M1(ENOSYS);
	if (likely(!shim_armed(SHIM_OPS_NET)))
		return shim_fd_opened(SHIM_REAL(accept)(fd, addr, alen));
	return slow_accept(fd, SHIM_SA(addr), alen, 0, false, "accept");
}

int accept4(int fd, __SOCKADDR_ARG addr, socklen_t *alen, int flags)
{
	if (unlikely(!SHIM_BOUND(accept4)))
		return SHIM_FAIL_M1(ENOSYS);
	if (likely(!shim_armed(SHIM_OPS_NET)))
		return shim_fd_opened(SHIM_REAL(accept4)(fd, addr, alen, flags));
	return slow_accept(fd, SHIM_SA(addr), alen, flags, true, "accept4");
}

/* ---- send and recv ------------------------------------------------------ */

/*
 * Decide a send or recv moving n bytes and carry out the verdict. Returns
 * 0 when the real call goes ahead (*n possibly cut by `short`), or -1
 * with errno set.
 */
static int io_decide(enum fr_op op, int fd, size_t *n, int flags, const char *fn,
		     struct shim_verdict *v)
{
	size_t swallowed;
	int e;

	shim_decide_fd(op, fd, *n, fn, 0, v);
	if (v->what == SHIM_PASS)
		return 0;
	/* a blackhole took the bytes: the call reports them sent (v->allow) */
	swallowed = shim_sock_swallow(fd, v);
	if (swallowed) {
		v->allow = swallowed;
		return 1;
	}
	e = shim_sock_apply(fd, flags & MSG_DONTWAIT, v);
	if (e < 0) {
		errno = -e;
		return -1;
	}
	if (v->what == SHIM_LIMIT && v->allow < *n)
		*n = v->allow;
	return 0;
}

static size_t iov_sum(const struct iovec *iov, size_t cnt)
{
	size_t t = 0;

	for (size_t i = 0; iov && i < cnt; i++)
		t += iov[i].iov_len;
	return t;
}

/* The first `allow` bytes of msg's vector, in cut (at most 64 entries). */
#define SOCK_IOV_CUT 64
static void msg_cut(const struct msghdr *msg, struct msghdr *out, struct iovec *cut, size_t allow)
{
	size_t k = 0;

	*out = *msg;
	for (size_t i = 0; i < msg->msg_iovlen && allow && k < SOCK_IOV_CUT; i++) {
		cut[k] = msg->msg_iov[i];
		if (cut[k].iov_len > allow)
			cut[k].iov_len = allow;
		allow -= cut[k].iov_len;
		k++;
	}
	out->msg_iov = cut;
	out->msg_iovlen = k;
}

#define SHIM_UNPAREN(...) __VA_ARGS__
static ssize_t dg_send(struct shim_verdict *v, int fd, const void *buf, size_t n, int flags)
{
	return shim_dgram_buf(v, fd, buf, n, flags, NULL, 0, NULL, NULL);
}
static ssize_t dg_sendto(struct shim_verdict *v, int fd, const void *buf, size_t n, int flags,
			 __CONST_SOCKADDR_ARG to, socklen_t tolen)
{
	return shim_dgram_buf(v, fd, buf, n, flags, SHIM_SA(to), tolen, NULL, NULL);
}
static ssize_t dg_recv(struct shim_verdict *v, int fd, void *buf, size_t n, int flags)
{
	return shim_dgram_buf(v, fd, buf, n, flags, NULL, 0, NULL, NULL);
}
static ssize_t dg___recv_chk(struct shim_verdict *v, int fd, void *buf, size_t n, size_t buflen,
			     int flags)
{
	(void)buflen;
	return shim_dgram_buf(v, fd, buf, n, flags, NULL, 0, NULL, NULL);
}
static ssize_t dg_recvfrom(struct shim_verdict *v, int fd, void *buf, size_t n, int flags,
			   __SOCKADDR_ARG from, socklen_t *fromlen)
{
	return shim_dgram_buf(v, fd, buf, n, flags, NULL, 0, SHIM_SA(from), fromlen);
}
static ssize_t dg___recvfrom_chk(struct shim_verdict *v, int fd, void *buf, size_t n, size_t buflen,
				 int flags, __SOCKADDR_ARG from, socklen_t *fromlen)
{
	(void)buflen;
	return shim_dgram_buf(v, fd, buf, n, flags, NULL, 0, SHIM_SA(from), fromlen);
}

/* send(fd, buf, n, flags, ...) and recv(...) shaped calls */
#define SHIM_GEN_SOCK_BUF(name, ret, params, args, op, fail)             \
	SHIM_SLOW(name, ret, params)                                     \
	{                                                                \
		struct shim_verdict v;                                   \
		ret r;                                                   \
		int d = io_decide(FR_OP_##op, fd, &n, flags, #name, &v); \
		if (d != 0)                                              \
			return d < 0 ? -1 : (ret)v.allow;                \
		if (unlikely(v.what == SHIM_DGRAM))                      \
			return dg_##name(&v, SHIM_UNPAREN args);         \
		r = SHIM_REAL(name) args;                                \
		shim_settle(&v, r);                                      \
		return r;                                                \
	}                                                                \
	SHIM_GEN_FD_FAST(name, ret, params, args, op, fail)

/*
 * sendmsg/recvmsg: `short` cuts the vector; MSG_ERRQUEUE is not the peer.
 * `copyback` gives the caller's header what recvmsg wrote into the copy.
 */
#define SHIM_SOCK_MSG(name, ret, params, args, op, fail, copyback)                  \
	SHIM_SLOW(name, ret, params)                                                \
	{                                                                           \
		struct shim_verdict v;                                              \
		struct iovec cut[SOCK_IOV_CUT];                                     \
		struct msghdr m2;                                                   \
		size_t total, n;                                                    \
		ret r;                                                              \
		int d;                                                              \
		if (!msg || (flags & MSG_ERRQUEUE))                                 \
			return SHIM_REAL(name) args;                                \
		total = n = iov_sum(msg->msg_iov, msg->msg_iovlen);                 \
		d = io_decide(FR_OP_##op, fd, &n, flags, #name, &v);                \
		if (d != 0)                                                         \
			return d < 0 ? -1 : (ret)v.allow;                           \
		if (unlikely(v.what == SHIM_DGRAM))                                 \
			return shim_dgram_msg(fd, (struct msghdr *)msg, flags, &v); \
		if (n < total) {                                                    \
			msg_cut(msg, &m2, cut, n);                                  \
			r = SHIM_REAL(name)(fd, &m2, flags);                        \
			copyback;                                                   \
		} else {                                                            \
			r = SHIM_REAL(name) args;                                   \
		}                                                                   \
		shim_settle(&v, r);                                                 \
		return r;                                                           \
	}

/* what recvmsg() writes back into the caller's header */
#define SOCK_RECVMSG_BACK                                \
	do {                                             \
		msg->msg_namelen = m2.msg_namelen;       \
		msg->msg_controllen = m2.msg_controllen; \
		msg->msg_flags = m2.msg_flags;           \
	} while (0)

#define SHIM_GEN_SOCK_MSG_SEND(name, ret, params, args, op, fail) \
	SHIM_SOCK_MSG(name, ret, params, args, op, fail, (void)0) \
	SHIM_GEN_FD_FAST(name, ret, params, args, op, fail)

/*
 * sendmmsg/recvmmsg: decided once for the call; `short` moves only the
 * first message.
 */
static __attribute__((noinline, cold)) int slow_sendmmsg(int fd, struct mmsghdr *vec,
							 unsigned int vlen, int flags)
{
	struct shim_verdict v;
	size_t n = vlen && vec ? iov_sum(vec[0].msg_hdr.msg_iov, vec[0].msg_hdr.msg_iovlen) : 0;
	size_t total = n;
	int r;

	r = io_decide(FR_OP_SEND, fd, &n, flags, "sendmmsg", &v);
	if (r < 0)
		return -1;
	if (r > 0) {
		/* swallowed by a blackhole: the first message, as far as it went */
		vec[0].msg_len = (unsigned int)v.allow;
		return 1;
	}
	if (unlikely(v.what == SHIM_DGRAM)) {
		/* a datagram fault: decided once, for the first message */
		ssize_t one = shim_dgram_msg(fd, &vec[0].msg_hdr, flags, &v);

		if (one < 0)
			return -1;
		vec[0].msg_len = (unsigned int)one;
		return 1;
	}
	if (n < total && vlen > 1)
		vlen = 1;
	r = SHIM_REAL(sendmmsg)(fd, vec, vlen, flags);
	shim_settle(&v, r > 0 ? (ssize_t)total : r);
	return r;
}

static __attribute__((noinline, cold)) int
slow_recvmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags, struct timespec *tmo)
{
	struct shim_verdict v;
	size_t n = vlen && vec ? iov_sum(vec[0].msg_hdr.msg_iov, vec[0].msg_hdr.msg_iovlen) : 0;
	size_t total = n;
	int r;

	if (flags & MSG_ERRQUEUE)
		return SHIM_REAL(recvmmsg)(fd, vec, vlen, flags, tmo);
	if (io_decide(FR_OP_RECV, fd, &n, flags, "recvmmsg", &v) != 0)
		return -1;
	if (unlikely(v.what == SHIM_DGRAM)) {
		/* a datagram fault: decided once, for the first message (no timeout) */
		ssize_t one = shim_dgram_msg(fd, &vec[0].msg_hdr, flags & ~MSG_WAITFORONE, &v);

		if (one < 0)
			return -1;
		vec[0].msg_len = (unsigned int)one;
		return 1;
	}
	if (n < total && vlen > 1)
		vlen = 1;
	r = SHIM_REAL(recvmmsg)(fd, vec, vlen, flags, tmo);
	shim_settle(&v, r > 0 ? (ssize_t)total : r);
	return r;
}

SHIM_SOCK_MSG(recvmsg, ssize_t, (int fd, struct msghdr *msg, int flags), (fd, msg, flags), RECV, M1,
	      SOCK_RECVMSG_BACK)

/*
 * recvmsg and recvmmsg are written whole: besides deciding, they may
 * receive fds (SCM_RIGHTS, unix(7)), which the kernel installs on the
 * lowest free numbers, numbers the program may have closed behind the
 * shim's back (libuv closes with a raw syscall; Node's cluster module
 * hands connections to its workers this way). Whatever the table knew
 * about those numbers is forgotten, on the fast path too.
 */
ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	ssize_t r;

	if (unlikely(!SHIM_BOUND(recvmsg)))
		return SHIM_FAIL_M1(ENOSYS);
	if (likely(!shim_armed(SHIM_OPS_RECV)) || shim_fd_quick_pass(FR_OP_RECV, fd))
		r = SHIM_REAL(recvmsg)(fd, msg, flags);
	else
		r = slow_recvmsg(fd, msg, flags);
	if (r >= 0 && unlikely(shim_fd_table_used()))
		shim_fd_received(msg);
	return r;
}

int recvmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags, struct timespec *tmo)
{
	int r;

	if (unlikely(!SHIM_BOUND(recvmmsg)))
		return SHIM_FAIL_M1(ENOSYS);
	if (likely(!shim_armed(SHIM_OPS_RECV)) || shim_fd_quick_pass(FR_OP_RECV, fd))
		r = SHIM_REAL(recvmmsg)(fd, vec, vlen, flags, tmo);
	else
		r = slow_recvmmsg(fd, vec, vlen, flags, tmo);
	if (r > 0 && unlikely(shim_fd_table_used()))
		for (int i = 0; i < r; i++)
			shim_fd_received(&vec[i].msg_hdr);
	return r;
}

/* ---- new sockets ---------------------------------------------------------- */

int socket(int domain, int type, int protocol)
{
	if (unlikely(!SHIM_BOUND(socket)))
		return SHIM_FAIL_M1(ENOSYS);
	return shim_fd_opened(SHIM_REAL(socket)(domain, type, protocol));
}

/*
 * listen() changes no fd, but what a poll on the socket waits for: accept,
 * not recv. Recorded in the fd's entry, so that the readiness wrappers never
 * ask the kernel (shim_sock_listening).
 */
int listen(int fd, int backlog)
{
	int r;

	if (unlikely(!SHIM_BOUND(listen)))
		return SHIM_FAIL_M1(ENOSYS);
	r = SHIM_REAL(listen)(fd, backlog);
	if (r == 0 && unlikely(shim_fd_table_used()))
		shim_fd_set_listening(fd);
	return r;
}

int socketpair(int domain, int type, int protocol, int fds[2])
{
	int r;

	if (unlikely(!SHIM_BOUND(socketpair)))
		return SHIM_FAIL_M1(ENOSYS);
	r = SHIM_REAL(socketpair)(domain, type, protocol, fds);
	if (r == 0) {
		shim_fd_opened(fds[0]);
		shim_fd_opened(fds[1]);
	}
	return r;
}

/* Generate the bodies of the socket family. */
#define WRAP(name, ret, params, args, op, shape, fail, errnos)
#define WRAP_SOCK(name, ret, params, args, op, shape, fail, errnos) \
	SHIM_GEN_##shape(name, ret, params, args, op, fail)
#include "wrapped.def"
#undef WRAP_SOCK
#undef WRAP
