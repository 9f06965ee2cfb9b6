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
 * closed on exec, then execve. Everything that allocates or writes memory
 * faultrun keeps is done before: the environment is built in a copy of
 * environ, so faultrun's own stays as it was.
 *
 * The child runs on faultrun's memory, so it calls only system-call
 * wrappers that touch no lock or allocator (what posix_spawn's child calls,
 * glibc's sysdeps/unix/sysv/linux/spawni.c), with every signal blocked
 * until its dispositions are back: a handler of faultrun's must not run in
 * it. Failures are left in memory faultrun reads once the child is gone,
 * and faultrun says them: the child writes nothing.
 */
#define _GNU_SOURCE
#include "exec_spawn.h"

#include <errno.h>
#include <signal.h>
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
 * The command's environment: faultrun's, with what fr_launch_setenv and
 * fr_user_become set, made by those same setenv calls on a copy of the
 * environ array (glibc's setenv copies an array it did not allocate
 * before growing it), then environ given back. Returns the copy, or NULL.
 */
static char **child_env(const struct fr_spawn *s)
{
	char **own = environ, **env;
	size_t n = 0;
	int ret;

	while (own && own[n])
		n++;
	env = calloc(n + 1, sizeof(*env));
	if (!env)
		return NULL;
	if (n)
		memcpy(env, own, n * sizeof(*env));
	environ = env;
	ret = fr_launch_setenv(s->shim, s->ctlpath, s->seed);
	if (!ret && setenv("_", s->path, 1) < 0)
		ret = -errno;
	if (!ret && s->user &&
	    (setenv("HOME", s->user->home, 1) < 0 || setenv("USER", s->user->name, 1) < 0 ||
	     setenv("LOGNAME", s->user->name, 1) < 0))
		ret = -errno;
	env = environ;
	environ = own;
	/* the strings setenv made stay with the copy until faultrun exits */
	return ret ? NULL : env;
}

pid_t fr_spawn(struct fr_spawn *s)
{
	sigset_t all, mask;
	pid_t pid;

	s->envp = child_env(s);
	if (!s->envp) {
		fprintf(stderr, "faultrun: cannot make the command's environment: %s\n",
			strerror(errno));
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
	if (pid < 0) {
		fprintf(stderr, "faultrun: fork: %s\n", strerror(e));
		return -1;
	}
	/* the child has exec'd or exited: what it could not do is said here */
	if (s->failed == FAILED_USER)
		fprintf(stderr, "faultrun: cannot become user '%s': %s\n", s->user->name,
			strerror(s->err));
	else if (s->failed == FAILED_EXEC)
		fprintf(stderr, "faultrun: cannot run '%s': %s\n", s->path, strerror(s->err));
	return pid;
}
