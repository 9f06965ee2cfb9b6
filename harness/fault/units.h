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

/*
 * rule_shape.c: jitter=, seed=, slice= and rate= (1 when key is none of
 * them), their checks once the rule is whole (0 or -EINVAL), and the seed
 * a rule that draws gets from its SPEC line when it has none.
 */
int fr_rule_set_shape(struct fr_rule *r, const char *key, const char *value, char *err,
		      size_t errlen);
int fr_rule_finish_shape(struct fr_rule *r, char *err, size_t errlen);
void fr_rule_default_seed(struct fr_rule *r);

/*
 * rule_shape.c: the datagram actions' bare words (drop, duplicate,
 * reorder), and distribution= / correlation= written back (" distribution=normal
 * correlation=25%", "" when neither is set) into out.
 */
int fr_rule_dgram_word(const char *word);
void fr_rule_format_dist(const struct fr_rule *r, char *out, size_t len);

/* Write a one-line message into err (when given) and return -EINVAL. */
int fr_fail(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif /* FAULTRUN_UNITS_H */
