/*
 * io_uring_setup(2), seen through syscall(): glibc has no wrapper for it,
 * so a program that makes its own rings (libuv with UV_USE_IO_URING=1, a
 * hand-written ring) calls syscall(SYS_io_uring_setup, ...) and reaches
 * wrap_sys.c, which hands that one number here.
 *
 * Reads and writes submitted through a ring are done by the kernel: no
 * read() or write() call is made, so no file or socket rule can see them.
 * Two things follow:
 *
 *  - an `io_uring errno=ENOSYS` rule (or EPERM, ENOMEM...) fails the
 *    setup, as a kernel without io_uring or with it disabled would, and
 *    the program falls back to plain calls, which the rules do see;
 *  - a ring that was set up is counted in the control block
 *    (uring_setups, and the first process's pid in uring_pid), so faultrun
 *    can say that the run's I/O may have bypassed it.
 *
 * liburing (2.2 and later on x86-64, Debian's 2.3 included) makes its
 * system calls with the `syscall` instruction itself, not through libc:
 * neither happens for its rings (docs/limitations.md; the seccomp backend
 * sees them).
 */
#include "shim.h"
#include "uring.h"

bool shim_uring_refuse(int *err)
{
	struct fr_ctl *c = shim_ctl;
	struct shim_verdict v;

	if (!c || shim_depth > 0)
		return false;
	if (shim_decide_mask(c, FR_OP_IO_URING, shim_armed_rules(c, FR_OP_IO_URING), 0,
			     SHIM_NOBUDGET, "io_uring_setup", NULL, &v) == SHIM_PASS)
		return false;
	if (!shim_gate(&v, SHIM_FAILS_PATH))
		return false;
	*err = v.err;
	return true;
}

void shim_uring_seen(void)
{
	struct fr_ctl *c = shim_ctl;
	int32_t none = 0;

	if (!c)
		return;
	atomic_fetch_add_explicit(&c->uring_setups, 1, memory_order_relaxed);
	atomic_compare_exchange_strong_explicit(&c->uring_pid, &none, shim_self_pid(),
						memory_order_relaxed, memory_order_relaxed);
}
