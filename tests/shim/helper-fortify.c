/*
 * A target built -O2 -D_FORTIFY_SOURCE=2 (and Meson's
 * _FILE_OFFSET_BITS=64): it imports __open64_2, __read_chk and
 * __printf_chk rather than open, read and printf.
 *
 *   helper-fortify PATH FLAGS N
 *
 * opens PATH with FLAGS (not a constant: the fortified open), reads N
 * bytes into a 16-byte buffer (not a constant: __read_chk), and prints
 * one line per call with "ok" or the errno's name.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *res(int ok)
{
	return ok ? "ok" : strerrorname_np(errno);
}

int main(int argc, char **argv)
{
	char buf[16];
	int fd;
	ssize_t r;

	if (argc != 4)
		return 2;
	fd = open(argv[1], atoi(argv[2]));
	fprintf(stderr, "open=%s\n", res(fd >= 0));
	r = read(fd, buf, (size_t)atoi(argv[3]));
	fprintf(stderr, "read=%s\n", res(r >= 0));
	if (printf("printed %d\n", 42) < 0 || fflush(stdout) != 0)
		fprintf(stderr, "printf=%s\n", res(0));
	else
		fprintf(stderr, "printf=ok\n");
	return 0;
}
