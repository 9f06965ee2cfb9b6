/*
 * The per-fd table: which rules an fd matches, decided once per fd and rule.
 *
 * Paths are matched when a file is opened (shim_fd_record_open) or, for an
 * fd the shim never saw opened (inherited stdout, an fd opened by libc
 * internally, anything opened before a rule existed), lazily the first
 * time a call on it meets an armed rule: readlink(/proc/self/fd/N) gives
 * the path, or "socket:[...]" / "pipe:[...]" for fds without one. After
 * that a call on the fd costs a table lookup and two mask tests, with no
 * syscall. Rules never change once published, so a result stays valid
 * until the fd is closed or replaced: close/close_range/closefrom/dup2/
 * dup3/fclose/freopen forget or copy entries (wrap_fd.c, wrap_stdio.c),
 * syscall() does the same for raw closes, dups and opens (wrap_sys.c:
 * libuv closes with syscall(SYS_close)), every call we see returning a new
 * fd forgets any stale entry, and so does every fd received by SCM_RIGHTS
 * (shim_fd_received). What none of them sees (the system call instruction,
 * io_uring) is caught by the identity each entry keeps: before a rule
 * injects, shim_fd_confirm() checks it with one fstat.
 *
 * Layout: a static array of chunk pointers, each chunk 1024 entries of one
 * cache line, mapped with mmap (async-signal-safe, unlike malloc) on first
 * use and never freed. fork copies it (MAP_PRIVATE), exec starts empty.
 * Fds at or above SHIM_FD_MAX are never cached: they are resolved on every
 * call that meets an armed rule.
 *
 * Everything here is async-signal-safe: atomics, readlink, getcwd, mmap.
 */
#include "shim.h"
#include "../fault/glob.h"
#include "../fault/select.h"

#include <limits.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <netinet/in.h>

#define CHUNK_SHIFT SHIM_FD_CHUNK_SHIFT
#define CHUNK_FDS SHIM_FD_CHUNK
#define NCHUNKS SHIM_FD_NCHUNKS

_Static_assert(sizeof(struct shim_fd) == 64, "one cache line per fd");

/*
 * An entry's identity is written by the thread that (re)records the fd and
 * read by any thread about to inject on it: relaxed atomics, since a torn
 * or stale identity only ever reads as "changed", which re-resolves.
 */
static inline void id_set32(struct shim_fd *e, uint32_t ino)
{
	__atomic_store_n(&e->ino32, ino, __ATOMIC_RELAXED);
}

static inline void id_set_file(struct shim_fd *e, const struct stat *st)
{
	__atomic_store_n(&e->file_dev, (uint64_t)st->st_dev, __ATOMIC_RELAXED);
	__atomic_store_n(&e->file_ino, (uint64_t)st->st_ino, __ATOMIC_RELAXED);
}

struct shim_fd *_Atomic shim_fd_chunks[SHIM_FD_NCHUNKS];
#define chunks shim_fd_chunks
_Atomic int shim_fd_used;
_Atomic int shim_side_used;

struct shim_fd *shim_fd_map(int fd)
{
	unsigned u = (unsigned)fd, ci = u >> CHUNK_SHIFT;
	struct shim_fd *ch, *expect = NULL;
	int saved;

	if (fd < 0 || ci >= NCHUNKS)
		return NULL;
	ch = atomic_load_explicit(&chunks[ci], memory_order_acquire);
	if (likely(ch))
		return &ch[u & (CHUNK_FDS - 1)];
	saved = errno;
	ch = mmap(NULL, CHUNK_FDS * sizeof(struct shim_fd), PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ch == MAP_FAILED) {
		errno = saved;
		return NULL;
	}
	if (!atomic_compare_exchange_strong_explicit(&chunks[ci], &expect, ch, memory_order_acq_rel,
						     memory_order_acquire)) {
		munmap(ch, CHUNK_FDS * sizeof(struct shim_fd));
		ch = expect;
	}
	atomic_store_explicit(&shim_fd_used, 1, memory_order_relaxed);
	return &ch[u & (CHUNK_FDS - 1)];
}

static void entry_clear(struct shim_fd *e)
{
	atomic_store_explicit(&e->known, 0, memory_order_release);
	atomic_store_explicit(&e->match, 0, memory_order_relaxed);
	atomic_store_explicit(&e->info, 0, memory_order_relaxed);
}

void shim_fd_forget_side(int fd)
{
	shim_sock_forget(fd);  /* its stall/delay episodes (stall.c) */
	shim_limit_forget(fd); /* what close-after=/per=connection knew (limit.c) */
}

void shim_fd_forget_range(unsigned first, unsigned last)
{
	unsigned ci;

	shim_sock_forget_range(first, last);
	shim_limit_forget_range(first, last);
	if (last >= SHIM_FD_MAX)
		last = SHIM_FD_MAX - 1;
	/* whole chunks at a time, skipping the ones never mapped */
	for (ci = first >> CHUNK_SHIFT; first <= last && ci < NCHUNKS; ci++) {
		struct shim_fd *ch = atomic_load_explicit(&chunks[ci], memory_order_acquire);
		unsigned end = (ci + 1) * CHUNK_FDS - 1;

		if (end > last)
			end = last;
		if (ch)
			for (unsigned fd = first; fd <= end; fd++)
				entry_clear(&ch[fd & (CHUNK_FDS - 1)]);
		first = end + 1;
	}
}

void shim_fd_copy(int from, int to)
{
	struct shim_fd *src = shim_fd_get(from, false), *dst;
	uint64_t known;

	if (from == to)
		return;
	shim_sock_forget(to);
	if (!src || !atomic_load_explicit(&src->known, memory_order_acquire)) {
		shim_fd_forget(to);
		return;
	}
	dst = shim_fd_get(to, true);
	if (!dst)
		return;
	entry_clear(dst);
	/* the same object: its identity and its addresses (or file's id) */
	dst->ino32 = src->ino32;
	memcpy(&dst->file_dev, &src->file_dev, sizeof(*dst) - offsetof(struct shim_fd, file_dev));
	known = atomic_load_explicit(&src->known, memory_order_acquire);
	/* the name is in src's side-table slot, not dst's (fdwhere.c) */
	atomic_store_explicit(&dst->info,
			      atomic_load_explicit(&src->info, memory_order_relaxed) &
				      ~SHIM_FD_HAVE_WHERE,
			      memory_order_relaxed);
	atomic_store_explicit(&dst->match, atomic_load_explicit(&src->match, memory_order_relaxed),
			      memory_order_relaxed);
	atomic_store_explicit(&dst->known, known, memory_order_release);
}

void shim_fd_received(const struct msghdr *msg)
{
	struct cmsghdr *cm;

	if (!msg || !msg->msg_control || msg->msg_controllen < sizeof(struct cmsghdr))
		return;
	for (cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR((struct msghdr *)msg, cm)) {
		const unsigned char *data = CMSG_DATA(cm);
		size_t n;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
		    cm->cmsg_len < CMSG_LEN(0))
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;

			/* the data need not be aligned for an int */
			memcpy(&fd, data + i * sizeof(int), sizeof(int));
			shim_fd_forget(fd);
		}
	}
}

/* The shim's glob matcher for select.h: each slot's pattern compiled once. */
static bool shim_glob(const struct fr_rule *r, const char *glob, size_t len, const char *s)
{
	/* a prefix compare, then linear in the path */
	return fr_slot_glob_match(shim_ctl, r, glob, len, s);
}

bool shim_rule_match_file(const struct fr_rule *r, const char *path)
{
	return fr_rule_match_file(r, path, shim_glob);
}

bool shim_rule_match_sock(const struct fr_rule *r, const struct shim_fd *e, const char *unix_path)
{
	uint32_t info = atomic_load_explicit(&e->info, memory_order_relaxed);
	struct fr_sock_facts f = {
		.peer = info & SHIM_FD_HAVE_PEER,
		.local = info & SHIM_FD_HAVE_LOCAL,
		.peer_family = e->peer_family,
		.local_family = e->local_family,
		.peer_port = e->peer_port,
		.local_port = e->local_port,
		.peer_addr = e->peer_addr,
		.unix_path = unix_path,
	};

	return fr_rule_match_sock(r, &f, shim_glob);
}

/* Store an address into (family, port, addr); false if not IP/unix. */
static bool take_addr(const struct sockaddr *sa, socklen_t len, uint16_t *family, uint16_t *port,
		      uint8_t *addr)
{
	if (!sa || len < sizeof(sa_family_t))
		return false;
	memset(addr, 0, 16);
	*port = 0;
	switch (sa->sa_family) {
	case AF_INET: {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		if (len < sizeof(*in))
			return false;
		memcpy(addr, &in->sin_addr, 4);
		*port = ntohs(in->sin_port);
		break;
	}
	case AF_INET6: {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		if (len < sizeof(*in6))
			return false;
		memcpy(addr, &in6->sin6_addr, 16);
		*port = ntohs(in6->sin6_port);
		break;
	}
	case AF_UNIX:
		break;
	default:
		return false;
	}
	*family = sa->sa_family;
	return true;
}

/*
 * Record one of a socket's addresses (`have`: SHIM_FD_HAVE_PEER or
 * SHIM_FD_HAVE_LOCAL), keeping the other. A new address: every rule must
 * be matched again.
 */
static void set_addr(int fd, const struct sockaddr *sa, socklen_t len, uint32_t have)
{
	struct shim_fd *e = shim_fd_get(fd, true);
	bool peer = have == SHIM_FD_HAVE_PEER;
	uint32_t other = peer ? SHIM_FD_HAVE_LOCAL : SHIM_FD_HAVE_PEER;

	if (!e)
		return;
	atomic_store_explicit(&e->known, 0, memory_order_release);
	atomic_store_explicit(&e->match, 0, memory_order_relaxed);
	if (take_addr(sa, len, peer ? &e->peer_family : &e->local_family,
		      peer ? &e->peer_port : &e->local_port, peer ? e->peer_addr : e->local_addr)) {
		/* connected or accepted: a socket that does not listen (listen(2)) */
		uint32_t info = SHIM_FD_SOCKET | have | SHIM_FD_LISTEN_KNOWN |
				(atomic_load_explicit(&e->info, memory_order_relaxed) & other);
		struct stat st;

		/* the socket's identity, for shim_fd_confirm() */
		if (fr_syscall(SYS_fstat, fd, &st) == 0) {
			id_set32(e, (uint32_t)st.st_ino);
			info |= SHIM_FD_HAVE_ID;
		}
		atomic_store_explicit(&e->info, info, memory_order_release);
	}
}

void shim_fd_set_peer(int fd, const struct sockaddr *sa, socklen_t len)
{
	set_addr(fd, sa, len, SHIM_FD_HAVE_PEER);
}

void shim_fd_set_local(int fd, const struct sockaddr *sa, socklen_t len)
{
	set_addr(fd, sa, len, SHIM_FD_HAVE_LOCAL);
}

void shim_fd_set_listening(int fd)
{
	struct shim_fd *e = shim_fd_peek(fd);
	int saved = errno;

	if (!e)
		return; /* no entry: resolving it asks the kernel (sock_addrs) */
	if ((atomic_load_explicit(&e->info, memory_order_acquire) & SHIM_FD_KIND_MASK) ==
	    SHIM_FD_SOCKET)
		atomic_fetch_or_explicit(&e->info, SHIM_FD_LISTEN_KNOWN | SHIM_FD_LISTENING,
					 memory_order_release);
	else
		shim_fd_forget(fd); /* a socket, whatever the entry said: resolved afresh */
	errno = saved;
}

/*
 * A socket's addresses, when not recorded at connect/accept time: ask the
 * kernel once. unix_path receives the peer's (or, on the accepting side,
 * our own) socket path, if any. Whether it listens, when listen() was not
 * seen: a socket with a peer does not; otherwise SO_ACCEPTCONN, once, so
 * that a poll on it never has to ask (socket(7)).
 */
static void sock_addrs(int fd, struct shim_fd *e, char *unix_path, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	uint32_t info = atomic_load_explicit(&e->info, memory_order_relaxed);
	int saved = errno; /* getpeername fails on every socket without a peer */

	unix_path[0] = '\0';
	sl = sizeof(ss);
	if (fr_syscall(SYS_getpeername, fd, &ss, &sl) == 0) {
		info |= SHIM_FD_LISTEN_KNOWN;
		if (!(info & SHIM_FD_HAVE_PEER) &&
		    take_addr((struct sockaddr *)&ss, sl, &e->peer_family, &e->peer_port,
			      e->peer_addr))
			info |= SHIM_FD_HAVE_PEER;
		if (ss.ss_family == AF_UNIX && sl > sizeof(sa_family_t)) {
			const struct sockaddr_un *un = (void *)&ss;
			size_t pl =
				strnlen(un->sun_path, sl - offsetof(struct sockaddr_un, sun_path));
			if (pl && pl < len) {
				memcpy(unix_path, un->sun_path, pl);
				unix_path[pl] = '\0';
			}
		}
	}
	sl = sizeof(ss);
	if (fr_syscall(SYS_getsockname, fd, &ss, &sl) == 0) {
		if (!(info & SHIM_FD_HAVE_LOCAL) &&
		    take_addr((struct sockaddr *)&ss, sl, &e->local_family, &e->local_port,
			      e->local_addr))
			info |= SHIM_FD_HAVE_LOCAL;
		if (!unix_path[0] && ss.ss_family == AF_UNIX && sl > sizeof(sa_family_t)) {
			const struct sockaddr_un *un = (void *)&ss;
			size_t pl =
				strnlen(un->sun_path, sl - offsetof(struct sockaddr_un, sun_path));
			if (pl && pl < len) {
				memcpy(unix_path, un->sun_path, pl);
				unix_path[pl] = '\0';
			}
		}
	}
	if (!(info & SHIM_FD_LISTEN_KNOWN)) {
		int on = 0;
		socklen_t ol = sizeof(on);

		if (fr_syscall(SYS_getsockopt, fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &ol) == 0)
			info |= SHIM_FD_LISTEN_KNOWN | (on ? SHIM_FD_LISTENING : 0);
	}
	/* or, not store: a listen() recorded meanwhile is kept */
	atomic_fetch_or_explicit(&e->info, info, memory_order_release);
	errno = saved;
}

/*
 * Whether st (fstat of the fd now) is the object entry e was recorded
 * for: the same kind (a socket is a socket), and once the identity is
 * recorded, the same inode (and device, for a file). An anon inode
 * (eventfd, epoll, timerfd...) is one inode shared by all of them, so
 * among those only the kind tells; no path or socket rule selects them.
 */
static bool same_object(const struct shim_fd *e, const struct stat *st)
{
	uint32_t info = atomic_load_explicit(&e->info, memory_order_acquire);
	enum shim_fd_kind kind = info & SHIM_FD_KIND_MASK;

	if (kind == SHIM_FD_UNKNOWN)
		return true; /* nothing recorded that could differ */
	if ((kind == SHIM_FD_SOCKET) != !!S_ISSOCK(st->st_mode))
		return false;
	if (!(info & SHIM_FD_HAVE_ID))
		return true;
	if (__atomic_load_n(&e->ino32, __ATOMIC_RELAXED) != (uint32_t)st->st_ino)
		return false;
	return kind == SHIM_FD_SOCKET ||
	       (__atomic_load_n(&e->file_dev, __ATOMIC_RELAXED) == (uint64_t)st->st_dev &&
		__atomic_load_n(&e->file_ino, __ATOMIC_RELAXED) == (uint64_t)st->st_ino);
}

/*
 * Record st as the identity of e, whose kind is known: the inode, and but
 * for a socket (whose entry holds addresses there) the device too.
 */
static void id_store(struct shim_fd *e, const struct stat *st, enum shim_fd_kind kind)
{
	if (kind == SHIM_FD_UNKNOWN)
		return;
	id_set32(e, (uint32_t)st->st_ino);
	if (kind != SHIM_FD_SOCKET)
		id_set_file(e, st);
	atomic_fetch_or_explicit(&e->info, SHIM_FD_HAVE_ID, memory_order_release);
}

bool shim_fd_confirm(int fd)
{
	struct shim_fd *e = shim_fd_peek(fd);
	struct stat st;
	int saved = errno;
	bool same;

	if (!e)
		return true; /* beyond the table: resolved on every call */
	same = fr_syscall(SYS_fstat, fd, &st) == 0 && same_object(e, &st);
	if (!same) {
		shim_fd_forget(fd);
	} else if (!(atomic_load_explicit(&e->info, memory_order_acquire) & SHIM_FD_HAVE_ID)) {
		/* recorded without one (a socket at connect): take it now */
		id_store(e, &st,
			 atomic_load_explicit(&e->info, memory_order_relaxed) & SHIM_FD_KIND_MASK);
	}
	errno = saved;
	return same;
}

/*
 * Evaluate the slots in `missing` for fd (entry e, which may be a scratch
 * entry for fds beyond the table). Returns the matching subset and marks
 * the evaluated slots known. Kept out of line: it needs PATH_MAX of stack,
 * which the already-known path must not pay for.
 */
static __attribute__((noinline)) uint64_t resolve(int fd, struct shim_fd *e, uint64_t want)
{
	struct fr_ctl *c = shim_ctl;
	char path[PATH_MAX];
	struct stat st;
	uint32_t info;
	enum shim_fd_kind kind;
	uint64_t known = 0, match = 0, missing;
	int r;

	if (fr_syscall(SYS_fstat, fd, &st) < 0)
		return 0; /* not open: decide nothing, cache nothing */
	/* the number was reused where no wrapper saw it: start over */
	if (!same_object(e, &st))
		entry_clear(e);
	missing = want & ~atomic_load_explicit(&e->known, memory_order_acquire);
	info = atomic_load_explicit(&e->info, memory_order_acquire);
	kind = info & SHIM_FD_KIND_MASK;
	path[0] = '\0';
	if (kind == SHIM_FD_UNKNOWN || kind == SHIM_FD_FILE) {
		r = shim_fd_path(fd, path, sizeof(path));
		if (r == -EBADF)
			return 0; /* not open: decide nothing, cache nothing */
		if (r < 0)
			kind = SHIM_FD_OTHER; /* no /proc, or a huge path */
		else if (path[0] == '/')
			kind = SHIM_FD_FILE;
		else if (strncmp(path, "socket:", 7) == 0)
			kind = SHIM_FD_SOCKET;
		else
			kind = SHIM_FD_OTHER;
		atomic_fetch_or_explicit(&e->info, kind, memory_order_relaxed);
	}
	if (kind == SHIM_FD_SOCKET)
		sock_addrs(fd, e, path, sizeof(path));
	if (!(atomic_load_explicit(&e->info, memory_order_acquire) & SHIM_FD_HAVE_ID))
		id_store(e, &st, kind);
	while (missing) {
		unsigned i = (unsigned)__builtin_ctzll(missing);
		const struct fr_rule *rule = &c->slots[i].rule;
		bool m;

		missing &= missing - 1;
		if (!atomic_load_explicit(&c->slots[i].ready, memory_order_acquire))
			continue;
		switch (kind) {
		case SHIM_FD_FILE:
			m = shim_rule_match_file(rule, path);
			break;
		case SHIM_FD_SOCKET:
			m = shim_rule_match_sock(rule, e, path[0] ? path : NULL);
			break;
		default:
			/* a pipe or eventfd meets only rules without fd selectors */
			m = !rule->path[0] && !fr_rule_is_sock(rule);
			break;
		}
		known |= 1ull << i;
		if (m)
			match |= 1ull << i;
	}
	atomic_fetch_or_explicit(&e->match, match, memory_order_release);
	atomic_fetch_or_explicit(&e->known, known, memory_order_release);
	return match;
}

uint64_t shim_fd_match(int fd, uint64_t want, enum shim_fd_kind *kind, bool *fresh)
{
	struct shim_fd *e = shim_fd_get(fd, true), scratch;
	uint64_t missing, match;

	if (unlikely(!e)) {
		/* beyond the table (or no memory): resolve without caching */
		memset(&scratch, 0, sizeof(scratch));
		match = resolve(fd, &scratch, want);
		*kind = atomic_load_explicit(&scratch.info, memory_order_relaxed) &
			SHIM_FD_KIND_MASK;
		return match & want;
	}
	missing = want & ~atomic_load_explicit(&e->known, memory_order_acquire);
	if (unlikely(missing)) {
		resolve(fd, e, want);
		if (fresh)
			*fresh = true;
	}
	*kind = atomic_load_explicit(&e->info, memory_order_relaxed) & SHIM_FD_KIND_MASK;
	return atomic_load_explicit(&e->match, memory_order_acquire) & want;
}

/*
 * Which published rules an opened file's path decides (a path glob and no
 * socket selector: shim_cls_path) and which select every file whatever its
 * path (neither: shim_cls_any); a rule with a socket selector never selects
 * a file. Classified once per slot, since a published rule never changes
 * (a new rule takes a new slot): an open while only socket rules, or rules
 * without a path, are armed needs no path at all. cls_done (released after
 * the other two) says which slots are classified; a slot is classified
 * once it is ready. shim_cls_upto, released last, is the slot count for
 * which every slot is classified: the inline shim_rule_classes answers
 * from the three words while the count is that (a rule added makes it
 * another: classified here first; a rule removed keeps its class, as a
 * withdrawn slot is never armed again).
 */
static _Atomic uint64_t cls_done;
_Atomic uint64_t shim_cls_path, shim_cls_any;
_Atomic uint32_t shim_cls_upto; /* the first this many slots are classified */

uint64_t shim_rule_classes_all(struct fr_ctl *c, unsigned n, uint64_t *path, uint64_t *any)
{
	uint64_t all = n >= 64 ? ~0ull : (1ull << n) - 1;
	uint64_t todo = all & ~atomic_load_explicit(&cls_done, memory_order_acquire), done;

	while (todo) {
		unsigned i = (unsigned)__builtin_ctzll(todo);
		const struct fr_rule *r = &c->slots[i].rule;

		todo &= todo - 1;
		if (!atomic_load_explicit(&c->slots[i].ready, memory_order_acquire))
			continue;
		if (!fr_rule_is_sock(r))
			atomic_fetch_or_explicit(r->path[0] ? &shim_cls_path : &shim_cls_any,
						 1ull << i, memory_order_relaxed);
		atomic_fetch_or_explicit(&cls_done, 1ull << i, memory_order_release);
	}
	done = atomic_load_explicit(&cls_done, memory_order_acquire) & all;
	*path = atomic_load_explicit(&shim_cls_path, memory_order_relaxed) & done;
	*any = atomic_load_explicit(&shim_cls_any, memory_order_relaxed) & done;
	/* after the classes it covers (release); n only grows, so never lowered */
	if (done == all && n > atomic_load_explicit(&shim_cls_upto, memory_order_relaxed))
		atomic_store_explicit(&shim_cls_upto, n, memory_order_release);
	return done;
}

/*
 * Whether cwd (n bytes, absolute and normal) joined with relative path is
 * exactly real: then the path as written names no symlink and no "." or
 * "..", and is the kernel's path.
 */
static bool joins_to(const char *cwd, size_t n, const char *path, const char *real)
{
	if (n == 1) /* "/" */
		return real[0] == '/' && strcmp(real + 1, path) == 0;
	return memcmp(real, cwd, n) == 0 && real[n] == '/' && strcmp(real + n + 1, path) == 0;
}

/*
 * The subset of slots whose path glob matches path: only the index's
 * candidates run. The index is built over every classified path rule, so
 * that callers asking for different subsets (an open's armed rules, the
 * fd operations' rules) share it instead of rebuilding it in turn.
 */
uint64_t shim_match_files(struct fr_ctl *c, uint64_t slots, const char *path)
{
	uint64_t all = atomic_load_explicit(&shim_cls_path, memory_order_relaxed) &
		       atomic_load_explicit(&cls_done, memory_order_acquire);

	/* a slot not classified yet: index what is asked, as before */
	if (slots & ~all)
		all = slots;
	return shim_match_cands(c, fr_slot_glob_candidates(c, all, path) & slots, path);
}

uint64_t shim_match_cands(struct fr_ctl *c, uint64_t cand, const char *path)
{
	uint64_t m = 0;

	while (cand) {
		unsigned i = (unsigned)__builtin_ctzll(cand);

		cand &= cand - 1;
		if (shim_rule_match_file(&c->slots[i].rule, path))
			m |= 1ull << i;
	}
	return m;
}

/*
 * The path rules in pathm an open's new fd matches: on the path as written
 * (made absolute) and on the path the kernel reports (readlink), so that a
 * rule on a symlink's name and one on its target both catch it. The
 * readlink stays: nothing cheaper tells exactly that the written path
 * crosses no symlink. What it saves: making the written path absolute and
 * normal, and matching it, when it is already the kernel's path (an
 * absolute path equal to it, or a relative one that the cached cwd joins
 * to it: no getcwd), and every matcher the prefix index rules out.
 */
static __attribute__((noinline)) uint64_t open_paths(struct fr_ctl *c, uint64_t pathm, int fd,
						     int dirfd, const char *path)
{
	char abs[PATH_MAX], real[PATH_MAX];
	const char *w = NULL;
	bool have_real = shim_fd_path(fd, real, sizeof(real)) == 0 && real[0] == '/';
	uint64_t m;

	if (!path || !have_real) {
		w = path ? shim_abspath(dirfd, path, abs, sizeof(abs)) : NULL;
	} else if (path[0] == '/') {
		/* the kernel's path is normal: equal to it, the written one is too */
		w = strcmp(path, real) == 0 ? real : shim_abspath(dirfd, path, abs, sizeof(abs));
	} else if (dirfd == AT_FDCWD) {
		size_t n = shim_cwd_load(abs, sizeof(abs));

		if (n && joins_to(abs, n, path, real)) {
			w = real;
		} else {
			w = shim_abspath(dirfd, path, abs, sizeof(abs));
			/* the getcwd it made is the cwd now: keep it */
			if (w && w[0] == '/' && !strchr(path, '/') && strcmp(path, ".") &&
			    strcmp(path, ".."))
				shim_cwd_store(abs, (size_t)(strrchr(abs, '/') - abs) ?: 1);
		}
	} else {
		w = shim_abspath(dirfd, path, abs, sizeof(abs));
	}
	m = w ? shim_match_files(c, pathm, w) : 0;
	if (have_real && w != real && (!w || strcmp(w, real) != 0))
		m |= shim_match_files(c, pathm & ~m, real);
	return m;
}

void shim_fd_record_open(int fd, int dirfd, const char *path, const struct shim_open_facts *of)
{
	struct fr_ctl *c = shim_ctl;
	struct shim_fd *e;
	struct stat st;
	uint64_t known, match, pathm, wm = 0;
	uint32_t info = SHIM_FD_FILE;
	int saved;

	if (fd < 0)
		return;
	if (!c || !shim_armed(SHIM_OPS_FDOPS)) {
		shim_fd_opened(fd);
		return;
	}
	e = shim_fd_get(fd, true);
	if (!e)
		return;
	if (of && of->valid && !of->path) {
		/* no path matched: no identity to take */
		shim_fd_entry_set(e, info, of->match, of->known);
		return;
	}
	saved = errno;
	entry_clear(e);
	if (of && of->valid) {
		/*
		 * An absolute path, matched as written when the open was
		 * decided; the path rules it does not match are left for the
		 * kernel's path, read the first time a call on the fd needs
		 * one of them (resolve): most files opened while a rule is
		 * armed are never the subject of any, and a readlink of
		 * /proc/self/fd costs more than the open itself.
		 */
		known = of->known;
		match = of->match;
		wm = of->path;
	} else {
		known = shim_rule_classes(c, fr_ctl_count(c), &pathm, &match);
		/* a relative path: the cached cwd is trusted only as readlink confirms it */
		if (pathm)
			wm = open_paths(c, pathm, fd, dirfd, path);
		match |= wm;
	}
	/*
	 * The identity guards a path match against the number's reuse where
	 * no wrapper saw it; without one, the entry holds nothing a reuse
	 * could make wrong (resolve takes the identity with the kernel's path).
	 */
	if (wm && fr_syscall(SYS_fstat, fd, &st) == 0) {
		id_set32(e, (uint32_t)st.st_ino);
		id_set_file(e, &st);
		info |= SHIM_FD_HAVE_ID;
	}
	atomic_store_explicit(&e->info, info, memory_order_relaxed);
	atomic_store_explicit(&e->match, match, memory_order_release);
	atomic_store_explicit(&e->known, known, memory_order_release);
	errno = saved;
}
