/*
 * The CPU time of a command and everything it waited for, for tools/bench
 * (tests/bench/run-all.sh, the seccomp rows).
 *
 *   bench-rusage OUT CMD [ARGS]
 *
 * Runs CMD, waits for it with wait4(2) and appends "cpu_ns=X" (user +
 * system time of CMD and of the descendants it reaped, getrusage(2)'s
 * RUSAGE_CHILDREN semantics) to the file OUT; exits with CMD's status.
 * run-all.sh puts one outside `faultrun exec` and one inside it, around
 * the same command: the difference is faultrun's own CPU, which for the
 * seccomp backend is the supervisor answering every notification.
 * The line is written with writev(2): under `strace -e
 * inject=write:error=...` every write(2) of the process fails.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct rusage ru;
	char line[64];
	struct iovec iov = { line, 0 };
	int status, fd;
	pid_t pid;

	if (argc < 3) {
		fprintf(stderr, "usage: bench-rusage OUT CMD [ARGS]\n");
		return 2;
	}
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 125;
	}
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		perror(argv[2]);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) < 0) {
		perror("wait4");
		return 125;
	}
	iov.iov_len = (size_t)snprintf(
		line, sizeof(line), "cpu_ns=%lld\n",
		((long long)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
			((long long)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL);
	fd = open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0 || writev(fd, &iov, 1) != (ssize_t)iov.iov_len)
		perror(argv[1]);
	if (fd >= 0)
		close(fd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
