/*
 * faultrun — changes to a control block the runner did not make.
 *
 * `faultrun ctl --run DIR arm|disarm|add` (a `run:` step, or a person in
 * another terminal) writes the block directly; the runner would not know,
 * and a journal that shows a fault in force where the timeline says it was
 * not misleads whoever reads it. At each poll tick the runner compares
 * every slot with what it last saw: a slot that is new, or whose armed
 * state or arm count moved in a way the runner's own timeline does not
 * explain (run_fault_set keeps r->armed and one window per arm), is
 * journaled as a "ctl-external" lifecycle event of the unit whose block
 * it is: the rule's name and what happened to it (a removed rule's slot
 * stays, not ready, and is never reused: docs/control-block.md).
 *
 * The same look reads the block's counts of what the shim could not do
 * (disk files not charged, sockets it could not follow, datagrams it could
 * not hold back): each time one grows, a "shim-limit" event says so, so a
 * run that went past a limit of the shim is never silently green.
 */
#include "run/run_internal.h"
#include "util/xalloc.h"
#include "uring_note.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * What the runner last saw of a block's slots. arm_count counts every arm;
 * the runner's own are its fault's windows, so arm_count - own - base is
 * how many times someone else armed it (base: that difference at first
 * sight, when no one else had).
 */
struct ctl_seen {
	unsigned n;
	uint8_t armed[FR_MAX_RULES];
	uint8_t want[FR_MAX_RULES]; /* what the runner held it to then */
	int64_t base[FR_MAX_RULES], ext[FR_MAX_RULES];
	uint8_t gone[FR_MAX_RULES];	     /* removed, and journaled so */
	uint32_t files, conns, dgram, wakes; /* the limit counts last journaled */
	uint32_t uring;			     /* io_uring rings, when last journaled */
};

/* The scenario fault in slot i of tg's block, or -1 (a rule someone added). */
static int fault_of_slot(const struct run *r, const struct target *tg, unsigned i)
{
	for (size_t f = 0; f < r->s->nfaults; f++)
		if (tg->slot[f] == (int)i)
			return (int)f;
	return -1;
}

static void journal(struct run *r, struct target *tg, const struct fr_ctl_slot *sl,
		    const char *change)
{
	const char *svc = tg == &r->tg ? NULL : r->s->services[tg - r->svc].name;
	struct fr_lc_event *e = run_lc_add(r, "ctl-external", 0);
	char name[sizeof(sl->rule.name) + 1];

	memcpy(name, sl->rule.name, sizeof(sl->rule.name));
	name[sizeof(sl->rule.name)] = '\0';
	e->service = svc;
	e->state = change;
	e->detail = fr_xstrdup(name);
	run_say(r, "%s%s%s %s by faultrun ctl (not the timeline)", svc ? svc : "", svc ? ": " : "",
		name, change);
}

/* How many times slot i was armed by someone else than the runner, plus base. */
static int64_t others_arms(const struct run *r, const struct target *tg, unsigned i, int f)
{
	uint64_t arms = atomic_load_explicit(&tg->ctl->slots[i].arm_count, memory_order_relaxed);

	return (int64_t)arms - (f >= 0 ? (int64_t)r->ff[f].nwin : 0);
}

/* First sight of slot i: its state is the baseline, nothing to journal. */
static void first_sight(struct run *r, struct target *tg, struct ctl_seen *sn, unsigned i)
{
	int f = fault_of_slot(r, tg, i);

	sn->armed[i] = atomic_load_explicit(&tg->ctl->slots[i].armed, memory_order_acquire) != 0;
	sn->want[i] = f >= 0 ? r->armed[f] : sn->armed[i];
	sn->base[i] = others_arms(r, tg, i, f);
	sn->ext[i] = 0;
}

/* One slot: what changed since last seen that the runner did not do. */
static void watch_slot(struct run *r, struct target *tg, struct ctl_seen *sn, unsigned i)
{
	const struct fr_ctl_slot *sl = &tg->ctl->slots[i];
	bool armed = atomic_load_explicit(&sl->armed, memory_order_acquire) != 0;
	int f = fault_of_slot(r, tg, i);
	/* what the runner's timeline holds it to; a rule it did not add: as last seen */
	bool want = f >= 0 ? r->armed[f] : sn->armed[i];
	int64_t ext = others_arms(r, tg, i, f) - sn->base[i];

	/* a change is the runner's when its timeline moved the same way */
	if (armed != sn->armed[i] && !(armed == want && want != sn->want[i]))
		journal(r, tg, sl, armed ? "armed" : "disarmed");
	else if (ext > sn->ext[i] && !armed)
		/* between two looks: armed and disarmed again */
		journal(r, tg, sl, "armed and disarmed");
	sn->armed[i] = armed;
	sn->want[i] = want;
	sn->ext[i] = ext;
}

/* Whether a slot after i is ready: then i is not being written but removed. */
static bool later_ready(const struct fr_ctl *c, unsigned i, unsigned n)
{
	for (unsigned j = i + 1; j < n; j++)
		if (atomic_load_explicit(&c->slots[j].ready, memory_order_acquire))
			return true;
	return false;
}

/* One limit count of the block: journaled (and said) whenever it grew. */
static void limit_event(struct run *r, struct target *tg, uint32_t now, uint32_t *seen,
			const char *what)
{
	const char *svc = tg == &r->tg ? NULL : r->s->services[tg - r->svc].name;
	struct fr_lc_event *e;
	char line[160];

	if (now <= *seen)
		return;
	*seen = now;
	snprintf(line, sizeof(line), "%" PRIu32 " %s", now, what);
	e = run_lc_add(r, "shim-limit", 0);
	e->service = svc;
	e->detail = fr_xstrdup(line);
	run_say(r, "%s%swarning: %s", svc ? svc : "", svc ? ": " : "", line);
}

/*
 * A ring set up while a file or socket rule exists: its I/O bypasses the
 * rules (uring_note.c). Journaled as a "shim-limit" event each time more
 * rings were set up, with the summary's sentence.
 */
static void watch_uring(struct run *r, struct target *tg, struct ctl_seen *sn)
{
	uint32_t now = atomic_load_explicit(&tg->ctl->uring_setups, memory_order_relaxed);
	const char *svc = tg == &r->tg ? NULL : r->s->services[tg - r->svc].name;
	struct fr_lc_event *e;
	char note[256];

	if (now <= sn->uring || !fr_uring_note(tg->ctl, note, sizeof(note)))
		return;
	sn->uring = now;
	e = run_lc_add(r, "shim-limit", 0);
	e->service = svc;
	e->detail = fr_xstrdup(note);
	run_say(r, "%s%swarning: %s", svc ? svc : "", svc ? ": " : "", note);
}

static void watch_limits(struct run *r, struct target *tg, struct ctl_seen *sn)
{
	const struct fr_ctl *c = tg->ctl;

	limit_event(r, tg, atomic_load_explicit(&c->files_overflow, memory_order_relaxed),
		    &sn->files,
		    "disk writes not charged: more files at once than the block holds "
		    "(FR_CTL_FILES)");
	limit_event(r, tg, atomic_load_explicit(&c->conns_untracked, memory_order_relaxed),
		    &sn->conns,
		    "socket calls passed untouched: the shim could not map its connection table");
	limit_event(
		r, tg, atomic_load_explicit(&c->dgram_unheld, memory_order_relaxed), &sn->dgram,
		"datagrams went in order: larger than the shim's reorder store, or it was full");
	limit_event(r, tg, atomic_load_explicit(&c->wakes_failed, memory_order_relaxed), &sn->wakes,
		    "epoll registrations not re-armed when a stall ended: their program may "
		    "still wait (docs/seccomp.md)");
	watch_uring(r, tg, sn);
}

void run_ctl_watch(struct run *r)
{
	if (!r->t0 || r->phase >= PH_STOPPING)
		return;
	for (int p = 0; p <= (int)r->s->nservices; p++) {
		struct target *tg = run_proc(r, p);
		struct ctl_seen *sn = tg->seen;
		unsigned n;

		if (!tg->ctl)
			continue;
		n = fr_ctl_count(tg->ctl);
		if (!sn) {
			/*
			 * The first look: the runner added its faults' slots
			 * disarmed, never armed (fr_ctl_add), so that is what they
			 * are compared with; a change made before this look (at
			 * t = 0 or during setup) is still caught.
			 */
			sn = tg->seen = fr_xcalloc(1, sizeof(*sn));
			/* the runner's slots come first; a later one was added by ctl */
			while (sn->n < n &&
			       atomic_load_explicit(&tg->ctl->slots[sn->n].ready,
						    memory_order_acquire) &&
			       fault_of_slot(r, tg, sn->n) >= 0)
				sn->n++;
		}
		watch_limits(r, tg, sn);
		for (unsigned i = 0; i < n; i++) {
			const struct fr_ctl_slot *sl = &tg->ctl->slots[i];

			if (!atomic_load_explicit(&sl->ready, memory_order_acquire)) {
				if (i < sn->n || later_ready(tg->ctl, i, n)) {
					/* known, or passed by a later add: removed */
					if (!sn->gone[i])
						journal(r, tg, sl,
							i < sn->n ? "removed" :
								    "added and removed");
					sn->gone[i] = 1;
					sn->n = i >= sn->n ? i + 1 : sn->n;
					continue;
				}
				break; /* being written: next tick */
			}
			if (i >= sn->n) {
				bool armed = atomic_load_explicit(&sl->armed, memory_order_acquire);

				journal(r, tg, sl, armed ? "added armed" : "added");
				first_sight(r, tg, sn, i);
				sn->n = i + 1;
				continue;
			}
			watch_slot(r, tg, sn, i);
		}
	}
}

void run_ctl_watch_finish(struct target *tg)
{
	free(tg->seen);
	tg->seen = NULL;
}
