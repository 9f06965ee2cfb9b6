/*
 * faultrun — the units of a run in the reports (report_services.h). A
 * crash of a service the scenario does not judge must still be seen: its
 * exits are in the journal, in the table, and `exits: {service: NAME}`
 * can assert on them.
 */
#include "report/report_services.h"

#include <stdio.h>
#include <string.h>

static void json_secs(struct fr_buf *b, int64_t ns)
{
	fr_buf_json_secs(b, (double)ns);
}

void fr_json_cmd(struct fr_buf *b, const struct fr_cmd *c)
{
	fr_buf_puts(b, "[");
	if (c->shell) {
		fr_buf_puts(b, "\"/bin/sh\", \"-c\", ");
		fr_buf_json_str(b, c->argv[0].val);
	} else {
		for (size_t i = 0; i < c->argc; i++) {
			if (i)
				fr_buf_puts(b, ", ");
			fr_buf_json_str(b, c->argv[i].val);
		}
	}
	fr_buf_puts(b, "]");
}

/* A haproxy service's view (docs/journal.md): lb and lb-lost have no pid. */
static bool json_lb_event(struct fr_buf *b, const struct fr_lc_event *e)
{
	if (!strcmp(e->event, "lb")) {
		fr_buf_puts(b, ", \"event\": \"lb\", \"server\": ");
		fr_buf_json_str(b, e->server);
		fr_buf_printf(b, ", \"state\": \"%s\", \"before\": \"%s\", \"detail\": ", e->state,
			      e->before);
	} else if (!strcmp(e->event, "lb-lost")) {
		fr_buf_puts(b, ", \"event\": \"lb-lost\", \"detail\": ");
	} else {
		return false;
	}
	fr_buf_json_str(b, e->detail);
	fr_buf_puts(b, "}");
	return true;
}

static bool same_unit(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

void fr_json_lifecycle(struct fr_buf *b, const struct fr_record *r, const char *service)
{
	size_t n = 0;

	fr_buf_puts(b, "[");
	for (size_t i = 0; i < r->nlc; i++) {
		const struct fr_lc_event *e = &r->lc[i];

		if (!same_unit(e->service, service))
			continue;
		fr_buf_puts(b, n++ ? ",\n        {" : "\n        {");
		fr_buf_puts(b, "\"t\": ");
		json_secs(b, e->t);
		if (json_lb_event(b, e))
			continue;
		fr_buf_printf(b, ", \"event\": \"%s\", \"pid\": %d", e->event, e->pid);
		if (!strcmp(e->event, "start"))
			fr_buf_printf(b, ", \"attempt\": %d", e->attempt);
		if (!strcmp(e->event, "exit")) {
			if (e->status >= 0)
				fr_buf_printf(b, ", \"status\": %d, \"signal\": null", e->status);
			else
				fr_buf_printf(b, ", \"status\": null, \"signal\": \"%s\"",
					      fr_signal_name(e->signo));
			fr_buf_printf(b, ", \"expected\": %s", e->expected ? "true" : "false");
		}
		/* a change to the block by faultrun ctl: the rule, what happened */
		if (!strcmp(e->event, "ctl-external") && e->detail && e->state) {
			fr_buf_puts(b, ", \"rule\": ");
			fr_buf_json_str(b, e->detail);
			fr_buf_printf(b, ", \"change\": \"%s\"}", e->state);
			continue;
		}
		if (!strcmp(e->event, "signal") || !strcmp(e->event, "stop"))
			fr_buf_printf(b, ", \"signal\": \"%s\"", fr_signal_name(e->signo));
		if (e->detail) {
			fr_buf_puts(b, ", \"detail\": ");
			fr_buf_json_str(b, e->detail);
		}
		fr_buf_puts(b, "}");
	}
	fr_buf_printf(b, "%s]", n ? "\n      " : "");
}

static void json_attach(struct fr_buf *b, const struct fr_attach *a, bool shim)
{
	char who[256];

	fr_attach_describe(a, who, sizeof(who));
	fr_buf_printf(b, "{\"attached\": %zu, \"refused\": %zu, \"summary\": ",
		      fr_attach_count(a, false), fr_attach_count(a, true));
	fr_buf_json_str(b, shim ? who : NULL);
	fr_buf_puts(b, "}");
}

void fr_json_services(struct fr_buf *b, const struct fr_record *r)
{
	const struct fr_scenario *s = r->s;
	size_t n = 0;

	fr_buf_puts(b, "    \"services\": [");
	for (size_t i = 0; i < r->nsvcs && i < s->nservices; i++) {
		const struct fr_svc_rec *sv = &r->svcs[i];

		if (!sv->name)
			continue;
		fr_buf_puts(b, n++ ? ",\n      {\"name\": " : "\n      {\"name\": ");
		fr_buf_json_str(b, sv->name);
		if (s->services[i].type == FR_SERVICE_HAPROXY) {
			const struct fr_haproxy_svc *lb = &s->services[i].lb;

			fr_buf_puts(b, ", \"type\": \"haproxy\", \"port\": ");
			fr_buf_puts(b, s->services[i].port.val ? s->services[i].port.val : "null");
			fr_buf_puts(b, ", \"backends\": [");
			for (size_t k = 0; k < lb->nbackends; k++) {
				fr_buf_puts(b, k ? ", " : "");
				fr_buf_json_str(b, lb->backends[k].name);
			}
			fr_buf_puts(b, "]");
		} else {
			fr_buf_puts(b, ", \"type\": \"process\", \"command\": ");
			fr_json_cmd(b, &s->services[i].proc.command);
		}
		fr_buf_printf(b,
			      ", \"shim\": %s, \"daemon\": %s, \"starts\": %u, \"restarts\": %u, "
			      "\"exits\": %u,\n       \"lifecycle\": ",
			      sv->shim ? "true" : "false",
			      s->services[i].proc.daemon ? "true" : "false", sv->starts,
			      sv->restarts, sv->exits);
		fr_json_lifecycle(b, r, sv->name);
		fr_buf_puts(b, ",\n       \"processes\": ");
		json_attach(b, &sv->attach, sv->shim);
		fr_buf_puts(b, ", \"output\": [");
		for (size_t k = 0; k < sv->ntail; k++) {
			fr_buf_puts(b, k ? ", " : "");
			fr_buf_json_str(b, sv->tail[k]);
		}
		fr_buf_puts(b, "]}");
	}
	fr_buf_printf(b, "%s],\n", n ? "\n    " : "");
}

void fr_table_services(struct fr_buf *b, const struct fr_record *r, const char *red,
		       const char *off)
{
	for (size_t i = 0; i < r->nsvcs; i++) {
		const struct fr_svc_rec *sv = &r->svcs[i];
		const struct fr_lc_event *last = NULL;

		if (!sv->name || !sv->exits)
			continue;
		for (size_t k = 0; k < r->nlc; k++)
			if (same_unit(r->lc[k].service, sv->name) && !r->lc[k].expected &&
			    !strcmp(r->lc[k].event, "exit"))
				last = &r->lc[k];
		fr_buf_printf(b, "  %snote%s  service %s exited %u time%s unexpectedly", red, off,
			      sv->name, sv->exits, sv->exits == 1 ? "" : "s");
		if (last && last->status >= 0)
			fr_buf_printf(b, " (last: status %d at %.2fs)", last->status,
				      (double)last->t / 1e9);
		else if (last)
			fr_buf_printf(b, " (last: %s at %.2fs)", fr_signal_name(last->signo),
				      (double)last->t / 1e9);
		fr_buf_puts(b, "\n");
	}
}
