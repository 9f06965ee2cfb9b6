/*
 * syscall(): programs that reach the kernel through libc's generic entry
 * point rather than the named wrapper. It never injects; it only keeps the
 * fd table true, because what it closes, duplicates or opens the other
 * wrappers never see:
 *
 *  - libuv closes every fd with syscall(SYS_close, fd)
 *    (uv__close_nocancel in src/unix/core.c, to avoid close()'s
 *    cancellation point), so Node's closes reach the kernel only here;
 *  - a closed file's number is then reused by the next fd, which may
 *    arrive in a way the table cannot tell apart from the old file
 *    (recvmsg(2) SCM_RIGHTS, pidfd_getfd(2)): the socket inherited the log
 *    file's verdict and failed with ENOSPC;
 *  - Python's ctypes, Go's cgo, and any library may do the same.
 *
 * So the close family forgets, the dup family copies, the opens record (a
 * path rule still matches a file opened with syscall(SYS_openat)), every
 * call that creates an fd forgets the number it returns, and recvmsg /
 * recvmmsg forget the fds they received. Every other system call is
 * passed on untouched: the caller sees exactly the real call's result
 * and errno (saved around the bookkeeping).
 *
 * One call is decided: io_uring_setup, the only way to make a ring
 * without liburing (uring.c), which an `io_uring` rule can fail and
 * whose rings are counted. The test for its number is the only thing
 * every other call pays.
 *
 * Like glibc's own syscall(), the wrapper reads six long arguments
 * whatever the call takes (the kernel ignores the extra registers) and
 * passes all six on.
 */
#include "shim.h"
#include "uring.h"

#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

/* Calls whose result is a new fd (when >= 0). */
static inline bool returns_fd(long nr)
{
	switch (nr) {
	case SYS_socket:
	case SYS_accept:
	case SYS_accept4:
	case SYS_eventfd2:
	case SYS_timerfd_create:
	case SYS_signalfd4:
	case SYS_epoll_create1:
	case SYS_inotify_init1:
	case SYS_memfd_create:
	case SYS_pidfd_open:
	case SYS_pidfd_getfd:
	case SYS_fanotify_init:
	case SYS_userfaultfd:
	case SYS_perf_event_open:
	case SYS_open_by_handle_at:
	case SYS_open_tree:
	case SYS_fsopen:
	case SYS_fsmount:
	case SYS_fspick:
	case SYS_io_uring_setup:
	case SYS_mq_open:
#ifdef SYS_eventfd
	case SYS_eventfd:
#endif
#ifdef SYS_signalfd
	case SYS_signalfd:
#endif
#ifdef SYS_epoll_create
	case SYS_epoll_create:
#endif
#ifdef SYS_inotify_init
	case SYS_inotify_init:
#endif
		return true;
	default:
		return false;
	}
}

/*
 * Whether track() has anything to do after system call nr: a quick test
 * (GCC makes a bit test of it) so that the calls programs make most often
 * through syscall() (futex, getrandom, gettid...) skip even errno's save.
 */
static inline bool tracked(long nr)
{
	switch (nr) {
	case SYS_close:
	case SYS_close_range:
	case SYS_dup:
#ifdef SYS_dup2
	case SYS_dup2:
#endif
	case SYS_dup3:
	case SYS_fcntl:
#ifdef SYS_open
	case SYS_open:
#endif
#ifdef SYS_creat
	case SYS_creat:
#endif
	case SYS_openat:
	case SYS_openat2:
#ifdef SYS_pipe
	case SYS_pipe:
#endif
	case SYS_pipe2:
	case SYS_socketpair:
	case SYS_recvmsg:
	case SYS_recvmmsg:
	case SYS_listen:
		return true;
	default:
		return returns_fd(nr);
	}
}

/*
 * Whether system call nr (first argument a0), having returned 0, is the
 * child of a new process with memory of its own: fork, or clone/clone3
 * without CLONE_VM (clone(2); clone3 takes a struct clone_args whose
 * first field is the flags). vfork and CLONE_VM children share ours.
 */
static inline bool forked(long nr, long a0)
{
	switch (nr) {
#ifdef SYS_fork
	case SYS_fork:
		return true;
#endif
	case SYS_clone:
		return !(a0 & CLONE_VM);
#ifdef SYS_clone3
	case SYS_clone3:
		return a0 && !(*(const uint64_t *)a0 & CLONE_VM);
#endif
	default:
		return false;
	}
}

/* The fd table after system call nr with arguments a returned r. */
static __attribute__((noinline)) void track(long nr, long r, const long *a)
{
	int saved = errno;

	switch (nr) {
	case SYS_close:
		/* gone even when the close reports EINTR or EIO (close(2)) */
		shim_fd_forget((int)a[0]);
		break;
	case SYS_close_range:
		if (r == 0 && !(a[2] & CLOSE_RANGE_CLOEXEC))
			shim_fd_forget_range((unsigned)a[0], (unsigned)a[1]);
		break;
	case SYS_dup:
		if (r >= 0)
			shim_fd_copy((int)a[0], (int)r);
		break;
#ifdef SYS_dup2
	case SYS_dup2:
#endif
	case SYS_dup3:
		if (r >= 0)
			shim_fd_copy((int)a[0], (int)a[1]);
		break;
	case SYS_fcntl:
		if (r >= 0 && (a[1] == F_DUPFD || a[1] == F_DUPFD_CLOEXEC))
			shim_fd_copy((int)a[0], (int)r);
		break;
#ifdef SYS_open
	case SYS_open:
#endif
#ifdef SYS_creat
	case SYS_creat:
#endif
		if (r >= 0)
			shim_fd_record_open((int)r, AT_FDCWD, (const char *)a[0], NULL);
		break;
	case SYS_openat:
	case SYS_openat2:
		if (r >= 0)
			shim_fd_record_open((int)r, (int)a[0], (const char *)a[1], NULL);
		break;
#ifdef SYS_pipe
	case SYS_pipe:
#endif
	case SYS_pipe2:
		if (r == 0) {
			shim_fd_opened(((const int *)a[0])[0]);
			shim_fd_opened(((const int *)a[0])[1]);
		}
		break;
	case SYS_socketpair:
		if (r == 0) {
			shim_fd_opened(((const int *)a[3])[0]);
			shim_fd_opened(((const int *)a[3])[1]);
		}
		break;
	case SYS_recvmsg:
		if (r >= 0)
			shim_fd_received((const struct msghdr *)a[1]);
		break;
	case SYS_listen:
		if (r == 0)
			shim_fd_set_listening((int)a[0]);
		break;
	case SYS_recvmmsg:
		for (long i = 0; i < r; i++)
			shim_fd_received(&((const struct mmsghdr *)a[1])[i].msg_hdr);
		break;
	default:
		if (r >= 0 && returns_fd(nr))
			shim_fd_opened((int)r);
		break;
	}
	errno = saved;
}

/* io_uring_setup: decided, then counted when it made a ring (uring.c). */
static __attribute__((noinline, cold)) long uring_setup(long a0, long a1, long a2, long a3, long a4,
							long a5)
{
	long r;
	int err;

	if (shim_armed(FR_OPBIT(FR_OP_IO_URING)) && shim_uring_refuse(&err))
		return SHIM_FAIL_M1(err);
	r = SHIM_REAL(syscall)(SYS_io_uring_setup, a0, a1, a2, a3, a4, a5);
	if (r >= 0) {
		int saved = errno;

		shim_uring_seen();
		if (shim_fd_table_used() || shim_armed(SHIM_OPS_FDOPS))
			shim_fd_opened((int)r);
		errno = saved;
	}
	return r;
}

long syscall(long number, ...)
{
	va_list ap;
	long a0, a1, a2, a3, a4, a5, r;

	va_start(ap, number);
	a0 = va_arg(ap, long);
	a1 = va_arg(ap, long);
	a2 = va_arg(ap, long);
	a3 = va_arg(ap, long);
	a4 = va_arg(ap, long);
	a5 = va_arg(ap, long);
	va_end(ap);
	/* before binding the kernel still answers: no ENOSYS here */
	if (unlikely(!SHIM_BOUND(syscall)))
		return fr_syscall6(number, a0, a1, a2, a3, a4, a5);
	if (unlikely(number == SYS_io_uring_setup))
		return uring_setup(a0, a1, a2, a3, a4, a5);
	/* before the filter exists: the shim's openat2 must never meet it (nolinks.c) */
	if (unlikely(number == SYS_seccomp || (number == SYS_prctl && a0 == PR_SET_SECCOMP)))
		shim_nolinks_off();
	r = SHIM_REAL(syscall)(number, a0, a1, a2, a3, a4, a5);
	if (unlikely(r == 0) && forked(number, a0))
		shim_forked();
	/* the cwd cache follows a chdir even while nothing is armed */
	if (unlikely(number == SYS_chdir || number == SYS_fchdir))
		shim_cwd_changed((int)r);
	/* no entry to keep true, and no open to record */
	if (likely(!shim_fd_table_used()) && likely(!shim_armed(SHIM_OPS_FDOPS)))
		return r;
	if (tracked(number)) {
		long a[6] = { a0, a1, a2, a3, a4, a5 };

		track(number, r, a);
	}
	return r;
}

/*
 * prctl: only to see a seccomp filter installed (PR_SET_SECCOMP) before it
 * is, so that the shim's openat2 never meets it (nolinks.c). Its four
 * further arguments are unsigned longs (prctl(2)); the real prctl reads
 * only those the option uses.
 */
int prctl(int option, ...)
{
	unsigned long a2, a3, a4, a5;
	va_list ap;

	va_start(ap, option);
	a2 = va_arg(ap, unsigned long);
	a3 = va_arg(ap, unsigned long);
	a4 = va_arg(ap, unsigned long);
	a5 = va_arg(ap, unsigned long);
	va_end(ap);
	if (unlikely(!SHIM_BOUND(prctl)))
		return (int)fr_syscall6(SYS_prctl, option, (long)a2, (long)a3, (long)a4, (long)a5,
					0);
	if (unlikely(option == PR_SET_SECCOMP))
		shim_nolinks_off();
	return SHIM_REAL(prctl)(option, a2, a3, a4, a5);
}
