/*
 * What faultrun reads of a target to decide one of its calls: a string or
 * a structure in its memory (process_vm_readv(2)), a path made absolute
 * against its working directory or a directory fd (/proc/TID/cwd,
 * /proc/TID/fd/N), the kernel's path of an fd, a socket's addresses
 * (pidfd_getfd(2) and getpeername(2) on our copy, closed at once), and
 * which process a thread belongs to.
 *
 * Everything is read after the call stopped and may change under us in a
 * multithreaded target (docs/seccomp.md, "What a notification can tell"):
 * faultrun only ever decides to fail the call or let it go on, never makes
 * it with what it read, so a race changes which rule matched, nothing else.
 */
#define _GNU_SOURCE
#include "sec_facts.h"
#include "glob.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

int sec_read_mem(int tid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { .iov_base = buf, .iov_len = len };
	struct iovec remote = { .iov_base = (void *)(uintptr_t)addr, .iov_len = len };
	ssize_t n = process_vm_readv(tid, &local, 1, &remote, 1, 0);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EFAULT;
}

int sec_read_str(int tid, uint64_t addr, char *buf, size_t len)
{
	size_t got = 0;

	if (!addr)
		return -EFAULT;
	/* a page at a time: the string may end just before an unmapped page */
	while (got + 1 < len) {
		uint64_t at = addr + got;
		size_t chunk = 4096 - (size_t)(at & 4095);

		if (chunk > len - 1 - got)
			chunk = len - 1 - got;
		int r = sec_read_mem(tid, at, buf + got, chunk);
		if (r < 0)
			return r;
		char *nul = memchr(buf + got, '\0', chunk);
		if (nul)
			return 0;
		got += chunk;
	}
	buf[len - 1] = '\0';
	return -ENAMETOOLONG;
}

int sec_fd_path(int tid, int fd, char *out, size_t len)
{
	static const char deleted[] = " (deleted)";
	const size_t dl = sizeof(deleted) - 1;
	char name[64];
	ssize_t n;

	if (fd < 0)
		return -EBADF;
	snprintf(name, sizeof(name), "/proc/%d/fd/%d", tid, fd);
	n = readlink(name, out, len - 1);
	if (n < 0)
		return -errno;
	if ((size_t)n >= len - 1)
		return -ENAMETOOLONG;
	out[n] = '\0';
	/* as the shim reports it (shim_fd_path) */
	if ((size_t)n > dl && out[0] == '/' && memcmp(out + n - dl, deleted, dl) == 0)
		out[n - dl] = '\0';
	return 0;
}

int sec_abspath(int tid, int dirfd, const char *path, char *out, size_t len)
{
	size_t bl = 0, pl = strlen(path);

	if (path[0] != '/') {
		char name[64];
		ssize_t n;

		if (dirfd == AT_FDCWD)
			snprintf(name, sizeof(name), "/proc/%d/cwd", tid);
		else
			snprintf(name, sizeof(name), "/proc/%d/fd/%d", tid, dirfd);
		n = readlink(name, out, len - 1);
		if (n <= 0 || out[0] != '/' || (size_t)n + 1 >= len)
			return -ENOENT;
		bl = (size_t)n;
		out[bl++] = '/';
	}
	if (bl + pl + 1 > len)
		return -ENAMETOOLONG;
	memcpy(out + bl, path, pl + 1);
	fr_path_normalize(out);
	return 0;
}

int sec_sock_addrs(int tgid, int fd, struct sec_addr *peer, struct sec_addr *local)
{
	int pidfd = (int)syscall(SYS_pidfd_open, tgid, 0), mine, e = 0;

	peer->len = local->len = 0;
	if (pidfd < 0)
		return -errno;
	mine = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	if (mine < 0)
		e = -errno;
	close(pidfd);
	if (mine < 0)
		return e;
	peer->len = sizeof(peer->ss);
	if (getpeername(mine, (struct sockaddr *)&peer->ss, &peer->len) < 0)
		peer->len = 0;
	local->len = sizeof(local->ss);
	if (getsockname(mine, (struct sockaddr *)&local->ss, &local->len) < 0)
		local->len = 0;
	close(mine);
	return 0;
}

void sec_addr_fmt(const struct sec_addr *a, char *out, size_t n)
{
	const struct sockaddr *sa = (const struct sockaddr *)&a->ss;
	char s[INET6_ADDRSTRLEN];

	out[0] = '\0';
	if (a->len < sizeof(sa_family_t))
		return;
	if (sa->sa_family == AF_INET && a->len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const void *)sa;

		if (inet_ntop(AF_INET, &in->sin_addr, s, sizeof(s)))
			snprintf(out, n, "%s:%u", s, ntohs(in->sin_port));
	} else if (sa->sa_family == AF_INET6 && a->len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		if (inet_ntop(AF_INET6, &in6->sin6_addr, s, sizeof(s)))
			snprintf(out, n, "[%s]:%u", s, ntohs(in6->sin6_port));
	} else if (sa->sa_family == AF_UNIX) {
		const struct sockaddr_un *un = (const void *)sa;
		size_t pl = a->len - offsetof(struct sockaddr_un, sun_path);

		if (pl > sizeof(un->sun_path))
			pl = sizeof(un->sun_path);
		snprintf(out, n, "unix:%.*s", (int)strnlen(un->sun_path, pl), un->sun_path);
	}
}

/* The value of "Key:\t..." in /proc/TID/status text, as a number (the first of several). */
static long status_field(const char *text, const char *key)
{
	const char *p = strstr(text, key);

	return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

int sec_task_info(int tid, struct sec_task_info *ti)
{
	char path[64], text[2048];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	text[n] = '\0';
	ti->tgid = (int)status_field(text, "\nTgid:");
	ti->ppid = (int)status_field(text, "\nPPid:");
	/* Uid: real, effective, ...: the effective one, as fr_ctl_register takes */
	const char *u = strstr(text, "\nUid:");
	ti->uid = 0;
	if (u) {
		char *end;

		strtoul(u + 5, &end, 10);
		ti->uid = (unsigned)strtoul(end, NULL, 10);
	}
	return ti->tgid > 0 ? 0 : -EIO;
}

void sec_exe_name(int tgid, char *out, size_t len)
{
	char path[64], buf[4096];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/exe", tgid);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n <= 0) {
		snprintf(out, len, "?");
		return;
	}
	buf[n] = '\0';
	const char *base = strrchr(buf, '/');
	snprintf(out, len, "%s", base ? base + 1 : buf);
}

void sec_comm(int tid, char *out, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/comm", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, out, len - 1);
	close(fd);
	out[n > 0 ? n : 0] = '\0';
	out[strcspn(out, "\n")] = '\0';
}

void sec_argv0(int tgid, char *out, size_t len)
{
	char path[64], buf[4096];
	ssize_t n;
	int fd;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/cmdline", tgid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	const char *base = strrchr(buf, '/');
	snprintf(out, len, "%s", base ? base + 1 : buf);
}
