/*
 * The shim's actions and selectors as a program sees them: short writes,
 * byte budgets (per process, shared by a process tree, through stdio, and
 * the free space statvfs reports), delay, after/times/probability, proc,
 * how fds are matched (lazily for fds the shim never saw opened, by the
 * path they were opened with, relative paths), socket vs file writes, the
 * event ring, and rules armed, added and disarmed while files are open.
 */
#define _GNU_SOURCE
#include "shimtest.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

/*
 * A system call the shim cannot see (the instruction, not libc's
 * syscall(), which the shim wraps): what a static program or io_uring
 * does behind every wrapper.
 */
#include "../fault/raw_syscall.h"
#define unseen_syscall fr_syscall

static char buf4k[4096];

static int wopen(const char *rel)
{
	int fd = open(st_path(rel), O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	return fd;
}

static int setup_dirs(void **state)
{
	(void)state;
	st_disarm_all();
	st_mkdir("act/a");
	st_mkdir("act/b");
	st_mkdir("act/shared");
	st_mkdir("plain");
	return 0;
}

static void test_short_write(void **state)
{
	int slot = st_rule("write short path=%D/act/a/short*");
	int fd = wopen("act/a/short");

	(void)state;
	st_arm(slot);
	errno = 1234;
	assert_int_equal(write(fd, "0123456789", 10), 5);
	assert_int_equal(errno, 1234); /* a short write sets no errno */
	assert_int_equal(write(fd, "x", 1), 1); /* one byte cannot be shorter */
	st_disarm(slot);
	assert_int_equal(write(fd, "0123456789", 10), 10);
	close(fd);
	assert_int_equal(st_file_size(st_path("act/a/short")), 16);
}

static long long avail(const char *rel)
{
	struct statvfs sv;

	assert_int_equal(statvfs(st_path(rel), &sv), 0);
	return (long long)sv.f_bavail * (long long)sv.f_frsize;
}

static void test_budget_write_then_enospc(void **state)
{
	int slot = st_rule("write budget=10000 path=%D/act/budget/**");
	int fd;

	(void)state;
	st_mkdir("act/budget");
	fd = wopen("act/budget/f");
	st_arm(slot);
	assert_true(avail("act/budget") <= 10000);
	assert_true(avail("act/a") > 10000); /* another directory: the real disk */
	assert_int_equal(write(fd, buf4k, 4096), 4096);
	assert_int_equal(write(fd, buf4k, 4096), 4096);
	assert_true(avail("act/budget") <= 10000 - 8192);
	/* the crossing write is short, then the disk is full */
	assert_int_equal(write(fd, buf4k, 4096), 10000 - 8192);
	assert_int_equal(write(fd, buf4k, 4096), -1);
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(avail("act/budget"), 0);
	close(fd);
	assert_int_equal(st_file_size(st_path("act/budget/f")), 10000);
	assert_int_equal(st_injected(slot), 2);
	assert_int_equal(atomic_load(&st_ctl->slots[slot].bytes), 10000);
	/* arming again is a new, empty disk */
	st_disarm(slot);
	st_arm(slot);
	fd = wopen("act/budget/g");
	assert_int_equal(write(fd, buf4k, 4096), 4096);
	close(fd);
	st_disarm(slot);
}

/* A write the kernel refuses gives its budget back. */
static void test_budget_given_back(void **state)
{
	int slot = st_rule("write budget=5000 path=%D/act/budget2/**");
	int fd;

	(void)state;
	st_mkdir("act/budget2");
	st_write_file(st_path("act/budget2/ro"), "x");
	fd = open(st_path("act/budget2/ro"), O_RDONLY);
	st_arm(slot);
	assert_int_equal(write(fd, buf4k, 4096), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(atomic_load(&st_ctl->slots[slot].budget), 5000);
	close(fd);
	st_disarm(slot);
}

/* Four processes share one disk: together they write exactly the budget. */
static void test_budget_shared_by_processes(void **state)
{
	int slot = st_rule("write budget=100000 path=%D/act/shared/**");
	long long total = 0;
	pid_t pids[4];

	(void)state;
	st_arm(slot);
	for (int i = 0; i < 4; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			char rel[32];
			int fd;

			snprintf(rel, sizeof(rel), "act/shared/%d", i);
			fd = wopen(rel);
			/* bounded: with the budget broken, unbounded writers filled
			 * the machine's disk instead of failing the test */
			errno = 0;
			for (int k = 0; k < 1000 && write(fd, buf4k, 1000) > 0; k++)
				;
			_exit(errno == ENOSPC ? 0 : 1);
		}
	}
	for (int i = 0; i < 4; i++) {
		int status;
		char rel[32];

		waitpid(pids[i], &status, 0);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		snprintf(rel, sizeof(rel), "act/shared/%d", i);
		total += st_file_size(st_path(rel));
	}
	assert_int_equal(total, 100000);
	st_disarm(slot);
}

/* Through stdio: the crossing fwrite writes what fits and sets ferror. */
static void test_budget_stdio(void **state)
{
	int slot = st_rule("write budget=100 path=%D/act/b/stdio");
	FILE *f = fopen(st_path("act/b/stdio"), "w");

	(void)state;
	st_arm(slot);
	assert_int_equal(fwrite(buf4k, 1, 64, f), 64);
	assert_false(ferror(f));
	assert_int_equal(fwrite(buf4k, 1, 64, f), 36);
	assert_true(ferror(f));
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(fprintf(f, "more"), -1);
	clearerr(f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(st_file_size(st_path("act/b/stdio")), 100);
	st_disarm(slot);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A lower bound only: the call cannot return before its delay. */
static void test_delay(void **state)
{
	int slot = st_rule("write delay=60ms path=%D/act/a/slow");
	int fd = wopen("act/a/slow");
	uint64_t t0;

	(void)state;
	st_arm(slot);
	t0 = now_ms();
	assert_int_equal(write(fd, "x", 1), 1);
	assert_true(now_ms() - t0 >= 60);
	close(fd);
	st_disarm(slot);
}

static void test_after_and_times(void **state)
{
	int slot = st_rule("write errno=EIO after=2 times=3 path=%D/act/a/at");
	int fd = wopen("act/a/at");
	const int want[8] = { 1, 1, -1, -1, -1, 1, 1, 1 };

	(void)state;
	st_arm(slot);
	for (int i = 0; i < 8; i++) {
		errno = 0;
		assert_int_equal(write(fd, "x", 1), want[i]);
		if (want[i] < 0)
			assert_int_equal(errno, EIO);
	}
	assert_int_equal(st_matched(slot), 8);
	assert_int_equal(st_injected(slot), 3);
	close(fd);
	st_disarm(slot);
}

static int failures(const char *spec, const char *rel, int n)
{
	int slot = st_rule(spec), fd = wopen(rel), fails = 0;

	st_arm(slot);
	for (int i = 0; i < n; i++)
		if (write(fd, "x", 1) < 0)
			fails++;
	st_disarm(slot);
	close(fd);
	return fails;
}

static void test_probability(void **state)
{
	int half;

	(void)state;
	assert_int_equal(failures("write errno=EIO probability=0 path=%D/act/a/p0",
				  "act/a/p0", 200), 0);
	assert_int_equal(failures("write errno=EIO probability=1 path=%D/act/a/p1",
				  "act/a/p1", 200), 200);
	half = failures("write errno=EIO probability=0.5 path=%D/act/a/p5",
			"act/a/p5", 400);
	assert_true(half > 100 && half < 300);
}

static void test_proc_selector(void **state)
{
	(void)state;
	assert_int_equal(failures("write errno=EIO proc=no-such-program path=%D/act/a/pr",
				  "act/a/pr", 5), 0);
	assert_int_equal(failures("write errno=EIO proc=test-shim-act* path=%D/act/a/pr",
				  "act/a/pr", 5), 5);
}

/* An fd opened behind the shim's back (raw syscall) is resolved lazily. */
static void test_unseen_fd_resolved_lazily(void **state)
{
	int slot = st_rule("write errno=EIO path=%D/act/a/raw");
	int fd = (int)unseen_syscall(SYS_openat, AT_FDCWD, st_path("act/a/raw"),
				     O_WRONLY | O_CREAT, 0600);

	(void)state;
	st_arm(slot);
	assert_int_equal(write(fd, "x", 1), -1);
	assert_int_equal(errno, EIO);
	close(fd);
	st_disarm(slot);
}

/* A log file faulted by the rule, then closed where the shim cannot see. */
static int stale_log(void)
{
	int fd = wopen("act/a/stale");

	errno = 0;
	assert_int_equal(write(fd, "x", 1), -1);
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(unseen_syscall(SYS_close, fd), 0);
	return fd;
}

/*
 * Defence in depth: a file closed and its number reused where no wrapper
 * sees either (raw system call instructions) leaves a stale entry. Before
 * the path rule injects, the shim confirms the fd's identity with fstat and
 * finds a socket, an eventfd, a pipe or another file: a path rule never
 * touches a socket, pipe or eventfd, nor a file it does not select.
 */
static void test_stale_entry_confirmed(void **state)
{
	int slot = st_rule("write errno=ENOSPC path=%D/act/a/stale");
	int fd, nfd, sv[2], p[2];
	uint64_t one = 1;

	(void)state;
	st_arm(slot);

	fd = stale_log();
	assert_int_equal(unseen_syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(sv[0], fd);
	assert_int_equal(write(sv[0], "x", 1), 1);
	unseen_syscall(SYS_close, sv[0]);
	unseen_syscall(SYS_close, sv[1]);

	fd = stale_log();
	nfd = (int)unseen_syscall(SYS_eventfd2, 0, 0);
	assert_int_equal(nfd, fd);
	assert_int_equal(write(nfd, &one, sizeof(one)), sizeof(one));
	unseen_syscall(SYS_close, nfd);

	/* a pipe's read end: the kernel's EBADF, not the rule's ENOSPC */
	fd = stale_log();
	assert_int_equal(unseen_syscall(SYS_pipe2, p, 0), 0);
	assert_int_equal(p[0], fd);
	errno = 0;
	assert_int_equal(write(p[0], "x", 1), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(write(p[1], "x", 1), 1);
	unseen_syscall(SYS_close, p[0]);
	unseen_syscall(SYS_close, p[1]);

	fd = stale_log();
	nfd = (int)unseen_syscall(SYS_openat, AT_FDCWD, st_path("act/b/other"),
				  O_WRONLY | O_CREAT, 0600);
	assert_int_equal(nfd, fd);
	assert_int_equal(write(nfd, "x", 1), 1);
	unseen_syscall(SYS_close, nfd);

	/* and the same file reopened unseen is still faulted */
	fd = stale_log();
	nfd = (int)unseen_syscall(SYS_openat, AT_FDCWD, st_path("act/a/stale"),
				  O_WRONLY, 0);
	assert_int_equal(nfd, fd);
	errno = 0;
	assert_int_equal(write(nfd, "x", 1), -1);
	assert_int_equal(errno, ENOSPC);
	unseen_syscall(SYS_close, nfd);
	/* the stale decisions were taken back: only the real faults count */
	assert_int_equal(st_injected(slot), 6);
	assert_int_equal(st_matched(slot), 6);
	st_disarm(slot);
}

/*
 * The same for a socket rule: a connected socket's entry (its peer taken
 * at connect) left behind by a close no wrapper saw is not the unix socket
 * that reuses the number.
 */
static void test_stale_socket_confirmed(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int lfd = socket(AF_INET, SOCK_STREAM, 0), c, sv[2], slot;
	char spec[128];

	(void)state;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &sl), 0);
	snprintf(spec, sizeof(spec), "send errno=ECONNRESET port=%u",
		 ntohs(sa.sin_port));
	slot = st_rule(spec);
	st_arm(slot);
	c = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(c, (struct sockaddr *)&sa, sizeof(sa)), 0);
	errno = 0;
	assert_int_equal(send(c, "x", 1, 0), -1);
	assert_int_equal(errno, ECONNRESET);
	close(c);
	/* closed unseen before any call on it: only connect's record exists */
	c = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(c, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(unseen_syscall(SYS_close, c), 0);
	assert_int_equal(unseen_syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(sv[0], c);
	assert_int_equal(send(sv[0], "x", 1, 0), 1);
	assert_int_equal(st_injected(slot), 1);
	unseen_syscall(SYS_close, sv[0]);
	unseen_syscall(SYS_close, sv[1]);
	close(lfd);
	st_disarm(slot);
}

/*
 * A stall episode belongs to its socket: closed where no wrapper saw, the
 * socket that reuses its number is not held.
 */
static void test_stale_episode_confirmed(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int lfd = socket(AF_INET, SOCK_STREAM, 0), c, sv[2], slot;
	char spec[128], b[4];

	(void)state;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &sl), 0);
	snprintf(spec, sizeof(spec), "recv stall port=%u", ntohs(sa.sin_port));
	slot = st_rule(spec);
	st_arm(slot);
	c = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(c, (struct sockaddr *)&sa, sizeof(sa)), 0);
	errno = 0;
	assert_int_equal(recv(c, b, sizeof(b), MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN); /* held: the episode began */
	assert_int_equal(unseen_syscall(SYS_close, c), 0);
	assert_int_equal(unseen_syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(sv[0], c);
	assert_int_equal(write(sv[1], "ok", 2), 2);
	assert_int_equal(recv(sv[0], b, sizeof(b), MSG_DONTWAIT), 2);
	assert_int_equal(st_injected(slot), 1);
	unseen_syscall(SYS_close, sv[0]);
	unseen_syscall(SYS_close, sv[1]);
	close(lfd);
	st_disarm(slot);
}

/*
 * syscall() keeps the fd table true and nothing else: every call's result
 * and errno are the kernel's, all six arguments arrive, and a write made
 * through it is never faulted, even on a file the armed rule selects.
 */
static void test_syscall_transparent(void **state)
{
	int slot = st_rule("write,open errno=EIO path=%D/act/a/sys*");
	const char *p = st_path("act/a/sys");
	char *m;
	long fd;

	(void)state;
	st_arm(slot);
	errno = 0;
	assert_int_equal(syscall(SYS_close, -1), -1);
	assert_int_equal(errno, EBADF);
	errno = 0;
	assert_int_equal(syscall(SYS_openat, AT_FDCWD, st_path("act/a/nope/x"),
				 O_RDONLY, 0), -1);
	assert_int_equal(errno, ENOENT);
	errno = 1234;
	assert_int_equal(syscall(SYS_getpid), getpid());
	assert_int_equal(errno, 1234);
	/* six arguments: mmap(addr, len, prot, flags, fd, off) */
	m = (char *)syscall(SYS_mmap, NULL, 4096L, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1L, 0L);
	assert_true(m != MAP_FAILED);
	m[0] = 'x';
	assert_int_equal(syscall(SYS_munmap, m, 4096L), 0);
	assert_int_equal(errno, 1234);
	/* no injection through syscall(): the open and the write go through */
	fd = syscall(SYS_openat, AT_FDCWD, p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(syscall(SYS_write, fd, "abc", 3L), 3);
	/* but the open was recorded: write() on the fd is faulted */
	errno = 0;
	assert_int_equal(write((int)fd, "x", 1), -1);
	assert_int_equal(errno, EIO);
	assert_int_equal(syscall(SYS_close, fd), 0);
	assert_int_equal(st_injected(slot), 1);
	st_disarm(slot);
}

/* Whether an open of path with flags failed with EACCES (closing it if not). */
static bool open_refused(const char *path, int flags)
{
	int fd;

	errno = 0;
	fd = open(path, flags, 0600);
	if (fd >= 0) {
		close(fd);
		return false;
	}
	assert_int_equal(errno, EACCES);
	return true;
}

static bool fopen_refused(const char *path, const char *mode)
{
	FILE *f;

	errno = 0;
	f = fopen(path, mode);
	if (f) {
		fclose(f);
		return false;
	}
	assert_int_equal(errno, EACCES);
	return true;
}

/*
 * mode=write: an unwritable state file, which the program can still read;
 * mode=read the opposite.
 */
static void test_open_mode(void **state)
{
	int wr = st_rule("open errno=EACCES mode=write path=%D/act/a/state.json");
	int rd = st_rule("open errno=EACCES mode=read path=%D/act/a/state.json");
	const char *p = st_path("act/a/state.json");

	(void)state;
	assert_int_equal(st_write_file(p, "{}\n"), 0);
	st_arm(wr);
	assert_false(open_refused(p, O_RDONLY));
	assert_false(fopen_refused(p, "r"));
	assert_false(fopen_refused(p, "re"));
	assert_true(open_refused(p, O_WRONLY));
	assert_true(open_refused(p, O_RDWR));
	assert_true(open_refused(p, O_RDONLY | O_TRUNC));
	assert_true(open_refused(p, O_RDONLY | O_CREAT));
	assert_true(fopen_refused(p, "r+"));
	assert_true(fopen_refused(p, "w"));
	assert_true(fopen_refused(p, "a"));
	errno = 0;
	assert_int_equal(creat(p, 0600), -1);
	assert_int_equal(errno, EACCES);
	assert_int_equal(st_injected(wr), 8);
	st_disarm(wr);

	st_arm(rd);
	assert_true(open_refused(p, O_RDONLY));
	assert_true(fopen_refused(p, "r"));
	assert_false(open_refused(p, O_WRONLY));
	assert_false(open_refused(p, O_RDONLY | O_CREAT));
	assert_false(fopen_refused(p, "r+"));
	assert_false(fopen_refused(p, "a"));
	st_disarm(rd);
	assert_false(open_refused(p, O_RDONLY));
}

/* A shell's stdout redirected to a file is an inherited, unseen fd. */
static void test_inherited_stdout(void **state)
{
	int slot = st_rule("write errno=ENOSPC path=%D/act/a/out");
	char *const argv[] = { "/bin/sh", "-c", "echo hello", NULL };
	int status;

	(void)state;
	st_arm(slot);
	status = st_run(argv, NULL, st_path("act/a/out"));
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) != 0);
	assert_int_equal(st_file_size(st_path("act/a/out")), 0);
	st_disarm(slot);
	status = st_run(argv, NULL, st_path("act/a/out"));
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(st_file_size(st_path("act/a/out")), 6);
}

/* Opened through a symlink: the path the program named matches. */
static void test_path_as_opened(void **state)
{
	int slot = st_rule("write errno=EIO path=%D/act/a/link");
	int fd;

	(void)state;
	st_write_file(st_path("plain/target"), "");
	unlink(st_path("act/a/link"));
	assert_int_equal(symlink(st_path("plain/target"), st_path("act/a/link")), 0);
	st_arm(slot);
	fd = open(st_path("act/a/link"), O_WRONLY);
	assert_int_equal(write(fd, "x", 1), -1);
	close(fd);
	/* the target itself, opened by its own name, does not match */
	fd = open(st_path("plain/target"), O_WRONLY);
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
	st_disarm(slot);
}

/* Relative paths and ".." are made absolute before matching. */
static void test_relative_paths(void **state)
{
	int slot = st_rule("open errno=EACCES path=%D/act/b/rel");
	char cwd[PATH_MAX];

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(st_path("act/a")), 0);
	st_arm(slot);
	assert_int_equal(open("../b/./rel", O_WRONLY | O_CREAT, 0600), -1);
	assert_int_equal(errno, EACCES);
	assert_int_equal(openat(AT_FDCWD, "..//b/rel", O_RDONLY), -1);
	assert_int_equal(chdir(cwd), 0);
	st_disarm(slot);
}

/* A write rule is about files: a socket write is `send`, a pipe matches a pathless rule. */
static void test_socket_is_send(void **state)
{
	int slot = st_rule("write errno=EIO proc=test-shim-actions");
	int sv[2], pp[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(pipe(pp), 0);
	st_arm(slot);
	assert_int_equal(write(sv[0], "x", 1), 1);
	assert_int_equal(write(pp[1], "x", 1), -1);
	st_disarm(slot);
	close(sv[0]);
	close(sv[1]);
	close(pp[0]);
	close(pp[1]);
}

/* A file opened before its rule existed obeys the rule once armed. */
static void test_rule_added_later(void **state)
{
	int fd = wopen("act/b/later"), slot;

	(void)state;
	assert_int_equal(write(fd, "x", 1), 1);
	slot = st_rule("write errno=EFBIG path=%D/act/b/later");
	st_arm(slot);
	assert_int_equal(write(fd, "x", 1), -1);
	assert_int_equal(errno, EFBIG);
	st_disarm(slot);
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
}

static void test_event_ring(void **state)
{
	int slot = st_rule("write errno=EDQUOT path=%D/act/b/ev");
	int fd = wopen("act/b/ev");
	uint64_t head = atomic_load(&st_ctl->event_head);
	struct fr_ctl_event *e;

	(void)state;
	st_arm(slot);
	assert_int_equal(write(fd, "x", 1), -1);
	assert_int_equal(atomic_load(&st_ctl->event_head), head + 1);
	e = &st_ctl->events[head % FR_CTL_EVENTS];
	assert_int_equal(atomic_load(&e->seq), head + 1);
	assert_int_equal(e->pid, getpid());
	assert_int_equal(e->rule, slot);
	assert_int_equal(e->op, FR_OP_WRITE);
	assert_int_equal(e->err, EDQUOT);
	assert_string_equal(e->where, st_path("act/b/ev"));
	close(fd);
	st_disarm(slot);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_short_write, setup_dirs),
		cmocka_unit_test_setup(test_budget_write_then_enospc, setup_dirs),
		cmocka_unit_test_setup(test_budget_given_back, setup_dirs),
		cmocka_unit_test_setup(test_budget_shared_by_processes, setup_dirs),
		cmocka_unit_test_setup(test_budget_stdio, setup_dirs),
		cmocka_unit_test_setup(test_delay, setup_dirs),
		cmocka_unit_test_setup(test_after_and_times, setup_dirs),
		cmocka_unit_test_setup(test_probability, setup_dirs),
		cmocka_unit_test_setup(test_proc_selector, setup_dirs),
		cmocka_unit_test_setup(test_unseen_fd_resolved_lazily, setup_dirs),
		cmocka_unit_test_setup(test_stale_entry_confirmed, setup_dirs),
		cmocka_unit_test_setup(test_stale_socket_confirmed, setup_dirs),
		cmocka_unit_test_setup(test_stale_episode_confirmed, setup_dirs),
		cmocka_unit_test_setup(test_open_mode, setup_dirs),
		cmocka_unit_test_setup(test_syscall_transparent, setup_dirs),
		cmocka_unit_test_setup(test_inherited_stdout, setup_dirs),
		cmocka_unit_test_setup(test_path_as_opened, setup_dirs),
		cmocka_unit_test_setup(test_relative_paths, setup_dirs),
		cmocka_unit_test_setup(test_socket_is_send, setup_dirs),
		cmocka_unit_test_setup(test_rule_added_later, setup_dirs),
		cmocka_unit_test_setup(test_event_ring, setup_dirs),
	};

	st_init(argc, argv);
	return cmocka_run_group_tests_name("shim-actions", tests, NULL, NULL);
}
