/*
 * faultrun — keeping every process of a run in hand, so that none outlives
 * the run or faultrun, even a SIGKILLed faultrun (docs/reliability.md).
 *
 * Two ways, the kernel's bookkeeping first:
 *
 * - a cgroup (cgroup v2): every process a run starts is put into the
 *   run's own cgroup between fork and exec, and its descendants are born
 *   there whatever they do (setsid, env -i, double fork). Ending the run
 *   is one write to cgroup.kill (Linux 5.14), waited for with
 *   cgroup.events. faultrun and its sentinel stay outside.
 * - where faultrun cannot make one (no cgroup2 mounted, a hierarchy that
 *   is not ours to write): faultrun is a child subreaper, so orphans of
 *   the run are adopted by it instead of init, and the sentinel follows
 *   every descendant of faultrun by pidfd every 100 ms.
 *
 * On both, process groups, PR_SET_PDEATHSIG and the sweep of processes
 * carrying the run's FAULTRUN_CTL (fr_sweep_env) still apply.
 */
#ifndef FAULTRUN_IO_REAP_H
#define FAULTRUN_IO_REAP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * The run's cgroup has two parts: what the run starts and stops on its
 * own (the target, probes, run steps) and its services (an embedded
 * MariaDB), which outlive the target until the run's end.
 */
enum fr_reap_part {
	FR_REAP_RUN,
	FR_REAP_SERVICE,
};

/*
 * A run begins (one at a time per process): its cgroup, or the
 * subreaper and the sentinel's watch; the sentinel learns the run's
 * FAULTRUN_CTL for its sweep. how gets what was chosen, for --verbose
 * ("in the cgroup /sys/fs/cgroup/...", "as a subreaper (...)").
 * FAULTRUN_REAP=subreaper in the environment forbids the cgroup, and
 * FAULTRUN_REAP=freeze pretends cgroup.kill is missing (both for tests).
 */
void fr_reap_begin(const char *ctl_path, char *how, size_t howlen);

/*
 * In a child between fork and exec: move into the current run's cgroup
 * (a no-op without one). Async-signal-safe. Returns 0 or -errno.
 */
int fr_reap_join(enum fr_reap_part part);

/*
 * The target is gone: kill every process of the run but its services
 * (the FR_REAP_RUN part of the cgroup, the processes carrying the run's
 * FAULTRUN_CTL, the orphans faultrun adopted) and reap what faultrun
 * adopted. A no-op when no run began.
 */
void fr_reap_stop(void);

/*
 * The run is over (its services stopped): kill whatever is left, remove
 * the cgroup, and tell the sentinel it need not clean up after the run.
 * A no-op when no run began.
 */
void fr_reap_end(void);

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
 * The live children of this process that it did not start itself
 * (adopted orphans, as fr_kill_adopted sees them), up to max into out;
 * adopted zombies are reaped on the way. Returns how many there are.
 */
size_t fr_adopted(pid_t *out, size_t max);

/*
 * Start the sentinel (once per process; -j workers share their parent's).
 * Returns 0 or -errno. When the pipe from faultrun closes (faultrun died)
 * it kills the cgroups, groups and runs it was told about, and, while a
 * run has no cgroup, every descendant of faultrun it has seen.
 */
int fr_sentinel_start(void);
/*
 * Whether the sentinel died (it never should before faultrun): then a
 * SIGKILLed faultrun would leave the run's processes behind. why says how
 * it ended. Once dead it stays so (a later run starts no other).
 */
bool fr_sentinel_lost(char *why, size_t len);
/*
 * At the end of faultrun: tell the sentinel the run is over and wait (at
 * most 2 s) for it to exit, so that nothing of faultrun's outlives it.
 */
void fr_sentinel_stop(void);
/* Tell it a process group to kill if we die (+) or that it is gone (-). */
void fr_sentinel_group(pid_t pgid, bool add);
/* Tell it a run's control-block path to sweep if we die (+) or not (-). */
void fr_sentinel_run(const char *ctl_path, bool add);
/* Tell it a run's cgroup to kill and remove if we die (+) or not (-). */
void fr_sentinel_cgroup(const char *dir, bool add);
/* A run without a cgroup begins (+) or ends (-): follow our descendants. */
void fr_sentinel_watch(bool add);

#endif /* FAULTRUN_IO_REAP_H */
