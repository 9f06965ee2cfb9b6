/*
 * faultrun — the HTML report's static part (report_html.h): per scenario
 * its verdict, parameters and tables (assertions, faults, probes, timeline
 * steps; the target and services: report_html_units.c), the overview of several scenarios, and each
 * journal embedded for the script. Everything here reads the journal.
 */
#define _GNU_SOURCE
#include "report/report_html_internal.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Text for HTML content and attribute values. */
static void esc_n(FILE *f, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		switch (s[i]) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			fputc(s[i], f);
		}
	}
}

static void esc(FILE *f, const char *s)
{
	if (s)
		esc_n(f, s, strlen(s));
}

/* A journal string, escaped; dflt (escaped too) when absent or not a string. */
void html_jesc(FILE *f, const struct fr_json *js, fr_jv v, const char *dflt)
{
	size_t n;
	char *s = fr_json_strdup(js, v, &n);

	if (s)
		esc_n(f, s, n);
	else
		esc(f, dflt);
	free(s);
}

/* A command (a list of strings), its words separated by spaces. */
void html_jcmd(FILE *f, const struct fr_json *js, fr_jv cmd)
{
	for (fr_jv a = fr_json_first(js, cmd); a != FR_JV_NONE; a = fr_json_next(js, cmd, a)) {
		if (a != fr_json_first(js, cmd))
			fputc(' ', f);
		html_jesc(f, js, a, "");
	}
}

/* Any scalar as text: strings decoded, numbers as written, else dflt. */
void html_jscalar(FILE *f, const struct fr_json *js, fr_jv v, const char *dflt)
{
	size_t n;
	const char *raw = fr_json_raw(js, v, &n);

	switch (fr_json_type(js, v)) {
	case FR_JSON_STRING:
		html_jesc(f, js, v, dflt);
		break;
	case FR_JSON_NUMBER:
		esc_n(f, raw, n);
		break;
	case FR_JSON_TRUE:
		fputs("true", f);
		break;
	case FR_JSON_FALSE:
		fputs("false", f);
		break;
	default:
		esc(f, dflt);
	}
}

fr_jv html_get(const struct fr_json *js, fr_jv obj, const char *key)
{
	return fr_json_get(js, obj, key);
}

static bool has_num(const struct fr_json *js, fr_jv obj, const char *key)
{
	return fr_json_type(js, html_get(js, obj, key)) == FR_JSON_NUMBER;
}

static double num(const struct fr_json *js, fr_jv obj, const char *key, double dflt)
{
	return fr_json_num(js, html_get(js, obj, key), dflt);
}

/*
 * A duration, short and readable: 180 µs, 4.2 ms, 350 ms, 2.35 s, 4 min 05 s.
 * The page's script formats the same way (fmtDur in report_html_base.js).
 */
const char *html_fmt_dur(char *buf, size_t n, double s)
{
	double a = fabs(s);

	if (!isfinite(s))
		snprintf(buf, n, "?");
	else if (a == 0)
		snprintf(buf, n, "0 s");
	else if (a < 0.001)
		snprintf(buf, n, "%.0f µs", s * 1e6);
	else if (a < 0.01)
		snprintf(buf, n, "%.1f ms", s * 1e3);
	else if (a < 1)
		snprintf(buf, n, "%.0f ms", s * 1e3);
	else if (a < 60)
		snprintf(buf, n, "%.2f s", s);
	else if (a >= 1e9) /* nonsense, but no overflow in the casts below */
		snprintf(buf, n, "%.3g s", s);
	else
		snprintf(buf, n, "%s%d min %02d s", s < 0 ? "-" : "", (int)(a / 60),
			 (int)fmod(a, 60));
	return buf;
}

/* A time on the run's axis (seconds from t = 0): "5.21 s". */
const char *html_fmt_t(char *buf, size_t n, double t)
{
	snprintf(buf, n, "%.2f s", t);
	return buf;
}

const char *html_verdict_word(const char *v)
{
	if (!strcmp(v, "pass"))
		return "PASS";
	if (!strcmp(v, "fail"))
		return "FAIL";
	if (!strcmp(v, "error"))
		return "ERROR";
	if (!strcmp(v, "interrupted"))
		return "INTERRUPTED";
	return "UNKNOWN";
}

/* The verdict as a class-safe word (pass/fail/error/interrupted/unknown). */
const char *html_verdict_of(const struct fr_json *js, fr_jv sc)
{
	static const char *const known[] = { "pass", "fail", "error", "interrupted" };
	fr_jv v = html_get(js, sc, "verdict");

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (fr_json_streq(js, v, known[i]))
			return known[i];
	return "unknown";
}

static void badge(FILE *f, const char *verdict)
{
	fprintf(f, "<span class=\"verdict v-%s\">%s</span>", verdict, html_verdict_word(verdict));
}

/* The basename of a path, for labels. */
static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	if (!strcmp(p, "-"))
		return "stdin";

	return (s && s[1]) ? s + 1 : p;
}

/* Count samples of every series of a scenario, and those ok / timed out. */
static void count_samples(const struct fr_json *js, fr_jv probe, size_t *n, size_t *ok, size_t *to,
			  double *max_lat)
{
	fr_jv samples = html_get(js, probe, "samples");

	*n = *ok = *to = 0;
	*max_lat = -1;
	for (fr_jv s = fr_json_first(js, samples); s != FR_JV_NONE;
	     s = fr_json_next(js, samples, s)) {
		double l = num(js, s, "latency", -1);

		(*n)++;
		if (fr_json_bool(js, html_get(js, s, "ok"), false))
			(*ok)++;
		if (fr_json_bool(js, html_get(js, s, "timeout"), false))
			(*to)++;
		if (l > *max_lat)
			*max_lat = l;
	}
}

static size_t count_all_samples(const struct fr_json *js, fr_jv sc)
{
	fr_jv probes = html_get(js, sc, "probes");
	size_t total = 0;

	for (fr_jv p = fr_json_first(js, probes); p != FR_JV_NONE; p = fr_json_next(js, probes, p))
		total += fr_json_len(js, html_get(js, p, "samples"));
	return total;
}

/* "2.00–8.00 s, 12.00–14.00 s" for a list of intervals [[a, b], ...]. */
static void intervals(FILE *f, const struct fr_json *js, fr_jv list)
{
	bool first = true;

	for (fr_jv iv = fr_json_first(js, list); iv != FR_JV_NONE;
	     iv = fr_json_next(js, list, iv)) {
		fr_jv a = fr_json_at(js, iv, 0), b = fr_json_at(js, iv, 1);

		fprintf(f, "%s%.2f–%.2f s", first ? "" : ", ", fr_json_num(js, a, 0),
			fr_json_num(js, b, 0));
		first = false;
	}
}

/* where the shim reached, and the first refusals (journals since "processes") */
static void write_processes(FILE *f, const struct fr_json *js, fr_jv pr)
{
	fr_jv list = html_get(js, pr, "list");
	unsigned shown = 0;

	if (fr_json_type(js, html_get(js, pr, "summary")) != FR_JSON_STRING)
		return;
	fputs("<div><dt>shim</dt><dd>", f);
	html_jesc(f, js, html_get(js, pr, "summary"), "");
	if (num(js, pr, "refused", 0) > 0)
		fprintf(f, "; <strong>%.0f refused</strong>", num(js, pr, "refused", 0));
	for (fr_jv p = fr_json_first(js, list); p != FR_JV_NONE && shown < 3;
	     p = fr_json_next(js, list, p)) {
		if (fr_json_bool(js, html_get(js, p, "attached"), true))
			continue;
		fprintf(f, "<br>process %.0f (", num(js, p, "pid", 0));
		html_jesc(f, js, html_get(js, p, "exe"), "?");
		fprintf(f, ", uid %.0f): ", num(js, p, "uid", 0));
		html_jesc(f, js, html_get(js, p, "why"), "");
		shown++;
	}
	fputs("</dd></div>\n", f);
}

static void write_params(FILE *f, const struct fr_json *js, fr_jv sc, const struct journal *j)
{
	char b1[32], b2[32];
	fr_jv vars = html_get(js, sc, "vars"), summary = html_get(js, sc, "summary");

	fputs("<dl class=\"params\">\n", f);
	fputs("<div><dt>file</dt><dd><code>", f);
	html_jesc(f, js, html_get(js, sc, "file"), "?");
	fputs("</code></dd></div>\n", f);
	fputs("<div><dt>vars</dt><dd>", f);
	if (!fr_json_len(js, vars))
		fputs("none", f);
	for (fr_jv k = fr_json_first_key(js, vars); k != FR_JV_NONE;
	     k = fr_json_next_key(js, vars, k)) {
		fputs("<code>", f);
		html_jesc(f, js, k, "?");
		fputc('=', f);
		html_jscalar(f, js, k + 1, "");
		fputs("</code> ", f);
	}
	fputs("</dd></div>\n", f);
	fputs("<div><dt>seed</dt><dd><code>", f);
	html_jscalar(f, js, html_get(js, sc, "seed"), "?");
	fputs("</code></dd></div>\n", f);
	fputs("<div><dt>started</dt><dd>", f);
	html_jesc(f, js, html_get(js, sc, "started"), "never became ready");
	fputs("</dd></div>\n", f);
	fprintf(f, "<div><dt>duration</dt><dd>%s (setup %s)</dd></div>\n",
		html_fmt_dur(b1, sizeof(b1), num(js, sc, "duration", 0)),
		html_fmt_dur(b2, sizeof(b2), num(js, sc, "setup", 0)));
	fprintf(f, "<div><dt>assertions</dt><dd>%.0f, %.0f failed</dd></div>\n",
		num(js, summary, "assertions",
		    (double)fr_json_len(js, html_get(js, sc, "assertions"))),
		num(js, summary, "failed", 0));
	write_processes(f, js, html_get(js, sc, "processes"));
	if (fr_json_type(js, html_get(js, sc, "run_dir")) == FR_JSON_STRING) {
		fputs("<div><dt>run dir</dt><dd><code>", f);
		html_jesc(f, js, html_get(js, sc, "run_dir"), "");
		fputs("</code></dd></div>\n", f);
	}
	if (j->name) {
		fputs("<div><dt>journal</dt><dd><code>", f);
		esc(f, base_name(j->name));
		fputs("</code></dd></div>\n", f);
	}
	fputs("</dl>\n", f);
}

static void write_assertions(FILE *f, const struct fr_json *js, fr_jv sc)
{
	fr_jv list = html_get(js, sc, "assertions");
	size_t i = 0, failed = 0;

	/* "judged": false (an interrupted run): measured, neither held nor failed */
	for (fr_jv a = fr_json_first(js, list); a != FR_JV_NONE; a = fr_json_next(js, list, a))
		failed += !fr_json_bool(js, html_get(js, a, "ok"), false) &&
			  fr_json_bool(js, html_get(js, a, "judged"), true);
	fprintf(f, "<h3>Assertions <small>%zu, %zu failed</small></h3>\n", fr_json_len(js, list),
		failed);
	if (!fr_json_len(js, list)) {
		fputs("<p class=\"none\">No assertion was evaluated.</p>\n", f);
		return;
	}
	fputs("<div class=\"scroll\"><table class=\"asserts\">\n<thead><tr><th>result</th>"
	      "<th>assertion</th><th>measured</th><th>bound</th><th>window</th><th"
	      " class=\"num\">line</th>"
	      "</tr></thead>\n<tbody>\n",
	      f);
	for (fr_jv a = fr_json_first(js, list); a != FR_JV_NONE;
	     a = fr_json_next(js, list, a), i++) {
		bool ok = fr_json_bool(js, html_get(js, a, "ok"), false);
		bool judged = fr_json_bool(js, html_get(js, a, "judged"), true);
		fr_jv win = html_get(js, a, "window");

		fprintf(f, "<tr class=\"%s\" data-a=\"%zu\" tabindex=\"0\">",
			!judged ? "a-skip" :
			ok	? "a-ok" :
				  "a-fail",
			i);
		fprintf(f, "<td class=\"res\">%s</td><td>",
			!judged ? "– not judged" :
			ok	? "✓ held" :
				  "✗ failed");
		html_jesc(f, js, html_get(js, a, "label"), "?");
		if (fr_json_bool(js, html_get(js, a, "implicit"), false))
			fputs(" <span class=\"tag\">implicit</span>", f);
		fputs("</td><td class=\"measured\">", f);
		html_jesc(f, js, html_get(js, a, "measured"), "?");
		fputs("</td><td class=\"bound\">", f);
		html_jesc(f, js, html_get(js, a, "bound"), "?");
		fputs("</td><td class=\"win\">", f);
		if (fr_json_type(js, win) == FR_JSON_OBJECT) {
			html_jesc(f, js, html_get(js, win, "label"), "");
			fputs(" <span class=\"iv\">", f);
			intervals(f, js, html_get(js, win, "intervals"));
			fputs("</span>", f);
		} else {
			fputs("whole run", f);
		}
		fputs("</td><td class=\"num\">", f);
		if (num(js, a, "line", 0) > 0)
			html_jscalar(f, js, html_get(js, a, "line"), "");
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table></div>\n", f);
}

/*
 * The journal's groups of injection events (docs/journal.md): one row
 * each, and what no group counts. Bounded by the journal's table of groups.
 */
static void write_injection_groups(FILE *f, const struct fr_json *js, fr_jv inj)
{
	fr_jv groups = html_get(js, inj, "groups");
	char b1[32], b2[32];

	fprintf(f,
		"<p class=\"note\">The injections the event rings showed, in %zu group%s (same "
		"fault, unit, process, call and outcome); the journal keeps a sample of %zu "
		"events. %.0f were read but counted in no group (the table of groups was full), "
		"%.0f were overwritten in the ring before faultrun read them. The counts above "
		"are exact.</p>\n",
		fr_json_len(js, groups), fr_json_len(js, groups) == 1 ? "" : "s",
		fr_json_len(js, html_get(js, inj, "events")),
		num(js, html_get(js, inj, "other"), "count", 0), num(js, inj, "missed", 0));
	if (!fr_json_len(js, groups))
		return;
	fputs("<div class=\"scroll\"><table class=\"faults\">\n<thead><tr><th>fault</th>"
	      "<th>unit</th><th class=\"num\">pid</th><th>call</th><th>where</th>"
	      "<th class=\"num\">events</th><th>first – last</th></tr></thead>\n<tbody>\n",
	      f);
	for (fr_jv g = fr_json_first(js, groups); g != FR_JV_NONE;
	     g = fr_json_next(js, groups, g)) {
		fputs("<tr><td>", f);
		html_jesc(f, js, html_get(js, g, "fault"), "?");
		fputs("</td><td>", f);
		html_jesc(f, js, html_get(js, g, "service"), "target");
		fprintf(f, "</td><td class=\"num\">%.0f</td><td>", num(js, g, "pid", 0));
		html_jesc(f, js, html_get(js, g, "op"), "?");
		fputs(" → ", f);
		html_jesc(f, js, html_get(js, g, "action"), "?");
		fputs(" ", f);
		html_jesc(f, js, html_get(js, g, "errno"), "");
		fputs("</td><td><code>", f);
		html_jesc(f, js, html_get(js, g, "where"), "");
		fprintf(f, "</code></td><td class=\"num\">%.0f</td><td>%s – %s</td></tr>\n",
			num(js, g, "count", 0), html_fmt_t(b1, sizeof(b1), num(js, g, "t", 0)),
			html_fmt_t(b2, sizeof(b2), num(js, g, "last", 0)));
	}
	fputs("</tbody></table></div>\n", f);
}

static void write_faults(FILE *f, const struct fr_json *js, fr_jv sc)
{
	fr_jv list = html_get(js, sc, "faults"), inj = html_get(js, sc, "injections");
	char b1[32], b2[32];

	fputs("<h3>Faults</h3>\n", f);
	if (!fr_json_len(js, list)) {
		fputs("<p class=\"none\">The scenario defines no fault.</p>\n", f);
		return;
	}
	fputs("<div class=\"scroll\"><table class=\"faults\">\n<thead><tr><th>fault</th><th>rule"
	      "</th>"
	      "<th>armed</th><th class=\"num\">injected</th><th class=\"num\">matched</th>"
	      "<th>first – last</th></tr></thead>\n"
	      "<tbody>\n",
	      f);
	for (fr_jv ft = fr_json_first(js, list); ft != FR_JV_NONE;
	     ft = fr_json_next(js, list, ft)) {
		fr_jv wins = html_get(js, ft, "windows");
		double injected = num(js, ft, "injected", 0);
		bool armed = fr_json_len(js, wins) > 0;
		bool silent = armed && injected == 0 &&
			      !fr_json_bool(js, html_get(js, ft, "may_not_fire"), false);

		fprintf(f, "<tr%s><td>", silent ? " class=\"a-fail\"" : "");
		html_jesc(f, js, html_get(js, ft, "name"), "?");
		fputs("</td><td><code>", f);
		html_jesc(f, js, html_get(js, ft, "spec"), "");
		fputs("</code></td><td>", f);
		if (!armed)
			fputs("never", f);
		for (fr_jv w = fr_json_first(js, wins); w != FR_JV_NONE;
		     w = fr_json_next(js, wins, w))
			fprintf(f, "%s%.2f–%.2f s", w == fr_json_first(js, wins) ? "" : ", ",
				num(js, w, "start", 0), num(js, w, "end", 0));
		fprintf(f, "</td><td class=\"num\">%.0f", injected);
		if (num(js, ft, "bytes", 0) > 0)
			fprintf(f, " (%.0f bytes)", num(js, ft, "bytes", 0));
		if (silent)
			fputs(" — never fired", f);
		fprintf(f, "</td><td class=\"num\">%.0f</td><td>", num(js, ft, "matched", 0));
		if (has_num(js, ft, "first"))
			fprintf(f, "%s – %s", html_fmt_t(b1, sizeof(b1), num(js, ft, "first", 0)),
				html_fmt_t(b2, sizeof(b2), num(js, ft, "last", 0)));
		else
			fputs("—", f);
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table></div>\n", f);
	if (html_get(js, inj, "groups") != FR_JV_NONE)
		write_injection_groups(f, js, inj);
	else if (num(js, inj, "dropped", 0) > 0)
		fprintf(f,
			"<p class=\"note\">The shim's event ring kept the last %zu injection"
			" events; "
			"%.0f earlier ones were not recorded (the counts above are exact).</p>\n",
			fr_json_len(js, html_get(js, inj, "events")), num(js, inj, "dropped", 0));
}

static void write_probes(FILE *f, const struct fr_json *js, fr_jv sc)
{
	fr_jv list = html_get(js, sc, "probes");
	char b1[32], b2[32], b3[32];

	fputs("<h3>Probes and load</h3>\n", f);
	if (!fr_json_len(js, list)) {
		fputs("<p class=\"none\">No probe.</p>\n", f);
		return;
	}
	fputs("<div class=\"scroll\"><table class=\"probes\">\n<thead><tr><th>series</th><th>kind"
	      "</th>"
	      "<th>checks</th><th class=\"num\">every</th><th class=\"num\">timeout</th>"
	      "<th class=\"num\">samples</th><th class=\"num\">ok</th><th class=\"num\">timeouts"
	      "</th>"
	      "<th class=\"num\">max latency</th></tr></thead>\n<tbody>\n",
	      f);
	for (fr_jv p = fr_json_first(js, list); p != FR_JV_NONE; p = fr_json_next(js, list, p)) {
		size_t n, ok, to;
		double max_lat;
		fr_jv lb = html_get(js, p, "lb");

		count_samples(js, p, &n, &ok, &to, &max_lat);
		fputs("<tr><td>", f);
		html_jesc(f, js, html_get(js, p, "name"), "?");
		fputs("</td><td>", f);
		html_jesc(f, js, html_get(js, p, "kind"), "?");
		fputs("</td><td>", f);
		html_jesc(f, js, html_get(js, p, "what"), "");
		if (fr_json_type(js, lb) == FR_JSON_OBJECT) {
			fr_jv tr = html_get(js, lb, "transitions");

			fprintf(f,
				"<br><small>behind a load balancer (in after %.0f passes, out after"
				" %.0f "
				"failures)",
				num(js, lb, "healthy_threshold", 0),
				num(js, lb, "unhealthy_threshold", 0));
			for (fr_jv t = fr_json_first(js, tr); t != FR_JV_NONE;
			     t = fr_json_next(js, tr, t))
				fprintf(f, "; %s at %s",
					fr_json_bool(js, html_get(js, t, "in"), false) ? "in" :
											 "out",
					html_fmt_t(b1, sizeof(b1), num(js, t, "t", 0)));
			fputs("</small>", f);
		}
		fprintf(f, "</td><td class=\"num\">%s</td><td class=\"num\">%s</td>",
			has_num(js, p, "interval") ?
				html_fmt_dur(b1, sizeof(b1), num(js, p, "interval", 0)) :
				"—",
			has_num(js, p, "timeout") ?
				html_fmt_dur(b2, sizeof(b2), num(js, p, "timeout", 0)) :
				"—");
		fprintf(f, "<td class=\"num\">%zu</td><td class=\"num\">", n);
		if (n)
			fprintf(f, "%zu (%.1f%%)", ok, 100.0 * (double)ok / (double)n);
		else
			fputs("—", f);
		fprintf(f, "</td><td class=\"num\">%zu</td><td class=\"num\">%s</td></tr>\n", to,
			max_lat >= 0 ? html_fmt_dur(b3, sizeof(b3), max_lat) : "—");
	}
	fputs("</tbody></table></div>\n", f);
}

static void write_steps(FILE *f, const struct fr_json *js, fr_jv sc)
{
	fr_jv list = html_get(js, sc, "timeline");
	char b1[32], b2[32];

	if (!fr_json_len(js, list))
		return;
	fputs("<h3>Timeline steps</h3>\n<div class=\"scroll\"><table class=\"steps\">\n<thead><tr>"
	      "<th class=\"num\">at</th><th class=\"num\">ran at</th><th>action</th><th>detail</th>"
	      "</tr></thead>\n<tbody>\n",
	      f);
	for (fr_jv s = fr_json_first(js, list); s != FR_JV_NONE; s = fr_json_next(js, list, s)) {
		fprintf(f, "<tr><td class=\"num\">%s</td><td class=\"num\">%s</td><td>",
			html_fmt_t(b1, sizeof(b1), num(js, s, "at", 0)),
			html_fmt_t(b2, sizeof(b2), num(js, s, "t", 0)));
		html_jesc(f, js, html_get(js, s, "action"), "?");
		fputs("</td><td>", f);
		if (fr_json_type(js, html_get(js, s, "fault")) == FR_JSON_STRING) {
			html_jesc(f, js, html_get(js, s, "fault"), "");
			fputc(' ', f);
		}
		html_jesc(f, js, html_get(js, s, "detail"), "");
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table></div>\n", f);
}

void html_write_scenario(FILE *f, const struct journal *j, size_t ji, fr_jv sc, size_t si)
{
	const struct fr_json *js = &j->js;
	const char *verdict = html_verdict_of(js, sc);

	fprintf(f,
		"<section class=\"scn\" id=\"s%zu-%zu\" data-verdict=\"%s\""
		" data-samples=\"%zu\">\n",
		ji, si, verdict, count_all_samples(js, sc));
	fputs("<h2>", f);
	badge(f, verdict);
	fputc(' ', f);
	html_jesc(f, js, html_get(js, sc, "name"), "(unnamed)");
	fputs("</h2>\n", f);
	if (fr_json_type(js, html_get(js, sc, "description")) == FR_JSON_STRING) {
		fputs("<p class=\"desc\">", f);
		html_jesc(f, js, html_get(js, sc, "description"), "");
		fputs("</p>\n", f);
	}
	if (fr_json_type(js, html_get(js, sc, "error")) == FR_JSON_STRING) {
		fputs("<p class=\"why\">", f);
		html_jesc(f, js, html_get(js, sc, "error"), "");
		fputs("</p>\n", f);
	}
	write_params(f, js, sc, j);
	fprintf(f,
		"<div class=\"tl\" data-journal=\"%zu\" data-scenario=\"%zu\">"
		"<p class=\"nojs\">The timeline is drawn by the page's script; the tables below "
		"hold what was measured.</p></div>\n",
		ji, si);
	write_assertions(f, js, sc);
	write_faults(f, js, sc);
	write_probes(f, js, sc);
	html_write_target(f, js, sc);
	html_write_services(f, js, sc);
	write_steps(f, js, sc);
	fputs("</section>\n", f);
}

/* The summary table at the top, for pages with more than one scenario. */
void html_write_overview(FILE *f, const struct journal *jn, size_t n)
{
	char b[32];

	fputs("<section class=\"overview\">\n<h2>Summary</h2>\n<div class=\"scroll\">"
	      "<table class=\"summary\">\n<thead><tr><th>verdict</th><th>scenario</th>"
	      "<th class=\"num\">failed</th><th class=\"num\">duration</th><th>file</th>"
	      "<th>journal</th>"
	      "</tr></thead>\n<tbody>\n",
	      f);
	for (size_t ji = 0; ji < n; ji++) {
		const struct fr_json *js = &jn[ji].js;
		size_t si = 0;

		for (fr_jv sc = fr_json_first(js, jn[ji].scenarios); sc != FR_JV_NONE;
		     sc = fr_json_next(js, jn[ji].scenarios, sc), si++) {
			fr_jv sum = html_get(js, sc, "summary");
			const char *v = html_verdict_of(js, sc);

			fprintf(f, "<tr class=\"row-%s\"><td>", v);
			badge(f, v);
			fprintf(f, "</td><td><a href=\"#s%zu-%zu\">", ji, si);
			html_jesc(f, js, html_get(js, sc, "name"), "(unnamed)");
			fprintf(f,
				"</a></td><td class=\"num\">%.0f of %.0f</td>"
				"<td class=\"num\">%s</td><td><code>",
				num(js, sum, "failed", 0), num(js, sum, "assertions", 0),
				html_fmt_dur(b, sizeof(b), num(js, sc, "duration", 0)));
			html_jesc(f, js, html_get(js, sc, "file"), "");
			fputs("</code></td><td><code>", f);
			esc(f, jn[ji].name ? base_name(jn[ji].name) : "");
			fputs("</code></td></tr>\n", f);
			if (fr_json_type(js, html_get(js, sc, "error")) == FR_JSON_STRING) {
				fputs("<tr class=\"why-row\"><td></td><td colspan=\"5\">", f);
				html_jesc(f, js, html_get(js, sc, "error"), "");
				fputs("</td></tr>\n", f);
			}
		}
	}
	fputs("</tbody></table></div>\n</section>\n", f);
}

/* The journal inside a script element: '<' as \u003c (see the top comment). */
void html_embed_journal(FILE *f, const struct journal *j, size_t ji)
{
	const char *p = j->text, *end = j->text + j->len;

	if (j->len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3; /* JSON.parse refuses a byte order mark */
	fprintf(f, "<script type=\"application/json\" class=\"fr-journal\" data-journal=\"%zu\">",
		ji);
	while (p < end) {
		const char *lt = memchr(p, '<', (size_t)(end - p));
		size_t n = lt ? (size_t)(lt - p) : (size_t)(end - p);

		fwrite(p, 1, n, f);
		p += n;
		if (lt) {
			fputs("\\u003c", f);
			p++;
		}
	}
	fputs("</script>\n", f);
}
