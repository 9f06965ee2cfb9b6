/*
 * Private helpers shared by the scenario loader and instantiation.
 */
#ifndef FAULTRUN_SCN_INTERNAL_H
#define FAULTRUN_SCN_INTERNAL_H

#include "scenario/scenario.h"

#include <stddef.h>

/* Write "FILE:LINE:COL: message" into err; returns -EINVAL. */
int fr_errorf(char *err, size_t errlen, struct fr_mark m, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Call fn on every string of the scenario that is present (raw != NULL),
 * stopping at the first non-zero return.
 */
typedef int (*fr_str_fn)(struct fr_scenario *s, struct fr_str *str, void *arg);
int fr_scenario_visit_strs(struct fr_scenario *s, fr_str_fn fn, void *arg);

#endif /* FAULTRUN_SCN_INTERNAL_H */
