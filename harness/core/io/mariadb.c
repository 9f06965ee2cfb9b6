/*
 * faultrun — the embedded MariaDB server of a run (see mariadb.h).
 *
 * Start-up, in order:
 *  1. ask mariadbd for its version (the cache is per server version);
 *  2. under a shared flock on the cache, copy (reflink when the file system
 *     can) the cached data directory into <run_dir>/mariadb/data; when the
 *     cache is missing or stale, take the lock exclusively and fill it once
 *     with mariadb-install-db;
 *  3. pick a free loopback port (bind port 0), write an --init-file that
 *     creates the target's user and database with fresh random passwords;
 *  4. fork, tie the child to our life (own process group, PDEATHSIG) and
 *     exec mariadbd with --no-defaults, so /etc/mysql never leaks in;
 *  5. poll mysql_real_connect() on the socket, then over TCP, until both
 *     answer or a deadline passes; a server that dies on the way is reported
 *     with the last error line of its log, and a lost race for the port is
 *     retried with another one.
 */
#define _GNU_SOURCE
#include "io/mariadb.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <mysql.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"

#define READY_TIMEOUT_S 20.0
#define LOCK_TIMEOUT_S 120.0
#define STOP_GRACE_S 10.0
#define KILL_WAIT_S 2.0
#define PORT_ATTEMPTS 3

#define TARGET_USER "app"
#define TARGET_DB "app"
#define ADMIN_USER "faultrun"

/*
 * Server options that the cached data directory depends on: they are used
 * both by mariadb-install-db and by every run, and written into the cache's
 * stamp file so that changing them re-initialises the cache. A 4 MiB redo
 * log (the default is 96 MiB) keeps the per-run copy near 17 MiB.
 */
static const char *const data_opts[] = {
	"--innodb-log-file-size=4M",
	NULL,
};
#define CACHE_FORMAT "faultrun-mariadb-cache 1"

struct fr_mariadb {
	pid_t pid;
	int pidfd;
	unsigned int port;
	char *dir;	/* <run_dir>/mariadb */
	char *sock;
	char *log;
	char *version;
	char password[33];
	char admin_password[33];
	double start_seconds;
	bool cold;
};

extern char **environ;

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static char *path_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *path_fmt(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	struct timespec ts = { .tv_sec = (time_t)s,
			       .tv_nsec = (long)((s - (time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static const char *mariadbd_path(void)
{
	const char *p = getenv("FAULTRUN_MARIADBD");

	return p && *p ? p : FR_MARIADBD;
}

static const char *install_db_path(void)
{
	const char *p = getenv("FAULTRUN_MARIADB_INSTALL_DB");

	return p && *p ? p : "mariadb-install-db";
}

/* Random lowercase hex password, no quoting needed in SQL or a shell. */
static int random_hex(char *buf, size_t n)
{
	unsigned char raw[16];
	size_t i;

	if (n < 2 * sizeof(raw) + 1)
		return -EINVAL;
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return -errno ? -errno : -EIO;
	for (i = 0; i < sizeof(raw); i++)
		sprintf(buf + 2 * i, "%02x", raw[i]);
	return 0;
}

/*
 * The environment for the helpers we exec: ours minus LD_PRELOAD and the
 * shim's own variables, so a faultrun that itself runs under the shim (its
 * own tests do) never injects faults into its database.
 */
static char **clean_env(void)
{
	size_t n = 0, k = 0;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + 1, sizeof(*env));
	if (!env)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const char *e = environ[i];

		if (!strncmp(e, "LD_PRELOAD=", 11) ||
		    !strncmp(e, "FAULTRUN_", 9) || !strncmp(e, "FAULTSHIM_", 10))
			continue;
		env[k++] = environ[i];
	}
	return env;
}

/*
 * In a freshly forked child, before exec: nothing here may allocate or lock
 * (the parent may have threads). Resets what exec inherits and the server
 * must not: blocked signals (the runner blocks them for signalfd), ignored
 * signals, and every fd but the three standard ones.
 */
static void child_reset(int out_fd)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;
	int nullfd;

	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	nullfd = open("/dev/null", O_RDWR);
	if (nullfd >= 0)
		dup2(nullfd, STDIN_FILENO);
	if (out_fd >= 0) {
		dup2(out_fd, STDOUT_FILENO);
		dup2(out_fd, STDERR_FILENO);
	} else if (nullfd >= 0) {
		dup2(nullfd, STDOUT_FILENO);
		dup2(nullfd, STDERR_FILENO);
	}
	close_range(3, ~0U, 0);
}

/*
 * Run a helper to completion with its output in out_path (or into a pipe
 * we read into buf when buf is non-NULL). Returns its exit status (>= 0),
 * or -errno; 127 means it could not be executed.
 */
static int run_helper(char *const argv[], const char *out_path, char *buf,
		      size_t buflen)
{
	int pipefd[2] = { -1, -1 }, out_fd = -1, status, ret;
	char **env = clean_env();
	size_t len = 0;
	pid_t pid;

	if (!env)
		return -ENOMEM;
	if (buf) {
		if (pipe2(pipefd, O_CLOEXEC) < 0) {
			ret = -errno;
			goto out_free_env;
		}
		out_fd = pipefd[1];
	} else if (out_path) {
		out_fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			      0600);
		if (out_fd < 0) {
			ret = -errno;
			goto out_free_env;
		}
	}

	pid = fork();
	if (pid < 0) {
		ret = -errno;
		goto out_close;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		child_reset(out_fd);
		if (strchr(argv[0], '/'))
			execve(argv[0], argv, env);
		else
			execvpe(argv[0], argv, env);
		_exit(127);
	}
	if (buf) {
		close(pipefd[1]);
		pipefd[1] = -1;
		out_fd = -1;
		while (len + 1 < buflen) {
			ssize_t r = read(pipefd[0], buf + len, buflen - 1 - len);

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			len += r;
		}
		buf[len] = '\0';
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			ret = -errno;
			goto out_close;
		}
	}
	ret = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
out_close:
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	else if (out_fd >= 0)
		close(out_fd);
out_free_env:
	free(env);
	return ret;
}

/* "mariadbd  Ver 10.11.19-MariaDB-0+deb12u1 for ..." -> "10.11.19-..." */
static int server_version(const char *bin, char **version, char *err,
			  size_t errlen)
{
	char *argv[] = { (char *)bin, "--version", NULL };
	char out[512], *v, *end;
	int ret;

	if (access(bin, X_OK) < 0) {
		ret = -errno;
		set_err(err, errlen, "faultrun: mariadb server '%s': %s "
			"(install mariadb-server)", bin, strerror(-ret));
		return ret;
	}
	ret = run_helper(argv, NULL, out, sizeof(out));
	v = ret == 0 ? strstr(out, " Ver ") : NULL;
	if (!v) {
		set_err(err, errlen, "faultrun: '%s --version' failed", bin);
		return ret < 0 ? ret : -EIO;
	}
	v += 5;
	end = v + strcspn(v, " \t\n");
	*version = strndup(v, end - v);
	if (!*version)
		return -ENOMEM;
	/* it becomes a directory name */
	for (char *c = *version; *c; c++)
		if (*c == '/')
			*c = '_';
	return 0;
}

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

static int rm_tree(const char *path)
{
	return rm_tree_at(AT_FDCWD, path);
}

/*
 * Copy one regular file: a reflink when the file system has them (btrfs,
 * xfs), else copy_file_range (in-kernel), else read/write.
 */
static int copy_file_at(int sdir, int ddir, const char *name, mode_t mode)
{
	int in, out, ret = 0;
	char buf[65536];
	ssize_t r;

	in = openat(sdir, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (in < 0)
		return -errno;
	out = openat(ddir, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		     mode & 07777);
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
			s2 = openat(sdir, de->d_name,
				    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			d2 = openat(ddir, de->d_name,
				    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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
		return path_fmt("%s/faultrun", xdg);
	if (!home || !*home) {
		pw = getpwuid(geteuid());
		home = pw ? pw->pw_dir : "/tmp";
	}
	return path_fmt("%s/.cache/faultrun", home);
}

/* The last "[ERROR]" line of a server or install log, else its last line. */
static void log_tail(const char *path, char *out, size_t outlen)
{
	char buf[8192], *line, *best = NULL, *last = NULL, *save;
	ssize_t n = 0;
	off_t size;
	int fd;

	out[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	size = lseek(fd, 0, SEEK_END);
	if (size > (off_t)sizeof(buf) - 1)
		lseek(fd, size - (off_t)sizeof(buf) + 1, SEEK_SET);
	else
		lseek(fd, 0, SEEK_SET);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	/* the last error that is not the closing "[ERROR] Aborting" */
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strstr(line, "[ERROR]") && !strstr(line, "] Aborting"))
			best = line;
		last = line;
	}
	snprintf(out, outlen, "%s", best ? best : last ? last : "");
}

static bool stamp_ok(const char *dir)
{
	char *path = path_fmt("%s/stamp", dir);
	char buf[256] = "", want[256];
	ssize_t n = -1;
	int fd;

	if (!path)
		return false;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	if (n <= 0)
		return false;
	buf[n] = '\0';
	snprintf(want, sizeof(want), "%s\n", CACHE_FORMAT);
	for (const char *const *o = data_opts; *o; o++)
		snprintf(want + strlen(want), sizeof(want) - strlen(want),
			 "%s\n", *o);
	return !strcmp(buf, want);
}

static int write_file(const char *path, const char *text, mode_t mode)
{
	size_t len = strlen(text), off = 0;
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		off += w;
	}
	if (close(fd) < 0 && !ret)
		ret = -errno;
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

/*
 * Fill the cache directory dir with an initialised data directory and its
 * stamp. Called with the cache lock held exclusively: builds everything in
 * a temporary sibling and renames it into place, so a reader never sees a
 * half-made cache even if we are killed.
 */
static int cache_fill(const char *base, const char *dir, const char *name,
		      char *err, size_t errlen)
{
	char *tmp = NULL, *data = NULL, *logp = NULL, *prefix = NULL;
	char datadir_arg[PATH_MAX + 16], tail[512], stamp[256];
	const char *argv[16];
	int argc = 0, ret;

	prefix = path_fmt("%s.tmp-", name);
	tmp = path_fmt("%s/%s.tmp-XXXXXX", base, name);
	if (!prefix || !tmp) {
		ret = -ENOMEM;
		goto out_free;
	}
	remove_stale_tmp(base, prefix);
	rm_tree(dir);
	if (!mkdtemp(tmp)) {
		ret = -errno;
		set_err(err, errlen, "faultrun: cannot create '%s': %s", tmp,
			strerror(-ret));
		goto out_free;
	}
	data = path_fmt("%s/data", tmp);
	logp = path_fmt("%s/install.log", tmp);
	if (!data || !logp) {
		ret = -ENOMEM;
		goto err_rm_tmp;
	}
	snprintf(datadir_arg, sizeof(datadir_arg), "--datadir=%s", data);
	argv[argc++] = install_db_path();
	argv[argc++] = "--no-defaults";
	argv[argc++] = datadir_arg;
	argv[argc++] = "--skip-test-db";
	argv[argc++] = "--skip-name-resolve";
	if (geteuid() == 0)
		argv[argc++] = "--user=root";
	for (const char *const *o = data_opts; *o; o++)
		argv[argc++] = *o;
	argv[argc] = NULL;

	ret = run_helper((char *const *)argv, logp, NULL, 0);
	if (ret != 0) {
		log_tail(logp, tail, sizeof(tail));
		if (ret == 127) {
			set_err(err, errlen, "faultrun: cannot run '%s' "
				"(install mariadb-server)", argv[0]);
			ret = -ENOENT;
		} else {
			set_err(err, errlen, "faultrun: '%s' failed (status %d): %s",
				argv[0], ret, tail);
			ret = ret < 0 ? ret : -EIO;
		}
		goto err_rm_tmp;
	}
	unlink(logp);

	snprintf(stamp, sizeof(stamp), "%s\n", CACHE_FORMAT);
	for (const char *const *o = data_opts; *o; o++)
		snprintf(stamp + strlen(stamp), sizeof(stamp) - strlen(stamp),
			 "%s\n", *o);
	free(logp);
	logp = path_fmt("%s/stamp", tmp);
	if (!logp) {
		ret = -ENOMEM;
		goto err_rm_tmp;
	}
	ret = write_file(logp, stamp, 0600);
	if (ret < 0 || rename(tmp, dir) < 0) {
		ret = ret < 0 ? ret : -errno;
		set_err(err, errlen, "faultrun: cannot fill the cache '%s': %s",
			dir, strerror(-ret));
		goto err_rm_tmp;
	}
	goto out_free;

err_rm_tmp:
	rm_tree(tmp);
out_free:
	free(prefix);
	free(tmp);
	free(data);
	free(logp);
	return ret;
}

/* flock() with a deadline, polling, so a stuck peer cannot hang us. */
static int lock_with_deadline(int fd, int op, double timeout)
{
	double deadline = now_s() + timeout;

	while (flock(fd, op | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -errno;
		if (now_s() > deadline)
			return -ETIMEDOUT;
		sleep_s(0.05);
	}
	return 0;
}

/*
 * Copy the cached data directory for version into dest, filling the cache
 * first if needed. *cold tells whether we had to.
 */
static int prepare_datadir(const char *version, const char *dest, bool *cold,
			   char *err, size_t errlen)
{
	char *base = cache_base(), *name = NULL, *dir = NULL, *lockp = NULL;
	char *src = NULL;
	int lockfd = -1, ret;

	*cold = false;
	if (!base)
		return -ENOMEM;
	name = path_fmt("mariadb-%s", version);
	dir = path_fmt("%s/%s", base, name ? name : "");
	lockp = path_fmt("%s/%s.lock", base, name ? name : "");
	src = path_fmt("%s/data", dir ? dir : "");
	if (!name || !dir || !lockp || !src) {
		ret = -ENOMEM;
		goto out_free;
	}
	ret = mkdir_p(base, 0700);
	if (ret < 0) {
		set_err(err, errlen, "faultrun: cannot create the cache '%s': %s",
			base, strerror(-ret));
		goto out_free;
	}
	lockfd = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lockfd < 0) {
		ret = -errno;
		set_err(err, errlen, "faultrun: cannot open '%s': %s", lockp,
			strerror(-ret));
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
		set_err(err, errlen, "faultrun: cannot lock '%s': %s", lockp,
			strerror(-ret));
		goto out_close;
	}
	ret = copy_tree(src, dest);
	if (ret < 0)
		set_err(err, errlen, "faultrun: cannot copy '%s' to '%s': %s",
			src, dest, strerror(-ret));
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

/* A loopback port nobody listens on right now (the server binds it later). */
static int pick_port(unsigned int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd, ret = 0;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		ret = -errno;
	else
		*port = ntohs(sa.sin_port);
	close(fd);
	return ret;
}

static int write_init_sql(const char *path, const struct fr_mariadb *db)
{
	char sql[2048];

	snprintf(sql, sizeof(sql),
		 "CREATE DATABASE IF NOT EXISTS `" TARGET_DB "`;\n"
		 "CREATE OR REPLACE USER '" TARGET_USER "'@'localhost' IDENTIFIED BY '%s';\n"
		 "CREATE OR REPLACE USER '" TARGET_USER "'@'%%' IDENTIFIED BY '%s';\n"
		 "GRANT ALL PRIVILEGES ON `" TARGET_DB "`.* TO '" TARGET_USER
		 "'@'localhost', '" TARGET_USER "'@'%%';\n"
		 "CREATE OR REPLACE USER '" ADMIN_USER "'@'localhost' IDENTIFIED BY '%s';\n"
		 "CREATE OR REPLACE USER '" ADMIN_USER "'@'%%' IDENTIFIED BY '%s';\n"
		 "GRANT ALL PRIVILEGES ON *.* TO '" ADMIN_USER "'@'localhost', '"
		 ADMIN_USER "'@'%%' WITH GRANT OPTION;\n",
		 db->password, db->password, db->admin_password,
		 db->admin_password);
	return write_file(path, sql, 0600);
}

/*
 * Fork and exec the server. The child gets its own process group (so a
 * terminal's ^C reaches faultrun, which then stops it cleanly) and
 * PDEATHSIG, so that it dies with us even when we are SIGKILLed.
 */
static int spawn_server(struct fr_mariadb *db, const char *init_path)
{
	char a_datadir[PATH_MAX + 16], a_socket[PATH_MAX + 16],
		a_port[32], a_pid[PATH_MAX + 16], a_log[PATH_MAX + 16],
		a_tmp[PATH_MAX + 16], a_init[PATH_MAX + 16];
	const char *argv[40];
	pid_t parent = getpid(), pid;
	int argc = 0, logfd;
	char **env;

	snprintf(a_datadir, sizeof(a_datadir), "--datadir=%s/data", db->dir);
	snprintf(a_socket, sizeof(a_socket), "--socket=%s", db->sock);
	snprintf(a_port, sizeof(a_port), "--port=%u", db->port);
	snprintf(a_pid, sizeof(a_pid), "--pid-file=%s/pid", db->dir);
	snprintf(a_log, sizeof(a_log), "--log-error=%s", db->log);
	snprintf(a_tmp, sizeof(a_tmp), "--tmpdir=%s/tmp", db->dir);
	snprintf(a_init, sizeof(a_init), "--init-file=%s", init_path);

	argv[argc++] = mariadbd_path();
	argv[argc++] = "--no-defaults"; /* must come first */
	argv[argc++] = a_datadir;
	argv[argc++] = a_socket;
	argv[argc++] = a_port;
	argv[argc++] = "--bind-address=127.0.0.1";
	argv[argc++] = a_pid;
	argv[argc++] = a_log;
	argv[argc++] = a_tmp;
	argv[argc++] = a_init;
	argv[argc++] = "--skip-name-resolve";
	argv[argc++] = "--skip-log-bin";
	argv[argc++] = "--character-set-server=utf8mb4";
	argv[argc++] = "--collation-server=utf8mb4_general_ci";
	/* a scratch server: small, and no fsync per commit */
	argv[argc++] = "--innodb-buffer-pool-size=32M";
	argv[argc++] = "--innodb-flush-log-at-trx-commit=0";
	argv[argc++] = "--innodb-doublewrite=0";
	argv[argc++] = "--performance-schema=0";
	if (geteuid() == 0)
		argv[argc++] = "--user=root";
	for (const char *const *o = data_opts; *o; o++)
		argv[argc++] = *o;
	argv[argc] = NULL;

	env = clean_env();
	if (!env)
		return -ENOMEM;
	logfd = open(db->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (logfd < 0) {
		free(env);
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		int ret = -errno;

		close(logfd);
		free(env);
		return ret;
	}
	if (pid == 0) {
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent) /* we died before prctl() */
			_exit(127);
		child_reset(logfd);
		execve(argv[0], (char *const *)argv, env);
		_exit(127);
	}
	setpgid(pid, pid); /* both sides, whichever runs first */
	close(logfd);
	free(env);
	db->pid = pid;
	db->pidfd = pidfd_open(pid, 0);
	return 0;
}

/*
 * Wait up to timeout for the server to exit; reap it if it is ours.
 * Returns true when it is gone.
 */
static bool wait_exit(struct fr_mariadb *db, double timeout)
{
	double deadline = now_s() + timeout;
	int status;

	for (;;) {
		pid_t r = waitpid(db->pid, &status, WNOHANG);

		if (r == db->pid)
			return true;
		if (r < 0 && errno == ECHILD) {
			/* reaped elsewhere (SIGCHLD ignored, or waitpid(-1)) */
			if (db->pidfd >= 0) {
				struct pollfd p = { .fd = db->pidfd,
						    .events = POLLIN };

				if (poll(&p, 1, 0) == 1)
					return true;
			} else if (kill(db->pid, 0) < 0 && errno == ESRCH) {
				return true;
			}
		}
		double left = deadline - now_s();

		if (left <= 0)
			return false;
		if (db->pidfd >= 0) {
			struct pollfd p = { .fd = db->pidfd, .events = POLLIN };
			int ms = left > 0.2 ? 200 : (int)(left * 1000) + 1;

			poll(&p, 1, ms);
		} else {
			sleep_s(left > 0.01 ? 0.01 : left);
		}
	}
}

static bool try_connect(const struct fr_mariadb *db, bool tcp)
{
	unsigned int timeout = 2;
	bool ok = false;
	MYSQL *m;

	m = mysql_init(NULL);
	if (!m)
		return false;
	mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &timeout);
	mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &timeout);
	if (tcp) {
		unsigned int proto = MYSQL_PROTOCOL_TCP;

		mysql_options(m, MYSQL_OPT_PROTOCOL, &proto);
	}
	if (mysql_real_connect(m, tcp ? "127.0.0.1" : NULL, TARGET_USER,
			       db->password, TARGET_DB, tcp ? db->port : 0,
			       tcp ? NULL : db->sock, 0))
		ok = mysql_query(m, "SELECT 1") == 0;
	if (ok) {
		MYSQL_RES *res = mysql_store_result(m);

		mysql_free_result(res);
	}
	mysql_close(m);
	return ok;
}

/*
 * Poll until the server answers on the socket and then on TCP. Returns 0,
 * -ECHILD when it exited (its status is reaped), -ETIMEDOUT.
 */
static int wait_ready(struct fr_mariadb *db, double deadline)
{
	int status;

	for (;;) {
		pid_t r = waitpid(db->pid, &status, WNOHANG);

		if (r == db->pid || (r < 0 && errno == ECHILD))
			return -ECHILD;
		if (try_connect(db, false) && try_connect(db, true))
			return 0;
		if (now_s() > deadline)
			return -ETIMEDOUT;
		if (db->pidfd >= 0) {
			struct pollfd p = { .fd = db->pidfd, .events = POLLIN };

			poll(&p, 1, 20);
		} else {
			sleep_s(0.02);
		}
	}
}

static void kill_server(struct fr_mariadb *db)
{
	if (db->pid <= 0)
		return;
	kill(-db->pid, SIGKILL);
	kill(db->pid, SIGKILL);
	wait_exit(db, KILL_WAIT_S);
	if (db->pidfd >= 0)
		close(db->pidfd);
	db->pidfd = -1;
	db->pid = 0;
}

static void db_free(struct fr_mariadb *db)
{
	free(db->dir);
	free(db->sock);
	free(db->log);
	free(db->version);
	free(db);
}

int fr_mariadb_start(const char *run_dir, struct fr_mariadb **out, char *err,
		     size_t errlen)
{
	char *datadir = NULL, *tmpdir = NULL, *init = NULL, *kept_log, tail[512];
	struct sockaddr_un sun;
	double t0 = now_s();
	struct fr_mariadb *db;
	int ret, attempt;

	*out = NULL;
	db = calloc(1, sizeof(*db));
	if (!db)
		return -ENOMEM;
	db->pidfd = -1;
	db->dir = path_fmt("%s/mariadb", run_dir);
	db->sock = path_fmt("%s/mariadb/sock", run_dir);
	db->log = path_fmt("%s/mariadb/error.log", run_dir);
	datadir = path_fmt("%s/mariadb/data", run_dir);
	tmpdir = path_fmt("%s/mariadb/tmp", run_dir);
	init = path_fmt("%s/mariadb/init.sql", run_dir);
	if (!db->dir || !db->sock || !db->log || !datadir || !tmpdir || !init) {
		ret = -ENOMEM;
		goto err_free;
	}
	if (strlen(db->sock) >= sizeof(sun.sun_path)) {
		ret = -ENAMETOOLONG;
		set_err(err, errlen, "faultrun: run directory '%s' is too long "
			"for a unix socket path", run_dir);
		goto err_free;
	}
	ret = server_version(mariadbd_path(), &db->version, err, errlen);
	if (ret < 0)
		goto err_free;
	if (mkdir(db->dir, 0700) < 0) {
		ret = -errno;
		set_err(err, errlen, "faultrun: cannot create '%s': %s", db->dir,
			strerror(-ret));
		goto err_free;
	}
	ret = prepare_datadir(db->version, datadir, &db->cold, err, errlen);
	if (ret < 0)
		goto err_rm_dir;
	if (mkdir(tmpdir, 0700) < 0) {
		ret = -errno;
		goto err_rm_dir;
	}
	if ((ret = random_hex(db->password, sizeof(db->password))) < 0 ||
	    (ret = random_hex(db->admin_password,
			      sizeof(db->admin_password))) < 0 ||
	    (ret = write_init_sql(init, db)) < 0) {
		set_err(err, errlen, "faultrun: cannot write '%s': %s", init,
			strerror(-ret));
		goto err_rm_dir;
	}

	for (attempt = 1;; attempt++) {
		ret = pick_port(&db->port);
		if (ret < 0) {
			set_err(err, errlen, "faultrun: no free loopback port: %s",
				strerror(-ret));
			goto err_rm_dir;
		}
		ret = spawn_server(db, init);
		if (ret < 0) {
			set_err(err, errlen, "faultrun: cannot start '%s': %s",
				mariadbd_path(), strerror(-ret));
			goto err_rm_dir;
		}
		ret = wait_ready(db, t0 + READY_TIMEOUT_S);
		if (ret == 0)
			break;
		log_tail(db->log, tail, sizeof(tail));
		if (ret == -ECHILD && attempt < PORT_ATTEMPTS &&
		    strstr(tail, "in use")) {
			/* lost the race for the port: try another one */
			close(db->pidfd);
			db->pidfd = -1;
			db->pid = 0;
			continue;
		}
		kill_server(db);
		/* keep the log where the message says, outside what we remove */
		kept_log = path_fmt("%s/mariadb-error.log", run_dir);
		if (kept_log && rename(db->log, kept_log) < 0) {
			free(kept_log);
			kept_log = NULL;
		}
		if (ret == -ECHILD)
			set_err(err, errlen, "faultrun: mariadbd exited during "
				"start-up: %s (log: %s)", tail,
				kept_log ? kept_log : "lost");
		else
			set_err(err, errlen, "faultrun: mariadbd not ready after "
				"%.0f s (log: %s)", READY_TIMEOUT_S,
				kept_log ? kept_log : "lost");
		free(kept_log);
		goto err_rm_dir;
	}
	unlink(init); /* it holds the passwords */
	db->start_seconds = now_s() - t0;
	free(datadir);
	free(tmpdir);
	free(init);
	*out = db;
	return 0;

err_rm_dir:
	rm_tree(db->dir);
err_free:
	if (db->pidfd >= 0)
		close(db->pidfd);
	free(datadir);
	free(tmpdir);
	free(init);
	db_free(db);
	return ret;
}

void fr_mariadb_stop(struct fr_mariadb *db)
{
	if (!db)
		return;
	if (db->pid > 0) {
		kill(db->pid, SIGTERM);
		if (wait_exit(db, STOP_GRACE_S)) {
			/* reaped: its pid (and group id) may be reused now */
			if (db->pidfd >= 0)
				close(db->pidfd);
			db->pidfd = -1;
			db->pid = 0;
		} else {
			kill_server(db);
		}
	}
	rm_tree(db->dir);
	db_free(db);
}

const char *fr_mariadb_host(const struct fr_mariadb *db)
{
	(void)db;
	return "127.0.0.1";
}

unsigned int fr_mariadb_port(const struct fr_mariadb *db)
{
	return db->port;
}

const char *fr_mariadb_socket(const struct fr_mariadb *db)
{
	return db->sock;
}

const char *fr_mariadb_user(const struct fr_mariadb *db)
{
	(void)db;
	return TARGET_USER;
}

const char *fr_mariadb_password(const struct fr_mariadb *db)
{
	return db->password;
}

const char *fr_mariadb_database(const struct fr_mariadb *db)
{
	(void)db;
	return TARGET_DB;
}

const char *fr_mariadb_admin_user(const struct fr_mariadb *db)
{
	(void)db;
	return ADMIN_USER;
}

const char *fr_mariadb_admin_password(const struct fr_mariadb *db)
{
	return db->admin_password;
}

pid_t fr_mariadb_pid(const struct fr_mariadb *db)
{
	return db->pid;
}

const char *fr_mariadb_version(const struct fr_mariadb *db)
{
	return db->version;
}

const char *fr_mariadb_log_path(const struct fr_mariadb *db)
{
	return db->log;
}

double fr_mariadb_start_seconds(const struct fr_mariadb *db)
{
	return db->start_seconds;
}

bool fr_mariadb_cache_was_cold(const struct fr_mariadb *db)
{
	return db->cold;
}
