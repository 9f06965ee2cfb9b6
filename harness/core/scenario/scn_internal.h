/*
 * Private helpers of the scenario model, shared by the loader (load*.c)
 * and instantiation (subst.c). Nothing here calls into the loader: the
 * loader uses these, never the other way round.
 */
#ifndef FAULTRUN_SCN_INTERNAL_H
#define FAULTRUN_SCN_INTERNAL_H

#include "scenario/scenario.h"

#include <stdbool.h>
#include <stddef.h>

/* Write "FILE:LINE:COL: message" into err; returns -EINVAL. (model.c) */
int fr_errorf(char *err, size_t errlen, struct fr_mark m, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Call fn on every string of the scenario that is present (raw != NULL),
 * stopping at the first non-zero return. (visit.c)
 */
typedef int (*fr_str_fn)(struct fr_scenario *s, struct fr_str *str, void *arg);
int fr_scenario_visit_strs(struct fr_scenario *s, fr_str_fn fn, void *arg);

/*
 * Every port of an instantiated scenario (a service's, a MySQL
 * connection's, a tcp check's, an HTTP URL's) is from 1 to 65535; else
 * -EINVAL and "FILE:LINE:COL: message". (values.c)
 */
int fr_scenario_check_ports(const struct fr_scenario *s, char *err, size_t errlen);

/*
 * The placeholder syntax, one tokenizer for the load-time and the run-time
 * expansion (subst.c): "${NAME}" or "${NAME:-DEFAULT}", which ends at the
 * first '}'; "$${", a literal "${"; anything else is literal text.
 */
enum fr_ph_kind {
	FR_PH_TEXT,
	FR_PH_ESCAPE,	    /* "$${" */
	FR_PH_PLACEHOLDER,  /* "${...}" */
	FR_PH_UNTERMINATED, /* "${" with no '}' after it: the rest of the string */
};

struct fr_ph {
	enum fr_ph_kind kind;
	const char *text; /* the token as written */
	size_t len;
	/* FR_PH_PLACEHOLDER: NAME, and DEFAULT (NULL when there is no ":-") */
	const char *name;
	size_t nlen;
	const char *dflt;
	size_t dlen;
};

/* Cut the next token off *p (NUL-terminated); false at the end. */
bool fr_ph_next(const char **p, struct fr_ph *tok);

/* What a placeholder's NAME refers to. */
enum fr_ph_ref {
	FR_PH_UNKNOWN,
	FR_PH_VARS,	    /* vars.X: load time */
	FR_PH_ENV,	    /* env.X: load time */
	FR_PH_SCENARIO_DIR, /* load time */
	FR_PH_RUN_DIR,	    /* per run */
	FR_PH_PORT,	    /* port.NAME: per run */
	FR_PH_SERVICES,	    /* services.NAME.FIELD: per run */
};

/*
 * Classify a placeholder; *arg and *alen: the NAME after the prefix ("X" of
 * "vars.X"), empty for run_dir and scenario_dir.
 */
enum fr_ph_ref fr_ph_classify(const struct fr_ph *tok, const char **arg, size_t *alen);

static inline bool fr_ph_per_run(enum fr_ph_ref r)
{
	return r == FR_PH_RUN_DIR || r == FR_PH_PORT || r == FR_PH_SERVICES;
}

/* Whether fault f is a disk fault: the word in its SPEC, or the field. */
bool scn_fault_is_disk(const struct fr_fault *f);

#endif /* FAULTRUN_SCN_INTERNAL_H */
