/*
 * libfaultshim internals, shared by every file of the shim.
 *
 * Layers (STYLE "Shim rules" 1): the exported wrapper (`write`) does the
 * hot-path test and, only when a rule is armed for its operation, asks the
 * decision logic (shim_decide_fd/_path in control.c) what to do; the real
 * function is reached through shim_real.<name>.fn (resolve.c).
 *
 * Hot path: shim_armed() is one relaxed load of the control block's
 * `armed_ops` word (through shim_armed_word, which points at a static zero
 * until a block is attached) and a branch. Nothing else runs when no rule
 * is armed for the call's operation: no lock, allocation, syscall or errno
 * change, so it is safe in signal handlers.
 *
 * HOW TO ADD A FAMILY (say "ipc", in wrap_ipc.c)
 * 1. Declare each entry point once in wrapped.def, as
 *      WRAP_IPC(name, ret, (params), (args), OP, SHAPE, FAIL, "ERRNOS")
 *    (see the field list at the top of wrapped.def) and add the
 *    `#ifndef WRAP_IPC / #define WRAP_IPC WRAP` default there. That alone
 *    gives the prototype (below), the real-function pointer
 *    (shim_real.name), its dlsym binding with the self-check, the
 *    `visibility("default")` export, the version-script line
 *    (faultshim.map is generated from the list) and a row in the
 *    exported-symbol test, the static test and the generated per-function
 *    tests (which then require a case for it). A glibc entry point its
 *    headers do not declare goes to glibc_private.h too (the tests call it).
 * 2. Generate the bodies at the end of wrap_ipc.c:
 *      #define WRAP(name, ret, params, args, op, shape, fail, errnos)
 *      #define WRAP_IPC(name, ret, params, args, op, shape, fail, errnos) \
 *              SHIM_GEN_##shape(name, ret, params, args, op, fail)
 *      #include "wrapped.def"
 *    SHAPE names the generator. Prefer the existing ones: the fd shapes
 *    FD_BUF, FD_IOV, FD_PLAIN, FD_ALLOC, XFER and the opens (wrap_fd.c),
 *    SOCK_BUF and SOCK_MSG_* (wrap_sock.c), PATH, PATHAT, RENAME*, the
 *    free-space shapes (wrap_fs.c). A new shape is a SHIM_GEN_<SHAPE>
 *    macro that writes `SHIM_SLOW(name, ret, params) { ...decide and
 *    apply... }` and then the one fast path, SHIM_GEN_FD_FAST (fd calls)
 *    or SHIM_GEN_FAST (any `armed` test). When only the decision differs,
 *    give the row the shape FD_FAST (or a family's *_FAST, see
 *    wrap_poll.c) and write just `slow_<name>` by hand, before the
 *    #include. MANUAL rows are written whole, by hand; such a body starts
 *      if (unlikely(!SHIM_BOUND(name)))
 *              return SHIM_FAIL_<FAIL>(ENOSYS);
 *      if (likely(!shim_armed(bits)))
 *              return SHIM_REAL(name) args;
 *    and only then does anything else. Macros never hide a return from a
 *    hand-written body; generators write whole functions.
 * 3. Decide with shim_decide_fd() (fd calls: an fd's kind, path or peer
 *    and the rule selectors are matched through the fd table, once per fd
 *    and rule) or shim_decide_path(), or add a shim_decide_<x>() in
 *    control.c built on shim_decide_mask() (e.g. connect: match the
 *    address argument). Apply the verdict with shim_gate(): true means
 *    fail with SHIM_FAIL_<F>(v.err); it has already waited out a
 *    SHIM_DELAY/SHIM_STALL. Then SHIM_LIMIT -> real call with v.allow
 *    bytes, and shim_settle() with what it moved. Sockets use
 *    shim_sock_apply() first (O_NONBLOCK, SO_*TIMEO, reset).
 * 4. New fds: call shim_fd_opened(fd) (cheap: forgets a stale entry; a
 *    row whose only job is that takes the shape NEWFD) or, when the peer
 *    is known, shim_fd_set_peer()/shim_fd_set_local(); fds received in a
 *    msghdr go to shim_fd_received(). Closes, dups and syscall() already
 *    keep the table true (wrap_fd.c, wrap_sys.c), and an injection on an
 *    fd confirms its identity first (shim_fd_confirm, in control.c).
 * 5. Call libc only through SHIM_REAL(name), or make a system call with
 *    fr_syscall() (harness/fault/raw_syscall.h: the instruction itself;
 *    syscall() is one of our own wrappers), from any shim code
 *    (tests/shim/test-shim-static.sh fails otherwise), add the
 *    source to shim_sources in meson.build and cases to
 *    tests/shim/test-shim-<family>.c.
 */
#ifndef FAULTRUN_SHIM_SHIM_H
#define FAULTRUN_SHIM_SHIM_H

/*
 * With -O2 glibc's <bits/stdio.h> gives getc/putc/getchar... extern-inline
 * bodies, which would clash with our definitions of the same names.
 */
#ifndef __NO_INLINE__
#define __NO_INLINE__ 1
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <faultrun/control.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <resolv.h>
/*
 * glibc before 2.34 renamed these to __res_* in <resolv.h>; we define both
 * names (wrapped.def), so take the header's names as written.
 */
#undef res_query
#undef res_search
#undef res_querydomain
#undef res_nquery
#undef res_nsearch
#undef res_nquerydomain
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/syscall.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/timerfd.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define SHIM_EXPORT __attribute__((visibility("default")))
#define SHIM_TLS __thread __attribute__((tls_model("initial-exec")))

#include "glibc_private.h"
#include "../fault/raw_syscall.h"

/*
 * The real functions, one union per wrapped.def entry: `fn` has the
 * entry's exact type, `obj` is what dlsym returns.
 */
struct shim_real_table {
#define WRAP(name, ret, params, args, op, shape, fail, errnos) \
	union {                                                \
		ret(*fn) params;                               \
		void *obj;                                     \
	} name;
#include "wrapped.def"
#undef WRAP
};
extern struct shim_real_table shim_real;

/* Every wrapped symbol is exported: redeclare it with default visibility. */
#define WRAP(name, ret, params, args, op, shape, fail, errnos) SHIM_EXPORT ret name params;
#include "wrapped.def"
#undef WRAP

#define SHIM_REAL(name) (shim_real.name.fn)

/*
 * Whether shim_real.name is bound, binding everything first when it is not
 * (a call before our constructor ran, from another library's constructor).
 * Inside the shim's own initialisation the symbol may not be bound yet:
 * then it stays false and the wrapper fails with ENOSYS rather than
 * recurse (STYLE "Shim rules" 3):
 *
 *	if (unlikely(!SHIM_BOUND(close)))
 *		return SHIM_FAIL_M1(ENOSYS);
 */
#define SHIM_BOUND(name) shim_bound(&shim_real.name.obj)

/* How each entry point reports a failure (the FAIL field of wrapped.def). */
#define SHIM_FAIL_M1(e) (errno = (e), -1)
#define SHIM_FAIL_NULLP(e) (errno = (e), NULL)
#define SHIM_FAIL_RETERR(e) (e)
#define SHIM_FAIL_EOFV(e) (errno = (e), EOF)
#define SHIM_FAIL_ZERO(e) (errno = (e), 0)
#define SHIM_FAIL_VOID(e) /* closefrom */

/* ---- init.c ---------------------------------------------------------- */

/* Idempotent: binds the real functions and attaches the control block. */
void shim_init(void);
/* The attached block, or NULL (no FAULTRUN_CTL, bad block: injection off). */
/* FAULTRUN_CTL as this process attached it ("" when it did not) */
extern char shim_ctl_path[];
extern struct fr_ctl *shim_ctl;
/* &shim_ctl->armed_ops once attached, else a word that stays zero. */
extern _Atomic uint32_t *shim_armed_word;
/* FAULTSHIM_DEBUG is set. */
extern bool shim_debug;

/*
 * This process's pid, for the events it records, without a getpid() per
 * injection: 0 until first asked, set anew in every child a fork makes
 * (shim_forked: fork's atfork handler, _Fork, and fork-like system calls
 * made through syscall()). A child that shares our memory (vfork, clone
 * with CLONE_VM) must not touch it: it only execs or exits, and would
 * otherwise rename its parent.
 */
extern _Atomic int shim_pid;
static inline int shim_self_pid(void)
{
	int p = atomic_load_explicit(&shim_pid, memory_order_relaxed);

	if (__builtin_expect(!p, 0)) {
		p = (int)fr_syscall(SYS_getpid);
		atomic_store_explicit(&shim_pid, p, memory_order_relaxed);
	}
	return p;
}
/* In a new child process (not one sharing our memory): its pid, its entry in the block. */
void shim_forked(void);

/*
 * The program's open of path (relative to dirfd) with flags and mode, made
 * so that no symlink may lie on the way (nolinks.c): the new fd, or -1
 * with errno set for an error the program's own call would give too; then
 * the kernel's path of the fd is path. SHIM_NOLINKS_NO, errno untouched:
 * make the program's own call (a symlink on the way, openat2 refused or
 * missing, a seccomp filter in the process).
 */
#define SHIM_NOLINKS_NO (-2)
int shim_open_nolinks_on(int dirfd, const char *path, int flags, unsigned mode);
/* 2: openat2 is not to be used in this process (nolinks.c) */
extern _Atomic int shim_nolinks_state;
static inline int shim_open_nolinks(int dirfd, const char *path, int flags, unsigned mode)
{
	if (atomic_load_explicit(&shim_nolinks_state, memory_order_relaxed) == 2)
		return SHIM_NOLINKS_NO;
	return shim_open_nolinks_on(dirfd, path, flags, mode);
}
/* The process installs a seccomp filter: no openat2 of the shim's from now on. */
void shim_nolinks_off(void);

/* See SHIM_BOUND. */
static inline bool shim_bound(void *const *slot)
{
	if (likely(*slot != NULL))
		return true;
	shim_init();
	return *slot != NULL;
}

/*
 * THE hot-path test: whether any rule is armed for one of `bits` (FR_OPBIT
 * mask). One relaxed load and a test.
 */
static inline bool shim_armed(uint32_t bits)
{
	return atomic_load_explicit(shim_armed_word, memory_order_relaxed) & bits;
}

/*
 * Op bits that send a call to its slow path. A write() on a socket is a
 * `send`, a read() a `recv`; an open must also record the new fd's path
 * when a rule is armed for any fd operation.
 */
#define SHIM_B(op) FR_OPBIT(FR_OP_##op)
#define SHIM_OPS_WRITE (SHIM_B(WRITE) | SHIM_B(SEND))
#define SHIM_OPS_READ (SHIM_B(READ) | SHIM_B(RECV))
#define SHIM_OPS_SEND SHIM_B(SEND)
#define SHIM_OPS_RECV SHIM_B(RECV)
#define SHIM_OPS_FSYNC SHIM_B(FSYNC)
#define SHIM_OPS_TRUNCATE SHIM_B(TRUNCATE)
#define SHIM_OPS_ALLOCATE SHIM_B(ALLOCATE)
#define SHIM_OPS_RENAME SHIM_B(RENAME)
#define SHIM_OPS_UNLINK SHIM_B(UNLINK)
#define SHIM_OPS_MKDIR SHIM_B(MKDIR)
#define SHIM_OPS_LINK SHIM_B(LINK)
#define SHIM_OPS_STATFS SHIM_B(STATFS)
#define SHIM_OPS_FDOPS                                                                             \
	(SHIM_OPS_WRITE | SHIM_OPS_READ | SHIM_OPS_FSYNC | SHIM_OPS_TRUNCATE | SHIM_OPS_ALLOCATE | \
	 SHIM_OPS_STATFS)
#define SHIM_OPS_OPEN (SHIM_B(OPEN) | SHIM_OPS_FDOPS)
/* the socket operations: connect, accept and poll-family slow paths */
#define SHIM_OPS_NET (SHIM_B(CONNECT) | SHIM_B(ACCEPT) | SHIM_B(SEND) | SHIM_B(RECV))

/*
 * The one fast path, generated for every wrapped.def row whose decision is
 * out of line in `static ret slow_<name> params` (generated or written by
 * hand): the exported function tests that the real function is bound,
 * then `armed` (a shim_armed() test, one relaxed load), then `pass` (the
 * fd table's "armed, but not for this fd" check, or false), and otherwise
 * tail-calls the real function. Binding before our constructor ran is
 * out of line too (unbound_<name>), so the exported function sets up no
 * stack frame (docs/performance.md). slow_<name> decides completely, so
 * unbound_<name> may call it whatever is armed.
 */
#define SHIM_GEN_FAST(name, ret, params, args, fail, armed, pass)        \
	static __attribute__((noinline, cold)) ret unbound_##name params \
	{                                                                \
		if (!shim_bound(&shim_real.name.obj))                    \
			return SHIM_FAIL_##fail(ENOSYS);                 \
		return slow_##name args;                                 \
	}                                                                \
	ret name params                                                  \
	{                                                                \
		if (unlikely(!shim_real.name.fn))                        \
			return unbound_##name args;                      \
		if (likely(!(armed)))                                    \
			return SHIM_REAL(name) args;                     \
		if (pass)                                                \
			return SHIM_REAL(name) args;                     \
		return slow_##name args;                                 \
	}

/*
 * The fast path of a call on an fd of operation op: armed for op (or, for
 * read/write, the recv/send the same call is on a socket)? then the fd
 * table's quick check. Also the shape FD_FAST in wrapped.def: the
 * exported function is generated, slow_<name> written by hand.
 */
#define SHIM_GEN_FD_FAST(name, ret, params, args, op, fail)                     \
	SHIM_GEN_FAST(name, ret, params, args, fail, shim_armed(SHIM_OPS_##op), \
		      shim_fd_quick_pass(FR_OP_##op, fd))

/* Rows whose whole body is written by hand generate nothing. */
#define SHIM_GEN_MANUAL(name, ret, params, args, op, fail)

/* The declaration of a slow path (generated or hand-written). */
#define SHIM_SLOW(name, ret, params) static __attribute__((noinline)) ret slow_##name params

/* Write a "faultshim[pid]: ..." line to stderr when FAULTSHIM_DEBUG is set. */
void shim_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define SHIM_DEBUG(...)                        \
	do {                                   \
		if (unlikely(shim_debug))      \
			shim_log(__VA_ARGS__); \
	} while (0)

/* ---- resolve.c ------------------------------------------------------- */

/* Bind every shim_real entry with dlsym(RTLD_NEXT); aborts on a self-bind. */
void shim_resolve_all(void);

/* ---- guard.c --------------------------------------------------------- */

/*
 * Per-thread re-entry depth. Non-zero while the shim does its own work
 * (binding, attaching, deciding): wrappers reached from there call
 * straight through and never decide.
 */
extern SHIM_TLS int shim_depth;

static inline bool shim_guard_enter(void)
{
	return shim_depth++ == 0;
}

static inline void shim_guard_leave(void)
{
	shim_depth--;
}

/* ---- fdtable.c, path.c, cwd.c, fdwhere.c: the fd table and paths ----- */
#include "fdtable.h"

/* ---- control.c ------------------------------------------------------- */

enum shim_outcome {
	SHIM_PASS = 0, /* call the real function unchanged */
	SHIM_FAIL,     /* fail with v.err */
	SHIM_LIMIT,    /* move at most v.allow bytes (short write, budget) */
	SHIM_COUNT,    /* real call with v.allow (= all) bytes, then shim_settle */
	SHIM_DELAY,    /* sleep v.ns, then the real call */
	SHIM_STALL,    /* wait until rule v.rule is cleared (or v.ns), then call */
	SHIM_RESET,    /* connection reset (sockets) */
	SHIM_REFUSE,   /* connection refused (connect) */
	SHIM_DGRAM, /* a datagram fault (drop, duplicate, reorder): shim_dgram_msg() makes the call */
};

/* What the decision logic says about one call. */
struct shim_verdict {
	enum shim_outcome what;
	enum fr_op op;		  /* the operation decided (a socket write is SEND) */
	int err;		  /* SHIM_FAIL: the errno; SHIM_LIMIT: errno for stdio */
	unsigned rule;		  /* slot index */
	uint64_t ns;		  /* delay or stall duration (0 = until cleared) */
	size_t allow;		  /* SHIM_LIMIT: bytes this call may move */
	size_t taken;		  /* budget bytes taken for this call (settled later) */
	int budget_rule;	  /* slot the bytes were taken from, -1 for none */
	enum shim_fd_kind kind;	  /* fd calls: the fd's kind */
	int disk_rule;		  /* the disk rule whose tree the call is in, -1 for none */
	struct fr_disk_take disk; /* what the disk charged for this call (disk.c) */
	int stream_file;	  /* stdio: the file's disk entry, -1 for none (disk_stdio.c) */
	uint64_t stream_size;	  /* stdio: the file's size before the call */
	size_t slice;		  /* SHIM_DELAY: then move at most this many bytes (0: all) */
	int limit_rule;		  /* close-after= rule counting this call's bytes, -1 for none */
	int limit_fd;		  /* ... on this socket */
	size_t limit_left;	  /* ... which may move at most this many */
	bool limit_shut;	  /* then=close: shut the socket down before the call */
	int rate_rule;		  /* rate=: the rule whose bucket paces the call, -1 for none */
	int rate_fd;		  /* ... the socket */
	size_t rate_taken;	  /* ... bytes taken from its bucket (settled later) */
	uint64_t rate_ns;	  /* ... and what they cost it */
	uint64_t fired_ns; /* when fr_ctl_fire_at counted it (0: not known; the event reads the clock) */
};

/* A verdict that says SHIM_PASS. */
void shim_verdict_init(struct shim_verdict *v, enum fr_op op);
/* Flags for the decision functions. */
#define SHIM_NOBUDGET 0x1u  /* budget rules do not apply (fflush, fclose) */
#define SHIM_DISK_ONLY 0x2u /* only disk rules apply (stdio's flush at exit) */
#define SHIM_STDIO 0x4u	    /* stdio: no slice= (a short fread is EOF to it) */
#define SHIM_CLOSING 0x8u   /* a socket's close: only slow-close= rules apply */
#define SHIM_NO_DGRAM 0x10u /* no datagram faults: the caller cannot carry them (splice...) */

/*
 * Decide an fd call of operation op that would move `want` bytes.
 * READ/WRITE on a socket become RECV/SEND. Records the injection (counters,
 * event, debug log). errno is left as it was. `fn` is the entry point.
 */
enum shim_outcome shim_decide_fd(enum fr_op op, int fd, size_t want, const char *fn, unsigned flags,
				 struct shim_verdict *v);
/* Decide a call naming a path (open, mkdir, unlink, truncate...). */
enum shim_outcome shim_decide_path(enum fr_op op, int dirfd, const char *path, const char *fn,
				   struct shim_verdict *v);
/*
 * Decide an open of path: as shim_decide_path, skipping the rules whose
 * mode= is the other access mode (writes: shim_open_writes()). *of
 * receives what shim_fd_record_open() can reuse.
 */
enum shim_outcome shim_decide_open(int dirfd, const char *path, bool writes, const char *fn,
				   struct shim_open_facts *of, struct shim_verdict *v);

/*
 * Whether open flags open for writing, as mode=write means it: O_WRONLY,
 * O_RDWR, or O_CREAT/O_TRUNC (which change the file even with O_RDONLY);
 * O_TMPFILE requires a writable access mode.
 */
static inline bool shim_open_writes(int flags)
{
	return (flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC));
}

/* The same for an fopen() mode: "r" reads, "r+", "w", "a" (and "x") write. */
static inline bool shim_fopen_writes(const char *mode)
{
	if (!mode || mode[0] != 'r')
		return true;
	for (const char *m = mode + 1; *m && *m != ','; m++)
		if (*m == '+')
			return true;
	return false;
}

/* Decide a call naming two paths (rename): a rule matching either applies. */
enum shim_outcome shim_decide_path2(enum fr_op op, int dirfd1, const char *path1, int dirfd2,
				    const char *path2, const char *fn, struct shim_verdict *v);

/*
 * The core, for families that match their own way: `cand` are the armed
 * slots (of armed_rules[op]) whose call selectors already matched; this
 * checks proc=, applies after/probability/times and budgets, and records.
 * `where` names the object for the event ring and the debug log.
 */
enum shim_outcome shim_decide_mask(struct fr_ctl *c, enum fr_op op, uint64_t cand, size_t want,
				   unsigned flags, const char *fn, const char *where,
				   struct shim_verdict *v);

/* Slots in armed_rules[op] bounded by the published slot count. */
uint64_t shim_armed_rules(struct fr_ctl *c, enum fr_op op);

/*
 * A SHIM_LIMIT call moved `done` bytes (or failed, done < 0): give back the
 * budget bytes it did not use.
 */
void shim_settle(const struct shim_verdict *v, ssize_t done);

/*
 * Carry out SHIM_DELAY / SHIM_STALL for a blocking file call: sleep, or
 * wait on the block's futex until the rule is disarmed (or v->ns passes).
 * Returns 0, or -errno if the wait must end the call (never for files).
 * Socket calls use shim_sock_apply() instead (O_NONBLOCK, SO_RCVTIMEO).
 */
int shim_wait(const struct shim_verdict *v);

/* Outcomes that fail a call before it is made (masks for shim_gate). */
#define SHIM_FAILS_PATH (1u << SHIM_FAIL)
#define SHIM_FAILS_ALL ((1u << SHIM_FAIL) | (1u << SHIM_RESET) | (1u << SHIM_REFUSE))

/*
 * The verdict switch every wrapper shares, before its real call: true when
 * the call must fail with v->err (its outcome is in `fails`: calls naming
 * paths know only SHIM_FAIL, the others also a reset or refusal); a delay
 * or stall is waited out first. SHIM_LIMIT/SHIM_COUNT are the caller's.
 */
static inline bool shim_gate(const struct shim_verdict *v, unsigned fails)
{
	if ((1u << v->what) & fails)
		return true;
	if (v->what == SHIM_DELAY || v->what == SHIM_STALL)
		shim_wait(v);
	return false;
}

/*
 * Wait until slot idx is disarmed, the deadline (CLOCK_MONOTONIC ns, 0 =
 * none) passes or a signal arrives, without spinning: a FUTEX_WAIT on the
 * block's `generation` word, which writers bump (and wake) on every
 * arm/disarm. Returns 0 (cleared), -ETIMEDOUT or -EINTR. errno kept.
 */
int shim_stall_wait(unsigned idx, uint64_t deadline_ns);

/* Sleep ns nanoseconds (resumes after signals). errno kept. */
void shim_sleep_ns(uint64_t ns);

/* Give the real stdio error indicator to f, as a failed write/read would. */
void shim_stdio_set_error(FILE *f);

/* ---- disk.c: the disk model's side of each call ------------------------- */

/*
 * A symbolic link target this long needs a block of its own on tmpfs
 * (shorter ones live in the inode). Measured: tests/disk/measure-full.sh.
 */
#define SHIM_SYMLINK_INLINE 128

/*
 * A write of n bytes at off (-1: the fd's position, or its end with
 * O_APPEND) on a file in v->disk_rule's tree: charges the blocks it adds.
 * Returns 0 with v->allow lowered to what fits (SHIM_LIMIT), or -ENOSPC
 * (recorded as an injection). shim_settle() gives back what the real call
 * did not use. errno kept.
 */
int shim_disk_write(int fd, long long off, size_t n, const char *fn, struct shim_verdict *v);
/* fallocate/posix_fallocate of [off, off + len): all of it or -ENOSPC. */
int shim_disk_alloc(int fd, int mode, long long off, long long len, const char *fn,
		    struct shim_verdict *v);

/*
 * Calls that shrink or remove files: `shim_disk_before` notes the file a
 * call may cut or unlink (dirfd/path, or fd when path is NULL; nofollow
 * for unlink and rename), `shim_disk_after` applies it once the real call
 * succeeded: cut to len (truncate, O_TRUNC), or its link removed.
 */
struct shim_disk_file {
	int rule, file;
	bool last_link; /* a regular file's last link */
	bool symblock;	/* a symbolic link with a block of its own */
};
void shim_disk_before(const struct shim_verdict *v, int fd, int dirfd, const char *path,
		      bool nofollow, struct shim_disk_file *df);
void shim_disk_cut(const struct shim_disk_file *df, long long len);
void shim_disk_unlinked(const struct shim_disk_file *df);
/* An injection of the disk rule: counted, in the event ring and the debug log. */
void shim_disk_inject(struct shim_verdict *v, int fd, const char *where, const char *fn);
/*
 * Where a write to fd at off (-1: its position) lands, and the file's
 * entry in rule's table (*file, -1 when the table is full); *st (may be
 * NULL) receives fstat's answer. false: not a regular file.
 */
struct stat;
bool shim_disk_where(int fd, long long off, bool *append, uint64_t *start, int *file, unsigned rule,
		     struct stat *st);
/*
 * fr_disk_grow, and once more after freeing what removed files nobody
 * holds any more occupied when it does not fit: how many of len fit.
 */
uint64_t shim_disk_grow(unsigned rule, int file, uint64_t start, uint64_t len, bool append,
			bool all, struct fr_disk_take *tk);

/*
 * disk_stdio.c: a stdio call on stream f (fd its file, in v->disk_rule's
 * tree) about to hand it the bytes of iov[0..cnt) (none, iov NULL: a
 * flush, fflush or fclose). Charges what the call will make libc write to
 * the file, as its buffering decides. Returns false: make the real call
 * (then shim_disk_stream_after). Returns true when that does not fit: as
 * libc does when its write fails, the shim wrote what fits, emptied the
 * buffer and set the error indicator and errno (ENOSPC); *accepted is the
 * count of iov's bytes libc's own write path returns then (-1: EOF).
 */
bool shim_disk_stream(FILE *f, int fd, const struct iovec *iov, int cnt, const char *fn,
		      struct shim_verdict *v, long *accepted);
/* After the real call: charge what the file grew by beyond the charge. */
void shim_disk_stream_after(int fd, const struct shim_verdict *v);

/* symlink with a target that needs a block of its own: 0 or -ENOSPC. */
int shim_disk_symlink(const char *target, const char *fn, struct shim_verdict *v);
/*
 * The armed statfs rules of one action whose path matches abs, as a file
 * or as a directory over its files ("abs/x"), as a mask of slots; 0 for a
 * path of PATH_MAX or more.
 */
uint64_t shim_statfs_rules(const char *abs, enum fr_action action);
/*
 * The disk whose tree holds abs (a path, or a directory over its files):
 * fills *cap and *freeb (bytes) and *bs, freeing removed files nobody
 * holds first. Returns false when no armed disk rule matches.
 */
bool shim_disk_space(const char *abs, uint64_t *cap, uint64_t *freeb, uint64_t *bs);

/* ---- wrap_sock.c, stall.c: sockets (see sock.h) -------------------------- */

/*
 * Carry out a verdict on a socket call (v->op is RECV, SEND, ACCEPT or
 * CONNECT): SHIM_FAIL gives -v->err, SHIM_RESET resets the connection
 * for real and gives -ECONNRESET, SHIM_STALL/SHIM_DELAY hold the call
 * (wait while it may block, honouring SO_RCVTIMEO/SO_SNDTIMEO; -EAGAIN
 * when O_NONBLOCK or `dontwait`; -EINTR on a signal). Returns 0 when the
 * real call must now be made (v->what is then SHIM_PASS, or the
 * SHIM_LIMIT/SHIM_COUNT it was), else -errno. read()/write() on a socket
 * (wrap_fd.c) come here too.
 */
int shim_sock_apply(int fd, bool dontwait, struct shim_verdict *v);
/*
 * A send under a blackhole rule (v: SHIM_STALL of a blackhole rule on
 * SEND, v->allow bytes): the bytes are taken as the kernel would buffer
 * them, up to the socket's SO_SNDBUF, and never sent. Returns how many
 * the call must report sent without calling the real function, or 0:
 * carry on with shim_sock_apply(), which holds the call (buffer full).
 */
size_t shim_sock_swallow(int fd, struct shim_verdict *v);

/*
 * A stall or delay episode already holds (fd, op): fill v with it
 * (SHIM_STALL or SHIM_DELAY, its rule, allow = want) without deciding or
 * counting again, and return true. One relaxed load when none exists.
 */
bool shim_sock_episode(int fd, enum fr_op op, size_t want, struct shim_verdict *v);

/* "host:port", "[v6]:port" or "unix:path" naming fd's peer (events). */
void shim_sock_where(int fd, char *out, size_t n);

/* fd (or fds first..last) closed or replaced: forget its episodes. */
void shim_sock_forget(int fd);
void shim_sock_forget_range(unsigned first, unsigned last);
/* ... and what close-after= and per=connection knew of it (limit.c) */
void shim_limit_forget(int fd);
void shim_limit_forget_range(unsigned first, unsigned last);
/* A call on a close-after= connection moved `done` bytes: count them. */
void shim_limit_settle(const struct shim_verdict *v, ssize_t done);

/*
 * fr_ctl_fire() for a stall rule: for a socket operation with
 * stall=DURATION, refuses once the rule's window (DURATION from its first
 * injection in this arming, in this process) has passed.
 */
bool shim_stall_fire(struct fr_ctl *c, unsigned i, enum fr_op op);

#endif /* FAULTRUN_SHIM_SHIM_H */
