/*
 * faultrun — the order of the units: process services start one after
 * the other in depends-on order (each once the one before it is ready),
 * the target last; teardown stops them in reverse. And daemons: a command
 * that exits 0 after starting the real process, which is then tracked as
 * the unit's main process (declared), or explained (undeclared).
 */
#define _GNU_SOURCE
#include "run/run_internal.h"
#include "util/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Started (a daemon: its main process found): wait for it to be ready. */
void run_unit_started(struct target *tg)
{
	struct run *r = tg->r;

	if (r->phase != PH_STARTING && r->phase != PH_RUNNING)
		return;
	if (tg->lb) {
		run_lb_started(tg);
		return;
	}
	if (tg->cfg->ready.present) {
		run_ready_start(tg);
		return;
	}
	/* without a readiness check, started is ready */
	run_unit_ready(tg);
}

/* Ready (its check passed, or it has none): the next unit, or t = 0 after the last. */
void run_unit_ready(struct target *tg)
{
	struct run *r = tg->r;
	bool checked = tg->cfg->ready.present || tg->lb;

	tg->ready = true;
	run_lc_add(r, "ready", tg->child.pid)->service = tg->service;
	if (r->phase != PH_STARTING) {
		if (checked)
			run_say(r, "%s is ready again", tg->what);
		return;
	}
	if (checked && (tg->proc || r->s->nbefore < r->s->nstart))
		run_say(r, "%s is ready", tg->what);
	r->starting++;
	run_start_next(r);
}

/*
 * The next unit in start order: the services before the target, the
 * target, the services after it (those in front of it: a haproxy
 * service); t = 0 once the last is ready.
 */
void run_start_next(struct run *r)
{
	const struct fr_scenario *s = r->s;
	struct target *tg;

	if (r->phase != PH_STARTING)
		return;
	if (r->starting > s->nstart) {
		run_on_ready(r);
		return;
	}
	if (r->starting == s->nbefore) {
		run_say(r, "starting %s%s", r->tg.argv[0],
			r->tg.shim ? " under the shim" :
			r->tg.sec  ? " under the seccomp backend" :
				     "");
		run_target_start(&r->tg, false);
		return;
	}
	tg = run_proc(r, s->start_order[r->starting - (r->starting > s->nbefore)] + 1);
	run_say(r, "starting service %s: %s%s", tg->service, tg->argv[0],
		tg->shim ? " under the shim" :
		tg->sec	 ? " under the seccomp backend" :
			   "");
	run_target_start(tg, false);
}

/* Stop the last unit of start_order[from, to) that still runs: true while one does. */
static bool stop_last_of(struct run *r, size_t from, size_t to)
{
	for (size_t k = to; k-- > from;) {
		struct target *tg = run_proc(r, r->s->start_order[k] + 1);

		fr_timer_stop(r->loop, &tg->restart_timer);
		run_ready_stop(tg);
		if (!tg->running)
			continue;
		if (!tg->stopping)
			run_target_stop(tg, r->signals > 1 ? 0 : tg->cfg->grace_ns);
		return true;
	}
	return false;
}

/*
 * Teardown: stop the last started unit that still runs, in reverse start
 * order (the services after the target, the target, those before it).
 * Returns true while one is running (its exit comes back to
 * run_teardown_continue), false when all are down.
 */
bool run_stop_next_unit(struct run *r)
{
	struct target *tg = &r->tg;

	if (stop_last_of(r, r->s->nbefore, r->s->nstart))
		return true;
	fr_timer_stop(r->loop, &tg->restart_timer);
	if (tg->running) {
		/* a second signal: no grace */
		if (!tg->stopping)
			run_target_stop(tg, r->signals > 1 ? 0 : tg->cfg->grace_ns);
		return true;
	}
	return stop_last_of(r, 0, r->s->nbefore);
}

/* A signal during teardown: no more grace for whatever is stopping. */
void run_units_hurry(struct run *r)
{
	for (int p = 0; p <= (int)r->s->nservices; p++) {
		struct target *tg = run_proc(r, p);

		if (tg->r && tg->running && tg->stopping)
			fr_timer_start(r->loop, &tg->grace_timer, fr_loop_now(r->loop));
	}
}

static void comm_of(pid_t pid, char *buf, size_t len)
{
	char path[64];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	buf[0] = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, len - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	buf[strcspn(buf, "\n")] = 0;
}

/* Is pid the main process of another unit already? */
static bool claimed(struct run *r, pid_t pid)
{
	for (int p = 0; p <= (int)r->s->nservices; p++) {
		struct target *tg = run_proc(r, p);

		if (tg->r && tg->running && !tg->launching && tg->child.pid == pid)
			return true;
	}
	return false;
}

/*
 * Whether orphan pid may be tg's: it carries tg's FAULTRUN_UNIT, or none
 * at all (a daemon started with `env -i` lost it). An orphan of a probe,
 * a run step or another service is not tg's. An environment that reads
 * empty is read again a few times over 50 ms: a process in the middle of
 * an exec (a probe's `setsid sleep`) shows none for a moment, and taking
 * that for `env -i` blamed a service for a probe's orphan.
 */
static bool orphan_of(const struct target *tg, pid_t pid)
{
	char unit[128];
	int r = fr_proc_getenv(pid, FR_UNIT_ENV, unit, sizeof(unit));

	for (int i = 0; r == -ENODATA && i < 5 && kill(pid, 0) == 0; i++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		nanosleep(&ts, NULL);
		r = fr_proc_getenv(pid, FR_UNIT_ENV, unit, sizeof(unit));
	}
	if (r != 1)
		return true;
	return !strcmp(unit, tg->service ? tg->service : "target");
}

/* The orphans faultrun adopted that no unit tracks yet and may be tg's. */
static size_t orphans(const struct target *tg, pid_t *out, size_t max)
{
	pid_t all[64];
	size_t n = fr_adopted(all, 64), k = 0;

	for (size_t i = 0; i < n && i < 64; i++)
		if (!claimed(tg->r, all[i]) && orphan_of(tg, all[i])) {
			if (k < max)
				out[k] = all[i];
			k++;
		}
	return k;
}

/*
 * A command that is no daemon exited 0: if processes it started still
 * run (orphans we adopted as a subreaper, or members of its process
 * group), it daemonized. buf gets the message saying so and how to
 * declare it, or "" when nothing of it was left.
 */
void run_undeclared_daemon(struct target *tg, char *buf, size_t len)
{
	pid_t left[4];
	size_t n = orphans(tg, left, 4);
	char comm[32] = "";

	buf[0] = 0;
	if (!n && !tg->child.group_left)
		return;
	if (n)
		comm_of(left[0], comm, sizeof(comm));
	snprintf(buf, len,
		 "%s's command exited 0 while processes it started keep running%s%.0d%s%s%s: "
		 "it daemonized; declare it with 'daemon: true' (or 'pidfile: PATH') in %s%s, "
		 "and faultrun tracks the process it leaves as the main one",
		 tg->what, n ? " (pid " : "", n ? (int)left[0] : 0, n && comm[0] ? " " : "", comm,
		 n ? ")" : "", tg->proc ? "services." : "target", tg->proc ? tg->service : "");
}

/* The pid in a pidfile: a positive decimal number, maybe a newline. */
static pid_t read_pidfile(const char *path, char *why, size_t len)
{
	char buf[32], *end;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(why, len, "cannot read its pidfile '%s': %s", path, strerror(errno));
		return 0;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	long pid = strtol(buf, &end, 10);
	if (pid <= 1 || pid > 4194304 || (*end && *end != '\n')) {
		snprintf(why, len, "its pidfile '%s' holds no pid ('%.20s')", path, buf);
		return 0;
	}
	return (pid_t)pid;
}

/* Which process a daemon's command left: the pidfile's, or the one orphan. */
static pid_t daemon_pid(struct target *tg, char *why, size_t len)
{
	pid_t left[8];
	size_t n;

	if (tg->cfg->pidfile.raw) {
		pid_t pid = read_pidfile(tg->cfg->pidfile.val, why, len);

		if (pid && kill(pid, 0) < 0) {
			snprintf(why, len, "the pid %d in its pidfile '%s' does not run", (int)pid,
				 tg->cfg->pidfile.val);
			return 0;
		}
		return pid;
	}
	n = orphans(tg, left, 8);
	if (n == 1)
		return left[0];
	if (!n)
		snprintf(why, len, "its command exited 0 and left no process running");
	else
		snprintf(why, len,
			 "its command left %zu processes (pids %d, %d%s): name the main "
			 "one with 'pidfile: PATH'",
			 n, (int)left[0], (int)left[1], n > 2 ? ", ..." : "");
	return 0;
}

/* A daemon's command exited: track what it left, or say why not. */
void run_daemon_launched(struct target *tg, int status)
{
	struct run *r = tg->r;
	char why[512] = "";
	pid_t pid = 0;

	tg->launching = false;
	tg->running = false;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		pid = daemon_pid(tg, why, sizeof(why));
	else if (WIFEXITED(status))
		snprintf(why, sizeof(why), "its command exited with status %d",
			 WEXITSTATUS(status));
	else
		snprintf(why, sizeof(why), "its command was killed by %s",
			 fr_signal_name(WTERMSIG(status)));
	if (pid && fr_child_adopt(r->loop, &tg->child, pid, tg->child.fn, tg) < 0)
		snprintf(why, sizeof(why), "cannot watch its process %d: %s", (int)pid,
			 strerror(errno));
	else if (pid) {
		tg->running = true;
		tg->pid = pid;
		struct fr_lc_event *e = run_lc_add(r, "daemon", pid);
		e->service = tg->service;
		run_say(r, "%s daemonized: its main process is %d", tg->what, (int)pid);
		if (r->phase >= PH_STOPPING)
			run_target_stop(tg, 0);
		else
			run_unit_started(tg);
		return;
	}
	struct fr_lc_event *e = run_lc_add(r, "exit", tg->pid);
	e->service = tg->service;
	e->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	e->signo = WIFEXITED(status) ? 0 : WTERMSIG(status);
	e->detail = fr_xasprintf("daemon: %s", why);
	if (r->phase == PH_STARTING) {
		run_error(r, "%s (daemon) did not start: %s", tg->what, why);
	} else if (r->phase >= PH_STOPPING) {
		run_teardown_continue(r);
	} else {
		tg->exits++;
		run_say(r, "%s (daemon) did not start: %s", tg->what, why);
	}
}
