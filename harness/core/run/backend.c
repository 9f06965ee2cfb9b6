/*
 * faultrun — a unit under the seccomp backend (docs/seccomp.md, "Scenario
 * runs"): `backend: seccomp`, or `auto` for a static or Go program.
 *
 * Where things happen, given the runner's process tree (io/proc.c,
 * io/reap.c): the unit is forked by fr_child_spawn as any unit (its own
 * process group, the run's cgroup, PR_SET_PDEATHSIG); the filter is
 * installed in that child after its environment is set and before it
 * becomes its user and execs (fr_spawn.child_hook), so the filter, which
 * every descendant inherits, covers all of the unit and nothing else of
 * the run (probes, steps, other units). The parent takes the listener
 * before it waits for the exec (fr_spawn.parent_hook) and hands it to a
 * thread (sec_thread.c) that answers for this start of the unit until
 * nobody is left under its filter: the event loop keeps reaping the unit
 * as before, and a target waiting on a filtered call never waits for the
 * loop (a probe, a MySQL query, a blocking step of the teardown).
 *
 * The unit's control block is the one the shim would map: the runner's
 * timeline arms and disarms its rules, reads its counters, events and
 * process table, unchanged.
 */
#define _GNU_SOURCE
#include "run/run_internal.h"
#include "util/xalloc.h"
#include "seccomp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct run_sec {
	struct fr_rule *rules; /* the unit's faults, for each start's filter */
	unsigned nrules;
	struct {
		struct fr_sec *s;
		struct fr_sec_thread *t; /* NULL once joined */
	} * starts;
	size_t nstarts;
	struct fr_sec *cur; /* the start being spawned */
};

static bool fault_in(const struct fr_fault *f, int proc)
{
	if (!f->nin)
		return proc == 0;
	for (size_t k = 0; k < f->nin; k++)
		if (f->in[k] == proc)
			return true;
	return false;
}

/* The unit's faults, each one this backend can do (auto chose it: say which cannot). */
static int sec_rules(struct target *tg)
{
	const struct fr_scenario *s = tg->r->s;
	struct run_sec *rs = tg->sec;
	char why[400];

	rs->rules = fr_xcalloc(s->nfaults + 1, sizeof(*rs->rules));
	for (size_t i = 0; i < s->nfaults; i++) {
		if (!fault_in(&s->faults[i], tg->proc))
			continue;
		if (fr_sec_rule_supported(&s->faults[i].rule, why, sizeof(why)) < 0) {
			char *cut = strstr(why, "; use --backend");

			if (cut)
				*cut = 0;
			snprintf(tg->r->error, sizeof(tg->r->error),
				 "%s:%d:%d: %s; %s runs under the seccomp backend (backend: auto, "
				 "'%s' cannot be preloaded)",
				 s->faults[i].mark.file, s->faults[i].mark.line,
				 s->faults[i].mark.col, why, tg->what, tg->argv[0]);
			return -1;
		}
		rs->rules[rs->nrules++] = s->faults[i].rule;
	}
	return 0;
}

int run_sec_choose(struct target *tg, int check, const char *err)
{
	enum fr_unit_backend b = tg->cfg->backend;
	struct run *r = tg->r;
	bool setuid = strstr(err, "setuid") != NULL;

	if (b == FR_UNIT_PRELOAD || (b == FR_UNIT_AUTO && check == 0))
		return 0;
	if (check < 0 && (check != -ENOTSUP || setuid)) {
		/* no such program; or setuid, which no_new_privs would run unprivileged */
		if (b == FR_UNIT_AUTO)
			return 0; /* the preload's own message */
		snprintf(r->error, sizeof(r->error), "%s%s", run_unprefix(err),
			 setuid ? " (no_new_privs, which the seccomp backend needs, would run it "
				  "without its privileges)" :
				  "");
		return -1;
	}
	tg->sec = fr_xcalloc(1, sizeof(*tg->sec));
	return sec_rules(tg) < 0 ? -1 : 1;
}

static int child_hook(void *arg)
{
	struct target *tg = arg;

	/* io_uring's I/O is no system call the filter sees (docs/seccomp.md) */
	if (setenv("UV_USE_IO_URING", "0", 1) < 0)
		return -errno;
	return fr_sec_child_install(tg->sec->cur);
}

static int parent_hook(void *arg, pid_t pid, char *err, size_t errlen)
{
	struct target *tg = arg;
	struct run_sec *rs = tg->sec;
	struct fr_sec_thread *t;
	int ret;

	ret = fr_sec_take(rs->cur, pid, err, errlen);
	if (ret < 0)
		return ret;
	ret = fr_sec_thread_start(rs->cur, tg->ctl, &t);
	if (ret < 0) {
		snprintf(err, errlen, "cannot start the seccomp listener's thread: %s",
			 strerror(-ret));
		return ret;
	}
	rs->starts[rs->nstarts - 1].t = t;
	return 0;
}

int run_sec_spawn(struct target *tg, struct fr_spawn *sp, char *err, size_t errlen)
{
	struct run_sec *rs = tg->sec;
	int ret;

	if (!rs)
		return 0;
	/* threads of earlier starts that saw their last process go */
	for (size_t i = 0; i < rs->nstarts; i++)
		if (rs->starts[i].t && fr_sec_thread_done(rs->starts[i].t)) {
			fr_sec_thread_stop(rs->starts[i].t);
			rs->starts[i].t = NULL;
		}
	ret = fr_sec_create(rs->rules, rs->nrules, &rs->cur);
	if (ret < 0) {
		snprintf(err, errlen, "cannot build the seccomp filter of %s: %s", tg->what,
			 strerror(-ret));
		return ret;
	}
	rs->starts = fr_xreallocarray(rs->starts, rs->nstarts + 1, sizeof(*rs->starts));
	rs->starts[rs->nstarts].s = rs->cur;
	rs->starts[rs->nstarts++].t = NULL;
	sp->child_hook = child_hook;
	sp->parent_hook = parent_hook;
	sp->hook_arg = tg;
	return 0;
}

/* The unit's processes are gone (the run's teardown): stop answering, free. */
void run_sec_finish(struct target *tg)
{
	struct run_sec *rs = tg->sec;

	if (!rs)
		return;
	for (size_t i = 0; i < rs->nstarts; i++) {
		fr_sec_thread_stop(rs->starts[i].t);
		fr_sec_destroy(rs->starts[i].s);
	}
	free(rs->starts);
	free(rs->rules);
	free(rs);
	tg->sec = NULL;
}

/*
 * Why each fault of the unit never fired, in this backend's words (the
 * seccomp backend saw ...), for the journal's "fired" verdicts
 * (record/expect.c): a shim's explanation would be wrong here.
 */
void run_sec_explain(struct target *tg)
{
	const struct fr_scenario *s = tg->r->s;
	struct run_sec *rs = tg->sec;
	char buf[400];

	if (!rs || !rs->nstarts || !tg->ctl)
		return;
	for (size_t f = 0; f < s->nfaults; f++) {
		struct fr_fault_facts *ff = &tg->r->ff[f];

		if (tg->slot[f] < 0)
			continue;
		fr_sec_explain(rs->starts[rs->nstarts - 1].s, tg->ctl, (unsigned)tg->slot[f],
			       &tg->attach, buf, sizeof(buf));
		if (!ff->why)
			ff->why = fr_xcalloc(s->nservices + 1, sizeof(*ff->why));
		free(ff->why[tg->proc]);
		ff->why[tg->proc] = fr_xstrdup(buf);
	}
}
