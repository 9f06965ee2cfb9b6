/*
 * faultrun: replay production incidents against a real service.
 *
 *	faultrun [run] SCENARIO...     run scenarios, judge them (cmd_run.c)
 *	faultrun check SCENARIO...     validate scenarios without running
 *	faultrun exec -f SPEC -- CMD   run one program under the shim
 *	faultrun ctl [list|arm|disarm|add|events]   steer a running exec/run
 *	faultrun report JOURNAL --html FILE
 */
#include "cli.h"
#include "io/launch.h"
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *out)
{
	fputs("usage: faultrun [run] SCENARIO.yml|DIR... [--set K=V] [--junit FILE] [--json FILE]\n"
	      "                [--html FILE] [-j N] [--keep] [-q|-v]\n"
	      "       faultrun check SCENARIO.yml...\n"
	      "       faultrun exec [-f SPEC]... [--paused] [--seed N] [--json FILE] [-q] -- CMD [ARGS]\n"
	      "       faultrun ctl [--run PID|DIR] [list | events | arm NAME | disarm NAME | add SPEC]\n"
	      "       faultrun report JOURNAL.json --html FILE\n"
	      "\n"
	      "exit status: 0 all assertions held (exec: the command's status), 1 an assertion\n"
	      "failed, 2 bad input, 3 the run could not happen\n"
	      "docs: docs/scenario-format.md, docs/faults.md, docs/limitations.md\n",
	      out);
}

/*
 * Scenarios name the incident targets as ${env.FAULTRUN_TARGETS}/NAME.
 * Unless the caller set it: the build tree's scenarios/targets when this
 * faultrun is <build>/harness/cli/faultrun, else the installed directory.
 */
static void export_targets_dir(void)
{
	char exe[PATH_MAX], dir[PATH_MAX + 32], *slash;
	const char *found = FR_TARGETS_DIR;
	ssize_t n;

	if (getenv("FAULTRUN_TARGETS"))
		return;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			snprintf(dir, sizeof(dir), "%s/../../scenarios/targets", exe);
			if (access(dir, X_OK) == 0 && realpath(dir, exe))
				found = exe;
		}
	}
	setenv("FAULTRUN_TARGETS", found, 0);
}

int main(int argc, char **argv)
{
	/* before any library opens one of its own (io/launch.h) */
	fr_launch_note_fds();
	export_targets_dir();
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "--version") == 0) {
		printf("faultrun %s\n", FR_VERSION);
		return 0;
	}
	if (strcmp(cmd, "exec") == 0)
		return fr_cmd_exec(argc - 1, argv + 1);
	if (strcmp(cmd, "ctl") == 0)
		return fr_cmd_ctl(argc - 1, argv + 1);
	if (strcmp(cmd, "check") == 0)
		return fr_cmd_check(argc - 1, argv + 1);
	if (strcmp(cmd, "run") == 0)
		return fr_cmd_run(argc - 1, argv + 1);
	if (strcmp(cmd, "report") == 0)
		return fr_cmd_report(argc - 1, argv + 1);
	/* faultrun FILE... is faultrun run FILE... */
	return fr_cmd_run(argc, argv);
}
