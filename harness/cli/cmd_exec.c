/*
 * faultrun exec [-f SPEC]... [--paused] [--seed N] [--json FILE] [-q] -- CMD [ARGS]
 *
 * Runs one program under the shim, for reproducing an incident by hand.
 * The rules go into a control block in a private run directory, so
 * `faultrun ctl` can arm, disarm and add rules from another terminal
 * while CMD runs. Exits with CMD's status (128+N when killed by signal N).
 */
#define _GNU_SOURCE
#include "cli.h"
#include "ctlread.h"
#include "io/launch.h"

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

static volatile sig_atomic_t forward_to;

/* Pass a terminating signal on to the child; we report after it exits. */
static void on_signal(int sig)
{
	if (forward_to > 0)
		kill((pid_t)forward_to, sig);
}

static void exec_usage(void)
{
	fputs("usage: faultrun exec [-f SPEC]... [--paused] [--seed N] [--json FILE] [-q] "
	      "-- CMD [ARGS]\n"
	      "  SPEC: operations, an action and selectors, e.g.\n"
	      "    'write errno=ENOSPC path=/var/log/app/**'  'open errno=EACCES path=**/dump.pm2'\n"
	      "    'write budget=10MiB path=/data/**'  'recv stall port=3306'\n"
	      "  see docs/faults.md\n",
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

uint64_t fr_random_seed(void)
{
	uint64_t seed = 0;

	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = (uint64_t)fr_now_ns() ^ ((uint64_t)getpid() << 32);
	return seed & 0xffffffffffffull; /* short enough to retype */
}

int fr_cmd_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "fault", required_argument, NULL, 'f' },
		{ "paused", no_argument, NULL, 'p' },
		{ "seed", required_argument, NULL, 's' },
		{ "json", required_argument, NULL, 'J' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct fr_rule rules[FR_MAX_RULES];
	unsigned nrules = 0;
	bool paused = false, quiet = false, have_seed = false;
	const char *json = NULL;
	uint64_t seed = 0;
	char err[512], resolved[PATH_MAX], rundir[PATH_MAX], ctlpath[PATH_MAX + 8];
	struct fr_ctl *ctl = NULL;
	int c, ret, status = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+f:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (nrules == FR_MAX_RULES) {
				fprintf(stderr, "faultrun: at most %d rules\n", FR_MAX_RULES);
				return 2;
			}
			if (fr_spec_parse(optarg, &rules[nrules], nrules, err,
					  sizeof(err)) < 0) {
				fprintf(stderr, "faultrun: -f '%s': %s\n", optarg, err);
				return 2;
			}
			for (unsigned i = 0; i < nrules; i++)
				if (strcmp(rules[i].name, rules[nrules].name) == 0) {
					fprintf(stderr, "faultrun: -f '%s': name '%s' is used twice\n",
						optarg, rules[i].name);
					return 2;
				}
			nrules++;
			break;
		case 'p':
			paused = true;
			break;
		case 's':
			if (parse_seed(optarg, &seed) < 0) {
				fprintf(stderr, "faultrun: --seed '%s': expected a whole number\n",
					optarg);
				return 2;
			}
			have_seed = true;
			break;
		case 'J':
			json = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			exec_usage();
			return 0;
		default:
			exec_usage();
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "faultrun: exec: no command given\n");
		exec_usage();
		return 2;
	}
	char **cmd = argv + optind;

	ret = fr_launch_check(cmd[0], resolved, sizeof(resolved), err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "%s\n", err);
		return ret == -ENOTSUP ? 3 : 2;
	}
	const char *shim = fr_shim_path();
	if (access(shim, R_OK) < 0) {
		fprintf(stderr, "faultrun: shim '%s' not found: build it, or set FAULTRUN_SHIM\n",
			shim);
		return 3;
	}
	if (!have_seed)
		seed = fr_random_seed();

	ret = fr_rundir_create("exec", rundir, sizeof(rundir));
	if (ret < 0) {
		fprintf(stderr, "faultrun: cannot create a run directory: %s\n", strerror(-ret));
		return 3;
	}
	snprintf(ctlpath, sizeof(ctlpath), "%s/ctl", rundir);
	ret = fr_ctl_create(ctlpath, seed, &ctl);
	if (ret < 0) {
		fprintf(stderr, "faultrun: cannot create '%s': %s\n", ctlpath, strerror(-ret));
		fr_rundir_remove(rundir);
		return 3;
	}
	for (unsigned i = 0; i < nrules; i++)
		fr_ctl_add(ctl, &rules[i], !paused);
	if (!quiet)
		fprintf(stderr, "faultrun: seed %llu%s\n", (unsigned long long)seed,
			paused ? " (rules loaded disarmed: faultrun ctl arm NAME)" : "");

	/* like system(3): the terminal's ^C reaches the child; we outlive it */
	struct sigaction sa = { .sa_handler = on_signal }, old_int, old_quit,
			 old_term, old_hup;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);
	struct sigaction ign = { .sa_handler = SIG_IGN };
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);

	uint64_t started = fr_now_ns();
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "faultrun: fork: %s\n", strerror(errno));
		status = 3;
		goto out;
	}
	if (pid == 0) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGQUIT, &old_quit, NULL);
		sigaction(SIGTERM, &old_term, NULL);
		sigaction(SIGHUP, &old_hup, NULL);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (fr_launch_setenv(shim, ctlpath, seed) < 0 ||
		    setenv("_", resolved, 1) < 0)
			_exit(127);
		execv(resolved, cmd);
		dprintf(2, "faultrun: cannot run '%s': %s\n", resolved, strerror(errno));
		_exit(127);
	}
	forward_to = pid;

	int wst;
	while (waitpid(pid, &wst, 0) < 0 && errno == EINTR)
		;
	forward_to = 0;
	if (WIFEXITED(wst))
		status = WEXITSTATUS(wst);
	else if (WIFSIGNALED(wst))
		status = 128 + WTERMSIG(wst);

	if (!quiet)
		fr_ctl_print_counts(ctl, stderr, "faultrun: ");
	if (json && fr_ctl_write_json(ctl, json, cmd, status, fr_now_ns() - started) < 0) {
		fprintf(stderr, "faultrun: cannot write '%s': %s\n", json, strerror(errno));
		if (status == 0)
			status = 3;
	}
out:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	fr_ctl_close(ctl);
	fr_rundir_remove(rundir);
	return status;
}
