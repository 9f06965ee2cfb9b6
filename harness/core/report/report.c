/*
 * Reports of a finished run (report.h): the JSON journal entry
 * (docs/journal.md), the JUnit <testsuite>, and the table printed at the
 * end. All three are rendered from the recording (recording.h), never
 * from live state.
 */
#define _GNU_SOURCE
#include "report/report.h"
#include "report/report_junit.h"
#include "report/report_services.h"
#include "config.h"
#include "util/strbuf.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

#include <faultrun/control.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The first line of an error (the table shows the rest: output lines). */
static char *first_line(const char *s)
{
	if (!s)
		return NULL;
	char *d = fr_xstrndup(s, strcspn(s, "\n"));
	size_t n = strlen(d);
	if (n && d[n - 1] == ':')
		d[n - 1] = 0;
	if (n > 15 && !strcmp(d + n - 17 > d ? d + n - 17 : d, "; its last output"))
		d[n - 17] = 0;
	return d;
}

static void json_secs(struct fr_buf *b, int64_t ns)
{
	fr_buf_json_secs(b, (double)ns);
}

static void json_target(struct fr_buf *b, const struct fr_record *r)
{
	const struct fr_target *t = &r->s->target;

	fr_buf_puts(b, "    \"target\": {\n      \"command\": ");
	fr_json_cmd(b, &t->command);
	fr_buf_puts(b, ",\n      \"cwd\": ");
	fr_buf_json_str(b, r->cwd);
	fr_buf_printf(b, ",\n      \"shim\": %s,\n", r->shim ? "true" : "false");
	fr_buf_printf(b, "      \"restart\": {\"policy\": \"%s\", \"backoff\": ",
		      fr_restart_name(t->restart));
	json_secs(b, (int64_t)t->backoff_ns);
	fr_buf_printf(b, ", \"limit\": %u},\n      \"lifecycle\": ", t->restart_limit);
	fr_json_lifecycle(b, r, NULL);
	fr_buf_puts(b, ",\n");
	fr_buf_printf(b,
		      "      \"starts\": %u,\n      \"restarts\": %u,\n"
		      "      \"exits\": %u,\n      \"output\": [",
		      r->starts, r->restarts, r->exits);
	for (size_t i = 0; i < r->ntail; i++) {
		fr_buf_puts(b, i ? ",\n        " : "\n        ");
		fr_buf_json_str(b, r->tail[i]);
	}
	fr_buf_printf(b, "%s]\n    },\n", r->ntail ? "\n      " : "");
}

/* "rate": injections per bucket from t = 0, from the counters (record/injections.h) */
static void json_rate(struct fr_buf *b, const struct fr_record *r, const struct fr_rate *rt)
{
	size_t n = fr_rate_len(rt, r->end_ns);

	fr_buf_puts(b, ", \"rate\": {\"start\": 0, \"width\": ");
	json_secs(b, rt->width ? rt->width : FR_RATE_WIDTH0);
	fr_buf_puts(b, ", \"counts\": [");
	for (size_t i = 0; i < n; i++)
		fr_buf_printf(b, "%s%llu", i ? ", " : "", (unsigned long long)rt->n[i]);
	fr_buf_puts(b, "]}");
}

static void json_fault(struct fr_buf *b, const struct fr_record *r, size_t i)
{
	const struct fr_scenario *s = r->s;
	const struct fr_fault_facts *ff = r->facts.faults ? &r->facts.faults[i] : NULL;

	fr_buf_puts(b, "\"name\": ");
	fr_buf_json_str(b, s->faults[i].name);
	fr_buf_puts(b, ", \"spec\": ");
	fr_buf_json_str(b, r->fault_specs ? r->fault_specs[i] : "");
	fr_buf_puts(b, ", \"in\": [");
	for (size_t k = 0; k < s->faults[i].nin; k++) {
		int p = s->faults[i].in[k];

		fr_buf_puts(b, k ? ", " : "");
		fr_buf_json_str(b, p ? s->services[p - 1].name : "target");
	}
	fr_buf_printf(b, "], \"may_not_fire\": %s, \"windows\": [",
		      s->faults[i].may_not_fire ? "true" : "false");
	for (size_t w = 0; ff && w < ff->nwin; w++) {
		fr_buf_puts(b, w ? ", {\"start\": " : "{\"start\": ");
		json_secs(b, ff->win[w].start);
		fr_buf_puts(b, ", \"end\": ");
		json_secs(b, ff->win[w].end);
		fr_buf_puts(b, "}");
	}
	fr_buf_printf(b,
		      "], \"matched\": %llu, \"injected\": %llu, "
		      "\"bytes\": %llu, \"first\": ",
		      (unsigned long long)(ff ? ff->matched : 0),
		      (unsigned long long)(ff ? ff->injected : 0),
		      (unsigned long long)(ff ? ff->bytes : 0));
	if (ff && ff->first != INT64_MIN)
		json_secs(b, ff->first);
	else
		fr_buf_puts(b, "null");
	fr_buf_puts(b, ", \"last\": ");
	if (ff && ff->last != INT64_MIN)
		json_secs(b, ff->last);
	else
		fr_buf_puts(b, "null");
	fr_buf_printf(b, ", \"folded\": %llu, \"unseen\": %llu",
		      (unsigned long long)(ff ? ff->folded : 0),
		      (unsigned long long)(ff ? ff->unseen : 0));
	if (ff)
		json_rate(b, r, &ff->rate);
}

/* One injection event, or a group's key (its time: first). */
static void json_inj(struct fr_buf *b, const struct fr_record *r, const struct fr_inj_event *e)
{
	fr_buf_puts(b, "{\"t\": ");
	json_secs(b, e->t);
	fr_buf_puts(b, ", \"fault\": ");
	fr_buf_json_str(b, e->fault >= 0 ? r->s->faults[e->fault].name : NULL);
	if (e->service) {
		fr_buf_puts(b, ", \"service\": ");
		fr_buf_json_str(b, e->service);
	}
	fr_buf_printf(b, ", \"pid\": %d, \"op\": ", e->pid);
	fr_buf_json_str(b, fr_op_name((enum fr_op)e->op));
	fr_buf_puts(b, ", \"action\": ");
	fr_buf_json_str(b, fr_action_name((enum fr_action)e->action));
	fr_buf_puts(b, ", \"errno\": ");
	fr_buf_json_str(b, e->err ? fr_errno_name(e->err) : NULL);
	fr_buf_puts(b, ", \"where\": ");
	fr_buf_json_str(b, e->where);
}

/*
 * "injections": the sample of events, the groups that count every event
 * read, what no group counts ("other") and what the sample leaves out
 * ("dropped"), docs/journal.md.
 */
static void json_injections(struct fr_buf *b, const struct fr_record *r)
{
	const struct fr_inj_log *l = &r->inj;

	fr_buf_puts(b, "    \"injections\": {\n      \"events\": [");
	for (size_t i = 0; i < l->nsample; i++) {
		fr_buf_puts(b, i ? ",\n        " : "\n        ");
		json_inj(b, r, &l->sample[i]);
		fr_buf_puts(b, "}");
	}
	fr_buf_printf(b, "%s],\n      \"dropped\": %llu,\n      \"groups\": [",
		      l->nsample ? "\n      " : "", (unsigned long long)fr_inj_log_dropped(l));
	for (size_t i = 0; i < l->ngroups; i++) {
		const struct fr_inj_group *g = &l->groups[i];

		fr_buf_puts(b, i ? ",\n        " : "\n        ");
		json_inj(b, r, &g->key);
		fr_buf_printf(b, ", \"count\": %llu, \"last\": ", (unsigned long long)g->count);
		json_secs(b, g->last);
		fr_buf_puts(b, "}");
	}
	fr_buf_printf(b,
		      "%s],\n      \"other\": {\"count\": %llu},\n"
		      "      \"missed\": %llu,\n"
		      "      \"limits\": {\"groups\": %d, \"first\": %d, \"per_group\": %d}\n"
		      "    },\n",
		      l->ngroups ? "\n      " : "", (unsigned long long)l->nfolded,
		      (unsigned long long)l->missed, FR_INJ_GROUPS, FR_INJ_SAMPLE_FIRST,
		      FR_INJ_SAMPLE_PER_GROUP);
}

static void json_faults(struct fr_buf *b, const struct fr_record *r)
{
	const struct fr_scenario *s = r->s;

	fr_buf_puts(b, "    \"faults\": [");
	for (size_t i = 0; i < s->nfaults; i++) {
		fr_buf_puts(b, i ? ",\n      {" : "\n      {");
		json_fault(b, r, i);
		fr_buf_puts(b, "}");
	}
	fr_buf_printf(b, "%s],\n", s->nfaults ? "\n    " : "");
	json_injections(b, r);
}

/* where the shim reached: "processes": {attached, refused, unlisted, list} */
static void json_processes(struct fr_buf *b, const struct fr_record *r)
{
	const struct fr_attach *a = &r->attach;
	char who[256];

	fr_attach_describe(a, who, sizeof(who));
	fr_buf_printf(b,
		      "    \"processes\": {\"attached\": %zu, \"refused\": %zu, "
		      "\"unlisted\": %u, \"summary\": ",
		      fr_attach_count(a, false), fr_attach_count(a, true), a->unlisted);
	fr_buf_json_str(b, r->shim ? who : NULL);
	fr_buf_puts(b, ", \"list\": [");
	for (size_t i = 0; i < a->n; i++) {
		const struct fr_proc_info *p = &a->v[i];

		fr_buf_printf(b, "%s{\"pid\": %d, \"ppid\": %d, \"uid\": %u, \"exe\": ",
			      i ? ",\n        " : "\n        ", p->pid, p->ppid, p->uid);
		fr_buf_json_str(b, p->exe);
		fr_buf_printf(b, ", \"attached\": %s, \"why\": ", p->refused ? "false" : "true");
		fr_buf_json_str(b, p->refused ? p->why : NULL);
		fr_buf_puts(b, "}");
	}
	fr_buf_printf(b, "%s]},\n", a->n ? "\n      " : "");
}

static void json_series(struct fr_buf *b, const struct fr_record *r)
{
	fr_buf_puts(b, "    \"probes\": [");
	for (size_t i = 0; i < r->nseries; i++) {
		const struct fr_series *s = &r->series[i];
		fr_buf_puts(b, i ? ",\n      {\n" : "\n      {\n");
		fr_buf_puts(b, "        \"name\": ");
		fr_buf_json_str(b, s->name);
		fr_buf_puts(b, ",\n        \"kind\": ");
		fr_buf_json_str(b, s->kind);
		fr_buf_puts(b, ",\n        \"what\": ");
		fr_buf_json_str(b, s->what);
		fr_buf_puts(b, ",\n        \"interval\": ");
		if (s->interval_ns)
			json_secs(b, (int64_t)s->interval_ns);
		else
			fr_buf_puts(b, "null");
		fr_buf_puts(b, ",\n        \"timeout\": ");
		json_secs(b, (int64_t)s->timeout_ns);
		fr_buf_puts(b, ",\n        \"lb\": ");
		if (s->lb.on) {
			fr_buf_printf(b,
				      "{\"healthy_threshold\": %u, "
				      "\"unhealthy_threshold\": %u, \"initial\": \"%s\", "
				      "\"transitions\": [",
				      s->lb.healthy, s->lb.unhealthy,
				      s->lb.initial_in ? "in" : "out");
			for (size_t k = 0; k < s->ntrans; k++) {
				fr_buf_puts(b, k ? ", {\"t\": " : "{\"t\": ");
				json_secs(b, s->trans[k].t);
				fr_buf_printf(b, ", \"in\": %s}",
					      s->trans[k].in ? "true" : "false");
			}
			fr_buf_puts(b, "]}");
		} else {
			fr_buf_puts(b, "null");
		}
		fr_buf_puts(b, ",\n        \"samples\": [");
		for (size_t k = 0; k < s->n; k++) {
			const struct fr_sample *x = &s->v[k];
			fr_buf_puts(b, k ? ",\n          {\"t\": " : "\n          {\"t\": ");
			json_secs(b, x->t);
			fr_buf_puts(b, ", \"latency\": ");
			json_secs(b, (int64_t)x->latency);
			fr_buf_printf(b,
				      ", \"ok\": %s, \"answered\": %s, \"timeout\": %s, "
				      "\"status\": ",
				      x->ok ? "true" : "false", x->answered ? "true" : "false",
				      x->timeout ? "true" : "false");
			if (x->status >= 0)
				fr_buf_printf(b, "%d", x->status);
			else
				fr_buf_puts(b, "null");
			fr_buf_puts(b, ", \"detail\": ");
			fr_buf_json_str(b, x->detail ? x->detail : "");
			if (s->lb.on)
				fr_buf_printf(b, ", \"check\": %s, \"in\": %s",
					      x->check ? "true" : "false",
					      x->in ? "true" : "false");
			fr_buf_puts(b, "}");
		}
		fr_buf_printf(b, "%s]\n      }", s->n ? "\n        " : "");
	}
	fr_buf_printf(b, "%s],\n", r->nseries ? "\n    " : "");
}

static void json_timeline(struct fr_buf *b, const struct fr_record *r)
{
	fr_buf_puts(b, "    \"timeline\": [");
	for (size_t i = 0; i < r->ntl; i++) {
		const struct fr_tl_entry *e = &r->tl[i];
		fr_buf_puts(b, i ? ",\n      {\"at\": " : "\n      {\"at\": ");
		json_secs(b, e->at);
		fr_buf_puts(b, ", \"t\": ");
		json_secs(b, e->t);
		fr_buf_printf(b, ", \"action\": \"%s\"", fr_step_kind_name(e->step->kind));
		if (e->step->kind == FR_STEP_INJECT || e->step->kind == FR_STEP_CLEAR) {
			fr_buf_puts(b, ", \"fault\": ");
			fr_buf_json_str(b, r->s->faults[e->step->fault].name);
		}
		fr_buf_puts(b, ", \"detail\": ");
		fr_buf_json_str(b, e->detail ? e->detail : "");
		fr_buf_puts(b, "}");
	}
	fr_buf_printf(b, "%s],\n", r->ntl ? "\n    " : "");
}

static void json_assertions(struct fr_buf *b, const struct fr_record *r)
{
	unsigned failed = 0;

	fr_buf_puts(b, "    \"assertions\": [");
	for (size_t i = 0; i < r->nverdicts; i++) {
		const struct fr_verdict *v = &r->verdicts[i];
		const struct fr_expect *e = v->e;
		failed += !v->ok && !v->unjudged;
		fr_buf_puts(b, i ? ",\n      {" : "\n      {");
		fr_buf_printf(b, "\"kind\": \"%s\", \"label\": ", fr_expect_kind_name(e->kind));
		fr_buf_json_str(b, v->label);
		fr_buf_puts(b, ", \"probe\": ");
		fr_buf_json_str(b, e->series >= 0 ? r->s->series[e->series].name : NULL);
		fr_buf_puts(b, ", \"fault\": ");
		fr_buf_json_str(b, e->fault >= 0 ? r->s->faults[e->fault].name : NULL);
		fr_buf_puts(b, ", \"window\": ");
		if (v->iv || e->kind == FR_EXP_AVAILABILITY || e->kind == FR_EXP_LATENCY ||
		    e->kind == FR_EXP_RECOVERS || e->kind == FR_EXP_DETECTS ||
		    e->kind == FR_EXP_RESPONDS || e->kind == FR_EXP_OUT_OF_ROTATION) {
			fr_buf_puts(b, "{\"label\": ");
			fr_buf_json_str(b, e->window.label ? e->window.label : "whole run");
			fr_buf_puts(b, ", \"intervals\": [");
			for (size_t k = 0; k < v->niv; k++) {
				int64_t end = v->iv[k].b > r->end_ns ? r->end_ns : v->iv[k].b;
				fr_buf_puts(b, k ? ", [" : "[");
				json_secs(b, v->iv[k].a);
				fr_buf_puts(b, ", ");
				json_secs(b, end);
				fr_buf_puts(b, "]");
			}
			fr_buf_puts(b, "]}");
		} else {
			fr_buf_puts(b, "null");
		}
		fr_buf_puts(b, ", \"bound\": ");
		fr_buf_json_str(b, v->bound);
		fr_buf_puts(b, ", \"measured\": ");
		fr_buf_json_str(b, v->measured);
		fr_buf_puts(b, ", \"value\": ");
		if (v->has_value && isfinite(v->value))
			fr_buf_printf(b, "%.6g", v->value);
		else
			fr_buf_puts(b, "null");
		fr_buf_printf(b, ", \"ok\": %s, \"judged\": %s, \"implicit\": %s, \"line\": %d}",
			      v->ok ? "true" : "false", v->unjudged ? "false" : "true",
			      e->implicit ? "true" : "false", e->mark.line);
	}
	fr_buf_printf(b, "%s],\n", r->nverdicts ? "\n    " : "");
	fr_buf_printf(b, "    \"summary\": {\"assertions\": %zu, \"failed\": %u}\n", r->nverdicts,
		      failed);
}

char *fr_report_json(const struct fr_record *r)
{
	const struct fr_scenario *s = r->s;
	struct fr_buf b = { 0 };
	char iso[64];

	fr_buf_puts(&b, "  {\n    \"name\": ");
	fr_buf_json_str(&b, s->name);
	fr_buf_puts(&b, ",\n    \"description\": ");
	fr_buf_json_str(&b, s->description ? s->description : "");
	fr_buf_puts(&b, ",\n    \"file\": ");
	fr_buf_json_str(&b, s->file);
	fr_buf_puts(&b, ",\n    \"vars\": {");
	for (size_t i = 0; i < s->nvars; i++) {
		fr_buf_puts(&b, i ? ", " : "");
		fr_buf_json_str(&b, s->vars[i].name);
		fr_buf_puts(&b, ": ");
		fr_buf_json_str(&b, s->vars[i].value);
	}
	fr_buf_printf(&b,
		      "},\n    \"seed\": %llu,\n    \"verdict\": \"%s\",\n"
		      "    \"error\": ",
		      (unsigned long long)r->seed, fr_verdict_name(r->verdict));
	char *err1 = first_line(r->error);
	fr_buf_json_str(&b, err1);
	free(err1);
	fr_buf_puts(&b, ",\n    \"started\": ");
	if (r->started_wall > 0) {
		fr_iso_time(iso, sizeof(iso), r->started_wall);
		fr_buf_json_str(&b, iso);
	} else {
		fr_buf_puts(&b, "null");
	}
	fr_buf_puts(&b, ",\n    \"setup\": ");
	json_secs(&b, r->setup_ns);
	fr_buf_puts(&b, ",\n    \"duration\": ");
	json_secs(&b, r->end_ns);
	fr_buf_puts(&b, ",\n    \"run_dir\": ");
	fr_buf_json_str(&b, r->run_dir);
	fr_buf_puts(&b, ",\n");
	json_target(&b, r);
	fr_json_services(&b, r);
	json_faults(&b, r);
	json_processes(&b, r);
	json_series(&b, r);
	json_timeline(&b, r);
	json_assertions(&b, r);
	fr_buf_puts(&b, "  }");
	return fr_buf_take(&b);
}

char *fr_report_junit(const struct fr_record *r)
{
	const struct fr_scenario *s = r->s;
	struct fr_buf b = { 0 };
	unsigned failures = 0, errors = 0, tests = (unsigned)r->nverdicts;
	unsigned skipped = fr_junit_skipped(r);
	char iso[64], *first;

	for (size_t i = 0; i < r->nverdicts; i++)
		failures += !r->verdicts[i].ok && !r->verdicts[i].unjudged;
	if (r->verdict == FR_ERROR || r->verdict == FR_INTERRUPTED) {
		errors = 1;
		tests++;
	}
	fr_iso_time(iso, sizeof(iso), r->invoked_wall);
	fr_buf_puts(&b, "  <testsuite name=\"");
	fr_buf_xml(&b, s->name);
	fr_buf_printf(&b,
		      "\" tests=\"%u\" failures=\"%u\" errors=\"%u\" skipped=\"%u\" "
		      "time=\"%.3f\" timestamp=\"%s\" file=\"",
		      tests, failures, errors, skipped, (double)(r->setup_ns + r->end_ns) / 1e9,
		      iso);
	fr_buf_xml(&b, s->file);
	fr_buf_puts(&b, "\">\n    <properties>\n");
	fr_buf_printf(&b, "      <property name=\"seed\" value=\"%llu\"/>\n",
		      (unsigned long long)r->seed);
	fr_buf_printf(&b, "      <property name=\"verdict\" value=\"%s\"/>\n",
		      fr_verdict_name(r->verdict));
	for (size_t i = 0; i < s->nvars; i++) {
		fr_buf_puts(&b, "      <property name=\"var.");
		fr_buf_xml(&b, s->vars[i].name);
		fr_buf_puts(&b, "\" value=\"");
		fr_buf_xml(&b, s->vars[i].value);
		fr_buf_puts(&b, "\"/>\n");
	}
	if (r->shim) {
		char who[256];

		fr_attach_describe(&r->attach, who, sizeof(who));
		fr_buf_puts(&b, "      <property name=\"shim.processes\" value=\"");
		fr_buf_xml(&b, who);
		fr_buf_printf(&b, "\"/>\n      <property name=\"shim.refused\" value=\"%zu\"/>\n",
			      fr_attach_count(&r->attach, true));
	}
	fr_buf_puts(&b, "    </properties>\n");
	if (errors) {
		fr_buf_puts(&b, "    <testcase classname=\"");
		fr_buf_xml(&b, s->name);
		fr_buf_printf(&b,
			      "\" name=\"run\" time=\"%.3f\">\n      <error "
			      "type=\"%s\" message=\"",
			      (double)r->end_ns / 1e9, fr_verdict_name(r->verdict));
		char *err1 = first_line(r->error);
		fr_buf_xml(&b, err1 ? err1 : "the run could not happen");
		free(err1);
		fr_buf_puts(&b, "\"/>\n    </testcase>\n");
	}
	first = first_line(r->error);
	fr_junit_testcases(&b, r, first);
	free(first);
	if (r->ntail) {
		fr_buf_puts(&b, "    <system-out>");
		for (size_t i = 0; i < r->ntail; i++) {
			fr_buf_xml(&b, r->tail[i]);
			fr_buf_puts(&b, "\n");
		}
		fr_buf_puts(&b, "</system-out>\n");
	}
	fr_buf_puts(&b, "  </testsuite>\n");
	return fr_buf_take(&b);
}

/* Display width of a UTF-8 string (code points). */
static size_t width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

static void pad(struct fr_buf *b, const char *s, size_t w)
{
	fr_buf_puts(b, s);
	for (size_t k = width(s); k < w; k++)
		fr_buf_puts(b, " ");
}

char *fr_report_table(const struct fr_record *r, bool color)
{
	struct fr_buf b = { 0 };
	size_t wl = 9, wm = 8;
	unsigned failed = 0;
	const char *red = color ? "\033[1;31m" : "", *green = color ? "\033[32m" : "";
	const char *bold = color ? "\033[1m" : "", *off = color ? "\033[0m" : "";

	for (size_t i = 0; i < r->nverdicts; i++) {
		const struct fr_verdict *v = &r->verdicts[i];
		if (width(v->label) > wl)
			wl = width(v->label);
		if (width(v->measured) > wm)
			wm = width(v->measured);
		failed += !v->ok && !v->unjudged;
	}
	if (wl > 60)
		wl = 60;
	if (wm > 50)
		wm = 50;
	fr_buf_printf(&b, "%s%s%s: ", bold, r->s->name, off);
	switch (r->verdict) {
	case FR_PASS:
		fr_buf_printf(&b, "%sPASS%s (%zu assertion%s held)", green, off, r->nverdicts,
			      r->nverdicts == 1 ? "" : "s");
		break;
	case FR_FAIL:
		fr_buf_printf(&b, "%sFAIL%s (%u of %zu assertion%s failed)", red, off, failed,
			      r->nverdicts, r->nverdicts == 1 ? "" : "s");
		break;
	case FR_ERROR:
		fr_buf_printf(&b, "%sERROR%s: %s", red, off, r->error ? r->error : "");
		break;
	case FR_INTERRUPTED:
		fr_buf_printf(&b, "%sINTERRUPTED%s (%s)", red, off, r->error ? r->error : "");
		break;
	}
	fr_buf_printf(&b, "  [%.1fs, seed %llu", (double)r->end_ns / 1e9,
		      (unsigned long long)r->seed);
	for (size_t i = 0; i < r->s->nvars; i++)
		fr_buf_printf(&b, ", %s=%s", r->s->vars[i].name, r->s->vars[i].value);
	fr_buf_puts(&b, "]\n");
	if (r->nverdicts) {
		fr_buf_puts(&b, "        ");
		pad(&b, "assertion", wl);
		fr_buf_puts(&b, "  ");
		pad(&b, "measured", wm);
		fr_buf_puts(&b, "  bound\n");
	}
	for (size_t i = 0; i < r->nverdicts; i++) {
		const struct fr_verdict *v = &r->verdicts[i];
		/* interrupted: measured, not judged */
		if (v->unjudged)
			fr_buf_puts(&b, "  --    ");
		else
			fr_buf_printf(&b, "  %s%-4s%s  ", v->ok ? green : red,
				      v->ok ? "ok" : "FAIL", off);
		pad(&b, v->label, wl);
		fr_buf_puts(&b, "  ");
		pad(&b, v->measured, wm);
		fr_buf_printf(&b, "  %s\n", v->bound);
	}
	fr_table_services(&b, r, red, off);
	return fr_buf_take(&b);
}

void fr_render(const struct fr_record *rec, bool color, struct fr_rendered *out)
{
	memset(out, 0, sizeof(*out));
	out->verdict = rec->verdict;
	out->exit = fr_verdict_exit(rec->verdict);
	out->assertions = (unsigned)rec->nverdicts;
	out->failed = rec->failed;
	out->seconds = rec->seconds;
	out->json = fr_report_json(rec);
	out->junit = fr_report_junit(rec);
	out->table = fr_report_table(rec, color);
}

void fr_rendered_finish(struct fr_rendered *r)
{
	free(r->json);
	free(r->junit);
	free(r->table);
	memset(r, 0, sizeof(*r));
}

char *fr_report_journal(const struct fr_rendered *const *v, size_t n, const char *const *command,
			size_t ncommand, int exit, double started)
{
	struct fr_buf b = { 0 };
	char iso[64];
	bool first = true;

	fr_iso_time(iso, sizeof(iso), started);
	fr_buf_printf(&b,
		      "{\n  \"format\": \"faultrun-journal\",\n  \"version\": 1,\n"
		      "  \"faultrun\": \"%s\",\n  \"command\": [",
		      FR_VERSION);
	for (size_t k = 0; k < ncommand; k++) {
		if (k)
			fr_buf_puts(&b, ", ");
		fr_buf_json_str(&b, command[k]);
	}
	fr_buf_puts(&b, "],\n  \"started\": ");
	fr_buf_json_str(&b, iso);
	fr_buf_printf(&b, ",\n  \"exit\": %d,\n  \"scenarios\": [\n", exit);
	for (size_t i = 0; i < n; i++) {
		if (!v[i]->json)
			continue;
		if (!first)
			fr_buf_puts(&b, ",\n");
		fr_buf_puts(&b, v[i]->json);
		first = false;
	}
	fr_buf_puts(&b, "\n  ]\n}\n");
	return fr_buf_take(&b);
}

char *fr_report_junit_doc(const struct fr_rendered *const *v, size_t n)
{
	struct fr_buf b = { 0 }, body = { 0 };
	unsigned tests = 0, failures = 0, errors = 0;
	double time = 0;

	for (size_t i = 0; i < n; i++) {
		const struct fr_rendered *r = v[i];

		tests += r->assertions;
		failures += r->failed;
		if (r->verdict == FR_ERROR || r->verdict == FR_INTERRUPTED) {
			errors++;
			tests++;
		}
		time += r->seconds;
		fr_buf_puts(&body, r->junit ? r->junit : "");
	}
	fr_buf_printf(&b,
		      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		      "<testsuites name=\"faultrun\" tests=\"%u\" failures=\"%u\" "
		      "errors=\"%u\" time=\"%.3f\">\n",
		      tests, failures, errors, time);
	if (body.p)
		fr_buf_puts(&b, body.p);
	fr_buf_puts(&b, "</testsuites>\n");
	fr_buf_free(&body);
	return fr_buf_take(&b);
}
