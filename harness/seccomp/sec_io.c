/*
 * Calls faultrun makes for the target: a short read or write (`short`, the
 * write that crosses a `budget=`), made on our copy of the target's fd
 * (pidfd_getfd(2)) with fewer bytes, the data moved between the target's
 * memory and ours with process_vm_readv(2)/process_vm_writev(2). The copy
 * shares the target's open file description, so the file offset the call
 * moves is the target's own (a write(2) on it advances the target's
 * offset, O_APPEND appends), as if the target had made the call itself.
 *
 * Only where that cannot block faultrun: regular files (a write may wait
 * on the disk, never on another process) and sockets with MSG_DONTWAIT
 * (a socket with nothing to read, or no room, is left to the kernel:
 * sec_io_cut fails and the caller lets the call go on uncut). A pipe, a
 * FIFO or a terminal is never cut.
 *
 * And the facts a stall needs of a socket: its SO_RCVTIMEO or SO_SNDTIMEO
 * (socket(7)) and whether it is non-blocking (O_NONBLOCK).
 */
#define _GNU_SOURCE
#include "sec_io.h"
#include "sec_facts.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>

/* The most iovecs a cut call reads of the target's (UIO_MAXIOV is 1024). */
#define SEC_IOV_MAX 1024

/* How each call faultrun can make is laid out: its buffer, count, offset, flags. */
struct sec_iocall {
	int nr;
	bool write, vec;
	int8_t off;   /* the offset argument (-1: the fd's own offset) */
	int8_t flags; /* send/recv flags (socket calls), or RWF_* (the v2 calls) */
};

static const struct sec_iocall iocalls[] = {
	{ SYS_read, false, false, -1, -1 },    { SYS_write, true, false, -1, -1 },
	{ SYS_pread64, false, false, 3, -1 },  { SYS_pwrite64, true, false, 3, -1 },
	{ SYS_readv, false, true, -1, -1 },    { SYS_writev, true, true, -1, -1 },
	{ SYS_preadv, false, true, 3, -1 },    { SYS_pwritev, true, true, 3, -1 },
	{ SYS_preadv2, false, true, 3, 5 },    { SYS_pwritev2, true, true, 3, 5 },
	{ SYS_recvfrom, false, false, -1, 3 }, { SYS_sendto, true, false, -1, 3 },
};

static const struct sec_iocall *iocall_find(int nr)
{
	for (size_t i = 0; i < sizeof(iocalls) / sizeof(iocalls[0]); i++)
		if (iocalls[i].nr == nr)
			return &iocalls[i];
	return NULL;
}

int sec_dup_fd(int tgid, int fd)
{
	int pidfd = (int)syscall(SYS_pidfd_open, tgid, 0), mine, e;

	if (pidfd < 0)
		return -errno;
	mine = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	e = errno;
	close(pidfd);
	return mine < 0 ? -e : mine;
}

/* The target's iovecs of call d (up to SEC_IOV_MAX), into *out (malloc'd): their number or -errno. */
static int read_iov(int tid, const struct seccomp_data *d, struct iovec **out)
{
	uint64_t n = d->args[2];
	struct iovec *v;

	if (n > SEC_IOV_MAX)
		return -EINVAL; /* the kernel says EINVAL too (readv(2)) */
	v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (n && sec_read_mem(tid, d->args[1], v, n * sizeof(*v)) < 0) {
		free(v);
		return -EFAULT;
	}
	*out = v;
	return (int)n;
}

int sec_io_want(int tid, const struct seccomp_data *d, uint64_t *want)
{
	const struct sec_iocall *k = iocall_find(d->nr);
	struct iovec *v;
	int n;

	*want = 0;
	switch (d->nr) {
	case SYS_sendfile:
		*want = d->args[3];
		return 0;
	case SYS_copy_file_range:
	case SYS_splice:
		*want = d->args[4];
		return 0;
	case SYS_fallocate:
		*want = d->args[3];
		return 0;
	}
	if (!k)
		return -ENOTSUP;
	if (!k->vec) {
		*want = d->args[2];
		return 0;
	}
	n = read_iov(tid, d, &v);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++)
		*want += v[i].iov_len;
	free(v);
	return 0;
}

/* What the fd is: 1 a regular file, 2 a socket, 0 anything else (never cut). */
static int fd_kind(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return 0;
	return S_ISREG(st.st_mode) ? 1 : S_ISSOCK(st.st_mode) ? 2 : 0;
}

bool sec_io_cuttable(int tgid, const struct seccomp_data *d)
{
	const struct sec_iocall *k = iocall_find(d->nr);
	int fd, kind;

	/* recvfrom/sendto naming an address: a datagram's, not cut (docs/seccomp.md) */
	if (!k || ((d->nr == SYS_recvfrom || d->nr == SYS_sendto) && d->args[4]))
		return false;
	fd = sec_dup_fd(tgid, (int)d->args[0]);
	if (fd < 0)
		return false;
	kind = fd_kind(fd);
	if (kind == 2) {
		int type = 0;
		socklen_t tl = sizeof(type);

		/* a datagram cut short loses the rest of it: the shim cuts streams only */
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 || type != SOCK_STREAM)
			kind = 0;
	}
	close(fd);
	return kind == 1 || (kind == 2 && k->off < 0);
}

/* The first `allow` bytes of the target's buffers as remote iovecs (n of them), in place. */
static int clip_iov(struct iovec *v, int n, uint64_t allow)
{
	uint64_t left = allow;
	int k = 0;

	while (k < n && left) {
		if (v[k].iov_len > left)
			v[k].iov_len = left;
		left -= v[k].iov_len;
		k++;
	}
	return k;
}

/* The call on our copy `fd` with buf[len]: its result, or -errno. */
static ssize_t make_call(const struct sec_iocall *k, const struct seccomp_data *d, int fd, int kind,
			 void *buf, size_t len)
{
	struct iovec one = { .iov_base = buf, .iov_len = len };
	off_t off = k->off >= 0 ? (off_t)d->args[k->off] : 0;
	ssize_t r;

	if (kind == 2) {
		/* never wait here, never raise SIGPIPE in faultrun: the kernel does it then */
		int fl = (k->flags >= 0 && k->off < 0 ? (int)d->args[k->flags] : 0) | MSG_DONTWAIT |
			 MSG_NOSIGNAL;

		r = k->write ? send(fd, buf, len, fl) : recv(fd, buf, len, fl);
	} else if (k->flags >= 0) {
		int fl = (int)d->args[k->flags];

		r = k->write ? pwritev2(fd, &one, 1, off, fl) : preadv2(fd, &one, 1, off, fl);
	} else if (k->off >= 0) {
		r = k->write ? pwrite(fd, buf, len, off) : pread(fd, buf, len, off);
	} else {
		r = k->write ? write(fd, buf, len) : read(fd, buf, len);
	}
	return r < 0 ? -errno : r;
}

int64_t sec_io_cut(int tgid, int tid, const struct seccomp_data *d, uint64_t allow)
{
	const struct sec_iocall *k = iocall_find(d->nr);
	struct iovec *rv = NULL, flat;
	int nrv, fd, kind;
	char *buf;
	ssize_t r;

	if (!k || !allow)
		return -ENOTSUP;
	if (k->vec) {
		nrv = read_iov(tid, d, &rv);
		if (nrv < 0)
			return nrv;
	} else {
		flat = (struct iovec){ .iov_base = (void *)(uintptr_t)d->args[1],
				       .iov_len = d->args[2] };
		rv = &flat;
		nrv = 1;
	}
	nrv = clip_iov(rv, nrv, allow);
	buf = malloc(allow);
	fd = sec_dup_fd(tgid, (int)d->args[0]);
	r = !buf ? -ENOMEM : fd < 0 ? fd : 0;
	kind = fd >= 0 ? fd_kind(fd) : 0;
	if (!r && !kind)
		r = -ENOTSUP;
	struct iovec local = { .iov_base = buf, .iov_len = allow };
	if (!r && k->write &&
	    process_vm_readv(tid, &local, 1, rv, (unsigned long)nrv, 0) != (ssize_t)allow)
		r = -EFAULT;
	if (!r)
		r = make_call(k, d, fd, kind, buf, allow);
	if (r > 0 && !k->write) {
		local.iov_len = (size_t)r;
		if (process_vm_writev(tid, &local, 1, rv, (unsigned long)nrv, 0) != r)
			r = -EFAULT; /* as the kernel, whose copy to a bad buffer fails */
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	if (rv != &flat)
		free(rv);
	return r;
}

void sec_sock_shut(int tgid, int fd)
{
	int mine = sec_dup_fd(tgid, fd);

	if (mine < 0)
		return; /* closed meanwhile: nothing to shut */
	shutdown(mine, SHUT_RDWR);
	close(mine);
}

uint64_t sec_sock_sndbuf(int tgid, int fd)
{
	int mine = sec_dup_fd(tgid, fd), v = 0;
	socklen_t l = sizeof(v);

	if (mine >= 0) {
		if (getsockopt(mine, SOL_SOCKET, SO_SNDBUF, &v, &l) < 0)
			v = 0;
		close(mine);
	}
	return v > 0 ? (uint64_t)v : 1;
}

/*
 * reset: what the shim does to the program's socket (limit.c's
 * shim_sock_reset), on our copy, which is the same socket. A TCP socket is
 * disconnected (connect(2) with AF_UNSPEC: the kernel aborts the
 * connection and sends the peer a RST, tcp_disconnect) and the error that
 * leaves pending is read, so that later reads return 0 rather than report
 * it again; then shut down both ways, so that the program's writes fail
 * with EPIPE and readiness shows POLLHUP. A unix socket is only shut down.
 */
void sec_sock_reset(int tgid, int fd)
{
	int mine = sec_dup_fd(tgid, fd), domain = 0, type = 0, e = 0;
	socklen_t l = sizeof(domain);

	if (mine < 0)
		return; /* closed meanwhile: nothing to abort */
	getsockopt(mine, SOL_SOCKET, SO_DOMAIN, &domain, &l);
	l = sizeof(type);
	getsockopt(mine, SOL_SOCKET, SO_TYPE, &type, &l);
	if ((domain == AF_INET || domain == AF_INET6) && type == SOCK_STREAM) {
		struct sockaddr sa = { .sa_family = AF_UNSPEC };

		connect(mine, &sa, sizeof(sa));
		l = sizeof(e);
		getsockopt(mine, SOL_SOCKET, SO_ERROR, &e, &l);
	}
	shutdown(mine, SHUT_RDWR);
	close(mine);
}

int sec_sock_hold_facts(int tgid, int fd, bool send, uint64_t *timeout_ns, bool *nonblock)
{
	struct timeval tv = { 0 };
	socklen_t tl = sizeof(tv);
	int mine = sec_dup_fd(tgid, fd), fl;

	*timeout_ns = 0;
	*nonblock = false;
	if (mine < 0)
		return mine;
	/* the flags are the open file description's: the target's own (fcntl(2)) */
	fl = fcntl(mine, F_GETFL);
	*nonblock = fl >= 0 && (fl & O_NONBLOCK);
	if (getsockopt(mine, SOL_SOCKET, send ? SO_SNDTIMEO : SO_RCVTIMEO, &tv, &tl) == 0)
		*timeout_ns = (uint64_t)tv.tv_sec * 1000000000ull + (uint64_t)tv.tv_usec * 1000ull;
	close(mine);
	return 0;
}
