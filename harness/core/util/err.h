/*
 * faultrun — how library code reports an error. A function that can fail
 * returns 0 or -errno (or NULL) and, when the caller passed a buffer,
 * writes one line into it: what failed and why, without the program's
 * name. Only harness/cli prefixes a message with "faultrun:" and prints it.
 */
#ifndef FAULTRUN_UTIL_ERR_H
#define FAULTRUN_UTIL_ERR_H

#include <stdarg.h>
#include <stddef.h>

/* Format into err[errlen] (truncating); a NULL or empty buffer is ignored. */
void fr_set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void fr_vset_err(char *err, size_t errlen, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

#endif /* FAULTRUN_UTIL_ERR_H */
