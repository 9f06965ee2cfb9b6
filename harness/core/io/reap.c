/*
 * The run's cgroup, and the begin/stop/end of a run's processes that
 * choose between it and the subreaper. See reap.h; the subreaper and the
 * sentinel are in reap_sentinel.c.
 */
#define _GNU_SOURCE
#include "io/reap.h"
#include "io/reap_priv.h"
#include "io/proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* the parts of the run's cgroup, by enum fr_reap_part */
static const char *const part_name[] = { "run", "services" };
#define NPARTS 2

/* The current run of this process (one at a time: -j runs in workers). */
static struct {
	bool begun, cgroup;
	char dir[PATH_MAX];	 /* the run's cgroup, when cgroup */
	int procs[NPARTS];	 /* each part's cgroup.procs, open for writing */
	char ctl_path[PATH_MAX]; /* told to the sentinel */
} cur = { .procs = { -1, -1 } };

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* FAULTRUN_REAP: "subreaper" (no cgroup) or "freeze" (no cgroup.kill), for tests */
static bool reap_mode_is(const char *mode)
{
	const char *m = getenv("FAULTRUN_REAP");

	return m && strcmp(m, mode) == 0;
}

static int write_file(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX + 32];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* ---- killing and removing a cgroup (here and in the sentinel) ---------- */

/* "populated 1" in cgroup.events (cgroups(7), cgroup v2). */
static bool populated(int events_fd)
{
	char buf[256];
	ssize_t n = pread(events_fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return false; /* gone: nothing in it */
	buf[n] = 0;
	const char *p = strstr(buf, "populated ");

	return p && p[10] == '1';
}

/*
 * Wait up to timeout_ms for the cgroup to empty. The kernel wakes a poller
 * of cgroup.events with POLLPRI when it changes (Documentation/admin-guide/
 * cgroup-v2.rst); a bounded poll covers a change between read and poll.
 */
static bool wait_empty(const char *dir, int timeout_ms)
{
	char path[PATH_MAX + 32];
	int64_t deadline = mono_ms() + timeout_ms;
	bool empty;
	int fd;

	snprintf(path, sizeof(path), "%s/cgroup.events", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true;
	while (!(empty = !populated(fd))) {
		int64_t left = deadline - mono_ms();
		struct pollfd p = { fd, POLLPRI, 0 };

		if (left <= 0)
			break;
		poll(&p, 1, left < 50 ? (int)left : 50);
	}
	close(fd);
	return empty;
}

/* SIGKILL every process in cgroup.procs of dir and of every cgroup below. */
static void kill_procs(const char *dir)
{
	char path[PATH_MAX + 32];
	struct dirent *de;
	char *line = NULL;
	size_t cap = 0;
	FILE *f;
	DIR *d;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "re");
	if (f) {
		while (getline(&line, &cap, f) > 0) {
			long pid = strtol(line, NULL, 10);

			if (pid > 1)
				kill((pid_t)pid, SIGKILL);
		}
		free(line);
		fclose(f);
	}
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_type == DT_DIR && de->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			kill_procs(path);
		}
	closedir(d);
}

bool fr_cgroup_kill(const char *dir, int timeout_ms)
{
	int64_t deadline = mono_ms() + timeout_ms;
	bool empty;

	if (!reap_mode_is("freeze") && write_file(dir, "cgroup.kill", "1") == 0)
		return wait_empty(dir, timeout_ms);
	/*
	 * No cgroup.kill (before Linux 5.14): freeze the cgroup first, so that
	 * nothing in it forks faster than we kill (a frozen process still dies
	 * of SIGKILL in cgroup v2), and kill each until none is left.
	 */
	write_file(dir, "cgroup.freeze", "1");
	do {
		kill_procs(dir);
		empty = wait_empty(dir, 50);
	} while (!empty && mono_ms() < deadline);
	write_file(dir, "cgroup.freeze", "0");
	return empty;
}

int fr_cgroup_remove(const char *dir)
{
	char path[PATH_MAX + 32];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (de->d_type == DT_DIR && de->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			fr_cgroup_remove(path);
		}
	closedir(d);
	return rmdir(dir) < 0 ? -errno : 0;
}

/* ---- where our cgroup is ----------------------------------------------- */

/* Undo mountinfo's octal escapes (\040 for a space, proc(5)) in place. */
static void unescape(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = 0;
}

/* Our own cgroup v2 path ("0::/path" in /proc/self/cgroup, cgroups(7)). */
static int own_cgroup(char *rel, size_t len)
{
	char *line = NULL;
	size_t cap = 0;
	int ret = -ENOENT;
	FILE *f = fopen("/proc/self/cgroup", "re");

	if (!f)
		return -errno;
	while (ret < 0 && getline(&line, &cap, f) > 0)
		if (strncmp(line, "0::/", 4) == 0) {
			line[strcspn(line, "\n")] = 0;
			snprintf(rel, len, "%s", line + 3);
			ret = 0;
		}
	free(line);
	fclose(f);
	return ret;
}

/*
 * The directory of our own cgroup: a cgroup2 mount in /proc/self/mountinfo
 * (proc(5): "... root mount-point ... - cgroup2 ...") whose root holds our
 * path. -ENOENT when there is none (cgroup v1 only, or no cgroupfs).
 */
static int cgroup_base(char *out, size_t len)
{
	char rel[PATH_MAX], *line = NULL;
	size_t cap = 0;
	int ret = own_cgroup(rel, sizeof(rel));
	FILE *f;

	if (ret < 0)
		return ret;
	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -errno;
	ret = -ENOENT;
	while (ret < 0 && getline(&line, &cap, f) > 0) {
		char *sep = strstr(line, " - "), *save = NULL, *root, *mnt;

		if (!sep || strncmp(sep + 3, "cgroup2 ", 8) != 0)
			continue;
		*sep = 0;
		strtok_r(line, " ", &save); /* mount id, parent id, major:minor */
		strtok_r(NULL, " ", &save);
		strtok_r(NULL, " ", &save);
		root = strtok_r(NULL, " ", &save);
		mnt = strtok_r(NULL, " ", &save);
		if (!root || !mnt)
			continue;
		unescape(root);
		unescape(mnt);
		size_t rl = strcmp(root, "/") == 0 ? 0 : strlen(root);
		if (strncmp(rel, root, rl) != 0 || (rel[rl] != '/' && rel[rl] != 0))
			continue;
		const char *sub = strcmp(rel + rl, "/") == 0 ? "" : rel + rl;
		if ((size_t)snprintf(out, len, "%s%s", mnt, sub) < len)
			ret = 0;
	}
	free(line);
	fclose(f);
	return ret;
}

/*
 * Remove the empty cgroups of faultruns that are gone (faultrun.<pid>.*
 * whose pid is dead: both faultrun and its sentinel were killed). One
 * that still holds processes is left alone: rmdir(2) refuses it.
 */
static void reclaim_stale(const char *base)
{
	char path[PATH_MAX + 300];
	struct dirent *de;
	DIR *d = opendir(base);

	if (!d)
		return;
	while ((de = readdir(d))) {
		long pid;

		if (de->d_type != DT_DIR || sscanf(de->d_name, "faultrun.%ld.", &pid) != 1 ||
		    pid <= 0 || pid == getpid())
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		snprintf(path, sizeof(path), "%s/%s", base, de->d_name);
		fr_cgroup_remove(path);
	}
	closedir(d);
}

/*
 * Can a child of ours move into the run's cgroup? Writing to cgroup.procs
 * may be refused although mkdir worked (delegation rules, a threaded
 * subtree: Documentation/admin-guide/cgroup-v2.rst): try it once with a
 * child that exits at once, so that a real child never finds out too late.
 */
static int try_join(int procs_fd)
{
	int wst;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0)
		_exit(write(procs_fd, "0", 1) == 1 ? 0 : errno & 0xff);
	while (waitpid(pid, &wst, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(wst))
		return -EIO;
	return -WEXITSTATUS(wst);
}

/* The parts of the run's cgroup, open and tried. */
static int make_parts(char *why, size_t whylen)
{
	char path[PATH_MAX + 64];

	for (int i = 0; i < NPARTS; i++) {
		snprintf(path, sizeof(path), "%s/%s", cur.dir, part_name[i]);
		if (mkdir(path, 0755) < 0) {
			snprintf(why, whylen, "cannot create %s: %s", path, strerror(errno));
			return -1;
		}
		snprintf(path, sizeof(path), "%s/%s/cgroup.procs", cur.dir, part_name[i]);
		cur.procs[i] = open(path, O_WRONLY | O_CLOEXEC);
		if (cur.procs[i] < 0) {
			snprintf(why, whylen, "cannot open %s: %s", path, strerror(errno));
			return -1;
		}
	}
	int ret = try_join(cur.procs[FR_REAP_RUN]);
	if (ret < 0) {
		snprintf(why, whylen, "cannot move a process into %s: %s", cur.dir, strerror(-ret));
		return -1;
	}
	return 0;
}

static void close_parts(void)
{
	for (int i = 0; i < NPARTS; i++) {
		if (cur.procs[i] >= 0)
			close(cur.procs[i]);
		cur.procs[i] = -1;
	}
}

/* The run's cgroup faultrun.<pid>.<random> beside us, or -1 and why not. */
static int cgroup_create(char *why, size_t whylen)
{
	char base[PATH_MAX - 64]; /* room for the name below */

	if (reap_mode_is("subreaper")) {
		snprintf(why, whylen, "FAULTRUN_REAP=subreaper");
		return -1;
	}
	if (cgroup_base(base, sizeof(base)) < 0) {
		snprintf(why, whylen, "no cgroup2 file system holds our cgroup");
		return -1;
	}
	reclaim_stale(base);
	for (int tries = 0;; tries++) {
		uint32_t rnd = 0;

		if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
			rnd = (uint32_t)mono_ms() + (uint32_t)tries;
		snprintf(cur.dir, sizeof(cur.dir), "%s/faultrun.%d.%06x", base, (int)getpid(),
			 rnd & 0xffffff);
		if (mkdir(cur.dir, 0755) == 0)
			break;
		if (errno != EEXIST || tries == 10) {
			snprintf(why, whylen, "cannot create a cgroup in %s: %s", base,
				 strerror(errno));
			return -1;
		}
	}
	if (make_parts(why, whylen) < 0) {
		close_parts();
		fr_cgroup_kill(cur.dir, 1000);
		fr_cgroup_remove(cur.dir);
		return -1;
	}
	return 0;
}

/* ---- a run's processes ---------------------------------------------------- */

void fr_reap_begin(const char *ctl_path, char *how, size_t howlen)
{
	char why[PATH_MAX + 128];

	if (cur.begun)
		fr_reap_end();
	cur.begun = true;
	snprintf(cur.ctl_path, sizeof(cur.ctl_path), "%s", ctl_path ? ctl_path : "");
	if (cur.ctl_path[0])
		fr_sentinel_run(cur.ctl_path, true);
	/* orphans are adopted by us, not init, either way: fr_kill_adopted reaps them */
	fr_subreaper_start();
	if (cgroup_create(why, sizeof(why)) == 0) {
		cur.cgroup = true;
		fr_sentinel_cgroup(cur.dir, true);
		snprintf(how, howlen, "in the cgroup %s", cur.dir);
	} else {
		fr_sentinel_watch(true);
		snprintf(how, howlen, "as a subreaper, followed by the sentinel (no cgroup: %s)",
			 why);
	}
}

int fr_reap_join(enum fr_reap_part part)
{
	int fd = cur.cgroup && part < NPARTS ? cur.procs[part] : -1;

	if (fd < 0)
		return 0;
	return write(fd, "0", 1) == 1 ? 0 : -errno;
}

/* The sweep, and the orphans we adopted (on the cgroup way: their zombies). */
static void sweep_and_reap(void)
{
	for (int pass = 0; pass < 5; pass++) {
		int n = cur.ctl_path[0] ? fr_sweep_env(cur.ctl_path, SIGKILL) : 0;

		if (n + fr_kill_adopted() == 0)
			break;
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

void fr_reap_stop(void)
{
	char path[PATH_MAX + 32];

	if (!cur.begun)
		return;
	if (cur.cgroup) {
		snprintf(path, sizeof(path), "%s/%s", cur.dir, part_name[FR_REAP_RUN]);
		fr_cgroup_kill(path, 5000);
	}
	sweep_and_reap();
}

void fr_reap_end(void)
{
	if (!cur.begun)
		return;
	if (cur.cgroup)
		fr_cgroup_kill(cur.dir, 5000);
	sweep_and_reap();
	if (cur.cgroup) {
		close_parts();
		fr_cgroup_remove(cur.dir);
		fr_sentinel_cgroup(cur.dir, false);
	} else {
		fr_sentinel_watch(false);
	}
	if (cur.ctl_path[0])
		fr_sentinel_run(cur.ctl_path, false);
	cur.begun = cur.cgroup = false;
	cur.dir[0] = cur.ctl_path[0] = 0;
}
