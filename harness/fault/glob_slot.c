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
