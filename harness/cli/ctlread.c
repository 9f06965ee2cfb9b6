/*
 * Reading a control block: counts, events, JSON. The shim writes events
 * while we read; an event is taken only if its sequence number is the one
 * expected before and after the copy (a torn or overwritten slot is
 * skipped, never printed half-written).
 */
#define _GNU_SOURCE
#include "ctlread.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

void fr_ctl_print_counts(const struct fr_ctl *c, FILE *out, const char *prefix)
{
	unsigned n = fr_ctl_count(c);

	for (unsigned i = 0; i < n; i++) {
		const struct fr_ctl_slot *s = &c->slots[i];
		char spec[600];

		if (!atomic_load(&s->ready))
			continue;
		fr_rule_format(&s->rule, spec, sizeof(spec));
		fprintf(out, "%srule '%.*s' %s: matched %" PRIu64 ", injected %" PRIu64, prefix,
			(int)sizeof(s->rule.name), s->rule.name,
			atomic_load(&s->armed) ? "armed" : "disarmed", atomic_load(&s->matched),
			atomic_load(&s->injected));
		if (s->rule.action == FR_ACT_BUDGET)
			fprintf(out, ", bytes %" PRIu64 ", left %" PRId64, atomic_load(&s->bytes),
				atomic_load(&s->budget) > 0 ? atomic_load(&s->budget) : 0);
		fprintf(out, "  [%s]\n", spec);
	}
}

/* Copy event n out of the ring if it is still there and complete. */
static bool read_event(const struct fr_ctl *c, uint64_t n, struct fr_ctl_event *out)
{
	const struct fr_ctl_event *e = &c->events[n % FR_CTL_EVENTS];

	if (atomic_load_explicit(&e->seq, memory_order_acquire) != n + 1)
		return false;
	memcpy((char *)out + sizeof(out->seq), (const char *)e + sizeof(e->seq),
	       sizeof(*e) - sizeof(e->seq));
	atomic_thread_fence(memory_order_acquire);
	if (atomic_load_explicit(&e->seq, memory_order_relaxed) != n + 1)
		return false;
	out->where[sizeof(out->where) - 1] = '\0';
	return true;
}

static uint64_t first_event(const struct fr_ctl *c, uint64_t head)
{
	return head > FR_CTL_EVENTS ? head - FR_CTL_EVENTS : 0;
}

void fr_ctl_print_events(const struct fr_ctl *c, FILE *out)
{
	uint64_t head = atomic_load(&c->event_head);

	for (uint64_t n = first_event(c, head); n < head; n++) {
		struct fr_ctl_event e;
		if (!read_event(c, n, &e))
			continue;
		const char *en = fr_errno_name(e.err);
		fprintf(out, "%10.3fs pid %d rule '%.*s' %s %s %s\n",
			(double)(e.time_ns - c->created_ns) / 1e9, e.pid,
			(int)sizeof(c->slots[0].rule.name),
			e.rule < FR_MAX_RULES ? c->slots[e.rule].rule.name : "?",
			fr_op_name(e.op) ? fr_op_name(e.op) : "?",
			e.err			 ? (en ? en : "?") :
			fr_action_name(e.action) ? fr_action_name(e.action) :
						   "?",
			e.where);
	}
}

static void json_string(FILE *f, const char *s, size_t max)
{
	fputc('"', f);
	for (size_t i = 0; i < max && s[i]; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

/* "processes": [{pid, ppid, uid, exe, attached, why}], and how many were not listed */
static void json_processes(FILE *f, const struct fr_attach *a)
{
	fprintf(f, ",\n  \"processes_unlisted\": %u,\n  \"processes\": [", a->unlisted);
	for (size_t i = 0; i < a->n; i++) {
		const struct fr_proc_info *p = &a->v[i];

		fprintf(f,
			"%s\n    {\"pid\": %d, \"ppid\": %d, \"uid\": %u, \"exe\": ", i ? "," : "",
			p->pid, p->ppid, p->uid);
		json_string(f, p->exe, sizeof(p->exe));
		fprintf(f, ", \"attached\": %s, \"why\": ", p->refused ? "false" : "true");
		if (p->refused)
			json_string(f, p->why, sizeof(p->why));
		else
			fputs("null", f);
		fputc('}', f);
	}
	fprintf(f, "\n  ]");
}

int fr_ctl_write_json(const struct fr_ctl *c, const struct fr_attach *a, const char *path,
		      char **cmd, int status, uint64_t duration_ns)
{
	FILE *f = fopen(path, "w");
	unsigned n = fr_ctl_count(c);
	uint64_t head = atomic_load(&c->event_head);
	bool first = true;

	if (!f)
		return -errno;
	fprintf(f, "{\n  \"command\": [");
	for (char **w = cmd; *w; w++) {
		fprintf(f, "%s", w == cmd ? "" : ", ");
		json_string(f, *w, SIZE_MAX);
	}
	fprintf(f,
		"],\n  \"exit_status\": %d,\n  \"seed\": %" PRIu64
		",\n  \"duration_ms\": %.3f,\n  \"rules\": [",
		status, c->seed, (double)duration_ns / 1e6);
	for (unsigned i = 0; i < n; i++) {
		const struct fr_ctl_slot *s = &c->slots[i];
		char spec[600];
		fr_rule_format(&s->rule, spec, sizeof(spec));
		fprintf(f, "%s\n    {\"name\": ", i ? "," : "");
		json_string(f, s->rule.name, sizeof(s->rule.name));
		fprintf(f, ", \"spec\": ");
		json_string(f, spec, sizeof(spec));
		fprintf(f,
			", \"armed\": %s, \"matched\": %" PRIu64 ", \"injected\": %" PRIu64
			", \"bytes\": %" PRIu64 "}",
			atomic_load(&s->armed) ? "true" : "false", atomic_load(&s->matched),
			atomic_load(&s->injected), atomic_load(&s->bytes));
	}
	fprintf(f, "\n  ],\n  \"events_total\": %" PRIu64 ",\n  \"events\": [", head);
	for (uint64_t k = first_event(c, head); k < head; k++) {
		struct fr_ctl_event e;
		if (!read_event(c, k, &e))
			continue;
		fprintf(f, "%s\n    {\"t_ms\": %.3f, \"pid\": %d, \"rule\": ", first ? "" : ",",
			(double)(e.time_ns - c->created_ns) / 1e6, e.pid);
		json_string(f, e.rule < FR_MAX_RULES ? c->slots[e.rule].rule.name : "?",
			    FR_NAME_MAX);
		fprintf(f,
			", \"op\": \"%s\", \"errno\": ", fr_op_name(e.op) ? fr_op_name(e.op) : "?");
		if (e.err && fr_errno_name(e.err))
			fprintf(f, "\"%s\"", fr_errno_name(e.err));
		else
			fprintf(f, "null");
		fprintf(f, ", \"action\": \"%s\", \"where\": ",
			fr_action_name(e.action) ? fr_action_name(e.action) : "?");
		json_string(f, e.where, sizeof(e.where));
		fputc('}', f);
		first = false;
	}
	fprintf(f, "\n  ]");
	if (a)
		json_processes(f, a);
	fprintf(f, "\n}\n");
	if (fclose(f) != 0)
		return -errno;
	return 0;
}
