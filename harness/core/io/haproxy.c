/*
 * HAProxy: its configuration, its command, its stats socket. See haproxy.h
 * and docs/haproxy.md.
 */
#define _GNU_SOURCE
#include "io/haproxy.h"
#include "util/err.h"
#include "util/fsutil.h"
#include "util/xalloc.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define NS_PER_MS 1000000ULL
#define NS_PER_S 1000000000ULL
/* "show stat" of a few servers is a few KiB; anything this big is not HAProxy. */
#define ANSWER_MAX (4u << 20)
#define HOST_MAX 255
#define PATH_MAX_CHECK 512

/* ---- the configuration ---------------------------------------------- */

static bool valid_name(const char *s)
{
	if (!s || !*s || strlen(s) >= FR_HAPROXY_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.'))
			return false;
	return true;
}

/* Characters allowed besides letters and digits, none of them syntax to HAProxy's parser. */
static bool valid_chars(const char *s, const char *extra, size_t max)
{
	if (!s || !*s || strlen(s) > max)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr(extra, *s)))
			return false;
	return true;
}

/*
 * A host: an IPv4 or IPv6 literal or a DNS name. An IPv6 literal is
 * written in brackets, [::1]:8080.
 */
static bool valid_host(const char *s)
{
	return valid_chars(s, ".-:", HOST_MAX);
}

/*
 * The health check's path goes on the "option httpchk" line unquoted:
 * a space would end it, '#' start a comment, quotes, '\\' and '$' are
 * HAProxy's quoting and environment syntax (configuration.txt, 2.2
 * "Quoting and escaping"). Only RFC 3986 characters without those.
 */
static bool valid_check_path(const char *s)
{
	return s && s[0] == '/' && valid_chars(s, "-._~/?&=%+:@!,;*", PATH_MAX_CHECK);
}

/*
 * The socket path is written in single quotes, HAProxy's strong quoting:
 * nothing inside is interpreted, but a quote would end it and a newline
 * the line.
 */
static bool valid_sock_path(const char *s)
{
	if (!s || s[0] != '/' || strlen(s) >= FR_HAPROXY_SOCK_MAX)
		return false;
	for (; *s; s++)
		if (*s == '\'' || (unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static const char *proxy_name(const struct fr_haproxy_conf *c)
{
	return c->name ? c->name : "lb";
}

int fr_haproxy_conf_check(const struct fr_haproxy_conf *c, char *err, size_t errlen)
{
	const char *host = c->listen_host ? c->listen_host : "127.0.0.1";

	if (!valid_name(proxy_name(c))) {
		fr_set_err(
			err, errlen,
			"load balancer name '%s': use letters, digits, '.', '-' and '_' (at most %d)",
			proxy_name(c), FR_HAPROXY_NAME_MAX - 1);
		return -EINVAL;
	}
	if (!valid_host(host) || !c->listen_port || c->listen_port > 65535) {
		fr_set_err(
			err, errlen,
			"listen address '%s' port %u: a host (letters, digits, '.', '-', ':') and a port 1 to 65535",
			host, c->listen_port);
		return -EINVAL;
	}
	if (!c->nbackends) {
		fr_set_err(err, errlen, "load balancer '%s' has no backends", proxy_name(c));
		return -EINVAL;
	}
	for (size_t i = 0; i < c->nbackends; i++) {
		const struct fr_haproxy_backend *b = &c->backends[i];

		if (!valid_name(b->name)) {
			fr_set_err(
				err, errlen,
				"backend name '%s': use letters, digits, '.', '-' and '_' (at most %d)",
				b->name ? b->name : "", FR_HAPROXY_NAME_MAX - 1);
			return -EINVAL;
		}
		for (size_t j = 0; j < i; j++)
			if (!strcmp(c->backends[j].name, b->name)) {
				fr_set_err(err, errlen, "backend name '%s' is used twice", b->name);
				return -EINVAL;
			}
		if (!valid_host(b->host) || !b->port || b->port > 65535) {
			fr_set_err(
				err, errlen,
				"backend '%s' address '%s' port %u: a host (letters, digits, '.', '-', ':') and a port 1 to 65535",
				b->name, b->host ? b->host : "", b->port);
			return -EINVAL;
		}
	}
	if (c->check_path && !valid_check_path(c->check_path)) {
		fr_set_err(
			err, errlen,
			"health check path '%s': must start with '/' and use only letters, digits and -._~/?&=%%+:@!,;*",
			c->check_path);
		return -EINVAL;
	}
	if (c->down_status && c->down_status != 502 && c->down_status != 503) {
		fr_set_err(err, errlen, "answer with no healthy backend: %d (expected 502 or 503)",
			   c->down_status);
		return -EINVAL;
	}
	if (!valid_sock_path(c->stats_socket)) {
		fr_set_err(
			err, errlen,
			"stats socket '%s': an absolute path shorter than %d bytes, without ' or control characters",
			c->stats_socket ? c->stats_socket : "", FR_HAPROXY_SOCK_MAX);
		return -EINVAL;
	}
	return 0;
}

/* HAProxy's time format: whole milliseconds, at least 1. */
static unsigned long long ms(uint64_t ns, uint64_t dflt)
{
	unsigned long long v = (ns ? ns : dflt) / NS_PER_MS;

	return v ? v : 1;
}

static void add_addr(struct fr_buf *b, const char *host, unsigned int port)
{
	fr_buf_printf(b, strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, port);
}

int fr_haproxy_conf_format(const struct fr_haproxy_conf *c, struct fr_buf *b, char *err,
			   size_t errlen)
{
	const char *name = proxy_name(c);
	uint64_t inter = c->check_interval_ns ? c->check_interval_ns : 2 * NS_PER_S;
	int ret = fr_haproxy_conf_check(c, err, errlen);

	if (ret)
		return ret;
	fr_buf_printf(b, "# generated by faultrun for '%s' (docs/haproxy.md)\n", name);
	/*
	 * Logs and alerts on stderr (the service's log file); the stats
	 * socket is faultrun's view of the backends. hard-stop-after bounds
	 * a soft stop (SIGUSR1) that waits for clients.
	 */
	fr_buf_puts(b, "global\n\tlog stderr format raw local0 info\n");
	fr_buf_printf(b, "\tstats socket '%s' mode 600 level admin\n", c->stats_socket);
	fr_buf_puts(b, "\tstats timeout 10s\n\tmaxconn 1024\n\thard-stop-after 5s\n\n");
	fr_buf_puts(b, "defaults\n\tmode http\n\tlog global\n\toption httplog\n");
	fr_buf_printf(b, "\ttimeout connect %llums\n", ms(c->connect_timeout_ns, 2 * NS_PER_S));
	fr_buf_printf(b, "\ttimeout client %llums\n", ms(c->client_timeout_ns, 30 * NS_PER_S));
	fr_buf_printf(b, "\ttimeout server %llums\n", ms(c->server_timeout_ns, 30 * NS_PER_S));
	fr_buf_printf(b, "\ttimeout check %llums\n\n", ms(c->check_timeout_ns, inter));

	fr_buf_printf(b, "frontend %s\n\tbind ", name);
	add_addr(b, c->listen_host ? c->listen_host : "127.0.0.1", c->listen_port);
	fr_buf_puts(b, "\n");
	/*
	 * 502 like a cloud load balancer: answered here while the backend
	 * has no usable server (nbsrv), so HAProxy's other 503s (a full
	 * queue) stay what they are.
	 */
	if (c->down_status == 502)
		fr_buf_printf(
			b,
			"\thttp-request return status 502 content-type text/plain string \"no healthy backend\" if { nbsrv(%s_backends) eq 0 }\n",
			name);
	fr_buf_printf(b, "\tdefault_backend %s_backends\n\n", name);

	fr_buf_printf(b, "backend %s_backends\n\tbalance roundrobin\n", name);
	if (c->check_path)
		fr_buf_printf(b, "\toption httpchk GET %s\n\thttp-check expect status 200\n",
			      c->check_path);
	fr_buf_printf(b, "\tdefault-server check inter %llums rise %u fall %u\n", ms(inter, 0),
		      c->rise ? c->rise : 2, c->fall ? c->fall : 3);
	for (size_t i = 0; i < c->nbackends; i++) {
		fr_buf_printf(b, "\tserver %s ", c->backends[i].name);
		add_addr(b, c->backends[i].host, c->backends[i].port);
		fr_buf_puts(b, "\n");
	}
	return 0;
}

int fr_haproxy_conf_write(const struct fr_haproxy_conf *c, const char *dir, char *path,
			  size_t pathlen, char *err, size_t errlen)
{
	struct fr_buf b = { 0 };
	struct fr_atomic_file a;
	int ret = fr_haproxy_conf_format(c, &b, err, errlen);

	if (ret)
		return ret;
	if ((size_t)snprintf(path, pathlen, "%s/%s.cfg", dir, proxy_name(c)) >= pathlen) {
		fr_set_err(err, errlen, "'%s/%s.cfg': path too long", dir, proxy_name(c));
		ret = -ENAMETOOLONG;
		goto out;
	}
	ret = fr_atomic_begin(&a, path);
	if (ret) {
		fr_set_err(err, errlen, "cannot write '%s': %s", path, strerror(-ret));
		goto out;
	}
	/* the file names the admin socket: only its owner may read it */
	if (fchmod(a.fd, 0600) < 0 || (ret = fr_write_all(a.fd, b.p, b.len))) {
		ret = ret ? ret : -errno;
		fr_atomic_abort(&a);
		fr_set_err(err, errlen, "cannot write '%s': %s", path, strerror(-ret));
		goto out;
	}
	ret = fr_atomic_commit(&a);
	if (ret)
		fr_set_err(err, errlen, "cannot write '%s': %s", path, strerror(-ret));
out:
	fr_buf_free(&b);
	return ret;
}

const char *fr_haproxy_program(void)
{
	static const char *const fallback[] = { "/usr/sbin/haproxy", "/usr/local/sbin/haproxy" };
	static char found[PATH_MAX];
	const char *env = getenv("FAULTRUN_HAPROXY");
	const char *path = getenv("PATH");

	if (env && *env)
		return access(env, X_OK) == 0 ? env : NULL;
	while (path && *path) {
		size_t n = strcspn(path, ":");

		if (n &&
		    (size_t)snprintf(found, sizeof(found), "%.*s/haproxy", (int)n, path) <
			    sizeof(found) &&
		    access(found, X_OK) == 0)
			return found;
		path += n + (path[n] == ':');
	}
	for (size_t i = 0; i < sizeof(fallback) / sizeof(fallback[0]); i++)
		if (access(fallback[i], X_OK) == 0)
			return fallback[i];
	return NULL;
}

void fr_haproxy_argv(const char *program, const char *cfg_path, const char *argv[5])
{
	argv[0] = program;
	argv[1] = "-db";
	argv[2] = "-f";
	argv[3] = cfg_path;
	argv[4] = NULL;
}

/* ---- the stats socket ------------------------------------------------ */

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

/* A non-blocking connection to the socket: the fd, or -errno. */
static int sock_open(const char *sock)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(sock) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* a unix connect never waits, it fails with EAGAIN on a full backlog (unix(7)) */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

/*
 * One step of a query: send what is left of cmd, then read. Returns 1 at
 * the end of the answer, 0 when it must wait (*events says for what), or
 * -errno.
 */
static int sock_step(int fd, const char *cmd, size_t *sent, struct fr_buf *in, short *events)
{
	size_t len = strlen(cmd);
	char buf[16384];

	while (*sent < len) {
		ssize_t w = send(fd, cmd + *sent, len - *sent, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			*events = POLLOUT;
			return 0;
		}
		if (w < 0)
			return -errno;
		*sent += w;
	}
	for (;;) {
		ssize_t r = recv(fd, buf, sizeof(buf), 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN) {
			*events = POLLIN;
			return 0;
		}
		if (r < 0)
			return -errno;
		if (r == 0)
			return 1;
		if (in->len + r > ANSWER_MAX)
			return -EMSGSIZE;
		fr_buf_add(in, buf, r);
	}
}

int fr_haproxy_command(const char *sock, const char *cmd, uint64_t timeout_ns, struct fr_buf *out,
		       char *err, size_t errlen)
{
	uint64_t deadline = mono_ns() + timeout_ns;
	char line[256];
	size_t sent = 0;
	int fd, ret;

	if ((size_t)snprintf(line, sizeof(line), "%s\n", cmd) >= sizeof(line) ||
	    strchr(cmd, '\n')) {
		fr_set_err(err, errlen, "stats command '%s': one line, shorter than %zu bytes", cmd,
			   sizeof(line) - 1);
		return -EINVAL;
	}
	fd = sock_open(sock);
	if (fd < 0) {
		fr_set_err(err, errlen, "stats socket '%s': %s", sock, strerror(-fd));
		return fd;
	}
	for (;;) {
		struct pollfd p = { .fd = fd };
		uint64_t now;

		ret = sock_step(fd, line, &sent, out, &p.events);
		if (ret)
			break;
		now = mono_ns();
		if (now >= deadline ||
		    poll(&p, 1, (int)((deadline - now + NS_PER_MS - 1) / NS_PER_MS)) == 0) {
			ret = -ETIMEDOUT;
			break;
		}
	}
	close(fd);
	if (ret < 0) {
		fr_set_err(err, errlen, "stats socket '%s': %s: %s", sock, cmd,
			   ret == -ETIMEDOUT ? "no answer in time" : strerror(-ret));
		return ret;
	}
	return 0;
}

int fr_haproxy_ready(const char *sock, uint64_t timeout_ns, char *err, size_t errlen)
{
	struct fr_buf b = { 0 };
	int ret = fr_haproxy_command(sock, "show info", timeout_ns, &b, err, errlen);

	if (!ret && (!b.p || strncmp(b.p, "Name: HAProxy", 13) != 0)) {
		fr_set_err(err, errlen,
			   "stats socket '%s' answers, but not as HAProxy does ('%.40s')", sock,
			   b.p ? b.p : "");
		ret = -EPROTO;
	}
	fr_buf_free(&b);
	return ret;
}

/* ---- "show stat" ------------------------------------------------------ */

const char *fr_haproxy_state_name(enum fr_haproxy_state s)
{
	static const char *const names[] = {
		[FR_HAPROXY_UNKNOWN] = "unknown",  [FR_HAPROXY_UP] = "UP",
		[FR_HAPROXY_DOWN] = "DOWN",	   [FR_HAPROXY_MAINT] = "MAINT",
		[FR_HAPROXY_DRAIN] = "DRAIN",	   [FR_HAPROXY_NOLB] = "NOLB",
		[FR_HAPROXY_NOCHECK] = "no check",
	};

	return (unsigned int)s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

/*
 * "UP", "UP 1/3" (up, failing), "DOWN 1/2" (down, passing), "MAINT (via
 * b/s)", "DRAIN (agent)", "no check": the word before any detail
 * (management.txt, 9.1, field 17 "status").
 */
static enum fr_haproxy_state parse_state(const char *s)
{
	static const struct {
		const char *word;
		enum fr_haproxy_state st;
	} words[] = {
		{ "UP", FR_HAPROXY_UP },       { "DOWN", FR_HAPROXY_DOWN },
		{ "MAINT", FR_HAPROXY_MAINT }, { "DRAIN", FR_HAPROXY_DRAIN },
		{ "NOLB", FR_HAPROXY_NOLB },   { "no check", FR_HAPROXY_NOCHECK },
	};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t n = strlen(words[i].word);

		if (!strncmp(s, words[i].word, n) && (s[n] == 0 || s[n] == ' '))
			return words[i].st;
	}
	return FR_HAPROXY_UNKNOWN;
}

/*
 * Split one CSV line in place into at most max fields. HAProxy quotes a
 * field that holds a comma or a quote, doubling the quotes (csv_enc()).
 */
static size_t csv_split(char *line, char **f, size_t max)
{
	size_t n = 0;
	char *r = line;

	while (n < max) {
		char *w = r;

		f[n++] = w;
		if (*r == '"') {
			for (r++; *r; r++) {
				if (*r == '"' && r[1] == '"')
					r++;
				else if (*r == '"')
					break;
				*w++ = *r;
			}
			if (*r == '"')
				r++;
		} else {
			while (*r && *r != ',')
				*w++ = *r++;
		}
		if (*r != ',') {
			*w = 0;
			break;
		}
		r++;
		*w = 0;
	}
	return n;
}

enum { C_PX, C_SV, C_STATUS, C_CHK, C_CODE, C_DESC, C_LASTCHG, C_N };

static void copy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

static void fill_row(struct fr_haproxy_server *s, char **f, size_t nf, const int *col)
{
	const char *v[C_N];
	const char *chk;

	for (int i = 0; i < C_N; i++)
		v[i] = col[i] >= 0 && (size_t)col[i] < nf ? f[col[i]] : "";
	memset(s, 0, sizeof(*s));
	copy(s->proxy, sizeof(s->proxy), v[C_PX]);
	copy(s->name, sizeof(s->name), v[C_SV]);
	s->backend = !strcmp(v[C_SV], "BACKEND");
	copy(s->status, sizeof(s->status), v[C_STATUS]);
	s->state = parse_state(v[C_STATUS]);
	/* "* L7OK": a check is running; the status is the last one's */
	chk = v[C_CHK];
	if (!strncmp(chk, "* ", 2))
		chk += 2;
	if (*chk && *v[C_CODE])
		snprintf(s->check, sizeof(s->check), "%s/%s", chk, v[C_CODE]);
	else
		copy(s->check, sizeof(s->check), chk);
	copy(s->check_desc, sizeof(s->check_desc), v[C_DESC]);
	s->lastchg_s = *v[C_LASTCHG] ? strtol(v[C_LASTCHG], NULL, 10) : -1;
}

/* Find the columns by the header's names ("# pxname,svname,..."). */
static int parse_header(char *line, int *col)
{
	static const char *const want[C_N] = {
		[C_PX] = "pxname",	  [C_SV] = "svname",	   [C_STATUS] = "status",
		[C_CHK] = "check_status", [C_CODE] = "check_code", [C_DESC] = "check_desc",
		[C_LASTCHG] = "lastchg",
	};
	char *f[512];
	size_t nf = csv_split(line + 2, f, 512);

	for (int i = 0; i < C_N; i++) {
		col[i] = -1;
		for (size_t j = 0; j < nf; j++)
			if (!strcmp(f[j], want[i]))
				col[i] = (int)j;
	}
	return col[C_PX] < 0 || col[C_SV] < 0 || col[C_STATUS] < 0 ? -EPROTO : 0;
}

int fr_haproxy_parse_stat(const char *csv, struct fr_haproxy_server **out, size_t *n, char *err,
			  size_t errlen)
{
	char *text = fr_xstrdup(csv ? csv : ""), *line, *save = NULL;
	struct fr_haproxy_server *rows = NULL;
	size_t nrows = 0, cap = 0;
	int col[C_N], ret = -EPROTO;
	bool header = false;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[512];
		size_t nf;

		if (!header) {
			if (strncmp(line, "# ", 2) || parse_header(line, col))
				break;
			header = true;
			ret = 0;
			continue;
		}
		nf = csv_split(line, f, 512);
		if (nf <= (size_t)col[C_STATUS] || !strcmp(f[col[C_SV]], "FRONTEND"))
			continue;
		if (nrows == cap) {
			cap = cap ? 2 * cap : 8;
			rows = fr_xrealloc(rows, cap * sizeof(*rows));
		}
		fill_row(&rows[nrows++], f, nf, col);
	}
	free(text);
	if (ret) {
		fr_set_err(
			err, errlen,
			"not HAProxy's \"show stat\" CSV (no header with pxname, svname, status)");
		free(rows);
		return ret;
	}
	*out = rows;
	*n = nrows;
	return 0;
}

size_t fr_haproxy_diff(const struct fr_haproxy_server *prev, size_t nprev,
		       const struct fr_haproxy_server *cur, size_t ncur, uint64_t at_ns,
		       fr_haproxy_change_fn fn, void *arg)
{
	size_t changed = 0;

	for (size_t i = 0; i < ncur; i++) {
		enum fr_haproxy_state before = FR_HAPROXY_UNKNOWN;
		struct fr_haproxy_change ch;

		for (size_t j = 0; j < nprev; j++)
			if (!strcmp(prev[j].proxy, cur[i].proxy) &&
			    !strcmp(prev[j].name, cur[i].name)) {
				before = prev[j].state;
				break;
			}
		if (before == cur[i].state)
			continue;
		ch = (struct fr_haproxy_change){ .now = &cur[i], .before = before, .at_ns = at_ns };
		changed++;
		if (fn)
			fn(arg, &ch);
	}
	return changed;
}

/* ---- the poller -------------------------------------------------------- */

static void poll_fail(struct fr_haproxy_poller *p, const char *why)
{
	p->failures++;
	if (!p->failing && p->fn_err)
		p->fn_err(p->arg, why);
	p->failing = true;
	/*
	 * What was seen before the loss says nothing of now: once HAProxy
	 * answers again, every row is reported afresh (before: unknown), so a
	 * reader of the changes knows each backend's state again.
	 */
	free(p->rows);
	p->rows = NULL;
	p->nrows = 0;
}

/* End the query in progress; the next one starts interval after the last start. */
static void query_end(struct fr_haproxy_poller *p)
{
	if (!p->loop) /* a callback stopped the poller */
		return;
	if (p->fd >= 0) {
		fr_watch_stop(p->loop, &p->watch);
		close(p->fd);
		p->fd = -1;
	}
	fr_buf_free(&p->in);
	fr_timer_start(p->loop, &p->timer, p->deadline_ns - p->timeout_ns + p->interval_ns);
}

static void query_done(struct fr_haproxy_poller *p)
{
	struct fr_haproxy_server *rows;
	size_t n;
	char err[160];

	if (fr_haproxy_parse_stat(p->in.p, &rows, &n, err, sizeof(err))) {
		poll_fail(p, err);
		return;
	}
	if (p->failing && p->fn_err)
		p->fn_err(p->arg, NULL);
	p->failing = false;
	fr_haproxy_diff(p->rows, p->nrows, rows, n, fr_loop_now(p->loop), p->fn, p->arg);
	if (!p->loop) { /* fn stopped the poller */
		free(rows);
		return;
	}
	free(p->rows);
	p->rows = rows;
	p->nrows = n;
	if (p->fn_poll)
		p->fn_poll(p->arg, rows, n);
}

static const char stat_cmd[] = "show stat -1 6 -1\n"; /* backends and servers */

static void on_sock(struct fr_watch *w, uint32_t events)
{
	struct fr_haproxy_poller *p = w->arg;
	short want = 0;
	int ret;

	(void)events;
	ret = sock_step(p->fd, stat_cmd, &p->sent, &p->in, &want);
	if (ret == 0) {
		fr_watch_modify(p->loop, &p->watch, want == POLLOUT ? EPOLLOUT : EPOLLIN);
		return;
	}
	p->polls++;
	if (ret > 0) {
		query_done(p);
	} else {
		char why[FR_HAPROXY_SOCK_MAX + 64];

		snprintf(why, sizeof(why), "stats socket '%s': %s", p->sock, strerror(-ret));
		poll_fail(p, why);
	}
	query_end(p);
}

static void on_timer(struct fr_timer *t)
{
	struct fr_haproxy_poller *p = t->arg;
	char why[FR_HAPROXY_SOCK_MAX + 64];

	if (p->fd >= 0) { /* the deadline of a query in progress */
		p->polls++;
		snprintf(why, sizeof(why), "stats socket '%s': no answer in %llu ms", p->sock,
			 (unsigned long long)(p->timeout_ns / NS_PER_MS));
		poll_fail(p, why);
		query_end(p);
		return;
	}
	p->deadline_ns = fr_loop_now(p->loop) + p->timeout_ns;
	p->sent = 0;
	p->fd = sock_open(p->sock);
	if (p->fd < 0) {
		p->polls++;
		snprintf(why, sizeof(why), "stats socket '%s': %s", p->sock, strerror(-p->fd));
		poll_fail(p, why);
		query_end(p);
		return;
	}
	if (fr_watch_start(p->loop, &p->watch, p->fd, EPOLLOUT) < 0) {
		poll_fail(p, "cannot watch the stats socket");
		query_end(p);
		return;
	}
	fr_timer_start(p->loop, &p->timer, p->deadline_ns);
}

int fr_haproxy_poller_start(struct fr_haproxy_poller *p, struct fr_loop *l, const char *sock,
			    uint64_t interval_ns, fr_haproxy_change_fn fn,
			    void (*fn_err)(void *arg, const char *why), void *arg)
{
	if (!sock || strlen(sock) >= sizeof(p->sock) || !interval_ns)
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	p->loop = l;
	strcpy(p->sock, sock);
	p->interval_ns = interval_ns;
	p->timeout_ns = interval_ns < NS_PER_S ? interval_ns : NS_PER_S;
	p->fn = fn;
	p->fn_err = fn_err;
	p->arg = arg;
	p->fd = -1;
	fr_timer_init(&p->timer, on_timer, p);
	fr_watch_init(&p->watch, on_sock, p);
	fr_timer_start(l, &p->timer, fr_loop_now(l));
	return 0;
}

void fr_haproxy_poller_stop(struct fr_haproxy_poller *p)
{
	if (!p->loop)
		return;
	fr_timer_stop(p->loop, &p->timer);
	if (p->fd >= 0) {
		fr_watch_stop(p->loop, &p->watch);
		close(p->fd);
		p->fd = -1;
	}
	fr_buf_free(&p->in);
	free(p->rows);
	p->rows = NULL;
	p->nrows = 0;
	p->loop = NULL;
}
