/*
 * faultrun help TOPIC: the topic's manual page (faultrun help alone is the
 * usage, main.c).
 *
 * From the build tree (faultrun is <build>/harness/cli/faultrun) the page
 * is the one built beside it, shown with man -l; otherwise man(1) finds
 * the installed one. When there is no man, or no page, faultrun says
 * where the Markdown documentation is installed and exits 3: the same
 * text, without a pager.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "config.h"
#include "util/fsutil.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct help_topic {
	const char *topic, *page, *section, *doc;
};

static const struct help_topic topics[] = {
	{ "exec", "faultrun-exec", "1", "faults.md" },
	{ "ctl", "faultrun-ctl", "1", "faults.md" },
	{ "scenario", "faultrun-scenario", "5", "scenario-format.md" },
	{ "faults", "faultrun-faults", "7", "faults.md" },
	{ "run", "faultrun", "1", "README.md" },
	{ "check", "faultrun", "1", "README.md" },
	{ "report", "faultrun", "1", "report.md" },
};

/* Whether `man -w SECTION PAGE` finds the page: 1 yes, 0 no, -1 no man. */
static int man_has(const struct help_topic *t)
{
	int wst;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		if (null >= 0) {
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
		}
		execlp("man", "man", "-w", t->section, t->page, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &wst, 0) < 0 || !WIFEXITED(wst))
		return -1;
	return WEXITSTATUS(wst) == 0 ? 1 : WEXITSTATUS(wst) == 127 ? -1 : 0;
}

static int no_page(const struct help_topic *t, const char *why)
{
	fprintf(stderr,
		"faultrun: help %s: cannot show the manual page %s(%s): %s\n"
		"faultrun: the documentation is installed in %s: read %s/%s\n",
		t->topic, t->page, t->section, why, FR_DOCDIR, FR_DOCDIR, t->doc);
	return 3;
}

int fr_cmd_help(const char *topic)
{
	const struct help_topic *t = NULL;
	char dir[PATH_MAX], page[PATH_MAX + 64];

	for (size_t i = 0; i < sizeof(topics) / sizeof(topics[0]); i++)
		if (strcmp(topic, topics[i].topic) == 0)
			t = &topics[i];
	if (!t) {
		fprintf(stderr,
			"faultrun: help: unknown topic '%s' (exec, ctl, scenario, faults, run, "
			"check, report)\n",
			topic);
		return 2;
	}
	/* the page built beside this faultrun (meson: docs/man) */
	if (fr_self_dir(dir, sizeof(dir)) == 0 &&
	    snprintf(page, sizeof(page), "%s/../../docs/man/%s.%s", dir, t->page, t->section) <
		    (int)sizeof(page) &&
	    access(page, R_OK) == 0) {
		fflush(stdout);
		execlp("man", "man", "-l", page, (char *)NULL);
		return no_page(t, "man was not found");
	}
	switch (man_has(t)) {
	case -1:
		return no_page(t, "man was not found");
	case 0:
		return no_page(t, "it is not installed");
	}
	fflush(stdout);
	execlp("man", "man", t->section, t->page, (char *)NULL);
	return no_page(t, "man was not found");
}
