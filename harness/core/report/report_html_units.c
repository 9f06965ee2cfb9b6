/*
 * faultrun — the HTML report's units (report_html_internal.h): the target
 * and each service of a scenario, with its counts, lifecycle and last
 * output lines. A load balancer's lifecycle also holds what it saw of its
 * backends (`lb`, `lb-lost`, docs/journal.md). Everything here reads the
 * journal.
 */
#define _GNU_SOURCE
#include "report/report_html_internal.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double num(const struct fr_json *js, fr_jv obj, const char *key, double dflt)
{
	return fr_json_num(js, html_get(js, obj, key), dflt);
}

static bool has_num(const struct fr_json *js, fr_jv obj, const char *key)
{
	return fr_json_type(js, html_get(js, obj, key)) == FR_JSON_NUMBER;
}

static const char *plural(double n)
{
	return n == 1 ? "" : "s";
}

/* "2 starts, 1 restart, 1 unexpected exit" */
static void write_counts(FILE *f, const struct fr_json *js, fr_jv u)
{
	double starts = num(js, u, "starts", 0), restarts = num(js, u, "restarts", 0),
	       exits = num(js, u, "exits", 0);

	fprintf(f, "%.0f start%s, %.0f restart%s, %.0f unexpected exit%s", starts, plural(starts),
		restarts, plural(restarts), exits, plural(exits));
}

/* HAProxy's view of a backend: UP (and NOCHECK: no checks, still served) is in rotation */
static bool lb_out(const struct fr_json *js, fr_jv e)
{
	fr_jv st = html_get(js, e, "state");
	char *s = fr_json_strdup(js, st, NULL);
	bool out = !s || !(strncmp(s, "UP", 2) == 0 || strcmp(s, "NOCHECK") == 0);

	free(s);
	return out;
}

static bool life_bad(const struct fr_json *js, fr_jv e)
{
	fr_jv ev = html_get(js, e, "event");

	if (fr_json_streq(js, ev, "exit"))
		return !fr_json_bool(js, html_get(js, e, "expected"), true);
	if (fr_json_streq(js, ev, "lb"))
		return lb_out(js, e);
	return fr_json_streq(js, ev, "give-up") || fr_json_streq(js, ev, "not-ready") ||
	       fr_json_streq(js, ev, "lb-lost");
}

/* the detail cell of one lifecycle event */
static void write_life_detail(FILE *f, const struct fr_json *js, fr_jv e)
{
	fr_jv ev = html_get(js, e, "event"), sig = html_get(js, e, "signal");

	if (fr_json_streq(js, ev, "exit")) {
		if (has_num(js, e, "status")) {
			fputs("status ", f);
			html_jscalar(f, js, html_get(js, e, "status"), "");
		} else {
			fputs("killed by ", f);
			html_jesc(f, js, sig, "?");
		}
		fputs(fr_json_bool(js, html_get(js, e, "expected"), false) ? " (expected)" :
									     " (unexpected)",
		      f);
	} else if (fr_json_streq(js, ev, "start")) {
		if (num(js, e, "attempt", 0) > 0) {
			fputs("restart #", f);
			html_jscalar(f, js, html_get(js, e, "attempt"), "");
		} else {
			fputs("first start", f);
		}
	} else if (fr_json_streq(js, ev, "lb")) {
		html_jesc(f, js, html_get(js, e, "server"), "?");
		fputs(": ", f);
		html_jesc(f, js, html_get(js, e, "before"), "?");
		fputs(" → ", f);
		html_jesc(f, js, html_get(js, e, "state"), "?");
		fputs(lb_out(js, e) ? " (out of rotation)" : " (in rotation)", f);
		if (fr_json_type(js, html_get(js, e, "detail")) == FR_JSON_STRING) {
			fputs(": ", f);
			html_jesc(f, js, html_get(js, e, "detail"), "");
		}
	} else {
		html_jesc(f, js, sig, "");
		html_jesc(f, js, html_get(js, e, "detail"), "");
	}
}

static void write_lifecycle(FILE *f, const struct fr_json *js, fr_jv life)
{
	bool many = fr_json_len(js, life) > 12;
	char b[32];

	if (!fr_json_len(js, life))
		return;
	if (many)
		fprintf(f, "<details><summary>lifecycle: %zu events</summary>\n",
			fr_json_len(js, life));
	fputs("<div class=\"scroll\"><table class=\"life\">\n<thead><tr><th class=\"num\">t</th>"
	      "<th>event</th><th class=\"num\">pid</th><th>detail</th></tr></thead>\n<tbody>\n",
	      f);
	for (fr_jv e = fr_json_first(js, life); e != FR_JV_NONE; e = fr_json_next(js, life, e)) {
		fprintf(f, "<tr%s><td class=\"num\">%s</td><td>",
			life_bad(js, e) ? " class=\"a-fail\"" : "",
			html_fmt_t(b, sizeof(b), num(js, e, "t", 0)));
		html_jesc(f, js, html_get(js, e, "event"), "?");
		fputs("</td><td class=\"num\">", f);
		html_jscalar(f, js, html_get(js, e, "pid"), "");
		fputs("</td><td>", f);
		write_life_detail(f, js, e);
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table></div>\n", f);
	if (many)
		fputs("</details>\n", f);
}

/* the last lines a unit wrote, folded; whose: "the target's", "b's" (escaped here) */
static void write_output(FILE *f, const struct fr_json *js, fr_jv out, fr_jv name)
{
	if (!fr_json_len(js, out))
		return;
	fprintf(f, "<details class=\"output\"><summary>last %zu lines of ", fr_json_len(js, out));
	if (name == FR_JV_NONE) {
		fputs("the target", f);
	} else {
		fputs("<code>", f);
		html_jesc(f, js, name, "?");
		fputs("</code>", f);
	}
	fputs("'s output</summary>\n<pre>", f);
	for (fr_jv l = fr_json_first(js, out); l != FR_JV_NONE; l = fr_json_next(js, out, l)) {
		html_jesc(f, js, l, "");
		fputc('\n', f);
	}
	fputs("</pre></details>\n", f);
}

void html_write_target(FILE *f, const struct fr_json *js, fr_jv sc)
{
	fr_jv tg = html_get(js, sc, "target"), rs = html_get(js, tg, "restart");
	char b[32];

	fputs("<h3>Target</h3>\n<p class=\"cmd\"><code>", f);
	html_jcmd(f, js, html_get(js, tg, "command"));
	fputs("</code></p>\n<p>restart policy ", f);
	html_jesc(f, js, html_get(js, rs, "policy"), "?");
	if (!fr_json_streq(js, html_get(js, rs, "policy"), "never"))
		fprintf(f, " (backoff %s, limit %.0f)",
			html_fmt_dur(b, sizeof(b), num(js, rs, "backoff", 0)),
			num(js, rs, "limit", 0));
	fputs("; ", f);
	write_counts(f, js, tg);
	fprintf(f, "%s</p>\n",
		fr_json_bool(js, html_get(js, tg, "shim"), true) ? "" : "; not under the shim");
	write_lifecycle(f, js, html_get(js, tg, "lifecycle"));
	write_output(f, js, html_get(js, tg, "output"), FR_JV_NONE);
}

static void write_service(FILE *f, const struct fr_json *js, fr_jv sv)
{
	fr_jv name = html_get(js, sv, "name"), cmd = html_get(js, sv, "command"),
	      be = html_get(js, sv, "backends");

	fputs("<div class=\"svc\" data-service=\"", f);
	html_jesc(f, js, name, "");
	fputs("\">\n<h3>Service ", f);
	html_jesc(f, js, name, "?");
	fputs(" <small>", f);
	html_jesc(f, js, html_get(js, sv, "type"), "process");
	fputs("</small></h3>\n", f);
	if (fr_json_len(js, cmd)) {
		fputs("<p class=\"cmd\"><code>", f);
		html_jcmd(f, js, cmd);
		fputs("</code></p>\n", f);
	}
	fputs("<p>", f);
	write_counts(f, js, sv);
	if (!fr_json_bool(js, html_get(js, sv, "shim"), true))
		fputs("; not under the shim", f);
	if (fr_json_bool(js, html_get(js, sv, "daemon"), false))
		fputs("; a daemon", f);
	if (fr_json_len(js, be)) {
		fputs("; backends ", f);
		for (fr_jv n = fr_json_first(js, be); n != FR_JV_NONE;
		     n = fr_json_next(js, be, n)) {
			fputs(n == fr_json_first(js, be) ? "<code>" : ", <code>", f);
			html_jesc(f, js, n, "?");
			fputs("</code>", f);
		}
	}
	fputs("</p>\n", f);
	write_lifecycle(f, js, html_get(js, sv, "lifecycle"));
	write_output(f, js, html_get(js, sv, "output"), name);
	fputs("</div>\n", f);
}

struct svc_order {
	fr_jv v;
	double t; /* its first event: when it started */
	size_t i; /* its place in the journal */
};

static int by_start(const void *a, const void *b)
{
	const struct svc_order *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* the services in the order they started, as on the timeline; never started: last */
void html_write_services(FILE *f, const struct fr_json *js, fr_jv sc)
{
	fr_jv list = html_get(js, sc, "services");
	size_t n = 0, len = fr_json_len(js, list);
	struct svc_order *o;

	if (fr_json_type(js, list) != FR_JSON_ARRAY || !len || !(o = calloc(len, sizeof(*o))))
		return;
	for (fr_jv sv = fr_json_first(js, list); sv != FR_JV_NONE && n < len;
	     sv = fr_json_next(js, list, sv)) {
		fr_jv first = fr_json_first(js, html_get(js, sv, "lifecycle"));

		if (fr_json_type(js, sv) != FR_JSON_OBJECT)
			continue;
		o[n].v = sv;
		o[n].t = first == FR_JV_NONE ? 1e300 : num(js, first, "t", 1e300);
		o[n].i = n;
		n++;
	}
	qsort(o, n, sizeof(*o), by_start);
	for (size_t i = 0; i < n; i++)
		write_service(f, js, o[i].v);
	free(o);
}
