/*
 * Per-call cost of one file call, for tools/bench (tests/bench/run-all.sh).
 *
 *   bench-call CALL N
 *
 * CALL is one of:
 *   write   write(fd, 1 byte) to /dev/null
 *   read    read(fd, 1 byte) from /dev/zero
 *   fwrite  fwrite(1 byte) to a fully buffered /dev/null stream (the
 *           wrapper's own cost: most calls only copy into the buffer)
 *   open    open(PATH, O_RDONLY) + close, PATH the third argument
 *           (default /etc/hostname); one "call" is the pair
 *   fail    write(fd, 1 byte) to /dev/null, every one expected to fail
 *           (under a rule that injects EIO: the cost of an injected call)
 *   openw   open(PATH, O_WRONLY) + write(1 byte) + close: a file's first
 *           call after its open (a log line appended by opening the file)
 *
 * N/10 calls warm up first (the shim resolves the fd, compiles globs),
 * then N are timed. Prints "ns_per_call=X" with writev(2), not write(2):
 * `strace -e inject=write:error=...` fails every write(2) of the process,
 * this line's too. run-all.sh's callgrind runs take the difference of two
 * N, so the calls made are N + N/10.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/uio.h>
#include <unistd.h>

static void die(const char *what)
{
	perror(what);
	exit(1);
}

enum call { WRITE, FAIL, READ, FWRITE, OPEN, OPENW };

/* n calls; the switch is decided outside the timed work's system calls and
 * costs the same few instructions in every mode */
static void loop(enum call call, long n, int fd, FILE *f, const char *path)
{
	char c = 'x';

	for (long i = 0; i < n; i++) {
		switch (call) {
		case WRITE:
			if (write(fd, &c, 1) != 1)
				die("write");
			break;
		case FAIL:
			if (write(fd, &c, 1) != -1)
				die("write did not fail");
			break;
		case READ:
			if (read(fd, &c, 1) != 1)
				die("read");
			break;
		case FWRITE:
			if (fwrite(&c, 1, 1, f) != 1)
				die("fwrite");
			break;
		case OPEN: {
			int o = open(path, O_RDONLY);

			if (o < 0)
				die(path);
			close(o);
			break;
		}
		case OPENW: {
			int o = open(path, O_WRONLY);

			if (o < 0)
				die(path);
			if (write(o, &c, 1) != 1)
				die("write");
			close(o);
			break;
		}
		}
	}
}

int main(int argc, char **argv)
{
	const char *call = argc > 1 ? argv[1] : "write";
	long n = argc > 2 ? atol(argv[2]) : 100000;
	const char *path = argc > 3 ? argv[3] : "/etc/hostname";
	struct timespec t0, t1;
	FILE *f = NULL;
	int fd = -1;

	static const char *const names[] = { "write", "fail", "read", "fwrite", "open", "openw" };
	enum call k = OPENW + 1;

	for (enum call i = WRITE; i <= OPENW; i++)
		if (!strcmp(call, names[i]))
			k = i;
	if (k == READ)
		fd = open("/dev/zero", O_RDONLY);
	else if (k == FWRITE)
		f = fopen("/dev/null", "w");
	else if (k < OPEN)
		fd = open("/dev/null", O_WRONLY);
	if (n <= 0 || k > OPENW || (fd < 0 && !f && k < OPEN)) {
		fprintf(stderr, "usage: bench-call write|read|fwrite|open|openw|fail N [PATH]\n");
		return 2;
	}
	loop(k, n / 10, fd, f, path);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	loop(k, n, fd, f, path);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	char line[64];
	struct iovec iov = { line, 0 };

	iov.iov_len = (size_t)snprintf(
		line, sizeof(line), "ns_per_call=%.1f\n",
		((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) /
			(double)n);
	return writev(1, &iov, 1) == (ssize_t)iov.iov_len ? 0 : 1;
}
