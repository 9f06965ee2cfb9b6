/*
 * faultrun [run] FILE|DIR... [--set K=V] [--junit FILE] [--json FILE]
 *          [--html FILE] [-j N] [--keep] [-q|-v] [--shard I/N] [--list]
 * faultrun check FILE|DIR... [--set K=V]
 *
 * Loads every scenario first (any bad file: exit 2 before anything runs),
 * then runs them, one at a time or N at once (-j: one worker process per
 * scenario), prints each result table, and writes the JUnit file and the
 * JSON journal for all of them. Exit status: 0 every assertion held, 1 an
 * assertion failed, 2 bad input, 3 a run could not happen (or was
 * interrupted).
 */
#define _GNU_SOURCE
#include "cli.h"
#include "config.h"
#include "io/proc.h"
#include "record/recording.h"
#include "report/report.h"
#include "report/report_html.h"
#include "run/runner.h"
#include "scenario/scenario.h"
#include "shard.h"
#include "util/fsutil.h"
#include "util/strbuf.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct opts {
	struct fr_override *ovr;
	size_t novr;
	const char *junit, *json, *html;
	int jobs;
	bool keep;
	int verbosity;
	unsigned shard_i, shard_n; /* --shard I/N (shard.c); 0/0 without */
	bool list;
	char **files;
	size_t nfiles;
};

struct job {
	struct fr_scenario *s;
	struct fr_rendered res;
	bool ran;
	/* -j: the worker */
	pid_t pid;
	int fd;
	struct fr_buf in;
	double started; /* when its worker was started */
};

static void run_usage(FILE *out)
{
	fputs("usage: faultrun [run] SCENARIO.yml|DIR... [--set K=V]... [--junit FILE] "
	      "[--json FILE]\n"
	      "                [--html FILE] [-j N] [--keep] [-q|-v] [--shard I/N] [--list]\n"
	      "       faultrun check SCENARIO.yml|DIR... [--set K=V]...\n"
	      "  --set K=V     override the scenario's var K\n"
	      "  --junit FILE  write a JUnit XML report (a testsuite per scenario)\n"
	      "  --json FILE   write the run journal (journal.md)\n"
	      "  --html FILE   write an HTML timeline of the run\n"
	      "  -j N          run N scenarios at once\n"
	      "  --keep        keep each run directory (target.log, the control block)\n"
	      "  -q, -v        less output / also the target's output\n"
	      "  --shard I/N   run share I of N of the scenarios (see ci.md)\n"
	      "  --list        print the scenarios it would run, run nothing\n"
	      "exit status: 0 every assertion held, 1 one failed, 2 bad input, "
	      "3 a run could not happen\n"
	      "see faultrun(1), faultrun-scenario(5) and " FR_DOCDIR "/scenario-format.md\n",
	      out);
}

static void add_file(struct opts *o, const char *path)
{
	o->files = fr_xreallocarray(o->files, o->nfiles + 1, sizeof(char *));
	o->files[o->nfiles++] = fr_xstrdup(path);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A directory stands for its *.yml and *.yaml files, in name order. */
static int add_path(struct opts *o, const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "faultrun: '%s': %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		add_file(o, path);
		return 0;
	}
	DIR *d = opendir(path);
	if (!d) {
		fprintf(stderr, "faultrun: '%s': %s\n", path, strerror(errno));
		return -1;
	}
	size_t first = o->nfiles;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (de->d_name[0] == '.' || !((n > 4 && !strcmp(de->d_name + n - 4, ".yml")) ||
					      (n > 5 && !strcmp(de->d_name + n - 5, ".yaml"))))
			continue;
		char *p = fr_xasprintf("%s%s%s", path, path[strlen(path) - 1] == '/' ? "" : "/",
				       de->d_name);

		add_file(o, p);
		free(p);
	}
	closedir(d);
	if (o->nfiles == first) {
		fprintf(stderr, "faultrun: '%s': no *.yml scenarios in this directory\n", path);
		return -1;
	}
	qsort(o->files + first, o->nfiles - first, sizeof(char *), cmp_str);
	return 0;
}

/* --set KEY=VALUE. Returns 0, or -1 after saying why. */
static int add_override(struct opts *o, const char *arg)
{
	const char *eq = strchr(arg, '=');

	if (!eq || eq == arg) {
		fprintf(stderr, "faultrun: --set '%s': expected KEY=VALUE\n", arg);
		return -1;
	}
	o->ovr = fr_xreallocarray(o->ovr, o->novr + 1, sizeof(*o->ovr));
	o->ovr[o->novr].key = fr_xstrndup(arg, (size_t)(eq - arg));
	o->ovr[o->novr].value = eq + 1;
	o->ovr[o->novr].used = false;
	o->novr++;
	return 0;
}

/* The options only a run takes. Returns 0, or -1 after saying why. */
static int run_option(struct opts *o, int c, const char *arg)
{
	char *end;
	long n;

	switch (c) {
	case 'J':
		o->junit = arg;
		return 0;
	case 'O':
		o->json = arg;
		return 0;
	case 'H':
		o->html = arg;
		return 0;
	case 'k':
		o->keep = true;
		return 0;
	case 'l':
		o->list = true;
		return 0;
	case 'S':
		return fr_shard_parse(arg, &o->shard_i, &o->shard_n);
	}
	n = strtol(arg, &end, 10);
	if (*end || n < 1 || n > 64) {
		fprintf(stderr, "faultrun: -j '%s': expected a number from 1 to 64\n", arg);
		return -1;
	}
	o->jobs = (int)n;
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o, bool check)
{
	/* one option a line, as getopt_long(3) shows them */
	/* clang-format off */
	static const struct option lopts[] = {
		{ "set", required_argument, NULL, 's' },
		{ "junit", required_argument, NULL, 'J' },
		{ "json", required_argument, NULL, 'O' },
		{ "html", required_argument, NULL, 'H' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "keep", no_argument, NULL, 'k' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "shard", required_argument, NULL, 'S' },
		{ "list", no_argument, NULL, 'l' },
		{ "dry-run", no_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	/* clang-format on */
	int c;

	memset(o, 0, sizeof(*o));
	o->jobs = 1;
	o->verbosity = 1;
	optind = 0; /* full re-initialisation of getopt */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:s:j:kqvh", lopts, NULL)) != -1 || optind < argc) {
		if (c == -1) {
			/* a file between options: take it and go on */
			if (add_path(o, argv[optind]) < 0)
				return 2;
			optind++;
			continue;
		}
		switch (c) {
		case 's':
			if (add_override(o, optarg) < 0)
				return 2;
			break;
		case 'J':
		case 'O':
		case 'H':
		case 'j':
		case 'k':
		case 'S':
		case 'l':
			if (check) {
				/* the option, not its value (-j 2, --shard 1/2) */
				fprintf(stderr, "faultrun check: '%s' only applies to a run\n",
					argv[optind - 1 - (optarg && optarg == argv[optind - 1])]);
				return 2;
			}
			if (run_option(o, c, optarg) < 0)
				return 2;
			break;
		case 'q':
			o->verbosity = 0;
			break;
		case 'v':
			o->verbosity = 2;
			break;
		case 'h':
			run_usage(stdout);
			exit(0);
		case ':':
			fprintf(stderr, "faultrun: '%s' needs a value\n", argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "faultrun: unknown option '%s'\n", argv[optind - 1]);
			run_usage(stderr);
			return 2;
		}
	}
	if (!o->nfiles) {
		fprintf(stderr, "faultrun: no scenario given\n");
		run_usage(stderr);
		return 2;
	}
	return 0;
}

static void free_opts(struct opts *o)
{
	for (size_t i = 0; i < o->nfiles; i++)
		free(o->files[i]);
	free(o->files);
	for (size_t i = 0; i < o->novr; i++)
		free((char *)o->ovr[i].key);
	free(o->ovr);
}

/*
 * Load (and check with stand-in values) every scenario. Prints every
 * error; returns 0 or 2. A file that did not load is NULL in *out; when
 * the command line itself is refused (a --set no scenario has), every
 * file is dropped: none was accepted with what was asked.
 */
static int load_all(struct opts *o, struct fr_scenario ***out)
{
	struct fr_scenario **v = fr_xcalloc(o->nfiles + 1, sizeof(*v));
	char err[2048];
	bool sets_refused = false;
	int status = 0;

	for (size_t i = 0; i < o->nfiles; i++) {
		int ret = fr_scenario_load(o->files[i], o->ovr, o->novr, &v[i], err, sizeof(err));
		if (!ret)
			ret = fr_scenario_check(v[i], err, sizeof(err));
		if (ret) {
			fprintf(stderr, "%s%s\n", strncmp(err, "faultrun:", 9) ? "faultrun: " : "",
				err);
			status = 2;
		}
	}
	for (size_t k = 0; k < o->novr && !status; k++)
		if (!o->ovr[k].used) {
			fprintf(stderr,
				"faultrun: --set %s=%s: no scenario has a var "
				"'%s'\n",
				o->ovr[k].key, o->ovr[k].value, o->ovr[k].key);
			status = 2;
			sets_refused = true;
		}
	if (status && sets_refused) {
		for (size_t i = 0; i < o->nfiles; i++) {
			fr_scenario_destroy(v[i]);
			v[i] = NULL;
		}
	}
	*out = v;
	return status;
}

static void destroy_all(struct fr_scenario **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		fr_scenario_destroy(v[i]);
	free(v);
}

int fr_cmd_check(int argc, char **argv)
{
	struct fr_scenario **v = NULL;
	struct opts o;
	int status = parse_args(argc, argv, &o, true);

	if (status) {
		free_opts(&o);
		return status;
	}
	status = load_all(&o, &v);
	for (size_t i = 0; i < o.nfiles; i++) {
		struct fr_scenario *s = v[i];
		if (!s)
			continue;
		unsigned n = 0;
		for (size_t k = 0; k < s->nexpects; k++)
			n += s->expects[k].kind == FR_EXP_LATENCY ? s->expects[k].nlat : 1;
		if (o.verbosity > 0)
			printf("ok %s: '%s', %zu fault%s, %zu probe%s, %zu step%s, "
			       "%u assertion%s, %.0fs\n",
			       o.files[i], s->name, s->nfaults, s->nfaults == 1 ? "" : "s",
			       s->nprobes, s->nprobes == 1 ? "" : "s", s->nsteps,
			       s->nsteps == 1 ? "" : "s", n, n == 1 ? "" : "s",
			       (double)s->duration_ns / 1e9);
	}
	destroy_all(v, o.nfiles);
	free_opts(&o);
	return status;
}

/* ---- one scenario ----------------------------------------------------- */

/*
 * Run s, evaluate its assertions on the recording and render its reports
 * into res. Returns what fr_run_scenario returned (-EINTR: interrupted).
 */
static int run_one(struct fr_scenario *s, const struct fr_run_opts *ro, bool color,
		   struct fr_rendered *res)
{
	struct fr_record rec;
	int ret = fr_run_scenario(s, ro, &rec);

	if (fr_record_evaluate(&rec) < 0)
		fr_oom();
	fr_render(&rec, color, res);
	fr_record_finish(&rec);
	return ret;
}

/* ---- output files ------------------------------------------------------ */

/* The journal of the invocation: its command line is /proc/self/cmdline. */
static char *build_journal(struct job *jobs, size_t n, int status, double started)
{
	const struct fr_rendered **v = fr_xcalloc(n + 1, sizeof(*v));
	const char *argv[4096];
	char buf[8192];
	size_t nv = 0, argc = 0;
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		ssize_t len = read(fd, buf, sizeof(buf) - 1);

		close(fd);
		if (len > 0)
			buf[len] = 0;
		for (ssize_t off = 0; len > 0 && off < len && argc < 4096; argc++) {
			argv[argc] = buf + off;
			off += (ssize_t)strlen(buf + off) + 1;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (jobs[i].ran)
			v[nv++] = &jobs[i].res;
	char *doc = fr_report_journal(v, nv, argv, argc, status, started);
	free(v);
	return doc;
}

static char *build_junit(struct job *jobs, size_t n)
{
	const struct fr_rendered **v = fr_xcalloc(n + 1, sizeof(*v));
	size_t nv = 0;

	for (size_t i = 0; i < n; i++)
		if (jobs[i].ran)
			v[nv++] = &jobs[i].res;
	char *doc = fr_report_junit_doc(v, nv);
	free(v);
	return doc;
}

/* ---- workers (-j) ------------------------------------------------------ */

struct wire {
	int32_t exit, verdict;
	uint32_t assertions, failed;
	double seconds;
	uint64_t len[3];
};

static void worker(struct fr_scenario *s, struct fr_run_opts *ro, bool color, int fd, pid_t parent)
{
	struct fr_rendered res;
	struct wire w;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(3);
	run_one(s, ro, color, &res);
	memset(&w, 0, sizeof(w));
	w.exit = res.exit;
	w.verdict = (int32_t)res.verdict;
	w.assertions = res.assertions;
	w.failed = res.failed;
	w.seconds = res.seconds;
	w.len[0] = strlen(res.json);
	w.len[1] = strlen(res.junit);
	w.len[2] = strlen(res.table);
	if (fr_write_all(fd, &w, sizeof(w)) < 0 || fr_write_all(fd, res.json, w.len[0]) < 0 ||
	    fr_write_all(fd, res.junit, w.len[1]) < 0 || fr_write_all(fd, res.table, w.len[2]) < 0)
		_exit(3);
	_exit(0);
}

/* the first error writing a table to stdout (a full disk, a closed pipe) */
static int stdout_err;

/* Print a scenario's table as soon as it is there, and remember a failure. */
static void put_table(const char *table)
{
	if (fputs(table, stdout) == EOF || fflush(stdout) != 0) {
		if (!stdout_err)
			stdout_err = errno ? errno : EIO;
	}
}

/*
 * A worker that died before it sent its result: the scenario is an error
 * in every report (table, JUnit, journal), saying how the worker ended.
 */
static void job_lost(struct job *j, bool color, int wstatus, double started)
{
	struct fr_record rec = { .s = j->s, .verdict = FR_ERROR };
	char how[64];

	if (WIFSIGNALED(wstatus))
		snprintf(how, sizeof(how), "was killed by %s", fr_signal_name(WTERMSIG(wstatus)));
	else if (WIFEXITED(wstatus))
		snprintf(how, sizeof(how), "exited with status %d", WEXITSTATUS(wstatus));
	else
		snprintf(how, sizeof(how), "was lost");
	rec.error = fr_xasprintf("the worker process that ran it %s before it reported", how);
	rec.invoked_wall = started;
	rec.seconds = fr_wall_now() - started;
	fprintf(stderr, "faultrun: '%s': %s\n", j->s->name, rec.error);
	fr_rendered_finish(&j->res);
	fr_render(&rec, color, &j->res);
	fr_record_finish(&rec);
	j->ran = true;
}

static void job_parse(struct job *j)
{
	struct wire w;

	if (j->in.len < sizeof(w))
		goto broken;
	memcpy(&w, j->in.p, sizeof(w));
	if (sizeof(w) + w.len[0] + w.len[1] + w.len[2] != j->in.len)
		goto broken;
	j->res.exit = w.exit;
	j->res.verdict = (enum fr_verdict_kind)w.verdict;
	j->res.assertions = w.assertions;
	j->res.failed = w.failed;
	j->res.seconds = w.seconds;
	const char *p = j->in.p + sizeof(w);
	j->res.json = fr_xstrndup(p, w.len[0]);
	j->res.junit = fr_xstrndup(p + w.len[0], w.len[1]);
	j->res.table = fr_xstrndup(p + w.len[0] + w.len[1], w.len[2]);
	j->ran = true;
	fr_buf_free(&j->in);
	return;
broken:
	j->res.exit = 3;
	j->res.verdict = FR_ERROR;
	fr_buf_free(&j->in);
}

static int run_parallel(struct job *jobs, size_t n, struct fr_run_opts *ro, bool color, int sigfd,
			bool *interrupted, size_t max_jobs)
{
	size_t next = 0, running = 0;
	struct pollfd *pfd = fr_xcalloc(n + 1, sizeof(*pfd));

	ro->tty = false;
	while (next < n || running) {
		while (!*interrupted && running < max_jobs && next < n) {
			struct job *j = &jobs[next++];
			int p[2];
			if (pipe2(p, O_CLOEXEC) < 0)
				break;
			fflush(NULL);
			pid_t parent = getpid();
			pid_t pid = fork();
			if (pid == 0) {
				close(p[0]);
				worker(j->s, ro, color, p[1], parent);
			}
			close(p[1]);
			if (pid < 0) {
				close(p[0]);
				break;
			}
			j->pid = pid;
			j->started = fr_wall_now();
			j->fd = p[0];
			running++;
		}
		if (*interrupted && next < n)
			next = n; /* the rest does not start */
		size_t np = 0;
		pfd[np].fd = sigfd;
		pfd[np++].events = POLLIN;
		for (size_t i = 0; i < n; i++)
			if (jobs[i].pid > 0 && jobs[i].fd >= 0) {
				pfd[np].fd = jobs[i].fd;
				pfd[np++].events = POLLIN;
			}
		if (poll(pfd, np, -1) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			while (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				*interrupted = true;
				/* a terminal's ^C reached the workers too; others did not */
				if (si.ssi_pid != 0)
					for (size_t i = 0; i < n; i++)
						if (jobs[i].pid > 0)
							kill(jobs[i].pid, (int)si.ssi_signo);
			}
		}
		for (size_t k = 1; k < np; k++) {
			if (!pfd[k].revents)
				continue;
			struct job *j = NULL;
			for (size_t i = 0; i < n && !j; i++)
				if (jobs[i].fd == pfd[k].fd)
					j = &jobs[i];
			char buf[65536];
			ssize_t got = read(j->fd, buf, sizeof(buf));
			if (got > 0) {
				fr_buf_add(&j->in, buf, (size_t)got);
				continue;
			}
			if (got < 0 && errno == EINTR)
				continue;
			int wst = 0;

			close(j->fd);
			j->fd = -1;
			waitpid(j->pid, &wst, 0);
			j->pid = 0;
			running--;
			job_parse(j);
			if (!j->ran)
				job_lost(j, color, wst, j->started);
			if (j->res.table)
				put_table(j->res.table);
		}
	}
	free(pfd);
	return 0;
}

/* ---- run --------------------------------------------------------------- */

/* Signals arrive on a signalfd; teardown runs from the loop. Returns it, or -1. */
static int block_signals(void)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
}

/* Run every scenario, one after the other or -j at once. */
static void run_all(struct job *jobs, const struct opts *o, struct fr_run_opts *ro,
		    bool *interrupted)
{
	bool color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");

	if (o->jobs > 1 && o->nfiles > 1) {
		run_parallel(jobs, o->nfiles, ro, color, ro->signal_fd, interrupted,
			     (size_t)o->jobs);
		return;
	}
	for (size_t i = 0; i < o->nfiles && !*interrupted; i++) {
		if (run_one(jobs[i].s, ro, color, &jobs[i].res) == -EINTR)
			*interrupted = true;
		jobs[i].ran = true;
		put_table(jobs[i].res.table);
	}
}

/* The exit status of the invocation, and the summary line of several scenarios. */
static int verdict(const struct job *jobs, size_t n, bool interrupted)
{
	unsigned passed = 0, failed = 0, errors = 0, notrun = 0;

	for (size_t i = 0; i < n; i++) {
		if (!jobs[i].ran)
			notrun++;
		else if (jobs[i].res.exit == 0)
			passed++;
		else if (jobs[i].res.exit == 1)
			failed++;
		else
			errors++;
	}
	if (n > 1)
		printf("%zu scenarios: %u passed, %u failed, %u could not run%s%s\n", n, passed,
		       failed, errors, notrun ? ", not run: " : "", notrun ? "interrupted" : "");
	if (errors || notrun || interrupted)
		return 3;
	return failed ? 1 : 0;
}

/* --junit, --json and --html. Returns the status, 3 when one cannot be written. */
static int write_outputs(const struct opts *o, struct job *jobs, int status, double started)
{
	char *journal = NULL;
	int ret;

	if (o->junit) {
		char *x = build_junit(jobs, o->nfiles);

		ret = fr_write_file(o->junit, x, strlen(x));
		if (ret < 0) {
			fprintf(stderr, "faultrun: --junit '%s': %s\n", o->junit, strerror(-ret));
			status = status ? status : 3;
		}
		free(x);
	}
	if (o->json || o->html)
		journal = build_journal(jobs, o->nfiles, status, started);
	if (o->json) {
		ret = fr_write_file(o->json, journal, strlen(journal));
		if (ret < 0) {
			fprintf(stderr, "faultrun: --json '%s': %s\n", o->json, strerror(-ret));
			status = status ? status : 3;
		}
	}
	if (o->html && journal) {
		/* drawn from the journal in memory: no temporary file (report_html.h) */
		struct fr_report_journal rj = { .name = o->json,
						.text = journal,
						.len = strlen(journal) };
		char err[512];

		if (fr_report_html_mem(&rj, 1, o->html, err, sizeof(err)) < 0) {
			fprintf(stderr, "faultrun: --html: %s\n", err);
			status = status ? status : 3;
		}
	}
	free(journal);
	return status;
}

int fr_cmd_run(int argc, char **argv)
{
	struct fr_scenario **v = NULL;
	struct opts o;
	struct job *jobs = NULL;
	int status = parse_args(argc, argv, &o, false);
	bool interrupted = false;
	double started = fr_wall_now();

	if (status) {
		free_opts(&o);
		return status;
	}
	status = load_all(&o, &v);
	if (status) {
		destroy_all(v, o.nfiles);
		free_opts(&o);
		return status;
	}
	if (o.shard_n)
		o.nfiles = fr_shard_keep(o.files, v, o.nfiles, o.shard_i, o.shard_n, o.verbosity);
	if (o.list) {
		status = fr_suite_list(o.files, o.nfiles);
		destroy_all(v, o.nfiles);
		free_opts(&o);
		return status;
	}
	int sigfd = block_signals();
	if (sigfd < 0) {
		fprintf(stderr, "faultrun: signalfd: %s\n", strerror(errno));
		destroy_all(v, o.nfiles);
		free_opts(&o);
		return 3;
	}
	if (fr_sentinel_start() < 0)
		fprintf(stderr, "faultrun: warning: cannot start the clean-up sentinel\n");

	struct fr_run_opts ro = {
		.keep = o.keep,
		.verbosity = o.verbosity,
		.tty = o.verbosity > 0 && isatty(STDERR_FILENO) && o.jobs == 1,
		.progress = stderr,
		.signal_fd = sigfd,
	};
	jobs = fr_xcalloc(o.nfiles + 1, sizeof(*jobs));
	for (size_t i = 0; i < o.nfiles; i++) {
		jobs[i].s = v[i];
		jobs[i].fd = -1;
	}
	run_all(jobs, &o, &ro, &interrupted);
	status = verdict(jobs, o.nfiles, interrupted);
	status = write_outputs(&o, jobs, status, started);
	/* the table is the result too: one that could not be written is an error */
	if (stdout_err || fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "faultrun: cannot write the result table to stdout: %s\n",
			strerror(stdout_err ? stdout_err : EIO));
		status = status ? status : 3;
	}
	for (size_t i = 0; i < o.nfiles; i++)
		fr_rendered_finish(&jobs[i].res);
	free(jobs);
	destroy_all(v, o.nfiles);
	free_opts(&o);
	close(sigfd);
	fr_sentinel_stop();
	return status;
}
