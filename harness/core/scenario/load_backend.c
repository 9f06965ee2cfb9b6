/*
 * `backend:` of the target and of each process service: how the unit's
 * faults reach it (docs/scenario-format.md). The preload shim is the
 * default; the seccomp backend (docs/seccomp.md) reaches static and Go
 * programs, and does fewer actions: a fault it cannot do yet is refused
 * here, before anything runs, rather than run and never fire.
 */
#include "scenario/load.h"
#include "scenario/scn_internal.h"
#include "seccomp.h"

#include <errno.h>
#include <string.h>

static const char *const names[] = {
	[FR_UNIT_PRELOAD] = "preload",
	[FR_UNIT_SECCOMP] = "seccomp",
	[FR_UNIT_AUTO] = "auto",
};

const char *fr_unit_backend_name(enum fr_unit_backend b)
{
	return (size_t)b < NKEYS(names) ? names[b] : "?";
}

int scn_parse_backend(struct loader *L, yaml_node_t *n, const char *what, struct fr_target *t)
{
	const char *v;
	int ret;

	t->backend_mark = scn_mark(L, n);
	if ((ret = scn_get_string(L, n, "backend", &v)))
		return ret;
	for (size_t i = 0; i < NKEYS(names); i++)
		if (!strcmp(v, names[i])) {
			t->backend = (enum fr_unit_backend)i;
			return 0;
		}
	return scn_fail(L, n, "%s.backend '%s': expected preload, seccomp or auto%s", what, v,
			scn_suggest(L, fr_nearest(v, names, NKEYS(names))));
}

/* Whether fault f is in proc p (0: the target, 1 + i: services[i]). */
static bool fault_in(const struct fr_fault *f, int p)
{
	if (!f->nin)
		return p == 0;
	for (size_t k = 0; k < f->nin; k++)
		if (f->in[k] == p)
			return true;
	return false;
}

int fr_scenario_check_backends(const struct fr_scenario *s, char *err, size_t errlen)
{
	char why[400];

	for (size_t p = 0; p <= s->nservices; p++) {
		const struct fr_target *t = p ? &s->services[p - 1].proc : &s->target;

		if (p && !fr_service_is_unit(s->services[p - 1].type))
			continue;
		/* auto is decided by the program, at the run's start (run/backend.c) */
		if (t->backend != FR_UNIT_SECCOMP || !t->shim)
			continue;
		for (size_t i = 0; i < s->nfaults; i++) {
			const struct fr_fault *f = &s->faults[i];

			if (!fault_in(f, (int)p) ||
			    fr_sec_rule_supported(&f->rule, why, sizeof(why)) == 0)
				continue;
			/* its advice names exec's option: give the scenario's instead */
			char *cut = strstr(why, "; use --backend");

			if (cut)
				*cut = 0;
			return fr_errorf(
				err, errlen, f->mark,
				"%s; the fault is in %s%s, whose backend is seccomp (line %d): "
				"use backend: preload there",
				why, p ? "service " : "the target",
				p ? s->services[p - 1].name : "", t->backend_mark.line);
		}
	}
	return 0;
}
