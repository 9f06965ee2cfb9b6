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
#include <stdint.h>
#include <string.h>

/*
 * Bound on backtracking steps so a hostile pattern cannot hang a call.
 * Every pattern a rule can hold is answered within it on any ordinary
 * path; past it, the answer comes from match_nfa() instead, never from a
 * give-up (a rule that silently matched nothing would be a wrong answer,
 * not a slow one).
 */
#ifndef GLOB_STEP_LIMIT
#define GLOB_STEP_LIMIT 200000
#endif

/*
 * The longest pattern match_nfa() simulates: twice what a rule field
 * holds (FR_GLOB_MAX), so only a caller passing its own longer pattern can
 * get the backtracker's give-up. The two state sets (two states per
 * pattern byte) cost 2 x 128 bytes of stack.
 */
#define GLOB_NFA_MAX 512
#define NFA_WORDS (2 * GLOB_NFA_MAX / 64)

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

/* ---- the fallback: the pattern as a set of states ----------------------- */

/*
 * A glob is a regular expression, so it can be matched in
 * O(pattern x string) steps by following every state the pattern could be
 * in at once (Thompson's construction, with the pattern's own characters
 * as the states: no compilation, no allocation). Slower than backtracking
 * on ordinary patterns, so it only runs when the backtracker gave up.
 *
 * A state is a token of the pattern, as 2 x its index: a literal (or
 * "\x"), '?', a [class], or a run of stars, which loops on itself;
 * "matched" is 2 x n. A double star has a second state, 2 x index + 1,
 * once it has consumed something: "** /" (no space) may match nothing at
 * all, but once the stars took a character the '/' must follow, as in
 * match_from().
 */

static bool nfa_has(const uint64_t *set, size_t st)
{
	return set[st / 64] >> (st % 64) & 1;
}

static void nfa_put(uint64_t *set, size_t st)
{
	set[st / 64] |= (uint64_t)1 << (st % 64);
}

/* The end of the run of stars at i. */
static size_t star_run_end(const char *pat, size_t n, size_t i)
{
	while (i < n && pat[i] == '*')
		i++;
	return i;
}

/*
 * Add what a run of stars may match without consuming anything: the token
 * after it, and for a double star not yet started and followed by '/'
 * the token after the slash. Those are always further right, so one pass
 * in increasing order closes the set.
 */
static void nfa_close(uint64_t *set, size_t nw, const char *pat, size_t n)
{
	for (size_t w = 0; w < nw; w++) {
		uint64_t done = 0, bits;

		/* bits may be added to this very word: read it again each time */
		while ((bits = set[w] & ~done)) {
			size_t st = w * 64 + (size_t)__builtin_ctzll(bits);
			size_t i = st / 2, j;

			done |= bits & -bits;
			if (i >= n || pat[i] != '*')
				continue;
			j = star_run_end(pat, n, i);
			nfa_put(set, 2 * j);
			if (!(st & 1) && j - i >= 2 && j < n && pat[j] == '/')
				nfa_put(set, 2 * (j + 1));
		}
	}
}

/* The state the token at i goes to on character c, or (size_t)-1. */
static size_t nfa_step(const char *pat, size_t n, size_t i, char c)
{
	const char *next;

	switch (pat[i]) {
	case '*':
		if (star_run_end(pat, n, i) - i >= 2)
			return 2 * i + 1;
		return c != '/' ? 2 * i : (size_t)-1;
	case '?':
		return c != '/' ? 2 * (i + 1) : (size_t)-1;
	case '[':
		if (!match_class(pat + i, pat + n, c, &next))
			return (size_t)-1;
		return 2 * (size_t)(next - pat);
	case '\\':
		if (i + 1 < n)
			return pat[i + 1] == c ? 2 * (i + 2) : (size_t)-1;
		break;
	}
	return pat[i] == c ? 2 * (i + 1) : (size_t)-1;
}

static bool match_nfa(const char *pat, size_t n, const char *s)
{
	uint64_t cur[NFA_WORDS] = { 0 }, nxt[NFA_WORDS];
	size_t nw = 2 * n / 64 + 1; /* the words states 0 .. 2n live in */

	nfa_put(cur, 0);
	nfa_close(cur, nw, pat, n);
	for (; *s; s++) {
		bool any = false;

		memset(nxt, 0, nw * sizeof(nxt[0]));
		for (size_t w = 0; w < nw; w++)
			for (uint64_t bits = cur[w]; bits; bits &= bits - 1) {
				size_t st = w * 64 + (size_t)__builtin_ctzll(bits);
				size_t to = st < 2 * n ? nfa_step(pat, n, st / 2, *s) : (size_t)-1;

				if (to != (size_t)-1) {
					nfa_put(nxt, to);
					any = true;
				}
			}
		if (!any)
			return false;
		nfa_close(nxt, nw, pat, n);
		memcpy(cur, nxt, nw * sizeof(cur[0]));
	}
	return nfa_has(cur, 2 * n);
}

bool fr_glob_match(const char *pattern, size_t plen, const char *str)
{
	size_t n = 0;
	bool m;

	if (!pattern || !str)
		return false;
	while (n < plen && pattern[n])
		n++;
	struct glob_state st = { .pend = pattern + n, .steps = 0 };
	m = match_from(&st, pattern, str);
	/* a true answer is found, not guessed, even past the bound */
	if (m || st.steps <= GLOB_STEP_LIMIT || n >= GLOB_NFA_MAX)
		return m;
	return match_nfa(pattern, n, str);
}
