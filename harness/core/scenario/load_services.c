/*
 * The `services:` section (processes faultrun runs beside the target, and
 * databases: an existing server, or one faultrun starts), their start
 * order (depends-on), and the check of every ${services.NAME.FIELD}
 * once all services are known.
 */
#define _GNU_SOURCE
#include "scenario/load.h"
#include "scenario/scn_internal.h"

#include <stdio.h>
#include <string.h>

/* A service type: one row, the runner starting what it names. */
static const struct service_type {
	const char *name;
	enum fr_service_type type;
	bool alias; /* accepted, not listed in messages */
} service_types[] = {
	{ "process", FR_SERVICE_PROCESS, false },
	{ "mariadb", FR_SERVICE_MARIADB, false },
	{ "haproxy", FR_SERVICE_HAPROXY, false },
	{ "mysql", FR_SERVICE_MARIADB, true },
};

static const char *const service_keys[] = {
	"type", "host", "port", "socket", "user", "password", "database",
};

static int parse_type(struct loader *L, yaml_node_t *v, const char *what, struct fr_service *sv)
{
	const char *names[NKEYS(service_types)], *listed[NKEYS(service_types)];
	size_t nlisted = 0;
	char known[128];
	yaml_node_t *x;
	const char *type;
	int ret;

	for (size_t i = 0; i < NKEYS(service_types); i++) {
		names[i] = service_types[i].name;
		if (!service_types[i].alias)
			listed[nlisted++] = service_types[i].name;
	}
	scn_join(known, sizeof(known), listed, nlisted, ", ");
	if (!(x = scn_get(L, v, "type")))
		return scn_fail(L, v, "%s has no 'type' (%s)", what, known);
	if ((ret = scn_get_string(L, x, "type", &type)))
		return ret;
	for (size_t i = 0; i < NKEYS(service_types); i++)
		if (strcmp(type, service_types[i].name) == 0) {
			sv->type = service_types[i].type;
			return 0;
		}
	return scn_fail(L, x, "unknown service type '%s'%s (known: %s)", type,
			scn_suggest(L, fr_nearest(type, names, NKEYS(names))), known);
}

static int parse_service(struct loader *L, yaml_node_t *k, yaml_node_t *v, struct fr_service *sv)
{
	struct fr_str *strs[] = { &sv->host, &sv->port,	    &sv->socket,
				  &sv->user, &sv->password, &sv->database };
	char what[96];
	int ret;

	if ((ret = scn_get_name(L, k, "service name", &sv->name)))
		return ret;
	snprintf(what, sizeof(what), "service '%s'", sv->name);
	sv->mark = scn_mark(L, k);
	if ((ret = scn_want_map(L, v, what)) || (ret = parse_type(L, v, what, sv)))
		return ret;
	if (fr_service_is_unit(sv->type) && strcmp(sv->name, "target") == 0)
		return scn_fail(L, k, "'target' names the target; call the service something else");
	if (sv->type == FR_SERVICE_PROCESS) {
		static const char *const extra[] = { "type", "depends-on" };

		return scn_parse_proc(L, v, sv->name, what, extra, NKEYS(extra), &sv->proc);
	}
	if (sv->type == FR_SERVICE_HAPROXY)
		return scn_parse_haproxy(L, v, what, sv);
	if ((ret = scn_check_keys(L, v, service_keys, NKEYS(service_keys), what)))
		return ret;
	/* service_keys after "type", in the order of strs */
	for (size_t j = 0; j < NKEYS(strs); j++)
		if ((ret = scn_opt_fstr(L, v, service_keys[j + 1], strs[j])))
			return ret;
	sv->external = sv->host.raw || sv->socket.raw;
	if (!sv->external && (sv->port.raw || sv->user.raw || sv->password.raw || sv->database.raw))
		return scn_fail(L, v,
				"%s: 'port', 'user', 'password' and 'database' "
				"describe an existing server; give its 'host' or "
				"'socket' too (or none of them for an embedded one)",
				what);
	return 0;
}

/*
 * depends-on: NAME or [NAME...]: services of this scenario, not itself,
 * or the target (then it starts once the target is ready). A haproxy
 * service depends on its backends too.
 */
static int parse_deps(struct loader *L, yaml_node_t *v, size_t self)
{
	struct fr_service *sv = &L->s->services[self];
	yaml_node_t *x = scn_get(L, v, "depends-on");
	size_t n = x ? (x->type == YAML_SEQUENCE_NODE ? scn_seq_len(x) : 1) : 0;
	int ret;

	sv->deps = fr_arena_alloc(L->s->arena, (n + sv->lb.nbackends + 1) * sizeof(int));
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *y = x->type == YAML_SEQUENCE_NODE ? scn_seq_item(L, x, i) : x;
		const char *name, *cands[65] = { "target" };
		size_t nc = 1;
		int found = -1;

		if ((ret = scn_get_string(L, y, "depends-on", &name)))
			return ret;
		if (!strcmp(name, "target") && fr_service_is_unit(sv->type)) {
			sv->after_target = true;
			continue;
		}
		for (size_t j = 0; j < L->s->nservices; j++) {
			if (strcmp(L->s->services[j].name, name) == 0)
				found = (int)j;
			if (j != self && nc < NKEYS(cands))
				cands[nc++] = L->s->services[j].name;
		}
		if (found < 0)
			return scn_fail(L, y,
					"service '%s' depends on '%s', which is not a service%s",
					sv->name, name,
					scn_suggest(L, fr_nearest(name, cands, nc)));
		if ((size_t)found == self)
			return scn_fail(L, y, "service '%s' depends on itself", sv->name);
		sv->deps[sv->ndeps++] = found;
	}
	return sv->type == FR_SERVICE_HAPROXY ? scn_haproxy_resolve(L, v, self) : 0;
}

/*
 * The start order: a service after every service it depends on, else in
 * the order of the file (a depth-first walk). A cycle is an error at the
 * depends-on that closes it. state: 0 new, 1 on the walk, 2 placed.
 */
static int place(struct loader *L, yaml_node_t *n, size_t i, char *state)
{
	struct fr_scenario *s = L->s;
	int ret;

	if (state[i] == 2)
		return 0;
	if (state[i] == 1) {
		yaml_node_t *v = scn_pair_value(L, n, i);
		return scn_fail(L, scn_get(L, v, "depends-on"),
				"services depend on each other in a cycle through '%s'",
				s->services[i].name);
	}
	state[i] = 1;
	for (size_t d = 0; d < s->services[i].ndeps; d++)
		if ((ret = place(L, n, (size_t)s->services[i].deps[d], state)))
			return ret;
	state[i] = 2;
	for (size_t d = 0; d < s->services[i].ndeps; d++)
		s->services[i].after_target |= s->services[s->services[i].deps[d]].after_target;
	if (fr_service_is_unit(s->services[i].type))
		s->start_order[s->nstart++] = (int)i;
	return 0;
}

/*
 * Those that start after the target go last, keeping their order. A
 * service that depends on one after the target is after the target too
 * (place()), so the split order is still a depends-on order.
 */
static void split_order(struct fr_scenario *s)
{
	int *tmp = fr_arena_alloc(s->arena, (s->nstart + 1) * sizeof(int));
	size_t k = 0;

	for (size_t i = 0; i < s->nstart; i++)
		if (!s->services[s->start_order[i]].after_target)
			tmp[k++] = s->start_order[i];
	s->nbefore = k;
	for (size_t i = 0; i < s->nstart; i++)
		if (s->services[s->start_order[i]].after_target)
			tmp[k++] = s->start_order[i];
	memcpy(s->start_order, tmp, s->nstart * sizeof(int));
}

int scn_parse_services(struct loader *L, yaml_node_t *n)
{
	struct fr_scenario *s = L->s;
	char *state;
	int ret;

	if ((ret = scn_want_named(L, n, "services")))
		return ret;
	s->nservices = scn_map_len(n);
	s->services = fr_arena_alloc(s->arena, (s->nservices + 1) * sizeof(*s->services));
	s->start_order = fr_arena_alloc(s->arena, (s->nservices + 1) * sizeof(int));
	state = fr_arena_alloc(s->arena, s->nservices + 1);
	for (size_t i = 0; i < s->nservices; i++)
		if ((ret = parse_service(L, scn_pair_key(L, n, i), scn_pair_value(L, n, i),
					 &s->services[i])))
			return ret;
	for (size_t i = 0; i < s->nservices; i++)
		if ((ret = parse_deps(L, scn_pair_value(L, n, i), i)))
			return ret;
	for (size_t i = 0; i < s->nservices; i++)
		if ((ret = place(L, n, i, state)))
			return ret;
	split_order(s);
	return 0;
}

/* ---- ${services.NAME.FIELD} ------------------------------------------------- */

static bool has_service(const struct fr_scenario *s, const char *name)
{
	for (size_t j = 0; j < s->nservices; j++)
		if (strcmp(s->services[j].name, name) == 0)
			return true;
	return false;
}

/*
 * One ${services.NAME.FIELD} (the token t): the field is what follows
 * the first '.' after NAME, up to ":-" or the end.
 */
static int check_ref(struct loader *L, const struct fr_str *str, const struct fr_ph *t)
{
	const char *name = t->text + 11, *close = t->text + t->len - 1;
	const char *dot = memchr(name, '.', (size_t)(close - name));
	const char *fend = close, *colon, *cands[32];
	int reflen = (int)t->len;
	char svc[64], field[64];
	size_t nc = 0;

	if (!dot)
		return fr_errorf(L->err, L->errlen, str->mark,
				 "'%.*s' needs a field: ${services.NAME.FIELD}", reflen, t->text);
	snprintf(svc, sizeof(svc), "%.*s", (int)(dot - name), name);
	colon = memmem(dot + 1, (size_t)(close - dot - 1), ":-", 2);
	if (colon)
		fend = colon;
	snprintf(field, sizeof(field), "%.*s", (int)(fend - dot - 1), dot + 1);
	if (!has_service(L->s, svc)) {
		for (size_t j = 0; j < L->s->nservices && nc < 32; j++)
			cands[nc++] = L->s->services[j].name;
		return fr_errorf(L->err, L->errlen, str->mark, "unknown service '%s' in '%.*s'%s",
				 svc, reflen, t->text, scn_suggest(L, fr_nearest(svc, cands, nc)));
	}
	for (size_t j = 0; j < fr_service_nfields; j++)
		if (strcmp(fr_service_fields[j], field) == 0)
			return 0;
	return fr_errorf(L->err, L->errlen, str->mark, "unknown service field '%s' in '%.*s'%s",
			 field, reflen, t->text,
			 scn_suggest(L, fr_nearest(field, fr_service_fields, fr_service_nfields)));
}

/*
 * The placeholders of str from p on; with end, only those that start
 * before it. A placeholder inside another one (in its default, or in the
 * text a --set or environment value brought) is checked too.
 */
static int check_refs_in(struct loader *L, const struct fr_str *str, const char *p, const char *end)
{
	struct fr_ph t;
	int ret;

	while (fr_ph_next(&p, &t) && (!end || t.text < end)) {
		if (t.kind != FR_PH_PLACEHOLDER)
			continue;
		/* "${services.}" too: it needs a field */
		if (strncmp(t.text, "${services.", 11) == 0 && (ret = check_ref(L, str, &t)))
			return ret;
		if ((ret = check_refs_in(L, str, t.text + 2, t.text + t.len - 1)))
			return ret;
	}
	return 0;
}

static int check_str(struct fr_scenario *s, struct fr_str *str, void *arg)
{
	(void)s;
	return check_refs_in(arg, str, str->raw, NULL);
}

int scn_check_service_refs(struct loader *L)
{
	return fr_scenario_visit_strs(L->s, check_str, L);
}
