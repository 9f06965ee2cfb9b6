/*
 * Per-call cost of open()+close() of one file: N pairs on PATH.
 *
 *   bench-open N PATH
 *
 * Prints "ns_per_call=X": the mean over the timed loop, after a warm-up
 * of N/10 pairs (the shim compiles each rule's glob on first use). Run it
 * plain and under the shim with rules armed for other paths
 * (bench/bench-open.sh) to get what matching paths costs an open.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static void pairs(long n, const char *path)
{
	for (long i = 0; i < n; i++) {
		int fd = open(path, O_RDONLY);

		if (fd < 0) {
			perror(path);
			exit(1);
		}
		close(fd);
	}
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	const char *path = argc > 2 ? argv[2] : "/etc/hostname";
	struct timespec t0, t1;

	pairs(n / 10, path);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pairs(n, path);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("ns_per_call=%.1f\n",
	       ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / (double)n);
	return 0;
}
