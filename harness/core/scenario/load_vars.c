/*
 * The `vars:` section: NAME: VALUE, or NAME: {default, choices,
 * description}. A var gets its default, then a --set override; ${vars.X}
 * in later strings is replaced with its value (load_expand.c).
 */
#define _GNU_SOURCE
#include "scenario/load.h"
#include "scenario/scn_internal.h"
#include "util/err.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static bool is_choice(const struct fr_var *var, const char *v)
{
	bool ok = false;

	for (size_t j = 0; j < var->nchoices; j++)
		ok |= strcmp(var->choices[j], v) == 0;
	return ok;
}

static int parse_choices(struct loader *L, yaml_node_t *v, yaml_node_t *x, struct fr_var *var)
{
	int ret;

	if ((ret = scn_want_seq(L, x, "choices")))
		return ret;
	var->nchoices = scn_seq_len(x);
	var->choices = fr_arena_alloc(L->s->arena, (var->nchoices + 1) * sizeof(char *));
	for (size_t j = 0; j < var->nchoices; j++)
		if ((ret = scn_get_string(L, scn_seq_item(L, x, j), "a choice", &var->choices[j])))
			return ret;
	if (!is_choice(var, var->def))
		return scn_fail(L, scn_get(L, v, "default"),
				"default '%s' is not one of the choices", var->def);
	return 0;
}

/* NAME: {default, choices, description} */
static int parse_var_map(struct loader *L, yaml_node_t *v, struct fr_var *var)
{
	static const char *const keys[] = { "default", "choices", "description" };
	char what[96];
	yaml_node_t *x;
	int ret;

	snprintf(what, sizeof(what), "var '%s'", var->name);
	if ((ret = scn_check_keys(L, v, keys, NKEYS(keys), what)))
		return ret;
	if (!(x = scn_get(L, v, "default")))
		return scn_fail(L, v, "var '%s' has no 'default'", var->name);
	if ((ret = scn_want_scalar(L, x, "default")) || (ret = scn_expand(L, x, true, &var->def)))
		return ret;
	if ((x = scn_get(L, v, "description")) &&
	    (ret = scn_get_string(L, x, "description", &var->description)))
		return ret;
	if ((x = scn_get(L, v, "choices")))
		return parse_choices(L, v, x, var);
	return 0;
}

/*
 * The last --set NAME=VALUE for this var, which must be one of its
 * choices. The message names the option first: it is the command line
 * that is wrong, the file only says where the choices are.
 */
static int apply_overrides(struct loader *L, struct fr_var *var)
{
	char list[256];

	var->value = var->def;
	for (size_t j = 0; j < L->novr; j++) {
		if (strcmp(L->ovr[j].key, var->name))
			continue;
		L->ovr[j].used = true;
		var->value = fr_arena_strdup(L->s->arena, L->ovr[j].value);
		var->depth = 0; /* a --set value is taken as it is */
		var->set = true;
	}
	if (!var->nchoices || var->value == var->def || is_choice(var, var->value))
		return 0;
	scn_join(list, sizeof(list), var->choices, var->nchoices, ", ");
	/* "faultrun:" kept: test-scenario checks the message as it is */
	fr_set_err(L->err, L->errlen, "faultrun: --set %s=%s: expected one of %s%s (%s:%d:%d)",
		   var->name, var->value, list,
		   scn_suggest(L, fr_nearest(var->value, var->choices, var->nchoices)), L->file,
		   var->mark.line, var->mark.col);
	return -EINVAL;
}

/* The value of var (its name is known already). */
static int parse_var(struct loader *L, yaml_node_t *v, struct fr_var *var)
{
	int ret;

	L->defining = var;
	if (v->type == YAML_MAPPING_NODE)
		ret = parse_var_map(L, v, var);
	else if (v->type == YAML_SCALAR_NODE)
		ret = scn_expand(L, v, true, &var->def);
	else
		ret = scn_fail(L, v,
			       "var '%s' must be a value or a mapping with "
			       "'default', not %s",
			       var->name, scn_type_name(v));
	L->defining = NULL;
	return ret ? ret : apply_overrides(L, var);
}

int scn_parse_vars(struct loader *L, yaml_node_t *n)
{
	struct fr_scenario *s = L->s;
	int ret;

	if ((ret = scn_want_named(L, n, "vars")))
		return ret;
	s->nvars = scn_map_len(n);
	s->vars = fr_arena_alloc(s->arena, (s->nvars + 1) * sizeof(*s->vars));
	/* every name first, so a var used before its line is told apart from a typo */
	for (size_t i = 0; i < s->nvars; i++) {
		if ((ret = scn_get_name(L, scn_pair_key(L, n, i), "var name", &s->vars[i].name)))
			return ret;
		s->vars[i].mark = scn_mark(L, scn_pair_value(L, n, i));
	}
	for (size_t i = 0; i < s->nvars; i++)
		if ((ret = parse_var(L, scn_pair_value(L, n, i), &s->vars[i])))
			return ret;
	return 0;
}
