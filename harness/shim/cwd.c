/*
 * The shim's cwd cache, kept by the chdir/fchdir wrappers (wrap_fs.c) and
 * syscall(SYS_chdir/SYS_fchdir) (wrap_sys.c), read by an open that needs
 * the path it was given made absolute (fdtable.c).
 */
#include "shim.h"

#include <limits.h>
#include <string.h>
#include <sys/syscall.h>

/*
 * The working directory as the shim last learnt it (getcwd after every
 * chdir/fchdir it saw, and after every getcwd it made): the kernel's
 * canonical path, no symlink in it. Kept in words under a sequence
 * number (odd: being written), copied out with relaxed atomics: lock-free
 * and async-signal-safe; threads share it as they share the cwd, fork
 * inherits both, exec starts empty. Two writers at once, or a process
 * sharing our memory but not our cwd (a vfork child) calling chdir, make
 * it unknown for good (`lost`): every relative open then asks getcwd.
 *
 * What it trusts: nothing on its own. An open uses it only when the
 * written path made absolute with it is exactly the path the kernel
 * reports for the new fd; otherwise (a symlink on the way, a cwd renamed,
 * a chdir the shim never saw: a raw system call instruction, a process
 * sharing our cwd via clone(CLONE_FS)) it asks getcwd, as before. The one
 * case that check passes with a stale cache: an unseen chdir followed by a
 * relative open whose symlinks lead to exactly the file the old cwd's path
 * names, where a rule on the link's name would be judged on the old name.
 */
#define CWD_WORDS (PATH_MAX / 8)
static struct {
	_Atomic uint32_t seq, len;
	_Atomic bool lost;
	_Atomic uint64_t w[CWD_WORDS];
} cwd;

void shim_cwd_store(const char *p, size_t len)
{
	uint32_t seq = atomic_load_explicit(&cwd.seq, memory_order_relaxed);
	uint64_t w[CWD_WORDS];

	if (len + 1 > sizeof(w) || (seq & 1) ||
	    !atomic_compare_exchange_strong_explicit(&cwd.seq, &seq, seq + 1, memory_order_acquire,
						     memory_order_relaxed)) {
		atomic_store_explicit(&cwd.lost, true, memory_order_relaxed);
		return;
	}
	atomic_thread_fence(memory_order_release);
	memset(w, 0, sizeof(w[0]) * (len / 8 + 1));
	memcpy(w, p, len);
	for (size_t i = 0; i <= len / 8; i++)
		atomic_store_explicit(&cwd.w[i], w[i], memory_order_relaxed);
	atomic_store_explicit(&cwd.len, (uint32_t)len, memory_order_relaxed);
	atomic_store_explicit(&cwd.seq, seq + 2, memory_order_release);
}

/* The cached cwd into out (len bytes); its length, or 0 if unknown. */
size_t shim_cwd_load(char *out, size_t len)
{
	uint32_t seq = atomic_load_explicit(&cwd.seq, memory_order_acquire), n;
	uint64_t w[CWD_WORDS];

	if (!seq || (seq & 1) || atomic_load_explicit(&cwd.lost, memory_order_relaxed))
		return 0;
	n = atomic_load_explicit(&cwd.len, memory_order_relaxed);
	if (n + 1 > len || n + 1 > sizeof(w))
		return 0;
	for (size_t i = 0; i <= n / 8; i++)
		w[i] = atomic_load_explicit(&cwd.w[i], memory_order_relaxed);
	atomic_thread_fence(memory_order_acquire);
	if (atomic_load_explicit(&cwd.seq, memory_order_relaxed) != seq)
		return 0;
	memcpy(out, w, n + 1);
	return n;
}

void shim_cwd_changed(int r)
{
	char buf[PATH_MAX];
	int saved = errno;

	if (r != 0)
		return;
	/* our memory, another process's cwd (vfork): no one can keep it */
	if (fr_syscall(SYS_getpid) != shim_self_pid()) {
		atomic_store_explicit(&cwd.lost, true, memory_order_relaxed);
	} else if (fr_syscall(SYS_getcwd, buf, sizeof(buf)) > 0 && buf[0] == '/') {
		shim_cwd_store(buf, strlen(buf));
	} else {
		/* unreachable cwd ("(unreachable)/..."): not a path to keep */
		atomic_store_explicit(&cwd.seq, 0, memory_order_relaxed);
	}
	errno = saved;
}
