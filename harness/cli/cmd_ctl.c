/*
 * faultrun ctl [--run PID|DIR] [--json] [list | events [--follow] | arm NAME |
 *              disarm NAME | add [--paused] SPEC | remove NAME]
 *
 * Steers a running `faultrun exec` or scenario run from another terminal,
 * through libfaultrun (harness/lib, linked as objects): it maps the run's
 * control block and changes it in place, so every process of the run
 * sees an arm or disarm at once (the shim reads the block on each call;
 * stalled calls are woken through the block's futex). Options may come
 * anywhere, before or after the command. docs/exec-and-ctl.md.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "config.h"
#include "ctlread.h"
#include "lib_internal.h"
#include "util/strbuf.h"

#include <faultrun/control.h>
#include <faultrun/faultrun.h>

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void ctl_usage(void)
{
	fputs("usage: faultrun ctl [--run PID|DIR] [--json] [list | events [--follow] | arm NAME |\n"
	      "                    disarm NAME | add [--paused] SPEC | remove NAME]\n"
	      "  NAME may be a glob (disk*) for arm and disarm; options may come anywhere.\n"
	      "  Without --run: $FAULTRUN_CTL when set (inside a run), else the only live\n"
	      "  run of this user. See faultrun-ctl(1), faultrun-faults(7) and\n"
	      "  " FR_DOCDIR "/exec-and-ctl.md\n",
	      stderr);
}

struct ctl_opts {
	const char *run, *verb, *arg;
	bool json, follow, paused;
};

/* The verbs, and whether each takes an argument. */
static const struct {
	const char *verb;
	bool arg;
} verbs[] = {
	{ "list", false },  { "events", false }, { "arm", true },
	{ "disarm", true }, { "add", true },	 { "remove", true },
};

/* One option or positional word; returns 1 when it took the next word too, or -2. */
static int take_option(struct ctl_opts *o, const char *a, const char *next)
{
	if (strcmp(a, "--run") == 0) {
		if (!next) {
			fprintf(stderr, "faultrun: --run needs a pid or a run directory\n");
			return -2;
		}
		o->run = next;
		return 1;
	}
	if (strncmp(a, "--run=", 6) == 0)
		o->run = a + 6;
	else if (strcmp(a, "--json") == 0)
		o->json = true;
	else if (strcmp(a, "--follow") == 0)
		o->follow = true;
	else if (strcmp(a, "--paused") == 0)
		o->paused = true;
	else {
		fprintf(stderr, "faultrun: ctl: unknown option '%s'\n", a);
		ctl_usage();
		return -2;
	}
	return 0;
}

/* Returns -1 to go on, else the exit status (0 after --help). */
static int parse_ctl(int argc, char **argv, struct ctl_opts *o)
{
	const char *pos[3] = { NULL };
	int npos = 0;
	bool opts_end = false;
	bool needs = false;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!opts_end && (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)) {
			ctl_usage();
			return 0;
		}
		if (!opts_end && strcmp(a, "--") == 0) {
			opts_end = true;
		} else if (!opts_end && a[0] == '-' && a[1]) {
			int r = take_option(o, a, i + 1 < argc ? argv[i + 1] : NULL);

			if (r < 0)
				return 2;
			i += r;
		} else if (npos < 3) {
			pos[npos++] = a;
		}
	}
	o->verb = pos[0] ? pos[0] : "list";
	size_t v = 0;
	while (v < sizeof(verbs) / sizeof(verbs[0]) && strcmp(verbs[v].verb, o->verb) != 0)
		v++;
	if (v == sizeof(verbs) / sizeof(verbs[0])) {
		fprintf(stderr, "faultrun: ctl: unknown command '%s'\n", o->verb);
		ctl_usage();
		return 2;
	}
	needs = verbs[v].arg;
	if (needs && npos < 2) {
		fprintf(stderr, "faultrun: ctl %s: needs %s\n", o->verb,
			strcmp(o->verb, "add") == 0 ? "a SPEC" : "a rule NAME");
		return 2;
	}
	if (npos > (needs ? 2 : 1)) {
		fprintf(stderr, "faultrun: ctl %s: unexpected argument '%s'%s\n", o->verb,
			pos[needs ? 2 : 1], strcmp(o->verb, "add") == 0 ? " (quote the SPEC)" : "");
		return 2;
	}
	o->arg = needs ? pos[1] : NULL;
	const char *misplaced = o->json && strcmp(o->verb, "list") && strcmp(o->verb, "events") ?
					"--json (list and events)" :
				o->follow && strcmp(o->verb, "events") ? "--follow (events)" :
				o->paused && strcmp(o->verb, "add")    ? "--paused (add)" :
									 NULL;
	if (misplaced) {
		fprintf(stderr, "faultrun: ctl %s: %s does not apply\n", o->verb, misplaced);
		return 2;
	}
	return -1;
}

/* The only live run of this user, or an exit status (naming the runs when several). */
static int find_only_run(struct fr_run **run)
{
	struct frl_found v[16];
	size_t n = frl_find_runs(0, v, 16);

	if (n == 0) {
		fprintf(stderr, "faultrun: no run found for this user\n");
		return 3;
	}
	if (n > 1) {
		fprintf(stderr,
			"faultrun: several runs are live; choose one with --run PID|DIR:\n");
		for (size_t i = 0; i < n && i < 16; i++)
			fprintf(stderr, "  %ld  %s\n", v[i].pid, v[i].ctl);
		return 2;
	}
	int ret = frl_attach_block(v[0].ctl, run);
	if (ret < 0) {
		fprintf(stderr, "faultrun: cannot use control block '%s': %s\n", v[0].ctl,
			strerror(-ret));
		return 3;
	}
	return 0;
}

/* A run directory given to --run: the block that was refused is its ctl. */
static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* --run PID|DIR, $FAULTRUN_CTL (inside a run), or the only live run. */
static int attach(const char *want, struct fr_run **run)
{
	const char *own = getenv(FR_CTL_ENV);
	int ret;

	if (!want && (!own || !*own))
		return find_only_run(run);
	if (!want)
		ret = fr_run_attach_env(run);
	else if (want[strspn(want, "0123456789")] == '\0')
		ret = fr_run_attach_pid((pid_t)strtol(want, NULL, 10), run);
	else
		ret = fr_run_attach_dir(want, run);
	if (ret == 0)
		return 0;
	if (want && (ret == -ESRCH || (ret == -ENOENT && !strchr(want, '/'))))
		fprintf(stderr, "faultrun: --run '%s': no live run with that pid\n", want);
	else
		fprintf(stderr, "faultrun: cannot use control block '%s%s': %s\n",
			want ? want : own, want && is_dir(want) ? "/ctl" : "",
			ret == -EINVAL ? "not a valid block" :
			ret == -EPERM  ? "not a private file of this user" :
					 strerror(-ret));
	return 3;
}

static int list_json(struct fr_run *run)
{
	struct fr_run_rule rules[FR_MAX_RULES];
	int n = fr_run_rules(run, rules, FR_MAX_RULES);
	struct fr_buf b = { 0 };

	fr_buf_puts(&b, "{\"run\": ");
	fr_buf_json_str(&b, fr_run_path(run));
	fr_buf_printf(&b, ", \"seed\": %" PRIu64 ", \"rules\": [", fr_run_seed(run));
	for (int i = 0; i < n && i < FR_MAX_RULES; i++) {
		fr_buf_puts(&b, i ? ",\n  {\"name\": " : "\n  {\"name\": ");
		fr_buf_json_str(&b, rules[i].name);
		fr_buf_puts(&b, ", \"spec\": ");
		fr_buf_json_str(&b, rules[i].spec);
		fr_buf_printf(&b,
			      ", \"armed\": %s, \"matched\": %" PRIu64 ", \"injected\": %" PRIu64
			      ", \"bytes\": %" PRIu64 "}",
			      rules[i].armed ? "true" : "false", rules[i].matched,
			      rules[i].injected, rules[i].bytes);
	}
	fr_buf_puts(&b, n > 0 ? "\n]}\n" : "]}\n");
	char *text = fr_buf_take(&b);
	fputs(text, stdout);
	free(text);
	return 0;
}

static volatile sig_atomic_t stop_following;

static void on_stop(int sig)
{
	(void)sig;
	stop_following = 1;
}

/*
 * events --follow: what the ring holds, then each new event as it comes,
 * until the run ends (its faultrun is gone or its block removed) or
 * SIGINT/SIGTERM. The shim wakes nobody when it writes an event, so this
 * polls, ten times a second.
 */
static int follow_events(struct fr_run *run, bool json)
{
	const struct fr_ctl *c = frl_block(run);
	struct sigaction sa = { .sa_handler = on_stop };
	struct timespec tick = { 0, 100 * 1000 * 1000 };
	uint64_t pos = 0, lost = 0;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	for (;;) {
		/* asked before reading, so the last pass sees every event of the run */
		bool ended = frl_run_ended(run) || stop_following;

		pos = fr_ctl_print_events_from(c, pos, stdout, json, !ended, &lost);
		fflush(stdout);
		if (ended)
			break;
		nanosleep(&tick, NULL);
	}
	if (lost)
		fprintf(stderr,
			"faultrun: %" PRIu64 " events were overwritten before they were read "
			"(the ring holds %u)\n",
			lost, FR_CTL_EVENTS);
	return 0;
}

/* The rules that pattern names, for messages. */
static void print_matching(struct fr_run *run, const char *pattern, const char *what,
			   const char *end, FILE *out)
{
	struct fr_run_rule rules[FR_MAX_RULES];
	int n = fr_run_rules(run, rules, FR_MAX_RULES);

	for (int i = 0; i < n && i < FR_MAX_RULES; i++)
		if (!pattern || fr_glob_match(pattern, strlen(pattern), rules[i].name))
			fprintf(out, "%s%s%s", what, rules[i].name, end);
	if (!pattern && n <= 0)
		fputs(" none", out);
}

static int no_such_rule(struct fr_run *run, const char *name)
{
	fprintf(stderr, "faultrun: no rule named '%s' (rules:", name);
	print_matching(run, NULL, " ", "", stderr);
	fputs(")\n", stderr);
	return 2;
}

static int add_rule(struct fr_run *run, const char *spec, bool paused)
{
	char err[512];
	struct fr_rule r;
	int ret = fr_run_add(run, spec, paused ? FR_RUN_PAUSED : 0, err, sizeof(err));

	if (ret < 0) {
		fprintf(stderr, "faultrun: ctl add '%s': %s\n", spec, err);
		return 2;
	}
	/* the name it got (name=, or "ruleN" from its slot): parsed again to print it */
	if (fr_spec_parse(spec, &r, fr_ctl_count(frl_block(run)) - 1, err, sizeof(err)) == 0)
		printf(paused ? "added %.*s (paused: faultrun ctl arm %.*s)\n" :
				"added and armed %.*s\n",
		       FR_NAME_MAX, r.name, FR_NAME_MAX, r.name);
	return 0;
}

static int run_verb(struct fr_run *run, const struct ctl_opts *o)
{
	int ret;

	if (strcmp(o->verb, "list") == 0) {
		if (o->json)
			return list_json(run);
		printf("run %s  seed %" PRIu64 "\n", fr_run_path(run), fr_run_seed(run));
		fr_ctl_print_counts(frl_block(run), stdout, "");
		return 0;
	}
	if (strcmp(o->verb, "events") == 0) {
		if (o->follow)
			return follow_events(run, o->json);
		fr_ctl_print_events_from(frl_block(run), 0, stdout, o->json, false, NULL);
		return 0;
	}
	if (strcmp(o->verb, "add") == 0)
		return add_rule(run, o->arg, o->paused);
	if (strcmp(o->verb, "remove") == 0) {
		ret = fr_run_remove(run, o->arg);
		if (ret < 0)
			return no_such_rule(run, o->arg);
		printf("removed %s\n", o->arg);
		return 0;
	}
	bool arm = strcmp(o->verb, "arm") == 0;
	ret = arm ? fr_run_arm(run, o->arg) : fr_run_disarm(run, o->arg);
	if (ret < 0)
		return no_such_rule(run, o->arg);
	print_matching(run, o->arg, arm ? "armed " : "disarmed ", "\n", stdout);
	return 0;
}

int fr_cmd_ctl(int argc, char **argv)
{
	struct ctl_opts o = { 0 };
	struct fr_run *run = NULL;
	int status = parse_ctl(argc, argv, &o);

	if (status >= 0)
		return status;
	status = attach(o.run, &run);
	if (status)
		return status;
	status = run_verb(run, &o);
	fr_run_detach(run);
	return status;
}
