/*
 * faultrun — what the reports say about the units of a run: a lifecycle
 * (the target's or a service's), the process services of the journal,
 * and the table's line for a service that exited when nobody asked it to.
 */
#ifndef FAULTRUN_REPORT_SERVICES_H
#define FAULTRUN_REPORT_SERVICES_H

#include "record/recording.h"
#include "util/strbuf.h"

/* A command as JSON: ["argv0", ...], or ["/bin/sh", "-c", "TEXT"]. */
void fr_json_cmd(struct fr_buf *b, const struct fr_cmd *c);

/* The lifecycle events of one unit (service NULL: the target) as a JSON list. */
void fr_json_lifecycle(struct fr_buf *b, const struct fr_record *r, const char *service);

/* "    \"services\": [...],\n": every process service, its lifecycle and processes. */
void fr_json_services(struct fr_buf *b, const struct fr_record *r);

/* Table lines: each process service that exited unexpectedly, or never ran. */
void fr_table_services(struct fr_buf *b, const struct fr_record *r, const char *red,
		       const char *off);

#endif /* FAULTRUN_REPORT_SERVICES_H */
