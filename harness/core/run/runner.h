/*
 * faultrun — running one scenario: run directory and control block,
 * services, the target under the shim, readiness, the timeline with probes
 * and load sampling throughout, and teardown that always runs. The result
 * is a recording (record/recording.h); assertions and reports are
 * computed from it by the caller.
 */
#ifndef FAULTRUN_RUNNER_H
#define FAULTRUN_RUNNER_H

#include "record/recording.h"
#include "scenario/scenario.h"

#include <stdbool.h>
#include <stdio.h>

struct fr_run_opts {
	bool keep;	/* keep the run directory */
	int verbosity;	/* 0 quiet, 1 normal, 2 verbose (target output) */
	bool tty;	/* draw a live status line on `progress` */
	FILE *progress; /* where progress goes (stderr); NULL: nowhere */
	int signal_fd;	/* a signalfd for SIGINT/SIGTERM/SIGHUP, or -1 */
};

/*
 * Run one scenario to the end and fill rec with its recording (free with
 * fr_record_finish; the assertions are not evaluated yet, see
 * fr_record_evaluate). Returns 0 when the run produced a recording
 * (whatever the verdict), or -EINTR when a signal arrived (the recording
 * is still filled).
 */
int fr_run_scenario(struct fr_scenario *s, const struct fr_run_opts *o, struct fr_record *rec);

#endif /* FAULTRUN_RUNNER_H */
