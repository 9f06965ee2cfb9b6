/*
 * faultrun — error messages from library code (err.h).
 */
#include "util/err.h"

#include <stdio.h>

void fr_vset_err(char *err, size_t errlen, const char *fmt, va_list ap)
{
	if (!err || !errlen)
		return;
	vsnprintf(err, errlen, fmt, ap);
}

void fr_set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fr_vset_err(err, errlen, fmt, ap);
	va_end(ap);
}
