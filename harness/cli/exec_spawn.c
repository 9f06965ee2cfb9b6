/*
 * Starting faultrun exec's command with vfork(2) instead of fork(2).
 *
 * fork copies faultrun's page tables and leaves every page it writes
 * afterwards to a copy-on-write fault, all to run a child whose first act
 * of consequence is execve; with vfork the child borrows faultrun's memory
 * and faultrun waits until the exec (or the child's _exit). What the child
 * did after fork it still does, in the same order: the signal
 * dispositions faultrun changed go back, PR_SET_PDEATHSIG, the target's
 * user (groups, gid, uid), the descriptors faultrun was not given are
 * closed on exec, then execve. Everything that allocates is done before:
 * the command's environment is built as an array of its own for execve,
 * and faultrun's stays as it was.
 *
 * The child runs on faultrun's memory, so it calls only system-call
 * wrappers that touch no lock or allocator (what posix_spawn's child calls,
 * glibc's sysdeps/unix/sysv/linux/spawni.c), with every signal blocked
 * until its dispositions are back: a handler of faultrun's must not run in
 * it. Failures are left in memory faultrun reads once the child is gone,
 * and faultrun says them: the child writes nothing. (ThreadSanitizer's
 * vfork is a fork: in that build a failure gives its status, 125, 126 or
 * 127, without the line that says why.)
 */
#define _GNU_SOURCE
#include "exec_spawn.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* what the child could not do, for faultrun to say after it */
enum { FAILED_NONE, FAILED_USER, FAILED_EXEC };

/*
 * The child's side. glibc's setgroups/setgid/setuid would, in a
 * multi-threaded faultrun, signal faultrun's other threads to change
 * theirs (nptl's setxid): the system calls change this process alone.
 */
static __attribute__((noreturn, noinline)) void child(struct fr_spawn *s, const sigset_t *mask)
{
	const struct fr_user *u = s->user;

	for (size_t i = 0; i < s->nsig; i++)
		sigaction(s->sig[i], &s->old[i], NULL);
	sigprocmask(SIG_SETMASK, mask, NULL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (u && (syscall(SYS_setgroups, (size_t)u->ngroups, u->groups) < 0 ||
		  syscall(SYS_setgid, u->gid) < 0 || syscall(SYS_setuid, u->uid) < 0)) {
		s->err = errno;
		s->failed = FAILED_USER;
		_exit(FR_SPAWN_OWN_ERROR);
	}
	fr_launch_close_fds();
	execve(s->path, s->argv, s->envp);
	s->err = errno;
	s->failed = FAILED_EXEC;
	/* gone since fr_launch_check: not found; anything else: 126 */
	_exit(s->err == ENOENT ? FR_SPAWN_NOT_FOUND : FR_SPAWN_CANNOT_RUN);
}

/*
 * The command's environment, built for execve without touching faultrun's
 * own: faultrun's variables (the strings shared, not copied), with what
 * fr_launch_env and fr_user_become would set or unset there, in their
 * meaning: a set replaces the first NAME= or is appended, an unset drops
 * every NAME=. ENV_ADDED: more than fr_launch_env's five, `_` and the
 * user's three can add.
 */
#define ENV_ADDED 16

struct env {
	char **v;
	size_t n, cap;
	char **made; /* the NAME=VALUE strings made here, to free */
	size_t nmade;
};

static bool is_var(const char *entry, const char *name)
{
	size_t len = strlen(name);

	return strncmp(entry, name, len) == 0 && entry[len] == '=';
}

static int env_set(void *arg, const char *name, const char *value)
{
	struct env *e = arg;
	size_t i;
	char *str;

	if (e->nmade == ENV_ADDED || asprintf(&str, "%s=%s", name, value) < 0)
		return -ENOMEM;
	e->made[e->nmade++] = str;
	for (i = 0; i < e->n && !is_var(e->v[i], name); i++)
		;
	if (i == e->n) {
		if (e->n + 1 >= e->cap)
			return -ENOMEM;
		e->n++;
	}
	e->v[i] = str;
	return 0;
}

static int env_unset(void *arg, const char *name)
{
	struct env *e = arg;
	size_t j = 0;

	for (size_t i = 0; i < e->n; i++)
		if (!is_var(e->v[i], name))
			e->v[j++] = e->v[i];
	e->n = j;
	return 0;
}

static void env_free(struct env *e)
{
	for (size_t i = 0; i < e->nmade; i++)
		free(e->made[i]);
	free(e->made);
	free(e->v);
}

static int child_env(struct fr_spawn *s, struct env *e)
{
	const struct fr_env_ops ops = { .set = env_set, .unset = env_unset, .arg = e };
	size_t n = 0;
	int ret;

	while (environ && environ[n])
		n++;
	memset(e, 0, sizeof(*e));
	e->cap = n + ENV_ADDED;
	e->v = calloc(e->cap, sizeof(*e->v));
	e->made = calloc(ENV_ADDED, sizeof(*e->made));
	if (!e->v || !e->made) {
		env_free(e);
		return -ENOMEM;
	}
	if (n)
		memcpy(e->v, environ, n * sizeof(*e->v));
	e->n = n;
	ret = fr_launch_env(&ops, s->shim, s->ctlpath, s->seed);
	if (!ret)
		ret = env_set(e, "_", s->path);
	if (!ret && s->user)
		ret = env_set(e, "HOME", s->user->home);
	if (!ret && s->user)
		ret = env_set(e, "USER", s->user->name);
	if (!ret && s->user)
		ret = env_set(e, "LOGNAME", s->user->name);
	if (ret) {
		env_free(e);
		return ret;
	}
	e->v[e->n] = NULL;
	s->envp = e->v;
	return 0;
}

pid_t fr_spawn(struct fr_spawn *s)
{
	sigset_t all, mask;
	struct env env;
	pid_t pid;
	int ret = child_env(s, &env);

	if (ret < 0) {
		fprintf(stderr, "faultrun: cannot make the command's environment: %s\n",
			strerror(-ret));
		return -1;
	}
	s->failed = FAILED_NONE;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &mask);
	pid = vfork();
	if (pid == 0)
		child(s, &mask);
	int e = errno;

	if (pid > 0 && s->pid_out)
		*s->pid_out = pid;
	sigprocmask(SIG_SETMASK, &mask, NULL);
	/* the child has exec'd or exited: its environment is the kernel's copy */
	env_free(&env);
	s->envp = NULL;
	if (pid < 0) {
		fprintf(stderr, "faultrun: fork: %s\n", strerror(e));
		return -1;
	}
	/* what the child could not do is said here */
	if (s->failed == FAILED_USER)
		fprintf(stderr, "faultrun: cannot become user '%s': %s\n", s->user->name,
			strerror(s->err));
	else if (s->failed == FAILED_EXEC)
		fprintf(stderr, "faultrun: cannot run '%s': %s\n", s->path, strerror(s->err));
	return pid;
}
