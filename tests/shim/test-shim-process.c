/*
 * The shim in a real process life: threads, signal handlers (a write, and
 * a fork, from a handler that interrupts the shim's own slow path), a
 * process tree (fork, exec, grandchild) obeying a rule armed after all of
 * it started, a library constructor calling in before the shim's own, a
 * _FORTIFY_SOURCE=2 target, and a missing, corrupt or hostile control
 * block (injection off, program unharmed, shim silent).
 *
 * Helpers are found through SHIM_HELPER, SHIM_HELPER_CTOR and
 * SHIM_HELPER_FORTIFY (set by tests/meson.build).
 */
#define _GNU_SOURCE
#include "shimtest.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

static const char *helper(const char *var)
{
	const char *p = getenv(var);

	if (!p)
		fail_msg("%s is not set", var);
	return p;
}

static int setup_dirs(void **state)
{
	(void)state;
	st_disarm_all();
	st_mkdir("proc/match");
	st_mkdir("proc/other");
	return 0;
}

/* ---- threads ------------------------------------------------------- */

#define THREADS 4
#define WRITES 2000

struct thr {
	int idx;
	int fails_match, fails_other;
};

static void *writer(void *arg)
{
	struct thr *t = arg;
	char rel[64];
	int fm, fo;

	snprintf(rel, sizeof(rel), "proc/match/t%d", t->idx);
	fm = open(st_path(rel), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	snprintf(rel, sizeof(rel), "proc/other/t%d", t->idx);
	fo = open(st_path(rel), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	for (int i = 0; i < WRITES; i++) {
		if (write(fm, "x", 1) != 1)
			t->fails_match++;
		if (write(fo, "x", 1) != 1)
			t->fails_other++;
		if (i % 100 == 99) {
			/* reopen: the table must follow closes and reuse */
			close(fo);
			fo = open(st_path(rel), O_WRONLY | O_APPEND);
		}
	}
	close(fm);
	close(fo);
	return NULL;
}

static _Atomic int toggling;

static void *toggler(void *arg)
{
	int slot = *(int *)arg;

	while (toggling) {
		st_arm(slot);
		st_disarm(slot);
	}
	return NULL;
}

/* times=N is exact across threads; other files never fail meanwhile. */
static void test_threads(void **state)
{
	int slot = st_rule("write errno=EIO times=1500 path=%D/proc/match/t*");
	int noise = st_rule("write errno=EIO path=%D/proc/nothing/**");
	struct thr t[THREADS] = { 0 };
	pthread_t th[THREADS], tt;
	int fails = 0;

	(void)state;
	st_arm(slot);
	toggling = 1;
	pthread_create(&tt, NULL, toggler, &noise);
	for (int i = 0; i < THREADS; i++) {
		t[i].idx = i;
		pthread_create(&th[i], NULL, writer, &t[i]);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		fails += t[i].fails_match;
		assert_int_equal(t[i].fails_other, 0);
	}
	toggling = 0;
	pthread_join(tt, NULL);
	assert_int_equal(fails, 1500);
	assert_int_equal(st_injected(slot), 1500);
	assert_int_equal(st_matched(slot), THREADS * WRITES);
	st_disarm(slot);
}

/* ---- signals ------------------------------------------------------- */

static int sig_fd;
static volatile sig_atomic_t sig_calls, sig_bad;
static volatile pid_t forked[64];
static volatile sig_atomic_t nforked;

static void on_alarm(int sig)
{
	int saved = errno;

	(void)sig;
	/* a write that must fail, from inside whatever the main loop does */
	if (write(sig_fd, "x", 1) != -1 || errno != EIO)
		sig_bad++;
	sig_calls++;
	errno = saved;
}

static void on_alarm_fork(int sig)
{
	int saved = errno;
	pid_t p;

	(void)sig;
	if (nforked >= 64)
		return;
	p = fork();
	if (p == 0) {
		/* the child obeys the rule and exits at once */
		_exit(write(sig_fd, "x", 1) == -1 && errno == EIO ? 0 : 1);
	}
	if (p > 0)
		forked[nforked++] = p;
	errno = saved;
}

static void run_with_timer(void (*handler)(int), int target,
			   volatile sig_atomic_t *count)
{
	struct sigaction sa = { .sa_handler = handler, .sa_flags = SA_RESTART };
	struct itimerval it = { { 0, 200 }, { 0, 200 } };
	int fo = open(st_path("proc/other/main"), O_WRONLY | O_CREAT | O_TRUNC,
		      0600);
	long loops = 0;

	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	/* the main thread lives in the shim's slow path meanwhile */
	while (*count < target && loops < 50000000) {
		assert_int_equal(write(fo, "y", 1), 1);
		loops++;
	}
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	signal(SIGALRM, SIG_DFL);
	close(fo);
	assert_true(*count >= target);
}

static void test_write_in_signal_handler(void **state)
{
	int slot = st_rule("write errno=EIO path=%D/proc/match/sig");
	int other = st_rule("write errno=EIO path=%D/proc/elsewhere/**");

	(void)state;
	sig_fd = open(st_path("proc/match/sig"), O_WRONLY | O_CREAT, 0600);
	st_arm(slot);
	st_arm(other); /* keeps the main loop's writes on the slow path */
	sig_calls = sig_bad = 0;
	run_with_timer(on_alarm, 200, &sig_calls);
	assert_int_equal(sig_bad, 0);
	close(sig_fd);
	st_disarm(slot);
	st_disarm(other);
}

static void test_fork_in_signal_handler(void **state)
{
	int slot = st_rule("write errno=EIO path=%D/proc/match/sig");
	int other = st_rule("write errno=EIO path=%D/proc/elsewhere/**");

	(void)state;
	sig_fd = open(st_path("proc/match/sig"), O_WRONLY | O_CREAT, 0600);
	st_arm(slot);
	st_arm(other);
	nforked = 0;
	run_with_timer(on_alarm_fork, 20, &nforked);
	for (int i = 0; i < nforked; i++) {
		int status;

		assert_int_equal(waitpid(forked[i], &status, 0), forked[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	close(sig_fd);
	st_disarm(slot);
	st_disarm(other);
}

/* ---- a process tree, armed after it started ---------------------------- */

static bool exists_rel(const char *rel)
{
	return access(st_path(rel), F_OK) == 0;
}

static void test_fork_exec_grandchild(void **state)
{
	static const char *const roles[] = { "parent", "forked", "exec",
					     "grandchild" };
	int slot = st_rule("write errno=ENOSPC path=%D/proc/tree/match/**");
	char dir[PATH_MAX], *argv[4];
	struct timespec ts = { 0, 5 * 1000 * 1000 };
	int status;
	pid_t pid;

	(void)state;
	st_mkdir("proc/tree/match");
	snprintf(dir, sizeof(dir), "%s", st_path("proc/tree"));
	argv[0] = (char *)helper("SHIM_HELPER");
	argv[1] = "tree";
	argv[2] = dir;
	argv[3] = NULL;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	/* every member is up (and has its shim attached) before the rule */
	for (int i = 0; i < 2000; i++) {
		bool all = true;

		for (int r = 0; r < 4; r++) {
			char rel[64];

			snprintf(rel, sizeof(rel), "proc/tree/ready-%s", roles[r]);
			all = all && exists_rel(rel);
		}
		if (all)
			break;
		nanosleep(&ts, NULL);
	}
	st_arm(slot);
	st_write_file(st_path("proc/tree/go"), "");
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	for (int r = 0; r < 4; r++) {
		char rel[64], buf[64];

		snprintf(rel, sizeof(rel), "proc/tree/result-%s", roles[r]);
		assert_true(st_read_file(st_path(rel), buf, sizeof(buf)) > 0);
		if (strcmp(buf, "ENOSPC") != 0)
			fail_msg("%s saw \"%s\", want ENOSPC", roles[r], buf);
	}
	assert_int_equal(st_injected(slot), 4);
	st_disarm(slot);
}

/* ---- each process's events carry its own pid ---------------------------- */

/* Whether the event ring holds an injection of rule slot by pid. */
static bool event_by(int slot, pid_t pid)
{
	uint64_t head = atomic_load(&st_ctl->event_head);

	for (uint64_t n = head > FR_CTL_EVENTS ? head - FR_CTL_EVENTS : 0; n < head; n++) {
		const struct fr_ctl_event *e = &st_ctl->events[n % FR_CTL_EVENTS];

		if (atomic_load(&((struct fr_ctl_event *)e)->seq) == n + 1 && e->rule == slot &&
		    e->pid == pid)
			return true;
	}
	return false;
}

/* In a child: one injected write, then exit 0 if it was injected. */
static void child_writes(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);

	_exit(fd >= 0 && write(fd, "x", 1) < 0 && errno == EIO ? 0 : 1);
}

/*
 * The shim knows its pid without a system call per injection; a child
 * made by fork, by _Fork (no atfork handler) or by syscall(SYS_fork) must
 * still record its own, even after its parent injected (and so knew its
 * pid) before forking.
 */
static void test_fork_event_pid(void **state)
{
	int slot = st_rule("write errno=EIO path=%D/proc/match/**");
	char path[PATH_MAX];
	pid_t kids[3];
	int fd, status;

	(void)state;
	snprintf(path, sizeof(path), "%s", st_path("proc/match/pids"));
	st_arm(slot);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
	assert_true(fd >= 0);
	assert_true(write(fd, "x", 1) < 0 && errno == EIO);
	close(fd);
	assert_true(event_by(slot, getpid()));
	fflush(NULL);
	for (int k = 0; k < 3; k++) {
		pid_t pid = k == 0 ? fork() : k == 1 ? _Fork() : (pid_t)syscall(SYS_fork);

		assert_true(pid >= 0);
		if (pid == 0)
			child_writes(path);
		kids[k] = pid;
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	st_disarm(slot);
	for (int k = 0; k < 3; k++)
		if (!event_by(slot, kids[k]))
			fail_msg("no event under the pid of the child made by %s",
				 k == 0 ? "fork" : k == 1 ? "_Fork" : "syscall(SYS_fork)");
}

/* The `where` of the newest event in the ring ("" when there is none). */
static const char *last_where(void)
{
	static char buf[FR_CTL_WHERE_MAX];
	uint64_t head = atomic_load(&st_ctl->event_head);
	const struct fr_ctl_event *e = &st_ctl->events[(head - 1) % FR_CTL_EVENTS];

	buf[0] = '\0';
	if (head && atomic_load(&((struct fr_ctl_event *)e)->seq) == head)
		snprintf(buf, sizeof(buf), "%.*s", (int)sizeof(e->where), e->where);
	return buf;
}

/* Inject on fd; the event names want. */
static void inject_names(int fd, const char *want)
{
	assert_true(write(fd, "x", 1) < 0 && errno == EIO);
	if (strcmp(last_where(), want) != 0)
		fail_msg("the event names \"%s\", want \"%s\"", last_where(), want);
}

/*
 * An fd's name is kept after its first injection (no readlink per
 * injection), and never outlives the fd: a number reused by another open,
 * or by dup2 of another file, is named anew.
 */
static void test_event_where(void **state)
{
	int slot = st_rule("write errno=EIO path=%D/proc/match/**");
	char a[PATH_MAX], b[PATH_MAX];
	int fa, fb, n;

	(void)state;
	snprintf(a, sizeof(a), "%s", st_path("proc/match/a"));
	snprintf(b, sizeof(b), "%s", st_path("proc/match/b"));
	st_arm(slot);
	fa = open(a, O_WRONLY | O_CREAT, 0600);
	assert_true(fa >= 0);
	inject_names(fa, a);
	inject_names(fa, a); /* from the kept name */
	close(fa);
	n = open(b, O_WRONLY | O_CREAT, 0600);
	assert_int_equal(n, fa); /* the same number, another file */
	inject_names(n, b);
	fa = open(a, O_WRONLY);
	assert_true(fa >= 0);
	inject_names(fa, a);
	fb = n;
	assert_int_equal(dup2(fa, fb), fb); /* fb now is a */
	inject_names(fb, a);
	close(fa);
	fa = open(b, O_WRONLY);
	inject_names(fa, b);
	assert_int_equal(syscall(SYS_dup3, fa, fb, 0), fb); /* raw: fb now is b */
	inject_names(fb, b);
	close(fa);
	close(fb);
	st_disarm(slot);
}

/*
 * The kept name is the first one, whatever its length: names that end on
 * either side of an 8-byte word, the longest an event holds whole, and
 * longer ones, named by their end ("..." and the last bytes that fit).
 */
static void test_event_where_lengths(void **state)
{
	int slot = st_rule("write errno=EIO path=%D/proc/match/**");
	char dir[PATH_MAX], path[PATH_MAX], want[FR_CTL_WHERE_MAX];
	size_t base, lens[] = { 0, 0, 0, 0, 0, FR_CTL_WHERE_MAX - 1, FR_CTL_WHERE_MAX, 140 };
	int fd;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/", st_path("proc/match"));
	base = strlen(dir);
	/* the next multiple of 8 past the directory, and its neighbours */
	lens[0] = (base + 8) / 8 * 8 + 8 - 1;
	lens[1] = lens[0] + 1;
	lens[2] = lens[0] + 2;
	lens[3] = lens[0] + 8;
	lens[4] = lens[0] + 9;
	st_arm(slot);
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		assert_true(lens[i] > base + 1 && lens[i] < sizeof(path));
		memcpy(path, dir, base);
		memset(path + base, 'a' + (int)i, lens[i] - base);
		path[lens[i]] = '\0';
		fd = open(path, O_WRONLY | O_CREAT, 0600);
		assert_true(fd >= 0);
		if (lens[i] < sizeof(want))
			snprintf(want, sizeof(want), "%s", path);
		else
			snprintf(want, sizeof(want), "...%s", path + lens[i] - (sizeof(want) - 4));
		inject_names(fd, want);
		inject_names(fd, want); /* from the kept name */
		close(fd);
		unlink(path);
	}
	st_disarm(slot);
}

/* An open's event names the path it was given, a long one by its end too. */
static void test_event_open_long(void **state)
{
	int slot = st_rule("open errno=EACCES path=%D/proc/match/**");
	char path[PATH_MAX], want[FR_CTL_WHERE_MAX];
	size_t base;

	(void)state;
	snprintf(path, sizeof(path), "%s/", st_path("proc/match"));
	base = strlen(path);
	memset(path + base, 'o', 150);
	path[base + 150] = '\0';
	snprintf(want, sizeof(want), "...%s", path + base + 150 - (sizeof(want) - 4));
	st_arm(slot);
	assert_true(open(path, O_RDONLY) < 0 && errno == EACCES);
	st_disarm(slot);
	if (strcmp(last_where(), want) != 0)
		fail_msg("the event names \"%s\", want \"%s\"", last_where(), want);
}

/*
 * An injection's event carries the time its rule counted it (one clock
 * read for both): each one's is the rule's last time then, never an
 * earlier injection's.
 */
static void test_event_time_is_fire_time(void **state)
{
	int slot = st_rule("write errno=EIO path=%D/proc/match/**");
	struct fr_ctl_slot *s;
	uint64_t head, prev = 0;
	int fd;

	(void)state;
	fd = open(st_path("proc/match/t"), O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	st_arm(slot);
	s = &st_ctl->slots[slot];
	for (int k = 0; k < 3; k++) {
		assert_true(write(fd, "x", 1) < 0 && errno == EIO);
		head = atomic_load(&st_ctl->event_head);
		const struct fr_ctl_event *e = &st_ctl->events[(head - 1) % FR_CTL_EVENTS];
		assert_int_equal(atomic_load(&((struct fr_ctl_event *)e)->seq), head);
		assert_int_equal(e->time_ns, atomic_load(&s->last_ns));
		assert_true(e->time_ns > prev && e->time_ns >= atomic_load(&s->first_ns));
		prev = e->time_ns;
	}
	st_disarm(slot);
	close(fd);
}

/* ---- another library's constructor ------------------------------------ */

static void test_library_constructor(void **state)
{
	int slot = st_rule("write errno=ENOSPC path=%D/proc/match/ctor");
	char env[PATH_MAX + 16], *envv[] = { env, NULL }, out[64];
	char *argv[] = { (char *)helper("SHIM_HELPER_CTOR"), NULL };
	int status;

	(void)state;
	snprintf(env, sizeof(env), "CTOR_PATH=%s", st_path("proc/match/ctor"));
	st_arm(slot);
	status = st_run(argv, envv, st_path("proc/other/ctor.out"));
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	st_read_file(st_path("proc/other/ctor.out"), out, sizeof(out));
	assert_string_equal(out, "ctor=ENOSPC\n");
	st_disarm(slot);
	status = st_run(argv, envv, st_path("proc/other/ctor.out"));
	st_read_file(st_path("proc/other/ctor.out"), out, sizeof(out));
	assert_string_equal(out, "ctor=ok\n");
}

/* ---- a fortified target ------------------------------------------------ */

static bool imports(const char *exe, const char *sym)
{
	char cmd[PATH_MAX + 64], line[256];
	bool found = false;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "nm -D --undefined-only '%s'", exe);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p))
		if (strstr(line, sym))
			found = true;
	pclose(p);
	return found;
}

static void run_fortify(const char *spec, const char *want)
{
	const char *exe = helper("SHIM_HELPER_FORTIFY");
	char flags[16], target[PATH_MAX];
	char *argv[] = { (char *)exe, target, flags, "4", NULL };
	char errpath[PATH_MAX], out[256];
	int slot = spec ? st_rule(spec) : -1, status, saved, fd;

	snprintf(target, sizeof(target), "%s", st_path("proc/match/fort"));
	snprintf(flags, sizeof(flags), "%d", O_RDWR);
	snprintf(errpath, sizeof(errpath), "%s", st_path("proc/other/fort.err"));
	st_write_file(st_path("proc/match/fort"), "0123456789");
	if (slot >= 0)
		st_arm(slot);
	/* the helper reports on stderr; stdout (printf) goes to match/ */
	fflush(NULL);
	saved = dup(2);
	fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 2);
	close(fd);
	status = st_run(argv, NULL, st_path("proc/match/fort.out"));
	dup2(saved, 2);
	close(saved);
	if (slot >= 0)
		st_disarm(slot);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	st_read_file(errpath, out, sizeof(out));
	if (strcmp(out, want) != 0)
		fail_msg("fortified target reported:\n%s\nwant:\n%s", out, want);
}

static void test_fortified_target(void **state)
{
	const char *exe = helper("SHIM_HELPER_FORTIFY");

	(void)state;
	assert_true(imports(exe, "__open64_2") || imports(exe, "__open_2"));
	assert_true(imports(exe, "__read_chk"));
	assert_true(imports(exe, "__printf_chk"));
	run_fortify(NULL, "open=ok\nread=ok\nprintf=ok\n");
	run_fortify("open errno=EACCES path=%D/proc/match/fort",
		    "open=EACCES\nread=EBADF\nprintf=ok\n");
	run_fortify("read errno=EIO path=%D/proc/match/fort",
		    "open=ok\nread=EIO\nprintf=ok\n");
	run_fortify("write errno=ENOSPC path=%D/proc/match/fort.out",
		    "open=ok\nread=ok\nprintf=ENOSPC\n");
}

/* ---- bad control blocks: injection off, the program unharmed --------- */

/* Run `sh -c 'echo hi > F'` with FAULTRUN_CTL=ctl; returns stderr's size. */
static long run_sh(const char *ctl, const char *debug, bool *wrote)
{
	char envc[PATH_MAX + 16], envd[32], *envv[] = { envc, envd, NULL };
	char cmd[PATH_MAX + 32], errbuf[4096];
	char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	char f[PATH_MAX], errp[PATH_MAX];
	int status, saved, fd;
	long n;

	snprintf(f, sizeof(f), "%s", st_path("proc/match/sh"));
	snprintf(errp, sizeof(errp), "%s", st_path("proc/other/sh.err"));
	snprintf(envc, sizeof(envc), "FAULTRUN_CTL=%s", ctl);
	snprintf(envd, sizeof(envd), "FAULTSHIM_DEBUG=%s", debug ? debug : "");
	snprintf(cmd, sizeof(cmd), "echo hi > '%s'", f);
	unlink(f);
	fflush(NULL);
	saved = dup(2);
	fd = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 2);
	close(fd);
	status = st_run(argv, envv, NULL);
	dup2(saved, 2);
	close(saved);
	assert_true(WIFEXITED(status));
	*wrote = WEXITSTATUS(status) == 0 && st_file_size(f) == 3;
	n = st_read_file(errp, errbuf, sizeof(errbuf));
	return n;
}

static void copy_block(const char *to, size_t len, int mode)
{
	char ctl[PATH_MAX];
	int in, out;
	char *buf = malloc(sizeof(struct fr_ctl));

	snprintf(ctl, sizeof(ctl), "%s", getenv(FR_CTL_ENV));
	in = open(ctl, O_RDONLY);
	assert_true(read(in, buf, sizeof(struct fr_ctl)) ==
		    (ssize_t)sizeof(struct fr_ctl));
	close(in);
	unlink(to);
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (write(out, buf, len) != (ssize_t)len)
		fail_msg("copying the block to %s: %s", to, strerror(errno));
	fchmod(out, (mode_t)mode);
	close(out);
	free(buf);
}

static void test_bad_blocks(void **state)
{
	int slot = st_rule("write errno=ENOSPC path=%D/proc/match/sh");
	char p[PATH_MAX];
	struct fr_ctl *c;
	bool wrote;
	int fd;

	(void)state;
	snprintf(p, sizeof(p), "%s", st_path("proc/other/block"));
	st_arm(slot);
	/* the real block: injected, and silent without FAULTSHIM_DEBUG */
	run_sh(getenv(FR_CTL_ENV), NULL, &wrote);
	assert_false(wrote);
	/* FAULTSHIM_DEBUG makes it talk */
	assert_true(run_sh(getenv(FR_CTL_ENV), "1", &wrote) > 0);

	/* missing */
	assert_int_equal(run_sh(st_path("proc/none"), NULL, &wrote), 0);
	assert_true(wrote);
	/* garbage of the right size */
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	for (size_t i = 0; i < sizeof(struct fr_ctl); i += 8)
		assert_int_equal(write(fd, "garbage!", 8), 8);
	close(fd);
	assert_int_equal(run_sh(p, NULL, &wrote), 0);
	assert_true(wrote);
	/* the real block, truncated */
	copy_block(p, 4096, 0600);
	assert_int_equal(run_sh(p, NULL, &wrote), 0);
	assert_true(wrote);
	/* the real block, readable by others: refused */
	copy_block(p, sizeof(struct fr_ctl), 0644);
	assert_int_equal(run_sh(p, NULL, &wrote), 0);
	assert_true(wrote);
	/* a copy of the armed block is obeyed... */
	copy_block(p, sizeof(struct fr_ctl), 0600);
	run_sh(p, NULL, &wrote);
	assert_false(wrote);
	/* ...but not once its counts and masks are hostile */
	assert_int_equal(fr_ctl_open(p, &c), 0);
	atomic_store(&c->nslots, 100000);
	atomic_store(&c->armed_ops, ~0u);
	for (unsigned op = 0; op < FR_OP_COUNT; op++)
		atomic_store(&c->armed_rules[op], ~0ull);
	for (unsigned i = 0; i < FR_MAX_RULES; i++) {
		atomic_store(&c->slots[i].ready, 0);
		memset(c->slots[i].rule.path, 'x', sizeof(c->slots[i].rule.path));
	}
	assert_int_equal(run_sh(p, NULL, &wrote), 0);
	assert_true(wrote);
	fr_ctl_close(c);
	st_disarm(slot);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_threads, setup_dirs),
		cmocka_unit_test_setup(test_write_in_signal_handler, setup_dirs),
		cmocka_unit_test_setup(test_fork_in_signal_handler, setup_dirs),
		cmocka_unit_test_setup(test_fork_exec_grandchild, setup_dirs),
		cmocka_unit_test_setup(test_fork_event_pid, setup_dirs),
		cmocka_unit_test_setup(test_event_where, setup_dirs),
		cmocka_unit_test_setup(test_event_where_lengths, setup_dirs),
		cmocka_unit_test_setup(test_event_open_long, setup_dirs),
		cmocka_unit_test_setup(test_event_time_is_fire_time, setup_dirs),
		cmocka_unit_test_setup(test_library_constructor, setup_dirs),
		cmocka_unit_test_setup(test_fortified_target, setup_dirs),
		cmocka_unit_test_setup(test_bad_blocks, setup_dirs),
	};

	st_init(argc, argv);
	return cmocka_run_group_tests_name("shim-process", tests, NULL, NULL);
}
