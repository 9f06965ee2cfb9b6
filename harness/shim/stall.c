/*
 * Stalls and delays on sockets: the stall=DURATION windows, the episode
 * table, the blocking wait and the wake thread (see sock.h for the model).
 *
 * Everything here is lock-free or guarded by a trylock, uses raw syscalls
 * for what the shim wraps (never re-entering a wrapper) and allocates
 * nothing except the wake thread's stack, once per process. The tables
 * are static: fork copies them (the child shares the parent's sockets, so
 * their episodes stay true), exec starts empty.
 */
#include "sock.h"

#include <arpa/inet.h>
#include <limits.h>
#include <linux/futex.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>

/* ---- rules ------------------------------------------------------------ */

uint64_t shim_hold_rules(struct fr_ctl *c, enum fr_op op)
{
	uint64_t m = shim_armed_rules(c, op), out = 0;

	while (m) {
		unsigned i = (unsigned)__builtin_ctzll(m);
		uint32_t a = c->slots[i].rule.action;

		m &= m - 1;
		/* rate=: an empty bucket holds as a delay does (rate.c) */
		if (a == FR_ACT_STALL || a == FR_ACT_DELAY || a == FR_ACT_BLACKHOLE ||
		    c->slots[i].rule.rate)
			out |= 1ull << i;
	}
	return out;
}

bool shim_rule_certain(struct fr_ctl *c, unsigned i)
{
	struct fr_ctl_slot *s = &c->slots[i];
	uint64_t times = s->rule.times;

	if (s->rule.flags & FR_RULE_PROB)
		return false;
	if (atomic_load_explicit(&s->matched, memory_order_relaxed) < s->rule.after)
		return false;
	return !times || atomic_load_explicit(&s->injected, memory_order_relaxed) < times;
}

uint64_t shim_arm_tag(struct fr_ctl *c, unsigned i)
{
	return atomic_load_explicit(&c->slots[i].arm_count, memory_order_acquire);
}

/* A rule, in the arming `tag`, is still in force. */
static bool rule_live(struct fr_ctl *c, unsigned i, uint64_t tag)
{
	return i < FR_MAX_RULES && fr_ctl_armed(c, i) && shim_arm_tag(c, i) == tag &&
	       !atomic_load_explicit(&c->disabled, memory_order_relaxed);
}

/*
 * stall=DURATION windows, per rule and process: `start` of the window of
 * the arming `tag`. Written by the first injecting call of an arming;
 * concurrent first calls write nearly the same start.
 */
static struct {
	_Atomic uint64_t tag;
	_Atomic uint64_t start;
} windows[FR_MAX_RULES];

uint64_t shim_stall_window_end(struct fr_ctl *c, unsigned i)
{
	uint64_t len;

	/* i comes from the shared block: bound it before reading its slot */
	if (i >= FR_MAX_RULES)
		return 0;
	len = c->slots[i].rule.amount;
	if (!len ||
	    atomic_load_explicit(&windows[i].tag, memory_order_acquire) != shim_arm_tag(c, i))
		return 0;
	return atomic_load_explicit(&windows[i].start, memory_order_relaxed) + len;
}

bool shim_stall_fire(struct fr_ctl *c, unsigned i, enum fr_op op)
{
	uint64_t tag, end;

	if (i >= FR_MAX_RULES)
		return false;
	if (!SHIM_OP_IS_NET(op) || !c->slots[i].rule.amount)
		return fr_ctl_fire(c, i);
	/* the peer came back: nothing more until the rule is armed again */
	end = shim_stall_window_end(c, i);
	if (end && fr_now_ns() >= end)
		return false;
	if (!fr_ctl_fire(c, i))
		return false;
	tag = shim_arm_tag(c, i);
	if (atomic_load_explicit(&windows[i].tag, memory_order_acquire) != tag) {
		atomic_store_explicit(&windows[i].start, fr_now_ns(), memory_order_relaxed);
		atomic_store_explicit(&windows[i].tag, tag, memory_order_release);
	}
	return true;
}

/* ---- naming sockets (the event ring) ------------------------------------ */

/* "host:port", "[v6]:port" or "unix:path" for the event ring. */
void shim_sock_fmt(const struct sockaddr *sa, socklen_t len, char *out, size_t n)
{
	char a[INET6_ADDRSTRLEN];

	out[0] = '\0';
	if (!sa || len < sizeof(sa_family_t))
		return;
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const void *)sa;

		if (inet_ntop(AF_INET, &in->sin_addr, a, sizeof(a)))
			snprintf(out, n, "%s:%u", a, ntohs(in->sin_port));
	} else if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		if (inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof(a)))
			snprintf(out, n, "[%s]:%u", a, ntohs(in6->sin6_port));
	} else if (sa->sa_family == AF_UNIX) {
		const struct sockaddr_un *un = (const void *)sa;
		size_t pl = len - offsetof(struct sockaddr_un, sun_path);

		if (pl > sizeof(un->sun_path))
			pl = sizeof(un->sun_path);
		snprintf(out, n, "unix:%.*s", (int)strnlen(un->sun_path, pl), un->sun_path);
	}
}

void shim_sock_where(int fd, char *out, size_t n)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int saved = errno;

	out[0] = '\0';
	if (fr_syscall(SYS_getpeername, fd, &ss, &sl) == 0)
		shim_sock_fmt((struct sockaddr *)&ss, sl, out, n);
	sl = sizeof(ss);
	if ((!out[0] || !strcmp(out, "unix:")) && fr_syscall(SYS_getsockname, fd, &ss, &sl) == 0)
		shim_sock_fmt((struct sockaddr *)&ss, sl, out, n);
	errno = saved;
}

/* See sock.h: a connect that connect blackhole kept from being made (wrap_sock.c). */
void shim_sock_resume(int fd)
{
	struct shim_fd *e = shim_fd_peek(fd);
	uint32_t info = e ? atomic_load_explicit(&e->info, memory_order_acquire) : 0;
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in in = { .sin_family = AF_INET };
	int saved = errno;
	long fl;

	/* the fd table keeps inet peers; a unix path it does not keep */
	if (!(info & SHIM_FD_HAVE_PEER) ||
	    (e->peer_family != AF_INET && e->peer_family != AF_INET6))
		return;
	fl = fr_syscall(SYS_fcntl, fd, F_GETFL);
	if (fl < 0)
		return;
	fr_syscall(SYS_fcntl, fd, F_SETFL, fl | O_NONBLOCK);
	if (e->peer_family == AF_INET) {
		memcpy(&in.sin_addr, e->peer_addr, 4);
		in.sin_port = htons(e->peer_port);
		fr_syscall(SYS_connect, fd, &in, sizeof(in));
	} else {
		memcpy(&in6.sin6_addr, e->peer_addr, 16);
		in6.sin6_port = htons(e->peer_port);
		fr_syscall(SYS_connect, fd, &in6, sizeof(in6));
	}
	fr_syscall(SYS_fcntl, fd, F_SETFL, fl);
	SHIM_DEBUG("connect(fd %d): the blackhole was cleared, connecting now", fd);
	errno = saved;
}

/* ---- episodes ---------------------------------------------------------- */

/*
 * 64 sets of 4 entries, the set chosen by fd: a lookup reads at most four
 * keys. key = (fd + 1) << 2 | direction; 0 is free, EP_FILLING is claimed
 * and being written (readers skip it). More than four live episodes on
 * fds of one set do not fit: the caller then holds by the rule alone
 * (counting every call), which is documented in docs/faults.md.
 */
#define EP_SETS 64u
#define EP_WAYS 4u
#define EP_FILLING 1ull
/* a send blackhole's cap before its first send reads SO_SNDBUF (send_cap): room */
#define EP_CAP_UNREAD UINT64_MAX

struct ep_entry {
	_Atomic uint64_t key;
	_Atomic uint64_t tag;
	_Atomic uint64_t until;
	_Atomic uint32_t rule;
	_Atomic uint32_t action;
	_Atomic uint64_t used; /* send blackhole: bytes swallowed */
	_Atomic uint64_t cap;  /* ... at most this many (SO_SNDBUF) */
};

static struct ep_entry eps[EP_SETS][EP_WAYS];
static _Atomic int ep_used; /* entries claimed: 0 = the fast way out */
_Atomic uint32_t shim_sock_change_count;

void shim_sock_changed(void)
{
	atomic_fetch_add_explicit(&shim_sock_change_count, 1, memory_order_release);
}

static uint64_t ep_key(int fd, enum fr_op op)
{
	return ((uint64_t)(unsigned)fd + 1) << 2 | (uint64_t)(op - FR_OP_CONNECT);
}

/* Read entry e if it holds key; false if it does not (or changed meanwhile). */
static bool ep_read(struct ep_entry *e, uint64_t key, struct shim_ep *out)
{
	if (atomic_load_explicit(&e->key, memory_order_acquire) != key)
		return false;
	out->rule = atomic_load_explicit(&e->rule, memory_order_relaxed);
	out->action = atomic_load_explicit(&e->action, memory_order_relaxed);
	out->tag = atomic_load_explicit(&e->tag, memory_order_relaxed);
	out->until = atomic_load_explicit(&e->until, memory_order_relaxed);
	out->used = atomic_load_explicit(&e->used, memory_order_relaxed);
	out->cap = atomic_load_explicit(&e->cap, memory_order_relaxed);
	atomic_thread_fence(memory_order_acquire);
	return atomic_load_explicit(&e->key, memory_order_relaxed) == key;
}

static bool ep_remove(struct ep_entry *e, uint64_t key)
{
	if (!atomic_compare_exchange_strong_explicit(&e->key, &key, 0, memory_order_acq_rel,
						     memory_order_relaxed))
		return false;
	atomic_fetch_sub_explicit(&ep_used, 1, memory_order_relaxed);
	return true;
}

/* The episode's rule is still in force (its direction may be due). */
static bool ep_alive(struct fr_ctl *c, const struct shim_ep *ep, uint64_t now)
{
	if (!rule_live(c, ep->rule, ep->tag))
		return false;
	/* a stall window that passed ends the episode; a due delay does not */
	return !(ep->action == FR_ACT_STALL && ep->until && now >= ep->until);
}

bool shim_ep_holds(struct fr_ctl *c, const struct shim_ep *ep, uint64_t now)
{
	/* a send blackhole holds once the send buffer it pretends to fill is full */
	if (ep->action == FR_ACT_BLACKHOLE && ep->cap && ep->used < ep->cap)
		return false;
	return ep_alive(c, ep, now) && !(ep->until && now >= ep->until);
}

bool shim_ep_live(struct fr_ctl *c, const struct shim_ep *ep, uint64_t now)
{
	return ep_alive(c, ep, now);
}

bool shim_ep_get(int fd, enum fr_op op, struct shim_ep *ep)
{
	struct fr_ctl *c = shim_ctl;
	struct ep_entry *set;
	uint64_t key;

	if (fd < 0 || !c || !SHIM_OP_IS_NET(op) ||
	    !atomic_load_explicit(&ep_used, memory_order_relaxed))
		return false;
	key = ep_key(fd, op);
	set = eps[(unsigned)fd % EP_SETS];
	for (unsigned w = 0; w < EP_WAYS; w++) {
		if (!ep_read(&set[w], key, ep))
			continue;
		if (ep_alive(c, ep, fr_now_ns()))
			return true;
		/* a connect the blackhole kept from being made: make it now */
		if (ep_remove(&set[w], key) && op == FR_OP_CONNECT &&
		    ep->action == FR_ACT_BLACKHOLE)
			shim_sock_resume(fd);
	}
	return false;
}

/*
 * What a send blackhole swallows before sends block: the socket's send
 * buffer (SO_SNDBUF, read once, at the episode's first send), which the
 * kernel would fill with unacknowledged bytes before blocking (tcp(7)).
 * At least one byte: a socket that cannot tell would otherwise never
 * block. Not read when the episode begins: a poll for the connect's end
 * begins it, and a program that sets SO_SNDBUF once connected (python's
 * asyncio, a small buffer on purpose) must get the buffer it set.
 */
static uint64_t send_cap(int fd)
{
	int saved = errno, v = 0;
	socklen_t l = sizeof(v);

	if (fr_syscall(SYS_getsockopt, fd, SOL_SOCKET, SO_SNDBUF, &v, &l) < 0 || v <= 0)
		v = 1;
	errno = saved;
	return (uint64_t)v;
}

size_t shim_ep_swallow(int fd, size_t want)
{
	struct ep_entry *set;
	uint64_t key;

	if (fd < 0 || !atomic_load_explicit(&ep_used, memory_order_relaxed))
		return 0;
	key = ep_key(fd, FR_OP_SEND);
	set = eps[(unsigned)fd % EP_SETS];
	for (unsigned w = 0; w < EP_WAYS; w++) {
		struct ep_entry *e = &set[w];
		uint64_t used, cap, take;

		if (atomic_load_explicit(&e->key, memory_order_acquire) != key)
			continue;
		cap = atomic_load_explicit(&e->cap, memory_order_relaxed);
		if (cap == EP_CAP_UNREAD) {
			uint64_t unread = EP_CAP_UNREAD, now = send_cap(fd);

			/* the first sender reads it; a racing one takes its value */
			if (atomic_compare_exchange_strong_explicit(&e->cap, &unread, now,
								    memory_order_relaxed,
								    memory_order_relaxed))
				cap = now;
			else
				cap = unread;
		}
		used = atomic_load_explicit(&e->used, memory_order_relaxed);
		do {
			if (used >= cap)
				return 0;
			take = cap - used < want ? cap - used : want;
		} while (!atomic_compare_exchange_weak_explicit(
			&e->used, &used, used + take, memory_order_relaxed, memory_order_relaxed));
		/* full now: epoll's cached views must hide writability */
		if (used + take >= cap)
			shim_sock_changed();
		return (size_t)take;
	}
	return 0;
}

bool shim_ep_begin(int fd, enum fr_op op, unsigned rule, uint32_t action, uint64_t until,
		   struct shim_ep *ep)
{
	struct fr_ctl *c = shim_ctl;
	struct ep_entry *set;
	uint64_t key, now = fr_now_ns();

	if (fd < 0 || !c || !SHIM_OP_IS_NET(op) || rule >= FR_MAX_RULES)
		return false;
	if (shim_ep_get(fd, op, ep))
		return true;
	key = ep_key(fd, op);
	set = eps[(unsigned)fd % EP_SETS];
	for (unsigned w = 0; w < EP_WAYS; w++) {
		struct ep_entry *e = &set[w];
		uint64_t k = atomic_load_explicit(&e->key, memory_order_acquire);
		struct shim_ep old;

		/* a dead episode of another fd makes room */
		if (k > EP_FILLING && ep_read(e, k, &old) && !ep_alive(c, &old, now))
			ep_remove(e, k);
		k = 0;
		if (!atomic_compare_exchange_strong_explicit(
			    &e->key, &k, EP_FILLING, memory_order_acq_rel, memory_order_relaxed))
			continue;
		atomic_fetch_add_explicit(&ep_used, 1, memory_order_relaxed);
		shim_side_note(); /* a close must now forget it (fdtable.c) */
		ep->rule = rule;
		ep->action = action;
		ep->tag = shim_arm_tag(c, rule);
		ep->until = until;
		ep->used = 0;
		ep->cap = action == FR_ACT_BLACKHOLE && op == FR_OP_SEND ? EP_CAP_UNREAD : 0;
		atomic_store_explicit(&e->used, 0, memory_order_relaxed);
		atomic_store_explicit(&e->cap, ep->cap, memory_order_relaxed);
		atomic_store_explicit(&e->rule, rule, memory_order_relaxed);
		atomic_store_explicit(&e->action, action, memory_order_relaxed);
		atomic_store_explicit(&e->tag, ep->tag, memory_order_relaxed);
		atomic_store_explicit(&e->until, until, memory_order_relaxed);
		atomic_store_explicit(&e->key, key, memory_order_release);
		shim_sock_changed();
		/* two threads began the same episode: the lower way wins */
		for (unsigned o = 0; o < w; o++) {
			struct shim_ep first;

			if (ep_read(&set[o], key, &first)) {
				ep_remove(e, key);
				*ep = first;
				break;
			}
		}
		return true;
	}
	return false;
}

void shim_ep_end(int fd, enum fr_op op)
{
	struct ep_entry *set;
	uint64_t key;

	if (fd < 0 || !atomic_load_explicit(&ep_used, memory_order_relaxed))
		return;
	key = ep_key(fd, op);
	set = eps[(unsigned)fd % EP_SETS];
	for (unsigned w = 0; w < EP_WAYS; w++)
		ep_remove(&set[w], key);
}

void shim_sock_forget(int fd)
{
	shim_rate_forget(fd);
	if (fd < 0 || !atomic_load_explicit(&ep_used, memory_order_relaxed))
		return;
	for (enum fr_op op = FR_OP_CONNECT; op <= FR_OP_RECV; op++)
		shim_ep_end(fd, op);
}

void shim_sock_forget_range(unsigned first, unsigned last)
{
	shim_rate_forget_range(first, last);
	if (!atomic_load_explicit(&ep_used, memory_order_relaxed))
		return;
	for (unsigned s = 0; s < EP_SETS; s++)
		for (unsigned w = 0; w < EP_WAYS; w++) {
			struct ep_entry *e = &eps[s][w];
			uint64_t k = atomic_load_explicit(&e->key, memory_order_acquire);
			uint64_t fd = (k >> 2) - 1;

			if (k > EP_FILLING && fd >= first && fd <= last)
				ep_remove(e, k);
		}
}

bool shim_sock_episode(int fd, enum fr_op op, size_t want, struct shim_verdict *v)
{
	struct shim_ep ep;

	if (!shim_ep_get(fd, op, &ep))
		return false;
	v->what = ep.action == FR_ACT_DELAY ? SHIM_DELAY : SHIM_STALL;
	v->op = op;
	v->rule = ep.rule;
	v->ns = 0;
	v->allow = want;
	return true;
}

/* ---- the blocking wait ------------------------------------------------ */

/*
 * Whether every installed signal handler has SA_RESTART, i.e. whether the
 * kernel would have restarted a blocking socket call without a timeout
 * that a signal interrupted. Asked only after a timed wait was
 * interrupted (a timed futex wait never restarts).
 */
static bool handlers_restart(void)
{
	for (int sig = 1; sig < NSIG; sig++) {
		struct sigaction sa;

		if (sig == SIGKILL || sig == SIGSTOP || sigaction(sig, NULL, &sa) != 0)
			continue; /* glibc's internal signals give EINVAL */
		if (sa.sa_handler == SIG_DFL || sa.sa_handler == SIG_IGN)
			continue;
		if (!(sa.sa_flags & SA_RESTART))
			return false;
	}
	return true;
}

/*
 * FUTEX_WAIT on word while it holds val, until the absolute monotonic
 * deadline (0 = none). The block is MAP_SHARED across processes: no
 * FUTEX_PRIVATE_FLAG. Runs with asynchronous cancellation so that
 * pthread_cancel() ends a stalled recv() as it ends a real one (glibc
 * 2.36 sends no signal to a thread in deferred mode that is not inside
 * one of its own cancellable syscalls; measured, see docs/faults.md).
 * An untimed wait restarts by itself after an SA_RESTART handler (and
 * returns EINTR otherwise), exactly like the recv() it stands for.
 */
static int futex_wait(_Atomic uint32_t *word, uint32_t val, uint64_t deadline)
{
	struct timespec ts;
	int old, r, err;

	pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old);
	if (deadline) {
		ts.tv_sec = (time_t)(deadline / 1000000000ull);
		ts.tv_nsec = (long)(deadline % 1000000000ull);
		r = (int)fr_syscall(SYS_futex, word, FUTEX_WAIT_BITSET, val, &ts, NULL,
				    FUTEX_BITSET_MATCH_ANY);
	} else {
		r = (int)fr_syscall(SYS_futex, word, FUTEX_WAIT, val, NULL, NULL, 0);
	}
	err = r < 0 ? errno : 0;
	pthread_setcanceltype(old, NULL);
	return -err;
}

int shim_hold_block(struct fr_ctl *c, unsigned rule, uint64_t tag, uint64_t until, uint64_t timeo)
{
	int saved = errno, ret;

	pthread_testcancel();
	for (;;) {
		uint32_t g = atomic_load_explicit(&c->generation, memory_order_acquire);
		uint64_t now, dl;

		if (!rule_live(c, rule, tag)) {
			ret = 0;
			break;
		}
		now = fr_now_ns();
		if (until && now >= until) {
			ret = 0;
			break;
		}
		if (timeo && now >= timeo) {
			ret = -EAGAIN;
			break;
		}
		dl = shim_min_deadline(until, timeo);
		if (futex_wait(&c->generation, g, dl) == -EINTR &&
		    (timeo || !dl || !handlers_restart())) {
			ret = -EINTR;
			break;
		}
	}
	errno = saved;
	return ret;
}

/* ---- the wake thread ----------------------------------------------------- */

/*
 * Registry of the eventfds of waiting poll-family calls. A slot holds
 * pid << 32 | (fd + 1), so that after fork the child's wake thread never
 * writes to a number its parent registered (the child may have reused
 * it); WAKE_BUSY is set while the wake thread writes to the fd, and the
 * owner waits for it to clear before closing.
 */
#define WAKE_SLOTS 64u
#define WAKE_BUSY (1ull << 31)

static _Atomic uint64_t wake_slots[WAKE_SLOTS];
static _Atomic int wake_pid;  /* process whose wake thread runs */
static _Atomic int wake_lock; /* pid creating the thread, 0 = free */

static int self_pid(void)
{
	return (int)fr_syscall(SYS_getpid);
}

static void wake_all(int pid)
{
	static const uint64_t one = 1;

	for (unsigned i = 0; i < WAKE_SLOTS; i++) {
		uint64_t v = atomic_load_explicit(&wake_slots[i], memory_order_acquire);

		if (!v || (v & WAKE_BUSY) || (int)(v >> 32) != pid ||
		    !atomic_compare_exchange_strong_explicit(&wake_slots[i], &v, v | WAKE_BUSY,
							     memory_order_acq_rel,
							     memory_order_relaxed))
			continue;
		fr_syscall(SYS_write, (int)(v & 0x7fffffffu) - 1, &one, sizeof(one));
		atomic_store_explicit(&wake_slots[i], v, memory_order_release);
	}
}

/*
 * The wake thread: sleeps on the block's generation word and, on every
 * change (any arm, disarm or new rule), writes to each registered eventfd.
 * All signals are blocked (it never takes a signal meant for the program)
 * and it calls nothing the shim wraps.
 */
static void *wake_main(void *arg)
{
	struct fr_ctl *c = arg;
	int pid = self_pid();
	uint32_t last;

	fr_syscall(SYS_prctl, PR_SET_NAME, "faultshim-wake");
	/* the first round always wakes: a change may predate our start */
	last = ~atomic_load_explicit(&c->generation, memory_order_acquire);
	for (;;) {
		uint32_t g = atomic_load_explicit(&c->generation, memory_order_acquire);

		if (g != last) {
			last = g;
			wake_all(pid);
		}
		fr_syscall(SYS_futex, &c->generation, FUTEX_WAIT, g, NULL, NULL, 0);
	}
	return NULL;
}

/* Start this process's wake thread once (again in a forked child). */
static bool wake_thread(struct fr_ctl *c, int pid)
{
	pthread_attr_t attr;
	sigset_t all, old;
	pthread_t t;
	int expect = 0, locker, rc;

	if (atomic_load_explicit(&wake_pid, memory_order_acquire) == pid)
		return true;
	locker = atomic_load_explicit(&wake_lock, memory_order_acquire);
	if (locker == pid)
		return false; /* another thread of ours is starting it */
	if (locker) {
		/* held by the parent at fork time: it is ours to take now */
		expect = locker;
	}
	if (!atomic_compare_exchange_strong_explicit(&wake_lock, &expect, pid, memory_order_acq_rel,
						     memory_order_relaxed))
		return false;
	if (atomic_load_explicit(&wake_pid, memory_order_acquire) == pid) {
		atomic_store_explicit(&wake_lock, 0, memory_order_release);
		return true;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	rc = pthread_create(&t, &attr, wake_main, c);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc == 0) {
		atomic_store_explicit(&wake_pid, pid, memory_order_release);
		SHIM_DEBUG("started the wake thread");
	}
	atomic_store_explicit(&wake_lock, 0, memory_order_release);
	return rc == 0;
}

int shim_wake_begin(int *slot)
{
	struct fr_ctl *c = shim_ctl;
	int saved = errno, pid = self_pid();
	long efd;

	*slot = -1;
	if (!c)
		return -1;
	efd = fr_syscall(SYS_eventfd2, 0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0)
		goto out_fail;
	for (unsigned i = 0; i < WAKE_SLOTS; i++) {
		uint64_t v = atomic_load_explicit(&wake_slots[i], memory_order_acquire);
		uint64_t mine = (uint64_t)pid << 32 | (uint64_t)(efd + 1);

		/* free, or left behind by the process we were forked from */
		if ((v && (int)(v >> 32) == pid) ||
		    !atomic_compare_exchange_strong_explicit(
			    &wake_slots[i], &v, mine, memory_order_acq_rel, memory_order_relaxed))
			continue;
		*slot = (int)i;
		break;
	}
	if (*slot < 0 || !wake_thread(c, pid)) {
		if (*slot >= 0)
			atomic_store_explicit(&wake_slots[*slot], 0, memory_order_release);
		fr_syscall(SYS_close, (int)efd);
		goto out_fail;
	}
	errno = saved;
	return (int)efd;

out_fail:
	*slot = -1;
	errno = saved;
	return -1;
}

void shim_wake_end(int efd, int slot)
{
	int saved = errno;

	if (efd < 0)
		return;
	if (slot >= 0 && (unsigned)slot < WAKE_SLOTS) {
		for (;;) {
			uint64_t v = atomic_load_explicit(&wake_slots[slot], memory_order_acquire);

			if (v & WAKE_BUSY) {
				sched_yield(); /* the wake thread is writing */
				continue;
			}
			if (atomic_compare_exchange_weak_explicit(&wake_slots[slot], &v, 0,
								  memory_order_acq_rel,
								  memory_order_relaxed))
				break;
		}
	}
	fr_syscall(SYS_close, efd);
	errno = saved;
}
