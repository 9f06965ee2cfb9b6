/*
 * Free space under the seccomp backend: statfs(2) and fstatfs(2) on a
 * disk rule's tree report that disk (its size, free space and block), and
 * on a budget rule's paths at most the budget left, as the shim's
 * wrappers do (wrap_fs.c), so a program that checks before it writes
 * (df, an installer, a database) sees the same full disk its writes will.
 * glibc's statvfs and fstatvfs are these two calls.
 *
 * A seccomp answer cannot change what the kernel writes, so faultrun makes
 * the call itself (the path made absolute against the target's cwd, or a
 * pidfd_getfd(2) copy of its fd), adjusts the result and writes it into
 * the target's buffer (process_vm_writev(2)) once the notification is
 * known to be still valid (sec_serve.c), then answers 0. A call no such
 * rule covers goes on in the kernel.
 */
#define _GNU_SOURCE
#include "sec_statfs.h"
#include "sec_facts.h"
#include "sec_io.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

/* The disk and budget rules armed over abs: the path itself or a file in it. */
static uint64_t rules_over(struct fr_ctl *c, const char *abs, enum fr_action action)
{
	return fr_ctl_rules_over(
		c, atomic_load_explicit(&c->armed_rules[FR_OP_STATFS], memory_order_acquire),
		action, abs, sec_match_file);
}

/* Make the result report rule space: a disk's own numbers, or free space clamped to a budget. */
static bool adjust(struct fr_ctl *c, const char *abs, struct statfs *st)
{
	uint64_t left = 0, cap, freeb, bs;

	if (fr_ctl_disk_space(c, rules_over(c, abs, FR_ACT_DISK), &cap, &freeb, &bs)) {
		st->f_bsize = st->f_frsize = (long)bs;
		st->f_blocks = cap / bs;
		st->f_bfree = st->f_bavail = freeb / bs;
		return true;
	}
	if (!fr_ctl_budget_least(c, rules_over(c, abs, FR_ACT_BUDGET), &left))
		return false;
	uint64_t unit = st->f_frsize ? (uint64_t)st->f_frsize : (uint64_t)st->f_bsize;
	uint64_t blocks = unit ? left / unit : 0;

	if (blocks < (uint64_t)st->f_bavail)
		st->f_bavail = blocks;
	if (blocks < (uint64_t)st->f_bfree)
		st->f_bfree = blocks;
	return true;
}

bool sec_statfs_decide(struct fr_ctl *c, const struct sec_call *call, const struct seccomp_data *d,
		       struct sec_verdict *v)
{
	char abs[PATH_MAX];
	int r;

	v->read_target = true;
	if (call->fd >= 0) {
		int mine = sec_dup_fd(v->tgid, (int)d->args[call->fd]);

		/* a bad fd: the kernel says so */
		if (mine < 0 || sec_fd_path(v->tid, (int)d->args[call->fd], abs, sizeof(abs)) < 0 ||
		    abs[0] != '/') {
			if (mine >= 0)
				close(mine);
			return false;
		}
		r = fstatfs(mine, &v->sfs);
		close(mine);
	} else {
		char raw[PATH_MAX];

		if (sec_read_str(v->tid, d->args[call->path], raw, sizeof(raw)) < 0 ||
		    sec_abspath(v->tid, AT_FDCWD, raw, abs, sizeof(abs)) < 0)
			return false;
		if (!rules_over(c, abs, FR_ACT_DISK) && !rules_over(c, abs, FR_ACT_BUDGET))
			return false;
		/* the path as the target named it, from its cwd: faultrun's view of it */
		r = statfs(abs, &v->sfs);
	}
	if (r < 0)
		return false; /* the kernel makes the call and gives its own error */
	if (!adjust(c, abs, &v->sfs))
		return false;
	v->what = SEC_STATFS;
	v->buf = d->args[1];
	return false; /* an answer, not an injection: nothing is counted */
}

int sec_statfs_answer(const struct sec_verdict *v)
{
	struct iovec local = { .iov_base = (void *)&v->sfs, .iov_len = sizeof(v->sfs) };
	struct iovec remote = { .iov_base = (void *)(uintptr_t)v->buf, .iov_len = sizeof(v->sfs) };
	ssize_t n = process_vm_writev(v->tid, &local, 1, &remote, 1, 0);

	if (n == (ssize_t)sizeof(v->sfs))
		return 0;
	return n < 0 && errno != EFAULT ? -errno : -EFAULT;
}
