/* close-after=DURATION under the seccomp backend (sec_limit.c). */
#ifndef FAULTRUN_SEC_LIMIT_H
#define FAULTRUN_SEC_LIMIT_H

#include "sec_decide.h"

/*
 * Rule i (close-after=DURATION) on the socket call v: true when it ends
 * the connection now (SEC_RESET, or SEC_SHUT for then=close) or answers
 * for a connection it closed (a recv reads 0).
 */
bool sec_limit_decide(struct fr_sec *s, struct fr_ctl *c, unsigned i, struct sec_verdict *v);

/* Forget every connection (the serve loop ends). */
void sec_limit_clear(struct fr_sec *s);

#endif /* FAULTRUN_SEC_LIMIT_H */
