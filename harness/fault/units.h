/* Numbers as SPECs write them (units.c). */
#ifndef FAULTRUN_UNITS_H
#define FAULTRUN_UNITS_H

/*
 * A non-negative decimal number with an optional fraction ("0x10", "nan",
 * "inf" refused); *end is where it stops. 0 or -EINVAL.
 */
int fr_parse_number(const char *s, double *out, const char **end);

#endif /* FAULTRUN_UNITS_H */
