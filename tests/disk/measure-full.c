/*
 * What a real file system answers when it is full: run on an empty
 * mount point (a small tmpfs, a small ext4 image) by measure-full.sh.
 * Prints one line per call: "name result" where result is "ok", "short N"
 * or an errno name. The disk model (docs/faults.md, "disk") follows it.
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

static char dir[4096];

static const char *p(const char *name)
{
	static char buf[8][4200];
	static int k;

	k = (k + 1) % 8;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

static void res(const char *what, long r, long want)
{
	if (r < 0)
		printf("%-34s %s\n", what, strerrorname_np(errno));
	else if (want >= 0 && r < want)
		printf("%-34s short %ld of %ld\n", what, r, want);
	else
		printf("%-34s ok\n", what);
}

static long freeb(void)
{
	struct statvfs s;

	statvfs(dir, &s);
	return (long)(s.f_bavail * s.f_frsize);
}

/* fill the disk with "fill": appends of 1000 bytes until a write fails */
static void fill(const char *tag)
{
	static char buf[1000];
	int fd = open(p("fill"), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	long r, total = 0;
	char what[64];

	memset(buf, 'f', sizeof(buf));
	while ((r = write(fd, buf, sizeof(buf))) == (long)sizeof(buf))
		total += r;
	snprintf(what, sizeof(what), "%s: crossing write", tag);
	res(what, r, sizeof(buf));
	if (r > 0) {
		total += r;
		r = write(fd, buf, sizeof(buf));
		snprintf(what, sizeof(what), "%s: next write", tag);
		res(what, r, sizeof(buf));
	}
	printf("%-34s %ld bytes, %ld free\n", "  filled", total, freeb());
	snprintf(what, sizeof(what), "%s: fsync", tag);
	res(what, fsync(fd), -1);
	snprintf(what, sizeof(what), "%s: close", tag);
	res(what, close(fd), -1);
}

int main(int argc, char **argv)
{
	char big[5000];
	int fd, r;

	if (argc != 2)
		return 2;
	snprintf(dir, sizeof(dir), "%s", argv[1]);
	printf("%-34s %ld\n", "free at start", freeb());
	/* a file with a partly used last block, made before the disk fills */
	fd = open(p("partial"), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	res("write 100 to partial", write(fd, "x", 1) + write(fd, big, 99), 100);
	close(fd);
	fd = open(p("over"), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	memset(big, 'o', sizeof(big));
	res("write 3000 to over", write(fd, big, 3000), 3000);
	close(fd);
	mkdir(p("d"), 0755);
	fill("full");

	fd = open(p("partial"), O_WRONLY | O_APPEND | O_CLOEXEC);
	res("append 100 within last block", write(fd, big, 100), 100);
	res("append 4096 past last block", write(fd, big, 4096), 4096);
	close(fd);
	fd = open(p("over"), O_WRONLY | O_CLOEXEC);
	res("overwrite 3000 at 0", pwrite(fd, big, 3000, 0), 3000);
	res("pwrite 10 at 100000 (hole)", pwrite(fd, big, 10, 100000), 10);
	res("ftruncate up to 1 MiB", ftruncate(fd, 1 << 20), -1);
	res("pwrite 10 at 500000 (in hole)", pwrite(fd, big, 10, 500000), 10);
	res("ftruncate down to 3000", ftruncate(fd, 3000), -1);
	res("fallocate 4096 at 3000", fallocate(fd, 0, 3000, 4096), -1);
	res("fallocate KEEP_SIZE 4096 at 8192",
	    fallocate(fd, FALLOC_FL_KEEP_SIZE, 8192, 4096), -1);
	r = posix_fallocate(fd, 3000, 4096);
	errno = r;
	res("posix_fallocate 4096 at 3000", r ? -1 : 0, -1);
	res("fsync", fsync(fd), -1);
	res("close", close(fd), -1);

	fd = open(p("new"), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	res("open O_CREAT new file", fd, -1);
	if (fd >= 0) {
		res("write 1 to the new file", write(fd, "n", 1), 1);
		close(fd);
	}
	res("mkdir", mkdir(p("d2"), 0755), -1);
	res("mkdir inside d", mkdir(p("d/e"), 0755), -1);
	res("link", link(p("over"), p("over-link")), -1);
	res("symlink short target", symlink("over", p("sym-short")), -1);
	memset(big, 'a', 200);
	big[200] = '\0';
	res("symlink 200-byte target", symlink(big, p("sym-long")), -1);
	res("rename to a new name", rename(p("over"), p("over2")), -1);
	res("rename over an existing file", rename(p("over2"), p("partial")), -1);
	for (int i = 0; i < 200; i++) {
		char n[32];

		snprintf(n, sizeof(n), "many%d", i);
		fd = open(p(n), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0) {
			printf("%-34s %s after %d\n", "create 200 empty files", strerrorname_np(errno), i);
			break;
		}
		close(fd);
		if (i == 199)
			printf("%-34s ok\n", "create 200 empty files");
	}
	printf("%-34s %ld\n", "free before unlink", freeb());
	fd = open(p("fill"), O_RDONLY | O_CLOEXEC);
	res("unlink fill (held open)", unlink(p("fill")), -1);
	printf("%-34s %ld\n", "free, fill unlinked but open", freeb());
	close(fd);
	printf("%-34s %ld\n", "free after its close", freeb());
	fill("refill");
	/* "partial" is the old "over" now, also linked as "over-link" */
	res("unlink a file with 2 links", unlink(p("partial")), -1);
	printf("%-34s %ld\n", "free after it", freeb());
	res("unlink its last link", unlink(p("over-link")), -1);
	printf("%-34s %ld\n", "free after it", freeb());
	fill("nearly full");
	return 0;
}
