/*
 * Per-function tests of the fd family (opens, reads, writes, fsync,
 * truncate, allocate, in-kernel copies, and the fd-table upkeep of
 * close/dup/fcntl/pipe), one cmocka test per wrapped.def entry; see
 * fncase.h for the three runs each case gets.
 *
 * Built without _FILE_OFFSET_BITS and _FORTIFY_SOURCE, and with
 * -fno-builtin, so that `open` calls open and `open64` calls open64.
 */
#define _GNU_SOURCE
#include "fncase.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/sendfile.h>
#include <sys/signalfd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/uio.h>

/*
 * A system call the shim cannot see: the instruction itself, not libc's
 * syscall() (which the shim wraps). What a static program, Go, or io_uring
 * does behind every wrapper.
 */
#include "../fault/raw_syscall.h"
#define unseen_syscall fr_syscall

static int ok_fd(int fd)
{
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/* A new file made with mode 0604 under umask 022 must have mode 0604. */
static int ok_created(int fd, const char *path)
{
	struct stat st;

	if (fd < 0)
		return -1;
	close(fd);
	if (stat(path, &st) < 0)
		return WRONG("%s was not created", path);
	if ((st.st_mode & 0777) != 0604)
		return WRONG("%s has mode %o, want 604 (varargs mode)", path,
			     (unsigned)(st.st_mode & 0777));
	return 0;
}

#define NEWFLAGS (O_WRONLY | O_CREAT | O_EXCL)

CASE(open) { return ok_created(CALL(open(with(p, ".n"), NEWFLAGS, 0604)), with(p, ".n")); }
CASE(open64) { return ok_created(CALL(open64(with(p, ".n"), NEWFLAGS, 0604)), with(p, ".n")); }

CASE(openat)
{
	int d = dirfd_of(p);
	char name[NAME_MAX + 1];

	snprintf(name, sizeof(name), "%s.n", base_of(p));
	return ok_created(CALL(openat(d, name, NEWFLAGS, 0604)), with(p, ".n"));
}

CASE(openat64)
{
	int d = dirfd_of(p);
	char name[NAME_MAX + 1];

	snprintf(name, sizeof(name), "%s.n", base_of(p));
	return ok_created(CALL(openat64(d, name, NEWFLAGS, 0604)), with(p, ".n"));
}

CASE(__open_2) { return ok_fd(CALL(__open_2(p, O_RDONLY))); }
CASE(__open64_2) { return ok_fd(CALL(__open64_2(p, O_RDONLY))); }
CASE(__openat_2) { return ok_fd(CALL(__openat_2(dirfd_of(p), base_of(p), O_RDONLY))); }
CASE(__openat64_2) { return ok_fd(CALL(__openat64_2(dirfd_of(p), base_of(p), O_RDONLY))); }
CASE(creat) { return ok_created(CALL(creat(with(p, ".n"), 0604)), with(p, ".n")); }
CASE(creat64) { return ok_created(CALL(creat64(with(p, ".n"), 0604)), with(p, ".n")); }

/* mk*temp: a writable template beside p */
#define TEMPLATE(t, suffix)                                                \
	char t[PATH_MAX];                                                  \
	snprintf(t, sizeof(t), "%s.XXXXXX%s", p, suffix)

CASE(mkstemp) { TEMPLATE(t, ""); return ok_fd(CALL(mkstemp(t))); }
CASE(mkstemp64) { TEMPLATE(t, ""); return ok_fd(CALL(mkstemp64(t))); }
CASE(mkostemp) { TEMPLATE(t, ""); return ok_fd(CALL(mkostemp(t, O_CLOEXEC))); }
CASE(mkostemp64) { TEMPLATE(t, ""); return ok_fd(CALL(mkostemp64(t, O_CLOEXEC))); }
CASE(mkstemps) { TEMPLATE(t, ".sfx"); return ok_fd(CALL(mkstemps(t, 4))); }
CASE(mkstemps64) { TEMPLATE(t, ".sfx"); return ok_fd(CALL(mkstemps64(t, 4))); }
CASE(mkostemps) { TEMPLATE(t, ".sfx"); return ok_fd(CALL(mkostemps(t, 4, O_CLOEXEC))); }
CASE(mkostemps64) { TEMPLATE(t, ".sfx"); return ok_fd(CALL(mkostemps64(t, 4, O_CLOEXEC))); }

/* ---- writes: the file must hold what was written ------------------- */

static int wrote(int fd, ssize_t r, ssize_t want, const char *p,
		 const char *content)
{
	close(fd);
	if (r < 0)
		return -1;
	if (r != want)
		return WRONG("wrote %zd bytes, want %zd", r, want);
	return expect_content(p, content);
}

#define WFD int fd = open(p, O_WRONLY | O_TRUNC)
#define PWFD int fd = open(p, O_WRONLY)
#define IOV2(a, b)                                                         \
	struct iovec iov[2] = { { (void *)(a), strlen(a) },                \
				{ (void *)(b), strlen(b) } }

CASE(write) { WFD; return wrote(fd, CALL(write(fd, "hello", 5)), 5, p, "hello"); }
CASE(pwrite) { PWFD; return wrote(fd, CALL(pwrite(fd, "hello", 5, 0)), 5, p, "hello56789abcdef\n"); }
CASE(pwrite64) { PWFD; return wrote(fd, CALL(pwrite64(fd, "hello", 5, 0)), 5, p, "hello56789abcdef\n"); }
CASE(writev) { WFD; IOV2("hel", "lo"); return wrote(fd, CALL(writev(fd, iov, 2)), 5, p, "hello"); }
CASE(pwritev) { PWFD; IOV2("hel", "lo"); return wrote(fd, CALL(pwritev(fd, iov, 2, 0)), 5, p, "hello56789abcdef\n"); }
CASE(pwritev64) { PWFD; IOV2("hel", "lo"); return wrote(fd, CALL(pwritev64(fd, iov, 2, 0)), 5, p, "hello56789abcdef\n"); }
CASE(pwritev2) { PWFD; IOV2("hel", "lo"); return wrote(fd, CALL(pwritev2(fd, iov, 2, 0, 0)), 5, p, "hello56789abcdef\n"); }
CASE(pwritev64v2) { PWFD; IOV2("hel", "lo"); return wrote(fd, CALL(pwritev64v2(fd, iov, 2, 0, 0)), 5, p, "hello56789abcdef\n"); }

/* a source outside match/ and other/ holding "hello" */
static int source(void)
{
	st_write_file(st_path("plain/src"), "hello");
	return open(st_path("plain/src"), O_RDONLY);
}

CASE(copy_file_range)
{
	int src = source();
	WFD;
	ssize_t r = CALL(copy_file_range(src, NULL, fd, NULL, 5, 0));

	close(src);
	return wrote(fd, r, 5, p, "hello");
}

CASE(sendfile)
{
	int src = source();
	WFD;
	ssize_t r = CALL(sendfile(fd, src, NULL, 5));

	close(src);
	return wrote(fd, r, 5, p, "hello");
}

CASE(sendfile64)
{
	int src = source();
	WFD;
	ssize_t r = CALL(sendfile64(fd, src, NULL, 5));

	close(src);
	return wrote(fd, r, 5, p, "hello");
}

CASE(splice)
{
	int pp[2];
	ssize_t r;
	WFD;

	if (pipe(pp) < 0 || write(pp[1], "hello", 5) != 5)
		return WRONG("pipe");
	r = CALL(splice(pp[0], NULL, fd, NULL, 5, 0));
	close(pp[0]);
	close(pp[1]);
	return wrote(fd, r, 5, p, "hello");
}

/* ---- reads: the bytes must be the file's --------------------------- */

static int got(int fd, ssize_t r, const char *buf, const char *want)
{
	close(fd);
	if (r < 0)
		return -1;
	if ((size_t)r != strlen(want) || memcmp(buf, want, (size_t)r) != 0)
		return WRONG("read %zd bytes \"%.*s\", want \"%s\"", r,
			     r > 0 ? (int)r : 0, buf, want);
	return 0;
}

#define RFD                                                                \
	char buf[64] = "";                                                 \
	int fd = open(p, O_RDONLY)
#define RIOV                                                               \
	char a[3], b[2];                                                   \
	struct iovec iov[2] = { { a, 3 }, { b, 2 } };                      \
	int fd = open(p, O_RDONLY)
#define IOVBUF (memcpy(buf, a, 3), memcpy(buf + 3, b, 2), buf)

CASE(read) { RFD; return got(fd, CALL(read(fd, buf, 5)), buf, "01234"); }
CASE(__read_chk) { RFD; return got(fd, CALL(__read_chk(fd, buf, 5, sizeof(buf))), buf, "01234"); }
CASE(pread) { RFD; return got(fd, CALL(pread(fd, buf, 5, 10)), buf, "abcde"); }
CASE(pread64) { RFD; return got(fd, CALL(pread64(fd, buf, 5, 10)), buf, "abcde"); }
CASE(__pread_chk) { RFD; return got(fd, CALL(__pread_chk(fd, buf, 5, 10, sizeof(buf))), buf, "abcde"); }
CASE(__pread64_chk) { RFD; return got(fd, CALL(__pread64_chk(fd, buf, 5, 10, sizeof(buf))), buf, "abcde"); }
CASE(readv) { char buf[8]; RIOV; ssize_t r = CALL(readv(fd, iov, 2)); return got(fd, r, IOVBUF, "01234"); }
CASE(preadv) { char buf[8]; RIOV; ssize_t r = CALL(preadv(fd, iov, 2, 10)); return got(fd, r, IOVBUF, "abcde"); }
CASE(preadv64) { char buf[8]; RIOV; ssize_t r = CALL(preadv64(fd, iov, 2, 10)); return got(fd, r, IOVBUF, "abcde"); }
CASE(preadv2) { char buf[8]; RIOV; ssize_t r = CALL(preadv2(fd, iov, 2, 10, 0)); return got(fd, r, IOVBUF, "abcde"); }
CASE(preadv64v2) { char buf[8]; RIOV; ssize_t r = CALL(preadv64v2(fd, iov, 2, 10, 0)); return got(fd, r, IOVBUF, "abcde"); }

/* ---- fsync, truncate, allocate ------------------------------------- */

static int zero_ok(int fd, int r)
{
	close(fd);
	return r == 0 ? 0 : -1;
}

CASE(fsync) { PWFD; return zero_ok(fd, CALL(fsync(fd))); }
CASE(fdatasync) { PWFD; return zero_ok(fd, CALL(fdatasync(fd))); }
CASE(syncfs) { PWFD; return zero_ok(fd, CALL(syncfs(fd))); }
CASE(sync_file_range) { PWFD; return zero_ok(fd, CALL(sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE))); }

static int sized(int fd, int r, const char *p, long long size)
{
	close(fd);
	if (r != 0)
		return -1;
	if (st_file_size(p) != size)
		return WRONG("size %lld, want %lld", st_file_size(p), size);
	return 0;
}

CASE(ftruncate) { PWFD; return sized(fd, CALL(ftruncate(fd, 3)), p, 3); }
CASE(ftruncate64) { PWFD; return sized(fd, CALL(ftruncate64(fd, 3)), p, 3); }
CASE(fallocate) { PWFD; return sized(fd, CALL(fallocate(fd, 0, 0, 4096)), p, 4096); }
CASE(fallocate64) { PWFD; return sized(fd, CALL(fallocate64(fd, 0, 0, 4096)), p, 4096); }

/* posix_fallocate returns the error number and leaves errno alone */
CASE(posix_fallocate)
{
	PWFD;
	int r = CALL(posix_fallocate(fd, 0, 4096));

	if (r > 0)
		st_res.err = r;
	return sized(fd, r ? -1 : 0, p, 4096);
}

CASE(posix_fallocate64)
{
	PWFD;
	int r = CALL(posix_fallocate64(fd, 0, 4096));

	if (r > 0)
		st_res.err = r;
	return sized(fd, r ? -1 : 0, p, 4096);
}

/* ---- the fd table stays true --------------------------------------- */

/*
 * w1: a write on the path (fails only while the rule is armed and the path
 * matches); w2: a write on an fd that must not match (must succeed).
 */
static int table_pair(ssize_t w1, ssize_t w2, const char *what)
{
	if (w1 != (st_expect_fault ? -1 : 1))
		return WRONG("write on the file returned %zd", w1);
	if (w2 != 1)
		return WRONG("write after %s returned %zd (%s)", what, w2,
			     strerror(errno));
	return 0;
}

/*
 * A new fd number from a call the shim does not wrap (memfd_create, or a
 * raw dup3 onto `at`): only a forgotten entry lets it write.
 */
static int unseen_fd(int at)
{
	int m = (int)unseen_syscall(SYS_memfd_create, "st", 0);

	if (at >= 0 && m != at) {
		unseen_syscall(SYS_dup3, m, at, 0);
		unseen_syscall(SYS_close, m);
		m = at;
	}
	return m;
}

CASE(close)
{
	int fd = open(p, O_WRONLY), m;
	ssize_t w1 = write(fd, "x", 1), w2;

	if (CALL(close(fd)) != 0)
		return -1;
	m = unseen_fd(fd);
	w2 = write(m, "x", 1);
	unseen_syscall(SYS_close, m);
	return table_pair(w1, w2, "close");
}

CASE(close_range)
{
	int fd = open(p, O_WRONLY), m;
	ssize_t w1 = write(fd, "x", 1), w2;

	if (CALL(close_range((unsigned)fd, (unsigned)fd, 0)) != 0)
		return -1;
	m = unseen_fd(fd);
	w2 = write(m, "x", 1);
	unseen_syscall(SYS_close, m);
	return table_pair(w1, w2, "close_range");
}

CASE(closefrom)
{
	int fd = open(p, O_WRONLY), m;
	ssize_t w1, w2;

	unseen_syscall(SYS_dup3, fd, 900, 0); /* unseen: resolved lazily */
	close(fd);
	w1 = write(900, "x", 1);
	CALLV(closefrom(900));
	m = unseen_fd(900);
	w2 = write(m, "x", 1);
	unseen_syscall(SYS_close, m);
	return table_pair(w1, w2, "closefrom");
}

/*
 * dups: p.lnk matches by the path it was opened with, not by the file it
 * points to, so only a copied entry (not a lazy resolve of the dup) makes
 * the duplicate fail like the original.
 */
static int dup_pair(int fd, int d)
{
	ssize_t w1 = write(fd, "x", 1), w2;

	if (d < 0)
		return -1;
	w2 = write(d, "x", 1);
	close(fd);
	close(d);
	if (w1 != (st_expect_fault ? -1 : 1))
		return WRONG("write on the file returned %zd", w1);
	if (w2 != w1)
		return WRONG("write on the duplicate returned %zd, the original %zd",
			     w2, w1);
	return 0;
}

#define LFD int fd = open(with(p, ".lnk"), O_WRONLY)

CASE(dup) { LFD; return dup_pair(fd, CALL(dup(fd))); }
CASE(dup2) { LFD; return dup_pair(fd, CALL(dup2(fd, 901))); }
CASE(dup3) { LFD; return dup_pair(fd, CALL(dup3(fd, 902, O_CLOEXEC))); }
CASE(fcntl) { LFD; return dup_pair(fd, CALL(fcntl(fd, F_DUPFD, 903))); }
CASE(fcntl64) { LFD; return dup_pair(fd, CALL(fcntl64(fd, F_DUPFD_CLOEXEC, 904))); }

/* pipe/pipe2 reuse two numbers whose close the shim never saw */
static int pipe_case(const char *p, bool two)
{
	int a = open(p, O_WRONLY), b = open(p, O_WRONLY), fds[2], r;
	ssize_t w1 = write(a, "x", 1), w2;

	write(b, "x", 1);
	unseen_syscall(SYS_close, a);
	unseen_syscall(SYS_close, b);
	r = two ? CALL(pipe2(fds, O_CLOEXEC)) : CALL(pipe(fds));
	if (r != 0)
		return -1;
	if (fds[0] != a || fds[1] != b)
		return WRONG("pipe got %d,%d not %d,%d", fds[0], fds[1], a, b);
	w2 = write(fds[1], "x", 1);
	close(fds[0]);
	close(fds[1]);
	return table_pair(w1, w2, "pipe");
}

CASE(pipe) { return pipe_case(p, false); }
CASE(pipe2) { return pipe_case(p, true); }

/*
 * Calls that return a new fd: the number of a file closed unseen comes
 * back as something else, which a path rule must not touch. Its write
 * (8 bytes, what an eventfd takes) goes through, or fails as the kernel
 * fails it for that kind of fd (EINVAL), never with the rule's ENOSPC.
 */
static int newfd_case(const char *p, int (*make)(void))
{
	int fd = open(p, O_WRONLY), nfd;
	uint64_t one = 1;
	ssize_t w1 = write(fd, "x", 1), w2;

	unseen_syscall(SYS_close, fd);
	nfd = make();
	if (nfd < 0)
		return -1;
	errno = 0;
	w2 = write(nfd, &one, sizeof(one));
	close(nfd);
	if (nfd != fd)
		return WRONG("the new fd is %d, not the closed %d", nfd, fd);
	if (w1 != (st_expect_fault ? -1 : 1))
		return WRONG("write on the file returned %zd", w1);
	if (w2 < 0 && errno == ENOSPC)
		return WRONG("the new fd inherited the file's fault");
	return 0;
}

static int mk_eventfd(void) { return CALL(eventfd(0, 0)); }
static int mk_timerfd(void) { return CALL(timerfd_create(CLOCK_MONOTONIC, 0)); }
static int mk_epoll(void) { return CALL(epoll_create(1)); }
static int mk_epoll1(void) { return CALL(epoll_create1(EPOLL_CLOEXEC)); }
static int mk_inotify(void) { return CALL(inotify_init()); }
static int mk_inotify1(void) { return CALL(inotify_init1(IN_CLOEXEC)); }
static int mk_memfd(void) { return CALL(memfd_create("st", 0)); }
static int mk_pidfd(void) { return CALL(pidfd_open(getpid(), 0)); }

static int mk_signalfd(void)
{
	sigset_t m;

	sigemptyset(&m);
	sigaddset(&m, SIGUSR2);
	return CALL(signalfd(-1, &m, 0));
}

CASE(eventfd) { return newfd_case(p, mk_eventfd); }
CASE(timerfd_create) { return newfd_case(p, mk_timerfd); }
CASE(signalfd) { return newfd_case(p, mk_signalfd); }
CASE(epoll_create) { return newfd_case(p, mk_epoll); }
CASE(epoll_create1) { return newfd_case(p, mk_epoll1); }
CASE(inotify_init) { return newfd_case(p, mk_inotify); }
CASE(inotify_init1) { return newfd_case(p, mk_inotify1); }
CASE(memfd_create) { return newfd_case(p, mk_memfd); }
CASE(pidfd_open) { return newfd_case(p, mk_pidfd); }

/* pidfd_getfd(2): a copy of our own eventfd lands on the file's number */
static int getfd_pidfd = -1, getfd_src = -1;
static int mk_getfd(void) { return CALL(pidfd_getfd(getfd_pidfd, getfd_src, 0)); }

CASE(pidfd_getfd)
{
	getfd_pidfd = pidfd_open(getpid(), 0);
	getfd_src = eventfd(0, 0);
	if (getfd_pidfd < 0 || getfd_src < 0)
		return WRONG("pidfd_open/eventfd: %s", strerror(errno));
	return newfd_case(p, mk_getfd);
}

/*
 * syscall(): a file closed with syscall(SYS_close) (libuv's
 * uv__close_nocancel) is forgotten, so an fd the shim never saw created
 * on its number writes freely.
 */
CASE(syscall)
{
	int fd = open(p, O_WRONLY), m;
	ssize_t w1 = write(fd, "x", 1), w2;

	if (CALL(syscall(SYS_close, fd)) != 0)
		return -1;
	m = unseen_fd(fd);
	w2 = write(m, "x", 1);
	unseen_syscall(SYS_close, m);
	return table_pair(w1, w2, "syscall(SYS_close)");
}

/*
 * prctl(): passed on with its arguments (a name set and read back); the
 * shim only looks out for PR_SET_SECCOMP (test-shim-nolinks)
 */
CASE(prctl)
{
	char name[16] = "";

	(void)p;
	if (CALL(prctl(PR_SET_NAME, (unsigned long)"fr-case", 0ul, 0ul, 0ul)) != 0)
		return -1;
	if (prctl(PR_GET_NAME, (unsigned long)name, 0ul, 0ul, 0ul) != 0 ||
	    strcmp(name, "fr-case") != 0)
		return WRONG("PR_GET_NAME gave '%s'", name);
	return 0;
}

#define WRAP(name, ret, params, args, op, shape, fail, errnos)
#define WRAP_FD(name, ret, params, args, op, shape, fail, errnos)          \
	{ #name, ST_OP_##op, errnos, case_##name },
static const struct st_case cases[] = {
#include "wrapped.def"
};

int main(int argc, char **argv)
{
	st_init(argc, argv);
	umask(022);
	return run_cases("shim-fd", cases, sizeof(cases) / sizeof(cases[0]));
}
