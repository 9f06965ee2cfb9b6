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
 *
 * A glob is a regular expression, so it is matched by following every
 * state it could be in at once, never by backtracking (a backtracker
 * takes exponential time on "** / ** / ** / x"-like patterns). Two ways:
 * fr_glob_compile() + fr_glob_run(), a bit-parallel NFA built once (the
 * shim's rules, glob_slot.c), and fr_glob_match_nfa(), the same automaton
 * read straight from the pattern (for a one-off match).
 */
#include "glob.h"

#include <faultrun/rule.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * The longest pattern fr_glob_match_nfa() simulates: four times what a
 * rule field holds (FR_GLOB_MAX), and a rule's name (FR_NAME_MAX). Its two
 * state sets (two states per pattern byte) cost 2 x 256 bytes of stack.
 * Longer patterns match nothing.
 */
#define GLOB_NFA_MAX 1024
#define NFA_WORDS (2 * GLOB_NFA_MAX / 64)

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

/* ---- the fallback: the pattern as a set of states ----------------------- */

/*
 * A glob is a regular expression, so it can be matched in
 * O(pattern x string) steps by following every state the pattern could be
 * in at once (Thompson's construction, with the pattern's own characters
 * as the states: no compilation, no allocation). Used for one-off
 * matches, where compiling would cost more than it saves.
 *
 * A state is a token of the pattern, as 2 x its index: a literal (or
 * "\x"), '?', a [class], or a run of stars, which loops on itself;
 * "matched" is 2 x n. A double star has a second state, 2 x index + 1,
 * once it has consumed something: "** /" (no space) may match nothing at
 * all, but once the stars took a character the '/' must follow.
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

bool fr_glob_match_nfa(const char *pattern, size_t plen, const char *str)
{
	size_t n = 0;

	if (!pattern || !str)
		return false;
	while (n < plen && pattern[n])
		n++;
	if (n >= GLOB_NFA_MAX)
		return false;
	return match_nfa(pattern, n, str);
}

/* ---- the compiled form: Shift-And over the pattern's items -------------- */

/*
 * The pattern becomes a list of items: a literal byte, '?', a [class], a
 * '*' (one state, which loops on any byte but '/') or a '**' (two states:
 * F, not started, and S, started, which loops on any byte). A state is
 * "about to match item i". On byte c, state i moves to i + 1 when item i
 * takes c (the `take` row of c's class), stars stay (`loop_*`), then the
 * moves that take nothing are added: a star may end (eps1: S and '*' to
 * the next state, eps2: F over S to the next), and a '**' not yet started
 * followed by '/' may skip the slash (eps3), which is how "a/ ** /b"
 * matches "a/b". Once started, the '**' must reach the slash.
 *
 * A skip may land on another star ("** / *"), whose own moves must then
 * be added too, but never on a "** /" again: "** / ** /" is the same
 * language as "** /" (a run of segments twice is a run of segments), so
 * the compiler keeps one. Two rounds of closure are therefore always
 * enough, and one when no skip lands on a star.
 */
enum item_kind { IT_LIT, IT_ANY, IT_CLASS, IT_STAR, IT_DSTAR };

struct item {
	uint8_t kind;
	uint8_t skip; /* IT_LIT: a '/' right after a '**', which may be skipped */
	char c;	      /* IT_LIT: the byte */
	uint16_t at;  /* IT_CLASS: offset of its '[' in the pattern */
	uint16_t end; /* IT_CLASS: offset of its ']' */
};

/* Where the class at p ends (its ']'), or NULL if unterminated (literal '['). */
static const char *class_end(const char *p, const char *pend)
{
	const char *start;

	p++;
	if (p < pend && (*p == '!' || *p == '^'))
		p++;
	start = p;
	while (p < pend && (*p != ']' || p == start)) {
		if (p + 2 < pend && p[1] == '-' && p[2] != ']')
			p += 2;
		p++;
	}
	return p < pend ? p : NULL;
}

/* Split the pattern into items; returns how many. */
static size_t tokenize(const char *pat, size_t n, struct item *it)
{
	size_t k = 0, i = 0;

	while (i < n) {
		struct item x = { .kind = IT_LIT, .c = pat[i] };
		size_t j = i + 1;

		if (pat[i] == '*') {
			while (j < n && pat[j] == '*')
				j++;
			x.kind = j - i >= 2 ? IT_DSTAR : IT_STAR;
		} else if (pat[i] == '?') {
			x.kind = IT_ANY;
		} else if (pat[i] == '[') {
			const char *e = class_end(pat + i, pat + n);

			if (e) {
				x.kind = IT_CLASS;
				x.at = (uint16_t)i;
				x.end = (uint16_t)(e - pat);
				j = (size_t)(e - pat) + 1;
			}
		} else if (pat[i] == '\\' && i + 1 < n) {
			x.c = pat[i + 1];
			j = i + 2;
		}
		if (x.kind == IT_DSTAR && j < n && pat[j] == '/') {
			/* "** / ** /" is "** /": keep the first */
			if (k >= 2 && it[k - 2].kind == IT_DSTAR && it[k - 1].skip) {
				i = j + 1;
				continue;
			}
			it[k++] = x;
			x = (struct item){ .kind = IT_LIT, .skip = 1, .c = '/' };
			j++;
		}
		it[k++] = x;
		i = j;
	}
	return k;
}

static inline uint8_t ord(char c)
{
	/* a class range compares bytes as char, signed here as in match_class() */
	return (uint8_t)((uint8_t)c ^ 0x80);
}

static void cut_at(uint64_t *cut, unsigned o)
{
	cut[o / 64] |= (uint64_t)1 << (o % 64);
}

/* Calls fn(lo, hi, arg) for every range of the class item x (ords, lo <= hi). */
static void class_ranges(const char *pat, const struct item *x,
			 void (*fn)(unsigned lo, unsigned hi, void *arg), void *arg)
{
	const char *p = pat + x->at + 1, *pend = pat + x->end + 1, *start;

	if (*p == '!' || *p == '^')
		p++;
	start = p;
	while (p < pend && (*p != ']' || p == start)) {
		char lo = *p, hi = *p;

		if (p + 2 < pend && p[1] == '-' && p[2] != ']') {
			hi = p[2];
			p += 2;
		}
		if (lo <= hi)
			fn(ord(lo), ord(hi), arg);
		p++;
	}
}

static void range_cut(unsigned lo, unsigned hi, void *arg)
{
	cut_at(arg, lo);
	cut_at(arg, hi + 1);
}

struct class_set {
	const uint8_t *cls;
	uint64_t in[4]; /* the classes in the ranges */
};

static void range_mark(unsigned lo, unsigned hi, void *arg)
{
	struct class_set *s = arg;

	for (unsigned k = s->cls[lo ^ 0x80]; k <= s->cls[hi ^ 0x80]; k++)
		s->in[k / 64] |= (uint64_t)1 << (k % 64);
}

/*
 * Give each byte a class: bytes no item of the middle tells apart share
 * one. Cuts in the signed order of class ranges, and at 0 so that no
 * class straddles the signed wrap (each is then one run of raw bytes).
 */
static unsigned classify(struct fr_glob *g, const char *pat, const struct item *it, size_t k)
{
	uint64_t cut[5] = { 0 };
	unsigned ncls = 0, a = 0;

	cut_at(cut, ord(0));
	cut_at(cut, ord('/'));
	cut_at(cut, ord('/') + 1);
	for (size_t i = 0; i < k; i++) {
		if (it[i].kind == IT_LIT) {
			cut_at(cut, ord(it[i].c));
			cut_at(cut, ord(it[i].c) + 1u);
		} else if (it[i].kind == IT_CLASS) {
			class_ranges(pat, &it[i], range_cut, cut);
		}
	}
	cut_at(cut, 256);
	for (unsigned b = 1; b <= 256; b++) {
		if (!(cut[b / 64] >> (b % 64) & 1))
			continue;
		memset(g->cls + (a ^ 0x80), (int)ncls++, b - a);
		a = b;
	}
	return ncls;
}

static void set_bit(uint64_t *v, unsigned b)
{
	v[b / 64] |= (uint64_t)1 << (b % 64);
}

/* v << s (s in 1..3), over nw words */
static inline void shl_or(uint64_t *out, const uint64_t *v, unsigned s, unsigned nw)
{
	for (unsigned w = nw; w-- > 0;)
		out[w] |= v[w] << s | (w ? v[w - 1] >> (64 - s) : 0);
}

/* Add the moves that take nothing (see above). */
static inline void close_set(const struct fr_glob *g, uint64_t *d)
{
	for (int round = 0; round < 1 + g->deep; round++) {
		uint64_t a[FR_GLOB_WORDS], b[FR_GLOB_WORDS], c[FR_GLOB_WORDS];

		for (unsigned w = 0; w < g->nw; w++) {
			a[w] = d[w] & g->eps1[w];
			b[w] = d[w] & g->eps2[w];
			c[w] = d[w] & g->eps3[w];
		}
		shl_or(d, a, 1, g->nw);
		shl_or(d, b, 2, g->nw);
		shl_or(d, c, 3, g->nw);
		for (unsigned w = 0; w < g->nw; w++)
			d[w] &= g->live[w];
	}
}

/* The states of the middle items [0, k): which consume what, and how they move. */
static void build_states(struct fr_glob *g, const char *pat, const struct item *it, size_t k,
			 unsigned ncls)
{
	uint64_t any[FR_GLOB_WORDS] = { 0 }, all[FR_GLOB_WORDS] = { 0 };
	unsigned nw = g->nw, slash = g->cls['/'], b = 0;

	memset(g->take, 0, ncls * nw * sizeof(g->take[0]));
	for (size_t i = 0; i < k; i++, b++) {
		struct class_set s = { .cls = g->cls };

		switch (it[i].kind) {
		case IT_LIT:
			set_bit(g->take + g->cls[(uint8_t)it[i].c] * nw, b);
			break;
		case IT_ANY:
			set_bit(any, b);
			break;
		case IT_CLASS:
			class_ranges(pat, &it[i], range_mark, &s);
			bool neg = pat[it[i].at + 1] == '!' || pat[it[i].at + 1] == '^';
			for (unsigned x = 0; x < ncls; x++)
				if (x != slash && (bool)(s.in[x / 64] >> (x % 64) & 1) != neg)
					set_bit(g->take + x * nw, b);
			break;
		case IT_STAR:
			set_bit(g->loop_other, b);
			set_bit(g->eps1, b);
			break;
		case IT_DSTAR:
			set_bit(all, b); /* F takes anything, to S */
			set_bit(g->eps2, b);
			set_bit(g->loop_slash, b + 1);
			set_bit(g->loop_other, b + 1);
			set_bit(g->eps1, b + 1);
			if (i + 1 < k && it[i + 1].skip) {
				set_bit(g->eps3, b);
				if (i + 2 < k && it[i + 2].kind >= IT_STAR)
					g->deep = 1;
			}
			b++;
			break;
		}
	}
	for (unsigned x = 0; x < ncls; x++)
		for (unsigned w = 0; w < nw; w++)
			g->take[x * nw + w] |= all[w] | (x != slash ? any[w] : 0);
}

int fr_glob_compile(struct fr_glob *g, const char *pattern, size_t plen)
{
	struct item it[FR_GLOB_COMPILE_MAX];
	size_t n = 0, k, pre = 0, suf;
	unsigned acc = 0;

	while (n < plen && pattern[n])
		n++;
	if (n > FR_GLOB_COMPILE_MAX)
		return -1;
	k = tokenize(pattern, n, it);
	memset(g, 0, offsetof(struct fr_glob, take));
	while (pre < k && it[pre].kind == IT_LIT)
		g->lit[pre] = it[pre].c, pre++;
	g->pre_len = (uint16_t)pre;
	if (pre == k) {
		g->literal = 1;
		return 0;
	}
	/* a '/' that a '**' may skip is no part of the suffix */
	for (suf = k; suf > pre && it[suf - 1].kind == IT_LIT && !it[suf - 1].skip;)
		suf--;
	for (size_t i = suf; i < k; i++)
		g->lit[pre + i - suf] = it[i].c;
	g->suf_len = (uint16_t)(k - suf);
	for (size_t i = pre; i < suf; i++)
		acc += it[i].kind == IT_DSTAR ? 2 : 1;
	g->acc = (uint16_t)acc;
	g->nw = (uint8_t)(acc / 64 + 1);
	g->dstar = suf - pre == 1 && it[pre].kind == IT_DSTAR;
	for (unsigned b = 0; b <= acc; b++)
		set_bit(g->live, b);
	build_states(g, pattern, it + pre, suf - pre, classify(g, pattern, it + pre, suf - pre));
	g->start[0] = 1;
	close_set(g, g->start);
	return 0;
}

/* The middle, bytes [s, e), through the automaton. */
static bool run_middle(const struct fr_glob *g, const unsigned char *s, const unsigned char *e)
{
	unsigned nw = g->nw;

	if (nw == 1) {
		uint64_t d = g->start[0], e1 = g->eps1[0], e2 = g->eps2[0], e3 = g->eps3[0];
		uint64_t live = g->live[0];

		for (; s < e; s++) {
			uint64_t x = (d & g->take[g->cls[*s]]) << 1;

			x |= d & (*s == '/' ? g->loop_slash[0] : g->loop_other[0]);
			x |= (x & e1) << 1 | (x & e2) << 2 | (x & e3) << 3;
			if (g->deep)
				x |= (x & e1) << 1 | (x & e2) << 2 | (x & e3) << 3;
			d = x & live;
			if (!d)
				return false;
		}
		return d >> g->acc & 1;
	}
	uint64_t d[FR_GLOB_WORDS];
	memcpy(d, g->start, sizeof(d));
	for (; s < e; s++) {
		const uint64_t *t = g->take + g->cls[*s] * nw;
		const uint64_t *l = *s == '/' ? g->loop_slash : g->loop_other;
		uint64_t x[FR_GLOB_WORDS], any = 0;

		for (unsigned w = 0; w < nw; w++)
			x[w] = d[w] & l[w];
		for (unsigned w = 0; w < nw; w++)
			d[w] &= t[w];
		shl_or(x, d, 1, nw);
		close_set(g, x);
		for (unsigned w = 0; w < nw; w++)
			any |= d[w] = x[w];
		if (!any)
			return false;
	}
	return d[g->acc / 64] >> (g->acc % 64) & 1;
}

bool fr_glob_run(const struct fr_glob *g, const char *str)
{
	size_t len;

	/* the prefix first, byte by byte: most rules are told apart there */
	for (size_t i = 0; i < g->pre_len; i++)
		if (str[i] != g->lit[i])
			return false;
	len = g->pre_len + strlen(str + g->pre_len);
	if (g->literal)
		return len == g->pre_len;
	if (len < g->pre_len + (size_t)g->suf_len ||
	    memcmp(str + len - g->suf_len, g->lit + g->pre_len, g->suf_len) != 0)
		return false;
	if (g->dstar)
		return true;
	return run_middle(g, (const unsigned char *)str + g->pre_len,
			  (const unsigned char *)str + len - g->suf_len);
}

bool fr_glob_match(const char *pattern, size_t plen, const char *str)
{
	return fr_glob_match_nfa(pattern, plen, str);
}

/*
 * Remove "." and ".." segments and repeated slashes from an absolute path,
 * in place (the write position never passes the read position): how both
 * backends clean a path before matching it (docs/limitations.md, Paths).
 */
void fr_path_normalize(char *p)
{
	char *w = p, *r = p;

	while (*r) {
		const char *seg;
		size_t sl;

		while (*r == '/')
			r++;
		if (!*r)
			break;
		seg = r;
		while (*r && *r != '/')
			r++;
		sl = (size_t)(r - seg);
		if (sl == 1 && seg[0] == '.')
			continue;
		if (sl == 2 && seg[0] == '.' && seg[1] == '.') {
			while (w > p && *--w != '/')
				;
			continue;
		}
		*w++ = '/';
		memmove(w, seg, sl);
		w += sl;
	}
	if (w == p)
		*w++ = '/';
	*w = '\0';
}
