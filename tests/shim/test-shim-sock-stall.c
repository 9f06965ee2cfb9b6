/*
 * stall and delay on sockets, as blocking programs, non-blocking ones and
 * event loops see them: blocking calls wait until the rule is disarmed
 * (and are released at once), or until the socket's own SO_RCVTIMEO/
 * SO_SNDTIMEO (EAGAIN); O_NONBLOCK and MSG_DONTWAIT get EAGAIN;
 * poll/ppoll/select/epoll report nothing for the stalled direction, still
 * return at their timeout and wake when the rule is disarmed; other fds
 * keep working; the data is never lost; a stall is cancellable, signals
 * interrupt it as they would a real recv(), it is counted once per socket,
 * a stalled process burns no CPU, and a forked child is woken too.
 *
 * Times are checked with wide margins (the machine is shared): a lower
 * bound where a call must have waited, and an upper bound only to tell
 * "released" from "stuck until the test's own timeout".
 */
#define _GNU_SOURCE
#include "test-shim-sock.h"

#include <dlfcn.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <cmocka.h>

static int lp, P;

/* How long after a disarm the released call returned, summed for a report. */
static double release_max;

static void note_release(const struct sk_later *l, double returned)
{
	double d = returned - l->at;

	if (d > release_max)
		release_max = d;
	assert_true(l->at > 0);
	/* released by the disarm, not by anything else */
	assert_true(d >= 0);
	assert_true(d < 1.0);
}

static int stall_recv(void)
{
	return sk_rule("recv stall port=%d", P);
}

/* ---- blocking ------------------------------------------------------------- */

static void test_blocking_recv_until_disarm(void **state)
{
	int slot = stall_recv(), c, s;
	uint64_t before = st_injected(slot);
	struct sk_later l;
	char buf[16];
	double t0;

	(void)state;
	sk_pair(lp, P, &c, &s);
	assert_int_equal(send(s, "hello", 5, 0), 5);
	st_arm(slot);
	sk_disarm_later(&l, slot, 300);
	t0 = sk_now();
	assert_int_equal(recv(c, buf, sizeof(buf), 0), 5); /* nothing lost */
	note_release(&l, sk_now());
	assert_true(sk_now() - t0 >= 0.29);
	assert_memory_equal(buf, "hello", 5);
	sk_join(&l);
	assert_int_equal(st_injected(slot) - before, 1);
	close(c);
	close(s);
}

/* SO_RCVTIMEO expires as the kernel's would: EAGAIN; read() alike */
static void test_so_rcvtimeo(void **state)
{
	int slot = stall_recv(), c, s;
	uint64_t before = st_injected(slot);
	char buf[16];
	double t0;

	(void)state;
	sk_pair(lp, P, &c, &s);
	send(s, "hello", 5, 0);
	sk_timeo(c, SO_RCVTIMEO, 200);
	st_arm(slot);
	t0 = sk_now();
	assert_int_equal(recv(c, buf, sizeof(buf), 0), -1);
	assert_int_equal(errno, EAGAIN);
	assert_true(sk_now() - t0 >= 0.19);
	assert_true(sk_now() - t0 < 5);
	t0 = sk_now();
	assert_int_equal(read(c, buf, sizeof(buf)), -1);
	assert_int_equal(errno, EAGAIN);
	assert_true(sk_now() - t0 >= 0.19);
	/* one socket going silent is one injection */
	assert_int_equal(st_injected(slot) - before, 1);
	st_disarm(slot);
	assert_int_equal(read(c, buf, sizeof(buf)), 5);
	close(c);
	close(s);
}

static void test_nonblocking_eagain(void **state)
{
	int slot = stall_recv(), c, s;
	uint64_t before = st_injected(slot);
	char buf[16];

	(void)state;
	sk_pair(lp, P, &c, &s);
	send(s, "hello", 5, 0);
	st_arm(slot);
	assert_int_equal(recv(c, buf, sizeof(buf), MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
	sk_nonblock(c, true);
	assert_int_equal(recv(c, buf, sizeof(buf), 0), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(read(c, buf, sizeof(buf)), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(st_injected(slot) - before, 1);
	st_disarm(slot);
	assert_int_equal(recv(c, buf, sizeof(buf), 0), 5);
	close(c);
	close(s);
}

/* the other sockets of the process are not touched by the stall */
static void *blocked_recv(void *arg)
{
	int *fd = arg;
	char buf[16];

	return (void *)(intptr_t)recv(*fd, buf, sizeof(buf), 0);
}

static void test_other_sockets_flow(void **state)
{
	int slot = stall_recv(), lq, Q, c, s, c2, s2;
	pthread_t t;
	void *ret;
	char buf[16];

	(void)state;
	lq = sk_listen(false, &Q);
	sk_pair(lp, P, &c, &s);
	sk_pair(lq, Q, &c2, &s2);
	send(s, "hello", 5, 0);
	st_arm(slot);
	pthread_create(&t, NULL, blocked_recv, &c);
	sk_sleep_ms(50);
	for (int i = 0; i < 20; i++) {
		assert_int_equal(send(s2, "ping", 4, 0), 4);
		assert_int_equal(recv(c2, buf, sizeof(buf), 0), 4);
	}
	st_disarm(slot);
	pthread_join(t, &ret);
	assert_int_equal((intptr_t)ret, 5);
	close(c);
	close(s);
	close(c2);
	close(s2);
	close(lq);
}

/* ---- poll family ---------------------------------------------------------- */

static void test_poll_timeout_then_wake(void **state)
{
	int slot = stall_recv(), c, s;
	struct pollfd p;
	struct sk_later l;
	double t0;

	(void)state;
	sk_pair(lp, P, &c, &s);
	send(s, "hello", 5, 0);
	st_arm(slot);
	p = (struct pollfd){ c, POLLIN, 0 };
	t0 = sk_now();
	assert_int_equal(poll(&p, 1, 300), 0); /* at the caller's timeout */
	assert_true(sk_now() - t0 >= 0.29);
	assert_int_equal(p.revents, 0);
	sk_disarm_later(&l, slot, 200);
	assert_int_equal(poll(&p, 1, 10000), 1); /* the disarm, not the 10 s */
	note_release(&l, sk_now());
	assert_int_equal(p.revents, POLLIN);
	sk_join(&l);
	close(c);
	close(s);
}

static void test_poll_other_fds(void **state)
{
	int slot = stall_recv(), c, s, pp[2];
	struct pollfd p[2];
	double t0;

	(void)state;
	sk_pair(lp, P, &c, &s);
	assert_int_equal(pipe(pp), 0);
	send(s, "hello", 5, 0);
	st_arm(slot);
	assert_int_equal(write(pp[1], "x", 1), 1);
	p[0] = (struct pollfd){ c, POLLIN, 0 };
	p[1] = (struct pollfd){ pp[0], POLLIN, 0 };
	t0 = sk_now();
	assert_int_equal(poll(p, 2, 5000), 1);
	assert_true(sk_now() - t0 < 2);
	assert_int_equal(p[0].revents, 0);
	assert_int_equal(p[1].revents, POLLIN);
	/* the other direction of the stalled socket is still writable */
	p[0] = (struct pollfd){ c, POLLIN | POLLOUT, 0 };
	assert_int_equal(poll(p, 1, 5000), 1);
	assert_int_equal(p[0].revents, POLLOUT);
	st_disarm(slot);
	close(pp[0]);
	close(pp[1]);
	close(c);
	close(s);
}

static void test_select_wake(void **state)
{
	int slot = stall_recv(), c, s;
	struct sk_later l;
	struct timeval tv = { 0, 200 * 1000 };
	fd_set rd;
	double t0;

	(void)state;
	sk_pair(lp, P, &c, &s);
	send(s, "hello", 5, 0);
	st_arm(slot);
	FD_ZERO(&rd);
	FD_SET(c, &rd);
	t0 = sk_now();
	assert_int_equal(select(c + 1, &rd, NULL, NULL, &tv), 0);
	assert_true(sk_now() - t0 >= 0.19);
	assert_false(FD_ISSET(c, &rd));
	FD_SET(c, &rd);
	sk_disarm_later(&l, slot, 200);
	tv = (struct timeval){ 10, 0 };
	assert_int_equal(select(c + 1, &rd, NULL, NULL, &tv), 1);
	note_release(&l, sk_now());
	assert_true(FD_ISSET(c, &rd));
	sk_join(&l);
	close(c);
	close(s);
}

/* epoll: level- and edge-triggered, the registration is given back */
static void epoll_case(uint32_t et)
{
	int slot = stall_recv(), c, s, ep;
	struct epoll_event ev = { .events = EPOLLIN | et, .data.u64 = 0xfeed },
			   out[4];
	struct sk_later l;
	double t0;

	sk_pair(lp, P, &c, &s);
	ep = epoll_create1(EPOLL_CLOEXEC);
	assert_int_equal(epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev), 0);
	st_arm(slot);
	send(s, "hello", 5, 0);
	t0 = sk_now();
	assert_int_equal(epoll_wait(ep, out, 4, 250), 0);
	assert_true(sk_now() - t0 >= 0.24);
	sk_disarm_later(&l, slot, 200);
	assert_int_equal(epoll_wait(ep, out, 4, 10000), 1);
	note_release(&l, sk_now());
	assert_int_equal(out[0].data.u64, 0xfeed);
	assert_true(out[0].events & EPOLLIN);
	sk_join(&l);
	if (et) /* an edge is reported once */
		assert_int_equal(epoll_wait(ep, out, 4, 0), 0);
	else /* level: still there, and the interest list is as it was */
		assert_int_equal(epoll_wait(ep, out, 4, 0), 1);
	close(ep);
	close(c);
	close(s);
}

static void test_epoll_level(void **state)
{
	(void)state;
	epoll_case(0);
}

static void test_epoll_edge(void **state)
{
	(void)state;
	epoll_case(EPOLLET);
}

/* a socket added to the set while the stall is on is held too */
static void test_epoll_added_during_stall(void **state)
{
	int slot = stall_recv(), c, s, ep, pp[2];
	struct epoll_event ev = { .events = EPOLLIN }, out[4];

	(void)state;
	sk_pair(lp, P, &c, &s);
	assert_int_equal(pipe(pp), 0);
	ep = epoll_create1(EPOLL_CLOEXEC);
	st_arm(slot);
	send(s, "hello", 5, 0);
	ev.data.fd = c;
	epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
	ev.data.fd = pp[0];
	epoll_ctl(ep, EPOLL_CTL_ADD, pp[0], &ev);
	assert_int_equal(epoll_wait(ep, out, 4, 100), 0);
	write(pp[1], "x", 1);
	assert_int_equal(epoll_wait(ep, out, 4, 1000), 1);
	assert_int_equal(out[0].data.fd, pp[0]);
	/* the program changes the registration itself: its change stands */
	ev.events = EPOLLIN | EPOLLOUT;
	ev.data.fd = c;
	assert_int_equal(epoll_ctl(ep, EPOLL_CTL_MOD, c, &ev), 0);
	read(pp[0], &ev, 1);
	assert_int_equal(epoll_wait(ep, out, 4, 1000), 1);
	assert_int_equal(out[0].data.fd, c);
	assert_int_equal(out[0].events, EPOLLOUT);
	st_disarm(slot);
	assert_int_equal(epoll_wait(ep, out, 4, 1000), 1);
	assert_int_equal(out[0].events, EPOLLIN | EPOLLOUT);
	close(ep);
	close(pp[0]);
	close(pp[1]);
	close(c);
	close(s);
}

/*
 * A set found with nothing to hold is remembered as such; adding a stalled
 * socket to it, or the socket it holds connecting to the stalled port
 * later, must be seen.
 */
static void test_epoll_clean_set_changes(void **state)
{
	int slot = stall_recv(), c, s, ep, pp[2], late;
	struct epoll_event ev = { .events = EPOLLIN }, out[4];
	struct sockaddr_in a = sk_addr(P);

	(void)state;
	assert_int_equal(pipe(pp), 0);
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev.data.fd = pp[0];
	epoll_ctl(ep, EPOLL_CTL_ADD, pp[0], &ev);
	st_arm(slot);
	assert_int_equal(epoll_wait(ep, out, 4, 20), 0); /* clean */
	assert_int_equal(epoll_wait(ep, out, 4, 20), 0);
	sk_pair(lp, P, &c, &s);
	send(s, "hello", 5, 0);
	ev.data.fd = c;
	epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
	assert_int_equal(epoll_wait(ep, out, 4, 100), 0);
	/* a socket in the set that connects to the stalled port afterwards */
	late = socket(AF_INET, SOCK_STREAM, 0);
	ev.data.fd = late;
	epoll_ctl(ep, EPOLL_CTL_ADD, late, &ev);
	assert_int_equal(epoll_ctl(ep, EPOLL_CTL_DEL, c, NULL), 0);
	assert_int_equal(epoll_wait(ep, out, 4, 20), 1); /* unconnected: HUP */
	assert_int_equal(out[0].data.fd, late);
	assert_int_equal(connect(late, (void *)&a, sizeof(a)), 0);
	close(s);
	s = accept(lp, NULL, NULL);
	send(s, "hello", 5, 0);
	assert_int_equal(epoll_wait(ep, out, 4, 100), 0);
	st_disarm(slot);
	assert_int_equal(epoll_wait(ep, out, 4, 1000), 1);
	assert_int_equal(out[0].data.fd, late);
	close(ep);
	close(late);
	close(pp[0]);
	close(pp[1]);
	close(c);
	close(s);
}

/* ---- send, connect, accept ------------------------------------------------- */

static void test_send_stall(void **state)
{
	int slot = sk_rule("send stall port=%d", P), c, s;
	struct pollfd p;
	char buf[16];
	double t0;

	(void)state;
	sk_pair(lp, P, &c, &s);
	st_arm(slot);
	p = (struct pollfd){ c, POLLOUT, 0 };
	assert_int_equal(poll(&p, 1, 100), 0);
	assert_int_equal(send(c, "x", 1, MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
	sk_timeo(c, SO_SNDTIMEO, 200);
	t0 = sk_now();
	assert_int_equal(write(c, "x", 1), -1);
	assert_int_equal(errno, EAGAIN);
	assert_true(sk_now() - t0 >= 0.19);
	st_disarm(slot);
	assert_int_equal(send(c, "y", 1, 0), 1);
	assert_int_equal(recv(s, buf, sizeof(buf), 0), 1); /* nothing else went */
	assert_int_equal(buf[0], 'y');
	close(c);
	close(s);
}

/* sendfile() to a socket is a send: an event loop gets EAGAIN, not a freeze */
static void test_sendfile_to_stalled_socket(void **state)
{
	int slot = sk_rule("send stall port=%d", P), c, s, f;
	char buf[16];
	double t0;

	(void)state;
	assert_int_equal(st_write_file(st_path("sendfile.txt"), "hello"), 0);
	f = open(st_path("sendfile.txt"), O_RDONLY);
	sk_pair(lp, P, &c, &s);
	st_arm(slot);
	sk_nonblock(c, true);
	t0 = sk_now();
	assert_int_equal(sendfile(c, f, NULL, 5), -1);
	assert_int_equal(errno, EAGAIN);
	assert_true(sk_now() - t0 < 1);
	sk_nonblock(c, false);
	sk_timeo(c, SO_SNDTIMEO, 200);
	assert_int_equal(sendfile(c, f, NULL, 5), -1);
	assert_int_equal(errno, EAGAIN);
	assert_true(sk_now() - t0 >= 0.19);
	st_disarm(slot);
	assert_int_equal(sendfile(c, f, NULL, 5), 5);
	assert_int_equal(recv(s, buf, sizeof(buf), 0), 5);
	close(f);
	close(c);
	close(s);
}

static void test_connect_nonblocking_in_progress(void **state)
{
	int lq, Q, slot, fd, s, err;
	struct sockaddr_in a;
	struct pollfd p;
	struct sk_later l;
	socklen_t el = sizeof(err);
	char buf[4];

	(void)state;
	lq = sk_listen(false, &Q);
	slot = sk_rule("connect stall port=%d", Q);
	a = sk_addr(Q);
	st_arm(slot);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_int_equal(connect(fd, (void *)&a, sizeof(a)), -1);
	assert_int_equal(errno, EINPROGRESS);
	/* a second connect: still in progress */
	assert_int_equal(connect(fd, (void *)&a, sizeof(a)), -1);
	assert_int_equal(errno, EALREADY);
	p = (struct pollfd){ fd, POLLOUT, 0 };
	assert_int_equal(poll(&p, 1, 200), 0);
	sk_disarm_later(&l, slot, 200);
	assert_int_equal(poll(&p, 1, 10000), 1); /* the disarm, not the 10 s */
	note_release(&l, sk_now());
	assert_int_equal(p.revents, POLLOUT);
	sk_join(&l);
	assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el), 0);
	assert_int_equal(err, 0);
	s = accept(lq, NULL, NULL);
	assert_int_equal(send(fd, "ok", 2, 0), 2);
	assert_int_equal(recv(s, buf, sizeof(buf), 0), 2);
	close(s);
	close(fd);
	close(lq);
}

static void test_connect_blocking(void **state)
{
	int lq, Q, slot, fd, s;
	struct sockaddr_in a;
	struct sk_later l;
	double t0;

	(void)state;
	lq = sk_listen(false, &Q);
	slot = sk_rule("connect stall port=%d", Q);
	a = sk_addr(Q);
	st_arm(slot);
	/* nothing reaches the server while it stalls */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	sk_disarm_later(&l, slot, 300);
	t0 = sk_now();
	assert_int_equal(connect(fd, (void *)&a, sizeof(a)), 0);
	note_release(&l, sk_now());
	assert_true(sk_now() - t0 >= 0.29);
	sk_join(&l);
	s = accept(lq, NULL, NULL);
	assert_true(s >= 0);
	close(s);
	close(fd);
	/* SO_SNDTIMEO ends a blocking connect with EINPROGRESS */
	st_arm(slot);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	sk_timeo(fd, SO_SNDTIMEO, 200);
	t0 = sk_now();
	assert_int_equal(connect(fd, (void *)&a, sizeof(a)), -1);
	assert_int_equal(errno, EINPROGRESS);
	assert_true(sk_now() - t0 >= 0.19);
	st_disarm(slot);
	close(fd);
	close(lq);
}

static void test_accept_stall(void **state)
{
	int la, A, slot, c, s;
	struct pollfd p;
	char buf[4];
	double t0;

	(void)state;
	la = sk_listen(false, &A);
	slot = sk_rule("accept stall lport=%d", A);
	st_arm(slot);
	c = sk_connect(A); /* the kernel completes it; the program never sees it */
	p = (struct pollfd){ la, POLLIN, 0 };
	assert_int_equal(poll(&p, 1, 150), 0);
	sk_timeo(la, SO_RCVTIMEO, 200);
	t0 = sk_now();
	assert_int_equal(accept(la, NULL, NULL), -1);
	assert_int_equal(errno, EAGAIN);
	assert_true(sk_now() - t0 >= 0.19);
	sk_nonblock(la, true);
	assert_int_equal(accept4(la, NULL, NULL, 0), -1);
	assert_int_equal(errno, EAGAIN);
	st_disarm(slot);
	s = accept(la, NULL, NULL); /* the connection waited in the queue */
	assert_true(s >= 0);
	send(c, "x", 1, 0);
	assert_int_equal(recv(s, buf, sizeof(buf), 0), 1);
	close(s);
	close(c);
	close(la);
}

/*
 * A socket the shim met before it listened (a poll on it, resolved as not
 * listening): listen() records that it now does, so a poll on it waits for
 * accept and the accept stall hides the queued connection.
 */
static void listen_late(bool raw)
{
	struct sockaddr_in a = sk_addr(0);
	socklen_t al = sizeof(a);
	int fd, A, slot, c, s;
	struct pollfd p;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (void *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (void *)&a, &al), 0);
	A = ntohs(a.sin_port);
	slot = sk_rule("accept stall lport=%d", A);
	st_arm(slot);
	p = (struct pollfd){ fd, POLLIN, 0 };
	poll(&p, 1, 0); /* not listening yet: whatever the kernel says */
	/* libuv and others may reach the kernel through syscall() */
	assert_int_equal(raw ? (int)syscall(SYS_listen, fd, 8) : listen(fd, 8), 0);
	c = sk_connect(A);
	p = (struct pollfd){ fd, POLLIN, 0 };
	assert_int_equal(poll(&p, 1, 150), 0);
	assert_true(st_injected(slot) >= 1);
	st_disarm(slot);
	p = (struct pollfd){ fd, POLLIN, 0 };
	assert_int_equal(poll(&p, 1, 2000), 1);
	s = accept(fd, NULL, NULL);
	assert_true(s >= 0);
	close(s);
	close(c);
	close(fd);
}

static void test_accept_stall_listen_late(void **state)
{
	(void)state;
	listen_late(false);
	listen_late(true);
}

/* ---- duration, cancellation, signals, counting, fork, CPU ----------------- */

static void test_stall_duration_window(void **state)
{
	int slot = sk_rule("recv stall=300ms port=%d", P), c, s, c2, s2;
	char buf[16];
	double t0;

	(void)state;
	sk_pair(lp, P, &c, &s);
	sk_pair(lp, P, &c2, &s2);
	send(s, "hello", 5, 0);
	st_arm(slot);
	t0 = sk_now();
	assert_int_equal(recv(c, buf, sizeof(buf), 0), 5);
	assert_true(sk_now() - t0 >= 0.29);
	assert_true(sk_now() - t0 < 5);
	/* the window is over: the peer is back for every socket */
	send(s2, "again", 5, 0);
	t0 = sk_now();
	assert_int_equal(recv(c2, buf, sizeof(buf), 0), 5);
	assert_true(sk_now() - t0 < 0.25);
	assert_int_equal(st_injected(slot), 1); /* its own rule: first use */
	/* armed again: a new window */
	st_disarm(slot);
	st_arm(slot);
	send(s2, "third", 5, 0);
	t0 = sk_now();
	assert_int_equal(recv(c2, buf, sizeof(buf), 0), 5);
	assert_true(sk_now() - t0 >= 0.29);
	st_disarm(slot);
	close(c);
	close(s);
	close(c2);
	close(s2);
}

static void test_cancel(void **state)
{
	int slot = stall_recv(), c, s;
	pthread_t t;
	void *ret;

	(void)state;
	sk_pair(lp, P, &c, &s);
	send(s, "hello", 5, 0);
	st_arm(slot);
	pthread_create(&t, NULL, blocked_recv, &c);
	sk_sleep_ms(100);
	assert_int_equal(pthread_cancel(t), 0);
	assert_int_equal(pthread_join(t, &ret), 0);
	assert_ptr_equal(ret, PTHREAD_CANCELED);
	st_disarm(slot);
	close(c);
	close(s);
}

static void on_usr1(int sig)
{
	(void)sig;
}

struct sig_case {
	int fd;
	ssize_t r;
	int err;
};

static void *recv_errno(void *arg)
{
	struct sig_case *k = arg;
	char buf[16];

	k->r = recv(k->fd, buf, sizeof(buf), 0);
	k->err = errno;
	return NULL;
}

/* a handler without SA_RESTART interrupts it (EINTR); with it, it waits on */
static void test_signals(void **state)
{
	int slot = stall_recv(), c, s;
	struct sigaction sa = { .sa_handler = on_usr1 }, old;
	struct sig_case k;
	pthread_t t;

	(void)state;
	sk_pair(lp, P, &c, &s);
	send(s, "hello", 5, 0);
	st_arm(slot);
	sigaction(SIGUSR1, &sa, &old);
	k.fd = c;
	pthread_create(&t, NULL, recv_errno, &k);
	sk_sleep_ms(100);
	pthread_kill(t, SIGUSR1);
	pthread_join(t, NULL);
	assert_int_equal(k.r, -1);
	assert_int_equal(k.err, EINTR);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	pthread_create(&t, NULL, recv_errno, &k);
	sk_sleep_ms(100);
	pthread_kill(t, SIGUSR1);
	sk_sleep_ms(100);
	st_disarm(slot);
	pthread_join(t, NULL);
	assert_int_equal(k.r, 5);
	sigaction(SIGUSR1, &old, NULL);
	close(c);
	close(s);
}

/* a forked child polling the stalled socket is woken by the disarm too */
static void test_fork_child_woken(void **state)
{
	int slot = stall_recv(), c, s, status;
	struct pollfd p;
	pid_t pid;

	(void)state;
	/* TSan refuses threads in the child of a multi-threaded fork */
	if (dlsym(RTLD_DEFAULT, "__tsan_init")) {
		print_message("  (skipped under ThreadSanitizer)\n");
		return;
	}
	sk_pair(lp, P, &c, &s);
	send(s, "hello", 5, 0);
	st_arm(slot);
	p = (struct pollfd){ c, POLLIN, 0 };
	assert_int_equal(poll(&p, 1, 50), 0); /* the parent has a wake thread */
	pid = fork();
	if (pid == 0) {
		double t0 = sk_now();

		alarm(20);
		p.revents = 0;
		_exit(poll(&p, 1, -1) == 1 && (p.revents & POLLIN) &&
				      sk_now() - t0 >= 0.15 ?
			      0 :
			      1);
	}
	sk_sleep_ms(300);
	st_disarm(slot);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(c);
	close(s);
}

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *blocked_poll(void *arg)
{
	struct pollfd p = { *(int *)arg, POLLIN, 0 };

	return (void *)(intptr_t)poll(&p, 1, -1);
}

/* no busy waiting: a second of stall in recv and in poll costs ~no CPU */
static void test_stall_is_idle(void **state)
{
	int slot = stall_recv(), c, s, c2, s2;
	pthread_t t1, t2;
	void *r1, *r2;
	double cpu0, cpu;

	(void)state;
	sk_pair(lp, P, &c, &s);
	sk_pair(lp, P, &c2, &s2);
	send(s, "hello", 5, 0);
	send(s2, "hello", 5, 0);
	st_arm(slot);
	pthread_create(&t1, NULL, blocked_recv, &c);
	pthread_create(&t2, NULL, blocked_poll, &c2);
	sk_sleep_ms(100);
	cpu0 = cpu_now();
	sk_sleep_ms(1000);
	cpu = cpu_now() - cpu0;
	st_disarm(slot);
	pthread_join(t1, &r1);
	pthread_join(t2, &r2);
	print_message("  CPU while stalled for 1 s: %.2f ms\n", cpu * 1e3);
	assert_true(cpu < 0.05);
	assert_int_equal((intptr_t)r1, 5);
	assert_int_equal((intptr_t)r2, 1);
	close(c);
	close(s);
	close(c2);
	close(s2);
}

/* ---- delay ---------------------------------------------------------------- */

static void test_delay_blocking(void **state)
{
	int slot = sk_rule("recv delay=200ms port=%d", P), c, s;
	char buf[16];
	double t0;

	(void)state;
	sk_pair(lp, P, &c, &s);
	send(s, "hello", 5, 0);
	st_arm(slot);
	t0 = sk_now();
	assert_int_equal(recv(c, buf, sizeof(buf), 0), 5);
	assert_true(sk_now() - t0 >= 0.19);
	assert_true(sk_now() - t0 < 5);
	st_disarm(slot);
	close(c);
	close(s);
}

/* an event loop sees the readiness later; its other fds on time */
static void test_delay_event_loop(void **state)
{
	int slot = sk_rule("recv delay=300ms port=%d", P), c, s, pp[2];
	struct pollfd p[2];
	char buf[16];
	double t0, tpipe = 0, tsock = 0;

	(void)state;
	sk_pair(lp, P, &c, &s);
	sk_nonblock(c, true);
	assert_int_equal(pipe(pp), 0);
	st_arm(slot);
	send(s, "hello", 5, 0);
	sk_sleep_ms(5);
	t0 = sk_now();
	write(pp[1], "x", 1);
	while (!tsock && sk_now() - t0 < 5) {
		p[0] = (struct pollfd){ c, POLLIN, 0 };
		p[1] = (struct pollfd){ pp[0], POLLIN, 0 };
		assert_true(poll(p, 2, 5000) >= 1);
		if (p[1].revents & POLLIN) {
			read(pp[0], buf, 1);
			tpipe = sk_now() - t0;
		}
		if (p[0].revents & POLLIN) {
			assert_int_equal(recv(c, buf, sizeof(buf), 0), 5);
			tsock = sk_now() - t0;
		}
	}
	print_message("  pipe after %.3f s, delayed socket after %.3f s\n",
		      tpipe, tsock);
	assert_true(tpipe < 0.25);
	assert_true(tsock >= 0.29);
	st_disarm(slot);
	close(pp[0]);
	close(pp[1]);
	close(c);
	close(s);
}

/* the delayed socket alone: poll waits for it, not its own timeout of 0 */
static void test_delay_poll_alone(void **state)
{
	int slot = sk_rule("recv delay=300ms port=%d", P), c, s;
	struct pollfd p;
	double t0;

	(void)state;
	sk_pair(lp, P, &c, &s);
	st_arm(slot);
	send(s, "hello", 5, 0);
	sk_sleep_ms(5);
	p = (struct pollfd){ c, POLLIN, 0 };
	t0 = sk_now();
	assert_int_equal(poll(&p, 1, 5000), 1);
	assert_true(sk_now() - t0 >= 0.29);
	assert_true(sk_now() - t0 < 4);
	st_disarm(slot);
	close(c);
	close(s);
}

static void test_delay_epoll(void **state)
{
	int slot = sk_rule("recv delay=300ms port=%d", P), c, s, ep;
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 7 }, out[2];
	double t0;
	int n;

	(void)state;
	sk_pair(lp, P, &c, &s);
	ep = epoll_create1(0);
	epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
	st_arm(slot);
	send(s, "hello", 5, 0);
	t0 = sk_now();
	n = epoll_wait(ep, out, 2, 5000);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].data.u64, 7);
	assert_true(sk_now() - t0 >= 0.29);
	assert_true(sk_now() - t0 < 4);
	st_disarm(slot);
	close(ep);
	close(c);
	close(s);
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
		cmocka_unit_test_setup(test_blocking_recv_until_disarm, setup),
		cmocka_unit_test_setup(test_so_rcvtimeo, setup),
		cmocka_unit_test_setup(test_nonblocking_eagain, setup),
		cmocka_unit_test_setup(test_other_sockets_flow, setup),
		cmocka_unit_test_setup(test_poll_timeout_then_wake, setup),
		cmocka_unit_test_setup(test_poll_other_fds, setup),
		cmocka_unit_test_setup(test_select_wake, setup),
		cmocka_unit_test_setup(test_epoll_level, setup),
		cmocka_unit_test_setup(test_epoll_edge, setup),
		cmocka_unit_test_setup(test_epoll_added_during_stall, setup),
		cmocka_unit_test_setup(test_epoll_clean_set_changes, setup),
		cmocka_unit_test_setup(test_send_stall, setup),
		cmocka_unit_test_setup(test_sendfile_to_stalled_socket, setup),
		cmocka_unit_test_setup(test_connect_nonblocking_in_progress,
				       setup),
		cmocka_unit_test_setup(test_connect_blocking, setup),
		cmocka_unit_test_setup(test_accept_stall, setup),
		cmocka_unit_test_setup(test_accept_stall_listen_late, setup),
		cmocka_unit_test_setup(test_stall_duration_window, setup),
		cmocka_unit_test_setup(test_cancel, setup),
		cmocka_unit_test_setup(test_signals, setup),
		cmocka_unit_test_setup(test_fork_child_woken, setup),
		cmocka_unit_test_setup(test_stall_is_idle, setup),
		cmocka_unit_test_setup(test_delay_blocking, setup),
		cmocka_unit_test_setup(test_delay_event_loop, setup),
		cmocka_unit_test_setup(test_delay_poll_alone, setup),
		cmocka_unit_test_setup(test_delay_epoll, setup),
	};
	int r;

	st_init(argc, argv);
	lp = sk_listen(false, &P);
	if (lp < 0)
		sk_die("listen");
	r = cmocka_run_group_tests(tests, NULL, NULL);
	printf("# slowest release after a disarm: %.3f ms\n", release_max * 1e3);
	return r;
}
