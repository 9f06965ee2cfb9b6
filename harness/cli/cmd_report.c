/*
 * faultrun report JOURNAL.json... --html FILE [-q]
 * faultrun report --merge OUT IN... [-q]
 *
 * Draws saved runs again: reads the JSON journals written by
 * `faultrun --json` and writes one self-contained HTML page (see
 * docs/report.md). Options and journals may come in any order; "--" ends
 * the options; a journal named "-" is read from stdin. Exit status 0 when
 * the page was written, 2 for bad input (usage, a journal that cannot be
 * read or is not a journal, an output file that cannot be written).
 *
 * --merge joins the JUnit files, or the journals, of a suite's shards
 * (faultrun --shard I/N) into one (merge.c, docs/ci.md); same statuses.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "config.h"
#include "report/report_html.h"
#include "shard.h"
#include "util/xalloc.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void report_usage(FILE *out)
{
	fputs("usage: faultrun report JOURNAL.json... --html FILE [-q]\n"
	      "       faultrun report --merge OUT IN... [-q]\n"
	      "  draw runs saved with --json as one self-contained HTML page (FILE '-' is\n"
	      "  stdout); several journals give one page with a summary and a section per\n"
	      "  scenario. See faultrun(1) and " FR_DOCDIR "/report.md\n"
	      "  --merge: join the JUnit files, or the journals, of a suite's shards\n"
	      "  (--shard I/N) into one, as an unsharded run writes it (OUT '-' is\n"
	      "  stdout). See " FR_DOCDIR "/ci.md\n",
	      out);
}

int fr_cmd_report(int argc, char **argv)
{
	const char **journals = fr_xcalloc((size_t)argc + 1, sizeof(*journals));
	const char *html = NULL, *merge = NULL;
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
		} else if (!strcmp(a, "--merge")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "faultrun: report: '%s' needs a file name\n", a);
				goto out_usage;
			}
			merge = argv[++i];
		} else if (!strncmp(a, "--merge=", 8)) {
			merge = a + 8;
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
		fputs(merge ? "faultrun: report: --merge: nothing to merge (IN...)\n" :
			      "faultrun: report: no journal given\n",
		      stderr);
		goto out_usage;
	}
	if (merge && (!*merge || html)) {
		fputs(html ? "faultrun: report: --merge and --html: one at a time (merge, then "
			     "draw the merged journal)\n" :
			     "faultrun: report: --merge needs a file name\n",
		      stderr);
		goto out_usage;
	}
	if (merge) {
		status = fr_report_merge(merge, journals, n, quiet);
		goto out;
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
