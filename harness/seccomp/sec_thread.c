/*
 * The seccomp backend in a scenario run (docs/seccomp.md, "Scenario
 * runs"): a thread of faultrun answers the notifications of one start of
 * a unit.
 *
 * Why a thread and not fr_sec_serve: the runner reaps its units in its
 * event loop (a pidfd per child, io/proc.c), and fr_sec_serve waits for
 * the child it is given; two waiters for one child would race for its
 * exit status. The thread waits for no process: it answers until the
 * listener hangs up (the last process under the filter is gone, whoever
 * reaped it) or it is told to stop. Why not the event loop itself: the
 * loop runs probes, MySQL queries and blocking teardown steps; a target
 * waiting on a filtered call must not wait for those.
 */
#define _GNU_SOURCE
#include "sec_hold.h"
#include "sec_limit.h"
#include "sec_internal.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

/* How often, at most, a rule `ctl add` published is looked at (as sec_serve.c). */
#define SEC_THREAD_IDLE_MS 250

struct fr_sec_thread {
	struct fr_sec *s;
	struct fr_ctl *c;
	pthread_t tid;
	int stop_fd; /* an eventfd: readable once fr_sec_thread_stop is called */
	atomic_bool done;
	int ret;
};

static void *serve(void *arg)
{
	struct fr_sec_thread *t = arg;
	struct seccomp_notif_sizes sz = { 0 };
	struct seccomp_notif_resp *resp;
	struct seccomp_notif *req;
	size_t reqsz, respsz;

	/* the kernel's structures may grow: allocate what it says (seccomp_unotify(2)) */
	syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz);
	reqsz = sz.seccomp_notif > sizeof(*req) ? sz.seccomp_notif : sizeof(*req);
	respsz = sz.seccomp_notif_resp > sizeof(*resp) ? sz.seccomp_notif_resp : sizeof(*resp);
	req = calloc(1, reqsz);
	resp = calloc(1, respsz);
	t->ret = req && resp ? 0 : -ENOMEM;
	t->s->seen_gen = UINT32_MAX;
	t->s->respsz = respsz;
	while (!t->ret) {
		struct pollfd p[2] = { { .fd = t->s->listener, .events = POLLIN },
				       { .fd = t->stop_fd, .events = POLLIN } };
		/* delayed and stalled calls are answered when due, as fr_sec_serve does */
		int next = sec_hold_release(t->s, t->c);
		int r = poll(p, 2,
			     next >= 0 && next < SEC_THREAD_IDLE_MS ? next : SEC_THREAD_IDLE_MS);

		if (r < 0 && errno != EINTR) {
			t->ret = -errno;
			break;
		}
		sec_check_new_rules(t->s, t->c);
		if (r <= 0)
			continue;
		if (p[1].revents)
			break;
		if (p[0].revents & POLLIN)
			t->ret = sec_answer_one(t->s, t->c, req, reqsz, resp, respsz);
		else if (p[0].revents & (POLLHUP | POLLERR))
			break; /* nobody is left under the filter */
	}
	sec_hold_clear(t->s);
	sec_limit_clear(t->s);
	free(req);
	free(resp);
	atomic_store(&t->done, true);
	return NULL;
}

int fr_sec_thread_start(struct fr_sec *s, struct fr_ctl *c, struct fr_sec_thread **out)
{
	struct fr_sec_thread *t = calloc(1, sizeof(*t));
	sigset_t all, old;
	int ret;

	if (!t)
		return -ENOMEM;
	t->s = s;
	t->c = c;
	t->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (t->stop_fd < 0) {
		ret = -errno;
		free(t);
		return ret;
	}
	/* no signal for it: the runner takes them through its signalfd */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = -pthread_create(&t->tid, NULL, serve, t);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret < 0) {
		close(t->stop_fd);
		free(t);
		return ret;
	}
	*out = t;
	return 0;
}

bool fr_sec_thread_done(const struct fr_sec_thread *t)
{
	return atomic_load(&((struct fr_sec_thread *)t)->done);
}

int fr_sec_thread_stop(struct fr_sec_thread *t)
{
	uint64_t one = 1;
	int ret;

	if (!t)
		return 0;
	/* an eventfd's counter cannot overflow from one write: it cannot fail */
	if (write(t->stop_fd, &one, sizeof(one)) < 0)
		one = 0;
	pthread_join(t->tid, NULL);
	ret = t->ret;
	close(t->stop_fd);
	free(t);
	return ret;
}
