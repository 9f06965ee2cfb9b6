/*
 * faultrun report --merge OUT IN...: the JUnit files, or the journals, of
 * the shards of a suite (faultrun --shard I/N) joined into one, as one
 * unsharded run of the suite would have written it (docs/ci.md):
 *
 * - JUnit: one <testsuites> whose tests, failures, errors (and skipped)
 *   and time are the sums of the inputs', holding every input's
 *   <testsuite> elements, copied byte for byte.
 * - Journals: one journal (docs/journal.md) whose "scenarios" are every
 *   input's, copied byte for byte; "faultrun" and "command" are the first
 *   input's, "started" the earliest, "exit" the worst (3 over 1 over 0),
 *   and "merged" lists each input (its path, command, started, exit and
 *   number of scenarios).
 *
 * Both put the scenarios in the order of their file names (stable: equal
 * ones keep the order of the inputs), which is the order an unsharded run
 * of a directory has; the shards' own order is lost with the split. The
 * kind is told from the content, so the file names do not matter.
 */
#define _GNU_SOURCE
#include "shard.h"
#include "util/fsutil.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One scenario of one input: its text as written, and its file for the order. */
struct item {
	const char *p;
	size_t len;
	char *file;
	size_t seq;
};

struct merge {
	struct item *items;
	size_t nitems;
	/* JUnit: the sums of the <testsuites> counters */
	unsigned long tests, failures, errors, skipped;
	bool has_skipped;
	double time;
};

static void add_item(struct merge *m, const char *p, size_t len, char *file)
{
	m->items = fr_xreallocarray(m->items, m->nitems + 1, sizeof(*m->items));
	m->items[m->nitems] = (struct item){ p, len, file ? file : fr_xstrdup(""), m->nitems };
	m->nitems++;
}

static int cmp_item(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	int c = strcmp(x->file, y->file);

	if (c)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* ---- JUnit ------------------------------------------------------------ */

/* The end of the tag that starts at p ('>' included), quotes respected; NULL if none. */
static const char *tag_end(const char *p)
{
	char q = 0;

	for (; *p; p++) {
		if (q) {
			if (*p == q)
				q = 0;
		} else if (*p == '"' || *p == '\'') {
			q = *p;
		} else if (*p == '>') {
			return p + 1;
		}
	}
	return NULL;
}

/* Whether p starts the tag <name (followed by a blank, '>' or '/'). */
static bool is_tag(const char *p, const char *name)
{
	size_t n = strlen(name);

	return p[0] == '<' && !strncmp(p + 1, name, n) && strchr(" \t\r\n>/", p[n + 1]) && p[n + 1];
}

/* Attribute name of the tag [p, end): its value, malloc'd (entities kept), or NULL. */
static char *attr(const char *p, const char *end, const char *name)
{
	size_t n = strlen(name);

	for (const char *a = p; a && a < end; a++) {
		if (*a == '"' || *a == '\'') {
			const char *close = memchr(a + 1, *a, (size_t)(end - a - 1));

			if (!close)
				return NULL;
			a = close;
			continue;
		}
		if (!strchr(" \t\r\n", a[0]) || strncmp(a + 1, name, n) || a[n + 1] != '=' ||
		    (a[n + 2] != '"' && a[n + 2] != '\''))
			continue;
		const char *v = a + n + 3, *close = memchr(v, a[n + 2], (size_t)(end - v));

		return close ? fr_xstrndup(v, (size_t)(close - v)) : NULL;
	}
	return NULL;
}

/* Add a counter attribute of <testsuites>. Returns false if it is there but no count. */
static bool add_count(const char *p, const char *end, const char *name, unsigned long *sum,
		      bool *seen)
{
	char *v = attr(p, end, name), *e;
	bool ok = true;

	if (!v)
		return true;
	errno = 0;
	unsigned long n = strtoul(v, &e, 10);
	if (errno || e == v || *e || v[0] == '-')
		ok = false;
	*sum += n;
	if (seen)
		*seen = true;
	free(v);
	return ok;
}

/* Past the <!-- --> comment, CDATA section or tag at p, or NULL if it does not end. */
static const char *skip_markup(const char *p)
{
	const char *e;

	if (!strncmp(p, "<!--", 4))
		return (e = strstr(p + 4, "-->")) ? e + 3 : NULL;
	if (!strncmp(p, "<![CDATA[", 9))
		return (e = strstr(p + 9, "]]>")) ? e + 3 : NULL;
	return tag_end(p);
}

/* The end of the <testsuite> element that starts at p, or NULL. */
static const char *suite_end(const char *p)
{
	const char *open_end = tag_end(p);

	if (!open_end)
		return NULL;
	if (open_end[-2] == '/')
		return open_end;
	for (const char *q = open_end; (q = strchr(q, '<'));) {
		if (!strncmp(q, "</testsuite>", 12))
			return q + 12;
		if (!(q = skip_markup(q)))
			return NULL;
	}
	return NULL;
}

/* Take one JUnit document's suites. Returns 0, or -1 with why in err. */
static int junit_take(struct merge *m, const char *text, char *err, size_t errlen)
{
	const char *p = text, *end;

	while ((p = strchr(p, '<')) && !is_tag(p, "testsuites"))
		if (!(p = skip_markup(p)))
			break;
	if (!p || !(end = tag_end(p))) {
		snprintf(err, errlen, "no <testsuites> element");
		return -1;
	}
	double t = 0;
	char *tv = attr(p, end, "time");

	if (tv)
		t = strtod(tv, NULL);
	free(tv);
	m->time += t;
	if (!add_count(p, end, "tests", &m->tests, NULL) ||
	    !add_count(p, end, "failures", &m->failures, NULL) ||
	    !add_count(p, end, "errors", &m->errors, NULL) ||
	    !add_count(p, end, "skipped", &m->skipped, &m->has_skipped)) {
		snprintf(err, errlen, "<testsuites> has a count that is not a number");
		return -1;
	}
	if (end[-2] == '/')
		return 0; /* <testsuites/>: an empty shard */
	for (p = end; (p = strchr(p, '<'));) {
		if (!strncmp(p, "</testsuites>", 13))
			return 0;
		if (!is_tag(p, "testsuite")) {
			if (!(p = skip_markup(p)))
				break;
			continue;
		}
		const char *e = suite_end(p), *oe = tag_end(p);

		if (!e)
			break;
		add_item(m, p, (size_t)(e - p), attr(p, oe, "file"));
		p = e;
	}
	snprintf(err, errlen, "unterminated <testsuites> (no </testsuites>)");
	return -1;
}

static char *junit_doc(struct merge *m)
{
	struct fr_buf b = { 0 };

	fr_buf_printf(&b,
		      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		      "<testsuites name=\"faultrun\" tests=\"%lu\" failures=\"%lu\" "
		      "errors=\"%lu\"",
		      m->tests, m->failures, m->errors);
	if (m->has_skipped)
		fr_buf_printf(&b, " skipped=\"%lu\"", m->skipped);
	fr_buf_printf(&b, " time=\"%.3f\">\n", m->time);
	for (size_t i = 0; i < m->nitems; i++) {
		fr_buf_puts(&b, "  ");
		fr_buf_add(&b, m->items[i].p, m->items[i].len);
		fr_buf_puts(&b, "\n");
	}
	fr_buf_puts(&b, "</testsuites>\n");
	return fr_buf_take(&b);
}

/* ---- journals --------------------------------------------------------- */

struct jin {
	const char *path;
	struct fr_json js;
};

/* 0 all held, 1 an assertion failed, 2 anything else: which exit is worse */
static int exit_rank(double e)
{
	return e == 0 ? 0 : e == 1 ? 1 : 2;
}

/* Append value v of js as written, or null when it is absent. */
static void put_raw(struct fr_buf *b, const struct fr_json *js, fr_jv v)
{
	const struct fr_json_tok *t;

	if (fr_json_type(js, v) == FR_JSON_NONE) {
		fr_buf_puts(b, "null");
		return;
	}
	t = &js->tok[v];
	/* strings: the token is inside the quotes */
	if (t->type == FR_JSON_STRING)
		fr_buf_add(b, js->text + t->start - 1, t->len + 2);
	else
		fr_buf_add(b, js->text + t->start, t->len);
}

/* Take one journal's scenarios. Returns 0, or -1 with why in err. */
static int journal_take(struct merge *m, struct jin *in, char *err, size_t errlen)
{
	const struct fr_json *js = &in->js;
	fr_jv sc = fr_json_get(js, 0, "scenarios");

	if (!fr_json_streq(js, fr_json_get(js, 0, "format"), "faultrun-journal") ||
	    fr_json_type(js, sc) != FR_JSON_ARRAY) {
		snprintf(err, errlen,
			 "not a faultrun journal (no \"format\": \"faultrun-journal\")");
		return -1;
	}
	if (fr_json_num(js, fr_json_get(js, 0, "version"), 0) != 1) {
		snprintf(err, errlen, "a journal of another version than 1 (docs/journal.md)");
		return -1;
	}
	for (fr_jv s = fr_json_first(js, sc); s != FR_JV_NONE; s = fr_json_next(js, sc, s)) {
		const struct fr_json_tok *t = &js->tok[s];

		add_item(m, js->text + t->start, t->len,
			 fr_json_strdup(js, fr_json_get(js, s, "file"), NULL));
	}
	return 0;
}

static char *journal_doc(struct merge *m, struct jin *in, size_t n)
{
	struct fr_buf b = { 0 };
	const struct fr_json *first = &in[0].js;
	size_t earliest = 0, worst = 0;

	for (size_t i = 1; i < n; i++) {
		fr_jv s = fr_json_get(&in[i].js, 0, "started");
		fr_jv e = fr_json_get(&in[earliest].js, 0, "started");
		char *a = fr_json_strdup(&in[i].js, s, NULL);
		char *c = fr_json_strdup(&in[earliest].js, e, NULL);

		/* ISO 8601 UTC times of one format sort as strings */
		if (a && (!c || strcmp(a, c) < 0))
			earliest = i;
		free(a);
		free(c);
		if (exit_rank(fr_json_num(&in[i].js, fr_json_get(&in[i].js, 0, "exit"), 3)) >
		    exit_rank(fr_json_num(&in[worst].js, fr_json_get(&in[worst].js, 0, "exit"), 3)))
			worst = i;
	}
	fr_buf_puts(&b,
		    "{\n  \"format\": \"faultrun-journal\",\n  \"version\": 1,\n  \"faultrun\": ");
	put_raw(&b, first, fr_json_get(first, 0, "faultrun"));
	fr_buf_puts(&b, ",\n  \"command\": ");
	put_raw(&b, first, fr_json_get(first, 0, "command"));
	fr_buf_puts(&b, ",\n  \"started\": ");
	put_raw(&b, &in[earliest].js, fr_json_get(&in[earliest].js, 0, "started"));
	fr_buf_puts(&b, ",\n  \"exit\": ");
	put_raw(&b, &in[worst].js, fr_json_get(&in[worst].js, 0, "exit"));
	fr_buf_puts(&b, ",\n  \"merged\": [");
	for (size_t i = 0; i < n; i++) {
		const struct fr_json *js = &in[i].js;

		fr_buf_puts(&b, i ? ",\n    {\"journal\": " : "\n    {\"journal\": ");
		fr_buf_json_str(&b, in[i].path);
		fr_buf_puts(&b, ", \"command\": ");
		put_raw(&b, js, fr_json_get(js, 0, "command"));
		fr_buf_puts(&b, ", \"started\": ");
		put_raw(&b, js, fr_json_get(js, 0, "started"));
		fr_buf_puts(&b, ", \"exit\": ");
		put_raw(&b, js, fr_json_get(js, 0, "exit"));
		fr_buf_printf(&b, ", \"scenarios\": %zu}",
			      fr_json_len(js, fr_json_get(js, 0, "scenarios")));
	}
	fr_buf_puts(&b, "\n  ],\n  \"scenarios\": [\n");
	for (size_t i = 0; i < m->nitems; i++) {
		fr_buf_puts(&b, i ? ",\n    " : "    ");
		fr_buf_add(&b, m->items[i].p, m->items[i].len);
	}
	fr_buf_puts(&b, "\n  ]\n}\n");
	return fr_buf_take(&b);
}

/* ---- the command ------------------------------------------------------ */

/* The first byte that is not blank (nor a UTF-8 byte order mark). */
static char first_char(const char *t)
{
	if (!strncmp(t, "\xef\xbb\xbf", 3))
		t += 3;
	while (*t == ' ' || *t == '\t' || *t == '\r' || *t == '\n')
		t++;
	return *t;
}

/* Read and parse every input. Returns 0, or -1 after saying why. */
static int take_all(struct merge *m, const char *const *paths, size_t n, struct jin *in,
		    char **texts, bool *journals)
{
	char err[256];

	for (size_t i = 0; i < n; i++) {
		size_t len;
		int r = !strcmp(paths[i], "-") ? fr_json_read_fd(0, &texts[i], &len) :
						 fr_json_read_file(paths[i], &texts[i], &len);
		if (r) {
			fprintf(stderr, "faultrun: report --merge: '%s': %s\n", paths[i],
				strerror(-r));
			return -1;
		}
		char c = first_char(texts[i]);
		if (c != '{' && c != '<') {
			fprintf(stderr,
				"faultrun: report --merge: '%s': neither a JUnit file nor a "
				"journal\n",
				paths[i]);
			return -1;
		}
		if (i && (c == '{') != *journals) {
			fprintf(stderr,
				"faultrun: report --merge: '%s' is a %s, '%s' a %s: merge "
				"JUnit files and journals separately\n",
				paths[0], *journals ? "journal" : "JUnit file", paths[i],
				c == '{' ? "journal" : "JUnit file");
			return -1;
		}
		*journals = c == '{';
		in[i].path = paths[i];
		if (*journals) {
			struct fr_json_err je;

			if (fr_json_parse(&in[i].js, texts[i], len, &je)) {
				fprintf(stderr, "faultrun: report --merge: %s:%d:%d: %s\n",
					paths[i], je.line, je.col, je.msg);
				return -1;
			}
			r = journal_take(m, &in[i], err, sizeof(err));
		} else {
			r = junit_take(m, texts[i], err, sizeof(err));
		}
		if (r) {
			fprintf(stderr, "faultrun: report --merge: '%s': %s\n", paths[i], err);
			return -1;
		}
	}
	return 0;
}

int fr_report_merge(const char *out, const char *const *paths, size_t n, int quiet)
{
	struct merge m = { 0 };
	struct jin *in = fr_xcalloc(n + 1, sizeof(*in));
	char **texts = fr_xcalloc(n + 1, sizeof(*texts));
	bool journals = false;
	char *doc = NULL;
	int status = 2;

	if (take_all(&m, paths, n, in, texts, &journals))
		goto out;
	qsort(m.items, m.nitems, sizeof(*m.items), cmp_item);
	doc = journals ? journal_doc(&m, in, n) : junit_doc(&m);
	int r = !strcmp(out, "-") ? fr_write_all(STDOUT_FILENO, doc, strlen(doc)) :
				    fr_write_file(out, doc, strlen(doc));
	if (r) {
		fprintf(stderr, "faultrun: report --merge: cannot write '%s': %s\n", out,
			strerror(-r));
		goto out;
	}
	if (!quiet && strcmp(out, "-"))
		fprintf(stderr, "faultrun: merged %zu %s (%zu scenario%s) into %s\n", n,
			journals ? (n == 1 ? "journal" : "journals") :
				   (n == 1 ? "JUnit file" : "JUnit files"),
			m.nitems, m.nitems == 1 ? "" : "s", out);
	status = 0;
out:
	free(doc);
	for (size_t i = 0; i < m.nitems; i++)
		free(m.items[i].file);
	free(m.items);
	for (size_t i = 0; i < n; i++) {
		fr_json_finish(&in[i].js);
		free(texts[i]);
	}
	free(in);
	free(texts);
	return status;
}
