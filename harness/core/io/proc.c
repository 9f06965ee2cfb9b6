/*
 * Child processes of a run, and the sweep of processes that carry its
 * FAULTRUN_CTL. See proc.h; the cgroup, the subreaper and the sentinel
 * are in reap.c and reap_sentinel.c.
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

int fr_pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/*
 * "/proc/<pid>/<leaf>" into out (64 bytes), without snprintf: what
 * fr_proc_stat may call in a forked child is kept to plain code.
 */
static void proc_path(char *out, pid_t pid, const char *leaf)
{
	char digits[24];
	int n = 0;
	unsigned long v = pid > 0 ? (unsigned long)pid : 0;

	do
		digits[n++] = (char)('0' + v % 10);
	while ((v /= 10) && n < (int)sizeof(digits));
	memcpy(out, "/proc/", 6);
	out += 6;
	while (n)
		*out++ = digits[--n];
	*out++ = '/';
	for (size_t i = 0; leaf[i] && i < 32; i++)
		*out++ = leaf[i];
	*out = 0;
}

int fr_proc_stat(pid_t pid, pid_t *ppid, unsigned long long *start)
{
	char path[64], buf[1024], *p = NULL;
	unsigned long long num[2] = { 0, 0 };
	int field = 2, got = 0;
	ssize_t len;
	int fd;

	proc_path(path, pid, "stat");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do
		len = read(fd, buf, sizeof(buf) - 1);
	while (len < 0 && errno == EINTR);
	close(fd);
	if (len <= 0)
		return len < 0 ? -errno : -ENOENT; /* empty: it is exiting */
	/* "pid (comm) S ppid ...": comm may hold anything, ')' too */
	for (ssize_t i = 0; i < len; i++)
		if (buf[i] == ')')
			p = buf + i + 1;
	if (!p)
		return -EINVAL;
	for (; p < buf + len && got < 2; p++) {
		if (*p == ' ') {
			field++;
			continue;
		}
		if (field != 4 && field != 22)
			continue;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		num[got] = num[got] * 10 + (unsigned long long)(*p - '0');
		if (p + 1 == buf + len || p[1] == ' ' || p[1] == '\n')
			got++;
	}
	if (got < 2)
		return -EINVAL;
	*ppid = (pid_t)num[0];
	*start = num[1];
	return 0;
}

/* What a child that failed before exec tells its parent. */
struct child_fail {
	int stage; /* 1 chdir, 2 exec, 3 environment, 4 user, 5 cgroup, 6 seccomp filter */
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
	/* into the run's cgroup before anything can fork (io/reap.h) */
	int ret = fr_reap_join(FR_REAP_RUN);
	if (ret < 0) {
		f.stage = 5;
		f.err = -ret;
		goto fail;
	}
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
		ret = fr_launch_setenv(sp->shim, sp->ctl_path, sp->seed);
		if (ret < 0) {
			f.stage = 3;
			f.err = -ret;
			goto fail;
		}
	} else if (sp->ctl_path) {
		/* marks the process as the run's, for the sweep; no shim */
		setenv(FR_CTL_ENV, sp->ctl_path, 1);
	}
	if (sp->unit && setenv(FR_UNIT_ENV, sp->unit, 1) < 0) {
		f.stage = 3;
		f.err = errno;
		goto fail;
	}
	if (sp->child_hook) {
		ret = sp->child_hook(sp->hook_arg);
		if (ret < 0) {
			f.stage = 6;
			f.err = -ret;
			goto fail;
		}
	}
	if (sp->user) {
		ret = fr_user_become(sp->user);
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
	/* leftovers in its group go with it (unless it is a daemon's command) */
	pid_t pgid = c->pid;
	c->group_left = killpg(pgid, 0) == 0;
	if (!c->keep_group)
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
	c->keep_group = c->group_left = false;
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
	char herr[300] = "";
	int hret = sp->parent_hook ? sp->parent_hook(sp->hook_arg, pid, herr, sizeof(herr)) : 0;

	if (hret < 0)
		kill(pid, SIGKILL); /* its own report, if it wrote one, is read below */
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
			   f.stage == 5 ? "put into the run's cgroup" :
			   f.stage == 6 ? "install the seccomp filter for" :
					  "set the environment of",
			   f.stage == 1 ? sp->cwd : sp->argv[0], strerror(f.err));
		return -f.err;
	}
	if (hret < 0) {
		waitpid(pid, NULL, 0);
		fr_sentinel_group(pid, false);
		fr_set_err(err, errlen, "%s", herr);
		return hret;
	}
	c->pid = pid;
	c->pidfd = fr_pidfd_open(pid);
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

int fr_child_adopt(struct fr_loop *l, struct fr_child *c, pid_t pid, fr_child_fn fn, void *arg)
{
	int ret;

	c->pid = 0;
	c->loop = l;
	c->fn = fn;
	c->arg = arg;
	c->keep_group = c->group_left = false;
	fr_watch_init(&c->w, on_pidfd, c);
	c->pidfd = fr_pidfd_open(pid);
	if (c->pidfd < 0)
		return -errno;
	fcntl(c->pidfd, F_SETFD, FD_CLOEXEC);
	ret = fr_watch_start(l, &c->w, c->pidfd, EPOLLIN);
	if (ret < 0) {
		close(c->pidfd);
		c->pidfd = -1;
		return ret;
	}
	c->pid = pid;
	/* ours now: fr_kill_adopted spares it, the sentinel kills its group if we die */
	fr_sentinel_group(pid, true);
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

/*
 * Find the first entry of pid's environment that starts with prefix (the
 * whole entry when `whole`), copying what follows the prefix into out
 * (truncated to outlen, NUL-terminated) when out is given.
 * /proc/PID/environ is read whole, however large (a process may carry
 * megabytes of environment before FAULTRUN_CTL), and matched as it
 * streams by, entry by entry: no buffer to outgrow.
 */
static bool environ_find(pid_t pid, const char *prefix, size_t plen, bool whole, char *out,
			 size_t outlen, size_t *total)
{
	char path[64], buf[16384];
	size_t at = 0, got = 0; /* bytes of the current entry seen; of the value kept */
	size_t all = 0;
	bool match = true, found = false;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	while (!found && ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))) {
		all += n > 0 ? (size_t)n : 0;
		for (ssize_t i = 0; i < n && !found; i++) {
			if (buf[i] == 0) {
				found = match && at >= plen && (!whole || at == plen);
				at = got = 0;
				match = true;
				continue;
			}
			if (match && at < plen && buf[i] != prefix[at])
				match = false;
			else if (match && at >= plen && whole)
				match = false;
			else if (match && at >= plen && out && got + 1 < outlen)
				out[got++] = buf[i];
			if (out && outlen)
				out[got] = 0;
			at++;
		}
	}
	/* the last entry may lack its NUL (the process rewrote its stack) */
	if (!found && match && at >= plen && (!whole || at == plen))
		found = true;
	close(fd);
	if (total)
		*total = all;
	return found;
}

/* Does pid's environment hold the entry needle (a whole "NAME=value")? */
static bool environ_has(pid_t pid, const char *needle, size_t nlen)
{
	return environ_find(pid, needle, nlen, true, NULL, 0, NULL);
}

int fr_proc_getenv(pid_t pid, const char *name, char *out, size_t len)
{
	char prefix[256];
	int n = snprintf(prefix, sizeof(prefix), "%s=", name);

	if (n <= 0 || (size_t)n >= sizeof(prefix) || !len)
		return -EINVAL;
	size_t total = 0;

	out[0] = 0;
	if (environ_find(pid, prefix, (size_t)n, false, out, len, &total))
		return 1;
	return total ? 0 : -ENODATA;
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
