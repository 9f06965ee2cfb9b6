/*
 * faultrun — the recording as the run goes: the target's lifecycle
 * events, the timeline as it happened, and the injection events the shim
 * writes to the control block's ring (faultrun/control.h).
 */
#define _GNU_SOURCE
#include "run/run_internal.h"
#include "util/xalloc.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

/* ns relative to t = 0 (before t = 0: relative to it anyway, negative). */
int64_t run_rel(struct run *r, uint64_t mono)
{
	uint64_t zero = r->t0 ? r->t0 : r->run_start;

	return (int64_t)mono - (int64_t)zero;
}

int64_t run_rel_now(struct run *r)
{
	return run_rel(r, fr_loop_now(r->loop));
}

struct fr_lc_event *run_lc_add(struct run *r, const char *event, int pid)
{
	if (r->nlc == r->caplc) {
		r->caplc = r->caplc ? r->caplc * 2 : 16;
		r->lc = fr_xreallocarray(r->lc, r->caplc, sizeof(*r->lc));
	}
	struct fr_lc_event *e = &r->lc[r->nlc++];
	memset(e, 0, sizeof(*e));
	e->t = run_rel_now(r);
	e->event = event;
	e->pid = pid;
	e->status = -1;
	return e;
}

size_t run_tl_add(struct run *r, const struct fr_step *st, const char *detail)
{
	if (r->ntl == r->captl) {
		r->captl = r->captl ? r->captl * 2 : 16;
		r->tl = fr_xreallocarray(r->tl, r->captl, sizeof(*r->tl));
	}
	struct fr_tl_entry *e = &r->tl[r->ntl];
	e->at = (int64_t)st->at_ns;
	e->t = run_rel_now(r);
	e->step = st;
	e->detail = detail ? fr_xstrdup(detail) : NULL;
	return r->ntl++;
}

void run_tl_detail(struct run *r, size_t idx, const char *fmt, ...)
{
	va_list ap;
	char buf[256];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	free(r->tl[idx].detail);
	r->tl[idx].detail = fr_xstrdup(buf);
}

/*
 * New injection events of one unit's block, into the run's log of
 * injections (record/injections.h): counted in groups, the first kept.
 */
static unsigned read_unit_events(struct run *r, struct target *tg)
{
	unsigned got = 0;

	if (!tg->ctl)
		return 0;
	uint64_t head = atomic_load_explicit(&tg->ctl->event_head, memory_order_acquire);
	if (head > tg->ev_next + FR_CTL_EVENTS) {
		r->inj.missed += head - tg->ev_next - FR_CTL_EVENTS;
		tg->ev_next = head - FR_CTL_EVENTS;
	}
	while (tg->ev_next < head) {
		struct fr_ctl_event *ev = &tg->ctl->events[tg->ev_next % FR_CTL_EVENTS];
		uint64_t seq = atomic_load_explicit(&ev->seq, memory_order_acquire);
		if (seq != tg->ev_next + 1) {
			if (seq > tg->ev_next + 1) { /* overwritten already */
				r->inj.missed++;
				tg->ev_next++;
				continue;
			}
			break; /* still being written */
		}
		struct fr_inj_event e;
		memset(&e, 0, sizeof(e));
		e.t = run_rel(r, ev->time_ns);
		e.pid = ev->pid;
		e.op = ev->op;
		e.action = ev->action;
		e.err = ev->err;
		e.service = tg->service;
		memcpy(e.where, ev->where, sizeof(e.where) - 1);
		e.fault = -1;
		for (size_t i = 0; i < r->s->nfaults; i++)
			if (tg->slot[i] == (int)ev->rule)
				e.fault = (int)i;
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&ev->seq, memory_order_relaxed) != seq) {
			r->inj.missed++;
			tg->ev_next++;
			continue;
		}
		tg->ev_next++;
		got++;
		fr_inj_log_add(&r->inj, &e);
	}
	return got;
}

/* The units that have a control block, one after the other (NULL at the end). */
static struct target *next_block(struct run *r, int *p)
{
	while (*p <= (int)r->s->nservices) {
		struct target *tg = run_proc(r, (*p)++);

		if (tg->ctl)
			return tg;
	}
	return NULL;
}

/* A fault's injected counter: the sum of its slots in the blocks of its units. */
static uint64_t fault_injected(struct run *r, size_t f)
{
	struct target *tg;
	uint64_t n = 0;
	int p = 0;

	while ((tg = next_block(r, &p)))
		if (tg->slot[f] >= 0)
			n += atomic_load(&tg->ctl->slots[tg->slot[f]].injected);
	return n;
}

/*
 * Copy new injection events out of the shims' rings, and each fault's
 * counter into its rate over time (once t = 0 is reached: no fault is
 * armed before). Returns how many events arrived (so the caller can read
 * again sooner when they come fast).
 */
unsigned run_read_events(struct run *r)
{
	unsigned got = 0;
	struct target *tg;
	int p = 0;

	if (!r->inj.groups)
		fr_inj_log_init(&r->inj, r->s->nfaults);
	while ((tg = next_block(r, &p)))
		got += read_unit_events(r, tg);
	for (size_t i = 0; r->t0 && r->ff && i < r->s->nfaults; i++)
		fr_rate_update(&r->ff[i].rate, run_rel_now(r), fault_injected(r, i));
	return got;
}

/*
 * At the end: the fault windows close at the end of the run, each
 * fault's counters are the sum of its slots in the blocks of its units,
 * and its rate takes the last injections (so its buckets sum to the
 * counter). Of the injections no group counts: folded (read, but the
 * table of groups was full) and unseen (never read: the ring overwrote
 * them first).
 */
void run_read_fault_counters(struct run *r)
{
	for (size_t i = 0; i < r->s->nfaults && r->ff; i++) {
		struct fr_fault_facts *ff = &r->ff[i];
		struct target *tg;
		int p = 0;

		for (size_t w = 0; w < ff->nwin; w++)
			if (ff->win[w].end == INT64_MAX || ff->win[w].end > r->end_rel)
				ff->win[w].end = r->end_rel;
		ff->first = ff->last = INT64_MIN;
		while ((tg = next_block(r, &p))) {
			if (tg->slot[i] < 0)
				continue;
			struct fr_ctl_slot *sl = &tg->ctl->slots[tg->slot[i]];
			uint64_t fi = atomic_load(&sl->first_ns);
			uint64_t la = atomic_load(&sl->last_ns);

			ff->matched += atomic_load(&sl->matched);
			ff->injected += atomic_load(&sl->injected);
			ff->bytes += atomic_load(&sl->bytes);
			if (fi && (ff->first == INT64_MIN || run_rel(r, fi) < ff->first))
				ff->first = run_rel(r, fi);
			if (la && run_rel(r, la) > ff->last)
				ff->last = run_rel(r, la);
		}
		fr_rate_update(&ff->rate, ff->last != INT64_MIN ? ff->last : 0, ff->injected);
		uint64_t read = fr_inj_log_read(&r->inj, (int)i);

		ff->folded = fr_inj_log_folded(&r->inj, (int)i);
		/* more read than counted would be a bug: unseen says 0 and the sum shows it */
		ff->unseen = ff->injected > read ? ff->injected - read : 0;
	}
}

static void report_readable(struct fr_watch *w, uint32_t events)
{
	struct target *tg = w->arg;

	(void)events;
	fr_attach_drain(&tg->attach, tg->report_fd);
}

/*
 * Processes that cannot use a block say why on a socket named after it
 * (fr_ctl_report_refusal); drained as they come, so a burst of refusals
 * does not fill the socket's buffer.
 */
void run_attach_start(struct target *tg)
{
	struct run *r = tg->r;

	tg->report_fd = fr_attach_listen(tg->ctl_path);
	if (tg->report_fd < 0) {
		run_say(r, "cannot listen for processes that refuse the control block: %s",
			strerror(-tg->report_fd));
		return;
	}
	fr_watch_init(&tg->report_watch, report_readable, tg);
	fr_watch_start(r->loop, &tg->report_watch, tg->report_fd, EPOLLIN);
}

/* At the end: the last refusals, and every process listed in the block. */
void run_attach_collect(struct target *tg)
{
	if (tg->report_fd >= 0) {
		fr_attach_drain(&tg->attach, tg->report_fd);
		fr_watch_stop(tg->r->loop, &tg->report_watch);
		close(tg->report_fd);
		tg->report_fd = -1;
	}
	if (tg->ctl)
		fr_attach_collect(&tg->attach, tg->ctl);
	run_sec_explain(tg);
}

/*
 * A message from io/ without the "faultrun: " some of them start with:
 * the CLI adds it where the message reaches the user.
 */
const char *run_unprefix(const char *err)
{
	return strncmp(err, "faultrun: ", 10) == 0 ? err + 10 : err;
}
