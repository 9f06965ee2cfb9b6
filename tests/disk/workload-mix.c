/*
 * A disk-full workload mixing the calls that take and give back space
 * (test-disk-diff.sh): overwrites, appends, writes at offsets, ftruncate
 * down and up, fallocate (plain and KEEP_SIZE), posix_fallocate, unlink of
 * a file still open and closed, rename over a file, a file punched with a
 * hole. Run in an empty directory on a 64 KiB file system; prints one line
 * per step, "step result free", where result is ok, "short N" or an errno
 * name and free is what statvfs reports, so a real tmpfs and the disk
 * model compare line by line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define KIB 1024L

static char dir[4096], buf[64 * KIB];

static const char *p(const char *name)
{
	static char out[4][4200];
	static int k;

	k = (k + 1) % 4;
	snprintf(out[k], sizeof(out[k]), "%s/%s", dir, name);
	return out[k];
}

static long freeb(void)
{
	struct statvfs s;

	if (statvfs(dir, &s) != 0)
		return -1;
	return (long)(s.f_bavail * s.f_frsize);
}

/* one step's line: r < 0 is errno, r < want a short count */
static void res(const char *what, long r, long want)
{
	if (r < 0)
		printf("%-32s %-8s free %ld\n", what, strerrorname_np(errno), freeb());
	else if (want >= 0 && r < want)
		printf("%-32s short %ld free %ld\n", what, r, freeb());
	else
		printf("%-32s ok       free %ld\n", what, freeb());
}

static int wopen(const char *name, int flags)
{
	int fd = open(p(name), O_RDWR | O_CREAT | O_CLOEXEC | flags, 0644);

	if (fd < 0) {
		perror(name);
		exit(2);
	}
	return fd;
}

/* appends of n bytes until one is short or fails; prints that one */
static void fill(int fd, long n, const char *what)
{
	long r, total = 0;

	while ((r = write(fd, buf, (size_t)n)) == n)
		total += r;
	res(what, r, n);
	if (r > 0)
		res("  and the next", write(fd, buf, (size_t)n), n);
	printf("  (%ld bytes before)\n", total);
}

int main(int argc, char **argv)
{
	int db, log, tmp, rd;

	if (argc != 2) {
		fprintf(stderr, "usage: workload-mix DIR\n");
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s", argv[1]);
	memset(buf, 'm', sizeof(buf));
	printf("start free %ld\n", freeb());

	/* a database file: written, then rewritten in place */
	db = wopen("db", 0);
	res("db: write 40000", write(db, buf, 40000), 40000);
	res("db: overwrite 20000 at 0", pwrite(db, buf, 20000, 0), 20000);
	res("db: pwrite 3000 at 38000", pwrite(db, buf, 3000, 38000), 3000);
	/* a log appended to until the disk is full */
	log = wopen("log", O_APPEND);
	fill(log, 1000, "log: append 1000 until full");
	res("db: overwrite 4096 at 8192", pwrite(db, buf, 4096, 8192), 4096);
	res("db: append 100 in its last block", pwrite(db, buf, 100, 41000), 100);
	res("db: fallocate 8192 at 41000", fallocate(db, 0, 41000, 8192), -1);
	/* the database shrinks: space for the rest */
	res("db: ftruncate 10000", ftruncate(db, 10000), -1);
	res("db: fallocate 8192 at 10000", fallocate(db, 0, 10000, 8192), -1);
	res("db: fallocate KEEP_SIZE 4096 at 40960",
	    fallocate(db, FALLOC_FL_KEEP_SIZE, 40960, 4096), -1);
	res("db: posix_fallocate 64 KiB", posix_fallocate(db, 0, 64 * KIB) ? -1 : 0, -1);
	res("db: ftruncate up to 1 MiB", ftruncate(db, 1024 * KIB), -1);
	res("db: ftruncate 20000", ftruncate(db, 20000), -1);
	/* rotation: a new file renamed over the log frees the old one */
	tmp = wopen("log.new", 0);
	res("log.new: write 6000", write(tmp, buf, 6000), 6000);
	close(tmp);
	res("rename log.new over log", rename(p("log.new"), p("log")), -1);
	res("old log: append 1000 (still open)", write(log, buf, 1000), 1000);
	close(log);
	res("old log closed", 0, -1);
	/* unlink of a file that is still open, then its close */
	tmp = wopen("spool", 0);
	fill(tmp, 4096, "spool: write 4096 until full");
	rd = open(p("spool"), O_RDONLY | O_CLOEXEC);
	close(tmp);
	res("unlink spool (held open)", unlink(p("spool")), -1);
	close(rd);
	res("spool closed", 0, -1);
	/* a truncate by path, an O_TRUNC open, a file with a hole */
	res("truncate db 4096 by path", truncate(p("db"), 4096), -1);
	close(wopen("log", O_TRUNC));
	res("open log O_TRUNC", 0, -1);
	tmp = wopen("sparse", 0);
	res("sparse: pwrite 100 at 40000", pwrite(tmp, buf, 100, 40000), 100);
	res("sparse: pwrite 100 at 0", pwrite(tmp, buf, 100, 0), 100);
	fill(tmp, 1000, "sparse: append until full");
	close(tmp);
	close(db);
	res("unlink db", unlink(p("db")), -1);
	res("unlink sparse", unlink(p("sparse")), -1);
	res("unlink log", unlink(p("log")), -1);
	return 0;
}
