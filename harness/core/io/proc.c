/*
 * Child processes of a run, and the sentinel that cleans up after a
 * faultrun that was killed. See proc.h.
 */
#define _GNU_SOURCE
#include "io/proc.h"
#include "io/launch.h"
#include "util/err.h"

#include <faultrun/control.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* What a child that failed before exec tells its parent. */
struct child_fail {
	int stage; /* 1 chdir, 2 exec, 3 environment, 4 user */
	int err;
};

/*
 * In the child, between fork and exec: a fresh process group, death with
 * the parent, default signal handling, the requested stdio and env.
 */
static void child_setup(const struct fr_spawn *sp, pid_t parent, int errfd)
{
	struct child_fail f = { 0, 0 };
	sigset_t none;
	int devnull;

	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127); /* the parent died before prctl: PDEATHSIG missed it */
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull >= 0)
		dup2(devnull, 0);
	if (sp->out_fd >= 0) {
		dup2(sp->out_fd, 1);
		dup2(sp->out_fd, 2);
	} else if (devnull >= 0) {
		dup2(devnull, 1);
		dup2(devnull, 2);
	}
	for (size_t i = 0; i < sp->nenv; i++)
		if (putenv((char *)sp->env[i]) != 0) {
			f.stage = 3;
			f.err = errno;
			goto fail;
		}
	if (sp->shim) {
		int ret = fr_launch_setenv(sp->shim, sp->ctl_path, sp->seed);
		if (ret < 0) {
			f.stage = 3;
			f.err = -ret;
			goto fail;
		}
	} else if (sp->ctl_path) {
		/* marks the process as the run's, for the sweep; no shim */
		setenv(FR_CTL_ENV, sp->ctl_path, 1);
	}
	if (sp->user) {
		int ret = fr_user_become(sp->user);
		if (ret < 0) {
			f.stage = 4;
			f.err = -ret;
			goto fail;
		}
	}
	if (sp->cwd && chdir(sp->cwd) < 0) {
		f.stage = 1;
		f.err = errno;
		goto fail;
	}
	fr_launch_set_underscore(sp->argv[0]);
	fr_launch_close_fds();
	execvp(sp->argv[0], sp->argv);
	f.stage = 2;
	f.err = errno;
fail:
	if (write(errfd, &f, sizeof(f)) < 0)
		_exit(126);
	_exit(127);
}

static void on_pidfd(struct fr_watch *w, uint32_t events)
{
	struct fr_child *c = w->arg;
	siginfo_t si;
	int status;

	(void)events;
	memset(&si, 0, sizeof(si));
	if (waitid((idtype_t)P_PIDFD, (id_t)c->pidfd, &si, WEXITED | WNOHANG) < 0) {
		/* lost it (someone else reaped it): report a plain exit */
		si.si_pid = c->pid;
		si.si_code = CLD_EXITED;
		si.si_status = 0;
	} else if (si.si_pid == 0) {
		return; /* spurious */
	}
	if (si.si_code == CLD_EXITED)
		status = W_EXITCODE(si.si_status & 0xff, 0);
	else
		status = W_EXITCODE(0, si.si_status & 0x7f) | (si.si_code == CLD_DUMPED ? 0x80 : 0);
	/* leftovers in its group go with it */
	pid_t pgid = c->pid;
	killpg(pgid, SIGKILL);
	fr_sentinel_group(pgid, false);
	c->pid = 0;
	fr_watch_stop(c->loop, w);
	close(c->pidfd);
	c->pidfd = -1;
	c->fn(c, status);
}

int fr_child_spawn(struct fr_loop *l, struct fr_child *c, const struct fr_spawn *sp, fr_child_fn fn,
		   void *arg, char *err, size_t errlen)
{
	struct child_fail f;
	pid_t parent = getpid(), pid;
	int ep[2], ret;

	c->pid = 0;
	c->pidfd = -1;
	c->loop = l;
	c->fn = fn;
	c->arg = arg;
	fr_watch_init(&c->w, on_pidfd, c);
	if (pipe2(ep, O_CLOEXEC) < 0) {
		ret = -errno;
		fr_set_err(err, errlen, "pipe: %s", strerror(errno));
		return ret;
	}
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		fr_set_err(err, errlen, "fork: %s", strerror(errno));
		close(ep[0]);
		close(ep[1]);
		return ret;
	}
	if (pid == 0) {
		close(ep[0]);
		child_setup(sp, parent, ep[1]);
	}
	close(ep[1]);
	setpgid(pid, pid); /* both sides, whichever runs first */
	fr_sentinel_group(pid, true);
	ssize_t n;
	do
		n = read(ep[0], &f, sizeof(f));
	while (n < 0 && errno == EINTR);
	close(ep[0]);
	if (n == (ssize_t)sizeof(f)) {
		waitpid(pid, NULL, 0);
		fr_sentinel_group(pid, false);
		fr_set_err(err, errlen, "cannot %s '%s': %s",
			   f.stage == 1 ? "enter the directory" :
			   f.stage == 2 ? "run" :
			   f.stage == 4 ? "become the user of" :
					  "set the environment of",
			   f.stage == 1 ? sp->cwd : sp->argv[0], strerror(f.err));
		return -f.err;
	}
	c->pid = pid;
	c->pidfd = pidfd_open_(pid);
	if (c->pidfd < 0) {
		ret = -errno;
		fr_set_err(err, errlen,
			   "pidfd_open: %s (Linux 5.3 or "
			   "later is needed)",
			   strerror(errno));
		killpg(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		fr_sentinel_group(pid, false);
		c->pid = 0;
		return ret;
	}
	fcntl(c->pidfd, F_SETFD, FD_CLOEXEC);
	ret = fr_watch_start(l, &c->w, c->pidfd, EPOLLIN);
	if (ret < 0) {
		fr_set_err(err, errlen, "epoll: %s", strerror(-ret));
		fr_child_abandon(l, c);
		return ret;
	}
	return 0;
}

void fr_child_killpg(struct fr_child *c, int sig)
{
	if (c->pid > 0) {
		killpg(c->pid, sig);
		kill(c->pid, sig);
	}
}

void fr_child_abandon(struct fr_loop *l, struct fr_child *c)
{
	if (c->pid <= 0)
		return;
	fr_watch_stop(l, &c->w);
	killpg(c->pid, SIGKILL);
	kill(c->pid, SIGKILL);
	if (c->pidfd >= 0) {
		siginfo_t si;
		waitid((idtype_t)P_PIDFD, (id_t)c->pidfd, &si, WEXITED);
		close(c->pidfd);
	}
	fr_sentinel_group(c->pid, false);
	c->pidfd = -1;
	c->pid = 0;
}

/* ---- the environment sweep -------------------------------------------- */

static bool environ_has(pid_t pid, const char *needle, size_t nlen)
{
	char path[64], buf[65536];
	size_t len = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	while (len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = 0;
	for (size_t off = 0; off < len;) {
		size_t el = strnlen(buf + off, len - off);
		if (el == nlen && memcmp(buf + off, needle, nlen) == 0)
			return true;
		off += el + 1;
	}
	return false;
}

int fr_sweep_env(const char *ctl_path, int sig)
{
	char needle[4200];
	pid_t self = getpid();
	struct dirent *de;
	int count = 0;
	DIR *d;

	if (!ctl_path || !*ctl_path)
		return 0;
	int nlen = snprintf(needle, sizeof(needle), "%s=%s", FR_CTL_ENV, ctl_path);
	if (nlen < 0 || (size_t)nlen >= sizeof(needle))
		return 0;
	d = opendir("/proc");
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		if (*end || pid <= 1 || pid == self)
			continue;
		if (environ_has((pid_t)pid, needle, (size_t)nlen) && kill((pid_t)pid, sig) == 0)
			count++;
	}
	closedir(d);
	return count;
}

/* ---- orphans: faultrun as a child subreaper ----------------------------- */

/*
 * A daemon that leaves the target's session (setsid) and also clears its
 * environment (env -i) is in none of our process groups and carries no
 * FAULTRUN_CTL: neither killpg nor the sweep can find it, and once
 * orphaned it used to be adopted by init. A child subreaper adopts the
 * orphans of its descendants instead, so every process of a run stays
 * below faultrun while it lives: our children that we did not start
 * ourselves are exactly such orphans (tests/reliability/test-kill.sh).
 */
#define KNOWN_MAX 1024
static pid_t known[KNOWN_MAX]; /* children we started: groups, the sentinel */

static void known_set(pid_t pid, bool add)
{
	for (int i = 0; i < KNOWN_MAX; i++) {
		if (add && !known[i]) {
			known[i] = pid;
			return;
		}
		if (!add && known[i] == pid) {
			known[i] = 0;
			return;
		}
	}
}

static bool is_known(pid_t pid)
{
	for (int i = 0; i < KNOWN_MAX; i++)
		if (known[i] == pid)
			return true;
	return false;
}

/*
 * The children of pid (every thread's), into out; returns how many
 * (Linux's /proc/PID/task/TID/children; 0 where it does not exist).
 */
static size_t children_of(pid_t pid, pid_t *out, size_t max)
{
	char path[64];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max) {
		char buf[4096];
		ssize_t len;
		int fd;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/children", (int)pid, de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (len <= 0)
			continue;
		buf[len] = 0;
		for (char *p = buf, *end; n < max; p = end) {
			long c = strtol(p, &end, 10);
			if (end == p)
				break;
			out[n++] = (pid_t)c;
		}
	}
	closedir(d);
	return n;
}

int fr_subreaper_start(void)
{
	return prctl(PR_SET_CHILD_SUBREAPER, 1) < 0 ? -errno : 0;
}

int fr_kill_adopted(void)
{
	pid_t kids[1024];
	size_t n = children_of(getpid(), kids, 1024);
	int count = 0;

	for (size_t i = 0; i < n; i++) {
		if (is_known(kids[i]))
			continue;
		kill(kids[i], SIGKILL);
		count++;
	}
	/* reap them (and adopted orphans that had already exited) */
	for (int tries = 0; count && tries < 100; tries++) {
		int left = 0;

		for (size_t i = 0; i < n; i++)
			if (kids[i] && !is_known(kids[i])) {
				if (waitpid(kids[i], NULL, WNOHANG) == 0)
					left++;
				else
					kids[i] = 0;
			}
		if (!left)
			break;
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	return count;
}

/* ---- the sentinel ------------------------------------------------------ */

static int sentinel_fd = -1;

/*
 * Every descendant of faultrun, held by pidfd (a pid could be reused once
 * reaped; a pidfd cannot), refreshed every 100 ms while faultrun lives.
 * With faultrun a subreaper, orphans stay in this tree: when faultrun is
 * SIGKILLed the sentinel kills all of them, daemons without FAULTRUN_CTL
 * in their own session included.
 */
#define TRACK_MAX 900
static struct {
	pid_t pid;
	int fd;
} tracked[TRACK_MAX];

static bool tracked_has(pid_t pid)
{
	for (int i = 0; i < TRACK_MAX; i++)
		if (tracked[i].pid == pid)
			return true;
	return false;
}

/* The parent of pid from /proc/PID/stat, or -1. */
static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return -1;
	buf[len] = 0;
	p = strrchr(buf, ')'); /* the name may hold anything */
	if (!p)
		return -1;
	return (pid_t)strtol(p + 4, NULL, 10); /* ") S PPID" */
}

/* Track the descendants of each root (depth-first, bounded). */
static void track_tree(const pid_t *roots, size_t nroots)
{
	pid_t stack[2048];
	size_t top = 0;

	/* forget the ones that are gone */
	for (int i = 0; i < TRACK_MAX; i++) {
		struct pollfd p = { tracked[i].fd, POLLIN, 0 };

		if (tracked[i].pid && poll(&p, 1, 0) == 1) {
			close(tracked[i].fd);
			tracked[i].pid = 0;
		}
	}
	for (size_t i = 0; i < nroots && top < 2048; i++)
		stack[top++] = roots[i];
	while (top) {
		pid_t parent = stack[--top], kids[256];
		size_t n = children_of(parent, kids, 256);

		for (size_t k = 0; k < n; k++) {
			if (kids[k] == getpid())
				continue;
			if (top < 2048)
				stack[top++] = kids[k];
			if (tracked_has(kids[k]))
				continue;
			int fd = pidfd_open_(kids[k]);
			if (fd < 0)
				continue;
			/* still the process we listed (not a reused pid)? */
			if (parent_of(kids[k]) != parent) {
				close(fd);
				continue;
			}
			for (int t = 0; t < TRACK_MAX; t++)
				if (!tracked[t].pid) {
					tracked[t].pid = kids[k];
					tracked[t].fd = fd;
					fd = -1;
					break;
				}
			if (fd >= 0)
				close(fd);
		}
	}
}

static void kill_tracked(void)
{
	pid_t roots[TRACK_MAX];
	size_t n = 0;

	/* their children born since the last look, then all of them */
	for (int i = 0; i < TRACK_MAX; i++)
		if (tracked[i].pid)
			roots[n++] = tracked[i].pid;
	track_tree(roots, n);
	for (int i = 0; i < TRACK_MAX; i++)
		if (tracked[i].pid)
			syscall(SYS_pidfd_send_signal, tracked[i].fd, SIGKILL, NULL, 0);
}

#define SENT_GROUPS 1024
#define SENT_RUNS 64

static void sentinel_main(int fd, pid_t root)
{
	static pid_t groups[SENT_GROUPS];
	static char runs[SENT_RUNS][4096];
	char buf[8192];
	size_t len = 0;

	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		int ready = poll(&pfd, 1, 100);

		if (ready == 0 || (ready < 0 && errno == EINTR)) {
			track_tree(&root, 1);
			continue;
		}
		ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = 0;
		char *line = buf, *nl;
		while ((nl = memchr(line, '\n', len - (size_t)(line - buf)))) {
			*nl = 0;
			if ((line[0] == '+' || line[0] == '-') && line[1] == 'G') {
				pid_t pg = (pid_t)atoi(line + 3);
				for (int i = 0; i < SENT_GROUPS; i++) {
					if (line[0] == '+' && !groups[i]) {
						groups[i] = pg;
						break;
					}
					if (line[0] == '-' && groups[i] == pg) {
						groups[i] = 0;
						break;
					}
				}
			} else if ((line[0] == '+' || line[0] == '-') && line[1] == 'R') {
				const char *p = line + 3;
				for (int i = 0; i < SENT_RUNS; i++) {
					if (line[0] == '+' && !runs[i][0]) {
						snprintf(runs[i], sizeof(runs[i]), "%s", p);
						break;
					}
					if (line[0] == '-' && strcmp(runs[i], p) == 0) {
						runs[i][0] = 0;
						break;
					}
				}
			}
			line = nl + 1;
		}
		len -= (size_t)(line - buf);
		memmove(buf, line, len);
	}
	/* faultrun is gone: nothing of its runs may outlive it */
	for (int pass = 0; pass < 3; pass++) {
		for (int i = 0; i < SENT_GROUPS; i++)
			if (groups[i] > 1)
				killpg(groups[i], SIGKILL);
		for (int i = 0; i < SENT_RUNS; i++)
			if (runs[i][0])
				fr_sweep_env(runs[i], SIGKILL);
		kill_tracked();
		struct timespec ts = { 0, 30 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	_exit(0);
}

int fr_sentinel_start(void)
{
	int p[2];
	pid_t pid;

	if (sentinel_fd >= 0)
		return 0;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid_t root = getpid();
	pid = fork();
	if (pid < 0) {
		int ret = -errno;
		close(p[0]);
		close(p[1]);
		return ret;
	}
	if (pid == 0) {
		sigset_t none;
		int devnull;

		/* own session: a signal to faultrun's group must not reach it */
		setsid();
		signal(SIGINT, SIG_IGN);
		signal(SIGTERM, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		signal(SIGQUIT, SIG_IGN);
		signal(SIGPIPE, SIG_IGN);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		prctl(PR_SET_NAME, "faultrun-sentry");
		if (p[0] != 3) {
			dup2(p[0], 3);
			close(p[0]);
		}
		devnull = open("/dev/null", O_RDWR);
		if (devnull >= 0) {
			dup2(devnull, 0);
			dup2(devnull, 1);
			dup2(devnull, 2);
		}
		syscall(SYS_close_range, 4, ~0U, 0);
		sentinel_main(3, root);
	}
	close(p[0]);
	sentinel_fd = p[1];
	known_set(pid, true);
	return 0;
}

static void sentinel_send(const char *line, size_t len)
{
	if (sentinel_fd < 0)
		return;
	while (write(sentinel_fd, line, len) < 0 && errno == EINTR)
		;
}

void fr_sentinel_group(pid_t pgid, bool add)
{
	char line[32];

	/* each group's leader is a child we started (fr_kill_adopted spares it) */
	known_set(pgid, add);
	int n = snprintf(line, sizeof(line), "%cG %d\n", add ? '+' : '-', (int)pgid);

	sentinel_send(line, (size_t)n);
}

void fr_sentinel_run(const char *ctl_path, bool add)
{
	char line[4200];
	int n = snprintf(line, sizeof(line), "%cR %s\n", add ? '+' : '-', ctl_path);

	if (n > 0 && (size_t)n < sizeof(line))
		sentinel_send(line, (size_t)n);
}
