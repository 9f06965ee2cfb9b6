/*
 * supervised-log — incident 000, "disk full takes down a Node site under PM2"
 * (shared/incidents/000, docs/incidents/disk-full.md).
 *
 * A small process supervisor in the role of PM2, running a web app (this
 * same binary in "app" mode) and writing the app's stdout/stderr to
 * <log-dir>/out.log and err.log, appended with open(O_APPEND|O_CREAT) and
 * write() like PM2's fs.createWriteStream(file, {flags: 'a'}). It keeps a
 * state file like ~/.pm2/dump.pm2 (the apps it runs), rewritten with
 * open(O_WRONLY|O_CREAT|O_TRUNC) when something changes. Plain open/write
 * on purpose: faultrun's shim fails exactly those calls, scoped by path.
 *
 * --variant buggy, as in the postmortem:
 *   - "the log write stream emitted an error (ENOSPC) ... the callback ran
 *     twice and async threw 'Callback was already called.'": a failed log
 *     write (or log open) is an uncaught, fatal error in the supervisor;
 *   - "PM2 then tried to resurrect itself and save its process list to
 *     ~/.pm2/dump.pm2; that open() failed with EACCES": the supervisor stops
 *     the app and saves the state file to resurrect it; when that save fails
 *     the app is not brought back;
 *   - "PM2 itself still ran; the app was dead": the supervisor keeps running.
 * --variant fixed, the postmortem's lesson ("assume every library is
 * unreliable"): a failed log write is reported on the supervisor's stderr
 * and the output dropped (the pipe is still drained, so the app never
 * blocks); logging resumes when space returns; a failed state save is
 * reported and retried every second, never fatal.
 * Both variants restart an app that dies on its own (PM2's autorestart),
 * after --restart-delay.
 *
 * The app answers GET / with 200, /status with its pid and restart count,
 * /crash by exiting (to see a restart), and writes one line per request to
 * stdout (flushed each line).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "target-http.h"

#define PROG "supervised-log"
#define STATE_RETRY_S 1.0
#define REOPEN_EVERY_S 1.0

static struct {
	enum tc_variant variant;
	unsigned long port;
	const char *log_dir;
	const char *state_path;
	const char *name;
	char self[PATH_MAX];
} opt = { .variant = TC_FIXED, .name = "web" };

/* One output stream of the app: its pipe and its log file. */
struct stream {
	const char *file;	/* "out.log" / "err.log" */
	char path[PATH_MAX];
	int pipe_fd;		/* read end, -1 when closed */
	int log_fd;		/* -1 when not open */
	bool failing;		/* fixed: writes are being dropped */
	unsigned long long dropped;
	double next_open;	/* fixed: when to retry a failed open */
};

/* the app (its name is --name, in opt and here) and its two streams */
static struct tc_app app = { .restart_delay_ms = 200 };
static struct stream out[2] = {
	{ .file = "out.log", .pipe_fd = -1, .log_fd = -1 },
	{ .file = "err.log", .pipe_fd = -1, .log_fd = -1 },
};

static struct {
	bool dirty;	/* fixed: a save failed and must be retried */
	double retry_at;
	unsigned int failures;
} state;

/*
 * Rewrite the state file, like PM2's dump.pm2: the list of apps.
 * Returns 0 or -errno.
 */
static int save_state(void)
{
	char buf[2048];
	int n;

	n = snprintf(buf, sizeof(buf),
		     "{\"apps\": [{\"name\": \"%s\", \"pid\": %d, \"port\": %lu, "
		     "\"status\": \"%s\", \"restarts\": %u, "
		     "\"out_log\": \"%s\", \"err_log\": \"%s\"}]}\n",
		     opt.name, (int)app.pid, opt.port,
		     tc_app_status_name(app.status), app.restarts, out[0].path,
		     out[1].path);
	return tc_write_file(opt.state_path, buf, n, 0600);
}

/* Save on a change. Buggy: report and forget. Fixed: retry until it works. */
static void state_changed(void)
{
	int ret = save_state();

	if (ret == 0) {
		if (state.failures)
			tc_say("state saved to '%s' after %u failed attempts",
			       opt.state_path, state.failures);
		state.dirty = false;
		state.failures = 0;
		return;
	}
	if (opt.variant == TC_BUGGY) {
		tc_say("cannot save state to '%s': %s", opt.state_path,
		       strerror(-ret));
		return;
	}
	if (!state.failures++)
		tc_say("cannot save state to '%s': %s (retrying every %.0f s)",
		       opt.state_path, strerror(-ret), STATE_RETRY_S);
	state.dirty = true;
	state.retry_at = tc_now() + STATE_RETRY_S;
}


static void close_logs(void)
{
	for (int i = 0; i < 2; i++) {
		if (out[i].log_fd >= 0)
			close(out[i].log_fd);
		out[i].log_fd = -1;
	}
}

/*
 * Buggy: the resurrection saves the process list first; when that fails
 * the app is never brought back (while the supervisor itself runs on).
 */
static void resurrect(void)
{
	tc_app_resurrect(&app, opt.state_path, save_state());
}

/*
 * Buggy: PM2's "Callback was already called." — an uncaught error. Stop the
 * app, then resurrect it (once it has exited).
 */
static void fatal_log_error(struct stream *s, const char *op, int err)
{
	tc_say("uncaught exception: Error: Callback was already called. "
	       "(%s '%s': %s)", op, s->path, strerror(err));
	close_logs();
	if (!tc_app_stop_to_resurrect(&app))
		resurrect();
}

/* Open a log file, like createWriteStream(file, {flags: 'a'}). */
static int open_log(struct stream *s)
{
	s->log_fd = open(s->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
			 0644);
	return s->log_fd < 0 ? -errno : 0;
}

/* Fixed: report the first failure of an episode, then stay quiet. */
static void log_trouble(struct stream *s, const char *op, int err, size_t lost)
{
	if (!s->failing)
		tc_say("cannot %s '%s': %s; dropping the app's output until it "
		       "can", op, s->path, strerror(err));
	s->failing = true;
	s->dropped += lost;
}

/* Append a chunk of the app's output to its log file. */
static void log_write(struct stream *s, const char *buf, size_t len)
{
	size_t off = 0;

	if (app.status != TC_APP_ONLINE)
		return; /* buggy, after the fatal error: nobody listens */
	if (s->log_fd < 0) {
		int ret;

		/* only the fixed variant gets here: buggy died on open */
		if (tc_now() < s->next_open) {
			s->dropped += len;
			return;
		}
		ret = open_log(s);
		if (ret < 0) {
			s->next_open = tc_now() + REOPEN_EVERY_S;
			log_trouble(s, "open", -ret, len);
			return;
		}
	}
	while (off < len) {
		ssize_t w = write(s->log_fd, buf + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			if (opt.variant == TC_BUGGY) {
				fatal_log_error(s, "write", errno);
				return;
			}
			log_trouble(s, "write", errno, len - off);
			return;
		}
		off += w;
	}
	if (s->failing) {
		tc_say("writing to '%s' again (%llu bytes dropped)", s->path,
		       s->dropped);
		s->failing = false;
		s->dropped = 0;
	}
}

static void spawn_app(void)
{
	int pipes[2][2];
	char port[16];

	for (int i = 0; i < 2; i++) {
		struct stream *s = &out[i];
		int ret;

		if (s->log_fd >= 0)
			continue;
		ret = open_log(s);
		if (ret < 0 && opt.variant == TC_BUGGY) {
			fatal_log_error(s, "open", -ret);
			return;
		}
		if (ret < 0) {
			s->next_open = tc_now() + REOPEN_EVERY_S;
			log_trouble(s, "open", -ret, 0);
		}
	}
	for (int i = 0; i < 2; i++) {
		if (out[i].pipe_fd >= 0) /* held open by a grandchild */
			close(out[i].pipe_fd);
		out[i].pipe_fd = -1;
	}
	if (pipe2(pipes[0], O_CLOEXEC) < 0 || pipe2(pipes[1], O_CLOEXEC) < 0) {
		tc_say("pipe: %s", strerror(errno));
		exit(1);
	}
	snprintf(port, sizeof(port), "%lu", opt.port);
	if (tc_app_fork(&app) == 0) {
		/* the app must not outlive us, even if we are SIGKILLed */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(pipes[0][1], STDOUT_FILENO);
		dup2(pipes[1][1], STDERR_FILENO);
		execl(opt.self, opt.self, "app", "--port", port, "--name",
		      opt.name, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 2; i++) {
		close(pipes[i][1]);
		fcntl(pipes[i][0], F_SETFL, O_NONBLOCK);
		out[i].pipe_fd = pipes[i][0];
	}
	state_changed();
}

/* Read what the app wrote; returns false at end of file. */
static bool drain(struct stream *s)
{
	char buf[65536];

	for (;;) {
		ssize_t n = read(s->pipe_fd, buf, sizeof(buf));

		if (n > 0) {
			log_write(s, buf, n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return true;
		close(s->pipe_fd);
		s->pipe_fd = -1;
		return false;
	}
}

static void app_exited(int wstatus)
{
	for (int i = 0; i < 2; i++)
		if (out[i].pipe_fd >= 0)
			drain(&out[i]);
	tc_app_exited(&app, wstatus);

	switch (app.status) {
	case TC_APP_STOPPING:
		exit(0);
	case TC_APP_RESURRECTING:
		resurrect();
		return;
	case TC_APP_ERRORED:
		return;
	default:
		tc_say("restarting app '%s' in %lu ms", opt.name,
		       app.restart_delay_ms);
		break;
	}
	tc_app_restart_later(&app);
	state_changed();
}

static void on_signal(int sfd)
{
	struct signalfd_siginfo si;
	int wstatus;

	if (read(sfd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo != SIGCHLD) {
		if (app.pid <= 0)
			exit(0);
		tc_app_stop(&app, si.ssi_signo);
		return;
	}
	if (tc_app_reap(&app, &wstatus))
		app_exited(wstatus);
}

static int timeout_ms(void)
{
	double next = tc_now() + 1.0;

	if (state.dirty && state.retry_at < next)
		next = state.retry_at;
	return tc_app_timeout_ms(&app, next);
}

static void on_timer(void)
{
	if (tc_app_tick(&app))
		spawn_app();
	if (state.dirty && tc_now() >= state.retry_at)
		state_changed();
}

static int supervisor_main(void)
{
	int sfd;

	sfd = tc_supervisor_signals();
	if (sfd < 0) {
		tc_say("signalfd: %s", strerror(errno));
		return 1;
	}
	tc_say("variant %s, logs in '%s', state in '%s'",
	       tc_variant_name(opt.variant), opt.log_dir,
	       opt.state_path);
	spawn_app();

	for (;;) {
		struct pollfd p[3] = {
			{ .fd = sfd, .events = POLLIN },
			{ .fd = out[0].pipe_fd, .events = POLLIN },
			{ .fd = out[1].pipe_fd, .events = POLLIN },
		};

		if (poll(p, 3, timeout_ms()) < 0 && errno != EINTR) {
			tc_say("poll: %s", strerror(errno));
			return 1;
		}
		for (int i = 0; i < 2; i++)
			if (p[i + 1].fd >= 0 && p[i + 1].revents)
				drain(&out[i]);
		if (p[0].revents)
			on_signal(sfd);
		on_timer();
	}
}

/* ---- the web app ---------------------------------------------------- */

static atomic_ulong requests;

static enum MHD_Result app_handler(void *cls, struct MHD_Connection *conn,
				   const char *url, const char *method,
				   const char *version, const char *upload,
				   size_t *upload_size, void **con_cls)
{
	unsigned int status = 200;
	enum MHD_Result ret;
	char stamp[32];
	time_t t = time(NULL);

	atomic_fetch_add(&requests, 1);
	if (!strcmp(url, "/crash")) {
		fprintf(stderr, "%s: crashing on request\n", opt.name);
		_exit(1);
	}
	if (!strcmp(url, "/")) {
		ret = th_reply(conn, status, "hello from %s (pid %d)\n",
			       opt.name, (int)getpid());
	} else if (!strcmp(url, "/status")) {
		const char *r = getenv("SUPERVISED_LOG_RESTARTS");

		ret = th_reply(conn, status,
			       "{\"pid\": %d, \"restarts\": %s, "
			       "\"requests\": %lu}\n",
			       (int)getpid(), r ? r : "0",
			       atomic_load(&requests));
	} else {
		status = 404;
		ret = th_reply(conn, status, "not found\n");
		fprintf(stderr, "%s: no route for %s\n", opt.name, url);
	}
	/* one access-log line per request, flushed: stdout is a pipe */
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	printf("%s %s %s %u\n", stamp, method, url, status);
	fflush(stdout);
	return ret;
}

static int app_main(void)
{
	struct MHD_Daemon *d;
	sigset_t mask;
	int sig;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	d = th_start(opt.name, opt.port, MHD_USE_POLL, app_handler, NULL);
	if (!d)
		return 1;
	printf("%s: listening on 127.0.0.1:%lu (pid %d)\n", opt.name, opt.port,
	       (int)getpid());
	fflush(stdout);
	sigwait(&mask, &sig);
	MHD_stop_daemon(d);
	return 0;
}

/* ---- command line --------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " --port N --log-dir DIR --state FILE [options]\n"
		"       " PROG " app --port N [--name NAME]\n"
		"  --variant buggy|fixed   behaviour on a failed log write "
		"(default fixed)\n"
		"  --port N                the app's HTTP port on 127.0.0.1\n"
		"  --log-dir DIR           where out.log and err.log go\n"
		"  --state FILE            the supervisor's state file\n"
		"  --name NAME             the app's name (default web)\n"
		"  --restart-delay MS      before restarting an app that died "
		"(default 200)\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "variant", required_argument, NULL, 'v' },
		{ "port", required_argument, NULL, 'p' },
		{ "log-dir", required_argument, NULL, 'l' },
		{ "state", required_argument, NULL, 's' },
		{ "name", required_argument, NULL, 'n' },
		{ "restart-delay", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool app_mode = argc > 1 && !strcmp(argv[1], "app");
	int c;

	if (app_mode) {
		argv++;
		argc--;
	}
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'v':
			if (!tc_parse_variant(PROG, optarg, &opt.variant))
				return 2;
			break;
		case 'p':
			if (!tc_parse_uint(PROG, "--port", optarg, 1, 65535,
					   &opt.port))
				return 2;
			break;
		case 'l':
			opt.log_dir = optarg;
			break;
		case 's':
			opt.state_path = optarg;
			break;
		case 'n':
			opt.name = optarg;
			break;
		case 'r':
			if (!tc_parse_uint(PROG, "--restart-delay", optarg, 0,
					   600000, &app.restart_delay_ms))
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
	if (optind < argc || !opt.port ||
	    (!app_mode && (!opt.log_dir || !opt.state_path))) {
		fprintf(stderr, PROG ": %s\n",
			optind < argc ? "unexpected argument" :
			!opt.port ? "missing --port" :
			!opt.log_dir ? "missing --log-dir" : "missing --state");
		usage(stderr);
		return 2;
	}
	if (app_mode)
		return app_main();

	if (readlink("/proc/self/exe", opt.self, sizeof(opt.self) - 1) < 0) {
		fprintf(stderr, PROG ": /proc/self/exe: %s\n", strerror(errno));
		return 1;
	}
	app.name = opt.name;
	tc_say_prefix("supervisor"); /* its own messages, on its stderr */
	mkdir(opt.log_dir, 0755); /* like ~/.pm2/logs; it may exist */
	for (int i = 0; i < 2; i++)
		snprintf(out[i].path, sizeof(out[i].path), "%s/%s",
			 opt.log_dir, out[i].file);
	return supervisor_main();
}
