/*
 * faultrun — child processes of a run: the target, exec probes, timeline
 * commands. Each child runs in its own process group, dies with faultrun
 * (PR_SET_PDEATHSIG), and is watched through a pidfd in the event loop.
 *
 * Nothing may survive faultrun, even when faultrun is SIGKILLed: a
 * sentinel process (fr_sentinel_start) holds the read end of a pipe;
 * faultrun tells it every process group and run it starts, and when the
 * pipe closes without an "all clear" (faultrun died), the sentinel kills
 * those groups and every process whose environment carries the run's
 * FAULTRUN_CTL (descendants that left the group with setsid/setpgid).
 */
#ifndef FAULTRUN_PROC_H
#define FAULTRUN_PROC_H

#include "io/launch.h"
#include "util/loop.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct fr_child;
/* status is a wait status (WIFEXITED ...) */
typedef void (*fr_child_fn)(struct fr_child *c, int status);

struct fr_child {
	pid_t pid; /* 0 when not running */
	int pidfd;
	struct fr_watch w;
	struct fr_loop *loop;
	fr_child_fn fn;
	void *arg;
};

struct fr_spawn {
	char *const *argv;	/* argv[0] looked up on PATH */
	const char *const *env; /* "K=V" added to faultrun's environment */
	size_t nenv;
	const char *cwd; /* NULL: inherit */
	int out_fd;	 /* stdout+stderr go here; -1: /dev/null */
	/* preload the shim: */
	const char *shim;     /* NULL: no shim */
	const char *ctl_path; /* FAULTRUN_CTL (also set without shim) */
	uint64_t seed;
	const struct fr_user *user; /* run as this user (io/launch.h); NULL: as we are */
};

/*
 * Start a child in its own process group and watch it: fn runs once
 * when it exits (after it was reaped). Returns 0, or -errno with a
 * one-line message in err (an exec failure is reported here: "cannot
 * run 'x': No such file or directory").
 */
int fr_child_spawn(struct fr_loop *l, struct fr_child *c, const struct fr_spawn *sp, fr_child_fn fn,
		   void *arg, char *err, size_t errlen);

/* Send sig to the child's process group (and the child). */
void fr_child_killpg(struct fr_child *c, int sig);

/* Stop watching without reaping (teardown of a loop); kills it first. */
void fr_child_abandon(struct fr_loop *l, struct fr_child *c);

/*
 * Kill every process of this user whose environment holds
 * FAULTRUN_CTL=ctl_path (except ourselves). Returns how many were signalled.
 */
int fr_sweep_env(const char *ctl_path, int sig);

/*
 * Become a child subreaper (PR_SET_CHILD_SUBREAPER): orphans of the run's
 * processes (a daemon that double-forked, left the session and cleared
 * its environment) are adopted by us instead of init, so they stay in
 * our tree for fr_kill_adopted and for the sentinel. Returns 0 or -errno.
 */
int fr_subreaper_start(void);

/*
 * SIGKILL and reap every child of this process that it did not start
 * itself (not a group given to fr_sentinel_group, not the sentinel):
 * orphans we adopted as a subreaper. Returns how many were killed.
 */
int fr_kill_adopted(void);

/*
 * Start the sentinel (once per process). Returns 0 or -errno. Besides
 * the groups and runs it is told about, it follows every descendant of
 * this process by pidfd and kills them all if we die.
 */
int fr_sentinel_start(void);
/* Tell it a process group to kill if we die (+) or that it is gone (-). */
void fr_sentinel_group(pid_t pgid, bool add);
/* Tell it a run's control-block path to sweep if we die (+) or not (-). */
void fr_sentinel_run(const char *ctl_path, bool add);

#endif /* FAULTRUN_PROC_H */
