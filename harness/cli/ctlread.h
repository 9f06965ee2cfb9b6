/*
 * Reading a control block for people and for tools: the per-rule counts
 * that exec prints, `ctl list`, and exec's JSON summary.
 */
#ifndef FAULTRUN_CTLREAD_H
#define FAULTRUN_CTLREAD_H

#include <faultrun/control.h>
#include "attach.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/*
 * One line per rule: name, state, spec, matched, injected (and bytes),
 * each line starting with prefix ("faultrun: " on stderr, "" for ctl list).
 */
void fr_ctl_print_counts(const struct fr_ctl *c, FILE *out, const char *prefix);

/*
 * "python3 (pid 42) set up an io_uring: I/O through it bypasses faultrun;
 * add 'io_uring errno=ENOSYS' to make it fall back", when a process of the
 * run set up a ring while a file or socket rule exists (uring_note.h).
 */
void fr_ctl_print_uring(const struct fr_ctl *c, FILE *out, const char *prefix);

/* The events still in the ring, oldest first, one line each. */
void fr_ctl_print_events(const struct fr_ctl *c, FILE *out);

/*
 * The events from number `from` on that are still in the ring, one line
 * each (json: one JSON object a line); returns the number to go on from.
 * Events overwritten before they were read, or torn, are counted in *lost
 * (when not NULL). wait: stop at an event the shim is still writing, to
 * read it next time (ctl events --follow).
 */
uint64_t fr_ctl_print_events_from(const struct fr_ctl *c, uint64_t from, FILE *out, bool json,
				  bool wait, uint64_t *lost);

/* What exec knows of its run, for its --json journal. */
struct fr_exec_record {
	const char *version; /* faultrun's */
	char **cmd;
	int pid;	      /* the command's */
	int command_status;   /* as the shell would report it */
	int status;	      /* faultrun exec's own exit status */
	uint64_t started_ns;  /* CLOCK_MONOTONIC when the command started */
	uint64_t duration_ns; /* until it exited */
	double started_wall;  /* epoch seconds of the start */
	bool paused, may_not_fire;
	unsigned left; /* processes that outlived the command under the shim (exec_left.c) */
	const struct fr_attach *attach;
	/*
	 * Another backend than the shim (docs/seccomp.md): its state, and why
	 * a rule of slot `slot` never fired under it. NULL: the shim's
	 * fr_attach_explain.
	 */
	const void *backend;
	void (*explain)(const void *backend, const struct fr_ctl *c, unsigned slot,
			const struct fr_attach *a, char *buf, size_t len);
};

/*
 * exec's --json: a faultrun journal (docs/journal.md) with the run as its
 * one scenario, so `faultrun report` draws it, plus exec's own summary at
 * the top level (command, exit_status, seed, rules with counters, events,
 * processes). Written atomically. Returns 0 or -errno.
 */
int fr_exec_write_json(const struct fr_ctl *c, const struct fr_exec_record *x, const char *path);

#endif /* FAULTRUN_CTLREAD_H */
