/*
 * A preload that does nothing: each wrapper calls the next definition of
 * its symbol, found once with dlsym(RTLD_NEXT) (dlsym(3)). tools/bench runs
 * programs under it (LD_PRELOAD) to show the floor any LD_PRELOAD wrapper
 * pays (a call through the PLT into the .so, a load of the saved pointer,
 * an indirect call), below which the shim cannot go.
 *
 * Only the calls tools/bench measures are wrapped; the rest reach libc
 * directly, as they would with no preload.
 */
#define _GNU_SOURCE
/* open and open64 are both defined here: without the meson-wide
 * _FILE_OFFSET_BITS=64 the headers do not rename one to the other */
#undef _FILE_OFFSET_BITS
#include <dlfcn.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_read)(int, void *, size_t);
static ssize_t (*real_writev)(int, const struct iovec *, int);
static ssize_t (*real_pread64)(int, void *, size_t, off_t);
static ssize_t (*real_pwrite64)(int, const void *, size_t, off_t);
static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_openat64)(int, const char *, int, ...);
static int (*real_close)(int);
static size_t (*real_fwrite)(const void *, size_t, size_t, FILE *);
static ssize_t (*real_send)(int, const void *, size_t, int);
static ssize_t (*real_recv)(int, void *, size_t, int);
static int (*real_poll)(struct pollfd *, nfds_t, int);
static int (*real_epoll_wait)(int, struct epoll_event *, int, int);

__attribute__((constructor)) static void noop_init(void)
{
	real_write = dlsym(RTLD_NEXT, "write");
	real_read = dlsym(RTLD_NEXT, "read");
	real_writev = dlsym(RTLD_NEXT, "writev");
	real_pread64 = dlsym(RTLD_NEXT, "pread64");
	real_pwrite64 = dlsym(RTLD_NEXT, "pwrite64");
	real_open = dlsym(RTLD_NEXT, "open");
	real_open64 = dlsym(RTLD_NEXT, "open64");
	real_openat = dlsym(RTLD_NEXT, "openat");
	real_openat64 = dlsym(RTLD_NEXT, "openat64");
	real_close = dlsym(RTLD_NEXT, "close");
	real_fwrite = dlsym(RTLD_NEXT, "fwrite");
	real_send = dlsym(RTLD_NEXT, "send");
	real_recv = dlsym(RTLD_NEXT, "recv");
	real_poll = dlsym(RTLD_NEXT, "poll");
	real_epoll_wait = dlsym(RTLD_NEXT, "epoll_wait");
}

/* A call made before the constructor ran (another library's constructor)
 * binds everything first, as a real preload must. */
#define REAL(name) (real_##name ? real_##name : (noop_init(), real_##name))

ssize_t write(int fd, const void *buf, size_t n)
{
	return REAL(write)(fd, buf, n);
}

ssize_t read(int fd, void *buf, size_t n)
{
	return REAL(read)(fd, buf, n);
}

ssize_t writev(int fd, const struct iovec *iov, int n)
{
	return REAL(writev)(fd, iov, n);
}

ssize_t pread64(int fd, void *buf, size_t n, off_t off)
{
	return REAL(pread64)(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
{
	return REAL(pwrite64)(fd, buf, n, off);
}

/* open(2): the mode argument is there only with O_CREAT or O_TMPFILE */
static mode_t open_mode(int flags, va_list ap)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? va_arg(ap, mode_t) : 0;
}

int open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	return REAL(open)(path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	return REAL(open64)(path, flags, mode);
}

int openat(int dir, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	return REAL(openat)(dir, path, flags, mode);
}

int openat64(int dir, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	return REAL(openat64)(dir, path, flags, mode);
}

int close(int fd)
{
	return REAL(close)(fd);
}

size_t fwrite(const void *buf, size_t size, size_t n, FILE *f)
{
	return REAL(fwrite)(buf, size, n, f);
}

ssize_t send(int fd, const void *buf, size_t n, int flags)
{
	return REAL(send)(fd, buf, n, flags);
}

ssize_t recv(int fd, void *buf, size_t n, int flags)
{
	return REAL(recv)(fd, buf, n, flags);
}

int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	return REAL(poll)(fds, n, timeout);
}

int epoll_wait(int ep, struct epoll_event *ev, int n, int timeout)
{
	return REAL(epoll_wait)(ep, ev, n, timeout);
}
