/*
 * libfaultrun: steer a running `faultrun exec` (or scenario run) from a
 * program: list its rules with their counters, arm and disarm them, add
 * and remove rules. What `faultrun ctl` does, as a C API.
 *
 * Every function returns 0 (or a count) on success and a negative errno
 * value on failure, as the kernel does; nothing prints and nothing exits.
 * A handle is not thread-safe: use one per thread (several handles, in
 * any processes, may change one run at once: the run's control block is
 * made for that). See docs/exec-and-ctl.md for an example in C and one
 * in Python (ctypes).
 *
 * The symbols are versioned (FAULTRUN_1); the library's SONAME is
 * libfaultrun.so.1. Build with `pkg-config --cflags --libs faultrun`.
 */
#ifndef FAULTRUN_FAULTRUN_H
#define FAULTRUN_FAULTRUN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A run attached to; opaque. */
struct fr_run;

/* Room for a rule's name and its SPEC text, NUL included. */
#define FR_RUN_NAME_MAX 64
#define FR_RUN_SPEC_MAX 1024

/* One rule of a run, as fr_run_rules() reports it. */
struct fr_run_rule {
	char name[FR_RUN_NAME_MAX];
	char spec[FR_RUN_SPEC_MAX]; /* the rule written back as a SPEC */
	int armed;		    /* 1 while the rule is in force */
	uint64_t matched;	    /* calls that met every selector */
	uint64_t injected;	    /* calls made to fail, stall... */
	uint64_t bytes;		    /* bytes through matching writes and sends */
};

/*
 * Attach to the run of process pid: the `faultrun` process of the run
 * (exec's pid), or any process inside the run (its FAULTRUN_CTL).
 * -ESRCH: no such process; -ENOENT: it has no run this user can open.
 */
int fr_run_attach_pid(pid_t pid, struct fr_run **out);

/* Attach to the run whose directory (or control block file) is path. */
int fr_run_attach_dir(const char *path, struct fr_run **out);

/*
 * Attach to the run the calling process is part of ($FAULTRUN_CTL, which
 * faultrun puts in the environment of every process of a run).
 * -ENOENT when it is not set.
 */
int fr_run_attach_env(struct fr_run **out);

/* Let go of the run (the run goes on); NULL is a no-op. */
void fr_run_detach(struct fr_run *run);

/* The path of the run's control block; valid until fr_run_detach. */
const char *fr_run_path(const struct fr_run *run);

/* The run's seed (probability= and jitter= draws derive from it). */
uint64_t fr_run_seed(const struct fr_run *run);

/*
 * The run's rules, in the order they were added: fills up to max entries
 * of rules and returns how many rules there are (more than max: call
 * again with more room). rules may be NULL when max is 0.
 */
int fr_run_rules(struct fr_run *run, struct fr_run_rule *rules, size_t max);

/* The rule called name (exactly): 0, or -ENOENT. */
int fr_run_rule(struct fr_run *run, const char *name, struct fr_run_rule *out);

/*
 * Arm or disarm every rule whose name matches pattern (a glob: '*', '?',
 * [a-z]; a plain name matches itself). Every process of the run sees it
 * at once; calls stalled by the rule are released. Returns how many
 * rules matched (>= 1), or -ENOENT when none did. Arming a rule again
 * gives a budget or disk rule its configured space back.
 */
int fr_run_arm(struct fr_run *run, const char *pattern);
int fr_run_disarm(struct fr_run *run, const char *pattern);

/* fr_run_add flags */
#define FR_RUN_PAUSED 1u /* add the rule disarmed (fr_run_arm it later) */

/*
 * Add a rule from a SPEC ("name=disk write errno=ENOSPC path=/data/log",
 * docs/faults.md), armed unless FR_RUN_PAUSED. Returns 0, or -EINVAL (a
 * bad SPEC), -EEXIST (its name is taken), -ENOSPC (the run has 64 rules,
 * removed ones included); err (when not NULL) gets a one-line reason.
 */
int fr_run_add(struct fr_run *run, const char *spec, unsigned flags, char *err, size_t errlen);

/*
 * Remove the rule called name (exactly): it is disarmed and no longer
 * listed, and its name may be used again. Its slot is not given back
 * (a run holds at most 64 rules over its life). 0, or -ENOENT.
 */
int fr_run_remove(struct fr_run *run, const char *name);

#ifdef __cplusplus
}
#endif

#endif /* FAULTRUN_FAULTRUN_H */
