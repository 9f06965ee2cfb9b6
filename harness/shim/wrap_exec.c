/*
 * The exec family: never injects, only watches. A process of the run that
 * execs or spawns a program with an environment that no longer carries
 * the run (its FAULTRUN_CTL, or the shim in LD_PRELOAD: `env -i`, sudo,
 * a supervisor's clean environment) takes that program out of the run:
 * it maps no block and gets no fault. It is listed in the block as having
 * left (fr_ctl_register_left), so faultrun can say so instead of "no call
 * matched". An exec that then fails takes its entry back.
 *
 * glibc's exec* and posix_spawn* call its internal __execve, which no
 * preload sees, so every public variant is wrapped (execve(2), exec(3),
 * posix_spawn(3)). The execl family is variadic: its arguments are
 * gathered into an array and handed to the vector form's real function.
 */
#include "shim.h"

#include <limits.h>
#include <string.h>
#include <sys/syscall.h>

extern char **environ;

/* Whether envp keeps this process's run: our FAULTRUN_CTL and the shim preloaded. */
static bool keeps_run(char *const envp[])
{
	static const char ctl[] = FR_CTL_ENV "=";
	bool has_ctl = false, has_shim = false;

	for (size_t i = 0; envp && envp[i]; i++) {
		const char *e = envp[i];

		if (!strncmp(e, ctl, sizeof(ctl) - 1) &&
		    !strcmp(e + sizeof(ctl) - 1, shim_ctl_path))
			has_ctl = true;
		else if (!strncmp(e, "LD_PRELOAD=", 11) && strstr(e + 11, "libfaultshim"))
			has_shim = true;
	}
	return has_ctl && has_shim;
}

/* Before an exec of path with envp: the entry, or -1 when the run is kept (or unknown). */
static int leaving(const char *path, char *const envp[], int pid)
{
	if (!shim_ctl || !shim_ctl_path[0] || keeps_run(envp))
		return -1;
	return fr_ctl_register_left(shim_ctl, pid, path ? path : "?");
}

/* The exec failed: this process is still the run's. errno kept. */
static void stayed(int idx)
{
	int saved = errno;

	if (idx >= 0)
		fr_ctl_unregister(shim_ctl, idx);
	errno = saved;
}

static int self_pid(void)
{
	return shim_self_pid();
}

int execve(const char *path, char *const argv[], char *const envp[])
{
	int idx, r;

	if (unlikely(!SHIM_BOUND(execve)))
		return SHIM_FAIL_M1(ENOSYS);
	idx = leaving(path, envp, self_pid());
	r = SHIM_REAL(execve)(path, argv, envp);
	stayed(idx);
	return r;
}

int execv(const char *path, char *const argv[])
{
	int idx, r;

	if (unlikely(!SHIM_BOUND(execv)))
		return SHIM_FAIL_M1(ENOSYS);
	idx = leaving(path, environ, self_pid());
	r = SHIM_REAL(execv)(path, argv);
	stayed(idx);
	return r;
}

int execvp(const char *file, char *const argv[])
{
	int idx, r;

	if (unlikely(!SHIM_BOUND(execvp)))
		return SHIM_FAIL_M1(ENOSYS);
	idx = leaving(file, environ, self_pid());
	r = SHIM_REAL(execvp)(file, argv);
	stayed(idx);
	return r;
}

int execvpe(const char *file, char *const argv[], char *const envp[])
{
	int idx, r;

	if (unlikely(!SHIM_BOUND(execvpe)))
		return SHIM_FAIL_M1(ENOSYS);
	idx = leaving(file, envp, self_pid());
	r = SHIM_REAL(execvpe)(file, argv, envp);
	stayed(idx);
	return r;
}

int fexecve(int fd, char *const argv[], char *const envp[])
{
	char path[PATH_MAX];
	int idx, r;

	if (unlikely(!SHIM_BOUND(fexecve)))
		return SHIM_FAIL_M1(ENOSYS);
	if (shim_fd_path(fd, path, sizeof(path)) < 0)
		strcpy(path, "fexecve");
	idx = leaving(path, envp, self_pid());
	r = SHIM_REAL(fexecve)(fd, argv, envp);
	stayed(idx);
	return r;
}

/*
 * How many words an execl-style list holds before its NULL. Callers refuse
 * INT_MAX and more with E2BIG, as glibc's execl does (posix/execl.c): the
 * kernel would (execve(2)), and the array of n + 1 words must not wrap.
 */
static size_t count_args(const char *arg, va_list ap)
{
	size_t n = 0;

	for (const char *a = arg; a; a = va_arg(ap, const char *))
		n++;
	return n;
}

/* The list into argv[n + 1]; returns the envp that follows it (execle). */
static char *const *gather(const char *arg, va_list ap, char **argv, size_t n, bool want_env)
{
	argv[0] = (char *)arg;
	for (size_t i = 1; i <= n; i++)
		argv[i] = i < n ? va_arg(ap, char *) : NULL;
	if (!want_env)
		return NULL;
	if (n)
		(void)va_arg(ap, char *); /* the list's own NULL */
	return va_arg(ap, char *const *);
}

/*
 * execl(3), execlp(3), execle(3): the words go into an array of their
 * exact size (counted on a copy of the list), for the vector form.
 */
#define SHIM_GEN_EXECL(name, real, want_env)                                                       \
	int name(const char *path, const char *arg, ...)                                           \
	{                                                                                          \
		va_list ap, cp;                                                                    \
		char *const *envp;                                                                 \
		size_t n;                                                                          \
		int idx, r;                                                                        \
		if (unlikely(!SHIM_BOUND(real)))                                                   \
			return SHIM_FAIL_M1(ENOSYS);                                               \
		va_start(ap, arg);                                                                 \
		va_copy(cp, ap);                                                                   \
		n = count_args(arg, cp);                                                           \
		va_end(cp);                                                                        \
		if (n >= INT_MAX) {                                                                \
			va_end(ap);                                                                \
			return SHIM_FAIL_M1(E2BIG);                                                \
		}                                                                                  \
		char *argv[n + 1];                                                                 \
		envp = gather(arg, ap, argv, n, want_env);                                         \
		va_end(ap);                                                                        \
		idx = leaving(path, want_env ? envp : environ, self_pid());                        \
		r = want_env ? SHIM_REAL(execve)(path, argv, envp) : SHIM_REAL(execv)(path, argv); \
		stayed(idx);                                                                       \
		return r;                                                                          \
	}

SHIM_GEN_EXECL(execl, execv, false)
SHIM_GEN_EXECL(execle, execve, true)

/* execlp searches PATH: the vector form that does is execvp */
int execlp(const char *file, const char *arg, ...)
{
	va_list ap, cp;
	size_t n;
	int idx, r;

	if (unlikely(!SHIM_BOUND(execvp)))
		return SHIM_FAIL_M1(ENOSYS);
	va_start(ap, arg);
	va_copy(cp, ap);
	n = count_args(arg, cp);
	va_end(cp);
	if (n >= INT_MAX) {
		va_end(ap);
		return SHIM_FAIL_M1(E2BIG);
	}
	char *argv[n + 1];
	gather(arg, ap, argv, n, false);
	va_end(ap);
	idx = leaving(file, environ, self_pid());
	r = SHIM_REAL(execvp)(file, argv);
	stayed(idx);
	return r;
}

/*
 * _Fork(3) (glibc 2.34): a fork that runs no atfork handlers, so its child
 * would be neither listed in the block nor know its own pid.
 */
pid_t _Fork(void)
{
	pid_t r;

	if (unlikely(!SHIM_BOUND(_Fork)))
		return SHIM_FAIL_M1(ENOSYS);
	r = SHIM_REAL(_Fork)();
	if (r == 0)
		shim_forked();
	return r;
}

/* posix_spawn(3): the child's pid is known once it runs */
int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
		const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	pid_t child = 0;
	int r;

	if (unlikely(!SHIM_BOUND(posix_spawn)))
		return SHIM_FAIL_RETERR(ENOSYS);
	r = SHIM_REAL(posix_spawn)(&child, path, fa, attr, argv, envp);
	if (r == 0)
		leaving(path, envp, (int)child);
	if (pid)
		*pid = child;
	return r;
}

int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
		 const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	pid_t child = 0;
	int r;

	if (unlikely(!SHIM_BOUND(posix_spawnp)))
		return SHIM_FAIL_RETERR(ENOSYS);
	r = SHIM_REAL(posix_spawnp)(&child, file, fa, attr, argv, envp);
	if (r == 0)
		leaving(file, envp, (int)child);
	if (pid)
		*pid = child;
	return r;
}
