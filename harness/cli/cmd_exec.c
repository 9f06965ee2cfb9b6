/*
 * faultrun exec [-f SPEC]... [--paused] [--seed N] [--json FILE] [-q]
 *               [--backend preload|seccomp|auto] -- CMD [ARGS]
 *
 * Runs one program under the shim, for reproducing an incident by hand.
 * The rules go into a control block in a private run directory, so
 * `faultrun ctl` can arm, disarm and add rules from another terminal
 * while CMD runs. Exits with CMD's status (128+N when killed by signal N),
 * or FR_EXIT_NOT_FIRED when a rule never fired (unless --may-not-fire):
 * a run that injected nothing proves nothing, and says why.
 *
 * Its own failures use the statuses of env(1) and timeout(1), so a script
 * can tell them from the command's: 125 faultrun's own error (bad option
 * or SPEC, setup), 126 the command was found but cannot be run, 127 it
 * was not found (POSIX's "Command Search and Execution" for the shell).
 */
#define _GNU_SOURCE
#include "cli.h"
#include "config.h"
#include "exec_spawn.h"
#include "ctlread.h"
#include "attach.h"
#include "exec_seccomp.h"
#include "exec_left.h"
#include "uring_note.h"
#include "io/launch.h"
#include "util/fsutil.h"
#include "util/timefmt.h"

#include <faultrun/control.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

/* env(1)'s statuses, see the header comment */
enum {
	EXEC_OWN_ERROR = FR_SPAWN_OWN_ERROR,
	EXEC_CANNOT_RUN = FR_SPAWN_CANNOT_RUN,
	EXEC_NOT_FOUND = FR_SPAWN_NOT_FOUND,
};

static volatile sig_atomic_t forward_to;

/* Pass a terminating signal on to the child; we report after it exits. */
static void on_signal(int sig)
{
	if (forward_to > 0)
		kill((pid_t)forward_to, sig);
}

static void exec_usage(void)
{
	fputs("usage: faultrun exec [-f SPEC]... [--paused] [--may-not-fire] [--user NAME] "
	      "[--seed N] [--json FILE] [-q] [--backend preload|seccomp|auto] -- CMD [ARGS]\n"
	      "  SPEC: operations, an action and selectors, e.g.\n"
	      "    'write errno=ENOSPC path=/var/log/app/**'  'open errno=EACCES path=**/dump.pm2'\n"
	      "    'write budget=10MiB path=/data/**'  'recv stall port=3306'\n"
	      "  see faultrun-exec(1), faultrun-faults(7) and " FR_DOCDIR "/faults.md\n",
	      stderr);
}

static int parse_seed(const char *s, uint64_t *out)
{
	char *end;

	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || !*s || *end || *s == '-')
		return -EINVAL;
	*out = v;
	return 0;
}

/* A random seed, short enough to retype. */
static uint64_t random_seed(void)
{
	uint64_t seed = 0;

	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = (uint64_t)fr_now_ns() ^ ((uint64_t)getpid() << 32);
	return seed & 0xffffffffffffull;
}

struct exec_opts {
	struct fr_rule rules[FR_MAX_RULES];
	unsigned nrules;
	bool paused, quiet, have_seed, may_not_fire;
	const char *json;
	struct fr_user user; /* --user, when have_user */
	bool have_user;
	uint64_t seed;
	char **cmd;
	enum fr_exec_backend backend; /* --backend (docs/seccomp.md) */
};

/* -f SPEC: one more rule, whose name must be new. Returns 0 or EXEC_OWN_ERROR. */
static int add_rule(struct exec_opts *o, const char *spec)
{
	struct fr_rule *r = &o->rules[o->nrules];
	char err[512];

	if (o->nrules == FR_MAX_RULES) {
		fprintf(stderr, "faultrun: at most %d rules\n", FR_MAX_RULES);
		return EXEC_OWN_ERROR;
	}
	if (fr_spec_parse(spec, r, o->nrules, err, sizeof(err)) < 0) {
		fprintf(stderr, "faultrun: -f '%s': %s\n", spec, err);
		return EXEC_OWN_ERROR;
	}
	for (unsigned i = 0; i < o->nrules; i++)
		if (strcmp(o->rules[i].name, r->name) == 0) {
			fprintf(stderr, "faultrun: -f '%s': name '%s' is used twice\n", spec,
				o->rules[i].name);
			return EXEC_OWN_ERROR;
		}
	o->nrules++;
	return 0;
}

/* Returns -1 to go on, else the exit status (0 after --help). */
static int parse_args(int argc, char **argv, struct exec_opts *o)
{
	/* one option a line, as getopt_long(3) shows them */
	/* clang-format off */
	static const struct option opts[] = {
		{ "fault", required_argument, NULL, 'f' },
		{ "paused", no_argument, NULL, 'p' },
		{ "may-not-fire", no_argument, NULL, 'm' },
		{ "user", required_argument, NULL, 'u' },
		{ "seed", required_argument, NULL, 's' },
		{ "json", required_argument, NULL, 'J' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "backend", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	/* clang-format on */
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+f:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (add_rule(o, optarg))
				return EXEC_OWN_ERROR;
			break;
		case 'p':
			o->paused = true;
			break;
		case 'm':
			o->may_not_fire = true;
			break;
		case 'u': {
			char err[300];

			if (fr_user_lookup(optarg, &o->user, err, sizeof(err)) < 0) {
				fprintf(stderr, "faultrun: --%s\n", err);
				return EXEC_OWN_ERROR;
			}
			o->have_user = true;
			break;
		}
		case 's':
			if (parse_seed(optarg, &o->seed) < 0) {
				fprintf(stderr, "faultrun: --seed '%s': expected a whole number\n",
					optarg);
				return EXEC_OWN_ERROR;
			}
			o->have_seed = true;
			break;
		case 'J':
			o->json = optarg;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'b':
			if (fr_exec_backend_parse(optarg, &o->backend) < 0)
				return EXEC_OWN_ERROR;
			break;
		case 'h':
			exec_usage();
			return 0;
		default:
			exec_usage();
			return EXEC_OWN_ERROR;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "faultrun: exec: no command given\n");
		exec_usage();
		return EXEC_OWN_ERROR;
	}
	o->cmd = argv + optind;
	return -1;
}

/* what signals_divert changes, in the order it does */
static const int diverted[] = { SIGTERM, SIGHUP, SIGINT, SIGQUIT };
#define NDIVERTED (sizeof(diverted) / sizeof(diverted[0]))

struct saved_signals {
	struct sigaction old[NDIVERTED];
};

/* like system(3): the terminal's ^C reaches the child; we outlive it */
static void signals_divert(struct saved_signals *old)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct sigaction ign = { .sa_handler = SIG_IGN };

	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	for (size_t i = 0; i < NDIVERTED; i++)
		sigaction(diverted[i], diverted[i] == SIGTERM || diverted[i] == SIGHUP ? &sa : &ign,
			  &old->old[i]);
}

static void signals_restore(const struct saved_signals *old)
{
	for (size_t i = 0; i < NDIVERTED; i++)
		sigaction(diverted[i], &old->old[i], NULL);
}

/* signals_restore for fr_exec_seccomp_run's child */
static void child_signals(const void *old)
{
	signals_restore(old);
}

/*
 * Start the command under the shim (exec_spawn.c; the child gets back the
 * signal dispositions in old), wait for it, and return its status as the
 * shell would (128+N when killed by signal N), or -1 when it could not be
 * started.
 */
static int run_command(const struct exec_opts *o, const char *resolved, const char *shim,
		       const char *ctlpath, const struct saved_signals *old, int *child)
{
	struct fr_spawn sp = {
		.path = resolved,
		.argv = o->cmd,
		.shim = shim,
		.ctlpath = ctlpath,
		.seed = o->seed,
		.user = o->have_user ? &o->user : NULL,
		.sig = diverted,
		.old = old->old,
		.nsig = NDIVERTED,
		.pid_out = &forward_to,
	};
	int wst, status = 0;
	pid_t pid = fr_spawn(&sp);

	if (pid < 0)
		return -1;
	*child = (int)pid;
	while (waitpid(pid, &wst, 0) < 0 && errno == EINTR)
		;
	forward_to = 0;
	if (WIFEXITED(wst))
		status = WEXITSTATUS(wst);
	else if (WIFSIGNALED(wst))
		status = 128 + WTERMSIG(wst);
	return status;
}

/*
 * The control block in a fresh run directory, holding the rules (armed
 * unless --paused). Returns 0, or the exit status with nothing left over.
 */
static int setup_ctl(const struct exec_opts *o, char *rundir, size_t rundir_len, char *ctlpath,
		     size_t ctlpath_len, struct fr_ctl **ctl)
{
	const struct fr_user *u = o->have_user ? &o->user : NULL;
	int ret = fr_rundir_create_mem("exec", u, rundir, rundir_len);

	if (ret < 0) {
		fprintf(stderr, "faultrun: cannot create a run directory: %s\n",
			fr_rundir_why(ret));
		return EXEC_OWN_ERROR;
	}
	snprintf(ctlpath, ctlpath_len, "%s/ctl", rundir);
	ret = fr_ctl_create(ctlpath, o->seed, ctl);
	if (ret < 0) {
		fprintf(stderr, "faultrun: cannot create the control block '%s': %s\n", ctlpath,
			strerror(-ret));
		fr_rundir_remove(rundir);
		return EXEC_OWN_ERROR;
	}
	/* the target's user maps the block: it must be theirs (fr_ctl_attach) */
	ret = fr_user_give(u, ctlpath);
	if (ret < 0) {
		fprintf(stderr, "faultrun: cannot give '%s' to user '%s': %s\n", ctlpath, u->name,
			strerror(-ret));
		fr_ctl_close(*ctl);
		fr_rundir_remove(rundir);
		return EXEC_OWN_ERROR;
	}
	for (unsigned i = 0; i < o->nrules; i++) {
		/* a disk rule's file table may find the block's file system full */
		ret = fr_ctl_add(*ctl, &o->rules[i], !o->paused);
		if (ret < 0) {
			fprintf(stderr, "faultrun: cannot publish rule '%.*s' in '%s': %s\n",
				(int)sizeof(o->rules[i].name), o->rules[i].name, ctlpath,
				strerror(-ret));
			fr_ctl_close(*ctl);
			fr_rundir_remove(rundir);
			return EXEC_OWN_ERROR;
		}
	}
	return 0;
}

/*
 * After the command: where the shim reached, every refusal, and every
 * rule that never fired, with why. Returns the exit status.
 */
static int report_run(const struct exec_opts *o, const struct fr_ctl *ctl, int rfd,
		      struct fr_exec_record *x)
{
	int status = x->command_status;
	struct fr_attach a = { 0 };
	unsigned n = fr_ctl_count(ctl), silent = 0;
	char buf[1024];

	fr_attach_collect(&a, ctl);
	if (rfd >= 0)
		fr_attach_drain(&a, rfd);
	if (!o->quiet) {
		fr_ctl_print_counts(ctl, stderr, "faultrun: ");
		fr_attach_describe(&a, buf, sizeof(buf));
		fprintf(stderr, "faultrun: %s %s\n",
			x->backend ? "the seccomp backend saw" : "the shim was in", buf);
	}
	for (size_t i = 0; i < a.n; i++)
		if (a.v[i].refused) {
			fr_attach_refusal_text(&a.v[i], buf, sizeof(buf));
			fprintf(stderr, "faultrun: %s\n", buf);
		}
	/* like a refusal, said even with -q: the rules could not see that I/O */
	fr_ctl_print_uring(ctl, stderr, "faultrun: ");
	for (unsigned i = 0; i < n; i++) {
		const struct fr_ctl_slot *sl = &ctl->slots[i];

		bool may = o->may_not_fire || (sl->rule.flags & FR_RULE_MAY_NOT_FIRE);

		if (!atomic_load(&sl->ready) || atomic_load(&sl->injected))
			continue;
		if (!atomic_load(&sl->arm_count))
			snprintf(buf, sizeof(buf),
				 "it was never armed (--paused: faultrun ctl arm NAME)");
		else if (x->explain)
			x->explain(x->backend, ctl, i, &a, buf, sizeof(buf));
		else
			fr_attach_explain(&a, atomic_load(&sl->matched), buf, sizeof(buf));
		fr_uring_explain(ctl, i, buf, sizeof(buf));
		/* -q with --may-not-fire: expected, and asked to be quiet about it */
		if (!o->quiet || !may)
			fprintf(stderr, "faultrun: rule '%.*s' never fired: %s\n",
				(int)sizeof(sl->rule.name), sl->rule.name, buf);
		silent += !may;
	}
	if (silent) {
		fprintf(stderr,
			"faultrun: exit %d: %u rule%s never fired (--may-not-fire, or the rule's "
			"may-not-fire, if that is expected; the command exited %d)\n",
			FR_EXIT_NOT_FIRED, silent, silent == 1 ? "" : "s", status);
		status = FR_EXIT_NOT_FIRED;
	}
	x->status = status;
	x->attach = &a;
	int ret = o->json ? fr_exec_write_json(ctl, x, o->json) : 0;
	if (ret < 0) {
		fprintf(stderr, "faultrun: cannot write '%s': %s\n", o->json, strerror(-ret));
		if (status == 0)
			status = EXEC_OWN_ERROR;
	}
	fr_attach_finish(&a);
	return status;
}

/*
 * The shim to preload: fr_shim_path() picks $FAULTRUN_SHIM when set, else
 * the build tree's when this faultrun runs from one, else the path
 * `meson install` put it at (FR_SHIM_PATH, from prefix and libdir). When
 * it is not there, say every place looked at, so an installed faultrun
 * with a missing or moved shim tells the user where it should be.
 */
static const char *find_shim(void)
{
	const char *shim = fr_shim_path();
	const char *env = getenv("FAULTRUN_SHIM");
	char self[PATH_MAX];

	if (access(shim, R_OK) == 0)
		return shim;
	if (env && *env) {
		fprintf(stderr, "faultrun: shim not found: FAULTRUN_SHIM=%s: %s\n", env,
			strerror(errno));
		return NULL;
	}
	fputs("faultrun: shim libfaultshim.so not found; looked at:\n"
	      "  $FAULTRUN_SHIM (not set)\n",
	      stderr);
	/* the build-tree place fr_shim_path() tries (io/launch.c) */
	if (fr_self_dir(self, sizeof(self)) == 0)
		fprintf(stderr, "  %s/../shim/libfaultshim.so (the build tree)\n", self);
	fprintf(stderr, "  %s (the installed shim)\n", FR_SHIM_PATH);
	return NULL;
}

int fr_cmd_exec(int argc, char **argv)
{
	/*
	 * Static, not on the stack: 64 rules are 62 KiB, and zeroing them there
	 * faulted in 16 fresh stack pages on every exec; here only the pages
	 * of the rules given are touched. fr_cmd_exec runs once per process.
	 */
	static struct exec_opts o;
	char err[512], resolved[PATH_MAX], rundir[PATH_MAX], ctlpath[PATH_MAX + 8];
	struct saved_signals old;
	struct fr_ctl *ctl = NULL;
	int ret, status;

	status = parse_args(argc, argv, &o);
	if (status >= 0)
		return status;
	err[0] = '\0';
	ret = fr_launch_check(o.cmd[0], resolved, sizeof(resolved), err, sizeof(err));
	/* refused (static, setuid, Go: docs/limitations.md) or not executable; auto decided */
	status = fr_exec_backend_choose(&o.backend, ret, resolved, err);
	if (status >= 0)
		return status;
	struct fr_sec *sec = NULL;
	if (o.backend == FR_BACKEND_SECCOMP &&
	    (status = fr_exec_seccomp_prepare(o.rules, o.nrules, &sec)))
		return status;
	/* the seccomp backend preloads nothing: no shim to look for */
	const char *shim = sec ? fr_shim_path() : find_shim();
	if (!shim)
		return EXEC_OWN_ERROR;
	if (!o.have_seed)
		o.seed = random_seed();
	status = setup_ctl(&o, rundir, sizeof(rundir), ctlpath, sizeof(ctlpath), &ctl);
	if (status) {
		fr_sec_destroy(sec);
		return status;
	}
	if (!o.quiet)
		fprintf(stderr, "faultrun: seed %llu%s\n", (unsigned long long)o.seed,
			o.paused ? " (rules loaded disarmed: faultrun ctl arm NAME)" : "");

	/* refusals reach us on a socket named after the block (control.h) */
	int rfd = fr_attach_listen(ctlpath);
	if (rfd < 0)
		fprintf(stderr, "faultrun: cannot listen for processes that refuse the block: %s\n",
			strerror(-rfd));
	signals_divert(&old);
	struct fr_exec_record x = {
		.version = FR_VERSION,
		.cmd = o.cmd,
		.started_ns = fr_now_ns(),
		.started_wall = fr_wall_now(),
		.paused = o.paused,
		.may_not_fire = o.may_not_fire,
		.backend = sec,
		.explain = sec ? fr_exec_seccomp_explain : NULL,
	};
	if (sec) {
		struct fr_exec_launch l = {
			.resolved = resolved,
			.cmd = o.cmd,
			.user = o.have_user ? &o.user : NULL,
			.seed = o.seed,
			.in_child = child_signals,
			.arg = &old,
			.forward_to = &forward_to,
		};
		status = fr_exec_seccomp_run(sec, ctl, &l, &x.pid);
	} else {
		fr_exec_left_prepare();
		status = run_command(&o, resolved, shim, ctlpath, &old, &x.pid);
		if (status >= 0)
			x.left = fr_exec_left(ctl, ctlpath);
	}
	if (status < 0) {
		status = EXEC_OWN_ERROR;
	} else {
		x.command_status = status;
		x.duration_ns = fr_now_ns() - x.started_ns;
		status = report_run(&o, ctl, rfd, &x);
	}
	if (rfd >= 0)
		close(rfd);
	signals_restore(&old);
	fr_ctl_close(ctl);
	fr_rundir_remove(rundir);
	fr_sec_destroy(sec);
	return status;
}
