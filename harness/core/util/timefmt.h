/*
 * faultrun — clocks and time formats shared by the runner and the reports.
 */
#ifndef FAULTRUN_UTIL_TIMEFMT_H
#define FAULTRUN_UTIL_TIMEFMT_H

#include <stddef.h>

/* Seconds since the epoch, from CLOCK_REALTIME, with sub-second precision. */
double fr_wall_now(void);

/*
 * epoch (seconds) as ISO 8601 UTC with milliseconds,
 * "2026-12-02T17:40:00.123Z", into buf[len] (32 bytes are enough).
 */
void fr_iso_time(char *buf, size_t len, double epoch);

#endif /* FAULTRUN_UTIL_TIMEFMT_H */
