/*
 * faultrun — a growable string buffer, with JSON and XML escaping, for
 * the reports (journal, JUnit, table). Allocation failure is fr_oom() (util/xalloc.h).
 */
#ifndef FAULTRUN_STRBUF_H
#define FAULTRUN_STRBUF_H

#include <stddef.h>

struct fr_buf {
	char *p; /* NUL-terminated, or NULL while empty */
	size_t len, cap;
};

void fr_buf_printf(struct fr_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void fr_buf_add(struct fr_buf *b, const char *s, size_t n);
void fr_buf_puts(struct fr_buf *b, const char *s);
/* A JSON string literal with quotes; NULL gives null. */
void fr_buf_json_str(struct fr_buf *b, const char *s);
/* A JSON number for seconds given in ns (microsecond precision). */
void fr_buf_json_secs(struct fr_buf *b, double ns);
/* XML-escaped text (for attributes and content). */
void fr_buf_xml(struct fr_buf *b, const char *s);
/* Hand over the string (caller frees) and reset b. Never NULL. */
char *fr_buf_take(struct fr_buf *b);
void fr_buf_free(struct fr_buf *b);

#endif /* FAULTRUN_STRBUF_H */
