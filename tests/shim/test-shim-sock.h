/*
 * Helpers shared by the socket shim tests (test-shim-sock*.c): loopback
 * listeners and connected pairs, rules named by port, time, and a thread
 * that disarms a rule later (as `faultrun ctl disarm` would from outside).
 */
#ifndef FAULTRUN_TESTS_SHIM_SOCK_H
#define FAULTRUN_TESTS_SHIM_SOCK_H

#include "shimtest.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Fail the whole run: the fixture itself is broken. */
static inline void sk_die(const char *what)
{
	fprintf(stderr, "test-shim-sock: %s: %s\n", what, strerror(errno));
	exit(1);
}

static inline double sk_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void sk_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* A listening TCP socket on 127.0.0.1 (or ::1), its port in *port. */
static inline int sk_listen(bool v6, int *port)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	*port = 0;
	memset(&ss, 0, sizeof(ss));
	if (v6) {
		struct sockaddr_in6 *a = (void *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		sl = sizeof(*a);
	} else {
		struct sockaddr_in *a = (void *)&ss;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof(*a);
	}
	if (fd < 0 || bind(fd, (void *)&ss, sl) < 0 || listen(fd, 128) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	sl = sizeof(ss);
	getsockname(fd, (void *)&ss, &sl);
	*port = ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port :
			   ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

/* The address of 127.0.0.1:port. */
static inline struct sockaddr_in sk_addr(int port)
{
	struct sockaddr_in a;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

/* A connected client socket to 127.0.0.1:port (plain connect). */
static inline int sk_connect(int port)
{
	struct sockaddr_in a = sk_addr(port);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || connect(fd, (void *)&a, sizeof(a)) < 0)
		sk_die("connect");
	return fd;
}

/* Client c connected to listener lfd (port), server side in *s. */
static inline void sk_pair(int lfd, int port, int *c, int *s)
{
	*c = sk_connect(port);
	*s = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (*s < 0)
		sk_die("accept");
}

static inline void sk_nonblock(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

static inline void sk_timeo(int fd, int opt, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv));
}

/* st_rule() with printf formatting. */
static inline int sk_rule(const char *fmt, ...)
{
	char spec[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(spec, sizeof(spec), fmt, ap);
	va_end(ap);
	return st_rule(spec);
}

/* Disarm a slot after ms milliseconds, from another thread. */
struct sk_later {
	pthread_t t;
	int slot, ms;
	_Atomic double at; /* when it disarmed (read before the join) */
};

static inline void *sk_later_main(void *arg)
{
	struct sk_later *l = arg;

	sk_sleep_ms(l->ms);
	l->at = sk_now();
	st_disarm(l->slot);
	return NULL;
}

static inline void sk_disarm_later(struct sk_later *l, int slot, int ms)
{
	l->slot = slot;
	l->ms = ms;
	l->at = 0;
	if (pthread_create(&l->t, NULL, sk_later_main, l) != 0)
		sk_die("pthread_create");
}

static inline void sk_join(struct sk_later *l)
{
	pthread_join(l->t, NULL);
}

/* Read exactly what is waiting (non-blocking), into buf; returns its length. */
static inline ssize_t sk_drain(int fd, char *buf, size_t len)
{
	ssize_t n = recv(fd, buf, len, MSG_DONTWAIT);

	return n < 0 ? 0 : n;
}

#endif /* FAULTRUN_TESTS_SHIM_SOCK_H */
