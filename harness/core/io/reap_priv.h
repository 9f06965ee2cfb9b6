/*
 * faultrun — what the two halves of io/reap share: reap.c (the run's
 * cgroup) and reap_sentinel.c (the subreaper and the sentinel, which
 * kills a dead faultrun's cgroups). Private to io/.
 */
#ifndef FAULTRUN_IO_REAP_PRIV_H
#define FAULTRUN_IO_REAP_PRIV_H

#include <stdbool.h>

/*
 * SIGKILL every process in the cgroup dir and its descendants: one write
 * to cgroup.kill; where that file is missing (before Linux 5.14), or
 * with FAULTRUN_REAP=freeze, freeze the cgroup (cgroup.freeze, 5.2) and
 * kill each process in cgroup.procs until none is left. Waits up to
 * timeout_ms for cgroup.events to say "populated 0"; true when it did.
 */
bool fr_cgroup_kill(const char *dir, int timeout_ms);

/* rmdir the cgroup dir and every cgroup below it. Returns 0 or -errno. */
int fr_cgroup_remove(const char *dir);

#endif /* FAULTRUN_IO_REAP_PRIV_H */
