/*
 * A disk-full workload through stdio (test-disk-diff.sh): the ways C
 * programs log with FILE streams, on a real small tmpfs and under the
 * disk model. Prints one summary line per mode:
 *
 *   line DIR    fopen "a", fprintf + fflush per line (the error shows at
 *               fflush); counts what failed, then fclose
 *   buffer DIR  fopen "w", fprintf only: the stream flushes when its
 *               buffer fills (the error shows at the fprintf that fills
 *               it), the rest at fclose
 *   mixed DIR   fputs and fputc, then big fwrites (written past the
 *               buffer), then a line-buffered and an unbuffered stream,
 *               each filling the disk (the file before is removed)
 *   refill DIR  fills a file, empties it with fopen "w" (which frees its
 *               blocks), fills another: the same bytes both times
 *   exit DIR    printf to stdout redirected into DIR by the caller,
 *               nothing flushed by hand: exit() flushes
 *
 * Every count is printed, with errno names, so the two runs compare as
 * strings.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LINE "request %05d served in 12ms by worker 3, all fine\n"

static long size_of(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static const char *err_name(int r, int err)
{
	return r == 0 ? "ok" : strerrorname_np(err);
}

static FILE *open_or_die(const char *path, const char *mode)
{
	FILE *f = fopen(path, mode);

	if (!f) {
		perror(path);
		exit(2);
	}
	return f;
}

static void line_mode(const char *path)
{
	FILE *f = open_or_die(path, "a");
	int pe = 0, fe = 0, first = -1, r, err;

	for (int i = 0; i < 2000; i++) {
		if (fprintf(f, LINE, i) < 0)
			pe++;
		if (fflush(f) != 0) {
			fe++;
			if (first < 0)
				first = i;
			if (errno != ENOSPC || !ferror(f))
				printf("fflush: %s ferror %d\n", strerrorname_np(errno), ferror(f));
			clearerr(f);
		}
	}
	r = fclose(f);
	err = errno;
	printf("fprintf-err %d fflush-err %d first %d fclose %s bytes %ld\n", pe, fe, first,
	       err_name(r, err), size_of(path));
}

static void buffer_mode(const char *path)
{
	FILE *f = open_or_die(path, "w");
	int pe = 0, first = -1, r, err;

	for (int i = 0; i < 2000; i++) {
		if (fprintf(f, LINE, i) < 0) {
			if (first < 0)
				first = i;
			pe++;
		}
	}
	r = fclose(f);
	err = errno;
	printf("fprintf-err %d first %d fclose %s bytes %ld\n", pe, first, err_name(r, err),
	       size_of(path));
}

static void mixed_mode(const char *dir)
{
	char path[4200], big[10000];
	FILE *f;
	int e1 = 0, e2 = 0, e3 = 0, e4 = 0, e5 = 0, r1, r2, r3;
	size_t w, wsum = 0;
	long sa, sb;

	memset(big, 'b', sizeof(big));
	/* fputs and fputc into a fully buffered stream */
	snprintf(path, sizeof(path), "%s/a", dir);
	f = open_or_die(path, "w");
	for (int i = 0; i < 1500; i++) {
		if (fputs("a line through fputs, buffered\n", f) == EOF)
			e1++;
		for (int k = 0; k < 20; k++)
			if (fputc('c', f) == EOF)
				e2++;
	}
	r1 = fclose(f);
	sa = size_of(path);
	unlink(path);
	/* big fwrites: stdio writes them past its buffer */
	snprintf(path, sizeof(path), "%s/b", dir);
	f = open_or_die(path, "w");
	for (int i = 0; i < 8; i++) {
		w = fwrite(big, 1, sizeof(big), f);
		wsum += w;
		if (w < sizeof(big))
			e3++;
	}
	r2 = fclose(f);
	sb = size_of(path);
	unlink(path);
	/* line buffered, then unbuffered */
	snprintf(path, sizeof(path), "%s/c", dir);
	f = open_or_die(path, "w");
	setvbuf(f, NULL, _IOLBF, 0);
	for (int i = 0; i < 1500; i++)
		if (fprintf(f, LINE, i) < 0)
			e4++;
	setvbuf(f, NULL, _IONBF, 0);
	for (int i = 0; i < 100; i++)
		if (fputs("unbuffered\n", f) == EOF)
			e5++;
	r3 = fclose(f);
	printf("fputs-err %d fputc-err %d fclose %d a %ld | fwrite-short %d wrote %zu fclose %d "
	       "b %ld | lbf-err %d nbf-err %d fclose %d c %ld\n",
	       e1, e2, r1, sa, e3, wsum, r2, sb, e4, e5, r3,
	       size_of(path));
}

static void fill(const char *path, long *bytes, int *errs)
{
	FILE *f = open_or_die(path, "w");

	*errs = 0;
	for (int i = 0; i < 2000; i++)
		if (fprintf(f, LINE, i) < 0)
			(*errs)++;
	if (fclose(f) != 0)
		(*errs)++;
	*bytes = size_of(path);
}

static void refill_mode(const char *dir)
{
	char a[4200], b[4200];
	long b1, b2;
	int e1, e2;

	snprintf(a, sizeof(a), "%s/app.log", dir);
	snprintf(b, sizeof(b), "%s/app.log.1", dir);
	fill(a, &b1, &e1);
	/* emptied by fopen "w" alone: its blocks are free for another file */
	if (fclose(open_or_die(a, "w")) != 0)
		e1++;
	fill(b, &b2, &e2);
	printf("first %ld bytes %d errors, emptied to %ld, next %ld bytes %d errors\n", b1, e1,
	       size_of(a), b2, e2);
}

static void exit_mode(void)
{
	int pe = 0;

	for (int i = 0; i < 2000; i++)
		if (printf(LINE, i) < 0)
			pe++;
	fprintf(stderr, "printf-err %d\n", pe);
	/* exit() flushes stdout: its failure is not reported anywhere */
}

int main(int argc, char **argv)
{
	char path[4200];

	if (argc < 2) {
		fprintf(stderr, "usage: workload-stdio line|buffer|mixed|refill|exit [DIR]\n");
		return 2;
	}
	if (strcmp(argv[1], "exit") == 0) {
		exit_mode();
		return 0;
	}
	if (argc < 3)
		return 2;
	snprintf(path, sizeof(path), "%s/app.log", argv[2]);
	if (strcmp(argv[1], "line") == 0)
		line_mode(path);
	else if (strcmp(argv[1], "buffer") == 0)
		buffer_mode(path);
	else if (strcmp(argv[1], "mixed") == 0)
		mixed_mode(argv[2]);
	else if (strcmp(argv[1], "refill") == 0)
		refill_mode(argv[2]);
	else
		return 2;
	return 0;
}
