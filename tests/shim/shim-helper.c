/*
 * Helper for test-shim-process: a process tree whose members all start
 * before the test arms its rule, then write once when told to.
 *
 *   shim-helper tree DIR
 *
 * "parent" forks "forked" and a child that execs `shim-helper leaf DIR`
 * ("exec"), which forks "grandchild". Each member creates DIR/ready-ROLE,
 * waits for DIR/go, writes one byte to DIR/match/ROLE and records "ok" or
 * the errno's name in DIR/result-ROLE. Parents wait for their children.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *dir;

static void put(const char *name, const char *text)
{
	char p[4096];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0) {
		if (write(fd, text, strlen(text)) < 0)
			exit(3);
		close(fd);
	}
}

static void member(const char *role)
{
	char p[4096], name[64];
	struct timespec ts = { 0, 5 * 1000 * 1000 };
	int fd, i;

	snprintf(name, sizeof(name), "ready-%s", role);
	put(name, "");
	snprintf(p, sizeof(p), "%s/go", dir);
	for (i = 0; i < 2000 && access(p, F_OK) != 0; i++)
		nanosleep(&ts, NULL);
	snprintf(p, sizeof(p), "%s/match/%s", dir, role);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	snprintf(name, sizeof(name), "result-%s", role);
	if (fd < 0)
		put(name, "open failed");
	else if (write(fd, "x", 1) == 1)
		put(name, "ok");
	else
		put(name, strerrorname_np(errno));
}

static void reap(void)
{
	while (wait(NULL) > 0)
		;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	dir = argv[2];
	if (strcmp(argv[1], "leaf") == 0) {
		if (fork() == 0) {
			member("grandchild");
			_exit(0);
		}
		member("exec");
		reap();
		return 0;
	}
	if (strcmp(argv[1], "tree") != 0)
		return 2;
	if (fork() == 0) {
		member("forked");
		_exit(0);
	}
	if (fork() == 0) {
		execl("/proc/self/exe", "shim-helper", "leaf", dir, (char *)NULL);
		_exit(127);
	}
	member("parent");
	reap();
	return 0;
}
