/*
 * Reading a control block for people and for tools: the per-rule counts
 * that exec prints, `ctl list`, and exec's JSON summary.
 */
#ifndef FAULTRUN_CTLREAD_H
#define FAULTRUN_CTLREAD_H

#include <faultrun/control.h>
#include "attach.h"

#include <stdint.h>
#include <stdio.h>

/*
 * One line per rule: name, state, spec, matched, injected (and bytes),
 * each line starting with prefix ("faultrun: " on stderr, "" for ctl list).
 */
void fr_ctl_print_counts(const struct fr_ctl *c, FILE *out, const char *prefix);

/* The events still in the ring, oldest first, one line each. */
void fr_ctl_print_events(const struct fr_ctl *c, FILE *out);

/*
 * exec's --json: command, status, seed, rules with counters, events, and
 * the processes the shim reached or that refused it (a; may be NULL).
 */
int fr_ctl_write_json(const struct fr_ctl *c, const struct fr_attach *a, const char *path,
		      char **cmd, int status, uint64_t duration_ns);

#endif /* FAULTRUN_CTLREAD_H */
