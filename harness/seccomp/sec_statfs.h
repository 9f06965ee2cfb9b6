/* statfs and fstatfs over disk and budget rules (sec_statfs.c). */
#ifndef FAULTRUN_SEC_STATFS_H
#define FAULTRUN_SEC_STATFS_H

#include "sec_decide.h"

/*
 * Decide a statfs/fstatfs call: when a disk or budget rule covers it, the
 * adjusted result in v->sfs and v->what = SEC_STATFS. Never an injection
 * (returns false).
 */
bool sec_statfs_decide(struct fr_ctl *c, const struct sec_call *call, const struct seccomp_data *d,
		       struct sec_verdict *v);

/* Write v->sfs into the target's buffer: 0, or -errno for the call's answer. */
int sec_statfs_answer(const struct sec_verdict *v);

#endif /* FAULTRUN_SEC_STATFS_H */
