/*
 * The disk fault in the shim: a file system of a given size over a tree
 * (docs/faults.md, "disk"). Each case arms a fresh 64 KiB disk (4 KiB
 * blocks) over its own directory and checks, call by call, what a full
 * tmpfs answers (tests/disk/measured.txt): the blocks a write adds are
 * charged, overwrites are free, a crossing write is short then ENOSPC,
 * truncate/unlink/rename over free, an unlinked file still open keeps its
 * blocks, statvfs reports the disk, holes take space only when written; that the accounting is exact with
 * two processes and several threads appending to one file at once; and
 * that stdio streams are charged when libc writes their buffers (fflush,
 * a full buffer, fclose, exit) and fail there, and fopen "w" frees.
 */
#define _GNU_SOURCE
#include "shimtest.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#define KIB 1024L
#define BLK (4 * KIB)

static char buf[64 * KIB];
static int slot = -1;
static char dir[64];

/* A fresh disk of `free` bytes over a fresh directory "dN" (N counts cases). */
static void disk(const char *extra)
{
	static int n;
	char spec[512];

	if (slot >= 0)
		st_disarm(slot);
	snprintf(dir, sizeof(dir), "d%d", ++n);
	st_mkdir(dir);
	snprintf(spec, sizeof(spec), "name=disk%d disk %s path=%%D/%s/**", n,
		 extra ? extra : "free=64KiB", dir);
	slot = st_rule(spec);
	st_arm(slot);
}

static const char *f(const char *name)
{
	static char p[8][300];
	static int k;
	char rel[128];

	snprintf(rel, sizeof(rel), "%s/%s", dir, name);
	k = (k + 1) % 8;
	snprintf(p[k], sizeof(p[k]), "%s", st_path(rel));
	return p[k];
}

static long avail(void)
{
	struct statvfs s;

	assert_int_equal(statvfs(f(""), &s), 0);
	return (long)(s.f_bavail * s.f_frsize);
}

static int wopen(const char *name, int flags)
{
	int fd = open(f(name), O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0644);

	assert_true(fd >= 0);
	return fd;
}

/* write n bytes; the result, errno in *err */
static long w(int fd, long n, int *err)
{
	long r;

	errno = 0;
	r = write(fd, buf, (size_t)n);
	*err = errno;
	return r;
}

static void test_append_short_then_enospc(void **state)
{
	int fd, err;

	(void)state;
	disk(NULL);
	fd = wopen("log", O_APPEND);
	for (int i = 0; i < 65; i++)
		assert_int_equal(w(fd, 1000, &err), 1000);
	/* 65000 bytes in 16 blocks: 536 more fit, then nothing */
	assert_int_equal(w(fd, 1000, &err), 536);
	assert_int_equal(w(fd, 1000, &err), -1);
	assert_int_equal(err, ENOSPC);
	assert_int_equal(avail(), 0);
	assert_true(st_injected(slot) >= 2);
	close(fd);
}

static void test_overwrite_is_free(void **state)
{
	int fd, err;

	(void)state;
	disk(NULL);
	fd = wopen("db", 0);
	assert_int_equal(w(fd, 64 * KIB, &err), 64 * KIB);
	assert_int_equal(avail(), 0);
	/* rewriting pages in place costs nothing, as sqlite does */
	for (int i = 0; i < 16; i++)
		assert_int_equal(pwrite(fd, buf, BLK, i * BLK), BLK);
	assert_int_equal(pwrite(fd, buf, 10, 64 * KIB), -1);
	assert_int_equal(errno, ENOSPC);
	close(fd);
}

static void test_truncate_frees(void **state)
{
	int fd, err;

	(void)state;
	disk(NULL);
	fd = wopen("t", 0);
	assert_int_equal(w(fd, 64 * KIB, &err), 64 * KIB);
	assert_int_equal(ftruncate(fd, 10 * KIB), 0);
	assert_int_equal(avail(), 52 * KIB); /* 10 KiB hold 3 blocks */
	/* up: sparse, takes nothing (tmpfs) */
	assert_int_equal(ftruncate(fd, 1024 * KIB), 0);
	assert_int_equal(avail(), 52 * KIB);
	assert_int_equal(truncate(f("t"), 0), 0);
	assert_int_equal(avail(), 64 * KIB);
	close(fd);
	/* O_TRUNC frees too */
	fd = wopen("t2", 0);
	assert_int_equal(w(fd, 8 * KIB, &err), 8 * KIB);
	close(fd);
	assert_int_equal(avail(), 56 * KIB);
	close(wopen("t2", O_TRUNC));
	assert_int_equal(avail(), 64 * KIB);
}

static void test_fallocate_all_or_nothing(void **state)
{
	int fd;

	(void)state;
	disk(NULL);
	fd = wopen("a", 0);
	assert_int_equal(fallocate(fd, 0, 0, 60 * KIB), 0);
	assert_int_equal(avail(), 4 * KIB);
	assert_int_equal(fallocate(fd, 0, 60 * KIB, 8 * KIB), -1);
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(posix_fallocate(fd, 60 * KIB, 8 * KIB), ENOSPC);
	assert_int_equal(avail(), 4 * KIB);
	assert_int_equal(posix_fallocate(fd, 60 * KIB, 4 * KIB), 0);
	assert_int_equal(avail(), 0);
	close(fd);
}

static void test_unlink_frees_when_closed(void **state)
{
	int fd, rd, err;

	(void)state;
	disk(NULL);
	fd = wopen("u", 0);
	assert_int_equal(w(fd, 32 * KIB, &err), 32 * KIB);
	close(fd);
	rd = open(f("u"), O_RDONLY | O_CLOEXEC);
	assert_int_equal(unlink(f("u")), 0);
	/* still open: its blocks are still used */
	assert_int_equal(avail(), 32 * KIB);
	close(rd);
	assert_int_equal(avail(), 64 * KIB);
	/* a file with a second link keeps its blocks */
	fd = wopen("v", 0);
	assert_int_equal(w(fd, 16 * KIB, &err), 16 * KIB);
	close(fd);
	assert_int_equal(link(f("v"), f("v2")), 0);
	assert_int_equal(unlink(f("v")), 0);
	assert_int_equal(avail(), 48 * KIB);
	assert_int_equal(unlink(f("v2")), 0);
	assert_int_equal(avail(), 64 * KIB);
}

static void test_rename_over_frees(void **state)
{
	int fd, err;

	(void)state;
	disk(NULL);
	fd = wopen("old", 0);
	assert_int_equal(w(fd, 20 * KIB, &err), 20 * KIB);
	close(fd);
	fd = wopen("new.tmp", 0);
	assert_int_equal(w(fd, 8 * KIB, &err), 8 * KIB);
	close(fd);
	assert_int_equal(avail(), 36 * KIB);
	assert_int_equal(rename(f("new.tmp"), f("old")), 0);
	assert_int_equal(avail(), 56 * KIB);
}

static void test_creation_at_zero_free(void **state)
{
	int fd, err;
	char target[200];

	(void)state;
	disk("free=0");
	/* tmpfs at 0 bytes free: new entries are fine, data is not */
	fd = wopen("new", 0);
	assert_int_equal(w(fd, 1, &err), -1);
	assert_int_equal(err, ENOSPC);
	close(fd);
	assert_int_equal(mkdir(f("sub"), 0755), 0);
	assert_int_equal(symlink("new", f("short")), 0);
	memset(target, 'a', sizeof(target) - 1);
	target[sizeof(target) - 1] = '\0';
	assert_int_equal(symlink(target, f("long")), -1);
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(rename(f("new"), f("new2")), 0);
}

static void test_existing_files_count(void **state)
{
	int fd;

	(void)state;
	/* 10 KiB already there: 3 blocks used before the disk is armed */
	if (slot >= 0)
		st_disarm(slot);
	slot = -1;
	st_mkdir("pre");
	fd = open(st_path("pre/old.log"), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_int_equal(write(fd, buf, 10 * KIB), 10 * KIB);
	close(fd);
	slot = st_rule("name=pre disk size=64KiB path=%D/pre/**");
	st_arm(slot);
	snprintf(dir, sizeof(dir), "pre");
	assert_int_equal(avail(), 52 * KIB);
	/* deleting it frees what it held */
	assert_int_equal(unlink(f("old.log")), 0);
	assert_int_equal(avail(), 64 * KIB);
	/* a timeline's "free: +1MiB" */
	assert_int_equal(fr_disk_set_free(st_ctl, (unsigned)slot, 1024 * KIB, false), 0);
	assert_int_equal(avail(), (64 + 1024) * KIB);
}

/* Appenders in two processes and two threads each: every byte charged once. */
static void *appender(void *arg)
{
	int fd = *(int *)arg;

	for (int i = 0; i < 200; i++)
		if (write(fd, buf, 100) != 100)
			break;
	return NULL;
}

static void test_concurrent_appends_exact(void **state)
{
	struct stat st;
	pid_t pid;
	int fd, status;

	(void)state;
	disk("free=1MiB");
	fd = wopen("shared", O_APPEND);
	pid = fork();
	assert_true(pid >= 0);
	{
		pthread_t t[2];

		for (int i = 0; i < 2; i++)
			pthread_create(&t[i], NULL, appender, &fd);
		for (int i = 0; i < 2; i++)
			pthread_join(t[i], NULL);
	}
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, 4 * 200 * 100);
	/* 80000 bytes hold 20 blocks: no more, no less */
	assert_int_equal(avail(), 1024 * KIB - 20 * BLK);
	close(fd);
}

/*
 * Holes: a write past the end takes the blocks it touches, not the ones
 * it skips; a later write into the hole takes its block then, as on
 * tmpfs. More holes than an entry has ranges for: the blocks between the
 * closest two count as held, never charged, so freeing the file gives
 * back exactly what it took.
 */
static void test_holes(void **state)
{
	int fd;

	(void)state;
	disk(NULL);
	fd = wopen("sparse", 0);
	assert_int_equal(pwrite(fd, buf, 100, 40000), 100);
	assert_int_equal(avail(), 60 * KIB);
	assert_int_equal(pwrite(fd, buf, 100, 0), 100);
	assert_int_equal(avail(), 56 * KIB);
	assert_int_equal(pwrite(fd, buf, 100, 8192), 100);
	assert_int_equal(avail(), 52 * KIB);
	/* allocated past the end, then all of it: only what is missing */
	assert_int_equal(fallocate(fd, FALLOC_FL_KEEP_SIZE, 48 * KIB, 4 * KIB), 0);
	assert_int_equal(avail(), 48 * KIB);
	assert_int_equal(posix_fallocate(fd, 0, 68 * KIB), ENOSPC);
	assert_int_equal(avail(), 48 * KIB);
	assert_int_equal(ftruncate(fd, 20000), 0);
	assert_int_equal(avail(), 56 * KIB);
	close(fd);
	assert_int_equal(unlink(f("sparse")), 0);
	assert_int_equal(avail(), 64 * KIB);
	/* six separate blocks */
	fd = wopen("dots", 0);
	for (int i = 0; i < 6; i++)
		assert_int_equal(pwrite(fd, buf, 1, i * 2 * BLK), 1);
	assert_int_equal(avail(), 40 * KIB);
	close(fd);
	assert_int_equal(unlink(f("dots")), 0);
	assert_int_equal(avail(), 64 * KIB);
}

/*
 * stdio: a stream's bytes are charged when libc writes them, and fail
 * there, as on a full tmpfs (tests/disk/test-disk-diff.sh "stdio"): an
 * fprintf into the buffer succeeds, its fflush is short then fails.
 */
static void test_stdio_fails_at_flush(void **state)
{
	FILE *s;
	int fails = 0;

	(void)state;
	disk(NULL);
	s = fopen(f("log"), "a");
	assert_non_null(s);
	for (int i = 0; i < 70; i++) {
		assert_int_equal(fprintf(s, "%.*s\n", 999, buf), 1000);
		if (fflush(s) != 0) {
			assert_int_equal(errno, ENOSPC);
			assert_true(ferror(s));
			clearerr(s);
			fails++;
		}
	}
	/* 65 lines fit, the 66th in part (its flush fails), then none */
	assert_int_equal(fails, 5);
	assert_int_equal(fclose(s), 0);
	assert_int_equal(st_file_size(f("log")), 64 * KIB);
	assert_int_equal(avail(), 0);
	assert_true(st_injected(slot) >= 5);
}

/* A fully buffered stream writes when its buffer overflows: that call fails. */
static void test_stdio_fails_when_buffer_fills(void **state)
{
	FILE *s;
	size_t r;
	int i;

	(void)state;
	disk(NULL);
	s = fopen(f("b"), "w");
	assert_non_null(s);
	setvbuf(s, NULL, _IOFBF, BLK);
	/* libc writes whole buffers: the 17th (from 64 KiB on) does not fit */
	for (i = 0; i < 100 && (r = fwrite(buf, 1, 1000, s)) == 1000; i++)
		;
	assert_int_equal(i, 69);
	/* 69000 bytes handed: 632 more fill the buffer, whose write fails */
	assert_int_equal(r, 632);
	assert_int_equal(errno, ENOSPC);
	assert_true(ferror(s));
	assert_int_equal(st_file_size(f("b")), 64 * KIB);
	/* the buffer was dropped with the failed write: nothing left to fail */
	assert_int_equal(fclose(s), 0);
	assert_int_equal(st_file_size(f("b")), 64 * KIB);
}

/* fopen "w" truncates: it frees the file's blocks as open(O_TRUNC) does. */
static void test_fopen_w_frees(void **state)
{
	FILE *s;
	int fd, err;

	(void)state;
	disk(NULL);
	fd = wopen("t", 0);
	assert_int_equal(w(fd, 32 * KIB, &err), 32 * KIB);
	close(fd);
	assert_int_equal(avail(), 32 * KIB);
	s = fopen(f("t"), "w");
	assert_non_null(s);
	assert_int_equal(avail(), 64 * KIB);
	assert_int_equal(fclose(s), 0);
}

/*
 * exit() flushes what streams still hold through libc itself: the shim
 * charges it first, or drops it when it does not fit, as the real flush
 * would (and as there, the program never hears of it).
 */
static void exit_writer(const char *name, long n)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		FILE *s = fopen(f(name), "w");

		setvbuf(s, NULL, _IOFBF, BLK);
		fwrite(buf, 1, (size_t)n, s);
		exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_stdio_exit_flush(void **state)
{
	(void)state;
	disk("free=8KiB");
	/* 3000 bytes stay in the buffer until exit: charged then */
	exit_writer("a", 3000);
	assert_int_equal(st_file_size(f("a")), 3000);
	assert_int_equal(avail(), 4 * KIB);
	/* 6000 bytes: a block written directly, 1904 left for exit, which do not fit */
	exit_writer("b", 6000);
	assert_int_equal(st_file_size(f("b")), 4 * KIB);
	assert_int_equal(avail(), 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_short_then_enospc),
		cmocka_unit_test(test_overwrite_is_free),
		cmocka_unit_test(test_truncate_frees),
		cmocka_unit_test(test_fallocate_all_or_nothing),
		cmocka_unit_test(test_unlink_frees_when_closed),
		cmocka_unit_test(test_rename_over_frees),
		cmocka_unit_test(test_creation_at_zero_free),
		cmocka_unit_test(test_existing_files_count),
		cmocka_unit_test(test_concurrent_appends_exact),
		cmocka_unit_test(test_holes),
		cmocka_unit_test(test_stdio_fails_at_flush),
		cmocka_unit_test(test_stdio_fails_when_buffer_fills),
		cmocka_unit_test(test_fopen_w_frees),
		cmocka_unit_test(test_stdio_exit_flush),
	};

	st_init(argc, argv);
	memset(buf, 'x', sizeof(buf));
	return cmocka_run_group_tests_name("shim-disk", tests, NULL, NULL);
}
