/*
 * The fd family: opens, read/write and their vector, positional, 64-bit and
 * _FORTIFY_SOURCE variants, fsync, ftruncate, fallocate, the in-kernel
 * copies (copy_file_range, sendfile, splice) and the calls that keep the
 * fd table true (close, close_range, closefrom, dup*, fcntl F_DUPFD, pipe).
 *
 * Most bodies are generated from wrapped.def by the SHIM_GEN_<SHAPE>
 * macros below; the generators rely on the parameter names wrapped.def
 * uses (fd, n, iov, cnt, len, path, dirfd, flags). Each body is the same
 * three steps: bind, hot-path test (return through the real function on
 * the first line when nothing is armed), then decide and apply.
 */
#include "shim.h"

#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

static size_t iov_total(const struct iovec *iov, int cnt);
static int iov_cut(const struct iovec *iov, int cnt, size_t allow,
		   struct iovec *cut);

/* At most this many iovecs are rewritten for a short vector write. */
#define SHIM_IOV_CUT 64

/* Entries with hand-written bodies (below, or in other files). */
#define SHIM_GEN_MANUAL(name, ret, params, args, op, fail)

/*
 * Apply a verdict to a call moving n bytes: FAIL/RESET return the failure,
 * LIMIT/COUNT (and a delay or stall, after waiting) call the real function
 * with n = v.allow and settle the budget with what it really moved.
 */
#define SHIM_FD_APPLY(name, args, fail, r, shorten)                        \
	/* a socket: recv/send semantics (O_NONBLOCK, SO_*TIMEO, reset) */ \
	if (v.kind == SHIM_FD_SOCKET && v.what != SHIM_PASS) {             \
		int e_ = shim_sock_apply(fd, false, &v);                   \
		if (e_ < 0)                                                \
			return SHIM_FAIL_##fail(-e_);                      \
	}                                                                  \
	switch (v.what) {                                                  \
	case SHIM_FAIL:                                                    \
	case SHIM_REFUSE:                                                  \
		return SHIM_FAIL_##fail(v.err);                            \
	case SHIM_RESET:                                                   \
		shutdown(fd, SHUT_RDWR);                                   \
		return SHIM_FAIL_##fail(v.err);                            \
	case SHIM_DELAY:                                                   \
	case SHIM_STALL:                                                   \
		shim_wait(&v);                                             \
		/* fall through */                                         \
	case SHIM_LIMIT:                                                   \
	case SHIM_COUNT:                                                   \
		shorten;                                                   \
		r = SHIM_REAL(name) args;                                  \
		shim_settle(&v, r);                                        \
		return r;                                                  \
	default:                                                           \
		return SHIM_REAL(name) args;                               \
	}

/*
 * The exported function is only the hot path: test, tail-call the real
 * function; with a rule armed for other files, the fd table's quick check
 * and the same tail call. Binding (before our constructor ran) and the
 * decision are out of line (unbound_<name>, slow_<name>) so that the hot
 * path sets up no stack frame (see docs/performance.md). slow_<name>
 * decides completely, so unbound_<name> may call it whatever is armed.
 */
#define SHIM_FAST(name, ret, params, args, op, fail)                       \
	static __attribute__((noinline, cold)) ret unbound_##name params   \
	{                                                                  \
		shim_init();                                               \
		if (!shim_real.name.fn)                                    \
			return SHIM_FAIL_##fail(ENOSYS);                   \
		return slow_##name args;                                   \
	}                                                                  \
	ret name params                                                    \
	{                                                                  \
		if (unlikely(!shim_real.name.fn))                          \
			return unbound_##name args;                        \
		if (likely(!shim_armed(SHIM_OPS_##op)))                    \
			return SHIM_REAL(name) args;                       \
		if (shim_fd_quick_pass(FR_OP_##op, fd))                    \
			return SHIM_REAL(name) args;                       \
		return slow_##name args;                                   \
	}
#define SHIM_SLOW(name, ret, params)                                       \
	static __attribute__((noinline)) ret slow_##name params

/* write(fd, buf, n, ...), read(fd, buf, n, ...) and friends */
#define SHIM_GEN_FD_BUF(name, ret, params, args, op, fail)                 \
	SHIM_SLOW(name, ret, params)                                       \
	{                                                                  \
		struct shim_verdict v;                                     \
		ret r;                                                     \
		shim_decide_fd(FR_OP_##op, fd, n, #name, 0, &v);           \
		SHIM_FD_APPLY(name, args, fail, r, n = v.allow)            \
	}                                                                  \
	SHIM_FAST(name, ret, params, args, op, fail)

/* writev(fd, iov, cnt, ...), readv(...): a short write cuts the vector */
#define SHIM_GEN_FD_IOV(name, ret, params, args, op, fail)                 \
	SHIM_SLOW(name, ret, params)                                       \
	{                                                                  \
		struct shim_verdict v;                                     \
		struct iovec cut[SHIM_IOV_CUT];                            \
		size_t total;                                              \
		ret r;                                                     \
		total = iov_total(iov, cnt);                               \
		shim_decide_fd(FR_OP_##op, fd, total, #name, 0, &v);       \
		SHIM_FD_APPLY(name, args, fail, r, if (v.allow < total) {  \
			cnt = iov_cut(iov, cnt, v.allow, cut);             \
			iov = cut;                                         \
		})                                                         \
	}                                                                  \
	SHIM_FAST(name, ret, params, args, op, fail)

/* fsync(fd), ftruncate(fd, len)...: no bytes, so no short or budget */
#define SHIM_GEN_FD_PLAIN(name, ret, params, args, op, fail)               \
	SHIM_SLOW(name, ret, params)                                       \
	{                                                                  \
		struct shim_verdict v;                                     \
		switch (shim_decide_fd(FR_OP_##op, fd, 0, #name,           \
				       SHIM_NOBUDGET, &v)) {               \
		case SHIM_FAIL:                                            \
		case SHIM_RESET:                                           \
		case SHIM_REFUSE:                                          \
			return SHIM_FAIL_##fail(v.err);                    \
		case SHIM_DELAY:                                           \
		case SHIM_STALL:                                           \
			shim_wait(&v);                                     \
			break;                                             \
		default:                                                   \
			break;                                             \
		}                                                          \
		return SHIM_REAL(name) args;                               \
	}                                                                  \
	SHIM_FAST(name, ret, params, args, op, fail)

/* fallocate(fd, mode, off, len), posix_fallocate: all of len or ENOSPC */
#define SHIM_GEN_FD_ALLOC(name, ret, params, args, op, fail)               \
	SHIM_SLOW(name, ret, params)                                       \
	{                                                                  \
		struct shim_verdict v;                                     \
		ret r;                                                     \
		switch (shim_decide_fd(FR_OP_##op, fd,                     \
				       len > 0 ? (size_t)len : 0, #name,   \
				       0, &v)) {                           \
		case SHIM_FAIL:                                            \
		case SHIM_RESET:                                           \
		case SHIM_REFUSE:                                          \
			return SHIM_FAIL_##fail(v.err);                    \
		case SHIM_DELAY:                                           \
		case SHIM_STALL:                                           \
			shim_wait(&v);                                     \
			break;                                             \
		default:                                                   \
			break;                                             \
		}                                                          \
		r = SHIM_REAL(name) args;                                  \
		shim_settle(&v, r == 0 ? (ssize_t)v.taken : -1);           \
		return r;                                                  \
	}                                                                  \
	SHIM_FAST(name, ret, params, args, op, fail)

/*
 * Opens. `mode` is read from the varargs only when the flags say the real
 * call will read it, and as an int (STYLE "Shim rules" 5; glibc's
 * __OPEN_NEEDS_MODE). The opened fd's path is recorded while any fd
 * operation is armed; otherwise a stale entry for the number is dropped.
 */
#define SHIM_VA_MODE                                                       \
	int mode = 0;                                                      \
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) {       \
		va_list ap;                                                \
		va_start(ap, flags);                                       \
		mode = va_arg(ap, int);                                    \
		va_end(ap);                                                \
	}

#define SHIM_OPEN_BODY(name, ret, params, args, at, getmode)               \
	ret name params                                                    \
	{                                                                  \
		struct shim_verdict v;                                     \
		int fd;                                                    \
		getmode;                                                   \
		SHIM_BIND(name, M1);                                       \
		if (likely(!shim_armed(SHIM_OPS_OPEN)))                    \
			return shim_fd_opened(SHIM_REAL(name) args);       \
		switch (shim_decide_path(FR_OP_OPEN, at, path, #name,      \
					 &v)) {                            \
		case SHIM_FAIL:                                            \
			return SHIM_FAIL_M1(v.err);                        \
		case SHIM_DELAY:                                           \
		case SHIM_STALL:                                           \
			shim_wait(&v);                                     \
			break;                                             \
		default:                                                   \
			break;                                             \
		}                                                          \
		fd = SHIM_REAL(name) args;                                 \
		shim_fd_record_open(fd, at, path);                         \
		return fd;                                                 \
	}

#define SHIM_GEN_OPEN_VA(name, ret, params, args, op, fail)                \
	SHIM_OPEN_BODY(name, ret, params, args, AT_FDCWD, SHIM_VA_MODE)
#define SHIM_GEN_OPENAT_VA(name, ret, params, args, op, fail)              \
	SHIM_OPEN_BODY(name, ret, params, args, dirfd, SHIM_VA_MODE)
#define SHIM_GEN_OPEN_FIX(name, ret, params, args, op, fail)               \
	SHIM_OPEN_BODY(name, ret, params, args, AT_FDCWD, )
#define SHIM_GEN_OPENAT_FIX(name, ret, params, args, op, fail)             \
	SHIM_OPEN_BODY(name, ret, params, args, dirfd, )

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
static int iov_cut(const struct iovec *iov, int cnt, size_t allow,
		   struct iovec *cut)
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

/* Generate the bodies of the fd family. */
#define WRAP(name, ret, params, args, op, shape, fail, errnos)
#define WRAP_FD(name, ret, params, args, op, shape, fail, errnos)          \
	SHIM_GEN_##shape(name, ret, params, args, op, fail)
#include "wrapped.def"
#undef WRAP_FD
#undef WRAP

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

	if (syscall(SYS_fstat, fd_in, &st) == 0 && S_ISREG(st.st_mode)) {
		if (in_off < 0)
			in_off = syscall(SYS_lseek, fd_in, 0L, SEEK_CUR);
		if (in_off >= 0)
			n = in_off >= st.st_size ? 0 :
			    (unsigned long long)(st.st_size - in_off) < n ?
			    (size_t)(st.st_size - in_off) : n;
	}
	errno = saved;
	return n;
}

/*
 * copy_file_range, sendfile and splice write to one fd and read from
 * another: the write is decided first (with its budget), then the read;
 * either may shorten the transfer. Returns -1 with errno set when the
 * call must fail, else 0 with *n possibly reduced and w to settle.
 */
static int xfer_decide(int fd_out, int fd_in, long long in_off, size_t *n,
		       const char *fn, struct shim_verdict *w)
{
	struct shim_verdict rd;
	size_t want = xfer_bound(fd_in, in_off, *n);
	int ret;

	shim_decide_fd(FR_OP_WRITE, fd_out, want, fn, 0, w);
	/* to a socket: send semantics (O_NONBLOCK gives EAGAIN, reset) */
	if (w->kind == SHIM_FD_SOCKET && w->what != SHIM_PASS &&
	    (ret = shim_sock_apply(fd_out, false, w)) < 0) {
		errno = -ret;
		return -1;
	}
	switch (w->what) {
	case SHIM_FAIL:
	case SHIM_RESET:
	case SHIM_REFUSE:
		errno = w->err;
		return -1;
	case SHIM_DELAY:
	case SHIM_STALL:
		shim_wait(w);
		break;
	case SHIM_LIMIT:
		*n = w->allow;
		break;
	default:
		break;
	}
	shim_decide_fd(FR_OP_READ, fd_in, want < *n ? want : *n, fn, 0, &rd);
	/* from a socket (splice): recv semantics */
	if (rd.kind == SHIM_FD_SOCKET && rd.what != SHIM_PASS &&
	    (ret = shim_sock_apply(fd_in, false, &rd)) < 0) {
		shim_settle(w, -1);
		errno = -ret;
		return -1;
	}
	switch (rd.what) {
	case SHIM_FAIL:
	case SHIM_RESET:
	case SHIM_REFUSE:
		shim_settle(w, -1);
		errno = rd.err;
		return -1;
	case SHIM_DELAY:
	case SHIM_STALL:
		shim_wait(&rd);
		break;
	case SHIM_LIMIT:
		*n = rd.allow;
		break;
	default:
		break;
	}
	return 0;
}

ssize_t copy_file_range(int fd_in, off64_t *off_in, int fd, off64_t *off_out,
			size_t n, unsigned int flags)
{
	struct shim_verdict w;
	ssize_t r;

	SHIM_BIND(copy_file_range, M1);
	if (likely(!shim_armed(SHIM_OPS_WRITE | SHIM_OPS_READ)))
		return SHIM_REAL(copy_file_range)(fd_in, off_in, fd, off_out,
						  n, flags);
	if (xfer_decide(fd, fd_in, off_in ? (long long)*off_in : -1, &n, "copy_file_range",
			&w) < 0)
		return -1;
	r = SHIM_REAL(copy_file_range)(fd_in, off_in, fd, off_out, n, flags);
	shim_settle(&w, r);
	return r;
}

ssize_t splice(int fd_in, off64_t *off_in, int fd, off64_t *off_out, size_t n,
	       unsigned int flags)
{
	struct shim_verdict w;
	ssize_t r;

	SHIM_BIND(splice, M1);
	if (likely(!shim_armed(SHIM_OPS_WRITE | SHIM_OPS_READ)))
		return SHIM_REAL(splice)(fd_in, off_in, fd, off_out, n, flags);
	if (xfer_decide(fd, fd_in, off_in ? (long long)*off_in : -1, &n, "splice",
			&w) < 0)
		return -1;
	r = SHIM_REAL(splice)(fd_in, off_in, fd, off_out, n, flags);
	shim_settle(&w, r);
	return r;
}

ssize_t sendfile(int fd, int fd_in, off_t *off_in, size_t n)
{
	struct shim_verdict w;
	ssize_t r;

	SHIM_BIND(sendfile, M1);
	if (likely(!shim_armed(SHIM_OPS_WRITE | SHIM_OPS_READ)))
		return SHIM_REAL(sendfile)(fd, fd_in, off_in, n);
	if (xfer_decide(fd, fd_in, off_in ? (long long)*off_in : -1, &n, "sendfile",
			&w) < 0)
		return -1;
	r = SHIM_REAL(sendfile)(fd, fd_in, off_in, n);
	shim_settle(&w, r);
	return r;
}

ssize_t sendfile64(int fd, int fd_in, off64_t *off_in, size_t n)
{
	struct shim_verdict w;
	ssize_t r;

	SHIM_BIND(sendfile64, M1);
	if (likely(!shim_armed(SHIM_OPS_WRITE | SHIM_OPS_READ)))
		return SHIM_REAL(sendfile64)(fd, fd_in, off_in, n);
	if (xfer_decide(fd, fd_in, off_in ? (long long)*off_in : -1, &n, "sendfile64",
			&w) < 0)
		return -1;
	r = SHIM_REAL(sendfile64)(fd, fd_in, off_in, n);
	shim_settle(&w, r);
	return r;
}

/* ---- keeping the fd table true -------------------------------------- */

static inline bool table_used(void)
{
	return atomic_load_explicit(&shim_fd_used, memory_order_relaxed);
}

/*
 * close: forget after the real close, so that a concurrent resolve of the
 * old file cannot leave its result behind (the worst case is forgetting a
 * fresh entry, which is resolved again).
 */
int close(int fd)
{
	int r;

	SHIM_BIND(close, M1);
	r = SHIM_REAL(close)(fd);
	if (unlikely(table_used()))
		shim_fd_forget(fd);
	return r;
}

int close_range(unsigned int first, unsigned int last, int flags)
{
	int r;

	SHIM_BIND(close_range, M1);
	r = SHIM_REAL(close_range)(first, last, flags);
	/* CLOSE_RANGE_CLOEXEC closes nothing now; exec starts a new table */
	if (r == 0 && !(flags & CLOSE_RANGE_CLOEXEC) && unlikely(table_used()))
		shim_fd_forget_range(first, last);
	return r;
}

void closefrom(int lowfd)
{
	if (unlikely(!shim_real.closefrom.fn)) {
		shim_init();
		if (!shim_real.closefrom.fn)
			return;
	}
	SHIM_REAL(closefrom)(lowfd);
	if (unlikely(table_used()) && lowfd >= 0)
		shim_fd_forget_range((unsigned)lowfd, ~0u);
}

int dup(int fd)
{
	int r;

	SHIM_BIND(dup, M1);
	r = SHIM_REAL(dup)(fd);
	if (r >= 0 && unlikely(table_used()))
		shim_fd_copy(fd, r);
	return r;
}

int dup2(int fd, int fd2)
{
	int r;

	SHIM_BIND(dup2, M1);
	r = SHIM_REAL(dup2)(fd, fd2);
	if (r >= 0 && unlikely(table_used()))
		shim_fd_copy(fd, r);
	return r;
}

int dup3(int fd, int fd2, int flags)
{
	int r;

	SHIM_BIND(dup3, M1);
	r = SHIM_REAL(dup3)(fd, fd2, flags);
	if (r >= 0 && unlikely(table_used()))
		shim_fd_copy(fd, r);
	return r;
}

/*
 * fcntl's third argument is an int or a pointer depending on cmd; like
 * glibc's own wrapper, pass it on as a pointer-sized value.
 */
#define SHIM_FCNTL_BODY(name)                                              \
	{                                                                  \
		va_list ap;                                                \
		void *arg;                                                 \
		int r;                                                     \
		va_start(ap, cmd);                                         \
		arg = va_arg(ap, void *);                                  \
		va_end(ap);                                                \
		SHIM_BIND(name, M1);                                       \
		r = SHIM_REAL(name)(fd, cmd, arg);                         \
		if (r >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) && \
		    unlikely(table_used()))                                \
			shim_fd_copy(fd, r);                               \
		return r;                                                  \
	}

int fcntl(int fd, int cmd, ...) SHIM_FCNTL_BODY(fcntl)
int fcntl64(int fd, int cmd, ...) SHIM_FCNTL_BODY(fcntl64)

int pipe(int fds[2])
{
	int r;

	SHIM_BIND(pipe, M1);
	r = SHIM_REAL(pipe)(fds);
	if (r == 0) {
		shim_fd_opened(fds[0]);
		shim_fd_opened(fds[1]);
	}
	return r;
}

int pipe2(int fds[2], int flags)
{
	int r;

	SHIM_BIND(pipe2, M1);
	r = SHIM_REAL(pipe2)(fds, flags);
	if (r == 0) {
		shim_fd_opened(fds[0]);
		shim_fd_opened(fds[1]);
	}
	return r;
}
