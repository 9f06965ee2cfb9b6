/*
 * lb-tool — io/haproxy.c's functions as a command, for the tests/lb scripts.
 *
 *   lb-tool conf DIR --sock PATH --listen PORT --backend NAME=HOST:PORT...
 *                    [--name N] [--check PATH] [--interval MS] [--timeout MS]
 *                    [--rise N] [--fall N] [--down 502|503] [--server-timeout MS]
 *       writes DIR/<name>.cfg, prints its path; exit 2 on a refused input
 *   lb-tool argv CFG        prints the command that runs HAProxy, one word a line
 *   lb-tool ready SOCK MS   exit 0 when the stats socket answers "show info"
 *   lb-tool stat SOCK       one line per row: proxy/name STATE status check
 *   lb-tool parse FILE      the same from a saved "show stat" answer
 *   lb-tool watch SOCK MS SECONDS
 *       polls every MS through the event loop for SECONDS (or until
 *       SIGTERM); one line per change: "+MS proxy/name BEFORE -> AFTER check"
 */
#define _GNU_SOURCE
#include "io/haproxy.h"
#include "util/loop.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MS 1000000ULL

static int usage(void)
{
	fprintf(stderr, "usage: lb-tool conf|argv|ready|stat|parse|watch ... (see lb-tool.c)\n");
	return 2;
}

static unsigned long num(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (!*s || *end) {
		fprintf(stderr, "lb-tool: not a number: '%s'\n", s);
		exit(2);
	}
	return v;
}

static int cmd_conf(int argc, char **argv)
{
	static struct fr_haproxy_backend b[16];
	struct fr_haproxy_conf c = { .backends = b };
	char path[PATH_MAX], err[512];

	for (int i = 1; i + 1 < argc; i += 2) {
		const char *k = argv[i], *v = argv[i + 1];

		if (!strcmp(k, "--sock")) {
			c.stats_socket = v;
		} else if (!strcmp(k, "--listen")) {
			c.listen_port = num(v);
		} else if (!strcmp(k, "--name")) {
			c.name = v;
		} else if (!strcmp(k, "--check")) {
			c.check_path = v;
		} else if (!strcmp(k, "--interval")) {
			c.check_interval_ns = num(v) * MS;
		} else if (!strcmp(k, "--timeout")) {
			c.check_timeout_ns = num(v) * MS;
		} else if (!strcmp(k, "--server-timeout")) {
			c.server_timeout_ns = num(v) * MS;
		} else if (!strcmp(k, "--rise")) {
			c.rise = num(v);
		} else if (!strcmp(k, "--fall")) {
			c.fall = num(v);
		} else if (!strcmp(k, "--down")) {
			c.down_status = (int)num(v);
		} else if (!strcmp(k, "--backend") && c.nbackends < 16) {
			/* NAME=HOST:PORT, the port after the last ':' */
			char *s = strdup(v), *eq = strchr(s, '='), *colon = strrchr(s, ':');

			if (!eq || !colon || colon < eq)
				return usage();
			*eq = *colon = 0;
			b[c.nbackends++] = (struct fr_haproxy_backend){ s, eq + 1, num(colon + 1) };
		} else {
			return usage();
		}
	}
	if (fr_haproxy_conf_write(&c, argv[0], path, sizeof(path), err, sizeof(err))) {
		fprintf(stderr, "lb-tool: %s\n", err);
		return 2;
	}
	puts(path);
	return 0;
}

static void print_row(const struct fr_haproxy_server *s)
{
	printf("%s/%s %s [%s] %s\n", s->proxy, s->name, fr_haproxy_state_name(s->state), s->status,
	       s->check[0] ? s->check : "-");
}

static int print_stat(const char *csv)
{
	struct fr_haproxy_server *rows;
	size_t n;
	char err[256];

	if (fr_haproxy_parse_stat(csv, &rows, &n, err, sizeof(err))) {
		fprintf(stderr, "lb-tool: %s\n", err);
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		print_row(&rows[i]);
	free(rows);
	return 0;
}

static uint64_t t0;

static void on_change(void *arg, const struct fr_haproxy_change *ch)
{
	printf("+%llu %s/%s %s -> %s %s\n",
	       (unsigned long long)((ch->at_ns - t0) / MS), ch->now->proxy, ch->now->name,
	       fr_haproxy_state_name(ch->before), fr_haproxy_state_name(ch->now->state),
	       ch->now->check[0] ? ch->now->check : "-");
	fflush(stdout);
	(void)arg;
}

static void on_err(void *arg, const char *why)
{
	printf("%s\n", why ? why : "stats socket answers again");
	fflush(stdout);
	(void)arg;
}

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static int cmd_watch(const char *sock, unsigned long interval_ms, unsigned long secs)
{
	struct fr_loop *l = fr_loop_create();
	struct fr_haproxy_poller p;
	uint64_t end;

	signal(SIGTERM, on_term);
	t0 = fr_loop_now(l);
	end = t0 + secs * 1000 * MS;
	if (fr_haproxy_poller_start(&p, l, sock, interval_ms * MS, on_change, on_err, NULL))
		return 2;
	while (!stop && fr_loop_now(l) < end)
		fr_loop_step(l, 100 * MS);
	fprintf(stderr, "lb-tool: %lu polls, %lu failed\n", p.polls, p.failures);
	fr_haproxy_poller_stop(&p);
	fr_loop_destroy(l);
	return 0;
}

int main(int argc, char **argv)
{
	struct fr_buf b = { 0 };
	char err[512];

	if (argc < 3)
		return usage();
	if (!strcmp(argv[1], "conf"))
		return cmd_conf(argc - 2, argv + 2);
	if (!strcmp(argv[1], "argv")) {
		const char *av[5], *prog = fr_haproxy_program();

		if (!prog) {
			fprintf(stderr, "lb-tool: no haproxy\n");
			return 1;
		}
		fr_haproxy_argv(prog, argv[2], av);
		for (int i = 0; av[i]; i++)
			puts(av[i]);
		return 0;
	}
	if (!strcmp(argv[1], "ready") && argc == 4) {
		if (fr_haproxy_ready(argv[2], num(argv[3]) * MS, err, sizeof(err))) {
			fprintf(stderr, "lb-tool: %s\n", err);
			return 1;
		}
		return 0;
	}
	if (!strcmp(argv[1], "stat")) {
		if (fr_haproxy_command(argv[2], "show stat -1 6 -1", 1000 * MS, &b, err,
				       sizeof(err))) {
			fprintf(stderr, "lb-tool: %s\n", err);
			return 1;
		}
		int ret = print_stat(b.p);

		fr_buf_free(&b);
		return ret;
	}
	if (!strcmp(argv[1], "parse")) {
		FILE *f = fopen(argv[2], "re");
		char buf[65536];
		size_t n;

		if (!f)
			return 1;
		while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
			fr_buf_add(&b, buf, n);
		fclose(f);
		int ret = print_stat(b.p);

		fr_buf_free(&b);
		return ret;
	}
	if (!strcmp(argv[1], "watch") && argc == 5)
		return cmd_watch(argv[2], num(argv[3]), num(argv[4]));
	return usage();
}
