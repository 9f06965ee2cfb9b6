/*
 * Starting a program under the shim: what `faultrun exec` and the scenario
 * runner share. See docs/limitations.md for what cannot be preloaded.
 */
#ifndef FAULTRUN_LAUNCH_H
#define FAULTRUN_LAUNCH_H

#include <stddef.h>
#include <sys/types.h>
#include <stdint.h>

/*
 * Find cmd on PATH (as execvp would) and check that the shim can reach it:
 * an ELF with a PT_INTERP (dynamically linked), not setuid/setgid, not a Go
 * binary. Scripts (#!) are checked through their interpreter.
 * Returns 0 and the resolved path, -ENOENT when there is no such program,
 * -ENOTSUP when it cannot be preloaded; err holds a one-line message
 * ("'x' is statically linked: ...").
 */
int fr_launch_check(const char *cmd, char *resolved, size_t rlen, char *err, size_t errlen);

/*
 * The shim to preload: $FAULTRUN_SHIM, else libfaultshim.so next to the
 * running faultrun in a build tree (../shim/), else the installed one.
 */
const char *fr_shim_path(void);

/*
 * Set up the current process's environment for a target (call in the
 * child after fork, or before exec): LD_PRELOAD with the shim prepended
 * (after libasan/libtsan if those are first already), FAULTRUN_CTL,
 * FAULTRUN_SEED, UV_USE_IO_URING=0 (libuv would bypass libc file I/O).
 * faultrun's own settings (FAULTRUN_SHIM, FAULTRUN_TARGETS,
 * FAULTRUN_MARIADBD, FAULTRUN_MARIADB_INSTALL_DB) are removed: they are
 * for faultrun, and a target must see what a shell would give it.
 * Returns 0 or -errno.
 */
int fr_launch_setenv(const char *shim, const char *ctl_path, uint64_t seed);

/*
 * The same changes, made through ops (setenv and unsetenv's meaning, 0 or
 * -errno) instead of to this process's environment, reading LD_PRELOAD
 * and ASAN_OPTIONS from it: for an environment built for execve.
 */
struct fr_env_ops {
	int (*set)(void *arg, const char *name, const char *value);
	int (*unset)(void *arg, const char *name);
	void *arg;
};

int fr_launch_env(const struct fr_env_ops *ops, const char *shim, const char *ctl_path,
		  uint64_t seed);

/*
 * faultrun's own descriptors must not reach a target, a probe or a run
 * step: libraries open some without O_CLOEXEC (libcurl's wake-up
 * socketpair, for one). fr_launch_note_fds(), first thing in main(), notes
 * the descriptors faultrun was started with that a child would inherit
 * (a shell passes those on, and so do we); fr_launch_close_fds(), in a
 * child between fork and exec, marks every other descriptor above 2
 * close-on-exec (close_range(2) CLOSE_RANGE_CLOEXEC).
 */
void fr_launch_note_fds(void);
void fr_launch_close_fds(void);

/*
 * Set "_" to the program that argv0 names, as a shell does before it
 * execs a command (found on PATH when argv0 has no '/'): some supervisors
 * re-run themselves through "$_" (PM2's recovery runs `node $_ update`).
 * Call in the child just before exec. Returns 0 or -errno.
 */
int fr_launch_set_underscore(const char *argv0);

/*
 * Create a private run directory (0700) under $XDG_RUNTIME_DIR or /tmp,
 * named faultrun-<uid>/<tag>-<pid>-XXXXXX, and write its path to out.
 * Stale run directories whose owning pid is dead are removed first.
 */
/*
 * Why the last fr_rundir_create{,_for} failed, naming the directory ("'...'
 * is open to other users (mode 755): refused; make it 0700"); strerror(-err)
 * when nothing more is known.
 */
const char *fr_rundir_why(int err);

int fr_rundir_create(const char *tag, char *out, size_t len);

/*
 * A target that runs as another user (target.user, exec --user): who it
 * is, resolved once in faultrun, so the child needs no name service
 * between fork and exec.
 */
struct fr_user {
	char name[64];
	uid_t uid;
	gid_t gid;
	gid_t groups[64];
	int ngroups;
	char home[256];
};

/*
 * Look name up (a user name or a numeric uid). Running as another user
 * needs root: -EPERM with a message otherwise, unless name is our own
 * user. Returns 0, or -errno with one line in err.
 */
int fr_user_lookup(const char *name, struct fr_user *u, char *err, size_t errlen);

/*
 * A run directory that user u can use and nobody else but us: in u's own
 * base (/tmp/faultrun-<uid>, made u's, 0700, when missing), owned by u,
 * 0700. u NULL: fr_rundir_create. Returns 0 or -errno.
 */
int fr_rundir_create_for(const char *tag, const struct fr_user *u, char *out, size_t len);

/* Give path to u (lchown): the control block, for u's processes to map it. */
int fr_user_give(const struct fr_user *u, const char *path);

/*
 * In a child between fork and exec: take u's groups, gid and uid, and
 * HOME, USER and LOGNAME. Returns 0 or -errno.
 */
int fr_user_become(const struct fr_user *u);

/* Remove a run directory and everything in it (no symlinks followed). */
int fr_rundir_remove(const char *dir);

/* The directory holding every run directory of this user. */
int fr_rundir_base(char *out, size_t len);

/*
 * The same for run directories that only hold a control block (`faultrun
 * exec`): on a tmpfs when there is one (/dev/shm/faultrun-<uid>), since
 * they are made and removed for every command. `faultrun ctl` looks in
 * both. fr_rundir_create_mem makes one (another user u: as
 * fr_rundir_create_for).
 */
int fr_rundir_base_mem(char *out, size_t len);
int fr_rundir_create_mem(const char *tag, const struct fr_user *u, char *out, size_t len);

/* The pid in a run directory's name "<tag>-<pid>-XXXXXX": 0, or -EINVAL. */
int fr_rundir_pid(const char *name, long *pid);

#endif /* FAULTRUN_LAUNCH_H */
