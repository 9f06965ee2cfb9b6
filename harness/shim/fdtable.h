/*
 * The shim's fd table and paths (fdtable.c, path.c, cwd.c, fdwhere.c).
 * Included by shim.h at this point only: it relies on what shim.h
 * declares before it.
 */
#ifndef FAULTRUN_SHIM_FDTABLE_H
#define FAULTRUN_SHIM_FDTABLE_H

#include "../fault/path_quick.h"

/* ---- fdtable.c ------------------------------------------------------- */

enum shim_fd_kind {
	SHIM_FD_UNKNOWN = 0, /* never resolved */
	SHIM_FD_FILE,	     /* has a path (regular file, directory, device) */
	SHIM_FD_SOCKET,
	SHIM_FD_OTHER, /* pipe, eventfd, ...: no path, no peer */
};

/* shim_fd.info bits above the kind */
#define SHIM_FD_KIND_MASK 0xfu
#define SHIM_FD_HAVE_PEER 0x10u	 /* peer_* are set */
#define SHIM_FD_HAVE_LOCAL 0x20u /* local_* are set */
#define SHIM_FD_HAVE_ID 0x40u	 /* ino32 (and but for a socket file_*) set */
#define SHIM_FD_HAVE_WHERE 0x80u /* its name is in the side table (fdwhere.c) */
/*
 * A socket's listening state is recorded (listen(), or asked once when the
 * entry is resolved; a connected or accepted socket never listens), and
 * whether it listens: a poll on it then waits for accept, not recv.
 */
#define SHIM_FD_LISTEN_KNOWN 0x100u
#define SHIM_FD_LISTENING 0x200u

/*
 * What the shim knows about one fd: which rules' selectors it matches.
 * `known` has a bit for every rule slot already evaluated for this fd,
 * `match` the subset whose fd selectors (path, or peer for a socket) match.
 * Rules are immutable once published, so a bit, once known, stays true
 * until the fd is closed or replaced. One cache line.
 *
 * The entry also remembers what it was recorded for (fstat's inode and,
 * but for a socket, device: the identity), so that before a rule injects on
 * the fd the shim can confirm it is still the same object, should it have
 * been closed and its number reused where no wrapper saw it (a raw system
 * call instruction, io_uring). A file needs no addresses and a socket no
 * device (every socket is on sockfs, whose inode numbers, like pipefs's
 * and the anon inode's, are 32-bit: get_next_ino()), so they share space.
 */
struct shim_fd {
	_Atomic uint64_t known;
	_Atomic uint64_t match;
	_Atomic uint32_t info; /* enum shim_fd_kind | SHIM_FD_HAVE_* */
	uint32_t ino32;	       /* st_ino's low 32 bits (SHIM_FD_HAVE_ID) */
	union {
		struct { /* SHIM_FD_FILE, SHIM_FD_OTHER */
			uint64_t file_dev;
			uint64_t file_ino;
		};
		struct {		      /* SHIM_FD_SOCKET */
			uint16_t peer_family; /* AF_INET, AF_INET6, AF_UNIX */
			uint16_t peer_port;   /* host order */
			uint16_t local_family;
			uint16_t local_port; /* host order */
			uint8_t peer_addr[16];
			uint8_t local_addr[16];
		};
	};
};

/* Set once any fd entry exists: closes/dups need not touch the table before. */
extern _Atomic int shim_fd_used;

/* The table: chunks of SHIM_FD_CHUNK entries, mapped on first use. */
#define SHIM_FD_CHUNK_SHIFT 10
#define SHIM_FD_CHUNK (1u << SHIM_FD_CHUNK_SHIFT)
#define SHIM_FD_NCHUNKS 1024u
#define SHIM_FD_MAX (SHIM_FD_NCHUNKS * SHIM_FD_CHUNK) /* 1M fds */
extern struct shim_fd *_Atomic shim_fd_chunks[SHIM_FD_NCHUNKS];

/* The entry for fd if it exists, without creating anything. */
static inline struct shim_fd *shim_fd_peek(int fd)
{
	unsigned u = (unsigned)fd;
	struct shim_fd *ch;

	if (u >= SHIM_FD_MAX)
		return NULL;
	ch = atomic_load_explicit(&shim_fd_chunks[u >> SHIM_FD_CHUNK_SHIFT], memory_order_acquire);
	return ch ? &ch[u & (SHIM_FD_CHUNK - 1)] : NULL;
}

/*
 * The entry for fd, or NULL (fd negative or beyond the table). With
 * create, maps the chunk holding it on first use (shim_fd_map: mmap,
 * signal-safe); inline, since every open and close while a rule is armed
 * asks.
 */
struct shim_fd *shim_fd_map(int fd);
static inline struct shim_fd *shim_fd_get(int fd, bool create)
{
	struct shim_fd *e = shim_fd_peek(fd);

	return likely(e) || !create ? e : shim_fd_map(fd);
}

/*
 * Set once any of the side tables keyed by fd (stall.c's episodes, limit.c,
 * rate.c, dgram.c) has held an entry in this process: until then a close
 * has nothing to forget there, and does not ask each of them.
 */
extern _Atomic int shim_side_used;
static inline void shim_side_note(void)
{
	atomic_store_explicit(&shim_side_used, 1, memory_order_relaxed);
}

/* What shim_fd_forget() asks of the side tables (fdtable.c). */
void shim_fd_forget_side(int fd);
/*
 * Forget what is known about fd (closed, or reused by a call we missed);
 * inline, since every close while the table is in use asks.
 */
static inline void shim_fd_forget(int fd)
{
	struct shim_fd *e = shim_fd_peek(fd);

	if (e) {
		atomic_store_explicit(&e->known, 0, memory_order_release);
		atomic_store_explicit(&e->match, 0, memory_order_relaxed);
		atomic_store_explicit(&e->info, 0, memory_order_relaxed);
	}
	if (unlikely(atomic_load_explicit(&shim_side_used, memory_order_relaxed)))
		shim_fd_forget_side(fd);
}
/* Forget fds first..last inclusive (close_range, closefrom). */
void shim_fd_forget_range(unsigned first, unsigned last);
/* fd `to` is now a duplicate of `from`. */
void shim_fd_copy(int from, int to);

/*
 * fds arrived in msg's SCM_RIGHTS control messages (recvmsg(2), unix(7)):
 * new fds on numbers that may have been closed unseen, so forget them.
 * errno kept.
 */
void shim_fd_received(const struct msghdr *msg);

/* Whether any fd entry exists (closes and dups must then update it). */
static inline bool shim_fd_table_used(void)
{
	return atomic_load_explicit(&shim_fd_used, memory_order_relaxed);
}

/* Whether fd may be a socket: the table knows it as one, or knows nothing of it. */
static inline bool shim_fd_maybe_socket(int fd)
{
	struct shim_fd *e = shim_fd_peek(fd);
	uint32_t k = e ? atomic_load_explicit(&e->info, memory_order_relaxed) & SHIM_FD_KIND_MASK :
			 SHIM_FD_UNKNOWN;

	return k == SHIM_FD_UNKNOWN || k == SHIM_FD_SOCKET;
}

/* Cheap hook for every call that returns a new fd. */
static inline int shim_fd_opened(int fd)
{
	if (unlikely(atomic_load_explicit(&shim_fd_used, memory_order_relaxed)) && fd >= 0)
		shim_fd_forget(fd);
	return fd;
}

/*
 * A file was opened as fd from path (relative to dirfd): record which
 * published rules' path globs match it, using both the path as the program
 * wrote it (made absolute) and the path the kernel reports. Only does work
 * while some fd operation is armed; otherwise forgets the entry so the fd
 * is resolved lazily if a rule is armed later.
 */
/*
 * What deciding an open learnt of its absolute path, for recording the new
 * fd without matching it again: the slots it decides (`known`), those it
 * matches (`match`), and among them the path rules (`path`). Not `valid`
 * for a relative path, whose cached cwd only readlink confirms.
 */
struct shim_open_facts {
	bool valid;
	uint64_t known, match, path;
	/*
	 * shim_open_quiet()'s look at an absolute path (`looked`), which
	 * shim_decide_open_rest() goes on from: the rules' classes, the
	 * path's length when it is already normal (else 0) and the prefix
	 * index's candidates for it. `pathm` (the path rules) is also set
	 * when it said yes.
	 */
	bool looked;
	uint64_t pathm, any, cand;
	size_t len;
};
void shim_fd_record_open(int fd, int dirfd, const char *path, const struct shim_open_facts *of);
/*
 * Give entry e new contents: `known` last, so that a reader that sees it
 * finds its `match` (and first cleared, so that none pairs the old known
 * with the new match).
 */
static inline void shim_fd_entry_set(struct shim_fd *e, uint32_t info, uint64_t match,
				     uint64_t known)
{
	atomic_store_explicit(&e->known, 0, memory_order_release);
	atomic_store_explicit(&e->info, info, memory_order_relaxed);
	atomic_store_explicit(&e->match, match, memory_order_release);
	atomic_store_explicit(&e->known, known, memory_order_release);
}

/*
 * The open no rule concerns, told before anything else (path.c): per
 * process, for the first `key - 1` slots (0: none yet), the rules'
 * classes (shim_rule_classes), the entry such an open records (`known`:
 * the slots but the path rules, which wait for the kernel's path; its
 * `match` is `any`) and the heads of the path rules' globs. A rule
 * published is a new slot, so a new key; arming and disarming change
 * none of it (the open's armed rules are read on every call). Rebuilt by
 * shim_quiet_refresh() under a sequence number (odd: being built), read
 * without locks: a reader that finds it odd or changed takes the long way.
 */
struct shim_quiet {
	_Atomic uint32_t seq, builder, key;
	_Atomic uint64_t pathm, any, known;
	struct fr_glob_heads heads;
};
extern struct shim_quiet shim_quiet;
void shim_quiet_refresh(struct fr_ctl *c, unsigned n);

/*
 * An absolute path that is its own normal form (fr_path_clean_len) and
 * begins with none of the path rules' heads, while no armed open rule
 * selects every file: no path rule can match it, so the open is passed
 * and its entry gets *known and *match (shim_fd_record_fast); *pathm are
 * the path rules, which *known leaves to the kernel's path. False: the
 * long way (shim_open_quiet, then the decision), which tells the rest,
 * given *len: fr_path_clean_len(path) when it was scanned, else SIZE_MAX.
 */
static inline __attribute__((always_inline)) bool
shim_open_fast(const char *path, uint64_t *known, uint64_t *match, uint64_t *pathm, size_t *len)
{
	struct fr_ctl *c = shim_ctl;
	uint32_t seq = atomic_load_explicit(&shim_quiet.seq, memory_order_acquire);
	unsigned n;

	*len = SIZE_MAX; /* not scanned */
	if (unlikely(!c || !path) || path[0] != '/' || shim_depth > 0)
		return false;
	n = fr_ctl_count(c);
	if (unlikely(atomic_load_explicit(&shim_quiet.key, memory_order_relaxed) != n + 1 ||
		     (seq & 1))) {
		shim_quiet_refresh(c, n);
		return false;
	}
	*match = atomic_load_explicit(&shim_quiet.any, memory_order_relaxed);
	if (*match & atomic_load_explicit(&c->armed_rules[FR_OP_OPEN], memory_order_acquire))
		return false;
	*pathm = atomic_load_explicit(&shim_quiet.pathm, memory_order_relaxed);
	if (*pathm && !fr_path_cannot_match(&shim_quiet.heads, path, len))
		return false;
	*known = atomic_load_explicit(&shim_quiet.known, memory_order_relaxed);
	/* the fields read belong to the sequence number read first */
	atomic_thread_fence(memory_order_acquire);
	return atomic_load_explicit(&shim_quiet.seq, memory_order_relaxed) == seq;
}

/* The new fd's entry after shim_open_fast() said yes (no identity: no path matched). */
static inline __attribute__((always_inline)) void shim_fd_record_fast(int fd, uint64_t known,
								      uint64_t match)
{
	struct shim_fd *e;

	if (fd < 0)
		return;
	if (!shim_armed(SHIM_OPS_FDOPS)) {
		shim_fd_opened(fd);
		return;
	}
	e = shim_fd_get(fd, true);
	if (e)
		shim_fd_entry_set(e, SHIM_FD_FILE, match, known);
}

/*
 * shim_fd_record_open() after shim_open_quiet() said yes: no path matched,
 * so the entry takes the facts as they are, with no identity.
 */
static inline __attribute__((always_inline)) void
shim_fd_record_quiet(int fd, const struct shim_open_facts *of)
{
	shim_fd_record_fast(fd, of->known, of->match);
}

/*
 * Whether an open of path is one no rule concerns, told without deciding:
 * then the verdict is a pass and *of is what shim_decide_open() would have
 * given shim_fd_record_open() (control.c). len: fr_path_clean_len(path)
 * if the caller has it, else SIZE_MAX.
 */
bool shim_open_quiet(const char *path, size_t len, struct shim_open_facts *of);
/* After shim_open_quiet() said no: what shim_decide_open() decides. */
struct shim_verdict;
enum shim_outcome shim_decide_open_rest(int dirfd, const char *path, bool writes, const char *fn,
					struct shim_open_facts *of, struct shim_verdict *v);

/*
 * The subset of `want` (slot mask) whose fd selectors match fd, resolving
 * unknown bits once (readlink of /proc/self/fd/N, or the peer recorded for
 * a socket / getpeername). *kind receives the fd's kind. *fresh (may be
 * NULL) is set when the entry was resolved now, its identity just read.
 */
uint64_t shim_fd_match(int fd, uint64_t want, enum shim_fd_kind *kind, bool *fresh);

/*
 * Whether fd is still the object its entry was recorded for (one fstat:
 * the kind, the inode, a file's device). If not, the entry is forgotten
 * and false returned: the caller resolves it again and decides anew.
 * Called only where a rule is about to inject on fd, never on the fast
 * paths. errno kept.
 */
bool shim_fd_confirm(int fd);

/* Record a socket's peer (connect/accept) or local address (accept/bind). */
void shim_fd_set_peer(int fd, const struct sockaddr *sa, socklen_t len);
void shim_fd_set_local(int fd, const struct sockaddr *sa, socklen_t len);
/* listen() succeeded on fd (listen(2), or syscall(SYS_listen)). errno kept. */
void shim_fd_set_listening(int fd);

/*
 * Whether rule r's fd selectors match an fd of this kind with this path
 * (files) or this entry's addresses (sockets).
 */
bool shim_rule_match_file(const struct fr_rule *r, const char *path);
bool shim_rule_match_sock(const struct fr_rule *r, const struct shim_fd *e, const char *unix_path);

/*
 * Make path (relative to dirfd, AT_FDCWD for the cwd) absolute and
 * lexically normal ("." and ".." and "//" removed; symlinks not resolved)
 * into out. Returns out, or NULL if it does not fit.
 */
char *shim_abspath(int dirfd, const char *path, char *out, size_t len);
/*
 * The same path as shim_abspath() gives, but path itself when it is
 * absolute and already normal (no copy); otherwise made in buf. NULL when
 * it does not fit.
 */
const char *shim_path_view(int dirfd, const char *path, char *buf, size_t len);
/*
 * The length of path if it is absolute and already normal (shim_path_view's
 * no-copy case), else 0.
 */
size_t shim_path_clean(const char *path);

/*
 * The cwd cache (wrap_fs.c): shim_cwd_changed(r) after a chdir/fchdir
 * (or the raw system calls) returned r; shim_cwd_store() keeps a cwd
 * learnt by getcwd (len bytes of p); shim_cwd_load() copies it into out
 * and returns its length, or 0 when unknown. A hint, never trusted alone:
 * see wrap_fs.c.
 */
void shim_cwd_changed(int r);
void shim_cwd_store(const char *p, size_t len);
size_t shim_cwd_load(char *out, size_t len);

/*
 * The published rules among the first n, classified once per slot: those
 * a file's path decides (*path: a path glob, no socket selector), those
 * that select every file (*any: neither). Returns the slots classified
 * (the ready ones).
 */
uint64_t shim_rule_classes_all(struct fr_ctl *c, unsigned n, uint64_t *path, uint64_t *any);
/*
 * Once the first n slots are all classified (shim_cls_upto == n) the
 * answer is three loads: the common case, asked on every open.
 */
extern _Atomic uint32_t shim_cls_upto;
extern _Atomic uint64_t shim_cls_path, shim_cls_any;
static inline uint64_t shim_rule_classes(struct fr_ctl *c, unsigned n, uint64_t *path,
					 uint64_t *any)
{
	if (likely(atomic_load_explicit(&shim_cls_upto, memory_order_acquire) == n && n)) {
		*path = atomic_load_explicit(&shim_cls_path, memory_order_relaxed);
		*any = atomic_load_explicit(&shim_cls_any, memory_order_relaxed);
		return n >= 64 ? ~0ull : (1ull << n) - 1;
	}
	return shim_rule_classes_all(c, n, path, any);
}
/* The slots among `slots` (path rules) whose glob matches path, through the prefix index. */
uint64_t shim_match_files(struct fr_ctl *c, uint64_t slots, const char *path);
/* The same for the index's candidates `cand`, already found. */
uint64_t shim_match_cands(struct fr_ctl *c, uint64_t cand, const char *path);

/* readlink(/proc/self/fd/N) into out, " (deleted)" stripped; 0 or -errno. */
int shim_fd_path(int fd, char *out, size_t len);
/* The same, a path longer than out holds named by its end (fr_where_copy); 0 or -errno. */
int shim_fd_path_tail(int fd, char *out, size_t len);

/*
 * fdwhere.c: the name an injection on fd reported, kept for the next one.
 * shim_fd_where_get() copies it (truncated to len) and returns true when
 * it is known; otherwise take shim_fd_where_begin(fd) before looking the
 * name up and hand it to shim_fd_where_put(), which keeps the name only if
 * the fd's entry did not change in between.
 */
bool shim_fd_where_get(int fd, char *out, size_t len);
uint32_t shim_fd_where_begin(int fd);
void shim_fd_where_put(int fd, uint32_t info, const char *where);

/*
 * The armed rules of an fd operation as the fd table sees them: op's own
 * and, for read/write, those of recv/send (the same call on a socket).
 */
#define SHIM_ALT_OP(op) ((op) == FR_OP_WRITE ? FR_OP_SEND : (op) == FR_OP_READ ? FR_OP_RECV : (op))

/*
 * The common case of "a rule is armed, but for another file": fd's entry
 * already knows every armed rule of op and matches none of them. Then the
 * call needs no decision at all: no errno save, no counters, no syscall.
 * A lookup and two mask tests; false means "decide".
 */
static inline __attribute__((always_inline)) bool shim_fd_quick_pass(enum fr_op op, int fd)
{
	struct fr_ctl *c = shim_ctl;
	struct shim_fd *e = shim_fd_peek(fd);
	uint64_t rules;

	if (!c || !e)
		return false;
	rules = atomic_load_explicit(&c->armed_rules[op], memory_order_acquire);
	if (SHIM_ALT_OP(op) != op)
		rules |= atomic_load_explicit(&c->armed_rules[SHIM_ALT_OP(op)],
					      memory_order_acquire);
	if (rules & ~atomic_load_explicit(&e->known, memory_order_acquire))
		return false;
	return !(rules & atomic_load_explicit(&e->match, memory_order_acquire));
}

#endif /* FAULTRUN_SHIM_FDTABLE_H */
