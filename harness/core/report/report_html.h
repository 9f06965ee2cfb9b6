/*
 * faultrun — the HTML report: one self-contained page drawing runs from
 * their JSON journals (docs/journal.md; the page is described in
 * docs/report.md).
 *
 * The page works offline and without JavaScript for the essentials: each
 * scenario's name, verdict, parameters, assertions (measured value beside
 * the bound), faults, probes, target lifecycle and timeline steps are
 * written as plain HTML. The journals themselves are embedded verbatim
 * (with every '<' escaped as \u003c so no string can close the <script>)
 * in <script type="application/json"> blocks, and inline JavaScript draws
 * each scenario's timeline from them as SVG. No network access is needed
 * to view it: no CDN, no external fonts or scripts.
 */
#ifndef FAULTRUN_REPORT_HTML_H
#define FAULTRUN_REPORT_HTML_H

#include <stddef.h>

/*
 * Read the n journal files at journal_paths (each written by faultrun
 * run --json, holding one or more scenarios) and write one page to
 * html_path ("-" for stdout): a summary at the top when there is more
 * than one scenario, then one section per scenario, in order.
 *
 * Every journal is read and checked before anything is written; the page
 * is written to a temporary file next to html_path and renamed into
 * place, so a failure never leaves a half-written page behind.
 *
 * Returns 0, or -errno with a one-line message in err (without the
 * "faultrun: " prefix, naming the file and for malformed JSON its
 * line:column): -EINVAL for a file that is not a journal this version
 * can read, -ENOENT/-EACCES/... for files that cannot be read or
 * written. err may be NULL when errlen is 0.
 */
int fr_report_html(const char *const *journal_paths, size_t n, const char *html_path, char *err,
		   size_t errlen);

/* A journal already in memory, for fr_report_html_mem(). */
struct fr_report_journal {
	const char *name; /* shown on the page and in messages, or NULL (not shown) */
	const char *text; /* the journal's JSON; text[len] must be '\0' */
	size_t len;
};

/*
 * The same page from journals in memory: what the runner's --html uses, so
 * it needs no temporary file. Same return values and messages.
 */
int fr_report_html_mem(const struct fr_report_journal *journals, size_t n, const char *html_path,
		       char *err, size_t errlen);

#endif /* FAULTRUN_REPORT_HTML_H */
