/*
 * faultrun — allocation that cannot fail (xalloc.h).
 */
#define _GNU_SOURCE
#include "util/xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void fr_oom(void)
{
	/* no stdio: it may itself need memory */
	static const char msg[] = ": out of memory\n";
	const char *name = program_invocation_short_name;

	if (write(STDERR_FILENO, name, strlen(name)) < 0 ||
	    write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* nothing left to tell anyone */
	}
	abort();
}

void *fr_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		fr_oom();
	return p;
}

void *fr_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		fr_oom();
	return p;
}

void *fr_xreallocarray(void *p, size_t n, size_t size)
{
	void *q = reallocarray(p, n ? n : 1, size ? size : 1);

	if (!q)
		fr_oom();
	return q;
}

void *fr_xrealloc(void *p, size_t n)
{
	return fr_xreallocarray(p, n, 1);
}

char *fr_xstrdup(const char *s)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		fr_oom();
	return d;
}

char *fr_xstrndup(const char *s, size_t n)
{
	char *d;

	if (!s)
		return NULL;
	d = strndup(s, n);
	if (!d)
		fr_oom();
	return d;
}

char *fr_xvasprintf(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		fr_oom();
	return s;
}

char *fr_xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = fr_xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}
