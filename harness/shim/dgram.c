/*
 * Datagram faults (docs/faults.md "Datagram faults"), netem's loss,
 * duplication and reordering for SOCK_DGRAM sockets (UDP, unix datagram):
 *
 * - drop on send: the call reports every byte sent; nothing leaves.
 * - drop on recv: the datagram the call would have read is consumed and
 *   discarded, and the call reads the next one (waiting for it as the
 *   program asked: blocking, O_NONBLOCK, MSG_DONTWAIT, SO_RCVTIMEO).
 * - duplicate (send): the datagram leaves twice.
 * - reorder (recv): the datagram the call would have read is held and the
 *   call reads the next one; the held one is handed out by the first recv
 *   on the socket after that. A stream socket has no datagrams: these
 *   rules never fire on one (the rule's matched count stays 0, and a run
 *   in which it never fired says so).
 *
 * The held datagrams live in static storage: DG_SLOTS of DG_BYTES, room
 * for any UDP datagram (65,507 bytes over IPv4, 65,527 over IPv6 without
 * jumbograms). A larger one (a unix datagram socket's can be), or one
 * met while every slot holds another socket's, is not held: it is read in
 * order, counted as the rule's injection all the same, and the block's
 * dgram_unheld counter makes the run's report say so. No malloc, no
 * thread, no fd of the shim's own; a slot is claimed with a
 * compare-and-swap, and only once the datagram is there to read (a peek
 * waits for it first), so a thread cancelled in its wait holds nothing.
 * Ancillary data (recvmsg's control messages) of a held datagram is not
 * kept: it is handed out with none (msg_controllen 0).
 */
#include "sock.h"

#include <string.h>
#include <sys/syscall.h>

#define DG_SLOTS 4u
#define DG_BYTES 65536u

enum { DG_FREE = 0, DG_BUSY, DG_WAITING, DG_READY };

struct dg_slot {
	_Atomic uint32_t state; /* DG_*: len, name are read only in WAITING/READY */
	_Atomic int fd;		/* atomic: dg_find() reads it as another thread frees the slot */
	size_t len;
	socklen_t namelen;
	struct sockaddr_storage name;
};

static struct dg_slot dg[DG_SLOTS];
static unsigned char dg_buf[DG_SLOTS][DG_BYTES];
static _Atomic int dg_used; /* slots not free: 0 = the fast way out */

/* Whether fd is a datagram socket (raw getsockopt: errno kept). */
static bool sock_dgram(int fd)
{
	int saved = errno, type = 0;
	socklen_t l = sizeof(type);
	long r = fr_syscall(SYS_getsockopt, fd, SOL_SOCKET, SO_TYPE, &type, &l);

	errno = saved;
	return r == 0 && type == SOCK_DGRAM;
}

/* The slot holding a datagram for fd, or NULL. */
static struct dg_slot *dg_find(int fd)
{
	if (!atomic_load_explicit(&dg_used, memory_order_relaxed))
		return NULL;
	for (unsigned k = 0; k < DG_SLOTS; k++) {
		uint32_t st = atomic_load_explicit(&dg[k].state, memory_order_acquire);

		if ((st == DG_WAITING || st == DG_READY) &&
		    atomic_load_explicit(&dg[k].fd, memory_order_relaxed) == fd)
			return &dg[k];
	}
	return NULL;
}

static void dg_free(struct dg_slot *s)
{
	atomic_store_explicit(&s->state, DG_FREE, memory_order_release);
	atomic_fetch_sub_explicit(&dg_used, 1, memory_order_relaxed);
}

void shim_dgram_forget(int fd)
{
	struct dg_slot *s;

	/* the socket closed: what it held goes with its receive queue */
	while ((s = dg_find(fd))) {
		uint32_t st = atomic_load_explicit(&s->state, memory_order_relaxed);

		if (atomic_compare_exchange_strong_explicit(
			    &s->state, &st, DG_BUSY, memory_order_acq_rel, memory_order_relaxed))
			dg_free(s);
	}
}

void shim_dgram_forget_range(unsigned first, unsigned last)
{
	for (unsigned k = 0; atomic_load_explicit(&dg_used, memory_order_relaxed) && k < DG_SLOTS;
	     k++) {
		uint32_t st = atomic_load_explicit(&dg[k].state, memory_order_acquire);
		unsigned fd = (unsigned)atomic_load_explicit(&dg[k].fd, memory_order_relaxed);

		if ((st == DG_WAITING || st == DG_READY) && fd >= first && fd <= last &&
		    atomic_compare_exchange_strong_explicit(
			    &dg[k].state, &st, DG_BUSY, memory_order_acq_rel, memory_order_relaxed))
			dg_free(&dg[k]);
	}
}

int shim_dgram_decide(struct fr_ctl *c, unsigned i, enum fr_op op, int fd, bool forced,
		      struct shim_verdict *v)
{
	const struct fr_rule *r = &c->slots[i].rule;
	int k;

	if (fd < 0 || (op != FR_OP_SEND && op != FR_OP_RECV) || !sock_dgram(fd))
		return 0;
	/* a datagram reorder= holds: handed out in its turn, not a new injection */
	k = r->action == FR_ACT_REORDER && dg_find(fd) ? 2 : forced || fr_ctl_fire(c, i);
	if (k) {
		v->rule = i;
		v->what = SHIM_DGRAM;
	}
	return k;
}

/* Copy a held datagram into msg as recvmsg(2) would (MSG_TRUNC: too long for it). */
static ssize_t dg_copy(const struct dg_slot *s, const unsigned char *buf, struct msghdr *msg,
		       int flags)
{
	size_t off = 0;

	for (size_t k = 0; k < msg->msg_iovlen && off < s->len; k++) {
		size_t n = msg->msg_iov[k].iov_len < s->len - off ? msg->msg_iov[k].iov_len :
								    s->len - off;

		memcpy(msg->msg_iov[k].iov_base, buf + off, n);
		off += n;
	}
	if (msg->msg_name) {
		memcpy(msg->msg_name, &s->name,
		       msg->msg_namelen < s->namelen ? msg->msg_namelen : s->namelen);
		msg->msg_namelen = s->namelen;
	}
	msg->msg_controllen = 0;
	msg->msg_flags = off < s->len ? MSG_TRUNC : 0;
	/* recv(2): with MSG_TRUNC, the real length even when it did not fit */
	return (ssize_t)((flags & MSG_TRUNC) ? s->len : off);
}

/* The recv after a held datagram: the next one first, then the held one. */
static ssize_t dg_turn(struct dg_slot *s, int fd, struct msghdr *msg, int flags)
{
	uint32_t st = DG_READY;
	ssize_t r;

	if (atomic_load_explicit(&s->state, memory_order_acquire) == DG_WAITING) {
		r = SHIM_REAL(recvmsg)(fd, msg, flags);
		st = DG_WAITING;
		if (r >= 0 && !(flags & MSG_PEEK))
			atomic_compare_exchange_strong_explicit(&s->state, &st, DG_READY,
								memory_order_acq_rel,
								memory_order_relaxed);
		return r;
	}
	if (flags & MSG_PEEK)
		return dg_copy(s, dg_buf[s - dg], msg, flags);
	if (!atomic_compare_exchange_strong_explicit(&s->state, &st, DG_BUSY, memory_order_acq_rel,
						     memory_order_relaxed))
		return SHIM_REAL(recvmsg)(fd, msg, flags); /* another thread took it */
	r = dg_copy(s, dg_buf[s - dg], msg, flags);
	dg_free(s);
	return r;
}

/* reorder fired: hold the datagram this call would read, read the next. */
static ssize_t dg_hold(int fd, struct msghdr *msg, int flags, struct fr_ctl *c)
{
	struct msghdr peek = { 0 };
	struct dg_slot *s = NULL;
	ssize_t len, r;

	/* wait for it as the program asked; its real length (MSG_TRUNC, udp(7)) */
	len = SHIM_REAL(recvmsg)(fd, &peek, (flags & ~MSG_TRUNC) | MSG_PEEK | MSG_TRUNC);
	if (len < 0)
		return len;
	for (unsigned k = 0; (size_t)len <= DG_BYTES && k < DG_SLOTS && !s; k++) {
		uint32_t st = DG_FREE;

		if (atomic_compare_exchange_strong_explicit(
			    &dg[k].state, &st, DG_BUSY, memory_order_acq_rel, memory_order_relaxed))
			s = &dg[k];
	}
	if (!s) {
		atomic_fetch_add_explicit(&c->dgram_unheld, 1, memory_order_relaxed);
		return SHIM_REAL(recvmsg)(fd, msg, flags);
	}
	atomic_fetch_add_explicit(&dg_used, 1, memory_order_relaxed);
	shim_side_note(); /* a close must now forget it (fdtable.c) */
	{
		struct iovec io = { dg_buf[s - dg], DG_BYTES };
		struct msghdr m = { .msg_name = &s->name,
				    .msg_namelen = sizeof(s->name),
				    .msg_iov = &io,
				    .msg_iovlen = 1 };

		/* it is there: never waits (another thread may have read it first) */
		r = SHIM_REAL(recvmsg)(fd, &m, (flags & ~(MSG_PEEK | MSG_TRUNC)) | MSG_DONTWAIT);
		if (r < 0) {
			dg_free(s);
			return SHIM_REAL(recvmsg)(fd, msg, flags);
		}
		s->len = (size_t)r;
		s->namelen = m.msg_namelen;
		atomic_store_explicit(&s->fd, fd, memory_order_relaxed);
	}
	atomic_store_explicit(&s->state, DG_WAITING, memory_order_release);
	return dg_turn(s, fd, msg, flags);
}

ssize_t shim_dgram_msg(int fd, struct msghdr *msg, int flags, struct shim_verdict *v)
{
	struct fr_ctl *c = shim_ctl;
	uint32_t action = c && v->rule < FR_MAX_RULES ? c->slots[v->rule].rule.action : 0;
	struct dg_slot *s;
	ssize_t r;

	if (v->op == FR_OP_SEND) {
		if (action == FR_ACT_DROP) {
			size_t t = 0;

			for (size_t k = 0; k < msg->msg_iovlen; k++)
				t += msg->msg_iov[k].iov_len;
			return (ssize_t)t;
		}
		r = SHIM_REAL(sendmsg)(fd, msg, flags);
		if (r >= 0 && action == FR_ACT_DUPLICATE) {
			int saved = errno;

			(void)SHIM_REAL(sendmsg)(fd, msg, flags);
			errno = saved;
		}
		return r;
	}
	if ((s = dg_find(fd)))
		return dg_turn(s, fd, msg, flags);
	if (action == FR_ACT_REORDER && c)
		return dg_hold(fd, msg, flags, c);
	if (action == FR_ACT_DROP) {
		struct msghdr none = { 0 };

		/* consumed and discarded: a zero-length read of a datagram drops it (udp(7)) */
		r = SHIM_REAL(recvmsg)(fd, &none, flags & ~(MSG_PEEK | MSG_TRUNC));
		if (r < 0)
			return r;
	}
	return SHIM_REAL(recvmsg)(fd, msg, flags);
}

/*
 * A datagram fault's call (SHIM_DGRAM), made as sendmsg/recvmsg would
 * make it: the buffer and address of each buffer-shaped call in a msghdr.
 */
ssize_t shim_dgram_buf(struct shim_verdict *v, int fd, const void *buf, size_t n, int flags,
		       const struct sockaddr *to, socklen_t tolen, struct sockaddr *from,
		       socklen_t *fromlen)
{
	struct iovec io = { (void *)buf, n };
	struct msghdr m = { .msg_iov = &io, .msg_iovlen = 1 };
	ssize_t r;

	m.msg_name = to ? (void *)to : from;
	m.msg_namelen = to ? tolen : from && fromlen ? *fromlen : 0;
	if (!m.msg_namelen)
		m.msg_name = NULL;
	r = shim_dgram_msg(fd, &m, flags, v);
	if (r >= 0 && from && fromlen)
		*fromlen = m.msg_namelen;
	return r;
}
ssize_t shim_dgram_io(int fd, const struct iovec *iov, int cnt, struct shim_verdict *v)
{
	struct msghdr m = { .msg_iov = (struct iovec *)iov,
			    .msg_iovlen = cnt > 0 ? (size_t)cnt : 0 };

	return shim_dgram_msg(fd, &m, 0, v);
}
