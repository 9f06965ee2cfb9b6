/*
 * A program that installs a seccomp filter killing any openat2(2), then
 * opens a file, for test-shim-nolinks.sh: the shim makes a quiet open as
 * openat2 (harness/shim/nolinks.c) and must never do so where a filter
 * could refuse it.
 *
 *   nolinks-helper prctl FILE     open FILE, install the filter with
 *                                 prctl(PR_SET_SECCOMP), open FILE again
 *   nolinks-helper seccomp FILE   the same with syscall(SYS_seccomp)
 *   nolinks-helper exec FILE      install it with a system call the shim
 *                                 cannot see, then exec "open FILE"
 *   nolinks-helper open FILE      open FILE, write a byte, close it
 *
 * Prints "opened" after each two successful open+write+close; exits 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#endif

/* Twice: a process's first open may take the shim's long way, the next the quick one. */
static int open_write(const char *file)
{
	for (int i = 0; i < 2; i++) {
		int fd = open(file, O_WRONLY);

		if (fd < 0 || write(fd, "x", 1) != 1) {
			fprintf(stderr, "nolinks-helper: %s: %s\n", file, strerror(errno));
			return 1;
		}
		close(fd);
	}
	printf("opened\n");
	fflush(stdout);
	return 0;
}

/* openat2 kills the process (SIGSYS), everything else is allowed */
static struct sock_filter insns[] = {
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 1, 0),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
};
static struct sock_fprog prog = { sizeof(insns) / sizeof(insns[0]), insns };

/* seccomp(2) by the system call instruction itself: no libc function a preload could see */
static long unseen_seccomp(void)
{
	long r;
#if defined(__x86_64__)
	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "0"((long)SYS_seccomp), "D"((long)SECCOMP_SET_MODE_FILTER), "S"(0L),
			   "d"((long)&prog)
			 : "rcx", "r11", "memory");
#elif defined(__aarch64__)
	register long x8 __asm__("x8") = SYS_seccomp;
	register long x0 __asm__("x0") = SECCOMP_SET_MODE_FILTER;
	register long x1 __asm__("x1") = 0;
	register long x2 __asm__("x2") = (long)&prog;

	__asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
	r = x0;
#endif
	return r;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 2 ? argv[1] : "", *file = argc > 2 ? argv[2] : "";
	long r;

	if (!strcmp(mode, "open"))
		return open_write(file);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		perror("nolinks-helper: PR_SET_NO_NEW_PRIVS");
		return 2;
	}
	if (!strcmp(mode, "exec")) {
		if (unseen_seccomp() != 0) {
			fprintf(stderr, "nolinks-helper: seccomp failed\n");
			return 2;
		}
		execl("/proc/self/exe", argv[0], "open", file, (char *)NULL);
		perror("nolinks-helper: exec");
		return 2;
	}
	/* an open before the filter: the shim has taken openat2 as usable */
	if (open_write(file) != 0)
		return 1;
	if (!strcmp(mode, "prctl"))
		r = prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
	else if (!strcmp(mode, "seccomp"))
		r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
	else {
		fprintf(stderr, "usage: nolinks-helper prctl|seccomp|exec|open FILE\n");
		return 2;
	}
	if (r != 0) {
		perror("nolinks-helper: installing the filter");
		return 2;
	}
	return open_write(file);
}
