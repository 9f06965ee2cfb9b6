/* Deciding one notified call (sec_decide.c). */
#ifndef FAULTRUN_SEC_DECIDE_H
#define FAULTRUN_SEC_DECIDE_H

#include "sec_internal.h"

#include <linux/seccomp.h>

struct sec_verdict {
	int tid, tgid;	  /* in: the calling thread and its process */
	bool read_target; /* out: the target's state was read (check the id is still valid) */
	bool inject;	  /* out: fail the call with err */
	int err;	  /* errno */
	unsigned rule;	  /* the slot that injects */
	enum fr_op op;	  /* the operation the call was decided as */
	uint64_t counted; /* slots fr_ctl_fire counted a match in */
	char where[FR_CTL_WHERE_MAX * 2]; /* the path or peer, for the event */
};

/*
 * Decide the call d (its thread in v->tid, v->tgid): counts in c as the
 * shim does. Returns v->inject.
 */
bool sec_decide(struct fr_ctl *c, const struct seccomp_data *d, struct sec_verdict *v);

/* Take back what sec_decide counted: the call never completed (the target was killed). */
void sec_undo(struct fr_ctl *c, const struct sec_verdict *v);

#endif /* FAULTRUN_SEC_DECIDE_H */
