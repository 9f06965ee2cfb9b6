/*
 * Processes the command left running under the shim. When `faultrun exec`
 * returns, nothing reads the block any more: a daemon the command started
 * (or a child it did not wait for) would go on failing calls with every
 * armed rule, its injections counted by nobody, after faultrun said how
 * the run went. So when the command exits faultrun switches the block off
 * (fr_ctl_switch_off: stalled calls are released too), and says which
 * processes still map it. The seccomp backend instead keeps answering its leftovers
 * until they exit (exec_seccomp.c): a filter nobody listens to would fail
 * their calls with ENOSYS.
 */
#define _GNU_SOURCE
#include "exec_left.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * Whether pid maps the block at ctlpath: a process's table entry alone
 * does not say it is still this process (pids are reused), its mapping
 * of this run's block does (proc(5), /proc/PID/maps).
 */
static bool maps_block(int pid, const char *ctlpath)
{
	char path[64], *line = NULL;
	size_t cap = 0;
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return false; /* gone, or not ours to read: not a process we left */
	while (!found && getline(&line, &cap, f) > 0) {
		char *name = strchr(line, '/');

		found = name && strncmp(name, ctlpath, strlen(ctlpath)) == 0 &&
			(name[strlen(ctlpath)] == '\n' || name[strlen(ctlpath)] == ' ');
	}
	free(line);
	fclose(f);
	return found;
}

void fr_exec_left_prepare(void)
{
	/*
	 * a subreaper gets the command's orphans (prctl(2)): what it left
	 * running is then found among our children, not in all of /proc
	 */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
}

struct left {
	int pids[64];
	size_t n, more;
	char who[512];
	size_t off;
};

static void note(struct left *l, int pid)
{
	char path[64], comm[32] = "?";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "re");
	if (f) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
	if (l->n < sizeof(l->pids) / sizeof(l->pids[0]))
		l->pids[l->n++] = pid;
	else
		l->more++;
	if (l->n + l->more <= 4 && l->off < sizeof(l->who))
		l->off += (size_t)snprintf(l->who + l->off, sizeof(l->who) - l->off,
					   "%s%s (pid %d)", l->n + l->more > 1 ? ", " : "", comm,
					   pid);
}

/* pid and its descendants (/proc/PID/task/TID/children, proc(5)) that map the block */
static void walk(struct left *l, int pid, const char *ctlpath, unsigned depth)
{
	char path[96];
	struct dirent *e;
	DIR *d;

	if (pid != getpid() && maps_block(pid, ctlpath))
		note(l, pid);
	if (depth > 64)
		return;
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d))) {
		FILE *f;
		int child;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/children", pid, e->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (fscanf(f, "%d", &child) == 1)
			walk(l, child, ctlpath, depth + 1);
		fclose(f);
	}
	closedir(d);
}

unsigned fr_exec_left(struct fr_ctl *c, const char *ctlpath)
{
	struct left l = { .n = 0 };
	size_t k;
	pid_t w;

	/*
	 * off first, found after: a process between its exec and the shim's
	 * mapping of the block (not seen below) finds it off too
	 */
	fr_ctl_switch_off(c);
	/* orphans of the command that already exited: ours to reap */
	while ((w = waitpid(-1, NULL, WNOHANG)) > 0)
		;
	/*
	 * no child at all (ECHILD): as a subreaper we would have inherited
	 * any descendant still running, so there is none to look for
	 */
	if (w < 0 && errno == ECHILD)
		return 0;
	walk(&l, getpid(), ctlpath, 0);
	k = l.n + l.more;
	if (!k)
		return 0;
	fprintf(stderr,
		"faultrun: %zu process%s outlived the command under the shim: %s%s; every rule "
		"is switched off in %s, since nothing reports %s faults once faultrun exits\n",
		k, k == 1 ? "" : "es", l.who, k > 4 ? " and others" : "", k == 1 ? "it" : "them",
		k == 1 ? "its" : "their");
	return (unsigned)k;
}
