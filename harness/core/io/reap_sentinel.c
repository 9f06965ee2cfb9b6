/*
 * faultrun as a child subreaper, and the sentinel that cleans up after a
 * faultrun that was killed. See reap.h.
 *
 * Nothing here has a fixed limit: a run may start any number of
 * processes. Arrays grow with realloc(3); in the sentinel a failed
 * allocation drops what did not fit instead of aborting (the sentinel
 * must go on to kill what it has), and so does fr_kill_adopted, which
 * shares its walk of the process tree.
 */
#define _GNU_SOURCE
#include "io/reap.h"
#include "io/reap_priv.h"
#include "io/proc.h"
#include "util/xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* A growable array of pids. */
struct pids {
	pid_t *v;
	size_t n, cap;
};

static bool pids_push(struct pids *p, pid_t pid)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		pid_t *v = reallocarray(p->v, cap, sizeof(*v));

		if (!v)
			return false;
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n++] = pid;
	return true;
}

static void pids_free(struct pids *p)
{
	free(p->v);
	memset(p, 0, sizeof(*p));
}

/*
 * Append the children of pid (every thread's) to out, from Linux's
 * /proc/PID/task/TID/children (proc(5)), read whole however long it is:
 * the numbers are parsed as they come, chunk by chunk.
 */
static void children_of(pid_t pid, struct pids *out)
{
	char path[64];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		char buf[4096];
		long num = -1;
		ssize_t len;
		int fd;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/children", (int)pid, de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		while ((len = read(fd, buf, sizeof(buf))) > 0 || (len < 0 && errno == EINTR))
			for (ssize_t i = 0; i < len; i++) {
				if (buf[i] >= '0' && buf[i] <= '9') {
					num = (num < 0 ? 0 : num * 10) + (buf[i] - '0');
				} else if (num >= 0) {
					pids_push(out, (pid_t)num);
					num = -1;
				}
			}
		if (num >= 0)
			pids_push(out, (pid_t)num);
		close(fd);
	}
	closedir(d);
}

/* ---- orphans: faultrun as a child subreaper ----------------------------- */

/*
 * A daemon that leaves the target's session (setsid) and also clears its
 * environment (env -i) is in none of our process groups and carries no
 * FAULTRUN_CTL: neither killpg nor the sweep can find it, and once
 * orphaned it used to be adopted by init. A child subreaper adopts the
 * orphans of its descendants instead, so every process of a run stays
 * below faultrun while it lives: our children that we did not start
 * ourselves are exactly such orphans (tests/reliability/test-kill.sh).
 */
static struct pids known; /* children we started: groups, the sentinel */

static void known_set(pid_t pid, bool add)
{
	for (size_t i = 0; i < known.n; i++)
		if (known.v[i] == pid) {
			if (!add)
				known.v[i] = known.v[--known.n];
			return;
		}
	if (add && !pids_push(&known, pid))
		fr_oom(); /* sparing a child we started is not optional */
}

static bool is_known(pid_t pid)
{
	for (size_t i = 0; i < known.n; i++)
		if (known.v[i] == pid)
			return true;
	return false;
}

int fr_subreaper_start(void)
{
	return prctl(PR_SET_CHILD_SUBREAPER, 1) < 0 ? -errno : 0;
}

int fr_kill_adopted(void)
{
	struct pids kids = { 0 };
	int count = 0;

	children_of(getpid(), &kids);
	for (size_t i = 0; i < kids.n; i++) {
		if (is_known(kids.v[i])) {
			kids.v[i] = 0;
			continue;
		}
		kill(kids.v[i], SIGKILL);
		count++;
	}
	/* reap them (and adopted orphans that had already exited) */
	for (int tries = 0; count && tries < 100; tries++) {
		int left = 0;

		for (size_t i = 0; i < kids.n; i++)
			if (kids.v[i]) {
				if (waitpid(kids.v[i], NULL, WNOHANG) == 0)
					left++;
				else
					kids.v[i] = 0;
			}
		if (!left)
			break;
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	pids_free(&kids);
	return count;
}

size_t fr_adopted(pid_t *out, size_t max)
{
	struct pids kids = { 0 };
	size_t n = 0;

	children_of(getpid(), &kids);
	for (size_t i = 0; i < kids.n; i++) {
		if (is_known(kids.v[i]))
			continue;
		/* an orphan that already exited: reap it, it runs nothing */
		if (waitpid(kids.v[i], NULL, WNOHANG) == kids.v[i])
			continue;
		if (n < max)
			out[n] = kids.v[i];
		n++;
	}
	pids_free(&kids);
	return n;
}

/* ---- the sentinel: following faultrun's descendants ------------------- */

/*
 * While a run has no cgroup, every descendant of faultrun, held by pidfd
 * (a pid could be reused once reaped; a pidfd cannot), refreshed every
 * 100 ms. With faultrun a subreaper, orphans stay in this tree: when
 * faultrun is SIGKILLed the sentinel kills all of them, daemons without
 * FAULTRUN_CTL in their own session included. Where no descriptor is
 * left (RLIMIT_NOFILE), a process is held by its pid and start time
 * (proc(5) /proc/PID/stat field 22), which a reused pid does not match.
 */
struct tracked {
	pid_t pid;
	int fd; /* -1: held by start time */
	unsigned long long start;
};
static struct {
	struct tracked *v;
	size_t n, cap;
} trk;

static int by_pid(const void *a, const void *b)
{
	pid_t x = ((const struct tracked *)a)->pid, y = ((const struct tracked *)b)->pid;

	return (x > y) - (x < y);
}

/* Is the tracked process still there? */
static bool tracked_alive(const struct tracked *t)
{
	pid_t ppid;
	unsigned long long start;

	if (t->fd >= 0) {
		struct pollfd p = { t->fd, POLLIN, 0 };

		return poll(&p, 1, 0) == 0; /* a pidfd polls readable once it exits */
	}
	return fr_proc_stat(t->pid, &ppid, &start) == 0 && start == t->start;
}

static void forget_gone(void)
{
	size_t k = 0;

	for (size_t i = 0; i < trk.n; i++) {
		if (tracked_alive(&trk.v[i]))
			trk.v[k++] = trk.v[i];
		else if (trk.v[i].fd >= 0)
			close(trk.v[i].fd);
	}
	trk.n = k;
}

static void forget_all(void)
{
	for (size_t i = 0; i < trk.n; i++)
		if (trk.v[i].fd >= 0)
			close(trk.v[i].fd);
	trk.n = 0;
}

/* Track kid, a child of parent not tracked yet. */
static void track(pid_t kid, pid_t parent)
{
	struct tracked t = { kid, fr_pidfd_open(kid), 0 };
	pid_t ppid;

	if (t.fd < 0 && errno != EMFILE && errno != ENFILE)
		return; /* gone */
	/* still the process we listed (not a reused pid)? */
	if (fr_proc_stat(kid, &ppid, &t.start) < 0 || ppid != parent) {
		if (t.fd >= 0)
			close(t.fd);
		return;
	}
	if (trk.n == trk.cap) {
		size_t cap = trk.cap ? trk.cap * 2 : 256;
		struct tracked *v = reallocarray(trk.v, cap, sizeof(*v));

		if (!v) {
			if (t.fd >= 0)
				close(t.fd);
			return;
		}
		trk.v = v;
		trk.cap = cap;
	}
	trk.v[trk.n++] = t;
}

/*
 * Track the descendants of each root, depth first. trk is sorted by pid
 * before and after; the walk is bounded by pid_max (2^22, proc(5)) so
 * that a tree changing under it cannot keep it going.
 */
static void track_tree(const pid_t *roots, size_t nroots)
{
	struct pids stack = { 0 }, kids = { 0 };
	size_t nold, steps = 0;
	pid_t self = getpid();

	forget_gone();
	nold = trk.n;
	for (size_t i = 0; i < nroots; i++)
		pids_push(&stack, roots[i]);
	while (stack.n && steps++ < (1u << 22)) {
		pid_t parent = stack.v[--stack.n];

		kids.n = 0;
		children_of(parent, &kids);
		for (size_t k = 0; k < kids.n; k++) {
			struct tracked key = { .pid = kids.v[k] };

			if (kids.v[k] == self)
				continue;
			pids_push(&stack, kids.v[k]);
			if (!nold || !bsearch(&key, trk.v, nold, sizeof(*trk.v), by_pid))
				track(kids.v[k], parent);
		}
	}
	pids_free(&stack);
	pids_free(&kids);
	/*
	 * Not even an empty array may be passed as NULL to qsort(3) or
	 * bsearch(3) (C11 7.1.4; glibc declares them nonnull), and trk.v is
	 * NULL until the first process is tracked: in a build with UBSan and
	 * halt_on_error, that killed the sentinel on its first look, and a
	 * SIGKILLed faultrun then left everything alive.
	 */
	if (trk.n)
		qsort(trk.v, trk.n, sizeof(*trk.v), by_pid);
	/* a pid listed twice (the tree changed under the walk) is held once */
	size_t k = 0;
	for (size_t i = 0; i < trk.n; i++) {
		if (k && trk.v[k - 1].pid == trk.v[i].pid) {
			if (trk.v[i].fd >= 0)
				close(trk.v[i].fd);
			continue;
		}
		trk.v[k++] = trk.v[i];
	}
	trk.n = k;
}

static void kill_tracked(void)
{
	struct pids roots = { 0 };

	/* their children born since the last look, then all of them */
	for (size_t i = 0; i < trk.n; i++)
		pids_push(&roots, trk.v[i].pid);
	track_tree(roots.v, roots.n);
	pids_free(&roots);
	for (size_t i = 0; i < trk.n; i++) {
		pid_t ppid;
		unsigned long long start;

		if (trk.v[i].fd >= 0)
			syscall(SYS_pidfd_send_signal, trk.v[i].fd, SIGKILL, NULL, 0);
		else if (fr_proc_stat(trk.v[i].pid, &ppid, &start) == 0 && start == trk.v[i].start)
			kill(trk.v[i].pid, SIGKILL);
	}
}

/* ---- the sentinel: what faultrun tells it -------------------------------- */

/* A growable set of strings (control-block paths, cgroups). */
struct strs {
	char **v;
	size_t n, cap;
};

static void strs_set(struct strs *s, const char *str, bool add)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], str) == 0) {
			if (!add) {
				free(s->v[i]);
				s->v[i] = s->v[--s->n];
			}
			return;
		}
	if (!add)
		return;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		char **v = reallocarray(s->v, cap, sizeof(*v));

		if (!v)
			return;
		s->v = v;
		s->cap = cap;
	}
	if ((s->v[s->n] = strdup(str)))
		s->n++;
}

struct sentinel {
	struct pids groups;
	struct strs runs, cgroups;
	int watch; /* runs without a cgroup */
};

/* One line from faultrun: "+G pgid", "-R path", "+C dir", "+W", ... */
static void sentinel_line(struct sentinel *st, const char *line)
{
	bool add = line[0] == '+';

	if ((line[0] != '+' && line[0] != '-') || !line[1])
		return;
	switch (line[1]) {
	case 'G': {
		pid_t pg = (pid_t)atoi(line + 2);
		size_t i;

		for (i = 0; i < st->groups.n && st->groups.v[i] != pg; i++)
			;
		if (!add && i < st->groups.n)
			st->groups.v[i] = st->groups.v[--st->groups.n];
		else if (add && i == st->groups.n)
			pids_push(&st->groups, pg);
		break;
	}
	case 'R':
		strs_set(&st->runs, line + 3, add);
		break;
	case 'C':
		strs_set(&st->cgroups, line + 3, add);
		break;
	case 'W':
		st->watch += add ? 1 : -1;
		if (st->watch <= 0) {
			st->watch = 0;
			forget_all();
		}
		break;
	}
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* faultrun is gone: nothing of its runs may outlive it. */
static __attribute__((noreturn)) void sentinel_clean_up(struct sentinel *st)
{
	/* the kernel's bookkeeping first: everything in a run's cgroup */
	for (size_t i = 0; i < st->cgroups.n; i++) {
		fr_cgroup_kill(st->cgroups.v[i], 10000);
		fr_cgroup_remove(st->cgroups.v[i]);
	}
	for (int pass = 0; pass < 3; pass++) {
		for (size_t i = 0; i < st->groups.n; i++)
			if (st->groups.v[i] > 1)
				killpg(st->groups.v[i], SIGKILL);
		for (size_t i = 0; i < st->runs.n; i++)
			fr_sweep_env(st->runs.v[i], SIGKILL);
		if (st->watch)
			kill_tracked();
		struct timespec ts = { 0, 30 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	_exit(0);
}

static __attribute__((noreturn)) void sentinel_main(int fd, pid_t root)
{
	struct sentinel st = { 0 };
	char buf[16384];
	size_t len = 0;
	int64_t next = 0;

	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		int64_t now = mono_ms();

		/* look every 100 ms, however busy the pipe is */
		if (st.watch && now >= next) {
			track_tree(&root, 1);
			now = mono_ms();
			next = now + 100;
		}
		int ready = poll(&pfd, 1, st.watch ? (int)(next > now ? next - now : 0) : -1);
		if (ready == 0 || (ready < 0 && errno == EINTR))
			continue;
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
			sentinel_line(&st, line);
			line = nl + 1;
		}
		len -= (size_t)(line - buf);
		memmove(buf, line, len);
		if (len == sizeof(buf) - 1)
			len = 0; /* no line is that long: drop it, keep reading */
	}
	sentinel_clean_up(&st);
}

/* ---- the sentinel: starting it, talking to it ---------------------------- */

static int sentinel_fd = -1;
static pid_t sentinel_pid;
static int sentinel_status = -1; /* its wait status once it died, else -1 */

/* In the sentinel: its own session, deaf to a terminal's signals. */
static void sentinel_setup(int pipe_fd)
{
	struct rlimit rl;
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
	/* a pidfd for each process of the run: as many descriptors as allowed */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (pipe_fd != 3) {
		dup2(pipe_fd, 3);
		close(pipe_fd);
	}
	devnull = open("/dev/null", O_RDWR);
	if (devnull >= 0) {
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(devnull, 2);
	}
	syscall(SYS_close_range, 4, ~0U, 0);
}

int fr_sentinel_start(void)
{
	int p[2];
	pid_t pid;

	if (sentinel_fd >= 0)
		return 0;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid_t root = getpid();
	pid = fork();
	if (pid < 0) {
		int ret = -errno;
		close(p[0]);
		close(p[1]);
		return ret;
	}
	if (pid == 0) {
		close(p[1]);
		sentinel_setup(p[0]);
		sentinel_main(3, root);
	}
	close(p[0]);
	sentinel_fd = p[1];
	sentinel_pid = pid;
	known_set(pid, true);
	return 0;
}

void fr_sentinel_stop(void)
{
	int st;

	if (sentinel_fd < 0)
		return;
	/* end of input: the sentinel sweeps what is left (nothing, normally) and exits */
	close(sentinel_fd);
	sentinel_fd = -1;
	if (sentinel_pid <= 0 || sentinel_status >= 0)
		return;
	/* faultrun returns only once it is gone: nothing of the run outlives the command */
	for (int i = 0; i < 200; i++) {
		pid_t r = waitpid(sentinel_pid, &st, WNOHANG);

		if (r == sentinel_pid) {
			sentinel_status = st;
			return;
		}
		if (r < 0 && errno != EINTR)
			return;
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

bool fr_sentinel_lost(char *why, size_t len)
{
	int st;

	if (sentinel_pid > 0 && sentinel_status < 0 &&
	    waitpid(sentinel_pid, &st, WNOHANG) == sentinel_pid)
		sentinel_status = st;
	if (sentinel_status < 0)
		return false;
	if (WIFSIGNALED(sentinel_status))
		snprintf(why, len, "the sentinel (pid %d) was killed by signal %d",
			 (int)sentinel_pid, WTERMSIG(sentinel_status));
	else
		snprintf(why, len, "the sentinel (pid %d) exited with status %d", (int)sentinel_pid,
			 WEXITSTATUS(sentinel_status));
	return true;
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

	/* each group's leader is a child we started (fr_kill_adopted spares it) */
	known_set(pgid, add);
	int n = snprintf(line, sizeof(line), "%cG %d\n", add ? '+' : '-', (int)pgid);

	sentinel_send(line, (size_t)n);
}

/* "+X text\n", in one write(2) (atomic up to PIPE_BUF: -j workers share the pipe) */
static void sentinel_send_text(char kind, const char *text, bool add)
{
	char line[4200];
	int n = snprintf(line, sizeof(line), "%c%c %s\n", add ? '+' : '-', kind, text);

	if (n > 0 && (size_t)n < sizeof(line))
		sentinel_send(line, (size_t)n);
}

void fr_sentinel_run(const char *ctl_path, bool add)
{
	sentinel_send_text('R', ctl_path, add);
}

void fr_sentinel_cgroup(const char *dir, bool add)
{
	sentinel_send_text('C', dir, add);
}

void fr_sentinel_watch(bool add)
{
	sentinel_send(add ? "+W\n" : "-W\n", 3);
}
