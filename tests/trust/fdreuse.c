/*
 * A program that closes, replaces and receives fds in every way the
 * kernel allows, under a rule `write errno=ENOSPC path=LOGDIR/` + `**`: the
 * fault must land on writes to LOGDIR's files, whatever fd number they
 * have and however they were opened, and on nothing else, whatever fd
 * number a socket, eventfd or pipe reuses.
 *   trust-fdreuse LOGDIR
 * Prints a line per case ("ok - ..." or "not ok - ...") and exits 1 when
 * a case went wrong.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

/*
 * A close no wrapper sees at all, not even syscall(): the instruction
 * itself, as a static binary, Go's runtime or io_uring's IORING_OP_CLOSE
 * would close.
 */
#include "../../harness/fault/raw_syscall.h"

static const char *logdir;
static int failures;
static int seq;

static void report(int ok, const char *what, const char *detail)
{
	printf("%s - %s%s%s\n", ok ? "ok" : "not ok", what, detail ? ": " : "", detail ? detail : "");
	if (!ok)
		failures++;
}

/* open a new log file under LOGDIR, through libc unless raw */
static int open_log(int raw)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/log%d", logdir, seq++);
	if (raw)
		return (int)syscall(SYS_openat, AT_FDCWD, path, O_WRONLY | O_CREAT | O_APPEND, 0600);
	return open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
}

/* a write to a log file must fail with ENOSPC */
static void expect_faulted(int fd, const char *what)
{
	errno = 0;
	ssize_t n = write(fd, "log line\n", 9);
	report(n < 0 && errno == ENOSPC, what, n < 0 ? strerror(errno) : "the write went through");
}

/* a write to anything else must go through */
static void expect_clean(int fd, const void *buf, size_t len, const char *what)
{
	errno = 0;
	ssize_t n = write(fd, buf, len);
	report(n == (ssize_t)len, what, n < 0 ? strerror(errno) : NULL);
}

/*
 * send fd from sv[0] to sv[1] as SCM_RIGHTS; returns the received fd, which
 * takes the lowest free number
 */
static int pass_fd(const int sv[2], int fd)
{
	char c = 'x';
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *cm;
	int got = -1;

	memset(&u, 0, sizeof(u));
	cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	if (sendmsg(sv[0], &m, 0) != 1)
		return -1;
	memset(&u, 0, sizeof(u));
	m.msg_controllen = sizeof(u.buf);
	if (recvmsg(sv[1], &m, 0) == 1 && (cm = CMSG_FIRSTHDR(&m)) && cm->cmsg_type == SCM_RIGHTS)
		memcpy(&got, CMSG_DATA(cm), sizeof(int));
	return got;
}

static void expect_number(int got, int want, const char *what)
{
	if (got != want) {
		char d[64];

		snprintf(d, sizeof(d), "got fd %d, not %d (the case proves nothing)", got, want);
		report(0, what, d);
	}
}

int main(int argc, char **argv)
{
	int fd, other, p[2];
	uint64_t one = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: trust-fdreuse LOGDIR\n");
		return 2;
	}
	logdir = argv[1];
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* 1. syscall(SYS_close) on a log file, its number reused by a socket */
	fd = open_log(0);
	expect_faulted(fd, "a log file is faulted");
	syscall(SYS_close, fd);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, p) < 0)
		return 2;
	expect_number(p[0], fd, "socketpair reuses the closed log's number");
	expect_clean(p[0], "x", 1, "a socket on a log's number after SYS_close is not faulted");
	close(p[0]);
	close(p[1]);

	/* 2. close_range through syscall(), the number reused by an eventfd */
	fd = open_log(0);
	syscall(SYS_close_range, (unsigned)fd, (unsigned)fd, 0u);
	other = eventfd(0, 0);
	expect_number(other, fd, "eventfd reuses the closed log's number");
	expect_clean(other, &one, sizeof(one), "an eventfd on a log's number after SYS_close_range is not faulted");
	close(other);

	/* 3. an fd received through SCM_RIGHTS on a closed log's number */
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 || pipe(p) < 0)
		return 2;
	fd = open_log(0);
	syscall(SYS_close, fd);
	other = pass_fd(sv, p[1]);
	expect_number(other, fd, "SCM_RIGHTS reuses the closed log's number");
	expect_clean(other, "y", 1, "a pipe received by SCM_RIGHTS on a log's number is not faulted");
	close(other);
	close(p[0]);
	close(p[1]);

	/* 3b. the same after a close no wrapper saw, not even syscall() */
	if (pipe(p) < 0)
		return 2;
	fd = open_log(0);
	fr_syscall(SYS_close, fd);
	other = pass_fd(sv, p[1]);
	expect_number(other, fd, "SCM_RIGHTS reuses the number of a log closed unseen");
	expect_clean(other, "y", 1, "a pipe received by SCM_RIGHTS on a log's number closed unseen is not faulted");
	close(other);
	close(p[0]);
	close(p[1]);

	/* 4. a log file received through SCM_RIGHTS on a socket's old number */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, p) < 0)
		return 2;
	fd = open_log(0);
	syscall(SYS_close, p[0]);
	other = pass_fd(sv, fd);
	expect_number(other, p[0], "SCM_RIGHTS reuses the closed socket's number");
	expect_faulted(other, "a log file received by SCM_RIGHTS is faulted");
	close(other);
	close(fd);
	close(p[1]);
	syscall(SYS_close, sv[0]);
	syscall(SYS_close, sv[1]);

	/* 5. a raw openat on a socket's number closed through syscall() */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, p) < 0)
		return 2;
	syscall(SYS_close, p[0]);
	fd = open_log(1);
	expect_number(fd, p[0], "the raw openat reuses the socket's number");
	expect_faulted(fd, "a log file opened by SYS_openat on a socket's old number is faulted");
	close(fd);
	close(p[1]);

	/* 6. syscall(SYS_dup3) of a log file over a socket */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, p) < 0)
		return 2;
	expect_clean(p[0], "z", 1, "a socket is not faulted");
	fd = open_log(0);
	syscall(SYS_dup3, fd, p[0], O_CLOEXEC);
	expect_faulted(p[0], "a log file dup3'd by syscall() over a socket is faulted");
	int q[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, q) < 0)
		return 2;
	syscall(SYS_dup3, q[0], p[0], 0);
	expect_clean(p[0], "z", 1, "a socket dup3'd by syscall() over a log file is not faulted");
	close(fd);
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);

	/* 7. pidfd_getfd: a copy of our own socket lands on a log's number */
#ifdef SYS_pidfd_getfd
	int pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (pidfd >= 0 && socketpair(AF_UNIX, SOCK_STREAM, 0, p) == 0) {
		fd = open_log(0);
		syscall(SYS_close, fd);
		other = (int)syscall(SYS_pidfd_getfd, pidfd, p[0], 0);
		expect_number(other, fd, "pidfd_getfd reuses the closed log's number");
		if (other >= 0)
			expect_clean(other, "w", 1, "a socket from pidfd_getfd on a log's number is not faulted");
		else
			printf("# pidfd_getfd: %s (not checked)\n", strerror(errno));
		close(other);
		close(p[0]);
		close(p[1]);
		close(pidfd);
	}
#endif

	/* 8. errno and results of unrelated syscall() calls are untouched */
	errno = 0;
	long r = syscall(SYS_close, 1000000);
	report(r == -1 && errno == EBADF, "syscall(SYS_close) of a bad fd is EBADF", NULL);
	report(syscall(SYS_getpid) == getpid(), "syscall(SYS_getpid) still answers", NULL);

	return failures ? 1 : 0;
}
