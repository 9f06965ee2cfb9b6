/*
 * Process accounting, faultrun's side (attach.h). Not linked into the
 * shim: it allocates and uses ordinary libc.
 */
#define _GNU_SOURCE
#include "attach.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int fr_attach_listen(const char *ctl_path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char name[64];
	size_t nl;
	int fd, one = 1;

	fr_ctl_report_name(ctl_path, name, sizeof(name));
	nl = strlen(name);
	memcpy(sa.sun_path + 1, name, nl);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa,
		 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + nl)) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

static struct fr_proc_info *find_pid(struct fr_attach *a, int pid)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].pid == pid)
			return &a->v[i];
	return NULL;
}

static struct fr_proc_info *add(struct fr_attach *a, int pid)
{
	struct fr_proc_info *p = find_pid(a, pid);

	if (p)
		return p;
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 16;
		struct fr_proc_info *v = reallocarray(a->v, cap, sizeof(*v));

		if (!v)
			return NULL;
		a->v = v;
		a->cap = cap;
	}
	p = &a->v[a->n++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	return p;
}

/* parent of pid from /proc/PID/stat, or -1 */
static int parent_of(int pid)
{
	char path[64], buf[512];
	FILE *f;
	int ppid = -1;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f)) {
		/* "pid (comm) state ppid": comm may hold spaces and parentheses */
		char *rp = strrchr(buf, ')');

		if (rp)
			sscanf(rp + 1, " %*c %d", &ppid);
	}
	fclose(f);
	return ppid;
}

/*
 * Whether pid descends from us. A process that is gone cannot be checked:
 * its report is taken, since a refusal can only make a run fail, never
 * pass (docs/reliability.md).
 */
static bool ours(int pid)
{
	int me = getpid();

	for (int depth = 0; pid > 1 && depth < 512; depth++) {
		int pp = parent_of(pid);

		if (pp < 0)
			return depth == 0;
		if (pp == me)
			return true;
		pid = pp;
	}
	return false;
}

int fr_attach_drain(struct fr_attach *a, int fd)
{
	int taken = 0;

	for (;;) {
		struct fr_ctl_report m;
		union {
			struct cmsghdr h;
			char buf[CMSG_SPACE(sizeof(struct ucred))];
		} u;
		struct iovec iov = { .iov_base = &m, .iov_len = sizeof(m) };
		struct msghdr mh = { .msg_iov = &iov,
				     .msg_iovlen = 1,
				     .msg_control = u.buf,
				     .msg_controllen = sizeof(u.buf) };
		struct ucred cr = { 0 };
		struct cmsghdr *cm;
		ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? taken : -errno;
		if (mh.msg_flags & MSG_TRUNC || n != (ssize_t)sizeof(m) ||
		    m.magic != FR_REPORT_MAGIC)
			continue;
		for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
			if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_CREDENTIALS)
				memcpy(&cr, CMSG_DATA(cm), sizeof(cr));
		if (cr.pid <= 0 || !ours(cr.pid))
			continue;
		struct fr_proc_info *p = add(a, cr.pid);
		if (!p) {
			a->reports_lost++;
			continue;
		}
		p->ppid = m.ppid;
		p->uid = cr.uid;
		memcpy(p->exe, m.exe, sizeof(p->exe));
		p->exe[sizeof(p->exe) - 1] = '\0';
		p->refused = true;
		p->refusal = (int)m.refusal;
		memcpy(p->why, m.why, sizeof(p->why));
		p->why[sizeof(p->why) - 1] = '\0';
		taken++;
	}
}

void fr_attach_collect(struct fr_attach *a, const struct fr_ctl *c)
{
	uint32_t n = atomic_load_explicit(&((struct fr_ctl *)c)->nprocs, memory_order_acquire);
	uint32_t listed = n < FR_CTL_PROCS ? n : FR_CTL_PROCS;

	a->unlisted = n - listed;
	for (uint32_t i = 0; i < listed; i++) {
		const struct fr_ctl_proc *e = &c->procs[i];
		uint32_t st = atomic_load_explicit(&((struct fr_ctl_proc *)e)->state,
						   memory_order_acquire);
		struct fr_proc_info *p;

		if (st == FR_PROC_LEFT) {
			p = add(a, e->pid);
			if (!p)
				return;
			p->ppid = e->ppid;
			p->uid = e->uid;
			memcpy(p->exe, e->exe, sizeof(p->exe));
			p->exe[sizeof(p->exe) - 1] = '\0';
			p->refused = true;
			p->refusal = FR_REFUSED_LEFT;
			snprintf(p->why, sizeof(p->why),
				 "started with an environment that drops the run (no FAULTRUN_CTL, "
				 "or no shim in LD_PRELOAD): it gets no faults");
			continue;
		}
		if (st != FR_PROC_ATTACHED && st != FR_PROC_FORKED)
			continue;
		p = add(a, e->pid);
		if (!p)
			return;
		/*
		 * A refusal of this pid came from an image it exec'd after it
		 * attached (an attach cannot follow a refusal without another
		 * exec): the refusal stands. Otherwise entries are in claim
		 * order, and a later exec of the same pid wins.
		 */
		if (p->refused)
			continue;
		p->ppid = e->ppid;
		p->uid = e->uid;
		memcpy(p->exe, e->exe, sizeof(p->exe));
		p->exe[sizeof(p->exe) - 1] = '\0';
	}
}

size_t fr_attach_count(const struct fr_attach *a, bool refused)
{
	size_t n = 0;

	for (size_t i = 0; i < a->n; i++)
		n += a->v[i].refused == refused;
	return refused ? n : n + a->unlisted;
}

void fr_attach_describe(const struct fr_attach *a, char *buf, size_t len)
{
	size_t total = fr_attach_count(a, false), off;
	bool *done = calloc(a->n ? a->n : 1, sizeof(bool));

	if (!total) {
		snprintf(buf, len, "no process");
		free(done);
		return;
	}
	off = (size_t)snprintf(buf, len, "%zu process%s (", total, total == 1 ? "" : "es");
	/* names by frequency: a few names, so quadratic is fine */
	for (bool first = true; done && off < len;) {
		size_t best = a->n, count = 0;

		for (size_t i = 0; i < a->n; i++) {
			size_t c = 0;

			if (done[i] || a->v[i].refused)
				continue;
			for (size_t j = i; j < a->n; j++)
				c += !a->v[j].refused && !strcmp(a->v[j].exe, a->v[i].exe);
			if (c > count)
				best = i, count = c;
		}
		if (best == a->n)
			break;
		for (size_t j = best; j < a->n; j++)
			if (!strcmp(a->v[j].exe, a->v[best].exe))
				done[j] = true;
		if (count > 1)
			off += (size_t)snprintf(buf + off, len - off, "%s%s \xc3\x97%zu",
						first ? "" : ", ", a->v[best].exe, count);
		else
			off += (size_t)snprintf(buf + off, len - off, "%s%s", first ? "" : ", ",
						a->v[best].exe);
		first = false;
	}
	if (off < len && a->unlisted)
		off += (size_t)snprintf(buf + off, len - off, ", %u not listed", a->unlisted);
	if (off < len)
		snprintf(buf + off, len - off, ")");
	free(done);
}

void fr_attach_refusal_text(const struct fr_proc_info *p, char *buf, size_t len)
{
	if (p->refusal == FR_REFUSED_LEFT) {
		snprintf(buf, len, "process %d (%s, uid %u) left the run: %s", p->pid, p->exe,
			 p->uid, p->why);
		return;
	}
	snprintf(buf, len, "process %d (%s, uid %u) refused the control block: %s", p->pid, p->exe,
		 p->uid, p->why);
}

void fr_attach_explain(const struct fr_attach *a, uint64_t matched, char *buf, size_t len)
{
	size_t attached = fr_attach_count(a, false), refused = fr_attach_count(a, true), off;
	const struct fr_proc_info *first = NULL;
	char who[256];

	for (size_t i = 0; i < a->n && !first; i++)
		if (a->v[i].refused)
			first = &a->v[i];
	if (!attached && first) {
		fr_attach_refusal_text(first, buf, len);
		if (refused > 1) {
			off = strlen(buf);
			snprintf(buf + off, len - off, " (and %zu more)", refused - 1);
		}
		return;
	}
	if (!attached) {
		snprintf(buf, len,
			 "no process attached the control block (a static binary, a setuid "
			 "program, or an environment cleared before exec?)");
		return;
	}
	fr_attach_describe(a, who, sizeof(who));
	if (matched)
		off = (size_t)snprintf(buf, len,
				       "the shim was in %s; %llu call%s met the rule, none was "
				       "injected (after=, probability= or times=)",
				       who, (unsigned long long)matched, matched == 1 ? "" : "s");
	else
		off = (size_t)snprintf(buf, len, "the shim was in %s; no call met the rule", who);
	if (first && off < len)
		snprintf(buf + off, len - off, "; %zu refused, first process %d (%s): %s", refused,
			 first->pid, first->exe, first->why);
}

void fr_attach_finish(struct fr_attach *a)
{
	free(a->v);
	a->v = NULL;
	a->n = a->cap = 0;
}
