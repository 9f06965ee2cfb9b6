/*
 * faultrun ctl [--run PID|DIR] [list | events | arm NAME | disarm NAME | add SPEC]
 *
 * Steers a running `faultrun exec` or scenario run from another terminal.
 * It maps the run's control block and changes it in place: every process
 * of the run sees an arm or disarm at once (the shim reads the block on
 * each call; stalled calls are woken through the block's futex).
 */
#define _GNU_SOURCE
#include "cli.h"
#include "config.h"
#include "ctlread.h"
#include "io/launch.h"

#include <faultrun/control.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void ctl_usage(void)
{
	fputs("usage: faultrun ctl [--run PID|DIR] [list | events | arm NAME | disarm NAME | "
	      "add SPEC]\n"
	      "  NAME may be a glob (disk*); without --run: $FAULTRUN_CTL when set (inside a\n"
	      "  run), else the only live run of this user\n"
	      "  see faultrun-ctl(1), faultrun-faults(7) and " FR_DOCDIR "/faults.md\n",
	      stderr);
}

static bool alive(long pid)
{
	return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

/* The live runs found so far (find_run). */
struct runs_seen {
	char found[PATH_MAX];
	long found_pid;
	unsigned count;
};

/* Look in one base for live runs (of pid `want`, if given). */
static void scan_base(const char *base, const char *want, struct runs_seen *rs)
{
	DIR *d = opendir(base);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char ctl[PATH_MAX + 300];
		long pid = -1;

		fr_rundir_pid(de->d_name, &pid);
		if (de->d_name[0] == '.' || !alive(pid))
			continue;
		if (want && pid != strtol(want, NULL, 10))
			continue;
		snprintf(ctl, sizeof(ctl), "%s/%s/ctl", base, de->d_name);
		if (access(ctl, R_OK) < 0)
			continue;
		if (rs->count == 0) {
			if (snprintf(rs->found, sizeof(rs->found), "%s", ctl) >=
			    (int)sizeof(rs->found))
				continue;
			rs->found_pid = pid;
		}
		if (rs->count == 1 && !want)
			fprintf(stderr,
				"faultrun: several runs are live; choose one "
				"with --run PID|DIR:\n  %ld  %s\n",
				rs->found_pid, rs->found);
		if (rs->count >= 1 && !want)
			fprintf(stderr, "  %ld  %s\n", pid, ctl);
		rs->count++;
	}
	closedir(d);
}

/*
 * Find the run's block: --run DIR, --run PID, or the only live run, in
 * the base of `faultrun run` and in that of `faultrun exec` (a tmpfs when
 * there is one: fr_rundir_base_mem). Returns 0 with the block's path, or
 * an exit status.
 */
static int find_run(const char *want, char *out, size_t len)
{
	char base[PATH_MAX], mem[PATH_MAX];
	struct runs_seen rs = { "", 0, 0 };
	struct stat st;
	bool have_base, have_mem;

	if (want && strchr(want, '/')) {
		if (stat(want, &st) == 0 && S_ISDIR(st.st_mode))
			snprintf(out, len, "%s/ctl", want);
		else
			snprintf(out, len, "%s", want);
		return 0;
	}
	have_base = fr_rundir_base(base, sizeof(base)) == 0;
	have_mem = fr_rundir_base_mem(mem, sizeof(mem)) == 0;
	if (have_base)
		scan_base(base, want, &rs);
	if (have_mem && !(have_base && strcmp(base, mem) == 0))
		scan_base(mem, want, &rs);
	if (rs.count == 0) {
		if (want)
			fprintf(stderr, "faultrun: --run '%s': no live run with that pid\n", want);
		else
			fprintf(stderr, "faultrun: no run found for this user\n");
		return 3;
	}
	if (rs.count > 1 && !want)
		return 2;
	snprintf(out, len, "%s", rs.found);
	return 0;
}

/* Arm or disarm every rule whose name matches the glob. */
static int set_armed(struct fr_ctl *c, const char *name, bool armed)
{
	unsigned n = fr_ctl_count(c), hits = 0;

	for (unsigned i = 0; i < n; i++) {
		const struct fr_rule *r = &c->slots[i].rule;
		char nm[FR_NAME_MAX + 1];

		snprintf(nm, sizeof(nm), "%.*s", FR_NAME_MAX, r->name);
		if (!fr_glob_match(name, strlen(name), nm))
			continue;
		fr_ctl_set_armed(c, i, armed);
		printf("%s %s\n", armed ? "armed" : "disarmed", nm);
		hits++;
	}
	if (!hits) {
		fprintf(stderr, "faultrun: no rule named '%s' (rules:", name);
		for (unsigned i = 0; i < n; i++)
			fprintf(stderr, " %.*s", FR_NAME_MAX, c->slots[i].rule.name);
		fprintf(stderr, "%s)\n", n ? "" : " none");
		return 2;
	}
	return 0;
}

int fr_cmd_ctl(int argc, char **argv)
{
	const char *run = NULL;
	char path[PATH_MAX + 8], err[512];
	struct fr_ctl *c;
	int i = 1, ret, status = 0;

	if (i < argc && (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)) {
		ctl_usage();
		return 0;
	}
	if (i < argc && strcmp(argv[i], "--run") == 0) {
		if (i + 1 >= argc) {
			fprintf(stderr, "faultrun: --run needs a pid or a run directory\n");
			return 2;
		}
		run = argv[i + 1];
		i += 2;
	} else if (i < argc && strncmp(argv[i], "--run=", 6) == 0) {
		run = argv[i++] + 6;
	}
	const char *verb = i < argc ? argv[i++] : "list";
	bool needs_arg = strcmp(verb, "arm") == 0 || strcmp(verb, "disarm") == 0 ||
			 strcmp(verb, "add") == 0;
	if (strcmp(verb, "list") != 0 && strcmp(verb, "events") != 0 && !needs_arg) {
		fprintf(stderr, "faultrun: ctl: unknown command '%s'\n", verb);
		ctl_usage();
		return 2;
	}
	if (needs_arg && i >= argc) {
		fprintf(stderr, "faultrun: ctl %s: needs %s\n", verb,
			strcmp(verb, "add") == 0 ? "a SPEC" : "a rule NAME");
		return 2;
	}
	if (i + (needs_arg ? 1 : 0) < argc) {
		fprintf(stderr, "faultrun: ctl %s: unexpected argument '%s'%s\n", verb,
			argv[i + (needs_arg ? 1 : 0)],
			strcmp(verb, "add") == 0 ? " (quote the SPEC)" : "");
		return 2;
	}
	/* inside a run (a timeline `run` step, a target's child) the block is known */
	const char *own = getenv(FR_CTL_ENV);
	if (!run && own && *own)
		run = own;
	if ((ret = find_run(run, path, sizeof(path))) != 0)
		return ret;
	if ((ret = fr_ctl_open(path, &c)) < 0) {
		fprintf(stderr, "faultrun: cannot use control block '%s': %s\n", path,
			ret == -EINVAL ? "not a valid block" :
			ret == -EPERM  ? "not a private file of this user" :
					 strerror(-ret));
		return 3;
	}
	if (strcmp(verb, "list") == 0) {
		printf("run %s  seed %llu\n", path, (unsigned long long)c->seed);
		fr_ctl_print_counts(c, stdout, "");
	} else if (strcmp(verb, "events") == 0) {
		fr_ctl_print_events(c, stdout);
	} else if (strcmp(verb, "add") == 0) {
		struct fr_rule r;
		if (fr_spec_parse(argv[i], &r, fr_ctl_count(c), err, sizeof(err)) < 0) {
			fprintf(stderr, "faultrun: ctl add '%s': %s\n", argv[i], err);
			status = 2;
		} else if ((ret = fr_ctl_add(c, &r, true)) < 0) {
			fprintf(stderr, "faultrun: ctl add '%s': %s\n", argv[i],
				ret == -EEXIST ? "a rule with that name exists" :
				ret == -ENOSPC ? "the rule table is full" :
						 strerror(-ret));
			status = 2;
		} else {
			printf("added and armed %s\n", r.name);
		}
	} else {
		status = set_armed(c, argv[i], strcmp(verb, "arm") == 0);
	}
	fr_ctl_close(c);
	return status;
}
