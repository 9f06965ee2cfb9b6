/*
 * What the readiness wrappers share (wrap_poll.c: poll and select,
 * wrap_epoll.c: epoll): which directions of an fd a stall or delay holds
 * now, and the time arithmetic of their waits.
 */
#ifndef FAULTRUN_SHIM_READINESS_H
#define FAULTRUN_SHIM_READINESS_H

#include "sock.h"

#include <sys/syscall.h>
#include <time.h>

#define NS_PER_MS 1000000ll
#define NS_PER_S 1000000000ll

/* The hold rules of the four socket operations, indexed op - CONNECT. */
struct hold_rules {
	uint64_t m[4];
	uint64_t any;
};

/*
 * The armed rules of the socket operations a wait can hold (connect,
 * accept, send, recv), of any action: what a socket must match for a wait
 * on it to be worth deciding. 0 without a block. Bits of slots beyond the
 * published count are never set (a slot is armed once it is published).
 */
static inline uint64_t shim_sock_armed_any(struct fr_ctl *c)
{
	if (!c)
		return 0;
	return atomic_load_explicit(&c->armed_rules[FR_OP_CONNECT], memory_order_acquire) |
	       atomic_load_explicit(&c->armed_rules[FR_OP_ACCEPT], memory_order_acquire) |
	       atomic_load_explicit(&c->armed_rules[FR_OP_SEND], memory_order_acquire) |
	       atomic_load_explicit(&c->armed_rules[FR_OP_RECV], memory_order_acquire);
}
static inline bool shim_hold_load(struct fr_ctl *c, struct hold_rules *hr)
{
	hr->any = 0;
	for (enum fr_op op = FR_OP_CONNECT; op <= FR_OP_RECV; op++) {
		hr->m[op - FR_OP_CONNECT] = c ? shim_hold_rules(c, op) : 0;
		hr->any |= hr->m[op - FR_OP_CONNECT];
	}
	return hr->any != 0;
}

/* What to do about one fd in one wait. */
struct fd_hold {
	short hide;	    /* poll bits hidden now */
	bool mute;	    /* a connect a blackhole keeps unmade: hide all, POLLHUP too */
	bool stall;	    /* a stall hides something: wake on disarm */
	uint8_t in_op;	    /* RECV or ACCEPT */
	uint64_t until;	    /* when a hold may end by itself, 0 = never */
	uint64_t delay_in;  /* certain delay rules to begin once readable */
	uint64_t delay_out; /* ... once writable */
};

/*
 * What to hide of fd's `events` now: a live episode in a direction hides
 * it; without one, a certain stall rule begins one; certain delay rules
 * are noted, to begin when the socket turns ready.
 */
void shim_hold_compute(struct fr_ctl *c, int fd, short events, uint64_t now,
		       const struct hold_rules *hr, struct fd_hold *h);

/*
 * fd turned ready in a direction a certain delay rule covers: begin its
 * episode and tell whether the readiness must now be hidden.
 */
bool shim_hold_delay_ready(struct fr_ctl *c, int fd, enum fr_op op, uint64_t rules, uint64_t now,
			   uint64_t *until);

/* Timeouts: ns from now (-1 = infinite) to a relative timespec, or NULL. */
static inline struct timespec *shim_rel_ts(int64_t ns, struct timespec *ts)
{
	if (ns < 0)
		return NULL;
	ts->tv_sec = (time_t)(ns / NS_PER_S);
	ts->tv_nsec = (long)(ns % NS_PER_S);
	return ts;
}

/* ns left until deadline (absolute, 0 = none: -1), at least 0. */
static inline int64_t shim_ns_left(uint64_t deadline, uint64_t now)
{
	if (!deadline)
		return -1;
	return deadline > now ? (int64_t)(deadline - now) : 0;
}

/* How long the next real wait may last: the caller's, a hold's end, a slice. */
static inline int64_t shim_hold_wait_ns(uint64_t deadline, uint64_t until, bool slice, uint64_t now)
{
	int64_t w = shim_ns_left(shim_min_deadline(deadline, until), now);

	if (slice && (w < 0 || w > (int64_t)SHIM_WAKE_SLICE_NS))
		w = (int64_t)SHIM_WAKE_SLICE_NS;
	return w;
}

/* Empty the wake eventfd (errno kept). */
static inline void shim_drain(int efd)
{
	uint64_t v;
	int saved = errno;

	fr_syscall(SYS_read, efd, &v, sizeof(v));
	errno = saved;
}

/* A timespec timeout in ns: -1 for none (or too far), -2 when invalid. */
static inline int64_t shim_ts_ns(const struct timespec *ts)
{
	if (!ts)
		return -1;
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= NS_PER_S)
		return -2; /* let the kernel say EINVAL */
	if (ts->tv_sec > (INT64_MAX / NS_PER_S) - 1)
		return -1;
	return (int64_t)ts->tv_sec * NS_PER_S + ts->tv_nsec;
}

#endif /* FAULTRUN_SHIM_READINESS_H */
