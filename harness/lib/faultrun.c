/*
 * libfaultrun (include/faultrun/faultrun.h): a handle on a run's control
 * block, and the writer side of harness/fault (ctl_admin.c) behind it.
 * The block is made for several writers at once (docs/control-block.md,
 * "The protocol"), so nothing here locks.
 */
#define _GNU_SOURCE
#include "lib_internal.h"

#include <faultrun/control.h>

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct fr_run {
	struct fr_ctl *c;
	char path[PATH_MAX];
	dev_t dev; /* the block's file, to tell when it is removed or replaced */
	ino_t ino;
};

int frl_attach_block(const char *ctl, struct fr_run **out)
{
	struct fr_run *run;
	struct stat st;
	int ret;

	if (!ctl || !out)
		return -EINVAL;
	if (strlen(ctl) >= sizeof(run->path))
		return -ENAMETOOLONG;
	run = calloc(1, sizeof(*run));
	if (!run)
		return -ENOMEM;
	ret = fr_ctl_open(ctl, &run->c);
	if (ret < 0) {
		free(run);
		return ret;
	}
	memcpy(run->path, ctl, strlen(ctl) + 1);
	if (stat(ctl, &st) == 0) {
		run->dev = st.st_dev;
		run->ino = st.st_ino;
	}
	*out = run;
	return 0;
}

struct fr_ctl *frl_block(const struct fr_run *run)
{
	return run->c;
}

bool frl_run_ended(const struct fr_run *run)
{
	long pid = run->c->creator_pid;
	struct stat st;

	if (pid > 0 && kill((pid_t)pid, 0) < 0 && errno == ESRCH)
		return true;
	return stat(run->path, &st) < 0 || st.st_dev != run->dev || st.st_ino != run->ino;
}

FR_EXPORT void fr_run_detach(struct fr_run *run)
{
	if (!run)
		return;
	fr_ctl_close(run->c);
	free(run);
}

FR_EXPORT const char *fr_run_path(const struct fr_run *run)
{
	return run ? run->path : NULL;
}

FR_EXPORT uint64_t fr_run_seed(const struct fr_run *run)
{
	return run ? run->c->seed : 0;
}

static void fill(const struct fr_ctl_slot *s, struct fr_run_rule *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%.*s", (int)sizeof(s->rule.name), s->rule.name);
	fr_rule_format(&s->rule, out->spec, sizeof(out->spec));
	out->armed = atomic_load(&s->armed) ? 1 : 0;
	out->matched = atomic_load(&s->matched);
	out->injected = atomic_load(&s->injected);
	out->bytes = atomic_load(&s->bytes);
}

static bool slot_ready(const struct fr_ctl *c, unsigned i)
{
	return atomic_load_explicit(&c->slots[i].ready, memory_order_acquire) != 0;
}

FR_EXPORT int fr_run_rules(struct fr_run *run, struct fr_run_rule *rules, size_t max)
{
	unsigned n;
	int k = 0;

	if (!run || (max && !rules))
		return -EINVAL;
	n = fr_ctl_count(run->c);
	for (unsigned i = 0; i < n; i++) {
		if (!slot_ready(run->c, i))
			continue;
		if ((size_t)k < max)
			fill(&run->c->slots[i], &rules[k]);
		k++;
	}
	return k;
}

FR_EXPORT int fr_run_rule(struct fr_run *run, const char *name, struct fr_run_rule *out)
{
	int i;

	if (!run || !name || !out)
		return -EINVAL;
	i = fr_ctl_find(run->c, name);
	if (i < 0)
		return i;
	fill(&run->c->slots[i], out);
	return 0;
}

static int set_armed(struct fr_run *run, const char *pattern, bool armed)
{
	unsigned n;
	int hits = 0;

	if (!run || !pattern)
		return -EINVAL;
	n = fr_ctl_count(run->c);
	for (unsigned i = 0; i < n; i++) {
		char nm[FR_NAME_MAX + 1];

		if (!slot_ready(run->c, i))
			continue;
		snprintf(nm, sizeof(nm), "%.*s", FR_NAME_MAX, run->c->slots[i].rule.name);
		if (fr_glob_match(pattern, strlen(pattern), nm) &&
		    fr_ctl_set_armed(run->c, i, armed) == 0)
			hits++;
	}
	return hits ? hits : -ENOENT;
}

FR_EXPORT int fr_run_arm(struct fr_run *run, const char *pattern)
{
	return set_armed(run, pattern, true);
}

FR_EXPORT int fr_run_disarm(struct fr_run *run, const char *pattern)
{
	return set_armed(run, pattern, false);
}

FR_EXPORT int fr_run_add(struct fr_run *run, const char *spec, unsigned flags, char *err,
			 size_t errlen)
{
	struct fr_rule r;
	char why[512];
	int ret;

	if (err && errlen)
		err[0] = '\0';
	if (!run || !spec || (flags & ~FR_RUN_PAUSED))
		return -EINVAL;
	/* the index names a rule without name= ("rule3"), as exec's -f does */
	if (fr_spec_parse(spec, &r, fr_ctl_count(run->c), why, sizeof(why)) < 0) {
		if (err && errlen)
			snprintf(err, errlen, "%s", why);
		return -EINVAL;
	}
	ret = fr_ctl_add(run->c, &r, !(flags & FR_RUN_PAUSED));
	if (ret >= 0)
		return 0;
	if (err && errlen) {
		const char *msg = strerror(-ret);

		if (ret == -EEXIST)
			msg = "a rule with that name exists";
		else if (ret == -ENOSPC && fr_ctl_count(run->c) >= FR_MAX_RULES)
			msg = "the rule table is full (64 rules, removed ones included)";
		else if (ret == -ENOSPC)
			msg = "no room for the file table a disk rule needs: the block's file system "
			      "is full";
		snprintf(err, errlen, "%s", msg);
	}
	return ret;
}

FR_EXPORT int fr_run_remove(struct fr_run *run, const char *name)
{
	int i;

	if (!run || !name)
		return -EINVAL;
	i = fr_ctl_find(run->c, name);
	return i < 0 ? i : fr_ctl_remove(run->c, (unsigned)i);
}
