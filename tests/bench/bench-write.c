/*
 * Per-call cost of write(): N one-byte writes to PATH (default /dev/null).
 *
 *   bench-write N [PATH [fail]]
 *
 * With "fail" every write is expected to fail (an injected EIO): the cost
 * of an injected call.
 *
 * Prints "ns_per_call=X rss_kib=Y": the mean over the timed loop (after a
 * warm-up of N/10 calls that also lets the shim resolve the fd once) and
 * the resident set at the end. Run it plain and under the shim
 * (bench/shim-overhead.sh) to get the shim's cost.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long rss_kib(void)
{
	char line[256];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "VmRSS:", 6) == 0)
			kib = strtol(line + 6, NULL, 10);
	if (f)
		fclose(f);
	return kib;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	const char *path = argc > 2 ? argv[2] : "/dev/null";
	ssize_t want = argc > 3 && strcmp(argv[3], "fail") == 0 ? -1 : 1;
	struct timespec t0, t1;
	char c = 'x';
	int fd = open(path, O_WRONLY);
	double ns;

	if (fd < 0 || n <= 0) {
		fprintf(stderr, "bench-write: cannot open %s\n", path);
		return 1;
	}
	for (long i = 0; i < n / 10; i++)
		if (write(fd, &c, 1) != want)
			return 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++)
		if (write(fd, &c, 1) != want)
			return 1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ns = (double)(t1.tv_sec - t0.tv_sec) * 1e9 +
	     (double)(t1.tv_nsec - t0.tv_nsec);
	printf("ns_per_call=%.1f rss_kib=%ld\n", ns / (double)n, rss_kib());
	return 0;
}
