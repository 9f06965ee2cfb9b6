/*
 * The shim's compiled globs: one per rule slot of the control block,
 * compiled the first time a path meets the rule and kept in this process's
 * static memory, so that an open pays for a prefix compare and a pass of
 * the automaton over the rest, never for the pattern again.
 *
 * Why here and not in the block: a rule never changes once its slot is
 * ready (fr_ctl_add takes a fresh slot for every rule, and only the armed
 * flag and counters change after), and the block stays as it is (no
 * version bump, no bound to check on a compiled form faultrun wrote). The
 * cache is valid as long as the process keeps its block: fork keeps both
 * (the child's copy of a compiled glob is as good as the parent's), exec
 * starts over. A hostile block that rewrote a rule would only get stale
 * answers: the compiled form holds no pointer and no index into anything.
 *
 * Concurrency, without locks (signal handlers and threads): a slot's
 * state goes from EMPTY to BUSY (a compare-and-swap: one thread compiles)
 * to READY (a release store after the compiled form is written). A caller
 * that finds the slot BUSY does not wait: it matches without the cache
 * (fr_glob_match_nfa), which answers the same. That also covers a signal
 * handler interrupting its own thread's compile. BUSY holds the compiling
 * process's id, so a fork child that inherited a slot left BUSY by a
 * thread of its parent (which the child does not have) takes it over.
 */
#include "glob.h"
#include "path_quick.h"
#include "raw_syscall.h"

#include <faultrun/control.h>

#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>

enum {
	SLOT_EMPTY = 0,
	SLOT_PATH = 1,		 /* ready: the rule's path glob */
	SLOT_UNIX = 2,		 /* ready: its unix_path glob */
	SLOT_NONE = 3,		 /* not compiled (too long): always matched without the cache */
	SLOT_BUSY = 0x80000000u, /* | the compiling process's id */
};

static struct slot_glob {
	_Atomic uint32_t state;
	struct fr_glob g;
} slot_globs[FR_MAX_RULES];

/* The slot index of r in c, or -1 if r is not one of its slots. */
static inline int slot_of(const struct fr_ctl *c, const struct fr_rule *r)
{
	uintptr_t first = (uintptr_t)&c->slots[0].rule, at = (uintptr_t)r;
	size_t i;

	if (at < first)
		return -1;
	i = (at - first) / sizeof(c->slots[0]);
	return i < FR_MAX_RULES && &c->slots[i].rule == r ? (int)i : -1;
}

/* The first use of slot s: compile (or find someone is) and match. */
static __attribute__((noinline)) bool slot_first(struct slot_glob *s, uint32_t st, uint32_t want,
						 const char *pat, size_t plen, const char *str)
{
	uint32_t busy;

	if (st != SLOT_EMPTY && !(st & SLOT_BUSY))
		return fr_glob_match_nfa(pat, plen, str); /* the other glob is cached */
	busy = SLOT_BUSY | (uint32_t)fr_syscall_raw(SYS_getpid, 0, 0, 0, 0, 0, 0);
	/* BUSY by this process: another thread, or the code this handler interrupted */
	if (st == busy || !atomic_compare_exchange_strong_explicit(
				  &s->state, &st, busy, memory_order_acquire, memory_order_relaxed))
		return fr_glob_match_nfa(pat, plen, str);
	if (fr_glob_compile(&s->g, pat, plen) < 0) {
		/* longer than any rule field holds: no use trying again */
		atomic_store_explicit(&s->state, SLOT_NONE, memory_order_release);
		return fr_glob_match_nfa(pat, plen, str);
	}
	atomic_store_explicit(&s->state, want, memory_order_release);
	return fr_glob_run(&s->g, str);
}

bool fr_slot_glob_match(const struct fr_ctl *c, const struct fr_rule *r, const char *pat,
			size_t plen, const char *str)
{
	uint32_t want = pat == r->path ? SLOT_PATH : SLOT_UNIX, st;
	struct slot_glob *s;
	int i = c ? slot_of(c, r) : -1;

	if (i < 0 || (pat != r->path && pat != r->unix_path))
		return fr_glob_match_nfa(pat, plen, str);
	s = &slot_globs[i];
	st = atomic_load_explicit(&s->state, memory_order_acquire);
	if (st != want)
		return slot_first(s, st, want, pat, plen, str);
	/* most paths differ from a prefix early: no call for those */
	if (s->g.pre_len >= 2 && (str[0] != s->g.lit[0] || str[1] != s->g.lit[1]))
		return false;
	return fr_glob_run(&s->g, str);
}

/*
 * The index of the slots' literal prefixes, so that a path pays for the
 * rules that could match it, not for every rule armed. Every string a glob
 * matches begins with the pattern's bytes before its first special one
 * ('*', '?', '[' or '\\': stopping early at a '[' or '\\' that would have
 * been literal only makes the prefix shorter, never wrong). The prefixes
 * of the indexed slots share a longest common part; a path that does not
 * begin with it can match none of them, and one that does can match only
 * the slots whose prefix ends there or continues with the path's next
 * byte. Slots with an empty prefix ('**' first) are always candidates.
 * The answer is a superset: a candidate still runs its matcher.
 *
 * One index per process, for the set of slots last asked about (the shim
 * asks with the same set until a rule is published). Built by whichever
 * caller first finds it stale, under a sequence number (odd: being
 * built), read without locks: a reader that finds it odd, stale or
 * changed under it answers with every slot, which is exact, only slower.
 * Every field is an atomic so that a torn read is defined; the sequence
 * check discards it. A builder that forked mid-build (a thread of the
 * parent) leaves the child's copy odd: the child takes it over, as
 * glob_slot's BUSY state does.
 */
static struct {
	_Atomic uint32_t seq;
	_Atomic uint32_t builder;	  /* the building process's id */
	_Atomic uint64_t slots;		  /* the slots it indexes */
	const struct fr_ctl *_Atomic ctl; /* of this block (a process has one) */
	_Atomic uint64_t always;	  /* empty prefix: every path */
	_Atomic uint64_t at_end;	  /* prefix == common: every path starting with it */
	_Atomic uint32_t clen;
	_Atomic uint64_t mask0; /* the bytes of common[0] that are common (clen >= 8: all) */
	_Atomic uint64_t common[FR_GLOB_MAX / 8 + 1]; /* its bytes, eight to a word */
	_Atomic uint64_t by_byte[256];		      /* prefix continues with this byte */
} ix;

/* The length of the literal prefix of pattern p (bounded by plen). */
static size_t literal_prefix(const char *p, size_t plen)
{
	size_t n = 0;

	while (n < plen && p[n] && p[n] != '*' && p[n] != '?' && p[n] != '[' && p[n] != '\\')
		n++;
	return n;
}

static void index_build(const struct fr_ctl *c, uint64_t slots)
{
	const char *first = NULL;
	size_t clen = 0;
	uint64_t always = 0, at_end = 0, rest;

	for (unsigned b = 0; b < 256; b++)
		atomic_store_explicit(&ix.by_byte[b], 0, memory_order_relaxed);
	/* the common part of every non-empty prefix */
	for (rest = slots; rest; rest &= rest - 1) {
		const struct fr_rule *r = &c->slots[__builtin_ctzll(rest)].rule;
		size_t n = literal_prefix(r->path, sizeof(r->path)), k = 0;

		if (!n)
			continue;
		if (!first) {
			first = r->path;
			clen = n;
			continue;
		}
		while (k < clen && k < n && r->path[k] == first[k])
			k++;
		clen = k;
	}
	for (size_t k = 0; k < clen; k += 8) {
		char w[8] = { 0 };
		uint64_t v;

		memcpy(w, first + k, clen - k < 8 ? clen - k : 8);
		memcpy(&v, w, 8);
		atomic_store_explicit(&ix.common[k / 8], v, memory_order_relaxed);
	}
	for (rest = slots; rest; rest &= rest - 1) {
		unsigned i = (unsigned)__builtin_ctzll(rest);
		const struct fr_rule *r = &c->slots[i].rule;
		size_t n = literal_prefix(r->path, sizeof(r->path));

		if (!n)
			always |= 1ull << i;
		else if (n == clen)
			at_end |= 1ull << i;
		else
			atomic_fetch_or_explicit(&ix.by_byte[(uint8_t)r->path[clen]], 1ull << i,
						 memory_order_relaxed);
	}
	atomic_store_explicit(&ix.clen, (uint32_t)clen, memory_order_relaxed);
	{
		unsigned char m[8] = { 0 };
		uint64_t v;

		memset(m, 0xff, clen < 8 ? clen : 8);
		memcpy(&v, m, 8);
		atomic_store_explicit(&ix.mask0, v, memory_order_relaxed);
	}
	atomic_store_explicit(&ix.always, always, memory_order_relaxed);
	atomic_store_explicit(&ix.at_end, at_end, memory_order_relaxed);
	atomic_store_explicit(&ix.slots, slots, memory_order_relaxed);
	atomic_store_explicit(&ix.ctl, c, memory_order_relaxed);
}

/* Rebuild the index for slots, unless another caller of this process is at it. */
static __attribute__((noinline)) void index_refresh(const struct fr_ctl *c, uint64_t slots,
						    uint32_t seq)
{
	uint32_t me = (uint32_t)fr_syscall_raw(SYS_getpid, 0, 0, 0, 0, 0, 0), mine;

	/* odd: being built, by this process (wait for it) or by one we forked from */
	if ((seq & 1) && atomic_load_explicit(&ix.builder, memory_order_relaxed) == me)
		return;
	mine = seq + ((seq & 1) ? 2 : 1); /* odd: ours */
	if (!atomic_compare_exchange_strong_explicit(&ix.seq, &seq, mine, memory_order_acquire,
						     memory_order_relaxed))
		return;
	atomic_store_explicit(&ix.builder, me, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	index_build(c, slots);
	atomic_store_explicit(&ix.seq, mine + 1, memory_order_release);
}

/*
 * Whether str does not begin with the index's common part (clen bytes).
 * With its length known (len, else SIZE_MAX), eight bytes are compared at
 * once, never past its end; otherwise byte by byte, stopping at the first
 * that differs (its NUL at the latest: the common part holds none).
 */
static inline bool common_differs(const char *str, size_t len, uint32_t clen)
{
	uint32_t k = 0;

	if (clen > FR_GLOB_MAX)
		return true; /* torn: the sequence check discards the answer */
	if (len != SIZE_MAX) {
		if (len < clen)
			return true;
		for (; k + 8 <= clen; k += 8) {
			uint64_t v;

			memcpy(&v, str + k, 8);
			if (v != atomic_load_explicit(&ix.common[k / 8], memory_order_relaxed))
				return true;
		}
	}
	for (; k < clen; k++) {
		uint64_t v = atomic_load_explicit(&ix.common[k / 8], memory_order_relaxed);
		char w[8];

		memcpy(w, &v, 8);
		if (str[k] != w[k % 8])
			return true;
	}
	return false;
}

uint64_t fr_slot_glob_candidates_len(const struct fr_ctl *c, uint64_t slots, const char *str,
				     size_t len)
{
	uint32_t seq = atomic_load_explicit(&ix.seq, memory_order_acquire), clen;
	uint64_t out;

	if (__builtin_expect(
		    (seq & 1) || (atomic_load_explicit(&ix.slots, memory_order_relaxed) != slots ||
				  atomic_load_explicit(&ix.ctl, memory_order_relaxed) != c),
		    0)) {
		index_refresh(c, slots, seq);
		return slots;
	}
	out = atomic_load_explicit(&ix.always, memory_order_relaxed);
	clen = atomic_load_explicit(&ix.clen, memory_order_relaxed);
	/*
	 * Most paths differ from the common part in its first eight bytes:
	 * one compare (str's bytes up to its NUL may be read: len + 1 >= 8)
	 */
	if (len != SIZE_MAX && len >= 7) {
		uint64_t v;

		memcpy(&v, str, 8);
		if ((v ^ atomic_load_explicit(&ix.common[0], memory_order_relaxed)) &
		    atomic_load_explicit(&ix.mask0, memory_order_relaxed))
			goto done;
	}
	if (!common_differs(str, len, clen))
		out |= atomic_load_explicit(&ix.at_end, memory_order_relaxed) |
		       atomic_load_explicit(&ix.by_byte[(uint8_t)str[clen]], memory_order_relaxed);
done:
	/* the fields read belong to the sequence number read first */
	atomic_thread_fence(memory_order_acquire);
	if (atomic_load_explicit(&ix.seq, memory_order_relaxed) != seq)
		return slots;
	return out & slots;
}

uint64_t fr_slot_glob_candidates(const struct fr_ctl *c, uint64_t slots, const char *str)
{
	return fr_slot_glob_candidates_len(c, slots, str, SIZE_MAX);
}

/*
 * A head: the first eight bytes of a literal prefix (fewer if it is
 * shorter), as the word and mask fr_glob_heads_miss() compares. Another
 * head covers it when every path beginning with it begins with the other.
 */
static bool head_covers(uint64_t pre, uint64_t mask, uint64_t pre2, uint64_t mask2)
{
	return (mask & mask2) == mask && !((pre ^ pre2) & mask);
}

void fr_slot_glob_heads(const struct fr_ctl *c, uint64_t slots, struct fr_glob_heads *h)
{
	uint64_t pre[FR_GLOB_HEADS + 1], mask[FR_GLOB_HEADS + 1];
	uint32_t n = 0;

	for (uint64_t rest = slots; rest; rest &= rest - 1) {
		const struct fr_rule *r = &c->slots[__builtin_ctzll(rest)].rule;
		size_t len = literal_prefix(r->path, sizeof(r->path));
		unsigned char w[8] = { 0 }, m[8] = { 0 };
		uint64_t p1, m1;
		uint32_t k = 0;

		if (!len) {
			n = FR_GLOB_HEADS_ANY; /* any path could match */
			break;
		}
		memcpy(w, r->path, len < 8 ? len : 8);
		memset(m, 0xff, len < 8 ? len : 8);
		memcpy(&p1, w, 8);
		memcpy(&m1, m, 8);
		if (n > FR_GLOB_HEADS) { /* one head already: their common bytes */
			uint64_t d = (p1 ^ pre[0]) & mask[0] & m1;

			/* the bytes below the lowest that differs (little-endian) */
			mask[0] &= m1 & (d ? (1ull << (__builtin_ctzll(d) & ~7u)) - 1 : ~0ull);
			continue;
		}
		for (uint32_t i = 0; i < n; i++)
			if (head_covers(pre[i], mask[i], p1, m1))
				goto next;
		/* the new head covers those it begins: they go */
		for (uint32_t i = 0; i < n; i++)
			if (!head_covers(p1, m1, pre[i], mask[i])) {
				pre[k] = pre[i];
				mask[k++] = mask[i];
			}
		n = k;
		pre[n] = p1;
		mask[n++] = m1;
		if (n > FR_GLOB_HEADS) {
			/* too many to compare: one head, the bytes all begin with */
			for (uint32_t i = 1; i < n; i++) {
				uint64_t d = (pre[i] ^ pre[0]) & mask[0] & mask[i];

				mask[0] &= mask[i] &
					   (d ? (1ull << (__builtin_ctzll(d) & ~7u)) - 1 : ~0ull);
			}
			n = FR_GLOB_HEADS + 1;
		}
	next:;
	}
	if (n == FR_GLOB_HEADS + 1)
		n = 1;
	for (uint32_t i = 0; i < n && n <= FR_GLOB_HEADS; i++) {
		atomic_store_explicit(&h->pre[i], pre[i] & mask[i], memory_order_relaxed);
		atomic_store_explicit(&h->mask[i], mask[i], memory_order_relaxed);
	}
	atomic_store_explicit(&h->n, n, memory_order_relaxed);
}
