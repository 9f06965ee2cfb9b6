/* Calls faultrun makes for the target, and a socket's facts for a stall (sec_io.c). */
#ifndef FAULTRUN_SEC_IO_H
#define FAULTRUN_SEC_IO_H

#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdint.h>

/* Our copy of process tgid's fd (pidfd_getfd(2)), or -errno. The caller closes it. */
int sec_dup_fd(int tgid, int fd);

/* The bytes call d of thread tid asks to move: 0, or -errno (-ENOTSUP: a call we cannot size). */
int sec_io_want(int tid, const struct seccomp_data *d, uint64_t *want);

/* Whether faultrun can make call d with fewer bytes (sec_io_cut): a regular file, a stream socket. */
bool sec_io_cuttable(int tgid, const struct seccomp_data *d);

/*
 * Make call d (a read or a write of process tgid, thread tid) with `allow`
 * bytes of it on our copy of its fd: the count it moved, or -errno
 * (-EAGAIN: a socket had nothing, or no room; the caller then lets the
 * kernel make the call).
 */
int64_t sec_io_cut(int tgid, int tid, const struct seccomp_data *d, uint64_t allow);

/* A socket's SO_RCVTIMEO (send: SO_SNDTIMEO), in ns (0: none), and O_NONBLOCK. 0 or -errno. */
int sec_sock_hold_facts(int tgid, int fd, bool send, uint64_t *timeout_ns, bool *nonblock);

/*
 * What a send blackhole swallows before sends block: the socket's
 * SO_SNDBUF (stall.c's send_cap), at least 1.
 */
uint64_t sec_sock_sndbuf(int tgid, int fd);

/* then=close: shut process tgid's socket fd down both ways (shutdown(2)), as the shim does. */
void sec_sock_shut(int tgid, int fd);

/* reset: abort process tgid's socket fd as the shim does (a TCP peer gets a RST). */
void sec_sock_reset(int tgid, int fd);

#endif /* FAULTRUN_SEC_IO_H */
