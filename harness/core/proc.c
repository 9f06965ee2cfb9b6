/*
 * Child processes of a run, and the sentinel that cleans up after a
 * faultrun that was killed. See proc.h.
 */
#define _GNU_SOURCE
#include "proc.h"
#include "launch.h"

#include <faultrun/control.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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
	int stage; /* 1 chdir, 2 exec, 3 environment */
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
	if (sp->cwd && chdir(sp->cwd) < 0) {
		f.stage = 1;
		f.err = errno;
		goto fail;
	}
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
		status = W_EXITCODE(0, si.si_status & 0x7f) |
			 (si.si_code == CLD_DUMPED ? 0x80 : 0);
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

int fr_child_spawn(struct fr_loop *l, struct fr_child *c,
		   const struct fr_spawn *sp, fr_child_fn fn, void *arg,
		   char *err, size_t errlen)
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
		snprintf(err, errlen, "faultrun: pipe: %s", strerror(errno));
		return ret;
	}
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		snprintf(err, errlen, "faultrun: fork: %s", strerror(errno));
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
		snprintf(err, errlen, "faultrun: cannot %s '%s': %s",
			 f.stage == 1 ? "enter the directory" :
			 f.stage == 2 ? "run" : "set the environment of",
			 f.stage == 1 ? sp->cwd : sp->argv[0], strerror(f.err));
		return -f.err;
	}
	c->pid = pid;
	c->pidfd = pidfd_open_(pid);
	if (c->pidfd < 0) {
		ret = -errno;
		snprintf(err, errlen, "faultrun: pidfd_open: %s (Linux 5.3 or "
			 "later is needed)", strerror(errno));
		killpg(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		fr_sentinel_group(pid, false);
		c->pid = 0;
		return ret;
	}
	fcntl(c->pidfd, F_SETFD, FD_CLOEXEC);
	ret = fr_watch_start(l, &c->w, c->pidfd, EPOLLIN);
	if (ret < 0) {
		snprintf(err, errlen, "faultrun: epoll: %s", strerror(-ret));
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
	while (len < sizeof(buf) - 1 &&
	       (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
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
		if (environ_has((pid_t)pid, needle, (size_t)nlen) &&
		    kill((pid_t)pid, sig) == 0)
			count++;
	}
	closedir(d);
	return count;
}

/* ---- the sentinel ------------------------------------------------------ */

static int sentinel_fd = -1;

#define SENT_GROUPS 1024
#define SENT_RUNS 64

static void sentinel_main(int fd)
{
	static pid_t groups[SENT_GROUPS];
	static char runs[SENT_RUNS][4096];
	char buf[8192];
	size_t len = 0;

	for (;;) {
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
		sentinel_main(3);
	}
	close(p[0]);
	sentinel_fd = p[1];
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
