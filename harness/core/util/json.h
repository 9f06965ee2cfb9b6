/*
 * faultrun — a small JSON reader (RFC 8259).
 *
 * fr_json_parse() checks a whole document and indexes it into a flat
 * array of tokens (one per value, and one per object key), in document
 * order, like jsmn: no tree of allocations, about 16 bytes per value, so a
 * journal with a hundred thousand samples stays a few MiB. Strings are not
 * decoded while parsing; fr_json_strdup() and fr_json_streq() decode one
 * when it is asked for. A value is named by its token index (fr_jv); the
 * document's root is 0 and FR_JV_NONE means "absent", which every accessor
 * accepts, so lookups chain without checks:
 *
 *	fr_jv sc = fr_json_at(&js, fr_json_get(&js, 0, "scenarios"), 0);
 *	double d = fr_json_num(&js, fr_json_get(&js, sc, "duration"), 0);
 *
 * The text must stay alive and unchanged while the index is used, and must
 * be followed by a NUL byte (text[len] == '\0'; fr_json_read_file() does
 * this). Bytes >= 0x80 inside strings are passed through unchecked: a
 * journal may quote a target's output, which need not be valid UTF-8.
 */
#ifndef FAULTRUN_JSON_H
#define FAULTRUN_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum fr_json_type {
	FR_JSON_NONE = 0, /* absent (FR_JV_NONE) */
	FR_JSON_NULL,
	FR_JSON_FALSE,
	FR_JSON_TRUE,
	FR_JSON_NUMBER,
	FR_JSON_STRING,
	FR_JSON_ARRAY,
	FR_JSON_OBJECT,
};

typedef uint32_t fr_jv;
#define FR_JV_NONE UINT32_MAX

struct fr_json_tok {
	uint32_t start;	 /* first byte (strings: after the opening quote) */
	uint32_t len;	 /* bytes (strings: up to the closing quote) */
	uint32_t next;	 /* index of the token after this value's subtree */
	uint32_t n : 28; /* arrays: items; objects: members */
	uint32_t type : 4;
};

struct fr_json {
	const char *text;
	size_t len;
	struct fr_json_tok *tok;
	size_t ntok;
	size_t cap;
};

/* Where and why parsing failed: 1-based line and column (in bytes). */
struct fr_json_err {
	int line;
	int col;
	char msg[96];
};

/*
 * Parse text[0..len) (text[len] must be '\0') into js. Returns 0, -EINVAL
 * with err filled for a malformed document (nested deeper than 256 levels
 * counts as malformed), -ENOMEM, or -EFBIG for documents over 4 GiB.
 */
int fr_json_parse(struct fr_json *js, const char *text, size_t len, struct fr_json_err *err);

/* Free the index (not the text). js may be zeroed or already finished. */
void fr_json_finish(struct fr_json *js);

/*
 * Read a whole file into a NUL-terminated buffer (free() it). Returns 0 or
 * -errno; *len excludes the NUL.
 */
int fr_json_read_file(const char *path, char **text, size_t *len);

/* The same from an open fd (not closed). */
int fr_json_read_fd(int fd, char **text, size_t *len);

/* The largest JSON file read (-EFBIG past it): a journal of a long run
 * with many probes is a few MiB. */
#define FR_JSON_MAX_FILE (256u << 20)

enum fr_json_type fr_json_type(const struct fr_json *js, fr_jv v);

/* The member of object obj named key (the first one if repeated), or FR_JV_NONE. */
fr_jv fr_json_get(const struct fr_json *js, fr_jv obj, const char *key);

/* Arrays: the number of items, the i-th item (linear time), iteration. */
size_t fr_json_len(const struct fr_json *js, fr_jv v);
fr_jv fr_json_at(const struct fr_json *js, fr_jv arr, size_t i);
fr_jv fr_json_first(const struct fr_json *js, fr_jv arr);	     /* first item, or NONE */
fr_jv fr_json_next(const struct fr_json *js, fr_jv arr, fr_jv item); /* following item */

/*
 * Objects: iterate members. fr_json_first_key() gives the first key token
 * (a string; its value is key + 1), fr_json_next_key() the one after.
 */
fr_jv fr_json_first_key(const struct fr_json *js, fr_jv obj);
fr_jv fr_json_next_key(const struct fr_json *js, fr_jv obj, fr_jv key);

/* Scalars, with a default when v is absent or of another type. */
double fr_json_num(const struct fr_json *js, fr_jv v, double dflt);
bool fr_json_bool(const struct fr_json *js, fr_jv v, bool dflt);
static inline bool fr_json_is_null(const struct fr_json *js, fr_jv v)
{
	return fr_json_type(js, v) == FR_JSON_NULL;
}

/*
 * A number's text exactly as written (a 48-bit seed survives), or NULL
 * when v is not a number.
 */
const char *fr_json_raw(const struct fr_json *js, fr_jv v, size_t *len);

/*
 * Decode string v into a new NUL-terminated UTF-8 string (free() it).
 * NULL when v is not a string or on ENOMEM. An escaped NUL (\u0000) is
 * decoded as U+FFFD so the C string is never cut short; *len may be NULL.
 */
char *fr_json_strdup(const struct fr_json *js, fr_jv v, size_t *len);

/* Whether v is a string equal (after decoding) to s. */
bool fr_json_streq(const struct fr_json *js, fr_jv v, const char *s);

#endif /* FAULTRUN_JSON_H */
