/*
 * Running out of memory is a real message and a documented status: the
 * x-allocators print "PROGRAM: out of memory (allocating N bytes)" and exit
 * 3, never a bare abort. Each case runs in a child whose allocation cannot
 * succeed (more bytes than any address space holds).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/xalloc.h"

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * Under AddressSanitizer (tests/run's second pass) an impossible size
 * aborts in the allocator itself unless it may return NULL, as libc's
 * does: this test is about what faultrun does with that NULL.
 */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}

enum what { MALLOC, CALLOC, REALLOCARRAY };

/* Run the allocation in a child; its stderr into out, its status back. */
static int child_status(enum what w, char *out, size_t len)
{
	int pfd[2], status;
	ssize_t n, got = 0;
	pid_t pid;

	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pfd[1], STDERR_FILENO);
		close(pfd[0]);
		if (w == MALLOC)
			fr_xmalloc(SIZE_MAX / 2);
		else if (w == CALLOC)
			fr_xcalloc(SIZE_MAX / 8, 4);
		else
			fr_xreallocarray(NULL, SIZE_MAX / 2, 2);
		_exit(0);
	}
	close(pfd[1]);
	while ((n = read(pfd[0], out + got, len - 1 - (size_t)got)) > 0)
		got += n;
	out[got] = '\0';
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void expect(enum what w, const char *msg)
{
	char out[256];
	int status = child_status(w, out, sizeof(out));

	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 3);
	/* the last line (AddressSanitizer warns before returning NULL) */
	assert_true(strlen(out) >= strlen(msg));
	assert_string_equal(out + strlen(out) - strlen(msg), msg);
	assert_true(out + strlen(out) - strlen(msg) == out ||
		    out[strlen(out) - strlen(msg) - 1] == '\n');
}

static void test_malloc_says_how_much(void **state)
{
	char msg[128];

	(void)state;
	snprintf(msg, sizeof(msg), "test-xalloc: out of memory (allocating %zu bytes)\n",
		 SIZE_MAX / 2);
	expect(MALLOC, msg);
}

static void test_calloc_says_how_much(void **state)
{
	char msg[128];

	(void)state;
	snprintf(msg, sizeof(msg), "test-xalloc: out of memory (allocating %zu x 4 bytes)\n",
		 SIZE_MAX / 8);
	expect(CALLOC, msg);
}

static void test_overflowing_array(void **state)
{
	char msg[128];

	(void)state;
	snprintf(msg, sizeof(msg), "test-xalloc: out of memory (allocating %zu x 2 bytes)\n",
		 SIZE_MAX / 2);
	expect(REALLOCARRAY, msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_malloc_says_how_much),
		cmocka_unit_test(test_calloc_says_how_much),
		cmocka_unit_test(test_overflowing_array),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
