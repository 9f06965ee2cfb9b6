/*
 * faultrun — atomic replacement of output files (fsutil.h).
 */
#define _GNU_SOURCE
#include "util/fsutil.h"
#include "util/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

int fr_atomic_begin(struct fr_atomic_file *a, const char *path)
{
	struct stat st;

	/*
	 * /dev/stdout, /dev/null, /dev/fd/3, /proc/self/fd/1: written
	 * straight. A temporary renamed over one of them would replace the
	 * device node or the link itself (as root, for everyone).
	 */
	a->fd = -1;
	a->tmp = NULL;
	a->path = NULL;
	if ((!strncmp(path, "/dev/", 5) || !strncmp(path, "/proc/", 6)) && stat(path, &st) == 0 &&
	    !S_ISDIR(st.st_mode)) {
		a->fd = open(path, O_WRONLY | O_CLOEXEC);
		if (a->fd < 0)
			return -errno;
		a->path = fr_xstrdup(path);
		return 0;
	}
	/*
	 * O_EXCL|O_NOFOLLOW: another user who can write the destination
	 * directory cannot make us follow a planted link (open(2), "O_EXCL").
	 * A random name, retried on EEXIST, keeps two runs apart.
	 */
	for (int tries = 0; tries < 16; tries++) {
		uint32_t rnd = 0;

		if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd))
			rnd = (uint32_t)getpid() * 2654435761u + (uint32_t)tries;
		free(a->tmp);
		a->tmp = fr_xasprintf("%s.tmp-%08x", path, rnd);
		a->fd = open(a->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
		if (a->fd >= 0) {
			a->path = fr_xstrdup(path);
			return 0;
		}
		if (errno != EEXIST)
			break;
	}
	int e = errno;
	free(a->tmp);
	a->tmp = NULL;
	return -e;
}

void fr_atomic_abort(struct fr_atomic_file *a)
{
	if (a->fd >= 0)
		close(a->fd);
	if (a->tmp)
		unlink(a->tmp);
	free(a->tmp);
	free(a->path);
	a->fd = -1;
	a->tmp = a->path = NULL;
}

int fr_atomic_commit(struct fr_atomic_file *a)
{
	int r = 0;

	if (fsync(a->fd) < 0 && errno != EINVAL)
		r = -errno;
	if (close(a->fd) < 0 && !r)
		r = -errno;
	a->fd = -1;
	if (!r && a->tmp && rename(a->tmp, a->path) < 0)
		r = -errno;
	if (r) {
		fr_atomic_abort(a);
		return r;
	}
	free(a->tmp);
	free(a->path);
	a->tmp = a->path = NULL;
	return 0;
}

static const char *kind_of(mode_t m)
{
	return S_ISDIR(m)  ? "a directory" :
	       S_ISFIFO(m) ? "a FIFO" :
	       S_ISCHR(m)  ? "a character device" :
	       S_ISBLK(m)  ? "a block device" :
	       S_ISSOCK(m) ? "a socket" :
			     "not a file";
}

int fr_open_regular(const char *path, const char **kind)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY), e;

	*kind = NULL;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		e = errno;
		close(fd);
		return -e;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		*kind = kind_of(st.st_mode);
		return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

int fr_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int fr_write_file(const char *path, const void *data, size_t len)
{
	struct fr_atomic_file a;
	int r = fr_atomic_begin(&a, path);

	if (r)
		return r;
	r = fr_write_all(a.fd, data, len);
	if (r) {
		fr_atomic_abort(&a);
		return r;
	}
	return fr_atomic_commit(&a);
}

int fr_self_dir(char *out, size_t len)
{
	ssize_t n;
	char *slash;

	if (len < 2)
		return -ENAMETOOLONG;
	n = readlink("/proc/self/exe", out, len - 1);
	if (n < 0)
		return -errno;
	if ((size_t)n >= len - 1)
		return -ENAMETOOLONG;
	out[n] = '\0';
	slash = strrchr(out, '/');
	if (!slash)
		return -ENOENT;
	*slash = '\0';
	return 0;
}
