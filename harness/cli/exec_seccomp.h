/*
 * `faultrun exec --backend`: choosing the preload or the seccomp backend
 * (docs/seccomp.md), and running a command under the seccomp one.
 */
#ifndef FAULTRUN_EXEC_SECCOMP_H
#define FAULTRUN_EXEC_SECCOMP_H

#include "seccomp.h"
#include "io/launch.h"

#include <signal.h>
#include <stdbool.h>

enum fr_exec_backend {
	FR_BACKEND_PRELOAD = 0, /* the default */
	FR_BACKEND_SECCOMP,
	FR_BACKEND_AUTO, /* seccomp for what the preload cannot reach (static, Go) */
};

/* "preload", "seccomp", "auto": 0, or -EINVAL with one line on stderr. */
int fr_exec_backend_parse(const char *s, enum fr_exec_backend *out);

/*
 * After fr_launch_check(cmd) returned check (err: its message, resolved:
 * the program): the backend to use in *b (auto resolved). Returns -1 to
 * go on, else the exit status after one line on stderr (126 refused or
 * not runnable, 127 not found).
 */
int fr_exec_backend_choose(enum fr_exec_backend *b, int check, const char *resolved,
			   const char *err);

/*
 * The seccomp backend for rules[n]: refuses (one line naming the rule and
 * the backend, exit status 125) a rule it cannot do; else *out. Returns 0
 * or the exit status.
 */
int fr_exec_seccomp_prepare(const struct fr_rule *rules, unsigned n, struct fr_sec **out);

/* How run_command starts the command, for the seccomp backend's fork. */
struct fr_exec_launch {
	const char *resolved;
	char **cmd;
	const struct fr_user *user; /* NULL: ours */
	uint64_t seed;
	void (*in_child)(const void *arg); /* first thing in the child */
	const void *arg;
	volatile sig_atomic_t *forward_to; /* where signals are forwarded (the child's pid) */
};

/*
 * Fork and exec the command under s's filter, answer its calls against
 * ctl until it (and what it left running) exits. Returns its status as the
 * shell gives it, or -1 when it could not be started.
 */
int fr_exec_seccomp_run(struct fr_sec *s, struct fr_ctl *ctl, const struct fr_exec_launch *l,
			int *child);

/* fr_sec_explain for struct fr_exec_record's explain (backend: the struct fr_sec). */
void fr_exec_seccomp_explain(const void *backend, const struct fr_ctl *c, unsigned slot,
			     const struct fr_attach *a, char *buf, size_t len);

#endif /* FAULTRUN_EXEC_SECCOMP_H */
