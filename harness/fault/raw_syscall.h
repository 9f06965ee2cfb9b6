/*
 * A system call made with the machine instruction, not through libc's
 * syscall(): the shim exports its own syscall() (to see raw closes such as
 * libuv's uv__close_nocancel, src/unix/core.c), so a call of syscall()
 * from code linked into the shim would re-enter the shim, before its real
 * functions may even be bound. The shim and the control block's reader
 * side (ctl.c) use fr_syscall() instead; tests/shim/test-shim-static.sh
 * checks that nothing in the shim calls syscall() by name.
 *
 * fr_syscall(SYS_x, args...) behaves as syscall(2): -1 with errno set on
 * failure. Up to six arguments, each converted to long as the kernel ABI
 * passes them. fr_syscall_raw() returns the kernel's -errno instead and
 * never touches errno.
 */
#ifndef FAULTRUN_FAULT_RAW_SYSCALL_H
#define FAULTRUN_FAULT_RAW_SYSCALL_H

#include <errno.h>

#if defined(__x86_64__)
static inline long fr_syscall_raw(long n, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;

	/* the kernel clobbers rcx (return address) and r11 (flags) */
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "0"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}
#elif defined(__aarch64__)
static inline long fr_syscall_raw(long n, long a, long b, long c, long d, long e, long f)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	register long x5 __asm__("x5") = f;

	__asm__ volatile("svc 0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory");
	return x0;
}
#else
#error "fr_syscall_raw: add this architecture's system call instruction"
#endif

/* syscall(2)'s convention on top of fr_syscall_raw(). */
static inline long fr_syscall6(long n, long a, long b, long c, long d, long e, long f)
{
	long r = fr_syscall_raw(n, a, b, c, d, e, f);

	if ((unsigned long)r > -4096ul) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

#define FR_SYSCALL_PICK(n, a, b, c, d, e, f, ...) \
	fr_syscall6((long)(n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))
/* fr_syscall(SYS_close, fd): missing arguments are passed as 0. */
#define fr_syscall(...) FR_SYSCALL_PICK(__VA_ARGS__, 0, 0, 0, 0, 0, 0, 0)

#endif /* FAULTRUN_FAULT_RAW_SYSCALL_H */
