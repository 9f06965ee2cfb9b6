/*
 * Traffic shaping (docs/faults.md "Socket faults"): the draws behind
 * jitter= (spread by distribution=, correlated by correlation=) and
 * slice=MIN..MAX, Toxiproxy's latency jitter and slicer and netem's
 * delay distributions.
 *
 * A draw is a hash, not a generator with state to lock: the rule's seed
 * (fr_rule_finish derives one from the SPEC when none is given), the
 * connection and direction the call is on, and how many draws that
 * connection and direction made before. A connection is numbered once,
 * when the rule first draws for it, from a counter the whole run shares
 * in the control block (limit.c keeps the number, as per=connection
 * does): so each connection of the run has its own sequence, also when a
 * client makes one connection per process on the same fd number, and a
 * run repeated with the same SPEC whose connections come in the same
 * order gives each the same sequence. Calls that name no fd (connect, a
 * delay an event loop's poll begins), or when limit.c cannot follow the
 * fd, count per fd number in this process (SHAPE_FDS counters).
 *
 * correlation= is netem's: each draw's uniform number is weighted against
 * the previous one of the same connection and direction (dist.c).
 *
 * Lock-free and allocation-free: relaxed atomics and arithmetic.
 */
#include "sock.h"

#include <sys/syscall.h>

#define SHAPE_FDS 64u
static _Atomic uint32_t draws[SHAPE_FDS * FR_MAX_RULES * 2];
static _Atomic uint32_t lasts[SHAPE_FDS * FR_MAX_RULES * 2];

/* splitmix64's finaliser (Steele, Lea, Flood 2014): a bijective 64-bit mix. */
uint64_t shim_shape_mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/*
 * The next draw of rule i on (fd, direction of op); *last is where its
 * correlated value is kept (correlation=).
 */
static uint64_t draw(struct fr_ctl *c, unsigned i, int fd, enum fr_op op, _Atomic uint32_t **last)
{
	const struct fr_rule *r = &c->slots[i].rule;
	unsigned in = op == FR_OP_RECV || op == FR_OP_READ || op == FR_OP_ACCEPT;
	struct shim_conn_draw d;
	unsigned slot, idx;
	uint64_t n;

	if (shim_conn_draws(c, i, fd, in, &d)) {
		*last = d.last;
		/* bit 63: never the key of a per-process draw below */
		return shim_shape_mix(r->seed ^ shim_shape_mix(1ull << 63 | (uint64_t)d.conn << 33 |
							       (uint64_t)in << 32 | d.n));
	}
	slot = (unsigned)(fd + 1) % SHAPE_FDS;
	idx = (slot * FR_MAX_RULES + i % FR_MAX_RULES) * 2 + in;
	n = atomic_fetch_add_explicit(&draws[idx], 1, memory_order_relaxed);
	*last = &lasts[idx];
	return shim_shape_mix(r->seed ^ shim_shape_mix((uint64_t)(slot * 2 + in) << 32 | n));
}

uint64_t shim_shape_delay(struct fr_ctl *c, unsigned i, int fd, enum fr_op op)
{
	const struct fr_rule *r = &c->slots[i].rule;
	_Atomic uint32_t *last;
	uint32_t u;

	if (!r->jitter)
		return r->amount;
	u = (uint32_t)(draw(c, i, fd, op, &last) >> 32);
	if (r->correlation) {
		u = fr_dist_correlate(u, atomic_load_explicit(last, memory_order_relaxed),
				      r->correlation);
		atomic_store_explicit(last, u, memory_order_relaxed);
	}
	return fr_dist_delay(r->amount, r->jitter, r->distribution, u);
}

uint64_t shim_shape_delay_max(struct fr_ctl *c, unsigned i)
{
	const struct fr_rule *r = &c->slots[i].rule;

	return fr_dist_delay_max(r->amount, r->jitter, r->distribution);
}

/*
 * Whether fd carries a byte stream (SOCK_STREAM). A datagram or
 * SOCK_SEQPACKET socket is never sliced: a short recv there truncates
 * the message (its rest is dropped, recv(2) MSG_TRUNC) and a short send
 * sends a smaller one, neither of which a kernel does by itself.
 */
static bool sock_stream(int fd)
{
	int saved = errno, type = 0;
	socklen_t l = sizeof(type);
	long r = fr_syscall(SYS_getsockopt, fd, SOL_SOCKET, SO_TYPE, &type, &l);

	errno = saved;
	return r == 0 && type == SOCK_STREAM;
}

bool shim_shape_slice(struct fr_ctl *c, unsigned i, int fd, enum fr_op op, size_t want,
		      unsigned flags, size_t *allow)
{
	const struct fr_rule *r = &c->slots[i].rule;
	uint64_t s = r->slice_max;
	_Atomic uint32_t *last;

	if (!s || (flags & SHIM_STDIO) || fd < 0 || !sock_stream(fd))
		return false;
	if (r->slice_min && r->slice_min < s)
		s = r->slice_min + draw(c, i, fd, op, &last) % (s - r->slice_min + 1);
	if (want <= s)
		return false;
	*allow = (size_t)s;
	return true;
}
