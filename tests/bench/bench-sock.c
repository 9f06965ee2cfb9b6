/*
 * Socket fault benchmarks (tests/bench/bench-sock.sh runs them; results in
 * docs/performance.md "Socket faults").
 *
 *   bench-sock io N
 *	N rounds of send(c, 1 byte) + recv(s, 1 byte) on a loopback TCP
 *	pair; prints "ns_per_call=X" (per send or recv). Run it plain and
 *	under `faultrun exec` for the shim's cost per call.
 *   bench-sock poll N, bench-sock epoll N
 *	N calls of poll() (epoll_wait()) with a zero timeout on a loopback
 *	TCP socket that has a byte to read: the readiness calls' cost per
 *	call; prints "ns_per_call=X".
 *   bench-sock release SHIM ROUNDS
 *	The time from a disarm to the return of the call it stalled, for a
 *	blocking recv(), a poll() and an epoll_wait() waiting on the stalled
 *	socket, each in a process under the shim (SHIM) while this process,
 *	not under it, arms and disarms the rule in the control block as
 *	`faultrun ctl` does. Prints min/median/max in microseconds.
 *   bench-sock cpu SHIM SECONDS
 *	The CPU time (user + system, from /proc) of a process under the shim
 *	whose two threads wait, one in recv() and one in poll(), on a stalled
 *	socket for SECONDS; prints it and its share of one core.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <faultrun/control.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench-sock: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* A connected loopback TCP pair; the listening port in *port. */
static void tcp_pair(int *c, int *s, int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (l < 0 || bind(l, (void *)&a, sizeof(a)) < 0 || listen(l, 4) < 0 ||
	    getsockname(l, (void *)&a, &al) < 0)
		die("listen");
	*port = ntohs(a.sin_port);
	*c = socket(AF_INET, SOCK_STREAM, 0);
	if (*c < 0 || connect(*c, (void *)&a, sizeof(a)) < 0)
		die("connect");
	*s = accept(l, NULL, NULL);
	if (*s < 0)
		die("accept");
	setsockopt(*c, IPPROTO_TCP, 1 /* TCP_NODELAY */, &one, sizeof(one));
	close(l);
}

static int io(long n)
{
	int c, s, port;
	char b = 'x';
	double t0;

	tcp_pair(&c, &s, &port);
	for (long i = 0; i < n / 10 + 1; i++)
		if (send(c, &b, 1, 0) != 1 || recv(s, &b, 1, 0) != 1)
			die("warm-up");
	t0 = now();
	for (long i = 0; i < n; i++)
		if (send(c, &b, 1, 0) != 1 || recv(s, &b, 1, 0) != 1)
			die("io");
	printf("ns_per_call=%.1f\n", (now() - t0) * 1e9 / (double)(2 * n));
	return 0;
}

/* poll or epoll_wait, n times, on a socket with a byte to read */
static int readiness(long n, bool use_epoll)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int c, s, port, ep = -1;
	double t0;

	tcp_pair(&c, &s, &port);
	if (send(c, "x", 1, 0) != 1)
		die("send");
	if (use_epoll) {
		ep = epoll_create1(0);
		ev.data.fd = s;
		if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev) < 0)
			die("epoll");
	}
	for (long k = 0; k < 2; k++) {
		/* the first pass warms up (the shim resolves the fds once) */
		long rounds = k ? n : n / 10 + 1;

		t0 = now();
		for (long i = 0; i < rounds; i++) {
			struct pollfd p = { s, POLLIN, 0 };

			if ((use_epoll ? epoll_wait(ep, &ev, 1, 0) : poll(&p, 1, 0)) != 1)
				die("not ready");
		}
	}
	printf("ns_per_call=%.1f\n", (now() - t0) * 1e9 / (double)n);
	return 0;
}

/* ---- the child under the shim --------------------------------------------- */

/*
 * --child MODE FD CMD_FD REPLY_FD: for every byte read from CMD_FD, wait
 * for FD to be readable with MODE (recv, poll, epoll), read one byte from
 * it, and write the time it returned (double) to REPLY_FD. MODE idle:
 * two threads wait, in recv and in poll, until the rule is disarmed.
 */
static void *idle_poll(void *arg)
{
	struct pollfd p = { *(int *)arg, POLLIN, 0 };

	poll(&p, 1, -1);
	return NULL;
}

static int child(const char *mode, int fd, int cmd, int reply)
{
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
	char b;

	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	if (!strcmp(mode, "idle")) {
		int fd2 = dup(fd);
		pthread_t t;

		if (read(cmd, &b, 1) != 1)
			return 1;
		pthread_create(&t, NULL, idle_poll, &fd2);
		recv(fd, &b, 1, 0);
		pthread_join(t, NULL);
		return 0;
	}
	while (read(cmd, &b, 1) == 1) {
		struct pollfd p = { fd, POLLIN, 0 };
		double t;

		if (!strcmp(mode, "poll"))
			poll(&p, 1, -1);
		else if (!strcmp(mode, "epoll"))
			epoll_wait(ep, &ev, 1, -1);
		t = now();
		if (recv(fd, &b, 1, 0) != 1)
			return 1;
		if (!strcmp(mode, "recv"))
			t = now();
		if (write(reply, &t, sizeof(t)) != sizeof(t))
			return 1;
	}
	return 0;
}

/* ---- the parent: a control block, a child under the shim ------------------ */

struct run {
	char dir[64], ctl[96];
	struct fr_ctl *c;
	int slot, cmd, reply, s;
	pid_t pid;
};

static void start(struct run *r, const char *shim, const char *mode)
{
	char spec[128], err[256], a_fd[16], a_cmd[16], a_rep[16];
	char env_ctl[200], env_pre[PATH_MAX + 16];
	int c, port, to[2], from[2];
	struct fr_rule rule;

	snprintf(r->dir, sizeof(r->dir), "/tmp/benchsock-XXXXXX");
	if (!mkdtemp(r->dir))
		die("mkdtemp");
	snprintf(r->ctl, sizeof(r->ctl), "%s/ctl", r->dir);
	if (fr_ctl_create(r->ctl, 1, &r->c) < 0)
		die("control block");
	tcp_pair(&c, &r->s, &port);
	snprintf(spec, sizeof(spec), "name=bench recv stall port=%d", port);
	if (fr_spec_parse(spec, &rule, 0, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench-sock: %s\n", err);
		exit(1);
	}
	r->slot = fr_ctl_add(r->c, &rule, false);
	if (pipe(to) < 0 || pipe(from) < 0)
		die("pipe");
	snprintf(a_fd, sizeof(a_fd), "%d", c);
	snprintf(a_cmd, sizeof(a_cmd), "%d", to[0]);
	snprintf(a_rep, sizeof(a_rep), "%d", from[1]);
	snprintf(env_ctl, sizeof(env_ctl), "%s=%s", FR_CTL_ENV, r->ctl);
	snprintf(env_pre, sizeof(env_pre), "LD_PRELOAD=%s", shim);
	r->pid = fork();
	if (r->pid == 0) {
		char *argv[] = { "bench-sock", "--child", (char *)mode, a_fd,
				 a_cmd, a_rep, NULL };

		close(to[1]);
		close(from[0]);
		close(r->s);
		putenv(env_ctl);
		putenv(env_pre);
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	close(c);
	close(to[0]);
	close(from[1]);
	r->cmd = to[1];
	r->reply = from[0];
}

static void stop(struct run *r)
{
	int st;

	close(r->cmd);
	close(r->reply);
	waitpid(r->pid, &st, 0);
	close(r->s);
	fr_ctl_close(r->c);
	unlink(r->ctl);
	rmdir(r->dir);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int release(const char *shim, int rounds)
{
	static const char *const modes[] = { "recv", "poll", "epoll" };
	double *lat = calloc((size_t)rounds, sizeof(*lat));

	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		struct run r;

		start(&r, shim, modes[m]);
		for (int i = 0; i < rounds; i++) {
			double back, cleared;
			char b = 'x';

			fr_ctl_set_armed(r.c, (unsigned)r.slot, true);
			if (send(r.s, &b, 1, 0) != 1 ||
			    write(r.cmd, &b, 1) != 1)
				die("round");
			sleep_ms(30); /* the child is stalled by now */
			cleared = now();
			fr_ctl_set_armed(r.c, (unsigned)r.slot, false);
			if (read(r.reply, &back, sizeof(back)) != sizeof(back))
				die("child");
			lat[i] = (back - cleared) * 1e6;
		}
		stop(&r);
		qsort(lat, (size_t)rounds, sizeof(*lat), cmp_double);
		printf("release %-6s min_us=%.1f median_us=%.1f max_us=%.1f rounds=%d\n",
		       modes[m], lat[0], lat[rounds / 2], lat[rounds - 1],
		       rounds);
	}
	free(lat);
	return 0;
}

/*
 * CPU time of every thread of pid so far, in seconds: the first field of
 * /proc/PID/task/TID/schedstat (ns on the CPU), summed; the clock-tick
 * fields of /proc/PID/stat are too coarse for an idle process.
 */
static double cpu_of(pid_t pid)
{
	char path[320], buf[128];
	double sum = 0;
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		die("task dir");
	while ((de = readdir(d))) {
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/schedstat",
			 (int)pid, de->d_name);
		f = fopen(path, "r");
		if (f && fgets(buf, sizeof(buf), f))
			sum += strtod(buf, NULL) / 1e9;
		if (f)
			fclose(f);
	}
	closedir(d);
	return sum;
}

static int cpu(const char *shim, double secs)
{
	struct run r;
	double c0, c1, t0, t1;
	char b = 'x';

	start(&r, shim, "idle");
	fr_ctl_set_armed(r.c, (unsigned)r.slot, true);
	/* two bytes: one for the recv, one left for the poll to see */
	if (send(r.s, "xx", 2, 0) != 2 || write(r.cmd, &b, 1) != 1)
		die("idle");
	sleep_ms(300); /* start-up done, both threads stalled */
	c0 = cpu_of(r.pid);
	t0 = now();
	sleep_ms((int)(secs * 1000));
	c1 = cpu_of(r.pid);
	t1 = now();
	fr_ctl_set_armed(r.c, (unsigned)r.slot, false);
	stop(&r);
	printf("cpu stalled_s=%.2f cpu_ms=%.3f share_pct=%.4f (start-up %.1f ms)\n",
	       t1 - t0, (c1 - c0) * 1e3, (c1 - c0) / (t1 - t0) * 100,
	       c0 * 1e3);
	return 0;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc >= 6 && !strcmp(argv[1], "--child"))
		return child(argv[2], atoi(argv[3]), atoi(argv[4]),
			     atoi(argv[5]));
	if (argc >= 3 && (!strcmp(argv[1], "poll") || !strcmp(argv[1], "epoll")))
		return readiness(atol(argv[2]), !strcmp(argv[1], "epoll"));
	if (argc >= 3 && !strcmp(argv[1], "io"))
		return io(atol(argv[2]));
	if (argc >= 4 && !strcmp(argv[1], "release"))
		return release(argv[2], atoi(argv[3]));
	if (argc >= 4 && !strcmp(argv[1], "cpu"))
		return cpu(argv[2], atof(argv[3]));
	fprintf(stderr, "usage: bench-sock io N | release SHIM ROUNDS | "
			"cpu SHIM SECONDS\n");
	return 2;
}
