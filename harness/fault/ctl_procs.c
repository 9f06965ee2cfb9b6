/*
 * The control block's process accounting, reader side (linked into the
 * shim): each process that attaches lists itself in the block, and a
 * process that cannot attach says why over an abstract unix socket, so
 * faultrun can tell "no call matched" from "the shim never ran there".
 *
 * Like ctl.c, this runs inside the target: atomics, plain memory and raw
 * syscalls only, never malloc or a libc function the shim interposes.
 */
#define _GNU_SOURCE
#include <faultrun/control.h>
#include "ctl_internal.h"
#include "raw_syscall.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

/*
 * An executable's name into a table entry, cut to fit: the cut is meant
 * (the table holds basenames for reports), so not strncpy, whose
 * truncation GCC warns about under -Wstringop-truncation.
 */
static void copy_name(char *out, const char *name)
{
	size_t n = strnlen(name, FR_CTL_EXE_MAX - 1);

	memcpy(out, name, n);
	out[n] = '\0';
}

void fr_ctl_self_exe(char *out)
{
	char buf[4096];
	long n = fr_syscall(SYS_readlinkat, AT_FDCWD, "/proc/self/exe", buf, sizeof(buf) - 1);
	const char *base;

	if (n <= 0) {
		memcpy(out, "?", 2);
		return;
	}
	buf[n] = '\0';
	base = strrchr(buf, '/');
	base = base ? base + 1 : buf;
	copy_name(out, base);
}

void fr_ctl_register(struct fr_ctl *c, enum fr_proc_state state, const char *exe)
{
	uint32_t n = atomic_fetch_add_explicit(&c->nprocs, 1, memory_order_relaxed);
	struct fr_ctl_proc *p;

	if (n >= FR_CTL_PROCS)
		return; /* counted, not listed: faultrun says how many */
	p = &c->procs[n];
	atomic_store_explicit(&p->state, FR_PROC_BUSY, memory_order_relaxed);
	p->pid = (int32_t)fr_syscall(SYS_getpid);
	p->ppid = (int32_t)fr_syscall(SYS_getppid);
	p->uid = (uint32_t)fr_syscall(SYS_geteuid);
	p->time_ns = fr_now_ns();
	if (exe)
		copy_name(p->exe, exe);
	else
		fr_ctl_self_exe(p->exe);
	atomic_store_explicit(&p->state, state, memory_order_release);
}

int fr_ctl_register_left(struct fr_ctl *c, int pid, const char *path)
{
	uint32_t n = atomic_fetch_add_explicit(&c->nprocs, 1, memory_order_relaxed);
	const char *base = strrchr(path, '/');
	int32_t me = (int32_t)fr_syscall(SYS_getpid);
	struct fr_ctl_proc *p;

	if (n >= FR_CTL_PROCS)
		return -1;
	p = &c->procs[n];
	atomic_store_explicit(&p->state, FR_PROC_BUSY, memory_order_relaxed);
	p->pid = pid;
	/* an exec keeps our pid and parent; a spawned child's parent is us */
	p->ppid = pid == me ? (int32_t)fr_syscall(SYS_getppid) : me;
	p->uid = (uint32_t)fr_syscall(SYS_geteuid);
	p->time_ns = fr_now_ns();
	copy_name(p->exe, base ? base + 1 : path);
	atomic_store_explicit(&p->state, FR_PROC_LEFT, memory_order_release);
	return (int)n;
}

void fr_ctl_unregister(struct fr_ctl *c, int idx)
{
	if (idx >= 0 && (unsigned)idx < FR_CTL_PROCS)
		atomic_store_explicit(&c->procs[idx].state, FR_PROC_EMPTY, memory_order_release);
}

enum fr_refusal fr_ctl_refusal(const char *path, int err, char *why, size_t len)
{
	struct stat st;
	unsigned uid = (unsigned)fr_syscall(SYS_geteuid);
	bool have = fr_syscall(SYS_newfstatat, AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) == 0;

	switch (err) {
	case ENOENT:
		snprintf(why, len, "the control block %s does not exist", path);
		return FR_REFUSED_MISSING;
	case EACCES:
		if (have)
			snprintf(why, len,
				 "cannot open the control block: it belongs to uid %u (mode %03o), "
				 "this process runs as uid %u",
				 (unsigned)st.st_uid, (unsigned)(st.st_mode & 0777), uid);
		else
			snprintf(why, len,
				 "cannot reach the control block: a directory on its path is "
				 "closed to uid %u",
				 uid);
		return FR_REFUSED_UNREADABLE;
	case EPERM:
		if (have && st.st_uid != uid)
			snprintf(why, len, "the control block is owned by uid %u, not by uid %u",
				 (unsigned)st.st_uid, uid);
		else if (have && !S_ISREG(st.st_mode))
			snprintf(why, len, "the control block is not a regular file");
		else
			snprintf(why, len, "the control block is open to other users (mode %03o)",
				 have ? (unsigned)(st.st_mode & 0777) : 0u);
		return FR_REFUSED_FOREIGN;
	case EINVAL:
		snprintf(why, len,
			 "not a control block this shim can use (another faultrun version?)");
		return FR_REFUSED_INVALID;
	case ELOOP:
		snprintf(why, len, "the control block's path is a symbolic link");
		return FR_REFUSED_FOREIGN;
	default:
		snprintf(why, len, "cannot map the control block: %s", strerror(err));
		return FR_REFUSED_OTHER;
	}
}

/* FNV-1a: a stable short name for a long path */
void fr_ctl_report_name(const char *path, char *name, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (const unsigned char *p = (const void *)path; *p; p++)
		h = (h ^ *p) * 0x100000001b3ull;
	snprintf(name, len, "faultrun-report-%016llx", (unsigned long long)h);
}

void fr_ctl_report_refusal(const char *path, int err)
{
	struct fr_ctl_report m;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char name[64];
	size_t nl;
	long fd;

	memset(&m, 0, sizeof(m));
	m.magic = FR_REPORT_MAGIC;
	m.err = err;
	m.ppid = (int32_t)fr_syscall(SYS_getppid);
	m.refusal = fr_ctl_refusal(path, err, m.why, sizeof(m.why));
	fr_ctl_self_exe(m.exe);
	fr_ctl_report_name(path, name, sizeof(name));
	nl = strlen(name);
	/* abstract: sun_path[0] is NUL and the name is not NUL-terminated (unix(7)) */
	memcpy(sa.sun_path + 1, name, nl);
	fd = fr_syscall(SYS_socket, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return;
	fr_syscall(SYS_sendto, fd, &m, sizeof(m), MSG_NOSIGNAL, &sa,
		   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + nl));
	fr_syscall(SYS_close, fd);
}

struct fr_ctl *fr_ctl_join(const char *path, int *err)
{
	return fr_ctl_map(path, err);
}
