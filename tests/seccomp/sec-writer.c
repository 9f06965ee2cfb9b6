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
 *   fill PATH      write(2) 3000 bytes of a pattern to PATH (O_TRUNC) in 300-byte
 *                  calls, each short write's rest written next: "fill PATH: ok 3000
 *                  short=K" or "fill PATH: ENAME N short=K" (N bytes were written)
 *   readhalf PATH  read(2) 100 bytes twice from PATH: "readhalf PATH: ok 50 50 off=100
 *                  second=X" (the counts, the fd's offset, the second read's first byte)
 *   delay PATH     thread A writes to PATH while thread B writes 5 times to PATH.b:
 *                  "delay PATH: ok b-first" when B's writes all returned before A's
 *   recv PORT      a connection to a listener on 127.0.0.1:PORT whose peer sent "hello":
 *                  recv(2) on it, "recv PORT: ok hello" (or the errno)
 *   recvto PORT    the same with SO_RCVTIMEO 300 ms
 *   recvnb PORT    the same with MSG_DONTWAIT
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
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

static void do_fill(const char *path)
{
	char buf[3000];
	long fd = syscall(SYS_openat, AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	size_t done = 0;
	int shorts = 0, e = 0;

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (char)('a' + i % 26);
	while (fd >= 0 && done < sizeof(buf)) {
		size_t want = sizeof(buf) - done < 300 ? sizeof(buf) - done : 300;
		long n = syscall(SYS_write, fd, buf + done, want);

		if (n < 0) {
			e = errno;
			break;
		}
		/* a short write: the rest goes with the next call, as dd does */
		shorts += (size_t)n < want;
		done += (size_t)n;
	}
	if (fd < 0)
		e = errno;
	printf("fill %s: %s %zu short=%d\n", path, e ? strerrorname_np(e) : "ok", done, shorts);
	fflush(stdout);
	close((int)fd);
}

static void do_readhalf(const char *path)
{
	char a[100], b[100];
	int fd = open(path, O_RDONLY);
	long n1, n2;

	if (fd < 0) {
		report("readhalf", path, errno);
		return;
	}
	n1 = syscall(SYS_read, fd, a, sizeof(a));
	n2 = syscall(SYS_read, fd, b, sizeof(b));
	printf("readhalf %s: ok %ld %ld off=%ld second=%c\n", path, n1, n2,
	       (long)lseek(fd, 0, SEEK_CUR), n2 > 0 ? b[0] : '-');
	fflush(stdout);
	close(fd);
}

static atomic_int b_done;

static void *writer_b(void *arg)
{
	char name[4096];
	int fd;

	snprintf(name, sizeof(name), "%s.b", (const char *)arg);
	fd = open(name, O_CREAT | O_WRONLY | O_APPEND, 0644);
	for (int i = 0; i < 5; i++)
		if (write(fd, "b\n", 2) < 0)
			break;
	close(fd);
	atomic_store(&b_done, 1);
	return NULL;
}

static void do_delay(const char *path)
{
	int fd = open(path, O_CREAT | O_WRONLY | O_APPEND, 0644), e, b_first;
	pthread_t t;

	pthread_create(&t, NULL, writer_b, (void *)path);
	e = write(fd, "a\n", 2) < 0 ? errno : 0;
	b_first = atomic_load(&b_done);
	pthread_join(t, NULL);
	close(fd);
	printf("delay %s: %s %s\n", path, e ? strerrorname_np(e) : "ok",
	       b_first ? "b-first" : "a-first");
	fflush(stdout);
}

/* A connection to 127.0.0.1:port whose peer has sent "hello"; recv on it. */
static void do_recv(const char *step, const char *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(atoi(port)) };
	int l = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0), one = 1, s;
	char buf[64] = "";
	long n;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 1) < 0 ||
	    connect(c, (struct sockaddr *)&sa, sizeof(sa)) < 0 || (s = accept(l, NULL, NULL)) < 0) {
		report(step, port, errno);
		return;
	}
	if (write(s, "hello", 5) != 5)
		exit(4);
	if (!strcmp(step, "recvto")) {
		struct timeval tv = { 0, 300 * 1000 };

		setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	n = recv(c, buf, sizeof(buf) - 1, !strcmp(step, "recvnb") ? MSG_DONTWAIT : 0);
	if (n < 0)
		report(step, port, errno);
	else
		printf("%s %s: ok %.*s\n", step, port, (int)n, buf);
	fflush(stdout);
	close(s);
	close(c);
	close(l);
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
		else if (!strcmp(step, "fill"))
			do_fill(arg);
		else if (!strcmp(step, "readhalf"))
			do_readhalf(arg);
		else if (!strcmp(step, "delay"))
			do_delay(arg);
		else if (!strncmp(step, "recv", 4))
			do_recv(step, arg);
		else
			return 2;
	}
	return 0;
}
