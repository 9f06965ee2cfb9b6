/*
 * faultrun — the reports of finished runs: each scenario's JSON journal
 * entry (docs/journal.md), JUnit <testsuite> and result table, rendered
 * from its recording; and the documents that gather them (the journal,
 * the JUnit <testsuites>).
 */
#ifndef FAULTRUN_REPORT_H
#define FAULTRUN_REPORT_H

#include "record/recording.h"

#include <stdbool.h>
#include <stddef.h>

/* Each returns a malloc'd string. */
char *fr_report_json(const struct fr_record *r);
char *fr_report_junit(const struct fr_record *r);
char *fr_report_table(const struct fr_record *r, bool color);

/*
 * One scenario's result, rendered: what the documents below gather, and
 * what a worker of `run -j` sends back (strings, so nothing of the
 * recording needs to cross the pipe).
 */
struct fr_rendered {
	enum fr_verdict_kind verdict;
	int exit; /* 0, 1 or 3 */
	unsigned assertions, failed;
	double seconds; /* wall time of the whole run */
	char *json, *junit, *table;
};

/* Render an evaluated recording into out (free with fr_rendered_finish). */
void fr_render(const struct fr_record *rec, bool color, struct fr_rendered *out);
void fr_rendered_finish(struct fr_rendered *r);

/*
 * The journal of an invocation: command is its argv (ncommand strings),
 * exit its status, started the epoch seconds it began; v the n results
 * (those without json are left out).
 */
char *fr_report_journal(const struct fr_rendered *const *v, size_t n, const char *const *command,
			size_t ncommand, int exit, double started);

/* The JUnit document of n results. */
char *fr_report_junit_doc(const struct fr_rendered *const *v, size_t n);

#endif /* FAULTRUN_REPORT_H */
