/*
 * An open whose new fd needs no kernel path later. A rule on an fd
 * operation matches a file on the path the program wrote and on the path
 * the kernel reports (docs/faults.md, `path=`); the two differ only where a
 * symlink lies on the way. An open no rule concerns (path.c's quick check)
 * left the kernel's path to be read when a call on the fd first met a path
 * rule: an fstat and a readlink of /proc/self/fd/N per file, so nginx paid
 * two system calls a request while a rule for another tree was armed.
 *
 * Here the open is made as openat2(2) with RESOLVE_NO_SYMLINKS: when it
 * succeeds no symlink lies on the path, the kernel's path is the one
 * written, and the fd's entry can say at the open that no path rule
 * matches it. The call is the same open in every other respect: openat2
 * takes the flags and mode the kernel would (O_LARGEFILE added as for
 * open on a 64-bit kernel, fs/open.c), and refuses what open would
 * silently drop (unknown flags, a mode without O_CREAT): then the
 * program's own call is made. So is it after any error but those that
 * resolution without symlinks meets exactly where the program's call
 * would (a component missing or not a directory, the file existing under
 * O_EXCL, a directory opened for writing, a name too long, no fd left):
 * ELOOP (a symlink on the way), EPERM, EACCES, ENOSYS and the rest go to
 * the program's call, which says what they mean for it.
 *
 * The kernel's path is the written one where no symlink lies on the way,
 * but for an O_TMPFILE file (the directory written, "/#inode" added),
 * which is left to the first call; and on a case-insensitive file system
 * (vfat, ext4 with casefold) a name written in another case than the one
 * stored is taken as written (docs/faults.md).
 *
 * A seccomp filter may forbid openat2 outright, and one that kills the
 * process would turn an optimisation into a crash. So openat2 is used
 * only in a process that had no filter when it first tried it
 * (PR_GET_SECCOMP, prctl(2)), and never after the process installs one
 * through prctl() or syscall(SYS_seccomp) (wrap_sys.c). A filter installed
 * by a system call instruction of the program's own is not seen: such a
 * process, if it forbids openat2 by killing, must run without path rules
 * for fd operations armed beside it (docs/limitations.md). Not a
 * cancellation point, unlike open: a thread cancelled while blocked in the
 * open of a FIFO acts on the cancellation at its next cancellation point.
 */
#define _GNU_SOURCE
#include "shim.h"

#include "../fault/raw_syscall.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdatomic.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

enum { NOLINKS_UNKNOWN, NOLINKS_ON, NOLINKS_OFF };
_Static_assert(NOLINKS_OFF == 2, "shim.h's shim_open_nolinks tests for 2");

/* inherited by fork, as a filter is; a new program (exec) asks again */
_Atomic int shim_nolinks_state = NOLINKS_UNKNOWN;

void shim_nolinks_off(void)
{
	atomic_store_explicit(&shim_nolinks_state, NOLINKS_OFF, memory_order_relaxed);
}

static bool nolinks_usable(void)
{
	int s = atomic_load_explicit(&shim_nolinks_state, memory_order_relaxed);

	if (likely(s != NOLINKS_UNKNOWN))
		return s == NOLINKS_ON;
	/* 0: no seccomp filter (nor strict mode, where this open would already be fatal) */
	s = fr_syscall_raw(SYS_prctl, PR_GET_SECCOMP, 0, 0, 0, 0, 0) == 0 ? NOLINKS_ON :
									    NOLINKS_OFF;
	/* a filter installed meanwhile has turned it off: keep that */
	atomic_compare_exchange_strong_explicit(&shim_nolinks_state, &(int){ NOLINKS_UNKNOWN }, s,
						memory_order_relaxed, memory_order_relaxed);
	return atomic_load_explicit(&shim_nolinks_state, memory_order_relaxed) == NOLINKS_ON;
}

int shim_open_nolinks_on(int dirfd, const char *path, int flags, unsigned mode)
{
	struct open_how how;
	long r;

	/*
	 * an O_TMPFILE file's kernel path is not the directory written but
	 * "DIR/#inode (deleted)" (open(2)): left for the first call to read
	 */
	if ((flags & O_TMPFILE) == O_TMPFILE || !nolinks_usable())
		return SHIM_NOLINKS_NO;
	how = (struct open_how){ .flags = (unsigned)flags, .resolve = RESOLVE_NO_SYMLINKS };
	/* open(2) keeps the mode only for a call that creates the file */
	if (flags & O_CREAT)
		how.mode = mode & 07777;
	r = fr_syscall_raw(SYS_openat2, dirfd, (long)path, (long)&how, sizeof(how), 0, 0);
	if (r >= 0)
		return (int)r;
	switch (-r) {
	case ENOENT:
	case ENOTDIR:
	case EEXIST:
	case EISDIR:
	case ENAMETOOLONG:
	case EMFILE:
	case ENFILE:
		errno = (int)-r;
		return -1;
	case ENOSYS: /* before Linux 5.6 */
		shim_nolinks_off();
		return SHIM_NOLINKS_NO;
	default:
		return SHIM_NOLINKS_NO;
	}
}
