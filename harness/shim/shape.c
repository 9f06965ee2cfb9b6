/*
 * Traffic shaping (docs/faults.md "Socket faults"): the draws behind
 * jitter= and slice=MIN..MAX, Toxiproxy's latency jitter and slicer.
 *
 * A draw is a hash, not a generator with state to lock: the rule's seed
 * (fr_rule_finish derives one from the SPEC when none is given), the
 * socket and direction the call is on, and how many draws that socket
 * and direction made before in this process. So a run repeated with the
 * same SPEC gives each socket the same sequence, whatever other sockets
 * and threads do meanwhile, as long as the calls on it come in the same
 * order. The counters are per fd number modulo SHAPE_FDS (a number
 * reused by a later connection continues its count, as deterministic);
 * fork copies them, exec starts at zero. Calls that name no fd (connect,
 * a delay an event loop's poll begins) share the counters of fd -1.
 *
 * Lock-free and allocation-free: a relaxed fetch_add and arithmetic.
 */
#include "sock.h"

#include <sys/syscall.h>

#define SHAPE_FDS 64u
static _Atomic uint32_t draws[SHAPE_FDS * FR_MAX_RULES * 2];

/* splitmix64's finaliser (Steele, Lea, Flood 2014): a bijective 64-bit mix. */
uint64_t shim_shape_mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* The next draw of rule i on (fd, direction of op). */
static uint64_t draw(const struct fr_rule *r, unsigned i, int fd, enum fr_op op)
{
	unsigned in = op == FR_OP_RECV || op == FR_OP_READ || op == FR_OP_ACCEPT;
	unsigned slot = (unsigned)(fd + 1) % SHAPE_FDS;
	unsigned idx = (slot * FR_MAX_RULES + i % FR_MAX_RULES) * 2 + in;
	uint64_t n = atomic_fetch_add_explicit(&draws[idx], 1, memory_order_relaxed);

	return shim_shape_mix(r->seed ^ shim_shape_mix((uint64_t)(slot * 2 + in) << 32 | n));
}

uint64_t shim_shape_delay(struct fr_ctl *c, unsigned i, int fd, enum fr_op op)
{
	const struct fr_rule *r = &c->slots[i].rule;
	uint64_t j = r->jitter, u;

	if (!j)
		return r->amount;
	/* uniform in [amount - j, amount + j], never below 0 (saturating) */
	j = j > UINT64_MAX / 4 ? UINT64_MAX / 4 : j;
	u = draw(r, i, fd, op) % (2 * j + 1);
	if (u >= j)
		return r->amount > UINT64_MAX - (u - j) ? UINT64_MAX : r->amount + (u - j);
	return r->amount > j - u ? r->amount - (j - u) : 0;
}

uint64_t shim_shape_delay_max(struct fr_ctl *c, unsigned i)
{
	const struct fr_rule *r = &c->slots[i].rule;

	return r->amount > UINT64_MAX - r->jitter ? UINT64_MAX : r->amount + r->jitter;
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

	if (!s || (flags & SHIM_STDIO) || fd < 0 || !sock_stream(fd))
		return false;
	if (r->slice_min && r->slice_min < s)
		s = r->slice_min + draw(r, i, fd, op) % (s - r->slice_min + 1);
	if (want <= s)
		return false;
	*allow = (size_t)s;
	return true;
}
