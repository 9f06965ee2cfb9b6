/*
 * The disk model's side of each call (docs/faults.md, "disk"): the
 * wrappers of writes, truncates, allocations, opens with O_TRUNC, unlinks,
 * renames and symlinks call here when the decision found the call in an
 * armed disk rule's tree (v->disk_rule); the accounting itself is
 * harness/fault/disk.c, in the control block, shared by the run.
 *
 * Only reached on a slow path (a disk rule armed and the file in its
 * tree). Raw system calls only (fstat, fcntl, lseek), errno kept.
 */
#include "shim.h"

#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

void shim_disk_inject(struct shim_verdict *v, int fd, const char *where, const char *fn)
{
	struct fr_ctl *c = shim_ctl;
	char buf[FR_CTL_WHERE_MAX];

	if (!where && fd >= 0 && shim_fd_path(fd, buf, sizeof(buf)) == 0)
		where = buf;
	fr_ctl_fire(c, (unsigned)v->disk_rule);
	fr_ctl_event_pid(c, shim_self_pid(), (unsigned)v->disk_rule, v->op,
			 v->what == SHIM_FAIL ? ENOSPC : 0, where);
	SHIM_DEBUG("%s(%s): disk \"%.*s\": %s", fn, where ? where : "fd",
		   (int)sizeof(c->slots[0].rule.name), c->slots[v->disk_rule].rule.name,
		   v->what == SHIM_FAIL ? "ENOSPC" : "short");
}

bool shim_disk_where(int fd, long long off, bool *append, uint64_t *start, int *file, unsigned rule,
		     struct stat *st)
{
	struct stat own;
	long fl;

	if (!st)
		st = &own;
	if (fr_syscall(SYS_fstat, fd, st) < 0 || !S_ISREG(st->st_mode))
		return false;
	*append = false;
	/* O_APPEND writes at the end, even pwrite's (pwrite(2), BUGS) */
	if ((fl = fr_syscall(SYS_fcntl, fd, F_GETFL)) >= 0 && (fl & O_APPEND)) {
		*append = true;
		*start = (uint64_t)st->st_size;
	} else if (off >= 0) {
		*start = (uint64_t)off;
	} else {
		long long pos = fr_syscall(SYS_lseek, fd, 0L, SEEK_CUR);

		if (pos < 0)
			return false;
		*start = (uint64_t)pos;
	}
	*file = fr_disk_file(shim_ctl, rule, (uint64_t)st->st_dev, (uint64_t)st->st_ino,
			     (uint64_t)st->st_size);
	return true;
}

/*
 * Charge len bytes at start; when they do not fit, free what removed
 * files nobody holds any more occupy, and try once more.
 */
uint64_t shim_disk_grow(unsigned rule, int file, uint64_t start, uint64_t len, bool append,
			bool all, struct fr_disk_take *tk)
{
	uint64_t fit = fr_disk_grow(shim_ctl, rule, file, start, len, append, all, tk);

	if (fit < len) {
		fr_disk_settle(shim_ctl, rule, tk, 0);
		fr_disk_reclaim(shim_ctl, rule);
		fit = fr_disk_grow(shim_ctl, rule, file, start, len, append, all, tk);
	}
	return fit;
}

int shim_disk_write(int fd, long long off, size_t n, const char *fn, struct shim_verdict *v)
{
	unsigned rule = (unsigned)v->disk_rule;
	uint64_t start, fit;
	bool append;
	int file, saved = errno;

	if (!shim_ctl || v->disk_rule < 0 || !n ||
	    !shim_disk_where(fd, off, &append, &start, &file, rule, NULL))
		goto out;
	fit = shim_disk_grow(rule, file, start, n < v->allow ? n : v->allow, append, false,
			     &v->disk);
	if (fit == 0) {
		v->what = SHIM_FAIL;
		v->err = ENOSPC;
		shim_disk_inject(v, fd, NULL, fn);
		errno = saved;
		return -ENOSPC;
	}
	if (fit < v->allow) {
		/* as the kernel does: short up to the last free block */
		v->what = SHIM_LIMIT;
		v->allow = (size_t)fit;
		shim_disk_inject(v, fd, NULL, fn);
	}
out:
	errno = saved;
	return 0;
}

int shim_disk_alloc(int fd, int mode, long long off, long long len, const char *fn,
		    struct shim_verdict *v)
{
	unsigned rule = (unsigned)v->disk_rule;
	uint64_t start;
	bool append;
	int file, saved = errno;

	/* punching or zeroing ranges is not followed (docs/faults.md) */
	if (!shim_ctl || v->disk_rule < 0 || len <= 0 || off < 0 || (mode & ~FALLOC_FL_KEEP_SIZE) ||
	    !shim_disk_where(fd, off, &append, &start, &file, rule, NULL))
		goto out;
	if (shim_disk_grow(rule, file, start, (uint64_t)len, false, true, &v->disk) == 0) {
		v->what = SHIM_FAIL;
		v->err = ENOSPC;
		shim_disk_inject(v, fd, NULL, fn);
		errno = saved;
		return -ENOSPC;
	}
out:
	errno = saved;
	return 0;
}

void shim_disk_before(const struct shim_verdict *v, int fd, int dirfd, const char *path,
		      bool nofollow, struct shim_disk_file *df)
{
	struct stat st;
	long r;
	int saved = errno;

	df->rule = -1;
	df->file = -1;
	df->last_link = false;
	df->symblock = false;
	if (!shim_ctl || v->disk_rule < 0 || (!path && fd < 0))
		return;
	if (path)
		r = fr_syscall(SYS_newfstatat, dirfd, path, &st,
			       nofollow ? AT_SYMLINK_NOFOLLOW : 0);
	else
		r = fr_syscall(SYS_fstat, fd, &st);
	if (r == 0 && S_ISREG(st.st_mode)) {
		df->rule = v->disk_rule;
		df->file = fr_disk_file(shim_ctl, (unsigned)v->disk_rule, (uint64_t)st.st_dev,
					(uint64_t)st.st_ino, (uint64_t)st.st_size);
		df->last_link = st.st_nlink <= 1;
	} else if (r == 0 && S_ISLNK(st.st_mode) && st.st_size >= SHIM_SYMLINK_INLINE) {
		/* a long symbolic link's own block */
		df->rule = v->disk_rule;
		df->symblock = st.st_nlink <= 1;
	}
	errno = saved;
}

void shim_disk_cut(const struct shim_disk_file *df, long long len)
{
	if (df->rule >= 0 && df->file >= 0 && len >= 0)
		fr_disk_shrink(shim_ctl, (unsigned)df->rule, df->file, (uint64_t)len);
}

void shim_disk_unlinked(const struct shim_disk_file *df)
{
	int saved = errno;

	if (df->rule >= 0 && df->last_link)
		fr_disk_release(shim_ctl, (unsigned)df->rule, df->file);
	else if (df->rule >= 0 && df->symblock)
		fr_disk_give(shim_ctl, (unsigned)df->rule,
			     fr_disk_block(&shim_ctl->slots[df->rule].rule));
	errno = saved;
}

int shim_disk_symlink(const char *target, const char *fn, struct shim_verdict *v)
{
	unsigned rule = (unsigned)v->disk_rule;

	if (!shim_ctl || v->disk_rule < 0 || !target || strlen(target) < SHIM_SYMLINK_INLINE)
		return 0;
	if (fr_disk_take_blocks(shim_ctl, rule, fr_disk_block(&shim_ctl->slots[rule].rule)) == 0)
		return 0;
	fr_disk_reclaim(shim_ctl, rule);
	if (fr_disk_take_blocks(shim_ctl, rule, fr_disk_block(&shim_ctl->slots[rule].rule)) == 0)
		return 0;
	v->what = SHIM_FAIL;
	v->err = ENOSPC;
	shim_disk_inject(v, -1, target, fn);
	return -ENOSPC;
}

uint64_t shim_statfs_rules(const char *abs, enum fr_action action)
{
	struct fr_ctl *c = shim_ctl;

	return c ? fr_ctl_rules_over(c, shim_armed_rules(c, FR_OP_STATFS), action, abs,
				     shim_rule_match_file) :
		   0;
}

bool shim_disk_space(const char *abs, uint64_t *cap, uint64_t *freeb, uint64_t *bs)
{
	return fr_ctl_disk_space(shim_ctl, shim_statfs_rules(abs, FR_ACT_DISK), cap, freeb, bs);
}
