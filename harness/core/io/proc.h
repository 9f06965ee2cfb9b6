/*
 * faultrun — child processes of a run: the target, exec probes, timeline
 * commands. Each child runs in its own process group, dies with faultrun
 * (PR_SET_PDEATHSIG), and is watched through a pidfd in the event loop.
 *
 * Nothing may survive faultrun, even when faultrun is SIGKILLed: each
 * child also joins the run's cgroup, and the sentinel kills what is left
 * of a dead faultrun's runs (io/reap.h).
 */
#ifndef FAULTRUN_PROC_H
#define FAULTRUN_PROC_H

#include "io/launch.h"
#include "io/reap.h"
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
	/*
	 * keep_group: its exit does not take its process group with it (a
	 * daemon's command); group_left: when it exited, processes of its
	 * group were still running.
	 */
	bool keep_group, group_left;
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
	/*
	 * FAULTRUN_UNIT: what of the run the child belongs to ("target", a
	 * service's name, "probe", "step"); its daemons inherit it, so an
	 * orphan faultrun adopts can be told apart (run/starting.c). NULL: none.
	 */
	const char *unit;
	/*
	 * A unit under the seccomp backend (run/backend.c): child_hook runs in
	 * the child after its environment is set, before it becomes its user
	 * and execs (it installs the filter and stops); parent_hook runs in
	 * the parent right after the fork, before the exec is waited for (it
	 * takes the listener and starts answering, so that the exec, which the
	 * filter sends to faultrun, is answered). Each returns 0 or -errno
	 * (parent_hook with one line in err). NULL: none.
	 */
	int (*child_hook)(void *arg);
	int (*parent_hook)(void *arg, pid_t pid, char *err, size_t errlen);
	void *hook_arg;
};

/*
 * Start a child in its own process group and watch it: fn runs once
 * when it exits (after it was reaped). Returns 0, or -errno with a
 * one-line message in err (an exec failure is reported here: "cannot
 * run 'x': No such file or directory").
 */
int fr_child_spawn(struct fr_loop *l, struct fr_child *c, const struct fr_spawn *sp, fr_child_fn fn,
		   void *arg, char *err, size_t errlen);

/*
 * Watch pid, a process this one did not start (a daemon's main process,
 * adopted as a subreaper, or named by a pidfile), as a child: fn runs
 * once when it exits. Its exit status is known only when it is our child
 * (adopted); otherwise fn gets a plain exit 0. Returns 0 or -errno.
 */
int fr_child_adopt(struct fr_loop *l, struct fr_child *c, pid_t pid, fr_child_fn fn, void *arg);

/* Send sig to the child's process group (and the child). */
void fr_child_killpg(struct fr_child *c, int sig);

/* Stop watching without reaping (teardown of a loop); kills it first. */
void fr_child_abandon(struct fr_loop *l, struct fr_child *c);

/* pidfd_open(2) of pid, or -1 with errno (Linux 5.3). */
int fr_pidfd_open(pid_t pid);

/*
 * The parent and the start time (clock ticks after boot) of pid, from
 * /proc/PID/stat (proc(5) fields 4 and 22). Calls only open, read and
 * close: a forked child (the sentinel) may use it whatever its parent
 * was doing. Returns 0, or -errno (-ENOENT: gone, -EINVAL: unreadable).
 */
int fr_proc_stat(pid_t pid, pid_t *ppid, unsigned long long *start);

/*
 * The value of variable name in pid's environment (read whole from
 * /proc, however large), truncated to len: 1 when set, 0 when not,
 * -ENODATA when the environment reads empty or cannot be read (started
 * with `env -i`, gone, or in the middle of an exec), -EINVAL for a bad
 * name.
 */
int fr_proc_getenv(pid_t pid, const char *name, char *out, size_t len);

#define FR_UNIT_ENV "FAULTRUN_UNIT"

/*
 * Kill every process of this user whose environment holds
 * FAULTRUN_CTL=ctl_path (except ourselves). Returns how many were signalled.
 */
int fr_sweep_env(const char *ctl_path, int sig);

#endif /* FAULTRUN_PROC_H */
