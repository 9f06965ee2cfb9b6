/*
 * faultrun — a run's recording (recording.h): its verdict and the
 * assertions evaluated on it.
 */
#include "record/recording.h"

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

int fr_record_evaluate(struct fr_record *rec)
{
	int ret;

	if (!rec->started || rec->verdict == FR_ERROR)
		return 0;
	ret = fr_assert_eval(rec->s, &rec->facts, &rec->verdicts, &rec->nverdicts);
	if (ret < 0)
		return ret;
	rec->failed = 0;
	for (size_t i = 0; i < rec->nverdicts; i++)
		rec->failed += !rec->verdicts[i].ok;
	if (rec->failed && rec->verdict == FR_PASS)
		rec->verdict = FR_FAIL;
	return 0;
}

void fr_record_finish(struct fr_record *rec)
{
	for (size_t i = 0; i < rec->nseries; i++)
		fr_series_finish(&rec->series[i]);
	free(rec->series);
	for (size_t i = 0; rec->facts.faults && i < rec->facts.nfaults; i++)
		free(rec->facts.faults[i].win);
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
	free(rec->inj);
	fr_verdicts_free(rec->verdicts, rec->nverdicts);
	free(rec->error);
	free(rec->run_dir);
	free(rec->cwd);
	memset(rec, 0, sizeof(*rec));
}
