/*
 * Ports that can never work, refused where they are written. A port may
 * come from a placeholder (${services.db.port}, ${vars.port}), so it is
 * checked once the run's values are filled in (fr_scenario_instantiate,
 * which `faultrun check` runs too): a service's port, a MySQL
 * connection's, a tcp check's HOST:PORT and an HTTP URL's. Without this,
 * 99999 would reach atoi() and a socket as some other port, or fail every
 * sample of a run as "URL malformed".
 */
#define _GNU_SOURCE
#include "scenario/scenario.h"
#include "scenario/scn_internal.h"

#include <stdbool.h>
#include <string.h>

#define PORT_WANTED "expected a port from 1 to 65535"

/* 1 to 65535, in decimal digits only. */
static bool valid_port(const char *p, size_t n)
{
	unsigned long v = 0;

	if (n == 0 || n > 5)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	return v >= 1 && v <= 65535;
}

static int check_port(const struct fr_str *str, const char *what, char *err, size_t errlen)
{
	if (!str->raw || valid_port(str->val, strlen(str->val)))
		return 0;
	return fr_errorf(err, errlen, str->mark, "%s '%s': " PORT_WANTED, what, str->val);
}

static int check_conn(const struct fr_mysql_conn *c, char *err, size_t errlen)
{
	return check_port(&c->port, "port", err, errlen);
}

/* HOST:PORT (the load made sure of the colon) */
static int check_tcp(const struct fr_str *str, char *err, size_t errlen)
{
	const char *colon = strrchr(str->val, ':');

	if (!colon || valid_port(colon + 1, strlen(colon + 1)))
		return 0;
	return fr_errorf(err, errlen, str->mark, "tcp '%s': " PORT_WANTED " after the ':'",
			 str->val);
}

/* SCHEME://[USERINFO@]HOST[:PORT][/...]: an empty port is the default. */
static int check_url(const struct fr_str *str, char *err, size_t errlen)
{
	const char *p = str->val ? strstr(str->val, "://") : NULL, *end, *at, *colon;

	if (!p)
		return 0;
	p += 3;
	end = p + strcspn(p, "/?#");
	at = memrchr(p, '@', (size_t)(end - p));
	if (at)
		p = at + 1;
	if (*p == '[') {
		p = memchr(p, ']', (size_t)(end - p));
		if (!p)
			return 0; /* not ours to judge: curl says what is wrong */
	}
	colon = memchr(p, ':', (size_t)(end - p));
	if (!colon || colon + 1 == end || valid_port(colon + 1, (size_t)(end - colon - 1)))
		return 0;
	return fr_errorf(err, errlen, str->mark, "url '%s': port '%.*s': " PORT_WANTED, str->val,
			 (int)(end - colon - 1), colon + 1);
}

static int check_check(const struct fr_check *c, char *err, size_t errlen)
{
	switch (c->kind) {
	case FR_CHECK_HTTP:
		return check_url(&c->http.url, err, errlen);
	case FR_CHECK_TCP:
		return check_tcp(&c->tcp, err, errlen);
	case FR_CHECK_MYSQL:
		return check_conn(&c->mysql.conn, err, errlen);
	default:
		return 0;
	}
}

int fr_scenario_check_ports(const struct fr_scenario *s, char *err, size_t errlen)
{
	int ret;

	for (size_t i = 0; i < s->nservices; i++) {
		if ((ret = check_port(&s->services[i].port, "port", err, errlen)))
			return ret;
		for (size_t b = 0; b < s->services[i].lb.nbackends; b++)
			if ((ret = check_port(&s->services[i].lb.backends[b].port, "port", err,
					      errlen)))
				return ret;
	}
	if (s->target.ready.present && (ret = check_check(&s->target.ready.check, err, errlen)))
		return ret;
	for (size_t i = 0; i < s->nprobes; i++)
		if ((ret = check_check(&s->probes[i].check, err, errlen)))
			return ret;
	if (s->load.present && (ret = check_url(&s->load.http.url, err, errlen)))
		return ret;
	for (size_t i = 0; i < s->nsteps; i++) {
		const struct fr_step *st = &s->steps[i];

		ret = 0;
		if (st->kind == FR_STEP_REQUEST)
			ret = check_url(&st->req.http.url, err, errlen);
		else if (st->kind == FR_STEP_MYSQL)
			ret = check_conn(&st->mysql.conn, err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}
