/*
 * stdio streams on files in a disk rule's tree (docs/faults.md, "disk").
 *
 * A stream's bytes reach its file through libc's internal write, which no
 * wrapper sees (wrap_stdio.c). So the disk charges them at the stdio call
 * that makes libc write them, predicted from the stream's buffer as glibc
 * decides it (libio/fileops.c: _IO_new_file_xsputn, _IO_new_file_overflow;
 * glibc 2.36):
 *  - a fully buffered stream writes when new bytes do not fit in what is
 *    left of its buffer: the buffer filled up, then the whole buffers'
 *    worth of what remains, directly; the rest waits in the buffer;
 *  - a line-buffered stream also writes up to the last newline;
 *  - an unbuffered stream writes everything at once;
 *  - fflush and fclose write what the buffer holds.
 * A call that writes nothing costs nothing yet: its bytes are charged when
 * they go out. That is when a real full tmpfs refuses them too (measured
 * by tests/disk/test-disk-diff.sh, "stdio"): an fprintf that only fills
 * the buffer succeeds; the fflush after it, the fprintf that overflows the
 * buffer, or the fclose fails.
 *
 * When what a call writes does not fit, the shim does what glibc does when
 * its write comes back short and the next one fails with ENOSPC: it writes
 * what fits itself (the bytes the kernel would have taken), empties the
 * buffer (new_do_write drops it whatever the write did), sets the error
 * indicator and returns the call's failure value with errno ENOSPC.
 *
 * After a call that went ahead, the file's size is compared with what was
 * charged, and bytes libc wrote beyond the prediction are charged then: a
 * wrong prediction moves a charge to the end of the call, never loses it.
 * At exit the streams still holding bytes for a disk's files are flushed
 * the same way, before libc's own final flush (which no wrapper sees).
 */
#include "shim.h"

#include <stdio_ext.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

/* FILE._flags bits (glibc libio/libio.h, not in the installed headers) */
#define IO_UNBUFFERED 0x0002
#define IO_LINE_BUF 0x0200
/* FILE._offset when unknown: libc asks the kernel (libio/libioP.h) */
#define IO_POS_BAD ((__off64_t)-1)

/*
 * What one call makes libc write: `out` bytes of the buffer's pending
 * bytes followed by the new ones. Its first write, the buffer, is `first`
 * bytes long, `taken` of them new.
 */
struct push {
	size_t out, first, taken;
};

static size_t iov_len(const struct iovec *iov, int cnt)
{
	size_t t = 0;

	for (int i = 0; i < cnt; i++)
		t += iov[i].iov_len;
	return t;
}

/* One past the last newline among iov's bytes; 0 when there is none. */
static size_t past_newline(const struct iovec *iov, int cnt)
{
	size_t pos = 0, at = 0;

	for (int i = 0; i < cnt; i++) {
		const char *nl = memrchr(iov[i].iov_base, '\n', iov[i].iov_len);

		if (nl)
			at = pos + (size_t)(nl - (const char *)iov[i].iov_base) + 1;
		pos += iov[i].iov_len;
	}
	return at;
}

/*
 * f's buffer size, or the one its first write allocates
 * (_IO_file_doallocate; st NULL only when f has its buffer).
 */
static size_t buf_size(FILE *f, const struct stat *st)
{
	size_t b = __fbufsize(f);

	if (b || !st)
		return b;
	if (f->_flags & IO_UNBUFFERED)
		return 1;
	return st->st_blksize > 0 && st->st_blksize < BUFSIZ ? (size_t)st->st_blksize : BUFSIZ;
}

/* The fully buffered case: `room` bytes fit in the buffer before it is written. */
static struct push overflow(size_t pend, size_t room, size_t b, size_t len)
{
	struct push p = { 0, 0, 0 };
	size_t rest;

	if (len <= room)
		return p;
	p.taken = room;
	p.first = pend + room;
	rest = len - room;
	/* glibc writes whole buffers directly, unless the buffer is tiny */
	p.out = p.first + (b >= 128 ? rest - rest % b : rest);
	return p;
}

static struct push predict(FILE *f, const struct stat *st, const struct iovec *iov, int cnt,
			   size_t len)
{
	struct push p = { 0, 0, 0 };
	size_t pend = __fpending(f), b = buf_size(f, st), nl, room;

	if (!iov) {
		/* fflush, fclose: the buffer */
		p.out = p.first = pend;
		return p;
	}
	if (f->_flags & IO_UNBUFFERED) {
		p.first = pend;
		p.out = pend + len;
		return p;
	}
	if (f->_flags & IO_LINE_BUF) {
		/* a line-buffered stream's put area ends at its start: count the buffer */
		room = b > pend ? b - pend : 0;
		nl = past_newline(iov, cnt);
		if (nl && len <= room) {
			p.taken = nl;
			p.first = pend + nl;
			p.out = p.first;
			return p;
		}
		return overflow(pend, room, b, len);
	}
	room = f->_IO_write_end > f->_IO_write_ptr ? (size_t)(f->_IO_write_end - f->_IO_write_ptr) :
						     0;
	return overflow(pend, room, b, len);
}

/* Write the first n bytes of f's pending bytes followed by iov's to fd; how many went. */
static long write_prefix(int fd, FILE *f, const struct iovec *iov, int cnt, size_t n)
{
	struct iovec v[8];
	size_t pend = __fpending(f), done = 0;
	int k = 0;

	if (pend && n) {
		v[k].iov_base = f->_IO_write_base;
		v[k++].iov_len = pend < n ? pend : n;
		n -= v[k - 1].iov_len;
	}
	for (int i = 0; i < cnt && n && k < 8; i++) {
		v[k].iov_base = iov[i].iov_base;
		v[k++].iov_len = iov[i].iov_len < n ? iov[i].iov_len : n;
		n -= v[k - 1].iov_len;
	}
	for (int i = 0; i < k;) {
		long w = fr_syscall(SYS_writev, fd, &v[i], k - i);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		done += (size_t)w;
		/* a short write: go on from where it stopped */
		while (i < k && (size_t)w >= v[i].iov_len)
			w -= (long)v[i++].iov_len;
		if (i < k) {
			v[i].iov_base = (char *)v[i].iov_base + w;
			v[i].iov_len -= (size_t)w;
		}
	}
	return (long)done;
}

bool shim_disk_stream(FILE *f, int fd, const struct iovec *iov, int cnt, const char *fn,
		      struct shim_verdict *v, long *accepted)
{
	unsigned rule = (unsigned)v->disk_rule;
	size_t len = iov ? iov_len(iov, cnt) : 0;
	struct stat st;
	struct push p;
	uint64_t start, fit;
	long wrote;
	bool append;
	int file, saved = errno;

	*accepted = 0;
	/* a wide stream keeps its bytes elsewhere (fwprintf is not wrapped) */
	if (!shim_ctl || v->disk_rule < 0 || !f || f->_mode > 0)
		goto out_real;
	/*
	 * Bytes that only go into an allocated buffer (the common case, a
	 * line of a log) cost no system call: glibc writes nothing then.
	 */
	if (__fbufsize(f) && !predict(f, NULL, iov, cnt, len).out)
		goto out_real;
	if (!shim_disk_where(fd, -1, &append, &start, &file, rule, &st))
		goto out_real;
	v->stream_file = file;
	v->stream_size = (uint64_t)st.st_size;
	p = predict(f, &st, iov, cnt, len);
	if (!p.out)
		goto out_real;
	fit = shim_disk_grow(rule, file, start, p.out, append, false, &v->disk);
	if (fit >= p.out) {
		v->disk.file = -1; /* charged for good: nothing to settle */
		goto out_real;
	}
	/* it does not fit: what glibc does when its write fails */
	wrote = write_prefix(fd, f, iov, cnt, fit);
	fr_disk_settle(shim_ctl, rule, &v->disk, wrote);
	v->disk.file = -1;
	v->stream_file = -1;
	v->what = wrote > 0 ? SHIM_LIMIT : SHIM_FAIL;
	v->err = ENOSPC;
	shim_disk_inject(v, fd, NULL, fn);
	__fpurge(f);
	/* the kernel's offset moved behind stdio's back: ftell asks it again */
	f->_offset = IO_POS_BAD;
	shim_stdio_set_error(f);
	/* _IO_new_file_xsputn's count: what it took before the write that failed */
	if (fit < p.first)
		*accepted = p.taken == len ? -1 : (long)p.taken;
	else
		*accepted = (long)(p.taken + (fit - p.first));
	errno = ENOSPC;
	return true;

out_real:
	errno = saved;
	return false;
}

void shim_disk_stream_after(int fd, const struct shim_verdict *v)
{
	struct fr_disk_take tk;
	struct stat st;
	int saved = errno;

	/* what the call added past the size before: blocks the file does not hold yet */
	if (shim_ctl && v->stream_file >= 0 && v->disk_rule >= 0 &&
	    fr_syscall(SYS_fstat, fd, &st) == 0 && (uint64_t)st.st_size > v->stream_size)
		fr_disk_grow(shim_ctl, (unsigned)v->disk_rule, v->stream_file, v->stream_size,
			     (uint64_t)st.st_size - v->stream_size, false, false, &tk);
	errno = saved;
}

/*
 * glibc's list of open streams and its lock (libio/genops.c), which its
 * exit flush walks and takes
 */
extern FILE *_IO_list_all;
extern void _IO_list_lock(void);
extern void _IO_list_unlock(void);

/*
 * At exit (destructors run before libc's final flush, _IO_cleanup, in
 * exit(3)'s order): a stream with bytes for a disk's file writes them
 * through the model, so that they are charged, or dropped when they do
 * not fit, as the real flush would drop them. Like glibc's own exit
 * flush, it holds the list's lock and not the streams'. Only disk rules
 * are asked.
 */
__attribute__((destructor)) static void flush_at_exit(void)
{
	struct shim_verdict v;
	long acc;

	if (!shim_ctl || !shim_armed(SHIM_B(WRITE)))
		return;
	_IO_list_lock();
	for (FILE *f = _IO_list_all; f; f = f->_chain) {
		int fd = f->_fileno;
		size_t pend = f->_mode > 0 ? 0 : __fpending(f);

		if (fd < 0 || !pend)
			continue;
		shim_decide_fd(FR_OP_WRITE, fd, pend, "exit", SHIM_NOBUDGET | SHIM_DISK_ONLY, &v);
		if (v.disk_rule >= 0 && v.what == SHIM_COUNT)
			shim_disk_stream(f, fd, NULL, 0, "exit", &v, &acc);
	}
	_IO_list_unlock();
}
