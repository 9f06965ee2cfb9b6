/*
 * A library whose constructor writes a file: loaded as a dependency of
 * helper-ctor, it may run before libfaultshim's own constructor, and the
 * shim must still bind itself and obey the rules (libfaketime's
 * test_library_constructors).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

int shimctor_result = -1;

int shimctor_get(void);
int shimctor_get(void)
{
	return shimctor_result;
}

__attribute__((constructor)) static void early_write(void)
{
	const char *p = getenv("CTOR_PATH");
	int fd;

	if (!p)
		return;
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) {
		shimctor_result = errno;
		return;
	}
	shimctor_result = write(fd, "x", 1) == 1 ? 0 : errno;
	close(fd);
}
