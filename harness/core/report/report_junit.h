/*
 * faultrun — the JUnit testcases of a scenario's assertions (report_junit.c).
 */
#ifndef FAULTRUN_REPORT_JUNIT_H
#define FAULTRUN_REPORT_JUNIT_H

#include "record/recording.h"
#include "util/strbuf.h"

/* One <testcase> per verdict; why: the run's error, for those not judged. */
void fr_junit_testcases(struct fr_buf *b, const struct fr_record *r, const char *why);

/* How many verdicts were not judged (an interrupted run): <skipped>. */
unsigned fr_junit_skipped(const struct fr_record *r);

#endif /* FAULTRUN_REPORT_JUNIT_H */
