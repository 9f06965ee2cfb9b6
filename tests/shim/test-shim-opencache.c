/*
 * An open no rule concerns is passed without deciding, from answers the
 * shim keeps between calls: each published rule's class (path rule, or
 * one that selects every file), the prefix index over the path rules'
 * globs, and whether any side table (stall episodes, limits, rate
 * buckets, held datagrams) ever held state a close must forget. These
 * tests open a file many times while a rule for another tree is armed, so
 * that those answers are made and used, then change the rules (add, arm,
 * disarm, remove) and check that the very next open or read sees the
 * change: no answer outlives the rules it was made from.
 */
#define _GNU_SOURCE
#include "shimtest.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

/* Enough opens to be sure the quiet way was taken, and its answers kept. */
#define MANY 2000

static int setup(void **state)
{
	(void)state;
	st_disarm_all();
	st_mkdir("oc/a");
	st_mkdir("oc/other");
	assert_int_equal(st_write_file(st_path("oc/a/f"), "data"), 0);
	return 0;
}

/* open+close path MANY times; every one must succeed */
static void open_many(const char *path)
{
	for (int i = 0; i < MANY; i++) {
		int fd = open(path, O_RDONLY);

		assert_true(fd >= 0);
		close(fd);
	}
}

/* The errno an open of path fails with, or 0 when it succeeds. */
static int open_err(const char *path)
{
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

/* An open of the path fmt makes fails with err (0: it succeeds). */
__attribute__((format(printf, 2, 3))) static void open_is(int err, const char *fmt, ...)
{
	char p[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p, sizeof(p), fmt, ap);
	va_end(ap);
	assert_int_equal(open_err(p), err);
}

/* a rule added and armed after many quiet opens in that directory */
static void test_add_then_arm(void **state)
{
	const char *f = st_path("oc/a/f");
	int elsewhere = st_rule("open,read errno=EIO path=%D/oc/other/**"), slot;

	(void)state;
	st_arm(elsewhere);
	open_many(f);
	slot = st_rule("open errno=EACCES path=%D/oc/a/**");
	assert_int_equal(open_err(f), 0); /* published, not armed */
	st_arm(slot);
	assert_int_equal(open_err(f), EACCES);
	st_disarm(slot);
	assert_int_equal(open_err(f), 0);
	open_many(f);
	st_arm(slot);
	assert_int_equal(open_err(f), EACCES);
	/* removed: the slot withdrawn while armed */
	assert_int_equal(fr_ctl_remove(st_ctl, (unsigned)slot), 0);
	assert_int_equal(open_err(f), 0);
	open_many(f);
}

/* the first rule published at all, after many opens under none */
static void test_first_path_rule(void **state)
{
	const char *f = st_path("oc/a/f");
	int sock = st_rule("send errno=EPIPE port=9"), slot;

	(void)state;
	st_arm(sock); /* an fd operation armed: every open is recorded */
	open_many(f);
	slot = st_rule("open errno=EROFS path=%D/oc/a/f");
	st_arm(slot);
	assert_int_equal(open_err(f), EROFS);
	st_disarm(slot);
	assert_int_equal(open_err(f), 0);
}

/* a read rule armed later meets fds opened quietly before and after it */
static void test_read_rule_later(void **state)
{
	const char *f = st_path("oc/a/f");
	int elsewhere = st_rule("open,read errno=EIO path=%D/oc/other/**");
	int slot = st_rule("read errno=EAGAIN path=%D/oc/a/*"), before, after;
	char c;

	(void)state;
	st_arm(elsewhere);
	open_many(f);
	before = open(f, O_RDONLY);
	assert_true(before >= 0);
	assert_int_equal(read(before, &c, 1), 1);
	st_arm(slot);
	after = open(f, O_RDONLY);
	assert_true(after >= 0);
	assert_int_equal(read(before, &c, 1), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(read(after, &c, 1), -1);
	assert_int_equal(errno, EAGAIN);
	st_disarm(slot);
	assert_int_equal(read(after, &c, 1), 1);
	close(before);
	close(after);
}

/* a path that only normalising brings under the rule: never passed quietly */
static void test_unclean_path(void **state)
{
	char p[512];
	int slot = st_rule("open errno=ENOSPC path=%D/oc/a/**");

	(void)state;
	snprintf(p, sizeof(p), "%s/oc/other/../a/f", st_dir);
	open_many(st_path("oc/other/../other"));
	st_arm(slot);
	assert_int_equal(open_err(p), ENOSPC);
	open_is(ENOSPC, "%s/oc/other/..//a/./f", st_dir);
	/* a "." or "//" before the rule's tree: "/./D/oc/a/f", "//D/oc/a/f" */
	open_is(ENOSPC, "/.%s/oc/a/f", st_dir);
	open_is(ENOSPC, "/%s/oc/a/f", st_dir);
	/* a ".." past the first 32 bytes (the second block of the scan) */
	open_is(ENOSPC, "%s/oc/other/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx/../../a/f", st_dir);
	open_is(ENOSPC, "/tmp/../%s/oc/a/f", st_dir);
	/* fopen asks the same quick way */
	snprintf(p, sizeof(p), "%s/oc/other/../a/f", st_dir);
	errno = 0;
	assert_null(fopen(p, "r"));
	assert_int_equal(errno, ENOSPC);
	st_disarm(slot);
}

/*
 * Rules for five trees (more than the quick check's four heads: it
 * compares their common bytes) and for four: an open under any of them
 * is decided, and one elsewhere passes many times in between.
 */
static void test_many_heads(void **state)
{
	static const char *const trees[] = { "srv", "var", "data", "home", "opt" };
	const char *f = st_path("oc/a/f");
	char p[512];
	int slot[5], mine;

	(void)state;
	for (int i = 0; i < 5; i++) {
		snprintf(p, sizeof(p), "open errno=EIO path=/nonexistent-%s/**", trees[i]);
		slot[i] = st_rule(p);
		st_arm(slot[i]);
	}
	open_many(f);
	mine = st_rule("open errno=EROFS path=%D/oc/a/**");
	open_many(st_path("oc/other/../other"));
	st_arm(mine);
	assert_int_equal(open_err(f), EROFS);
	open_is(EROFS, "%s/oc/a/../a/f", st_dir);
	for (int i = 0; i < 5; i++) {
		open_is(EIO, "/nonexistent-%s/f", trees[i]);
		open_is(EIO, "%s/../../../../../../../../../../../../../../../../nonexistent-%s/f",
			st_dir, trees[i]);
	}
	st_disarm(mine);
	/* a prefix shorter than eight bytes: st_dir's third byte a wildcard */
	snprintf(p, sizeof(p), "open errno=EISDIR path=%.2s?%s/oc/a/**", st_dir, st_dir + 3);
	mine = st_rule(p);
	open_many(f);
	st_arm(mine);
	assert_int_equal(open_err(f), EISDIR);
	st_disarm(mine);
	assert_int_equal(fr_ctl_remove(st_ctl, (unsigned)slot[4]), 0);
	open_many(f);
	assert_int_equal(open_err("/nonexistent-srv/../nonexistent-opt/f"), ENOENT);
	assert_int_equal(open_err("//nonexistent-data/f"), EIO);
	for (int i = 0; i < 4; i++)
		st_disarm(slot[i]);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_first_path_rule, setup),
		cmocka_unit_test_setup(test_add_then_arm, setup),
		cmocka_unit_test_setup(test_read_rule_later, setup),
		cmocka_unit_test_setup(test_unclean_path, setup),
		cmocka_unit_test_setup(test_many_heads, setup),
	};

	st_init(argc, argv);
	return cmocka_run_group_tests_name("shim-opencache", tests, NULL, NULL);
}
