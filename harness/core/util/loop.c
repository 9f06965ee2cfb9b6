/*
 * The event loop: epoll + a timer heap. See loop.h.
 */
#define _GNU_SOURCE
#include "util/loop.h"
#include "util/xalloc.h"

#include <errno.h>
#include <faultrun/control.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#define MAX_EVENTS 64

struct fr_loop {
	int epfd;
	uint64_t now;
	struct fr_timer **heap;
	size_t nheap, capheap;
	/* the batch being dispatched, so a stopped watch can be scrubbed */
	struct epoll_event batch[MAX_EVENTS];
	int nbatch, ibatch;
};

struct fr_loop *fr_loop_create(void)
{
	struct fr_loop *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		free(l);
		return NULL;
	}
	l->now = fr_now_ns();
	return l;
}

void fr_loop_destroy(struct fr_loop *l)
{
	if (!l)
		return;
	close(l->epfd);
	free(l->heap);
	free(l);
}

uint64_t fr_loop_now(struct fr_loop *l)
{
	l->now = fr_now_ns();
	return l->now;
}

void fr_watch_init(struct fr_watch *w, fr_watch_fn fn, void *arg)
{
	w->fd = -1;
	w->events = 0;
	w->fn = fn;
	w->arg = arg;
}

int fr_watch_start(struct fr_loop *l, struct fr_watch *w, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	if (w->fd >= 0)
		fr_watch_stop(l, w);
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	w->fd = fd;
	w->events = events;
	return 0;
}

int fr_watch_modify(struct fr_loop *l, struct fr_watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	if (w->fd < 0)
		return -EBADF;
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, w->fd, &ev) < 0)
		return -errno;
	w->events = events;
	return 0;
}

void fr_watch_stop(struct fr_loop *l, struct fr_watch *w)
{
	if (w->fd < 0)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	w->fd = -1;
	for (int i = l->ibatch; i < l->nbatch; i++)
		if (l->batch[i].data.ptr == w)
			l->batch[i].data.ptr = NULL;
}

/* ---- timer heap -------------------------------------------------------- */

/* Whether timer a fires before b. */
static bool before(const struct fr_timer *a, const struct fr_timer *b)
{
	return a->when < b->when || (a->when == b->when && a->prio < b->prio);
}

static void heap_swap(struct fr_loop *l, size_t a, size_t b)
{
	struct fr_timer *t = l->heap[a];

	l->heap[a] = l->heap[b];
	l->heap[b] = t;
	l->heap[a]->heap_idx = a;
	l->heap[b]->heap_idx = b;
}

static void heap_up(struct fr_loop *l, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!before(l->heap[i], l->heap[p]))
			break;
		heap_swap(l, p, i);
		i = p;
	}
}

static void heap_down(struct fr_loop *l, size_t i)
{
	for (;;) {
		size_t a = 2 * i + 1, b = a + 1, m = i;
		if (a < l->nheap && before(l->heap[a], l->heap[m]))
			m = a;
		if (b < l->nheap && before(l->heap[b], l->heap[m]))
			m = b;
		if (m == i)
			break;
		heap_swap(l, i, m);
		i = m;
	}
}

void fr_timer_init(struct fr_timer *t, fr_timer_fn fn, void *arg)
{
	t->when = 0;
	t->prio = 0;
	t->heap_idx = (size_t)-1;
	t->fn = fn;
	t->arg = arg;
}

void fr_timer_stop(struct fr_loop *l, struct fr_timer *t)
{
	size_t i = t->heap_idx;

	/*
	 * Not in the heap: never started, already stopped, or zero-filled
	 * (a timer in a calloc'd array that a failed setup never reached
	 * has heap_idx 0, which must not be taken for the heap's root).
	 */
	if (i >= l->nheap || l->heap[i] != t)
		return;
	t->heap_idx = (size_t)-1;
	l->nheap--;
	if (i == l->nheap)
		return;
	struct fr_timer *moved = l->heap[l->nheap];
	l->heap[i] = moved;
	moved->heap_idx = i;
	heap_up(l, i);
	heap_down(l, moved->heap_idx);
}

void fr_timer_start(struct fr_loop *l, struct fr_timer *t, uint64_t when)
{
	fr_timer_stop(l, t);
	if (l->nheap == l->capheap) {
		size_t cap = l->capheap ? l->capheap * 2 : 64;
		l->heap = fr_xreallocarray(l->heap, cap, sizeof(*l->heap));
		l->capheap = cap;
	}
	t->when = when;
	t->heap_idx = l->nheap;
	l->heap[l->nheap++] = t;
	heap_up(l, t->heap_idx);
}

/* ---- dispatch ---------------------------------------------------------- */

static void run_timers(struct fr_loop *l)
{
	uint64_t now = fr_loop_now(l);

	while (l->nheap && l->heap[0]->when <= now) {
		struct fr_timer *t = l->heap[0];
		fr_timer_stop(l, t);
		t->fn(t);
	}
}

int fr_loop_step(struct fr_loop *l, uint64_t max_wait_ns)
{
	uint64_t now = fr_loop_now(l), wait = max_wait_ns;
	int timeout_ms, n;

	if (l->nheap) {
		uint64_t next = l->heap[0]->when;
		uint64_t until = next > now ? next - now : 0;
		if (until < wait)
			wait = until;
	}
	/* round up so a timer is never fired early and re-polled */
	timeout_ms = (int)((wait + 999999) / 1000000);
	n = epoll_wait(l->epfd, l->batch, MAX_EVENTS, timeout_ms);
	if (n < 0) {
		if (errno == EINTR)
			n = 0;
		else
			return -errno;
	}
	l->nbatch = n;
	for (l->ibatch = 0; l->ibatch < l->nbatch; l->ibatch++) {
		struct fr_watch *w = l->batch[l->ibatch].data.ptr;
		if (!w)
			continue;
		l->now = fr_now_ns();
		w->fn(w, l->batch[l->ibatch].events);
	}
	l->nbatch = l->ibatch = 0;
	run_timers(l);
	return 0;
}
