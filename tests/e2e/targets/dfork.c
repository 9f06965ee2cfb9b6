/*
 * A classic double-forking daemon, for tests/e2e/test-services-daemon.sh:
 * dfork PIDFILE [SECONDS]. The parent forks and exits 0 once the daemon
 * wrote its pidfile; the child leaves the session (setsid) and forks the
 * daemon, which closes its standard descriptors and sleeps (60 s by
 * default), so that only faultrun can end it early.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int p[2];
	char c;

	if (argc < 2 || pipe(p) < 0)
		return 2;
	pid_t pid = fork();
	if (pid < 0)
		return 1;
	if (pid > 0) {
		/* wait until the daemon runs and its pidfile is there */
		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			return 1;
		waitpid(pid, NULL, 0);
		return 0;
	}
	close(p[0]);
	setsid();
	pid = fork();
	if (pid < 0)
		_exit(1);
	if (pid > 0)
		_exit(0);
	FILE *f = fopen(argv[1], "w");
	if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f) != 0)
		_exit(1);
	if (write(p[1], "x", 1) != 1)
		_exit(1);
	close(p[1]);
	int null = open("/dev/null", O_RDWR);
	dup2(null, 0);
	dup2(null, 1);
	dup2(null, 2);
	sleep(argc > 2 ? (unsigned)atoi(argv[2]) : 60);
	return 0;
}
