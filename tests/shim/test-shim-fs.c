/*
 * Per-function tests of the fs family (calls naming paths, and the free
 * space a budget rule reports), one cmocka test per wrapped.def entry; see
 * fncase.h.
 */
#define _GNU_SOURCE
#include "fncase.h"

#include <sys/statfs.h>
#include <sys/statvfs.h>

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int zero_then(int r, bool effect, const char *what)
{
	if (r != 0)
		return -1;
	return effect ? 0 : WRONG("%s", what);
}

CASE(truncate) { int r = CALL(truncate(p, 3)); return zero_then(r, st_file_size(p) == 3, "not truncated"); }
CASE(truncate64) { int r = CALL(truncate64(p, 3)); return zero_then(r, st_file_size(p) == 3, "not truncated"); }

#define RENAMED (exists(with(p, ".new")) && !exists(p))

CASE(rename) { int r = CALL(rename(p, with(p, ".new"))); return zero_then(r, RENAMED, "not renamed"); }

/* the *at forms run with a dirfd and relative names */
#define AT                                                                 \
	int d = dirfd_of(p);                                               \
	char b[NAME_MAX + 1], b2[NAME_MAX + 8];                            \
	snprintf(b, sizeof(b), "%s", base_of(p));                          \
	snprintf(b2, sizeof(b2), "%s.new", base_of(p))

CASE(renameat) { AT; int r = CALL(renameat(d, b, d, b2)); close(d); return zero_then(r, RENAMED, "not renamed"); }
CASE(renameat2) { AT; int r = CALL(renameat2(d, b, d, b2, 0)); close(d); return zero_then(r, RENAMED, "not renamed"); }
CASE(unlink) { int r = CALL(unlink(p)); return zero_then(r, !exists(p), "not removed"); }
CASE(unlinkat) { AT; int r = CALL(unlinkat(d, b, 0)); close(d); return zero_then(r, !exists(p), "not removed"); }
CASE(rmdir) { int r = CALL(rmdir(with(p, ".d"))); return zero_then(r, !exists(with(p, ".d")), "not removed"); }
CASE(remove) { int r = CALL(remove(p)); return zero_then(r, !exists(p), "not removed"); }
CASE(mkdir) { int r = CALL(mkdir(with(p, ".m"), 0700)); return zero_then(r, is_dir(with(p, ".m")), "no directory"); }

CASE(mkdirat)
{
	AT;
	int r;

	snprintf(b2, sizeof(b2), "%s.m", base_of(p));
	r = CALL(mkdirat(d, b2, 0700));
	close(d);
	return zero_then(r, is_dir(with(p, ".m")), "no directory");
}

CASE(mkdtemp)
{
	char t[PATH_MAX];
	char *r;

	snprintf(t, sizeof(t), "%s.XXXXXX", p);
	r = CALL(mkdtemp(t));
	if (!r)
		return -1;
	return is_dir(t) ? 0 : WRONG("no directory %s", t);
}

/* link and symlink: a new entry beside p, the rule decided on the new name */
#define LINKED (exists(with(p, ".l")) && exists(p))

CASE(link) { int r = CALL(link(p, with(p, ".l"))); return zero_then(r, LINKED, "not linked"); }
CASE(symlink) { int r = CALL(symlink(p, with(p, ".l"))); return zero_then(r, LINKED, "no symbolic link"); }

CASE(linkat)
{
	AT;
	int r;

	snprintf(b2, sizeof(b2), "%s.l", base_of(p));
	r = CALL(linkat(d, b, d, b2, 0));
	close(d);
	return zero_then(r, LINKED, "not linked");
}

CASE(symlinkat)
{
	AT;
	int r;

	snprintf(b2, sizeof(b2), "%s.l", base_of(p));
	r = CALL(symlinkat(b, d, b2));
	close(d);
	return zero_then(r, LINKED, "no symbolic link");
}

/*
 * chdir and fchdir (fd-table rows: "write errno=ENOSPC path=D/match/ **" without the space)
 * armed): after the call a relative open is judged where the cwd now is,
 * and under match/ a symlink's name and a symlink's target both still
 * select the fd (the cwd cache never stands in for the kernel's path).
 */
static int write_faults(const char *path, bool want_fault)
{
	int fd = open(path, O_WRONLY | O_APPEND);
	ssize_t w;
	int err;

	if (fd < 0)
		return WRONG("open %s: %s", path, strerror(errno));
	w = write(fd, "x", 1);
	err = errno;
	close(fd);
	if (want_fault && !(w < 0 && err == ENOSPC))
		return WRONG("write on %s: %zd, want ENOSPC", path, w);
	if (!want_fault && w != 1)
		return WRONG("write on %s: %zd errno %s", path, w, strerror(err));
	return 0;
}

static int after_cd(const char *p)
{
	char top[PATH_MAX], tgt[PATH_MAX], lnd[PATH_MAX], ln[PATH_MAX], via[PATH_MAX];
	int r;

	if ((r = write_faults(base_of(p), st_expect_fault)) ||
	    (r = write_faults(with(".//", base_of(p)), st_expect_fault)))
		return r;
	if (!st_expect_fault)
		return 0;
	/* D/match's parent, D: a target outside match/ and a link to match/ */
	snprintf(top, sizeof(top), "%s/..", dir_of(p));
	snprintf(tgt, sizeof(tgt), "%s/tgt.%d", top, (int)getpid());
	snprintf(lnd, sizeof(lnd), "%s/lnd.%d", top, (int)getpid());
	snprintf(ln, sizeof(ln), "%s.ln", base_of(p));
	close(open(tgt, O_WRONLY | O_CREAT, 0600));
	if (symlink(tgt, ln) < 0 || symlink(dir_of(p), lnd) < 0)
		return WRONG("symlink: %s", strerror(errno));
	/* the link's name under match/, its target outside: the name selects it */
	if ((r = write_faults(ln, true)) || (r = write_faults(tgt, false)))
		return r;
	/* a link outside match/ to the directory: the target selects it */
	snprintf(via, sizeof(via), "%s/%s", lnd, base_of(p));
	if ((r = write_faults(via, true)))
		return r;
	/* a relative path after a chdir through the link */
	if (chdir(lnd) < 0)
		return WRONG("chdir %s: %s", lnd, strerror(errno));
	if ((r = write_faults(base_of(p), true)))
		return r;
	/* openat with a dirfd on the link's target */
	int d = open(lnd, O_RDONLY | O_DIRECTORY), fd = openat(d, base_of(p), O_WRONLY);
	ssize_t w = write(fd, "x", 1);
	close(fd);
	close(d);
	return w < 0 && errno == ENOSPC ? 0 : WRONG("openat via a dirfd: %zd", w);
}

/* first a relative open elsewhere (in D), which the cwd cache learns */
static int before_cd(const char *p)
{
	char pre[64];
	int fd;

	if (chdir(with(dir_of(p), "/..")) < 0)
		return WRONG("chdir: %s", strerror(errno));
	snprintf(pre, sizeof(pre), "pre.%d", (int)getpid());
	fd = open(pre, O_WRONLY | O_CREAT, 0600);
	if (fd < 0)
		return WRONG("open %s: %s", pre, strerror(errno));
	close(fd);
	return 0;
}

CASE(chdir)
{
	int r = before_cd(p);

	if (r)
		return r;
	r = CALL(chdir(dir_of(p)));
	return r < 0 ? -1 : after_cd(p);
}

CASE(fchdir)
{
	int d = dirfd_of(p), r = before_cd(p);

	if (r)
		return r;
	r = CALL(fchdir(d));
	close(d);
	return r < 0 ? -1 : after_cd(p);
}

/*
 * Free space: under the armed "write budget=1MiB" rule a matching path
 * reports at most 1 MiB available; otherwise the real (larger) figure.
 */
static int space(int r, unsigned long long avail, unsigned long long freeb)
{
	const unsigned long long mib = 1024 * 1024;

	if (r != 0)
		return -1;
	if (st_expect_fault && (avail > mib || freeb > mib))
		return WRONG("reports %llu bytes available, %llu free: want "
			     "at most the 1 MiB budget", avail, freeb);
	if (!st_expect_fault && avail <= mib)
		return WRONG("reports only %llu bytes available", avail);
	return 0;
}

#define VFS(call, buf)                                                     \
	int r = CALL(call);                                                \
	return space(r, (unsigned long long)buf.f_bavail * buf.f_frsize,   \
		     (unsigned long long)buf.f_bfree * buf.f_frsize)
#define FSFD int fd = open(p, O_RDONLY)

CASE(statvfs) { struct statvfs s; VFS(statvfs(dir_of(p), &s), s); }
CASE(statvfs64) { struct statvfs64 s; VFS(statvfs64(dir_of(p), &s), s); }
CASE(fstatvfs) { struct statvfs s; FSFD; VFS(fstatvfs(fd, &s), s); }
CASE(fstatvfs64) { struct statvfs64 s; FSFD; VFS(fstatvfs64(fd, &s), s); }
CASE(statfs) { struct statfs s; VFS(statfs(dir_of(p), &s), s); }
CASE(statfs64) { struct statfs64 s; VFS(statfs64(dir_of(p), &s), s); }
CASE(fstatfs) { struct statfs s; FSFD; VFS(fstatfs(fd, &s), s); }
CASE(fstatfs64) { struct statfs64 s; FSFD; VFS(fstatfs64(fd, &s), s); }

#define WRAP(name, ret, params, args, op, shape, fail, errnos)
#define WRAP_FS(name, ret, params, args, op, shape, fail, errnos)          \
	{ #name, ST_OP_##op, errnos, case_##name },
static const struct st_case cases[] = {
#include "wrapped.def"
};

int main(int argc, char **argv)
{
	st_init(argc, argv);
	umask(022);
	return run_cases("shim-fs", cases, sizeof(cases) / sizeof(cases[0]));
}
