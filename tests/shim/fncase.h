/*
 * Per-function shim tests, generated from harness/shim/wrapped.def.
 *
 * A family's test file (test-shim-fd.c, -stdio.c, -fs.c) writes one case
 * per entry point, CASE(name), which makes the call on a path it is given
 * and checks the real effect, and includes wrapped.def to build the table:
 * an entry point without a case does not compile. Each case becomes a
 * cmocka test that runs it, each time in a fresh child process, on fresh
 * fixture files:
 *
 *   1. rule published, not armed, path under match/: the real behaviour
 *      (the case checks the effect: bytes in the file, the file renamed...)
 *      and errno untouched by the shim;
 *   2. rule armed for every path under match/, path under match/: it fails with
 *      the entry's first errno from wrapped.def (and, for streams, ferror);
 *   3. same rule armed, path under other/: the real behaviour again, errno
 *      untouched (the shim did its slow path: fd table or path match).
 *
 * Fd-table entries (OP NONE) check that the table stays true under an armed
 * write rule; free-space entries (STATFS) check what a budget rule reports.
 */
#ifndef FAULTRUN_TESTS_FNCASE_H
#define FAULTRUN_TESTS_FNCASE_H

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
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "glibc_private.h"

#define ST_OP_OPEN FR_OP_OPEN
#define ST_OP_READ FR_OP_READ
#define ST_OP_WRITE FR_OP_WRITE
#define ST_OP_FSYNC FR_OP_FSYNC
#define ST_OP_TRUNCATE FR_OP_TRUNCATE
#define ST_OP_ALLOCATE FR_OP_ALLOCATE
#define ST_OP_RENAME FR_OP_RENAME
#define ST_OP_UNLINK FR_OP_UNLINK
#define ST_OP_MKDIR FR_OP_MKDIR
#define ST_OP_LINK FR_OP_LINK
#define ST_OP_STATFS FR_OP_STATFS
#define ST_OP_NONE (-1)

/* Every fixture file holds this. */
#define CONTENT "0123456789abcdef\n"
#define CONTENT_LEN 17
/* errno before the call under test: the shim must leave it alone */
#define ST_POISON 0x7ead

struct st_case {
	const char *name;
	int op;
	const char *errnos;
	int (*call)(const char *path);
};

/* What the child saw; sent to the parent through a pipe. */
struct st_result {
	int rc;          /* 0 real behaviour, -1 the call failed, -2 wrong */
	int err;         /* errno right after the call */
	int called;      /* the case reached CALL() */
	int stream;      /* the case checked a stream's error indicator */
	int ferr;        /* ... and it was set */
	char msg[200];
};

static struct st_result st_res;
/* Set in the child: a rule is armed and the path is under match/. */
static bool st_expect_fault;

#define CASE(name) static int case_##name(const char *p)
/* The call under test: errno poisoned before, kept after. */
#define CALL(expr)                                                         \
	({                                                                 \
		__typeof__(expr) r_;                                       \
		errno = ST_POISON;                                         \
		r_ = (expr);                                               \
		st_res.err = errno;                                        \
		st_res.called = 1;                                         \
		r_;                                                        \
	})
/* Record a stream's error indicator after a failed call. */
#define FERR(f)                                                            \
	do {                                                               \
		st_res.stream = 1;                                         \
		st_res.ferr = (f) ? ferror(f) != 0 : 0;                    \
	} while (0)
/* The same for a call returning void. */
#define CALLV(expr)                                                        \
	do {                                                               \
		errno = ST_POISON;                                         \
		expr;                                                      \
		st_res.err = errno;                                        \
		st_res.called = 1;                                         \
	} while (0)
#define WRONG(...)                                                         \
	(snprintf(st_res.msg, sizeof(st_res.msg), __VA_ARGS__), -2)

/* p's directory and base name, and an fd on the directory. */
static inline const char *dir_of(const char *p)
{
	static char b[PATH_MAX];
	char *s;

	snprintf(b, sizeof(b), "%s", p);
	s = strrchr(b, '/');
	if (s)
		*s = '\0';
	return b;
}

/* (a loop, not strrchr: GCC's -Wformat-overflow took `s ? s + 1 : p` for NULL under ASan) */
static inline const char *base_of(const char *p)
{
	const char *b = p;

	for (const char *q = p; *q; q++)
		if (*q == '/')
			b = q + 1;
	return b;
}

static inline const char *with(const char *p, const char *suffix)
{
	static char b[4][PATH_MAX];
	static unsigned n;
	char *r = b[n++ % 4];

	snprintf(r, PATH_MAX, "%s%s", p, suffix);
	return r;
}

static inline int dirfd_of(const char *p)
{
	return open(dir_of(p), O_RDONLY | O_DIRECTORY);
}

/* The file holds exactly `want`. */
static inline int expect_content(const char *p, const char *want)
{
	char buf[256];
	long n = st_read_file(p, buf, sizeof(buf));

	if (n < 0)
		return WRONG("cannot read back %s", p);
	if (strcmp(buf, want) != 0)
		return WRONG("%s holds \"%s\", want \"%s\"", p, buf, want);
	return 0;
}

/* The first errno named in an errnos string. */
static inline int first_errno(const char *errnos)
{
	char name[32];
	size_t n = strcspn(errnos, " ");

	if (!n || n >= sizeof(name))
		return 0;
	memcpy(name, errnos, n);
	name[n] = '\0';
	return fr_errno_from_name(name);
}

/* Fresh fixtures for one case: <mode>/<name> (a file), <name>.d (a dir). */
static inline void make_fixture(const char *name, const char *mode)
{
	char rel[PATH_MAX];
	const char *p;

	st_mkdir(mode);
	st_mkdir("plain");
	snprintf(rel, sizeof(rel), "%s/%s", mode, name);
	p = st_path(rel);
	st_write_file(p, CONTENT);
	mkdir(with(p, ".d"), 0700);
	/* a symlink under mode/ to a file outside match/ and other/ */
	snprintf(rel, sizeof(rel), "plain/%s.%s", name, mode);
	st_write_file(st_path(rel), CONTENT);
	unlink(with(p, ".lnk"));
	if (symlink(st_path(rel), with(p, ".lnk")) < 0)
		fail_msg("symlink: %s", strerror(errno));
}

static inline struct st_result run_child(const struct st_case *c,
					 const char *mode, bool fault)
{
	struct st_result res = { .rc = -3 };
	char rel[PATH_MAX];
	int fds[2], status;
	pid_t pid;

	/* the parent runs under the shim too: no rule while making fixtures */
	st_quiet_begin();
	make_fixture(c->name, mode);
	st_quiet_end();
	snprintf(rel, sizeof(rel), "%s/%s", mode, c->name);
	if (pipe(fds) < 0)
		fail_msg("pipe: %s", strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		memset(&st_res, 0, sizeof(st_res));
		st_expect_fault = fault;
		st_res.rc = c->call(st_path(rel));
		if (write(fds[1], &st_res, sizeof(st_res)) < 0)
			_exit(3);
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], &res, sizeof(res)) != (ssize_t)sizeof(res))
		snprintf(res.msg, sizeof(res.msg), "the child died");
	close(fds[0]);
	waitpid(pid, &status, 0);
	if (WIFSIGNALED(status))
		snprintf(res.msg, sizeof(res.msg), "the child got signal %d",
			 WTERMSIG(status));
	return res;
}

/* The behaviour is the real one: success, errno left alone. */
static inline void check_real(const struct st_case *c, const char *what,
			      const struct st_result *r, bool stable)
{
	if (r->rc != 0)
		fail_msg("%s (%s): rc %d errno %s: %s", c->name, what, r->rc,
			 strerrorname_np(r->err) ? strerrorname_np(r->err) : "?",
			 r->msg);
	if (!r->called)
		fail_msg("%s (%s): the case never made its call", c->name,
			 what);
	if (stable && r->err != ST_POISON)
		fail_msg("%s (%s): errno changed to %s on success", c->name,
			 what,
			 strerrorname_np(r->err) ? strerrorname_np(r->err) : "?");
}

/*
 * Entry points whose libc implementation may itself change errno on
 * success; the others must see errno exactly as they left it.
 */
static inline bool errno_stable(const struct st_case *c)
{
	static const char *const unstable[] = {
		"mkstemp", "mkstemp64", "mkostemp", "mkostemp64", "mkstemps",
		"mkstemps64", "mkostemps", "mkostemps64", "mkdtemp", "remove",
		"fopen", "fopen64", "freopen", "freopen64", "closefrom",
		"posix_fallocate", "posix_fallocate64",
		/* searches PATH: the entries before the program leave ENOENT */
		"posix_spawnp",
	};

	for (size_t i = 0; i < sizeof(unstable) / sizeof(unstable[0]); i++)
		if (strcmp(c->name, unstable[i]) == 0)
			return false;
	return true;
}

static void run_case(void **state)
{
	const struct st_case *c = *state;
	char spec[512];
	struct st_result r;
	int slot, want = first_errno(c->errnos);
	bool stable = errno_stable(c);

	if (c->op == ST_OP_NONE)
		snprintf(spec, sizeof(spec),
			 "write errno=ENOSPC path=%%D/match/**");
	else if (c->op == ST_OP_STATFS)
		snprintf(spec, sizeof(spec),
			 "write budget=1MiB path=%%D/match/**");
	else
		snprintf(spec, sizeof(spec), "%s errno=%s path=%%D/match/**",
			 fr_op_name(c->op), fr_errno_name(want));
	slot = st_rule(spec);
	st_disarm_all();

	r = run_child(c, "match", false);
	check_real(c, "disarmed", &r, stable);

	st_arm(slot);
	r = run_child(c, "match", true);
	if (c->op == ST_OP_NONE || c->op == ST_OP_STATFS) {
		check_real(c, "armed, matching path", &r, false);
	} else {
		if (r.rc != -1 || r.err != want)
			fail_msg("%s (armed, matching path): rc %d errno %s, "
				 "want errno %s: %s",
				 c->name, r.rc,
				 strerrorname_np(r.err) ? strerrorname_np(r.err)
							: "?",
				 fr_errno_name(want), r.msg);
		if (r.stream && !r.ferr)
			fail_msg("%s: failed but ferror() is not set", c->name);
	}
	r = run_child(c, "other", false);
	check_real(c, "armed, other path", &r, stable);
	st_disarm(slot);
}

/* Build and run the cmocka group for one family's table. */
static inline int run_cases(const char *group, const struct st_case *cases,
			    size_t n)
{
	struct CMUnitTest *tests = calloc(n, sizeof(*tests));

	for (size_t i = 0; i < n; i++) {
		tests[i].name = cases[i].name;
		tests[i].test_func = run_case;
		tests[i].initial_state = (void *)&cases[i];
	}
	return _cmocka_run_group_tests(group, tests, n, NULL, NULL);
}

#endif /* FAULTRUN_TESTS_FNCASE_H */
