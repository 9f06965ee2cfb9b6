/*
 * faultrun — clocks and time formats (timefmt.h).
 */
#include "util/timefmt.h"

#include <stdio.h>
#include <time.h>

double fr_wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void fr_iso_time(char *buf, size_t len, double epoch)
{
	time_t t = (time_t)epoch;
	struct tm tm;
	size_t n;

	gmtime_r(&t, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03dZ", (int)((epoch - (double)t) * 1000.0));
}
