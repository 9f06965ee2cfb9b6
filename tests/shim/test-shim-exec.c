/*
 * Per-function tests of the exec family, one cmocka test per wrapped.def
 * entry (fncase.h): each entry point starts /bin/true twice, once with an
 * environment that keeps the run and once with one that drops
 * FAULTRUN_CTL. Only the second is listed in the control block as having
 * left the run, under the new program's pid and name; the exec itself
 * behaves as without the shim.
 */
#define _GNU_SOURCE
#include "fncase.h"

#include <spawn.h>

extern char **environ;

#define PROG "/bin/true"

/* the environment without FAULTRUN_CTL (static: the child execs it) */
static char *const *stripped(void)
{
	static char *env[256];
	size_t n = 0;

	for (char **e = environ; *e && n < 255; e++)
		if (strncmp(*e, FR_CTL_ENV "=", sizeof(FR_CTL_ENV)) != 0)
			env[n++] = *e;
	env[n] = NULL;
	return env;
}

/* Whether the block lists pid as having left the run, as "true". */
static bool listed_left(pid_t pid)
{
	uint32_t n = atomic_load(&st_ctl->nprocs);

	for (uint32_t i = 0; i < n && i < FR_CTL_PROCS; i++) {
		const struct fr_ctl_proc *p = &st_ctl->procs[i];

		if (atomic_load(&((struct fr_ctl_proc *)p)->state) == FR_PROC_LEFT &&
		    p->pid == pid && !strcmp(p->exe, "true"))
			return true;
	}
	return false;
}

/* Start PROG through how(): strip decides the environment. 0, or -1. */
static int fork_exec(void (*how)(bool strip), bool strip, pid_t *child)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		how(strip);
		_exit(126); /* the exec failed */
	}
	*child = pid;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -1;
	return 0;
}

/* The case: a clean exec is not listed, a stripped one is. */
static int exec_case(void (*how)(bool strip))
{
	pid_t kept = 0, left = 0;
	int r = CALL(fork_exec(how, false, &kept) || fork_exec(how, true, &left) ? -1 : 0);

	if (r < 0)
		return WRONG("%s did not run", PROG);
	if (listed_left(kept))
		return WRONG("an exec that keeps the run was listed as leaving it");
	if (!listed_left(left))
		return WRONG("an exec without FAULTRUN_CTL was not listed as leaving the run");
	return 0;
}

static char *const argv_true[] = { "true", NULL };

static void with_environ(bool strip)
{
	if (strip)
		unsetenv(FR_CTL_ENV);
}

static void do_execve(bool strip)
{
	execve(PROG, argv_true, strip ? stripped() : environ);
}
static void do_execv(bool strip)
{
	with_environ(strip);
	execv(PROG, argv_true);
}
static void do_execvp(bool strip)
{
	with_environ(strip);
	execvp("true", argv_true);
}
static void do_execvpe(bool strip)
{
	execvpe("true", argv_true, strip ? stripped() : environ);
}
static void do_execl(bool strip)
{
	with_environ(strip);
	execl(PROG, "true", (char *)NULL);
}
static void do_execlp(bool strip)
{
	with_environ(strip);
	execlp("true", "true", (char *)NULL);
}

static void do_execle(bool strip)
{
	execle(PROG, "true", (char *)NULL, strip ? stripped() : environ);
}

static void do_fexecve(bool strip)
{
	int fd = open(PROG, O_RDONLY | O_CLOEXEC);

	fexecve(fd, argv_true, strip ? stripped() : environ);
}

CASE(execve)
{
	(void)p;
	return exec_case(do_execve);
}
CASE(execv)
{
	(void)p;
	return exec_case(do_execv);
}
CASE(execvp)
{
	(void)p;
	return exec_case(do_execvp);
}
CASE(execvpe)
{
	(void)p;
	return exec_case(do_execvpe);
}
CASE(execl)
{
	(void)p;
	return exec_case(do_execl);
}
CASE(execlp)
{
	(void)p;
	return exec_case(do_execlp);
}
CASE(execle)
{
	(void)p;
	return exec_case(do_execle);
}
CASE(fexecve)
{
	(void)p;
	return exec_case(do_fexecve);
}

/* posix_spawn: the child's pid comes back; a stripped spawn is listed under it */
static int spawn_case(bool path_search)
{
	pid_t kept = 0, left = 0;
	int st1 = 1, st2 = 1, r;
	const char *prog = path_search ? "true" : PROG;

	r = CALL(path_search ? posix_spawnp(&kept, prog, NULL, NULL, argv_true, environ) :
			       posix_spawn(&kept, prog, NULL, NULL, argv_true, environ));
	if (r)
		return WRONG("posix_spawn: %s", strerror(r));
	r = path_search ? posix_spawnp(&left, prog, NULL, NULL, argv_true, stripped()) :
			  posix_spawn(&left, prog, NULL, NULL, argv_true, stripped());
	if (r)
		return WRONG("posix_spawn (stripped): %s", strerror(r));
	waitpid(kept, &st1, 0);
	waitpid(left, &st2, 0);
	if (st1 || st2)
		return WRONG("%s failed", prog);
	if (listed_left(kept))
		return WRONG("a spawn that keeps the run was listed as leaving it");
	if (!listed_left(left))
		return WRONG("a spawn without FAULTRUN_CTL was not listed as leaving the run");
	return 0;
}

CASE(posix_spawn)
{
	(void)p;
	return spawn_case(false);
}
CASE(posix_spawnp)
{
	(void)p;
	return spawn_case(true);
}

/* Whether the block lists pid as a fork of an attached process. */
static bool listed_forked(pid_t pid)
{
	uint32_t n = atomic_load(&st_ctl->nprocs);

	for (uint32_t i = 0; i < n && i < FR_CTL_PROCS; i++) {
		const struct fr_ctl_proc *p = &st_ctl->procs[i];

		if (atomic_load(&((struct fr_ctl_proc *)p)->state) == FR_PROC_FORKED &&
		    p->pid == pid)
			return true;
	}
	return false;
}

/* _Fork runs no atfork handler: the wrapper lists the child itself */
CASE(_Fork)
{
	int status = -1;
	pid_t pid;

	(void)p;
	pid = CALL(_Fork());
	if (pid < 0)
		return WRONG("_Fork: %s", strerror(errno));
	if (pid == 0)
		_exit(0);
	if (waitpid(pid, &status, 0) != pid || status != 0)
		return WRONG("the child of _Fork did not exit 0");
	if (!listed_forked(pid))
		return WRONG("the child of _Fork is not listed in the block");
	return 0;
}

#define WRAP(name, ret, params, args, op, shape, fail, errnos)
#define WRAP_EXEC(name, ret, params, args, op, shape, fail, errnos) \
	{ #name, ST_OP_##op, errnos, case_##name },
static const struct st_case cases[] = {
#include "wrapped.def"
};

int main(int argc, char **argv)
{
	st_init(argc, argv);
	return run_cases("shim-exec", cases, sizeof(cases) / sizeof(cases[0]));
}
