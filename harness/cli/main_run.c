/*
 * faultrun-run: the scenario runner, started by faultrun (main.c) for
 *
 *	faultrun [run] SCENARIO...     run scenarios, judge them (cmd_run.c)
 *	faultrun check SCENARIO...     validate scenarios without running
 *	faultrun report JOURNAL --html FILE
 *	faultrun report --merge OUT IN...   join a sharded suite's reports (merge.c)
 *
 * with faultrun's argv unchanged, FAULTRUN_TARGETS already exported.
 */
#include "cli.h"
#include "io/launch.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	const char *cmd;

	/* before any library opens one of its own (io/launch.h) */
	fr_launch_note_fds();
	if (argc < 2) {
		fputs("usage: faultrun [run] SCENARIO.yml|DIR... (faultrun --help)\n", stderr);
		return 2;
	}
	cmd = argv[1];
	if (strcmp(cmd, "check") == 0)
		return fr_cmd_check(argc - 1, argv + 1);
	if (strcmp(cmd, "run") == 0)
		return fr_cmd_run(argc - 1, argv + 1);
	if (strcmp(cmd, "report") == 0)
		return fr_cmd_report(argc - 1, argv + 1);
	/* faultrun FILE... is faultrun run FILE... */
	return fr_cmd_run(argc, argv);
}
