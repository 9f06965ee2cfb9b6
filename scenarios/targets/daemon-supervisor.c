/*
 * daemon-supervisor — incident 000's supervisor as PM2 really runs: a
 * daemon (shared/incidents/000, docs/incidents/disk-full.md).
 *
 * `pm2 start app.js` returns at once: PM2's "God" daemon forked itself into
 * the background and runs the app. This does the same, the classic way
 * (daemon(7), "SysV daemons"): fork, setsid, fork again so the daemon is
 * no session leader and can never take a terminal, chdir /, stdin from
 * /dev/null, stdout and stderr to --log (its directory created if
 * missing, as PM2 creates ~/.pm2/logs); it writes --pidfile, and the
 * command that started it exits 0 only once the pidfile is written and the
 * app started (1 with the reason when the daemon could not start).
 *
 * The daemon runs one app (the command after --), restarts it when it dies
 * (PM2's autorestart, after --restart-delay), and saves its state file like
 * ~/.pm2/dump.pm2 (the app's name, pid, status, restarts) on every change
 * and every --save-every ms, with a plain open(O_WRONLY|O_CREAT|O_TRUNC) and
 * write(): faultrun's shim fails exactly that open, scoped by path.
 *
 * --variant buggy, as in the postmortem: "PM2 then tried to resurrect
 * itself and save its process list to ~/.pm2/dump.pm2; that open() failed
 * with EACCES ... The application was not restarted. PM2 itself still
 * ran": a failed save is an uncaught error; the daemon stops the app to
 * resurrect it, and the resurrection saves the state first, so when the
 * save fails again the app is never restarted; the daemon runs on.
 * --variant fixed: a failed save is reported once and retried every
 * --save-every; the app keeps running and is restarted as usual.
 *
 * Like PM2 (and unlike supervised-log), the app does not die with the
 * daemon: a SIGKILLed supervisor leaves its app running, which is what a
 * test harness must clean up. SIGTERM/SIGINT stop the app (SIGKILL after
 * 3 s), remove the pidfile and exit 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

#define PROG "daemon-supervisor"

static struct {
	enum tc_variant variant;
	char pidfile[PATH_MAX], state_path[PATH_MAX], log[PATH_MAX];
	unsigned long save_every_ms;
	char **app_argv;
} opt = { .variant = TC_FIXED, .save_every_ms = 1000 };

static struct tc_app app = { .name = "app", .restart_delay_ms = 200 };

static struct {
	double next_save;
	unsigned int failures;
} state;

/* The state file, like dump.pm2. Returns 0 or -errno. */
static int save_state(void)
{
	char buf[1024];
	int n;

	n = snprintf(buf, sizeof(buf),
		     "{\"supervisor\": %d, \"apps\": [{\"name\": \"%s\", \"pid\": %d, "
		     "\"status\": \"%s\", \"restarts\": %u}]}\n",
		     (int)getpid(), app.name, (int)app.pid, tc_app_status_name(app.status),
		     app.restarts);
	return tc_write_file(opt.state_path, buf, n, 0600);
}

static void resurrect(void)
{
	tc_app_resurrect(&app, opt.state_path, save_state());
}

/* Save now (a change, or the period came). */
static void save(void)
{
	int ret = save_state();

	state.next_save = tc_now() + opt.save_every_ms / 1000.0;
	if (ret == 0) {
		if (state.failures)
			tc_say("state saved to '%s' after %u failed attempts", opt.state_path,
			       state.failures);
		state.failures = 0;
		return;
	}
	if (!state.failures++ && opt.variant == TC_FIXED)
		tc_say("cannot save state to '%s': %s (retrying every %lu ms; app "
		       "'%s' keeps running)",
		       opt.state_path, strerror(-ret), opt.save_every_ms, app.name);
	if (opt.variant == TC_FIXED)
		return;
	if (app.status == TC_APP_RESURRECTING || app.status == TC_APP_ERRORED)
		return;
	/* PM2's "global error caught", then its resurrection */
	tc_say("uncaught exception: Error: cannot save state to '%s': %s", opt.state_path,
	       strerror(-ret));
	if (!tc_app_stop_to_resurrect(&app))
		resurrect();
}

static void spawn_app(void)
{
	if (tc_app_fork(&app) == 0) {
		execvp(opt.app_argv[0], opt.app_argv);
		tc_say("cannot run '%s': %s", opt.app_argv[0], strerror(errno));
		_exit(127);
	}
	save();
}

static void stop_and_exit(void)
{
	unlink(opt.pidfile);
	tc_say("stopped");
	exit(0);
}

static void app_exited(int wstatus)
{
	tc_app_exited(&app, wstatus);
	switch (app.status) {
	case TC_APP_STOPPING:
		stop_and_exit();
		return;
	case TC_APP_RESURRECTING:
		resurrect();
		return;
	case TC_APP_ERRORED:
		return;
	default:
		break;
	}
	if (opt.variant == TC_BUGGY && state.failures) {
		/* the restart goes through the resurrection, which saves first */
		resurrect();
		return;
	}
	tc_say("restarting app '%s' in %lu ms", app.name, app.restart_delay_ms);
	tc_app_restart_later(&app);
	save();
}

static void on_signal(int sfd)
{
	struct signalfd_siginfo si;
	int wstatus;

	if (read(sfd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo != SIGCHLD) {
		if (app.pid <= 0)
			stop_and_exit();
		tc_app_stop(&app, si.ssi_signo);
		return;
	}
	if (tc_app_reap(&app, &wstatus))
		app_exited(wstatus);
}

static void on_timer(void)
{
	if (tc_app_tick(&app))
		spawn_app();
	if (tc_now() >= state.next_save)
		save();
}

static int supervise(int sfd)
{
	for (;;) {
		struct pollfd p = { .fd = sfd, .events = POLLIN };

		if (poll(&p, 1, tc_app_timeout_ms(&app, state.next_save)) < 0 && errno != EINTR) {
			tc_say("poll: %s", strerror(errno));
			return 1;
		}
		if (p.revents)
			on_signal(sfd);
		on_timer();
	}
}

/* ---- becoming a daemon -------------------------------------------------- */

/* Tell the command that started us how it went: "" is success. */
static void report(int fd, const char *msg)
{
	if (write(fd, msg, strlen(msg) + 1) < 0)
		return; /* the starter is gone: nobody to tell */
}

/*
 * The log's directory, like ~/.pm2/logs, which PM2 creates: one level, it
 * may exist; a failure shows when the log is opened.
 */
static void make_log_dir(void)
{
	char dir[PATH_MAX];
	char *slash;

	if (!opt.log[0])
		return;
	snprintf(dir, sizeof(dir), "%s", opt.log);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		mkdir(dir, 0755);
	}
}

/* In the daemon: pidfile, standard fds, signals, the app. */
static int daemon_main(int ready_fd)
{
	char msg[PATH_MAX + 128], pid[32];
	int fd, sfd, ret;

	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	ret = tc_write_file(opt.pidfile, pid, strlen(pid), 0644);
	if (ret < 0) {
		snprintf(msg, sizeof(msg), "cannot write the pidfile '%s': %s", opt.pidfile,
			 strerror(-ret));
		report(ready_fd, msg);
		return 1;
	}
	make_log_dir();
	fd = open(opt.log[0] ? opt.log : "/dev/null", O_WRONLY | O_APPEND | O_CREAT, 0644);
	if (fd < 0) {
		snprintf(msg, sizeof(msg), "cannot open the log '%s': %s", opt.log,
			 strerror(errno));
		unlink(opt.pidfile);
		report(ready_fd, msg);
		return 1;
	}
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);

	sfd = tc_supervisor_signals();
	if (sfd < 0) {
		report(ready_fd, "signalfd failed");
		return 1;
	}
	tc_say("daemon %d, variant %s, state in '%s'", (int)getpid(), tc_variant_name(opt.variant),
	       opt.state_path);
	spawn_app();
	report(ready_fd, "");
	close(ready_fd);
	return supervise(sfd);
}

static void fd_stdin_null(void)
{
	int fd = open("/dev/null", O_RDONLY);

	if (fd > STDIN_FILENO) {
		dup2(fd, STDIN_FILENO);
		close(fd);
	}
}

/*
 * fork, setsid, fork (daemon(7)): the first child leads a new session
 * without a terminal and exits; its child, the daemon, is no session
 * leader, so opening a terminal never makes it its controlling one.
 */
static int daemonize(void)
{
	char msg[PATH_MAX + 128] = "";
	int pipefd[2], wstatus;
	ssize_t n, got = 0;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		fprintf(stderr, PROG ": pipe: %s\n", strerror(errno));
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, PROG ": fork: %s\n", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		close(pipefd[0]);
		if (setsid() < 0)
			_exit(1);
		pid = fork();
		if (pid != 0)
			_exit(pid < 0);
		umask(022);
		if (chdir("/") < 0)
			_exit(1);
		fd_stdin_null();
		_exit(daemon_main(pipefd[1]));
	}
	close(pipefd[1]);
	waitpid(pid, &wstatus, 0);
	/* until the daemon reports, or exits (end of file) */
	while (got < (ssize_t)sizeof(msg) - 1 &&
	       (n = read(pipefd[0], msg + got, sizeof(msg) - 1 - got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		got += n;
		if (memchr(msg, 0, got))
			break;
	}
	close(pipefd[0]);
	if (got == 0 || msg[0]) {
		fprintf(stderr, PROG ": the daemon did not start: %s\n",
			got ? msg : "it exited before it was ready");
		return 1;
	}
	return 0;
}

/* ---- command line --------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " --pidfile FILE --state FILE [options] -- APP [ARGS...]\n"
		"  --variant buggy|fixed   behaviour on a failed state save (default fixed)\n"
		"  --pidfile FILE          the daemon's pid, removed when it stops\n"
		"  --state FILE            the state file, like ~/.pm2/dump.pm2\n"
		"  --log FILE              the daemon's and the app's output (default /dev/null)\n"
		"  --name NAME             the app's name (default app)\n"
		"  --restart-delay MS      before restarting an app that died (default 200)\n"
		"  --save-every MS         how often the state is saved (default 1000)\n");
}

/* The daemon runs in /: a relative path is made absolute first. */
static bool absolute(char *dst, const char *flag, const char *path)
{
	char cwd[PATH_MAX];
	int n;

	if (path[0] == '/')
		n = snprintf(dst, PATH_MAX, "%s", path);
	else if (getcwd(cwd, sizeof(cwd)))
		n = snprintf(dst, PATH_MAX, "%s/%s", cwd, path);
	else
		n = PATH_MAX;
	if (n >= PATH_MAX) {
		fprintf(stderr, PROG ": %s '%s': path too long\n", flag, path);
		return false;
	}
	return true;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "variant", required_argument, NULL, 'v' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "state", required_argument, NULL, 's' },
		{ "log", required_argument, NULL, 'l' },
		{ "name", required_argument, NULL, 'n' },
		{ "restart-delay", required_argument, NULL, 'r' },
		{ "save-every", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (c) {
		case 'v':
			if (!tc_parse_variant(PROG, optarg, &opt.variant))
				return 2;
			break;
		case 'p':
			if (!absolute(opt.pidfile, "--pidfile", optarg))
				return 2;
			break;
		case 's':
			if (!absolute(opt.state_path, "--state", optarg))
				return 2;
			break;
		case 'l':
			if (!absolute(opt.log, "--log", optarg))
				return 2;
			break;
		case 'n':
			app.name = optarg;
			break;
		case 'r':
			if (!tc_parse_uint(PROG, "--restart-delay", optarg, 0, 600000,
					   &app.restart_delay_ms))
				return 2;
			break;
		case 'e':
			if (!tc_parse_uint(PROG, "--save-every", optarg, 10, 3600000,
					   &opt.save_every_ms))
				return 2;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!opt.pidfile[0] || !opt.state_path[0] || optind >= argc) {
		fprintf(stderr, PROG ": %s\n",
			!opt.pidfile[0]	   ? "missing --pidfile" :
			!opt.state_path[0] ? "missing --state" :
					     "missing the app's command (after --)");
		usage(stderr);
		return 2;
	}
	opt.app_argv = argv + optind;
	tc_say_prefix(PROG); /* the daemon's messages: on its stderr, the --log file */
	return daemonize();
}
