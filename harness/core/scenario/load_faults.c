/*
 * The `faults:` section: NAME: "SPEC" (the one-line rule syntax of
 * faultrun(1)), or NAME: {FIELD: VALUE, ...}. Both become a list of
 * fields here, the SPEC cut into words before any placeholder is filled;
 * the rules themselves are made at instantiation (subst.c), when
 * ${run_dir} is known. Field names are checked now, so `faultrun check`
 * reports them early.
 */
#define _GNU_SOURCE
#include "scenario/load.h"
#include "scenario/scn_internal.h"

#include <ctype.h>
#include <stdint.h>
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

/*
 * One name of `in:`: a process that runs under the shim. Each service
 * has its own control block, so naming one that runs without the shim
 * would be a fault that can never fire.
 */
static int add_in(struct loader *L, struct fr_fault *f, struct fr_mark m, const char *name)
{
	int svc, ret;

	if ((ret = scn_find_proc_at(L, m, name, &svc)))
		return ret;
	const struct fr_target *t = svc ? &L->s->services[svc - 1].proc : &L->s->target;
	if (svc && L->s->services[svc - 1].type == FR_SERVICE_HAPROXY)
		return fr_errorf(L->err, L->errlen, m,
				 "fault '%s' is in '%s', a haproxy service: HAProxy is the "
				 "observer and never runs under the shim; put the fault in a "
				 "service behind it",
				 f->name, name);
	if (!t->shim)
		return fr_errorf(L->err, L->errlen, m,
				 "fault '%s' is in '%s', which runs without the shim "
				 "(shim: false): it could never fire",
				 f->name, name);
	for (size_t i = 0; i < f->nin; i++)
		if (f->in[i] == svc)
			return fr_errorf(L->err, L->errlen, m,
					 "fault '%s': '%s' is named twice in 'in'", f->name, name);
	f->in[f->nin++] = svc;
	return 0;
}

/* in: NAME or [NAME...] (the mapping form) */
static int parse_in(struct loader *L, struct fr_fault *f, yaml_node_t *v)
{
	size_t n = v->type == YAML_SEQUENCE_NODE ? scn_seq_len(v) : 1;
	int ret;

	if (!n)
		return scn_fail(L, v, "fault '%s': 'in' names no service", f->name);
	f->in = fr_arena_alloc(L->s->arena, (n + 1) * sizeof(int));
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *y = v->type == YAML_SEQUENCE_NODE ? scn_seq_item(L, v, i) : v;
		const char *name;

		if ((ret = scn_get_string(L, y, "in", &name)) ||
		    (ret = add_in(L, f, scn_mark(L, y), name)))
			return ret;
	}
	return 0;
}

/* in=NAME,NAME (the SPEC form) */
static int spec_in(struct loader *L, struct fr_fault *f, struct fr_mark m, const char *list)
{
	size_t n = 1;
	int ret;

	for (const char *p = list; *p; p++)
		n += *p == ',';
	f->in = fr_arena_alloc(L->s->arena, (n + 1) * sizeof(int));
	for (const char *p = list;;) {
		const char *end = strchr(p, ',');
		char *name = fr_arena_printf(L->s->arena, "%.*s",
					     (int)(end ? (size_t)(end - p) : strlen(p)), p);

		if ((ret = add_in(L, f, m, name)))
			return ret;
		if (!end)
			return 0;
		p = end + 1;
	}
}

/* One FIELD: VALUE of the mapping form. */
static int parse_field(struct loader *L, struct fr_fault *f, yaml_node_t *fk, yaml_node_t *fv)
{
	const char *key = scn_scalar(fk);
	struct fr_kv *kv;
	int ret;

	if (strcmp(key, "may-not-fire") == 0)
		return scn_get_bool(L, fv, "may-not-fire", &f->may_not_fire);
	if (strcmp(key, "in") == 0)
		return parse_in(L, f, fv);
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

/* Field names are checked at load, so 'check' reports them early. */
static int check_field_names(struct loader *L, struct fr_fault *f)
{
	for (size_t j = 0; j < f->nfields; j++) {
		struct fr_rule r;
		char e[256];

		if (!f->fields[j].value.raw)
			continue; /* a bare word: read at instantiation */
		fr_rule_init(&r);
		if (fr_rule_set(&r, f->fields[j].key, "x", e, sizeof(e)) < 0 &&
		    strncmp(e, "unknown field", 13) == 0)
			return fr_errorf(L->err, L->errlen, f->fields[j].value.mark,
					 "fault '%s': %s", f->name, e);
	}
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
	return check_field_names(L, f);
}

/* A word of a SPEC: bytes [start, end) of the scalar, '=' at eq. */
struct spec_word {
	size_t start, end, eq; /* eq: SIZE_MAX for a bare word */
	bool ph_in_key;	       /* a placeholder before the '=' */
};

/*
 * Cut the next word off the SPEC at *pos, as fr_spec_parse() would, but
 * reading placeholders whole: "${env.X:-a b}" is part of one word, and
 * only a '=' written in the SPEC itself ends a field's name.
 */
static bool next_word(const char *in, size_t *pos, struct spec_word *w)
{
	const char *p = in + *pos;
	bool ph = false;
	struct fr_ph t;

	while (isspace((unsigned char)*p))
		p++;
	if (!*p)
		return false;
	w->start = (size_t)(p - in);
	w->eq = SIZE_MAX;
	w->ph_in_key = false;
	while (fr_ph_next(&p, &t)) {
		if (t.kind != FR_PH_TEXT) {
			ph |= t.kind != FR_PH_ESCAPE;
			continue;
		}
		for (size_t i = 0; i < t.len; i++) {
			size_t at = (size_t)(t.text + i - in);

			if (isspace((unsigned char)t.text[i])) {
				*pos = w->end = at;
				return true;
			}
			if (t.text[i] == '=' && w->eq == SIZE_MAX) {
				w->eq = at;
				w->ph_in_key = ph;
			}
		}
	}
	*pos = w->end = strlen(in);
	return true;
}

/*
 * A bare word (operations, or an action without value) after its
 * placeholders were filled; returns 1, or 0 when it is empty. A value
 * with spaces or '=' would be fields of its own, which a placeholder must
 * never add.
 */
static int spec_bare_word(struct loader *L, yaml_node_t *v, struct fr_fault *f,
			  const struct spec_word *w, struct fr_kv *kv)
{
	const char *word;
	int ret = scn_expand_part(L, v, w->start, w->end - w->start, false, &word);

	if (ret)
		return ret;
	if (strpbrk(word, " \t\n\v\f\r="))
		return fr_errorf(L->err, L->errlen, scn_mark_at(L, v, w->start),
				 "fault '%s': '%.*s' is one word of the SPEC, but its "
				 "value '%s' holds spaces or '=': a placeholder fills one "
				 "field's value and never adds fields (write the fields "
				 "in the SPEC, or use the mapping form)",
				 f->name, (int)(w->end - w->start), scn_scalar(v) + w->start, word);
	if (!strcmp(word, "may-not-fire"))
		f->may_not_fire = true;
	kv->key = word;
	kv->value.mark = scn_mark_at(L, v, w->start);
	return *word != '\0'; /* a word that expanded to nothing is no word */
}

/*
 * KEY=VALUE: the key as written, the value with its placeholders filled
 * (per-run ones at instantiation), whatever they hold. name= may only
 * repeat the fault's own name: the key is the name. Returns 1.
 */
static int spec_field(struct loader *L, yaml_node_t *v, struct fr_fault *f,
		      const struct spec_word *w, struct fr_kv *kv)
{
	const char *in = scn_scalar(v);
	struct fr_mark m = scn_mark_at(L, v, w->start);
	int ret;

	if (w->ph_in_key)
		return fr_errorf(L->err, L->errlen, m,
				 "fault '%s': a field's name cannot come from a placeholder "
				 "('%.*s')",
				 f->name, (int)(w->end - w->start), in + w->start);
	if (w->eq == w->start)
		return fr_errorf(L->err, L->errlen, m, "fault '%s': '%.*s': field name missing",
				 f->name, (int)(w->end - w->start), in + w->start);
	kv->key = fr_arena_printf(L->s->arena, "%.*s", (int)(w->eq - w->start), in + w->start);
	ret = scn_expand_part(L, v, w->eq + 1, w->end - w->eq - 1, !!strcmp(kv->key, "in"),
			      &kv->value.raw);
	if (ret)
		return ret;
	if (strcmp(kv->key, "in") == 0) {
		ret = spec_in(L, f, m, kv->value.raw);
		return ret ? ret : 0; /* not a field of the rule */
	}
	kv->value.val = kv->value.raw;
	kv->value.mark = m;
	if (!strcmp(kv->key, "may-not-fire") && !strcmp(kv->value.raw, "true"))
		f->may_not_fire = true;
	if (!strcmp(kv->key, "name") && strcmp(kv->value.raw, f->name))
		return fr_errorf(L->err, L->errlen, m,
				 "fault '%s': its name is its key; remove 'name=%s'", f->name,
				 kv->value.raw);
	return 1;
}

/*
 * The one-line form, cut into fields before any placeholder is filled,
 * then read like the mapping form: pasting values into the SPEC and
 * parsing the result would let a value such as "x times=1 path=/etc"
 * (a --set, an environment variable, a service's socket) add fields.
 */
static int parse_spec(struct loader *L, yaml_node_t *v, struct fr_fault *f)
{
	const char *in = scn_scalar(v);
	struct spec_word w;
	size_t pos = 0, n = 0;
	int ret;

	if ((ret = scn_want_scalar(L, v, "fault")))
		return ret;
	f->spec.raw = f->spec.val = fr_arena_strdup(L->s->arena, in);
	f->spec.mark = scn_mark(L, v);
	while (next_word(in, &pos, &w))
		n++;
	f->fields = fr_arena_alloc(L->s->arena, (n + 1) * sizeof(struct fr_kv));
	for (pos = 0; next_word(in, &pos, &w);) {
		struct fr_kv *kv = &f->fields[f->nfields];

		ret = w.eq == SIZE_MAX ? spec_bare_word(L, v, f, &w, kv) :
					 spec_field(L, v, f, &w, kv);
		if (ret < 0)
			return ret;
		f->nfields += (size_t)ret;
	}
	return check_field_names(L, f);
}

/* Whether fault f is a disk fault: the word in its SPEC, or the field. */
bool scn_fault_is_disk(const struct fr_fault *f)
{
	const char *p = f->spec.raw;

	for (size_t i = 0; i < f->nfields; i++)
		if (!strcmp(f->fields[i].key, "disk"))
			return true;
	while (p && *p) {
		size_t n;

		p += strspn(p, " \t\n");
		n = strcspn(p, " \t\n");
		if (n == 4 && !strncmp(p, "disk", 4))
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
	if (v->type == YAML_SCALAR_NODE)
		ret = parse_spec(L, v, f);
	else if (v->type != YAML_MAPPING_NODE)
		return scn_fail(L, v,
				"fault '%s' must be a SPEC string or a mapping "
				"of fields, not %s",
				f->name, scn_type_name(v));
	else
		ret = parse_fields(L, v, f);
	if (!ret && !f->nin) {
		/* by default a fault is the target's */
		f->in = fr_arena_alloc(L->s->arena, sizeof(int));
		f->nin = 1;
	}
	/*
	 * A disk's accounting (its free space, each file's blocks) lives in
	 * the control block, one per service: a disk in two services would be
	 * two disks that each think they hold all the space.
	 */
	if (!ret && f->nin > 1 && scn_fault_is_disk(f))
		return fr_errorf(L->err, L->errlen, f->mark,
				 "fault '%s' is a disk in %zu services: each would count "
				 "the same space on its own; put it in one service",
				 f->name, f->nin);
	return ret;
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
