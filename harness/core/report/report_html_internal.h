/*
 * faultrun — the HTML report's parts shared by report_html.c (reading
 * journals, the page), report_html_sections.c (the static HTML of each
 * scenario) and report_html_units.c (its target and services). Not for use
 * outside report/.
 */
#ifndef FAULTRUN_REPORT_HTML_INTERNAL_H
#define FAULTRUN_REPORT_HTML_INTERNAL_H

#include "util/json.h"

#include <stddef.h>
#include <stdio.h>

#define JOURNAL_VERSION 1

struct journal {
	const char *path; /* for messages */
	const char *name; /* shown on the page, or NULL */
	const char *text; /* text[len] == '\0' */
	size_t len;
	char *owned; /* text, when read from a file */
	struct fr_json js;
	fr_jv scenarios;
};

void html_jesc(FILE *f, const struct fr_json *js, fr_jv v, const char *dflt);
void html_jcmd(FILE *f, const struct fr_json *js, fr_jv cmd);
void html_jscalar(FILE *f, const struct fr_json *js, fr_jv v, const char *dflt);
fr_jv html_get(const struct fr_json *js, fr_jv obj, const char *key);
const char *html_verdict_of(const struct fr_json *js, fr_jv sc);
const char *html_verdict_word(const char *v);
const char *html_fmt_dur(char *buf, size_t n, double s);
const char *html_fmt_t(char *buf, size_t n, double t);
void html_write_target(FILE *f, const struct fr_json *js, fr_jv sc);
void html_write_services(FILE *f, const struct fr_json *js, fr_jv sc);
void html_write_overview(FILE *f, const struct journal *jn, size_t n);
void html_write_scenario(FILE *f, const struct journal *j, size_t ji, fr_jv sc, size_t si);
void html_embed_journal(FILE *f, const struct journal *j, size_t ji);

#endif /* FAULTRUN_REPORT_HTML_INTERNAL_H */
