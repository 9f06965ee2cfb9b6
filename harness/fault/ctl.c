/*
 * The control block, reader side: what libfaultshim.so links (mapping and
 * validating a block, the injection decision, counters and the event
 * ring). The writer side (create, publish, arm) is ctl_admin.c, linked
 * only into faultrun and the tests.
 *
 * These functions run inside arbitrary libc calls of the target, possibly
 * in signal handlers: they use only atomics, plain memory and raw
 * syscalls, never malloc, locks or a libc function the shim interposes
 * (open(), close(), ...: harness/shim/wrapped.def), which would re-enter
 * the shim. tests/shim/test-shim-static.sh checks the built library.
 */
#define _GNU_SOURCE
#include <faultrun/control.h>
#include "ctl_internal.h"
#include "raw_syscall.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

_Static_assert(sizeof(struct fr_ctl) < 1024 * 1024, "control block too large");
_Static_assert(FR_MAX_RULES <= 64, "rule masks are 64-bit");
_Static_assert(FR_OP_COUNT <= 32, "op masks are 32-bit");

/* events[].seq while a writer fills the slot (never a valid seq) */
#define FR_CTL_EVENT_BUSY UINT64_MAX

uint64_t fr_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

bool fr_ctl_validate(const void *mem, size_t size)
{
	const struct fr_ctl *c = mem;

	if (!mem || size < sizeof(struct fr_ctl))
		return false;
	return c->magic == FR_CTL_MAGIC && c->version == FR_CTL_VERSION &&
	       c->size == sizeof(struct fr_ctl) && c->max_rules == FR_MAX_RULES &&
	       c->max_events == FR_CTL_EVENTS;
}

/* See ctl_internal.h. */
struct fr_ctl *fr_ctl_map(const char *path, int *errp)
{
	struct stat st;
	long fd;
	void *mem;

	fd = fr_syscall(SYS_openat, AT_FDCWD, path, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		*errp = errno;
		return NULL;
	}
	if (fr_syscall(SYS_fstat, fd, &st) < 0) {
		*errp = errno;
		goto out_close;
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077)) {
		*errp = EPERM;
		goto out_close;
	}
	if ((size_t)st.st_size != sizeof(struct fr_ctl)) {
		*errp = EINVAL;
		goto out_close;
	}
	mem = mmap(NULL, sizeof(struct fr_ctl), PROT_READ | PROT_WRITE, MAP_SHARED, (int)fd, 0);
	if (mem == MAP_FAILED) {
		*errp = errno;
		goto out_close;
	}
	fr_syscall(SYS_close, fd);
	if (!fr_ctl_validate(mem, sizeof(struct fr_ctl))) {
		munmap(mem, sizeof(struct fr_ctl));
		*errp = EINVAL;
		return NULL;
	}
	return mem;

out_close:
	fr_syscall(SYS_close, fd);
	return NULL;
}

struct fr_ctl *fr_ctl_attach(const char *path)
{
	int saved = errno, err = 0;
	struct fr_ctl *c = fr_ctl_map(path, &err);

	errno = saved;
	return c;
}

bool fr_ctl_armed(const struct fr_ctl *c, unsigned idx)
{
	if (idx >= FR_MAX_RULES)
		return false;
	return atomic_load_explicit(&c->slots[idx].ready, memory_order_acquire) &&
	       atomic_load_explicit(&c->slots[idx].armed, memory_order_relaxed);
}

/* splitmix64: a stateless, well-mixed hash for probability decisions. */
static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

bool fr_ctl_fire(struct fr_ctl *c, unsigned idx)
{
	uint64_t now;

	return fr_ctl_fire_at(c, idx, &now);
}

bool fr_ctl_fire_at(struct fr_ctl *c, unsigned idx, uint64_t *now)
{
	struct fr_ctl_slot *s;
	uint64_t k, inj, zero = 0;

	if (idx >= FR_MAX_RULES)
		return false;
	s = &c->slots[idx];
	k = atomic_fetch_add_explicit(&s->matched, 1, memory_order_relaxed);
	if (k < s->rule.after)
		return false;
	/*
	 * The k-th matching call of rule idx injects when hash(seed, idx, k)
	 * falls under the threshold: the same seed gives the same decisions
	 * for the same sequence of calls, in every process, without state.
	 */
	if ((s->rule.flags & FR_RULE_PROB) &&
	    mix64(c->seed ^ mix64(((uint64_t)idx << 56) ^ k)) >= s->rule.prob_threshold)
		return false;
	inj = atomic_load_explicit(&s->injected, memory_order_relaxed);
	do {
		if (s->rule.times && inj >= s->rule.times)
			return false;
	} while (!atomic_compare_exchange_weak_explicit(
		&s->injected, &inj, inj + 1, memory_order_relaxed, memory_order_relaxed));

	*now = fr_now_ns();
	/* set once: a locked compare-and-swap on every injection is not needed for that */
	if (!atomic_load_explicit(&s->first_ns, memory_order_relaxed))
		atomic_compare_exchange_strong_explicit(&s->first_ns, &zero, *now,
							memory_order_relaxed, memory_order_relaxed);
	atomic_store_explicit(&s->last_ns, *now, memory_order_relaxed);
	return true;
}

void fr_ctl_unfire(struct fr_ctl *c, unsigned idx)
{
	struct fr_ctl_slot *s;

	if (idx >= FR_MAX_RULES)
		return;
	s = &c->slots[idx];
	atomic_fetch_sub_explicit(&s->matched, 1, memory_order_relaxed);
	if (atomic_fetch_sub_explicit(&s->injected, 1, memory_order_relaxed) == 1) {
		/* it was the only injection: no time of one either */
		atomic_store_explicit(&s->first_ns, 0, memory_order_relaxed);
		atomic_store_explicit(&s->last_ns, 0, memory_order_relaxed);
	}
}

uint64_t fr_ctl_budget_take(struct fr_ctl *c, unsigned idx, uint64_t want)
{
	struct fr_ctl_slot *s;
	int64_t left, give;

	if (idx >= FR_MAX_RULES)
		return 0;
	s = &c->slots[idx];
	left = atomic_load_explicit(&s->budget, memory_order_relaxed);
	do {
		if (left <= 0)
			return 0;
		give = (uint64_t)left < want ? left : (int64_t)want;
	} while (!atomic_compare_exchange_weak_explicit(
		&s->budget, &left, left - give, memory_order_relaxed, memory_order_relaxed));
	atomic_fetch_add_explicit(&s->bytes, (uint64_t)give, memory_order_relaxed);
	return (uint64_t)give;
}

void fr_ctl_event(struct fr_ctl *c, unsigned idx, enum fr_op op, int err, const char *where)
{
	fr_ctl_event_pid(c, (int)fr_syscall(SYS_getpid), idx, op, err, where);
}

size_t fr_where_copy(char *out, size_t size, const char *s)
{
	size_t n = strnlen(s, size), keep;

	if (n < size) {
		memcpy(out, s, n + 1);
		return n;
	}
	if (size < 8) { /* no room for an end worth naming: its start */
		memcpy(out, s, size - 1);
		out[size - 1] = '\0';
		return size - 1;
	}
	n += strlen(s + n);
	keep = size - 4; /* "..." and the NUL */
	memcpy(out, "...", 3);
	memcpy(out + 3, s + n - keep, keep + 1);
	return size - 1;
}

void fr_ctl_event_pid(struct fr_ctl *c, int pid, unsigned idx, enum fr_op op, int err,
		      const char *where)
{
	fr_ctl_event_at(c, pid, idx, op, err, where, 0);
}

void fr_ctl_event_at(struct fr_ctl *c, int pid, unsigned idx, enum fr_op op, int err,
		     const char *where, uint64_t ns)
{
	uint64_t n = atomic_fetch_add_explicit(&c->event_head, 1, memory_order_relaxed);
	struct fr_ctl_event *e = &c->events[n % FR_CTL_EVENTS];
	uint64_t cur = atomic_load_explicit(&e->seq, memory_order_relaxed);
	size_t i = 0;

	/*
	 * Claim the slot: when the ring wraps while another writer still
	 * fills this slot, two writers would interleave and a reader could
	 * accept a torn event under a valid seq (found by TSan, test-shim-
	 * process). The later writer drops its event instead: the ring is a
	 * recent-history sample, the counters stay exact.
	 */
	if (cur == FR_CTL_EVENT_BUSY ||
	    !atomic_compare_exchange_strong_explicit(&e->seq, &cur, FR_CTL_EVENT_BUSY,
						     memory_order_acquire, memory_order_relaxed))
		return;
	atomic_thread_fence(memory_order_release);
	e->time_ns = ns ? ns : fr_now_ns();
	e->pid = (int32_t)pid;
	e->rule = (uint16_t)idx;
	e->op = (uint8_t)op;
	e->action = idx < FR_MAX_RULES ? (uint8_t)c->slots[idx].rule.action : 0;
	e->err = err;
	/* the name, NUL-padded: one copy, not a byte loop */
	if (where)
		i = fr_where_copy(e->where, sizeof(e->where), where);
	memset(e->where + i, 0, sizeof(e->where) - i);
	atomic_store_explicit(&e->seq, n + 1, memory_order_release);
}

uint64_t fr_ctl_rules_over(const struct fr_ctl *c, uint64_t cand, enum fr_action action,
			   const char *abs, bool (*match)(const struct fr_rule *, const char *))
{
	char probe[PATH_MAX + 4];
	size_t l = strlen(abs);
	uint64_t hit = 0;

	if (l >= PATH_MAX)
		return 0;
	memcpy(probe, abs, l);
	if (l && probe[l - 1] == '/')
		l--;
	memcpy(probe + l, "/x", 3);
	while (cand) {
		unsigned i = (unsigned)__builtin_ctzll(cand);
		const struct fr_rule *r = &c->slots[i].rule;

		cand &= cand - 1;
		if (i < fr_ctl_count(c) && r->action == action && fr_ctl_armed(c, i) &&
		    (match(r, abs) || match(r, probe)))
			hit |= 1ull << i;
	}
	return hit;
}

bool fr_ctl_disk_space(struct fr_ctl *c, uint64_t hit, uint64_t *cap, uint64_t *freeb, uint64_t *bs)
{
	unsigned i;
	int64_t f;

	if (!hit)
		return false;
	i = (unsigned)__builtin_ctzll(hit);
	fr_disk_reclaim(c, i);
	f = atomic_load_explicit(&c->slots[i].budget, memory_order_relaxed);
	*freeb = f > 0 ? (uint64_t)f : 0;
	*cap = atomic_load_explicit(&c->slots[i].capacity, memory_order_relaxed);
	*bs = fr_disk_block(&c->slots[i].rule);
	return true;
}

bool fr_ctl_budget_least(const struct fr_ctl *c, uint64_t hit, uint64_t *left)
{
	bool found = false;

	while (hit) {
		unsigned i = (unsigned)__builtin_ctzll(hit);
		int64_t b = atomic_load_explicit(&c->slots[i].budget, memory_order_relaxed);

		hit &= hit - 1;
		if (b < 0)
			b = 0;
		if (!found || (uint64_t)b < *left)
			*left = (uint64_t)b;
		found = true;
	}
	return found;
}
