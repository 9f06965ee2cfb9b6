/*
 * `faultrun exec --backend seccomp|auto` (docs/seccomp.md): the choice of
 * backend, the refusal of rules the seccomp backend cannot do yet, and the
 * command's launch under the filter. The rest of exec (the control block,
 * `faultrun ctl`, the summary and --json) is the same for both backends.
 */
#define _GNU_SOURCE
#include "exec_seccomp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* env(1)'s statuses, as cmd_exec.c */
enum { OWN_ERROR = 125, CANNOT_RUN = 126, NOT_FOUND = 127 };

int fr_exec_backend_parse(const char *s, enum fr_exec_backend *out)
{
	if (!strcmp(s, "preload"))
		*out = FR_BACKEND_PRELOAD;
	else if (!strcmp(s, "seccomp"))
		*out = FR_BACKEND_SECCOMP;
	else if (!strcmp(s, "auto"))
		*out = FR_BACKEND_AUTO;
	else {
		fprintf(stderr, "faultrun: --backend '%s': expected preload, seccomp or auto\n", s);
		return -EINVAL;
	}
	return 0;
}

int fr_exec_backend_choose(enum fr_exec_backend *b, int check, const char *resolved,
			   const char *err)
{
	struct stat st;
	/* setuid: no_new_privs would run it without its privileges; refused by both */
	bool setuid = strstr(err, "setuid") ||
		      (stat(resolved, &st) == 0 && (st.st_mode & (S_ISUID | S_ISGID)));

	if (check == 0) {
		if (*b == FR_BACKEND_AUTO)
			*b = FR_BACKEND_PRELOAD;
		return -1;
	}
	/* static, Go: what the preload cannot reach and the filter can */
	if (check == -ENOTSUP && !setuid && *b != FR_BACKEND_PRELOAD) {
		*b = FR_BACKEND_SECCOMP;
		return -1;
	}
	fprintf(stderr, "faultrun: %s%s\n", err,
		check == -ENOTSUP && !setuid ? " (--backend seccomp can)" : "");
	return check == -ENOENT ? NOT_FOUND : CANNOT_RUN;
}

int fr_exec_seccomp_prepare(const struct fr_rule *rules, unsigned n, struct fr_sec **out)
{
	char err[400];
	int ret;

	for (unsigned i = 0; i < n; i++)
		if (fr_sec_rule_supported(&rules[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "faultrun: %s\n", err);
			return OWN_ERROR;
		}
	ret = fr_sec_create(rules, n, out);
	if (ret < 0) {
		fprintf(stderr, "faultrun: cannot build the seccomp filter: %s\n", strerror(-ret));
		return OWN_ERROR;
	}
	return 0;
}

/* The child's environment: what a shell would give it, without the shim. */
static int child_env(const struct fr_exec_launch *l)
{
	static const char *const own[] = { "FAULTRUN_SHIM", "FAULTRUN_TARGETS", "FAULTRUN_MARIADBD",
					   "FAULTRUN_MARIADB_INSTALL_DB", "FAULTRUN_REAP" };
	char seed[32];

	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		unsetenv(own[i]);
	snprintf(seed, sizeof(seed), "%llu", (unsigned long long)l->seed);
	/* io_uring's I/O is no system call the filter sees (docs/seccomp.md) */
	if (setenv("FAULTRUN_SEED", seed, 1) < 0 || setenv("UV_USE_IO_URING", "0", 1) < 0 ||
	    setenv("_", l->resolved, 1) < 0)
		return -errno;
	return 0;
}

static __attribute__((noreturn)) void run_child(struct fr_sec *s, const struct fr_exec_launch *l)
{
	int e;

	if (l->in_child)
		l->in_child(l->arg);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (child_env(l) < 0)
		_exit(OWN_ERROR);
	/* the filter first: pidfd_getfd needs us to be still ours to trace */
	e = fr_sec_child_install(s);
	if (e < 0) {
		dprintf(2, "faultrun: cannot install the seccomp filter: %s\n", strerror(-e));
		_exit(OWN_ERROR);
	}
	if (l->user && fr_user_become(l->user) < 0) {
		dprintf(2, "faultrun: cannot become user '%s': %s\n", l->user->name,
			strerror(errno));
		_exit(OWN_ERROR);
	}
	fr_launch_close_fds();
	execv(l->resolved, l->cmd);
	e = errno;
	dprintf(2, "faultrun: cannot run '%s': %s\n", l->resolved, strerror(e));
	_exit(e == ENOENT ? NOT_FOUND : CANNOT_RUN);
}

int fr_exec_seccomp_run(struct fr_sec *s, struct fr_ctl *ctl, const struct fr_exec_launch *l,
			int *child)
{
	char err[300];
	int wst = 0, ret;
	pid_t pid;

	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "faultrun: fork: %s\n", strerror(errno));
		return -1;
	}
	if (pid == 0)
		run_child(s, l);
	*child = (int)pid;
	ret = fr_sec_take(s, pid, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "faultrun: %s\n", err);
		while (waitpid(pid, &wst, 0) < 0 && errno == EINTR)
			;
		return -1;
	}
	*l->forward_to = pid;
	ret = fr_sec_serve(s, ctl, pid, &wst);
	*l->forward_to = 0;
	if (ret < 0) {
		/* the command was killed: nobody answers its calls any more */
		fprintf(stderr, "faultrun: the seccomp listener failed: %s\n", strerror(-ret));
		return -1;
	}
	if (WIFEXITED(wst))
		return WEXITSTATUS(wst);
	if (WIFSIGNALED(wst))
		return 128 + WTERMSIG(wst);
	return 0;
}

void fr_exec_seccomp_explain(const void *backend, const struct fr_ctl *c, unsigned slot,
			     const struct fr_attach *a, char *buf, size_t len)
{
	fr_sec_explain(backend, c, slot, a, buf, len);
}
