/*
 * Socket faults: what wrap_sock.c, the readiness wrappers and stall.c share.
 * What the rest of the shim needs (shim_sock_apply, shim_sock_episode,
 * shim_sock_forget, shim_stall_fire) is declared in shim.h.
 *
 * The model, in one place:
 *
 * - An *episode* is one socket going silent (stall) or slow (delay) in
 *   one direction: RECV (the peer sends nothing), SEND (the peer reads
 *   nothing), ACCEPT (no client gets through a listening socket) or
 *   CONNECT (the handshake never completes). It begins on the first call
 *   the rule injects (counted once: matched, injected, one event) and
 *   lasts, without being counted again, until the rule is disarmed or
 *   re-armed, its stall=DURATION window ends, or, for a delay, the call it
 *   delayed goes through. Every call on that socket and direction obeys
 *   it: a blocking call waits (futex on the block's `generation`, with
 *   the socket's own SO_RCVTIMEO/SO_SNDTIMEO), a non-blocking one gets
 *   EAGAIN, and poll/select/epoll hide the direction's readiness.
 * - poll/select/epoll also start episodes themselves for rules that would
 *   certainly inject (no probability=, after= already met, times= not
 *   spent), so an event loop that never calls recv() still sees the stall.
 * - A stall=DURATION window is per rule and process: it starts at the
 *   rule's first injection after arming, and once it has passed the rule
 *   injects nothing more until armed again (the peer came back).
 * - A poll-family call that waits while hiding a stalled socket must also
 *   wake when the rule is disarmed. The kernel cannot wait on fds and a
 *   futex at once, so one helper thread per process (started on first
 *   need) sleeps on the futex and writes to the eventfd of every such
 *   waiting call (a small registry), which polls it with its own fds.
 */
#ifndef FAULTRUN_SHIM_SOCK_H
#define FAULTRUN_SHIM_SOCK_H

#include "shim.h"
#include "../fault/dist.h"

#include <poll.h>
#include <signal.h>

/*
 * With _GNU_SOURCE glibc declares the sockaddr arguments of connect(),
 * accept()... as a transparent union (__SOCKADDR_ARG); wrapped.def uses
 * the same types, and SHIM_SA() gives the plain pointer.
 */
#ifdef __SOCKADDR_ALLTYPES
#define SHIM_SA(a) ((a).__sockaddr__)
#else
#define SHIM_SA(a) (a)
#endif

/* Episode directions are the four socket operations. */
#define SHIM_OP_IS_NET(op) ((op) >= FR_OP_CONNECT && (op) <= FR_OP_RECV)

/* poll bits of each direction (POLLRDHUP: the peer's FIN is hidden too) */
#define SHIM_POLL_IN (POLLIN | POLLRDNORM | POLLRDBAND | POLLPRI | POLLRDHUP)
#define SHIM_POLL_OUT (POLLOUT | POLLWRNORM | POLLWRBAND)

/* ---- stall.c: rules ------------------------------------------------- */

/* The armed rules of op whose action is stall or delay (slot mask). */
uint64_t shim_hold_rules(struct fr_ctl *c, enum fr_op op);

/*
 * Whether armed rule i would inject on its next matching call for sure
 * (no probability=, after= met, times= left): poll may start its episode.
 */
bool shim_rule_certain(struct fr_ctl *c, unsigned i);

/* The arming a rule is in: changes on every arm, so disarm+arm is seen. */
uint64_t shim_arm_tag(struct fr_ctl *c, unsigned i);

/*
 * End of rule i's stall=DURATION window in this process (CLOCK_MONOTONIC
 * ns), or 0 when it has none (no duration, or not started in this arming).
 */
uint64_t shim_stall_window_end(struct fr_ctl *c, unsigned i);

/* ---- stall.c: episodes ---------------------------------------------- */

struct shim_ep {
	unsigned rule;	 /* slot */
	uint32_t action; /* FR_ACT_STALL or FR_ACT_DELAY */
	uint64_t tag;	 /* shim_arm_tag() when it began */
	uint64_t until;	 /* delay: when the call may go; stall: window end; 0 */
	uint64_t used;	 /* send blackhole: bytes swallowed so far */
	uint64_t cap; /* send blackhole: SO_SNDBUF, what it swallows (unread: UINT64_MAX); else 0 */
};

/*
 * The live episode of (fd, op) into *ep, or false. An episode whose rule
 * was disarmed, re-armed or whose window passed is removed on the way.
 * Costs one relaxed load when no episode exists in the process.
 */
bool shim_ep_get(int fd, enum fr_op op, struct shim_ep *ep);

/*
 * Begin an episode of (fd, op) for rule `rule` (already counted by the
 * decision). Returns it in *ep (an existing live one wins a race), or
 * false when the table is full (callers then hold by the rule alone).
 */
bool shim_ep_begin(int fd, enum fr_op op, unsigned rule, uint32_t action, uint64_t until,
		   struct shim_ep *ep);

/* The delayed call went through, or the episode is over: remove it. */
void shim_ep_end(int fd, enum fr_op op);

/*
 * Whether episode ep still holds its direction at time now (a send
 * blackhole: once it has swallowed its SO_SNDBUF).
 */
bool shim_ep_holds(struct fr_ctl *c, const struct shim_ep *ep, uint64_t now);
/* Whether ep's rule is still in force (a blackhole holds while it is). */
bool shim_ep_live(struct fr_ctl *c, const struct shim_ep *ep, uint64_t now);

/*
 * Send blackhole: take up to `want` bytes into (fd, SEND)'s episode, as
 * far as its SO_SNDBUF allows. Returns how many (0: full, or no episode).
 */
size_t shim_ep_swallow(int fd, size_t want);

/*
 * A connect a blackhole held pending (never made) whose rule is cleared:
 * make it now, non-blocking, to the peer recorded in the fd table
 * (wrap_sock.c). errno kept.
 */
void shim_sock_resume(int fd);

/*
 * A socket's peer or episodes changed (connect, accept, an episode began):
 * cached views of epoll sets (wrap_epoll.c) must look again.
 */
void shim_sock_changed(void);
extern _Atomic uint32_t shim_sock_change_count;
static inline uint32_t shim_sock_changes(void)
{
	return atomic_load_explicit(&shim_sock_change_count, memory_order_acquire);
}

/* ---- stall.c: waiting ----------------------------------------------- */

/*
 * Block the calling thread while rule `rule` (in arming `tag`) is armed,
 * until `until` (0 = no end of its own), or until the socket's own
 * timeout deadline `timeo` (0 = none). No spinning: FUTEX_WAIT on the
 * block's generation word, woken by every arm/disarm. Cancellable (the
 * wait runs with asynchronous cancellation, the call being a cancellation
 * point). Returns 0 when released (cleared, or `until` reached), -EAGAIN
 * when `timeo` expired first, -EINTR when a signal interrupted it and the
 * kernel would not have restarted the call. errno kept.
 */
int shim_hold_block(struct fr_ctl *c, unsigned rule, uint64_t tag, uint64_t until, uint64_t timeo);

/*
 * A poll-family call that waits while hiding a stalled socket registers a
 * private eventfd, written by the wake thread on every arm/disarm. Returns
 * the eventfd (to add to the real wait) with *slot set, or -1 when none
 * could be had (the caller then waits in slices of SHIM_WAKE_SLICE_NS).
 * shim_wake_end() unregisters and closes it.
 */
int shim_wake_begin(int *slot);
void shim_wake_end(int efd, int slot);
#define SHIM_WAKE_SLICE_NS (10 * 1000 * 1000ull)

/* ---- wrap_sock.c (and shim_sock_fmt in stall.c) ---------------------- */

/*
 * The socket's own timeout for op as an absolute CLOCK_MONOTONIC deadline
 * from now (SO_RCVTIMEO for recv/accept, SO_SNDTIMEO for send/connect),
 * or 0 when it has none.
 */
uint64_t shim_sock_timeo(int fd, enum fr_op op, uint64_t now);

/* Whether fd has O_NONBLOCK (raw fcntl: never re-enters the shim). */
bool shim_fd_nonblock(int fd);

/* "host:port", "[v6]:port" or "unix:path" for an address. */
void shim_sock_fmt(const struct sockaddr *sa, socklen_t len, char *out, size_t n);

/* Whether fd is a listening socket. */
bool shim_sock_listening(int fd);

/* ---- shape.c: jitter= and slice= ---------------------------------------- */

/* The delay of rule i's next injection on (fd, op's direction): amount +- jitter. */
uint64_t shim_shape_delay(struct fr_ctl *c, unsigned i, int fd, enum fr_op op);
/* The longest delay rule i can draw. */
uint64_t shim_shape_delay_max(struct fr_ctl *c, unsigned i);
/*
 * slice=: whether rule i cuts a call moving `want` bytes on fd (a stream
 * socket, not a stdio call), and to how many bytes (*allow).
 */
bool shim_shape_slice(struct fr_ctl *c, unsigned i, int fd, enum fr_op op, size_t want,
		      unsigned flags, size_t *allow);

/* The splitmix64 finaliser the draws hash with (shape.c), for limit.c's. */
uint64_t shim_shape_mix(uint64_t x);

/* ---- limit.c: close-after= and per=connection --------------------------- */

/*
 * A draw of rule i on the connection on fd (shape.c): the connection's
 * number in the run (1 for the first any shaping rule met), the draws it
 * made before in direction `in` (0 send, 1 recv), and where its last
 * correlated value is kept. false: fd is not followed (no fd, or the
 * table could not be mapped).
 */
struct shim_conn_draw {
	uint32_t conn;
	uint32_t n;
	_Atomic uint32_t *last;
};
bool shim_conn_draws(struct fr_ctl *c, unsigned i, int fd, unsigned in, struct shim_conn_draw *d);

/*
 * per=connection: whether rule i affects the connection on fd, chosen
 * when the rule first sees it (after=, probability= drawn from its seed=,
 * times=, all counting connections) and kept until the fd is closed.
 */
bool shim_conn_pick(struct fr_ctl *c, unsigned i, int fd);

/* What shim_limit_decide() says about a call. */
enum {
	SHIM_LIM_PASS = 0, /* the rule leaves the call alone */
	SHIM_LIM_COUNT,	   /* it goes ahead, counted, cut to v->limit_left (shim_limit_cap) */
	SHIM_LIM_INJECT,   /* v says how it is cut or fails: the rule's injection (counted) */
	SHIM_LIM_REPORT,   /* the same, for a connection the rule already counted */
};
/*
 * A close-after= rule i on a send/recv of `want` bytes on socket fd;
 * `forced`: per=connection already chose the connection.
 */
int shim_limit_decide(struct fr_ctl *c, unsigned i, enum fr_op op, int fd, size_t want, bool forced,
		      struct shim_verdict *v);
/* Cut an otherwise decided verdict to the bytes its connection has left. */
void shim_limit_cap(struct shim_verdict *v, size_t want);
/* then=close: shut v->limit_fd down both ways (the peer reads end of file). */
void shim_limit_shut(const struct shim_verdict *v);

/*
 * slow-close=: before the real close() of fd, wait what an armed
 * slow-close rule matching the socket says (limit.c). errno kept.
 */
void shim_slow_close(int fd);

/* Reset a connection for real (limit.c): RST to a TCP peer, shut down. */
void shim_sock_reset(int fd);
/* ---- rate.c: rate= ------------------------------------------------------ */

/*
 * rate= alone (rule i, a short-class rule) on a send or recv of `want`
 * bytes: true when it injects (v: a cut count, SHIM_LIMIT, or a wait for
 * the bucket to refill, SHIM_DELAY); false when the call fits (the take
 * noted in v, settled after the call) or is not paced.
 */
bool shim_rate_decide(struct fr_ctl *c, unsigned i, enum fr_op op, int fd, size_t want,
		      unsigned flags, struct shim_verdict *v);
/*
 * After a rate= verdict's wait (or a delay= rate= rule's delay): take from
 * the bucket, cutting v->allow; wait more (blocking, until the socket's
 * timeout deadline timeo, 0: none) or say
 * -EAGAIN and hold readiness until it refills (non-blocking). 0 or -errno.
 */
int shim_rate_after(int fd, bool nonblock, uint64_t timeo, struct shim_verdict *v);
/* The buckets of fd (all fds first..last) are forgotten: closed or reused. */
void shim_rate_forget(int fd);
void shim_rate_forget_range(unsigned first, unsigned last);
/* Give back to rule i's bucket what a call took (taken) and did not move. */
void shim_rate_give_back(int fd, enum fr_op op, unsigned i, size_t taken, size_t used,
			 uint64_t charged);

/* ---- dgram.c: drop, duplicate, reorder on datagram sockets --------------- */

/*
 * decide()'s case for those actions (rule i, a call of op on fd): 0 the
 * rule leaves the call alone (not a datagram socket, or it did not
 * fire), 1 it injects, 2 a datagram it holds is handed out in its turn
 * (no new injection: decide returns at once). v->what is SHIM_DGRAM then.
 */
int shim_dgram_decide(struct fr_ctl *c, unsigned i, enum fr_op op, int fd, bool forced,
		      struct shim_verdict *v);
/*
 * Make a call whose verdict is SHIM_DGRAM: send (sendmsg) or receive
 * (recvmsg) msg on fd as the rule says. Returns what the call returns
 * (-1 with errno). shim_dgram_io: the same for read/write/readv/writev.
 */
ssize_t shim_dgram_msg(int fd, struct msghdr *msg, int flags, struct shim_verdict *v);
ssize_t shim_dgram_io(int fd, const struct iovec *iov, int cnt, struct shim_verdict *v);
/* The same for a buffer and an address (sendto's `to`, recvfrom's `from`: either, or none). */
ssize_t shim_dgram_buf(struct shim_verdict *v, int fd, const void *buf, size_t n, int flags,
		       const struct sockaddr *to, socklen_t tolen, struct sockaddr *from,
		       socklen_t *fromlen);
/* fd (fds first..last) closed: a datagram held for it goes too. */
void shim_dgram_forget(int fd);
void shim_dgram_forget_range(unsigned first, unsigned last);

/* Time helpers. */
static inline uint64_t shim_min_deadline(uint64_t a, uint64_t b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	return a < b ? a : b;
}

#endif /* FAULTRUN_SHIM_SOCK_H */
