/* Calls answered later: delay= and stall (sec_hold.c). */
#ifndef FAULTRUN_SEC_HOLD_H
#define FAULTRUN_SEC_HOLD_H

#include "sec_decide.h"

/*
 * Hold notification id, which v decided as SEC_DELAY or SEC_STALL (its
 * call: d). Returns 0 (held: answered by sec_hold_release), or a positive
 * errno the call must fail with now (a stall on a non-blocking socket:
 * EAGAIN), or -errno (not held: the caller lets the call go on).
 */
int sec_hold(struct fr_sec *s, uint64_t id, const struct seccomp_data *d,
	     const struct sec_verdict *v);

/*
 * Answer the held calls that are due (a delay's end, a stall's rule
 * cleared or window ended, a socket's timeout: EAGAIN). Returns how long
 * poll may wait for the next one, in ms (-1: nothing held).
 */
int sec_hold_release(struct fr_sec *s, struct fr_ctl *c);

/* Forget every held call (the serve loop ends) and free the list. */
void sec_hold_clear(struct fr_sec *s);

#endif /* FAULTRUN_SEC_HOLD_H */
