/*
 * Readiness, epoll: epoll_wait, epoll_pwait and epoll_pwait2 report no
 * readiness in the direction a socket is stalled in (or delayed, until the
 * delay is due), still return at the caller's own timeout, and wake within
 * a millisecond when the rule is disarmed (as poll does, wrap_poll.c).
 *
 * The interest list is the kernel's, so a stalled socket's registration is
 * modified in place (EPOLL_CTL_MOD without the held direction) and put
 * back as soon as the hold ends, which also gives an edge-triggered
 * registration its edge again. The registrations are read from
 * /proc/self/fdinfo/<epfd> (so sockets added before the rule was armed are
 * found); what was changed is kept in a small table and checked against
 * the kernel's view before it is restored, so a program's own
 * EPOLL_CTL_MOD/DEL wins. epoll_ctl is wrapped only to count changes to a
 * set. The waiting call polls the epoll fd itself together with the wake
 * eventfd.
 *
 * A socket whose connect a blackhole keeps unmade is taken out of the set
 * (EPOLL_CTL_DEL) while it is held, and put back with the program's own
 * events and data when the hold ends: the kernel reports a socket that
 * never connected as EPOLLHUP whatever the mask asks (epoll_ctl(2)), so a
 * registration left in place would wake every wait at once and the
 * program would spin. Meanwhile the program's own epoll_ctl on it is
 * answered as the kernel would if it were still there (MOD and DEL take
 * effect on what is put back, ADD is EEXIST).
 */
#include "readiness.h"

#include <limits.h>
#include <sched.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>

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
	bool gone; /* taken out of the set (EPOLL_CTL_DEL): orig and data put back */
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
	fr_syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, old, _NSIG / 8);
	while (atomic_exchange_explicit(&strip_lock, 1, memory_order_acquire))
		sched_yield();
}

static void strip_lock_drop(const sigset_t *old)
{
	atomic_store_explicit(&strip_lock, 0, memory_order_release);
	fr_syscall(SYS_rt_sigprocmask, SIG_SETMASK, old, NULL, _NSIG / 8);
}

static struct strip *strip_find(int epfd, int tfd)
{
	for (unsigned i = 0; i < STRIPS; i++)
		if (strips[i].used && strips[i].epfd == epfd && strips[i].tfd == tfd)
			return &strips[i];
	return NULL;
}

static void strip_drop(struct strip *s)
{
	s->used = false;
	s->gone = false;
	atomic_fetch_sub_explicit(&strip_count, 1, memory_order_relaxed);
}

static int epoll_op(int epfd, int op, int tfd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	return (int)fr_syscall(SYS_epoll_ctl, epfd, op, tfd, &ev);
}

static int epoll_mod(int epfd, int tfd, uint32_t events, uint64_t data)
{
	return epoll_op(epfd, EPOLL_CTL_MOD, tfd, events, data);
}

/* The inode fd refers to now, or 0 when it is not open; errno kept. */
static uint64_t fd_ino(int fd)
{
	struct stat st;
	int saved = errno;
	uint64_t ino = fr_syscall(SYS_fstat, fd, &st) == 0 ? (uint64_t)st.st_ino : 0;

	errno = saved;
	return ino;
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
	bool stall; /* a stall is hidden: wake on disarm */
	uint64_t until;
	bool seen[STRIPS]; /* strips of this epfd still registered */
};

/*
 * Take tfd out of epfd's set while its connect is held unmade; s is its
 * strip if it has one already. False when there is no room to remember
 * it (it stays in the set, its events filtered) or the kernel refused.
 */
static bool take_out(int epfd, int tfd, uint32_t orig, uint64_t data, uint64_t ino, struct strip *s,
		     struct ep_view *vw)
{
	bool fresh = !s;
	int saved = errno;

	for (unsigned i = 0; i < STRIPS && !s; i++)
		if (!strips[i].used) {
			s = &strips[i];
			s->used = true;
			atomic_fetch_add_explicit(&strip_count, 1, memory_order_relaxed);
		}
	if (!s)
		return false;
	if (epoll_op(epfd, EPOLL_CTL_DEL, tfd, 0, 0) < 0) {
		errno = saved;
		if (fresh)
			strip_drop(s);
		return false;
	}
	s->gone = true;
	s->epfd = epfd;
	s->tfd = tfd;
	s->ino = ino;
	s->orig = orig;
	s->data = data;
	s->set = 0;
	vw->seen[s - strips] = true;
	return true;
}

/*
 * The registrations of epfd the shim took out: kept out while the hold
 * lasts, put back with the program's events and data when it ends, and
 * forgotten if the fd is now another file (closed: the kernel would have
 * dropped the registration anyway).
 */
static void bring_back(struct fr_ctl *c, int epfd, const struct hold_rules *hr, uint64_t now,
		       struct ep_view *vw)
{
	for (unsigned i = 0; i < STRIPS; i++) {
		struct strip *s = &strips[i];
		struct fd_hold h;

		if (!s->used || !s->gone || s->epfd != epfd)
			continue;
		if (fd_ino(s->tfd) != s->ino) {
			strip_drop(s);
			continue;
		}
		shim_hold_compute(c, s->tfd, (short)(s->orig & 0xffff), now, hr, &h);
		if (h.mute && h.hide) {
			vw->seen[i] = true;
			vw->stall |= h.stall;
			vw->until = shim_min_deadline(vw->until, h.until);
			continue;
		}
		{
			int saved = errno;

			epoll_op(epfd, EPOLL_CTL_ADD, s->tfd, s->orig, s->data);
			errno = saved;
		}
		strip_drop(s);
	}
}

/* One registration of the set: bring it in line with the holds. */
static void reconcile_one(struct fr_ctl *c, int epfd, int tfd, uint32_t ev, uint64_t data,
			  uint64_t ino, const struct hold_rules *hr, uint64_t now,
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
	shim_hold_compute(c, tfd, (short)(orig & 0xffff), now, hr, &h);
	if (orig & EPOLLEXCLUSIVE)
		h.hide = 0; /* cannot be modified: shown as it is */
	/*
	 * a connect a blackhole keeps unmade: the kernel reports a socket
	 * never connected as EPOLLHUP whatever was asked, so it is taken out
	 * of the set while the rule holds; with no room to remember it, its
	 * EPOLLHUP is taken out of the results instead (filter), which keeps
	 * the program right but lets its wait wake and go round
	 */
	if (h.mute && h.hide && take_out(epfd, tfd, orig, data, ino, s, vw)) {
		vw->stall |= h.stall;
		vw->until = shim_min_deadline(vw->until, h.until);
		return;
	}
	if (h.mute && h.hide)
		h.hide |= (short)(EPOLLHUP | EPOLLERR);
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
			atomic_fetch_add_explicit(&strip_count, 1, memory_order_relaxed);
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
static bool parse_tfd(const char *l, int *tfd, uint32_t *ev, uint64_t *data, uint64_t *ino)
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
static bool reconcile(struct fr_ctl *c, int epfd, const struct hold_rules *hr, struct ep_view *vw)
{
	char name[40], buf[4096 + 128];
	size_t have = 0;
	uint64_t now = fr_now_ns();
	sigset_t old;
	long fd;

	memset(vw, 0, sizeof(*vw));
	snprintf(name, sizeof(name), "/proc/self/fdinfo/%d", epfd);
	fd = fr_syscall(SYS_openat, AT_FDCWD, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	strip_lock_take(&old);
	for (;;) {
		long r = fr_syscall(SYS_read, fd, buf + have, 4096 - have);
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
				reconcile_one(c, epfd, tfd, ev, data, ino, hr, now, vw);
			line = nl + 1;
		}
		have = (size_t)(buf + have - line);
		memmove(buf, line, have);
		if (have >= 4096)
			have = 0; /* a line that long is not a registration */
	}
	fr_syscall(SYS_close, fd);
	bring_back(c, epfd, hr, now, vw);
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
static int filter(struct fr_ctl *c, struct epoll_event *evs, int n, const struct ep_view *vw,
		  uint64_t *until, bool *again)
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
			    shim_hold_delay_ready(c, m->tfd, m->in_op, m->delay_in, now, until)) {
				e &= ~(uint32_t)SHIM_POLL_IN;
				*again = true;
			}
			if ((e & SHIM_POLL_OUT) &&
			    shim_hold_delay_ready(c, m->tfd, FR_OP_SEND, m->delay_out, now,
						  until)) {
				e &= ~(uint32_t)SHIM_POLL_OUT;
				*again = true;
			}
			break;
		}
		if (e & ~(uint32_t)(EPOLLET | EPOLLONESHOT | EPOLLWAKEUP | EPOLLEXCLUSIVE)) {
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
 * clean together with what it was found clean at: the block's generation
 * (every arm/disarm or new rule), the count of epoll_ctl calls on that
 * epoll fd (counted by our epoll_ctl wrapper while a socket rule is armed)
 * and the count of new peers and episodes (shim_sock_changed). While all
 * three are unchanged, epoll_wait goes straight to the kernel; the test is
 * inlined into the exported function (pass_epoll_wait below), compares the
 * numbers themselves (no hash, so no collision can pass a set that
 * changed) and costs about as much as write's shim_fd_quick_pass.
 *
 * An entry is several words, so each is a seqlock: a writer (any thread
 * that found its set clean) takes it from even to odd with a CAS, writes,
 * and makes it even again; a reader that sees it odd or changed takes the
 * slow path, which is always right. Writers that lose the CAS just do not
 * cache.
 */
#define EP_SLOTS 1024u

struct ep_stamp {
	uint32_t gen, seq, changes;
};

struct ep_slot {
	_Atomic uint32_t ctl;	  /* epoll_ctl calls on the epoll fds of this slot */
	_Atomic uint32_t lock;	  /* the clean mark: even stable, odd being written */
	_Atomic uint64_t fd_seq;  /* epfd + 1 | ctl << 32 when marked; 0: none */
	_Atomic uint64_t gen_chg; /* generation | changes << 32 when marked */
};

static struct ep_slot ep_slots[EP_SLOTS];

static inline __attribute__((always_inline)) struct ep_slot *ep_slot(int epfd)
{
	return &ep_slots[(unsigned)epfd % EP_SLOTS];
}

static inline __attribute__((always_inline)) void ep_stamp_now(struct fr_ctl *c, int epfd,
							       struct ep_stamp *st)
{
	st->gen = atomic_load_explicit(&c->generation, memory_order_acquire);
	st->seq = atomic_load_explicit(&ep_slot(epfd)->ctl, memory_order_acquire);
	st->changes = shim_sock_changes();
}

static inline __attribute__((always_inline)) bool set_is_clean(int epfd, const struct ep_stamp *st)
{
	struct ep_slot *s = ep_slot(epfd);
	uint32_t l = atomic_load_explicit(&s->lock, memory_order_acquire);
	bool same = !(l & 1) &&
		    atomic_load_explicit(&s->fd_seq, memory_order_relaxed) ==
			    (((unsigned)epfd + 1) | (uint64_t)st->seq << 32) &&
		    atomic_load_explicit(&s->gen_chg, memory_order_relaxed) ==
			    (st->gen | (uint64_t)st->changes << 32);

	atomic_thread_fence(memory_order_acquire);
	return same && atomic_load_explicit(&s->lock, memory_order_relaxed) == l;
}

static void set_clean(int epfd, const struct ep_stamp *st)
{
	struct ep_slot *s = ep_slot(epfd);
	uint32_t l = atomic_load_explicit(&s->lock, memory_order_relaxed);

	if ((l & 1) || !atomic_compare_exchange_strong_explicit(
			       &s->lock, &l, l + 1, memory_order_acquire, memory_order_relaxed))
		return; /* another thread is writing it: a cache, so skip */
	atomic_thread_fence(memory_order_release);
	atomic_store_explicit(&s->fd_seq, ((unsigned)epfd + 1) | (uint64_t)st->seq << 32,
			      memory_order_relaxed);
	atomic_store_explicit(&s->gen_chg, st->gen | (uint64_t)st->changes << 32,
			      memory_order_relaxed);
	atomic_store_explicit(&s->lock, l + 2, memory_order_release);
}

static bool stamp_equal(const struct ep_stamp *a, const struct ep_stamp *b)
{
	return a->gen == b->gen && a->seq == b->seq && a->changes == b->changes;
}

/*
 * The view of a set that does hold something, kept under the same stamp
 * (and until the earliest hold ends by itself): the kernel's registrations
 * are already modified, so an event loop's next epoll_wait reads nothing
 * from /proc. Guarded by the strips' lock.
 */
#define VIEW_CACHE 4u

struct ep_view_cache {
	unsigned tag; /* epfd + 1; 0: none */
	struct ep_stamp st;
	struct ep_view vw;
};

static struct ep_view_cache views[VIEW_CACHE];

static bool view_get(int epfd, const struct ep_stamp *st, uint64_t now, struct ep_view *vw)
{
	struct ep_view_cache *v = &views[(unsigned)epfd % VIEW_CACHE];
	bool hit;
	sigset_t old;

	strip_lock_take(&old);
	hit = v->tag == (unsigned)epfd + 1 && stamp_equal(&v->st, st) &&
	      (!v->vw.until || now < v->vw.until);
	if (hit)
		*vw = v->vw;
	strip_lock_drop(&old);
	return hit;
}

static void view_put(int epfd, const struct ep_stamp *st, const struct ep_view *vw)
{
	struct ep_view_cache *v = &views[(unsigned)epfd % VIEW_CACHE];
	sigset_t old;

	strip_lock_take(&old);
	v->tag = (unsigned)epfd + 1;
	v->st = *st;
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

static int hold_epoll(int epfd, struct epoll_event *evs, int max, int64_t timeout_ns,
		      const sigset_t *mask)
{
	struct fr_ctl *c = shim_ctl;
	struct hold_rules hr;
	struct ep_view vw;
	struct timespec ts;
	uint64_t deadline = timeout_ns < 0 ? 0 : fr_now_ns() + (uint64_t)timeout_ns;
	int efd = -1, slot = -1, ret, saved;

	if (max <= 0 || !c)
		return SHIM_REAL(epoll_pwait)(epfd, evs, max, to_ms(timeout_ns), mask);
	for (;;) {
		uint64_t until, now;
		struct ep_stamp st;
		bool again = false, known;
		int n;

		/* the set as it must look now: known clean, cached, or read */
		ep_stamp_now(c, epfd, &st);
		known = set_is_clean(epfd, &st);
		if (!known && !view_get(epfd, &st, fr_now_ns(), &vw)) {
			shim_hold_load(c, &hr);
			/* without /proc the set cannot be read: as it is */
			known = !reconcile(c, epfd, &hr, &vw);
		}
		if (known) {
			ret = SHIM_REAL(epoll_pwait)(
				epfd, evs, max, to_ms(shim_ns_left(deadline, fr_now_ns())), mask);
			break;
		}
		if (!vw.n && !holds_in(epfd)) {
			/* no socket here to hold: remember, and go */
			set_clean(epfd, &st);
			ret = SHIM_REAL(epoll_pwait)(
				epfd, evs, max, to_ms(shim_ns_left(deadline, fr_now_ns())), mask);
			break;
		}
		view_put(epfd, &st, &vw);
		until = vw.until;
		now = fr_now_ns();
		if (vw.stall && efd < 0 && timeout_ns != 0)
			efd = shim_wake_begin(&slot);
		if (efd >= 0) {
			struct pollfd p[2] = { { epfd, POLLIN, 0 }, { efd, POLLIN, 0 } };

			n = SHIM_REAL(ppoll)(
				p, 2,
				shim_rel_ts(shim_hold_wait_ns(deadline, until, false, now), &ts),
				mask);
			if (n > 0 && p[1].revents)
				shim_drain(efd);
			if (n > 0 && p[0].revents)
				n = SHIM_REAL(epoll_pwait)(epfd, evs, max, 0, NULL);
			else if (n > 0)
				n = 0;
		} else {
			n = SHIM_REAL(epoll_pwait)(
				epfd, evs, max,
				to_ms(shim_hold_wait_ns(deadline, until, vw.stall, now)), mask);
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
	return shim_armed(SHIM_OPS_NET) || atomic_load_explicit(&strip_count, memory_order_relaxed);
}

/*
 * A set known to hold no socket a rule could stall (the common case of a
 * socket rule armed for another port): the program's own call, with no
 * clock read and its timeout untouched. Inlined into the exported
 * functions, before any call (SHIM_GEN_FAST's `pass`).
 */
static inline __attribute__((always_inline)) bool known_clean(int epfd)
{
	struct fr_ctl *c = shim_ctl;
	struct ep_slot *s;
	uint32_t l;
	bool same;

	if (!c || epfd < 0)
		return false;
	/* set_is_clean(epfd, ep_stamp_now()), loading each number only when needed */
	s = ep_slot(epfd);
	l = atomic_load_explicit(&s->lock, memory_order_acquire);
	same = !(l & 1) &&
	       atomic_load_explicit(&s->fd_seq, memory_order_relaxed) ==
		       (((unsigned)epfd + 1) |
			(uint64_t)atomic_load_explicit(&s->ctl, memory_order_relaxed) << 32) &&
	       atomic_load_explicit(&s->gen_chg, memory_order_relaxed) ==
		       (atomic_load_explicit(&c->generation, memory_order_relaxed) |
			(uint64_t)atomic_load_explicit(&shim_sock_change_count, memory_order_relaxed)
				<< 32);
	atomic_thread_fence(memory_order_acquire);
	return same && atomic_load_explicit(&s->lock, memory_order_relaxed) == l;
}

static __attribute__((noinline, cold)) int
slow_epoll_pwait(int epfd, struct epoll_event *evs, int max, int timeout, const sigset_t *mask)
{
	return hold_epoll(epfd, evs, max, timeout < 0 ? -1 : timeout * NS_PER_MS, mask);
}

/* epoll_ctl only counts changes to a set (see struct ep_slot) */
/*
 * The program's epoll_ctl on a registration the shim took out: answered
 * as the kernel would if it were in the set. Returns true when answered
 * (*r), false to pass the call on.
 */
static bool ctl_taken_out(int epfd, int op, int fd, const struct epoll_event *ev, int *r)
{
	struct strip *s;
	sigset_t old;
	bool answered = false;

	if (!atomic_load_explicit(&strip_count, memory_order_relaxed))
		return false;
	strip_lock_take(&old);
	s = strip_find(epfd, fd);
	if (s && s->gone && fd_ino(fd) != s->ino) {
		strip_drop(s); /* another file now: the old registration died with it */
	} else if (s && s->gone) {
		answered = true;
		*r = 0;
		if (op == EPOLL_CTL_MOD && ev) {
			s->orig = ev->events;
			s->data = ev->data.u64;
		} else if (op == EPOLL_CTL_DEL) {
			strip_drop(s);
		} else if (op == EPOLL_CTL_ADD) {
			*r = -EEXIST;
		} else {
			*r = -EINVAL;
		}
	}
	strip_lock_drop(&old);
	return answered;
}

static __attribute__((noinline, cold)) int slow_epoll_ctl(int epfd, int op, int fd,
							  struct epoll_event *ev)
{
	int r;

	if (ctl_taken_out(epfd, op, fd, ev, &r)) {
		if (r < 0) {
			errno = -r;
			return -1;
		}
		return 0;
	}
	r = SHIM_REAL(epoll_ctl)(epfd, op, fd, ev);

	if (epfd >= 0)
		atomic_fetch_add_explicit(&ep_slot(epfd)->ctl, 1, memory_order_release);
	return r;
}

static __attribute__((noinline, cold)) int slow_epoll_wait(int epfd, struct epoll_event *evs,
							   int max, int timeout)
{
	return slow_epoll_pwait(epfd, evs, max, timeout, NULL);
}

static __attribute__((noinline, cold)) int slow_epoll_pwait2(int epfd, struct epoll_event *evs,
							     int max, const struct timespec *tmo,
							     const sigset_t *mask)
{
	int64_t ns = shim_ts_ns(tmo);

	if (ns == -2)
		return SHIM_REAL(epoll_pwait2)(epfd, evs, max, tmo, mask);
	return hold_epoll(epfd, evs, max, ns, mask);
}

/* Generate the exported functions (hot path) of the epoll rows. */
#define pass_epoll_ctl(epfd, op, fd, ev) false
#define pass_epoll_wait(epfd, evs, max, timeout) known_clean(epfd)
#define pass_epoll_pwait(epfd, evs, max, timeout, mask) known_clean(epfd)
#define pass_epoll_pwait2(epfd, evs, max, tmo, mask) known_clean(epfd)
#define SHIM_GEN_EPOLL_FAST(name, ret, params, args, op, fail) \
	SHIM_GEN_FAST(name, ret, params, args, fail, epoll_armed(), pass_##name args)
#define SHIM_GEN_POLL_FAST(name, ret, params, args, op, fail)
#define WRAP(name, ret, params, args, op, shape, fail, errnos)
#define WRAP_POLL(name, ret, params, args, op, shape, fail, errnos) \
	SHIM_GEN_##shape(name, ret, params, args, op, fail)
#include "wrapped.def"
#undef WRAP_POLL
#undef WRAP
