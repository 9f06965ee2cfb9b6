/*
 * faultrun — the HTML report (see report_html.h and docs/report.md).
 *
 * The C side reads each journal with the JSON reader (json.c), checks it
 * is a faultrun journal it can read, and writes:
 *   - the static page: a summary table when there are several scenarios,
 *     then per scenario its verdict, parameters and tables (assertions,
 *     faults, probes, target lifecycle, timeline steps), so the essentials
 *     show without JavaScript and on paper;
 *   - each journal verbatim inside <script type="application/json">, with
 *     '<' written as \u003c (valid only inside JSON strings, where it
 *     means the same) so no "</script>" or "<!--" in a string can end or
 *     confuse the script element;
 *   - the stylesheet and the timeline renderer, inline. They live in
 *     report_html.css and report_html_*.js and are turned into a C header
 *     at build time (report_html_embed.py).
 */
#define _GNU_SOURCE
#include "report/report_html.h"
#include "report/report_html_internal.h"
#include "util/err.h"
#include "util/fsutil.h"
#include "util/json.h"
#include "util/xalloc.h"
#include "report_html_assets.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Read one journal file ("-": stdin). */
static int read_journal(struct journal *j, char *err, size_t errlen)
{
	int r;

	/* a named journal must be a file: a FIFO would hang, a directory is none */
	if (strcmp(j->path, "-") != 0) {
		const char *kind;
		int fd = fr_open_regular(j->path, &kind);

		if (fd < 0) {
			if (kind)
				fr_set_err(err, errlen, "%s: not a regular file (%s)", j->path,
					   kind);
			else
				fr_set_err(err, errlen, "%s: %s", j->path, strerror(-fd));
			return fd;
		}
		r = fr_json_read_fd(fd, &j->owned, &j->len);
		close(fd);
	} else {
		r = fr_json_read_file("/dev/stdin", &j->owned, &j->len);
	}
	if (r == -EFBIG) {
		fr_set_err(err, errlen, "%s: too large (a journal may hold %d MiB)", j->path,
			   FR_JSON_MAX_FILE >> 20);
		return r;
	}
	if (r) {
		fr_set_err(err, errlen, "%s: %s", j->path, strerror(-r));
		return r;
	}
	j->text = j->owned;
	return 0;
}

/* Parse and check one journal: a faultrun journal of the version we read. */
static int check_journal(struct journal *j, char *err, size_t errlen)
{
	struct fr_json_err jerr;
	fr_jv fmt, ver;
	int r;

	r = fr_json_parse(&j->js, j->text, j->len, &jerr);
	if (r == -EINVAL) {
		fr_set_err(err, errlen, "%s:%d:%d: %s", j->path, jerr.line, jerr.col, jerr.msg);
		return r;
	}
	if (r) {
		fr_set_err(err, errlen, "%s: %s", j->path, strerror(-r));
		return r;
	}
	fmt = html_get(&j->js, 0, "format");
	if (fr_json_type(&j->js, 0) != FR_JSON_OBJECT ||
	    !fr_json_streq(&j->js, fmt, "faultrun-journal")) {
		fr_set_err(err, errlen,
			   "%s: not a faultrun journal (no \"format\": \"faultrun-journal\")",
			   j->path);
		return -EINVAL;
	}
	ver = html_get(&j->js, 0, "version");
	if (fr_json_num(&j->js, ver, -1) != JOURNAL_VERSION) {
		size_t n = 0;
		const char *raw = fr_json_raw(&j->js, ver, &n);

		fr_set_err(err, errlen,
			   "%s: journal version %.*s is not supported (this faultrun reads %d)",
			   j->path, raw ? (int)n : 7, raw ? raw : "missing", JOURNAL_VERSION);
		return -EINVAL;
	}
	j->scenarios = html_get(&j->js, 0, "scenarios");
	if (fr_json_type(&j->js, j->scenarios) != FR_JSON_ARRAY) {
		fr_set_err(err, errlen, "%s: journal has no \"scenarios\" list", j->path);
		return -EINVAL;
	}
	for (fr_jv sc = fr_json_first(&j->js, j->scenarios); sc != FR_JV_NONE;
	     sc = fr_json_next(&j->js, j->scenarios, sc)) {
		if (fr_json_type(&j->js, sc) != FR_JSON_OBJECT) {
			fr_set_err(err, errlen, "%s: an entry of \"scenarios\" is not an object",
				   j->path);
			return -EINVAL;
		}
	}
	return 0;
}

static void write_page(FILE *f, const struct journal *jn, size_t n)
{
	size_t total = 0, bad = 0, ji, si;
	const char *only = NULL;
	fr_jv only_sc = FR_JV_NONE;
	const struct fr_json *only_js = NULL;

	for (ji = 0; ji < n; ji++)
		for (fr_jv sc = fr_json_first(&jn[ji].js, jn[ji].scenarios); sc != FR_JV_NONE;
		     sc = fr_json_next(&jn[ji].js, jn[ji].scenarios, sc)) {
			total++;
			bad += strcmp(html_verdict_of(&jn[ji].js, sc), "pass") != 0;
			only = html_verdict_of(&jn[ji].js, sc);
			only_sc = sc;
			only_js = &jn[ji].js;
		}

	fputs("<!DOCTYPE html>\n<html lang=\"en\" data-render=\"pending\">\n<head>\n"
	      "<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<meta name=\"generator\" content=\"faultrun\">\n<title>",
	      f);
	if (total == 1) {
		html_jesc(f, only_js, html_get(only_js, only_sc, "name"), "(unnamed)");
		fprintf(f, " — %s — faultrun", html_verdict_word(only));
	} else {
		fprintf(f, "faultrun: %zu scenarios, %zu not passed", total, bad);
	}
	fputs("</title>\n<style>\n", f);
	fputs(fr_report_css, f);
	fputs("</style>\n</head>\n<body>\n<header class=\"top\">\n<h1>faultrun report</h1>\n", f);
	for (ji = 0; ji < n; ji++) {
		const struct fr_json *js = &jn[ji].js;
		fr_jv cmd = html_get(js, 0, "command");

		fputs("<p class=\"run\"><code>", f);
		html_jcmd(f, js, cmd);
		fputs("</code> <span class=\"meta\">started ", f);
		html_jesc(f, js, html_get(js, 0, "started"), "?");
		fputs(", exit status ", f);
		html_jscalar(f, js, html_get(js, 0, "exit"), "?");
		fputs(", faultrun ", f);
		html_jesc(f, js, html_get(js, 0, "faultrun"), "?");
		fputs("</span></p>\n", f);
	}
	fputs("</header>\n<main>\n", f);
	if (total > 1)
		html_write_overview(f, jn, n);
	if (total == 0)
		fputs("<p class=\"none\">The journal holds no scenario.</p>\n", f);
	for (ji = 0; ji < n; ji++) {
		si = 0;
		for (fr_jv sc = fr_json_first(&jn[ji].js, jn[ji].scenarios); sc != FR_JV_NONE;
		     sc = fr_json_next(&jn[ji].js, jn[ji].scenarios, sc), si++)
			html_write_scenario(f, &jn[ji], ji, sc, si);
	}
	fputs("</main>\n<div id=\"fr-tip\" role=\"tooltip\" hidden></div>\n"
	      "<pre id=\"fr-errors\" hidden></pre>\n",
	      f);
	for (ji = 0; ji < n; ji++)
		html_embed_journal(f, &jn[ji], ji);
	fputs("<script>\n", f);
	fputs(fr_report_js, f);
	fputs("</script>\n</body>\n</html>\n", f);
}

/* Write the page to f; 0 or -errno (the message names html_path). */
static int write_page_to(FILE *f, const struct journal *jn, size_t n, const char *html_path,
			 char *err, size_t errlen)
{
	int r = 0;

	errno = 0;
	write_page(f, jn, n);
	if (fflush(f) != 0 || ferror(f)) {
		r = -(errno ? errno : EIO);
		fr_set_err(err, errlen, "%s: %s", html_path, strerror(-r));
	}
	return r;
}

/*
 * Write the page for the checked journals jn[0..n) to html_path, through a
 * temporary file renamed into place (fsutil.h; "-": stdout).
 */
static int write_html(const struct journal *jn, size_t n, const char *html_path, char *err,
		      size_t errlen)
{
	struct fr_atomic_file a;
	FILE *f;
	int fd, r;

	if (!strcmp(html_path, "-"))
		return write_page_to(stdout, jn, n, html_path, err, errlen);
	r = fr_atomic_begin(&a, html_path);
	if (r < 0) {
		fr_set_err(err, errlen, "%s: %s", html_path, strerror(-r));
		return r;
	}
	/* a stream on a copy of the descriptor: fr_atomic_commit closes a.fd */
	fd = dup(a.fd);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		r = -errno;
		fr_set_err(err, errlen, "%s: %s", html_path, strerror(-r));
		if (fd >= 0)
			close(fd);
		fr_atomic_abort(&a);
		return r;
	}
	r = write_page_to(f, jn, n, html_path, err, errlen);
	if (fclose(f) != 0 && !r) {
		r = -(errno ? errno : EIO);
		fr_set_err(err, errlen, "%s: %s", html_path, strerror(-r));
	}
	if (r) {
		fr_atomic_abort(&a);
		return r;
	}
	r = fr_atomic_commit(&a);
	if (r < 0)
		fr_set_err(err, errlen, "%s: %s", html_path, strerror(-r));
	return r;
}

static void free_journals(struct journal *jn, size_t n)
{
	for (size_t i = 0; jn && i < n; i++) {
		fr_json_finish(&jn[i].js);
		free(jn[i].owned);
	}
	free(jn);
}

/* Common checks and allocation of both entry points. */
static struct journal *begin_report(size_t n, const char *html_path, char *err, size_t errlen,
				    int *r)
{
	struct journal *jn;

	if (err && errlen)
		err[0] = '\0';
	*r = -EINVAL;
	if (!n || !html_path || !*html_path) {
		fr_set_err(err, errlen, "no journal or no output file given");
		return NULL;
	}
	return fr_xcalloc(n, sizeof(*jn));
}

/* Both entry points end here: the page when every journal was read (r == 0). */
static int end_report(struct journal *jn, size_t n, int r, const char *html_path, char *err,
		      size_t errlen)
{
	if (!r)
		r = write_html(jn, n, html_path, err, errlen);
	free_journals(jn, n);
	return r;
}

int fr_report_html(const char *const *journal_paths, size_t n, const char *html_path, char *err,
		   size_t errlen)
{
	int r;
	struct journal *jn = begin_report(n, html_path, err, errlen, &r);

	if (!jn)
		return r;
	for (size_t i = 0; i < n; i++) {
		jn[i].path = journal_paths[i];
		jn[i].name = journal_paths[i];
		r = read_journal(&jn[i], err, errlen);
		if (!r)
			r = check_journal(&jn[i], err, errlen);
		if (r)
			break;
	}
	return end_report(jn, n, r, html_path, err, errlen);
}

int fr_report_html_mem(const struct fr_report_journal *journals, size_t n, const char *html_path,
		       char *err, size_t errlen)
{
	int r;
	struct journal *jn = begin_report(n, html_path, err, errlen, &r);

	if (!jn)
		return r;
	for (size_t i = 0; i < n; i++) {
		jn[i].path = journals[i].name ? journals[i].name : "journal";
		jn[i].name = journals[i].name;
		jn[i].text = journals[i].text;
		jn[i].len = journals[i].len;
		r = -EINVAL;
		if (!jn[i].text || jn[i].text[jn[i].len] != '\0') {
			fr_set_err(err, errlen, "%s: journal text is not NUL-terminated",
				   jn[i].path);
			break;
		}
		r = check_journal(&jn[i], err, errlen);
		if (r)
			break;
	}
	return end_report(jn, n, r, html_path, err, errlen);
}
