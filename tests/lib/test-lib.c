/*
 * libfaultrun against a live run: `faultrun exec --paused` over a python3
 * program that appends to two files every 50 ms and says how each write
 * went ("ok1", "fail1 28"...). The test attaches by pid (faultrun's and
 * the program's), by directory and from FAULTRUN_CTL, arms, disarms, adds
 * and removes rules, and sees each change in the program's output and in
 * the counters. Linked against the built libfaultrun.so, through its
 * public header only.
 */
#define _GNU_SOURCE
#include <faultrun/faultrun.h>

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

static char dir[PATH_MAX - 64]; /* room for "/stop" and the like */
static pid_t exec_pid;

static const char writer[] =
	"import os, sys, time\n"
	"d = sys.argv[1]\n"
	"end = time.monotonic() + 60\n"
	"while not os.path.exists(d + '/stop') and time.monotonic() < end:\n"
	"    for k in ('1', '2'):\n"
	"        try:\n"
	"            with open(d + '/log' + k, 'a') as f:\n"
	"                f.write('x\\n')\n"
	"            print('ok' + k, flush=True)\n"
	"        except OSError as e:\n"
	"            print('fail%s %d' % (k, e.errno), flush=True)\n"
	"    time.sleep(0.05)\n";

static void path_in(char *out, const char *name)
{
	snprintf(out, PATH_MAX, "%.*s/%s", (int)sizeof(dir), dir, name);
}

/* Lines of the program's output that start with word. */
static int count_out(const char *word)
{
	char p[PATH_MAX], line[256];
	FILE *f;
	int n = 0;

	path_in(p, "out");
	f = fopen(p, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		n += strncmp(line, word, strlen(word)) == 0;
	fclose(f);
	return n;
}

static void nap(void)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

/* Wait (at most 10 s) until the output has more than `than` lines starting with word. */
static int wait_out(const char *word, int than)
{
	for (int i = 0; i < 200; i++) {
		if (count_out(word) > than)
			return 1;
		nap();
	}
	return 0;
}

static int start_run(void **state)
{
	char out[PATH_MAX], spec[PATH_MAX + 64];
	const char *faultrun = getenv("FAULTRUN");
	struct fr_run *run = NULL;

	snprintf(dir, sizeof(dir), "%s/faultrun-lib-XXXXXX", getenv("TMPDIR") ?: "/tmp");
	if (!faultrun || !mkdtemp(dir))
		return -1;
	path_in(out, "out");
	snprintf(spec, sizeof(spec), "name=disk write errno=ENOSPC path=%s/log1", dir);
	exec_pid = fork();
	if (exec_pid == 0) {
		if (!freopen(out, "w", stdout))
			_exit(127);
		execl(faultrun, "faultrun", "exec", "-q", "--paused", "--may-not-fire", "-f", spec,
		      "--", "python3", "-c", writer, dir, (char *)NULL);
		_exit(127);
	}
	/* the run is ready once its program wrote (and the block exists) */
	if (!wait_out("ok1", 0))
		return -1;
	for (int i = 0; i < 200 && fr_run_attach_pid(exec_pid, &run) < 0; i++)
		nap();
	fr_run_detach(run);
	return run ? 0 : -1;
}

static int stop_run(void **state)
{
	char stop[PATH_MAX], cmd[PATH_MAX + 16];
	int st;

	path_in(stop, "stop");
	fclose(fopen(stop, "w"));
	for (int i = 0; exec_pid > 0 && i < 200; i++) {
		if (waitpid(exec_pid, &st, WNOHANG) == exec_pid) {
			exec_pid = 0;
			break;
		}
		nap();
	}
	if (exec_pid > 0) {
		kill(exec_pid, SIGKILL);
		waitpid(exec_pid, &st, 0);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct fr_run *attach(void)
{
	struct fr_run *run = NULL;

	assert_int_equal(fr_run_attach_pid(exec_pid, &run), 0);
	assert_non_null(run);
	return run;
}

static void test_attach_pid_lists_the_rule(void **state)
{
	struct fr_run *run = attach();
	struct fr_run_rule r[4];

	assert_int_equal(fr_run_rules(run, NULL, 0), 1);
	assert_int_equal(fr_run_rules(run, r, 4), 1);
	assert_string_equal(r[0].name, "disk");
	assert_non_null(strstr(r[0].spec, "write errno=ENOSPC path="));
	assert_int_equal(r[0].armed, 0);
	assert_int_equal(r[0].injected, 0);
	assert_non_null(strstr(fr_run_path(run), "/ctl"));
	fr_run_detach(run);
}

/* the program's own pid: found through its FAULTRUN_CTL */
static void test_attach_target_pid_dir_env(void **state)
{
	char p[64], kids[64], path[PATH_MAX], *d;
	struct fr_run *a = attach(), *b = NULL;
	FILE *f;
	int child = 0;

	snprintf(p, sizeof(p), "/proc/%d/task/%d/children", exec_pid, exec_pid);
	f = fopen(p, "r");
	assert_non_null(f);
	assert_non_null(fgets(kids, sizeof(kids), f));
	fclose(f);
	child = atoi(kids);
	assert_true(child > 0);
	assert_int_equal(fr_run_attach_pid(child, &b), 0);
	assert_string_equal(fr_run_path(a), fr_run_path(b));
	assert_int_equal(fr_run_seed(a), fr_run_seed(b));
	fr_run_detach(b);

	snprintf(path, sizeof(path), "%s", fr_run_path(a));
	d = dirname(path);
	assert_int_equal(fr_run_attach_dir(d, &b), 0);
	assert_string_equal(fr_run_path(a), fr_run_path(b));
	fr_run_detach(b);

	setenv("FAULTRUN_CTL", fr_run_path(a), 1);
	assert_int_equal(fr_run_attach_env(&b), 0);
	assert_int_equal(fr_run_rules(b, NULL, 0), 1);
	fr_run_detach(b);
	unsetenv("FAULTRUN_CTL");
	assert_int_equal(fr_run_attach_env(&b), -ENOENT);
	fr_run_detach(a);
}

static void test_arm_fails_the_write_disarm_restores(void **state)
{
	struct fr_run *run = attach();
	struct fr_run_rule r;
	int fails;

	assert_int_equal(fr_run_arm(run, "di*"), 1);
	assert_true(wait_out("fail1 28", 0)); /* ENOSPC */
	assert_int_equal(fr_run_rule(run, "disk", &r), 0);
	assert_int_equal(r.armed, 1);
	assert_true(r.injected > 0);
	assert_true(r.matched >= r.injected);

	assert_int_equal(fr_run_disarm(run, "disk"), 1);
	fails = count_out("fail1");
	/* a write in flight may still fail once; then they pass */
	assert_true(wait_out("ok1", count_out("ok1") + 1));
	assert_true(count_out("fail1") <= fails + 1);
	assert_int_equal(fr_run_rule(run, "disk", &r), 0);
	assert_int_equal(r.armed, 0);
	fr_run_detach(run);
}

static void test_add_paused_arm_remove(void **state)
{
	char spec[PATH_MAX + 64], err[256];
	struct fr_run *run = attach();
	struct fr_run_rule r;
	int ok2;

	snprintf(spec, sizeof(spec), "name=late write errno=EIO path=%s/log2", dir);
	assert_int_equal(fr_run_add(run, spec, FR_RUN_PAUSED, err, sizeof(err)), 0);
	assert_int_equal(fr_run_rule(run, "late", &r), 0);
	assert_int_equal(r.armed, 0);
	assert_int_equal(fr_run_rules(run, NULL, 0), 2);
	/* paused: the writes to log2 still pass */
	ok2 = count_out("ok2");
	assert_true(wait_out("ok2", ok2));
	assert_int_equal(count_out("fail2"), 0);

	assert_int_equal(fr_run_arm(run, "late"), 1);
	assert_true(wait_out("fail2 5", 0)); /* EIO */
	assert_int_equal(fr_run_rule(run, "late", &r), 0);
	assert_true(r.injected > 0);

	assert_int_equal(fr_run_remove(run, "late"), 0);
	assert_int_equal(fr_run_rule(run, "late", &r), -ENOENT);
	assert_int_equal(fr_run_rules(run, NULL, 0), 1);
	/* removed: the writes pass again, and the name is free */
	assert_true(wait_out("ok2", count_out("ok2") + 1));
	assert_int_equal(fr_run_add(run, spec, FR_RUN_PAUSED, err, sizeof(err)), 0);
	assert_int_equal(fr_run_remove(run, "late"), 0);
	fr_run_detach(run);
}

static void test_errors(void **state)
{
	struct fr_run *run = attach(), *none = NULL;
	char err[256];
	pid_t gone = fork();
	int st;

	if (gone == 0)
		_exit(0);
	waitpid(gone, &st, 0);
	assert_int_equal(fr_run_attach_pid(gone, &none), -ESRCH);
	assert_int_equal(fr_run_attach_pid(-5, &none), -ESRCH);
	assert_int_equal(fr_run_attach_pid(getpid(), &none), -ENOENT);
	assert_int_equal(fr_run_attach_dir("/nonexistent/run", &none), -ENOENT);
	assert_null(none);

	assert_int_equal(fr_run_add(run, "write errno=ENOSPEC", 0, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "unknown errno 'ENOSPEC' (did you mean ENOSPC?)"));
	assert_int_equal(fr_run_add(run, "name=disk write errno=EIO", 0, err, sizeof(err)),
			 -EEXIST);
	assert_int_equal(fr_run_add(run, "write errno=EIO", 7, err, sizeof(err)), -EINVAL);
	assert_int_equal(fr_run_arm(run, "nope"), -ENOENT);
	assert_int_equal(fr_run_disarm(run, "nope*"), -ENOENT);
	assert_int_equal(fr_run_remove(run, "nope"), -ENOENT);
	assert_int_equal(fr_run_remove(run, "dis*"), -ENOENT); /* remove takes a name, not a glob */
	assert_int_equal(fr_run_rules(run, NULL, 0), 1);
	fr_run_detach(run);
	fr_run_detach(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attach_pid_lists_the_rule),
		cmocka_unit_test(test_attach_target_pid_dir_env),
		cmocka_unit_test(test_arm_fails_the_write_disarm_restores),
		cmocka_unit_test(test_add_paused_arm_remove),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, start_run, stop_run);
}
