/*
 * Calls answered later. A notification need not be answered at once
 * (seccomp_unotify(2)): the thread that made the call waits, the others,
 * and every other process, go on, and faultrun keeps answering their
 * calls. A delay= or a stall keeps its notification's id in a small list;
 * the serve loop's poll wakes for the next deadline (and every
 * SEC_HOLD_TICK_MS while something is held, to see a disarm), and
 * sec_hold_release answers what is due with SECCOMP_USER_NOTIF_FLAG_CONTINUE,
 * so the kernel then makes the call for real, or with EAGAIN when the
 * socket's own SO_RCVTIMEO/SO_SNDTIMEO ran out first (socket(7): a receive
 * or send timeout gives EAGAIN or EWOULDBLOCK, accept(2) EAGAIN).
 *
 * A held thread that is killed meanwhile makes its SEND fail (ENOENT):
 * its entry just goes.
 */
#define _GNU_SOURCE
#include "sec_hold.h"
#include "sec_io.h"
#include "sec_wake.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

/*
 * How often a held call looks whether its rule was disarmed. The block's
 * futex word (`generation`) cannot be polled together with the listener;
 * a wake thread (as the shim's faultshim-wake) would make it immediate.
 */
#define SEC_HOLD_TICK_MS 10

struct sec_held {
	uint64_t id;
	uint64_t until;	  /* DELAY: its end; STALL: the window's end (0: none) */
	uint64_t timeout; /* STALL, CUT: EAGAIN at (the socket's timeout; 0: none) */
	uint64_t tag;	  /* the rule's arming */
	uint64_t ino;	  /* STALL: the socket (for the wake after an EAGAIN) */
	uint64_t allow;	  /* CUT (and a DELAY cut when due): the bytes it moves */
	int tgid, tid, fd;
	unsigned rule;
	enum sec_what what;
	bool send;		  /* a send: its SO_SNDTIMEO, not SO_RCVTIMEO */
	struct seccomp_data data; /* CUT: the call, made again when the socket is ready */
};

/* The MSG_DONTWAIT a socket call passes, or 0 (read, write, accept take none). */
static bool dontwait(const struct seccomp_data *d)
{
	switch (d->nr) {
	case SYS_recvfrom:
	case SYS_sendto:
	case SYS_recvmmsg:
	case SYS_sendmmsg:
		return d->args[3] & MSG_DONTWAIT;
	case SYS_recvmsg:
	case SYS_sendmsg:
		return d->args[2] & MSG_DONTWAIT;
	default:
		return false;
	}
}

int sec_hold(struct fr_sec *s, uint64_t id, const struct seccomp_data *d,
	     const struct sec_verdict *v)
{
	struct sec_held *n;
	struct sec_held h = { .id = id,
			      .until = v->ns,
			      .tag = v->tag,
			      .ino = v->sock_ino,
			      .allow = v->allow,
			      .tgid = v->tgid,
			      .tid = v->tid,
			      .fd = v->fd,
			      .rule = v->rule,
			      .what = v->what,
			      .send = v->op == FR_OP_SEND,
			      .data = *d };
	uint64_t now = fr_now_ns();

	if (v->what == SEC_DELAY) {
		h.until = now + v->ns;
	} else if (v->what == SEC_CUT) {
		uint64_t to = 0;
		bool nonblock = false;

		/* a cut that found the socket empty (or full): a non-blocking call finds that too */
		if (v->fd < 0 ||
		    sec_sock_hold_facts(v->tgid, v->fd, v->op == FR_OP_SEND, &to, &nonblock) < 0 ||
		    nonblock || dontwait(d))
			return -EAGAIN;
		h.until = 0;
		h.timeout = to ? now + to : 0;
	} else {
		uint64_t to = 0;
		bool nonblock = false;

		if (v->fd >= 0)
			sec_sock_hold_facts(v->tgid, v->fd, v->op == FR_OP_SEND, &to, &nonblock);
		/* a non-blocking call would not wait: it finds nothing, now (recv(2)) */
		if (nonblock || dontwait(d)) {
			/* an edge-triggered waiter is woken when the stall ends (sec_wake.c) */
			sec_wake_note(s, v->tgid, v->fd, v->sock_ino, v->rule, v->tag, v->ns);
			return EAGAIN;
		}
		h.timeout = to ? now + to : 0;
	}
	n = sec_grow(s->held, s->nheld, &s->capheld, 16, sizeof(*n));
	if (!n)
		return -ENOMEM;
	s->held = n;
	s->held[s->nheld++] = h;
	return 0;
}

/* Answer one held call: CONTINUE (err 0), fail it with err, or (err < 0) the value val. */
static void answer(struct fr_sec *s, uint64_t id, int err, int64_t val)
{
	struct seccomp_notif_resp *resp = calloc(1, s->respsz);

	if (!resp)
		return;
	resp->id = id;
	if (err > 0)
		resp->error = -err;
	else if (err < 0)
		resp->val = val;
	else
		resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	/* ENOENT: the thread was killed meanwhile; nothing waits any more */
	ioctl(s->listener, SECCOMP_IOCTL_NOTIF_SEND, resp);
	free(resp);
}

/* Whether h is due now: 0 not yet, else 1 (CONTINUE) or -EAGAIN. */
static int due(struct fr_ctl *c, const struct sec_held *h, uint64_t now)
{
	if (!sec_rule_live(c, h->rule, h->tag))
		return 1; /* disarmed, armed again, or everything off: the call goes on */
	if (h->until && now >= h->until)
		return 1;
	if ((h->what == SEC_STALL || h->what == SEC_CUT) && h->timeout && now >= h->timeout)
		return -EAGAIN;
	return 0;
}

/*
 * A cut call the socket had nothing (or no room) for, or a delay= slice=
 * whose wait is over: make it cut now. true when it was answered (the
 * count, or the error the call got); false while the socket is still
 * empty, then h waits on as a cut (the socket's timeout from now).
 */
static bool cut_now(struct fr_sec *s, struct sec_held *h, uint64_t now)
{
	int64_t n = sec_io_cut(h->tgid, h->tid, &h->data, h->allow);

	if (n == -EAGAIN) {
		if (h->what != SEC_CUT) {
			uint64_t to = 0;
			bool nonblock = false;

			if (sec_sock_hold_facts(h->tgid, h->fd, h->send, &to, &nonblock) < 0 ||
			    nonblock || dontwait(&h->data)) {
				answer(s, h->id, EAGAIN, 0); /* as the kernel would */
				return true;
			}
			h->what = SEC_CUT;
			h->until = 0;
			h->timeout = to ? now + to : 0;
		}
		return false;
	}
	if (n < 0)
		answer(s, h->id, 0, 0); /* faultrun could not: the kernel makes the call */
	else
		answer(s, h->id, -1, n);
	return true;
}

/* ms until t, rounded up, at least 1. */
static int ms_until(uint64_t t, uint64_t now)
{
	uint64_t ms = t > now ? (t - now + 999999) / 1000000 : 1;

	return ms > SEC_HOLD_TICK_MS ? SEC_HOLD_TICK_MS : ms < 1 ? 1 : (int)ms;
}

int sec_hold_release(struct fr_sec *s, struct fr_ctl *c)
{
	uint64_t now = fr_now_ns();
	int wait = -1;
	size_t k = 0;

	for (size_t i = 0; i < s->nheld; i++) {
		struct sec_held *h = &s->held[i];
		int r = due(c, h, now);

		/* a cut once its wait is over (delay= slice=), or once the socket is ready */
		if ((r == 1 && h->what == SEC_DELAY && h->allow &&
		     sec_rule_live(c, h->rule, h->tag)) ||
		    (r == 0 && h->what == SEC_CUT)) {
			if (cut_now(s, h, now))
				continue;
			r = 0;
		}
		if (r) {
			answer(s, h->id, r < 0 ? -r : 0, 0);
			if (r < 0 && h->what == SEC_STALL)
				sec_wake_note(s, h->tgid, h->fd, h->ino, h->rule, h->tag, h->until);
			continue;
		}
		s->held[k++] = *h;
		int w = SEC_HOLD_TICK_MS;
		if (h->until)
			w = ms_until(h->until, now);
		if ((h->what == SEC_STALL || h->what == SEC_CUT) && h->timeout &&
		    ms_until(h->timeout, now) < w)
			w = ms_until(h->timeout, now);
		if (wait < 0 || w < wait)
			wait = w;
	}
	s->nheld = k;
	/* the sockets whose stall answered EAGAIN: woken when it is over */
	int w = sec_wake_due(s, c);
	if (w >= 0 && (wait < 0 || w < wait))
		wait = w;
	return wait;
}

void sec_hold_clear(struct fr_sec *s)
{
	free(s->held);
	s->held = NULL;
	s->nheld = s->capheld = 0;
	sec_wake_clear(s);
}
