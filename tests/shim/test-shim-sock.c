/*
 * Socket entry points, one case each, generated from harness/shim/
 * wrapped.def (an entry point without a case does not compile), and the
 * socket actions and selectors: errno, reset, refuse, host= (IPv4, IPv6,
 * v4-mapped), port=, unix=, lport=, proc=, after=, times=, probability=,
 * peers recorded at connect/accept and resolved lazily.
 *
 * Each case makes its call on a fresh loopback connection to port P and
 * checks the real effect; it runs three times: rule for P published but
 * disarmed (the real behaviour, errno untouched), rule armed (the entry's
 * first errno from wrapped.def; for the poll family: no readiness), and a
 * rule for another port armed (the real behaviour again).
 */
#define _GNU_SOURCE
#include "test-shim-sock.h"

#include <poll.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "glibc_private.h"

/* The listeners: P is what rules select, Q is "another port". */
static int lp, lq, P, Q;

/* One run of a case: a fresh connection c -> P, s its server side. */
struct fx {
	int c, s;
};

#define WRONG(...)                                                         \
	(fprintf(stderr, "  wrong: " __VA_ARGS__), fputc('\n', stderr), -2)

/* ---- the cases: each returns >= 0 (real effect checked), -1 + errno ---- */

#define CASE(name) static int case_##name(struct fx *f)

/* connect to P on a new socket; success must be a real connection */
static int connect_case(struct fx *f)
{
	struct sockaddr_in a = sk_addr(P);
	int fd = socket(AF_INET, SOCK_STREAM, 0), r, s;

	(void)f;
	r = connect(fd, (void *)&a, sizeof(a));
	if (r < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	s = accept(lp, NULL, NULL);
	if (s < 0)
		return WRONG("connect said 0 but nothing to accept");
	close(s);
	close(fd);
	return 0;
}
CASE(connect) { return connect_case(f); }

/* accept a queued connection; on failure it must stay queued */
static int accept_case(struct fx *f, bool four)
{
	int c = sk_connect(P), s, e;

	(void)f;
	s = four ? accept4(lp, NULL, NULL, SOCK_CLOEXEC) :
		   accept(lp, NULL, NULL);
	e = errno;
	if (s < 0) {
		/* the kernel's EMFILE leaves the connection in the queue */
		int again;

		st_quiet_begin();
		again = accept(lp, NULL, NULL);
		st_quiet_end();

		if (again < 0)
			return WRONG("a failed accept lost the connection");
		close(again);
		close(c);
		errno = e;
		return -1;
	}
	if (write(c, "a", 1) != 1 || read(s, &e, 1) != 1)
		return WRONG("accepted socket does not work");
	close(s);
	close(c);
	return 0;
}
CASE(accept) { return accept_case(f, false); }
CASE(accept4) { return accept_case(f, true); }

/* a send must deliver "hello" to the peer */
static int sent(struct fx *f, ssize_t r)
{
	char buf[16];

	if (r < 0)
		return -1;
	if (r != 5 || recv(f->s, buf, sizeof(buf), 0) != 5 ||
	    memcmp(buf, "hello", 5))
		return WRONG("send moved %zd bytes", r);
	return 0;
}
CASE(send) { return sent(f, send(f->c, "hello", 5, 0)); }
CASE(sendto) { return sent(f, sendto(f->c, "hello", 5, 0, NULL, 0)); }
CASE(sendmsg)
{
	struct iovec iov = { "hello", 5 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

	return sent(f, sendmsg(f->c, &m, 0));
}
CASE(sendmmsg)
{
	struct iovec iov = { "hello", 5 };
	struct mmsghdr m = { .msg_hdr = { .msg_iov = &iov, .msg_iovlen = 1 } };
	int r = sendmmsg(f->c, &m, 1, 0);

	if (r < 0)
		return -1;
	return r == 1 ? sent(f, (ssize_t)m.msg_len) : WRONG("sendmmsg %d", r);
}

/* the server sent "hello": a recv must return it; a failure keeps it */
static int got(struct fx *f, ssize_t r, const char *buf)
{
	char rest[16];

	if (r < 0) {
		int e = errno;
		ssize_t n;

		st_quiet_begin();
		n = recv(f->c, rest, sizeof(rest), MSG_DONTWAIT);
		st_quiet_end();
		if (n != 5)
			return WRONG("a failed recv consumed the data");
		errno = e;
		return -1;
	}
	if (r != 5 || memcmp(buf, "hello", 5))
		return WRONG("recv got %zd bytes", r);
	return 0;
}
#define RECV_CASE(name, call)                                              \
	CASE(name)                                                         \
	{                                                                  \
		char buf[16];                                              \
		if (send(f->s, "hello", 5, 0) != 5)                        \
			return WRONG("fixture send");                      \
		sk_sleep_ms(2);                                            \
		return got(f, call, buf);                                  \
	}
RECV_CASE(recv, recv(f->c, buf, sizeof(buf), 0))
RECV_CASE(__recv_chk, __recv_chk(f->c, buf, sizeof(buf), sizeof(buf), 0))
RECV_CASE(recvfrom, recvfrom(f->c, buf, sizeof(buf), 0, NULL, NULL))
RECV_CASE(__recvfrom_chk,
	  __recvfrom_chk(f->c, buf, sizeof(buf), sizeof(buf), 0, NULL, NULL))
static ssize_t do_recvmsg(int fd, char *buf, size_t len)
{
	struct iovec iov = { buf, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

	return recvmsg(fd, &m, 0);
}
RECV_CASE(recvmsg, do_recvmsg(f->c, buf, sizeof(buf)))
static ssize_t do_recvmmsg(int fd, char *buf, size_t len)
{
	struct iovec iov = { buf, len };
	struct mmsghdr m = { .msg_hdr = { .msg_iov = &iov, .msg_iovlen = 1 } };
	int r = recvmmsg(fd, &m, 1, MSG_WAITFORONE, NULL);

	return r == 1 ? (ssize_t)m.msg_len : r;
}
RECV_CASE(recvmmsg, do_recvmmsg(f->c, buf, sizeof(buf)))

/* new sockets obey nothing (no peer); a stale entry must not stick */
CASE(socket)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0), r;
	char b;

	if (fd < 0)
		return -1;
	close(fd);
	/* the same number again, now a pipe end: a pathless rule's business */
	r = send(f->c, "x", 1, MSG_DONTWAIT) == 1 && recv(f->s, &b, 1, 0) == 1;
	return r ? 0 : -1;
}
/* a socket that listens takes connections, and a poll sees them queued */
CASE(listen)
{
	struct sockaddr_in a = sk_addr(0);
	socklen_t al = sizeof(a);
	struct pollfd p;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), c, s;

	(void)f;
	if (fd < 0 || bind(fd, (void *)&a, sizeof(a)) < 0 ||
	    getsockname(fd, (void *)&a, &al) < 0)
		return WRONG("fixture socket");
	if (listen(fd, 4) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	c = sk_connect(ntohs(a.sin_port));
	p = (struct pollfd){ fd, POLLIN, 0 };
	if (poll(&p, 1, 1000) != 1 || !(p.revents & POLLIN))
		return WRONG("a queued connection is not readable");
	s = accept(fd, NULL, NULL);
	if (s < 0)
		return WRONG("listen said 0 but nothing to accept");
	close(s);
	close(c);
	close(fd);
	return 0;
}
CASE(socketpair)
{
	int sv[2];
	char b;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return -1;
	if (send(sv[0], "x", 1, 0) != 1 || recv(sv[1], &b, 1, 0) != 1)
		return WRONG("a socketpair matched a port rule");
	close(sv[0]);
	close(sv[1]);
	return 0;
}

/*
 * The poll family: the server sent data; the call is asked about c's
 * readability with a 50 ms timeout. Returns 1 (readable), or -1 with
 * errno = ETIMEDOUT when no readiness came (what a stall must give).
 */
static int ready(int n)
{
	if (n < 0)
		return WRONG("poll-family call failed: %s", strerror(errno));
	if (n == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	return 1;
}
#define POLL_CASE(name, expr)                                              \
	CASE(name)                                                         \
	{                                                                  \
		struct pollfd p = { f->c, POLLIN, 0 };                     \
		struct timespec ts = { 0, 50 * 1000 * 1000 };              \
		fd_set rd;                                                 \
		struct timeval tv = { 0, 50 * 1000 };                      \
		(void)p;                                                   \
		(void)ts;                                                  \
		(void)rd;                                                  \
		(void)tv;                                                  \
		if (send(f->s, "hello", 5, 0) != 5)                        \
			return WRONG("fixture send");                      \
		sk_sleep_ms(2);                                            \
		return ready(expr);                                        \
	}
POLL_CASE(poll, poll(&p, 1, 50))
POLL_CASE(__poll_chk, __poll_chk(&p, 1, 50, sizeof(p)))
POLL_CASE(ppoll, ppoll(&p, 1, &ts, NULL))
POLL_CASE(__ppoll_chk, __ppoll_chk(&p, 1, &ts, NULL, sizeof(p)))
static int do_select(int fd, bool ps)
{
	struct timeval tv = { 0, 50 * 1000 };
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	fd_set rd;
	int n;

	FD_ZERO(&rd);
	FD_SET(fd, &rd);
	n = ps ? pselect(fd + 1, &rd, NULL, NULL, &ts, NULL) :
		 select(fd + 1, &rd, NULL, NULL, &tv);
	if (n > 0 && !FD_ISSET(fd, &rd))
		return -100;
	return n;
}
POLL_CASE(select, do_select(f->c, false))
POLL_CASE(pselect, do_select(f->c, true))
static int do_epoll(int fd, int how)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 77 }, out[2];
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	int ep = epoll_create1(EPOLL_CLOEXEC), n;

	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	n = how == 0 ? epoll_wait(ep, out, 2, 50) :
	    how == 1 ? epoll_pwait(ep, out, 2, 50, NULL) :
		       epoll_pwait2(ep, out, 2, &ts, NULL);
	if (n > 0 && out[0].data.u64 != 77)
		n = -100;
	close(ep);
	return n;
}
POLL_CASE(epoll_ctl, do_epoll(f->c, 0)) /* added while the rule is armed */
POLL_CASE(epoll_wait, do_epoll(f->c, 0))
POLL_CASE(epoll_pwait, do_epoll(f->c, 1))
POLL_CASE(epoll_pwait2, do_epoll(f->c, 2))

/* ---- the generated table -------------------------------------------------- */

enum kind { K_NONE, K_CONNECT, K_ACCEPT, K_SEND, K_RECV, K_POLL };
#define KIND_NONE K_NONE
#define KIND_CONNECT K_CONNECT
#define KIND_ACCEPT K_ACCEPT
#define KIND_SEND K_SEND
#define KIND_RECV K_RECV

struct sock_case {
	const char *name;
	enum kind kind;
	const char *errnos;
	int (*fn)(struct fx *f);
};

#define WRAP(name, ret, params, args, op, shape, fail, errnos)
#define WRAP_SOCK(name, ret, params, args, op, shape, fail, errnos)        \
	{ #name, KIND_##op, errnos, case_##name },
#define WRAP_POLL(name, ret, params, args, op, shape, fail, errnos)        \
	{ #name, K_POLL, "ETIMEDOUT", case_##name },
static const struct sock_case cases[] = {
#include "wrapped.def"
};
#undef WRAP

static int first_errno(const char *list)
{
	char name[32];
	size_t n = strcspn(list, " ");

	if (!n || n >= sizeof(name))
		return 0;
	memcpy(name, list, n);
	name[n] = '\0';
	return fr_errno_from_name(name);
}

/* The rule for a case: errno (or stall for the poll family) on `port`. */
static int case_rule(const struct sock_case *k, int port)
{
	static const char *const ops[] = { "recv", "connect", "accept",
					   "send", "recv", "recv" };

	if (k->kind == K_POLL)
		return sk_rule("recv stall port=%d", port);
	if (k->kind == K_ACCEPT)
		return sk_rule("accept errno=%s lport=%d",
			       fr_errno_name(first_errno(k->errnos)), port);
	if (k->kind == K_NONE)
		return sk_rule("recv errno=ECONNRESET port=%d", port);
	return sk_rule("%s errno=%s port=%d", ops[k->kind],
		       fr_errno_name(first_errno(k->errnos)), port);
}

/* One run on a fresh connection, with slot `arm` armed for the call only. */
static int run_once(const struct sock_case *k, int arm)
{
	struct fx f;
	int r, e;

	sk_pair(lp, P, &f.c, &f.s);
	if (arm >= 0)
		st_arm(arm);
	errno = 4242;
	r = k->fn(&f);
	e = errno;
	if (arm >= 0)
		st_disarm(arm);
	close(f.c);
	close(f.s);
	errno = e;
	return r;
}

static void check_case(const struct sock_case *k)
{
	int mine = case_rule(k, P), other = case_rule(k, Q), r, want;

	want = k->kind == K_POLL ? ETIMEDOUT : first_errno(k->errnos);
	st_disarm_all();
	/* 1. published, not armed: the real thing, errno untouched */
	r = run_once(k, -1);
	if (r == -1)
		fail_msg("%s: disarmed: failed with %s", k->name,
			 strerrorname_np(errno));
	assert_true(r >= 0);
	if (k->kind != K_POLL)
		assert_int_equal(errno, 4242);
	/* 2. armed for P: the errno (the poll family: nothing ready) */
	r = run_once(k, mine);
	if (k->kind == K_NONE) {
		assert_true(r >= 0);
	} else {
		if (r != -1)
			fail_msg("%s: armed: returned %d, wanted %s", k->name,
				 r, strerrorname_np(want));
		assert_int_equal(errno, want);
		assert_true(st_injected(mine) >= 1);
	}
	/* 3. armed for another port: the real thing */
	r = run_once(k, other);
	if (r < 0)
		fail_msg("%s: rule for another port: failed with %s", k->name,
			 strerrorname_np(errno));
	if (k->kind != K_POLL)
		assert_int_equal(errno, 4242);
	assert_int_equal(st_injected(other), 0);
}

static void test_entry_points(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("  %s\n", cases[i].name);
		check_case(&cases[i]);
	}
}

/* ---- actions ------------------------------------------------------------- */

/* reset: ECONNRESET now, the connection really gone on both sides */
static void test_reset_recv(void **state)
{
	int slot = sk_rule("recv reset port=%d", P), c, s;
	char buf[8];

	(void)state;
	sk_pair(lp, P, &c, &s);
	assert_int_equal(send(s, "hi", 2, 0), 2);
	st_arm(slot);
	assert_int_equal(recv(c, buf, sizeof(buf), 0), -1);
	assert_int_equal(errno, ECONNRESET);
	st_disarm(slot);
	/* as after a real RST: end of file, then EPIPE on writes */
	assert_int_equal(recv(c, buf, sizeof(buf), 0), 0);
	assert_int_equal(send(c, "x", 1, MSG_NOSIGNAL), -1);
	assert_int_equal(errno, EPIPE);
	/* the peer was reset too */
	assert_int_equal(recv(s, buf, sizeof(buf), 0), -1);
	assert_int_equal(errno, ECONNRESET);
	close(c);
	close(s);
}

/* write() on a socket is a send: the reset reaches it too */
static void test_reset_write(void **state)
{
	int slot = sk_rule("send reset port=%d", P), c, s;
	char buf[8];

	(void)state;
	sk_pair(lp, P, &c, &s);
	st_arm(slot);
	assert_int_equal(write(c, "x", 1), -1);
	assert_int_equal(errno, ECONNRESET);
	st_disarm(slot);
	assert_int_equal(recv(s, buf, sizeof(buf), 0), -1);
	assert_int_equal(errno, ECONNRESET);
	close(c);
	close(s);
}

/* refuse: ECONNREFUSED, and nothing reached the listener */
static void test_refuse(void **state)
{
	int slot = sk_rule("connect refuse port=%d", P), fd, s;
	struct sockaddr_in a = sk_addr(P);

	(void)state;
	st_arm(slot);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (void *)&a, sizeof(a)), -1);
	assert_int_equal(errno, ECONNREFUSED);
	close(fd);
	sk_nonblock(lp, true);
	s = accept(lp, NULL, NULL);
	sk_nonblock(lp, false);
	assert_int_equal(s, -1);
	st_disarm(slot);
	/* a non-blocking connect is refused at once, too */
	st_arm(slot);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_int_equal(connect(fd, (void *)&a, sizeof(a)), -1);
	assert_int_equal(errno, ECONNREFUSED);
	close(fd);
	st_disarm(slot);
	assert_int_equal(st_injected(slot), 2);
}

/* errno= on read() of a socket: the recv rule decides it */
static void test_errno_read(void **state)
{
	int slot = sk_rule("recv errno=ETIMEDOUT port=%d", P), c, s;
	char buf[8];

	(void)state;
	sk_pair(lp, P, &c, &s);
	assert_int_equal(send(s, "hi", 2, 0), 2);
	st_arm(slot);
	assert_int_equal(read(c, buf, sizeof(buf)), -1);
	assert_int_equal(errno, ETIMEDOUT);
	st_disarm(slot);
	assert_int_equal(read(c, buf, sizeof(buf)), 2);
	close(c);
	close(s);
}

/* short on send: half the bytes go */
static void test_short_send(void **state)
{
	int slot = sk_rule("send short port=%d", P), c, s;
	char buf[16];

	(void)state;
	sk_pair(lp, P, &c, &s);
	st_arm(slot);
	assert_int_equal(send(c, "0123456789", 10, 0), 5);
	st_disarm(slot);
	assert_int_equal(recv(s, buf, sizeof(buf), 0), 5);
	close(c);
	close(s);
}

/* ---- selectors ------------------------------------------------------------ */

static void test_host_v4_and_v6(void **state)
{
	int v4 = sk_rule("recv errno=EHOSTUNREACH host=127.0.0.1");
	int v6 = sk_rule("recv errno=ENETUNREACH host=::1");
	int l6, p6, c, s;
	char buf[8];

	(void)state;
	st_arm(v4);
	st_arm(v6);
	sk_pair(lp, P, &c, &s);
	send(s, "x", 1, 0);
	assert_int_equal(recv(c, buf, 1, 0), -1);
	assert_int_equal(errno, EHOSTUNREACH);
	close(c);
	close(s);
	l6 = sk_listen(true, &p6);
	if (l6 >= 0) {
		struct sockaddr_in6 a = { .sin6_family = AF_INET6,
					  .sin6_port = htons((uint16_t)p6),
					  .sin6_addr = IN6ADDR_LOOPBACK_INIT };

		c = socket(AF_INET6, SOCK_STREAM, 0);
		assert_int_equal(connect(c, (void *)&a, sizeof(a)), 0);
		s = accept(l6, NULL, NULL);
		send(s, "x", 1, 0);
		assert_int_equal(recv(c, buf, 1, 0), -1);
		assert_int_equal(errno, ENETUNREACH);
		close(c);
		close(s);
		close(l6);
	} else {
		print_message("  (no IPv6 loopback: ::1 part skipped)\n");
	}
	st_disarm(v4);
	st_disarm(v6);
}

/* an IPv6 socket talking to ::ffff:127.0.0.1 is host=127.0.0.1 */
static void test_host_v4_mapped(void **state)
{
	int slot = sk_rule("recv errno=EHOSTUNREACH host=127.0.0.1 port=%d", P);
	struct sockaddr_in6 a = { .sin6_family = AF_INET6,
				  .sin6_port = htons((uint16_t)P) };
	int c, s;
	char buf[8];

	(void)state;
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &a.sin6_addr);
	st_arm(slot);
	c = socket(AF_INET6, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (void *)&a, sizeof(a)) < 0) {
		print_message("  (no dual-stack sockets: skipped)\n");
		st_disarm(slot);
		if (c >= 0)
			close(c);
		return;
	}
	s = accept(lp, NULL, NULL);
	send(s, "x", 1, 0);
	assert_int_equal(recv(c, buf, 1, 0), -1);
	assert_int_equal(errno, EHOSTUNREACH);
	st_disarm(slot);
	close(c);
	close(s);
}

/* unix=GLOB: the client side (peer path) and the accepted side (own path) */
static void test_unix_glob(void **state)
{
	int slot = st_rule("recv errno=ECONNRESET unix=%D/sock/*.sock");
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int l, c, s, c2, s2;
	char buf[8];

	(void)state;
	st_mkdir("sock");
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", st_path("sock/db.sock"));
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(l, (void *)&a, sizeof(a)), 0);
	assert_int_equal(listen(l, 8), 0);
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(connect(c, (void *)&a, sizeof(a)), 0);
	s = accept(l, NULL, NULL);
	st_arm(slot);
	send(s, "x", 1, 0);
	send(c, "y", 1, 0);
	assert_int_equal(recv(c, buf, 1, 0), -1);
	assert_int_equal(errno, ECONNRESET);
	assert_int_equal(recv(s, buf, 1, 0), -1); /* the server's end too */
	/* a socket elsewhere does not match */
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", st_path("other.sock"));
	close(l);
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(l, (void *)&a, sizeof(a)), 0);
	listen(l, 8);
	c2 = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(connect(c2, (void *)&a, sizeof(a)), 0);
	s2 = accept(l, NULL, NULL);
	send(s2, "x", 1, 0);
	assert_int_equal(recv(c2, buf, 1, 0), 1);
	st_disarm(slot);
	close(c);
	close(s);
	close(c2);
	close(s2);
	close(l);
}

/* lport=: the server's accepted sockets on that port, not its clients */
static void test_lport(void **state)
{
	int slot = sk_rule("recv errno=ECONNRESET lport=%d", P), c, s;
	char buf[8];

	(void)state;
	st_arm(slot);
	sk_pair(lp, P, &c, &s);
	send(c, "x", 1, 0);
	send(s, "y", 1, 0);
	assert_int_equal(recv(s, buf, 1, 0), -1); /* accepted on P */
	assert_int_equal(errno, ECONNRESET);
	assert_int_equal(recv(c, buf, 1, 0), 1); /* the client's port is not P */
	st_disarm(slot);
	close(c);
	close(s);
}

/* a connection made before any rule existed is resolved lazily */
static void test_peer_resolved_lazily(void **state)
{
	int c, s, slot;
	char buf[8];

	(void)state;
	st_disarm_all();
	sk_pair(lp, P, &c, &s); /* nothing armed: peer not recorded */
	slot = sk_rule("recv errno=ETIMEDOUT port=%d proc=test-shim-sock", P);
	st_arm(slot);
	send(s, "x", 1, 0);
	assert_int_equal(recv(c, buf, 1, 0), -1);
	assert_int_equal(errno, ETIMEDOUT);
	st_disarm(slot);
	close(c);
	close(s);
}

static void test_proc_after_times(void **state)
{
	int other = sk_rule("recv errno=ETIMEDOUT port=%d proc=nosuchprog", P);
	int counted = sk_rule("send errno=EPIPE port=%d after=2 times=1", P);
	int c, s;
	char buf[8];

	(void)state;
	sk_pair(lp, P, &c, &s);
	st_arm(other);
	send(s, "x", 1, 0);
	assert_int_equal(recv(c, buf, 1, 0), 1);
	st_disarm(other);
	st_arm(counted);
	assert_int_equal(send(c, "a", 1, 0), 1);
	assert_int_equal(send(c, "b", 1, 0), 1);
	assert_int_equal(send(c, "c", 1, 0), -1);
	assert_int_equal(errno, EPIPE);
	assert_int_equal(send(c, "d", 1, 0), 1);
	assert_int_equal(st_injected(counted), 1);
	st_disarm(counted);
	close(c);
	close(s);
}

static void test_probability(void **state)
{
	int slot = sk_rule("send errno=ENOBUFS port=%d probability=0.5", P);
	int c, s, failed = 0;

	(void)state;
	sk_pair(lp, P, &c, &s);
	st_arm(slot);
	for (int i = 0; i < 200; i++)
		failed += send(c, "x", 1, 0) < 0;
	st_disarm(slot);
	/* seeded: reproducible, and neither none nor all */
	assert_true(failed > 50 && failed < 150);
	assert_int_equal((uint64_t)failed, st_injected(slot));
	close(c);
	close(s);
}

/* the event ring names the peer */
static void test_event_names_peer(void **state)
{
	int slot = sk_rule("connect errno=ETIMEDOUT port=%d", Q);
	struct sockaddr_in a = sk_addr(Q);
	char want[64];
	uint64_t head;
	int fd;

	(void)state;
	st_arm(slot);
	head = atomic_load(&st_ctl->event_head);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (void *)&a, sizeof(a)), -1);
	close(fd);
	st_disarm(slot);
	assert_int_equal(atomic_load(&st_ctl->event_head), head + 1);
	snprintf(want, sizeof(want), "127.0.0.1:%d", Q);
	assert_string_equal(st_ctl->events[head % FR_CTL_EVENTS].where, want);
	assert_int_equal(st_ctl->events[head % FR_CTL_EVENTS].err, ETIMEDOUT);
}

static int setup(void **state)
{
	(void)state;
	st_disarm_all();
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_entry_points, setup),
		cmocka_unit_test_setup(test_reset_recv, setup),
		cmocka_unit_test_setup(test_reset_write, setup),
		cmocka_unit_test_setup(test_refuse, setup),
		cmocka_unit_test_setup(test_errno_read, setup),
		cmocka_unit_test_setup(test_short_send, setup),
		cmocka_unit_test_setup(test_host_v4_and_v6, setup),
		cmocka_unit_test_setup(test_host_v4_mapped, setup),
		cmocka_unit_test_setup(test_unix_glob, setup),
		cmocka_unit_test_setup(test_lport, setup),
		cmocka_unit_test_setup(test_peer_resolved_lazily, setup),
		cmocka_unit_test_setup(test_proc_after_times, setup),
		cmocka_unit_test_setup(test_probability, setup),
		cmocka_unit_test_setup(test_event_names_peer, setup),
	};

	st_init(argc, argv);
	lp = sk_listen(false, &P);
	lq = sk_listen(false, &Q);
	if (lp < 0 || lq < 0)
		sk_die("listen");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
