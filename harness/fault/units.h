/* Numbers as SPECs write them (units.c), and the connection fields (rule_close.c). */
#ifndef FAULTRUN_UNITS_H
#define FAULTRUN_UNITS_H

#include <stddef.h>

/*
 * A non-negative decimal number with an optional fraction ("0x10", "nan",
 * "inf" refused); *end is where it stops. 0 or -EINVAL.
 */
int fr_parse_number(const char *s, double *out, const char **end);

/*
 * rule_close.c: close-after=, then= and per= (1 when key is none of them),
 * and their checks once the rule is whole (0 or -EINVAL).
 */
struct fr_rule;
int fr_rule_set_close(struct fr_rule *r, const char *key, const char *value, char *err,
		      size_t errlen);
int fr_rule_finish_close(struct fr_rule *r, char *err, size_t errlen);

#endif /* FAULTRUN_UNITS_H */
