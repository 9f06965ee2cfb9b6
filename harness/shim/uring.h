/* io_uring_setup(2) through syscall(): uring.c. */
#ifndef FAULTRUN_SHIM_URING_H
#define FAULTRUN_SHIM_URING_H

#include <stdbool.h>

/*
 * Whether an armed io_uring rule fails this setup (a delay has been
 * waited out otherwise): true with the errno in *err. errno kept.
 */
bool shim_uring_refuse(int *err);

/* A ring was set up: counted in the control block (uring_setups, uring_pid). errno kept. */
void shim_uring_seen(void);

#endif /* FAULTRUN_SHIM_URING_H */
