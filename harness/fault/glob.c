/*
 * Path glob matching for the shim's selectors.
 *
 * The shim calls this when an fd is opened or resolved, possibly inside a
 * signal handler, so it must not allocate, lock or call into libc beyond
 * plain memory access. fnmatch(3) is not async-signal-safe and may
 * allocate for multibyte patterns, hence our own.
 *
 * Semantics (documented in docs/faults.md):
 *   '*'  any run of characters within one path segment (not '/')
 *   '**' any run of characters across segments; "a/ ** /b" (no spaces)
 *        also matches "a/b"
 *   '?'  one character other than '/'
 *   [..] a class: [abc], [a-z], [!x] or [^x]; never matches '/'
 *   '\x' the character x literally
 */
#include <faultrun/rule.h>

#include <stdbool.h>
#include <stddef.h>

/* Bound on backtracking steps so a hostile pattern cannot hang a call. */
#define GLOB_STEP_LIMIT 200000

struct glob_state {
	const char *pend; /* one past the pattern's last character */
	unsigned long steps;
};

/* Match a [class] at p against c; sets *next past the class. */
static bool match_class(const char *p, const char *pend, char c, const char **next)
{
	bool negate = false, found = false;
	const char *open = p;

	p++; /* '[' */
	if (p < pend && (*p == '!' || *p == '^')) {
		negate = true;
		p++;
	}
	const char *start = p;
	while (p < pend && (*p != ']' || p == start)) {
		char lo = *p, hi = *p;
		if (p + 2 < pend && p[1] == '-' && p[2] != ']') {
			hi = p[2];
			p += 2;
		}
		if (c >= lo && c <= hi)
			found = true;
		p++;
	}
	if (p >= pend) {
		/* unterminated: '[' is literal */
		*next = open + 1;
		return c == '[';
	}
	*next = p + 1;
	return c != '/' && (found != negate);
}

static bool match_from(struct glob_state *st, const char *p, const char *s)
{
	while (p < st->pend) {
		if (++st->steps > GLOB_STEP_LIMIT)
			return false;
		char pc = *p;
		if (pc == '*') {
			bool dbl = p + 1 < st->pend && p[1] == '*';
			while (p < st->pend && *p == '*')
				p++;
			if (dbl) {
				/* "**" then "/": may also match zero segments */
				if (p < st->pend && *p == '/' && match_from(st, p + 1, s))
					return true;
				for (const char *t = s;; t++) {
					if (match_from(st, p, t))
						return true;
					if (!*t)
						return false;
				}
			}
			for (const char *t = s;; t++) {
				if (match_from(st, p, t))
					return true;
				if (!*t || *t == '/')
					return false;
			}
		}
		if (!*s)
			return false;
		if (pc == '?') {
			if (*s == '/')
				return false;
			p++;
			s++;
			continue;
		}
		if (pc == '[') {
			const char *next;
			if (!match_class(p, st->pend, *s, &next))
				return false;
			p = next;
			s++;
			continue;
		}
		if (pc == '\\' && p + 1 < st->pend) {
			p++;
			pc = *p;
		}
		if (pc != *s)
			return false;
		p++;
		s++;
	}
	return *s == '\0';
}

bool fr_glob_match(const char *pattern, size_t plen, const char *str)
{
	size_t n = 0;

	if (!pattern || !str)
		return false;
	while (n < plen && pattern[n])
		n++;
	struct glob_state st = { .pend = pattern + n, .steps = 0 };
	return match_from(&st, pattern, str);
}
