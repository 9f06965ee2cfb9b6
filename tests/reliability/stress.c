/*
 * The shim under stress: many threads writing, reading, opening, forking
 * and exec'ing while rules are armed and disarmed from outside, as fast as
 * a writer can flip them. Nothing may crash or hang, and the faults must
 * land only where the rules point.
 *
 *	stress [SECONDS]                 the test (driver)
 *	stress --worker DIR SECONDS      the target, run under faultrun exec
 *	stress --child DIR               a fork+exec'd grandchild
 *
 * The driver starts `faultrun exec --paused -f ... -- stress --worker`,
 * maps the run's control block (the worker reports its FAULTRUN_CTL) and
 * flips random rules with fr_ctl_set_armed in a loop, and every so often
 * through `faultrun ctl --run PID arm|disarm NAME`. A watchdog kills the
 * run if it outlives SECONDS by a wide margin and prints where each
 * thread of the worker is blocked (a deadlock fails the test, it does not
 * hang it).
 *
 * The worker checks, in every thread:
 * - files under DIR/ok (no rule covers them) never see a failure, a short
 *   read or write, or wrong contents, whatever is armed meanwhile;
 * - calls under DIR/fail, DIR/budget, DIR/prob fail only with the errnos
 *   their rules give (EIO, EACCES, ENOSPC, EROFS) or are short;
 * - fork children, fork+exec grandchildren (which attach the block again)
 *   and posix_spawn'ed programs exit 0;
 * - a SIGUSR1 handler's write() to an ok file, interrupting any of the
 *   above, always succeeds.
 * The driver then checks that the worker exited 0 and that the rules
 * really injected (the toggling reached the worker).
 */
#define _GNU_SOURCE
#include <faultrun/control.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define THREADS 8
#define CHUNK 4096
#define CHUNKS 8

static const char *const rules[] = {
	"name=w write,fsync errno=EIO path=%s/fail/**",
	"name=o open errno=EACCES path=%s/fail/**",
	"name=s read short path=%s/fail/**",
	"name=b write budget=256KiB path=%s/budget/**",
	"name=p write errno=EIO probability=0.3 path=%s/prob/**",
	"name=d fsync delay=1ms path=%s/fail/**",
	"name=m mkdir,unlink,rename errno=EROFS path=%s/fail/**",
	"name=a io errno=EIO path=%s/nowhere/**",
};
#define NRULES (sizeof(rules) / sizeof(rules[0]))
static const char *const rule_names[NRULES] = { "w", "o", "s", "b",
						 "p", "d", "m", "a" };

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- the worker ------------------------------------------------------ */

static const char *dir;
static char self[PATH_MAX];
static uint64_t deadline;
static _Atomic unsigned long errors, ops, injected_seen, forks, spawns,
	signals;
static char first_error[512];
static _Atomic int have_first;
static int sig_fd = -1;
static volatile sig_atomic_t sig_errors;

static void error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void error(const char *fmt, ...)
{
	va_list ap;
	int expect = 0;

	atomic_fetch_add(&errors, 1);
	if (!atomic_compare_exchange_strong(&have_first, &expect, 1))
		return;
	va_start(ap, fmt);
	vsnprintf(first_error, sizeof(first_error), fmt, ap);
	va_end(ap);
}

/* An errno a rule of this directory may give. */
static bool allowed(const char *d, int e)
{
	if (strcmp(d, "fail") == 0)
		return e == EIO || e == EACCES || e == EROFS;
	if (strcmp(d, "budget") == 0)
		return e == ENOSPC;
	if (strcmp(d, "prob") == 0)
		return e == EIO;
	return false;
}

static void fill(unsigned char *buf, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = (unsigned char)(seed * 131u + i * 7u);
}

/* Write, fsync, close, and for ok/ read back: one file of one thread. */
static void file_round(const char *d, const char *name, unsigned seed)
{
	unsigned char buf[CHUNK * CHUNKS], back[CHUNK * CHUNKS];
	char path[PATH_MAX];
	bool ok = strcmp(d, "ok") == 0, clean = true;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, d, name);
	fill(buf, sizeof(buf), seed);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (ok || !allowed(d, errno))
			error("open %s: %s", path, strerror(errno));
		else
			atomic_fetch_add(&injected_seen, 1);
		return;
	}
	for (int c = 0; c < CHUNKS; c++) {
		n = write(fd, buf + c * CHUNK, CHUNK);
		if (n == CHUNK)
			continue;
		clean = false;
		if (ok)
			error("write %s: %zd (%s)", path, n,
			      n < 0 ? strerror(errno) : "short");
		else if (n < 0 && !allowed(d, errno))
			error("write %s: unexpected %s", path, strerror(errno));
		else
			atomic_fetch_add(&injected_seen, 1);
		if (n < 0)
			break;
	}
	if (fsync(fd) < 0) {
		clean = false;
		if (ok || !allowed(d, errno))
			error("fsync %s: %s", path, strerror(errno));
	}
	if (close(fd) < 0)
		error("close %s: %s", path, strerror(errno));
	if (!ok && !(seed & 3))
		return;
	/* read back: ok/ exactly; elsewhere short reads are allowed */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (ok || !allowed(d, errno))
			error("reopen %s: %s", path, strerror(errno));
		return;
	}
	size_t got = 0;
	while (got < sizeof(back)) {
		n = read(fd, back + got, sizeof(back) - got);
		if (n <= 0)
			break;
		if (ok && (size_t)n != sizeof(back) - got)
			error("read %s: short (%zd of %zu)", path, n,
			      sizeof(back) - got);
		got += (size_t)n;
	}
	if (n < 0 && (ok || !allowed(d, errno)))
		error("read %s: %s", path, strerror(errno));
	if (ok && (got != sizeof(back) || memcmp(buf, back, got) != 0))
		error("%s: wrong contents (%zu bytes)", path, got);
	if (!ok && clean && got == sizeof(back) && memcmp(buf, back, got) != 0)
		error("%s: wrong contents after a clean write", path);
	close(fd);
}

static void stdio_round(const char *d, unsigned seed)
{
	char path[PATH_MAX];
	bool ok = strcmp(d, "ok") == 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/stdio-%u", dir, d, seed % 8);
	f = fopen(path, "w");
	if (!f) {
		if (ok || !allowed(d, errno))
			error("fopen %s: %s", path, strerror(errno));
		return;
	}
	for (int i = 0; i < 200; i++)
		fprintf(f, "line %d of %u\n", i, seed);
	if (fclose(f) != 0 && (ok || !allowed(d, errno)))
		error("fclose %s: %s", path, strerror(errno));
}

static void fs_round(const char *d, unsigned seed)
{
	char a[PATH_MAX], b[PATH_MAX];
	bool ok = strcmp(d, "ok") == 0;

	snprintf(a, sizeof(a), "%s/%s/dir-%u", dir, d, seed);
	snprintf(b, sizeof(b), "%s/%s/dir-%u-b", dir, d, seed);
	if (mkdir(a, 0700) < 0) {
		if (ok || !allowed(d, errno))
			error("mkdir %s: %s", a, strerror(errno));
		return;
	}
	if (rename(a, b) < 0) {
		if (ok || !allowed(d, errno))
			error("rename %s: %s", a, strerror(errno));
		rmdir(a);
		return;
	}
	rmdir(b);
}

/* A fork child: one clean round in ok/, then exit or exec --child. */
static void fork_round(unsigned seed, bool exec)
{
	char name[64];
	pid_t pid;
	int st;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		error("fork: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		snprintf(name, sizeof(name), "fork-%d", (int)getpid());
		file_round("ok", name, seed);
		file_round("fail", name, seed);
		if (exec)
			execl(self, self, "--child", dir, (char *)NULL);
		_exit(atomic_load(&errors) ? 3 : 0);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		error("fork%s child: status 0x%x", exec ? "+exec" : "", st);
	atomic_fetch_add(&forks, 1);
}

static void spawn_round(void)
{
	char *argv[] = { "true", NULL };
	pid_t pid;
	int st, r;

	r = posix_spawn(&pid, "/bin/true", NULL, NULL, argv, environ);
	if (r != 0) {
		error("posix_spawn: %s", strerror(r));
		return;
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		error("spawned true: status 0x%x", st);
	atomic_fetch_add(&spawns, 1);
}

static void fd_round(void)
{
	int p[2], d;

	if (pipe(p) < 0) {
		error("pipe: %s", strerror(errno));
		return;
	}
	d = dup(p[1]);
	if (d < 0 || dup2(p[0], d) < 0)
		error("dup: %s", strerror(errno));
	if (write(p[1], "x", 1) != 1)
		error("write to a pipe: %s", strerror(errno));
	close(d);
	close(p[0]);
	close(p[1]);
}

static void *writer(void *arg)
{
	static const char *const dirs[] = { "ok", "fail", "budget", "prob" };
	unsigned seed = (unsigned)(uintptr_t)arg * 7919u + 1;

	for (unsigned it = 0; now_ns() < deadline; it++) {
		unsigned k = rand_r(&seed);
		const char *d = dirs[k % 4];
		char name[64];

		snprintf(name, sizeof(name), "t%u-%u", (unsigned)(uintptr_t)arg,
			 k % 8);
		file_round(d, name, k);
		if (it % 7 == 0)
			stdio_round(dirs[(k >> 4) % 4], k);
		if (it % 11 == 0)
			fs_round(dirs[(k >> 6) % 2], k);
		if (it % 5 == 0)
			fd_round();
		if (it % 40 == 0)
			fork_round(k, k & 1);
		if (it % 60 == 0)
			spawn_round();
		atomic_fetch_add(&ops, 1);
	}
	return NULL;
}

/* SIGUSR1: a write from inside whatever call the thread was in. */
static void on_usr1(int sig)
{
	int saved = errno;

	(void)sig;
	if (write(sig_fd, "s", 1) != 1)
		sig_errors = sig_errors + 1;
	errno = saved;
}

static void *signaller(void *arg)
{
	pthread_t *th = arg;
	unsigned seed = 99;
	struct timespec ts = { 0, 500000 };

	while (now_ns() < deadline) {
		pthread_kill(th[rand_r(&seed) % THREADS], SIGUSR1);
		atomic_fetch_add(&signals, 1);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static int worker(const char *d, int secs)
{
	const char *ctl = getenv(FR_CTL_ENV);
	char path[PATH_MAX], tmp[PATH_MAX];
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	pthread_t th[THREADS], sig;
	FILE *f;

	dir = d;
	if (!ctl) {
		fprintf(stderr, "stress: worker: no %s (not under faultrun)\n",
			FR_CTL_ENV);
		return 2;
	}
	/* tell the driver where the block is */
	snprintf(tmp, sizeof(tmp), "%s/ctlpath.tmp", dir);
	snprintf(path, sizeof(path), "%s/ctlpath", dir);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "%s\n", ctl) < 0 || fclose(f) != 0 ||
	    rename(tmp, path) < 0) {
		fprintf(stderr, "stress: worker: cannot write %s\n", path);
		return 2;
	}
	snprintf(path, sizeof(path), "%s/ok/signals", dir);
	sig_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	deadline = now_ns() + (uint64_t)secs * 1000000000ull;
	for (uintptr_t i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, writer, (void *)i);
	pthread_create(&sig, NULL, signaller, th);
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	pthread_join(sig, NULL);
	printf("stress: worker: %lu rounds, %lu injected failures seen, "
	       "%lu forks, %lu spawns, %lu signals, %lu errors\n",
	       atomic_load(&ops), atomic_load(&injected_seen),
	       atomic_load(&forks), atomic_load(&spawns),
	       atomic_load(&signals), atomic_load(&errors));
	if (sig_errors)
		error("a write in the SIGUSR1 handler failed %d times",
		      (int)sig_errors);
	if (atomic_load(&errors)) {
		printf("stress: worker: first error: %s\n", first_error);
		return 1;
	}
	return 0;
}

static int child(const char *d)
{
	char name[64];

	dir = d;
	snprintf(name, sizeof(name), "exec-%d", (int)getpid());
	file_round("ok", name, (unsigned)getpid());
	file_round("fail", name, (unsigned)getpid());
	file_round("prob", name, (unsigned)getpid() + 1);
	if (atomic_load(&errors)) {
		fprintf(stderr, "stress: child: %s\n", first_error);
		return 1;
	}
	return 0;
}

/* ---- the driver ------------------------------------------------------ */

static int rm_entry(const char *p, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(p);
	return 0;
}

/* Where each thread of pid is blocked, for a deadlock report. */
static void dump_threads(pid_t pid)
{
	char path[PATH_MAX], buf[256];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		for (int i = 0; i < 2; i++) {
			FILE *f;

			snprintf(path, sizeof(path), "/proc/%d/task/%s/%s",
				 (int)pid, de->d_name, i ? "syscall" : "wchan");
			f = fopen(path, "r");
			if (!f)
				continue;
			if (fgets(buf, sizeof(buf), f))
				printf("#   task %s %s: %s%s", de->d_name,
				       i ? "syscall" : "wchan", buf,
				       strchr(buf, '\n') ? "" : "\n");
			fclose(f);
		}
	}
	closedir(d);
}

/* The worker: faultrun exec's only child. */
static pid_t child_of(pid_t pid)
{
	char path[96];
	long c = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid,
		 (int)pid);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%ld", &c) != 1)
			c = -1;
		fclose(f);
	}
	return (pid_t)c;
}

static void run_ctl(const char *faultrun, pid_t run, const char *verb,
		    const char *name)
{
	char pid[16];
	pid_t p;
	int st;

	snprintf(pid, sizeof(pid), "%d", (int)run);
	p = fork();
	if (p == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		execl(faultrun, faultrun, "ctl", "--run", pid, verb, name,
		      (char *)NULL);
		_exit(127);
	}
	if (p > 0)
		while (waitpid(p, &st, 0) < 0 && errno == EINTR)
			;
}

static int driver(int secs)
{
	const char *faultrun = getenv("FAULTRUN");
	char base[] = "/tmp/faultrun-stress-XXXXXX", path[PATH_MAX];
	char specs[NRULES][PATH_MAX], ctlpath[PATH_MAX] = "", secbuf[16];
	char *argv[8 + 2 * NRULES + 8];
	struct fr_ctl *c = NULL;
	uint64_t end, toggles = 0, ctl_calls = 0;
	unsigned seed = 12345;
	int argc = 0, st = 0, ret = 1;
	bool exited = false;
	pid_t run;

	if (!faultrun) {
		fprintf(stderr, "stress: FAULTRUN must name the built faultrun\n");
		return 2;
	}
	if (!mkdtemp(base)) {
		perror("stress: mkdtemp");
		return 2;
	}
	dir = base;
	for (const char *const *d = (const char *const[]){ "ok", "fail",
			"budget", "prob", "nowhere", NULL }; *d; d++) {
		snprintf(path, sizeof(path), "%s/%s", dir, *d);
		mkdir(path, 0700);
	}
	snprintf(secbuf, sizeof(secbuf), "%d", secs);
	argv[argc++] = (char *)faultrun;
	argv[argc++] = "exec";
	argv[argc++] = "-q";
	argv[argc++] = "--paused";
	/* rule a is armed elsewhere on purpose: it must never fire */
	argv[argc++] = "--may-not-fire";
	for (unsigned i = 0; i < NRULES; i++) {
		snprintf(specs[i], sizeof(specs[i]), rules[i], dir);
		argv[argc++] = "-f";
		argv[argc++] = specs[i];
	}
	argv[argc++] = "--";
	argv[argc++] = self;
	argv[argc++] = "--worker";
	argv[argc++] = base;
	argv[argc++] = secbuf;
	argv[argc] = NULL;

	fflush(NULL);
	run = fork();
	if (run == 0) {
		execv(faultrun, argv);
		_exit(127);
	}
	/* the worker reports its block; generous deadlines: sanitizer builds */
	end = now_ns() + 30000000000ull;
	snprintf(path, sizeof(path), "%s/ctlpath", dir);
	while (now_ns() < end && !exited) {
		FILE *f = fopen(path, "r");

		if (f) {
			if (fgets(ctlpath, sizeof(ctlpath), f))
				ctlpath[strcspn(ctlpath, "\n")] = '\0';
			fclose(f);
			break;
		}
		if (waitpid(run, &st, WNOHANG) == run)
			exited = true;
		usleep(10000);
	}
	if (!ctlpath[0] || fr_ctl_open(ctlpath, &c) < 0) {
		printf("not ok - the worker started and reported its control block\n");
		goto out_kill;
	}

	/* flip rules until the worker is done, or the watchdog fires */
	end = now_ns() + (uint64_t)(secs + 60) * 1000000000ull;
	while (!exited) {
		unsigned r = (unsigned)rand_r(&seed);
		unsigned idx = r % NRULES;

		if (idx < fr_ctl_count(c))
			fr_ctl_set_armed(c, idx, r & 0x100);
		toggles++;
		if (toggles % 500 == 0 && !exited) {
			run_ctl(faultrun, run, r & 0x200 ? "arm" : "disarm",
				rule_names[(r >> 12) % NRULES]);
			ctl_calls++;
		}
		if (waitpid(run, &st, WNOHANG) == run) {
			exited = true;
			break;
		}
		if (now_ns() > end) {
			pid_t w = child_of(run);

			printf("not ok - the worker finished within %d s "
			       "(deadlock?); its threads:\n", secs + 60);
			if (w > 0)
				dump_threads(w);
			goto out_kill;
		}
		usleep(r % 200);
	}
	printf("# %llu toggles, %llu through faultrun ctl\n",
	       (unsigned long long)toggles, (unsigned long long)ctl_calls);
	ret = 0;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		printf("ok - the worker exited 0 (no crash, no fault where none "
		       "was armed)\n");
	} else {
		printf("not ok - the worker exited 0 (status 0x%x)\n", st);
		ret = 1;
	}
	for (unsigned i = 0; i < fr_ctl_count(c); i++)
		printf("#   rule %s: matched %llu injected %llu\n",
		       c->slots[i].rule.name,
		       (unsigned long long)atomic_load(&c->slots[i].matched),
		       (unsigned long long)atomic_load(&c->slots[i].injected));
	/* the rules that every round meets must have fired */
	for (unsigned i = 0; i < 5 && i < fr_ctl_count(c); i++) {
		if (i == 2 || i == 3)
			continue; /* short reads and the budget: only sometimes */
		if (atomic_load(&c->slots[i].injected) == 0) {
			printf("not ok - rule %s injected (the toggling reached "
			       "the worker)\n", c->slots[i].rule.name);
			ret = 1;
		}
	}
	if (ret == 0)
		printf("ok - the armed rules injected\n");
	fr_ctl_close(c);
	nftw(base, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return ret;

out_kill:
	if (!exited) {
		pid_t w = child_of(run);

		kill(run, SIGKILL);
		if (w > 0)
			kill(w, SIGKILL);
		waitpid(run, &st, 0);
	}
	fr_ctl_close(c);
	nftw(base, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return 1;
}

int main(int argc, char **argv)
{
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		return 2;
	self[n] = '\0';
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 4 && strcmp(argv[1], "--worker") == 0)
		return worker(argv[2], atoi(argv[3]));
	if (argc >= 3 && strcmp(argv[1], "--child") == 0)
		return child(argv[2]);
	return driver(argc >= 2 ? atoi(argv[1]) :
		      getenv("STRESS_SECONDS") ? atoi(getenv("STRESS_SECONDS")) : 8);
}
