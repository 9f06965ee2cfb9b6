/*
 * The stdio family.
 *
 * glibc's stdio writes and reads through its internal, hidden aliases of
 * write()/read(), so a program's printf or fwrite never reaches the write()
 * wrapper (STYLE "Shim rules" 4, verified): stdio is interposed at its own
 * entry points, including the ones compilers and headers substitute (puts
 * for printf("...\n"), __printf_chk under _FORTIFY_SOURCE, __overflow and
 * __uflow behind the inline putc_unlocked/getc_unlocked).
 *
 * A failure looks as a real one would: the call returns its failure value
 * (0 items, EOF, NULL, a negative count), errno is set, and the stream's
 * error indicator is set, so ferror() (and the ferror_unlocked macro) see
 * it until clearerr(). Decisions are made on the stream's fd (fileno), so
 * the fd table's path match applies; memory streams have no fd and are
 * never touched.
 *
 * Bytes are counted when they are handed to stdio, not when its buffer is
 * flushed: a budget's crossing fwrite writes the part that fits and then
 * fails with ENOSPC, and fflush/fclose do not charge the budget again (but
 * do fail under an errno rule when they have data to write; fclose then
 * discards it, closes the fd and frees the stream, as glibc does when its
 * final flush fails).
 *
 * A disk rule is not a byte counter: a stream on a file in its tree is
 * charged what each call makes libc write out of its buffer, and fails
 * where a real full disk fails it (disk_stdio.c).
 */
#include "shim.h"

#include <stdio_ext.h>
#include <string.h>

/* fileno() without touching errno (a memory stream has no fd: -1). */
static int stream_fd(FILE *f)
{
	int saved = errno, fd = f ? fileno_unlocked(f) : -1;

	errno = saved;
	return fd;
}

/*
 * The common case of a write rule armed for other files: the stream's fd
 * is known to meet none of them (shim_fd_quick_pass), so the call is the
 * program's own, with no verdict to build or settle.
 */
static inline __attribute__((always_inline)) bool stream_quick_pass(enum fr_op op, FILE *f)
{
#ifdef __GLIBC__
	/*
	 * glibc's FILE is a public struct (bits/types/struct_FILE.h) whose
	 * _fileno is what fileno_unlocked() returns, -1 for a memory stream:
	 * reading it saves a call and errno's save.
	 */
	int fd = f ? f->_fileno : -1;
#else
	int fd = f ? stream_fd(f) : -1;
#endif

	return fd >= 0 && shim_fd_quick_pass(op, fd);
}

/* The first `allow` bytes of iov[0..cnt), to stream f or (f NULL) fd. */
static size_t limit_write(FILE *f, int fd, const struct iovec *iov, int cnt, size_t allow)
{
	size_t done = 0;

	for (int i = 0; i < cnt && done < allow; i++) {
		size_t n = iov[i].iov_len < allow - done ? iov[i].iov_len : allow - done, w;
		ssize_t r;

		if (f) {
			w = SHIM_REAL(fwrite)(iov[i].iov_base, 1, n, f);
		} else {
			r = SHIM_REAL(write)(fd, iov[i].iov_base, n);
			w = r > 0 ? (size_t)r : 0;
		}
		done += w;
		if (w < n)
			break;
	}
	return done;
}

/*
 * Decide a write of the len bytes of iov[0..cnt) to stream f (or, f NULL,
 * to fd, for dprintf); iov NULL is a flush of len buffered bytes. Returns
 * true when the call was handled as a failure: errno and the error
 * indicator are set and, for a short write, the first bytes were written
 * (*moved: how many of iov's the call reports taken). Otherwise the caller
 * makes its real call and calls wsettle() with the bytes it moved. A
 * stream on a file in a disk rule's tree is charged what the call makes
 * libc write (disk_stdio.c).
 */
static bool wgate(FILE *f, int fd, const struct iovec *iov, int cnt, size_t len, const char *fn,
		  unsigned flags, struct shim_verdict *v, size_t *moved)
{
	long acc;

	*moved = 0;
	if (f)
		fd = stream_fd(f);
	if (fd < 0 || shim_fd_quick_pass(FR_OP_WRITE, fd)) {
		shim_verdict_init(v, FR_OP_WRITE);
		return false;
	}
	shim_decide_fd(FR_OP_WRITE, fd, len, fn, flags | SHIM_STDIO, v);
	if (v->disk_rule >= 0 && v->what == SHIM_COUNT) {
		if (f && shim_disk_stream(f, fd, iov, cnt, fn, v, &acc)) {
			*moved = acc < 0 ? len : (size_t)acc;
			return true;
		}
		/* dprintf: a plain write to fd (short, or ENOSPC into v) */
		if (!f)
			shim_disk_write(fd, -1, len, fn, v);
	}
	if (v->what == SHIM_LIMIT) {
		if (iov && v->allow)
			*moved = limit_write(f, fd, iov, cnt, v->allow);
		shim_settle(v, (ssize_t)*moved);
	} else if (!shim_gate(v, SHIM_FAILS_ALL)) {
		return false;
	}
	shim_stdio_set_error(f);
	errno = v->err;
	return true;
}

/* After the real call: settle a budget, and what a disk's file grew by. */
static void wsettle(FILE *f, const struct shim_verdict *v, ssize_t done)
{
	shim_settle(v, done);
	if (unlikely(v->stream_file >= 0))
		shim_disk_stream_after(stream_fd(f), v);
}

/* One buffer as an iovec (the stdio calls hand a stream one piece). */
#define SHIM_IOV1(data, len)                                 \
	(struct iovec)                                       \
	{                                                    \
		.iov_base = (void *)(data), .iov_len = (len) \
	}

/*
 * Decide a read of len bytes from f. Returns true when the call must fail
 * (errno and the error indicator set). A SHIM_LIMIT verdict (short read)
 * is left to the caller: fread reads fewer items, the others ignore it.
 */
static bool rgate(FILE *f, size_t len, const char *fn, struct shim_verdict *v)
{
	int fd = stream_fd(f);

	if (fd < 0 || shim_fd_quick_pass(FR_OP_READ, fd)) {
		shim_verdict_init(v, FR_OP_READ);
		return false;
	}
	shim_decide_fd(FR_OP_READ, fd, len, fn, SHIM_STDIO, v);
	if (!shim_gate(v, SHIM_FAILS_ALL))
		return false;
	shim_stdio_set_error(f);
	errno = v->err;
	return true;
}

/* ---- opens ------------------------------------------------------------ */

/*
 * An fopen mode that truncates ("w", "w+"): the path, whose file a disk
 * rule then frees as for open(O_TRUNC); otherwise NULL (nothing to note).
 */
#define SHIM_FOPEN_TRUNC(mode) ((mode) && (mode)[0] == 'w' ? path : NULL)

#define SHIM_FOPEN_BODY(name)                                                              \
	{                                                                                  \
		struct shim_verdict v;                                                     \
		struct shim_open_facts of;                                                 \
		struct shim_disk_file df;                                                  \
		FILE *r;                                                                   \
		if (unlikely(!SHIM_BOUND(name)))                                           \
			return SHIM_FAIL_NULLP(ENOSYS);                                    \
		if (likely(!shim_armed(SHIM_OPS_OPEN))) {                                  \
			r = SHIM_REAL(name)(path, mode);                                   \
			if (r)                                                             \
				shim_fd_opened(stream_fd(r));                              \
			return r;                                                          \
		}                                                                          \
		shim_decide_open(AT_FDCWD, path, shim_fopen_writes(mode), #name, &of, &v); \
		if (shim_gate(&v, SHIM_FAILS_PATH))                                        \
			return SHIM_FAIL_NULLP(v.err);                                     \
		shim_disk_before(&v, -1, AT_FDCWD, SHIM_FOPEN_TRUNC(mode), false, &df);    \
		r = SHIM_REAL(name)(path, mode);                                           \
		if (r) {                                                                   \
			shim_disk_cut(&df, 0);                                             \
			shim_fd_record_open(stream_fd(r), AT_FDCWD, path, &of);            \
		}                                                                          \
		return r;                                                                  \
	}

/*
 * freopen: when the new open fails, the real call has already closed the
 * old stream's file and returns NULL; an injected failure does the same.
 */
#define SHIM_FREOPEN_BODY(name)                                                            \
	{                                                                                  \
		struct shim_verdict v;                                                     \
		struct shim_open_facts of;                                                 \
		struct shim_disk_file df;                                                  \
		int oldfd, err;                                                            \
		FILE *r;                                                                   \
		if (unlikely(!SHIM_BOUND(name)))                                           \
			return SHIM_FAIL_NULLP(ENOSYS);                                    \
		oldfd = stream_fd(f);                                                      \
		if (likely(!shim_armed(SHIM_OPS_OPEN)) || !path) {                         \
			r = SHIM_REAL(name)(path, mode, f);                                \
			if (unlikely(shim_fd_table_used()) && path) {                      \
				shim_fd_forget(oldfd);                                     \
				if (r)                                                     \
					shim_fd_opened(stream_fd(r));                      \
			}                                                                  \
			return r;                                                          \
		}                                                                          \
		shim_decide_open(AT_FDCWD, path, shim_fopen_writes(mode), #name, &of, &v); \
		if (shim_gate(&v, SHIM_FAILS_PATH)) {                                      \
			err = v.err;                                                       \
			SHIM_REAL(fclose)(f);                                              \
			shim_fd_forget(oldfd);                                             \
			errno = err;                                                       \
			return NULL;                                                       \
		}                                                                          \
		shim_disk_before(&v, -1, AT_FDCWD, SHIM_FOPEN_TRUNC(mode), false, &df);    \
		r = SHIM_REAL(name)(path, mode, f);                                        \
		shim_fd_forget(oldfd);                                                     \
		if (r) {                                                                   \
			shim_disk_cut(&df, 0);                                             \
			shim_fd_record_open(stream_fd(r), AT_FDCWD, path, &of);            \
		}                                                                          \
		return r;                                                                  \
	}

/* ---- writes ----------------------------------------------------------- */

/*
 * fwrite: the decision out of line, so that the common cases (nothing
 * armed, or a stream that meets no armed rule) are a few tests and a
 * call, without the verdict's stack frame.
 */
#define SHIM_FWRITE_SLOW(name)                                                    \
	static __attribute__((noinline, cold))                                    \
	size_t slow_##name(const void *buf, size_t size, size_t n, FILE *f)       \
	{                                                                         \
		struct shim_verdict v;                                            \
		size_t len = n > SIZE_MAX / size ? SIZE_MAX : size * n, moved, r; \
		struct iovec iov = SHIM_IOV1(buf, len);                           \
		if (wgate(f, -1, &iov, 1, len, #name, 0, &v, &moved))             \
			return moved / size;                                      \
		r = SHIM_REAL(name)(buf, size, n, f);                             \
		wsettle(f, &v, (ssize_t)(r * size));                              \
		return r;                                                         \
	}
#define SHIM_FWRITE_BODY(name)                                            \
	{                                                                 \
		if (unlikely(!SHIM_BOUND(name)))                          \
			return SHIM_FAIL_ZERO(ENOSYS);                    \
		if (likely(!shim_armed(SHIM_OPS_WRITE)) || !size || !n || \
		    stream_quick_pass(FR_OP_WRITE, f))                    \
			return SHIM_REAL(name)(buf, size, n, f);          \
		return slow_##name(buf, size, n, f);                      \
	}

#define SHIM_FPUTS_BODY(name)                                                                 \
	{                                                                                     \
		struct shim_verdict v;                                                        \
		struct iovec iov;                                                             \
		size_t len, moved;                                                            \
		int r;                                                                        \
		if (unlikely(!SHIM_BOUND(name)))                                              \
			return SHIM_FAIL_EOFV(ENOSYS);                                        \
		if (likely(!shim_armed(SHIM_OPS_WRITE)) || stream_quick_pass(FR_OP_WRITE, f)) \
			return SHIM_REAL(name)(s, f);                                         \
		len = strlen(s);                                                              \
		iov = SHIM_IOV1(s, len);                                                      \
		if (wgate(f, -1, &iov, 1, len, #name, 0, &v, &moved))                         \
			return EOF;                                                           \
		r = SHIM_REAL(name)(s, f);                                                    \
		wsettle(f, &v, r == EOF ? -1 : (ssize_t)len);                                 \
		return r;                                                                     \
	}

int puts(const char *s)
{
	struct shim_verdict v;
	struct iovec iov[2];
	size_t len, moved;
	int r;

	if (unlikely(!SHIM_BOUND(puts)))
		return SHIM_FAIL_EOFV(ENOSYS);
	if (likely(!shim_armed(SHIM_OPS_WRITE)))
		return SHIM_REAL(puts)(s);
	len = strlen(s);
	iov[0] = SHIM_IOV1(s, len);
	iov[1] = SHIM_IOV1("\n", 1);
	if (wgate(stdout, -1, iov, 2, len + 1, "puts", 0, &v, &moved))
		return EOF;
	r = SHIM_REAL(puts)(s);
	wsettle(stdout, &v, r == EOF ? -1 : (ssize_t)len + 1);
	return r;
}

/* putc's gate: one character, or (c EOF: __overflow) a flush of the buffer. */
static bool cgate(FILE *f, int c, const char *fn, struct shim_verdict *v)
{
	unsigned char ch = (unsigned char)c;
	struct iovec iov = SHIM_IOV1(&ch, 1);
	size_t moved, pend;

	if (c != EOF)
		return wgate(f, -1, &iov, 1, 1, fn, 0, v, &moved);
	pend = f ? __fpending(f) : 0;
	shim_verdict_init(v, FR_OP_WRITE);
	return pend && wgate(f, -1, NULL, 0, pend, fn, SHIM_NOBUDGET, v, &moved);
}

/* One character to a stream: (c, f) or, for putchar, (c) to stdout. */
#define SHIM_PUTC_BODY(name, stream, args)               \
	{                                                \
		struct shim_verdict v;                   \
		int r;                                   \
		if (unlikely(!SHIM_BOUND(name)))         \
			return SHIM_FAIL_EOFV(ENOSYS);   \
		if (likely(!shim_armed(SHIM_OPS_WRITE))) \
			return SHIM_REAL(name) args;     \
		if (cgate(stream, c, #name, &v))         \
			return EOF;                      \
		r = SHIM_REAL(name) args;                \
		wsettle(stream, &v, r == EOF ? -1 : 1);  \
		return r;                                \
	}

/*
 * The printf family, decided on the formatted length. A short (budget)
 * write formats into a buffer and writes the part that fits. flag < 0
 * marks the plain functions, flag >= 0 the _FORTIFY_SOURCE __*_chk ones,
 * which are passed through to their real __v*_chk counterpart. f NULL
 * means dprintf to fd.
 */
static int vprintf_slow(FILE *f, int fd, int flag, const char *fmt, va_list ap, const char *fn)
{
	struct shim_verdict v;
	char small[512], *buf = small;
	struct iovec iov;
	size_t moved;
	va_list aq;
	int len, r;

	va_copy(aq, ap);
	len = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (len < 0)
		goto out_real;
	if ((size_t)len >= sizeof(small)) {
		buf = malloc((size_t)len + 1);
		if (!buf)
			goto out_real;
	}
	va_copy(aq, ap);
	vsnprintf(buf, (size_t)len + 1, fmt, aq);
	va_end(aq);
	iov = SHIM_IOV1(buf, (size_t)len);
	if (wgate(f, fd, &iov, 1, (size_t)len, fn, 0, &v, &moved)) {
		int err = errno;

		if (buf != small)
			free(buf);
		errno = err;
		return -1;
	}
	if (buf != small)
		free(buf);
	if (f)
		r = flag >= 0 ? SHIM_REAL(__vfprintf_chk)(f, flag, fmt, ap) :
				SHIM_REAL(vfprintf)(f, fmt, ap);
	else
		r = flag >= 0 ? SHIM_REAL(__vdprintf_chk)(fd, flag, fmt, ap) :
				SHIM_REAL(vdprintf)(fd, fmt, ap);
	wsettle(f, &v, r);
	return r;

out_real:
	if (f)
		return flag >= 0 ? SHIM_REAL(__vfprintf_chk)(f, flag, fmt, ap) :
				   SHIM_REAL(vfprintf)(f, fmt, ap);
	return flag >= 0 ? SHIM_REAL(__vdprintf_chk)(fd, flag, fmt, ap) :
			   SHIM_REAL(vdprintf)(fd, fmt, ap);
}

/*
 * Varargs entry points format through their v* counterpart (a variadic
 * call cannot be forwarded): printf(...) is vfprintf(stdout, ...).
 */
#define SHIM_VPRINTF(real, realargs, f, fd, flag, fn)                     \
	(likely(!shim_armed(SHIM_OPS_WRITE)) ? SHIM_REAL(real) realargs : \
					       vprintf_slow(f, fd, flag, fmt, ap, fn))

int vfprintf(FILE *f, const char *fmt, va_list ap)
{
	if (unlikely(!SHIM_BOUND(vfprintf)))
		return SHIM_FAIL_M1(ENOSYS);
	return SHIM_VPRINTF(vfprintf, (f, fmt, ap), f, -1, -1, "vfprintf");
}

int vprintf(const char *fmt, va_list ap)
{
	if (unlikely(!SHIM_BOUND(vprintf)))
		return SHIM_FAIL_M1(ENOSYS);
	return SHIM_VPRINTF(vprintf, (fmt, ap), stdout, -1, -1, "vprintf");
}

int __vfprintf_chk(FILE *f, int flag, const char *fmt, va_list ap)
{
	if (unlikely(!SHIM_BOUND(__vfprintf_chk)))
		return SHIM_FAIL_M1(ENOSYS);
	return SHIM_VPRINTF(__vfprintf_chk, (f, flag, fmt, ap), f, -1, flag, "__vfprintf_chk");
}

int __vprintf_chk(int flag, const char *fmt, va_list ap)
{
	if (unlikely(!SHIM_BOUND(__vprintf_chk)))
		return SHIM_FAIL_M1(ENOSYS);
	return SHIM_VPRINTF(__vprintf_chk, (flag, fmt, ap), stdout, -1, flag, "__vprintf_chk");
}

int vdprintf(int fd, const char *fmt, va_list ap)
{
	if (unlikely(!SHIM_BOUND(vdprintf)))
		return SHIM_FAIL_M1(ENOSYS);
	return SHIM_VPRINTF(vdprintf, (fd, fmt, ap), NULL, fd, -1, "vdprintf");
}

int __vdprintf_chk(int fd, int flag, const char *fmt, va_list ap)
{
	if (unlikely(!SHIM_BOUND(__vdprintf_chk)))
		return SHIM_FAIL_M1(ENOSYS);
	return SHIM_VPRINTF(__vdprintf_chk, (fd, flag, fmt, ap), NULL, fd, flag, "__vdprintf_chk");
}

#define SHIM_VARARGS_BODY(bind, real, realargs, f, fd, flag, fn)   \
	{                                                          \
		va_list ap;                                        \
		int r;                                             \
		if (unlikely(!SHIM_BOUND(bind)))                   \
			return SHIM_FAIL_M1(ENOSYS);               \
		va_start(ap, fmt);                                 \
		r = SHIM_VPRINTF(real, realargs, f, fd, flag, fn); \
		va_end(ap);                                        \
		return r;                                          \
	}

int fprintf(FILE *f, const char *fmt,
	    ...) SHIM_VARARGS_BODY(vfprintf, vfprintf, (f, fmt, ap), f, -1, -1,
				   "fprintf") int printf(const char *fmt, ...)
	SHIM_VARARGS_BODY(vfprintf, vfprintf, (stdout, fmt, ap), stdout, -1, -1,
			  "printf") int __fprintf_chk(FILE *f, int flag, const char *fmt, ...)
		SHIM_VARARGS_BODY(__vfprintf_chk, __vfprintf_chk, (f, flag, fmt, ap), f, -1, flag,
				  "__fprintf_chk") int __printf_chk(int flag, const char *fmt, ...)
			SHIM_VARARGS_BODY(__vfprintf_chk, __vfprintf_chk, (stdout, flag, fmt, ap),
					  stdout, -1, flag,
					  "__printf_chk") int dprintf(int fd, const char *fmt, ...)
				SHIM_VARARGS_BODY(vdprintf, vdprintf, (fd, fmt, ap), NULL, fd, -1,
						  "dprintf") int __dprintf_chk(int fd, int flag,
									       const char *fmt, ...)
					SHIM_VARARGS_BODY(__vdprintf_chk, __vdprintf_chk,
							  (fd, flag, fmt, ap), NULL, fd, flag,
							  "__dprintf_chk")

/*
 * fflush/fclose write what the buffer holds: an errno rule fails them
 * when there is something to write; budgets were charged at the write.
 */
#define SHIM_FFLUSH_BODY(name)                                                                   \
	{                                                                                        \
		struct shim_verdict v;                                                           \
		size_t pending, moved;                                                           \
		if (unlikely(!SHIM_BOUND(name)))                                                 \
			return SHIM_FAIL_EOFV(ENOSYS);                                           \
		if (likely(!shim_armed(SHIM_OPS_WRITE)) || !f)                                   \
			return SHIM_REAL(name)(f);                                               \
		pending = __fpending(f);                                                         \
		if (pending && wgate(f, -1, NULL, 0, pending, #name, SHIM_NOBUDGET, &v, &moved)) \
			return EOF;                                                              \
		return SHIM_REAL(name)(f);                                                       \
	}

						int fclose(FILE *f)
{
	struct shim_verdict v;
	size_t pending, moved;
	int fd, r, err;

	if (unlikely(!SHIM_BOUND(fclose)))
		return SHIM_FAIL_EOFV(ENOSYS);
	if (likely(!shim_armed(SHIM_OPS_WRITE))) {
		if (likely(!shim_fd_table_used()))
			return SHIM_REAL(fclose)(f);
		/* fclose closes through libc's internal close: forget here */
		fd = stream_fd(f);
		r = SHIM_REAL(fclose)(f);
		shim_fd_forget(fd);
		return r;
	}
	fd = stream_fd(f);
	pending = __fpending(f);
	if (pending && wgate(f, -1, NULL, 0, pending, "fclose", SHIM_NOBUDGET, &v, &moved)) {
		err = errno;
		__fpurge(f);
		SHIM_REAL(fclose)(f);
		shim_fd_forget(fd);
		errno = err;
		return EOF;
	}
	r = SHIM_REAL(fclose)(f);
	shim_fd_forget(fd);
	return r;
}

/* ---- reads ------------------------------------------------------------ */

/* fread-like: a short read reads fewer (at least one) items. */
#define SHIM_FREAD_BODY(name, args)                                    \
	{                                                              \
		struct shim_verdict v;                                 \
		size_t len;                                            \
		if (unlikely(!SHIM_BOUND(name)))                       \
			return SHIM_FAIL_ZERO(ENOSYS);                 \
		if (likely(!shim_armed(SHIM_OPS_READ)) || !size || !n) \
			return SHIM_REAL(name) args;                   \
		len = n > SIZE_MAX / size ? SIZE_MAX : size * n;       \
		if (rgate(f, len, #name, &v))                          \
			return 0;                                      \
		if (v.what == SHIM_LIMIT)                              \
			n = v.allow / size ? v.allow / size : 1;       \
		return SHIM_REAL(name) args;                           \
	}

/* Other reads: fail or pass (a short read has no meaning for them). */
#define SHIM_READ_BODY(name, stream, want, args, failv)   \
	{                                                 \
		struct shim_verdict v;                    \
		if (unlikely(!SHIM_BOUND(name)))          \
			return SHIM_FAIL_##failv(ENOSYS); \
		if (likely(!shim_armed(SHIM_OPS_READ)))   \
			return SHIM_REAL(name) args;      \
		if (rgate(stream, want, #name, &v))       \
			return SHIM_FAIL_##failv(v.err);  \
		return SHIM_REAL(name) args;              \
	}

/*
 * Generate the stdio rows of wrapped.def from the bodies above. The
 * stream is the row's `f`, or stdout/stdin for putchar/getchar; a read
 * row wants one byte, fgets its n - 1. __overflow and __uflow/__underflow
 * are what the inline putc_unlocked/getc_unlocked call on a full or empty
 * buffer. puts, fclose and the printf family are written whole above.
 */
#define SHIM_GEN_FOPEN(name, ret, params, args, op, fail) ret name params SHIM_FOPEN_BODY(name)
#define SHIM_GEN_FREOPEN(name, ret, params, args, op, fail) ret name params SHIM_FREOPEN_BODY(name)
#define SHIM_GEN_FWRITE(name, ret, params, args, op, fail) \
	SHIM_FWRITE_SLOW(name) ret name params SHIM_FWRITE_BODY(name)
#define SHIM_GEN_FPUTS(name, ret, params, args, op, fail) ret name params SHIM_FPUTS_BODY(name)
#define SHIM_GEN_PUTC(name, ret, params, args, op, fail) \
	ret name params SHIM_PUTC_BODY(name, f, args)
#define SHIM_GEN_PUTCHAR(name, ret, params, args, op, fail) \
	ret name params SHIM_PUTC_BODY(name, stdout, args)
#define SHIM_GEN_FFLUSH(name, ret, params, args, op, fail) ret name params SHIM_FFLUSH_BODY(name)
#define SHIM_GEN_FREAD(name, ret, params, args, op, fail) \
	ret name params SHIM_FREAD_BODY(name, args)
#define SHIM_GEN_FGETS(name, ret, params, args, op, fail) \
	ret name params SHIM_READ_BODY(name, f, n > 1 ? (size_t)n - 1 : 0, args, fail)
#define SHIM_GEN_GETC(name, ret, params, args, op, fail) \
	ret name params SHIM_READ_BODY(name, f, 1, args, fail)
#define SHIM_GEN_GETCHAR(name, ret, params, args, op, fail) \
	ret name params SHIM_READ_BODY(name, stdin, 1, args, fail)
#define WRAP(name, ret, params, args, op, shape, fail, errnos)
#define WRAP_STDIO(name, ret, params, args, op, shape, fail, errnos) \
	SHIM_GEN_##shape(name, ret, params, args, op, fail)
#include "wrapped.def"
#undef WRAP_STDIO
#undef WRAP
