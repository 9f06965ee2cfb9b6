/*
 * Finding a run: in the directories faultrun makes run directories in
 * (harness/core/io/launch.c, fr_rundir_base and fr_rundir_base_mem), or
 * through a process of the run's environment.
 *
 * The bases are looked up here rather than asked of launch.c, which
 * belongs to the engine (libcurl, libyaml...) that this library must not
 * pull in; every base launch.c can choose is scanned, so a run is found
 * whichever one its faultrun chose.
 */
#define _GNU_SOURCE
#include "lib_internal.h"

#include <faultrun/control.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool alive(long pid)
{
	return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

/* The pid in a run directory's name "<tag>-<pid>-XXXXXX", or -1. */
static long dir_pid(const char *name)
{
	const char *last = strrchr(name, '-');

	if (!last || last == name)
		return -1;
	for (const char *p = last - 1; p >= name; p--)
		if (*p == '-')
			return strtol(p + 1, NULL, 10);
	return -1;
}

/*
 * A base is used only when it is a directory of ours closed to everyone
 * else, as launch.c makes them: one planted by another user could hand
 * us a block of theirs.
 */
static bool private_base(const char *dir, struct stat *st)
{
	return lstat(dir, st) == 0 && S_ISDIR(st->st_mode) && st->st_uid == geteuid() &&
	       !(st->st_mode & 077);
}

static void scan_base(const char *base, long want, struct frl_found *v, size_t max, size_t *n)
{
	DIR *d = opendir(base);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char ctl[PATH_MAX];
		long pid = dir_pid(de->d_name);

		if (de->d_name[0] == '.' || !alive(pid) || (want > 0 && pid != want))
			continue;
		if (snprintf(ctl, sizeof(ctl), "%s/%s/ctl", base, de->d_name) >= (int)sizeof(ctl) ||
		    access(ctl, R_OK) < 0)
			continue;
		if (*n < max) {
			memcpy(v[*n].ctl, ctl, sizeof(ctl));
			v[*n].pid = pid;
		}
		(*n)++;
	}
	closedir(d);
}

size_t frl_find_runs(long pid, struct frl_found *v, size_t max)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	char bases[3][PATH_MAX];
	struct stat st[3];
	bool ok[3] = { false };
	size_t nb = 0, n = 0;

	if (xdg && *xdg)
		snprintf(bases[nb++], PATH_MAX, "%s/faultrun", xdg);
	snprintf(bases[nb++], PATH_MAX, "/tmp/faultrun-%u", (unsigned)geteuid());
	snprintf(bases[nb++], PATH_MAX, "/dev/shm/faultrun-%u", (unsigned)geteuid());
	for (size_t i = 0; i < nb; i++) {
		ok[i] = private_base(bases[i], &st[i]);
		/* the same directory twice (XDG_RUNTIME_DIR=/tmp...): once */
		for (size_t j = 0; ok[i] && j < i; j++)
			if (ok[j] && st[j].st_ino == st[i].st_ino && st[j].st_dev == st[i].st_dev)
				ok[i] = false;
		if (ok[i])
			scan_base(bases[i], pid, v, max, &n);
	}
	return n;
}

/*
 * FAULTRUN_CTL from /proc/PID/environ: a process of the run (the target,
 * or one of its children). Readable for our own processes only
 * (proc(5)), and the block itself is checked again when it is mapped.
 */
static int env_of(pid_t pid, char *out, size_t len)
{
	char path[64], buf[1 << 16];
	const size_t key = sizeof(FR_CTL_ENV "=") - 1;
	ssize_t got, n = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (n < (ssize_t)sizeof(buf) - 1 &&
	       (got = read(fd, buf + n, sizeof(buf) - 1 - (size_t)n)) > 0)
		n += got;
	close(fd);
	buf[n] = '\0';
	for (char *p = buf; p < buf + n; p += strlen(p) + 1)
		if (strncmp(p, FR_CTL_ENV "=", key) == 0 && p[key] &&
		    snprintf(out, len, "%s", p + key) < (int)len)
			return 0;
	return -ENOENT;
}

FR_EXPORT int fr_run_attach_pid(pid_t pid, struct fr_run **out)
{
	struct frl_found f;
	char ctl[PATH_MAX];

	if (pid <= 0 || !alive(pid))
		return -ESRCH;
	if (frl_find_runs(pid, &f, 1) > 0)
		return frl_attach_block(f.ctl, out);
	if (env_of(pid, ctl, sizeof(ctl)) == 0)
		return frl_attach_block(ctl, out) == 0 ? 0 : -ENOENT;
	return -ENOENT;
}

FR_EXPORT int fr_run_attach_dir(const char *path, struct fr_run **out)
{
	char ctl[PATH_MAX];
	struct stat st;

	if (!path || !*path)
		return -EINVAL;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		if (snprintf(ctl, sizeof(ctl), "%s/ctl", path) >= (int)sizeof(ctl))
			return -ENAMETOOLONG;
		return frl_attach_block(ctl, out);
	}
	return frl_attach_block(path, out);
}

FR_EXPORT int fr_run_attach_env(struct fr_run **out)
{
	const char *ctl = getenv(FR_CTL_ENV);

	if (!ctl || !*ctl)
		return -ENOENT;
	return frl_attach_block(ctl, out);
}
