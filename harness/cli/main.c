/*
 * faultrun: replay production incidents against a real service.
 *
 *	faultrun [run] SCENARIO...     run scenarios, judge them (cmd_run.c)
 *	faultrun check SCENARIO...     validate scenarios without running
 *	faultrun exec -f SPEC -- CMD   run one program under the shim
 *	faultrun ctl [list|arm|disarm|add|events]   steer a running exec/run
 *	faultrun report JOURNAL --html FILE
 *	faultrun help [TOPIC]          the usage, or a manual page (cmd_help.c)
 *
 * exec and ctl run here; run, check and report are the scenario runner's
 * (main_run.c, a program of its own that this one execs), which links the
 * client libraries exec and ctl have no use for (meson.build).
 */
#include "cli.h"
#include "io/launch.h"
#include "util/fsutil.h"
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *out)
{
	fputs("usage: faultrun [run] SCENARIO.yml|DIR... [--set K=V] [--junit FILE] [--json FILE]\n"
	      "                [--html FILE] [-j N] [--keep] [-q|-v] [--shard I/N] [--list]\n"
	      "       faultrun check SCENARIO.yml...\n"
	      "       faultrun exec [-f SPEC]... [--paused] [--seed N] [--json FILE] [-q] -- CMD [ARGS]\n"
	      "       faultrun ctl [--run PID|DIR] [list | events | arm NAME | disarm NAME | add SPEC]\n"
	      "       faultrun report JOURNAL.json --html FILE\n"
	      "       faultrun report --merge OUT JUNIT.xml...|JOURNAL.json...\n"
	      "       faultrun help [exec | ctl | scenario | faults]\n"
	      "       faultrun --version\n"
	      "\n"
	      "exit status: 0 all assertions held (exec: the command's status), 1 an assertion\n"
	      "failed, 2 bad input, 3 the run could not happen\n"
	      "see faultrun(1), faultrun-exec(1), faultrun-ctl(1), faultrun-scenario(5),\n"
	      "faultrun-faults(7), and " FR_DOCDIR "\n",
	      out);
}

/*
 * Scenarios name the incident targets as ${env.FAULTRUN_TARGETS}/NAME.
 * Unless the caller set it: the build tree's scenarios/targets when this
 * faultrun is <build>/harness/cli/faultrun, else the installed directory.
 */
static void export_targets_dir(void)
{
	char exe[PATH_MAX], dir[PATH_MAX + 32];
	const char *found = FR_TARGETS_DIR;

	if (getenv("FAULTRUN_TARGETS"))
		return;
	if (fr_self_dir(exe, sizeof(exe)) == 0) {
		snprintf(dir, sizeof(dir), "%s/../../scenarios/targets", exe);
		if (access(dir, X_OK) == 0 && realpath(dir, exe))
			found = exe;
	}
	setenv("FAULTRUN_TARGETS", found, 0);
}

/*
 * The runner: beside this program in the build tree (and wherever both
 * were copied together), else where it is installed. $FAULTRUN_RUNNER
 * overrides both.
 */
static const char *runner_path(char *buf, size_t len)
{
	const char *env = getenv("FAULTRUN_RUNNER");
	char exe[PATH_MAX];

	if (env && *env)
		return env;
	if (fr_self_dir(exe, sizeof(exe)) == 0 &&
	    snprintf(buf, len, "%s/faultrun-run", exe) < (int)len && access(buf, X_OK) == 0)
		return buf;
	return FR_RUNNER_PATH;
}

/*
 * Become the runner: the same process (its pid, its descriptors, its
 * place in the caller's job), argv as given. Returns only on failure.
 */
static int exec_runner(char **argv)
{
	char buf[PATH_MAX + 16];
	const char *path = runner_path(buf, sizeof(buf));

	execv(path, argv);
	int err = errno;
	const char *env = getenv("FAULTRUN_RUNNER");
	char self[PATH_MAX];

	fprintf(stderr, "faultrun: cannot start the scenario runner %s: %s\n", path, strerror(err));
	/* every place runner_path() looked at, when it fell through to the last */
	if (strcmp(path, FR_RUNNER_PATH) == 0 && !(env && *env) &&
	    fr_self_dir(self, sizeof(self)) == 0)
		fprintf(stderr,
			"faultrun: looked at $FAULTRUN_RUNNER (not set), %s/faultrun-run "
			"(beside faultrun) and %s (installed)\n",
			self, FR_RUNNER_PATH);
	return 3;
}

int main(int argc, char **argv)
{
	/* before any library opens one of its own (io/launch.h) */
	fr_launch_note_fds();
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
		printf("faultrun %s\n", FR_VERSION);
		return 0;
	}
	/* not a scenario file named "help" (cmd_help.c) */
	if (strcmp(cmd, "help") == 0) {
		if (argc < 3) {
			usage(stdout);
			return 0;
		}
		return fr_cmd_help(argv[2]);
	}
	if (strcmp(cmd, "exec") == 0)
		return fr_cmd_exec(argc - 1, argv + 1);
	if (strcmp(cmd, "ctl") == 0)
		return fr_cmd_ctl(argc - 1, argv + 1);
	/* run, check, report, and faultrun FILE... (faultrun run FILE...) */
	export_targets_dir();
	return exec_runner(argv);
}
