/*
 * libfaultrun by example (docs/exec-and-ctl.md shows this file):
 *
 *     ctl-example PID RULE
 *
 * attaches to the run of PID (faultrun exec's pid, or a process inside
 * the run), arms RULE, prints every rule with its counters, and
 * detaches. Build: cc ctl-example.c $(pkg-config --cflags --libs faultrun)
 */
#include <faultrun/faultrun.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	struct fr_run *run;
	struct fr_run_rule rules[64];
	int n, ret;

	if (argc != 3) {
		fprintf(stderr, "usage: %s PID RULE\n", argv[0]);
		return 2;
	}
	ret = fr_run_attach_pid((pid_t)atoi(argv[1]), &run);
	if (ret < 0) {
		fprintf(stderr, "attach %s: %s\n", argv[1], strerror(-ret));
		return 1;
	}
	ret = fr_run_arm(run, argv[2]);
	if (ret < 0)
		fprintf(stderr, "arm %s: %s\n", argv[2], strerror(-ret));
	n = fr_run_rules(run, rules, 64);
	for (int i = 0; i < n && i < 64; i++)
		printf("%s %s matched=%" PRIu64 " injected=%" PRIu64 " [%s]\n", rules[i].name,
		       rules[i].armed ? "armed" : "disarmed", rules[i].matched, rules[i].injected,
		       rules[i].spec);
	fr_run_detach(run);
	return ret < 0 ? 1 : 0;
}
