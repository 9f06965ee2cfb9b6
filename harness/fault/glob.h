/*
 * A path glob compiled once into a matcher whose cost is linear in the
 * path, whatever the pattern (glob.c). fr_glob_match() in
 * <faultrun/rule.h> compiles on every call; the shim keeps one compiled
 * glob per rule slot (glob_slot.c).
 */
#ifndef FAULTRUN_GLOB_H
#define FAULTRUN_GLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fr_ctl;
struct fr_rule;

/* The longest pattern that compiles: one state per byte, and the match */
#define FR_GLOB_COMPILE_MAX 255
#define FR_GLOB_WORDS 4 /* 256 states */

/*
 * A compiled glob. The pattern is split into a literal prefix (before its
 * first wildcard), a literal suffix (after its last) and the middle, an
 * NFA simulated bit-parallel (Shift-And): one bit per state, a 256-entry
 * map from a byte to its class (bytes no item tells apart share one) and
 * per class the states that may consume it. Self-contained: no pointer
 * into the pattern, so it can be copied and kept.
 */
struct fr_glob {
	uint8_t literal; /* no wildcard at all: the path must equal `lit` */
	uint8_t dstar;	 /* the middle is one '**': anything matches */
	uint8_t deep;	 /* a "** /" skip may land on a star: close twice */
	uint8_t nw;	 /* state words the middle needs */
	uint16_t pre_len, suf_len;
	uint16_t acc;		       /* the middle's accepting state */
	char lit[FR_GLOB_COMPILE_MAX]; /* the prefix, then the suffix */
	uint8_t cls[256];	       /* byte -> class */
	uint64_t start[FR_GLOB_WORDS];
	uint64_t loop_slash[FR_GLOB_WORDS], loop_other[FR_GLOB_WORDS];
	uint64_t eps1[FR_GLOB_WORDS], eps2[FR_GLOB_WORDS], eps3[FR_GLOB_WORDS];
	uint64_t live[FR_GLOB_WORDS];
	uint64_t take[256 * FR_GLOB_WORDS]; /* per class, nw words */
};

/*
 * Compile pattern (bounded by plen, or its NUL). Returns 0, or -1 when it
 * is longer than FR_GLOB_COMPILE_MAX bytes. Costs about one pass over the
 * pattern and a fill of the byte map.
 */
int fr_glob_compile(struct fr_glob *g, const char *pattern, size_t plen);

/*
 * Whether str matches: the prefix compared byte by byte (most paths differ
 * early), then the suffix, then the automaton over the rest.
 */
bool fr_glob_run(const struct fr_glob *g, const char *str);

/*
 * The same answers as fr_glob_match(), by following every state of the
 * pattern at once without compiling (O(pattern x string), no stack beyond
 * 256 bytes): for patterns too long to compile.
 */
bool fr_glob_match_nfa(const char *pattern, size_t plen, const char *str);

/* ".", ".." and repeated slashes out of an absolute path, in place. */
void fr_path_normalize(char *p);

/*
 * The shim's cache: whether the glob pat (a field of rule r, bounded by
 * plen) matches str. When r is a slot of block c, the glob is compiled on
 * first use into this process's static memory and reused; otherwise it is
 * matched without caching. Async-signal-safe, no locks, no allocation.
 */
bool fr_slot_glob_match(const struct fr_ctl *c, const struct fr_rule *r, const char *pat,
			size_t plen, const char *str);

/*
 * Which of slots (published rules of block c) could have a path glob that
 * matches str: a superset, from an index of the slots' literal prefixes
 * (glob_slot.c), so that a path that begins with none of them costs a
 * compare of their common part and one table load, not a matcher per
 * rule. A candidate must still be matched (fr_slot_glob_match). Lock-free
 * and async-signal-safe; answers every slot while the index is rebuilt.
 */
uint64_t fr_slot_glob_candidates(const struct fr_ctl *c, uint64_t slots, const char *str);
/* The same, for str of length len (strlen), which it may then read eight bytes at a time. */
uint64_t fr_slot_glob_candidates_len(const struct fr_ctl *c, uint64_t slots, const char *str,
				     size_t len);

#endif /* FAULTRUN_GLOB_H */
