/*
 * Reading a control block: counts, events, JSON. The shim writes events
 * while we read; an event is taken only if its sequence number is the one
 * expected before and after the copy (a torn or overwritten slot is
 * skipped, never printed half-written).
 */
#define _GNU_SOURCE
#include "ctlread.h"
#include "cli.h"
#include "util/fsutil.h"
#include "util/strbuf.h"
#include "util/timefmt.h"
#include "uring_note.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
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
		if (s->rule.action == FR_ACT_DISK)
			fprintf(out, ", size %" PRIu64 ", free %" PRId64, atomic_load(&s->capacity),
				atomic_load(&s->budget) > 0 ? atomic_load(&s->budget) : 0);
		fprintf(out, "  [%s]\n", spec);
	}
	if (atomic_load(&c->files_overflow))
		fprintf(out,
			"%sdisk: %" PRIu32 " files were not charged: more than %u at once "
			"(FR_CTL_FILES)\n",
			prefix, atomic_load(&c->files_overflow), FR_CTL_FILES);
	if (atomic_load(&c->conns_untracked))
		fprintf(out,
			"%ssockets: %" PRIu32 " calls passed untouched: the shim could not map "
			"its connection table (out of memory)\n",
			prefix, atomic_load(&c->conns_untracked));
	if (atomic_load(&c->dgram_unheld))
		fprintf(out,
			"%sreorder: %" PRIu32 " datagrams went in order: larger than the shim's "
			"store, or every slot of it busy (docs/faults.md)\n",
			prefix, atomic_load(&c->dgram_unheld));
	if (atomic_load(&c->wakes_failed))
		fprintf(out,
			"%sstall: %" PRIu32 " epoll registrations could not be re-armed when "
			"a stall ended: their program may still wait (docs/seccomp.md)\n",
			prefix, atomic_load(&c->wakes_failed));
}

void fr_ctl_print_uring(const struct fr_ctl *c, FILE *out, const char *prefix)
{
	char note[256];

	if (fr_uring_note(c, note, sizeof(note)))
		fprintf(out, "%s%s\n", prefix, note);
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

/* op, errno, action and where of an event, as exec's journal and ctl --json write them */
static void json_event_tail(struct fr_buf *b, const struct fr_ctl_event *e)
{
	fr_buf_puts(b, ", \"op\": ");
	fr_buf_json_str(b, fr_op_name(e->op) ? fr_op_name(e->op) : "?");
	fr_buf_puts(b, ", \"errno\": ");
	fr_buf_json_str(b, e->err ? fr_errno_name(e->err) : NULL);
	fr_buf_puts(b, ", \"action\": ");
	fr_buf_json_str(b, fr_action_name(e->action) ? fr_action_name(e->action) : "?");
	fr_buf_puts(b, ", \"where\": ");
	fr_buf_json_str(b, e->where);
	fr_buf_puts(b, "}");
}

static void print_event(const struct fr_ctl *c, const struct fr_ctl_event *e, FILE *out, bool json)
{
	const char *rule = e->rule < FR_MAX_RULES ? c->slots[e->rule].rule.name : "?";
	char name[FR_NAME_MAX + 1];

	snprintf(name, sizeof(name), "%.*s", FR_NAME_MAX, rule);
	if (json) {
		struct fr_buf b = { 0 };

		fr_buf_printf(&b, "{\"t_ms\": %.3f, \"pid\": %d, \"rule\": ",
			      (double)(e->time_ns - c->created_ns) / 1e6, e->pid);
		fr_buf_json_str(&b, name);
		json_event_tail(&b, e);
		char *text = fr_buf_take(&b);
		fprintf(out, "%s\n", text);
		free(text);
		return;
	}
	const char *en = fr_errno_name(e->err);
	fprintf(out, "%10.3fs pid %d rule '%s' %s %s %s\n",
		(double)(e->time_ns - c->created_ns) / 1e9, e->pid, name,
		fr_op_name(e->op) ? fr_op_name(e->op) : "?",
		e->err			  ? (en ? en : "?") :
		fr_action_name(e->action) ? fr_action_name(e->action) :
					    "?",
		e->where);
}

uint64_t fr_ctl_print_events_from(const struct fr_ctl *c, uint64_t from, FILE *out, bool json,
				  bool wait, uint64_t *lost)
{
	uint64_t head = atomic_load(&c->event_head), n = from;

	if (n < first_event(c, head)) {
		if (lost)
			*lost += first_event(c, head) - n;
		n = first_event(c, head);
	}
	for (; n < head; n++) {
		struct fr_ctl_event e;

		if (read_event(c, n, &e)) {
			print_event(c, &e, out, json);
			continue;
		}
		/* not written yet (the shim is filling it): come back for it */
		if (wait && atomic_load(&c->events[n % FR_CTL_EVENTS].seq) < n + 1)
			break;
		if (lost)
			(*lost)++;
	}
	return n;
}

void fr_ctl_print_events(const struct fr_ctl *c, FILE *out)
{
	fr_ctl_print_events_from(c, 0, out, false, false, NULL);
}

/* seconds from t = 0 (the command's start), as the journal writes times */
static void secs(struct fr_buf *b, const struct fr_exec_record *x, uint64_t mono_ns)
{
	fr_buf_printf(b, "%.6f", ((double)mono_ns - (double)x->started_ns) / 1e9);
}

static void json_rules(struct fr_buf *b, const struct fr_ctl *c)
{
	unsigned n = fr_ctl_count(c);

	fr_buf_puts(b, "  \"rules\": [");
	for (unsigned i = 0; i < n; i++) {
		const struct fr_ctl_slot *s = &c->slots[i];
		char spec[600];

		fr_rule_format(&s->rule, spec, sizeof(spec));
		fr_buf_puts(b, i ? ",\n    {\"name\": " : "\n    {\"name\": ");
		fr_buf_json_str(b, s->rule.name);
		fr_buf_puts(b, ", \"spec\": ");
		fr_buf_json_str(b, spec);
		fr_buf_printf(b,
			      ", \"armed\": %s, \"matched\": %" PRIu64 ", \"injected\": %" PRIu64
			      ", \"bytes\": %" PRIu64 "}",
			      atomic_load(&s->armed) ? "true" : "false", atomic_load(&s->matched),
			      atomic_load(&s->injected), atomic_load(&s->bytes));
	}
	fr_buf_puts(b, "\n  ],\n");
}

/* the events as exec has always written them, and as a journal's injections */
static void json_events(struct fr_buf *b, const struct fr_ctl *c, const struct fr_exec_record *x,
			bool journal)
{
	uint64_t head = atomic_load(&c->event_head);
	bool first = true;

	for (uint64_t k = first_event(c, head); k < head; k++) {
		struct fr_ctl_event e;

		if (!read_event(c, k, &e))
			continue;
		fr_buf_puts(b, first ? "\n" : ",\n");
		if (journal) {
			fr_buf_puts(b, "        {\"t\": ");
			secs(b, x, e.time_ns);
			fr_buf_puts(b, ", \"fault\": ");
		} else {
			fr_buf_printf(b, "    {\"t_ms\": %.3f, \"pid\": %d, \"rule\": ",
				      (double)(e.time_ns - c->created_ns) / 1e6, e.pid);
		}
		fr_buf_json_str(b, e.rule < FR_MAX_RULES ? c->slots[e.rule].rule.name : NULL);
		if (journal)
			fr_buf_printf(b, ", \"pid\": %d", e.pid);
		json_event_tail(b, &e);
		first = false;
	}
}

static void json_process_list(struct fr_buf *b, const struct fr_attach *a, const char *indent)
{
	for (size_t i = 0; i < a->n; i++) {
		const struct fr_proc_info *p = &a->v[i];

		fr_buf_printf(b, "%s\n%s{\"pid\": %d, \"ppid\": %d, \"uid\": %u, \"exe\": ",
			      i ? "," : "", indent, p->pid, p->ppid, p->uid);
		fr_buf_json_str(b, p->exe);
		fr_buf_printf(b, ", \"attached\": %s, \"why\": ", p->refused ? "false" : "true");
		fr_buf_json_str(b, p->refused ? p->why : NULL);
		fr_buf_puts(b, "}");
	}
}

/* one "fired" assertion per rule (unless --may-not-fire), as a scenario has */
static unsigned json_assertions(struct fr_buf *b, const struct fr_ctl *c,
				const struct fr_exec_record *x)
{
	unsigned n = fr_ctl_count(c), k = 0, failed = 0;

	fr_buf_puts(b, "    \"assertions\": [");
	for (unsigned i = 0; i < n && !x->may_not_fire; i++) {
		const struct fr_ctl_slot *s = &c->slots[i];

		/* a rule `ctl remove` withdrew asserts nothing, as exec's status says */
		if ((s->rule.flags & FR_RULE_MAY_NOT_FIRE) || !atomic_load(&s->ready))
			continue;
		uint64_t inj = atomic_load(&s->injected);
		char label[128], measured[600];

		snprintf(label, sizeof(label), "fault %s fired", s->rule.name);
		if (inj)
			snprintf(measured, sizeof(measured), "%" PRIu64 " injection%s", inj,
				 inj == 1 ? "" : "s");
		else if (x->explain && x->attach)
			x->explain(x->backend, c, i, x->attach, measured, sizeof(measured));
		else if (x->attach)
			fr_attach_explain(x->attach, atomic_load(&s->matched), measured,
					  sizeof(measured));
		else
			snprintf(measured, sizeof(measured), "0 injections");
		if (!inj)
			fr_uring_explain(c, i, measured, sizeof(measured));
		fr_buf_puts(b, k++ ? ",\n      {" : "\n      {");
		fr_buf_puts(b, "\"kind\": \"fired\", \"label\": ");
		fr_buf_json_str(b, label);
		fr_buf_puts(b, ", \"probe\": null, \"fault\": ");
		fr_buf_json_str(b, s->rule.name);
		fr_buf_puts(b, ", \"window\": null, \"bound\": \">= 1\", \"measured\": ");
		fr_buf_json_str(b, measured);
		fr_buf_printf(b,
			      ", \"value\": %" PRIu64
			      ", \"ok\": %s, \"implicit\": true, \"line\": 0}",
			      inj, inj ? "true" : "false");
		failed += !inj;
	}
	fr_buf_printf(b, "%s],\n    \"summary\": {\"assertions\": %u, \"failed\": %u}\n",
		      k ? "\n    " : "", k, failed);
	return failed;
}

/* the run as one scenario of a faultrun journal: `faultrun report` draws it */
static void json_scenario(struct fr_buf *b, const struct fr_ctl *c, const struct fr_exec_record *x)
{
	unsigned n = fr_ctl_count(c);
	char iso[64], who[256];
	uint64_t end = x->started_ns + x->duration_ns;

	fr_iso_time(iso, sizeof(iso), x->started_wall);
	fr_buf_puts(b, "  \"scenarios\": [\n  {\n    \"name\": ");
	fr_buf_json_str(b, x->cmd[0]);
	fr_buf_puts(b, ",\n    \"description\": \"faultrun exec\",\n    \"file\": null,\n"
		       "    \"vars\": {},\n");
	fr_buf_printf(b,
		      "    \"seed\": %" PRIu64
		      ",\n    \"verdict\": \"%s\",\n    \"error\": null,\n",
		      c->seed, x->status == FR_EXIT_NOT_FIRED ? "fail" : "pass");
	fr_buf_puts(b, "    \"started\": ");
	fr_buf_json_str(b, iso);
	fr_buf_printf(b, ",\n    \"setup\": 0,\n    \"duration\": %.6f,\n    \"run_dir\": null,\n",
		      (double)x->duration_ns / 1e9);
	fr_buf_puts(b, "    \"target\": {\"command\": [");
	for (char **w = x->cmd; *w; w++) {
		fr_buf_puts(b, w == x->cmd ? "" : ", ");
		fr_buf_json_str(b, *w);
	}
	fr_buf_printf(b,
		      "], \"cwd\": null, \"shim\": %s, \"restart\": {\"policy\": \"never\"},\n"
		      "      \"lifecycle\": [{\"t\": 0, \"event\": \"start\", \"pid\": %d, "
		      "\"attempt\": 0}, {\"t\": 0, \"event\": \"ready\", \"pid\": %d},\n"
		      "        {\"t\": %.6f, \"event\": \"exit\", \"pid\": %d, \"status\": %d, "
		      "\"signal\": null, \"expected\": true}],\n"
		      "      \"starts\": 1, \"restarts\": 0, \"exits\": 0, \"output\": []},\n",
		      x->backend ? "false" : "true", x->pid, x->pid, (double)x->duration_ns / 1e9,
		      x->pid, x->command_status);
	fr_buf_puts(b, "    \"faults\": [");
	for (unsigned i = 0; i < n; i++) {
		const struct fr_ctl_slot *s = &c->slots[i];
		uint64_t fi = atomic_load(&s->first_ns), la = atomic_load(&s->last_ns);
		char spec[600];

		fr_rule_format(&s->rule, spec, sizeof(spec));
		fr_buf_puts(b, i ? ",\n      {\"name\": " : "\n      {\"name\": ");
		fr_buf_json_str(b, s->rule.name);
		fr_buf_puts(b, ", \"spec\": ");
		fr_buf_json_str(b, spec);
		/* armed from the start: the whole run; armed later by ctl: not known */
		fr_buf_printf(b, ", \"may_not_fire\": %s, \"windows\": [",
			      x->may_not_fire ? "true" : "false");
		if (!x->paused) {
			fr_buf_puts(b, "{\"start\": 0, \"end\": ");
			secs(b, x, end);
			fr_buf_puts(b, "}");
		}
		fr_buf_printf(b,
			      "], \"matched\": %" PRIu64 ", \"injected\": %" PRIu64
			      ", \"bytes\": %" PRIu64 ", \"first\": ",
			      atomic_load(&s->matched), atomic_load(&s->injected),
			      atomic_load(&s->bytes));
		if (fi)
			secs(b, x, fi);
		else
			fr_buf_puts(b, "null");
		fr_buf_puts(b, ", \"last\": ");
		if (la)
			secs(b, x, la);
		else
			fr_buf_puts(b, "null");
		fr_buf_puts(b, "}");
	}
	fr_buf_printf(b, "%s],\n", n ? "\n    " : "");
	fr_attach_describe(x->attach, who, sizeof(who));
	fr_buf_printf(b,
		      "    \"processes\": {\"attached\": %zu, \"refused\": %zu, \"unlisted\": %u, "
		      "\"summary\": ",
		      fr_attach_count(x->attach, false), fr_attach_count(x->attach, true),
		      x->attach->unlisted);
	fr_buf_json_str(b, who);
	fr_buf_puts(b, ", \"list\": [");
	json_process_list(b, x->attach, "        ");
	fr_buf_puts(b, "]},\n    \"injections\": {\n      \"events\": [");
	json_events(b, c, x, true);
	fr_buf_printf(b, "],\n      \"dropped\": %" PRIu64 "\n    },\n",
		      atomic_load(&c->event_head) > FR_CTL_EVENTS ?
			      atomic_load(&c->event_head) - FR_CTL_EVENTS :
			      0);
	/* what the shim could not do (the text summary's disk/sockets/reorder lines) */
	fr_buf_printf(b,
		      "    \"limits\": {\"files_not_charged\": %" PRIu32
		      ", \"socket_calls_untracked\": %" PRIu32 ", \"datagrams_in_order\": %" PRIu32
		      ", \"io_uring_setups\": %" PRIu32 ", \"stall_wakes_failed\": %" PRIu32 "},\n",
		      atomic_load(&c->files_overflow), atomic_load(&c->conns_untracked),
		      atomic_load(&c->dgram_unheld), atomic_load(&c->uring_setups),
		      atomic_load(&c->wakes_failed));
	fr_buf_puts(b, "    \"probes\": [],\n    \"timeline\": [],\n");
	json_assertions(b, c, x);
	fr_buf_puts(b, "  }\n  ]\n");
}

/* the rings the run set up, and the summary's warning when a rule could not see their I/O */
static void json_uring(struct fr_buf *b, const struct fr_ctl *c)
{
	char note[256];
	bool warn = fr_uring_note(c, note, sizeof(note));

	fr_buf_printf(b,
		      "  \"io_uring\": {\"setups\": %" PRIu32 ", \"first_pid\": %" PRId32
		      ", \"warning\": ",
		      atomic_load(&c->uring_setups), atomic_load(&c->uring_pid));
	fr_buf_json_str(b, warn ? note : NULL);
	fr_buf_puts(b, "},\n");
}

int fr_exec_write_json(const struct fr_ctl *c, const struct fr_exec_record *x, const char *path)
{
	struct fr_buf b = { 0 };
	char iso[64];
	int ret;

	fr_iso_time(iso, sizeof(iso), x->started_wall);
	fr_buf_printf(&b,
		      "{\n  \"format\": \"faultrun-journal\",\n  \"version\": 1,\n"
		      "  \"faultrun\": \"%s\",\n  \"command\": [",
		      x->version ? x->version : "?");
	for (char **w = x->cmd; *w; w++) {
		fr_buf_puts(&b, w == x->cmd ? "" : ", ");
		fr_buf_json_str(&b, *w);
	}
	fr_buf_puts(&b, "],\n  \"started\": ");
	fr_buf_json_str(&b, iso);
	fr_buf_printf(&b,
		      ",\n  \"exit\": %d,\n  \"exit_status\": %d,\n  \"seed\": %" PRIu64
		      ",\n  \"duration_ms\": %.3f,\n",
		      x->status, x->status, c->seed, (double)x->duration_ns / 1e6);
	json_rules(&b, c);
	json_uring(&b, c);
	fr_buf_printf(&b, "  \"events_total\": %" PRIu64 ",\n  \"events\": [",
		      atomic_load(&c->event_head));
	json_events(&b, c, x, false);
	fr_buf_printf(&b,
		      "\n  ],\n  \"processes_unlisted\": %u,\n  \"processes_outlived\": %u,\n"
		      "  \"processes\": [",
		      x->attach->unlisted, x->left);
	json_process_list(&b, x->attach, "    ");
	fr_buf_puts(&b, "\n  ],\n");
	json_scenario(&b, c, x);
	fr_buf_puts(&b, "}\n");
	char *text = fr_buf_take(&b);
	ret = fr_write_file(path, text, strlen(text));
	free(text);
	return ret;
}
