/*
 * The fd family: opens, read/write and their vector, positional, 64-bit and
 * _FORTIFY_SOURCE variants, fsync, ftruncate, fallocate, the in-kernel
 * copies (copy_file_range, sendfile, splice) and the calls that keep the
 * fd table true (close, close_range, closefrom, dup*, fcntl F_DUPFD, pipe,
 * and every other call that returns a new fd). syscall() is wrap_sys.c.
 *
 * Most bodies are generated from wrapped.def by the SHIM_GEN_<SHAPE>
 * macros below; the generators rely on the parameter names wrapped.def
 * uses (fd, n, iov, cnt, len, path, dirfd, flags). Each body is the same
 * three steps: bind, hot-path test (return through the real function on
 * the first line when nothing is armed), then decide and apply.
 */
#include "shim.h"
#include "sock.h"

#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

static size_t iov_total(const struct iovec *iov, int cnt);
static int iov_cut(const struct iovec *iov, int cnt, size_t allow, struct iovec *cut);

/* At most this many iovecs are rewritten for a short vector write. */
#define SHIM_IOV_CUT 64

/*
 * The tail of a generated fd slow path (it returns): apply a verdict to a
 * call moving n bytes. A failure (or a reset) gives the errno; LIMIT/COUNT
 * (and a delay or stall, after waiting) call the real function with n =
 * v.allow and settle the budget with what it really moved. A write to a
 * file in a disk rule's tree is charged first (woff: where it writes, -1
 * for the fd's position) and may become short or fail. `shorten` cuts the
 * call to v.allow bytes. On a socket, read() and write() get recv/send
 * semantics first (O_NONBLOCK, SO_*TIMEO, reset).
 */
#define SHIM_FD_APPLY(name, ret, args, fail, shorten, woff)                                \
	{                                                                                  \
		ret r;                                                                     \
		if (v.kind == SHIM_FD_SOCKET && v.what != SHIM_PASS) {                     \
			size_t sw = shim_sock_swallow(fd, &v);                             \
			int e;                                                             \
			if (sw)                                                            \
				return (ret)sw; /* a blackhole took them */                \
			e = shim_sock_apply(fd, false, &v);                                \
			if (e < 0)                                                         \
				return SHIM_FAIL_##fail(-e);                               \
		}                                                                          \
		if (v.what == SHIM_PASS)                                                   \
			return SHIM_REAL(name) args;                                       \
		if (v.what == SHIM_RESET)                                                  \
			shutdown(fd, SHUT_RDWR);                                           \
		if (shim_gate(&v, SHIM_FAILS_ALL))                                         \
			return SHIM_FAIL_##fail(v.err);                                    \
		if (v.disk_rule >= 0 && shim_disk_write(fd, woff, v.allow, #name, &v) < 0) \
			return SHIM_FAIL_##fail(ENOSPC);                                   \
		shorten;                                                                   \
		r = SHIM_REAL(name) args;                                                  \
		shim_settle(&v, r);                                                        \
		return r;                                                                  \
	}

/*
 * write(fd, buf, n, ...), read(fd, buf, n, ...) and friends; pwrite(fd,
 * buf, n, off, ...) writes at off
 */
#define SHIM_BUF_SLOW(name, ret, params, args, op, fail, woff)                              \
	SHIM_SLOW(name, ret, params)                                                        \
	{                                                                                   \
		struct shim_verdict v;                                                      \
		shim_decide_fd(FR_OP_##op, fd, n, #name, 0, &v);                            \
		if (unlikely(v.what == SHIM_DGRAM))                                         \
			return shim_dgram_io(fd, &(struct iovec){ (void *)buf, n }, 1, &v); \
		SHIM_FD_APPLY(name, ret, args, fail, n = v.allow, woff)                     \
	}
#define SHIM_GEN_FD_BUF(name, ret, params, args, op, fail)   \
	SHIM_BUF_SLOW(name, ret, params, args, op, fail, -1) \
	SHIM_GEN_FD_FAST(name, ret, params, args, op, fail)
#define SHIM_GEN_FD_PBUF(name, ret, params, args, op, fail)              \
	SHIM_BUF_SLOW(name, ret, params, args, op, fail, (long long)off) \
	SHIM_GEN_FD_FAST(name, ret, params, args, op, fail)

/* writev(fd, iov, cnt, ...), readv(...): a short write cuts the vector */
#define SHIM_IOV_SLOW(name, ret, params, args, op, fail, woff)         \
	SHIM_SLOW(name, ret, params)                                   \
	{                                                              \
		struct shim_verdict v;                                 \
		struct iovec cut[SHIM_IOV_CUT];                        \
		size_t total = iov_total(iov, cnt);                    \
		shim_decide_fd(FR_OP_##op, fd, total, #name, 0, &v);   \
		if (unlikely(v.what == SHIM_DGRAM))                    \
			return shim_dgram_io(fd, iov, cnt, &v);        \
		SHIM_FD_APPLY(                                         \
			name, ret, args, fail,                         \
			if (v.allow < total) {                         \
				cnt = iov_cut(iov, cnt, v.allow, cut); \
				iov = cut;                             \
			},                                             \
			woff)                                          \
	}
#define SHIM_GEN_FD_IOV(name, ret, params, args, op, fail)   \
	SHIM_IOV_SLOW(name, ret, params, args, op, fail, -1) \
	SHIM_GEN_FD_FAST(name, ret, params, args, op, fail)
/* pwritev(fd, iov, cnt, off, ...) */
#define SHIM_GEN_FD_PIOV(name, ret, params, args, op, fail)              \
	SHIM_IOV_SLOW(name, ret, params, args, op, fail, (long long)off) \
	SHIM_GEN_FD_FAST(name, ret, params, args, op, fail)

/*
 * Calls that move no bytes, so no short or budget: `before` runs once the
 * call is let through, `after` with its result r.
 */
#define SHIM_NOBYTES_SLOW(name, ret, params, args, op, fail, before, after)  \
	SHIM_SLOW(name, ret, params)                                         \
	{                                                                    \
		struct shim_verdict v;                                       \
		ret r;                                                       \
		shim_decide_fd(FR_OP_##op, fd, 0, #name, SHIM_NOBUDGET, &v); \
		if (shim_gate(&v, SHIM_FAILS_ALL))                           \
			return SHIM_FAIL_##fail(v.err);                      \
		before;                                                      \
		r = SHIM_REAL(name) args;                                    \
		after;                                                       \
		return r;                                                    \
	}

/* fsync(fd), fdatasync(fd)... */
#define SHIM_GEN_FD_PLAIN(name, ret, params, args, op, fail)                   \
	SHIM_NOBYTES_SLOW(name, ret, params, args, op, fail, (void)0, (void)0) \
	SHIM_GEN_FD_FAST(name, ret, params, args, op, fail)

/*
 * ftruncate(fd, len): a file in a disk rule's tree cut shorter frees its
 * blocks past len; made longer, it takes nothing (sparse, as on tmpfs)
 */
#define SHIM_GEN_FD_TRUNC(name, ret, params, args, op, fail)                           \
	SHIM_NOBYTES_SLOW(name, ret, params, args, op, fail, struct shim_disk_file df; \
			  shim_disk_before(&v, fd, -1, NULL, false, &df),              \
			  if (r == 0) shim_disk_cut(&df, (long long)len))              \
	SHIM_GEN_FD_FAST(name, ret, params, args, op, fail)

/* the fallocate mode of each row (posix_fallocate allocates, mode 0) */
#define SHIM_ALLOC_MODE_fallocate mode
#define SHIM_ALLOC_MODE_fallocate64 mode
#define SHIM_ALLOC_MODE_posix_fallocate 0
#define SHIM_ALLOC_MODE_posix_fallocate64 0

/*
 * fallocate(fd, mode, off, len), posix_fallocate: all of len or ENOSPC,
 * from a budget or from a disk rule's free space
 */
#define SHIM_GEN_FD_ALLOC(name, ret, params, args, op, fail)                                       \
	SHIM_SLOW(name, ret, params)                                                               \
	{                                                                                          \
		struct shim_verdict v;                                                             \
		ret r;                                                                             \
		shim_decide_fd(FR_OP_##op, fd, len > 0 ? (size_t)len : 0, #name, 0, &v);           \
		if (shim_gate(&v, SHIM_FAILS_ALL))                                                 \
			return SHIM_FAIL_##fail(v.err);                                            \
		if (v.disk_rule >= 0 &&                                                            \
		    shim_disk_alloc(fd, SHIM_ALLOC_MODE_##name, off, len, #name, &v) < 0)          \
			return SHIM_FAIL_##fail(ENOSPC);                                           \
		r = SHIM_REAL(name) args;                                                          \
		shim_settle(&v,                                                                    \
			    r == 0 ? (ssize_t)(len > (off_t)v.taken ? len : (off_t)v.taken) : -1); \
		return r;                                                                          \
	}                                                                                          \
	SHIM_GEN_FD_FAST(name, ret, params, args, op, fail)

/*
 * Opens. `mode` is read from the varargs only when the flags say the real
 * call will read it, and as an int (STYLE "Shim rules" 5; glibc's
 * __OPEN_NEEDS_MODE). The opened fd's path is recorded while any fd
 * operation is armed; otherwise a stale entry for the number is dropped.
 */
#define SHIM_VA_MODE                                                 \
	int mode = 0;                                                \
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) { \
		va_list ap;                                          \
		va_start(ap, flags);                                 \
		mode = va_arg(ap, int);                              \
		va_end(ap);                                          \
	}

/*
 * The exported open is only the tests that no rule is armed and the real
 * call: the armed work (armed_<name>) is out of line, so that the common
 * call sets up no frame for a verdict, a disk file and the facts. `sparams`
 * are the armed part's parameters: `params` with the mode read. The armed
 * part passes an open no rule concerns (shim_open_fast) and leaves the
 * rest to slow_<name>, with the path's length if it was scanned (`qlen`).
 * While path rules are published it makes that open with no symlink
 * allowed on the way (`nolinks`, shim_open_nolinks) where it can: then the
 * fd's entry says at once that no path rule matches it, instead of the
 * kernel's path being read at the fd's first call (nolinks.c).
 */
#define SHIM_UNPAREN(...) __VA_ARGS__
#define SHIM_WITH_LEN_(...) (size_t qlen, __VA_ARGS__)
#define SHIM_WITH_LEN(params) SHIM_WITH_LEN_(SHIM_UNPAREN params)
#define SHIM_ARGS_LEN_(...) (qlen, __VA_ARGS__)
#define SHIM_ARGS_LEN(args) SHIM_ARGS_LEN_(SHIM_UNPAREN args)
#define SHIM_OPEN_BODY(name, ret, params, sparams, args, at, getmode, writes, trunc, nolinks) \
	static __attribute__((noinline)) ret slow_##name SHIM_WITH_LEN(sparams)               \
	{                                                                                     \
		struct shim_verdict v;                                                        \
		struct shim_open_facts of;                                                    \
		struct shim_disk_file df = { -1, -1, false, false };                          \
		int fd;                                                                       \
		if (shim_open_quiet(path, qlen, &of)) {                                       \
			if (of.pathm && (fd = (nolinks)) != SHIM_NOLINKS_NO) {                \
				of.known |= of.pathm;                                         \
				shim_fd_record_quiet(fd, &of);                                \
				return fd;                                                    \
			}                                                                     \
			fd = SHIM_REAL(name) args;                                            \
			shim_fd_record_quiet(fd, &of);                                        \
			return fd;                                                            \
		}                                                                             \
		shim_decide_open_rest(at, path, writes, #name, &of, &v);                      \
		if (shim_gate(&v, SHIM_FAILS_PATH))                                           \
			return SHIM_FAIL_M1(v.err);                                           \
		if (trunc)                                                                    \
			shim_disk_before(&v, -1, at, path, false, &df);                       \
		fd = SHIM_REAL(name) args;                                                    \
		if (fd >= 0)                                                                  \
			shim_disk_cut(&df, 0);                                                \
		shim_fd_record_open(fd, at, path, &of);                                       \
		return fd;                                                                    \
	}                                                                                     \
	static __attribute__((noinline)) ret armed_##name sparams                             \
	{                                                                                     \
		uint64_t known, match, pathm;                                                 \
		size_t qlen;                                                                  \
		int fd;                                                                       \
		if (!shim_open_fast(path, &known, &match, &pathm, &qlen))                     \
			return slow_##name SHIM_ARGS_LEN(args);                               \
		if (pathm && (fd = (nolinks)) != SHIM_NOLINKS_NO) {                           \
			shim_fd_record_fast(fd, known | pathm, match);                        \
			return fd;                                                            \
		}                                                                             \
		fd = SHIM_REAL(name) args;                                                    \
		shim_fd_record_fast(fd, known, match);                                        \
		return fd;                                                                    \
	}                                                                                     \
	ret name params                                                                       \
	{                                                                                     \
		getmode;                                                                      \
		if (unlikely(!SHIM_BOUND(name)))                                              \
			return SHIM_FAIL_M1(ENOSYS);                                          \
		if (likely(!shim_armed(SHIM_OPS_OPEN)))                                       \
			return shim_fd_opened(SHIM_REAL(name) args);                          \
		return armed_##name args;                                                     \
	}

/* __open_2 and the like abort on a flag that needs a mode (_FORTIFY_SOURCE): theirs to do */
#define SHIM_NEEDS_MODE(flags) (((flags)&O_CREAT) || ((flags)&O_TMPFILE) == O_TMPFILE)
#define SHIM_GEN_OPEN_VA(name, ret, params, args, op, fail)                                        \
	SHIM_OPEN_BODY(name, ret, params, (const char *path, int flags, int mode), args, AT_FDCWD, \
		       SHIM_VA_MODE, shim_open_writes(flags), flags &O_TRUNC,                      \
		       shim_open_nolinks(AT_FDCWD, path, flags, (unsigned)mode))
#define SHIM_GEN_OPENAT_VA(name, ret, params, args, op, fail)                                 \
	SHIM_OPEN_BODY(name, ret, params, (int dirfd, const char *path, int flags, int mode), \
		       args, dirfd, SHIM_VA_MODE, shim_open_writes(flags), flags &O_TRUNC,    \
		       shim_open_nolinks(dirfd, path, flags, (unsigned)mode))
#define SHIM_GEN_OPEN_FIX(name, ret, params, args, op, fail)                                 \
	SHIM_OPEN_BODY(name, ret, params, params, args, AT_FDCWD, , shim_open_writes(flags), \
		       flags &O_TRUNC,                                                       \
		       SHIM_NEEDS_MODE(flags) ? SHIM_NOLINKS_NO :                            \
						shim_open_nolinks(AT_FDCWD, path, flags, 0))
#define SHIM_GEN_OPENAT_FIX(name, ret, params, args, op, fail)                            \
	SHIM_OPEN_BODY(name, ret, params, params, args, dirfd, , shim_open_writes(flags), \
		       flags &O_TRUNC,                                                    \
		       SHIM_NEEDS_MODE(flags) ? SHIM_NOLINKS_NO :                         \
						shim_open_nolinks(dirfd, path, flags, 0))
/*
 * creat and the mkstemp family: a file opened for writing; creat (the
 * rows whose name starts with 'c') truncates an existing one, mkstemp's
 * files are new
 */
#define SHIM_GEN_OPEN_NEW(name, ret, params, args, op, fail)                               \
	SHIM_OPEN_BODY(name, ret, params, params, args, AT_FDCWD, , true, #name[0] == 'c', \
		       SHIM_NOLINKS_NO)

static size_t iov_total(const struct iovec *iov, int cnt)
{
	size_t t = 0;

	for (int i = 0; i < cnt && iov; i++) {
		if (iov[i].iov_len > SIZE_MAX - t)
			return SIZE_MAX;
		t += iov[i].iov_len;
	}
	return t;
}

/*
 * The first `allow` bytes of iov[0..cnt) as a new vector in cut; returns its
 * length. More than SHIM_IOV_CUT entries are cut at SHIM_IOV_CUT (fewer
 * bytes move; the budget is settled with what really moved).
 */
static int iov_cut(const struct iovec *iov, int cnt, size_t allow, struct iovec *cut)
{
	int k = 0;

	for (int i = 0; i < cnt && allow && k < SHIM_IOV_CUT; i++) {
		cut[k] = iov[i];
		if (cut[k].iov_len > allow)
			cut[k].iov_len = allow;
		allow -= cut[k].iov_len;
		k++;
	}
	return k;
}

/* ---- in-kernel copies ---------------------------------------------- */

/*
 * What a copy from fd_in can move at most: the bytes left in a regular
 * file after in_off (-1: its position), else n. Programs ask for far more
 * than there is (cp: copy_file_range of SSIZE_MAX bytes); deciding on that
 * made every copy "cross" a budget (an injection counted, an event logged,
 * though nothing failed) and failed a copy at EOF on a spent budget
 * (tests/reliability/test-transparent.sh). Only the decision uses it: the
 * real call keeps the program's n. errno kept.
 */
static size_t xfer_bound(int fd_in, long long in_off, size_t n)
{
	struct stat st;
	int saved = errno;

	if (fr_syscall(SYS_fstat, fd_in, &st) == 0 && S_ISREG(st.st_mode)) {
		if (in_off < 0)
			in_off = fr_syscall(SYS_lseek, fd_in, 0L, SEEK_CUR);
		if (in_off >= 0)
			n = in_off >= st.st_size ? 0 :
			    (unsigned long long)(st.st_size - in_off) < n ?
						   (size_t)(st.st_size - in_off) :
						   n;
	}
	errno = saved;
	return n;
}

/*
 * Decide one side of an in-kernel copy (write to fd_out, or read from
 * fd_in) for `want` bytes. Returns -1 with errno set when the copy must
 * fail, else 0 with *n possibly cut by a short or budget rule.
 */
static int xfer_side(enum fr_op op, int fd, size_t want, size_t *n, const char *fn,
		     struct shim_verdict *v)
{
	int ret;

	shim_decide_fd(op, fd, want, fn, SHIM_NO_DGRAM, v);
	/* to or from a socket: send/recv semantics (O_NONBLOCK, reset) */
	if (v->kind == SHIM_FD_SOCKET && v->what != SHIM_PASS &&
	    (ret = shim_sock_apply(fd, false, v)) < 0) {
		errno = -ret;
		return -1;
	}
	if (shim_gate(v, SHIM_FAILS_ALL)) {
		errno = v->err;
		return -1;
	}
	if (v->what == SHIM_LIMIT)
		*n = v->allow;
	return 0;
}

/*
 * copy_file_range, sendfile and splice write to one fd and read from
 * another: the write is decided first (with its budget), then the read;
 * either may shorten the transfer. Returns -1 with errno set when the
 * call must fail, else 0 with *n possibly reduced and w to settle.
 */
static int xfer_decide(int fd_out, int fd_in, long long in_off, size_t *n, const char *fn,
		       struct shim_verdict *w)
{
	struct shim_verdict rd;
	size_t want = xfer_bound(fd_in, in_off, *n);

	if (xfer_side(FR_OP_WRITE, fd_out, want, n, fn, w) < 0)
		return -1;
	if (xfer_side(FR_OP_READ, fd_in, want < *n ? want : *n, n, fn, &rd) < 0) {
		int err = errno;

		shim_settle(w, -1);
		errno = err;
		return -1;
	}
	return 0;
}

/* where each copy writes: off_out, or -1 for fd's position */
#define SHIM_XFER_OFF_copy_file_range (off_out ? (long long)*off_out : -1)
#define SHIM_XFER_OFF_splice (off_out ? (long long)*off_out : -1)
#define SHIM_XFER_OFF_sendfile -1
#define SHIM_XFER_OFF_sendfile64 -1

/*
 * The in-kernel copies: every row has fd (written), fd_in (read), off_in
 * (NULL: fd_in's position) and n. A copy into a disk rule's tree is
 * charged as a write.
 */
#define SHIM_GEN_XFER(name, ret, params, args, op, fail)                                         \
	ret name params                                                                          \
	{                                                                                        \
		struct shim_verdict w;                                                           \
		ret r;                                                                           \
		if (unlikely(!SHIM_BOUND(name)))                                                 \
			return SHIM_FAIL_##fail(ENOSYS);                                         \
		if (likely(!shim_armed(SHIM_OPS_WRITE | SHIM_OPS_READ)))                         \
			return SHIM_REAL(name) args;                                             \
		if (xfer_decide(fd, fd_in, off_in ? (long long)*off_in : -1, &n, #name, &w) < 0) \
			return -1; /* errno set; every row is M1 */                              \
		if (w.disk_rule >= 0) {                                                          \
			if (shim_disk_write(fd, SHIM_XFER_OFF_##name, n, #name, &w) < 0) {       \
				shim_settle(&w, -1);                                             \
				return SHIM_FAIL_M1(ENOSPC);                                     \
			}                                                                        \
			if (w.what == SHIM_LIMIT)                                                \
				n = w.allow;                                                     \
		}                                                                                \
		r = SHIM_REAL(name) args;                                                        \
		shim_settle(&w, r);                                                              \
		return r;                                                                        \
	}

/* ---- keeping the fd table true -------------------------------------- */

/*
 * close: forget after the real close, so that a concurrent resolve of the
 * old file cannot leave its result behind (the worst case is forgetting a
 * fresh entry, which is resolved again).
 */
int close(int fd)
{
	int r;

	if (unlikely(!SHIM_BOUND(close)))
		return SHIM_FAIL_M1(ENOSYS);
	/*
	 * slow-close= rules (limit.c) are socket rules: only then, and only
	 * for an fd the table does not know to be something else (a file
	 * nginx has served), is there work
	 */
	if (unlikely(shim_armed(SHIM_OPS_NET)) && shim_fd_maybe_socket(fd))
		shim_slow_close(fd);
	r = SHIM_REAL(close)(fd);
	if (unlikely(shim_fd_table_used()))
		shim_fd_forget(fd);
	return r;
}

int close_range(unsigned int first, unsigned int last, int flags)
{
	int r;

	if (unlikely(!SHIM_BOUND(close_range)))
		return SHIM_FAIL_M1(ENOSYS);
	r = SHIM_REAL(close_range)(first, last, flags);
	/* CLOSE_RANGE_CLOEXEC closes nothing now; exec starts a new table */
	if (r == 0 && !(flags & CLOSE_RANGE_CLOEXEC) && unlikely(shim_fd_table_used()))
		shim_fd_forget_range(first, last);
	return r;
}

void closefrom(int lowfd)
{
	if (unlikely(!SHIM_BOUND(closefrom)))
		return;
	SHIM_REAL(closefrom)(lowfd);
	if (unlikely(shim_fd_table_used()) && lowfd >= 0)
		shim_fd_forget_range((unsigned)lowfd, ~0u);
}

/* dup(fd), dup2, dup3: the new fd is what fd is */
#define SHIM_GEN_DUP(name, ret, params, args, op, fail)       \
	ret name params                                       \
	{                                                     \
		int r;                                        \
		if (unlikely(!SHIM_BOUND(name)))              \
			return SHIM_FAIL_##fail(ENOSYS);      \
		r = SHIM_REAL(name) args;                     \
		if (r >= 0 && unlikely(shim_fd_table_used())) \
			shim_fd_copy(fd, r);                  \
		return r;                                     \
	}

/*
 * fcntl(fd, cmd, ...): F_DUPFD is a dup. The third argument is an int or
 * a pointer depending on cmd; like glibc's own wrapper, pass it on as a
 * pointer-sized value.
 */
#define SHIM_GEN_FCNTL(name, ret, params, args, op, fail)                   \
	ret name params                                                     \
	{                                                                   \
		va_list ap;                                                 \
		void *arg;                                                  \
		int r;                                                      \
		va_start(ap, cmd);                                          \
		arg = va_arg(ap, void *);                                   \
		va_end(ap);                                                 \
		if (unlikely(!SHIM_BOUND(name)))                            \
			return SHIM_FAIL_##fail(ENOSYS);                    \
		r = SHIM_REAL(name) args;                                   \
		if (r >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) && \
		    unlikely(shim_fd_table_used()))                         \
			shim_fd_copy(fd, r);                                \
		return r;                                                   \
	}

/* pipe(fds), pipe2: two new fds */
#define SHIM_GEN_PIPE(name, ret, params, args, op, fail) \
	ret name params                                  \
	{                                                \
		int r;                                   \
		if (unlikely(!SHIM_BOUND(name)))         \
			return SHIM_FAIL_##fail(ENOSYS); \
		r = SHIM_REAL(name) args;                \
		if (r == 0) {                            \
			shim_fd_opened(fds[0]);          \
			shim_fd_opened(fds[1]);          \
		}                                        \
		return r;                                \
	}

/*
 * eventfd, timerfd_create, signalfd, epoll_create*, inotify_init*,
 * memfd_create, pidfd_open, pidfd_getfd: a new fd, whose number may be
 * one the shim never saw closed (a raw close, one inside another library):
 * whatever the table knew about that number is forgotten.
 */
#define SHIM_GEN_NEWFD(name, ret, params, args, op, fail)    \
	ret name params                                      \
	{                                                    \
		if (unlikely(!SHIM_BOUND(name)))             \
			return SHIM_FAIL_##fail(ENOSYS);     \
		return shim_fd_opened(SHIM_REAL(name) args); \
	}

/* Generate the bodies of the fd family. */
#define WRAP(name, ret, params, args, op, shape, fail, errnos)
#define WRAP_FD(name, ret, params, args, op, shape, fail, errnos) \
	SHIM_GEN_##shape(name, ret, params, args, op, fail)
#include "wrapped.def"
#undef WRAP_FD
#undef WRAP
