/*
 * faultrun — a small JSON reader: a strict RFC 8259 parser into a flat
 * token index (see json.h). Used by `faultrun report` to read run
 * journals; kept general so tests and other readers can use it.
 */
#define _GNU_SOURCE
#include "util/json.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DEPTH 256
#define MAX_N ((1u << 28) - 1)

struct parser {
	struct fr_json *js;
	const char *p;	 /* the next byte */
	const char *end; /* text + len */
	struct fr_json_err *err;
	const char *err_at;
	int depth;
};

/* Record the first error: where (a byte position) and why. */
static int fail(struct parser *ps, const char *at, const char *msg)
{
	if (!ps->err_at) {
		ps->err_at = at;
		if (ps->err)
			snprintf(ps->err->msg, sizeof(ps->err->msg), "%s", msg);
	}
	return -EINVAL;
}

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end &&
	       (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

/* Append a token; its index is returned through *idx. */
static int push(struct parser *ps, enum fr_json_type type, const char *start, uint32_t *idx)
{
	struct fr_json *js = ps->js;

	if (js->ntok >= UINT32_MAX - 1)
		return -EFBIG;
	if (js->ntok == js->cap) {
		size_t cap = js->cap ? js->cap * 2 : 256;
		struct fr_json_tok *t = realloc(js->tok, cap * sizeof(*t));

		if (!t)
			return -ENOMEM;
		js->tok = t;
		js->cap = cap;
	}
	struct fr_json_tok *t = &js->tok[js->ntok];

	memset(t, 0, sizeof(*t));
	t->type = type;
	t->start = (uint32_t)(start - js->text);
	*idx = (uint32_t)js->ntok++;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A string token: checks escapes and control characters, decodes nothing. */
static int parse_string(struct parser *ps)
{
	const char *open = ps->p++;
	uint32_t idx;
	int r = push(ps, FR_JSON_STRING, ps->p, &idx);

	if (r)
		return r;
	while (ps->p < ps->end) {
		unsigned char c = (unsigned char)*ps->p;

		if (c == '"') {
			struct fr_json_tok *t = &ps->js->tok[idx];

			t->len = (uint32_t)(ps->p - ps->js->text) - t->start;
			t->next = idx + 1;
			ps->p++;
			return 0;
		}
		if (c < 0x20)
			return fail(ps, ps->p,
				    c == '\n' ? "newline inside a string (missing '\"'?)" :
						"control character inside a string");
		if (c == '\\') {
			const char *esc = ps->p++;

			if (ps->p >= ps->end)
				break;
			switch (*ps->p) {
			case '"':
			case '\\':
			case '/':
			case 'b':
			case 'f':
			case 'n':
			case 'r':
			case 't':
				ps->p++;
				continue;
			case 'u':
				for (int i = 1; i <= 4; i++)
					if (ps->p + i >= ps->end || hexval(ps->p[i]) < 0)
						return fail(
							ps, esc,
							"bad \\u escape (4 hex digits expected)");
				ps->p += 5;
				continue;
			default:
				return fail(ps, esc, "bad escape in a string");
			}
		}
		ps->p++;
	}
	return fail(ps, open, "unterminated string");
}

static bool digit(const char *p, const char *end)
{
	return p < end && *p >= '0' && *p <= '9';
}

static int parse_number(struct parser *ps)
{
	const char *s = ps->p, *p = ps->p;
	uint32_t idx;

	if (*p == '-')
		p++;
	if (!digit(p, ps->end))
		return fail(ps, s, "bad number");
	if (*p == '0') {
		p++;
		if (digit(p, ps->end))
			return fail(ps, s, "bad number (leading zero)");
	} else {
		while (digit(p, ps->end))
			p++;
	}
	if (p < ps->end && *p == '.') {
		p++;
		if (!digit(p, ps->end))
			return fail(ps, s, "bad number (digits expected after '.')");
		while (digit(p, ps->end))
			p++;
	}
	if (p < ps->end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < ps->end && (*p == '+' || *p == '-'))
			p++;
		if (!digit(p, ps->end))
			return fail(ps, s, "bad number (digits expected in the exponent)");
		while (digit(p, ps->end))
			p++;
	}
	int r = push(ps, FR_JSON_NUMBER, s, &idx);

	if (r)
		return r;
	ps->js->tok[idx].len = (uint32_t)(p - s);
	ps->js->tok[idx].next = idx + 1;
	ps->p = p;
	return 0;
}

static int parse_literal(struct parser *ps, const char *word, enum fr_json_type type)
{
	size_t n = strlen(word);
	uint32_t idx;

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
		return fail(ps, ps->p, "unexpected character (a value was expected)");
	int r = push(ps, type, ps->p, &idx);

	if (r)
		return r;
	ps->js->tok[idx].len = (uint32_t)n;
	ps->js->tok[idx].next = idx + 1;
	ps->p += n;
	return 0;
}

static int parse_value(struct parser *ps);

/* An array or object: '[' or '{' at ps->p. */
static int parse_container(struct parser *ps, bool object)
{
	const char *open = ps->p;
	uint32_t idx, n = 0;
	int r;

	if (++ps->depth > MAX_DEPTH)
		return fail(ps, open, "nested too deeply");
	r = push(ps, object ? FR_JSON_OBJECT : FR_JSON_ARRAY, open, &idx);
	if (r)
		return r;
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == (object ? '}' : ']')) {
		ps->p++;
		goto done;
	}
	for (;;) {
		skip_ws(ps);
		if (object) {
			if (ps->p >= ps->end)
				return fail(ps, open, "unterminated object (missing '}')");
			if (*ps->p != '"')
				return fail(ps, ps->p,
					    *ps->p == '}' ? "trailing ',' in an object" :
							    "expected a string (a member's name)");
			r = parse_string(ps);
			if (r)
				return r;
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != ':')
				return fail(ps, ps->p, "expected ':' after a member's name");
			ps->p++;
			skip_ws(ps);
		} else if (ps->p < ps->end && *ps->p == ']') {
			return fail(ps, ps->p, "trailing ',' in an array");
		}
		r = parse_value(ps);
		if (r)
			return r;
		if (++n > MAX_N)
			return -EFBIG;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == (object ? '}' : ']')) {
			ps->p++;
			break;
		}
		if (ps->p >= ps->end)
			return fail(ps, open,
				    object ? "unterminated object (missing '}')" :
					     "unterminated array (missing ']')");
		return fail(ps, ps->p, object ? "expected ',' or '}'" : "expected ',' or ']'");
	}
done:
	ps->depth--;
	struct fr_json_tok *t = &ps->js->tok[idx];

	t->n = n;
	t->len = (uint32_t)(ps->p - open);
	t->next = (uint32_t)ps->js->ntok;
	return 0;
}

static int parse_value(struct parser *ps)
{
	skip_ws(ps);
	if (ps->p >= ps->end)
		return fail(ps, ps->p, "unexpected end of the document (a value was expected)");
	switch (*ps->p) {
	case '{':
		return parse_container(ps, true);
	case '[':
		return parse_container(ps, false);
	case '"':
		return parse_string(ps);
	case 't':
		return parse_literal(ps, "true", FR_JSON_TRUE);
	case 'f':
		return parse_literal(ps, "false", FR_JSON_FALSE);
	case 'n':
		return parse_literal(ps, "null", FR_JSON_NULL);
	default:
		if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
			return parse_number(ps);
		return fail(ps, ps->p, "unexpected character (a value was expected)");
	}
}

int fr_json_parse(struct fr_json *js, const char *text, size_t len, struct fr_json_err *err)
{
	struct parser ps = { .js = js, .p = text, .end = text + len, .err = err };
	int r;

	memset(js, 0, sizeof(*js));
	if (err)
		memset(err, 0, sizeof(*err));
	if (len >= UINT32_MAX)
		return -EFBIG;
	js->text = text;
	js->len = len;
	/* tolerate a UTF-8 byte order mark */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		ps.p += 3;
	skip_ws(&ps);
	if (ps.p >= ps.end) {
		r = fail(&ps, ps.p, "empty document");
		goto out;
	}
	r = parse_value(&ps);
	if (!r) {
		skip_ws(&ps);
		if (ps.p < ps.end)
			r = fail(&ps, ps.p, "unexpected text after the document");
	}
out:
	if (r && ps.err_at && err) {
		err->line = 1;
		err->col = 1;
		for (const char *q = text; q < ps.err_at; q++) {
			if (*q == '\n') {
				err->line++;
				err->col = 1;
			} else {
				err->col++;
			}
		}
	}
	if (r)
		fr_json_finish(js);
	return r;
}

void fr_json_finish(struct fr_json *js)
{
	free(js->tok);
	js->tok = NULL;
	js->ntok = js->cap = 0;
}

int fr_json_read_fd(int fd, char **text, size_t *len)
{
	size_t cap = 0, n = 0;
	char *buf = NULL;
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	/* the size is a hint: pipes and /proc files say 0 */
	cap = st.st_size > 0 ? (size_t)st.st_size + 1 : 65536;
	for (;;) {
		if (n + 1 >= cap || !buf) {
			size_t ncap = buf ? cap * 2 : cap;
			char *nb;

			if (n >= FR_JSON_MAX_FILE) {
				free(buf);
				return -EFBIG;
			}
			nb = realloc(buf, ncap);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			cap = ncap;
		}
		ssize_t got = read(fd, buf + n, cap - n - 1);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			int r = -errno;
			free(buf);
			return r;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
}

int fr_json_read_file(const char *path, char **text, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	r = fr_json_read_fd(fd, text, len);
	close(fd);
	return r;
}

static const struct fr_json_tok *tok(const struct fr_json *js, fr_jv v)
{
	return (js && v < js->ntok) ? &js->tok[v] : NULL;
}

enum fr_json_type fr_json_type(const struct fr_json *js, fr_jv v)
{
	const struct fr_json_tok *t = tok(js, v);

	return t ? (enum fr_json_type)t->type : FR_JSON_NONE;
}

fr_jv fr_json_first_key(const struct fr_json *js, fr_jv obj)
{
	const struct fr_json_tok *t = tok(js, obj);

	return (t && t->type == FR_JSON_OBJECT && t->n) ? obj + 1 : FR_JV_NONE;
}

fr_jv fr_json_next_key(const struct fr_json *js, fr_jv obj, fr_jv key)
{
	const struct fr_json_tok *o = tok(js, obj), *v = tok(js, key + 1);

	if (!o || !v || o->type != FR_JSON_OBJECT || key == FR_JV_NONE)
		return FR_JV_NONE;
	return v->next < o->next ? v->next : FR_JV_NONE;
}

fr_jv fr_json_get(const struct fr_json *js, fr_jv obj, const char *key)
{
	for (fr_jv k = fr_json_first_key(js, obj); k != FR_JV_NONE;
	     k = fr_json_next_key(js, obj, k))
		if (fr_json_streq(js, k, key))
			return k + 1;
	return FR_JV_NONE;
}

size_t fr_json_len(const struct fr_json *js, fr_jv v)
{
	const struct fr_json_tok *t = tok(js, v);

	return (t && (t->type == FR_JSON_ARRAY || t->type == FR_JSON_OBJECT)) ? t->n : 0;
}

fr_jv fr_json_first(const struct fr_json *js, fr_jv arr)
{
	const struct fr_json_tok *t = tok(js, arr);

	return (t && t->type == FR_JSON_ARRAY && t->n) ? arr + 1 : FR_JV_NONE;
}

fr_jv fr_json_next(const struct fr_json *js, fr_jv arr, fr_jv item)
{
	const struct fr_json_tok *a = tok(js, arr), *i = tok(js, item);

	if (!a || !i || a->type != FR_JSON_ARRAY || item <= arr)
		return FR_JV_NONE;
	return i->next < a->next ? i->next : FR_JV_NONE;
}

fr_jv fr_json_at(const struct fr_json *js, fr_jv arr, size_t i)
{
	fr_jv v = fr_json_first(js, arr);

	while (v != FR_JV_NONE && i--)
		v = fr_json_next(js, arr, v);
	return v;
}

double fr_json_num(const struct fr_json *js, fr_jv v, double dflt)
{
	const struct fr_json_tok *t = tok(js, v);

	if (!t || t->type != FR_JSON_NUMBER)
		return dflt;
	/* the grammar was checked; strtod stops at the delimiter after it */
	return strtod(js->text + t->start, NULL);
}

bool fr_json_bool(const struct fr_json *js, fr_jv v, bool dflt)
{
	switch (fr_json_type(js, v)) {
	case FR_JSON_TRUE:
		return true;
	case FR_JSON_FALSE:
		return false;
	default:
		return dflt;
	}
}

const char *fr_json_raw(const struct fr_json *js, fr_jv v, size_t *len)
{
	const struct fr_json_tok *t = tok(js, v);

	if (!t || t->type != FR_JSON_NUMBER)
		return NULL;
	if (len)
		*len = t->len;
	return js->text + t->start;
}

static size_t put_utf8(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static uint32_t hex4(const char *p)
{
	return (uint32_t)(hexval(p[0]) << 12 | hexval(p[1]) << 8 | hexval(p[2]) << 4 |
			  hexval(p[3]));
}

/*
 * Decode the string token t into out (at least t->len + 1 bytes: no escape
 * grows when decoded, \uXXXX is 6 bytes for at most 4). Lone surrogates
 * and \u0000 become U+FFFD.
 */
static size_t decode(const char *s, size_t len, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < len;) {
		if (s[i] != '\\') {
			out[o++] = s[i++];
			continue;
		}
		char c = s[i + 1];

		i += 2;
		switch (c) {
		case 'b':
			out[o++] = '\b';
			break;
		case 'f':
			out[o++] = '\f';
			break;
		case 'n':
			out[o++] = '\n';
			break;
		case 'r':
			out[o++] = '\r';
			break;
		case 't':
			out[o++] = '\t';
			break;
		case 'u': {
			uint32_t cp = hex4(s + i);

			i += 4;
			if (cp >= 0xd800 && cp <= 0xdbff && i + 6 <= len && s[i] == '\\' &&
			    s[i + 1] == 'u') {
				uint32_t lo = hex4(s + i + 2);

				if (lo >= 0xdc00 && lo <= 0xdfff) {
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					i += 6;
				}
			}
			if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff))
				cp = 0xfffd;
			o += put_utf8(out + o, cp);
			break;
		}
		default: /* " \ / */
			out[o++] = c;
		}
	}
	out[o] = '\0';
	return o;
}

char *fr_json_strdup(const struct fr_json *js, fr_jv v, size_t *len)
{
	const struct fr_json_tok *t = tok(js, v);

	if (!t || t->type != FR_JSON_STRING)
		return NULL;
	char *out = malloc((size_t)t->len + 1);

	if (!out)
		return NULL;
	size_t n = decode(js->text + t->start, t->len, out);

	if (len)
		*len = n;
	return out;
}

bool fr_json_streq(const struct fr_json *js, fr_jv v, const char *s)
{
	const struct fr_json_tok *t = tok(js, v);

	if (!t || t->type != FR_JSON_STRING)
		return false;
	const char *raw = js->text + t->start;

	if (!memchr(raw, '\\', t->len))
		return strlen(s) == t->len && memcmp(raw, s, t->len) == 0;
	char *d = fr_json_strdup(js, v, NULL);
	bool eq = d && strcmp(d, s) == 0;

	free(d);
	return eq;
}
