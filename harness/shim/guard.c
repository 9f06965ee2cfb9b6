/*
 * The re-entry guard (STYLE "Shim rules" 3).
 *
 * dlsym() may call malloc, and a malloc interposer may log with write();
 * mapping the control block uses libc too. While the shim initialises, the
 * thread's depth is non-zero, and any wrapper reached from there calls
 * straight through to the real function (or fails with ENOSYS when that is
 * not bound yet) instead of deciding or recursing into initialisation.
 * [libfiu `_fiu_called`, libfaketime #130] The decision path itself calls
 * no wrapped function (control.c), so it takes no guard and a signal
 * handler interrupting it is decided normally.
 *
 * initial-exec TLS: the general-dynamic model would call __tls_get_addr,
 * which can allocate on a thread's first access, from inside malloc.
 */
#include "shim.h"

SHIM_TLS int shim_depth;
