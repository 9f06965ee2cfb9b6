/*
 * Deciding one notified call, with the shim's rule semantics
 * (harness/shim/control.c): the rules armed for the operation
 * (armed_rules[op]), then the call's selectors (path=, host=, port=,
 * lport=, unix=, mode=, proc=), then, rule by rule in slot order,
 * fr_ctl_fire (after=, probability= with the run's seed, times=) counting
 * matched and injected in the block. The first rule that injects decides.
 *
 * A read or a write on a socket is a recv or a send, as in the shim; a
 * file's path is the kernel's (readlink), a named path is made absolute
 * and lexically normal against the thread's cwd or dirfd.
 */
#define _GNU_SOURCE
#include "sec_decide.h"
#include "sec_disk.h"
#include "sec_limit.h"
#include "sec_statfs.h"
#include "select.h"
#include "sec_facts.h"
#include "sec_io.h"
#include "dist.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/un.h>

/* The rules armed for op that this backend can apply (sec_action_ok). */
static uint64_t armed_for(struct fr_ctl *c, enum fr_op op)
{
	uint64_t m = atomic_load_explicit(&c->armed_rules[op], memory_order_acquire), out = 0;
	unsigned n = fr_ctl_count(c);

	if (n < 64)
		m &= (1ull << n) - 1;
	while (m) {
		unsigned i = (unsigned)__builtin_ctzll(m);
		const struct fr_rule *r = &c->slots[i].rule;

		m &= m - 1;
		if (sec_action_ok(r, op))
			out |= 1ull << i;
	}
	return out;
}

/* The event's name for the call (the ring keeps its last FR_CTL_WHERE_MAX - 4 bytes past "..."). */
static void set_where(struct sec_verdict *v, const char *s)
{
	fr_where_copy(v->where, sizeof(v->where), s);
}

/* fr_glob_match for select.h: the supervisor matches the pattern as it is */
static bool sec_glob(const struct fr_rule *r, const char *glob, size_t len, const char *s)
{
	(void)r;
	return fr_glob_match(glob, len, s);
}

bool sec_match_file(const struct fr_rule *r, const char *path)
{
	return fr_rule_match_file(r, path, sec_glob);
}

static unsigned addr_port(const struct sec_addr *a)
{
	if (a->len && a->ss.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)(const void *)&a->ss)->sin_port);
	if (a->len && a->ss.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)(const void *)&a->ss)->sin6_port);
	return 0;
}

/* A unix socket address's path ("" for none or an abstract one). */
static void unix_path_of(const struct sec_addr *a, char *out, size_t len)
{
	const struct sockaddr_un *un = (const void *)&a->ss;
	size_t pl;

	out[0] = '\0';
	if (!a->len || a->ss.ss_family != AF_UNIX || a->len <= sizeof(sa_family_t))
		return;
	pl = a->len - offsetof(struct sockaddr_un, sun_path);
	if (pl > sizeof(un->sun_path))
		pl = sizeof(un->sun_path);
	pl = strnlen(un->sun_path, pl);
	if (pl >= len)
		pl = len - 1;
	memcpy(out, un->sun_path, pl);
	out[pl] = '\0';
}

/* The address bytes of an IP socket address, as select.h takes them (16, IPv4 first). */
static const uint8_t *addr_bytes(const struct sec_addr *a)
{
	if (a->ss.ss_family == AF_INET)
		return (const uint8_t *)&((const struct sockaddr_in *)(const void *)&a->ss)
			->sin_addr;
	return (const uint8_t *)&((const struct sockaddr_in6 *)(const void *)&a->ss)->sin6_addr;
}

/* shim_rule_match_sock: peer (may be unknown), local (idem), the unix path ("": none) */
static bool match_sock(const struct fr_rule *r, const struct sec_addr *peer,
		       const struct sec_addr *local, const char *unix_path)
{
	bool ip_peer = peer->len && peer->ss.ss_family != AF_UNIX;
	struct fr_sock_facts f = {
		.peer = peer->len != 0,
		.local = local->len != 0,
		.peer_family = peer->len ? peer->ss.ss_family : 0,
		.local_family = local->len ? local->ss.ss_family : 0,
		.peer_port = (uint16_t)addr_port(peer),
		.local_port = (uint16_t)addr_port(local),
		.peer_addr = ip_peer ? addr_bytes(peer) : NULL,
		.unix_path = unix_path[0] ? unix_path : NULL,
	};

	/* a host= rule's address is compared only with an IP peer's */
	if ((r->flags & FR_RULE_HOST) && !ip_peer)
		return false;
	return fr_rule_match_sock(r, &f, sec_glob);
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

/* proc=: argv[0]'s basename, the thread's comm, the executable's basename (control.c) */
static uint64_t proc_filter(struct fr_ctl *c, uint64_t cand, int tid, int tgid)
{
	char comm[32], exe[FR_CTL_EXE_MAX * 4], argv0[256];
	uint64_t out = 0, rest = cand;
	bool read = false;

	while (rest) {
		unsigned i = (unsigned)__builtin_ctzll(rest);
		const struct fr_rule *r = &c->slots[i].rule;

		rest &= rest - 1;
		if (!r->proc[0]) {
			out |= 1ull << i;
			continue;
		}
		if (!read) {
			sec_comm(tid, comm, sizeof(comm));
			sec_exe_name(tgid, exe, sizeof(exe));
			sec_argv0(tgid, argv0, sizeof(argv0));
			read = true;
		}
		if ((argv0[0] && fr_glob_match(r->proc, sizeof(r->proc), base_name(argv0))) ||
		    (comm[0] && fr_glob_match(r->proc, sizeof(r->proc), comm)) ||
		    (exe[0] && fr_glob_match(r->proc, sizeof(r->proc), exe)))
			out |= 1ull << i;
	}
	return out;
}

/* The flags of an open: whether it writes (shim_open_writes); -1 when they cannot be read. */
static int open_writes(const struct sec_call *call, const struct seccomp_data *d, int tid)
{
	uint64_t flags;

	if (call->flags == -2)
		return 1; /* creat: O_CREAT|O_WRONLY|O_TRUNC */
	if (call->flags == -3) {
		/* openat2: struct open_how's first member is the flags */
		if (sec_read_mem(tid, d->args[2], &flags, sizeof(flags)) < 0)
			return -1;
	} else {
		flags = d->args[call->flags];
	}
	return (flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC));
}

static uint64_t mode_filter(struct fr_ctl *c, uint64_t cand, int writes)
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

/* The path argument idx (dirfd argument didx, -1: the cwd) made absolute, into out. */
static bool named_path(const struct seccomp_data *d, int tid, int didx, int idx, char *out,
		       size_t len)
{
	char raw[4096];
	int dirfd = didx < 0 ? AT_FDCWD : (int)d->args[didx];

	if (sec_read_str(tid, d->args[idx], raw, sizeof(raw)) < 0)
		return false;
	if (sec_abspath(tid, dirfd, raw, out, len) < 0) {
		/* cannot tell where: the rules without a path still apply */
		snprintf(out, len, "%s", raw);
		return false;
	}
	return true;
}

/* The files' rules of cand that path (NULL: unknown) meets. */
static uint64_t match_files(struct fr_ctl *c, uint64_t cand, const char *path)
{
	uint64_t m = 0;

	while (cand) {
		unsigned i = (unsigned)__builtin_ctzll(cand);

		cand &= cand - 1;
		if (sec_match_file(&c->slots[i].rule, path))
			m |= 1ull << i;
	}
	return m;
}

static uint64_t match_socks(struct fr_ctl *c, uint64_t cand, const struct sec_addr *peer,
			    const struct sec_addr *local)
{
	char up[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
	uint64_t m = 0;

	unix_path_of(peer, up, sizeof(up));
	if (!up[0])
		unix_path_of(local, up, sizeof(up)); /* the accepting side's path */
	while (cand) {
		unsigned i = (unsigned)__builtin_ctzll(cand);

		cand &= cand - 1;
		if (match_sock(&c->slots[i].rule, peer, local, up))
			m |= 1ull << i;
	}
	return m;
}

/* An fd call: the file's or the socket's rules; v->op becomes alt on a socket. */
static uint64_t fd_candidates(struct fr_ctl *c, const struct sec_call *call,
			      const struct seccomp_data *d, struct sec_verdict *v)
{
	uint64_t om = armed_for(c, call->op),
		 am = call->alt != call->op ? armed_for(c, call->alt) : 0;
	int fd = (int)d->args[call->fd];
	char path[4096];

	if (!(om | am))
		return 0;
	v->read_target = true;
	if (sec_fd_path(v->tid, fd, path, sizeof(path)) < 0)
		return 0; /* not an fd of the target (EBADF comes from the kernel) */
	v->fd = fd;
	if (strncmp(path, "socket:", 7) != 0) {
		set_where(v, path);
		return match_files(c, om, path);
	}
	if (!strncmp(path, "socket:[", 8))
		v->sock_ino = strtoull(path + 8, NULL, 10);
	if (call->alt != call->op) {
		v->op = call->alt;
		om = am;
	}
	if (!om)
		return 0;
	struct sec_addr peer, local;
	sec_sock_addrs(v->tgid, fd, &peer, &local);
	sec_addr_fmt(peer.len ? &peer : &local, v->where, sizeof(v->where));
	if (!strcmp(v->where, "unix:"))
		sec_addr_fmt(&local, v->where, sizeof(v->where));
	return match_socks(c, om, &peer, &local);
}

/* connect: the rules whose selectors the address it connects to meets (match_addr). */
static uint64_t connect_candidates(struct fr_ctl *c, const struct sec_call *call,
				   const struct seccomp_data *d, struct sec_verdict *v)
{
	uint64_t cand = armed_for(c, FR_OP_CONNECT);
	struct sec_addr peer = { 0 }, local = { 0 };
	size_t len = (size_t)d->args[call->addr + 1];

	if (!cand)
		return 0;
	v->read_target = true;
	if (len > sizeof(peer.ss))
		len = sizeof(peer.ss);
	if (len < sizeof(sa_family_t) ||
	    sec_read_mem(v->tid, d->args[call->addr], &peer.ss, len) < 0)
		return 0;
	peer.len = (socklen_t)len;
	if (peer.ss.ss_family != AF_INET && peer.ss.ss_family != AF_INET6 &&
	    peer.ss.ss_family != AF_UNIX)
		return 0;
	sec_addr_fmt(&peer, v->where, sizeof(v->where));
	return match_socks(c, cand, &peer, &local);
}

/* A call naming paths: open (with mode=), unlink, rename (either name)... */
static uint64_t path_candidates(struct fr_ctl *c, const struct sec_call *call,
				const struct seccomp_data *d, struct sec_verdict *v)
{
	uint64_t cand = armed_for(c, call->op), m;
	char abs[4096], abs2[4096];
	bool known;

	if (!cand)
		return 0;
	v->read_target = true;
	if (call->flags != -1)
		cand = mode_filter(c, cand, open_writes(call, d, v->tid));
	if (!cand)
		return 0;
	known = named_path(d, v->tid, call->dirfd, call->path, abs, sizeof(abs));
	set_where(v, abs);
	m = match_files(c, cand, known ? abs : NULL);
	if (call->path2 >= 0) {
		bool known2 = named_path(d, v->tid, call->dirfd2, call->path2, abs2, sizeof(abs2));

		m |= match_files(c, cand, known2 ? abs2 : NULL);
	}
	return m;
}

uint64_t sec_arm_tag(struct fr_ctl *c, unsigned i)
{
	return atomic_load_explicit(&c->slots[i].arm_count, memory_order_acquire);
}

bool sec_rule_live(struct fr_ctl *c, unsigned idx, uint64_t tag)
{
	return idx < FR_MAX_RULES && fr_ctl_armed(c, idx) && sec_arm_tag(c, idx) == tag &&
	       !atomic_load_explicit(&c->disabled, memory_order_relaxed);
}

/* The bytes the call asks to move (read once per call); false when they cannot be known. */
static bool sized(const struct seccomp_data *d, struct sec_verdict *v)
{
	if (!v->sized)
		v->sized = sec_io_want(v->tid, d, &v->want) == 0 ? 1 : -1;
	return v->sized > 0;
}

static void budget_give_back(struct fr_ctl *c, unsigned i, uint64_t bytes)
{
	if (!bytes)
		return;
	atomic_fetch_add_explicit(&c->slots[i].budget, (int64_t)bytes, memory_order_relaxed);
	atomic_fetch_sub_explicit(&c->slots[i].bytes, bytes, memory_order_relaxed);
}

/*
 * budget= (control.c's decide_budget): the call takes its bytes from the
 * shared counter; if they all fit it is a match and goes on, else it is
 * injected: the crossing write is cut to what was left, the next ones
 * (and an allocation that does not fit) fail with ENOSPC.
 */
static bool decide_budget(struct fr_ctl *c, unsigned i, const struct seccomp_data *d,
			  struct sec_verdict *v)
{
	uint64_t got;

	if (v->budget_rule >= 0 || (v->op != FR_OP_WRITE && v->op != FR_OP_ALLOCATE) ||
	    !sized(d, v))
		return false;
	got = fr_ctl_budget_take(c, i, v->want);
	if (got == v->want) {
		/* fits: a match, not an injection */
		atomic_fetch_add_explicit(&c->slots[i].matched, 1, memory_order_relaxed);
		v->counted |= 1ull << i;
		v->budget_rule = (int)i;
		v->taken = got;
		return false;
	}
	if (!fr_ctl_fire(c, i)) {
		budget_give_back(c, i, got);
		return false;
	}
	v->counted |= 1ull << i;
	v->err = ENOSPC;
	if (got && v->op == FR_OP_WRITE && sec_io_cuttable(v->tgid, d)) {
		v->what = SEC_CUT;
		v->allow = got;
		v->budget_rule = (int)i;
		v->taken = got;
	} else {
		/* full; an allocation that does not fit; a call faultrun cannot cut */
		budget_give_back(c, i, got);
		v->what = SEC_FAIL;
	}
	return true;
}

/* A 32-bit draw for rule i's next jitter= (splitmix64 of its seed and draw number). */
static uint32_t draw(struct fr_sec *s, const struct fr_rule *r, unsigned i)
{
	uint64_t x = r->seed + (uint64_t)i * 0x9e3779b97f4a7c15ull +
		     s->draws[i]++ * 0xbf58476d1ce4e5b9ull;

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return (uint32_t)((x ^ (x >> 31)) >> 32);
}

/*
 * slice=N or MIN..MAX: the most this call moves (drawn; kept in v->slice
 * by the caller's verdict), as shape.c's shim_shape_slice; the draws are
 * the rule's own sequence here, not per connection.
 */
static uint64_t slice_draw(struct fr_sec *s, const struct fr_rule *r, unsigned i)
{
	uint64_t n = r->slice_max;

	if (r->slice_min && r->slice_min < n)
		n = r->slice_min + draw(s, r, i) % (n - r->slice_min + 1);
	return n;
}

/* delay= [jitter= distribution= correlation=]: how long this call waits. */
static uint64_t delay_ns(struct fr_sec *s, const struct fr_rule *r, unsigned i)
{
	uint32_t u;

	if (!r->jitter)
		return r->amount;
	u = draw(s, r, i);
	if (r->correlation)
		u = fr_dist_correlate(u, s->last_u[i], r->correlation);
	s->last_u[i] = u;
	return fr_dist_delay(r->amount, r->jitter, r->distribution, u);
}

/* Rule i's stall=DURATION window in its arming `tag`: its end, 0 when none is open. */
static uint64_t window_end(struct fr_sec *s, const struct fr_rule *r, unsigned i, uint64_t tag)
{
	if (!r->amount || s->win_tag[i] != tag + 1)
		return 0;
	return s->win_start[i] + r->amount;
}

/* The episode of this socket and direction under rule i's arming tag, or NULL. */
static struct sec_episode *episode(struct fr_sec *s, uint64_t ino, enum fr_op op, unsigned i,
				   uint64_t tag)
{
	for (size_t k = 0; k < s->neps; k++)
		if (s->eps[k].ino == ino && s->eps[k].op == op && s->eps[k].rule == i &&
		    s->eps[k].tag == tag)
			return &s->eps[k];
	return NULL;
}

static void episode_add(struct fr_sec *s, struct fr_ctl *c, uint64_t ino, enum fr_op op, unsigned i,
			uint64_t tag)
{
	struct sec_episode *e;

	/* episodes of an arming that is over are gone */
	SEC_KEEP_LIVE(c, s->eps, s->neps);
	e = sec_grow(s->eps, s->neps, &s->capeps, 16, sizeof(*e));
	if (!e)
		return; /* not followed: the next call is decided anew */
	s->eps = e;
	s->eps[s->neps++] = (struct sec_episode){
		.ino = ino, .tag = tag, .rule = (uint16_t)i, .op = (uint8_t)op
	};
}

/*
 * stall (stall.c): on a socket only. Its first injection in an arming
 * opens the stall=DURATION window and an episode on the socket and
 * direction, which holds every later call there without counting it
 * again, until the rule is disarmed or armed again or the window ends.
 */
static bool decide_stall(struct fr_sec *s, struct fr_ctl *c, unsigned i, struct sec_verdict *v)
{
	const struct fr_rule *r = &c->slots[i].rule;
	uint64_t tag = sec_arm_tag(c, i), end, now = fr_now_ns();

	if (!v->sock_ino)
		return false;
	end = window_end(s, r, i, tag);
	if (end && now >= end)
		return false; /* the peer came back: nothing more until armed again */
	v->what = SEC_STALL;
	v->tag = tag;
	if (episode(s, v->sock_ino, v->op, i, tag)) {
		v->episode = true;
		v->ns = end;
		return true;
	}
	v->counted |= 1ull << i;
	if (!fr_ctl_fire(c, i))
		return false;
	if (r->amount && s->win_tag[i] != tag + 1) {
		s->win_tag[i] = tag + 1;
		s->win_start[i] = now;
	}
	v->ns = window_end(s, r, i, tag);
	episode_add(s, c, v->sock_ino, v->op, i, tag);
	return true;
}

/*
 * blackhole (stall.c): on recv a stall with no end; on send each call's
 * bytes are taken and dropped, its full count answered, until the
 * socket's send buffer (SO_SNDBUF, read as the episode begins) is used
 * up, and then held as a stall is (SO_SNDTIMEO, O_NONBLOCK's EAGAIN, the
 * wake at the clear). What was swallowed is lost, as on a vanished path.
 */
static bool decide_blackhole(struct fr_sec *s, struct fr_ctl *c, unsigned i,
			     const struct seccomp_data *d, struct sec_verdict *v)
{
	uint64_t tag = sec_arm_tag(c, i);
	struct sec_episode *ep;

	if (v->op != FR_OP_SEND)
		return decide_stall(s, c, i, v);
	if (!v->sock_ino)
		return false;
	ep = episode(s, v->sock_ino, v->op, i, tag);
	if (ep) {
		v->episode = true;
	} else {
		v->counted |= 1ull << i;
		if (!fr_ctl_fire(c, i))
			return false;
		episode_add(s, c, v->sock_ino, v->op, i, tag);
		ep = episode(s, v->sock_ino, v->op, i, tag);
		if (ep)
			ep->cap = sec_sock_sndbuf(v->tgid, v->fd);
	}
	if (ep && ep->used < ep->cap && sized(d, v)) {
		v->allow = ep->cap - ep->used < v->want ? ep->cap - ep->used : v->want;
		ep->used += v->allow;
		v->what = SEC_VALUE;
		return true;
	}
	v->what = SEC_STALL;
	v->tag = tag;
	v->ns = 0;
	return true;
}

/* Whether rule i injects the call (v says how). */
static bool decide_rule(struct fr_sec *s, struct fr_ctl *c, unsigned i,
			const struct seccomp_data *d, struct sec_verdict *v)
{
	const struct fr_rule *r = &c->slots[i].rule;

	switch (r->action) {
	case FR_ACT_DISK:
		return sec_disk_match(c, i, v);
	case FR_ACT_BUDGET:
		return decide_budget(c, i, d, v);
	case FR_ACT_STALL:
		return decide_stall(s, c, i, v);
	case FR_ACT_BLACKHOLE:
		return decide_blackhole(s, c, i, d, v);
	case FR_ACT_CLOSE:
		return sec_limit_decide(s, c, i, v);
	case FR_ACT_SHORT:
		/* a one-byte call cannot be shorter; a call faultrun cannot make passes */
		if (!sized(d, v) || v->want < 2 || !sec_io_cuttable(v->tgid, d))
			return false;
		/* slice=: only a call larger than its slice is cut (shape.c) */
		if (r->slice_max && v->want <= (v->slice = slice_draw(s, r, i)))
			return false;
		break;
	default:
		break;
	}
	v->counted |= 1ull << i;
	if (!fr_ctl_fire(c, i))
		return false;
	/* a call held for later (delay, a cut waiting for its socket) ends with this arming */
	v->tag = sec_arm_tag(c, i);
	switch (r->action) {
	case FR_ACT_DELAY:
		v->what = SEC_DELAY;
		v->ns = delay_ns(s, r, i);
		/* delay= slice=: then cut to a slice, as Toxiproxy's slicer with its delay */
		v->allow = 0;
		if (r->slice_max && sized(d, v) && sec_io_cuttable(v->tgid, d) &&
		    v->want > (v->slice = slice_draw(s, r, i)))
			v->allow = v->slice;
		break;
	case FR_ACT_SHORT:
		v->what = SEC_CUT;
		v->allow = r->slice_max ? v->slice : v->want / 2;
		break;
	case FR_ACT_RESET:
		/* a connect has no connection yet: the error alone (control.c) */
		v->what = v->op == FR_OP_CONNECT || v->fd < 0 ? SEC_FAIL : SEC_RESET;
		v->err = ECONNRESET;
		break;
	case FR_ACT_REFUSE:
		/* nothing is sent: the socket stays unconnected, as in the shim */
		v->what = SEC_FAIL;
		v->err = ECONNREFUSED;
		break;
	default:
		v->what = SEC_FAIL;
		v->err = r->err;
		break;
	}
	return true;
}

bool sec_decide(struct fr_sec *s, struct fr_ctl *c, const struct seccomp_data *d,
		struct sec_verdict *v)
{
	const struct sec_call *call = sec_call_find(d->nr);
	uint64_t cand;

	v->inject = false;
	v->what = SEC_PASS;
	v->counted = 0;
	v->where[0] = '\0';
	v->budget_rule = -1;
	v->taken = 0;
	v->fd = -1;
	v->episode = false;
	v->sized = 0;
	v->sock_ino = 0;
	v->disk_rule = -1;
	v->disk.file = -1;
	if (!call || call->op == FR_OP_COUNT ||
	    atomic_load_explicit(&c->disabled, memory_order_relaxed))
		return false;
	v->op = call->op;
	if (call->op == FR_OP_STATFS)
		return sec_statfs_decide(c, call, d, v);
	if (call->op == FR_OP_IO_URING)
		cand = armed_for(c, FR_OP_IO_URING); /* no selector but proc= */
	else if (call->addr >= 0)
		cand = connect_candidates(c, call, d, v);
	else if (call->fd >= 0)
		cand = fd_candidates(c, call, d, v);
	else
		cand = path_candidates(c, call, d, v);
	if (cand)
		cand = proc_filter(c, cand, v->tid, v->tgid);
	while (cand) {
		unsigned i = (unsigned)__builtin_ctzll(cand);

		cand &= cand - 1;
		if (!fr_ctl_armed(c, i))
			continue; /* disarmed since the mask was read */
		if (!decide_rule(s, c, i, d, v)) {
			v->what = SEC_PASS;
			continue;
		}
		v->inject = true;
		v->rule = i;
		if (v->budget_rule >= 0 && v->what != SEC_CUT) {
			/* an earlier budget's bytes: this call moves none of them */
			budget_give_back(c, (unsigned)v->budget_rule, v->taken);
			v->budget_rule = -1;
			v->taken = 0;
		}
		return true;
	}
	/* no rule injected: a disk charges or frees what the call does to it */
	return v->disk_rule >= 0 && sec_disk_decide(c, call, d, v);
}

void sec_undo(struct fr_ctl *c, const struct sec_verdict *v)
{
	uint64_t m = v->counted;

	if (v->budget_rule >= 0)
		budget_give_back(c, (unsigned)v->budget_rule, v->taken);
	sec_disk_settle(c, v, -1);
	while (m) {
		unsigned i = (unsigned)__builtin_ctzll(m);

		m &= m - 1;
		if (v->inject && i == v->rule && !v->episode)
			fr_ctl_unfire(c, i);
		else
			atomic_fetch_sub_explicit(&c->slots[i].matched, 1, memory_order_relaxed);
	}
}

/*
 * io_uring_setup(2) let through: counted as a ring, as the shim counts
 * one it saw made, unless this kernel refuses every ring
 * (kernel.io_uring_disabled = 2, Linux 6.6). The kernel's answer is not
 * known here (CONTINUE): a setup it refused for another reason (bad
 * parameters, a user outside io_uring_group) is counted too
 * (docs/seccomp.md).
 */
void sec_uring_passed(struct fr_ctl *c, int tgid)
{
	static int disabled = -1;
	int32_t none = 0;

	if (disabled < 0) {
		FILE *f = fopen("/proc/sys/kernel/io_uring_disabled", "re");

		disabled = 0;
		if (f) {
			if (fscanf(f, "%d", &disabled) != 1)
				disabled = 0;
			fclose(f);
		}
	}
	if (disabled == 2)
		return;
	atomic_fetch_add_explicit(&c->uring_setups, 1, memory_order_relaxed);
	atomic_compare_exchange_strong_explicit(&c->uring_pid, &none, tgid, memory_order_relaxed,
						memory_order_relaxed);
}
