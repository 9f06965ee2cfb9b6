/* Unit tests for the control block: publication, masks, decisions, validation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <faultrun/control.h>

struct fixture {
	char dir[64];
	char path[96];
	struct fr_ctl *c;
};

static int setup_block(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	strcpy(f->dir, "/tmp/fr-test-ctl-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/ctl", f->dir);
	if (fr_ctl_create(f->path, 42, &f->c) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown_block(void **state)
{
	struct fixture *f = *state;
	fr_ctl_close(f->c);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static int add(struct fr_ctl *c, const char *spec, bool armed)
{
	struct fr_rule r;
	char err[128];
	assert_int_equal(fr_spec_parse(spec, &r, fr_ctl_count(c), err, sizeof(err)), 0);
	return fr_ctl_add(c, &r, armed);
}

static void test_masks_follow_arming(void **state)
{
	struct fixture *f = *state;
	int a = add(f->c, "name=a write errno=ENOSPC path=/x/**", false);
	int b = add(f->c, "name=b open errno=EACCES", false);
	assert_int_equal(a, 0);
	assert_int_equal(b, 1);
	assert_int_equal(atomic_load(&f->c->armed_ops), 0);
	uint32_t g = atomic_load(&f->c->generation);
	assert_int_equal(fr_ctl_set_armed(f->c, a, true), 0);
	assert_true(atomic_load(&f->c->generation) != g);
	assert_int_equal(atomic_load(&f->c->armed_ops), FR_OPBIT(FR_OP_WRITE));
	assert_int_equal(atomic_load(&f->c->armed_rules[FR_OP_WRITE]), 1);
	assert_int_equal(fr_ctl_set_armed(f->c, b, true), 0);
	assert_int_equal(atomic_load(&f->c->armed_rules[FR_OP_OPEN]), 2);
	assert_int_equal(fr_ctl_set_armed(f->c, a, false), 0);
	assert_int_equal(atomic_load(&f->c->armed_ops), FR_OPBIT(FR_OP_OPEN));
	assert_int_equal(fr_ctl_find(f->c, "b"), 1);
	assert_int_equal(fr_ctl_find(f->c, "zz"), -ENOENT);
	assert_int_equal(add(f->c, "name=a read errno=EIO", true), -EEXIST);
	assert_int_equal(fr_ctl_set_armed(f->c, 7, true), -ENOENT);
}

static void test_budget_rule_arms_statfs(void **state)
{
	struct fixture *f = *state;
	int i = add(f->c, "name=d write budget=100", true);
	assert_true(atomic_load(&f->c->armed_ops) & FR_OPBIT(FR_OP_STATFS));
	assert_int_equal(fr_ctl_budget_take(f->c, i, 60), 60);
	assert_int_equal(fr_ctl_budget_take(f->c, i, 60), 40);
	assert_int_equal(fr_ctl_budget_take(f->c, i, 60), 0);
	/* re-arming gives a new full budget */
	fr_ctl_set_armed(f->c, i, false);
	fr_ctl_set_armed(f->c, i, true);
	assert_int_equal(fr_ctl_budget_take(f->c, i, 1000), 100);
}

static void test_after_and_times(void **state)
{
	struct fixture *f = *state;
	int i = add(f->c, "name=t write errno=EIO after=2 times=3", true);
	bool got[8];
	for (int k = 0; k < 8; k++)
		got[k] = fr_ctl_fire(f->c, i);
	bool want[8] = { false, false, true, true, true, false, false, false };
	assert_memory_equal(got, want, sizeof(got));
	assert_int_equal(atomic_load(&f->c->slots[i].matched), 8);
	assert_int_equal(atomic_load(&f->c->slots[i].injected), 3);
	assert_true(atomic_load(&f->c->slots[i].first_ns) > 0);
}

/* A fire taken back leaves the counters, and the next turn, as before. */
static void test_unfire(void **state)
{
	struct fixture *f = *state;
	int i = add(f->c, "name=u write errno=EIO times=1", true);
	assert_true(fr_ctl_fire(f->c, i));
	fr_ctl_unfire(f->c, i);
	assert_int_equal(atomic_load(&f->c->slots[i].matched), 0);
	assert_int_equal(atomic_load(&f->c->slots[i].injected), 0);
	assert_int_equal(atomic_load(&f->c->slots[i].first_ns), 0);
	/* times=1 is not spent by the injection taken back */
	assert_true(fr_ctl_fire(f->c, i));
	assert_false(fr_ctl_fire(f->c, i));
	assert_int_equal(atomic_load(&f->c->slots[i].injected), 1);
}

/* mode= is stored with the rule, as every selector */
static void test_open_mode_published(void **state)
{
	struct fixture *f = *state;
	int i = add(f->c, "name=m open errno=EACCES mode=write path=/s/*.json", true);
	assert_int_equal(f->c->slots[i].rule.open_mode, FR_MODE_WRITE);
	assert_int_equal(f->c->version, FR_CTL_VERSION);
}

static void test_probability_is_reproducible(void **state)
{
	struct fixture *f = *state;
	int i = add(f->c, "name=p write errno=EIO probability=0.3", true);
	int j = add(f->c, "name=q write errno=EIO probability=0.3", true);
	int hits = 0;
	bool seq1[200];
	for (int k = 0; k < 200; k++) {
		seq1[k] = fr_ctl_fire(f->c, i);
		hits += seq1[k];
	}
	/* 200 draws at p=0.3: far outside [30, 90] means a broken hash */
	assert_in_range(hits, 30, 90);

	/* a second block with the same seed decides the same way */
	char p2[128];
	struct fr_ctl *c2;
	snprintf(p2, sizeof(p2), "%s/ctl2", f->dir);
	assert_int_equal(fr_ctl_create(p2, 42, &c2), 0);
	add(c2, "name=p write errno=EIO probability=0.3", true);
	for (int k = 0; k < 200; k++)
		assert_int_equal(fr_ctl_fire(c2, 0), seq1[k]);
	fr_ctl_close(c2);
	unlink(p2);
	(void)j;

	/* probability 0 never fires */
	int z = add(f->c, "name=z write errno=EIO probability=0", true);
	for (int k = 0; k < 100; k++)
		assert_false(fr_ctl_fire(f->c, z));
}

static void test_events_ring(void **state)
{
	struct fixture *f = *state;
	int i = add(f->c, "name=e write errno=EIO", true);
	for (int k = 0; k < 300; k++)
		fr_ctl_event(f->c, i, FR_OP_WRITE, EIO, "/x/file");
	assert_int_equal(atomic_load(&f->c->event_head), 300);
	struct fr_ctl_event *e = &f->c->events[299 % FR_CTL_EVENTS];
	assert_int_equal(atomic_load(&e->seq), 300);
	assert_int_equal(e->pid, getpid());
	assert_string_equal(e->where, "/x/file");
	assert_int_equal(e->err, EIO);
}

/* A name fits whole up to size - 1 bytes; past that its end is kept after "...". */
static void test_where_copy(void **state)
{
	char s[300], out[FR_CTL_WHERE_MAX + 1], want[FR_CTL_WHERE_MAX];
	const size_t size = FR_CTL_WHERE_MAX;

	(void)state;
	for (size_t n = size - 2; n <= size + 1; n++) {
		for (size_t k = 0; k < n; k++)
			s[k] = (char)('a' + k % 26);
		s[n] = '\0';
		memset(out, 'Z', sizeof(out));
		if (n < size) {
			assert_int_equal(fr_where_copy(out, size, s), n);
			assert_string_equal(out, s);
		} else {
			memcpy(want, "...", 3);
			memcpy(want + 3, s + n - (size - 4), size - 3);
			assert_int_equal(fr_where_copy(out, size, s), size - 1);
			assert_string_equal(out, want);
		}
		assert_int_equal(out[size], 'Z'); /* nothing past size */
	}
	/* too small to name an end: the start */
	assert_int_equal(fr_where_copy(out, 4, "/a/long/path"), 3);
	assert_string_equal(out, "/a/");
	assert_int_equal(fr_where_copy(out, 1, "x"), 0);
	assert_string_equal(out, "");
}

static void test_attach_checks_the_file(void **state)
{
	struct fixture *f = *state;
	char link[128], bad[128];

	struct fr_ctl *c = fr_ctl_attach(f->path);
	assert_non_null(c);
	fr_ctl_close(c);

	/* through a symlink: refused */
	snprintf(link, sizeof(link), "%s/link", f->dir);
	assert_int_equal(symlink(f->path, link), 0);
	assert_null(fr_ctl_attach(link));
	unlink(link);

	/* readable by others: refused */
	chmod(f->path, 0644);
	assert_null(fr_ctl_attach(f->path));
	chmod(f->path, 0600);

	/* truncated, and corrupted: refused, errno untouched */
	snprintf(bad, sizeof(bad), "%s/bad", f->dir);
	int fd = open(bad, O_CREAT | O_WRONLY, 0600);
	assert_true(write(fd, f->c, 100) == 100);
	close(fd);
	errno = 1234;
	assert_null(fr_ctl_attach(bad));
	assert_int_equal(errno, 1234);
	fd = open(bad, O_WRONLY | O_TRUNC);
	struct fr_ctl *copy = malloc(sizeof(*copy));
	memcpy(copy, f->c, sizeof(*copy));
	copy->version = 99;
	assert_true(write(fd, copy, sizeof(*copy)) == (ssize_t)sizeof(*copy));
	close(fd);
	assert_null(fr_ctl_attach(bad));
	assert_false(fr_ctl_validate(copy, sizeof(*copy)));
	copy->version = FR_CTL_VERSION;
	/* valid contents but a longer file: the size must be exact */
	fd = open(bad, O_WRONLY | O_TRUNC);
	assert_true(write(fd, copy, sizeof(*copy)) == (ssize_t)sizeof(*copy));
	assert_true(write(fd, "x", 1) == 1);
	close(fd);
	assert_null(fr_ctl_attach(bad));
	assert_true(fr_ctl_validate(copy, sizeof(*copy)));
	assert_false(fr_ctl_validate(copy, sizeof(*copy) - 1));
	free(copy);
	unlink(bad);

	/* O_EXCL: a second create at the same path fails */
	struct fr_ctl *dup;
	assert_int_equal(fr_ctl_create(f->path, 1, &dup), -EEXIST);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_masks_follow_arming, setup_block, teardown_block),
		cmocka_unit_test_setup_teardown(test_budget_rule_arms_statfs, setup_block, teardown_block),
		cmocka_unit_test_setup_teardown(test_after_and_times, setup_block, teardown_block),
		cmocka_unit_test_setup_teardown(test_unfire, setup_block, teardown_block),
		cmocka_unit_test_setup_teardown(test_open_mode_published, setup_block, teardown_block),
		cmocka_unit_test_setup_teardown(test_probability_is_reproducible, setup_block, teardown_block),
		cmocka_unit_test_setup_teardown(test_events_ring, setup_block, teardown_block),
		cmocka_unit_test(test_where_copy),
		cmocka_unit_test_setup_teardown(test_attach_checks_the_file, setup_block, teardown_block),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
