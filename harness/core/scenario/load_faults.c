/*
 * The `faults:` section: NAME: "SPEC" (the one-line rule syntax of
 * faultrun(1)), or NAME: {FIELD: VALUE, ...}. The rules themselves are
 * parsed at instantiation (subst.c), when ${run_dir} is known; here only
 * the field names are checked, so `faultrun check` reports them early.
 */
#define _GNU_SOURCE
#include "scenario/load.h"
#include "scenario/scn_internal.h"

#include <stdio.h>
#include <string.h>

/* ops: [write, fsync] -> "write,fsync" */
static int get_ops(struct loader *L, yaml_node_t *fv, struct fr_kv *kv)
{
	char buf[256];
	size_t off = 0;
	int ret;

	buf[0] = 0;
	for (size_t q = 0; q < scn_seq_len(fv); q++) {
		const char *o;
		if ((ret = scn_get_string(L, scn_seq_item(L, fv, q), "an op", &o)))
			return ret;
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s", q ? "," : "", o);
		if (off >= sizeof(buf))
			return scn_fail(L, fv, "too many ops");
	}
	kv->value.raw = kv->value.val = fr_arena_strdup(L->s->arena, buf);
	kv->value.mark = scn_mark(L, fv);
	return 0;
}

/* One FIELD: VALUE of the mapping form. */
static int parse_field(struct loader *L, struct fr_fault *f, yaml_node_t *fk, yaml_node_t *fv)
{
	const char *key = scn_scalar(fk);
	struct fr_kv *kv;
	int ret;

	if (strcmp(key, "may-not-fire") == 0)
		return scn_get_bool(L, fv, "may-not-fire", &f->may_not_fire);
	if (strcmp(key, "name") == 0)
		return scn_fail(L, fk, "a fault's name is its key ('%s'); remove 'name'", f->name);
	kv = &f->fields[f->nfields++];
	kv->key = fr_arena_strdup(L->s->arena, key);
	if (fv->type == YAML_SEQUENCE_NODE && (!strcmp(key, "op") || !strcmp(key, "ops")))
		return get_ops(L, fv, kv);
	if ((ret = scn_get_fstr(L, fv, key, &kv->value)))
		return ret;
	/* key marks go in the key's place for field errors */
	kv->value.mark = scn_mark(L, fk);
	return 0;
}

static int parse_fields(struct loader *L, yaml_node_t *v, struct fr_fault *f)
{
	char what[96];
	int ret;

	snprintf(what, sizeof(what), "fault '%s'", f->name);
	if ((ret = scn_check_keys(L, v, NULL, 0, what)))
		return ret;
	f->fields = fr_arena_alloc(L->s->arena, (scn_map_len(v) + 1) * sizeof(struct fr_kv));
	for (size_t j = 0; j < scn_map_len(v); j++)
		if ((ret = parse_field(L, f, scn_pair_key(L, v, j), scn_pair_value(L, v, j))))
			return ret;
	/* check field names now so 'check' reports them early */
	for (size_t j = 0; j < f->nfields; j++) {
		struct fr_rule r;
		char e[256];
		fr_rule_init(&r);
		if (fr_rule_set(&r, f->fields[j].key, "x", e, sizeof(e)) < 0 &&
		    strncmp(e, "unknown field", 13) == 0)
			return fr_errorf(L->err, L->errlen, f->fields[j].value.mark, "%s: %s", what,
					 e);
	}
	return 0;
}

/*
 * A SPEC that says may-not-fire needs no implicit "fired" check, and that
 * check is added at load time, before the SPEC is parsed for the run:
 * look for the word now.
 */
static bool spec_may_not_fire(const char *spec)
{
	for (const char *p = spec; *p;) {
		size_t n;

		p += strspn(p, " \t\n");
		n = strcspn(p, " \t\n");
		if ((n == 12 && !strncmp(p, "may-not-fire", 12)) ||
		    (n == 17 && !strncmp(p, "may-not-fire=true", 17)))
			return true;
		p += n;
	}
	return false;
}

static int parse_fault(struct loader *L, yaml_node_t *k, yaml_node_t *v, struct fr_fault *f)
{
	int ret;

	if ((ret = scn_get_name(L, k, "fault name", &f->name)))
		return ret;
	f->mark = scn_mark(L, v);
	if (v->type == YAML_SCALAR_NODE) {
		ret = scn_get_fstr(L, v, "fault", &f->spec);
		if (!ret && spec_may_not_fire(f->spec.raw))
			f->may_not_fire = true;
		return ret;
	}
	if (v->type != YAML_MAPPING_NODE)
		return scn_fail(L, v,
				"fault '%s' must be a SPEC string or a mapping "
				"of fields, not %s",
				f->name, scn_type_name(v));
	return parse_fields(L, v, f);
}

int scn_parse_faults(struct loader *L, yaml_node_t *n)
{
	struct fr_scenario *s = L->s;
	int ret;

	if ((ret = scn_want_named(L, n, "faults")))
		return ret;
	s->nfaults = scn_map_len(n);
	if (s->nfaults > FR_MAX_RULES)
		return scn_fail(L, n, "at most %d faults", FR_MAX_RULES);
	s->faults = fr_arena_alloc(s->arena, (s->nfaults + 1) * sizeof(*s->faults));
	for (size_t i = 0; i < s->nfaults; i++)
		if ((ret = parse_fault(L, scn_pair_key(L, n, i), scn_pair_value(L, n, i),
				       &s->faults[i])))
			return ret;
	return 0;
}
