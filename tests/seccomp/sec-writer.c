/*
 * A statically linked test program for the seccomp backend (no
 * LD_PRELOAD reaches it). Each argument is one step; each step prints one
 * line "STEP ARG: ok" or "STEP ARG: ENAME", so a test compares lines.
 *
 *   write PATH     open(O_CREAT|O_WRONLY|O_APPEND) through libc, then write(2)
 *   rawwrite PATH  the same with syscall(SYS_openat) and syscall(SYS_write)
 *   open PATH      open(O_RDONLY)
 *   connect PORT   listen on 127.0.0.1:PORT, then connect(2) to it
 *   touch PATH     create PATH (a signal to the test script)
 *   wait PATH      wait until PATH exists (at most 20 s: then exit 3)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static void report(const char *step, const char *arg, int err)
{
	printf("%s %s: %s\n", step, arg, err ? strerrorname_np(err) : "ok");
	fflush(stdout);
}

static int do_write(const char *path, int raw)
{
	long fd = raw ? syscall(SYS_openat, AT_FDCWD, path, O_CREAT | O_WRONLY | O_APPEND, 0644) :
			open(path, O_CREAT | O_WRONLY | O_APPEND, 0644);
	long n;
	int e;

	if (fd < 0)
		return errno;
	n = raw ? syscall(SYS_write, fd, "x\n", 2) : write((int)fd, "x\n", 2);
	e = n < 0 ? errno : 0;
	close((int)fd);
	return e;
}

static int do_open(const char *path)
{
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static int do_connect(const char *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(atoi(port)) };
	int l = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0), one = 1, e;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 1) < 0)
		return errno;
	e = connect(c, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? errno : 0;
	close(c);
	close(l);
	return e;
}

static int do_wait(const char *path)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	for (int i = 0; i < 1000; i++) {
		if (access(path, F_OK) == 0)
			return 0;
		nanosleep(&ts, NULL);
	}
	exit(3);
}

int main(int argc, char **argv)
{
	for (int i = 1; i + 1 < argc; i += 2) {
		const char *step = argv[i], *arg = argv[i + 1];

		if (!strcmp(step, "write"))
			report(step, arg, do_write(arg, 0));
		else if (!strcmp(step, "rawwrite"))
			report(step, arg, do_write(arg, 1));
		else if (!strcmp(step, "open"))
			report(step, arg, do_open(arg));
		else if (!strcmp(step, "connect"))
			report(step, arg, do_connect(arg));
		else if (!strcmp(step, "touch"))
			close(open(arg, O_CREAT | O_WRONLY, 0644));
		else if (!strcmp(step, "wait"))
			do_wait(arg);
		else
			return 2;
	}
	return 0;
}
