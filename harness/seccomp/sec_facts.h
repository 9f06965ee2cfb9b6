/* Reading a target's state for a decision (sec_facts.c). */
#ifndef FAULTRUN_SEC_FACTS_H
#define FAULTRUN_SEC_FACTS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* len bytes at addr in thread tid's memory: 0 or -errno. */
int sec_read_mem(int tid, uint64_t addr, void *buf, size_t len);
/* A NUL-terminated string at addr: 0, -ENAMETOOLONG (truncated) or -errno. */
int sec_read_str(int tid, uint64_t addr, char *buf, size_t len);
/* The kernel's path of tid's fd (readlink of /proc/TID/fd/N): 0 or -errno. */
int sec_fd_path(int tid, int fd, char *out, size_t len);
/* path made absolute against dirfd (AT_FDCWD: the cwd) of tid, and lexically normal. */
int sec_abspath(int tid, int dirfd, const char *path, char *out, size_t len);

struct sec_addr {
	struct sockaddr_storage ss;
	socklen_t len; /* 0: unknown */
};
/* A socket fd's peer and local addresses (pidfd_getfd of process tgid's fd). */
int sec_sock_addrs(int tgid, int fd, struct sec_addr *peer, struct sec_addr *local);
/* "127.0.0.1:3306", "[::1]:80", "unix:/run/x.sock", as the shim names a peer. */
void sec_addr_fmt(const struct sec_addr *a, char *out, size_t n);

struct sec_task_info {
	int tgid, ppid;
	unsigned uid;
};
int sec_task_info(int tid, struct sec_task_info *ti);
/* Basenames of /proc/TGID/exe and of argv[0]; /proc/TID/comm (the thread's name). */
void sec_exe_name(int tgid, char *out, size_t len);
void sec_argv0(int tgid, char *out, size_t len);
void sec_comm(int tid, char *out, size_t len);

#endif /* FAULTRUN_SEC_FACTS_H */
