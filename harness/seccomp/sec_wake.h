/* Waking edge-triggered epoll waiters when a stall ends (sec_wake.c). */
#ifndef FAULTRUN_SEC_WAKE_H
#define FAULTRUN_SEC_WAKE_H

#include "sec_decide.h"

/*
 * A stall answered EAGAIN on fd of process tgid (socket inode ino), in
 * rule's arming tag, whose window ends at until (0: none): remember it, so
 * that the end of the episode wakes the process's epoll registrations of
 * the socket.
 */
void sec_wake_note(struct fr_sec *s, int tgid, int fd, uint64_t ino, unsigned rule, uint64_t tag,
		   uint64_t until);

/*
 * Wake the sockets whose stall is over (rule disarmed, armed again, or the
 * window ended). Returns how long poll may wait before the next look, in
 * ms (-1: nothing noted).
 */
int sec_wake_due(struct fr_sec *s, struct fr_ctl *c);

/* Forget what was noted (the serve loop ends) and free the list. */
void sec_wake_clear(struct fr_sec *s);

#endif /* FAULTRUN_SEC_WAKE_H */
