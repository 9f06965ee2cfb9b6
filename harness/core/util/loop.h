/*
 * faultrun — the runner's event loop: epoll for file descriptors (sockets,
 * pipes, pidfds, a signalfd), a binary heap of timers on CLOCK_MONOTONIC.
 * Single-threaded; nothing in it blocks except epoll_wait itself.
 *
 * Watches and timers are embedded in their owners' structs (no allocation,
 * no handles to go stale). Stopping a watch from inside any callback is
 * safe, also for events already fetched in the same batch.
 */
#ifndef FAULTRUN_LOOP_H
#define FAULTRUN_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fr_loop;

struct fr_watch;
typedef void (*fr_watch_fn)(struct fr_watch *w, uint32_t events);

struct fr_watch {
	int fd;		 /* -1 when not started */
	uint32_t events; /* EPOLLIN / EPOLLOUT */
	fr_watch_fn fn;
	void *arg;
};

struct fr_timer;
typedef void (*fr_timer_fn)(struct fr_timer *t);

struct fr_timer {
	uint64_t when;	 /* CLOCK_MONOTONIC ns */
	int prio;	 /* among timers due at the same time, lower first */
	size_t heap_idx; /* SIZE_MAX when not armed */
	fr_timer_fn fn;
	void *arg;
};

struct fr_loop *fr_loop_create(void);
void fr_loop_destroy(struct fr_loop *l);

/* Monotonic now (ns), as of the last wake-up or a fresh read. */
uint64_t fr_loop_now(struct fr_loop *l);

void fr_watch_init(struct fr_watch *w, fr_watch_fn fn, void *arg);
int fr_watch_start(struct fr_loop *l, struct fr_watch *w, int fd, uint32_t events);
int fr_watch_modify(struct fr_loop *l, struct fr_watch *w, uint32_t events);
/* Stop watching (does not close the fd). No-op when not started. */
void fr_watch_stop(struct fr_loop *l, struct fr_watch *w);

void fr_timer_init(struct fr_timer *t, fr_timer_fn fn, void *arg);
/* Arm (or re-arm) at absolute time when. */
void fr_timer_start(struct fr_loop *l, struct fr_timer *t, uint64_t when);
void fr_timer_stop(struct fr_loop *l, struct fr_timer *t);
static inline bool fr_timer_armed(const struct fr_timer *t)
{
	return t->heap_idx != (size_t)-1;
}

/*
 * Wait for events (at most max_wait_ns, or until the next timer) and run
 * their callbacks and every due timer. Returns 0 or -errno.
 */
int fr_loop_step(struct fr_loop *l, uint64_t max_wait_ns);

#endif /* FAULTRUN_LOOP_H */
