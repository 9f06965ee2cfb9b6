/*
 * faultrun — allocation that cannot fail. faultrun has one policy for
 * running out of memory: say so on stderr, naming the program and the
 * size it asked for ("faultrun: out of memory (allocating 4096 bytes)"),
 * and exit with status 3, "the run could not happen" (a half-built
 * recording or report is worse than none). Every allocation in
 * harness/core and harness/cli goes through these; the shim never
 * allocates on its decision path and does not use them.
 */
#ifndef FAULTRUN_UTIL_XALLOC_H
#define FAULTRUN_UTIL_XALLOC_H

#include <stdarg.h>
#include <stddef.h>

/* faultrun's exit status when it runs out of memory */
#define FR_EXIT_OOM 3

/*
 * Print "<program>: out of memory" and exit FR_EXIT_OOM (the x-functions
 * add "(allocating N bytes)").
 */
__attribute__((noreturn)) void fr_oom(void);

void *fr_xmalloc(size_t n);
void *fr_xcalloc(size_t n, size_t size);
/* realloc to n * size bytes, the product checked for overflow */
void *fr_xreallocarray(void *p, size_t n, size_t size);
void *fr_xrealloc(void *p, size_t n);
/* NULL stays NULL */
char *fr_xstrdup(const char *s);
char *fr_xstrndup(const char *s, size_t n);
char *fr_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *fr_xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

#endif /* FAULTRUN_UTIL_XALLOC_H */
