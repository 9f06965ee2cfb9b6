/*
 * The io_uring rings of a run, for faultrun's summaries (uring_note.c):
 * a ring's I/O bypasses every file and socket rule.
 */
#ifndef FAULTRUN_FAULT_URING_NOTE_H
#define FAULTRUN_FAULT_URING_NOTE_H

#include <faultrun/control.h>

#include <stdbool.h>
#include <stddef.h>

/* Whether a ring's I/O escapes rule r (it has a file or socket operation). */
bool fr_uring_bypasses(const struct fr_rule *r);

/* Whether c holds a rule a ring's I/O escapes. */
bool fr_uring_bypass_rules(const struct fr_ctl *c);

/*
 * "python3 (pid 42) set up an io_uring: I/O through it bypasses faultrun;
 * add 'io_uring errno=ENOSYS' to make it fall back" into buf[len], and
 * true, when a process of the run set up a ring while c holds a rule it
 * escapes; false (buf empty) otherwise.
 */
bool fr_uring_note(const struct fr_ctl *c, char *buf, size_t len);

/*
 * Append to a "never fired" explanation of slot idx (buf, NUL-terminated)
 * that the run set up rings, when the rule is one their I/O escapes.
 */
void fr_uring_explain(const struct fr_ctl *c, unsigned idx, char *buf, size_t len);

#endif /* FAULTRUN_FAULT_URING_NOTE_H */
