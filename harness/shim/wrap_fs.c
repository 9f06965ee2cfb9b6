/*
 * The fs family: calls that name paths (truncate, rename, unlink, rmdir,
 * remove, mkdir, mkdtemp, link, symlink) and the free-space reports
 * (statvfs, statfs and their fd and 64-bit forms).
 *
 * Path calls are decided on the path as the program wrote it, made
 * absolute against the cwd or the dirfd and lexically normalised (symlinks
 * are not followed); rename matches a rule on either path.
 *
 * Free space: while a budget rule is armed, faultrun's control block sets
 * the internal STATFS operation bit. A statvfs/statfs on a path a budget
 * rule matches (the path itself or any file under it) then reports at most
 * the budget left as free and available space, so a program that checks
 * before writing (df, an installer, a database) sees the same full disk
 * its writes will. Over a disk rule's tree they report the disk itself:
 * its size, its free space and its block (disk.c).
 */
#include "shim.h"

#include <limits.h>
#include <string.h>

/*
 * A call naming paths: decide, then the real call. `before` runs once the
 * call is sure to be made, `after` with its result r (the disk model:
 * note the file a call cuts or removes, then free its blocks).
 */
#define SHIM_PATH_BODY(name, ret, params, args, op, fail, decide, before, after) \
	ret name params                                                          \
	{                                                                        \
		struct shim_verdict v;                                           \
		struct shim_disk_file df;                                        \
		ret r;                                                           \
		if (unlikely(!SHIM_BOUND(name)))                                 \
			return SHIM_FAIL_##fail(ENOSYS);                         \
		if (likely(!shim_armed(SHIM_OPS_##op)))                          \
			return SHIM_REAL(name) args;                             \
		decide;                                                          \
		if (shim_gate(&v, SHIM_FAILS_PATH))                              \
			return SHIM_FAIL_##fail(v.err);                          \
		before;                                                          \
		r = SHIM_REAL(name) args;                                        \
		after;                                                           \
		return r;                                                        \
	}

#define SHIM_GEN_PATH(name, ret, params, args, op, fail)  \
	SHIM_PATH_BODY(name, ret, params, args, op, fail, \
		       shim_decide_path(FR_OP_##op, AT_FDCWD, path, #name, &v), (void)df, (void)0)
#define SHIM_GEN_PATHAT(name, ret, params, args, op, fail) \
	SHIM_PATH_BODY(name, ret, params, args, op, fail,  \
		       shim_decide_path(FR_OP_##op, dirfd, path, #name, &v), (void)df, (void)0)
/* truncate(path, len): a file in a disk's tree cut shorter frees blocks */
#define SHIM_GEN_PATH_TRUNC(name, ret, params, args, op, fail)                  \
	SHIM_PATH_BODY(name, ret, params, args, op, fail,                       \
		       shim_decide_path(FR_OP_##op, AT_FDCWD, path, #name, &v), \
		       shim_disk_before(&v, -1, AT_FDCWD, path, false, &df),    \
		       if (r == 0) shim_disk_cut(&df, (long long)len))
/* unlink(path), remove, unlinkat: the last link of a file frees it */
#define SHIM_GEN_PATH_UNLINK(name, ret, params, args, op, fail)                 \
	SHIM_PATH_BODY(name, ret, params, args, op, fail,                       \
		       shim_decide_path(FR_OP_##op, AT_FDCWD, path, #name, &v), \
		       shim_disk_before(&v, -1, AT_FDCWD, path, true, &df),     \
		       if (r == 0) shim_disk_unlinked(&df))
#define SHIM_GEN_PATHAT_UNLINK(name, ret, params, args, op, fail)            \
	SHIM_PATH_BODY(name, ret, params, args, op, fail,                    \
		       shim_decide_path(FR_OP_##op, dirfd, path, #name, &v), \
		       shim_disk_before(&v, -1, dirfd, path, true, &df),     \
		       if (r == 0) shim_disk_unlinked(&df))
/* rename over an existing file removes that file's link (not RENAME_EXCHANGE) */
#define SHIM_RENAME_FLAGS_rename 0
#define SHIM_RENAME_FLAGS_renameat 0
#define SHIM_RENAME_FLAGS_renameat2 flags
#define SHIM_RENAME_AFTER(name)                                      \
	if (r == 0 && !(SHIM_RENAME_FLAGS_##name & RENAME_EXCHANGE)) \
	shim_disk_unlinked(&df)
#define SHIM_GEN_RENAME(name, ret, params, args, op, fail)                                        \
	SHIM_PATH_BODY(name, ret, params, args, op, fail,                                         \
		       shim_decide_path2(FR_OP_##op, AT_FDCWD, path, AT_FDCWD, path2, #name, &v), \
		       shim_disk_before(&v, -1, AT_FDCWD, path2, true, &df),                      \
		       SHIM_RENAME_AFTER(name))
#define SHIM_GEN_RENAMEAT(name, ret, params, args, op, fail)                                 \
	SHIM_PATH_BODY(name, ret, params, args, op, fail,                                    \
		       shim_decide_path2(FR_OP_##op, dirfd, path, dirfd2, path2, #name, &v), \
		       shim_disk_before(&v, -1, dirfd2, path2, true, &df),                   \
		       SHIM_RENAME_AFTER(name))
/*
 * link(path, path2), symlink(target, path2): decided on the new entry; a
 * symbolic link whose target needs a block takes one from a disk's tree
 */
#define SHIM_GEN_LINK(name, ret, params, args, op, fail)                                   \
	SHIM_PATH_BODY(name, ret, params, args, op, fail,                                  \
		       shim_decide_path(FR_OP_##op, AT_FDCWD, path2, #name, &v), (void)df, \
		       (void)0)
#define SHIM_GEN_LINKAT(name, ret, params, args, op, fail) \
	SHIM_PATH_BODY(name, ret, params, args, op, fail,  \
		       shim_decide_path(FR_OP_##op, dirfd2, path2, #name, &v), (void)df, (void)0)
#define SHIM_SYMLINK_BEFORE(name, fail)             \
	(void)df;                                   \
	if (shim_disk_symlink(path, #name, &v) < 0) \
	return SHIM_FAIL_##fail(ENOSPC)
#define SHIM_SYMLINK_AFTER                                                     \
	if (r != 0 && v.disk_rule >= 0 && strlen(path) >= SHIM_SYMLINK_INLINE) \
	fr_disk_give(shim_ctl, (unsigned)v.disk_rule,                          \
		     fr_disk_block(&shim_ctl->slots[v.disk_rule].rule))
#define SHIM_GEN_SYMLINK(name, ret, params, args, op, fail)                      \
	SHIM_PATH_BODY(name, ret, params, args, op, fail,                        \
		       shim_decide_path(FR_OP_##op, AT_FDCWD, path2, #name, &v), \
		       SHIM_SYMLINK_BEFORE(name, fail), SHIM_SYMLINK_AFTER)
#define SHIM_GEN_SYMLINKAT(name, ret, params, args, op, fail)                  \
	SHIM_PATH_BODY(name, ret, params, args, op, fail,                      \
		       shim_decide_path(FR_OP_##op, dirfd2, path2, #name, &v), \
		       SHIM_SYMLINK_BEFORE(name, fail), SHIM_SYMLINK_AFTER)

/*
 * The least budget left among the armed budget rules matching abs (a path
 * or a directory: "dir" is matched as itself and as "dir/x", a file in it).
 * Returns false when none matches.
 */
static bool budget_left(const char *abs, uint64_t *left)
{
	return fr_ctl_budget_least(shim_ctl, shim_statfs_rules(abs, FR_ACT_BUDGET), left);
}

/*
 * What a path call (relative to the cwd) or an fd call should report: a
 * disk rule's size and free space (*disk), or the least budget left.
 */
static bool space_left(int fd, const char *path, uint64_t *left, bool *disk, uint64_t *cap,
		       uint64_t *bs)
{
	char abs[PATH_MAX];
	bool ok;
	int saved = errno;

	if (shim_depth > 0)
		return false;
	if (path)
		ok = shim_abspath(AT_FDCWD, path, abs, sizeof(abs)) != NULL;
	else
		ok = shim_fd_path(fd, abs, sizeof(abs)) == 0 && abs[0] == '/';
	*disk = ok && shim_disk_space(abs, cap, left, bs);
	ok = ok && (*disk || budget_left(abs, left));
	errno = saved;
	return ok;
}

/* Lower free and available blocks to what `left` bytes make. */
#define SHIM_CLAMP_SPACE(buf, left)                                            \
	do {                                                                   \
		uint64_t unit_ = (buf)->f_frsize ? (uint64_t)(buf)->f_frsize : \
						   (uint64_t)(buf)->f_bsize;   \
		uint64_t blocks_ = unit_ ? (left) / unit_ : 0;                 \
		if (blocks_ < (uint64_t)(buf)->f_bavail)                       \
			(buf)->f_bavail = blocks_;                             \
		if (blocks_ < (uint64_t)(buf)->f_bfree)                        \
			(buf)->f_bfree = blocks_;                              \
	} while (0)

/* A disk rule's file system as df sees it: its size, its free space, its block. */
#define SHIM_DISK_SPACE(buf, cap, left, bs)                       \
	do {                                                      \
		(buf)->f_bsize = (bs);                            \
		(buf)->f_frsize = (bs);                           \
		(buf)->f_blocks = (cap) / (bs);                   \
		(buf)->f_bfree = (buf)->f_bavail = (left) / (bs); \
	} while (0)

#define SHIM_SPACE_BODY(name, ret, params, args, fail, fdx, pathx)               \
	ret name params                                                          \
	{                                                                        \
		uint64_t left, cap, bs;                                          \
		bool disk;                                                       \
		int r;                                                           \
		if (unlikely(!SHIM_BOUND(name)))                                 \
			return SHIM_FAIL_##fail(ENOSYS);                         \
		if (likely(!shim_armed(SHIM_OPS_STATFS)))                        \
			return SHIM_REAL(name) args;                             \
		r = SHIM_REAL(name) args;                                        \
		if (r == 0 && space_left(fdx, pathx, &left, &disk, &cap, &bs)) { \
			if (disk)                                                \
				SHIM_DISK_SPACE(buf, cap, left, bs);             \
			else                                                     \
				SHIM_CLAMP_SPACE(buf, left);                     \
		}                                                                \
		return r;                                                        \
	}

#define SHIM_GEN_STATVFS_PATH(name, ret, params, args, op, fail) \
	SHIM_SPACE_BODY(name, ret, params, args, fail, -1, path)
#define SHIM_GEN_STATVFS_FD(name, ret, params, args, op, fail) \
	SHIM_SPACE_BODY(name, ret, params, args, fail, fd, NULL)
#define SHIM_GEN_STATFS_PATH SHIM_GEN_STATVFS_PATH
#define SHIM_GEN_STATFS_FD SHIM_GEN_STATVFS_FD

/* chdir and fchdir: the real call, then the cwd cache learns the result */
int chdir(const char *path)
{
	int r;

	if (unlikely(!SHIM_BOUND(chdir)))
		return SHIM_FAIL_M1(ENOSYS);
	r = SHIM_REAL(chdir)(path);
	shim_cwd_changed(r);
	return r;
}

int fchdir(int fd)
{
	int r;

	if (unlikely(!SHIM_BOUND(fchdir)))
		return SHIM_FAIL_M1(ENOSYS);
	r = SHIM_REAL(fchdir)(fd);
	shim_cwd_changed(r);
	return r;
}

#define WRAP(name, ret, params, args, op, shape, fail, errnos)
#define WRAP_FS(name, ret, params, args, op, shape, fail, errnos) \
	SHIM_GEN_##shape(name, ret, params, args, op, fail)
#include "wrapped.def"
#undef WRAP_FS
#undef WRAP
