/*
 * faultrun exec's start of its command under the shim (exec_spawn.c).
 */
#ifndef FR_EXEC_SPAWN_H
#define FR_EXEC_SPAWN_H

#include "io/launch.h"

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* env(1)'s statuses for exec's own failures (cmd_exec.c's header) */
enum {
	FR_SPAWN_OWN_ERROR = 125,
	FR_SPAWN_CANNOT_RUN = 126,
	FR_SPAWN_NOT_FOUND = 127,
};

struct fr_spawn {
	const char *path; /* the resolved program (fr_launch_check) */
	char **argv;
	const char *shim, *ctlpath; /* for fr_launch_setenv */
	uint64_t seed;
	const struct fr_user *user; /* NULL: stay who we are */
	/* dispositions the command gets back: old[i] for signal sig[i] */
	const int *sig;
	const struct sigaction *old;
	size_t nsig;
	/*
	 * When set, the child's pid is stored here before faultrun's signals
	 * are unblocked: a SIGTERM that came while they were blocked finds it
	 * and is passed on to the command (cmd_exec.c's on_signal).
	 */
	volatile sig_atomic_t *pid_out;
	/* filled by fr_spawn */
	char **envp;
	volatile int failed, err;
};

/*
 * Start s->path as the command (vfork and execve, see exec_spawn.c): its
 * environment is faultrun's with the shim's variables (fr_launch_setenv),
 * `_`, and the user's HOME, USER and LOGNAME; it becomes s->user, keeps
 * only the descriptors faultrun was given (fr_launch_close_fds) and dies
 * with faultrun. Returns the child's pid, whose exit status is 125, 126
 * or 127 when it could not become the user or run the program (said on
 * stderr here), or -1 (said) when no child was made.
 */
pid_t fr_spawn(struct fr_spawn *s);

#endif
