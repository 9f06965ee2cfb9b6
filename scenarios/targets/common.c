/*
 * What the incident targets share besides HTTP (see common.h).
 */
#define _GNU_SOURCE
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* SIGTERM, then SIGKILL this long after, for an app that will not stop */
#define STOP_GRACE_S 3.0

bool tc_parse_variant(const char *prog, const char *s, enum tc_variant *out)
{
	if (!strcmp(s, "buggy") || !strcmp(s, "fixed")) {
		*out = *s == 'b' ? TC_BUGGY : TC_FIXED;
		return true;
	}
	fprintf(stderr, "%s: invalid value '%s' for --variant (expected buggy or fixed)\n", prog,
		s);
	return false;
}

const char *tc_variant_name(enum tc_variant v)
{
	return v == TC_BUGGY ? "buggy" : "fixed";
}

bool tc_parse_uint(const char *prog, const char *flag, const char *s, unsigned long min,
		   unsigned long max, unsigned long *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = s && *s >= '0' && *s <= '9' ? strtoul(s, &end, 10) : 0;
	if (!s || *s < '0' || *s > '9' || errno || *end || v < min || v > max) {
		fprintf(stderr, "%s: invalid value '%s' for %s (expected %lu..%lu)\n", prog,
			s ? s : "", flag, min, max);
		return false;
	}
	*out = v;
	return true;
}

double tc_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *say_prefix = "target";

void tc_say_prefix(const char *prefix)
{
	say_prefix = prefix;
}

/*
 * One line, one write: stderr is unbuffered, so printing the prefix, the
 * message and the newline apart would be three write(2)s, which an app
 * appending to the same file (the daemon's --log) could come between, and
 * which a disk fault would charge one by one.
 */
void tc_say(const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	int n;

	n = snprintf(line, sizeof(line) / 2, "%s: ", say_prefix);
	if (n < 0 || (size_t)n >= sizeof(line) / 2)
		n = strlen(line); /* a prefix cut at half the line */
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	strcat(line, "\n");
	fputs(line, stderr);
	fflush(stderr);
}

int tc_write_file(const char *path, const char *buf, size_t len, mode_t mode)
{
	ssize_t n;
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	n = write(fd, buf, len);
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != len)
		ret = -EIO; /* short: a full disk, and no errno to say it */
	if (close(fd) < 0 && !ret)
		ret = -errno;
	return ret;
}

/* ---- a supervisor's app -------------------------------------------------- */

const char *tc_app_status_name(enum tc_app_status s)
{
	static const char *const names[] = {
		[TC_APP_ONLINE] = "online",	    [TC_APP_WAITING] = "waiting restart",
		[TC_APP_RESURRECTING] = "stopping", [TC_APP_ERRORED] = "errored",
		[TC_APP_STOPPING] = "stopping",
	};

	return names[s];
}

int tc_supervisor_signals(void)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	return signalfd(-1, &mask, SFD_CLOEXEC);
}

bool tc_app_reap(const struct tc_app *a, int *wstatus)
{
	bool app_exited = false;
	int ws;
	pid_t pid;

	while ((pid = waitpid(-1, &ws, WNOHANG)) > 0)
		if (a->pid > 0 && pid == a->pid) {
			*wstatus = ws;
			app_exited = true;
		}
	return app_exited;
}

pid_t tc_app_fork(struct tc_app *a)
{
	char restarts[16];
	sigset_t none;
	pid_t pid;

	snprintf(restarts, sizeof(restarts), "%u", a->restarts);
	setenv("SUPERVISED_LOG_RESTARTS", restarts, 1);
	pid = fork();
	if (pid < 0) {
		tc_say("fork: %s", strerror(errno));
		exit(1);
	}
	if (pid == 0) {
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		return 0;
	}
	a->pid = pid;
	a->status = TC_APP_ONLINE;
	tc_say("app '%s' started (pid %d, restarts %u)", a->name, (int)pid, a->restarts);
	return pid;
}

void tc_app_exited(struct tc_app *a, int wstatus)
{
	if (WIFEXITED(wstatus))
		tc_say("app '%s' (pid %d) exited with status %d", a->name, (int)a->pid,
		       WEXITSTATUS(wstatus));
	else
		tc_say("app '%s' (pid %d) killed by signal %d", a->name, (int)a->pid,
		       WTERMSIG(wstatus));
	a->pid = 0;
}

void tc_app_restart_later(struct tc_app *a)
{
	a->status = TC_APP_WAITING;
	a->restart_at = tc_now() + a->restart_delay_ms / 1000.0;
}

void tc_app_resurrect(struct tc_app *a, const char *state_path, int save_ret)
{
	if (save_ret < 0) {
		tc_say("resurrect failed: cannot save the process list to '%s': %s; "
		       "app '%s' is not restarted",
		       state_path, strerror(-save_ret), a->name);
		a->status = TC_APP_ERRORED;
		return;
	}
	tc_say("resurrecting app '%s' in %lu ms", a->name, a->restart_delay_ms);
	tc_app_restart_later(a);
}

bool tc_app_stop_to_resurrect(struct tc_app *a)
{
	if (a->pid <= 0)
		return false;
	tc_say("stopping app '%s' (pid %d) to resurrect it", a->name, (int)a->pid);
	a->status = TC_APP_RESURRECTING;
	kill(a->pid, SIGTERM);
	return true;
}

void tc_app_stop(struct tc_app *a, unsigned int signo)
{
	tc_say("stopping app '%s' (signal %u)", a->name, signo);
	a->status = TC_APP_STOPPING;
	a->stop_deadline = tc_now() + STOP_GRACE_S;
	if (a->pid > 0)
		kill(a->pid, SIGTERM);
}

bool tc_app_tick(struct tc_app *a)
{
	double now = tc_now();

	if (a->status == TC_APP_STOPPING && now >= a->stop_deadline) {
		if (a->pid > 0)
			kill(a->pid, SIGKILL);
		a->stop_deadline = now + STOP_GRACE_S;
	}
	if (a->status == TC_APP_WAITING && now >= a->restart_at) {
		a->restarts++;
		return true;
	}
	return false;
}

int tc_app_timeout_ms(const struct tc_app *a, double next)
{
	double now = tc_now();

	if (a->status == TC_APP_WAITING && a->restart_at < next)
		next = a->restart_at;
	if (a->status == TC_APP_STOPPING && a->stop_deadline < next)
		next = a->stop_deadline;
	return next <= now ? 0 : (int)((next - now) * 1000) + 1;
}
