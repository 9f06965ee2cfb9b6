/*
 * Which system calls an operation is, the filter that sends them to
 * faultrun, and handing its listener from the child to faultrun.
 *
 * The filter (seccomp(2), "Filter return values"): a call from another
 * architecture than x86-64, or an x32 one (the X32_SYSCALL_BIT), kills the
 * process, since its numbers are not the ones we check and it would pass
 * unseen (the kernel's Documentation/userspace-api/seccomp_filter.rst
 * recommends checking arch first); a call of an operation some rule uses
 * goes to faultrun (SECCOMP_RET_USER_NOTIF); anything else is allowed.
 */
#define _GNU_SOURCE
#include "sec_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef __x86_64__
#error "the seccomp backend knows x86-64's system call numbers only"
#endif

#define X32_SYSCALL_BIT 0x40000000u

#define OP(x) FR_OP_##x
/* name, operation, the socket operation it is on a socket, fd, dirfd, path, dirfd2, path2, flags, addr */
#define CALL(n, o, a, fd, d, p, d2, p2, fl, ad)                     \
	{                                                           \
		SYS_##n, #n, OP(o), OP(a), fd, d, p, d2, p2, fl, ad \
	}
#define FDCALL(n, o, a, fd) CALL(n, o, a, fd, -1, -1, -1, -1, -1, -1)
#define PATHCALL(n, o, d, p) CALL(n, o, o, -1, d, p, -1, -1, -1, -1)

static const struct sec_call calls[] = {
	/* opens (creat: O_CREAT|O_WRONLY|O_TRUNC; openat2: flags in struct open_how) */
	CALL(open, OPEN, OPEN, -1, -1, 0, -1, -1, 1, -1),
	CALL(creat, OPEN, OPEN, -1, -1, 0, -1, -1, -2, -1),
	CALL(openat, OPEN, OPEN, -1, 0, 1, -1, -1, 2, -1),
	CALL(openat2, OPEN, OPEN, -1, 0, 1, -1, -1, -3, -1),
	/* reads and writes; on a socket they are recv and send */
	FDCALL(read, READ, RECV, 0),
	FDCALL(pread64, READ, RECV, 0),
	FDCALL(readv, READ, RECV, 0),
	FDCALL(preadv, READ, RECV, 0),
	FDCALL(preadv2, READ, RECV, 0),
	FDCALL(write, WRITE, SEND, 0),
	FDCALL(pwrite64, WRITE, SEND, 0),
	FDCALL(writev, WRITE, SEND, 0),
	FDCALL(pwritev, WRITE, SEND, 0),
	FDCALL(pwritev2, WRITE, SEND, 0),
	/* in-kernel copies: decided on the fd they write to, as the shim does */
	FDCALL(sendfile, WRITE, SEND, 0),
	FDCALL(copy_file_range, WRITE, WRITE, 2),
	FDCALL(splice, WRITE, SEND, 2),
	FDCALL(fsync, FSYNC, FSYNC, 0),
	FDCALL(fdatasync, FSYNC, FSYNC, 0),
	FDCALL(sync_file_range, FSYNC, FSYNC, 0),
	FDCALL(syncfs, FSYNC, FSYNC, 0),
	PATHCALL(truncate, TRUNCATE, -1, 0),
	FDCALL(ftruncate, TRUNCATE, TRUNCATE, 0),
	FDCALL(fallocate, ALLOCATE, ALLOCATE, 0),
	CALL(rename, RENAME, RENAME, -1, -1, 0, -1, 1, -1, -1),
	CALL(renameat, RENAME, RENAME, -1, 0, 1, 2, 3, -1, -1),
	CALL(renameat2, RENAME, RENAME, -1, 0, 1, 2, 3, -1, -1),
	PATHCALL(unlink, UNLINK, -1, 0),
	PATHCALL(rmdir, UNLINK, -1, 0),
	PATHCALL(unlinkat, UNLINK, 0, 1),
	PATHCALL(mkdir, MKDIR, -1, 0),
	PATHCALL(mkdirat, MKDIR, 0, 1),
	/* links are decided on the new name (wrap_fs.c) */
	PATHCALL(link, LINK, -1, 1),
	PATHCALL(linkat, LINK, 2, 3),
	PATHCALL(symlink, LINK, -1, 1),
	PATHCALL(symlinkat, LINK, 1, 2),
	CALL(connect, CONNECT, CONNECT, 0, -1, -1, -1, -1, -1, 1),
	FDCALL(accept, ACCEPT, ACCEPT, 0),
	FDCALL(accept4, ACCEPT, ACCEPT, 0),
	FDCALL(sendto, SEND, SEND, 0),
	FDCALL(sendmsg, SEND, SEND, 0),
	FDCALL(sendmmsg, SEND, SEND, 0),
	FDCALL(recvfrom, RECV, RECV, 0),
	FDCALL(recvmsg, RECV, RECV, 0),
	FDCALL(recvmmsg, RECV, RECV, 0),
	/* free space over a disk or budget rule's tree (sec_statfs.c): buf is argument 1 */
	PATHCALL(statfs, STATFS, -1, 0),
	FDCALL(fstatfs, STATFS, STATFS, 0),
	/* an io_uring rule fails it; with file or socket rules, a ring is counted */
	FDCALL(io_uring_setup, IO_URING, IO_URING, -1),
	/*
	 * no operation: an exec changes the program a process runs, which
	 * the summary names (the next call of that process reads it again)
	 */
	FDCALL(execve, COUNT, COUNT, -1),
	FDCALL(execveat, COUNT, COUNT, -1),
};

#define NCALLS (sizeof(calls) / sizeof(calls[0]))

const struct sec_call *sec_call_find(int nr)
{
	for (size_t i = 0; i < NCALLS; i++)
		if (calls[i].nr == nr)
			return &calls[i];
	return NULL;
}

/* the operations some system call is: the rest (resolve) cannot be filtered */
static uint32_t filterable_ops(void)
{
	uint32_t m = 0;

	for (size_t i = 0; i < NCALLS; i++)
		if (calls[i].op != FR_OP_COUNT)
			m |= FR_OPBIT(calls[i].op);
	return m;
}

bool sec_action_ok(const struct fr_rule *r, enum fr_op op)
{
	/*
	 * per=connection, rate= and close-after=SIZE need the shim's
	 * per-connection state or every call's result, which an answer does
	 * not see
	 */
	if ((r->flags & FR_RULE_PER_CONN) || r->rate || r->close_bytes)
		return false;
	switch (r->action) {
	case FR_ACT_ERRNO:
		return r->err > 0;
	case FR_ACT_RESET:
	case FR_ACT_REFUSE:
	case FR_ACT_DISK:
	case FR_ACT_DELAY:
	case FR_ACT_SHORT:
	case FR_ACT_BUDGET:
		return true;
	case FR_ACT_BLACKHOLE:
		/* a connect's SYN would have to be held: not yet, as stall's */
		return op != FR_OP_CONNECT;
	case FR_ACT_CLOSE:
		return r->close_ns != 0; /* close-after=DURATION (sec_limit.c) */
	case FR_ACT_STALL:
		/*
		 * a held connect would have to start the handshake underneath
		 * (docs/faults.md): not yet
		 */
		return op != FR_OP_CONNECT;
	default:
		return false;
	}
}

/* Why rule r cannot apply under this backend (ops: the filter's, or every filterable one). */
static const char *why_not(const struct fr_rule *r, uint32_t ops, char *buf, size_t len)
{
	/*
	 * a disk's statfs is what statvfs reports, not a call it needs: a
	 * disk `ctl add` publishes into a filter without statfs still
	 * charges writes (df then shows the real file system: docs/seccomp.md)
	 */
	uint32_t want = r->action == FR_ACT_DISK ? r->ops & ~FR_OPBIT(FR_OP_STATFS) : r->ops;
	uint32_t outside = want & ~ops, bad = want & ~filterable_ops();

	if (r->action != FR_ACT_ERRNO && r->action != FR_ACT_DELAY && r->action != FR_ACT_SHORT &&
	    r->action != FR_ACT_BUDGET && r->action != FR_ACT_STALL && r->action != FR_ACT_RESET &&
	    r->action != FR_ACT_REFUSE && r->action != FR_ACT_DISK &&
	    r->action != FR_ACT_BLACKHOLE && r->action != FR_ACT_CLOSE)
		snprintf(buf, len,
			 "the seccomp backend cannot do '%s' yet (errno=, delay=, short, slice=, "
			 "budget=, stall, reset, refuse, disk, blackhole and close-after=DURATION "
			 "only)",
			 fr_action_name(r->action));
	else if (r->rate)
		snprintf(buf, len, "the seccomp backend cannot do rate= yet");
	else if (r->close_bytes)
		snprintf(buf, len,
			 "the seccomp backend cannot do close-after=SIZE (counting bytes needs "
			 "every call's result); close-after=DURATION works");
	else if ((r->action == FR_ACT_STALL || r->action == FR_ACT_BLACKHOLE) &&
		 (r->ops & FR_OPBIT(FR_OP_CONNECT)))
		snprintf(buf, len, "the seccomp backend cannot %s 'connect' yet",
			 r->action == FR_ACT_STALL ? "stall" : "blackhole");
	else if (bad)
		snprintf(buf, len, "the seccomp backend cannot see '%s': it is not a system call",
			 fr_op_name((enum fr_op)__builtin_ctz(bad)));
	else if (r->flags & FR_RULE_PER_CONN)
		snprintf(buf, len, "the seccomp backend cannot do per=connection yet");
	else if (outside)
		snprintf(buf, len,
			 "'%s' is outside the seccomp filter installed at start (the operations "
			 "of the -f rules): it cannot fire in this run",
			 fr_op_name((enum fr_op)__builtin_ctz(outside)));
	else
		return NULL;
	return buf;
}

int fr_sec_rule_supported(const struct fr_rule *r, char *err, size_t len)
{
	char why[200];

	if (!why_not(r, filterable_ops(), why, sizeof(why)))
		return 0;
	snprintf(err, len, "rule '%.*s': %s; use --backend preload", (int)sizeof(r->name), r->name,
		 why);
	return -ENOTSUP;
}

const char *sec_rule_unsupported(const struct fr_sec *s, const struct fr_rule *r, char *buf,
				 size_t len)
{
	return why_not(r, s->ops, buf, len);
}

/* Append one instruction. */
static void emit(struct sock_filter *p, unsigned short *n, struct sock_filter ins)
{
	p[(*n)++] = ins;
}

int fr_sec_create(const struct fr_rule *rules, unsigned n, struct fr_sec **out)
{
	struct fr_sec *s = calloc(1, sizeof(*s));
	unsigned short k = 0;
	size_t traps = 0;

	if (!s)
		return -ENOMEM;
	s->listener = -1;
	for (unsigned i = 0; i < n; i++) {
		s->ops |= rules[i].ops;
		/* df over a disk or a budget reports it (sec_statfs.c) */
		if (rules[i].action == FR_ACT_DISK || rules[i].action == FR_ACT_BUDGET)
			s->ops |= FR_OPBIT(FR_OP_STATFS);
	}
	/*
	 * a ring's I/O makes none of the calls a file or socket rule waits
	 * for: its setup is watched, to say so (and an io_uring rule that
	 * `faultrun ctl add` publishes later then applies too)
	 */
	if (s->ops & (FR_OPS_IO | FR_OPS_NET))
		s->ops |= FR_OPBIT(FR_OP_IO_URING);
	s->prog = calloc(NCALLS * 2 + 8, sizeof(*s->prog));
	s->handoff = mmap(NULL, sizeof(*s->handoff), PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!s->prog || s->handoff == MAP_FAILED) {
		s->handoff = NULL;
		fr_sec_destroy(s);
		return -ENOMEM;
	}
	s->handoff->listener = -1;
	struct sock_filter *p = s->prog;
	emit(p, &k,
	     (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					  offsetof(struct seccomp_data, arch)));
	emit(p, &k,
	     (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0));
	emit(p, &k, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
	emit(p, &k,
	     (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					  offsetof(struct seccomp_data, nr)));
	emit(p, &k, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, 0, 1));
	emit(p, &k, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
	for (size_t i = 0; i < NCALLS; i++) {
		if (calls[i].op != FR_OP_COUNT &&
		    !(s->ops & (FR_OPBIT(calls[i].op) | FR_OPBIT(calls[i].alt))))
			continue;
		/* equal: to the next instruction (notify); else skip it */
		emit(p, &k,
		     (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)calls[i].nr,
						  0, 1));
		emit(p, &k, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF));
		traps++;
	}
	emit(p, &k, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	s->nprog = k;
	(void)traps;
	*out = s;
	return 0;
}

void fr_sec_destroy(struct fr_sec *s)
{
	if (!s)
		return;
	if (s->listener >= 0)
		close(s->listener);
	if (s->handoff)
		munmap(s->handoff, sizeof(*s->handoff));
	free(s->prog);
	free(s->tasks);
	free(s->eps);
	free(s->conns);
	free(s->held);
	free(s);
}

uint32_t fr_sec_ops(const struct fr_sec *s)
{
	return s->ops;
}

int fr_sec_child_install(struct fr_sec *s)
{
	struct sock_fprog fp = { .len = s->nprog, .filter = s->prog };
	long fd;

	/* without CAP_SYS_ADMIN a filter needs it; it also keeps setuid from meaning anything */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		goto fail;
	/*
	 * WAIT_KILLABLE_RECV (Linux 5.19): once faultrun has the notification,
	 * only a fatal signal interrupts the call, so a program taking signals
	 * often (the Go runtime's preemption) is not restarted, and counted,
	 * over and over (seccomp_unotify(2), "Interaction with SA_RESTART")
	 */
	fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
		     SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
		     &fp);
	if (fd < 0 && errno == EINVAL)
		fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER,
			     &fp);
	if (fd < 0)
		goto fail;
	/*
	 * From here on, a filtered call of ours waits for a listener nobody
	 * holds yet: tell the parent where it is through shared memory and
	 * stop (kill(2) is never filtered) until it has taken it
	 */
	s->handoff->listener = (int)fd;
	raise(SIGSTOP);
	close((int)fd);
	return 0;
fail:
	s->handoff->err = errno;
	return -errno;
}

/* Kill a child that cannot be run as asked, and reap it. */
static void kill_child(pid_t pid)
{
	int st;

	kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
}

int fr_sec_take(struct fr_sec *s, pid_t pid, char *err, size_t len)
{
	char link[64], what[64];
	int st, pidfd, fd;
	ssize_t n;

	while (waitpid(pid, &st, WUNTRACED) < 0)
		if (errno != EINTR) {
			snprintf(err, len, "waitpid: %s", strerror(errno));
			return -errno;
		}
	if (!WIFSTOPPED(st)) {
		/* it said why (fr_sec_child_install failed, then the child exits) */
		snprintf(err, len, "cannot install the seccomp filter: %s",
			 strerror(s->handoff->err ? s->handoff->err : ECHILD));
		return -ECHILD;
	}
	/* the fd must be the listener, not whatever the number names by now */
	snprintf(link, sizeof(link), "/proc/%d/fd/%d", (int)pid, s->handoff->listener);
	n = readlink(link, what, sizeof(what) - 1);
	what[n > 0 ? n : 0] = '\0';
	if (s->handoff->listener < 0 || strcmp(what, "anon_inode:seccomp notify") != 0) {
		snprintf(err, len, "the child's seccomp listener is not where it said");
		kill_child(pid);
		return -EPROTO;
	}
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	fd = pidfd < 0 ? -1 : (int)syscall(SYS_pidfd_getfd, pidfd, s->handoff->listener, 0);
	if (fd < 0) {
		int e = errno;

		snprintf(err, len, "cannot take the seccomp listener (pidfd_getfd): %s",
			 strerror(e));
		if (pidfd >= 0)
			close(pidfd);
		kill_child(pid);
		return -e;
	}
	close(pidfd);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	s->listener = fd;
	kill(pid, SIGCONT);
	return 0;
}
