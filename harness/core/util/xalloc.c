/*
 * faultrun — allocation that cannot fail (xalloc.h).
 */
#define _GNU_SOURCE
#include "util/xalloc.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Append s to buf at *off, cut to fit. */
static void put(char *buf, size_t len, size_t *off, const char *s)
{
	while (*s && *off + 1 < len)
		buf[(*off)++] = *s++;
	buf[*off] = '\0';
}

/* Append v in decimal: no stdio, which may itself need memory. */
static void put_num(char *buf, size_t len, size_t *off, size_t v)
{
	char d[24];
	size_t i = sizeof(d) - 1;

	d[i] = '\0';
	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(buf, len, off, d + i);
}

/*
 * "PROGRAM: out of memory (allocating N bytes)" (or "N x SIZE bytes" for
 * an array, nothing when the size is unknown), then exit 3. _exit, not
 * exit or abort: exit's handlers and stdio may need the memory there is
 * none of, and this may run in a child between fork and exec; abort would
 * dump core and end with a signal, where faultrun's documented status for
 * "the run could not happen" is 3.
 */
static __attribute__((noreturn)) void oom(size_t n, size_t size, bool known)
{
	char msg[160];
	size_t off = 0;

	put(msg, sizeof(msg), &off, program_invocation_short_name);
	put(msg, sizeof(msg), &off, ": out of memory");
	if (known) {
		put(msg, sizeof(msg), &off, " (allocating ");
		put_num(msg, sizeof(msg), &off, n);
		if (size != 1) {
			put(msg, sizeof(msg), &off, " x ");
			put_num(msg, sizeof(msg), &off, size);
		}
		put(msg, sizeof(msg), &off, " bytes)");
	}
	put(msg, sizeof(msg), &off, "\n");
	if (write(STDERR_FILENO, msg, off) < 0) {
		/* nothing left to tell anyone */
	}
	_exit(FR_EXIT_OOM);
}

void fr_oom(void)
{
	oom(0, 0, false);
}

void *fr_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom(n, 1, true);
	return p;
}

void *fr_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		oom(n, size, true);
	return p;
}

void *fr_xreallocarray(void *p, size_t n, size_t size)
{
	void *q = reallocarray(p, n ? n : 1, size ? size : 1);

	if (!q)
		oom(n, size, true);
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
		oom(strlen(s) + 1, 1, true);
	return d;
}

char *fr_xstrndup(const char *s, size_t n)
{
	char *d;

	if (!s)
		return NULL;
	d = strndup(s, n);
	if (!d)
		oom(strnlen(s, n) + 1, 1, true);
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
