/*
 * libfaultrun's insides that `faultrun ctl` shares (it links the same
 * objects, not the .so): finding runs, and the control block behind a
 * handle, for what the public API does not cover (events, exec's
 * counts). Nothing here is exported from libfaultrun.so (faultrun.map).
 */
#ifndef FAULTRUN_LIB_INTERNAL_H
#define FAULTRUN_LIB_INTERNAL_H

#include <faultrun/faultrun.h>

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

struct fr_ctl;

/* What libfaultrun.so exports; faultrun.map lists the same names. */
#define FR_EXPORT __attribute__((visibility("default")))

/* A live run found in the run directories. */
struct frl_found {
	char ctl[PATH_MAX]; /* its control block */
	long pid;	    /* the faultrun process that made it */
};

/*
 * The live runs of this user (of faultrun process pid when pid > 0),
 * found in every base a run directory may be in: fills up to max of v and
 * returns how many there are.
 */
size_t frl_find_runs(long pid, struct frl_found *v, size_t max);

/* Attach to the control block file at ctl (no directory lookup). */
int frl_attach_block(const char *ctl, struct fr_run **out);

/* The mapped block behind a handle. */
struct fr_ctl *frl_block(const struct fr_run *run);

/*
 * Whether the run is over: the process that made its block is gone, or
 * the block's file was removed or replaced (exec removes its run
 * directory when its command has exited).
 */
bool frl_run_ended(const struct fr_run *run);

#endif /* FAULTRUN_LIB_INTERNAL_H */
