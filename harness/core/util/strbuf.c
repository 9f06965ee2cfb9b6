/*
 * The reports' string buffer. See strbuf.h.
 */
#define _GNU_SOURCE
#include "util/strbuf.h"
#include "util/xalloc.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void grow(struct fr_buf *b, size_t need)
{
	if (b->len + need + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + need + 1)
		cap *= 2;
	b->p = fr_xrealloc(b->p, cap);
	b->cap = cap;
}

void fr_buf_add(struct fr_buf *b, const char *s, size_t n)
{
	grow(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

void fr_buf_puts(struct fr_buf *b, const char *s)
{
	fr_buf_add(b, s, strlen(s));
}

void fr_buf_printf(struct fr_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/*
 * The length of the valid UTF-8 sequence at p (RFC 3629: no overlong
 * forms, no surrogates, nothing past U+10FFFF), or 0 when p does not
 * start one. Target output and other foreign bytes are copied only as
 * whole valid sequences, so a journal is always valid JSON and a JUnit
 * file well-formed XML.
 */
static size_t utf8_len(const unsigned char *p)
{
	unsigned c = p[0], n, min;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, min = 0x10000;
	else
		return 0;
	unsigned cp = c & (0x7f >> n);
	for (unsigned i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* U+FFFD REPLACEMENT CHARACTER, for a byte that starts no valid sequence */
static const char replacement[] = "\xef\xbf\xbd";

void fr_buf_json_str(struct fr_buf *b, const char *s)
{
	if (!s) {
		fr_buf_puts(b, "null");
		return;
	}
	fr_buf_add(b, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fr_buf_add(b, "\\\"", 2);
			break;
		case '\\':
			fr_buf_add(b, "\\\\", 2);
			break;
		case '\n':
			fr_buf_add(b, "\\n", 2);
			break;
		case '\r':
			fr_buf_add(b, "\\r", 2);
			break;
		case '\t':
			fr_buf_add(b, "\\t", 2);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f) {
				fr_buf_printf(b, "\\u%04x", *p);
			} else {
				size_t n = utf8_len(p);

				if (n)
					fr_buf_add(b, (const char *)p, n);
				else
					fr_buf_add(b, replacement, 3);
				p += n ? n - 1 : 0;
			}
		}
	}
	fr_buf_add(b, "\"", 1);
}

void fr_buf_json_secs(struct fr_buf *b, double ns)
{
	if (isnan(ns) || isinf(ns)) {
		fr_buf_puts(b, "null");
		return;
	}
	char tmp[48];
	snprintf(tmp, sizeof(tmp), "%.6f", ns / 1e9);
	/* trim trailing zeros: 2.000000 -> 2.0 */
	char *dot = strchr(tmp, '.');
	if (dot) {
		char *e = tmp + strlen(tmp) - 1;
		while (e > dot + 1 && *e == '0')
			*e-- = 0;
	}
	if (strcmp(tmp, "-0.0") == 0)
		strcpy(tmp, "0.0");
	fr_buf_puts(b, tmp);
}

void fr_buf_xml(struct fr_buf *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
		switch (*p) {
		case '<':
			fr_buf_puts(b, "&lt;");
			break;
		case '>':
			fr_buf_puts(b, "&gt;");
			break;
		case '&':
			fr_buf_puts(b, "&amp;");
			break;
		case '"':
			fr_buf_puts(b, "&quot;");
			break;
		case '\'':
			fr_buf_puts(b, "&apos;");
			break;
		default:
			/* XML 1.0 forbids most control characters, and U+FFFE/U+FFFF */
			if (*p < 0x20 && *p != '\n' && *p != '\t' && *p != '\r') {
				fr_buf_puts(b, "?");
			} else {
				size_t n = utf8_len(p);

				if (n == 3 && p[0] == 0xef && p[1] == 0xbf && p[2] >= 0xbe)
					fr_buf_puts(b, "?");
				else if (n)
					fr_buf_add(b, (const char *)p, n);
				else
					fr_buf_add(b, replacement, 3);
				p += n ? n - 1 : 0;
			}
		}
	}
}

char *fr_buf_take(struct fr_buf *b)
{
	char *p = b->p;

	if (!p)
		p = fr_xstrdup("");
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

void fr_buf_free(struct fr_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}
