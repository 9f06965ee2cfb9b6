/*
 * The scenario loader: YAML (libyaml's document API, which keeps the
 * line:column of every node) -> struct fr_scenario. This file reads the
 * document and its top level; each section has its own load_SECTION.c,
 * the node access and typed getters are in load_node.c (see load.h).
 *
 * Every error is one line, "FILE:LINE:COL: message", pointing at the node
 * that is wrong; an unknown key names the nearest valid one. The first
 * error stops the load. Top-level sections are read in dependency order
 * (vars, services, target, faults, probes, load, timeline, expect) whatever
 * their order in the file, so references can be checked as they are read.
 */
#define _GNU_SOURCE
#include "scenario/load.h"
#include "util/fsutil.h"
#include "scenario/scn_internal.h"
#include "util/err.h"
#include "util/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_FILE_SIZE (16 * 1024 * 1024)

/* ---- series and faults by name -------------------------------------------- */

int fr_scenario_series(const struct fr_scenario *s, const char *name)
{
	for (size_t i = 0; i < s->nseries; i++)
		if (strcmp(s->series[i].name, name) == 0)
			return (int)i;
	return -1;
}

int scn_add_series(struct loader *L, yaml_node_t *at, const char *name, enum fr_series_kind kind,
		   int index)
{
	struct fr_scenario *s = L->s;
	int i = fr_scenario_series(s, name);

	if (i >= 0) {
		if (kind == FR_SERIES_REQUEST && s->series[i].kind == FR_SERIES_REQUEST)
			return i; /* several request steps share a series */
		return scn_fail(L, at, "'%s' is already the name of a %s", name,
				s->series[i].kind == FR_SERIES_PROBE ? "probe" :
				s->series[i].kind == FR_SERIES_LOAD  ? "load" :
								       "request series");
	}
	/* series is sized for every probe + load + every step */
	s->series[s->nseries].name = name;
	s->series[s->nseries].kind = kind;
	s->series[s->nseries].index = index;
	return (int)s->nseries++;
}

int scn_find_fault(struct loader *L, yaml_node_t *at, const char *name)
{
	const char *cands[FR_MAX_RULES];

	for (size_t i = 0; i < L->s->nfaults; i++) {
		if (strcmp(L->s->faults[i].name, name) == 0)
			return (int)i;
		cands[i] = L->s->faults[i].name;
	}
	return scn_fail(L, at, "unknown fault '%s'%s", name,
			scn_suggest(L, fr_nearest(name, cands, L->s->nfaults)));
}

int scn_find_series(struct loader *L, yaml_node_t *at, const char *name)
{
	const char *cands[256];
	size_t nc = 0;
	int i = fr_scenario_series(L->s, name);

	if (i >= 0)
		return i;
	for (size_t j = 0; j < L->s->nseries && nc < 256; j++)
		cands[nc++] = L->s->series[j].name;
	return scn_fail(L, at, "unknown probe '%s'%s", name,
			scn_suggest(L, fr_nearest(name, cands, nc)));
}

/* ---- top level ------------------------------------------------------------ */

static const char *const top_keys[] = {
	"name",	  "description", "vars",   "seed", "duration", "services",
	"target", "faults",	 "probes", "load", "timeline", "expect",
};

/* The value of key in root when it is given and not null, else NULL. */
static yaml_node_t *section(struct loader *L, yaml_node_t *root, const char *key)
{
	yaml_node_t *x = scn_get(L, root, key);

	return x && !scn_is_null(x) ? x : NULL;
}

/* name, description, seed, duration */
static int parse_header(struct loader *L, yaml_node_t *root)
{
	struct fr_scenario *s = L->s;
	yaml_node_t *x;
	int ret;

	if ((x = scn_get(L, root, "name")) && (ret = scn_get_string(L, x, "name", &s->name)))
		return ret;
	if ((x = scn_get(L, root, "description")) &&
	    (ret = scn_get_string(L, x, "description", &s->description)))
		return ret;
	if ((x = scn_get(L, root, "seed"))) {
		unsigned long u;
		if ((ret = scn_get_uint(L, x, "seed", ULONG_MAX, &u)))
			return ret;
		s->seed = u;
		s->seed_set = true;
	}
	return scn_opt_positive_duration(L, root, "duration", &s->duration_ns);
}

/* Room for the series: every probe, the load, and every request step. */
static void alloc_series(struct loader *L, yaml_node_t *root)
{
	yaml_node_t *tl = scn_get(L, root, "timeline");
	yaml_node_t *pr = scn_get(L, root, "probes");
	size_t max = 2 + (tl && tl->type == YAML_SEQUENCE_NODE ? scn_seq_len(tl) : 0);

	if (pr && pr->type == YAML_MAPPING_NODE)
		max += scn_map_len(pr);
	L->s->series = fr_arena_alloc(L->s->arena, max * sizeof(*L->s->series));
}

/* What produces samples: probes and load, each a series. */
static int parse_sources(struct loader *L, yaml_node_t *root)
{
	struct fr_scenario *s = L->s;
	yaml_node_t *x;
	int ret;

	alloc_series(L, root);
	if ((x = section(L, root, "probes"))) {
		if ((ret = scn_parse_probes(L, x)))
			return ret;
		for (size_t i = 0; i < s->nprobes; i++)
			if ((ret = scn_add_series(L, x, s->probes[i].name, FR_SERIES_PROBE,
						  (int)i)) < 0)
				return ret;
	}
	if ((x = section(L, root, "load"))) {
		if ((ret = scn_parse_load(L, x)))
			return ret;
		if ((ret = scn_add_series(L, scn_get_key(L, root, "load"), "load", FR_SERIES_LOAD,
					  -1)) < 0)
			return ret;
	}
	return 0;
}

static int parse_top(struct loader *L, yaml_node_t *root)
{
	yaml_node_t *x;
	int ret;

	if (!root || scn_is_null(root))
		return scn_fail(L, root,
				"empty scenario (expected a mapping with "
				"name, target, probes, timeline, expect)");
	if ((ret = scn_want_map(L, root, "a scenario")) ||
	    (ret = scn_check_keys(L, root, top_keys, NKEYS(top_keys), "the scenario")))
		return ret;
	if ((x = section(L, root, "vars")) && (ret = scn_parse_vars(L, x)))
		return ret;
	if ((ret = parse_header(L, root)))
		return ret;
	if ((x = section(L, root, "services")) && (ret = scn_parse_services(L, x)))
		return ret;
	if (!(x = scn_get(L, root, "target")))
		return scn_fail(L, root,
				"the scenario has no 'target' (the command "
				"to run)");
	if ((ret = scn_parse_target(L, x)))
		return ret;
	if ((x = section(L, root, "faults")) && (ret = scn_parse_faults(L, x)))
		return ret;
	if ((ret = parse_sources(L, root)))
		return ret;
	if ((x = section(L, root, "timeline")) && (ret = scn_parse_timeline(L, x)))
		return ret;
	if ((ret = scn_check_timeline(L, root)))
		return ret;
	if ((x = section(L, root, "expect")) && (ret = scn_parse_expect(L, x)))
		return ret;
	scn_add_implicit_fired(L->s);
	if (!L->s->nexpects)
		return scn_fail(L, root,
				"the scenario has no 'expect': nothing would "
				"be checked");
	return scn_check_service_refs(L);
}

/* ---- the document ----------------------------------------------------------- */

/*
 * How deep collections may nest. A scenario needs about six levels. libyaml's
 * scanner checks every open flow level for a stale simple key at each token,
 * so "[[[[...]]]]" costs the square of its depth: a 6 MB line of brackets kept
 * yaml_parser_load busy for minutes. Walking the events first and stopping at
 * this depth bounds the work to the file's size times this constant.
 */
#define MAX_DEPTH 64

static int yaml_fail(struct loader *L, yaml_parser_t *parser)
{
	struct fr_mark m = { L->file, (int)parser->problem_mark.line + 1,
			     (int)parser->problem_mark.column + 1 };
	const char *what = parser->problem ? parser->problem : "bad YAML";

	if (parser->error == YAML_MEMORY_ERROR)
		fr_oom();
	if (parser->error == YAML_READER_ERROR)
		m.line = m.col = 1;
	if (parser->context)
		return fr_errorf(L->err, L->errlen, m, "%s %s", what, parser->context);
	return fr_errorf(L->err, L->errlen, m, "%s", what);
}

static int check_depth(struct loader *L, const unsigned char *text, size_t len)
{
	yaml_parser_t parser;
	int depth = 0, ret = 0;
	bool done = false;

	if (!yaml_parser_initialize(&parser))
		fr_oom();
	yaml_parser_set_input_string(&parser, text, len);
	while (!done && !ret) {
		yaml_event_t ev;

		if (!yaml_parser_parse(&parser, &ev)) {
			ret = yaml_fail(L, &parser);
			break;
		}
		switch (ev.type) {
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (++depth > MAX_DEPTH) {
				struct fr_mark m = { L->file, (int)ev.start_mark.line + 1,
						     (int)ev.start_mark.column + 1 };
				ret = fr_errorf(L->err, L->errlen, m,
						"lists and mappings nest deeper than %d levels",
						MAX_DEPTH);
			}
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	return ret;
}

/*
 * YAML's "\0" puts a NUL inside a scalar, where every C string after it
 * would silently end: "a\0b" would become the name "a", a path would lose
 * its tail. No name, path, argument or field can hold one: refuse it.
 */
static int no_nul(struct loader *L)
{
	for (yaml_node_t *n = L->doc.nodes.start; n < L->doc.nodes.top; n++)
		if (n->type == YAML_SCALAR_NODE &&
		    memchr(n->data.scalar.value, '\0', n->data.scalar.length))
			return scn_fail(L, n,
					"a NUL character (\"\\0\") in '%s...': no name, "
					"path, argument or value can hold one",
					scn_scalar(n));
	return 0;
}

static int load_doc(struct loader *L, yaml_parser_t *parser)
{
	int ret;

	if (!yaml_parser_load(parser, &L->doc))
		return yaml_fail(L, parser);
	ret = no_nul(L);
	if (ret)
		yaml_document_delete(&L->doc);
	return ret;
}

/* The directory of file, absolute when it exists: ${scenario_dir}. */
static const char *dir_of(struct fr_arena *a, const char *file)
{
	char *dup = fr_arena_strdup(a, file), *slash = strrchr(dup, '/');
	const char *dir = ".";
	char abs[PATH_MAX];

	if (slash == dup) {
		dir = "/";
	} else if (slash) {
		*slash = 0;
		dir = dup;
	}
	return realpath(dir, abs) ? fr_arena_strdup(a, abs) : dir;
}

/* The scenario's name when it has none: the file's, without extension. */
static const char *name_of(struct fr_arena *a, const char *file)
{
	const char *base = strrchr(file, '/');
	char *n, *dot;

	base = base ? base + 1 : file;
	n = fr_arena_strdup(a, base);
	dot = strrchr(n, '.');
	if (dot && dot != n)
		*dot = 0;
	return n;
}

static int load_text(const char *file, const unsigned char *text, size_t len,
		     struct fr_override *ovr, size_t novr, struct fr_scenario **out, char *err,
		     size_t errlen)
{
	struct loader L = { .err = err, .errlen = errlen, .ovr = ovr, .novr = novr };
	struct fr_arena *a = fr_arena_create();
	struct fr_scenario *s = fr_arena_alloc(a, sizeof(*s));
	yaml_parser_t parser;
	int ret;

	*out = NULL;
	s->arena = a;
	s->file = fr_arena_strdup(a, file);
	s->dir = dir_of(a, file);
	L.file = s->file;
	L.s = s;
	ret = check_depth(&L, text, len);
	if (ret) {
		fr_arena_destroy(a);
		return ret;
	}
	if (!yaml_parser_initialize(&parser))
		fr_oom();
	yaml_parser_set_input_string(&parser, text, len);
	ret = load_doc(&L, &parser);
	yaml_parser_delete(&parser);
	if (ret) {
		fr_arena_destroy(a);
		return ret;
	}
	ret = parse_top(&L, yaml_document_get_root_node(&L.doc));
	yaml_document_delete(&L.doc);
	if (ret) {
		fr_arena_destroy(a);
		return ret;
	}
	if (!s->name)
		s->name = name_of(a, file);
	if (!s->description)
		s->description = "";
	*out = s;
	return 0;
}

int fr_scenario_load_string(const char *name, const char *text, struct fr_override *ovr,
			    size_t novr, struct fr_scenario **out, char *err, size_t errlen)
{
	return load_text(name, (const unsigned char *)text, strlen(text), ovr, novr, out, err,
			 errlen);
}

/*
 * The whole file into *buf (malloc'd), at most MAX_FILE_SIZE bytes.
 *
 * The messages about the file itself keep the "faultrun:" that library
 * messages otherwise leave to the CLI (which adds it only when missing):
 * test-scenario checks them as they are, like the --set one (load_vars.c).
 */
static int read_file(int fd, const char *path, unsigned char **buf, size_t *len, char *err,
		     size_t errlen)
{
	size_t cap = 8192;

	*buf = fr_xmalloc(cap);
	*len = 0;
	for (;;) {
		ssize_t n = read(fd, *buf + *len, cap - *len);
		if (n < 0) {
			int ret = -errno;
			fr_set_err(err, errlen, "faultrun: '%s': %s", path, strerror(errno));
			return ret;
		}
		if (n == 0)
			return 0;
		*len += (size_t)n;
		if (*len == cap) {
			if (cap >= MAX_FILE_SIZE) {
				fr_set_err(err, errlen, "faultrun: '%s': too large", path);
				return -EFBIG;
			}
			cap *= 2;
			*buf = fr_xrealloc(*buf, cap);
		}
	}
}

int fr_scenario_load(const char *path, struct fr_override *ovr, size_t novr,
		     struct fr_scenario **out, char *err, size_t errlen)
{
	const char *kind;
	int fd = fr_open_regular(path, &kind);
	unsigned char *buf;
	size_t len;
	int ret;

	*out = NULL;
	if (fd < 0) {
		if (kind)
			fr_set_err(err, errlen, "faultrun: '%s': not a regular file (%s)", path,
				   kind);
		else
			fr_set_err(err, errlen, "faultrun: '%s': %s", path, strerror(-fd));
		return fd;
	}
	ret = read_file(fd, path, &buf, &len, err, errlen);
	close(fd);
	if (!ret)
		ret = load_text(path, buf, len, ovr, novr, out, err, errlen);
	free(buf);
	return ret;
}

void fr_scenario_destroy(struct fr_scenario *s)
{
	if (s)
		fr_arena_destroy(s->arena);
}
