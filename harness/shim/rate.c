/*
 * Bandwidth (docs/faults.md "Socket faults", rate=): a token bucket per
 * socket and direction, Toxiproxy's bandwidth toxic and tc netem's rate.
 *
 * The bucket is kept as one word, the time at which it would be empty
 * (the generic cell rate algorithm, ITU-T I.371): a call finds
 * max(tat, now) and may take what accrued between that and now plus one
 * burst. The burst is 1/20 s of the rate (at least one byte), so the rate
 * holds over any window of 100 ms or more, while calls still move 50 ms
 * worth at a time, not a byte per wakeup. A call moves its whole request
 * when the bucket holds it, or a full bucket (cut, as slice= cuts) when it
 * asks for more; otherwise it waits for that much: a blocking call
 * sleeps, a non-blocking one gets EAGAIN, and poll/select/epoll do not
 * report the direction until then. The wait is a delay episode (stall.c)
 * ending when the bucket refills, so the readiness wrappers hold it the
 * way they hold a delay, and an event loop wakes once, when the rate
 * allows. What a call took and did not move (a recv that found less data)
 * is given back after it (shim_settle).
 *
 * The table is per fd number below RATE_FDS (higher numbers share a slot,
 * the later socket restarting its bucket), keyed by the rule and its
 * arming, forgotten when the number is closed or reused. Lock-free: one
 * compare-and-swap per call. fork copies it: parent and child then pace
 * their own calls on a shared socket each at the full rate.
 */
#include "sock.h"

#include <sys/syscall.h>

#define RATE_FDS 1024u
#define RATE_BURST_NS (1000000000ull / 20)

struct bucket {
	_Atomic uint64_t key; /* (fd + 1) << 32 | arming << 8 | rule; 0: free */
	_Atomic uint64_t tat; /* CLOCK_MONOTONIC ns at which it is empty */
};

static struct bucket buckets[RATE_FDS][2];
static _Atomic int rate_used; /* a bucket was ever claimed in this process */

static uint64_t rate_key(struct fr_ctl *c, unsigned i, int fd)
{
	return ((uint64_t)(unsigned)fd + 1) << 32 | (shim_arm_tag(c, i) & 0xffffffull) << 8 | i;
}

static struct bucket *bucket_of(int fd, enum fr_op op)
{
	return &buckets[(unsigned)fd % RATE_FDS][op == FR_OP_RECV];
}

/* ns that n bytes take at `rate` bytes per second, rounded up. */
static uint64_t cost_ns(uint64_t n, uint64_t rate)
{
	unsigned __int128 t = (unsigned __int128)n * 1000000000ull + rate - 1;

	t /= rate;
	return t > UINT64_MAX / 4 ? UINT64_MAX / 4 : (uint64_t)t;
}

/* The burst: what the bucket holds when full, and its length in time. */
static uint64_t burst_bytes(uint64_t rate)
{
	return rate / 20 ? rate / 20 : 1;
}

static uint64_t burst_ns(uint64_t rate)
{
	uint64_t one = cost_ns(1, rate);

	return one > RATE_BURST_NS ? one : RATE_BURST_NS;
}

/*
 * Whether a recv on a stream socket would return end of file or an error
 * now: those cost no bandwidth and must not wait for it (an event loop
 * shown a hang-up would otherwise call recv until the bucket refills).
 */
static bool recv_at_end(int fd)
{
	int saved = errno;
	char b;
	long r = fr_syscall(SYS_recvfrom, fd, &b, 1, MSG_PEEK | MSG_DONTWAIT, NULL, NULL);
	bool end = r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);

	errno = saved;
	return end;
}

/*
 * Take up to `want` bytes from rule i's bucket for (fd, op) at time now.
 * Returns what was taken (0: not enough; *ready is when there will be),
 * and in *charged the ns the take moved the bucket by.
 */
static size_t take(struct fr_ctl *c, unsigned i, int fd, enum fr_op op, size_t want, bool stream,
		   uint64_t now, uint64_t *ready, uint64_t *charged)
{
	uint64_t rate = c->slots[i].rule.rate, key = rate_key(c, i, fd);
	uint64_t bns = burst_ns(rate), full = burst_bytes(rate);
	uint64_t need = want < full ? want : full;
	struct bucket *b = bucket_of(fd, op);
	uint64_t tat, k = atomic_load_explicit(&b->key, memory_order_acquire);

	if (k != key) {
		/* a new socket, rule or arming: a full bucket (a race gives one more) */
		atomic_store_explicit(&b->tat, 0, memory_order_relaxed);
		atomic_store_explicit(&b->key, key, memory_order_release);
		atomic_store_explicit(&rate_used, 1, memory_order_relaxed);
		shim_side_note(); /* a close must now forget it (fdtable.c) */
	}
	tat = atomic_load_explicit(&b->tat, memory_order_relaxed);
	for (;;) {
		uint64_t base = tat > now ? tat : now, have = 0, got, next;

		if (now + bns > base) {
			unsigned __int128 h = (unsigned __int128)(now + bns - base) * rate;

			h /= 1000000000ull;
			have = h > full ? full : (uint64_t)h;
		}
		if (have < need) {
			*ready = base + cost_ns(need, rate) - bns;
			return 0;
		}
		/* a datagram is not cut: it goes whole and the bucket owes the rest */
		got = stream && have < want ? have : want;
		*charged = cost_ns(got, rate);
		next = base + *charged;
		if (atomic_compare_exchange_weak_explicit(&b->tat, &tat, next, memory_order_relaxed,
							  memory_order_relaxed))
			return (size_t)got;
	}
}

static bool is_stream(int fd)
{
	int saved = errno, type = 0;
	socklen_t l = sizeof(type);
	long r = fr_syscall(SYS_getsockopt, fd, SOL_SOCKET, SO_TYPE, &type, &l);

	errno = saved;
	return r == 0 && type == SOCK_STREAM;
}

/* Note a take in v, for shim_settle to give back what the call did not move. */
static void note(struct shim_verdict *v, unsigned i, int fd, size_t got, uint64_t charged)
{
	v->rate_rule = (int)i;
	v->rate_fd = fd;
	v->rate_taken = got;
	v->rate_ns = charged;
}

bool shim_rate_decide(struct fr_ctl *c, unsigned i, enum fr_op op, int fd, size_t want,
		      unsigned flags, struct shim_verdict *v)
{
	uint64_t now = fr_now_ns(), ready = 0, charged = 0;
	bool stream;
	size_t got;

	/* stdio is not paced: a short fread reads as end of file to it */
	if (fd < 0 || !want || (flags & SHIM_STDIO) || v->rate_rule >= 0 ||
	    (op != FR_OP_SEND && op != FR_OP_RECV))
		return false;
	stream = is_stream(fd);
	got = take(c, i, fd, op, want, stream, now, &ready, &charged);
	if (got == want) {
		/* fits: a match, not an injection; settled after the call */
		atomic_fetch_add_explicit(&c->slots[i].matched, 1, memory_order_relaxed);
		note(v, i, fd, got, charged);
		return false;
	}
	if (!got && op == FR_OP_RECV && stream && recv_at_end(fd))
		return false;
	if (!fr_ctl_fire(c, i)) {
		if (got)
			shim_rate_give_back(fd, op, i, got, 0, charged);
		return false;
	}
	v->op = op;
	if (got) {
		/* the bucket held less than asked: a short count */
		v->what = SHIM_LIMIT;
		v->allow = got;
		v->err = 0;
		note(v, i, fd, got, charged);
	} else {
		/* empty: wait (or EAGAIN) until it refills, then take */
		v->what = SHIM_DELAY;
		v->ns = ready > now ? ready - now : 0;
		v->rate_rule = (int)i;
		v->rate_fd = fd;
	}
	if (c->slots[i].rule.slice_max && v->what == SHIM_LIMIT)
		(void)shim_shape_slice(c, i, fd, op, v->allow, flags, &v->allow);
	return true;
}

void shim_rate_give_back(int fd, enum fr_op op, unsigned i, size_t taken, size_t used,
			 uint64_t charged)
{
	struct fr_ctl *c = shim_ctl;
	struct bucket *b;
	uint64_t back, tat;

	if (!c || fd < 0 || used >= taken || i >= FR_MAX_RULES || !c->slots[i].rule.rate)
		return;
	back = charged - cost_ns(used, c->slots[i].rule.rate);
	b = bucket_of(fd, op);
	if (atomic_load_explicit(&b->key, memory_order_acquire) != rate_key(c, i, fd))
		return; /* forgotten, or another arming: nothing to give back to */
	tat = atomic_load_explicit(&b->tat, memory_order_relaxed);
	do {
		if (tat < back)
			return;
	} while (!atomic_compare_exchange_weak_explicit(
		&b->tat, &tat, tat - back, memory_order_relaxed, memory_order_relaxed));
}

int shim_rate_after(int fd, bool nonblock, uint64_t timeo, struct shim_verdict *v)
{
	struct fr_ctl *c = shim_ctl;
	unsigned i = (unsigned)v->rate_rule;
	size_t want = v->allow;
	uint64_t tag;
	bool stream;

	if (!c || v->rate_rule < 0 || v->rate_taken || i >= FR_MAX_RULES || !want ||
	    !c->slots[i].rule.rate)
		return 0;
	stream = is_stream(fd);
	tag = shim_arm_tag(c, i);
	for (;;) {
		uint64_t now = fr_now_ns(), ready = 0, charged = 0;
		struct shim_ep ep;
		size_t got;
		int r;

		/* cleared while the call waited: no more pacing */
		if (!fr_ctl_armed(c, i) || shim_arm_tag(c, i) != tag ||
		    atomic_load_explicit(&c->disabled, memory_order_relaxed)) {
			v->rate_rule = -1;
			return 0;
		}
		got = take(c, i, fd, v->op, want, stream, now, &ready, &charged);
		if (got) {
			note(v, i, fd, got, charged);
			if (got < want) {
				v->what = SHIM_LIMIT;
				v->allow = got;
			} else if (v->what == SHIM_PASS) {
				v->what = SHIM_COUNT;
			}
			return 0;
		}
		if (v->op == FR_OP_RECV && stream && recv_at_end(fd)) {
			v->rate_rule = -1;
			return 0;
		}
		if (nonblock) {
			/* readiness stays hidden until the bucket refills */
			shim_ep_begin(fd, v->op, i, FR_ACT_DELAY, ready, &ep);
			return -EAGAIN;
		}
		r = shim_hold_block(c, i, tag, ready, timeo);
		if (r < 0)
			return r;
	}
}

void shim_rate_forget(int fd)
{
	struct bucket *b;

	if (fd < 0 || !atomic_load_explicit(&rate_used, memory_order_relaxed))
		return;
	b = buckets[(unsigned)fd % RATE_FDS];
	for (unsigned d = 0; d < 2; d++)
		if ((atomic_load_explicit(&b[d].key, memory_order_acquire) >> 32) ==
		    (uint64_t)(unsigned)fd + 1)
			atomic_store_explicit(&b[d].key, 0, memory_order_release);
}

void shim_rate_forget_range(unsigned first, unsigned last)
{
	if (!atomic_load_explicit(&rate_used, memory_order_relaxed))
		return;
	for (unsigned s = 0; s < RATE_FDS; s++)
		for (unsigned d = 0; d < 2; d++) {
			uint64_t k = atomic_load_explicit(&buckets[s][d].key, memory_order_acquire);
			uint64_t fd = (k >> 32) - 1;

			if (k && fd >= first && fd <= last)
				atomic_store_explicit(&buckets[s][d].key, 0, memory_order_release);
		}
}
