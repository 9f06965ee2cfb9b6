/*
 * The disk model (docs/faults.md, "disk"; harness/fault/disk.c) under the
 * seccomp backend: the supervisor does, before it answers, what the
 * shim's wrappers do around each call (harness/shim/disk.c), with the
 * same shared model in the control block.
 *
 * A write in the tree is charged the blocks it covers that the file does
 * not hold yet; the file, its size, O_APPEND and the offset are read on a
 * copy of the target's fd (pidfd_getfd(2)), which shares its open file
 * description. A write that fits goes on (CONTINUE); one that does not is
 * made by faultrun up to the last free block (sec_io_cut, on the copy, so
 * the target's offset moves), or fails with ENOSPC when no block is free,
 * as tmpfs does. fallocate takes all or nothing.
 *
 * Calls that free space (truncate, ftruncate, an open with O_TRUNC, the
 * last link's unlink, a rename over a file) are followed before the kernel
 * makes them: a seccomp answer cannot look at the call's result, so one
 * the kernel then refuses (EACCES, EPERM) has freed the file's blocks in
 * the model anyway (docs/seccomp.md).
 */
#define _GNU_SOURCE
#include "sec_disk.h"
#include "sec_facts.h"
#include "sec_io.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* A long symbolic link's target takes a block of its own (shim.h's SHIM_SYMLINK_INLINE). */
#define SEC_SYMLINK_INLINE 128

bool sec_disk_match(struct fr_ctl *c, unsigned i, struct sec_verdict *v)
{
	/* as control.c's decide: the first disk rule is the call's, a match, not an injection */
	if (v->disk_rule < 0) {
		v->disk_rule = (int)i;
		atomic_fetch_add_explicit(&c->slots[i].matched, 1, memory_order_relaxed);
		v->counted |= 1ull << i;
	}
	return false;
}

/* The disk injects: ENOSPC (SEC_FAIL), or a write cut to allow bytes (SEC_CUT). */
static bool inject(struct fr_ctl *c, struct sec_verdict *v, enum sec_what what, uint64_t allow)
{
	/* shim_disk_inject: a disk has no after=, times= or probability=: it fires */
	fr_ctl_fire(c, (unsigned)v->disk_rule);
	v->inject = true;
	v->rule = (unsigned)v->disk_rule;
	v->what = what;
	v->err = what == SEC_FAIL ? ENOSPC : 0;
	v->allow = allow;
	return true;
}

/*
 * shim_disk_grow: charge len bytes at start; when they do not fit, free
 * what removed files nobody holds any more occupy, and try once more.
 */
static uint64_t grow(struct fr_ctl *c, struct sec_verdict *v, int file, uint64_t start,
		     uint64_t len, bool append, bool all)
{
	unsigned rule = (unsigned)v->disk_rule;
	uint64_t fit = fr_disk_grow(c, rule, file, start, len, append, all, &v->disk);

	if (fit < len) {
		fr_disk_settle(c, rule, &v->disk, 0);
		fr_disk_reclaim(c, rule);
		fit = fr_disk_grow(c, rule, file, start, len, append, all, &v->disk);
	}
	return fit;
}

void sec_disk_settle(struct fr_ctl *c, const struct sec_verdict *v, int64_t done)
{
	/* a second settle finds the file changed since (its seq) and keeps the charge */
	if (v->disk_rule >= 0 && v->disk.file >= 0)
		fr_disk_settle(c, (unsigned)v->disk_rule, &v->disk, done);
}

/* Where call d writes on the file `mine` (our copy of its fd); false: not a regular file. */
static bool write_start(const struct seccomp_data *d, int tid, int mine, struct stat *st,
			bool *append, uint64_t *start)
{
	int64_t off = -1;
	int fl;

	if (fstat(mine, st) < 0 || !S_ISREG(st->st_mode))
		return false;
	switch (d->nr) {
	case SYS_pwrite64:
	case SYS_pwritev:
	case SYS_pwritev2: /* pwritev2's -1: the fd's offset (preadv2(2)) */
	case SYS_fallocate:
		off = (int64_t)d->args[d->nr == SYS_fallocate ? 2 : 3];
		break;
	case SYS_copy_file_range:
	case SYS_splice:
		/* the out offset, when given, is a loff_t in the target's memory */
		if (d->args[3] && sec_read_mem(tid, d->args[3], &off, sizeof(off)) < 0)
			return false;
		break;
	}
	fl = fcntl(mine, F_GETFL);
	*append = d->nr != SYS_fallocate && fl >= 0 && (fl & O_APPEND);
	if (*append) {
		/* O_APPEND writes at the end, even pwrite's (pwrite(2), BUGS) */
		*start = (uint64_t)st->st_size;
	} else if (off >= 0) {
		*start = (uint64_t)off;
	} else {
		off_t pos = lseek(mine, 0, SEEK_CUR);

		if (pos < 0)
			return false;
		*start = (uint64_t)pos;
	}
	return true;
}

/* A write, an in-kernel copy or fallocate into a file of the tree (shim_disk_write, _alloc). */
static bool disk_grow(struct fr_ctl *c, const struct seccomp_data *d, struct sec_verdict *v)
{
	bool alloc = d->nr == SYS_fallocate, append = false;
	uint64_t want = 0, start = 0, fit;
	struct stat st;
	int mine, file;
	bool ok;

	if (v->fd < 0 || v->op != (alloc ? FR_OP_ALLOCATE : FR_OP_WRITE))
		return false;
	/* punching or zeroing ranges is not followed (docs/faults.md) */
	if (alloc && ((d->args[1] & ~(uint64_t)FALLOC_FL_KEEP_SIZE) || (int64_t)d->args[2] < 0 ||
		      (int64_t)d->args[3] <= 0))
		return false;
	if (sec_io_want(v->tid, d, &want) < 0 || !want)
		return false;
	mine = sec_dup_fd(v->tgid, v->fd);
	if (mine < 0)
		return false;
	ok = write_start(d, v->tid, mine, &st, &append, &start);
	close(mine);
	if (!ok)
		return false;
	file = fr_disk_file(c, (unsigned)v->disk_rule, (uint64_t)st.st_dev, (uint64_t)st.st_ino,
			    (uint64_t)st.st_size);
	fit = grow(c, v, file, start, want, append, alloc);
	if (fit == want)
		return false; /* charged; the kernel makes the call */
	if (fit && sec_io_cuttable(v->tgid, d))
		return inject(c, v, SEC_CUT, fit); /* short up to the last free block */
	/* nothing free, or a call faultrun cannot make shorter (docs/seccomp.md) */
	sec_disk_settle(c, v, 0);
	v->disk.file = -1;
	return inject(c, v, SEC_FAIL, 0);
}

/* Path argument idx of d (dirfd argument didx, -1: the cwd) made absolute, into out. */
static bool arg_path(const struct seccomp_data *d, int tid, int didx, int idx, char *out,
		     size_t len)
{
	char raw[4096];

	return idx >= 0 && sec_read_str(tid, d->args[idx], raw, sizeof(raw)) == 0 &&
	       sec_abspath(tid, didx < 0 ? AT_FDCWD : (int)d->args[didx], raw, out, len) == 0;
}

/* The model's entry of the regular file st (claimed if new), or -1. */
static int entry_of(struct fr_ctl *c, const struct sec_verdict *v, const struct stat *st)
{
	if (!S_ISREG(st->st_mode))
		return -1;
	return fr_disk_file(c, (unsigned)v->disk_rule, (uint64_t)st->st_dev, (uint64_t)st->st_ino,
			    (uint64_t)st->st_size);
}

/* The file at path (or fd) will be cut to len: free the blocks past it (shim_disk_cut). */
static void cut_to(struct fr_ctl *c, const struct sec_verdict *v, const char *path, int fd,
		   uint64_t len)
{
	struct stat st;
	int file;

	if (path ? stat(path, &st) < 0 : fstat(fd, &st) < 0)
		return;
	file = entry_of(c, v, &st);
	if (file >= 0)
		fr_disk_shrink(c, (unsigned)v->disk_rule, file, len);
}

/* The name at path loses its link (unlink, a rename over it): shim_disk_unlinked. */
static void unlinked(struct fr_ctl *c, const struct sec_verdict *v, const char *path,
		     const struct stat *keep)
{
	struct stat st;
	int file;

	/* a rename from the tree over a file outside it frees nothing of the disk's */
	if (!fr_glob_match(c->slots[v->disk_rule].rule.path,
			   sizeof(c->slots[v->disk_rule].rule.path), path) ||
	    lstat(path, &st) < 0)
		return;
	if (keep && st.st_dev == keep->st_dev && st.st_ino == keep->st_ino)
		return; /* a rename onto a link of the same file removes nothing */
	if (S_ISLNK(st.st_mode) && st.st_size >= SEC_SYMLINK_INLINE && st.st_nlink <= 1) {
		fr_disk_give(c, (unsigned)v->disk_rule,
			     fr_disk_block(&c->slots[v->disk_rule].rule));
		return;
	}
	if (st.st_nlink > 1 || (file = entry_of(c, v, &st)) < 0)
		return;
	fr_disk_release(c, (unsigned)v->disk_rule, file);
}

/* An open's flags (openat2: struct open_how's first member); 0 when they cannot be read. */
static uint64_t open_flags(const struct sec_call *call, const struct seccomp_data *d, int tid)
{
	uint64_t fl = 0;

	if (call->flags == -2)
		return O_CREAT | O_WRONLY | O_TRUNC; /* creat */
	if (call->flags == -3)
		return sec_read_mem(tid, d->args[2], &fl, sizeof(fl)) == 0 ? fl : 0;
	return call->flags >= 0 ? d->args[call->flags] : 0;
}

/* symlink: a long target takes a block (shim_disk_symlink). */
static bool disk_symlink(struct fr_ctl *c, const struct seccomp_data *d, struct sec_verdict *v)
{
	unsigned rule = (unsigned)v->disk_rule;
	uint64_t bs = fr_disk_block(&c->slots[rule].rule);
	char target[4096];

	if (sec_read_str(v->tid, d->args[0], target, sizeof(target)) < 0 ||
	    strnlen(target, sizeof(target)) < SEC_SYMLINK_INLINE)
		return false;
	if (fr_disk_take_blocks(c, rule, bs) == 0)
		return false;
	fr_disk_reclaim(c, rule);
	if (fr_disk_take_blocks(c, rule, bs) == 0)
		return false;
	return inject(c, v, SEC_FAIL, 0);
}

/* The calls that free space, followed before the kernel makes them. */
static void disk_free(struct fr_ctl *c, const struct sec_call *call, const struct seccomp_data *d,
		      struct sec_verdict *v)
{
	char p[4096], p2[4096];
	struct stat st;
	uint64_t fl;
	int mine;

	switch (v->op) {
	case FR_OP_TRUNCATE:
		if ((int64_t)d->args[1] < 0)
			return;
		if (d->nr == SYS_truncate) {
			if (arg_path(d, v->tid, -1, 0, p, sizeof(p)))
				cut_to(c, v, p, -1, d->args[1]);
			return;
		}
		mine = v->fd >= 0 ? sec_dup_fd(v->tgid, v->fd) : -1;
		if (mine < 0)
			return;
		/* the kernel refuses a descriptor not open for writing (EINVAL) */
		if ((fcntl(mine, F_GETFL) & O_ACCMODE) != O_RDONLY)
			cut_to(c, v, NULL, mine, d->args[1]);
		close(mine);
		return;
	case FR_OP_OPEN:
		fl = open_flags(call, d, v->tid);
		if ((fl & O_TRUNC) && (fl & (O_CREAT | O_EXCL)) != (O_CREAT | O_EXCL) &&
		    arg_path(d, v->tid, call->dirfd, call->path, p, sizeof(p)))
			cut_to(c, v, p, -1, 0);
		return;
	case FR_OP_UNLINK:
		/* rmdir, unlinkat's AT_REMOVEDIR: a directory holds no blocks in the model */
		if (d->nr == SYS_rmdir || (d->nr == SYS_unlinkat && (d->args[2] & AT_REMOVEDIR)))
			return;
		if (arg_path(d, v->tid, call->dirfd, call->path, p, sizeof(p)))
			unlinked(c, v, p, NULL);
		return;
	case FR_OP_RENAME:
		/* RENAME_EXCHANGE keeps both, RENAME_NOREPLACE fails over a file */
		if (d->nr == SYS_renameat2 && d->args[4])
			return;
		if (arg_path(d, v->tid, call->dirfd, call->path, p, sizeof(p)) &&
		    arg_path(d, v->tid, call->dirfd2, call->path2, p2, sizeof(p2)) &&
		    lstat(p, &st) == 0)
			unlinked(c, v, p2, &st);
		return;
	default:
		return;
	}
}

bool sec_disk_decide(struct fr_ctl *c, const struct sec_call *call, const struct seccomp_data *d,
		     struct sec_verdict *v)
{
	if (v->disk_rule < 0 || v->disk_rule >= FR_MAX_RULES)
		return false;
	switch (v->op) {
	case FR_OP_WRITE:
	case FR_OP_ALLOCATE:
		return disk_grow(c, d, v);
	case FR_OP_LINK:
		return (d->nr == SYS_symlink || d->nr == SYS_symlinkat) && disk_symlink(c, d, v);
	default:
		disk_free(c, call, d, v);
		return false;
	}
}
