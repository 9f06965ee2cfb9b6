/*
 * Readiness, poll and select: poll, ppoll, __poll_chk, __ppoll_chk, select
 * and pselect report no readiness in the direction a socket is stalled in
 * (or delayed, until the delay is due), still return at the caller's own
 * timeout, and wake within a millisecond when the rule is disarmed.
 * Nothing else about the calls changes. epoll is wrap_epoll.c; what both
 * share (which directions of an fd are held now) is here, declared in
 * readiness.h.
 *
 * The call is made on a private copy of the fd set with the held
 * directions taken out of `events`, plus (while a stall is hidden) the
 * private eventfd the wake thread writes on every arm/disarm (stall.c),
 * and repeated until something the program asked for is ready, its
 * timeout passes, or a signal arrives (EINTR as before).
 *
 * Episodes (sock.h) are begun here for rules that would certainly inject,
 * so an event loop that never calls recv() on the stalled socket still
 * counts one injection for it; a delay episode begins when the socket
 * really turns ready, and the readiness is shown once it is due.
 */
#include "readiness.h"

#include <limits.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/select.h>

/* The certain stall rules, and the certain delay rules, of a candidate set. */
static uint64_t certain(struct fr_ctl *c, uint64_t cand, uint32_t action)
{
	uint64_t out = 0;

	while (cand) {
		unsigned i = (unsigned)__builtin_ctzll(cand);

		cand &= cand - 1;
		uint32_t a = c->slots[i].rule.action;

		/* a blackhole holds as a stall with no end does */
		if (a == FR_ACT_BLACKHOLE && action == FR_ACT_STALL)
			a = FR_ACT_STALL;
		if (a == action && shim_rule_certain(c, i))
			out |= 1ull << i;
	}
	return out;
}

/*
 * Begin an episode of (fd, op) for one of the rules in cand, deciding it
 * like the call it stands for (proc=, counters, event). Returns whether
 * one began (or was already live) into *ep.
 */
static bool begin(struct fr_ctl *c, int fd, enum fr_op op, uint64_t cand, struct shim_ep *ep)
{
	struct shim_verdict v;
	char where[FR_CTL_WHERE_MAX];
	uint64_t until;

	if (shim_ep_get(fd, op, ep))
		return true;
	if (!cand)
		return false;
	/*
	 * Still the socket the rules were matched for? If its number was
	 * reused unseen the entry is forgotten and nothing held now; the
	 * next readiness call resolves it afresh.
	 */
	if (!shim_fd_confirm(fd))
		return false;
	shim_sock_where(fd, where, sizeof(where));
	switch (shim_decide_mask(c, op, cand, 0, SHIM_NOBUDGET, "poll", where[0] ? where : NULL,
				 &v)) {
	case SHIM_STALL:
		if (c->slots[v.rule].rule.action == FR_ACT_BLACKHOLE)
			return shim_ep_begin(fd, op, v.rule, FR_ACT_BLACKHOLE, 0, ep);
		until = shim_stall_window_end(c, v.rule);
		return shim_ep_begin(fd, op, v.rule, FR_ACT_STALL, until, ep);
	case SHIM_DELAY:
		return shim_ep_begin(fd, op, v.rule, FR_ACT_DELAY, fr_now_ns() + v.ns, ep);
	default:
		return false;
	}
}

/* Apply a live episode to h for the poll bits `bits`. */
static void hold_ep(struct fr_ctl *c, const struct shim_ep *ep, short bits, uint64_t now,
		    struct fd_hold *h)
{
	if (!shim_ep_holds(c, ep, now))
		return;
	h->hide |= bits;
	if (ep->action != FR_ACT_DELAY)
		h->stall = true;
	h->until = shim_min_deadline(h->until, ep->until);
}

/* See readiness.h. */
void shim_hold_compute(struct fr_ctl *c, int fd, short events, uint64_t now,
		       const struct hold_rules *hr, struct fd_hold *h)
{
	enum shim_fd_kind kind;
	struct shim_ep ep;
	uint64_t matched, in_rules;
	enum fr_op in_op = FR_OP_RECV;

	memset(h, 0, sizeof(*h));
	h->in_op = FR_OP_RECV;
	if (fd < 0 || !hr->any || !(events & (SHIM_POLL_IN | SHIM_POLL_OUT)))
		return;
	matched = shim_fd_match(fd, hr->any, &kind, NULL);
	if (kind != SHIM_FD_SOCKET)
		return;
	if (events & SHIM_POLL_IN) {
		in_rules = matched & (hr->m[FR_OP_RECV - FR_OP_CONNECT] |
				      hr->m[FR_OP_ACCEPT - FR_OP_CONNECT]);
		if ((in_rules || shim_ep_get(fd, FR_OP_ACCEPT, &ep)) && shim_sock_listening(fd))
			in_op = FR_OP_ACCEPT;
		h->in_op = (uint8_t)in_op;
		in_rules = matched & hr->m[in_op - FR_OP_CONNECT];
		if (shim_ep_get(fd, in_op, &ep) ||
		    begin(c, fd, in_op, certain(c, in_rules, FR_ACT_STALL), &ep))
			hold_ep(c, &ep, SHIM_POLL_IN, now, h);
		else
			h->delay_in = certain(c, in_rules, FR_ACT_DELAY);
	}
	/* a connect held in progress: never writable meanwhile */
	if (shim_ep_get(fd, FR_OP_CONNECT, &ep)) {
		if (shim_ep_holds(c, &ep, now)) {
			hold_ep(c, &ep, SHIM_POLL_OUT, now, h);
			/* never connected: the kernel's POLLHUP must not show */
			h->mute = ep.action == FR_ACT_BLACKHOLE;
		} else {
			shim_ep_end(fd, FR_OP_CONNECT);
		}
	}
	if (events & SHIM_POLL_OUT) {
		uint64_t out_rules = matched & hr->m[FR_OP_SEND - FR_OP_CONNECT];

		if (shim_ep_get(fd, FR_OP_SEND, &ep) ||
		    begin(c, fd, FR_OP_SEND, certain(c, out_rules, FR_ACT_STALL), &ep))
			hold_ep(c, &ep, SHIM_POLL_OUT, now, h);
		else
			h->delay_out = certain(c, out_rules, FR_ACT_DELAY);
	}
}

/* See readiness.h. */
bool shim_hold_delay_ready(struct fr_ctl *c, int fd, enum fr_op op, uint64_t rules, uint64_t now,
			   uint64_t *until)
{
	struct shim_ep ep;

	if (!rules || !begin(c, fd, op, rules, &ep) || !shim_ep_holds(c, &ep, now))
		return false;
	*until = shim_min_deadline(*until, ep.until);
	return true;
}

/* Scratch memory: on the stack for small sets, else mapped (signal-safe). */
#define STACK_FDS 64

struct aux {
	uint64_t delay_in, delay_out;
	uint8_t in_op;
};

/*
 * The poll of a program while a hold rule is armed. timeout_ns < 0 waits
 * for ever. Returns what poll() would, with revents filled in.
 */
static int hold_poll(struct pollfd *fds, nfds_t n, int64_t timeout_ns, const sigset_t *mask)
{
	struct fr_ctl *c = shim_ctl;
	struct hold_rules hr;
	struct pollfd sp[STACK_FDS + 1], *cp = sp;
	struct aux sa[STACK_FDS], *ax = sa;
	struct timespec ts;
	uint64_t start = fr_now_ns();
	uint64_t deadline = timeout_ns < 0 ? 0 : start + (uint64_t)timeout_ns;
	size_t map_len = 0;
	int efd = -1, slot = -1, ret = -1, saved;

	if (!shim_hold_load(c, &hr) || n > (nfds_t)INT_MAX - 1)
		return SHIM_REAL(ppoll)(fds, n, shim_rel_ts(timeout_ns, &ts), mask);
	if (n > STACK_FDS) {
		void *mem;

		map_len = (n + 1) * (sizeof(*cp) + sizeof(*ax));
		mem = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
			   0);
		if (mem == MAP_FAILED)
			return SHIM_REAL(ppoll)(fds, n, shim_rel_ts(timeout_ns, &ts), mask);
		cp = mem;
		ax = (struct aux *)(cp + n + 1);
	}
	for (;;) {
		uint64_t now = fr_now_ns(), until = 0;
		bool stall = false, hidden = false;
		nfds_t nw = n;
		int r, count = 0;

		for (nfds_t i = 0; i < n; i++) {
			struct fd_hold h;

			shim_hold_compute(c, fds[i].fd, fds[i].events, now, &hr, &h);
			cp[i] = fds[i];
			cp[i].events &= (short)~h.hide;
			if (h.mute)
				cp[i].fd = -1; /* poll(2): ignored, revents 0 */
			cp[i].revents = 0;
			ax[i].delay_in = h.delay_in;
			ax[i].delay_out = h.delay_out;
			ax[i].in_op = h.in_op;
			hidden |= h.hide != 0;
			stall |= h.stall;
			until = shim_min_deadline(until, h.until);
		}
		if (stall && efd < 0 && timeout_ns != 0)
			efd = shim_wake_begin(&slot);
		if (efd >= 0) {
			cp[n].fd = efd;
			cp[n].events = POLLIN;
			cp[n].revents = 0;
			nw = n + 1;
		}
		r = SHIM_REAL(ppoll)(
			cp, nw,
			shim_rel_ts(shim_hold_wait_ns(deadline, until, stall && efd < 0, now), &ts),
			mask);
		if (r < 0)
			break;
		now = fr_now_ns();
		for (nfds_t i = 0; i < n; i++) {
			short rev = cp[i].revents;

			if ((rev & SHIM_POLL_IN) &&
			    shim_hold_delay_ready(c, fds[i].fd, ax[i].in_op, ax[i].delay_in, now,
						  &until)) {
				rev &= (short)~SHIM_POLL_IN;
				hidden = true;
			}
			if ((rev & SHIM_POLL_OUT) &&
			    shim_hold_delay_ready(c, fds[i].fd, FR_OP_SEND, ax[i].delay_out, now,
						  &until)) {
				rev &= (short)~SHIM_POLL_OUT;
				hidden = true;
			}
			fds[i].revents = rev;
			if (rev)
				count++;
		}
		if (efd >= 0 && cp[n].revents)
			shim_drain(efd);
		if (count || !hidden || (deadline && now >= deadline) || timeout_ns == 0) {
			/* nothing was held back: the real answer stands */
			ret = count;
			break;
		}
	}
	saved = errno;
	shim_wake_end(efd, slot);
	if (map_len)
		munmap(cp, map_len);
	errno = saved;
	return ret;
}

/*
 * Whether the holds are worth the slow path: some stall or delay rule for
 * a socket operation is armed.
 */
static inline bool poll_armed(void)
{
	return shim_armed(SHIM_OPS_NET);
}

/*
 * Whether no fd of the set is a socket that an armed hold rule matches:
 * then nothing can be held and the call is the program's own, made as it
 * asked. The fd table answers from what it recorded when each fd was
 * opened, connected or first met (fdtable.c), so a rule armed for another
 * port costs a lookup per fd and no system call.
 *
 * quick_pass is the part inlined into the exported functions (SHIM_GEN_FAST's
 * `pass`), before any call: every fd's entry already knows every armed
 * socket rule and matches none (as shim_fd_quick_pass does for write). An
 * fd it cannot answer for sends the call to slow_poll, whose none_held
 * resolves what is unknown.
 */
static inline __attribute__((always_inline)) bool quick_pass(const struct pollfd *fds, nfds_t n)
{
	uint64_t any = shim_sock_armed_any(shim_ctl);

	for (nfds_t i = 0; i < n; i++) {
		struct shim_fd *e;

		if (fds[i].fd < 0)
			continue;
		e = shim_fd_peek(fds[i].fd);
		if (!e || (any & ~atomic_load_explicit(&e->known, memory_order_acquire)) ||
		    (any & atomic_load_explicit(&e->match, memory_order_acquire)))
			return false;
	}
	return true;
}

static bool none_held(const struct pollfd *fds, nfds_t n)
{
	uint64_t any = shim_sock_armed_any(shim_ctl);

	/* any armed socket rule, whatever its action: a superset, one load each */
	if (!any)
		return true;
	for (nfds_t i = 0; i < n; i++) {
		int fd = fds[i].fd;
		struct shim_fd *e;
		enum shim_fd_kind kind;

		if (fd < 0 || !(fds[i].events & (SHIM_POLL_IN | SHIM_POLL_OUT)))
			continue;
		/* the entry knows every such rule and matches none */
		e = shim_fd_peek(fd);
		if (e && !(any & ~atomic_load_explicit(&e->known, memory_order_acquire)) &&
		    !(any & atomic_load_explicit(&e->match, memory_order_acquire)))
			continue;
		if (shim_fd_match(fd, any, &kind, NULL) && kind == SHIM_FD_SOCKET)
			return false;
	}
	return true;
}
static __attribute__((noinline, cold)) int slow_poll(struct pollfd *fds, nfds_t n, int timeout)
{
	if (none_held(fds, n))
		return SHIM_REAL(poll)(fds, n, timeout);
	return hold_poll(fds, n, timeout < 0 ? -1 : timeout * NS_PER_MS, NULL);
}

static __attribute__((noinline, cold)) int slow___poll_chk(struct pollfd *fds, nfds_t n,
							   int timeout, size_t fdslen)
{
	/* an overflowing set goes to libc, which aborts as it should */
	if (fdslen / sizeof(*fds) < n)
		return SHIM_REAL(__poll_chk)(fds, n, timeout, fdslen);
	return slow_poll(fds, n, timeout);
}

static __attribute__((noinline, cold)) int
slow_ppoll(struct pollfd *fds, nfds_t n, const struct timespec *tmo, const sigset_t *mask)
{
	int64_t ns = shim_ts_ns(tmo);

	if (ns == -2 || none_held(fds, n))
		return SHIM_REAL(ppoll)(fds, n, tmo, mask);
	return hold_poll(fds, n, ns, mask);
}

static __attribute__((noinline, cold)) int slow___ppoll_chk(struct pollfd *fds, nfds_t n,
							    const struct timespec *tmo,
							    const sigset_t *mask, size_t fdslen)
{
	if (fdslen / sizeof(*fds) < n)
		return SHIM_REAL(__ppoll_chk)(fds, n, tmo, mask, fdslen);
	return slow_ppoll(fds, n, tmo, mask);
}

/* ---- select ------------------------------------------------------------ */

#define SEL_IN (POLLIN | POLLRDNORM | POLLRDBAND | POLLHUP | POLLERR)
#define SEL_OUT (POLLOUT | POLLWRNORM | POLLWRBAND | POLLERR)

/*
 * select/pselect as a poll of the fds in the sets, then the sets rewritten
 * from revents as the kernel's select does (a hang-up is readable, an
 * error both; an fd that is not open fails the call with EBADF).
 */
static int hold_select(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, int64_t timeout_ns,
		       const sigset_t *mask)
{
	struct pollfd sp[STACK_FDS], *p = sp;
	size_t map_len = 0;
	nfds_t n = 0;
	int ret, count = 0, saved;

	for (int fd = 0; fd < nfds; fd++)
		if ((rd && FD_ISSET(fd, rd)) || (wr && FD_ISSET(fd, wr)) ||
		    (ex && FD_ISSET(fd, ex)))
			n++;
	if (n > STACK_FDS) {
		map_len = n * sizeof(*p);
		p = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			errno = ENOMEM;
			return -1;
		}
	}
	n = 0;
	for (int fd = 0; fd < nfds; fd++) {
		short ev = 0;

		if (rd && FD_ISSET(fd, rd))
			ev |= POLLIN;
		if (wr && FD_ISSET(fd, wr))
			ev |= POLLOUT;
		if (ex && FD_ISSET(fd, ex))
			ev |= POLLPRI;
		if (!ev)
			continue;
		p[n].fd = fd;
		p[n].events = ev;
		p[n++].revents = 0;
	}
	ret = hold_poll(p, n, timeout_ns, mask);
	if (ret > 0) {
		for (nfds_t i = 0; i < n; i++)
			if (p[i].revents & POLLNVAL) {
				errno = EBADF;
				ret = -1;
				goto out;
			}
	}
	if (ret >= 0) {
		for (nfds_t i = 0; i < n; i++) {
			int fd = p[i].fd;
			short ev = p[i].events, rev = p[i].revents;

			if (rd && (ev & POLLIN) && !(rev & SEL_IN))
				FD_CLR(fd, rd);
			if (wr && (ev & POLLOUT) && !(rev & SEL_OUT))
				FD_CLR(fd, wr);
			if (ex && (ev & POLLPRI) && !(rev & POLLPRI))
				FD_CLR(fd, ex);
			count += (rd && FD_ISSET(fd, rd)) + (wr && FD_ISSET(fd, wr)) +
				 (ex && FD_ISSET(fd, ex));
		}
		ret = count;
	}
out:
	saved = errno;
	if (map_len)
		munmap(p, map_len);
	errno = saved;
	return ret;
}

static __attribute__((noinline, cold)) int slow_select(int nfds, fd_set *rd, fd_set *wr, fd_set *ex,
						       struct timeval *tv)
{
	uint64_t start = fr_now_ns();
	int64_t ns = -1;
	int r;

	if (nfds < 0 || nfds > FD_SETSIZE || (tv && (tv->tv_sec < 0 || tv->tv_usec < 0)))
		return SHIM_REAL(select)(nfds, rd, wr, ex, tv);
	if (tv)
		ns = (int64_t)tv->tv_sec * NS_PER_S + (int64_t)tv->tv_usec * 1000;
	r = hold_select(nfds, rd, wr, ex, ns, NULL);
	if (tv && r >= 0) {
		/* Linux's select leaves the time not slept in *tv */
		int64_t rest = ns - (int64_t)(fr_now_ns() - start);

		if (rest < 0)
			rest = 0;
		tv->tv_sec = (time_t)(rest / NS_PER_S);
		tv->tv_usec = (suseconds_t)((rest % NS_PER_S) / 1000);
	}
	return r;
}

static __attribute__((noinline, cold)) int slow_pselect(int nfds, fd_set *rd, fd_set *wr,
							fd_set *ex, const struct timespec *tmo,
							const sigset_t *mask)
{
	int64_t ns = shim_ts_ns(tmo);

	if (nfds < 0 || nfds > FD_SETSIZE || ns == -2)
		return SHIM_REAL(pselect)(nfds, rd, wr, ex, tmo, mask);
	return hold_select(nfds, rd, wr, ex, ns, mask);
}

/* Generate the exported functions (hot path) of the poll and select rows. */
/* an overflowing set (the _chk calls) is libc's to abort on: never read it */
#define pass_poll(fds, n, timeout) quick_pass(fds, n)
#define pass___poll_chk(fds, n, timeout, len) ((len) / sizeof(*(fds)) >= (n) && quick_pass(fds, n))
#define pass_ppoll(fds, n, tmo, mask) quick_pass(fds, n)
#define pass___ppoll_chk(fds, n, tmo, mask, len) \
	((len) / sizeof(*(fds)) >= (n) && quick_pass(fds, n))
#define pass_select(nfds, rd, wr, ex, tv) false
#define pass_pselect(nfds, rd, wr, ex, tmo, mask) false
#define SHIM_GEN_POLL_FAST(name, ret, params, args, op, fail) \
	SHIM_GEN_FAST(name, ret, params, args, fail, poll_armed(), pass_##name args)
#define SHIM_GEN_EPOLL_FAST(name, ret, params, args, op, fail)
#define WRAP(name, ret, params, args, op, shape, fail, errnos)
#define WRAP_POLL(name, ret, params, args, op, shape, fail, errnos) \
	SHIM_GEN_##shape(name, ret, params, args, op, fail)
#include "wrapped.def"
#undef WRAP_POLL
#undef WRAP
