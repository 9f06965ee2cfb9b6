/*
 * faultrun report JOURNAL.json... --html FILE [-q]
 *
 * Draws saved runs again: reads the JSON journals written by
 * `faultrun --json` and writes one self-contained HTML page (see
 * docs/report.md). Options and journals may come in any order; "--" ends
 * the options; a journal named "-" is read from stdin. Exit status 0 when
 * the page was written, 2 for bad input (usage, a journal that cannot be
 * read or is not a journal, an output file that cannot be written).
 */
#define _GNU_SOURCE
#include "cli.h"
#include "config.h"
#include "report/report_html.h"
#include "util/xalloc.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void report_usage(FILE *out)
{
	fputs("usage: faultrun report JOURNAL.json... --html FILE [-q]\n"
	      "  draw runs saved with --json as one self-contained HTML page (FILE '-' is\n"
	      "  stdout); several journals give one page with a summary and a section per\n"
	      "  scenario. See faultrun(1) and " FR_DOCDIR "/report.md\n",
	      out);
}

int fr_cmd_report(int argc, char **argv)
{
	const char **journals = fr_xcalloc((size_t)argc + 1, sizeof(*journals));
	const char *html = NULL;
	bool quiet = false, opts = true;
	size_t n = 0;
	char err[1024];
	int r, status = 2;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!opts || a[0] != '-' || !strcmp(a, "-")) {
			journals[n++] = a;
		} else if (!strcmp(a, "--")) {
			opts = false;
		} else if (!strcmp(a, "--html")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "faultrun: report: '%s' needs a file name\n", a);
				goto out_usage;
			}
			html = argv[++i];
		} else if (!strncmp(a, "--html=", 7)) {
			html = a + 7;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			quiet = true;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			report_usage(stdout);
			status = 0;
			goto out;
		} else {
			fprintf(stderr, "faultrun: report: unknown option '%s'\n", a);
			goto out_usage;
		}
	}
	if (!n) {
		fputs("faultrun: report: no journal given\n", stderr);
		goto out_usage;
	}
	if (!html || !*html) {
		fputs("faultrun: report: no output given (--html FILE)\n", stderr);
		goto out_usage;
	}
	r = fr_report_html(journals, n, html, err, sizeof(err));
	if (r) {
		fprintf(stderr, "faultrun: %s\n", err);
		goto out;
	}
	if (!quiet && strcmp(html, "-"))
		fprintf(stderr, "faultrun: wrote %s\n", html);
	status = 0;
	goto out;
out_usage:
	report_usage(stderr);
out:
	free(journals);
	return status;
}
