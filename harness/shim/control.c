/*
 * The decision: given a call that met the hot-path test, which armed rule
 * (if any) applies and what it does.
 *
 * Reached only when armed_ops has a bit for the call's operation. Runs with
 * errno saved, uses no lock and no allocation, so it is as
 * async-signal-safe as the call it decides (write() in a signal handler
 * included). It calls no wrapped function (raw syscalls, atomics, our own
 * glob matcher), so it needs no re-entry guard: a signal handler that
 * interrupts it decides its own call normally. Only initialisation holds
 * the guard, and a call made during it is not decided.
 *
 * The order is fixed: the rules armed for the operation (armed_rules[op],
 * bounded by the published slot count), then the call's own selectors (the
 * fd table, or the path argument), then proc= (cached per process), then,
 * rule by rule in slot order, fr_ctl_fire (after=, probability=, times=)
 * and the action. The first rule that injects decides; budgets are taken
 * before.
 */
#include "sock.h"
#include "../fault/glob.h"
#include "../fault/select.h"

#include <limits.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>

uint64_t shim_armed_rules(struct fr_ctl *c, enum fr_op op)
{
	uint64_t m = atomic_load_explicit(&c->armed_rules[op], memory_order_acquire);
	unsigned n = fr_ctl_count(c);

	if (n < 64)
		m &= (1ull << n) - 1;
	return m;
}

/*
 * proc=: the slots whose process glob matches this process, evaluated
 * once per slot. The names tried are argv[0]'s basename, the kernel's comm
 * (prctl) and the executable's basename (/proc/self/exe), so "python3"
 * matches a python3.11 binary started as python3. Inherited by fork (same
 * program); exec starts over.
 */
static _Atomic uint64_t proc_known, proc_match;

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

static __attribute__((noinline)) void proc_resolve(struct fr_ctl *c, uint64_t missing)
{
	char comm[17] = "", exe[PATH_MAX] = "";
	const char *argv0 = program_invocation_short_name;
	long n;
	uint64_t known = 0, match = 0;

	if (fr_syscall(SYS_prctl, PR_GET_NAME, comm) != 0)
		comm[0] = '\0';
	n = fr_syscall(SYS_readlink, "/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	while (missing) {
		unsigned i = (unsigned)__builtin_ctzll(missing);
		const struct fr_rule *r = &c->slots[i].rule;

		missing &= missing - 1;
		if (!atomic_load_explicit(&c->slots[i].ready, memory_order_acquire))
			continue;
		known |= 1ull << i;
		if (!r->proc[0] || (argv0 && fr_glob_match(r->proc, sizeof(r->proc), argv0)) ||
		    (comm[0] && fr_glob_match(r->proc, sizeof(r->proc), comm)) ||
		    (exe[0] && fr_glob_match(r->proc, sizeof(r->proc), base_name(exe))))
			match |= 1ull << i;
	}
	atomic_fetch_or_explicit(&proc_match, match, memory_order_release);
	atomic_fetch_or_explicit(&proc_known, known, memory_order_release);
}

static uint64_t proc_filter(struct fr_ctl *c, uint64_t cand)
{
	uint64_t missing = cand & ~atomic_load_explicit(&proc_known, memory_order_acquire);

	if (unlikely(missing))
		proc_resolve(c, missing);
	return cand & atomic_load_explicit(&proc_match, memory_order_acquire);
}

/* Give bytes back to a budget (a write moved fewer than it was granted). */
static void budget_give_back(struct fr_ctl *c, int idx, size_t bytes)
{
	if (idx < 0 || idx >= FR_MAX_RULES || !bytes)
		return;
	atomic_fetch_add_explicit(&c->slots[idx].budget, (int64_t)bytes, memory_order_relaxed);
	atomic_fetch_sub_explicit(&c->slots[idx].bytes, (uint64_t)bytes, memory_order_relaxed);
}

void shim_settle(const struct shim_verdict *v, ssize_t done)
{
	size_t used = done > 0 ? (size_t)done : 0;

	if (v->disk.file >= 0 && shim_ctl) {
		int saved = errno;

		fr_disk_settle(shim_ctl, (unsigned)v->disk_rule, &v->disk, done);
		errno = saved;
	}
	if (v->taken > used && shim_ctl)
		budget_give_back(shim_ctl, v->budget_rule, v->taken - used);
	if (unlikely(v->limit_rule >= 0))
		shim_limit_settle(v, done);
	if (v->rate_taken > used)
		shim_rate_give_back(v->rate_fd, v->op, (unsigned)v->rate_rule, v->rate_taken, used,
				    v->rate_ns);
}

static const char *outcome_name(const struct shim_verdict *v)
{
	switch (v->what) {
	case SHIM_FAIL:
		return "errno";
	case SHIM_LIMIT:
		return "short";
	case SHIM_DELAY:
		return "delay";
	case SHIM_STALL:
		return "stall";
	case SHIM_RESET:
		return "reset";
	case SHIM_REFUSE:
		return "refuse";
	default:
		return "pass";
	}
}

/* Counters are done; write the event and the debug line. */
static void record(struct fr_ctl *c, const struct shim_verdict *v, const char *fn, int fd,
		   const char *where)
{
	char buf[FR_CTL_WHERE_MAX], detail[64] = "";
	int err = v->what == SHIM_FAIL || v->what == SHIM_RESET || v->what == SHIM_REFUSE ? v->err :
											    0;

	if (!where && fd >= 0 && shim_fd_where_get(fd, buf, sizeof(buf))) {
		where = buf;
	} else if (!where && fd >= 0) {
		uint32_t info = shim_fd_where_begin(fd);
		int r = shim_fd_path_tail(fd, buf, sizeof(buf));

		/* a socket is named by its peer ("127.0.0.1:3306") */
		if (r == 0 && strncmp(buf, "socket:", 7) == 0)
			shim_sock_where(fd, buf, sizeof(buf));
		if (r == 0 && buf[0])
			where = buf;
		else if (r == -ENAMETOOLONG)
			where = "(long path)"; /* past PATH_MAX */
		shim_fd_where_put(fd, info, where);
	}
	fr_ctl_event_at(c, shim_self_pid(), v->rule, v->op, err, where, v->fired_ns);
	if (likely(!shim_debug))
		return;
	/* what was drawn (jitter=, slice=), so that two runs can be compared */
	if (v->what == SHIM_DELAY && v->slice)
		snprintf(detail, sizeof(detail), " %lluns, then %zu bytes",
			 (unsigned long long)v->ns, v->slice);
	else if (v->what == SHIM_DELAY)
		snprintf(detail, sizeof(detail), " %lluns", (unsigned long long)v->ns);
	else if (v->what == SHIM_LIMIT)
		snprintf(detail, sizeof(detail), " %zu bytes", v->allow);
	SHIM_DEBUG("%s(%s%s): rule \"%.*s\": %s%s%s%s", fn, where ? where : "fd", "",
		   (int)sizeof(c->slots[0].rule.name), c->slots[v->rule].rule.name, outcome_name(v),
		   detail, err ? " " : "",
		   err < 0 ? gai_strerror(err) :
		   err	   ? strerrorname_np(err) :
			     "");
}

/*
 * The identity check before an injection on an fd (shim_fd_confirm): done
 * only once a rule has decided to inject (a stall: just before, as its
 * first injection opens its window), at most once per call, and not at
 * all when the fd's entry was resolved in this very call or the call
 * names no fd. Calls that merely match (after=, probability=, a budget
 * that still fits) pay nothing. `stale` tells the caller to resolve the fd
 * again and decide anew; the injection is taken back (fr_ctl_unfire).
 */
struct confirm {
	int fd; /* -1: nothing to confirm */
	bool stale;
};

static bool confirmed(struct confirm *cf)
{
	if (cf->fd < 0)
		return true;
	if (!shim_fd_confirm(cf->fd)) {
		cf->stale = true;
		return false;
	}
	cf->fd = -1; /* confirmed for the rest of this call */
	return true;
}

/*
 * A budget rule for a call moving `want` bytes. Returns true when the call
 * is injected (v says how: a short crossing write, or ENOSPC); false when
 * the rule lets it pass (the bytes fit: v keeps them to settle later; or
 * the rule did not fire).
 */
static bool decide_budget(struct fr_ctl *c, unsigned i, enum fr_op op, size_t want, unsigned flags,
			  struct shim_verdict *v)
{
	struct fr_ctl_slot *s = &c->slots[i];
	uint64_t got;

	if ((flags & SHIM_NOBUDGET) || v->budget_rule >= 0 ||
	    (op != FR_OP_WRITE && op != FR_OP_ALLOCATE))
		return false;
	got = fr_ctl_budget_take(c, i, want);
	if (got == want) {
		/* fits: a match, not an injection */
		atomic_fetch_add_explicit(&s->matched, 1, memory_order_relaxed);
		v->budget_rule = (int)i;
		v->taken = got;
		return false;
	}
	if (!fr_ctl_fire(c, i)) {
		budget_give_back(c, (int)i, got);
		return false;
	}
	v->rule = i;
	v->err = ENOSPC;
	if (got && op == FR_OP_WRITE) {
		/* the crossing write is short */
		v->what = SHIM_LIMIT;
		v->allow = got;
		v->budget_rule = (int)i;
		v->taken = got;
	} else {
		/* full, or an allocation that does not fit */
		budget_give_back(c, (int)i, got);
		v->what = SHIM_FAIL;
	}
	return true;
}

/* The bytes an injecting verdict keeps of what earlier budgets gave. */
static void settle_injection(struct fr_ctl *c, size_t want, struct shim_verdict *v)
{
	/* a failing call moves nothing: return what an earlier budget gave */
	if (v->what != SHIM_LIMIT && v->what != SHIM_DELAY && v->what != SHIM_STALL &&
	    v->rate_taken) {
		shim_rate_give_back(v->rate_fd, v->op, (unsigned)v->rate_rule, v->rate_taken, 0,
				    v->rate_ns);
		v->rate_taken = 0;
		v->rate_rule = -1;
	}
	if (v->what != SHIM_LIMIT && v->what != SHIM_DELAY && v->what != SHIM_STALL && v->taken) {
		budget_give_back(c, v->budget_rule, v->taken);
		v->taken = 0;
		v->budget_rule = -1;
	} else if (v->what == SHIM_DELAY || v->what == SHIM_STALL) {
		v->allow = v->slice ? v->slice : want;
	} else if (v->what == SHIM_LIMIT && v->taken > v->allow) {
		budget_give_back(c, v->budget_rule, v->taken - v->allow);
		v->taken = v->allow;
	}
	/* a close-after= connection moves no more than it has left */
	shim_limit_cap(v, want);
}

/*
 * fr_ctl_fire(), but a connection per=connection chose is affected on
 * every call. The time it counted the injection at goes to the event.
 */
static inline bool fire(struct fr_ctl *c, unsigned i, bool forced, struct shim_verdict *v)
{
	return forced || fr_ctl_fire_at(c, i, &v->fired_ns);
}

/* The disk rules among cand (SHIM_DISK_ONLY: stdio's flush at exit). */
static __attribute__((noinline, cold)) uint64_t disk_only(struct fr_ctl *c, uint64_t cand)
{
	uint64_t m = 0;

	while (cand) {
		unsigned i = (unsigned)__builtin_ctzll(cand);

		cand &= cand - 1;
		if (c->slots[i].rule.action == FR_ACT_DISK)
			m |= 1ull << i;
	}
	return m;
}

/*
 * delay= (its duration drawn within jitter=, then cut to a slice=) and
 * slice= alone (a short count the kernel could give, shape.c). Returns
 * whether rule i injects this call.
 */
static bool decide_shaped(struct fr_ctl *c, unsigned i, enum fr_op op, int fd, size_t want,
			  unsigned flags, bool forced, struct shim_verdict *v)
{
	const struct fr_rule *r = &c->slots[i].rule;

	if (r->action == FR_ACT_SHORT) {
		if (!shim_shape_slice(c, i, fd, op, want, flags, &v->allow) ||
		    !fire(c, i, forced, v))
			return false;
		v->what = SHIM_LIMIT;
		return true;
	}
	if (!fire(c, i, forced, v))
		return false;
	v->what = SHIM_DELAY;
	v->ns = shim_shape_delay(c, i, fd, op);
	if (r->rate && fd >= 0 && v->rate_rule < 0) {
		/* delay= rate=: the bucket is taken from once the delay is over */
		v->rate_rule = (int)i;
		v->rate_fd = fd;
	}
	if (r->slice_max)
		(void)shim_shape_slice(c, i, fd, op, want, flags, &v->slice);
	return true;
}

/* errno=, error=, reset and refuse: whether rule i fails the call (v says how). */
static bool decide_fail(struct fr_ctl *c, unsigned i, bool forced, struct shim_verdict *v)
{
	const struct fr_rule *r = &c->slots[i].rule;

	/* errno= is positive; resolve's error= an EAI_* code, negative (wrap_dns.c returns it) */
	if ((r->action == FR_ACT_ERRNO && r->err <= 0) ||
	    (r->action == FR_ACT_GAIERR && r->err >= 0) || !fire(c, i, forced, v))
		return false;
	switch (r->action) {
	case FR_ACT_RESET:
		v->what = SHIM_RESET;
		v->err = ECONNRESET;
		break;
	case FR_ACT_REFUSE:
		v->what = SHIM_REFUSE;
		v->err = ECONNREFUSED;
		break;
	default:
		v->what = SHIM_FAIL;
		v->err = r->err;
		break;
	}
	return true;
}

/* No rule injected: the bytes of a call budgets, disks or close-after= count. */
static enum shim_outcome decided_count(size_t want, struct shim_verdict *v)
{
	if (v->budget_rule >= 0 || v->disk_rule >= 0 || v->limit_rule >= 0 || v->rate_taken) {
		v->what = SHIM_COUNT;
		v->allow = want;
		shim_limit_cap(v, want);
	}
	return v->what;
}

static enum shim_outcome decide(struct fr_ctl *c, enum fr_op op, uint64_t cand, size_t want,
				unsigned flags, const char *fn, int fd, const char *where,
				struct confirm *cf, struct shim_verdict *v)
{
	bool counted = true;
	int k;

	v->op = op;
	if (unlikely(flags & SHIM_DISK_ONLY))
		cand = disk_only(c, cand);
	cand = proc_filter(c, cand);
	while (cand) {
		unsigned i = (unsigned)__builtin_ctzll(cand);
		const struct fr_rule *r = &c->slots[i].rule;
		bool forced = false;

		cand &= cand - 1;
		if (!fr_ctl_armed(c, i))
			continue; /* disarmed since the mask was read */
		/* per=connection: a connection is chosen once, then every call on it is */
		if (unlikely(r->flags & FR_RULE_PER_CONN) && !(forced = shim_conn_pick(c, i, fd)))
			continue;
		counted = !forced;
		switch (r->action) {
		case FR_ACT_BUDGET:
			if (!decide_budget(c, i, op, want, flags, v))
				continue;
			goto out_inject;
		case FR_ACT_DISK:
			/* in its tree: the wrapper charges or frees (disk.c) */
			if (v->disk_rule < 0) {
				v->disk_rule = (int)i;
				atomic_fetch_add_explicit(&c->slots[i].matched, 1,
							  memory_order_relaxed);
			}
			continue;
		case FR_ACT_ERRNO:
		case FR_ACT_GAIERR:
		case FR_ACT_RESET:
		case FR_ACT_REFUSE:
			if (!decide_fail(c, i, forced, v))
				continue;
			break;
		case FR_ACT_DELAY:
		case FR_ACT_SHORT:
			if (r->rate && r->action == FR_ACT_SHORT) {
				if (shim_rate_decide(c, i, op, fd, want, flags, v))
					break;
				if (!r->slice_max)
					continue;
			}
			if (r->action == FR_ACT_DELAY || r->slice_max) {
				if (!decide_shaped(c, i, op, fd, want, flags, forced, v))
					continue;
				break;
			}
			if ((flags & SHIM_NOBUDGET) || want < 2 || !fire(c, i, forced, v))
				continue;
			v->what = SHIM_LIMIT;
			v->allow = want / 2;
			v->err = ENOSPC; /* what stdio reports for it */
			break;
		case FR_ACT_STALL:
		case FR_ACT_BLACKHOLE: /* a stall with no end (wrap_sock.c tells them apart) */
			/*
			 * sockets: stall=DURATION is a window (stall.c) that
			 * its first injection opens, so confirm before
			 */
			if (!confirmed(cf))
				goto out_stale;
			if (!shim_stall_fire(c, i, op))
				continue;
			v->what = SHIM_STALL;
			v->ns = r->amount;
			break;
		case FR_ACT_SLOWCLOSE:
			/* only the close itself (shim_slow_close), never a send or recv */
			if (!(flags & SHIM_CLOSING) || !fire(c, i, forced, v))
				continue;
			v->what = SHIM_DELAY;
			v->ns = r->amount;
			break;
		case FR_ACT_DROP:
		case FR_ACT_DUPLICATE:
		case FR_ACT_REORDER:
			/* stdio and the in-kernel copies cannot carry them: never fired there */
			k = flags & (SHIM_STDIO | SHIM_NO_DGRAM) ?
				    0 :
				    shim_dgram_decide(c, i, op, fd, forced, v);
			if (k == 0)
				continue;
			if (k == 2)
				return v->what; /* a held datagram's turn: no injection */
			break;
		case FR_ACT_CLOSE:
			k = shim_limit_decide(c, i, op, fd, want, forced, v);
			if (k == SHIM_LIM_PASS || k == SHIM_LIM_COUNT)
				continue;
			counted = k == SHIM_LIM_INJECT;
			break;
		default:
			continue;
		}
		v->rule = i;
		goto out_inject;
	}
	return decided_count(want, v);

out_inject:
	/* an injection on an fd: still the object its entry was made for? */
	if (!confirmed(cf)) {
		if (counted)
			fr_ctl_unfire(c, v->rule);
		v->fired_ns = 0;
		goto out_stale;
	}
	if (unlikely(v->limit_shut))
		shim_limit_shut(v);
	settle_injection(c, want, v);
	record(c, v, fn, fd, where);
	return v->what;

out_stale:
	/* a stale entry decided nothing: return what a budget gave */
	if (v->taken)
		budget_give_back(c, v->budget_rule, v->taken);
	if (v->rate_taken)
		shim_rate_give_back(v->rate_fd, v->op, (unsigned)v->rate_rule, v->rate_taken, 0,
				    v->rate_ns);
	shim_verdict_init(v, op);
	return SHIM_PASS;
}

void shim_verdict_init(struct shim_verdict *v, enum fr_op op)
{
	v->what = SHIM_PASS;
	v->op = op;
	v->err = 0;
	v->rule = 0;
	v->ns = 0;
	v->allow = 0;
	v->taken = 0;
	v->budget_rule = -1;
	v->kind = SHIM_FD_UNKNOWN;
	v->disk_rule = -1;
	v->disk.file = -1;
	v->disk.charge = 0;
	v->stream_file = -1; /* stream_size is read only when this is set */
	v->slice = 0;
	v->limit_rule = -1;
	v->limit_fd = -1;
	v->limit_left = 0;
	v->limit_shut = false;
	v->rate_rule = -1;
	v->rate_fd = -1;
	v->rate_taken = 0;
	v->rate_ns = 0;
	v->fired_ns = 0;
}

enum shim_outcome shim_decide_mask(struct fr_ctl *c, enum fr_op op, uint64_t cand, size_t want,
				   unsigned flags, const char *fn, const char *where,
				   struct shim_verdict *v)
{
	enum shim_outcome o;
	int saved = errno;

	struct confirm cf = { -1, false };

	shim_verdict_init(v, op);
	if (!c || !cand || shim_depth > 0)
		return SHIM_PASS;
	o = decide(c, op, cand, want, flags, fn, -1, where, &cf, v);
	errno = saved;
	return o;
}

enum shim_outcome shim_decide_fd(enum fr_op op, int fd, size_t want, const char *fn, unsigned flags,
				 struct shim_verdict *v)
{
	struct fr_ctl *c = shim_ctl;
	enum fr_op alt = op == FR_OP_WRITE ? FR_OP_SEND : op == FR_OP_READ ? FR_OP_RECV : op;
	enum fr_op asked = op;
	uint64_t om, am, m;
	enum shim_fd_kind kind;
	enum shim_outcome o = SHIM_PASS;
	struct confirm cf;
	bool fresh = false;
	int saved;

	shim_verdict_init(v, op);
	if (!c || shim_depth > 0)
		return SHIM_PASS;
	om = shim_armed_rules(c, op);
	am = alt != op ? shim_armed_rules(c, alt) : 0;
	if (!(om | am))
		return SHIM_PASS;
	saved = errno;
again:
	m = shim_fd_match(fd, om | am, &kind, &fresh);
	v->kind = kind;
	op = asked;
	if (kind == SHIM_FD_SOCKET && alt != op) {
		op = alt;
		m &= am;
	} else {
		m &= om;
	}
	/* a socket already stalled or delayed: that episode, counted once */
	if (kind == SHIM_FD_SOCKET && shim_sock_episode(fd, op, want, v)) {
		/* held on a number reused unseen? forgetting ends the episode */
		if (!fresh && !shim_fd_confirm(fd)) {
			shim_verdict_init(v, asked);
			fresh = true;
			goto again;
		}
		/* delay= slice=: every call the episode holds is cut too */
		if (v->what == SHIM_DELAY && c->slots[v->rule].rule.slice_max &&
		    shim_shape_slice(c, v->rule, fd, op, want, flags, &v->slice))
			v->allow = v->slice;
		/* a rate= episode: the bucket is taken from once it is over */
		if (v->what == SHIM_DELAY && c->slots[v->rule].rule.rate) {
			v->rate_rule = (int)v->rule;
			v->rate_fd = fd;
		}
		o = v->what;
	} else if (m) {
		/* the entry read now is the fd's: nothing to confirm */
		cf.fd = fresh ? -1 : fd;
		cf.stale = false;
		o = decide(c, op, m, want, flags, fn, fd, NULL, &cf, v);
		if (cf.stale) {
			/* forgotten: resolve it afresh (fresh is now set) */
			fresh = true;
			goto again;
		}
	}
	v->kind = kind;
	errno = saved;
	return o;
}

/*
 * The subset of cand whose path glob matches path (made absolute); *name
 * is that absolute path (path itself when it is already absolute and
 * normal, else made in buf), or NULL when it cannot be told.
 */
static __attribute__((noinline)) uint64_t match_path(struct fr_ctl *c, uint64_t cand, int dirfd,
						     const char *path, char *buf, size_t len,
						     const char **name)
{
	uint64_t pathm, any;

	*name = NULL;
	/* rules without a path select every path; only path rules need it */
	shim_rule_classes(c, fr_ctl_count(c), &pathm, &any);
	pathm &= cand;
	any &= cand;
	/* the path made absolute: for the path rules, and to name a match */
	if ((pathm || any) && (*name = shim_path_view(dirfd, path, buf, len)))
		return any | (pathm ? shim_match_files(c, pathm, *name) : 0);
	/* cannot tell where it is: only rules without a path apply */
	return any;
}

/* The slots of cand whose mode= admits an open for writing (or not). */
static uint64_t mode_filter(struct fr_ctl *c, uint64_t cand, bool writes)
{
	uint64_t out = 0;

	while (cand) {
		unsigned i = (unsigned)__builtin_ctzll(cand);

		cand &= cand - 1;
		if (fr_rule_mode_admits(&c->slots[i].rule, writes))
			out |= 1ull << i;
	}
	return out;
}

/*
 * The calls naming paths: op's armed rules, or for an open those whose
 * mode= admits it (writes: -1 for calls that are not opens).
 */
static enum shim_outcome decide_paths(enum fr_op op, int writes, int dirfd1, const char *path1,
				      int dirfd2, const char *path2, const char *fn,
				      struct shim_verdict *v)
{
	struct fr_ctl *c = shim_ctl;
	char abs[PATH_MAX], abs2[PATH_MAX];
	const char *name = NULL, *name2;
	uint64_t cand, m;
	enum shim_outcome o = SHIM_PASS;
	int saved;

	shim_verdict_init(v, op);
	if (!c || shim_depth > 0 || !path1)
		return SHIM_PASS;
	cand = shim_armed_rules(c, op);
	if (cand && writes >= 0)
		cand = mode_filter(c, cand, writes);
	if (!cand)
		return SHIM_PASS;
	saved = errno;
	m = match_path(c, cand, dirfd1, path1, abs, sizeof(abs), &name);
	if (path2)
		m |= match_path(c, cand, dirfd2, path2, abs2, sizeof(abs2), &name2);
	if (m) {
		struct confirm cf = { -1, false };

		o = decide(c, op, m, 0, SHIM_NOBUDGET, fn, -1, name ? name : path1, &cf, v);
	}
	errno = saved;
	return o;
}

enum shim_outcome shim_decide_path2(enum fr_op op, int dirfd1, const char *path1, int dirfd2,
				    const char *path2, const char *fn, struct shim_verdict *v)
{
	return decide_paths(op, -1, dirfd1, path1, dirfd2, path2, fn, v);
}

enum shim_outcome shim_decide_path(enum fr_op op, int dirfd, const char *path, const char *fn,
				   struct shim_verdict *v)
{
	return decide_paths(op, -1, dirfd, path, AT_FDCWD, NULL, fn, v);
}

/*
 * An open of an absolute path, from what shim_open_quiet looked at: its
 * path is matched once against every published path rule, for the open's
 * own rules and for the new fd's entry (shim_fd_record_open), where it is
 * used with no copy when it is already normal.
 */
static __attribute__((noinline)) enum shim_outcome
decide_open_abs(struct fr_ctl *c, const char *path, bool writes, const char *fn,
		struct shim_open_facts *of, struct shim_verdict *v)
{
	char buf[PATH_MAX];
	const char *name = of->len ? path : NULL;
	uint64_t pathm = of->pathm, any = of->any, wm = 0, m;
	enum shim_outcome o = SHIM_PASS;
	int saved = errno;

	/* no rule that selects by path: the path is not even looked at */
	if (pathm && name)
		wm = shim_match_cands(c, of->cand, name);
	else if (pathm && (name = shim_abspath(AT_FDCWD, path, buf, sizeof(buf))))
		wm = shim_match_files(c, pathm, name);
	of->valid = true;
	of->known &= ~(pathm & ~wm); /* the rest waits for the kernel's path */
	of->match = any | wm;
	of->path = wm;
	m = shim_armed_rules(c, FR_OP_OPEN) & (any | wm);
	if (m)
		m = mode_filter(c, m, writes);
	if (m) {
		struct confirm cf = { -1, false };

		/* the event names the path made absolute and normal */
		if (!name)
			name = shim_path_view(AT_FDCWD, path, buf, sizeof(buf));
		o = decide(c, FR_OP_OPEN, m, 0, SHIM_NOBUDGET, fn, -1, name ? name : path, &cf, v);
	}
	errno = saved;
	return o;
}

enum shim_outcome shim_decide_open_rest(int dirfd, const char *path, bool writes, const char *fn,
					struct shim_open_facts *of, struct shim_verdict *v)
{
	if (of->looked) {
		shim_verdict_init(v, FR_OP_OPEN);
		return decide_open_abs(shim_ctl, path, writes, fn, of, v);
	}
	return decide_paths(FR_OP_OPEN, writes, dirfd, path, AT_FDCWD, NULL, fn, v);
}

enum shim_outcome shim_decide_open(int dirfd, const char *path, bool writes, const char *fn,
				   struct shim_open_facts *of, struct shim_verdict *v)
{
	uint64_t known, match, pathm;
	size_t len;

	/* fopen and freopen: the armed open's quick way (wrap_fd.c) too */
	if (shim_open_fast(path, &known, &match, &pathm, &len)) {
		of->valid = true;
		of->looked = false;
		of->known = known;
		of->match = match;
		of->path = 0;
		shim_verdict_init(v, FR_OP_OPEN);
		return SHIM_PASS;
	}
	if (shim_open_quiet(path, len, of)) {
		shim_verdict_init(v, FR_OP_OPEN);
		return SHIM_PASS;
	}
	return shim_decide_open_rest(dirfd, path, writes, fn, of, v);
}
