/*
 * faultrun — a run's recording (recording.h): its verdict and the
 * assertions evaluated on it.
 */
#include "record/recording.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *fr_verdict_name(enum fr_verdict_kind v)
{
	switch (v) {
	case FR_PASS:
		return "pass";
	case FR_FAIL:
		return "fail";
	case FR_ERROR:
		return "error";
	case FR_INTERRUPTED:
		return "interrupted";
	}
	return "?";
}

int fr_verdict_exit(enum fr_verdict_kind v)
{
	return v == FR_PASS ? 0 : v == FR_FAIL ? 1 : 3;
}

/*
 * Never silent: a run whose faults could not land everywhere fails. When
 * a process refused a control block (the target's, or that of a service
 * some fault is in), or no process ever attached it, a failed "attached"
 * verdict is added (one that
 * holds is not listed: every scenario would carry it). Returns 0 or -ENOMEM.
 */
static int check_attached(struct fr_record *rec, const struct fr_attach *a, const char *service)
{
	static const struct fr_expect attached = {
		.kind = FR_EXP_ATTACHED,
		.series = -1,
		.fault = -1,
		.implicit = true,
	};
	const struct fr_proc_info *first = NULL;
	struct fr_verdict *v;

	for (size_t i = 0; i < a->n && !first; i++)
		if (a->v[i].refused)
			first = &a->v[i];
	if (!first && fr_attach_count(a, false))
		return 0;
	v = reallocarray(rec->verdicts, rec->nverdicts + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	rec->verdicts = v;
	v = &v[rec->nverdicts++];
	memset(v, 0, sizeof(*v));
	v->e = &attached;
	v->lat = -1;
	if (service)
		snprintf(v->label, sizeof(v->label), "the shim reached every process of %s",
			 service);
	else
		snprintf(v->label, sizeof(v->label), "the shim reached every process");
	snprintf(v->bound, sizeof(v->bound), "no refusal");
	if (first) {
		size_t refused = fr_attach_count(a, true);

		fr_attach_refusal_text(first, v->measured, sizeof(v->measured));
		if (refused > 1) {
			size_t off = strlen(v->measured);

			snprintf(v->measured + off, sizeof(v->measured) - off, " (and %zu more)",
				 refused - 1);
		}
	} else {
		snprintf(v->measured, sizeof(v->measured), "no process attached the control block");
	}
	return 0;
}

int fr_record_evaluate(struct fr_record *rec)
{
	int ret;

	if (!rec->started || rec->verdict == FR_ERROR)
		return 0;
	ret = fr_assert_eval(rec->s, &rec->facts, &rec->verdicts, &rec->nverdicts);
	if (ret < 0)
		return ret;
	/* the target's block: as before services existed; each service's with a fault in it */
	ret = rec->shim && rec->s->nfaults ? check_attached(rec, &rec->attach, NULL) : 0;
	for (size_t i = 0; !ret && i < rec->nsvcs; i++)
		if (rec->svcs[i].name && rec->svcs[i].shim && rec->svcs[i].faults)
			ret = check_attached(rec, &rec->svcs[i].attach, rec->svcs[i].name);
	if (ret < 0)
		return ret;
	rec->failed = 0;
	/*
	 * An interrupted run is an error, not a failure: its windows were cut
	 * short ("no samples in the window" says nothing about the service),
	 * so what was measured is kept but nothing is judged.
	 */
	for (size_t i = 0; i < rec->nverdicts; i++) {
		rec->verdicts[i].unjudged = rec->verdict == FR_INTERRUPTED;
		rec->failed += !rec->verdicts[i].ok && !rec->verdicts[i].unjudged;
	}
	if (rec->failed && rec->verdict == FR_PASS)
		rec->verdict = FR_FAIL;
	return 0;
}

void fr_record_finish(struct fr_record *rec)
{
	for (size_t i = 0; i < rec->nseries; i++)
		fr_series_finish(&rec->series[i]);
	free(rec->series);
	for (size_t i = 0; rec->facts.faults && i < rec->facts.nfaults; i++) {
		free(rec->facts.faults[i].win);
		for (size_t p = 0; rec->facts.faults[i].why && p < rec->facts.nprocs; p++)
			free(rec->facts.faults[i].why[p]);
		free(rec->facts.faults[i].why);
	}
	free(rec->facts.faults);
	free(rec->fault_specs);
	for (size_t i = 0; i < rec->nlc; i++)
		free(rec->lc[i].detail);
	free(rec->lc);
	for (size_t i = 0; i < rec->ntail; i++)
		free(rec->tail[i]);
	free(rec->tail);
	for (size_t i = 0; i < rec->ntl; i++)
		free(rec->tl[i].detail);
	free(rec->tl);
	fr_inj_log_finish(&rec->inj);
	fr_attach_finish(&rec->attach);
	for (size_t i = 0; i < rec->nsvcs; i++) {
		fr_attach_finish(&rec->svcs[i].attach);
		for (size_t k = 0; k < rec->svcs[i].ntail; k++)
			free(rec->svcs[i].tail[k]);
		free(rec->svcs[i].tail);
	}
	free(rec->svcs);
	free(rec->proc_restarts);
	free(rec->proc_exits);
	free(rec->proc_attach);
	fr_verdicts_free(rec->verdicts, rec->nverdicts);
	free(rec->error);
	free(rec->run_dir);
	free(rec->cwd);
	memset(rec, 0, sizeof(*rec));
}
