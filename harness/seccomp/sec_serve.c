/*
 * The supervisor: faultrun answers each notified call of the run, lists
 * the processes it saw in the block's process table, and reports rules
 * `faultrun ctl add` published that this backend cannot apply.
 *
 * Order for one notification (seccomp_unotify(2)): RECV; decide, reading
 * the target's memory and /proc; SECCOMP_IOCTL_NOTIF_ID_VALID (the thread
 * may have been killed, and the memory read may then belong to another
 * process); SEND. A SEND that fails (the thread was killed meanwhile)
 * takes back what the decision counted, and no event is written.
 */
#define _GNU_SOURCE
#include "sec_decide.h"
#include "sec_statfs.h"
#include "sec_disk.h"
#include "sec_facts.h"
#include "sec_hold.h"
#include "sec_limit.h"
#include "sec_io.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* How often, at most, a rule `ctl add` published is looked at when no call comes. */
#define SEC_IDLE_MS 250

/* List a process of the run in the block's table, as the shim does for itself. */
static void register_proc(struct fr_ctl *c, const struct sec_task_info *ti)
{
	uint32_t n = atomic_fetch_add_explicit(&c->nprocs, 1, memory_order_relaxed);
	struct fr_ctl_proc *p;

	if (n >= FR_CTL_PROCS)
		return; /* counted, not listed */
	p = &c->procs[n];
	atomic_store_explicit(&p->state, FR_PROC_BUSY, memory_order_relaxed);
	p->pid = ti->tgid;
	p->ppid = ti->ppid;
	p->uid = ti->uid;
	p->time_ns = fr_now_ns();
	sec_exe_name(ti->tgid, p->exe, sizeof(p->exe));
	atomic_store_explicit(&p->state, FR_PROC_ATTACHED, memory_order_release);
}

/*
 * The process of thread tid, listing it the first time one of its threads
 * is seen. Thread ids are kept for the run: one reused by the kernel for
 * another process within a run is taken for the first (docs/seccomp.md).
 */
static int task_of(struct fr_sec *s, struct fr_ctl *c, int tid)
{
	struct sec_task_info ti;
	struct sec_task *v;
	bool known = false;

	for (size_t i = s->ntasks; i-- > 0;)
		if (s->tasks[i].tid == tid)
			return s->tasks[i].tgid;
	if (sec_task_info(tid, &ti) < 0)
		return tid;
	for (size_t i = 0; i < s->ntasks && !known; i++)
		known = s->tasks[i].tgid == ti.tgid;
	if (!known)
		register_proc(c, &ti);
	v = sec_grow(s->tasks, s->ntasks, &s->cap, 64, sizeof(*v));
	if (!v)
		return ti.tgid;
	s->tasks = v;
	s->tasks[s->ntasks].tid = tid;
	s->tasks[s->ntasks++].tgid = ti.tgid;
	return ti.tgid;
}

/*
 * A process is about to exec: its threads go (the one that execs takes
 * the process's id), and the program it runs next is listed again, under
 * the same pid (fr_attach_collect keeps the latest), at its next call.
 */
static void forget_process(struct fr_sec *s, int tgid)
{
	size_t k = 0;

	for (size_t i = 0; i < s->ntasks; i++)
		if (s->tasks[i].tgid != tgid)
			s->tasks[k++] = s->tasks[i];
	s->ntasks = k;
}

/* Say once, as soon as it is seen, that a rule ctl published cannot fire here. */
void sec_check_new_rules(struct fr_sec *s, struct fr_ctl *c)
{
	uint32_t gen = atomic_load_explicit(&c->rules_gen, memory_order_acquire);
	unsigned n = fr_ctl_count(c);
	char why[400];

	if (gen == s->seen_gen)
		return;
	s->seen_gen = gen;
	for (unsigned i = 0; i < n; i++) {
		const struct fr_rule *r = &c->slots[i].rule;

		if ((s->warned & (1ull << i)) ||
		    !atomic_load_explicit(&c->slots[i].ready, memory_order_acquire))
			continue;
		s->warned |= 1ull << i;
		if (sec_rule_unsupported(s, r, why, sizeof(why)))
			fprintf(stderr, "faultrun: rule '%.*s': %s\n", (int)sizeof(r->name),
				r->name, why);
	}
}

/*
 * Make a cut call (short, slice=, a budget's crossing write) for the
 * target: the count goes back as the call's result. -errno: faultrun
 * could not (-EAGAIN: a socket with nothing to read or no room).
 */
static int64_t make_cut(struct fr_ctl *c, const struct seccomp_notif *req, struct sec_verdict *v,
			struct seccomp_notif_resp *resp)
{
	int64_t n = sec_io_cut(v->tgid, v->tid, &req->data, v->allow);

	if (n < 0)
		return n;
	/* a disk keeps the blocks the write filled (fr_disk_settle) */
	sec_disk_settle(c, v, n);
	if (v->budget_rule >= 0 && v->taken > (uint64_t)n) {
		/* granted but not moved (the real disk was full): given back */
		atomic_fetch_add_explicit(&c->slots[v->budget_rule].budget,
					  (int64_t)(v->taken - (uint64_t)n), memory_order_relaxed);
		atomic_fetch_sub_explicit(&c->slots[v->budget_rule].bytes, v->taken - (uint64_t)n,
					  memory_order_relaxed);
		v->taken = (uint64_t)n;
	}
	resp->val = n;
	return n;
}

/* The answer for a decided call (resp->id set); false: nothing to send now (held). */
static bool respond(struct fr_sec *s, struct fr_ctl *c, const struct seccomp_notif *req,
		    struct sec_verdict *v, struct seccomp_notif_resp *resp)
{
	int64_t n;
	int r;

	switch (v->what) {
	case SEC_FAIL:
		resp->error = -v->err;
		return true;
	case SEC_RESET:
		sec_sock_reset(v->tgid, v->fd);
		resp->error = -v->err;
		return true;
	case SEC_CUT:
		n = make_cut(c, req, v, resp);
		if (n >= 0)
			return true;
		/*
		 * a blocking socket with nothing to read (or no room): held until
		 * it has, then cut, as the shim's call would wait in the kernel
		 * and then be cut (not for a budget's or a disk's write: files)
		 */
		if (n == -EAGAIN && v->sock_ino && v->budget_rule < 0 && v->disk_rule < 0 &&
		    sec_hold(s, req->id, &req->data, v) == 0)
			return false;
		break;
	case SEC_VALUE:
		resp->val = (int64_t)v->allow;
		return true;
	case SEC_SHUT:
		/* then=close: the peer reads end of file; this recv reads 0, a send EPIPE */
		sec_sock_shut(v->tgid, v->fd);
		if (v->op == FR_OP_RECV)
			resp->val = 0;
		else
			resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		return true;
	case SEC_STATFS:
		/* after NOTIF_ID_VALID: the buffer is still the caller's */
		resp->error = sec_statfs_answer(v);
		return true;
	case SEC_DELAY:
	case SEC_STALL:
		r = sec_hold(s, req->id, &req->data, v);
		if (r == 0)
			return false;
		if (r > 0) {
			resp->error = -r;
			return true;
		}
		break;
	default:
		resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		return true;
	}
	/* not done as decided: the call goes on as if no rule had fired */
	sec_undo(c, v);
	v->inject = false;
	v->counted = 0;
	v->budget_rule = -1;
	resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	return true;
}

/* Receive and answer one notification. Returns 0, or -errno when the listener fails. */
int sec_answer_one(struct fr_sec *s, struct fr_ctl *c, struct seccomp_notif *req, size_t reqsz,
		   struct seccomp_notif_resp *resp, size_t respsz)
{
	struct sec_verdict v;
	bool send;

	memset(req, 0, reqsz);
	if (ioctl(s->listener, SECCOMP_IOCTL_NOTIF_RECV, req) < 0)
		/* ENOENT: the caller was interrupted or killed before we took it */
		return errno == EINTR || errno == ENOENT ? 0 : -errno;
	s->notifications++;
	memset(&v, 0, sizeof(v));
	v.tid = (int)req->pid;
	v.tgid = task_of(s, c, v.tid);
	sec_decide(s, c, &req->data, &v);
	if (v.read_target && ioctl(s->listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &req->id) < 0) {
		/* gone: what we read may belong to another process now, and nobody waits */
		sec_undo(c, &v);
		return 0;
	}
	memset(resp, 0, respsz);
	resp->id = req->id;
	send = respond(s, c, req, &v, resp);
	if (send && ioctl(s->listener, SECCOMP_IOCTL_NOTIF_SEND, resp) < 0) {
		/* a cut call was made already: what it moved stays counted */
		if (v.what != SEC_CUT || !v.inject)
			sec_undo(c, &v);
		return errno == ENOENT || errno == EINTR ? 0 : -errno;
	}
	/* a stall's episode holds a call already counted: one event per episode */
	if (v.inject && !v.episode)
		fr_ctl_event_pid(c, v.tgid, v.rule, v.op,
				 v.what == SEC_FAIL || v.what == SEC_RESET ? v.err : 0,
				 v.where[0] ? v.where : NULL);
	if (req->data.nr == SYS_io_uring_setup && send && !v.inject)
		sec_uring_passed(c, v.tgid);
	if (req->data.nr == SYS_execve || req->data.nr == SYS_execveat)
		forget_process(s, v.tgid);
	return 0;
}

/* Whether nobody is left under the filter (the listener hangs up). */
static bool listener_done(int fd, int timeout)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, timeout) == 1 && (p.revents & (POLLHUP | POLLERR)) &&
	       !(p.revents & POLLIN);
}

int fr_sec_serve(struct fr_sec *s, struct fr_ctl *c, pid_t pid, int *wstatus)
{
	struct seccomp_notif_sizes sz = { 0 };
	size_t reqsz, respsz;
	struct seccomp_notif *req;
	struct seccomp_notif_resp *resp;
	int pidfd, ret = 0;
	bool exited = false, told = false;

	/* the kernel's structures may grow: allocate what it says (seccomp_unotify(2)) */
	syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz);
	reqsz = sz.seccomp_notif > sizeof(*req) ? sz.seccomp_notif : sizeof(*req);
	respsz = sz.seccomp_notif_resp > sizeof(*resp) ? sz.seccomp_notif_resp : sizeof(*resp);
	req = calloc(1, reqsz);
	resp = calloc(1, respsz);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (!req || !resp || pidfd < 0) {
		ret = req && resp ? -errno : -ENOMEM;
		goto out;
	}
	s->seen_gen = UINT32_MAX;
	s->respsz = respsz;
	for (;;) {
		struct pollfd p[2] = { { .fd = s->listener, .events = POLLIN },
				       { .fd = pidfd, .events = POLLIN } };
		int next = sec_hold_release(s, c);
		int r = poll(p, exited ? 1 : 2,
			     next >= 0 && next < SEC_IDLE_MS ? next : SEC_IDLE_MS);

		if (r < 0 && errno != EINTR) {
			ret = -errno;
			break;
		}
		sec_check_new_rules(s, c);
		if (r <= 0)
			continue;
		if (p[0].revents & POLLIN) {
			ret = sec_answer_one(s, c, req, reqsz, resp, respsz);
			if (ret < 0)
				break;
		} else if (exited && (p[0].revents & (POLLHUP | POLLERR))) {
			break;
		}
		if (!exited && (p[1].revents & POLLIN)) {
			while (waitpid(pid, wstatus, 0) < 0 && errno == EINTR)
				;
			exited = true;
		}
		/*
		 * Processes it started outlive the command: they keep the
		 * filter, and once nobody listens their filtered calls fail
		 * with ENOSYS, so faultrun answers them until they exit
		 */
		if (exited && !told && !listener_done(s->listener, 0)) {
			fprintf(stderr,
				"faultrun: the command exited; processes it started still run under "
				"the seccomp filter: faultrun answers their calls until they exit\n");
			told = true;
		}
	}
out:
	if (!exited) {
		/* it may wait on a call nobody will answer now */
		kill(pid, SIGKILL);
		while (waitpid(pid, wstatus, 0) < 0 && errno == EINTR)
			;
	}
	sec_hold_clear(s);
	sec_limit_clear(s);
	if (pidfd >= 0)
		close(pidfd);
	free(req);
	free(resp);
	return ret;
}

void fr_sec_describe(const struct fr_attach *a, char *buf, size_t len)
{
	fr_attach_describe(a, buf, len);
}

void fr_sec_explain(const struct fr_sec *s, const struct fr_ctl *c, unsigned idx,
		    const struct fr_attach *a, char *buf, size_t len)
{
	const struct fr_ctl_slot *sl = &c->slots[idx];
	uint64_t matched = atomic_load(&((struct fr_ctl_slot *)sl)->matched);
	char who[256];

	if (sec_rule_unsupported(s, &sl->rule, buf, len))
		return;
	if (!fr_attach_count(a, false)) {
		snprintf(buf, len,
			 "no process made a call the seccomp filter sends to faultrun (%llu "
			 "notifications)",
			 (unsigned long long)s->notifications);
		return;
	}
	fr_sec_describe(a, who, sizeof(who));
	if (matched)
		snprintf(buf, len,
			 "the seccomp backend saw %s; %llu call%s met the rule, none was injected "
			 "(after=, probability= or times=)",
			 who, (unsigned long long)matched, matched == 1 ? "" : "s");
	else
		snprintf(buf, len, "the seccomp backend saw %s; no call met the rule", who);
}
