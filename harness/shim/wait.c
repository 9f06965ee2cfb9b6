/*
 * Waiting out a verdict (a delay, a stall until the rule is cleared), and
 * marking a stdio stream failed as libc would: what the wrappers do once
 * control.c has decided.
 */
#include "shim.h"

#include <linux/futex.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>

void shim_sleep_ns(uint64_t ns)
{
	struct timespec ts;
	int saved = errno;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ns += (uint64_t)ts.tv_nsec;
	ts.tv_sec += (time_t)(ns / 1000000000ull);
	ts.tv_nsec = (long)(ns % 1000000000ull);
	/* absolute deadline: a signal does not restart the whole delay */
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
	errno = saved;
}

int shim_stall_wait(unsigned idx, uint64_t deadline_ns)
{
	struct fr_ctl *c = shim_ctl;
	int saved = errno, ret = 0;

	if (!c)
		return 0;
	for (;;) {
		uint32_t g = atomic_load_explicit(&c->generation, memory_order_acquire);
		struct timespec ts, *tp = NULL;

		if (!fr_ctl_armed(c, idx) ||
		    atomic_load_explicit(&c->disabled, memory_order_relaxed))
			break;
		if (deadline_ns) {
			uint64_t now = fr_now_ns();

			if (now >= deadline_ns) {
				ret = -ETIMEDOUT;
				break;
			}
			ts.tv_sec = (time_t)((deadline_ns - now) / 1000000000ull);
			ts.tv_nsec = (long)((deadline_ns - now) % 1000000000ull);
			tp = &ts;
		}
		/* shared futex (no FUTEX_PRIVATE_FLAG): the block is MAP_SHARED */
		if (fr_syscall(SYS_futex, &c->generation, FUTEX_WAIT, g, tp, NULL, 0) < 0 &&
		    errno == EINTR) {
			ret = -EINTR;
			break;
		}
	}
	errno = saved;
	return ret;
}

int shim_wait(const struct shim_verdict *v)
{
	switch (v->what) {
	case SHIM_DELAY:
		shim_sleep_ns(v->ns);
		return 0;
	case SHIM_STALL: {
		uint64_t deadline = v->ns ? fr_now_ns() + v->ns : 0;

		/* a blocking file call has no timeout of its own: ride out signals */
		while (shim_stall_wait(v->rule, deadline) == -EINTR)
			;
		return 0;
	}
	default:
		return 0;
	}
}

void shim_stdio_set_error(FILE *f)
{
#ifdef _IO_ERR_SEEN
	/*
	 * glibc: the flag ferror() and the ferror_unlocked() macro read and
	 * clearerr() resets, exactly as a failed internal write leaves it.
	 */
	if (f)
		f->_flags |= _IO_ERR_SEEN;
#else
	(void)f;
#endif
}
