/*
 * The scenario loader's own header: the loader state, access to the YAML
 * document's nodes, the typed getters every section uses, and one parse
 * function per top-level section (load_SECTION.c).
 *
 * Every error is one line, "FILE:LINE:COL: message", pointing at the node
 * that is wrong; the first error stops the load. Functions return 0 or
 * -EINVAL (the message in L->err); lookups that return an index return it,
 * or -EINVAL.
 */
#ifndef FAULTRUN_SCN_LOAD_H
#define FAULTRUN_SCN_LOAD_H

#include "scenario/scenario.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#define NKEYS(a) (sizeof(a) / sizeof((a)[0]))

#define DEFAULT_INTERVAL_NS 500000000ull
#define DEFAULT_TIMEOUT_NS 1000000000ull

/*
 * The limits of load-time expansion (docs/scenario-format.md): vars that
 * each use the one before twice double at every step, so without them a
 * few lines could ask for gigabytes. The file itself is at most 16 MiB.
 */
#define FR_EXPAND_MAX (1 << 20)	   /* one value after expansion */
#define FR_EXPAND_TOTAL (64 << 20) /* all of a scenario's values */
#define FR_VAR_DEPTH_MAX 16	   /* a var using a var using a var ... */

struct loader {
	struct fr_scenario *s;
	yaml_document_t doc;
	const char *file;
	char *err;
	size_t errlen;
	struct fr_override *ovr;
	size_t novr;
	struct fr_var *defining; /* the var whose value is being read */
	size_t expanded;	 /* bytes of expanded values so far */
};

/* ---- nodes (load_node.c) -------------------------------------------------- */

struct fr_mark scn_mark(const struct loader *L, const yaml_node_t *n);
/* "FILE:LINE:COL: message" at n (the top of the file when n is NULL). */
int scn_fail(struct loader *L, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* " (did you mean 'NEAR'?)", or "" when near is NULL. */
const char *scn_suggest(struct loader *L, const char *near);
/* items joined by ", " (the last one by last_sep) into buf, cut to fit */
void scn_join(char *buf, size_t len, const char *const *items, size_t n, const char *last_sep);

const char *scn_type_name(const yaml_node_t *n);
const char *scn_scalar(const yaml_node_t *n);
bool scn_is_null(const yaml_node_t *n);
int scn_want_map(struct loader *L, yaml_node_t *n, const char *what);
int scn_want_seq(struct loader *L, yaml_node_t *n, const char *what);
int scn_want_scalar(struct loader *L, yaml_node_t *n, const char *what);
size_t scn_map_len(yaml_node_t *n);
size_t scn_seq_len(yaml_node_t *n);
yaml_node_t *scn_seq_item(struct loader *L, yaml_node_t *n, size_t i);
yaml_node_t *scn_pair_key(struct loader *L, yaml_node_t *n, size_t i);
yaml_node_t *scn_pair_value(struct loader *L, yaml_node_t *n, size_t i);

/*
 * Check a mapping's keys: each a scalar, no duplicates, each one of valid
 * (NULL: any key). what names the mapping in messages ("probe 'home'").
 */
int scn_check_keys(struct loader *L, yaml_node_t *map, const char *const *valid, size_t nvalid,
		   const char *what);
/* A section of NAME: entry pairs: a mapping with scalar, distinct keys. */
int scn_want_named(struct loader *L, yaml_node_t *n, const char *what);
/* The value of key in map, or NULL. */
yaml_node_t *scn_get(struct loader *L, yaml_node_t *map, const char *key);
/* The key node of key in map (for messages), or map itself. */
yaml_node_t *scn_get_key(struct loader *L, yaml_node_t *map, const char *key);

/* ---- load-time placeholders (load_expand.c) ------------------------------ */

/*
 * Expand ${vars.X}, ${env.X} and ${scenario_dir} in scalar n; keep the
 * per-run placeholders after checking their names (runtime_ok false
 * refuses them: durations, numbers, names) and "$${".
 */
int scn_expand(struct loader *L, yaml_node_t *n, bool runtime_ok, const char **out);
/* The same for len bytes of n's scalar from byte off (a field of a SPEC). */
int scn_expand_part(struct loader *L, yaml_node_t *n, size_t off, size_t len, bool runtime_ok,
		    const char **out);
/*
 * Where byte off of scalar n is, for errors inside a string: exact for
 * single-line plain and quoted scalars, else the scalar's start.
 */
struct fr_mark scn_mark_at(struct loader *L, yaml_node_t *n, size_t off);

/* ---- typed getters (load_node.c); what names the value in messages ------- */

/* A plain string (vars expanded, no per-run placeholders). */
int scn_get_string(struct loader *L, yaml_node_t *n, const char *what, const char **out);
/* A string that may hold per-run placeholders. */
int scn_get_fstr(struct loader *L, yaml_node_t *n, const char *what, struct fr_str *out);
int scn_get_duration(struct loader *L, yaml_node_t *n, const char *what, uint64_t *ns);
int scn_get_positive_duration(struct loader *L, yaml_node_t *n, const char *what, uint64_t *ns);
int scn_get_uint(struct loader *L, yaml_node_t *n, const char *what, unsigned long max,
		 unsigned long *out);
/* A whole number from 1 to max. */
int scn_get_count(struct loader *L, yaml_node_t *n, const char *what, unsigned long max,
		  unsigned *out);
int scn_get_bool(struct loader *L, yaml_node_t *n, const char *what, bool *out);
/*
 * Whether [v, end) is a plain decimal number ("20", "0.5", "99.9"): what
 * strtod() read, refused when it was "nan", "inf", hex or an exponent.
 */
bool scn_decimal(const char *v, const char *end);
/* "99%", "99.5%", or a ratio "0.99". */
int scn_get_ratio(struct loader *L, yaml_node_t *n, const char *what, double *out);
int scn_get_signal(struct loader *L, yaml_node_t *n, const char *what, int *out);
/* A command: "string" (run with sh -c) or [argv, ...]. */
int scn_get_cmd(struct loader *L, yaml_node_t *n, const char *what, struct fr_cmd *cmd);
/* A name: letters, digits, '-' and '_', shorter than FR_NAME_MAX. */
int scn_get_name(struct loader *L, yaml_node_t *k, const char *what, const char **out);
/* A POSIX extended regular expression that compiles. */
int scn_check_regex(struct loader *L, yaml_node_t *n, const char *re);

/* The same for an optional key of map (what is the key): 0 when absent. */
int scn_opt_fstr(struct loader *L, yaml_node_t *map, const char *key, struct fr_str *out);
int scn_opt_duration(struct loader *L, yaml_node_t *map, const char *key, uint64_t *ns);
int scn_opt_positive_duration(struct loader *L, yaml_node_t *map, const char *key, uint64_t *ns);

/* ---- shapes several sections share --------------------------------------- */

/*
 * An HTTP request: a URL, or a mapping of the request keys plus the
 * caller's extra keys (checked here, read by the caller). (load_http.c)
 */
int scn_parse_http(struct loader *L, yaml_node_t *n, const char *what, const char *const *extra,
		   size_t nextra, struct fr_http *h);

/* The keys of a MySQL connection, and reading them. (load_probes.c) */
extern const char *const scn_mysql_conn_keys[];
extern const size_t scn_mysql_conn_nkeys;
int scn_parse_mysql_conn(struct loader *L, yaml_node_t *map, struct fr_mysql_conn *c);

/* The probe-or-readiness check of map: exactly one kind. (load_probes.c) */
int scn_parse_check(struct loader *L, yaml_node_t *map, const char *what, struct fr_check *c);
/* The check kinds' names then extra, into keys[max]; returns the count. */
size_t scn_check_keys_with(const char **keys, size_t max, const char *const *extra, size_t nextra);

/* Series and faults by name (load.c). */
int scn_add_series(struct loader *L, yaml_node_t *at, const char *name, enum fr_series_kind kind,
		   int index);
int scn_find_fault(struct loader *L, yaml_node_t *at, const char *name);
int scn_find_series(struct loader *L, yaml_node_t *at, const char *name);

/* ---- sections, read in this order by load.c ------------------------------ */

int scn_parse_vars(struct loader *L, yaml_node_t *n);	  /* load_vars.c */
int scn_parse_services(struct loader *L, yaml_node_t *n); /* load_services.c */
int scn_parse_target(struct loader *L, yaml_node_t *n);	  /* load_target.c */
/* load_haproxy.c: a `type: haproxy` service, then its backends once all services are known */
int scn_parse_haproxy(struct loader *L, yaml_node_t *v, const char *what, struct fr_service *sv);
int scn_haproxy_resolve(struct loader *L, yaml_node_t *v, size_t self);
/* Register ${port.NAME} as a port the run picks (load_expand.c). */
void scn_add_port(struct fr_scenario *s, const char *name);
/* backend: preload | seccomp | auto (load_backend.c) */
int scn_parse_backend(struct loader *L, yaml_node_t *n, const char *what, struct fr_target *t);
int scn_parse_proc(struct loader *L, yaml_node_t *n, const char *name, const char *what,
		   const char *const *extra, size_t nextra, struct fr_target *t);
int scn_find_proc(struct loader *L, yaml_node_t *at, const char *name, int *out);
int scn_find_proc_at(struct loader *L, struct fr_mark at, const char *name, int *out);
int scn_opt_proc(struct loader *L, yaml_node_t *map, int *out);
int scn_parse_faults(struct loader *L, yaml_node_t *n);	  /* load_faults.c */
int scn_parse_probes(struct loader *L, yaml_node_t *n);	  /* load_probes.c */
int scn_parse_load(struct loader *L, yaml_node_t *n);	  /* load_load.c */
int scn_parse_timeline(struct loader *L, yaml_node_t *n); /* load_timeline.c */
/* Replay the timeline: inject/clear in order, nothing after the end. */
int scn_check_timeline(struct loader *L, yaml_node_t *top);
int scn_parse_expect(struct loader *L, yaml_node_t *n); /* load_expect.c */
/* One HTTP status: a code (200), a class (2xx) or a range (200-299). load_http.c */
int scn_get_status_range(struct loader *L, yaml_node_t *it, int *lo, int *hi);
/* status: {probe, window, codes, min, max, unanswered}: load_expect_status.c */
int scn_parse_expect_status(struct loader *L, yaml_node_t *v, struct fr_expect *e);
/* A "fired" check for every injected fault not allowed to stay silent. */
void scn_add_implicit_fired(struct fr_scenario *s);
/* Every ${services.NAME.FIELD} names a service and a field. */
int scn_check_service_refs(struct loader *L); /* load_services.c */

#endif /* FAULTRUN_SCN_LOAD_H */
