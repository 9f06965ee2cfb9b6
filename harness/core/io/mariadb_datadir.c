/*
 * faultrun — the cached, initialised data directory of the embedded
 * MariaDB server (see mariadb.h), and the file-tree helpers it needs.
 *
 * Under a shared flock on the cache, the cached data directory is copied
 * (reflinked when the file system can) into <run_dir>/mariadb/data; when
 * the cache is missing or stale, the lock is taken exclusively and the
 * cache filled once with mariadb-install-db.
 */
#define _GNU_SOURCE
#include "io/mariadb_priv.h"
#include "util/err.h"
#include "util/fsutil.h"
#include "util/xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * Written into the cache's stamp file with fr_mdb_data_opts, so that
 * changing either re-initialises the cache. A 4 MiB redo log (the default
 * is 96 MiB) keeps the per-run copy near 17 MiB.
 */
#define LOCK_TIMEOUT_S 120.0

#define CACHE_FORMAT "faultrun-mariadb-cache 1"

const char *const fr_mdb_data_opts[] = {
	"--innodb-log-file-size=4M",
	NULL,
};

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* Remove name (a file or a whole tree) relative to dirfd; no symlinks followed. */
static int rm_tree_at(int dirfd, const char *name)
{
	DIR *d;
	struct dirent *de;
	int fd, ret = 0;

	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -errno;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (rm_tree_at(fd, de->d_name) < 0)
			ret = -errno;
	}
	closedir(d);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		ret = -errno;
	return ret;
}

int fr_mdb_rm_tree(const char *path)
{
	return rm_tree_at(AT_FDCWD, path);
}

/*
 * Copy one regular file: a reflink when the file system has them (btrfs,
 * xfs; ioctl_ficlone(2)), else copy_file_range(2) (in-kernel; it fails
 * with EXDEV across some file systems), else read/write.
 */
static int copy_file_at(int sdir, int ddir, const char *name, mode_t mode)
{
	int in, out, ret = 0;
	char buf[65536];
	ssize_t r;

	in = openat(sdir, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (in < 0)
		return -errno;
	out = openat(ddir, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 07777);
	if (out < 0) {
		ret = -errno;
		goto out_close_in;
	}
	if (ioctl(out, FICLONE, in) == 0)
		goto out_close;
	for (;;) {
		r = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
		if (r > 0)
			continue;
		if (r == 0)
			goto out_close;
		if (errno == EINTR)
			continue;
		break; /* EXDEV, ENOSYS, EINVAL: fall back */
	}
	while ((r = read(in, buf, sizeof(buf))) != 0) {
		ssize_t off = 0;

		if (r < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			goto out_close;
		}
		while (off < r) {
			ssize_t w = write(out, buf + off, r - off);

			if (w < 0) {
				if (errno == EINTR)
					continue;
				ret = -errno;
				goto out_close;
			}
			off += w;
		}
	}
out_close:
	if (close(out) < 0 && !ret)
		ret = -errno;
out_close_in:
	close(in);
	return ret;
}

/* Copy the contents of directory sdir into the existing directory ddir. */
static int copy_tree_fd(int sdir, int ddir)
{
	struct dirent *de;
	struct stat st;
	int dup_fd, ret = 0;
	DIR *d;

	dup_fd = dup(sdir);
	if (dup_fd < 0)
		return -errno;
	d = fdopendir(dup_fd);
	if (!d) {
		close(dup_fd);
		return -errno;
	}
	rewinddir(d);
	while (!ret && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(sdir, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			ret = -errno;
			break;
		}
		if (S_ISREG(st.st_mode)) {
			ret = copy_file_at(sdir, ddir, de->d_name, st.st_mode);
		} else if (S_ISDIR(st.st_mode)) {
			int s2, d2;

			if (mkdirat(ddir, de->d_name, st.st_mode & 07777) < 0) {
				ret = -errno;
				break;
			}
			s2 = openat(sdir, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			d2 = openat(ddir, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (s2 < 0 || d2 < 0)
				ret = -errno;
			else
				ret = copy_tree_fd(s2, d2);
			if (s2 >= 0)
				close(s2);
			if (d2 >= 0)
				close(d2);
		}
		/* a data directory holds nothing else worth copying */
	}
	closedir(d);
	return ret;
}

static int copy_tree(const char *src, const char *dst)
{
	int s, d, ret;

	if (mkdir(dst, 0700) < 0)
		return -errno;
	s = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s < 0)
		return -errno;
	d = open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d < 0) {
		ret = -errno;
		close(s);
		return ret;
	}
	ret = copy_tree_fd(s, d);
	close(s);
	close(d);
	return ret;
}

/* ${XDG_CACHE_HOME:-$HOME/.cache}/faultrun */
static char *cache_base(void)
{
	const char *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	struct passwd *pw;

	if (xdg && *xdg == '/')
		return fr_xasprintf("%s/faultrun", xdg);
	if (!home || !*home) {
		pw = getpwuid(geteuid());
		home = pw ? pw->pw_dir : "/tmp";
	}
	return fr_xasprintf("%s/.cache/faultrun", home);
}

/* What the stamp file of a cache made with today's options holds. */
static void stamp_text(char *buf, size_t len)
{
	snprintf(buf, len, "%s\n", CACHE_FORMAT);
	for (const char *const *o = fr_mdb_data_opts; *o; o++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s\n", *o);
}

static bool stamp_ok(const char *dir)
{
	char *path = fr_xasprintf("%s/stamp", dir);
	char buf[256] = "", want[256];
	ssize_t n = -1;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	if (n <= 0)
		return false;
	buf[n] = '\0';
	stamp_text(want, sizeof(want));
	return !strcmp(buf, want);
}

int fr_mdb_write_file(const char *path, const char *text, mode_t mode, uid_t uid, gid_t gid)
{
	int fd, ret;

	/* a new file, never one planted before us nor a symlink's target */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	ret = fr_write_all(fd, text, strlen(text));
	if (!ret && uid != (uid_t)-1 && fchown(fd, uid, gid) < 0)
		ret = -errno;
	if (close(fd) < 0 && !ret)
		ret = -errno;
	if (ret)
		unlink(path);
	return ret;
}

/* Remove leftovers of initialisations that were killed half-way. */
static void remove_stale_tmp(const char *base, const char *prefix)
{
	size_t plen = strlen(prefix);
	struct dirent *de;
	int fd;
	DIR *d;

	fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, prefix, plen))
			rm_tree_at(fd, de->d_name);
	closedir(d);
}

/* Initialise the data directory data with mariadb-install-db, its output in logp. */
static int install_db(const char *data, const char *logp, char *err, size_t errlen)
{
	char datadir_arg[PATH_MAX + 16], tail[512];
	const char *argv[16];
	int argc = 0, ret;

	snprintf(datadir_arg, sizeof(datadir_arg), "--datadir=%s", data);
	argv[argc++] = fr_mdb_install_db_path();
	argv[argc++] = "--no-defaults";
	argv[argc++] = datadir_arg;
	argv[argc++] = "--skip-test-db";
	argv[argc++] = "--skip-name-resolve";
	if (geteuid() == 0)
		argv[argc++] = "--user=root";
	for (const char *const *o = fr_mdb_data_opts; *o; o++)
		argv[argc++] = *o;
	argv[argc] = NULL;

	ret = fr_mdb_run_helper((char *const *)argv, logp, NULL, 0);
	if (ret == 0)
		return 0;
	fr_mdb_log_tail(logp, tail, sizeof(tail));
	if (ret == 127) {
		fr_set_err(err, errlen, "cannot run '%s' (install mariadb-server)", argv[0]);
		return -ENOENT;
	}
	fr_set_err(err, errlen, "'%s' failed (status %d): %s", argv[0], ret, tail);
	return ret < 0 ? ret : -EIO;
}

/*
 * Fill the cache directory dir with an initialised data directory and its
 * stamp. Called with the cache lock held exclusively: builds everything in
 * a temporary sibling and renames it into place, so a reader never sees a
 * half-made cache even if we are killed.
 */
static int cache_fill(const char *base, const char *dir, const char *name, char *err, size_t errlen)
{
	char *prefix = fr_xasprintf("%s.tmp-", name);
	char *tmp = fr_xasprintf("%s/%s.tmp-XXXXXX", base, name);
	char *data = NULL, *logp = NULL, *stampp = NULL, stamp[256];
	int ret;

	remove_stale_tmp(base, prefix);
	fr_mdb_rm_tree(dir);
	if (!mkdtemp(tmp)) {
		ret = -errno;
		fr_set_err(err, errlen, "cannot create '%s': %s", tmp, strerror(-ret));
		goto out_free;
	}
	data = fr_xasprintf("%s/data", tmp);
	logp = fr_xasprintf("%s/install.log", tmp);
	stampp = fr_xasprintf("%s/stamp", tmp);
	ret = install_db(data, logp, err, errlen);
	if (ret < 0)
		goto err_rm_tmp;
	unlink(logp);

	stamp_text(stamp, sizeof(stamp));
	ret = fr_mdb_write_file(stampp, stamp, 0600, -1, -1);
	if (ret < 0 || rename(tmp, dir) < 0) {
		ret = ret < 0 ? ret : -errno;
		fr_set_err(err, errlen, "cannot fill the cache '%s': %s", dir, strerror(-ret));
		goto err_rm_tmp;
	}
	goto out_free;

err_rm_tmp:
	fr_mdb_rm_tree(tmp);
out_free:
	free(prefix);
	free(tmp);
	free(data);
	free(logp);
	free(stampp);
	return ret;
}

/* flock() with a deadline, polling, so a stuck peer cannot hang us. */
static int lock_with_deadline(int fd, int op, double timeout)
{
	double deadline = fr_mdb_now() + timeout;

	while (flock(fd, op | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -errno;
		if (fr_mdb_now() > deadline)
			return -ETIMEDOUT;
		fr_mdb_sleep(0.05);
	}
	return 0;
}

/*
 * Copy the cached data directory for version into dest, filling the cache
 * first if needed. *cold tells whether we had to.
 */
int fr_mdb_prepare_datadir(const char *version, const char *dest, bool *cold, char *err,
			   size_t errlen)
{
	char *base = cache_base();
	char *name = fr_xasprintf("mariadb-%s", version);
	char *dir = fr_xasprintf("%s/%s", base, name);
	char *lockp = fr_xasprintf("%s/%s.lock", base, name);
	char *src = fr_xasprintf("%s/data", dir);
	int lockfd = -1, ret;

	*cold = false;
	ret = mkdir_p(base, 0700);
	if (ret < 0) {
		fr_set_err(err, errlen, "cannot create the cache '%s': %s", base, strerror(-ret));
		goto out_free;
	}
	lockfd = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lockfd < 0) {
		ret = -errno;
		fr_set_err(err, errlen, "cannot open '%s': %s", lockp, strerror(-ret));
		goto out_free;
	}
	ret = lock_with_deadline(lockfd, LOCK_SH, LOCK_TIMEOUT_S);
	if (ret == 0 && !stamp_ok(dir)) {
		/* not atomic, so look again once we hold it exclusively */
		flock(lockfd, LOCK_UN);
		ret = lock_with_deadline(lockfd, LOCK_EX, LOCK_TIMEOUT_S);
		if (ret == 0 && !stamp_ok(dir)) {
			*cold = true;
			ret = cache_fill(base, dir, name, err, errlen);
			if (ret < 0)
				goto out_close;
		}
	}
	if (ret < 0) {
		fr_set_err(err, errlen, "cannot lock '%s': %s", lockp, strerror(-ret));
		goto out_close;
	}
	ret = copy_tree(src, dest);
	if (ret < 0)
		fr_set_err(err, errlen, "cannot copy '%s' to '%s': %s", src, dest, strerror(-ret));
out_close:
	close(lockfd);
out_free:
	free(base);
	free(name);
	free(dir);
	free(lockp);
	free(src);
	return ret;
}
