/*
 * The seccomp user-notification backend (docs/seccomp.md): faults for
 * programs the preload cannot reach (static binaries, Go, raw system
 * calls). The command runs under a seccomp filter that sends the system
 * calls of the rules' operations to faultrun (SECCOMP_RET_USER_NOTIF,
 * seccomp_unotify(2)); faultrun decides each one against the same control
 * block, with the same rule semantics as the shim, and answers with an
 * errno or lets the call go on (SECCOMP_USER_NOTIF_FLAG_CONTINUE).
 *
 * Linked only into faultrun: it allocates and uses ordinary libc. It
 * includes harness/fault and harness/core/util, nothing above them.
 */
#ifndef FAULTRUN_SECCOMP_H
#define FAULTRUN_SECCOMP_H

#include <faultrun/control.h>
#include "attach.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct fr_sec;

/*
 * Whether this backend can do rule r: 0, or -ENOTSUP with one line in err
 * (no prefix) naming what it cannot do yet (errno=, delay=, short,
 * budget= and stall on sockets only; operations that are system calls).
 */
int fr_sec_rule_supported(const struct fr_rule *r, char *err, size_t len);

/*
 * The filter for rules[n] (every one supported): the system calls of
 * every operation they use, armed or not, since `faultrun ctl arm` may arm
 * them later. Returns 0 or -errno.
 */
int fr_sec_create(const struct fr_rule *rules, unsigned n, struct fr_sec **out);
void fr_sec_destroy(struct fr_sec *s);

/* The operations the filter sends to faultrun (FR_OPBIT mask). */
uint32_t fr_sec_ops(const struct fr_sec *s);

/*
 * In the child, after fork and before exec: PR_SET_NO_NEW_PRIVS, the
 * filter with a listener, then stop (SIGSTOP) until the parent has taken
 * the listener (fr_sec_take), then close the child's copy. No allocation.
 * Returns 0 or -errno.
 */
int fr_sec_child_install(struct fr_sec *s);

/*
 * In the parent: wait for the child pid to stop with its listener, take
 * the listener (pidfd_getfd(2)) and let the child go on. Returns 0, or
 * -errno with one line in err (the child has then exited or is killed).
 */
int fr_sec_take(struct fr_sec *s, pid_t pid, char *err, size_t len);

/*
 * Answer the notifications against c until the child pid has exited and
 * no process under the filter remains (a process left running would get
 * ENOSYS from every filtered call once nobody listens: seccomp_unotify(2)).
 * *wstatus: the child's wait status. Returns 0 or -errno.
 */
int fr_sec_serve(struct fr_sec *s, struct fr_ctl *c, pid_t pid, int *wstatus);

/* "the seccomp backend saw 2 processes (writer ×2)", into buf[len]. */
void fr_sec_describe(const struct fr_attach *a, char *buf, size_t len);

/*
 * Why rule idx of c never fired under this backend (its operation outside
 * the filter, an action it cannot do, no call met it...), into buf[len].
 */
void fr_sec_explain(const struct fr_sec *s, const struct fr_ctl *c, unsigned idx,
		    const struct fr_attach *a, char *buf, size_t len);

/*
 * Scenario runs (sec_thread.c): the runner reaps its units itself, in its
 * event loop, so the notifications are answered by a thread of faultrun
 * that never waits for a process: it answers until no process under the
 * filter remains (the listener hangs up) or fr_sec_thread_stop. Start it
 * after fr_sec_take, before the child execs (its exec is a notification).
 * s and c must outlive the thread. Returns 0 or -errno.
 */
struct fr_sec_thread;
int fr_sec_thread_start(struct fr_sec *s, struct fr_ctl *c, struct fr_sec_thread **out);
/* Whether the thread ended by itself (nobody is left under the filter). */
bool fr_sec_thread_done(const struct fr_sec_thread *t);
/*
 * Stop answering and join the thread (a process still under the filter
 * then gets ENOSYS from each filtered call: call it once the unit's
 * processes are gone). Returns the thread's result: 0 or -errno.
 */
int fr_sec_thread_stop(struct fr_sec_thread *t);

#endif /* FAULTRUN_SECCOMP_H */
