/* The disk model under the seccomp backend (sec_disk.c). */
#ifndef FAULTRUN_SEC_DISK_H
#define FAULTRUN_SEC_DISK_H

#include "sec_decide.h"

/* Disk rule i met call v: the first one is the call's disk (v->disk_rule), counted once. */
bool sec_disk_match(struct fr_ctl *c, unsigned i, struct sec_verdict *v);

/*
 * No rule injected and call d is in v->disk_rule's tree: charge or free
 * what it does to the disk. Returns v->inject (a write cut short up to
 * the last free block, SEC_CUT, or ENOSPC, SEC_FAIL).
 */
bool sec_disk_decide(struct fr_ctl *c, const struct sec_call *call, const struct seccomp_data *d,
		     struct sec_verdict *v);

/* The call moved `done` bytes (< 0: it failed or was not made): settle its charge. */
void sec_disk_settle(struct fr_ctl *c, const struct sec_verdict *v, int64_t done);

#endif /* FAULTRUN_SEC_DISK_H */
