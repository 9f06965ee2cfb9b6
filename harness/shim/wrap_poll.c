/*
 * Readiness: poll, ppoll, __poll_chk, __ppoll_chk, select, pselect,
 * epoll_wait, epoll_pwait and epoll_pwait2 report no readiness in the
 * direction a socket is stalled in (or delayed, until the delay is due),
 * still return at the caller's own timeout, and wake within a millisecond
 * when the rule is disarmed. Nothing else about the calls changes.
 *
 * poll/select: the call is made on a private copy of the fd set with the
 * held directions taken out of `events`, plus (while a stall is hidden)
 * the private eventfd the wake thread writes on every arm/disarm
 * (stall.c), and repeated until something the program asked for is ready,
 * its timeout passes, or a signal arrives (EINTR as before).
 *
 * epoll: the interest list is the kernel's, so a stalled socket's
 * registration is modified in place (EPOLL_CTL_MOD without the held
 * direction) and put back as soon as the hold ends, which also gives an
 * edge-triggered registration its edge again. The registrations are read
 * from /proc/self/fdinfo/<epfd> (so sockets added before the rule was
 * armed are found, and epoll_ctl needs no wrapper); what was changed is
 * kept in a small table and checked against the kernel's view before it
 * is restored, so a program's own EPOLL_CTL_MOD/DEL wins. The waiting call
 * polls the epoll fd itself together with the wake eventfd.
 *
 * Episodes (sock.h) are begun here for rules that would certainly inject,
 * so an event loop that never calls recv() on the stalled socket still
 * counts one injection for it; a delay episode begins when the socket
 * really turns ready, and the readiness is shown once it is due.
 */
#include "sock.h"

#include <limits.h>
#include <sched.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <time.h>

int __poll_chk(struct pollfd *fds, nfds_t nfds, int timeout, size_t fdslen);
int __ppoll_chk(struct pollfd *fds, nfds_t nfds, const struct timespec *tmo,
		const sigset_t *ss, size_t fdslen);

#define NS_PER_MS 1000000ll
#define NS_PER_S 1000000000ll

/* The hold rules of the four socket operations, indexed op - CONNECT. */
struct hold_rules {
	uint64_t m[4];
	uint64_t any;
};

static bool load_rules(struct fr_ctl *c, struct hold_rules *hr)
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
	short hide;         /* poll bits hidden now */
	bool stall;         /* a stall hides something: wake on disarm */
	uint8_t in_op;      /* RECV or ACCEPT */
	uint64_t until;     /* when a hold may end by itself, 0 = never */
	uint64_t delay_in;  /* certain delay rules to begin once readable */
	uint64_t delay_out; /* ... once writable */
};

/* The certain stall rules, and the certain delay rules, of a candidate set. */
static uint64_t certain(struct fr_ctl *c, uint64_t cand, uint32_t action)
{
	uint64_t out = 0;

	while (cand) {
		unsigned i = (unsigned)__builtin_ctzll(cand);

		cand &= cand - 1;
		if (c->slots[i].rule.action == action &&
		    shim_rule_certain(c, i))
			out |= 1ull << i;
	}
	return out;
}

/*
 * Begin an episode of (fd, op) for one of the rules in cand, deciding it
 * like the call it stands for (proc=, counters, event). Returns whether
 * one began (or was already live) into *ep.
 */
static bool begin(struct fr_ctl *c, int fd, enum fr_op op, uint64_t cand,
		  struct shim_ep *ep)
{
	struct shim_verdict v;
	char where[FR_CTL_WHERE_MAX];
	uint64_t until;

	if (shim_ep_get(fd, op, ep))
		return true;
	if (!cand)
		return false;
	shim_sock_where(fd, where, sizeof(where));
	switch (shim_decide_mask(c, op, cand, 0, SHIM_NOBUDGET, "poll",
				 where[0] ? where : NULL, &v)) {
	case SHIM_STALL:
		until = shim_stall_window_end(c, v.rule);
		return shim_ep_begin(fd, op, v.rule, FR_ACT_STALL, until, ep);
	case SHIM_DELAY:
		return shim_ep_begin(fd, op, v.rule, FR_ACT_DELAY,
				     fr_now_ns() + v.ns, ep);
	default:
		return false;
	}
}

/* Apply a live episode to h for the poll bits `bits`. */
static void hold_ep(struct fr_ctl *c, const struct shim_ep *ep, short bits,
		    uint64_t now, struct fd_hold *h)
{
	if (!shim_ep_holds(c, ep, now))
		return;
	h->hide |= bits;
	if (ep->action == FR_ACT_STALL)
		h->stall = true;
	h->until = shim_min_deadline(h->until, ep->until);
}

/*
 * What to hide of fd's `events` now: a live episode in a direction hides
 * it; without one, a certain stall rule begins one; certain delay rules
 * are noted, to begin when the socket turns ready.
 */
static void compute_hold(struct fr_ctl *c, int fd, short events, uint64_t now,
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
	matched = shim_fd_match(fd, hr->any, &kind);
	if (kind != SHIM_FD_SOCKET)
		return;
	if (events & SHIM_POLL_IN) {
		in_rules = matched & (hr->m[FR_OP_RECV - FR_OP_CONNECT] |
				      hr->m[FR_OP_ACCEPT - FR_OP_CONNECT]);
		if ((in_rules || shim_ep_get(fd, FR_OP_ACCEPT, &ep)) &&
		    shim_sock_listening(fd))
			in_op = FR_OP_ACCEPT;
		h->in_op = (uint8_t)in_op;
		in_rules = matched & hr->m[in_op - FR_OP_CONNECT];
		if (shim_ep_get(fd, in_op, &ep) ||
		    begin(c, fd, in_op, certain(c, in_rules, FR_ACT_STALL), &ep))
			hold_ep(c, &ep, SHIM_POLL_IN, now, h);
		else
			h->delay_in = certain(c, in_rules, FR_ACT_DELAY);
	}
	if (events & SHIM_POLL_OUT) {
		uint64_t out_rules = matched & hr->m[FR_OP_SEND - FR_OP_CONNECT];

		/* a connect held in progress: never writable meanwhile */
		if (shim_ep_get(fd, FR_OP_CONNECT, &ep)) {
			if (shim_ep_holds(c, &ep, now))
				hold_ep(c, &ep, SHIM_POLL_OUT, now, h);
			else
				shim_ep_end(fd, FR_OP_CONNECT);
		}
		if (shim_ep_get(fd, FR_OP_SEND, &ep) ||
		    begin(c, fd, FR_OP_SEND,
			  certain(c, out_rules, FR_ACT_STALL), &ep))
			hold_ep(c, &ep, SHIM_POLL_OUT, now, h);
		else
			h->delay_out = certain(c, out_rules, FR_ACT_DELAY);
	}
}

/*
 * fd turned ready in a direction a certain delay rule covers: begin its
 * episode and tell whether the readiness must now be hidden.
 */
static bool delay_ready(struct fr_ctl *c, int fd, enum fr_op op,
			uint64_t rules, uint64_t now, uint64_t *until)
{
	struct shim_ep ep;

	if (!rules || !begin(c, fd, op, rules, &ep) ||
	    !shim_ep_holds(c, &ep, now))
		return false;
	*until = shim_min_deadline(*until, ep.until);
	return true;
}

/* Timeouts: ns from now (-1 = infinite) to a relative timespec, or NULL. */
static struct timespec *rel_ts(int64_t ns, struct timespec *ts)
{
	if (ns < 0)
		return NULL;
	ts->tv_sec = (time_t)(ns / NS_PER_S);
	ts->tv_nsec = (long)(ns % NS_PER_S);
	return ts;
}

/* ns left until deadline (absolute, 0 = none: -1), at least 0. */
static int64_t left(uint64_t deadline, uint64_t now)
{
	if (!deadline)
		return -1;
	return deadline > now ? (int64_t)(deadline - now) : 0;
}

/* How long the next real wait may last: the caller's, a hold's end, a slice. */
static int64_t wait_ns(uint64_t deadline, uint64_t until, bool slice,
		       uint64_t now)
{
	int64_t w = left(shim_min_deadline(deadline, until), now);

	if (slice && (w < 0 || w > (int64_t)SHIM_WAKE_SLICE_NS))
		w = (int64_t)SHIM_WAKE_SLICE_NS;
	return w;
}

static void drain(int efd)
{
	uint64_t v;
	int saved = errno;

	syscall(SYS_read, efd, &v, sizeof(v));
	errno = saved;
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
static int hold_poll(struct pollfd *fds, nfds_t n, int64_t timeout_ns,
		     const sigset_t *mask)
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

	if (!load_rules(c, &hr) || n > (nfds_t)INT_MAX - 1)
		return SHIM_REAL(ppoll)(fds, n, rel_ts(timeout_ns, &ts), mask);
	if (n > STACK_FDS) {
		void *mem;

		map_len = (n + 1) * (sizeof(*cp) + sizeof(*ax));
		mem = mmap(NULL, map_len, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (mem == MAP_FAILED)
			return SHIM_REAL(ppoll)(fds, n,
						rel_ts(timeout_ns, &ts), mask);
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

			compute_hold(c, fds[i].fd, fds[i].events, now, &hr, &h);
			cp[i] = fds[i];
			cp[i].events &= (short)~h.hide;
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
		r = SHIM_REAL(ppoll)(cp, nw,
				     rel_ts(wait_ns(deadline, until,
						    stall && efd < 0, now),
					    &ts),
				     mask);
		if (r < 0)
			break;
		now = fr_now_ns();
		for (nfds_t i = 0; i < n; i++) {
			short rev = cp[i].revents;

			if ((rev & SHIM_POLL_IN) &&
			    delay_ready(c, fds[i].fd, ax[i].in_op,
					ax[i].delay_in, now, &until)) {
				rev &= (short)~SHIM_POLL_IN;
				hidden = true;
			}
			if ((rev & SHIM_POLL_OUT) &&
			    delay_ready(c, fds[i].fd, FR_OP_SEND,
					ax[i].delay_out, now, &until)) {
				rev &= (short)~SHIM_POLL_OUT;
				hidden = true;
			}
			fds[i].revents = rev;
			if (rev)
				count++;
		}
		if (efd >= 0 && cp[n].revents)
			drain(efd);
		if (count || !hidden || (deadline && now >= deadline) ||
		    timeout_ns == 0) {
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
 * The exported function is only the hot path, without a stack frame:
 * bound? anything to hold? else straight to libc (as in wrap_fd.c).
 */
#define POLL_FAST(name, params, args, armed)                               \
	static __attribute__((noinline, cold)) int unbound_##name params   \
	{                                                                  \
		shim_init();                                               \
		if (!shim_real.name.fn)                                    \
			return SHIM_FAIL_M1(ENOSYS);                       \
		return slow_##name args;                                   \
	}                                                                  \
	int name params                                                    \
	{                                                                  \
		if (unlikely(!shim_real.name.fn))                          \
			return unbound_##name args;                        \
		if (likely(!armed))                                        \
			return SHIM_REAL(name) args;                       \
		return slow_##name args;                                   \
	}

static __attribute__((noinline, cold)) int slow_poll(struct pollfd *fds,
						     nfds_t n, int timeout)
{
	return hold_poll(fds, n, timeout < 0 ? -1 : timeout * NS_PER_MS, NULL);
}

POLL_FAST(poll, (struct pollfd *fds, nfds_t n, int timeout),
	  (fds, n, timeout), poll_armed())

static __attribute__((noinline, cold)) int
slow___poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen)
{
	/* an overflowing set goes to libc, which aborts as it should */
	if (fdslen / sizeof(*fds) < n)
		return SHIM_REAL(__poll_chk)(fds, n, timeout, fdslen);
	return slow_poll(fds, n, timeout);
}

POLL_FAST(__poll_chk,
	  (struct pollfd *fds, nfds_t n, int timeout, size_t fdslen),
	  (fds, n, timeout, fdslen), poll_armed())

static int64_t ts_ns(const struct timespec *ts)
{
	if (!ts)
		return -1;
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= NS_PER_S)
		return -2; /* let the kernel say EINVAL */
	if (ts->tv_sec > (INT64_MAX / NS_PER_S) - 1)
		return -1;
	return (int64_t)ts->tv_sec * NS_PER_S + ts->tv_nsec;
}

static __attribute__((noinline, cold)) int
slow_ppoll(struct pollfd *fds, nfds_t n, const struct timespec *tmo,
	   const sigset_t *mask)
{
	int64_t ns = ts_ns(tmo);

	if (ns == -2)
		return SHIM_REAL(ppoll)(fds, n, tmo, mask);
	return hold_poll(fds, n, ns, mask);
}

POLL_FAST(ppoll,
	  (struct pollfd *fds, nfds_t n, const struct timespec *tmo,
	   const sigset_t *mask),
	  (fds, n, tmo, mask), poll_armed())

static __attribute__((noinline, cold)) int
slow___ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *tmo,
		 const sigset_t *mask, size_t fdslen)
{
	if (fdslen / sizeof(*fds) < n)
		return SHIM_REAL(__ppoll_chk)(fds, n, tmo, mask, fdslen);
	return slow_ppoll(fds, n, tmo, mask);
}

POLL_FAST(__ppoll_chk,
	  (struct pollfd *fds, nfds_t n, const struct timespec *tmo,
	   const sigset_t *mask, size_t fdslen),
	  (fds, n, tmo, mask, fdslen), poll_armed())

/* ---- select ------------------------------------------------------------ */

#define SEL_IN (POLLIN | POLLRDNORM | POLLRDBAND | POLLHUP | POLLERR)
#define SEL_OUT (POLLOUT | POLLWRNORM | POLLWRBAND | POLLERR)

/*
 * select/pselect as a poll of the fds in the sets, then the sets rewritten
 * from revents as the kernel's select does (a hang-up is readable, an
 * error both; an fd that is not open fails the call with EBADF).
 */
static int hold_select(int nfds, fd_set *rd, fd_set *wr, fd_set *ex,
		       int64_t timeout_ns, const sigset_t *mask)
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
		p = mmap(NULL, map_len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
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
			count += (rd && FD_ISSET(fd, rd)) +
				 (wr && FD_ISSET(fd, wr)) +
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

static __attribute__((noinline, cold)) int
slow_select(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, struct timeval *tv)
{
	uint64_t start = fr_now_ns();
	int64_t ns = -1;
	int r;

	if (nfds < 0 || nfds > FD_SETSIZE ||
	    (tv && (tv->tv_sec < 0 || tv->tv_usec < 0)))
		return SHIM_REAL(select)(nfds, rd, wr, ex, tv);
	if (tv)
		ns = (int64_t)tv->tv_sec * NS_PER_S +
		     (int64_t)tv->tv_usec * 1000;
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

POLL_FAST(select,
	  (int nfds, fd_set *rd, fd_set *wr, fd_set *ex, struct timeval *tv),
	  (nfds, rd, wr, ex, tv), poll_armed())

static __attribute__((noinline, cold)) int
slow_pselect(int nfds, fd_set *rd, fd_set *wr, fd_set *ex,
	     const struct timespec *tmo, const sigset_t *mask)
{
	int64_t ns = ts_ns(tmo);

	if (nfds < 0 || nfds > FD_SETSIZE || ns == -2)
		return SHIM_REAL(pselect)(nfds, rd, wr, ex, tmo, mask);
	return hold_select(nfds, rd, wr, ex, ns, mask);
}

POLL_FAST(pselect,
	  (int nfds, fd_set *rd, fd_set *wr, fd_set *ex,
	   const struct timespec *tmo, const sigset_t *mask),
	  (nfds, rd, wr, ex, tmo, mask), poll_armed())

/* ---- epoll --------------------------------------------------------------- */

/*
 * Registrations the shim has changed: (epfd, tfd) had `orig` and now has
 * `set` (as the kernel shows it: with EPOLLERR|EPOLLHUP). Guarded by a
 * spinlock taken with every signal blocked (a handler calling epoll_wait
 * must not find it held by the thread it interrupted).
 */
#define STRIPS 64u

struct strip {
	bool used;
	int epfd, tfd;
	uint32_t orig, set;
	uint64_t data, ino;
};

static struct strip strips[STRIPS];
static _Atomic int strip_count;
static _Atomic int strip_lock;

static void strip_lock_take(sigset_t *old)
{
	sigset_t all;

	sigfillset(&all);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, old, _NSIG / 8);
	while (atomic_exchange_explicit(&strip_lock, 1, memory_order_acquire))
		sched_yield();
}

static void strip_lock_drop(const sigset_t *old)
{
	atomic_store_explicit(&strip_lock, 0, memory_order_release);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, old, NULL, _NSIG / 8);
}

static struct strip *strip_find(int epfd, int tfd)
{
	for (unsigned i = 0; i < STRIPS; i++)
		if (strips[i].used && strips[i].epfd == epfd &&
		    strips[i].tfd == tfd)
			return &strips[i];
	return NULL;
}

static void strip_drop(struct strip *s)
{
	s->used = false;
	atomic_fetch_sub_explicit(&strip_count, 1, memory_order_relaxed);
}

static int epoll_mod(int epfd, int tfd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	return (int)syscall(SYS_epoll_ctl, epfd, EPOLL_CTL_MOD, tfd, &ev);
}

/* The sockets of one epoll set the shim cares about in this wait. */
#define EP_MAP 64

struct ep_map {
	uint64_t data;
	int tfd;
	short hide;
	uint8_t in_op;
	uint64_t delay_in, delay_out;
};

struct ep_view {
	struct ep_map map[EP_MAP];
	unsigned n;
	bool stall;    /* a stall is hidden: wake on disarm */
	uint64_t until;
	bool seen[STRIPS]; /* strips of this epfd still registered */
};

/* One registration of the set: bring it in line with the holds. */
static void reconcile_one(struct fr_ctl *c, int epfd, int tfd, uint32_t ev,
			  uint64_t data, uint64_t ino,
			  const struct hold_rules *hr, uint64_t now,
			  struct ep_view *vw)
{
	struct strip *s = strip_find(epfd, tfd);
	struct fd_hold h;
	uint32_t orig, want;

	if (s && (s->ino != ino || s->set != ev || s->data != data)) {
		/* the program changed it, or it is another file now */
		strip_drop(s);
		s = NULL;
	}
	orig = s ? s->orig : ev;
	compute_hold(c, tfd, (short)(orig & 0xffff), now, hr, &h);
	if (orig & EPOLLEXCLUSIVE)
		h.hide = 0; /* cannot be modified: shown as it is */
	if (s)
		vw->seen[s - strips] = true;
	want = orig & ~(uint32_t)(unsigned short)h.hide;
	if (h.hide) {
		if (want | EPOLLERR | EPOLLHUP) {
			if ((want | EPOLLERR | EPOLLHUP) != ev &&
			    epoll_mod(epfd, tfd, want, data) < 0)
				return;
		}
		if (!s) {
			for (unsigned i = 0; i < STRIPS && !s; i++)
				if (!strips[i].used)
					s = &strips[i];
			if (!s) {
				/* no room: put it back, show it as it is */
				epoll_mod(epfd, tfd, orig, data);
				return;
			}
			s->used = true;
			atomic_fetch_add_explicit(&strip_count, 1,
						  memory_order_relaxed);
			vw->seen[s - strips] = true;
		}
		s->epfd = epfd;
		s->tfd = tfd;
		s->ino = ino;
		s->orig = orig;
		s->data = data;
		s->set = want | EPOLLERR | EPOLLHUP;
		vw->stall |= h.stall;
		vw->until = shim_min_deadline(vw->until, h.until);
	} else if (s) {
		epoll_mod(epfd, tfd, orig, data);
		strip_drop(s);
	}
	if ((h.hide || h.delay_in || h.delay_out) && vw->n < EP_MAP) {
		struct ep_map *m = &vw->map[vw->n++];

		m->data = data;
		m->tfd = tfd;
		m->hide = h.hide;
		m->in_op = h.in_op;
		m->delay_in = h.delay_in;
		m->delay_out = h.delay_out;
	}
}

/* Parse "tfd: N events: X data: X  pos:N ino:X sdev:X". */
static bool parse_tfd(const char *l, int *tfd, uint32_t *ev, uint64_t *data,
		      uint64_t *ino)
{
	char *end;
	const char *p;

	if (strncmp(l, "tfd:", 4) != 0)
		return false;
	*tfd = (int)strtol(l + 4, &end, 10);
	if (!(p = strstr(end, "events:")))
		return false;
	*ev = (uint32_t)strtoul(p + 7, &end, 16);
	if (!(p = strstr(end, "data:")))
		return false;
	*data = strtoull(p + 5, &end, 16);
	*ino = (p = strstr(end, "ino:")) ? strtoull(p + 4, NULL, 16) : 0;
	return true;
}

/*
 * Read epfd's registrations from /proc and apply the holds to each. Returns
 * false when the list cannot be read (no /proc): the call then goes to the
 * kernel as it is.
 */
static bool reconcile(struct fr_ctl *c, int epfd, const struct hold_rules *hr,
		      struct ep_view *vw)
{
	char name[40], buf[4096 + 128];
	size_t have = 0;
	uint64_t now = fr_now_ns();
	sigset_t old;
	long fd;

	memset(vw, 0, sizeof(*vw));
	snprintf(name, sizeof(name), "/proc/self/fdinfo/%d", epfd);
	fd = syscall(SYS_openat, AT_FDCWD, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	strip_lock_take(&old);
	for (;;) {
		long r = syscall(SYS_read, fd, buf + have, 4096 - have);
		char *line = buf, *nl;

		if (r <= 0)
			break;
		have += (size_t)r;
		buf[have] = '\0';
		while ((nl = strchr(line, '\n'))) {
			int tfd;
			uint32_t ev;
			uint64_t data, ino;

			*nl = '\0';
			if (parse_tfd(line, &tfd, &ev, &data, &ino))
				reconcile_one(c, epfd, tfd, ev, data, ino, hr,
					      now, vw);
			line = nl + 1;
		}
		have = (size_t)(buf + have - line);
		memmove(buf, line, have);
		if (have >= 4096)
			have = 0; /* a line that long is not a registration */
	}
	syscall(SYS_close, fd);
	/* what the program took out of the set is no longer ours to restore */
	for (unsigned i = 0; i < STRIPS; i++)
		if (strips[i].used && strips[i].epfd == epfd && !vw->seen[i])
			strip_drop(&strips[i]);
	strip_lock_drop(&old);
	return true;
}

/*
 * Take out of evs what is held: a stalled direction that came through
 * (a race with the MOD), and the first readiness of a delayed socket,
 * which begins its episode. Returns the events left; *again when an
 * episode began (the set must be brought in line before waiting again).
 */
static int filter(struct fr_ctl *c, struct epoll_event *evs, int n,
		  const struct ep_view *vw, uint64_t *until, bool *again)
{
	uint64_t now = fr_now_ns();
	int k = 0;

	for (int i = 0; i < n; i++) {
		uint32_t e = evs[i].events;

		for (unsigned j = 0; j < vw->n; j++) {
			const struct ep_map *m = &vw->map[j];

			if (m->data != evs[i].data.u64)
				continue;
			e &= ~(uint32_t)(unsigned short)m->hide;
			if ((e & SHIM_POLL_IN) &&
			    delay_ready(c, m->tfd, m->in_op, m->delay_in, now,
					until)) {
				e &= ~(uint32_t)SHIM_POLL_IN;
				*again = true;
			}
			if ((e & SHIM_POLL_OUT) &&
			    delay_ready(c, m->tfd, FR_OP_SEND, m->delay_out,
					now, until)) {
				e &= ~(uint32_t)SHIM_POLL_OUT;
				*again = true;
			}
			break;
		}
		if (e & ~(uint32_t)(EPOLLET | EPOLLONESHOT | EPOLLWAKEUP |
				    EPOLLEXCLUSIVE)) {
			evs[k] = evs[i];
			evs[k++].events = e;
		}
	}
	return k;
}

/*
 * Sets with nothing to hold. Reading a set's registrations from /proc
 * costs ~15 us, too much for every epoll_wait of a busy event loop whose
 * set has no socket any hold rule matches. Such a set is remembered as
 * clean under a key that changes with every arm/disarm or new rule (the
 * block's generation), every epoll_ctl on that epoll fd (counted by our
 * epoll_ctl wrapper while a socket rule is armed) and every new peer or
 * episode (shim_sock_changed); while the key holds, epoll_wait goes
 * straight to the kernel. One 64-bit word per entry: epfd and a 32-bit
 * hash of the key.
 */
#define CTL_SEQS 1024u
#define CLEAN_SETS 16u

static _Atomic uint32_t ctl_seq[CTL_SEQS];
static _Atomic uint64_t clean_sets[CLEAN_SETS];

static uint64_t clean_key(struct fr_ctl *c, int epfd)
{
	uint64_t k = atomic_load_explicit(&c->generation, memory_order_acquire);

	k = k * 0x9e3779b97f4a7c15ull ^
	    atomic_load_explicit(&ctl_seq[(unsigned)epfd % CTL_SEQS],
				 memory_order_acquire);
	k = k * 0x9e3779b97f4a7c15ull ^ shim_sock_changes();
	k ^= k >> 29;
	return (uint64_t)(unsigned)epfd << 32 | (k & 0xffffffffu);
}

static bool set_is_clean(int epfd, uint64_t key)
{
	return atomic_load_explicit(&clean_sets[(unsigned)epfd % CLEAN_SETS],
				    memory_order_acquire) == key;
}

static void set_clean(int epfd, uint64_t key)
{
	atomic_store_explicit(&clean_sets[(unsigned)epfd % CLEAN_SETS], key,
			      memory_order_release);
}

/*
 * The view of a set that does hold something, kept under the same key
 * (and until the earliest hold ends by itself): the kernel's registrations
 * are already modified, so an event loop's next epoll_wait reads nothing
 * from /proc. Guarded by the strips' lock.
 */
#define VIEW_CACHE 4u

struct ep_view_cache {
	uint64_t key;
	struct ep_view vw;
};

static struct ep_view_cache views[VIEW_CACHE];

static bool view_get(int epfd, uint64_t key, uint64_t now,
		     struct ep_view *vw)
{
	struct ep_view_cache *v = &views[(unsigned)epfd % VIEW_CACHE];
	bool hit;
	sigset_t old;

	strip_lock_take(&old);
	hit = v->key == key && (!v->vw.until || now < v->vw.until);
	if (hit)
		*vw = v->vw;
	strip_lock_drop(&old);
	return hit;
}

static void view_put(int epfd, uint64_t key, const struct ep_view *vw)
{
	struct ep_view_cache *v = &views[(unsigned)epfd % VIEW_CACHE];
	sigset_t old;

	strip_lock_take(&old);
	v->key = key;
	v->vw = *vw;
	strip_lock_drop(&old);
}

/* Whether the shim holds a registration of epfd. */
static bool holds_in(int epfd)
{
	for (unsigned i = 0; i < STRIPS; i++)
		if (strips[i].used && strips[i].epfd == epfd)
			return true;
	return false;
}

/* ms for epoll_wait from ns (-1 infinite), rounded up: never a busy loop. */
static int to_ms(int64_t ns)
{
	if (ns < 0)
		return -1;
	if (ns / NS_PER_MS >= INT_MAX)
		return INT_MAX;
	return (int)((ns + NS_PER_MS - 1) / NS_PER_MS);
}

static int hold_epoll(int epfd, struct epoll_event *evs, int max,
		      int64_t timeout_ns, const sigset_t *mask)
{
	struct fr_ctl *c = shim_ctl;
	struct hold_rules hr;
	struct ep_view vw;
	struct timespec ts;
	uint64_t deadline = timeout_ns < 0 ? 0 :
					     fr_now_ns() + (uint64_t)timeout_ns;
	int efd = -1, slot = -1, ret, saved;

	if (max <= 0 || !c)
		return SHIM_REAL(epoll_pwait)(epfd, evs, max, to_ms(timeout_ns),
					      mask);
	for (;;) {
		uint64_t until, now, key = clean_key(c, epfd);
		bool again = false;
		int n;

		/* the set as it must look now: known clean, cached, or read */
		bool known = set_is_clean(epfd, key);

		if (!known && !view_get(epfd, key, fr_now_ns(), &vw)) {
			load_rules(c, &hr);
			/* without /proc the set cannot be read: as it is */
			known = !reconcile(c, epfd, &hr, &vw);
		}
		if (known) {
			ret = SHIM_REAL(epoll_pwait)(
				epfd, evs, max,
				to_ms(left(deadline, fr_now_ns())), mask);
			break;
		}
		if (!vw.n && !holds_in(epfd)) {
			/* no socket here to hold: remember, and go */
			set_clean(epfd, key);
			ret = SHIM_REAL(epoll_pwait)(
				epfd, evs, max,
				to_ms(left(deadline, fr_now_ns())), mask);
			break;
		}
		view_put(epfd, key, &vw);
		until = vw.until;
		now = fr_now_ns();
		if (vw.stall && efd < 0 && timeout_ns != 0)
			efd = shim_wake_begin(&slot);
		if (efd >= 0) {
			struct pollfd p[2] = { { epfd, POLLIN, 0 },
					       { efd, POLLIN, 0 } };

			n = SHIM_REAL(ppoll)(p, 2,
					     rel_ts(wait_ns(deadline, until,
							    false, now),
						    &ts),
					     mask);
			if (n > 0 && p[1].revents)
				drain(efd);
			if (n > 0 && p[0].revents)
				n = SHIM_REAL(epoll_pwait)(epfd, evs, max, 0,
							   NULL);
			else if (n > 0)
				n = 0;
		} else {
			n = SHIM_REAL(epoll_pwait)(
				epfd, evs, max,
				to_ms(wait_ns(deadline, until, vw.stall, now)),
				mask);
		}
		if (n < 0) {
			ret = -1;
			break;
		}
		n = filter(c, evs, n, &vw, &until, &again);
		if (n > 0) {
			ret = n;
			break;
		}
		if (timeout_ns == 0 && !again) {
			ret = 0;
			break;
		}
		if (deadline && fr_now_ns() >= deadline) {
			ret = 0;
			break;
		}
	}
	saved = errno;
	shim_wake_end(efd, slot);
	errno = saved;
	return ret;
}

/* epoll needs the slow path also to put back what it changed. */
static inline bool epoll_armed(void)
{
	return shim_armed(SHIM_OPS_NET) ||
	       atomic_load_explicit(&strip_count, memory_order_relaxed);
}

static __attribute__((noinline, cold)) int
slow_epoll_pwait(int epfd, struct epoll_event *evs, int max, int timeout,
		 const sigset_t *mask)
{
	return hold_epoll(epfd, evs, max,
			  timeout < 0 ? -1 : timeout * NS_PER_MS, mask);
}

/* epoll_ctl only counts changes to a set (see clean_key) */
static __attribute__((noinline, cold)) int
slow_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	int r = SHIM_REAL(epoll_ctl)(epfd, op, fd, ev);

	if (epfd >= 0)
		atomic_fetch_add_explicit(&ctl_seq[(unsigned)epfd % CTL_SEQS],
					  1, memory_order_release);
	return r;
}

POLL_FAST(epoll_ctl, (int epfd, int op, int fd, struct epoll_event *ev),
	  (epfd, op, fd, ev), epoll_armed())

static __attribute__((noinline, cold)) int
slow_epoll_wait(int epfd, struct epoll_event *evs, int max, int timeout)
{
	return slow_epoll_pwait(epfd, evs, max, timeout, NULL);
}

POLL_FAST(epoll_wait,
	  (int epfd, struct epoll_event *evs, int max, int timeout),
	  (epfd, evs, max, timeout), epoll_armed())

POLL_FAST(epoll_pwait,
	  (int epfd, struct epoll_event *evs, int max, int timeout,
	   const sigset_t *mask),
	  (epfd, evs, max, timeout, mask), epoll_armed())

static __attribute__((noinline, cold)) int
slow_epoll_pwait2(int epfd, struct epoll_event *evs, int max,
	    const struct timespec *tmo, const sigset_t *mask)
{
	int64_t ns = ts_ns(tmo);

	if (ns == -2)
		return SHIM_REAL(epoll_pwait2)(epfd, evs, max, tmo, mask);
	return hold_epoll(epfd, evs, max, ns, mask);
}

POLL_FAST(epoll_pwait2,
	  (int epfd, struct epoll_event *evs, int max,
	   const struct timespec *tmo, const sigset_t *mask),
	  (epfd, evs, max, tmo, mask), epoll_armed())
