/*
 * faultrun — everything before the target starts: the run directory and
 * the control blocks, the seed, free ports, services (an embedded MariaDB),
 * the scenario's placeholders, the faults and the series; and where a
 * service or a MySQL check connects.
 */
#define _GNU_SOURCE
#include "run/run_internal.h"
#include "io/launch.h"
#include "util/xalloc.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * Ports the kernel never hands out by itself: below (or above) the
 * ephemeral range of ip_local_port_range (ip(7)). A port taken with
 * bind(0) is in that range, and between its close here and the service's
 * own bind any outgoing connection on the machine may get it as its local
 * port; the service then fails with EADDRINUSE (seen when two test passes
 * ran side by side). Outside the range only another explicit bind can
 * take it. *lo..*hi is where to draw from; false: no room, use bind(0).
 */
static bool unassigned_range(unsigned *lo, unsigned *hi)
{
	unsigned elo = 32768, ehi = 60999;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "re");

	if (f) {
		if (fscanf(f, "%u %u", &elo, &ehi) != 2)
			elo = 32768, ehi = 60999;
		fclose(f);
	}
	if (elo >= 12000) {
		*lo = 10000, *hi = elo - 1;
		return true;
	}
	if (ehi <= 63000) {
		*lo = ehi + 1, *hi = 65535;
		return true;
	}
	return false;
}

/* A port of 127.0.0.1 nothing is bound to now: p, or 0 to let the kernel choose. */
static int try_port(unsigned p, unsigned *out)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				 .sin_port = htons((uint16_t)p) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), ret = 0;

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		ret = -errno;
	close(fd);
	*out = ntohs(a.sin_port);
	return ret;
}

static int free_port(unsigned *out, const unsigned *taken, size_t ntaken)
{
	unsigned lo = 0, hi = 0;
	bool outside = unassigned_range(&lo, &hi);

	for (int tries = 0; tries < 200; tries++) {
		unsigned r = 0, p = 0;
		bool dup = false;
		int ret;

		if (outside && tries < 150 && getrandom(&r, sizeof(r), 0) != sizeof(r))
			r = (unsigned)rand();
		ret = try_port(outside && tries < 150 ? lo + r % (hi - lo + 1) : 0, &p);
		if (ret == -EADDRINUSE)
			continue;
		if (ret < 0)
			return ret;
		for (size_t i = 0; i < ntaken; i++)
			dup |= taken[i] == p;
		if (!dup) {
			*out = p;
			return 0;
		}
	}
	return -EADDRINUSE;
}

const char *run_service_value(void *opaque, const char *svc, const char *field)
{
	struct run *r = opaque;
	static __thread char num[16];

	for (size_t i = 0; i < r->s->nservices; i++) {
		const struct fr_service *sv = &r->s->services[i];
		if (strcmp(sv->name, svc))
			continue;
		if (sv->type == FR_SERVICE_HAPROXY) /* where users connect */
			return !strcmp(field, "host") ? "127.0.0.1" :
			       !strcmp(field, "port") ? sv->port.val :
							NULL;
		if (sv->external) {
			const struct fr_str *f =
				!strcmp(field, "host")	 ? &sv->host :
				!strcmp(field, "port")	 ? &sv->port :
				!strcmp(field, "socket") ? &sv->socket :
				!strcmp(field, "user") || !strcmp(field, "admin_user") ?
							   &sv->user :
				!strcmp(field, "password") || !strcmp(field, "admin_password") ?
							   &sv->password :
				!strcmp(field, "database") ? &sv->database :
							     NULL;
			if (f && f->raw)
				return f->val;
			if (!strcmp(field, "port") && sv->host.raw)
				return "3306";
			return NULL;
		}
		struct fr_mariadb *db = r->dbs ? r->dbs[i] : NULL;
		if (!db)
			return NULL;
		if (!strcmp(field, "host"))
			return fr_mariadb_host(db);
		if (!strcmp(field, "port")) {
			snprintf(num, sizeof(num), "%u", fr_mariadb_port(db));
			return num;
		}
		if (!strcmp(field, "socket"))
			return fr_mariadb_socket(db);
		if (!strcmp(field, "user"))
			return fr_mariadb_user(db);
		if (!strcmp(field, "password"))
			return fr_mariadb_password(db);
		if (!strcmp(field, "password_file"))
			return fr_mariadb_password_file(db);
		if (!strcmp(field, "database"))
			return fr_mariadb_database(db);
		if (!strcmp(field, "admin_user"))
			return fr_mariadb_admin_user(db);
		if (!strcmp(field, "admin_password"))
			return fr_mariadb_admin_password(db);
	}
	return NULL;
}

/* Where a mysql probe/action connects: its service, overridden by fields. */
int run_mysql_params(struct run *r, const struct fr_mysql_conn *c, struct fr_mysql_params *p)
{
	memset(p, 0, sizeof(*p));
	if (c->service) {
		p->host = run_service_value(r, c->service, "host");
		const char *port = run_service_value(r, c->service, "port");
		p->port = port ? (unsigned)atoi(port) : 0;
		p->socket = run_service_value(r, c->service, "socket");
		p->user = run_service_value(r, c->service, c->admin ? "admin_user" : "user");
		p->password =
			run_service_value(r, c->service, c->admin ? "admin_password" : "password");
		p->database = run_service_value(r, c->service, "database");
		p->target_user = run_service_value(r, c->service, "user");
		/* the embedded server: prefer TCP, as a target would */
		if (p->host)
			p->socket = NULL;
	}
	if (c->host.raw) {
		p->host = c->host.val;
		p->socket = NULL;
	}
	if (c->port.raw)
		p->port = (unsigned)atoi(c->port.val);
	if (c->socket.raw) {
		p->socket = c->socket.val;
		p->host = NULL;
	}
	if (c->user.raw)
		p->user = c->user.val;
	if (c->password.raw)
		p->password = c->password.val;
	if (c->database.raw)
		p->database = c->database.val;
	if (!p->target_user)
		p->target_user = p->user;
	p->connect_timeout_ms = (unsigned)(c->connect_timeout_ns / 1000000);
	p->read_timeout_ms = (unsigned)(c->read_timeout_ns / 1000000);
	p->write_timeout_ms = (unsigned)(c->write_timeout_ns / 1000000);
	return p->host || p->socket ? 0 : -EINVAL;
}

/* The run directory, named after the scenario, and its control block's path. */
static int make_run_dir(struct run *r)
{
	char tag[41];
	size_t k = 0;
	int ret;

	/* the name is free text; the directory's tag is not */
	for (const char *p = r->s->name; *p && k < sizeof(tag) - 1; p++)
		tag[k++] = (isalnum((unsigned char)*p) || *p == '-' || *p == '_' || *p == '.') ?
				   *p :
				   '_';
	tag[k] = 0;
	if (!k || tag[0] == '.')
		snprintf(tag, sizeof(tag), "run");
	if (r->s->target.user.raw) {
		char err[300];

		ret = fr_user_lookup(r->s->target.user.raw, &r->tg.user, err, sizeof(err));
		if (ret < 0) {
			snprintf(r->error, sizeof(r->error), "target.%s", err);
			return -1;
		}
		r->tg.have_user = true;
	}
	/* a target that runs as another user gets a run directory it can use */
	ret = fr_rundir_create_for(tag, r->tg.have_user ? &r->tg.user : NULL, r->run_dir,
				   sizeof(r->run_dir));
	if (ret < 0) {
		snprintf(r->error, sizeof(r->error), "cannot create a run directory: %s",
			 fr_rundir_why(ret));
		return -1;
	}
	r->have_run_dir = true;
	snprintf(r->ctl_path, sizeof(r->ctl_path), "%s/ctl", r->run_dir);
	/* every process of the run is kept in hand from here on (io/reap.h) */
	char how[PATH_MAX + 256];
	fr_reap_begin(r->ctl_path, how, sizeof(how));
	run_say(r, "processes of the run: %s", how);
	return 0;
}

static void pick_seed(struct run *r)
{
	if (r->s->seed_set) {
		r->seed = r->s->seed;
		return;
	}
	if (getrandom(&r->seed, sizeof(r->seed), 0) != sizeof(r->seed))
		r->seed = fr_now_ns() ^ ((uint64_t)getpid() << 32);
	/* exact in a JSON number (2^53) */
	r->seed &= (1ull << 53) - 1;
}

static int pick_ports(struct run *r)
{
	r->ports = fr_xcalloc(r->s->nports + 1, sizeof(unsigned));
	for (size_t i = 0; i < r->s->nports; i++) {
		int ret = free_port(&r->ports[i], r->ports, i);

		if (ret < 0) {
			snprintf(r->error, sizeof(r->error), "cannot find a free loopback port: %s",
				 strerror(-ret));
			return -1;
		}
	}
	return 0;
}

/* The services the run provides itself (an embedded MariaDB each). */
static int start_services(struct run *r)
{
	const struct fr_scenario *s = r->s;
	char err[1024];

	r->dbs = fr_xcalloc(s->nservices + 1, sizeof(*r->dbs));
	for (size_t i = 0; i < s->nservices; i++) {
		if (s->services[i].external || s->services[i].type != FR_SERVICE_MARIADB)
			continue;
		run_say(r, "starting %s (%s)", s->services[i].name, "mariadb");
		if (fr_mariadb_start(r->run_dir, &r->dbs[i], err, sizeof(err)) < 0) {
			snprintf(r->error, sizeof(r->error), "service '%s': %s",
				 s->services[i].name, run_unprefix(err));
			return -1;
		}
		fr_sentinel_group(fr_mariadb_pid(r->dbs[i]), true);
		run_say(r, "%s is up on port %u (%.2fs%s)", s->services[i].name,
			fr_mariadb_port(r->dbs[i]), fr_mariadb_start_seconds(r->dbs[i]),
			fr_mariadb_cache_was_cold(r->dbs[i]) ? ", first run: data "
							       "directory initialised" :
							       "");
	}
	return 0;
}

/* Is fault f in the unit tg? */
static bool fault_in(const struct fr_fault *f, const struct target *tg)
{
	for (size_t k = 0; k < f->nin; k++)
		if (f->in[k] == tg->proc)
			return true;
	return false;
}

/*
 * A unit's control block, with the faults that name it published
 * (disarmed): the target's is the run's ctl, a service's ctl.NAME. One
 * block per unit keeps a rule out of every other unit's processes.
 */
static int publish_faults(struct target *tg)
{
	struct run *r = tg->r;
	const struct fr_scenario *s = r->s;
	int ret;

	if (tg->proc)
		snprintf(tg->ctl_path, sizeof(tg->ctl_path), "%s/ctl.%s", r->run_dir, tg->service);
	else
		snprintf(tg->ctl_path, sizeof(tg->ctl_path), "%s", r->ctl_path);
	ret = fr_ctl_create(tg->ctl_path, r->seed, &tg->ctl);
	if (ret < 0) {
		snprintf(r->error, sizeof(r->error), "cannot create the control block '%s': %s",
			 tg->ctl_path, strerror(-ret));
		return -1;
	}
	ret = tg->have_user ? fr_user_give(&tg->user, tg->ctl_path) : 0;
	if (ret < 0) {
		snprintf(r->error, sizeof(r->error), "cannot give '%s' to user '%s': %s",
			 tg->ctl_path, tg->user.name, strerror(-ret));
		return -1;
	}
	/* if faultrun dies, the sentinel sweeps this block's processes too */
	if (tg->proc)
		fr_sentinel_run(tg->ctl_path, true);
	run_attach_start(tg);
	tg->slot = fr_xcalloc(s->nfaults + 1, sizeof(int));
	for (size_t i = 0; i < s->nfaults; i++) {
		tg->slot[i] = -1;
		if (!fault_in(&s->faults[i], tg))
			continue;
		tg->slot[i] = fr_ctl_add(tg->ctl, &s->faults[i].rule, false);
		if (tg->slot[i] < 0) {
			snprintf(r->error, sizeof(r->error), "cannot publish fault '%s': %s",
				 s->faults[i].name, strerror(-tg->slot[i]));
			return -1;
		}
	}
	return 0;
}

/* A process service's user, looked up now (the target's was, for the run directory). */
static int unit_user(struct target *tg)
{
	char err[300];

	if (!tg->proc || !tg->cfg->user.raw)
		return 0;
	if (fr_user_lookup(tg->cfg->user.raw, &tg->user, err, sizeof(err)) < 0) {
		snprintf(tg->r->error, sizeof(tg->r->error), "services.%s.%s", tg->service, err);
		return -1;
	}
	tg->have_user = true;
	return 0;
}

/* Every unit: its command, output, log and (under the shim) its block. */
static int setup_units(struct run *r)
{
	const struct fr_scenario *s = r->s;

	r->armed = fr_xcalloc(s->nfaults + 1, sizeof(bool));
	r->ff = fr_xcalloc(s->nfaults + 1, sizeof(*r->ff));
	r->specs = fr_xcalloc(s->nfaults + 1, sizeof(*r->specs));
	for (size_t i = 0; i < s->nfaults; i++)
		fr_rule_format(&s->faults[i].rule, r->specs[i], sizeof(r->specs[i]));
	for (int p = 0; p <= (int)s->nservices; p++) {
		struct target *tg = run_proc(r, p);

		if (p && !fr_service_is_unit(s->services[p - 1].type))
			continue;
		if (p && s->services[p - 1].type == FR_SERVICE_HAPROXY && run_lb_setup(tg) < 0)
			return -1;
		if (unit_user(tg) < 0 || run_target_setup(tg) < 0)
			return -1;
		/* the target always has one: FAULTRUN_CTL of probes and steps */
		if ((tg->shim || tg->sec || !p) && publish_faults(tg) < 0)
			return -1;
	}
	return 0;
}

/*
 * Everything before the target starts. Returns 0, or -1 with r->error set
 * (the run could not happen).
 */
int run_setup(struct run *r)
{
	char err[1024];

	if (make_run_dir(r) < 0)
		return -1;
	pick_seed(r);
	if (pick_ports(r) < 0 || start_services(r) < 0)
		return -1;
	struct fr_runctx ctx = {
		.run_dir = r->run_dir,
		.ports = r->ports,
		.service = run_service_value,
		.opaque = r,
	};
	if (fr_scenario_instantiate(r->s, &ctx, err, sizeof(err)) < 0) {
		snprintf(r->error, sizeof(r->error), "%s", err);
		return -1;
	}
	return setup_units(r);
}

static const char *series_kind(const struct fr_scenario *s, const struct fr_series_def *d)
{
	if (d->kind == FR_SERIES_LOAD)
		return "load";
	if (d->kind == FR_SERIES_REQUEST)
		return "request";
	return fr_check_kind_name(s->probes[d->index].check.kind);
}

/* What a series measures, for humans (malloc'd). */
static char *series_what(const struct fr_scenario *s, const struct fr_series_def *d)
{
	if (d->kind == FR_SERIES_LOAD)
		return fr_xasprintf("%s %s at %g/s", run_http_method(&s->load.http),
				    s->load.http.url.val, s->load.rate);
	if (d->kind == FR_SERIES_PROBE)
		return run_check_what(&s->probes[d->index].check);
	for (size_t i = 0; i < s->nsteps; i++)
		if (s->steps[i].kind == FR_STEP_REQUEST &&
		    s->steps[i].req.series == fr_scenario_series(s, d->name))
			return fr_xasprintf("%s %s", run_http_method(&s->steps[i].req.http),
					    s->steps[i].req.http.url.val);
	return fr_xstrdup("requests");
}

/* The series of the probes, the load and the timeline's requests. */
void run_series_init(struct run *r)
{
	const struct fr_scenario *s = r->s;

	for (size_t i = 0; i < s->nseries; i++) {
		const struct fr_series_def *d = &s->series[i];
		const struct fr_probe *p = d->kind == FR_SERIES_PROBE ? &s->probes[d->index] : NULL;
		uint64_t interval = p			      ? p->interval_ns :
				    d->kind == FR_SERIES_LOAD ? (uint64_t)(1e9 / s->load.rate) :
								0;
		uint64_t timeout = p			     ? p->timeout_ns :
				   d->kind == FR_SERIES_LOAD ? s->load.timeout_ns :
							       0;

		if (d->kind == FR_SERIES_REQUEST)
			for (size_t k = 0; k < s->nsteps; k++)
				if (s->steps[k].kind == FR_STEP_REQUEST &&
				    s->steps[k].req.series == (int)i)
					timeout = s->steps[k].req.timeout_ns;
		/* the series keeps "what" in the scenario's arena */
		char *what = series_what(s, d);
		fr_series_init(&r->series[i], d->name, series_kind(s, d),
			       fr_arena_strdup(s->arena, what), interval, timeout,
			       p ? &p->lb : NULL);
		free(what);
	}
}

void run_stop_services(struct run *r)
{
	for (size_t i = 0; r->dbs && i < r->s->nservices; i++)
		if (r->dbs[i]) {
			pid_t pg = fr_mariadb_pid(r->dbs[i]);
			fr_mariadb_stop(r->dbs[i]);
			fr_sentinel_group(pg, false);
			r->dbs[i] = NULL;
		}
}
